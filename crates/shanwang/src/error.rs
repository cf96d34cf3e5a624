//! What the operator reads when a command fails: in Chinese, what went wrong and what that left
//! behind. Every command returns a [`CliError`]; `main` prints it and exits non-zero.

use std::path::PathBuf;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file or directory the command needs could not be used.
    #[error("无法{action} {}：{source}", path.display())]
    Io {
        /// What was attempted, on what: "读取文件", "创建数据目录".
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The store refused or failed; `then` says what that left behind ("。未导入任何数据。").
    #[error("{}{then}", explain(source))]
    Store {
        source: StoreError,
        then: &'static str,
    },
    /// A file refused at a row and column; nothing was imported.
    #[error("{0}。未导入任何数据。")]
    File(Box<xfer::ImportError>),
    /// The database could not be opened, or the address could not be listened on.
    #[error("{0}")]
    Unavailable(String),
    /// What the input or the situation does not allow, said to the operator.
    #[error("{0}")]
    Refused(String),
    /// The demo, a bench or a backup failed, in its own words.
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for CliError {
    fn from(source: StoreError) -> Self {
        CliError::Store {
            source, then: "。"
        }
    }
}

impl CliError {
    /// A store refusal, saying what it left behind.
    pub fn store(then: &'static str) -> impl Fn(StoreError) -> CliError {
        move |source| CliError::Store { source, then }
    }
}

/// A store refusal in the pages' words (field and reason), or an import's own row message; no
/// closing 。, so the caller says what it left behind.
pub fn explain(e: &StoreError) -> String {
    let lang = web::i18n::Lang::ZhCn;
    let text = match e {
        StoreError::Import(msg) => msg.clone(),
        StoreError::Invalid(errs) | StoreError::InvalidRow { errors: errs, .. } => {
            lang.field_errors(errs)
        }
        StoreError::Conflict(field) => lang.conflict(field),
        StoreError::NotFound => lang.error("not_found"),
        other => other.to_string(),
    };
    text.trim_end_matches('。').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::FieldError;

    #[test]
    fn a_refusal_says_the_field_and_what_it_left_behind() {
        let refused = CliError::Store {
            source: StoreError::Invalid(vec![FieldError::new("amount_fen", "amount_zero")]),
            then: "。未导入任何数据。",
        };
        let text = refused.to_string();
        assert!(text.ends_with("。未导入任何数据。"), "{text}");
        assert!(!text.contains("。。"), "{text}");
        let taken = CliError::from(StoreError::Conflict("username")).to_string();
        assert!(taken.ends_with('。') && taken.len() > 3, "{taken}");
    }
}
