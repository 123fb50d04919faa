//! In-process numbers for `just bench` (printed as one JSON object): start to ready, reset of
//! the default fixture, snapshot and restore of a state with 10,000 objects, and memory of
//! one and of a hundred idle emulators in one process.

use std::time::Instant;

use lasuite_emu::Emulator;
use lasuite_emu::s3::model::{NewVersion, ObjectHeaders};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let baseline = rss_mib();

    // Start to ready: start() returns once the listener serves.
    let mut starts = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let emu = Emulator::builder().start().await.unwrap();
        starts.push(t0.elapsed().as_secs_f64() * 1000.0);
        emu.stop().await;
    }

    // One idle emulator's memory, then a hundred.
    let one = Emulator::builder().start().await.unwrap();
    let rss_one = rss_mib() - baseline;
    let mut resets = Vec::new();
    for _ in 0..20 {
        one.mint_token("docs", "alice").await.unwrap();
        let t0 = Instant::now();
        one.reset().await.unwrap();
        resets.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let mut many = Vec::new();
    for _ in 0..100 {
        many.push(Emulator::builder().start().await.unwrap());
    }
    let rss_hundred = rss_mib() - baseline;
    for emu in many {
        emu.stop().await;
    }

    // A state with 10,000 objects of 1 KiB, written through the store, their bodies in files
    // (the heavier case: a PUT keeps bodies this small in their rows).
    let store = &one.app().s3.store;
    let bucket = store.find_bucket("drive-media-storage").unwrap();
    let body = vec![b'x'; 1024];
    for i in 0..10_000 {
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(body.clone()))]);
        let written = store
            .blobs
            .write(stream, Default::default(), u64::MAX, None)
            .await
            .unwrap();
        let version = NewVersion {
            size: 1024,
            etag: format!("{i:032x}"),
            headers: ObjectHeaders::default(),
            checksums: Default::default(),
            parts_count: None,
            body: written.body,
        };
        store
            .commit_version(&bucket, &format!("bench/{i:05}"), version)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.snapshot");
    let t0 = Instant::now();
    one.snapshot(&file).await.unwrap();
    let snapshot_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let snapshot_mib = std::fs::metadata(&file).unwrap().len() as f64 / 1024.0 / 1024.0;
    one.reset().await.unwrap();
    let t0 = Instant::now();
    one.restore(&file).await.unwrap();
    let restore_ms = t0.elapsed().as_secs_f64() * 1000.0;

    println!(
        "{}",
        serde_json::json!({
            "inprocess_start_ms": median(starts),
            "reset_ms": median(resets),
            "rss_one_mib": rss_one,
            "rss_hundred_mib": rss_hundred,
            "snapshot_10k_ms": snapshot_ms,
            "snapshot_10k_mib": snapshot_mib,
            "restore_10k_ms": restore_ms,
        })
    );
}
