//! Strict reading of OAuth form bodies and query strings.
//!
//! RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, and a
//! parameter must not be included more than once. Bodies must be
//! `application/x-www-form-urlencoded` and are size-limited; every failure is an OAuth
//! `invalid_request`, never axum's plain-text rejection.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};

use super::error::OAuthError;

/// Form bodies of the OIDC endpoints are small; anything bigger is refused with 413.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Parameters token exchange may repeat (Keycloak's supported multi-valued parameters).
const MULTI_VALUED: [&str; 2] = ["audience", "resource"];

/// Parameters of one request, each present at most once but for [`MULTI_VALUED`] ones.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `a=1&b=2`; refuses a parameter given twice (but `audience`, `resource`).
    pub fn parse(encoded: &[u8]) -> Result<Self, OAuthError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(encoded) {
            if value.is_empty() {
                continue;
            }
            if !MULTI_VALUED.contains(&key.as_ref()) && pairs.iter().any(|(k, _)| *k == key) {
                return Err(OAuthError::invalid_request(format!(
                    "Duplicated parameter: {key}"
                )));
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Ok(Self { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter, in order.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("Missing parameter: {name}")))
    }

    /// A copy without the named parameters.
    pub fn without(&self, names: &[&str]) -> Self {
        Self {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// `a=1&b=2`, form-encoded.
    pub fn encode(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.extend_pairs(self.pairs.iter());
        out.finish()
    }

    /// Every parameter, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Merges the query string's parameters in (for endpoints that accept both).
    fn extend_unique(&mut self, other: Self) -> Result<(), OAuthError> {
        for (key, value) in other.pairs {
            if self.get(&key).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "Duplicated parameter: {key}"
                )));
            }
            self.pairs.push((key, value));
        }
        Ok(())
    }
}

/// The parameters of a request: the query string, plus the form body of a POST.
#[derive(Debug)]
pub struct OAuthParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for OAuthParams {
    type Rejection = OAuthError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let mut params = Params::parse(req.uri().query().unwrap_or("").as_bytes())?;
        if req.method() == Method::POST {
            let body = read_form_body(req).await?;
            params.extend_unique(Params::parse(&body)?)?;
        }
        Ok(Self(params))
    }
}

/// Reads a POST body that must be form-encoded, within [`MAX_FORM_BYTES`].
async fn read_form_body(req: Request) -> Result<axum::body::Bytes, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_form = content_type.split(';').next().is_some_and(|mime| {
        mime.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    let body: Body = req.into_body();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| OAuthError::payload_too_large())?;
    // An empty POST (userinfo with a bearer header) needs no content type.
    if !is_form && !bytes.is_empty() {
        return Err(OAuthError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_omitted_and_repeats_refused() {
        let params = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        let err = Params::parse(b"a=1&a=2").unwrap_err();
        assert_eq!(err.error, "invalid_request");
        assert!(err.description.contains('a'));
    }
}
