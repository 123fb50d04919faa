//! Upstream's `rename_file` Celery task (`core/tasks/item.py`), queued by `perform_update`
//! when a file's title changes: the answer to the PATCH/PUT still shows the old `filename`;
//! then the task sets `filename` to the sanitized new title plus the old extension, copies the
//! object to the new key (`MetadataDirective=COPY`) and deletes the old key. The emulator runs
//! it right after building the answer, so the next read sees it.

use super::error::DriveError;
use super::files;
use super::repo;
use crate::app::AppState;

/// The bucket Drive stores its files in.
const BUCKET: &str = super::items::BUCKET;

/// The new `filename` the task gives a file titled `title` whose filename is `old`: the
/// title with the old extension (Python's `splitext`), sanitized. None when the task leaves
/// the file alone: the name does not change, or it sanitizes to nothing (upstream raises in
/// the task; nothing changes).
pub fn renamed_filename(title: &str, old: &str) -> Option<String> {
    if title.is_empty() {
        return None;
    }
    let (_, extension) = files::splitext(old);
    let new = files::sanitize_filename(&format!("{title}{extension}"))?;
    (new != old).then_some(new)
}

/// Runs the task for item `id`, renamed to `title`. Like upstream's task it does nothing for
/// a folder or a file that is not `ready`.
pub async fn rename_file(app: &AppState, id: &str, title: &str) -> Result<(), DriveError> {
    let key = id.to_owned();
    let Some(item) = app.db.read(move |conn| repo::find_item(conn, &key)).await? else {
        return Ok(());
    };
    if item.is_folder || item.upload_state.as_deref() != Some("ready") {
        return Ok(());
    }
    let Some(old) = item.filename.clone() else {
        return Ok(());
    };
    let Some(new) = renamed_filename(title, &old) else {
        return Ok(());
    };
    let (from, to) = (format!("item/{id}/{old}"), format!("item/{id}/{new}"));
    let (item_id, filename, now) = (id.to_owned(), new.clone(), app.clock.now_micros());
    app.db
        .write(move |tx| repo::set_filename(tx, &item_id, &filename, now))
        .await?;
    copy_object(app, &from, &to).await?;
    app.s3.store.delete_current(BUCKET, &from).await?;
    Ok(())
}

/// CopyObject within Drive's bucket with `MetadataDirective=COPY`: a new latest version at
/// `to` sharing the body (hard link), headers, ETag and checksums of `from`'s. Nothing to copy
/// (no such object) is a no-op, where upstream's task would fail after the rename.
async fn copy_object(app: &AppState, from: &str, to: &str) -> Result<(), DriveError> {
    let store = &app.s3.store;
    let (Some(bucket), Some(version)) = (store.find_bucket(BUCKET), store.current(BUCKET, from).await?)
    else {
        return Ok(());
    };
    let Some(body) = store.duplicate_body(&version).await? else {
        return Ok(());
    };
    let new = crate::s3::model::NewVersion {
        size: version.size,
        etag: version.etag.clone(),
        headers: version.headers.clone(),
        checksums: version.checksums.clone(),
        parts_count: version.parts_count,
        body,
    };
    store
        .commit_version(&bucket, to, new)
        .await
        .map_err(|e| crate::Error::io("copying a renamed file", std::io::Error::other(format!("{e:?}"))))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::renamed_filename;

    #[test]
    fn the_task_keeps_the_old_extension_and_sanitizes() {
        // The example: the extension is added even when the title has one.
        assert_eq!(
            renamed_filename("renamed.md", "document.md").as_deref(),
            Some("renamed.md.md")
        );
        assert_eq!(
            renamed_filename("Rapport été", "old.txt").as_deref(),
            Some("Rapport_ete.txt")
        );
        assert_eq!(
            renamed_filename("no extension", "README").as_deref(),
            Some("no_extension")
        );
        assert_eq!(renamed_filename("a/b <c>", "x.pdf").as_deref(), Some("ab_c.pdf"));
        // Unchanged, empty or unsanitizable: nothing to do.
        assert_eq!(renamed_filename("same", "same.txt"), None);
        assert_eq!(renamed_filename("", "x.txt"), None);
        assert_eq!(renamed_filename("!!!", "x.txt"), None);
    }
}
