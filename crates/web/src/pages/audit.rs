//! The audit trail, for auditors and admins: every entry in the unit's subtree, a page at a time
//! (newest first, then older), filtered by a unit below, user, action and China-time dates;
//! each change shown field by field (before → after, Chinese labels, personal data masked);
//! and the filtered trail as an XLSX file.

use super::{FieldErrors, Layout, render_as};
use crate::AppState;
use crate::auth::{InUnit, Viewer, perm};
use crate::error::AppError;
use crate::i18n::Lang;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use domain::FieldError;
use serde::Deserialize;
use store::audit::{self, AuditEntry, AuditFilter};
use store::org_units::OrgUnit;
use xfer::export::{Cell, Format, write_table};

/// One field of a change, as the page and the export show it.
pub struct FieldChange {
    pub label: String,
    pub before: String,
    pub after: String,
}

/// A value as it may be shown: phones and ID numbers masked, text as it is, the rest as JSON.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) if domain::org::is_phone(s) => domain::text::mask_phone(s),
        serde_json::Value::String(s) if domain::donor::id_number("v", s).is_ok() => {
            domain::donor::mask_id_number(s)
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An object's fields, nested objects opened (`{"facts": {"leader_phone": …}}` gives
/// `leader_phone`), in order.
fn fields(v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    if let Some(map) = v.as_object() {
        for (k, v) in map {
            if v.is_object() {
                fields(v, out);
            } else {
                out.push((k.clone(), v.clone()));
            }
        }
    }
}

/// What an entry changed, field by field: with both sides, the fields that differ; with one
/// (a creation, a deletion), all of its fields.
fn changes(lang: Lang, e: &AuditEntry) -> Vec<FieldChange> {
    let parse = |j: &Option<String>| {
        j.as_deref()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    };
    let (before, after) = (parse(&e.before_json), parse(&e.after_json));
    let mut b = Vec::new();
    let mut a = Vec::new();
    before.iter().for_each(|v| fields(v, &mut b));
    after.iter().for_each(|v| fields(v, &mut a));
    let mut keys: Vec<&String> = b.iter().map(|(k, _)| k).collect();
    keys.extend(
        a.iter()
            .map(|(k, _)| k)
            .filter(|k| !b.iter().any(|(x, _)| x == *k)),
    );
    let get = |side: &[(String, serde_json::Value)], k: &str| {
        side.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone())
    };
    keys.into_iter()
        .filter_map(|k| {
            let (old, new) = (get(&b, k), get(&a, k));
            if old.is_some() && new.is_some() && old == new {
                return None;
            }
            Some(FieldChange {
                label: lang
                    .t_opt(&format!("field.{k}"))
                    .unwrap_or_else(|| k.clone()),
                before: old.as_ref().map(shown).unwrap_or_default(),
                after: new.as_ref().map(shown).unwrap_or_default(),
            })
        })
        .collect()
}

fn action_name(lang: Lang, action: &str) -> String {
    lang.t_opt(&format!("audit.action.{action}"))
        .unwrap_or_else(|| action.to_string())
}

/// An entry with its changes read.
pub struct Row {
    pub e: AuditEntry,
    pub action: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    unit: OrgUnit,
    q: AuditQuery,
    actions: Vec<(String, String)>,
    rows: Vec<Row>,
    errors: FieldErrors,
    /// The address of the next, older page, if there is one.
    older: Option<String>,
    /// The filter as an address query, for the export link and the paging.
    query: String,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    format: String,
}

pub const AUDIT_PAGE_ROWS: i64 = 100;
/// At most this many entries go into one export file.
pub const AUDIT_EXPORT_ROWS: i64 = 50_000;

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    unit: InUnit<perm::ViewAudit>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let lang = viewer.ctx.lang;
    let here = unit.unit();
    let mut errors = FieldErrors::default();
    let mut filter = AuditFilter {
        org_path: Some(here.org_path.clone()),
        actor: Some(q.user.trim().to_string()).filter(|u| !u.is_empty()),
        action: Some(q.action.trim().to_string()).filter(|a| !a.is_empty()),
        before_seq: q.before,
        limit: AUDIT_PAGE_ROWS,
        ..Default::default()
    };
    for (field, value) in [("from", &q.from), ("to", &q.to)] {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match (domain::time::china_day_range_ms(value), field) {
            (Some((start, _)), "from") => filter.from_ms = Some(start),
            (Some((_, end)), _) => filter.until_ms = Some(end),
            (None, _) => errors.add(vec![FieldError::new(field, "date_invalid")], lang),
        }
    }
    let below = q.unit.trim();
    if !below.is_empty() {
        // A unit below this one; any other code is unknown, as one that does not exist.
        match store::org_units::get(&state.db, unit.scope(), below).await? {
            Some(u) => filter.org_path = Some(u.org_path),
            None => errors.add(vec![FieldError::new("unit", "org_unknown")], lang),
        }
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("user", q.user.as_str()),
            ("from", q.from.as_str()),
            ("to", q.to.as_str()),
            ("action", q.action.as_str()),
            ("unit", q.unit.as_str()),
        ])
        .finish();
    if q.format == "xlsx" && errors.is_empty() {
        filter.before_seq = None;
        filter.limit = AUDIT_EXPORT_ROWS;
        let entries = audit::list(&state.db, unit.scope(), &filter).await?;
        return export(lang, here, entries);
    }
    let entries = if errors.is_empty() {
        audit::list(&state.db, unit.scope(), &filter).await?
    } else {
        Vec::new()
    };
    let older = (entries.len() as i64 == AUDIT_PAGE_ROWS)
        .then(|| entries.last().map(|e| e.seq))
        .flatten()
        .map(|seq| format!("/orgs/{}/audit?{query}&before={seq}", here.code));
    let rows = entries
        .into_iter()
        .map(|e| Row {
            action: action_name(lang, &e.action),
            changes: changes(lang, &e),
            e,
        })
        .collect();
    let actions = audit::actions(&state.db, unit.scope())
        .await?
        .into_iter()
        .map(|a| {
            let name = action_name(lang, &a);
            (a, name)
        })
        .collect();
    let status = errors.status();
    Ok(render_as(
        &AuditPage {
            layout: Layout::new(&viewer.ctx, &format!("/orgs/{}/audit", here.code)),
            unit: here.clone(),
            q,
            actions,
            rows,
            errors,
            older,
            query,
        },
        status,
    ))
}

/// The filtered trail as an XLSX file, one row per entry, its changes as text.
fn export(lang: Lang, unit: &OrgUnit, entries: Vec<AuditEntry>) -> Result<Response, AppError> {
    let h = |k: &str| lang.t(k).into_owned();
    let headers = [
        "#".to_string(),
        h("audit.time"),
        h("field.user"),
        h("audit.action"),
        h("audit.unit"),
        h("audit.entity"),
        h("audit.change"),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows: Vec<Vec<Cell>> = entries
        .iter()
        .map(|e| {
            let change = changes(lang, e)
                .iter()
                .map(|c| format!("{}：{} → {}", c.label, c.before, c.after))
                .collect::<Vec<_>>()
                .join("；");
            vec![
                Cell::Int(e.seq),
                Cell::Text(domain::time::fmt_china(e.at_ms)),
                Cell::Text(e.actor.clone()),
                Cell::Text(action_name(lang, &e.action)),
                Cell::Text(e.org_code.clone().unwrap_or_default()),
                Cell::Text(e.entity.clone()),
                Cell::Text(change),
            ]
        })
        .collect();
    let bytes = write_table(Format::Xlsx, &h("action.audit"), &headers, &rows)
        .map_err(AppError::Internal)?;
    let file = format!(
        "audit-{}-{}.xlsx",
        unit.code,
        domain::time::china_day(store::now_ms())
    );
    Ok(super::download(
        Format::Xlsx.content_type(),
        &file,
        &file,
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(before: &str, after: &str) -> AuditEntry {
        AuditEntry {
            seq: 1,
            at_ms: 0,
            actor: "t".into(),
            action: "org_unit.update_facts".into(),
            org_code: None,
            entity: "org_unit:410323101001".into(),
            before_json: (!before.is_empty()).then(|| before.into()),
            after_json: (!after.is_empty()).then(|| after.into()),
        }
    }

    #[test]
    fn a_change_reads_field_by_field_with_personal_data_masked() {
        let e = entry(
            r#"{"facts": {"leader_name": "李强", "leader_phone": "13903791234"}, "set_up": false}"#,
            r#"{"facts": {"leader_name": "李强", "leader_phone": "13703790000"}, "set_up": true}"#,
        );
        let c = changes(Lang::ZhCn, &e);
        let read: Vec<(String, String, String)> = c
            .into_iter()
            .map(|c| (c.label, c.before, c.after))
            .collect();
        assert_eq!(
            read,
            [
                (
                    "负责人电话".to_string(),
                    "139****1234".to_string(),
                    "137****0000".to_string()
                ),
                (
                    "set_up".to_string(),
                    "false".to_string(),
                    "true".to_string()
                ),
            ],
            "unchanged fields are left out, phones masked"
        );
        let made = changes(
            Lang::ZhCn,
            &entry("", r#"{"id_number": "11010519491231002X"}"#),
        );
        assert_eq!(made.len(), 1);
        assert_eq!(
            made[0].after,
            domain::donor::mask_id_number("11010519491231002X")
        );
        assert!(changes(Lang::ZhCn, &entry("", "")).is_empty());
    }
}
