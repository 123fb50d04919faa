//! Items seeded by fixtures (`[[drive.items]]`): folders with their owner, accesses and
//! favorites, written idempotently at every start. The default fixture seeds one main
//! workspace for alice and for bob, as a Drive that predates 0.13 holds (spec §6.3), so the
//! integration recipe "find the main workspace, create a file in it" works out of the box.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::model::{Reach, Role};
use super::repo;
use crate::error::Result;

/// One seeded folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ItemSeed {
    /// Default: a UUID derived from the owner and the title, stable across starts.
    pub id: Option<String>,
    pub title: String,
    /// Username (or email) in Drive's realm; it gets the `owner` access on a root item.
    pub owner: String,
    /// The parent folder's id; absent for a root.
    pub parent: Option<String>,
    #[serde(default)]
    pub main_workspace: bool,
    /// Default `restricted` for roots, inherited (unset) below a parent.
    pub link_reach: Option<String>,
    pub link_role: Option<String>,
    pub description: Option<String>,
    /// Other users' roles on the item: `{ user = "bob", role = "reader" }`.
    #[serde(default)]
    pub accesses: Vec<AccessSeed>,
    /// Users who marked it as a favorite.
    #[serde(default)]
    pub favorite_of: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessSeed {
    pub user: String,
    pub role: String,
}

impl ItemSeed {
    pub fn resolved_id(&self) -> String {
        match &self.id {
            Some(id) => id.to_lowercase(),
            None => uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                format!("lasuite-emu:drive-item:{}:{}", self.owner, self.title).as_bytes(),
            )
            .to_string(),
        }
    }

    /// Checks what can be checked without the database.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.title;
        if let Some(id) = &self.id
            && uuid::Uuid::parse_str(id).is_err()
        {
            return Err(format!("item {name}: id {id} is not a UUID"));
        }
        if name.trim().is_empty() || name.chars().count() > 255 {
            return Err("an item's title must have 1 to 255 characters".into());
        }
        if let Some(reach) = &self.link_reach
            && Reach::parse(reach).is_none()
        {
            return Err(format!("item {name}: unknown link_reach {reach}"));
        }
        if let Some(role) = &self.link_role
            && !["reader", "editor"].contains(&role.as_str())
        {
            return Err(format!("item {name}: link_role must be reader or editor"));
        }
        if let Some(access) = self.accesses.iter().find(|a| Role::parse(&a.role).is_none()) {
            return Err(format!("item {name}: unknown role {}", access.role));
        }
        Ok(())
    }
}

/// Writes the seeds: missing items are created (existing ones are left as they are, so a
/// restart keeps what tests changed), and their accesses and favorites ensured.
pub fn apply(tx: &Transaction<'_>, realm: &str, seeds: &[ItemSeed], now_secs: i64) -> Result<()> {
    let now = now_secs * 1_000_000;
    for seed in seeds {
        let Some(owner) = drive_user(tx, realm, &seed.owner, now_secs)? else {
            tracing::warn!(
                owner = seed.owner,
                title = seed.title,
                "seeded item skipped: no such user"
            );
            continue;
        };
        let id = seed.resolved_id();
        if repo::find_item(tx, &id)?.is_none() {
            let parent = match &seed.parent {
                Some(parent_id) => match repo::find_item(tx, &parent_id.to_lowercase())? {
                    Some(parent) => Some(parent),
                    None => {
                        tracing::warn!(
                            title = seed.title,
                            parent = parent_id,
                            "seeded item skipped: no such parent"
                        );
                        continue;
                    }
                },
                None => None,
            };
            let is_root = parent.is_none();
            let new = repo::NewItem {
                id: id.clone(),
                parent,
                title: seed.title.clone(),
                is_folder: true,
                link_reach: match &seed.link_reach {
                    Some(reach) => Reach::parse(reach),
                    None => is_root.then_some(Reach::Restricted),
                },
                filename: None,
                description: seed.description.clone(),
                quota_excluded: false,
                creator_id: owner.clone(),
                now,
                metadata: serde_json::json!({}),
            };
            repo::insert_item(tx, &new)?;
            tx.execute(
                "UPDATE drive_items SET main_workspace = ?2, link_role = ?3 WHERE id = ?1",
                params![
                    id,
                    seed.main_workspace,
                    seed.link_role.as_deref().unwrap_or("reader")
                ],
            )?;
            if is_root {
                repo::insert_access(tx, &id, &owner, Role::Owner, now)?;
            }
        }
        for access in &seed.accesses {
            let (Some(user), Some(role)) = (
                drive_user(tx, realm, &access.user, now_secs)?,
                Role::parse(&access.role),
            ) else {
                continue;
            };
            tx.execute(
                "INSERT OR IGNORE INTO drive_accesses (id, item_id, user_id, role, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![uuid::Uuid::new_v4().to_string(), id, user, role.as_str(), now],
            )?;
        }
        for login in &seed.favorite_of {
            if let Some(user) = drive_user(tx, realm, login, now_secs)? {
                tx.execute(
                    "INSERT OR IGNORE INTO drive_favorites (user_id, item_id, created_at) VALUES (?1, ?2, ?3)",
                    params![user, id, now],
                )?;
            }
        }
    }
    Ok(())
}

/// The Drive user id of the realm user `login`, created like a first API call would.
fn drive_user(tx: &Transaction<'_>, realm: &str, login: &str, now_secs: i64) -> Result<Option<String>> {
    let canonical: Option<String> = tx
        .query_row("SELECT realm FROM realm_names WHERE name = ?1", [realm], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(realm_user) =
        crate::oidc::store::find_user_by_login(tx, canonical.as_deref().unwrap_or(realm), login)?
    else {
        return Ok(None);
    };
    if let Some(user) = repo::find_by_sub(tx, &realm_user.sub)? {
        return Ok(Some(user.id));
    }
    let user = repo::create_from_realm_user(tx, &realm_user, None, now_secs)?;
    Ok(Some(user.id))
}
