//! All of the Drive API's SQL. Knows nothing of HTTP. Users and items here; accesses and
//! invitations in `sharing.rs`.

pub mod sharing;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::model::{DriveUser, Item, ItemContext, Reach, Role, UserLight};
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
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM drive_users WHERE sub = ?1"))?
        .query_row([sub], user_from_row)
        .optional()?)
}

pub fn find(conn: &Connection, id: &str) -> Result<Option<DriveUser>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM drive_users WHERE id = ?1"))?
        .query_row([id], user_from_row)
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
    tx.prepare_cached(
        "INSERT INTO drive_users (id, sub, email, full_name, short_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![id, sub, email, full_name, short_name, now])?;
    Ok(find(tx, &id)?.expect("the row just inserted"))
}

/// The Drive user of a realm user, as logging in to Drive makes it: same `sub`, email (or
/// `email_fallback`, the token's claim), full and short names. `now` in Unix seconds.
pub fn create_from_realm_user(
    tx: &Transaction<'_>,
    realm_user: &crate::oidc::model::User,
    email_fallback: Option<&str>,
    now: i64,
) -> Result<DriveUser> {
    let full_name = Some(realm_user.full_name()).filter(|n| !n.is_empty());
    let short_name = Some(realm_user.first_name.as_str()).filter(|n| !n.is_empty());
    let email = Some(realm_user.email.as_str())
        .filter(|e| !e.is_empty())
        .or(email_fallback);
    let user = create(tx, &realm_user.sub, email, full_name.as_deref(), short_name, now)?;
    // As upstream on user creation: still-valid invitations of this address become accesses.
    if let Some(email) = &user.email {
        sharing::convert_valid_invitations(tx, &user.id, email, now * 1_000_000)?;
    }
    // The stored OIDC claims, which the usage metrics can expose.
    tx.prepare_cached("UPDATE drive_users SET claims = ?2 WHERE id = ?1")?
        .execute(params![
            user.id,
            serde_json::Value::Object(realm_user.claims.clone()).to_string()
        ])?;
    Ok(user)
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
    tx.prepare_cached("UPDATE drive_users SET language = ?2, last_release_note_seen = ?3, column_preferences = ?4, updated_at = ?5
         WHERE id = ?1")?.execute(
        params![id, language, last_release_note_seen, column_preferences.map(ToString::to_string), now],
    )?;
    Ok(())
}

// ----- items ---------------------------------------------------------------------------------

const ITEM_COLUMNS: &str = "i.id, i.path, i.depth, i.parent_id, i.title, i.type, i.link_reach, i.link_role,
     i.deleted_at, i.ancestors_deleted_at, i.filename, i.upload_state, i.mimetype, i.main_workspace,
     i.size, i.description, i.created_at, i.updated_at, u.id, u.full_name, u.short_name, i.metadata";
/// How many columns `ITEM_COLUMNS` selects: a query adding its own reads them from this index
/// on (counted from the list itself, so a new item column cannot shift them unnoticed).
const ITEM_COLUMN_COUNT: usize = column_count(ITEM_COLUMNS);

/// The columns of a plain, comma-separated select list.
const fn column_count(list: &str) -> usize {
    let bytes = list.as_bytes();
    let mut count = 1;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b',' {
            count += 1;
        }
        i += 1;
    }
    count
}
const ITEM_FROM: &str = "drive_items i LEFT JOIN drive_users u ON u.id = i.creator_id";

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    let kind: String = row.get(5)?;
    let reach: Option<String> = row.get(6)?;
    let link_role: String = row.get(7)?;
    let creator_id: Option<String> = row.get(18)?;
    Ok(Item {
        id: row.get(0)?,
        path: row.get(1)?,
        depth: row.get(2)?,
        parent_id: row.get(3)?,
        title: row.get(4)?,
        is_folder: kind == "folder",
        link_reach: reach.as_deref().and_then(Reach::parse),
        link_role: Role::parse(&link_role).unwrap_or(Role::Reader),
        deleted_at: row.get(8)?,
        ancestors_deleted_at: row.get(9)?,
        filename: row.get(10)?,
        upload_state: row.get(11)?,
        mimetype: row.get(12)?,
        main_workspace: row.get(13)?,
        size: row.get(14)?,
        description: row.get(15)?,
        created_at: row.get(16)?,
        updated_at: row.get(17)?,
        creator: match creator_id {
            Some(id) => Some(UserLight {
                id,
                full_name: row.get(19)?,
                short_name: row.get(20)?,
            }),
            None => None,
        },
        metadata: row
            .get::<_, Option<String>>(21)?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| serde_json::json!({})),
    })
}

/// An item that is not hard-deleted.
pub fn find_item(conn: &Connection, id: &str) -> Result<Option<Item>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.id = ?1 AND i.hard_deleted_at IS NULL"
        ))?
        .query_row([id], item_from_row)
        .optional()?)
}

/// Whether any row has this id, deleted ones included (client-chosen ids must be new).
pub fn item_id_taken(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM drive_items WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))?)
}

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// The caller's relation to `item` (roles and links along its path, counts, favorite).
pub fn item_context(conn: &Connection, item: &Item, user_id: &str) -> Result<ItemContext> {
    let mut context = access_context(conn, item, user_id)?;
    (context.numchild, context.numchild_folder) = child_counts(conn, item)?;
    Ok(context)
}

/// `numchild` and `numchild_folder` (§6.3): live direct children, pending ones included. Files
/// have none; a folder keeps its counts (migration 0007's triggers), so this is one row lookup.
pub fn child_counts(conn: &Connection, item: &Item) -> Result<(i64, i64)> {
    if !item.is_folder && item.external_app().is_none() {
        return Ok((0, 0));
    }
    let mut stmt =
        conn.prepare_cached("SELECT live_children, live_folder_children FROM drive_items WHERE id = ?1")?;
    Ok(stmt.query_row([&item.id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The caller's relation to `item` without the child counts: what permission checks need
/// (a folder of 100,000 items is not counted to decide whether one may list it).
pub fn access_context(conn: &Connection, item: &Item, user_id: &str) -> Result<ItemContext> {
    let ids = item.path_ids();
    let ancestors = &ids[..ids.len() - 1];
    let mut ancestor_links = Vec::new();
    if !ancestors.is_empty() {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT link_reach, link_role FROM drive_items
             WHERE id IN ({}) AND ancestors_deleted_at IS NULL",
            placeholders(ancestors.len())
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(ancestors), |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (reach, role) = row?;
            ancestor_links.push((
                reach.as_deref().and_then(Reach::parse),
                Role::parse(&role).unwrap_or(Role::Reader),
            ));
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT role, user_id = ? FROM drive_accesses WHERE item_id IN ({})",
        placeholders(ids.len())
    ))?;
    let mut args: Vec<&str> = vec![user_id];
    args.extend(&ids);
    let mut role = None;
    let mut nb_accesses = 0;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<bool>>(1)?))
    })?;
    for row in rows {
        let (text, mine) = row?;
        nb_accesses += 1;
        if mine == Some(true) {
            role = role.max(Role::parse(&text));
        }
    }
    let is_favorite = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM drive_favorites WHERE user_id = ?1 AND item_id = ?2)")?
        .query_row([user_id, &item.id], |r| r.get(0))?;
    Ok(ItemContext {
        ancestor_links,
        role,
        nb_accesses,
        numchild: 0,
        numchild_folder: 0,
        is_favorite,
        caller_is_creator: item.creator.as_ref().is_some_and(|c| c.id == user_id),
    })
}

/// A new item row, as the creation rules (§8.3, §8.7) decided it.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub id: String,
    pub parent: Option<Item>,
    pub title: String,
    pub is_folder: bool,
    pub link_reach: Option<Reach>,
    pub filename: Option<String>,
    pub description: Option<String>,
    pub quota_excluded: bool,
    pub creator_id: String,
    pub now: i64,
    /// `Item.metadata` (Drive PR #790); `{}` for every item before it.
    pub metadata: serde_json::Value,
}

pub fn insert_item(tx: &Transaction<'_>, new: &NewItem) -> Result<()> {
    let (path, depth, parent_id) = match &new.parent {
        Some(parent) => (
            format!("{}.{}", parent.path, new.id),
            parent.depth + 1,
            Some(parent.id.as_str()),
        ),
        None => (new.id.clone(), 1, None),
    };
    tx.prepare_cached(
        "INSERT INTO drive_items (id, path, depth, parent_id, title, type, link_reach, creator_id,
                                  filename, upload_state, description, quota_excluded, created_at, updated_at,
                                  metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)",
    )?
    .execute(params![
        new.id,
        path,
        depth,
        parent_id,
        new.title,
        if new.is_folder { "folder" } else { "file" },
        new.link_reach.map(Reach::as_str),
        new.creator_id,
        new.filename,
        // An external pointer has no body to upload: ready as created (PR #790).
        (!new.is_folder).then_some(if super::model::external_app(&new.metadata).is_some() {
            "ready"
        } else {
            "pending"
        }),
        new.description,
        new.quota_excluded,
        new.now,
        new.metadata.to_string(),
    ])?;
    Ok(())
}

pub fn insert_access(tx: &Transaction<'_>, item_id: &str, user_id: &str, role: Role, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO drive_accesses (id, item_id, user_id, role, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        item_id,
        user_id,
        role.as_str(),
        now
    ])?;
    Ok(())
}

/// Titles of the live children of `parent_id` (§6.3: "non-deleted" is `deleted_at` null or
/// `ancestors_deleted_at` null), for de-duplication.
pub fn sibling_titles(conn: &Connection, parent_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT title FROM drive_items WHERE parent_id = ?1 AND hard_deleted_at IS NULL
           AND (deleted_at IS NULL OR ancestors_deleted_at IS NULL)",
    )?;
    let titles = stmt
        .query_map([parent_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(titles)
}

/// Records that the caller reached an item (§6.5 LinkTrace); idempotent.
pub fn trace_link(tx: &Transaction<'_>, user_id: &str, item_id: &str, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO drive_link_traces (user_id, item_id, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![user_id, item_id, now])?;
    Ok(())
}

/// Which items a paginated listing runs over.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The children of an item (§8.6).
    Children(String),
    /// Everything in the trees the caller has an access on, or whose root they reached
    /// through a link (the paths given: link-traced items whose computed reach is not
    /// restricted, upstream's `get_queryset_for_descendants`) (§9.5 recents).
    AccessibleTrees(Vec<String>),
    /// The same, restricted to the caller's favorites (§9.5).
    Favorites(Vec<String>),
}

/// Items at or below one of the paths of the JSON array bound to the `?`.
const IN_TRACED_TREE: &str = "EXISTS (SELECT 1 FROM json_each(?) r
     WHERE i.path = r.value OR i.path LIKE r.value || '.%')";

/// Items of a tree the caller has an access on, on the item or an ancestor.
const IN_ACCESSIBLE_TREE: &str =
    "EXISTS (SELECT 1 FROM drive_accesses a JOIN drive_items p ON p.id = a.item_id
     WHERE a.user_id = ? AND (i.path = p.path OR i.path LIKE p.path || '.%'))";

/// One page of a listing: live items (not soft-deleted, not pending, not someone else's
/// suspicious file) in `scope`, filtered, in `order_sql` (a fixed ORDER BY list).
pub fn items_page(
    conn: &Connection,
    scope: &Scope,
    caller_id: &str,
    filter: &SqlFilter,
    order_sql: &str,
    (limit, offset): (i64, i64),
) -> Result<(i64, Vec<Item>)> {
    let trees = format!("({IN_ACCESSIBLE_TREE} OR {IN_TRACED_TREE})");
    let traced = |paths: &Vec<String>| serde_json::to_string(paths).unwrap_or_else(|_| "[]".into());
    let (scope_sql, scope_args) = match scope {
        Scope::Children(parent_id) => ("i.parent_id = ?".to_owned(), vec![parent_id.clone()]),
        Scope::AccessibleTrees(paths) => (trees, vec![caller_id.to_owned(), traced(paths)]),
        // `?1` is the caller, the first argument.
        Scope::Favorites(paths) => (
            format!(
                "{trees} AND EXISTS (SELECT 1 FROM drive_favorites f
                  WHERE f.item_id = i.id AND f.user_id = ?1)"
            ),
            vec![caller_id.to_owned(), traced(paths)],
        ),
    };
    let condition = format!(
        "{scope_sql} AND i.hard_deleted_at IS NULL AND i.deleted_at IS NULL
         AND i.ancestors_deleted_at IS NULL AND i.upload_state IS NOT 'pending'
         AND (i.upload_state IS NOT 'suspicious' OR i.creator_id = ?) {}",
        filter.sql
    );
    let mut args: Vec<String> = scope_args;
    args.push(caller_id.to_owned());
    args.extend(filter.args.iter().cloned());
    let count: i64 = match scope {
        // Unfiltered children: the folder's kept count, plus the caller's own suspicious files.
        // Without statistics SQLite prefers the covering children index, a scan of the whole
        // folder, to the partial index that holds only suspicious files: it is named.
        Scope::Children(parent_id) if filter.sql.is_empty() => conn
            .prepare_cached(
                "SELECT p.listed_children + (SELECT COUNT(*)
                    FROM drive_items i INDEXED BY drive_items_suspicious
                    WHERE i.parent_id = p.id AND i.upload_state = 'suspicious'
                      AND i.creator_id = ?2 AND i.hard_deleted_at IS NULL
                      AND i.deleted_at IS NULL AND i.ancestors_deleted_at IS NULL)
                 FROM drive_items p WHERE p.id = ?1",
            )?
            .query_row([parent_id, caller_id], |r| r.get(0))?,
        // The count needs no creator: the join is left out so the children index covers it.
        _ => conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM drive_items i WHERE {condition}"))?
            .query_row(rusqlite::params_from_iter(&args), |r| r.get(0))?,
    };
    // The page is bound, not written into the SQL: one cached statement serves every page.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE {condition} ORDER BY {order_sql} LIMIT ? OFFSET ?"
    ))?;
    args.push(limit.to_string());
    args.push(offset.to_string());
    let items = stmt
        .query_map(rusqlite::params_from_iter(&args), item_from_row)?
        .collect::<Result<_, _>>()?;
    Ok((count, items))
}

/// The live folders among the children of `parent_ids` (§8.13's tree nodes), oldest first.
pub fn child_folders(conn: &Connection, parent_ids: &[&str], caller_id: &str) -> Result<Vec<Item>> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<&str> = parent_ids.to_vec();
    args.push(caller_id);
    let mut stmt = conn.prepare(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE i.parent_id IN ({}) AND i.type = 'folder' AND i.hard_deleted_at IS NULL
           AND i.deleted_at IS NULL AND i.ancestors_deleted_at IS NULL
           AND (i.upload_state IS NOT 'suspicious' OR i.creator_id = ?)
         ORDER BY i.created_at, i.rowid",
        placeholders(parent_ids.len())
    ))?;
    let items = stmt
        .query_map(rusqlite::params_from_iter(args), item_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(items)
}

/// Records a finished upload: type, size and state. Like upstream's partial save, it leaves
/// `updated_at` alone.
pub fn finish_upload(tx: &Transaction<'_>, id: &str, mimetype: &str, size: i64, state: &str) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET mimetype = ?2, size = ?3, upload_state = ?4 WHERE id = ?1")?
        .execute(params![id, mimetype, size, state])?;
    Ok(())
}

/// Deletes an item's rows outright (a refused upload: a file, so no descendants).
pub fn delete_item_rows(tx: &Transaction<'_>, id: &str) -> Result<()> {
    for table in ["drive_accesses", "drive_favorites", "drive_link_traces"] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE item_id = ?1"))?
            .execute([id])?;
    }
    tx.prepare_cached("DELETE FROM drive_items WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Extra conditions of a listing: an SQL fragment over `i` built from fixed text only, with
/// `?` for each of `args`.
#[derive(Debug, Clone, Default)]
pub struct SqlFilter {
    pub sql: String,
    pub args: Vec<String>,
}

impl SqlFilter {
    pub fn and(&mut self, condition: &str, arg: impl Into<String>) {
        self.and_all(condition, [arg.into()]);
    }

    /// A condition with several `?`, bound in order.
    pub fn and_all(&mut self, condition: &str, args: impl IntoIterator<Item = String>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self.args.extend(args);
    }
}

/// Candidates of the caller's items list (§8.1 steps 1-3, in `order_sql` order): live, not
/// pending, not someone else's suspicious file, and either accessed directly by the caller
/// (`.1` true) or only traced through a link (`.1` false: the caller checks the reach).
pub fn list_candidates(
    conn: &Connection,
    caller_id: &str,
    filter: &SqlFilter,
    order_sql: &str,
) -> Result<Vec<(Item, bool)>> {
    let mut args: Vec<String> = vec![caller_id.to_owned(); 4];
    args.extend(filter.args.iter().cloned());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS},
                EXISTS (SELECT 1 FROM drive_accesses a WHERE a.item_id = i.id AND a.user_id = ?1)
         FROM {ITEM_FROM}
         WHERE i.hard_deleted_at IS NULL AND i.ancestors_deleted_at IS NULL
           AND i.upload_state IS NOT 'pending'
           AND (i.upload_state IS NOT 'suspicious' OR i.creator_id = ?2)
           AND (EXISTS (SELECT 1 FROM drive_accesses a WHERE a.item_id = i.id AND a.user_id = ?3)
                OR EXISTS (SELECT 1 FROM drive_link_traces t WHERE t.item_id = i.id AND t.user_id = ?4))
           {}
         ORDER BY {order_sql}",
        filter.sql
    ))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(&args), |row| {
            Ok((item_from_row(row)?, row.get::<_, bool>(ITEM_COLUMN_COUNT)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The items on `item`'s path, root first, the item itself last (hard-deleted ones left out).
pub fn path_items(conn: &Connection, item: &Item) -> Result<Vec<Item>> {
    let ids = item.path_ids();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.id IN ({}) AND i.hard_deleted_at IS NULL
         ORDER BY i.depth",
        placeholders(ids.len())
    ))?;
    let items = stmt
        .query_map(rusqlite::params_from_iter(ids), item_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(items)
}

/// Whether `user_id` has an access row on the item itself.
pub fn has_direct_access(conn: &Connection, item_id: &str, user_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM drive_accesses WHERE item_id = ?1 AND user_id = ?2)")?
        .query_row([item_id, user_id], |r| r.get(0))?)
}

/// The `path` range of an item's strict descendants: labels are joined by `.`, and `/` is the
/// character after `.`, so `path > 'p.' AND path < 'p/'` is an index range scan.
const DESCENDANTS: &str = "path > ?1 || '.' AND path < ?1 || '/'";

/// Sets the writable fields of `items/{id}/` and bumps `updated_at`.
pub fn update_item(
    tx: &Transaction<'_>,
    id: &str,
    title: &str,
    description: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET title = ?2, description = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, title, description, now])?;
    Ok(())
}

/// What upstream's `rename_file` task saves: the new `filename` and `updated_at`.
pub fn set_filename(tx: &Transaction<'_>, id: &str, filename: &str, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET filename = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, filename, now])?;
    Ok(())
}

/// Soft delete (§6.9): the item is deleted, and descendants not yet in a deleted subtree are
/// now inside one.
pub fn soft_delete(tx: &Transaction<'_>, item: &Item, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET deleted_at = ?2, ancestors_deleted_at = ?2 WHERE id = ?1")?
        .execute(params![item.id, now])?;
    tx.prepare_cached(&format!("UPDATE drive_items SET ancestors_deleted_at = ?2 WHERE {DESCENDANTS} AND ancestors_deleted_at IS NULL"))?.execute(
        params![item.path, now],
    )?;
    Ok(())
}

/// Restore (§6.9): the item and the descendants its deletion reached come back; those deleted
/// on their own or earlier stay in the trash.
pub fn restore(tx: &Transaction<'_>, item: &Item) -> Result<()> {
    let deleted_at = item.deleted_at.unwrap_or_default();
    tx.prepare_cached("UPDATE drive_items SET deleted_at = NULL, ancestors_deleted_at = NULL WHERE id = ?1")?
        .execute([&item.id])?;
    tx.prepare_cached(&format!(
        "UPDATE drive_items SET ancestors_deleted_at = NULL
             WHERE {DESCENDANTS} AND deleted_at IS NULL AND ancestors_deleted_at >= ?2"
    ))?
    .execute(params![item.path, deleted_at])?;
    Ok(())
}

/// Hard delete (§6.9): the item and its descendants become invisible at once. Returns the
/// object keys of the files among them, for the purge.
pub fn hard_delete(tx: &Transaction<'_>, item: &Item, now: i64) -> Result<Vec<String>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT id, filename FROM drive_items
         WHERE (id = ?2 OR {DESCENDANTS}) AND type = 'file' AND filename IS NOT NULL"
    ))?;
    let keys = stmt
        .query_map(params![item.path, item.id], |r| {
            Ok(format!(
                "item/{}/{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached(&format!(
        "UPDATE drive_items SET hard_deleted_at = ?3 WHERE id = ?2 OR {DESCENDANTS}"
    ))?
    .execute(params![item.path, item.id, now])?;
    Ok(keys)
}

/// Moves `item` and its subtree under `target` (None: to the root) in one statement over the
/// subtree's path range: O(subtree), never O(all items).
pub fn move_subtree(tx: &Transaction<'_>, item: &Item, target: Option<&Item>) -> Result<()> {
    let (new_path, new_depth, parent_id) = match target {
        Some(target) => (
            format!("{}.{}", target.path, item.id),
            target.depth + 1,
            Some(target.id.as_str()),
        ),
        None => (item.id.clone(), 1, None),
    };
    let delta = new_depth - item.depth;
    tx.prepare_cached(&format!(
        "UPDATE drive_items SET path = ?2 || substr(path, length(?1) + 1), depth = depth + ?3
             WHERE {DESCENDANTS}"
    ))?
    .execute(params![item.path, new_path, delta])?;
    tx.prepare_cached("UPDATE drive_items SET path = ?2, depth = ?3, parent_id = ?4 WHERE id = ?1")?
        .execute(params![item.id, new_path, new_depth, parent_id])?;
    Ok(())
}

pub fn set_link(tx: &Transaction<'_>, id: &str, reach: Option<Reach>, role: Role) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET link_reach = ?2, link_role = ?3 WHERE id = ?1")?
        .execute(params![id, reach.map(Reach::as_str), role.as_str()])?;
    Ok(())
}

/// Descendants inherit their link again (after a widening of the item's own reach).
pub fn reset_descendant_links(tx: &Transaction<'_>, item: &Item) -> Result<()> {
    tx.prepare_cached(&format!(
        "UPDATE drive_items SET link_reach = NULL WHERE {DESCENDANTS}"
    ))?
    .execute([&item.path])?;
    Ok(())
}

pub fn set_creator(tx: &Transaction<'_>, id: &str, user_id: &str) -> Result<()> {
    tx.prepare_cached("UPDATE drive_items SET creator_id = ?2 WHERE id = ?1")?
        .execute([id, user_id])?;
    Ok(())
}

/// Adds or removes a favorite; false when there was nothing to change.
pub fn set_favorite(
    tx: &Transaction<'_>,
    user_id: &str,
    item_id: &str,
    favorite: bool,
    now: i64,
) -> Result<bool> {
    let changed = if favorite {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO drive_favorites (user_id, item_id, created_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![user_id, item_id, now])?
    } else {
        tx.prepare_cached("DELETE FROM drive_favorites WHERE user_id = ?1 AND item_id = ?2")?
            .execute([user_id, item_id])?
    };
    Ok(changed > 0)
}

/// Items deleted on their own since `since`, not hard-deleted, oldest first (the trashbin's
/// candidates; the caller keeps those the user owns).
pub fn deleted_since(conn: &Connection, since: i64, filter: &SqlFilter) -> Result<Vec<Item>> {
    let mut args: Vec<String> = vec![since.to_string()];
    args.extend(filter.args.iter().cloned());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE i.deleted_at IS NOT NULL AND i.deleted_at >= CAST(? AS INTEGER)
           AND i.hard_deleted_at IS NULL {}
         ORDER BY i.created_at, i.rowid",
        filter.sql
    ))?;
    let items = stmt
        .query_map(rusqlite::params_from_iter(&args), item_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(items)
}

/// An active user and the bytes they store (§6.10: sizes of the items they created that are
/// not hard-deleted and not quota-excluded; soft-deleted items still count).
#[derive(Debug, Clone)]
pub struct UserUsage {
    pub sub: String,
    pub email: Option<String>,
    pub claims: serde_json::Map<String, serde_json::Value>,
    pub storage_used: i64,
}

pub fn usage_by_user(conn: &Connection) -> Result<Vec<UserUsage>> {
    let mut stmt = conn.prepare(
        "SELECT u.sub, u.email, u.claims,
                COALESCE((SELECT SUM(i.size) FROM drive_items i WHERE i.creator_id = u.id
                            AND i.hard_deleted_at IS NULL AND NOT i.quota_excluded), 0)
         FROM drive_users u WHERE u.is_active ORDER BY u.rowid",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let claims: String = r.get(2)?;
            Ok(UserUsage {
                sub: r.get(0)?,
                email: r.get(1)?,
                claims: serde_json::from_str(&claims).unwrap_or_default(),
                storage_used: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

// ----- the dashboard (src/admin/dashboard.rs) -------------------------------------------------

/// Every Drive user, oldest first, at most `limit`.
/// Drive's users in the order they first came, after the user `after` (none: from the first),
/// at most `limit`; `None` when `after` names no user.
pub fn users_page(conn: &Connection, after: Option<&str>, limit: i64) -> Result<Option<Vec<DriveUser>>> {
    let Some(after) = after else {
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM drive_users ORDER BY created_at, id LIMIT ?1"
        ))?;
        let users = stmt.query_map([limit], user_from_row)?;
        return Ok(Some(users.collect::<rusqlite::Result<Vec<_>>>()?));
    };
    let cursor: Option<(i64, String)> = conn
        .prepare_cached("SELECT created_at, id FROM drive_users WHERE id = ?1")?
        .query_row([after], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((created_at, id)) = cursor else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM drive_users WHERE (created_at, id) > (?1, ?2)
         ORDER BY created_at, id LIMIT ?3"
    ))?;
    let users = stmt.query_map(rusqlite::params![created_at, id, limit], user_from_row)?;
    Ok(Some(users.collect::<rusqlite::Result<Vec<_>>>()?))
}

/// Which items the dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing<'a> {
    /// The items a user holds a direct access to whose parent they cannot reach that way (their
    /// tree's tops), not deleted.
    Tops(&'a str),
    /// The children of an item, not deleted.
    Children(&'a str),
    /// What a user created that is in the trash (deleted, not hard-deleted).
    Trash(&'a str),
}

/// One page of items, by (created_at, id) keyset after `after`.
pub fn dashboard_items(
    conn: &Connection,
    listing: Listing<'_>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Item>> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
    let (condition, arg) = match listing {
        Listing::Tops(user) => (
            "i.deleted_at IS NULL AND i.ancestors_deleted_at IS NULL AND i.id IN
               (SELECT a.item_id FROM drive_accesses a WHERE a.user_id = ?1)
             AND (i.parent_id IS NULL OR i.parent_id NOT IN
               (SELECT a.item_id FROM drive_accesses a WHERE a.user_id = ?1))",
            user,
        ),
        Listing::Children(parent) => (
            "i.parent_id = ?1 AND i.deleted_at IS NULL AND i.ancestors_deleted_at IS NULL",
            parent,
        ),
        Listing::Trash(user) => ("i.creator_id = ?1 AND i.deleted_at IS NOT NULL", user),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE {condition} AND i.hard_deleted_at IS NULL
           AND (i.created_at > ?2 OR (i.created_at = ?2 AND i.id > ?3))
         ORDER BY i.created_at, i.id LIMIT ?4"
    ))?;
    let items = stmt
        .query_map(params![arg, after_at, after_id, limit], item_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// An item's direct accesses (`id`, the user's e-mail or the team, role) and invitations
/// (`id`, e-mail, role), for the dashboard.
#[allow(clippy::type_complexity)]
pub fn item_sharing(
    conn: &Connection,
    item_id: &str,
) -> Result<(Vec<(String, String, String)>, Vec<(String, String, String)>)> {
    let mut stmt = conn.prepare(
        "SELECT a.id, COALESCE(u.email, u.sub, a.team), a.role FROM drive_accesses a
         LEFT JOIN drive_users u ON u.id = a.user_id WHERE a.item_id = ?1 ORDER BY a.created_at, a.id",
    )?;
    let accesses = stmt
        .query_map([item_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, email, role FROM drive_invitations WHERE item_id = ?1 ORDER BY created_at, id",
    )?;
    let invitations = stmt
        .query_map([item_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((accesses, invitations))
}

/// How many items are not hard-deleted (the overview's count).
pub fn count_items(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM drive_items WHERE hard_deleted_at IS NULL")?
        .query_row([], |row| row.get(0))?)
}

/// Drive PR #790: the pointer items (`metadata.external_app` set) of the subtree at `path`,
/// the item itself included, not hard-deleted, by path.
pub fn external_pointers(conn: &Connection, path: &str) -> Result<Vec<(String, serde_json::Value)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, metadata FROM drive_items
         WHERE (path = ?1 OR {DESCENDANTS}) AND hard_deleted_at IS NULL
           AND json_type(metadata, '$.external_app') IS NOT NULL
         ORDER BY path"
    ))?;
    let rows = stmt
        .query_map([path], |row| {
            let text: String = row.get(1)?;
            Ok((row.get(0)?, serde_json::from_str(&text).unwrap_or_default()))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// `tree-descendants`' root: the topmost ancestor of `item` (itself included) pointing to
/// `app_name`, whose deletion did not reach it, readable per se by `user_id` (an access of
/// theirs on it, or a link reach other than restricted).
pub fn topmost_readable_pointer(
    conn: &Connection,
    item: &Item,
    app_name: &str,
    user_id: &str,
) -> Result<Option<Item>> {
    let ids = item.path_ids();
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE i.id IN ({}) AND i.hard_deleted_at IS NULL AND i.ancestors_deleted_at IS NULL
           AND json_extract(i.metadata, '$.external_app') = ?
           AND (i.link_reach IN ('authenticated', 'public')
                OR EXISTS (SELECT 1 FROM drive_accesses a WHERE a.item_id = i.id AND a.user_id = ?))
         ORDER BY i.path LIMIT 1",
        placeholders(ids.len())
    );
    let mut args: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    args.push(app_name.to_owned());
    args.push(user_id.to_owned());
    Ok(conn
        .query_row(&sql, rusqlite::params_from_iter(&args), item_from_row)
        .optional()?)
}

/// The live subtree at `path` (itself included): not deleted, not under a deletion, without
/// others' suspicious files; by path.
pub fn live_subtree(conn: &Connection, path: &str, user_id: &str) -> Result<Vec<Item>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}
         WHERE (i.path = ?1 OR i.path > ?1 || '.' AND i.path < ?1 || '/')
           AND i.hard_deleted_at IS NULL AND i.deleted_at IS NULL AND i.ancestors_deleted_at IS NULL
           AND (i.upload_state IS NOT 'suspicious' OR i.creator_id = ?2)
         ORDER BY i.path"
    ))?;
    let items = stmt
        .query_map(params![path, user_id], item_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(items)
}

/// PR #790's fallback lookup of an impersonated user: `email__iexact`, the first one.
pub fn find_by_email_iexact(conn: &Connection, email: &str) -> Result<Option<DriveUser>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM drive_users WHERE lower(email) = lower(?1) ORDER BY rowid LIMIT 1"
        ))?
        .query_row([email], user_from_row)
        .optional()?)
}
