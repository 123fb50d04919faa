-- Object, part and upload times in Unix milliseconds (were seconds): XML listings show
-- `LastModified` to the millisecond as MinIO does, and Docs' version history compares it with
-- database times (issue 12). HTTP headers still show whole seconds.
UPDATE s3_objects SET last_modified = last_modified * 1000;
UPDATE s3_parts SET last_modified = last_modified * 1000;
UPDATE s3_uploads SET initiated = initiated * 1000;
