//! Token introspection (RFC 7662), and its JWT form (RFC 9701) for resource servers that ask
//! for `application/token-introspection+jwt`: signed (ES256 by default, as django-lasuite
//! expects) and, when the client has a public key configured, encrypted to it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};

use super::error::OAuthError;
use super::form::OAuthParams;
use super::model::Client;
use super::{client_auth, jwe, load_realm, tokens};
use crate::app::AppState;

const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// `POST /realms/{realm}/protocol/openid-connect/token/introspect`
pub async fn introspect(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    params: Result<OAuthParams, OAuthError>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm_name)?;
    let OAuthParams(params) = params?;
    let client = client_auth::authenticate(&app, &realm, &headers, &params)
        .await?
        .client;
    if client.secret.is_none() {
        return Err(OAuthError::invalid_client(
            "Public client is not permitted to invoke the introspection endpoint",
            false,
        ));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("Token not provided"))?;
    // Anything not active is `{"active": false}` alone: a past `exp` next to it would turn
    // django-lasuite's expected 400 into a 500.
    let answer = tokens::introspect_shared(&app, &realm.requested, token).await?;
    let note = crate::admin::journal::Note {
        client: Some(client.client_id.clone()),
        user: answer
            .as_ref()
            .and_then(|a| a.members.get("username"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    let wants_jwt = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with(JWT_MEDIA_TYPE)));
    let mut response = if wants_jwt {
        let issuer = realm.issuer(&app.public_url);
        let members = match &answer {
            Some(active) => active.members.clone(),
            None => inactive(),
        };
        let body = jwt_answer(&app, &issuer, &client, members).await?;
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(JWT_MEDIA_TYPE))],
            body,
        )
            .into_response()
    } else {
        let body = match &answer {
            Some(active) => active.json.clone(),
            None => bytes::Bytes::from_static(br#"{"active":false}"#),
        };
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response()
    };
    response.extensions_mut().insert(note);
    Ok(response)
}

/// What anything not active is: `{"active": false}` alone.
fn inactive() -> Map<String, Value> {
    Map::from_iter([("active".to_owned(), Value::Bool(false))])
}

async fn jwt_answer(
    app: &AppState,
    issuer: &str,
    client: &Client,
    answer: Map<String, Value>,
) -> crate::Result<String> {
    let claims = json!({
        "iss": issuer,
        "aud": client.client_id,
        "iat": app.clock.now(),
        "token_introspection": answer,
    });
    let key = if client.introspection_signing_alg == "RS256" {
        &app.keys.rs256
    } else {
        &app.keys.es256
    };
    let mut header = Header::new(if key.alg == Algorithm::RS256 {
        Algorithm::RS256
    } else {
        Algorithm::ES256
    });
    header.kid = Some(key.kid.clone());
    header.typ = Some("token-introspection+jwt".into());
    let jws = jsonwebtoken::encode(&header, &claims, &key.encoding)?;
    match client.introspection_encryption_key.clone() {
        Some(pem) => Ok(tokio::task::spawn_blocking(move || jwe::encrypt(jws.as_bytes(), &pem)).await??),
        None => Ok(jws),
    }
}
