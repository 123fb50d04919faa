-- Drive PR #790 (suitenumerique/drive, "support file items pointing to external apps"):
-- `Item.metadata`, a JSON object (Django's JSONField, default {}). `metadata.external_app`
-- turns a file into a pointer to another app's resource. JSON text; NULL reads as {}.
ALTER TABLE drive_items ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
