//! shanwang's file import and export: statistical division tables and bank statements in
//! (CSV in UTF-8 or GB18030, or XLSX, read strictly: the first bad row stops reading and says
//! where and why), tables out as XLSX or CSV with a BOM.

// An import error is built at most once per file (it ends the read), so its size does not
// matter; the kind stays unboxed so callers can `match err.kind`.
#![allow(clippy::result_large_err)]

mod divisions;
pub mod export;
pub mod statement;

pub use divisions::{
    DivisionRow, ImportError, ImportErrorKind, read_divisions, read_divisions_bytes,
};
