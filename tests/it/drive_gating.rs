//! Drive's external API under upstream's default `EXTERNAL_API` (spec §3.2): what is refused
//! before any lookup, what a reader reaches, and the trash's time limits (issue 4).

use serde_json::{Value, json};

use crate::driveutil::{DJANGO_404, call, error, raw, restrict, token};
use crate::util;

/// Upstream's default setting (settings.py), the emulator's default being "everything".
const UPSTREAM_DEFAULT: &str = r#"{"items": {"enabled": true, "actions": ["create", "list", "retrieve", "children", "upload_ended"]}, "item_access": {"enabled": false, "actions": []}, "item_invitation": {"enabled": false, "actions": []}, "users": {"enabled": true, "actions": ["get_me"]}}"#;

fn denied() -> Value {
    error(
        "permission_denied",
        "You do not have permission to perform this action.",
    )
}

const SHARED: &str = "0c0c0c0c-0000-4000-8000-000000000001";

/// alice owns a restricted folder where bob is reader.
fn fixture() -> String {
    format!(
        "[[drive.items]]\nid = \"{SHARED}\"\ntitle = \"shared\"\nowner = \"alice\"\n\
         accesses = [{{ user = \"bob\", role = \"reader\" }}]\n"
    )
}

#[tokio::test]
async fn ext_13_ext_15_ext_16_ext_18_ext_19_ext_20_ext_22_ext_24_ext_26_gat_03_disabled_actions_are_refused_first()
 {
    let emu = util::start_with(&fixture()).await;
    restrict(&emu, UPSTREAM_DEFAULT).await;
    let alice = token(&emu, "alice").await;
    let unknown = uuid::Uuid::new_v4();
    for id in [SHARED.to_owned(), unknown.to_string()] {
        let refused = [
            ("DELETE", format!("/items/{id}/"), None),             // EXT-13
            ("DELETE", format!("/items/{id}/hard-delete/"), None), // EXT-15
            (
                "PATCH",
                format!("/items/{id}/"),
                Some(json!({"title": "new title"})),
            ), // EXT-16
            (
                "PUT",
                format!("/items/{id}/"),
                Some(json!({"title": "new title"})),
            ), // EXT-18
            ("POST", format!("/items/{id}/move/"), Some(json!({}))), // EXT-20
            ("POST", format!("/items/{id}/restore/"), None),       // EXT-22
            ("GET", "/items/trashbin/".to_owned(), None),          // EXT-24
            (
                "PUT",
                format!("/items/{id}/link-configuration/"),
                Some(json!({"link_reach": "public"})),
            ), // EXT-26
            ("OPTIONS", "/items/".to_owned(), None),
        ];
        for (method, path, body) in refused {
            let (status, answer, _) = call(&emu, method, &path, Some(&alice), body).await;
            assert_eq!((status, answer), (403, denied()), "GAT-03: {method} {path}");
        }
    }
    // EXT-28, EXT-30, EXT-32, EXT-34, EXT-36, EXT-38: disabled nested resources have no routes.
    for (method, path) in [
        ("GET", format!("/items/{SHARED}/accesses/")),
        ("POST", format!("/items/{SHARED}/accesses/")),
        ("DELETE", format!("/items/{SHARED}/accesses/{unknown}/")),
        ("GET", format!("/items/{SHARED}/invitations/")),
        ("POST", format!("/items/{SHARED}/invitations/")),
        ("DELETE", format!("/items/{SHARED}/invitations/{unknown}/")),
    ] {
        // A disabled nested resource has no routes: Django's plain 404 page.
        let (status, content_type, answer) = raw(&emu, method, &path, Some(&alice)).await;
        assert_eq!(
            (status, content_type.as_str(), answer.as_str()),
            (404, "text/html; charset=utf-8", DJANGO_404),
            "EXT-28..38: {method} {path}"
        );
    }
    // EXT-19: enabling an action opens it.
    restrict(
        &emu,
        r#"{"items": {"enabled": true, "actions": ["update", "retrieve"]}}"#,
    )
    .await;
    let (status, body, _) = call(
        &emu,
        "PUT",
        &format!("/items/{SHARED}/"),
        Some(&alice),
        Some(json!({"title": "new title"})),
    )
    .await;
    assert_eq!((status, &body["title"]), (200, &json!("new title")));
}

#[tokio::test]
async fn ext_03_ext_05_ext_06_ext_07_a_reader_reaches_what_is_shared_and_nothing_else() {
    let emu = util::start_with(&fixture()).await;
    restrict(&emu, UPSTREAM_DEFAULT).await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let (status, list, _) = call(&emu, "GET", "/items/", Some(&bob), None).await;
    assert_eq!(status, 200, "EXT-03");
    assert!(
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == SHARED)
    );
    let (status, item, _) = call(&emu, "GET", &format!("/items/{SHARED}/"), Some(&bob), None).await;
    assert_eq!((status, &item["user_role"]), (200, &json!("reader")), "EXT-06");
    assert_eq!(item["abilities"]["children_create"], false);
    let (_, own, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"type": "folder", "title": "mine"})),
    )
    .await;
    let (status, body, _) = call(
        &emu,
        "GET",
        &format!("/items/{}/", own["id"].as_str().unwrap()),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!((status, body), (403, denied()), "EXT-05");
    // EXT-07: the owner uploads into the folder with the default actions.
    let (status, file, _) = call(
        &emu,
        "POST",
        &format!("/items/{SHARED}/children/"),
        Some(&alice),
        Some(json!({"type": "file", "filename": "file.txt"})),
    )
    .await;
    assert_eq!(
        (status, &file["type"], &file["filename"]),
        (201, &json!("file"), &json!("file.txt"))
    );
    let put = util::client()
        .put(file["policy"].as_str().unwrap())
        .header("x-amz-acl", "private")
        .body("my prose")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{}/upload-ended/", file["id"].as_str().unwrap()),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{SHARED}/children/"),
        Some(&bob),
        Some(json!({"type": "folder", "title": "x"})),
    )
    .await;
    assert_eq!((status, body), (403, denied()), "a reader cannot add children");
}

#[tokio::test]
async fn usr_10_usr_11_gat_01_the_users_resource_and_the_audience_list() {
    let emu = util::start().await;
    restrict(&emu, r#"{"users": {"enabled": true, "actions": []}}"#).await;
    let alice = token(&emu, "alice").await;
    let (status, body, _) = call(&emu, "GET", "/users/me/", Some(&alice), None).await;
    assert_eq!((status, body), (403, denied()), "USR-10");
    restrict(&emu, r#"{"users": {"enabled": true, "actions": ["get_me"]}}"#).await;
    let (status, me, _) = call(&emu, "GET", "/users/me/", Some(&alice), None).await;
    assert_eq!(
        (status, &me["email"]),
        (200, &json!("alice@example.com")),
        "USR-11"
    );
    // GAT-01: `find` is a client of the realm but not an allowed audience.
    let find = emu.mint_token("find", "alice").await.unwrap().access_token;
    let (status, body, _) = call(&emu, "GET", "/users/me/", Some(&find), None).await;
    assert_eq!((status, body), (403, denied()));
}

#[tokio::test]
async fn ext_23_ext_25_itm_44_the_trash_keeps_items_thirty_days() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let mut ids = Vec::new();
    for title in ["fifteen", "forty"] {
        let (_, item, _) = call(
            &emu,
            "POST",
            "/items/",
            Some(&alice),
            Some(json!({"type": "folder", "title": title})),
        )
        .await;
        let id = item["id"].as_str().unwrap().to_owned();
        call(&emu, "DELETE", &format!("/items/{id}/"), Some(&alice), None).await;
        ids.push(id);
    }
    emu.clock().advance(15 * 86_400);
    let alice = token(&emu, "alice").await;
    let (_, trash, _) = call(&emu, "GET", "/items/trashbin/", Some(&alice), None).await;
    assert_eq!(trash["count"], 2, "EXT-25");
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{}/restore/", ids[0]),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "item has been successfully restored."})),
        "EXT-23"
    );
    let (_, restored, _) = call(&emu, "GET", &format!("/items/{}/", ids[0]), Some(&alice), None).await;
    assert_eq!(
        (&restored["deleted_at"], &restored["hard_delete_at"]),
        (&Value::Null, &Value::Null)
    );
    emu.clock().advance(25 * 86_400);
    let alice = token(&emu, "alice").await;
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{}/restore/", ids[1]),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 404, "ITM-44: deleted 40 days ago");
    let (_, trash, _) = call(&emu, "GET", "/items/trashbin/", Some(&alice), None).await;
    assert_eq!(trash["count"], 0);
}

#[tokio::test]
async fn usr_05_usr_06_usr_07_usr_08_gat_03_unlisted_actions_are_403_before_any_lookup() {
    // The emulator's own default, as `lasuite-emu` starts: upstream's EXTERNAL_API.
    let emu = lasuite_emu::Emulator::builder()
        .fixture_toml(&fixture())
        .start()
        .await
        .unwrap();
    let alice = token(&emu, "alice").await;
    let bob = token(&emu, "bob").await;
    let (_, bob_me, _) = call(&emu, "GET", "/users/me/", Some(&bob), None).await;
    let other = bob_me["id"].as_str().unwrap().to_owned();
    let unknown = uuid::Uuid::new_v4().to_string();
    let refused = [
        ("GET", "/users/".to_owned()),                  // USR-05
        ("GET", "/users/?q=bob".to_owned()),            // USR-05
        ("GET", format!("/users/{other}/")),            // USR-06
        ("PUT", format!("/users/{other}/")),            // USR-07
        ("PATCH", format!("/users/{other}/")),          // USR-07
        ("DELETE", format!("/users/{other}/")),         // USR-08
        ("GET", format!("/items/{SHARED}/download/")),  // not listed: no 302
        ("GET", format!("/items/{unknown}/download/")), // GAT-03: no 404 either
        ("GET", "/items/media-auth/".to_owned()),
        ("GET", format!("/items/{SHARED}/breadcrumb/")),
    ];
    for (method, path) in refused {
        let (status, body, _) = call(&emu, method, &path, Some(&alice), None).await;
        assert_eq!((status, body), (403, denied()), "{method} {path}");
    }
}

#[tokio::test]
async fn fid_02_favorites_and_recents_replace_the_gate_with_is_authenticated() {
    // FID-02: upstream's `favorite_list` and `recents` declare `permission_classes`
    // ([IsAuthenticated]), which replace ResourceServerClientPermission: any introspected
    // token reaches them, whatever EXTERNAL_API and OIDC_RS_ALLOWED_AUDIENCES say.
    let emu = util::start_with(&fixture()).await;
    let empty = json!({"count": 0, "next": null, "previous": null, "results": []});
    for setting in [
        "all",
        UPSTREAM_DEFAULT,
        r#"{"items": {"enabled": true, "actions": []}}"#,
        r#"{}"#,
    ] {
        restrict(&emu, setting).await;
        for client in ["docs", "find"] {
            let carol = emu.mint_token(client, "drive").await.unwrap().access_token;
            for path in ["/items/favorites/", "/items/recents/"] {
                let (status, body, _) = call(&emu, "GET", path, Some(&carol), None).await;
                assert_eq!((status, &body), (200, &empty), "{setting} {client} {path}");
            }
        }
    }
    // Authentication still runs: no token is 401, a dead one the introspection failure.
    let (status, body, _) = call(&emu, "GET", "/items/favorites/", None, None).await;
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
    // A method the route does not map has no action, and no permission class of its own.
    let bob = token(&emu, "bob").await;
    let (status, body, _) = call(&emu, "POST", "/items/recents/", Some(&bob), None).await;
    assert_eq!((status, body), (403, denied()));
}
