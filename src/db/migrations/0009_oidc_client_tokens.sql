-- What a client's tokens carry and what it may do with them (issue 13), as Keycloak keeps it
-- per client: audience mappers, full scope (the role audiences such as `account`), standard
-- token exchange and its refresh tokens, and an access-token lifespan of its own.
ALTER TABLE clients ADD COLUMN audiences TEXT NOT NULL DEFAULT '[]';   -- JSON array
ALTER TABLE clients ADD COLUMN full_scope_allowed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN standard_token_exchange INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN token_exchange_refresh INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN access_token_lifespan INTEGER;          -- NULL: the realm's
