//! The control-plane commands of the CLI (`reset`, `snapshot`, `user`, `journal`, ...): each
//! one HTTP call to a running emulator's `/_emu`, its JSON answer printed.

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{
    ClientAction, ClockAction, Command, FaultAction, NamespaceAction, Target, UserAction, UserArgs,
};

/// Runs a control-plane command; None when `command` is not one.
pub async fn run(command: Command) -> Option<Result<(), String>> {
    let result = match command {
        Command::Reset(target) => call(&target, "POST", "/reset", None).await,
        Command::Snapshot { out, target } => download(&target, "/snapshot", &out).await,
        Command::Restore { file, target } => {
            upload(&target, "/restore", &file, "application/vnd.sqlite3").await
        }
        Command::Apply { file, target } => {
            let kind = if file.extension().is_some_and(|e| e == "json") {
                "application/json"
            } else {
                "application/toml"
            };
            upload(&target, "/fixtures", &file, kind).await
        }
        Command::User { action } => user(action).await,
        Command::Client { action } => client(action).await,
        Command::Journal(args) => {
            if args.clear {
                call(&args.target, "DELETE", "/journal", None).await
            } else {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                let pairs = [
                    ("service", args.service),
                    ("method", args.method),
                    ("path", args.path),
                    ("status", args.status),
                    ("client", args.client),
                    ("user", args.user),
                    ("limit", args.limit.map(|l| l.to_string())),
                ];
                for (key, value) in pairs {
                    if let Some(value) = value {
                        query.append_pair(key, &value);
                    }
                }
                call(&args.target, "GET", &format!("/journal?{}", query.finish()), None).await
            }
        }
        Command::Fault { action } => match action {
            FaultAction::Add {
                service,
                method,
                path,
                count,
                status,
                error,
                delay_ms,
                target,
            } => {
                let body = json!({"service": service, "method": method, "path": path, "count": count,
                                  "status": status, "error": error, "delay_ms": delay_ms});
                call(&target, "POST", "/faults", Some(without_nulls(body))).await
            }
            FaultAction::List(target) => call(&target, "GET", "/faults", None).await,
            FaultAction::Clear(target) => call(&target, "DELETE", "/faults", None).await,
        },
        Command::Clock { action, target } => match action {
            None => call(&target, "GET", "/clock", None).await,
            Some(ClockAction::Advance { secs }) => {
                call(&target, "POST", "/clock", Some(json!({"advance": secs}))).await
            }
            Some(ClockAction::FreezeAt { unix }) => {
                call(&target, "POST", "/clock", Some(json!({"freeze_at": unix}))).await
            }
            Some(ClockAction::Offset { secs }) => {
                call(&target, "POST", "/clock", Some(json!({"offset": secs}))).await
            }
            Some(ClockAction::Reset) => call(&target, "POST", "/clock", Some(json!({"reset": true}))).await,
        },
        Command::Revoke { token, target } => {
            call(&target, "POST", "/revoke", Some(json!({"token": token}))).await
        }
        Command::Namespace { action } => match action {
            NamespaceAction::Create { name, target } => {
                call(&target, "POST", "/namespaces", Some(json!({"name": name}))).await
            }
            NamespaceAction::Drop { name, target } => {
                call(&target, "DELETE", &format!("/namespaces/{name}"), None).await
            }
        },
        _ => return None,
    };
    Some(result)
}

fn user_body(user: UserArgs) -> Value {
    without_nulls(json!({
        "username": user.username, "password": user.password, "email": user.email,
        "first_name": user.first_name, "last_name": user.last_name, "sub": user.sub,
    }))
}

async fn user(action: UserAction) -> Result<(), String> {
    match action {
        UserAction::List { realm, target } => {
            call(&target, "GET", &format!("/realms/{realm}/users"), None).await
        }
        UserAction::Add { realm, user, target } => {
            call(
                &target,
                "POST",
                &format!("/realms/{realm}/users"),
                Some(user_body(user)),
            )
            .await
        }
        UserAction::Update { realm, user, target } => {
            let path = format!("/realms/{realm}/users/{}", user.username);
            call(&target, "PUT", &path, Some(user_body(user))).await
        }
        UserAction::Remove {
            username,
            realm,
            target,
        } => {
            call(
                &target,
                "DELETE",
                &format!("/realms/{realm}/users/{username}"),
                None,
            )
            .await
        }
        UserAction::Logout {
            username,
            realm,
            target,
        } => {
            call(
                &target,
                "POST",
                &format!("/realms/{realm}/users/{username}/logout"),
                None,
            )
            .await
        }
    }
}

async fn client(action: ClientAction) -> Result<(), String> {
    match action {
        ClientAction::List { realm, target } => {
            call(&target, "GET", &format!("/realms/{realm}/clients"), None).await
        }
        ClientAction::Put {
            client_id,
            secret,
            redirect_uris,
            realm,
            target,
        } => {
            let body = without_nulls(
                json!({"client_id": client_id, "secret": secret, "redirect_uris": redirect_uris}),
            );
            call(
                &target,
                "PUT",
                &format!("/realms/{realm}/clients/{client_id}"),
                Some(body),
            )
            .await
        }
        ClientAction::Remove {
            client_id,
            realm,
            target,
        } => {
            call(
                &target,
                "DELETE",
                &format!("/realms/{realm}/clients/{client_id}"),
                None,
            )
            .await
        }
    }
}

fn without_nulls(mut value: Value) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    value
}

fn request(target: &Target, method: &str, path: &str) -> Result<reqwest::RequestBuilder, String> {
    let method: reqwest::Method = method.parse().map_err(|_| format!("bad method {method}"))?;
    let url = format!("{}/_emu{path}", target.url.trim_end_matches('/'));
    let mut builder = reqwest::Client::new().request(method, url);
    if let Some(key) = &target.admin_key {
        builder = builder.bearer_auth(key);
    }
    Ok(builder)
}

/// Sends one request; prints a JSON answer; an error status becomes the error's description.
async fn call(target: &Target, method: &str, path: &str, body: Option<Value>) -> Result<(), String> {
    let mut builder = request(target, method, path)?;
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    finish(target, builder).await
}

async fn upload(target: &Target, path: &str, file: &Path, content_type: &str) -> Result<(), String> {
    let bytes = tokio::fs::read(file)
        .await
        .map_err(|e| format!("reading {}: {e}", file.display()))?;
    let builder = request(target, "POST", path)?
        .header("content-type", content_type)
        .body(bytes);
    finish(target, builder).await
}

async fn download(target: &Target, path: &str, out: &Path) -> Result<(), String> {
    let response = request(target, "GET", path)?
        .send()
        .await
        .map_err(|e| unreachable(target, &e))?;
    if !response.status().is_success() {
        return Err(describe(response).await);
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    tokio::fs::write(out, &bytes)
        .await
        .map_err(|e| format!("writing {}: {e}", out.display()))?;
    println!(
        "{}",
        json!({"written": out.display().to_string(), "bytes": bytes.len()})
    );
    Ok(())
}

async fn finish(target: &Target, builder: reqwest::RequestBuilder) -> Result<(), String> {
    let response = builder.send().await.map_err(|e| unreachable(target, &e))?;
    if !response.status().is_success() {
        return Err(describe(response).await);
    }
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => println!("{}", serde_json::to_string_pretty(&value).unwrap_or(text)),
        Err(_) if text.is_empty() => println!("{}", json!({"status": "done"})),
        Err(_) => println!("{text}"),
    }
    Ok(())
}

async fn describe(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let detail = body["error_description"]
        .as_str()
        .or(body["error"].as_str())
        .unwrap_or("refused");
    format!("{status}: {detail}")
}

fn unreachable(target: &Target, error: &reqwest::Error) -> String {
    format!("cannot reach the emulator at {}: {error}", target.url)
}
