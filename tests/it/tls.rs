//! `serve --tls`: every service over HTTPS with the local CA as the only trusted root, plain
//! HTTP beside it (`--listen-http`), plain HTTP sent to the TLS port, and the CA kept across
//! restarts.

use std::net::SocketAddr;

use lasuite_emu::{Emulator, RunningEmulator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::sigv4::{Request, Signer, now, sha256_hex};

async fn start_tls() -> RunningEmulator {
    Emulator::builder()
        .fixture_toml("[drive]\nexternal_api = \"all\"\n")
        .tls(true)
        .tls_name("emu.test")
        .start()
        .await
        .expect("emulator starts")
}

/// A client whose only trusted root is the emulator's CA (no system roots are built in).
fn trusting(emu: &RunningEmulator) -> reqwest::ClientBuilder {
    let pem = std::fs::read(emu.ca_path().expect("a CA with --tls")).unwrap();
    let ca = reqwest::Certificate::from_pem(&pem).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
}

fn client(emu: &RunningEmulator) -> reqwest::Client {
    trusting(emu).build().unwrap()
}

fn port(emu: &RunningEmulator) -> u16 {
    emu.local_addrs()[0].port()
}

#[tokio::test]
async fn discovery_over_https_names_an_https_issuer() {
    let emu = start_tls().await;
    let base = format!("https://127.0.0.1:{}", port(&emu));
    assert_eq!(emu.url(), base);
    let discovery: Value = client(&emu)
        .get(format!("{base}/realms/lasuite/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], format!("{base}/realms/lasuite"));
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "introspection_endpoint",
    ] {
        assert!(
            discovery[endpoint].as_str().unwrap().starts_with(&base),
            "{endpoint}: {discovery}"
        );
    }
    // A token's iss is the https issuer too.
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let payload = tokens.access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], format!("{base}/realms/lasuite"));
}

#[tokio::test]
async fn the_certificate_holds_localhost_the_loopback_ips_and_tls_names() {
    let emu = start_tls().await;
    let addr = emu.local_addrs()[0];
    for host in ["localhost", "emu.test"] {
        let client = trusting(&emu).resolve(host, addr).build().unwrap();
        let health = client
            .get(format!("https://{host}:{}/_emu/health", addr.port()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(health.status(), 200, "{host}");
    }
    // A name the certificate does not hold is refused by a verifying client.
    let other = trusting(&emu).resolve("other.test", addr).build().unwrap();
    assert!(
        other
            .get(format!("https://other.test:{}/_emu/health", addr.port()))
            .send()
            .await
            .is_err()
    );
    // A client that does not trust the CA is refused.
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{}/_emu/health", emu.url()))
            .send()
            .await
            .is_err()
    );
}

/// A SigV4 request (drive's keys, header-signed) over `http` to `https://{host}{path}`.
async fn s3_send(
    http: &reqwest::Client,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static [u8],
) -> reqwest::Response {
    let request = Request {
        method,
        host,
        path,
        query: &[],
        headers,
    };
    let signed = Signer::new("drive", "password").sign(&request, &sha256_hex(body), now());
    let mut builder = http.request(
        method.parse().unwrap(),
        format!("https://{host}{}", signed.path_and_query),
    );
    for (name, value) in &signed.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(body).send().await.unwrap()
}

#[tokio::test]
async fn s3_sigv4_signs_the_https_host() {
    let emu = start_tls().await;
    let addr = emu.local_addrs()[0];
    let host = format!("localhost:{}", addr.port());
    // HTTP/1.1 as boto3 speaks it, and HTTP/2 (where `Host` travels as `:authority`).
    for (http, version) in [
        (
            trusting(&emu).resolve("localhost", addr).http1_only(),
            reqwest::Version::HTTP_11,
        ),
        (
            trusting(&emu).resolve("localhost", addr),
            reqwest::Version::HTTP_2,
        ),
    ] {
        let http = http.build().unwrap();
        let path = format!("/drive-media-storage/tls/{version:?}.txt");
        let put = s3_send(&http, &host, "PUT", &path, &[], b"over https").await;
        assert_eq!(put.version(), version);
        assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
        let get = s3_send(&http, &host, "GET", &path, &[], b"").await;
        assert_eq!(get.status(), 200);
        assert_eq!(get.bytes().await.unwrap().as_ref(), b"over https");
        // The same request signed for another host is refused: the signature covers it.
        let wrong = Request {
            method: "GET",
            host: "127.0.0.1:1",
            path: &path,
            query: &[],
            headers: &[],
        };
        let signed = Signer::new("drive", "password").sign(&wrong, &sha256_hex(b""), now());
        let mut builder = http.get(format!("https://{host}{}", signed.path_and_query));
        for (name, value) in &signed.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let refused = builder.send().await.unwrap();
        assert_eq!(refused.status(), 403);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("<Code>SignatureDoesNotMatch</Code>"),
            "over {version:?}"
        );
    }
}

#[tokio::test]
async fn alpn_offers_http2_and_http11() {
    let emu = start_tls().await;
    let url = format!("{}/_emu/health", emu.url());
    let h2 = client(&emu).get(&url).send().await.unwrap();
    assert_eq!(
        (h2.status().as_u16(), h2.version()),
        (200, reqwest::Version::HTTP_2)
    );
    let h1 = trusting(&emu).http1_only().build().unwrap();
    let h1 = h1.get(&url).send().await.unwrap();
    assert_eq!(
        (h1.status().as_u16(), h1.version()),
        (200, reqwest::Version::HTTP_11)
    );
}

#[tokio::test]
async fn the_media_proxy_serves_over_https() {
    use crate::media_proxy::{BUCKET, KEY, as_alice, start_auth_app};
    let (auth, api) = start_auth_app().await;
    let emu = Emulator::builder()
        .fixture_toml(&format!("[[apps]]\nkind = \"docs\"\napi_url = \"{api}\"\n"))
        .tls(true)
        .start()
        .await
        .expect("emulator starts");
    assert!(emu.url().starts_with("https://"), "{}", emu.url());
    // The app signs for the emulator's https host, as Docs does with AWS_S3_ENDPOINT_URL.
    auth.lock().unwrap().emulator_url = emu.url().to_owned();
    let addr = emu.local_addrs()[0];
    let http = trusting(&emu).resolve("localhost", addr).build().unwrap();
    let host = format!("localhost:{}", addr.port());
    // drive's keys may not write Docs' bucket: the object goes in with docs' keys.
    let request = Request {
        method: "PUT",
        host: &host,
        path: &format!("/{BUCKET}/{KEY}"),
        query: &[],
        headers: &[("content-type", "image/png")],
    };
    let body: &[u8] = b"\x89PNG over https";
    let signed = Signer::new("docs", "password").sign(&request, &sha256_hex(body), now());
    let mut put = http.put(format!("https://{host}{}", signed.path_and_query));
    for (name, value) in &signed.headers {
        put = put.header(name.as_str(), value.as_str());
    }
    let put = put.body(body).send().await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());

    let media = format!("{}/media/{KEY}", emu.url());
    let read = as_alice(http.get(&media)).send().await.unwrap();
    assert_eq!(
        (read.status().as_u16(), read.version()),
        (200, reqwest::Version::HTTP_2)
    );
    assert_eq!(read.headers()["content-type"], "image/png");
    assert_eq!(read.bytes().await.unwrap().as_ref(), body);
    // Without the session cookie the app refuses, and so does the proxy.
    let refused = http.get(&media).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(auth.lock().unwrap().seen.len(), 2);
}

#[tokio::test]
async fn the_drive_upload_flow_runs_over_https() {
    let emu = start_tls().await;
    let http = client(&emu);
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let api = format!("{}/external_api/v1.0", emu.url());
    let post = |path: String, body: Value| {
        http.post(format!("{api}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let folder: Value = post("/items/".into(), json!({"type": "folder", "title": "Docs"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let folder = folder["id"].as_str().unwrap();
    let file = post(
        format!("/items/{folder}/children/"),
        json!({"type": "file", "filename": "a.txt"}),
    )
    .await
    .unwrap();
    assert_eq!(file.status(), 201);
    let file: Value = file.json().await.unwrap();
    let policy = file["policy"].as_str().unwrap();
    assert!(policy.starts_with(&format!("{}/", emu.url())), "{policy}");
    let put = http
        .put(policy)
        .header("x-amz-acl", "private")
        .body("hello over https")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let id = file["id"].as_str().unwrap();
    let ended = post(format!("/items/{id}/upload-ended/"), json!({}))
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let ended: Value = ended.json().await.unwrap();
    let media = ended["url"].as_str().unwrap();
    assert!(media.starts_with(&format!("{}/media/", emu.url())), "{media}");
    let read = http.get(media).bearer_auth(&token).send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.text().await.unwrap(), "hello over https");
}

/// Writes `bytes` to `addr` and reads until the server closes.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_a_400_naming_the_https_url() {
    let emu = start_tls().await;
    let addr = emu.local_addrs()[0];
    let answer = exchange(
        addr,
        format!(
            "GET /_emu/health?x=1 HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
            addr.port()
        )
        .as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(
        answer.ends_with(&format!(
            "This port speaks HTTPS; use https://localhost:{}/_emu/health?x=1\n",
            addr.port()
        )),
        "{answer}"
    );
    // HTTP/1.0 without a Host: the public URL.
    let answer = exchange(addr, b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(answer.ends_with(&format!("use {}/\n", emu.url())), "{answer}");
    // Garbage that is not TLS either: an answer and a close, never a hang.
    let answer = exchange(addr, b"\x01\x02\x03\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

#[tokio::test]
async fn listen_http_serves_plain_http_beside_https() {
    let emu = Emulator::builder()
        .tls(true)
        .listen_http(SocketAddr::from(([127, 0, 0, 1], 0)))
        .start()
        .await
        .unwrap();
    let plain = emu.local_addrs()[1];
    let discovery: Value = reqwest::get(format!(
        "http://{plain}/realms/lasuite/.well-known/openid-configuration"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    // The issuer is the public URL whatever the listener: the https one.
    assert_eq!(discovery["issuer"], format!("{}/realms/lasuite", emu.url()));
    assert!(emu.url().starts_with("https://"));
    let health = client(&emu)
        .get(format!("{}/_emu/health", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn the_ca_is_kept_in_the_data_dir_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let first = Emulator::builder()
        .data_dir(dir.path())
        .tls(true)
        .start()
        .await
        .unwrap();
    let ca_path = first.ca_path().unwrap().to_path_buf();
    assert_eq!(ca_path, dir.path().join("tls/ca.pem"));
    let ca = std::fs::read(&ca_path).unwrap();
    let trusting_first = client(&first);
    first.stop().await;
    let second = Emulator::builder()
        .data_dir(dir.path())
        .tls(true)
        .start()
        .await
        .unwrap();
    assert_eq!(std::fs::read(&ca_path).unwrap(), ca);
    let health = trusting_first
        .get(format!("{}/_emu/health", second.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    second.stop().await;
    // A CA certificate that cannot be read is replaced, not trusted.
    std::fs::write(&ca_path, "garbage").unwrap();
    let third = Emulator::builder()
        .data_dir(dir.path())
        .tls(true)
        .start()
        .await
        .unwrap();
    let replaced = std::fs::read(&ca_path).unwrap();
    assert_ne!(replaced, ca);
    assert!(String::from_utf8_lossy(&replaced).starts_with("-----BEGIN CERTIFICATE-----"));
    let health = client(&third)
        .get(format!("{}/_emu/health", third.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_port_in_use_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = Emulator::builder()
        .tls(true)
        .listen(addr)
        .start()
        .await
        .err()
        .expect("the port is taken")
        .to_string();
    assert!(
        error.contains(&format!("cannot listen on {addr} (--listen)")),
        "{error}"
    );
    assert!(error.contains("already in use"), "{error}");
    assert!(!error.contains('\n'), "{error}");
}

#[tokio::test]
async fn a_stop_closes_idle_http2_connections_at_once() {
    // An HTTP/2 connection kept open by a client that went quiet: the stop's GOAWAY ends it,
    // the deadline (long here) does not have to.
    let emu = Emulator::builder()
        .tls(true)
        .shutdown_timeout(std::time::Duration::from_secs(30))
        .start()
        .await
        .expect("emulator starts");
    let http = client(&emu);
    let health = http
        .get(format!("{}/_emu/health", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.version(), reqwest::Version::HTTP_2);
    let cut = tokio::time::timeout(std::time::Duration::from_secs(10), emu.stop())
        .await
        .expect("stop returns before the deadline");
    assert_eq!(cut, 0, "no connection was left for the deadline to cut");
    drop(http);
}
