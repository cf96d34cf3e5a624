//! The budget and indicator slots a template's and a project's forms share (`_plan.html`).

use super::form_data::FormData;
use domain::project::{BUDGET_SLOTS, INDICATOR_SLOTS};

/// One budget slot as the form shows it: its fields and what is typed in them.
pub struct BudgetRow {
    pub number: usize,
    pub name_field: &'static str,
    pub amount_field: &'static str,
    pub service_field: &'static str,
    pub name: String,
    pub amount: String,
    pub service: bool,
}

/// One indicator slot as the form shows it.
pub struct IndicatorRow {
    pub number: usize,
    pub name_field: &'static str,
    pub target_field: &'static str,
    pub unit_field: &'static str,
    pub name: String,
    pub target: String,
    pub unit: String,
}

pub fn budget_rows(typed: &[(String, String, bool)]) -> Vec<BudgetRow> {
    BUDGET_SLOTS
        .iter()
        .enumerate()
        .map(|(i, (n, a, s))| {
            let (name, amount, service) = typed.get(i).cloned().unwrap_or_default();
            BudgetRow {
                number: i + 1,
                name_field: n,
                amount_field: a,
                service_field: s,
                name,
                amount,
                service,
            }
        })
        .collect()
}

pub fn indicator_rows(typed: &[(String, String, String)]) -> Vec<IndicatorRow> {
    INDICATOR_SLOTS
        .iter()
        .enumerate()
        .map(|(i, (n, t, u))| {
            let (name, target, unit) = typed.get(i).cloned().unwrap_or_default();
            IndicatorRow {
                number: i + 1,
                name_field: n,
                target_field: t,
                unit_field: u,
                name,
                target,
                unit,
            }
        })
        .collect()
}

/// The budget slots as posted.
pub fn typed_budget(form: &FormData) -> Vec<(String, String, bool)> {
    BUDGET_SLOTS
        .iter()
        .map(|(n, a, s)| (form.get(n).into(), form.get(a).into(), form.get(s) == "1"))
        .collect()
}

/// The indicator slots as posted.
pub fn typed_indicators(form: &FormData) -> Vec<(String, String, String)> {
    INDICATOR_SLOTS
        .iter()
        .map(|(n, t, u)| (form.get(n).into(), form.get(t).into(), form.get(u).into()))
        .collect()
}
