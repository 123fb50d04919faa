//! Namespaces: isolated corners of one emulator for tests running in parallel. A namespace
//! is a realm with the startup realm's clients and users (its own issuer, its own `sub`s,
//! sessions and tokens) and its own copies of the fixture buckets, named `{namespace}-{bucket}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{JsonBody, admin_error};
use crate::app::AppState;
use crate::fixtures::{BucketFixture, RealmFixture, S3Fixture};
use crate::oidc::error::OAuthError;

/// The longest name that keeps `{name}-impress-media-storage` within S3's 63 characters.
const MAX_NAME: usize = 40;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceRequest {
    pub name: String,
}

fn check_name(name: &str) -> Result<(), OAuthError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(format!(
            "a namespace name is 1 to {MAX_NAME} lowercase letters, digits or inner '-'"
        )))
    }
}

/// The buckets of a namespace: the fixture's, prefixed.
fn buckets(app: &AppState, name: &str) -> Vec<BucketFixture> {
    app.fixtures()
        .s3
        .buckets
        .iter()
        .map(|b| BucketFixture {
            name: format!("{name}-{}", b.name),
            versioning: b.versioning,
        })
        .collect()
}

/// `POST /_emu/namespaces`
pub async fn create(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<NamespaceRequest>,
) -> Result<Response, OAuthError> {
    let name = request.name;
    check_name(&name)?;
    if app.directory().realm(&name).is_some() {
        return Err(admin_error(
            StatusCode::CONFLICT,
            "conflict",
            format!("realm {name} exists"),
        ));
    }
    let fixtures = app.fixtures();
    let template = fixtures
        .realms
        .first()
        .ok_or_else(|| OAuthError::invalid_request("the fixture has no realm to copy"))?;
    let realm = RealmFixture {
        name: name.clone(),
        aliases: Vec::new(),
        display_name: Some(name.clone()),
        clients: template.clients.clone(),
        // A namespace's users get their own subs: tokens of one namespace name nobody in another.
        users: template
            .users
            .iter()
            .map(|u| crate::fixtures::UserFixture {
                sub: None,
                ..u.clone()
            })
            .collect(),
        ..template.clone()
    };
    let s3 = S3Fixture {
        credentials: Vec::new(),
        buckets: buckets(&app, &name),
    };
    let answer = json!({
        "realm": name,
        "issuer": format!("{}/realms/{name}", app.public_url),
        "clients": realm.clients.iter().map(|c| c.client_id.clone()).collect::<Vec<_>>(),
        "users": realm.users.iter().map(|u| u.username.clone()).collect::<Vec<_>>(),
        "buckets": s3.buckets.iter().map(|b| b.name.clone()).collect::<Vec<_>>(),
    });
    let set = crate::fixtures::FixtureSet {
        realms: vec![realm],
        s3,
        ..Default::default()
    };
    let now = app.clock.now();
    app.db.write(move |tx| set.apply(tx, now)).await?;
    app.reload_caches().await?;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// `DELETE /_emu/namespaces/{name}`: the realm and its buckets, with everything in them.
pub async fn drop(State(app): State<AppState>, Path(name): Path<String>) -> Result<Response, OAuthError> {
    if app.fixtures().realms.iter().any(|r| r.name == name) {
        return Err(admin_error(
            StatusCode::CONFLICT,
            "conflict",
            format!("{name} is a fixture realm: use /_emu/reset"),
        ));
    }
    if app.directory().realm(&name).is_none_or(|r| r.name != name) {
        return Err(admin_error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no namespace {name}"),
        ));
    }
    let bucket_names: Vec<String> = buckets(&app, &name).into_iter().map(|b| b.name).collect();
    let realm = name.clone();
    let blobs = app
        .db
        .write(move |tx| {
            crate::oidc::store::delete_realm(tx, &realm)?;
            let mut blobs = Vec::new();
            for bucket in &bucket_names {
                blobs.extend(crate::s3::store::delete_bucket(tx, bucket)?);
            }
            Ok(blobs)
        })
        .await?;
    app.s3.store.blobs.remove(blobs).await;
    app.reload_caches().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
