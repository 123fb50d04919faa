//! Route resolution of the external API (spec §1.3): a path (after `/external_api/v1.0/`) and
//! a method give the resource and the action name that `EXTERNAL_API` lists. A method a
//! route does not map has no action: the gate refuses it with 403, as upstream (§3.3).

/// What a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
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
        ["users", "me"] => ("users", (method == "GET").then_some("get_me"), Endpoint::UsersMe),
        ["users"] => ("users", (method == "GET").then_some("list"), Endpoint::UsersList),
        ["users", id] if !id.is_empty() && !id.contains('.') => {
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
}
