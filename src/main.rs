//! The `lasuite-emu` binary: parses the command line and calls the library.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use lasuite_emu::cli::{Cli, Command, ServeArgs, TokenArgs};
use lasuite_emu::{Config, Storage};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        // s3s logs every refused request (a bad signature is a client's error) at ERROR level;
        // the emulator logs its own failures. LASUITE_EMU_LOG=s3s=debug brings them back.
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LASUITE_EMU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,lasuite_emu=info,s3s=off")),
        )
        // Colours only on a terminal: a log file or a test harness reads plain `key=value`.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    // SQLite work runs on the blocking pool; a few threads saturate it (one writer, four
    // readers), and tokio's default of 512 would only add memory under load.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(8)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    let result = match cli.command {
        None => runtime.block_on(serve(cli.serve)),
        Some(Command::Serve(args)) => runtime.block_on(serve(args)),
        Some(Command::Token(args)) => runtime.block_on(token(args)),
        Some(Command::Env(args)) => {
            print!("{}", lasuite_emu::envblock::env_block(&args));
            Ok(())
        }
        Some(Command::Ca(args)) => lasuite_emu::ca::run(&args),
        Some(Command::Demo {
            url,
            user,
            password,
            fault,
            admin_key,
        }) => runtime
            .block_on(lasuite_emu::demo::run(lasuite_emu::demo::DemoArgs {
                url,
                username: user,
                password,
                fault,
                admin_key,
            }))
            .map_err(|failure| failure.to_string()),
        Some(other) => runtime
            .block_on(lasuite_emu::ctl::run(other))
            .unwrap_or_else(|| Err("unknown command".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("lasuite-emu: {message}");
    ExitCode::FAILURE
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let config = Config::from_args(&args).map_err(|e| e.to_string())?;
    let storage = match &config.storage {
        Storage::Dir(dir) => dir.display().to_string(),
        Storage::Ephemeral => "ephemeral".to_owned(),
    };
    let running = lasuite_emu::server::start(config)
        .await
        .map_err(|e| e.to_string())?;
    let listening: Vec<String> = running.local_addrs().iter().map(ToString::to_string).collect();
    if let Some(key) = &running.app().admin_key {
        // Printed before Ready: a harness that waits for Ready has the key by then.
        println!("Admin key for /_emu (Authorization: Bearer ...): {key}");
    }
    let ca = running
        .ca_path()
        .map(|path| format!("; CA: {}", path.display()))
        .unwrap_or_default();
    println!(
        "Ready. lasuite-emu {} serving {} (listening on {}; data: {storage}{ca})",
        env!("CARGO_PKG_VERSION"),
        running.url(),
        listening.join(", ")
    );
    let _ = std::io::stdout().flush();
    wait_for_stop_signal().await;
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what `docker stop`, systemd and test harnesses send).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = sigterm.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `lasuite-emu token`: asks a running emulator to mint a token and prints the access token.
async fn token(args: TokenArgs) -> Result<(), String> {
    let mut body = serde_json::json!({
        "realm": args.realm,
        "client_id": args.client,
        "username": args.user,
    });
    if let Some(scope) = args.scope {
        body["scope"] = scope.into();
    }
    if let Some(ttl) = args.ttl {
        body["ttl"] = ttl.into();
    }
    if !args.audience.is_empty() {
        body["audience"] = args.audience.into();
    }
    if let Some(client) = args.exchange_for {
        body["exchange_for"] = client.into();
    }
    let url = format!("{}/_emu/tokens", args.url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("cannot reach the emulator at {}: {e}", args.url))?;
    let status = response.status();
    let answer: serde_json::Value = response
        .json()
        .await
        .map_err(|e| format!("unexpected answer from {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{status}: {}",
            answer["error_description"]
                .as_str()
                .unwrap_or("token request refused")
        ));
    }
    println!("{}", answer["access_token"].as_str().unwrap_or_default());
    Ok(())
}
