-- Drive's invitations (spec §6.5, §9.3): an e-mail address invited to an item with a role,
-- before any user has it. Stored lower-cased by the API; unique per item. Timestamps are Unix
-- microseconds.
CREATE TABLE drive_invitations (
    id         TEXT PRIMARY KEY,                    -- UUID
    email      TEXT NOT NULL,
    item_id    TEXT NOT NULL REFERENCES drive_items(id) ON DELETE CASCADE,
    role       TEXT NOT NULL DEFAULT 'reader',
    issuer_id  TEXT REFERENCES drive_users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (email, item_id)
);
CREATE INDEX drive_invitations_by_item ON drive_invitations (item_id, created_at);

-- Upstream's unique (team, item) for team accesses (user accesses have UNIQUE (user_id, item_id)).
CREATE UNIQUE INDEX drive_accesses_team_item ON drive_accesses (team, item_id) WHERE team <> '';

-- "Is this e-mail already a user's?" (invitations refuse registered addresses, case-insensitively).
CREATE INDEX drive_users_email_ci ON drive_users (lower(email));
