//! Test harness: start an emulator, a browser-like HTTP client, and small helpers for the
//! login form and JWTs.

#![allow(dead_code)]

use std::collections::HashMap;

use lasuite_emu::{Emulator, RunningEmulator};
use reqwest::redirect::Policy;
use serde_json::Value;

pub const SECRET: &str = "ThisIsAnExampleKeyForDevPurposeOnly";
pub const REDIRECT: &str = "http://localhost:8071/api/v1.0/callback/";

/// The tests exercise every Drive action: they start with `EXTERNAL_API` "all" (the
/// emulator's default is upstream's, which enables five). Tests of the default restrict the
/// setting back (`driveutil::restrict`), or start with `start_default`.
const ALL_ACTIONS: &str = "[drive]\nexternal_api = \"all\"\n";

pub async fn start() -> RunningEmulator {
    start_with("").await
}

pub async fn start_with(fixture_toml: &str) -> RunningEmulator {
    Emulator::builder()
        .fixture_toml(ALL_ACTIONS)
        .fixture_toml(fixture_toml)
        .start()
        .await
        .expect("emulator starts")
}

/// An emulator with nothing but the embedded default fixture, as `lasuite-emu` starts.
pub async fn start_default() -> RunningEmulator {
    Emulator::builder().start().await.expect("emulator starts")
}

/// A browser: keeps cookies, does not follow redirects (tests look at each hop).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A server-side HTTP client (no cookies, no redirects).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

pub fn oidc(emu: &RunningEmulator, realm: &str, endpoint: &str) -> String {
    format!("{}/protocol/openid-connect/{endpoint}", emu.issuer(realm))
}

/// The query parameters of a redirect's `Location`.
pub fn location_params(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// An authorization URL for `client_id` with the given extra parameters.
pub fn auth_url(emu: &RunningEmulator, realm: &str, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&oidc(emu, realm, "auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email")
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .append_pair("acr_values", "eidas1");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

/// The hidden inputs and action of the form with `id` on a login page.
pub fn form_fields(page: &str, id: &str) -> (String, Vec<(String, String)>) {
    lasuite_emu::demo::html_form(page, id).expect("form on the page")
}

/// Submits the login page's password form; returns the emulator's answer.
pub async fn submit_password(
    browser: &reqwest::Client,
    emu: &RunningEmulator,
    page: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let (action, mut fields) = form_fields(page, "kc-form-login");
    fields.push(("username".into(), username.into()));
    fields.push(("password".into(), password.into()));
    browser
        .post(format!("{}{action}", emu.url()))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Clicks a user in the login page's picker.
pub async fn pick_user(
    browser: &reqwest::Client,
    emu: &RunningEmulator,
    page: &str,
    username: &str,
) -> reqwest::Response {
    let (action, mut fields) = form_fields(page, "emu-picker-form");
    fields.push(("pick".into(), username.into()));
    browser
        .post(format!("{}{action}", emu.url()))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Logs `username` in through the login page for `client_id` and returns the code.
pub async fn login_code(
    browser: &reqwest::Client,
    emu: &RunningEmulator,
    client_id: &str,
    username: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> String {
    let page = browser
        .get(auth_url(emu, "lasuite", client_id, extra))
        .send()
        .await
        .unwrap();
    // With an SSO session the emulator answers at once, as Keycloak does.
    let answer = if page.status() == 302 {
        page
    } else {
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        submit_password(browser, emu, &page, username, password).await
    };
    assert_eq!(answer.status(), 302, "login answered {}", answer.status());
    let params = location_params(&answer);
    assert_eq!(params["state"], "state-123");
    params["code"].clone()
}

/// Exchanges a code at the token endpoint (client_secret_post).
pub async fn exchange(
    emu: &RunningEmulator,
    client_id: &str,
    code: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
        ("client_secret", SECRET),
    ];
    form.extend_from_slice(extra);
    client()
        .post(oidc(emu, "lasuite", "token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub async fn introspect(emu: &RunningEmulator, realm: &str, token: &str) -> Value {
    let response = client()
        .post(oidc(emu, realm, "token/introspect"))
        .form(&[
            ("client_id", "drive"),
            ("client_secret", SECRET),
            ("token", token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The claims of a JWT, without checking it.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn header(jwt: &str) -> Value {
    use base64::Engine as _;
    let head = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(head)
            .unwrap(),
    )
    .unwrap()
}

/// Verifies a JWT against the realm's JWKS, as a relying party does (kid lookup, alg match).
pub async fn verify(emu: &RunningEmulator, jwt: &str) -> Value {
    let jwks: Value = client()
        .get(oidc(emu, "lasuite", "certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let head = header(jwt);
    let kid = head["kid"].as_str().expect("kid in the header");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("kid in the JWKS");
    assert_eq!(jwk["alg"], head["alg"]);
    let key = match jwk["kty"].as_str().unwrap() {
        "RSA" => jsonwebtoken::DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap(),
        _ => jsonwebtoken::DecodingKey::from_ec_components(
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap(),
        )
        .unwrap(),
    };
    let alg: jsonwebtoken::Algorithm = head["alg"].as_str().unwrap().parse().unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .expect("valid signature")
        .claims
}

/// S256 PKCE pair (verifier, challenge).
pub fn pkce_pair() -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let verifier = "a".repeat(20) + "-._~" + &"Z9".repeat(20);
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
