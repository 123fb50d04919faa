//! Drive media (spec §8.17, §10.2, §7.3): `items/media-auth/` answers the proxy's
//! sub-request with header signatures the S3 store accepts (ITM-58 to ITM-60), and the emulator
//! serves `url` / `url_preview` itself to callers who may read the item.

use serde_json::{Value, json};

use crate::driveutil::{API, call, error, set_state};
use crate::util::{self, browser, client, login_code};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const PROSE: &[u8] = b"0123456789 some prose";

async fn token(emu: &lasuite_emu::RunningEmulator, user: &str) -> String {
    emu.mint_token("docs", user).await.unwrap().access_token
}

async fn create(emu: &lasuite_emu::RunningEmulator, token: &str, body: Value) -> Value {
    let (status, item, _) = call(emu, "POST", "/items/", Some(token), Some(body)).await;
    assert_eq!(status, 201, "{item}");
    item
}

/// A root file whose body was PUT to its policy, upload-ended not yet called.
async fn pending(emu: &lasuite_emu::RunningEmulator, token: &str, filename: &str, body: &[u8]) -> Value {
    let file = create(emu, token, json!({"type": "file", "filename": filename})).await;
    let put = client()
        .put(file["policy"].as_str().unwrap())
        .header("x-amz-acl", "private")
        .header("content-type", "application/octet-stream")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    file
}

/// A root file, uploaded and ended (the dummy scanner makes it `ready`): its detail.
async fn uploaded(emu: &lasuite_emu::RunningEmulator, token: &str, filename: &str, body: &[u8]) -> Value {
    let file = pending(emu, token, filename, body).await;
    let id = file["id"].as_str().unwrap();
    let (status, ended, _) = call(
        emu,
        "POST",
        &format!("/items/{id}/upload-ended/"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    let (_, item, _) = call(emu, "GET", &format!("/items/{id}/"), Some(token), None).await;
    assert_eq!(item["upload_state"], "ready");
    item
}

/// `GET items/media-auth/` with `X-Original-URL: original` (when given).
async fn media_auth(
    emu: &lasuite_emu::RunningEmulator,
    token: &str,
    original: Option<&str>,
) -> reqwest::Response {
    let mut request = client()
        .get(format!("{}{API}/items/media-auth/", emu.url()))
        .bearer_auth(token);
    if let Some(original) = original {
        request = request.header("x-original-url", original);
    }
    request.send().await.unwrap()
}

/// What the proxy does with a successful answer: the three headers onto a GET of the object.
async fn fetch_through_store(
    emu: &lasuite_emu::RunningEmulator,
    auth: &reqwest::Response,
    key: &str,
) -> (u16, Vec<u8>) {
    let mut request = client().get(format!("{}/drive-media-storage/{key}", emu.url()));
    for name in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
        request = request.header(name, auth.headers()[name].clone());
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap().to_vec(),
    )
}

/// A GET (or `method`) of a media URL with optional bearer token and extra headers.
async fn get_media(
    url: &str,
    method: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client().request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn denied(response: reqwest::Response) {
    assert_eq!(response.status(), 403);
    assert!(
        response.headers().get("authorization").is_none()
            && response.headers().get("x-amz-date").is_none()
            && response.headers().get("x-amz-content-sha256").is_none(),
        "no signature on a refusal"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        error(
            "permission_denied",
            "You do not have permission to perform this action."
        )
    );
}

#[tokio::test]
async fn itm_58_media_auth_signs_a_get_the_store_accepts() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let id = item["id"].as_str().unwrap();
    let key = format!("item/{id}/notes.txt");
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let response = media_auth(&emu, &alice, Some(&format!("http://localhost/media/{key}"))).await;
    let after = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let authorization = headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=drive/"),
        "{authorization}"
    );
    assert!(authorization.contains("/eu-east-1/s3/aws4_request, "));
    assert!(
        authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="),
        "{authorization}"
    );
    assert_eq!(headers["x-amz-content-sha256"], EMPTY_SHA256);
    let date = headers["x-amz-date"].to_str().unwrap();
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed_at = time::PrimitiveDateTime::parse(date, &format)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
    assert!(
        (before..=after).contains(&signed_at),
        "X-Amz-Date is the request time"
    );
    assert!(headers.get("x-amz-security-token").is_none());
    let (store_status, body) = fetch_through_store(&emu, &response, &key).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "a DRF JSON answer"
    );
    assert_eq!(response.json::<Value>().await.unwrap(), json!("authorized"));
    assert_eq!((store_status, body.as_slice()), (200, PROSE));

    // A bare path (nginx's `$request_uri`) works as well, and the signature is for that key
    // only: another object's GET with the same headers is refused by the store.
    let response = media_auth(&emu, &alice, Some(&format!("/media/{key}"))).await;
    assert_eq!(response.status(), 200);
    let other = uploaded(&emu, &alice, "other.txt", b"other").await;
    let other_key = format!("item/{}/other.txt", other["id"].as_str().unwrap());
    let (status, _) = fetch_through_store(&emu, &response, &other_key).await;
    assert_eq!(status, 403, "the signature covers the path");
}

#[tokio::test]
async fn itm_59_media_auth_for_every_readable_state_and_quoted_filenames() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    // Upload sanitizes names (`my_file_1.txt`); stored names with spaces and `#` come from the
    // web UI's renames, so one is made in place here.
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let id = item["id"].as_str().unwrap().to_owned();
    let renamed = crate::s3util::S3Client::new(&emu)
        .put(&format!("/drive-media-storage/item/{id}/my file #1.txt"), PROSE)
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let (row, name) = (id.clone(), "my file #1.txt");
    emu.app()
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE drive_items SET filename = ?2 WHERE id = ?1",
                [row.as_str(), name],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, item, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    let id = id.as_str();
    let url = item["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/media/item/{id}/my%20file%20%231.txt", emu.url()));
    let served = get_media(url, "GET", Some(&alice), &[]).await;
    assert_eq!(served.status(), 200, "the decoded key is the stored name");
    for state in ["ready", "analyzing", "file_too_large_to_analyze"] {
        set_state(&emu, id, state).await;
        let response = media_auth(&emu, &alice, Some(url)).await;
        assert_eq!(response.status(), 200, "{state}");
        let key = format!("item/{id}/my%20file%20%231.txt");
        let (status, body) = fetch_through_store(&emu, &response, &key).await;
        assert_eq!((status, body.as_slice()), (200, PROSE), "{state}");
    }
    // Quirk 16: whatever follows the UUID is signed, whether or not it is the file's name.
    let response = media_auth(&emu, &alice, Some(&format!("/media/item/{id}/another.txt"))).await;
    assert_eq!(response.status(), 200);
    // The query string is the fallback when the path does not match.
    let original = format!("/somewhere?u=%2Fmedia%2Fitem%2F{id}%2Fmy%2520file.txt");
    let response = media_auth(&emu, &alice, Some(&original)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn itm_60_media_auth_refusals_are_bare_403s() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let id = item["id"].as_str().unwrap().to_owned();
    let original = format!("/media/item/{id}/notes.txt");

    denied(media_auth(&emu, &alice, None).await).await;
    denied(media_auth(&emu, &alice, Some("")).await).await;
    denied(media_auth(&emu, &alice, Some("/media/notes.txt")).await).await;
    denied(media_auth(&emu, &alice, Some(&format!("/media/item/{id}/notes."))).await).await;
    let unknown = "/media/item/00000000-0000-4000-8000-000000000000/notes.txt";
    denied(media_auth(&emu, &alice, Some(unknown)).await).await;
    denied(media_auth(&emu, &bob, Some(&original)).await).await;

    let folder = create(&emu, &alice, json!({"type": "folder", "title": "f"})).await;
    let folder_url = format!("/media/item/{}/f.txt", folder["id"].as_str().unwrap());
    denied(media_auth(&emu, &alice, Some(&folder_url)).await).await;

    let waiting = pending(&emu, &alice, "waiting.txt", b"x").await;
    let waiting_url = format!("/media/item/{}/waiting.txt", waiting["id"].as_str().unwrap());
    denied(media_auth(&emu, &alice, Some(&waiting_url)).await).await;

    let preview = format!("/media/preview/item/{id}/notes.txt");
    denied(media_auth(&emu, &alice, Some(&preview)).await).await;
    let png = uploaded(&emu, &alice, "logo.png", PNG).await;
    let png_preview = format!("/media/preview/item/{}/logo.png", png["id"].as_str().unwrap());
    assert_eq!(media_auth(&emu, &alice, Some(&png_preview)).await.status(), 200);

    // Suspicious: refused to a reader who is not the creator, allowed to the creator.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{id}/link-configuration/"),
        Some(&alice),
        Some(json!({"link_reach": "authenticated", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(media_auth(&emu, &bob, Some(&original)).await.status(), 200);
    set_state(&emu, &id, "suspicious").await;
    denied(media_auth(&emu, &bob, Some(&original)).await).await;
    assert_eq!(media_auth(&emu, &alice, Some(&original)).await.status(), 200);

    // A deleted item is no longer readable.
    set_state(&emu, &id, "ready").await;
    let (status, _, _) = call(&emu, "DELETE", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(status, 204);
    denied(media_auth(&emu, &alice, Some(&original)).await).await;
}

#[tokio::test]
async fn media_urls_serve_the_body_to_the_owner_with_the_proxys_headers() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let url = item["url"].as_str().unwrap();
    let response = get_media(url, "GET", Some(&alice), &[]).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/plain", "as upload-ended stored it");
    assert_eq!(headers["content-length"], PROSE.len().to_string().as_str());
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["content-disposition"], "attachment");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    let last_modified = headers["last-modified"].to_str().unwrap();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PROSE);

    // The store's own answer has the same ETag.
    let id = item["id"].as_str().unwrap();
    let object = emu
        .app()
        .s3
        .store
        .current("drive-media-storage", &format!("item/{id}/notes.txt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(etag, format!("\"{}\"", object.etag));

    // HEAD: the headers, no body.
    let response = get_media(url, "HEAD", Some(&alice), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        PROSE.len().to_string().as_str()
    );
    assert_eq!(response.headers()["content-disposition"], "attachment");
    assert!(response.bytes().await.unwrap().is_empty());

    // Conditional GET.
    let response = get_media(url, "GET", Some(&alice), &[("if-none-match", &etag)]).await;
    assert_eq!(response.status(), 304);
    assert_eq!(response.headers()["etag"], etag.as_str());
    assert!(response.bytes().await.unwrap().is_empty());
    let response = get_media(url, "GET", Some(&alice), &[("if-none-match", "\"other\"")]).await;
    assert_eq!(response.status(), 200);
    let response = get_media(url, "GET", Some(&alice), &[("if-modified-since", last_modified)]).await;
    assert_eq!(response.status(), 304);

    // Other methods.
    let response = get_media(url, "POST", Some(&alice), &[]).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn media_urls_answer_byte_ranges() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let url = item["url"].as_str().unwrap();
    let size = PROSE.len();
    for (range, expected, content_range) in [
        ("bytes=0-3", &PROSE[..4], format!("bytes 0-3/{size}")),
        ("bytes=11-", &PROSE[11..], format!("bytes 11-{}/{size}", size - 1)),
        (
            "bytes=-5",
            &PROSE[size - 5..],
            format!("bytes {}-{}/{size}", size - 5, size - 1),
        ),
        (
            "bytes=5-1000",
            &PROSE[5..],
            format!("bytes 5-{}/{size}", size - 1),
        ),
    ] {
        let response = get_media(url, "GET", Some(&alice), &[("range", range)]).await;
        assert_eq!(response.status(), 206, "{range}");
        assert_eq!(response.headers()["content-range"], content_range.as_str());
        assert_eq!(
            response.headers()["content-length"],
            expected.len().to_string().as_str()
        );
        assert_eq!(response.bytes().await.unwrap().as_ref(), expected, "{range}");
    }
    let response = get_media(url, "GET", Some(&alice), &[("range", "bytes=100-")]).await;
    assert_eq!(response.status(), 416);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes */{size}").as_str()
    );
    // A malformed or multi-part range is ignored: the whole body.
    let response = get_media(url, "GET", Some(&alice), &[("range", "bytes=0-1,4-5")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), PROSE);
}

#[tokio::test]
async fn media_previews_are_for_previewable_types_only() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let png = uploaded(&emu, &alice, "logo.png", PNG).await;
    assert_eq!(png["mimetype"], "image/png");
    let preview = png["url_preview"].as_str().unwrap();
    assert_eq!(
        preview,
        format!(
            "{}/media/preview/item/{}/logo.png",
            emu.url(),
            png["id"].as_str().unwrap()
        )
    );
    let response = get_media(preview, "GET", Some(&alice), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert!(
        response.headers().get("content-disposition").is_none(),
        "previews display inline"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);

    let text = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    assert_eq!(text["url_preview"], Value::Null);
    let preview = format!(
        "{}/media/preview/item/{}/notes.txt",
        emu.url(),
        text["id"].as_str().unwrap()
    );
    let response = get_media(&preview, "GET", Some(&alice), &[]).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn media_urls_refuse_strangers_anonymous_callers_pending_files_and_other_names() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let url = item["url"].as_str().unwrap();

    let response = get_media(url, "GET", Some(&bob), &[]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        error(
            "permission_denied",
            "You do not have permission to perform this action."
        )
    );

    let response = get_media(url, "GET", None, &[]).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        error(
            "not_authenticated",
            "Authentication credentials were not provided."
        )
    );
    let response = get_media(url, "GET", Some("not-a-token"), &[]).await;
    assert_eq!(response.status(), 401);

    let waiting = pending(&emu, &alice, "waiting.txt", b"x").await;
    assert_eq!(waiting["url"], Value::Null);
    let waiting_url = format!(
        "{}/media/item/{}/waiting.txt",
        emu.url(),
        waiting["id"].as_str().unwrap()
    );
    let response = get_media(&waiting_url, "GET", Some(&alice), &[]).await;
    assert_eq!(response.status(), 403);

    let id = item["id"].as_str().unwrap();
    let renamed = format!("{}/media/item/{id}/other.txt", emu.url());
    let response = get_media(&renamed, "GET", Some(&alice), &[]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        error("not_found", "Not found.")
    );

    // Readers by link get the body too.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{id}/link-configuration/"),
        Some(&alice),
        Some(json!({"link_reach": "authenticated", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 200);
    let response = get_media(url, "GET", Some(&bob), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), PROSE);
}

#[tokio::test]
async fn media_urls_accept_the_login_pages_sso_cookie() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let item = uploaded(&emu, &alice, "notes.txt", PROSE).await;
    let url = item["url"].as_str().unwrap();

    let alice_browser = browser();
    login_code(&alice_browser, &emu, "docs", "alice", "alice", &[]).await;
    let response = alice_browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-disposition"], "attachment");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PROSE);

    // Bob's session is his: no right on alice's file.
    let bob_browser = browser();
    login_code(&bob_browser, &emu, "docs", "bob", "bob", &[]).await;
    let response = bob_browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), 403);

    // A realm user new to Drive becomes a Drive user (same `sub`) and reads public files.
    let id = item["id"].as_str().unwrap();
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{id}/link-configuration/"),
        Some(&alice),
        Some(json!({"link_reach": "public", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 200);
    let newcomer = browser();
    login_code(
        &newcomer,
        &emu,
        "docs",
        "user-e2e-chromium",
        "password-e2e-chromium",
        &[],
    )
    .await;
    let response = newcomer.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);

    // A garbage cookie is no session.
    let response = client()
        .get(url)
        .header("cookie", "LASUITE_EMU_SSO_lasuite=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn itm_64_a_file_rename_renames_the_stored_file_after_the_answer() {
    // ITM-64 (the storage half): upstream's perform_update queues `rename_file`; the answer
    // still shows the old filename, the next read the new one, and the object moved.
    let emu = util::start().await;
    let alice = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let file = uploaded(&emu, &alice, "document.md", b"# notes\n").await;
    let id = file["id"].as_str().unwrap().to_owned();
    let old_url = format!("{}/media/item/{id}/document.md", emu.url());
    assert_eq!(file["url"], old_url);
    let (status, answer, _) = call(
        &emu,
        "PATCH",
        &format!("/items/{id}/"),
        Some(&alice),
        Some(json!({"title": "renamed.md"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["title"], &answer["filename"], &answer["url"]),
        (&json!("renamed.md"), &json!("document.md"), &json!(old_url)),
        "the answer is built before the task runs"
    );
    let (_, item, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    let new_url = format!("{}/media/item/{id}/renamed.md.md", emu.url());
    assert_eq!(
        (&item["title"], &item["filename"], &item["url"]),
        (&json!("renamed.md"), &json!("renamed.md.md"), &json!(new_url)),
        "the old extension is added to the sanitized title"
    );
    let new = get_media(&new_url, "GET", Some(&alice), &[]).await;
    assert_eq!(new.status(), 200);
    assert_eq!(new.bytes().await.unwrap().as_ref(), b"# notes\n");
    let old = get_media(&old_url, "GET", Some(&alice), &[]).await;
    assert_eq!(old.status(), 404, "the old name is not the item's any more");
    // media-auth signs the new key, and the store holds it there only.
    let auth = media_auth(&emu, &alice, Some(&new_url)).await;
    assert_eq!(auth.status(), 200);
    let key = format!("item/{id}/renamed.md.md");
    assert_eq!(
        fetch_through_store(&emu, &auth, &key).await,
        (200, b"# notes\n".to_vec())
    );
    assert!(
        emu.app()
            .s3
            .store
            .current("drive-media-storage", &format!("item/{id}/document.md"))
            .await
            .unwrap()
            .is_none()
    );
    // Upstream signs whatever key of a readable item it is asked for: the old key signs, and
    // the store has nothing there.
    let auth = media_auth(&emu, &alice, Some(&old_url)).await;
    assert_eq!(auth.status(), 200);
    let (status, _) = fetch_through_store(&emu, &auth, &format!("item/{id}/document.md")).await;
    assert_eq!(status, 404);

    // A PUT renames too; a folder's title change touches no filename.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{id}/"),
        Some(&alice),
        Some(json!({"title": "Été 2026"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, item, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(item["filename"], "Ete_2026.md");
    assert_eq!(
        get_media(
            &format!("{}/media/item/{id}/Ete_2026.md", emu.url()),
            "GET",
            Some(&alice),
            &[]
        )
        .await
        .status(),
        200
    );
}
