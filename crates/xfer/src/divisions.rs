//! Division tables in the National Bureau of Statistics layout (as in `data/divisions-luoyang/`):
//! `code,name` plus optional ancestor columns `provinceCode,cityCode,areaCode,streetCode`.

use domain::org::{CodeError, DivisionCode, Level};
use domain::text::normalize;
use std::path::Path;

/// One unit read from a division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    pub code: DivisionCode,
    pub name: String,
    /// File name only, e.g. `villages.csv`.
    pub file: String,
    /// The row as a spreadsheet shows it: the header is row 1.
    pub row: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportErrorKind {
    Io(String),
    UnknownFormat,
    MissingColumn(&'static str),
    BadCode {
        value: String,
        why: CodeError,
    },
    EmptyName,
    AncestorMismatch {
        column: String,
        value: String,
        expected: String,
    },
    BadXlsx(String),
    Empty,
}

/// Why a table could not be read, with the file, row and column to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub row: Option<usize>,
    pub field: Option<String>,
    /// Boxed: errors travel up through every row's `Result`, which should stay small.
    pub kind: Box<ImportErrorKind>,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            write!(f, " 第 {row} 行")?;
        }
        if let Some(field) = &self.field {
            write!(f, "，{field} 列")?;
        }
        f.write_str("：")?;
        match self.kind.as_ref() {
            ImportErrorKind::Io(e) => write!(f, "无法读取文件（{e}）"),
            ImportErrorKind::UnknownFormat => f.write_str("只支持 .csv 和 .xlsx 文件"),
            ImportErrorKind::MissingColumn(c) => {
                write!(f, "缺少 {c} 列（第一行应是列名，如 code,name）")
            }
            ImportErrorKind::BadCode { value, why } => {
                let why = match why {
                    CodeError::NotDigits => "只能是数字",
                    CodeError::WrongLength => "位数应为 2、4、6、9 或 12 位",
                    CodeError::AllZero => "不能全是 0",
                };
                write!(f, "“{value}”不是有效的统计用区划代码（{why}）")
            }
            ImportErrorKind::EmptyName => f.write_str("名称为空"),
            ImportErrorKind::AncestorMismatch {
                column,
                value,
                expected,
            } => write!(f, "{column} 列为 {value}，但按代码其上级应为 {expected}"),
            ImportErrorKind::BadXlsx(e) => write!(f, "不是有效的 Excel 文件（{e}）"),
            ImportErrorKind::Empty => f.write_str("文件中没有任何数据行"),
        }
    }
}

/// The optional ancestor columns and the level each names.
const ANCESTOR_COLUMNS: [(&str, Level); 4] = [
    ("provincecode", Level::Province),
    ("citycode", Level::City),
    ("areacode", Level::County),
    ("streetcode", Level::Township),
];

/// Reads a division table from a file (`.csv` or `.xlsx`).
pub fn read_divisions(path: &Path) -> Result<Vec<DivisionRow>, ImportError> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| ImportError {
        file: file.clone(),
        row: None,
        field: None,
        kind: Box::new(ImportErrorKind::Io(e.to_string())),
    })?;
    read_divisions_bytes(&file, &bytes)
}

/// Reads a division table already in memory; the extension of `file_name` picks the format.
pub fn read_divisions_bytes(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<DivisionRow>, ImportError> {
    let lower = file_name.to_ascii_lowercase();
    let mut reader = TableReader::new(file_name);
    if lower.ends_with(".csv") {
        read_csv(&mut reader, bytes)?;
    } else if lower.ends_with(".xlsx") {
        read_xlsx(&mut reader, bytes)?;
    } else {
        return Err(reader.error(None, None, ImportErrorKind::UnknownFormat));
    }
    reader.finish()
}

/// Turns rows of cells (from either format) into division rows.
struct TableReader {
    file: String,
    code_col: usize,
    name_col: usize,
    ancestors: Vec<(usize, String, Level)>,
    rows: Vec<DivisionRow>,
    saw_header: bool,
}

impl TableReader {
    fn new(file: &str) -> TableReader {
        TableReader {
            file: file.to_string(),
            code_col: 0,
            name_col: 0,
            ancestors: Vec::new(),
            rows: Vec::new(),
            saw_header: false,
        }
    }

    fn error(&self, row: Option<usize>, field: Option<&str>, kind: ImportErrorKind) -> ImportError {
        ImportError {
            file: self.file.clone(),
            row,
            field: field.map(str::to_string),
            kind: Box::new(kind),
        }
    }

    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let names: Vec<String> = cells
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect();
        let find = |n: &str| names.iter().position(|c| c == n);
        self.code_col = find("code")
            .ok_or_else(|| self.error(None, None, ImportErrorKind::MissingColumn("code")))?;
        self.name_col = find("name")
            .ok_or_else(|| self.error(None, None, ImportErrorKind::MissingColumn("name")))?;
        for (col, level) in ANCESTOR_COLUMNS {
            if let Some(i) = find(col) {
                let original = match col {
                    "provincecode" => "provinceCode",
                    "citycode" => "cityCode",
                    "areacode" => "areaCode",
                    _ => "streetCode",
                };
                self.ancestors.push((i, original.to_string(), level));
            }
        }
        self.saw_header = true;
        Ok(())
    }

    /// One data row; `row` is its spreadsheet row number.
    fn row(&mut self, row: usize, cell: impl Fn(usize) -> String) -> Result<(), ImportError> {
        let raw_code = cell(self.code_col);
        let raw_name = cell(self.name_col);
        if raw_code.trim().is_empty() && raw_name.trim().is_empty() {
            return Ok(());
        }
        let code = DivisionCode::parse(&raw_code).map_err(|why| {
            self.error(
                Some(row),
                Some("code"),
                ImportErrorKind::BadCode {
                    value: raw_code.trim().to_string(),
                    why,
                },
            )
        })?;
        let name = normalize(&raw_name);
        if name.is_empty() {
            return Err(self.error(Some(row), Some("name"), ImportErrorKind::EmptyName));
        }
        for (col, column, level) in &self.ancestors {
            let value = cell(*col);
            if value.trim().is_empty() {
                continue;
            }
            let expected = code.ancestor_at(*level);
            let given = DivisionCode::parse(&value).ok();
            if given.is_none() || given != expected {
                return Err(self.error(
                    Some(row),
                    Some(column),
                    ImportErrorKind::AncestorMismatch {
                        column: column.clone(),
                        value: value.trim().to_string(),
                        expected: expected
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "（无）".into()),
                    },
                ));
            }
        }
        self.rows.push(DivisionRow {
            code,
            name,
            file: self.file.clone(),
            row,
        });
        Ok(())
    }

    fn finish(self) -> Result<Vec<DivisionRow>, ImportError> {
        if !self.saw_header {
            return Err(self.error(None, None, ImportErrorKind::MissingColumn("code")));
        }
        if self.rows.is_empty() {
            return Err(self.error(None, None, ImportErrorKind::Empty));
        }
        Ok(self.rows)
    }
}

/// UTF-8 (with or without BOM) as is; anything that is not valid UTF-8 is read as GB18030,
/// which Chinese spreadsheets often save.
fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0,
    }
}

fn read_csv(reader: &mut TableReader, bytes: &[u8]) -> Result<(), ImportError> {
    let text = decode(bytes);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                return Err(reader.error(line, None, ImportErrorKind::Io(e.to_string())));
            }
        }
        row = record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(row + 1);
        if !reader.saw_header {
            reader.header(record.iter())?;
            continue;
        }
        reader.row(row, |i| record.get(i).unwrap_or("").to_string())?;
    }
    Ok(())
}

fn read_xlsx(reader: &mut TableReader, bytes: &[u8]) -> Result<(), ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| reader.error(None, None, ImportErrorKind::BadXlsx(e.to_string())))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| reader.error(None, None, ImportErrorKind::Empty))?
        .map_err(|e| reader.error(None, None, ImportErrorKind::BadXlsx(e.to_string())))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            // Codes typed as numbers: 410302001001.0 is the code 410302001001.
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Int(i) => i.to_string(),
            other => other.to_string(),
        }
    };
    for (i, cells) in range.rows().enumerate() {
        let row = first_row + i + 1;
        if !reader.saw_header {
            let names: Vec<String> = cells.iter().map(text).collect();
            reader.header(names.iter().map(String::as_str))?;
            continue;
        }
        reader.row(row, |c| cells.get(c).map(text).unwrap_or_default())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: &str = "code,name,provinceCode\n4103,\"洛阳市\",41\n";
    const AREAS: &str =
        "code,name,cityCode,provinceCode\n410302,\"老城区\",4103,41\n410323,\"新安县\",4103,41\n";
    const STREETS: &str =
        "code,name,areaCode,provinceCode,cityCode\n410302001,\"西关街道\",410302,41,4103\n";
    const VILLAGES: &str = "code,name,streetCode,provinceCode,cityCode,areaCode\n410302001001,\"承福门社区居民委员会\",410302001,41,4103,410302\n410302001002,\"应天门社区居民委员会\",410302001,41,4103,410302\n";

    fn codes(rows: &[DivisionRow]) -> Vec<&str> {
        rows.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn reads_every_layout_of_the_luoyang_tables() {
        assert_eq!(
            codes(&read_divisions_bytes("cities.csv", CITIES.as_bytes()).unwrap()),
            ["4103"]
        );
        assert_eq!(
            codes(&read_divisions_bytes("areas.csv", AREAS.as_bytes()).unwrap()),
            ["410302", "410323"]
        );
        assert_eq!(
            codes(&read_divisions_bytes("streets.csv", STREETS.as_bytes()).unwrap()),
            ["410302001"]
        );
        let v = read_divisions_bytes("villages.csv", VILLAGES.as_bytes()).unwrap();
        assert_eq!(v[1].name, "应天门社区居民委员会");
        assert_eq!(v[1].row, 3);
        assert_eq!(v[1].file, "villages.csv");
        let provinces =
            read_divisions_bytes("provinces.CSV", "code,name\n41,河南省\n".as_bytes()).unwrap();
        assert_eq!(provinces[0].code.level(), Level::Province);
    }

    #[test]
    fn bom_and_gb18030_read_the_same() {
        let plain = read_divisions_bytes("v.csv", VILLAGES.as_bytes()).unwrap();
        let bom = [b"\xEF\xBB\xBF".as_slice(), VILLAGES.as_bytes()].concat();
        assert_eq!(read_divisions_bytes("v.csv", &bom).unwrap(), plain);
        let (gb, _, _) = encoding_rs::GB18030.encode(VILLAGES);
        assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
        assert_eq!(read_divisions_bytes("v.csv", &gb).unwrap(), plain);
    }

    #[test]
    fn padded_codes_name_the_unit_they_pad() {
        let rows = read_divisions_bytes(
            "areas.csv",
            "code,name,cityCode\n410302000000,老城区,410300000000\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].code.as_str(), "410302");
    }

    #[test]
    fn xlsx_with_numeric_and_text_codes() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["code", "name", "streetCode"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_number(1, 0, 410302001001.0).unwrap();
        sheet.write_string(1, 1, "承福门社区居民委员会").unwrap();
        sheet.write_number(1, 2, 410302001.0).unwrap();
        sheet.write_string(2, 0, "410302001002").unwrap();
        sheet.write_string(2, 1, "应天门社区居民委员会").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let rows = read_divisions_bytes("villages.xlsx", &bytes).unwrap();
        assert_eq!(codes(&rows), ["410302001001", "410302001002"]);
        assert_eq!(rows[1].row, 3);
        let err = read_divisions_bytes("broken.xlsx", b"not a zip").unwrap_err();
        assert!(matches!(*err.kind, ImportErrorKind::BadXlsx(_)));
    }

    #[test]
    fn reads_from_a_path() {
        let dir = std::env::temp_dir().join(format!("xfer-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("areas.csv");
        std::fs::write(&path, AREAS).unwrap();
        let rows = read_divisions(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].file, "areas.csv");
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = read_divisions(&dir.join("nope.csv")).unwrap_err();
        assert!(matches!(*missing.kind, ImportErrorKind::Io(_)));
    }

    #[test]
    fn each_bad_row_names_file_row_and_column_in_chinese() {
        // (file, content, row, column, what the message says)
        type Case<'a> = (&'a str, &'a str, Option<usize>, Option<&'a str>, &'a str);
        let cases: [Case; 7] = [
            (
                "v.csv",
                "code,name\n410302001001,甲\n4103x2001001,乙\n",
                Some(3),
                Some("code"),
                "只能是数字",
            ),
            (
                "v.csv",
                "code,name\n41030200100,乙\n",
                Some(2),
                Some("code"),
                "位数应为",
            ),
            (
                "v.csv",
                "code,name\n410302001001,\n",
                Some(2),
                Some("name"),
                "名称为空",
            ),
            (
                "v.csv",
                "code,name,streetCode\n410302001001,甲,410302002\n",
                Some(2),
                Some("streetCode"),
                "上级应为 410302001",
            ),
            (
                "v.csv",
                "code,title\n4103,洛阳\n",
                None,
                None,
                "缺少 name 列",
            ),
            ("v.csv", "code,name\n", None, None, "没有任何数据行"),
            (
                "v.txt",
                "code,name\n4103,洛阳\n",
                None,
                None,
                "只支持 .csv 和 .xlsx",
            ),
        ];
        for (file, text, row, field, says) in cases {
            let err = read_divisions_bytes(file, text.as_bytes()).unwrap_err();
            assert_eq!(err.row, row, "{text}");
            assert_eq!(err.field.as_deref(), field, "{text}");
            let msg = err.to_string();
            assert!(msg.starts_with(file), "{msg}");
            assert!(msg.contains(says), "{msg}");
            if let Some(r) = row {
                assert!(msg.contains(&format!("第 {r} 行")), "{msg}");
            }
        }
    }

    #[test]
    fn blank_lines_are_skipped() {
        let rows =
            read_divisions_bytes("a.csv", "code,name\n\n4103,洛阳市\n,\n".as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
    }
}
