//! The binary as users run it: `serve` as a process (the `Ready.` line, `--ready-file`, a clean
//! stop on SIGTERM), and the `token` and `env` commands.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, introspect};

const BIN: &str = env!("CARGO_BIN_EXE_lasuite-emu");

#[tokio::test]
async fn serve_prints_ready_writes_the_ready_file_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--ephemeral", "--ready-file"])
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("Ready. "), "{line}");

    let info: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    let url = info["url"].as_str().unwrap().to_owned();
    assert!(line.contains(&url), "the Ready line holds the URL: {line}");
    assert_eq!(info["pid"], child.id());
    let health = util::client()
        .get(format!("{url}/_emu/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn flags_have_env_vars_and_bad_flags_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let mut child = Command::new(BIN)
        .env("LASUITE_EMU_LISTEN", "127.0.0.1:0")
        .env("LASUITE_EMU_EPHEMERAL", "true")
        .env("LASUITE_EMU_PUBLIC_URL", "http://localhost:8083")
        .env("LASUITE_EMU_READY_FILE", &ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    assert_eq!(info["url"], "http://localhost:8083");
    child.kill().unwrap();
    let _ = child.wait();

    let output = Command::new(BIN)
        .args(["serve", "--public-url", "localhost:8083"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--public-url"), "{stderr}");

    let output = Command::new(BIN)
        .args(["serve", "--ephemeral", "--fixtures", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent.toml"));
}

#[tokio::test]
async fn the_token_command_mints_from_a_running_emulator() {
    let emu = util::start().await;
    let url = emu.url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args([
                "token", "--user", "bob", "--client", "docs", "--ttl", "300", "--url", &url,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let answer = introspect(&emu, "lasuite", &token).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["username"], "bob");
    assert_eq!(
        answer["exp"].as_i64().unwrap() - answer["iat"].as_i64().unwrap(),
        300
    );

    let url = emu.url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(["token", "--user", "nobody", "--client", "docs", "--url", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Unknown user: nobody"));
}

#[test]
fn the_env_command_prints_blocks_for_docs_and_drive() {
    let docs = Command::new(BIN)
        .args(["env", "docs", "--url", "http://localhost:8990"])
        .output()
        .unwrap();
    assert!(docs.status.success());
    let docs = String::from_utf8(docs.stdout).unwrap();
    assert!(docs.contains(
        "OIDC_OP_TOKEN_ENDPOINT=http://localhost:8990/realms/lasuite/protocol/openid-connect/token\n"
    ));
    assert!(docs.contains("OIDC_STORE_ACCESS_TOKEN=True\n"));
    let drive = Command::new(BIN)
        .args(["env", "drive", "--url", "http://localhost:8990"])
        .output()
        .unwrap();
    let drive = String::from_utf8(drive.stdout).unwrap();
    assert!(drive.contains("OIDC_RESOURCE_SERVER_ENABLED=True\n"));
    assert!(drive.contains("AWS_S3_ENDPOINT_URL=http://localhost:8990\n"));
    let bad = Command::new(BIN).args(["env", "keycloak"]).output().unwrap();
    assert!(!bad.status.success());
}

#[test]
fn env_app_url_moves_the_redirects_and_refuses_what_is_not_an_http_url() {
    let moved = Command::new(BIN)
        .args(["env", "docs", "--app-url", "http://localhost:8083/"])
        .output()
        .unwrap();
    assert!(moved.status.success());
    let block = String::from_utf8(moved.stdout).unwrap();
    assert!(
        block.contains("LOGIN_REDIRECT_URL=http://localhost:8083\n"),
        "{block}"
    );
    assert!(block.contains("OIDC_REDIRECT_ALLOWED_HOSTS=\"localhost:8083,localhost:8071\"\n"));
    for bad in ["localhost:3000", "ftp://localhost", "http://"] {
        let refused = Command::new(BIN)
            .args(["env", "docs", "--app-url", bad])
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{bad}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("invalid value '{bad}' for '--app-url <APP_URL>'"))
                && stderr.contains("http:// or https://"),
            "{stderr}"
        );
    }
}

/// Runs the binary with `args` against `url`; returns (success, stdout, stderr).
async fn ctl(url: &str, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(BIN);
    command.args(args).env("LASUITE_EMU_URL", url);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn every_control_plane_endpoint_has_a_cli_command() {
    let emu = util::start().await;
    let url = emu.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ok = |r: (bool, String, String)| {
        assert!(r.0, "stdout: {}\nstderr: {}", r.1, r.2);
        r.1
    };

    let added = ok(ctl(
        &url,
        &[
            "user",
            "add",
            "zoe",
            "--password",
            "z",
            "--email",
            "zoe@example.com",
        ],
    )
    .await);
    assert!(added.contains("\"username\": \"zoe\""), "{added}");
    assert!(ok(ctl(&url, &["user", "list"]).await).contains("zoe@example.com"));
    ok(ctl(
        &url,
        &[
            "user",
            "update",
            "zoe",
            "--password",
            "z2",
            "--email",
            "zoe@new.example",
        ],
    )
    .await);
    ok(ctl(
        &url,
        &[
            "client",
            "put",
            "grist",
            "--secret",
            "g",
            "--redirect-uri",
            "http://localhost:9000/*",
        ],
    )
    .await);
    assert!(ok(ctl(&url, &["client", "list"]).await).contains("grist"));
    let token = emu.mint_token("grist", "zoe").await.unwrap();
    ok(ctl(&url, &["user", "logout", "zoe"]).await);
    assert_eq!(
        introspect(&emu, "lasuite", &token.access_token).await["active"],
        false
    );
    ok(ctl(
        &url,
        &[
            "revoke",
            &emu.mint_token("docs", "bob").await.unwrap().access_token,
        ],
    )
    .await);
    ok(ctl(&url, &["client", "remove", "grist"]).await);
    ok(ctl(&url, &["user", "remove", "zoe"]).await);

    assert!(ok(ctl(&url, &["clock"]).await).contains("\"now\""));
    let advanced = ok(ctl(&url, &["clock", "advance", "60"]).await);
    assert!(advanced.contains("\"offset\": 60"), "{advanced}");
    ok(ctl(&url, &["clock", "reset"]).await);

    ok(ctl(&url, &["fault", "add", "--service", "s3", "--error", "SlowDown"]).await);
    assert!(ok(ctl(&url, &["fault", "list"]).await).contains("SlowDown"));
    ok(ctl(&url, &["fault", "clear"]).await);
    assert!(ok(ctl(&url, &["journal", "--service", "admin", "--limit", "5"]).await).contains("\"entries\""));
    ok(ctl(&url, &["journal", "--clear"]).await);

    let fixture = dir.path().join("more.toml");
    std::fs::write(&fixture, "[[realms]]\nname = \"lasuite\"\n[[realms.users]]\nusername = \"yann\"\npassword = \"y\"\nemail = \"yann@example.com\"\n").unwrap();
    ok(ctl(&url, &["apply", fixture.to_str().unwrap()]).await);
    let snapshot = dir.path().join("state.db");
    ok(ctl(&url, &["snapshot", "--out", snapshot.to_str().unwrap()]).await);
    ok(ctl(&url, &["reset"]).await);
    ok(ctl(&url, &["restore", snapshot.to_str().unwrap()]).await);
    assert!(
        ok(ctl(&url, &["user", "list"]).await).contains("yann"),
        "restored"
    );
    ok(ctl(&url, &["namespace", "create", "cli-ns"]).await);
    ok(ctl(&url, &["namespace", "drop", "cli-ns"]).await);

    let (success, _, stderr) = ctl(
        &url,
        &[
            "user",
            "add",
            "x",
            "--password",
            "x",
            "--email",
            "x",
            "--realm",
            "nope",
        ],
    )
    .await;
    assert!(!success);
    assert!(
        stderr.contains("404") && stderr.contains("Realm does not exist"),
        "{stderr}"
    );
    let (success, _, stderr) = ctl("http://127.0.0.1:9", &["reset"]).await;
    assert!(
        !success && stderr.contains("cannot reach the emulator"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_demo_plays_docs_side_against_a_running_emulator_and_names_a_failing_step() {
    let emu = util::start().await;
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo"]).await;
    assert!(ok, "{stdout}\n{stderr}");
    for step in [
        "authorization code flow",
        "upload-ended",
        "media URL",
        "media-auth",
        "SigV4 GET",
    ] {
        assert!(stdout.contains(step), "{step} missing from:\n{stdout}");
    }
    assert!(stdout.contains("Done: "));
    // Drive 0.21.1 has no main workspace: the demo made Docs' root folder, and the file is
    // really there, for the user the demo logged in.
    assert!(stdout.contains("201 created \"Docs\""), "{stdout}");
    assert_eq!(alice_docs_folder(&emu).await["numchild"], 1);
    // A second run finds the folder again by its title instead of making another.
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo"]).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("200 found \"Docs\""), "{stdout}");
    assert_eq!(alice_docs_folder(&emu).await["numchild"], 2);
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (_, list, _) = crate::driveutil::call(&emu, "GET", "/items/", Some(&token), None).await;
    assert_eq!(list["count"], 1, "one root folder: {list}");

    let (ok, stdout, stderr) = ctl(emu.url(), &["demo", "--password", "wrong"]).await;
    assert!(!ok);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stderr.contains("step \"log alice in to Docs"), "{stderr}");
}

#[tokio::test]
async fn the_demo_names_the_step_a_store_fault_breaks() {
    let emu = util::start().await;
    let fault = util::client()
        .post(format!("{}/_emu/faults", emu.url()))
        .json(&serde_json::json!({"service": "s3", "method": "PUT", "error": "SlowDown"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 201, "{}", fault.text().await.unwrap());
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo"]).await;
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains("step \"PUT the content to the presigned policy URL\" failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("503") && stderr.contains("SlowDown"),
        "the store's answer is shown: {stderr}"
    );
}

/// Runs `demo --fault <fault>` against `emu`; asserts it fails at `step` with `summary` (status
/// and error code) on the step's line; returns (stdout, stderr).
async fn demo_fault(
    emu: &lasuite_emu::RunningEmulator,
    fault: &str,
    injected: &str,
    step: &str,
    summary: &str,
) -> (String, String) {
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo", "--fault", fault]).await;
    assert!(!ok, "{fault}: the demo must fail\n{stdout}");
    assert!(
        stdout.contains(&format!(" !. inject fault: {injected}")),
        "{fault}: the injected fault is marked\n{stdout}"
    );
    let failed = stdout
        .lines()
        .find(|line| line.contains("FAILED"))
        .unwrap_or_else(|| panic!("{fault}: no FAILED line\n{stdout}"));
    assert!(
        failed.contains(step) && failed.contains(&format!("FAILED {summary}")),
        "{fault}: {failed}"
    );
    assert!(
        stderr.contains(&format!("step \"{step}\" failed")),
        "{fault}: {stderr}"
    );
    (stdout, stderr)
}

/// Alice's root folder `Docs`, which the demo finds or creates when Drive has no main
/// workspace (Drive 0.21.1). Its `numchild` counts pending uploads too (listings leave them
/// out).
async fn alice_docs_folder(emu: &lasuite_emu::RunningEmulator) -> Value {
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (_, list, _) = crate::driveutil::call(emu, "GET", "/items/", Some(&token), None).await;
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Docs" && i["depth"] == 1)
        .unwrap_or_else(|| panic!("no Docs folder in {list}"))
        .clone()
}

/// How many children alice's `Docs` folder has, pending uploads included.
async fn alice_workspace_numchild(emu: &lasuite_emu::RunningEmulator) -> Value {
    alice_docs_folder(emu).await["numchild"].clone()
}

#[tokio::test]
async fn the_demo_passes_on_the_default_fixture_where_media_auth_is_not_enabled() {
    // Upstream's EXTERNAL_API (the default) has no media_auth: that step says so and the flow
    // goes on.
    let emu = util::start_default().await;
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo"]).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("201 created \"Docs\""), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains("media-auth's signature"))
        .unwrap();
    assert!(line.contains("403 skipped (EXTERNAL_API)"), "{line}");
    assert!(stdout.contains("200 same bytes"), "{stdout}");
}

#[tokio::test]
async fn the_demo_uses_a_main_workspace_when_drive_has_one() {
    let emu = util::start_with(include_str!("../../fixtures/main-workspaces.toml")).await;
    let (ok, stdout, stderr) = ctl(emu.url(), &["demo"]).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("200 found "), "{stdout}");
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let (_, list, _) = crate::driveutil::call(&emu, "GET", "/items/", Some(&token), None).await;
    assert_eq!(list["count"], 1, "no Docs folder beside the workspace: {list}");
    assert_eq!(list["results"][0]["main_workspace"], true);
    assert_eq!(list["results"][0]["numchild"], 1);
}

#[tokio::test]
async fn demo_fault_expired_url_fails_the_put_with_access_denied_and_puts_the_clock_back() {
    let emu = util::start().await;
    let (stdout, stderr) = demo_fault(
        &emu,
        "expired-url",
        "move the clock past the policy's expiry",
        "PUT the content to the presigned policy URL",
        "403 AccessDenied",
    )
    .await;
    // The policy lives 60 s: the clock moved 120 s on, then back.
    assert!(stdout.contains("200 clock +120 s"), "{stdout}");
    assert!(stdout.contains("Request has expired"), "{stdout}");
    assert!(stdout.contains("undo the fault: move the clock back"), "{stdout}");
    assert!(
        stderr.contains("403") && stderr.contains("<Code>AccessDenied</Code>"),
        "{stderr}"
    );
    assert_eq!(emu.clock().offset(), 0, "the demo put the clock back");
}

#[tokio::test]
async fn demo_fault_revoked_token_fails_the_create_with_drives_500() {
    let emu = util::start().await;
    let (stdout, stderr) = demo_fault(
        &emu,
        "revoked-token",
        "revoke the access token (POST revoke)",
        "create a file in it (POST children/)",
        // django-lasuite 0.0.28's SuspiciousOperation: 500, as Drive 0.21.1 answers.
        "500 error",
    )
    .await;
    assert!(stdout.contains("    Server Error (500)\n"), "{stdout}");
    assert!(
        stdout.contains("    the emulator's journal says: the access token was revoked\n"),
        "{stdout}"
    );
    assert!(stderr.contains("500"), "{stderr}");
    assert_eq!(alice_workspace_numchild(&emu).await, 0);
}

#[tokio::test]
async fn demo_fault_disallowed_type_fails_upload_ended_with_400_and_the_file_is_gone() {
    let emu = util::start().await;
    let (stdout, stderr) = demo_fault(
        &emu,
        "disallowed-type",
        "PUT an HTML page under the .txt name",
        "tell Drive the upload ended (upload-ended/)",
        "400 file_type_not_allowed",
    )
    .await;
    assert!(stdout.contains("The file type is not allowed."), "{stdout}");
    assert!(stderr.contains("validation_error"), "{stderr}");
    assert_eq!(
        alice_workspace_numchild(&emu).await,
        0,
        "the refused file is removed"
    );
}

#[tokio::test]
async fn demo_fault_no_upload_fails_upload_ended_naming_the_missing_object() {
    let emu = util::start().await;
    let (stdout, _) = demo_fault(
        &emu,
        "no-upload",
        "skip the PUT to the presigned policy URL",
        "tell Drive the upload ended (upload-ended/)",
        // Upstream's HEAD raises: 500, and the journal names the missing key.
        "500 error",
    )
    .await;
    assert!(
        stdout.contains("    the emulator's journal says: no object was uploaded at item/"),
        "{stdout}"
    );
    // The pending item stays, as upstream leaves it.
    assert_eq!(alice_workspace_numchild(&emu).await, 1);
}

#[test]
fn demo_refuses_an_unknown_fault_and_lists_the_known_ones() {
    let output = Command::new(BIN)
        .args(["demo", "--fault", "disk-full"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid value 'disk-full' for '--fault <FAULT>'")
            && stderr.contains("[possible values: expired-url, revoked-token, disallowed-type, no-upload]"),
        "{stderr}"
    );
}
