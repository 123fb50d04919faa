//! Route resolution of the external API (spec §1.3): a path (after `/external_api/v1.0/`) and
//! a method give the resource and the action name that `EXTERNAL_API` lists. A method a
//! route does not map has no action: the gate refuses it with 403, as upstream (§3.3).

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `items/` (list, create).
    Items,
    /// `items/{id}/`.
    Item(String),
    /// `items/{id}/children/`.
    Children(String),
    /// `items/{id}/<action>/` (upload-ended, move, restore, ...), by action name.
    ItemAction(String, &'static str),
    /// `items/trashbin/`.
    Trashbin,
    /// `items/favorites/` and `items/recents/`.
    Favorites,
    Recents,
    /// `items/media-auth/`.
    MediaAuth,
    /// `items/{rid}/accesses/` and `items/{rid}/accesses/{id}/`.
    Accesses(String),
    Access(String, String),
    /// `items/{rid}/invitations/` and `items/{rid}/invitations/{id}/`.
    Invitations(String),
    Invitation(String, String),
    /// A route of §1.3 that the emulator does not serve yet.
    NotYet,
    /// `metrics/usage/`, authenticated by API key instead of a bearer token.
    MetricsUsage,
    UsersMe,
    UsersList,
    UserDetail(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `items`, `users`, `item_access` or `item_invitation`.
    pub resource: &'static str,
    /// None: the method is not mapped on this route.
    pub action: Option<&'static str>,
    pub endpoint: Endpoint,
}

/// Resolves `path` (with its trailing slash) for `method`; None when no route exists.
pub fn resolve(method: &str, path: &str) -> Option<Route> {
    let method = if method == "HEAD" { "GET" } else { method };
    let segments: Vec<&str> = path.strip_suffix('/')?.split('/').collect();
    let (resource, action, endpoint) = match segments.as_slice() {
        ["items"] => {
            let action = match method {
                "GET" => Some("list"),
                "POST" => Some("create"),
                _ => None,
            };
            let endpoint = Endpoint::Items;
            ("items", action, endpoint)
        }
        // Collection-level extras come before the detail route (§1.3).
        [
            "items",
            extra @ ("trashbin" | "media-auth" | "favorites" | "recents" | "search"),
        ] => {
            let name = match *extra {
                "trashbin" => "trashbin",
                "media-auth" => "media_auth",
                "favorites" => "favorite_list",
                "recents" => "recents",
                _ => "search",
            };
            let action = (method == "GET").then_some(name);
            let endpoint = match name {
                "trashbin" => Endpoint::Trashbin,
                "media_auth" => Endpoint::MediaAuth,
                "favorite_list" => Endpoint::Favorites,
                "recents" => Endpoint::Recents,
                _ => Endpoint::NotYet,
            };
            ("items", action, endpoint)
        }
        ["items", id] if is_id_segment(id) => {
            let action = match method {
                "GET" => Some("retrieve"),
                "PUT" => Some("update"),
                "PATCH" => Some("partial_update"),
                "DELETE" => Some("destroy"),
                _ => None,
            };
            ("items", action, Endpoint::Item((*id).to_owned()))
        }
        ["items", rid, nested @ ("accesses" | "invitations")] if is_id_segment(rid) => {
            let action = match method {
                "GET" => Some("list"),
                "POST" => Some("create"),
                _ => None,
            };
            let (resource, endpoint) = if *nested == "accesses" {
                ("item_access", Endpoint::Accesses((*rid).to_owned()))
            } else {
                ("item_invitation", Endpoint::Invitations((*rid).to_owned()))
            };
            (resource, action, endpoint)
        }
        ["items", rid, nested @ ("accesses" | "invitations"), id]
            if is_id_segment(rid) && is_id_segment(id) =>
        {
            let action = match method {
                "GET" => Some("retrieve"),
                "PUT" => Some("update"),
                "PATCH" => Some("partial_update"),
                "DELETE" => Some("destroy"),
                _ => None,
            };
            let (rid, id) = ((*rid).to_owned(), (*id).to_owned());
            let (resource, endpoint) = if *nested == "accesses" {
                ("item_access", Endpoint::Access(rid, id))
            } else {
                ("item_invitation", Endpoint::Invitation(rid, id))
            };
            (resource, action, endpoint)
        }
        ["items", id, "children"] if is_id_segment(id) => {
            let action = matches!(method, "GET" | "POST").then_some("children");
            ("items", action, Endpoint::Children((*id).to_owned()))
        }
        ["items", id, extra] if is_id_segment(id) => {
            let action = match (method, *extra) {
                ("POST", "upload-ended") => "upload_ended",
                ("POST", "move") => "move",
                ("POST", "restore") => "restore",
                ("DELETE", "hard-delete") => "hard_delete",
                ("GET", "tree") => "tree",
                // Drive PR #790 (`[drive] docs_poc`; without it the front door answers 404).
                ("GET", "tree-descendants") => "tree_descendants",
                ("GET", "breadcrumb") => "breadcrumb",
                ("PUT", "link-configuration") => "link_configuration",
                ("POST" | "DELETE", "favorite") => "favorite",
                ("GET", "wopi") => "wopi",
                ("POST", "duplicate") => "duplicate",
                ("GET", "download") => "download",
                ("GET", "export") => "export",
                ("POST", "convert") => "convert",
                ("POST", "batch-share") => "batch_share",
                (
                    _,
                    "upload-ended" | "move" | "restore" | "hard-delete" | "tree" | "tree-descendants"
                    | "breadcrumb" | "link-configuration" | "favorite" | "wopi" | "duplicate" | "download"
                    | "export" | "convert" | "batch-share",
                ) => {
                    return Some(Route {
                        resource: "items",
                        action: None,
                        endpoint: Endpoint::NotYet,
                    });
                }
                _ => return None,
            };
            let endpoint = match action {
                "upload_ended" | "move" | "restore" | "hard_delete" | "breadcrumb" | "link_configuration"
                | "favorite" | "tree" | "tree_descendants" | "wopi" | "download" => {
                    Endpoint::ItemAction((*id).to_owned(), action)
                }
                _ => Endpoint::NotYet,
            };
            ("items", Some(action), endpoint)
        }
        ["metrics", "usage"] => (
            "metrics",
            (method == "GET").then_some("usage"),
            Endpoint::MetricsUsage,
        ),
        ["users", "me"] => ("users", (method == "GET").then_some("get_me"), Endpoint::UsersMe),
        ["users"] => ("users", (method == "GET").then_some("list"), Endpoint::UsersList),
        ["users", id] if is_id_segment(id) => {
            let action = match method {
                "PUT" => Some("update"),
                "PATCH" => Some("partial_update"),
                _ => None,
            };
            ("users", action, Endpoint::UserDetail((*id).to_owned()))
        }
        _ => return None,
    };
    Some(Route {
        resource,
        action,
        endpoint,
    })
}

/// DRF's default lookup pattern: any segment without a `/` or `.`.
fn is_id_segment(segment: &str) -> bool {
    !segment.is_empty() && !segment.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_routes_map_methods_to_action_names() {
        assert_eq!(resolve("GET", "users/me/").unwrap().action, Some("get_me"));
        assert_eq!(resolve("HEAD", "users/me/").unwrap().action, Some("get_me"));
        assert_eq!(resolve("POST", "users/me/").unwrap().action, None);
        assert_eq!(resolve("GET", "users/").unwrap().action, Some("list"));
        assert_eq!(
            resolve("PATCH", "users/abc/").unwrap().action,
            Some("partial_update")
        );
        assert_eq!(
            resolve("GET", "users/abc/").unwrap().action,
            None,
            "retrieve is not mapped"
        );
        assert_eq!(resolve("DELETE", "users/abc/").unwrap().action, None);
        assert!(resolve("GET", "users/me").is_none(), "no trailing slash");
        assert!(resolve("GET", "nothing/").is_none());
    }

    #[test]
    fn items_routes_follow_the_route_table() {
        let action = |m: &str, p: &str| resolve(m, p).and_then(|r| r.action);
        assert_eq!(action("GET", "items/"), Some("list"));
        assert_eq!(action("POST", "items/"), Some("create"));
        assert_eq!(action("DELETE", "items/"), None);
        assert_eq!(action("GET", "items/trashbin/"), Some("trashbin"));
        assert_eq!(action("GET", "items/media-auth/"), Some("media_auth"));
        assert_eq!(action("PATCH", "items/abc/"), Some("partial_update"));
        assert_eq!(action("GET", "items/abc/children/"), Some("children"));
        assert_eq!(action("POST", "items/abc/children/"), Some("children"));
        assert_eq!(action("POST", "items/abc/upload-ended/"), Some("upload_ended"));
        assert_eq!(
            action("GET", "items/abc/upload-ended/"),
            None,
            "unmapped method: 403"
        );
        assert_eq!(action("DELETE", "items/abc/hard-delete/"), Some("hard_delete"));
        assert_eq!(
            action("PUT", "items/abc/link-configuration/"),
            Some("link_configuration")
        );
        assert!(resolve("GET", "items/abc/nothing/").is_none());
        assert_eq!(
            resolve("POST", "items/abc/upload-ended/").unwrap().endpoint,
            Endpoint::ItemAction("abc".into(), "upload_ended")
        );
    }
}
