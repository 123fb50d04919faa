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
