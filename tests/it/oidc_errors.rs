//! Bad input at the OAuth endpoints: every case gets the protocol's JSON error and status,
//! never a panic or an HTML page.

use serde_json::Value;

use crate::util::{self, SECRET, client, oidc};

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "JSON error body"
    );
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn token_endpoint_refuses_malformed_requests_in_oauth_json() {
    let emu = util::start().await;
    let url = oidc(&emu, "lasuite", "token");
    let creds = [("client_id", "docs"), ("client_secret", SECRET)];

    let (status, body) = error_of(client().post(&url).form(&creds).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "missing grant_type"
    );

    let mut form = creds.to_vec();
    form.push(("grant_type", "urn:ietf:params:oauth:grant-type:device_code"));
    let (status, body) = error_of(client().post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );

    let (status, body) = error_of(
        client()
            .post(&url)
            .body("grant_type=client_credentials&client_id=docs&client_secret=ThisIsAnExampleKeyForDevPurposeOnly")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "no content type"
    );

    let (status, body) = error_of(
        client()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&grant_type=password&client_id=docs")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "repeated parameter"
    );

    let huge = format!(
        "grant_type=password&client_id=docs&padding={}",
        "x".repeat(100 * 1024)
    );
    let (status, body) = error_of(
        client()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (413, "invalid_request"),
        "oversized body"
    );

    let code = [
        ("grant_type", "authorization_code"),
        ("client_id", "docs"),
        ("client_secret", SECRET),
    ];
    let (status, body) = error_of(client().post(&url).form(&code).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "missing code"
    );
    let mut unknown = code.to_vec();
    unknown.extend([("code", "never-issued"), ("redirect_uri", util::REDIRECT)]);
    let (status, body) = error_of(client().post(&url).form(&unknown).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_grant"),
        "unknown code"
    );
}

#[tokio::test]
async fn bad_client_credentials_are_401_invalid_client() {
    let emu = util::start().await;
    let url = oidc(&emu, "lasuite", "token");
    let cases = [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "docs"),
            ("client_secret", "wrong"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "nope"),
            ("client_secret", SECRET),
        ],
        vec![("grant_type", "client_credentials"), ("client_id", "docs")],
        vec![("grant_type", "client_credentials")],
    ];
    for form in cases {
        let response = client().post(&url).form(&form).send().await.unwrap();
        assert!(response.headers().get("www-authenticate").is_none());
        let (status, body) = error_of(response).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (401, "invalid_client"),
            "{form:?}"
        );
    }
    // With Basic, the 401 carries the Basic challenge (RFC 6749 §5.2).
    let response = client()
        .post(&url)
        .basic_auth("docs", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    // Basic and a different body client_id.
    let response = client()
        .post(&url)
        .basic_auth("docs", Some(SECRET))
        .form(&[("grant_type", "client_credentials"), ("client_id", "drive")])
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(response).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request")
    );
    // Undecodable Basic credentials.
    let response = client()
        .post(&url)
        .header("authorization", "Basic %%%")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.0, 401);
}

#[tokio::test]
async fn unknown_realms_are_404_json_on_every_api_endpoint() {
    let emu = util::start().await;
    for endpoint in ["token", "token/introspect", "revoke", "userinfo"] {
        let response = client()
            .post(oidc(&emu, "nope", endpoint))
            .form(&[("client_id", "docs"), ("client_secret", SECRET), ("token", "x")])
            .send()
            .await
            .unwrap();
        let (status, body) = error_of(response).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (404, "Realm does not exist"),
            "{endpoint}"
        );
    }
    let response = client()
        .get(format!("{}/.well-known/openid-configuration", emu.issuer("nope")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn oversized_headers_are_refused_without_a_crash() {
    let emu = util::start().await;
    let response = client()
        .get(oidc(&emu, "lasuite", "userinfo"))
        .header("x-padding", "y".repeat(512 * 1024))
        .send()
        .await;
    // hyper refuses the head (431) or closes the connection; either way no 5xx and the
    // emulator keeps serving.
    if let Ok(response) = response {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let health = client()
        .get(format!("{}/_emu/health", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn revoke_and_userinfo_refuse_malformed_requests() {
    let emu = util::start().await;
    let revoke = oidc(&emu, "lasuite", "revoke");
    let (status, body) = error_of(
        client()
            .post(&revoke)
            .form(&[("client_id", "docs"), ("client_secret", SECRET)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "no token"
    );
    let (status, _) = error_of(
        client()
            .post(&revoke)
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "no client");

    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let response = client()
        .post(oidc(&emu, "lasuite", "userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(response).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_request"),
        "token given twice"
    );
}
