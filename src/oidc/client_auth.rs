//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_post` (form fields, what mozilla-django-oidc and django-lasuite send) and
//! `client_secret_basic` (RFC 6749 §2.3.1: both parts form-urlencoded, then base64).

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::OAuthError;
use super::form::Params;
use super::model::{Client, Realm};
use crate::app::AppState;

const BAD_CREDENTIALS: &str = "Invalid client or Invalid client credentials";

/// The client that authenticated, and whether it used HTTP Basic.
pub struct AuthenticatedClient {
    pub client: Client,
    pub via_basic: bool,
}

/// Authenticates the calling client of `realm`. A public client authenticates by its
/// `client_id` alone; a confidential one needs its secret.
pub async fn authenticate(
    app: &AppState,
    realm: &Realm,
    headers: &HeaderMap,
    params: &Params,
) -> Result<AuthenticatedClient, OAuthError> {
    let basic = basic_credentials(headers)?;
    let via_basic = basic.is_some();
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Basic credentials",
                ));
            }
            (id, Some(secret))
        }
        None => match params.get("client_id") {
            Some(id) => (id.to_owned(), params.get("client_secret").map(str::to_owned)),
            None => return Err(OAuthError::invalid_client("Missing client credentials", false)),
        },
    };
    let client = app
        .directory()
        .client(&realm.name, &client_id)
        .ok_or_else(|| OAuthError::invalid_client(BAD_CREDENTIALS, via_basic))?;
    if let Some(expected) = &client.secret
        && secret.as_deref() != Some(expected.as_str())
    {
        return Err(OAuthError::invalid_client(BAD_CREDENTIALS, via_basic));
    }
    Ok(AuthenticatedClient { client, via_basic })
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`, if present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let malformed = || OAuthError::invalid_client("Malformed Basic credentials", true);
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20client:s%3Ac+r");
        headers.insert(header::AUTHORIZATION, format!("Basic {encoded}").parse().unwrap());
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!(id, "my client");
        assert_eq!(secret, "s:c r");
    }

    #[test]
    fn bearer_is_not_client_authentication() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert!(basic_credentials(&headers).unwrap().is_none());
    }
}
