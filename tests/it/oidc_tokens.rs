//! Token endpoint grants, userinfo, revocation and the minting endpoint.

use lasuite_emu::admin::MintRequest;
use serde_json::{Value, json};

use crate::util::{self, SECRET, client, introspect, oidc};

async fn token_request(emu: &lasuite_emu::RunningEmulator, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(oidc(emu, "lasuite", "token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn refresh_form<'a>(refresh: &'a str, client_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", client_id),
        ("client_secret", SECRET),
    ]
}

#[tokio::test]
async fn refresh_always_returns_a_new_refresh_token_and_a_new_access_token() {
    let emu = util::start().await;
    let first = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = first.refresh_token.clone().unwrap();
    let response = token_request(&emu, &refresh_form(&refresh, "docs")).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    let new_refresh = second["refresh_token"].as_str().expect("a refresh token, always");
    assert_ne!(new_refresh, refresh);
    assert_ne!(second["access_token"].as_str().unwrap(), first.access_token);
    assert_eq!(second["expires_in"], 300);
    assert_eq!(
        introspect(&emu, "lasuite", second["access_token"].as_str().unwrap()).await["active"],
        true
    );
    // The new refresh token works in turn.
    assert_eq!(
        token_request(&emu, &refresh_form(new_refresh, "docs"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn refresh_is_refused_for_another_client_a_wider_scope_or_an_expired_token() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = tokens.refresh_token.unwrap();

    let other = token_request(&emu, &refresh_form(&refresh, "drive")).await;
    assert_eq!(other.status(), 400);
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("client"));

    let mut wider = refresh_form(&refresh, "docs");
    wider.push(("scope", "openid admin"));
    let response = token_request(&emu, &wider).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_scope");

    let access = token_request(&emu, &refresh_form(&tokens.access_token, "docs")).await;
    assert_eq!(access.status(), 400, "an access token is no refresh token");

    emu.clock().advance(1801);
    let expired = token_request(&emu, &refresh_form(&refresh, "docs")).await;
    assert_eq!(expired.status(), 400);
    assert_eq!(expired.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn client_credentials_gives_a_service_account_token_without_refresh() {
    let emu = util::start().await;
    let response = token_request(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "find"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let answer = introspect(&emu, "lasuite", body["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], "find");
    assert_eq!(answer["username"], "service-account-find");
}

#[tokio::test]
async fn password_grant_logs_in_and_refuses_bad_credentials_with_401() {
    let emu = util::start().await;
    let ok = token_request(
        &emu,
        &[
            ("grant_type", "password"),
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("username", "bob"),
            ("password", "bob"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(
        util::claims(body["id_token"].as_str().unwrap())["email"],
        "bob@example.com"
    );

    let bad = token_request(
        &emu,
        &[
            ("grant_type", "password"),
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("username", "bob"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        json!({"error": "invalid_grant", "error_description": "Invalid user credentials"})
    );
}

#[tokio::test]
async fn grants_a_client_is_not_allowed_are_unauthorized_client() {
    let emu = util::start_with(
        "[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"locked\"\nsecret = \"s\"\ndirect_access_grants = false\nservice_account = false\n",
    )
    .await;
    for grant in ["password", "client_credentials"] {
        let response = token_request(
            &emu,
            &[
                ("grant_type", grant),
                ("client_id", "locked"),
                ("client_secret", "s"),
                ("username", "bob"),
                ("password", "bob"),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{grant}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "unauthorized_client"
        );
    }
}

#[tokio::test]
async fn userinfo_answers_json_or_a_signed_jwt_without_nonce() {
    let emu = util::start().await;
    let docs = emu.mint_token("docs", "alice").await.unwrap();
    let response = client()
        .get(oidc(&emu, "lasuite", "userinfo"))
        .bearer_auth(&docs.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["first_name"], "Alice");
    assert_eq!(info["last_name"], "Liddell");
    assert_eq!(info["sub"], util::claims(&docs.access_token)["sub"]);

    // Client `impress` is configured like Docs' dev realm: signed userinfo.
    let impress = emu.mint_token("impress", "alice").await.unwrap();
    let response = client()
        .post(oidc(&emu, "lasuite", "userinfo"))
        .bearer_auth(&impress.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/jwt");
    let jwt = response.text().await.unwrap();
    let claims = util::verify(&emu, &jwt).await;
    assert!(claims.get("nonce").is_none());
    assert_eq!(claims["aud"], "impress");
    assert_eq!(claims["iss"], emu.issuer("lasuite"));
    assert_eq!(claims["email"], "alice@example.com");
}

#[tokio::test]
async fn userinfo_refuses_bad_tokens_with_a_bearer_challenge() {
    let emu = util::start().await;
    let url = oidc(&emu, "lasuite", "userinfo");
    let none = client().get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=\"lasuite\"")
    );

    let bad = client()
        .get(&url)
        .bearer_auth("garbage.token.here")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let challenge = bad.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(bad.json::<Value>().await.unwrap()["error"], "invalid_token");

    let mut request = MintRequest::new("docs", "alice");
    request.scope = Some("email".into());
    let no_openid = emu.mint(request).await.unwrap();
    let response = client()
        .get(&url)
        .bearer_auth(&no_openid.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );
}

#[tokio::test]
async fn revocation_kills_access_tokens_and_refresh_tokens_with_their_session() {
    let emu = util::start().await;
    let url = oidc(&emu, "lasuite", "revoke");
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let revoke = |token: String, client_id: &'static str| {
        let url = url.clone();
        async move {
            client()
                .post(url)
                .form(&[
                    ("client_id", client_id),
                    ("client_secret", SECRET),
                    ("token", &token),
                ])
                .send()
                .await
                .unwrap()
        }
    };

    // Another client may not revoke docs' token.
    let refused = revoke(tokens.access_token.clone(), "drive").await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await["active"],
        true
    );

    assert_eq!(revoke(tokens.access_token.clone(), "docs").await.status(), 200);
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await,
        json!({"active": false})
    );
    // Unknown tokens are not an error (RFC 7009 §2.2).
    assert_eq!(revoke("never-issued".into(), "docs").await.status(), 200);

    let other = emu.mint_token("docs", "bob").await.unwrap();
    assert_eq!(
        revoke(other.refresh_token.clone().unwrap(), "docs")
            .await
            .status(),
        200
    );
    assert_eq!(
        introspect(&emu, "lasuite", &other.access_token).await["active"],
        false
    );
    let refresh = client()
        .post(oidc(&emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", other.refresh_token.as_deref().unwrap()),
            ("client_id", "docs"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 400);
}

#[tokio::test]
async fn the_minting_endpoint_takes_ttl_scope_and_claims() {
    let emu = util::start().await;
    let response = client()
        .post(format!("{}/_emu/tokens", emu.url()))
        .json(
            &json!({"client_id": "docs", "username": "bob", "ttl": 120, "scope": "openid",
                      "claims": {"sub": "custom-sub", "siret": "12345678901234"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    let access = util::claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], "custom-sub");
    assert_eq!(access["siret"], "12345678901234");
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        120
    );
    let answer = introspect(&emu, "lasuite", body["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["sub"], "custom-sub");
    assert_eq!(answer["client_id"], "docs");

    let bad = [
        json!({"client_id": "docs", "username": "nobody"}),
        json!({"client_id": "nope", "username": "bob"}),
        json!({"client_id": "docs", "username": "bob", "ttl": 0}),
        json!({"client_id": "docs"}),
        json!({"client_id": "docs", "username": "bob", "colour": "red"}),
    ];
    for body in bad {
        let response = client()
            .post(format!("{}/_emu/tokens", emu.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request",
            "{body}"
        );
    }
    let response = client()
        .post(format!("{}/_emu/tokens", emu.url()))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let response = client()
        .post(format!("{}/_emu/tokens", emu.url()))
        .json(&json!({"realm": "nope", "client_id": "docs", "username": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

/// Holds the emulator's writer with a write that waits: returns once it runs, with its task
/// and the sender that lets it finish. Writes queued meanwhile wait behind it.
async fn hold_writer(
    emu: &lasuite_emu::RunningEmulator,
) -> (
    tokio::task::JoinHandle<lasuite_emu::Result<()>>,
    std::sync::mpsc::Sender<()>,
) {
    let (started_tx, started) = std::sync::mpsc::channel::<()>();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let db = emu.app().db.clone();
    let holder = tokio::spawn(async move {
        db.write(move |_tx| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            Ok(())
        })
        .await
    });
    tokio::task::spawn_blocking(move || started.recv().unwrap())
        .await
        .unwrap();
    (holder, release)
}

/// A token is answered before its row is written (`oidc::tokens::PendingTokens`): while the
/// row waits behind a write that holds the writer, the token is already out, and every reader
/// that needs the row (introspection, a refresh, revocation, the control plane's listing)
/// waits for it instead of finding nothing.
#[tokio::test]
async fn a_token_answered_before_its_row_is_written_is_found_by_every_reader() {
    let emu = util::start().await;
    let login = emu.mint_token("docs", "alice").await.unwrap();
    // Its rows written before the writer is held (they would otherwise share the held batch).
    lasuite_emu::oidc::tokens::rows_written(emu.app()).await.unwrap();
    let (holder, release) = hold_writer(&emu).await;

    // A refresh writes nothing but its tokens: answered while the writer is held, so before
    // their rows are written.
    let answer: Value = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        token_request(
            &emu,
            &refresh_form(login.refresh_token.as_deref().unwrap(), "docs"),
        ),
    )
    .await
    .expect("answered with the writer held")
    .json()
    .await
    .unwrap();
    let access = answer["access_token"].as_str().unwrap().to_owned();
    let refresh = answer["refresh_token"].as_str().unwrap().to_owned();
    let introspected = tokio::spawn({
        let (emu_url, access) = (emu.url().to_owned(), access.clone());
        async move {
            client()
                .post(format!(
                    "{emu_url}/realms/lasuite/protocol/openid-connect/token/introspect"
                ))
                .form(&[
                    ("client_id", "drive"),
                    ("client_secret", SECRET),
                    ("token", &access),
                ])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    let refreshed = tokio::spawn({
        let (url, refresh) = (oidc(&emu, "lasuite", "token"), refresh.clone());
        async move {
            client()
                .post(url)
                .form(&refresh_form(&refresh, "docs"))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let listed = tokio::spawn({
        let url = format!("{}/_emu/api/realms/lasuite/tokens?user=alice", emu.url());
        async move {
            client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    // None of them can answer before the row exists (the writer is still held).
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!introspected.is_finished() && !refreshed.is_finished() && !listed.is_finished());
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();

    let introspected = introspected.await.unwrap();
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["client_id"], "docs");
    assert_eq!(refreshed.await.unwrap(), 200);
    let listed = listed.await.unwrap();
    let hashes: Vec<&str> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(
        hashes.contains(&lasuite_emu::oidc::tokens::token_hash(&access).as_str()),
        "{listed}"
    );
}

/// A revocation asked for while the token's row is still queued applies to it: the row is
/// written first, then revoked, and the token is never found active afterwards.
#[tokio::test]
async fn a_token_revoked_before_its_row_is_written_stays_revoked() {
    let emu = util::start().await;
    let (holder, release) = hold_writer(&emu).await;
    let access = token_request(
        &emu,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "docs"),
            ("client_secret", SECRET),
        ],
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = tokio::spawn({
        let (url, access) = (oidc(&emu, "lasuite", "revoke"), access.clone());
        async move {
            client()
                .post(url)
                .form(&[
                    ("client_id", "docs"),
                    ("client_secret", SECRET),
                    ("token", &access),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    assert_eq!(revoked.await.unwrap(), 200);
    let answer = introspect(&emu, "lasuite", &access).await;
    assert_eq!(answer, json!({"active": false}));
}
