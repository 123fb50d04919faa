//! Fault injection: for the next N requests matching a service, method and path prefix, force
//! a status, a protocol error (OAuth `invalid_grant`, S3 `SlowDown`, ...) or a latency, in the
//! wire format of the service called. The control plane itself is never faulted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::journal::service_of;
use super::{JsonBody, admin_error};
use crate::app::AppState;
use crate::oidc::error::OAuthError;

const SERVICES: &[&str] = &["oidc", "s3", "drive", "web"];

/// What `POST /_emu/faults` takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// `oidc`, `s3`, `drive` or `web`; any when absent.
    pub service: Option<String>,
    /// Any when absent.
    pub method: Option<String>,
    /// A path prefix, e.g. `/realms/lasuite/protocol/openid-connect/token`; any when absent.
    pub path: Option<String>,
    /// How many matching requests to fault (default 1).
    pub count: Option<u32>,
    /// Status to answer with.
    pub status: Option<u16>,
    /// Protocol error code: OAuth `error`, S3 `<Code>`, Drive error `code`.
    pub error: Option<String>,
    /// Delay before answering (or before serving normally, when no status or error is set).
    pub delay_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub id: u64,
    pub service: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub remaining: u32,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub delay_ms: Option<u64>,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
    next_id: AtomicU64,
}

impl Faults {
    /// Takes one use of the first rule matching a request, if any.
    fn take(&self, service: &str, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        let index = rules.iter().position(|r| {
            r.remaining > 0
                && r.service.as_deref().is_none_or(|s| s == service)
                && r.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                && r.path.as_deref().is_none_or(|p| path.starts_with(p))
        })?;
        rules[index].remaining -= 1;
        let fault = rules[index].clone();
        if fault.remaining == 0 {
            rules.remove(index);
        }
        Some(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// Middleware: serves a matching fault instead of (or before) the request.
pub async fn inject(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let service = service_of(&path);
    if service == "admin" {
        return next.run(req).await;
    }
    let Some(fault) = app.faults.take(service, req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    if let Some(delay) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if fault.status.is_none() && fault.error.is_none() {
        return next.run(req).await;
    }
    answer(service, &fault, &path)
}

/// The faulted answer, in the service's own error format.
fn answer(service: &str, fault: &Fault, path: &str) -> Response {
    let error = fault.error.clone();
    let status = fault
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or_else(|| default_status(service, error.as_deref()));
    let detail = format!("Injected by lasuite-emu (fault {})", fault.id);
    match service {
        "s3" => {
            let code = error.unwrap_or_else(|| {
                if status.is_server_error() {
                    "InternalError"
                } else {
                    "InvalidRequest"
                }
                .into()
            });
            crate::s3::xml_error(status, &code, &detail, path)
        }
        "drive" => {
            let kind = if status.is_server_error() {
                "server_error"
            } else {
                "client_error"
            };
            let code = error.unwrap_or_else(|| "error".into());
            (
                status,
                axum::Json(json!({"type": kind, "errors": [{"code": code, "detail": detail, "attr": null}]})),
            )
                .into_response()
        }
        _ => {
            let code = error.unwrap_or_else(|| {
                if status.is_server_error() {
                    "server_error"
                } else {
                    "invalid_request"
                }
                .into()
            });
            (
                status,
                axum::Json(json!({"error": code, "error_description": detail})),
            )
                .into_response()
        }
    }
}

fn default_status(service: &str, error: Option<&str>) -> StatusCode {
    match (service, error) {
        ("s3", Some("SlowDown" | "ServiceUnavailable")) => StatusCode::SERVICE_UNAVAILABLE,
        ("s3", Some("AccessDenied" | "SignatureDoesNotMatch" | "RequestTimeTooSkewed")) => {
            StatusCode::FORBIDDEN
        }
        ("s3", Some("NoSuchKey" | "NoSuchBucket" | "NoSuchVersion" | "NoSuchUpload")) => {
            StatusCode::NOT_FOUND
        }
        ("s3", Some("InternalError")) | (_, None) => StatusCode::INTERNAL_SERVER_ERROR,
        ("oidc", Some("invalid_client" | "invalid_token")) => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `POST /_emu/faults`
pub async fn add(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<FaultRequest>,
) -> Result<Response, OAuthError> {
    if request.status.is_none() && request.error.is_none() && request.delay_ms.is_none() {
        return Err(OAuthError::invalid_request(
            "a fault needs a status, an error or a delay_ms",
        ));
    }
    if let Some(service) = &request.service
        && !SERVICES.contains(&service.as_str())
    {
        return Err(OAuthError::invalid_request(format!(
            "service must be one of {}",
            SERVICES.join(", ")
        )));
    }
    if request.status.is_some_and(|s| !(200..=599).contains(&s)) {
        return Err(OAuthError::invalid_request("status must be between 200 and 599"));
    }
    if request.delay_ms.is_some_and(|d| d > 60_000) {
        return Err(OAuthError::invalid_request("delay_ms must be at most 60000"));
    }
    let count = request.count.unwrap_or(1);
    if count == 0 || count > 1_000_000 {
        return Err(OAuthError::invalid_request("count must be between 1 and 1000000"));
    }
    let fault = Fault {
        id: app.faults.next_id.fetch_add(1, Ordering::Relaxed) + 1,
        service: request.service,
        method: request.method,
        path: request.path,
        remaining: count,
        status: request.status,
        error: request.error,
        delay_ms: request.delay_ms,
    };
    app.faults
        .rules
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(fault.clone());
    Ok((StatusCode::CREATED, axum::Json(fault)).into_response())
}

/// `GET /_emu/faults`
pub async fn list(State(app): State<AppState>) -> Response {
    axum::Json(json!({ "faults": app.faults.list() })).into_response()
}

/// `DELETE /_emu/faults`
pub async fn clear(State(app): State<AppState>) -> StatusCode {
    app.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /_emu/faults/{id}`
pub async fn remove(State(app): State<AppState>, Path(id): Path<u64>) -> Result<StatusCode, OAuthError> {
    let mut rules = app.faults.rules.lock().unwrap_or_else(PoisonError::into_inner);
    let before = rules.len();
    rules.retain(|r| r.id != id);
    if rules.len() == before {
        return Err(admin_error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no fault {id}"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
