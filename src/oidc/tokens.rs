//! Minting and checking tokens: plain functions over the app state, used by the token
//! endpoint, the control plane's minting endpoint, and (in-process) by the Drive API.
//!
//! Tokens are Keycloak-shaped JWTs: access and ID tokens RS256 with a `kid`, refresh tokens
//! HS512. Every access and refresh token is also stored, keyed by the SHA-256 of its text, so
//! that introspection, revocation and logout are lookups rather than signature checks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::model::{Client, Realm, TokenKind, User};
use super::store::{self, NewToken};
use crate::app::AppState;
use crate::error::Result;

/// Who a token is about.
#[derive(Debug, Clone)]
pub enum Subject {
    User(User),
    /// A client's own identity (`client_credentials`), as Keycloak's service-account user.
    ServiceAccount,
}

/// Everything that decides the tokens of one grant.
#[derive(Debug, Clone)]
pub struct Grant {
    pub realm: Realm,
    /// The client the tokens are issued to (their `azp`).
    pub client: Client,
    pub subject: Subject,
    pub session_id: Option<String>,
    /// The effective, space-separated scope (see [`effective_scope`]).
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    /// The authorization code this grant redeems, if any.
    pub code: Option<String>,
    pub access_ttl: i64,
    /// Claims merged over the defaults of the access and ID tokens (control-plane minting).
    pub extra_claims: Map<String, Value>,
    pub with_refresh_token: bool,
    /// Token exchange's `audience`: the access token's `aud` is narrowed to these.
    pub requested_audience: Option<Vec<String>>,
}

/// The access-token lifetime of `client`'s tokens: its own (`access.token.lifespan`), else the
/// realm's.
pub fn access_ttl(realm: &Realm, client: &Client) -> i64 {
    client.access_token_lifespan.unwrap_or(realm.access_token_ttl)
}

/// The client whose roles a full-scope token carries, and so its audience (Keycloak's
/// audience-resolve mapper), with the roles every user has by default.
const ROLE_AUDIENCE: &str = "account";

/// The audiences of `client`'s access tokens as Keycloak computes them: the clients whose roles
/// the token carries (`account`, with full scope), then the client's audience mappers.
pub fn audiences(client: &Client) -> Vec<String> {
    let mut audiences = Vec::new();
    if client.full_scope_allowed && client.client_id != ROLE_AUDIENCE {
        audiences.push(ROLE_AUDIENCE.to_owned());
    }
    for audience in &client.audiences {
        if !audiences.contains(audience) {
            audiences.push(audience.clone());
        }
    }
    audiences
}

/// `aud` as JWTs write it: one audience as a string, several as an array, none omitted.
fn audience_claim(audiences: &[String]) -> Option<Value> {
    match audiences {
        [] => None,
        [one] => Some(one.clone().into()),
        many => Some(many.into()),
    }
}

/// The tokens of one grant, as the token endpoint answers them ([`IssuedTokens::body`]).
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub refresh_expires_in: i64,
    pub id_token: Option<String>,
    pub session_state: Option<String>,
    pub scope: String,
    /// Token exchange's `issued_token_type` (RFC 8693 §2.2.1); None for the other grants.
    pub issued_token_type: Option<&'static str>,
}

/// The token endpoint's JSON, members in the order Keycloak writes them.
#[derive(serde::Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    expires_in: i64,
    refresh_expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    #[serde(rename = "not-before-policy")]
    not_before_policy: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_state: Option<&'a str>,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<&'static str>,
}

impl IssuedTokens {
    /// The token endpoint's 200 body (JSON), written straight from the tokens.
    pub fn body(&self) -> Vec<u8> {
        let response = TokenResponse {
            access_token: &self.access_token,
            expires_in: self.expires_in,
            refresh_expires_in: self.refresh_expires_in,
            refresh_token: self.refresh_token.as_deref(),
            token_type: "Bearer",
            id_token: self.id_token.as_deref(),
            not_before_policy: 0,
            session_state: self.session_state.as_deref(),
            scope: &self.scope,
            issued_token_type: self.issued_token_type,
        };
        // Sized up front: a body grown by doubling costs glibc a consolidation per growth
        // past 1 KiB, which showed in the token endpoint's profile.
        let tokens_len = self.access_token.len()
            + self.refresh_token.as_ref().map_or(0, String::len)
            + self.id_token.as_ref().map_or(0, String::len);
        let mut body = Vec::with_capacity(tokens_len + self.scope.len() + 256);
        serde_json::to_writer(&mut body, &response).expect("a struct of strings and numbers serializes");
        body
    }
}

/// The scope Keycloak grants: what was asked, plus the realm's default scopes `email` and
/// `profile`, `openid` first when asked.
pub fn effective_scope(requested: Option<&str>) -> String {
    let asked: Vec<&str> = requested.unwrap_or("").split_ascii_whitespace().collect();
    let mut scopes: Vec<&str> = Vec::new();
    if asked.contains(&"openid") {
        scopes.push("openid");
    }
    scopes.extend(["email", "profile"]);
    for scope in asked {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.join(" ")
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_ascii_whitespace().any(|s| s == wanted)
}

/// SHA-256 (hex) of a token's text: the key of its stored row.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Random URL-safe text with `bytes` bytes of entropy, for codes, session ids and `jti`s.
pub fn random_id(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut buf);
    B64.encode(buf)
}

/// Mints the tokens of a grant, stores them, and returns the token endpoint's answer.
pub async fn issue(app: &AppState, grant: Grant) -> Result<IssuedTokens> {
    let now = app.clock.now();
    let issuer = grant.realm.issuer(&app.public_url);
    let (subject_claims, user_id) = match &grant.subject {
        Subject::User(user) => (user.profile_claims(), Some(user.id)),
        Subject::ServiceAccount => (
            service_account_claims(&grant.realm.name, &grant.client.client_id),
            None,
        ),
    };
    let common = |typ: &str, exp: i64| {
        let mut claims = Map::new();
        claims.insert("exp".into(), exp.into());
        claims.insert("iat".into(), now.into());
        claims.insert("auth_time".into(), grant.auth_time.into());
        claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
        claims.insert("iss".into(), issuer.clone().into());
        claims.insert("typ".into(), typ.into());
        claims.insert("azp".into(), grant.client.client_id.clone().into());
        if let Some(sid) = &grant.session_id {
            claims.insert("sid".into(), sid.clone().into());
        }
        claims
    };

    let access_exp = now + grant.access_ttl;
    let mut access = common("Bearer", access_exp);
    let mut aud = audiences(&grant.client);
    if let Some(requested) = &grant.requested_audience {
        aud.retain(|a| requested.contains(a));
    }
    if let Some(aud) = audience_claim(&aud) {
        access.insert("aud".into(), aud);
    }
    access.insert("acr".into(), "1".into());
    access.insert("allowed-origins".into(), json!(["*"]));
    if grant.client.full_scope_allowed {
        access.insert(
            "realm_access".into(),
            json!({"roles": ["offline_access", "uma_authorization"]}),
        );
        access.insert(
            "resource_access".into(),
            json!({ROLE_AUDIENCE: {"roles": ["manage-account", "view-profile"]}}),
        );
    }
    access.insert("scope".into(), grant.scope.clone().into());
    access.extend(subject_claims.clone());
    access.extend(grant.extra_claims.clone());

    let refresh_exp = now + grant.realm.refresh_token_ttl;
    let refresh = grant.with_refresh_token.then(|| {
        let mut claims = common("Refresh", refresh_exp);
        claims.remove("auth_time");
        claims.insert("aud".into(), issuer.clone().into());
        claims.insert("sub".into(), subject_claims["sub"].clone());
        claims.insert("scope".into(), grant.scope.clone().into());
        claims
    });

    let wants_id_token = has_scope(&grant.scope, "openid") && matches!(grant.subject, Subject::User(_));
    let id_claims = wants_id_token.then(|| {
        let mut claims = common("ID", access_exp);
        claims.insert("aud".into(), grant.client.client_id.clone().into());
        if let Some(nonce) = &grant.nonce {
            claims.insert("nonce".into(), nonce.clone().into());
        }
        claims.insert("acr".into(), "1".into());
        claims.extend(subject_claims.clone());
        claims.extend(grant.extra_claims.clone());
        claims
    });

    // The JSON signed is the JSON stored: introspection answers the claims the token carries.
    let access_json = claims_json(&access)?;
    let refresh_json = refresh.as_ref().map(claims_json).transpose()?;

    // RSA signing costs a few hundred microseconds: keep it off the async workers.
    let signer = AppState::clone(app);
    let (access_token, refresh_token, id_token, access_json, refresh_json) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let access_token = signer.keys.sign_rs256_json(access_json.as_bytes())?;
            let refresh_token = refresh_json
                .as_ref()
                .map(|json| signer.keys.sign_refresh_json(json.as_bytes()));
            let id_token = id_claims
                .map(|mut claims| {
                    claims.insert("at_hash".into(), at_hash(&access_token).into());
                    sign_rs256(&signer, &claims)
                })
                .transpose()?;
            Ok((access_token, refresh_token, id_token, access_json, refresh_json))
        })
        .await??;

    let stored = TokenRows {
        realm_name: grant.realm.requested.clone(),
        client_id: grant.client.client_id.clone(),
        user_id,
        session_id: grant.session_id.clone(),
        code: grant.code,
        scope: grant.scope.clone(),
        issued_at: now,
        access: (token_hash(&access_token), access_exp, access_json),
        refresh: refresh_token
            .as_deref()
            .zip(refresh_json)
            .map(|(token, json)| (token_hash(token), refresh_exp, json)),
    };
    // The answer does not wait for the rows: they are queued before it goes out (any later
    // write, a revocation or a logout, applies after them), and a lookup meanwhile waits for
    // them (`PendingTokens`). A crash before their commit loses the tokens: their client logs
    // in again, as after a Keycloak restart.
    let hashes = stored.hashes();
    let written = app.pending_tokens.add(&hashes);
    let settling = AppState::clone(app);
    app.db.submit_new_tokens(
        move |tx| stored.insert(tx),
        move |outcome| {
            if let Err(error) = outcome {
                tracing::error!(%error, "a token's row could not be stored: the token is unknown from now on");
            }
            settling.pending_tokens.settle(&hashes, written);
        },
    );

    Ok(IssuedTokens {
        access_token,
        expires_in: grant.access_ttl,
        refresh_expires_in: if refresh_token.is_some() {
            grant.realm.refresh_token_ttl
        } else {
            0
        },
        refresh_token,
        id_token,
        session_state: grant.session_id,
        scope: grant.scope,
        issued_token_type: None,
    })
}

/// The JSON of a token's claims, in a buffer sized for a typical token's (see
/// [`IssuedTokens::body`]).
fn claims_json(claims: &Map<String, Value>) -> Result<String> {
    let mut json = Vec::with_capacity(2048);
    serde_json::to_writer(&mut json, claims)?;
    Ok(String::from_utf8(json).expect("serde_json writes UTF-8"))
}

/// The rows of one grant's tokens: what they share, and each one's hash, expiry and claims
/// (JSON).
struct TokenRows {
    realm_name: String,
    client_id: String,
    user_id: Option<i64>,
    session_id: Option<String>,
    code: Option<String>,
    scope: String,
    issued_at: i64,
    access: (String, i64, String),
    refresh: Option<(String, i64, String)>,
}

impl TokenRows {
    fn hashes(&self) -> Vec<String> {
        let refresh = self.refresh.iter().map(|(hash, _, _)| hash.clone());
        std::iter::once(self.access.0.clone()).chain(refresh).collect()
    }

    fn insert(&self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        store::insert_token(tx, &self.row(TokenKind::Access, &self.access))?;
        if let Some(refresh) = &self.refresh {
            store::insert_token(tx, &self.row(TokenKind::Refresh, refresh))?;
        }
        Ok(())
    }

    fn row<'a>(
        &'a self,
        kind: TokenKind,
        (hash, expires_at, claims): &'a (String, i64, String),
    ) -> NewToken<'a> {
        NewToken {
            hash,
            kind,
            realm_name: &self.realm_name,
            client_id: &self.client_id,
            user_id: self.user_id,
            session_id: self.session_id.as_deref(),
            code: self.code.as_deref(),
            scope: &self.scope,
            issued_at: self.issued_at,
            expires_at: *expires_at,
            claims,
        }
    }
}

/// The claims of a `client_credentials` token's subject: Keycloak's service-account user.
fn service_account_claims(realm: &str, client_id: &str) -> Map<String, Value> {
    let username = format!("service-account-{client_id}");
    let mut claims = Map::new();
    claims.insert(
        "sub".into(),
        crate::fixtures::default_sub(realm, &username).into(),
    );
    claims.insert("email_verified".into(), false.into());
    claims.insert("preferred_username".into(), username.into());
    claims.insert("clientId".into(), client_id.into());
    claims
}

/// Signs claims with the realm's RS256 key, `kid` in the header.
pub fn sign_rs256(app: &AppState, claims: &Map<String, Value>) -> Result<String> {
    app.keys.sign_rs256(claims)
}

/// OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    B64.encode(&digest[..16])
}

/// Tokens answered whose rows are still queued ([`issue`] does not wait for their commit),
/// each with a channel that closes once its row is written: a lookup by hash waits for a
/// token found here ([`find_token`]), a listing for every row queued ([`rows_written`]).
#[derive(Debug, Default)]
pub struct PendingTokens {
    rows: std::sync::Mutex<std::collections::HashMap<String, tokio::sync::watch::Receiver<()>>>,
}

impl PendingTokens {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, tokio::sync::watch::Receiver<()>>> {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks `hashes` pending; they settle when the returned sender is dropped.
    fn add(&self, hashes: &[String]) -> tokio::sync::watch::Sender<()> {
        let (written, wait) = tokio::sync::watch::channel(());
        let mut rows = self.lock();
        for hash in hashes {
            rows.insert(hash.clone(), wait.clone());
        }
        written
    }

    /// The rows of `hashes` are written (or failed): lookups read them from the database.
    fn settle(&self, hashes: &[String], written: tokio::sync::watch::Sender<()>) {
        let mut rows = self.lock();
        for hash in hashes {
            rows.remove(hash);
        }
        drop(rows);
        drop(written);
    }

    /// Returns once the row of the token with `hash` is written, at once if it is not pending.
    async fn written(&self, hash: &str) {
        let wait = self.lock().get(hash).cloned();
        if let Some(mut wait) = wait {
            // Never sent on: it returns when the sender is dropped.
            let _ = wait.changed().await;
        }
    }

    fn any(&self) -> bool {
        !self.lock().is_empty()
    }
}

/// The stored token with `hash`, once any pending row of it is written.
pub async fn find_token(app: &AppState, hash: &str) -> Result<Option<super::model::TokenRecord>> {
    app.pending_tokens.written(hash).await;
    let hash = hash.to_owned();
    app.db.read(move |conn| store::find_token(conn, &hash)).await
}

/// Returns once the rows of every token answered so far are written: for the readers that
/// list tokens rather than look one up.
pub async fn rows_written(app: &AppState) -> Result<()> {
    if app.pending_tokens.any() {
        // Writes commit in the order they were queued: this no-op's batch comes after theirs.
        app.db.write_new_tokens(|_| Ok(())).await?;
    }
    Ok(())
}

/// Active access tokens as introspection last found them, in front of SQLite: an entry holds
/// only while the database's [`crate::db::Db::epoch`] is the one it was read at (any revocation,
/// logout or change to a user or client moves it) and the token has not expired by the
/// emulator's clock. Bounded: emptied when full.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, Cached>>,
}

#[derive(Debug)]
struct Cached {
    epoch: u64,
    realm_name: String,
    expires_at: i64,
    answer: std::sync::Arc<ActiveToken>,
}

/// Introspection's answer for an active token: its members, and the JSON body made of them
/// (a cached answer is sent without being built again).
#[derive(Debug)]
pub struct ActiveToken {
    pub members: Map<String, Value>,
    pub json: bytes::Bytes,
}

const TOKEN_CACHE_ENTRIES: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &str, epoch: u64, realm_name: &str, now: i64) -> Option<std::sync::Arc<ActiveToken>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let hit = entries.get(hash)?;
        (hit.epoch == epoch && hit.realm_name == realm_name && hit.expires_at > now)
            .then(|| std::sync::Arc::clone(&hit.answer))
    }

    fn put(&self, hash: String, cached: Cached) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= TOKEN_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(hash, cached);
    }
}

/// RFC 7662 introspection of an access token presented at realm name `realm_name`: the
/// active answer's members, or None for anything unknown, expired, revoked, logged out or
/// issued by another realm (which the endpoint answers as `{"active": false}` alone).
///
/// The Drive API validates bearer tokens with this same function, in-process.
pub async fn introspect(app: &AppState, realm_name: &str, token: &str) -> Result<Option<Map<String, Value>>> {
    Ok(introspect_shared(app, realm_name, token)
        .await?
        .map(|active| active.members.clone()))
}

/// [`introspect`], sharing the answer: a token found active is cached until the next write
/// that could end it ([`TokenCache`]); the epoch is read before the database, so a revocation
/// that commits meanwhile makes the entry stale.
pub async fn introspect_shared(
    app: &AppState,
    realm_name: &str,
    token: &str,
) -> Result<Option<std::sync::Arc<ActiveToken>>> {
    let hash = token_hash(token);
    let (epoch, now) = (app.db.epoch(), app.clock.now());
    if let Some(answer) = app.token_cache.get(&hash, epoch, realm_name, now) {
        return Ok(Some(answer));
    }
    let Some(record) = find_token(app, &hash).await? else {
        return Ok(None);
    };
    if record.kind != TokenKind::Access
        || record.realm_name != realm_name
        || !record.is_active(app.clock.now())
    {
        return Ok(None);
    }
    let expires_at = record.expires_at;
    let mut members = record.claims;
    let username = members.get("preferred_username").cloned();
    members.insert("client_id".into(), record.client_id.into());
    if let Some(username) = username {
        members.insert("username".into(), username);
    }
    members.insert("token_type".into(), "Bearer".into());
    members.insert("active".into(), true.into());
    let json = serde_json::to_vec(&members)?.into();
    let answer = std::sync::Arc::new(ActiveToken { members, json });
    app.token_cache.put(
        hash,
        Cached {
            epoch,
            realm_name: realm_name.to_owned(),
            expires_at,
            answer: std::sync::Arc::clone(&answer),
        },
    );
    Ok(Some(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_has_keycloaks_members_in_its_order() {
        let mut issued = IssuedTokens {
            access_token: "a".into(),
            expires_in: 300,
            refresh_token: Some("r".into()),
            refresh_expires_in: 1800,
            id_token: Some("i".into()),
            session_state: Some("s".into()),
            scope: "openid email profile".into(),
            issued_token_type: None,
        };
        assert_eq!(
            String::from_utf8(issued.body()).unwrap(),
            r#"{"access_token":"a","expires_in":300,"refresh_expires_in":1800,"refresh_token":"r","token_type":"Bearer","id_token":"i","not-before-policy":0,"session_state":"s","scope":"openid email profile"}"#
        );
        // client_credentials: no refresh token, ID token or session.
        (
            issued.refresh_token,
            issued.refresh_expires_in,
            issued.id_token,
            issued.session_state,
        ) = (None, 0, None, None);
        issued.scope = "email profile".into();
        assert_eq!(
            String::from_utf8(issued.body()).unwrap(),
            r#"{"access_token":"a","expires_in":300,"refresh_expires_in":0,"token_type":"Bearer","not-before-policy":0,"scope":"email profile"}"#
        );
        issued.issued_token_type = Some("urn:ietf:params:oauth:token-type:access_token");
        assert!(String::from_utf8(issued.body()).unwrap().ends_with(
            r#""scope":"email profile","issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}"#
        ));
    }

    #[test]
    fn scope_adds_keycloak_defaults_with_openid_first() {
        assert_eq!(effective_scope(Some("openid email")), "openid email profile");
        assert_eq!(
            effective_scope(Some("email openid custom")),
            "openid email profile custom"
        );
        assert_eq!(effective_scope(None), "email profile");
    }

    #[test]
    fn token_hash_is_hex_sha256() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
