//! The shared state of one running emulator, handed to every handler.

use std::sync::Arc;

use crate::clock::Clock;
use crate::db::Db;
use crate::fixtures::FixtureSet;
use crate::keys::Keys;

pub struct App {
    /// The one base URL written into `iss`, discovery and every URL handed out
    /// (no trailing slash), whatever `Host` a request carries.
    pub public_url: String,
    /// Every service's metadata (SQLite, WAL).
    pub db: Db,
    /// The issuer's signing keys.
    pub keys: Keys,
    /// The only source of "now".
    pub clock: Clock,
    /// The fixture set applied at start (the default with `--fixtures` layered over it).
    pub fixtures: FixtureSet,
}

pub type AppState = Arc<App>;
