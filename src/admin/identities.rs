//! Runtime identities: a realm's users and clients, fixtures applied while running, token
//! revocation and the end of a user's sessions: what a test changes without a restart.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::{JsonBody, admin_error};
use crate::app::AppState;
use crate::fixtures::{ClientFixture, FixtureSet, RealmFixture, UserFixture};
use crate::oidc::error::OAuthError;
use crate::oidc::model::{Client, TokenKind, User};
use crate::oidc::{load_realm, store, tokens};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emu/fixtures", post(apply_fixtures))
        .route("/_emu/realms/{realm}/users", get(list_users).post(create_user))
        .route(
            "/_emu/realms/{realm}/users/{username}",
            put(put_user).delete(delete_user),
        )
        .route("/_emu/realms/{realm}/users/{username}/logout", post(logout_user))
        .route(
            "/_emu/realms/{realm}/clients",
            get(list_clients).post(create_client),
        )
        .route(
            "/_emu/realms/{realm}/clients/{client_id}",
            put(put_client).delete(delete_client),
        )
        .route("/_emu/revoke", post(revoke))
}

fn user_json(user: &User) -> Value {
    json!({
        "username": user.username,
        "sub": user.sub,
        "email": user.email,
        "email_verified": user.email_verified,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "enabled": user.enabled,
        "claims": user.claims,
    })
}

fn client_json(client: &Client) -> Value {
    json!({
        "client_id": client.client_id,
        "public": client.secret.is_none(),
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "direct_access_grants": client.direct_access_grants,
        "service_account": client.service_account,
        "userinfo_signed": client.userinfo_signed,
        "introspection_signing_alg": client.introspection_signing_alg,
        "introspection_encryption": client.introspection_encryption_key.is_some(),
    })
}

/// Checks one realm's worth of fixture entries with the same rules as fixture files.
fn validate(realm: &str, clients: Vec<ClientFixture>, users: Vec<UserFixture>) -> Result<(), OAuthError> {
    for user in &users {
        if user.username.is_empty() || user.username.len() > 255 {
            return Err(OAuthError::invalid_request(
                "username must be 1 to 255 characters",
            ));
        }
        if user
            .sub
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > 255 || !s.is_ascii())
        {
            return Err(OAuthError::invalid_request(
                "sub must be 1 to 255 ASCII characters",
            ));
        }
    }
    if clients.iter().any(|c| c.client_id.is_empty()) {
        return Err(OAuthError::invalid_request("client_id must not be empty"));
    }
    let set = FixtureSet {
        realms: vec![RealmFixture {
            name: realm.to_owned(),
            clients,
            users,
            ..RealmFixture::default()
        }],
        ..FixtureSet::default()
    };
    set.validate(std::path::Path::new("<request>"))
        .map_err(|e| OAuthError::invalid_request(e.to_string()))
}

async fn list_users(State(app): State<AppState>, Path(realm): Path<String>) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm)?;
    let users = app
        .db
        .read(move |conn| store::list_users(conn, &realm.name))
        .await?;
    Ok(axum::Json(json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() })).into_response())
}

async fn create_user(
    State(app): State<AppState>,
    Path(realm): Path<String>,
    JsonBody(user): JsonBody<UserFixture>,
) -> Result<Response, OAuthError> {
    save_user(&app, &realm, user, true).await
}

async fn put_user(
    State(app): State<AppState>,
    Path((realm, username)): Path<(String, String)>,
    JsonBody(user): JsonBody<UserFixture>,
) -> Result<Response, OAuthError> {
    if user.username != username {
        return Err(OAuthError::invalid_request(
            "the body's username differs from the path's",
        ));
    }
    save_user(&app, &realm, user, false).await
}

async fn save_user(
    app: &AppState,
    realm: &str,
    user: UserFixture,
    create: bool,
) -> Result<Response, OAuthError> {
    let realm = load_realm(app, realm)?;
    validate(&realm.name, Vec::new(), vec![user.clone()])?;
    let (realm_key, username) = (realm.name.clone(), user.username.clone());
    let saved = app
        .db
        .write(move |tx| {
            if create
                && store::find_user_by_login(tx, &realm_key, &user.username)?
                    .is_some_and(|u| u.username == user.username)
            {
                return Ok(None);
            }
            store::upsert_user(tx, &realm_key, &user)?;
            store::find_user_by_login(tx, &realm_key, &user.username)
        })
        .await?;
    match saved {
        Some(user) => {
            let status = if create {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, axum::Json(user_json(&user))).into_response())
        }
        None => Err(admin_error(
            StatusCode::CONFLICT,
            "conflict",
            format!("user {username} exists; PUT updates it"),
        )),
    }
}

async fn delete_user(
    State(app): State<AppState>,
    Path((realm, username)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm)?;
    let name = username.clone();
    if app
        .db
        .write(move |tx| store::delete_user(tx, &realm.name, &name))
        .await?
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(admin_error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no user {username}"),
        ))
    }
}

async fn logout_user(
    State(app): State<AppState>,
    Path((realm, username)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm)?;
    let now = app.clock.now();
    let name = username.clone();
    let ended = app
        .db
        .write(move |tx| {
            match store::find_user_by_login(tx, &realm.name, &name)?.filter(|u| u.username == name) {
                Some(user) => store::end_user_sessions(tx, user.id, now).map(Some),
                None => Ok(None),
            }
        })
        .await?
        .ok_or_else(|| admin_error(StatusCode::NOT_FOUND, "not_found", format!("no user {username}")))?;
    Ok(axum::Json(json!({ "sessions_ended": ended })).into_response())
}

async fn list_clients(
    State(app): State<AppState>,
    Path(realm): Path<String>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm)?;
    let clients: Vec<Value> = app
        .directory()
        .clients_of(&realm.name)
        .iter()
        .map(client_json)
        .collect();
    Ok(axum::Json(json!({ "clients": clients })).into_response())
}

async fn create_client(
    State(app): State<AppState>,
    Path(realm): Path<String>,
    JsonBody(client): JsonBody<ClientFixture>,
) -> Result<Response, OAuthError> {
    save_client(&app, &realm, client, true).await
}

async fn put_client(
    State(app): State<AppState>,
    Path((realm, client_id)): Path<(String, String)>,
    JsonBody(client): JsonBody<ClientFixture>,
) -> Result<Response, OAuthError> {
    if client.client_id != client_id {
        return Err(OAuthError::invalid_request(
            "the body's client_id differs from the path's",
        ));
    }
    save_client(&app, &realm, client, false).await
}

async fn save_client(
    app: &AppState,
    realm: &str,
    client: ClientFixture,
    create: bool,
) -> Result<Response, OAuthError> {
    let realm = load_realm(app, realm)?;
    validate(&realm.name, vec![client.clone()], Vec::new())?;
    if create && app.directory().client(&realm.name, &client.client_id).is_some() {
        return Err(admin_error(
            StatusCode::CONFLICT,
            "conflict",
            format!("client {} exists; PUT updates it", client.client_id),
        ));
    }
    let (realm_key, client_id) = (realm.name.clone(), client.client_id.clone());
    app.db
        .write(move |tx| store::upsert_client(tx, &realm_key, &client))
        .await?;
    app.reload_directory().await?;
    let saved = app
        .directory()
        .client(&realm.name, &client_id)
        .ok_or_else(|| OAuthError::from(crate::Error::Config("client vanished".into())))?;
    let status = if create {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(client_json(&saved))).into_response())
}

async fn delete_client(
    State(app): State<AppState>,
    Path((realm, client_id)): Path<(String, String)>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm)?;
    let (id, now) = (client_id.clone(), app.clock.now());
    let deleted = app
        .db
        .write(move |tx| store::delete_client(tx, &realm.name, &id, now))
        .await?;
    app.reload_directory().await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(admin_error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no client {client_id}"),
        ))
    }
}

/// `POST /_emu/fixtures`: a fixture document (TOML, or JSON by its content type, a Keycloak
/// realm export included) applied over the current state.
async fn apply_fixtures(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let text =
        std::str::from_utf8(&body).map_err(|_| OAuthError::invalid_request("the fixture is not UTF-8"))?;
    let name = if is_json { "request.json" } else { "request.toml" };
    let set = FixtureSet::parse(text, std::path::Path::new(name))
        .map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let summary = json!({
        "realms": set.realms.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "clients": set.realms.iter().map(|r| r.clients.len()).sum::<usize>(),
        "users": set.realms.iter().map(|r| r.users.len()).sum::<usize>(),
        "buckets": set.s3.buckets.len(),
    });
    // Drive's settings and the declared apps live in the fixture set, not the db: layer them
    // over the current ones.
    if set.drive != crate::drive::config::DriveFixture::default() || !set.apps.is_empty() {
        let mut current = (*app.fixtures()).clone();
        current.merge_settings(&set);
        app.set_fixtures(current)
            .map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    }
    let now = app.clock.now();
    app.db.write(move |tx| set.apply(tx, now)).await?;
    app.reload_caches().await?;
    Ok(axum::Json(json!({ "applied": summary })).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    token: String,
}

/// `POST /_emu/revoke`: revokes any access or refresh token, no client credentials needed
/// (a refresh token takes its client's session tokens with it, as at the revocation endpoint).
async fn revoke(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<RevokeRequest>,
) -> Result<Response, OAuthError> {
    let hash = tokens::token_hash(&request.token);
    let now = app.clock.now();
    let revoked = app
        .db
        .write(move |tx| {
            let Some(record) = store::find_token(tx, &hash)? else {
                return Ok(false);
            };
            store::revoke_token(tx, &hash, now)?;
            if let (TokenKind::Refresh, Some(session)) = (record.kind, &record.session_id) {
                store::revoke_client_session(tx, session, &record.client_id, now)?;
            }
            Ok(true)
        })
        .await?;
    Ok(axum::Json(json!({ "revoked": revoked })).into_response())
}
