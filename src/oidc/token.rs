//! The token endpoint: `authorization_code` (with PKCE), `refresh_token`,
//! `client_credentials`, `password` and token-exchange (`exchange.rs`) grants, answered in
//! Keycloak's JSON shape.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest as _, Sha256};

use super::authorize::is_pkce_value;
use super::client_auth;
use super::error::OAuthError;
use super::form::{OAuthParams, Params};
use super::model::{Client, Realm, TokenKind};
use super::tokens::{self, Grant, IssuedTokens, Subject};
use super::{exchange, load_realm, store};
use crate::app::AppState;

/// `POST /realms/{realm}/protocol/openid-connect/token`
pub async fn token(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    params: Result<OAuthParams, OAuthError>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm_name)?;
    let OAuthParams(params) = params?;
    let grant_type = params.require("grant_type")?.to_owned();
    let client = client_auth::authenticate(&app, &realm, &headers, &params)
        .await?
        .client;
    let mut issued_token_type = None;
    let grant = match grant_type.as_str() {
        exchange::GRANT_TYPE => {
            let audiences = params.get_all("audience");
            let checked = exchange::exchange(&app, &realm, &client, &params, &audiences).await?;
            issued_token_type = Some(checked.issued_token_type);
            checked.grant
        }
        "authorization_code" => authorization_code(&app, &realm, &client, &params).await?,
        "refresh_token" => refresh_token(&app, &realm, &client, &params).await?,
        "client_credentials" => client_credentials(&app, &realm, &client, &params)?,
        "password" => password(&app, &realm, &client, &params).await?,
        other => {
            return Err(OAuthError::unsupported_grant_type(format!(
                "Unsupported grant_type: {other}"
            )));
        }
    };
    let note = crate::admin::journal::Note {
        client: Some(grant.client.client_id.clone()),
        user: match &grant.subject {
            Subject::User(user) => Some(user.username.clone()),
            Subject::ServiceAccount => Some(format!("service-account-{}", grant.client.client_id)),
        },
    };
    let mut issued = tokens::issue(&app, grant).await?;
    issued.issued_token_type = issued_token_type;
    let mut response = token_response(&issued);
    response.extensions_mut().insert(note);
    Ok(response)
}

/// The token endpoint's 200 answer, never cached (RFC 6749 §5.1).
pub fn token_response(issued: &IssuedTokens) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ];
    (headers, issued.body()).into_response()
}

async fn authorization_code(
    app: &AppState,
    realm: &Realm,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    let code_value = params.require("code")?.to_owned();
    let now = app.clock.now();
    // Reading and marking the code happen in one transaction: a code is redeemed once. A code
    // presented again revokes what it gave (RFC 6749 §4.1.2).
    let code = app
        .db
        .write(move |tx| {
            let found = store::take_code(tx, &code_value, now)?;
            if let Some(code) = found.as_ref().filter(|c| c.used) {
                store::revoke_tokens_of_code(tx, &code.code, now)?;
            }
            Ok(found)
        })
        .await?
        .filter(|c| !c.used && c.realm_name == realm.requested && c.client_id == client.client_id)
        .ok_or_else(|| OAuthError::invalid_grant("Code not valid"))?;
    if code.expires_at <= now {
        return Err(OAuthError::invalid_grant("Code is expired"));
    }
    if params.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant("Incorrect redirect_uri"));
    }
    check_pkce(
        code.code_challenge.as_deref(),
        code.code_challenge_method.as_deref(),
        params.get("code_verifier"),
    )?;

    let (session_id, realm_key) = (code.session_id.clone(), realm.name.clone());
    let (user, _) = app
        .db
        .read(move |conn| store::find_session_user(conn, &session_id, &realm_key))
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("Session not active"))?;
    Ok(Grant {
        realm: realm.clone(),
        client: client.clone(),
        subject: Subject::User(user),
        session_id: Some(code.session_id),
        scope: code.scope,
        nonce: code.nonce,
        auth_time: code.auth_time,
        code: Some(code.code),
        access_ttl: tokens::access_ttl(realm, client),
        extra_claims: serde_json::Map::new(),
        with_refresh_token: true,
        requested_audience: None,
    })
}

/// RFC 7636 §4.6.
fn check_pkce(
    challenge: Option<&str>,
    method: Option<&str>,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "PKCE code verifier specified but challenge not present in authorization",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("PKCE code verifier not specified")),
        (Some(_), Some(verifier)) if !is_pkce_value(verifier) => {
            Err(OAuthError::invalid_grant("PKCE invalid code verifier"))
        }
        (Some(challenge), Some(verifier)) => {
            let computed = if method == Some("S256") {
                B64.encode(Sha256::digest(verifier.as_bytes()))
            } else {
                verifier.to_owned()
            };
            if computed == challenge {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("PKCE verification failed"))
            }
        }
    }
}

async fn refresh_token(
    app: &AppState,
    realm: &Realm,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    let hash = tokens::token_hash(params.require("refresh_token")?);
    let record = tokens::find_token(app, &hash)
        .await?
        .filter(|r| r.kind == TokenKind::Refresh && r.realm_name == realm.requested)
        .ok_or_else(|| OAuthError::invalid_grant("Invalid refresh token"))?;
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "Invalid refresh token. Token client and authorized client don't match",
        ));
    }
    if record.session_or_user_gone {
        return Err(OAuthError::invalid_grant("Session not active"));
    }
    if !record.is_active(app.clock.now()) {
        return Err(OAuthError::invalid_grant("Token is not active"));
    }
    // A refresh may narrow the scope, never widen it (RFC 6749 §6).
    let scope = match params.get("scope") {
        Some(asked) => {
            if let Some(extra) = asked
                .split_ascii_whitespace()
                .find(|s| !tokens::has_scope(&record.scope, s))
            {
                return Err(OAuthError::invalid_scope(format!("Scope not granted: {extra}")));
            }
            tokens::effective_scope(Some(asked))
        }
        None => record.scope.clone(),
    };
    let (session_id, realm_key) = (record.session_id.clone().unwrap_or_default(), realm.name.clone());
    let (user, auth_time) = app
        .db
        .read(move |conn| store::find_session_user(conn, &session_id, &realm_key))
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("Session not active"))?;
    Ok(Grant {
        realm: realm.clone(),
        client: client.clone(),
        subject: Subject::User(user),
        session_id: record.session_id,
        scope,
        nonce: None,
        auth_time,
        code: None,
        access_ttl: tokens::access_ttl(realm, client),
        extra_claims: serde_json::Map::new(),
        with_refresh_token: true,
        requested_audience: None,
    })
}

fn client_credentials(
    app: &AppState,
    realm: &Realm,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    if client.secret.is_none() {
        return Err(OAuthError::unauthorized_client(
            "Public client not allowed to retrieve service account",
        ));
    }
    if !client.service_account {
        return Err(OAuthError::unauthorized_client(
            "Client not enabled to retrieve service account",
        ));
    }
    Ok(Grant {
        realm: realm.clone(),
        client: client.clone(),
        subject: Subject::ServiceAccount,
        session_id: None,
        scope: tokens::effective_scope(params.get("scope")),
        nonce: None,
        auth_time: app.clock.now(),
        code: None,
        access_ttl: tokens::access_ttl(realm, client),
        extra_claims: serde_json::Map::new(),
        // Keycloak's default: no refresh token for client_credentials.
        with_refresh_token: false,
        requested_audience: None,
    })
}

async fn password(
    app: &AppState,
    realm: &Realm,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    if !client.direct_access_grants {
        return Err(OAuthError::unauthorized_client(
            "Client not allowed for direct access grants",
        ));
    }
    let (Some(login), Some(password)) = (params.get("username"), params.get("password")) else {
        return Err(OAuthError::invalid_user_credentials());
    };
    let (realm_key, login) = (realm.name.clone(), login.to_owned());
    let user = app
        .db
        .read(move |conn| store::find_user_by_login(conn, &realm_key, &login))
        .await?
        .filter(|user| user.password == password)
        .ok_or_else(OAuthError::invalid_user_credentials)?;
    if !user.enabled {
        return Err(OAuthError::invalid_grant("Account disabled"));
    }
    let now = app.clock.now();
    let session_id = tokens::random_id(24);
    {
        let (session_id, realm_key, user_id) = (session_id.clone(), realm.name.clone(), user.id);
        app.db
            .write(move |tx| store::create_session(tx, &session_id, &realm_key, user_id, now))
            .await?;
    }
    Ok(Grant {
        realm: realm.clone(),
        client: client.clone(),
        subject: Subject::User(user),
        session_id: Some(session_id),
        scope: tokens::effective_scope(params.get("scope")),
        nonce: None,
        auth_time: now,
        code: None,
        access_ttl: tokens::access_ttl(realm, client),
        extra_claims: serde_json::Map::new(),
        with_refresh_token: true,
        requested_audience: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_and_plain() {
        // Pair computed independently: base64url(sha256(verifier)) with Python's hashlib.
        let verifier = "dBjftJeZ4CVP-mJ92K1ikDkdWkIEtDqRyNy-ayd2rH8";
        let challenge = "oWJuzhgU8nF0YMSwATMTsd5e3AfWd2TjTS49S6DiV1g";
        assert!(check_pkce(Some(challenge), Some("S256"), Some(verifier)).is_ok());
        assert!(check_pkce(Some(challenge), Some("S256"), Some(&verifier.replace('d', "e"))).is_err());
        assert!(check_pkce(Some(verifier), Some("plain"), Some(verifier)).is_ok());
        assert!(check_pkce(Some(challenge), Some("S256"), None).is_err());
        assert!(check_pkce(None, None, Some(verifier)).is_err());
    }
}
