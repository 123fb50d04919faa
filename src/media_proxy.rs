//! The apps' media proxy: what nginx does in front of MinIO in Docs' and Drive's own stacks,
//! so that the media links of a real Docs or Drive (`MEDIA_BASE_URL` + `/media/<key>`) work
//! against the emulator.
//!
//! For each `/media/` request a declared app claims (fixture `[[apps]]`), as nginx's
//! `auth_request` does:
//! 1. ask the app's media-auth endpoint with a GET carrying the browser's headers (its
//!    `Cookie`, `Authorization`), `X-Original-URL` (the request URI) and
//!    `X-Original-Method`, and no body;
//! 2. on 2xx, read the object from the app's bucket with the `Authorization`, `X-Amz-Date`,
//!    `X-Amz-Content-SHA256` (and `X-Amz-Security-Token`) the app answered, checked by the
//!    store like any request: the emulator never serves past the app's decision;
//! 3. on 401 or 403 answer that status; on another answer 500; when the app cannot be reached
//!    or fails (5xx), 502 naming the URL tried.
//!
//! The object's answer goes back as MinIO gives it (status, headers, Range and 304, streamed
//! body), with the headers each app's nginx adds. Paths no app claims stay with the emulated
//! Drive (`drive::media`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::admin::journal::Cause;
use crate::app::AppState;

/// How long media-auth may take to answer (nginx's `proxy_read_timeout` is 60 s; a local app
/// that takes more than a few seconds is stuck).
const MEDIA_AUTH_TIMEOUT: Duration = Duration::from_secs(5);

/// The headers of media-auth's answer that nginx passes on to the store.
const SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];

/// A real app whose `/media/` links the emulator serves, as declared in a fixture:
///
/// ```toml
/// [[apps]]
/// kind = "docs"                      # or "drive": upstream's nginx layout for that app
/// api_url = "http://localhost:8071"  # the app's backend, where media-auth lives
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppFixture {
    pub kind: AppKind,
    /// The app's backend base URL (upstream dev: Docs `http://localhost:8071`, Drive
    /// `http://localhost:8072`).
    pub api_url: String,
    /// media-auth's URL, when not at upstream's path below `api_url`.
    pub media_auth_url: Option<String>,
    /// The bucket the app stores media in (default: the env block's, `docs-media-storage` or
    /// `drive-media-storage`).
    pub bucket: Option<String>,
    /// The S3 endpoint the app signs for (its `AWS_S3_ENDPOINT_URL`; default: the emulator's
    /// public URL). The signature covers its host.
    pub s3_endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AppKind {
    Docs,
    Drive,
}

impl AppKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Docs => "docs",
            Self::Drive => "drive",
        }
    }

    /// Upstream's media-auth path below the backend (`/media-auth` location of its nginx).
    fn media_auth_path(self) -> &'static str {
        match self {
            Self::Docs => "/api/v1.0/documents/media-auth/",
            Self::Drive => "/api/v1.0/items/media-auth/",
        }
    }

    fn default_bucket(self) -> &'static str {
        match self {
            Self::Docs => "docs-media-storage",
            Self::Drive => "drive-media-storage",
        }
    }

    /// Whether the app's nginx serves `/media/<rest>`: Drive's keys are `item/...` (previews
    /// under `preview/`); Docs' keys (`<document id>/...`) are everything else.
    fn claims(self, rest: &str) -> bool {
        let drive = rest.starts_with("item/") || rest.starts_with("preview/");
        match self {
            Self::Drive => drive,
            Self::Docs => !drive,
        }
    }
}

impl AppFixture {
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("api_url", Some(&self.api_url)),
            ("media_auth_url", self.media_auth_url.as_ref()),
            ("s3_endpoint_url", self.s3_endpoint_url.as_ref()),
        ] {
            if let Some(value) = value {
                let parsed = url::Url::parse(value).map_err(|e| format!("{name} {value:?}: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(format!("{name} {value:?}: an http(s) URL with a host"));
                }
            }
        }
        Ok(())
    }

    fn media_auth_url(&self) -> String {
        self.media_auth_url.clone().unwrap_or_else(|| {
            format!(
                "{}{}",
                self.api_url.trim_end_matches('/'),
                self.kind.media_auth_path()
            )
        })
    }

    /// The fixture lines that declare this app (what `env docs|drive` prints).
    pub fn to_toml(&self) -> String {
        let mut out = format!(
            "[[apps]]\nkind = \"{}\"\napi_url = \"{}\"\n",
            self.kind.name(),
            self.api_url
        );
        let optional = [
            ("media_auth_url", &self.media_auth_url),
            ("bucket", &self.bucket),
            ("s3_endpoint_url", &self.s3_endpoint_url),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                out.push_str(&format!("{name} = \"{value}\"\n"));
            }
        }
        out
    }
}

/// How one app's nginx answers a `/media/` path it claims.
#[derive(Debug, PartialEq, Eq)]
struct Route {
    /// The object's key in the app's bucket, as written in the URL (still percent-encoded).
    key: String,
    /// Headers nginx adds to the answer; `always` ones to errors too.
    added: Vec<(&'static str, &'static str, bool)>,
}

/// Where `/media/<rest>` goes under `kind`'s nginx layout.
fn route(kind: AppKind, rest: &str) -> Route {
    match kind {
        // location /media/ { ... add_header Content-Security-Policy "default-src 'none'" always; }
        AppKind::Docs => Route {
            key: rest.to_owned(),
            added: vec![("content-security-policy", "default-src 'none'", true)],
        },
        // location /media/preview/ (no attachment) and /media/ (attachment), both with
        // X-Robots-Tag always; proxy_pass strips the location's prefix.
        AppKind::Drive => match rest.strip_prefix("preview/") {
            Some(key) => Route {
                key: key.to_owned(),
                added: vec![("x-robots-tag", "noindex", true)],
            },
            None => Route {
                key: rest.to_owned(),
                added: vec![
                    ("content-disposition", "attachment", false),
                    ("x-robots-tag", "noindex", true),
                ],
            },
        },
    }
}

/// `/media/{*key}`: a declared app's media through its media-auth, else the emulated Drive's.
pub async fn serve(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let rest = uri.path().strip_prefix("/media/").unwrap_or("").to_owned();
    let declared = app.fixtures().apps.iter().find(|a| a.kind.claims(&rest)).cloned();
    match declared {
        Some(declared) => proxy(&app, &declared, &method, &uri, &headers, &rest).await,
        None => crate::drive::media::serve(State(app), method, uri, headers).await,
    }
}

async fn proxy(
    app: &AppState,
    declared: &AppFixture,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    rest: &str,
) -> Response {
    let route = route(declared.kind, rest);
    let auth_url = declared.media_auth_url();
    let signature = match ask_media_auth(&auth_url, method, uri, headers).await {
        Ok(signature) => signature,
        Err(refusal) => return with_added(refusal, &route.added),
    };
    let bucket = declared
        .bucket
        .as_deref()
        .unwrap_or(declared.kind.default_bucket());
    let host = s3_host(declared.s3_endpoint_url.as_deref().unwrap_or(&app.public_url));
    let target = match uri.query() {
        Some(query) => format!("/{bucket}/{}?{query}", route.key),
        None => format!("/{bucket}/{}", route.key),
    };
    let mut request = axum::http::Request::builder().method(method.clone()).uri(&target);
    for (name, value) in headers {
        // The browser's headers go on to the store as nginx passes them, but for the ones the
        // signature replaces and the hop's own.
        if !SIGNATURE_HEADERS.contains(&name.as_str())
            && name != header::HOST
            && name != header::CONTENT_LENGTH
            && name != header::COOKIE
        {
            request = request.header(name, value);
        }
    }
    request = request.header(header::HOST, host);
    for (name, value) in &signature {
        request = request.header(name, value);
    }
    let Ok(request) = request.body(Body::empty()) else {
        return bad_gateway(&auth_url, "the media path is not a valid URI");
    };
    let answer = crate::s3::handle(&app.s3, request).await;
    with_added(answer, &route.added)
}

/// media-auth's answer: the signature headers on 2xx, else the response nginx would give.
async fn ask_media_auth(
    url: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Vec<(HeaderName, HeaderValue)>, Response> {
    // One client (and connection pool) for every sub-request, as nginx keeps its upstreams.
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    let client = CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(MEDIA_AUTH_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| bad_gateway(url, e))?;
    let original = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = client
        .get(url)
        .header("x-original-url", original)
        .header("x-original-method", method.as_str());
    for (name, value) in headers {
        // nginx's subrequest carries the client's headers, without the body's.
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE && name != header::HOST {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(error) => return Err(bad_gateway(url, &describe(&error))),
    };
    let status = answer.status();
    if status.is_success() {
        let signature = SIGNATURE_HEADERS
            .iter()
            .filter_map(|name| {
                let value = answer.headers().get(*name)?;
                Some((
                    HeaderName::from_static(name),
                    HeaderValue::from_bytes(value.as_bytes()).ok()?,
                ))
            })
            .collect();
        return Ok(signature);
    }
    let cause = format!("media-auth {url} answered {status}");
    Err(match status.as_u16() {
        401 | 403 => nginx_page(
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::FORBIDDEN),
            cause,
        ),
        500..=599 => bad_gateway(url, &format!("it answered {status}")),
        _ => nginx_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{cause}: nginx's auth_request answers 500 for anything but 2xx, 401, 403"),
        ),
    })
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", MEDIA_AUTH_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        error.to_string()
    }
}

/// The `host[:port]` a signer puts in `Host` for an endpoint URL.
fn s3_host(endpoint: &str) -> String {
    url::Url::parse(endpoint).map_or_else(
        |_| endpoint.to_owned(),
        |u| match u.port() {
            Some(port) => format!("{}:{port}", u.host_str().unwrap_or("")),
            None => u.host_str().unwrap_or("").to_owned(),
        },
    )
}

/// Adds the headers the app's nginx adds: `always` ones to every answer, the others to 2xx and
/// 3xx answers only (nginx's `add_header` without `always`).
fn with_added(mut response: Response, added: &[(&'static str, &'static str, bool)]) -> Response {
    let status = response.status();
    let plain_applies = status.is_success() || status.is_redirection();
    for (name, value, always) in added {
        if *always || plain_applies {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
    }
    response
}

/// A status page as nginx writes it, with the real cause for the journal.
fn nginx_page(status: StatusCode, cause: String) -> Response {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, [(header::CONTENT_TYPE, "text/html")], body).into_response();
    response.extensions_mut().insert(Cause(cause));
    response
}

/// 502: the app's media-auth could not decide. The body names the URL tried.
fn bad_gateway(url: &str, why: &str) -> Response {
    let message = format!("lasuite-emu: the app's media-auth at {url} failed: {why}\n");
    let mut response = (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.clone(),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(Cause(message.trim_end().to_owned()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_claims_its_own_keys() {
        assert!(AppKind::Drive.claims("item/0b1/f.txt"));
        assert!(AppKind::Drive.claims("preview/item/0b1/f.png"));
        assert!(!AppKind::Drive.claims("7c1d/attachments/a.png"));
        assert!(AppKind::Docs.claims("7c1d/attachments/a.png"));
        assert!(!AppKind::Docs.claims("item/0b1/f.txt"));
    }

    #[test]
    fn drive_previews_strip_their_prefix_and_are_not_attachments() {
        let preview = route(AppKind::Drive, "preview/item/1/a.png");
        assert_eq!(preview.key, "item/1/a.png");
        assert!(!preview.added.iter().any(|(n, ..)| *n == "content-disposition"));
        let media = route(AppKind::Drive, "item/1/a.png");
        assert_eq!(media.key, "item/1/a.png");
        assert!(
            media
                .added
                .contains(&("content-disposition", "attachment", false))
        );
    }

    #[test]
    fn media_auth_defaults_to_upstreams_path() {
        let docs = AppFixture {
            kind: AppKind::Docs,
            api_url: "http://localhost:8071/".into(),
            media_auth_url: None,
            bucket: None,
            s3_endpoint_url: None,
        };
        assert_eq!(
            docs.media_auth_url(),
            "http://localhost:8071/api/v1.0/documents/media-auth/"
        );
        assert!(docs.validate().is_ok());
        let bad = AppFixture {
            api_url: "localhost:8071".into(),
            ..docs
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn the_signed_host_keeps_its_port() {
        assert_eq!(s3_host("http://127.0.0.1:8990"), "127.0.0.1:8990");
        assert_eq!(s3_host("https://s3.example.com/"), "s3.example.com");
    }
}
