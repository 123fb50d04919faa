//! Item actions that change the tree (spec §8.4, §8.5, §8.9-§8.12, §8.15, §8.16): update,
//! soft and hard delete, restore, trashbin, move, link configuration, favorite.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::abilities;
use super::auth::Caller;
use super::body;
use super::error::DriveError;
use super::external_apps::{self, Lifecycle};
use super::files;
use super::items::{self, BUCKET, Loaded, load, urls};
use super::model::{Item, ItemContext, Reach, Role};
use super::page::Page;
use super::repo;
use super::represent;
use crate::app::AppState;

use super::represent::TRASHBIN_CUTOFF_MICROS;

fn detail(app: &AppState, item: &Item, context: &ItemContext) -> Value {
    represent::item_json(item, context, &urls(app), true)
}

/// Re-reads an item and the caller's context after a change.
async fn reload(app: &AppState, caller: &Caller, id: &str) -> Result<(Item, ItemContext), DriveError> {
    let (id, user_id) = (id.to_owned(), caller.user.id.clone());
    let found = app
        .db
        .read(move |conn| {
            let Some(item) = repo::find_item(conn, &id)? else {
                return Ok(None);
            };
            let context = repo::item_context(conn, &item, &user_id)?;
            Ok(Some((item, context)))
        })
        .await?;
    found.ok_or_else(DriveError::not_found)
}

/// `PUT`/`PATCH items/{id}/` (§8.4): `title` (required by PUT) and `description`.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
    partial: bool,
) -> Result<Value, DriveError> {
    let ability = if partial { "partial_update" } else { "update" };
    let Loaded { item, .. } = load(app, caller, id, ability).await?;
    let body = body::json_object(headers, raw)?;
    let (title, description) = validate_update(&body, partial)?;
    let title = match (&item.parent_id, title) {
        (Some(parent_id), Some(title)) if title != item.title => {
            let parent_id = parent_id.clone();
            let siblings = app
                .db
                .read(move |conn| repo::sibling_titles(conn, &parent_id))
                .await?;
            files::deduplicate_title(&title, &siblings)
        }
        (_, Some(title)) => title,
        (_, None) => item.title.clone(),
    };
    if !item.is_folder && files::sanitize_filename(&title).is_none() {
        return Err(DriveError::invalid(
            "non_field_errors",
            "invalid",
            "filename is empty once sanitized and it is not allowed",
        ));
    }
    let description = description.unwrap_or(item.description.clone());
    let (item_id, now) = (item.id.clone(), app.clock.now_micros());
    let renamed = (!item.is_folder && title != item.title).then(|| title.clone());
    app.db
        .write(move |tx| repo::update_item(tx, &item_id, &title, description.as_deref(), now))
        .await?;
    let (reloaded, context) = reload(app, caller, id).await?;
    // The answer shows the old filename, as upstream's (its task runs after the response).
    let answer = detail(app, &reloaded, &context);
    if let Some(title) = renamed {
        super::rename::rename_file(app, &item.id, &title).await?;
    }
    Ok(answer)
}

/// The writable fields of an update: `(title, description)`, each None when absent.
#[allow(clippy::type_complexity)]
fn validate_update(
    body: &Map<String, Value>,
    partial: bool,
) -> Result<(Option<String>, Option<Option<String>>), DriveError> {
    let mut errors = Vec::new();
    let title = match body.get("title") {
        None if partial => None,
        None => {
            errors.push((
                "required".into(),
                "This field is required.".into(),
                Some("title".into()),
            ));
            None
        }
        Some(Value::String(text)) if text.trim().is_empty() => {
            errors.push((
                "blank".into(),
                "This field may not be blank.".into(),
                Some("title".into()),
            ));
            None
        }
        Some(Value::String(text)) if text.trim().chars().count() > 255 => {
            errors.push((
                "max_length".into(),
                "Ensure this field has no more than 255 characters.".into(),
                Some("title".into()),
            ));
            None
        }
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        Some(Value::Number(number)) => Some(number.to_string()),
        Some(Value::Null) => {
            errors.push((
                "null".into(),
                "This field may not be null.".into(),
                Some("title".into()),
            ));
            None
        }
        Some(_) => {
            errors.push((
                "invalid".into(),
                "Not a valid string.".into(),
                Some("title".into()),
            ));
            None
        }
    };
    let description = match body.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(_) => {
            errors.push((
                "invalid".into(),
                "Not a valid string.".into(),
                Some("description".into()),
            ));
            None
        }
    };
    if errors.is_empty() {
        Ok((title, description))
    } else {
        Err(DriveError::validation(errors))
    }
}

/// `DELETE items/{id}/` (§8.5): soft delete, 204.
pub async fn destroy(app: &AppState, caller: &Caller, id: &str) -> Result<Response, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "destroy").await?;
    // Upstream tells the apps first, then soft-deletes.
    let pointers = external_apps::pointers(app, caller, &item).await?;
    external_apps::notify(app, &pointers, Lifecycle::Delete).await;
    let now = app.clock.now_micros();
    app.db.write(move |tx| repo::soft_delete(tx, &item, now)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE items/{id}/hard-delete/` (§8.12): gone at once, its objects purged; 204.
pub async fn hard_delete(app: &AppState, caller: &Caller, id: &str) -> Result<Response, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "hard_delete").await?;
    // Upstream's view tells the apps to purge before `Item.hard_delete` checks anything: an
    // item not yet soft-deleted has its app resources purged, then the 400 (PR #790, as is).
    let pointers = external_apps::pointers(app, caller, &item).await?;
    external_apps::notify(app, &pointers, Lifecycle::Purge).await;
    if item.deleted_at.is_none() {
        let refusal = DriveError::invalid(
            "hard_deleted_at",
            "item_hard_delete_should_soft_delete_first",
            "To hard delete an item, it must first be soft deleted.",
        );
        return Err(if pointers.is_empty() {
            refusal
        } else {
            refusal.because("not soft-deleted, refused after the purge callback was sent (upstream's order)")
        });
    }
    let backstop = external_apps::subtree_pointers(app, &item).await?;
    let now = app.clock.now_micros();
    let keys = app.db.write(move |tx| repo::hard_delete(tx, &item, now)).await?;
    external_apps::purge_backstop(app, backstop);
    for key in keys {
        app.s3.store.delete_current(BUCKET, &key).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST items/{id}/restore/` (§8.10).
pub async fn restore(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "restore").await?;
    if item.deleted_at.is_none() {
        return Err(DriveError::invalid(
            "deleted_at",
            "item_restore_not_deleted",
            "This item is not deleted.",
        ));
    }
    let restored = item.clone();
    app.db
        .write(move |tx| {
            // Under a parent that is still deleted, the item comes back below its tree's root.
            let path = repo::path_items(tx, &item)?;
            let ancestor_deleted = path[..path.len() - 1].iter().any(|a| a.deleted_at.is_some());
            repo::restore(tx, &item)?;
            if ancestor_deleted && let Some(root) = path.first().filter(|root| root.id != item.id) {
                let moved = repo::find_item(tx, &item.id)?.expect("the item being restored");
                repo::move_subtree(tx, &moved, Some(root))?;
            }
            Ok(())
        })
        .await?;
    // A restore can move the item below its tree's root: read its path again.
    let id = restored.id.clone();
    let restored = app
        .db
        .read(move |conn| repo::find_item(conn, &id))
        .await?
        .unwrap_or(restored);
    let pointers = external_apps::pointers(app, caller, &restored).await?;
    external_apps::notify(app, &pointers, Lifecycle::Restore).await;
    Ok(json!({"detail": "item has been successfully restored."}))
}

/// `GET items/trashbin/` (§8.11): what the caller owns and deleted in the last 30 days.
pub async fn trashbin(
    app: &AppState,
    caller: &Caller,
    query: &[(String, String)],
    request_path: &str,
) -> Result<Value, DriveError> {
    let mut filter = items::filters(query)?;
    items::poc_filters(app, caller, query, &mut filter, true);
    let since = app.clock.now_micros() - TRASHBIN_CUTOFF_MICROS;
    let requested = Page::parse(query);
    let user_id = caller.user.id.clone();
    let (count, rows, page) = app
        .db
        .read(move |conn| {
            let mut owned = Vec::new();
            for item in repo::deleted_since(conn, since, &filter)? {
                let context = repo::item_context(conn, &item, &user_id)?;
                if context.role == Some(Role::Owner) {
                    owned.push((item, context));
                }
            }
            let count = i64::try_from(owned.len()).unwrap_or(i64::MAX);
            let page = requested.resolved(count);
            let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
            let size = usize::try_from(page.size).unwrap_or(0);
            let rows: Vec<_> = owned.into_iter().skip(start).take(size).collect();
            Ok((count, rows, page))
        })
        .await?;
    let urls = urls(app);
    let results = rows
        .iter()
        .map(|(item, context)| represent::item_json(item, context, &urls, false))
        .collect();
    page.envelope(count, results, &app.public_url, request_path, query)
}

/// How a move's transaction ended.
enum MoveOutcome {
    Moved,
    Gone,
    TargetGone,
    Cycle,
}

/// Whether `candidate` is `root` or one of its descendants.
fn is_in_subtree(candidate: &Item, root: &Item) -> bool {
    candidate.path == root.path || candidate.path.starts_with(&format!("{}.", root.path))
}

fn cycle() -> DriveError {
    DriveError::invalid(
        "target_item_id",
        "item_move_target_in_subtree",
        "An item cannot be moved into itself or one of its descendants.",
    )
}

/// `POST items/{id}/move/` (§8.9).
pub async fn move_item(
    app: &AppState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<Value, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "move").await?;
    let body = body::json_object(headers, raw)?;
    let target_id = match body.get("target_item_id") {
        None => None,
        Some(Value::Null) => {
            return Err(DriveError::invalid(
                "target_item_id",
                "null",
                "This field may not be null.",
            ));
        }
        Some(Value::String(text)) if uuid::Uuid::parse_str(text).is_ok() => Some(
            uuid::Uuid::parse_str(text)
                .map(|u| u.to_string())
                .unwrap_or_default(),
        ),
        Some(_) => {
            return Err(DriveError::invalid(
                "target_item_id",
                "invalid",
                "Must be a valid UUID.",
            ));
        }
    };
    let missing = || {
        DriveError::invalid(
            "target_item_id",
            "item_move_target_does_not_exist",
            "Target parent item does not exist.",
        )
    };
    let target = match &target_id {
        Some(target_id) => {
            let (target_id, user_id) = (target_id.clone(), caller.user.id.clone());
            let found = app
                .db
                .read(move |conn| {
                    let Some(target) = repo::find_item(conn, &target_id)? else {
                        return Ok(None);
                    };
                    let context = repo::item_context(conn, &target, &user_id)?;
                    Ok(Some((target, context)))
                })
                .await?;
            let (target, context) = found.ok_or_else(missing)?;
            if target.ancestors_deleted_at.is_some() {
                return Err(missing());
            }
            if !abilities::allows(&target, &context, "children_create") {
                return Err(DriveError::invalid(
                    "target_item_id",
                    "item_move_missing_permission",
                    "You do not have permission to move items as a child to this target item.",
                ));
            }
            if !target.is_folder {
                return Err(DriveError::invalid(
                    "target",
                    "item_move_target_not_a_folder",
                    "Only folders can be targeted when moving an item",
                ));
            }
            // Upstream has no cycle check and would corrupt the tree; refused here.
            if is_in_subtree(&target, &item) {
                return Err(cycle());
            }
            Some(target)
        }
        None => None,
    };
    let (user_id, now) = (caller.user.id.clone(), app.clock.now_micros());
    let moved = app
        .db
        .write(move |tx| {
            // Re-read both inside the transaction: a concurrent move or delete either ran
            // before (and is seen here) or runs after; a subtree is never half-moved.
            let Some(current) = repo::find_item(tx, &item.id)? else {
                return Ok(MoveOutcome::Gone);
            };
            let target = match &target {
                Some(target) => match repo::find_item(tx, &target.id)? {
                    Some(fresh) if fresh.ancestors_deleted_at.is_none() => Some(fresh),
                    _ => return Ok(MoveOutcome::TargetGone),
                },
                None => None,
            };
            if target.as_ref().is_some_and(|t| is_in_subtree(t, &current)) {
                return Ok(MoveOutcome::Cycle);
            }
            repo::move_subtree(tx, &current, target.as_ref())?;
            match &target {
                Some(_) => repo::set_link(tx, &current.id, None, current.link_role)?,
                None => {
                    if !repo::has_direct_access(tx, &current.id, &user_id)? {
                        repo::insert_access(tx, &current.id, &user_id, Role::Owner, now)?;
                        repo::set_creator(tx, &current.id, &user_id)?;
                    }
                    if current.link_reach.is_none() {
                        repo::set_link(tx, &current.id, Some(Reach::Restricted), current.link_role)?;
                    }
                }
            }
            Ok(MoveOutcome::Moved)
        })
        .await?;
    match moved {
        MoveOutcome::Moved => {}
        MoveOutcome::Gone => return Err(DriveError::not_found()),
        MoveOutcome::TargetGone => return Err(missing()),
        MoveOutcome::Cycle => return Err(cycle()),
    }
    Ok(json!({"message": "item moved successfully."}))
}

/// `PUT items/{id}/link-configuration/` (§8.15).
pub async fn link_configuration(
    app: &AppState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<Value, DriveError> {
    let Loaded { item, context } = load(app, caller, id, "link_configuration").await?;
    let body = body::json_object(headers, raw)?;
    let (reach, role) = validate_link(&body, &context)?;
    let previous = item.link_reach;
    let role = role.unwrap_or(item.link_role);
    app.db
        .write(move |tx| {
            repo::set_link(tx, &item.id, Some(reach), role)?;
            if Some(reach) >= previous {
                repo::reset_descendant_links(tx, &item)?;
            }
            Ok(())
        })
        .await?;
    Ok(json!({"link_role": role.as_str(), "link_reach": reach.as_str()}))
}

/// A DRF `ChoiceField` that may be absent but not null.
fn choice_field<T>(
    body: &Map<String, Value>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, DriveError> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::Null) => Err(DriveError::invalid(name, "null", "This field may not be null.")),
        Some(value) => value.as_str().and_then(parse).map(Some).ok_or_else(|| {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            DriveError::invalid(
                name,
                "invalid_choice",
                format!("\"{shown}\" is not a valid choice."),
            )
        }),
    }
}

fn validate_link(
    body: &Map<String, Value>,
    context: &ItemContext,
) -> Result<(Reach, Option<Role>), DriveError> {
    let reach = choice_field(body, "link_reach", Reach::parse)?;
    let link_role = |text: &str| Role::parse(text).filter(|r| *r <= Role::Editor);
    let role = choice_field(body, "link_role", link_role)?;
    let Some(reach) = reach else {
        return Err(DriveError::invalid(
            "link_reach",
            "invalid",
            "This field is required.",
        ));
    };
    let options = abilities::link_select_options(abilities::ancestors_definition(context));
    let Some(allowed_roles) = options.get(reach.as_str()) else {
        return Err(DriveError::invalid(
            "link_reach",
            "invalid",
            format!(
                "Link reach '{}' is not allowed based on parent item configuration.",
                reach.as_str()
            ),
        ));
    };
    if reach == Reach::Restricted {
        if role.is_some() {
            return Err(DriveError::invalid(
                "link_role",
                "invalid",
                "Cannot set link_role when link_reach is 'restricted'. Link role must be null for restricted reach.",
            ));
        }
        return Ok((reach, None));
    }
    let allowed: Vec<&str> = allowed_roles
        .as_array()
        .map(|roles| roles.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match role {
        Some(role) if allowed.contains(&role.as_str()) => Ok((reach, Some(role))),
        _ => Err(DriveError::invalid(
            "link_role",
            "invalid",
            format!(
                "Link role '{}' is not allowed for link reach '{}'. Allowed roles: {}",
                role.map_or("None", Role::as_str),
                reach.as_str(),
                if allowed.is_empty() {
                    "none".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        )),
    }
}

/// `POST`/`DELETE items/{id}/favorite/` (§8.16).
pub async fn favorite(app: &AppState, caller: &Caller, id: &str, add: bool) -> Result<Response, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "favorite").await?;
    let (user_id, item_id, now) = (caller.user.id.clone(), item.id.clone(), app.clock.now_micros());
    let changed = app
        .db
        .write(move |tx| repo::set_favorite(tx, &user_id, &item_id, add, now))
        .await?;
    if !changed {
        let detail = if add {
            "item already marked as favorite"
        } else {
            "item was already not marked as favorite"
        };
        return Ok(axum::Json(json!({"detail": detail})).into_response());
    }
    let (item, context) = reload(app, caller, id).await?;
    let status = if add { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(detail(app, &item, &context))).into_response())
}
