//! The authorization endpoint (code flow, PKCE, `prompt`, `login_hint`), the login page with
//! its user picker and password form, and the SSO cookie that lets a second app log in
//! silently.
//!
//! Errors before a redirect URI is known to be valid are shown as a page (Keycloak's "Invalid
//! parameter: redirect_uri"); after that they go back to the client in the redirect, with its
//! `state`, as RFC 6749 §4.1.2.1 requires.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::BrowserError;
use super::form::{OAuthParams, Params};
use super::model::{AuthCode, Client, Realm, User};
use super::{load_realm_for_browser, redirect_uri_allowed, sso_cookie_name, store, tokens};
use crate::app::AppState;
use crate::web;

/// A validated authorization request.
struct AuthRequest {
    client: Client,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    prompt: Option<String>,
    login_hint: Option<String>,
    /// The request's own parameters, carried through the login page in hidden fields.
    params: Params,
}

/// Why an authorization request cannot go on.
pub enum AuthError {
    /// No trustworthy redirect URI: tell the person.
    Page(BrowserError),
    /// Tell the client, through its redirect URI.
    Redirect(Box<Response>),
}

impl From<BrowserError> for AuthError {
    fn from(error: BrowserError) -> Self {
        Self::Page(error)
    }
}

impl From<crate::Error> for AuthError {
    #[track_caller]
    fn from(error: crate::Error) -> Self {
        Self::Page(BrowserError::from(error))
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(error) => error.into_response(),
            Self::Redirect(response) => *response,
        }
    }
}

/// `GET|POST /realms/{realm}/protocol/openid-connect/auth`
pub async fn authorize(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    headers: HeaderMap,
    params: Result<OAuthParams, super::error::OAuthError>,
) -> Result<Response, AuthError> {
    let realm = load_realm_for_browser(&app, &realm_name)?;
    let OAuthParams(params) = params.map_err(BrowserError::from)?;
    let request = validate(&app, &realm, params).await?;

    if request.prompt.as_deref() != Some("login")
        && let Some((session_id, user, auth_time)) = current_session(&app, &realm, &headers).await?
    {
        return Ok(issue_code(&app, &realm, &request, &user, &session_id, auth_time).await?);
    }
    if request.prompt.as_deref() == Some("none") {
        return Err(redirect_error(&app, &realm, &request, "login_required", None));
    }
    Ok(login_page(&app, &realm, &request, None, StatusCode::OK).await?)
}

/// `POST /realms/{realm}/login-actions/authenticate`: the login page's forms.
pub async fn login_action(
    State(app): State<AppState>,
    Path(realm_name): Path<String>,
    params: Result<OAuthParams, super::error::OAuthError>,
) -> Result<Response, AuthError> {
    let realm = load_realm_for_browser(&app, &realm_name)?;
    let OAuthParams(form) = params.map_err(BrowserError::from)?;
    let request = validate(
        &app,
        &realm,
        form.without(&["pick", "username", "password", "login"]),
    )
    .await?;

    let login = form.get("pick").or(form.get("username")).unwrap_or("").to_owned();
    let realm_key = realm.name.clone();
    let found = {
        let login = login.clone();
        app.db
            .read(move |conn| store::find_user_by_login(conn, &realm_key, &login))
            .await?
    };
    let user = match (form.get("pick"), found) {
        (Some(_), Some(user)) if user.enabled => user,
        (None, Some(user)) if user.enabled && form.get("password") == Some(user.password.as_str()) => user,
        (None, Some(user)) if !user.enabled && form.get("password") == Some(user.password.as_str()) => {
            let message = "Account is disabled, contact your administrator.";
            return Ok(login_page(&app, &realm, &request, Some((&login, message)), StatusCode::OK).await?);
        }
        _ => {
            let message = "Invalid username or password.";
            return Ok(login_page(&app, &realm, &request, Some((&login, message)), StatusCode::OK).await?);
        }
    };

    let now = app.clock.now();
    let session_id = tokens::random_id(24);
    {
        let (session_id, realm_key, user_id) = (session_id.clone(), realm.name.clone(), user.id);
        app.db
            .write(move |tx| store::create_session(tx, &session_id, &realm_key, user_id, now))
            .await?;
    }
    let mut response = issue_code(&app, &realm, &request, &user, &session_id, now).await?;
    // SameSite=Lax: sent on the top-level redirects of the code flow, so silent login
    // (`prompt=none`) works for every app on this machine.
    let cookie = format!(
        "{}={session_id}; Path=/; HttpOnly; SameSite=Lax",
        sso_cookie_name(&realm.name)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn validate(app: &AppState, realm: &Realm, params: Params) -> Result<AuthRequest, AuthError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| BrowserError::bad_request("Missing parameter: client_id"))?
        .to_owned();
    let client = app
        .directory()
        .client(&realm.name, &client_id)
        .ok_or_else(|| BrowserError::bad_request("Client not found."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| redirect_uri_allowed(&client.redirect_uris, uri))
        .ok_or_else(|| BrowserError::bad_request("Invalid parameter: redirect_uri"))?
        .to_owned();

    let request = AuthRequest {
        redirect_uri,
        scope: tokens::effective_scope(params.get("scope")),
        state: params.get("state").map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: params.get("code_challenge").map(str::to_owned),
        code_challenge_method: params.get("code_challenge_method").map(str::to_owned),
        prompt: params.get("prompt").map(str::to_owned),
        login_hint: params.get("login_hint").map(str::to_owned),
        client,
        params,
    };
    // From here on, errors go back to the client.
    let fail = |error, description: &str| Err(redirect_error(app, realm, &request, error, Some(description)));
    match request.params.get("response_type") {
        None => return fail("invalid_request", "Missing parameter: response_type"),
        Some("code") => {}
        Some(_) => return fail("unsupported_response_type", "Only the code flow is supported"),
    }
    if request
        .params
        .get("response_mode")
        .is_some_and(|mode| mode != "query")
    {
        return fail(
            "invalid_request",
            "Invalid parameter: response_mode (only query is supported)",
        );
    }
    match (&request.code_challenge, request.code_challenge_method.as_deref()) {
        (None, Some(_)) => return fail("invalid_request", "Missing parameter: code_challenge"),
        (Some(_), Some(method)) if method != "S256" && method != "plain" => {
            return fail("invalid_request", "Invalid parameter: code_challenge_method");
        }
        (Some(challenge), _) if !is_pkce_value(challenge) => {
            return fail("invalid_request", "Invalid parameter: code_challenge");
        }
        _ => {}
    }
    if let Some(prompt) = &request.prompt {
        let values: Vec<&str> = prompt.split_ascii_whitespace().collect();
        let known = values
            .iter()
            .all(|v| matches!(*v, "none" | "login" | "consent" | "select_account"));
        if !known || (values.contains(&"none") && values.len() > 1) {
            return fail("invalid_request", "Invalid parameter: prompt");
        }
    }
    Ok(request)
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The live SSO session named by this realm's cookie, if any.
async fn current_session(
    app: &AppState,
    realm: &Realm,
    headers: &HeaderMap,
) -> crate::Result<Option<(String, User, i64)>> {
    let Some(session_id) = cookie_value(headers, &sso_cookie_name(&realm.name)) else {
        return Ok(None);
    };
    let realm_key = realm.name.clone();
    let id = session_id.clone();
    let found = app
        .db
        .read(move |conn| store::find_session_user(conn, &id, &realm_key))
        .await?;
    Ok(found.map(|(user, auth_time)| (session_id, user, auth_time)))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

async fn issue_code(
    app: &AppState,
    realm: &Realm,
    request: &AuthRequest,
    user: &User,
    session_id: &str,
    auth_time: i64,
) -> crate::Result<Response> {
    let now = app.clock.now();
    let code = AuthCode {
        code: tokens::random_id(32),
        realm_name: realm.requested.clone(),
        client_id: request.client.client_id.clone(),
        user_id: user.id,
        session_id: session_id.to_owned(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        // RFC 7636 §4.3: no method means plain.
        code_challenge_method: request.code_challenge.as_ref().map(|_| {
            request
                .code_challenge_method
                .clone()
                .unwrap_or_else(|| "plain".into())
        }),
        auth_time,
        expires_at: now + realm.code_ttl,
        used: false,
    };
    let value = code.code.clone();
    app.db.write(move |tx| store::insert_code(tx, &code)).await?;
    let mut pairs = vec![("code", value.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    pairs.push(("session_state", session_id));
    let issuer = realm.issuer(&app.public_url);
    pairs.push(("iss", &issuer));
    Ok(web::found(&with_query(&request.redirect_uri, &pairs)))
}

fn redirect_error(
    app: &AppState,
    realm: &Realm,
    request: &AuthRequest,
    error: &str,
    description: Option<&str>,
) -> AuthError {
    let mut pairs = vec![("error", error)];
    if let Some(description) = description {
        pairs.push(("error_description", description));
    }
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    let issuer = realm.issuer(&app.public_url);
    pairs.push(("iss", &issuer));
    AuthError::Redirect(Box::new(web::found(&with_query(&request.redirect_uri, &pairs))))
}

/// Appends query parameters to a URI that may already have some.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

async fn login_page(
    app: &AppState,
    realm: &Realm,
    request: &AuthRequest,
    error: Option<(&str, &str)>,
    status: StatusCode,
) -> crate::Result<Response> {
    let realm_key = realm.name.clone();
    let users = app
        .db
        .read(move |conn| store::users_for_picker(conn, &realm_key))
        .await?;
    let users_html: String = users
        .iter()
        .enumerate()
        .map(|(index, (user, logged_in))| {
            // The picker lists the most recently used user first; say so only if it is true.
            let recent = if index == 0 && *logged_in { "<span class=\"emu-last\">last used</span>" } else { "" };
            // No `type` attribute: these submit the form, yet stay out of `button[type=submit]`,
            // which the upstream e2e suites expect to match the password form's button alone.
            format!(
                "<li><button name=\"pick\" value=\"{}\"><span><span class=\"emu-name\">{}</span>{recent}</span>\
                 <span class=\"emu-email\">{}</span></button></li>",
                web::escape(&user.username),
                web::escape(&if user.full_name().is_empty() { user.username.clone() } else { user.full_name() }),
                web::escape(&user.email),
            )
        })
        .collect();
    let hidden_html: String = request
        .params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                web::escape(k),
                web::escape(v)
            )
        })
        .collect();
    let (username, error_html) = match error {
        Some((username, message)) => (
            username.to_owned(),
            format!(
                "<span id=\"input-error\" class=\"pf-c-form__helper-text pf-m-error required kc-feedback-text\" \
                 aria-live=\"polite\">{}</span>",
                web::escape(message)
            ),
        ),
        None => (request.login_hint.clone().unwrap_or_default(), String::new()),
    };
    let base = format!("/realms/{}", realm.requested);
    // Keycloak offers "Restart login" only when the username is already chosen (here: a
    // login_hint); the upstream e2e suites click it whenever it is visible.
    let restart_html = match &request.login_hint {
        Some(_) => format!(
            " &middot; <a id=\"reset-login\" href=\"{}\" aria-label=\"Restart login\">Restart login</a>",
            web::escape(&format!(
                "{base}/protocol/openid-connect/auth?{}",
                request.params.without(&["prompt", "login_hint"]).encode()
            ))
        ),
        None => String::new(),
    };
    let page = web::render(
        web::LOGIN_PAGE,
        &[
            ("realm", &realm.display_name_for_page()),
            ("client_id", &request.client.client_id),
            ("action", &format!("{base}/login-actions/authenticate")),
            ("restart_html", &restart_html),
            ("hidden_html", &hidden_html),
            ("users_html", &users_html),
            ("username", &username),
            ("invalid", if error.is_some() { "true" } else { "false" }),
            ("error_html", &error_html),
        ],
    );
    let mut response = (status, Html(page)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, must-revalidate, max-age=0"),
    );
    Ok(response)
}

impl Realm {
    /// What the login page's header shows: the realm name as requested (`impress` when the
    /// Docs dev env reaches the shared realm through that alias), as Keycloak shows its
    /// realm's display name.
    fn display_name_for_page(&self) -> String {
        if self.requested == self.name {
            self.display_name.clone()
        } else {
            self.requested.clone()
        }
    }
}
