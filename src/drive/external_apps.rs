//! Drive PR #790's pointer items (`[drive] docs_poc`): the lifecycle callbacks to the app a
//! pointer names (`EXTERNAL_APPS`, `core/services/external_apps/docs.py`), skipped when the
//! app itself called server-to-server, and `tree-descendants`.

use std::time::Duration;

use serde_json::{Value, json};

use super::auth::Caller;
use super::error::DriveError;
use super::items::{self, load};
use super::model::{Item, ItemContext};
use super::repo;
use super::represent;
use crate::app::AppState;

/// `ExternalAppBackend`'s default `timeout`.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One `DocsExternalAppBackend._post`: the error text upstream's `ExternalAppError` carries.
async fn post(app: &AppState, app_name: &str, path: &str, payload: &Value) -> Result<Value, String> {
    let config = app.drive();
    let backend = config.external_apps.get(app_name).cloned().unwrap_or_default();
    let (Some(base), Some(token)) = (
        backend.api_base_url.filter(|b| !b.is_empty()),
        backend.token.filter(|t| !t.is_empty()),
    ) else {
        return Err("Docs integration is not configured.".into());
    };
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("Could not reach Docs: {e}"))?;
    let response = client
        .post(&url)
        .bearer_auth(token)
        .json(payload)
        .send()
        .await
        .map_err(|e| format!("Could not reach Docs: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("Could not reach Docs: {e}"))?;
    if status.as_u16() >= 400 {
        let head: String = text.chars().take(500).collect();
        return Err(format!(
            "Docs call failed ({}) on {path}: {head}",
            status.as_u16()
        ));
    }
    serde_json::from_str(&text).map_err(|e| format!("JSONDecodeError: {e}"))
}

/// `_sync_external_document`: a pointer created by a user (not by its app server-to-server)
/// makes the app create the resource, synchronously; if that fails the item is removed and
/// the answer is a 500 with the app's error (`APIException`).
pub async fn create_resource(app: &AppState, caller: &Caller, item: &Item) -> Result<(), DriveError> {
    if caller.s2s {
        return Ok(());
    }
    let Some(app_name) = item.external_app() else {
        return Ok(());
    };
    if !app.drive().external_apps.contains_key(&app_name) {
        tracing::warn!(app = app_name, "No backend configured for external app");
        return Ok(());
    }
    let payload = json!({
        "id": item.id,
        "title": item.title,
        "sub": caller.user.sub,
        "email": caller.user.email,
    });
    match post(app, &app_name, "/documents/create-for-owner/", &payload).await {
        Ok(_) => Ok(()),
        Err(message) if message.starts_with("JSONDecodeError") => Err(DriveError::unhandled(
            "JSONDecodeError",
            message.clone(),
            format!("{app_name} answered create-for-owner with a body that is not JSON ({message})"),
        )),
        Err(message) => {
            tracing::error!(app = app_name, item = item.id, %message, "External app creation failed");
            let id = item.id.clone();
            app.db.write(move |tx| repo::delete_item_rows(tx, &id)).await?;
            Err(DriveError::api_exception(message.clone()).because(format!(
                "{app_name}'s create-for-owner failed; the item was rolled back"
            )))
        }
    }
}

/// Which lifecycle change a notification reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Delete,
    Restore,
    Purge,
}

impl Lifecycle {
    fn path(self) -> &'static str {
        match self {
            Lifecycle::Delete => "/documents/s2s-delete/",
            Lifecycle::Restore => "/documents/s2s-restore/",
            Lifecycle::Purge => "/documents/s2s-purge/",
        }
    }
}

/// The pointers of `item`'s subtree (itself included) by app, read now: before a delete or a
/// purge changes them, after a restore.
/// Empty for a server-to-server caller: the app made the change itself.
pub async fn pointers(
    app: &AppState,
    caller: &Caller,
    item: &Item,
) -> Result<Vec<(String, Vec<String>)>, DriveError> {
    if caller.s2s {
        return Ok(Vec::new());
    }
    subtree_pointers(app, item).await
}

/// The pointers of `item`'s subtree by app, whoever asked: what the purge task's backstop
/// notifies (upstream's task does not know who made the change).
pub async fn subtree_pointers(app: &AppState, item: &Item) -> Result<Vec<(String, Vec<String>)>, DriveError> {
    if !app.drive().docs_poc {
        return Ok(Vec::new());
    }
    let path = item.path.clone();
    let rows = app
        .db
        .read(move |conn| repo::external_pointers(conn, &path))
        .await?;
    let mut by_app: Vec<(String, Vec<String>)> = Vec::new();
    for (id, metadata) in rows {
        let Some(name) = super::model::external_app(&metadata) else {
            continue;
        };
        match by_app.iter_mut().find(|(n, _)| *n == name) {
            Some((_, ids)) => ids.push(id),
            None => by_app.push((name, vec![id])),
        }
    }
    Ok(by_app)
}

/// `_notify_external_apps`: one POST per app with the pointers' ids, inside the request as
/// upstream's view makes it (before a soft delete or hard delete, after a restore: the answer
/// waits for it, up to the backend's 10 s timeout). One attempt each, as upstream's; a failure
/// is logged and never fails the operation.
pub async fn notify(app: &AppState, by_app: &[(String, Vec<String>)], change: Lifecycle) {
    for (app_name, ids) in by_app {
        post_logged(app, app_name, change, ids.clone()).await;
    }
}

/// `process_item_purge`'s backstop: Drive's worker, after a hard delete, sends the purge again
/// for every pointer of the subtree, leaf first. In the background, one attempt (the task has
/// no retry; upstream's periodic purge runs it again).
pub fn purge_backstop(app: &AppState, by_app: Vec<(String, Vec<String>)>) {
    let app = app.clone();
    tokio::spawn(async move {
        for (app_name, ids) in by_app {
            let leaf_first = ids.into_iter().rev().collect();
            post_logged(&app, &app_name, Lifecycle::Purge, leaf_first).await;
        }
    });
}

async fn post_logged(app: &AppState, app_name: &str, change: Lifecycle, ids: Vec<String>) {
    if !app.drive().external_apps.contains_key(app_name) {
        tracing::warn!(app = app_name, "No backend configured for external app");
        return;
    }
    if let Err(message) = post(app, app_name, change.path(), &json!({"ids": ids})).await {
        tracing::error!(
            app = app_name,
            change = ?change,
            %message,
            "External app notification failed"
        );
    }
}

/// `GET items/{id}/tree-descendants/` (PR #790): the whole tree of the topmost readable
/// ancestor pointing to the same app, nested as upstream's `flat_to_nested` does.
pub async fn tree_descendants(app: &AppState, caller: &Caller, id: &str) -> Result<Value, DriveError> {
    let loaded = load(app, caller, id, "tree").await?;
    let item = loaded.item;
    let user_id = caller.user.id.clone();
    let external = item.external_app();
    let rows: Vec<(Item, ItemContext)> = app
        .db
        .read(move |conn| {
            let root = match &external {
                Some(name) => repo::topmost_readable_pointer(conn, &item, name, &user_id)?.unwrap_or(item),
                None => item,
            };
            let mut rows = Vec::new();
            for item in repo::live_subtree(conn, &root.path, &user_id)? {
                let context = repo::item_context(conn, &item, &user_id)?;
                rows.push((item, context));
            }
            Ok(rows)
        })
        .await?;
    let urls = items::urls(app);
    let mut flat: Vec<(Item, Value)> = rows
        .iter()
        .map(|(item, context)| (item.clone(), represent::item_json(item, context, &urls, true)))
        .collect();
    // `flat_to_nested`: by depth, then creation time.
    flat.sort_by_key(|(item, _)| (item.depth, item.created_at));
    nest(flat)
}

fn nest(flat: Vec<(Item, Value)>) -> Result<Value, DriveError> {
    let mut order: Vec<String> = Vec::new();
    let mut nodes: std::collections::HashMap<String, (Option<String>, Value)> = Default::default();
    let mut roots = Vec::new();
    for (item, mut json) in flat {
        json["children"] = json!([]);
        let parent = item.path.rsplit_once('.').map(|(p, _)| p.to_owned());
        let parent = parent.filter(|p| nodes.contains_key(p));
        if parent.is_none() {
            roots.push(item.path.clone());
        }
        order.push(item.path.clone());
        nodes.insert(item.path, (parent, json));
    }
    if roots.len() > 1 {
        return Err(DriveError::unhandled(
            "ValueError",
            "More than one root element detected",
            "tree-descendants found several roots (flat_to_nested)",
        ));
    }
    // Attach children to parents, deepest first, keeping each parent's order.
    for path in order.iter().rev() {
        let (parent, _) = &nodes[path];
        if let Some(parent) = parent.clone() {
            let (_, child) = nodes.remove(path).expect("a node");
            let siblings = nodes.get_mut(&parent).expect("its parent").1["children"]
                .as_array_mut()
                .expect("children");
            siblings.insert(0, child);
        }
    }
    Ok(roots
        .first()
        .and_then(|root| nodes.remove(root))
        .map_or_else(|| json!({}), |(_, json)| json))
}
