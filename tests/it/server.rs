//! The foundation: one port, reserved segments, the public URL, health, persistence.

use lasuite_emu::Emulator;
use serde_json::Value;

use crate::util::{self, client, oidc};

#[tokio::test]
async fn health_reports_each_service_once_ready() {
    let emu = util::start().await;
    let response = client()
        .get(format!("{}/_emu/health", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["services"]["oidc"]["status"], "ready");
    assert_eq!(
        health["services"]["oidc"]["realms"],
        serde_json::json!(["lasuite", "drive", "impress"])
    );
    assert_eq!(health["public_url"], emu.url());
    assert_eq!(health["services"]["s3"]["status"], "ready");
    assert_eq!(health["services"]["s3"]["buckets"][0], "docs-media-storage");
}

#[tokio::test]
async fn public_url_goes_into_iss_whatever_the_host_header_says() {
    let emu = Emulator::builder()
        .public_url("http://localhost:8083/")
        .start()
        .await
        .unwrap();
    let addr = emu.local_addrs()[0];
    let discovery: Value = client()
        .get(format!(
            "http://{addr}/realms/drive/.well-known/openid-configuration"
        ))
        .header("host", "nginx:8083")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], "http://localhost:8083/realms/drive");
    assert_eq!(
        discovery["introspection_endpoint"],
        "http://localhost:8083/realms/drive/protocol/openid-connect/token/introspect"
    );
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    assert_eq!(
        util::claims(&tokens.access_token)["iss"],
        "http://localhost:8083/realms/lasuite"
    );
}

#[tokio::test]
async fn non_reserved_paths_are_s3_and_answer_s3_xml() {
    let emu = util::start().await;
    // Unsigned: S3 refuses anonymous requests, in S3's XML.
    let response = client()
        .put(format!("{}/drive-media-storage/item/1/a.txt", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let body = response.text().await.unwrap();
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}

#[tokio::test]
async fn get_root_without_credentials_goes_to_the_dashboard() {
    let emu = util::start().await;
    let response = client().get(format!("{}/", emu.url())).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(util::location(&response), "/_emu/");
    let page = client().get(format!("{}/_emu/", emu.url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("/realms/impress/.well-known/openid-configuration")
    );
}

#[tokio::test]
async fn unknown_reserved_paths_are_json_404_and_wrong_methods_json_405() {
    let emu = util::start().await;
    for path in ["/realms/lasuite/nope", "/_emu/nope", "/static/nope.js"] {
        let response = client().get(format!("{}{path}", emu.url())).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }
    let response = client().get(oidc(&emu, "lasuite", "token")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn several_listeners_serve_the_same_state() {
    let emu = Emulator::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    let [first, second] = emu.local_addrs() else {
        panic!("two listeners")
    };
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    // Minted through the first, introspected through the second: same issuer, same state.
    let answer: Value = client()
        .post(format!(
            "http://{second}/realms/lasuite/protocol/openid-connect/token/introspect"
        ))
        .form(&[
            ("client_id", "drive"),
            ("client_secret", util::SECRET),
            ("token", &tokens.access_token),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["iss"], format!("http://{first}/realms/lasuite"));
}

#[tokio::test]
async fn a_data_directory_keeps_keys_users_and_tokens_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"carol\"\npassword = \"c\"\nemail = \"carol@example.com\"\n";
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .fixture_toml(extra)
        .start()
        .await
        .unwrap();
    let jwks_before: Value = client()
        .get(oidc(&emu, "lasuite", "certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens = emu.mint_token("docs", "carol").await.unwrap();
    emu.stop().await;
    assert!(dir.path().join("keys/rsa-sig.pem").exists());

    // Restart on the same directory (fixtures applied again: idempotent).
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .fixture_toml(extra)
        .start()
        .await
        .unwrap();
    let jwks_after: Value = client()
        .get(oidc(&emu, "lasuite", "certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_before, jwks_after, "keys persist, kid stable");
    // The port changed, so the issuer changed: the old token is a token of another issuer.
    // Its row survived, which the store shows by still refusing a second refresh client.
    let refresh = client()
        .post(oidc(&emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.as_deref().unwrap()),
            ("client_id", "docs"),
            ("client_secret", util::SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 200, "the refresh token survived the restart");
    emu.stop().await;
}

#[tokio::test]
async fn bad_fixtures_are_refused_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "[[realms]]\nname = \"x\"\nunknown_key = 1\n").unwrap();
    let error = Emulator::builder()
        .fixture_file(&path)
        .start()
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("broken.toml") && error.contains("unknown_key"),
        "{error}"
    );
}

#[tokio::test]
async fn a_keycloak_realm_export_is_accepted_as_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("realm.json");
    std::fs::write(
        &path,
        r#"{"realm": "impress-kc", "clients": [{"clientId": "impress", "secret": "s3cret",
            "redirectUris": ["*"], "directAccessGrantsEnabled": true}],
            "users": [{"username": "impress", "email": "impress@impress.world", "firstName": "John",
            "lastName": "Doe", "credentials": [{"type": "password", "value": "impress"}]}]}"#,
    )
    .unwrap();
    let emu = Emulator::builder().fixture_file(&path).start().await.unwrap();
    let response = client()
        .post(oidc(&emu, "impress-kc", "token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "impress"),
            ("client_secret", "s3cret"),
            ("username", "impress"),
            ("password", "impress"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let claims = util::claims(body["id_token"].as_str().unwrap());
    assert_eq!(claims["email"], "impress@impress.world");
    assert_eq!(claims["first_name"], "John");
}

/// `PRAGMA synchronous` of the connection that commits writes.
async fn writer_synchronous(emu: &lasuite_emu::RunningEmulator) -> i64 {
    emu.app()
        .db
        .with_writer(|conn| Ok(conn.query_row("PRAGMA synchronous", [], |row| row.get(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_durable_emulator_commits_with_synchronous_full() {
    // WAL with synchronous = NORMAL may lose the last commits on an OS crash or power loss;
    // FULL syncs the WAL at every commit, so an acknowledged write is on disk (2 = FULL).
    let dir = tempfile::tempdir().unwrap();
    let durable = Emulator::builder().data_dir(dir.path()).start().await.unwrap();
    assert_eq!(writer_synchronous(&durable).await, 2);
    durable.stop().await;
    // --ephemeral state is deleted on exit and its bodies are not fsynced: OFF (0).
    let ephemeral = util::start().await;
    assert_eq!(writer_synchronous(&ephemeral).await, 0);
}
