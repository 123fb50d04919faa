//! Authentication of the external API (spec §2): the bearer token, validated in-process by the
//! issuer's introspection (the same function the introspection endpoint answers with), then
//! the Drive user with the token's `sub`.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::config::Lasuite;
use super::error::DriveError;
use super::model::DriveUser;
use super::repo;
use crate::app::AppState;
use crate::oidc::tokens;

/// Who is calling: the user, and the client the token was issued to (the "audience").
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: DriveUser,
    pub audience: String,
    /// A trusted app impersonating `user` server-to-server (PR #790's `request.auth ==
    /// "s2s"`): the lifecycle callbacks are skipped and sub-documents stay listed.
    pub s2s: bool,
}

/// The token of `Authorization: Bearer <token>` (§2.1): None when there is no bearer header
/// at all (another scheme counts as none); upstream's two refusals for malformed ones; and
/// its quirk of using the base64-decoded text when the token is valid base64 of UTF-8.
pub fn bearer(headers: &HeaderMap) -> Result<Option<String>, DriveError> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let words: Vec<&str> = value.split_whitespace().collect();
    if !words.first().is_some_and(|w| w.eq_ignore_ascii_case("bearer")) {
        return Ok(None);
    }
    match words.len() {
        1 => Err(DriveError::authentication_failed(
            "Invalid \"bearer\" header: No credentials provided.",
        )),
        2 => {
            let raw = words[1];
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            Ok(Some(decoded.unwrap_or_else(|| raw.to_owned())))
        }
        _ => Err(DriveError::authentication_failed(
            "Invalid \"bearer\" header: Credentials string should not contain spaces.",
        )),
    }
}

/// The audience django-lasuite takes from the claim: `str()` of a truthy value, None for a
/// falsy one (`if not audience`). An array's `str()` is Python's list repr, which no allowed
/// audience equals: a token with several `aud` values never passes.
fn python_str(value: &Value) -> Option<String> {
    fn repr(value: &Value) -> String {
        match value {
            Value::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
            other => python_str(other).unwrap_or_else(|| "None".into()),
        }
    }
    match value {
        Value::Null | Value::Bool(false) => None,
        Value::String(text) if text.is_empty() => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Object(map) if map.is_empty() => None,
        Value::Number(n) if n.as_f64() == Some(0.0) => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => Some(format!(
            "[{}]",
            items.iter().map(repr).collect::<Vec<_>>().join(", ")
        )),
        Value::Object(_) => Some(value.to_string()),
    }
}

/// Validates `token` as the resource server would (§2.2) and finds its user (§2.3).
///
/// django-lasuite 0.0.28 (Drive 0.21.1's pin) raises a `SuspiciousOperation` outside its
/// `try` for an inactive token, a scope that misses `OIDC_RS_SCOPES` or a missing audience:
/// Drive answers 500 (Production). 0.1.0 turns them into 401 `authentication_failed` with the
/// refusal's message. Either way the journal records the real reason.
pub async fn authenticate(app: &AppState, token: &str) -> Result<Caller, DriveError> {
    let config = app.drive();
    let claims = match tokens::introspect(app, &config.realm, token).await? {
        Some(claims) => claims,
        None => {
            let cause = why_inactive(app, &config.realm, token).await?;
            return Err(refusal(config.lasuite, "Introspected user is not active", cause));
        }
    };
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !scope
        .split_whitespace()
        .any(|s| config.scopes.iter().any(|wanted| wanted == s))
    {
        let cause = format!(
            "the token's scope {scope:?} has none of OIDC_RS_SCOPES {:?}",
            config.scopes
        );
        return Err(refusal(
            config.lasuite,
            "Introspection response is missing required scopes.",
            cause,
        ));
    }
    let Some(audience) = claims.get(&config.audience_claim).and_then(python_str) else {
        return Err(refusal(
            config.lasuite,
            "Introspection response does not provide source audience.",
            format!(
                "the introspection answer has no {} (OIDC_RS_AUDIENCE_CLAIM)",
                config.audience_claim
            ),
        ));
    };
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DriveError::authentication_failed("Login failed"))?
        .to_owned();
    let user = resolve_user(app, &config.realm, &sub, &claims).await?;
    if !user.is_active && config.lasuite == Lasuite::V0_1_0 {
        return Err(DriveError::authentication_failed("User inactive or deleted.")
            .because(format!("the Drive user {sub} is inactive (is_active false)")));
    }
    Ok(Caller {
        user,
        audience,
        s2s: false,
    })
}

/// An introspection refusal of django-lasuite `version`: the unhandled `SuspiciousOperation`
/// (500) of 0.0.28, or 0.1.0's 401 with `message`; `cause` goes to the journal.
pub fn refusal(version: Lasuite, message: &str, cause: impl Into<String>) -> DriveError {
    match version {
        Lasuite::V0_0_28 => DriveError::unhandled("SuspiciousOperation", message, cause),
        Lasuite::V0_1_0 => DriveError::authentication_failed(message).because(cause),
    }
}

/// Why the issuer calls `token` inactive for Drive's realm: the journal's reason for a
/// refusal whose answer does not say.
async fn why_inactive(app: &AppState, realm: &str, token: &str) -> Result<String, DriveError> {
    let hash = tokens::token_hash(token);
    let record = tokens::find_token(app, &hash).await?;
    let now = app.clock.now();
    Ok(inactive_cause(record.as_ref(), realm, now))
}

/// The reason of [`why_inactive`], from the issuer's record of the token (None: unknown).
pub fn inactive_cause(record: Option<&crate::oidc::model::TokenRecord>, realm: &str, now: i64) -> String {
    use crate::oidc::model::TokenKind;
    let Some(record) = record else {
        return "the token is unknown to the issuer (not issued by it, or issued before a reset)".into();
    };
    if record.kind != TokenKind::Access {
        return "a refresh token is not an access token".into();
    }
    if record.realm_name != realm {
        return format!(
            "wrong issuer: the token was issued by realm {:?}, Drive trusts realm {realm:?} (OIDC_OP_URL)",
            record.realm_name
        );
    }
    if record.revoked {
        return "the access token was revoked".into();
    }
    if record.session_or_user_gone {
        return "the user's session ended (logout) or the user was disabled".into();
    }
    if record.expires_at <= now {
        return format!(
            "the access token expired {} s ago (exp {})",
            now - record.expires_at,
            record.expires_at
        );
    }
    "the issuer calls the token inactive".into()
}

/// The Drive user with `sub`. One identity: a realm user reaching Drive for the first time
/// becomes a Drive user with the same `sub` (as logging in to Drive would make them).
async fn resolve_user(
    app: &AppState,
    realm_name: &str,
    sub: &str,
    claims: &Map<String, Value>,
) -> Result<DriveUser, DriveError> {
    let missing =
        || DriveError::authentication_failed("Login failed: No user found for the given access token.");
    let realm = app.directory().realm(realm_name).ok_or_else(missing)?;
    let (sub, now) = (sub.to_owned(), app.clock.now());
    // Known users (every request but a user's first) are a read: a write here would queue
    // every API call behind the writer and move the database epoch, which empties the
    // introspection cache for everyone.
    let known = sub.clone();
    if let Some(user) = app.db.read(move |conn| repo::find_by_sub(conn, &known)).await? {
        return Ok(user);
    }
    let email_claim = claims.get("email").and_then(Value::as_str).map(str::to_owned);
    let user = app
        .db
        .write(move |tx| {
            // Another request may have made the user since the read.
            if let Some(user) = repo::find_by_sub(tx, &sub)? {
                return Ok(Some(user));
            }
            let Some(realm_user) = crate::oidc::store::find_user_by_sub(tx, &realm.name, &sub)? else {
                return Ok(None);
            };
            repo::create_from_realm_user(tx, &realm_user, email_claim.as_deref(), now).map(Some)
        })
        .await?;
    user.ok_or_else(missing)
}

/// Drive PR #790's `ServerToServerUserAuthentication`, first of the internal API's
/// authentication classes: `Authorization` split on single spaces must be exactly
/// `Bearer <token>` with a token of `SERVER_TO_SERVER_API_TOKENS` (else None: the next class
/// runs). `X-User-Sub` names the acting Drive user, then `X-User-Email` (case-insensitive);
/// neither header is an anonymous visitor; a user Drive does not know is refused.
pub async fn server_to_server(app: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, DriveError> {
    let config = app.drive();
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts: Vec<&str> = value.split(' ').collect();
    let [scheme, token] = parts.as_slice() else {
        return Ok(None);
    };
    if *scheme != "Bearer" || !config.server_to_server_api_tokens.iter().any(|t| t == token) {
        return Ok(None);
    }
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (sub, email) = (header_text("x-user-sub"), header_text("x-user-email"));
    if sub.is_none() && email.is_none() {
        return Err(DriveError::not_implemented().because(
            "a server-to-server call without X-User-Sub or X-User-Email acts for an anonymous visitor \
             (public links only) upstream; lasuite-emu does not emulate anonymous callers",
        ));
    }
    let (by_sub, by_email) = (sub.clone(), email.clone());
    let user = app
        .db
        .read(move |conn| {
            if let Some(sub) = &by_sub
                && let Some(user) = repo::find_by_sub(conn, sub)?
            {
                return Ok(Some(user));
            }
            match &by_email {
                Some(email) => repo::find_by_email_iexact(conn, email),
                None => Ok(None),
            }
        })
        .await?;
    let Some(user) = user else {
        return Err(
            DriveError::authentication_failed("Unknown acting user for server-to-server request.").because(
                format!(
                    "no Drive user has sub {sub:?} or email {email:?}: a user exists in Drive once they \
                     reached it (logged in, or called the external API)"
                ),
            ),
        );
    };
    Ok(Some(Caller {
        user,
        audience: String::new(),
        s2s: true,
    }))
}

/// mozilla-django-oidc's `get_access_token` (the internal API's second authentication class):
/// None without a bearer; its own words for a malformed header.
pub fn oidc_bearer(headers: &HeaderMap) -> Result<Option<String>, DriveError> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let words: Vec<&str> = value.split_whitespace().collect();
    if !words.first().is_some_and(|w| w.eq_ignore_ascii_case("bearer")) {
        return Ok(None);
    }
    match words.len() {
        1 => Err(DriveError::authentication_failed(
            "Invalid Authorization header. No credentials provided.",
        )),
        2 => Ok(Some(words[1].to_owned())),
        _ => Err(DriveError::authentication_failed(
            "Invalid Authorization header. Credentials string should not contain spaces.",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_audience_is_pythons_str_of_the_claim() {
        use serde_json::json;
        assert_eq!(super::python_str(&json!("drive")).as_deref(), Some("drive"));
        assert_eq!(
            super::python_str(&json!(["account", "drive"])).as_deref(),
            Some("['account', 'drive']")
        );
        assert_eq!(super::python_str(&json!("")), None);
        assert_eq!(super::python_str(&json!([])), None);
        assert_eq!(super::python_str(&json!(null)), None);
    }

    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn bearer_parsing_follows_upstream() {
        assert_eq!(bearer(&HeaderMap::new()).unwrap(), None);
        assert_eq!(
            bearer(&with("Basic abc")).unwrap(),
            None,
            "another scheme is no credentials"
        );
        assert_eq!(bearer(&with("bearer a.b.c")).unwrap().as_deref(), Some("a.b.c"));
        assert!(
            bearer(&with("Bearer")).unwrap_err().errors[0]
                .1
                .contains("No credentials provided")
        );
        assert!(
            bearer(&with("Bearer a b")).unwrap_err().errors[0]
                .1
                .contains("should not contain spaces")
        );
        // base64("some_token") is decoded, as upstream's tests send it.
        assert_eq!(
            bearer(&with("Bearer c29tZV90b2tlbg==")).unwrap().as_deref(),
            Some("some_token")
        );
    }
}
