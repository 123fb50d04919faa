//! Drive's external API, actions that change the tree (issue 4, spec §8.4-§8.16): update,
//! delete, trash, restore, hard delete, move, breadcrumb, link configuration, favorites.

use serde_json::{Value, json};

use crate::driveutil::{call, error, folder, invalid, token, upload_file};
use crate::util::{self, client};

async fn get(emu: &lasuite_emu::RunningEmulator, token: &str, path: &str) -> (u16, Value) {
    let (status, body, _) = call(emu, "GET", path, Some(token), None).await;
    (status, body)
}

#[tokio::test]
async fn ext_17_ext_19_itm_63_itm_64_updates_rename_with_deduplication_and_validate() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    folder(&emu, &alice, Some(&root), "child2").await;
    let other = folder(&emu, &alice, Some(&root), "other").await;
    let path = format!("/items/{other}/");
    let (status, renamed, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&alice),
        Some(json!({"title": "child2"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        renamed["title"], "child2_01",
        "renames are de-duplicated among siblings"
    );
    let (status, put, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"title": "new title", "description": "d", "type": "file"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&put["title"], &put["description"], &put["type"]),
        (&json!("new title"), &json!("d"), &json!("folder"))
    );
    let (status, body, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"description": "x"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, invalid("title", "required", "This field is required."))
    );
    let (status, body, _) = call(&emu, "PATCH", &path, Some(&alice), Some(json!({"title": " "}))).await;
    assert_eq!(
        (status, body),
        (400, invalid("title", "blank", "This field may not be blank."))
    );
    let (status, _, _) = call(&emu, "PATCH", &path, Some(&bob), Some(json!({"title": "mine"}))).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn ext_14_itm_41_itm_45_itm_44_itm_43_delete_trash_restore_and_hard_delete() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let (status, _, _) = call(&emu, "DELETE", &format!("/items/{root}/"), Some(&bob), None).await;
    assert_eq!(status, 403, "ITM-41: a stranger");
    let (status, body, _) = call(&emu, "DELETE", &format!("/items/{root}/"), Some(&alice), None).await;
    assert_eq!((status, body), (204, Value::Null));

    let (status, deleted) = get(&emu, &alice, &format!("/items/{root}/")).await;
    assert_eq!(status, 200, "owners still read their trash");
    let deleted_at = deleted["deleted_at"].as_str().unwrap();
    let hard_delete_at = deleted["hard_delete_at"].as_str().unwrap();
    assert!(deleted_at.ends_with('Z'));
    assert!(hard_delete_at.ends_with("+00:00"), "{hard_delete_at}");
    assert_eq!(deleted["abilities"]["destroy"], false);
    let (status, _) = get(&emu, &bob, &format!("/items/{root}/")).await;
    assert_eq!(status, 404, "others do not see deleted items");
    let (_, list) = get(&emu, &alice, "/items/?title=root").await;
    assert_eq!(list["count"], 0, "ITM-10");
    let (status, _, _) = call(&emu, "DELETE", &format!("/items/{root}/"), Some(&alice), None).await;
    assert_eq!(status, 403, "already deleted: the owner is refused");

    // ITM-45: the trashbin lists what was deleted itself, without is_favorite.
    let (status, trash) = get(&emu, &alice, "/items/trashbin/").await;
    assert_eq!(status, 200);
    assert_eq!(trash["count"], 1);
    assert_eq!(trash["results"][0]["id"], root);
    assert!(trash["results"][0].get("is_favorite").is_none());
    let (_, bobs_trash) = get(&emu, &bob, "/items/trashbin/").await;
    assert_eq!(bobs_trash["count"], 0);

    // ITM-44: restore.
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{child}/restore/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "deleted_at",
                "item_restore_not_deleted",
                "This item is not deleted."
            )
        ),
        "deleted only through its parent"
    );
    let (status, body, _) = call(&emu, "POST", &format!("/items/{root}/restore/"), Some(&bob), None).await;
    assert_eq!((status, body), (404, error("not_found", "Not found.")));
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{root}/restore/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "item has been successfully restored."}))
    );
    let (_, children) = get(&emu, &alice, &format!("/items/{root}/children/")).await;
    assert_eq!(children["count"], 1, "the child came back with it");

    // ITM-43: hard delete needs a soft delete first, then everything is gone.
    let (status, body, _) = call(
        &emu,
        "DELETE",
        &format!("/items/{root}/hard-delete/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "hard_deleted_at",
                "item_hard_delete_should_soft_delete_first",
                "To hard delete an item, it must first be soft deleted."
            )
        )
    );
    call(&emu, "DELETE", &format!("/items/{root}/"), Some(&alice), None).await;
    let (status, _, _) = call(
        &emu,
        "DELETE",
        &format!("/items/{root}/hard-delete/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 204);
    for id in [&root, &child] {
        let (status, _) = get(&emu, &alice, &format!("/items/{id}/")).await;
        assert_eq!(status, 404);
    }
    let (_, trash) = get(&emu, &alice, "/items/trashbin/").await;
    assert_eq!(trash["count"], 0);
}

#[tokio::test]
async fn hard_delete_purges_the_stored_objects() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = upload_file(&emu, &alice, "/items/", "a.txt", "abc").await;
    let id = file["id"].as_str().unwrap();
    call(&emu, "DELETE", &format!("/items/{id}/"), Some(&alice), None).await;
    let key = format!("item/{id}/a.txt");
    assert!(
        emu.app()
            .s3
            .store
            .current("drive-media-storage", &key)
            .await
            .unwrap()
            .is_some(),
        "soft delete keeps it"
    );
    call(
        &emu,
        "DELETE",
        &format!("/items/{id}/hard-delete/"),
        Some(&alice),
        None,
    )
    .await;
    assert!(
        emu.app()
            .s3
            .store
            .current("drive-media-storage", &key)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn ext_21_itm_46_itm_47_itm_48_itm_55_moves_rewrite_the_subtree_and_refuse_bad_targets() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let a = folder(&emu, &alice, None, "a").await;
    let b = folder(&emu, &alice, None, "b").await;
    let moved = folder(&emu, &alice, Some(&a), "moved").await;
    let grandchild = folder(&emu, &alice, Some(&moved), "grandchild").await;
    let move_path = format!("/items/{moved}/move/");

    let bad = [
        (
            json!({"target_item_id": "nope"}),
            invalid("target_item_id", "invalid", "Must be a valid UUID."),
        ),
        (
            json!({"target_item_id": null}),
            invalid("target_item_id", "null", "This field may not be null."),
        ),
        (
            json!({"target_item_id": uuid::Uuid::new_v4().to_string()}),
            invalid(
                "target_item_id",
                "item_move_target_does_not_exist",
                "Target parent item does not exist.",
            ),
        ),
        (
            json!({"target_item_id": grandchild}),
            invalid(
                "target_item_id",
                "item_move_target_in_subtree",
                "An item cannot be moved into itself or one of its descendants.",
            ),
        ),
    ];
    for (body, expected) in bad {
        let (status, answer, _) = call(&emu, "POST", &move_path, Some(&alice), Some(body.clone())).await;
        assert_eq!((status, answer), (400, expected), "{body}");
    }
    let bobs = folder(&emu, &bob, None, "bob's").await;
    let (status, answer, _) = call(
        &emu,
        "POST",
        &move_path,
        Some(&alice),
        Some(json!({"target_item_id": bobs})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            400,
            invalid(
                "target_item_id",
                "item_move_missing_permission",
                "You do not have permission to move items as a child to this target item."
            )
        )
    );
    let (status, _, _) = call(
        &emu,
        "POST",
        &move_path,
        Some(&bob),
        Some(json!({"target_item_id": bobs})),
    )
    .await;
    assert_eq!(status, 403, "bob has no rights on the moved item");

    let (status, answer, _) = call(
        &emu,
        "POST",
        &move_path,
        Some(&alice),
        Some(json!({"target_item_id": b})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"message": "item moved successfully."}))
    );
    let (_, item) = get(&emu, &alice, &format!("/items/{grandchild}/")).await;
    assert_eq!(
        item["path"],
        format!("{b}.{moved}.{grandchild}"),
        "the subtree followed"
    );
    assert_eq!(item["depth"], 3);
    let (_, old_parent) = get(&emu, &alice, &format!("/items/{a}/")).await;
    assert_eq!(old_parent["numchild"], 0);
    let (_, crumbs) = get(&emu, &alice, &format!("/items/{grandchild}/breadcrumb/")).await;
    let titles: Vec<&str> = crumbs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["b", "moved", "grandchild"]);
    assert_eq!(
        crumbs[0],
        json!({"id": b, "title": "b", "path": b, "depth": 1, "main_workspace": false})
    );

    // ITM-48: to the root.
    let (status, _, _) = call(&emu, "POST", &move_path, Some(&alice), Some(json!({}))).await;
    assert_eq!(status, 200);
    let (_, root) = get(&emu, &alice, &format!("/items/{moved}/")).await;
    assert_eq!(
        (&root["depth"], &root["link_reach"], &root["path"]),
        (&json!(1), &json!("restricted"), &json!(moved))
    );
    let (_, item) = get(&emu, &alice, &format!("/items/{grandchild}/")).await;
    assert_eq!(item["path"], format!("{moved}.{grandchild}"));

    // ITM-47: a file is no target.
    let (_, file, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"type": "file", "filename": "f.txt"})),
    )
    .await;
    let (status, answer, _) = call(
        &emu,
        "POST",
        &move_path,
        Some(&alice),
        Some(json!({"target_item_id": file["id"]})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            400,
            invalid(
                "target",
                "item_move_target_not_a_folder",
                "Only folders can be targeted when moving an item"
            )
        )
    );
}

#[tokio::test]
async fn itm_51_itm_52_itm_53_itm_24_link_configuration_validates_and_opens_items_to_others() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "shared").await;
    let path = format!("/items/{root}/link-configuration/");
    let cases = [
        (
            json!({}),
            invalid("link_reach", "invalid", "This field is required."),
        ),
        (
            json!({"link_reach": "everyone"}),
            invalid(
                "link_reach",
                "invalid_choice",
                "\"everyone\" is not a valid choice.",
            ),
        ),
        (
            json!({"link_reach": "restricted", "link_role": "editor"}),
            invalid(
                "link_role",
                "invalid",
                "Cannot set link_role when link_reach is 'restricted'. Link role must be null for restricted reach.",
            ),
        ),
        (
            json!({"link_reach": "public"}),
            invalid(
                "link_role",
                "invalid",
                "Link role 'None' is not allowed for link reach 'public'. Allowed roles: reader, editor",
            ),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer, _) = call(&emu, "PUT", &path, Some(&alice), Some(body.clone())).await;
        assert_eq!((status, answer), (400, expected), "{body}");
    }
    let (status, _, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&bob),
        Some(json!({"link_reach": "public", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 403, "ITM-50: a stranger");
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{root}/children/"),
        Some(&bob),
        Some(json!({"type": "folder", "title": "x"})),
    )
    .await;
    assert_eq!(status, 403, "ITM-24: restricted");
    let (status, answer, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"link_reach": "authenticated", "link_role": "editor"})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"link_role": "editor", "link_reach": "authenticated"}))
    );
    let (status, child, _) = call(
        &emu,
        "POST",
        &format!("/items/{root}/children/"),
        Some(&bob),
        Some(json!({"type": "folder", "title": "x"})),
    )
    .await;
    assert_eq!(status, 201, "ITM-24: an editor link lets others create children");
    assert_eq!(child["user_role"], Value::Null);
    assert_eq!(child["computed_link_reach"], "authenticated");
    // ITM-52: below an authenticated parent, a child cannot be restricted.
    let child_id = child["id"].as_str().unwrap();
    let child_path = format!("/items/{child_id}/link-configuration/");
    let (status, answer, _) = call(
        &emu,
        "PUT",
        &child_path,
        Some(&alice),
        Some(json!({"link_reach": "restricted"})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            400,
            invalid(
                "link_reach",
                "invalid",
                "Link reach 'restricted' is not allowed based on parent item configuration."
            )
        )
    );
    let (status, _, _) = call(
        &emu,
        "PUT",
        &child_path,
        Some(&alice),
        Some(json!({"link_reach": "public", "link_role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
    // ITM-53 (and EXT-27's public editor link): widening the parent's reach resets the
    // child's own reach.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"link_reach": "public", "link_role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, child_now) = get(&emu, &alice, &format!("/items/{child_id}/")).await;
    assert_eq!(child_now["link_reach"], Value::Null, "it inherits again");
    let (status, answer, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"link_reach": "restricted"})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"link_role": "editor", "link_reach": "restricted"}))
    );
    let (status, _) = get(&emu, &bob, &format!("/items/{root}/")).await;
    assert_eq!(status, 403, "closed again");
}

#[tokio::test]
async fn itm_57_favorites_are_added_and_removed_once() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "fav").await;
    let path = format!("/items/{root}/favorite/");
    let (status, item, _) = call(&emu, "POST", &path, Some(&alice), None).await;
    assert_eq!((status, &item["is_favorite"]), (201, &json!(true)));
    let (status, body, _) = call(&emu, "POST", &path, Some(&alice), None).await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "item already marked as favorite"}))
    );
    let (_, favorites) = get(&emu, &alice, "/items/?is_favorite=true").await;
    assert_eq!(favorites["count"], 1);
    let (status, item, _) = call(&emu, "DELETE", &path, Some(&alice), None).await;
    assert_eq!((status, &item["is_favorite"]), (200, &json!(false)));
    let (status, body, _) = call(&emu, "DELETE", &path, Some(&alice), None).await;
    assert_eq!(
        (status, body),
        (200, json!({"detail": "item was already not marked as favorite"}))
    );
    let (status, _, _) = call(&emu, "DELETE", &path, Some(&bob), None).await;
    assert_eq!(status, 403, "no read access, even to un-favorite");
}

#[tokio::test]
async fn itm_56_tree_opens_the_folders_down_to_the_item_with_their_siblings() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let a = folder(&emu, &alice, Some(&root), "a").await;
    let b = folder(&emu, &alice, Some(&root), "b").await;
    let a1 = folder(&emu, &alice, Some(&a), "a1").await;
    folder(&emu, &alice, Some(&b), "b1").await;
    call(
        &emu,
        "POST",
        &format!("/items/{a}/children/"),
        Some(&alice),
        Some(json!({"type": "file", "filename": "f.txt"})),
    )
    .await;
    let (status, tree) = get(&emu, &alice, &format!("/items/{a1}/tree/")).await;
    assert_eq!(status, 200, "{tree}");
    assert_eq!(tree["id"], root);
    let level1: Vec<&str> = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        level1,
        ["a", "b"],
        "the opened level shows its siblings, in creation order"
    );
    let a_node = &tree["children"][0];
    assert_eq!(a_node["children"][0]["id"], a1, "only folders, down to the item");
    assert_eq!(a_node["children"].as_array().unwrap().len(), 1);
    assert_eq!(tree["children"][1]["children"], json!([]), "b is not opened");
    assert_eq!(tree["ancestors_link_reach"], Value::Null);
    let (status, _) = get(&emu, &bob, &format!("/items/{a1}/tree/")).await;
    assert_eq!(status, 403);
    let (status, body) = get(&emu, &alice, "/items/not-a-uuid/tree/").await;
    assert_eq!(status, 400, "upstream's quirk: {body}");
    let (status, _) = get(&emu, &alice, &format!("/items/{}/tree/", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn favorites_and_recents_list_the_callers_trees() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    call(
        &emu,
        "POST",
        &format!("/items/{child}/favorite/"),
        Some(&alice),
        None,
    )
    .await;
    let (status, favorites) = get(&emu, &alice, "/items/favorites/").await;
    assert_eq!(status, 200);
    assert_eq!(favorites["count"], 1);
    assert_eq!(favorites["results"][0]["id"], child);
    assert!(
        favorites["results"][0].get("nb_accesses").is_none(),
        "the light representation"
    );
    assert!(favorites["results"][0].get("computed_link_reach").is_none());
    let (_, recents) = get(&emu, &alice, "/items/recents/?title=child").await;
    assert_eq!(recents["count"], 1);
    let (_, theirs) = get(&emu, &bob, "/items/recents/?title=child").await;
    assert_eq!(theirs["count"], 0);
}

#[tokio::test]
async fn itm_14_listing_filters_validate_and_narrow() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let root = folder(&emu, &alice, None, "Élan Project").await;
    for name in ["report.pdf", "photo.PNG", "notes", "data.csv"] {
        let (_, file, _) = call(
            &emu,
            "POST",
            &format!("/items/{root}/children/"),
            Some(&alice),
            Some(json!({"type": "file", "filename": name})),
        )
        .await;
        let id = file["id"].as_str().unwrap_or_default().to_owned();
        if id.is_empty() {
            continue; // `notes` has no extension: refused at creation
        }
        let put = client()
            .put(file["policy"].as_str().unwrap())
            .header("x-amz-acl", "private")
            .body("x y z")
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        call(
            &emu,
            "POST",
            &format!("/items/{id}/upload-ended/"),
            Some(&alice),
            None,
        )
        .await;
    }
    folder(&emu, &alice, Some(&root), "sub").await;
    let children = format!("/items/{root}/children/");
    let count = |body: &Value| body["count"].as_i64().unwrap();
    assert_eq!(
        count(&get(&emu, &alice, &format!("{children}?category=pdf")).await.1),
        2,
        "the pdf and the folder"
    );
    assert_eq!(
        count(&get(&emu, &alice, &format!("{children}?category=image")).await.1),
        2
    );
    assert_eq!(
        count(&get(&emu, &alice, &format!("{children}?category=other")).await.1),
        1,
        "only the folder"
    );
    let (status, body) = get(&emu, &alice, &format!("{children}?category=movies")).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "category",
                "invalid",
                "Select a valid choice. movies is not one of the available choices."
            )
        )
    );
    let (_, accents) = get(&emu, &alice, "/items/?title=elan%20proj").await;
    assert_eq!(count(&accents), 1, "accent- and case-insensitive");
    let me = get(&emu, &alice, "/users/me/").await.1;
    let mine = format!("{children}?contact={}", me["id"].as_str().unwrap());
    assert_eq!(count(&get(&emu, &alice, &mine).await.1), 4);
    let (status, _) = get(&emu, &alice, &format!("{children}?contact=nope")).await;
    assert_eq!(status, 400);
    let (status, body) = get(&emu, &alice, &format!("{children}?updated_at_after=yesterday")).await;
    assert_eq!(
        (status, body),
        (400, invalid("updated_at_after", "invalid", "Enter a valid date."))
    );
    assert_eq!(
        count(
            &get(&emu, &alice, &format!("{children}?updated_at_after=2000-01-01"))
                .await
                .1
        ),
        4
    );
    assert_eq!(
        count(
            &get(&emu, &alice, &format!("{children}?updated_at_before=2000-01-01"))
                .await
                .1
        ),
        0
    );
}

#[tokio::test]
async fn itm_61_wopi_answers_that_no_item_supports_it() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let root = folder(&emu, &alice, None, "w").await;
    let (status, body) = get(&emu, &alice, &format!("/items/{root}/wopi/")).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("detail", "invalid", "This item does not suport WOPI integration.")
        )
    );
}

#[tokio::test]
async fn concurrent_moves_and_deletes_of_one_subtree_leave_it_whole() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (a, b) = (
        folder(&emu, &alice, None, "a").await,
        folder(&emu, &alice, None, "b").await,
    );
    let moving = folder(&emu, &alice, Some(&a), "moving").await;
    let mut inside = Vec::new();
    for i in 0..5 {
        let child = folder(&emu, &alice, Some(&moving), &format!("c{i}")).await;
        inside.push(folder(&emu, &alice, Some(&child), "leaf").await);
        inside.push(child);
    }
    let mut tasks = Vec::new();
    for round in 0..20 {
        let (emu_url, alice, moving) = (emu.url().to_owned(), alice.clone(), moving.clone());
        let target = if round % 2 == 0 { b.clone() } else { a.clone() };
        tasks.push(tokio::spawn(async move {
            let (path, body) = if round == 13 {
                (format!("/items/{moving}/"), None)
            } else {
                (
                    format!("/items/{moving}/move/"),
                    Some(json!({"target_item_id": target})),
                )
            };
            let method = if body.is_some() {
                reqwest::Method::POST
            } else {
                reqwest::Method::DELETE
            };
            let mut request = client()
                .request(method, format!("{emu_url}/external_api/v1.0{path}"))
                .bearer_auth(&alice);
            if let Some(body) = body {
                request = request.json(&body);
            }
            request.send().await.unwrap().status().as_u16()
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            [200, 204, 403].contains(&status),
            "an answer, never an error: {status}"
        );
    }
    // Whatever order they ran in, every descendant sits under the moved folder's current path,
    // at the right depth.
    let moving_id = moving.clone();
    let rows: Vec<(String, String, i64)> = emu
        .app()
        .db
        .read(move |conn| {
            let mut stmt =
                conn.prepare("SELECT id, path, depth FROM drive_items WHERE path LIKE '%' || ?1 || '%'")?;
            let rows = stmt
                .query_map([moving_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    let (_, root_path, root_depth) = rows.iter().find(|(id, _, _)| *id == moving).cloned().unwrap();
    assert_eq!(rows.len(), 11, "the folder and its ten descendants");
    for (id, path, depth) in &rows {
        assert!(
            path.starts_with(&root_path),
            "{id} at {path} is outside {root_path}"
        );
        assert!(path.ends_with(id.as_str()));
        assert_eq!(*depth, i64::try_from(path.split('.').count()).unwrap());
        assert!(*depth >= root_depth);
    }
    assert!(inside.iter().all(|id| rows.iter().any(|(row, _, _)| row == id)));
}

#[tokio::test]
async fn oversized_and_non_object_bodies_are_refused_in_the_envelope() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let big = format!(
        "{{\"type\": \"folder\", \"title\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let answer = client()
        .post(format!("{}/external_api/v1.0/items/", emu.url()))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["type"], "validation_error");
    let (status, body, _) = call(&emu, "POST", "/items/", Some(&alice), Some(json!(["folder"]))).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "non_field_errors",
                "invalid",
                "Invalid data. Expected a dictionary, but got list."
            )
        )
    );
}

#[tokio::test]
async fn crossed_concurrent_moves_never_make_a_cycle() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (a, b) = (
        folder(&emu, &alice, None, "a").await,
        folder(&emu, &alice, None, "b").await,
    );
    let mut tasks = Vec::new();
    for (moved, target) in [(&a, &b), (&b, &a)].repeat(5) {
        let url = format!("{}/external_api/v1.0/items/{moved}/move/", emu.url());
        let (alice, target) = (alice.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let answer = client()
                .post(url)
                .bearer_auth(&alice)
                .json(&json!({"target_item_id": target}))
                .send()
                .await
                .unwrap();
            answer.status().as_u16()
        }));
    }
    for task in tasks {
        assert!([200, 400].contains(&task.await.unwrap()));
    }
    let (_, item_a) = get(&emu, &alice, &format!("/items/{a}/")).await;
    let (_, item_b) = get(&emu, &alice, &format!("/items/{b}/")).await;
    let (path_a, path_b) = (item_a["path"].as_str().unwrap(), item_b["path"].as_str().unwrap());
    assert!(
        !(path_a.contains(b.as_str()) && path_b.contains(a.as_str())),
        "a cycle: {path_a} and {path_b}"
    );
    assert_eq!(path_a.matches(a.as_str()).count(), 1);
    assert_eq!(path_b.matches(b.as_str()).count(), 1);
}

/// The 27 fields of upstream's `ListItemLightSerializer` (favorites and recents).
const LIGHT_KEYS: [&str; 27] = [
    "abilities",
    "created_at",
    "creator",
    "deleted_at",
    "depth",
    "description",
    "filename",
    "hard_delete_at",
    "id",
    "is_favorite",
    "is_wopi_supported",
    "link_reach",
    "link_role",
    "main_workspace",
    "mimetype",
    "numchild",
    "numchild_folder",
    "path",
    "size",
    "title",
    "type",
    "updated_at",
    "upload_state",
    "url",
    "url_permalink",
    "url_preview",
    "user_role",
];

#[tokio::test]
async fn fid_07_favorites_and_recents_follow_upstreams_light_serializer_and_queryset() {
    const PUBLIC: &str = "0d0d0d0d-0000-4000-8000-000000000001";
    const INSIDE: &str = "0d0d0d0d-0000-4000-8000-000000000002";
    let emu = util::start_with(&format!(
        "[[drive.items]]\nid = \"{PUBLIC}\"\ntitle = \"Public\"\nowner = \"bob\"\n\
         link_reach = \"public\"\nlink_role = \"editor\"\n\n\
         [[drive.items]]\nid = \"{INSIDE}\"\ntitle = \"Inside\"\nowner = \"bob\"\nparent = \"{PUBLIC}\"\n"
    ))
    .await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let file = upload_file(&emu, &alice, &format!("/items/{child}/children/"), "a.txt", "a").await;
    let file = file["id"].as_str().unwrap().to_owned();
    // A pending file never shows.
    crate::driveutil::create(
        &emu,
        &alice,
        &format!("/items/{root}/children/"),
        json!({"type": "file", "filename": "pending.txt"}),
    )
    .await;
    // Alice follows the link to bob's public folder: its tree is hers to list too.
    assert_eq!(
        call(&emu, "GET", &format!("/items/{PUBLIC}/"), Some(&alice), None)
            .await
            .0,
        200
    );
    call(
        &emu,
        "POST",
        &format!("/items/{INSIDE}/favorite/"),
        Some(&alice),
        None,
    )
    .await;
    call(
        &emu,
        "POST",
        &format!("/items/{child}/favorite/"),
        Some(&alice),
        None,
    )
    .await;

    let (status, recents) = get(&emu, &alice, "/items/recents/").await;
    assert_eq!(status, 200);
    let results = recents["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    // Default ordering -updated_at: the last made first; bob's tree, seeded at start, last
    // (its two items share one timestamp: their order is not upstream's to promise).
    assert_eq!(
        ids[..3],
        [file.as_str(), child.as_str(), root.as_str()],
        "{recents}"
    );
    let mut seeded = ids[3..].to_vec();
    seeded.sort_unstable();
    assert_eq!(seeded, [PUBLIC, INSIDE], "the link-traced tree, root and child");
    for entry in results {
        let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, LIGHT_KEYS, "field by field");
    }
    let by_id = |id: &str| results.iter().find(|r| r["id"] == id).unwrap().clone();
    // Link fields are the item's own (a child's reach is null, its role the default).
    let inside = by_id(INSIDE);
    assert_eq!(
        (&inside["link_reach"], &inside["link_role"]),
        (&Value::Null, &json!("reader"))
    );
    assert_eq!(
        (&inside["user_role"], &inside["is_favorite"]),
        (&Value::Null, &json!(true))
    );
    assert_eq!(
        inside["abilities"]["partial_update"], true,
        "the public link's editor role"
    );
    let public = by_id(PUBLIC);
    assert_eq!(
        (&public["link_reach"], &public["link_role"]),
        (&json!("public"), &json!("editor"))
    );
    assert_eq!(by_id(&child)["is_favorite"], true);
    assert_eq!(by_id(&root)["is_favorite"], false);
    assert_eq!(by_id(&root)["numchild"], 2, "numchild counts the pending file");

    let (_, favorites) = get(&emu, &alice, "/items/favorites/").await;
    let ids: Vec<&str> = favorites["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [child.as_str(), INSIDE]);
    assert!(
        favorites["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["is_favorite"] == true)
    );

    // Once bob restricts the folder, the traced tree is gone from both, favorite or not.
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{PUBLIC}/link-configuration/"),
        Some(&bob),
        Some(json!({"link_reach": "restricted"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, recents) = get(&emu, &alice, "/items/recents/").await;
    assert_eq!(recents["count"], 3);
    let (_, favorites) = get(&emu, &alice, "/items/favorites/").await;
    assert_eq!(favorites["count"], 1);
    assert_eq!(favorites["results"][0]["id"], child);
    // A deleted subtree leaves both lists.
    call(&emu, "DELETE", &format!("/items/{child}/"), Some(&alice), None).await;
    let (_, recents) = get(&emu, &alice, "/items/recents/").await;
    assert_eq!(recents["count"], 1);
    let (_, favorites) = get(&emu, &alice, "/items/favorites/").await;
    assert_eq!(favorites["count"], 0);
}
