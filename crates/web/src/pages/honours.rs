//! Honours on pages (issue 13 §6): a unit's rounds (those above it it takes part in, and its
//! own, opened from here); a round's page where units nominate, each level reviews what waits
//! for it, and the round's unit puts the selected on notice, answers objections and announces;
//! the public portal's notice with its objection form and vote, and the announced honours.

use super::filters;
use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{ClientAddr, InUnit, PageContext, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::honour::{NominationInput, NominationStep, RoundInput, RoundState};
use std::collections::HashMap;
use store::honours::{self, Nomination, Objection, Round};
use store::org_units::OrgUnit;

use super::today;

#[derive(Template)]
#[template(path = "honours.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    rounds: Vec<Round>,
    can_manage: bool,
    this_year: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let rounds = honours::rounds(&state.db, unit.scope(), unit.unit()).await?;
    let can_manage = unit.may(Permission::ManageVolunteers);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/honours")),
            unit: unit.into_unit(),
            rounds,
            can_manage,
            this_year: super::this_year(),
            errors,
            typed,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &viewer,
        unit,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

/// Opens a round at the unit.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = RoundInput {
        award: form.get("award").into(),
        year: form.get("year").into(),
        places: form.get("places").into(),
        notice_days: form.get("notice_days").into(),
        public_vote: form.get("public_vote") == "1",
    };
    match typed.parse(super::this_year()) {
        Err(refused) => errors.add(refused, lang),
        Ok(r) => {
            let code = unit.unit().code.clone();
            match honours::create_round(&state.db, &unit.user().actor(), unit.scope(), &code, &r)
                .await
            {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/honours/{}", made.id)).into_response()
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "honour.html")]
struct RoundPage {
    layout: Layout,
    unit: OrgUnit,
    r: Round,
    nominations: Vec<Nomination>,
    objections: Vec<Objection>,
    /// The unit's volunteers, who may be nominated with their hours as evidence.
    volunteers: Vec<store::volunteers::Volunteer>,
    can_manage: bool,
    /// This unit runs the round.
    runs_it: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl RoundPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
    /// Waiting for this unit's review.
    fn ours(&self, n: &Nomination) -> bool {
        self.can_manage
            && n.state == domain::honour::NominationState::Nominated
            && n.reviewing_path == self.unit.org_path
    }
    fn nominating(&self) -> bool {
        self.r.state == RoundState::Nominating
    }
}

async fn round_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let r = honours::round(db, scope, unit.unit(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let nominations = honours::nominations(db, scope, r.id).await?;
    let runs_it = r.org_path == unit.unit().org_path;
    let objections = if runs_it {
        honours::objections(db, scope, unit.unit(), r.id).await?
    } else {
        Vec::new()
    };
    let can_manage = unit.may(Permission::ManageVolunteers);
    let volunteers = if can_manage {
        store::volunteers::list(db, scope, &unit.unit().org_path, 200)
            .await?
            .0
    } else {
        Vec::new()
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &RoundPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/honours/{id}")),
            unit: unit.into_unit(),
            r,
            nominations,
            objections,
            volunteers,
            can_manage,
            runs_it,
            errors,
            typed,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    round_page(
        &state,
        &viewer,
        unit,
        id,
        FieldErrors::default(),
        HashMap::new(),
    )
    .await
}

fn back(unit: &OrgUnit, id: i64) -> Response {
    Redirect::to(&format!("/orgs/{}/honours/{id}", unit.code)).into_response()
}

/// Nominates someone from this unit, with their story and consent.
pub async fn nominate(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let volunteer_id = form.get("volunteer_id").trim().parse::<i64>().ok();
    // A donor named by what the clerk types (credit code, phone, name): exactly one, or the
    // field says so.
    let typed_donor = form.get("donor").trim();
    let donor_id = if typed_donor.is_empty() {
        None
    } else {
        match store::donors::the_one(&state.db, unit.scope(), typed_donor).await? {
            Some(d) => Some(d.id),
            None => {
                errors.insert("donor", lang.error("donor_not_one"));
                None
            }
        }
    };
    let typed = NominationInput {
        nominee: form.get("nominee").into(),
        story: form.get("story").into(),
        consent: form.get("consent") == "1",
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(_) if !errors.is_empty() => {}
        Ok(n) => {
            let at = honours::NominationAt {
                round_id: id,
                unit: unit.unit(),
                volunteer_id,
                donor_id,
                nomination: &n,
            };
            match honours::nominate(&state.db, &unit.user().actor(), unit.scope(), &at).await {
                Ok(_) => return Ok(back(unit.unit(), id)),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    round_page(&state, &viewer, unit, id, errors, form.fields.clone()).await
}

/// This unit's review of a nomination waiting for it.
pub async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id, nomination)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let step = match form.get("decision") {
        "recommend" => Some(NominationStep::Recommend),
        "decline" => Some(NominationStep::Decline),
        _ => None,
    };
    match step {
        None => errors.insert("note", lang.error("correction_decision_missing")),
        Some(step) => match honours::review(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            unit.unit(),
            nomination,
            step,
            form.get("note"),
        )
        .await
        {
            Ok(_) => return Ok(back(unit.unit(), id)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    round_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

/// The round's unit puts the selected on notice, from today.
pub async fn start_notice(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match honours::start_notice(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        unit.unit(),
        id,
        &today(),
    )
    .await
    {
        Ok(_) => return Ok(back(unit.unit(), id)),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    round_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

/// The round's unit answers an objection.
pub async fn answer_objection(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id, objection)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let uphold = match form.get("decision") {
        "uphold" => Some(true),
        "dismiss" => Some(false),
        _ => None,
    };
    match uphold {
        None => errors.insert("answer", lang.error("correction_decision_missing")),
        Some(uphold) => match honours::answer_objection(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            unit.unit(),
            id,
            &honours::ObjectionAnswer {
                objection_id: objection,
                uphold,
                answer: form.get("answer"),
            },
        )
        .await
        {
            Ok(()) => return Ok(back(unit.unit(), id)),
            Err(refused) => errors.add_refusal(refused, lang)?,
        },
    }
    round_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

/// The round's unit announces the honours.
pub async fn announce(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    match honours::announce(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        unit.unit(),
        id,
        &today(),
    )
    .await
    {
        Ok(_) => return Ok(back(unit.unit(), id)),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    round_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

#[derive(Template)]
#[template(path = "public_honours.html")]
struct PublicList {
    layout: Layout,
    rounds: Vec<Round>,
}

pub async fn public_list(
    State(state): State<AppState>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    Ok(render_as(
        &PublicList {
            layout: Layout::new(&ctx, "/public/honours"),
            rounds: honours::public_rounds(&state.db).await?,
        },
        StatusCode::OK,
    ))
}

#[derive(Template)]
#[template(path = "public_honour.html")]
struct PublicRound {
    layout: Layout,
    token: String,
    r: Round,
    nominees: Vec<Nomination>,
    open: bool,
    errors: FieldErrors,
    notice: Option<String>,
}

impl PublicRound {
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
}

fn public_round_page(
    ctx: &PageContext,
    headers: &HeaderMap,
    (r, nominees): (Round, Vec<Nomination>),
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let token = crate::auth::pre_session_token(ctx.cookies, headers);
    let open = r.state == RoundState::Notice && today() <= r.notice_until;
    let mut resp = render_as(
        &PublicRound {
            layout: Layout::new(ctx, &format!("/public/honours/{}", r.id)),
            token: token.clone(),
            r,
            nominees,
            open,
            errors,
            notice,
        },
        status,
    );
    crate::auth::set_pre_session_cookie(ctx.cookies, &mut resp, &token);
    resp
}

pub async fn public_show(
    State(state): State<AppState>,
    ctx: PageContext,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let found = honours::public_round(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(public_round_page(
        &ctx,
        &headers,
        found,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    ))
}

/// A public vote or objection: what it answers, whatever happened.
async fn public_act(
    state: &AppState,
    ctx: &PageContext,
    headers: &HeaderMap,
    id: i64,
    outcome: store::Result<std::result::Result<(), store::limits::RetryAt>>,
    done: &str,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let mut notice = None;
    let mut status = StatusCode::OK;
    match outcome {
        Ok(Ok(())) => notice = Some(ctx.lang.t(done).into_owned()),
        Ok(Err(retry)) => {
            let err = AppError::TooMany {
                retry_at_ms: retry.0,
            };
            let found = honours::public_round(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut r = public_round_page(
                ctx,
                headers,
                found,
                errors,
                Some(err.message(ctx.lang)),
                StatusCode::TOO_MANY_REQUESTS,
            );
            crate::error::add_retry_after(&mut r, &err);
            return Ok(r);
        }
        Err(refused) => {
            errors.add_refusal(refused, ctx.lang)?;
            status = errors.status();
        }
    }
    let found = honours::public_round(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(public_round_page(
        ctx, headers, found, errors, notice, status,
    ))
}

pub async fn public_vote(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    let nomination = form.get("nomination_id").trim().parse::<i64>().unwrap_or(0);
    let outcome = honours::vote(
        &state.db,
        id,
        nomination,
        form.get("phone"),
        &client,
        &today(),
    )
    .await;
    public_act(&state, &ctx, &headers, id, outcome, "honours.voted").await
}

pub async fn public_object(
    State(state): State<AppState>,
    ctx: PageContext,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    let nomination = form.get("nomination_id").trim().parse::<i64>().unwrap_or(0);
    let outcome = honours::object(
        &state.db,
        id,
        nomination,
        form.get("text"),
        &client,
        &today(),
    )
    .await;
    public_act(&state, &ctx, &headers, id, outcome, "honours.objected").await
}
