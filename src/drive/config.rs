//! Drive's settings, from the `[drive]` fixture section: the realm whose issuer it trusts
//! (`OIDC_OP_URL`), `OIDC_RS_ALLOWED_AUDIENCES`, `OIDC_RS_SCOPES` and `EXTERNAL_API`, the
//! latter as a table or as upstream's setting string (JSON, or a Python literal such as
//! `{'items': {'actions': ['list']}}`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `[drive]` fixture section; every field optional, layered like the rest of a fixture.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriveFixture {
    /// Realm (or alias) whose issuer Drive trusts [default: lasuite].
    pub realm: Option<String>,
    /// Clients whose tokens the API accepts [default: docs, drive, impress].
    pub allowed_audiences: Option<Vec<String>>,
    /// At least one must be in a token's scope [default: openid].
    pub scopes: Option<Vec<String>>,
    /// `OIDC_RS_AUDIENCE_CLAIM`: the introspection member naming the caller's audience
    /// [default: client_id; the seed uses aud].
    pub audience_claim: Option<String>,
    /// Upstream's `EXTERNAL_API` [default: upstream's default, items create, list, retrieve,
    /// children, upload_ended and users get_me]; `"all"` turns every action on.
    pub external_api: Option<Value>,
    /// Upstream's `EXTERNAL_API_AUD_ITEM_ATTRIBUTES`: extra stored attributes of items created
    /// through the API, per token audience, e.g. `{docs = {quota_excluded = true}}`.
    pub aud_item_attributes: Option<Value>,
    /// The key of `metrics/usage/` (`Authorization: Api-Key <key>`); unset = no such route
    /// (upstream's `METRICS_ENABLED` off).
    pub metrics_api_key: Option<String>,
    /// Stored claims each usage entry exposes (`METRICS_USER_CLAIMS_EXPOSED`).
    pub metrics_user_claims: Option<Vec<String>>,
    /// The django-lasuite release Drive runs: `"0.0.28"` (Drive 0.21.1's pin, the default)
    /// answers an inactive or unsuitable token with a 500; `"0.1.0"` with a 401.
    pub django_lasuite: Option<String>,
    /// Drive's settings class: `"Production"` (the default: `DEBUG` off, plain error pages, the
    /// 500 envelope) or `"Development"` (`DEBUG` on: Django's debug pages).
    pub configuration: Option<String>,
    /// Model Drive as the Docs x Drive proof of concept changes it (Drive PR #790, branch
    /// head 81aa0e64): item `metadata` and pointer items (`metadata.external_app`), the
    /// `external_app` filter, `tree-descendants`, the internal API `/api/v1.0/` for trusted
    /// apps impersonating users, and the lifecycle callbacks of `external_apps` [default: off,
    /// Drive 0.21.1].
    pub docs_poc: Option<bool>,
    /// PR #790's `SERVER_TO_SERVER_API_TOKENS`: static bearer tokens of trusted apps, which
    /// name the acting user in `X-User-Sub` / `X-User-Email` (only with `docs_poc`).
    pub server_to_server_api_tokens: Option<Vec<String>>,
    /// PR #790's `EXTERNAL_APPS`: per app name, its back-channel (`[drive.external_apps.docs]`
    /// with `api_base_url` and `token`, upstream's `DOCS_API_BASE_URL` and
    /// `DOCS_SERVER_TO_SERVER_TOKEN`). A `docs` entry exists whether declared or not, as
    /// upstream's default does; unconfigured, its calls fail ("Docs integration is not
    /// configured.").
    pub external_apps: Option<BTreeMap<String, ExternalAppFixture>>,
    /// Seeded folders (`[[drive.items]]`, see `seed.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<super::seed::ItemSeed>,
}

impl DriveFixture {
    pub fn merge(&mut self, over: Self) {
        if over.realm.is_some() {
            self.realm = over.realm;
        }
        if over.allowed_audiences.is_some() {
            self.allowed_audiences = over.allowed_audiences;
        }
        if over.scopes.is_some() {
            self.scopes = over.scopes;
        }
        if over.audience_claim.is_some() {
            self.audience_claim = over.audience_claim;
        }
        if over.external_api.is_some() {
            self.external_api = over.external_api;
        }
        if over.aud_item_attributes.is_some() {
            self.aud_item_attributes = over.aud_item_attributes;
        }
        if over.metrics_api_key.is_some() {
            self.metrics_api_key = over.metrics_api_key;
        }
        if over.metrics_user_claims.is_some() {
            self.metrics_user_claims = over.metrics_user_claims;
        }
        if over.django_lasuite.is_some() {
            self.django_lasuite = over.django_lasuite;
        }
        if over.configuration.is_some() {
            self.configuration = over.configuration;
        }
        if over.docs_poc.is_some() {
            self.docs_poc = over.docs_poc;
        }
        if over.server_to_server_api_tokens.is_some() {
            self.server_to_server_api_tokens = over.server_to_server_api_tokens;
        }
        if over.external_apps.is_some() {
            self.external_apps = over.external_apps;
        }
        // Seeds add up; a later seed with the same id replaces the earlier one.
        for seed in over.items {
            let id = seed.resolved_id();
            self.items.retain(|earlier| earlier.resolved_id() != id);
            self.items.push(seed);
        }
    }

    /// Resolves the settings, with upstream's names in the errors.
    pub fn resolve(&self) -> Result<DriveConfig, String> {
        for seed in &self.items {
            seed.validate()?;
        }
        let external_api = match &self.external_api {
            None => ExternalApi::upstream_default(),
            Some(Value::String(text)) if text == "all" => ExternalApi::everything(),
            Some(Value::String(text)) => ExternalApi::parse(&parse_setting(text)?)?,
            Some(value) => ExternalApi::parse(value)?,
        };
        Ok(DriveConfig {
            realm: self.realm.clone().unwrap_or_else(|| "lasuite".into()),
            allowed_audiences: self
                .allowed_audiences
                .clone()
                .unwrap_or_else(|| vec!["docs".into(), "drive".into(), "impress".into()]),
            scopes: self.scopes.clone().unwrap_or_else(|| vec!["openid".into()]),
            audience_claim: self.audience_claim.clone().unwrap_or_else(|| "client_id".into()),
            external_api,
            aud_item_attributes: parse_aud_item_attributes(self.aud_item_attributes.as_ref())?,
            metrics_api_key: self.metrics_api_key.clone().filter(|k| !k.is_empty()),
            metrics_user_claims: self.metrics_user_claims.clone().unwrap_or_default(),
            lasuite: match self.django_lasuite.as_deref() {
                None | Some("0.0.28") => Lasuite::V0_0_28,
                Some("0.1.0") => Lasuite::V0_1_0,
                Some(other) => {
                    return Err(format!(
                        "django_lasuite = {other:?}: known versions are \"0.0.28\" (Drive 0.21.1's) and \"0.1.0\""
                    ));
                }
            },
            development: match self.configuration.as_deref() {
                None | Some("Production") => false,
                Some("Development") => true,
                Some(other) => {
                    return Err(format!(
                        "configuration = {other:?}: Drive's configurations are \"Production\" and \"Development\""
                    ));
                }
            },
            docs_poc: self.docs_poc.unwrap_or(false),
            server_to_server_api_tokens: self.server_to_server_api_tokens.clone().unwrap_or_default(),
            external_apps: {
                let mut apps = self.external_apps.clone().unwrap_or_default();
                apps.entry("docs".into()).or_default();
                apps
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriveConfig {
    pub realm: String,
    pub allowed_audiences: Vec<String>,
    pub scopes: Vec<String>,
    pub audience_claim: String,
    pub external_api: ExternalApi,
    pub aud_item_attributes: BTreeMap<String, serde_json::Map<String, Value>>,
    pub metrics_api_key: Option<String>,
    pub metrics_user_claims: Vec<String>,
    /// The django-lasuite release (its resource-server authentication differs).
    pub lasuite: Lasuite,
    /// Drive's `Development` configuration (`DEBUG` on) rather than `Production`.
    pub development: bool,
    /// Drive PR #790's model (see [`DriveFixture::docs_poc`]).
    pub docs_poc: bool,
    pub server_to_server_api_tokens: Vec<String>,
    pub external_apps: BTreeMap<String, ExternalAppFixture>,
}

/// One entry of PR #790's `EXTERNAL_APPS`: where the app's server-to-server API is and the
/// bearer token Drive sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExternalAppFixture {
    /// e.g. `http://localhost:8072/api/v1.0` (`DOCS_API_BASE_URL`); a trailing `/` is dropped.
    pub api_base_url: Option<String>,
    /// `DOCS_SERVER_TO_SERVER_TOKEN`.
    pub token: Option<String>,
    /// `FRONTEND_DOCS_URL` (upstream only shows it to its frontend).
    pub frontend_url: Option<String>,
}

/// The django-lasuite releases whose resource-server authentication the emulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lasuite {
    /// Drive 0.21.1's pin: introspection refusals are `SuspiciousOperation`s nobody catches
    /// (500 in Production); an inactive Drive user is authenticated.
    V0_0_28,
    /// Refusals become 401 `authentication_failed` with the refusal's message; an inactive
    /// Drive user is refused ("User inactive or deleted.").
    V0_1_0,
}

impl DriveConfig {
    /// The extra item attributes for tokens of `audience`, if any.
    pub fn aud_item_attributes(&self, audience: &str) -> Option<&serde_json::Map<String, Value>> {
        self.aud_item_attributes.get(audience)
    }
}

/// The only attribute upstream documents (and the emulator stores) per audience.
const AUD_ITEM_ATTRIBUTES: [&str; 1] = ["quota_excluded"];

fn parse_aud_item_attributes(
    value: Option<&Value>,
) -> Result<BTreeMap<String, serde_json::Map<String, Value>>, String> {
    let value = match value {
        None => return Ok(BTreeMap::new()),
        Some(Value::String(text)) => parse_setting(text)?,
        Some(value) => value.clone(),
    };
    let Value::Object(audiences) = value else {
        return Err("EXTERNAL_API_AUD_ITEM_ATTRIBUTES must map audiences to attributes".into());
    };
    let mut resolved = BTreeMap::new();
    for (audience, attributes) in audiences {
        let Value::Object(attributes) = attributes else {
            return Err(format!(
                "EXTERNAL_API_AUD_ITEM_ATTRIBUTES: {audience} must map to a table"
            ));
        };
        if let Some(unknown) = attributes
            .keys()
            .find(|k| !AUD_ITEM_ATTRIBUTES.contains(&k.as_str()))
        {
            return Err(format!(
                "EXTERNAL_API_AUD_ITEM_ATTRIBUTES: {audience}.{unknown} is not supported (only quota_excluded)"
            ));
        }
        resolved.insert(audience, attributes);
    }
    Ok(resolved)
}

impl Default for DriveConfig {
    fn default() -> Self {
        DriveFixture::default().resolve().expect("the defaults resolve")
    }
}

/// `EXTERNAL_API`: per resource (`items`, `item_access`, `item_invitation`, `users`), whether
/// its routes exist and which actions a token may use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExternalApi {
    resources: BTreeMap<String, Resource>,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Resource {
    enabled: bool,
    actions: Vec<String>,
}

pub const RESOURCES: [&str; 4] = ["items", "item_access", "item_invitation", "users"];

/// Every action name of §1.3, per resource: the default turns them all on.
fn all_actions(resource: &str) -> &'static [&'static str] {
    match resource {
        "items" => &[
            "list",
            "create",
            "retrieve",
            "update",
            "partial_update",
            "destroy",
            "children",
            "upload_ended",
            "move",
            "restore",
            "trashbin",
            "hard_delete",
            "tree",
            "breadcrumb",
            "link_configuration",
            "favorite",
            "media_auth",
            "wopi",
            "download",
            // PR #790 (`docs_poc`): the route exists only then.
            "tree_descendants",
        ],
        "item_access" | "item_invitation" => &[
            "list",
            "create",
            "retrieve",
            "update",
            "partial_update",
            "destroy",
        ],
        "users" => &["get_me", "list", "update", "partial_update"],
        _ => &[],
    }
}

/// Drive 0.21.1's default `EXTERNAL_API` (settings.py, spec §3.2).
pub const UPSTREAM_DEFAULT: &str = r#"{"items": {"enabled": true, "actions": ["create", "list", "retrieve", "children", "upload_ended"]},
  "item_access": {"enabled": false, "actions": []},
  "item_invitation": {"enabled": false, "actions": []},
  "users": {"enabled": true, "actions": ["get_me"]}}"#;

impl ExternalApi {
    /// What Drive 0.21.1 ships with (spec §3.2).
    pub fn upstream_default() -> Self {
        let value = serde_json::from_str(UPSTREAM_DEFAULT).expect("the default is JSON");
        Self::parse(&value).expect("the default parses")
    }

    /// Every action of every resource (`external_api = "all"`).
    pub fn everything() -> Self {
        let resources = RESOURCES
            .iter()
            .map(|r| {
                let resource = Resource {
                    enabled: true,
                    actions: all_actions(r).iter().map(|a| (*a).to_owned()).collect(),
                };
                ((*r).to_owned(), resource)
            })
            .collect();
        Self { resources }
    }

    fn parse(value: &Value) -> Result<Self, String> {
        let map = value
            .as_object()
            .ok_or("EXTERNAL_API must be an object of resources")?;
        let mut resources = BTreeMap::new();
        for (name, entry) in map {
            if !RESOURCES.contains(&name.as_str()) {
                return Err(format!(
                    "EXTERNAL_API: unknown resource {name:?} (known: {})",
                    RESOURCES.join(", ")
                ));
            }
            let enabled = match entry.get("enabled") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(format!("EXTERNAL_API.{name}.enabled must be a boolean")),
            };
            let actions = match entry.get("actions") {
                None => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|a| {
                        a.as_str()
                            .map(str::to_owned)
                            .ok_or(format!("EXTERNAL_API.{name}.actions holds strings"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(format!("EXTERNAL_API.{name}.actions must be a list")),
            };
            resources.insert(name.clone(), Resource { enabled, actions });
        }
        Ok(Self { resources })
    }

    /// Whether the routes of a nested resource exist (`items` always do, as upstream).
    pub fn enabled(&self, resource: &str) -> bool {
        resource == "items" || self.resources.get(resource).is_some_and(|r| r.enabled)
    }

    /// Whether a token may use `action` on `resource`.
    pub fn allows(&self, resource: &str, action: &str) -> bool {
        self.resources
            .get(resource)
            .is_some_and(|r| r.actions.iter().any(|a| a == action))
    }
}

/// A setting string as upstream reads it: JSON, or the Python literal form of the same data.
fn parse_setting(text: &str) -> Result<Value, String> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    serde_json::from_str(&python_literal_to_json(text))
        .map_err(|e| format!("the setting is neither JSON nor a Python literal: {e}"))
}

/// Rewrites a Python literal of dicts, lists, strings, booleans and None into JSON.
fn python_literal_to_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push('"');
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' => {
                            out.push('\\');
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        }
                        '"' if c == '\'' => out.push_str("\\\""),
                        q if q == c => break,
                        other => out.push(other),
                    }
                }
                out.push('"');
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
                {
                    word.extend(chars.next());
                }
                out.push_str(match word.as_str() {
                    "True" => "true",
                    "False" => "false",
                    "None" => "null",
                    other => other,
                });
            }
            ',' => {
                // Python allows a trailing comma; JSON does not.
                let rest: String = chars.clone().collect();
                if !rest.trim_start().starts_with([']', '}']) {
                    out.push(',');
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_default_setting_parses_in_json_and_python_forms() {
        let json = r#"{"items": {"enabled": true, "actions": ["create", "list", "retrieve", "children", "upload_ended"]},
                       "item_access": {"enabled": false, "actions": []},
                       "users": {"enabled": true, "actions": ["get_me"]}}"#;
        let python = "{'items': {'enabled': True, 'actions': ['create', 'list', 'retrieve', 'children', 'upload_ended',]}, \
                       'item_access': {'enabled': False, 'actions': []}, 'users': {'enabled': True, 'actions': ['get_me']}}";
        for text in [json, python] {
            let api = ExternalApi::parse(&parse_setting(text).unwrap()).unwrap();
            assert!(api.allows("items", "create") && !api.allows("items", "destroy"));
            assert!(api.enabled("users") && !api.enabled("item_access") && !api.enabled("item_invitation"));
            assert!(api.allows("users", "get_me") && !api.allows("users", "list"));
        }
    }

    #[test]
    fn the_default_is_upstreams_and_bad_settings_say_why() {
        let config = DriveConfig::default();
        assert!(config.external_api.allows("items", "upload_ended"));
        assert!(!config.external_api.allows("items", "hard_delete"));
        assert!(!config.external_api.allows("users", "list"));
        assert!(!config.external_api.enabled("item_invitation"));
        let all = DriveFixture {
            external_api: Some(Value::String("all".into())),
            ..Default::default()
        };
        let all = all.resolve().unwrap().external_api;
        assert!(all.allows("items", "hard_delete") && all.enabled("item_invitation"));
        assert_eq!(config.allowed_audiences, ["docs", "drive", "impress"]);
        let bad = DriveFixture {
            external_api: Some(serde_json::json!({"files": {}})),
            ..Default::default()
        };
        assert!(bad.resolve().unwrap_err().contains("files"));
        let bad = DriveFixture {
            external_api: Some(Value::String("{nonsense".into())),
            ..Default::default()
        };
        assert!(bad.resolve().is_err());
    }
}
