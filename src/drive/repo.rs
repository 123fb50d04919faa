//! All of the Drive API's SQL. Knows nothing of HTTP.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::model::DriveUser;
use crate::error::Result;

const USER_COLUMNS: &str =
    "id, sub, email, full_name, short_name, language, last_release_note_seen, column_preferences, is_active";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<DriveUser> {
    let preferences: Option<String> = row.get(7)?;
    Ok(DriveUser {
        id: row.get(0)?,
        sub: row.get(1)?,
        email: row.get(2)?,
        full_name: row.get(3)?,
        short_name: row.get(4)?,
        language: row.get(5)?,
        last_release_note_seen: row.get(6)?,
        column_preferences: preferences.and_then(|p| serde_json::from_str(&p).ok()),
        is_active: row.get(8)?,
    })
}

pub fn find_by_sub(conn: &Connection, sub: &str) -> Result<Option<DriveUser>> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM drive_users WHERE sub = ?1"),
            [sub],
            user_from_row,
        )
        .optional()?)
}

pub fn find(conn: &Connection, id: &str) -> Result<Option<DriveUser>> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM drive_users WHERE id = ?1"),
            [id],
            user_from_row,
        )
        .optional()?)
}

/// Every active user, for the user search.
pub fn active_users(conn: &Connection) -> Result<Vec<DriveUser>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM drive_users WHERE is_active ORDER BY email"
    ))?;
    let users = stmt.query_map([], user_from_row)?.collect::<Result<_, _>>()?;
    Ok(users)
}

pub fn create(
    tx: &Transaction<'_>,
    sub: &str,
    email: Option<&str>,
    full_name: Option<&str>,
    short_name: Option<&str>,
    now: i64,
) -> Result<DriveUser> {
    let id = uuid::Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO drive_users (id, sub, email, full_name, short_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, sub, email, full_name, short_name, now],
    )?;
    Ok(find(tx, &id)?.expect("the row just inserted"))
}

/// Sets a user's own preferences (the writable fields of `users/{id}/`).
pub fn update_preferences(
    tx: &Transaction<'_>,
    id: &str,
    language: Option<&str>,
    last_release_note_seen: Option<&str>,
    column_preferences: Option<&serde_json::Value>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE drive_users SET language = ?2, last_release_note_seen = ?3, column_preferences = ?4, updated_at = ?5
         WHERE id = ?1",
        params![id, language, last_release_note_seen, column_preferences.map(ToString::to_string), now],
    )?;
    Ok(())
}
