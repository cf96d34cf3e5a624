//! A unit's giving circles: 乡贤理事会 and enterprise alliances, with their members and what the
//! group and each member gave, made and kept on the page; and the year's 慈善合伙人 pledges,
//! signed on the page, with how far each is fulfilled as a chart.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::{Bar, percent_bars};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::donor::DonorKind;
use domain::money::Fen;
use serde::Deserialize;
use store::donors::{DonorGroup, Partnership};
use store::org_units::OrgUnit;

/// The make-a-group form as typed.
#[derive(Default)]
struct GroupForm {
    kind: String,
    name: String,
    credit_code: String,
}

#[derive(Template)]
#[template(path = "donor_groups.html")]
struct GroupsPage {
    layout: Layout,
    unit: OrgUnit,
    groups: Vec<DonorGroup>,
    can_manage: bool,
    notice: Option<String>,
    form: GroupForm,
    errors: FieldErrors,
    /// The group whose add-a-member form was refused, with what was typed.
    refused_group: Option<i64>,
    member: String,
}

impl GroupsPage {
    fn kind_name(&self, key: &str) -> String {
        DonorKind::parse(key)
            .map(|k| self.layout.lang.label(k))
            .unwrap_or_default()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        [DonorKind::XiangxianCouncil, DonorKind::EnterpriseAlliance]
            .into_iter()
            .map(|k| (k.key(), self.layout.lang.label(k)))
            .collect()
    }
    fn refused_here(&self, id: &i64) -> bool {
        self.refused_group == Some(*id)
    }
}

fn group_notice(viewer: &Viewer, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "group" => "groups.done_group",
        "member" => "groups.done_member",
        "removed" => "groups.done_removed",
        _ => return None,
    };
    Some(viewer.ctx.lang.t(key).into_owned())
}

pub async fn groups(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = group_notice(&viewer, q.done.as_deref());
    let shown = GroupsShown {
        notice,
        ..GroupsShown::default()
    };
    groups_page(&state, &viewer, &unit, shown).await
}

#[derive(Default)]
struct GroupsShown {
    notice: Option<String>,
    form: GroupForm,
    errors: FieldErrors,
    refused_group: Option<i64>,
    member: String,
}

async fn groups_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    shown: GroupsShown,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let groups = store::donors::groups(&state.db, unit.scope(), &here.org_path).await?;
    let status = shown.errors.status();
    Ok(render_as(
        &GroupsPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/donor-groups", here.code)),
            unit: here.clone(),
            groups,
            can_manage: unit.may(Permission::ManageFunds),
            notice: shown.notice,
            form: shown.form,
            errors: shown.errors,
            refused_group: shown.refused_group,
            member: shown.member,
        },
        status,
    ))
}

fn back_to_groups(unit: &OrgUnit, done: &str) -> Response {
    Redirect::to(&format!("/orgs/{}/donor-groups?done={done}", unit.code)).into_response()
}

/// Registers a 乡贤理事会 or an enterprise alliance at the unit.
pub async fn create_group(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = GroupForm {
        kind: form.get("kind").to_string(),
        name: form.get("name").to_string(),
        credit_code: form.get("credit_code").to_string(),
    };
    let mut errors = FieldErrors::default();
    match DonorKind::parse(&typed.kind) {
        None => errors.insert("kind", viewer.ctx.lang.error("group_kind_invalid")),
        Some(kind) => {
            let made = store::donors::create_group(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &unit.unit().code,
                kind,
                &typed.name,
                &typed.credit_code,
            )
            .await;
            match made {
                Ok(_) => return Ok(back_to_groups(unit.unit(), "group")),
                Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
            }
        }
    }
    let shown = GroupsShown {
        form: typed,
        errors,
        ..GroupsShown::default()
    };
    groups_page(&state, &viewer, &unit, shown).await
}

/// Adds the donor the clerk names (phone, credit code or name, matching exactly one of the
/// unit's donors) to a group.
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, group)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = form.get("member").to_string();
    let here = unit.unit();
    let mut errors = FieldErrors::default();
    match store::donors::the_one(&state.db, unit.scope(), &typed).await? {
        None => errors.insert("member", viewer.ctx.lang.error("member_not_one")),
        Some(member) => {
            let added = store::donors::add_member(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &here.org_path,
                group,
                member.id,
            )
            .await;
            match added {
                Ok(()) => return Ok(back_to_groups(here, "member")),
                Err(store::StoreError::Invalid(refused)) => {
                    // The store names its own fields; on this page there is one box.
                    for e in refused {
                        errors.insert("member", viewer.ctx.lang.error(e.code));
                    }
                }
                Err(store::StoreError::Conflict(_)) => {
                    errors.insert("member", viewer.ctx.lang.error("member_already"))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    groups_page(&state, &viewer, &unit, refused_member(group, typed, errors)).await
}

/// The page again with a group's member form refused beside its box, what was typed kept.
fn refused_member(group: i64, member: String, errors: FieldErrors) -> GroupsShown {
    GroupsShown {
        errors,
        refused_group: Some(group),
        member,
        ..GroupsShown::default()
    }
}

/// Takes a member out of a group; one who is not in it (or not the unit's) is refused alike.
pub async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    Path((_, group)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let removed = match form.get("member_id").trim().parse::<i64>() {
        Ok(member) => {
            store::donors::remove_member(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &unit.unit().org_path,
                group,
                member,
            )
            .await
        }
        Err(_) => Err(store::StoreError::NotFound),
    };
    match removed {
        Ok(()) => Ok(back_to_groups(unit.unit(), "removed")),
        Err(store::StoreError::NotFound) => {
            let mut errors = FieldErrors::default();
            errors.insert("member", viewer.ctx.lang.error("member_not_in_group"));
            let shown = refused_member(group, String::new(), errors);
            groups_page(&state, &viewer, &unit, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The sign-a-pledge form as typed.
#[derive(Default)]
struct PledgeForm {
    name: String,
    credit_code: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "pledges.html")]
struct PledgesPage {
    layout: Layout,
    unit: OrgUnit,
    year: i64,
    pledges: Vec<Partnership>,
    chart: String,
    can_manage: bool,
    notice: Option<String>,
    form: PledgeForm,
    errors: FieldErrors,
}

impl PledgesPage {
    fn percent(&self, p: &Partnership) -> String {
        let pm = domain::org::permille(p.fulfilled.fen(), p.pledge.fen());
        format!("{}.{}%", pm / 10, pm % 10)
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i64>,
    done: Option<String>,
}

use super::this_year;

pub async fn pledges(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = q.year.unwrap_or_else(this_year).clamp(2000, 2100);
    let notice = (q.done.as_deref() == Some("pledge"))
        .then(|| viewer.ctx.lang.t("pledges.done").into_owned());
    pledges_page(
        &state,
        &viewer,
        &unit,
        year,
        notice,
        PledgeForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn pledges_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    year: i64,
    notice: Option<String>,
    form: PledgeForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let pledges = store::donors::pledges(&state.db, unit.scope(), &here.org_path, year).await?;
    let bars: Vec<Bar<'_>> = pledges
        .iter()
        .map(|p| Bar {
            label: &p.name,
            permille: domain::org::permille(p.fulfilled.fen(), p.pledge.fen()),
        })
        .collect();
    let chart = if bars.is_empty() {
        String::new()
    } else {
        percent_bars(&viewer.ctx.lang.t("pledges.chart"), &bars)
    };
    let status = errors.status();
    Ok(render_as(
        &PledgesPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/pledges", here.code)),
            unit: here.clone(),
            year,
            chart,
            pledges,
            can_manage: unit.may(Permission::ManageFunds),
            notice,
            form,
            errors,
        },
        status,
    ))
}

/// Signs (or updates) an enterprise's pledge for this year with the unit.
pub async fn sign_pledge(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let typed = PledgeForm {
        name: form.get("name").to_string(),
        credit_code: form.get("credit_code").to_string(),
        amount: form.get("amount").to_string(),
    };
    let year = this_year();
    let mut errors = FieldErrors::default();
    match Fen::parse_yuan("amount", &typed.amount) {
        Err(e) => errors.add(vec![e], viewer.ctx.lang),
        Ok(amount) => {
            let signed = store::donors::pledge(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &unit.unit().code,
                &typed.name,
                &typed.credit_code,
                year,
                amount,
            )
            .await;
            match signed {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/orgs/{}/pledges?done=pledge",
                        unit.unit().code
                    ))
                    .into_response());
                }
                Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
            }
        }
    }
    pledges_page(&state, &viewer, &unit, year, None, typed, errors).await
}
