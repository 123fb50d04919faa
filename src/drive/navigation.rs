//! Reading the tree around an item (spec §8.13, §8.14, §8.18): the opened folder tree, the
//! breadcrumb, and WOPI (no WOPI client is configured in the emulator).

use serde_json::{Value, json};

use super::auth::Caller;
use super::error::DriveError;
use super::items::{Loaded, load, urls};
use super::model::{Item, Reach};
use super::repo;
use super::represent;
use crate::app::AppState;

/// Whether the caller can read an item "per se" (§8.13): an access row on it, or its own link
/// open to them. Upstream also counts an unset (inherited) reach, which opens the tree below a
/// restricted folder to anyone; the emulator does not (docs/compat.md).
fn readable_per_se(item: &Item, direct_access: bool) -> bool {
    direct_access || matches!(item.link_reach, Some(Reach::Authenticated | Reach::Public))
}

/// `GET items/{id}/breadcrumb/` (§8.14): from the highest item readable per se down to it.
pub async fn breadcrumb(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let Loaded { item, .. } = load(app, caller, id, "breadcrumb").await?;
    let user_id = caller.user.id.clone();
    let entries = app
        .db
        .read(move |conn| {
            let path: Vec<Item> = repo::path_items(conn, &item)?
                .into_iter()
                .filter(|i| i.ancestors_deleted_at.is_none())
                .collect();
            let mut start = None;
            for (index, candidate) in path.iter().enumerate() {
                if readable_per_se(candidate, repo::has_direct_access(conn, &candidate.id, &user_id)?) {
                    start = Some(index);
                    break;
                }
            }
            Ok(start.map(|start| path[start..].to_vec()))
        })
        .await?;
    let entries = entries.ok_or_else(DriveError::permission_denied)?;
    Ok(Value::Array(
        entries
            .iter()
            .map(|i| {
                json!({"id": i.id, "title": i.title, "path": i.path, "depth": i.depth,
                       "main_workspace": i.main_workspace})
            })
            .collect(),
    ))
}

/// `GET items/{id}/tree/` (§8.13): the folders from the highest item the caller reads per se
/// down to the item, each level with its sibling folders, nested by path.
pub async fn tree(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    // Upstream validates the id as a model field here, hence a 400 rather than a 404.
    let Ok(id) = uuid::Uuid::parse_str(id).map(|u| u.to_string()) else {
        return Err(DriveError::invalid(
            "id",
            "invalid",
            format!("\u{201c}{id}\u{201d} is not a valid UUID."),
        ));
    };
    let user_id = caller.user.id.clone();
    let found = app
        .db
        .read(move |conn| {
            let Some(item) = repo::find_item(conn, &id)? else {
                return Ok(None);
            };
            let path: Vec<Item> = repo::path_items(conn, &item)?
                .into_iter()
                .filter(|i| i.ancestors_deleted_at.is_none())
                .collect();
            let mut start = None;
            for (index, candidate) in path.iter().enumerate() {
                if readable_per_se(candidate, repo::has_direct_access(conn, &candidate.id, &user_id)?) {
                    start = Some(index);
                    break;
                }
            }
            let Some(start) = start else {
                return Ok(Some(None));
            };
            let opened = &path[start..];
            let top = opened[0].clone();
            // Below the top, every level of the opened path shows its sibling folders.
            let parents: Vec<&str> = opened[..opened.len() - 1].iter().map(|i| i.id.as_str()).collect();
            let mut nodes = vec![top.clone()];
            nodes.extend(repo::child_folders(conn, &parents, &user_id)?);
            let mut represented = Vec::with_capacity(nodes.len());
            for node in nodes {
                let mut context = repo::item_context(conn, &node, &user_id)?;
                // Link definitions are computed from the top of the tree downwards.
                context.ancestor_links = opened
                    .iter()
                    .filter(|a| a.depth < node.depth)
                    .map(|a| (a.link_reach, a.link_role))
                    .collect();
                represented.push((node, context));
            }
            Ok(Some(Some((top, represented))))
        })
        .await?;
    let Some(found) = found else {
        return Err(DriveError::not_found());
    };
    let Some((top, nodes)) = found else {
        return Err(DriveError::permission_denied());
    };
    if !top.is_folder {
        return Ok(json!({}));
    }
    let urls = urls(app);
    let folders: Vec<(&Item, Value)> = nodes
        .iter()
        .filter(|(node, _)| node.is_folder)
        .map(|(node, context)| (node, represent::item_json(node, context, &urls, true)))
        .collect();
    Ok(nest(&folders, &top))
}

/// `node`'s representation with its `children` (in creation order, as `folders` lists them).
fn nest(folders: &[(&Item, Value)], node: &Item) -> Value {
    let mut value = folders
        .iter()
        .find(|(item, _)| item.id == node.id)
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| json!({}));
    let children: Vec<Value> = folders
        .iter()
        .filter(|(item, _)| item.parent_id.as_deref() == Some(node.id.as_str()))
        .map(|(item, _)| nest(folders, item))
        .collect();
    value["children"] = Value::Array(children);
    value
}

/// `GET items/{id}/wopi/` (§8.18): no WOPI client is configured, so no item supports it.
pub async fn wopi(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let Loaded { .. } = load(app, caller, id, "wopi").await?;
    // "suport" is upstream's spelling.
    Err(DriveError::invalid(
        "detail",
        "invalid",
        "This item does not suport WOPI integration.",
    ))
}

/// `GET items/{id}/download/` (§1.3): a redirect to the file's media URL.
pub async fn download(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<axum::response::Response, DriveError> {
    use axum::response::IntoResponse;
    let Loaded { item, .. } = load(app, caller, id, "download").await?;
    // Folders and files whose body is not uploaded yet have nothing to download.
    let url = urls(app).url(&item).ok_or_else(DriveError::not_found)?;
    Ok((
        axum::http::StatusCode::FOUND,
        [(axum::http::header::LOCATION, url)],
    )
        .into_response())
}
