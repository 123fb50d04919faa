//! `lasuite-emu demo`: plays Docs' side of the Docs -> Drive -> S3 integration, the resource
//! client code Docs lacks, step by step against an emulator (one it starts in-process when no
//! `--url` is given). Each step prints its status and time; the first failure names the step
//! and ends the demo with a non-zero exit.

use std::time::Instant;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const CLIENT: &str = "docs";
const SECRET: &str = "ThisIsAnExampleKeyForDevPurposeOnly";
const REDIRECT_URI: &str = "http://localhost:3000/api/v1.0/callback/";
const BUCKET: &str = "drive-media-storage";
const CONTENT: &[u8] = b"Hello from lasuite-emu: Docs stored this file in Drive, and Drive in S3.\n";

/// Who the demo logs in as, and where.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub url: Option<String>,
    pub username: String,
    pub password: String,
}

/// A failed step: its name and what went wrong.
#[derive(Debug)]
pub struct StepFailure {
    pub step: String,
    pub reason: String,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step \"{}\" failed: {}", self.step, self.reason)
    }
}

/// Runs the demo, printing each step to stdout.
pub async fn run(args: DemoArgs) -> Result<(), StepFailure> {
    let local;
    let url = match &args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            local = crate::Emulator::builder()
                .start()
                .await
                .map_err(|e| StepFailure {
                    step: "start an in-process emulator".into(),
                    reason: e.to_string(),
                })?;
            println!("Started an ephemeral emulator at {}", local.url());
            local.url().to_owned()
        }
    };
    let mut demo = Demo {
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
        number: 0,
    };
    demo.play(&args).await
}

struct Demo {
    url: String,
    http: reqwest::Client,
    number: usize,
}

impl Demo {
    /// Times one step and prints it; `Ok` carries the step's value and a short status text.
    async fn step<T>(
        &mut self,
        name: &str,
        work: impl std::future::Future<Output = Result<(T, String), String>>,
    ) -> Result<T, StepFailure> {
        self.number += 1;
        let started = Instant::now();
        let outcome = work.await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok((value, status)) => {
                println!("{:>2}. {name:<58} {status:<22} {ms:>7.1} ms", self.number);
                Ok(value)
            }
            Err(reason) => {
                println!("{:>2}. {name:<58} FAILED", self.number);
                Err(StepFailure {
                    step: name.to_owned(),
                    reason,
                })
            }
        }
    }

    async fn play(&mut self, args: &DemoArgs) -> Result<(), StepFailure> {
        let (url, http) = (self.url.clone(), self.http.clone());
        let oidc = format!("{url}/realms/lasuite/protocol/openid-connect");
        let api = format!("{url}/external_api/v1.0");

        let code = self
            .step(
                &format!("log {} in to Docs (authorization code flow)", args.username),
                login(&http, &url, &oidc, &args.username, &args.password),
            )
            .await?;
        let token: String = self
            .step("exchange the code for tokens", async {
                let answer = http
                    .post(format!("{oidc}/token"))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", REDIRECT_URI),
                        ("client_id", CLIENT),
                        ("client_secret", SECRET),
                    ])
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let body = expect(answer, 200).await?;
                let token = body["access_token"].as_str().ok_or("no access_token")?.to_owned();
                Ok((token, "200 access token".to_owned()))
            })
            .await?;
        let workspace: String = self
            .step("find the main workspace (GET items/)", async {
                let answer = http.get(format!("{api}/items/")).bearer_auth(&token).send().await;
                let list = expect(answer.map_err(|e| e.to_string())?, 200).await?;
                let found = list["results"]
                    .as_array()
                    .and_then(|items| items.iter().find(|i| i["main_workspace"] == true))
                    .and_then(|i| i["id"].as_str())
                    .map(str::to_owned);
                if let Some(id) = found {
                    return Ok((id, "200 found".to_owned()));
                }
                // Drive 0.21.1 creates no workspace: Docs must make a root folder itself.
                let answer = http
                    .post(format!("{api}/items/"))
                    .bearer_auth(&token)
                    .json(&json!({"type": "folder", "title": "Docs"}))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let folder = expect(answer, 201).await?;
                let id = folder["id"].as_str().ok_or("no id")?.to_owned();
                Ok((id, "201 created a root".to_owned()))
            })
            .await?;
        let file: Value = self
            .step("create a file in it (POST children/)", async {
                let answer = http
                    .post(format!("{api}/items/{workspace}/children/"))
                    .bearer_auth(&token)
                    .json(&json!({"type": "file", "filename": "lasuite-emu demo.txt"}))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok((expect(answer, 201).await?, "201 pending".to_owned()))
            })
            .await?;
        let id = file["id"].as_str().unwrap_or_default().to_owned();
        let policy = file["policy"].as_str().unwrap_or_default().to_owned();
        self.step("PUT the content to the presigned policy URL", async {
            let answer = http
                .put(&policy)
                .header("x-amz-acl", "private")
                .header("content-type", "text/plain")
                .body(CONTENT)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            expect_status(answer, 200).await?;
            Ok(((), format!("200 {} bytes", CONTENT.len())))
        })
        .await?;
        let item: Value = self
            .step("tell Drive the upload ended (upload-ended/)", async {
                let answer = http
                    .post(format!("{api}/items/{id}/upload-ended/"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let item = expect(answer, 200).await?;
                let status = format!("200 {}", item["mimetype"].as_str().unwrap_or("?"));
                Ok((item, status))
            })
            .await?;
        let media_url = item["url"].as_str().unwrap_or_default().to_owned();
        self.step("read it back through its media URL", async {
            let answer = http.get(&media_url).bearer_auth(&token).send().await;
            let body = expect_body(answer.map_err(|e| e.to_string())?, 200).await?;
            Ok(((), format!("200 {} bytes", body.len())))
        })
        .await?;
        let key = format!("item/{id}/{}", item["filename"].as_str().unwrap_or_default());
        self.step("read it from S3 with media-auth's signature", async {
            let auth = http
                .get(format!("{api}/items/media-auth/"))
                .bearer_auth(&token)
                .header("x-original-url", format!("/media/{key}"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if auth.status() != 200 {
                return Err(format!("media-auth answered {}", auth.status()));
            }
            let mut request = http.get(format!(
                "{url}/{BUCKET}/{}",
                crate::drive::represent::quote_key(&key)
            ));
            for name in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
                let value = auth
                    .headers()
                    .get(name)
                    .ok_or(format!("media-auth sent no {name}"))?;
                request = request.header(name, value);
            }
            let body = expect_body(request.send().await.map_err(|e| e.to_string())?, 200).await?;
            Ok(((), format!("200 {} bytes", body.len())))
        })
        .await?;
        self.step("read it from S3 with an SDK-style SigV4 GET", async {
            let now = crate::clock::Clock::system().now();
            let headers = crate::s3::presign::sign_get_headers(
                &url,
                BUCKET,
                &key,
                "drive",
                "password",
                "us-east-1",
                now,
            );
            let mut request = http.get(format!(
                "{url}/{BUCKET}/{}",
                crate::drive::represent::quote_key(&key)
            ));
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let body = expect_body(request.send().await.map_err(|e| e.to_string())?, 200).await?;
            if body != CONTENT {
                return Err("the stored bytes differ from the uploaded ones".into());
            }
            Ok(((), "200 same bytes".to_owned()))
        })
        .await?;
        println!("\nDone: {url}/media/{key} holds the file, stored in bucket {BUCKET}.");
        Ok(())
    }
}

/// The authorization-code flow as a browser plays it: open the authorization URL, post the
/// login page's password form, and take the code from the redirect.
async fn login(
    http: &reqwest::Client,
    url: &str,
    oidc: &str,
    username: &str,
    password: &str,
) -> Result<(String, String), String> {
    let page = http
        .get(format!("{oidc}/auth"))
        .query(&[
            ("client_id", CLIENT),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("redirect_uri", REDIRECT_URI),
            ("state", "demo"),
            ("nonce", "demo"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookies: Vec<String> = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let html = expect_text(page, 200).await?;
    let (action, mut fields) = html_form(&html, "kc-form-login").ok_or("no login form on the login page")?;
    fields.push(("username".into(), username.into()));
    fields.push(("password".into(), password.into()));
    let mut post = http.post(format!("{url}{action}")).form(&fields);
    if !cookies.is_empty() {
        post = post.header(COOKIE, cookies.join("; "));
    }
    let answer = post.send().await.map_err(|e| e.to_string())?;
    if answer.status() != 302 {
        return Err(format!(
            "the login form answered {} (wrong password?)",
            answer.status()
        ));
    }
    let location = answer
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("no redirect after login")?;
    let redirect = url::Url::parse(location).map_err(|e| e.to_string())?;
    let code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code in the redirect")?;
    Ok((code, "302 code".to_owned()))
}

/// The action and hidden fields of the form with `id` on a page of the login flow (the
/// password form is `kc-form-login`, as on Keycloak's page).
pub fn html_form(html: &str, id: &str) -> Option<(String, Vec<(String, String)>)> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = html[..at].rfind("<form")?;
    let form = &html[start..start + html[start..].find("</form>")?];
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let from = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(unescape(&tag[from..from + tag[from..].find('"')?]))
    };
    let action = attribute(form, "action")?;
    let hidden = form
        .split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            Some((
                attribute(tag, "name")?,
                attribute(tag, "value").unwrap_or_default(),
            ))
        })
        .collect();
    Some((action, hidden))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn expect_status(answer: reqwest::Response, status: u16) -> Result<reqwest::Response, String> {
    if answer.status().as_u16() == status {
        return Ok(answer);
    }
    let got = answer.status();
    let body = answer.text().await.unwrap_or_default();
    Err(format!(
        "expected {status}, got {got}: {}",
        body.chars().take(300).collect::<String>()
    ))
}

async fn expect(answer: reqwest::Response, status: u16) -> Result<Value, String> {
    let answer = expect_status(answer, status).await?;
    answer.json().await.map_err(|e| format!("not JSON: {e}"))
}

async fn expect_text(answer: reqwest::Response, status: u16) -> Result<String, String> {
    expect_status(answer, status)
        .await?
        .text()
        .await
        .map_err(|e| e.to_string())
}

async fn expect_body(answer: reqwest::Response, status: u16) -> Result<Vec<u8>, String> {
    let answer = expect_status(answer, status).await?;
    Ok(answer.bytes().await.map_err(|e| e.to_string())?.to_vec())
}
