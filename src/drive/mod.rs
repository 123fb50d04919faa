//! Drive's external API (`/external_api/v1.0/`), as suitenumerique/drive 0.21.1 serves it to
//! resource clients such as Docs (spec/drive-external-api.md).
//!
//! A request goes: route resolution (`routes.rs`: the action name of §1.3) -> authentication
//! (`auth.rs`: bearer token, in-process introspection, user) -> gating (`EXTERNAL_API` and the
//! allowed audiences, §3) -> the handler. Errors use Drive's envelope (`error.rs`), except
//! where upstream answers otherwise: Django's 404 page for a URL no route matches, and the
//! debug pages of the Development configuration (`[drive] configuration`).

pub mod abilities;
pub mod accesses;
pub mod auth;
pub mod body;
pub mod changes;
pub mod config;
pub mod error;
pub mod external_apps;
pub mod files;
pub mod invitations;
pub mod items;
pub mod media;
pub mod metrics;
pub mod model;
pub mod navigation;
pub mod page;
pub mod pyjson;
pub mod rename;
pub mod repo;
pub mod represent;
pub mod routes;
pub mod seed;
pub mod templates;
pub mod upload;
pub mod users;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use self::error::DriveError;
use self::routes::{Endpoint, resolve};
use crate::app::AppState;

/// The external API's prefix.
pub const PREFIX: &str = "/external_api/v1.0/";
/// The internal API's prefix (served only with `[drive] docs_poc`, to trusted apps).
pub const INTERNAL_PREFIX: &str = "/api/v1.0/";

/// The two front doors to one item implementation: the external API (resource server:
/// introspection, audience, `EXTERNAL_API`) and, with Drive PR #790 (`[drive] docs_poc`), the
/// internal API as trusted apps call it server-to-server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    External,
    Internal,
}

impl Door {
    fn prefix(self) -> &'static str {
        match self {
            Door::External => PREFIX,
            Door::Internal => INTERNAL_PREFIX,
        }
    }
}
/// Bodies of the external API's JSON requests are small.
const MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/external_api/v1.0/{*rest}", any(dispatch))
        .route("/api/v1.0/{*rest}", any(internal))
        .route("/media/{*key}", any(crate::media_proxy::serve))
}

/// `/api/v1.0/...`: without `[drive] docs_poc` nothing of Drive is there and the path is S3's
/// (bucket `api`), as before; with it, Drive's internal API for server-to-server callers.
async fn internal(State(app): State<AppState>, req: axum::extract::Request) -> Response {
    if !app.drive().docs_poc {
        return crate::s3::handle(&app.s3, req).await;
    }
    let (parts, body) = req.into_parts();
    serve_door(app, Door::Internal, parts.method, parts.uri, parts.headers, body).await
}

/// Every request under the prefix, in upstream's order of checks (§3.5): route, credentials,
/// gate (`EXTERNAL_API` action list and allowed audiences), then the handler.
async fn dispatch(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    serve_door(app, Door::External, method, uri, headers, body).await
}

async fn serve_door(
    app: AppState,
    door: Door,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let development = app.drive().development;
    let response = answer(app, door, method.clone(), uri.clone(), headers, body).await;
    // Development (`DEBUG` on) shows Django's debug page where Production's handler answers
    // the 500 envelope.
    match response.extensions().get::<error::Unhandled>() {
        Some(unhandled) if development => {
            let mut page = error::django_debug_page(unhandled, method.as_str(), uri.path());
            if let Some(note) = response.extensions().get::<crate::admin::journal::Note>() {
                page.extensions_mut().insert(note.clone());
            }
            page
        }
        _ => response,
    }
}

/// The answer in Production's form: the checks of §3.5 in order, then the handler.
async fn answer(
    app: AppState,
    door: Door,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let query: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let path = uri.path().strip_prefix(door.prefix()).unwrap_or("").to_owned();
    let docs_poc = app.drive().docs_poc;
    let exists = |route: &routes::Route| {
        (docs_poc || route.action != Some("tree_descendants"))
            && (door == Door::External || route.endpoint != Endpoint::MetricsUsage)
    };
    let Some(route) = resolve(method.as_str(), &path).filter(exists) else {
        // Django's APPEND_SLASH: a known route without its slash is a 301 to it.
        if !path.ends_with('/') && resolve("GET", &format!("{path}/")).filter(exists).is_some() {
            // With DEBUG on, CommonMiddleware refuses to redirect a body-carrying method.
            if app.drive().development && matches!(method, Method::POST | Method::PUT | Method::PATCH) {
                let unhandled = error::Unhandled {
                    exception: "RuntimeError",
                    message: format!(
                        "You called this URL via {method}, but the URL doesn’t end in a slash and you have \
                         APPEND_SLASH set. Django can’t redirect to the slash URL while maintaining {method} data."
                    ),
                    cause: "APPEND_SLASH: a body-carrying request without its trailing slash (DEBUG on)"
                        .into(),
                };
                return error::django_debug_page(&unhandled, method.as_str(), uri.path());
            }
            let target = match uri.query() {
                Some(q) => format!("{}/?{q}", uri.path()),
                None => format!("{}/", uri.path()),
            };
            return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]).into_response();
        }
        return error::django_not_found(
            app.drive().development,
            uri.path(),
            "no route of Drive's external API matches this path (Django's 404 page)",
        );
    };
    let config = app.drive();
    if door == Door::Internal {
        return internal_answer(&app, &route, &method, &path, &headers, &query, body).await;
    }
    if route.endpoint == Endpoint::MetricsUsage {
        return metrics_usage(
            &app,
            &config,
            route.action.is_some(),
            &headers,
            &query,
            uri.path(),
        )
        .await;
    }
    if !config.external_api.enabled(route.resource) {
        return error::django_not_found(
            config.development,
            uri.path(),
            &format!(
                "EXTERNAL_API.{}.enabled is false: its routes are not mounted (Django's 404 page)",
                route.resource
            ),
        );
    }
    let token = match auth::bearer(&headers) {
        Ok(Some(token)) => token,
        Ok(None) => return DriveError::not_authenticated().into_response(),
        Err(error) => return error.into_response(),
    };
    let caller = match auth::authenticate(&app, &token).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let allowed = gate(&config, &route, &caller.audience);
    let note = crate::admin::journal::Note {
        client: Some(caller.audience.clone()),
        user: Some(
            caller
                .user
                .email
                .clone()
                .unwrap_or_else(|| caller.user.sub.clone()),
        ),
    };
    let mut response = if allowed {
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(body) => {
                serve(
                    &app,
                    door,
                    &route.endpoint,
                    &method,
                    &path,
                    &caller,
                    &headers,
                    &query,
                    &body,
                )
                .await
            }
            Err(_) => {
                DriveError::invalid("non_field_errors", "invalid", "Request body too large.").into_response()
            }
        }
    } else {
        DriveError::permission_denied().into_response()
    };
    response.extensions_mut().insert(note);
    response
}

/// The internal API's authentication (PR #790's `DEFAULT_AUTHENTICATION_CLASSES`: the
/// server-to-server class, mozilla-django-oidc's, the session's), then the handler. The first
/// class has no `authenticate_header`, so DRF turns every 401 into a 403.
async fn internal_answer(
    app: &AppState,
    route: &routes::Route,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    body: axum::body::Body,
) -> Response {
    let forbidden = |mut error: DriveError| {
        if error.status == StatusCode::UNAUTHORIZED {
            error.status = StatusCode::FORBIDDEN;
        }
        error.into_response()
    };
    let caller = match auth::server_to_server(app, headers).await {
        Ok(Some(caller)) => caller,
        Err(error) => return forbidden(error),
        Ok(None) => {
            let config = app.drive();
            return match auth::oidc_bearer(headers) {
                Ok(None) => forbidden(DriveError::not_authenticated().because(
                    "no credentials: the internal API wants a SERVER_TO_SERVER_API_TOKENS bearer                      (lasuite-emu does not emulate anonymous or session callers there)",
                )),
                Err(error) => forbidden(error),
                Ok(Some(token)) => match metrics::userinfo_authentication(app, &config.realm, &token).await {
                    Err(error) => forbidden(error.because(
                        "the bearer is no SERVER_TO_SERVER_API_TOKENS token, and userinfo refused it                          as an OIDC access token",
                    )),
                    Ok(()) => DriveError::not_implemented()
                        .because(
                            "an OIDC access token on the internal API (Drive's own frontend):                              lasuite-emu serves the internal API to server-to-server callers only",
                        )
                        .into_response(),
                },
            };
        }
    };
    if route.action.is_none() {
        return DriveError::method_not_allowed(method.as_str()).into_response();
    }
    let note = crate::admin::journal::Note {
        client: Some("server-to-server".into()),
        user: Some(
            caller
                .user
                .email
                .clone()
                .unwrap_or_else(|| caller.user.sub.clone()),
        ),
    };
    let mut response = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => {
            serve(
                app,
                Door::Internal,
                &route.endpoint,
                method,
                path,
                &caller,
                headers,
                query,
                &body,
            )
            .await
        }
        Err(_) => {
            DriveError::invalid("non_field_errors", "invalid", "Request body too large.").into_response()
        }
    };
    response.extensions_mut().insert(note);
    response
}

/// The view-level permission of §3.1 for an authenticated caller: `ResourceServerClientPermission`
/// (the action listed in `EXTERNAL_API`, the audience allowed), except on the two routes whose
/// upstream action declares `permission_classes=[IsAuthenticated]` (`favorite_list` at
/// `items/favorites/`, `recents` at `items/recents/`): that list *replaces* the viewset's, so
/// any introspected token reaches them whatever the setting and the audience (§3.4).
pub fn gate(config: &config::DriveConfig, route: &routes::Route, audience: &str) -> bool {
    let Some(action) = route.action else {
        return false;
    };
    if matches!(route.endpoint, Endpoint::Favorites | Endpoint::Recents) {
        return true;
    }
    config.external_api.allows(route.resource, action)
        && config.allowed_audiences.iter().any(|a| a == audience)
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    app: &AppState,
    door: Door,
    endpoint: &Endpoint,
    method: &Method,
    request_path: &str,
    caller: &auth::Caller,
    headers: &HeaderMap,
    query: &[(String, String)],
    body: &[u8],
) -> Response {
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let path = format!("{}{}", door.prefix(), request_path);
    let result = match (endpoint, method) {
        (Endpoint::Items, &Method::POST) => {
            return respond(items::create(app, caller, None, headers, body).await);
        }
        (Endpoint::Items, _) => items::list(app, caller, query, &path).await,
        (Endpoint::Item(id), &Method::DELETE) => return respond(changes::destroy(app, caller, id).await),
        (Endpoint::Item(id), &Method::PUT | &Method::PATCH) => {
            changes::update(app, caller, id, headers, body, *method == Method::PATCH).await
        }
        (Endpoint::Item(id), _) => items::retrieve(app, caller, id).await,
        (Endpoint::Children(id), &Method::POST) => {
            return respond(items::create(app, caller, Some(id), headers, body).await);
        }
        (Endpoint::Children(id), _) => items::children(app, caller, id, query, &path).await,
        (Endpoint::Trashbin, _) => changes::trashbin(app, caller, query, &path).await,
        (Endpoint::Favorites, _) => items::favorites_or_recents(app, caller, true, query, &path).await,
        (Endpoint::Recents, _) => items::favorites_or_recents(app, caller, false, query, &path).await,
        (Endpoint::ItemAction(id, action), _) => match *action {
            "upload_ended" => upload::upload_ended(app, caller, id).await,
            "move" => changes::move_item(app, caller, id, headers, body).await,
            "restore" => changes::restore(app, caller, id).await,
            "breadcrumb" => navigation::breadcrumb(app, caller, id).await,
            "tree" => navigation::tree(app, caller, id).await,
            "tree_descendants" => external_apps::tree_descendants(app, caller, id).await,
            "wopi" => navigation::wopi(app, caller, id).await,
            "download" => return respond(navigation::download(app, caller, id).await),
            "link_configuration" => changes::link_configuration(app, caller, id, headers, body).await,
            "hard_delete" => return respond(changes::hard_delete(app, caller, id).await),
            _ => return respond(changes::favorite(app, caller, id, *method == Method::POST).await),
        },
        (Endpoint::Accesses(rid), _) => {
            return respond(accesses::collection(app, caller, rid, method, headers, body).await);
        }
        (Endpoint::Access(rid, aid), _) => {
            return respond(accesses::member(app, caller, rid, aid, method, headers, body).await);
        }
        (Endpoint::Invitations(rid), _) => {
            return respond(
                invitations::collection(app, caller, rid, method, headers, query, &path, body).await,
            );
        }
        (Endpoint::Invitation(rid, iid), _) => {
            return respond(invitations::member(app, caller, rid, iid, method, headers, body).await);
        }
        (Endpoint::MediaAuth, _) => return respond(media::media_auth(app, caller, headers).await),
        // Answered before authentication, in `dispatch`.
        (Endpoint::MetricsUsage, _) => Err(DriveError::not_found()),
        (Endpoint::NotYet, _) => Err(DriveError::not_implemented()),
        (Endpoint::UsersMe, _) => Ok(users::me(caller)),
        (Endpoint::UsersList, _) => users::search(app, param("q")).await,
        (Endpoint::UserDetail(id), _) => {
            users::update(app, caller, id, headers, body, *method == Method::PATCH).await
        }
    };
    respond(result.map(|json| axum::Json(json).into_response()))
}

/// `metrics/usage/` (§9.6): its own API key, no `EXTERNAL_API` gate. Upstream's view keeps
/// DRF's default authentication classes, so a bearer token goes through mozilla-django-oidc's
/// `OIDCAuthentication` (the issuer's userinfo endpoint) before `HasAPIKey` refuses it.
async fn metrics_usage(
    app: &AppState,
    config: &config::DriveConfig,
    mapped: bool,
    headers: &HeaderMap,
    query: &[(String, String)],
    path: &str,
) -> Response {
    let Some(key) = &config.metrics_api_key else {
        return error::django_not_found(
            config.development,
            path,
            "metrics/usage/ is not mounted: METRICS_ENABLED is off (no metrics_api_key in [drive])",
        );
    };
    if !metrics::authorized(headers, key) {
        return match auth::bearer(headers) {
            Ok(None) => DriveError::not_authenticated().into_response(),
            Err(error) => error.into_response(),
            Ok(Some(token)) => match metrics::userinfo_authentication(app, &config.realm, &token).await {
                Ok(()) => DriveError::permission_denied()
                    .because("metrics/usage/ wants Authorization: Api-Key <key>; a bearer token authenticates the user (userinfo) but HasAPIKey refuses it")
                    .into_response(),
                Err(error) => error.into_response(),
            },
        };
    }
    if !mapped {
        return DriveError::permission_denied().into_response();
    }
    let result = metrics::usage(app, query, path, &config.metrics_user_claims).await;
    respond(result.map(|json| axum::Json(json).into_response()))
}

fn respond(result: Result<Response, DriveError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}
