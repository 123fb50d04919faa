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
    /// Print where the local CA (of `serve --tls`) is and how to make each client trust it;
    /// makes the CA if there is none yet.
    Ca(CaArgs),
    /// Play Docs' side of the Docs -> Drive -> S3 flow, step by step (against --url, or an
    /// ephemeral emulator started in-process); --fault breaks it on purpose at one point.
    Demo {
        /// A running emulator; without it the demo starts its own.
        #[arg(long, env = "LASUITE_EMU_URL")]
        url: Option<String>,
        /// Who logs in to Docs.
        #[arg(long, default_value = "alice")]
        user: String,
        #[arg(long, default_value = "alice")]
        password: String,
        /// Inject this fault, show the failing step's status and error, and exit non-zero.
        #[arg(long, value_enum)]
        fault: Option<crate::demo::Fault>,
        /// The running emulator's admin key, if it has one (`--fault expired-url` moves its
        /// clock through the control plane).
        #[arg(long, env = "LASUITE_EMU_ADMIN_KEY")]
        admin_key: Option<String>,
    },
    /// Reset a running emulator to its fixture state.
    Reset(Target),
    /// Download the whole state of a running emulator to one file.
    Snapshot {
        /// Where to write the snapshot.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// Replace the whole state of a running emulator with a snapshot file.
    Restore {
        file: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// Apply a fixture file (TOML or JSON) to a running emulator.
    Apply {
        file: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// List, add, update, remove or log out users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// List, add, update or remove clients.
    Client {
        #[command(subcommand)]
        action: ClientAction,
    },
    /// Show (or clear) the request journal.
    Journal(JournalArgs),
    /// Inject, list or clear faults.
    Fault {
        #[command(subcommand)]
        action: FaultAction,
    },
    /// Show or move the emulator's clock.
    Clock {
        #[command(subcommand)]
        action: Option<ClockAction>,
        #[command(flatten)]
        target: Target,
    },
    /// Revoke an access or refresh token.
    Revoke {
        token: String,
        #[command(flatten)]
        target: Target,
    },
    /// Create or drop a namespace (an isolated realm and buckets).
    Namespace {
        #[command(subcommand)]
        action: NamespaceAction,
    },
}

/// Which running emulator a control-plane command talks to.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Base URL of the running emulator.
    #[arg(
        long,
        env = "LASUITE_EMU_URL",
        default_value = "http://127.0.0.1:8990",
        global = true
    )]
    pub url: String,
    /// Its admin key, when it has one.
    #[arg(long, env = "LASUITE_EMU_ADMIN_KEY", global = true)]
    pub admin_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    pub username: String,
    #[arg(long)]
    pub password: String,
    #[arg(long)]
    pub email: String,
    #[arg(long, default_value = "")]
    pub first_name: String,
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// Default: a UUID derived from realm and username.
    #[arg(long)]
    pub sub: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    List {
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
    Add {
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        user: UserArgs,
        #[command(flatten)]
        target: Target,
    },
    Update {
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        user: UserArgs,
        #[command(flatten)]
        target: Target,
    },
    Remove {
        username: String,
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
    /// End every SSO session of the user (their tokens stop introspecting as active).
    Logout {
        username: String,
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientAction {
    List {
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
    /// Add or update a client (`--secret` omitted: a public client).
    Put {
        client_id: String,
        #[arg(long)]
        secret: Option<String>,
        /// Allowed redirect URI pattern (repeatable; none: any URI on this machine).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
    Remove {
        client_id: String,
        #[arg(long, default_value = "lasuite")]
        realm: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub method: Option<String>,
    /// Path prefix.
    #[arg(long)]
    pub path: Option<String>,
    /// Exact status or class (4xx, 5xx).
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub client: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    /// Empty the journal instead of showing it.
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum FaultAction {
    Add {
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        method: Option<String>,
        /// Path prefix.
        #[arg(long)]
        path: Option<String>,
        #[arg(long)]
        count: Option<u32>,
        #[arg(long)]
        status: Option<u16>,
        /// Protocol error code (invalid_grant, SlowDown, ...).
        #[arg(long)]
        error: Option<String>,
        #[arg(long)]
        delay_ms: Option<u64>,
        #[command(flatten)]
        target: Target,
    },
    List(Target),
    Clear(Target),
}

#[derive(Debug, Subcommand)]
pub enum ClockAction {
    Advance { secs: i64 },
    FreezeAt { unix: i64 },
    Offset { secs: i64 },
    Reset,
}

#[derive(Debug, Subcommand)]
pub enum NamespaceAction {
    Create {
        name: String,
        #[command(flatten)]
        target: Target,
    },
    Drop {
        name: String,
        #[command(flatten)]
        target: Target,
    },
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
    /// Also serve plain HTTP on this address (repeatable), e.g. for clients in containers that
    /// do not trust the CA; with --tls, the --listen addresses speak HTTPS.
    #[arg(long = "listen-http", env = "LASUITE_EMU_LISTEN_HTTP", value_delimiter = ',')]
    pub listen_http: Vec<SocketAddr>,
    /// Serve HTTPS on the --listen addresses, with a certificate from the local CA kept in the
    /// data directory (`lasuite-emu ca` tells clients to trust it).
    #[arg(long, env = "LASUITE_EMU_TLS")]
    pub tls: bool,
    /// Another name the certificate holds, besides localhost, 127.0.0.1, ::1 and the
    /// --public-url host (repeatable), e.g. host.docker.internal.
    #[arg(long = "tls-name", env = "LASUITE_EMU_TLS_NAME", value_delimiter = ',', value_name = "NAME", value_parser = tls_name)]
    pub tls_names: Vec<String>,
    /// The one base URL written into tokens, discovery, presigned and item URLs
    /// [default: http://<first listen address>, https:// with --tls].
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
    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before their
    /// connections are closed.
    #[arg(
        long,
        env = "LASUITE_EMU_SHUTDOWN_TIMEOUT",
        default_value_t = 5,
        value_name = "SECS"
    )]
    pub shutdown_timeout: u64,
    /// Seconds a client has to send a whole request head before its connection is closed.
    #[arg(
        long,
        env = "LASUITE_EMU_HEADER_READ_TIMEOUT",
        default_value_t = 30,
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub header_read_timeout: u64,
    /// Seconds a request body may send nothing before its request fails.
    #[arg(
        long,
        env = "LASUITE_EMU_BODY_IDLE_TIMEOUT",
        default_value_t = 30,
        value_name = "SECS",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub body_idle_timeout: u64,
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
    /// The token's audience (repeatable); with --exchange-for, the exchange's `audience`.
    #[arg(long)]
    pub audience: Vec<String>,
    /// Then exchange it (standard token exchange, checked as Keycloak does) by this client,
    /// e.g. `--client docs --exchange-for drive`.
    #[arg(long)]
    pub exchange_for: Option<String>,
    /// Base URL of the running emulator.
    #[arg(long, env = "LASUITE_EMU_URL", default_value = "http://127.0.0.1:8990")]
    pub url: String,
}

#[derive(Debug, Args)]
pub struct CaArgs {
    /// The data directory whose CA (tls/ca.pem) to show.
    #[arg(long, env = "LASUITE_EMU_DATA", default_value = ".lasuite-emu")]
    pub data: PathBuf,
    /// Also add the CA to the current user's NSS databases (Chromium's ~/.pki/nssdb and any
    /// Firefox profile's) with certutil; nothing system-wide.
    #[arg(long)]
    pub install: bool,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Which app the block is for.
    pub app: App,
    /// Public base URL of the emulator.
    #[arg(long, env = "LASUITE_EMU_URL", default_value = "http://127.0.0.1:8990", value_parser = http_url)]
    pub url: String,
    /// Where the browser reaches the app (its front end): the login and logout redirects land
    /// there and its host may receive them. Default: upstream's dev front end,
    /// http://localhost:3000 for docs, http://localhost:3001 for drive.
    #[arg(long, value_parser = http_url)]
    pub app_url: Option<String>,
    /// The realm name the app uses: `lasuite`, or an alias of it such as `impress` (the login
    /// page's header then shows `impress`, as upstream Docs' e2e helpers check). Docs and Drive
    /// must use the same name: a token's `iss` names it.
    #[arg(long, default_value = "lasuite", value_parser = realm_name)]
    pub realm: String,
    /// The app's backend, where its media-auth endpoint lives (for the `[[apps]]` lines).
    /// Default: upstream's dev backend, http://localhost:8071 for docs, http://localhost:8072
    /// for drive.
    #[arg(long, value_parser = http_url)]
    pub api_url: Option<String>,
    /// The emulator serves HTTPS (`serve --tls`): https URLs, OIDC_VERIFY_SSL=True and the
    /// variables that make the app's clients trust the local CA (implied by an https --url).
    #[arg(long)]
    pub tls: bool,
    /// The CA certificate the app trusts, as the app sees the path (in a container: where it
    /// is mounted) [default: <--data>/tls/ca.pem].
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// The emulator's data directory, whose tls/ca.pem the block names.
    #[arg(long, env = "LASUITE_EMU_DATA", default_value = ".lasuite-emu")]
    pub data: PathBuf,
    /// Print only the fixture lines that declare the app to the emulator (its media proxy
    /// then serves the app's `/media/` links through the app's media-auth), for `--fixtures`.
    #[arg(long)]
    pub fixture: bool,
}

fn tls_name(value: &str) -> Result<String, String> {
    crate::tls::check_name(value).map(|()| value.to_ascii_lowercase())
}

fn realm_name(value: &str) -> Result<String, String> {
    if crate::fixtures::is_valid_realm_name(value) {
        Ok(value.to_owned())
    } else {
        Err("use letters, digits, '-', '_' or '.', e.g. lasuite or impress".into())
    }
}

/// An http(s) URL with a host: anything else would make a block the app cannot use.
fn http_url(value: &str) -> Result<String, String> {
    let hint = "expected an http:// or https:// URL, e.g. http://localhost:3000";
    let parsed = url::Url::parse(value).map_err(|e| format!("{e}; {hint}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(hint.to_owned());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum App {
    Docs,
    Drive,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            Self::Docs => "docs",
            Self::Drive => "drive",
        }
    }
}
