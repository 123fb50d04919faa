//! `items/{rid}/accesses/` (spec §9.2, §6.7, §7.8): who holds which role on an item and its
//! ancestors, and how administrators and owners grant, change and revoke those roles.
//!
//! These routes do not use the item permission of §6.6 (`items::load`): upstream's view has its
//! own rules (a list on an item the caller has no role on is `[]`, not 403), so the item is
//! looked up directly and every rule below reads the access rows along its path. Each request
//! runs in one database transaction; refusals happen before anything is written.
//!
//! Upstream e-mails a user granted an access; the emulator has no SMTP, so nothing is sent.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::auth::Caller;
use super::body;
use super::error::DriveError;
use super::model::{DriveUser, Item, Role};
use super::repo::{self, sharing, sharing::Access};
use crate::app::AppState;

/// A handler's answer, built inside a database closure.
pub(super) enum Reply {
    Json(StatusCode, Value),
    NoContent,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => (status, axum::Json(body)).into_response(),
            Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
        }
    }
}

/// What a database closure returns: SQL failures (the outer error, rolling back), or the
/// request's own outcome, a refusal included.
pub(super) type Step<T> = crate::error::Result<Result<T, DriveError>>;

/// Leaves a database closure with a refusal. Refusals come before any write, so the (empty)
/// transaction committing afterwards is harmless.
macro_rules! refuse {
    ($error:expr) => {
        return Ok(Err($error))
    };
}
pub(super) use refuse;

/// Unwraps a pure check inside a database closure, refusing on error.
macro_rules! check {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => return Ok(Err(error)),
        }
    };
}
pub(super) use check;

/// The item id of a nested URL. Upstream's route only matches `[0-9a-z-]*` there, and an id
/// that is not a UUID names no item: both are 404.
pub(super) fn resource_id(rid: &str) -> Result<String, DriveError> {
    if !rid
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-')
    {
        return Err(DriveError::not_found());
    }
    member_id(rid)
}

/// The id of an access or invitation in the URL: any spelling of a UUID, else 404.
pub(super) fn member_id(id: &str) -> Result<String, DriveError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| DriveError::not_found())
}

/// A 403 with a message of its own (upstream's `PermissionDenied("…")`).
pub(super) fn forbidden(detail: &str, attr: Option<&str>) -> DriveError {
    DriveError {
        unhandled: None,
        cause: None,
        status: StatusCode::FORBIDDEN,
        kind: "client_error",
        errors: vec![("permission_denied".into(), detail.into(), attr.map(str::to_owned))],
    }
}

// ----- request fields (DRF's field semantics) -------------------------------------------------

pub(super) type FieldError = (String, String, Option<String>);

pub(super) fn field_error(attr: &str, code: &str, detail: impl Into<String>) -> FieldError {
    (code.to_owned(), detail.into(), Some(attr.to_owned()))
}

/// Python's `str()` of a decoded JSON value, as DRF puts it in messages.
pub(super) fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", python_repr(&Value::String(k.clone())), python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python truthiness (`if request.data.get("role")`).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A role (`ChoiceField`): absent is None; null and unknown values are errors.
pub(super) fn role_field(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Role> {
    let value = body.get("role")?;
    if value.is_null() {
        errors.push(field_error("role", "null", "This field may not be null."));
        return None;
    }
    let text = python_str(value);
    let role = Role::parse(&text);
    if role.is_none() {
        errors.push(field_error(
            "role",
            "invalid_choice",
            format!("\"{text}\" is not a valid choice."),
        ));
    }
    role
}

/// A DRF `CharField` (whitespace trimmed, no null): absent is None.
pub(super) fn char_field(
    body: &Map<String, Value>,
    name: &str,
    allow_blank: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = body.get(name)?;
    if value.is_null() {
        errors.push(field_error(name, "null", "This field may not be null."));
        return None;
    }
    if python_str(value).trim().is_empty() {
        if !allow_blank {
            errors.push(field_error(name, "blank", "This field may not be blank."));
            return None;
        }
        return Some(String::new());
    }
    match value {
        Value::String(_) | Value::Number(_) => Some(python_str(value).trim().to_owned()),
        _ => {
            errors.push(field_error(name, "invalid", "Not a valid string."));
            None
        }
    }
}

/// `user_id` (a `PrimaryKeyRelatedField` over users, nullable): the user, or None.
fn user_field(
    conn: &Connection,
    body: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> crate::error::Result<Option<DriveUser>> {
    let not_a_uuid = |value: &Value| {
        field_error(
            "user_id",
            "invalid",
            format!("\u{201c}{}\u{201d} is not a valid UUID.", python_str(value)),
        )
    };
    let id = match body.get("user_id") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.is_empty() => return Ok(None),
        Some(Value::Bool(_)) => {
            errors.push(field_error(
                "user_id",
                "incorrect_type",
                "Incorrect type. Expected pk value, received bool.",
            ));
            return Ok(None);
        }
        Some(value @ Value::String(text)) => match uuid::Uuid::parse_str(text) {
            Ok(id) => id,
            Err(_) => {
                errors.push(not_a_uuid(value));
                return Ok(None);
            }
        },
        // Python reads an integer as the UUID's 128-bit value.
        Some(value @ Value::Number(number)) => match number.as_u64() {
            Some(n) => uuid::Uuid::from_u128(u128::from(n)),
            None => {
                errors.push(not_a_uuid(value));
                return Ok(None);
            }
        },
        Some(value) => {
            errors.push(not_a_uuid(value));
            return Ok(None);
        }
    };
    let user = repo::find(conn, &id.to_string())?;
    if user.is_none() {
        let shown = python_str(&body["user_id"]);
        errors.push(field_error(
            "user_id",
            "does_not_exist",
            format!("Invalid pk \"{shown}\" - object does not exist."),
        ));
    }
    Ok(user)
}

// ----- the rules of §6.7 and §9.2 -----------------------------------------------------------

/// The best role `user_id` holds on the item at `depth` of the path the rows were read on
/// (§6.6 `get_role`: rows on deleted ancestors count).
fn role_at(rows: &[Access], user_id: &str, depth: i64) -> Option<Role> {
    rows.iter()
        .filter(|a| a.item_depth <= depth && a.user_id() == Some(user_id))
        .map(|a| a.role)
        .max()
}

fn owners_on(rows: &[Access], item_id: &str) -> usize {
    rows.iter()
        .filter(|a| a.item_id == item_id && a.role == Role::Owner)
        .count()
}

/// Who an access is for: one user, or one team.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target<'a> {
    User(&'a str),
    Team(&'a str),
}

fn target(access: &Access) -> Target<'_> {
    match access.user_id() {
        Some(id) => Target::User(id),
        None => Target::Team(&access.team),
    }
}

/// `max_ancestors_role` of one access outside the list: the best role of the same user or
/// team on the live strict ancestors of its item, and the item holding it (upstream keeps the
/// oldest such row's item).
fn max_ancestors(rows: &[Access], access: &Access) -> (Option<Role>, Option<String>) {
    let wanted = target(access);
    let ancestors: Vec<&Access> = rows
        .iter()
        .filter(|a| a.item_live && a.item_depth < access.item_depth && target(a) == wanted)
        .collect();
    let Some(best) = ancestors.iter().map(|a| a.role).max() else {
        return (None, None);
    };
    let item = ancestors
        .iter()
        .filter(|a| a.role == best)
        .min_by_key(|a| a.created_at)
        .map(|a| a.item_id.clone());
    (Some(best), item)
}

/// The caller's abilities on one access row (§6.7).
#[derive(Debug, Clone, PartialEq)]
struct Abilities {
    destroy: bool,
    update: bool,
    retrieve: bool,
    set_role_to: Vec<Role>,
}

impl Abilities {
    fn of(
        access: &Access,
        caller_id: &str,
        caller_role: Option<Role>,
        owners: usize,
        max_ancestors_role: Option<Role>,
        is_explicit: bool,
    ) -> Self {
        let privileged = caller_role.is_some_and(Role::is_privileged);
        let (destroy, mut set_role_to) = if access.role == Role::Owner {
            let can = caller_role == Some(Role::Owner) && (access.item_depth > 1 || owners > 1);
            (can, if can { Role::ALL.to_vec() } else { Vec::new() })
        } else {
            let mut roles = Vec::new();
            if privileged {
                roles.extend([Role::Reader, Role::Editor, Role::Administrator]);
            }
            if caller_role == Some(Role::Owner) {
                roles.push(Role::Owner);
            }
            (privileged, roles)
        };
        // No role may be offered below what the target already inherits (none at all equal to
        // it on an inherited row: that row is changed where it lives).
        set_role_to.retain(|role| {
            if is_explicit {
                Some(*role) >= max_ancestors_role
            } else {
                Some(*role) > max_ancestors_role
            }
        });
        Self {
            destroy,
            update: !set_role_to.is_empty() && privileged,
            retrieve: access.user_id() == Some(caller_id) || privileged,
            set_role_to,
        }
    }

    fn allows(&self, action: &str) -> bool {
        match action {
            "retrieve" => self.retrieve,
            "destroy" => self.destroy,
            _ => self.update,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "destroy": self.destroy,
            "update": self.update,
            "partial_update": self.update,
            "retrieve": self.retrieve,
            "set_role_to": self.set_role_to.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        })
    }
}

/// The access representation (§7.8): full users for administrators and owners of the URL
/// item, `UserLight` for the others.
fn access_json(
    access: &Access,
    full: bool,
    abilities: &Abilities,
    (max_ancestors_role, max_ancestors_item): (Option<Role>, Option<&str>),
    is_explicit: bool,
) -> Value {
    let user = access.user.as_ref().map(|user| {
        if full {
            user.to_json()
        } else {
            json!({"id": user.id, "full_name": user.full_name, "short_name": user.short_name})
        }
    });
    json!({
        "id": access.id,
        "user": user,
        "team": access.team,
        "role": access.role.as_str(),
        "abilities": abilities.to_json(),
        "max_ancestors_role": max_ancestors_role.map(Role::as_str),
        "max_ancestors_role_item_id": max_ancestors_item,
        "max_role": max_ancestors_role.max(Some(access.role)).map(Role::as_str),
        "item": {"id": access.item_id, "path": access.item_path, "depth": access.item_depth},
        "is_explicit": is_explicit,
    })
}

/// One access of the URL item (retrieve, create, update answers).
fn detail_json(rows: &[Access], access: &Access, caller_id: &str, full: bool) -> Value {
    let (role, item) = max_ancestors(rows, access);
    let abilities = Abilities::of(
        access,
        caller_id,
        role_at(rows, caller_id, access.item_depth),
        owners_on(rows, &access.item_id),
        role,
        true,
    );
    access_json(access, full, &abilities, (role, item.as_deref()), true)
}

/// The list (§9.2): nothing for a caller without a role; else the deepest row per target on
/// the item and its live ancestors (only administrator and owner rows for readers and
/// editors), by depth then age.
fn list_json(item: &Item, rows: &[Access], caller_id: &str) -> Vec<Value> {
    let Some(role) = role_at(rows, caller_id, item.depth) else {
        return Vec::new();
    };
    let full = role.is_privileged();
    // Per target: the best role so far and the item of the last row seen (upstream's running
    // state, whose item id is the deepest row's, not necessarily the best one's).
    let mut running: HashMap<Target<'_>, (Option<Role>, &str)> = HashMap::new();
    let mut position: HashMap<Target<'_>, usize> = HashMap::new();
    let mut deepest: Vec<(&Access, Option<Role>, Option<&str>)> = Vec::new();
    for access in rows
        .iter()
        .filter(|a| a.item_live && (full || a.role.is_privileged()))
    {
        let key = target(access);
        let previous = running.get(&key).copied();
        let entry = (access, previous.and_then(|p| p.0), previous.map(|p| p.1));
        running.insert(
            key.clone(),
            (previous.and_then(|p| p.0).max(Some(access.role)), &access.item_id),
        );
        match position.get(&key) {
            Some(&at) => deepest[at] = entry,
            None => {
                position.insert(key, deepest.len());
                deepest.push(entry);
            }
        }
    }
    // An inherited row is changed where it lives: its own role and item stand for its
    // ancestors'.
    for entry in &mut deepest {
        if entry.0.item_depth < item.depth {
            entry.1 = Some(entry.0.role);
            entry.2 = Some(&entry.0.item_id);
        }
    }
    deepest.sort_by_key(|(access, ..)| (access.item_depth, access.created_at));
    deepest
        .into_iter()
        .map(|(access, max_role, max_item)| {
            let is_explicit = access.item_id == item.id;
            let abilities = Abilities::of(
                access,
                caller_id,
                role_at(rows, caller_id, access.item_depth),
                owners_on(rows, &access.item_id),
                max_role,
                is_explicit,
            );
            access_json(access, full, &abilities, (max_role, max_item), is_explicit)
        })
        .collect()
}

// ----- handlers --------------------------------------------------------------------------------

/// `GET` (list) and `POST` (create) on `items/{rid}/accesses/`.
pub async fn collection(
    app: &AppState,
    caller: &Caller,
    item_id: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, DriveError> {
    let item_id = resource_id(item_id)?;
    let caller_id = caller.user.id.clone();
    let reply = if *method == Method::POST {
        // Parsed now, refused (415, 400) only after the permission checks, like upstream.
        let parsed = body::json_object(headers, body);
        let now = app.clock.now_micros();
        app.db
            .write(move |tx| create(tx, &item_id, &caller_id, parsed, now))
            .await??
    } else {
        let listed = app
            .db
            .read(move |conn| {
                let Some(item) = repo::find_item(conn, &item_id)? else {
                    return Ok(None);
                };
                let rows = sharing::path_accesses(conn, &item)?;
                Ok(Some(list_json(&item, &rows, &caller_id)))
            })
            .await?;
        Reply::Json(
            StatusCode::OK,
            Value::Array(listed.ok_or_else(DriveError::not_found)?),
        )
    };
    Ok(reply.into_response())
}

/// `POST items/{rid}/accesses/`: 201 with the new access.
fn create(
    tx: &rusqlite::Transaction<'_>,
    item_id: &str,
    caller_id: &str,
    parsed: Result<Map<String, Value>, DriveError>,
    now: i64,
) -> Step<Reply> {
    let Some(item) = repo::find_item(tx, item_id)? else {
        refuse!(DriveError::not_found());
    };
    let rows = sharing::path_accesses(tx, &item)?;
    let caller_role = role_at(&rows, caller_id, item.depth);
    if !caller_role.is_some_and(Role::is_privileged) {
        // Upstream's message ("You are not allowed to manage accesses…") is lost on the way.
        refuse!(DriveError::permission_denied());
    }
    let body = check!(parsed);
    let mut errors = Vec::new();
    let user = user_field(tx, &body, &mut errors)?;
    let team = char_field(&body, "team", true, &mut errors).unwrap_or_default();
    // An omitted role is the model's default, `reader`: upstream reads it as None and refuses
    // every such request, which it evidently does not intend (docs/compat.md).
    let role = role_field(&body, &mut errors).or(Some(Role::Reader));
    if !errors.is_empty() {
        refuse!(DriveError::validation(errors));
    }
    if role == Some(Role::Owner) && caller_role != Some(Role::Owner) {
        refuse!(forbidden(
            "Only owners of an item can assign other users as owners.",
            None
        ));
    }
    // The target's best role on the item and its live ancestors must be below the new one.
    // Upstream filters on the user, so a team grant compares with every team row.
    let user_id = user.as_ref().map(|u| u.id.as_str());
    let held = rows
        .iter()
        .filter(|a| a.item_live && a.user_id() == user_id)
        .map(|a| a.role)
        .max();
    let Some(role) = role.filter(|r| Some(*r) > held) else {
        let name = |r: Option<Role>| r.map_or("None", Role::as_str);
        refuse!(DriveError::invalid(
            "role",
            "invalid",
            format!(
                "The role {} you are trying to assign is lower or equal than the max ancestors role {}.",
                name(role),
                name(held)
            ),
        ));
    };
    // Django's `full_clean` on save: the field, then the model's constraints.
    let mut errors = Vec::new();
    let team_length = team.chars().count();
    if team_length > 100 {
        errors.push(field_error(
            "team",
            "max_length",
            format!("Ensure this value has at most 100 characters (it has {team_length})."),
        ));
    }
    let on_item: Vec<&Access> = rows.iter().filter(|a| a.item_id == item.id).collect();
    if user_id.is_some() && on_item.iter().any(|a| a.user_id() == user_id) {
        errors.push(field_error(
            "__all__",
            "invalid",
            "This user is already in this item.",
        ));
    }
    if team_length <= 100 {
        if !team.is_empty() && on_item.iter().any(|a| a.team == team) {
            errors.push(field_error(
                "__all__",
                "invalid",
                "This team is already in this item.",
            ));
        }
        if user_id.is_some() != team.is_empty() {
            errors.push(field_error(
                "__all__",
                "invalid",
                "Either user or team must be set, not both.",
            ));
        }
    }
    if !errors.is_empty() {
        refuse!(DriveError::validation(errors));
    }
    let id = sharing::insert_access(tx, &item.id, user_id, &team, role, now)?;
    sharing::synchronize_descendants(tx, &item, user_id, &team, role)?;
    // Upstream now e-mails the user an invitation; the emulator sends no e-mail (no SMTP).
    let rows = sharing::path_accesses(tx, &item)?;
    let access = rows.iter().find(|a| a.id == id).expect("the row just inserted");
    Ok(Ok(Reply::Json(
        StatusCode::CREATED,
        detail_json(&rows, access, caller_id, true),
    )))
}

/// `GET`, `PUT`, `PATCH`, `DELETE` on `items/{rid}/accesses/{access_id}/`.
pub async fn member(
    app: &AppState,
    caller: &Caller,
    item_id: &str,
    access_id: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, DriveError> {
    let item_id = resource_id(item_id)?;
    let access_id = member_id(access_id)?;
    let caller_id = caller.user.id.clone();
    let parsed = body::json_object(headers, body);
    let reply = match *method {
        Method::GET | Method::HEAD => {
            app.db
                .read(move |conn| {
                    let target = check!(authorize(
                        conn, &item_id, &access_id, &caller_id, "retrieve", parsed
                    )?);
                    let full =
                        role_at(&target.rows, &caller_id, target.item.depth).is_some_and(Role::is_privileged);
                    Ok(Ok(Reply::Json(
                        StatusCode::OK,
                        detail_json(&target.rows, target.access(), &caller_id, full),
                    )))
                })
                .await??
        }
        Method::DELETE => {
            app.db
                .write(move |tx| {
                    let target = check!(authorize(
                        tx, &item_id, &access_id, &caller_id, "destroy", parsed
                    )?);
                    sharing::delete_access(tx, &target.access().id)?;
                    Ok(Ok(Reply::NoContent))
                })
                .await??
        }
        _ => {
            let now = app.clock.now_micros();
            app.db
                .write(move |tx| update(tx, &item_id, &access_id, &caller_id, parsed, now))
                .await??
        }
    };
    Ok(reply.into_response())
}

/// An access of the URL item the caller may act on, with the rows of its item's path.
struct Authorized {
    item: Item,
    rows: Vec<Access>,
    /// Index of the access in `rows`.
    at: usize,
    body: Map<String, Value>,
    max_ancestors_role: Option<Role>,
}

impl Authorized {
    fn access(&self) -> &Access {
        &self.rows[self.at]
    }
}

/// Upstream's object lookup and permission: the access must be the URL item's own (404); a
/// `role` in the body must be one the caller may set (403); the caller needs the action's
/// ability (403).
fn authorize(
    conn: &Connection,
    item_id: &str,
    access_id: &str,
    caller_id: &str,
    action: &str,
    parsed: Result<Map<String, Value>, DriveError>,
) -> Step<Authorized> {
    let Some(item) = repo::find_item(conn, item_id)? else {
        refuse!(DriveError::not_found());
    };
    let rows = sharing::path_accesses(conn, &item)?;
    let Some(at) = rows
        .iter()
        .position(|a| a.id == access_id && a.item_id == item.id)
    else {
        refuse!(DriveError::not_found());
    };
    let body = check!(parsed);
    let access = &rows[at];
    let (max_ancestors_role, _) = max_ancestors(&rows, access);
    let abilities = Abilities::of(
        access,
        caller_id,
        role_at(&rows, caller_id, access.item_depth),
        owners_on(&rows, &access.item_id),
        max_ancestors_role,
        true,
    );
    if let Some(requested) = body.get("role").filter(|r| truthy(r))
        && !abilities
            .set_role_to
            .iter()
            .any(|role| requested.as_str() == Some(role.as_str()))
    {
        refuse!(DriveError::permission_denied());
    }
    if !abilities.allows(action) {
        refuse!(DriveError::permission_denied());
    }
    Ok(Ok(Authorized {
        item,
        rows,
        at,
        body,
        max_ancestors_role,
    }))
}

/// `PUT`/`PATCH`: only the role changes. Setting the role the target inherits anyway deletes
/// the row (204); otherwise 200 with the access, lower rows below it synchronized away.
fn update(
    tx: &rusqlite::Transaction<'_>,
    item_id: &str,
    access_id: &str,
    caller_id: &str,
    parsed: Result<Map<String, Value>, DriveError>,
    now: i64,
) -> Step<Reply> {
    let target = check!(authorize(tx, item_id, access_id, caller_id, "update", parsed)?);
    let access = target.access();
    // `user_id` and `team` are validated, then ignored.
    let mut errors = Vec::new();
    user_field(tx, &target.body, &mut errors)?;
    char_field(&target.body, "team", true, &mut errors);
    let role = role_field(&target.body, &mut errors);
    if !errors.is_empty() {
        refuse!(DriveError::validation(errors));
    }
    if let Some(role) = role
        && role != Role::Owner
        && target.item.depth == 1
        && access.role == Role::Owner
        && owners_on(&target.rows, &target.item.id) == 1
    {
        // Unreachable in practice: the last owner's row offers no role to set, so the
        // permission check has already refused. Kept as upstream has it.
        refuse!(forbidden(
            "Cannot change the role to a non-owner role for the last owner access.",
            Some("detail")
        ));
    }
    if role.is_some() && role == target.max_ancestors_role {
        sharing::delete_access(tx, &access.id)?;
        return Ok(Ok(Reply::NoContent));
    }
    let role = role.unwrap_or(access.role);
    sharing::set_access_role(tx, &access.id, role, now)?;
    sharing::synchronize_descendants(tx, &target.item, access.user_id(), &access.team, role)?;
    let rows = sharing::path_accesses(tx, &target.item)?;
    let access = rows
        .iter()
        .find(|a| a.id == access_id)
        .expect("the row just updated");
    // The serializer was chosen before the save (the caller was an administrator or owner);
    // the abilities are those after it.
    Ok(Ok(Reply::Json(
        StatusCode::OK,
        detail_json(&rows, access, caller_id, true),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> DriveUser {
        DriveUser {
            id: id.into(),
            sub: id.into(),
            email: Some(format!("{id}@example.com")),
            full_name: None,
            short_name: None,
            language: None,
            last_release_note_seen: None,
            column_preferences: None,
            is_active: true,
        }
    }

    fn row(id: &str, depth: i64, who: &str, role: Role, created_at: i64) -> Access {
        let path: Vec<String> = (1..=depth).map(|d| format!("i{d}")).collect();
        Access {
            id: id.into(),
            item_id: format!("i{depth}"),
            item_path: path.join("."),
            item_depth: depth,
            item_live: true,
            user: Some(user(who)),
            team: String::new(),
            role,
            created_at,
        }
    }

    fn item(depth: i64) -> Item {
        let path: Vec<String> = (1..=depth).map(|d| format!("i{d}")).collect();
        Item {
            id: format!("i{depth}"),
            path: path.join("."),
            depth,
            parent_id: None,
            title: "t".into(),
            is_folder: true,
            link_reach: None,
            link_role: Role::Reader,
            creator: None,
            deleted_at: None,
            ancestors_deleted_at: None,
            filename: None,
            upload_state: None,
            mimetype: None,
            main_workspace: false,
            size: None,
            metadata: serde_json::json!({}),
            description: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_last_owner_of_a_root_offers_nothing_and_a_child_owner_everything() {
        let root_owner = row("a", 1, "me", Role::Owner, 1);
        let abilities = Abilities::of(&root_owner, "me", Some(Role::Owner), 1, None, true);
        assert_eq!((abilities.destroy, abilities.update), (false, false));
        assert!(abilities.set_role_to.is_empty());
        let child_owner = row("b", 2, "me", Role::Owner, 1);
        let abilities = Abilities::of(&child_owner, "me", Some(Role::Owner), 1, None, true);
        assert_eq!(abilities.set_role_to, Role::ALL.to_vec());
    }

    #[test]
    fn set_role_to_keeps_roles_at_or_above_the_inherited_one() {
        let access = row("a", 2, "other", Role::Administrator, 1);
        let explicit = Abilities::of(&access, "me", Some(Role::Owner), 0, Some(Role::Editor), true);
        assert_eq!(
            explicit.set_role_to,
            [Role::Editor, Role::Administrator, Role::Owner]
        );
        let inherited = Abilities::of(&access, "me", Some(Role::Owner), 0, Some(Role::Editor), false);
        assert_eq!(inherited.set_role_to, [Role::Administrator, Role::Owner]);
        let admin = Abilities::of(&access, "me", Some(Role::Administrator), 0, None, true);
        assert_eq!(
            admin.set_role_to,
            [Role::Reader, Role::Editor, Role::Administrator]
        );
        let reader = Abilities::of(&access, "other", Some(Role::Reader), 0, None, true);
        assert_eq!(
            (reader.retrieve, reader.update, reader.destroy),
            (true, false, false)
        );
    }

    #[test]
    fn the_list_keeps_the_deepest_row_per_target_with_upstreams_running_maximum() {
        // me: editor on the root, administrator on the parent, owner on the item; another
        // owner on the root.
        let rows = vec![
            row("r-me", 1, "me", Role::Editor, 1),
            row("r-other", 1, "other", Role::Owner, 2),
            row("p-me", 2, "me", Role::Administrator, 3),
            row("i-me", 3, "me", Role::Owner, 4),
        ];
        let listed = list_json(&item(3), &rows, "me");
        let ids: Vec<&str> = listed.iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["r-other", "i-me"]);
        assert_eq!(listed[0]["max_ancestors_role"], "owner");
        assert_eq!(listed[0]["max_ancestors_role_item_id"], "i1");
        assert_eq!(listed[0]["is_explicit"], false);
        assert_eq!(listed[0]["abilities"]["set_role_to"], json!([]));
        assert_eq!(listed[1]["max_ancestors_role"], "administrator");
        assert_eq!(listed[1]["max_ancestors_role_item_id"], "i2");
        assert_eq!(
            listed[1]["abilities"]["set_role_to"],
            json!(["administrator", "owner"])
        );
        assert!(list_json(&item(3), &rows, "nobody").is_empty());
    }

    #[test]
    fn python_renders_values_like_drf_messages() {
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(["a", 1])), "['a', 1]");
        assert_eq!(python_str(&json!({"k": null})), "{'k': None}");
        assert!(!truthy(&json!("")) && !truthy(&json!(0)) && truthy(&json!("x")));
    }

    #[test]
    fn nested_ids_must_be_lowercase_uuids() {
        let id = "0b5c4e0e-5f0a-4b8e-9d2a-1c3f5e7a9b1d";
        assert_eq!(resource_id(id).unwrap(), id);
        assert!(resource_id(&id.to_uppercase()).is_err());
        assert!(resource_id("not-a-uuid").is_err());
        assert_eq!(member_id(&id.to_uppercase()).unwrap(), id);
    }
}
