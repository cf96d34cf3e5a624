//! Culture sites on pages (issue 14 §5): a unit's sites and the counties below it without one;
//! a county records its site; a site's page records the activities held there and takes photos;
//! the public portal lists every site with its activities and photos.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, PageContext, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::culture::{EventInput, SiteInput, SiteKind};
use std::collections::HashMap;
use store::culture::{Event, Site};
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "culture.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    sites: Vec<Site>,
    without: Vec<OrgUnit>,
    can_record: bool,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl ListPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        SiteKind::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
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
    let sites = store::culture::sites(db, scope, &unit.unit().org_path).await?;
    let without = if unit.unit().level < domain::org::Level::County {
        store::culture::counties_without(db, scope, unit.unit()).await?
    } else {
        Vec::new()
    };
    let can_record =
        unit.may(Permission::EditOrgFacts) && unit.unit().level == domain::org::Level::County;
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/culture")),
            unit: unit.into_unit(),
            sites,
            without,
            can_record,
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

/// A county records its site.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let typed = SiteInput {
        kind: form.get("kind").into(),
        name: form.get("site_name").into(),
        location: form.get("location").into(),
        opened_on: form.get("opened_on").into(),
    };
    match typed.parse() {
        Err(refused) => errors.add(refused, lang),
        Ok(s) => {
            let code = unit.unit().code.clone();
            match store::culture::create(&state.db, &unit.user().actor(), unit.scope(), &code, &s)
                .await
            {
                Ok(made) => {
                    return Ok(
                        Redirect::to(&format!("/orgs/{code}/culture/{}", made.id)).into_response()
                    );
                }
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    list_page(&state, &viewer, unit, errors, form.fields.clone()).await
}

#[derive(Template)]
#[template(path = "culture_site.html")]
struct SitePage {
    layout: Layout,
    unit: OrgUnit,
    s: Site,
    events: Vec<Event>,
    can_record: bool,
    today: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
}

impl SitePage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn site_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    id: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let s = store::culture::site(db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let events = store::culture::events(db, scope, id).await?;
    let can_record = unit.may(Permission::EditOrgFacts);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &SitePage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/culture/{id}")),
            unit: unit.into_unit(),
            s,
            events,
            can_record,
            today: domain::time::china_day(store::now_ms()),
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
    site_page(
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
    Redirect::to(&format!("/orgs/{}/culture/{id}", unit.code)).into_response()
}

/// Records an activity held at the site.
pub async fn add_event(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let s = store::culture::site(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let typed = EventInput {
        held_on: form.get("held_on").into(),
        title: form.get("title").into(),
        visitors: form.get("visitors").into(),
    };
    match typed.parse(&s.opened_on, &domain::time::china_day(store::now_ms())) {
        Err(refused) => errors.add(refused, lang),
        Ok(e) => {
            match store::culture::add_event(&state.db, &unit.user().actor(), unit.scope(), id, &e)
                .await
            {
                Ok(()) => return Ok(back(unit.unit(), id)),
                Err(refused) => errors.add_refusal(refused, lang)?,
            }
        }
    }
    site_page(&state, &viewer, unit, id, errors, form.fields.clone()).await
}

/// Adds the photos chosen (each a PNG or JPEG of at most 5 MiB). All are checked before any is
/// kept: one of the wrong kind or size keeps none; one already there is said beside the field
/// (the new ones before it are kept).
pub async fn add_photos(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let files: Vec<_> = form.files("photo").collect();
    if files.is_empty() {
        errors.insert("photo", lang.error("evidence_empty"));
    }
    // Every file is checked before any is kept.
    for f in &files {
        match domain::evidence::check(&f.file_name, &f.bytes) {
            Err(e) => {
                errors.insert("photo", lang.error(e.code));
                break;
            }
            Ok(c) if !c.content_type.starts_with("image/") => {
                errors.insert("photo", lang.error("photo_not_image"));
                break;
            }
            Ok(_) => {}
        }
    }
    if errors.is_empty() {
        for f in &files {
            if let Err(refused) = store::culture::add_photo(
                &state.db,
                &unit.user().actor(),
                unit.scope(),
                id,
                &f.file_name,
                &f.bytes,
            )
            .await
            {
                errors.add_refusal(refused, lang)?;
                break;
            }
        }
    }
    if errors.is_empty() {
        return Ok(back(unit.unit(), id));
    }
    site_page(&state, &viewer, unit, id, errors, HashMap::new()).await
}

#[derive(Template)]
#[template(path = "public_culture.html")]
struct PublicList {
    layout: Layout,
    sites: Vec<Site>,
}

pub async fn public_list(
    State(state): State<AppState>,
    ctx: PageContext,
) -> Result<Response, AppError> {
    Ok(render_as(
        &PublicList {
            layout: Layout::new(&ctx, "/public/culture"),
            sites: store::culture::public_sites(&state.db).await?,
        },
        StatusCode::OK,
    ))
}

#[derive(Template)]
#[template(path = "public_culture_site.html")]
struct PublicSite {
    layout: Layout,
    s: Site,
    events: Vec<Event>,
}

pub async fn public_show(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (s, events) = store::culture::public_site(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(render_as(
        &PublicSite {
            layout: Layout::new(&ctx, &format!("/public/culture/{id}")),
            s,
            events,
        },
        StatusCode::OK,
    ))
}

/// A site's photo, for anyone: the stored bytes with the type their content showed.
pub async fn public_photo(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (content_type, bytes) = store::culture::photo(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ext = if content_type == "image/png" {
        "png"
    } else {
        "jpg"
    };
    Ok(super::download(
        &content_type,
        &format!("photo-{id}.{ext}"),
        &format!("photo-{id}.{ext}"),
        bytes,
    ))
}
