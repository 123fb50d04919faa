//! Drive API numbers for `just bench` (printed as one JSON object): the upload flow a client
//! plays (create a file, presigned PUT of 10 KiB, upload-ended) over HTTP, ephemeral and with a
//! durable `--data` directory (bodies fsynced, commits `synchronous = FULL`); a children page
//! in a folder of 100,000 items; a move of a folder with 10,000 descendants.

use std::time::Instant;

use lasuite_emu::Emulator;
use lasuite_emu::drive::model::Reach;
use lasuite_emu::drive::repo::{self, NewItem};
use serde_json::{Value, json};

const API: &str = "/external_api/v1.0";

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[index]
}

/// Inserts `count` folders below `parent` in one transaction, as fixtures would (the bench
/// measures reads and moves, not 100,000 HTTP creations).
async fn fill(
    emu: &lasuite_emu::RunningEmulator,
    parent: &str,
    creator: &str,
    count: usize,
    per_subfolder: usize,
) {
    let (parent, creator) = (parent.to_owned(), creator.to_owned());
    emu.app()
        .db
        .write(move |tx| {
            let parent_item = repo::find_item(tx, &parent)?.expect("parent");
            let mut sub = None;
            for i in 0..count {
                let now = 1_700_000_000_000_000 + i64::try_from(i).unwrap_or(0);
                let under = match (&sub, per_subfolder) {
                    (Some(item), n) if n > 0 && i % (n + 1) != 0 => Some(item),
                    _ => None,
                };
                let new = NewItem {
                    id: uuid::Uuid::new_v4().to_string(),
                    parent: Some(under.cloned().unwrap_or_else(|| parent_item.clone())),
                    title: format!("item {i:06}"),
                    is_folder: true,
                    link_reach: None::<Reach>,
                    filename: None,
                    description: None,
                    quota_excluded: false,
                    creator_id: creator.clone(),
                    now,
                    metadata: serde_json::json!({}),
                };
                repo::insert_item(tx, &new)?;
                if per_subfolder > 0 && under.is_none() {
                    sub = repo::find_item(tx, &new.id)?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// The upload flow, one client after another, `count` times under a new folder: p50 and p99
/// in ms, and flows per second.
/// The flow's p50, p99 and rate, and the p50 of each of its three requests.
async fn upload_flows(emu: &lasuite_emu::RunningEmulator, count: usize) -> (f64, f64, f64, [f64; 3]) {
    let http = reqwest::Client::new();
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let api = |path: &str| format!("{}{API}{path}", emu.url());
    let post = |path: String, body: Value| {
        let request = http.post(path).bearer_auth(&token).json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let root = post(api("/items/"), json!({"type": "folder", "title": "flows"})).await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let body = vec![b'x'; 10 * 1024];
    let mut flows = Vec::new();
    let mut steps: [Vec<f64>; 3] = Default::default();
    let ms_since = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    for _ in 0..count {
        let t0 = Instant::now();
        let file = post(
            api(&format!("/items/{root_id}/children/")),
            json!({"type": "file", "filename": "bench.txt"}),
        )
        .await;
        steps[0].push(ms_since(t0));
        let t1 = Instant::now();
        let put = http
            .put(file["policy"].as_str().unwrap())
            .header("x-amz-acl", "private")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
        steps[1].push(ms_since(t1));
        let t2 = Instant::now();
        let ended = post(
            api(&format!("/items/{}/upload-ended/", file["id"].as_str().unwrap())),
            json!({}),
        )
        .await;
        assert_eq!(ended["upload_state"], "analyzing");
        steps[2].push(ms_since(t2));
        flows.push(ms_since(t0));
    }
    let per_sec = flows.len() as f64 / started.elapsed().as_secs_f64();
    let step_p50 = steps.map(|mut step| percentile(&mut step, 0.5));
    (
        percentile(&mut flows, 0.5),
        percentile(&mut flows, 0.99),
        per_sec,
        step_p50,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // 1. The upload flow with a durable data directory (on the target directory's disk, not a
    // tmpfs /tmp, so fsync costs what it costs).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let durable = Emulator::builder().data_dir(dir.path()).start().await.unwrap();
    let (durable_p50, durable_p99, durable_per_sec, _) = upload_flows(&durable, 300).await;
    durable.stop().await;

    // Drive 0.21.1's EXTERNAL_API default has no `move`: allow every action, as tests do.
    let emu = Emulator::builder()
        .fixture_toml("[drive]\nexternal_api = \"all\"\n")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    let api = |path: &str| format!("{}{API}{path}", emu.url());
    let post = |path: String, body: Value| {
        let request = http.post(path).bearer_auth(&token).json(&body);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let root = post(api("/items/"), json!({"type": "folder", "title": "bench"})).await;
    let root_id = root["id"].as_str().unwrap().to_owned();

    // 1b. The same, ephemeral (bodies and commits not fsynced).
    let (flow_p50, flow_p99, flows_per_sec, [create_p50, put_p50, ended_p50]) = upload_flows(&emu, 300).await;

    // 2. A children page in a folder of 100,000 items.
    let big = post(api("/items/"), json!({"type": "folder", "title": "big"})).await;
    let big_id = big["id"].as_str().unwrap().to_owned();
    let me: Value = http
        .get(api("/users/me/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alice_id = me["id"].as_str().unwrap().to_owned();
    fill(&emu, &big_id, &alice_id, 100_000, 0).await;
    let page_ms = |page: usize| {
        let (http, token, url) = (
            http.clone(),
            token.clone(),
            api(&format!("/items/{big_id}/children/?page={page}")),
        );
        async move {
            let t0 = Instant::now();
            let response: Value = http
                .get(url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(response["count"], 100_000);
            t0.elapsed().as_secs_f64() * 1000.0
        }
    };
    let mut first_pages = Vec::new();
    let mut deep_pages = Vec::new();
    for _ in 0..30 {
        first_pages.push(page_ms(1).await);
        deep_pages.push(page_ms(2_500).await);
    }
    let page_p50 = percentile(&mut first_pages, 0.5);
    let deep_page_p50 = percentile(&mut deep_pages, 0.5);

    // 3. A move of a folder with 10,000 descendants (100 subfolders of 99 folders each).
    let moved = post(api("/items/"), json!({"type": "folder", "title": "moved"})).await;
    let moved_id = moved["id"].as_str().unwrap().to_owned();
    fill(&emu, &moved_id, &alice_id, 10_000, 99).await;
    let t0 = Instant::now();
    let answer = post(
        api(&format!("/items/{moved_id}/move/")),
        json!({"target_item_id": root_id}),
    )
    .await;
    let move_ms = t0.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(answer["message"], "item moved successfully.");

    println!(
        "{}",
        json!({
            "drive_flow_p50_ms": flow_p50,
            "drive_flow_p99_ms": flow_p99,
            "drive_flows_per_sec": flows_per_sec,
            "drive_flow_create_p50_ms": create_p50,
            "drive_flow_put_p50_ms": put_p50,
            "drive_flow_ended_p50_ms": ended_p50,
            "drive_flow_durable_p50_ms": durable_p50,
            "drive_flow_durable_p99_ms": durable_p99,
            "drive_flows_durable_per_sec": durable_per_sec,
            "drive_children_page_100k_ms": page_p50,
            "drive_children_deep_page_100k_ms": deep_page_p50,
            "drive_move_10k_ms": move_ms,
        })
    );
}
