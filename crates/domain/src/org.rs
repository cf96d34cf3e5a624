//! The four-level network (M1): division codes, levels, materialised paths, the "三有" facts
//! and coverage.
//!
//! A unit's code is the statistical division code in its short form (2, 4, 6, 9 or 12 digits:
//! province 2 + city 2 + county 2 + township 3 + village 3). Its level and every ancestor follow
//! from the code alone, so the materialised path is derived from the code and never changes when
//! a level above is imported later.

use crate::{FieldError, text::normalize};
use serde::Serialize;

/// Levels of the network, top to bottom. A city-wide network starts at `City`; a province-wide
/// one has `Province` on top. The numeric value is stored in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province = 1,
    City = 2,
    County = 3,
    Township = 4,
    Village = 5,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Village,
    ];

    /// Digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
        }
    }

    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    pub fn from_i64(n: i64) -> Option<Level> {
        Level::ALL.into_iter().find(|l| *l as i64 == n)
    }

    pub fn above(self) -> Option<Level> {
        Level::from_i64(self as i64 - 1)
    }

    pub fn below(self) -> Option<Level> {
        Level::from_i64(self as i64 + 1)
    }

    /// Stable identifier used in the API and as the i18n key suffix (`level.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    /// A unit at this level may be a root of the tree (nothing imported above it).
    /// Counties, townships and villages always need their parent.
    pub fn may_be_root(self) -> bool {
        matches!(self, Level::Province | Level::City)
    }
}

/// The path of a unit's parent (`/41/4103/410323/` for `/41/4103/410323/410323101/`); the
/// root's is itself.
pub fn parent_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) | None => path.to_string(),
        Some(i) => format!("{}/", &trimmed[..i]),
    }
}

/// The paths of a unit and every unit above it, top first (`/41/`, `/41/4103/`, …, `path`).
pub fn paths_up_to(path: &str) -> Vec<String> {
    path.char_indices()
        .skip(1)
        .filter(|(_, c)| *c == '/')
        .map(|(i, _)| path[..=i].to_string())
        .collect()
}

/// A village-level unit that is an urban community (社区居民委员会) rather than a village
/// (村民委员会): M2 asks each community for a 慈善管家.
pub fn is_community(level: Level, name: &str) -> bool {
    level == Level::Village && name.contains("社区")
}

/// A valid statistical division code in its short form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DivisionCode(String);

/// Why a code is not a division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("not digits")]
    NotDigits,
    #[error("wrong length")]
    WrongLength,
    #[error("all zero")]
    AllZero,
}

impl DivisionCode {
    /// Accepts 2/4/6/9/12 digits; a 12-digit code padded with zero groups (`410300000000`) is the
    /// unit it pads (`4103`).
    pub fn parse(raw: &str) -> Result<DivisionCode, CodeError> {
        let s = normalize(raw);
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        if Level::from_code_len(s.len()).is_none() {
            return Err(CodeError::WrongLength);
        }
        let mut code = s.as_str();
        // Strip zero groups from the end: a real unit never has an all-zero own group.
        for level in [Level::Village, Level::Township, Level::County, Level::City] {
            if code.len() == level.code_len() {
                let own = &code[level.above().map_or(0, Level::code_len)..];
                if own.bytes().all(|b| b == b'0') {
                    code = &code[..level.above().map_or(0, Level::code_len)];
                }
            }
        }
        if code.is_empty() || code.bytes().all(|b| b == b'0') {
            return Err(CodeError::AllZero);
        }
        Ok(DivisionCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::from_code_len(self.0.len()).expect("checked in parse")
    }

    /// The ancestor's code at `level` (itself at its own level), if there is a unit at that
    /// level: cities without counties (东莞 4419, 中山 4420, 儋州 4604, 嘉峪关 6202) have
    /// townships whose county group is `00`, and no county.
    pub fn ancestor_at(&self, level: Level) -> Option<DivisionCode> {
        if level > self.level() {
            return None;
        }
        let start = level.above().map_or(0, Level::code_len);
        let own = &self.0[start..level.code_len()];
        (!own.bytes().all(|b| b == b'0'))
            .then(|| DivisionCode(self.0[..level.code_len()].to_string()))
    }

    /// The nearest unit above, if any.
    pub fn parent(&self) -> Option<DivisionCode> {
        Level::ALL
            .into_iter()
            .rev()
            .filter(|l| *l < self.level())
            .find_map(|l| self.ancestor_at(l))
    }

    /// `/41/4103/410302/`: every ancestor's code, then this one's.
    pub fn path(&self) -> String {
        let mut path = String::from("/");
        for code in Level::ALL.into_iter().filter_map(|l| self.ancestor_at(l)) {
            path.push_str(code.as_str());
            path.push('/');
        }
        path
    }
}

impl std::fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The half-open range `[lo, hi)` of paths in the subtree rooted at `path` (itself included).
/// Paths end with `/` and hold only digits and `/`; `'/' + 1 == '0'`, so every path below sorts
/// before `hi`. A range on a plain B-tree index works the same on SQLite and PostgreSQL.
pub fn subtree_bounds(path: &str) -> (String, String) {
    debug_assert!(path.ends_with('/'));
    let mut hi = path[..path.len() - 1].to_string();
    hi.push('0');
    (path.to_string(), hi)
}

/// The "三有" facts of a unit: a fixed site, a named person in charge, a service team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitFacts {
    pub site_address: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub service_teams: i64,
    pub contact_phone: String,
}

impl UnitFacts {
    /// The same facts with the phones masked, for the audit trail.
    pub fn masked(&self) -> UnitFacts {
        UnitFacts {
            leader_phone: crate::text::mask_phone(&self.leader_phone),
            contact_phone: crate::text::mask_phone(&self.contact_phone),
            ..self.clone()
        }
    }

    /// Set up ("三有") when all three are present.
    pub fn is_set_up(&self) -> bool {
        !self.site_address.is_empty()
            && !self.leader_name.is_empty()
            && !self.leader_phone.is_empty()
            && self.service_teams >= 1
    }
}

/// The facts as typed into a form: strings, checked all at once so every wrong field is named.
#[derive(Debug, Clone, Default)]
pub struct UnitFactsInput {
    pub site_address: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub service_teams: String,
    pub contact_phone: String,
}

pub const MAX_ADDRESS_CHARS: usize = 200;
pub const MAX_NAME_CHARS: usize = 30;
pub const MAX_SERVICE_TEAMS: i64 = 999;

impl UnitFactsInput {
    pub fn validate(&self) -> Result<UnitFacts, Vec<FieldError>> {
        let mut errors = Vec::new();
        let site_address = normalize(&self.site_address);
        if site_address.chars().count() > MAX_ADDRESS_CHARS {
            errors.push(FieldError::new("site_address", "too_long"));
        }
        let leader_name = normalize(&self.leader_name);
        if leader_name.chars().count() > MAX_NAME_CHARS {
            errors.push(FieldError::new("leader_name", "too_long"));
        }
        let leader_phone = normalize(&self.leader_phone);
        if !leader_phone.is_empty() && !is_phone(&leader_phone) {
            errors.push(FieldError::new("leader_phone", "phone_invalid"));
        }
        if leader_name.is_empty() && !leader_phone.is_empty() {
            errors.push(FieldError::new("leader_name", "leader_name_missing"));
        }
        let contact_phone = normalize(&self.contact_phone);
        if !contact_phone.is_empty() && !is_phone(&contact_phone) {
            errors.push(FieldError::new("contact_phone", "phone_invalid"));
        }
        let teams_raw = normalize(&self.service_teams);
        let service_teams = if teams_raw.is_empty() {
            0
        } else {
            match teams_raw.parse::<i64>() {
                Ok(n) if (0..=MAX_SERVICE_TEAMS).contains(&n) => n,
                Ok(_) => {
                    errors.push(FieldError::new("service_teams", "teams_range"));
                    0
                }
                Err(_) => {
                    errors.push(FieldError::new("service_teams", "not_a_number"));
                    0
                }
            }
        };
        if errors.is_empty() {
            Ok(UnitFacts {
                site_address,
                leader_name,
                leader_phone,
                service_teams,
                contact_phone,
            })
        } else {
            Err(errors)
        }
    }
}

/// One row of a bulk "三有" upload as read from the file: the unit's code, the name the file
/// gives it (only shown), and each fact the file has a column for (`None`: no such column, the
/// unit keeps what it has; an empty cell clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FactsRow {
    /// The spreadsheet row (the header is row 1).
    pub row: usize,
    pub code: String,
    pub name: String,
    pub site_address: Option<String>,
    pub leader_name: Option<String>,
    pub leader_phone: Option<String>,
    pub service_teams: Option<String>,
    pub contact_phone: Option<String>,
}

impl FactsRow {
    /// The facts the unit would have: the file's where it has a column, the current ones
    /// elsewhere, as a form would send them.
    pub fn over(&self, current: &UnitFacts) -> UnitFactsInput {
        let pick = |typed: &Option<String>, now: &str| typed.clone().unwrap_or_else(|| now.into());
        UnitFactsInput {
            site_address: pick(&self.site_address, &current.site_address),
            leader_name: pick(&self.leader_name, &current.leader_name),
            leader_phone: pick(&self.leader_phone, &current.leader_phone),
            service_teams: pick(&self.service_teams, &current.service_teams.to_string()),
            contact_phone: pick(&self.contact_phone, &current.contact_phone),
        }
    }
}

/// A mainland mobile number (11 digits, 1[3-9]…) or a landline with area code (0379-6512345).
pub fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return b.iter().all(u8::is_ascii_digit);
    }
    let mut parts = s.split('-');
    let (Some(first), rest) = (parts.next(), parts.collect::<Vec<_>>()) else {
        return false;
    };
    let digits = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit())
    };
    match rest.as_slice() {
        // 037965123456: area code and number run together
        [] => first.starts_with('0') && digits(first, 10, 12),
        [number] => first.starts_with('0') && digits(first, 3, 4) && digits(number, 7, 8),
        [number, ext] => {
            first.starts_with('0')
                && digits(first, 3, 4)
                && digits(number, 7, 8)
                && digits(ext, 1, 6)
        }
        _ => false,
    }
}

/// Units and set-up units at one level of a subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LevelCoverage {
    pub level: Level,
    pub units: i64,
    pub set_up: i64,
}

impl LevelCoverage {
    /// Per mille, so integer maths stays exact; 1000 for an empty level (nothing missing).
    pub fn permille(&self) -> i64 {
        permille(self.set_up, self.units)
    }
}

pub fn permille(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        1000
    } else {
        part * 1000 / whole
    }
}

/// `87.5%` from per mille.
pub fn fmt_permille(pm: i64) -> String {
    format!("{}.{}%", pm / 10, pm % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_parents_follow_from_the_code() {
        let v = DivisionCode::parse("410302001001").unwrap();
        assert_eq!(v.level(), Level::Village);
        assert_eq!(v.parent().unwrap().as_str(), "410302001");
        assert_eq!(v.path(), "/41/4103/410302/410302001/410302001001/");
        let c = DivisionCode::parse("4103").unwrap();
        assert_eq!(c.level(), Level::City);
        assert_eq!(c.parent().unwrap().as_str(), "41");
        assert_eq!(c.path(), "/41/4103/");
        assert!(DivisionCode::parse("41").unwrap().parent().is_none());
        assert_eq!(v.ancestor_at(Level::County).unwrap().as_str(), "410302");
        assert!(c.ancestor_at(Level::Village).is_none());
    }

    #[test]
    fn cities_without_counties_hold_townships_directly() {
        // 东莞市 4419: towns such as 441900003 have no county above them.
        let town = DivisionCode::parse("441900003").unwrap();
        assert_eq!(town.level(), Level::Township);
        assert_eq!(town.parent().unwrap().as_str(), "4419");
        assert!(town.ancestor_at(Level::County).is_none());
        assert_eq!(town.path(), "/44/4419/441900003/");
        let village = DivisionCode::parse("441900003001").unwrap();
        assert_eq!(village.parent().unwrap().as_str(), "441900003");
        assert_eq!(village.path(), "/44/4419/441900003/441900003001/");
    }

    #[test]
    fn padded_twelve_digit_codes_are_the_unit_they_pad() {
        assert_eq!(
            DivisionCode::parse("410300000000").unwrap().as_str(),
            "4103"
        );
        assert_eq!(
            DivisionCode::parse("410302000000").unwrap().as_str(),
            "410302"
        );
        assert_eq!(
            DivisionCode::parse("410302001000").unwrap().as_str(),
            "410302001"
        );
        assert_eq!(DivisionCode::parse("410000000000").unwrap().as_str(), "41");
        assert_eq!(DivisionCode::parse(" ４１０３ ").unwrap().as_str(), "4103");
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(DivisionCode::parse("41a3"), Err(CodeError::NotDigits));
        assert_eq!(DivisionCode::parse(""), Err(CodeError::NotDigits));
        assert_eq!(DivisionCode::parse("41030"), Err(CodeError::WrongLength));
        assert_eq!(DivisionCode::parse("000000000000"), Err(CodeError::AllZero));
        assert_eq!(DivisionCode::parse("00"), Err(CodeError::AllZero));
    }

    #[test]
    fn set_up_needs_all_three() {
        let mut f = UnitFacts {
            site_address: "村委会二楼".into(),
            leader_name: "王芳".into(),
            leader_phone: "13903791234".into(),
            service_teams: 2,
            contact_phone: String::new(),
        };
        assert!(f.is_set_up());
        f.service_teams = 0;
        assert!(!f.is_set_up());
        f.service_teams = 1;
        f.site_address.clear();
        assert!(!f.is_set_up());
    }

    #[test]
    fn facts_input_names_every_wrong_field() {
        let input = UnitFactsInput {
            site_address: "x".repeat(201),
            leader_name: String::new(),
            leader_phone: "12345".into(),
            service_teams: "三".into(),
            contact_phone: "0379-651".into(),
        };
        let errs = input.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("site_address", "too_long"),
                ("leader_phone", "phone_invalid"),
                ("leader_name", "leader_name_missing"),
                ("contact_phone", "phone_invalid"),
                ("service_teams", "not_a_number"),
            ]
        );
        let ok = UnitFactsInput {
            site_address: " 城关镇政府院内 ".into(),
            leader_name: "李强".into(),
            leader_phone: "１３９０３７９１２３４".into(),
            service_teams: "３".into(),
            contact_phone: "0379-65123456".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.site_address, "城关镇政府院内");
        assert_eq!(ok.leader_phone, "13903791234");
        assert_eq!(ok.service_teams, 3);
        assert!(ok.is_set_up());
        let too_many = UnitFactsInput {
            service_teams: "1000".into(),
            ..Default::default()
        };
        assert_eq!(
            too_many.validate().unwrap_err(),
            vec![FieldError::new("service_teams", "teams_range")]
        );
    }

    #[test]
    fn phones() {
        for ok in [
            "13903791234",
            "0379-65123456",
            "0379-6512345",
            "037965123456",
            "010-12345678-123",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in [
            "12903791234",
            "1390379123",
            "0379-123",
            "379-65123456",
            "phone",
            "0379--1234567",
        ] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn permille_is_exact_and_empty_is_full() {
        assert_eq!(permille(7, 8), 875);
        assert_eq!(fmt_permille(875), "87.5%");
        assert_eq!(permille(0, 0), 1000);
    }

    fn any_code() -> impl Strategy<Value = DivisionCode> {
        (1u32..=99, 0u32..=99, 0u32..=99, 0u32..=999, 0u32..=999).prop_map(|(p, c, a, t, v)| {
            let full = format!("{p:02}{c:02}{a:02}{t:03}{v:03}");
            DivisionCode::parse(&full).unwrap()
        })
    }

    proptest! {
        #[test]
        fn a_unit_is_inside_its_ancestors_subtrees_and_no_other(a in any_code(), b in any_code()) {
            let (lo, hi) = subtree_bounds(&a.path());
            let b_path = b.path();
            let inside = lo.as_str() <= b_path.as_str() && b_path.as_str() < hi.as_str();
            let is_descendant = b.ancestor_at(a.level()).as_ref() == Some(&a);
            prop_assert_eq!(inside, is_descendant);
            prop_assert!(b_path.starts_with(&a.path()) == is_descendant);
        }

        #[test]
        fn parse_is_idempotent(a in any_code()) {
            prop_assert_eq!(DivisionCode::parse(a.as_str()).unwrap(), a.clone());
            let padded = format!("{:0<12}", a.as_str());
            prop_assert_eq!(DivisionCode::parse(&padded).unwrap(), a);
        }
    }

    #[test]
    fn a_parent_path_drops_the_last_code() {
        assert_eq!(
            parent_path("/41/4103/410323/410323101/"),
            "/41/4103/410323/"
        );
        assert_eq!(parent_path("/41/"), "/41/");
        assert_eq!(
            paths_up_to("/41/4103/410323/"),
            ["/41/", "/41/4103/", "/41/4103/410323/"]
        );
        assert!(is_community(Level::Village, "石寺社区居民委员会"));
        assert!(!is_community(Level::Village, "石寺村民委员会"));
        assert!(!is_community(Level::Township, "社区街道"));
    }
}
