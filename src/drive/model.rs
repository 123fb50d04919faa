//! Drive's domain types.

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct DriveUser {
    pub id: String,
    pub sub: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub short_name: Option<String>,
    pub language: Option<String>,
    pub last_release_note_seen: Option<String>,
    pub column_preferences: Option<Value>,
    pub is_active: bool,
}

impl DriveUser {
    /// The `User` representation (spec §7.2).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "full_name": self.full_name,
            "short_name": self.short_name,
            "language": self.language,
            "last_release_note_seen": self.last_release_note_seen,
            "column_preferences": self.column_preferences,
        })
    }
}

/// Access roles in increasing priority (§6.1); "no role" is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Reader,
    Editor,
    Administrator,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reader, Role::Editor, Role::Administrator, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Administrator => "administrator",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    pub fn is_privileged(self) -> bool {
        self >= Role::Administrator
    }
}

/// Link reach in increasing priority (§6.1); "inherit" is `None`, which sorts lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    Restricted,
    Authenticated,
    Public,
}

impl Reach {
    pub const ALL: [Reach; 3] = [Reach::Restricted, Reach::Authenticated, Reach::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            Reach::Restricted => "restricted",
            Reach::Authenticated => "authenticated",
            Reach::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reach| reach.as_str() == text)
    }
}

/// PR #790's `is_external`: `bool(metadata.get("external_app"))`, with Python's truthiness;
/// the app's name when it is a string.
pub fn external_app(metadata: &Value) -> Option<String> {
    match metadata.get("external_app")? {
        Value::String(app) if !app.is_empty() => Some(app.clone()),
        Value::Null | Value::Bool(false) | Value::String(_) => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::Number(n) if n.as_f64() == Some(0.0) => None,
        other => Some(other.to_string()),
    }
}

/// A folder or a file (§6.3). Timestamps are Unix microseconds.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub path: String,
    pub depth: i64,
    pub parent_id: Option<String>,
    pub title: String,
    pub is_folder: bool,
    pub link_reach: Option<Reach>,
    /// Only `reader` or `editor`.
    pub link_role: Role,
    pub creator: Option<UserLight>,
    pub deleted_at: Option<i64>,
    pub ancestors_deleted_at: Option<i64>,
    pub filename: Option<String>,
    pub upload_state: Option<String>,
    pub mimetype: Option<String>,
    pub main_workspace: bool,
    pub size: Option<i64>,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `Item.metadata` (Drive PR #790): a JSON object, `{}` unless an app set it.
    pub metadata: Value,
}

impl Item {
    /// The app this item points to (PR #790's `is_external`).
    pub fn external_app(&self) -> Option<String> {
        external_app(&self.metadata)
    }

    pub fn kind(&self) -> &'static str {
        if self.is_folder { "folder" } else { "file" }
    }

    /// The ids on the path, root first, the item's own id last.
    pub fn path_ids(&self) -> Vec<&str> {
        self.path.split('.').collect()
    }

    /// The S3 key of a file's body (§6.4).
    pub fn object_key(&self) -> Option<String> {
        let filename = self.filename.as_ref().filter(|_| !self.is_folder)?;
        Some(format!("item/{}/{filename}", self.id))
    }
}

/// `UserLight` (§7.1): the creator shown on an item.
#[derive(Debug, Clone)]
pub struct UserLight {
    pub id: String,
    pub full_name: Option<String>,
    pub short_name: Option<String>,
}

impl UserLight {
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "full_name": self.full_name, "short_name": self.short_name})
    }
}

/// What the requesting user's relation to an item depends on, read with the item: its
/// ancestors' link settings, the user's roles on the item and its ancestors, and counts.
#[derive(Debug, Clone, Default)]
pub struct ItemContext {
    /// `(link_reach, link_role)` of each strict ancestor whose `ancestors_deleted_at` is null.
    pub ancestor_links: Vec<(Option<Reach>, Role)>,
    /// The caller's explicit role on the item or any ancestor (§6.6 `get_role`).
    pub role: Option<Role>,
    /// Access rows on the item and all its ancestors.
    pub nb_accesses: i64,
    pub numchild: i64,
    pub numchild_folder: i64,
    pub is_favorite: bool,
    pub caller_is_creator: bool,
}
