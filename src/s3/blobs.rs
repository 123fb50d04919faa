//! Object bodies. A new version's body of at most [`INLINE_MAX`] bytes is kept in memory and
//! stored in its row (`StoredBody::Inline`), committed and synced with it. Larger bodies, and
//! every multipart part, are files: one immutable file per object version or part, named by a
//! random id under `blobs/<2 hex>/`, so no key (long, with `..`, `a` next to `a/b`) ever
//! becomes a path.
//!
//! A file body streams to `tmp/`, hashed on the way, is fsynced (when durable) and renamed into
//! `blobs/` before the caller commits the row that names it: a crash leaves at worst an
//! unreferenced file, swept at the next start, never a row without its body. A copy is a hard
//! link, so copying an object onto itself costs no I/O. Readers open a body with an
//! [`Opener`] inside the database read that found its row.

use std::collections::HashSet;
use std::io::{self, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use md5::{Digest as _, Md5};
use s3s::checksum::ChecksumHasher;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::model::StoredBody;

/// Read chunk for GET bodies: large enough for GB/s, small enough to keep memory flat.
const READ_CHUNK: usize = 256 * 1024;
const WRITE_BUFFER: usize = 1024 * 1024;
/// Bodies up to this size are held in memory: gathered and written in one go, read whole.
pub const SMALL_BODY: usize = 256 * 1024;
/// Bodies of new versions up to this size are kept in their row rather than in a file, as
/// MinIO inlines objects up to 128 KiB in their xl.meta.
pub const INLINE_MAX: usize = 128 * 1024;

/// Chunks received, as one buffer.
fn concat(chunks: Vec<Bytes>) -> Bytes {
    match <[Bytes; 1]>::try_from(chunks) {
        Ok([one]) => one,
        Err(chunks) => chunks.concat().into(),
    }
}

/// How often a reader looks a row up again when the body it named was just removed: each
/// retry means a newer row committed, so a few are plenty.
pub const REOPEN_ATTEMPTS: usize = 8;

/// The error when a body vanished `REOPEN_ATTEMPTS` times in a row.
pub fn gone_again() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "the object's body was replaced while being opened",
    )
}

#[derive(Debug)]
pub struct Blobs {
    root: std::sync::Arc<Path>,
    tmp: PathBuf,
    /// fsync bodies and directories before a row names them. Off for `--ephemeral` state,
    /// which is deleted on exit anyway.
    durable: bool,
    /// The end of every name this process gives a blob (`-` and 8 random hex digits): the
    /// sweep of orphans leaves them alone, since their rows may be about to commit.
    generation: String,
    /// Held by whatever replaces every blob or looks at them all (a reset, a restore, the
    /// sweep), so that none of them sees the store half replaced by another.
    pub exclusive: tokio::sync::Mutex<()>,
}

fn blob_path(root: &Path, name: &str) -> PathBuf {
    root.join(name.get(..2).unwrap_or("00")).join(name)
}

/// Opens blobs by name without the async runtime (see [`Blobs::opener`]).
pub struct Opener {
    root: std::sync::Arc<Path>,
}

/// A version's body, opened for a reader.
pub enum Opened {
    /// The version has no body (an empty object written without one).
    Empty,
    /// The whole body, read at once: small bodies, which a file handle would only cost
    /// more hand-offs for.
    InMemory(Bytes),
    File(std::fs::File),
}

/// A body as a stream of chunks.
pub type BodyStream = std::pin::Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + Sync>>;

impl Opened {
    /// `range` of the body (all of it when None), as a stream of chunks. The range is checked
    /// against the version's size by the caller; it is clamped here too, so that a body
    /// shorter than its row says cannot make a slice panic.
    pub async fn stream(self, range: Option<Range<u64>>) -> io::Result<BodyStream> {
        Ok(match self {
            Opened::Empty => Box::pin(futures_util::stream::empty()),
            Opened::InMemory(bytes) => {
                let clamp = |at: u64| usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
                let chunk = match range {
                    Some(range) => bytes.slice(clamp(range.start)..clamp(range.end).max(clamp(range.start))),
                    None => bytes,
                };
                Box::pin(futures_util::stream::iter([Ok(chunk)]))
            }
            Opened::File(file) => Box::pin(Blobs::stream(tokio::fs::File::from_std(file), range).await?),
        })
    }
}

impl Opener {
    /// Opens the body of `version` (read on `conn` when kept in its row), reading a file whole
    /// when it is at most `in_memory_up_to` bytes; `None` when it is gone (an overwrite
    /// superseded the row: look again).
    pub fn open(
        &self,
        conn: &rusqlite::Connection,
        version: &super::model::ObjectVersion,
        in_memory_up_to: u64,
    ) -> crate::Result<Option<Opened>> {
        if version.body_inline {
            return Ok(super::store::inline_body(conn, version.id)?.map(Opened::InMemory));
        }
        let Some(name) = &version.blob else {
            return Ok(Some(Opened::Empty));
        };
        let opened = std::fs::File::open(blob_path(&self.root, name)).and_then(|mut file| {
            if u64::try_from(version.size).is_ok_and(|size| size <= in_memory_up_to) {
                let mut body = Vec::new();
                io::Read::read_to_end(&mut file, &mut body)?;
                Ok(Opened::InMemory(Bytes::from(body)))
            } else {
                Ok(Opened::File(file))
            }
        });
        match opened {
            Ok(opened) => Ok(Some(opened)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(crate::Error::io("opening an object body", error)),
        }
    }

    /// At most `max` bytes from the start of `version`'s body; `None` when it is gone.
    pub fn read_prefix(
        &self,
        conn: &rusqlite::Connection,
        version: &super::model::ObjectVersion,
        max: u64,
    ) -> crate::Result<Option<Vec<u8>>> {
        let end = usize::try_from(max).unwrap_or(usize::MAX);
        Ok(match self.open(conn, version, 0)? {
            None => None,
            Some(Opened::Empty) => Some(Vec::new()),
            Some(Opened::InMemory(bytes)) => Some(bytes[..end.min(bytes.len())].to_vec()),
            Some(Opened::File(file)) => {
                let mut head = Vec::new();
                io::Read::read_to_end(&mut io::Read::take(file, max), &mut head)
                    .map_err(|e| crate::Error::io("reading an object body", e))?;
                Some(head)
            }
        })
    }
}

/// A body received: written and renamed into place, or kept in memory for its row.
pub struct Written {
    pub body: StoredBody,
    pub size: u64,
    pub md5: [u8; 16],
    pub checksums: s3s::dto::Checksum,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("storage: {0}")]
    Io(#[from] io::Error),
    /// The client's body stream failed (disconnect, bad aws-chunked framing, bad signature).
    #[error("request body: {0}")]
    Body(String),
    #[error("body larger than {0} bytes")]
    TooLarge(u64),
}

impl Blobs {
    /// Opens the store under `data_dir`, emptying `tmp/` (bodies of requests a stop cut short).
    pub fn open(data_dir: &Path, durable: bool) -> io::Result<Self> {
        let root = data_dir.join("blobs");
        let tmp = data_dir.join("tmp");
        std::fs::create_dir_all(&root)?;
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        let generation = format!("-{:08x}", rand::random::<u32>());
        Ok(Self {
            root: root.into(),
            tmp,
            durable,
            generation,
            exclusive: tokio::sync::Mutex::new(()),
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        blob_path(&self.root, name)
    }

    /// What opens bodies from inside a blocking task (a database read), so that a GET looks
    /// its row up and opens its body in one hand-off to the blocking pool.
    pub fn opener(&self) -> Opener {
        Opener {
            root: self.root.clone(),
        }
    }

    fn new_name(&self) -> String {
        format!("{}{}", uuid::Uuid::new_v4().simple(), self.generation)
    }

    /// Streams `body` into a new blob, computing its MD5 and the checksums `hasher` was set up
    /// for; a body of at most `inline_up_to` bytes is kept in memory instead, for its row.
    /// Nothing is left behind if the stream fails or exceeds `limit` bytes.
    pub async fn write<S, E>(
        &self,
        mut body: S,
        mut hasher: ChecksumHasher,
        limit: u64,
        inline_up_to: Option<usize>,
    ) -> Result<Written, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut md5 = Md5::new();
        let mut size = 0u64;
        let mut take = |chunk: Result<Bytes, E>| -> Result<Bytes, WriteError> {
            let chunk = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(WriteError::TooLarge(limit));
            }
            md5.update(&chunk);
            hasher.update(&chunk);
            Ok(chunk)
        };
        // Small bodies (most objects) are gathered in memory and written with one blocking call.
        let mut small = Vec::new();
        let mut small_len = 0;
        while small_len <= SMALL_BODY {
            match body.next().await {
                Some(chunk) => {
                    let chunk = take(chunk)?;
                    small_len += chunk.len();
                    small.push(chunk);
                }
                None => {
                    let body = if inline_up_to.is_some_and(|max| small_len <= max) {
                        StoredBody::Inline(concat(small))
                    } else {
                        StoredBody::File(self.write_whole(small).await?)
                    };
                    return Ok(Written {
                        body,
                        size,
                        md5: md5.finalize().into(),
                        checksums: hasher.finalize(),
                    });
                }
            }
        }
        // A large body streams through a temp file.
        let temp = TempFile::new(self.tmp.join(format!("{}.part", self.new_name())));
        let file = tokio::fs::File::create(&temp.path).await?;
        let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        for chunk in small {
            out.write_all(&chunk).await?;
        }
        while let Some(chunk) = body.next().await {
            out.write_all(&take(chunk)?).await?;
        }
        out.flush().await?;
        let name = self.place(temp, out.into_inner()).await?;
        Ok(Written {
            body: StoredBody::File(name),
            size,
            md5: md5.finalize().into(),
            checksums: hasher.finalize(),
        })
    }

    /// Writes a body held in memory straight to its final name. A crash mid-write leaves an
    /// unreferenced file (swept at start), never a row without its body: the row commits after.
    async fn write_whole(&self, chunks: Vec<Bytes>) -> io::Result<String> {
        let name = self.new_name();
        let path = self.path(&name);
        let durable = self.durable;
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            use std::io::Write as _;
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut file = std::fs::File::create(&path)?;
            for chunk in &chunks {
                file.write_all(chunk)?;
            }
            if durable {
                file.sync_all()?;
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)??;
        Ok(name)
    }

    /// fsyncs (when durable) and renames a finished temp file into `blobs/`.
    async fn place(&self, temp: TempFile, file: tokio::fs::File) -> io::Result<String> {
        if self.durable {
            file.sync_all().await?;
        }
        drop(file);
        let name = self.new_name();
        let dest = self.path(&name);
        let dir = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.to_path_buf());
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::rename(&temp.path, &dest).await?;
        temp.keep();
        if self.durable {
            let dir = tokio::fs::File::open(&dir).await?;
            dir.sync_all().await?;
        }
        Ok(name)
    }

    /// A new blob with the same content: a hard link (a copy where links are not possible),
    /// made in one blocking task.
    pub async fn duplicate(&self, source: &str) -> io::Result<String> {
        let from = self.path(source);
        let name = self.new_name();
        let to = self.path(&name);
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::hard_link(&from, &to).or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
        })
        .await
        .map_err(io::Error::other)??;
        Ok(name)
    }

    /// A new blob with the same content as `source`, whose body the caller holds open: a hard
    /// link, or a copy of the open file where links are not possible or the name is gone (an
    /// overwrite removed it after the caller opened it).
    pub async fn duplicate_open(&self, source: &str, opened: tokio::fs::File) -> io::Result<String> {
        let from = self.path(source);
        let name = self.new_name();
        let to = self.path(&name);
        let mut opened = opened.into_std().await;
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::hard_link(&from, &to).or_else(|_| {
                let mut out = std::fs::File::create(&to)?;
                io::copy(&mut opened, &mut out).map(|_| ())
            })
        })
        .await
        .map_err(io::Error::other)??;
        Ok(name)
    }

    /// Streams `range` of an open blob (the whole blob when None).
    pub async fn stream(
        mut file: tokio::fs::File,
        range: Option<Range<u64>>,
    ) -> io::Result<impl Stream<Item = io::Result<Bytes>> + Send + Sync + 'static> {
        let reader = match range {
            Some(range) => {
                file.seek(SeekFrom::Start(range.start)).await?;
                file.take(range.end - range.start)
            }
            None => file.take(u64::MAX),
        };
        Ok(tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK))
    }

    /// A new blob made of `range` of an open blob (UploadPartCopy), with its MD5.
    pub async fn copy_range(
        &self,
        source: tokio::fs::File,
        range: Range<u64>,
    ) -> Result<Written, WriteError> {
        let stream = Box::pin(Self::stream(source, Some(range)).await?);
        self.write(stream, ChecksumHasher::default(), u64::MAX, None)
            .await
    }

    /// A new blob made of `parts` end to end (CompleteMultipartUpload).
    pub async fn concat(&self, parts: Vec<String>) -> io::Result<(String, u64)> {
        let temp = TempFile::new(self.tmp.join(format!("{}.part", self.new_name())));
        let paths: Vec<PathBuf> = parts.iter().map(|p| self.path(p)).collect();
        let target = temp.path.clone();
        let size = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let mut out = std::fs::File::create(&target)?;
            let mut size = 0;
            for path in paths {
                size += io::copy(&mut std::fs::File::open(path)?, &mut out)?;
            }
            Ok(size)
        })
        .await
        .map_err(io::Error::other)??;
        let file = tokio::fs::File::open(&temp.path).await?;
        Ok((self.place(temp, file).await?, size))
    }

    /// Drops a body received for a version that was not stored.
    pub async fn discard(&self, body: StoredBody) {
        if let StoredBody::File(name) = body {
            self.remove(vec![name]).await;
        }
    }

    /// Deletes blobs no longer named by any row (best effort: the sweep at start catches the rest).
    pub async fn remove(&self, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = names.iter().map(|n| self.path(n)).collect();
        let _ = tokio::task::spawn_blocking(move || {
            for path in paths {
                if let Err(error) = std::fs::remove_file(&path)
                    && error.kind() != io::ErrorKind::NotFound
                {
                    tracing::warn!(path = %path.display(), %error, "could not delete a blob");
                }
            }
        })
        .await;
    }

    /// Deletes every blob (reset).
    pub async fn remove_all(&self) -> io::Result<()> {
        let root = self.root.to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::fs::remove_dir_all(&root)?;
            std::fs::create_dir_all(&root)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Deletes every blob that no row in `referenced` names and that an earlier process
    /// placed: what a crash between the rename and the commit left. It runs beside requests
    /// (the start does not wait for it), so a blob of this process's generation may be one
    /// whose row is about to commit, and is left alone; a name that vanishes meanwhile is
    /// skipped. Hold [`Blobs::exclusive`] from reading `referenced` to the end.
    pub fn sweep(&self, referenced: &HashSet<String>) -> io::Result<usize> {
        let mut removed = 0;
        for dir in entries(&self.root)? {
            let dir = dir.path();
            if !dir.is_dir() {
                continue;
            }
            for file in entries(&dir)? {
                let keep = file
                    .file_name()
                    .to_str()
                    .is_some_and(|n| referenced.contains(n) || n.ends_with(&self.generation));
                if keep {
                    continue;
                }
                match std::fs::remove_file(file.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }
}

/// The entries of `dir`; none when it is gone (a delete removed it meanwhile).
fn entries(dir: &Path) -> io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(list) => list
            .filter(|entry| !matches!(entry, Err(e) if e.kind() == io::ErrorKind::NotFound))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// A file in `tmp/` deleted on drop unless kept: an upload that fails or is cut off leaves
/// nothing behind.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn new(path: PathBuf) -> Self {
        Self { path, keep: false }
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sweep_leaves_referenced_bodies_and_this_generations_own() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path(), false).unwrap();
        let place = |name: &str| {
            let path = blobs.path(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"body").unwrap();
            path
        };
        let referenced = place("aa00referenced-0badcafe");
        let in_flight = place(&blobs.new_name());
        let orphan = place("bb00orphan-0badcafe");
        let older_layout = place("cc00orphan");
        let names = HashSet::from(["aa00referenced-0badcafe".to_owned()]);
        assert_eq!(blobs.sweep(&names).unwrap(), 2);
        assert!(referenced.exists(), "a row names it");
        assert!(
            in_flight.exists(),
            "this process placed it: its row may be about to commit"
        );
        assert!(!orphan.exists() && !older_layout.exists());
        // A store emptied meanwhile (a reset) is not an error.
        std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
        assert_eq!(blobs.sweep(&names).unwrap(), 0);
    }
}
