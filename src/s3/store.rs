//! All of the S3 store's SQL. Knows nothing of HTTP or of s3s: plain values in, model types
//! out. Every function runs inside a `Db::read` / `Db::write` closure.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::model::{
    Bucket, CorsRule, NewVersion, ObjectHeaders, ObjectVersion, PartRecord, StoredBody, Upload, Versioning,
};
use crate::error::Result;
use crate::fixtures::S3Fixture;

// ---- credentials and buckets ----

/// Upserts fixture credentials and creates fixture buckets that do not exist yet (an
/// existing bucket keeps its objects; its versioning is enabled if the fixture says so).
pub fn upsert_fixture(tx: &Transaction<'_>, s3: &S3Fixture, now: i64) -> Result<()> {
    for cred in &s3.credentials {
        tx.prepare_cached(
            "INSERT INTO s3_credentials (access_key, secret_key) VALUES (?1, ?2)
             ON CONFLICT (access_key) DO UPDATE SET secret_key = excluded.secret_key",
        )?
        .execute(params![cred.access_key, cred.secret_key])?;
    }
    for bucket in &s3.buckets {
        let versioning = if bucket.versioning {
            "Enabled"
        } else {
            "Unversioned"
        };
        tx.prepare_cached(
            "INSERT INTO s3_buckets (name, versioning, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET versioning = CASE
                 WHEN excluded.versioning = 'Enabled' THEN 'Enabled' ELSE s3_buckets.versioning END",
        )?
        .execute(params![bucket.name, versioning, now])?;
    }
    Ok(())
}

/// Every access key and its secret.
pub fn credentials(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT access_key, secret_key FROM s3_credentials")?;
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn bucket_from_row(row: &Row<'_>) -> rusqlite::Result<Bucket> {
    let versioning: String = row.get(1)?;
    let cors: Option<String> = row.get(3)?;
    Ok(Bucket {
        name: row.get(0)?,
        versioning: Versioning::parse(&versioning),
        created_at: row.get(2)?,
        cors: cors.and_then(|text| serde_json::from_str(&text).ok()),
    })
}

pub fn find_bucket(conn: &Connection, name: &str) -> Result<Option<Bucket>> {
    Ok(conn
        .prepare_cached("SELECT name, versioning, created_at, cors FROM s3_buckets WHERE name = ?1")?
        .query_row([name], bucket_from_row)
        .optional()?)
}

pub fn list_buckets(conn: &Connection) -> Result<Vec<Bucket>> {
    let mut stmt = conn.prepare("SELECT name, versioning, created_at, cors FROM s3_buckets ORDER BY name")?;
    let buckets = stmt.query_map([], bucket_from_row)?.collect::<Result<_, _>>()?;
    Ok(buckets)
}

/// Creates a bucket; false if it already exists.
pub fn create_bucket(tx: &Transaction<'_>, name: &str, now: i64) -> Result<bool> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO s3_buckets (name, versioning, created_at) VALUES (?1, 'Unversioned', ?2)
         ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![name, now])?;
    Ok(inserted == 1)
}

/// Whether a bucket holds anything: an object version, a delete marker or an upload.
/// Whether a bucket holds no object version or delete marker (pending multipart uploads do
/// not count: deleting the bucket drops them, as S3 does).
pub fn bucket_is_empty(conn: &Connection, name: &str) -> Result<bool> {
    let used: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM s3_objects WHERE bucket = ?1)")?
        .query_row([name], |row| row.get(0))?;
    Ok(!used)
}

/// Deletes a bucket with its pending uploads; returns the uploads' part blobs.
/// Deletes a bucket with its objects and pending uploads; returns their blobs.
pub fn delete_bucket(tx: &Transaction<'_>, name: &str) -> Result<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT blob FROM s3_objects WHERE bucket = ?1 AND blob IS NOT NULL
         UNION ALL
         SELECT p.blob FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?1",
    )?;
    let blobs = stmt
        .query_map([name], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached("DELETE FROM s3_buckets WHERE name = ?1")?
        .execute([name])?;
    Ok(blobs)
}

pub fn set_versioning(tx: &Transaction<'_>, name: &str, versioning: Versioning) -> Result<()> {
    tx.prepare_cached("UPDATE s3_buckets SET versioning = ?2 WHERE name = ?1")?
        .execute(params![name, versioning.as_str()])?;
    Ok(())
}

pub fn set_cors(tx: &Transaction<'_>, name: &str, rules: Option<&[CorsRule]>) -> Result<()> {
    let json = rules.map(serde_json::to_string).transpose()?;
    tx.prepare_cached("UPDATE s3_buckets SET cors = ?2 WHERE name = ?1")?
        .execute(params![name, json])?;
    Ok(())
}

// ---- object versions ----

const VERSION_COLUMNS: &str = "id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified,
    content_type, content_disposition, content_encoding, content_language, cache_control, expires,
    metadata, checksums, parts_count, blob, body IS NOT NULL";

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<ObjectVersion> {
    let metadata: String = row.get(14)?;
    let checksums: String = row.get(15)?;
    Ok(ObjectVersion {
        id: row.get(0)?,
        key: row.get(1)?,
        version_id: row.get(2)?,
        is_latest: row.get(3)?,
        is_delete_marker: row.get(4)?,
        size: row.get(5)?,
        etag: row.get(6)?,
        last_modified_ms: row.get(7)?,
        headers: ObjectHeaders {
            content_type: row.get(8)?,
            content_disposition: row.get(9)?,
            content_encoding: row.get(10)?,
            content_language: row.get(11)?,
            cache_control: row.get(12)?,
            expires: row.get(13)?,
            metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        },
        checksums: serde_json::from_str(&checksums).unwrap_or_default(),
        parts_count: row.get(16)?,
        blob: row.get(17)?,
        body_inline: row.get(18)?,
    })
}

/// The body kept in version `id`'s row; None when the row is gone or keeps none.
pub fn inline_body(conn: &Connection, id: i64) -> Result<Option<bytes::Bytes>> {
    let body: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT body FROM s3_objects WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?;
    Ok(body.flatten().map(bytes::Bytes::from))
}

/// The current version of a key (possibly a delete marker).
pub fn latest_version(conn: &Connection, bucket: &str, key: &str) -> Result<Option<ObjectVersion>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM s3_objects WHERE bucket = ?1 AND key = ?2 AND is_latest"
        ))?
        .query_row([bucket, key], version_from_row)
        .optional()?)
}

/// The version `version_id` of a key, or its latest when None.
pub fn find_or_latest(
    conn: &Connection,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<ObjectVersion>> {
    match version_id {
        Some(version_id) => find_version(conn, bucket, key, version_id),
        None => latest_version(conn, bucket, key),
    }
}

pub fn find_version(
    conn: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Option<ObjectVersion>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM s3_objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3"
        ))?
        .query_row([bucket, key, version_id], version_from_row)
        .optional()?)
}

/// Removes the `null` version of a key, returning its blob: what a write or a delete does to
/// an unversioned or suspended bucket.
fn remove_null_version(tx: &Transaction<'_>, bucket: &str, key: &str) -> Result<Option<String>> {
    let blob: Option<Option<String>> = tx
        .prepare_cached(
            "DELETE FROM s3_objects WHERE bucket = ?1 AND key = ?2 AND version_id = 'null' RETURNING blob",
        )?
        .query_row([bucket, key], |row| row.get(0))
        .optional()?;
    Ok(blob.flatten())
}

fn insert_row(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    version_id: &str,
    marker: bool,
    new: Option<&NewVersion>,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached("UPDATE s3_objects SET is_latest = 0 WHERE bucket = ?1 AND key = ?2 AND is_latest")?
        .execute([bucket, key])?;
    let empty = ObjectHeaders::default();
    let headers = new.map_or(&empty, |n| &n.headers);
    let checksums = match new {
        Some(n) => serde_json::to_string(&n.checksums)?,
        None => "{}".to_owned(),
    };
    tx.prepare_cached(
        "INSERT INTO s3_objects (bucket, key, version_id, is_latest, is_delete_marker, size, etag,
             last_modified, content_type, content_disposition, content_encoding, content_language,
             cache_control, expires, metadata, checksums, parts_count, blob, body)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        bucket,
        key,
        version_id,
        marker,
        new.map_or(0, |n| n.size),
        new.map_or("", |n| n.etag.as_str()),
        now_ms,
        headers.content_type,
        headers.content_disposition,
        headers.content_encoding,
        headers.content_language,
        headers.cache_control,
        headers.expires,
        serde_json::to_string(&headers.metadata)?,
        checksums,
        new.and_then(|n| n.parts_count),
        new.and_then(|n| match &n.body {
            StoredBody::File(name) => Some(name.as_str()),
            StoredBody::Inline(_) => None,
        }),
        new.and_then(|n| match &n.body {
            StoredBody::Inline(bytes) => Some(bytes.as_ref()),
            StoredBody::File(_) => None,
        }),
    ])?;
    Ok(())
}

/// Stores a new version as the latest. Returns its version id and the blobs of versions it
/// replaced (the `null` version, when the bucket is not versioning), to delete after commit.
pub fn put_version(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    versioning: Versioning,
    new: &NewVersion,
    now_ms: i64,
) -> Result<(String, Vec<String>)> {
    let (version_id, replaced) = match versioning {
        Versioning::Enabled => (new_version_id(), None),
        Versioning::Unversioned | Versioning::Suspended => {
            ("null".to_owned(), remove_null_version(tx, bucket, key)?)
        }
    };
    insert_row(tx, bucket, key, &version_id, false, Some(new), now_ms)?;
    Ok((version_id, replaced.into_iter().collect()))
}

/// Deletes a key without a version id: a delete marker on a versioning bucket (`null` when
/// suspended), plain removal otherwise. Returns the marker's version id, if one was made, and
/// the blobs to delete after commit.
pub fn delete_current(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    versioning: Versioning,
    now_ms: i64,
) -> Result<(Option<String>, Vec<String>)> {
    match versioning {
        Versioning::Enabled => {
            let version_id = new_version_id();
            insert_row(tx, bucket, key, &version_id, true, None, now_ms)?;
            Ok((Some(version_id), Vec::new()))
        }
        Versioning::Suspended => {
            let removed = remove_null_version(tx, bucket, key)?;
            insert_row(tx, bucket, key, "null", true, None, now_ms)?;
            Ok((Some("null".to_owned()), removed.into_iter().collect()))
        }
        Versioning::Unversioned => {
            let removed = remove_null_version(tx, bucket, key)?;
            Ok((None, removed.into_iter().collect()))
        }
    }
}

/// Permanently removes one version; if it was the latest, the newest remaining version
/// becomes the latest. Returns the removed version.
pub fn delete_version(
    tx: &Transaction<'_>,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Option<ObjectVersion>> {
    let Some(removed) = find_version(tx, bucket, key, version_id)? else {
        return Ok(None);
    };
    tx.prepare_cached("DELETE FROM s3_objects WHERE id = ?1")?
        .execute([removed.id])?;
    if removed.is_latest {
        tx.prepare_cached(
            "UPDATE s3_objects SET is_latest = 1 WHERE id =
                 (SELECT MAX(id) FROM s3_objects WHERE bucket = ?1 AND key = ?2)",
        )?
        .execute([bucket, key])?;
    }
    Ok(Some(removed))
}

/// Visits the current, non-deleted objects of a bucket whose key is `>= from`, in key order,
/// until `visit` returns false.
pub fn scan_latest(
    conn: &Connection,
    bucket: &str,
    from: &str,
    mut visit: impl FnMut(ObjectVersion) -> bool,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM s3_objects
         WHERE bucket = ?1 AND is_latest AND NOT is_delete_marker AND key >= ?2 ORDER BY key"
    ))?;
    let mut rows = stmt.query([bucket, from])?;
    while let Some(row) = rows.next()? {
        if !visit(version_from_row(row)?) {
            break;
        }
    }
    Ok(())
}

/// Visits every version and delete marker of a bucket whose key is `>= from`, by key, newest
/// version first, until `visit` returns false.
pub fn scan_versions(
    conn: &Connection,
    bucket: &str,
    from: &str,
    mut visit: impl FnMut(ObjectVersion) -> bool,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM s3_objects WHERE bucket = ?1 AND key >= ?2 ORDER BY key, id DESC"
    ))?;
    let mut rows = stmt.query([bucket, from])?;
    while let Some(row) = rows.next()? {
        if !visit(version_from_row(row)?) {
            break;
        }
    }
    Ok(())
}

/// Every blob a row refers to, for the orphan sweep at start.
pub fn referenced_blobs(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt =
        conn.prepare("SELECT blob FROM s3_objects WHERE blob IS NOT NULL UNION SELECT blob FROM s3_parts")?;
    let blobs = stmt.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(blobs)
}

/// Version ids are UUIDs: inside the charset Docs accepts (`[A-Za-z0-9._+\-=~]`).
fn new_version_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

// ---- multipart uploads ----

pub fn create_upload(tx: &Transaction<'_>, upload: &Upload) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO s3_uploads (upload_id, bucket, key, initiated, headers) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        upload.upload_id,
        upload.bucket,
        upload.key,
        upload.initiated_ms,
        serde_json::to_string(&upload.headers)?
    ])?;
    Ok(())
}

fn upload_from_row(row: &Row<'_>) -> rusqlite::Result<Upload> {
    let headers: String = row.get(4)?;
    Ok(Upload {
        upload_id: row.get(0)?,
        bucket: row.get(1)?,
        key: row.get(2)?,
        initiated_ms: row.get(3)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
    })
}

pub fn find_upload(conn: &Connection, upload_id: &str) -> Result<Option<Upload>> {
    Ok(conn
        .prepare_cached(
            "SELECT upload_id, bucket, key, initiated, headers FROM s3_uploads WHERE upload_id = ?1",
        )?
        .query_row([upload_id], upload_from_row)
        .optional()?)
}

/// Uploads in progress in a bucket, by key then initiation.
pub fn list_uploads(conn: &Connection, bucket: &str) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare(
        "SELECT upload_id, bucket, key, initiated, headers FROM s3_uploads WHERE bucket = ?1
         ORDER BY key, initiated, upload_id",
    )?;
    let uploads = stmt
        .query_map([bucket], upload_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(uploads)
}

/// Stores a part, replacing one with the same number; returns the replaced part's blob.
pub fn put_part(tx: &Transaction<'_>, upload_id: &str, part: &PartRecord) -> Result<Option<String>> {
    let replaced: Option<String> = tx
        .prepare_cached("SELECT blob FROM s3_parts WHERE upload_id = ?1 AND part_number = ?2")?
        .query_row(params![upload_id, part.part_number], |row| row.get(0))
        .optional()?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO s3_parts (upload_id, part_number, size, etag, last_modified, checksums, blob)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        upload_id,
        part.part_number,
        part.size,
        part.etag,
        part.last_modified_ms,
        serde_json::to_string(&part.checksums)?,
        part.blob
    ])?;
    Ok(replaced)
}

pub fn list_parts(conn: &Connection, upload_id: &str) -> Result<Vec<PartRecord>> {
    let mut stmt = conn.prepare(
        "SELECT part_number, size, etag, last_modified, checksums, blob FROM s3_parts
         WHERE upload_id = ?1 ORDER BY part_number",
    )?;
    let parts = stmt
        .query_map([upload_id], |row| {
            let checksums: String = row.get(4)?;
            Ok(PartRecord {
                part_number: row.get(0)?,
                size: row.get(1)?,
                etag: row.get(2)?,
                last_modified_ms: row.get(3)?,
                checksums: serde_json::from_str(&checksums).unwrap_or_default(),
                blob: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(parts)
}

/// Removes an upload and its parts; returns the parts' blobs.
pub fn delete_upload(tx: &Transaction<'_>, upload_id: &str) -> Result<Vec<String>> {
    let blobs = list_parts(tx, upload_id)?.into_iter().map(|p| p.blob).collect();
    tx.prepare_cached("DELETE FROM s3_uploads WHERE upload_id = ?1")?
        .execute([upload_id])?;
    Ok(blobs)
}

// ---- the dashboard (src/admin/dashboard.rs) ----

/// One entry of a folder view: a common prefix (ending in `/`) or a current object.
#[derive(Debug, Clone)]
pub enum BrowseEntry {
    Folder(String),
    Object(Box<ObjectVersion>),
}

/// One page of the current objects under `prefix`, folded into folders at the next `/`, in key
/// order, starting after `after` (a key or a folder of the previous page). Keyset: each step is
/// one index seek, and a folder is skipped in one seek however many keys it holds.
pub fn browse_latest(
    conn: &Connection,
    bucket: &str,
    prefix: &str,
    after: &str,
    limit: usize,
) -> Result<(Vec<BrowseEntry>, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM s3_objects
         WHERE bucket = ?1 AND is_latest AND NOT is_delete_marker AND key >= ?2
         ORDER BY key LIMIT 1"
    ))?;
    // The smallest key after a key `k` is `k\0`; after a folder `a/`, `a0` ('0' follows '/').
    let past_folder = |folder: &str| format!("{}0", &folder[..folder.len() - 1]);
    let mut from = if after.ends_with('/') && after.len() > prefix.len() {
        past_folder(after)
    } else if after.is_empty() {
        String::new()
    } else {
        format!("{after}\0")
    };
    if from.as_str() < prefix {
        prefix.clone_into(&mut from);
    }
    let mut entries = Vec::new();
    loop {
        let Some(version) = stmt
            .query_row(params![bucket, from], version_from_row)
            .optional()?
        else {
            return Ok((entries, false));
        };
        if !version.key.starts_with(prefix) {
            return Ok((entries, false));
        }
        if entries.len() == limit {
            return Ok((entries, true));
        }
        match version.key[prefix.len()..].find('/') {
            Some(slash) => {
                let folder = version.key[..prefix.len() + slash + 1].to_owned();
                from = past_folder(&folder);
                entries.push(BrowseEntry::Folder(folder));
            }
            None => {
                from = format!("{}\0", version.key);
                entries.push(BrowseEntry::Object(Box::new(version)));
            }
        }
    }
}

/// Every version and delete marker of one key, newest first.
pub fn key_versions(conn: &Connection, bucket: &str, key: &str, limit: i64) -> Result<Vec<ObjectVersion>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM s3_objects WHERE bucket = ?1 AND key = ?2 ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![bucket, key, limit], version_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Per bucket: the number of current objects and their total size.
pub fn bucket_counts(conn: &Connection) -> Result<Vec<(String, i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT b.name,
                (SELECT COUNT(*) FROM s3_objects o WHERE o.bucket = b.name AND o.is_latest AND NOT o.is_delete_marker),
                (SELECT COALESCE(SUM(size), 0) FROM s3_objects o WHERE o.bucket = b.name AND o.is_latest AND NOT o.is_delete_marker)
         FROM s3_buckets b ORDER BY b.name",
    )?;
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
