//! S3 objects through real SigV4 (issue 3; spec/s3.md §A.4-A.8): put, get, head, ranges,
//! conditions, copy, delete, checksums, keys, and the bad inputs of each.

use base64::Engine as _;
use md5::Digest as _;

use crate::s3util::{S3Client, xml_value};
use crate::sigv4::{Request, UNSIGNED, now};
use crate::util;

const BUCKET: &str = "/drive-media-storage";

fn md5_hex(data: &[u8]) -> String {
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn put_get_head_round_trip_with_md5_etag_metadata_and_headers() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let body = b"hello, lasuite";
    let put = s3
        .send(
            "PUT",
            "/drive-media-storage/item/1/report.txt",
            &[],
            &[
                ("content-type", "text/plain"),
                (
                    "content-disposition",
                    "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt",
                ),
                ("cache-control", "no-cache"),
                ("x-amz-meta-is_unsafe", "true"),
                ("x-amz-meta-Owner", "alice"),
            ],
            body,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let etag = format!("\"{}\"", md5_hex(body));
    assert_eq!(put.header("etag"), Some(etag.as_str()));
    assert!(
        put.header("x-amz-version-id").is_some(),
        "the fixture bucket is versioned"
    );

    let get = s3.get("/drive-media-storage/item/1/report.txt").await;
    assert_eq!(get.status, 200);
    assert_eq!(get.body, body);
    assert_eq!(get.header("content-type"), Some("text/plain"));
    assert_eq!(
        get.header("content-disposition"),
        Some("attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt")
    );
    assert_eq!(get.header("cache-control"), Some("no-cache"));
    assert_eq!(
        get.header("x-amz-meta-is_unsafe"),
        Some("true"),
        "underscores kept"
    );
    assert_eq!(get.header("x-amz-meta-owner"), Some("alice"), "keys lower-cased");
    assert_eq!(get.header("accept-ranges"), Some("bytes"));
    assert!(get.header("last-modified").is_some_and(|d| d.ends_with("GMT")));

    let head = s3
        .send("HEAD", "/drive-media-storage/item/1/report.txt", &[], &[], b"")
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("14"));
    assert_eq!(head.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn an_object_stored_without_content_type_has_one_on_head() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    assert_eq!(s3.put("/drive-media-storage/no-type", b"x").await.status, 200);
    let head = s3
        .send("HEAD", "/drive-media-storage/no-type", &[], &[], b"")
        .await;
    assert_eq!(head.header("content-type"), Some("application/octet-stream"));
}

#[tokio::test]
async fn ranges_answer_206_and_unsatisfiable_ones_416() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    s3.put("/drive-media-storage/r", b"0123456789").await;
    let part = s3
        .send(
            "GET",
            "/drive-media-storage/r",
            &[],
            &[("range", "bytes=2-5")],
            b"",
        )
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, b"2345");
    assert_eq!(part.header("content-range"), Some("bytes 2-5/10"));
    let tail = s3
        .send(
            "GET",
            "/drive-media-storage/r",
            &[],
            &[("range", "bytes=-3")],
            b"",
        )
        .await;
    assert_eq!(tail.body, b"789");
    let past = s3
        .send(
            "GET",
            "/drive-media-storage/r",
            &[],
            &[("range", "bytes=20-30")],
            b"",
        )
        .await;
    assert_eq!(past.status, 416);
    assert_eq!(past.code(), "InvalidRange");
    assert_eq!(past.header("content-range"), Some("bytes */10"));
}

/// Bodies up to 256 KiB are read whole with their row, larger ones streamed from their file:
/// whole and ranged reads are the same on both sides of that line.
#[tokio::test]
async fn small_and_large_bodies_read_whole_and_by_range() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    for size in [256 * 1024, 256 * 1024 + 1, 3 * 1024 * 1024] {
        let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let path = format!("/drive-media-storage/sized-{size}");
        assert_eq!(s3.put(&path, &body).await.status, 200);
        let whole = s3.get(&path).await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.header("content-length"), Some(size.to_string().as_str()));
        assert!(whole.body == body, "{size}: the body read back differs");
        let range = format!("bytes={}-{}", size - 300, size - 101);
        let part = s3.send("GET", &path, &[], &[("range", &range)], b"").await;
        assert_eq!(part.status, 206);
        assert_eq!(part.body, body[size - 300..size - 100]);
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes {}-{}/{size}", size - 300, size - 101).as_str())
        );
    }
}

#[tokio::test]
async fn conditional_reads_answer_304_and_412() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let put = s3.put("/drive-media-storage/c", b"content").await;
    let etag = put.header("etag").unwrap().to_owned();
    let get = |headers: Vec<(&'static str, String)>| {
        let s3 = &s3;
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s3.send("GET", "/drive-media-storage/c", &[], &headers, b"")
                .await
                .status
        }
    };
    assert_eq!(get(vec![("if-none-match", etag.clone())]).await, 304);
    assert_eq!(get(vec![("if-none-match", "\"other\"".into())]).await, 200);
    assert_eq!(get(vec![("if-match", etag.clone())]).await, 200);
    assert_eq!(get(vec![("if-match", "\"other\"".into())]).await, 412);
    assert_eq!(
        get(vec![(
            "if-modified-since",
            "Fri, 01 Jan 2100 00:00:00 GMT".into()
        )])
        .await,
        304
    );
    assert_eq!(
        get(vec![(
            "if-modified-since",
            "Mon, 01 Jan 2001 00:00:00 GMT".into()
        )])
        .await,
        200
    );
    assert_eq!(
        get(vec![(
            "if-unmodified-since",
            "Mon, 01 Jan 2001 00:00:00 GMT".into()
        )])
        .await,
        412
    );
}

#[tokio::test]
async fn missing_things_have_their_s3_codes() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let missing = s3.get("/drive-media-storage/nothing-here").await;
    assert_eq!((missing.status, missing.code()), (404, "NoSuchKey".into()));
    let no_bucket = s3.get("/no-such-bucket/x").await;
    assert_eq!((no_bucket.status, no_bucket.code()), (404, "NoSuchBucket".into()));
    s3.put("/drive-media-storage/v", b"x").await;
    let no_version = s3
        .send(
            "GET",
            "/drive-media-storage/v",
            &[("versionId", "not-a-version")],
            &[],
            b"",
        )
        .await;
    assert_eq!(
        (no_version.status, no_version.code()),
        (404, "NoSuchVersion".into())
    );
    let head = s3
        .send("HEAD", "/drive-media-storage/nothing-here", &[], &[], b"")
        .await;
    assert_eq!(head.status, 404);
}

#[tokio::test]
async fn presigned_put_needs_the_signed_acl_and_expires() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let path = "/drive-media-storage/item/5f1c/upload.txt";
    let acl = [("x-amz-acl", "private")];
    let url = s3.signer.presign("PUT", &s3.host, path, &acl, 60, now());

    let ok = s3
        .raw(
            "PUT",
            &url,
            &[("x-amz-acl", "private"), ("content-type", "text/plain")],
            b"browser bytes",
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(s3.get(path).await.body, b"browser bytes");
    assert_eq!(
        s3.send("HEAD", path, &[], &[], b"").await.header("content-type"),
        Some("text/plain")
    );

    let no_acl = s3.raw("PUT", &url, &[("content-type", "text/plain")], b"x").await;
    assert_eq!(
        (no_acl.status, no_acl.code()),
        (403, "SignatureDoesNotMatch".into())
    );
    let wrong_acl = s3.raw("PUT", &url, &[("x-amz-acl", "public-read")], b"x").await;
    assert_eq!(wrong_acl.status, 403);
    let tampered = url.replace("upload.txt", "other.txt");
    assert_eq!(
        s3.raw("PUT", &tampered, &[("x-amz-acl", "private")], b"x")
            .await
            .code(),
        "SignatureDoesNotMatch"
    );
    let expired = s3.signer.presign("PUT", &s3.host, path, &acl, 60, now() - 120);
    let answer = s3.raw("PUT", &expired, &[("x-amz-acl", "private")], b"x").await;
    assert_eq!((answer.status, answer.code()), (403, "AccessDenied".into()));
    // A presigned GET works the same way.
    let get = s3.signer.presign("GET", &s3.host, path, &[], 60, now());
    assert_eq!(s3.raw("GET", &get, &[], b"").await.body, b"browser bytes");
}

#[tokio::test]
async fn bad_signatures_keys_and_clocks_are_refused() {
    let emu = util::start().await;
    let good = S3Client::new(&emu);
    let wrong_secret = S3Client::with_keys(&emu, "drive", "not-the-password");
    let answer = wrong_secret.put("/drive-media-storage/x", b"x").await;
    assert_eq!(
        (answer.status, answer.code()),
        (403, "SignatureDoesNotMatch".into())
    );
    let unknown = S3Client::with_keys(&emu, "nobody", "x");
    assert_eq!(
        unknown.put("/drive-media-storage/x", b"x").await.code(),
        "InvalidAccessKeyId"
    );
    // 20 minutes of skew: outside S3's 15.
    let signed = good.signer.sign(
        &Request {
            method: "GET",
            host: &good.host,
            path: "/drive-media-storage/x",
            query: &[],
            headers: &[],
        },
        &crate::sigv4::sha256_hex(b""),
        now() - 1200,
    );
    let skewed = good.send_signed(&signed, b"").await;
    assert_eq!(
        (skewed.status, skewed.code()),
        (403, "RequestTimeTooSkewed".into())
    );
    // Any region is accepted (Drive signs with eu-east-1, Docs with us-east-1).
    let mut us = S3Client::new(&emu);
    us.signer.region = "us-east-1".into();
    assert_eq!(us.put("/drive-media-storage/region", b"x").await.status, 200);
    // A body that does not hash to the signed payload hash.
    let signed = good.signer.sign(
        &Request {
            method: "PUT",
            host: &good.host,
            path: "/drive-media-storage/x",
            query: &[],
            headers: &[],
        },
        &crate::sigv4::sha256_hex(b"other"),
        now(),
    );
    let answer = good.send_signed(&signed, b"body").await;
    assert_eq!(answer.status, 400, "{}", answer.text());
    assert_eq!(
        good.get("/drive-media-storage/x").await.status,
        404,
        "nothing stored"
    );
    // UNSIGNED-PAYLOAD is fine with a Content-Length.
    let signed = good.signer.sign(
        &Request {
            method: "PUT",
            host: &good.host,
            path: "/drive-media-storage/unsigned",
            query: &[],
            headers: &[],
        },
        UNSIGNED,
        now(),
    );
    assert_eq!(good.send_signed(&signed, b"abc").await.status, 200);
}

#[tokio::test]
async fn wrong_checksums_are_bad_digest_and_store_nothing() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let b64 = base64::engine::general_purpose::STANDARD;
    // CRC32 of "hello" is 0x3610a686.
    let crc = b64.encode(0x3610_a686u32.to_be_bytes());
    let ok = s3
        .send(
            "PUT",
            "/drive-media-storage/crc",
            &[],
            &[("x-amz-checksum-crc32", &crc)],
            b"hello",
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        ok.header("x-amz-checksum-crc32"),
        Some(crc.as_str()),
        "checksums are echoed"
    );
    let bad = s3
        .send(
            "PUT",
            "/drive-media-storage/crc2",
            &[],
            &[("x-amz-checksum-crc32", &crc)],
            b"hellp",
        )
        .await;
    assert_eq!((bad.status, bad.code()), (400, "BadDigest".into()));
    assert_eq!(s3.get("/drive-media-storage/crc2").await.status, 404);
    let md5 = b64.encode(md5::Md5::digest(b"other"));
    let bad = s3
        .send(
            "PUT",
            "/drive-media-storage/md5",
            &[],
            &[("content-md5", &md5)],
            b"hello",
        )
        .await;
    assert_eq!(bad.code(), "BadDigest");
    let bad = s3
        .send(
            "PUT",
            "/drive-media-storage/md5",
            &[],
            &[("content-md5", "nonsense")],
            b"hello",
        )
        .await;
    assert_eq!(bad.code(), "InvalidDigest");
}

#[tokio::test]
async fn awkward_keys_are_stored_literally_and_long_ones_refused() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    for key in [
        "a",
        "a/b",
        "a/b/c",
        "x/../y",
        "p%2Fq",
        "sp ace+plus",
        "é/ü",
        "trailing/",
    ] {
        let path = format!("/drive-media-storage/{key}");
        let put = s3.put(&path, key.as_bytes()).await;
        assert_eq!(put.status, 200, "{key}: {}", put.text());
        assert_eq!(s3.get(&path).await.body, key.as_bytes(), "{key}");
    }
    let long = format!("/drive-media-storage/{}", "k".repeat(1024));
    assert_eq!(s3.put(&long, b"x").await.status, 200);
    let too_long = format!("/drive-media-storage/{}", "k".repeat(1025));
    let answer = s3.put(&too_long, b"x").await;
    assert_eq!((answer.status, answer.code()), (400, "KeyTooLongError".into()));
    // Nothing escaped the blob store: the data directory holds only its own files.
    let mut names: Vec<String> = std::fs::read_dir(emu.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(|n| ["blobs", "tmp"].contains(&n.as_str()) || n.starts_with("state.db")),
        "{names:?}"
    );
}

#[tokio::test]
async fn copy_replaces_metadata_in_place_and_refuses_a_no_op_self_copy() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let key = "/drive-media-storage/item/9/doc.bin";
    s3.send(
        "PUT",
        key,
        &[],
        &[
            ("content-type", "application/octet-stream"),
            ("x-amz-meta-owner", "bob"),
        ],
        b"PDF-bytes",
    )
    .await;
    let copy = s3
        .send(
            "PUT",
            key,
            &[],
            &[
                ("x-amz-copy-source", "drive-media-storage/item/9/doc.bin"),
                ("x-amz-metadata-directive", "REPLACE"),
                ("content-type", "application/pdf"),
                ("x-amz-meta-status", "ready"),
            ],
            b"",
        )
        .await;
    assert_eq!(copy.status, 200, "{}", copy.text());
    assert_eq!(
        xml_value(&copy.text(), "ETag").unwrap(),
        format!("\"{}\"", md5_hex(b"PDF-bytes"))
    );
    let head = s3.send("HEAD", key, &[], &[], b"").await;
    assert_eq!(head.header("content-type"), Some("application/pdf"));
    assert_eq!(head.header("x-amz-meta-status"), Some("ready"));
    assert_eq!(
        head.header("x-amz-meta-owner"),
        None,
        "REPLACE drops the old metadata"
    );
    assert_eq!(s3.get(key).await.body, b"PDF-bytes", "data intact");

    let noop = s3
        .send(
            "PUT",
            key,
            &[],
            &[("x-amz-copy-source", "drive-media-storage/item/9/doc.bin")],
            b"",
        )
        .await;
    assert_eq!((noop.status, noop.code()), (400, "InvalidRequest".into()));

    // Rename = COPY to a new key + delete.
    let renamed = s3
        .send(
            "PUT",
            "/drive-media-storage/item/9/renamed.bin",
            &[],
            &[("x-amz-copy-source", "drive-media-storage/item/9/doc.bin")],
            b"",
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        s3.send("HEAD", "/drive-media-storage/item/9/renamed.bin", &[], &[], b"")
            .await
            .header("x-amz-meta-status"),
        Some("ready")
    );
    assert_eq!(s3.send("DELETE", key, &[], &[], b"").await.status, 204);
    assert_eq!(
        s3.get("/drive-media-storage/item/9/renamed.bin").await.body,
        b"PDF-bytes"
    );

    let missing = s3
        .send(
            "PUT",
            "/drive-media-storage/z",
            &[],
            &[("x-amz-copy-source", "drive-media-storage/none")],
            b"",
        )
        .await;
    assert_eq!(missing.code(), "NoSuchKey");
    let failed = s3
        .send(
            "PUT",
            "/drive-media-storage/z",
            &[],
            &[
                ("x-amz-copy-source", "drive-media-storage/item/9/renamed.bin"),
                ("x-amz-copy-source-if-match", "\"nope\""),
            ],
            b"",
        )
        .await;
    assert_eq!((failed.status, failed.code()), (412, "PreconditionFailed".into()));
}

#[tokio::test]
async fn a_client_that_disconnects_mid_upload_leaves_nothing() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let signed = s3.signer.sign(
        &Request {
            method: "PUT",
            host: &s3.host,
            path: "/drive-media-storage/cut",
            query: &[],
            headers: &[],
        },
        UNSIGNED,
        now(),
    );
    let mut request = format!(
        "PUT {} HTTP/1.1\r\nhost: {}\r\ncontent-length: 1000000\r\n",
        signed.path_and_query, s3.host
    );
    for (k, v) in &signed.headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = tokio::net::TcpStream::connect(s3.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(&[7u8; 1000]).await.unwrap();
        // Dropped here: the connection closes with 999,000 bytes missing.
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(s3.get("/drive-media-storage/cut").await.status, 404);
    let leftovers = std::fs::read_dir(emu.data_dir().join("tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "no temp file left behind");
}

#[tokio::test]
async fn delete_objects_takes_a_checksum_instead_of_content_md5_and_honours_quiet() {
    // botocore >= 1.36 sends x-amz-checksum-crc32 and no Content-MD5 (spec/s3.md).
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    for key in ["d1", "d2", "d3"] {
        s3.put(&format!("{BUCKET}/{key}"), b"x").await;
    }
    let crc32 = |body: &[u8]| {
        use base64::Engine as _;
        use s3s::crypto::Checksum as _;
        let mut hasher = s3s::crypto::Crc32::new();
        hasher.update(body);
        base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
    };
    let body = "<Delete><Object><Key>d1</Key></Object><Object><Key>d2</Key></Object></Delete>";
    let answer = s3
        .send(
            "POST",
            BUCKET,
            &[("delete", "")],
            &[("x-amz-checksum-crc32", &crc32(body.as_bytes()))],
            body.as_bytes(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(crate::s3util::xml_values(&answer.text(), "Key"), ["d1", "d2"]);
    let quiet = "<Delete><Quiet>true</Quiet><Object><Key>d3</Key></Object></Delete>";
    let answer = s3
        .send(
            "POST",
            BUCKET,
            &[("delete", "")],
            &[("x-amz-checksum-crc32", &crc32(quiet.as_bytes()))],
            quiet.as_bytes(),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(!answer.text().contains("<Deleted>"), "{}", answer.text());
    assert_eq!(s3.get(&format!("{BUCKET}/d3")).await.status, 404);
    let malformed = s3
        .send(
            "POST",
            BUCKET,
            &[("delete", "")],
            &[("x-amz-checksum-crc32", &crc32(b"<Delete><Object>"))],
            b"<Delete><Object>",
        )
        .await;
    assert_eq!((malformed.status, malformed.code()), (400, "MalformedXML".into()));
}

#[tokio::test]
async fn edge_cases_the_conformance_suite_found() {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    // Conditional writes: `If-None-Match: *` creates only.
    let first = s3
        .send(
            "PUT",
            "/drive-media-storage/once",
            &[],
            &[("if-none-match", "*")],
            b"1",
        )
        .await;
    assert_eq!(first.status, 200);
    let again = s3
        .send(
            "PUT",
            "/drive-media-storage/once",
            &[],
            &[("if-none-match", "*")],
            b"2",
        )
        .await;
    assert_eq!((again.status, again.code()), (412, "PreconditionFailed".into()));
    // An ETag there is MinIO's extension (AWS: 501): 412 when it is the current one's.
    let other = s3
        .send(
            "PUT",
            "/drive-media-storage/once",
            &[],
            &[("if-none-match", "\"abc\"")],
            b"3",
        )
        .await;
    assert_eq!(other.status, 200);
    let md5_of_3 = "\"eccbc87e4b5ce2fe28308fd9f2a7baf3\"";
    let same = s3
        .send(
            "PUT",
            "/drive-media-storage/once",
            &[],
            &[("if-none-match", md5_of_3)],
            b"4",
        )
        .await;
    assert_eq!((same.status, same.code()), (412, "PreconditionFailed".into()));
    // An empty Content-MD5 is invalid, not absent.
    let empty = s3
        .send(
            "PUT",
            "/drive-media-storage/md5",
            &[],
            &[("content-md5", "")],
            b"x",
        )
        .await;
    assert_eq!(empty.code(), "InvalidDigest");
    // Presigned URLs live at most seven days.
    let url = s3
        .signer
        .presign("GET", &s3.host, "/drive-media-storage/once", &[], 700_000, now());
    let long = s3.raw("GET", &url, &[], b"").await;
    assert_eq!(
        (long.status, long.code()),
        (400, "AuthorizationQueryParametersError".into())
    );
    // SigV2 needs a valid, recent Date (s3s does not check it; S3 does).
    let v2 = s3
        .raw(
            "GET",
            "/drive-media-storage/once",
            &[("authorization", "AWS drive:c2lnbmF0dXJl")],
            b"",
        )
        .await;
    assert_eq!((v2.status, v2.code()), (403, "AccessDenied".into()));
    let headers = [
        ("authorization", "AWS drive:c2ln"),
        ("date", "Mon, 01 Jan 2001 00:00:00 GMT"),
    ];
    assert_eq!(
        s3.raw("GET", "/drive-media-storage/once", &headers, b"")
            .await
            .code(),
        "RequestTimeTooSkewed"
    );
    // Every answer carries a request id, also inside XML errors.
    let missing = s3.get("/drive-media-storage/nope").await;
    let id = missing.header("x-amz-request-id").unwrap().to_owned();
    assert!(
        missing.text().contains(&format!("<RequestId>{id}</RequestId>")),
        "{}",
        missing.text()
    );
}

#[tokio::test]
async fn a_304_names_the_object_and_has_no_body() {
    // AWS: 304 with ETag and Last-Modified, no body (RFC 9110 §15.4.5); s3s alone kept the
    // XML error's Content-Type and Content-Length.
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    let key = format!("{BUCKET}/cached");
    assert_eq!(s3.put(&key, b"0123456789").await.status, 200);
    let first = s3.get(&key).await;
    let etag = first.header("etag").unwrap().to_owned();
    for (name, value) in [
        ("if-none-match", etag.clone()),
        (
            "if-modified-since",
            first.header("last-modified").unwrap().to_owned(),
        ),
    ] {
        let again = s3.send("GET", &key, &[], &[(name, &value)], b"").await;
        assert_eq!(again.status, 304, "{name}");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{name}");
        assert_eq!(
            again.header("last-modified"),
            first.header("last-modified"),
            "{name}"
        );
        assert_eq!(again.header("content-type"), None, "{name}");
        assert!(again.body.is_empty());
        assert!(
            matches!(again.header("content-length"), None | Some("0")),
            "{name}"
        );
    }
}

/// Files under `blobs/`, at any depth.
fn body_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .map(|entry| std::fs::read_dir(entry.unwrap().path()).unwrap().count())
        .sum()
}

/// Bodies up to 128 KiB are kept in their version's row (committed and synced with it, as
/// MinIO inlines small objects); larger ones in a file. Both read back the same after a
/// restart, through a copy, and once the source is gone.
#[tokio::test]
async fn small_bodies_are_kept_in_their_row_and_large_ones_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let start = || lasuite_emu::Emulator::builder().data_dir(dir.path()).start();
    let emu = start().await.unwrap();
    let s3 = S3Client::new(&emu);
    let small = vec![b's'; 128 * 1024];
    let large = vec![b'l'; 128 * 1024 + 1];
    assert_eq!(s3.put(&format!("{BUCKET}/small"), &small).await.status, 200);
    assert_eq!(body_files(dir.path()), 0, "a 128 KiB body is kept in its row");
    assert_eq!(s3.put(&format!("{BUCKET}/large"), &large).await.status, 200);
    assert_eq!(body_files(dir.path()), 1, "a larger one in a file");
    for key in ["small", "large"] {
        let copy = s3
            .send(
                "PUT",
                &format!("{BUCKET}/{key}-copy"),
                &[],
                &[("x-amz-copy-source", &format!("{BUCKET}/{key}"))],
                b"",
            )
            .await;
        assert_eq!(copy.status, 200, "{}", copy.text());
    }
    emu.stop().await;

    let emu = start().await.unwrap();
    let s3 = S3Client::new(&emu);
    for (key, body) in [("small", &small), ("large", &large)] {
        let got = s3.get(&format!("{BUCKET}/{key}")).await;
        assert_eq!(got.status, 200);
        assert!(&got.body == body, "{key} after a restart");
        assert_eq!(
            got.header("etag"),
            Some(format!("\"{}\"", md5_hex(body)).as_str())
        );
        // The copy holds its own body: deleting every version of the source leaves it whole.
        let listing = s3
            .send("GET", BUCKET, &[("versions", ""), ("prefix", key)], &[], b"")
            .await;
        let text = listing.text();
        let version = xml_value(&text, "VersionId").unwrap();
        let delete = s3
            .send(
                "DELETE",
                &format!("{BUCKET}/{key}"),
                &[("versionId", &version)],
                &[],
                b"",
            )
            .await;
        assert_eq!(delete.status, 204);
        assert_eq!(s3.get(&format!("{BUCKET}/{key}")).await.status, 404);
        let copy = s3.get(&format!("{BUCKET}/{key}-copy")).await;
        assert_eq!(copy.status, 200);
        assert!(&copy.body == body, "the copy of {key}");
    }
}
