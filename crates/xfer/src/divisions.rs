//! Division tables in the National Bureau of Statistics layout (as in `data/divisions-luoyang/`):
//! `code,name` plus optional ancestor columns `provinceCode,cityCode,areaCode,streetCode`.
//!
//! Reading is strict: the first bad row stops it, and the error names the file, the row as a
//! spreadsheet shows it (header = row 1) and the column, in words a village clerk understands.
//!
//! Every table (divisions and bank statements alike) is read within fixed caps — [`MAX_FILE_BYTES`],
//! [`MAX_ROWS`], [`MAX_COLUMNS`], [`MAX_CELL_CHARS`] — checked as the cells arrive, so a file
//! that claims (or has) a huge grid is refused before memory grows with it. XLSX is streamed cell
//! by cell: the sheet's declared dimension is never trusted nor used to allocate.

use calamine::DataRef;
use domain::org::{CodeError, DivisionCode, Level};
use domain::text::normalize;
use std::fmt::Write as _;
use std::path::Path;

/// The largest file read, in bytes (64 MiB). A national village table in CSV is about 45 MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The last spreadsheet row read (the header is row 1): room for the national village table
/// (about 620,000 rows) with margin. A non-blank cell or line below it refuses the file.
pub const MAX_ROWS: usize = 1_000_000;
/// The most columns read: a non-blank cell right of column 64 (`BL`) refuses the file.
pub const MAX_COLUMNS: usize = 64;
/// The most characters in one cell.
pub const MAX_CELL_CHARS: usize = 1_000;

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
    /// A CSV in neither UTF-8 nor GB18030 (UTF-16, a binary file).
    UnknownEncoding,
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
    /// A bank statement's date outside 1990–2100 (a mistyped year, a bare time, a stray number).
    DateOutOfRange {
        value: String,
    },
    /// A bank statement row with an amount in both its debit (借方/支出) and credit (贷方/收入)
    /// columns. The columns are named as the file's header spells them.
    DebitAndCredit {
        debit_column: String,
        debit: String,
        credit_column: String,
        credit: String,
    },
    /// The file is over [`MAX_FILE_BYTES`]; `bytes` is its size (at least the cap plus one).
    FileTooLarge {
        bytes: u64,
    },
    /// A non-blank row below [`MAX_ROWS`]; the error's `row` says which.
    TooManyRows,
    /// A non-blank cell right of [`MAX_COLUMNS`]; `column` counts from 1, the error's `field` is
    /// its letters (`XFD`).
    TooManyColumns {
        column: usize,
    },
    /// A cell of more than [`MAX_CELL_CHARS`] characters.
    CellTooLong {
        chars: usize,
    },
    /// No data rows (or nothing at all).
    Empty,
    /// More units than one "三有" upload takes.
    TooManyUnits {
        max: usize,
    },
}

/// Why a table could not be read, with the file, row and column to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// File name only.
    pub file: String,
    /// Spreadsheet row (header = 1), when the problem is in one row.
    pub row: Option<usize>,
    /// Column (`code`, `name`, `provinceCode`, `cityCode`, `areaCode`, `streetCode`; a bank
    /// statement's column as its header spells it; for a cap on rows, columns or cells the
    /// spreadsheet's column letters, `A`, `B`, … `XFD`).
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
            ImportErrorKind::UnknownEncoding => f.write_str(
                "文件的编码既不是 UTF-8 也不是 GB18030（可能是 UTF-16 的“Unicode 文本”）；\
                 请在 Excel 里另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再导入",
            ),
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
            ImportErrorKind::BadDate { value } if value.is_empty() => f.write_str("日期为空"),
            ImportErrorKind::BadDate { value } => {
                write!(f, "“{value}”不是日期（应写成 2026-01-31 这样）")
            }
            ImportErrorKind::BadAmount { value } => {
                write!(f, "“{value}”不是金额（应写成 1234.50 这样的数字）")
            }
            ImportErrorKind::DateOutOfRange { value } => write!(
                f,
                "“{value}”不像是流水的日期（应在 {}—{} 年之间，写成 2026-01-31 这样）",
                crate::statement::FIRST_YEAR,
                crate::statement::LAST_YEAR
            ),
            ImportErrorKind::DebitAndCredit {
                debit_column,
                debit,
                credit_column,
                credit,
            } => write!(
                f,
                "“{debit_column}”和“{credit_column}”两列都有金额（{debit} 和 {credit}），\
                 一行只能填其中一列"
            ),
            ImportErrorKind::FileTooLarge { bytes } => write!(
                f,
                "文件太大（{:.1} MB），最大只能是 {} MB；请把表格拆成几个文件分别导入",
                *bytes as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            ImportErrorKind::TooManyRows => write!(
                f,
                "表格最多只能有 {}，这里已超出；请把表格拆成几个文件分别导入",
                rows_text(MAX_ROWS)
            ),
            ImportErrorKind::TooManyColumns { column } => write!(
                f,
                "表格最多只能有 {MAX_COLUMNS} 列，这一格在第 {column} 列；请删掉多余的列"
            ),
            ImportErrorKind::CellTooLong { chars } => {
                write!(f, "这一格有 {chars} 个字，最多只能有 {MAX_CELL_CHARS} 个字")
            }
            ImportErrorKind::Empty => f.write_str("文件中没有任何数据行"),
            ImportErrorKind::TooManyUnits { max } => {
                write!(f, "一次最多导入 {max} 个单位，请把表格拆成几个文件分别上传")
            }
        }
    }
}

/// So many rows as a clerk says it: `100 万行`, `5000 行`.
fn rows_text(n: usize) -> String {
    if n >= 10_000 && n.is_multiple_of(10_000) {
        format!("{} 万行", n / 10_000)
    } else {
        format!("{n} 行")
    }
}

/// A column as a spreadsheet names it: 0 → `A`, 25 → `Z`, 26 → `AA`, 16383 → `XFD`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
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
    let io_error = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "找不到该文件".to_string(),
            std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
            _ => e.to_string(),
        };
        error(&file, None, None, ImportErrorKind::Io(why))
    };
    let bytes = read_capped(path)
        .map_err(io_error)?
        .map_err(|bytes| error(&file, None, None, ImportErrorKind::FileTooLarge { bytes }))?;
    read_divisions_bytes(&file, &bytes)
}

/// A file's bytes, or its size when that is over [`MAX_FILE_BYTES`] (then nothing is read).
/// Never reads more than one byte over the cap, which [`read_table`] then refuses, should the
/// file grow while being read.
fn read_capped(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_FILE_BYTES as u64 {
        return Ok(Err(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(Ok(bytes))
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
    /// The file's name, for errors.
    fn file(&self) -> &str;
    /// What is wrong, where: the file, the row and column when known.
    fn error(&self, row: Option<usize>, field: Option<&str>, kind: ImportErrorKind) -> ImportError {
        error(self.file(), row, field, kind)
    }
    /// Room for about this many rows.
    fn reserve(&mut self, _rows: usize) {}
}

/// Reads a CSV or XLSX table into a sink; the extension of `file_name` picks the format.
pub(crate) fn read_table<S: RowSink>(
    file_name: &str,
    bytes: &[u8],
    sink: &mut S,
) -> Result<(), ImportError> {
    let format = format_of(file_name)
        .ok_or_else(|| sink.error(None, None, ImportErrorKind::UnknownFormat))?;
    if bytes.len() > MAX_FILE_BYTES {
        let bytes = bytes.len() as u64;
        return Err(sink.error(None, None, ImportErrorKind::FileTooLarge { bytes }));
    }
    match format {
        Format::Csv => read_csv(sink, bytes),
        Format::Xlsx => read_xlsx(sink, bytes),
    }
}

/// The caps on one non-blank cell: where it is (spreadsheet row, zero-based column) and how
/// long. Blank cells are never refused: a sheet often carries empty formatted cells far out.
fn check_cell<S: RowSink>(sink: &S, row: usize, col: usize, text: &str) -> Result<(), ImportError> {
    if row > MAX_ROWS {
        return Err(sink.error(Some(row), None, ImportErrorKind::TooManyRows));
    }
    let column = || column_letters(col);
    if col >= MAX_COLUMNS {
        return Err(sink.error(
            Some(row),
            Some(&column()),
            ImportErrorKind::TooManyColumns { column: col + 1 },
        ));
    }
    // Bytes bound characters from above: count them only when it could matter.
    if text.len() > MAX_CELL_CHARS {
        let chars = text.chars().count();
        if chars > MAX_CELL_CHARS {
            return Err(sink.error(
                Some(row),
                Some(&column()),
                ImportErrorKind::CellTooLong { chars },
            ));
        }
    }
    Ok(())
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

    fn file(&self) -> &str {
        &self.file
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
/// which Chinese spreadsheet programs save by default. Anything else — UTF-16 ("Unicode text"),
/// a binary file, bytes that are not GB18030 either — is refused (None) rather than read as
/// garbage.
fn decode(bytes: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || bytes.contains(&0) {
        return None;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.into()),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            (!had_errors).then_some(text)
        }
    }
}

fn read_csv<S: RowSink>(table: &mut S, bytes: &[u8]) -> Result<(), ImportError> {
    let text =
        decode(bytes).ok_or_else(|| table.error(None, None, ImportErrorKind::UnknownEncoding))?;
    // One row per line at most: reserving up front saves copying a growing table.
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    table.reserve(lines.min(MAX_ROWS));
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
        for (col, text) in record.iter().enumerate() {
            if !text.trim().is_empty() {
                check_cell(table, row, col, text)?;
            }
        }
        if !table.has_header() {
            table.header(record.iter())?;
            continue;
        }
        let blank = || record.iter().all(|c| c.trim().is_empty());
        table.row(row, blank, |i| record.get(i).unwrap_or(""))?;
    }
    Ok(())
}

/// Reads the first worksheet cell by cell (calamine's cell reader, never its whole-grid
/// `worksheet_range`, which allocates the declared dimension). Rows arrive in order; the cells
/// of a row may be sparse. Only the current row is held.
fn read_xlsx<S: RowSink>(table: &mut S, bytes: &[u8]) -> Result<(), ImportError> {
    use calamine::{Reader, Xlsx, XlsxError};
    let bad =
        |table: &S, e: XlsxError| table.error(None, None, ImportErrorKind::BadXlsx(e.to_string()));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(table, e))?;
    let Some(sheet) = book.sheet_names().into_iter().next() else {
        return Err(table.error(None, None, ImportErrorKind::Empty));
    };
    let mut cells = match book.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        // A chart sheet first: no cells, as `worksheet_range` would have said.
        Err(XlsxError::NotAWorksheet(_)) => {
            return Err(table.error(None, None, ImportErrorKind::Empty));
        }
        Err(e) => return Err(bad(table, e)),
    };
    let mut current = RowCells::default();
    while let Some(cell) = cells.next_cell().map_err(|e| bad(table, e))? {
        let value = cell.get_value();
        if is_blank(value) {
            continue;
        }
        let (r, c) = cell.get_position();
        let (row, col) = (r as usize + 1, c as usize);
        if let DataRef::String(s) = value {
            check_cell(table, row, col, s)?;
        } else if let DataRef::SharedString(s) = value {
            check_cell(table, row, col, s)?;
        } else {
            check_cell(table, row, col, "")?;
        }
        match current.row {
            Some(n) if row < n => {
                let why = format!("第 {row} 行出现在第 {n} 行之后，文件可能已损坏");
                return Err(table.error(Some(row), None, ImportErrorKind::BadXlsx(why)));
            }
            Some(n) if row > n => current.flush(table)?,
            _ => {}
        }
        current.row = Some(row);
        render(value, current.slot(col));
    }
    current.flush(table)
}

/// The cells of the row being read, as text: `texts[i]` is column `i`, empty where the row has
/// no cell. Only the first `width` can be non-empty; they are cleared after each row.
#[derive(Default)]
struct RowCells {
    row: Option<usize>,
    texts: Vec<String>,
    width: usize,
}

impl RowCells {
    /// Column `col`'s text, emptied (`col` is under [`MAX_COLUMNS`]).
    fn slot(&mut self, col: usize) -> &mut String {
        if self.texts.len() <= col {
            self.texts.resize_with(col + 1, String::new);
        }
        self.width = self.width.max(col + 1);
        let text = &mut self.texts[col];
        text.clear();
        text
    }

    /// Hands the row to the sink: the first row with a cell is the header.
    fn flush<S: RowSink>(&mut self, table: &mut S) -> Result<(), ImportError> {
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        let texts = &self.texts[..self.width];
        if table.has_header() {
            let blank = || texts.iter().all(|t| t.trim().is_empty());
            table.row(row, blank, |c| texts.get(c).map_or("", String::as_str))?;
        } else {
            table.header(texts.iter().map(String::as_str))?;
        }
        self.texts[..self.width].iter_mut().for_each(String::clear);
        self.width = 0;
        Ok(())
    }
}

/// Whether a cell is as good as absent: no value, or only spaces.
fn is_blank(value: &DataRef<'_>) -> bool {
    match value {
        DataRef::Empty => true,
        DataRef::String(s) => s.trim().is_empty(),
        DataRef::SharedString(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A cell as the text a clerk sees in it.
///
/// - Whole numbers up to 2^53 exactly (`410302001001`, `10000`, a numeric bank serial).
/// - Other numbers to 15 significant digits, as Excel shows them: an amount `200.5` is
///   `200.5`, a computed `0.1+0.2` is `0.3`, never `0.30000000000000004`, so
///   `Fen::parse_yuan` reads it exactly.
/// - Date cells (a number with a date format) as `YYYY-MM-DD HH:MM:SS`, in the workbook's
///   1900 or 1904 date system; a bare time (under one day) as `HH:MM:SS`; a duration as its
///   number.
fn render(value: &DataRef<'_>, text: &mut String) {
    use calamine::{ExcelDateTime, ExcelDateTimeType};
    match value {
        DataRef::Empty => {}
        DataRef::String(s) => text.push_str(s),
        DataRef::SharedString(s) => text.push_str(s),
        DataRef::Float(f) => push_number(*f, text),
        DataRef::Int(n) => {
            let _ = write!(text, "{n}");
        }
        DataRef::DateTime(dt) => {
            let serial = dt.as_f64();
            // calamine keeps the date system and the kind private (without its `dates`
            // feature), but they are part of equality.
            let as_date =
                |is_1904| ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904);
            let is_1904 = if *dt == as_date(false) {
                Some(false)
            } else if *dt == as_date(true) {
                Some(true)
            } else {
                None // a duration, or not a number
            };
            match is_1904.and_then(|is_1904| excel_datetime(serial, is_1904)) {
                Some(shown) => text.push_str(&shown),
                None => push_number(serial, text),
            }
        }
        DataRef::Bool(b) => text.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text.push_str(s),
        DataRef::Error(e) => {
            let _ = write!(text, "{e}");
        }
    }
}

/// A number as a spreadsheet shows it (see [`render`]).
fn push_number(f: f64, text: &mut String) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() < EXACT {
        let _ = write!(text, "{}", f as i64);
    } else if f.is_finite() {
        let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
        let _ = write!(text, "{rounded}");
    } else {
        let _ = write!(text, "{f}");
    }
}

/// An Excel serial date-time (days since 1899-12-30 in the 1900 date system, since
/// 1904-01-01 in the 1904 one) as `YYYY-MM-DD HH:MM:SS`, or `HH:MM:SS` under one day; `None`
/// when negative, not a number or after 9999.
pub(crate) fn excel_datetime(serial: f64, is_1904: bool) -> Option<String> {
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let seconds = (serial * 86_400.0).round() as i64;
    let (days, secs) = (seconds / 86_400, seconds % 86_400);
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if days == 0 {
        return Some(time);
    }
    let days = if is_1904 { days + 1462 } else { days };
    let (y, m, d) = excel_date(days)?;
    Some(format!("{y:04}-{m:02}-{d:02} {time}"))
}

/// An Excel serial day (1900 date system: 1 is 1900-01-01, and from 61 on, days since
/// 1899-12-30) as a calendar date (year, month, day); `None` after 9999.
pub(crate) fn excel_date(days: i64) -> Option<(i64, u32, u32)> {
    // Serials before 1900-03-01 count Excel's fictional 1900-02-29: shift them by one.
    let days = if days < 61 { days + 1 } else { days };
    // Howard Hinnant's civil_from_days, from 1970-01-01 = day 0 (1899-12-30 is day -25569).
    let z = days - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (1..=9999).contains(&y).then_some((y, m, d))
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
    fn utf16_and_binary_files_are_refused_with_a_word_on_the_encoding() {
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "code,name\n4103,洛阳市\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let e = read_divisions_bytes("cities.csv", &utf16).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::UnknownEncoding);
        assert!(e.to_string().contains("UTF-8"), "{e}");
        let binary = b"code,name\n4103,\x00\x01\x02\n";
        assert_eq!(
            read_divisions_bytes("cities.csv", binary).unwrap_err().kind,
            ImportErrorKind::UnknownEncoding
        );
        // Not UTF-8 and not GB18030 either: a lone lead byte at the end.
        let broken = b"code,name\n4103,\xB2\xE2\x81";
        assert_eq!(
            read_divisions_bytes("cities.csv", broken).unwrap_err().kind,
            ImportErrorKind::UnknownEncoding
        );
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

    #[test]
    fn column_letters_as_a_spreadsheet_shows_them() {
        let cases = [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (63, "BL"),
            (701, "ZZ"),
            (702, "AAA"),
        ];
        for (i, letters) in cases {
            assert_eq!(column_letters(i), letters);
        }
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn xlsx_with_a_cell_at_the_far_corner_is_refused_without_allocating_the_grid() {
        // A header and one cell at XFD1048576: the sheet's dimension says 17 billion cells.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "code").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let started = std::time::Instant::now();
        let e = read_divisions_bytes("villages.xlsx", &bytes).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(e.kind, ImportErrorKind::TooManyRows);
        assert_eq!((e.row, e.field.as_deref()), (Some(1_048_576), None));
        assert_eq!(
            e.to_string(),
            "villages.xlsx 第 1048576 行：表格最多只能有 100 万行，这里已超出；请把表格拆成几个文件分别导入"
        );

        // The same cell within the rows: refused for its column.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "code").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        sheet.write_number(1, 0, 4103.0).unwrap();
        sheet.write_string(1, 1, "洛阳市").unwrap();
        sheet.write_string(2, 16_383, "x").unwrap();
        let e = read_divisions_bytes("cities.xlsx", &book.save_to_buffer().unwrap()).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::TooManyColumns { column: 16_384 });
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("XFD")));
        assert_eq!(
            e.to_string(),
            "cities.xlsx 第 3 行，XFD 列：表格最多只能有 64 列，这一格在第 16384 列；请删掉多余的列"
        );
    }

    #[test]
    fn xlsx_blank_cells_far_out_are_no_reason_to_refuse() {
        // Formatted but empty, or only spaces: as good as absent.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        sheet.write_string(0, 0, "code").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        sheet.write_string(0, 200, " ").unwrap();
        sheet.write_number(1, 0, 4103.0).unwrap();
        sheet.write_string(1, 1, "洛阳市").unwrap();
        sheet.write_blank(1, 300, &bold).unwrap();
        sheet.write_blank(1_048_575, 16_383, &bold).unwrap();
        let rows = read_divisions_bytes("cities.xlsx", &book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(codes(&rows), ["4103"]);
    }

    #[test]
    fn the_last_allowed_row_and_column_are_read() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "code").unwrap();
        sheet.write_string(0, 1, "name").unwrap();
        sheet
            .write_string(0, MAX_COLUMNS as u16 - 1, "备注")
            .unwrap();
        sheet.write_number(MAX_ROWS as u32 - 1, 0, 4103.0).unwrap();
        sheet
            .write_string(MAX_ROWS as u32 - 1, 1, "洛阳市")
            .unwrap();
        let rows = read_divisions_bytes("cities.xlsx", &book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(rows[0].row, MAX_ROWS);
        const { assert!(MAX_ROWS >= 700_000, "room for the national village table") };
    }

    #[test]
    fn an_over_long_cell_is_refused() {
        let long = "村".repeat(MAX_CELL_CHARS + 1);
        let bytes = xlsx(&[
            &[S("code"), S("name")],
            &[N(4103.0), S("洛阳市")],
            &[N(410302.0), S(long.clone().leak())],
        ]);
        let e = read_divisions_bytes("areas.xlsx", &bytes).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::CellTooLong { chars: 1001 });
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("B")));
        assert_eq!(
            e.to_string(),
            "areas.xlsx 第 3 行，B 列：这一格有 1001 个字，最多只能有 1000 个字"
        );

        let csv = format!("code,name\n4103,洛阳市\n410302,\"{long}\"\n");
        let e = err("areas.csv", &csv);
        assert_eq!(e.kind, ImportErrorKind::CellTooLong { chars: 1001 });
        assert_eq!((e.row, e.field.as_deref()), (Some(3), Some("B")));

        // Exactly the cap, in three-byte characters, is fine.
        let name = "村".repeat(MAX_CELL_CHARS);
        let rows = read_divisions_bytes("a.csv", format!("code,name\n4103,{name}\n").as_bytes());
        assert_eq!(rows.unwrap()[0].name.chars().count(), MAX_CELL_CHARS);
    }

    #[test]
    fn csv_with_too_many_columns_is_refused() {
        let mut header = String::from("code,name");
        for i in 3..=MAX_COLUMNS + 1 {
            header.push_str(&format!(",c{i}"));
        }
        let e = err("villages.csv", &format!("{header}\n4103,洛阳市\n"));
        assert_eq!(e.kind, ImportErrorKind::TooManyColumns { column: 65 });
        assert_eq!((e.row, e.field.as_deref()), (Some(1), Some("BM")));
        assert_eq!(
            e.to_string(),
            "villages.csv 第 1 行，BM 列：表格最多只能有 64 列，这一格在第 65 列；请删掉多余的列"
        );

        // In a data row too; but empty fields past the cap (Excel's trailing commas) are fine.
        let wide = format!("4103,洛阳市{}", ",".repeat(100));
        let rows = read_divisions_bytes("a.csv", format!("code,name\n{wide}\n").as_bytes());
        assert_eq!(codes(&rows.unwrap()), ["4103"]);
        let e = err("a.csv", &format!("code,name\n{wide}x\n"));
        assert_eq!(e.kind, ImportErrorKind::TooManyColumns { column: 102 });
        assert_eq!((e.row, e.field.as_deref()), (Some(2), Some("CX")));
    }

    #[test]
    fn csv_with_too_many_rows_is_refused() {
        let blank_lines = "\n".repeat(MAX_ROWS - 2);
        let text = format!("code,name\n{blank_lines}4103,洛阳市\n");
        let rows = read_divisions_bytes("a.csv", text.as_bytes()).unwrap();
        assert_eq!(rows[0].row, MAX_ROWS);
        let e = err("a.csv", &format!("{text}410302,老城区\n"));
        assert_eq!(
            (e.kind, e.row),
            (ImportErrorKind::TooManyRows, Some(MAX_ROWS + 1))
        );
        // Blank lines at the end are not rows.
        let rows = read_divisions_bytes("a.csv", format!("{text}\n\n").as_bytes());
        assert_eq!(rows.unwrap().len(), 1);
    }

    #[test]
    fn an_over_large_file_is_refused_before_it_is_read() {
        let big = vec![b'\n'; MAX_FILE_BYTES + 1];
        for file in ["a.csv", "a.xlsx"] {
            let e = read_divisions_bytes(file, &big).unwrap_err();
            let bytes = MAX_FILE_BYTES as u64 + 1;
            assert_eq!(e.kind, ImportErrorKind::FileTooLarge { bytes }, "{file}");
        }
        // From a path, by its size alone (a sparse file: nothing written, nothing read).
        let path = temp_path("villages.csv");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(3 * 64 * 1024 * 1024).unwrap();
        let e = read_divisions(&path).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::FileTooLarge { bytes: 3 << 26 });
        assert_eq!(
            e.to_string(),
            "villages.csv：文件太大（192.0 MB），最大只能是 64 MB；请把表格拆成几个文件分别导入"
        );
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn xlsx_rows_out_of_order_are_refused() {
        use crate::test_xlsx::{text, workbook};
        let sheet = format!(
            "<row r=\"1\">{}{}</row><row r=\"3\">{}{}</row><row r=\"2\">{}{}</row>",
            text("A1", "code"),
            text("B1", "name"),
            text("A3", "4103"),
            text("B3", "洛阳市"),
            text("A2", "41"),
            text("B2", "河南省"),
        );
        let e = read_divisions_bytes("a.xlsx", &workbook(&sheet, false)).unwrap_err();
        assert_eq!(e.row, Some(2));
        assert_eq!(
            e.to_string(),
            "a.xlsx 第 2 行：不是有效的 Excel（.xlsx）文件（第 2 行出现在第 3 行之后，文件可能已损坏）"
        );
        // Cells of a row in any order, and sparse, are fine.
        let sheet = format!(
            "<row r=\"2\">{}{}</row><row r=\"5\">{}{}</row>",
            text("B2", "name"),
            text("A2", "code"),
            text("B5", "洛阳市"),
            text("A5", "4103"),
        );
        let rows = read_divisions_bytes("a.xlsx", &workbook(&sheet, false)).unwrap();
        assert_eq!((codes(&rows), rows[0].row), (vec!["4103"], 5));
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(46_354), Some((2026, 11, 28)));
        assert_eq!(excel_date(32_874), Some((1990, 1, 1)));
        assert_eq!(excel_date(1), Some((1900, 1, 1)));
        assert_eq!(excel_date(59), Some((1900, 2, 28)));
        assert_eq!(excel_date(61), Some((1900, 3, 1)));
        assert_eq!(excel_date(2_958_465), Some((9999, 12, 31)));
        assert_eq!(excel_date(2_958_466), None);
        let at = |serial, is_1904| excel_datetime(serial, is_1904);
        assert_eq!(
            at(46_354.418_090_277_78, false).unwrap(),
            "2026-11-28 10:02:03"
        );
        assert_eq!(at(44_891.5, true).unwrap(), "2026-11-27 12:00:00");
        assert_eq!(at(46_354.999_999_9, false).unwrap(), "2026-11-29 00:00:00");
        assert_eq!(at(0.25, false).unwrap(), "06:00:00");
        assert_eq!((at(-1.0, false), at(f64::NAN, false)), (None, None));
    }

    #[test]
    fn numbers_read_as_a_spreadsheet_shows_them() {
        let shown = |f: f64| {
            let mut s = String::new();
            push_number(f, &mut s);
            s
        };
        assert_eq!(shown(410_302_001_001.0), "410302001001");
        assert_eq!(shown(2_026_112_800_001_234.0), "2026112800001234");
        assert_eq!(shown(200.5), "200.5");
        assert_eq!(shown(0.1 + 0.2), "0.3");
        assert_eq!(shown(1.1 * 200.0), "220");
        assert_eq!(shown(-0.05), "-0.05");
        assert_eq!(shown(4103.5), "4103.5");
    }
}
