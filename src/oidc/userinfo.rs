//! The userinfo endpoint: JSON by default, a signed JWT (`application/jwt`, no `nonce`) for
//! clients configured so, as Keycloak does with `user.info.response.signature.alg`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::OAuthError;
use super::form::OAuthParams;
use super::{bearer_token, load_realm, store, tokens};
use crate::app::AppState;

/// `GET|POST /realms/{realm}/protocol/openid-connect/userinfo`
pub async fn userinfo(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    params: Result<OAuthParams, OAuthError>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm_name)?;
    let OAuthParams(params) = params?;
    let token = match (bearer_token(&headers), params.get("access_token")) {
        (Some(_), Some(_)) => return Err(OAuthError::invalid_request("Token given twice")),
        (Some(token), None) => token.to_owned(),
        (None, Some(token)) => token.to_owned(),
        (None, None) => return Err(OAuthError::invalid_token(&realm.requested, "Token not provided")),
    };
    let claims = tokens::introspect(&app, &realm.requested, &token)
        .await?
        .ok_or_else(|| OAuthError::invalid_token(&realm.requested, "Token verification failed"))?;
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !tokens::has_scope(scope, "openid") {
        return Err(OAuthError::insufficient_scope(
            &realm.requested,
            "Missing openid scope",
        ));
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("").to_owned();
    let azp = claims.get("azp").and_then(Value::as_str).unwrap_or("").to_owned();
    let realm_key = realm.name.clone();
    let client = app.directory().client(&realm.name, &azp);
    let user = app
        .db
        .read(move |conn| store::find_user_by_sub(conn, &realm_key, &sub))
        .await?;
    // Current profile for a realm user; the token's own claims otherwise (service accounts,
    // or a token minted with an overridden `sub`).
    let mut answer = match user {
        Some(user) => user.profile_claims(),
        None => profile_subset(&claims),
    };

    if client.is_some_and(|c| c.userinfo_signed) {
        answer.insert("iss".into(), realm.issuer(&app.public_url).into());
        answer.insert("aud".into(), azp.into());
        let jwt = tokens::sign_rs256(&app, &answer)?;
        return Ok((
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/jwt"))],
            jwt,
        )
            .into_response());
    }
    Ok(axum::Json(Value::Object(answer)).into_response())
}

const PROFILE_CLAIMS: &[&str] = &[
    "sub",
    "email_verified",
    "name",
    "preferred_username",
    "given_name",
    "family_name",
    "first_name",
    "last_name",
    "email",
    "clientId",
];

fn profile_subset(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .filter(|(key, _)| PROFILE_CLAIMS.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
