//! `items/{rid}/invitations/` (spec §9.3, §6.8, §7.9): e-mail addresses invited to an item
//! with a role, managed by the item's administrators and owners.
//!
//! Upstream e-mails the invited address; the emulator has no SMTP, so nothing is sent. The
//! conversion of valid invitations into accesses when a user with that address first appears
//! is `repo::sharing::convert_valid_invitations`.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, Transaction};
use serde_json::{Map, Value, json};

use super::accesses::{
    FieldError, Reply, Step, char_field, check, field_error, member_id, refuse, resource_id, role_field,
};
use super::auth::Caller;
use super::body;
use super::error::DriveError;
use super::model::{Item, Role};
use super::page::Page;
use super::repo::{self, sharing, sharing::Invitation};
use super::represent::timestamp;
use crate::app::AppState;

/// Django's `EmailField` maximum length.
const EMAIL_MAX: usize = 254;

/// The invitation representation (§7.9); `privileged` = the caller administers the item.
fn invitation_json(invitation: &Invitation, privileged: bool, now: i64) -> Value {
    json!({
        "id": invitation.id,
        "abilities": {
            "destroy": privileged,
            "update": privileged,
            "partial_update": privileged,
            "retrieve": privileged,
        },
        "created_at": timestamp(invitation.created_at),
        "email": invitation.email,
        "item": invitation.item_id,
        "role": invitation.role.as_str(),
        "issuer": invitation.issuer_id,
        "is_expired": now > invitation.created_at + sharing::INVITATION_VALIDITY_MICROS,
    })
}

/// The URL item and whether the caller is one of its administrators or owners.
fn item_and_privilege(conn: &Connection, item_id: &str, caller_id: &str) -> Step<(Item, Option<Role>)> {
    let Some(item) = repo::find_item(conn, item_id)? else {
        refuse!(DriveError::not_found());
    };
    let role = sharing::role_on(conn, &item, caller_id)?;
    Ok(Ok((item, role)))
}

/// `GET` (paginated list) and `POST` (create) on `items/{rid}/invitations/`. `request_path` and
/// `query` build the page links.
#[allow(clippy::too_many_arguments)]
pub async fn collection(
    app: &AppState,
    caller: &Caller,
    item_id: &str,
    method: &Method,
    headers: &HeaderMap,
    query: &[(String, String)],
    request_path: &str,
    body: &[u8],
) -> Result<Response, DriveError> {
    let item_id = resource_id(item_id)?;
    let caller_id = caller.user.id.clone();
    let now = app.clock.now_micros();
    if *method == Method::POST {
        let parsed = body::json_object(headers, body);
        let reply = app
            .db
            .write(move |tx| create(tx, &item_id, &caller_id, parsed, now))
            .await??;
        return Ok(reply.into_response());
    }
    let requested = Page::parse(query);
    let (count, rows, page) = app
        .db
        .read(move |conn| {
            let (item, role) = check!(item_and_privilege(conn, &item_id, &caller_id)?);
            // Readers and editors (and strangers) see an empty list, not a refusal.
            if !role.is_some_and(Role::is_privileged) {
                return Ok(Ok((0, Vec::new(), requested.resolved(0))));
            }
            let count = sharing::count_invitations(conn, &item.id)?;
            let page = requested.resolved(count);
            let rows = sharing::invitations_page(conn, &item.id, (page.size, page.offset()))?;
            Ok(Ok((count, rows, page)))
        })
        .await??;
    let results = rows
        .iter()
        .map(|invitation| invitation_json(invitation, true, now))
        .collect();
    let body = page.envelope(count, results, &app.public_url, request_path, query)?;
    Ok(axum::Json(body).into_response())
}

/// Django's `EmailValidator`: a dot-atom or quoted local part, then a dotted domain of
/// letters, digits and hyphens (non-ASCII letters stand for their IDNA form), `localhost`, or a
/// bracketed IP literal.
fn valid_email(value: &str) -> bool {
    if value.chars().count() > 320 {
        return false;
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    valid_local_part(local) && (domain == "localhost" || valid_domain(domain) || valid_literal(domain))
}

fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    let atom = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
    };
    if local.split('.').all(atom) {
        return true;
    }
    let Some(inner) = local.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) else {
        return false;
    };
    let qtext = |c: char| matches!(c, '\x01'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '!' | '#'..='[' | ']'..='\x7f');
    let quoted = |c: char| matches!(c, '\x01'..='\x09' | '\x0b' | '\x0c' | '\x0e'..='\x7f');
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let ok = if c == '\\' {
            chars.next().is_some_and(quoted)
        } else {
            qtext(c)
        };
        if !ok {
            return false;
        }
    }
    true
}

fn valid_domain(domain: &str) -> bool {
    let label_char = |c: char| c.is_alphanumeric() || c == '-';
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, names)) = labels.split_last() else {
        return false;
    };
    let tld_length = tld.chars().count();
    !names.is_empty()
        && names.iter().all(|label| {
            let length = label.chars().count();
            (1..=63).contains(&length)
                && label.chars().all(label_char)
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && (2..=63).contains(&tld_length)
        && tld.chars().all(label_char)
        && !tld.ends_with('-')
}

fn valid_literal(domain: &str) -> bool {
    domain
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok())
}

/// `email` (a DRF `EmailField`, lower-cased by the serializer): None when absent or invalid.
fn email_field(body: &Map<String, Value>, required: bool, errors: &mut Vec<FieldError>) -> Option<String> {
    if !body.contains_key("email") {
        if required {
            errors.push(field_error("email", "required", "This field is required."));
        }
        return None;
    }
    let email = char_field(body, "email", false, errors)?;
    let mut valid = true;
    if email.chars().count() > EMAIL_MAX {
        errors.push(field_error(
            "email",
            "max_length",
            "Ensure this field has no more than 254 characters.",
        ));
        valid = false;
    }
    if !valid_email(&email) {
        errors.push(field_error("email", "invalid", "Enter a valid email address."));
        valid = false;
    }
    valid.then(|| email.to_lowercase())
}

/// Only owners may invite owners (a serializer-level error: no `attr`).
fn owner_rule(role: Option<Role>, caller_role: Option<Role>) -> Result<(), DriveError> {
    if role == Some(Role::Owner) && caller_role != Some(Role::Owner) {
        return Err(DriveError::validation(vec![(
            "invitation_role_owner_limited_to_owners".into(),
            "Only owners of an item can invite other users as owners.".into(),
            None,
        )]));
    }
    Ok(())
}

/// Django's `full_clean` on save: no invitation for a registered address (any case), then one
/// invitation per address and item.
fn model_rules(conn: &Connection, item_id: &str, email: &str, except_id: Option<&str>) -> Step<()> {
    if sharing::email_registered(conn, email)? {
        refuse!(DriveError::invalid(
            "email",
            "invitation_email_already_registered",
            "This email is already associated to a registered user.",
        ));
    }
    if sharing::invitation_taken(conn, item_id, email, except_id)? {
        refuse!(DriveError::invalid(
            "__all__",
            "unique_together",
            "Item invitation with this Email address and Item already exists.",
        ));
    }
    Ok(Ok(()))
}

/// `POST items/{rid}/invitations/`: 201 with the invitation; `item` and `issuer` come from the
/// URL and the caller whatever the body says.
fn create(
    tx: &Transaction<'_>,
    item_id: &str,
    caller_id: &str,
    parsed: Result<Map<String, Value>, DriveError>,
    now: i64,
) -> Step<Reply> {
    let (item, caller_role) = check!(item_and_privilege(tx, item_id, caller_id)?);
    if !caller_role.is_some_and(Role::is_privileged) {
        refuse!(DriveError::permission_denied());
    }
    let body = check!(parsed);
    let mut errors = Vec::new();
    let email = email_field(&body, true, &mut errors);
    let role = role_field(&body, &mut errors);
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        refuse!(DriveError::validation(errors));
    };
    check!(owner_rule(role, caller_role));
    check!(model_rules(tx, &item.id, &email, None)?);
    let role = role.unwrap_or(Role::Reader);
    let invitation = sharing::insert_invitation(tx, &item.id, &email, role, caller_id, now)?;
    // Upstream now e-mails the invitation; the emulator sends no e-mail (no SMTP).
    Ok(Ok(Reply::Json(
        StatusCode::CREATED,
        invitation_json(&invitation, true, now),
    )))
}

/// `GET`, `PUT`, `PATCH`, `DELETE` on `items/{rid}/invitations/{invitation_id}/`: all for the
/// item's administrators and owners only (403 for the others).
pub async fn member(
    app: &AppState,
    caller: &Caller,
    item_id: &str,
    invitation_id: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, DriveError> {
    let item_id = resource_id(item_id)?;
    let invitation_id = member_id(invitation_id)?;
    let caller_id = caller.user.id.clone();
    let now = app.clock.now_micros();
    let reply = match *method {
        Method::GET | Method::HEAD => {
            app.db
                .read(move |conn| {
                    let (invitation, _) = check!(authorize(conn, &item_id, &invitation_id, &caller_id)?);
                    Ok(Ok(Reply::Json(
                        StatusCode::OK,
                        invitation_json(&invitation, true, now),
                    )))
                })
                .await??
        }
        Method::DELETE => {
            app.db
                .write(move |tx| {
                    let (invitation, _) = check!(authorize(tx, &item_id, &invitation_id, &caller_id)?);
                    sharing::delete_invitation(tx, &invitation.id)?;
                    Ok(Ok(Reply::NoContent))
                })
                .await??
        }
        _ => {
            let parsed = body::json_object(headers, body);
            let partial = *method == Method::PATCH;
            app.db
                .write(move |tx| {
                    let (invitation, caller_role) =
                        check!(authorize(tx, &item_id, &invitation_id, &caller_id)?);
                    let body = check!(parsed);
                    let mut errors = Vec::new();
                    let email = email_field(&body, !partial, &mut errors);
                    let role = role_field(&body, &mut errors);
                    if !errors.is_empty() {
                        refuse!(DriveError::validation(errors));
                    }
                    check!(owner_rule(role, caller_role));
                    let email = email.unwrap_or_else(|| invitation.email.clone());
                    // The whole row is validated again, so an address registered since the
                    // invitation blocks any change to it (as upstream).
                    check!(model_rules(
                        tx,
                        &invitation.item_id,
                        &email,
                        Some(&invitation.id)
                    )?);
                    let role = role.unwrap_or(invitation.role);
                    sharing::update_invitation(tx, &invitation.id, &email, role, now)?;
                    let updated = Invitation {
                        email,
                        role,
                        ..invitation
                    };
                    Ok(Ok(Reply::Json(
                        StatusCode::OK,
                        invitation_json(&updated, true, now),
                    )))
                })
                .await??
        }
    };
    Ok(reply.into_response())
}

/// The URL item's invitation (404 otherwise) if the caller administers the item (403
/// otherwise), with the caller's role.
fn authorize(
    conn: &Connection,
    item_id: &str,
    invitation_id: &str,
    caller_id: &str,
) -> Step<(Invitation, Option<Role>)> {
    let (item, role) = check!(item_and_privilege(conn, item_id, caller_id)?);
    let Some(invitation) = sharing::find_invitation(conn, &item.id, invitation_id)? else {
        refuse!(DriveError::not_found());
    };
    if !role.is_some_and(Role::is_privileged) {
        refuse!(DriveError::permission_denied());
    }
    Ok(Ok((invitation, role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_validated_like_django() {
        for good in [
            "guest@example.com",
            "first.last+tag@sub.example.org",
            "\"quoted..local\"@example.com",
            "\"quoted\\ local\"@example.com",
            "x@localhost",
            "x@[127.0.0.1]",
            "x@exämple.com",
        ] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@example",
            "a..b@example.com",
            "a@-example.com",
            "a@example.c",
            "a b@example.com",
            "a@exa_mple.com",
            "\"quoted local\"@example.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn only_owners_invite_owners() {
        assert!(owner_rule(Some(Role::Owner), Some(Role::Administrator)).is_err());
        assert!(owner_rule(Some(Role::Owner), Some(Role::Owner)).is_ok());
        assert!(owner_rule(Some(Role::Administrator), Some(Role::Administrator)).is_ok());
    }
}
