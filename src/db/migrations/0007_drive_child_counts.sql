-- Every children page of a folder counts its visible children, and every folder in a response
-- carries `numchild`: with 100,000 children each count was an index scan of all of them. Each
-- item now keeps the counts of its direct children, kept right by triggers on every insert,
-- update and delete of a child:
--   live_children         numchild: children that are `is_live`
--   live_folder_children  numchild_folder: the live ones that are folders
--   listed_children       what `children/` lists to anyone: children that are `is_listed`
-- (a suspicious file is listed to its creator only: the partial index below finds those).
ALTER TABLE drive_items ADD COLUMN live_children INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drive_items ADD COLUMN live_folder_children INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drive_items ADD COLUMN listed_children INTEGER NOT NULL DEFAULT 0;

-- Not deleted, not in a deleted subtree, not hard-deleted (0 or 1).
ALTER TABLE drive_items ADD COLUMN is_live INTEGER GENERATED ALWAYS AS (
    hard_deleted_at IS NULL AND deleted_at IS NULL AND ancestors_deleted_at IS NULL
) VIRTUAL;
-- Live, uploaded and not suspicious (0 or 1).
ALTER TABLE drive_items ADD COLUMN is_listed INTEGER GENERATED ALWAYS AS (
    is_live AND upload_state IS NOT 'pending' AND upload_state IS NOT 'suspicious'
) VIRTUAL;

CREATE INDEX drive_items_suspicious ON drive_items (parent_id, creator_id)
    WHERE upload_state = 'suspicious';

CREATE TRIGGER drive_items_count_inserted AFTER INSERT ON drive_items
WHEN NEW.parent_id IS NOT NULL
BEGIN
    UPDATE drive_items SET
        live_children = live_children + NEW.is_live,
        live_folder_children = live_folder_children + (NEW.is_live AND NEW.type = 'folder'),
        listed_children = listed_children + NEW.is_listed
    WHERE id = NEW.parent_id;
END;

CREATE TRIGGER drive_items_count_deleted AFTER DELETE ON drive_items
WHEN OLD.parent_id IS NOT NULL
BEGIN
    UPDATE drive_items SET
        live_children = live_children - OLD.is_live,
        live_folder_children = live_folder_children - (OLD.is_live AND OLD.type = 'folder'),
        listed_children = listed_children - OLD.is_listed
    WHERE id = OLD.parent_id;
END;

-- An update counts as the old row leaving its parent and the new row joining its (maybe other)
-- parent; rows whose counted columns did not change are skipped (a move rewrites the `path` of
-- a whole subtree, and only its root changes parent).
CREATE TRIGGER drive_items_count_updated
AFTER UPDATE OF parent_id, type, hard_deleted_at, deleted_at, ancestors_deleted_at, upload_state
ON drive_items
WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.type IS NOT NEW.type
  OR OLD.is_live IS NOT NEW.is_live OR OLD.is_listed IS NOT NEW.is_listed
BEGIN
    UPDATE drive_items SET
        live_children = live_children - OLD.is_live,
        live_folder_children = live_folder_children - (OLD.is_live AND OLD.type = 'folder'),
        listed_children = listed_children - OLD.is_listed
    WHERE id = OLD.parent_id;
    UPDATE drive_items SET
        live_children = live_children + NEW.is_live,
        live_folder_children = live_folder_children + (NEW.is_live AND NEW.type = 'folder'),
        listed_children = listed_children + NEW.is_listed
    WHERE id = NEW.parent_id;
END;
