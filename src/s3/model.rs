//! The S3 store's domain types, as read from the database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A bucket's versioning state (S3 never goes back to `Unversioned` once enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Unversioned,
    Enabled,
    Suspended,
}

impl Versioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unversioned => "Unversioned",
            Self::Enabled => "Enabled",
            Self::Suspended => "Suspended",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "Enabled" => Self::Enabled,
            "Suspended" => Self::Suspended,
            _ => Self::Unversioned,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub versioning: Versioning,
    pub created_at: i64,
    pub cors: Option<Vec<CorsRule>>,
}

/// A CORS rule as `PutBucketCors` gives it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    #[serde(default)]
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

/// The headers stored with an object and returned on GET and HEAD.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectHeaders {
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// Unix seconds.
    pub expires: Option<i64>,
    /// `x-amz-meta-*`, keys lower-cased.
    pub metadata: BTreeMap<String, String>,
}

/// Checksums of a body, base64 as on the wire, by algorithm name (`crc32`, `crc32c`, `sha1`,
/// `sha256`, `crc64nvme`).
pub type Checksums = BTreeMap<String, String>;

/// One version of one key (or a delete marker).
#[derive(Debug, Clone)]
pub struct ObjectVersion {
    pub id: i64,
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    pub size: i64,
    /// Without quotes.
    pub etag: String,
    /// Unix milliseconds (XML listings show them; HTTP headers the whole seconds).
    pub last_modified_ms: i64,
    pub headers: ObjectHeaders,
    pub checksums: Checksums,
    pub parts_count: Option<i64>,
    /// The file of its body under `blobs/`, if it is kept in one.
    pub blob: Option<String>,
    /// Whether its body is kept in its row instead (small bodies, [`super::blobs::INLINE_MAX`]).
    pub body_inline: bool,
}

/// Where a new version's body is kept.
#[derive(Debug, Clone)]
pub enum StoredBody {
    /// A file under `blobs/`, by name, already in place.
    File(String),
    /// In the version's row: small bodies, committed (and synced) with it.
    Inline(bytes::Bytes),
}

impl StoredBody {
    /// The name of a body written as a file (parts are always files: their concatenation
    /// reads them from disk).
    pub fn into_file(self) -> std::io::Result<String> {
        match self {
            StoredBody::File(name) => Ok(name),
            StoredBody::Inline(_) => Err(std::io::Error::other(
                "a body kept in memory where a file was asked for",
            )),
        }
    }
}

impl ObjectVersion {
    /// Whole Unix seconds: what `Last-Modified` shows and conditional requests compare.
    pub fn last_modified(&self) -> i64 {
        self.last_modified_ms.div_euclid(1000)
    }
}

/// A new version about to be stored.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub size: i64,
    pub etag: String,
    pub headers: ObjectHeaders,
    pub checksums: Checksums,
    pub parts_count: Option<i64>,
    pub body: StoredBody,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    /// Unix milliseconds.
    pub initiated_ms: i64,
    pub headers: UploadHeaders,
}

/// What `CreateMultipartUpload` fixed for the object to be.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UploadHeaders {
    #[serde(flatten)]
    pub object: ObjectHeaders,
    pub checksum_algorithm: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PartRecord {
    pub part_number: i32,
    pub size: i64,
    pub etag: String,
    /// Unix milliseconds.
    pub last_modified_ms: i64,
    pub checksums: Checksums,
    pub blob: String,
}
