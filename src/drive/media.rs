//! Media of Drive items (spec §8.17, §10.2): `items/media-auth/` on the external API, and
//! `/media/{key}` and `/media/preview/{key}`, which the emulator serves itself (upstream puts
//! nginx and an auth sub-request in front of S3).

use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::error::DriveError;
use crate::app::AppState;

/// `GET`/`HEAD /media/{key}` and `/media/preview/{key}`: the body of a file item for a caller
/// who may read it.
pub async fn serve(State(_app): State<AppState>, _method: Method, _uri: Uri, _headers: HeaderMap) -> Response {
    DriveError::not_implemented().into_response()
}

/// `GET items/media-auth/`.
pub async fn media_auth(_app: &AppState, _caller: &Caller, _headers: &HeaderMap) -> Result<Response, DriveError> {
    Err(DriveError::not_implemented())
}
