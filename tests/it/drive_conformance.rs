//! Checklist items other tests covered only in part (docs/drive-conformance.md): each test
//! here asserts the whole item, as spec/drive-external-api.md §13 words it.

use serde_json::{Value, json};

use crate::driveutil::{call, create, error, folder, token, upload_file};
use crate::util;

const GRANDPARENT: &str = "0e0e0e0e-0000-4000-8000-000000000001";
const PARENT: &str = "0e0e0e0e-0000-4000-8000-000000000002";
const ITEM: &str = "0e0e0e0e-0000-4000-8000-000000000003";

/// Bob's tree: a public grandparent (link role `editor`), a parent and an item below it.
fn public_tree(reach: &str) -> String {
    format!(
        "[[drive.items]]\nid = \"{GRANDPARENT}\"\ntitle = \"gp\"\nowner = \"bob\"\n\
         link_reach = \"{reach}\"\nlink_role = \"editor\"\n\n\
         [[drive.items]]\nid = \"{PARENT}\"\ntitle = \"p\"\nowner = \"bob\"\nparent = \"{GRANDPARENT}\"\n\n\
         [[drive.items]]\nid = \"{ITEM}\"\ntitle = \"item\"\nowner = \"bob\"\nparent = \"{PARENT}\"\n"
    )
}

async fn traces(emu: &lasuite_emu::RunningEmulator, item: &str) -> i64 {
    let item = item.to_owned();
    emu.app()
        .db
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM drive_link_traces WHERE item_id = ?1",
                [item],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn itm_02_a_depth_3_item_under_a_public_grandparent_inherits_its_link() {
    let emu = util::start_with(&public_tree("public")).await;
    let alice = token(&emu, "alice").await;
    let (status, item, _) = call(&emu, "GET", &format!("/items/{ITEM}/"), Some(&alice), None).await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["depth"], 3);
    assert_eq!(item["path"], format!("{GRANDPARENT}.{PARENT}.{ITEM}"));
    assert_eq!(item["ancestors_link_reach"], "public");
    assert_eq!(item["ancestors_link_role"], "editor", "the grandparent's role");
    assert_eq!(item["link_reach"], Value::Null);
    assert_eq!(item["computed_link_reach"], "public");
    assert_eq!(item["computed_link_role"], "editor");
    assert_eq!(item["user_role"], Value::Null);
}

#[tokio::test]
async fn itm_06_retrieving_a_public_or_authenticated_item_leaves_one_link_trace() {
    for reach in ["public", "authenticated"] {
        let emu = util::start_with(&public_tree(reach)).await;
        let alice = token(&emu, "alice").await;
        assert_eq!(traces(&emu, GRANDPARENT).await, 0);
        for _ in 0..2 {
            let (status, _, _) =
                call(&emu, "GET", &format!("/items/{GRANDPARENT}/"), Some(&alice), None).await;
            assert_eq!(status, 200, "{reach}");
            assert_eq!(traces(&emu, GRANDPARENT).await, 1, "{reach}: one trace, kept");
        }
        // Upstream's retrieve traces every authenticated reader, the owner too.
        let bob = token(&emu, "bob").await;
        call(&emu, "GET", &format!("/items/{PARENT}/"), Some(&bob), None).await;
        assert_eq!(traces(&emu, PARENT).await, 1);
    }
}

#[tokio::test]
async fn itm_12_a_traced_item_is_listed_only_while_its_computed_reach_is_not_restricted() {
    let emu = util::start_with(&public_tree("public")).await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let listed = |list: &Value, id: &str| list["results"].as_array().unwrap().iter().any(|i| i["id"] == id);
    // Traced through the link: the grandparent itself, and the item (inherited reach).
    call(&emu, "GET", &format!("/items/{GRANDPARENT}/"), Some(&alice), None).await;
    call(&emu, "GET", &format!("/items/{ITEM}/"), Some(&alice), None).await;
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert!(listed(&list, GRANDPARENT), "{list}");
    assert!(!listed(&list, ITEM), "the highest item only (ITM-09)");
    assert_eq!(list["count"], 1);
    // Restricted by its owner: the traces remain, the items leave the list.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{GRANDPARENT}/link-configuration/"),
        Some(&bob),
        Some(json!({"link_reach": "restricted"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(traces(&emu, GRANDPARENT).await, 1);
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(
        list,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
    // An item traced below a restricted ancestor whose own link is public is listed again.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{PARENT}/link-configuration/"),
        Some(&bob),
        Some(json!({"link_reach": "authenticated", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(list["count"], 1, "{list}");
    assert_eq!(list["results"][0]["id"], ITEM);
    assert_eq!(list["results"][0]["computed_link_reach"], "authenticated");
}

#[tokio::test]
async fn itm_10_the_list_leaves_out_deleted_items_and_deleted_subtrees() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let shared = folder(&emu, &alice, Some(&root), "shared").await;
    let gone = folder(&emu, &alice, None, "gone").await;
    let kept = folder(&emu, &alice, None, "kept").await;
    // Bob's access is on the child only: it is his highest item.
    let (_, bob_me, _) = call(&emu, "GET", "/users/me/", Some(&bob), None).await;
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{shared}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": bob_me["id"], "role": "reader"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&bob), None).await;
    assert_eq!(
        (&list["count"], &list["results"][0]["id"]),
        (&json!(1), &json!(shared))
    );

    // The item itself deleted, and an ancestor of bob's item deleted.
    for id in [&gone, &root] {
        let (status, _, _) = call(&emu, "DELETE", &format!("/items/{id}/"), Some(&alice), None).await;
        assert_eq!(status, 204);
    }
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["id"], kept);
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&bob), None).await;
    assert_eq!(
        list,
        json!({"count": 0, "next": null, "previous": null, "results": []}),
        "a child of a deleted folder is in a deleted subtree"
    );
}

/// `2026-12-01T10:00:00.123456Z` + 30 days, in `+00:00` form, by calendar arithmetic.
fn plus_30_days(deleted_at: &str) -> String {
    let parsed =
        time::OffsetDateTime::parse(deleted_at, &time::format_description::well_known::Rfc3339).unwrap();
    let t = parsed + time::Duration::days(30);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[tokio::test]
async fn itm_45_the_trashbin_lists_owned_deletions_nested_ones_included_and_filters_by_type() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let nested = folder(&emu, &alice, Some(&root), "nested").await;
    let file = upload_file(&emu, &alice, &format!("/items/{root}/children/"), "f.txt", "f").await;
    let file = file["id"].as_str().unwrap().to_owned();
    let untouched = folder(&emu, &alice, Some(&root), "untouched").await;
    // Bob's folder where alice is an editor: not hers to find in the trash.
    let bobs = folder(&emu, &bob, None, "bob's").await;
    let (_, alice_me, _) = call(&emu, "GET", "/users/me/", Some(&alice), None).await;
    call(
        &emu,
        "POST",
        &format!("/items/{bobs}/accesses/"),
        Some(&bob),
        Some(json!({"user_id": alice_me["id"], "role": "administrator"})),
    )
    .await;
    let bobs_child = folder(&emu, &alice, Some(&bobs), "in bob's").await;
    for (id, who) in [(&nested, &alice), (&file, &alice), (&bobs_child, &alice)] {
        let (status, _, _) = call(&emu, "DELETE", &format!("/items/{id}/"), Some(who), None).await;
        assert_eq!(status, 204);
    }
    let (_, trash, _) = call(&emu, "GET", "/items/trashbin/", Some(&alice), None).await;
    let mut ids: Vec<&str> = trash["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = vec![nested.as_str(), file.as_str()];
    expected.sort_unstable();
    assert_eq!(
        ids, expected,
        "nested deletions she owns through the root; not bob's"
    );
    assert!(!ids.contains(&untouched.as_str()));
    for entry in trash["results"].as_array().unwrap() {
        assert!(entry.get("is_favorite").is_none(), "absent, not null");
        let deleted_at = entry["deleted_at"].as_str().unwrap();
        assert_eq!(entry["hard_delete_at"], plus_30_days(deleted_at), "{entry}");
    }
    let (_, bobs_trash, _) = call(&emu, "GET", "/items/trashbin/", Some(&bob), None).await;
    assert_eq!(
        bobs_trash["count"], 1,
        "bob owns his folder's deleted child: {bobs_trash}"
    );
    assert_eq!(bobs_trash["results"][0]["id"], bobs_child);

    // The type filter.
    let (_, files, _) = call(&emu, "GET", "/items/trashbin/?type=file", Some(&alice), None).await;
    assert_eq!(
        (&files["count"], &files["results"][0]["id"]),
        (&json!(1), &json!(file))
    );
    let (_, folders, _) = call(&emu, "GET", "/items/trashbin/?type=folder", Some(&alice), None).await;
    assert_eq!(
        (&folders["count"], &folders["results"][0]["id"]),
        (&json!(1), &json!(nested))
    );
    let (status, bad, _) = call(&emu, "GET", "/items/trashbin/?type=unknown", Some(&alice), None).await;
    assert_eq!(status, 400);
    assert_eq!(bad["errors"][0]["attr"], "type");

    // Past 30 days an item leaves the trash.
    emu.clock().advance(31 * 24 * 3600);
    let alice = token(&emu, "alice").await;
    let (_, trash, _) = call(&emu, "GET", "/items/trashbin/", Some(&alice), None).await;
    assert_eq!(trash["count"], 0, "{trash}");
}

#[tokio::test]
async fn itm_54_tree_and_breadcrumb_answer_404_for_unknown_ids_and_401_without_a_token() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let root = folder(&emu, &alice, None, "root").await;
    let unknown = uuid::Uuid::new_v4();
    for action in ["tree", "breadcrumb"] {
        let (status, body, _) = call(
            &emu,
            "GET",
            &format!("/items/{unknown}/{action}/"),
            Some(&alice),
            None,
        )
        .await;
        assert_eq!(
            (status, body),
            (404, error("not_found", "Not found.")),
            "{action}"
        );
        let (status, body, headers) =
            call(&emu, "GET", &format!("/items/{root}/{action}/"), None, None).await;
        assert_eq!(
            (status, body),
            (
                401,
                error(
                    "not_authenticated",
                    "Authentication credentials were not provided."
                )
            ),
            "{action}"
        );
        assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    }
}

#[tokio::test]
async fn ext_12_with_the_default_setting_items_are_not_quota_excluded() {
    // No EXTERNAL_API_AUD_ITEM_ATTRIBUTES at all: the default fixture.
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let root = create(&emu, &alice, "/items/", json!({"type": "folder", "title": "r"})).await;
    let child = create(
        &emu,
        &alice,
        &format!("/items/{}/children/", root["id"].as_str().unwrap()),
        json!({"type": "file", "filename": "c.txt"}),
    )
    .await;
    for item in [&root, &child] {
        let id = item["id"].as_str().unwrap().to_owned();
        let excluded: bool = emu
            .app()
            .db
            .read(move |conn| {
                Ok(conn.query_row(
                    "SELECT quota_excluded FROM drive_items WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        assert!(!excluded);
        assert!(item.get("quota_excluded").is_none(), "not exposed");
    }
}

#[tokio::test]
async fn itm_50_ext_27_link_configuration_is_for_administrators_and_owners_and_is_stored() {
    const ROOT: &str = "0e0e0e0e-0000-4000-8000-000000000010";
    let emu = util::start_with(&format!(
        "[[drive.items]]\nid = \"{ROOT}\"\ntitle = \"root\"\nowner = \"alice\"\n\
         accesses = [{{ user = \"bob\", role = \"reader\" }}, {{ user = \"drive\", role = \"editor\" }}, \
         {{ user = \"impress\", role = \"administrator\" }}]\n"
    ))
    .await;
    let path = format!("/items/{ROOT}/link-configuration/");
    let denied = error(
        "permission_denied",
        "You do not have permission to perform this action.",
    );
    for user in ["user-e2e-chromium", "bob", "drive"] {
        let who = token(&emu, user).await;
        let (status, body, _) = call(
            &emu,
            "PUT",
            &path,
            Some(&who),
            Some(json!({"link_reach": "public", "link_role": "reader"})),
        )
        .await;
        assert_eq!((status, body), (403, denied.clone()), "{user}");
    }
    for (user, reach, role) in [
        ("impress", "authenticated", "reader"),
        ("alice", "public", "editor"),
    ] {
        let who = token(&emu, user).await;
        let (status, body, _) = call(
            &emu,
            "PUT",
            &path,
            Some(&who),
            Some(json!({"link_reach": reach, "link_role": role})),
        )
        .await;
        assert_eq!(
            (status, body),
            (200, json!({"link_reach": reach, "link_role": role})),
            "{user}"
        );
        let alice = token(&emu, "alice").await;
        let (_, item, _) = call(&emu, "GET", &format!("/items/{ROOT}/"), Some(&alice), None).await;
        assert_eq!(
            (&item["link_reach"], &item["link_role"]),
            (&json!(reach), &json!(role)),
            "stored"
        );
    }
}

#[tokio::test]
async fn itm_64_renames_reuse_deleted_titles_refuse_unsanitizable_ones_and_hide_suspicious_files() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let old = folder(&emu, &alice, Some(&root), "taken").await;
    let other = folder(&emu, &alice, Some(&root), "other").await;
    call(&emu, "DELETE", &format!("/items/{old}/"), Some(&alice), None).await;
    let (status, renamed, _) = call(
        &emu,
        "PATCH",
        &format!("/items/{other}/"),
        Some(&alice),
        Some(json!({"title": "taken"})),
    )
    .await;
    assert_eq!(
        (status, &renamed["title"]),
        (200, &json!("taken")),
        "a deleted sibling's title is free"
    );

    let file = upload_file(&emu, &alice, &format!("/items/{root}/children/"), "doc.txt", "x").await;
    let path = format!("/items/{}/", file["id"].as_str().unwrap());
    let (status, body, _) = call(&emu, "PATCH", &path, Some(&alice), Some(json!({"title": "!!!"}))).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"type": "validation_error", "errors": [{"code": "invalid",
                "detail": "filename is empty once sanitized and it is not allowed", "attr": "non_field_errors"}]})
        )
    );
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&alice),
        Some(json!({"description": "d"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, item, _) = call(&emu, "GET", &path, Some(&alice), None).await;
    assert_eq!(
        (&item["title"], &item["filename"]),
        (&json!("doc.txt"), &json!("doc.txt")),
        "no title, no rename"
    );

    // A suspicious file is hidden from everyone but its creator.
    let (_, bob_me, _) = call(&emu, "GET", "/users/me/", Some(&bob), None).await;
    call(
        &emu,
        "POST",
        &format!("/items/{root}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": bob_me["id"], "role": "administrator"})),
    )
    .await;
    crate::driveutil::set_state(&emu, file["id"].as_str().unwrap(), "suspicious").await;
    let (status, body, _) = call(&emu, "PATCH", &path, Some(&bob), Some(json!({"title": "x"}))).await;
    assert_eq!((status, body), (404, error("not_found", "Not found.")));
    let (status, _, _) = call(&emu, "PATCH", &path, Some(&alice), Some(json!({"title": "mine"}))).await;
    assert_eq!(status, 200, "the creator still can");
}

#[tokio::test]
async fn itm_14_contact_matches_shared_with_or_by_and_an_empty_title_matches_all() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let (_, alice_me, _) = call(&emu, "GET", "/users/me/", Some(&alice), None).await;
    let (_, bob_me, _) = call(&emu, "GET", "/users/me/", Some(&bob), None).await;
    // Shared with bob: he holds an access on it.
    let with = folder(&emu, &alice, None, "with bob").await;
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{with}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": bob_me["id"], "role": "reader"})),
    )
    .await;
    assert_eq!(status, 201);
    let alone = folder(&emu, &alice, None, "alone").await;
    // Shared by bob: he created it, then left it to alice.
    let by = folder(&emu, &bob, None, "by bob").await;
    call(
        &emu,
        "POST",
        &format!("/items/{by}/accesses/"),
        Some(&bob),
        Some(json!({"user_id": alice_me["id"], "role": "owner"})),
    )
    .await;
    let (_, accesses, _) = call(&emu, "GET", &format!("/items/{by}/accesses/"), Some(&alice), None).await;
    let bobs_access = accesses
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"]["id"] == bob_me["id"])
        .map(id_of)
        .unwrap();
    let (status, _, _) = call(
        &emu,
        "DELETE",
        &format!("/items/{by}/accesses/{bobs_access}/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 204);

    let ids = |list: &Value| {
        let mut ids: Vec<String> = list["results"].as_array().unwrap().iter().map(id_of).collect();
        ids.sort_unstable();
        ids
    };
    let contact = bob_me["id"].as_str().unwrap();
    let (_, shared, _) = call(
        &emu,
        "GET",
        &format!("/items/?contact={contact}"),
        Some(&alice),
        None,
    )
    .await;
    let mut expected = vec![with.clone(), by.clone()];
    expected.sort_unstable();
    assert_eq!(ids(&shared), expected, "with or by bob, not {alone}");
    let (_, all, _) = call(&emu, "GET", "/items/?title=", Some(&alice), None).await;
    let mut expected = vec![with, by, alone];
    expected.sort_unstable();
    assert_eq!(ids(&all), expected, "an empty title filters nothing");
    let (_, unknown, _) = call(&emu, "GET", "/items/?nothing=1&title=", Some(&alice), None).await;
    assert_eq!(unknown["count"], 3, "unknown parameters are ignored");
}
