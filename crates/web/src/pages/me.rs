//! A volunteer's own pages (issue 13 §1, §3), made for a phone: their number, stars and hours
//! by year, the activities open to them to sign up for, their places (withdraw, ask for a
//! correction of the times), and the page the activity's code opens to sign in and out. The
//! account holds no grant: everything here is found through the volunteer linked to the
//! signed-in user, and an activity not open to them answers like one that does not exist.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::activity::{AttendanceStep, CorrectionInput, StarLevels, hours_text};
use serde::Deserialize;
use store::activities::{self, Activity, By, Correction, Place, VolunteerHours};
use store::volunteers::Volunteer;

/// The volunteer the signed-in user is; anyone else finds no such page.
pub async fn volunteer_of(state: &AppState, viewer: &Viewer) -> Result<Volunteer, AppError> {
    store::volunteers::of_user(&state.db, viewer.session.user.id)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    layout: Layout,
    v: Volunteer,
    hours: VolunteerHours,
    stars: usize,
    to_next: Option<i64>,
    levels: StarLevels,
    open: Vec<Activity>,
    places: Vec<(Place, String, String)>,
    corrections: Vec<Correction>,
    certificates: Vec<store::certificates::Certificate>,
    /// The activity whose form was refused, and why.
    refused_at: Option<i64>,
    errors: FieldErrors,
    notice: Option<String>,
}

impl MePage {
    fn hours(&self, minutes: &i64) -> String {
        hours_text(*minutes)
    }
    fn star_text(&self) -> String {
        "★".repeat(self.stars)
    }
    fn holds(&self, activity_id: &i64) -> bool {
        self.places
            .iter()
            .any(|(p, _, _)| p.activity_id == *activity_id && p.state.holds_place())
    }
    fn may_correct(&self, p: &Place) -> bool {
        matches!(
            p.state,
            domain::activity::Attendance::SignedOut | domain::activity::Attendance::Confirmed
        )
    }
    fn minute(&self, ms: &Option<i64>) -> String {
        ms.map(domain::activity::china_minute).unwrap_or_default()
    }
    fn refused_here(&self, activity_id: &i64) -> bool {
        self.refused_at == Some(*activity_id)
    }
    fn err(&self, activity_id: &i64, field: &str) -> &str {
        if self.refused_at == Some(*activity_id) {
            self.errors.get(field)
        } else {
            ""
        }
    }
}

async fn me_page(
    state: &AppState,
    viewer: &Viewer,
    refused_at: Option<i64>,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let v = volunteer_of(state, viewer).await?;
    let now = store::now_ms();
    let hours = activities::hours_of(&state.db, v.id).await?;
    let levels = activities::star_levels(&state.db, &v.org_path).await?;
    let open = activities::open_to(&state.db, &v, now, 30).await?;
    let places = activities::places_of(&state.db, v.id, 50).await?;
    let corrections = activities::corrections_of(&state.db, v.id).await?;
    let certificates = store::certificates::of_volunteer(&state.db, v.id).await?;
    let status = errors.status();
    Ok(render_as(
        &MePage {
            layout: Layout::new(&viewer.ctx, "/me"),
            stars: levels.stars(hours.minutes),
            to_next: levels.to_next(hours.minutes),
            v,
            hours,
            levels,
            open,
            places,
            corrections,
            certificates,
            refused_at,
            errors,
            notice,
        },
        status,
    ))
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn me(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let notice = q
        .done
        .as_deref()
        .filter(|d| ["signed_up", "withdrawn", "asked", "signed_in", "signed_out"].contains(d))
        .map(|d| viewer.ctx.lang.t(&format!("me.done.{d}")).into_owned());
    me_page(&state, &viewer, None, FieldErrors::default(), notice).await
}

fn done(what: &str) -> Response {
    Redirect::to(&format!("/me?done={what}")).into_response()
}

/// Signs the volunteer up for an activity open to them.
pub async fn sign_up(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let v = volunteer_of(&state, &viewer).await?;
    let mut errors = FieldErrors::default();
    match activities::sign_up(
        &state.db,
        &viewer.session.user.actor(),
        By::Volunteer(&v),
        id,
        v.id,
        store::now_ms(),
    )
    .await
    {
        Ok(_) => return Ok(done("signed_up")),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    me_page(&state, &viewer, Some(id), errors, None).await
}

/// Gives the place back before the activity.
pub async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let v = volunteer_of(&state, &viewer).await?;
    let mut errors = FieldErrors::default();
    let s = activities::Step {
        activity_id: id,
        volunteer_id: v.id,
        step: AttendanceStep::Withdraw,
        check_key: None,
        at_ms: store::now_ms(),
    };
    match activities::step(
        &state.db,
        &viewer.session.user.actor(),
        By::Volunteer(&v),
        &s,
    )
    .await
    {
        Ok(_) => return Ok(done("withdrawn")),
        Err(refused) => errors.add_refusal(refused, viewer.ctx.lang)?,
    }
    me_page(&state, &viewer, Some(id), errors, None).await
}

/// Asks the organiser to correct the times of a place.
pub async fn ask_correction(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    let v = volunteer_of(&state, &viewer).await?;
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = CorrectionInput {
        signed_in_at: form.get("signed_in_at").into(),
        signed_out_at: form.get("signed_out_at").into(),
        reason: form.get("reason").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(c) => {
            match activities::ask_correction(&state.db, &viewer.session.user.actor(), &v, id, &c)
                .await
            {
                Ok(_) => return Ok(done("asked")),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    me_page(&state, &viewer, Some(id), errors, None).await
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanPage {
    layout: Layout,
    v: Volunteer,
    a: Activity,
    place: Option<Place>,
    key: String,
    errors: FieldErrors,
}

impl ScanPage {
    fn may(&self, step: &str) -> bool {
        let Some(step) = AttendanceStep::parse(step) else {
            return false;
        };
        match &self.place {
            Some(p) => p.state.next(step).is_ok(),
            None => false,
        }
    }
}

#[derive(Deserialize)]
pub struct KeyQuery {
    k: Option<String>,
}

async fn scan_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    key: String,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let v = volunteer_of(state, viewer).await?;
    let a = activities::activity_for(&state.db, By::Volunteer(&v), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = activities::places_of(&state.db, v.id, 500)
        .await?
        .into_iter()
        .map(|(p, _, _)| p)
        .find(|p| p.activity_id == a.id);
    let status = errors.status();
    Ok(render_as(
        &ScanPage {
            layout: Layout::new(&viewer.ctx, &format!("/me/scan/{id}")),
            v,
            a,
            place,
            key,
            errors,
        },
        status,
    ))
}

/// What the activity's code opens on the volunteer's phone: sign in, or sign out.
pub async fn scan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<KeyQuery>,
) -> Result<Response, AppError> {
    let key = q.k.unwrap_or_default();
    scan_page(&state, &viewer, id, key, FieldErrors::default()).await
}

/// Signs in or out with the code's key, now.
pub async fn scan_step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    let v = volunteer_of(&state, &viewer).await?;
    let lang = viewer.ctx.lang;
    let key = form.get("k").to_string();
    let mut errors = FieldErrors::default();
    match AttendanceStep::parse(form.get("step"))
        .filter(|s| matches!(s, AttendanceStep::SignIn | AttendanceStep::SignOut))
    {
        None => errors.insert("step", lang.error("attendance_step_unknown")),
        Some(step) => {
            let s = activities::Step {
                activity_id: id,
                volunteer_id: v.id,
                step,
                check_key: Some(&key),
                at_ms: store::now_ms(),
            };
            match activities::step(
                &state.db,
                &viewer.session.user.actor(),
                By::Volunteer(&v),
                &s,
            )
            .await
            {
                Ok(_) => {
                    return Ok(done(if step == AttendanceStep::SignIn {
                        "signed_in"
                    } else {
                        "signed_out"
                    }));
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    scan_page(&state, &viewer, id, key, errors).await
}
