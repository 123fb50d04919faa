//! Whole-state SQL: what `reset`, snapshots and restores need to know about every table.

use rusqlite::Transaction;

use crate::error::Result;

/// Every table of the state, children before parents (so deleting in this order never trips
/// a foreign key).
pub const TABLES: &[&str] = &[
    "tokens",
    "auth_codes",
    "sso_sessions",
    "users",
    "clients",
    "realm_names",
    "realms",
    "s3_parts",
    "s3_uploads",
    "s3_objects",
    "s3_buckets",
    "s3_credentials",
];

/// Deletes every row of every table.
pub fn clear_all(tx: &Transaction<'_>) -> Result<()> {
    for table in TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    Ok(())
}
