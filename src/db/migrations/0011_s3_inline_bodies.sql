-- Bodies of small objects (up to 128 KiB) live in their version's row, as MinIO inlines small
-- objects in xl.meta: a PUT of one is one synced commit, not a synced file, directory and
-- commit. NULL for bodies kept in files under blobs/ (`blob`) and for delete markers.
ALTER TABLE s3_objects ADD COLUMN body BLOB;
