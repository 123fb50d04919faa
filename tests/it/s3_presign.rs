//! The signatures the emulated Drive API hands out (spec/drive-external-api.md §10.1-10.2,
//! `lasuite_emu::s3::presign`) against the emulated S3 store, sent the way a browser and the
//! media proxy send them: the upload `policy` URL PUT as is, media-auth headers on a plain GET.

use lasuite_emu::RunningEmulator;
use lasuite_emu::s3::presign::{presigned_put_url, sign_get_headers};

use crate::s3util::xml_value;
use crate::sigv4::now;
use crate::util;

const BUCKET: &str = "drive-media-storage";

/// Drive's upload key for a fresh item: `item/<id>/<filename>`, with characters to encode.
fn item_key() -> String {
    format!("item/{}/my file+1.txt", uuid::Uuid::new_v4())
}

/// The `policy` URL Drive would return for `key`, signed by the fixture's S3 credential.
fn policy(emu: &RunningEmulator, key: &str, signed_at: i64) -> String {
    presigned_put_url(
        emu.url(),
        BUCKET,
        key,
        "drive",
        "password",
        "us-east-1",
        Some("private"),
        signed_at,
        60,
    )
}

async fn put(url: &str, acl: Option<&str>, body: &'static [u8]) -> reqwest::Response {
    let mut request = util::client()
        .put(url)
        .header("content-type", "text/plain")
        .body(body);
    if let Some(acl) = acl {
        request = request.header("x-amz-acl", acl);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_policy_url_accepts_the_upload_and_media_auth_headers_read_it_back() {
    let emu = util::start().await;
    let key = item_key();
    let url = policy(&emu, &key, now());
    assert!(
        url.contains("/item/") && url.contains("/my%20file%2B1.txt?X-Amz-Algorithm="),
        "{url}"
    );

    let upload = put(&url, Some("private"), b"uploaded by the browser").await;
    assert_eq!(upload.status(), 200, "{}", upload.text().await.unwrap());

    let headers = sign_get_headers(emu.url(), BUCKET, &key, "drive", "password", "us-east-1", now());
    let object = url.split_once('?').unwrap().0;
    let mut get = util::client().get(object);
    for (name, value) in headers {
        get = get.header(name, value);
    }
    let answer = get.send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/plain");
    assert_eq!(answer.bytes().await.unwrap().as_ref(), b"uploaded by the browser");
}

#[tokio::test]
async fn a_policy_url_put_without_the_signed_acl_header_is_refused() {
    let emu = util::start().await;
    let url = policy(&emu, &item_key(), now());
    let answer = put(&url, None, b"x").await;
    assert_eq!(answer.status(), 403);
    let code = xml_value(&answer.text().await.unwrap(), "Code");
    assert_eq!(code.as_deref(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn a_policy_url_past_its_sixty_seconds_is_refused_as_expired() {
    let emu = util::start().await;
    let url = policy(&emu, &item_key(), now() - 120);
    let answer = put(&url, Some("private"), b"x").await;
    assert_eq!(answer.status(), 403);
    let code = xml_value(&answer.text().await.unwrap(), "Code");
    assert_eq!(code.as_deref(), Some("AccessDenied"));
}
