//! `items/{rid}/invitations/` (spec §9.3, §6.8, §7.9).

use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::auth::Caller;
use super::error::DriveError;
use crate::app::AppState;

/// `GET` (paginated list) and `POST` (create) on `items/{rid}/invitations/`. `request_path` and
/// `query` build the page links.
#[allow(clippy::too_many_arguments)]
pub async fn collection(
    _app: &AppState,
    _caller: &Caller,
    _item_id: &str,
    _method: &Method,
    _headers: &HeaderMap,
    _query: &[(String, String)],
    _request_path: &str,
    _body: &[u8],
) -> Result<Response, DriveError> {
    Err(DriveError::not_implemented())
}

/// `GET`, `PUT`, `PATCH`, `DELETE` on `items/{rid}/invitations/{invitation_id}/`.
pub async fn member(
    _app: &AppState,
    _caller: &Caller,
    _item_id: &str,
    _invitation_id: &str,
    _method: &Method,
    _headers: &HeaderMap,
    _body: &[u8],
) -> Result<Response, DriveError> {
    Err(DriveError::not_implemented())
}
