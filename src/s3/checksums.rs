//! Body checksums: which to compute for a request (`x-amz-checksum-*` values, the SDK's
//! `x-amz-sdk-checksum-algorithm`, `x-amz-trailer`), and verifying what the client sent
//! (`Content-MD5`, checksum headers, aws-chunked trailers) against what was received.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::{S3Result, s3_error};

use super::model::Checksums;

/// The algorithms, by the name used in `x-amz-checksum-<name>`.
pub const ALGORITHMS: [&str; 5] = ["crc32", "crc32c", "sha1", "sha256", "crc64nvme"];

/// What a request asks to be checked and echoed.
#[derive(Debug, Default)]
pub struct Wanted {
    /// Algorithm -> base64 value the client claims (headers; trailers are added later).
    pub expected: BTreeMap<&'static str, String>,
    /// Algorithms to compute (and return) even without a claimed value.
    pub compute: Vec<&'static str>,
    pub content_md5: Option<String>,
}

impl Wanted {
    /// From the request headers: `x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm` (or the
    /// `x-amz-checksum-algorithm` of CreateMultipartUpload) and `x-amz-trailer`.
    pub fn from_headers(headers: &HeaderMap, algorithm: Option<&str>) -> Self {
        // Read from the raw header: an empty Content-MD5 is invalid, not absent.
        let content_md5 = headers
            .get("content-md5")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let mut wanted = Self {
            content_md5,
            ..Self::default()
        };
        for name in ALGORITHMS {
            if let Some(value) = headers
                .get(format!("x-amz-checksum-{name}"))
                .and_then(|v| v.to_str().ok())
            {
                wanted.expected.insert(name, value.to_owned());
                wanted.add(name);
            }
        }
        if let Some(name) = algorithm.and_then(|a| ALGORITHMS.iter().find(|n| n.eq_ignore_ascii_case(a))) {
            wanted.add(name);
        }
        for trailer in headers
            .get_all("x-amz-trailer")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for name in trailer.split(',').map(str::trim) {
                if let Some(algo) = name.strip_prefix("x-amz-checksum-")
                    && let Some(known) = ALGORITHMS.iter().find(|n| n.eq_ignore_ascii_case(algo))
                {
                    wanted.add(known);
                }
            }
        }
        wanted
    }

    fn add(&mut self, name: &'static str) {
        if !self.compute.contains(&name) {
            self.compute.push(name);
        }
    }

    pub fn hasher(&self) -> ChecksumHasher {
        use s3s::crypto::Checksum as _;
        let on = |name| self.compute.contains(&name);
        ChecksumHasher {
            crc32: on("crc32").then(s3s::crypto::Crc32::new),
            crc32c: on("crc32c").then(s3s::crypto::Crc32c::new),
            sha1: on("sha1").then(s3s::crypto::Sha1::new),
            sha256: on("sha256").then(s3s::crypto::Sha256::new),
            crc64nvme: on("crc64nvme").then(s3s::crypto::Crc64Nvme::new),
        }
    }

    /// Adds the values of aws-chunked trailers (`x-amz-checksum-*`), read after the body.
    pub fn add_trailers(&mut self, trailers: Option<HeaderMap>) {
        let Some(trailers) = trailers else { return };
        for name in ALGORITHMS {
            if let Some(value) = trailers
                .get(format!("x-amz-checksum-{name}"))
                .and_then(|v| v.to_str().ok())
            {
                self.expected.insert(name, value.to_owned());
            }
        }
    }

    /// Checks the claimed values against the computed ones; returns the checksums to store.
    pub fn verify(&self, md5: &[u8; 16], computed: &s3s::dto::Checksum) -> S3Result<Checksums> {
        if let Some(claimed) = &self.content_md5 {
            let decoded = STANDARD
                .decode(claimed.trim())
                .ok()
                .filter(|d| d.len() == 16)
                .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified is not valid."))?;
            if decoded != md5 {
                return Err(s3_error!(
                    BadDigest,
                    "The Content-MD5 you specified did not match what we received."
                ));
            }
        }
        let computed = to_map(computed);
        for (name, claimed) in &self.expected {
            if computed.get(*name) != Some(claimed) {
                return Err(s3_error!(
                    BadDigest,
                    "The {} you specified did not match the calculated checksum.",
                    name.to_uppercase()
                ));
            }
        }
        Ok(computed)
    }
}

/// The digests of a small request body that s3s parses itself (DeleteObjects' XML), taken in
/// front of s3s and handed to the operation in the request's extensions, where the signature
/// has been checked and `Content-MD5` can be compared as for PutObject.
#[derive(Debug, Clone)]
pub struct BodyDigest {
    pub md5: [u8; 16],
    pub checksums: s3s::dto::Checksum,
}

impl BodyDigest {
    pub fn of(headers: &HeaderMap, body: &[u8]) -> Self {
        use md5::Digest as _;
        let mut hasher = Wanted::from_headers(headers, header_algorithm(headers)).hasher();
        hasher.update(body);
        Self {
            md5: md5::Md5::digest(body).into(),
            checksums: hasher.finalize(),
        }
    }
}

/// What S3 checks of a DeleteObjects body: a `Content-MD5` or a checksum must come with it,
/// and match it.
pub fn verify_required(headers: &HeaderMap, digest: Option<&BodyDigest>) -> S3Result<()> {
    let wanted = Wanted::from_headers(headers, header_algorithm(headers));
    if wanted.content_md5.is_none() && wanted.expected.is_empty() {
        return Err(s3_error!(
            InvalidRequest,
            "Missing required header for this request: Content-Md5."
        ));
    }
    let digest = digest.ok_or_else(|| s3_error!(InternalError, "the body was not digested"))?;
    wanted.verify(&digest.md5, &digest.checksums).map(|_| ())
}

fn header_algorithm(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-amz-sdk-checksum-algorithm")
        .and_then(|v| v.to_str().ok())
}

fn to_map(checksum: &s3s::dto::Checksum) -> Checksums {
    let mut map = Checksums::new();
    let pairs = [
        ("crc32", &checksum.checksum_crc32),
        ("crc32c", &checksum.checksum_crc32c),
        ("sha1", &checksum.checksum_sha1),
        ("sha256", &checksum.checksum_sha256),
        ("crc64nvme", &checksum.checksum_crc64nvme),
    ];
    for (name, value) in pairs {
        if let Some(value) = value {
            map.insert(name.to_owned(), value.clone());
        }
    }
    map
}

/// Sets the `checksum_*` fields of an s3s output from stored checksums.
macro_rules! set_checksums {
    ($output:expr, $checksums:expr) => {{
        let checksums: &$crate::s3::model::Checksums = $checksums;
        $output.checksum_crc32 = checksums.get("crc32").cloned();
        $output.checksum_crc32c = checksums.get("crc32c").cloned();
        $output.checksum_sha1 = checksums.get("sha1").cloned();
        $output.checksum_sha256 = checksums.get("sha256").cloned();
        $output.checksum_crc64nvme = checksums.get("crc64nvme").cloned();
    }};
}
pub(crate) use set_checksums;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_a_known_body_is_checked() {
        let mut headers = HeaderMap::new();
        // CRC32 of "hello" is 0x3610a686.
        headers.insert(
            "x-amz-checksum-crc32",
            STANDARD.encode(0x3610_a686u32.to_be_bytes()).parse().unwrap(),
        );
        let wanted = Wanted::from_headers(&headers, None);
        let mut hasher = wanted.hasher();
        hasher.update(b"hello");
        let md5 = md5_of(b"hello");
        assert!(wanted.verify(&md5, &hasher.finalize()).is_ok());
        let mut hasher = wanted.hasher();
        hasher.update(b"hellp");
        assert_eq!(
            wanted
                .verify(&md5, &hasher.finalize())
                .unwrap_err()
                .code()
                .as_str(),
            "BadDigest"
        );
    }

    #[test]
    fn content_md5_is_checked() {
        let md5 = md5_of(b"hello");
        let wanted = Wanted {
            content_md5: Some(STANDARD.encode(md5)),
            ..Wanted::default()
        };
        assert!(wanted.verify(&md5, &s3s::dto::Checksum::default()).is_ok());
        let wrong = Wanted {
            content_md5: Some(STANDARD.encode([0u8; 16])),
            ..Wanted::default()
        };
        assert_eq!(
            wrong
                .verify(&md5, &s3s::dto::Checksum::default())
                .unwrap_err()
                .code()
                .as_str(),
            "BadDigest"
        );
        let bad = Wanted {
            content_md5: Some("zz".into()),
            ..Wanted::default()
        };
        assert_eq!(
            bad.verify(&md5, &s3s::dto::Checksum::default())
                .unwrap_err()
                .code()
                .as_str(),
            "InvalidDigest"
        );
    }

    fn md5_of(data: &[u8]) -> [u8; 16] {
        use md5::Digest as _;
        md5::Md5::digest(data).into()
    }
}
