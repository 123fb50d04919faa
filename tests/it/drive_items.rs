//! Drive's external API, items slice (issue 4): creation at the root and below folders, the
//! upload policy, retrieve and the children listing (spec §7, §8.2-§8.7, §10.1). Checklist
//! items are named in each test.

use serde_json::{Value, json};

use crate::driveutil::{
    call, create, error, folder, invalid, journal_reason, server_error, set_state, token, upload_file,
};
use crate::util::{self, client};

/// The 32 keys of the detail and list representations (§7.3).
const DETAIL_KEYS: [&str; 32] = [
    "abilities",
    "ancestors_link_reach",
    "ancestors_link_role",
    "computed_link_reach",
    "computed_link_role",
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
    "nb_accesses",
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

fn keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn itm_16_itm_01_a_root_folder_is_created_owned_and_retrieved_with_the_detail_keys() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (status, created, headers) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"title": "my item", "type": "folder"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        headers["location"], "None",
        "upstream's Location quirk for folders"
    );
    let mut creation_keys = keys(&created);
    creation_keys.sort();
    let mut expected: Vec<&str> = DETAIL_KEYS
        .iter()
        .copied()
        .filter(|k| {
            ![
                "url_preview",
                "mimetype",
                "deleted_at",
                "is_wopi_supported",
                "is_favorite",
            ]
            .contains(k)
        })
        .chain(["policy"])
        .collect();
    expected.sort();
    assert_eq!(creation_keys, expected, "the creation representation (§7.5)");
    assert_eq!(created["link_reach"], "restricted");
    assert_eq!(created["user_role"], "owner");
    assert_eq!(created["nb_accesses"], 1);
    assert_eq!(created["policy"], Value::Null);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["path"], id);

    let (status, item, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(status, 200);
    let mut detail_keys = keys(&item);
    detail_keys.sort();
    assert_eq!(detail_keys, DETAIL_KEYS);
    assert_eq!(item["depth"], 1);
    assert_eq!(item["ancestors_link_reach"], Value::Null);
    assert_eq!(item["ancestors_link_role"], Value::Null);
    assert_eq!(item["computed_link_reach"], "restricted");
    assert_eq!(item["computed_link_role"], Value::Null);
    assert_eq!(item["numchild"], 0);
    assert_eq!(item["is_favorite"], false);
    assert_eq!(item["upload_state"], Value::Null);
    assert_eq!(item["url"], Value::Null);
    assert_eq!(item["main_workspace"], false);
    assert_eq!(item["deleted_at"], Value::Null);
    assert_eq!(item["hard_delete_at"], Value::Null);
    assert_eq!(item["creator"]["full_name"], "Alice Liddell");
    assert_eq!(item["abilities"].as_object().unwrap().len(), 24);
    assert_eq!(item["abilities"]["destroy"], true);
    assert_eq!(item["abilities"]["restore"], true);
    assert_eq!(
        item["abilities"]["link_select_options"],
        json!({"restricted": null, "authenticated": ["reader", "editor"], "public": ["reader", "editor"]})
    );
    let created_at = item["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.starts_with("20"),
        "{created_at}"
    );
}

#[tokio::test]
async fn itm_07_itm_05_a_restricted_item_is_refused_to_others_and_unknown_ids_are_404() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let folder = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "private", "type": "folder"}),
    )
    .await;
    let id = folder["id"].as_str().unwrap();
    let (status, body, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&bob), None).await;
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
    let (status, _, _) = call(
        &emu,
        "POST",
        &format!("/items/{id}/children/"),
        Some(&bob),
        Some(json!({"type": "folder", "title": "x"})),
    )
    .await;
    assert_eq!(status, 403, "no children_create for a stranger");
    for unknown in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let (status, body, _) = call(&emu, "GET", &format!("/items/{unknown}/"), Some(&alice), None).await;
        assert_eq!(
            (status, body),
            (404, error("not_found", "Not found.")),
            "{unknown}"
        );
    }
}

#[tokio::test]
async fn itm_18_a_root_file_gets_a_presigned_put_the_store_accepts() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "file.txt"}),
    )
    .await;
    let id = file["id"].as_str().unwrap();
    assert_eq!(file["title"], "file.txt");
    assert_eq!(file["upload_state"], "pending");
    assert_eq!(file["url"], Value::Null, "pending files have no URL");
    let policy = url::Url::parse(file["policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy.path(), format!("/drive-media-storage/item/{id}/file.txt"));
    assert_eq!(format!("{}", policy.origin().ascii_serialization()), emu.url());
    let names: Vec<String> = policy.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(
        names,
        [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature"
        ]
    );
    let query: std::collections::HashMap<_, _> = policy.query_pairs().into_owned().collect();
    assert_eq!(query["X-Amz-Expires"], "60");
    assert_eq!(query["X-Amz-SignedHeaders"], "host;x-amz-acl");
    assert!(query["X-Amz-Credential"].starts_with("drive/"));
    assert!(query["X-Amz-Credential"].ends_with("/eu-east-1/s3/aws4_request"));

    let put = client()
        .put(policy.as_str())
        .header("x-amz-acl", "private")
        .body("my prose")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let unsigned_acl = client().put(policy.as_str()).body("x").send().await.unwrap();
    assert_eq!(unsigned_acl.status(), 403, "the signed x-amz-acl is required");
}

#[tokio::test]
async fn itm_17_itm_20_itm_21_itm_23_creation_refuses_bad_bodies_in_the_envelope() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let cases = [
        (
            json!({"type": "file"}),
            invalid(
                "filename",
                "item_create_file_filename_required",
                "This field is required for files.",
            ),
        ),
        (
            json!({"type": "folder"}),
            invalid(
                "title",
                "item_create_folder_title_required",
                "This field is required for folders.",
            ),
        ),
        (
            json!({"type": "file", "filename": "!@#$%^&*().txt"}),
            invalid(
                "non_field_errors",
                "invalid",
                "filename is empty once sanitized and it is not allowed",
            ),
        ),
        (
            json!({"type": "folder", "title": "a", "filename": "a.txt"}),
            invalid(
                "filename",
                "item_filename_only_allowed_for_files",
                "Filename is only allowed for files.",
            ),
        ),
        (
            json!({"type": "drawer", "title": "a"}),
            invalid("type", "invalid_choice", "\"drawer\" is not a valid choice."),
        ),
        (
            json!({"type": "folder", "title": ""}),
            invalid("title", "blank", "This field may not be blank."),
        ),
        (
            json!({"type": "folder", "title": "t".repeat(256)}),
            invalid(
                "title",
                "max_length",
                "Ensure this field has no more than 255 characters.",
            ),
        ),
        (
            json!({"type": "folder", "title": "a", "id": "123"}),
            invalid("id", "invalid", "Must be a valid UUID."),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer, _) = call(&emu, "POST", "/items/", Some(&alice), Some(body.clone())).await;
        assert_eq!((status, answer), (400, expected), "{body}");
    }
    for name in ["file.notallowed", "file", ".file"] {
        let (status, answer, _) = call(
            &emu,
            "POST",
            "/items/",
            Some(&alice),
            Some(json!({"type": "file", "filename": name})),
        )
        .await;
        assert_eq!(
            (status, answer),
            (
                400,
                invalid(
                    "filename",
                    "item_create_file_extension_not_allowed",
                    "This file extension is not allowed."
                )
            ),
            "{name}"
        );
    }
    let upper = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "file.JPG"}),
    )
    .await;
    assert_eq!(upper["filename"], "file.JPG");
    // ITM-23: the title is kept verbatim, the key uses the sanitised name.
    let odd = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "><img src=x onerror=alert()>\n.txt"}),
    )
    .await;
    assert_eq!(odd["title"], "><img src=x onerror=alert()>\n.txt");
    assert_eq!(odd["filename"], "img_srcx_onerroralert.txt");
    assert!(
        odd["policy"]
            .as_str()
            .unwrap()
            .contains("/img_srcx_onerroralert.txt?")
    );
    // Not JSON at all.
    let form = client()
        .post(format!("{}/external_api/v1.0/items/", emu.url()))
        .bearer_auth(&alice)
        .form(&[("type", "folder"), ("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
}

#[tokio::test]
async fn itm_22_a_client_chosen_id_is_used_once() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let id = uuid::Uuid::new_v4().to_string();
    let item = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "folder", "title": "a", "id": id}),
    )
    .await;
    assert_eq!(item["id"], id);
    let (status, answer, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"type": "folder", "title": "b", "id": id})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            400,
            invalid(
                "id",
                "item_create_existing_id",
                "An item with this ID already exists. You cannot override it."
            )
        )
    );
}

#[tokio::test]
async fn itm_25_itm_26_children_inherit_and_titles_are_deduplicated() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let folder = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "folder", "type": "folder"}),
    )
    .await;
    let fid = folder["id"].as_str().unwrap();
    let children = format!("/items/{fid}/children/");
    let first = create(
        &emu,
        &alice,
        &children,
        json!({"title": "my item", "type": "folder"}),
    )
    .await;
    assert_eq!(first["link_reach"], Value::Null, "children inherit");
    assert_eq!(first["computed_link_reach"], "restricted");
    assert_eq!(first["ancestors_link_reach"], "restricted");
    assert_eq!(first["user_role"], "owner", "inherited from the parent");
    assert_eq!(first["nb_accesses"], 1, "the parent's access, none of its own");
    assert_eq!(first["depth"], 2);
    assert_eq!(first["path"], format!("{fid}.{}", first["id"].as_str().unwrap()));
    assert_eq!(
        first["abilities"]["link_select_options"],
        json!({"restricted": null, "authenticated": ["reader", "editor"], "public": ["reader", "editor"]})
    );
    let second = create(
        &emu,
        &alice,
        &children,
        json!({"title": "my item", "type": "folder"}),
    )
    .await;
    assert_eq!(second["title"], "my item_01");
    let file = create(
        &emu,
        &alice,
        &children,
        json!({"type": "file", "filename": "file.txt"}),
    )
    .await;
    let again = create(
        &emu,
        &alice,
        &children,
        json!({"type": "file", "filename": "file.txt"}),
    )
    .await;
    assert_eq!(again["title"], "file_01.txt");
    assert_eq!(
        again["filename"], "file.txt",
        "the key stays unique through the id"
    );
    // ITM-25: a file cannot hold children.
    let under_file = format!("/items/{}/children/", file["id"].as_str().unwrap());
    let (status, answer, _) = call(
        &emu,
        "POST",
        &under_file,
        Some(&alice),
        Some(json!({"type": "folder", "title": "x"})),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            400,
            invalid(
                "type",
                "item_create_child_type_folder_only",
                "Only folders can have children."
            )
        )
    );
    let (_, parent, _) = call(&emu, "GET", &format!("/items/{fid}/"), Some(&alice), None).await;
    assert_eq!(parent["numchild"], 4, "pending files count as children");
    assert_eq!(parent["numchild_folder"], 2);
}

#[tokio::test]
async fn itm_29_itm_30_children_pages_hide_pending_files_and_filter() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let folder = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "folder", "type": "folder"}),
    )
    .await;
    let fid = folder["id"].as_str().unwrap();
    let children = format!("/items/{fid}/children/");
    for title in ["b", "a", "c"] {
        create(&emu, &alice, &children, json!({"title": title, "type": "folder"})).await;
    }
    create(
        &emu,
        &alice,
        &children,
        json!({"type": "file", "filename": "pending.txt"}),
    )
    .await;

    let (status, page, _) = call(&emu, "GET", &children, Some(&alice), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 3, "the pending file is hidden");
    let titles: Vec<&str> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["b", "a", "c"], "creation order by default");
    let mut child_keys = keys(&page["results"][0]);
    child_keys.sort();
    assert_eq!(child_keys, DETAIL_KEYS);
    assert_eq!(page["results"][0]["nb_accesses"], 1);

    let (_, ordered, _) = call(
        &emu,
        "GET",
        &format!("{children}?ordering=-title"),
        Some(&alice),
        None,
    )
    .await;
    let titles: Vec<&str> = ordered["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["c", "b", "a"]);

    // Pagination (§5): page 1 links page 2, page 2 links back without a page parameter.
    let (_, first, _) = call(
        &emu,
        "GET",
        &format!("{children}?page_size=2"),
        Some(&alice),
        None,
    )
    .await;
    let base = format!("{}/external_api/v1.0{children}", emu.url());
    assert_eq!(first["next"], format!("{base}?page_size=2&page=2"));
    assert_eq!(first["previous"], Value::Null);
    let (_, second, _) = call(
        &emu,
        "GET",
        &format!("{children}?page_size=2&page=2"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert_eq!(second["previous"], format!("{base}?page_size=2"));
    let (_, last, _) = call(
        &emu,
        "GET",
        &format!("{children}?page_size=2&page=last"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(last["results"], second["results"]);
    let (status, body, _) = call(&emu, "GET", &format!("{children}?page=9"), Some(&alice), None).await;
    assert_eq!((status, body), (404, error("not_found", "Invalid page.")));

    let (status, body, _) = call(
        &emu,
        "GET",
        &format!("{children}?type=unknown"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "type",
                "invalid",
                "Select a valid choice. unknown is not one of the available choices."
            )
        )
    );
    let (_, titled, _) = call(&emu, "GET", &format!("{children}?title=A"), Some(&alice), None).await;
    assert_eq!(titled["count"], 1, "title filters case-insensitively");
    let (_, files, _) = call(&emu, "GET", &format!("{children}?type=file"), Some(&alice), None).await;
    assert_eq!(files["count"], 0);
}

#[tokio::test]
async fn ext_09_to_11_per_audience_attributes_mark_items_quota_excluded() {
    let emu = util::start_with("[drive]\naud_item_attributes = { docs = { quota_excluded = true } }\n").await;
    let docs = token(&emu, "alice").await;
    let drive = emu.mint_token("drive", "alice").await.unwrap().access_token;
    let root = create(&emu, &docs, "/items/", json!({"type": "folder", "title": "r"})).await;
    let child = create(
        &emu,
        &docs,
        &format!("/items/{}/children/", root["id"].as_str().unwrap()),
        json!({"type": "folder", "title": "c"}),
    )
    .await;
    let other = create(&emu, &drive, "/items/", json!({"type": "folder", "title": "o"})).await;
    for (item, expected) in [(&root, true), (&child, true), (&other, false)] {
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
        assert_eq!(excluded, expected, "{}", item["title"]);
    }
}

/// Creates a file at the root and PUTs `body` to its policy with `content_type`.
async fn uploaded(
    emu: &lasuite_emu::RunningEmulator,
    token: &str,
    filename: &str,
    body: &[u8],
    content_type: &str,
) -> Value {
    let file = create(
        emu,
        token,
        "/items/",
        json!({"type": "file", "filename": filename}),
    )
    .await;
    let put = client()
        .put(file["policy"].as_str().unwrap())
        .header("x-amz-acl", "private")
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    file
}

#[tokio::test]
async fn ext_08_itm_34_the_upload_flow_ends_with_a_typed_ready_file() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = uploaded(
        &emu,
        &alice,
        "my_file.txt",
        b"my prose",
        "application/octet-stream",
    )
    .await;
    let id = file["id"].as_str().unwrap();
    // User metadata can only come with a signature that covers it (a policy URL signs only
    // x-amz-acl): store the object again as an SDK would, with x-amz-meta-origin signed.
    let s3 = crate::s3util::S3Client::new(&emu);
    let put = s3
        .send(
            "PUT",
            &format!("/drive-media-storage/item/{id}/my_file.txt"),
            &[],
            &[
                ("x-amz-meta-origin", "test"),
                ("content-type", "application/octet-stream"),
            ],
            b"my prose",
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let ended = format!("/items/{id}/upload-ended/");
    let (status, item, _) = call(&emu, "POST", &ended, Some(&alice), None).await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(
        item["upload_state"], "analyzing",
        "upstream answers before the scan verdict"
    );
    assert_eq!(item["mimetype"], "text/plain");
    assert_eq!(item["size"], 8);
    assert_eq!(item["url"], format!("{}/media/item/{id}/my_file.txt", emu.url()));
    assert_eq!(item["url_preview"], Value::Null, "text is not previewable");
    assert_eq!(
        item["url_permalink"],
        format!("{}/api/v1.0/items/{id}/download/", emu.url())
    );
    let (_, stored, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(stored["upload_state"], "ready", "the dummy scanner's verdict");
    // ITM-33: only once.
    let (status, body, _) = call(&emu, "POST", &ended, Some(&alice), None).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "item",
                "item_upload_state_not_pending",
                "This action is only available for items in PENDING state."
            )
        )
    );
    // The object's Content-Type was corrected in the store, its user metadata kept.
    let object = emu
        .app()
        .s3
        .store
        .current("drive-media-storage", &format!("item/{id}/my_file.txt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(object.headers.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        object.headers.metadata.get("origin").map(String::as_str),
        Some("test")
    );
}

#[tokio::test]
async fn itm_31_itm_32_itm_35_itm_39_upload_ended_checks_rights_kind_and_sniffs_types() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let empty = uploaded(&emu, &alice, "empty.txt", b"", "text/plain").await;
    let path = format!("/items/{}/upload-ended/", empty["id"].as_str().unwrap());
    let (status, _, _) = call(&emu, "POST", &path, Some(&bob), None).await;
    assert_eq!(status, 403, "ITM-31: no rights on the item");
    let (status, item, _) = call(&emu, "POST", &path, Some(&alice), None).await;
    assert_eq!(
        (status, &item["mimetype"], &item["size"]),
        (200, &json!("application/x-empty"), &json!(0))
    );

    let folder = create(&emu, &alice, "/items/", json!({"type": "folder", "title": "f"})).await;
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{}/upload-ended/", folder["id"].as_str().unwrap()),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "item",
                "item_upload_type_unavailable",
                "This action is only available for items of type FILE."
            )
        )
    );

    // ITM-39: stored as text/html, named .pdf, generic bytes: a PDF, and the stored
    // Content-Type follows.
    let pdf = uploaded(&emu, &alice, "my_file.pdf", b"my prose", "text/html").await;
    let id = pdf["id"].as_str().unwrap();
    let (_, item, _) = call(
        &emu,
        "POST",
        &format!("/items/{id}/upload-ended/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(item["mimetype"], "application/pdf");
    assert_eq!(
        item["url_preview"],
        format!("{}/media/preview/item/{id}/my_file.pdf", emu.url())
    );
    let object = emu
        .app()
        .s3
        .store
        .current("drive-media-storage", &format!("item/{id}/my_file.pdf"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(object.headers.content_type.as_deref(), Some("application/pdf"));

    // Nothing uploaded: a clear 400 instead of upstream's 500.
    let missing = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "never.txt"}),
    )
    .await;
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{}/upload-ended/", missing["id"].as_str().unwrap()),
        Some(&alice),
        None,
    )
    .await;
    // FID-10: upstream's HEAD raises botocore's ClientError, which nothing maps: 500; the
    // journal says what is missing.
    assert_eq!((status, body), (500, server_error()));
    let reason = journal_reason(
        &emu,
        &format!("/items/{}/upload-ended/", missing["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        reason.as_str().unwrap().starts_with(&format!(
            "no object was uploaded at item/{}/never.txt",
            missing["id"].as_str().unwrap()
        )),
        "{reason}"
    );
}

#[tokio::test]
async fn itm_38_a_refused_type_deletes_the_item_and_its_object() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    // An HTML page named .txt: its bytes say text/html, which Drive does not allow.
    let page = uploaded(
        &emu,
        &alice,
        "page.txt",
        b"<!DOCTYPE html><html><body>hi</body></html>",
        "text/plain",
    )
    .await;
    let id = page["id"].as_str().unwrap();
    let (status, body, _) = call(
        &emu,
        "POST",
        &format!("/items/{id}/upload-ended/"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        json!({"type": "validation_error", "errors": [{"code": "file_type_not_allowed", "detail": "The file type is not allowed.", "attr": null}]})
    );
    let (status, _, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(status, 404, "the item is gone");
    let object = emu
        .app()
        .s3
        .store
        .current("drive-media-storage", &format!("item/{id}/page.txt"))
        .await
        .unwrap();
    assert!(object.is_none(), "and so is its object");
}

#[tokio::test]
async fn itm_11_itm_13_itm_09_the_items_list_shows_the_highest_ready_items_by_page() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (status, empty, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(status, 200);
    let seeded = empty["count"].as_i64().unwrap();
    let mut ids = Vec::new();
    for title in ["one", "two", "three"] {
        let item = create(&emu, &alice, "/items/", json!({"type": "folder", "title": title})).await;
        ids.push(item["id"].as_str().unwrap().to_owned());
    }
    // A child of a listed folder is not listed (ITM-09); a pending file is not (ITM-11).
    create(
        &emu,
        &alice,
        &format!("/items/{}/children/", ids[0]),
        json!({"type": "folder", "title": "child"}),
    )
    .await;
    create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "pending.txt"}),
    )
    .await;
    let (_, all, _) = call(&emu, "GET", "/items/?page_size=200", Some(&alice), None).await;
    assert_eq!(all["count"].as_i64().unwrap(), seeded + 3);
    let titles: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        &titles[..3],
        ["three", "two", "one"],
        "newest update first by default"
    );

    // ITM-13: page links keep other parameters and drop `page` for page 1.
    let base = format!("{}/external_api/v1.0/items/", emu.url());
    let (_, first, _) = call(&emu, "GET", "/items/?page_size=2&title=T", Some(&alice), None).await;
    assert_eq!(
        first["count"], 2,
        "`two` and `three` contain a t, whatever the case"
    );
    assert_eq!(first["next"], Value::Null);
    let (_, first, _) = call(&emu, "GET", "/items/?page_size=1&title=T", Some(&alice), None).await;
    assert_eq!(first["next"], format!("{base}?page_size=1&title=T&page=2"));
    let (_, second, _) = call(
        &emu,
        "GET",
        "/items/?page_size=1&title=T&page=2",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(second["previous"], format!("{base}?page_size=1&title=T"));

    // ITM-14 in part: type validated, is_creator_me honoured, unknown values ignored.
    let (status, body, _) = call(&emu, "GET", "/items/?type=unknown", Some(&alice), None).await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "type",
                "invalid",
                "Select a valid choice. unknown is not one of the available choices."
            )
        )
    );
    let (_, mine, _) = call(
        &emu,
        "GET",
        "/items/?is_creator_me=true&title=T",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(mine["count"], 2);
    let (_, not_mine, _) = call(
        &emu,
        "GET",
        "/items/?is_creator_me=False&title=T",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(not_mine["count"], 0);
    let (_, ignored, _) = call(
        &emu,
        "GET",
        "/items/?is_creator_me=maybe&is_favorite=x&title=T",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(ignored["count"], 2);

    // Someone else's items are not in bob's list.
    let bob = token(&emu, "bob").await;
    let (_, theirs, _) = call(&emu, "GET", "/items/?title=T", Some(&bob), None).await;
    assert_eq!(theirs["count"], 0);
}

#[tokio::test]
async fn fid_01_a_fresh_user_has_no_items_and_no_main_workspace_as_on_drive_0_21_1() {
    // Drive stopped creating main workspaces in 0.13.0; the default fixture seeds none.
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (status, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
    // The recipe that works on 0.21.1: a root folder made once, found again by its title.
    let root = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "folder", "title": "Docs"}),
    )
    .await;
    assert_eq!(root["main_workspace"], false);
    let (_, found, _) = call(&emu, "GET", "/items/?title=Docs&type=folder", Some(&alice), None).await;
    assert_eq!(found["count"], 1);
    assert_eq!(found["results"][0]["id"], root["id"]);
    assert_eq!(found["results"][0]["main_workspace"], false);
}

#[tokio::test]
async fn the_main_workspaces_fixture_seeds_the_pre_0_13_workspace_and_the_recipe_works() {
    let emu = util::start_with(include_str!("../../fixtures/main-workspaces.toml")).await;
    let alice = token(&emu, "alice").await;
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    let workspaces: Vec<&Value> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["main_workspace"] == true)
        .collect();
    assert_eq!(workspaces.len(), 1, "{list}");
    let workspace = workspaces[0];
    assert_eq!(workspace["title"], "Workspace");
    assert_eq!(workspace["user_role"], "owner");
    assert_eq!(workspace["creator"]["full_name"], "Alice Liddell");
    let id = workspace["id"].as_str().unwrap();
    let file = create(
        &emu,
        &alice,
        &format!("/items/{id}/children/"),
        json!({"type": "file", "filename": "doc.txt"}),
    )
    .await;
    assert_eq!(file["depth"], 2);
    let bob = token(&emu, "bob").await;
    let (status, _, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&bob), None).await;
    assert_eq!(status, 403, "alice's workspace is hers");
    let (_, bobs, _) = call(&emu, "GET", "/items/", Some(&bob), None).await;
    assert_ne!(bobs["results"][0]["id"], json!(id), "bob has his own");
}

#[tokio::test]
async fn fixtures_seed_shared_folders_with_accesses_and_favorites() {
    let id = "0b0b0b0b-0000-4000-8000-000000000001";
    let emu = util::start_with(&format!(
        r#"
[[drive.items]]
id = "{id}"
title = "Team"
owner = "alice"
link_reach = "authenticated"
link_role = "editor"
accesses = [{{ user = "bob", role = "administrator" }}]
favorite_of = ["bob"]

[[drive.items]]
title = "Inside"
owner = "alice"
parent = "{id}"
"#
    ))
    .await;
    let bob = token(&emu, "bob").await;
    let (status, team, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&bob), None).await;
    assert_eq!(status, 200, "{team}");
    assert_eq!(team["user_role"], "administrator");
    assert_eq!(team["is_favorite"], true);
    assert_eq!(team["nb_accesses"], 2);
    assert_eq!(team["computed_link_reach"], "authenticated");
    assert_eq!(team["computed_link_role"], "editor");
    assert_eq!(team["numchild"], 1);
    let (_, children, _) = call(&emu, "GET", &format!("/items/{id}/children/"), Some(&bob), None).await;
    assert_eq!(children["results"][0]["title"], "Inside");
    assert_eq!(children["results"][0]["ancestors_link_reach"], "authenticated");
    // ITM-02/ITM-06 in part: a stranger reaches it through the link, read-write.
    let drive_user = emu.mint_token("docs", "drive").await.unwrap().access_token;
    let (status, reached, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&drive_user), None).await;
    assert_eq!(status, 200);
    assert_eq!(reached["user_role"], Value::Null);
    assert_eq!(reached["abilities"]["children_create"], true, "the editor link");
    assert_eq!(reached["abilities"]["accesses_view"], false);
    let (_, listed, _) = call(&emu, "GET", "/items/", Some(&drive_user), None).await;
    assert!(
        listed["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"] == id),
        "a followed link puts the item in the list (ITM-12)"
    );
}

#[tokio::test]
async fn a_bad_seed_is_refused_with_its_reason() {
    let error = lasuite_emu::Emulator::builder()
        .fixture_toml("[[drive.items]]\ntitle = \"x\"\nowner = \"alice\"\nlink_reach = \"everyone\"\n")
        .start()
        .await
        .err()
        .expect("refused");
    assert!(
        error.to_string().contains("unknown link_reach everyone"),
        "{error}"
    );
}

#[tokio::test]
async fn itm_28_templates_create_ready_empty_documents() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let (status, doc, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"title": "my document", "extension": "odt", "type": "file"})),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    assert_eq!(doc["filename"], "my document.odt");
    assert_eq!(doc["upload_state"], "ready");
    assert_eq!(doc["policy"], Value::Null, "nothing to upload");
    assert!(doc["size"].as_i64().unwrap() > 0);
    let id = doc["id"].as_str().unwrap();
    let (_, detail, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(detail["mimetype"], "application/vnd.oasis.opendocument.text");
    let object = emu
        .app()
        .s3
        .store
        .current("drive-media-storage", &format!("item/{id}/my document.odt"))
        .await
        .unwrap()
        .expect("the document is stored");
    assert_eq!(
        object.headers.content_type.as_deref(),
        Some("application/vnd.oasis.opendocument.text")
    );

    for (extension, kind) in [("ods", "spreadsheet"), ("odp", "presentation")] {
        let item = create(
            &emu,
            &alice,
            "/items/",
            json!({"title": "a/b", "extension": extension, "type": "file"}),
        )
        .await;
        assert_eq!(item["filename"], format!("a-b.{extension}"), "`/` becomes `-`");
        let (_, detail, _) = call(
            &emu,
            "GET",
            &format!("/items/{}/", item["id"].as_str().unwrap()),
            Some(&alice),
            None,
        )
        .await;
        assert_eq!(
            detail["mimetype"],
            format!("application/vnd.oasis.opendocument.{kind}")
        );
    }
    let folder = create(&emu, &alice, "/items/", json!({"title": "f", "type": "folder"})).await;
    let children = format!("/items/{}/children/", folder["id"].as_str().unwrap());
    create(
        &emu,
        &alice,
        &children,
        json!({"title": "my document", "extension": "odt", "type": "file"}),
    )
    .await;
    let again = create(
        &emu,
        &alice,
        &children,
        json!({"title": "my document", "extension": "odt", "type": "file"}),
    )
    .await;
    assert_eq!(again["title"], "my document_01");
    let (status, body, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"extension": "odt", "type": "file"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, invalid("title", "invalid", "This field is required."))
    );
    let (status, body, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"title": "", "extension": "odt", "type": "file"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, invalid("title", "blank", "This field may not be blank."))
    );
    let (status, body, _) = call(
        &emu,
        "POST",
        "/items/",
        Some(&alice),
        Some(json!({"title": "x", "extension": "docx", "type": "file"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            invalid("extension", "invalid_choice", "\"docx\" is not a valid choice.")
        )
    );
}

#[tokio::test]
async fn itm_15_itm_36_ordering_puts_nulls_last_and_sqlite_files_are_typed() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let folder = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "sizes", "type": "folder"}),
    )
    .await;
    let children = format!("/items/{}/children/", folder["id"].as_str().unwrap());
    create(&emu, &alice, &children, json!({"title": "sub", "type": "folder"})).await;
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.extend_from_slice(&[0x10, 0x00, 1, 1, 0, 64, 32, 32]);
    sqlite.resize(200, 0);
    for (name, body) in [
        ("big.txt", vec![b'a'; 200]),
        ("small.txt", vec![b'a'; 100]),
        ("doc.grist", sqlite),
    ] {
        let file = create(&emu, &alice, &children, json!({"type": "file", "filename": name})).await;
        let put = client()
            .put(file["policy"].as_str().unwrap())
            .header("x-amz-acl", "private")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        let (_, ended, _) = call(
            &emu,
            "POST",
            &format!("/items/{}/upload-ended/", file["id"].as_str().unwrap()),
            Some(&alice),
            None,
        )
        .await;
        if name == "doc.grist" {
            assert_eq!(ended["mimetype"], "application/vnd.sqlite3", "ITM-36");
        }
    }
    let titles = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, by_size, _) = call(
        &emu,
        "GET",
        &format!("{children}?ordering=size"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        titles(&by_size),
        ["small.txt", "doc.grist", "big.txt", "sub"],
        "nulls last ascending"
    );
    let (_, by_size_desc, _) = call(
        &emu,
        "GET",
        &format!("{children}?ordering=-size"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(titles(&by_size_desc)[0], "sub", "nulls first descending");
    let (_, by_type, _) = call(
        &emu,
        "GET",
        &format!("{children}?ordering=type,title"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        titles(&by_type),
        ["big.txt", "doc.grist", "small.txt", "sub"],
        "file sorts before folder"
    );
    let (_, ignored, _) = call(
        &emu,
        "GET",
        &format!("{children}?ordering=is_favorite"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(
        titles(&ignored)[0],
        "sub",
        "unknown fields fall back to the default order"
    );
}

#[tokio::test]
async fn itm_08_the_list_shows_urls_traced_public_files_and_favorites() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let logo = uploaded(&emu, &alice, "logo.png", png, "image/png").await;
    let logo_id = logo["id"].as_str().unwrap();
    call(
        &emu,
        "POST",
        &format!("/items/{logo_id}/upload-ended/"),
        Some(&alice),
        None,
    )
    .await;
    let folder = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "folder", "type": "folder"}),
    )
    .await;
    call(
        &emu,
        "POST",
        &format!("/items/{}/favorite/", folder["id"].as_str().unwrap()),
        Some(&alice),
        None,
    )
    .await;
    let public = uploaded(&emu, &bob, "public.txt", b"hello", "text/plain").await;
    let public_id = public["id"].as_str().unwrap();
    call(
        &emu,
        "POST",
        &format!("/items/{public_id}/upload-ended/"),
        Some(&bob),
        None,
    )
    .await;
    let (status, _, _) = call(
        &emu,
        "PUT",
        &format!("/items/{public_id}/link-configuration/"),
        Some(&bob),
        Some(json!({"link_reach": "public", "link_role": "reader"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, before, _) = call(&emu, "GET", "/items/?page_size=100", Some(&alice), None).await;
    assert!(
        !before["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == public_id),
        "not visited yet"
    );
    call(&emu, "GET", &format!("/items/{public_id}/"), Some(&alice), None).await;
    let gone = create(
        &emu,
        &alice,
        "/items/",
        json!({"title": "gone", "type": "folder"}),
    )
    .await;
    let gone_id = gone["id"].as_str().unwrap();
    call(&emu, "DELETE", &format!("/items/{gone_id}/"), Some(&alice), None).await;
    call(
        &emu,
        "DELETE",
        &format!("/items/{gone_id}/hard-delete/"),
        Some(&alice),
        None,
    )
    .await;

    let (_, list, _) = call(&emu, "GET", "/items/?page_size=100", Some(&alice), None).await;
    let results = list["results"].as_array().unwrap();
    let find = |id: &str| results.iter().find(|i| i["id"] == id).cloned();
    let logo = find(logo_id).expect("the ready file");
    assert_eq!(logo["mimetype"], "image/png");
    assert_eq!(
        logo["url"],
        format!("{}/media/item/{logo_id}/logo.png", emu.url())
    );
    assert_eq!(
        logo["url_preview"],
        format!("{}/media/preview/item/{logo_id}/logo.png", emu.url())
    );
    assert_eq!(
        logo["url_permalink"],
        format!("{}/api/v1.0/items/{logo_id}/download/", emu.url())
    );
    assert_eq!(logo["is_favorite"], false);
    assert_eq!(find(folder["id"].as_str().unwrap()).unwrap()["is_favorite"], true);
    assert!(find(public_id).is_some(), "a visited public file is listed");
    assert!(find(gone_id).is_none(), "hard-deleted items are not");
    assert_eq!(list["count"], 3, "the file, the folder, the visited file");
}

#[tokio::test]
async fn reset_and_snapshots_cover_drive_items_and_their_bodies() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = uploaded(&emu, &alice, "kept.txt", b"kept", "text/plain").await;
    let id = file["id"].as_str().unwrap().to_owned();
    call(
        &emu,
        "POST",
        &format!("/items/{id}/upload-ended/"),
        Some(&alice),
        None,
    )
    .await;
    let kept_folder = folder(&emu, &alice, None, "Kept folder").await;
    let children = format!("/items/{kept_folder}/children/");
    upload_file(&emu, &alice, &children, "inside.txt", "inside").await;
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("state.snapshot");
    emu.snapshot(&snapshot).await.unwrap();

    emu.reset().await.unwrap();
    let alice = token(&emu, "alice").await;
    let (status, _, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!(status, 404, "reset empties the tree");
    let (_, list, _) = call(&emu, "GET", "/items/", Some(&alice), None).await;
    assert_eq!(
        list["count"], 0,
        "and seeds no items (Drive 0.21.1 has no main workspace)"
    );

    emu.restore(&snapshot).await.unwrap();
    let alice = token(&emu, "alice").await;
    let (status, item, _) = call(&emu, "GET", &format!("/items/{id}/"), Some(&alice), None).await;
    assert_eq!((status, &item["upload_state"]), (200, &json!("ready")));
    let media = client()
        .get(item["url"].as_str().unwrap())
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 200);
    assert_eq!(
        media.text().await.unwrap(),
        "kept",
        "the body came back with the rows"
    );
    // The counts a folder keeps of its children come back right (not doubled by the copy).
    let (_, restored, _) = call(&emu, "GET", &format!("/items/{kept_folder}/"), Some(&alice), None).await;
    assert_eq!(restored["numchild"], 1);
    let (_, page, _) = call(&emu, "GET", &children, Some(&alice), None).await;
    assert_eq!(page["count"], 1);
}

#[tokio::test]
async fn itm_29_children_counts_show_a_suspicious_file_to_its_creator_only() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let shared = folder(&emu, &alice, None, "Shared").await;
    let link = json!({"link_reach": "authenticated", "link_role": "reader"});
    let path = format!("/items/{shared}/link-configuration/");
    assert_eq!(call(&emu, "PUT", &path, Some(&alice), Some(link)).await.0, 200);
    let children = format!("/items/{shared}/children/");
    upload_file(&emu, &alice, &children, "clean.txt", "clean").await;
    let flagged = upload_file(&emu, &alice, &children, "flagged.txt", "flagged").await;
    set_state(&emu, flagged["id"].as_str().unwrap(), "suspicious").await;
    create(
        &emu,
        &alice,
        &children,
        json!({"type": "file", "filename": "pending.txt"}),
    )
    .await;
    folder(&emu, &alice, Some(&shared), "Sub").await;

    for (who, token, expected) in [("alice", &alice, 3), ("bob", &bob, 2)] {
        let (status, page, _) = call(&emu, "GET", &children, Some(token), None).await;
        assert_eq!(status, 200, "{page}");
        let titles: Vec<&str> = page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["title"].as_str().unwrap())
            .collect();
        assert_eq!(page["count"], expected, "{who} sees {titles:?}");
        assert_eq!(titles.len(), expected, "{who}");
    }
    // numchild counts every live child, the pending upload included.
    let (_, item, _) = call(&emu, "GET", &format!("/items/{shared}/"), Some(&alice), None).await;
    assert_eq!(
        (&item["numchild"], &item["numchild_folder"]),
        (&json!(4), &json!(1))
    );
    let (_, page, _) = call(&emu, "GET", &format!("{children}?type=folder"), Some(&bob), None).await;
    assert_eq!(page["count"], 1, "a filtered page is counted from the rows");
}

#[tokio::test]
async fn download_redirects_to_the_media_url() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = uploaded(&emu, &alice, "d.txt", b"data", "text/plain").await;
    let id = file["id"].as_str().unwrap();
    let path = format!("/items/{id}/download/");
    let (status, _, _) = call(&emu, "GET", &path, Some(&alice), None).await;
    assert_eq!(status, 404, "nothing to download before upload-ended");
    call(
        &emu,
        "POST",
        &format!("/items/{id}/upload-ended/"),
        Some(&alice),
        None,
    )
    .await;
    let (status, _, headers) = call(&emu, "GET", &path, Some(&alice), None).await;
    assert_eq!(status, 302);
    assert_eq!(
        headers["location"],
        format!("{}/media/item/{id}/d.txt", emu.url())
    );
    let bob = token(&emu, "bob").await;
    let (status, _, _) = call(&emu, "GET", &path, Some(&bob), None).await;
    assert_eq!(status, 403);
}
