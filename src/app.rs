//! The shared state of one running emulator, handed to every handler.

use std::sync::{Arc, PoisonError, RwLock};

use crate::clock::Clock;
use crate::db::Db;
use crate::fixtures::FixtureSet;
use crate::keys::Keys;
use crate::oidc::directory::Directory;

pub struct App {
    /// The one base URL written into `iss`, discovery and every URL handed out
    /// (no trailing slash), whatever `Host` a request carries.
    pub public_url: String,
    /// Every service's metadata (SQLite, WAL).
    pub db: Db,
    /// The state directory (`state.db`, `blobs/`, `tmp/`, `keys/`).
    pub data_dir: std::path::PathBuf,
    /// The issuer's signing keys.
    pub keys: Keys,
    /// The only source of "now" (shared with the S3 store).
    pub clock: Arc<Clock>,
    /// The fixture set reset returns to: the default with `--fixtures` files layered over it,
    /// replaced when a watched file changes.
    pub fixtures: RwLock<Arc<FixtureSet>>,
    /// Drive's settings, resolved from the fixture set's `[drive]` section.
    pub drive: RwLock<Arc<crate::drive::config::DriveConfig>>,
    /// The `--fixtures` files, watched for changes.
    pub fixture_files: Vec<std::path::PathBuf>,
    /// Bearer key the control plane requires (set when listening beyond loopback).
    pub admin_key: Option<String>,
    /// Realms and clients in memory, rebuilt from the db whenever they change.
    pub directory: RwLock<Arc<Directory>>,
    /// The S3 service and its store.
    pub s3: crate::s3::S3,
    /// The last requests, for `/_emu/journal`.
    pub journal: crate::admin::journal::Journal,
    /// Faults to inject, from `/_emu/faults`.
    pub faults: crate::admin::faults::Faults,
    /// Introspection's answers for active tokens, valid until the next write that could end
    /// one (`oidc::tokens::TokenCache`).
    pub token_cache: crate::oidc::tokens::TokenCache,
    /// Tokens answered whose rows are not written yet.
    pub pending_tokens: crate::oidc::tokens::PendingTokens,
}

impl App {
    /// The current fixture set.
    pub fn fixtures(&self) -> Arc<FixtureSet> {
        Arc::clone(&self.fixtures.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Drive's current settings.
    pub fn drive(&self) -> Arc<crate::drive::config::DriveConfig> {
        Arc::clone(&self.drive.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Makes `set` the fixture set reset returns to, with the Drive settings it holds.
    pub fn set_fixtures(&self, set: FixtureSet) -> crate::Result<()> {
        let drive = set
            .drive
            .resolve()
            .map_err(|e| crate::Error::Config(format!("[drive]: {e}")))?;
        *self.drive.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(drive);
        *self.fixtures.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
        Ok(())
    }

    /// The current realms and clients.
    pub fn directory(&self) -> Arc<Directory> {
        Arc::clone(&self.directory.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Rebuilds the directory from the db: call after changing realms or clients.
    pub async fn reload_directory(&self) -> crate::Result<()> {
        let fresh = self.db.read(Directory::load).await?;
        *self.directory.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }

    /// Rebuilds every in-memory view of the db (realms and clients, buckets, S3 keys): call
    /// after a change that may touch any of them (reset, restore, fixtures).
    pub async fn reload_caches(&self) -> crate::Result<()> {
        self.reload_directory().await?;
        self.s3.store.refresh_buckets().await?;
        let credentials = self.db.read(crate::s3::store::credentials).await?;
        self.s3.credentials.replace(credentials);
        Ok(())
    }
}

pub type AppState = Arc<App>;
