//! The beneficiary registry on pages (issue 12 §2, first part): the people of a unit's subtree
//! with their ID numbers masked, the form that registers one (told only "registered elsewhere"
//! when another part of the network has them), each person's page where the full number is read
//! with a reason, and the merges proposed to this unit.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::beneficiary::PersonInput;
use std::collections::HashMap;
use store::beneficiaries::Person;
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
    // What was typed comes back, but never the ID number.
    let mut kept = form.fields.clone();
    kept.remove("id_number");
    list_page(&state, &viewer, unit, errors, kept).await
}

#[derive(Template)]
#[template(path = "beneficiary.html")]
struct ShowPage {
    layout: Layout,
    unit: OrgUnit,
    p: Person,
    consents: Vec<store::beneficiaries::Consent>,
    can_reveal: bool,
    full: Option<String>,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

async fn show_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    full: Option<String>,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let p = store::beneficiaries::person(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let consents = store::beneficiaries::consents(&state.db, unit.scope(), id).await?;
    let can_reveal = unit.may(Permission::HandleNeeds);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ShowPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/beneficiaries/{id}")),
            unit: unit.into_unit(),
            p,
            consents,
            can_reveal,
            full,
            errors,
            notice,
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
    let notice = match q.done.as_deref() {
        Some(d @ ("registered" | "elsewhere")) => Some(
            viewer
                .ctx
                .lang
                .t(&format!("beneficiaries.done.{d}"))
                .into_owned(),
        ),
        _ => None,
    };
    show_page(
        &state,
        &viewer,
        unit,
        id,
        None,
        FieldErrors::default(),
        notice,
    )
    .await
}

/// The full ID number, with a reason that goes in the trail.
pub async fn reveal(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let full = match store::beneficiaries::reveal_id_number(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        form.get("reason"),
    )
    .await
    {
        Ok(n) => Some(n),
        Err(refused) => {
            errors.add_refusal(refused, viewer.ctx.lang)?;
            None
        }
    };
    show_page(&state, &viewer, unit, id, full, errors, None).await
}
