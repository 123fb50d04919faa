//! `GET metrics/usage/` (spec §9.6): storage used per user, or summed over an organisation,
//! for a billing or quota service holding the metrics API key. Off unless the `[drive]`
//! fixture sets `metrics_api_key` (upstream: `METRICS_ENABLED`).

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use super::error::DriveError;
use super::page::Page;
use super::repo;
use crate::app::AppState;

/// `Authorization: Api-Key <key>` must carry the configured key; bearer tokens do not count.
pub fn authorized(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Api-Key "))
        .is_some_and(|key| !expected.is_empty() && key.trim() == expected)
}

/// mozilla-django-oidc's `OIDCAuthentication` for a bearer token: the issuer's userinfo
/// endpoint (in-process). Keycloak's 401 `Token verification failed` becomes 401
/// `authentication_failed` with that description; its 403 `insufficient_scope` (no `openid`)
/// is an HTTP error the library re-raises: 500.
pub async fn userinfo_authentication(app: &AppState, realm: &str, token: &str) -> Result<(), DriveError> {
    let Some(claims) = crate::oidc::tokens::introspect(app, realm, token).await? else {
        return Err(DriveError::authentication_failed("Token verification failed")
            .because("userinfo refused the bearer token (inactive)"));
    };
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !crate::oidc::tokens::has_scope(scope, "openid") {
        return Err(DriveError::unhandled(
            "HTTPError",
            "403 Client Error: Forbidden for url: userinfo",
            "userinfo answered 403 insufficient_scope (no openid in the token's scope); mozilla-django-oidc re-raises it",
        ));
    }
    Ok(())
}

pub async fn usage(
    app: &AppState,
    query: &[(String, String)],
    request_path: &str,
    exposed_claims: &[String],
) -> Result<Value, DriveError> {
    let param = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let users = app.db.read(repo::usage_by_user).await?;
    if param("account_type").as_deref() == Some("organization") {
        let (key, value) = (param("account_id_key"), param("account_id_value"));
        let mut errors = Vec::new();
        for (name, present) in [
            ("account_id_key", key.is_some()),
            ("account_id_value", value.is_some()),
        ] {
            if !present {
                errors.push((
                    "required".into(),
                    "This field is required.".into(),
                    Some(name.to_owned()),
                ));
            }
        }
        let (Some(key), Some(value)) = (key, value) else {
            return Err(DriveError::validation(errors));
        };
        let total: i64 = users
            .iter()
            .filter(|u| u.claims.get(&key).and_then(Value::as_str) == Some(value.as_str()))
            .map(|u| u.storage_used)
            .sum();
        let mut account = Map::new();
        account.insert("account".into(), json!({"type": "organization"}));
        account.insert(key, json!(value));
        account.insert("metrics".into(), json!({"storage_used": total}));
        return Ok(json!({"count": 1, "next": null, "previous": null, "results": [account]}));
    }
    let mut selected: Vec<&repo::UserUsage> = users.iter().collect();
    if let Some(key) = param("account_id_key") {
        if key != "sub" && key != "email" {
            return Err(DriveError::invalid(
                "account_id_key",
                "invalid_choice",
                format!("Select a valid choice. {key} is not one of the available choices."),
            ));
        }
        if let Some(value) = param("account_id_value") {
            selected.retain(|u| {
                if key == "sub" {
                    u.sub == value
                } else {
                    u.email.as_deref() == Some(value.as_str())
                }
            });
        }
    }
    if let Some(email) = param("account_email") {
        selected.retain(|u| u.email.as_deref() == Some(email.as_str()));
    }
    let count = i64::try_from(selected.len()).unwrap_or(i64::MAX);
    let page = Page::parse(query).resolved(count);
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let size = usize::try_from(page.size).unwrap_or(0);
    let results = selected
        .into_iter()
        .skip(start)
        .take(size)
        .map(|u| {
            let mut entry = Map::new();
            entry.insert(
                "account".into(),
                json!({"type": "user", "id": u.sub, "email": u.email}),
            );
            for claim in exposed_claims {
                entry.insert(claim.clone(), u.claims.get(claim).cloned().unwrap_or(Value::Null));
            }
            entry.insert("metrics".into(), json!({"storage_used": u.storage_used}));
            Value::Object(entry)
        })
        .collect();
    page.envelope(count, results, &app.public_url, request_path, query)
}
