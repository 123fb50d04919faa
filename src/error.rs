//! Internal failures that are not a client's fault (I/O, SQLite, crypto, a bad fixture).
//!
//! This is not an HTTP type: each service maps it to its own wire format at its edge (OAuth
//! JSON `server_error`, S3 XML `InternalError`, Drive's error envelope), logging the detail and
//! sending a generic body.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A write whose group commit did not commit (`db/batch.rs`): why, as the batch saw it.
    #[error("database: {0}")]
    Batch(String),
    #[error("key material: {0}")]
    Key(String),
    #[error("fixture {path}: {message}")]
    Fixture { path: PathBuf, message: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("jwt: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
