//! Pages for people: the login page, error and logged-out pages, and the files under
//! `/static`. Templates are embedded at build time; `{{name}}` placeholders are filled with
//! HTML-escaped values, except names ending in `_html`, which callers build from escaped parts.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;

pub const LOGIN_PAGE: &str = include_str!("../../static/login.html");
pub const ERROR_PAGE: &str = include_str!("../../static/error.html");
pub const LOGGED_OUT_PAGE: &str = include_str!("../../static/logged-out.html");
const DASHBOARD_TEMPLATE: &str = include_str!("../../static/dashboard.html");
const STYLESHEET: &str = include_str!("../../static/emu.css");
const DASHBOARD_SCRIPT: &str = include_str!("../../static/dashboard.js");

/// The dashboard's page template with the stylesheet inlined: a `<link>` would hold every
/// dashboard page's first paint until the stylesheet's own round trip. The login and error
/// pages keep linking `/static/emu.css` (they are small, and Keycloak's theme links its CSS).
pub static DASHBOARD_PAGE: LazyLock<String> =
    LazyLock::new(|| DASHBOARD_TEMPLATE.replace("{{stylesheet_html}}", STYLESHEET));

/// The dashboard's `Content-Security-Policy`: inline styles are allowed by the inlined
/// stylesheet's digest only, so no injected `<style>` or `style=` attribute applies.
pub static DASHBOARD_CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'self'; style-src 'self' {}; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        csp_hash(STYLESHEET)
    )
});

/// A CSP hash source (`'sha256-<base64>'`) for an inline element whose content is `text`.
fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/emu.css", get(stylesheet))
        .route("/static/dashboard.js", get(script))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        DASHBOARD_SCRIPT,
    )
        .into_response()
}

/// `303 See Other` to `location` (after a form post).
pub fn see_other(location: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// `302 Found` to `location`: what Keycloak answers on every redirect of the login flow
/// (axum's `Redirect::to` is a 303).
pub fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "redirect target is not a valid header value",
        )
            .into_response(),
    }
}

/// Fills `{{name}}` placeholders. Values are HTML-escaped unless the name ends in `_html`.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut page = template.to_owned();
    for (name, value) in values {
        let placeholder = format!("{{{{{name}}}}}");
        let value = if name.ends_with("_html") {
            (*value).to_owned()
        } else {
            escape(value)
        };
        page = page.replace(&placeholder, &value);
    }
    page
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_unless_html() {
        let page = render("{{a}}|{{b_html}}", &[("a", "<x \"y\">"), ("b_html", "<b>")]);
        assert_eq!(page, "&lt;x &quot;y&quot;&gt;|<b>");
    }

    #[test]
    fn the_dashboard_inlines_the_stylesheet_its_csp_allows() {
        let inlined = format!("<style>{STYLESHEET}</style>");
        assert!(DASHBOARD_PAGE.contains(&inlined));
        assert!(!DASHBOARD_PAGE.contains("href=\"/static/emu.css\""));
        assert!(
            !STYLESHEET.contains("</style"),
            "the stylesheet cannot end its element"
        );
        let style_src = format!("style-src 'self' {};", csp_hash(STYLESHEET));
        assert!(DASHBOARD_CSP.contains(&style_src), "{}", *DASHBOARD_CSP);
    }

    #[test]
    fn csp_hash_is_base64_of_sha256() {
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            csp_hash("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }
}
