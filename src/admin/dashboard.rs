//! The dashboard's JSON reads and the few mutations the control plane had no endpoint for
//! (`/_emu/api/...`, docs/admin-api.md), and the admin-key cookie. The pages themselves are in
//! `pages.rs`; both read through the functions here, so a page shows what its endpoint answers.
//! Every list is one bounded page, by keyset.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, admin_error};
use crate::app::AppState;
use crate::oidc::error::OAuthError;
use crate::oidc::{load_realm, store as oidc_store, tokens};
use crate::s3::inprocess::PutError;
use crate::s3::model::ObjectVersion;
use crate::s3::store as s3_store;

/// The cookie that carries proof of the admin key (never the key itself).
pub const COOKIE: &str = "lasuite_emu_admin";
/// The header every cookie-authenticated mutation must carry (a cross-site page cannot set it
/// without a CORS preflight, which the control plane never grants).
pub const CSRF_HEADER: &str = "x-emu-dashboard";
/// Rows per page, unless `limit` says fewer.
pub const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// The largest upload the dashboard accepts: S3's PutObject limit, 5 GiB.
const MAX_UPLOAD: u64 = 5 * 1024 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emu/login", post(login))
        .route("/_emu/logout", post(logout))
        .route("/_emu/api/overview", get(overview))
        .route("/_emu/api/realms/{realm}", get(realm))
        .route("/_emu/api/realms/{realm}/sessions", get(sessions))
        .route(
            "/_emu/api/realms/{realm}/sessions/{id}",
            axum::routing::delete(end_session),
        )
        .route("/_emu/api/realms/{realm}/tokens", get(live_tokens))
        .route("/_emu/api/realms/{realm}/tokens/{id}", get(live_token))
        .route("/_emu/api/realms/{realm}/tokens/{id}/revoke", post(revoke_token))
        .route(
            "/_emu/api/realms/{realm}/clients/{client_id}/secret",
            get(client_secret),
        )
        .route("/_emu/api/realms/{realm}/users", get(users))
        .route(
            "/_emu/api/realms/{realm}/users/{username}",
            get(user).patch(patch_user),
        )
        .route("/_emu/api/s3/buckets", get(buckets))
        .route("/_emu/api/s3/buckets/{bucket}/objects", get(objects))
        .route(
            "/_emu/api/s3/buckets/{bucket}/object",
            get(object).put(upload).delete(delete_object),
        )
        .route("/_emu/api/s3/buckets/{bucket}/object/body", get(download))
        .route("/_emu/api/drive/users", get(drive_users))
        .route("/_emu/api/drive/users/{id}/items", get(drive_items))
        .route("/_emu/api/drive/items/{id}", get(drive_item))
}

/// The dashboard's GETs (pages, its script and `/_emu/api` reads): the journal does not
/// record them.
pub fn is_dashboard_read(path: &str) -> bool {
    path.starts_with("/_emu/api/") || path == "/static/dashboard.js" || super::pages::is_page(path)
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, OAuthError> {
    q.map(|Query(t)| t)
        .map_err(|rejection| OAuthError::invalid_request(rejection.body_text()))
}

fn not_found(what: String) -> OAuthError {
    admin_error(StatusCode::NOT_FOUND, "not_found", what)
}

fn page_size(limit: Option<usize>) -> Result<usize, OAuthError> {
    match limit {
        None => Ok(PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(OAuthError::invalid_request(format!(
            "limit must be between 1 and {MAX_PAGE}"
        ))),
    }
}

/// One page of `rows` read with `limit + 1`: the first `limit`, and the cursor of the last
/// when the extra row says there is more.
fn page_of<T>(mut rows: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more.then(|| rows.last().map(cursor)).flatten();
    (rows, next)
}

// ---- the admin key as a cookie ----

/// The cookie's value for a key: a digest, so the cookie jar never holds the key.
pub fn cookie_value(key: &str) -> String {
    tokens::token_hash(&format!("lasuite-emu dashboard\0{key}"))
}

/// Whether the request carries the dashboard cookie for `key`.
pub fn has_cookie(headers: &HeaderMap, key: &str) -> bool {
    let expected = cookie_value(key);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && super::constant_time_eq(value.as_bytes(), expected.as_bytes()))
}

/// Whether a mutation comes from another site: `Sec-Fetch-Site` says so, or its `Origin` is
/// neither the emulator's public URL nor the `Host` it was sent to.
pub fn cross_site(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let public = url::Url::parse(public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let by_host = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
    !(origin == public || by_host)
}

#[derive(Deserialize)]
struct LoginForm {
    key: String,
}

/// `POST /_emu/login` (form `key`): checks the admin key and stores proof of it in an
/// HttpOnly, SameSite=Strict cookie, then goes to the overview; a wrong key shows the prompt
/// again (401).
async fn login(State(app): State<AppState>, body: axum::body::Bytes) -> Response {
    let given = serde_urlencoded_key(&body);
    let Some(key) = app.admin_key.as_deref() else {
        return crate::web::see_other("/_emu/");
    };
    match given {
        Some(form) if super::constant_time_eq(form.key.as_bytes(), key.as_bytes()) => {
            let secure = if app.public_url.starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{COOKIE}={}; Path=/_emu; HttpOnly; SameSite=Strict{secure}",
                cookie_value(key)
            );
            let mut response = crate::web::see_other("/_emu/");
            if let Ok(value) = cookie.parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        _ => super::pages::key_prompt(Some("That is not the admin key.")),
    }
}

fn serde_urlencoded_key(body: &[u8]) -> Option<LoginForm> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "key")
        .map(|(_, v)| LoginForm { key: v.into_owned() })
}

/// `POST /_emu/logout`: forgets the cookie.
async fn logout() -> Response {
    let mut response = crate::web::see_other("/_emu/");
    if let Ok(value) = format!("{COOKIE}=; Path=/_emu; HttpOnly; SameSite=Strict; Max-Age=0").parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

// ---- overview ----

pub async fn overview_data(app: &AppState) -> Result<Value, OAuthError> {
    let now = app.clock.now();
    tokens::rows_written(app).await?;
    let (users, sessions, live_tokens) = app
        .db
        .read(move |conn| oidc_store::identity_counts(conn, now))
        .await?;
    let counts = app.db.read(s3_store::bucket_counts).await?;
    let drive_items = app.db.read(crate::drive::repo::count_items).await?;
    let objects: i64 = counts.iter().map(|(_, n, _)| n).sum();
    let url = &app.public_url;
    let env = |which: crate::cli::App| {
        crate::envblock::env_block(&crate::cli::EnvArgs {
            app: which,
            url: url.clone(),
            app_url: None,
            realm: "lasuite".into(),
            api_url: None,
            tls: url.starts_with("https://"),
            ca_file: None,
            data: app.data_dir.clone(),
            fixture: false,
        })
    };
    let ephemeral = app
        .data_dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("lasuite-emu-"))
        && app.data_dir.starts_with(std::env::temp_dir());
    let realms = app.directory().realm_names().to_vec();
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "public_url": url,
        "data_dir": app.data_dir.display().to_string(),
        "ephemeral": ephemeral,
        "admin_key_required": app.admin_key.is_some(),
        "uptime_s": app.journal.started.0.elapsed().as_secs(),
        "now": now,
        "services": {
            "oidc": {"url": format!("{url}/realms/{{realm}}"), "realms": realms,
                     "discovery": format!("{url}/realms/lasuite/.well-known/openid-configuration")},
            "s3": {"url": url, "buckets": app.s3.store.bucket_names()},
            "drive": {"url": format!("{url}/external_api/v1.0/"), "realm": app.drive().realm.clone()},
            "control_plane": {"url": format!("{url}/_emu/")},
        },
        "counts": {
            "users": users,
            "sessions": sessions,
            "live_tokens": live_tokens,
            "buckets": counts.len(),
            "objects": objects,
            "drive_items": drive_items,
            "journal_entries": app.journal.len(),
        },
        "env": {"docs": env(crate::cli::App::Docs), "drive": env(crate::cli::App::Drive)},
    }))
}

async fn overview(State(app): State<AppState>) -> Result<Response, OAuthError> {
    Ok(axum::Json(overview_data(&app).await?).into_response())
}

// ---- identity ----

pub fn client_view(client: &crate::oidc::model::Client) -> Value {
    let grants: Vec<&str> = [
        Some("authorization_code"),
        Some("refresh_token"),
        client.direct_access_grants.then_some("password"),
        client.service_account.then_some("client_credentials"),
        client.standard_token_exchange.then_some("token-exchange"),
    ]
    .into_iter()
    .flatten()
    .collect();
    json!({
        "client_id": client.client_id,
        "public": client.secret.is_none(),
        "secret": client.secret.as_ref().map(|_| "********"),
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grants": grants,
        "audiences": client.audiences,
    })
}

fn user_view(u: &crate::oidc::model::User) -> Value {
    json!({"username": u.username, "sub": u.sub, "email": u.email, "first_name": u.first_name,
           "last_name": u.last_name, "enabled": u.enabled, "claims": u.claims})
}

/// Which page of a realm's users: after the username `after`, matching `q`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: String,
    /// Part of a username or email, any case.
    #[serde(default)]
    pub q: String,
    pub limit: Option<usize>,
}

/// `{"users": [...], "next": username|null}`: one page of the realm's users by username.
pub async fn users_data(app: &AppState, name: &str, q: UsersQuery) -> Result<Value, OAuthError> {
    let realm = load_realm(app, name)?;
    let limit = page_size(q.limit)?;
    let users = app
        .db
        .read(move |conn| oidc_store::users_page(conn, &realm.name, &q.after, &q.q, limit + 1))
        .await?;
    let (users, next) = page_of(users, limit, |u| u.username.clone());
    let users: Vec<Value> = users.iter().map(user_view).collect();
    Ok(json!({ "users": users, "next": next }))
}

async fn users(
    State(app): State<AppState>,
    Path(name): Path<String>,
    q: Result<Query<UsersQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(users_data(&app, &name, q).await?).into_response())
}

/// The realm, its aliases and clients (users page by page: [`users_data`]).
pub async fn realm_data(app: &AppState, name: &str) -> Result<Value, OAuthError> {
    let realm = load_realm(app, name)?;
    let key = realm.name.clone();
    let aliases = app
        .db
        .read(move |conn| oidc_store::realm_aliases(conn, &key))
        .await?;
    let clients: Vec<Value> = app
        .directory()
        .clients_of(&realm.name)
        .iter()
        .map(client_view)
        .collect();
    Ok(json!({
        "realm": realm.name,
        "issuer": format!("{}/realms/{}", app.public_url, realm.name),
        "aliases": aliases,
        "access_token_ttl": realm.access_token_ttl,
        "clients": clients,
    }))
}

async fn realm(State(app): State<AppState>, Path(name): Path<String>) -> Result<Response, OAuthError> {
    Ok(axum::Json(realm_data(&app, &name).await?).into_response())
}

pub async fn sessions_data(app: &AppState, name: &str) -> Result<Value, OAuthError> {
    let realm = load_realm(app, name)?;
    tokens::rows_written(app).await?;
    let rows = app
        .db
        .read(move |conn| oidc_store::live_sessions(conn, &realm.name, PAGE as i64))
        .await?;
    Ok(json!({ "sessions": rows }))
}

async fn sessions(State(app): State<AppState>, Path(name): Path<String>) -> Result<Response, OAuthError> {
    Ok(axum::Json(sessions_data(&app, &name).await?).into_response())
}

async fn end_session(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &name)?;
    let now = app.clock.now();
    let sid = id.clone();
    let ended = app
        .db
        .write(move |tx| oidc_store::end_realm_session(tx, &realm.name, &sid, now))
        .await?;
    if !ended {
        return Err(not_found(format!("no live session {id}")));
    }
    Ok(axum::Json(json!({ "ended": true })).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    pub user: Option<String>,
    pub client: Option<String>,
    /// The `next` of the previous page.
    pub before: Option<String>,
    pub limit: Option<usize>,
}

pub async fn tokens_data(app: &AppState, name: &str, q: TokenQuery) -> Result<Value, OAuthError> {
    let realm = load_realm(app, name)?;
    let limit = page_size(q.limit)?;
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            cursor
                .split_once(':')
                .and_then(|(at, hash)| Some((at.parse::<i64>().ok()?, hash.to_owned())))
                .ok_or_else(|| {
                    OAuthError::invalid_request("before must be a `next` cursor of a previous page")
                })?,
        ),
    };
    let now = app.clock.now();
    let kid = app.keys.rs256.kid.clone();
    tokens::rows_written(app).await?;
    let rows = app
        .db
        .read(move |conn| {
            oidc_store::live_tokens(
                conn,
                &realm.name,
                now,
                q.user.as_deref(),
                q.client.as_deref(),
                before.as_ref().map(|(at, h)| (*at, h.as_str())),
                limit as i64 + 1,
            )
        })
        .await?;
    let (rows, next) = page_of(rows, limit, |r| format!("{}:{}", r.issued_at, r.id));
    let tokens: Vec<Value> = rows.iter().map(|r| token_view(r, &kid, now)).collect();
    Ok(json!({ "now": now, "tokens": tokens, "next": next }))
}

/// A live token as the dashboard shows it: its row, the JWT header it was signed with and
/// the seconds it has left.
fn token_view(row: &oidc_store::TokenRow, kid: &str, now: i64) -> Value {
    let mut v = serde_json::to_value(row).unwrap_or_default();
    v["header"] = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    v["expires_in"] = (row.expires_at - now).into();
    v
}

/// One live token, decoded: what the identity page's "decoded" cell loads when opened.
pub async fn token_data(app: &AppState, name: &str, id: &str) -> Result<Value, OAuthError> {
    let realm = load_realm(app, name)?;
    let now = app.clock.now();
    let hash = id.to_owned();
    tokens::rows_written(app).await?;
    let row = app
        .db
        .read(move |conn| oidc_store::live_token(conn, &realm.name, now, &hash))
        .await?
        .ok_or_else(|| not_found(format!("no live token {id}")))?;
    Ok(token_view(&row, &app.keys.rs256.kid, now))
}

async fn live_token(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    Ok(axum::Json(token_data(&app, &name, &id).await?).into_response())
}

async fn live_tokens(
    State(app): State<AppState>,
    Path(name): Path<String>,
    q: Result<Query<TokenQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(tokens_data(&app, &name, q).await?).into_response())
}

async fn revoke_token(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &name)?;
    let now = app.clock.now();
    let hash = id.clone();
    let revoked = app
        .db
        .write(move |tx| oidc_store::revoke_by_hash(tx, &realm.name, &hash, now))
        .await?;
    if !revoked {
        return Err(not_found(format!("no live token {id}")));
    }
    Ok(axum::Json(json!({ "revoked": true })).into_response())
}

async fn client_secret(
    State(app): State<AppState>,
    Path((name, client_id)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &name)?;
    let client = app
        .directory()
        .client(&realm.name, &client_id)
        .ok_or_else(|| not_found(format!("no client {client_id}")))?;
    Ok(axum::Json(json!({ "client_id": client.client_id, "secret": client.secret })).into_response())
}

/// `GET /_emu/api/realms/{realm}/users/{username}`: one user with its extra claims (what the
/// identity page's claims editor loads when opened).
async fn user(
    State(app): State<AppState>,
    Path((name, username)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &name)?;
    let wanted = username.clone();
    let user = app
        .db
        .read(move |conn| oidc_store::find_user_by_username(conn, &realm.name, &wanted))
        .await?
        .ok_or_else(|| not_found(format!("no user {username}")))?;
    Ok(axum::Json(user_view(&user)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    claims: Option<Map<String, Value>>,
    enabled: Option<bool>,
}

/// `PATCH /_emu/api/realms/{realm}/users/{username}` `{"claims"?, "enabled"?}`: what the
/// dashboard edits without asking for the password a full `PUT` needs.
async fn patch_user(
    State(app): State<AppState>,
    Path((name, username)): Path<(String, String)>,
    JsonBody(patch): JsonBody<UserPatch>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &name)?;
    if patch.claims.is_none() && patch.enabled.is_none() {
        return Err(OAuthError::invalid_request("give claims and/or enabled"));
    }
    if let Some(claims) = &patch.claims
        && let Some(reserved) = ["sub", "iss", "aud", "exp", "iat"]
            .iter()
            .find(|c| claims.contains_key(**c))
    {
        return Err(OAuthError::invalid_request(format!(
            "claim {reserved} is the emulator's to set"
        )));
    }
    let now = app.clock.now();
    let (realm_key, user) = (realm.name.clone(), username.clone());
    let changed = app
        .db
        .write(move |tx| {
            oidc_store::update_user_profile(tx, &realm_key, &user, patch.claims.as_ref(), patch.enabled, now)
        })
        .await?;
    if !changed {
        return Err(not_found(format!("no user {username}")));
    }
    let user = app
        .db
        .read(move |conn| oidc_store::find_user_by_username(conn, &realm.name, &username))
        .await?;
    Ok(axum::Json(user.as_ref().map_or(Value::Null, user_view)).into_response())
}

// ---- S3 ----

fn version_view(v: &ObjectVersion) -> Value {
    json!({
        "key": v.key,
        "version_id": v.version_id,
        "is_latest": v.is_latest,
        "delete_marker": v.is_delete_marker,
        "size": v.size,
        "etag": v.etag,
        "last_modified_ms": v.last_modified_ms,
        "content_type": v.headers.content_type,
        "content_disposition": v.headers.content_disposition,
        "content_encoding": v.headers.content_encoding,
        "cache_control": v.headers.cache_control,
        "metadata": v.headers.metadata,
        "checksums": v.checksums,
        "parts_count": v.parts_count,
    })
}

pub async fn buckets_data(app: &AppState) -> Result<Value, OAuthError> {
    let counts = app.db.read(s3_store::bucket_counts).await?;
    let buckets: Vec<Value> = counts
        .into_iter()
        .filter_map(|(name, objects, bytes)| {
            let bucket = app.s3.store.find_bucket(&name)?;
            Some(json!({
                "name": name,
                "versioning": format!("{:?}", bucket.versioning),
                "cors": bucket.cors,
                "created_at": bucket.created_at,
                "objects": objects,
                "bytes": bytes,
            }))
        })
        .collect();
    Ok(json!({ "buckets": buckets }))
}

async fn buckets(State(app): State<AppState>) -> Result<Response, OAuthError> {
    Ok(axum::Json(buckets_data(&app).await?).into_response())
}

fn known_bucket(app: &AppState, bucket: &str) -> Result<crate::s3::model::Bucket, OAuthError> {
    app.s3
        .store
        .find_bucket(bucket)
        .ok_or_else(|| not_found(format!("no bucket {bucket}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectsQuery {
    #[serde(default)]
    pub prefix: String,
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: String,
    pub limit: Option<usize>,
}

pub async fn objects_data(app: &AppState, bucket: &str, q: ObjectsQuery) -> Result<Value, OAuthError> {
    let bucket = known_bucket(app, bucket)?.name;
    let limit = page_size(q.limit)?;
    let (b, prefix, after) = (bucket.clone(), q.prefix.clone(), q.after.clone());
    let (entries, more) = app
        .db
        .read(move |conn| s3_store::browse_latest(conn, &b, &prefix, &after, limit))
        .await?;
    let next = more
        .then(|| {
            entries.last().map(|e| match e {
                s3_store::BrowseEntry::Folder(f) => f.clone(),
                s3_store::BrowseEntry::Object(o) => o.key.clone(),
            })
        })
        .flatten();
    let mut folders = Vec::new();
    let mut objects = Vec::new();
    for entry in entries {
        match entry {
            s3_store::BrowseEntry::Folder(f) => folders.push(Value::from(f)),
            s3_store::BrowseEntry::Object(o) => objects.push(version_view(&o)),
        }
    }
    Ok(json!({ "bucket": bucket, "prefix": q.prefix, "folders": folders, "objects": objects, "next": next }))
}

async fn objects(
    State(app): State<AppState>,
    Path(bucket): Path<String>,
    q: Result<Query<ObjectsQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(objects_data(&app, &bucket, q).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    pub key: String,
    pub version_id: Option<String>,
}

pub async fn object_data(app: &AppState, bucket: &str, key: &str) -> Result<Value, OAuthError> {
    let bucket = known_bucket(app, bucket)?.name;
    let (b, k) = (bucket.clone(), key.to_owned());
    let versions = app
        .db
        .read(move |conn| s3_store::key_versions(conn, &b, &k, PAGE as i64))
        .await?;
    if versions.is_empty() {
        return Err(not_found(format!("no object {key} in {bucket}")));
    }
    Ok(json!({
        "bucket": bucket,
        "key": key,
        "versions": versions.iter().map(version_view).collect::<Vec<_>>(),
    }))
}

async fn object(
    State(app): State<AppState>,
    Path(bucket): Path<String>,
    q: Result<Query<KeyQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(object_data(&app, &bucket, &q.key).await?).into_response())
}

/// `GET .../object/body?key=&version_id=`: the body, as an attachment.
async fn download(
    State(app): State<AppState>,
    Path(bucket): Path<String>,
    q: Result<Query<KeyQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    let bucket = known_bucket(&app, &bucket)?.name;
    let (b, k, v) = (bucket.clone(), q.key.clone(), q.version_id.clone());
    let opener = app.s3.store.blobs.opener();
    let (version, opened) = app
        .db
        .read(move |conn| {
            let Some(version) =
                s3_store::find_or_latest(conn, &b, &k, v.as_deref())?.filter(|v| !v.is_delete_marker)
            else {
                return Ok(None);
            };
            let opened = opener.open(conn, &version, 0)?;
            Ok(Some((version, opened)))
        })
        .await?
        .ok_or_else(|| not_found(format!("no object {} in {bucket}", q.key)))?;
    let opened = opened.ok_or_else(|| not_found(format!("the body of {} is gone", q.key)))?;
    let body = Body::from_stream(
        opened
            .stream(None)
            .await
            .map_err(|e| crate::Error::io("reading a body", e))?,
    );
    let name = q.key.rsplit('/').next().unwrap_or("object");
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    let content_type = version
        .headers
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    if let Ok(v) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = format!("attachment; filename=\"{safe}\"").parse() {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, "nosniff".parse().expect("static"));
    Ok(response)
}

/// `PUT .../object?key=`: the body becomes the key's new latest version (as a PutObject).
async fn upload(
    State(app): State<AppState>,
    Path(bucket): Path<String>,
    q: Result<Query<KeyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    let bucket = known_bucket(&app, &bucket)?.name;
    if q.key.is_empty() || q.key.len() > 1024 {
        return Err(OAuthError::invalid_request("key must be 1 to 1024 bytes"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .unwrap_or("application/octet-stream")
        .to_owned();
    // Streamed to the store as a PutObject body is: memory stays flat whatever the size.
    let stored = app
        .s3
        .store
        .put_stream(
            &bucket,
            &q.key,
            body.into_data_stream(),
            &content_type,
            MAX_UPLOAD,
        )
        .await;
    match stored {
        Ok(()) => {}
        Err(PutError::TooLarge(limit)) => {
            return Err(admin_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("an object is at most {limit} bytes (S3's PutObject limit)"),
            ));
        }
        Err(PutError::Body(why)) => {
            return Err(OAuthError::invalid_request(format!("the upload failed: {why}")));
        }
        Err(PutError::NoSuchBucket(name)) => return Err(not_found(format!("no bucket {name}"))),
        Err(PutError::Internal(error)) => return Err(error.into()),
    }
    let data = object_data(&app, &bucket, &q.key).await?;
    Ok((StatusCode::CREATED, axum::Json(data["versions"][0].clone())).into_response())
}

/// `DELETE .../object?key=[&version_id=]`: as DeleteObject (a delete marker when the bucket
/// keeps versions; one version removed for good with `version_id`).
async fn delete_object(
    State(app): State<AppState>,
    Path(bucket): Path<String>,
    q: Result<Query<KeyQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    let bucket = known_bucket(&app, &bucket)?.name;
    let (b, k) = (bucket.clone(), q.key.clone());
    match q.version_id {
        None => {
            let exists = app
                .db
                .read(move |conn| s3_store::latest_version(conn, &b, &k))
                .await?
                .is_some_and(|v| !v.is_delete_marker);
            if !exists {
                return Err(not_found(format!("no object {} in {bucket}", q.key)));
            }
            app.s3.store.delete_current(&bucket, &q.key).await?;
        }
        Some(version_id) => {
            let removed = app
                .db
                .write(move |tx| s3_store::delete_version(tx, &b, &k, &version_id))
                .await?
                .ok_or_else(|| not_found(format!("no such version of {}", q.key)))?;
            app.s3
                .store
                .blobs
                .remove(removed.blob.into_iter().collect())
                .await;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- Drive ----

/// Which page of Drive's users: after the user `after` (an id).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriveUsersQuery {
    pub after: Option<String>,
    pub limit: Option<usize>,
}

/// `{"users": [...], "next": id|null}`: Drive's users in the order they first came.
pub async fn drive_users_data(app: &AppState, q: DriveUsersQuery) -> Result<Value, OAuthError> {
    let limit = page_size(q.limit)?;
    let after = q.after.clone();
    let users = app
        .db
        .read(move |conn| crate::drive::repo::users_page(conn, after.as_deref(), limit as i64 + 1))
        .await?
        .ok_or_else(|| OAuthError::invalid_request("after names no Drive user"))?;
    let (users, next) = page_of(users, limit, |u| u.id.clone());
    let users: Vec<Value> = users
        .iter()
        .map(|u| json!({"id": u.id, "sub": u.sub, "email": u.email, "full_name": u.full_name, "is_active": u.is_active}))
        .collect();
    Ok(json!({ "users": users, "next": next }))
}

async fn drive_users(
    State(app): State<AppState>,
    q: Result<Query<DriveUsersQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(drive_users_data(&app, q).await?).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsQuery {
    /// Children of this item instead of the user's tops.
    pub parent: Option<String>,
    /// The user's trash instead.
    #[serde(default)]
    pub trash: bool,
    pub after: Option<String>,
    pub limit: Option<usize>,
}

fn item_view(app: &AppState, item: &crate::drive::model::Item) -> Value {
    let key = item.filename.as_ref().map(|f| format!("item/{}/{f}", item.id));
    json!({
        "id": item.id,
        "title": item.title,
        "type": item.kind(),
        "parent_id": item.parent_id,
        "upload_state": item.upload_state,
        "mimetype": item.mimetype,
        "size": item.size,
        "link_reach": item.link_reach.map(|r| format!("{r:?}").to_lowercase()),
        "deleted_at": item.deleted_at,
        "created_at": item.created_at,
        "media_url": key.map(|k| format!("{}/media/{k}", app.public_url)),
    })
}

pub async fn drive_items_data(app: &AppState, user: &str, q: ItemsQuery) -> Result<Value, OAuthError> {
    let limit = page_size(q.limit)?;
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            cursor
                .split_once(':')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                .ok_or_else(|| {
                    OAuthError::invalid_request("after must be a `next` cursor of a previous page")
                })?,
        ),
    };
    let (u, parent, trash) = (user.to_owned(), q.parent.clone(), q.trash);
    let found = app
        .db
        .read(move |conn| {
            let Some(user) = crate::drive::repo::find(conn, &u)? else {
                return Ok(None);
            };
            let parent_item = match &parent {
                Some(p) => match crate::drive::repo::find_item(conn, p)? {
                    Some(item) => Some(item),
                    None => return Ok(Some((user, None, Vec::new(), true))),
                },
                None => None,
            };
            let listing = match (&parent, trash) {
                (Some(p), _) => crate::drive::repo::Listing::Children(p),
                (None, true) => crate::drive::repo::Listing::Trash(&user.id),
                (None, false) => crate::drive::repo::Listing::Tops(&user.id),
            };
            let items = crate::drive::repo::dashboard_items(
                conn,
                listing,
                after.as_ref().map(|(at, id)| (*at, id.as_str())),
                limit as i64 + 1,
            )?;
            Ok(Some((user, parent_item, items, false)))
        })
        .await?;
    let Some((user, parent_item, items, parent_missing)) = found else {
        return Err(not_found(format!("no Drive user {user}")));
    };
    if parent_missing {
        return Err(not_found(format!("no item {}", q.parent.unwrap_or_default())));
    }
    let (items, next) = page_of(items, limit, |i| format!("{}:{}", i.created_at, i.id));
    Ok(json!({
        "user": {"id": user.id, "sub": user.sub, "email": user.email, "full_name": user.full_name},
        "parent": parent_item.as_ref().map(|i| item_view(app, i)),
        "trash": trash,
        "items": items.iter().map(|i| item_view(app, i)).collect::<Vec<_>>(),
        "next": next,
    }))
}

async fn drive_items(
    State(app): State<AppState>,
    Path(user): Path<String>,
    q: Result<Query<ItemsQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let q = query(q)?;
    Ok(axum::Json(drive_items_data(&app, &user, q).await?).into_response())
}

pub async fn drive_item_data(app: &AppState, id: &str) -> Result<Value, OAuthError> {
    let i = id.to_owned();
    let found = app
        .db
        .read(move |conn| {
            let Some(item) = crate::drive::repo::find_item(conn, &i)? else {
                return Ok(None);
            };
            let (accesses, invitations) = crate::drive::repo::item_sharing(conn, &item.id)?;
            Ok(Some((item, accesses, invitations)))
        })
        .await?;
    let (item, accesses, invitations) = found.ok_or_else(|| not_found(format!("no item {id}")))?;
    let mut view = item_view(app, &item);
    view["accesses"] = accesses
        .into_iter()
        .map(|(id, who, role)| json!({"id": id, "user": who, "role": role}))
        .collect::<Vec<_>>()
        .into();
    view["invitations"] = invitations
        .into_iter()
        .map(|(id, email, role)| json!({"id": id, "email": email, "role": role}))
        .collect::<Vec<_>>()
        .into();
    Ok(view)
}

async fn drive_item(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, OAuthError> {
    Ok(axum::Json(drive_item_data(&app, &id).await?).into_response())
}

/// Whether a method changes state (what CSRF checks apply to).
pub fn is_mutation(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
