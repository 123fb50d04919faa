-- Every children page of a folder counts its visible children, and every folder in a response
-- carries `numchild`: with 100,000 children each count was an index scan of all of them. Each
-- item now keeps the counts of its direct children, kept right by triggers on every insert,
-- update and delete of a child:
--   live_children         numchild: not deleted, not in a deleted subtree, not hard-deleted
--   live_folder_children  numchild_folder: the live ones that are folders
--   listed_children       what `children/` lists to anyone: live, uploaded, not suspicious
-- (a suspicious file is listed to its creator only: the partial index below counts those).
ALTER TABLE drive_items ADD COLUMN live_children INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drive_items ADD COLUMN live_folder_children INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drive_items ADD COLUMN listed_children INTEGER NOT NULL DEFAULT 0;

CREATE INDEX drive_items_suspicious ON drive_items (parent_id, creator_id)
    WHERE upload_state = 'suspicious';

CREATE TRIGGER drive_items_count_inserted AFTER INSERT ON drive_items
WHEN NEW.parent_id IS NOT NULL
BEGIN
    UPDATE drive_items SET
        live_children = live_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL),
        live_folder_children = live_folder_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL AND NEW.type = 'folder'),
        listed_children = listed_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL AND NEW.upload_state IS NOT 'pending'
               AND NEW.upload_state IS NOT 'suspicious')
    WHERE id = NEW.parent_id;
END;

CREATE TRIGGER drive_items_count_deleted AFTER DELETE ON drive_items
WHEN OLD.parent_id IS NOT NULL
BEGIN
    UPDATE drive_items SET
        live_children = live_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL),
        live_folder_children = live_folder_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL AND OLD.type = 'folder'),
        listed_children = listed_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL AND OLD.upload_state IS NOT 'pending'
               AND OLD.upload_state IS NOT 'suspicious')
    WHERE id = OLD.parent_id;
END;

-- An update counts as the old row leaving its parent and the new row joining its (maybe other)
-- parent; rows whose counted columns did not change are skipped (a move rewrites the `path` of
-- a whole subtree, and only its root changes parent).
CREATE TRIGGER drive_items_count_updated
AFTER UPDATE OF parent_id, type, hard_deleted_at, deleted_at, ancestors_deleted_at, upload_state
ON drive_items
WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.type IS NOT NEW.type
  OR OLD.hard_deleted_at IS NOT NEW.hard_deleted_at OR OLD.deleted_at IS NOT NEW.deleted_at
  OR OLD.ancestors_deleted_at IS NOT NEW.ancestors_deleted_at
  OR OLD.upload_state IS NOT NEW.upload_state
BEGIN
    UPDATE drive_items SET
        live_children = live_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL),
        live_folder_children = live_folder_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL AND OLD.type = 'folder'),
        listed_children = listed_children
            - (OLD.hard_deleted_at IS NULL AND OLD.deleted_at IS NULL
               AND OLD.ancestors_deleted_at IS NULL AND OLD.upload_state IS NOT 'pending'
               AND OLD.upload_state IS NOT 'suspicious')
    WHERE id = OLD.parent_id;
    UPDATE drive_items SET
        live_children = live_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL),
        live_folder_children = live_folder_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL AND NEW.type = 'folder'),
        listed_children = listed_children
            + (NEW.hard_deleted_at IS NULL AND NEW.deleted_at IS NULL
               AND NEW.ancestors_deleted_at IS NULL AND NEW.upload_state IS NOT 'pending'
               AND NEW.upload_state IS NOT 'suspicious')
    WHERE id = NEW.parent_id;
END;
