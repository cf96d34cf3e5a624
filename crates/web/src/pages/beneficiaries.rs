//! The beneficiary registry on pages (issue 12 §2, §4, §5): the people of a unit's subtree with
//! their ID numbers masked, the form that registers one (told only "registered elsewhere" when
//! another part of the network has them), the merges proposed to this unit and their decision;
//! each person's page — household, help recorded (and the form a social worker records it
//! with), education chain, needs, registrations merged in — where a sealed detail is read in
//! full with a reason; each household's page with its members' help.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::assistance::{AssistanceInput, ChainStage, Dimension, SchoolStage};
use domain::beneficiary::{PersonInput, Relation};
use std::collections::HashMap;
use store::assistance::AssistanceRecord;
use store::beneficiaries::{Detail, MergeDecision, Person};
use store::households::Household;
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "beneficiaries.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    people: Vec<Person>,
    proposals: Vec<(i64, Person, Person)>,
    can_register: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn decisions(&self) -> Vec<(&'static str, String)> {
        MergeDecision::ALL
            .into_iter()
            .map(|d| {
                let label = self
                    .layout
                    .t(&format!("beneficiaries.decision.{}", d.key()));
                (d.key(), label.into_owned())
            })
            .collect()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let path = unit.unit().org_path.clone();
    let people = store::beneficiaries::list(&state.db, unit.scope(), &path, 200).await?;
    let proposals = store::beneficiaries::merge_proposals(&state.db, unit.scope(), &path).await?;
    let can_register = unit.may(Permission::HandleNeeds);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/beneficiaries")),
            unit: unit.into_unit(),
            people,
            proposals,
            can_register,
            errors,
            typed,
            notice,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = notice(&viewer, q.done.as_deref());
    list_page(
        &state,
        &viewer,
        unit,
        FieldErrors::default(),
        HashMap::new(),
        notice,
    )
    .await
}

/// Registers a person at the unit: every problem beside its field, nothing stored.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = PersonInput {
        name: form.get("name").into(),
        id_number: form.get("id_number").into(),
        phone: form.get("phone").into(),
        bank_account: form.get("bank_account").into(),
        consent_sharing: form.get("consent_sharing") == "1",
        sharing_scope: form.get("sharing_scope").into(),
        guardian_name: form.get("guardian_name").into(),
        guardian_relation: form.get("guardian_relation").into(),
    };
    let mut errors = FieldErrors::default();
    let today = domain::time::china_day(store::now_ms());
    match typed.parse(&today) {
        Err(refused) => errors.add(refused, lang),
        Ok(p) => {
            let code = unit.unit().code.clone();
            match store::beneficiaries::register(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &code,
                &p,
            )
            .await
            {
                Ok(r) => {
                    let done = if r.registered_elsewhere {
                        "elsewhere"
                    } else {
                        "registered"
                    };
                    return Ok(Redirect::to(&format!(
                        "/orgs/{code}/beneficiaries/{}?done={done}",
                        r.person.id
                    ))
                    .into_response());
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    // What was typed comes back, but never the ID number or the bank account.
    let mut kept = form.fields.clone();
    kept.remove("id_number");
    kept.remove("bank_account");
    list_page(&state, &viewer, unit, errors, kept, None).await
}

/// Finds a person of the unit's subtree by ID number (posted, so the number stays out of
/// addresses and logs): their page, or "not registered here" beside the field.
pub async fn find(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match domain::donor::id_number("find_id_number", form.get("find_id_number")) {
        Err(e) => errors.add(vec![e], lang),
        Ok(number) => {
            match store::beneficiaries::find_by_id_number(&state.db, unit.scope(), &number).await? {
                Some(p) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/beneficiaries/{}",
                        unit.unit().code,
                        p.id
                    ))
                    .into_response());
                }
                None => errors.insert("find_id_number", lang.error("person_not_registered_here")),
            }
        }
    }
    list_page(&state, &viewer, unit, errors, HashMap::new(), None).await
}

/// Decides a merge proposed to this unit: keep one registration (the other merged into it)
/// or keep both apart.
pub async fn decide_merge(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let Some(decision) = MergeDecision::parse(form.get("decision")) else {
        let mut errors = FieldErrors::default();
        errors.insert("decision", viewer.ctx.lang.error("merge_decision_missing"));
        return list_page(&state, &viewer, unit, errors, HashMap::new(), None).await;
    };
    let d = store::beneficiaries::NewMergeDecision {
        unit_path: unit.unit().org_path.clone(),
        proposal_id: id,
        decision,
    };
    store::beneficiaries::decide_merge(&state.db, &unit.user().actor(), unit.scope(), &d).await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/beneficiaries?done={}#merges",
        unit.unit().code,
        decision.key()
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "beneficiary.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    p: Person,
    consents: Vec<store::beneficiaries::Consent>,
    household: Option<Household>,
    history: Vec<AssistanceRecord>,
    chain: Vec<ChainStage>,
    needs: Vec<store::needs::Need>,
    merged: Vec<store::beneficiaries::MergedRegistration>,
    /// The agency lists the person was matched on (lapsed ones marked).
    lists: Vec<store::agency_lists::Membership>,
    today: String,
    /// Approved projects of the unit's subtree the help may belong to: (code, name).
    projects: Vec<(String, String)>,
    can_handle: bool,
    shown: Shown,
}

impl ShowPage {
    fn typed(&self, field: &str) -> String {
        self.shown.typed.get(field).cloned().unwrap_or_default()
    }
    fn dimensions(&self) -> Vec<(&'static str, String)> {
        Dimension::ALL
            .into_iter()
            .map(|d| (d.key(), self.layout.label(d)))
            .collect()
    }
    fn stages(&self) -> Vec<(&'static str, String)> {
        SchoolStage::ALL
            .into_iter()
            .map(|s| (s.key(), self.layout.label(s)))
            .collect()
    }
    fn details(&self) -> Vec<(&'static str, String)> {
        Detail::ALL
            .into_iter()
            .filter(|d| match d {
                Detail::IdNumber => true,
                Detail::Phone => !self.p.phone_shown.is_empty(),
                Detail::BankAccount => !self.p.bank_account_shown.is_empty(),
            })
            .map(|d| {
                (
                    d.key(),
                    self.layout.t(&format!("field.{}", d.key())).into_owned(),
                )
            })
            .collect()
    }
    fn full(&self, detail: &str) -> Option<&str> {
        self.shown
            .full
            .as_ref()
            .filter(|(d, _)| d.key() == detail)
            .map(|(_, v)| v.as_str())
    }
    fn amount(&self, r: &AssistanceRecord) -> String {
        r.amount.map(|a| a.display()).unwrap_or_default()
    }
}

#[derive(Default)]
struct Shown {
    full: Option<(Detail, String)>,
    errors: FieldErrors,
    notice: Option<String>,
    typed: HashMap<String, String>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

const NOTICES: [&str; 5] = ["registered", "elsewhere", "household", "help", "member"];

fn notice(viewer: &Viewer, done: Option<&str>) -> Option<String> {
    let key = |d: &str| format!("beneficiaries.done.{d}");
    let d = done.filter(|d| NOTICES.contains(d) || MergeDecision::parse(d).is_some())?;
    Some(viewer.ctx.lang.t(&key(d)).into_owned())
}

/// The projects help recorded at this unit may belong to (or a need be referred to): approved
/// or later, in its subtree.
pub(super) async fn project_choices(
    state: &AppState,
    scope: &domain::access::Scope,
    unit_path: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let filter = store::projects::ProjectFilter {
        unit_path: unit_path.to_string(),
        state: None,
        tier: None,
        template_id: None,
        q: String::new(),
    };
    let (lines, _) = store::projects::list(&state.db, scope, &filter, 1, 100).await?;
    Ok(lines
        .into_iter()
        .filter_map(|l| l.project.fund_code.map(|code| (code, l.project.name)))
        .collect())
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    shown: Shown,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let p = store::beneficiaries::person(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = store::now_ms();
    let today = domain::time::china_day(now);
    let consents = store::beneficiaries::consents(db, scope, id).await?;
    let household = store::households::of_person(db, scope, id).await?;
    let history = store::assistance::history(db, scope, id).await?;
    // The chain is shown for the school-aged and younger, and for anyone aided at school.
    let school_age = domain::beneficiary::age_on(&p.born_on, &today)
        .is_some_and(|a| a <= SchoolStage::College.ages().1);
    let chain = if school_age || history.iter().any(|r| r.school_stage.is_some()) {
        store::assistance::chain_of(&p.born_on, &today, &history)
    } else {
        Vec::new()
    };
    let needs = store::needs::of_person(db, scope, id, now).await?;
    let merged = store::beneficiaries::merged_into(db, scope, id).await?;
    let lists = store::agency_lists::lists_of(db, scope, id).await?;
    let can_handle = unit.may(Permission::HandleNeeds);
    let projects = if can_handle {
        project_choices(state, scope, &unit.unit().org_path).await?
    } else {
        Vec::new()
    };
    let status = shown.errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/beneficiaries/{id}")),
            unit: unit.into_unit(),
            p,
            consents,
            household,
            history,
            chain,
            needs,
            merged,
            lists,
            today,
            projects,
            can_handle,
            shown,
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = Shown {
        notice: notice(&viewer, q.done.as_deref()),
        ..Shown::default()
    };
    show_page(&state, &viewer, unit, id, shown).await
}

/// An ID number, phone or bank account in full, with a reason that goes in the trail.
pub async fn reveal(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let mut shown = Shown::default();
    match Detail::parse(form.get("detail")) {
        None => shown
            .errors
            .insert("detail", viewer.ctx.lang.error("reveal_detail_missing")),
        Some(detail) => match store::beneficiaries::reveal(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            id,
            detail,
            form.get("reason"),
        )
        .await
        {
            Ok(n) => shown.full = Some((detail, n)),
            Err(refused) => shown.errors.add_refusal(refused, viewer.ctx.lang)?,
        },
    }
    show_page(&state, &viewer, unit, id, shown).await
}

/// Founds a household with the person as its head.
pub async fn found_household(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    _form: FormData,
) -> Result<Response, AppError> {
    match store::households::found(&state.db, &unit.user().actor(), unit.scope(), id).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/orgs/{}/beneficiaries/{id}?done=household#household",
            unit.unit().code
        ))
        .into_response()),
        Err(refused) => {
            let mut shown = Shown::default();
            shown.errors.add_refusal(refused, viewer.ctx.lang)?;
            show_page(&state, &viewer, unit, id, shown).await
        }
    }
}

/// Records an act of help given by this unit to the person.
pub async fn record_help(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let typed = AssistanceInput {
        dimension: form.get("dimension").into(),
        kind: form.get("kind").into(),
        given_on: form.get("given_on").into(),
        quantity: form.get("quantity").into(),
        measure: form.get("measure").into(),
        amount: form.get("amount").into(),
        school_stage: form.get("school_stage").into(),
        project_code: form.get("project_code").into(),
        disbursement_id: form.get("disbursement_id").into(),
    };
    let mut shown = Shown {
        typed: form.fields.clone(),
        ..Shown::default()
    };
    match typed.parse(&domain::time::china_day(store::now_ms())) {
        Err(refused) => shown.errors.add(refused, lang),
        Ok(help) => {
            let new = store::assistance::NewAssistanceRecord {
                org_code: unit.unit().code.clone(),
                beneficiary_id: id,
                help,
            };
            match store::assistance::record(&state.db, &unit.user().actor(), unit.scope(), &new)
                .await
            {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/beneficiaries/{id}?done=help#history",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(refused) => shown.errors.add_refusal(refused, lang)?,
            }
        }
    }
    show_page(&state, &viewer, unit, id, shown).await
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    layout: Layout,
    unit: OrgUnit,
    h: Household,
    history: Vec<AssistanceRecord>,
    /// People of the household's unit in no household: who may join.
    candidates: Vec<Person>,
    can_handle: bool,
    errors: FieldErrors,
    notice: Option<String>,
}

impl HouseholdPage {
    fn relations(&self) -> Vec<(&'static str, String)> {
        Relation::ALL
            .into_iter()
            .filter(|r| *r != Relation::Head)
            .map(|r| (r.key(), self.layout.label(r)))
            .collect()
    }
    fn amount(&self, r: &AssistanceRecord) -> String {
        r.amount.map(|a| a.display()).unwrap_or_default()
    }
}

async fn household_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let h = store::households::household(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = store::assistance::household_history(db, scope, id).await?;
    let can_handle = unit.may(Permission::HandleNeeds);
    let candidates = if can_handle {
        store::beneficiaries::without_household(db, scope, &h.org_path, 200).await?
    } else {
        Vec::new()
    };
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &HouseholdPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/households/{id}")),
            unit: unit.into_unit(),
            h,
            history,
            candidates,
            can_handle,
            errors,
            notice,
        },
        status,
    ))
}

pub async fn household(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = notice(&viewer, q.done.as_deref());
    household_page(&state, &viewer, unit, id, FieldErrors::default(), notice).await
}

/// A registered person joins the household, with their relation to its head.
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let person = form.get("beneficiary_id").trim().parse::<i64>().ok();
    let relation = Relation::parse(form.get("relation"));
    if person.is_none() {
        errors.insert("beneficiary_id", lang.error("person_unknown"));
    }
    if relation.is_none() {
        errors.insert("relation", lang.error("relation_missing"));
    }
    if let (Some(beneficiary_id), Some(relation)) = (person, relation) {
        let m = store::households::NewMember {
            household_id: id,
            beneficiary_id,
            relation,
        };
        match store::households::add_member(&state.db, &unit.user().actor(), unit.scope(), &m).await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!(
                    "/orgs/{}/households/{id}?done=member",
                    unit.unit().code
                ))
                .into_response());
            }
            Err(refused) => errors.add_refusal(refused, lang)?,
        }
    }
    household_page(&state, &viewer, unit, id, errors, None).await
}
