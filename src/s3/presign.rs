//! The SigV4 signatures Drive's backend hands out, minted the way boto3/botocore mints them
//! (spec/drive-external-api.md §10.1-10.2, spec/s3.md §A.5-A.6), so that the emulated Drive API
//! returns byte-for-byte what the real one would and the emulated S3 store (s3s) accepts it.
//!
//! * [`presigned_put_url`]: an item's upload `policy`, `generate_presigned_url("put_object")`
//!   with query auth, `UNSIGNED-PAYLOAD`, signed headers `host` (+ `x-amz-acl`).
//! * [`sign_get_headers`]: media-auth's answer, `S3SigV4Auth` over an unsigned path-style GET.
//!
//! Pure functions: the caller passes the time (the emulator's clock, which tests move).

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A presigned `PutObject` URL, path style: `<endpoint>/<bucket>/<key>?X-Amz-…`.
///
/// With `acl`, the uploader must send `x-amz-acl: <acl>` (the signature covers it); without,
/// only `host` is signed. The endpoint is kept as written (botocore keeps `:80`, case and a path
/// prefix in the URL), while the signed `host` is lower-cased, with the port only when it is not
/// the scheme's default, as botocore derives it.
#[allow(clippy::too_many_arguments)] // boto3's client settings plus the call's parameters
pub fn presigned_put_url(
    endpoint: &str,
    bucket: &str,
    key: &str,
    access_key: &str,
    secret_key: &str,
    region: &str,
    acl: Option<&str>,
    now_unix: i64,
    expires_secs: u64,
) -> String {
    let (url, host, path) = object_location(endpoint, bucket, key);
    let mut headers = vec![("host", host)];
    headers.extend(acl.map(|acl| ("x-amz-acl", header_value(acl))));
    let signer = Signer::new(access_key, secret_key, region, now_unix);
    format!(
        "{url}?{}",
        signer.presign_query("PUT", &path, &headers, expires_secs)
    )
}

/// The headers media-auth returns so that the proxy's GET of `<endpoint>/<bucket>/<key>` passes
/// S3's header-signature check: `X-Amz-Date`, `X-Amz-Content-SHA256` (of the empty body) and
/// `Authorization`, in the order botocore sets them. Valid within S3's ±15-minute clock skew.
pub fn sign_get_headers(
    endpoint: &str,
    bucket: &str,
    key: &str,
    access_key: &str,
    secret_key: &str,
    region: &str,
    now_unix: i64,
) -> Vec<(&'static str, String)> {
    let (_, host, path) = object_location(endpoint, bucket, key);
    let signer = Signer::new(access_key, secret_key, region, now_unix);
    // botocore signs the payload when there is no checksum header or over plain http: the
    // SHA-256 of the empty body, never UNSIGNED-PAYLOAD here.
    let payload = hex(&Sha256::digest(b""));
    let headers = [
        ("host", host),
        ("x-amz-content-sha256", payload.clone()),
        ("x-amz-date", signer.date.clone()),
    ];
    let canonical = Canonical {
        method: "GET",
        uri: &path,
        query: "",
        headers: &headers,
        payload_hash: &payload,
    };
    let authorization = signer.authorization(&canonical);
    vec![
        ("X-Amz-Date", signer.date),
        ("X-Amz-Content-SHA256", payload),
        ("Authorization", authorization),
    ]
}

/// What a signature covers. `uri` and `query` are already canonical (encoded, query sorted);
/// `headers` have lower-case names, are sorted by name, and carry canonical values.
#[derive(Clone, Copy)]
struct Canonical<'a> {
    method: &'a str,
    uri: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, String)],
    payload_hash: &'a str,
}

impl Canonical<'_> {
    fn signed_headers(&self) -> String {
        self.headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Method, URI, query, `name:value` lines, signed header names, payload hash.
    fn request(&self) -> String {
        let lines: String = self
            .headers
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect();
        let (method, uri, query, hash) = (self.method, self.uri, self.query, self.payload_hash);
        format!(
            "{method}\n{uri}\n{query}\n{lines}\n{}\n{hash}",
            self.signed_headers()
        )
    }
}

/// Credentials, region and time of one signature (service always `s3`).
struct Signer<'a> {
    access_key: &'a str,
    secret_key: &'a str,
    region: &'a str,
    /// `yyyymmddThhmmssZ`
    date: String,
}

impl<'a> Signer<'a> {
    fn new(access_key: &'a str, secret_key: &'a str, region: &'a str, now_unix: i64) -> Self {
        let date = amz_date(now_unix);
        Self {
            access_key,
            secret_key,
            region,
            date,
        }
    }

    fn scope(&self) -> String {
        format!("{}/{}/s3/aws4_request", &self.date[..8], self.region)
    }

    fn signature(&self, canonical: &Canonical) -> String {
        let digest = hex(&Sha256::digest(canonical.request()));
        let to_sign = format!("{ALGORITHM}\n{}\n{}\n{digest}", self.date, self.scope());
        // The signing key chains HMACs over the scope's parts: it depends on the day, not the time.
        let mut key = hmac(format!("AWS4{}", self.secret_key).as_bytes(), &self.date[..8]);
        for part in [self.region, "s3", "aws4_request"] {
            key = hmac(&key, part);
        }
        hex(&hmac(&key, &to_sign))
    }

    /// The `Authorization` header value of header auth.
    fn authorization(&self, canonical: &Canonical) -> String {
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
            self.access_key,
            self.scope(),
            canonical.signed_headers(),
            self.signature(canonical)
        )
    }

    /// The query string of a presigned URL, signature last. botocore appends the auth parameters
    /// in this order, which is also their sorted order, so the string is the canonical query too.
    fn presign_query(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, String)],
        expires_secs: u64,
    ) -> String {
        let canonical = Canonical {
            method,
            uri,
            query: "",
            headers,
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let params = [
            ("X-Amz-Algorithm", ALGORITHM.to_owned()),
            (
                "X-Amz-Credential",
                format!("{}/{}", self.access_key, self.scope()),
            ),
            ("X-Amz-Date", self.date.clone()),
            ("X-Amz-Expires", expires_secs.to_string()),
            ("X-Amz-SignedHeaders", canonical.signed_headers()),
        ];
        let query: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", uri_encode(value, false)))
            .collect();
        let query = query.join("&");
        let signature = self.signature(&Canonical {
            query: &query,
            ..canonical
        });
        format!("{query}&X-Amz-Signature={signature}")
    }
}

/// `(URL, host header, canonical URI)` of an object, path style. The key is encoded once,
/// keeping `/` (botocore's greedy `{Key+}` label); S3 signs that path as is, not re-encoded.
/// `endpoint` is an http(s) URL (the emulator's public URL, already checked at start-up).
fn object_location(endpoint: &str, bucket: &str, key: &str) -> (String, String, String) {
    let url = url::Url::parse(endpoint).ok();
    // `url` lower-cases the host and drops a port that is the scheme's default, like botocore.
    let host = url.as_ref().and_then(url::Url::host_str).unwrap_or_default();
    let host = match url.as_ref().and_then(url::Url::port) {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let prefix = url.as_ref().map_or("", |url| url.path().trim_end_matches('/'));
    let object = format!("/{}/{}", uri_encode(bucket, false), uri_encode(key, true));
    let url = format!("{}{object}", endpoint.trim_end_matches('/'));
    (url, host, format!("{prefix}{object}"))
}

/// AWS URI encoding: unreserved `A-Za-z0-9-._~` kept, `/` kept in paths, every other byte of
/// the UTF-8 text as upper-case `%XX` (botocore: `quote(safe="/~")` for keys, `"-_.~"` in queries).
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A header value as SigV4 canonicalises it (and botocore signs it): trimmed, runs of spaces
/// collapsed to one.
fn header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `yyyymmddThhmmssZ`. A time `time` cannot represent falls back to the epoch (the signature is
/// then merely expired) rather than panicking in a request handler.
fn amz_date(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (hour, minute, second) = t.to_hms();
    format!(
        "{:04}{:02}{:02}T{hour:02}{minute:02}{second:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day()
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The signer of the AWS documentation's examples (20130524T000000Z, us-east-1).
    fn aws_example() -> Signer<'static> {
        let secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        Signer::new("AKIAIOSFODNN7EXAMPLE", secret_key, "us-east-1", 1_369_353_600)
    }

    #[test]
    fn query_signing_matches_the_aws_presigned_get_example() {
        // AWS S3 docs, "Authenticating Requests: Using Query Parameters" (virtual-host style).
        let host = [("host", "examplebucket.s3.amazonaws.com".to_owned())];
        assert_eq!(
            aws_example().presign_query("GET", "/test.txt", &host, 86_400),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1\
             %2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn header_signing_matches_the_aws_get_object_example() {
        // AWS S3 docs, "Signature Calculations for the Authorization Header", GET with a Range.
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com".to_owned()),
            ("range", "bytes=0-9".to_owned()),
            ("x-amz-content-sha256", EMPTY_SHA256.to_owned()),
            ("x-amz-date", "20130524T000000Z".to_owned()),
        ];
        let get = Canonical {
            method: "GET",
            uri: "/test.txt",
            query: "",
            headers: &headers,
            payload_hash: EMPTY_SHA256,
        };
        assert_eq!(
            aws_example().authorization(&get),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    // Expected values below come from botocore 1.43.11 with its clock frozen at 20260301T102030Z:
    // `generate_presigned_url("put_object", ExpiresIn=60)` on an s3v4 path-style client, and
    // `S3SigV4Auth.add_auth` on Drive's unsigned GetObject URL. Credentials drive/password.
    const BOTO_TIME: i64 = 1_772_360_430;

    #[test]
    fn put_urls_are_botocores_byte_for_byte() {
        let check = |endpoint, bucket, key, region, acl: Option<&str>, url_path, signature| {
            let signed = if acl.is_some() { "host%3Bx-amz-acl" } else { "host" };
            let expected = format!(
                "{url_path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=drive%2F20260301%2F{region}\
                 %2Fs3%2Faws4_request&X-Amz-Date=20260301T102030Z&X-Amz-Expires=60\
                 &X-Amz-SignedHeaders={signed}&X-Amz-Signature={signature}"
            );
            let url = presigned_put_url(
                endpoint, bucket, key, "drive", "password", region, acl, BOTO_TIME, 60,
            );
            assert_eq!(url, expected);
        };
        let (bucket, private) = ("drive-media-storage", Some("private"));
        check(
            "http://localhost:9000",
            bucket,
            "item/3f6c/my file+1.txt",
            "eu-east-1",
            private,
            "http://localhost:9000/drive-media-storage/item/3f6c/my%20file%2B1.txt",
            "52a36f3ea8ca836ea325513024f295183c63ef83099ad67efc4de5c28889ce84",
        );
        // No ACL: only `host` signed; ":80" stays in the URL but not in the signed host.
        check(
            "http://127.0.0.1:80",
            bucket,
            "item/x/é~ (1).txt",
            "eu-east-1",
            None,
            "http://127.0.0.1:80/drive-media-storage/item/x/%C3%A9~%20%281%29.txt",
            "cf51121dad413b80d3570f26e4def37160c24ae68d694a2e9e4bd5560b5779a9",
        );
        // The URL keeps case and ":443"; the signed host is `s3.example.com`.
        check(
            "https://S3.Example.com:443/",
            bucket,
            "a/b",
            "eu-east-1",
            private,
            "https://S3.Example.com:443/drive-media-storage/a/b",
            "bcedb46632bc5972fea4041ba23662399d728176d06b5addabc93e684f2b1de6",
        );
        // A path prefix on the endpoint stays in the URL and in the signed path.
        check(
            "http://localhost:9000/s3/",
            "b",
            "k",
            "us-east-1",
            private,
            "http://localhost:9000/s3/b/k",
            "ce9b285d98cd48fb4f496c6314d788ecc93725ee26354b951fd010aadb0908a2",
        );
    }

    #[test]
    fn media_auth_headers_are_botocores_byte_for_byte() {
        let key = "item/x/é~ (1).txt";
        let headers = sign_get_headers(
            "http://minio:9000",
            "drive-media-storage",
            key,
            "drive",
            "password",
            "eu-east-1",
            BOTO_TIME,
        );
        let authorization = "AWS4-HMAC-SHA256 Credential=drive/20260301/eu-east-1/s3/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
             Signature=30e0dd0e22fa9d6169f292e98b056af937a3e36d3171839cf76c564c6f4ccba4";
        let expected = [
            ("X-Amz-Date", "20260301T102030Z"),
            ("X-Amz-Content-SHA256", EMPTY_SHA256),
            ("Authorization", authorization),
        ];
        assert_eq!(headers, expected.map(|(name, value)| (name, value.to_owned())));
    }

    #[test]
    fn uri_encoding_keeps_unreserved_and_escapes_the_rest_upper_case() {
        assert_eq!(uri_encode("aZ09-._~/ +%é", true), "aZ09-._~/%20%2B%25%C3%A9");
        assert_eq!(uri_encode("a/b;c", false), "a%2Fb%3Bc");
        assert_eq!(header_value("  private   acl "), "private acl");
        assert_eq!(amz_date(0), "19700101T000000Z");
    }
}
