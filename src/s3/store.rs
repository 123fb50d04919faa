//! The S3 service's SQL.

use rusqlite::{Transaction, params};

use crate::error::Result;
use crate::fixtures::S3Fixture;

/// Upserts fixture credentials and creates fixture buckets that do not exist yet (an
/// existing bucket keeps its state; its versioning is set as the fixture says).
pub fn upsert_fixture(tx: &Transaction<'_>, s3: &S3Fixture, now: i64) -> Result<()> {
    for cred in &s3.credentials {
        tx.execute(
            "INSERT INTO s3_credentials (access_key, secret_key) VALUES (?1, ?2)
             ON CONFLICT (access_key) DO UPDATE SET secret_key = excluded.secret_key",
            params![cred.access_key, cred.secret_key],
        )?;
    }
    for bucket in &s3.buckets {
        let versioning = if bucket.versioning {
            "Enabled"
        } else {
            "Unversioned"
        };
        tx.execute(
            "INSERT INTO s3_buckets (name, versioning, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET versioning = CASE
                 WHEN excluded.versioning = 'Enabled' THEN 'Enabled' ELSE s3_buckets.versioning END",
            params![bucket.name, versioning, now],
        )?;
    }
    Ok(())
}
