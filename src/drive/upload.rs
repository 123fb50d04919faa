//! `POST items/{id}/upload-ended/` (spec §8.8, §10.3): the client has PUT the body to the
//! presigned policy; the emulator reads it through its own store (not over HTTP), checks size
//! and type, fixes the stored Content-Type and makes the file ready.

use serde_json::Value;

use super::auth::Caller;
use super::error::DriveError;
use super::files;
use super::items::{self, BUCKET};
use super::repo;
use super::represent;
use crate::app::AppState;

/// `DATA_UPLOAD_MAX_MEMORY_SIZE`.
const MAX_SIZE: i64 = 2 * 1024 * 1024 * 1024;
/// How much of the body the type is sniffed from.
const SNIFF_BYTES: u64 = 2048;

/// `FILE_MIMETYPE_ALLOWED` (§11.2), sorted for binary search. Upstream's list runs two entries
/// together (`application/x-python-bytecodeapplication/x-shellscript`), so neither half is
/// allowed there; the joined text is kept so the emulator refuses the same types.
const MIMETYPES_ALLOWED: &[&str] = &[
    "application/epub+zip",
    "application/gml+xml",
    "application/gpx+xml",
    "application/gzip",
    "application/json",
    "application/msword",
    "application/octet-stream",
    "application/pdf",
    "application/pgp-signature",
    "application/pkcs10",
    "application/pkcs7-signature",
    "application/pkix-cert",
    "application/postscript",
    "application/rtf",
    "application/sql",
    "application/vnd.android.package-archive",
    "application/vnd.businessobjects",
    "application/vnd.chemdraw+xml",
    "application/vnd.debian.binary-package",
    "application/vnd.dna",
    "application/vnd.dynageo",
    "application/vnd.google-earth.kml+xml",
    "application/vnd.google-earth.kmz",
    "application/vnd.koan",
    "application/vnd.mcd",
    "application/vnd.mindjet.mindmanager",
    "application/vnd.ms-excel",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel.template.macroenabled.12",
    "application/vnd.ms-fontobject",
    "application/vnd.ms-outlook",
    "application/vnd.ms-pki.stl",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
    "application/vnd.ms-powerpoint.template.macroenabled.12",
    "application/vnd.ms-project",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-word.template.macroenabled.12",
    "application/vnd.ms-xpsdocument",
    "application/vnd.oasis.opendocument.chart",
    "application/vnd.oasis.opendocument.chart-template",
    "application/vnd.oasis.opendocument.database",
    "application/vnd.oasis.opendocument.formula",
    "application/vnd.oasis.opendocument.graphics",
    "application/vnd.oasis.opendocument.graphics-template",
    "application/vnd.oasis.opendocument.image",
    "application/vnd.oasis.opendocument.image-template",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.presentation-template",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.text-master",
    "application/vnd.oasis.opendocument.text-template",
    "application/vnd.oasis.opendocument.text-web",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "application/vnd.openxmlformats-officedocument.presentationml.template",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.palm",
    "application/vnd.realvnc.bed",
    "application/vnd.sqlite3",
    "application/vnd.sun.xml.calc",
    "application/vnd.sun.xml.calc.template",
    "application/vnd.sun.xml.draw",
    "application/vnd.sun.xml.draw.template",
    "application/vnd.sun.xml.impress",
    "application/vnd.sun.xml.math",
    "application/vnd.sun.xml.writer",
    "application/vnd.sun.xml.writer.global",
    "application/vnd.sun.xml.writer.template",
    "application/vnd.visio",
    "application/vnd.yamaha.openscoreformat",
    "application/x-7z-compressed",
    "application/x-bzip",
    "application/x-bzip2",
    "application/x-debian-package",
    "application/x-empty",
    "application/x-freearc",
    "application/x-keepass",
    "application/x-keepass2",
    "application/x-msaccess",
    "application/x-msmetafile",
    "application/x-mspublisher",
    "application/x-python-bytecodeapplication/x-shellscript",
    "application/x-python-code",
    "application/x-rar",
    "application/x-rar-compressed",
    "application/x-research-info-systems",
    "application/x-sh",
    "application/x-sql",
    "application/x-sqlite3",
    "application/x-subrip",
    "application/x-tar",
    "application/x-tex",
    "application/x-tgif",
    "application/x-x509-ca-cert",
    "application/x-xz",
    "application/xml",
    "application/yaml",
    "application/zed",
    "application/zip",
    "audio/aac",
    "audio/basic",
    "audio/mp4",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
    "audio/x-aac",
    "audio/x-aiff",
    "audio/x-wav",
    "chemical/x-cif",
    "font/collection",
    "font/otf",
    "font/ttf",
    "font/woff",
    "font/woff2",
    "image/bmp",
    "image/gif",
    "image/heic",
    "image/jpeg",
    "image/png",
    "image/svg+xml",
    "image/tiff",
    "image/vnd.adobe.photoshop",
    "image/vnd.djvu",
    "image/vnd.dwg",
    "image/vnd.dxf",
    "image/webp",
    "image/x-icon",
    "message/rfc822",
    "model/iges",
    "text/calendar",
    "text/csv",
    "text/markdown",
    "text/plain",
    "text/tab-separated-values",
    "text/vtt",
    "text/x-c",
    "text/x-python",
    "text/x-tex",
    "text/x-vcard",
    "video/3gpp",
    "video/3gpp2",
    "video/mp2t",
    "video/mp4",
    "video/mpeg",
    "video/quicktime",
    "video/webm",
    "video/x-m4v",
    "video/x-matroska",
    "video/x-msvideo",
];

pub fn mimetype_allowed(mimetype: &str) -> bool {
    MIMETYPES_ALLOWED.binary_search(&mimetype).is_ok()
}

/// The steps of §8.8, in upstream's order.
pub async fn upload_ended(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let loaded = items::load(app, caller, id, "upload_ended").await?;
    let mut item = loaded.item;
    if item.is_folder {
        return Err(DriveError::invalid(
            "item",
            "item_upload_type_unavailable",
            "This action is only available for items of type FILE.",
        ));
    }
    if item.upload_state.as_deref() != Some("pending") {
        return Err(DriveError::invalid(
            "item",
            "item_upload_state_not_pending",
            "This action is only available for items in PENDING state.",
        ));
    }
    let key = item.object_key().unwrap_or_default();
    let store = &app.s3.store;
    let Some((object, head)) = store.current_with_prefix(BUCKET, &key, SNIFF_BYTES).await? else {
        // Upstream's HEAD raises botocore's ClientError, which no handler maps: 500.
        return Err(DriveError::unhandled(
            "ClientError",
            "An error occurred (404) when calling the HeadObject operation: Not Found",
            format!("no object was uploaded at {key} in bucket {BUCKET} (upload-ended before the PUT)"),
        ));
    };
    if object.size > MAX_SIZE {
        purge(app, &item.id, &key).await?;
        return Err(DriveError::validation(vec![(
            "file_size_exceeded".into(),
            "The file size is higher than the allowed max size.".into(),
            None,
        )]));
    }
    let mimetype = files::detect_mimetype(&head, item.filename.as_deref());
    if !mimetype_allowed(&mimetype) {
        purge(app, &item.id, &key).await?;
        return Err(DriveError::validation(vec![(
            "file_type_not_allowed".into(),
            "The file type is not allowed.".into(),
            None,
        )]));
    }
    let (item_id, size, detected) = (item.id.clone(), object.size, mimetype.clone());
    // The dummy malware scanner answers at once: stored `ready`, answered `analyzing`.
    app.db
        .write(move |tx| repo::finish_upload(tx, &item_id, &detected, size, "ready"))
        .await?;
    if object.headers.content_type.as_deref() != Some(mimetype.as_str())
        && let Err(error) = store.replace_content_type(BUCKET, &object, &mimetype).await
    {
        tracing::warn!(%error, key, "could not rewrite the Content-Type of an upload");
    }
    item.upload_state = Some("analyzing".into());
    item.mimetype = Some(mimetype);
    item.size = Some(size);
    Ok(represent::item_json(
        &item,
        &loaded.context,
        &items::urls(app),
        true,
    ))
}

/// Removes a refused upload completely: the item's rows and its object.
async fn purge(app: &AppState, item_id: &str, key: &str) -> Result<(), DriveError> {
    let id = item_id.to_owned();
    app.db.write(move |tx| repo::delete_item_rows(tx, &id)).await?;
    app.s3.store.delete_current(BUCKET, key).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_is_sorted_and_keeps_upstreams_joined_entry() {
        assert!(
            MIMETYPES_ALLOWED.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert!(mimetype_allowed("text/plain"));
        assert!(mimetype_allowed("application/x-empty"));
        assert!(!mimetype_allowed("application/x-shellscript"));
        assert!(!mimetype_allowed("text/html"));
    }
}
