//! Division tables in the National Bureau of Statistics layout (as in `data/divisions-luoyang/`):
//! `code,name` plus optional ancestor columns `provinceCode,cityCode,areaCode,streetCode`.
//!
//! Reading is strict: the first bad row stops it, and the error names the file, the row as a
//! spreadsheet shows it (header = row 1) and the column, in words a village clerk understands.

use domain::org::{CodeError, DivisionCode, Level};
use domain::text::normalize;
use std::fmt::Write as _;
use std::path::Path;

/// One unit read from a division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub code: DivisionCode,
    pub name: String,
    /// File name only, e.g. `villages.csv`.
    pub file: String,
    /// The row as a spreadsheet shows it: the header is row 1, the first data row is row 2.
    pub row: usize,
}

/// What is wrong; [`ImportError`] says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportErrorKind {
    /// The file could not be read (the text says why).
    Io(String),
    /// Neither `.csv` nor `.xlsx`.
    UnknownFormat,
    /// `"code"` or `"name"`.
    MissingColumn(&'static str),
    /// `value` is the cell as written (trimmed).
    BadCode {
        value: String,
        why: CodeError,
    },
    EmptyName,
    /// An ancestor column names another unit than the row's code implies. `expected` is empty
    /// when the code has no ancestor at that level (e.g. `streetCode` on a county row).
    AncestorMismatch {
        column: String,
        value: String,
        expected: String,
        /// The row's code, so the message can say whose ancestor it is.
        code: String,
    },
    BadXlsx(String),
    /// A bank statement's date cell that is not a date.
    BadDate {
        value: String,
    },
    /// A bank statement's amount cell that is not an amount.
    BadAmount {
        value: String,
    },
    /// No data rows (or nothing at all).
    Empty,
}

/// Why a table could not be read, with the file, row and column to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// File name only.
    pub file: String,
    /// Spreadsheet row (header = 1), when the problem is in one row.
    pub row: Option<usize>,
    /// Column (`code`, `name`, `provinceCode`, `cityCode`, `areaCode`, `streetCode`).
    pub field: Option<String>,
    pub kind: ImportErrorKind,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(row) = self.row {
            write!(f, " 第 {row} 行")?;
        }
        if let ImportErrorKind::AncestorMismatch {
            column,
            value,
            expected,
            code,
        } = &self.kind
        {
            let sep = if self.row.is_some() { "，" } else { "：" };
            return if expected.is_empty() {
                write!(
                    f,
                    "{sep}{column} 列为 {value}，但代码 {code} 没有这一级的上级"
                )
            } else {
                write!(
                    f,
                    "{sep}{column} 列为 {value}，但代码 {code} 的上级应为 {expected}"
                )
            };
        }
        if let Some(field) = &self.field {
            write!(f, "，{field} 列")?;
        }
        f.write_str("：")?;
        match &self.kind {
            ImportErrorKind::Io(e) => write!(f, "无法读取文件（{e}）"),
            ImportErrorKind::UnknownFormat => f.write_str("只支持 .csv 和 .xlsx 文件"),
            ImportErrorKind::MissingColumn(c) => write!(f, "缺少 {c} 列"),
            ImportErrorKind::BadCode { value, .. } if value.is_empty() => f.write_str("代码为空"),
            ImportErrorKind::BadCode { value, why } => {
                let why = match why {
                    CodeError::NotDigits => "只能是数字",
                    CodeError::WrongLength => "位数应为 2、4、6、9 或 12 位",
                    CodeError::AllZero => "不能全是 0",
                };
                write!(f, "“{value}” 不是有效的统计用区划代码（{why}）")
            }
            ImportErrorKind::EmptyName => f.write_str("名称为空"),
            ImportErrorKind::AncestorMismatch { .. } => unreachable!("written above"),
            ImportErrorKind::BadXlsx(e) => write!(f, "不是有效的 Excel（.xlsx）文件（{e}）"),
            ImportErrorKind::BadDate { value } => {
                write!(f, "“{value}”不是日期（应写成 2026-01-31 这样）")
            }
            ImportErrorKind::BadAmount { value } => {
                write!(f, "“{value}”不是金额（应写成 1234.50 这样的数字）")
            }
            ImportErrorKind::Empty => f.write_str("文件中没有任何数据行"),
        }
    }
}

/// The optional ancestor columns: lower-case header, the name used in errors, the level.
const ANCESTOR_COLUMNS: [(&str, &str, Level); 4] = [
    ("provincecode", "provinceCode", Level::Province),
    ("citycode", "cityCode", Level::City),
    ("areacode", "areaCode", Level::County),
    ("streetcode", "streetCode", Level::Township),
];

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn format_of(file_name: &str) -> Option<Format> {
    let (_, ext) = file_name.rsplit_once('.')?;
    if ext.eq_ignore_ascii_case("csv") {
        Some(Format::Csv)
    } else if ext.eq_ignore_ascii_case("xlsx") {
        Some(Format::Xlsx)
    } else {
        None
    }
}

fn error(
    file: &str,
    row: Option<usize>,
    field: Option<&str>,
    kind: ImportErrorKind,
) -> ImportError {
    ImportError {
        file: file.to_string(),
        row,
        field: field.map(str::to_string),
        kind,
    }
}

/// Reads a division table from a file: `.csv` (UTF-8 with or without BOM, or GB18030) or
/// `.xlsx` (first worksheet). The first row is the header.
pub fn read_divisions(path: &Path) -> Result<Vec<DivisionRow>, ImportError> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if format_of(&file).is_none() {
        return Err(error(&file, None, None, ImportErrorKind::UnknownFormat));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "找不到该文件".to_string(),
            std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
            _ => e.to_string(),
        };
        error(&file, None, None, ImportErrorKind::Io(why))
    })?;
    read_divisions_bytes(&file, &bytes)
}

/// Reads a division table already in memory. The extension of `file_name` (`.csv` or `.xlsx`,
/// any case) picks the format; the name is also what errors and rows carry.
pub fn read_divisions_bytes(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<DivisionRow>, ImportError> {
    let mut table = Table::new(file_name);
    read_table(file_name, bytes, &mut table)?;
    table.finish()
}

/// What reads a table's rows, whichever the file format: the header first, then each row.
pub(crate) trait RowSink {
    fn has_header(&self) -> bool;
    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError>;
    /// `row` is the spreadsheet row number; `blank` says whether every cell is blank.
    fn row<'a>(
        &mut self,
        row: usize,
        blank: impl FnOnce() -> bool,
        cell: impl Fn(usize) -> &'a str,
    ) -> Result<(), ImportError>;
    fn error(&self, row: Option<usize>, field: Option<&str>, kind: ImportErrorKind) -> ImportError;
    /// Room for about this many rows.
    fn reserve(&mut self, _rows: usize) {}
}

/// Reads a CSV or XLSX table into a sink; the extension of `file_name` picks the format.
pub(crate) fn read_table<S: RowSink>(
    file_name: &str,
    bytes: &[u8],
    sink: &mut S,
) -> Result<(), ImportError> {
    match format_of(file_name) {
        Some(Format::Csv) => read_csv(sink, bytes),
        Some(Format::Xlsx) => read_xlsx(sink, bytes),
        None => Err(sink.error(None, None, ImportErrorKind::UnknownFormat)),
    }
}

/// Where the columns are, once the header has been read.
struct Columns {
    code: usize,
    name: usize,
    /// (column index, name for errors, level)
    ancestors: Vec<(usize, &'static str, Level)>,
}

/// Turns rows of cells (from either format) into division rows.
struct Table {
    file: String,
    columns: Option<Columns>,
    rows: Vec<DivisionRow>,
}

impl Table {
    fn new(file: &str) -> Table {
        Table {
            file: file.to_string(),
            columns: None,
            rows: Vec::new(),
        }
    }

    fn finish(self) -> Result<Vec<DivisionRow>, ImportError> {
        if self.rows.is_empty() {
            return Err(self.error(None, None, ImportErrorKind::Empty));
        }
        Ok(self.rows)
    }
}

impl RowSink for Table {
    fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
    }

    fn error(&self, row: Option<usize>, field: Option<&str>, kind: ImportErrorKind) -> ImportError {
        error(&self.file, row, field, kind)
    }

    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let names: Vec<String> = cells
            .map(|c| {
                c.trim_matches(|ch: char| ch == '\u{feff}' || ch.is_whitespace())
                    .to_lowercase()
            })
            .collect();
        let find = |n: &str| names.iter().position(|c| c == n);
        let code = find("code")
            .ok_or_else(|| self.error(None, None, ImportErrorKind::MissingColumn("code")))?;
        let name = find("name")
            .ok_or_else(|| self.error(None, None, ImportErrorKind::MissingColumn("name")))?;
        let ancestors = ANCESTOR_COLUMNS
            .iter()
            .filter_map(|&(lower, shown, level)| find(lower).map(|i| (i, shown, level)))
            .collect();
        self.columns = Some(Columns {
            code,
            name,
            ancestors,
        });
        Ok(())
    }

    /// One data row; `row` is its spreadsheet row number, `blank` says whether every cell is
    /// blank (asked only when the code cell is).
    /// Allocates only what the row keeps (its code, name and file name).
    fn row<'a>(
        &mut self,
        row: usize,
        blank: impl FnOnce() -> bool,
        cell: impl Fn(usize) -> &'a str,
    ) -> Result<(), ImportError> {
        let cols = self.columns.as_ref().expect("header read first");
        let raw_code = cell(cols.code);
        if raw_code.trim().is_empty() && blank() {
            return Ok(());
        }
        let code = DivisionCode::parse(raw_code).map_err(|why| {
            let value = raw_code.trim().to_string();
            self.error(
                Some(row),
                Some("code"),
                ImportErrorKind::BadCode { value, why },
            )
        })?;
        let name = normalize(cell(cols.name));
        if name.is_empty() {
            return Err(self.error(Some(row), Some("name"), ImportErrorKind::EmptyName));
        }
        for &(col, column, level) in &cols.ancestors {
            let value = cell(col).trim();
            if value.is_empty() || ancestor_matches(&code, level, value) {
                continue;
            }
            let expected = code
                .ancestor_at(level)
                .map(|c| c.to_string())
                .unwrap_or_default();
            return Err(self.error(
                Some(row),
                Some(column),
                ImportErrorKind::AncestorMismatch {
                    column: column.to_string(),
                    value: value.to_string(),
                    expected,
                    code: code.to_string(),
                },
            ));
        }
        self.rows.push(DivisionRow {
            code,
            name,
            file: self.file.clone(),
            row,
        });
        Ok(())
    }
}

/// Whether `value` (trimmed, non-empty) names `code`'s ancestor at `level`.
///
/// The usual spellings — exactly the ancestor's digits, or those digits zero-padded to 12 — are
/// checked without allocating. Anything else (full-width digits, …) goes through
/// `DivisionCode::parse` and is compared with `code.ancestor_at(level)`. The fast path also
/// accepts an ancestor whose own group is `00` (东莞 `441900` above township `441900003`), which
/// `parse` would shorten to `4419`: the file is consistent, so it is not the clerk's mistake.
fn ancestor_matches(code: &DivisionCode, level: Level, value: &str) -> bool {
    let Some(prefix) = code.as_str().get(..level.code_len()) else {
        return false; // the code has no ancestor at this level
    };
    let v = value.as_bytes();
    if v == prefix.as_bytes()
        || (v.len() == Level::Village.code_len()
            && v.starts_with(prefix.as_bytes())
            && v[prefix.len()..].iter().all(|&b| b == b'0'))
    {
        return true;
    }
    DivisionCode::parse(value).ok() == code.ancestor_at(level)
}

/// UTF-8 (with or without BOM) as it is; bytes that are not valid UTF-8 are read as GB18030,
/// which Chinese spreadsheet programs save by default.
fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    }
}

fn read_csv<S: RowSink>(table: &mut S, bytes: &[u8]) -> Result<(), ImportError> {
    let text = decode(bytes);
    // One row per line at most: reserving up front saves copying a growing table.
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    table.reserve(lines);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let row = e.position().map(|p| p.line() as usize);
                return Err(table.error(row, None, ImportErrorKind::Io(e.to_string())));
            }
        }
        // The line the record starts on: blank lines count, as in a spreadsheet. The csv crate
        // puts a record's position before the blank lines it skipped, so step over them.
        let row = record.position().map_or(0, |p| {
            let skipped = text.as_bytes()[p.byte() as usize..]
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .filter(|&&b| b == b'\n')
                .count();
            p.line() as usize + skipped
        });
        if !table.has_header() {
            table.header(record.iter())?;
            continue;
        }
        let blank = || record.iter().all(|c| c.trim().is_empty());
        table.row(row, blank, |i| record.get(i).unwrap_or(""))?;
    }
    Ok(())
}

fn read_xlsx<S: RowSink>(table: &mut S, bytes: &[u8]) -> Result<(), ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let bad =
        |e: calamine::XlsxError| table.error(None, None, ImportErrorKind::BadXlsx(e.to_string()));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let range = match book.worksheet_range_at(0) {
        None => return Err(table.error(None, None, ImportErrorKind::Empty)),
        Some(r) => r.map_err(bad)?,
    };
    // Rows of a range start at its first used cell; report rows as the spreadsheet numbers them.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    table.reserve(range.height().saturating_sub(1));
    // Cell texts of the current row, reused from row to row.
    let mut texts: Vec<String> = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        texts.resize_with(cells.len(), String::new);
        let mut blank = true;
        for (cell, text) in cells.iter().zip(texts.iter_mut()) {
            text.clear();
            match cell {
                Data::Empty => {}
                Data::String(s) => text.push_str(s),
                // Codes typed as numbers: 410302001001.0 is the code 410302001001.
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                    let _ = write!(text, "{}", *f as i64);
                }
                Data::Float(f) => {
                    let _ = write!(text, "{f}");
                }
                Data::Int(n) => {
                    let _ = write!(text, "{n}");
                }
                other => {
                    let _ = write!(text, "{other}");
                }
            }
            blank &= text.trim().is_empty();
        }
        if !table.has_header() {
            table.header(texts.iter().map(String::as_str))?;
            continue;
        }
        let row = first_row + i + 1;
        table.row(row, || blank, |c| texts.get(c).map_or("", String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVINCES: &str = "code,name\n41,\"河南省\"\n";
    const CITIES: &str = "code,name,provinceCode\n4103,\"洛阳市\",41\n";
    const AREAS: &str = "code,name,cityCode,provinceCode\n\
        410302,\"老城区\",4103,41\n\
        410323,\"新安县\",4103,41\n";
    const STREETS: &str = "code,name,areaCode,provinceCode,cityCode\n\
        410302001,\"西关街道\",410302,41,4103\n\
        410302002,\"西南隅街道\",410302,41,4103\n";
    const VILLAGES: &str = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
        410302001001,\"承福门社区居民委员会\",410302001,41,4103,410302\n\
        410302001002,\"应天门社区居民委员会\",410302001,41,4103,410302\n";

    fn codes(rows: &[DivisionRow]) -> Vec<&str> {
        rows.iter().map(|r| r.code.as_str()).collect()
    }

    fn names(rows: &[DivisionRow]) -> Vec<&str> {
        rows.iter().map(|r| r.name.as_str()).collect()
    }

    fn err(file: &str, text: &str) -> ImportError {
        read_divisions_bytes(file, text.as_bytes()).unwrap_err()
    }

    /// A fresh path in the temp dir that no other test (or test run) uses.
    fn temp_path(name: &str) -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "xfer-test-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn reads_every_layout_of_the_luoyang_tables() {
        let p = read_divisions_bytes("provinces.csv", PROVINCES.as_bytes()).unwrap();
        assert_eq!(codes(&p), ["41"]);
        assert_eq!(p[0].code.level(), Level::Province);

        let c = read_divisions_bytes("cities.csv", CITIES.as_bytes()).unwrap();
        assert_eq!(codes(&c), ["4103"]);
        assert_eq!(names(&c), ["洛阳市"]);
        assert_eq!(c[0].code.level(), Level::City);

        let a = read_divisions_bytes("areas.csv", AREAS.as_bytes()).unwrap();
        assert_eq!(codes(&a), ["410302", "410323"]);
        assert_eq!(names(&a), ["老城区", "新安县"]);
        assert!(a.iter().all(|r| r.code.level() == Level::County));

        let s = read_divisions_bytes("streets.csv", STREETS.as_bytes()).unwrap();
        assert_eq!(codes(&s), ["410302001", "410302002"]);
        assert_eq!(names(&s), ["西关街道", "西南隅街道"]);

        let v = read_divisions_bytes("villages.csv", VILLAGES.as_bytes()).unwrap();
        assert_eq!(codes(&v), ["410302001001", "410302001002"]);
        assert_eq!(
            v[1],
            DivisionRow {
                code: DivisionCode::parse("410302001002").unwrap(),
                name: "应天门社区居民委员会".into(),
                file: "villages.csv".into(),
                row: 3,
            }
        );
        assert_eq!(v[0].row, 2);
    }

    #[test]
    fn bom_and_gb18030_read_the_same_as_plain_utf8() {
        for (file, text) in [
            ("provinces.csv", PROVINCES),
            ("cities.csv", CITIES),
            ("areas.csv", AREAS),
            ("streets.csv", STREETS),
            ("villages.csv", VILLAGES),
        ] {
            let plain = read_divisions_bytes(file, text.as_bytes()).unwrap();
            let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
            assert_eq!(read_divisions_bytes(file, &bom).unwrap(), plain, "{file}");
            let (gb, _, unmappable) = encoding_rs::GB18030.encode(text);
            assert!(!unmappable);
            assert!(
                std::str::from_utf8(&gb).is_err(),
                "{file}: really not UTF-8"
            );
            assert_eq!(read_divisions_bytes(file, &gb).unwrap(), plain, "{file}");
        }
    }

    #[test]
    fn extension_is_case_insensitive_and_headers_are_forgiving() {
        let text = "\u{feff} Code ,NAME,StreetCode\r\n\
            ４１０３０２００１００１,\u{3000}承福门社区 ,410302001\r\n";
        let rows = read_divisions_bytes("Villages.CSV", text.as_bytes()).unwrap();
        assert_eq!(codes(&rows), ["410302001001"]);
        assert_eq!(names(&rows), ["承福门社区"]);
    }

    #[test]
    fn blank_lines_are_skipped_but_still_counted() {
        let text = "code,name\n\n4103,洛阳市\n,\n  , \n410302,\"老城区, 洛阳\"\n";
        let rows = read_divisions_bytes("a.csv", text.as_bytes()).unwrap();
        assert_eq!(codes(&rows), ["4103", "410302"]);
        assert_eq!(rows[0].row, 3);
        assert_eq!(rows[1].row, 6);
        assert_eq!(rows[1].name, "老城区, 洛阳");
        let crlf = text.replace('\n', "\r\n");
        let rows = read_divisions_bytes("a.csv", crlf.as_bytes()).unwrap();
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 6]);
        let e = err("a.csv", "\ncode,name\r\n\r\n\r\n4103,\n");
        assert_eq!(e.row, Some(5));
    }

    #[test]
    fn padded_codes_name_the_unit_they_pad() {
        let text = "code,name,cityCode,provinceCode\n410302000000,\"老城区\",410300000000,41\n";
        let rows = read_divisions_bytes("areas.csv", text.as_bytes()).unwrap();
        assert_eq!(codes(&rows), ["410302"]);
        assert_eq!(rows[0].code.level(), Level::County);
    }

    #[test]
    fn ancestors_in_any_spelling_that_names_the_same_unit() {
        // Padded to 12 digits, full-width, and a county group of 00 (东莞-style, no county).
        let text = "code,name,streetCode,areaCode,cityCode\n\
            410302001001,甲,410302001000,４１０３０２,4103\n\
            441900003001,乙,441900003,441900,4419\n\
            441900003002,丙,,441900000000,\n";
        let rows = read_divisions_bytes("villages.csv", text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3);
    }

    fn xlsx(rows: &[&[Cell]]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::S(s) => sheet.write_string(r, c, *s).map(|_| ()),
                    Cell::N(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    Cell::E => Ok(()),
                }
                .unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    enum Cell {
        S(&'static str),
        N(f64),
        E,
    }
    use Cell::{E, N, S};

    #[test]
    fn xlsx_with_numeric_and_text_codes() {
        let bytes = xlsx(&[
            &[S("code"), S("name"), S("streetCode"), S("provinceCode")],
            &[
                N(410302001001.0),
                S("承福门社区居民委员会"),
                N(410302001.0),
                N(41.0),
            ],
            &[E, E, E, E],
            &[
                S("410302001002"),
                S(" 应天门社区居民委员会 "),
                S("410302001"),
                S("41"),
            ],
            &[N(410302000000.0), S("老城区"), E, S("410000000000")],
        ]);
        let rows = read_divisions_bytes("villages.XLSX", &bytes).unwrap();
        assert_eq!(codes(&rows), ["410302001001", "410302001002", "410302"]);
        assert_eq!(
            names(&rows),
            ["承福门社区居民委员会", "应天门社区居民委员会", "老城区"]
        );
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4, 5]);
        assert_eq!(rows[0].file, "villages.XLSX");
    }

    #[test]
    fn xlsx_errors_point_at_the_spreadsheet_row() {
        let bytes = xlsx(&[
            &[S("code"), S("name")],
            &[N(4103.0), S("洛阳市")],
            &[N(4103.5), S("半个")],
        ]);
        let e = read_divisions_bytes("cities.xlsx", &bytes).unwrap_err();
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("code")));
        assert_eq!(
            e.kind,
            ImportErrorKind::BadCode {
                value: "4103.5".into(),
                why: CodeError::NotDigits
            }
        );
        assert_eq!(
            e.to_string(),
            "cities.xlsx 第 3 行，code 列：“4103.5” 不是有效的统计用区划代码（只能是数字）"
        );

        let header_only = xlsx(&[&[S("code"), S("name")]]);
        let e = read_divisions_bytes("cities.xlsx", &header_only).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::Empty);

        let nothing = xlsx(&[]);
        let e = read_divisions_bytes("cities.xlsx", &nothing).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::Empty);

        let no_name = xlsx(&[&[S("code"), S("名称")], &[N(4103.0), S("洛阳市")]]);
        let e = read_divisions_bytes("cities.xlsx", &no_name).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::MissingColumn("name"));
        assert_eq!(e.to_string(), "cities.xlsx：缺少 name 列");
    }

    #[test]
    fn bad_xlsx() {
        let e = read_divisions_bytes("broken.xlsx", b"code,name\n4103,x\n").unwrap_err();
        assert!(matches!(e.kind, ImportErrorKind::BadXlsx(_)), "{e:?}");
        assert_eq!(
            (e.file.as_str(), e.row, e.field.as_deref()),
            ("broken.xlsx", None, None)
        );
        assert!(
            e.to_string().starts_with("broken.xlsx：不是有效的 Excel"),
            "{e}"
        );
    }

    #[test]
    fn reads_from_a_path() {
        let path = temp_path("areas.csv");
        std::fs::write(&path, AREAS).unwrap();
        let rows = read_divisions(&path).unwrap();
        assert_eq!(codes(&rows), ["410302", "410323"]);
        assert_eq!(rows[0].file, "areas.csv");

        let book = xlsx(&[&[S("code"), S("name")], &[N(4103.0), S("洛阳市")]]);
        let xlsx_path = path.with_file_name("cities.xlsx");
        std::fs::write(&xlsx_path, book).unwrap();
        assert_eq!(codes(&read_divisions(&xlsx_path).unwrap()), ["4103"]);

        let dir = path.parent().unwrap().to_path_buf();
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = read_divisions(&path).unwrap_err();
        assert_eq!(missing.file, "areas.csv");
        assert_eq!(missing.kind, ImportErrorKind::Io("找不到该文件".into()));
        assert_eq!(
            missing.to_string(),
            "areas.csv：无法读取文件（找不到该文件）"
        );
    }

    #[test]
    fn bad_codes() {
        let e = err(
            "villages.csv",
            "code,name\n410302001001,甲\n4103x2001001,乙\n",
        );
        assert_eq!(
            (e.file.as_str(), e.row, e.field.as_deref()),
            ("villages.csv", Some(3), Some("code"))
        );
        assert_eq!(
            e.kind,
            ImportErrorKind::BadCode {
                value: "4103x2001001".into(),
                why: CodeError::NotDigits
            }
        );
        assert_eq!(
            e.to_string(),
            "villages.csv 第 3 行，code 列：“4103x2001001” 不是有效的统计用区划代码（只能是数字）"
        );

        let e = err("villages.csv", "code,name\n41030200100,乙\n");
        assert_eq!((e.row, e.field.as_deref()), (Some(2), Some("code")));
        assert_eq!(
            e.to_string(),
            "villages.csv 第 2 行，code 列：“41030200100” 不是有效的统计用区划代码（位数应为 2、4、6、9 或 12 位）"
        );

        let e = err("villages.csv", "code,name\n000000000000,乙\n");
        assert!(matches!(
            e.kind,
            ImportErrorKind::BadCode {
                why: CodeError::AllZero,
                ..
            }
        ));
        assert!(e.to_string().contains("不能全是 0"), "{e}");

        let e = err("villages.csv", "code,name\n\n,没有代码\n");
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("code")));
        assert_eq!(e.to_string(), "villages.csv 第 3 行，code 列：代码为空");
    }

    #[test]
    fn empty_names() {
        let e = err(
            "villages.csv",
            "code,name\n410302001001,甲\n410302001002,\u{3000} \n",
        );
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("name")));
        assert_eq!(e.kind, ImportErrorKind::EmptyName);
        assert_eq!(e.to_string(), "villages.csv 第 3 行，name 列：名称为空");

        // A short row: the name column is not there at all.
        let e = err("villages.csv", "code,name,streetCode\n410302001001\n");
        assert_eq!((e.row, e.kind), (Some(2), ImportErrorKind::EmptyName));
    }

    #[test]
    fn ancestor_mismatch() {
        let mut text = String::from("code,name,streetCode,provinceCode,cityCode,areaCode\n");
        for _ in 0..10 {
            text.push_str("410302001001,甲,410302001,41,4103,410302\n");
        }
        text.push_str("410302001001,乙,410302002,41,4103,410302\n");
        let e = err("villages.csv", &text);
        assert_eq!(
            (e.file.as_str(), e.row, e.field.as_deref()),
            ("villages.csv", Some(12), Some("streetCode"))
        );
        assert_eq!(
            e.kind,
            ImportErrorKind::AncestorMismatch {
                column: "streetCode".into(),
                value: "410302002".into(),
                expected: "410302001".into(),
                code: "410302001001".into(),
            }
        );
        assert_eq!(
            e.to_string(),
            "villages.csv 第 12 行，streetCode 列为 410302002，但代码 410302001001 的上级应为 410302001"
        );

        // Header spelled differently: the error still uses the canonical column name.
        let e = err("areas.csv", "code,name,PROVINCECODE\n410302,老城区,42\n");
        assert_eq!((e.row, e.field.as_deref()), (Some(2), Some("provinceCode")));

        // Not a code at all is a mismatch too.
        let e = err("areas.csv", "code,name,cityCode\n410302,老城区,洛阳\n");
        assert!(matches!(e.kind, ImportErrorKind::AncestorMismatch { .. }));

        // A street column on a county row: the county has no township above it.
        let e = err(
            "areas.csv",
            "code,name,streetCode\n410302,老城区,410302001\n",
        );
        assert_eq!(e.field.as_deref(), Some("streetCode"));
        assert_eq!(
            e.to_string(),
            "areas.csv 第 2 行，streetCode 列为 410302001，但代码 410302 没有这一级的上级"
        );
    }

    #[test]
    fn missing_columns() {
        let e = err("villages.csv", "code,title\n4103,洛阳\n");
        assert_eq!((e.row, e.field.as_deref()), (None, None));
        assert_eq!(e.kind, ImportErrorKind::MissingColumn("name"));
        assert_eq!(e.to_string(), "villages.csv：缺少 name 列");

        let e = err("villages.csv", "id,name\n4103,洛阳\n");
        assert_eq!(e.kind, ImportErrorKind::MissingColumn("code"));
        assert_eq!(e.to_string(), "villages.csv：缺少 code 列");
    }

    #[test]
    fn empty_files() {
        for text in ["code,name\n", "code,name\n\n,\n", ""] {
            let e = err("villages.csv", text);
            assert_eq!((e.row, e.field.as_deref()), (None, None), "{text:?}");
            assert_eq!(e.kind, ImportErrorKind::Empty, "{text:?}");
            assert_eq!(e.to_string(), "villages.csv：文件中没有任何数据行");
        }
    }

    #[test]
    fn unknown_format() {
        for file in ["x.txt", "x.xls", "csv", "x.csv.bak"] {
            let e = err(file, "code,name\n4103,洛阳\n");
            assert_eq!(e.kind, ImportErrorKind::UnknownFormat, "{file}");
            assert_eq!(e.to_string(), format!("{file}：只支持 .csv 和 .xlsx 文件"));
        }
        // Refused by name, before reading: a missing .txt is still the wrong format.
        let e = read_divisions(Path::new("/nonexistent/x.txt")).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.kind),
            ("x.txt", ImportErrorKind::UnknownFormat)
        );
    }

    #[test]
    fn many_rows_read_in_order() {
        let mut text = String::from("code,name,streetCode,provinceCode,cityCode,areaCode\n");
        for i in 1..=5000 {
            text.push_str(&format!(
                "410302001{:03},\"村{i}\",410302001,41,4103,410302\n",
                i % 999 + 1
            ));
        }
        let rows = read_divisions_bytes("villages.csv", text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 5000);
        assert_eq!(rows[4999].row, 5001);
        assert_eq!(rows[4999].name, "村5000");
    }
}
