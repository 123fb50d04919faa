//! The issuer against forged and dead tokens, and bodies no client should send. Every access
//! token is looked up by the hash of its text, so a token the issuer did not mint is inactive
//! however well it is signed; these tests prove it for each forgery Keycloak users meet.
//! Keycloak's answers: introspection 200 `{"active":false}`; userinfo 401 `invalid_token`
//! "Token verification failed".

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::util::{self, client, oidc};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// The forgeries of a real access token `jwt`, named.
fn forgeries(jwt: &str) -> Vec<(&'static str, String)> {
    let header = util::header(jwt);
    let mut claims = util::claims(jwt);
    let kid = header["kid"].as_str().unwrap().to_owned();
    let [h, c, _] = jwt.split('.').collect::<Vec<_>>()[..] else {
        panic!("a JWS")
    };

    // Another user's subject under alice's own header and signature.
    claims["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let other_sub = format!("{h}.{}.{}", b64(&claims), jwt.rsplit('.').next().unwrap());
    let none = format!("{}.{c}.", b64(&json!({"alg": "none", "typ": "JWT"})));
    let hs256 = {
        // HS256 keyed with the realm's public key: the classic algorithm confusion.
        let secret = util::claims(jwt).to_string();
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        hs.kid = Some(kid.clone());
        jsonwebtoken::encode(&hs, &util::claims(jwt), &key).unwrap()
    };
    let foreign_rsa = {
        use rsa::pkcs8::EncodePrivateKey as _;
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut rs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        rs.kid = Some(kid);
        jsonwebtoken::encode(&rs, &util::claims(jwt), &key).unwrap()
    };
    vec![
        ("another sub under the real signature", other_sub),
        ("alg none", none),
        ("HS256 keyed with public material", hs256),
        ("a foreign RSA key under the realm's kid", foreign_rsa),
        ("truncated", jwt[..jwt.len() - 10].to_owned()),
        ("not a JWT", "garbage".to_owned()),
    ]
}

async fn userinfo(emu: &lasuite_emu::RunningEmulator, token: &str) -> (u16, Value, String) {
    let response = client()
        .get(oidc(emu, "lasuite", "userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, response.json().await.unwrap_or(Value::Null), challenge)
}

fn assert_token_refused(answer: &(u16, Value, String), context: &str) {
    assert_eq!(
        (answer.0, &answer.1),
        (
            401,
            &json!({"error": "invalid_token", "error_description": "Token verification failed"})
        ),
        "{context}"
    );
    assert!(answer.2.starts_with("Bearer"), "{context}: {}", answer.2);
    assert!(
        answer.2.contains("error=\"invalid_token\""),
        "{context}: {}",
        answer.2
    );
}

#[tokio::test]
async fn forged_tokens_are_inactive_at_introspection_and_refused_at_userinfo() {
    let emu = util::start().await;
    let real = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert_eq!(util::introspect(&emu, "lasuite", &real).await["active"], true);
    assert_eq!(userinfo(&emu, &real).await.0, 200);
    for (name, forged) in forgeries(&real) {
        assert_eq!(
            util::introspect(&emu, "lasuite", &forged).await,
            json!({"active": false}),
            "{name}"
        );
        assert_token_refused(&userinfo(&emu, &forged).await, name);
    }
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_inactive_and_refused() {
    let emu = util::start().await;
    let revoked = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let answer = client()
        .post(oidc(&emu, "lasuite", "revoke"))
        .basic_auth("docs", Some("ThisIsAnExampleKeyForDevPurposeOnly"))
        .form(&[("token", revoked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        util::introspect(&emu, "lasuite", &revoked).await,
        json!({"active": false})
    );
    assert_token_refused(&userinfo(&emu, &revoked).await, "revoked");

    let expiring = emu.mint_token("docs", "bob").await.unwrap().access_token;
    let lifetime =
        util::claims(&expiring)["exp"].as_i64().unwrap() - util::claims(&expiring)["iat"].as_i64().unwrap();
    emu.clock().advance(lifetime + 1);
    assert_eq!(
        util::introspect(&emu, "lasuite", &expiring).await,
        json!({"active": false})
    );
    assert_token_refused(&userinfo(&emu, &expiring).await, "expired");
}

#[tokio::test]
async fn a_token_of_one_realm_is_inactive_in_another() {
    // Aliases serve one realm; a realm of its own does not know another's tokens.
    let emu = util::start_with(
        "[[realms]]\nname = \"other\"\n[[realms.clients]]\nclient_id = \"docs\"\nsecret = \"s\"\n",
    )
    .await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let answer = client()
        .post(oidc(&emu, "other", "token/introspect"))
        .basic_auth("docs", Some("s"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.json::<Value>().await.unwrap(), json!({"active": false}));
}

#[tokio::test]
async fn oversized_and_malformed_forms_get_oauth_json() {
    let emu = util::start().await;
    let big = "a=".to_owned() + &"x".repeat(200 * 1024);
    // (The logout endpoint is a browser page: its refusals are HTML, tested with logout.)
    for endpoint in ["token", "token/introspect", "revoke"] {
        let answer = client()
            .post(oidc(&emu, "lasuite", endpoint))
            .basic_auth("docs", Some("ThisIsAnExampleKeyForDevPurposeOnly"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 413, "{endpoint}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{endpoint}: {body}");

        let answer = client()
            .post(oidc(&emu, "lasuite", endpoint))
            .basic_auth("docs", Some("ThisIsAnExampleKeyForDevPurposeOnly"))
            .header("content-type", "application/json")
            .body("{\"token\": \"x\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{endpoint}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{endpoint}: {body}");
    }
    // Bytes that are no UTF-8, repeated parameters: refused, never a crash.
    let answer = client()
        .post(oidc(&emu, "lasuite", "token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=%FF%FE&grant_type=password".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(answer.json::<Value>().await.unwrap()["error"], "invalid_request");
}

/// Introspection caches active tokens: every way a token's life can end must still end it at
/// once, for a token introspected (and so cached) just before.
#[tokio::test]
async fn a_cached_active_token_dies_at_once_however_it_ends() {
    let emu = util::start().await;
    let admin =
        |method: reqwest::Method, path: &str| client().request(method, format!("{}/_emu{path}", emu.url()));
    let live = |token: String| {
        let emu = &emu;
        async move { util::introspect(emu, "lasuite", &token).await["active"] == true }
    };

    let revoked = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert!(live(revoked.clone()).await);
    let answer = admin(reqwest::Method::POST, "/revoke")
        .json(&json!({"token": revoked}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert!(!live(revoked).await, "revoked");

    let logged_out = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert!(live(logged_out.clone()).await);
    let answer = admin(reqwest::Method::POST, "/realms/lasuite/users/alice/logout")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert!(!live(logged_out).await, "the user's sessions ended");

    let deleted = emu.mint_token("docs", "bob").await.unwrap().access_token;
    assert!(live(deleted.clone()).await);
    let answer = admin(reqwest::Method::DELETE, "/realms/lasuite/users/bob")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert!(!live(deleted).await, "the user deleted");

    let of_client = emu.mint_token("find", "alice").await.unwrap().access_token;
    assert!(live(of_client.clone()).await);
    let answer = admin(reqwest::Method::DELETE, "/realms/lasuite/clients/find")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert!(!live(of_client).await, "the client deleted");

    let before_reset = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert!(live(before_reset.clone()).await);
    emu.reset().await.unwrap();
    assert!(!live(before_reset).await, "reset");

    let expiring = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert!(live(expiring.clone()).await);
    emu.clock().advance(301);
    assert!(!live(expiring).await, "expired by the clock");
}
