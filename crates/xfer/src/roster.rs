//! Agency rosters (issue 12 §3): a 低保 / 特困 / 低保边缘 roster, an enrolment list or a
//! hospital list as the agency exports it — CSV (UTF-8 or GB18030) or XLSX, one row per
//! person, Chinese headers (姓名, 身份证号, 户主, 家庭人口, 保障金额, 区划代码…). Reading is in two
//! passes: [`shape`] gives the header and the number of rows for the column-mapping preview
//! (and guesses each column's meaning, [`guess`]); [`read`] then takes only the mapped columns
//! — the ID number (or a blind-index value), the division code and the category — so names,
//! household heads and amounts never leave the file. Only the file's shape stops a read; each
//! row's values are checked by the caller, so every bad row can be reported at once.

use crate::divisions::{RowSink, read_table};
use crate::statement::header_key;
use crate::{ImportError, ImportErrorKind};
pub use domain::agency::RosterRow;

/// What a roster column may mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    IdNumber,
    /// An HMAC blind-index value computed by the agency with the installation's key.
    BlindIndex,
    /// Read nowhere: shown in the preview as recognised and left in the file.
    Name,
    HouseholdHead,
    HouseholdSize,
    Amount,
    Division,
    Category,
}

impl Meaning {
    /// Whether the match keeps anything of this column.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Meaning::IdNumber | Meaning::BlindIndex | Meaning::Division | Meaning::Category
        )
    }
}

// Header names, lower-case, without a unit in brackets; the first the file has wins.
const ALIASES: [(Meaning, &[&str]); 8] = [
    (
        Meaning::IdNumber,
        &[
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "成员身份证号",
            "id_number",
        ],
    ),
    (
        Meaning::BlindIndex,
        &["盲索引", "blind_index", "身份证号盲索引"],
    ),
    (
        Meaning::Name,
        &["姓名", "成员姓名", "name", "学生姓名", "患者姓名"],
    ),
    (
        Meaning::HouseholdHead,
        &["户主", "户主姓名", "户主身份证号"],
    ),
    (
        Meaning::HouseholdSize,
        &["家庭人口", "家庭人数", "保障人数", "共同生活人数"],
    ),
    (
        Meaning::Amount,
        &["保障金额", "月保障金", "救助金额", "月救助金额"],
    ),
    (
        Meaning::Division,
        &[
            "区划代码",
            "行政区划代码",
            "统计用区划代码",
            "村居代码",
            "division_code",
        ],
    ),
    (
        Meaning::Category,
        &[
            "类别",
            "保障类别",
            "救助类别",
            "人员类别",
            "category",
            "学段",
            "病种",
        ],
    ),
];

/// The meaning a header suggests, if any.
pub fn guess(header: &str) -> Option<Meaning> {
    let key = header_key(header);
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(m, _)| *m)
}

/// A roster as the preview shows it: its header cells and how many non-blank rows follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterShape {
    pub headers: Vec<String>,
    pub rows: usize,
}

impl RosterShape {
    /// The first column each meaning is guessed for.
    pub fn guessed(&self, meaning: Meaning) -> Option<usize> {
        self.headers.iter().position(|h| guess(h) == Some(meaning))
    }
}

/// The columns a match reads (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterColumns {
    pub id: usize,
    /// The ID column holds blind-index values, not ID numbers.
    pub id_is_index: bool,
    pub division: Option<usize>,
    pub category: Option<usize>,
}

struct ShapeSink {
    file: String,
    headers: Option<Vec<String>>,
    rows: usize,
}

impl RowSink for ShapeSink {
    fn has_header(&self) -> bool {
        self.headers.is_some()
    }
    fn file(&self) -> &str {
        &self.file
    }
    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let mut headers: Vec<String> = cells.map(|c| c.trim().to_string()).collect();
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
        self.headers = Some(headers);
        Ok(())
    }
    fn row<'a>(
        &mut self,
        _row: usize,
        blank: impl FnOnce() -> bool,
        _cell: impl Fn(usize) -> &'a str,
    ) -> Result<(), ImportError> {
        if !blank() {
            self.rows += 1;
        }
        Ok(())
    }
}

/// The header and the row count, for the mapping preview. A file without data rows is refused.
pub fn shape(file_name: &str, bytes: &[u8]) -> Result<RosterShape, ImportError> {
    let mut sink = ShapeSink {
        file: file_name.to_string(),
        headers: None,
        rows: 0,
    };
    read_table(file_name, bytes, &mut sink)?;
    match sink.headers {
        Some(headers) if sink.rows > 0 && !headers.is_empty() => Ok(RosterShape {
            headers,
            rows: sink.rows,
        }),
        _ => Err(sink.error(None, None, ImportErrorKind::Empty)),
    }
}

struct ReadSink<'c> {
    file: String,
    columns: &'c RosterColumns,
    header_seen: bool,
    rows: Vec<RosterRow>,
}

impl RowSink for ReadSink<'_> {
    fn has_header(&self) -> bool {
        self.header_seen
    }
    fn file(&self) -> &str {
        &self.file
    }
    fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
    }
    fn header<'a>(&mut self, _cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        self.header_seen = true;
        Ok(())
    }
    fn row<'a>(
        &mut self,
        row: usize,
        blank: impl FnOnce() -> bool,
        cell: impl Fn(usize) -> &'a str,
    ) -> Result<(), ImportError> {
        if blank() {
            return Ok(());
        }
        let c = self.columns;
        let text = |col: Option<usize>| col.map(|i| cell(i).trim().to_string()).unwrap_or_default();
        self.rows.push(RosterRow {
            row,
            id: text(Some(c.id)),
            division: text(c.division),
            category: text(c.category),
        });
        Ok(())
    }
}

/// The mapped columns of every non-blank row, in order.
pub fn read(
    file_name: &str,
    bytes: &[u8],
    columns: &RosterColumns,
) -> Result<Vec<RosterRow>, ImportError> {
    let mut sink = ReadSink {
        file: file_name.to_string(),
        columns,
        header_seen: false,
        rows: Vec::new(),
    };
    read_table(file_name, bytes, &mut sink)?;
    if sink.rows.is_empty() {
        return Err(sink.error(None, None, ImportErrorKind::Empty));
    }
    Ok(sink.rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "序号,姓名,身份证号,户主,家庭人口,保障金额（元）,区划代码,保障类别\n\
        1,王秀英,410323195807120021,王秀英,2,620,410323101001,A类\n\
        \n\
        2,李小军,４１０３２３２００８０３０１００１２,李建国,4,480,410323101002,B类\n";

    #[test]
    fn the_preview_sees_the_header_and_guesses_each_column() {
        let s = shape("低保名册.csv", ROSTER.as_bytes()).unwrap();
        assert_eq!(s.rows, 2, "the blank line is no row");
        assert_eq!(s.headers[2], "身份证号");
        assert_eq!(s.guessed(Meaning::IdNumber), Some(2));
        assert_eq!(s.guessed(Meaning::Name), Some(1));
        assert_eq!(s.guessed(Meaning::HouseholdHead), Some(3));
        assert_eq!(
            s.guessed(Meaning::Amount),
            Some(5),
            "a unit in brackets is ignored"
        );
        assert_eq!(s.guessed(Meaning::Division), Some(6));
        assert_eq!(s.guessed(Meaning::Category), Some(7));
        assert_eq!(s.guessed(Meaning::BlindIndex), None);
        assert!(!Meaning::Name.is_read() && Meaning::Category.is_read());
    }

    #[test]
    fn a_match_reads_only_the_mapped_columns() {
        let columns = RosterColumns {
            id: 2,
            id_is_index: false,
            division: Some(6),
            category: None,
        };
        let rows = read("低保名册.csv", ROSTER.as_bytes(), &columns).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            RosterRow {
                row: 4,
                id: "４１０３２３２００８０３０１００１２".into(),
                division: "410323101002".into(),
                category: String::new(),
            }
        );
        // GB18030, as county offices save it, reads the same.
        let (gb, _, _) = encoding_rs::GB18030.encode(ROSTER);
        assert_eq!(read("低保名册.csv", &gb, &columns).unwrap(), rows);
    }

    #[test]
    fn a_file_without_rows_or_in_a_strange_shape_is_refused() {
        assert_eq!(
            shape("空.csv", "姓名,身份证号\n".as_bytes())
                .unwrap_err()
                .kind,
            ImportErrorKind::Empty
        );
        assert_eq!(
            shape("名册.txt", ROSTER.as_bytes()).unwrap_err().kind,
            ImportErrorKind::UnknownFormat
        );
    }
}
