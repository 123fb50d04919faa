//! The back-channel logout of Keycloak's logout endpoint: `POST .../logout` with client
//! credentials and `refresh_token` (what python-keycloak, keycloak-js adapters and server-side
//! logouts send) ends the session and answers 204, or an OAuth JSON error.

use serde_json::{Value, json};

use crate::driveutil::call;
use crate::util::{self, SECRET, client, introspect, oidc};

async fn logout(emu: &lasuite_emu::RunningEmulator, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(oidc(emu, "lasuite", "logout"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// `(status, JSON body)` of a response that must be an OAuth error.
async fn oauth_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn invalid_grant(description: &str) -> Value {
    json!({"error": "invalid_grant", "error_description": description})
}

#[tokio::test]
async fn logout_with_a_refresh_token_ends_the_session_and_answers_204() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    // Another client of the same SSO session: Keycloak's logout ends the whole user session.
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await["active"],
        true
    );

    // client_secret_basic, as keycloak-js adapters and python-keycloak send it.
    let response = client()
        .post(oidc(&emu, "lasuite", "logout"))
        .basic_auth("docs", Some(SECRET))
        .form(&[("refresh_token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(response.text().await.unwrap(), "");

    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&emu, "lasuite", &refresh).await,
        json!({"active": false})
    );
    let userinfo = client()
        .get(oidc(&emu, "lasuite", "userinfo"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    let (status, body, _) = call(&emu, "GET", "/items/", Some(&tokens.access_token), None).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!({"type": "server_error", "errors": [{"code": "error", "detail": "Server Error (500)", "attr": null}]})
        ),
        "Drive 0.21.1 (django-lasuite 0.0.28) refuses a token of an ended session with its 500"
    );
    let refreshed = client()
        .post(oidc(&emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", "docs"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        oauth_error(refreshed).await,
        (400, invalid_grant("Session not active"))
    );

    // A second logout with the same token finds no session and is no error (Keycloak: 204).
    let again = logout(
        &emu,
        &[
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn logout_with_client_secret_post_ends_the_session_too() {
    let emu = util::start().await;
    let tokens = emu.mint_token("drive", "bob").await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    let response = logout(
        &emu,
        &[
            ("client_id", "drive"),
            ("client_secret", SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn refresh_token_logout_refuses_bad_clients_and_bad_tokens_as_keycloak_does() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();

    // A confidential client without its secret.
    let response = logout(&emu, &[("client_id", "docs"), ("refresh_token", &refresh)]).await;
    assert_eq!(
        oauth_error(response).await,
        (
            401,
            json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"})
        )
    );
    // A wrong secret over Basic.
    let response = client()
        .post(oidc(&emu, "lasuite", "logout"))
        .basic_auth("docs", Some("wrong"))
        .form(&[("refresh_token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"token\"");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"})
    );
    // No client at all.
    let response = logout(&emu, &[("refresh_token", &refresh)]).await;
    assert_eq!(
        oauth_error(response).await,
        (
            401,
            json!({"error": "invalid_client", "error_description": "Missing client credentials"})
        )
    );

    // Another client's refresh token.
    let response = logout(
        &emu,
        &[
            ("client_id", "drive"),
            ("client_secret", SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(
        oauth_error(response).await,
        (
            400,
            invalid_grant("Invalid refresh token. Token client and authorized client don't match")
        )
    );

    // Garbage, an access token, a well-formed token the store never issued.
    let forged = {
        let other = util::start().await;
        other
            .mint_token("docs", "alice")
            .await
            .unwrap()
            .refresh_token
            .unwrap()
    };
    for bad in ["garbage", tokens.access_token.as_str(), forged.as_str()] {
        let response = logout(
            &emu,
            &[
                ("client_id", "docs"),
                ("client_secret", SECRET),
                ("refresh_token", bad),
            ],
        )
        .await;
        assert_eq!(
            oauth_error(response).await,
            (400, invalid_grant("Invalid refresh token")),
            "{bad}"
        );
    }

    // None of that ended the session.
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await["active"],
        true
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_ends_nothing() {
    let emu = util::start().await;
    let docs = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = docs.refresh_token.clone().unwrap();
    let revoked = client()
        .post(oidc(&emu, "lasuite", "revoke"))
        .form(&[
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("token", &refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let response = logout(
        &emu,
        &[
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(
        oauth_error(response).await,
        (400, invalid_grant("Invalid refresh token"))
    );
}

#[tokio::test]
async fn an_expired_refresh_token_still_logs_out_as_in_keycloak() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    let refresh = tokens.refresh_token.clone().unwrap();
    // Past the refresh token's lifetime: Keycloak's logout does not check expiry
    // (verifyRefreshToken(..., checkExpiration = false)) and ends the session if it is there.
    emu.clock().advance(1801);
    let response = logout(
        &emu,
        &[
            ("client_id", "docs"),
            ("client_secret", SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(response.status(), 204);
    emu.clock().reset();
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn browser_logout_without_a_refresh_token_still_shows_the_page() {
    let emu = util::start().await;
    let tokens = emu.mint_token("docs", "alice").await.unwrap();
    // POST with client credentials but no refresh_token: the RP-initiated path, as before.
    let response = logout(&emu, &[("client_id", "docs")]).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("You are logged out"));
    assert_eq!(
        introspect(&emu, "lasuite", &tokens.access_token).await["active"],
        true,
        "no session named, none ended"
    );
}
