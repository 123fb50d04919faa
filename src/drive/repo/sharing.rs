//! SQL of item accesses and invitations (spec §6.5, §9.2, §9.3). Knows nothing of HTTP: the
//! rules live in `accesses.rs` and `invitations.rs`.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::placeholders;
use crate::drive::model::{DriveUser, Item, Role};
use crate::error::Result;

/// One access row, with what the rules of §6.7 need about its item and its user.
#[derive(Debug, Clone)]
pub struct Access {
    pub id: String,
    pub item_id: String,
    pub item_path: String,
    pub item_depth: i64,
    /// The item is outside any soft-deleted subtree (`ancestors_deleted_at` null).
    pub item_live: bool,
    pub user: Option<DriveUser>,
    /// Empty for user accesses.
    pub team: String,
    pub role: Role,
    pub created_at: i64,
}

impl Access {
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.id.as_str())
    }
}

const ACCESS_SELECT: &str = "SELECT a.id, a.item_id, i.path, i.depth, i.ancestors_deleted_at IS NULL, a.team,
            a.role, a.created_at, u.id, u.sub, u.email, u.full_name, u.short_name, u.language,
            u.last_release_note_seen, u.column_preferences, u.is_active
     FROM drive_accesses a JOIN drive_items i ON i.id = a.item_id
          LEFT JOIN drive_users u ON u.id = a.user_id";

fn access_from_row(row: &Row<'_>) -> rusqlite::Result<Access> {
    let role: String = row.get(6)?;
    let user = match row.get::<_, Option<String>>(8)? {
        Some(id) => {
            let preferences: Option<String> = row.get(15)?;
            Some(DriveUser {
                id,
                sub: row.get(9)?,
                email: row.get(10)?,
                full_name: row.get(11)?,
                short_name: row.get(12)?,
                language: row.get(13)?,
                last_release_note_seen: row.get(14)?,
                column_preferences: preferences.and_then(|p| serde_json::from_str(&p).ok()),
                is_active: row.get(16)?,
            })
        }
        None => None,
    };
    Ok(Access {
        id: row.get(0)?,
        item_id: row.get(1)?,
        item_path: row.get(2)?,
        item_depth: row.get(3)?,
        item_live: row.get(4)?,
        team: row.get(5)?,
        role: Role::parse(&role).unwrap_or(Role::Reader),
        created_at: row.get(7)?,
        user,
    })
}

/// Every access row on `item` and its ancestors (deleted ones included: roles count on them),
/// shallowest item first, then oldest row first.
pub fn path_accesses(conn: &Connection, item: &Item) -> Result<Vec<Access>> {
    let ids = item.path_ids();
    let mut stmt = conn.prepare_cached(&format!(
        "{ACCESS_SELECT} WHERE a.item_id IN ({}) ORDER BY i.depth, a.created_at, a.rowid",
        placeholders(ids.len())
    ))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(ids), access_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A new access row for a user or (exclusively) a team; returns its id.
pub fn insert_access(
    tx: &Transaction<'_>,
    item_id: &str,
    user_id: Option<&str>,
    team: &str,
    role: Role,
    now: i64,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    tx.prepare_cached(
        "INSERT INTO drive_accesses (id, item_id, user_id, team, role, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![id, item_id, user_id, team, role.as_str(), now])?;
    Ok(id)
}

/// Saves an access (its role, possibly unchanged): `updated_at` moves like a Django save.
pub fn set_access_role(tx: &Transaction<'_>, id: &str, role: Role, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE drive_accesses SET role = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, role.as_str(), now])?;
    Ok(())
}

pub fn delete_access(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM drive_accesses WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// "Synchronize descendants": the same user's (or team's) rows on the live descendants of
/// `item` whose role is at most `role` are redundant under the new grant and go. Returns how
/// many were deleted.
pub fn synchronize_descendants(
    tx: &Transaction<'_>,
    item: &Item,
    user_id: Option<&str>,
    team: &str,
    role: Role,
) -> Result<usize> {
    let lower: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| *r <= role)
        .map(Role::as_str)
        .collect();
    let target = match user_id {
        Some(_) => "a.user_id = ?2",
        None => "a.team = ?3 AND a.team <> ''",
    };
    let sql = format!(
        "DELETE FROM drive_accesses WHERE id IN (
             SELECT a.id FROM drive_accesses a JOIN drive_items i ON i.id = a.item_id
             WHERE i.path > ?1 || '.' AND i.path < ?1 || '/' AND i.ancestors_deleted_at IS NULL
               AND {target} AND a.role IN ({}))",
        lower
            .iter()
            .enumerate()
            .map(|(n, _)| format!("?{}", n + 4))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut args: Vec<&str> = vec![&item.path, user_id.unwrap_or(""), team];
    args.extend(lower);
    Ok(tx.execute(&sql, rusqlite::params_from_iter(args))?)
}

/// The best role `user_id` holds on `item` or any ancestor (§6.6 `get_role`; deleted
/// ancestors count).
pub fn role_on(conn: &Connection, item: &Item, user_id: &str) -> Result<Option<Role>> {
    let ids = item.path_ids();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT role FROM drive_accesses WHERE user_id = ? AND item_id IN ({})",
        placeholders(ids.len())
    ))?;
    let mut args = vec![user_id];
    args.extend(ids);
    let roles = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?;
    let mut best = None;
    for role in roles {
        best = best.max(Role::parse(&role?));
    }
    Ok(best)
}

// ----- invitations ---------------------------------------------------------------------------

/// `INVITATION_VALIDITY_DURATION` (604800 s): an invitation expires a week after its creation.
pub const INVITATION_VALIDITY_MICROS: i64 = 604_800 * 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub item_id: String,
    pub role: Role,
    pub issuer_id: Option<String>,
    pub created_at: i64,
}

const INVITATION_COLUMNS: &str = "id, email, item_id, role, issuer_id, created_at";

fn invitation_from_row(row: &Row<'_>) -> rusqlite::Result<Invitation> {
    let role: String = row.get(3)?;
    Ok(Invitation {
        id: row.get(0)?,
        email: row.get(1)?,
        item_id: row.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Reader),
        issuer_id: row.get(4)?,
        created_at: row.get(5)?,
    })
}

pub fn count_invitations(conn: &Connection, item_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM drive_invitations WHERE item_id = ?1")?
        .query_row([item_id], |r| r.get(0))?)
}

/// One page of an item's invitations, newest first.
pub fn invitations_page(
    conn: &Connection,
    item_id: &str,
    (limit, offset): (i64, i64),
) -> Result<Vec<Invitation>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {INVITATION_COLUMNS} FROM drive_invitations WHERE item_id = ?1
         ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt
        .query_map(params![item_id, limit, offset], invitation_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Invitation `id` if it belongs to item `item_id`.
pub fn find_invitation(conn: &Connection, item_id: &str, id: &str) -> Result<Option<Invitation>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {INVITATION_COLUMNS} FROM drive_invitations WHERE id = ?1 AND item_id = ?2"
        ))?
        .query_row([id, item_id], invitation_from_row)
        .optional()?)
}

/// Whether another invitation (not `except_id`) already invites `email` to the item.
pub fn invitation_taken(
    conn: &Connection,
    item_id: &str,
    email: &str,
    except_id: Option<&str>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM drive_invitations WHERE item_id = ?1 AND email = ?2
                          AND id IS NOT ?3)",
        )?
        .query_row(params![item_id, email, except_id], |r| r.get(0))?)
}

/// Whether a user already has this e-mail address, ignoring case (SQLite's `lower`, which
/// folds ASCII letters only).
pub fn email_registered(conn: &Connection, email: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM drive_users WHERE lower(email) = lower(?1))")?
        .query_row([email], |r| r.get(0))?)
}

pub fn insert_invitation(
    tx: &Transaction<'_>,
    item_id: &str,
    email: &str,
    role: Role,
    issuer_id: &str,
    now: i64,
) -> Result<Invitation> {
    let id = uuid::Uuid::new_v4().to_string();
    tx.prepare_cached(
        "INSERT INTO drive_invitations (id, email, item_id, role, issuer_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![id, email, item_id, role.as_str(), issuer_id, now])?;
    Ok(Invitation {
        id,
        email: email.to_owned(),
        item_id: item_id.to_owned(),
        role,
        issuer_id: Some(issuer_id.to_owned()),
        created_at: now,
    })
}

pub fn update_invitation(tx: &Transaction<'_>, id: &str, email: &str, role: Role, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE drive_invitations SET email = ?2, role = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, email, role.as_str(), now])?;
    Ok(())
}

pub fn delete_invitation(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM drive_invitations WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// What upstream does when a user is created (§9.3, last point): every invitation of their
/// e-mail address still valid at `now` becomes an access with the invitation's role, and the
/// invited items without a creator get this user as creator. The invitations themselves stay.
/// For the code that creates Drive users to call; returns the number of accesses created.
pub fn convert_valid_invitations(
    tx: &Transaction<'_>,
    user_id: &str,
    email: &str,
    now: i64,
) -> Result<usize> {
    let valid_since = now - INVITATION_VALIDITY_MICROS;
    let mut stmt = tx.prepare(
        "SELECT item_id, role FROM drive_invitations
         WHERE email = ?1 AND created_at >= ?2 ORDER BY created_at, rowid",
    )?;
    // Invitations are stored lower-cased.
    let invited: Vec<(String, String)> = stmt
        .query_map(params![email.to_lowercase(), valid_since], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut created = 0;
    for (item_id, role) in invited {
        created += tx.prepare_cached("INSERT OR IGNORE INTO drive_accesses (id, item_id, user_id, team, role, created_at, updated_at)
             VALUES (?1, ?2, ?3, '', ?4, ?5, ?5)")?.execute(
            params![uuid::Uuid::new_v4().to_string(), item_id, user_id, role, now],
        )?;
        tx.prepare_cached("UPDATE drive_items SET creator_id = ?2 WHERE id = ?1 AND creator_id IS NULL")?
            .execute([&item_id, user_id])?;
    }
    Ok(created)
}
