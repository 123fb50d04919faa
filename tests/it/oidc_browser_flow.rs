//! The authorization-code flow as a browser and a relying party drive it: login page, user
//! picker, SSO cookie and silent login, PKCE, codes, logout.

use serde_json::Value;

use crate::util::{
    self, REDIRECT, auth_url, browser, client, exchange, introspect, location_params, login_code, oidc,
    pick_user, submit_password,
};

#[tokio::test]
async fn login_page_carries_the_keycloak_markers_the_e2e_suites_use() {
    let emu = util::start().await;
    let page = browser()
        .get(auth_url(&emu, "impress", "impress", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    // Docs: `.login-pf #kc-header-wrapper` shows the realm name it asked for.
    assert!(html.contains("<html class=\"login-pf\""));
    assert!(html.contains("<div id=\"kc-header-wrapper\">impress</div>"));
    // Drive: "Sign in to your account", textboxes username and password, a "Sign in" button.
    assert!(html.contains("Sign in to your account"));
    assert!(html.contains("id=\"username\"") && html.contains("name=\"password\""));
    assert_eq!(
        html.matches("type=\"submit\"").count(),
        1,
        "one button[type=submit]: the password form's"
    );
    assert!(html.contains(">Sign In</button>"));
    assert!(
        !html.contains("Restart login"),
        "only offered when a login_hint fixed the username"
    );
    // The picker offers every seeded user.
    for user in [
        "alice",
        "bob",
        "drive",
        "impress",
        "user-e2e-chromium",
        "user-e2e-firefox",
        "user-e2e-webkit",
    ] {
        assert!(
            html.contains(&format!("name=\"pick\" value=\"{user}\"")),
            "{user} in the picker"
        );
    }
}

#[tokio::test]
async fn password_login_gives_a_code_that_yields_keycloak_shaped_tokens() {
    let emu = util::start().await;
    let browser = browser();
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let response = exchange(&emu, "docs", &code, &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    for field in [
        "access_token",
        "refresh_token",
        "id_token",
        "session_state",
        "scope",
    ] {
        assert!(tokens[field].is_string(), "{field} in {tokens}");
    }
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(
        tokens["expires_in"], 300,
        "accessTokenLifespan of the upstream dev realms"
    );
    assert_eq!(tokens["scope"], "openid email profile");

    let id = util::verify(&emu, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id["nonce"], "nonce-456");
    assert_eq!(id["aud"], "docs");
    assert_eq!(id["azp"], "docs");
    assert_eq!(id["typ"], "ID");
    assert_eq!(id["iss"], emu.issuer("lasuite"));
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["first_name"], "Alice");
    assert_eq!(id["last_name"], "Liddell");
    assert_eq!(id["sid"], tokens["session_state"]);
    assert!(id["at_hash"].is_string());
    let access = util::verify(&emu, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(access["typ"], "Bearer");
    assert_eq!(access["azp"], "docs");
    assert_eq!(access["sub"], id["sub"]);
    assert!(access.get("nonce").is_none());
}

#[tokio::test]
async fn sub_is_the_same_for_a_user_across_clients() {
    let emu = util::start().await;
    let docs = emu.mint_token("docs", "alice").await.unwrap();
    let drive = emu.mint_token("drive", "alice").await.unwrap();
    let bob = emu.mint_token("docs", "bob").await.unwrap();
    let sub = |t: &str| util::claims(t)["sub"].clone();
    assert_eq!(sub(&docs.access_token), sub(&drive.access_token));
    assert_ne!(sub(&docs.access_token), sub(&bob.access_token));
}

#[tokio::test]
async fn picking_a_user_logs_in_with_one_click_and_puts_them_first_next_time() {
    let emu = util::start().await;
    let browser = browser();
    let page = browser
        .get(auth_url(&emu, "lasuite", "docs", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("class=\"emu-last\""),
        "nobody has logged in yet: no \"last used\" badge"
    );
    let answer = pick_user(&browser, &emu, &page, "bob").await;
    assert_eq!(answer.status(), 302);
    let code = location_params(&answer)["code"].clone();
    let tokens: Value = exchange(&emu, "docs", &code, &[]).await.json().await.unwrap();
    assert_eq!(
        util::claims(tokens["access_token"].as_str().unwrap())["preferred_username"],
        "bob"
    );

    let fresh = util::browser();
    let page = fresh
        .get(auth_url(&emu, "lasuite", "docs", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bob = page.find("value=\"bob\"").unwrap();
    let alice = page.find("value=\"alice\"").unwrap();
    assert!(bob < alice, "the last used user comes first");
    assert!(
        page[bob..alice].contains("class=\"emu-last\""),
        "and is marked so"
    );
}

#[tokio::test]
async fn the_sso_cookie_logs_a_second_app_in_silently() {
    let emu = util::start().await;
    let browser = browser();
    let _ = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    // Another app, same browser: straight back with a code, with and without prompt=none.
    for extra in [&[][..], &[("prompt", "none")][..]] {
        let answer = browser
            .get(auth_url(&emu, "lasuite", "drive", extra))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
        let params = location_params(&answer);
        assert_eq!(params["state"], "state-123");
        let tokens: Value = exchange(&emu, "drive", &params["code"], &[])
            .await
            .json()
            .await
            .unwrap();
        let id = util::claims(tokens["id_token"].as_str().unwrap());
        assert_eq!(id["preferred_username"], "alice");
        assert_eq!(id["aud"], "drive");
    }
    // prompt=login shows the page even with a session.
    let page = browser
        .get(auth_url(&emu, "lasuite", "drive", &[("prompt", "login")]))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required_with_the_state() {
    let emu = util::start().await;
    let answer = browser()
        .get(auth_url(&emu, "lasuite", "docs", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert!(util::location(&answer).starts_with(REDIRECT));
    let params = location_params(&answer);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "state-123");
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn login_hint_prefills_the_username() {
    let emu = util::start().await;
    let page = browser()
        .get(auth_url(
            &emu,
            "lasuite",
            "docs",
            &[("login_hint", "bob@example.com")],
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"username\" value=\"bob@example.com\""));
    // As in Keycloak, "Restart login" lets the person pick another account.
    let restart = page
        .split("id=\"reset-login\" href=\"")
        .nth(1)
        .expect("a Restart login link");
    let restart = restart[..restart.find('"').unwrap()].replace("&amp;", "&");
    assert!(!restart.contains("login_hint"));
    let again = browser()
        .get(format!("{}{restart}", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("name=\"username\" value=\"\"")
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_with_an_error() {
    let emu = util::start().await;
    let browser = browser();
    let page = browser
        .get(auth_url(&emu, "lasuite", "docs", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let answer = submit_password(&browser, &emu, &page, "alice", "wrong").await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("id=\"input-error\""));
    assert!(html.contains("Invalid username or password."));
    assert!(html.contains("value=\"alice\""), "username kept");
    // Unknown user: same message (no user enumeration), login by email works.
    let answer = submit_password(&browser, &emu, &page, "nobody", "x").await;
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("Invalid username or password.")
    );
    let answer = submit_password(&browser, &emu, &page, "ALICE@example.com", "alice").await;
    assert_eq!(answer.status(), 302);
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in() {
    let emu = util::start_with(
        "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"gone\"\npassword = \"gone\"\nemail = \"gone@example.com\"\nenabled = false\n",
    )
    .await;
    let browser = browser();
    let page = browser
        .get(auth_url(&emu, "lasuite", "docs", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("value=\"gone\""),
        "disabled users are not in the picker"
    );
    let answer = submit_password(&browser, &emu, &page, "gone", "gone").await;
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("Account is disabled"));
    let answer = pick_user(&browser, &emu, &page, "gone").await;
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn pkce_s256_and_plain_are_verified() {
    let emu = util::start().await;
    let browser = browser();
    let (verifier, challenge) = util::pkce_pair();
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &pkce).await;
    assert_eq!(
        exchange(&emu, "docs", &code, &[("code_verifier", &verifier)])
            .await
            .status(),
        200
    );

    // Wrong verifier, then no verifier.
    for extra in [&[("code_verifier", &*"b".repeat(43))][..], &[][..]] {
        let code = login_code(&browser, &emu, "docs", "alice", "alice", &pkce).await;
        let response = exchange(&emu, "docs", &code, extra).await;
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }

    let plain = [
        ("code_challenge", verifier.as_str()),
        ("code_challenge_method", "plain"),
    ];
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &plain).await;
    assert_eq!(
        exchange(&emu, "docs", &code, &[("code_verifier", &verifier)])
            .await
            .status(),
        200
    );

    // A verifier without a challenge in the authorization request.
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    assert_eq!(
        exchange(&emu, "docs", &code, &[("code_verifier", &verifier)])
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_code_is_single_use_and_its_reuse_revokes_what_it_gave() {
    let emu = util::start().await;
    let browser = browser();
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let tokens: Value = exchange(&emu, "docs", &code, &[]).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&emu, "lasuite", access).await["active"], true);

    let again = exchange(&emu, "docs", &code, &[]).await;
    assert_eq!(again.status(), 400);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        introspect(&emu, "lasuite", access).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_uri_and_lifetime() {
    let emu = util::start().await;
    let browser = browser();

    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let response = exchange(&emu, "drive", &code, &[]).await;
    assert_eq!(response.status(), 400, "another client's code");

    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let response = client()
        .post(oidc(&emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:8071/other/"),
            ("client_id", "docs"),
            ("client_secret", util::SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error_description"],
        "Incorrect redirect_uri"
    );

    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    emu.clock().advance(61);
    let response = exchange(&emu, "docs", &code, &[]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error_description"],
        "Code is expired"
    );
}

#[tokio::test]
async fn client_secret_basic_authenticates_too() {
    let emu = util::start().await;
    let browser = browser();
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let response = client()
        .post(oidc(&emu, "lasuite", "token"))
        .basic_auth("docs", Some(util::SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn authorization_errors_are_a_page_without_a_trusted_redirect_and_a_redirect_with_one() {
    let emu = util::start().await;
    let browser = browser();
    let base = oidc(&emu, "lasuite", "auth");

    // No trustworthy redirect URI: an HTML page, never a redirect.
    let cases = [
        (
            format!("{base}?response_type=code&redirect_uri={REDIRECT}"),
            "Missing parameter: client_id",
        ),
        (
            format!("{base}?response_type=code&client_id=nope&redirect_uri={REDIRECT}"),
            "Client not found.",
        ),
        (
            format!("{base}?response_type=code&client_id=docs&redirect_uri=https://evil.example/cb"),
            "Invalid parameter: redirect_uri",
        ),
        (
            format!("{base}?response_type=code&client_id=docs"),
            "Invalid parameter: redirect_uri",
        ),
        (
            format!("{base}?client_id=docs&client_id=drive&redirect_uri={REDIRECT}"),
            "Duplicated parameter: client_id",
        ),
    ];
    for (url, message) in cases {
        let response = browser.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(
            response.text().await.unwrap().contains(message),
            "{url} -> {message}"
        );
    }

    // A valid redirect URI: the error goes back to the client with its state.
    let long = "x".repeat(43);
    let cases = [
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("code_challenge", "short")], "invalid_request"),
        (
            vec![
                ("code_challenge_method", "S512"),
                ("code_challenge", long.as_str()),
            ],
            "invalid_request",
        ),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("response_mode", "form_post")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let mut url = url::Url::parse(&auth_url(&emu, "lasuite", "docs", &[])).unwrap();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .extend_pairs(&extra);
        let response = browser.get(url.as_str()).send().await.unwrap();
        assert_eq!(response.status(), 302, "{extra:?}");
        let params = location_params(&response);
        assert_eq!(params["error"], error, "{extra:?}");
        assert_eq!(params["state"], "state-123");
    }

    // Missing response_type, unknown realm.
    let url = format!("{base}?client_id=docs&redirect_uri={REDIRECT}&state=s");
    let response = browser.get(&url).send().await.unwrap();
    assert_eq!(location_params(&response)["error"], "invalid_request");
    let response = browser
        .get(auth_url(&emu, "nope", "docs", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Realm does not exist"));
}

#[tokio::test]
async fn redirect_uris_follow_the_client_patterns() {
    let emu = util::start_with(
        "[[realms]]\nname = \"lasuite\"\n[[realms.clients]]\nclient_id = \"strict\"\nsecret = \"s\"\nredirect_uris = [\"http://localhost:8071/*\"]\n",
    )
    .await;
    let ok = browser()
        .get(auth_url(&emu, "lasuite", "strict", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let url = auth_url(&emu, "lasuite", "strict", &[]).replace("localhost%3A8071", "localhost%3A3000");
    let refused = browser().get(url).send().await.unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn logout_ends_the_sso_session_and_returns_with_the_state() {
    let emu = util::start().await;
    let browser = browser();
    let code = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let tokens: Value = exchange(&emu, "docs", &code, &[]).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let back = "http://localhost:8071/api/v1.0/logout-callback/";
    let mut url = url::Url::parse(&oidc(&emu, "lasuite", "logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("state", "logout-state")
        .append_pair("post_logout_redirect_uri", back);
    let answer = browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    assert_eq!(util::location(&answer), format!("{back}?state=logout-state"));

    // The session is over: silent login fails, the tokens are dead, refresh is refused.
    let silent = browser
        .get(auth_url(&emu, "lasuite", "docs", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(location_params(&silent)["error"], "login_required");
    assert_eq!(
        introspect(&emu, "lasuite", access).await,
        serde_json::json!({"active": false})
    );
    let refresh = client()
        .post(oidc(&emu, "lasuite", "token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "docs"),
            ("client_secret", util::SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 400);
    assert_eq!(refresh.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn logout_without_redirect_shows_a_page_and_bad_logouts_are_refused() {
    let emu = util::start().await;
    let browser = browser();
    let _ = login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let page = browser.get(oidc(&emu, "lasuite", "logout")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("You are logged out"));
    let silent = browser
        .get(auth_url(&emu, "lasuite", "docs", &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(location_params(&silent)["error"], "login_required");

    let logout = oidc(&emu, "lasuite", "logout");
    let cases = [
        format!("{logout}?post_logout_redirect_uri=http://localhost:3000/"),
        format!("{logout}?id_token_hint=not.a.jwt"),
        format!("{logout}?client_id=docs&post_logout_redirect_uri=https://evil.example/"),
    ];
    for url in cases {
        let response = browser.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}
