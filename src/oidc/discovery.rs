//! OpenID Provider metadata and the JWKS. Endpoint paths come from the same constants as the
//! router, so discovery cannot drift from what is served.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::OAuthError;
use super::{endpoints, load_realm};
use crate::app::AppState;

/// `GET /realms/{realm}/.well-known/openid-configuration`
pub async fn openid_configuration(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
) -> Result<Response, OAuthError> {
    let realm = load_realm(&app, &realm_name)?;
    let issuer = realm.issuer(&app.public_url);
    let at = |path: &str| format!("{issuer}/protocol/openid-connect/{path}");
    Ok(axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": at(endpoints::AUTH),
        "token_endpoint": at(endpoints::TOKEN),
        "introspection_endpoint": at(endpoints::INTROSPECT),
        "userinfo_endpoint": at(endpoints::USERINFO),
        "end_session_endpoint": at(endpoints::LOGOUT),
        "jwks_uri": at(endpoints::CERTS),
        "revocation_endpoint": at(endpoints::REVOKE),
        "grant_types_supported": [
            "authorization_code", "refresh_token", "client_credentials", "password",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256"],
        "introspection_signing_alg_values_supported": ["ES256", "RS256"],
        "introspection_encryption_alg_values_supported": ["RSA-OAEP"],
        "introspection_encryption_enc_values_supported": ["A256GCM"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "azp", "sid", "at_hash",
            "name", "given_name", "family_name", "first_name", "last_name", "preferred_username",
            "email", "email_verified"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    }))
    .into_response())
}

/// `GET /realms/{realm}/protocol/openid-connect/certs`
pub async fn certs(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
) -> Result<Response, OAuthError> {
    load_realm(&app, &realm_name)?;
    let mut response = axum::Json(app.keys.jwks()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
