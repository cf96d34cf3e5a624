//! 慈善文化 culture sites (M17, issue 14 §5): each county records its theme park (主题公园) or
//! corridor (长廊) — location, opening date, photos — and the activities held there with their
//! visitors. A site is a county's; the city sees which counties have none yet.

use crate::FieldError;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 慈善文化主题公园
    Park,
    /// 慈善文化长廊
    Corridor,
}

impl SiteKind {
    pub const ALL: [SiteKind; 2] = [SiteKind::Park, SiteKind::Corridor];
    pub fn key(self) -> &'static str {
        match self {
            SiteKind::Park => "park",
            SiteKind::Corridor => "corridor",
        }
    }
    pub fn parse(s: &str) -> Option<SiteKind> {
        SiteKind::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub kind: String,
    pub name: String,
    pub location: String,
    pub opened_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSite {
    pub kind: SiteKind,
    pub name: String,
    pub location: String,
    pub opened_on: String,
}

impl SiteInput {
    pub fn parse(&self) -> Result<NewSite, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = SiteKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "site_kind_unknown"));
        }
        let name = crate::text::normalize(&self.name);
        if name.chars().count() < 4 || name.chars().count() > 40 {
            errors.push(FieldError::new("site_name", "site_name_missing"));
        }
        let location = crate::text::normalize(&self.location);
        if location.chars().count() < 4 || location.chars().count() > 100 {
            errors.push(FieldError::new("location", "site_location_missing"));
        }
        let opened_on = crate::text::normalize(&self.opened_on);
        if crate::time::china_day_range_ms(&opened_on).is_none() {
            errors.push(FieldError::new("opened_on", "date_invalid"));
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewSite {
                kind,
                name,
                location,
                opened_on,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub held_on: String,
    pub title: String,
    pub visitors: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub held_on: String,
    pub title: String,
    pub visitors: i64,
}

impl EventInput {
    /// An activity held (on or before `today`, not before the site opened).
    pub fn parse(&self, opened_on: &str, today: &str) -> Result<NewEvent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let held_on = crate::text::normalize(&self.held_on);
        if crate::time::china_day_range_ms(&held_on).is_none() {
            errors.push(FieldError::new("held_on", "date_invalid"));
        } else if held_on.as_str() > today || held_on.as_str() < opened_on {
            errors.push(FieldError::new("held_on", "site_event_day"));
        }
        let title = crate::text::normalize(&self.title);
        if title.chars().count() < 2 || title.chars().count() > 60 {
            errors.push(FieldError::new("title", "activity_title_missing"));
        }
        let visitors = crate::text::normalize(&self.visitors).parse::<i64>().ok();
        if !visitors.is_some_and(|v| (0..=1_000_000).contains(&v)) {
            errors.push(FieldError::new("visitors", "site_visitors_range"));
        }
        match visitors {
            Some(visitors) if errors.is_empty() => Ok(NewEvent {
                held_on,
                title,
                visitors,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_and_its_activities_are_checked() {
        let s = SiteInput {
            kind: "park".into(),
            name: "新安县慈善文化主题公园".into(),
            location: "城关镇洛新大道与新安路交叉口".into(),
            opened_on: "2025-09-05".into(),
        }
        .parse()
        .unwrap();
        assert_eq!(s.kind, SiteKind::Park);
        let wrong = SiteInput::default().parse().unwrap_err();
        let fields: Vec<&str> = wrong.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["kind", "site_name", "location", "opened_on"]);
        let early = EventInput {
            held_on: "2025-09-01".into(),
            title: "中华慈善日主题活动".into(),
            visitors: "-1".into(),
        }
        .parse("2025-09-05", "2026-12-07")
        .unwrap_err();
        let codes: Vec<&str> = early.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["site_event_day", "site_visitors_range"]);
        for k in SiteKind::ALL {
            assert_eq!(SiteKind::parse(k.key()), Some(k));
        }
    }
}
