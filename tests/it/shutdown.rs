//! Faults of the connection: a stop that a client holding a half-sent request cannot keep
//! alive, a request head that never ends, and a body that stops arriving.
//!
//! The timeouts here are small so the tests are quick; nothing asserts how long anything took
//! (the 60 s bounds only turn a hang into a failure).

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lasuite_emu::Emulator;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::s3util::S3Client;
use crate::sigv4::{Request, Signer, UNSIGNED, now};

const BIN: &str = env!("CARGO_BIN_EXE_lasuite-emu");
const HANG: Duration = Duration::from_secs(60);

/// The head of a signed S3 PUT of `key` that declares 1 MiB (UNSIGNED-PAYLOAD, as SDKs
/// stream bodies over plain HTTP).
fn put_head(addr: std::net::SocketAddr, key: &str) -> String {
    let host = addr.to_string();
    let path = format!("/drive-media-storage/{key}");
    let signed = Signer::new("drive", "password").sign(
        &Request {
            method: "PUT",
            host: &host,
            path: &path,
            query: &[],
            headers: &[("content-length", "1048576")],
        },
        UNSIGNED,
        now(),
    );
    let mut head = format!("PUT {} HTTP/1.1\r\nhost: {host}\r\n", signed.path_and_query);
    for (k, v) in &signed.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// A PUT that declares 1 MiB and sends 1 KiB, on a connection the server has accepted (a
/// first request answered on it proves that).
async fn half_sent_put(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /_emu/health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    // Drain the rest of the health answer (small, one read is enough on loopback).
    let mut rest = [0u8; 4096];
    let _ = stream.read(&mut rest).await.unwrap();
    // `Expect: 100-continue`, as SDKs send it: the interim answer says the handler is reading
    // the body, so the request is in flight (not a head still in the socket buffer).
    let head = put_head(addr, "held.bin").replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(&[b'#'; 1024]).await.unwrap();
    stream
}

#[tokio::test]
async fn sigterm_cuts_a_half_sent_request_after_the_shutdown_deadline_and_exits_0() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ephemeral",
            "--shutdown-timeout",
            "1",
        ])
        .env("LASUITE_EMU_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("Ready. "), "{line}");
    let addr: std::net::SocketAddr = line
        .split("listening on ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let _held = half_sent_put(addr).await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < HANG, "still running long after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(exit.code(), Some(0), "{exit}");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let cut: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("shutdown deadline passed"))
        .collect();
    assert_eq!(cut.len(), 1, "one line names the cut connections:\n{stderr}");
    assert!(cut[0].contains("connections=1"), "{}", cut[0]);
    assert!(stderr.contains("connections=1"), "{stderr}");
}

#[tokio::test]
async fn the_library_stop_also_ends_at_the_deadline() {
    let emu = Emulator::builder()
        .shutdown_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let held = half_sent_put(emu.local_addrs()[0]).await;
    let cut = tokio::time::timeout(HANG, emu.stop())
        .await
        .expect("stop returns");
    assert_eq!(cut, 1);
    drop(held);
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_dropped_after_the_head_timeout() {
    let emu = Emulator::builder()
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(emu.local_addrs()[0]).await.unwrap();
    stream
        .write_all(b"GET /_emu/health HTTP/1.1\r\nhost: x\r\nx-slow")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&answer), "");
    // The emulator still serves.
    let health = crate::util::client()
        .get(format!("{}/_emu/health", emu.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_body_that_stops_arriving_fails_and_leaves_nothing_visible() {
    let emu = Emulator::builder()
        .body_idle_timeout(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let s3 = S3Client::new(&emu);
    let addr = emu.local_addrs()[0];
    let head = put_head(addr, "stalled.bin");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'x'; 1024]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HANG, stream.read_to_end(&mut answer))
        .await
        .expect("the server gives up on the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("<Code>IncompleteBody</Code>"), "{answer}");

    let missing = s3
        .send("HEAD", "/drive-media-storage/stalled.bin", &[], &[], b"")
        .await;
    assert_eq!(missing.status, 404);
    let leftovers = std::fs::read_dir(emu.data_dir().join("tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "the partial body is gone");
}
