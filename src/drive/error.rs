//! Drive's error envelope (drf-standardized-errors, spec §4):
//! `{"type": "client_error", "errors": [{"code", "detail", "attr"}]}`, with the statuses and
//! canonical texts upstream uses. A 401 carries `WWW-Authenticate: Bearer realm="api"`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct DriveError {
    pub status: StatusCode,
    /// `client_error`, `validation_error` or `server_error`.
    pub kind: &'static str,
    /// `(code, detail, attr)` entries.
    pub errors: Vec<(String, String, Option<String>)>,
}

impl DriveError {
    fn one(status: StatusCode, kind: &'static str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            errors: vec![(code.to_owned(), detail.into(), None)],
        }
    }

    pub fn not_authenticated() -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            "client_error",
            "not_authenticated",
            "Authentication credentials were not provided.",
        )
    }

    pub fn authentication_failed(detail: impl Into<String>) -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            "client_error",
            "authentication_failed",
            detail,
        )
    }

    pub fn permission_denied() -> Self {
        Self::one(
            StatusCode::FORBIDDEN,
            "client_error",
            "permission_denied",
            "You do not have permission to perform this action.",
        )
    }

    pub fn not_found() -> Self {
        Self::one(StatusCode::NOT_FOUND, "client_error", "not_found", "Not found.")
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::one(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "client_error",
            "unsupported_media_type",
            format!("Unsupported media type \"{content_type}\" in request."),
        )
    }

    pub fn parse_error(detail: impl std::fmt::Display) -> Self {
        Self::one(
            StatusCode::BAD_REQUEST,
            "client_error",
            "parse_error",
            format!("JSON parse error - {detail}"),
        )
    }

    /// A validation error on field `attr` (400, `validation_error`).
    pub fn invalid(attr: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "validation_error",
            errors: vec![(code.to_owned(), detail.into(), Some(attr.to_owned()))],
        }
    }
}

impl DriveError {
    /// Several validation errors at once, as DRF reports every failing field.
    pub fn validation(errors: Vec<(String, String, Option<String>)>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "validation_error",
            errors,
        }
    }

    /// A route of Drive's API that the emulator does not serve yet (501, in the envelope).
    pub fn not_implemented() -> Self {
        Self::one(
            StatusCode::NOT_IMPLEMENTED,
            "server_error",
            "not_implemented",
            "This route of Drive's API is not emulated by lasuite-emu yet.",
        )
    }

    /// `Invalid page.` (§5).
    pub fn invalid_page() -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            "client_error",
            "not_found",
            "Invalid page.",
        )
    }
}

impl From<crate::Error> for DriveError {
    #[track_caller]
    fn from(error: crate::Error) -> Self {
        tracing::error!(%error, location = %std::panic::Location::caller(), "Drive API internal error");
        Self::one(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "error",
            "Server Error (500)",
        )
    }
}

impl IntoResponse for DriveError {
    fn into_response(self) -> Response {
        let errors: Vec<Value> = self
            .errors
            .into_iter()
            .map(|(code, detail, attr)| json!({"code": code, "detail": detail, "attr": attr}))
            .collect();
        let mut response = (
            self.status,
            axum::Json(json!({"type": self.kind, "errors": errors})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}
