//! Bank statements (CSV or XLSX, as banks export them): date, amount, payer, reference and the
//! bank's own serial number. Lines coming in are read; lines going out (negative, or in the
//! debit column), zero or blank are counted and left alone; a line whose date or amount cannot
//! be read stops the import with its row.
//!
//! The amount is either one signed column (`金额`: positive in, negative out) or a pair of
//! debit and credit columns (`借方金额`/`贷方金额`, `支出金额`/`收入金额`, `debit`/`credit`), of
//! which a row fills at most one. A credit column alone is read as a signed amount.
//!
//! Dates are text (`2026-11-28`, `2026/11/28 10:02:03`, `20261128`, `2026年11月28日`), Excel
//! date cells, or Excel serial numbers (`46354`, a date cell saved as a plain number); a date
//! outside [`FIRST_YEAR`]–[`LAST_YEAR`] is refused as a slip.

use crate::divisions::{ImportError, ImportErrorKind, RowSink, excel_date, read_table};
use domain::money::Fen;
use domain::text::normalize;

/// The earliest year a statement line may carry.
pub const FIRST_YEAR: i32 = 1990;
/// The latest year a statement line may carry.
pub const LAST_YEAR: i32 = 2100;

pub use domain::statement::StatementLine;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    pub incoming: Vec<StatementLine>,
    /// Rows of payments going out (or of zero, or with no amount), which are not gifts.
    pub outgoing_rows: Vec<usize>,
}

// Header names, lower-case, without a unit such as `（元）`; the first that the file has wins.
const DATE: &[&str] = &[
    "date",
    "日期",
    "交易日期",
    "记账日期",
    "入账日期",
    "交易时间",
];
/// One signed column: positive in, negative out.
const AMOUNT: &[&str] = &["amount", "金额"];
/// Money coming in.
const CREDIT: &[&str] = &[
    "credit",
    "贷方金额",
    "贷方发生额",
    "收入金额",
    "存入金额",
    "收入",
    "贷方",
];
/// Money going out.
const DEBIT: &[&str] = &[
    "debit",
    "借方金额",
    "借方发生额",
    "支出金额",
    "支取金额",
    "支出",
    "借方",
];
const PAYER: &[&str] = &["payer", "付款人", "对方户名", "付款人名称", "对方账户名称"];
const REFERENCE: &[&str] = &["reference", "摘要", "附言", "用途"];
const BANK_REF: &[&str] = &[
    "交易流水号",
    "流水号",
    "银行流水号",
    "交易参考号",
    "凭证号",
    "serial",
    "transaction_id",
];

/// Where the amount is.
#[derive(Clone, Copy)]
enum Amount {
    Signed(usize),
    DebitCredit { debit: usize, credit: usize },
}

struct Columns {
    date: usize,
    amount: Amount,
    payer: usize,
    reference: Option<usize>,
    bank_ref: Option<usize>,
    /// The header as the file spells it (trimmed), to name columns in errors.
    names: Vec<String>,
}

struct Sink {
    file: String,
    columns: Option<Columns>,
    statement: Statement,
}

/// A header cell as matched: trimmed, lower-case, without a trailing unit in brackets
/// (`收入金额（元）`, `Amount (CNY)`).
pub(crate) fn header_key(cell: &str) -> String {
    let key = cell
        .trim_matches(|ch: char| ch == '\u{feff}' || ch.is_whitespace())
        .to_lowercase();
    for (open, close) in [('(', ')'), ('（', '）')] {
        if key.ends_with(close)
            && let Some(at) = key.rfind(open)
            && at > 0
        {
            return key[..at].trim_end().to_string();
        }
    }
    key
}

/// What an amount cell says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Money {
    /// Empty, or a dash.
    Blank,
    Zero,
    In(Fen),
    /// Negative.
    Out,
}

impl Money {
    fn has_amount(self) -> bool {
        matches!(self, Money::In(_) | Money::Out)
    }
}

/// `1,234.50`, `+200`, `-300.00`, `0.00`, blank or `-`/`--` (how some banks leave a debit or
/// credit cell empty). `None` when it is not an amount.
fn money(raw: &str) -> Option<Money> {
    let s = raw.trim();
    if s.is_empty() || matches!(s, "-" | "--" | "—" | "——") {
        return Some(Money::Blank);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    match Fen::parse_yuan("amount", s) {
        Ok(fen) => Some(Money::In(fen)),
        Err(e) if e.code == "amount_zero" => Some(Money::Zero),
        Err(e) if e.code == "amount_negative" => Some(Money::Out),
        Err(_) => None,
    }
}

impl RowSink for Sink {
    fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    fn file(&self) -> &str {
        &self.file
    }

    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let names: Vec<String> = cells
            .map(|c| {
                c.trim_matches(|ch: char| ch == '\u{feff}' || ch.is_whitespace())
                    .to_string()
            })
            .collect();
        let keys: Vec<String> = names.iter().map(|n| header_key(n)).collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|a| keys.iter().position(|k| k == a))
        };
        let missing = |name| self.error(None, None, ImportErrorKind::MissingColumn(name));
        let date = find(DATE).ok_or_else(|| missing("date"))?;
        let amount = match (find(DEBIT), find(CREDIT), find(AMOUNT)) {
            (Some(debit), Some(credit), _) => Amount::DebitCredit { debit, credit },
            (_, _, Some(signed)) | (None, Some(signed), None) => Amount::Signed(signed),
            _ => return Err(missing("amount")),
        };
        let payer = find(PAYER).ok_or_else(|| missing("payer"))?;
        self.columns = Some(Columns {
            date,
            amount,
            payer,
            reference: find(REFERENCE),
            bank_ref: find(BANK_REF),
            names,
        });
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
        let cols = self.columns.as_ref().expect("header read first");
        let at = |col: usize, kind| self.error(Some(row), Some(&cols.names[col]), kind);
        let amount_at = |col: usize| {
            let raw = cell(col).trim();
            money(raw).ok_or_else(|| {
                let value = raw.to_string();
                at(col, ImportErrorKind::BadAmount { value })
            })
        };
        let date = parse_date(cell(cols.date).trim()).map_err(|kind| at(cols.date, kind))?;
        let incoming = match cols.amount {
            Amount::Signed(col) => amount_at(col)?,
            Amount::DebitCredit { debit, credit } => {
                let (out, incoming) = (amount_at(debit)?, amount_at(credit)?);
                if out.has_amount() && incoming.has_amount() {
                    return Err(self.error(
                        Some(row),
                        None,
                        ImportErrorKind::DebitAndCredit {
                            debit_column: cols.names[debit].clone(),
                            debit: cell(debit).trim().to_string(),
                            credit_column: cols.names[credit].clone(),
                            credit: cell(credit).trim().to_string(),
                        },
                    ));
                }
                incoming
            }
        };
        let Money::In(amount) = incoming else {
            self.statement.outgoing_rows.push(row);
            return Ok(());
        };
        let text = |col: Option<usize>| col.map(|c| normalize(cell(c))).unwrap_or_default();
        let line = StatementLine {
            row,
            date,
            amount,
            payer: normalize(cell(cols.payer)),
            reference: text(cols.reference),
            bank_ref: text(cols.bank_ref),
        };
        self.statement.incoming.push(line);
        Ok(())
    }
}

/// A statement date as `YYYY-MM-DD` (see the module's notes), or why not.
fn parse_date(s: &str) -> Result<String, ImportErrorKind> {
    let text = calendar_day(s).ok_or_else(|| ImportErrorKind::BadDate {
        value: s.to_string(),
    })?;
    let year: i32 = text[..4].parse().unwrap_or(0);
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(ImportErrorKind::DateOutOfRange {
            value: s.to_string(),
        });
    }
    Ok(text)
}

/// `2026-11-28`, `2026/11/28`, `2026.11.28`, `20261128`, `2026年11月28日`, an Excel serial
/// number (`46354`, `46354.42`), or any of those followed by a time; a valid calendar day.
fn calendar_day(s: &str) -> Option<String> {
    let day = s.split([' ', 'T']).next()?;
    if let Some(serial) = excel_serial(day) {
        let (y, m, d) = excel_date(serial)?;
        return Some(format!("{y:04}-{m:02}-{d:02}"));
    }
    let day = day.replace(['年', '月'], "-").replace('日', "");
    let digits: String = day.chars().filter(char::is_ascii_digit).collect();
    let (y, m, d) = match day.split(['-', '/', '.']).collect::<Vec<_>>().as_slice() {
        [y, m, d] => (y.to_string(), m.to_string(), d.to_string()),
        [_] if digits.len() == 8 => (digits[..4].into(), digits[4..6].into(), digits[6..].into()),
        _ => return None,
    };
    if y.len() > 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let text = format!("{y:0>4}-{m:0>2}-{d:0>2}");
    domain::time::china_day_range_ms(&text).map(|_| text)
}

/// The day of an Excel serial number (1900 date system): up to six digits, perhaps with a
/// fraction for the time of day. Eight digits are `YYYYMMDD`, not a serial.
fn excel_serial(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 6 || !digits(whole) || !digits(frac) {
        return None;
    }
    whole.parse().ok()
}

/// Reads a statement already in memory; the extension of `file_name` picks the format.
pub fn read_statement_bytes(file_name: &str, bytes: &[u8]) -> Result<Statement, ImportError> {
    let mut sink = Sink {
        file: file_name.to_string(),
        columns: None,
        statement: Statement::default(),
    };
    read_table(file_name, bytes, &mut sink)?;
    if sink.statement.incoming.is_empty() && sink.statement.outgoing_rows.is_empty() {
        return Err(sink.error(None, None, ImportErrorKind::Empty));
    }
    Ok(sink.statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bank_export_in_chinese_headers() {
        let csv = "交易日期,对方户名,收入金额,摘要\n2026/11/28 10:02:03,洛阳某某实业有限公司,\"10,000.00\",捐赠 91350100M000100Y43\n20261127,王芳,200,13903791234 助学\n2026-11-26,电费,-300.00,代扣\n";
        let s = read_statement_bytes("流水.csv", csv.as_bytes()).unwrap();
        assert_eq!(s.incoming.len(), 2);
        assert_eq!(s.incoming[0].date, "2026-11-28");
        assert_eq!(s.incoming[0].amount, Fen::new(1_000_000));
        assert_eq!(s.incoming[1].date, "2026-11-27");
        assert_eq!(s.incoming[1].row, 3);
        assert_eq!(s.outgoing_rows, vec![4]);
    }

    #[test]
    fn a_bad_date_or_amount_names_its_row() {
        let e = read_statement_bytes(
            "s.csv",
            "date,payer,amount\n2026-13-01,王芳,100\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!((e.row, e.field.as_deref()), (Some(2), Some("date")));
        assert!(
            e.to_string().contains("s.csv 第 2 行") && e.to_string().contains("不是日期"),
            "{e}"
        );
        let e = read_statement_bytes(
            "s.csv",
            "date,payer,amount\n2026-11-01,王芳,一百\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("amount"));
        let e =
            read_statement_bytes("s.csv", "date,amount\n2026-11-01,100\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("缺少 payer 列"), "{e}");
    }

    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook, Worksheet};

    /// One cell of a test workbook.
    enum X {
        S(&'static str),
        N(f64),
        /// A number shown with this date format.
        D(f64, &'static str),
        /// A real date-time cell: y, m, d, h, min, s.
        T(u16, u8, u8, u16, u8, u8),
        E,
    }
    use X::{D, E, N, S, T};

    fn write(sheet: &mut Worksheet, r: u32, c: u16, cell: &X) {
        match cell {
            S(s) => sheet.write_string(r, c, *s).map(|_| ()),
            N(n) => sheet.write_number(r, c, *n).map(|_| ()),
            D(n, f) => {
                let format = XFormat::new().set_num_format(*f);
                sheet
                    .write_number_with_format(r, c, *n, &format)
                    .map(|_| ())
            }
            T(y, m, d, h, mi, s) => {
                let format = XFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
                let at = ExcelDateTime::from_ymd(*y, *m, *d)
                    .unwrap()
                    .and_hms(*h, *mi, *s)
                    .unwrap();
                sheet
                    .write_datetime_with_format(r, c, &at, &format)
                    .map(|_| ())
            }
            E => Ok(()),
        }
        .unwrap();
    }

    fn xlsx(rows: &[&[X]]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (r, cells) in rows.iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                write(sheet, r as u32, c as u16, cell);
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn read(file: &str, bytes: &[u8]) -> Statement {
        read_statement_bytes(file, bytes).unwrap()
    }

    fn fail(file: &str, bytes: &[u8]) -> ImportError {
        read_statement_bytes(file, bytes).unwrap_err()
    }

    fn dates(s: &Statement) -> Vec<&str> {
        s.incoming.iter().map(|l| l.date.as_str()).collect()
    }

    fn amounts(s: &Statement) -> Vec<i64> {
        s.incoming.iter().map(|l| l.amount.fen()).collect()
    }

    #[test]
    fn xlsx_date_cells_and_serial_numbers_are_dates() {
        let bytes = xlsx(&[
            &[S("交易日期"), S("对方户名"), S("金额")],
            &[T(2026, 11, 28, 10, 2, 3), S("甲"), N(1.0)],
            &[D(46_353.0, "yyyy/m/d"), S("乙"), N(2.0)],
            &[D(46_352.75, "yyyy\"年\"m\"月\"d\"日\""), S("丙"), N(3.0)],
            &[N(46_351.0), S("丁"), N(4.0)],
            &[N(46_350.5), S("戊"), N(5.0)],
            &[S("2026年11月23日"), S("己"), N(6.0)],
            &[S("2026-11-22T09:00:00"), S("庚"), N(7.0)],
        ]);
        let s = read("流水.xlsx", &bytes);
        assert_eq!(
            dates(&s),
            [
                "2026-11-28",
                "2026-11-27",
                "2026-11-26",
                "2026-11-25",
                "2026-11-24",
                "2026-11-23",
                "2026-11-22"
            ]
        );
        assert_eq!(s.incoming[6].row, 8);
    }

    #[test]
    fn xlsx_dates_in_the_1904_date_system() {
        use crate::test_xlsx::{text, workbook};
        // 44891 days after 1904-01-01 is 2026-11-27 (46353 in the 1900 system).
        let sheet = format!(
            "<row r=\"1\">{}{}{}</row><row r=\"2\"><c r=\"A2\" s=\"1\"><v>44891</v></c>{}<c r=\"C2\"><v>50</v></c></row>\
             <row r=\"3\"><c r=\"A3\" s=\"2\"><v>44891.75</v></c>{}<c r=\"C3\"><v>60</v></c></row>",
            text("A1", "date"),
            text("B1", "payer"),
            text("C1", "amount"),
            text("B2", "王芳"),
            text("B3", "李某"),
        );
        for is_1904 in [true, false] {
            let s = read("s.xlsx", &workbook(&sheet, is_1904));
            let day = if is_1904 { "2026-11-27" } else { "2022-11-26" };
            assert_eq!(dates(&s), [day, day], "1904: {is_1904}");
        }
    }

    #[test]
    fn csv_serial_numbers_and_dates_out_of_range() {
        let s = read(
            "s.csv",
            "date,payer,amount\n46354,甲,1\n46354.42,乙,2\n".as_bytes(),
        );
        assert_eq!(dates(&s), ["2026-11-28", "2026-11-28"]);
        for (value, kind) in [
            ("12345", "range"),
            ("1989-12-31", "range"),
            ("2101-01-01", "range"),
            ("26/11/28", "range"),
            ("10:02:03", "bad"),
            ("", "bad"),
        ] {
            let csv = format!("date,payer,amount\n2026-11-01,甲,1\n{value},乙,2\n");
            let e = fail("s.csv", csv.as_bytes());
            assert_eq!(
                (e.row, e.field.as_deref()),
                (Some(3), Some("date")),
                "{value}"
            );
            let value = value.to_string();
            let expected = if kind == "range" {
                ImportErrorKind::DateOutOfRange { value }
            } else {
                ImportErrorKind::BadDate { value }
            };
            assert_eq!(e.kind, expected);
        }
        let e = fail("s.csv", "date,payer,amount\n12345,乙,2\n".as_bytes());
        assert_eq!(
            e.to_string(),
            "s.csv 第 2 行，date 列：“12345”不像是流水的日期（应在 1990—2100 年之间，写成 2026-01-31 这样）"
        );
        let e = fail("s.csv", "交易日期,对方户名,金额\n,乙,2\n".as_bytes());
        assert_eq!(e.to_string(), "s.csv 第 2 行，交易日期 列：日期为空");
    }

    #[test]
    fn xlsx_float_amounts_read_exactly_as_fen() {
        let bytes = xlsx(&[
            &[S("date"), S("payer"), S("amount")],
            &[S("2026-11-28"), S("甲"), N(10_000.0)],
            &[S("2026-11-28"), S("乙"), N(200.5)],
            &[S("2026-11-28"), S("丙"), N(0.1 + 0.2)],
            &[S("2026-11-28"), S("丁"), N(1234.56)],
            &[S("2026-11-28"), S("戊"), D(99.99, "#,##0.00\"元\"")],
            &[S("2026-11-28"), S("电费"), N(-300.0)],
            &[S("2026-11-28"), S("零"), N(0.0)],
        ]);
        let s = read("s.xlsx", &bytes);
        assert_eq!(amounts(&s), [1_000_000, 20_050, 30, 123_456, 9_999]);
        assert_eq!(s.outgoing_rows, [7, 8]);
        let e = fail(
            "s.xlsx",
            &xlsx(&[
                &[S("date"), S("payer"), S("amount")],
                &[S("2026-11-28"), S("甲"), N(1.005)],
            ]),
        );
        assert_eq!(
            e.to_string(),
            "s.xlsx 第 2 行，amount 列：“1.005”不是金额（应写成 1234.50 这样的数字）"
        );
    }

    const DEBIT_CREDIT: &str = "交易时间,交易流水号,借方金额(元),贷方金额(元),余额,对方户名,摘要\n\
        2026-11-28 10:02:03,TX001,,\"10,000.00\",10000.00,洛阳某某实业有限公司,捐赠\n\
        2026-11-28 11:00:00,TX002,300.00,,9700.00,电费,代扣\n\
        2026-11-28 12:00:00,TX003,,,9700.00,结息,\n\
        2026-11-28 13:00:00,TX004,0.00,0.00,9700.00,冲正,\n\
        2026-11-28 14:00:00,TX005,-,+200.50,9900.50,王芳,助学\n";

    #[test]
    fn csv_debit_and_credit_columns() {
        let s = read("流水.csv", DEBIT_CREDIT.as_bytes());
        assert_eq!(amounts(&s), [1_000_000, 20_050]);
        assert_eq!(
            s.incoming
                .iter()
                .map(|l| (l.row, l.payer.as_str(), l.bank_ref.as_str()))
                .collect::<Vec<_>>(),
            [(2, "洛阳某某实业有限公司", "TX001"), (6, "王芳", "TX005")]
        );
        assert_eq!(s.outgoing_rows, [3, 4, 5]);

        for header in ["支出金额,收入金额", "debit,credit", "支出,收入"] {
            let csv = format!("日期,{header},付款人\n2026-11-28,,5,甲\n2026-11-28,6,,乙\n");
            let s = read("s.csv", csv.as_bytes());
            assert_eq!(
                (amounts(&s), s.outgoing_rows),
                (vec![500], vec![3]),
                "{header}"
            );
        }

        let both = format!("{DEBIT_CREDIT}2026-11-29,TX006,5.00,6.00,,某某,\n");
        let e = fail("流水.csv", both.as_bytes());
        assert_eq!((e.row, e.field.as_deref()), (Some(7), None));
        assert_eq!(
            e.kind,
            ImportErrorKind::DebitAndCredit {
                debit_column: "借方金额(元)".into(),
                debit: "5.00".into(),
                credit_column: "贷方金额(元)".into(),
                credit: "6.00".into(),
            }
        );
        assert_eq!(
            e.to_string(),
            "流水.csv 第 7 行：“借方金额(元)”和“贷方金额(元)”两列都有金额（5.00 和 6.00），一行只能填其中一列"
        );
        let bad = format!("{DEBIT_CREDIT}2026-11-29,TX006,,六元,,某某,\n");
        let e = fail("流水.csv", bad.as_bytes());
        assert_eq!((e.row, e.field.as_deref()), (Some(7), Some("贷方金额(元)")));
    }

    #[test]
    fn xlsx_debit_and_credit_columns() {
        let bytes = xlsx(&[
            &[
                S("交易日期"),
                S("借方金额"),
                S("贷方金额"),
                S("对方户名"),
                S("银行流水号"),
            ],
            &[
                T(2026, 11, 28, 9, 0, 0),
                E,
                N(10_000.0),
                S("甲"),
                N(2_026_112_800_001_234.0),
            ],
            &[T(2026, 11, 28, 9, 30, 0), N(300.0), E, S("电费"), S("B2")],
            &[T(2026, 11, 28, 10, 0, 0), E, E, S("结息"), S("B3")],
            &[
                T(2026, 11, 28, 11, 0, 0),
                N(0.0),
                N(0.0),
                S("冲正"),
                S("B4"),
            ],
            &[T(2026, 11, 28, 12, 0, 0), E, N(200.5), S("乙"), S("B5")],
            &[T(2026, 11, 28, 13, 0, 0), N(1.0), N(2.0), S("丙"), S("B6")],
        ]);
        let e = fail("流水.xlsx", &bytes);
        assert_eq!(e.row, Some(7));
        assert!(
            matches!(&e.kind, ImportErrorKind::DebitAndCredit { debit, credit, .. } if debit == "1" && credit == "2"),
            "{e:?}"
        );

        let bytes = xlsx(&[
            &[
                S("交易日期"),
                S("借方金额"),
                S("贷方金额"),
                S("对方户名"),
                S("银行流水号"),
            ],
            &[
                T(2026, 11, 28, 9, 0, 0),
                E,
                N(10_000.0),
                S("甲"),
                N(2_026_112_800_001_234.0),
            ],
            &[T(2026, 11, 28, 9, 30, 0), N(300.0), E, S("电费"), S("B2")],
            &[T(2026, 11, 28, 10, 0, 0), E, E, S("结息"), S("B3")],
            &[
                T(2026, 11, 28, 11, 0, 0),
                N(0.0),
                N(0.0),
                S("冲正"),
                S("B4"),
            ],
            &[T(2026, 11, 28, 12, 0, 0), E, N(200.5), S("乙"), S("B5")],
        ]);
        let s = read("流水.xlsx", &bytes);
        assert_eq!(amounts(&s), [1_000_000, 20_050]);
        assert_eq!(s.incoming[0].bank_ref, "2026112800001234");
        assert_eq!(s.incoming[1].bank_ref, "B5");
        assert_eq!(s.outgoing_rows, [3, 4, 5]);
    }

    #[test]
    fn a_credit_column_alone_is_a_signed_amount_and_a_blank_amount_is_no_gift() {
        let csv = "记账日期,付款人名称,贷方金额,附言\n2026-11-28,甲,100,\n2026-11-28,退款,-20,\n2026-11-28,空,,\n";
        let s = read("s.csv", csv.as_bytes());
        assert_eq!((amounts(&s), s.outgoing_rows), (vec![10_000], vec![3, 4]));
        // A debit column alone says nothing of money coming in.
        let e = fail(
            "s.csv",
            "日期,付款人,借方金额\n2026-11-28,甲,1\n".as_bytes(),
        );
        assert_eq!(e.kind, ImportErrorKind::MissingColumn("amount"));
    }

    #[test]
    fn blank_payer_and_reference_never_stop_an_import() {
        let csv = "date,payer,amount,reference,serial\n2026-11-28,,100,,\n2026-11-28,王芳,5,,\n";
        let s = read("s.csv", csv.as_bytes());
        assert_eq!(s.incoming[0].payer, "");
        assert_eq!(
            (
                s.incoming[0].reference.as_str(),
                s.incoming[0].bank_ref.as_str()
            ),
            ("", "")
        );
        assert_eq!(s.incoming[1].payer, "王芳");

        // In XLSX a blank cell is no cell at all; the last columns may be missing entirely.
        let bytes = xlsx(&[
            &[
                S("date"),
                S("payer"),
                S("amount"),
                S("reference"),
                S("serial"),
            ],
            &[S("2026-11-28"), E, N(100.0), E, E],
            &[S("2026-11-28"), S("王芳"), N(5.0)],
        ]);
        let x = read("s.xlsx", &bytes);
        assert_eq!(x, s);
    }

    #[test]
    fn the_bank_reference_column() {
        for header in [
            "交易流水号",
            "流水号",
            "交易参考号",
            "凭证号",
            "银行流水号",
            "serial",
            "Transaction_ID",
        ] {
            let csv = format!("date,payer,amount,{header}\n2026-11-28,甲,1, ＡＢ123 \n");
            let s = read("s.csv", csv.as_bytes());
            assert_eq!(s.incoming[0].bank_ref, "AB123", "{header}");
        }
        let s = read("s.csv", "date,payer,amount\n2026-11-28,甲,1\n".as_bytes());
        assert_eq!(s.incoming[0].bank_ref, "");
    }
}
