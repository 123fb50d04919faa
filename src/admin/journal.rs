//! The request journal: the last requests with their service, method, path, status, duration,
//! client, user and, for refusals, the reason given (the OAuth `error_description`, the S3
//! error code and message, ...). Read and cleared through `/_emu/journal`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppState;

/// How many requests the journal keeps.
pub const CAPACITY: usize = 1000;
/// Bodies read to find a client id or a refusal reason are small; larger ones are not read.
const PEEK_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: u64,
    /// Unix seconds, by the emulator's clock.
    pub at: i64,
    pub service: &'static str,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub duration_ms: f64,
    pub client: Option<String>,
    pub user: Option<String>,
    pub reason: Option<String>,
    /// The request's and the response's headers, secrets masked (`masked_headers`); shown by
    /// `GET /_emu/journal/{id}` only.
    #[serde(skip)]
    pub request_headers: Vec<(String, String)>,
    #[serde(skip)]
    pub response_headers: Vec<(String, String)>,
}

/// Headers kept per entry, and bytes kept of each value: an entry's headers stay small, so
/// the whole journal stays bounded (CAPACITY entries).
const HEADERS_KEPT: usize = 40;
const HEADER_VALUE_KEPT: usize = 300;

/// Headers as the journal keeps them: credentials never (Authorization keeps its scheme and,
/// for SigV4, the access key; cookies keep their names), long values cut.
pub fn masked_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .take(HEADERS_KEPT)
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = match name.as_str() {
                "authorization" | "proxy-authorization" => mask_authorization(&text),
                "cookie" => text
                    .split(';')
                    .map(|pair| format!("{}=[masked]", pair.split('=').next().unwrap_or("").trim()))
                    .collect::<Vec<_>>()
                    .join("; "),
                "set-cookie" => format!(
                    "{}=[masked]{}",
                    text.split('=').next().unwrap_or(""),
                    text.find(';').map_or("", |i| &text[i..])
                ),
                "x-amz-security-token" | "x-emu-admin-key" => "[masked]".to_owned(),
                _ => text.into_owned(),
            };
            let mut shown = shown;
            if shown.len() > HEADER_VALUE_KEPT {
                let mut end = HEADER_VALUE_KEPT;
                while !shown.is_char_boundary(end) {
                    end -= 1;
                }
                shown.truncate(end);
                shown.push('…');
            }
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

fn mask_authorization(value: &str) -> String {
    let scheme = value.split_whitespace().next().unwrap_or("");
    if scheme.eq_ignore_ascii_case("AWS4-HMAC-SHA256")
        && let Some(credential) = value.split("Credential=").nth(1)
    {
        let key = credential.split('/').next().unwrap_or("");
        return format!("{scheme} Credential={key}/[masked]");
    }
    format!("{scheme} [masked]")
}

/// Who made a request, as a handler knows it better than the middleware (e.g. the user a
/// token was issued for). Put into the response's extensions.
#[derive(Debug, Clone, Default)]
pub struct Note {
    pub client: Option<String>,
    pub user: Option<String>,
}

/// The real reason of a refusal whose answer hides it (a 500 or a plain page where upstream
/// answers so): put into the response's extensions, the journal records it as the reason.
#[derive(Debug, Clone)]
pub struct Cause(pub String);

#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<VecDeque<Entry>>,
    next_id: AtomicU64,
    /// When the emulator started (the dashboard's uptime).
    pub started: Started,
}

/// The instant the emulator's state was built.
#[derive(Debug, Clone, Copy)]
pub struct Started(pub Instant);

impl Default for Started {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Journal {
    fn push(&self, mut entry: Entry) {
        entry.id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn entries(&self, filter: &Filter) -> Vec<Entry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let matching: Vec<Entry> = entries.iter().filter(|e| filter.matches(e)).cloned().collect();
        let limit = filter.limit.unwrap_or(CAPACITY);
        matching[matching.len().saturating_sub(limit)..].to_vec()
    }

    /// One entry by id, headers included.
    pub fn get(&self, id: u64) -> Option<Entry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().find(|e| e.id == id).cloned()
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Query of `GET /_emu/journal`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub service: Option<String>,
    pub method: Option<String>,
    /// A path prefix.
    pub path: Option<String>,
    /// An exact status, or a class: `4xx`, `5xx`.
    pub status: Option<String>,
    pub client: Option<String>,
    pub user: Option<String>,
    /// Only entries with a larger id.
    pub since: Option<u64>,
    /// The newest N.
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        let status_ok = match self.status.as_deref() {
            None => true,
            Some(class) if class.len() == 3 && class.ends_with("xx") => {
                class.as_bytes()[0] == b'0' + u8::try_from(e.status / 100).unwrap_or(0)
            }
            Some(exact) => exact.parse::<u16>().is_ok_and(|s| s == e.status),
        };
        status_ok
            && self.service.as_deref().is_none_or(|s| s == e.service)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self.path.as_deref().is_none_or(|p| e.path.starts_with(p))
            && self
                .client
                .as_deref()
                .is_none_or(|c| e.client.as_deref() == Some(c))
            && self.user.as_deref().is_none_or(|u| e.user.as_deref() == Some(u))
            && self.since.is_none_or(|id| e.id > id)
    }
}

/// The service a path belongs to.
pub fn service_of(path: &str) -> &'static str {
    match path.trim_start_matches('/').split('/').next().unwrap_or("") {
        "realms" => "oidc",
        "_emu" => "admin",
        "external_api" | "media" => "drive",
        "static" | "favicon.ico" => "web",
        _ => "s3",
    }
}

/// Middleware: records every request but the journal's own.
pub async fn record(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    // The journal's own reads and the dashboard's pages and reads are not requests of the apps.
    if path.starts_with("/_emu/journal")
        || (req.method() == axum::http::Method::GET && super::dashboard::is_dashboard_read(&path))
    {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().to_string();
    // Drive PR #790's internal API shares S3's path space only while `[drive] docs_poc` is on.
    let service = if path.starts_with(crate::drive::INTERNAL_PREFIX) && app.drive().docs_poc {
        "drive"
    } else {
        service_of(&path)
    };
    let request_headers = masked_headers(req.headers());
    let (req, mut client, mut user) = identify(req, service).await;
    let response = next.run(req).await;
    if let Some(note) = response.extensions().get::<Note>() {
        client = note.client.clone().or(client);
        user = note.user.clone().or(user);
    }
    let status = response.status();
    let response_headers = masked_headers(response.headers());
    let cause = response.extensions().get::<Cause>().map(|c| c.0.clone());
    let (response, reason) = if cause.is_some() {
        (response, cause)
    } else if status.is_client_error() || status.is_server_error() {
        reason_of(response).await
    } else {
        (response, None)
    };
    app.journal.push(Entry {
        id: 0,
        at: app.clock.now(),
        service,
        method,
        path,
        status: status.as_u16(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        client,
        user,
        reason,
        request_headers,
        response_headers,
    });
    response
}

/// The client (and user, for a password grant) a request names: HTTP Basic, the OAuth form
/// fields, or the access key of an S3 signature.
async fn identify(req: Request, service: &str) -> (Request, Option<String>, Option<String>) {
    let basic = basic_user(req.headers());
    if service == "s3" {
        let key = s3_access_key(req.uri().query().unwrap_or(""), req.headers());
        return (req, key, None);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // Only a body of known, small length is read here: a larger one is the form reader's to
    // refuse (413), and it must find the body untouched.
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|len| len <= PEEK_LIMIT);
    if service != "oidc" || !is_form || !small {
        return (req, basic, None);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, PEEK_LIMIT).await {
        Ok(bytes) => bytes,
        // The client went away mid-body: nothing left to serve.
        Err(_) => Bytes::new(),
    };
    let field = |name: &str| {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let client = basic.or_else(|| field("client_id"));
    let user = field("username").or_else(|| field("pick"));
    (Request::from_parts(parts, Body::from(bytes)), client, user)
}

/// The access key of a SigV4 `Authorization` header or `X-Amz-Credential` query parameter.
fn s3_access_key(query: &str, headers: &HeaderMap) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .map(str::to_owned);
    from_header.or_else(|| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| v.split('/').next().map(str::to_owned))
    })
}

fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    decoded.split_once(':').map(|(id, _)| id.to_owned())
}

/// The reason a refusal gives: OAuth `error_description` (or `error`), Drive's error detail,
/// the S3 `<Code>: <Message>`, or an HTML page's message.
async fn reason_of(response: Response) -> (Response, Option<String>) {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, PEEK_LIMIT).await else {
        return (Response::from_parts(parts, Body::empty()), None);
    };
    let text = String::from_utf8_lossy(&bytes);
    let reason = if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        json.get("error_description")
            .or_else(|| json.get("error"))
            .or_else(|| json.pointer("/errors/0/detail"))
            .and_then(|v| v.as_str())
            .map(|s| match json.get("error").and_then(|e| e.as_str()) {
                Some(code) if code != s => format!("{code}: {s}"),
                _ => s.to_owned(),
            })
    } else if let Some(code) = between(&text, "<Code>", "</Code>") {
        Some(match between(&text, "<Message>", "</Message>") {
            Some(message) => format!("{code}: {message}"),
            None => code.to_owned(),
        })
    } else {
        between(&text, "<p id=\"kc-error-message\" class=\"instruction\">", "</p>").map(str::to_owned)
    };
    (Response::from_parts(parts, Body::from(bytes)), reason)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    Some(&text[from..from + text[from..].find(end)?])
}

/// `GET /_emu/journal`
pub async fn list(
    State(app): State<AppState>,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match filter {
        Ok(Query(filter)) => axum::Json(json!({ "entries": app.journal.entries(&filter) })).into_response(),
        Err(rejection) => {
            crate::oidc::error::OAuthError::invalid_request(rejection.body_text()).into_response()
        }
    }
}

/// `GET /_emu/journal/{id}`: one entry with its request and response headers (secrets masked).
pub async fn one(
    State(app): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return crate::oidc::error::OAuthError::invalid_request("the entry id must be a number")
            .into_response();
    };
    let Some(entry) = app.journal.get(id) else {
        return super::admin_error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no journal entry {id}"),
        )
        .into_response();
    };
    let pairs = |headers: &[(String, String)]| headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>();
    let mut body = serde_json::to_value(&entry).unwrap_or_default();
    body["request_headers"] = pairs(&entry.request_headers).into();
    body["response_headers"] = pairs(&entry.response_headers).into();
    axum::Json(body).into_response()
}

/// `DELETE /_emu/journal`
pub async fn clear(State(app): State<AppState>) -> StatusCode {
    app.journal.clear();
    StatusCode::NO_CONTENT
}
