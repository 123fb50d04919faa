//! `items/` of the external API (spec §8): creation at the root and below a folder, retrieve,
//! and the children listing. Rules are plain functions; SQL lives in `repo.rs`.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::auth::Caller;
use super::body;
use super::error::DriveError;
use super::files;
use super::model::{Item, ItemContext, Reach, Role};
use super::page::{Ordering, Page};
use super::repo::{self, NewItem};
use super::represent::{self, Urls};
use super::templates;
use crate::app::AppState;

use super::represent::TRASHBIN_CUTOFF_MICROS;
const TITLE_MAX: usize = 255;
/// Where Drive stores bodies, and with which credentials and ACL it presigns uploads.
pub const BUCKET: &str = "drive-media-storage";
const STORAGE_ACCESS_KEY: &str = "drive";
const STORAGE_REGION: &str = "eu-east-1";
const UPLOAD_ACL: &str = "private";
const UPLOAD_POLICY_EXPIRATION: u64 = 60;

/// A validated creation request (§8.3 steps 1-2).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub id: Option<String>,
    pub title: String,
    pub is_folder: bool,
    pub filename: Option<String>,
    pub description: Option<String>,
    /// `odt`, `ods` or `odp`: the file is created from an empty document, already ready.
    pub template: Option<String>,
    /// `metadata` (Drive PR #790, `[drive] docs_poc`); `{}` otherwise.
    pub metadata: Value,
}

type FieldError = (String, String, Option<String>);

fn field_error(attr: &str, code: &str, detail: &str) -> FieldError {
    (code.to_owned(), detail.to_owned(), Some(attr.to_owned()))
}

/// A DRF `CharField`: strings, and numbers as their text; null only when allowed.
fn char_field(
    body: &Map<String, Value>,
    name: &str,
    allow_null: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match body.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Null if allow_null => None,
        Value::Null => {
            errors.push(field_error(name, "null", "This field may not be null."));
            None
        }
        _ => {
            errors.push(field_error(name, "invalid", "Not a valid string."));
            None
        }
    }
}

/// Validates a creation body: every field error first, as DRF does, then the cross-field
/// rules. Omitting `type` passes the field checks (the field is not required) and crashes
/// upstream's `validate()` on `attrs["type"]`: an unhandled `KeyError`, 500 as upstream.
pub fn validate_create(body: &Map<String, Value>) -> Result<CreateRequest, DriveError> {
    validate_create_as(body, false)
}

/// [`validate_create`] as Drive PR #790 extends it when `docs_poc`: a `metadata` JSON field
/// (anything JSON), and a file whose `metadata.external_app` is truthy is a pointer: it needs
/// a title and no filename.
pub fn validate_create_as(body: &Map<String, Value>, docs_poc: bool) -> Result<CreateRequest, DriveError> {
    let metadata = match body.get("metadata") {
        Some(value) if docs_poc => value.clone(),
        _ => Value::Object(Map::new()),
    };
    let mut request = validate_fields(body, docs_poc)?;
    let external = match &metadata {
        Value::Object(_) => super::model::external_app(&metadata).is_some(),
        // `(attrs.get("metadata") or {}).get("external_app")`: a falsy value is `{}`, any
        // other non-dict has no `.get`.
        Value::Null | Value::Bool(false) => false,
        Value::String(t) if t.is_empty() => false,
        Value::Array(a) if a.is_empty() => false,
        Value::Number(n) if n.as_f64() == Some(0.0) => false,
        other => {
            let kind = match other {
                Value::Array(_) => "list",
                Value::String(_) => "str",
                Value::Bool(_) => "bool",
                Value::Number(n) if n.is_f64() => "float",
                _ => "int",
            };
            return Err(DriveError::unhandled(
                "AttributeError",
                format!("'{kind}' object has no attribute 'get'"),
                "metadata is not a JSON object: PR #790's validate() calls .get on it (AttributeError, 500)",
            ));
        }
    };
    if external && !request.is_folder && body.contains_key("type") {
        let title = match body.get("title") {
            Some(Value::String(t)) => Some(t.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let Some(title) = title else {
            return Err(DriveError::invalid("title", "invalid", "This field is required."));
        };
        request.title = title;
        request.filename = match body.get("filename") {
            Some(Value::String(f)) => Some(f.clone()),
            _ => None,
        };
        request.template = None;
    }
    request.metadata = metadata;
    Ok(request)
}

/// The field checks and the cross-field rules of a creation. A pointer file (PR #790) passes
/// them with a stand-in filename its caller replaces.
fn validate_fields(body: &Map<String, Value>, docs_poc: bool) -> Result<CreateRequest, DriveError> {
    let external = docs_poc
        && body
            .get("metadata")
            .is_some_and(|m| m.is_object() && super::model::external_app(m).is_some());
    let mut errors = Vec::new();
    let id = match body.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if uuid::Uuid::parse_str(text).is_ok() => Some(
            uuid::Uuid::parse_str(text)
                .map(|u| u.to_string())
                .unwrap_or_default(),
        ),
        Some(_) => {
            errors.push(field_error("id", "invalid", "Must be a valid UUID."));
            None
        }
    };
    let title = char_field(body, "title", false, &mut errors);
    if let Some(title) = &title {
        if title.trim().is_empty() {
            errors.push(field_error("title", "blank", "This field may not be blank."));
        } else if title.trim().chars().count() > TITLE_MAX {
            errors.push(field_error(
                "title",
                "max_length",
                "Ensure this field has no more than 255 characters.",
            ));
        }
    }
    let kind = match body.get("type") {
        None => None,
        Some(Value::String(kind)) if kind == "folder" || kind == "file" => Some(kind.clone()),
        Some(Value::Null) => {
            errors.push(field_error("type", "null", "This field may not be null."));
            None
        }
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
            errors.push(field_error(
                "type",
                "invalid_choice",
                &format!("\"{shown}\" is not a valid choice."),
            ));
            None
        }
    };
    let filename = char_field(body, "filename", true, &mut errors);
    if filename.as_ref().is_some_and(|f| f.chars().count() > TITLE_MAX) {
        errors.push(field_error(
            "filename",
            "max_length",
            "Ensure this field has no more than 255 characters.",
        ));
    }
    let description = char_field(body, "description", true, &mut errors);
    let extension = match body.get("extension") {
        None | Some(Value::Null) => None,
        Some(Value::String(ext)) if ["odt", "ods", "odp"].contains(&ext.as_str()) => Some(ext.clone()),
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
            errors.push(field_error(
                "extension",
                "invalid_choice",
                &format!("\"{shown}\" is not a valid choice."),
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(DriveError::validation(errors));
    }
    if !body.contains_key("type") {
        return Err(DriveError::unhandled(
            "KeyError",
            "'type'",
            "the creation body has no \"type\": upstream's ItemSerializer.validate() reads attrs[\"type\"] (KeyError, 500)",
        ));
    }
    let is_folder = kind.as_deref() == Some("folder");
    let title = title.map(|t| t.trim().to_owned());
    if is_folder {
        if filename.is_some() {
            return Err(DriveError::invalid(
                "filename",
                "item_filename_only_allowed_for_files",
                "Filename is only allowed for files.",
            ));
        }
        let Some(title) = title else {
            return Err(DriveError::invalid(
                "title",
                "item_create_folder_title_required",
                "This field is required for folders.",
            ));
        };
        return Ok(CreateRequest {
            id,
            title,
            is_folder,
            filename: None,
            description,
            template: None,
            metadata: Value::Null,
        });
    }
    if external {
        return Ok(CreateRequest {
            id,
            title: title.unwrap_or_default(),
            is_folder,
            filename: None,
            description,
            template: None,
            metadata: Value::Null,
        });
    }
    if let Some(extension) = extension {
        let Some(title) = title else {
            return Err(DriveError::invalid("title", "invalid", "This field is required."));
        };
        return Ok(CreateRequest {
            id,
            filename: Some(format!("{}.{extension}", title.replace('/', "-"))),
            title,
            is_folder,
            description,
            template: Some(extension),
            metadata: Value::Null,
        });
    }
    let Some(filename) = filename else {
        return Err(DriveError::invalid(
            "filename",
            "item_create_file_filename_required",
            "This field is required for files.",
        ));
    };
    if !files::extension_allowed(&filename) {
        return Err(DriveError::invalid(
            "filename",
            "item_create_file_extension_not_allowed",
            "This file extension is not allowed.",
        ));
    }
    let Some(sanitized) = files::sanitize_filename(&filename) else {
        return Err(DriveError::invalid(
            "non_field_errors",
            "invalid",
            "filename is empty once sanitized and it is not allowed",
        ));
    };
    Ok(CreateRequest {
        id,
        title: filename,
        is_folder,
        filename: Some(sanitized),
        description,
        template: None,
        metadata: Value::Null,
    })
}

/// An item and the caller's relation to it, after the object permission of §6.6 (without the
/// child counts, which only representations need).
pub struct Loaded {
    pub item: Item,
    pub context: ItemContext,
}

/// Loads item `id` for `ability`: invisible items are 404, a missing ability 403.
pub async fn load(app: &AppState, caller: &Caller, id: &str, ability: &str) -> Result<Loaded, DriveError> {
    let Ok(id) = uuid::Uuid::parse_str(id).map(|u| u.to_string()) else {
        return Err(DriveError::not_found());
    };
    let user_id = caller.user.id.clone();
    let found = app
        .db
        .read(move |conn| {
            let Some(item) = repo::find_item(conn, &id)? else {
                return Ok(None);
            };
            let context = repo::access_context(conn, &item, &user_id)?;
            Ok(Some(Loaded { item, context }))
        })
        .await?;
    let loaded = found.ok_or_else(DriveError::not_found)?;
    let now = app.clock.now_micros();
    let (item, context) = (&loaded.item, &loaded.context);
    let suspicious = item.upload_state.as_deref() == Some("suspicious");
    if suspicious && !context.caller_is_creator {
        return Err(DriveError::not_found());
    }
    if let Some(deleted) = item.ancestors_deleted_at
        && (deleted < now - TRASHBIN_CUTOFF_MICROS || context.role != Some(Role::Owner))
    {
        return Err(DriveError::not_found());
    }
    if !super::abilities::allows(item, context, ability) {
        return Err(DriveError::permission_denied());
    }
    Ok(loaded)
}

pub fn urls(app: &AppState) -> Urls<'_> {
    Urls {
        public_url: &app.public_url,
        with_metadata: app.drive().docs_poc,
    }
}

/// `GET items/{id}/` (§8.2): the detail representation; the caller's link trace is recorded.
pub async fn retrieve(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let loaded = load(app, caller, id, "retrieve").await?;
    let (user_id, item_id, now) = (
        caller.user.id.clone(),
        loaded.item.id.clone(),
        app.clock.now_micros(),
    );
    let item = loaded.item.clone();
    let counts = app
        .db
        .write(move |tx| {
            repo::trace_link(tx, &user_id, &item_id, now)?;
            repo::child_counts(tx, &item)
        })
        .await?;
    let mut context = loaded.context;
    (context.numchild, context.numchild_folder) = counts;
    Ok(represent::item_json(&loaded.item, &context, &urls(app), true))
}

/// `POST items/` (no parent) and `POST items/{id}/children/` (§8.3, §8.7): 201 with the
/// creation representation, and upstream's `Location` quirk (the text of `url`).
pub async fn create(
    app: &AppState,
    caller: &Caller,
    parent_id: Option<&str>,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<Response, DriveError> {
    let parent = match parent_id {
        Some(id) => Some(load(app, caller, id, "children_create").await?.item),
        None => None,
    };
    let docs_poc = app.drive().docs_poc;
    let request = validate_create_as(&body::json_object(headers, raw)?, docs_poc)?;
    let template = request.template.clone();
    // A pointer item (PR #790) can hold children: an app's sub-resources.
    if parent
        .as_ref()
        .is_some_and(|p| !p.is_folder && p.external_app().is_none())
    {
        return Err(DriveError::invalid(
            "type",
            "item_create_child_type_folder_only",
            "Only folders can have children.",
        ));
    }
    let quota_excluded = app
        .drive()
        .aud_item_attributes(&caller.audience)
        .is_some_and(|attributes| attributes.get("quota_excluded") == Some(&Value::Bool(true)));
    let (user_id, now) = (caller.user.id.clone(), app.clock.now_micros());
    let created = app
        .db
        .write(move |tx| {
            if let Some(id) = &request.id
                && repo::item_id_taken(tx, id)?
            {
                return Ok(None);
            }
            let title = match &parent {
                Some(parent) => {
                    files::deduplicate_title(&request.title, &repo::sibling_titles(tx, &parent.id)?)
                }
                None => request.title.clone(),
            };
            let new = NewItem {
                id: request
                    .id
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                link_reach: parent.is_none().then_some(Reach::Restricted),
                parent,
                title,
                is_folder: request.is_folder,
                filename: request.filename.clone(),
                description: request.description.clone(),
                quota_excluded,
                creator_id: user_id.clone(),
                now,
                metadata: request.metadata.clone(),
            };
            repo::insert_item(tx, &new)?;
            if new.parent.is_none() {
                repo::insert_access(tx, &new.id, &user_id, Role::Owner, now)?;
            }
            let item = repo::find_item(tx, &new.id)?.expect("the row just inserted");
            let context = repo::item_context(tx, &item, &user_id)?;
            Ok(Some(Loaded { item, context }))
        })
        .await?;
    let Some(Loaded { mut item, context }) = created else {
        return Err(DriveError::invalid(
            "id",
            "item_create_existing_id",
            "An item with this ID already exists. You cannot override it.",
        ));
    };
    if let Some(extension) = &template {
        fill_from_template(app, &mut item, extension).await?;
    }
    if docs_poc {
        super::external_apps::create_resource(app, caller, &item).await?;
    }
    let policy = upload_policy(app, &item);
    let urls = urls(app);
    let location = urls.url(&item).unwrap_or_else(|| "None".into());
    let body = represent::created_json(&item, &context, &urls, policy);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(body),
    )
        .into_response())
}

/// Stores an empty document as the new file's body and makes it ready; if the store fails,
/// the item is removed (§8.3 step 4).
async fn fill_from_template(app: &AppState, item: &mut Item, extension: &str) -> Result<(), DriveError> {
    let (mimetype, body) = templates::empty_document(extension).expect("validated extension");
    let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let key = item.object_key().unwrap_or_default();
    if let Err(error) = app.s3.store.put_bytes(BUCKET, &key, body, mimetype).await {
        tracing::warn!(%error, key, "template upload failed");
        let id = item.id.clone();
        app.db.write(move |tx| repo::delete_item_rows(tx, &id)).await?;
        return Err(DriveError::invalid(
            "detail",
            "storage_upload_error",
            "Error uploading file to storage.",
        ));
    }
    let id = item.id.clone();
    app.db
        .write(move |tx| repo::finish_upload(tx, &id, mimetype, size, "ready"))
        .await?;
    item.upload_state = Some("ready".into());
    item.mimetype = Some(mimetype.into());
    item.size = Some(size);
    Ok(())
}

/// The presigned PUT a client uploads a new file's body with (§10.1), on the public URL.
fn upload_policy(app: &AppState, item: &Item) -> Option<String> {
    if item.upload_state.as_deref() == Some("ready") {
        return None;
    }
    let key = item.object_key()?;
    let secret = app.s3.credentials.secret(STORAGE_ACCESS_KEY)?;
    Some(crate::s3::presign::presigned_put_url(
        &app.public_url,
        BUCKET,
        &key,
        STORAGE_ACCESS_KEY,
        &secret,
        STORAGE_REGION,
        Some(UPLOAD_ACL),
        // Signed at the emulator's time, by which the store expires presigned URLs; s3s also
        // takes it within its 15-minute skew of the system clock (docs/compat.md).
        app.clock.now(),
        UPLOAD_POLICY_EXPIRATION,
    ))
}

/// `GET items/{id}/children/` (§8.6): one page of the visible children.
pub async fn children(
    app: &AppState,
    caller: &Caller,
    id: &str,
    query: &[(String, String)],
    request_path: &str,
) -> Result<Value, DriveError> {
    let loaded = load(app, caller, id, "children_list").await?;
    let scope = repo::Scope::Children(loaded.item.id.clone());
    let rows = listing(app, caller, scope, query, "i.created_at ASC").await?;
    rows.envelope(app, query, request_path, represent::item_json)
}

/// `GET items/favorites/` and `GET items/recents/` (§9.5): the caller's favorites, or
/// everything in the trees they have an access on, in the light list representation.
pub async fn favorites_or_recents(
    app: &AppState,
    caller: &Caller,
    favorites: bool,
    query: &[(String, String)],
    request_path: &str,
) -> Result<Value, DriveError> {
    // The link-traced roots are found in the listing's read.
    let scope = if favorites {
        repo::Scope::Favorites(Vec::new())
    } else {
        repo::Scope::AccessibleTrees(Vec::new())
    };
    let rows = listing(app, caller, scope, query, "i.updated_at DESC").await?;
    rows.envelope(app, query, request_path, |item, context, urls, _| {
        let mut json = represent::item_json(item, context, urls, true);
        if let Some(map) = json.as_object_mut() {
            for key in [
                "ancestors_link_reach",
                "ancestors_link_role",
                "computed_link_reach",
                "computed_link_role",
                "nb_accesses",
            ] {
                map.remove(key);
            }
        }
        json
    })
}

/// One page of a listing, with each item's context.
struct Listing {
    count: i64,
    rows: Vec<(Item, ItemContext)>,
    page: Page,
}

impl Listing {
    fn envelope(
        self,
        app: &AppState,
        query: &[(String, String)],
        request_path: &str,
        represent: impl Fn(&Item, &ItemContext, &Urls<'_>, bool) -> Value,
    ) -> Result<Value, DriveError> {
        let urls = urls(app);
        let results = self
            .rows
            .iter()
            .map(|(item, context)| represent(item, context, &urls, true))
            .collect();
        self.page
            .envelope(self.count, results, &app.public_url, request_path, query)
    }
}

/// Runs a paginated listing over `scope` with the §8.1 filters and `ordering`.
async fn listing(
    app: &AppState,
    caller: &Caller,
    scope: repo::Scope,
    query: &[(String, String)],
    default_order: &'static str,
) -> Result<Listing, DriveError> {
    let mut filter = filters(query)?;
    poc_filters(
        app,
        caller,
        query,
        &mut filter,
        !matches!(scope, repo::Scope::Children(_)),
    );
    let ordering = Ordering::parse(query, default_order);
    let requested = Page::parse(query);
    let user_id = caller.user.id.clone();
    let listing = app
        .db
        .read(move |conn| {
            let mut scope = scope;
            if let repo::Scope::AccessibleTrees(paths) | repo::Scope::Favorites(paths) = &mut scope {
                *paths = traced_roots(conn, &user_id)?;
            }
            let fetch = |page: &Page| {
                repo::items_page(
                    conn,
                    &scope,
                    &user_id,
                    &filter,
                    &ordering.sql(),
                    (page.size, page.offset()),
                )
            };
            let (mut count, mut items) = fetch(&requested)?;
            let mut page = requested.clone();
            if requested.wants_last() {
                page = requested.resolved(count);
                (count, items) = fetch(&page)?;
            }
            let mut rows = Vec::with_capacity(items.len());
            for item in items {
                let context = repo::item_context(conn, &item, &user_id)?;
                rows.push((item, context));
            }
            Ok(Listing { count, rows, page })
        })
        .await?;
    Ok(listing)
}

/// The paths of the items the caller reached through a link and holds no access on, whose
/// computed reach is not restricted: with the accessed items, the roots of upstream's
/// `get_queryset_for_descendants` (favorites, recents).
fn traced_roots(conn: &rusqlite::Connection, user_id: &str) -> crate::Result<Vec<String>> {
    let mut paths = Vec::new();
    for (item, direct) in repo::list_candidates(conn, user_id, &repo::SqlFilter::default(), "i.path")? {
        if direct {
            continue;
        }
        let context = repo::item_context(conn, &item, user_id)?;
        let reach = super::abilities::computed_definition(&item, &context).reach;
        if reach.is_some_and(|r| r != Reach::Restricted) {
            paths.push(item.path.clone());
        }
    }
    Ok(paths)
}

/// `GET items/` (§8.1): the highest items the caller reaches, directly or through a link
/// they followed, filtered, ordered (default `-updated_at`) and paginated.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    query: &[(String, String)],
    request_path: &str,
) -> Result<Value, DriveError> {
    let mut filter = filters(query)?;
    poc_filters(app, caller, query, &mut filter, true);
    match boolean_param(query, "is_creator_me") {
        Some(true) => filter.and("i.creator_id = ?", &caller.user.id),
        Some(false) => filter.and("(i.creator_id IS NULL OR i.creator_id <> ?)", &caller.user.id),
        None => {}
    }
    let favorite = boolean_param(query, "is_favorite");
    let ordering = Ordering::parse(query, "i.updated_at DESC");
    let requested = Page::parse(query);
    let user_id = caller.user.id.clone();
    let (count, rows, page) = app
        .db
        .read(move |conn| {
            let candidates = repo::list_candidates(conn, &user_id, &filter, &ordering.sql())?;
            let mut kept = Vec::new();
            for (item, direct) in candidates {
                let context = repo::item_context(conn, &item, &user_id)?;
                let reach = super::abilities::computed_definition(&item, &context).reach;
                if direct || reach.is_some_and(|r| r != Reach::Restricted) {
                    kept.push((item, context));
                }
            }
            let mut highest = highest_only(kept);
            if let Some(wanted) = favorite {
                highest.retain(|(_, context)| context.is_favorite == wanted);
            }
            let count = i64::try_from(highest.len()).unwrap_or(i64::MAX);
            let page = requested.resolved(count);
            let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
            let rows: Vec<_> = highest
                .into_iter()
                .skip(start)
                .take(usize::try_from(page.size).unwrap_or(0))
                .collect();
            Ok((count, rows, page))
        })
        .await?;
    let urls = urls(app);
    let results = rows
        .iter()
        .map(|(item, context)| represent::item_json(item, context, &urls, true))
        .collect();
    page.envelope(count, results, &app.public_url, request_path, query)
}

/// Drops every item one of whose ancestors is also in the list (§8.1 step 4), keeping order.
fn highest_only(rows: Vec<(Item, ItemContext)>) -> Vec<(Item, ItemContext)> {
    let ids: std::collections::HashSet<String> = rows.iter().map(|(item, _)| item.id.clone()).collect();
    rows.into_iter()
        .filter(|(item, _)| {
            let path = item.path_ids();
            !path[..path.len() - 1]
                .iter()
                .any(|ancestor| ids.contains(*ancestor))
        })
        .collect()
}

/// Django-filter's boolean: `true`/`True`/`2` and `false`/`False`/`3`; anything else ignored.
fn boolean_param(query: &[(String, String)], name: &str) -> Option<bool> {
    let value = query.iter().rev().find(|(k, _)| k == name)?.1.as_str();
    match value {
        "true" | "True" | "2" => Some(true),
        "false" | "False" | "3" => Some(false),
        _ => None,
    }
}

/// The `title` and `type` filters of listings (§8.1), as SQL over `i`.
pub fn filters(query: &[(String, String)]) -> Result<repo::SqlFilter, DriveError> {
    let mut filter = repo::SqlFilter::default();
    for (name, value) in query {
        match name.as_str() {
            "type" if value == "folder" || value == "file" => filter.and("i.type = ?", value),
            "type" => return Err(invalid_choice("type", value)),
            "title" if !value.is_empty() => {
                let escaped = files::fold(value)
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                filter.and("drive_fold(i.title) LIKE ? ESCAPE '\\'", format!("%{escaped}%"));
            }
            "category" if files::CATEGORIES.contains(&value.as_str()) => {
                filter.sql.push_str(&category_sql(value));
            }
            "category" => return Err(invalid_choice("category", value)),
            "contact" => {
                let Ok(contact) = uuid::Uuid::parse_str(value) else {
                    return Err(DriveError::invalid("contact", "invalid", "Enter a valid UUID."));
                };
                let contact = contact.to_string();
                filter.and_all(
                    "(i.creator_id = ? OR EXISTS (SELECT 1 FROM drive_accesses a
                       JOIN drive_items p ON p.id = a.item_id
                       WHERE a.user_id = ? AND (i.path = p.path OR i.path LIKE p.path || '.%')))",
                    [contact.clone(), contact],
                );
            }
            "updated_at_after" | "updated_at_before" => {
                let Some(day_start) = day_start_micros(value) else {
                    return Err(DriveError::invalid(name, "invalid", "Enter a valid date."));
                };
                if name == "updated_at_after" {
                    filter.and("i.updated_at >= CAST(? AS INTEGER)", day_start.to_string());
                } else {
                    let next_day = day_start + 86_400 * 1_000_000;
                    filter.and("i.updated_at < CAST(? AS INTEGER)", next_day.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// Drive PR #790's additions to listings (`[drive] docs_poc` only): the `external_app` filter
/// (`metadata__external_app` exact), and, in the listing views but `children/`, sub-resources
/// (items below a pointer) hidden unless a trusted app asks server-to-server.
pub fn poc_filters(
    app: &AppState,
    caller: &Caller,
    query: &[(String, String)],
    filter: &mut repo::SqlFilter,
    hide_sub_resources: bool,
) {
    if !app.drive().docs_poc {
        return;
    }
    // django-filter applies the last value of a repeated parameter; an empty one is no filter.
    if let Some((_, app_name)) = query.iter().rev().find(|(k, _)| k == "external_app")
        && !app_name.is_empty()
    {
        filter.and("json_extract(i.metadata, '$.external_app') = ?", app_name);
    }
    if hide_sub_resources && !caller.s2s {
        filter.sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM drive_items x WHERE i.path LIKE x.path || '.%'
                 AND json_type(x.metadata, '$.external_app') IS NOT NULL)",
        );
    }
}

/// django-filter's message for a value outside a choice list.
fn invalid_choice(attr: &str, value: &str) -> DriveError {
    DriveError::invalid(
        attr,
        "invalid",
        format!("Select a valid choice. {value} is not one of the available choices."),
    )
}

/// `category` as SQL (§8.1): folders pass; files by their filename's extension. The extensions
/// are fixed ASCII words, so they are written into the SQL.
fn category_sql(category: &str) -> String {
    let matches = |cat: &str| {
        let alternatives: Vec<String> = files::category_extensions(cat)
            .iter()
            .map(|ext| format!("lower(i.filename) LIKE '%.{ext}'"))
            .collect();
        format!("({})", alternatives.join(" OR "))
    };
    let file_condition = if category == "other" {
        let claimed: Vec<String> = files::CATEGORIES
            .iter()
            .filter(|c| **c != "other")
            .map(|c| matches(c))
            .collect();
        format!("(i.filename IS NULL OR NOT ({}))", claimed.join(" OR "))
    } else {
        matches(category)
    };
    format!(" AND (i.type = 'folder' OR {file_condition})")
}

/// The first microsecond of a `YYYY-MM-DD` day (UTC).
fn day_start_micros(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn codes(error: DriveError) -> Vec<(String, Option<String>)> {
        error
            .errors
            .into_iter()
            .map(|(code, _, attr)| (code, attr))
            .collect()
    }

    #[test]
    fn a_file_takes_its_title_from_the_filename_and_sanitises_the_key() {
        let request = validate_create(&body(
            json!({"type": "file", "filename": "My Report (v2).pdf", "title": "x"}),
        ))
        .unwrap();
        assert_eq!(request.title, "My Report (v2).pdf");
        assert_eq!(request.filename.as_deref(), Some("My_Report_v2.pdf"));
    }

    #[test]
    fn creation_errors_name_their_field() {
        let cases = [
            (
                json!({"type": "file"}),
                "item_create_file_filename_required",
                "filename",
            ),
            (
                json!({"type": "file", "filename": "x.exe"}),
                "item_create_file_extension_not_allowed",
                "filename",
            ),
            (
                json!({"type": "file", "filename": "!@#$%^&*().txt"}),
                "invalid",
                "non_field_errors",
            ),
            (
                json!({"type": "folder"}),
                "item_create_folder_title_required",
                "title",
            ),
            (
                json!({"type": "folder", "title": "a", "filename": "a.txt"}),
                "item_filename_only_allowed_for_files",
                "filename",
            ),
            (json!({"type": "nope", "title": "a"}), "invalid_choice", "type"),
            (json!({"type": "folder", "title": "  "}), "blank", "title"),
            (
                json!({"type": "folder", "title": "a".repeat(256)}),
                "max_length",
                "title",
            ),
            (
                json!({"type": "folder", "title": "a", "id": "nope"}),
                "invalid",
                "id",
            ),
            (json!({"type": "folder", "title": ["a"]}), "invalid", "title"),
            (
                json!({"type": "file", "filename": "a.odt", "extension": "docx"}),
                "invalid_choice",
                "extension",
            ),
        ];
        for (input, code, attr) in cases {
            let error = validate_create(&body(input.clone())).unwrap_err();
            assert_eq!(
                codes(error),
                vec![(code.to_owned(), Some(attr.to_owned()))],
                "{input}"
            );
        }
    }

    #[test]
    fn a_missing_type_crashes_upstreams_validate_after_the_field_checks() {
        let error = validate_create(&body(json!({"title": "a"}))).unwrap_err();
        assert_eq!(error.status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.unhandled.unwrap().exception, "KeyError");
        // Field errors come first: DRF never reaches validate().
        let error = validate_create(&body(json!({"title": "  "}))).unwrap_err();
        assert_eq!(codes(error), vec![("blank".to_owned(), Some("title".to_owned()))]);
    }
}
