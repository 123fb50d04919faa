//! Issue 13: audiences as Keycloak computes them (role audiences with full scope, audience
//! mappers, one audience a string), lifetimes as the upstream dev realms set them, and standard
//! token exchange (RFC 8693, Keycloak 26.2+) with each of Keycloak's refusals.

use serde_json::{Value, json};

use crate::util::{self, SECRET, client, introspect, oidc};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const REFRESH: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// The seed's clients (fixtures/seed.toml), plus a public client and one that may ask for
/// refresh tokens.
fn fixture() -> String {
    format!(
        "{}\n[[realms.clients]]\nclient_id = \"spa\"\nstandard_token_exchange = true\n\
         [[realms.clients]]\nclient_id = \"refresher\"\nsecret = \"{SECRET}\"\n\
         standard_token_exchange = true\ntoken_exchange_refresh = true\n\
         [[realms.clients]]\nclient_id = \"both\"\nsecret = \"{SECRET}\"\naudiences = [\"drive\", \"docs\"]\n\
         access_token_lifespan = 1200\n",
        include_str!("../../fixtures/seed.toml")
    )
}

async fn start() -> lasuite_emu::RunningEmulator {
    util::start_with(&fixture()).await
}

async fn token_for(emu: &lasuite_emu::RunningEmulator, client_id: &str) -> String {
    emu.mint_token(client_id, "alice").await.unwrap().access_token
}

async fn exchange(
    emu: &lasuite_emu::RunningEmulator,
    client_id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut fields = vec![("grant_type", EXCHANGE), ("client_id", client_id)];
    if let Some(secret) = secret {
        fields.push(("client_secret", secret));
    }
    fields.extend_from_slice(form);
    let answer = client()
        .post(oidc(emu, "lasuite", "token"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

fn error(code: &str, description: &str) -> Value {
    json!({"error": code, "error_description": description})
}

#[tokio::test]
async fn the_default_audience_is_keycloaks_account_as_one_string() {
    let emu = util::start().await;
    let token = token_for(&emu, "docs").await;
    let claims = util::claims(&token);
    assert_eq!(claims["aud"], "account");
    assert_eq!(
        claims["resource_access"]["account"]["roles"],
        json!(["manage-account", "view-profile"])
    );
    assert_eq!(introspect(&emu, "lasuite", &token).await["aud"], "account");
}

#[tokio::test]
async fn audience_mappers_and_full_scope_decide_aud() {
    let emu = start().await;
    // One mapper, full scope off: one audience, a string; no roles in the token.
    let docs = util::claims(&token_for(&emu, "docs").await);
    assert_eq!(docs["aud"], "drive");
    assert!(docs.get("resource_access").is_none() && docs.get("realm_access").is_none());
    // Full scope on and two mappers: an array, the role audience first.
    let both = util::claims(&token_for(&emu, "both").await);
    assert_eq!(both["aud"], json!(["account", "drive", "docs"]));
    // Full scope off, no mapper: no audience at all.
    let emu = util::start_with(&format!(
        "[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"bare\"\nsecret = \"{SECRET}\"\nfull_scope_allowed = false\n"
    ))
    .await;
    let bare = token_for(&emu, "bare").await;
    assert!(util::claims(&bare).get("aud").is_none());
    assert!(introspect(&emu, "lasuite", &bare).await.get("aud").is_none());
}

#[tokio::test]
async fn lifetimes_are_the_dev_realms_with_client_overrides() {
    let emu = start().await;
    // A still clock: a second boundary between minting and checking must not shorten the life.
    emu.clock().freeze_at(emu.clock().now());
    let issued = emu.mint_token("docs", "alice").await.unwrap();
    assert_eq!(
        issued.expires_in, 300,
        "accessTokenLifespan of the upstream dev realms"
    );
    assert_eq!(issued.refresh_expires_in, 1800, "ssoSessionIdleTimeout");
    let longer = emu.mint_token("both", "alice").await.unwrap();
    assert_eq!(longer.expires_in, 1200, "the client's access.token.lifespan");
    // A token lives its lifetime by the emulator's clock, then is inactive.
    emu.clock().advance(299);
    assert_eq!(
        introspect(&emu, "lasuite", &issued.access_token).await["active"],
        true
    );
    emu.clock().advance(2);
    assert_eq!(
        introspect(&emu, "lasuite", &issued.access_token).await,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&emu, "lasuite", &longer.access_token).await["active"],
        true
    );
}

#[tokio::test]
async fn a_keycloak_export_brings_its_audience_mappers_and_exchange_settings() {
    let export = json!({
        "realm": "exported",
        "defaultDefaultClientScopes": ["profile", "drive-audience"],
        "clientScopes": [{
            "name": "drive-audience",
            "protocolMappers": [{
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.client.audience": "drive", "access.token.claim": "true"}
            }]
        }],
        "clients": [
            {"clientId": "docs", "secret": "s", "fullScopeAllowed": false,
             "attributes": {"standard.token.exchange.enabled": "true", "access.token.lifespan": "600"},
             "protocolMappers": [{"protocolMapper": "oidc-audience-mapper",
                                  "config": {"included.custom.audience": "urn:custom", "access.token.claim": "true"}},
                                 {"protocolMapper": "oidc-audience-mapper",
                                  "config": {"included.client.audience": "ignored", "access.token.claim": "false"}}]},
            {"clientId": "drive", "secret": "s"}
        ],
        "users": [{"username": "alice", "email": "alice@example.com", "enabled": true,
                   "credentials": [{"type": "password", "value": "alice"}]}]
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("realm.json");
    std::fs::write(&path, export.to_string()).unwrap();
    let emu = lasuite_emu::Emulator::builder()
        .fixture_file(&path)
        .start()
        .await
        .unwrap();
    let mut request = lasuite_emu::admin::MintRequest::new("docs", "alice");
    request.realm = "exported".into();
    let issued = emu.mint(request).await.unwrap();
    assert_eq!(issued.expires_in, 600);
    assert_eq!(
        util::claims(&issued.access_token)["aud"],
        json!(["urn:custom", "drive"])
    );
}

#[tokio::test]
async fn drive_exchanges_a_docs_token_for_its_own() {
    let emu = start().await;
    let docs = emu.mint_token("docs", "alice").await.unwrap();
    let (status, body) = exchange(
        &emu,
        "drive",
        Some(SECRET),
        &[
            ("subject_token", &docs.access_token),
            ("subject_token_type", ACCESS),
            // Without it the new token has the client's default scopes only (no `openid`),
            // which Drive refuses, as with Keycloak.
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert!(body.get("refresh_token").is_none(), "only when asked and allowed");
    let exchanged = body["access_token"].as_str().unwrap();
    let (old, new) = (util::claims(&docs.access_token), util::claims(exchanged));
    assert_eq!(new["azp"], "drive");
    assert_eq!(new["aud"], "docs", "the drive client's own audience mapper");
    assert_eq!(
        (&new["sub"], &new["sid"]),
        (&old["sub"], &old["sid"]),
        "same user, same session"
    );
    let active = introspect(&emu, "lasuite", exchanged).await;
    assert_eq!(
        (&active["active"], &active["client_id"]),
        (&json!(true), &json!("drive"))
    );
    // The Drive API accepts it.
    let (status, me, _) = crate::driveutil::call(&emu, "GET", "/users/me/", Some(exchanged), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "alice@example.com");
}

#[tokio::test]
async fn docs_exchanges_its_token_for_the_drive_audience() {
    let emu = start().await;
    let docs = token_for(&emu, "docs").await;
    let (status, body) = exchange(
        &emu,
        "docs",
        Some(SECRET),
        &[
            ("subject_token", &docs),
            ("subject_token_type", ACCESS),
            ("audience", "drive"),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let claims = util::claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (&claims["azp"], &claims["aud"]),
        (&json!("docs"), &json!("drive"))
    );
    assert_eq!(body["scope"], "openid email profile");
    assert!(
        body["id_token"].is_string(),
        "openid asked: an ID token too, as Keycloak"
    );
}

#[tokio::test]
async fn the_exchanged_token_ends_with_the_subjects_session() {
    let emu = start().await;
    let docs = token_for(&emu, "docs").await;
    let (_, body) = exchange(
        &emu,
        "drive",
        Some(SECRET),
        &[("subject_token", &docs), ("subject_token_type", ACCESS)],
    )
    .await;
    let exchanged = body["access_token"].as_str().unwrap().to_owned();
    // The admin ends alice's sessions (Keycloak: sign out the user): both tokens die.
    let logout = client()
        .post(format!("{}/_emu/realms/lasuite/users/alice/logout", emu.url()))
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success());
    assert_eq!(introspect(&emu, "lasuite", &docs).await, json!({"active": false}));
    assert_eq!(
        introspect(&emu, "lasuite", &exchanged).await,
        json!({"active": false})
    );
    // And a dead subject token cannot be exchanged again.
    let (status, body) = exchange(
        &emu,
        "drive",
        Some(SECRET),
        &[("subject_token", &docs), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!((status, body), (400, error("invalid_request", "Invalid token")));
}

#[tokio::test]
async fn refresh_tokens_only_where_the_client_allows_them() {
    let emu = start().await;
    // `refresher` is not in the docs token's audience: use its own token.
    let own = token_for(&emu, "refresher").await;
    let (status, body) = exchange(
        &emu,
        "refresher",
        Some(SECRET),
        &[
            ("subject_token", &own),
            ("subject_token_type", ACCESS),
            ("requested_token_type", REFRESH),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], REFRESH);
    assert!(body["refresh_token"].is_string());
    let docs = token_for(&emu, "drive").await;
    let (status, body) = exchange(
        &emu,
        "docs",
        Some(SECRET),
        &[
            ("subject_token", &docs),
            ("subject_token_type", ACCESS),
            ("requested_token_type", REFRESH),
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (400, error("invalid_request", "requested_token_type unsupported"))
    );
}

#[tokio::test]
async fn each_refusal_is_keycloaks() {
    let emu = start().await;
    let docs = token_for(&emu, "docs").await;
    let find = token_for(&emu, "find").await;
    let subject = [("subject_token", docs.as_str()), ("subject_token_type", ACCESS)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = subject.to_vec();
        form.extend_from_slice(extra);
        form
    };
    // (client, secret, form, Keycloak's status and body)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, &'a str)>, u16, Value);
    let cases: Vec<Case> = vec![
        (
            "find",
            Some(SECRET),
            subject.to_vec(),
            400,
            error(
                "invalid_request",
                "Standard token exchange is not enabled for the requested client",
            ),
        ),
        (
            "drive",
            Some(SECRET),
            vec![("subject_token_type", ACCESS)],
            400,
            error(
                "invalid_request",
                "Parameter 'subject_token' required for standard token exchange",
            ),
        ),
        (
            "drive",
            Some(SECRET),
            vec![("subject_token", docs.as_str())],
            400,
            error(
                "invalid_request",
                "Parameter 'subject_token_type' required for standard token exchange",
            ),
        ),
        (
            "drive",
            Some(SECRET),
            vec![("subject_token", docs.as_str()), ("subject_token_type", REFRESH)],
            400,
            error(
                "invalid_request",
                "Parameter 'subject_token' supports access tokens only",
            ),
        ),
        (
            "drive",
            Some(SECRET),
            with(&[("requested_subject", "bob")]),
            400,
            error(
                "invalid_request",
                "Parameter 'requested_subject' is not supported for standard token exchange",
            ),
        ),
        (
            "drive",
            Some(SECRET),
            vec![("subject_token", "garbage"), ("subject_token_type", ACCESS)],
            400,
            error("invalid_request", "Invalid token"),
        ),
        (
            "drive",
            Some(SECRET),
            with(&[("audience", "nobody")]),
            400,
            error("invalid_client", "Audience not found"),
        ),
        (
            "spa",
            None,
            with(&[]),
            400,
            error("invalid_client", "Public client is not allowed to exchange token"),
        ),
        (
            "drive",
            Some(SECRET),
            vec![("subject_token", find.as_str()), ("subject_token_type", ACCESS)],
            403,
            error("access_denied", "Client is not within the token audience"),
        ),
        (
            "drive",
            Some(SECRET),
            with(&[("scope", "openid phone")]),
            400,
            error("invalid_scope", "Invalid scopes: openid phone"),
        ),
        (
            "drive",
            Some(SECRET),
            with(&[("audience", "find")]),
            400,
            error("invalid_request", "Requested audience not available: find"),
        ),
        (
            "drive",
            Some(SECRET),
            with(&[("requested_token_type", "urn:ietf:params:oauth:token-type:saml2")]),
            400,
            error("invalid_request", "requested_token_type unsupported"),
        ),
        (
            "drive",
            Some("wrong"),
            with(&[]),
            401,
            error("invalid_client", "Invalid client or Invalid client credentials"),
        ),
    ];
    for (client_id, secret, form, status, body) in cases {
        let answer = exchange(&emu, client_id, secret, &form).await;
        assert_eq!(answer, (status, body.clone()), "{client_id} {form:?}");
    }
}

#[tokio::test]
async fn minting_takes_an_audience_and_an_exchange() {
    let emu = start().await;
    let mut request = lasuite_emu::admin::MintRequest::new("find", "alice");
    request.audience = vec!["drive".into()];
    let minted = emu.mint(request).await.unwrap();
    assert_eq!(util::claims(&minted.access_token)["aud"], "drive");

    let answer = client()
        .post(format!("{}/_emu/tokens", emu.url()))
        .json(&json!({"client_id": "docs", "username": "alice", "exchange_for": "drive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    let claims = util::claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (&claims["azp"], &claims["aud"]),
        (&json!("drive"), &json!("docs"))
    );
    // The exchange is checked: find's token is not within drive's audience.
    let answer = client()
        .post(format!("{}/_emu/tokens", emu.url()))
        .json(&json!({"client_id": "find", "username": "alice", "exchange_for": "drive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
}

#[tokio::test]
async fn drive_configured_as_the_seed_accepts_docs_and_exchanged_tokens_only() {
    // [drive] audience_claim = "aud", allowed_audiences = ["drive", "docs"] (fixtures/seed.toml),
    // checked as django-lasuite does: str(aud) in the allowed list.
    let emu = start().await;
    let me = |token: String| {
        let emu = &emu;
        async move {
            crate::driveutil::call(emu, "GET", "/users/me/", Some(&token), None)
                .await
                .0
        }
    };
    assert_eq!(me(token_for(&emu, "docs").await).await, 200, "aud \"drive\"");
    assert_eq!(me(token_for(&emu, "drive").await).await, 200, "aud \"docs\"");
    assert_eq!(me(token_for(&emu, "find").await).await, 403, "aud \"account\"");
    assert_eq!(
        me(token_for(&emu, "both").await).await,
        403,
        "an array never passes"
    );
    let mut request = lasuite_emu::admin::MintRequest::new("docs", "alice");
    request.exchange_for = Some("drive".into());
    request.scope = Some("openid".into());
    let exchanged = emu.mint(request).await.unwrap().access_token;
    assert_eq!(me(exchanged).await, 200);
}
