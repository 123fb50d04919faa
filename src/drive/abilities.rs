//! Who may do what with an item (spec §6.6): link inheritance and the 24 abilities, as plain
//! functions of the item and the caller's context. Handlers ask these; nothing else decides.

use serde_json::{Map, Value, json};

use super::model::{Item, ItemContext, Reach, Role};

/// A link definition: the reach, and the role it gives (None when restricted or unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkDefinition {
    pub reach: Option<Reach>,
    pub role: Option<Role>,
}

/// Reduces link pairs to one definition: the highest reach wins (unset counts lowest); its role
/// is the highest link role among pairs with that reach, or none when the reach is restricted.
pub fn reduce(pairs: &[(Option<Reach>, Option<Role>)]) -> LinkDefinition {
    let Some(reach) = pairs.iter().map(|(reach, _)| *reach).max() else {
        return LinkDefinition {
            reach: None,
            role: None,
        };
    };
    let role = if reach == Some(Reach::Restricted) {
        None
    } else {
        pairs
            .iter()
            .filter(|(r, _)| *r == reach)
            .filter_map(|(_, role)| *role)
            .max()
    };
    LinkDefinition { reach, role }
}

pub fn ancestors_definition(context: &ItemContext) -> LinkDefinition {
    let pairs: Vec<_> = context
        .ancestor_links
        .iter()
        .map(|(reach, role)| (*reach, Some(*role)))
        .collect();
    reduce(&pairs)
}

pub fn computed_definition(item: &Item, context: &ItemContext) -> LinkDefinition {
    let ancestors = ancestors_definition(context);
    reduce(&[
        (ancestors.reach, ancestors.role),
        (item.link_reach, Some(item.link_role)),
    ])
}

/// The reaches (and link roles) an item may be set to below its ancestors' definition.
pub fn link_select_options(ancestors: LinkDefinition) -> Value {
    let mut options = Map::new();
    for reach in Reach::ALL {
        if Some(reach) < ancestors.reach {
            continue;
        }
        let value = if reach == Reach::Restricted {
            Value::Null
        } else {
            let roles: Vec<&str> = [Role::Reader, Role::Editor]
                .into_iter()
                .filter(|role| Some(*role) >= ancestors.role)
                .map(Role::as_str)
                .collect();
            json!(roles)
        };
        options.insert(reach.as_str().to_owned(), value);
    }
    Value::Object(options)
}

/// The role a caller acts with: their explicit role, raised by the item's computed link when
/// it reaches them (every external API caller is authenticated).
pub fn effective_role(item: &Item, context: &ItemContext) -> Option<Role> {
    let computed = computed_definition(item, context);
    let reaches_caller = matches!(computed.reach, Some(Reach::Public | Reach::Authenticated));
    if reaches_caller {
        context.role.max(computed.role)
    } else {
        context.role
    }
}

/// The `abilities` object of an item for the caller (§6.6, 24 keys).
pub fn item_abilities(item: &Item, context: &ItemContext) -> Value {
    let role = context.role;
    let owner = role == Some(Role::Owner);
    let owner_or_admin = role.is_some_and(Role::is_privileged);
    let deleted = item.ancestors_deleted_at.is_some();
    let has_access_role = role.is_some() && !deleted;
    let effective = effective_role(item, context);
    let can_get = effective.is_some() && !deleted;
    let can_update = (owner_or_admin || effective == Some(Role::Editor)) && !deleted;
    let can_manage = owner_or_admin && !deleted;
    let can_hard_delete = if item.depth == 1 {
        owner
    } else {
        owner_or_admin || context.caller_is_creator
    };
    let is_file = !item.is_folder;
    let ready = item.upload_state.as_deref() == Some("ready");
    // A pointer to another app's resource (PR #790) has no body: no file-only feature.
    let local = item.external_app().is_none();
    json!({
        "accesses_manage": can_manage,
        "accesses_view": has_access_role,
        "breadcrumb": can_get,
        "children_create": can_update,
        "children_list": can_get,
        // No ONLYOFFICE conversion secret is configured in the emulator.
        "convert": false,
        "destroy": can_hard_delete && !deleted,
        "download": can_get && local,
        "duplicate": can_get && is_file && ready && local,
        "export": can_get && item.is_folder,
        "favorite": can_get,
        "hard_delete": can_hard_delete,
        "invite_owner": owner && !deleted,
        "link_configuration": can_manage,
        "media_auth": can_get,
        "move": can_manage,
        "link_select_options": if has_access_role {
            link_select_options(ancestors_definition(context))
        } else {
            json!({})
        },
        "partial_update": can_update,
        "restore": owner,
        "retrieve": can_get || owner,
        "tree": can_get,
        "update": can_update,
        "upload_ended": can_update && local,
        "wopi": can_get && local,
    })
}

/// Whether the caller may use `ability` on the item (the object permission of §6.6).
pub fn allows(item: &Item, context: &ItemContext, ability: &str) -> bool {
    item_abilities(item, context)
        .get(ability)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_options_follow_the_ancestors_definition() {
        let root = LinkDefinition {
            reach: None,
            role: None,
        };
        assert_eq!(
            link_select_options(root),
            json!({"restricted": null, "authenticated": ["reader", "editor"], "public": ["reader", "editor"]})
        );
        let under = LinkDefinition {
            reach: Some(Reach::Authenticated),
            role: Some(Role::Editor),
        };
        assert_eq!(
            link_select_options(under),
            json!({"authenticated": ["editor"], "public": ["editor"]})
        );
    }

    #[test]
    fn the_highest_reach_wins_and_restricted_has_no_role() {
        let definition = reduce(&[
            (Some(Reach::Restricted), Some(Role::Editor)),
            (Some(Reach::Authenticated), Some(Role::Reader)),
            (None, Some(Role::Editor)),
        ]);
        assert_eq!(definition.reach, Some(Reach::Authenticated));
        assert_eq!(definition.role, Some(Role::Reader));
        let restricted = reduce(&[(Some(Reach::Restricted), Some(Role::Editor))]);
        assert_eq!(restricted.role, None);
        assert_eq!(
            reduce(&[]),
            LinkDefinition {
                reach: None,
                role: None
            }
        );
    }
}
