//! The issuer's domain types: realms, clients, users, as read from the database.

use serde_json::{Map, Value};

/// A realm as reached through one of its names. The canonical `name` keys clients, users and
/// sessions; `requested` is the name in the URL (an alias or the realm itself), which is what
/// goes into `iss`.
#[derive(Debug, Clone)]
pub struct Realm {
    pub name: String,
    pub requested: String,
    pub display_name: String,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub code_ttl: i64,
}

impl Realm {
    /// The issuer URL: the public base URL and the realm name used, never the `Host` header.
    pub fn issuer(&self, public_url: &str) -> String {
        format!("{public_url}/realms/{}", self.requested)
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    /// None: a public client.
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub direct_access_grants: bool,
    pub service_account: bool,
    pub userinfo_signed: bool,
    pub introspection_encryption_key: Option<String>,
    pub introspection_signing_alg: String,
    pub audiences: Vec<String>,
    pub full_scope_allowed: bool,
    pub standard_token_exchange: bool,
    pub token_exchange_refresh: bool,
    pub access_token_lifespan: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password: String,
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub enabled: bool,
    pub claims: Map<String, Value>,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// The profile and email claims Keycloak's default mappers produce, with the dev realms'
    /// `first_name`/`last_name` next to the standard names, then the user's extra claims.
    pub fn profile_claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("sub".into(), self.sub.clone().into());
        claims.insert("email_verified".into(), self.email_verified.into());
        claims.insert("name".into(), self.full_name().into());
        claims.insert("preferred_username".into(), self.username.clone().into());
        claims.insert("given_name".into(), self.first_name.clone().into());
        claims.insert("family_name".into(), self.last_name.clone().into());
        claims.insert("first_name".into(), self.first_name.clone().into());
        claims.insert("last_name".into(), self.last_name.clone().into());
        claims.insert("email".into(), self.email.clone().into());
        for (key, value) in &self.claims {
            claims.insert(key.clone(), value.clone());
        }
        claims
    }
}

/// What a stored token row says, for refresh, revocation and introspection.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub realm_name: String,
    pub client_id: String,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub scope: String,
    pub expires_at: i64,
    pub revoked: bool,
    /// The SSO session was ended (logout) or the user disabled.
    pub session_or_user_gone: bool,
    pub claims: Map<String, Value>,
}

impl TokenRecord {
    pub fn is_active(&self, now: i64) -> bool {
        !self.revoked && !self.session_or_user_gone && self.expires_at > now
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// An authorization code as stored, with what it is bound to.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub code: String,
    pub realm_name: String,
    pub client_id: String,
    pub user_id: i64,
    pub session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
    pub used: bool,
}
