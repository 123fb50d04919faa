-- The S3 store: every object version (delete markers included) is a row; bodies are files
-- under blobs/, one per row, named by the `blob` column.
ALTER TABLE s3_buckets ADD COLUMN cors TEXT;   -- JSON list of CORS rules; NULL: none configured

CREATE TABLE s3_objects (
    id                  INTEGER PRIMARY KEY,   -- creation order: a newer version has a larger id
    bucket              TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
    key                 TEXT NOT NULL,
    version_id          TEXT NOT NULL,         -- 'null' for objects written while unversioned
    is_latest           INTEGER NOT NULL,
    is_delete_marker    INTEGER NOT NULL,
    size                INTEGER NOT NULL,
    etag                TEXT NOT NULL,         -- without quotes
    last_modified       INTEGER NOT NULL,      -- Unix seconds
    content_type        TEXT,
    content_disposition TEXT,
    content_encoding    TEXT,
    content_language    TEXT,
    cache_control       TEXT,
    expires             INTEGER,               -- Unix seconds
    metadata            TEXT NOT NULL,         -- JSON object of x-amz-meta-* (lower-cased keys)
    checksums           TEXT NOT NULL,         -- JSON object {"crc32": base64, ...}
    parts_count         INTEGER,               -- set for multipart objects
    blob                TEXT                   -- NULL for delete markers
);
CREATE UNIQUE INDEX s3_objects_version ON s3_objects(bucket, key, version_id);
CREATE INDEX s3_objects_by_key ON s3_objects(bucket, key, id);
-- At most one latest version per key; also what GET, HEAD and ListObjects read, so a key with
-- thousands of versions costs the same as one with a single version.
CREATE UNIQUE INDEX s3_objects_latest ON s3_objects(bucket, key) WHERE is_latest;

CREATE TABLE s3_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket    TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    initiated INTEGER NOT NULL,
    headers   TEXT NOT NULL                    -- JSON of the object headers given at creation
);
CREATE INDEX s3_uploads_by_key ON s3_uploads(bucket, key, upload_id);

CREATE TABLE s3_parts (
    upload_id     TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
    part_number   INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    checksums     TEXT NOT NULL,
    blob          TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
