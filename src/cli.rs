//! Command-line definitions only (clap derive). No I/O, no defaults logic beyond clap's:
//! `config.rs` turns these into a resolved configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// One binary that emulates Keycloak (OIDC), S3 and La Suite Drive's external API.
#[derive(Debug, Parser)]
#[command(name = "lasuite-emu", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, `serve` runs with these flags.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the emulator until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Print an access token minted by a running emulator.
    Token(TokenArgs),
    /// Print the environment block that points a local Docs or Drive at this emulator.
    Env(EnvArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (repeatable; port 0 picks a free one).
    #[arg(
        long = "listen",
        env = "LASUITE_EMU_LISTEN",
        value_delimiter = ',',
        default_value = "127.0.0.1:8990"
    )]
    pub listen: Vec<SocketAddr>,
    /// The one base URL written into tokens, discovery, presigned and item URLs
    /// [default: http://<first listen address>].
    #[arg(long, env = "LASUITE_EMU_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// State directory (SQLite database, object bodies, keys).
    #[arg(
        long,
        env = "LASUITE_EMU_DATA",
        default_value = ".lasuite-emu",
        conflicts_with = "ephemeral"
    )]
    pub data: PathBuf,
    /// Keep state in a temporary directory removed on exit (and sign with the insecure test keys).
    #[arg(long, env = "LASUITE_EMU_EPHEMERAL")]
    pub ephemeral: bool,
    /// Extra fixture file (TOML, JSON, or a Keycloak realm export) applied over the default;
    /// repeatable.
    #[arg(long = "fixtures", env = "LASUITE_EMU_FIXTURES", value_delimiter = ',')]
    pub fixtures: Vec<PathBuf>,
    /// Bearer key the control plane (`/_emu`) requires [default: none on loopback, a generated
    /// one, printed at start, when listening on any other address].
    #[arg(long, env = "LASUITE_EMU_ADMIN_KEY")]
    pub admin_key: Option<String>,
    /// Once serving, write JSON {"url": ..., "pid": ...} to this file.
    #[arg(long, env = "LASUITE_EMU_READY_FILE")]
    pub ready_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Username of the token's subject.
    #[arg(long)]
    pub user: String,
    /// Client the token is issued to (its `azp` and introspected `client_id`).
    #[arg(long)]
    pub client: String,
    /// Space-separated scopes [default: openid email profile].
    #[arg(long)]
    pub scope: Option<String>,
    /// Lifetime in seconds [default: the realm's access token lifespan].
    #[arg(long)]
    pub ttl: Option<i64>,
    /// Realm (or alias) that issues the token.
    #[arg(long, default_value = "lasuite")]
    pub realm: String,
    /// Base URL of the running emulator.
    #[arg(long, env = "LASUITE_EMU_URL", default_value = "http://127.0.0.1:8990")]
    pub url: String,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Which app the block is for.
    pub app: App,
    /// Public base URL of the emulator.
    #[arg(long, env = "LASUITE_EMU_URL", default_value = "http://127.0.0.1:8990")]
    pub url: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum App {
    Docs,
    Drive,
}
