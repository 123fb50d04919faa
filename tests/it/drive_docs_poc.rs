//! Drive PR #790 behind `[drive] docs_poc` (issue 17): the internal API `/api/v1.0/` as Docs'
//! proof of concept calls it server-to-server, impersonating users; its refusals; and the
//! lifecycle callbacks Drive sends Docs, against a recording stand-in for Docs.

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::driveutil::{self, error};
use crate::util::{claims, client, start, start_with};

const SECRET: &str = "docs-drive-poc-secret";

/// One internal API call as Docs' `drive_client._request` makes it.
async fn internal(
    emu: &lasuite_emu::RunningEmulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client().request(method.parse().unwrap(), format!("{}/api/v1.0{path}", emu.url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

type Seen = (String, Option<String>, Value);

/// A stand-in for Docs' server-to-server endpoints that records each call.
async fn docs_recorder() -> (String, mpsc::UnboundedReceiver<Seen>) {
    let (sender, receiver) = mpsc::unbounded_channel::<Seen>();
    async fn record(
        State(sender): State<mpsc::UnboundedSender<Seen>>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::Json<Value> {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        sender.send((uri.path().to_owned(), auth, body)).unwrap();
        axum::Json(json!({}))
    }
    let router = axum::Router::new()
        .route("/api/v1.0/documents/{action}/", axum::routing::post(record))
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, receiver)
}

fn fixture(docs_url: &str) -> String {
    format!(
        "[drive]\ndocs_poc = true\nserver_to_server_api_tokens = [\"{SECRET}\"]\n\
         [drive.external_apps.docs]\napi_base_url = \"{docs_url}\"\ntoken = \"{SECRET}\"\n"
    )
}

/// Alice as a Drive user (she reached Drive once), and her sub.
async fn alice(emu: &lasuite_emu::RunningEmulator) -> (String, String) {
    let token = driveutil::token(emu, "alice").await;
    let (status, _, _) = driveutil::call(emu, "GET", "/users/me/", Some(&token), None).await;
    assert_eq!(status, 200);
    (token.clone(), claims(&token)["sub"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn drive_docs_poc_the_calls_of_docs_drive_client() {
    let (docs, mut seen) = docs_recorder().await;
    let emu = start_with(&fixture(&docs)).await;
    let (_, sub) = alice(&emu).await;
    let auth = format!("Bearer {SECRET}");
    let as_alice = [
        ("Authorization", auth.as_str()),
        ("X-User-Sub", sub.as_str()),
        ("X-User-Email", "alice@example.com"),
    ];
    let doc = json!({"type": "file", "title": "Notes", "metadata": {"external_app": "docs"}});
    // create_doc_item at the root, then below it.
    let (status, root) = internal(&emu, "POST", "/items/", &as_alice, Some(doc.clone())).await;
    assert_eq!(status, 201, "{root}");
    assert_eq!(root["metadata"], json!({"external_app": "docs"}));
    assert_eq!(root["upload_state"], "ready");
    assert_eq!(root["filename"], Value::Null);
    assert_eq!(root["policy"], Value::Null);
    assert_eq!(root["abilities"]["download"], false);
    assert_eq!(root["user_role"], "owner");
    let id = root["id"].as_str().unwrap().to_owned();
    let child_body = json!({"type": "file", "title": "Chapter", "metadata": {"external_app": "docs"}});
    let (status, child) = internal(
        &emu,
        "POST",
        &format!("/items/{id}/children/"),
        &as_alice,
        Some(child_body),
    )
    .await;
    assert_eq!(status, 201, "{child}");
    let child_id = child["id"].as_str().unwrap().to_owned();
    // get_item
    let (status, item) = internal(&emu, "GET", &format!("/items/{id}/"), &as_alice, None).await;
    assert_eq!((status, item["title"].clone()), (200, json!("Notes")));
    assert_eq!(item["numchild"], 1);
    // get_tree from the child: the whole document tree, nested.
    let (status, tree) = internal(
        &emu,
        "GET",
        &format!("/items/{child_id}/tree-descendants/"),
        &as_alice,
        None,
    )
    .await;
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["id"], json!(id));
    assert_eq!(tree["children"][0]["id"], json!(child_id));
    assert_eq!(tree["children"][0]["children"], json!([]));
    // list_root_docs: a plain folder is not a document.
    driveutil::folder(&emu, &driveutil::token(&emu, "alice").await, None, "Folder").await;
    let (status, list) = internal(
        &emu,
        "GET",
        "/items/?external_app=docs&type=file",
        &as_alice,
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["id"], json!(id));
    // list_children
    let (status, children) = internal(
        &emu,
        "GET",
        &format!("/items/{id}/children/?external_app=docs"),
        &as_alice,
        None,
    )
    .await;
    assert_eq!((status, children["count"].clone()), (200, json!(1)));
    // patch_title: metadata is read-only after creation.
    let (status, patched) = internal(
        &emu,
        "PATCH",
        &format!("/items/{id}/"),
        &as_alice,
        Some(json!({"title": "Renamed", "metadata": {"external_app": "other"}})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title"], "Renamed");
    assert_eq!(patched["metadata"], json!({"external_app": "docs"}));
    // delete_item: to the trash; an s2s call sends no callback.
    let (status, _) = internal(&emu, "DELETE", &format!("/items/{id}/"), &as_alice, None).await;
    assert_eq!(status, 204);
    // The deletion reaches the sub-document: upstream's detail views do not filter deleted
    // items, and an owner keeps `retrieve` (`can_get or is_owner`), nothing else.
    let (status, sub) = internal(&emu, "GET", &format!("/items/{child_id}/"), &as_alice, None).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["deleted_at"], Value::Null);
    assert_eq!(
        (
            sub["abilities"]["update"].clone(),
            sub["abilities"]["destroy"].clone()
        ),
        (json!(false), json!(false))
    );
    let (status, list) = internal(
        &emu,
        "GET",
        "/items/?external_app=docs&type=file",
        &as_alice,
        None,
    )
    .await;
    assert_eq!((status, list["count"].clone()), (200, json!(0)));
    assert!(seen.try_recv().is_err(), "server-to-server calls skip the hooks");
    // The journal files the internal API under Drive, with the acting user.
    let journal: Value = client()
        .get(format!("{}/_emu/journal", emu.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = journal
        .as_array()
        .or_else(|| journal["entries"].as_array())
        .unwrap();
    let internal_calls: Vec<_> = entries
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("/api/v1.0/"))
        .collect();
    assert!(!internal_calls.is_empty());
    for entry in internal_calls {
        assert_eq!(
            (&entry["service"], &entry["user"]),
            (&json!("drive"), &json!("alice@example.com")),
            "{entry}"
        );
    }
}

#[tokio::test]
async fn drive_docs_poc_refusals() {
    let emu = start_with(&fixture("http://127.0.0.1:9/api/v1.0")).await;
    let (_, sub) = alice(&emu).await;
    let auth = format!("Bearer {SECRET}");
    // No credentials: DRF's 401 becomes 403 (the first class has no authenticate_header).
    let (status, body) = internal(&emu, "GET", "/items/", &[], None).await;
    assert_eq!(
        (status, body),
        (
            403,
            error(
                "not_authenticated",
                "Authentication credentials were not provided."
            )
        )
    );
    // A wrong token falls through to mozilla-django-oidc, whose userinfo refuses it.
    let (status, body) = internal(
        &emu,
        "GET",
        "/items/",
        &[("Authorization", "Bearer wrong"), ("X-User-Sub", &sub)],
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (403, error("authentication_failed", "Token verification failed"))
    );
    // The scheme is case-sensitive for the s2s class.
    let (status, _) = internal(
        &emu,
        "GET",
        "/items/",
        &[
            ("Authorization", &format!("bearer {SECRET}")),
            ("X-User-Sub", &sub),
        ],
        None,
    )
    .await;
    assert_eq!(status, 403);
    // A user Drive does not know.
    let unknown = [
        ("Authorization", auth.as_str()),
        ("X-User-Sub", "nobody"),
        ("X-User-Email", "nobody@example.com"),
    ];
    let (status, body) = internal(&emu, "GET", "/items/", &unknown, None).await;
    assert_eq!(
        (status, body),
        (
            403,
            error(
                "authentication_failed",
                "Unknown acting user for server-to-server request."
            )
        )
    );
    // Bob has not reached Drive yet: unknown too, as upstream.
    let bob = [
        ("Authorization", auth.as_str()),
        ("X-User-Email", "bob@example.com"),
    ];
    assert_eq!(internal(&emu, "GET", "/items/", &bob, None).await.0, 403);
    // The email alone finds Alice, case-insensitively.
    let by_email = [
        ("Authorization", auth.as_str()),
        ("X-User-Email", "ALICE@example.com"),
    ];
    assert_eq!(internal(&emu, "GET", "/items/", &by_email, None).await.0, 200);
    // A pointer needs a title.
    let (status, body) = internal(
        &emu,
        "POST",
        "/items/",
        &by_email,
        Some(json!({"type": "file", "metadata": {"external_app": "docs"}})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            driveutil::invalid("title", "invalid", "This field is required.")
        )
    );
    // Someone else's item: no ability to retrieve it.
    let token = driveutil::token(&emu, "bob").await;
    let bobs = driveutil::folder(&emu, &token, None, "Bob's").await;
    let (status, _) = internal(&emu, "GET", &format!("/items/{bobs}/"), &by_email, None).await;
    assert_eq!(status, 403);
    // An unmapped method.
    assert_eq!(internal(&emu, "PUT", "/items/", &by_email, None).await.0, 405);
}

#[tokio::test]
async fn drive_docs_poc_off_leaves_api_to_s3_and_drive_0_21_1() {
    let emu = start().await;
    let response = client()
        .get(format!("{}/api/v1.0/items/", emu.url()))
        .header("Authorization", format!("Bearer {SECRET}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(text.contains("<Error>"), "S3 answers as before: {status} {text}");
    // No metadata in 0.21.1's shapes, and no tree-descendants route.
    let token = driveutil::token(&emu, "alice").await;
    let id = driveutil::folder(&emu, &token, None, "F").await;
    let (_, folder, _) = driveutil::call(&emu, "GET", &format!("/items/{id}/"), Some(&token), None).await;
    assert!(folder.get("metadata").is_none(), "{folder}");
    let (status, _, _) = driveutil::call(
        &emu,
        "GET",
        &format!("/items/{id}/tree-descendants/"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn drive_docs_poc_lifecycle_callbacks_reach_docs() {
    let (docs, mut seen) = docs_recorder().await;
    let emu = start_with(&fixture(&docs)).await;
    let (token, sub) = alice(&emu).await;
    // A user creating a pointer from Drive (here the external API): Docs creates the document.
    let doc = json!({"type": "file", "title": "From Drive", "metadata": {"external_app": "docs"}});
    let created = driveutil::create(&emu, &token, "/items/", doc).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let bearer = Some(format!("Bearer {SECRET}"));
    let (path, auth, body) = seen.recv().await.unwrap();
    assert_eq!(path, "/api/v1.0/documents/create-for-owner/");
    assert_eq!(auth, bearer);
    assert_eq!(
        body,
        json!({"id": id, "title": "From Drive", "sub": sub, "email": "alice@example.com"})
    );
    let ids = json!({"ids": [id]});
    // Upstream's view notifies inside the request: each callback has arrived by the answer.
    let sent = |seen: &mut mpsc::UnboundedReceiver<Seen>| seen.try_recv().expect("sent before the answer");
    let (status, _, _) = driveutil::call(&emu, "DELETE", &format!("/items/{id}/"), Some(&token), None).await;
    assert_eq!(status, 204);
    let (path, auth, body) = sent(&mut seen);
    assert_eq!(
        (path.as_str(), auth, body),
        ("/api/v1.0/documents/s2s-delete/", bearer.clone(), ids.clone())
    );
    let (status, _, _) =
        driveutil::call(&emu, "POST", &format!("/items/{id}/restore/"), Some(&token), None).await;
    assert_eq!(status, 200);
    let (path, _, body) = sent(&mut seen);
    assert_eq!(
        (path.as_str(), body),
        ("/api/v1.0/documents/s2s-restore/", ids.clone())
    );
    // PR #790 as it is: a hard delete of an item not soft-deleted sends the purge, then 400.
    let hard_delete = format!("/items/{id}/hard-delete/");
    let (status, body, _) = driveutil::call(&emu, "DELETE", &hard_delete, Some(&token), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["code"],
        "item_hard_delete_should_soft_delete_first"
    );
    let (path, _, body) = sent(&mut seen);
    assert_eq!(
        (path.as_str(), body),
        ("/api/v1.0/documents/s2s-purge/", ids.clone())
    );
    let reason = driveutil::journal_reason(&emu, &hard_delete).await;
    assert_eq!(
        reason,
        "not soft-deleted, refused after the purge callback was sent (upstream's order)"
    );

    driveutil::call(&emu, "DELETE", &format!("/items/{id}/"), Some(&token), None).await;
    assert_eq!(sent(&mut seen).0, "/api/v1.0/documents/s2s-delete/");
    let (status, _, _) = driveutil::call(&emu, "DELETE", &hard_delete, Some(&token), None).await;
    assert_eq!(status, 204);
    // The view's purge notification, in the request; then the purge task's backstop.
    let (path, _, body) = sent(&mut seen);
    assert_eq!(
        (path.as_str(), body),
        ("/api/v1.0/documents/s2s-purge/", ids.clone())
    );
    let (path, _, body) = seen.recv().await.unwrap();
    assert_eq!(
        (path.as_str(), body),
        ("/api/v1.0/documents/s2s-purge/", ids.clone())
    );
}

#[tokio::test]
async fn drive_docs_poc_a_server_to_server_purge_still_gets_the_tasks_backstop() {
    let (docs, mut seen) = docs_recorder().await;
    let emu = start_with(&fixture(&docs)).await;
    let (_, sub) = alice(&emu).await;
    let auth = format!("Bearer {SECRET}");
    let as_alice = [("Authorization", auth.as_str()), ("X-User-Sub", sub.as_str())];
    let doc = json!({"type": "file", "title": "Doc", "metadata": {"external_app": "docs"}});
    let (status, item) = internal(&emu, "POST", "/items/", &as_alice, Some(doc)).await;
    assert_eq!(status, 201, "{item}");
    let id = item["id"].as_str().unwrap().to_owned();
    // Server-to-server, the view notifies nothing: Docs made the change itself.
    let (status, _) = internal(&emu, "DELETE", &format!("/items/{id}/"), &as_alice, None).await;
    assert_eq!(status, 204);
    let (status, _) = internal(
        &emu,
        "DELETE",
        &format!("/items/{id}/hard-delete/"),
        &as_alice,
        None,
    )
    .await;
    assert_eq!(status, 204);
    // The purge task does not know who asked: its backstop reaches Docs, once.
    let (path, _, body) = seen.recv().await.unwrap();
    assert_eq!(
        (path.as_str(), body),
        ("/api/v1.0/documents/s2s-purge/", json!({"ids": [id]}))
    );
    assert!(seen.try_recv().is_err(), "nothing else: {:?}", seen.try_recv());
}

#[tokio::test]
async fn drive_docs_poc_an_unreachable_docs_rolls_back_a_creation_and_never_fails_a_delete() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let emu = start_with(&fixture("http://127.0.0.1:9/api/v1.0")).await;
    let (token, _) = alice(&emu).await;
    let doc = json!({"type": "file", "title": "Lost", "metadata": {"external_app": "docs"}});
    let (status, body, _) = driveutil::call(&emu, "POST", "/items/", Some(&token), Some(doc)).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["type"], "server_error");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Could not reach Docs: "),
        "{body}"
    );
    let (_, list, _) = driveutil::call(&emu, "GET", "/items/", Some(&token), None).await;
    assert_eq!(list["count"], 0, "rolled back");
    // Created server-to-server (no hook), deleted by the user: the failed notice is logged only.
    let sub = claims(&token)["sub"].as_str().unwrap().to_owned();
    let auth = format!("Bearer {SECRET}");
    let as_alice = [("Authorization", auth.as_str()), ("X-User-Sub", sub.as_str())];
    let doc = json!({"type": "file", "title": "Kept", "metadata": {"external_app": "docs"}});
    let (status, item) = internal(&emu, "POST", "/items/", &as_alice, Some(doc)).await;
    assert_eq!(status, 201);
    let id = item["id"].as_str().unwrap();
    let (status, _, _) = driveutil::call(&emu, "DELETE", &format!("/items/{id}/"), Some(&token), None).await;
    assert_eq!(status, 204);
}
