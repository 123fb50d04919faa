//! All of the issuer's SQL. Knows nothing of HTTP: callers pass plain values and get model
//! types back. Every function runs inside a `Db::read` / `Db::write` closure.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde_json::{Map, Value};

use super::model::{AuthCode, Client, Realm, TokenKind, TokenRecord, User};
use crate::error::Result;
use crate::fixtures::{
    ClientFixture, DEFAULT_ACCESS_TOKEN_TTL, DEFAULT_CODE_TTL, DEFAULT_REFRESH_TOKEN_TTL, RealmFixture,
    UserFixture,
};

// ---- realms, clients, users (fixtures) ----

/// Creates or updates a realm with its names, clients and users. Users keep their row (and
/// so their sessions and tokens) when a fixture is re-applied.
pub fn upsert_realm(tx: &Transaction<'_>, realm: &RealmFixture) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO realms (name, display_name, access_token_ttl, refresh_token_ttl, code_ttl)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name,
             access_token_ttl = excluded.access_token_ttl,
             refresh_token_ttl = excluded.refresh_token_ttl, code_ttl = excluded.code_ttl",
    )?
    .execute(params![
        realm.name,
        realm.display_name.as_deref().unwrap_or(&realm.name),
        realm.access_token_lifespan.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
        realm.refresh_token_lifespan.unwrap_or(DEFAULT_REFRESH_TOKEN_TTL),
        realm.code_lifespan.unwrap_or(DEFAULT_CODE_TTL),
    ])?;
    for name in std::iter::once(&realm.name).chain(&realm.aliases) {
        tx.prepare_cached(
            "INSERT INTO realm_names (name, realm) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET realm = excluded.realm",
        )?
        .execute(params![name, realm.name])?;
    }
    for client in &realm.clients {
        upsert_client(tx, &realm.name, client)?;
    }
    for user in &realm.users {
        upsert_user(tx, &realm.name, user)?;
    }
    Ok(())
}

pub fn upsert_client(tx: &Transaction<'_>, realm: &str, client: &ClientFixture) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO clients (realm, client_id, secret, redirect_uris, post_logout_redirect_uris,
             direct_access_grants, service_account, userinfo_signed,
             introspection_encryption_key, introspection_signing_alg, audiences, full_scope_allowed,
             standard_token_exchange, token_exchange_refresh, access_token_lifespan)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (realm, client_id) DO UPDATE SET secret = excluded.secret,
             redirect_uris = excluded.redirect_uris,
             post_logout_redirect_uris = excluded.post_logout_redirect_uris,
             direct_access_grants = excluded.direct_access_grants,
             service_account = excluded.service_account,
             userinfo_signed = excluded.userinfo_signed,
             introspection_encryption_key = excluded.introspection_encryption_key,
             introspection_signing_alg = excluded.introspection_signing_alg,
             audiences = excluded.audiences,
             full_scope_allowed = excluded.full_scope_allowed,
             standard_token_exchange = excluded.standard_token_exchange,
             token_exchange_refresh = excluded.token_exchange_refresh,
             access_token_lifespan = excluded.access_token_lifespan",
    )?
    .execute(params![
        realm,
        client.client_id,
        client.secret,
        serde_json::to_string(&client.redirect_uris)?,
        serde_json::to_string(&client.post_logout_redirect_uris)?,
        client.direct_access_grants,
        client.service_account,
        client.userinfo_signed,
        client.introspection_encryption_key,
        client.introspection_signing_alg.as_deref().unwrap_or("ES256"),
        serde_json::to_string(&client.audiences)?,
        client.full_scope_allowed,
        client.standard_token_exchange,
        client.token_exchange_refresh,
        client.access_token_lifespan,
    ])?;
    Ok(())
}

pub fn upsert_user(tx: &Transaction<'_>, realm: &str, user: &UserFixture) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO users (realm, username, password, sub, email, email_verified, first_name,
             last_name, enabled, claims)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (realm, username) DO UPDATE SET password = excluded.password,
             sub = excluded.sub, email = excluded.email, email_verified = excluded.email_verified,
             first_name = excluded.first_name, last_name = excluded.last_name,
             enabled = excluded.enabled, claims = excluded.claims",
    )?
    .execute(params![
        realm,
        user.username,
        user.password,
        user.sub_in(realm),
        user.email,
        user.email_verified,
        user.first_name,
        user.last_name,
        user.enabled,
        serde_json::to_string(&user.claims)?,
    ])?;
    Ok(())
}

/// Every name every realm answers to, with the realm's settings (`requested` set to the
/// name), for the in-memory directory.
pub fn load_realms(conn: &Connection) -> Result<Vec<Realm>> {
    let mut stmt = conn.prepare(
        "SELECT n.name, r.name, r.display_name, r.access_token_ttl, r.refresh_token_ttl, r.code_ttl
         FROM realm_names n JOIN realms r ON r.name = n.realm
         ORDER BY r.name, n.name <> r.name, n.name",
    )?;
    let realms = stmt
        .query_map([], |row| {
            Ok(Realm {
                requested: row.get(0)?,
                name: row.get(1)?,
                display_name: row.get(2)?,
                access_token_ttl: row.get(3)?,
                refresh_token_ttl: row.get(4)?,
                code_ttl: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(realms)
}

/// Every client of every realm, as `(realm, client)`, for the in-memory directory.
pub fn load_clients(conn: &Connection) -> Result<Vec<(String, Client)>> {
    let mut stmt = conn.prepare(
        "SELECT realm, client_id, secret, redirect_uris, post_logout_redirect_uris, direct_access_grants,
                service_account, userinfo_signed, introspection_encryption_key, introspection_signing_alg,
                audiences, full_scope_allowed, standard_token_exchange, token_exchange_refresh,
                access_token_lifespan
         FROM clients ORDER BY realm, client_id",
    )?;
    let clients = stmt
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                Client {
                    client_id: row.get(1)?,
                    secret: row.get(2)?,
                    redirect_uris: json_list(&row.get::<_, String>(3)?),
                    post_logout_redirect_uris: json_list(&row.get::<_, String>(4)?),
                    direct_access_grants: row.get(5)?,
                    service_account: row.get(6)?,
                    userinfo_signed: row.get(7)?,
                    introspection_encryption_key: row.get(8)?,
                    introspection_signing_alg: row.get(9)?,
                    audiences: json_list(&row.get::<_, String>(10)?),
                    full_scope_allowed: row.get(11)?,
                    standard_token_exchange: row.get(12)?,
                    token_exchange_refresh: row.get(13)?,
                    access_token_lifespan: row.get(14)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(clients)
}

const USER_COLUMNS: &str =
    "id, username, password, sub, email, email_verified, first_name, last_name, enabled, claims";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let claims: String = row.get(9)?;
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        password: row.get(2)?,
        sub: row.get(3)?,
        email: row.get(4)?,
        email_verified: row.get(5)?,
        first_name: row.get(6)?,
        last_name: row.get(7)?,
        enabled: row.get(8)?,
        claims: serde_json::from_str(&claims).unwrap_or_default(),
    })
}

/// Looks a user up as Keycloak's login form does: by username or by email, ignoring case.
pub fn find_user_by_login(conn: &Connection, realm: &str, login: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE realm = ?1
                 AND (username = ?2 COLLATE NOCASE OR email = ?2 COLLATE NOCASE)
                 ORDER BY username = ?2 COLLATE NOCASE DESC LIMIT 1"
        ))?
        .query_row([realm, login], user_from_row)
        .optional()?)
}

pub fn find_user(conn: &Connection, id: i64) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], user_from_row)
        .optional()?)
}

pub fn find_user_by_sub(conn: &Connection, realm: &str, sub: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE realm = ?1 AND sub = ?2"
        ))?
        .query_row([realm, sub], user_from_row)
        .optional()?)
}

/// Enabled users for the login page's picker, each with whether they ever logged in: the
/// most recently used first, then seed order.
pub fn users_for_picker(conn: &Connection, realm: &str) -> Result<Vec<(User, bool)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS}, last_login_at IS NOT NULL FROM users WHERE realm = ?1 AND enabled
         ORDER BY last_login_at IS NULL, last_login_at DESC, id"
    ))?;
    let users = stmt
        .query_map([realm], |row| Ok((user_from_row(row)?, row.get(10)?)))?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

// ---- SSO sessions ----

pub fn create_session(tx: &Transaction<'_>, id: &str, realm: &str, user_id: i64, now: i64) -> Result<()> {
    tx.prepare_cached("INSERT INTO sso_sessions (id, realm, user_id, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, realm, user_id, now])?;
    tx.prepare_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1")?
        .execute(params![user_id, now])?;
    Ok(())
}

/// The user of a live SSO session of `realm` and the session's start time, if the session
/// exists, was not ended, and its user is still enabled.
pub fn find_session_user(conn: &Connection, session_id: &str, realm: &str) -> Result<Option<(User, i64)>> {
    let Some((user_id, created_at)) = conn
        .prepare_cached(
            "SELECT s.user_id, s.created_at FROM sso_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = ?1 AND s.realm = ?2 AND s.ended_at IS NULL AND u.enabled",
        )?
        .query_row([session_id, realm], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    Ok(find_user(conn, user_id)?.map(|user| (user, created_at)))
}

/// Ends an SSO session: its tokens stop introspecting as active and cannot be refreshed.
pub fn end_session(tx: &Transaction<'_>, session_id: &str, now: i64) -> Result<bool> {
    let changed = tx
        .prepare_cached("UPDATE sso_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL")?
        .execute(params![session_id, now])?;
    Ok(changed > 0)
}

// ---- authorization codes ----

pub fn insert_code(tx: &Transaction<'_>, code: &AuthCode) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO auth_codes (code, realm_name, client_id, user_id, session_id, redirect_uri,
             scope, nonce, code_challenge, code_challenge_method, auth_time, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        code.code,
        code.realm_name,
        code.client_id,
        code.user_id,
        code.session_id,
        code.redirect_uri,
        code.scope,
        code.nonce,
        code.code_challenge,
        code.code_challenge_method,
        code.auth_time,
        code.expires_at,
    ])?;
    Ok(())
}

/// Reads a code and marks it used in the same transaction, so it is redeemed at most once.
/// Returns the code as it was before this call (`used` tells whether it had been redeemed).
pub fn take_code(tx: &Transaction<'_>, code: &str, now: i64) -> Result<Option<AuthCode>> {
    let found = tx
        .prepare_cached(
            "SELECT code, realm_name, client_id, user_id, session_id, redirect_uri, scope, nonce,
                    code_challenge, code_challenge_method, auth_time, expires_at, used_at
             FROM auth_codes WHERE code = ?1",
        )?
        .query_row([code], |row| {
            Ok(AuthCode {
                code: row.get(0)?,
                realm_name: row.get(1)?,
                client_id: row.get(2)?,
                user_id: row.get(3)?,
                session_id: row.get(4)?,
                redirect_uri: row.get(5)?,
                scope: row.get(6)?,
                nonce: row.get(7)?,
                code_challenge: row.get(8)?,
                code_challenge_method: row.get(9)?,
                auth_time: row.get(10)?,
                expires_at: row.get(11)?,
                used: row.get::<_, Option<i64>>(12)?.is_some(),
            })
        })
        .optional()?;
    if found.as_ref().is_some_and(|c| !c.used) {
        tx.prepare_cached("UPDATE auth_codes SET used_at = ?2 WHERE code = ?1")?
            .execute(params![code, now])?;
    }
    Ok(found)
}

// ---- tokens ----

/// A token row about to be stored.
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub kind: TokenKind,
    pub realm_name: &'a str,
    pub client_id: &'a str,
    pub user_id: Option<i64>,
    pub session_id: Option<&'a str>,
    pub code: Option<&'a str>,
    pub scope: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The token's claims, JSON.
    pub claims: &'a str,
}

pub fn insert_token(tx: &Transaction<'_>, token: &NewToken<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO tokens (hash, kind, realm_name, client_id, user_id, session_id, code, scope,
             issued_at, expires_at, claims)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        token.hash,
        token.kind.as_str(),
        token.realm_name,
        token.client_id,
        token.user_id,
        token.session_id,
        token.code,
        token.scope,
        token.issued_at,
        token.expires_at,
        token.claims,
    ])?;
    Ok(())
}

/// A stored token by the hash of its text, with whether its session or user is gone.
pub fn find_token(conn: &Connection, hash: &str) -> Result<Option<TokenRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.kind, t.realm_name, t.client_id, t.user_id, t.session_id, t.scope, t.expires_at,
                    t.revoked_at IS NOT NULL,
                    (s.ended_at IS NOT NULL) OR (u.id IS NOT NULL AND NOT u.enabled),
                    t.claims
             FROM tokens t
             LEFT JOIN sso_sessions s ON s.id = t.session_id
             LEFT JOIN users u ON u.id = t.user_id
             WHERE t.hash = ?1",
        )?
        .query_row([hash], |row| {
            let kind: String = row.get(0)?;
            let claims: String = row.get(9)?;
            Ok(TokenRecord {
                kind: if kind == "refresh" {
                    TokenKind::Refresh
                } else {
                    TokenKind::Access
                },
                realm_name: row.get(1)?,
                client_id: row.get(2)?,
                user_id: row.get(3)?,
                session_id: row.get(4)?,
                scope: row.get(5)?,
                expires_at: row.get(6)?,
                revoked: row.get(7)?,
                session_or_user_gone: row.get::<_, Option<bool>>(8)?.unwrap_or(false),
                claims: serde_json::from_str(&claims).unwrap_or_default(),
            })
        })
        .optional()?)
}

pub fn revoke_token(tx: &Transaction<'_>, hash: &str, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE tokens SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL")?
        .execute(params![hash, now])?;
    Ok(())
}

/// Revokes every token one client holds in one SSO session (revoking a refresh token does
/// this, as in Keycloak, which drops the client's session).
pub fn revoke_client_session(
    tx: &Transaction<'_>,
    session_id: &str,
    client_id: &str,
    now: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE tokens SET revoked_at = ?3
         WHERE session_id = ?1 AND client_id = ?2 AND revoked_at IS NULL",
    )?
    .execute(params![session_id, client_id, now])?;
    Ok(())
}

/// Revokes the tokens obtained with a code: what RFC 6749 §4.1.2 recommends when a code is
/// presented a second time.
pub fn revoke_tokens_of_code(tx: &Transaction<'_>, code: &str, now: i64) -> Result<()> {
    tx.prepare_cached("UPDATE tokens SET revoked_at = ?2 WHERE code = ?1 AND revoked_at IS NULL")?
        .execute(params![code, now])?;
    Ok(())
}

/// Drops codes and tokens that expired more than a day ago, so a long-lived data directory
/// does not grow without bound.
pub fn purge_expired(tx: &Transaction<'_>, now: i64) -> Result<()> {
    let cutoff = now - 86_400;
    tx.prepare_cached("DELETE FROM tokens WHERE expires_at < ?1")?
        .execute([cutoff])?;
    tx.prepare_cached("DELETE FROM auth_codes WHERE expires_at < ?1")?
        .execute([cutoff])?;
    Ok(())
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

// ---- control plane ----

/// Every user of a realm, in seed order.
pub fn list_users(conn: &Connection, realm: &str) -> Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE realm = ?1 ORDER BY id"
    ))?;
    let users = stmt
        .query_map([realm], user_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

/// One page of a realm's users by username, after the username `after` (`""`: the first
/// page), those whose username or email contains `search` (any case) when it is not empty;
/// at most `limit`.
pub fn users_page(
    conn: &Connection,
    realm: &str,
    after: &str,
    search: &str,
    limit: usize,
) -> Result<Vec<User>> {
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE realm = ?1 AND username > ?2
         AND (?3 = '' OR username LIKE ?4 ESCAPE '\\' OR email LIKE ?4 ESCAPE '\\')
         ORDER BY username LIMIT ?5"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let users = stmt
        .query_map(
            rusqlite::params![realm, after, search, pattern, limit],
            user_from_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(users)
}

/// The user `username` of `realm`, if any.
pub fn find_user_by_username(conn: &Connection, realm: &str, username: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE realm = ?1 AND username = ?2"
        ))?
        .query_row([realm, username], user_from_row)
        .optional()?)
}

/// Deletes a user with their sessions and tokens; false if there was none.
pub fn delete_user(tx: &Transaction<'_>, realm: &str, username: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("DELETE FROM users WHERE realm = ?1 AND username = ?2")?
        .execute([realm, username])?
        > 0)
}

/// Deletes a client; its tokens stop introspecting as active with it. False if there was none.
pub fn delete_client(tx: &Transaction<'_>, realm: &str, client_id: &str, now: i64) -> Result<bool> {
    let deleted = tx
        .prepare_cached("DELETE FROM clients WHERE realm = ?1 AND client_id = ?2")?
        .execute([realm, client_id])?;
    tx.prepare_cached(
        "UPDATE tokens SET revoked_at = ?3 WHERE client_id = ?2 AND revoked_at IS NULL
         AND realm_name IN (SELECT name FROM realm_names WHERE realm = ?1)",
    )?
    .execute(params![realm, client_id, now])?;
    Ok(deleted > 0)
}

/// Ends every live SSO session of a user; returns how many.
pub fn end_user_sessions(tx: &Transaction<'_>, user_id: i64, now: i64) -> Result<usize> {
    Ok(tx
        .prepare_cached("UPDATE sso_sessions SET ended_at = ?2 WHERE user_id = ?1 AND ended_at IS NULL")?
        .execute(params![user_id, now])?)
}

/// Deletes a realm with everything in it (names, clients, users, sessions).
/// Deletes a realm with everything in it: names, clients, users, sessions, codes and tokens.
pub fn delete_realm(tx: &Transaction<'_>, realm: &str) -> Result<bool> {
    tx.prepare_cached(
        "DELETE FROM tokens WHERE realm_name IN (SELECT name FROM realm_names WHERE realm = ?1)",
    )?
    .execute([realm])?;
    tx.prepare_cached(
        "DELETE FROM auth_codes WHERE realm_name IN (SELECT name FROM realm_names WHERE realm = ?1)",
    )?
    .execute([realm])?;
    Ok(tx
        .prepare_cached("DELETE FROM realms WHERE name = ?1")?
        .execute([realm])?
        > 0)
}

// ---- the dashboard (src/admin/dashboard.rs) ----

/// Counts for the dashboard's overview: users, live SSO sessions, live access tokens.
pub fn identity_counts(conn: &Connection, now: i64) -> Result<(i64, i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM users),
                (SELECT COUNT(*) FROM sso_sessions WHERE ended_at IS NULL),
                (SELECT COUNT(*) FROM tokens t LEFT JOIN sso_sessions s ON s.id = t.session_id
                  WHERE t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?1
                    AND s.ended_at IS NULL)",
        )?
        .query_row([now], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?)
}

/// Every name a realm answers to but its own (its aliases).
pub fn realm_aliases(conn: &Connection, realm: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT name FROM realm_names WHERE realm = ?1 AND name <> ?1 ORDER BY name")?;
    let names = stmt
        .query_map([realm], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

/// A live SSO session as the dashboard shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionRow {
    pub id: String,
    pub username: String,
    pub created_at: i64,
    /// The clients that hold tokens of this session.
    pub clients: Vec<String>,
}

/// The live SSO sessions of a realm, newest first, at most `limit`.
pub fn live_sessions(conn: &Connection, realm: &str, limit: i64) -> Result<Vec<SessionRow>> {
    let mut stmt = conn.prepare(
        "SELECT s.id, u.username, s.created_at,
                (SELECT json_group_array(DISTINCT client_id) FROM tokens WHERE session_id = s.id)
         FROM sso_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.realm = ?1 AND s.ended_at IS NULL
         ORDER BY s.created_at DESC, s.id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![realm, limit], |row| {
            let clients: Option<String> = row.get(3)?;
            let mut clients: Vec<String> = clients.as_deref().map(json_list).unwrap_or_default();
            clients.sort();
            Ok(SessionRow {
                id: row.get(0)?,
                username: row.get(1)?,
                created_at: row.get(2)?,
                clients,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A live access token as the dashboard shows it (never its text: the store only has its hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRow {
    /// The SHA-256 of the token's text, hex: what names it to the dashboard.
    pub id: String,
    pub realm_name: String,
    pub client_id: String,
    /// None for a service account's token.
    pub username: Option<String>,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub claims: Value,
}

/// Live access tokens of a realm (not revoked, not expired, session not ended), newest first,
/// by keyset: only those issued before `before` (`(issued_at, hash)`).
pub fn live_tokens(
    conn: &Connection,
    realm: &str,
    now: i64,
    username: Option<&str>,
    client_id: Option<&str>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<TokenRow>> {
    let (before_at, before_hash) = before.unwrap_or((i64::MAX, ""));
    let mut stmt = conn.prepare_cached(
        "SELECT t.hash, t.realm_name, t.client_id, u.username, t.scope, t.issued_at, t.expires_at, t.claims
         FROM tokens t
         JOIN realm_names rn ON rn.name = t.realm_name AND rn.realm = ?1
         LEFT JOIN users u ON u.id = t.user_id
         LEFT JOIN sso_sessions s ON s.id = t.session_id
         WHERE t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?2 AND s.ended_at IS NULL
           AND (?3 IS NULL OR u.username = ?3) AND (?4 IS NULL OR t.client_id = ?4)
           AND (t.issued_at < ?5 OR (t.issued_at = ?5 AND (?6 = '' OR t.hash < ?6)))
         ORDER BY t.issued_at DESC, t.hash DESC LIMIT ?7",
    )?;
    let rows = stmt
        .query_map(
            params![realm, now, username, client_id, before_at, before_hash, limit],
            token_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One live access token of a realm by its hash (live as `live_tokens` means it), if any.
pub fn live_token(conn: &Connection, realm: &str, now: i64, hash: &str) -> Result<Option<TokenRow>> {
    Ok(conn
        .prepare_cached("SELECT t.hash, t.realm_name, t.client_id, u.username, t.scope, t.issued_at, t.expires_at, t.claims
             FROM tokens t
             JOIN realm_names rn ON rn.name = t.realm_name AND rn.realm = ?1
             LEFT JOIN users u ON u.id = t.user_id
             LEFT JOIN sso_sessions s ON s.id = t.session_id
             WHERE t.hash = ?3 AND t.kind = 'access' AND t.revoked_at IS NULL AND t.expires_at > ?2
               AND s.ended_at IS NULL")?.query_row(
            params![realm, now, hash],
            token_from_row,
        )
        .optional()?)
}

/// A `TokenRow` from the columns `live_tokens` and `live_token` select, in their order.
fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    let claims: String = row.get(7)?;
    Ok(TokenRow {
        id: row.get(0)?,
        realm_name: row.get(1)?,
        client_id: row.get(2)?,
        username: row.get(3)?,
        scope: row.get(4)?,
        issued_at: row.get(5)?,
        expires_at: row.get(6)?,
        claims: serde_json::from_str(&claims).unwrap_or(Value::Null),
    })
}

/// Changes a user's extra claims and/or whether it is enabled; false when there is no such user.
/// Disabling ends the user's sessions, as Keycloak does.
pub fn update_user_profile(
    tx: &Transaction<'_>,
    realm: &str,
    username: &str,
    claims: Option<&Map<String, Value>>,
    enabled: Option<bool>,
    now: i64,
) -> Result<bool> {
    let claims = claims.map(serde_json::to_string).transpose()?;
    let changed = tx
        .prepare_cached(
            "UPDATE users SET claims = COALESCE(?3, claims), enabled = COALESCE(?4, enabled)
         WHERE realm = ?1 AND username = ?2",
        )?
        .execute(params![realm, username, claims, enabled])?;
    if changed > 0 && enabled == Some(false) {
        tx.prepare_cached(
            "UPDATE sso_sessions SET ended_at = ?3 WHERE ended_at IS NULL
             AND user_id = (SELECT id FROM users WHERE realm = ?1 AND username = ?2)",
        )?
        .execute(params![realm, username, now])?;
    }
    Ok(changed > 0)
}

/// Ends one live SSO session of a realm; false when there is none by that id.
pub fn end_realm_session(tx: &Transaction<'_>, realm: &str, session_id: &str, now: i64) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE sso_sessions SET ended_at = ?3 WHERE id = ?2 AND realm = ?1 AND ended_at IS NULL",
        )?
        .execute(params![realm, session_id, now])?;
    Ok(changed > 0)
}

/// Revokes one live access or refresh token by its hash, within a realm; false when there is
/// no such token (or it was already revoked). A refresh token takes its client's session along.
pub fn revoke_by_hash(tx: &Transaction<'_>, realm: &str, hash: &str, now: i64) -> Result<bool> {
    let found: Option<(String, Option<String>, String)> = tx
        .prepare_cached(
            "SELECT t.kind, t.session_id, t.client_id FROM tokens t
             JOIN realm_names rn ON rn.name = t.realm_name AND rn.realm = ?1
             WHERE t.hash = ?2 AND t.revoked_at IS NULL",
        )?
        .query_row(params![realm, hash], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((kind, session, client)) = found else {
        return Ok(false);
    };
    revoke_token(tx, hash, now)?;
    if let ("refresh", Some(session)) = (kind.as_str(), session) {
        revoke_client_session(tx, &session, &client, now)?;
    }
    Ok(true)
}
