//! The dashboard (issue 16): its pages under `/_emu/`, the JSON reads and mutations under
//! `/_emu/api/`, the journal's entry detail, the admin-key cookie and the CSRF guard. Data is
//! made through real flows (a login, a Drive upload, a refused request, minted tokens) and
//! every mutation is checked through the service's own API.

use serde_json::{Value, json};

use crate::driveutil;
use crate::s3util::S3Client;
use crate::util::{self, SECRET, client, introspect};

async fn call(
    emu: &lasuite_emu::RunningEmulator,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = client().request(method.parse().unwrap(), format!("{}{path}", emu.url()));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn page(emu: &lasuite_emu::RunningEmulator, path: &str) -> (u16, String) {
    let response = client().get(format!("{}{path}", emu.url())).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn not_found(description: &str) -> Value {
    json!({"error": "not_found", "error_description": description})
}

fn sha256(text: &str) -> String {
    lasuite_emu::oidc::tokens::token_hash(text)
}

#[tokio::test]
async fn the_overview_counts_what_real_flows_made() {
    let emu = util::start().await;
    let token = driveutil::token(&emu, "alice").await;
    driveutil::upload_file(&emu, &token, "/items/", "notes.txt", "hello").await;
    let (status, overview) = call(&emu, "GET", "/_emu/api/overview", None).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["public_url"], emu.url());
    assert_eq!(overview["ephemeral"], true);
    assert_eq!(overview["admin_key_required"], false);
    let counts = &overview["counts"];
    assert!(counts["users"].as_i64().unwrap() >= 2, "{counts}");
    assert_eq!(counts["live_tokens"], 1, "{counts}");
    assert_eq!(counts["sessions"], 1, "{counts}");
    assert_eq!(counts["drive_items"], 1, "{counts}");
    assert_eq!(counts["objects"], 1, "{counts}");
    assert_eq!(counts["buckets"], 3, "{counts}");
    let docs = overview["env"]["docs"].as_str().unwrap();
    assert!(docs.contains(&format!("{}/realms/lasuite", emu.url())), "{docs}");
    assert!(
        overview["env"]["drive"]
            .as_str()
            .unwrap()
            .contains("drive-media-storage")
    );

    let (status, html) = page(&emu, "/_emu/").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"env-docs\""), "{html}");
    assert!(html.contains("id=\"count-drive_items\">1<"), "{html}");
    assert!(!html.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn live_tokens_page_by_keyset_and_revoke_by_id() {
    let emu = util::start().await;
    let mut minted = Vec::new();
    for _ in 0..3 {
        minted.push(emu.mint_token("docs", "alice").await.unwrap().access_token);
    }
    emu.mint_token("drive", "bob").await.unwrap();
    let base = "/_emu/api/realms/lasuite/tokens";
    let (status, first) = call(&emu, "GET", &format!("{base}?user=alice&limit=2"), None).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["tokens"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().expect("a next cursor").to_owned();
    let (_, second) = call(
        &emu,
        "GET",
        &format!("{base}?user=alice&limit=2&before={next}"),
        None,
    )
    .await;
    assert_eq!(second["tokens"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["next"], Value::Null);
    let mut ids: Vec<String> = first["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["tokens"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = minted.iter().map(|t| sha256(t)).collect();
    expected.sort();
    assert_eq!(ids, expected, "every token once, none twice");

    let one = &first["tokens"][0];
    assert_eq!(one["client_id"], "docs");
    assert_eq!(one["username"], "alice");
    assert_eq!(one["header"]["alg"], "RS256");
    assert_eq!(one["header"]["kid"], util::header(&minted[0])["kid"]);
    assert_eq!(one["claims"]["sub"], util::claims(&minted[0])["sub"]);
    assert!(one["expires_in"].as_i64().unwrap() > 0);
    let (_, bobs) = call(&emu, "GET", &format!("{base}?client=drive"), None).await;
    assert_eq!(bobs["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(bobs["tokens"][0]["username"], "bob");

    let victim = &minted[0];
    let id = sha256(victim);
    let revoke = format!("{base}/{id}/revoke");
    let (status, answer) = call(&emu, "POST", &revoke, None).await;
    assert_eq!((status, answer), (200, json!({"revoked": true})));
    assert_eq!(introspect(&emu, "lasuite", victim).await["active"], false);
    assert_eq!(introspect(&emu, "lasuite", &minted[1]).await["active"], true);
    let (status, answer) = call(&emu, "POST", &revoke, None).await;
    assert_eq!((status, answer), (404, not_found(&format!("no live token {id}"))));
    let (_, after) = call(&emu, "GET", &format!("{base}?user=alice"), None).await;
    assert_eq!(
        after["tokens"].as_array().unwrap().len(),
        2,
        "a revoked token is not live"
    );
}

#[tokio::test]
async fn token_listing_refuses_bad_input() {
    let emu = util::start().await;
    let invalid = |d: &str| json!({"error": "invalid_request", "error_description": d});
    let base = "/_emu/api/realms/lasuite/tokens";
    assert_eq!(
        call(&emu, "GET", &format!("{base}?before=garbage"), None).await,
        (400, invalid("before must be a `next` cursor of a previous page"))
    );
    assert_eq!(
        call(&emu, "GET", &format!("{base}?limit=0"), None).await,
        (400, invalid("limit must be between 1 and 1000"))
    );
    let (status, unknown) = call(&emu, "GET", &format!("{base}?nope=1"), None).await;
    assert_eq!(status, 400);
    assert_eq!(unknown["error"], "invalid_request");
    assert!(
        unknown["error_description"].as_str().unwrap().contains("nope"),
        "{unknown}"
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/nowhere/tokens", None).await,
        (
            404,
            json!({"error": "Realm does not exist", "error_description": "Realm does not exist"})
        )
    );
}

#[tokio::test]
async fn sessions_show_who_is_logged_in_to_which_client_and_end() {
    let emu = util::start().await;
    let browser = util::browser();
    let code = util::login_code(&browser, &emu, "docs", "alice", "alice", &[]).await;
    let tokens: Value = util::exchange(&emu, "docs", &code, &[])
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, listed) = call(&emu, "GET", "/_emu/api/realms/lasuite/sessions", None).await;
    assert_eq!(status, 200, "{listed}");
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{listed}");
    assert_eq!(sessions[0]["username"], "alice");
    assert_eq!(sessions[0]["clients"], json!(["docs"]));
    let id = sessions[0]["id"].as_str().unwrap();
    let end = format!("/_emu/api/realms/lasuite/sessions/{id}");
    assert_eq!(
        call(&emu, "DELETE", &end, None).await,
        (200, json!({"ended": true}))
    );
    assert_eq!(introspect(&emu, "lasuite", &access).await["active"], false);
    assert_eq!(
        call(&emu, "DELETE", &end, None).await,
        (404, not_found(&format!("no live session {id}")))
    );
    let (_, listed) = call(&emu, "GET", "/_emu/api/realms/lasuite/sessions", None).await;
    assert_eq!(listed["sessions"], json!([]));
}

#[tokio::test]
async fn client_secrets_are_masked_until_revealed() {
    let emu = util::start().await;
    let (status, realm) = call(&emu, "GET", "/_emu/api/realms/impress", None).await;
    assert_eq!(status, 200, "{realm}");
    assert_eq!(realm["realm"], "lasuite", "an alias reaches its realm");
    assert!(realm["aliases"].as_array().unwrap().contains(&json!("impress")));
    let docs = realm["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "docs")
        .unwrap();
    assert_eq!(docs["secret"], "********");
    assert!(!realm.to_string().contains(SECRET));
    let (_, html) = page(&emu, "/_emu/identity").await;
    assert!(!html.contains(SECRET), "the identity page shows no secret");
    assert!(html.contains("/_emu/api/realms/lasuite/clients/docs/secret"));
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/lasuite/clients/docs/secret", None).await,
        (200, json!({"client_id": "docs", "secret": SECRET}))
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/lasuite/clients/nope/secret", None).await,
        (404, not_found("no client nope"))
    );
}

#[tokio::test]
async fn users_claims_and_enabled_are_patched() {
    let emu = util::start().await;
    let path = "/_emu/api/realms/lasuite/users/alice";
    let (status, alice) = call(&emu, "PATCH", path, Some(json!({"claims": {"siret": "123"}}))).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(alice["claims"], json!({"siret": "123"}));
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert_eq!(introspect(&emu, "lasuite", &token).await["active"], true);
    let (status, alice) = call(&emu, "PATCH", path, Some(json!({"enabled": false}))).await;
    assert_eq!((status, &alice["enabled"]), (200, &json!(false)));
    assert!(
        emu.mint_token("docs", "alice").await.is_err(),
        "a disabled user gets no token"
    );
    assert_eq!(introspect(&emu, "lasuite", &token).await["active"], false);

    let invalid = |d: &str| (400, json!({"error": "invalid_request", "error_description": d}));
    assert_eq!(
        call(&emu, "PATCH", path, Some(json!({}))).await,
        invalid("give claims and/or enabled")
    );
    assert_eq!(
        call(&emu, "PATCH", path, Some(json!({"claims": {"sub": "x"}}))).await,
        invalid("claim sub is the emulator's to set")
    );
    let (status, unknown) = call(&emu, "PATCH", path, Some(json!({"password": "x"}))).await;
    assert_eq!((status, &unknown["error"]), (400, &json!("invalid_request")));
    assert_eq!(
        call(
            &emu,
            "PATCH",
            "/_emu/api/realms/lasuite/users/nobody",
            Some(json!({"enabled": true}))
        )
        .await,
        (404, not_found("no user nobody"))
    );
}

#[tokio::test]
async fn one_user_and_one_token_are_read_when_the_identity_page_opens_them() {
    let emu = util::start().await;
    let path = "/_emu/api/realms/lasuite/users/alice";
    call(&emu, "PATCH", path, Some(json!({"claims": {"siret": "123"}}))).await;
    let (status, alice) = call(&emu, "GET", path, None).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(
        (&alice["username"], &alice["claims"]),
        (&json!("alice"), &json!({"siret": "123"}))
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/lasuite/users/nobody", None).await,
        (404, not_found("no user nobody"))
    );
    let no_realm = json!({"error": "Realm does not exist", "error_description": "Realm does not exist"});
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/nowhere/users/alice", None).await,
        (404, no_realm.clone())
    );

    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let id = sha256(&token);
    let path = format!("/_emu/api/realms/lasuite/tokens/{id}");
    let (status, one) = call(&emu, "GET", &path, None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        (&one["id"], &one["client_id"], &one["username"]),
        (&json!(id), &json!("docs"), &json!("alice"))
    );
    assert_eq!(one["header"]["kid"], util::header(&token)["kid"]);
    assert_eq!(one["claims"]["sub"], util::claims(&token)["sub"]);
    assert!(one["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/nowhere/tokens/x", None).await,
        (404, no_realm)
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/lasuite/tokens/nope", None).await,
        (404, not_found("no live token nope"))
    );

    // The page links both instead of rendering them: no token's claims in it.
    let (_, html) = page(&emu, "/_emu/identity").await;
    assert!(
        html.contains(&format!("data-load=\"token\" data-url=\"{path}\"")),
        "{html}"
    );
    assert!(html.contains("data-load=\"claims\" data-url=\"/_emu/api/realms/lasuite/users/alice\""));
    assert!(
        !html.contains("&quot;iss&quot;") && !html.contains("siret"),
        "nothing decoded up front"
    );

    call(&emu, "POST", &format!("{path}/revoke"), None).await;
    assert_eq!(
        call(&emu, "GET", &path, None).await,
        (404, not_found(&format!("no live token {id}"))),
        "a revoked token is not live"
    );
}

#[tokio::test]
async fn users_page_by_username_and_search() {
    let emu = util::start().await;
    // 250 more users than the default fixture's, through the control plane.
    for n in 0..250 {
        let (status, body) = call(
            &emu,
            "POST",
            "/_emu/realms/lasuite/users",
            Some(json!({"username": format!("user{n:03}"), "password": "pw",
                        "email": format!("u{n:03}@bulk.test")})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut seen = Vec::new();
    let mut path = "/_emu/api/realms/lasuite/users".to_owned();
    loop {
        let (status, page) = call(&emu, "GET", &path, None).await;
        assert_eq!(status, 200, "{page}");
        let users = page["users"].as_array().unwrap();
        assert!(users.len() <= 100, "one page at most");
        seen.extend(users.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                path = format!("/_emu/api/realms/lasuite/users?after={next}");
            }
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "by username, each once");
    assert!(seen.len() >= 252 && seen.contains(&"alice".to_owned()));

    // Search: username or email, any case; `_` and `%` are literal.
    let (_, found) = call(&emu, "GET", "/_emu/api/realms/lasuite/users?q=U24&limit=5", None).await;
    let names: Vec<&str> = found["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    // "U24" is in the emails u240@... to u249@... (not in u024@..., nor in any username).
    assert_eq!(names, ["user240", "user241", "user242", "user243", "user244"]);
    assert!(found["next"].is_string(), "more than five match");
    let (_, by_email) = call(
        &emu,
        "GET",
        "/_emu/api/realms/lasuite/users?q=%40BULK.test&limit=1",
        None,
    )
    .await;
    assert_eq!(by_email["users"][0]["username"], "user000");
    let (_, literal) = call(&emu, "GET", "/_emu/api/realms/lasuite/users?q=_", None).await;
    assert_eq!(
        literal["users"],
        json!([]),
        "no username or email has an underscore"
    );

    // The page shows 20 a page, with a link to the next.
    let (status, html) = page(&emu, "/_emu/identity?realm=lasuite&users_q=user24").await;
    assert_eq!(status, 200);
    assert!(html.contains(">user240<") && html.contains(">user249<") && !html.contains(">user239<"));
    assert!(
        !html.contains("users_after="),
        "all 10 matches fit one page: no next link"
    );
    let (_, html) = page(&emu, "/_emu/identity?realm=lasuite&users_q=bulk.test").await;
    assert!(html.contains(">user019<") && !html.contains(">user020<"));
    assert!(
        html.contains("users_q=bulk.test&amp;users_after=user019"),
        "a next link"
    );
    let (_, html) = page(
        &emu,
        "/_emu/identity?realm=lasuite&users_q=bulk.test&users_after=user019",
    )
    .await;
    assert!(html.contains(">user020<") && html.contains(">user039<") && !html.contains(">user019<"));

    let invalid = |d: &str| (400, json!({"error": "invalid_request", "error_description": d}));
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/lasuite/users?limit=0", None).await,
        invalid("limit must be between 1 and 1000")
    );
    let (status, unknown) = call(&emu, "GET", "/_emu/api/realms/lasuite/users?page=2", None).await;
    assert_eq!((status, &unknown["error"]), (400, &json!("invalid_request")));
    assert_eq!(
        call(&emu, "GET", "/_emu/api/realms/nowhere/users", None).await,
        (
            404,
            json!({"error": "Realm does not exist", "error_description": "Realm does not exist"})
        )
    );
}

#[tokio::test]
async fn an_upload_streams_to_the_store_whatever_its_size() {
    let emu = util::start().await;
    // Larger than any in-memory request limit (axum's default is 2 MB).
    let body: Vec<u8> = (0..6 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let put = client()
        .put(format!(
            "{}/_emu/api/s3/buckets/docs-media-storage/object",
            emu.url()
        ))
        .query(&[("key", "big/blob.bin")])
        .header("content-type", "application/x-test")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
    let version: Value = put.json().await.unwrap();
    assert_eq!(version["size"], body.len());
    let stored = S3Client::with_keys(&emu, "docs", "password")
        .get("/docs-media-storage/big/blob.bin")
        .await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.header("content-type"), Some("application/x-test"));
    assert!(stored.body == body, "the bytes stored are the bytes sent");
}

async fn upload(
    emu: &lasuite_emu::RunningEmulator,
    bucket: &str,
    key: &str,
    body: &str,
) -> reqwest::Response {
    client()
        .put(format!("{}/_emu/api/s3/buckets/{bucket}/object", emu.url()))
        .query(&[("key", key)])
        .header("content-type", "text/plain")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_s3_browser_folds_folders_pages_by_keyset_and_deletes() {
    let emu = util::start().await;
    let bucket = "docs-media-storage";
    for key in ["a/1", "a/2", "b.txt", "c/d/e", "c/f"] {
        let put = upload(&emu, bucket, key, key).await;
        assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
    }
    let base = format!("/_emu/api/s3/buckets/{bucket}/objects");
    let (status, root) = call(&emu, "GET", &base, None).await;
    assert_eq!(status, 200, "{root}");
    assert_eq!(root["folders"], json!(["a/", "c/"]));
    assert_eq!(root["objects"].as_array().unwrap().len(), 1);
    assert_eq!(root["objects"][0]["key"], "b.txt");
    assert_eq!(root["objects"][0]["content_type"], "text/plain");
    assert_eq!(root["next"], Value::Null);
    // One entry a page: folders and objects in key order, each once.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let (_, one) = call(&emu, "GET", &format!("{base}?limit=1&after={after}"), None).await;
        for f in one["folders"].as_array().unwrap() {
            seen.push(f.as_str().unwrap().to_owned());
        }
        for o in one["objects"].as_array().unwrap() {
            seen.push(o["key"].as_str().unwrap().to_owned());
        }
        match one["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["a/", "b.txt", "c/"]);
    let (_, inner) = call(&emu, "GET", &format!("{base}?prefix=c/"), None).await;
    assert_eq!(inner["folders"], json!(["c/d/"]));
    assert_eq!(inner["objects"][0]["key"], "c/f");

    let body = client()
        .get(format!("{}/_emu/api/s3/buckets/{bucket}/object/body", emu.url()))
        .query(&[("key", "b.txt")])
        .send()
        .await
        .unwrap();
    assert_eq!(body.status(), 200);
    assert!(
        body.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(body.text().await.unwrap(), "b.txt");

    let s3 = S3Client::new(&emu);
    assert_eq!(s3.get(&format!("/{bucket}/b.txt")).await.status, 200);
    let delete = format!("/_emu/api/s3/buckets/{bucket}/object?key=b.txt");
    let (status, _) = call(&emu, "DELETE", &delete, None).await;
    assert_eq!(status, 204);
    assert_eq!(
        s3.get(&format!("/{bucket}/b.txt")).await.status,
        404,
        "gone through S3 too"
    );
    let (status, versions) = call(
        &emu,
        "GET",
        &format!("/_emu/api/s3/buckets/{bucket}/object?key=b.txt"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{versions}");
    let versions = versions["versions"].as_array().unwrap();
    assert_eq!(
        versions.len(),
        2,
        "a delete marker over the version (the bucket keeps versions)"
    );
    assert_eq!(versions[0]["delete_marker"], true);
    assert_eq!(versions[1]["size"], 5);
    assert_eq!(
        call(&emu, "DELETE", &delete, None).await,
        (404, not_found(&format!("no object b.txt in {bucket}")))
    );

    let (_, html) = page(&emu, &format!("/_emu/s3?bucket={bucket}&prefix=a/")).await;
    assert!(
        html.contains("/_emu/s3/object?bucket=docs-media-storage&amp;key=a%2F1"),
        "{html}"
    );
    let (status, _) = page(&emu, "/_emu/s3/object?bucket=docs-media-storage&key=b.txt").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_s3_browser_refuses_bad_input() {
    let emu = util::start().await;
    assert_eq!(
        call(&emu, "GET", "/_emu/api/s3/buckets/nope/objects", None).await,
        (404, not_found("no bucket nope"))
    );
    let (status, missing) = call(
        &emu,
        "GET",
        "/_emu/api/s3/buckets/docs-media-storage/object",
        None,
    )
    .await;
    assert_eq!((status, &missing["error"]), (400, &json!("invalid_request")));
    assert!(
        missing["error_description"].as_str().unwrap().contains("key"),
        "{missing}"
    );
    assert_eq!(
        call(
            &emu,
            "GET",
            "/_emu/api/s3/buckets/docs-media-storage/object?key=none",
            None
        )
        .await,
        (404, not_found("no object none in docs-media-storage"))
    );
    assert_eq!(
        call(
            &emu,
            "GET",
            "/_emu/api/s3/buckets/docs-media-storage/objects?limit=5000",
            None
        )
        .await,
        (
            400,
            json!({"error": "invalid_request", "error_description": "limit must be between 1 and 1000"})
        )
    );
    let empty_key = upload(&emu, "docs-media-storage", "", "x").await;
    assert_eq!(empty_key.status(), 400);
    assert_eq!(
        empty_key.json::<Value>().await.unwrap(),
        json!({"error": "invalid_request", "error_description": "key must be 1 to 1024 bytes"})
    );
    let (_, buckets) = call(&emu, "GET", "/_emu/api/s3/buckets", None).await;
    let names: Vec<&str> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "docs-media-storage",
            "drive-media-storage",
            "impress-media-storage"
        ]
    );
    assert_eq!(buckets["buckets"][0]["versioning"], "Enabled");
}

#[tokio::test]
async fn drive_items_accesses_and_trash_per_user() {
    let emu = util::start().await;
    let token = driveutil::token(&emu, "alice").await;
    let folder = driveutil::folder(&emu, &token, None, "Projects").await;
    let file = driveutil::upload_file(
        &emu,
        &token,
        &format!("/items/{folder}/children/"),
        "plan.txt",
        "plan",
    )
    .await;
    let gone = driveutil::folder(&emu, &token, None, "Old").await;
    let (status, _, _) =
        driveutil::call(&emu, "DELETE", &format!("/items/{gone}/"), Some(&token), None).await;
    assert_eq!(status, 204);

    // Bob becomes a Drive user by calling the API once.
    let bob = driveutil::token(&emu, "bob").await;
    driveutil::folder(&emu, &bob, None, "Bob's").await;
    let (status, users) = call(&emu, "GET", "/_emu/api/drive/users", None).await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(users["next"], Value::Null, "one page holds them all");
    let first = users["users"][0]["id"].as_str().unwrap().to_owned();
    let (status, one) = call(&emu, "GET", "/_emu/api/drive/users?limit=1", None).await;
    assert_eq!((status, &one["next"]), (200, &json!(first)), "{one}");
    let (status, rest) = call(&emu, "GET", &format!("/_emu/api/drive/users?after={first}"), None).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(
        rest["users"].as_array().unwrap().len() + 1,
        users["users"].as_array().unwrap().len(),
        "the page after the first user holds the others"
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/api/drive/users?after=nobody", None).await,
        (
            400,
            json!({"error": "invalid_request", "error_description": "after names no Drive user"})
        )
    );
    let alice = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "alice@example.com")
        .unwrap_or_else(|| panic!("{users}"));
    let id = alice["id"].as_str().unwrap();
    let (status, tops) = call(&emu, "GET", &format!("/_emu/api/drive/users/{id}/items"), None).await;
    assert_eq!(status, 200, "{tops}");
    let titles: Vec<&str> = tops["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Projects"], "{tops}");
    let (_, children) = call(
        &emu,
        "GET",
        &format!("/_emu/api/drive/users/{id}/items?parent={folder}"),
        None,
    )
    .await;
    let child = &children["items"][0];
    assert_eq!(child["id"], file["id"]);
    assert_eq!(child["upload_state"], "ready");
    assert_eq!(child["mimetype"], "text/plain");
    assert_eq!(child["size"], 4);
    let media = child["media_url"].as_str().unwrap();
    assert_eq!(
        media,
        format!(
            "{}/media/item/{}/plan.txt",
            emu.url(),
            file["id"].as_str().unwrap()
        )
    );
    let (_, trash) = call(
        &emu,
        "GET",
        &format!("/_emu/api/drive/users/{id}/items?trash=true"),
        None,
    )
    .await;
    assert_eq!(trash["items"][0]["id"], gone.as_str());

    let (status, item) = call(&emu, "GET", &format!("/_emu/api/drive/items/{folder}"), None).await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["accesses"][0]["user"], "alice@example.com");
    assert_eq!(item["accesses"][0]["role"], "owner");
    assert_eq!(item["invitations"], json!([]));

    let (status, html) = page(&emu, &format!("/_emu/drive?user={id}&parent={folder}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("plan.txt") && html.contains("/media/item/"),
        "{html}"
    );

    let bogus = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        call(&emu, "GET", &format!("/_emu/api/drive/users/{bogus}/items"), None).await,
        (404, not_found(&format!("no Drive user {bogus}")))
    );
    assert_eq!(
        call(
            &emu,
            "GET",
            &format!("/_emu/api/drive/users/{id}/items?parent={bogus}"),
            None
        )
        .await,
        (404, not_found(&format!("no item {bogus}")))
    );
    assert_eq!(
        call(
            &emu,
            "GET",
            &format!("/_emu/api/drive/users/{id}/items?after=x"),
            None
        )
        .await,
        (
            400,
            json!({"error": "invalid_request", "error_description": "after must be a `next` cursor of a previous page"})
        )
    );
    assert_eq!(
        call(&emu, "GET", &format!("/_emu/api/drive/items/{bogus}"), None).await,
        (404, not_found(&format!("no item {bogus}")))
    );
}

#[tokio::test]
async fn a_journal_entry_keeps_its_headers_with_secrets_masked() {
    let emu = util::start().await;
    let refused = client()
        .post(util::oidc(&emu, "lasuite", "token"))
        .basic_auth("docs", Some("wrong-secret"))
        .header("cookie", "KEYCLOAK_IDENTITY=secret-session; other=1")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let (_, listed) = call(&emu, "GET", "/_emu/journal?status=4xx", None).await;
    let entry = listed["entries"].as_array().unwrap().last().unwrap().clone();
    assert!(entry.get("request_headers").is_none(), "the list stays small");
    let (status, detail) = call(&emu, "GET", &format!("/_emu/journal/{}", entry["id"]), None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["reason"], entry["reason"]);
    assert_eq!(detail["client"], "docs");
    let header = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == name)
            .map(|p| p[1].as_str().unwrap().to_owned())
    };
    assert_eq!(
        header(&detail["request_headers"], "authorization").unwrap(),
        "Basic [masked]"
    );
    assert_eq!(
        header(&detail["request_headers"], "cookie").unwrap(),
        "KEYCLOAK_IDENTITY=[masked]; other=[masked]"
    );
    assert_eq!(
        header(&detail["response_headers"], "content-type").unwrap(),
        "application/json"
    );
    assert!(!detail.to_string().contains("wrong-secret") && !detail.to_string().contains("secret-session"));
    assert_eq!(
        call(&emu, "GET", "/_emu/journal/999999", None).await,
        (404, not_found("no journal entry 999999"))
    );
    assert_eq!(
        call(&emu, "GET", "/_emu/journal/abc", None).await,
        (
            400,
            json!({"error": "invalid_request", "error_description": "the entry id must be a number"})
        )
    );
    // The dashboard's own pages and reads are not the apps' requests: not journaled.
    page(&emu, "/_emu/identity").await;
    call(&emu, "GET", "/_emu/api/overview", None).await;
    let (_, admin) = call(&emu, "GET", "/_emu/journal?service=admin", None).await;
    assert_eq!(admin["entries"], json!([]), "{admin}");
    let (status, html) = page(&emu, &format!("/_emu/requests?entry={}", entry["id"])).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Basic [masked]") && html.contains("emu-refusal"),
        "{html}"
    );
}

#[tokio::test]
async fn changes_from_another_site_are_refused() {
    let emu = util::start().await;
    let cross = json!({"error": "cross_site", "error_description": "The control plane refuses changes sent from another site"});
    let reset = format!("{}/_emu/reset", emu.url());
    let evil = client()
        .post(&reset)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(evil.json::<Value>().await.unwrap(), cross);
    let fetched = client()
        .post(&reset)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 403);
    let same = client()
        .post(&reset)
        .header("origin", emu.url())
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
    let cli = client().post(&reset).send().await.unwrap();
    assert_eq!(cli.status(), 200, "the CLI sends no Origin");
    let read = client()
        .get(format!("{}/_emu/api/overview", emu.url()))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        200,
        "reads are not changes (and get no CORS headers)"
    );
    assert!(read.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn with_an_admin_key_the_dashboard_asks_for_it_and_keeps_a_cookie() {
    let emu = lasuite_emu::Emulator::builder()
        .admin_key("s3cret-key")
        .start()
        .await
        .unwrap();
    let url = emu.url().to_owned();
    let prompt = client().get(format!("{url}/_emu/identity")).send().await.unwrap();
    assert_eq!(prompt.status(), 401);
    let html = prompt.text().await.unwrap();
    assert!(
        html.contains("action=\"/_emu/login\"") && html.contains("name=\"key\""),
        "{html}"
    );
    let api = client()
        .get(format!("{url}/_emu/api/overview"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    let wrong = client()
        .post(format!("{url}/_emu/login"))
        .form(&[("key", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong.text().await.unwrap().contains("That is not the admin key."));

    let login = client()
        .post(format!("{url}/_emu/login"))
        .form(&[("key", "s3cret-key")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/_emu/");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/_emu"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("s3cret-key"),
        "the cookie holds a digest, not the key"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    let with_cookie = |method: &str, path: &str| {
        client()
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .header("cookie", pair.clone())
    };
    let overview = with_cookie("GET", "/_emu/api/overview").send().await.unwrap();
    assert_eq!(overview.status(), 200);
    let overview = overview.text().await.unwrap();
    assert!(!overview.contains("s3cret-key"), "no page or read shows the key");
    let page = with_cookie("GET", "/_emu/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("s3cret-key") && page.contains("Forget the key"));
    let csrf = with_cookie("POST", "/_emu/reset").send().await.unwrap();
    assert_eq!(csrf.status(), 403);
    assert_eq!(
        csrf.json::<Value>().await.unwrap(),
        json!({"error": "csrf", "error_description": "A change made with the dashboard's cookie needs the X-Emu-Dashboard header"})
    );
    let reset = with_cookie("POST", "/_emu/reset")
        .header("x-emu-dashboard", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let forged = client()
        .get(format!("{url}/_emu/api/overview"))
        .header("cookie", "lasuite_emu_admin=s3cret-key")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401, "the key itself is not the cookie");
    let bearer = client()
        .post(format!("{url}/_emu/reset"))
        .bearer_auth("s3cret-key")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200, "the CLI's bearer key needs no CSRF header");
}

#[tokio::test]
async fn every_page_renders() {
    let emu = util::start().await;
    for path in [
        "/_emu/",
        "/_emu/identity",
        "/_emu/identity?realm=impress",
        "/_emu/s3",
        "/_emu/s3?bucket=drive-media-storage",
        "/_emu/drive",
        "/_emu/requests",
        "/_emu/requests?service=oidc&status=4xx",
        "/_emu/control",
    ] {
        let response = client().get(format!("{}{path}", emu.url())).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"));
        assert!(
            csp.contains("style-src 'self' 'sha256-"),
            "the inlined stylesheet's digest: {csp}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("src=\"/static/dashboard.js\""), "{path}");
        assert!(
            html.contains("<style>") && !html.contains("/static/emu.css"),
            "{path}: the stylesheet is inlined, not a render-blocking request"
        );
    }
    let (status, html) = page(&emu, "/_emu/identity?realm=nowhere").await;
    assert_eq!(status, 404);
    assert!(html.contains("Realm does not exist"));
    let (status, _) = page(&emu, "/_emu/s3?bucket=nope").await;
    assert_eq!(status, 404);
    let script = client()
        .get(format!("{}/static/dashboard.js", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}
