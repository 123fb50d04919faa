//! The JSON shapes of items (spec §7.3-§7.5), their timestamps and computed URLs.

use serde_json::{Map, Value, json};

use super::abilities::{self, LinkDefinition};
use super::files;
use super::model::{Item, ItemContext, Role};

/// Trash retention (`TRASHBIN_CUTOFF_DAYS`): `hard_delete_at`, and past it a deleted item is
/// gone for every purpose.
pub const TRASHBIN_CUTOFF_MICROS: i64 = 30 * 24 * 3600 * 1_000_000;

/// Django REST framework's datetime: UTC, `Z`, microseconds only when non-zero.
pub fn timestamp(micros: i64) -> String {
    format!("{}Z", iso(micros))
}

/// `hard_delete_at`'s quirk: Python's `isoformat()`, so `+00:00` instead of `Z`.
pub fn python_isoformat(micros: i64) -> String {
    format!("{}+00:00", iso(micros))
}

fn iso(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let at = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    if fraction == 0 {
        base
    } else {
        format!("{base}.{fraction:06}")
    }
}

/// Percent-encodes an object key for a media URL, keeping `/`: Python's `quote` upstream, which
/// keeps the same characters as AWS's URI encoding.
pub fn quote_key(key: &str) -> String {
    crate::s3::presign::uri_encode(key, true)
}

/// Where the emulator serves item bodies and writes links (its public URL).
pub struct Urls<'a> {
    pub public_url: &'a str,
    /// Drive PR #790's model (`[drive] docs_poc`): every item representation has `metadata`.
    pub with_metadata: bool,
}

impl Urls<'_> {
    fn media_key(&self, item: &Item) -> Option<String> {
        if item.upload_state.as_deref() == Some("pending") {
            return None;
        }
        item.object_key().map(|key| quote_key(&key))
    }

    pub fn url(&self, item: &Item) -> Option<String> {
        self.media_key(item)
            .map(|key| format!("{}/media/{key}", self.public_url))
    }

    pub fn url_preview(&self, item: &Item) -> Option<String> {
        self.media_key(item)
            .filter(|_| files::is_previewable(item.mimetype.as_deref()))
            .map(|key| format!("{}/media/preview/{key}", self.public_url))
    }

    /// Upstream links the internal API's download route, whatever API was called.
    pub fn url_permalink(&self, item: &Item) -> Option<String> {
        self.media_key(item)
            .map(|_| format!("{}/api/v1.0/items/{}/download/", self.public_url, item.id))
    }
}

fn reach_json(definition: LinkDefinition) -> (Value, Value) {
    (
        json!(definition.reach.map(|r| r.as_str())),
        json!(definition.role.map(Role::as_str)),
    )
}

/// The keys every item representation shares.
fn common(item: &Item, context: &ItemContext, urls: &Urls<'_>) -> Map<String, Value> {
    let (ancestors_reach, ancestors_role) = reach_json(abilities::ancestors_definition(context));
    let (computed_reach, computed_role) = reach_json(abilities::computed_definition(item, context));
    let json = json!({
        "id": item.id,
        "abilities": abilities::item_abilities(item, context),
        "ancestors_link_reach": ancestors_reach,
        "ancestors_link_role": ancestors_role,
        "computed_link_reach": computed_reach,
        "computed_link_role": computed_role,
        "created_at": timestamp(item.created_at),
        "creator": item.creator.as_ref().map(|c| c.to_json()),
        "depth": item.depth,
        "link_role": item.link_role.as_str(),
        "link_reach": item.link_reach.map(|r| r.as_str()),
        "nb_accesses": context.nb_accesses,
        "path": item.path,
        "title": item.title,
        "updated_at": timestamp(item.updated_at),
        "user_role": context.role.map(Role::as_str),
        "type": item.kind(),
        "upload_state": item.upload_state,
        "url": urls.url(item),
        "url_permalink": urls.url_permalink(item),
        "filename": item.filename,
        "main_workspace": item.main_workspace,
        "size": item.size,
        "description": item.description,
        "hard_delete_at": item.deleted_at.map(|at| python_isoformat(at + TRASHBIN_CUTOFF_MICROS)),
    });
    match json {
        Value::Object(map) => map,
        _ => unreachable!("a json! object"),
    }
}

/// The detail and list representation (§7.3, §7.4). `with_favorite` is false only in the
/// trashbin, where upstream omits `is_favorite`.
pub fn item_json(item: &Item, context: &ItemContext, urls: &Urls<'_>, with_favorite: bool) -> Value {
    let mut map = common(item, context, urls);
    map.insert("numchild".into(), json!(context.numchild));
    map.insert("numchild_folder".into(), json!(context.numchild_folder));
    map.insert("url_preview".into(), json!(urls.url_preview(item)));
    map.insert("mimetype".into(), json!(item.mimetype));
    map.insert("deleted_at".into(), json!(item.deleted_at.map(timestamp)));
    // No WOPI client is configured in the emulator, so no item is WOPI-editable.
    map.insert("is_wopi_supported".into(), json!(false));
    if urls.with_metadata {
        map.insert("metadata".into(), item.metadata.clone());
    }
    if with_favorite {
        map.insert("is_favorite".into(), json!(context.is_favorite));
    }
    Value::Object(map)
}

/// The creation representation (§7.5): no preview, mimetype, deletion or favorite keys, and
/// the upload `policy`.
pub fn created_json(item: &Item, context: &ItemContext, urls: &Urls<'_>, policy: Option<String>) -> Value {
    let mut map = common(item, context, urls);
    map.insert("numchild".into(), json!(0));
    map.insert("numchild_folder".into(), json!(0));
    map.insert("policy".into(), json!(policy));
    if urls.with_metadata {
        map.insert("metadata".into(), item.metadata.clone());
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_drf_and_python() {
        assert_eq!(timestamp(1_772_360_430_123_456), "2026-03-01T10:20:30.123456Z");
        assert_eq!(timestamp(1_772_360_430_000_000), "2026-03-01T10:20:30Z");
        assert_eq!(
            python_isoformat(1_772_360_430_000_100),
            "2026-03-01T10:20:30.000100+00:00"
        );
    }

    #[test]
    fn keys_are_quoted_like_python() {
        assert_eq!(
            quote_key("item/x/my file#1é.txt"),
            "item/x/my%20file%231%C3%A9.txt"
        );
    }
}
