//! `/_emu/clock`: read and move the emulator's time, so a test expires tokens, codes and
//! presigned URLs without sleeping.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::JsonBody;
use crate::app::AppState;
use crate::oidc::error::OAuthError;

/// One change to the clock: exactly one field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ClockChange {
    /// Move forward (or back, negative) by this many seconds.
    Advance(i64),
    /// Stay at this Unix time.
    FreezeAt(i64),
    /// Follow the system time shifted by this many seconds.
    Offset(i64),
    /// Follow the system time again.
    Reset(bool),
}

pub async fn show(State(app): State<AppState>) -> Response {
    axum::Json(state(&app)).into_response()
}

fn state(app: &AppState) -> serde_json::Value {
    json!({
        "now": app.clock.now(),
        "frozen_at": app.clock.frozen_at(),
        "offset": app.clock.offset(),
    })
}

pub async fn change(
    State(app): State<AppState>,
    JsonBody(change): JsonBody<ClockChange>,
) -> Result<Response, OAuthError> {
    match change {
        ClockChange::Advance(secs) => app.clock.advance(secs),
        ClockChange::FreezeAt(at) if at > 0 => app.clock.freeze_at(at),
        ClockChange::FreezeAt(_) => {
            return Err(OAuthError::invalid_request(
                "freeze_at must be a positive Unix time",
            ));
        }
        ClockChange::Offset(secs) => app.clock.set_offset(secs),
        ClockChange::Reset(_) => app.clock.reset(),
    }
    Ok(axum::Json(state(&app)).into_response())
}
