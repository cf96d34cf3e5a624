//! A submitted form, whether sent plain (urlencoded) or with files (multipart): its text fields
//! and its files. Pages that take uploads read it the same way either way, so a form without
//! a file still works.

use crate::error::AppError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use std::collections::HashMap;

/// Everything a page accepts in one submission: 8 files of 5 MiB and the fields around them.
pub const MAX_UPLOAD_BYTES: usize = 42 * 1024 * 1024;
/// A form without files is small.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// One uploaded file, as the browser sent it (not yet checked).
pub struct UploadedFile {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

pub struct FormData {
    pub fields: HashMap<String, String>,
    pub files: Vec<UploadedFile>,
}

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// The files sent under `field`, leaving out the empty part a browser sends when no file
    /// was chosen.
    pub fn files(&self, field: &str) -> impl Iterator<Item = &UploadedFile> {
        self.files
            .iter()
            .filter(move |f| f.field == field && !(f.bytes.is_empty() && f.file_name.is_empty()))
    }
}

pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/form-data"))
}

fn malformed() -> AppError {
    AppError::BadRequest {
        code: "form_malformed",
        field: None,
        detail: None,
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut fields = HashMap::new();
        let mut files = Vec::new();
        if is_multipart(req.headers()) {
            let mut parts = Multipart::from_request(req, state)
                .await
                .map_err(|_| malformed())?;
            while let Some(part) = parts.next_field().await.map_err(|_| malformed())? {
                let name = part.name().unwrap_or("").to_string();
                match part.file_name().map(str::to_string) {
                    Some(file_name) => {
                        let bytes = part.bytes().await.map_err(|_| malformed())?;
                        files.push(UploadedFile {
                            field: name,
                            file_name,
                            bytes: bytes.to_vec(),
                        });
                    }
                    None => {
                        fields.insert(name, part.text().await.map_err(|_| malformed())?);
                    }
                }
            }
        } else {
            let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
                .await
                .map_err(|_| AppError::PayloadTooLarge)?;
            fields.extend(form_urlencoded::parse(&bytes).into_owned());
        }
        Ok(FormData { fields, files })
    }
}

/// One text field of a multipart body (the CSRF check reads the token before any handler).
pub async fn multipart_field(
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
    name: &str,
) -> Option<String> {
    let mut req = Request::new(axum::body::Body::from(body));
    *req.headers_mut() = headers.clone();
    let mut parts = Multipart::from_request(req, &()).await.ok()?;
    while let Ok(Some(part)) = parts.next_field().await {
        if part.name() == Some(name) && part.file_name().is_none() {
            return part.text().await.ok();
        }
    }
    None
}
