//! Whole-state SQL: what `reset`, snapshots and restores need to know about every table.

use rusqlite::Transaction;

use crate::error::Result;

/// Every table of the state, children before parents (so deleting in this order never trips
/// a foreign key).
pub const TABLES: &[&str] = &[
    "drive_invitations",
    "drive_link_traces",
    "drive_favorites",
    "drive_accesses",
    "drive_items",
    "drive_users",
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

/// The schema version of a database (`PRAGMA user_version`).
pub fn schema_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Recomputes the counts each Drive item keeps of its children (migration 0007).
const RECOUNT_CHILDREN: &str = include_str!("migrations/recount_children.sql");

/// Replaces every row of every table with those of the attached database `snap` (same
/// schema version), in one transaction.
pub fn copy_from_attached(conn: &mut rusqlite::Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    clear_all(&tx)?;
    for table in TABLES.iter().rev() {
        // Stored columns only: generated ones (drive_items.is_live, ...) cannot be written.
        let columns: Vec<String> = tx
            .prepare("SELECT name FROM pragma_table_info(?1, 'main')")?
            .query_map([table], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let columns = columns.join(", ");
        tx.execute(
            &format!("INSERT INTO main.{table} ({columns}) SELECT {columns} FROM snap.{table}"),
            [],
        )?;
    }
    // The copy ran the child-count triggers on top of the counts it copied.
    tx.execute_batch(RECOUNT_CHILDREN)?;
    tx.commit()?;
    Ok(())
}
