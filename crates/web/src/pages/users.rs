//! People and access, for the admins of a unit: the people of its subtree, a user's grants
//! (give and take, only inside the admin's scope), deactivation, a temporary password shown
//! once; and for everyone, changing their own password (forced after a reset).

use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, Pager, SearchQuery, render, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Role;
use serde::Deserialize;
use store::org_units::OrgUnit;
use store::users::admin::{self, NewGrant, NewPassword, NewPerson, People, Person};

/// The roles an admin hands out, in the order a form offers them.
fn role_options(lang: Lang) -> Vec<(&'static str, String)> {
    Role::ALL.iter().map(|r| (r.key(), lang.label(r))).collect()
}

#[derive(Default)]
struct NewPersonForm {
    username: String,
    display_name: String,
    role: String,
    org: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    found: People,
    search: String,
    pager: Pager,
    form: NewPersonForm,
    errors: FieldErrors,
}

impl ListPage {
    fn roles(&self) -> Vec<(&'static str, String)> {
        role_options(self.layout.lang)
    }

    fn role_name(&self, role: &Role) -> String {
        self.layout.lang.label(role)
    }
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<perm::ManageUsers>,
    search: String,
    page: i64,
    form: NewPersonForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let found = admin::people(&state.db, unit.scope(), &search, page).await?;
    let path = format!("/orgs/{}/users", unit.unit().code);
    let pager = Pager::new(
        path.clone(),
        &[("q", &search)],
        page,
        found.total,
        admin::PAGE_SIZE,
    );
    let status = errors.status();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &path),
            unit: unit.unit().clone(),
            found,
            search,
            pager,
            form,
            errors,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let form = NewPersonForm {
        role: Role::Staff.key().into(),
        org: unit.unit().code.clone(),
        ..Default::default()
    };
    let page = q.page();
    list_page(
        &state,
        &viewer,
        &unit,
        q.q,
        page,
        form,
        FieldErrors::default(),
    )
    .await
}

/// Makes a user; the answer is their page, with the temporary password shown this once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let submitted = NewPersonForm {
        username: form.get("username").trim().into(),
        display_name: form.get("display_name").trim().into(),
        role: form.get("role").into(),
        org: form.get("org").trim().into(),
    };
    let mut errors = FieldErrors::default();
    if submitted.display_name.is_empty() {
        errors.insert("display_name", lang.error("required"));
    }
    let role = Role::parse(&submitted.role);
    if role.is_none() {
        errors.insert("role", lang.error("role_unknown"));
    }
    if let (true, Some(role)) = (errors.is_empty(), role) {
        let made = admin::create(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &NewPerson {
                username: &submitted.username,
                display_name: &submitted.display_name,
                role,
                org_code: &submitted.org,
            },
        )
        .await;
        match made {
            Ok((id, password)) => {
                let shown = Shown::Password(password);
                return person_page(&state, &viewer, &unit, id, shown, FieldErrors::default())
                    .await;
            }
            Err(e) => errors.add_refusal(e, lang)?,
        }
    }
    list_page(&state, &viewer, &unit, String::new(), 0, submitted, errors).await
}

/// What a user's page says after an action.
enum Shown {
    Nothing,
    /// A temporary password, this once.
    Password(String),
    /// "Done", by the action's name.
    Done(String),
}

#[derive(Template)]
#[template(path = "user.html")]
struct PersonPage {
    layout: Layout,
    unit: OrgUnit,
    person: Person,
    password: Option<String>,
    done: Option<String>,
    own: bool,
    errors: FieldErrors,
    grant_role: String,
    grant_org: String,
}

impl PersonPage {
    fn roles(&self) -> Vec<(&'static str, String)> {
        role_options(self.layout.lang)
    }

    fn role_name(&self, role: &Role) -> String {
        self.layout.lang.label(role)
    }
}

async fn person_page(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<perm::ManageUsers>,
    id: i64,
    shown: Shown,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let person = admin::person(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = viewer.ctx.lang;
    let (password, done) = match shown {
        Shown::Nothing => (None, None),
        Shown::Password(p) => (Some(p), None),
        Shown::Done(action) => (None, lang.t_opt(&format!("users.done.{action}"))),
    };
    let status = errors.status();
    Ok(render_as(
        &PersonPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/users/{id}", unit.unit().code),
            ),
            unit: unit.unit().clone(),
            own: person.id == unit.user().id,
            person,
            password,
            done,
            errors,
            grant_role: Role::Staff.key().into(),
            grant_org: unit.unit().code.clone(),
        },
        status,
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = match q.done {
        // Only the actions this page names: anything else in the address is not echoed.
        Some(d) if ["grant", "revoke", "active", "inactive"].contains(&d.as_str()) => {
            Shown::Done(d)
        }
        _ => Shown::Nothing,
    };
    person_page(&state, &viewer, &unit, id, shown, FieldErrors::default()).await
}

fn done(unit: &InUnit<perm::ManageUsers>, user_id: i64, action: &str) -> Response {
    Redirect::to(&format!(
        "/orgs/{}/users/{user_id}?done={action}",
        unit.unit().code
    ))
    .into_response()
}

/// Gives the user a role at a unit inside the admin's scope.
pub async fn give_grant(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match Role::parse(form.get("role")) {
        None => errors.insert("role", lang.error("role_unknown")),
        Some(role) => {
            let given = admin::give_grant(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                &NewGrant {
                    user_id: id,
                    role,
                    org_code: form.get("org"),
                },
            )
            .await;
            match given {
                Ok(_) => return Ok(done(&unit, id, "grant")),
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
    }
    person_page(&state, &viewer, &unit, id, Shown::Nothing, errors).await
}

/// Takes a grant (named by its id) inside the admin's scope.
pub async fn take_grant(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Path((_, grant)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    match admin::take_grant(&state.db, &unit.user().actor(), unit.scope(), grant).await {
        Ok(user_id) => Ok(done(&unit, user_id, "revoke")),
        // Only one's own grant is refused: shown on one's own page.
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add_refusal(e, lang)?;
            let own = unit.user().id;
            person_page(&state, &viewer, &unit, own, Shown::Nothing, errors).await
        }
    }
}

/// Deactivates the user or makes them active again.
pub async fn set_active(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let active = match form.get("to") {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    match active {
        None => errors.insert("account", lang.error("user_state_invalid")),
        Some(active) => {
            let actor = unit.user().actor();
            match admin::set_active(&state.db, &actor, unit.scope(), id, active).await {
                Ok(()) => {
                    return Ok(done(&unit, id, if active { "active" } else { "inactive" }));
                }
                Err(e) => errors.add_refusal(e, lang)?,
            }
        }
    }
    person_page(&state, &viewer, &unit, id, Shown::Nothing, errors).await
}

/// Sets a temporary password and shows it this once.
pub async fn reset_password(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageUsers>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    match admin::reset_password(&state.db, &unit.user().actor(), unit.scope(), id).await {
        Ok(password) => {
            let shown = Shown::Password(password);
            person_page(&state, &viewer, &unit, id, shown, FieldErrors::default()).await
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add_refusal(e, lang)?;
            person_page(&state, &viewer, &unit, id, Shown::Nothing, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    changed: bool,
    errors: FieldErrors,
}

fn password_page(viewer: &Viewer, changed: bool, errors: FieldErrors) -> Response {
    let status = errors.status();
    render_as(
        &PasswordPage {
            layout: Layout::new(&viewer.ctx, super::PASSWORD_PATH),
            forced: viewer.session.user.must_change_password,
            changed,
            errors,
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct ChangedQuery {
    changed: Option<String>,
}

pub async fn password(viewer: Viewer, Query(q): Query<ChangedQuery>) -> Response {
    password_page(&viewer, q.changed.is_some(), FieldErrors::default())
}

/// The user changes their own password; their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    if form.get("new_password") != form.get("repeat_password") {
        errors.insert("repeat_password", lang.error("password_mismatch"));
    } else {
        let changed = admin::change_password(
            &state.db,
            &viewer.session.user,
            viewer.ctx.token.as_deref().unwrap_or_default(),
            &NewPassword {
                current: form.get("current_password"),
                new: form.get("new_password"),
            },
            &state.config.sign_in,
        )
        .await;
        match changed {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("{}?changed=1", super::PASSWORD_PATH)).into_response()
                );
            }
            Err(e) => errors.add_refusal(e, lang)?,
        }
    }
    Ok(password_page(&viewer, false, errors))
}

/// Signed in with no grant at all (every one was taken): nothing to show but that.
#[derive(Template)]
#[template(path = "no_grants.html")]
struct NoGrantsPage {
    layout: Layout,
}

pub fn no_grants(ctx: &crate::auth::PageContext) -> Response {
    render(&NoGrantsPage {
        layout: Layout::new(ctx, "/"),
    })
}
