//! `lasuite-emu demo`: plays Docs' side of the Docs -> Drive -> S3 integration, the resource
//! client code Docs lacks, step by step against an emulator (one it starts in-process when no
//! `--url` is given). Each step prints its status and time; the first failure names the step
//! and ends the demo with a non-zero exit. `--fault` breaks the flow on purpose at one point,
//! the way it breaks in real life, to show what the client sees there.

use std::time::Instant;

use clap::ValueEnum as _;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const CLIENT: &str = "docs";
const SECRET: &str = "ThisIsAnExampleKeyForDevPurposeOnly";
const REDIRECT_URI: &str = "http://localhost:3000/api/v1.0/callback/";
const BUCKET: &str = "drive-media-storage";
const CONTENT: &[u8] = b"Hello from lasuite-emu: Docs stored this file in Drive, and Drive in S3.\n";
/// What `--fault disallowed-type` uploads under the same `.txt` name: Drive sniffs `text/html`,
/// which its `FILE_MIMETYPE_ALLOWED` lacks (a `.exe` name would be refused earlier, at create).
const HTML: &[u8] = b"<!DOCTYPE html>\n<html><body><p>Not plain text after all.</p></body></html>\n";
/// The marker of a line that injects (or undoes) a fault, in place of a step number.
const FAULT_MARK: &str = " !.";
/// The root folder Docs keeps its files in when Drive has no main workspace (0.13 and later).
const ROOT_FOLDER: &str = "Docs";

/// In a page of `GET items/`: the item with `main_workspace` true, or (`by_title`) Docs' own
/// root folder, a folder titled exactly [`ROOT_FOLDER`] (the `title` filter matches parts of
/// titles).
fn pick_workspace(list: &Value, by_title: bool) -> Option<String> {
    list["results"]
        .as_array()?
        .iter()
        .find(|i| {
            if by_title {
                i["title"] == ROOT_FOLDER && i["type"] == "folder" && i["depth"] == 1
            } else {
                i["main_workspace"] == true
            }
        })
        .and_then(|i| i["id"].as_str())
        .map(str::to_owned)
}

/// A fault `lasuite-emu demo --fault` injects; the demo then fails at the step it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Move the emulator's clock past the upload policy's expiry before the PUT: S3 answers
    /// 403 AccessDenied.
    ExpiredUrl,
    /// Revoke the access token at the revocation endpoint after the workspace lookup: Drive
    /// 0.21.1 (django-lasuite 0.0.28) answers the create with a 500 (`Server Error (500)`);
    /// the emulator's journal says the token was revoked.
    RevokedToken,
    /// Upload an HTML page under the file's .txt name: upload-ended answers 400
    /// file_type_not_allowed and the file is gone.
    DisallowedType,
    /// Skip the PUT: upload-ended finds no object and answers 500 as upstream (its HEAD
    /// raises); the emulator's journal names the missing key.
    NoUpload,
}

/// Who the demo logs in as, and where.
#[derive(Debug, Clone)]
pub struct DemoArgs {
    pub url: Option<String>,
    pub username: String,
    pub password: String,
    pub fault: Option<Fault>,
    /// The control plane's key, for the faults that use it against a `--url` that has one.
    pub admin_key: Option<String>,
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
        admin_key: args.admin_key.clone(),
    };
    demo.play(&args).await?;
    if args.url.is_none() {
        println!(
            "(That emulator stops with the demo. To keep the file and look around, start one with \
             `lasuite-emu` and run `lasuite-emu demo --url http://127.0.0.1:8990`.)"
        );
    }
    Ok(())
}

struct Demo {
    url: String,
    http: reqwest::Client,
    number: usize,
    admin_key: Option<String>,
}

/// Why a step failed: `summary` (status and error code) ends the step's line, `detail` (the
/// error's text) follows under it, `reason` is the final message.
struct Problem {
    summary: String,
    detail: Option<String>,
    reason: String,
}

impl From<String> for Problem {
    fn from(reason: String) -> Self {
        Self {
            summary: String::new(),
            detail: None,
            reason,
        }
    }
}

impl From<&str> for Problem {
    fn from(reason: &str) -> Self {
        reason.to_owned().into()
    }
}

/// What a step yields: its value and a short status text, or why it failed.
type Outcome<T> = Result<(T, String), Problem>;

impl Demo {
    /// Times one numbered step and prints it.
    async fn step<T>(
        &mut self,
        name: &str,
        work: impl std::future::Future<Output = Outcome<T>>,
    ) -> Result<T, StepFailure> {
        self.number += 1;
        let mark = format!("{:>2}.", self.number);
        self.run(&mark, name.to_owned(), work).await
    }

    /// Times and prints a step that injects (or undoes) a fault; it takes no number.
    async fn fault<T>(
        &mut self,
        name: &str,
        work: impl std::future::Future<Output = Outcome<T>>,
    ) -> Result<T, StepFailure> {
        self.run(FAULT_MARK, name.to_owned(), work).await
    }

    async fn run<T>(
        &mut self,
        mark: &str,
        name: String,
        work: impl std::future::Future<Output = Outcome<T>>,
    ) -> Result<T, StepFailure> {
        let started = Instant::now();
        let outcome = work.await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok((value, status)) => {
                println!("{mark} {name:<58} {status:<22} {ms:>7.1} ms");
                Ok(value)
            }
            Err(problem) => {
                let summary = &problem.summary;
                println!(
                    "{mark} {name:<58} FAILED{}{summary}",
                    if summary.is_empty() { "" } else { " " }
                );
                if let Some(detail) = &problem.detail {
                    println!("    {detail}");
                }
                // Drive's 500 hides the cause, as upstream's does; the emulator's journal has it.
                if summary.starts_with("500")
                    && let Some(reason) = self.journal_reason().await
                {
                    println!("    the emulator's journal says: {reason}");
                }
                Err(StepFailure {
                    step: name,
                    reason: problem.reason,
                })
            }
        }
    }

    /// The reason the journal recorded for the last 500 of Drive's API, if it can be read.
    async fn journal_reason(&self) -> Option<String> {
        let mut request = self
            .http
            .get(format!("{}/_emu/journal?service=drive&status=500", self.url));
        if let Some(key) = &self.admin_key {
            request = request.bearer_auth(key);
        }
        let journal: Value = request.send().await.ok()?.json().await.ok()?;
        journal["entries"]
            .as_array()?
            .last()?
            .get("reason")?
            .as_str()
            .map(str::to_owned)
    }

    async fn play(&mut self, args: &DemoArgs) -> Result<(), StepFailure> {
        let (url, http) = (self.url.clone(), self.http.clone());
        let oidc = format!("{url}/realms/lasuite/protocol/openid-connect");
        let api = format!("{url}/external_api/v1.0");
        let fault = args.fault;

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
            .step(
                "find the main workspace or Docs' root folder (GET items/)",
                async {
                    let answer = http.get(format!("{api}/items/")).bearer_auth(&token).send().await;
                    let list = expect(answer.map_err(|e| e.to_string())?, 200).await?;
                    if let Some(id) = pick_workspace(&list, false) {
                        return Ok((id, "200 found".to_owned()));
                    }
                    // Drive 0.21.1 creates no main workspace: Docs keeps a root folder of its own,
                    // found again by its title on later runs.
                    let answer = http
                        .get(format!("{api}/items/"))
                        .query(&[("title", ROOT_FOLDER), ("type", "folder")])
                        .bearer_auth(&token)
                        .send()
                        .await;
                    let list = expect(answer.map_err(|e| e.to_string())?, 200).await?;
                    if let Some(id) = pick_workspace(&list, true) {
                        return Ok((id, format!("200 found {ROOT_FOLDER:?}")));
                    }
                    let answer = http
                        .post(format!("{api}/items/"))
                        .bearer_auth(&token)
                        .json(&json!({"type": "folder", "title": ROOT_FOLDER}))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let folder = expect(answer, 201).await?;
                    let id = folder["id"].as_str().ok_or("no id")?.to_owned();
                    Ok((id, format!("201 created {ROOT_FOLDER:?}")))
                },
            )
            .await?;
        if fault == Some(Fault::RevokedToken) {
            // What a client's logout does (RFC 7009), with the client's own credentials.
            self.fault("inject fault: revoke the access token (POST revoke)", async {
                let answer = http
                    .post(format!("{oidc}/revoke"))
                    .form(&[
                        ("token", token.as_str()),
                        ("token_type_hint", "access_token"),
                        ("client_id", CLIENT),
                        ("client_secret", SECRET),
                    ])
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                expect_status(answer, 200).await?;
                Ok(((), "200 revoked".to_owned()))
            })
            .await?;
        }
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
        let put = |content: &'static [u8]| {
            let request = http
                .put(&policy)
                .header("x-amz-acl", "private")
                .header("content-type", "text/plain")
                .body(content);
            async move {
                let answer = request.send().await.map_err(|e| e.to_string())?;
                expect_status(answer, 200).await?;
                Ok(((), format!("200 {} bytes", content.len())))
            }
        };
        match fault {
            Some(Fault::NoUpload) => {
                self.fault("inject fault: skip the PUT to the presigned policy URL", async {
                    Ok(((), "skipped".to_owned()))
                })
                .await?;
            }
            Some(Fault::DisallowedType) => {
                self.fault("inject fault: PUT an HTML page under the .txt name", put(HTML))
                    .await?;
            }
            Some(Fault::ExpiredUrl) => {
                let secs = self
                    .fault("inject fault: move the clock past the policy's expiry", async {
                        let expires = url::Url::parse(&policy)
                            .map_err(|e| format!("the policy URL: {e}"))?
                            .query_pairs()
                            .find(|(k, _)| k == "X-Amz-Expires")
                            .and_then(|(_, v)| v.parse::<i64>().ok())
                            .ok_or("the policy URL has no X-Amz-Expires")?;
                        let secs = expires + 60;
                        move_clock(&http, &url, secs, args.admin_key.as_deref()).await?;
                        Ok((secs, format!("200 clock +{secs} s")))
                    })
                    .await?;
                let failed = self
                    .step("PUT the content to the presigned policy URL", put(CONTENT))
                    .await;
                // Put the clock back: the emulator may be shared, and its tokens live on.
                self.fault("undo the fault: move the clock back", async {
                    move_clock(&http, &url, -secs, args.admin_key.as_deref()).await?;
                    Ok(((), format!("200 clock -{secs} s")))
                })
                .await?;
                failed?;
            }
            Some(Fault::RevokedToken) | None => {
                self.step("PUT the content to the presigned policy URL", put(CONTENT))
                    .await?;
            }
        }
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
            if auth.status() == 403 {
                // Drive's default EXTERNAL_API leaves media_auth out (upstream's nginx asks the
                // internal API instead): say so and go on.
                return Ok(((), "403 skipped (EXTERNAL_API)".to_owned()));
            }
            if auth.status() != 200 {
                return Err(format!("media-auth answered {}", auth.status()).into());
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
        if let Some(fault) = fault {
            // The fault should have stopped the flow: an emulator that lets it through is wrong.
            let name = fault.to_possible_value().map(|v| v.get_name().to_owned());
            return Err(StepFailure {
                step: format!("--fault {}", name.unwrap_or_default()),
                reason: "every step went through despite the fault".into(),
            });
        }
        println!("\nDone: {url}/media/{key} holds the file, stored in bucket {BUCKET}.");
        Ok(())
    }
}

/// Moves the emulator's clock by `secs` through the control plane (`POST /_emu/clock`).
async fn move_clock(
    http: &reqwest::Client,
    url: &str,
    secs: i64,
    admin_key: Option<&str>,
) -> Result<(), Problem> {
    let mut request = http
        .post(format!("{url}/_emu/clock"))
        .json(&json!({ "advance": secs }));
    if let Some(key) = admin_key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.map_err(|e| e.to_string())?;
    expect_status(answer, 200).await?;
    Ok(())
}

/// The authorization-code flow as a browser plays it: open the authorization URL, post the
/// login page's password form, and take the code from the redirect.
async fn login(
    http: &reqwest::Client,
    url: &str,
    oidc: &str,
    username: &str,
    password: &str,
) -> Outcome<String> {
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
        return Err(format!("the login form answered {} (wrong password?)", answer.status()).into());
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

async fn expect_status(answer: reqwest::Response, status: u16) -> Result<reqwest::Response, Problem> {
    if answer.status().as_u16() == status {
        return Ok(answer);
    }
    let got = answer.status();
    let body = answer.text().await.unwrap_or_default();
    let (code, detail) = error_of(&body);
    Err(Problem {
        summary: format!("{} {}", got.as_u16(), code.unwrap_or_default())
            .trim_end()
            .to_owned(),
        detail,
        reason: format!(
            "expected {status}, got {got}: {}",
            body.chars().take(300).collect::<String>()
        ),
    })
}

/// The code and text of an error body in the wire format of each service: Drive's envelope
/// `{"type","errors":[{"code","detail","attr"}]}`, OAuth's `{"error","error_description"}`,
/// S3's `<Error><Code>..</Code><Message>..</Message>`.
fn error_of(body: &str) -> (Option<String>, Option<String>) {
    if let Ok(json) = serde_json::from_str::<Value>(body) {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        if let Some(error) = json["errors"].get(0) {
            let detail = text(&error["detail"]).map(|detail| match error["attr"].as_str() {
                Some(attr) => format!("{detail} (on {attr})"),
                None => detail,
            });
            return (text(&error["code"]), detail);
        }
        return (text(&json["error"]), text(&json["error_description"]));
    }
    let element = |name: &str| {
        let from = body.find(&format!("<{name}>"))? + name.len() + 2;
        let to = from + body[from..].find(&format!("</{name}>"))?;
        Some(unescape(&body[from..to]))
    };
    (element("Code"), element("Message"))
}

async fn expect(answer: reqwest::Response, status: u16) -> Result<Value, Problem> {
    let answer = expect_status(answer, status).await?;
    Ok(answer.json().await.map_err(|e| format!("not JSON: {e}"))?)
}

async fn expect_text(answer: reqwest::Response, status: u16) -> Result<String, Problem> {
    let answer = expect_status(answer, status).await?;
    Ok(answer.text().await.map_err(|e| e.to_string())?)
}

async fn expect_body(answer: reqwest::Response, status: u16) -> Result<Vec<u8>, Problem> {
    let answer = expect_status(answer, status).await?;
    Ok(answer.bytes().await.map_err(|e| e.to_string())?.to_vec())
}
