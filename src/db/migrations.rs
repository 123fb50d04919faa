//! Ordered schema migrations, tracked in `PRAGMA user_version`.
//!
//! The pending steps run in one transaction. A database written by a newer emulator (a version
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
    concat!(
        include_str!("migrations/0007_drive_child_counts.sql"),
        include_str!("migrations/recount_children.sql")
    ),
    include_str!("migrations/0008_s3_milliseconds.sql"),
    include_str!("migrations/0009_oidc_client_tokens.sql"),
    include_str!("migrations/0010_drive_item_metadata.sql"),
    include_str!("migrations/0011_s3_inline_bodies.sql"),
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
    if current == latest {
        return Ok(());
    }
    // All pending steps in one transaction: a new database (every test's) commits once, and a
    // failing step leaves the file as it was.
    let tx = conn.transaction()?;
    for sql in MIGRATIONS.iter().skip(usize::try_from(current).unwrap_or(0)) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items whose kept child counts differ from a count of the rows.
    fn drift(conn: &Connection) -> Vec<String> {
        let live = "c.hard_deleted_at IS NULL AND c.deleted_at IS NULL AND c.ancestors_deleted_at IS NULL";
        let sql = format!(
            "SELECT p.title, p.live_children, p.live_folder_children, p.listed_children,
                    (SELECT COUNT(*) FROM drive_items c WHERE c.parent_id = p.id AND {live}),
                    (SELECT COUNT(*) FROM drive_items c WHERE c.parent_id = p.id AND {live}
                        AND c.type = 'folder'),
                    (SELECT COUNT(*) FROM drive_items c WHERE c.parent_id = p.id AND {live}
                        AND c.upload_state IS NOT 'pending' AND c.upload_state IS NOT 'suspicious')
             FROM drive_items p"
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let rows = stmt
            .query_map([], |r| {
                let kept: [i64; 3] = [r.get(1)?, r.get(2)?, r.get(3)?];
                let counted: [i64; 3] = [r.get(4)?, r.get(5)?, r.get(6)?];
                Ok((r.get::<_, String>(0)?, kept, counted))
            })
            .unwrap();
        rows.map(Result::unwrap)
            .filter(|(_, kept, counted)| kept != counted)
            .map(|(title, kept, counted)| format!("{title}: kept {kept:?}, counted {counted:?}"))
            .collect()
    }

    fn item(conn: &Connection, id: &str, parent: Option<&str>, kind: &str, state: Option<&str>) {
        let path = match parent {
            Some(parent) => {
                let parent_path: String = conn
                    .query_row("SELECT path FROM drive_items WHERE id = ?1", [parent], |r| {
                        r.get(0)
                    })
                    .unwrap();
                format!("{parent_path}.{id}")
            }
            None => id.to_owned(),
        };
        conn.execute(
            "INSERT INTO drive_items (id, path, depth, parent_id, title, type, upload_state,
                                      created_at, updated_at)
             VALUES (?1, ?2, 0, ?3, ?1, ?4, ?5, 0, 0)",
            rusqlite::params![id, path, parent, kind, state],
        )
        .unwrap();
    }

    fn counts(conn: &Connection, id: &str) -> [i64; 3] {
        conn.query_row(
            "SELECT live_children, live_folder_children, listed_children FROM drive_items
             WHERE id = ?1",
            [id],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]),
        )
        .unwrap()
    }

    #[test]
    fn each_item_keeps_its_child_counts_through_every_change() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let run = |sql: &str| {
            conn.execute_batch(sql).unwrap();
            assert_eq!(drift(&conn), Vec::<String>::new(), "after {sql}");
        };
        item(&conn, "root", None, "folder", None);
        item(&conn, "a", Some("root"), "folder", None);
        item(&conn, "ready", Some("a"), "file", Some("ready"));
        item(&conn, "pending", Some("a"), "file", Some("pending"));
        item(&conn, "suspicious", Some("a"), "file", Some("suspicious"));
        item(&conn, "b", Some("a"), "folder", None);
        item(&conn, "deep", Some("b"), "file", Some("ready"));
        assert_eq!(drift(&conn), Vec::<String>::new());
        assert_eq!(counts(&conn, "a"), [4, 1, 2]);

        run("UPDATE drive_items SET upload_state = 'analyzing' WHERE id = 'pending'");
        assert_eq!(counts(&conn, "a"), [4, 1, 3]);
        // a soft delete of `a`: its subtree is marked as in a deleted tree, then restored
        run("UPDATE drive_items SET deleted_at = 1 WHERE id = 'a';
             UPDATE drive_items SET ancestors_deleted_at = 1 WHERE path LIKE 'root.a.%'");
        assert_eq!(counts(&conn, "root"), [0, 0, 0]);
        assert_eq!(counts(&conn, "a"), [0, 0, 0]);
        run("UPDATE drive_items SET deleted_at = NULL WHERE id = 'a';
             UPDATE drive_items SET ancestors_deleted_at = NULL WHERE path LIKE 'root.a.%'");
        assert_eq!(counts(&conn, "a"), [4, 1, 3]);
        // a move of `b` (and the path rewrite of its subtree) from `a` to the root
        run(
            "UPDATE drive_items SET parent_id = 'root', path = 'root.b' WHERE id = 'b';
             UPDATE drive_items SET path = 'root.b.deep' WHERE id = 'deep'",
        );
        assert_eq!(
            (counts(&conn, "root"), counts(&conn, "a")),
            ([2, 2, 2], [3, 0, 2])
        );
        // a hard delete, then the purge of the row
        run("UPDATE drive_items SET hard_deleted_at = 2 WHERE id = 'ready'");
        run("DELETE FROM drive_items WHERE id = 'ready'");
        run("UPDATE drive_items SET type = 'folder', upload_state = NULL WHERE id = 'pending'");
        assert_eq!(counts(&conn, "a"), [2, 1, 1]);
        run("DELETE FROM drive_items");
    }

    #[test]
    fn an_older_database_gets_its_counts_when_it_is_upgraded() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..6] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        item(&conn, "root", None, "folder", None);
        item(&conn, "sub", Some("root"), "folder", None);
        item(&conn, "done", Some("root"), "file", Some("ready"));
        item(&conn, "waiting", Some("root"), "file", Some("pending"));
        migrate(&mut conn).unwrap();
        assert_eq!(counts(&conn, "root"), [3, 1, 2]);
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, i64::try_from(MIGRATIONS.len()).unwrap());
    }

    #[test]
    fn the_recount_repairs_counts_a_bulk_copy_doubled() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        item(&conn, "root", None, "folder", None);
        item(&conn, "file", Some("root"), "file", Some("ready"));
        // what a restore does: rows copied with their counts, the triggers adding on top
        conn.execute_batch(
            "CREATE TEMP TABLE copy AS SELECT * FROM drive_items;
             DELETE FROM drive_items;
             INSERT INTO drive_items (id, path, depth, parent_id, title, type, upload_state,
                                      created_at, updated_at, live_children,
                                      live_folder_children, listed_children)
             SELECT id, path, depth, parent_id, title, type, upload_state, created_at,
                    updated_at, live_children, live_folder_children, listed_children
             FROM copy ORDER BY path;",
        )
        .unwrap();
        assert_eq!(counts(&conn, "root"), [2, 0, 2]);
        conn.execute_batch(include_str!("migrations/recount_children.sql"))
            .unwrap();
        assert_eq!(counts(&conn, "root"), [1, 0, 1]);
        assert_eq!(drift(&conn), Vec::<String>::new());
    }
}
