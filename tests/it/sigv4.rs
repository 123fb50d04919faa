//! A small AWS Signature V4 signer for the S3 tests (header and presigned-URL forms), written
//! from the AWS specification so that the emulator's verification is tested against an
//! independent implementation (the Python suite adds botocore's).

#![allow(dead_code)]

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

pub const UNSIGNED: &str = "UNSIGNED-PAYLOAD";

/// A request to sign: `path` is the decoded path (`/bucket/key`), `query` decoded pairs,
/// `host` what the client will send.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
}

pub struct Signer {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// The service named in the credential scope (`s3`; tests change it to be refused).
    pub service: String,
}

/// A request ready to send: method, URL path?query exactly as signed, and headers.
pub struct Signed {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, `/` kept in paths.
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b'/' if keep_slash => "/".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn amz_date(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Signer {
    pub fn new(access_key: &str, secret_key: &str) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: "eu-east-1".into(),
            service: "s3".into(),
        }
    }

    fn scope(&self, date: &str) -> String {
        format!("{}/{}/{}/aws4_request", &date[..8], self.region, self.service)
    }

    fn signature(&self, date: &str, canonical_request: &str) -> String {
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{}\n{}",
            self.scope(date),
            sha256_hex(canonical_request.as_bytes())
        );
        let key = hmac(format!("AWS4{}", self.secret_key).as_bytes(), &date[..8]);
        let key = hmac(&key, &self.region);
        let key = hmac(&key, &self.service);
        let key = hmac(&key, "aws4_request");
        hex(&hmac(&key, &to_sign))
    }

    /// Header-signs `request` with `payload_hash`, as of Unix time `at`.
    pub fn sign(&self, request: &Request<'_>, payload_hash: &str, at: i64) -> Signed {
        let Request {
            method,
            host,
            path,
            query,
            headers,
        } = *request;
        let date = amz_date(at);
        let mut all: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        all.push(("host".into(), host.into()));
        all.push(("x-amz-date".into(), date.clone()));
        all.push(("x-amz-content-sha256".into(), payload_hash.into()));
        all.sort();
        let signed_headers: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
        let signed_headers = signed_headers.join(";");
        let canonical_query = canonical_query(query);
        let canonical_path = uri_encode(path, true);
        let canonical_headers: String = all.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let request = format!(
            "{method}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
        );
        let signature = self.signature(&date, &request);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
            self.access_key,
            self.scope(&date)
        );
        let mut out: Vec<(String, String)> = all.into_iter().filter(|(k, _)| k != "host").collect();
        out.push(("authorization".into(), authorization));
        Signed {
            method: method.into(),
            path_and_query: with_query(&canonical_path, &canonical_query),
            headers: out,
        }
    }

    /// A presigned URL (query auth) signing `host` plus `headers`, valid `expires` seconds.
    pub fn presign(
        &self,
        method: &str,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
        expires: i64,
        at: i64,
    ) -> String {
        let date = amz_date(at);
        let mut signed: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        signed.push(("host".into(), host.into()));
        signed.sort();
        let signed_headers = signed
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let credential = format!("{}/{}", self.access_key, self.scope(&date));
        let expires = expires.to_string();
        let query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", credential.as_str()),
            ("X-Amz-Date", date.as_str()),
            ("X-Amz-Expires", expires.as_str()),
            ("X-Amz-SignedHeaders", signed_headers.as_str()),
        ];
        let canonical_query = canonical_query(&query);
        let canonical_path = uri_encode(path, true);
        let canonical_headers: String = signed.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let request = format!(
            "{method}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{UNSIGNED}"
        );
        let signature = self.signature(&date, &request);
        format!("{canonical_path}?{canonical_query}&X-Amz-Signature={signature}")
    }
}

fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
