//! Media of Drive items (spec §8.17, §10.2): `items/media-auth/` on the external API, and
//! `/media/{key}` and `/media/preview/{key}`, which the emulator serves itself (upstream puts
//! nginx and an auth sub-request in front of S3).
//!
//! Both share the sub-request's decision (§8.17 steps 1-5): the original URL names an item by
//! UUID, the caller must be able to read it, and it must be an uploaded file (previewable, for
//! a preview). media-auth then answers with a SigV4 header signature for the proxy; `/media/`
//! streams the object from the store in-process, with what upstream's proxy adds.

use std::ops::Range;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::error::DriveError;
use super::files;
use super::items::BUCKET;
use super::model::{DriveUser, Item};
use super::repo;
use crate::app::AppState;
use crate::s3::model::ObjectVersion;

/// The header nginx sets to the original `$request_uri` on the auth sub-request.
const ORIGINAL_URL: &str = "x-original-url";
/// Drive's storage credentials and region (`AWS_S3_ACCESS_KEY_ID`, `AWS_S3_REGION_NAME`).
const STORAGE_ACCESS_KEY: &str = "drive";
const STORAGE_REGION: &str = "eu-east-1";
/// `MEDIA_URL`, and the prefix of previews (`MEDIA_URL_PREVIEW`).
const MEDIA_PREFIX: &str = "/media/";
const PREVIEW_PREFIX: &str = "/media/preview/";
/// Characters a media key may not end with (upstream's `FILE_EXT_REGEX`).
const BAD_LAST_CHARS: &[char] = &['.', '\\', '/', ':', '*', '?', '&', '"', '<', '>', '|', '\r', '\n'];

/// What an original URL names (the groups of upstream's `MEDIA_STORAGE_URL_PATTERN`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct MediaMatch {
    /// `preview/` came before the key.
    preview: bool,
    /// `item/<uuid>/<rest>`, decoded, exactly as written in the URL.
    key: String,
    /// The item id, lower-cased.
    pk: String,
}

/// `GET`/`HEAD /media/{key}` and `/media/preview/{key}`: the body of a file item for a caller
/// who may read it.
pub async fn serve(State(app): State<AppState>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    serve_media(&app, &method, &uri, &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET items/media-auth/` (§8.17): `"authorized"` and the headers that let the proxy fetch the
/// object from the store, or a bare 403.
pub async fn media_auth(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
) -> Result<Response, DriveError> {
    // Django reads header values as ISO-8859-1.
    let original: String = headers
        .get(ORIGINAL_URL)
        .map(|value| value.as_bytes().iter().map(|&b| char::from(b)).collect())
        .unwrap_or_default();
    if original.is_empty() {
        return Err(DriveError::permission_denied());
    }
    let found = match_original_url(&original).ok_or_else(DriveError::permission_denied)?;
    authorize(app, &caller.user.id, &found).await?;
    let secret = app
        .s3
        .credentials
        .secret(STORAGE_ACCESS_KEY)
        .ok_or_else(|| crate::Error::Config("no secret for the storage access key `drive`".into()))?;
    let signed = crate::s3::presign::sign_get_headers(
        &app.public_url,
        BUCKET,
        &found.key,
        STORAGE_ACCESS_KEY,
        &secret,
        STORAGE_REGION,
        // The emulator's time: s3s takes it within its 15-minute skew of the system clock
        // (docs/compat.md).
        app.clock.now(),
    );
    let mut response = (StatusCode::OK, axum::Json("authorized")).into_response();
    for (name, value) in signed {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(lower(name)), value);
        }
    }
    Ok(response)
}

/// The lower-case spelling of the signature's header names (`HeaderName` wants it).
fn lower(name: &'static str) -> &'static str {
    match name {
        "Authorization" => "authorization",
        "X-Amz-Date" => "x-amz-date",
        "X-Amz-Content-SHA256" => "x-amz-content-sha256",
        "X-Amz-Security-Token" => "x-amz-security-token",
        other => other,
    }
}

// ---- the sub-request's decision (§8.17 steps 2-5) ----

/// Step 2: the percent-decoded path of the original URL, else its decoded query string.
fn match_original_url(original: &str) -> Option<MediaMatch> {
    let (path, query) = split_url(original);
    search_media(&unquote(path)).or_else(|| search_media(&unquote(query)))
}

/// The path and query of a URL as Python's `urlparse` splits it: an optional scheme and
/// `//netloc`, the fragment and query cut off, and `;params` cut from the last path segment.
fn split_url(url: &str) -> (&str, &str) {
    let mut rest = url;
    if let Some(colon) = rest.find(':')
        && colon > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..colon]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        rest = &rest[colon + 1..];
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        rest = &after[end..];
    }
    if let Some(hash) = rest.find('#') {
        rest = &rest[..hash];
    }
    let (mut path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let last_segment = path.rfind('/').unwrap_or(0);
    if let Some(semicolon) = path[last_segment..].find(';') {
        path = &path[..last_segment + semicolon];
    }
    (path, query)
}

/// Python's `unquote`: `%XX` escapes decoded as UTF-8 (invalid sequences replaced), malformed
/// escapes kept as written, `+` untouched.
fn unquote(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text)).into_owned()
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// `re.search` of `/media/(preview/)?(item/<uuid>/.*[^<bad>]+)$`: the leftmost `/media/` from
/// which the rest of the text is a media key. `.` does not match a newline, and `$` also
/// matches before a final newline.
fn search_media(text: &str) -> Option<MediaMatch> {
    let mut from = 0;
    while let Some(at) = text[from..].find(MEDIA_PREFIX) {
        let after = &text[from + at + MEDIA_PREFIX.len()..];
        let candidates = [
            after.strip_prefix("preview/").map(|key| (true, key)),
            Some((false, after)),
        ];
        for (preview, key) in candidates.into_iter().flatten() {
            if let Some((key, pk)) = media_key(key) {
                return Some(MediaMatch { preview, key, pk });
            }
        }
        from += at + 1;
    }
    None
}

/// `item/<uuid>/<rest>` up to the end of `text` (or its final newline): the key and the id.
fn media_key(text: &str) -> Option<(String, String)> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let uuid = text.strip_prefix("item/")?.get(..36)?;
    let rest = text.get(5 + 36..)?.strip_prefix('/')?;
    let last = rest.chars().last()?;
    if !is_uuid(uuid) || rest.contains('\n') || BAD_LAST_CHARS.contains(&last) {
        return None;
    }
    Some((text.to_owned(), uuid.to_ascii_lowercase()))
}

/// `[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}`
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Steps 3-5: the item, for a caller who may read its media. Every refusal is the generic 403.
async fn authorize(app: &AppState, user_id: &str, found: &MediaMatch) -> Result<Item, DriveError> {
    let (pk, user_id) = (found.pk.clone(), user_id.to_owned());
    let loaded = app
        .db
        .read(move |conn| {
            let Some(item) = repo::find_item(conn, &pk)? else {
                return Ok(None);
            };
            let context = repo::item_context(conn, &item, &user_id)?;
            Ok(Some((item, context)))
        })
        .await?;
    let (item, context) = loaded.ok_or_else(DriveError::permission_denied)?;
    let state = item.upload_state.as_deref();
    let refused = (state == Some("suspicious") && !context.caller_is_creator)
        || !super::abilities::allows(&item, &context, "media_auth")
        || item.is_folder
        || state == Some("pending")
        || (found.preview && !files::is_previewable(item.mimetype.as_deref()));
    if refused {
        return Err(DriveError::permission_denied());
    }
    Ok(item)
}

// ---- `/media/`: what nginx and the store answer ----

async fn serve_media(
    app: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, DriveError> {
    if method != Method::GET && method != Method::HEAD {
        let mut response = DriveError {
            unhandled: None,
            cause: None,
            status: StatusCode::METHOD_NOT_ALLOWED,
            kind: "client_error",
            errors: vec![(
                "method_not_allowed".into(),
                format!("Method \"{method}\" not allowed."),
                None,
            )],
        }
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let user = media_user(app, headers).await?;
    // What nginx hands the auth sub-request: `$request_uri`.
    let request_uri = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    let found = match_original_url(request_uri).ok_or_else(DriveError::permission_denied)?;
    let item = authorize(app, &user.id, &found).await?;
    // What nginx asks the store for: the decoded path without its location's prefix.
    let raw = uri.path();
    let (attachment, raw_key) = match raw.strip_prefix(PREVIEW_PREFIX) {
        Some(key) => (false, key),
        None => (true, raw.strip_prefix(MEDIA_PREFIX).unwrap_or(raw)),
    };
    let key = String::from_utf8(percent_decode(raw_key)).map_err(|_| DriveError::not_found())?;
    if item.object_key().as_deref() != Some(key.as_str()) {
        return Err(DriveError::not_found());
    }
    let (version, body) = app
        .s3
        .store
        .open_current(BUCKET, &key, crate::s3::blobs::SMALL_BODY as u64)
        .await?
        .ok_or_else(DriveError::not_found)?;
    object_response(method, headers, &version, body, attachment).await
}

/// The caller of a `/media/` request: a Drive bearer token, else the login page's SSO cookie
/// (the browser session upstream's media-auth sub-request relies on). Neither → 401.
async fn media_user(app: &AppState, headers: &HeaderMap) -> Result<DriveUser, DriveError> {
    if let Some(token) = super::auth::bearer(headers)? {
        // `/media/` is the emulator's own (upstream: nginx and a session): a refused token is
        // a 401 here, whatever django-lasuite would do on the API.
        return match super::auth::authenticate(app, &token).await {
            Ok(caller) => Ok(caller.user),
            Err(DriveError {
                unhandled: Some(unhandled),
                ..
            }) => Err(DriveError::authentication_failed(unhandled.message).because(unhandled.cause)),
            Err(error) => Err(error),
        };
    }
    cookie_user(app, headers)
        .await?
        .ok_or_else(DriveError::not_authenticated)
}

/// The Drive user (same `sub`) of the live SSO session of Drive's realm, created on first use
/// as logging in to Drive would.
async fn cookie_user(app: &AppState, headers: &HeaderMap) -> Result<Option<DriveUser>, DriveError> {
    let config = app.drive();
    let Some(realm) = app.directory().realm(&config.realm) else {
        return Ok(None);
    };
    let cookie = crate::oidc::sso_cookie_name(&realm.name);
    let Some(session_id) = crate::oidc::authorize::cookie_value(headers, &cookie) else {
        return Ok(None);
    };
    let realm_name = realm.name.clone();
    let found = app
        .db
        .read(move |conn| {
            let Some((realm_user, _)) =
                crate::oidc::store::find_session_user(conn, &session_id, &realm_name)?
            else {
                return Ok(None);
            };
            let user = repo::find_by_sub(conn, &realm_user.sub)?;
            Ok(Some((realm_user, user)))
        })
        .await?;
    match found {
        None => Ok(None),
        Some((_, Some(user))) => Ok(Some(user)),
        Some((realm_user, None)) => {
            let now = app.clock.now();
            let user = app
                .db
                .write(move |tx| match repo::find_by_sub(tx, &realm_user.sub)? {
                    Some(user) => Ok(user),
                    None => repo::create_from_realm_user(tx, &realm_user, None, now),
                })
                .await?;
            Ok(Some(user))
        }
    }
}

/// A byte range request, as RFC 9110 §14 and S3 read one.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RangeRequest {
    /// No `Range`, or one the server ignores (another unit, several ranges, malformed).
    Whole,
    Part(Range<u64>),
    Unsatisfiable,
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` against an object of `size` bytes.
fn parse_range(value: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let number = |text: &str| {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(size.saturating_sub(n)..size)
            }
        }
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|end| end < start) {
                return RangeRequest::Whole;
            }
            if start >= size {
                return RangeRequest::Unsatisfiable;
            }
            let end = end.map_or(size, |end| end.saturating_add(1).min(size));
            RangeRequest::Part(start..end)
        }
        _ => RangeRequest::Whole,
    }
}

/// Whether `If-None-Match` names the object's ETag (or is `*`); weak comparison, as for GET.
fn none_match(value: &str, etag: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"') == etag)
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) of Unix seconds.
fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        t.day(),
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Unix seconds of an IMF-fixdate, if `text` is one.
fn parse_http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, clock, "GMT"] = parts.as_slice() else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month)?;
    let month = time::Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let mut hms = clock.split(':').map(str::parse::<u8>);
    let (Some(Ok(h)), Some(Ok(m)), Some(Ok(s)), None) = (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return None;
    };
    let time = time::Time::from_hms(h, m, s).ok()?;
    Some(date.with_time(time).assume_utc().unix_timestamp())
}

/// The object's answer: conditional (304), ranged (206 / 416) or whole, with the store's
/// headers and, on `/media/` (not previews), nginx's `Content-Disposition: attachment` (its
/// `add_header` applies to 2xx and 304 answers only).
async fn object_response(
    method: &Method,
    headers: &HeaderMap,
    version: &ObjectVersion,
    body: crate::s3::blobs::Opened,
    attachment: bool,
) -> Result<Response, DriveError> {
    let size = u64::try_from(version.size).unwrap_or(0);
    let etag = format!("\"{}\"", version.etag);
    let last_modified = http_date(version.last_modified());
    let header_text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());

    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::LAST_MODIFIED, &last_modified)
        .header(header::ACCEPT_RANGES, "bytes");
    for (name, value) in stored_headers(version) {
        builder = builder.header(name, value);
    }
    if attachment {
        builder = builder.header(header::CONTENT_DISPOSITION, "attachment");
    }

    let not_modified = match (
        header_text(header::IF_NONE_MATCH),
        header_text(header::IF_MODIFIED_SINCE),
    ) {
        (Some(tags), _) => none_match(tags, &version.etag),
        (None, Some(since)) => parse_http_date(since).is_some_and(|since| version.last_modified() <= since),
        (None, None) => false,
    };
    if not_modified {
        return Ok(builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::NOT_MODIFIED.into_response()));
    }

    let range = match parse_range(header_text(header::RANGE), size) {
        RangeRequest::Whole => None,
        RangeRequest::Part(range) => Some(range),
        RangeRequest::Unsatisfiable => {
            let mut response = DriveError {
                unhandled: None,
                cause: None,
                status: StatusCode::RANGE_NOT_SATISFIABLE,
                kind: "client_error",
                errors: vec![(
                    "invalid_range".into(),
                    "The requested range is not satisfiable.".into(),
                    None,
                )],
            }
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let (status, length) = match &range {
        Some(range) => {
            builder = builder.header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", range.start, range.end - 1),
            );
            (StatusCode::PARTIAL_CONTENT, range.end - range.start)
        }
        None => (StatusCode::OK, size),
    };
    builder = builder.status(status).header(header::CONTENT_LENGTH, length);
    let body = if *method == Method::HEAD || length == 0 {
        Body::empty()
    } else {
        let stream = body
            .stream(range)
            .await
            .map_err(|e| crate::Error::io("reading a media body", e))?;
        Body::from_stream(stream)
    };
    Ok(builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()))
}

/// The headers the store keeps with an object and sends back on GET (`Content-Type` and the
/// other standard ones, `x-amz-meta-*`, the version id of versioned buckets).
fn stored_headers(version: &ObjectVersion) -> Vec<(HeaderName, HeaderValue)> {
    let stored = &version.headers;
    let content_type = stored
        .content_type
        .as_deref()
        .unwrap_or(crate::s3::objects::DEFAULT_CONTENT_TYPE);
    let mut pairs: Vec<(HeaderName, String)> = vec![(header::CONTENT_TYPE, content_type.to_owned())];
    let optional = [
        (header::CACHE_CONTROL, stored.cache_control.clone()),
        (header::CONTENT_DISPOSITION, stored.content_disposition.clone()),
        (header::CONTENT_ENCODING, stored.content_encoding.clone()),
        (header::CONTENT_LANGUAGE, stored.content_language.clone()),
        (header::EXPIRES, stored.expires.map(http_date)),
    ];
    pairs.extend(
        optional
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v))),
    );
    for (name, value) in &stored.metadata {
        if let Ok(name) = HeaderName::try_from(format!("x-amz-meta-{name}")) {
            pairs.push((name, value.clone()));
        }
    }
    if version.version_id != "null" {
        pairs.push((
            HeaderName::from_static("x-amz-version-id"),
            version.version_id.clone(),
        ));
    }
    pairs
        .into_iter()
        .filter_map(|(name, value)| HeaderValue::from_str(&value).ok().map(|v| (name, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "9b2a7c3e-1f4d-4e5a-8b6c-7d8e9f0a1b2c";

    fn found(original: &str) -> Option<(bool, String, String)> {
        match_original_url(original).map(|m| (m.preview, m.key, m.pk))
    }

    #[test]
    fn original_urls_match_upstreams_pattern() {
        let key = format!("item/{ID}/logo.png");
        let expected = Some((false, key.clone(), ID.to_owned()));
        assert_eq!(found(&format!("/media/{key}")), expected);
        assert_eq!(found(&format!("http://localhost/media/{key}")), expected);
        assert_eq!(found(&format!("http://h/x/media/{key}?a=b#frag")), expected);
        assert_eq!(
            found(&format!("/media/preview/{key}")),
            Some((true, key.clone(), ID.to_owned()))
        );
        // Decoded: spaces and `#` arrive escaped.
        assert_eq!(
            found(&format!("/media/item/{ID}/my%20file%23.txt")).map(|f| f.1),
            Some(format!("item/{ID}/my file#.txt"))
        );
        // The query string is the fallback.
        assert_eq!(found(&format!("/other?next=%2Fmedia%2F{key}")), expected);
        // The UUID's case is kept in the key; the id is lower-cased.
        let upper = ID.to_ascii_uppercase();
        assert_eq!(
            found(&format!("/media/item/{upper}/a.txt")),
            Some((false, format!("item/{upper}/a.txt"), ID.to_owned()))
        );
        // `;params` of the last segment are not part of the path (urlparse).
        assert_eq!(
            found(&format!("/media/item/{ID}/a.txt;x")).map(|f| f.1),
            Some(format!("item/{ID}/a.txt"))
        );
    }

    #[test]
    fn original_urls_that_do_not_match() {
        for url in [
            String::new(),
            "/media/".to_owned(),
            format!("/media/item/{ID}/"),
            format!("/media/item/{ID}/file."),
            format!("/media/item/{ID}/file%3F"),
            format!("/media/item/{ID}"),
            "/media/item/not-a-uuid/file.txt".to_owned(),
            format!("/media/preview/preview/item/{ID}/a.txt"),
            format!("/media/item/{ID}/a%0Ab.txt"),
            format!("/api/item/{ID}/a.txt"),
        ] {
            assert_eq!(found(&url), None, "{url}");
        }
        // `$` also matches before a final newline, which is then not part of the key.
        assert_eq!(
            found(&format!("/media/item/{ID}/a.txt%0A")).map(|f| f.1),
            Some(format!("item/{ID}/a.txt"))
        );
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        use RangeRequest::*;
        assert_eq!(parse_range(None, 10), Whole);
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Part(0..4));
        assert_eq!(parse_range(Some("bytes=4-"), 10), Part(4..10));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Part(7..10));
        assert_eq!(parse_range(Some("bytes=-30"), 10), Part(0..10));
        assert_eq!(parse_range(Some("bytes=5-100"), 10), Part(5..10));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=3-1"), 10), Whole);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Whole);
        assert_eq!(parse_range(Some("items=0-1"), 10), Whole);
        assert_eq!(parse_range(Some("bytes=a-b"), 10), Whole);
    }

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert!(none_match("\"abc\"", "abc"));
        assert!(none_match("W/\"x\", \"abc\"", "abc"));
        assert!(none_match("*", "abc"));
        assert!(!none_match("\"abd\"", "abc"));
    }
}
