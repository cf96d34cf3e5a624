//! Agency lists on pages (issue 12 §3): a county officer uploads a roster, maps its columns in
//! a preview (each column's guessed meaning shown, and whether the match keeps anything of it),
//! names the list, its legal basis and impact assessment, and matches it; the import's page
//! reports the rows skipped with their reasons. The unit's page lists its imports, hands out
//! the blind-index values of its registry, and shows the people identified but not yet helped
//! per unit below, as a chart and a list.

use super::form_data::FormData;
use super::{FieldErrors, Layout, download, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::charts::count_bars;
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::agency::{Gap, ImportInput, ListKind, Skip};
use std::collections::HashMap;
use store::agency_lists::{AgencyImport, Upload};
use store::beneficiaries::Person;
use store::org_units::OrgUnit;
use xfer::roster::{Meaning, RosterColumns};

const SHOWN: i64 = 200;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub gap: String,
}

#[derive(Template)]
#[template(path = "agency_lists.html")]
struct ListPage {
    layout: Layout,
    unit: OrgUnit,
    today: String,
    imports: Vec<AgencyImport>,
    /// Rosters staged here, waiting for their columns to be mapped.
    pending: Vec<Upload>,
    gap: Gap,
    /// Each gap with how many people it holds.
    gaps: Vec<(Gap, i64)>,
    people: Vec<Person>,
    total: i64,
    chart: String,
    /// (unit name, count) per unit one level below.
    per_unit: Vec<(String, i64)>,
    can_handle: bool,
    errors: FieldErrors,
}

impl ListPage {
    fn gap_label(&self, g: &Gap) -> String {
        self.layout
            .t(&format!("agency.gap.{}", g.key()))
            .into_owned()
    }
}

async fn list_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<P>,
    gap: Gap,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let (db, scope) = (&state.db, unit.scope());
    let path = unit.unit().org_path.clone();
    let today = domain::time::china_day(store::now_ms());
    let imports = store::agency_lists::imports(db, scope, &path, 50).await?;
    let pending = store::agency_lists::pending(db, scope, &path, store::now_ms()).await?;
    // Each gap counted once; the chosen one's people read with its count.
    let (mut gaps, mut people, mut total) = (Vec::new(), Vec::new(), 0);
    for g in Gap::ALL {
        let shown = if g == gap { SHOWN } else { 0 };
        let (list, n) = store::agency_lists::identified(db, scope, &path, g, &today, shown).await?;
        if g == gap {
            (people, total) = (list, n);
        }
        gaps.push((g, n));
    }
    let below: Vec<(String, String, String)> = store::org_units::children(db, scope, unit.unit())
        .await?
        .into_iter()
        .map(|c| (c.unit.code, c.unit.org_path, c.unit.name))
        .collect();
    let counts = store::agency_lists::identified_per_unit(
        db,
        scope,
        &path,
        gap,
        &today,
        &below
            .iter()
            .map(|(code, path, _)| (code.clone(), path.clone()))
            .collect::<Vec<_>>(),
    )
    .await?;
    let per_unit: Vec<(String, i64)> = below
        .iter()
        .zip(&counts)
        .map(|((_, _, name), (_, n))| (name.clone(), *n))
        .collect();
    let chart = if per_unit.iter().any(|(_, n)| *n > 0) {
        let bars: Vec<(&str, i64)> = per_unit.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        count_bars(
            &viewer.ctx.lang.t(&format!("agency.gap.{}", gap.key())),
            &bars,
        )
    } else {
        String::new()
    };
    let can_handle = unit.may(Permission::HandleNeeds);
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ListPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/agency-lists")),
            unit: unit.into_unit(),
            today,
            imports,
            pending,
            gap,
            gaps,
            people,
            total,
            chart,
            per_unit,
            can_handle,
            errors,
        },
        status,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let gap = Gap::parse(&q.gap).unwrap_or(Gap::CollegeWithoutAid);
    list_page(&state, &viewer, unit, gap, FieldErrors::default()).await
}

/// Stages an uploaded roster and opens its mapping preview; a file that cannot be read is
/// refused beside the file field, nothing kept.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut errors = FieldErrors::default();
    let Some(file) = form.files("file").next() else {
        errors.insert("file", lang.error("roster_file_missing"));
        return list_page(&state, &viewer, unit, Gap::CollegeWithoutAid, errors).await;
    };
    let shape = match xfer::roster::shape(&file.file_name, &file.bytes) {
        Ok(s) => s,
        Err(e) => {
            errors.insert("file", format!("{e}。{}", lang.t("facts.nothing_saved")));
            return list_page(&state, &viewer, unit, Gap::CollegeWithoutAid, errors).await;
        }
    };
    let staged = store::agency_lists::stage(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &store::agency_lists::NewUpload {
            org_code: unit.unit().code.clone(),
            file_name: file.file_name.clone(),
            headers: shape.headers,
            rows: shape.rows,
            bytes: &file.bytes,
        },
        store::now_ms(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/agency-lists/uploads/{}",
        unit.unit().code,
        staged.id
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "agency_upload.html")]
struct UploadPage {
    layout: Layout,
    unit: OrgUnit,
    up: Upload,
    typed: HashMap<String, String>,
    errors: FieldErrors,
}

impl UploadPage {
    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
    /// Each header with what it seems to be and whether a match keeps anything of it.
    fn columns(&self) -> Vec<(usize, String, String, bool)> {
        self.up
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let meaning = xfer::roster::guess(h);
                let label = meaning
                    .map(|m| self.layout.t(&format!("agency.meaning.{}", meaning_key(m))))
                    .unwrap_or_else(|| self.layout.t("agency.meaning.unknown"));
                (
                    i,
                    h.clone(),
                    label.into_owned(),
                    meaning.is_some_and(Meaning::is_read),
                )
            })
            .collect()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        ListKind::ALL
            .into_iter()
            .map(|k| (k.key(), self.layout.label(k)))
            .collect()
    }
    /// The column preselected for `field`: what was chosen, else the guess.
    fn chosen(&self, field: &str, i: &usize) -> bool {
        match self.typed.get(field) {
            Some(v) => v == &i.to_string(),
            None => {
                let wanted: &[Meaning] = match field {
                    "id_column" => &[Meaning::IdNumber, Meaning::BlindIndex],
                    "division_column" => &[Meaning::Division],
                    "category_column" => &[Meaning::Category],
                    _ => &[],
                };
                self.up
                    .headers
                    .iter()
                    .position(|h| xfer::roster::guess(h).is_some_and(|m| wanted.contains(&m)))
                    == Some(*i)
            }
        }
    }
}

fn meaning_key(m: Meaning) -> &'static str {
    match m {
        Meaning::IdNumber => "id_number",
        Meaning::BlindIndex => "blind_index",
        Meaning::Name => "name",
        Meaning::HouseholdHead => "household_head",
        Meaning::HouseholdSize => "household_size",
        Meaning::Amount => "amount",
        Meaning::Division => "division",
        Meaning::Category => "category",
    }
}

async fn upload_page(
    state: &AppState,
    viewer: &Viewer,
    unit: InUnit<perm::HandleNeeds>,
    id: i64,
    typed: HashMap<String, String>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let up = store::agency_lists::upload(
        &state.db,
        unit.scope(),
        &unit.unit().org_path,
        id,
        store::now_ms(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let status = errors.status();
    let code = unit.unit().code.clone();
    Ok(render_as(
        &UploadPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{code}/agency-lists/uploads/{id}"),
            ),
            unit: unit.into_unit(),
            up,
            typed,
            errors,
        },
        status,
    ))
}

pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    upload_page(
        &state,
        &viewer,
        unit,
        id,
        HashMap::new(),
        FieldErrors::default(),
    )
    .await
}

/// A column chosen on the form: its index among the headers, or None for "none".
fn column(form: &FormData, field: &str, headers: usize) -> Result<Option<usize>, ()> {
    match form.get(field).trim() {
        "" => Ok(None),
        typed => match typed.parse::<usize>() {
            Ok(i) if i < headers => Ok(Some(i)),
            _ => Err(()),
        },
    }
}

/// Matches the staged roster with the columns and the list named on the form; every problem
/// beside its field, nothing stored until all are right.
pub async fn match_roster(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::HandleNeeds>,
    Path((_, id)): Path<(String, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let now = store::now_ms();
    let today = domain::time::china_day(now);
    let path = unit.unit().org_path.clone();
    let up = store::agency_lists::upload(&state.db, unit.scope(), &path, id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    let headers = up.headers.len();
    let id_column = column(&form, "id_column", headers);
    let division = column(&form, "division_column", headers);
    let category = column(&form, "category_column", headers);
    let id_column = match id_column {
        Ok(Some(i)) => Some(i),
        _ => {
            errors.insert("id_column", lang.error("roster_id_column_missing"));
            None
        }
    };
    if division.is_err() {
        errors.insert("division_column", lang.error("roster_column_unknown"));
    }
    if category.is_err() {
        errors.insert("category_column", lang.error("roster_column_unknown"));
    }
    let list = ImportInput {
        kind: form.get("kind").into(),
        source: form.get("source").into(),
        legal_basis: form.get("legal_basis").into(),
        purpose: form.get("purpose").into(),
        necessity: form.get("necessity").into(),
        risks: form.get("risks").into(),
        measures: form.get("measures").into(),
        assessed_on: form.get("assessed_on").into(),
        valid_until: form.get("valid_until").into(),
    }
    .parse(&today);
    let list = match list {
        Ok(l) => Some(l),
        Err(refused) => {
            errors.add(refused, lang);
            None
        }
    };
    let (Some(id_col), Some(list), Ok(division), Ok(category), true) =
        (id_column, list, division, category, errors.is_empty())
    else {
        return upload_page(&state, &viewer, unit, id, form.fields.clone(), errors).await;
    };
    let by_blind_index = xfer::roster::guess(&up.headers[id_col]) == Some(Meaning::BlindIndex);
    let bytes = store::agency_lists::staged_file(&state.db, unit.scope(), &path, id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let columns = RosterColumns {
        id: id_col,
        id_is_index: by_blind_index,
        division,
        category,
    };
    let rows = match xfer::roster::read(&up.file_name, &bytes, &columns) {
        Ok(rows) => rows,
        Err(e) => {
            errors.insert("id_column", e.to_string());
            return upload_page(&state, &viewer, unit, id, form.fields.clone(), errors).await;
        }
    };
    let report = store::agency_lists::match_roster(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &store::agency_lists::NewMatch {
            upload_id: id,
            unit_path: path,
            list,
            by_blind_index,
            rows: &rows,
        },
        &today,
        now,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/orgs/{}/agency-lists/{}?done=matched",
        unit.unit().code,
        report.import_id
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "agency_import.html")]
struct ImportPage {
    layout: Layout,
    unit: OrgUnit,
    i: AgencyImport,
    skips: Vec<(i64, Skip)>,
    today: String,
    notice: Option<String>,
}

impl ImportPage {
    fn skip_label(&self, s: &Skip) -> String {
        self.layout
            .t(&format!("agency.skip.{}", s.key()))
            .into_owned()
    }
    fn skip_column(&self, s: &Skip) -> String {
        self.layout
            .t(&format!("agency.column.{}", s.column()))
            .into_owned()
    }
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewOrg>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (i, skips) = store::agency_lists::import(&state.db, unit.scope(), id, 500)
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = (q.done.as_deref() == Some("matched"))
        .then(|| viewer.ctx.lang.t("agency.done.matched").into_owned());
    let code = unit.unit().code.clone();
    Ok(render_as(
        &ImportPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{code}/agency-lists/{id}")),
            unit: unit.into_unit(),
            i,
            skips,
            today: domain::time::china_day(store::now_ms()),
            notice,
        },
        axum::http::StatusCode::OK,
    ))
}

/// The blind-index values of the unit's registry, as CSV: one column, nothing else.
pub async fn blind_index(
    State(state): State<AppState>,
    unit: InUnit<perm::HandleNeeds>,
) -> Result<Response, AppError> {
    let values = store::agency_lists::export_blind_index(
        &state.db,
        &unit.user().actor(),
        unit.scope(),
        &unit.unit().org_path,
    )
    .await?;
    let rows: Vec<Vec<xfer::export::Cell>> = values
        .into_iter()
        .map(|v| vec![xfer::export::Cell::Text(v)])
        .collect();
    let bytes = xfer::export::write_table(xfer::export::Format::Csv, "盲索引", &["盲索引"], &rows)
        .map_err(AppError::Internal)?;
    let code = &unit.unit().code;
    Ok(download(
        xfer::export::Format::Csv.content_type(),
        &format!("blind-index-{code}.csv"),
        &format!("{}受助人盲索引.csv", unit.unit().name),
        bytes,
    ))
}
