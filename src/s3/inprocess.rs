//! The store as other services of the emulator use it, in-process and without signatures:
//! Drive's `upload-ended` reads what a client uploaded and corrects its Content-Type there,
//! as upstream does through boto3 (spec/drive-external-api.md §8.8).

use super::Store;
use super::blobs::{Opened, Opener};
use super::model::{NewVersion, ObjectVersion, StoredBody};
use super::store;

impl Store {
    /// The current version of `key`; None when the key or bucket is missing or the current
    /// version is a delete marker.
    pub async fn current(&self, bucket: &str, key: &str) -> crate::Result<Option<ObjectVersion>> {
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let found = self
            .db
            .read(move |conn| store::latest_version(conn, &b, &k))
            .await?;
        Ok(found.filter(|version| !version.is_delete_marker))
    }

    /// The current version of `key` with its body opened (see `Store::open_readable`; files of
    /// at most `in_memory_up_to` bytes read whole).
    pub async fn open_current(
        &self,
        bucket: &str,
        key: &str,
        in_memory_up_to: u64,
    ) -> crate::Result<Option<(ObjectVersion, Opened)>> {
        self.with_current_body(bucket, key, move |conn, opener, version| {
            opener.open(conn, version, in_memory_up_to)
        })
        .await
    }

    /// The current version of `key` (as [`Store::current`]) with at most `max` bytes from
    /// the start of its body.
    pub async fn current_with_prefix(
        &self,
        bucket: &str,
        key: &str,
        max: u64,
    ) -> crate::Result<Option<(ObjectVersion, Vec<u8>)>> {
        self.with_current_body(bucket, key, move |conn, opener, version| {
            opener.read_prefix(conn, version, max)
        })
        .await
    }

    /// The current version of `key` and what `read` makes of its body, looked up and read in
    /// one blocking task. `read` answers None when the body is gone: an overwrite removed it
    /// after the lookup, so look the (newer) row up again.
    async fn with_current_body<T, F>(
        &self,
        bucket: &str,
        key: &str,
        read: F,
    ) -> crate::Result<Option<(ObjectVersion, T)>>
    where
        T: Send + 'static,
        F: Fn(&rusqlite::Connection, &Opener, &ObjectVersion) -> crate::Result<Option<T>>
            + Clone
            + Send
            + 'static,
    {
        for _ in 0..super::blobs::REOPEN_ATTEMPTS {
            let (b, k, opener, read) = (
                bucket.to_owned(),
                key.to_owned(),
                self.blobs.opener(),
                read.clone(),
            );
            let found = self
                .db
                .read(move |conn| {
                    let Some(version) = store::latest_version(conn, &b, &k)?.filter(|v| !v.is_delete_marker)
                    else {
                        return Ok(Some(None));
                    };
                    Ok(read(conn, &opener, &version)?.map(|body| Some((version, body))))
                })
                .await?;
            if let Some(found) = found {
                return Ok(found);
            }
        }
        Err(crate::Error::io("reading a body", super::blobs::gone_again()))
    }

    /// A new body with the same content as `version`'s, for another version: a hard link to
    /// its file, or its bytes when kept in its row. None when it has none (or is gone).
    pub async fn duplicate_body(&self, version: &ObjectVersion) -> crate::Result<Option<StoredBody>> {
        if version.body_inline {
            let id = version.id;
            let bytes = self.db.read(move |conn| store::inline_body(conn, id)).await?;
            return Ok(bytes.map(StoredBody::Inline));
        }
        let Some(name) = &version.blob else {
            return Ok(None);
        };
        let name = self
            .blobs
            .duplicate(name)
            .await
            .map_err(|e| crate::Error::io("duplicating a body", e))?;
        Ok(Some(StoredBody::File(name)))
    }

    /// What a copy of the object onto itself with `MetadataDirective=REPLACE` does: a new
    /// latest version sharing the body, the user metadata and other headers kept, with
    /// `content_type`.
    pub async fn replace_content_type(
        &self,
        bucket: &str,
        version: &ObjectVersion,
        content_type: &str,
    ) -> crate::Result<()> {
        let Some(bucket) = self.find_bucket(bucket) else {
            return Ok(());
        };
        let Some(body) = self.duplicate_body(version).await? else {
            return Ok(());
        };
        let mut headers = version.headers.clone();
        headers.content_type = Some(content_type.to_owned());
        let new = NewVersion {
            size: version.size,
            etag: version.etag.clone(),
            headers,
            checksums: version.checksums.clone(),
            parts_count: version.parts_count,
            body,
        };
        self.commit_version(&bucket, &version.key, new)
            .await
            .map_err(|e| {
                crate::Error::io(
                    "rewriting the Content-Type",
                    std::io::Error::other(format!("{e:?}")),
                )
            })?;
        Ok(())
    }

    /// Deletes `key` as DeleteObject without a version id does (a delete marker when the
    /// bucket keeps versions).
    pub async fn delete_current(&self, bucket: &str, key: &str) -> crate::Result<()> {
        let Some(bucket) = self.find_bucket(bucket) else {
            return Ok(());
        };
        let (name, k, versioning, now) = (
            bucket.name.clone(),
            key.to_owned(),
            bucket.versioning,
            self.clock.now_millis(),
        );
        let (_, removed) = self
            .db
            .write(move |tx| store::delete_current(tx, &name, &k, versioning, now))
            .await?;
        self.blobs.remove(removed).await;
        Ok(())
    }
}

/// Why [`Store::put_stream`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("no bucket {0}")]
    NoSuchBucket(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the body failed: {0}")]
    Body(String),
    #[error(transparent)]
    Internal(#[from] crate::Error),
}

impl Store {
    /// Stores `body` as the new latest version of `key`, as a PutObject would.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> crate::Result<()> {
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(body))]);
        match self.put_stream(bucket, key, stream, content_type, u64::MAX).await {
            Ok(()) => Ok(()),
            Err(PutError::Internal(error)) => Err(error),
            Err(other) => Err(crate::Error::io(
                "storing an object",
                std::io::Error::other(other.to_string()),
            )),
        }
    }

    /// Streams `body` (at most `limit` bytes) into the new latest version of `key`, as a
    /// PutObject would; memory stays flat whatever its size.
    pub async fn put_stream<S, E>(
        &self,
        bucket: &str,
        key: &str,
        body: S,
        content_type: &str,
        limit: u64,
    ) -> Result<(), PutError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let Some(bucket) = self.find_bucket(bucket) else {
            return Err(PutError::NoSuchBucket(bucket.to_owned()));
        };
        let written = self
            .blobs
            .write(body, Default::default(), limit, Some(super::blobs::INLINE_MAX))
            .await
            .map_err(|e| match e {
                super::blobs::WriteError::TooLarge(limit) => PutError::TooLarge(limit),
                super::blobs::WriteError::Body(why) => PutError::Body(why),
                super::blobs::WriteError::Io(e) => crate::Error::io("storing an object", e).into(),
            })?;
        let new = NewVersion {
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            etag: written.md5.iter().map(|b| format!("{b:02x}")).collect(),
            headers: super::model::ObjectHeaders {
                content_type: Some(content_type.to_owned()),
                ..Default::default()
            },
            checksums: Default::default(),
            parts_count: None,
            body: written.body,
        };
        self.commit_version(&bucket, key, new)
            .await
            .map_err(|e| crate::Error::io("storing an object", std::io::Error::other(format!("{e:?}"))))?;
        Ok(())
    }
}
