//! `items/{rid}/accesses/` (spec §9.2, §6.7, §7.8).

use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::auth::Caller;
use super::error::DriveError;
use crate::app::AppState;

/// `GET` (list) and `POST` (create) on `items/{rid}/accesses/`.
pub async fn collection(
    _app: &AppState,
    _caller: &Caller,
    _item_id: &str,
    _method: &Method,
    _headers: &HeaderMap,
    _body: &[u8],
) -> Result<Response, DriveError> {
    Err(DriveError::not_implemented())
}

/// `GET`, `PUT`, `PATCH`, `DELETE` on `items/{rid}/accesses/{access_id}/`.
pub async fn member(
    _app: &AppState,
    _caller: &Caller,
    _item_id: &str,
    _access_id: &str,
    _method: &Method,
    _headers: &HeaderMap,
    _body: &[u8],
) -> Result<Response, DriveError> {
    Err(DriveError::not_implemented())
}
