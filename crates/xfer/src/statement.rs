//! Bank statements (CSV or XLSX, as banks export them): date, amount, payer, reference. Lines
//! coming in are read; lines going out (negative) are counted and left alone; a line whose date
//! or amount cannot be read stops the import with its row.

use crate::divisions::{ImportError, ImportErrorKind, RowSink, read_table};
use domain::money::Fen;
use domain::text::normalize;

/// One incoming payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub row: usize,
    /// China-time date `YYYY-MM-DD`.
    pub date: String,
    pub amount: Fen,
    pub payer: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    pub incoming: Vec<StatementLine>,
    /// Rows of payments going out (or of zero), which are not gifts.
    pub outgoing_rows: Vec<usize>,
}

const DATE: [&str; 4] = ["date", "日期", "交易日期", "记账日期"];
const AMOUNT: [&str; 4] = ["amount", "金额", "收入金额", "贷方金额"];
const PAYER: [&str; 4] = ["payer", "付款人", "对方户名", "付款人名称"];
const REFERENCE: [&str; 4] = ["reference", "摘要", "附言", "用途"];

struct Sink {
    file: String,
    columns: Option<[Option<usize>; 4]>,
    statement: Statement,
}

impl RowSink for Sink {
    fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    fn error(&self, row: Option<usize>, field: Option<&str>, kind: ImportErrorKind) -> ImportError {
        ImportError {
            file: self.file.clone(),
            row,
            field: field.map(str::to_string),
            kind,
        }
    }

    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let names: Vec<String> = cells
            .map(|c| {
                c.trim_matches(|ch: char| ch == '\u{feff}' || ch.is_whitespace())
                    .to_lowercase()
            })
            .collect();
        let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
        let columns = [find(&DATE), find(&AMOUNT), find(&PAYER), find(&REFERENCE)];
        for (i, name) in ["date", "amount", "payer"].into_iter().enumerate() {
            if columns[i].is_none() {
                return Err(self.error(None, None, ImportErrorKind::MissingColumn(name)));
            }
        }
        self.columns = Some(columns);
        Ok(())
    }

    fn row<'a>(
        &mut self,
        row: usize,
        blank: impl FnOnce() -> bool,
        cell: impl Fn(usize) -> &'a str,
    ) -> Result<(), ImportError> {
        let [date, amount, payer, reference] = self.columns.expect("header read first");
        let get = |c: Option<usize>| c.map(&cell).unwrap_or("");
        if blank() {
            return Ok(());
        }
        let raw_date = get(date).trim();
        let date = parse_date(raw_date).ok_or_else(|| {
            self.error(
                Some(row),
                Some("date"),
                ImportErrorKind::BadDate {
                    value: raw_date.to_string(),
                },
            )
        })?;
        let raw_amount = get(amount).trim();
        let bad_amount = || {
            self.error(
                Some(row),
                Some("amount"),
                ImportErrorKind::BadAmount {
                    value: raw_amount.to_string(),
                },
            )
        };
        match Fen::parse_yuan("amount", raw_amount) {
            Ok(amount) => self.statement.incoming.push(StatementLine {
                row,
                date,
                amount,
                payer: normalize(get(payer)),
                reference: normalize(get(reference)),
            }),
            Err(e) if e.code == "amount_negative" || e.code == "amount_zero" => {
                self.statement.outgoing_rows.push(row)
            }
            Err(_) => return Err(bad_amount()),
        }
        Ok(())
    }
}

/// `2026-11-28`, `2026/11/28`, `20261128`, or any of those followed by a time.
fn parse_date(s: &str) -> Option<String> {
    let day = s.split([' ', 'T']).next()?;
    let digits: String = day.chars().filter(char::is_ascii_digit).collect();
    let (y, m, d) = match day.split(['-', '/', '.']).collect::<Vec<_>>().as_slice() {
        [y, m, d] => (y.to_string(), m.to_string(), d.to_string()),
        [_] if digits.len() == 8 => (digits[..4].into(), digits[4..6].into(), digits[6..].into()),
        _ => return None,
    };
    let text = format!("{:0>4}-{:0>2}-{:0>2}", y, m, d);
    domain::time::china_day_range_ms(&text).map(|_| text)
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
        assert_eq!(s.incoming[0].amount, Fen(1_000_000));
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
}
