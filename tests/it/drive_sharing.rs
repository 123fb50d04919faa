//! Drive's external API, sharing (spec §9.2, §9.3, §6.7, §6.8, §7.8, §7.9): item accesses and
//! invitations. Checklist items EXT-28..EXT-39 and ITM-65..ITM-73 are named where they apply.

use serde_json::{Value, json};

use crate::driveutil::{API, call, error, folder, invalid, restrict, token};
use crate::util::{self, client};

type Emu = lasuite_emu::RunningEmulator;

const GENERIC_403: &str = "You do not have permission to perform this action.";

/// The caller's `users/me/` (their Drive user is created by this first call).
async fn me(emu: &Emu, token: &str) -> Value {
    let (status, me, _) = call(emu, "GET", "/users/me/", Some(token), None).await;
    assert_eq!(status, 200, "{me}");
    me
}

async fn grant(emu: &Emu, token: &str, item: &str, user_id: &str, role: &str) -> Value {
    let (status, access, _) = call(
        emu,
        "POST",
        &format!("/items/{item}/accesses/"),
        Some(token),
        Some(json!({"user_id": user_id, "role": role})),
    )
    .await;
    assert_eq!(status, 201, "{access}");
    access
}

async fn accesses(emu: &Emu, token: &str, item: &str) -> (u16, Value) {
    let (status, body, _) = call(emu, "GET", &format!("/items/{item}/accesses/"), Some(token), None).await;
    (status, body)
}

async fn invite(emu: &Emu, token: &str, item: &str, email: &str, role: &str) -> (u16, Value) {
    let (status, body, _) = call(
        emu,
        "POST",
        &format!("/items/{item}/invitations/"),
        Some(token),
        Some(json!({"email": email, "role": role})),
    )
    .await;
    (status, body)
}

/// The id of `user_id`'s access in a list answer.
fn access_of(list: &Value, user_id: &str) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"]["id"] == user_id)
        .unwrap_or_else(|| panic!("no access for {user_id} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

async fn count(emu: &Emu, sql: &'static str, arg: &str) -> i64 {
    let arg = arg.to_owned();
    emu.app()
        .db
        .read(move |conn| Ok(conn.query_row(sql, [arg], |r| r.get(0))?))
        .await
        .unwrap()
}

/// A request with a raw body and content type.
async fn raw(
    emu: &Emu,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let response = client()
        .request(method.parse().unwrap(), format!("{}{API}{path}", emu.url()))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

// ----- accesses ------------------------------------------------------------------------------

#[tokio::test]
async fn ext_28_ext_30_ext_32_ext_34_ext_36_ext_38_disabled_nested_resources_are_absent() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let bob_id = me(&emu, &token(&emu, "bob").await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let access = grant(&emu, &alice, &root, &bob_id, "reader").await;
    let (status, invitation) = invite(&emu, &alice, &root, "guest@example.com", "reader").await;
    assert_eq!(status, 201);
    restrict(
        &emu,
        r#"{"items": {"enabled": true, "actions": ["create", "list", "retrieve", "children"]},
            "users": {"enabled": true, "actions": ["get_me"]}}"#,
    )
    .await;
    let accesses = format!("/items/{root}/accesses/");
    let invitations = format!("/items/{root}/invitations/");
    let access_path = format!("{accesses}{}/", access["id"].as_str().unwrap());
    let invitation_path = format!("{invitations}{}/", invitation["id"].as_str().unwrap());
    for (method, path, body) in [
        ("GET", &accesses, None),
        (
            "POST",
            &accesses,
            Some(json!({"user_id": bob_id, "role": "editor"})),
        ),
        ("DELETE", &access_path, None),
        ("GET", &invitations, None),
        ("POST", &invitations, Some(json!({"email": "x@example.com"}))),
        ("DELETE", &invitation_path, None),
    ] {
        let (status, body, _) = call(&emu, method, path, Some(&alice), body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        let (status, _, _) = call(&emu, method, path, None, None).await;
        assert_eq!(status, 404, "the route is absent, whatever the credentials");
    }
    let sql = "SELECT COUNT(*) FROM drive_accesses WHERE item_id = ?1";
    assert_eq!(count(&emu, sql, &root).await, 2, "EXT-32: nothing deleted");
    let sql = "SELECT COUNT(*) FROM drive_invitations WHERE item_id = ?1";
    assert_eq!(count(&emu, sql, &root).await, 1, "EXT-38: nothing deleted");
    // Enabled but with an empty action list: 403, not 404 (§3.1).
    restrict(
        &emu,
        r#"{"items": {"enabled": true, "actions": []}, "item_access": {"enabled": true, "actions": []},
            "item_invitation": {"enabled": true, "actions": ["list"]}}"#,
    )
    .await;
    let (status, body, _) = call(&emu, "GET", &accesses, Some(&alice), None).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let (status, _, _) = call(&emu, "DELETE", &invitation_path, Some(&alice), None).await;
    assert_eq!(status, 403);
    let (status, page, _) = call(&emu, "GET", &invitations, Some(&alice), None).await;
    assert_eq!((status, &page["count"]), (200, &json!(1)));
}

#[tokio::test]
async fn ext_29_ext_31_ext_33_itm_67_accesses_are_listed_created_and_destroyed() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob = me(&emu, &token(&emu, "bob").await).await;
    let bob_id = bob["id"].as_str().unwrap();
    let root = folder(&emu, &alice, None, "root").await;
    let (_, item, _) = call(&emu, "GET", &format!("/items/{root}/"), Some(&alice), None).await;

    // EXT-31: the full representation of the new access (§7.8).
    let created = grant(&emu, &alice, &root, bob_id, "reader").await;
    let new_id = created["id"].as_str().unwrap();
    assert_eq!(
        created,
        json!({
            "id": new_id,
            "user": bob,
            "team": "",
            "role": "reader",
            "abilities": {"destroy": true, "update": true, "partial_update": true, "retrieve": true,
                          "set_role_to": ["reader", "editor", "administrator", "owner"]},
            "max_ancestors_role": null,
            "max_ancestors_role_item_id": null,
            "max_role": "reader",
            "item": {"id": root, "path": item["path"], "depth": 1},
            "is_explicit": true,
        })
    );
    let sql = "SELECT COUNT(*) FROM drive_accesses WHERE id = ?1 AND role = 'reader'";
    assert_eq!(count(&emu, sql, new_id).await, 1);

    // EXT-29: both accesses, the owner's first.
    let (status, list) = accesses(&emu, &alice, &root).await;
    assert_eq!(status, 200, "{list}");
    let owner_id = access_of(&list, &alice_id);
    assert_eq!(ids(&list), [owner_id.as_str(), new_id]);
    assert_eq!(
        list[0]["abilities"],
        json!({"destroy": false, "update": false, "partial_update": false, "retrieve": true,
               "set_role_to": []}),
        "the last owner of a root can be neither removed nor demoted"
    );

    // EXT-33
    let path = format!("/items/{root}/accesses/{new_id}/");
    let (status, body, _) = call(&emu, "DELETE", &path, Some(&alice), None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(
        count(
            &emu,
            "SELECT COUNT(*) FROM drive_accesses WHERE item_id = ?1",
            &root
        )
        .await,
        1
    );
    assert_eq!(ids(&accesses(&emu, &alice, &root).await.1), [owner_id.as_str()]);
}

#[tokio::test]
async fn itm_65_lists_depend_on_the_callers_role() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_user = me(&emu, &drive).await;
    let drive_id = drive_user["id"].as_str().unwrap();
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;

    // Unknown, malformed and upper-case item ids.
    let unknown = uuid::Uuid::new_v4().to_string();
    for rid in [unknown.as_str(), "not-a-uuid", &root.to_uppercase()] {
        let (status, body) = accesses(&emu, &alice, rid).await;
        assert_eq!((status, body), (404, error("not_found", "Not found.")), "{rid}");
    }
    // A stranger sees nothing, even on a public item.
    assert_eq!(accesses(&emu, &bob, &child).await, (200, json!([])));
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{root}/link-configuration/"),
        Some(&alice),
        Some(json!({"link_reach": "public", "link_role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(accesses(&emu, &bob, &child).await, (200, json!([])));

    grant(&emu, &alice, &root, &bob_id, "editor").await;
    let admin = grant(&emu, &alice, &child, drive_id, "administrator").await;

    // A reader or editor sees the administrator and owner rows only, with light users.
    let (status, list) = accesses(&emu, &bob, &child).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["user"]["id"], alice_id.as_str());
    assert_eq!(
        list[0]["user"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["full_name", "id", "short_name"]
    );
    assert_eq!(
        (&list[0]["role"], &list[0]["is_explicit"]),
        (&json!("owner"), &json!(false))
    );
    assert_eq!(
        (
            &list[0]["max_ancestors_role"],
            &list[0]["max_ancestors_role_item_id"],
            &list[0]["max_role"]
        ),
        (&json!("owner"), &json!(root), &json!("owner")),
        "an inherited row stands for itself"
    );
    assert_eq!(list[1]["id"], admin["id"]);
    assert_eq!(
        list[1]["user"],
        json!({"id": drive_id, "full_name": drive_user["full_name"], "short_name": drive_user["short_name"]})
    );
    assert_eq!(
        (&list[1]["is_explicit"], &list[1]["max_ancestors_role"]),
        (&json!(true), &Value::Null)
    );
    assert_eq!(
        list[1]["abilities"],
        json!({"destroy": false, "update": false, "partial_update": false, "retrieve": false,
               "set_role_to": []})
    );

    // Administrators and owners see every row, with full users.
    let (_, list) = accesses(&emu, &alice, &child).await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    assert_eq!(list[1]["user"]["id"], bob_id.as_str());
    assert_eq!(list[1]["user"]["email"], "bob@example.com");
    assert_eq!(list[1]["role"], "editor");
    assert_eq!(
        list[1]["abilities"]["set_role_to"],
        json!(["administrator", "owner"]),
        "an inherited row can only be raised from here"
    );
    assert_eq!(list[2]["user"], drive_user);
    let (_, as_admin) = accesses(&emu, &drive, &child).await;
    assert_eq!(as_admin.as_array().unwrap().len(), 3);
    assert_eq!(
        as_admin[2]["abilities"],
        json!({"destroy": true, "update": true, "partial_update": true, "retrieve": true,
               "set_role_to": ["reader", "editor", "administrator"]}),
        "an administrator cannot make owners"
    );
}

#[tokio::test]
async fn itm_65_the_deepest_row_per_user_carries_the_best_ancestor_role() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let parent = folder(&emu, &alice, Some(&root), "parent").await;
    let item = folder(&emu, &alice, Some(&parent), "item").await;
    grant(&emu, &alice, &root, &bob_id, "editor").await;
    grant(&emu, &alice, &parent, &bob_id, "administrator").await;
    let deepest = grant(&emu, &alice, &item, &bob_id, "owner").await;
    assert_eq!(
        (
            &deepest["max_ancestors_role"],
            &deepest["max_ancestors_role_item_id"]
        ),
        (&json!("administrator"), &json!(parent))
    );
    for caller in [&alice, &bob] {
        let (status, list) = accesses(&emu, caller, &item).await;
        assert_eq!(status, 200);
        assert_eq!(
            ids(&list),
            [
                access_of(&list, &alice_id).as_str(),
                deepest["id"].as_str().unwrap()
            ]
        );
        let bob_row = &list[1];
        assert_eq!(
            (
                &bob_row["role"],
                &bob_row["max_ancestors_role"],
                &bob_row["max_ancestors_role_item_id"],
                &bob_row["max_role"],
                &bob_row["is_explicit"],
            ),
            (
                &json!("owner"),
                &json!("administrator"),
                &json!(parent),
                &json!("owner"),
                &json!(true)
            )
        );
        assert_eq!(
            bob_row["abilities"],
            json!({"destroy": true, "update": true, "partial_update": true, "retrieve": true,
                   "set_role_to": ["administrator", "owner"]})
        );
    }
    // The parent's list stops at bob's administrator row.
    let (_, list) = accesses(&emu, &alice, &parent).await;
    assert_eq!(list[1]["role"], "administrator");
    assert_eq!(list[1]["max_ancestors_role"], "editor");
    assert_eq!(list[1]["max_ancestors_role_item_id"], root.as_str());
}

#[tokio::test]
async fn itm_66_retrieve_needs_the_items_own_row_and_a_right_to_see_it() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let alice_me = me(&emu, &alice).await;
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let other = folder(&emu, &alice, None, "other").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let (_, list) = accesses(&emu, &alice, &root).await;
    let owner = list[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/items/{root}/accesses/{owner}/");

    let (status, body, _) = call(&emu, "GET", &path, Some(&alice), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["user"], alice_me);
    assert_eq!(body["team"], "");
    assert_eq!(
        (&body["max_ancestors_role"], &body["max_ancestors_role_item_id"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        (&body["max_role"], &body["is_explicit"]),
        (&json!("owner"), &json!(true))
    );
    // The access of another item, or of an ancestor, is not found here.
    for wrong in [
        format!("/items/{other}/accesses/{owner}/"),
        format!("/items/{child}/accesses/{owner}/"),
        format!("/items/{root}/accesses/{}/", uuid::Uuid::new_v4()),
        format!("/items/{root}/accesses/not-a-uuid/"),
    ] {
        let (status, body, _) = call(&emu, "GET", &wrong, Some(&alice), None).await;
        assert_eq!((status, body), (404, error("not_found", "Not found.")), "{wrong}");
    }
    // Any spelling of the access's UUID finds it.
    let upper = format!("/items/{root}/accesses/{}/", owner.to_uppercase());
    assert_eq!(call(&emu, "GET", &upper, Some(&alice), None).await.0, 200);

    let (status, body, _) = call(&emu, "GET", &path, Some(&bob), None).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    // A reader may see their own row (light), not the others'.
    let mine = grant(&emu, &alice, &root, &bob_id, "reader").await;
    let (status, own, _) = call(
        &emu,
        "GET",
        &format!("/items/{root}/accesses/{}/", mine["id"].as_str().unwrap()),
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(own["user"].as_object().unwrap().len(), 3, "light user: {own}");
    assert_eq!(
        own["abilities"],
        json!({"destroy": false, "update": false, "partial_update": false, "retrieve": true,
               "set_role_to": []})
    );
    assert_eq!(call(&emu, "GET", &path, Some(&bob), None).await.0, 403);
}

#[tokio::test]
async fn itm_67_creation_is_for_administrators_and_owners_above_inherited_roles() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let path = format!("/items/{root}/accesses/");
    let request = json!({"user_id": drive_id, "role": "reader"});

    // Strangers, readers and editors may not share.
    let (status, body, _) = call(&emu, "POST", &path, Some(&bob), Some(request.clone())).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let bob_root = grant(&emu, &alice, &root, &bob_id, "reader").await;
    assert_eq!(
        call(&emu, "POST", &path, Some(&bob), Some(request.clone()))
            .await
            .0,
        403
    );
    let bob_path = format!("{path}{}/", bob_root["id"].as_str().unwrap());
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &bob_path,
        Some(&alice),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        call(&emu, "POST", &path, Some(&bob), Some(request.clone()))
            .await
            .0,
        403
    );
    let (status, _, _) = call(
        &emu,
        "POST",
        "/items/00000000-0000-4000-8000-000000000000/accesses/",
        Some(&alice),
        Some(request.clone()),
    )
    .await;
    assert_eq!(status, 404);

    // An administrator shares below owner only.
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &bob_path,
        Some(&alice),
        Some(json!({"role": "administrator"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body, _) = call(
        &emu,
        "POST",
        &path,
        Some(&bob),
        Some(json!({"user_id": drive_id, "role": "owner"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            error(
                "permission_denied",
                "Only owners of an item can assign other users as owners."
            )
        )
    );
    let (status, created, _) = call(&emu, "POST", &path, Some(&bob), Some(request.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["abilities"]["set_role_to"],
        json!(["reader", "editor", "administrator"])
    );

    // Below an inherited grant, only a strictly higher role.
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{child}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": bob_id, "role": "administrator"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "role",
                "invalid",
                "The role administrator you are trying to assign is lower or equal than the max ancestors role administrator."
            )
        )
    );
    let raised = grant(&emu, &alice, &child, &bob_id, "owner").await;
    assert_eq!(
        (
            &raised["max_ancestors_role"],
            &raised["max_ancestors_role_item_id"],
            &raised["max_role"]
        ),
        (&json!("administrator"), &json!(root), &json!("owner"))
    );
    // The same user twice on one item: the model refuses.
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{child}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": drive_id, "role": "editor"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{child}/accesses/"),
        Some(&alice),
        Some(json!({"user_id": drive_id, "role": "administrator"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("__all__", "invalid", "This user is already in this item.")
        )
    );

    // A grant removes the same user's lower or equal grants below it, and keeps higher ones.
    let other_root = folder(&emu, &alice, None, "other root").await;
    let a = folder(&emu, &alice, Some(&other_root), "a").await;
    let b = folder(&emu, &alice, Some(&a), "b").await;
    grant(&emu, &alice, &a, &drive_id, "reader").await;
    grant(&emu, &alice, &b, &drive_id, "owner").await;
    grant(&emu, &alice, &other_root, &drive_id, "editor").await;
    let (_, list) = accesses(&emu, &alice, &b).await;
    let drive_rows: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["user"]["id"] == drive_id.as_str())
        .collect();
    assert_eq!(drive_rows.len(), 1);
    assert_eq!(
        (&drive_rows[0]["role"], &drive_rows[0]["max_ancestors_role"]),
        (&json!("owner"), &json!("editor")),
        "the reader row on a is gone, the owner row on b stays"
    );
    let sql = "SELECT COUNT(*) FROM drive_accesses WHERE item_id = ?1";
    assert_eq!(count(&emu, sql, &a).await, 0);
}

#[tokio::test]
async fn itm_67_creation_validates_its_body() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let path = format!("/items/{root}/accesses/");
    let unknown = uuid::Uuid::new_v4().to_string();
    let cases = [
        (
            json!({"user_id": "not-a-uuid", "role": "reader"}),
            invalid(
                "user_id",
                "invalid",
                "\u{201c}not-a-uuid\u{201d} is not a valid UUID.",
            ),
        ),
        (
            json!({"user_id": unknown, "role": "reader"}),
            invalid(
                "user_id",
                "does_not_exist",
                &format!("Invalid pk \"{unknown}\" - object does not exist."),
            ),
        ),
        (
            json!({"user_id": true, "role": "reader"}),
            invalid(
                "user_id",
                "incorrect_type",
                "Incorrect type. Expected pk value, received bool.",
            ),
        ),
        (
            json!({"user_id": bob_id, "role": "boss"}),
            invalid("role", "invalid_choice", "\"boss\" is not a valid choice."),
        ),
        (
            json!({"user_id": bob_id, "role": null}),
            invalid("role", "null", "This field may not be null."),
        ),
        (
            json!({"user_id": bob_id, "role": "reader", "team": ["x"]}),
            invalid("team", "invalid", "Not a valid string."),
        ),
        (
            json!({"role": "reader"}),
            invalid("__all__", "invalid", "Either user or team must be set, not both."),
        ),
        (
            json!({"user_id": bob_id, "team": "lasuite", "role": "reader"}),
            invalid("__all__", "invalid", "Either user or team must be set, not both."),
        ),
    ];
    for (request, expected) in cases {
        let (status, body, _) = call(&emu, "POST", &path, Some(&alice), Some(request.clone())).await;
        assert_eq!((status, body), (400, expected), "{request}");
    }
    let (status, body, _) = call(
        &emu,
        "POST",
        &path,
        Some(&alice),
        Some(json!({"user_id": "not-a-uuid", "role": "boss"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["attr"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["user_id", "role"],
        "every field error at once"
    );
    let (status, body) = raw(
        &emu,
        "POST",
        &path,
        &alice,
        "application/x-www-form-urlencoded",
        "role=reader",
    )
    .await;
    assert_eq!(
        (status, body),
        (
            415,
            error(
                "unsupported_media_type",
                "Unsupported media type \"application/x-www-form-urlencoded\" in request."
            )
        )
    );
    let (status, body) = raw(&emu, "POST", &path, &alice, "application/json", "{\"role\":").await;
    assert_eq!((status, &body["errors"][0]["code"]), (400, &json!("parse_error")));
    let (status, body) = raw(&emu, "POST", &path, &alice, "application/json", "[]").await;
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
    // The permission comes before the body.
    let (status, _) = raw(&emu, "POST", &path, &bob, "text/plain", "x").await;
    assert_eq!(status, 403);

    // Team accesses: stored, never anyone's role.
    let (status, team, _) = call(
        &emu,
        "POST",
        &path,
        Some(&alice),
        Some(json!({"team": "lasuite", "role": "editor"})),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    assert_eq!(
        (&team["user"], &team["team"], &team["role"]),
        (&Value::Null, &json!("lasuite"), &json!("editor"))
    );
    let (status, body, _) = call(
        &emu,
        "POST",
        &path,
        Some(&alice),
        Some(json!({"team": "lasuite", "role": "administrator"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("__all__", "invalid", "This team is already in this item.")
        )
    );
    assert_eq!(accesses(&emu, &bob, &root).await, (200, json!([])));
    // An omitted role is the model's default, `reader` (upstream reads it as None and refuses
    // every such request; docs/compat.md).
    let (status, body, _) = call(
        &emu,
        "POST",
        &path,
        Some(&alice),
        Some(json!({"user_id": bob_id})),
    )
    .await;
    assert_eq!((status, &body["role"]), (201, &json!("reader")), "{body}");
}

#[tokio::test]
async fn itm_68_updates_change_the_role_only_within_set_role_to() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let grandchild = folder(&emu, &alice, Some(&child), "grandchild").await;
    let (_, list) = accesses(&emu, &alice, &root).await;
    let alice_path = format!("/items/{root}/accesses/{}/", access_of(&list, &alice_id));

    // The sole owner of a root may not step down (the generic 403: no role is offered).
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &alice_path,
        Some(&alice),
        Some(json!({"role": "administrator"})),
    )
    .await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let (status, _, _) = call(&emu, "PUT", &alice_path, Some(&alice), Some(json!({}))).await;
    assert_eq!(status, 403, "no ability to update at all");

    // Explicit child access: never below the inherited role.
    let bob_root = grant(&emu, &alice, &root, &bob_id, "editor").await;
    let bob_child = grant(&emu, &alice, &child, &bob_id, "owner").await;
    let bob_child_path = format!("/items/{child}/accesses/{}/", bob_child["id"].as_str().unwrap());
    let (status, _, _) = call(
        &emu,
        "PUT",
        &bob_child_path,
        Some(&alice),
        Some(json!({"role": "reader"})),
    )
    .await;
    assert_eq!(status, 403);
    for unknown in [json!("boss"), json!(5)] {
        let (status, _, _) = call(
            &emu,
            "PATCH",
            &bob_child_path,
            Some(&alice),
            Some(json!({"role": unknown})),
        )
        .await;
        assert_eq!(
            status, 403,
            "a role outside set_role_to is refused before validation"
        );
    }
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &bob_child_path,
        Some(&alice),
        Some(json!({"role": ""})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("role", "invalid_choice", "\"\" is not a valid choice.")
        )
    );
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &bob_child_path,
        Some(&alice),
        Some(json!({"role": "administrator", "user_id": "nope"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("user_id", "invalid", "\u{201c}nope\u{201d} is not a valid UUID.")
        ),
        "user_id is validated though ignored"
    );
    let (status, body) = raw(
        &emu,
        "PATCH",
        &bob_child_path,
        &alice,
        "application/x-www-form-urlencoded",
        "role=editor",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, updated, _) = call(
        &emu,
        "PUT",
        &bob_child_path,
        Some(&alice),
        Some(json!({"role": "administrator", "user_id": drive_id, "team": "other"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (&updated["role"], &updated["user"]["id"], &updated["team"]),
        (&json!("administrator"), &json!(bob_id), &json!("")),
        "only the role changes"
    );
    assert_eq!(
        (&updated["max_ancestors_role"], &updated["max_role"]),
        (&json!("editor"), &json!("administrator"))
    );
    let (status, same, _) = call(&emu, "PUT", &bob_child_path, Some(&alice), Some(json!({}))).await;
    assert_eq!((status, &same["role"]), (200, &json!("administrator")));
    // Readers and editors change nothing.
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &bob_child_path,
        Some(&drive),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(status, 403);
    let wrong = format!("/items/{root}/accesses/{}/", bob_child["id"].as_str().unwrap());
    assert_eq!(
        call(
            &emu,
            "PATCH",
            &wrong,
            Some(&alice),
            Some(json!({"role": "owner"}))
        )
        .await
        .0,
        404
    );

    // Back to the inherited role: the row goes, the inheritance takes over.
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &bob_child_path,
        Some(&alice),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(
        call(&emu, "GET", &bob_child_path, Some(&alice), None).await.0,
        404
    );
    let (_, item, _) = call(&emu, "GET", &format!("/items/{child}/"), Some(&bob), None).await;
    assert_eq!(item["user_role"], "editor");

    // Promoting on the root removes lower or equal rows below and keeps higher ones.
    grant(&emu, &alice, &root, &drive_id, "reader").await;
    grant(&emu, &alice, &child, &drive_id, "editor").await;
    grant(&emu, &alice, &grandchild, &drive_id, "owner").await;
    let (_, list) = accesses(&emu, &alice, &root).await;
    let drive_root = format!("/items/{root}/accesses/{}/", access_of(&list, &drive_id));
    let (status, promoted, _) = call(
        &emu,
        "PATCH",
        &drive_root,
        Some(&alice),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!((status, &promoted["role"]), (200, &json!("editor")));
    let sql = "SELECT COUNT(*) FROM drive_accesses WHERE user_id = ?1";
    assert_eq!(
        count(&emu, sql, &drive_id).await,
        2,
        "root editor and grandchild owner"
    );
    let (_, list) = accesses(&emu, &alice, &grandchild).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"]["id"] == drive_id.as_str())
            .unwrap()["role"],
        "owner"
    );

    // With a second owner, the first may step down.
    let (status, _, _) = call(
        &emu,
        "PATCH",
        &format!("/items/{root}/accesses/{}/", bob_root["id"].as_str().unwrap()),
        Some(&alice),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, stepped_down, _) = call(
        &emu,
        "PATCH",
        &alice_path,
        Some(&alice),
        Some(json!({"role": "administrator"})),
    )
    .await;
    assert_eq!(status, 200, "{stepped_down}");
    assert_eq!(stepped_down["role"], "administrator");
    assert_eq!(
        stepped_down["abilities"]["set_role_to"],
        json!(["reader", "editor", "administrator"]),
        "the abilities are those after the change"
    );
}

#[tokio::test]
async fn itm_69_deletion_rules() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let (_, list) = accesses(&emu, &alice, &root).await;
    let alice_path = format!("/items/{root}/accesses/{}/", access_of(&list, &alice_id));
    let path = |access: &Value| format!("/items/{root}/accesses/{}/", access["id"].as_str().unwrap());

    // The last owner of a root stays.
    let (status, body, _) = call(&emu, "DELETE", &alice_path, Some(&alice), None).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));

    let bob_access = grant(&emu, &alice, &root, &bob_id, "editor").await;
    assert_eq!(call(&emu, "DELETE", &alice_path, Some(&bob), None).await.0, 403);
    assert_eq!(
        call(&emu, "DELETE", &path(&bob_access), Some(&bob), None).await.0,
        403,
        "not even one's own"
    );
    let drive_access = grant(&emu, &alice, &root, &drive_id, "administrator").await;
    // An administrator removes non-owners, not owners.
    assert_eq!(call(&emu, "DELETE", &alice_path, Some(&drive), None).await.0, 403);
    assert_eq!(
        call(&emu, "DELETE", &path(&bob_access), Some(&drive), None)
            .await
            .0,
        204
    );
    // An owner removes another owner (not the last).
    let bob_owner = grant(&emu, &alice, &root, &bob_id, "owner").await;
    assert_eq!(
        call(&emu, "DELETE", &path(&bob_owner), Some(&drive), None)
            .await
            .0,
        403
    );
    assert_eq!(
        call(&emu, "DELETE", &path(&bob_owner), Some(&alice), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&emu, "DELETE", &path(&drive_access), Some(&alice), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&emu, "DELETE", &path(&drive_access), Some(&alice), None)
            .await
            .0,
        404
    );
    // The last owner below a root, a user's or a team's, may go.
    let child_owner = grant(&emu, &alice, &child, &bob_id, "owner").await;
    let (status, team, _) = call(
        &emu,
        "POST",
        &format!("/items/{child}/accesses/"),
        Some(&alice),
        Some(json!({"team": "lasuite", "role": "owner"})),
    )
    .await;
    assert_eq!(status, 201);
    for access in [&child_owner, &team] {
        let access_path = format!("/items/{child}/accesses/{}/", access["id"].as_str().unwrap());
        assert_eq!(
            call(&emu, "DELETE", &access_path, Some(&alice), None).await.0,
            204
        );
    }
    assert_eq!(
        count(
            &emu,
            "SELECT COUNT(*) FROM drive_accesses WHERE item_id = ?1",
            &root
        )
        .await,
        1
    );
}

// ----- invitations ---------------------------------------------------------------------------

#[tokio::test]
async fn ext_35_ext_37_ext_39_invitations_are_listed_created_and_destroyed() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;

    let (status, first) = invite(&emu, &alice, &root, "test@example.com", "reader").await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_str().unwrap();
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        first,
        json!({
            "id": first_id,
            "abilities": {"destroy": true, "update": true, "partial_update": true, "retrieve": true},
            "created_at": first["created_at"],
            "email": "test@example.com",
            "item": root,
            "role": "reader",
            "issuer": alice_id,
            "is_expired": false,
        })
    );
    let sql = "SELECT COUNT(*) FROM drive_invitations WHERE id = ?1";
    assert_eq!(count(&emu, sql, first_id).await, 1);
    let (_, second) = invite(&emu, &alice, &root, "other@example.com", "editor").await;

    let (status, page, _) = call(
        &emu,
        "GET",
        &format!("/items/{root}/invitations/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&page["count"], &page["next"], &page["previous"]),
        (&json!(2), &Value::Null, &Value::Null)
    );
    assert_eq!(
        ids(&page["results"]),
        [second["id"].as_str().unwrap(), first_id],
        "newest first"
    );

    let path = format!("/items/{root}/invitations/{first_id}/");
    let (status, body, _) = call(&emu, "DELETE", &path, Some(&alice), None).await;
    assert_eq!((status, body), (204, Value::Null));
    let sql = "SELECT COUNT(*) FROM drive_invitations WHERE item_id = ?1";
    assert_eq!(count(&emu, sql, &root).await, 1);
    assert_eq!(call(&emu, "GET", &path, Some(&alice), None).await.0, 404);
}

#[tokio::test]
async fn itm_70_lists_are_paginated_for_administrators_and_empty_for_others() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let path = format!("/items/{root}/invitations/");
    grant(&emu, &alice, &root, &drive_id, "administrator").await;
    for (who, email) in [
        (&alice, "a@example.com"),
        (&drive, "b@example.com"),
        (&alice, "c@example.com"),
    ] {
        assert_eq!(invite(&emu, who, &root, email, "reader").await.0, 201);
    }
    let other = folder(&emu, &alice, None, "other").await;
    assert_eq!(
        invite(&emu, &alice, &other, "elsewhere@example.com", "reader")
            .await
            .0,
        201
    );

    let (status, page, _) = call(&emu, "GET", &format!("{path}?page_size=2"), Some(&drive), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 3, "others' invitations included");
    let emails: Vec<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["c@example.com", "b@example.com"]);
    assert_eq!(
        page["next"],
        format!("{}{API}{path}?page_size=2&page=2", emu.url())
    );
    let keys: Vec<&String> = page["results"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "abilities",
            "created_at",
            "email",
            "id",
            "is_expired",
            "issuer",
            "item",
            "role"
        ]
    );
    let (_, last, _) = call(
        &emu,
        "GET",
        &format!("{path}?page_size=2&page=2"),
        Some(&drive),
        None,
    )
    .await;
    assert_eq!(last["results"][0]["email"], "a@example.com");
    assert_eq!(last["previous"], format!("{}{API}{path}?page_size=2", emu.url()));
    let (status, body, _) = call(&emu, "GET", &format!("{path}?page=9"), Some(&drive), None).await;
    assert_eq!((status, body), (404, error("not_found", "Invalid page.")));

    // Readers, editors and strangers: an empty page, not a refusal.
    let empty = json!({"count": 0, "next": null, "previous": null, "results": []});
    assert_eq!(call(&emu, "GET", &path, Some(&bob), None).await.1, empty);
    grant(&emu, &alice, &root, &bob_id, "editor").await;
    let (status, body, _) = call(&emu, "GET", &path, Some(&bob), None).await;
    assert_eq!((status, body), (200, empty));
    let unknown = format!("/items/{}/invitations/", uuid::Uuid::new_v4());
    assert_eq!(call(&emu, "GET", &unknown, Some(&alice), None).await.0, 404);

    // A week later the invitations are expired, and still listed.
    emu.clock().advance(604_801);
    let alice = token(&emu, "alice").await;
    let (_, page, _) = call(&emu, "GET", &path, Some(&alice), None).await;
    assert_eq!(page["count"], 3);
    assert!(
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["is_expired"] == true)
    );
}

#[tokio::test]
async fn itm_71_retrieve_is_for_administrators_and_owners() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let other = folder(&emu, &alice, None, "other").await;
    let (_, invitation) = invite(&emu, &alice, &root, "guest@example.com", "editor").await;
    let id = invitation["id"].as_str().unwrap();
    let path = format!("/items/{root}/invitations/{id}/");

    let (status, body, _) = call(&emu, "GET", &path, Some(&bob), None).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    for role in ["reader", "editor"] {
        let access = grant(&emu, &alice, &root, &bob_id, role).await;
        assert_eq!(call(&emu, "GET", &path, Some(&bob), None).await.0, 403, "{role}");
        let access_path = format!("/items/{root}/accesses/{}/", access["id"].as_str().unwrap());
        assert_eq!(
            call(&emu, "DELETE", &access_path, Some(&alice), None).await.0,
            204
        );
    }
    grant(&emu, &alice, &root, &drive_id, "administrator").await;
    for caller in [&alice, &drive] {
        let (status, body, _) = call(&emu, "GET", &path, Some(caller), None).await;
        assert_eq!((status, &body), (200, &invitation));
    }
    for wrong in [
        format!("/items/{other}/invitations/{id}/"),
        format!("/items/{root}/invitations/{}/", uuid::Uuid::new_v4()),
        format!("/items/{root}/invitations/not-a-uuid/"),
    ] {
        let (status, body, _) = call(&emu, "GET", &wrong, Some(&alice), None).await;
        assert_eq!((status, body), (404, error("not_found", "Not found.")), "{wrong}");
    }
}

#[tokio::test]
async fn itm_72_creation_rules_and_validation() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let alice_id = me(&emu, &alice).await["id"].as_str().unwrap().to_owned();
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    let child = folder(&emu, &alice, Some(&root), "child").await;
    let path = format!("/items/{root}/invitations/");

    // Outsiders, readers and editors may not invite.
    let (status, body) = invite(&emu, &bob, &root, "x@example.com", "reader").await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let bob_access = grant(&emu, &alice, &root, &bob_id, "reader").await;
    assert_eq!(invite(&emu, &bob, &root, "x@example.com", "reader").await.0, 403);
    let bob_path = format!("/items/{root}/accesses/{}/", bob_access["id"].as_str().unwrap());
    call(
        &emu,
        "PATCH",
        &bob_path,
        Some(&alice),
        Some(json!({"role": "editor"})),
    )
    .await;
    assert_eq!(invite(&emu, &bob, &root, "x@example.com", "reader").await.0, 403);
    let (status, _) = raw(&emu, "POST", &path, &bob, "text/plain", "x").await;
    assert_eq!(status, 403, "the permission comes before the body");

    // Administrators invite below owner; owners invite anyone.
    grant(&emu, &alice, &root, &drive_id, "administrator").await;
    for role in ["reader", "editor", "administrator"] {
        let (status, body) = invite(&emu, &drive, &root, &format!("{role}@example.com"), role).await;
        assert_eq!((status, &body["role"]), (201, &json!(role)), "{body}");
        assert_eq!(body["issuer"], drive_id.as_str());
    }
    let (status, body) = invite(&emu, &drive, &root, "owner@example.com", "owner").await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"type": "validation_error", "errors": [{
                "code": "invitation_role_owner_limited_to_owners",
                "detail": "Only owners of an item can invite other users as owners.",
                "attr": null}]})
        )
    );
    let (status, owner) = invite(&emu, &alice, &root, "owner@example.com", "owner").await;
    assert_eq!((status, &owner["role"]), (201, &json!("owner")));
    // Only owners via an ancestor: fine on a child too.
    let (status, _) = invite(&emu, &alice, &child, "JOHN.DOE@EXAMPLE.COM", "owner").await;
    assert_eq!(status, 201);

    // `item` and `issuer` come from the URL and the caller; the address is lower-cased.
    let (status, body, _) = call(
        &emu,
        "POST",
        &path,
        Some(&alice),
        Some(json!({"email": "  Guest@Example.COM ", "item": child, "issuer": bob_id})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (&body["email"], &body["item"], &body["issuer"], &body["role"]),
        (
            &json!("guest@example.com"),
            &json!(root),
            &json!(alice_id),
            &json!("reader")
        )
    );
    let duplicate = invalid(
        "__all__",
        "unique_together",
        "Item invitation with this Email address and Item already exists.",
    );
    let (status, body) = invite(&emu, &alice, &root, "GUEST@example.com", "editor").await;
    assert_eq!((status, body), (400, duplicate));
    let registered = invalid(
        "email",
        "invitation_email_already_registered",
        "This email is already associated to a registered user.",
    );
    for email in ["bob@example.com", "Bob@Example.com"] {
        let (status, body) = invite(&emu, &alice, &root, email, "reader").await;
        assert_eq!((status, body), (400, registered.clone()), "{email}");
    }

    let cases = [
        (
            json!({"email": "not-an-email"}),
            invalid("email", "invalid", "Enter a valid email address."),
        ),
        (
            json!({"role": "reader"}),
            invalid("email", "required", "This field is required."),
        ),
        (
            json!({"email": ""}),
            invalid("email", "blank", "This field may not be blank."),
        ),
        (
            json!({"email": null}),
            invalid("email", "null", "This field may not be null."),
        ),
        (
            json!({"email": {"a": 1}}),
            invalid("email", "invalid", "Not a valid string."),
        ),
        (
            json!({"email": "new@example.com", "role": "boss"}),
            invalid("role", "invalid_choice", "\"boss\" is not a valid choice."),
        ),
    ];
    for (request, expected) in cases {
        let (status, body, _) = call(&emu, "POST", &path, Some(&alice), Some(request.clone())).await;
        assert_eq!((status, body), (400, expected), "{request}");
    }
    let (status, body) = raw(
        &emu,
        "POST",
        &path,
        &alice,
        "application/x-www-form-urlencoded",
        "email=a%40b.fr",
    )
    .await;
    assert_eq!(
        (status, &body["errors"][0]["code"]),
        (415, &json!("unsupported_media_type"))
    );
    let unknown = format!("/items/{}/invitations/", uuid::Uuid::new_v4());
    let (status, _, _) = call(
        &emu,
        "POST",
        &unknown,
        Some(&alice),
        Some(json!({"email": "z@example.com"})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn itm_73_updates_and_deletions() {
    let emu = util::start().await;
    let (alice, bob, drive) = (
        token(&emu, "alice").await,
        token(&emu, "bob").await,
        token(&emu, "drive").await,
    );
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    let root = folder(&emu, &alice, None, "root").await;
    grant(&emu, &alice, &root, &drive_id, "administrator").await;
    grant(&emu, &alice, &root, &bob_id, "editor").await;
    let (_, invitation) = invite(&emu, &alice, &root, "guest@example.com", "editor").await;
    let (_, other) = invite(&emu, &alice, &root, "other@example.com", "reader").await;
    let path = format!(
        "/items/{root}/invitations/{}/",
        invitation["id"].as_str().unwrap()
    );

    let (status, body, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&drive),
        Some(json!({"role": "reader"})),
    )
    .await;
    assert_eq!(
        (status, &body["role"], &body["email"]),
        (200, &json!("reader"), &json!("guest@example.com"))
    );
    assert_eq!(body["created_at"], invitation["created_at"]);
    let (status, body, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&drive),
        Some(json!({"email": "guest@example.com", "role": "owner"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["code"],
        "invitation_role_owner_limited_to_owners"
    );
    let (status, body, _) = call(&emu, "PUT", &path, Some(&drive), Some(json!({"role": "editor"}))).await;
    assert_eq!(
        (status, body),
        (400, invalid("email", "required", "This field is required.")),
        "PUT needs every required field"
    );
    let (status, body, _) = call(
        &emu,
        "PUT",
        &path,
        Some(&alice),
        Some(json!({"email": "NEW@example.com", "role": "owner", "issuer": bob_id})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["email"], &body["role"], &body["issuer"]),
        (&json!("new@example.com"), &json!("owner"), &invitation["issuer"])
    );
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&alice),
        Some(json!({"email": other["email"]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "unique_together");
    let (status, body, _) = call(
        &emu,
        "PATCH",
        &path,
        Some(&alice),
        Some(json!({"email": "bob@EXAMPLE.com"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "invitation_email_already_registered");

    // Readers and editors: 403, for changes and deletions alike.
    let (status, body, _) = call(&emu, "PATCH", &path, Some(&bob), Some(json!({"role": "reader"}))).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let (status, body, _) = call(&emu, "DELETE", &path, Some(&bob), None).await;
    assert_eq!((status, body), (403, error("permission_denied", GENERIC_403)));
    let (status, body) = raw(
        &emu,
        "PATCH",
        &path,
        &alice,
        "application/x-www-form-urlencoded",
        "role=reader",
    )
    .await;
    assert_eq!(status, 415, "{body}");

    assert_eq!(call(&emu, "DELETE", &path, Some(&drive), None).await.0, 204);
    assert_eq!(call(&emu, "DELETE", &path, Some(&drive), None).await.0, 404);
    let sql = "SELECT COUNT(*) FROM drive_invitations WHERE item_id = ?1";
    assert_eq!(count(&emu, sql, &root).await, 1);
}

#[tokio::test]
async fn valid_invitations_become_accesses_when_their_user_appears() {
    // §9.3, last point: the conversion the creation of a Drive user runs.
    use lasuite_emu::drive::repo::{self, sharing};
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let root = folder(&emu, &alice, None, "root").await;
    let old = folder(&emu, &alice, None, "old").await;
    assert_eq!(
        invite(&emu, &alice, &old, "carol@example.com", "reader").await.0,
        201
    );
    emu.clock().advance(604_801);
    let alice = token(&emu, "alice").await;
    assert_eq!(
        invite(&emu, &alice, &root, "Carol@Example.com", "editor").await.0,
        201
    );
    let now = emu.clock().now_micros();
    let (created, carol_id) = emu
        .app()
        .db
        .write(move |tx| {
            let carol = repo::create(
                tx,
                "carol-sub",
                Some("CAROL@example.com"),
                Some("Carol"),
                None,
                now,
            )?;
            let created = sharing::convert_valid_invitations(tx, &carol.id, "CAROL@example.com", now)?;
            Ok((created, carol.id))
        })
        .await
        .unwrap();
    assert_eq!(created, 1, "the expired invitation is ignored");
    let (_, list) = accesses(&emu, &alice, &root).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"]["id"] == carol_id.as_str())
            .unwrap()["role"],
        "editor"
    );
    let (_, list) = accesses(&emu, &alice, &old).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_invited_realm_user_holds_the_access_on_their_first_call() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let item = folder(&emu, &alice, None, "invited").await;
    // The realm user `drive` has never called the Drive API: not yet a Drive user.
    let (status, _) = invite(&emu, &alice, &item, "drive@drive.world", "editor").await;
    assert_eq!(status, 201);
    let newcomer = token(&emu, "drive").await;
    let (status, body, _) = call(&emu, "GET", &format!("/items/{item}/"), Some(&newcomer), None).await;
    assert_eq!((status, &body["user_role"]), (200, &json!("editor")), "{body}");
}

#[tokio::test]
async fn itm_03_itm_04_roles_and_access_counts_come_from_ancestors() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let bob_id = me(&emu, &bob).await["id"].as_str().unwrap().to_owned();
    let grandparent = folder(&emu, &alice, None, "gp").await;
    let parent = folder(&emu, &alice, Some(&grandparent), "p").await;
    let item = folder(&emu, &alice, Some(&parent), "item").await;
    grant(&emu, &alice, &grandparent, &bob_id, "reader").await;
    let (status, body, _) = call(&emu, "GET", &format!("/items/{item}/"), Some(&bob), None).await;
    assert_eq!(status, 200, "ITM-03: {body}");
    assert_eq!(
        (
            &body["ancestors_link_reach"],
            &body["ancestors_link_role"],
            &body["user_role"]
        ),
        (&json!("restricted"), &Value::Null, &json!("reader"))
    );
    assert_eq!(
        body["nb_accesses"], 2,
        "alice's owner row and bob's, both on the grandparent"
    );
    let drive = token(&emu, "drive").await;
    let drive_id = me(&emu, &drive).await["id"].as_str().unwrap().to_owned();
    grant(&emu, &alice, &parent, &drive_id, "editor").await;
    let (_, body, _) = call(&emu, "GET", &format!("/items/{item}/"), Some(&bob), None).await;
    assert_eq!(body["nb_accesses"], 3, "ITM-04: a row on any ancestor counts");
}
