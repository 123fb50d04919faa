//! Snapshots: the whole state (every table, every object body) in one file, and back.
//!
//! A snapshot is itself a SQLite database: `VACUUM INTO` makes a consistent copy of
//! `state.db`, then the bodies the copy refers to are added to a `snapshot_blobs` table
//! through SQLite's incremental blob I/O, so memory stays flat whatever their size. Restoring
//! checks the schema version, copies every table in one transaction and writes the bodies back.

use std::io;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, MAIN_DB, params};

use crate::app::AppState;
use crate::db::state::{copy_from_attached, schema_version};
use crate::error::{Error, Result};

/// Writes a snapshot of the whole state to `dest` (which must not exist).
pub async fn snapshot(app: &AppState, dest: &Path) -> Result<()> {
    let target = dest.to_path_buf();
    let db_path = target.clone();
    app.db
        .with_writer(move |conn| {
            conn.execute("VACUUM INTO ?1", [db_path.to_string_lossy()])?;
            Ok(())
        })
        .await?;
    let blobs: Vec<(String, PathBuf)> = {
        let store = &app.s3.store;
        let names = app.db.read(crate::s3::store::referenced_blobs).await?;
        names
            .into_iter()
            .map(|name| {
                let path = store.blobs.path(&name);
                (name, path)
            })
            .collect()
    };
    tokio::task::spawn_blocking(move || add_blobs(&target, &blobs)).await?
}

fn add_blobs(snapshot: &Path, blobs: &[(String, PathBuf)]) -> Result<()> {
    let conn = Connection::open(snapshot)?;
    // A fresh file that is thrown away if anything fails: no journal, one transaction, one
    // sync at the end (10,000 bodies would otherwise be 10,000 commits).
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         BEGIN;
         CREATE TABLE snapshot_blobs (name TEXT PRIMARY KEY, data BLOB NOT NULL);
         CREATE TABLE snapshot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )?;
    conn.execute(
        "INSERT INTO snapshot_meta (key, value) VALUES ('made_by', ?1)",
        [format!("lasuite-emu {}", env!("CARGO_PKG_VERSION"))],
    )?;
    for (name, path) in blobs {
        let mut file =
            std::fs::File::open(path).map_err(|e| Error::io(format!("reading object body {name}"), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("reading an object body", e))?
            .len();
        conn.execute(
            "INSERT INTO snapshot_blobs (name, data) VALUES (?1, zeroblob(?2))",
            params![name, i64::try_from(len).unwrap_or(i64::MAX)],
        )?;
        let mut blob = conn.blob_open(
            MAIN_DB,
            c"snapshot_blobs",
            c"data",
            conn.last_insert_rowid(),
            false,
        )?;
        io::copy(&mut file, &mut blob).map_err(|e| Error::io("copying an object body", e))?;
    }
    conn.execute_batch("COMMIT;")?;
    conn.cache_flush()?;
    drop(conn);
    std::fs::File::open(snapshot)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("syncing the snapshot", e))
}

/// Replaces the whole state with the snapshot at `source`.
pub async fn restore(app: &AppState, source: &Path) -> Result<()> {
    let path = source.to_path_buf();
    let check = path.clone();
    let expected = app.db.read(schema_version).await?;
    tokio::task::spawn_blocking(move || -> Result<()> {
        let conn = Connection::open_with_flags(&check, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|_| Error::Config("not a lasuite-emu snapshot (not a SQLite file)".into()))?;
        let version =
            schema_version(&conn).map_err(|_| Error::Config("not a lasuite-emu snapshot".into()))?;
        let has_blobs: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'snapshot_blobs')",
                [],
                |r| r.get(0),
            )
            .map_err(|_| Error::Config("not a lasuite-emu snapshot".into()))?;
        if !has_blobs {
            return Err(Error::Config(
                "not a lasuite-emu snapshot (no snapshot_blobs table)".into(),
            ));
        }
        if version != expected {
            return Err(Error::Config(format!(
                "the snapshot has schema version {version}, this emulator {expected}"
            )));
        }
        Ok(())
    })
    .await??;

    let attach = path.clone();
    app.db
        .with_writer(move |conn| {
            conn.execute("ATTACH DATABASE ?1 AS snap", [attach.to_string_lossy()])?;
            let copied = copy_from_attached(conn);
            conn.execute("DETACH DATABASE snap", [])?;
            copied
        })
        .await?;

    let store = &app.s3.store;
    let _exclusive = store.blobs.exclusive.lock().await;
    store
        .blobs
        .remove_all()
        .await
        .map_err(|e| Error::io("clearing blobs/", e))?;
    let targets: Vec<(String, PathBuf)> = {
        let names = app.db.read(crate::s3::store::referenced_blobs).await?;
        names
            .into_iter()
            .map(|name| {
                let p = store.blobs.path(&name);
                (name, p)
            })
            .collect()
    };
    tokio::task::spawn_blocking(move || extract_blobs(&path, &targets)).await??;
    app.reload_caches().await
}

fn extract_blobs(snapshot: &Path, targets: &[(String, PathBuf)]) -> Result<()> {
    let conn = Connection::open_with_flags(snapshot, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    for (name, dest) in targets {
        let rowid: i64 = conn
            .query_row("SELECT rowid FROM snapshot_blobs WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .map_err(|_| Error::Config(format!("the snapshot lacks the body {name}")))?;
        let mut blob = conn.blob_open(MAIN_DB, c"snapshot_blobs", c"data", rowid, true)?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating blobs/", e))?;
        }
        let mut out = std::fs::File::create(dest).map_err(|e| Error::io("writing an object body", e))?;
        io::copy(&mut blob, &mut out).map_err(|e| Error::io("writing an object body", e))?;
    }
    Ok(())
}
