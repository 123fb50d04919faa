//! Drive's external API, first slice (issue 4): authentication, gating, the error envelope and
//! `users/` (spec §2-§4, §9.4; checklist items named where they apply).

use base64::Engine as _;
use lasuite_emu::admin::MintRequest;
use serde_json::{Value, json};

use crate::driveutil::{API, DJANGO_404, call, error, journal_reason, raw, restrict, server_error};
use crate::util::{self, client};

#[tokio::test]
async fn users_me_returns_the_caller_and_one_identity_across_clients() {
    // USR-03
    let emu = util::start().await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (status, me, _) = call(&emu, "GET", "/users/me/", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["full_name"], "Alice Liddell");
    assert_eq!(me["short_name"], "Alice");
    let keys: Vec<&String> = me.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "column_preferences",
            "email",
            "full_name",
            "id",
            "language",
            "last_release_note_seen",
            "short_name"
        ]
    );
    assert!(uuid::Uuid::parse_str(me["id"].as_str().unwrap()).is_ok());
    let other_client = emu.mint_token("impress", "alice").await.unwrap().access_token;
    assert_eq!(
        call(&emu, "GET", "/users/me/", Some(&other_client), None).await.1["id"],
        me["id"]
    );
    // Upstream tests send the bearer value base64-encoded: it is decoded (§2.1).
    let encoded = base64::engine::general_purpose::STANDARD.encode(&token);
    assert_eq!(call(&emu, "GET", "/users/me/", Some(&encoded), None).await.0, 200);
}

#[tokio::test]
async fn gat_02_gat_04_credentials_are_refused_with_upstreams_statuses_and_bodies() {
    let emu = util::start().await;
    let (status, body, headers) = call(&emu, "GET", "/users/me/", None, None).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "not_authenticated",
                "Authentication credentials were not provided."
            )
        )
    );
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    let basic = client()
        .get(format!("{}{API}/users/me/", emu.url()))
        .basic_auth("docs", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401, "another scheme is no credentials");
    for (header, detail) in [
        ("Bearer", "Invalid \"bearer\" header: No credentials provided."),
        (
            "Bearer a b",
            "Invalid \"bearer\" header: Credentials string should not contain spaces.",
        ),
    ] {
        let response = client()
            .get(format!("{}{API}/users/me/", emu.url()))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            error("authentication_failed", detail)
        );
    }
    // USR-04: a valid token whose sub is nobody's.
    let mut request = MintRequest::new("docs", "alice");
    request.claims.insert("sub".into(), json!("very-specific-sub"));
    let stranger = emu.mint(request).await.unwrap().access_token;
    let (status, body, _) = call(&emu, "GET", "/users/me/", Some(&stranger), None).await;
    assert_eq!(
        (status, body),
        (
            401,
            error(
                "authentication_failed",
                "Login failed: No user found for the given access token."
            )
        )
    );
    // EXT-04: the same on the items list.
    let (status, _, _) = call(&emu, "GET", "/items/", Some(&stranger), None).await;
    assert_eq!(status, 401);
    // Not active: garbage, revoked, expired; another issuer.
    let revoked = emu.mint_token("docs", "bob").await.unwrap().access_token;
    client()
        .post(format!("{}/_emu/revoke", emu.url()))
        .json(&json!({"token": revoked}))
        .send()
        .await
        .unwrap();
    let alias = client()
        .post(format!("{}/protocol/openid-connect/token", emu.issuer("impress")))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "docs"),
            ("client_secret", util::SECRET),
            ("username", "bob"),
            ("password", "bob"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // FID-09: django-lasuite 0.0.28 (Drive 0.21.1's pin) raises a SuspiciousOperation nobody
    // catches: 500 in the envelope (Production). The journal tells why.
    let expiring = emu.mint_token("docs", "bob").await.unwrap().access_token;
    let mut request = MintRequest::new("docs", "bob");
    request.scope = Some("email".into());
    let no_openid = emu.mint(request).await.unwrap().access_token;
    for (token, cause) in [
        ("garbage.token.value", "the token is unknown to the issuer"),
        (revoked.as_str(), "the access token was revoked"),
        (
            alias.as_str(),
            "wrong issuer: the token was issued by realm \"impress\"",
        ),
        (no_openid.as_str(), "the token's scope \"email"),
    ] {
        let (status, body, _) = call(&emu, "GET", "/users/me/", Some(token), None).await;
        assert_eq!((status, body), (500, server_error()), "{cause}");
        let reason = journal_reason(&emu, "/users/me/").await;
        assert!(reason.as_str().unwrap().starts_with(cause), "{reason}");
    }
    emu.clock().advance(7200);
    let (status, body, _) = call(&emu, "GET", "/users/me/", Some(&expiring), None).await;
    assert_eq!((status, body), (500, server_error()));
    let reason = journal_reason(&emu, "/users/me/").await;
    assert!(
        reason.as_str().unwrap().starts_with("the access token expired "),
        "{reason}"
    );
}

#[tokio::test]
async fn the_gate_refuses_other_audiences_and_disabled_or_unmapped_actions() {
    let emu = util::start().await;
    let find = emu.mint_token("find", "alice").await.unwrap().access_token;
    let (status, body, _) = call(&emu, "GET", "/users/me/", Some(&find), None).await;
    assert_eq!(
        (status, body),
        (
            403,
            error(
                "permission_denied",
                "You do not have permission to perform this action."
            )
        )
    );

    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let me = call(&emu, "GET", "/users/me/", Some(&token), None).await.1;
    let other = call(
        &emu,
        "GET",
        "/users/me/",
        Some(&emu.mint_token("docs", "bob").await.unwrap().access_token),
        None,
    )
    .await
    .1;
    let other_id = other["id"].as_str().unwrap();

    // Upstream's default EXTERNAL_API: users only get_me (USR-05 to USR-08).
    restrict(&emu, r#"{"items": {"enabled": true, "actions": ["create", "list", "retrieve", "children", "upload_ended"]}, "users": {"enabled": true, "actions": ["get_me"]}}"#).await;
    assert_eq!(call(&emu, "GET", "/users/me/", Some(&token), None).await.0, 200);
    assert_eq!(
        call(&emu, "GET", "/users/?q=alice", Some(&token), None).await.0,
        403,
        "USR-05"
    );
    assert_eq!(
        call(&emu, "GET", &format!("/users/{other_id}/"), Some(&token), None)
            .await
            .0,
        403,
        "USR-06"
    );
    for method in ["PUT", "PATCH"] {
        assert_eq!(
            call(
                &emu,
                method,
                &format!("/users/{other_id}/"),
                Some(&token),
                Some(json!({}))
            )
            .await
            .0,
            403,
            "USR-07 {method}"
        );
    }
    assert_eq!(
        call(&emu, "DELETE", &format!("/users/{other_id}/"), Some(&token), None)
            .await
            .0,
        403,
        "USR-08"
    );
    // A disabled action is refused before any lookup (a made-up id is still 403).
    assert_eq!(
        call(
            &emu,
            "PATCH",
            &format!("/users/{}/", me["id"].as_str().unwrap()),
            Some(&token),
            Some(json!({}))
        )
        .await
        .0,
        403
    );

    // Python-literal settings are read as upstream reads them; a disabled resource has no routes.
    restrict(&emu, "{'users': {'enabled': False, 'actions': ['get_me']}}").await;
    let (status, content_type, body) = raw(&emu, "GET", "/users/me/", Some(&token)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (404, "text/html; charset=utf-8", DJANGO_404)
    );
}

#[tokio::test]
async fn gat_06_a_user_updates_their_own_preferences_with_validation() {
    let emu = util::start().await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let me = call(&emu, "GET", "/users/me/", Some(&token), None).await.1;
    let path = format!("/users/{}/", me["id"].as_str().unwrap());

    let (status, updated, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"language": "fr-fr", "email": "ignored@x"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["language"].as_str(), updated["email"].as_str()),
        (Some("fr-fr"), Some("alice@example.com"))
    );
    let (_, updated, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&token),
        Some(json!({"column_preferences": {"column1": "file_size", "column2": "created"}})),
    )
    .await;
    assert_eq!(updated["language"], "fr-fr", "PATCH keeps what it does not name");
    let (_, updated, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&token),
        Some(json!({"last_release_note_seen": "1.2.3"})),
    )
    .await;
    assert_eq!(
        (
            updated["language"].clone(),
            updated["last_release_note_seen"].as_str()
        ),
        (Value::Null, Some("1.2.3")),
        "PUT replaces"
    );

    let cases = [
        (json!({"language": "xx-yy"}), "language", "invalid_choice"),
        (
            json!({"last_release_note_seen": "v1"}),
            "last_release_note_seen",
            "invalid",
        ),
        (
            json!({"column_preferences": {"column3": "created"}}),
            "column_preferences",
            "invalid",
        ),
        (
            json!({"column_preferences": {"column1": "colour"}}),
            "column_preferences",
            "invalid",
        ),
    ];
    for (body, attr, code) in cases {
        let (status, answer, _) = call(&emu, "PATCH", &path, Some(&token), Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["type"], "validation_error");
        assert_eq!(
            (
                answer["errors"][0]["attr"].as_str(),
                answer["errors"][0]["code"].as_str()
            ),
            (Some(attr), Some(code)),
            "{body}"
        );
    }
    let bob = call(
        &emu,
        "GET",
        "/users/me/",
        Some(&emu.mint_token("docs", "bob").await.unwrap().access_token),
        None,
    )
    .await
    .1;
    assert_eq!(
        call(
            &emu,
            "PATCH",
            &format!("/users/{}/", bob["id"].as_str().unwrap()),
            Some(&token),
            Some(json!({}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(&emu, "GET", &path, Some(&token), None).await.0,
        403,
        "retrieve is not mapped"
    );

    let url = format!("{}{API}{path}", emu.url());
    let form = client()
        .patch(&url)
        .bearer_auth(&token)
        .form(&[("language", "fr-fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    assert_eq!(
        form.json::<Value>().await.unwrap()["errors"][0]["code"],
        "unsupported_media_type"
    );
    let bad = client()
        .patch(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // FID-06: Python's json module's words and positions, as DRF's parser reports them.
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        error(
            "parse_error",
            "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        )
    );
    for (body, detail) in [
        (
            r#"{"type": "file", "filename": nope}"#,
            "Expecting value: line 1 column 30 (char 29)",
        ),
        (
            r#"{"language": "fr-fr"} x"#,
            "Extra data: line 1 column 23 (char 22)",
        ),
        (
            r#"{"language": "fr"#,
            "Unterminated string starting at: line 1 column 14 (char 13)",
        ),
        (r#"{"language": "#, "Expecting value: line 1 column 14 (char 13)"),
        (
            "{\"language\": \"fr-fr\",}",
            "Illegal trailing comma before end of object: line 1 column 21 (char 20)",
        ),
    ] {
        let answer = client()
            .patch(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        assert_eq!(
            answer.json::<Value>().await.unwrap(),
            error("parse_error", &format!("JSON parse error - {detail}")),
            "{body}"
        );
    }
    for (body, kind) in [
        ("[1]", "list"),
        ("\"fr\"", "str"),
        ("3", "int"),
        ("null", "NoneType"),
    ] {
        let (status, answer, _) = call(
            &emu,
            "PATCH",
            &path,
            Some(&token),
            Some(serde_json::from_str(body).unwrap()),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            answer["errors"][0]["detail"],
            format!("Invalid data. Expected a dictionary, but got {kind}."),
        );
    }
}

#[tokio::test]
async fn the_user_search_matches_emails_by_distance_or_trigrams() {
    let emu = util::start().await;
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    for user in ["bob", "drive", "impress"] {
        call(
            &emu,
            "GET",
            "/users/me/",
            Some(&emu.mint_token("docs", user).await.unwrap().access_token),
            None,
        )
        .await;
    }
    let emails = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        call(&emu, "GET", "/users/?q=bob", Some(&token), None).await.1,
        json!([]),
        "under 5 characters"
    );
    assert_eq!(
        emails(
            &call(&emu, "GET", "/users/?q=bob@exmple.com", Some(&token), None)
                .await
                .1
        ),
        ["bob@example.com"]
    );
    assert_eq!(
        emails(&call(&emu, "GET", "/users/?q=impress", Some(&token), None).await.1),
        ["impress@impress.world"]
    );
    assert_eq!(
        call(&emu, "GET", "/users/", Some(&token), None).await.1,
        json!([])
    );
}

#[tokio::test]
async fn gat_05_fid_03_routing_redirects_a_missing_slash_and_answers_unknown_paths_with_djangos_page() {
    let emu = util::start().await;
    let response = client()
        .get(format!("{}{API}/users/me?x=1", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/external_api/v1.0/users/me/?x=1");
    // FID-03: no route is Django's plain 404 page (Production), byte for byte, whoever asks.
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let item = uuid::Uuid::new_v4();
    for (path, token) in [
        ("/nothing/here/".to_owned(), None),
        ("/nope/".to_owned(), Some(token.as_str())),
        (format!("/items/{item}/nope/"), Some(token.as_str())),
        ("/items/a.b/".to_owned(), Some(token.as_str())),
    ] {
        let (status, content_type, body) = raw(&emu, "GET", &path, token).await;
        assert_eq!(
            (status, content_type.as_str(), body.as_str(), body.len()),
            (404, "text/html; charset=utf-8", DJANGO_404, 179),
            "{path}"
        );
    }
    assert!(
        journal_reason(&emu, "/nope/")
            .await
            .as_str()
            .unwrap()
            .starts_with("no route"),
        "the journal says why"
    );

    // The journal names the client and the user of Drive requests.
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    call(&emu, "GET", "/users/me/", Some(&token), None).await;
    let journal: Value = client()
        .get(format!("{}/_emu/journal?service=drive&status=200", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = &journal["entries"][0];
    assert_eq!(
        (entry["client"].as_str(), entry["user"].as_str()),
        (Some("docs"), Some("alice@example.com"))
    );
}

#[tokio::test]
async fn usr_09_usr_12_search_by_email_and_the_preferences_shape() {
    let emu = util::start_with(
        "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"john\"\npassword = \"john\"\nemail = \"john.doe@example.com\"\n",
    )
    .await;
    restrict(
        &emu,
        r#"{"users": {"enabled": true, "actions": ["list", "get_me", "partial_update"]}}"#,
    )
    .await;
    let john = emu.mint_token("docs", "john").await.unwrap().access_token;
    let (_, me, _) = call(&emu, "GET", "/users/me/", Some(&john), None).await;
    assert_eq!(
        (&me["last_release_note_seen"], &me["column_preferences"]),
        (&Value::Null, &Value::Null)
    );
    let alice = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (status, found, _) = call(&emu, "GET", "/users/?q=john.", Some(&alice), None).await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["john.doe@example.com"], "USR-09");
    let preferences = json!({"column1": "file_size", "column2": "last_modified"});
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &format!("/users/{}/", me["id"].as_str().unwrap()),
        Some(&john),
        Some(json!({"last_release_note_seen": "0.11.1", "column_preferences": preferences})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, me, _) = call(&emu, "GET", "/users/me/", Some(&john), None).await;
    assert_eq!(
        (&me["last_release_note_seen"], &me["column_preferences"]),
        (&json!("0.11.1"), &preferences),
        "USR-12"
    );
}

/// Layers `[drive]` settings over the running emulator's fixture.
async fn drive_setting(emu: &lasuite_emu::RunningEmulator, setting: &str) {
    let response = client()
        .post(format!("{}/_emu/fixtures", emu.url()))
        .body(format!("[drive]\n{setting}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn revoked_token(emu: &lasuite_emu::RunningEmulator, user: &str) -> String {
    let token = emu.mint_token("docs", user).await.unwrap().access_token;
    let response = client()
        .post(format!("{}/_emu/revoke", emu.url()))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    token
}

#[tokio::test]
async fn fid_04_django_lasuite_0_1_0_answers_401_where_0_0_28_answers_500() {
    let emu = util::start().await;
    let revoked = revoked_token(&emu, "bob").await;
    let mut request = MintRequest::new("docs", "bob");
    request.scope = Some("email".into());
    let no_openid = emu.mint(request).await.unwrap().access_token;
    let alice = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (_, me, _) = call(&emu, "GET", "/users/me/", Some(&alice), None).await;
    // A Drive user deactivated by Drive's admin (no API reaches is_active).
    let id = me["id"].as_str().unwrap().to_owned();
    emu.app()
        .db
        .write(move |tx| {
            tx.execute("UPDATE drive_users SET is_active = 0 WHERE id = ?1", [id])?;
            Ok(())
        })
        .await
        .unwrap();

    // 0.0.28, the default: the 500 of an uncaught SuspiciousOperation; is_active unchecked.
    for token in [&revoked, &no_openid] {
        let (status, body, _) = call(&emu, "GET", "/users/me/", Some(token), None).await;
        assert_eq!((status, body), (500, server_error()));
    }
    assert_eq!(call(&emu, "GET", "/users/me/", Some(&alice), None).await.0, 200);

    drive_setting(&emu, "django_lasuite = \"0.1.0\"").await;
    for (token, detail, cause) in [
        (
            &revoked,
            "Introspected user is not active",
            "the access token was revoked",
        ),
        (
            &no_openid,
            "Introspection response is missing required scopes.",
            "the token's scope",
        ),
        (&alice, "User inactive or deleted.", "the Drive user "),
    ] {
        let (status, body, headers) = call(&emu, "GET", "/users/me/", Some(token), None).await;
        assert_eq!(
            (status, body),
            (401, error("authentication_failed", detail)),
            "{detail}"
        );
        assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
        let reason = journal_reason(&emu, "/users/me/").await;
        assert!(reason.as_str().unwrap().starts_with(cause), "{reason}");
    }

    // An unknown version is refused with the known ones.
    let response = client()
        .post(format!("{}/_emu/fixtures", emu.url()))
        .body("[drive]\ndjango_lasuite = \"0.2\"\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("django_lasuite") && text.contains("0.0.28") && text.contains("0.1.0"),
        "the error names the known versions: {text}"
    );
}

#[tokio::test]
async fn fid_05_the_development_configuration_answers_djangos_debug_pages() {
    let emu = util::start().await;
    let revoked = revoked_token(&emu, "bob").await;
    let alice = emu.mint_token("docs", "alice").await.unwrap().access_token;
    // FID-10: Production, the default: the envelope's 500 for POST items/ without `type`.
    let (status, body, _) = call(&emu, "POST", "/items/", Some(&alice), Some(json!({"title": "x"}))).await;
    assert_eq!((status, body), (500, server_error()));
    assert!(
        journal_reason(&emu, "/items/")
            .await
            .as_str()
            .unwrap()
            .contains("attrs[\"type\"] (KeyError"),
        "the journal says why"
    );

    drive_setting(&emu, "configuration = \"Development\"").await;
    let (status, content_type, page) = raw(&emu, "GET", "/users/me/", Some(&revoked)).await;
    assert_eq!((status, content_type.as_str()), (400, "text/html; charset=utf-8"));
    assert!(
        page.contains("<title>SuspiciousOperation at /external_api/v1.0/users/me/</title>")
            && page.contains("Introspected user is not active")
            && page.contains("DEBUG = True"),
        "{page}"
    );
    assert_eq!(
        journal_reason(&emu, "/users/me/").await,
        "the access token was revoked"
    );
    let created = client()
        .post(format!("{}{API}/items/", emu.url()))
        .bearer_auth(&alice)
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 500);
    let page = created.text().await.unwrap();
    assert!(
        page.contains("<title>KeyError at /external_api/v1.0/items/</title>"),
        "{page}"
    );
    let (status, content_type, page) = raw(&emu, "GET", "/nope/", Some(&alice)).await;
    assert_eq!((status, content_type.as_str()), (404, "text/html; charset=utf-8"));
    assert!(
        page.contains("Page not found at /external_api/v1.0/nope/"),
        "{page}"
    );
    assert!(page.contains("didn’t match any of these"), "{page}");

    // APPEND_SLASH with DEBUG on: no redirect for a body-carrying method, a 500 page.
    let posted = client()
        .post(format!("{}{API}/items", emu.url()))
        .bearer_auth(&alice)
        .json(&json!({"type": "folder", "title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 500);
    assert!(
        posted
            .text()
            .await
            .unwrap()
            .contains("RuntimeError at /external_api/v1.0/items")
    );

    drive_setting(&emu, "configuration = \"Production\"").await;
    assert_eq!(raw(&emu, "GET", "/nope/", Some(&alice)).await.2, DJANGO_404);
}
