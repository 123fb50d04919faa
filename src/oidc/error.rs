//! OAuth 2.0 errors (RFC 6749 §5.2, RFC 6750 §3) as the issuer puts them on the wire:
//! `{"error", "error_description"}` JSON with the status Keycloak uses, `Cache-Control:
//! no-store`, and a `WWW-Authenticate` challenge where the RFCs call for one.
//!
//! Browser-facing endpoints (authorization, login, logout) cannot answer JSON to a person:
//! their errors are [`BrowserError`], an HTML page, used only when no valid redirect URI is
//! known (otherwise the error travels back to the client in the redirect).

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: Cow<'static, str>,
    pub www_authenticate: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            www_authenticate: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401, as Keycloak answers bad client credentials. `basic` adds the Basic challenge
    /// RFC 6749 requires when the client tried HTTP Basic.
    pub fn invalid_client(description: impl Into<Cow<'static, str>>, basic: bool) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description);
        if basic {
            error.www_authenticate = Some("Basic realm=\"token\"".into());
        }
        error
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// Keycloak answers a wrong password at the password grant with 401 `invalid_grant`.
    pub fn invalid_user_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "Invalid user credentials",
        )
    }

    /// 400 `invalid_client`: Keycloak's answer to a client that authenticated but may not do
    /// what it asks (token exchange's unknown audience, public client).
    pub fn invalid_client_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client", description)
    }

    /// 403 `access_denied`.
    pub fn access_denied(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", description)
    }

    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", description)
    }

    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// A bearer token that is missing, expired, revoked or unknown (RFC 6750 §3.1).
    pub fn invalid_token(realm: &str, description: &'static str) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description);
        error.www_authenticate = Some(format!(
            "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{description}\""
        ));
        error
    }

    pub fn insufficient_scope(realm: &str, description: &'static str) -> Self {
        let mut error = Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description);
        error.www_authenticate = Some(format!(
            "Bearer realm=\"{realm}\", error=\"insufficient_scope\", error_description=\"{description}\""
        ));
        error
    }

    /// Keycloak's answer on every endpoint of a realm that does not exist.
    pub fn realm_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Realm does not exist",
            "Realm does not exist",
        )
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "Request body too large",
        )
    }
}

impl From<crate::Error> for OAuthError {
    #[track_caller]
    fn from(error: crate::Error) -> Self {
        tracing::error!(%error, location = %std::panic::Location::caller(), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal server error",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(challenge) = self.www_authenticate.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// An error shown to a person in the browser, as Keycloak shows "Invalid parameter:
/// redirect_uri" on its error page.
#[derive(Debug)]
pub struct BrowserError {
    pub status: StatusCode,
    pub message: Cow<'static, str>,
}

impl BrowserError {
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<crate::Error> for BrowserError {
    #[track_caller]
    fn from(error: crate::Error) -> Self {
        tracing::error!(%error, location = %std::panic::Location::caller(), "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "An internal error occurred. The emulator's log has the detail.".into(),
        }
    }
}

impl From<OAuthError> for BrowserError {
    fn from(error: OAuthError) -> Self {
        Self {
            status: error.status,
            message: error.description,
        }
    }
}

impl IntoResponse for BrowserError {
    fn into_response(self) -> Response {
        let page = crate::web::render(
            crate::web::ERROR_PAGE,
            &[("title", "We are sorry..."), ("message", &self.message)],
        );
        (self.status, Html(page)).into_response()
    }
}
