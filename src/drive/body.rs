//! Request bodies of the external API (spec §4): JSON; no body is an empty object; a form
//! body is 415; malformed JSON is a 400 `parse_error` in Python's words (`pyjson.rs`).

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::error::DriveError;

pub fn json_object(headers: &HeaderMap, raw: &[u8]) -> Result<Map<String, Value>, DriveError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(DriveError::unsupported_media_type(content_type));
    }
    let text = match std::str::from_utf8(raw) {
        Ok(text) => text,
        Err(error) => {
            return Err(DriveError::parse_error(super::pyjson::python_utf8_error(
                raw, &error,
            )));
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(DriveError::invalid(
            "non_field_errors",
            "invalid",
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                python_type_name(&other)
            ),
        )),
        // In Python's words, as DRF's parser reports them; serde's when Python would accept
        // what serde refuses (a lone surrogate escape, a float beyond f64).
        Err(error) => Err(DriveError::parse_error(
            super::pyjson::python_json_error(text).unwrap_or_else(|| error.to_string()),
        )),
    }
}

/// The name DRF's message uses: Python's type name of the decoded JSON value.
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
