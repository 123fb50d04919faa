//! The control plane under `/_emu` (issue 6): reset, clock, runtime users and clients,
//! fixtures, revocation, and the bad inputs of each.

use serde_json::{Value, json};

use crate::s3util::S3Client;
use crate::sigv4::now;
use crate::util::{self, SECRET, client, introspect, oidc};

async fn admin(
    emu: &lasuite_emu::RunningEmulator,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/_emu{path}", emu.url());
    let request = client().request(method.parse().unwrap(), url);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn password_grant(
    emu: &lasuite_emu::RunningEmulator,
    client_id: &str,
    secret: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client()
        .post(oidc(emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("username", user),
            ("password", password),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reset_returns_to_the_fixture_state() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    s3.put("/drive-media-storage/doomed", b"x").await;
    s3.put("/extra-bucket", b"").await;
    admin(
        &emu,
        "POST",
        "/realms/lasuite/users",
        Some(json!({"username": "temp", "password": "p", "email": "t@example.com"})),
    )
    .await;
    emu.clock().advance(100);

    let (status, body) = admin(&emu, "POST", "/reset", None).await;
    assert_eq!((status, body), (200, json!({"status": "reset"})));
    assert_eq!(
        introspect(&emu, "lasuite", &token).await,
        json!({"active": false}),
        "tokens are gone"
    );
    assert_eq!(s3.get("/drive-media-storage/doomed").await.status, 404);
    assert_eq!(s3.send("HEAD", "/extra-bucket", &[], &[], b"").await.status, 404);
    assert_eq!(
        s3.send("HEAD", "/drive-media-storage", &[], &[], b"")
            .await
            .status,
        200,
        "fixture buckets are back"
    );
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "temp", "p").await.status(),
        401,
        "runtime users are gone"
    );
    assert!(
        (emu.clock().now() - now()).abs() <= 2,
        "the clock follows the system again"
    );
    assert_eq!(
        std::fs::read_dir(emu.data_dir().join("blobs")).unwrap().count(),
        0
    );
    // The library API does the same.
    emu.mint_token("docs", "bob").await.unwrap();
    emu.reset().await.unwrap();
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "alice", "alice")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_clock_expires_tokens_codes_and_presigned_urls_without_sleeping() {
    let emu = util::start().await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let s3 = S3Client::new(&emu);
    s3.put("/drive-media-storage/p", b"x").await;
    let url = s3
        .signer
        .presign("GET", &s3.host, "/drive-media-storage/p", &[], 60, now());
    assert_eq!(s3.raw("GET", &url, &[], b"").await.status, 200);

    let (status, clock) = admin(&emu, "POST", "/clock", Some(json!({"advance": 7200}))).await;
    assert_eq!(status, 200);
    assert!(clock["now"].as_i64().unwrap() >= now() + 7199);
    assert_eq!(
        introspect(&emu, "lasuite", &token).await,
        json!({"active": false})
    );
    let expired = s3.raw("GET", &url, &[], b"").await;
    assert_eq!((expired.status, expired.code()), (403, "AccessDenied".into()));

    let (_, frozen) = admin(&emu, "POST", "/clock", Some(json!({"freeze_at": 2_000_000_000}))).await;
    assert_eq!(frozen["frozen_at"], 2_000_000_000);
    assert_eq!(admin(&emu, "GET", "/clock", None).await.1["now"], 2_000_000_000);
    let (_, back) = admin(&emu, "POST", "/clock", Some(json!({"reset": true}))).await;
    assert_eq!(back["offset"], 0);
    assert!(back["frozen_at"].is_null());

    for bad in [
        json!({}),
        json!({"advance": "soon"}),
        json!({"advance": 1, "offset": 2}),
        json!({"freeze_at": 0}),
        json!({"rewind": 5}),
    ] {
        let (status, body) = admin(&emu, "POST", "/clock", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"], "invalid_request", "{bad}");
    }
}

#[tokio::test]
async fn users_are_created_updated_logged_out_and_deleted_at_runtime() {
    let emu = util::start().await;
    let (status, created) = admin(
        &emu,
        "POST",
        "/realms/lasuite/users",
        Some(json!({"username": "carol", "password": "c", "email": "carol@example.com", "first_name": "Carol", "claims": {"siret": "123"}})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["email"], "carol@example.com");
    assert!(created.get("password").is_none(), "passwords are not echoed");
    let tokens: Value = password_grant(&emu, "docs", SECRET, "carol", "c")
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&emu, "lasuite", &access).await["siret"], "123");

    let (status, _) = admin(
        &emu,
        "POST",
        "/realms/lasuite/users",
        Some(json!({"username": "carol", "password": "x", "email": "c@x"})),
    )
    .await;
    assert_eq!(status, 409, "POST creates; PUT updates");
    let (status, updated) = admin(
        &emu,
        "PUT",
        "/realms/lasuite/users/carol",
        Some(json!({"username": "carol", "password": "new", "email": "carol@new.example"})),
    )
    .await;
    assert_eq!(
        (status, updated["email"].as_str()),
        (200, Some("carol@new.example"))
    );
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "carol", "new")
            .await
            .status(),
        200
    );

    let (_, ended) = admin(&emu, "POST", "/realms/lasuite/users/carol/logout", None).await;
    assert!(ended["sessions_ended"].as_u64().unwrap() >= 1);
    assert_eq!(introspect(&emu, "lasuite", &access).await["active"], false);

    let (_, list) = admin(&emu, "GET", "/realms/impress/users", None).await;
    assert!(
        list["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "carol"),
        "aliases share users"
    );
    assert_eq!(
        admin(&emu, "DELETE", "/realms/lasuite/users/carol", None).await.0,
        204
    );
    assert_eq!(
        admin(&emu, "DELETE", "/realms/lasuite/users/carol", None).await.0,
        404
    );
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "carol", "new")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn clients_are_managed_at_runtime_and_a_deleted_clients_tokens_die() {
    let emu = util::start().await;
    let (status, created) = admin(
        &emu,
        "POST",
        "/realms/lasuite/clients",
        Some(json!({"client_id": "grist", "secret": "g"})),
    )
    .await;
    assert_eq!((status, created["public"].as_bool()), (201, Some(false)));
    let token: Value = password_grant(&emu, "grist", "g", "bob", "bob")
        .await
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&emu, "lasuite", &access).await["client_id"], "grist");
    let (_, list) = admin(&emu, "GET", "/realms/lasuite/clients", None).await;
    assert!(
        list["clients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["client_id"] == "grist")
    );
    assert_eq!(
        admin(
            &emu,
            "PUT",
            "/realms/lasuite/clients/grist",
            Some(json!({"client_id": "grist", "secret": "g2"}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        password_grant(&emu, "grist", "g", "bob", "bob").await.status(),
        401,
        "the old secret no longer works"
    );
    assert_eq!(
        admin(&emu, "DELETE", "/realms/lasuite/clients/grist", None)
            .await
            .0,
        204
    );
    assert_eq!(introspect(&emu, "lasuite", &access).await["active"], false);
    assert_eq!(
        password_grant(&emu, "grist", "g2", "bob", "bob").await.status(),
        401
    );
}

#[tokio::test]
async fn fixtures_apply_at_runtime_in_toml_and_json() {
    let emu = util::start().await;
    let toml = "[[realms]]\nname = \"partners\"\n[[realms.clients]]\nclient_id = \"portal\"\nsecret = \"s\"\n[[realms.users]]\nusername = \"dave\"\npassword = \"d\"\nemail = \"dave@partner.example\"\n[s3]\nbuckets = [{ name = \"partner-files\" }]\n";
    let response = client()
        .post(format!("{}/_emu/fixtures", emu.url()))
        .header("content-type", "application/toml")
        .body(toml)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["applied"]["realms"], json!(["partners"]));
    let discovery = client()
        .get(format!(
            "{}/.well-known/openid-configuration",
            emu.issuer("partners")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);
    assert_eq!(
        S3Client::new(&emu)
            .send("HEAD", "/partner-files", &[], &[], b"")
            .await
            .status,
        200
    );

    let json_fixture = json!({"realms": [{"name": "lasuite", "users": [{"username": "erin", "password": "e", "email": "erin@example.com"}]}]});
    let response = client()
        .post(format!("{}/_emu/fixtures", emu.url()))
        .json(&json_fixture)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "erin", "e").await.status(),
        200
    );

    for bad in [
        "[[realms]]\nname = \"x\"\ncolour = 1\n",
        "not = [toml",
        "[[realms]]\nname = \"a/b\"\n",
    ] {
        let response = client()
            .post(format!("{}/_emu/fixtures", emu.url()))
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
}

#[tokio::test]
async fn revoke_kills_any_token_without_client_credentials() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let (status, body) = admin(
        &emu,
        "POST",
        "/revoke",
        Some(json!({"token": tokens.refresh_token.unwrap()})),
    )
    .await;
    assert_eq!((status, body), (200, json!({"revoked": true})));
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await["active"],
        false,
        "with its session's tokens"
    );
    assert_eq!(
        admin(&emu, "POST", "/revoke", Some(json!({"token": "nope"})))
            .await
            .1,
        json!({"revoked": false})
    );
}

#[tokio::test]
async fn the_control_plane_refuses_bad_input_in_json() {
    let emu = util::start().await;
    let cases: Vec<(&str, &str, Option<Value>, u16)> = vec![
        (
            "POST",
            "/realms/nope/users",
            Some(json!({"username": "x", "password": "x", "email": "x"})),
            404,
        ),
        ("GET", "/realms/nope/clients", None, 404),
        (
            "POST",
            "/realms/lasuite/users",
            Some(json!({"username": "", "password": "x", "email": "x"})),
            400,
        ),
        (
            "POST",
            "/realms/lasuite/users",
            Some(json!({"username": "x", "password": "x", "email": "x", "role": "admin"})),
            400,
        ),
        (
            "POST",
            "/realms/lasuite/users",
            Some(json!({"username": "x", "password": "x", "email": "x", "sub": "é"})),
            400,
        ),
        (
            "PUT",
            "/realms/lasuite/users/alice",
            Some(json!({"username": "bob", "password": "x", "email": "x"})),
            400,
        ),
        (
            "POST",
            "/realms/lasuite/clients",
            Some(json!({"client_id": ""})),
            400,
        ),
        (
            "POST",
            "/realms/lasuite/clients",
            Some(json!({"client_id": "rs", "introspection_encryption_key": "nope"})),
            400,
        ),
        (
            "POST",
            "/realms/lasuite/clients",
            Some(json!({"client_id": "docs", "secret": "x"})),
            409,
        ),
        ("DELETE", "/realms/lasuite/clients/nope", None, 404),
        ("POST", "/realms/lasuite/users/nobody/logout", None, 404),
        ("POST", "/revoke", Some(json!({})), 400),
        ("GET", "/reset", None, 405),
    ];
    for (method, path, body, expected) in cases {
        let (status, answer) = admin(&emu, method, path, body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        assert!(
            answer["error"].is_string(),
            "{method} {path}: JSON error, got {answer}"
        );
    }
    let raw = client()
        .post(format!("{}/_emu/realms/lasuite/users", emu.url()))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
}

#[tokio::test]
async fn the_journal_records_service_status_client_user_and_why_a_request_was_refused() {
    let emu = util::start().await;
    password_grant(&emu, "docs", SECRET, "alice", "alice").await;
    password_grant(&emu, "docs", "wrong", "alice", "alice").await;
    let token = emu.mint_token("docs", "bob").await.unwrap().access_token;
    introspect(&emu, "lasuite", &token).await;
    let s3 = S3Client::new(&emu);
    s3.put("/drive-media-storage/j", b"x").await;
    S3Client::with_keys(&emu, "drive", "bad")
        .get("/drive-media-storage/j")
        .await;

    let (_, journal) = admin(&emu, "GET", "/journal", None).await;
    let entries = journal["entries"].as_array().unwrap();
    let grant = entries
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("/token") && e["status"] == 200)
        .unwrap();
    assert_eq!(
        (
            grant["service"].as_str(),
            grant["client"].as_str(),
            grant["user"].as_str()
        ),
        (Some("oidc"), Some("docs"), Some("alice"))
    );
    let refused = entries.iter().find(|e| e["status"] == 401).unwrap();
    assert_eq!(
        refused["reason"],
        "invalid_client: Invalid client or Invalid client credentials"
    );
    let checked = entries
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("/introspect"))
        .unwrap();
    assert_eq!(
        (checked["client"].as_str(), checked["user"].as_str()),
        (Some("drive"), Some("bob"))
    );
    let bad_signature = entries
        .iter()
        .find(|e| e["service"] == "s3" && e["status"] == 403)
        .unwrap();
    assert_eq!(bad_signature["client"], "drive");
    assert!(
        bad_signature["reason"]
            .as_str()
            .unwrap()
            .starts_with("SignatureDoesNotMatch"),
        "{bad_signature}"
    );
    assert!(entries.iter().all(|e| e["duration_ms"].as_f64().unwrap() >= 0.0));

    let (_, filtered) = admin(&emu, "GET", "/journal?service=s3&status=4xx", None).await;
    assert_eq!(filtered["entries"].as_array().unwrap().len(), 1);
    let last_id = entries.last().unwrap()["id"].as_u64().unwrap();
    let (_, since) = admin(&emu, "GET", &format!("/journal?since={last_id}"), None).await;
    assert_eq!(
        since["entries"].as_array().unwrap().len(),
        0,
        "the journal does not record itself"
    );
    assert_eq!(admin(&emu, "GET", "/journal?colour=red", None).await.0, 400);
    assert_eq!(admin(&emu, "DELETE", "/journal", None).await.0, 204);
    assert!(
        admin(&emu, "GET", "/journal", None).await.1["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn faults_answer_the_next_matching_requests_in_each_services_format() {
    let emu = util::start().await;
    let token_path = "/realms/lasuite/protocol/openid-connect/token";
    let (status, fault) = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"path": token_path, "error": "invalid_grant", "count": 2})),
    )
    .await;
    assert_eq!((status, fault["remaining"].as_u64()), (201, Some(2)));
    for _ in 0..2 {
        let refused = password_grant(&emu, "docs", SECRET, "alice", "alice").await;
        assert_eq!(refused.status(), 400);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "alice", "alice")
            .await
            .status(),
        200,
        "used up"
    );

    admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"service": "s3", "method": "PUT", "error": "SlowDown"})),
    )
    .await;
    let s3 = S3Client::new(&emu);
    let slow = s3.put("/drive-media-storage/f", b"x").await;
    assert_eq!((slow.status, slow.code()), (503, "SlowDown".into()));
    assert_eq!(s3.put("/drive-media-storage/f", b"x").await.status, 200);

    admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"service": "oidc", "delay_ms": 300})),
    )
    .await;
    let started = std::time::Instant::now();
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "alice", "alice")
            .await
            .status(),
        200,
        "a delay alone still serves"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    let (_, listed) = admin(&emu, "POST", "/faults", Some(json!({"status": 500, "count": 5}))).await;
    let id = listed["id"].as_u64().unwrap();
    assert_eq!(
        admin(&emu, "GET", "/faults", None).await.1["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin(&emu, "GET", "/health", None).await.0,
        200,
        "the control plane is never faulted"
    );
    assert_eq!(admin(&emu, "DELETE", &format!("/faults/{id}"), None).await.0, 204);
    assert_eq!(admin(&emu, "DELETE", &format!("/faults/{id}"), None).await.0, 404);
    assert_eq!(admin(&emu, "DELETE", "/faults", None).await.0, 204);

    for bad in [
        json!({}),
        json!({"service": "ftp", "status": 500}),
        json!({"status": 99}),
        json!({"delay_ms": 600000}),
        json!({"status": 500, "count": 0}),
        json!({"status": 500, "bogus": 1}),
    ] {
        let (status, body) = admin(&emu, "POST", "/faults", Some(bad.clone())).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_snapshot_brings_back_tables_and_bodies_after_a_reset() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let big = vec![7u8; 3 * 1024 * 1024];
    s3.put("/drive-media-storage/keep/small", b"small body").await;
    s3.put("/drive-media-storage/keep/big", &big).await;
    admin(
        &emu,
        "POST",
        "/realms/lasuite/users",
        Some(json!({"username": "snap", "password": "s", "email": "snap@example.com"})),
    )
    .await;
    let token = emu.mint_token("docs", "snap").await.unwrap().access_token;

    let snapshot = client()
        .get(format!("{}/_emu/snapshot", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(snapshot.status(), 200);
    assert_eq!(snapshot.headers()["content-type"], "application/vnd.sqlite3");
    let bytes = snapshot.bytes().await.unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(
        std::fs::read_dir(emu.data_dir().join("tmp")).unwrap().count(),
        0,
        "no leftovers"
    );

    emu.reset().await.unwrap();
    s3.put("/drive-media-storage/after", b"made after the snapshot")
        .await;
    assert_eq!(introspect(&emu, "lasuite", &token).await["active"], false);

    let restored = client()
        .post(format!("{}/_emu/restore", emu.url()))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200, "{}", restored.text().await.unwrap());
    assert_eq!(
        s3.get("/drive-media-storage/keep/small").await.body,
        b"small body"
    );
    assert_eq!(s3.get("/drive-media-storage/keep/big").await.body, big);
    assert_eq!(s3.get("/drive-media-storage/after").await.status, 404);
    assert_eq!(
        introspect(&emu, "lasuite", &token).await["username"],
        "snap",
        "sessions and tokens come back"
    );
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "snap", "s").await.status(),
        200
    );

    // The library API, with files, on another emulator.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.snapshot");
    emu.snapshot(&file).await.unwrap();
    let other = util::start().await;
    other.restore(&file).await.unwrap();
    assert_eq!(
        S3Client::new(&other)
            .get("/drive-media-storage/keep/small")
            .await
            .body,
        b"small body"
    );

    for garbage in [&b"not a snapshot"[..], &b""[..]] {
        let refused = client()
            .post(format!("{}/_emu/restore", emu.url()))
            .body(garbage.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
    assert_eq!(
        s3.get("/drive-media-storage/keep/small").await.body,
        b"small body",
        "a refused restore changes nothing"
    );
}

#[tokio::test]
async fn namespaces_isolate_parallel_tests_and_drop_cleanly() {
    let emu = util::start().await;
    let (status, ns) = admin(&emu, "POST", "/namespaces", Some(json!({"name": "test-42"}))).await;
    assert_eq!(status, 201, "{ns}");
    assert_eq!(ns["issuer"], emu.issuer("test-42"));
    assert!(
        ns["buckets"]
            .as_array()
            .unwrap()
            .contains(&json!("test-42-drive-media-storage"))
    );

    // Same users and clients, separate identities, sessions and buckets.
    let response = client()
        .post(oidc(&emu, "test-42", "token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("username", "alice"),
            ("password", "alice"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    let token: Value = response.json().await.unwrap();
    let access = token["access_token"].as_str().unwrap().to_owned();
    let inside = introspect(&emu, "test-42", &access).await;
    assert_eq!(inside["iss"], emu.issuer("test-42"));
    assert_ne!(
        inside["sub"],
        util::claims(&emu.mint_token("docs", "alice").await.unwrap().access_token)["sub"]
    );
    assert_eq!(
        introspect(&emu, "lasuite", &access).await["active"],
        false,
        "another issuer"
    );
    let s3 = S3Client::new(&emu);
    assert_eq!(s3.put("/test-42-drive-media-storage/k", b"ns").await.status, 200);
    assert_eq!(s3.get("/drive-media-storage/k").await.status, 404);

    assert_eq!(
        admin(&emu, "POST", "/namespaces", Some(json!({"name": "test-42"})))
            .await
            .0,
        409
    );
    assert_eq!(admin(&emu, "DELETE", "/namespaces/test-42", None).await.0, 204);
    let gone = client()
        .post(oidc(&emu, "test-42", "token/introspect"))
        .form(&[
            ("client_id", "drive"),
            ("client_secret", SECRET),
            ("token", access.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the realm is gone");
    assert_eq!(
        s3.send("HEAD", "/test-42-drive-media-storage", &[], &[], b"")
            .await
            .status,
        404
    );
    assert_eq!(admin(&emu, "DELETE", "/namespaces/test-42", None).await.0, 404);
    assert_eq!(
        admin(&emu, "DELETE", "/namespaces/lasuite", None).await.0,
        409,
        "fixture realms go with reset only"
    );
    for bad in ["", "UPPER", "-x", "a/b", &"n".repeat(41)] {
        assert_eq!(
            admin(&emu, "POST", "/namespaces", Some(json!({"name": bad})))
                .await
                .0,
            400,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn beyond_loopback_the_control_plane_needs_the_admin_key() {
    let emu = lasuite_emu::Emulator::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let key = emu.admin_key().expect("a key is generated").to_owned();
    let url = format!("http://127.0.0.1:{}", emu.local_addrs()[0].port());
    let refused = client().post(format!("{url}/_emu/reset")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "unauthorized");
    let wrong = client()
        .post(format!("{url}/_emu/reset"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let allowed = client()
        .post(format!("{url}/_emu/reset"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        client()
            .get(format!("{url}/_emu/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "health stays open"
    );
    // The issuer and S3 are not behind the key.
    assert_eq!(
        client()
            .get(format!("{url}/realms/lasuite/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // On loopback, no key unless one is set.
    assert!(util::start().await.admin_key().is_none());
    let keyed = lasuite_emu::Emulator::builder()
        .admin_key("s3cret")
        .start()
        .await
        .unwrap();
    assert_eq!(
        client()
            .get(format!("{}/_emu/clock", keyed.url()))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn fixture_files_are_watched_and_reapplied_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("extra.toml");
    std::fs::write(&file, "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"first\"\npassword = \"f\"\nemail = \"first@example.com\"\n").unwrap();
    let emu = lasuite_emu::Emulator::builder()
        .fixture_file(&file)
        .start()
        .await
        .unwrap();
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "first", "f").await.status(),
        200
    );

    // A new user appears within a few polls of the change (bounded wait, not a timing check).
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a distinct modification time
    std::fs::write(&file, "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"second\"\npassword = \"s\"\nemail = \"second@example.com\"\n").unwrap();
    let mut appeared = false;
    for _ in 0..100 {
        if password_grant(&emu, "docs", SECRET, "second", "s").await.status() == 200 {
            appeared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(appeared, "the changed fixture file was applied");
    // ...and it is what reset returns to.
    emu.reset().await.unwrap();
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "second", "s").await.status(),
        200
    );
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "first", "f").await.status(),
        401
    );

    // A broken file is reported and changes nothing.
    std::fs::write(&file, "[[realms]]\nname = \"lasuite\"\nbogus = 1\n").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        password_grant(&emu, "docs", SECRET, "second", "s").await.status(),
        200
    );
}
