-- Drive's users: one per realm user that has called the Drive API (same `sub`).
CREATE TABLE drive_users (
    id                     TEXT PRIMARY KEY,          -- UUID
    sub                    TEXT NOT NULL UNIQUE,
    email                  TEXT,
    full_name              TEXT,
    short_name             TEXT,
    language               TEXT,
    last_release_note_seen TEXT,
    column_preferences     TEXT,                      -- JSON object or NULL
    is_active              INTEGER NOT NULL DEFAULT 1,
    claims                 TEXT NOT NULL DEFAULT '{}',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
