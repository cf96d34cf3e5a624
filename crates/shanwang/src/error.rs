//! What the operator reads when a command fails: in Chinese, what went wrong and what that left
//! behind. Every command returns a [`CliError`]; `main` prints it and exits non-zero.

use std::path::{Path, PathBuf};
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
    /// The demo's or a bench's own set-up did not hold (a seeded row is missing, a server did
    /// not start, a page answered an error): what it would have shown is not to be trusted.
    #[error("演示或基准测试中止：{0}")]
    Harness(String),
}

impl From<StoreError> for CliError {
    fn from(source: StoreError) -> Self {
        CliError::Store {
            source, then: "。"
        }
    }
}

/// A query the demo or a bench runs itself fails as the store's own would.
impl From<sqlx::Error> for CliError {
    fn from(e: sqlx::Error) -> Self {
        CliError::from(StoreError::from(e))
    }
}

impl From<xfer::ImportError> for CliError {
    fn from(e: xfer::ImportError) -> Self {
        CliError::File(Box::new(e))
    }
}

impl CliError {
    /// A file operation that failed, saying what was attempted on which path.
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.to_path_buf();
        move |source| CliError::Io {
            action,
            path,
            source,
        }
    }

    /// A store refusal, saying what it left behind.
    pub fn store(then: &'static str) -> impl Fn(StoreError) -> CliError {
        move |source| CliError::Store { source, then }
    }
}

/// A failure of a bench's own machinery (a temporary directory, a request it builds, a server
/// it starts), in that library's words.
pub fn harness(e: impl std::fmt::Display) -> CliError {
    CliError::Harness(e.to_string())
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

    #[test]
    fn a_file_failure_says_what_was_attempted_on_which_path() {
        let gone = std::io::Error::from(std::io::ErrorKind::NotFound);
        let text = CliError::io("读取文件", Path::new("/srv/善网/捐赠.xlsx"))(gone).to_string();
        assert!(
            text.starts_with("无法读取文件 /srv/善网/捐赠.xlsx："),
            "{text}"
        );
        let stopped = harness("connection refused").to_string();
        assert_eq!(stopped, "演示或基准测试中止：connection refused");
    }
}
