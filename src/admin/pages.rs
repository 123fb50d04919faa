//! The dashboard's pages under `/_emu/`: server-rendered HTML (each readable without
//! JavaScript), enhanced by `static/dashboard.js` (live journal, countdowns, buttons that call
//! the control plane). Each page shows one bounded page of data, read through `dashboard.rs`.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use super::dashboard::{self, ItemsQuery, ObjectsQuery, TokenQuery};
use crate::app::AppState;
use crate::oidc::error::OAuthError;
use crate::web::{self, escape};

/// The pages: path, title.
const PAGES: &[(&str, &str)] = &[
    ("/_emu/", "Overview"),
    ("/_emu/identity", "Identity"),
    ("/_emu/s3", "S3"),
    ("/_emu/drive", "Drive"),
    ("/_emu/requests", "Journal"),
    ("/_emu/control", "Faults and clock"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emu/", get(overview))
        .route("/_emu/identity", get(identity))
        .route("/_emu/s3", get(s3))
        .route("/_emu/s3/object", get(s3_object))
        .route("/_emu/drive", get(drive))
        .route("/_emu/requests", get(requests))
        .route("/_emu/control", get(control))
}

/// Whether `path` is one of the dashboard's pages.
pub fn is_page(path: &str) -> bool {
    path == "/_emu/s3/object" || PAGES.iter().any(|(p, _)| *p == path)
}

fn page(app: &AppState, current: &str, title: &str, body: &str) -> Response {
    let nav: String = PAGES
        .iter()
        .map(|(path, name)| {
            let here = if *path == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<a href=\"{path}\"{here}>{name}</a>")
        })
        .collect();
    let logout = if app.admin_key.is_some() {
        "<form method=\"post\" action=\"/_emu/logout\" class=\"emu-logout\"><button type=\"submit\">Forget the key</button></form>"
    } else {
        ""
    };
    let html = web::render(
        &web::DASHBOARD_PAGE,
        &[
            ("title", title),
            ("nav_html", &nav),
            ("logout_html", logout),
            ("body_html", body),
        ],
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, web::DASHBOARD_CSP.as_str()),
            (header::REFERRER_POLICY, "same-origin"),
        ],
        Html(html),
    )
        .into_response()
}

/// The admin-key prompt (401): shown for any page when the emulator has a key and the request
/// brings neither it nor the dashboard's cookie.
pub fn key_prompt(error: Option<&str>) -> Response {
    let error_html = error.map_or(String::new(), |e| {
        format!("<span id=\"input-error\" role=\"alert\">{}</span>", escape(e))
    });
    let invalid = if error.is_some() { "true" } else { "false" };
    let body = format!(
        "<div class=\"card-pf emu-narrow\"><p>This emulator listens beyond loopback: its control plane needs the admin key printed at start (or given with <code>--admin-key</code>).</p>
<form method=\"post\" action=\"/_emu/login\" id=\"emu-key-form\">
<div class=\"form-group\"><label for=\"emu-key\">Admin key</label>
<input id=\"emu-key\" class=\"pf-c-form-control\" name=\"key\" type=\"password\" autocomplete=\"current-password\" required aria-invalid=\"{invalid}\" autofocus>{error_html}</div>
<button class=\"pf-c-button\" type=\"submit\">Open the dashboard</button>
<p class=\"emu-muted\">The key is kept in an HttpOnly cookie for this browser (a digest of it, never the key).</p>
</form></div>"
    );
    let html = web::render(
        &web::DASHBOARD_PAGE,
        &[
            ("title", "Admin key"),
            ("nav_html", ""),
            ("logout_html", ""),
            ("body_html", &body),
        ],
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::CACHE_CONTROL, "no-store")],
        Html(html),
    )
        .into_response()
}

fn error_page(app: &AppState, current: &str, title: &str, error: &OAuthError) -> Response {
    let body = format!(
        "<p class=\"emu-refusal\" role=\"alert\">{}</p>",
        escape(&error.description)
    );
    let mut response = page(app, current, title, &body);
    *response.status_mut() = error.status;
    response
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn e(v: &Value) -> String {
    escape(&s(v))
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn pretty(v: &Value) -> String {
    escape(&serde_json::to_string_pretty(v).unwrap_or_default())
}

fn size(bytes: &Value) -> String {
    let Some(n) = bytes.as_i64() else {
        return String::new();
    };
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

fn time(unix: &Value) -> String {
    let Some(t) = unix.as_i64() else {
        return String::new();
    };
    let when = chrono_like(t);
    format!("<time datetime=\"{when}\" data-unix=\"{t}\">{when}</time>")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (UTC).
fn chrono_like(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A button the script turns into a control-plane call (disabled until it loads).
fn action(label: &str, method: &str, url: &str, extra: &str) -> String {
    format!(
        "<button type=\"button\" class=\"emu-btn\" data-method=\"{method}\" data-url=\"{}\" {extra} disabled>{}</button>",
        escape(url),
        escape(label)
    )
}

/// A `<details>` whose content is loaded when first opened (the script fetches `url` and
/// renders a `kind`: "claims", the user's claims editor, or "token", the decoded token):
/// rendering every user's editor and every token's claims up front made the identity page
/// several times heavier and its first paint slow. Without the script, opening it shows a
/// link to the same JSON.
fn on_demand(kind: &str, summary: &str, url: &str, name: &str, fallback: &str) -> String {
    format!(
        "<details data-load=\"{kind}\" data-url=\"{url}\" data-name=\"{name}\"><summary>{summary}</summary><a href=\"{url}\">{fallback}</a></details>",
        url = escape(url),
        name = escape(name),
    )
}

// ---- Overview ----

async fn overview(State(app): State<AppState>) -> Response {
    let data = match dashboard::overview_data(&app).await {
        Ok(d) => d,
        Err(error) => return error_page(&app, "/_emu/", "Overview", &error),
    };
    let c = &data["counts"];
    let counts: String = [
        ("users", "Users"),
        ("sessions", "SSO sessions"),
        ("live_tokens", "Live tokens"),
        ("buckets", "Buckets"),
        ("objects", "Objects"),
        ("drive_items", "Drive items"),
        ("journal_entries", "Journal entries"),
    ]
    .iter()
    .map(|(k, label)| {
        format!(
            "<div class=\"emu-count\"><span class=\"emu-num\" id=\"count-{k}\">{}</span><span>{label}</span></div>",
            e(&c[*k])
        )
    })
    .collect();
    let realms: String = data["services"]["oidc"]["realms"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let r = e(r);
            format!(
                "<li><code>{r}</code>: <a href=\"/realms/{r}/.well-known/openid-configuration\">discovery</a> · <a href=\"/_emu/identity?realm={r}\">identity</a></li>"
            )
        })
        .collect();
    let url = e(&data["public_url"]);
    let uptime = data["uptime_s"].as_u64().unwrap_or(0);
    let storage = if data["ephemeral"].as_bool() == Some(true) {
        format!(
            "ephemeral (<code>{}</code>, removed on exit)",
            e(&data["data_dir"])
        )
    } else {
        format!("<code>{}</code>", e(&data["data_dir"]))
    };
    let env = |which: &str| {
        format!(
            "<section aria-labelledby=\"env-{which}-title\"><h2 id=\"env-{which}-title\">env {which}</h2>
<button type=\"button\" class=\"emu-btn\" data-copy=\"env-{which}\" disabled>Copy</button>
<pre id=\"env-{which}\" class=\"emu-pre\" tabindex=\"0\">{}</pre></section>",
            e(&data["env"][which])
        )
    };
    let body = format!(
        "<div class=\"card-pf\"><dl class=\"emu-facts\">
<dt>Public URL</dt><dd><code>{url}</code></dd>
<dt>Version</dt><dd>{version}</dd>
<dt>State</dt><dd>{storage}</dd>
<dt>Uptime</dt><dd>{h} h {m} min {s} s</dd>
<dt>Admin key</dt><dd>{key}</dd></dl></div>
<h2>Counts</h2><div class=\"emu-counts\">{counts}</div>
<h2>Services</h2><div class=\"card-pf\"><table><thead><tr><th scope=\"col\">service</th><th scope=\"col\">URL</th></tr></thead><tbody>
<tr><td>OIDC (Keycloak)</td><td><code>{url}/realms/{{realm}}</code></td></tr>
<tr><td>S3</td><td><code>{url}</code> (path-style)</td></tr>
<tr><td>Drive external API</td><td><code>{url}/external_api/v1.0/</code></td></tr>
<tr><td>Control plane</td><td><code>{url}/_emu/</code> · <a href=\"/_emu/health\">health</a></td></tr>
</tbody></table>
<h3>Realms</h3><ul class=\"emu-links\">{realms}</ul></div>
<div class=\"emu-two\">{docs}{drive}</div>",
        version = e(&data["version"]),
        h = uptime / 3600,
        m = uptime / 60 % 60,
        s = uptime % 60,
        key = if data["admin_key_required"].as_bool() == Some(true) {
            "required (listening beyond loopback)"
        } else {
            "not needed (loopback)"
        },
        docs = env("docs"),
        drive = env("drive"),
    );
    page(&app, "/_emu/", "Overview", &body)
}

// ---- Identity ----

#[derive(Debug, Default, Deserialize)]
struct IdentityQuery {
    realm: Option<String>,
    user: Option<String>,
    client: Option<String>,
    before: Option<String>,
    /// The users' page: after this username, matching this search.
    users_after: Option<String>,
    users_q: Option<String>,
}

/// Users and tokens a page of the identity page shows (Keycloak's admin console shows 10 to
/// 100 a page): each row carries forms and controls, and a page of 100 users and 50 tokens
/// took 60-80 ms more to paint first than an empty one; 20 of each keep it near the empty
/// page. The JSON endpoints still give up to 1,000 a page.
const IDENTITY_ROWS: usize = 20;

async fn identity(State(app): State<AppState>, q: Result<Query<IdentityQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let realm = q.realm.clone().unwrap_or_else(|| "lasuite".into());
    let result = async {
        let data = dashboard::realm_data(&app, &realm).await?;
        let users = dashboard::users_data(
            &app,
            &realm,
            dashboard::UsersQuery {
                after: q.users_after.clone().unwrap_or_default(),
                q: q.users_q.clone().unwrap_or_default(),
                limit: Some(IDENTITY_ROWS),
            },
        )
        .await?;
        let sessions = dashboard::sessions_data(&app, &realm).await?;
        let tokens = dashboard::tokens_data(
            &app,
            &realm,
            TokenQuery {
                user: q.user.clone().filter(|u| !u.is_empty()),
                client: q.client.clone().filter(|c| !c.is_empty()),
                before: q.before.clone(),
                limit: Some(IDENTITY_ROWS),
            },
        )
        .await?;
        Ok::<_, OAuthError>((data, users, sessions, tokens))
    }
    .await;
    let (data, users_page, sessions, tokens) = match result {
        Ok(r) => r,
        Err(error) => return error_page(&app, "/_emu/identity", "Identity", &error),
    };
    let r = e(&data["realm"]);
    let realm_links: String = app
        .directory()
        .realm_names()
        .iter()
        .map(|name| {
            let here = if *name == realm {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"/_emu/identity?realm={}\"{here}>{}</a>",
                enc(name),
                escape(name)
            )
        })
        .collect();
    let aliases: Vec<String> = data["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| format!("<code>{}</code>", e(a)))
        .collect();
    let empty = Vec::new();
    let clients_list = data["clients"].as_array().unwrap_or(&empty);
    // One page of users (the selects below list the same page: search to reach others).
    let users_list = users_page["users"].as_array().unwrap_or(&empty);
    let users_q = q.users_q.clone().unwrap_or_default();
    let users_next = users_page["next"].as_str().map_or(String::new(), |n| {
        format!(
            "<a class=\"emu-next\" href=\"/_emu/identity?realm={r}&amp;users_q={}&amp;users_after={}#users-title\">Next users →</a>",
            enc(&users_q),
            enc(n)
        )
    });
    let clients: String = clients_list
        .iter()
        .map(|c| {
            let id = s(&c["client_id"]);
            let secret = if c["public"].as_bool() == Some(true) {
                "<span class=\"emu-muted\">public</span>".to_owned()
            } else {
                format!(
                    "<code class=\"emu-secret\" id=\"secret-{ide}\">••••••••</code> {}",
                    action(
                        "Reveal",
                        "GET",
                        &format!("/_emu/api/realms/{r}/clients/{}/secret", enc(&id)),
                        &format!("data-reveal=\"secret-{}\"", escape(&id))
                    ),
                    ide = escape(&id)
                )
            };
            let list = |v: &Value| {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|u| format!("<code>{}</code>", e(u)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let redirects = list(&c["redirect_uris"]);
            format!(
                "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td>{secret}</td></tr>",
                escape(&id),
                if redirects.is_empty() {
                    "<span class=\"emu-muted\">any on this machine</span>".to_owned()
                } else {
                    redirects
                },
                list(&c["grants"]),
            )
        })
        .collect();
    let users: String = users_list
        .iter()
        .map(|u| {
            let name = s(&u["username"]);
            let base = format!("/_emu/realms/{r}/users/{}", enc(&name));
            let patch = format!("/_emu/api/realms/{r}/users/{}", enc(&name));
            let enabled = u["enabled"].as_bool() == Some(true);
            let toggle = if enabled {
                action("Disable", "PATCH", &patch, "data-body='{\"enabled\":false}'")
            } else {
                action("Enable", "PATCH", &patch, "data-body='{\"enabled\":true}'")
            };
            format!(
                "<tr><th scope=\"row\">{n}</th><td>{}</td><td><code>{}</code></td><td>{}</td>
<td>{}</td><td class=\"emu-actions\">{toggle} {}</td></tr>",
                e(&u["email"]),
                e(&u["sub"]),
                if enabled {
                    "enabled"
                } else {
                    "<strong>disabled</strong>"
                },
                on_demand("claims", "claims", &patch, &name, "the user as JSON"),
                action(
                    "Delete",
                    "DELETE",
                    &base,
                    &format!("data-confirm=\"Delete {}?\"", escape(&name))
                ),
                n = escape(&name),
            )
        })
        .collect();
    let options = |list: &[Value], field: &str, selected: Option<&str>| -> String {
        list.iter()
            .map(|v| {
                let id = s(&v[field]);
                let sel = if selected == Some(id.as_str()) {
                    " selected"
                } else {
                    ""
                };
                format!("<option value=\"{0}\"{sel}>{0}</option>", escape(&id))
            })
            .collect()
    };
    let session_rows: String = sessions["sessions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let clients: Vec<String> = row["clients"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| format!("<code>{}</code>", e(c)))
                .collect();
            format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&row["username"]),
                clients.join(" "),
                time(&row["created_at"]),
                action(
                    "End",
                    "DELETE",
                    &format!("/_emu/api/realms/{r}/sessions/{}", enc(&s(&row["id"]))),
                    ""
                )
            )
        })
        .collect();
    let token_rows: String = tokens["tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let id = s(&t["id"]);
            format!(
                "<tr><th scope=\"row\">{}</th><td><code>{}</code></td><td>{}</td><td>{}</td>
<td><span data-countdown=\"{}\" data-now=\"{}\">{} s</span></td>
<td>{}</td>
<td>{}</td></tr>",
                t["username"].as_str().map_or(
                    "<span class=\"emu-muted\">service account</span>".to_owned(),
                    escape
                ),
                e(&t["client_id"]),
                e(&t["scope"]),
                time(&t["issued_at"]),
                e(&t["expires_at"]),
                e(&tokens["now"]),
                e(&t["expires_in"]),
                on_demand(
                    "token",
                    "decoded",
                    &format!("/_emu/api/realms/{r}/tokens/{}", enc(&id)),
                    &id,
                    "the token decoded, as JSON"
                ),
                action(
                    "Revoke",
                    "POST",
                    &format!("/_emu/api/realms/{r}/tokens/{}/revoke", enc(&id)),
                    "data-revoke"
                )
            )
        })
        .collect();
    let next = tokens["next"].as_str().map_or(String::new(), |n| {
        format!(
            "<a class=\"emu-next\" href=\"/_emu/identity?realm={r}&amp;user={}&amp;client={}&amp;before={}\">Older tokens →</a>",
            enc(q.user.as_deref().unwrap_or("")),
            enc(q.client.as_deref().unwrap_or("")),
            enc(n)
        )
    });
    let body = format!(
        "<nav class=\"emu-tabs\" aria-label=\"Realms\">{realm_links}</nav>
<p>Realm <code>{r}</code>, issuer <code>{issuer}</code>{aliases}. Access tokens live {ttl} s.</p>
<section aria-labelledby=\"mint-title\" class=\"card-pf\"><h2 id=\"mint-title\">Mint a token</h2>
<form id=\"emu-mint\" data-realm=\"{r}\" class=\"emu-inline\">
<div><label for=\"mint-user\">User</label><select id=\"mint-user\" name=\"username\" class=\"pf-c-form-control\">{user_opts}</select></div>
<div><label for=\"mint-client\">Client</label><select id=\"mint-client\" name=\"client_id\" class=\"pf-c-form-control\">{client_opts}</select></div>
<button class=\"emu-btn emu-primary\" type=\"submit\" disabled>Mint and copy</button></form>
<pre id=\"mint-out\" class=\"emu-pre\" aria-live=\"polite\" hidden></pre></section>
<section aria-labelledby=\"clients-title\"><h2 id=\"clients-title\">Clients</h2><div class=\"card-pf emu-scroll\"><table>
<thead><tr><th scope=\"col\">client</th><th scope=\"col\">redirect URIs</th><th scope=\"col\">grants</th><th scope=\"col\">secret</th></tr></thead><tbody>{clients}</tbody></table></div></section>
<section aria-labelledby=\"users-title\"><h2 id=\"users-title\">Users</h2>
<form method=\"get\" action=\"/_emu/identity#users-title\" class=\"emu-inline\" role=\"search\"><input type=\"hidden\" name=\"realm\" value=\"{r}\">
<div><label for=\"users-q\">Username or email contains</label><input id=\"users-q\" name=\"users_q\" value=\"{users_q_value}\" class=\"pf-c-form-control\"></div>
<button class=\"emu-btn\" type=\"submit\">Search users</button></form>
<div class=\"card-pf emu-scroll\"><table>
<thead><tr><th scope=\"col\">username</th><th scope=\"col\">email</th><th scope=\"col\">sub</th><th scope=\"col\">state</th><th scope=\"col\">claims</th><th scope=\"col\">actions</th></tr></thead><tbody>{users}</tbody></table>{users_next}
<form data-api=\"POST /_emu/realms/{r}/users\" class=\"emu-inline\" aria-label=\"Create a user\">
<div><label for=\"new-username\">Username</label><input id=\"new-username\" name=\"username\" class=\"pf-c-form-control\" required></div>
<div><label for=\"new-password\">Password</label><input id=\"new-password\" name=\"password\" type=\"password\" class=\"pf-c-form-control\" autocomplete=\"new-password\" required></div>
<div><label for=\"new-email\">Email</label><input id=\"new-email\" name=\"email\" type=\"email\" class=\"pf-c-form-control\" required></div>
<button class=\"emu-btn emu-primary\" type=\"submit\" disabled>Create user</button></form></div></section>
<section aria-labelledby=\"sessions-title\"><h2 id=\"sessions-title\">SSO sessions</h2><div class=\"card-pf emu-scroll\"><table>
<thead><tr><th scope=\"col\">user</th><th scope=\"col\">clients</th><th scope=\"col\">since</th><th scope=\"col\">action</th></tr></thead><tbody>{session_rows}</tbody></table></div></section>
<section aria-labelledby=\"tokens-title\"><h2 id=\"tokens-title\">Live access tokens</h2>
<form method=\"get\" action=\"/_emu/identity\" class=\"emu-inline\"><input type=\"hidden\" name=\"realm\" value=\"{r}\">
<div><label for=\"tok-user\">User</label><select id=\"tok-user\" name=\"user\" class=\"pf-c-form-control\"><option value=\"\">any</option>{user_filter}</select></div>
<div><label for=\"tok-client\">Client</label><select id=\"tok-client\" name=\"client\" class=\"pf-c-form-control\"><option value=\"\">any</option>{client_filter}</select></div>
<button class=\"emu-btn\" type=\"submit\">Filter</button></form>
<div class=\"card-pf emu-scroll\"><table id=\"emu-tokens\">
<thead><tr><th scope=\"col\">user</th><th scope=\"col\">client</th><th scope=\"col\">scope</th><th scope=\"col\">issued</th><th scope=\"col\">expires in</th><th scope=\"col\">token</th><th scope=\"col\">action</th></tr></thead><tbody>{token_rows}</tbody></table>{next}</div></section>",
        issuer = e(&data["issuer"]),
        aliases = if aliases.is_empty() {
            String::new()
        } else {
            format!(", also reached as {}", aliases.join(", "))
        },
        ttl = e(&data["access_token_ttl"]),
        users_q_value = escape(&users_q),
        user_opts = options(users_list, "username", None),
        client_opts = options(clients_list, "client_id", Some("docs")),
        user_filter = options(users_list, "username", q.user.as_deref()),
        client_filter = options(clients_list, "client_id", q.client.as_deref()),
    );
    page(&app, "/_emu/identity", "Identity", &body)
}

// ---- S3 ----

#[derive(Debug, Default, Deserialize)]
struct S3Query {
    bucket: Option<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    after: String,
}

async fn s3(State(app): State<AppState>, q: Result<Query<S3Query>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let buckets = match dashboard::buckets_data(&app).await {
        Ok(b) => b,
        Err(error) => return error_page(&app, "/_emu/s3", "S3", &error),
    };
    let rows: String = buckets["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            let name = s(&b["name"]);
            let cors = match b["cors"].as_array() {
                Some(rules) => format!(
                    "<details><summary>{} rule(s)</summary><pre class=\"emu-pre\">{}</pre></details>",
                    rules.len(),
                    pretty(&b["cors"])
                ),
                None => "<span class=\"emu-muted\">none (origins on this machine)</span>".into(),
            };
            let here = if q.bucket.as_deref() == Some(name.as_str()) {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<tr><th scope=\"row\"><a href=\"/_emu/s3?bucket={}\"{here}>{}</a></th><td>{}</td><td>{cors}</td><td>{}</td><td>{}</td></tr>",
                enc(&name),
                escape(&name),
                e(&b["versioning"]),
                e(&b["objects"]),
                size(&b["bytes"]),
            )
        })
        .collect();
    let mut body = format!(
        "<section aria-labelledby=\"buckets-title\"><h2 id=\"buckets-title\">Buckets</h2><div class=\"card-pf emu-scroll\"><table>
<thead><tr><th scope=\"col\">bucket</th><th scope=\"col\">versioning</th><th scope=\"col\">CORS</th><th scope=\"col\">objects</th><th scope=\"col\">size</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    );
    if let Some(bucket) = q.bucket.as_deref() {
        let listing = dashboard::objects_data(
            &app,
            bucket,
            ObjectsQuery {
                prefix: q.prefix.clone(),
                after: q.after.clone(),
                limit: None,
            },
        )
        .await;
        match listing {
            Ok(listing) => body.push_str(&objects_section(bucket, &q.prefix, &listing)),
            Err(error) => return error_page(&app, "/_emu/s3", "S3", &error),
        }
    }
    page(&app, "/_emu/s3", "S3", &body)
}

fn objects_section(bucket: &str, prefix: &str, listing: &Value) -> String {
    let b = enc(bucket);
    let mut crumbs = format!("<a href=\"/_emu/s3?bucket={b}\">{}</a>", escape(bucket));
    let mut so_far = String::new();
    for part in prefix.split_terminator('/') {
        so_far.push_str(part);
        so_far.push('/');
        crumbs.push_str(&format!(
            " / <a href=\"/_emu/s3?bucket={b}&amp;prefix={}\">{}</a>",
            enc(&so_far),
            escape(part)
        ));
    }
    let folders: String = listing["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let f = s(f);
            format!(
                "<tr><th scope=\"row\"><a href=\"/_emu/s3?bucket={b}&amp;prefix={}\">📁 {}</a></th><td></td><td>folder</td><td></td><td></td></tr>",
                enc(&f),
                escape(&f[prefix.len()..])
            )
        })
        .collect();
    let objects: String = listing["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let key = s(&o["key"]);
            let k = enc(&key);
            format!(
                "<tr><th scope=\"row\"><a href=\"/_emu/s3/object?bucket={b}&amp;key={k}\">{}</a></th><td>{}</td><td>{}</td><td>{}</td>
<td class=\"emu-actions\"><a class=\"emu-btn\" href=\"/_emu/api/s3/buckets/{b}/object/body?key={k}\" download>Download</a> {}</td></tr>",
                escape(&key[prefix.len()..]),
                size(&o["size"]),
                e(&o["content_type"]),
                time(&Value::from(o["last_modified_ms"].as_i64().unwrap_or(0) / 1000)),
                action(
                    "Delete",
                    "DELETE",
                    &format!("/_emu/api/s3/buckets/{b}/object?key={k}"),
                    &format!("data-confirm=\"Delete {}?\"", escape(&key))
                ),
            )
        })
        .collect();
    let next = listing["next"].as_str().map_or(String::new(), |n| {
        format!(
            "<a class=\"emu-next\" href=\"/_emu/s3?bucket={b}&amp;prefix={}&amp;after={}\">Next page →</a>",
            enc(prefix),
            enc(n)
        )
    });
    let empty = if folders.is_empty() && objects.is_empty() {
        "<p class=\"emu-muted\">Nothing here.</p>"
    } else {
        ""
    };
    format!(
        "<section aria-labelledby=\"objects-title\"><h2 id=\"objects-title\">Objects</h2>
<nav class=\"emu-crumbs\" aria-label=\"Prefix\">{crumbs}</nav>
<div class=\"card-pf emu-scroll\"><table id=\"emu-objects\"><thead><tr><th scope=\"col\">key</th><th scope=\"col\">size</th><th scope=\"col\">type</th><th scope=\"col\">modified</th><th scope=\"col\">actions</th></tr></thead>
<tbody>{folders}{objects}</tbody></table>{empty}{next}
<form data-upload=\"/_emu/api/s3/buckets/{b}/object\" data-prefix=\"{p}\" class=\"emu-inline\" aria-label=\"Upload an object\">
<div><label for=\"up-file\">Upload into <code>{p}</code></label><input id=\"up-file\" name=\"file\" type=\"file\" class=\"pf-c-form-control\" required></div>
<button class=\"emu-btn emu-primary\" type=\"submit\" disabled>Upload</button></form></div></section>",
        p = escape(prefix),
    )
}

#[derive(Debug, Deserialize)]
struct S3ObjectQuery {
    bucket: String,
    key: String,
}

async fn s3_object(State(app): State<AppState>, q: Result<Query<S3ObjectQuery>, QueryRejection>) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(rejection) => {
            return error_page(
                &app,
                "/_emu/s3",
                "S3 object",
                &OAuthError::invalid_request(rejection.body_text()),
            );
        }
    };
    let data = match dashboard::object_data(&app, &q.bucket, &q.key).await {
        Ok(d) => d,
        Err(error) => return error_page(&app, "/_emu/s3", "S3 object", &error),
    };
    let (b, k) = (enc(&q.bucket), enc(&q.key));
    let versions: String = data["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let vid = enc(&s(&v["version_id"]));
            let marker = v["delete_marker"].as_bool() == Some(true);
            format!(
                "<tr{}><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>
<td><details><summary>metadata</summary><pre class=\"emu-pre\">{}</pre></details></td><td class=\"emu-actions\">{} {}</td></tr>",
                if marker { " class=\"emu-marker\"" } else { "" },
                e(&v["version_id"]),
                if v["is_latest"].as_bool() == Some(true) { "latest" } else { "" },
                if marker { "<strong>delete marker</strong>".to_owned() } else { size(&v["size"]) },
                e(&v["content_type"]),
                e(&v["etag"]),
                time(&Value::from(v["last_modified_ms"].as_i64().unwrap_or(0) / 1000)),
                pretty(&serde_json::json!({
                    "metadata": v["metadata"], "checksums": v["checksums"],
                    "content_disposition": v["content_disposition"], "content_encoding": v["content_encoding"],
                    "cache_control": v["cache_control"], "parts_count": v["parts_count"],
                })),
                if marker {
                    String::new()
                } else {
                    format!(
                        "<a class=\"emu-btn\" href=\"/_emu/api/s3/buckets/{b}/object/body?key={k}&amp;version_id={vid}\" download>Download</a>"
                    )
                },
                action(
                    "Delete version",
                    "DELETE",
                    &format!("/_emu/api/s3/buckets/{b}/object?key={k}&version_id={vid}"),
                    "data-confirm=\"Delete this version for good?\""
                ),
            )
        })
        .collect();
    let parent = q.key.rfind('/').map_or("", |i| &q.key[..=i]);
    let body = format!(
        "<p><a href=\"/_emu/s3?bucket={b}&amp;prefix={}\">← {}/{}</a></p>
<h2>Versions of <code>{}</code></h2><div class=\"card-pf emu-scroll\"><table><thead><tr><th scope=\"col\">version</th><th scope=\"col\"></th><th scope=\"col\">size</th><th scope=\"col\">type</th><th scope=\"col\">ETag</th><th scope=\"col\">modified</th><th scope=\"col\">details</th><th scope=\"col\">actions</th></tr></thead><tbody>{versions}</tbody></table></div>",
        enc(parent),
        escape(&q.bucket),
        escape(parent),
        escape(&q.key),
    );
    page(&app, "/_emu/s3", "S3 object", &body)
}

// ---- Drive ----

#[derive(Debug, Default, Deserialize)]
struct DriveQuery {
    user: Option<String>,
    parent: Option<String>,
    #[serde(default)]
    trash: bool,
    item: Option<String>,
    after: Option<String>,
    /// The page of the users' tabs: after this user id.
    users_after: Option<String>,
}

async fn drive(State(app): State<AppState>, q: Result<Query<DriveQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let page_of_users = dashboard::DriveUsersQuery {
        after: q.users_after.clone(),
        limit: None,
    };
    let users = match dashboard::drive_users_data(&app, page_of_users).await {
        Ok(u) => u,
        Err(error) => return error_page(&app, "/_emu/drive", "Drive", &error),
    };
    let user_links: String = users["users"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            let id = s(&u["id"]);
            let here = if q.user.as_deref() == Some(id.as_str()) {
                " aria-current=\"true\""
            } else {
                ""
            };
            let label = u["email"].as_str().or(u["sub"].as_str()).unwrap_or("");
            format!(
                "<a href=\"/_emu/drive?user={}\"{here}>{}</a>",
                enc(&id),
                escape(label)
            )
        })
        .collect();
    let mut body = if user_links.is_empty() {
        "<p class=\"emu-muted\">No Drive user yet: a user appears here after its first call to the Drive API.</p>".to_owned()
    } else {
        let more = users["next"].as_str().map_or(String::new(), |n| {
            format!(
                "<a class=\"emu-next\" href=\"/_emu/drive?users_after={}\">More users →</a>",
                enc(n)
            )
        });
        format!("<nav class=\"emu-tabs\" aria-label=\"Drive users\">{user_links}{more}</nav>")
    };
    if let Some(user) = q.user.as_deref() {
        let items = dashboard::drive_items_data(
            &app,
            user,
            ItemsQuery {
                parent: q.parent.clone(),
                trash: q.trash,
                after: q.after.clone(),
                limit: None,
            },
        )
        .await;
        let items = match items {
            Ok(i) => i,
            Err(error) => return error_page(&app, "/_emu/drive", "Drive", &error),
        };
        let u = enc(user);
        let rows: String = items["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let id = enc(&s(&i["id"]));
                let title = if i["type"] == "folder" {
                    format!("<a href=\"/_emu/drive?user={u}&amp;parent={id}\">📁 {}</a>", e(&i["title"]))
                } else {
                    e(&i["title"])
                };
                let open = i["media_url"].as_str().map_or(String::new(), |m| {
                    format!("<a class=\"emu-btn\" href=\"{}\" target=\"_blank\" rel=\"noopener\">Open</a>", escape(m))
                });
                format!(
                    "<tr><th scope=\"row\">{title}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"emu-actions\"><a class=\"emu-btn\" href=\"/_emu/drive?user={u}&amp;item={id}\">Sharing</a> {open}</td></tr>",
                    e(&i["type"]),
                    e(&i["upload_state"]),
                    size(&i["size"]),
                    e(&i["mimetype"]),
                    e(&i["link_reach"]),
                )
            })
            .collect();
        let heading = if q.trash {
            "Trash".to_owned()
        } else if let Some(parent) = items["parent"].as_object() {
            format!(
                "<a href=\"/_emu/drive?user={u}\">Top</a> / {}",
                escape(parent.get("title").and_then(Value::as_str).unwrap_or(""))
            )
        } else {
            "Top items".to_owned()
        };
        let next = items["next"].as_str().map_or(String::new(), |n| {
            format!(
                "<a class=\"emu-next\" href=\"/_emu/drive?user={u}&amp;parent={}&amp;trash={}&amp;after={}\">Next page →</a>",
                enc(q.parent.as_deref().unwrap_or("")),
                q.trash,
                enc(n)
            )
        });
        body.push_str(&format!(
            "<p><a href=\"/_emu/drive?user={u}\">Tree</a> · <a href=\"/_emu/drive?user={u}&amp;trash=true\">Trash</a></p>
<section aria-labelledby=\"items-title\"><h2 id=\"items-title\">{heading}</h2><div class=\"card-pf emu-scroll\"><table id=\"emu-items\">
<thead><tr><th scope=\"col\">title</th><th scope=\"col\">type</th><th scope=\"col\">upload</th><th scope=\"col\">size</th><th scope=\"col\">MIME type</th><th scope=\"col\">link</th><th scope=\"col\">actions</th></tr></thead>
<tbody>{rows}</tbody></table>{next}</div></section>"
        ));
        if let Some(item) = q.item.as_deref() {
            match dashboard::drive_item_data(&app, item).await {
                Ok(item) => {
                    let rows = |list: &Value, who: &str| -> String {
                        list.as_array()
                            .into_iter()
                            .flatten()
                            .map(|a| format!("<tr><td>{}</td><td>{}</td></tr>", e(&a[who]), e(&a["role"])))
                            .collect()
                    };
                    body.push_str(&format!(
                        "<section aria-labelledby=\"sharing-title\"><h2 id=\"sharing-title\">Sharing of {}</h2><div class=\"emu-two\">
<div class=\"card-pf\"><h3>Accesses</h3><table><thead><tr><th scope=\"col\">user or team</th><th scope=\"col\">role</th></tr></thead><tbody>{}</tbody></table></div>
<div class=\"card-pf\"><h3>Invitations</h3><table><thead><tr><th scope=\"col\">email</th><th scope=\"col\">role</th></tr></thead><tbody>{}</tbody></table></div></div></section>",
                        e(&item["title"]),
                        rows(&item["accesses"], "user"),
                        rows(&item["invitations"], "email"),
                    ));
                }
                Err(error) => return error_page(&app, "/_emu/drive", "Drive", &error),
            }
        }
    }
    page(&app, "/_emu/drive", "Drive", &body)
}

// ---- Journal ----

#[derive(Debug, Default, Deserialize)]
struct RequestsQuery {
    service: Option<String>,
    status: Option<String>,
    user: Option<String>,
    entry: Option<u64>,
}

pub fn journal_row(entry: &Value) -> String {
    let status = entry["status"].as_u64().unwrap_or(0);
    let class = match status {
        500.. => "emu-s5",
        400.. => "emu-s4",
        300.. => "emu-s3",
        _ => "emu-s2",
    };
    let reason = entry["reason"].as_str().map_or(String::new(), |r| {
        format!("<span class=\"emu-refusal\">{}</span>", escape(r))
    });
    format!(
        "<tr data-id=\"{id}\"><td><a href=\"/_emu/requests?entry={id}\" data-entry=\"{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"emu-path\">{}</td><td class=\"{class}\">{status}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{reason}</td></tr>",
        time(&entry["at"]),
        e(&entry["service"]),
        e(&entry["method"]),
        e(&entry["path"]),
        entry["duration_ms"].as_f64().unwrap_or(0.0),
        e(&entry["user"]),
        e(&entry["client"]),
        id = e(&entry["id"]),
    )
}

async fn requests(State(app): State<AppState>, q: Result<Query<RequestsQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = super::journal::Filter {
        service: nonempty(&q.service),
        status: nonempty(&q.status),
        user: nonempty(&q.user),
        limit: Some(dashboard::PAGE),
        ..Default::default()
    };
    let entries = app.journal.entries(&filter);
    let last_id = entries.last().map_or(0, |e| e.id);
    let rows: String = entries
        .iter()
        .rev()
        .map(|entry| journal_row(&serde_json::to_value(entry).unwrap_or_default()))
        .collect();
    let select = |name: &str, label: &str, options: &[&str], current: Option<&str>| {
        let opts: String = options
            .iter()
            .map(|o| {
                let sel = if current == Some(*o) { " selected" } else { "" };
                format!(
                    "<option value=\"{o}\"{sel}>{}</option>",
                    if o.is_empty() { "any" } else { o }
                )
            })
            .collect();
        format!(
            "<div><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\" class=\"pf-c-form-control\">{opts}</select></div>"
        )
    };
    let detail = q.entry.and_then(|id| app.journal.get(id)).map_or(String::new(), |entry| {
        let headers = |list: &[(String, String)]| -> String {
            list.iter()
                .map(|(k, v)| format!("<tr><th scope=\"row\">{}</th><td>{}</td></tr>", escape(k), escape(v)))
                .collect()
        };
        format!(
            "<section class=\"card-pf\" id=\"emu-entry\" aria-labelledby=\"entry-title\"><h2 id=\"entry-title\">Request {} · {} {}</h2>{}
<div class=\"emu-two\"><div><h3>Request headers</h3><table>{}</table></div><div><h3>Response headers ({})</h3><table>{}</table></div></div></section>",
            entry.id,
            escape(&entry.method),
            escape(&entry.path),
            entry
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!("<p class=\"emu-refusal\">{}</p>", escape(r))),
            headers(&entry.request_headers),
            entry.status,
            headers(&entry.response_headers),
        )
    });
    let body = format!(
        "<form method=\"get\" action=\"/_emu/requests\" class=\"emu-inline\" id=\"emu-journal-filter\">{}{}
<div><label for=\"f-user\">User</label><input id=\"f-user\" name=\"user\" class=\"pf-c-form-control\" value=\"{}\"></div>
<button class=\"emu-btn\" type=\"submit\">Filter</button>
<span class=\"emu-live\" id=\"emu-live\" aria-live=\"polite\"></span></form>
{detail}
<div class=\"card-pf emu-scroll\"><table id=\"emu-journal\" data-since=\"{last_id}\">
<thead><tr><th scope=\"col\">#</th><th scope=\"col\">at</th><th scope=\"col\">service</th><th scope=\"col\">method</th><th scope=\"col\">path</th><th scope=\"col\">status</th><th scope=\"col\">ms</th><th scope=\"col\">user</th><th scope=\"col\">client</th><th scope=\"col\">reason</th></tr></thead>
<tbody>{rows}</tbody></table></div>",
        select(
            "service",
            "Service",
            &["", "oidc", "s3", "drive", "admin", "web"],
            q.service.as_deref()
        ),
        select("status", "Status", &["", "2xx", "3xx", "4xx", "5xx"], q.status.as_deref()),
        escape(q.user.as_deref().unwrap_or("")),
    );
    page(&app, "/_emu/requests", "Journal", &body)
}

// ---- Faults and clock ----

async fn control(State(app): State<AppState>) -> Response {
    let faults: String = app
        .faults
        .list()
        .iter()
        .map(|f| {
            let o = |v: &Option<String>| v.as_deref().map_or("any".to_owned(), escape);
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.id,
                o(&f.service),
                o(&f.method),
                f.path.as_deref().map_or("any".to_owned(), escape),
                f.status.map_or(String::new(), |s| s.to_string()),
                f.error.as_deref().map_or(String::new(), escape),
                f.delay_ms.map_or(String::new(), |d| format!("{d} ms")),
                f.remaining,
                action("Clear", "DELETE", &format!("/_emu/faults/{}", f.id), ""),
            )
        })
        .collect();
    let now = app.clock.now();
    let body = format!(
        "<section aria-labelledby=\"faults-title\"><h2 id=\"faults-title\">Faults</h2><div class=\"card-pf emu-scroll\"><table id=\"emu-faults\">
<thead><tr><th scope=\"col\">#</th><th scope=\"col\">service</th><th scope=\"col\">method</th><th scope=\"col\">path</th><th scope=\"col\">status</th><th scope=\"col\">error</th><th scope=\"col\">delay</th><th scope=\"col\">remaining</th><th scope=\"col\"></th></tr></thead><tbody>{faults}</tbody></table>
<form data-api=\"POST /_emu/faults\" class=\"emu-inline\" aria-label=\"Inject a fault\">
<div><label for=\"fault-service\">Service</label><select id=\"fault-service\" name=\"service\" class=\"pf-c-form-control\"><option value=\"\">any</option><option>oidc</option><option>s3</option><option>drive</option><option>web</option></select></div>
<div><label for=\"fault-method\">Method</label><input id=\"fault-method\" name=\"method\" class=\"pf-c-form-control\" placeholder=\"any\"></div>
<div><label for=\"fault-path\">Path prefix</label><input id=\"fault-path\" name=\"path\" class=\"pf-c-form-control\" placeholder=\"/realms/lasuite/protocol/openid-connect/token\"></div>
<div><label for=\"fault-status\">Status</label><input id=\"fault-status\" name=\"status\" type=\"number\" min=\"100\" max=\"599\" data-type=\"number\" class=\"pf-c-form-control\"></div>
<div><label for=\"fault-error\">Error</label><input id=\"fault-error\" name=\"error\" class=\"pf-c-form-control\" placeholder=\"invalid_grant, SlowDown\"></div>
<div><label for=\"fault-delay\">Delay (ms)</label><input id=\"fault-delay\" name=\"delay_ms\" type=\"number\" min=\"0\" data-type=\"number\" class=\"pf-c-form-control\"></div>
<div><label for=\"fault-count\">Count</label><input id=\"fault-count\" name=\"count\" type=\"number\" min=\"1\" value=\"1\" data-type=\"number\" class=\"pf-c-form-control\"></div>
<button class=\"emu-btn emu-primary\" type=\"submit\" disabled>Inject</button></form>
<p>{}</p></div></section>
<section aria-labelledby=\"clock-title\"><h2 id=\"clock-title\">Clock</h2><div class=\"card-pf\">
<p>The emulator's time: {} (<span id=\"emu-now\">{now}</span>).</p>
<form data-api=\"POST /_emu/clock\" class=\"emu-inline\" aria-label=\"Advance the clock\"><div><label for=\"clock-advance\">Advance by (s)</label><input id=\"clock-advance\" name=\"advance\" type=\"number\" data-type=\"number\" class=\"pf-c-form-control\" required></div><button class=\"emu-btn\" type=\"submit\" disabled>Advance</button></form>
<form data-api=\"POST /_emu/clock\" class=\"emu-inline\" aria-label=\"Freeze the clock\"><div><label for=\"clock-freeze\">Freeze at (Unix s)</label><input id=\"clock-freeze\" name=\"freeze_at\" type=\"number\" data-type=\"number\" class=\"pf-c-form-control\" value=\"{now}\" required></div><button class=\"emu-btn\" type=\"submit\" disabled>Freeze</button></form>
<p>{}</p></div></section>
<section aria-labelledby=\"state-title\"><h2 id=\"state-title\">State</h2><div class=\"card-pf emu-actions\">
{} <a class=\"emu-btn\" href=\"/_emu/snapshot\" download>Download a snapshot</a>
<form data-restore=\"/_emu/restore\" class=\"emu-inline\" aria-label=\"Restore a snapshot\"><div><label for=\"restore-file\">Restore a snapshot</label><input id=\"restore-file\" type=\"file\" name=\"file\" class=\"pf-c-form-control\" required></div><button class=\"emu-btn\" type=\"submit\" disabled>Restore</button></form>
</div></section>",
        action("Clear every fault", "DELETE", "/_emu/faults", ""),
        time(&Value::from(now)),
        action("Back to the system time", "POST", "/_emu/clock", "data-body='{\"reset\":true}'"),
        action(
            "Reset to the fixtures",
            "POST",
            "/_emu/reset",
            "data-confirm=\"Reset every service to the fixture state?\""
        ),
    );
    page(&app, "/_emu/control", "Faults and clock", &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_time() {
        assert_eq!(super::chrono_like(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::chrono_like(2_000_000_000), "2033-05-18T03:33:20Z");
    }
}
