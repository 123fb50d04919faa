//! The control plane under `/_emu` (documented in docs/admin-api.md): health, token minting,
//! reset, the clock, runtime users and clients, revocation. Answers are JSON; errors use the
//! OAuth shape `{"error", "error_description"}`.

pub mod clock;
pub mod dashboard;
pub mod faults;
pub mod identities;
pub mod journal;
pub mod namespaces;
pub mod pages;
pub mod reload;
pub mod snapshot;
pub mod state;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::oidc::error::OAuthError;
use crate::oidc::tokens::{self, Grant, IssuedTokens, Subject};
use crate::oidc::{load_realm, store};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emu/health", get(health))
        .route("/_emu/tokens", post(mint))
        .route("/_emu/reset", post(reset))
        .route("/_emu/namespaces", post(namespaces::create))
        .route("/_emu/namespaces/{name}", axum::routing::delete(namespaces::drop))
        .route("/_emu/snapshot", get(download_snapshot))
        .route("/_emu/restore", post(upload_restore))
        .route("/_emu/clock", get(clock::show).post(clock::change))
        .route("/_emu/journal", get(journal::list).delete(journal::clear))
        .route("/_emu/journal/{id}", get(journal::one))
        .route(
            "/_emu/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route("/_emu/faults/{id}", axum::routing::delete(faults::remove))
        .merge(identities::routes())
        .merge(dashboard::routes())
        .merge(pages::routes())
}

/// Middleware: when the emulator has an admin key, every `/_emu` request but the health check
/// (and the dashboard's key form) must carry it as `Authorization: Bearer <key>`, or the
/// dashboard's cookie (`dashboard::COOKIE`). Whatever the key, a mutation from another site is
/// refused (`Origin`, `Sec-Fetch-Site`), and one authenticated by the cookie alone must carry
/// the `X-Emu-Dashboard` header (CSRF).
pub async fn require_key(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let guarded = path.starts_with("/_emu") && path != "/_emu/health";
    if !guarded {
        return next.run(req).await;
    }
    let mutation = dashboard::is_mutation(req.method());
    if mutation && dashboard::cross_site(req.headers(), &app.public_url) {
        return admin_error(
            axum::http::StatusCode::FORBIDDEN,
            "cross_site",
            "The control plane refuses changes sent from another site".into(),
        )
        .into_response();
    }
    let Some(key) = app.admin_key.as_deref().filter(|_| path != "/_emu/login") else {
        return next.run(req).await;
    };
    let given = crate::oidc::bearer_token(req.headers());
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), key.as_bytes())) {
        return next.run(req).await;
    }
    if dashboard::has_cookie(req.headers(), key) {
        if mutation && !req.headers().contains_key(dashboard::CSRF_HEADER) {
            return admin_error(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                "A change made with the dashboard's cookie needs the X-Emu-Dashboard header".into(),
            )
            .into_response();
        }
        return next.run(req).await;
    }
    if req.method() == axum::http::Method::GET && pages::is_page(path) {
        return pages::key_prompt(None);
    }
    let mut error = admin_error(
        axum::http::StatusCode::UNAUTHORIZED,
        "unauthorized",
        "The control plane needs the admin key printed at start: Authorization: Bearer <key>".into(),
    );
    error.www_authenticate = Some("Bearer realm=\"lasuite-emu admin\"".into());
    error.into_response()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON body whose rejection (bad JSON, unknown field, wrong content type) is an OAuth-style
/// JSON error rather than axum's plain text.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = OAuthError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(|e| OAuthError::invalid_request(e.body_text()))
    }
}

/// An error of the control plane with its own status and code.
pub fn admin_error(status: axum::http::StatusCode, error: &'static str, description: String) -> OAuthError {
    OAuthError {
        status,
        error,
        description: description.into(),
        www_authenticate: None,
    }
}

/// `GET /_emu/snapshot`: the whole state as one file (a SQLite database).
async fn download_snapshot(State(app): State<AppState>) -> Result<Response, OAuthError> {
    let path = app
        .data_dir
        .join("tmp")
        .join(format!("snapshot-{}.db", uuid::Uuid::new_v4().simple()));
    let made = snapshot::snapshot(&app, &path).await;
    let opened = match made {
        Ok(()) => tokio::fs::File::open(&path)
            .await
            .map_err(|e| crate::Error::io("reading the snapshot", e)),
        Err(error) => Err(error),
    };
    // Unlinked now: the open file stays readable while it streams, and nothing is left behind.
    let _ = tokio::fs::remove_file(&path).await;
    let file = opened?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/vnd.sqlite3"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"lasuite-emu-snapshot.db\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `POST /_emu/restore`: the body is a snapshot file; the whole state is replaced by it.
async fn upload_restore(State(app): State<AppState>, body: axum::body::Body) -> Result<Response, OAuthError> {
    use futures_util::StreamExt as _;
    use tokio::io::AsyncWriteExt as _;
    let path = app
        .data_dir
        .join("tmp")
        .join(format!("restore-{}.db", uuid::Uuid::new_v4().simple()));
    let result = async {
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| crate::Error::io("receiving a snapshot", e))?;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| crate::Error::Config(format!("reading the snapshot upload: {e}")))?;
            file.write_all(&chunk)
                .await
                .map_err(|e| crate::Error::io("receiving a snapshot", e))?;
        }
        file.flush()
            .await
            .map_err(|e| crate::Error::io("receiving a snapshot", e))?;
        snapshot::restore(&app, &path).await
    }
    .await;
    let _ = tokio::fs::remove_file(&path).await;
    match result {
        Ok(()) => Ok(axum::Json(json!({ "status": "restored" })).into_response()),
        Err(crate::Error::Config(message)) => Err(OAuthError::invalid_request(message)),
        Err(error) => Err(error.into()),
    }
}

/// `POST /_emu/reset`
async fn reset(State(app): State<AppState>) -> Result<Response, OAuthError> {
    state::reset(&app).await?;
    Ok(axum::Json(json!({ "status": "reset" })).into_response())
}

/// `GET /_emu/health`: 200 once serving, with the state of each service.
async fn health(State(app): State<AppState>) -> Result<Response, OAuthError> {
    let realms = app.directory().realm_names().to_vec();
    Ok(axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "public_url": app.public_url,
        "services": {
            "oidc": {"status": "ready", "realms": realms, "keys": format!("{:?}", app.keys.source)},
            "s3": {"status": "ready", "buckets": app.s3.store.bucket_names()},
            "drive": {"status": "ready", "realm": app.drive().realm.clone()},
        },
    }))
    .into_response())
}

/// What `POST /_emu/tokens` takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    #[serde(default = "default_realm")]
    pub realm: String,
    pub client_id: String,
    pub username: String,
    pub scope: Option<String>,
    /// Access token lifetime in seconds (default: the realm's).
    pub ttl: Option<i64>,
    /// Claims merged over the defaults of the access and ID tokens, `sub` included.
    #[serde(default)]
    pub claims: Map<String, Value>,
    /// The access token's `aud` (one audience a string, several an array); with
    /// `exchange_for`, the exchange's `audience` parameter instead.
    #[serde(default)]
    pub audience: Vec<String>,
    /// Then exchange the token (standard token exchange, with every check Keycloak makes) by
    /// this client: the answer is the exchanged token.
    pub exchange_for: Option<String>,
}

fn default_realm() -> String {
    "lasuite".into()
}

impl MintRequest {
    pub fn new(client_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            realm: default_realm(),
            client_id: client_id.into(),
            username: username.into(),
            scope: None,
            ttl: None,
            claims: Map::new(),
            audience: Vec::new(),
            exchange_for: None,
        }
    }
}

async fn mint(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<MintRequest>,
) -> Result<Response, OAuthError> {
    let issued = mint_token(&app, request).await?;
    Ok(crate::oidc::token::token_response(&issued))
}

/// Mints tokens for a user and client as if the user had just logged in to that client
/// (a new SSO session, so logout and revocation apply to them as to any other).
pub async fn mint_token(app: &AppState, request: MintRequest) -> Result<IssuedTokens, OAuthError> {
    let realm = load_realm(app, &request.realm)?;
    if let Some(ttl) = request.ttl
        && !(1..=10 * 365 * 86_400).contains(&ttl)
    {
        return Err(OAuthError::invalid_request(
            "ttl must be between 1 second and 10 years",
        ));
    }
    let (realm_key, username) = (realm.name.clone(), request.username.clone());
    let client = app.directory().client(&realm.name, &request.client_id);
    let user = app
        .db
        .read(move |conn| {
            Ok(store::find_user_by_login(conn, &realm_key, &username)?.filter(|u| u.username == username))
        })
        .await?;
    let client = client
        .ok_or_else(|| OAuthError::invalid_request(format!("Unknown client_id: {}", request.client_id)))?;
    let user =
        user.ok_or_else(|| OAuthError::invalid_request(format!("Unknown user: {}", request.username)))?;
    if !user.enabled {
        return Err(OAuthError::invalid_request("User is disabled"));
    }
    let now = app.clock.now();
    let session_id = tokens::random_id(24);
    {
        let (session_id, realm_key, user_id) = (session_id.clone(), realm.name.clone(), user.id);
        app.db
            .write(move |tx| store::create_session(tx, &session_id, &realm_key, user_id, now))
            .await?;
    }
    let mut claims = request.claims;
    if request.exchange_for.is_none() {
        match request.audience.as_slice() {
            [] => {}
            [one] => {
                claims.insert("aud".into(), one.clone().into());
            }
            many => {
                claims.insert("aud".into(), many.into());
            }
        }
    }
    let grant = Grant {
        access_ttl: request.ttl.unwrap_or(tokens::access_ttl(&realm, &client)),
        realm: realm.clone(),
        client,
        subject: Subject::User(user),
        session_id: Some(session_id),
        scope: tokens::effective_scope(Some(request.scope.as_deref().unwrap_or("openid email profile"))),
        nonce: None,
        auth_time: now,
        code: None,
        extra_claims: claims,
        with_refresh_token: true,
        requested_audience: None,
    };
    let issued = tokens::issue(app, grant).await?;
    let Some(exchanger) = request.exchange_for else {
        return Ok(issued);
    };
    let exchanger = app
        .directory()
        .client(&realm.name, &exchanger)
        .ok_or_else(|| OAuthError::invalid_request(format!("Unknown client_id: {exchanger}")))?;
    let encoded = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("subject_token", &issued.access_token);
        form.append_pair("subject_token_type", crate::oidc::exchange::ACCESS_TOKEN_TYPE);
        if let Some(scope) = &request.scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    };
    let params = crate::oidc::form::Params::parse(encoded.as_bytes())?;
    let exchanged =
        crate::oidc::exchange::exchange(app, &realm, &exchanger, &params, &request.audience).await?;
    Ok(tokens::issue(app, exchanged.grant).await?)
}
