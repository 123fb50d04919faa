//! The Keycloak-compatible OIDC issuer, on Keycloak's URL layout:
//! `/realms/{realm}/.well-known/openid-configuration` and
//! `/realms/{realm}/protocol/openid-connect/{auth,token,userinfo,certs,logout,revoke,token/introspect}`.
//!
//! Handlers are thin: the rules live in `tokens` (minting, introspection), `authorize`
//! (the code flow) and `token` (grants); SQL lives in `store`.

pub mod authorize;
pub mod client_auth;
pub mod directory;
pub mod discovery;
pub mod error;
pub mod exchange;
pub mod form;
pub mod introspect;
pub mod jwe;
pub mod logout;
pub mod model;
pub mod store;
pub mod token;
pub mod tokens;
pub mod userinfo;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};

use self::error::{BrowserError, OAuthError};
use self::model::{Client, Realm};
use crate::app::AppState;

/// Endpoint paths under `/realms/{realm}/protocol/openid-connect/`, shared by the router and
/// the discovery document.
pub mod endpoints {
    pub const AUTH: &str = "auth";
    pub const TOKEN: &str = "token";
    pub const INTROSPECT: &str = "token/introspect";
    pub const USERINFO: &str = "userinfo";
    pub const CERTS: &str = "certs";
    pub const LOGOUT: &str = "logout";
    pub const REVOKE: &str = "revoke";
}

pub fn routes() -> Router<AppState> {
    let at = |path: &str| format!("/realms/{{realm}}/protocol/openid-connect/{path}");
    Router::new()
        .route(
            "/realms/{realm}/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(&at(endpoints::CERTS), get(discovery::certs))
        .route(
            &at(endpoints::AUTH),
            get(authorize::authorize).post(authorize::authorize),
        )
        .route(
            "/realms/{realm}/login-actions/authenticate",
            post(authorize::login_action),
        )
        .route(&at(endpoints::TOKEN), post(token::token))
        .route(&at(endpoints::INTROSPECT), post(introspect::introspect))
        .route(
            &at(endpoints::USERINFO),
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(&at(endpoints::LOGOUT), get(logout::logout).post(logout::logout))
        .route(&at(endpoints::REVOKE), post(logout::revoke))
}

/// The realm named in the URL, or Keycloak's 404 `Realm does not exist`.
pub fn load_realm(app: &AppState, name: &str) -> Result<Realm, OAuthError> {
    app.directory()
        .realm(name)
        .ok_or_else(OAuthError::realm_not_found)
}

/// Same as [`load_realm`] for pages shown to a person.
pub fn load_realm_for_browser(app: &AppState, name: &str) -> Result<Realm, BrowserError> {
    load_realm(app, name).map_err(|error| {
        let mut error = BrowserError::from(error);
        error.message = "Realm does not exist".into();
        error
    })
}

/// The SSO cookie of a realm (shared by its aliases, which share its users).
pub fn sso_cookie_name(realm: &str) -> String {
    format!("LASUITE_EMU_SSO_{realm}")
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive), if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether `uri` is an allowed redirect URI: it matches one of the client's patterns (`*`
/// matches any run of characters), or, when the client lists none, it is an http(s) URI on
/// this machine (localhost, *.localhost, 127.0.0.1, [::1]).
pub fn redirect_uri_allowed(patterns: &[String], uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() {
        return false;
    }
    if patterns.is_empty() {
        let local = match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost" || host.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        return local && matches!(url.scheme(), "http" | "https");
    }
    patterns.iter().any(|pattern| crate::glob::matches(pattern, uri))
}

/// Post-logout redirect URIs: the client's list, where `+` means "same as the redirect URIs"
/// (Keycloak's convention); an empty list allows any URI on this machine.
pub fn post_logout_redirect_allowed(client: &Client, uri: &str) -> bool {
    if client.post_logout_redirect_uris.iter().any(|p| p == "+") {
        return redirect_uri_allowed(&client.redirect_uris, uri);
    }
    redirect_uri_allowed(&client.post_logout_redirect_uris, uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_redirect_policy_is_this_machine_only() {
        assert!(redirect_uri_allowed(
            &[],
            "http://localhost:8071/api/v1.0/callback/"
        ));
        assert!(redirect_uri_allowed(&[], "http://127.0.0.1:3000/cb"));
        assert!(redirect_uri_allowed(&[], "http://[::1]:3000/cb"));
        assert!(redirect_uri_allowed(&[], "http://docs.localhost/cb"));
        assert!(!redirect_uri_allowed(&[], "https://evil.example/cb"));
        assert!(!redirect_uri_allowed(&[], "http://localhost/cb#frag"));
        assert!(!redirect_uri_allowed(&[], "not a uri"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bEaReR abc.def".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc.def"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }
}
