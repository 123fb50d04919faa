//! lasuite-emu: one process that emulates the three servers of La Suite's Docs -> Drive -> S3
//! flow: a Keycloak-compatible OIDC issuer, an S3 store, and Drive's external API.
//!
//! The library is what tests use to run an emulator in-process (state in a temporary
//! directory, a free port, ready in milliseconds):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> lasuite_emu::Result<()> {
//! let emu = lasuite_emu::Emulator::builder().start().await?;
//! assert!(emu.issuer("lasuite").ends_with("/realms/lasuite"));
//!
//! // A token for alice as the Docs client, without a browser.
//! let tokens = emu.mint_token("docs", "alice").await?;
//! assert_eq!(tokens.expires_in, 300); // as the upstream dev realms
//!
//! // Move time to expire it, then go back to the fixture state.
//! emu.clock().advance(24 * 3600);
//! emu.reset().await?;
//! emu.stop().await;
//! # Ok(()) }
//! ```
//!
//! Fixtures layer over the embedded default:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> lasuite_emu::Result<()> {
//! let emu = lasuite_emu::Emulator::builder()
//!     .fixture_toml(
//!         r#"
//!         [[realms]]
//!         name = "lasuite"
//!         [[realms.users]]
//!         username = "carol"
//!         password = "carol"
//!         email = "carol@example.com"
//!         "#,
//!     )
//!     .frozen_clock(1_900_000_000)
//!     .start()
//!     .await?;
//! let tokens = emu.mint_token("drive", "carol").await?;
//! assert!(!tokens.access_token.is_empty());
//! # Ok(()) }
//! ```
//!
//! Layout (see ARCHITECTURE.md): `server` binds and dispatches; `oidc`, `s3` and (later)
//! `drive` are the services; `db`, `keys`, `clock` and `fixtures` are what they share.

pub mod admin;
pub mod app;
pub mod ca;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conn;
pub mod ctl;
pub mod db;
pub mod demo;
pub mod drive;
pub mod envblock;
pub mod error;
pub mod fixtures;
pub mod glob;
pub mod keys;
pub mod media_proxy;
pub mod oidc;
pub mod s3;
pub mod server;
pub mod tls;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use config::{Config, Storage};
pub use error::{Error, Result};
pub use fixtures::FixtureSet;
pub use oidc::tokens::IssuedTokens;

/// Entry point of the library API.
pub struct Emulator;

impl Emulator {
    /// An ephemeral emulator on `127.0.0.1:0` with the default fixture, unless told otherwise.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            config: Config::default(),
            listen_set: false,
            fixture_error: None,
            clock: ClockStart::System,
        }
    }
}

/// Configures an emulator before starting it.
pub struct EmulatorBuilder {
    config: Config,
    /// Whether `listen` was called: the first call replaces the default address.
    listen_set: bool,
    fixture_error: Option<Error>,
    clock: ClockStart,
}

/// Where the emulator's clock starts.
#[derive(Debug, Clone, Copy)]
enum ClockStart {
    System,
    Offset(i64),
    FrozenAt(i64),
}

impl EmulatorBuilder {
    /// Listen on `addr` instead of `127.0.0.1:0` (call again to add addresses).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        if !self.listen_set {
            self.config.listen.clear();
            self.listen_set = true;
        }
        self.config.listen.push(addr);
        self
    }

    /// Serve HTTPS on the listen addresses, with a certificate from the local CA in the data
    /// directory (a fresh CA per run when ephemeral): see [`RunningEmulator::ca_path`].
    #[must_use]
    pub fn tls(mut self, on: bool) -> Self {
        self.config.tls = on;
        self
    }

    /// Another name the certificate holds (besides localhost, 127.0.0.1, ::1 and the public
    /// URL's host).
    #[must_use]
    pub fn tls_name(mut self, name: &str) -> Self {
        match tls::check_name(name) {
            Ok(()) => self.config.tls_names.push(name.to_ascii_lowercase()),
            Err(message) => self.fixture_error = Some(Error::Config(message)),
        }
        self
    }

    /// Also serve plain HTTP on `addr` (with [`EmulatorBuilder::tls`], the listen addresses
    /// speak HTTPS and this one does not).
    #[must_use]
    pub fn listen_http(mut self, addr: SocketAddr) -> Self {
        self.config.listen_http.push(addr);
        self
    }

    /// The base URL written into tokens and URLs (default: the first bound address).
    #[must_use]
    pub fn public_url(mut self, url: &str) -> Self {
        match config::normalize_public_url(url) {
            Ok(url) => self.config.public_url = Some(url),
            Err(error) => self.fixture_error = Some(error),
        }
        self
    }

    /// Keep state in `dir` (kept after stop) instead of a temporary directory.
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.storage = Storage::Dir(dir.into());
        self
    }

    /// Layer a fixture file (TOML, JSON or a Keycloak realm export) over the default.
    #[must_use]
    pub fn fixture_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        match FixtureSet::load(path.as_ref()) {
            Ok(set) => {
                self.config.fixtures.merge(set);
                // Watched while serving, as `--fixtures` files are.
                self.config.fixture_files.push(path.as_ref().to_path_buf());
            }
            Err(error) => self.fixture_error = Some(error),
        }
        self
    }

    /// Layer fixture text (TOML) over the default.
    #[must_use]
    pub fn fixture_toml(mut self, text: &str) -> Self {
        match FixtureSet::parse(text, std::path::Path::new("<inline fixture>.toml")) {
            Ok(set) => self.config.fixtures.merge(set),
            Err(error) => self.fixture_error = Some(error),
        }
        self
    }

    /// Require this bearer key on the control plane (`/_emu`), even on loopback.
    #[must_use]
    pub fn admin_key(mut self, key: &str) -> Self {
        self.config.admin_key = Some(key.to_owned());
        self
    }

    /// Start with the clock shifted from the system time by `secs` (see [`RunningEmulator::clock`]).
    #[must_use]
    pub fn clock_offset(mut self, secs: i64) -> Self {
        self.clock = ClockStart::Offset(secs);
        self
    }

    /// Start with the clock frozen at Unix time `unix_secs`.
    #[must_use]
    pub fn frozen_clock(mut self, unix_secs: i64) -> Self {
        self.clock = ClockStart::FrozenAt(unix_secs);
        self
    }

    /// How long [`RunningEmulator::stop`] lets requests in flight finish before closing their
    /// connections (default 5 s).
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.timeouts.shutdown = timeout;
        self
    }

    /// How long a client has to send a whole request head (default 30 s).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.timeouts.header_read = timeout;
        self
    }

    /// How long a request body may send nothing before its request fails (default 30 s).
    #[must_use]
    pub fn body_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.config.timeouts.body_idle = timeout;
        self
    }

    /// Starts serving; returns once requests are answered.
    pub async fn start(self) -> Result<RunningEmulator> {
        if let Some(error) = self.fixture_error {
            return Err(error);
        }
        let inner = server::start(self.config).await?;
        match self.clock {
            ClockStart::System => {}
            ClockStart::Offset(secs) => inner.app().clock.set_offset(secs),
            ClockStart::FrozenAt(at) => inner.app().clock.freeze_at(at),
        }
        Ok(RunningEmulator { inner })
    }
}

/// A running emulator. Dropping it stops it.
pub struct RunningEmulator {
    inner: server::Running,
}

impl RunningEmulator {
    /// Public base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        self.inner.url()
    }

    /// Issuer URL of a realm (or alias): `{url}/realms/{realm}`.
    pub fn issuer(&self, realm: &str) -> String {
        format!("{}/realms/{realm}", self.url())
    }

    pub fn local_addrs(&self) -> &[SocketAddr] {
        self.inner.local_addrs()
    }

    /// The local CA certificate (PEM) a client must trust, when serving HTTPS.
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.inner.ca_path()
    }

    /// The state directory (a temporary one unless `data_dir` was set).
    pub fn data_dir(&self) -> &std::path::Path {
        self.inner.data_dir()
    }

    /// The emulator's clock: tests move it to expire tokens without sleeping.
    pub fn clock(&self) -> &clock::Clock {
        &self.inner.app().clock
    }

    /// Mints tokens for `username` as client `client_id` in realm `lasuite`, as if the user
    /// had logged in (same as `POST /_emu/tokens`).
    pub async fn mint_token(&self, client_id: &str, username: &str) -> Result<IssuedTokens> {
        self.mint(admin::MintRequest::new(client_id, username)).await
    }

    /// Mints tokens with every option of `POST /_emu/tokens`.
    pub async fn mint(&self, request: admin::MintRequest) -> Result<IssuedTokens> {
        admin::mint_token(self.inner.app(), request)
            .await
            .map_err(|e| Error::Config(format!("{}: {}", e.error, e.description)))
    }

    /// The emulator's shared state, for benchmarks and white-box tests (not a stable API).
    #[doc(hidden)]
    pub fn app(&self) -> &app::AppState {
        self.inner.app()
    }

    /// The key the control plane requires, if any (set, or generated when listening beyond
    /// loopback).
    pub fn admin_key(&self) -> Option<&str> {
        self.inner.app().admin_key.as_deref()
    }

    /// The S3 endpoint (the same origin: path-style buckets on the main port).
    pub fn s3_endpoint(&self) -> &str {
        self.url()
    }

    /// The S3 credentials of the fixture, as `(access key, secret key)` pairs.
    pub fn s3_credentials(&self) -> Vec<(String, String)> {
        self.inner
            .app()
            .fixtures()
            .s3
            .credentials
            .iter()
            .map(|c| (c.access_key.clone(), c.secret_key.clone()))
            .collect()
    }

    /// Back to the fixture state: every user, client, session, token, bucket and object
    /// created since the start goes, and the clock follows the system time again.
    pub async fn reset(&self) -> Result<()> {
        admin::state::reset(self.inner.app()).await
    }

    /// Writes the whole state (every table, every object body) to `path`, one file.
    pub async fn snapshot(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        admin::snapshot::snapshot(self.inner.app(), path.as_ref()).await
    }

    /// Replaces the whole state with a snapshot written by [`RunningEmulator::snapshot`].
    pub async fn restore(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        admin::snapshot::restore(self.inner.app(), path.as_ref()).await
    }

    /// Stops serving and waits for in-flight requests, up to the shutdown timeout; returns how
    /// many connections were still open then and closed.
    pub async fn stop(self) -> usize {
        self.inner.stop().await
    }
}
