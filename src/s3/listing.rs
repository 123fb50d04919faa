//! Listings: ListObjects (v1), ListObjectsV2 and ListObjectVersions, with prefixes,
//! delimiters, markers, continuation tokens, `max-keys`, and `encoding-type=url` (boto3 always
//! asks for it and decodes with plus-as-space, so a `+` in a key must come back as `%2B`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3s::dto::{
    CommonPrefix, DeleteMarkerEntry, ListObjectVersionsInput, ListObjectVersionsOutput, ListObjectsInput,
    ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output, Object, ObjectStorageClass,
    ObjectVersion as VersionEntry, ObjectVersionStorageClass, Owner,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::model::ObjectVersion;
use super::objects::{etag, timestamp_ms};
use super::store;

const DEFAULT_MAX_KEYS: i32 = 1000;

/// One element of a listing: an object (or version) or a common prefix.
enum Entry {
    Item(Box<ObjectVersion>),
    Prefix(String),
}

/// What a listing page holds.
struct Page {
    entries: Vec<Entry>,
    truncated: bool,
}

fn max_keys(asked: Option<i32>) -> S3Result<usize> {
    match asked {
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys must be non-negative")),
        Some(n) => Ok(usize::try_from(n.min(DEFAULT_MAX_KEYS)).unwrap_or(0)),
        None => Ok(1000),
    }
}

/// The common prefix `key` rolls up into, if a delimiter applies.
fn common_prefix<'a>(key: &'a str, prefix: &str, delimiter: Option<&str>) -> Option<&'a str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.get(prefix.len()..)?;
    rest.find(delimiter)
        .map(|at| &key[..prefix.len() + at + delimiter.len()])
}

/// Percent-encodes as S3 does for `encoding-type=url`: everything but unreserved characters
/// and `/`.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn encoder(encoding_type: Option<&s3s::dto::EncodingType>) -> S3Result<fn(&str) -> String> {
    match encoding_type.map(s3s::dto::EncodingType::as_str) {
        None => Ok(str::to_owned),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(url_encode),
        Some(other) => Err(s3_error!(
            InvalidArgument,
            "Invalid Encoding Method specified in Request: {other}"
        )),
    }
}

fn owner() -> Owner {
    super::acl::owner()
}

impl Store {
    /// Current objects of a bucket after `after` (exclusive), under `prefix`, rolled up by
    /// `delimiter`; at most `limit` entries.
    async fn list_latest(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
        delimiter: Option<&str>,
        limit: usize,
    ) -> S3Result<Page> {
        if limit == 0 {
            // S3 answers max-keys=0 with an empty, untruncated page.
            return Ok(Page {
                entries: Vec::new(),
                truncated: false,
            });
        }
        let (bucket, prefix, after, delimiter) = (
            bucket.to_owned(),
            prefix.to_owned(),
            after.to_owned(),
            delimiter.map(str::to_owned),
        );
        let page = self
            .db
            .read(move |conn| {
                let mut page = Page {
                    entries: Vec::new(),
                    truncated: false,
                };
                let from = if after.as_str() > prefix.as_str() {
                    after.clone()
                } else {
                    prefix.clone()
                };
                let mut last_prefix: Option<String> = None;
                store::scan_latest(conn, &bucket, &from, |version| {
                    if !version.key.starts_with(&prefix) {
                        return version.key.as_str() < prefix.as_str();
                    }
                    if version.key.as_str() <= after.as_str() {
                        return true;
                    }
                    let entry = match common_prefix(&version.key, &prefix, delimiter.as_deref()) {
                        // Resuming after a common prefix: its keys were already rolled up.
                        Some(cp) if cp == after || last_prefix.as_deref() == Some(cp) => return true,
                        Some(cp) => {
                            last_prefix = Some(cp.to_owned());
                            Entry::Prefix(cp.to_owned())
                        }
                        None => Entry::Item(Box::new(version)),
                    };
                    if page.entries.len() == limit {
                        page.truncated = true;
                        return false;
                    }
                    page.entries.push(entry);
                    true
                })?;
                Ok(page)
            })
            .await?;
        Ok(page)
    }

    pub async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let encode = encoder(input.encoding_type.as_ref())?;
        let limit = max_keys(input.max_keys)?;
        let token_key = match &input.continuation_token {
            Some(token) => Some(
                URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        s3_error!(InvalidArgument, "The continuation token provided is incorrect")
                    })?,
            ),
            None => None,
        };
        let after = token_key
            .or_else(|| input.start_after.clone())
            .unwrap_or_default();
        let prefix = input.prefix.clone().unwrap_or_default();
        let page = self
            .list_latest(&input.bucket, &prefix, &after, input.delimiter.as_deref(), limit)
            .await?;
        let last = page.entries.last().map(|e| match e {
            Entry::Item(v) => v.key.clone(),
            Entry::Prefix(p) => p.clone(),
        });
        let (contents, prefixes) = split(page.entries, encode, input.fetch_owner == Some(true));
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket.clone()),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().filter(|d| !d.is_empty()).map(encode),
            max_keys: Some(i32::try_from(limit).unwrap_or(DEFAULT_MAX_KEYS)),
            key_count: Some(i32::try_from(contents.len() + prefixes.len()).unwrap_or(0)),
            is_truncated: Some(page.truncated),
            continuation_token: input.continuation_token.clone(),
            next_continuation_token: page
                .truncated
                .then(|| last.map(|k| URL_SAFE_NO_PAD.encode(k)))
                .flatten(),
            start_after: input.start_after.as_deref().map(encode),
            encoding_type: input.encoding_type.clone(),
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    pub async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let encode = encoder(input.encoding_type.as_ref())?;
        let limit = max_keys(input.max_keys)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let marker = input.marker.clone().unwrap_or_default();
        let page = self
            .list_latest(&input.bucket, &prefix, &marker, input.delimiter.as_deref(), limit)
            .await?;
        let last = page.entries.last().map(|e| match e {
            Entry::Item(v) => v.key.clone(),
            Entry::Prefix(p) => p.clone(),
        });
        let (contents, prefixes) = split(page.entries, encode, true);
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket.clone()),
            // Not encoded in v1: botocore decodes the top-level Prefix only for v2 and versions,
            // which tells what S3 does.
            prefix: Some(prefix.clone()),
            marker: Some(encode(&marker)),
            delimiter: input.delimiter.as_deref().filter(|d| !d.is_empty()).map(encode),
            max_keys: Some(i32::try_from(limit).unwrap_or(DEFAULT_MAX_KEYS)),
            is_truncated: Some(page.truncated),
            next_marker: page.truncated.then(|| last.as_deref().map(encode)).flatten(),
            encoding_type: input.encoding_type.clone(),
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    pub async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let encode = encoder(input.encoding_type.as_ref())?;
        let limit = max_keys(input.max_keys)?;
        if input.version_id_marker.is_some() && input.key_marker.is_none() {
            return Err(s3_error!(
                InvalidArgument,
                "A version-id marker cannot be specified without a key marker."
            ));
        }
        let (bucket, prefix) = (input.bucket.clone(), input.prefix.clone().unwrap_or_default());
        let (key_marker, version_marker) = (
            input.key_marker.clone().unwrap_or_default(),
            input.version_id_marker.clone(),
        );
        let delimiter = input.delimiter.clone();
        let page = {
            let prefix = prefix.clone();
            self.db
                .read(move |conn| {
                    let mut page = Page {
                        entries: Vec::new(),
                        truncated: false,
                    };
                    let from = if key_marker > prefix {
                        key_marker.clone()
                    } else {
                        prefix.clone()
                    };
                    // Within the marker key: skip its versions up to and including the marker
                    // version (all of them when no version marker is given).
                    let mut skipping_marker_key = !key_marker.is_empty();
                    let mut last_prefix: Option<String> = None;
                    store::scan_versions(conn, &bucket, &from, |version| {
                        if !version.key.starts_with(&prefix) {
                            return version.key.as_str() < prefix.as_str();
                        }
                        if version.key == key_marker && skipping_marker_key {
                            if version_marker.as_deref() == Some(version.version_id.as_str()) {
                                skipping_marker_key = false;
                            }
                            return true;
                        }
                        if version.key.as_str() < key_marker.as_str() {
                            return true;
                        }
                        let entry = match common_prefix(&version.key, &prefix, delimiter.as_deref()) {
                            Some(cp) if cp == key_marker || last_prefix.as_deref() == Some(cp) => {
                                return true;
                            }
                            Some(cp) => {
                                last_prefix = Some(cp.to_owned());
                                Entry::Prefix(cp.to_owned())
                            }
                            None => Entry::Item(Box::new(version)),
                        };
                        if page.entries.len() == limit {
                            page.truncated = true;
                            return false;
                        }
                        page.entries.push(entry);
                        true
                    })?;
                    Ok(page)
                })
                .await?
        };
        let (next_key, next_version) = match page.entries.last() {
            Some(Entry::Item(v)) if page.truncated => (Some(encode(&v.key)), Some(v.version_id.clone())),
            Some(Entry::Prefix(p)) if page.truncated => (Some(encode(p)), None),
            _ => (None, None),
        };
        let (mut versions, mut markers, mut prefixes) = (Vec::new(), Vec::new(), Vec::new());
        for entry in page.entries {
            match entry {
                Entry::Prefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(encode(&p)),
                }),
                Entry::Item(v) if v.is_delete_marker => markers.push(DeleteMarkerEntry {
                    is_latest: Some(v.is_latest),
                    key: Some(encode(&v.key)),
                    last_modified: Some(timestamp_ms(v.last_modified_ms)),
                    owner: Some(owner()),
                    version_id: Some(v.version_id.clone()),
                }),
                Entry::Item(v) => versions.push(VersionEntry {
                    e_tag: Some(etag(&v.etag)),
                    is_latest: Some(v.is_latest),
                    key: Some(encode(&v.key)),
                    last_modified: Some(timestamp_ms(v.last_modified_ms)),
                    owner: Some(owner()),
                    size: Some(v.size),
                    storage_class: Some(ObjectVersionStorageClass::from_static(
                        ObjectVersionStorageClass::STANDARD,
                    )),
                    version_id: Some(v.version_id),
                    ..Default::default()
                }),
            }
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().filter(|d| !d.is_empty()).map(encode),
            key_marker: Some(encode(input.key_marker.as_deref().unwrap_or(""))),
            version_id_marker: input.version_id_marker.clone(),
            max_keys: Some(i32::try_from(limit).unwrap_or(DEFAULT_MAX_KEYS)),
            is_truncated: Some(page.truncated),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            encoding_type: input.encoding_type.clone(),
            versions: Some(versions),
            delete_markers: Some(markers),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }
}

fn split(
    entries: Vec<Entry>,
    encode: fn(&str) -> String,
    with_owner: bool,
) -> (Vec<Object>, Vec<CommonPrefix>) {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for entry in entries {
        match entry {
            Entry::Item(v) => contents.push(Object {
                e_tag: Some(etag(&v.etag)),
                key: Some(encode(&v.key)),
                last_modified: Some(timestamp_ms(v.last_modified_ms)),
                owner: with_owner.then(owner),
                size: Some(v.size),
                storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
                ..Default::default()
            }),
            Entry::Prefix(p) => prefixes.push(CommonPrefix {
                prefix: Some(encode(&p)),
            }),
        }
    }
    (contents, prefixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_slashes_and_encodes_plus_and_spaces() {
        assert_eq!(url_encode("a b+c/d é"), "a%20b%2Bc/d%20%C3%A9");
    }

    #[test]
    fn common_prefix_rolls_up_after_the_prefix() {
        assert_eq!(
            common_prefix("photos/2026/a.jpg", "photos/", Some("/")),
            Some("photos/2026/")
        );
        assert_eq!(common_prefix("photos/a.jpg", "photos/", Some("/")), None);
        assert_eq!(common_prefix("a/b", "", None), None);
        assert_eq!(common_prefix("a/b", "", Some("")), None);
    }
}
