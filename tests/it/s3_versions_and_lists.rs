//! Versioning exactly as Docs depends on it (spec/s3.md §A.3, §A.7), listings with markers,
//! delimiters and `encoding-type=url`, multipart uploads, buckets and CORS.

use crate::s3util::{S3Client, xml_value, xml_values};
use crate::util;

const B: &str = "/docs-media-storage";

#[tokio::test]
async fn versions_list_newest_first_with_markers_and_one_latest() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let mut ids = Vec::new();
    for body in ["v1", "v2", "v3"] {
        let put = s3.put(&format!("{B}/doc/file"), body.as_bytes()).await;
        ids.push(put.header("x-amz-version-id").unwrap().to_owned());
    }
    assert!(
        ids.iter().all(|id| id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-=~".contains(&b))),
        "Docs' version-id charset"
    );

    let page = s3
        .send(
            "GET",
            B,
            &[("versions", ""), ("prefix", "doc/file"), ("max-keys", "2")],
            &[],
            b"",
        )
        .await;
    let xml = page.text();
    assert_eq!(
        xml_values(&xml, "VersionId"),
        [ids[2].clone(), ids[1].clone()],
        "newest first"
    );
    assert_eq!(xml_values(&xml, "IsLatest"), ["true", "false"]);
    assert_eq!(xml_value(&xml, "IsTruncated").as_deref(), Some("true"));
    let (km, vm) = (
        xml_value(&xml, "NextKeyMarker").unwrap(),
        xml_value(&xml, "NextVersionIdMarker").unwrap(),
    );
    assert_eq!(vm, ids[1]);
    let rest = s3
        .send(
            "GET",
            B,
            &[
                ("versions", ""),
                ("prefix", "doc/file"),
                ("key-marker", &km),
                ("version-id-marker", &vm),
            ],
            &[],
            b"",
        )
        .await;
    assert_eq!(
        xml_values(&rest.text(), "VersionId"),
        [ids[0].clone()],
        "strictly after the marker"
    );

    // Read an old version; delete the latest version: the previous one is promoted.
    let old = s3
        .send(
            "GET",
            &format!("{B}/doc/file"),
            &[("versionId", &ids[0])],
            &[],
            b"",
        )
        .await;
    assert_eq!(old.body, b"v1");
    assert_eq!(old.header("x-amz-version-id"), Some(ids[0].as_str()));
    let gone = s3
        .send(
            "DELETE",
            &format!("{B}/doc/file"),
            &[("versionId", &ids[2])],
            &[],
            b"",
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(s3.get(&format!("{B}/doc/file")).await.body, b"v2");

    // Delete without a version: a delete marker.
    let marker = s3.send("DELETE", &format!("{B}/doc/file"), &[], &[], b"").await;
    assert_eq!(marker.header("x-amz-delete-marker"), Some("true"));
    let marker_id = marker.header("x-amz-version-id").unwrap().to_owned();
    let missing = s3.get(&format!("{B}/doc/file")).await;
    assert_eq!((missing.status, missing.code()), (404, "NoSuchKey".into()));
    assert_eq!(missing.header("x-amz-delete-marker"), Some("true"));
    let listing = s3
        .send("GET", B, &[("versions", ""), ("prefix", "doc/")], &[], b"")
        .await
        .text();
    assert_eq!(xml_values(&listing, "DeleteMarker").len(), 1, "{listing}");
    assert!(listing.contains(&marker_id));
    // Removing the marker brings the object back.
    s3.send(
        "DELETE",
        &format!("{B}/doc/file"),
        &[("versionId", &marker_id)],
        &[],
        b"",
    )
    .await;
    assert_eq!(s3.get(&format!("{B}/doc/file")).await.body, b"v2");
}

#[tokio::test]
async fn unversioned_and_suspended_buckets_overwrite_the_null_version() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    assert_eq!(s3.put("/plain-bucket", b"").await.status, 200);
    let put = s3.put("/plain-bucket/k", b"one").await;
    assert!(put.header("x-amz-version-id").is_none());
    s3.put("/plain-bucket/k", b"two").await;
    let listing = s3
        .send("GET", "/plain-bucket", &[("versions", "")], &[], b"")
        .await
        .text();
    assert_eq!(xml_values(&listing, "VersionId"), ["null"]);
    let versioning = s3
        .send("GET", "/plain-bucket", &[("versioning", "")], &[], b"")
        .await
        .text();
    assert!(!versioning.contains("<Status>"), "{versioning}");

    let enable = "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>";
    assert_eq!(
        s3.send(
            "PUT",
            "/plain-bucket",
            &[("versioning", "")],
            &[],
            enable.as_bytes()
        )
        .await
        .status,
        200
    );
    assert!(
        s3.send("GET", "/plain-bucket", &[("versioning", "")], &[], b"")
            .await
            .text()
            .contains("<Status>Suspended</Status>")
    );
    let put = s3.put("/plain-bucket/k", b"three").await;
    assert_eq!(
        put.header("x-amz-version-id"),
        None,
        "a null version is not reported on write"
    );
    assert_eq!(s3.get("/plain-bucket/k").await.body, b"three");
    let bad = s3
        .send(
            "PUT",
            "/plain-bucket",
            &[("versioning", "")],
            &[],
            b"<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>",
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn listings_roll_up_prefixes_paginate_and_url_encode_keys() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    for key in ["a/1", "a/2", "b/1", "c", "plus+key", "space key"] {
        s3.put(&format!("{B}/{key}"), b"x").await;
    }
    let listing = s3
        .send("GET", B, &[("list-type", "2"), ("delimiter", "/")], &[], b"")
        .await
        .text();
    assert_eq!(
        xml_values(&listing, "Prefix")
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>(),
        ["a/", "b/"]
    );
    assert_eq!(xml_values(&listing, "Key"), ["c", "plus+key", "space key"]);

    let encoded = s3
        .send(
            "GET",
            B,
            &[("list-type", "2"), ("encoding-type", "url")],
            &[],
            b"",
        )
        .await
        .text();
    assert!(
        encoded.contains("<Key>plus%2Bkey</Key>") && encoded.contains("<Key>space%20key</Key>"),
        "{encoded}"
    );

    // Pages of two with continuation tokens cover everything once.
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("list-type", "2".to_owned()), ("max-keys", "2".to_owned())];
        if let Some(t) = &token {
            query.push(("continuation-token", t.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = s3.send("GET", B, &query, &[], b"").await.text();
        keys.extend(xml_values(&page, "Key"));
        match xml_value(&page, "NextContinuationToken") {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(keys, ["a/1", "a/2", "b/1", "c", "plus+key", "space key"]);

    // v1 with a marker, and a prefix.
    let v1 = s3
        .send("GET", B, &[("marker", "b/1"), ("prefix", "")], &[], b"")
        .await
        .text();
    assert_eq!(xml_values(&v1, "Key"), ["c", "plus+key", "space key"]);
    let prefixed = s3
        .send("GET", B, &[("list-type", "2"), ("prefix", "a/")], &[], b"")
        .await
        .text();
    assert_eq!(xml_values(&prefixed, "Key"), ["a/1", "a/2"]);
    let bad = s3
        .send(
            "GET",
            B,
            &[("list-type", "2"), ("continuation-token", "!!!")],
            &[],
            b"",
        )
        .await;
    assert_eq!(bad.code(), "InvalidArgument");
}

#[tokio::test]
async fn multipart_uploads_parts_out_of_order_and_complain_precisely() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let key = format!("{B}/big.bin");
    let create = s3
        .send(
            "POST",
            &key,
            &[("uploads", "")],
            &[("content-type", "application/zip")],
            b"",
        )
        .await;
    let upload = xml_value(&create.text(), "UploadId").unwrap();
    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    // Part 2 first, as s3transfer's threads may do.
    let p2 = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "2"), ("uploadId", &upload)],
            &[],
            &part2,
        )
        .await;
    let p1 = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "1"), ("uploadId", &upload)],
            &[],
            &part1,
        )
        .await;
    let (e1, e2) = (
        p1.header("etag").unwrap().to_owned(),
        p2.header("etag").unwrap().to_owned(),
    );
    let parts = s3
        .send("GET", &key, &[("uploadId", &upload)], &[], b"")
        .await
        .text();
    assert_eq!(xml_values(&parts, "PartNumber"), ["1", "2"]);

    for bad_number in ["0", "10001"] {
        let answer = s3
            .send(
                "PUT",
                &key,
                &[("partNumber", bad_number), ("uploadId", &upload)],
                &[],
                b"x",
            )
            .await;
        assert_eq!(answer.code(), "InvalidArgument", "part {bad_number}");
    }
    let missing = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part><Part><PartNumber>3</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>"
    );
    assert_eq!(
        s3.send("POST", &key, &[("uploadId", &upload)], &[], missing.as_bytes())
            .await
            .code(),
        "InvalidPart"
    );
    let disorder = format!(
        "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part></CompleteMultipartUpload>"
    );
    assert_eq!(
        s3.send("POST", &key, &[("uploadId", &upload)], &[], disorder.as_bytes())
            .await
            .code(),
        "InvalidPartOrder"
    );

    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>"
    );
    let done = s3
        .send("POST", &key, &[("uploadId", &upload)], &[], complete.as_bytes())
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let etag = xml_value(&done.text(), "ETag").unwrap();
    assert!(etag.ends_with("-2\""), "{etag}");
    let head = s3.send("HEAD", &key, &[], &[], b"").await;
    assert_eq!(
        head.header("content-length"),
        Some((part1.len() + part2.len()).to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("application/zip"));
    let body = s3.get(&key).await.body;
    assert_eq!(&body[body.len() - 4..], b"tail");
    let gone = s3.send("GET", &key, &[("uploadId", &upload)], &[], b"").await;
    assert_eq!(gone.code(), "NoSuchUpload", "a completed upload is gone");

    // Small non-last parts are refused; aborting removes the upload.
    let create = s3.send("POST", &key, &[("uploads", "")], &[], b"").await;
    let upload = xml_value(&create.text(), "UploadId").unwrap();
    let a = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "1"), ("uploadId", &upload)],
            &[],
            b"small",
        )
        .await;
    let b = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "2"), ("uploadId", &upload)],
            &[],
            b"small",
        )
        .await;
    let small = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        a.header("etag").unwrap(),
        b.header("etag").unwrap()
    );
    assert_eq!(
        s3.send("POST", &key, &[("uploadId", &upload)], &[], small.as_bytes())
            .await
            .code(),
        "EntityTooSmall"
    );
    let uploads = s3.send("GET", B, &[("uploads", "")], &[], b"").await.text();
    assert!(uploads.contains(&upload));
    assert_eq!(
        s3.send("DELETE", &key, &[("uploadId", &upload)], &[], b"")
            .await
            .status,
        204
    );
    let after = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "1"), ("uploadId", &upload)],
            &[],
            b"x",
        )
        .await;
    assert_eq!((after.status, after.code()), (404, "NoSuchUpload".into()));
}

#[tokio::test]
async fn upload_part_copy_takes_a_range_of_another_object() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    s3.put(&format!("{B}/source"), b"0123456789").await;
    let key = format!("{B}/assembled");
    let upload = xml_value(
        &s3.send("POST", &key, &[("uploads", "")], &[], b"").await.text(),
        "UploadId",
    )
    .unwrap();
    let copy = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "1"), ("uploadId", &upload)],
            &[
                ("x-amz-copy-source", "docs-media-storage/source"),
                ("x-amz-copy-source-range", "bytes=2-5"),
            ],
            b"",
        )
        .await;
    assert_eq!(copy.status, 200, "{}", copy.text());
    let etag = xml_value(&copy.text(), "ETag").unwrap();
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    assert_eq!(
        s3.send("POST", &key, &[("uploadId", &upload)], &[], complete.as_bytes())
            .await
            .status,
        200
    );
    assert_eq!(s3.get(&key).await.body, b"2345");
    let bad = s3
        .send(
            "PUT",
            &key,
            &[("partNumber", "1"), ("uploadId", &upload)],
            &[
                ("x-amz-copy-source", "docs-media-storage/source"),
                ("x-amz-copy-source-range", "bytes=5-50"),
            ],
            b"",
        )
        .await;
    assert!(bad.status >= 400);
}

#[tokio::test]
async fn buckets_are_created_listed_checked_and_deleted() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let list = s3.get("/").await.text();
    assert_eq!(
        xml_values(&list, "Name"),
        [
            "docs-media-storage",
            "drive-media-storage",
            "impress-media-storage"
        ]
    );
    assert_eq!(s3.put("/fresh-bucket", b"").await.status, 200);
    let again = s3.put("/fresh-bucket", b"").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "BucketAlreadyOwnedByYou".into())
    );
    // AWS's legacy us-east-1 answers a re-creation by the owner with 200.
    let mut us = S3Client::new(&emu);
    us.signer.region = "us-east-1".into();
    assert_eq!(us.put("/fresh-bucket", b"").await.status, 200);
    // Canned ACLs are checked; ACLs read back as the owner's FULL_CONTROL.
    let bad_acl = s3
        .send(
            "PUT",
            "/acl-bucket",
            &[],
            &[("x-amz-acl", "public-read,private")],
            b"",
        )
        .await;
    assert_eq!((bad_acl.status, bad_acl.code()), (400, "InvalidArgument".into()));
    let acl = s3
        .send("GET", "/fresh-bucket", &[("acl", "")], &[], b"")
        .await
        .text();
    assert!(acl.contains("<Permission>FULL_CONTROL</Permission>"), "{acl}");
    for bad in ["/realms", "/media", "/Bad_Name", "/ab"] {
        let answer = s3.put(bad, b"").await;
        assert_eq!(answer.code(), "InvalidBucketName", "{bad}: {}", answer.text());
    }
    assert_eq!(s3.send("HEAD", "/fresh-bucket", &[], &[], b"").await.status, 200);
    assert_eq!(
        s3.send("HEAD", "/no-bucket-here", &[], &[], b"").await.status,
        404
    );
    s3.put("/fresh-bucket/k", b"x").await;
    let full = s3.send("DELETE", "/fresh-bucket", &[], &[], b"").await;
    assert_eq!((full.status, full.code()), (409, "BucketNotEmpty".into()));
    s3.send("DELETE", "/fresh-bucket/k", &[], &[], b"").await;
    assert_eq!(
        s3.send("DELETE", "/fresh-bucket", &[], &[], b"").await.status,
        204
    );
    assert_eq!(
        s3.send("GET", "/docs-media-storage", &[("location", "")], &[], b"")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn cors_preflight_follows_bucket_rules_or_the_localhost_default() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let preflight = |origin: &'static str| {
        let s3 = &s3;
        async move {
            s3.raw(
                "OPTIONS",
                "/drive-media-storage/item/x",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "PUT"),
                    ("access-control-request-headers", "content-type,x-amz-acl"),
                ],
                b"",
            )
            .await
        }
    };
    let local = preflight("http://localhost:3000").await;
    assert_eq!(local.status, 200);
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(
        local
            .header("access-control-allow-methods")
            .unwrap()
            .contains("PUT")
    );
    assert_eq!(
        local.header("access-control-allow-headers"),
        Some("content-type, x-amz-acl")
    );
    let foreign = preflight("https://evil.example").await;
    assert_eq!((foreign.status, foreign.code()), (403, "AccessForbidden".into()));

    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    assert_eq!(
        s3.send(
            "PUT",
            "/drive-media-storage",
            &[("cors", "")],
            &[],
            rules.as_bytes()
        )
        .await
        .status,
        200
    );
    assert!(
        s3.send("GET", "/drive-media-storage", &[("cors", "")], &[], b"")
            .await
            .text()
            .contains("https://*.example")
    );
    assert_eq!(preflight("https://evil.example").await.status, 200);
    assert_eq!(
        preflight("http://localhost:3000").await.status,
        403,
        "rules replace the default"
    );
    // A real cross-origin response carries the headers too.
    let get = s3
        .send(
            "GET",
            "/drive-media-storage",
            &[("cors", "")],
            &[("origin", "https://app.example")],
            b"",
        )
        .await;
    assert_eq!(
        get.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        s3.send("DELETE", "/drive-media-storage", &[("cors", "")], &[], b"")
            .await
            .status,
        204
    );
    assert_eq!(
        s3.send("GET", "/drive-media-storage", &[("cors", "")], &[], b"")
            .await
            .code(),
        "NoSuchCORSConfiguration"
    );
    let no_origin = s3
        .raw(
            "OPTIONS",
            "/drive-media-storage/x",
            &[("access-control-request-method", "PUT")],
            b"",
        )
        .await;
    assert_eq!(no_origin.status, 400);
}

#[tokio::test]
async fn orphan_bodies_and_temp_files_are_swept_after_start() {
    let dir = tempfile::tempdir().unwrap();
    let emu = lasuite_emu::Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    S3Client::new(&emu).put(&format!("{B}/kept"), b"kept").await;
    emu.stop().await;
    // What a crash between the rename and the commit, or mid-upload, leaves behind.
    std::fs::create_dir_all(dir.path().join("blobs/ff")).unwrap();
    std::fs::write(dir.path().join("blobs/ff/ff00orphan"), b"orphan").unwrap();
    std::fs::write(dir.path().join("tmp/abc.part"), b"partial").unwrap();
    let emu = lasuite_emu::Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    // tmp/ is emptied before serving; the sweep of blobs/ runs beside requests, shortly after.
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    assert_eq!(S3Client::new(&emu).get(&format!("{B}/kept")).await.body, b"kept");
    let orphan = dir.path().join("blobs/ff/ff00orphan");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while orphan.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!orphan.exists(), "swept");
    assert_eq!(S3Client::new(&emu).get(&format!("{B}/kept")).await.body, b"kept");
    emu.stop().await;
}

#[tokio::test]
async fn max_keys_zero_is_an_empty_untruncated_page_and_pending_uploads_do_not_block_bucket_deletion() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    s3.put("/tmp-bucket", b"").await;
    s3.put("/tmp-bucket/k", b"x").await;
    let page = s3
        .send(
            "GET",
            "/tmp-bucket",
            &[("list-type", "2"), ("max-keys", "0")],
            &[],
            b"",
        )
        .await
        .text();
    assert_eq!(
        xml_value(&page, "IsTruncated").as_deref(),
        Some("false"),
        "{page}"
    );
    assert!(!page.contains("<Delimiter>"));
    s3.send("DELETE", "/tmp-bucket/k", &[], &[], b"").await;
    let create = s3
        .send("POST", "/tmp-bucket/pending", &[("uploads", "")], &[], b"")
        .await;
    let upload = xml_value(&create.text(), "UploadId").unwrap();
    s3.send(
        "PUT",
        "/tmp-bucket/pending",
        &[("partNumber", "1"), ("uploadId", &upload)],
        &[],
        b"part",
    )
    .await;
    assert_eq!(
        s3.send("DELETE", "/tmp-bucket", &[], &[], b"").await.status,
        204,
        "uploads go with the bucket"
    );
    assert_eq!(s3.send("HEAD", "/tmp-bucket", &[], &[], b"").await.status, 404);
}

/// `2026-12-01T22:25:56.123Z` as Unix milliseconds.
fn listed_millis(text: &str) -> i64 {
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).unwrap()
}

/// Issue 12: XML listings show `LastModified` to the millisecond as MinIO does (Docs' version
/// history compares it with database times); HTTP headers keep whole seconds.
#[tokio::test]
async fn listings_show_milliseconds_and_headers_whole_seconds() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    assert_eq!(s3.put("/millis", b"").await.status, 200);
    let before = emu.clock().now_millis();
    assert_eq!(s3.put("/millis/k", b"body").await.status, 200);
    let started = s3.send("POST", "/millis/mp", &[("uploads", "")], &[], b"").await;
    let upload_id = xml_value(&started.text(), "UploadId").unwrap();
    let part = s3
        .send(
            "PUT",
            "/millis/mp",
            &[("partNumber", "1"), ("uploadId", &upload_id)],
            &[],
            b"part",
        )
        .await;
    assert_eq!(part.status, 200);
    let after = emu.clock().now_millis();

    let listings = [
        (
            s3.send("GET", "/millis", &[("list-type", "2")], &[], b"").await,
            "LastModified",
        ),
        (s3.send("GET", "/millis", &[], &[], b"").await, "LastModified"),
        (
            s3.send("GET", "/millis", &[("versions", "")], &[], b"").await,
            "LastModified",
        ),
        (
            s3.send("GET", "/millis/mp", &[("uploadId", &upload_id)], &[], b"")
                .await,
            "LastModified",
        ),
        (
            s3.send("GET", "/millis", &[("uploads", "")], &[], b"").await,
            "Initiated",
        ),
    ];
    for (reply, tag) in &listings {
        let text = xml_value(&reply.text(), tag).unwrap_or_else(|| panic!("{tag} in {}", reply.text()));
        assert_eq!(text.len(), "2026-12-01T22:25:56.123Z".len(), "{text}");
        let at = listed_millis(&text);
        assert!(
            (before..=after).contains(&at),
            "{text} not within {before}..={after}"
        );
    }
    // A GET's Last-Modified is the same time in whole seconds.
    let listed = listed_millis(&xml_value(&listings[0].0.text(), "LastModified").unwrap());
    let header = s3
        .get("/millis/k")
        .await
        .header("last-modified")
        .unwrap()
        .to_owned();
    let header = time::PrimitiveDateTime::parse(
        &header,
        time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
    .unwrap()
    .assume_utc()
    .unix_timestamp();
    assert_eq!(header, listed.div_euclid(1000));
}
