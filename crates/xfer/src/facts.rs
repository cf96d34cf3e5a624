//! A bulk "三有" upload: one row per unit (its code, its name, and the facts a county keeps for
//! its townships and village workstations), as CSV or XLSX, in the layout of the template the
//! page hands out ([`TEMPLATE_HEADERS`]). Only the file's shape stops the reading (no code
//! column, too many rows, a cell too long); what a row says is checked per row by the store,
//! so the preview can list every row's problems at once.

use crate::divisions::{RowSink, read_table};
use crate::statement::header_key;
use crate::{ImportError, ImportErrorKind};
use domain::org::FactsRow;

/// The most units one upload holds: a whole city (about 3,400 units) with room to spare.
pub const MAX_UNITS: usize = 5_000;

/// The template's columns, in order: what the page's download writes and this reader knows.
pub const TEMPLATE_HEADERS: [&str; 7] = [
    "单位代码",
    "单位名称",
    "固定场所",
    "负责人",
    "负责人电话",
    "服务队数量",
    "联系电话",
];

// Header names, lower-case, without a unit in brackets; the first the file has wins.
const CODE: &[&str] = &["单位代码", "code", "代码", "区划代码", "统计用区划代码"];
const NAME: &[&str] = &["单位名称", "name", "名称"];
const SITE: &[&str] = &[
    "固定场所",
    "site_address",
    "场所地址",
    "固定场所地址",
    "地址",
];
const LEADER: &[&str] = &["负责人", "leader_name", "负责人姓名"];
const LEADER_PHONE: &[&str] = &["负责人电话", "leader_phone", "负责人手机"];
const TEAMS: &[&str] = &["服务队数量", "service_teams", "服务队", "志愿服务队数量"];
const CONTACT: &[&str] = &["联系电话", "contact_phone", "办公电话"];

struct Columns {
    code: usize,
    name: Option<usize>,
    site: Option<usize>,
    leader: Option<usize>,
    leader_phone: Option<usize>,
    teams: Option<usize>,
    contact: Option<usize>,
}

struct Sink {
    file: String,
    columns: Option<Columns>,
    rows: Vec<FactsRow>,
}

impl RowSink for Sink {
    fn has_header(&self) -> bool {
        self.columns.is_some()
    }

    fn file(&self) -> &str {
        &self.file
    }

    fn header<'a>(&mut self, cells: impl Iterator<Item = &'a str>) -> Result<(), ImportError> {
        let keys: Vec<String> = cells.map(header_key).collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|a| keys.iter().position(|k| k == a))
        };
        let code = find(CODE)
            .ok_or_else(|| self.error(None, None, ImportErrorKind::MissingColumn("单位代码")))?;
        self.columns = Some(Columns {
            code,
            name: find(NAME),
            site: find(SITE),
            leader: find(LEADER),
            leader_phone: find(LEADER_PHONE),
            teams: find(TEAMS),
            contact: find(CONTACT),
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
        if self.rows.len() == MAX_UNITS {
            return Err(self.error(
                Some(row),
                None,
                ImportErrorKind::TooManyUnits { max: MAX_UNITS },
            ));
        }
        let c = self.columns.as_ref().expect("header read first");
        let text = |col: Option<usize>| col.map(|i| cell(i).trim().to_string());
        self.rows.push(FactsRow {
            row,
            code: cell(c.code).trim().to_string(),
            name: text(c.name).unwrap_or_default(),
            site_address: text(c.site),
            leader_name: text(c.leader),
            leader_phone: text(c.leader_phone),
            service_teams: text(c.teams),
            contact_phone: text(c.contact),
        });
        Ok(())
    }
}

/// Reads an upload. Refused only for its shape; each row is checked later.
pub fn read_facts_bytes(file_name: &str, bytes: &[u8]) -> Result<Vec<FactsRow>, ImportError> {
    let mut sink = Sink {
        file: file_name.to_string(),
        columns: None,
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
    use crate::export::{Cell, Format, write_table};

    #[test]
    fn the_template_reads_back_as_it_was_written() {
        for format in [Format::Csv, Format::Xlsx] {
            let rows = vec![
                vec![
                    Cell::Text("410323101001".into()),
                    Cell::Text("石寺社区居民委员会".into()),
                    Cell::Text("社区服务中心二楼".into()),
                    Cell::Text("王芳".into()),
                    Cell::Text("13903791234".into()),
                    Cell::Int(3),
                    Cell::Text(String::new()),
                ],
                std::iter::once(Cell::Text("410323101002".into()))
                    .chain(std::iter::repeat_n(Cell::Text(String::new()), 6))
                    .collect(),
            ];
            let bytes = write_table(format, "三有", &TEMPLATE_HEADERS, &rows).unwrap();
            let read = read_facts_bytes(&format!("三有.{}", format.extension()), &bytes).unwrap();
            assert_eq!(read.len(), 2, "{format:?}");
            assert_eq!(read[0].row, 2);
            assert_eq!(read[0].code, "410323101001");
            assert_eq!(read[0].leader_name.as_deref(), Some("王芳"));
            assert_eq!(read[0].service_teams.as_deref(), Some("3"));
            assert_eq!(read[0].contact_phone.as_deref(), Some(""));
            assert_eq!(
                read[1].site_address.as_deref(),
                Some(""),
                "a blank cell clears"
            );
        }
    }

    #[test]
    fn a_file_without_the_code_column_or_with_too_many_units_is_refused() {
        let e = read_facts_bytes("x.csv", "名称,负责人\n石寺,王芳\n".as_bytes()).unwrap_err();
        assert_eq!(e.kind, ImportErrorKind::MissingColumn("单位代码"));
        assert!(e.to_string().contains("缺少 单位代码 列"), "{e}");
        // Only the columns a file has are changed: no 联系电话 column here.
        let read = read_facts_bytes(
            "x.csv",
            "code,负责人（姓名）\n410323101001,王芳\n".as_bytes(),
        );
        assert_eq!(
            read.unwrap()[0].leader_name.as_deref(),
            Some("王芳"),
            "a note in brackets is dropped"
        );
        let read =
            read_facts_bytes("x.csv", "code,负责人\n410323101001,王芳\n".as_bytes()).unwrap();
        assert_eq!(
            (
                read[0].leader_name.as_deref(),
                read[0].contact_phone.as_deref()
            ),
            (Some("王芳"), None)
        );
        let mut big = String::from("单位代码\n");
        for i in 0..=MAX_UNITS {
            big.push_str(&format!("{}\n", 410323101001u64 + i as u64));
        }
        let e = read_facts_bytes("big.csv", big.as_bytes()).unwrap_err();
        assert_eq!(e.row, Some(MAX_UNITS + 2));
        assert!(e.to_string().contains("5000"), "{e}");
        assert_eq!(
            read_facts_bytes("x.csv", "单位代码\n".as_bytes())
                .unwrap_err()
                .kind,
            ImportErrorKind::Empty
        );
        assert_eq!(
            read_facts_bytes("x.txt", b"a").unwrap_err().kind,
            ImportErrorKind::UnknownFormat
        );
    }
}
