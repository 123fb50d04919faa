//! The S3 store against a hostile client with valid credentials: headers outside the
//! signature, tampered presigned URLs, foreign services and algorithms, bodies whose digest
//! lies, hostile keys, and reads racing overwrites. Each test names what AWS S3 answers.

use lasuite_emu::s3::presign::presigned_put_url;
use serde_json::json;

use crate::driveutil::{call, create, token, upload_file};
use crate::s3util::{Reply, S3Client, xml_value};
use crate::sigv4::{Request, Signer, UNSIGNED, now, sha256_hex};
use crate::util;

const BUCKET: &str = "hostile";
const DRIVE_BUCKET: &str = "drive-media-storage";

async fn with_bucket() -> (lasuite_emu::RunningEmulator, S3Client) {
    let emu = util::start().await;
    let s3 = S3Client::new(&emu);
    assert_eq!(s3.put(&format!("/{BUCKET}"), b"").await.status, 200);
    assert_eq!(s3.put(&format!("/{BUCKET}/k"), b"original").await.status, 200);
    (emu, s3)
}

/// AWS: 403 `AccessDenied` "There were headers present in the request which were not
/// signed", naming them in `<HeadersNotSigned>`.
/// (A HEAD answer has the status alone.)
fn assert_unsigned_refused(reply: &Reply, header: &str, context: &str) {
    assert_eq!(reply.status, 403, "{context}: {}", reply.text());
    if reply.body.is_empty() && context.contains("HEAD") {
        return;
    }
    assert_eq!(reply.code(), "AccessDenied", "{context}");
    assert_eq!(
        xml_value(&reply.text(), "Message").as_deref(),
        Some("There were headers present in the request which were not signed"),
        "{context}"
    );
    assert_eq!(
        xml_value(&reply.text(), "HeadersNotSigned").as_deref(),
        Some(header),
        "{context}"
    );
}

/// Header-signs `method path?query` over `signed` headers, then sends it with `extra` added
/// after signing.
async fn send_with_unsigned(
    s3: &S3Client,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    signed: &[(&str, &str)],
    extra: (&str, &str),
    body: &[u8],
) -> Reply {
    let request = Request {
        method,
        host: &s3.host,
        path,
        query,
        headers: signed,
    };
    let mut signed = s3.signer.sign(&request, &sha256_hex(body), now());
    signed.headers.push((extra.0.into(), extra.1.into()));
    s3.send_signed(&signed, body).await
}

/// An operation as `(method, path, query)`.
type Operation = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The operations the apps use, on a bucket holding `k`.
const OPERATIONS: [Operation; 8] = [
    ("PUT", "/hostile/new", &[]),
    ("GET", "/hostile/k", &[]),
    ("HEAD", "/hostile/k", &[]),
    ("DELETE", "/hostile/k", &[]),
    ("GET", "/hostile", &[("list-type", "2")]),
    ("POST", "/hostile/mp", &[("uploads", "")]),
    ("GET", "/hostile", &[("versioning", "")]),
    ("PUT", "/hostile/copy", &[]),
];

/// Headers a hostile client could add to change what an operation does.
const AMZ_HEADERS: [(&str, &str); 10] = [
    ("x-amz-copy-source", "/hostile/k"),
    ("x-amz-acl", "public-read"),
    ("x-amz-meta-owner", "eve"),
    ("x-amz-metadata-directive", "REPLACE"),
    ("x-amz-tagging", "a=b"),
    ("x-amz-storage-class", "STANDARD"),
    ("x-amz-server-side-encryption", "AES256"),
    ("x-amz-website-redirect-location", "/elsewhere"),
    ("x-amz-security-token", "forged"),
    ("x-amz-checksum-crc32", "AAAAAA=="),
];

#[tokio::test]
async fn every_amz_header_outside_a_header_signature_is_refused() {
    let (_emu, s3) = with_bucket().await;
    for (method, path, query) in OPERATIONS {
        for header in AMZ_HEADERS {
            let reply = send_with_unsigned(&s3, method, path, query, &[], header, b"").await;
            assert_unsigned_refused(&reply, header.0, &format!("{method} {path} {}", header.0));
        }
    }
    // Untouched: the object is still the original, and nothing was created.
    assert_eq!(s3.get("/hostile/k").await.body, b"original");
    assert_eq!(s3.get("/hostile/new").await.status, 404);
    assert_eq!(s3.get("/hostile/copy").await.status, 404);
}

#[tokio::test]
async fn the_same_headers_signed_are_obeyed() {
    let (_emu, s3) = with_bucket().await;
    let copy = s3
        .send(
            "PUT",
            "/hostile/copy",
            &[],
            &[("x-amz-copy-source", "/hostile/k")],
            b"",
        )
        .await;
    assert_eq!(copy.status, 200, "{}", copy.text());
    assert_eq!(s3.get("/hostile/copy").await.body, b"original");
    let meta = s3
        .send("PUT", "/hostile/m", &[], &[("x-amz-meta-owner", "alice")], b"x")
        .await;
    assert_eq!(meta.status, 200, "{}", meta.text());
    assert_eq!(
        s3.get("/hostile/m").await.header("x-amz-meta-owner"),
        Some("alice")
    );
}

#[tokio::test]
async fn x_amz_date_outside_the_signature_is_refused() {
    // The signer always signs x-amz-date; send a request that lists only host.
    let (_emu, s3) = with_bucket().await;
    let mut signed = s3.signer.sign(
        &Request {
            method: "GET",
            host: &s3.host,
            path: "/hostile/k",
            query: &[],
            headers: &[],
        },
        &sha256_hex(b""),
        now(),
    );
    let auth = signed
        .headers
        .iter_mut()
        .find(|(k, _)| k == "authorization")
        .unwrap();
    auth.1 = auth.1.replace(
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date",
        "SignedHeaders=host",
    );
    let reply = s3.send_signed(&signed, b"").await;
    assert_unsigned_refused(&reply, "x-amz-date", "x-amz-date unsigned");
}

#[tokio::test]
async fn several_unsigned_headers_are_all_named() {
    let (_emu, s3) = with_bucket().await;
    let request = Request {
        method: "PUT",
        host: &s3.host,
        path: "/hostile/k",
        query: &[],
        headers: &[],
    };
    let mut signed = s3.signer.sign(&request, &sha256_hex(b""), now());
    signed.headers.push(("X-Amz-Meta-B".into(), "1".into()));
    signed
        .headers
        .push(("x-amz-copy-source".into(), "/hostile/k".into()));
    let reply = s3.send_signed(&signed, b"").await;
    assert_unsigned_refused(&reply, "x-amz-copy-source, x-amz-meta-b", "two headers");
}

fn presigned(s3: &S3Client, method: &str, path: &str, signed: &[(&str, &str)]) -> String {
    s3.signer.presign(method, &s3.host, path, signed, 300, now())
}

#[tokio::test]
async fn every_amz_header_outside_a_presigned_url_is_refused() {
    let (_emu, s3) = with_bucket().await;
    for (method, path) in [
        ("PUT", "/hostile/new"),
        ("GET", "/hostile/k"),
        ("HEAD", "/hostile/k"),
    ] {
        let target = presigned(&s3, method, path, &[]);
        for header in AMZ_HEADERS {
            let reply = s3.raw(method, &target, &[header], b"").await;
            assert_unsigned_refused(&reply, header.0, &format!("presigned {method} {}", header.0));
        }
    }
    assert_eq!(s3.get("/hostile/new").await.status, 404);
}

#[tokio::test]
async fn a_presigned_url_may_carry_an_unsigned_content_sha256_and_content_type() {
    // AWS excepts x-amz-content-sha256 (checked against the body anyway); Content-Type is not
    // an x-amz-* header (a browser sets it on a presigned PUT).
    let (_emu, s3) = with_bucket().await;
    let target = presigned(&s3, "PUT", "/hostile/up", &[("x-amz-acl", "private")]);
    let body = b"uploaded";
    let reply = s3
        .raw(
            "PUT",
            &target,
            &[
                ("x-amz-acl", "private"),
                ("x-amz-content-sha256", &sha256_hex(body)),
                ("content-type", "text/plain"),
            ],
            body,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let target = presigned(&s3, "PUT", "/hostile/up2", &[]);
    let reply = s3
        .raw("PUT", &target, &[("x-amz-content-sha256", UNSIGNED)], body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

/// Issue 10, hole 1: alice's presigned PUT from Drive, sent with an unsigned
/// `x-amz-copy-source` naming bob's file and an empty body, must not copy bob's bytes.
#[tokio::test]
async fn a_drive_policy_url_cannot_copy_another_users_file() {
    let emu = util::start().await;
    let (alice, bob) = (token(&emu, "alice").await, token(&emu, "bob").await);
    let bobs = upload_file(&emu, &bob, "/items/", "secret.txt", "bob's secret").await;
    let bobs_key = format!("item/{}/secret.txt", bobs["id"].as_str().unwrap());

    let mine = create(
        &emu,
        &alice,
        "/items/",
        json!({"type": "file", "filename": "mine.txt"}),
    )
    .await;
    let put = util::client()
        .put(mine["policy"].as_str().unwrap())
        .header("x-amz-acl", "private")
        .header("x-amz-copy-source", format!("/{DRIVE_BUCKET}/{bobs_key}"))
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403);
    let text = put.text().await.unwrap();
    assert_eq!(
        xml_value(&text, "Code").as_deref(),
        Some("AccessDenied"),
        "{text}"
    );
    assert_eq!(
        xml_value(&text, "HeadersNotSigned").as_deref(),
        Some("x-amz-copy-source")
    );

    // Nothing was stored under alice's key: her item holds no object.
    let s3 = S3Client::new(&emu);
    let alices_key = format!("/{DRIVE_BUCKET}/item/{}/mine.txt", mine["id"].as_str().unwrap());
    assert_eq!(s3.send("HEAD", &alices_key, &[], &[], b"").await.status, 404);
    // Bob's file is his alone: alice's media URL for her item serves none of his bytes.
    let media = util::client()
        .get(format!(
            "{}/media/item/{}/mine.txt",
            emu.url(),
            mine["id"].as_str().unwrap()
        ))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_ne!(media.text().await.unwrap(), "bob's secret");
    let ended = format!("/items/{}/upload-ended/", mine["id"].as_str().unwrap());
    let (status, _, _) = call(&emu, "POST", &ended, Some(&alice), None).await;
    assert_ne!(status, 200, "upload-ended found an object under alice's key");
}

#[tokio::test]
async fn a_drive_policy_url_with_its_signed_acl_still_uploads() {
    let emu = util::start().await;
    let alice = token(&emu, "alice").await;
    let file = upload_file(&emu, &alice, "/items/", "ok.txt", "fine").await;
    assert_eq!(file["filename"], "ok.txt");
}

#[tokio::test]
async fn a_foreign_service_in_the_credential_scope_is_malformed() {
    // AWS: 400 AuthorizationHeaderMalformed / AuthorizationQueryParametersError, naming the
    // service (s3s alone answered 501 NotImplemented).
    let (emu, mut s3) = with_bucket().await;
    for service in ["ec2", "sts"] {
        s3.signer = Signer {
            service: service.into(),
            ..Signer::new("drive", "password")
        };
        let reply = s3.get("/hostile/k").await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert_eq!(reply.code(), "AuthorizationHeaderMalformed");
        assert_eq!(
            xml_value(&reply.text(), "Message").unwrap(),
            format!(
                "The authorization header is malformed; incorrect service &quot;{service}&quot;. \
                 This endpoint belongs to &quot;s3&quot;."
            )
        );
        let target = presigned(&s3, "GET", "/hostile/k", &[]);
        let reply = s3.raw("GET", &target, &[], b"").await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert_eq!(reply.code(), "AuthorizationQueryParametersError");
        assert_eq!(
            xml_value(&reply.text(), "Message").unwrap(),
            format!(
                "Error parsing the X-Amz-Credential parameter; incorrect service \
                 &quot;{service}&quot;. This endpoint belongs to &quot;s3&quot;."
            )
        );
    }
    drop(emu);
}

#[tokio::test]
async fn a_presigned_url_of_another_algorithm_is_a_query_error() {
    // AWS: 400 AuthorizationQueryParametersError (s3s alone answered 501).
    let (_emu, s3) = with_bucket().await;
    let target = presigned(&s3, "GET", "/hostile/k", &[]).replace(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Algorithm=AWS4-HMAC-SHA1",
    );
    let reply = s3.raw("GET", &target, &[], b"").await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.code(), "AuthorizationQueryParametersError");
    assert_eq!(
        xml_value(&reply.text(), "Message").unwrap(),
        "X-Amz-Algorithm only supports &quot;AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256&quot;"
    );
}

#[tokio::test]
async fn each_tampered_presigned_query_parameter_is_refused() {
    let (_emu, s3) = with_bucket().await;
    let target = presigned(&s3, "GET", "/hostile/k", &[]);
    assert_eq!(s3.raw("GET", &target, &[], b"").await.status, 200);
    let param = |name: &str| {
        target
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    // (parameter, forged value, AWS's status and code)
    let cases = [
        ("X-Amz-Signature", "0".repeat(64), 403, "SignatureDoesNotMatch"),
        ("X-Amz-Expires", "301".to_owned(), 403, "SignatureDoesNotMatch"),
        (
            "X-Amz-Expires",
            "604801".to_owned(),
            400,
            "AuthorizationQueryParametersError",
        ),
        (
            "X-Amz-Expires",
            "soon".to_owned(),
            400,
            "AuthorizationQueryParametersError",
        ),
        (
            "X-Amz-SignedHeaders",
            "host%3Brange".to_owned(),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "X-Amz-Credential",
            param("X-Amz-Credential").replace("drive", "nobody"),
            403,
            "InvalidAccessKeyId",
        ),
    ];
    for (name, forged, status, code) in cases {
        let tampered = target.replace(&format!("{name}={}", param(name)), &format!("{name}={forged}"));
        let reply = s3.raw("GET", &tampered, &[], b"").await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (status, code),
            "{name}={forged}: {}",
            reply.text()
        );
    }
    let bad = s3
        .raw(
            "GET",
            &target.replace(&param("X-Amz-Signature"), &"0".repeat(64)),
            &[],
            b"",
        )
        .await;
    assert_eq!(
        xml_value(&bad.text(), "Message").as_deref(),
        Some(
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method."
        )
    );
    // A parameter added after signing is part of the canonical query: the signature breaks.
    let reply = s3.raw("GET", &format!("{target}&versionId=null"), &[], b"").await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    // Another key under the same signature.
    let reply = s3
        .raw("GET", &target.replace("/hostile/k?", "/hostile/other?"), &[], b"")
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
}

#[tokio::test]
async fn an_unknown_authorization_scheme_is_an_invalid_argument() {
    // AWS: 400 InvalidArgument "Unsupported Authorization Type", naming the header.
    let (_emu, s3) = with_bucket().await;
    for value in ["Bearer abc", "AWS4-HMAC-SHA1 Credential=x"] {
        let reply = s3
            .raw("GET", "/hostile/k", &[("authorization", value)], b"")
            .await;
        assert_eq!(reply.status, 400, "{value}: {}", reply.text());
        assert_eq!(reply.code(), "InvalidArgument");
        assert_eq!(
            xml_value(&reply.text(), "Message").as_deref(),
            Some("Unsupported Authorization Type")
        );
        assert_eq!(
            xml_value(&reply.text(), "ArgumentName").as_deref(),
            Some("Authorization")
        );
    }
}

#[tokio::test]
async fn an_anonymous_bucket_post_that_is_not_a_form_is_a_failed_precondition() {
    // AWS: 412 PreconditionFailed, Condition "Bucket POST must be of the enclosure-type
    // multipart/form-data" (s3s alone answered 501).
    let (_emu, s3) = with_bucket().await;
    for target in ["/hostile", "/hostile/"] {
        let reply = s3
            .raw("POST", target, &[("content-type", "application/json")], b"{}")
            .await;
        assert_eq!(reply.status, 412, "{}", reply.text());
        assert_eq!(reply.code(), "PreconditionFailed");
        assert_eq!(
            xml_value(&reply.text(), "Condition").as_deref(),
            Some("Bucket POST must be of the enclosure-type multipart/form-data")
        );
    }
}

fn delete_body(keys: &[&str]) -> Vec<u8> {
    let objects: String = keys
        .iter()
        .map(|k| format!("<Object><Key>{k}</Key></Object>"))
        .collect();
    format!("<Delete>{objects}</Delete>").into_bytes()
}

fn content_md5(body: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

#[tokio::test]
async fn delete_objects_checks_its_content_md5() {
    let (_emu, s3) = with_bucket().await;
    let body = delete_body(&["k"]);
    let delete = [("delete", "")];

    // AWS: 400 BadDigest, nothing deleted.
    let wrong = content_md5(b"another body");
    let reply = s3
        .send("POST", "/hostile", &delete, &[("content-md5", &wrong)], &body)
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "BadDigest"),
        "{}",
        reply.text()
    );
    assert_eq!(
        xml_value(&reply.text(), "Message").as_deref(),
        Some("The Content-MD5 you specified did not match what we received.")
    );
    assert_eq!(s3.get("/hostile/k").await.status, 200);

    // AWS: 400 InvalidDigest for a value that is no MD5.
    let reply = s3
        .send(
            "POST",
            "/hostile",
            &delete,
            &[("content-md5", "bm90IG1kNQ==")],
            &body,
        )
        .await;
    assert_eq!((reply.status, reply.code().as_str()), (400, "InvalidDigest"));

    // AWS: 400 InvalidRequest without Content-MD5 or a checksum.
    let reply = s3.send("POST", "/hostile", &delete, &[], &body).await;
    assert_eq!((reply.status, reply.code().as_str()), (400, "InvalidRequest"));
    assert_eq!(
        xml_value(&reply.text(), "Message").as_deref(),
        Some("Missing required header for this request: Content-Md5.")
    );
    assert_eq!(s3.get("/hostile/k").await.status, 200);

    // A wrong checksum header is a BadDigest too.
    let reply = s3
        .send(
            "POST",
            "/hostile",
            &delete,
            &[("x-amz-checksum-crc32", "AAAAAA==")],
            &body,
        )
        .await;
    assert_eq!((reply.status, reply.code().as_str()), (400, "BadDigest"));

    let right = content_md5(&body);
    let reply = s3
        .send("POST", "/hostile", &delete, &[("content-md5", &right)], &body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(s3.get("/hostile/k").await.status, 404);
}

#[tokio::test]
async fn hostile_keys_are_refused_or_stored_as_names() {
    // S3 keys are names, never paths: `..`, backslashes and encoded NULs are stored as given
    // and read back as given; 1,024 bytes is the limit (AWS: 400 KeyTooLongError).
    let (emu, s3) = with_bucket().await;
    for key in [
        "../../etc/passwd",
        "a/../../b",
        "back\\slash",
        "%00nul",
        "dot/./dot",
    ] {
        let path = format!("/{BUCKET}/{key}");
        let reply = s3.put(&path, key.as_bytes()).await;
        assert_eq!(reply.status, 200, "{key}: {}", reply.text());
        assert_eq!(s3.get(&path).await.body, key.as_bytes(), "{key}");
    }
    // Nothing escaped the data dir: every body is a file named by a random id under blobs/.
    let limit = "k".repeat(1024);
    assert_eq!(s3.put(&format!("/{BUCKET}/{limit}"), b"x").await.status, 200);
    let over = "k".repeat(1025);
    let reply = s3.put(&format!("/{BUCKET}/{over}"), b"x").await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "KeyTooLongError"),
        "{}",
        reply.text()
    );
    // A raw NUL byte in the request line is no HTTP: hyper refuses it with a bare 400.
    let nul = s3
        .exchange(b"GET /hostile/a\0b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await;
    assert_eq!(nul.status, 400);
    drop(emu);
}

/// Issue 10, hole 4: GETs racing overwrites of the same key get the old or the new object,
/// whole, never a 500 (S3 and MinIO never fail such a read).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_racing_overwrites_get_a_whole_object() {
    let (emu, _s3) = with_bucket().await;
    let bodies: Vec<Vec<u8>> = (0..4u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
    let writers = (0..2).map(|w| {
        let (s3, bodies) = (S3Client::new(&emu), bodies.clone());
        tokio::spawn(async move {
            for round in 0..60 {
                let reply = s3.put("/hostile/k", &bodies[(w + round) % bodies.len()]).await;
                assert_eq!(reply.status, 200, "{}", reply.text());
            }
        })
    });
    let readers = (0..4).map(|_| {
        let (s3, bodies) = (S3Client::new(&emu), bodies.clone());
        tokio::spawn(async move {
            for _ in 0..120 {
                let reply = s3.get("/hostile/k").await;
                assert_eq!(reply.status, 200, "{}", reply.text());
                assert!(
                    reply.body == b"original" || bodies.contains(&reply.body),
                    "a torn body of {} bytes",
                    reply.body.len()
                );
            }
        })
    });
    let tasks: Vec<_> = writers.chain(readers).collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn presigned_put_urls_from_drive_sign_the_acl_they_require() {
    // Drive's policy is signed over host;x-amz-acl: sending it without the header breaks the
    // signature (AWS: 403 SignatureDoesNotMatch), sending another ACL value too.
    let emu = util::start().await;
    let key = format!("item/{}/f.txt", uuid::Uuid::new_v4());
    let url = presigned_put_url(
        emu.url(),
        DRIVE_BUCKET,
        &key,
        "drive",
        "password",
        "us-east-1",
        Some("private"),
        now(),
        60,
    );
    for acl in [None, Some("public-read")] {
        let mut put = util::client().put(&url).body("x");
        if let Some(acl) = acl {
            put = put.header("x-amz-acl", acl);
        }
        let reply = put.send().await.unwrap();
        assert_eq!(reply.status(), 403, "{acl:?}");
        let text = reply.text().await.unwrap();
        assert_eq!(
            xml_value(&text, "Code").as_deref(),
            Some("SignatureDoesNotMatch"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn malformed_and_oversized_xml_bodies_are_s3_errors() {
    // AWS: 400 MalformedXML for a body that is not the operation's XML; 400
    // MaxMessageLengthExceeded for a DeleteObjects body over its size.
    let (_emu, s3) = with_bucket().await;
    let started = s3.send("POST", "/hostile/mp", &[("uploads", "")], &[], b"").await;
    let upload_id = xml_value(&started.text(), "UploadId").unwrap();
    let garbage: &[u8] = b"<Nope><unclosed>";
    let cases = [
        ("PUT", "/hostile", vec![("versioning", "")]),
        ("PUT", "/hostile", vec![("cors", "")]),
        ("POST", "/hostile/mp", vec![("uploadId", upload_id.as_str())]),
    ];
    for (method, path, query) in &cases {
        let reply = s3.send(method, path, query, &[], garbage).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (400, "MalformedXML"),
            "{method} {path} {query:?}: {}",
            reply.text()
        );
    }
    let reply = s3
        .send(
            "POST",
            "/hostile",
            &[("delete", "")],
            &[("content-md5", &content_md5(garbage))],
            garbage,
        )
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "MalformedXML"),
        "{}",
        reply.text()
    );

    let huge = vec![b' '; 3 * 1024 * 1024];
    let reply = s3
        .send(
            "POST",
            "/hostile",
            &[("delete", "")],
            &[("content-md5", &content_md5(&huge))],
            &huge,
        )
        .await;
    assert_eq!(
        (reply.status, reply.code().as_str()),
        (400, "MaxMessageLengthExceeded"),
        "{}",
        reply.text()
    );
    assert_eq!(s3.get("/hostile/k").await.status, 200);
}
