//! Crash consistency: `serve --data DIR` as a process, written to concurrently over S3 (a
//! SigV4 signer, as SDKs sign) and through Drive's upload flow (create, presigned PUT,
//! upload-ended), killed with SIGKILL at a random moment and restarted on the same directory,
//! a few times. After each restart:
//!
//! - every acknowledged write is there, byte for byte;
//! - nothing unacknowledged is half-visible: an object is absent or complete;
//! - SQLite's `PRAGMA integrity_check` is `ok`;
//! - `blobs/` holds only bodies a row names, and `tmp/` is empty.
//!
//! SIGKILL is a process crash, not a power loss: what it proves is the write order (body in
//! place before the row commits, sweep at start); `synchronous = FULL` is what extends the same
//! guarantee to an OS crash, which a test cannot pull the plug on.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::sigv4::{Request, Signer, now, sha256_hex};

const BIN: &str = env!("CARGO_BIN_EXE_lasuite-emu");
const BUCKET: &str = "drive-media-storage";
const CYCLES: usize = 3;
const S3_WRITERS: usize = 3;
const DRIVE_WRITERS: usize = 2;

/// One emulator process on `dir`.
struct Emu {
    child: Child,
    addr: SocketAddr,
}

impl Emu {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("Ready. "), "{line}");
        let addr = line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap()
            .parse()
            .unwrap();
        Self { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

/// The bytes written under `key`: derived from the key, so any read can be checked, and
/// sized from a few bytes to past the in-memory threshold (256 KiB) so both write paths run.
fn body_of(key: &str) -> Vec<u8> {
    let seed = u64::from_str_radix(&sha256_hex(key.as_bytes())[..16], 16).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let size = match seed % 4 {
        0 => rng.gen_range(1..1024),
        1 | 2 => rng.gen_range(1024..200 * 1024),
        _ => rng.gen_range(300 * 1024..600 * 1024),
    };
    let mut body = vec![0u8; size];
    rand::RngCore::fill_bytes(&mut rng, &mut body);
    body
}

/// One signed S3 request as raw HTTP/1.1; `None` when the connection breaks (the process was
/// killed) before a whole answer arrived.
async fn s3(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let host = addr.to_string();
    let signed = Signer::new("drive", "password").sign(
        &Request {
            method,
            host: &host,
            path,
            query: &[],
            headers: &[],
        },
        &sha256_hex(body),
        now(),
    );
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        signed.path_and_query,
        body.len()
    );
    for (k, v) in &signed.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).await.ok()?;
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(body).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    parse_answer(&answer)
}

/// Status and body of a `connection: close` answer (content-length framed, or chunked).
fn parse_answer(answer: &[u8]) -> Option<(u16, Vec<u8>)> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut body = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut data = body.as_slice();
        loop {
            let end = data.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).ok()?.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            out.extend_from_slice(data.get(end + 2..end + 2 + size)?);
            data = data.get(end + 4 + size..)?;
        }
        body = out;
    } else if let Some(length) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        && body.len() != length
    {
        return None; // cut short
    }
    Some((status, body))
}

/// What the writers saw acknowledged, and what they attempted without an answer.
#[derive(Default)]
struct Ledger {
    /// Object keys whose PUT answered 200.
    acked: HashSet<String>,
    /// Object keys whose PUT got no answer: absent or complete, never partial.
    unsure: HashSet<String>,
    /// Drive items whose creation answered 201, with their object key.
    items: HashMap<String, String>,
    /// Drive items whose upload-ended answered 200.
    ended: HashSet<String>,
}

async fn s3_writer(addr: SocketAddr, name: String, ledger: Arc<Mutex<Ledger>>) {
    for i in 0.. {
        let key = format!("crash/{name}-{i}");
        let body = body_of(&key);
        let answer = s3(addr, "PUT", &format!("/{BUCKET}/{key}"), &body).await;
        let mut ledger = ledger.lock().unwrap();
        match answer {
            Some((200, _)) => ledger.acked.insert(key),
            Some((status, body)) => panic!("PUT {key}: {status} {}", String::from_utf8_lossy(&body)),
            None => {
                ledger.unsure.insert(key);
                return;
            }
        };
    }
}

async fn drive_writer(url: String, token: String, name: String, ledger: Arc<Mutex<Ledger>>) {
    let http = reqwest::Client::new();
    let api = format!("{url}/external_api/v1.0");
    for i in 0.. {
        let filename = format!("{name}-{i}.bin");
        let Ok(created) = http
            .post(format!("{api}/items/"))
            .bearer_auth(&token)
            .json(&json!({"type": "file", "filename": filename}))
            .send()
            .await
        else {
            return;
        };
        let status = created.status().as_u16();
        let Ok(item) = created.json::<Value>().await else {
            return;
        };
        assert_eq!(status, 201, "{item}");
        let id = item["id"].as_str().unwrap().to_owned();
        let policy = url::Url::parse(item["policy"].as_str().unwrap()).unwrap();
        // Keys Drive builds here (`item/<uuid>/<ascii name>`) need no percent-decoding.
        let key = policy
            .path()
            .trim_start_matches(&format!("/{BUCKET}/"))
            .to_owned();
        ledger.lock().unwrap().items.insert(id.clone(), key.clone());

        let body = body_of(&key);
        let put = http
            .put(policy.as_str())
            .header("x-amz-acl", "private")
            .body(body)
            .send()
            .await;
        match put {
            Ok(response) if response.status() == 200 => {
                if response.bytes().await.is_err() {
                    ledger.lock().unwrap().unsure.insert(key);
                    return;
                }
                ledger.lock().unwrap().acked.insert(key);
            }
            Ok(response) => panic!("presigned PUT: {}", response.status()),
            Err(_) => {
                ledger.lock().unwrap().unsure.insert(key);
                return;
            }
        }
        let Ok(ended) = http
            .post(format!("{api}/items/{id}/upload-ended/"))
            .bearer_auth(&token)
            .send()
            .await
        else {
            return;
        };
        let status = ended.status().as_u16();
        if ended.bytes().await.is_err() {
            return;
        }
        assert_eq!(status, 200);
        ledger.lock().unwrap().ended.insert(id);
    }
}

async fn mint(url: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{url}/_emu/tokens"))
        .json(&json!({"client_id": "docs", "username": "alice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

/// Every check after a restart.
async fn verify(emu: &Emu, dir: &Path, ledger: &Ledger) {
    for key in &ledger.acked {
        let (status, body) = s3(emu.addr, "GET", &format!("/{BUCKET}/{key}"), b"")
            .await
            .expect("an answer");
        assert_eq!(status, 200, "acknowledged {key} is readable");
        assert!(
            body == body_of(key),
            "acknowledged {key} reads back byte for byte"
        );
    }
    for key in ledger.unsure.difference(&ledger.acked) {
        let (status, body) = s3(emu.addr, "GET", &format!("/{BUCKET}/{key}"), b"")
            .await
            .expect("an answer");
        match status {
            404 => {}
            200 => assert!(body == body_of(key), "{key} is complete or absent"),
            other => panic!("unacknowledged {key}: {other}"),
        }
    }
    let token = mint(&emu.url()).await;
    let http = reqwest::Client::new();
    for id in ledger.items.keys() {
        let response = http
            .get(format!("{}/external_api/v1.0/items/{id}/", emu.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "created item {id} is there");
        let item: Value = response.json().await.unwrap();
        if ledger.ended.contains(id) {
            assert_ne!(item["upload_state"], "pending", "upload-ended of {id} held");
        }
    }

    let conn = rusqlite::Connection::open_with_flags(
        dir.join("state.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let referenced = lasuite_emu::s3::store::referenced_blobs(&conn).unwrap();
    // Orphans are swept beside requests, shortly after the start: wait for it (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let on_disk = loop {
        let mut on_disk = HashSet::new();
        for shard in std::fs::read_dir(dir.join("blobs")).unwrap() {
            for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
                on_disk.insert(file.unwrap().file_name().into_string().unwrap());
            }
        }
        if on_disk.is_subset(&referenced) || std::time::Instant::now() > deadline {
            break on_disk;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let orphans: Vec<_> = on_disk.difference(&referenced).collect();
    assert!(orphans.is_empty(), "bodies no row names: {orphans:?}");
    let missing: Vec<_> = referenced.difference(&on_disk).collect();
    assert!(missing.is_empty(), "rows without their body: {missing:?}");
    assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_a_random_moment_loses_no_acknowledged_write_and_shows_no_partial_one() {
    let seed: u64 = rand::random();
    eprintln!("crash test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut emu = Emu::start(dir.path());
    let mut acked_before = 0;
    for cycle in 0..CYCLES {
        let token = mint(&emu.url()).await;
        let mut writers = tokio::task::JoinSet::new();
        for w in 0..S3_WRITERS {
            writers.spawn(s3_writer(emu.addr, format!("c{cycle}s{w}"), Arc::clone(&ledger)));
        }
        for w in 0..DRIVE_WRITERS {
            writers.spawn(drive_writer(
                emu.url(),
                token.clone(),
                format!("c{cycle}d{w}"),
                Arc::clone(&ledger),
            ));
        }
        // Once this cycle has had a write acknowledged (a loaded machine may be slow to get
        // there), a random moment within the next second.
        let waited = tokio::time::timeout(Duration::from_secs(60), async {
            while ledger.lock().unwrap().acked.len() <= acked_before {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(waited.is_ok(), "cycle {cycle}: no write acknowledged");
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..1000))).await;
        emu.kill();
        while let Some(joined) = writers.join_next().await {
            joined.expect("a writer panicked");
        }
        emu = Emu::start(dir.path());
        let snapshot = std::mem::take(&mut *ledger.lock().unwrap());
        acked_before = snapshot.acked.len();
        eprintln!(
            "cycle {cycle}: {} objects acknowledged, {} cut, {} items, {} uploads ended",
            snapshot.acked.len(),
            snapshot.unsure.len(),
            snapshot.items.len(),
            snapshot.ended.len()
        );
        verify(&emu, dir.path(), &snapshot).await;
        *ledger.lock().unwrap() = snapshot;
    }
    emu.kill();
}
