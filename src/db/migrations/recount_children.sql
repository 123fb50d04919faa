-- The child counts of every item, recomputed from the rows (see 0007_drive_child_counts.sql):
-- run once when the counts are introduced, and after a restore, whose bulk copy also runs the
-- triggers on counts the snapshot already holds.
UPDATE drive_items SET (live_children, live_folder_children, listed_children) = (
    SELECT COUNT(*), COALESCE(SUM(c.type = 'folder'), 0), COALESCE(SUM(c.is_listed), 0)
    FROM drive_items c
    WHERE c.parent_id = drive_items.id AND c.is_live
);
