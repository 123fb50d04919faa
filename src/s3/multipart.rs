//! Multipart uploads: create, upload part (in any order), upload part copy, complete (parts
//! concatenated into one blob; ETag = MD5 of the parts' MD5s + `-N`), abort, list parts,
//! list uploads.

use md5::{Digest as _, Md5};
use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CopyPartResult, CopySource, CreateMultipartUploadInput,
    CreateMultipartUploadOutput, ListMultipartUploadsInput, ListMultipartUploadsOutput, ListPartsInput,
    ListPartsOutput, MultipartUpload, Part, StorageClass, UploadPartCopyInput, UploadPartCopyOutput,
    UploadPartInput, UploadPartOutput,
};
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::blobs::Opened;
use super::checksums::set_checksums;
use super::conditions::{self, Conditions};
use super::errors::io_error;
use super::listing::url_encode;
use super::model::{NewVersion, PartRecord, StoredBody, Upload, UploadHeaders};
use super::objects::{check_key, etag, hex, take_headers, timestamp_ms, written_version};
use super::store;

/// S3's minimum size of every part but the last.
const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;

fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ))
    }
}

fn no_such_upload() -> s3s::S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

impl Store {
    /// The upload `upload_id` of `bucket`/`key`, or `NoSuchUpload`.
    async fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<Upload> {
        let id = upload_id.to_owned();
        self.db
            .read(move |conn| store::find_upload(conn, &id))
            .await?
            .filter(|u| u.bucket == bucket && u.key == key)
            .ok_or_else(no_such_upload)
    }

    pub async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = &mut req.input;
        check_key(&input.key)?;
        let bucket = self.bucket(&input.bucket)?;
        let upload = Upload {
            upload_id: uuid::Uuid::new_v4().simple().to_string(),
            bucket: bucket.name.clone(),
            key: input.key.clone(),
            initiated_ms: self.clock.now_millis(),
            headers: UploadHeaders {
                object: take_headers!(input),
                checksum_algorithm: input.checksum_algorithm.as_ref().map(|a| a.as_str().to_owned()),
            },
        };
        let output = CreateMultipartUploadOutput {
            bucket: Some(upload.bucket.clone()),
            key: Some(upload.key.clone()),
            upload_id: Some(upload.upload_id.clone()),
            checksum_algorithm: input.checksum_algorithm.clone(),
            ..Default::default()
        };
        self.db.write(move |tx| store::create_upload(tx, &upload)).await?;
        Ok(S3Response::new(output))
    }

    pub async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let input = &mut req.input;
        check_part_number(input.part_number)?;
        self.bucket(&input.bucket)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let algorithm = input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .or(upload.headers.checksum_algorithm.clone());
        let body = input.body.take();
        let (written, checksums) = self
            .receive(
                &req.headers,
                req.trailing_headers.as_ref(),
                body,
                input.content_length,
                algorithm.as_deref(),
                None,
            )
            .await?;
        let part = PartRecord {
            part_number: input.part_number,
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            etag: hex(&written.md5),
            last_modified_ms: self.clock.now_millis(),
            checksums,
            blob: written
                .body
                .into_file()
                .map_err(|e| io_error("storing a part", e))?,
        };
        let mut output = UploadPartOutput {
            e_tag: Some(etag(&part.etag)),
            ..Default::default()
        };
        set_checksums!(output, &part.checksums);
        self.store_part(upload.upload_id, part).await?;
        Ok(S3Response::new(output))
    }

    async fn store_part(&self, upload_id: String, part: PartRecord) -> S3Result<()> {
        let blob = part.blob.clone();
        match self
            .db
            .write(move |tx| store::put_part(tx, &upload_id, &part))
            .await
        {
            Ok(replaced) => {
                self.blobs.remove(replaced.into_iter().collect()).await;
                Ok(())
            }
            Err(error) => {
                self.blobs.remove(vec![blob]).await;
                Err(error.into())
            }
        }
    }

    pub async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = &req.input;
        check_part_number(input.part_number)?;
        self.bucket(&input.bucket)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let CopySource::Bucket {
            bucket,
            key,
            version_id,
        } = &input.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "Access point copy sources are not supported"
            ));
        };
        let source_bucket = self.bucket(bucket)?;
        let (source, source_body) = self
            .open_readable(&source_bucket.name, key, version_id.as_deref(), 0)
            .await?;
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
        let size = u64::try_from(source.size).unwrap_or(0);
        let range = match &input.copy_source_range {
            None => 0..size,
            Some(text) => parse_copy_range(text, size)?,
        };
        let written = match source_body {
            Opened::File(file) => {
                self.blobs
                    .copy_range(tokio::fs::File::from_std(file), range)
                    .await?
            }
            Opened::InMemory(bytes) => {
                let start = usize::try_from(range.start)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = usize::try_from(range.end).unwrap_or(usize::MAX).min(bytes.len());
                let chunk = Ok::<_, std::io::Error>(bytes.slice(start..end.max(start)));
                self.blobs
                    .write(
                        futures_util::stream::iter([chunk]),
                        Default::default(),
                        u64::MAX,
                        None,
                    )
                    .await?
            }
            Opened::Empty => {
                return Err(io_error(
                    "copying a part",
                    std::io::Error::other("a source without a body"),
                ));
            }
        };
        let part = PartRecord {
            part_number: input.part_number,
            size: i64::try_from(written.size).unwrap_or(i64::MAX),
            etag: hex(&written.md5),
            last_modified_ms: self.clock.now_millis(),
            checksums: Default::default(),
            blob: written
                .body
                .into_file()
                .map_err(|e| io_error("copying a part", e))?,
        };
        let output = UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&part.etag)),
                last_modified: Some(timestamp_ms(part.last_modified_ms)),
                ..Default::default()
            }),
            copy_source_version_id: (source.version_id != "null").then(|| source.version_id.clone()),
            ..Default::default()
        };
        self.store_part(upload.upload_id, part).await?;
        Ok(S3Response::new(output))
    }

    pub async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = &req.input;
        let bucket = self.bucket(&input.bucket)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let asked = input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.as_ref())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| s3_error!(MalformedXML, "You must specify at least one part"))?;
        let id = upload.upload_id.clone();
        let stored = self.db.read(move |conn| store::list_parts(conn, &id)).await?;
        let mut chosen: Vec<&PartRecord> = Vec::with_capacity(asked.len());
        for (index, part) in asked.iter().enumerate() {
            let number = part
                .part_number
                .ok_or_else(|| s3_error!(MalformedXML, "A part has no PartNumber"))?;
            if index > 0 && asked[index - 1].part_number >= Some(number) {
                return Err(s3_error!(
                    InvalidPartOrder,
                    "The list of parts was not in ascending order."
                ));
            }
            let found = stored
                .iter()
                .find(|p| p.part_number == number)
                .filter(|p| {
                    part.e_tag
                        .as_ref()
                        .is_none_or(|e| e.value().trim_matches('"') == p.etag)
                })
                .ok_or_else(|| {
                    s3_error!(
                        InvalidPart,
                        "One or more of the specified parts could not be found: part {number}"
                    )
                })?;
            chosen.push(found);
        }
        if let Some(small) = chosen[..chosen.len() - 1].iter().find(|p| p.size < MIN_PART_SIZE) {
            return Err(s3_error!(
                EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size (part {}).",
                small.part_number
            ));
        }
        let mut md5s = Md5::new();
        for part in &chosen {
            let digest = (0..part.etag.len())
                .step_by(2)
                .filter_map(|i| u8::from_str_radix(part.etag.get(i..i + 2)?, 16).ok())
                .collect::<Vec<u8>>();
            md5s.update(&digest);
        }
        let composite = format!("{}-{}", hex(&md5s.finalize()), chosen.len());
        let (blob, size) = self
            .blobs
            .concat(chosen.iter().map(|p| p.blob.clone()).collect())
            .await
            .map_err(|e| io_error("assembling a multipart upload", e))?;
        let new = NewVersion {
            size: i64::try_from(size).unwrap_or(i64::MAX),
            etag: composite.clone(),
            headers: upload.headers.object.clone(),
            checksums: Default::default(),
            parts_count: Some(i64::try_from(chosen.len()).unwrap_or(0)),
            body: StoredBody::File(blob),
        };
        let version_id = self.commit_version(&bucket, &upload.key, new).await?;
        let id = upload.upload_id.clone();
        let leftovers = self.db.write(move |tx| store::delete_upload(tx, &id)).await?;
        self.blobs.remove(leftovers).await;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(bucket.name.clone()),
            key: Some(upload.key.clone()),
            e_tag: Some(etag(&composite)),
            location: Some(format!("/{}/{}", bucket.name, url_encode(&upload.key))),
            version_id: written_version(version_id),
            ..Default::default()
        }))
    }

    pub async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let blobs = self
            .db
            .write(move |tx| store::delete_upload(tx, &upload.upload_id))
            .await?;
        self.blobs.remove(blobs).await;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let upload = self.upload(&input.bucket, &input.key, &input.upload_id).await?;
        let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let marker = input.part_number_marker.unwrap_or(0);
        let id = upload.upload_id.clone();
        let parts = self.db.read(move |conn| store::list_parts(conn, &id)).await?;
        let mut after: Vec<PartRecord> = parts.into_iter().filter(|p| p.part_number > marker).collect();
        let truncated = after.len() > max;
        after.truncate(max);
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(upload.bucket),
            key: Some(upload.key),
            upload_id: Some(upload.upload_id),
            max_parts: Some(i32::try_from(max).unwrap_or(1000)),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: after.last().map(|p| p.part_number),
            is_truncated: Some(truncated),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            parts: Some(
                after
                    .into_iter()
                    .map(|p| {
                        let mut part = Part {
                            e_tag: Some(etag(&p.etag)),
                            last_modified: Some(timestamp_ms(p.last_modified_ms)),
                            part_number: Some(p.part_number),
                            size: Some(p.size),
                            ..Default::default()
                        };
                        set_checksums!(part, &p.checksums);
                        part
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    pub async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = &req.input;
        self.bucket(&input.bucket)?;
        let name = input.bucket.clone();
        let all = self.db.read(move |conn| store::list_uploads(conn, &name)).await?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone();
        let max = usize::try_from(input.max_uploads.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let mut matching: Vec<Upload> = all
            .into_iter()
            .filter(|u| u.key.starts_with(&prefix))
            .filter(|u| match &id_marker {
                _ if key_marker.is_empty() => true,
                Some(id) => u.key > key_marker || (u.key == key_marker && u.upload_id.as_str() > id.as_str()),
                None => u.key > key_marker,
            })
            .collect();
        let truncated = matching.len() > max;
        matching.truncate(max);
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket.clone()),
            prefix: input.prefix.clone(),
            key_marker: input.key_marker.clone(),
            upload_id_marker: input.upload_id_marker.clone(),
            max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
            is_truncated: Some(truncated),
            next_key_marker: matching.last().map(|u| u.key.clone()),
            next_upload_id_marker: matching.last().map(|u| u.upload_id.clone()),
            uploads: Some(
                matching
                    .into_iter()
                    .map(|u| MultipartUpload {
                        key: Some(u.key),
                        upload_id: Some(u.upload_id),
                        initiated: Some(timestamp_ms(u.initiated_ms)),
                        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }
}

/// `bytes=first-last` of UploadPartCopy, within the source's size.
fn parse_copy_range(text: &str, size: u64) -> S3Result<std::ops::Range<u64>> {
    let invalid = || {
        s3_error!(
            InvalidArgument,
            "Range specified is not valid for source object of size: {size}"
        )
    };
    let (first, last) = text
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(invalid)?;
    let (first, last): (u64, u64) = (
        first.parse().map_err(|_| invalid())?,
        last.parse().map_err(|_| invalid())?,
    );
    if first > last || last >= size {
        return Err(invalid());
    }
    Ok(first..last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_ranges_must_lie_inside_the_source() {
        assert_eq!(parse_copy_range("bytes=0-9", 10).unwrap(), 0..10);
        assert!(parse_copy_range("bytes=0-10", 10).is_err());
        assert!(parse_copy_range("bytes=5-1", 10).is_err());
        assert!(parse_copy_range("0-1", 10).is_err());
    }
}
