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
    /// An exception upstream's views do not handle (its answer hides the cause): what it is,
    /// for the journal and for the Development configuration's debug page.
    pub unhandled: Option<Box<Unhandled>>,
    /// The real reason of a refusal whose answer hides it, for the journal.
    pub cause: Option<String>,
}

/// An exception that escapes upstream's view: Production answers the 500 envelope (Drive's
/// standardized error handler), Development Django's debug page (400 for a
/// `SuspiciousOperation`, 500 for anything else).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unhandled {
    /// The Python exception class, e.g. `SuspiciousOperation`, `ClientError`, `KeyError`.
    pub exception: &'static str,
    /// Its message, as Django's debug page shows it.
    pub message: String,
    /// The real reason, recorded in the journal (e.g. "the access token expired").
    pub cause: String,
}

impl DriveError {
    fn one(status: StatusCode, kind: &'static str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            errors: vec![(code.to_owned(), detail.into(), None)],
            unhandled: None,
            cause: None,
        }
    }

    /// Records `cause` in the journal as this refusal's reason.
    pub fn because(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Upstream's answer to an exception its view does not handle: 500
    /// `{"type":"server_error","errors":[{"code":"error","detail":"Server Error (500)"}]}`,
    /// with the cause kept for the journal (and the debug page of Development).
    pub fn unhandled(exception: &'static str, message: impl Into<String>, cause: impl Into<String>) -> Self {
        let mut error = Self::one(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "error",
            "Server Error (500)",
        );
        error.unhandled = Some(Box::new(Unhandled {
            exception,
            message: message.into(),
            cause: cause.into(),
        }));
        error
    }

    /// A DRF `APIException` a view raises itself: 500 with its detail, code `error`.
    pub fn api_exception(detail: impl Into<String>) -> Self {
        Self::one(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "error", detail)
    }

    /// DRF's 405 for a method the route does not map.
    pub fn method_not_allowed(method: &str) -> Self {
        Self::one(
            StatusCode::METHOD_NOT_ALLOWED,
            "client_error",
            "method_not_allowed",
            format!("Method \"{method}\" not allowed."),
        )
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
            unhandled: None,
            cause: None,
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
            unhandled: None,
            cause: None,
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
        // The body hides the cause, as upstream's does; the journal records it.
        Self::one(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "error",
            "Server Error (500)",
        )
        .because(format!("internal error: {error}"))
    }
}

impl IntoResponse for DriveError {
    fn into_response(self) -> Response {
        let unhandled = self.unhandled.clone();
        let cause = self.cause.clone();
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
        if let Some(cause) = cause.or_else(|| unhandled.as_ref().map(|u| u.cause.clone())) {
            response
                .extensions_mut()
                .insert(crate::admin::journal::Cause(cause));
        }
        if let Some(unhandled) = unhandled {
            response.extensions_mut().insert(*unhandled);
        }
        response
    }
}

/// Django's own 404 page with `DEBUG` off (`django.views.defaults.page_not_found` without a
/// `404.html` template): 179 bytes of `text/html; charset=utf-8`, byte for byte.
pub const DJANGO_NOT_FOUND: &str = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";

/// Django's 404 for a URL no route matches: the plain page in Production, the debug page
/// (which names the path) in Development.
pub fn django_not_found(development: bool, path: &str, cause: &str) -> Response {
    let body = if development {
        templates_debug_page(
            "Page not found",
            &format!("Page not found at {path}"),
            &format!(
                "Using the URLconf defined in <code>drive.urls</code>, Django tried these URL patterns, \
                 in this order: ... The current path, <code>{}</code>, didn’t match any of these.",
                html_escape(path.trim_start_matches('/'))
            ),
        )
    } else {
        DJANGO_NOT_FOUND.to_owned()
    };
    html(StatusCode::NOT_FOUND, body, cause)
}

/// Development's answer to an unhandled exception: Django's debug page, 400 for a
/// `SuspiciousOperation` (Django maps it so), 500 for any other exception.
pub fn django_debug_page(unhandled: &Unhandled, method: &str, path: &str) -> Response {
    let status = if unhandled.exception == "SuspiciousOperation" {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let body = templates_debug_page(
        &format!("{} at {}", unhandled.exception, html_escape(path)),
        &format!("{} at {}", unhandled.exception, html_escape(path)),
        &format!(
            "<pre class=\"exception_value\">{}</pre><table class=\"meta\"><tr><th>Request Method:</th><td>{}</td></tr></table>",
            html_escape(&unhandled.message),
            html_escape(method)
        ),
    );
    html(status, body, &unhandled.cause)
}

fn templates_debug_page(title: &str, heading: &str, summary: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n  \
         <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n  <title>{title}</title>\n</head>\n<body>\n  \
         <div id=\"summary\">\n    <h1>{heading}</h1>\n    {summary}\n  </div>\n  <div id=\"explanation\">\n    <p>\n      \
         You’re seeing this error because you have <code>DEBUG = True</code> in\n      your Django settings file. \
         Change that to <code>False</code>, and Django will\n      display a standard page generated by the handler for this status code.\n    </p>\n  </div>\n</body>\n</html>\n"
    )
}

fn html(status: StatusCode, body: String, cause: &str) -> Response {
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response();
    response
        .extensions_mut()
        .insert(crate::admin::journal::Cause(cause.to_owned()));
    response
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}
