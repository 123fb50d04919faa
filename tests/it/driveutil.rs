//! Helpers shared by the Drive API tests: one call to the external API, and its envelope.

use serde_json::{Value, json};

use crate::util::client;

pub const API: &str = "/external_api/v1.0";

/// One request to the external API: `(status, JSON body or null, headers)`.
pub async fn call(
    emu: &lasuite_emu::RunningEmulator,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = client().request(method.parse().unwrap(), format!("{}{API}{path}", emu.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        headers,
    )
}

/// A `client_error` envelope with one error and no attribute.
pub fn error(code: &str, detail: &str) -> Value {
    json!({"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": null}]})
}

/// A `validation_error` envelope with one error on `attr`.
pub fn invalid(attr: &str, code: &str, detail: &str) -> Value {
    json!({"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]})
}

/// Replaces the emulator's `EXTERNAL_API` setting (the text of upstream's variable).
pub async fn restrict(emu: &lasuite_emu::RunningEmulator, external_api: &str) {
    let fixture = format!("[drive]\nexternal_api = '''{external_api}'''\n");
    let response = client()
        .post(format!("{}/_emu/fixtures", emu.url()))
        .body(fixture)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// An access token of `user` for the `docs` client (an allowed audience).
pub async fn token(emu: &lasuite_emu::RunningEmulator, user: &str) -> String {
    emu.mint_token("docs", user).await.unwrap().access_token
}

/// `POST path` with `body`, which must create (201); the creation answer.
pub async fn create(emu: &lasuite_emu::RunningEmulator, token: &str, path: &str, body: Value) -> Value {
    let (status, item, _) = call(emu, "POST", path, Some(token), Some(body)).await;
    assert_eq!(status, 201, "{item}");
    item
}

/// A new folder at the root or below `parent`: its id.
pub async fn folder(
    emu: &lasuite_emu::RunningEmulator,
    token: &str,
    parent: Option<&str>,
    title: &str,
) -> String {
    let path = match parent {
        Some(parent) => format!("/items/{parent}/children/"),
        None => "/items/".to_owned(),
    };
    let item = create(emu, token, &path, json!({"type": "folder", "title": title})).await;
    item["id"].as_str().unwrap().to_owned()
}

/// A file created in `collection` (`/items/` or `/items/{id}/children/`), its body PUT to the
/// presigned policy and the upload ended: the creation answer.
pub async fn upload_file(
    emu: &lasuite_emu::RunningEmulator,
    token: &str,
    collection: &str,
    filename: &str,
    body: impl Into<reqwest::Body>,
) -> Value {
    let file = create(
        emu,
        token,
        collection,
        json!({"type": "file", "filename": filename}),
    )
    .await;
    let put = client()
        .put(file["policy"].as_str().unwrap())
        .header("x-amz-acl", "private")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let ended = format!("/items/{}/upload-ended/", file["id"].as_str().unwrap());
    let (status, answer, _) = call(emu, "POST", &ended, Some(token), None).await;
    assert_eq!(status, 200, "{answer}");
    file
}

/// Sets an item's `upload_state` directly in the database (states no API call reaches, such as
/// `suspicious`, which the malware scanner sets upstream).
pub async fn set_state(emu: &lasuite_emu::RunningEmulator, id: &str, state: &str) {
    let (id, state) = (id.to_owned(), state.to_owned());
    emu.app()
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE drive_items SET upload_state = ?2 WHERE id = ?1",
                [id, state],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Django's own 404 page with `DEBUG` off, byte for byte (179 bytes): what upstream answers for
/// a URL no route matches, below `/external_api/v1.0/` too.
pub const DJANGO_404: &str = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";

/// Drive's answer to an exception no handler maps (Production): 500 in the envelope.
pub fn server_error() -> Value {
    json!({"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500)", "attr": null}]})
}

/// One request, its answer as text: `(status, content type, body)`.
pub async fn raw(
    emu: &lasuite_emu::RunningEmulator,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String, String) {
    let mut request = client().request(method.parse().unwrap(), format!("{}{API}{path}", emu.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The journal's reason for the last request to `path` (below the API prefix).
pub async fn journal_reason(emu: &lasuite_emu::RunningEmulator, path: &str) -> Value {
    let journal: Value = client()
        .get(format!("{}/_emu/journal", emu.url()))
        .query(&[("path", format!("{API}{path}"))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = journal
        .as_array()
        .or_else(|| journal["entries"].as_array())
        .unwrap();
    entries.last().unwrap_or_else(|| panic!("no entry for {path}"))["reason"].clone()
}
