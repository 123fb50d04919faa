//! Ending things: RP-initiated logout (OIDC RP-Initiated Logout 1.0), which ends the SSO
//! session and sends the browser back with its `state`; Keycloak's back-channel logout with a
//! refresh token; and token revocation (RFC 7009).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::authorize::{cookie_value, with_query};
use super::client_auth;
use super::error::{BrowserError, OAuthError};
use super::form::OAuthParams;
use super::model::TokenKind;
use super::{
    load_realm, load_realm_for_browser, post_logout_redirect_allowed, sso_cookie_name, store, tokens,
};
use crate::app::AppState;
use crate::web;

/// `GET|POST /realms/{realm}/protocol/openid-connect/logout`: a POST carrying
/// `refresh_token` is the back-channel logout (JSON answers); anything else is the browser's.
pub async fn logout(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    method: Method,
    headers: HeaderMap,
    params: Result<OAuthParams, OAuthError>,
) -> Response {
    match params {
        Ok(OAuthParams(params)) if method == Method::POST && params.get("refresh_token").is_some() => {
            refresh_token_logout(&app, &realm_name, &headers, &params)
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
        params => browser_logout(&app, &realm_name, &headers, params)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    }
}

/// Keycloak's `LogoutEndpoint#logoutToken`: the client authenticates as at the token endpoint
/// and names the session by one of its refresh tokens; the whole SSO session ends and the
/// answer is 204. As in Keycloak (`verifyRefreshToken(..., checkExpiration = false)`), an
/// expired refresh token still ends its session, and a session already ended is no error.
///
/// Deliberately stricter than Keycloak (docs/compat.md): a refresh token the store does not
/// know, or one revoked at `/revoke`, is `invalid_grant` "Invalid refresh token" (Keycloak only
/// checks the signature and would end the session a revoked token names). Keycloak's
/// "Bearer-only not allowed" and offline-session branches have no counterpart here. Keycloak
/// reads an empty `refresh_token=` as present (then "Invalid refresh token"); this form reader
/// drops empty values, so such a request takes the browser path: not confirmed against a
/// running Keycloak.
async fn refresh_token_logout(
    app: &AppState,
    realm_name: &str,
    headers: &HeaderMap,
    params: &super::form::Params,
) -> Result<Response, OAuthError> {
    let realm = load_realm(app, realm_name)?;
    let client = client_auth::authenticate(app, &realm, headers, params)
        .await?
        .client;
    let hash = tokens::token_hash(params.require("refresh_token")?);
    let invalid = || OAuthError::invalid_grant("Invalid refresh token");
    let record = tokens::find_token(app, &hash)
        .await?
        .filter(|r| r.kind == TokenKind::Refresh && r.realm_name == realm.requested && !r.revoked)
        .ok_or_else(invalid)?;
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "Invalid refresh token. Token client and authorized client don't match",
        ));
    }
    if let Some(session) = record.session_id {
        let now = app.clock.now();
        app.db
            .write(move |tx| store::end_session(tx, &session, now).map(drop))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.extensions_mut().insert(crate::admin::journal::Note {
        client: Some(client.client_id),
        user: None,
    });
    Ok(response)
}

/// RP-initiated logout: ends the browser's SSO session and the one `id_token_hint` names.
async fn browser_logout(
    app: &AppState,
    realm_name: &str,
    headers: &HeaderMap,
    params: Result<OAuthParams, OAuthError>,
) -> Result<Response, BrowserError> {
    let realm = load_realm_for_browser(app, realm_name)?;
    let OAuthParams(params) = params?;
    let issuer = realm.issuer(&app.public_url);

    let hint = params
        .get("id_token_hint")
        .map(|hint| decode_id_token_hint(app, hint, &issuer))
        .transpose()?;
    let hint_client = hint
        .as_ref()
        .and_then(|claims| claims.get("azp").or(claims.get("aud")))
        .and_then(Value::as_str);
    let client_id = match (params.get("client_id"), hint_client) {
        (Some(given), Some(from_hint)) if given != from_hint => {
            return Err(BrowserError::bad_request(
                "Parameter client_id different than the client the ID token was issued to",
            ));
        }
        (given, from_hint) => given.or(from_hint).map(str::to_owned),
    };

    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(client_id) = client_id else {
                return Err(BrowserError::bad_request(
                    "Either the parameter client_id or the parameter id_token_hint is required \
                     when post_logout_redirect_uri is used.",
                ));
            };
            let client = app
                .directory()
                .client(&realm.name, &client_id)
                .ok_or_else(|| BrowserError::bad_request("Client not found."))?;
            if !post_logout_redirect_allowed(&client, uri) {
                return Err(BrowserError::bad_request("Invalid redirect uri"));
            }
            Some(uri.to_owned())
        }
    };

    // End the browser's session and the one the ID token names (they may differ: a logout
    // link opened in another browser still ends the session it was issued for).
    let cookie_name = sso_cookie_name(&realm.name);
    let sessions: Vec<String> = cookie_value(headers, &cookie_name)
        .into_iter()
        .chain(
            hint.as_ref()
                .and_then(|c| c.get("sid"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
        .collect();
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            for session in &sessions {
                store::end_session(tx, session, now)?;
            }
            Ok(())
        })
        .await?;

    let mut response = match redirect {
        Some(uri) => {
            let state: Vec<(&str, &str)> = params.get("state").map(|s| ("state", s)).into_iter().collect();
            web::found(&with_query(&uri, &state))
        }
        None => Html(web::render(web::LOGGED_OUT_PAGE, &[("realm", &realm.requested)])).into_response(),
    };
    let clear = format!("{cookie_name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Checks an `id_token_hint`: signed by this realm's key and issued by it. Expiry is not
/// checked: a hint is typically an old ID token.
fn decode_id_token_hint(
    app: &AppState,
    hint: &str,
    issuer: &str,
) -> Result<Map<String, Value>, BrowserError> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    jsonwebtoken::decode::<Map<String, Value>>(hint, &app.keys.rs256.decoding, &validation)
        .map(|data| data.claims)
        .map_err(|_| BrowserError::bad_request("Invalid parameter: id_token_hint"))
}

/// `POST /realms/{realm}/protocol/openid-connect/revoke`
pub async fn revoke(
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
    let hash = tokens::token_hash(params.require("token")?);
    let Some(record) = tokens::find_token(&app, &hash).await? else {
        // RFC 7009 §2.2: an invalid token is not an error.
        return Ok(().into_response());
    };
    if record.realm_name != realm.requested {
        return Ok(().into_response());
    }
    if record.client_id != client.client_id {
        return Err(OAuthError::unauthorized_client("Unmatching clients"));
    }
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            store::revoke_token(tx, &hash, now)?;
            // Revoking a refresh token ends the client's part of the session, as in Keycloak.
            if let (TokenKind::Refresh, Some(session)) = (record.kind, &record.session_id) {
                store::revoke_client_session(tx, session, &record.client_id, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(().into_response())
}
