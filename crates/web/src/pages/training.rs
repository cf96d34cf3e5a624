//! Training on pages (issue 13 §5): a unit's courses (the tier is its level's) and who is
//! untrained below it; a course's sessions, attendance ticked per session, and certificates for
//! those who attended every one.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::training::{CourseInput, SessionInput, TrainingTier};
use std::collections::HashMap;
use store::org_units::OrgUnit;
use store::training::{Course, Session, Trainee, Untrained};

#[derive(Template)]
#[template(path = "training.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    tier: Option<TrainingTier>,
    courses: Vec<Course>,
    total: Untrained,
    by_child: Vec<(String, String, Untrained)>,
    chart: String,
    can_manage: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let courses = store::training::courses(db, scope, &unit.unit().org_path, 100).await?;
    let today = domain::time::china_day(store::now_ms());
    let (total, by_child) = store::training::untrained(db, scope, unit.unit(), &today).await?;
    let layout = Layout::new(&viewer.ctx, &format!("/orgs/{}/training", unit.unit().code));
    let chart = crate::charts::percent_bars(
        &layout.t("training.chart"),
        &by_child
            .iter()
            .filter(|(_, _, u)| u.volunteers + u.staff > 0)
            .map(|(_, name, u)| crate::charts::Bar {
                label: name,
                permille: domain::org::permille(
                    u.volunteers + u.staff - u.volunteers_untrained - u.staff_untrained,
                    u.volunteers + u.staff,
                ),
            })
            .collect::<Vec<_>>(),
    );
    let tier = TrainingTier::of_level(unit.unit().level);
    let can_manage = unit.may(Permission::ManageVolunteers) && tier.is_some();
    let status = errors.status();
    Ok(render_as(
        &ListPage {
            layout,
            unit: unit.into_unit(),
            tier,
            courses,
            total,
            by_child,
            chart,
            can_manage,
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

/// Creates a course at the unit (its tier, its level's).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = CourseInput {
        title: form.get("course_title").into(),
        content: form.get("content").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(c) => {
            let code = unit.unit().code.clone();
            match store::training::create(&state.db, &unit.user().actor(), unit.scope(), &code, &c)
                .await
            {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/training/{}", made.id)).into_response()
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage {
    layout: Layout,
    unit: OrgUnit,
    c: Course,
    sessions: Vec<Session>,
    trainees: Vec<Trainee>,
    can_manage: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl CoursePage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn hours(&self, minutes: &i64) -> String {
        domain::activity::hours_text(*minutes)
    }
    fn attended(&self, t: &Trainee, s: &Session) -> bool {
        t.attended.contains(&s.id)
    }
    fn today(&self) -> String {
        domain::time::china_day(store::now_ms())
    }
}

async fn course_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let c = store::training::course(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sessions = store::training::sessions(db, scope, id).await?;
    let trainees = store::training::trainees(db, scope, id, 300).await?;
    let can_manage = unit.may(Permission::ManageVolunteers);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &CoursePage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/training/{id}")),
            unit: unit.into_unit(),
            c,
            sessions,
            trainees,
            can_manage,
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
    course_page(
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
    Redirect::to(&format!("/orgs/{}/training/{id}#sessions", unit.code)).into_response()
}

/// Records a session held.
pub async fn add_session(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = SessionInput {
        held_on: form.get("held_on").into(),
        place: form.get("place").into(),
        hours: form.get("hours").into(),
    };
    match typed.parse(&domain::time::china_day(store::now_ms())) {
        Err(refused) => errors.add(refused, lang),
        Ok(s) => {
            match store::training::add_session(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &s,
            )
            .await
            {
                Ok(_) => return Ok(back(unit.unit(), id)),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    course_page(&state, &viewer, unit, id, errors, form.fields.clone()).await
}

/// Ticks who attended a session.
pub async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id, session)): Path<(String, i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    // One box per person, `trainee_{id}`: a form keeps one value per name.
    let mut ids: Vec<i64> = form
        .fields
        .iter()
        .filter(|(_, v)| v.as_str() == "1")
        .filter_map(|(k, _)| k.strip_prefix("trainee_")?.parse().ok())
        .collect();
    ids.sort_unstable();
    match store::training::record_attendance(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        id,
        session,
        &ids,
    )
    .await
    {
        Ok(_) => return Ok(back(unit.unit(), id)),
        Err(refused) => errors.add_refusal(refused, lang)?,
    }
    course_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

/// Certificates for everyone who attended every session.
pub async fn certify(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageVolunteers>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    match store::training::certify(&state.db, &unit.user().actor(), unit.scope(), id).await {
        Ok(_) => return Ok(back(unit.unit(), id)),
        Err(refused) => errors.add_refusal(refused, lang)?,
    }
    course_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}
