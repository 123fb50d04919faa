//! Standard token exchange (RFC 8693) as Keycloak 26.2+ implements it ("token exchange V2",
//! internal to internal): a client trades a user's access token for one issued to itself,
//! optionally narrowed to target audiences, in the same SSO session.
//!
//! The checks run in Keycloak's order, each with its error: the request is one the standard
//! provider supports (client opted in, an access token given), the subject token is active in
//! this realm, the requested token type is allowed, each audience is a client, the requesting
//! client is confidential and, unless it holds the token, within the token's audience, the
//! scope is one the token has; after minting, every requested audience must be in the new
//! token's `aud`.

use super::error::OAuthError;
use super::form::Params;
use super::model::{Client, Realm, TokenKind};
use super::store;
use super::tokens::{self, Grant, Subject};
use crate::app::AppState;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// A checked exchange: the grant to mint, and the token type the answer names.
pub struct Exchange {
    pub grant: Grant,
    pub issued_token_type: &'static str,
}

/// Why Keycloak's standard provider declines a request (400 `invalid_request` with the
/// reason), in the order it checks.
fn unsupported_reason(client: &Client, params: &Params) -> Option<&'static str> {
    if params.get("requested_subject").is_some() {
        return Some("Parameter 'requested_subject' is not supported for standard token exchange");
    }
    if params.get("requested_issuer").is_some() {
        return Some("Parameter 'requested_issuer' is not supported for standard token exchange");
    }
    if params.get("subject_issuer").is_some() {
        return Some("Parameter 'subject_issuer' is not supported for standard token exchange");
    }
    if !client.standard_token_exchange {
        return Some("Standard token exchange is not enabled for the requested client");
    }
    if params.get("subject_token").is_none() {
        return Some("Parameter 'subject_token' required for standard token exchange");
    }
    match params.get("subject_token_type") {
        None => Some("Parameter 'subject_token_type' required for standard token exchange"),
        Some(ACCESS_TOKEN_TYPE) => None,
        Some(_) => Some("Parameter 'subject_token' supports access tokens only"),
    }
}

/// The token type the answer will carry (Keycloak: access token by default; a refresh token
/// only where the client allows it).
fn requested_token_type(client: &Client, params: &Params) -> Result<&'static str, OAuthError> {
    match params.get("requested_token_type") {
        None | Some(ACCESS_TOKEN_TYPE) => Ok(ACCESS_TOKEN_TYPE),
        Some(REFRESH_TOKEN_TYPE) if client.token_exchange_refresh => Ok(REFRESH_TOKEN_TYPE),
        Some(_) => Err(OAuthError::invalid_request("requested_token_type unsupported")),
    }
}

/// Checks an exchange request of the authenticated `client` and builds its grant.
pub async fn exchange(
    app: &AppState,
    realm: &Realm,
    client: &Client,
    params: &Params,
    audiences: &[String],
) -> Result<Exchange, OAuthError> {
    if let Some(reason) = unsupported_reason(client, params) {
        return Err(OAuthError::invalid_request(reason));
    }
    let subject_token = params.require("subject_token")?;
    let hash = tokens::token_hash(subject_token);
    let now = app.clock.now();
    let subject = tokens::find_token(app, &hash)
        .await?
        .filter(|r| r.kind == TokenKind::Access && r.realm_name == realm.requested && r.is_active(now))
        .ok_or_else(|| OAuthError::invalid_request("Invalid token"))?;
    // A service account's token has no session to carry over (not modelled: see compat.md).
    let Some(session_id) = subject.session_id.clone() else {
        return Err(OAuthError::invalid_request("Invalid token"));
    };
    let issued_token_type = requested_token_type(client, params)?;

    let directory = app.directory();
    for audience in audiences {
        if directory.client(&realm.name, audience).is_none() {
            return Err(OAuthError::invalid_client_request("Audience not found"));
        }
    }
    if client.secret.is_none() {
        return Err(OAuthError::invalid_client_request(
            "Public client is not allowed to exchange token",
        ));
    }
    let token_audiences = match subject.claims.get("aud") {
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        Some(serde_json::Value::Array(many)) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if subject.client_id != client.client_id && !token_audiences.contains(&client.client_id) {
        return Err(OAuthError::access_denied(
            "Client is not within the token audience",
        ));
    }
    let scope = match params.get("scope") {
        Some(asked) => {
            let granted = tokens::effective_scope(Some(&subject.scope));
            if asked
                .split_ascii_whitespace()
                .any(|s| !tokens::has_scope(&granted, s))
            {
                return Err(OAuthError::invalid_scope(format!("Invalid scopes: {asked}")));
            }
            tokens::effective_scope(Some(asked))
        }
        None => tokens::effective_scope(None),
    };

    // Every requested audience must be one the requesting client's tokens can carry.
    let available = tokens::audiences(client);
    let missing: Vec<&str> = audiences
        .iter()
        .filter(|a| !available.contains(a))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(OAuthError::invalid_request(format!(
            "Requested audience not available: {}",
            missing.join(", ")
        )));
    }

    let realm_key = realm.name.clone();
    let lookup = session_id.clone();
    let (user, auth_time) = app
        .db
        .read(move |conn| store::find_session_user(conn, &lookup, &realm_key))
        .await?
        .ok_or_else(|| OAuthError::invalid_request("Invalid token"))?;
    Ok(Exchange {
        grant: Grant {
            realm: realm.clone(),
            client: client.clone(),
            subject: Subject::User(user),
            session_id: Some(session_id),
            scope,
            nonce: None,
            auth_time,
            code: None,
            access_ttl: tokens::access_ttl(realm, client),
            extra_claims: serde_json::Map::new(),
            with_refresh_token: issued_token_type == REFRESH_TOKEN_TYPE,
            requested_audience: (!audiences.is_empty()).then(|| audiences.to_vec()),
        },
        issued_token_type,
    })
}
