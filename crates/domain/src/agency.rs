//! Agency lists (issue 12 §3, M11): a government roster — 低保, 特困, 低保边缘, a school's
//! enrolment list, a hospital's — matched against the registry through the blind index. An
//! import names the law it rests on and the personal-information impact assessment behind it
//! (PIPL art. 55: purpose, necessity, risks, measures; kept at least three years), and its
//! result lapses on its valid-until day. Each roster row is checked here; what is wrong with a
//! row is a [`Skip`], reported with its row number and never stored beyond that.

use crate::FieldError;
use crate::org::DivisionCode;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// 最低生活保障.
    Dibao,
    /// 特困人员救助供养.
    Tekun,
    /// 低保边缘家庭.
    DibaoEdge,
    /// A school's enrolment list.
    Enrolment,
    /// A hospital's list of patients.
    Hospital,
}

impl ListKind {
    pub const ALL: [ListKind; 5] = [
        ListKind::Dibao,
        ListKind::Tekun,
        ListKind::DibaoEdge,
        ListKind::Enrolment,
        ListKind::Hospital,
    ];
    /// The lists of households on a poverty line.
    pub const POVERTY: [ListKind; 3] = [ListKind::Dibao, ListKind::Tekun, ListKind::DibaoEdge];

    pub fn key(self) -> &'static str {
        match self {
            ListKind::Dibao => "dibao",
            ListKind::Tekun => "tekun",
            ListKind::DibaoEdge => "dibao_edge",
            ListKind::Enrolment => "enrolment",
            ListKind::Hospital => "hospital",
        }
    }

    pub fn parse(s: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|k| k.key() == s.trim())
    }
}

/// An import as typed: which list, from whom, on what basis, until when.
#[derive(Debug, Clone, Default)]
pub struct ImportInput {
    pub kind: String,
    /// The agency that issued the list: 新安县民政局.
    pub source: String,
    /// The law or agreement the import rests on.
    pub legal_basis: String,
    /// The impact assessment (PIPL art. 55): purpose, necessity, risks, measures.
    pub purpose: String,
    pub necessity: String,
    pub risks: String,
    pub measures: String,
    pub assessed_on: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewImport {
    pub kind: ListKind,
    pub source: String,
    pub legal_basis: String,
    pub purpose: String,
    pub necessity: String,
    pub risks: String,
    pub measures: String,
    pub assessed_on: String,
    /// The assessment and the import's record are kept at least until this day.
    pub keep_until: String,
    pub valid_until: String,
}

/// How long an assessment and its import are kept (PIPL art. 56: at least three years).
pub const KEEP_YEARS: u32 = 3;
/// A list is valid at most this long: rosters are re-issued every year.
pub const MAX_VALID_DAYS: i64 = 2 * 366;

fn text(
    field: &'static str,
    typed: &str,
    max: usize,
    code: &'static str,
    errors: &mut Vec<FieldError>,
) -> String {
    let t = crate::text::prose(typed);
    if t.chars().count() < 2 || t.chars().count() > max {
        errors.push(FieldError::new(field, code));
    }
    t
}

/// `day` plus whole years (29 February becomes 28 February in a common year).
pub fn years_after(day: &str, years: u32) -> Option<String> {
    let y: u32 = day.get(..4)?.parse().ok()?;
    let md = day.get(4..)?;
    let later = format!("{}{md}", y + years);
    crate::time::china_day_range_ms(&later)
        .map(|_| later)
        .or_else(|| Some(format!("{}-02-28", y + years)))
}

impl ImportInput {
    /// Every problem at once; `today` bounds the days (assessed by today, valid after today and
    /// for at most two years).
    pub fn parse(&self, today: &str) -> Result<NewImport, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = ListKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "list_kind_unknown"));
        }
        let source = text(
            "source",
            &self.source,
            60,
            "list_source_missing",
            &mut errors,
        );
        let legal_basis = text(
            "legal_basis",
            &self.legal_basis,
            300,
            "legal_basis_missing",
            &mut errors,
        );
        let purpose = text("purpose", &self.purpose, 500, "pia_missing", &mut errors);
        let necessity = text(
            "necessity",
            &self.necessity,
            500,
            "pia_missing",
            &mut errors,
        );
        let risks = text("risks", &self.risks, 500, "pia_missing", &mut errors);
        let measures = text("measures", &self.measures, 500, "pia_missing", &mut errors);
        let assessed_on =
            crate::time::typed_day_until("assessed_on", &self.assessed_on, today, &mut errors);
        let valid_until = crate::time::typed_day("valid_until", &self.valid_until, &mut errors);
        if let Some(v) = &valid_until {
            let span = crate::time::china_day_range_ms(v)
                .zip(crate::time::china_day_range_ms(today))
                .map(|((v, _), (t, _))| (v - t) / 86_400_000);
            if !span.is_some_and(|d| (1..=MAX_VALID_DAYS).contains(&d)) {
                errors.push(FieldError::new("valid_until", "valid_until_out_of_range"));
            }
        }
        let keep_until = assessed_on
            .as_deref()
            .and_then(|d| years_after(d, KEEP_YEARS));
        match (kind, assessed_on, valid_until, keep_until) {
            (Some(kind), Some(assessed_on), Some(valid_until), Some(keep_until))
                if errors.is_empty() =>
            {
                Ok(NewImport {
                    kind,
                    source,
                    legal_basis,
                    purpose,
                    necessity,
                    risks,
                    measures,
                    assessed_on,
                    keep_until,
                    valid_until,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Why a roster row was not matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// No ID number in the row.
    IdMissing,
    /// Not a valid ID number: length, characters, check character, birth date.
    IdInvalid,
    /// The blind-index column holds something that is not one.
    IndexInvalid,
    /// The division code is not a code.
    UnitInvalid,
    /// The row names a unit outside the importer's subtree.
    UnitOutside,
    /// The same person earlier in the file.
    Repeated,
}

impl Skip {
    pub const ALL: [Skip; 6] = [
        Skip::IdMissing,
        Skip::IdInvalid,
        Skip::IndexInvalid,
        Skip::UnitInvalid,
        Skip::UnitOutside,
        Skip::Repeated,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Skip::IdMissing => "id_missing",
            Skip::IdInvalid => "id_invalid",
            Skip::IndexInvalid => "index_invalid",
            Skip::UnitInvalid => "unit_invalid",
            Skip::UnitOutside => "unit_outside",
            Skip::Repeated => "repeated",
        }
    }

    pub fn parse(s: &str) -> Option<Skip> {
        Skip::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The column the problem is in.
    pub fn column(self) -> &'static str {
        match self {
            Skip::UnitInvalid | Skip::UnitOutside => "division",
            _ => "id",
        }
    }
}

/// One roster row as a match reads it: the mapped cells as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// The spreadsheet row (the header is row 1).
    pub row: usize,
    pub id: String,
    /// Empty when the roster has no division column.
    pub division: String,
    pub category: String,
}

/// What identifies the person on a row: a checked ID number (canonical) or a blind-index value
/// (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKey {
    IdNumber(String),
    BlindIndex(String),
}

/// Checks one row: the ID number normalised (full-width digits, spaces) and validated — or the
/// blind-index value — and, when the roster has a division column, the unit named lies in the
/// importer's subtree `unit_path` (by the code's own path: codes unknown to the network are not
/// refused, since codes change). `today` bounds birth dates.
pub fn check_row(
    id: &str,
    id_is_index: bool,
    division: Option<&str>,
    unit_path: &str,
    today: &str,
) -> Result<RowKey, Skip> {
    let id = crate::text::normalize(id);
    if id.is_empty() {
        return Err(Skip::IdMissing);
    }
    let key = if id_is_index {
        let ix = id.to_ascii_lowercase();
        if ix.len() != 64 || !ix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Skip::IndexInvalid);
        }
        RowKey::BlindIndex(ix)
    } else {
        let canonical = crate::donor::id_number("id", &id).map_err(|_| Skip::IdInvalid)?;
        match crate::beneficiary::birth_date(&canonical) {
            Some(born) if born.as_str() <= today => RowKey::IdNumber(canonical),
            _ => return Err(Skip::IdInvalid),
        }
    };
    if let Some(code) = division.map(crate::text::normalize)
        && !code.is_empty()
    {
        let code = DivisionCode::parse(&code).map_err(|_| Skip::UnitInvalid)?;
        if !code.path().starts_with(unit_path) {
            return Err(Skip::UnitOutside);
        }
    }
    Ok(key)
}

/// Who is identified as needing help and not yet having it: people on a list in force…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// …of a poverty list, of college age (18–22), with no college aid in the past year (the
    /// 筑梦未来 case).
    CollegeWithoutAid,
    /// …of a poverty list, of school age (6–17), with no school aid in the past year.
    SchoolWithoutAid,
    /// …of any list, with no help of any kind in the past year.
    NoHelpThisYear,
}

impl Gap {
    pub const ALL: [Gap; 3] = [
        Gap::CollegeWithoutAid,
        Gap::SchoolWithoutAid,
        Gap::NoHelpThisYear,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Gap::CollegeWithoutAid => "college_without_aid",
            Gap::SchoolWithoutAid => "school_without_aid",
            Gap::NoHelpThisYear => "no_help_this_year",
        }
    }

    pub fn parse(s: &str) -> Option<Gap> {
        Gap::ALL.into_iter().find(|g| g.key() == s)
    }

    /// The ages (inclusive) the gap looks at, if it looks at age.
    pub fn ages(self) -> Option<(u32, u32)> {
        match self {
            Gap::CollegeWithoutAid => Some((18, 22)),
            Gap::SchoolWithoutAid => Some((6, 17)),
            Gap::NoHelpThisYear => None,
        }
    }
}

/// The birth days of people aged `lo` to `hi` (inclusive) on `today`: born after the first
/// day returned and on or before the second.
pub fn born_between(today: &str, lo: u32, hi: u32) -> Option<(String, String)> {
    let y: u32 = today.get(..4)?.parse().ok()?;
    let md = today.get(4..)?;
    let on_or_before = format!("{}{md}", y.checked_sub(lo)?);
    let after = format!("{}{md}", y.checked_sub(hi + 1)?);
    Some((after, on_or_before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> ImportInput {
        ImportInput {
            kind: "dibao".into(),
            source: "新安县民政局".into(),
            legal_basis: "《社会救助暂行办法》第五十九条；县民政局与县慈善总会数据共享协议".into(),
            purpose: "找出低保家庭中尚未得到资助的大学生".into(),
            necessity: "只比对盲索引，不保存名册原件".into(),
            risks: "名单泄露可能使困难家庭受到歧视".into(),
            measures: "加密保存，只保留比对结果，到期失效".into(),
            assessed_on: "2026-11-20".into(),
            valid_until: "2027-06-30".into(),
        }
    }

    #[test]
    fn an_import_names_its_basis_and_assessment_and_lapses() {
        let i = typed().parse("2026-12-07").unwrap();
        assert_eq!(i.kind, ListKind::Dibao);
        assert_eq!(i.keep_until, "2029-11-20");
        let e = ImportInput {
            kind: "census".into(),
            legal_basis: " ".into(),
            risks: String::new(),
            assessed_on: "2026-12-08".into(),
            valid_until: "2026-12-07".into(),
            ..typed()
        }
        .parse("2026-12-07")
        .unwrap_err();
        let fields: Vec<(&str, &str)> = e.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "list_kind_unknown"),
                ("legal_basis", "legal_basis_missing"),
                ("risks", "pia_missing"),
                ("assessed_on", "date_in_future"),
                ("valid_until", "valid_until_out_of_range"),
            ]
        );
        let too_long = ImportInput {
            valid_until: "2029-01-01".into(),
            ..typed()
        };
        assert_eq!(
            too_long.parse("2026-12-07").unwrap_err()[0].code,
            "valid_until_out_of_range"
        );
        assert_eq!(years_after("2024-02-29", 3).as_deref(), Some("2027-02-28"));
    }

    #[test]
    fn each_row_is_normalised_checked_and_kept_inside_the_subtree() {
        let at = "/41/4103/410323/";
        let today = "2026-12-07";
        assert_eq!(
            check_row(
                " ４１０３２３２００８０３０１００１２ ",
                false,
                None,
                at,
                today
            ),
            Ok(RowKey::IdNumber("410323200803010012".into()))
        );
        assert_eq!(
            check_row(
                "410323 20080301 0012",
                false,
                Some("410323101001"),
                at,
                today
            ),
            Ok(RowKey::IdNumber("410323200803010012".into()))
        );
        assert_eq!(check_row("", false, None, at, today), Err(Skip::IdMissing));
        assert_eq!(
            check_row("410323200803010013", false, None, at, today),
            Err(Skip::IdInvalid),
            "a wrong check character"
        );
        // A checksum-valid number born in the future.
        let first17 = "41032320300101001";
        let future = format!("{first17}{}", crate::donor::id_check_char(first17).unwrap());
        assert_eq!(
            check_row(&future, false, None, at, today),
            Err(Skip::IdInvalid)
        );
        assert_eq!(
            check_row("410323200803010012", false, Some("410302001001"), at, today),
            Err(Skip::UnitOutside)
        );
        assert_eq!(
            check_row("410323200803010012", false, Some("41032x"), at, today),
            Err(Skip::UnitInvalid)
        );
        let ix = "A".repeat(64);
        assert_eq!(
            check_row(&ix, true, None, at, today),
            Ok(RowKey::BlindIndex("a".repeat(64)))
        );
        assert_eq!(
            check_row("abc", true, None, at, today),
            Err(Skip::IndexInvalid)
        );
        assert_eq!(Skip::UnitOutside.column(), "division");
    }

    #[test]
    fn ages_become_birth_day_bounds() {
        // Aged 18 to 22 on 2026-12-07: born after 2003-12-07, on or before 2008-12-07.
        assert_eq!(
            born_between("2026-12-07", 18, 22),
            Some(("2003-12-07".into(), "2008-12-07".into()))
        );
        let (after, by) = born_between("2026-12-07", 18, 22).unwrap();
        for (born, inside) in [
            ("2008-12-07", true),
            ("2008-12-08", false),
            ("2003-12-08", true),
            ("2003-12-07", false),
        ] {
            assert_eq!(
                born > after.as_str() && born <= by.as_str(),
                inside,
                "{born}"
            );
            let age = crate::beneficiary::age_on(born, "2026-12-07").unwrap();
            assert_eq!((18..=22).contains(&age), inside, "{born} is {age}");
        }
    }
}
