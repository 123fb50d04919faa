//! Ordered schema migrations, tracked in `PRAGMA user_version`.
//!
//! Each step runs in its own transaction. A database written by a newer emulator (a version
//! higher than this list knows) is refused rather than silently misread.

use rusqlite::Connection;

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_oidc.sql"),
    include_str!("migrations/0002_s3.sql"),
    include_str!("migrations/0003_drive.sql"),
    include_str!("migrations/0004_drive_items.sql"),
    include_str!("migrations/0005_drive_invitations.sql"),
    include_str!("migrations/0006_drive_children_index.sql"),
];

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let latest = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > latest {
        return Err(Error::Config(format!(
            "state.db has schema version {current}, newer than this emulator's {latest}; \
             use a newer lasuite-emu or another --data directory"
        )));
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}
