//! shanwang's file import and export. Today: the statistical division tables (CSV in UTF-8 or
//! GB18030, or XLSX), read strictly: the first bad row stops reading and says where and why.

mod divisions;
pub mod export;

pub use divisions::{
    DivisionRow, ImportError, ImportErrorKind, read_divisions, read_divisions_bytes,
};
