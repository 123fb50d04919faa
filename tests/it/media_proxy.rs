//! `/media/` as the apps' nginx (issue 12): the emulator asks a declared app's media-auth,
//! then serves the object from the store with the signature the app returned. The app here is
//! a small media-auth server started in the test, answering as Docs' does: signed headers for
//! the key in `X-Original-URL` to a caller with the right cookie, 403 otherwise.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use lasuite_emu::s3::presign::sign_get_headers;

use crate::s3util::S3Client;
use crate::util;

pub const BUCKET: &str = "docs-media-storage";
pub const KEY: &str = "7c1d9c2e-0000-4000-8000-000000000001/attachments/picture.png";

/// What the test app's media-auth does, and what it saw.
#[derive(Default)]
pub struct AuthApp {
    pub emulator_url: String,
    /// Answer with this status instead of deciding (401, 404, 500...).
    forced: Option<u16>,
    /// Sign another key than the one asked for.
    sign_other_key: bool,
    /// The `X-Original-URL`, cookie and method of each sub-request.
    pub seen: Vec<(String, String, String)>,
}

pub type Shared = Arc<Mutex<AuthApp>>;

async fn media_auth(
    axum::extract::State(app): axum::extract::State<Shared>,
    headers: HeaderMap,
) -> axum::response::Response {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (original, cookie) = (text("x-original-url"), text("cookie"));
    let mut app = app.lock().unwrap();
    app.seen
        .push((original.clone(), cookie.clone(), text("x-original-method")));
    if let Some(status) = app.forced {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    // Docs' rule: the key is the URL path after /media/, and the session must be alice's.
    let Some(key) = original.split('?').next().unwrap().strip_prefix("/media/") else {
        return StatusCode::FORBIDDEN.into_response();
    };
    if !cookie.contains("docs_sessionid=alice") {
        return StatusCode::FORBIDDEN.into_response();
    }
    let key = if app.sign_other_key {
        "someone/else.png"
    } else {
        key
    };
    let key = percent_decode(key);
    let signed = sign_get_headers(
        &app.emulator_url,
        BUCKET,
        &key,
        "docs",
        "password",
        "us-east-1",
        crate::sigv4::now(),
    );
    let mut response = StatusCode::OK.into_response();
    for (name, value) in signed {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(text.replace('+', "%2B").as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

/// An emulator with the Docs app declared, its media-auth served on another port, and an
/// object of `size` bytes under `KEY`.
async fn setup(body: &[u8]) -> (lasuite_emu::RunningEmulator, Shared, String) {
    let (shared, api) = start_auth_app().await;
    let emu = util::start_with(&format!("[[apps]]\nkind = \"docs\"\napi_url = \"{api}\"\n")).await;
    shared.lock().unwrap().emulator_url = emu.url().to_owned();
    let s3 = S3Client::with_keys(&emu, "docs", "password");
    let put = s3
        .send(
            "PUT",
            &format!("/{BUCKET}/{KEY}"),
            &[],
            &[("content-type", "image/png")],
            body,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let media = format!("{}/media/{KEY}", emu.url());
    (emu, shared, media)
}

/// Starts the test app's media-auth on a port of its own; returns it and its API base URL
/// (set its `emulator_url` once the emulator is up).
pub async fn start_auth_app() -> (Shared, String) {
    let shared: Shared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/api/v1.0/documents/media-auth/", axum::routing::get(media_auth))
        .with_state(Arc::clone(&shared));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (shared, api)
}

pub fn as_alice(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.header("cookie", "docs_sessionid=alice; csrftoken=x")
}

#[tokio::test]
async fn an_allowed_request_gets_the_object_with_nginx_and_minio_headers() {
    let (_emu, auth, media) = setup(b"\x89PNG picture bytes").await;
    let answer = as_alice(util::client().get(&media)).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let headers = answer.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["content-length"], "18");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(headers.contains_key("etag") && headers.contains_key("last-modified"));
    assert_eq!(
        headers["content-security-policy"], "default-src 'none'",
        "Docs' nginx adds it"
    );
    assert_eq!(answer.bytes().await.unwrap().as_ref(), b"\x89PNG picture bytes");
    // The sub-request was nginx's: the original URI, the browser's cookie, the method.
    let seen = auth.lock().unwrap().seen.clone();
    assert_eq!(
        seen,
        [(
            format!("/media/{KEY}"),
            "docs_sessionid=alice; csrftoken=x".to_owned(),
            "GET".to_owned()
        )]
    );
}

#[tokio::test]
async fn the_apps_refusals_are_kept_and_journaled() {
    let (emu, auth, media) = setup(b"x").await;
    // No session: the app answers 403, so does the proxy, with nginx's page.
    let answer = util::client().get(&media).send().await.unwrap();
    assert_eq!(answer.status(), 403);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("<center><h1>403 Forbidden</h1></center>")
    );
    auth.lock().unwrap().forced = Some(401);
    let answer = as_alice(util::client().get(&media)).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(answer.headers()["content-security-policy"], "default-src 'none'");
    // Anything but 2xx, 401 and 403 is nginx's 500.
    auth.lock().unwrap().forced = Some(404);
    let answer = as_alice(util::client().get(&media)).send().await.unwrap();
    assert_eq!(answer.status(), 500);

    let journal: serde_json::Value = util::client()
        .get(format!("{}/_emu/journal?path=/media/", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert!(
        reasons[0].starts_with("media-auth http://127.0.0.1:")
            && reasons[0].ends_with("answered 403 Forbidden"),
        "{reasons:?}"
    );
    assert!(reasons[1].ends_with("answered 401 Unauthorized"), "{reasons:?}");
    assert!(reasons[2].contains("answered 404 Not Found"), "{reasons:?}");
}

#[tokio::test]
async fn an_app_that_fails_or_cannot_be_reached_is_a_502_naming_the_url() {
    let (_emu, auth, media) = setup(b"x").await;
    auth.lock().unwrap().forced = Some(500);
    let answer = as_alice(util::client().get(&media)).send().await.unwrap();
    assert_eq!(answer.status(), 502);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("/api/v1.0/documents/media-auth/") && text.contains("answered 500"),
        "{text}"
    );

    // An app declared on a port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let emu = util::start_with(&format!(
        "[[apps]]\nkind = \"docs\"\napi_url = \"http://127.0.0.1:{port}\"\n"
    ))
    .await;
    let answer = as_alice(util::client().get(format!("{}/media/{KEY}", emu.url())))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/api/v1.0/documents/media-auth/"))
            && text.contains("could not connect"),
        "{text}"
    );
}

#[tokio::test]
async fn a_signature_for_another_key_is_refused_by_the_store() {
    // The emulator never serves past the app's decision: the store checks the signature.
    let (_emu, auth, media) = setup(b"secret").await;
    auth.lock().unwrap().sign_other_key = true;
    let answer = as_alice(util::client().get(&media)).send().await.unwrap();
    assert_eq!(answer.status(), 403);
    let text = answer.text().await.unwrap();
    assert!(text.contains("<Code>SignatureDoesNotMatch</Code>"), "{text}");
    assert!(!text.contains("secret"));
}

#[tokio::test]
async fn ranges_and_revalidation_work_as_through_nginx() {
    let body: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let (_emu, _auth, media) = setup(&body).await;
    let ranged = as_alice(util::client().get(&media).header("range", "bytes=100-199"))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.headers()["content-range"], "bytes 100-199/10000");
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &body[100..200]);

    let first = as_alice(util::client().get(&media)).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers()["last-modified"].to_str().unwrap().to_owned();
    let again = as_alice(util::client().get(&media).header("if-none-match", &etag))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let again = as_alice(
        util::client()
            .get(&media)
            .header("if-modified-since", &last_modified),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn paths_no_app_claims_stay_with_the_emulated_drive() {
    // The Docs app claims Docs' keys, not `item/...`: the emulated Drive still answers those.
    let (emu, auth, _media) = setup(b"x").await;
    let answer = util::client()
        .get(format!(
            "{}/media/item/00000000-0000-4000-8000-000000000000/f.txt",
            emu.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        401,
        "the emulated Drive's own answer, not the app's"
    );
    assert!(auth.lock().unwrap().seen.is_empty());
}

/// The peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_large_body_streams_through_with_flat_memory() {
    // The emulator as a process, so its memory is its own: a 128 MiB object read through the
    // proxy must not raise its peak RSS by anything near the body's size.
    use std::io::{BufRead as _, BufReader};
    let shared: Shared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/api/v1.0/documents/media-auth/", axum::routing::get(media_auth))
        .with_state(Arc::clone(&shared));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("apps.toml");
    std::fs::write(
        &fixture,
        format!("[[apps]]\nkind = \"docs\"\napi_url = \"{api}\"\n"),
    )
    .unwrap();
    let ready = dir.path().join("ready.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lasuite-emu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--ephemeral", "--fixtures"])
        .arg(&fixture)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    let url = info["url"].as_str().unwrap().to_owned();
    shared.lock().unwrap().emulator_url = url.clone();

    let size = 128 * 1024 * 1024;
    let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let addr = url.trim_start_matches("http://").parse().unwrap();
    let s3 = S3Client {
        addr,
        host: url.trim_start_matches("http://").to_owned(),
        signer: crate::sigv4::Signer::new("docs", "password"),
    };
    let put = s3.send("PUT", &format!("/{BUCKET}/{KEY}"), &[], &[], &body).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let before = peak_rss_kib(child.id());

    let mut answer = as_alice(util::client().get(format!("{url}/media/{KEY}")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let (mut received, mut same) = (0usize, true);
    while let Some(chunk) = answer.chunk().await.unwrap() {
        same &= chunk.as_ref() == &body[received..received + chunk.len()];
        received += chunk.len();
    }
    let after = peak_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(received, size);
    assert!(same, "the bytes read back differ");
    assert!(
        after.saturating_sub(before) < 32 * 1024,
        "peak RSS grew by {} KiB for a {} KiB body",
        after - before,
        size / 1024
    );
}

#[tokio::test]
async fn an_app_declared_at_runtime_is_proxied() {
    // `lasuite-emu apply FILE` (POST /_emu/fixtures) declares an app on a running emulator.
    let (emu, auth, media) = setup(b"runtime").await;
    let other = util::start().await;
    let declared = format!(
        "[[apps]]\nkind = \"docs\"\napi_url = \"{}\"\n",
        // the same media-auth server as `emu`'s fixture declares
        emu.app().fixtures().apps[0].api_url
    );
    let answer = util::client()
        .post(format!("{}/_emu/fixtures", other.url()))
        .body(declared)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    assert_eq!(other.app().fixtures().apps.len(), 1);
    let before = auth.lock().unwrap().seen.len();
    let answer = as_alice(util::client().get(format!("{}/media/{KEY}", other.url())))
        .send()
        .await
        .unwrap();
    // The app signed for `emu`'s host and the object is only in `emu`: the store refuses,
    // but the sub-request went to the declared app.
    assert_eq!(auth.lock().unwrap().seen.len(), before + 1);
    assert_eq!(answer.status(), 403);
    assert!(media.starts_with(emu.url()));
}
