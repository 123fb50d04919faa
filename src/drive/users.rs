//! `users/` of the external API (spec §9.4): `users/me/`, the user search, and a user's own
//! preferences.

use axum::http::HeaderMap;
use serde_json::Value;

use super::auth::Caller;
use super::body;
use super::error::DriveError;
use super::model::DriveUser;
use super::repo;
use crate::app::AppState;

const LANGUAGES: [&str; 4] = ["en-us", "fr-fr", "de-de", "nl-nl"];
const COLUMNS: [&str; 5] = ["last_modified", "created", "created_by", "file_type", "file_size"];
/// `API_USERS_LIST_LIMIT`.
const SEARCH_LIMIT: usize = 5;

/// `GET users/me/`
pub fn me(caller: &Caller) -> Value {
    caller.user.to_json()
}

/// `GET users/?q=`: active users matching `q` (at least 5 characters): by edit distance to
/// the email when `q` holds an `@` (at most 3), by trigram similarity otherwise (> 0.2), best
/// first, at most 5. A JSON array, not paginated.
pub async fn search(app: &AppState, query: Option<&str>) -> Result<Value, DriveError> {
    let Some(q) = query.map(str::trim).filter(|q| q.chars().count() >= 5) else {
        return Ok(Value::Array(Vec::new()));
    };
    let q = q.to_lowercase();
    let users = app.db.read(repo::active_users).await?;
    let mut scored: Vec<(f64, String, DriveUser)> = users
        .into_iter()
        .filter_map(|user| {
            let email = user.email.clone()?.to_lowercase();
            let score = if q.contains('@') {
                let distance = levenshtein(&q, &email);
                (distance <= 3).then(|| f64::from(u32::try_from(distance).unwrap_or(u32::MAX)))
            } else {
                let similarity = trigram_similarity(&q, &email);
                (similarity > 0.2).then_some(-similarity)
            };
            score.map(|s| (s, email, user))
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Ok(Value::Array(
        scored
            .into_iter()
            .take(SEARCH_LIMIT)
            .map(|(_, _, u)| u.to_json())
            .collect(),
    ))
}

/// `PUT`/`PATCH users/{id}/`: only the caller's own `language`, `last_release_note_seen`
/// and `column_preferences`; anything else in the body is ignored, as DRF does.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
    partial: bool,
) -> Result<Value, DriveError> {
    if id != caller.user.id {
        return Err(DriveError::permission_denied());
    }
    let body = body::json_object(headers, raw)?;
    let current = &caller.user;
    let field = |name: &str, current: Option<Value>| -> Option<Value> {
        match body.get(name) {
            Some(value) => Some(value.clone()),
            None if partial => current,
            None => None,
        }
    };
    let language = validated_language(field("language", current.language.clone().map(Value::from)))?;
    let release = validated_release(field(
        "last_release_note_seen",
        current.last_release_note_seen.clone().map(Value::from),
    ))?;
    let columns = validated_columns(field("column_preferences", current.column_preferences.clone()))?;
    let (user_id, now) = (current.id.clone(), app.clock.now());
    let updated = app
        .db
        .write(move |tx| {
            repo::update_preferences(
                tx,
                &user_id,
                language.as_deref(),
                release.as_deref(),
                columns.as_ref(),
                now,
            )?;
            repo::find(tx, &user_id)
        })
        .await?
        .ok_or_else(DriveError::not_found)?;
    Ok(updated.to_json())
}

fn validated_language(value: Option<Value>) -> Result<Option<String>, DriveError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if LANGUAGES.contains(&s.as_str()) => Ok(Some(s)),
        Some(other) => Err(DriveError::invalid(
            "language",
            "invalid_choice",
            format!(
                "\"{}\" is not a valid choice.",
                other.as_str().unwrap_or(&other.to_string())
            ),
        )),
    }
}

fn validated_release(value: Option<Value>) -> Result<Option<String>, DriveError> {
    let is_version = |s: &str| {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if is_version(&s) => Ok(Some(s)),
        Some(_) => Err(DriveError::invalid(
            "last_release_note_seen",
            "invalid",
            "This value does not match the required pattern.",
        )),
    }
}

fn validated_columns(value: Option<Value>) -> Result<Option<Value>, DriveError> {
    let invalid = || DriveError::invalid("column_preferences", "invalid", "Invalid column preferences.");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let keys_ok = map.keys().all(|k| k == "column1" || k == "column2");
            let values_ok = map
                .values()
                .all(|v| v.as_str().is_some_and(|c| COLUMNS.contains(&c)));
            if keys_ok && values_ok && !map.is_empty() {
                Ok(Some(Value::Object(map)))
            } else {
                Err(invalid())
            }
        }
        Some(_) => Err(invalid()),
    }
}

/// Edit distance (insertions, deletions, substitutions), over characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push((previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// PostgreSQL `pg_trgm`'s similarity: shared trigrams over all trigrams, each word padded
/// with two spaces before and one after, non-alphanumerics separating words.
fn trigram_similarity(a: &str, b: &str) -> f64 {
    fn trigrams(text: &str) -> std::collections::BTreeSet<Vec<char>> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .flat_map(|word| {
                let padded: Vec<char> = "  ".chars().chain(word.chars()).chain(" ".chars()).collect();
                padded.windows(3).map(<[char]>::to_vec).collect::<Vec<_>>()
            })
            .collect()
    }
    let (ta, tb) = (trigrams(a), trigrams(b));
    let union = ta.union(&tb).count();
    if union == 0 {
        return 0.0;
    }
    let shared = ta.intersection(&tb).count();
    f64::from(u32::try_from(shared).unwrap_or(0)) / f64::from(u32::try_from(union).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_and_trigrams_behave_like_postgres() {
        assert_eq!(levenshtein("alice@example.com", "alice@example.com"), 0);
        assert_eq!(levenshtein("alice@exmple.com", "alice@example.com"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert!((trigram_similarity("word", "word") - 1.0).abs() < f64::EPSILON);
        assert!(trigram_similarity("alice", "alice@example.com") > 0.2);
        assert!(trigram_similarity("zzzzz", "alice@example.com") < 0.2);
    }
}
