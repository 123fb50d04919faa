//! Object operations: PutObject, GetObject, HeadObject, CopyObject, DeleteObject,
//! DeleteObjects, with S3's versioning semantics (spec/s3.md §A.7).

use http::{HeaderMap, HeaderValue};
use s3s::dto::{
    CopyObjectInput, CopyObjectOutput, CopyObjectResult, CopySource, DeleteObjectInput, DeleteObjectOutput,
    DeleteObjectsInput, DeleteObjectsOutput, DeletedObject, ETag, Error as DeleteError, GetObjectInput,
    GetObjectOutput, HeadObjectInput, HeadObjectOutput, PutObjectInput, PutObjectOutput, StreamingBlob,
};
use s3s::{S3Error, S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::blobs::Opened;
use super::checksums::{Wanted, set_checksums};
use super::conditions::{self, Conditions};
use super::errors::{io_error, no_such_bucket, no_such_key};
use super::model::{Bucket, NewVersion, ObjectHeaders, ObjectVersion, StoredBody, Versioning};
use super::store;

/// The object headers a PutObject, CopyObject (REPLACE) or CreateMultipartUpload input sets,
/// taken out of it; an absent or empty Content-Type becomes the default.
macro_rules! take_headers {
    ($input:expr) => {
        $crate::s3::model::ObjectHeaders {
            content_type: $input
                .content_type
                .take()
                .filter(|t| !t.is_empty())
                .or(Some($crate::s3::objects::DEFAULT_CONTENT_TYPE.into())),
            content_disposition: $input.content_disposition.take(),
            content_encoding: $input.content_encoding.take(),
            content_language: $input.content_language.take(),
            cache_control: $input.cache_control.take(),
            expires: $input.expires.as_ref().map($crate::s3::conditions::unix),
            metadata: $input.metadata.take().unwrap_or_default().into_iter().collect(),
        }
    };
}
pub(crate) use take_headers;

/// Copies stored headers into the same-named fields of a GET or HEAD output.
macro_rules! fill_headers {
    ($output:expr, $headers:expr) => {{
        let headers: &ObjectHeaders = $headers;
        $output.content_type = Some(
            headers
                .content_type
                .clone()
                .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.into()),
        );
        $output
            .content_disposition
            .clone_from(&headers.content_disposition);
        $output.content_encoding.clone_from(&headers.content_encoding);
        $output.content_language.clone_from(&headers.content_language);
        $output.cache_control.clone_from(&headers.cache_control);
        $output.expires = headers.expires.map(timestamp);
        $output.metadata =
            (!headers.metadata.is_empty()).then(|| headers.metadata.clone().into_iter().collect());
    }};
}

/// S3's limit for a single PUT.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// S3's limit on key length, in bytes of UTF-8.
const MAX_KEY_BYTES: usize = 1024;
/// What HEAD and GET answer for an object stored without a Content-Type (MinIO's choice;
/// Drive indexes `ContentType` and fails without one).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

pub fn timestamp(unix: i64) -> s3s::dto::Timestamp {
    s3s::dto::Timestamp::from(
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    )
}

/// A time in Unix milliseconds, as listings show it (`2026-12-01T22:25:56.123Z`).
pub fn timestamp_ms(unix_ms: i64) -> s3s::dto::Timestamp {
    s3s::dto::Timestamp::from(
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
    )
}

pub fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

pub fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() {
        return Err(s3_error!(InvalidArgument, "The object key must not be empty."));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(s3_error!(
            KeyTooLongError,
            "Your key is too long (over {MAX_KEY_BYTES} bytes)."
        ));
    }
    if key.contains('\0') {
        return Err(s3_error!(
            InvalidArgument,
            "Object keys must not contain NUL characters."
        ));
    }
    Ok(())
}

/// The version id a response shows: none at all for a bucket that never had versioning.
fn shown_version(bucket: &Bucket, version: &str) -> Option<String> {
    (bucket.versioning != Versioning::Unversioned || version != "null").then(|| version.to_owned())
}

/// The version id a write reports: none for a `null` version (unversioned or suspended).
pub fn written_version(version: String) -> Option<String> {
    (version != "null").then_some(version)
}

fn delete_marker_error(mut error: S3Error, version_id: &str) -> S3Error {
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-delete-marker", HeaderValue::from_static("true"));
    if let Ok(value) = HeaderValue::from_str(version_id) {
        headers.insert("x-amz-version-id", value);
    }
    error.set_headers(headers);
    error
}

/// The version a GET or HEAD may read out of the row `found` for `version_id` (the latest
/// when None): delete markers are 404, or 405 when named, with `x-amz-delete-marker` as S3
/// sends it.
fn readable_version(found: Option<ObjectVersion>, version_id: Option<&str>) -> S3Result<ObjectVersion> {
    match (found, version_id) {
        (None, Some(_)) => Err(s3_error!(NoSuchVersion, "The specified version does not exist.")),
        (None, None) => Err(no_such_key()),
        (Some(marker), Some(_)) if marker.is_delete_marker => Err(delete_marker_error(
            s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            ),
            &marker.version_id,
        )),
        (Some(marker), None) if marker.is_delete_marker => {
            Err(delete_marker_error(no_such_key(), &marker.version_id))
        }
        (Some(version), _) => Ok(version),
    }
}

impl Store {
    pub(super) fn bucket(&self, name: &str) -> S3Result<Bucket> {
        self.find_bucket(name).ok_or_else(|| no_such_bucket(name))
    }

    /// The version a GET or HEAD reads: the one named, or the latest; delete markers are 404
    /// (or 405 when named), with `x-amz-delete-marker` as S3 sends it.
    pub async fn readable(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> S3Result<ObjectVersion> {
        let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.map(str::to_owned));
        let found = self
            .db
            .read(move |conn| store::find_or_latest(conn, &b, &k, v.as_deref()))
            .await?;
        readable_version(found, version_id)
    }

    /// The version `readable` finds with its body opened, looked up and opened in one
    /// blocking task: kept in its row, read whole from a file of at most `in_memory_up_to`
    /// bytes (a GET's small objects), or an open file.
    ///
    /// An overwrite that commits between the lookup and the open removes the body it
    /// superseded; the row found is then no longer current, so look again: S3 serves the old
    /// or the new object, never an error. Once open, the body stays readable.
    pub async fn open_readable(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        in_memory_up_to: u64,
    ) -> S3Result<(ObjectVersion, Opened)> {
        for _ in 0..super::blobs::REOPEN_ATTEMPTS {
            let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.map(str::to_owned));
            let opener = self.blobs.opener();
            let (found, opened) = self
                .db
                .read(move |conn| {
                    let found = store::find_or_latest(conn, &b, &k, v.as_deref())?;
                    let opened = match found.as_ref().filter(|version| !version.is_delete_marker) {
                        Some(version) => opener.open(conn, version, in_memory_up_to)?,
                        None => None,
                    };
                    Ok((found, opened))
                })
                .await?;
            let version = readable_version(found, version_id)?;
            if let Some(body) = opened {
                return Ok((version, body));
            }
        }
        Err(io_error("reading an object", super::blobs::gone_again()))
    }

    pub async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = &mut req.input;
        check_key(&input.key)?;
        let bucket = self.bucket(&input.bucket)?;
        super::acl::check_canned(input.acl.as_ref().map(|a| a.as_str()))?;
        if input.if_none_match.is_some() || input.if_match.is_some() {
            match self.readable(&bucket.name, &input.key, None).await.ok() {
                None if input.if_match.is_some() => return Err(no_such_key()),
                None => {}
                Some(current) => conditions::check_write(
                    input.if_match.as_ref(),
                    input.if_none_match.as_ref(),
                    &current.etag,
                )?,
            }
        }
        let headers = take_headers!(input);
        let body = input.body.take();
        let algorithm = input.checksum_algorithm.as_ref().map(|a| a.as_str().to_owned());
        let (written, checksums) = self
            .receive(
                &req.headers,
                req.trailing_headers.as_ref(),
                body,
                input.content_length,
                algorithm.as_deref(),
                Some(super::blobs::INLINE_MAX),
            )
            .await?;
        let new = NewVersion {
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            etag: hex(&written.md5),
            headers,
            checksums,
            parts_count: None,
            body: written.body,
        };
        let version_id = self.commit_version(&bucket, &input.key, new.clone()).await?;
        let mut output = PutObjectOutput {
            e_tag: Some(etag(&new.etag)),
            version_id: written_version(version_id),
            ..Default::default()
        };
        set_checksums!(output, &new.checksums);
        Ok(S3Response::new(output))
    }

    /// Receives a request body into a new blob (kept in memory when at most `inline_up_to`
    /// bytes): streamed and hashed, checked against its
    /// Content-Length, `Content-MD5`, checksum headers and aws-chunked trailers. On any
    /// failure the blob is removed. Returns the blob and the checksums to store.
    pub(super) async fn receive(
        &self,
        headers: &HeaderMap,
        trailers: Option<&s3s::TrailingHeaders>,
        body: Option<StreamingBlob>,
        content_length: Option<i64>,
        algorithm: Option<&str>,
        inline_up_to: Option<usize>,
    ) -> S3Result<(super::blobs::Written, super::model::Checksums)> {
        let mut wanted = Wanted::from_headers(headers, algorithm);
        let body = body.unwrap_or_else(|| StreamingBlob::from(s3s::Body::empty()));
        let written = self
            .blobs
            .write(body, wanted.hasher(), MAX_PUT_SIZE, inline_up_to)
            .await?;
        if content_length.is_some_and(|length| u64::try_from(length).ok() != Some(written.size)) {
            self.blobs.discard(written.body).await;
            return Err(s3_error!(
                IncompleteBody,
                "The request body was shorter than its Content-Length."
            ));
        }
        wanted.add_trailers(trailers.and_then(s3s::TrailingHeaders::take));
        match wanted.verify(&written.md5, &written.checksums) {
            Ok(checksums) => Ok((written, checksums)),
            Err(error) => {
                self.blobs.discard(written.body).await;
                Err(error)
            }
        }
    }

    /// Stores a new latest version whose body is already in place (or in `new`); deletes
    /// replaced blobs. On failure the new blob is deleted too.
    pub async fn commit_version(&self, bucket: &Bucket, key: &str, new: NewVersion) -> S3Result<String> {
        let (name, key_owned, versioning, now) = (
            bucket.name.clone(),
            key.to_owned(),
            bucket.versioning,
            self.clock.now_millis(),
        );
        let body = new.body.clone();
        let result = self
            .db
            .write(move |tx| store::put_version(tx, &name, &key_owned, versioning, &new, now))
            .await;
        match result {
            Ok((version_id, replaced)) => {
                self.blobs.remove(replaced).await;
                Ok(version_id)
            }
            Err(error) => {
                self.blobs.discard(body).await;
                Err(error.into())
            }
        }
    }

    pub async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let input = &req.input;
        let bucket = self.bucket(&input.bucket)?;
        let (version, body) = self
            .open_readable(
                &bucket.name,
                &input.key,
                input.version_id.as_deref(),
                super::blobs::SMALL_BODY as u64,
            )
            .await?;
        conditions::check_read(
            &Conditions::new(
                &input.if_match,
                &input.if_none_match,
                &input.if_modified_since,
                &input.if_unmodified_since,
            ),
            &version.etag,
            version.last_modified(),
        )?;
        let size = u64::try_from(version.size).unwrap_or(0);
        let range = match (&input.range, input.part_number) {
            (Some(range), _) => Some(range.check(size).map_err(|_| invalid_range(size))?),
            (None, Some(1)) | (None, None) => None,
            (None, Some(_)) => return Err(invalid_part_number()),
        };
        let body = StreamingBlob::wrap(
            body.stream(range.clone())
                .await
                .map_err(|e| io_error("reading an object", e))?,
        );
        let length = range.as_ref().map_or(size, |r| r.end - r.start);
        let mut output = GetObjectOutput {
            body: Some(body),
            content_length: Some(i64::try_from(length).unwrap_or(i64::MAX)),
            content_range: range
                .as_ref()
                .map(|r| format!("bytes {}-{}/{size}", r.start, r.end.saturating_sub(1))),
            accept_ranges: Some("bytes".into()),
            e_tag: Some(etag(&version.etag)),
            last_modified: Some(timestamp_ms(version.last_modified_ms)),
            version_id: shown_version(&bucket, &version.version_id),
            parts_count: version.parts_count.and_then(|n| i32::try_from(n).ok()),
            ..Default::default()
        };
        fill_headers!(output, &version.headers);
        if range.is_none()
            && input
                .checksum_mode
                .as_ref()
                .is_some_and(|m| m.as_str() == "ENABLED")
        {
            set_checksums!(output, &version.checksums);
        }
        Ok(S3Response::new(output))
    }

    pub async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = &req.input;
        let bucket = self.bucket(&input.bucket)?;
        let version = self
            .readable(&bucket.name, &input.key, input.version_id.as_deref())
            .await?;
        conditions::check_read(
            &Conditions::new(
                &input.if_match,
                &input.if_none_match,
                &input.if_modified_since,
                &input.if_unmodified_since,
            ),
            &version.etag,
            version.last_modified(),
        )?;
        let size = u64::try_from(version.size).unwrap_or(0);
        let range = match &input.range {
            Some(range) => Some(range.check(size).map_err(|_| invalid_range(size))?),
            None => None,
        };
        let mut output = HeadObjectOutput {
            content_length: Some(
                range
                    .as_ref()
                    .map_or(version.size, |r| i64::try_from(r.end - r.start).unwrap_or(0)),
            ),
            content_range: range
                .as_ref()
                .map(|r| format!("bytes {}-{}/{size}", r.start, r.end.saturating_sub(1))),
            accept_ranges: Some("bytes".into()),
            e_tag: Some(etag(&version.etag)),
            last_modified: Some(timestamp_ms(version.last_modified_ms)),
            version_id: shown_version(&bucket, &version.version_id),
            parts_count: version.parts_count.and_then(|n| i32::try_from(n).ok()),
            ..Default::default()
        };
        fill_headers!(output, &version.headers);
        if input
            .checksum_mode
            .as_ref()
            .is_some_and(|m| m.as_str() == "ENABLED")
        {
            set_checksums!(output, &version.checksums);
        }
        Ok(S3Response::new(output))
    }

    pub async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = &mut req.input;
        check_key(&input.key)?;
        let (source_bucket, source_key, source_version) = match &input.copy_source {
            CopySource::Bucket {
                bucket,
                key,
                version_id,
            } => (
                bucket.to_string(),
                key.to_string(),
                version_id.as_deref().map(str::to_owned),
            ),
            _ => {
                return Err(s3_error!(
                    NotImplemented,
                    "Access point and outpost copy sources are not supported"
                ));
            }
        };
        let bucket = self.bucket(&input.bucket)?;
        let source_b = self.bucket(&source_bucket)?;
        let (source, source_body) = self.open_readable(&source_b.name, &source_key, source_version.as_deref(), 0).await.map_err(|error| {
            if *error.code() == s3s::S3ErrorCode::MethodNotAllowed { s3_error!(InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.") } else { error }
        })?;
        conditions::check_copy_source(
            &Conditions::new(
                &input.copy_source_if_match,
                &input.copy_source_if_none_match,
                &input.copy_source_if_modified_since,
                &input.copy_source_if_unmodified_since,
            ),
            &source.etag,
            source.last_modified(),
        )?;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str().eq_ignore_ascii_case("REPLACE"));
        let onto_itself = source_bucket == input.bucket && source_key == input.key && source.is_latest;
        if onto_itself && !replace && input.storage_class.is_none() {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the \
                 object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        let headers = if replace {
            take_headers!(input)
        } else {
            source.headers.clone()
        };
        let body = match (source.blob.as_deref(), source_body) {
            (Some(name), Opened::File(file)) => self
                .blobs
                .duplicate_open(name, tokio::fs::File::from_std(file))
                .await
                .map(StoredBody::File),
            (_, Opened::InMemory(bytes)) => Ok(StoredBody::Inline(bytes)),
            // Only delete markers have no body, and `readable` never returns one.
            _ => Err(std::io::Error::other("a copy source without a body")),
        }
        .map_err(|e| io_error("copying an object", e))?;
        let new = NewVersion {
            size: source.size,
            etag: source.etag.clone(),
            headers,
            checksums: source.checksums.clone(),
            parts_count: source.parts_count,
            body,
        };
        let version_id = self.commit_version(&bucket, &input.key, new).await?;
        let mut result = CopyObjectResult {
            e_tag: Some(etag(&source.etag)),
            last_modified: Some(timestamp_ms(self.clock.now_millis())),
            ..Default::default()
        };
        set_checksums!(result, &source.checksums);
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(result),
            copy_source_version_id: shown_version(&source_b, &source.version_id),
            version_id: written_version(version_id),
            ..Default::default()
        }))
    }

    /// Deletes a key (a delete marker on a versioning bucket) or one version of it.
    async fn delete_one(
        &self,
        bucket: &Bucket,
        key: &str,
        version_id: Option<&str>,
    ) -> S3Result<DeletedObject> {
        let (name, key_owned, versioning, now) = (
            bucket.name.clone(),
            key.to_owned(),
            bucket.versioning,
            self.clock.now_millis(),
        );
        match version_id {
            Some(version) => {
                let version = version.to_owned();
                let shown = version.clone();
                let removed = self
                    .db
                    .write(move |tx| store::delete_version(tx, &name, &key_owned, &version))
                    .await?;
                let marker = removed.as_ref().is_some_and(|r| r.is_delete_marker);
                if let Some(blob) = removed.and_then(|r| r.blob) {
                    self.blobs.remove(vec![blob]).await;
                }
                Ok(DeletedObject {
                    key: Some(key.to_owned()),
                    version_id: Some(shown),
                    delete_marker: marker.then_some(true),
                    ..Default::default()
                })
            }
            None => {
                let (marker, removed) = self
                    .db
                    .write(move |tx| store::delete_current(tx, &name, &key_owned, versioning, now))
                    .await?;
                self.blobs.remove(removed).await;
                Ok(DeletedObject {
                    key: Some(key.to_owned()),
                    delete_marker: marker.as_ref().map(|_| true),
                    delete_marker_version_id: marker,
                    ..Default::default()
                })
            }
        }
    }

    pub async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = &req.input;
        let bucket = self.bucket(&input.bucket)?;
        let deleted = self
            .delete_one(&bucket, &input.key, input.version_id.as_deref())
            .await?;
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: deleted.delete_marker,
            version_id: deleted.version_id.or(deleted.delete_marker_version_id),
            ..Default::default()
        }))
    }

    pub async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = &req.input;
        let bucket = self.bucket(&input.bucket)?;
        super::checksums::verify_required(&req.headers, req.extensions.get())?;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(
                MalformedXML,
                "A DeleteObjects request may name at most 1000 objects."
            ));
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in &input.delete.objects {
            let outcome = match check_key(&object.key) {
                Ok(()) => {
                    self.delete_one(&bucket, &object.key, object.version_id.as_deref())
                        .await
                }
                Err(error) => Err(error),
            };
            match outcome {
                Ok(done) if !quiet => deleted.push(done),
                Ok(_) => {}
                Err(error) => errors.push(DeleteError {
                    code: Some(error.code().as_str().to_owned()),
                    key: Some(object.key.clone()),
                    message: error.message().map(str::to_owned),
                    version_id: object.version_id.clone(),
                }),
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }
}

/// S3's answer to `?partNumber=N` beyond an object's parts (s3s has no such code).
fn invalid_part_number() -> S3Error {
    let mut error = S3Error::with_message(
        s3s::S3ErrorCode::Custom("InvalidPartNumber".into()),
        "The requested partnumber is not satisfiable",
    );
    error.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
    error
}

fn invalid_range(size: u64) -> S3Error {
    let mut error = s3_error!(InvalidRange, "The requested range is not satisfiable");
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        headers.insert(http::header::CONTENT_RANGE, value);
    }
    error.set_headers(headers);
    error
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
