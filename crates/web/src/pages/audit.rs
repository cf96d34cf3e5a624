//! The audit trail, for auditors and admins: filtered by unit (the page's unit and its
//! subtree), user and China-time dates.

use super::{Layout, render};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::FieldError;
use serde::Deserialize;
use store::audit::{self, AuditEntry, AuditFilter};
use store::org_units::OrgUnit;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    unit: OrgUnit,
    q: AuditQuery,
    entries: Vec<AuditEntry>,
    error: Option<String>,
}

impl AuditPage {
    fn action_name(&self, action: &str) -> String {
        let key = format!("audit.action.{action}");
        let t = self.layout.t(&key);
        if t.ends_with(&key) {
            action.to_string()
        } else {
            t.into_owned()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub const AUDIT_PAGE_ROWS: i64 = 200;

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewAudit>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let mut filter = AuditFilter {
        org_path: Some(unit.unit().org_path.clone()),
        actor: Some(q.user.trim().to_string()).filter(|u| !u.is_empty()),
        limit: AUDIT_PAGE_ROWS,
        ..Default::default()
    };
    let mut error = None;
    for (field, value) in [("from", &q.from), ("to", &q.to)] {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match (domain::time::china_day_range_ms(value), field) {
            (Some((start, _)), "from") => filter.from_ms = Some(start),
            (Some((_, end)), _) => filter.until_ms = Some(end),
            (None, _) => error = Some(lang.field_error(&FieldError::new(field, "date_invalid"))),
        }
    }
    let entries = if error.is_none() {
        audit::list(&state.db, unit.scope(), &filter).await?
    } else {
        Vec::new()
    };
    Ok(render(&AuditPage {
        layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/audit", unit.unit().code)),
        unit: unit.into_unit(),
        q,
        entries,
        error,
    }))
}
