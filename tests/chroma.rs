//! The shipped chroma preset against a real Chroma server (`chromadb` from PyPI, pinned in
//! scripts/test-deps.sh): setup creates the collection, the mix runs without failures, and the
//! collection grows by exactly the number of index requests.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::NodeServer;
use loadscope::testing::measure::duration::HumanDuration;
use loadscope::testing::preset::{Overrides, load};

fn chroma_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LOADSCOPE_CHROMA") {
        return PathBuf::from(path);
    }
    common::python_bin("chroma")
}

#[test]
fn the_chroma_preset_runs_clean_and_grows_the_collection() {
    let chroma = NodeServer::start_program(
        &chroma_binary(),
        &["run", "--path", "{dir}/data", "--host", "127.0.0.1", "--port", "{port}"],
        &[("ANONYMIZED_TELEMETRY", "False".into())],
        &[],
    );
    // Chroma accepts connections a moment before it answers; wait for its heartbeat.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let heartbeat = format!("{}/api/v2/heartbeat", chroma.url());
    let ready = runtime.block_on(async {
        let client = loadscope::testing::engine::preflight::http_client(Duration::from_secs(2)).unwrap();
        for _ in 0..100 {
            if client
                .get(&heartbeat)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success())
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });
    assert!(ready, "chroma never answered {heartbeat}; it said:\n{}", chroma.log());
    let overrides = Overrides {
        host: Some(chroma.url()),
        users: Some(4),
        spawn_rate: Some(4.0),
        duration: Some(HumanDuration(Duration::from_secs(2))),
        ..Overrides::default()
    };
    let compiled = load("chroma", &overrides).unwrap();
    let (_dir, out) = common::out_path();
    let mut plan = loadscope::testing::engine::RunPlan::new(compiled, out, &|_| None).unwrap();
    plan.workers = 2;
    let mut setup_reports = Vec::new();
    let record = loadscope::testing::engine::run_blocking(plan, |event| match event {
        loadscope::testing::engine::Event::SetupPassed(reports)
        | loadscope::testing::engine::Event::SetupFailed(reports)
        | loadscope::testing::engine::Event::PreflightFailed(reports) => {
            setup_reports.extend(reports.iter().map(|report| report.describe()));
        }
        _ => {}
    })
    .unwrap()
    .unwrap_or_else(|| panic!("the run did not start: {setup_reports:?}"));
    assert!(
        setup_reports.iter().any(|line| line.contains("get or create the collection")),
        "{setup_reports:?}"
    );
    let scenario = &record.scenarios[0];
    let total = scenario.total.as_ref().unwrap();
    assert_eq!(
        total.stats.failures,
        0,
        "{:?}",
        scenario.levels.iter().map(|level| &level.failures).collect::<Vec<_>>()
    );
    let indexed: u64 = scenario.levels.iter().map(|level| level.tasks[1].stats.requests).sum();
    let queried: u64 = scenario.levels.iter().map(|level| level.tasks[0].stats.requests).sum();
    // Think time is the guide's 1-2 s, so a short run makes only a dozen or two requests: the
    // 70/30 mix cannot show yet; both tasks must have run.
    assert!(indexed > 0 && queried > 0, "{queried} queries, {indexed} index requests");

    // Ask Chroma itself how many documents the collection holds.
    let count: u64 = runtime.block_on(async {
        let client = loadscope::testing::engine::preflight::http_client(Duration::from_secs(10)).unwrap();
        let base = format!(
            "{}/api/v2/tenants/default_tenant/databases/default_database/collections",
            chroma.url()
        );
        let collections: serde_json::Value = client.get(&base).send().await.unwrap().json().await.unwrap();
        let id = collections[0]["id"].as_str().unwrap().to_string();
        client.get(format!("{base}/{id}/count")).send().await.unwrap().json().await.unwrap()
    });
    assert_eq!(count, indexed, "every index request added one document");
    drop(runtime);
}
