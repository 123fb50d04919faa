//! SQLite: one file (`state.db`, WAL) holds every service's metadata.
//!
//! Every rusqlite call runs on tokio's blocking pool through [`Db::read`] and [`Db::write`],
//! never on an async worker. Writes go through one connection (SQLite has one writer anyway;
//! a single lock avoids `SQLITE_BUSY`), reads through a few reader connections that WAL lets run
//! beside the writer.

mod batch;
mod migrations;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

const READERS: usize = 4;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    // std Mutex, not tokio's: it is only locked inside blocking closures, never across `.await`.
    writer: Mutex<Connection>,
    /// Writes waiting for the writer; whoever takes it next runs them all in one transaction
    /// (group commit: see `batch.rs`).
    queue: Mutex<Vec<Box<dyn batch::Job>>>,
    /// Whether a blocking task is committing the queue: one at a time, taking batch after
    /// batch until the queue is empty, so a burst of writes costs one hand-off to the blocking
    /// pool per batch instead of one thread per write waiting for the writer.
    committing: AtomicBool,
    /// Opened when first needed: an emulator that never reads concurrently (most of a test
    /// suite's) opens one, and starts without paying for the others.
    readers: [OnceLock<Mutex<Connection>>; READERS],
    next_reader: AtomicUsize,
    /// The writer commits with `synchronous = FULL` (see [`Db::open`]).
    durable: bool,
    /// Bumped after every commit that may end a token's life (every write but
    /// [`Db::write_new_tokens`]): what caches of token validity check against.
    epoch: AtomicU64,
}

/// The one task committing the queue (it set `Inner::committing`): batch after batch, until
/// the queue is empty.
struct Committer {
    inner: Arc<Inner>,
    /// Whether this task holds `committing` (see the `Drop`).
    holds_flag: bool,
    /// Whether, dropped while holding the flag, it hands the queue to a new committer; false
    /// for that successor, so that a runtime that cannot run it any more ends the chain.
    may_hand_over: bool,
}

impl Committer {
    fn new(inner: &Arc<Inner>) -> Self {
        Self {
            inner: Arc::clone(inner),
            holds_flag: true,
            may_hand_over: true,
        }
    }

    fn run(mut self) {
        loop {
            let jobs = std::mem::take(&mut *self.inner.queue_lock());
            if !jobs.is_empty() {
                self.inner.commit_batch(jobs);
                continue;
            }
            self.inner.committing.store(false, Ordering::Release);
            self.holds_flag = false;
            // A write queued between the take and the store saw `committing` still set and
            // left its job to us: take it, unless a new committer has started meanwhile.
            if self.inner.queue_lock().is_empty() || self.inner.committing.swap(true, Ordering::AcqRel) {
                return;
            }
            self.holds_flag = true;
        }
    }
}

/// A committer ends holding the flag only when a job panicked (a bug: release builds abort)
/// or the runtime dropped it unrun (shutting down). Writes queued meanwhile are handed to a
/// successor, which holds the flag in turn; when that one cannot run either, they are
/// answered "abandoned" and the flag is cleared, so no write waits for a committer that
/// will never come.
impl Drop for Committer {
    fn drop(&mut self) {
        if !self.holds_flag {
            return;
        }
        if self.may_hand_over
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let mut successor = Committer::new(&self.inner);
            successor.may_hand_over = false;
            runtime.spawn_blocking(move || successor.run());
            return;
        }
        drop(std::mem::take(&mut *self.inner.queue_lock()));
        self.inner.committing.store(false, Ordering::Release);
    }
}

impl Inner {
    fn commit_batch(&self, jobs: Vec<Box<dyn batch::Job>>) {
        let mut conn = lock(&self.writer);
        let tokens_only = jobs.iter().all(|job| job.only_adds_tokens());
        // Should the pragma fail, the batch is synced like any other.
        let relaxed =
            self.durable && tokens_only && conn.execute_batch("PRAGMA synchronous = NORMAL;").is_ok();
        // The epoch moves before any caller hears of the commit: a token revoked is never
        // found valid in a cache afterwards.
        batch::run(&mut conn, jobs, || {
            if !tokens_only {
                self.epoch.fetch_add(1, Ordering::Release);
            }
        });
        if relaxed && let Err(error) = conn.execute_batch("PRAGMA synchronous = FULL;") {
            tracing::error!(%error, "could not restore synchronous = FULL after a token batch");
        }
    }

    fn queue_lock(&self) -> MutexGuard<'_, Vec<Box<dyn batch::Job>>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A free reader, rotating over the open ones; opens another when all are busy and one is
    /// left unopened; else waits on one.
    fn reader(&self) -> Result<MutexGuard<'_, Connection>> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..READERS {
            if let Some(Ok(conn)) = self.readers[(start + i) % READERS].get().map(Mutex::try_lock) {
                return Ok(conn);
            }
        }
        if let Some(slot) = self.readers.iter().find(|slot| slot.get().is_none()) {
            let conn = open_connection(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            // Another thread may have filled the slot meanwhile: then this connection is dropped.
            return Ok(lock(slot.get_or_init(|| Mutex::new(conn))));
        }
        let slot = &self.readers[start % READERS];
        Ok(lock(slot.get().expect("every reader is open")))
    }
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    ///
    /// `durable`: the writer commits with `synchronous = FULL`, so the WAL is on disk before a
    /// commit returns and an OS crash or power loss cannot roll back a write already answered
    /// (`NORMAL`, in WAL mode, only syncs at checkpoints: the last commits may vanish). Without
    /// it (`--ephemeral`, state deleted on exit, bodies not fsynced either) commits never sync.
    pub fn open(path: &Path, durable: bool) -> Result<Self> {
        if !path.exists() {
            create_from_template(path, durable)?;
        }
        let mut writer = open_connection(path, OpenFlags::default())?;
        writer.execute_batch(if durable {
            "PRAGMA synchronous = FULL;"
        } else {
            "PRAGMA synchronous = OFF;"
        })?;
        migrations::migrate(&mut writer)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                queue: Mutex::default(),
                committing: AtomicBool::new(false),
                readers: Default::default(),
                next_reader: AtomicUsize::new(0),
                durable,
                epoch: AtomicU64::new(0),
            }),
        })
    }

    /// Runs `f` on a reader connection, on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&*inner.reader()?)).await?
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer, on the blocking pool: its
    /// changes commit when it returns `Ok` and are rolled back otherwise, and `Ok` comes back
    /// once they are committed (synced, when durable). Writes queued meanwhile share the
    /// transaction and its sync, each in a savepoint of its own (group commit, `batch.rs`).
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.enqueue(f, false).await
    }

    /// Like [`Db::write`], for writes that only add new tokens: a batch of nothing else is not
    /// synced (a token lost in a crash only makes a client log in again, which Keycloak's own
    /// restarts do too), and they do not move [`Db::epoch`], since no token ends by them.
    pub async fn write_new_tokens<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.enqueue(f, true).await
    }

    /// Like [`Db::write_new_tokens`], without waiting: the write is queued when this returns
    /// (so any write queued later applies after it), and `then` gets its outcome on the
    /// committer, once its batch has committed or failed. For a caller that answers before
    /// its tokens' rows exist and tracks them meanwhile (`oidc::tokens::PendingTokens`).
    pub fn submit_new_tokens<F>(&self, f: F, then: impl FnOnce(Result<()>) + Send + 'static)
    where
        F: FnOnce(&Transaction<'_>) -> Result<()> + Send + 'static,
    {
        self.push(Box::new(batch::Queued::then(f, true, then)));
    }

    async fn enqueue<T, F>(&self, f: F, only_adds_tokens: bool) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (job, answer) = batch::Queued::new(f, only_adds_tokens);
        self.push(Box::new(job));
        answer
            .await
            .unwrap_or_else(|_| Err(Error::Batch("its batch was abandoned".to_owned())))
    }

    /// Queues `job` and starts the committer unless one is running.
    fn push(&self, job: Box<dyn batch::Job>) {
        self.inner.queue_lock().push(job);
        if !self.inner.committing.swap(true, Ordering::AcqRel) {
            let committer = Committer::new(&self.inner);
            tokio::task::spawn_blocking(move || committer.run());
        }
    }

    /// Changes with every commit that may have ended a token's life (revocation, logout, a
    /// user or client changed, reset, restore): an answer cached at one epoch is stale at
    /// another.
    pub fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    /// Runs `f` on the writer connection, outside any transaction, on the blocking pool: for
    /// what cannot run inside one (`VACUUM INTO`, `ATTACH`). It runs after every write queued
    /// before it has committed, as a queued write would (token rows answered before their
    /// commit included: a snapshot holds them, a restore replaces them).
    pub async fn with_writer<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.write_new_tokens(|_| Ok(())).await?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let value = f(&mut lock(&inner.writer));
            inner.epoch.fetch_add(1, Ordering::Release);
            value
        })
        .await?
    }

    /// Same as [`Db::read`] but on the calling thread: for start-up code that is not async yet.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        f(&*self.inner.reader()?)
    }

    /// Same as [`Db::write`] but on the calling thread: for start-up code that is not async yet.
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        self.inner.epoch.fetch_add(1, Ordering::Release);
        Ok(value)
    }
}

/// Writes a new database file: a copy of one migrated once per process. Running the migrations
/// (a few milliseconds of DDL) was the largest part of an in-process start, and a test suite
/// starts many emulators. The copy is written beside `path` and renamed into place.
fn create_from_template(path: &Path, durable: bool) -> Result<()> {
    static TEMPLATE: OnceLock<std::result::Result<Vec<u8>, String>> = OnceLock::new();
    let template = TEMPLATE
        .get_or_init(|| migrated_template().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Config(format!("building the empty database: {e}")))?;
    let partial = path.with_extension("db-new");
    let create = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&partial)?;
        std::io::Write::write_all(&mut file, template)?;
        if durable {
            file.sync_all()?;
        }
        std::fs::rename(&partial, path)?;
        if durable && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    create().map_err(|e| Error::io(format!("creating {}", path.display()), e))
}

/// The bytes of an empty database at the latest schema version, in WAL mode.
fn migrated_template() -> Result<Vec<u8>> {
    let mut conn = Connection::open_in_memory()?;
    migrations::migrate(&mut conn)?;
    // VACUUM INTO syncs its output as the source's `synchronous` says: this file is read
    // back at once and thrown away, so nothing of it needs to reach the disk.
    conn.execute_batch("PRAGMA synchronous = OFF;")?;
    let dir = tempfile::tempdir().map_err(|e| Error::io("creating a temporary directory", e))?;
    let file = dir.path().join("template.db");
    conn.execute("VACUUM INTO ?1", [file.to_string_lossy()])?;
    let mut bytes = std::fs::read(&file).map_err(|e| Error::io("reading the template database", e))?;
    // The file format's read and write versions (header bytes 18 and 19) are 2 in WAL mode:
    // a copy opens in WAL mode at once, without the journalled write (and its syncs) that
    // switching a new file's journal mode costs.
    if bytes.len() >= 20 {
        bytes[18] = 2;
        bytes[19] = 2;
    }
    Ok(bytes)
}

fn lock(mutex: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave the connection half-used: SQLite rolls back
    // an unfinished transaction when the next one begins. So a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Readers never commit; the writer's `synchronous` is set by `Db::open`.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -2000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(Error::from)?;
    // The stores prepare their statements through this cache (`prepare_cached`): parsing and
    // planning an insert with its triggers and foreign keys costs more than running it. It
    // holds every statement of the hot paths; entries are made on first use.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Drive's title filter is PostgreSQL's `unaccent(title) ILIKE unaccent(%q%)`.
    conn.create_scalar_function(
        "drive_fold",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(ctx
                .get::<Option<String>>(0)?
                .map(|text| crate::drive::files::fold(&text)))
        },
    )?;
    Ok(conn)
}
