//! A unit's donors: the list, searched by name, phone (whole or its last digits) or credit code,
//! a page at a time; a donor's page with their whole giving inside the unit, publication
//! consent and masked ID; and the duplicate finder's groups side by side, merged from the page.

use super::filters;
use super::form_data::FormData;
use super::{DoneQuery, FieldErrors, Layout, Pager, SearchQuery, render, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Permission;
use domain::donor::{DonorKind, DonorSearch};
use store::donations::Channel;
use store::donors::{DONORS_PER_PAGE, DonorList, DonorSummary, DonorView};
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "donors.html")]
struct DonorsPage {
    layout: Layout,
    unit: OrgUnit,
    list: DonorList,
    search: String,
    pager: Pager,
}

impl DonorsPage {
    fn kind_name(&self, k: &DonorKind) -> String {
        self.layout.lang.label(*k)
    }
    fn day(&self, ms: &Option<i64>) -> String {
        ms.map(domain::time::china_day).unwrap_or_default()
    }
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let page = q.page();
    let list =
        store::donors::list(&state.db, unit.scope(), &DonorSearch::parse(&q.q), page).await?;
    let path = format!("/orgs/{}/donors", unit.unit().code);
    let pager = Pager::new(
        path.clone(),
        &[("q", &q.q)],
        page,
        list.found,
        DONORS_PER_PAGE,
    );
    Ok(render(&DonorsPage {
        layout: Layout::new(&viewer.ctx, &path),
        unit: unit.unit().clone(),
        list,
        search: q.q,
        pager,
    }))
}

#[derive(Template)]
#[template(path = "donor.html")]
struct DonorPage {
    layout: Layout,
    unit: OrgUnit,
    d: DonorView,
    notice: Option<String>,
}

impl DonorPage {
    fn kind_name(&self) -> String {
        self.layout.lang.label(self.d.kind)
    }
    fn day(&self, ms: &i64) -> String {
        domain::time::china_day(*ms)
    }
    fn channel(&self, c: &Channel) -> String {
        self.layout.lang.label(*c)
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
    Path((_, id)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let d = store::donors::view(&state.db, unit.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = (q.done.as_deref() == Some("merged"))
        .then(|| viewer.ctx.lang.t("donors.done_merged").into_owned());
    Ok(render(&DonorPage {
        layout: Layout::new(
            &viewer.ctx,
            &format!("/orgs/{}/donors/{id}", unit.unit().code),
        ),
        unit: unit.unit().clone(),
        d,
        notice,
    }))
}

#[derive(Template)]
#[template(path = "donor_duplicates.html")]
struct DuplicatesPage {
    layout: Layout,
    unit: OrgUnit,
    groups: Vec<Vec<DonorSummary>>,
    /// All groups found; the page shows the first [`GROUPS_SHOWN`].
    found: usize,
    can_merge: bool,
    errors: FieldErrors,
}

/// How many groups of possible duplicates one page shows (each merge shows the next).
const GROUPS_SHOWN: usize = 20;

/// The duplicate finder's groups: donors of the unit sharing a credit code or a phone.
pub async fn duplicates(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewMoney>,
) -> Result<Response, AppError> {
    duplicates_page(&state, &viewer, &unit, FieldErrors::default()).await
}

async fn duplicates_page<P: perm::Perm>(
    state: &AppState,
    viewer: &Viewer,
    unit: &InUnit<P>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let here = unit.unit();
    let mut groups = store::donors::duplicates(&state.db, unit.scope(), &here.org_path).await?;
    let found = groups.len();
    groups.truncate(GROUPS_SHOWN);
    let status = errors.status();
    Ok(render_as(
        &DuplicatesPage {
            layout: Layout::new(
                &viewer.ctx,
                &format!("/orgs/{}/donors/duplicates", here.code),
            ),
            unit: here.clone(),
            groups,
            found,
            can_merge: unit.may(Permission::ManageFunds),
            errors,
        },
        status,
    ))
}

/// Merges one donor into another: the gifts move, the duplicate points at the kept record.
pub async fn merge(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ManageFunds>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = |field| form.get(field).trim().parse::<i64>().ok();
    let merged = match (id("keep_id"), id("merge_id")) {
        (Some(keep), Some(merge)) => store::donors::merge(
            &state.db,
            &unit.user().actor(),
            unit.scope(),
            &unit.unit().org_path,
            keep,
            merge,
        )
        .await
        .map(|_| keep),
        // Two ids from the page's own form: anything else names no donor.
        _ => Err(domain::FieldError::new("merge_id", "donor_unknown").into()),
    };
    let mut errors = FieldErrors::default();
    match merged {
        Ok(keep) => {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/donors/{keep}?done=merged",
                unit.unit().code
            ))
            .into_response());
        }
        Err(e) => errors.add_refusal(e, viewer.ctx.lang)?,
    }
    duplicates_page(&state, &viewer, &unit, errors).await
}
