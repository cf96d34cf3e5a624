//! Evidence behind a payment (发票、合同、照片): which files are accepted, judged by their
//! content rather than by the name or type the browser claims, and the digest that later proves
//! a file is the one uploaded.

use crate::FieldError;

/// One file may be at most 5 MiB: a phone photo of an invoice or a scanned contract.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// A request carries at most this many files.
pub const MAX_FILES: usize = 8;

/// The content type a file's first bytes show: PDF, PNG or JPEG; anything else is refused.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

pub use crate::sha256_hex;

/// A file name safe to show and to offer for download: no directories, no control characters,
/// at most 100 characters; empty names become "凭证".
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "凭证".to_string()
    } else {
        cleaned
    }
}

/// A checked file: its type, digest and clean name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: String,
}

/// Checks one uploaded file.
pub fn check(file_name: &str, bytes: &[u8]) -> Result<CheckedFile, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("evidence", "evidence_empty"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FieldError::new("evidence", "evidence_too_large"));
    }
    let content_type = sniff(bytes).ok_or(FieldError::new("evidence", "evidence_type"))?;
    Ok(CheckedFile {
        file_name: clean_file_name(file_name),
        content_type,
        sha256: sha256_hex(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"<html>"), None);
        let e = check("发票.pdf", b"MZ\x90\0 not a pdf").unwrap_err();
        assert_eq!(e.code, "evidence_type");
        assert_eq!(check("a.pdf", b"").unwrap_err().code, "evidence_empty");
        let big = vec![b'%'; MAX_FILE_BYTES + 1];
        assert_eq!(check("a.pdf", &big).unwrap_err().code, "evidence_too_large");
    }

    #[test]
    fn digest_is_sha256_of_the_bytes() {
        // The well-known SHA-256 of "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let f = check("C:\\扫描\\发票 1.pdf", b"%PDF-1.4 x").unwrap();
        assert_eq!(f.file_name, "发票 1.pdf");
        assert_eq!(f.content_type, "application/pdf");
        assert_eq!(f.sha256, sha256_hex(b"%PDF-1.4 x"));
    }

    #[test]
    fn names_lose_directories_and_control_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\"c.png"), "abc.png");
        assert_eq!(clean_file_name(""), "凭证");
        assert_eq!(clean_file_name(".."), "凭证");
        assert_eq!(clean_file_name(&"长".repeat(300)).chars().count(), 100);
    }
}
