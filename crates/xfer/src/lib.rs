//! shanwang's file import and export: statistical division tables and bank statements in
//! (CSV in UTF-8 or GB18030, or XLSX, read strictly: the first bad row stops reading and says
//! where and why, and within caps on size: [`MAX_FILE_BYTES`], [`MAX_ROWS`], [`MAX_COLUMNS`],
//! [`MAX_CELL_CHARS`]), tables out as XLSX or CSV with a BOM (CSV text cells neutralised
//! against formula injection).

// An import error is built at most once per file (it ends the read), so its size does not
// matter; the kind stays unboxed so callers can `match err.kind`.
#![allow(clippy::result_large_err)]

mod divisions;
pub mod export;
pub mod facts;
pub mod roster;
pub mod statement;
#[cfg(test)]
mod test_xlsx;

pub use divisions::{
    DivisionRow, ImportError, ImportErrorKind, MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES,
    MAX_ROWS, read_divisions, read_divisions_bytes,
};
