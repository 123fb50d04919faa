//! Start-up and shutdown: bind the listeners, derive the public URL from the bound address,
//! open state, apply fixtures, build the router and serve until told to stop.
//!
//! One port serves every service. Requests whose first path segment is reserved go to the
//! axum routes; everything else is S3 (path-style), so a bucket can never be named like a
//! reserved segment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::{App, AppState};
use crate::clock::Clock;
use crate::config::{Config, Storage, default_public_url_for};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::keys::Keys;
use crate::oidc::directory::Directory;
use crate::{admin, oidc, s3, web};

/// First path segments that belong to the emulator itself; none can be a bucket name.
pub const RESERVED_SEGMENTS: &[&str] = &["realms", "external_api", "media", "_emu", "static", "favicon.ico"];

/// A running emulator. Dropping it stops serving (without waiting); [`Running::stop`] waits.
pub struct Running {
    app: AppState,
    addrs: Vec<SocketAddr>,
    data_dir: PathBuf,
    /// The local CA's certificate, with `--tls`.
    ca_path: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    /// Listener tasks (each returns how many connections the shutdown deadline cut) and the
    /// fixture watcher.
    tasks: JoinSet<usize>,
    /// Keeps an ephemeral data directory alive; removed when dropped.
    _tempdir: Option<tempfile::TempDir>,
}

impl Running {
    /// The public base URL (no trailing slash).
    pub fn url(&self) -> &str {
        &self.app.public_url
    }

    /// The addresses actually bound (port 0 resolved).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The local CA's certificate (PEM) that clients must trust, when serving HTTPS.
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.ca_path.as_deref()
    }

    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// Stops accepting connections and lets in-flight requests finish, up to the shutdown
    /// deadline (`--shutdown-timeout`); connections still open then are closed, and one line
    /// says how many. Returns that number.
    pub async fn stop(mut self) -> usize {
        let _ = self.shutdown.send(true);
        let mut cut = 0;
        while let Some(joined) = self.tasks.join_next().await {
            cut += joined.unwrap_or(0);
        }
        // Token rows are written after their answers: the last ones are written before a stop.
        if let Err(error) = crate::oidc::tokens::rows_written(&self.app).await {
            tracing::warn!(%error, "the rows of the last tokens issued could not be written");
        }
        if cut > 0 {
            tracing::warn!(
                connections = cut,
                "shutdown deadline passed: closed the connections still open"
            );
        }
        cut
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts an emulator as configured and returns once it is serving.
pub async fn start(config: Config) -> Result<Running> {
    let mut listeners = Vec::with_capacity(config.listen.len() + config.listen_http.len());
    let flagged = config
        .listen
        .iter()
        .map(|a| (a, config.tls, "--listen"))
        .chain(config.listen_http.iter().map(|a| (a, false, "--listen-http")));
    for (addr, tls, flag) in flagged {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(*addr, flag, e))?;
        listeners.push((listener, tls));
    }
    let addrs = listeners
        .iter()
        .map(|(l, _)| l.local_addr())
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io("reading the bound address", e))?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| default_public_url_for(addrs[0], config.tls));
    if config.tls && public_url.starts_with("http:") {
        tracing::warn!(%public_url, "--tls with an http:// --public-url: URLs handed out name plain HTTP");
    }
    // The control plane can reset or read everything: beyond loopback it needs a key.
    let admin_key = config.admin_key.clone().or_else(|| {
        addrs
            .iter()
            .any(|a| !a.ip().is_loopback())
            .then(|| crate::oidc::tokens::random_id(24))
    });

    let timeouts = config.timeouts;
    // Opening SQLite, reading keys and applying fixtures are blocking work.
    let prepared =
        tokio::task::spawn_blocking(move || prepare_state(config, public_url, admin_key)).await??;
    let (app, data_dir, tempdir, ready_file, tls) = prepared;

    let router = router(Arc::clone(&app));
    let (shutdown, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let https = tls.as_ref().map(|tls| crate::conn::Transport::Https {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::clone(&tls.server_config)),
        https_url: app.public_url.clone(),
    });
    for (listener, speaks_tls) in listeners {
        let transport = match (&https, speaks_tls) {
            (Some(https), true) => https.clone(),
            _ => crate::conn::Transport::Http,
        };
        tasks.spawn(crate::conn::serve(
            listener,
            router.clone(),
            timeouts,
            transport,
            stopped.clone(),
        ));
    }

    if !app.fixture_files.is_empty() {
        let watch = crate::admin::reload::watch(Arc::clone(&app), stopped.clone());
        tasks.spawn(async move {
            watch.await;
            0
        });
    }
    // A fresh ephemeral directory has nothing to sweep. The sweep waits a moment, so that it
    // does not compete with the first requests for the CPU; a stop before it began skips it
    // (the next start sweeps).
    if tempdir.is_none() {
        let app = Arc::clone(&app);
        let mut stop = stopped.clone();
        tasks.spawn(async move {
            let waited = tokio::select! {
                () = tokio::time::sleep(SWEEP_DELAY) => true,
                _ = stop.wait_for(|stop| *stop) => false,
            };
            if waited {
                sweep_orphan_bodies(app).await;
            }
            0
        });
    }
    let ca_path = tls.map(|tls| tls.ca_path);
    if let Some(path) = ready_file {
        let mut body = json!({"url": app.public_url, "pid": std::process::id()});
        if let Some(ca) = &ca_path {
            body["ca"] = ca.display().to_string().into();
        }
        write_ready_file(&path, &body.to_string()).await?;
    }
    Ok(Running {
        app,
        addrs,
        data_dir,
        ca_path,
        shutdown,
        tasks,
        _tempdir: tempdir,
    })
}

/// One line that says which address is taken and which flag chose it.
fn bind_error(addr: SocketAddr, flag: &str, error: std::io::Error) -> Error {
    let reason = if error.kind() == std::io::ErrorKind::AddrInUse {
        "address already in use (another lasuite-emu?); pick another port".to_owned()
    } else {
        error.to_string()
    };
    Error::Config(format!("cannot listen on {addr} ({flag}): {reason}"))
}

type Prepared = (
    AppState,
    PathBuf,
    Option<tempfile::TempDir>,
    Option<PathBuf>,
    Option<crate::tls::Tls>,
);

fn prepare_state(config: Config, public_url: String, admin_key: Option<String>) -> Result<Prepared> {
    let (data_dir, tempdir, keys) = match &config.storage {
        Storage::Dir(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating --data {}", dir.display()), e))?;
            (dir.clone(), None, Keys::load_or_generate(&dir.join("keys"))?)
        }
        Storage::Ephemeral => {
            let tempdir = tempfile::Builder::new()
                .prefix("lasuite-emu-")
                .tempdir()
                .map_err(|e| Error::io("creating the ephemeral data directory", e))?;
            (
                tempdir.path().to_path_buf(),
                Some(tempdir),
                Keys::insecure_test_keys()?,
            )
        }
    };
    let tls = if config.tls {
        let names = crate::tls::names_for(&public_url, &config.tls_names);
        let paths = crate::tls::Paths::in_data_dir(&data_dir);
        // Certificates are checked by clients against the real time, not the emulator's clock.
        Some(crate::tls::load_or_issue(&paths, &names, Clock::system().now())?)
    } else {
        None
    };
    let durable = matches!(config.storage, Storage::Dir(_));
    let db = Db::open(&data_dir.join("state.db"), durable)?;
    let clock = Arc::new(Clock::system());
    let now = clock.now();
    db.write_blocking(|tx| {
        config.fixtures.apply(tx, now)?;
        oidc::store::purge_expired(tx, now)
    })?;
    let directory = db.read_blocking(Directory::load)?;
    let s3 = open_s3(&db, &data_dir, &clock, durable)?;
    let app = Arc::new(App {
        public_url,
        data_dir: data_dir.clone(),
        db,
        keys,
        clock,
        drive: RwLock::new(Arc::new(
            config
                .fixtures
                .drive
                .resolve()
                .map_err(|e| Error::Config(format!("[drive]: {e}")))?,
        )),
        fixtures: RwLock::new(Arc::new(config.fixtures)),
        fixture_files: config.fixture_files,
        admin_key,
        directory: RwLock::new(Arc::new(directory)),
        s3,
        journal: Default::default(),
        faults: Default::default(),
        token_cache: Default::default(),
        pending_tokens: Default::default(),
    });
    Ok((app, data_dir, tempdir, config.ready_file, tls))
}

/// Opens the object store: bodies under `blobs/` (orphans are swept once serving, by
/// `sweep_orphan_bodies`).
fn open_s3(db: &Db, data_dir: &std::path::Path, clock: &Arc<Clock>, durable: bool) -> Result<s3::S3> {
    let blobs = s3::blobs::Blobs::open(data_dir, durable).map_err(|e| Error::io("opening blobs/", e))?;
    let credentials = s3::auth::Credentials::default();
    credentials.replace(db.read_blocking(s3::store::credentials)?);
    let store = s3::Store::open(db.clone(), blobs, Arc::clone(clock))?;
    Ok(s3::S3::new(store, credentials))
}

/// How long after a start the sweep of orphan bodies begins.
const SWEEP_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Removes the bodies an interrupted write left (placed, but no row committed to name them),
/// beside requests: reading every row and listing every body grows with the data, and a start
/// must not. A stop waits for it.
async fn sweep_orphan_bodies(app: AppState) {
    let store = Arc::clone(&app.s3.store);
    let swept = async {
        // A restore or reset in between would change both the rows and the bodies.
        let _exclusive = store.blobs.exclusive.lock().await;
        let referenced = app.db.read(s3::store::referenced_blobs).await?;
        let sweeping = Arc::clone(&store);
        let swept = tokio::task::spawn_blocking(move || sweeping.blobs.sweep(&referenced)).await?;
        swept.map_err(|e| Error::io("sweeping blobs/", e))
    };
    match swept.await {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "removed object bodies no row referred to"),
        Err(error) => tracing::warn!(%error, "the sweep of orphan object bodies failed"),
    }
}

/// Writes the ready file atomically, so a watcher never reads half of it.
async fn write_ready_file(path: &std::path::Path, body: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    tokio::fs::write(&tmp, body)
        .await
        .map_err(|e| Error::io(format!("writing --ready-file {}", path.display()), e))?;
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(|e| Error::io(format!("writing --ready-file {}", path.display()), e))
}

/// Every route of every service on one router.
pub fn router(app: AppState) -> Router {
    Router::new()
        .merge(oidc::routes())
        .merge(admin::routes())
        .merge(crate::drive::routes())
        .merge(web::routes())
        .fallback(dispatch_unrouted)
        .method_not_allowed_fallback(method_not_allowed)
        // Each layer wraps those before it: the journal, last, sees every request, refusals by
        // the admin key and injected faults included.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            admin::faults::inject,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            admin::require_key,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            admin::journal::record,
        ))
        .with_state(app)
}

/// A reserved path no route matched is a JSON 404; anything else is S3's.
async fn dispatch_unrouted(State(app): State<AppState>, req: Request) -> Response {
    let first = req
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    if RESERVED_SEGMENTS.contains(&first) {
        // An S3 client aiming at a reserved name gets S3's answer, not a JSON 404.
        if let Some(answer) = s3::reserved_name_answer(&req) {
            return answer;
        }
        let body = json!({"error": "not_found", "error_description": format!("No endpoint at {}", req.uri().path())});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    s3::handle(&app.s3, req).await
}

async fn method_not_allowed(req: Request) -> Response {
    let body = json!({
        "error": "invalid_request",
        "error_description": format!("Method {} is not allowed on {}", req.method(), req.uri().path()),
    });
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}
