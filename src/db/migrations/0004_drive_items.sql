-- Drive's item tree (spec §6.3): a materialised path of dot-joined UUIDs, root first.
-- Timestamps are Unix microseconds; NULL = not set.
CREATE TABLE drive_items (
    id                   TEXT PRIMARY KEY,           -- UUID
    path                 TEXT NOT NULL UNIQUE,
    depth                INTEGER NOT NULL,
    parent_id            TEXT,                       -- NULL for roots; kept with `path` so
                                                     -- children are one index lookup
    title                TEXT NOT NULL,
    type                 TEXT NOT NULL CHECK (type IN ('folder', 'file')),
    link_reach           TEXT,                       -- restricted | authenticated | public
    link_role            TEXT NOT NULL DEFAULT 'reader',
    creator_id           TEXT REFERENCES drive_users(id) ON DELETE SET NULL,
    deleted_at           INTEGER,
    ancestors_deleted_at INTEGER,
    hard_deleted_at      INTEGER,
    filename             TEXT,
    upload_state         TEXT,
    mimetype             TEXT,
    main_workspace       INTEGER NOT NULL DEFAULT 0,
    size                 INTEGER,
    quota_excluded       INTEGER NOT NULL DEFAULT 0,
    description          TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX drive_items_children ON drive_items (parent_id, created_at);

CREATE TABLE drive_accesses (
    id         TEXT PRIMARY KEY,
    item_id    TEXT NOT NULL REFERENCES drive_items(id) ON DELETE CASCADE,
    user_id    TEXT REFERENCES drive_users(id) ON DELETE CASCADE,
    team       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, item_id)
);
CREATE INDEX drive_accesses_by_item ON drive_accesses (item_id);

CREATE TABLE drive_favorites (
    user_id    TEXT NOT NULL REFERENCES drive_users(id) ON DELETE CASCADE,
    item_id    TEXT NOT NULL REFERENCES drive_items(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

CREATE TABLE drive_link_traces (
    user_id    TEXT NOT NULL REFERENCES drive_users(id) ON DELETE CASCADE,
    item_id    TEXT NOT NULL REFERENCES drive_items(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
