//! RFC 7662 introspection exactly as django-lasuite checks it (spec/oidc.md §7.4, gotchas
//! §12), and the RFC 9701 JWT answer its `JWTResourceServerBackend` decrypts (§7.5).

use serde_json::{Value, json};

use crate::util::{self, SECRET, client, introspect, oidc};

#[tokio::test]
async fn an_active_token_has_every_member_the_resource_server_checks() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let answer = introspect(&emu, "lasuite", &tokens.access_token).await;
    assert_eq!(answer["active"], true);
    // iss exactly the issuer (no trailing slash): django-lasuite compares it to OIDC_OP_URL.
    assert_eq!(answer["iss"], emu.issuer("lasuite"));
    // client_id is the client the token was issued to, not the introspecting one (gotcha 7).
    assert_eq!(answer["client_id"], "docs");
    assert!(
        answer["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == "openid")
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(answer["exp"].as_i64().unwrap() > now);
    assert!(answer["iat"].as_i64().unwrap() <= now);
    assert!(answer["sub"].is_string());
    assert_eq!(answer["aud"], "account");
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["email"], "alice@example.com");
    assert_eq!(answer["token_type"], "Bearer");
}

#[tokio::test]
async fn anything_not_active_is_active_false_alone() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let foreign = {
        // Well-formed and signed, but not by this issuer.
        let key = jsonwebtoken::EncodingKey::from_secret(b"someone else");
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"sub": "x", "exp": 4_000_000_000u64}),
            &key,
        )
        .unwrap()
    };
    let inactive = json!({"active": false});
    for token in [
        "",
        "garbage",
        "a.b.c",
        foreign.as_str(),
        tokens.refresh_token.as_deref().unwrap(),
        tokens.id_token.as_deref().unwrap(),
    ] {
        if token.is_empty() {
            continue;
        }
        assert_eq!(introspect(&emu, "lasuite", token).await, inactive, "{token}");
    }
    // Issued under realm `lasuite`, presented at alias `drive`: another issuer.
    assert_eq!(introspect(&emu, "drive", &tokens.access_token).await, inactive);
    // Expired: no `exp` in the answer (a past exp makes django-lasuite answer 500, not 400).
    emu.clock().advance(3601);
    assert_eq!(introspect(&emu, "lasuite", &tokens.access_token).await, inactive);
}

#[tokio::test]
async fn introspection_needs_a_confidential_client() {
    let emu =
        util::start_with("[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"spa\"\n").await;
    let url = oidc(&emu, "lasuite", "token/introspect");
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("token", &token)],
        vec![
            ("client_id", "drive"),
            ("client_secret", "wrong"),
            ("token", &token),
        ],
        vec![
            ("client_id", "nope"),
            ("client_secret", SECRET),
            ("token", &token),
        ],
        vec![("client_id", "spa"), ("token", &token)],
    ];
    for form in cases {
        let response = client().post(&url).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 401, "{form:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_client",
            "{form:?}"
        );
    }
    // HTTP Basic is accepted as well as form fields.
    let response = client()
        .post(&url)
        .basic_auth("drive", Some(SECRET))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["active"], true);
    let response = client()
        .post(&url)
        .form(&[("client_id", "drive"), ("client_secret", SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn jwt_introspection_is_signed_es256_and_encrypted_to_the_resource_server() {
    use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
    use base64::Engine as _;
    use rsa::pkcs8::EncodePublicKey as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let rs_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let public_pem = rs_key
        .to_public_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    let fixture = format!(
        "[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"drive-jwt\"\nsecret = \"{SECRET}\"\nintrospection_encryption_key = \"\"\"\n{public_pem}\"\"\"\n"
    );
    let emu = util::start_with(&fixture).await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let response = client()
        .post(oidc(&emu, "lasuite", "token/introspect"))
        .header("accept", "application/token-introspection+jwt")
        .form(&[
            ("client_id", "drive-jwt"),
            ("client_secret", SECRET),
            ("token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    let jwe = response.text().await.unwrap();
    let parts: Vec<&str> = jwe.split('.').collect();
    assert_eq!(parts.len(), 5, "compact JWE");
    let protected: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(protected["alg"], "RSA-OAEP");
    assert_eq!(protected["enc"], "A256GCM");
    let cek = rs_key
        .decrypt(rsa::Oaep::new::<sha1::Sha1>(), &b64.decode(parts[1]).unwrap())
        .unwrap();
    let iv: [u8; 12] = b64.decode(parts[2]).unwrap().try_into().unwrap();
    let mut sealed = b64.decode(parts[3]).unwrap();
    sealed.extend(b64.decode(parts[4]).unwrap());
    let jws = aes_gcm::Aes256Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(
            &aes_gcm::Nonce::from(iv),
            Payload {
                msg: &sealed,
                aad: parts[0].as_bytes(),
            },
        )
        .unwrap();
    let jws = String::from_utf8(jws).unwrap();
    assert_eq!(util::header(&jws)["alg"], "ES256");
    let claims = util::verify(&emu, &jws).await;
    assert_eq!(claims["iss"], emu.issuer("lasuite"));
    assert_eq!(claims["aud"], "drive-jwt");
    assert_eq!(claims["token_introspection"]["active"], true);
    assert_eq!(claims["token_introspection"]["client_id"], "docs");

    // Without a key configured the answer is the signed JWT alone.
    let response = client()
        .post(oidc(&emu, "lasuite", "token/introspect"))
        .header("accept", "application/token-introspection+jwt")
        .form(&[
            ("client_id", "drive"),
            ("client_secret", SECRET),
            ("token", "unknown"),
        ])
        .send()
        .await
        .unwrap();
    let jws = response.text().await.unwrap();
    assert_eq!(
        util::verify(&emu, &jws).await["token_introspection"],
        json!({"active": false})
    );
}

#[tokio::test]
async fn a_bad_resource_server_key_in_a_fixture_is_refused_at_start() {
    let fixture = "[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"rs\"\nsecret = \"s\"\nintrospection_encryption_key = \"not a key\"\n";
    let error = lasuite_emu::Emulator::builder()
        .fixture_toml(fixture)
        .start()
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("introspection_encryption_key"), "{error}");
}

#[tokio::test]
async fn discovery_and_jwks_describe_the_realm() {
    let emu = util::start().await;
    let discovery: Value = client()
        .get(format!(
            "{}/.well-known/openid-configuration",
            emu.issuer("impress")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], emu.issuer("impress"));
    assert_eq!(discovery["jwks_uri"], oidc(&emu, "impress", "certs"));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["plain", "S256"])
    );
    let jwks: Value = client()
        .get(oidc(&emu, "impress", "certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k["kid"].is_string() && k["use"] == "sig"));
    assert!(keys.iter().any(|k| k["alg"] == "RS256") && keys.iter().any(|k| k["alg"] == "ES256"));
    let missing = client().get(oidc(&emu, "nope", "certs")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "Realm does not exist"
    );
}
