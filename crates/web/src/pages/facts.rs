//! Bulk "三有" facts from a spreadsheet (issue 10 §7): a county downloads the template (its
//! units, filled with what each has now), fills it in, uploads it, sees every row's problems
//! and changes, and confirms; nothing is saved before that, and nothing at all while a row is
//! wrong.

use super::form_data::FormData;
use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::org::UnitFacts;
use serde::Deserialize;
use store::facts_uploads::{Preview, PreviewRow};
use store::org_units::OrgUnit;
use xfer::export::{Cell, Format, write_table};
use xfer::facts::TEMPLATE_HEADERS;

/// Rows of each kind a preview lists (the rest are counted): keeps the page light on a phone.
const SHOWN_ROWS: usize = 100;

#[derive(Template)]
#[template(path = "facts.html")]
struct FactsPage {
    layout: Layout,
    unit: OrgUnit,
    errors: FieldErrors,
    preview: Option<Preview>,
    /// (units changed, units newly set up) after a confirmation.
    applied: Option<(usize, usize)>,
}

impl FactsPage {
    fn wrong(&self) -> Vec<&PreviewRow> {
        self.preview
            .iter()
            .flat_map(|p| &p.rows)
            .filter(|r| !r.errors.is_empty())
            .take(SHOWN_ROWS)
            .collect()
    }
    fn changed(&self) -> Vec<&PreviewRow> {
        self.preview
            .iter()
            .flat_map(|p| &p.rows)
            .filter(|r| r.changes())
            .take(SHOWN_ROWS)
            .collect()
    }
    fn more(&self, shown: usize, all: usize) -> usize {
        all.saturating_sub(shown)
    }
    /// Each problem of a row in the visitor's words: "负责人电话：电话号码格式不对…".
    fn problems(&self, r: &PreviewRow) -> String {
        self.layout.lang.field_errors(&r.errors)
    }
    /// What a row changes, field by field, phones masked.
    fn change(&self, r: &PreviewRow) -> Vec<(String, String, String)> {
        let (Some(b), Some(a)) = (&r.before, &r.after) else {
            return Vec::new();
        };
        let t = |k: &str| self.layout.t(k).into_owned();
        let mask = domain::text::mask_phone;
        let mut out = Vec::new();
        let mut field = |key: &str, before: String, after: String| {
            if before != after {
                out.push((t(key), before, after));
            }
        };
        field(
            "field.site_address",
            b.site_address.clone(),
            a.site_address.clone(),
        );
        field(
            "field.leader_name",
            b.leader_name.clone(),
            a.leader_name.clone(),
        );
        field(
            "field.leader_phone",
            mask(&b.leader_phone),
            mask(&a.leader_phone),
        );
        field(
            "field.service_teams",
            b.service_teams.to_string(),
            a.service_teams.to_string(),
        );
        field(
            "field.contact_phone",
            mask(&b.contact_phone),
            mask(&a.contact_phone),
        );
        out
    }
}

#[derive(Deserialize)]
pub struct FactsQuery {
    upload: Option<i64>,
    changed: Option<usize>,
    set_up: Option<usize>,
}

/// The upload form, and a staged upload's preview (`?upload=`).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    Query(q): Query<FactsQuery>,
) -> Result<Response, AppError> {
    let preview = match q.upload {
        Some(id) => Some(
            store::facts_uploads::preview(
                &state.db,
                unit.scope(),
                &unit.unit().org_path,
                id,
                store::now_ms(),
            )
            .await?
            .ok_or(AppError::NotFound)?
            .0,
        ),
        None => None,
    };
    let applied = q.changed.map(|c| (c, q.set_up.unwrap_or(0)));
    Ok(page(
        &viewer,
        unit.into_unit(),
        FieldErrors::default(),
        preview,
        applied,
    ))
}

fn page(
    viewer: &Viewer,
    unit: OrgUnit,
    errors: FieldErrors,
    preview: Option<Preview>,
    applied: Option<(usize, usize)>,
) -> Response {
    let status = errors.status();
    render_as(
        &FactsPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/facts", unit.code)),
            unit,
            errors,
            preview,
            applied,
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    #[serde(default)]
    format: String,
}

/// The template: every unit of the subtree with what it has now.
pub async fn template(
    State(state): State<AppState>,
    unit: InUnit<perm::EditOrgFacts>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, AppError> {
    let format =
        Format::parse(&q.format).ok_or(AppError::invalid("format", "export_format_invalid"))?;
    let units =
        store::facts_uploads::template_units(&state.db, unit.scope(), &unit.unit().org_path)
            .await?;
    let text = |s: &str| Cell::Text(s.to_string());
    let rows: Vec<Vec<Cell>> = units
        .iter()
        .map(|u| {
            let f: &UnitFacts = &u.facts;
            vec![
                text(&u.code),
                text(&u.name),
                text(&f.site_address),
                text(&f.leader_name),
                text(&f.leader_phone),
                Cell::Int(f.service_teams),
                text(&f.contact_phone),
            ]
        })
        .collect();
    let bytes =
        write_table(format, "三有", &TEMPLATE_HEADERS, &rows).map_err(AppError::Internal)?;
    let ascii = format!("facts-{}.{}", unit.unit().code, format.extension());
    let name = format!("{}三有信息.{}", unit.unit().name, format.extension());
    Ok(super::download(format.content_type(), &ascii, &name, bytes))
}

/// Reads and stages an upload, then shows its preview (or the file's problem beside the field).
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let Some(file) = form.files("file").next() else {
        errors.insert("file", lang.error("facts_file_missing"));
        return Ok(page(&viewer, unit.into_unit(), errors, None, None));
    };
    let rows = match xfer::facts::read_facts_bytes(&file.file_name, &file.bytes) {
        Ok(rows) => rows,
        Err(e) => {
            errors.insert("file", format!("{e}。{}", lang.t("facts.nothing_saved")));
            return Ok(page(&viewer, unit.into_unit(), errors, None, None));
        }
    };
    let staged = store::facts_uploads::stage(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &unit.unit().org_path,
        &file.file_name,
        &rows,
        store::now_ms(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/facts?upload={}#preview",
        unit.unit().code,
        staged.id
    ))
    .into_response())
}

/// Applies a staged upload whose rows are all right.
pub async fn apply(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::EditOrgFacts>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let path = unit.unit().org_path.clone();
    let now = store::now_ms();
    match store::facts_uploads::apply(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &path,
        id,
        now,
    )
    .await
    {
        Ok(a) => Ok(Redirect::to(&format!(
            "/orgs/{}/facts?changed={}&set_up={}",
            unit.unit().code,
            a.changed,
            a.set_up
        ))
        .into_response()),
        Err(store::StoreError::Invalid(refused)) => {
            let mut errors = FieldErrors::default();
            errors.add(refused, viewer.ctx.lang);
            let preview = store::facts_uploads::preview(&state.db, unit.scope(), &path, id, now)
                .await?
                .map(|p| p.0);
            Ok(page(&viewer, unit.into_unit(), errors, preview, None))
        }
        Err(e) => Err(e.into()),
    }
}
