-- Realms, clients and users come from fixtures (re-applied at every start) and the control plane.
CREATE TABLE realms (
    name              TEXT PRIMARY KEY,
    display_name      TEXT NOT NULL,
    access_token_ttl  INTEGER NOT NULL,
    refresh_token_ttl INTEGER NOT NULL,
    code_ttl          INTEGER NOT NULL
);

-- Every name a realm answers to, its own name included (`impress` and `drive` -> `lasuite`).
CREATE TABLE realm_names (
    name  TEXT PRIMARY KEY,
    realm TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE
);

CREATE TABLE clients (
    realm                        TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    client_id                    TEXT NOT NULL,
    secret                       TEXT,            -- NULL: a public client
    redirect_uris                TEXT NOT NULL,   -- JSON array of patterns; empty: any localhost URI
    post_logout_redirect_uris    TEXT NOT NULL,   -- JSON array of patterns; empty: any localhost URI
    direct_access_grants         INTEGER NOT NULL,
    service_account              INTEGER NOT NULL,
    userinfo_signed              INTEGER NOT NULL,
    introspection_encryption_key TEXT,            -- PEM of the resource server's RSA public key
    introspection_signing_alg    TEXT NOT NULL,
    PRIMARY KEY (realm, client_id)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    realm          TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    password       TEXT NOT NULL,
    sub            TEXT NOT NULL,
    email          TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    claims         TEXT NOT NULL,   -- JSON object of extra claims
    last_login_at  INTEGER,
    UNIQUE (realm, username),
    UNIQUE (realm, sub)
);

-- A browser's SSO session, named by the emulator's session cookie.
CREATE TABLE sso_sessions (
    id         TEXT PRIMARY KEY,
    realm      TEXT NOT NULL REFERENCES realms(name) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
);

CREATE TABLE auth_codes (
    code                  TEXT PRIMARY KEY,
    realm_name            TEXT NOT NULL,   -- the name the client used (an alias or the realm)
    client_id             TEXT NOT NULL,
    user_id               INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id            TEXT NOT NULL REFERENCES sso_sessions(id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    nonce                 TEXT,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    auth_time             INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    used_at               INTEGER
);

-- Every access and refresh token issued, keyed by the SHA-256 of its text: introspection is a
-- lookup, and revocation or logout only has to mark rows.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    realm_name TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,   -- NULL: a service account
    session_id TEXT REFERENCES sso_sessions(id) ON DELETE CASCADE,
    code       TEXT,              -- the authorization code it came from, if any
    scope      TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    claims     TEXT NOT NULL      -- JSON of the token's claims, for introspection
);
CREATE INDEX tokens_session ON tokens(session_id);
CREATE INDEX tokens_code ON tokens(code);

-- S3 credentials and buckets from fixtures; the S3 store builds on these.
CREATE TABLE s3_credentials (
    access_key TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL
);
CREATE TABLE s3_buckets (
    name       TEXT PRIMARY KEY,
    versioning TEXT NOT NULL CHECK (versioning IN ('Unversioned', 'Enabled', 'Suspended')),
    created_at INTEGER NOT NULL
);
