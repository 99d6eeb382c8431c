//! The desktop app driven as a person would: widgets found by their labels, clicked and typed
//! into, against the real engine and the built-in demo stack on loopback. Snapshot images of
//! the main screens render on wgpu (Mesa's software Vulkan driver in CI).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use loadscope::testing::demo::DemoConfig;
use loadscope::testing::engine::{Event, Phase, Snapshot};
use loadscope::testing::run::{RunRecord, RunStatus};
use loadscope::testing::ui::live_run::RunState;
use loadscope::testing::ui::{AppCommand, AppConfig, LoadscopeApp, Tab};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn config(data_dir: &Path, open: Option<String>) -> AppConfig {
    AppConfig {
        data_dir: data_dir.to_path_buf(),
        demo: DemoConfig {
            // Free ports: the app points its runs at wherever the stack listens.
            base_port: 0,
            seed: Some(7),
            ..DemoConfig::default()
        },
        open,
        start_demo_stack: false,
        present: None,
        probe_monitors: false,
        native_dialogs: false,
    }
}

fn harness(config: AppConfig) -> Harness<'static, LoadscopeApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_max_steps(50)
        .build_eframe(move |cc| LoadscopeApp::new(cc, config))
}

/// A harness that renders (wgpu), for snapshots and screenshots.
fn snapshot_harness(config: AppConfig) -> Harness<'static, LoadscopeApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_max_steps(50)
        .wgpu()
        .build_eframe(move |cc| LoadscopeApp::new(cc, config))
}

/// Runs frames until the app is idle: its background jobs (files read and written on job
/// threads, plans) have come back, and nothing asks for another frame.
fn settle(harness: &mut Harness<'_, LoadscopeApp>) {
    let started = Instant::now();
    loop {
        harness.run_ok();
        if harness.state().jobs_running() == 0 {
            harness.run_ok();
            if harness.state().jobs_running() == 0 {
                return;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the app's jobs never finished");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Steps the app in real time until `done` holds, failing after `limit`.
fn step_until(harness: &mut Harness<'_, LoadscopeApp>, limit: Duration, what: &str, done: impl Fn(&Harness<'_, LoadscopeApp>) -> bool) {
    let started = Instant::now();
    loop {
        harness.step();
        if done(harness) {
            harness.step();
            return;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Steps the app until the Runs tab has read what it was asked for (the selected run, the runs
/// to compare): runs are read whole in the background.
fn wait_for_runs(harness: &mut Harness<'_, LoadscopeApp>) {
    step_until(harness, Duration::from_secs(10), "the Runs tab to read the run", |harness| {
        !harness.state().runs().is_loading()
    });
    settle(harness);
}

/// Opens the Runs tab, waits for the library to list the one run saved under `data_dir`, and
/// reads that run's file.
fn the_one_saved_run(harness: &mut Harness<'_, LoadscopeApp>, data_dir: &Path) -> RunRecord {
    harness.get_by_label("Runs").click();
    step_until(harness, Duration::from_secs(10), "the run in the library", |harness| {
        !harness.state().runs().is_loading() && harness.state().runs().run_count() == 1
    });
    let saved: Vec<PathBuf> = std::fs::read_dir(data_dir.join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    loadscope::testing::run::load(&saved[0]).unwrap()
}

#[test]
fn editing_a_level_in_the_table_changes_the_toml_and_errors_show_at_their_line() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("api-gateway".into())));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "API Gateway");

    harness.get_by_label("demo").click();
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Demo");
    assert!(!harness.state().document().is_dirty());

    // The demo's gateway runs after its single-user baseline.
    harness.get_by_label("API Gateway").click();
    settle(&mut harness);
    harness.get_by_label("Level 2 users").set_text_value_accesskit("25");
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert!(
        toml.contains("users = 25\nspawn_rate = 10"),
        "the TOML view shows the edit:\n{toml}"
    );
    assert!(toml.contains("# measures TTFT"), "comments survive form edits");
    assert!(harness.state().document().is_dirty());
    harness.get_by_label("Editor •");
    harness.get_by_label("Valid: loadscope validate finds no problems");

    // A typo in a number field lands in the TOML, and validation names its line.
    harness.get_by_label("Level 2 users").set_text_value_accesskit("lots");
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    let line = toml
        .lines()
        .position(|line| line == "users = \"lots\"")
        .expect("the typo is in the TOML")
        + 1;
    harness.get_by_label("1 problem(s):");
    harness.get_by_label_contains(&format!(
        "line {line} column 9: users: invalid type: string \"lots\", expected u32; expected a whole number of users, e.g. users = 10"
    ));

    // The form says it under the field too, in people's words, and for every field with a
    // mistake (the parser stops at the first).
    harness.get_by_label("users must be a whole number, e.g. 10");
    harness.get_by_label("Level 1 users").set_text_value_accesskit("2.5");
    settle(&mut harness);
    assert_eq!(harness.query_all_by_label("users must be a whole number, e.g. 10").count(), 2);
    harness.get_by_label("Level 1 users").set_text_value_accesskit("5");
    settle(&mut harness);
    assert_eq!(harness.query_all_by_label("users must be a whole number, e.g. 10").count(), 1);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();

    // Typing in the TOML view fixes it, and the table follows.
    harness
        .get_by_label("Preset TOML")
        .set_text_value_accesskit(&toml.replace("users = \"lots\"", "users = 30"));
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 2 users").value().as_deref(), Some("30"));
    harness.get_by_label("Valid: loadscope validate finds no problems");

    // Rows move and duplicate from the table.
    harness.get_by_label("Duplicate level 1").click();
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 2 users").value().as_deref(), Some("5"));
    assert_eq!(harness.get_by_label("Level 3 users").value().as_deref(), Some("30"));
    harness.get_by_label("Remove level 2").click();
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 2 users").value().as_deref(), Some("30"));
    assert!(harness.query_by_label("Level 4 users").is_none());

    // Opening another preset with unsaved changes asks first; Cancel keeps the edits.
    harness.get_by_label("api-gateway").click();
    settle(&mut harness);
    harness.get_by_label("Unsaved changes");
    harness.get_by_label("Cancel").click();
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Demo");
    assert!(harness.query_by_label("Unsaved changes").is_none());

    // A broken target expression is explained beside it.
    harness.get_by_label("Target 3 expression").set_text_value_accesskit("p95 < fast");
    settle(&mut harness);
    let why = loadscope::testing::measure::target::TargetExpr::parse("p95 < fast")
        .unwrap_err()
        .to_string();
    harness.get_by_label(&why);
    assert!(harness.state().document().text().contains("expr = \"p95 < fast\""));
    let diagnostics = harness.state().document().diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(diagnostics[0].message.contains(&why), "{diagnostics:?}");

    // Discarding the changes opens the other preset.
    harness.get_by_label("api-gateway").click();
    settle(&mut harness);
    harness.get_by_label("Discard changes").click();
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "API Gateway");
    assert!(!harness.state().document().is_dirty());
}

#[test]
fn a_demo_run_fills_the_live_tab_and_lands_in_the_runs_tab() {
    let data = tempfile::tempdir().unwrap();
    let preset = fixture("ui-demo.toml");
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "UI demo");

    let text_before = harness.state().document().text().to_string();
    harness.get_by_label("Start demo stack").click();
    settle(&mut harness);
    let [gateway, _, _] = harness.state().demo_urls().expect("the demo stack runs");
    // The stack fell back to free ports: runs go there, the preset stays as written.
    assert_eq!(harness.state().document().text(), text_before, "the preset's text is untouched");
    assert!(!harness.state().document().is_dirty());
    harness.get_by_label_contains("Demo stack (simulated): ");
    harness.get_by_label_contains("Its usual ports were taken");
    harness.get_by_label("Live").click();
    settle(&mut harness);
    harness.get_by_label("The demo stack is running: Start runs the open preset against it.");

    harness.get_by_label("Start").click();
    settle(&mut harness);
    step_until(&mut harness, Duration::from_secs(15), "requests in the stats table", |harness| {
        harness
            .state()
            .live()
            .stats_rows(false)
            .last()
            .is_some_and(|(_, total)| total.requests > 0)
    });
    assert_eq!(harness.state().tab(), Tab::Live);
    harness.get_by_label("Statistics").click();
    settle(&mut harness);
    harness.get_by_label("Aggregated");
    // Locust's current ratio: chat has weight 4 and models 1 in the UI demo preset.
    harness.get_by_label("Task ratio");
    assert!(harness.query_all_by_label("80.0%").count() >= 1 && harness.query_all_by_label("20.0%").count() >= 1);
    harness.get_by_label("Current level").click();

    // `requests > 40` starts out failing and passes once the level has done enough.
    step_until(&mut harness, Duration::from_secs(5), "a light for the request target", |harness| {
        harness
            .state()
            .live()
            .verdict_lights()
            .iter()
            .any(|light| light.verdict.target == "requests > 40")
    });
    let early = harness
        .state()
        .live()
        .snapshot
        .as_ref()
        .map(|snapshot| snapshot.level_total.requests)
        .unwrap_or(0);
    // The top bar counts the lights on one line; a click lists each with its scenario and level.
    let requests_light = |harness: &Harness<'_, LoadscopeApp>| {
        harness
            .state()
            .live()
            .verdict_lights()
            .into_iter()
            .find(|light| light.verdict.target == "requests > 40")
    };
    if early <= 40 {
        assert!(requests_light(&harness).is_some_and(|light| !light.verdict.passed || light.verdict.observed.is_none()));
        assert!(harness.query_by_label_contains("Targets: ").is_some());
    }
    step_until(&mut harness, Duration::from_secs(15), "the request target to pass", |harness| {
        requests_light(harness).is_some_and(|light| light.verdict.passed)
    });
    let light = requests_light(&harness).unwrap();
    harness.get_by_label_contains("Targets: ").click();
    harness.run_ok();
    harness.get_by_label_contains(&format!("PASS  {}, {}: Requests ", light.scenario, light.level));
    harness.get_by_label_contains(&format!("PASS  {}, {}: Response time p95 ", light.scenario, light.level));
    harness.key_press(egui::Key::Escape);
    harness.run_ok();

    // The stats table shows what the engine measured.
    let requests = harness
        .state()
        .live()
        .stats_rows(false)
        .last()
        .map(|(_, total)| total.requests)
        .unwrap();
    assert!(requests > 40);
    harness.get_by_label("Live users").set_text_value_accesskit("6");
    harness.run_steps(3);
    harness.get_by_label("Set users").click();
    step_until(&mut harness, Duration::from_secs(5), "the user count to change", |harness| {
        harness.state().live().snapshot.as_ref().is_some_and(|snapshot| snapshot.users == 6)
    });

    harness.get_by_label("Next level").click();
    step_until(&mut harness, Duration::from_secs(5), "the next level", |harness| {
        harness
            .state()
            .live()
            .snapshot
            .as_ref()
            .is_some_and(|snapshot| snapshot.level_name == "Peak")
    });
    let stop_clicked = Instant::now();
    harness.get_by_label("Stop").click();
    step_until(&mut harness, Duration::from_secs(5), "the run to stop", |harness| {
        matches!(harness.state().live().state, RunState::Ended(_))
    });
    assert!(
        stop_clicked.elapsed() < Duration::from_secs(3),
        "stopped in {:?}",
        stop_clicked.elapsed()
    );
    assert_eq!(harness.state().live().state, RunState::Ended(RunStatus::Stopped));
    harness.get_by_label("Engine: ready, stopped");

    // Locust's per-task charts: pick a task, its requests and times are charted alone.
    harness.get_by_label("Charts").click();
    settle(&mut harness);
    harness.get_by_label("Time to first token (chat)");
    // The preset declares objectives: goodput is charted beside the requests each second.
    harness.get_by_label("Goodput");
    assert!(
        harness
            .state()
            .live()
            .series
            .iter()
            .any(|point| point.requests.goodput_per_sec.is_some_and(|good| good > 0.0)),
        "some requests met the objectives"
    );
    // The task picker is the combo box that reads "All tasks" (the other sets the redraw).
    let task_picker = |harness: &Harness<'_, LoadscopeApp>, shown: &str| {
        harness
            .get_all_by_role(egui::accesskit::Role::ComboBox)
            .find(|node| node.value().as_deref() == Some(shown))
            .unwrap_or_else(|| panic!("no combo box shows {shown:?}"))
            .click()
    };
    task_picker(&harness, "All tasks");
    settle(&mut harness);
    harness.get_by_label("All tasks");
    harness.get_by_label("models").click();
    settle(&mut harness);
    harness.get_by_label("Throughput · models");
    harness.get_by_label("Response time · models");
    harness.get_by_label("Goodput · models");
    assert!(
        harness.query_by_label_contains("Time to first token").is_none(),
        "the models task streams nothing: no TTFT chart"
    );
    let models = loadscope::testing::ui::live_run::TaskChoice {
        scenario: 0,
        task: 1,
        name: "models".into(),
        label: "models".into(),
    };
    let model_seconds = harness.state().live().task_series(&models);
    let all_seconds = &harness.state().live().series;
    let model_requests: f64 = model_seconds.iter().map(|point| point.requests.rps).sum();
    let all_requests: f64 = all_seconds.iter().map(|point| point.requests.rps).sum();
    assert!(
        model_requests > 0.0 && model_requests < all_requests * 0.5,
        "{model_requests} of {all_requests}"
    );
    // The run has ended: away from the charts the legend names its lines without a value (a
    // last second's would be read as the run's answer).
    harness.remove_cursor();
    settle(&mut harness);
    assert!(harness.query_all_by_label("requests/s").count() >= 1);
    assert!(
        harness.query_all_by_label_contains("requests/s ").all(|node| !node
            .accesskit_node()
            .label()
            .unwrap_or_default()
            .ends_with("req/s"))
    );
    task_picker(&harness, "models");
    settle(&mut harness);
    harness.get_by_label("chat").click();
    settle(&mut harness);
    harness.get_by_label("Time to first token (chat) · chat");
    harness.get_by_label("Users");

    let checks = harness.state().live().verdict_lights();
    let failed = checks.iter().filter(|light| !light.verdict.passed).count();
    assert!(!checks.is_empty());
    if failed == 0 {
        harness.get_by_label(&format!("All {} target checks passed", checks.len()));
    } else {
        harness.get_by_label(&format!("{failed} of {} target checks failed", checks.len()));
    }

    let record = the_one_saved_run(&mut harness, data.path());
    assert_eq!(record.status, RunStatus::Stopped);
    assert!(
        record.scenarios[0].base_url.starts_with(&gateway),
        "the run records where the load went: {} (the stack: {gateway})",
        record.scenarios[0].base_url
    );
    let started: String = record.started_at.replace('T', " ").chars().take(19).collect();
    harness.get_by_label(&started).click();
    wait_for_runs(&mut harness);
    harness.run_steps(3);
    harness.get_by_label("UI demo · stopped");
    harness.get_by_label("Open in Live");
    assert_eq!(record.scenarios[0].levels.len(), 2);
    assert!(
        record.scenarios[0].levels[0]
            .verdicts
            .iter()
            .any(|verdict| verdict.target == "requests > 40" && verdict.passed)
    );
}

/// Replays the saved fixture run as the engine's events up to `until_second`, so the Live tab
/// looks as it did mid-run, the same on every machine.
fn replay(record: &RunRecord, until_second: u32) -> Vec<Event> {
    let scenario = &record.scenarios[0];
    let series: Vec<_> = record.series.iter().filter(|point| point.second < until_second).cloned().collect();
    let level_index = series.last().map(|point| point.level).unwrap_or(0);
    let level = &scenario.levels[level_index];
    let snapshot = Snapshot {
        phase: Phase::Running,
        elapsed_secs: f64::from(until_second),
        scenario_index: 0,
        scenario_count: 1,
        scenario_name: scenario.name.clone(),
        level_index,
        level_count: scenario.levels.len(),
        level_name: level.name.clone(),
        level_elapsed_secs: f64::from(until_second) - level.started_offset_secs,
        level_duration_secs: level.planned_duration_secs,
        load: level.load,
        users: series.last().map(|point| point.users).unwrap_or(0),
        rps_last_second: series.last().map(|point| point.requests.rps).unwrap_or(0.0),
        level_tasks: level.tasks.iter().map(|task| (task.task.clone(), task.stats.clone())).collect(),
        level_total: level.total.stats.clone(),
        level_journeys: Vec::new(),
        run_total: record.total.clone().map(|total| total.stats).unwrap_or_default(),
        run_tasks: level.tasks.iter().map(|task| (task.task.clone(), task.stats.clone())).collect(),
        run_failures: Vec::new(),
        late_starts: 0,
        new_series: series,
        failures: level.failures.clone(),
        level_buckets: Vec::new(),
        level_journey_buckets: Vec::new(),
        warmup: false,
        verdicts: level.verdicts.clone(),
        capacity: None,
        resources: None,
        monitor_status: None,
    };
    vec![
        Event::Started {
            out_path: PathBuf::from("/runs/ui-demo.json"),
            stages: 2,
            run_id: "ui-demo".into(),
        },
        Event::Snapshot(Box::new(snapshot)),
    ]
}

fn fixture_record() -> RunRecord {
    let text = std::fs::read_to_string(fixture("ui-run.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn snapshots_of_the_editor_live_and_runs_tabs() {
    // A fixed folder: its path is on screen, and snapshots must match on every machine.
    let data = Path::new("/tmp/loadscope-ui-snapshots");
    let _ = std::fs::remove_dir_all(data);
    let record = fixture_record();
    std::fs::create_dir_all(data.join("runs")).unwrap();
    std::fs::copy(fixture("ui-run.json"), data.join("runs/20261127T132347Z-ui-demo.json")).unwrap();
    let mut harness = snapshot_harness(config(data, Some("demo".into())));
    settle(&mut harness);
    let mut results = egui_kittest::SnapshotResults::new();
    results.add(harness.try_snapshot("editor"));

    let preset = loadscope::testing::preset::load(&fixture("ui-demo.toml").display().to_string(), &Default::default()).unwrap();
    {
        let mut live = loadscope::testing::ui::live_run::LiveRun::for_preset(&preset, RunState::Preflight);
        for event in replay(&record, 6) {
            live.apply(event);
        }
        let app = harness.state_mut();
        app.set_live(live);
        app.command(AppCommand::ShowTab(Tab::Live));
    }
    settle(&mut harness);
    harness.get_by_label("Peak: 2 s left in this level");
    // The Live tab names the adapter that draws it: here Mesa's software Vulkan (lavapipe).
    let adapter = harness
        .state()
        .live_view()
        .adapter
        .clone()
        .expect("the wgpu harness has an adapter");
    assert!(adapter.software, "{adapter:?}");
    harness.get_by_label("Drawn by llvmpipe (software)");
    // The right-hand column leaves room for its last x tick's label (it was cut to "0:1").
    for plot in harness.query_all_by_label_contains(" chart") {
        assert!(
            plot.rect().max.x <= 1400.0 - 16.0,
            "{:?} at {:?}",
            plot.accesskit_node().label(),
            plot.rect()
        );
    }
    results.add(harness.try_snapshot("live_mid_run"));
    // A laptop projector and a full-HD display: the top bar on one line, nothing cut.
    for (width, height) in [(1280.0, 720.0), (1920.0, 1080.0)] {
        harness.set_size(egui::vec2(width, height));
        settle(&mut harness);
        for plot in harness.query_all_by_label_contains(" chart") {
            assert!(plot.rect().max.x <= width - 16.0, "{:?} at {width}", plot.rect());
        }
        results.add(harness.try_snapshot(format!("live_mid_run_{width}x{height}")));
    }
    harness.set_size(egui::vec2(1400.0, 900.0));
    settle(&mut harness);

    harness.state_mut().set_live(Default::default());
    harness.get_by_label("Runs").click();
    step_until(&mut harness, Duration::from_secs(10), "the runs list", |harness| {
        harness.state().runs().run_count() == 1
    });
    harness.get_by_label("2026-11-27 13:23:47").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Open in Live");
    harness.remove_cursor();
    settle(&mut harness);
    results.add(harness.try_snapshot("runs"));
    for (width, height) in [(1280.0, 720.0), (1920.0, 1080.0)] {
        harness.set_size(egui::vec2(width, height));
        settle(&mut harness);
        results.add(harness.try_snapshot(format!("runs_{width}x{height}")));
    }
}

/// A data dir whose library holds the analysis fixtures "Before tuning" (a) and "After
/// tuning" (b).
fn library_with_two_runs(data: &Path) {
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data.join("runs")).unwrap();
    for (name, file) in [("a", "20261127T144101Z-before.json"), ("b", "20261127T144137Z-after.json")] {
        std::fs::copy(fixture(&format!("runs/{name}.json")), data.join("runs").join(file)).unwrap();
    }
}

fn open_runs_tab(harness: &mut Harness<'_, LoadscopeApp>, runs: usize) {
    harness.get_by_label("Runs").click();
    step_until(harness, Duration::from_secs(10), "the runs list", |harness| {
        harness.state().runs().run_count() == runs && !harness.state().runs().is_loading()
    });
}

#[test]
fn runs_tab_edits_exports_compares_presents_and_deletes_with_undo() {
    let data = tempfile::tempdir().unwrap();
    library_with_two_runs(data.path());
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    open_runs_tab(&mut harness, 2);

    // Details of a run: rename it and tag it; the file changes, the measurements do not.
    harness.get_by_label("2026-11-27 14:41:01").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness
        .get_by_label("Run name")
        .set_text_value_accesskit("Queue 32, before the fix");
    harness.get_by_label("Tags").set_text_value_accesskit("release-1.4, #baseline");
    settle(&mut harness);
    harness.get_by_label("Save details").click();
    let path = data.path().join("runs/20261127T144101Z-before.json");
    // Wait for the notice too: it appears above the tabs and moves what follows, and a click
    // is aimed at a widget of the frame it was queried in.
    step_until(&mut harness, Duration::from_secs(10), "the details saved", |harness| {
        loadscope::testing::run::load(&path).unwrap().title.as_deref() == Some("Queue 32, before the fix")
            && harness
                .state()
                .notices()
                .iter()
                .any(|info| info.text.starts_with("Saved the details"))
            && !harness.state().runs().is_loading()
    });
    let saved = loadscope::testing::run::load(&path).unwrap();
    assert_eq!(saved.tags, vec!["release-1.4", "baseline"]);
    assert_eq!(
        saved.scenarios,
        loadscope::testing::run::load(&fixture("runs/a.json")).unwrap().scenarios
    );
    // The findings and the guide's results table are on screen.
    harness.get_by_label_contains("Latency knee (warning, Gateway / Level 3)");
    harness.get_by_label("p95 degradation");

    // A report from the Runs tab.
    harness.get_by_label("HTML").click();
    let report = data.path().join("reports/20261127T144101Z-before.html");
    step_until(&mut harness, Duration::from_secs(10), "the report", |harness| {
        report.is_file() && harness.state().notices().iter().any(|info| info.text.starts_with("Report written"))
    });
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(written.contains("Queue 32, before the fix"));

    // The filter finds runs by tag.
    harness.get_by_label("Filter").set_text_value_accesskit("release-1.4");
    settle(&mut harness);
    assert_eq!(harness.state().runs().rows().len(), 1);
    harness.get_by_label("Filter").set_text_value_accesskit("");
    settle(&mut harness);

    // Compare the two, then present the comparison and step through it by keys.
    harness.get_by_label("Compare Queue 32, before the fix 2026-11-27T14:41:01").click();
    harness.get_by_label("Compare After tuning 2026-11-27T14:41:37").click();
    settle(&mut harness);
    harness.get_by_label("Compare 2 runs").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    let compared: Vec<String> = harness
        .state()
        .runs()
        .compare
        .as_ref()
        .unwrap()
        .runs
        .iter()
        .map(|(_, run)| run.display_name().to_string())
        .collect();
    assert_eq!(compared.len(), 2);
    harness.get_by_label("Comparing 2 runs");
    harness.get_by_label("Latency p95 by level, all runs");
    harness.get_by_label("Elapsed time").click();
    settle(&mut harness);
    harness.get_by_label("Latency p95 over elapsed time, all runs");
    // The summary first (a row per scenario and level); every task and measure unfolds.
    harness.get_by_label("Summary");
    assert!(harness.query_by_label_contains("Gateway / Level 3 / Aggregated").is_none());
    harness.get_by_label("Every task and measure").click_accesskit();
    settle(&mut harness);
    assert!(
        harness.get_all_by_label_contains("Gateway / Level 3 / Aggregated").count() >= 6,
        "a row per measure"
    );
    harness.get_by_label("Comparison report (HTML)").click();
    // Named after the comparison's baseline: the older run unless another is picked.
    let compared_report = data.path().join("reports/20261127T144101Z-before-compared.html");
    step_until(&mut harness, Duration::from_secs(10), "the comparison report", |_| {
        compared_report.is_file()
    });
    assert!(std::fs::read_to_string(&compared_report).unwrap().contains("<h2>Comparison</h2>"));
    harness.get_by_label("Present comparison").click();
    settle(&mut harness);
    assert!(harness.state().presentation().is_some());
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    harness.key_press(egui::Key::ArrowRight);
    settle(&mut harness);
    assert_eq!(harness.state().presentation().unwrap().level, Some(1));
    harness.key_press(egui::Key::ArrowDown);
    settle(&mut harness);
    assert_eq!(harness.state().presentation().unwrap().run_index, 1);
    harness.get_by_label_contains("(baseline)");
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert!(harness.state().presentation().is_none());
    harness.get_by_label("Back to runs").click();
    settle(&mut harness);

    // Delete, then Undo.
    harness.get_by_label("2026-11-27 14:41:37").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Delete run").click();
    let after = data.path().join("runs/20261127T144137Z-after.json");
    step_until(&mut harness, Duration::from_secs(10), "the delete", |harness| {
        !after.exists() && harness.state().runs().run_count() == 1
    });
    harness.get_by_label("Undo").click();
    step_until(&mut harness, Duration::from_secs(10), "the undo", |harness| {
        after.exists() && harness.state().runs().run_count() == 2
    });

    // A saved run reopens in the Live tab, whole.
    harness.get_by_label("2026-11-27 14:41:37").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Open in Live").click();
    settle(&mut harness);
    assert_eq!(harness.state().tab(), Tab::Live);
    let shown = harness.state().live().record.as_ref().unwrap();
    assert_eq!(shown.display_name(), "After tuning");
    assert_eq!(harness.state().live().series.len(), shown.series.len());
}

#[test]
fn snapshots_of_the_comparison_and_presentation_and_a_chart_saved_as_png() {
    let data = Path::new("/tmp/loadscope-ui-snapshots-compare");
    library_with_two_runs(data);
    let mut harness = snapshot_harness(config(data, Some("demo".into())));
    settle(&mut harness);
    open_runs_tab(&mut harness, 2);
    let mut results = egui_kittest::SnapshotResults::new();
    harness.get_by_label("Compare Before tuning 2026-11-27T14:41:01").click();
    harness.get_by_label("Compare After tuning 2026-11-27T14:41:37").click();
    settle(&mut harness);
    harness.get_by_label("Compare 2 runs").click();
    wait_for_runs(&mut harness);
    harness.remove_cursor();
    settle(&mut harness);
    results.add(harness.try_snapshot("compare"));
    // The overlay charts save as PNG too.
    harness.get_all_by_label("Save PNG").next().unwrap().click();
    step_until(&mut harness, Duration::from_secs(10), "the overlay PNG", |harness| {
        harness
            .state()
            .notices()
            .iter()
            .any(|info| info.text.contains("compare-latency-p95"))
    });

    harness.get_by_label("Present comparison").click();
    settle(&mut harness);
    harness.key_press(egui::Key::ArrowDown);
    harness.key_press(egui::Key::ArrowRight);
    harness.key_press(egui::Key::ArrowRight);
    harness.key_press(egui::Key::ArrowRight);
    harness.remove_cursor();
    settle(&mut harness);
    // The comparison says what changed, then counts what did not in one line (Level 2: p95
    // better; error rate, RPS, p50 and p99 no clear change).
    harness.get_by_label_contains("other measures: no clear change");
    assert_eq!(harness.query_all_by_label_contains("no clear change").count(), 1);
    // A room's screens: a laptop projector and a full-HD display.
    for (width, height) in [(1280.0, 720.0), (1920.0, 1080.0)] {
        harness.set_size(egui::vec2(width, height));
        settle(&mut harness);
        results.add(harness.try_snapshot(format!("presentation_{width}x{height}")));
    }
    harness.set_size(egui::vec2(1400.0, 900.0));
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);

    // A Live chart saved as PNG: drawn again at twice the screen's scale, title to axes.
    let record = loadscope::testing::run::load(&data.join("runs/20261127T144101Z-before.json")).unwrap();
    harness.state_mut().command(AppCommand::ShowSavedRun(
        data.join("runs/20261127T144101Z-before.json"),
        Box::new(record),
    ));
    settle(&mut harness);
    harness.get_all_by_label("Save PNG").next().unwrap().click();
    step_until(&mut harness, Duration::from_secs(10), "the PNG", |harness| {
        harness
            .state()
            .notices()
            .iter()
            .any(|info| info.text.starts_with("Chart saved as") && info.text.contains("throughput"))
    });
    let exports: Vec<PathBuf> = std::fs::read_dir(data.join("exports"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| !path.file_name().unwrap().to_string_lossy().contains("compare"))
        .collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    let bytes = std::fs::read(&exports[0]).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    // IHDR: twice the chart's size on screen (its plot, with the title, legend and axes
    // around it), not the window.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    let plot = harness.get_by_label("Throughput chart").rect();
    assert!(
        f64::from(width) >= 2.0 * f64::from(plot.width()) && f64::from(width) <= 2.0 * (f64::from(plot.width()) + 120.0),
        "{width} px wide for a plot {} points wide",
        plot.width()
    );
    assert!(
        f64::from(height) >= 2.0 * (f64::from(plot.height()) + 30.0) && height < 2 * 900,
        "{height} px high for a plot {} points high",
        plot.height()
    );
    let image = image::load_from_memory(&bytes).unwrap().to_rgba8();
    let background = *image.get_pixel(2, 2);
    let drawn = image.pixels().filter(|pixel| **pixel != background).count();
    assert!(
        drawn > image.pixels().len() / 50,
        "the chart is drawn, not a blank page: {drawn} pixels"
    );
}

#[test]
fn a_scenario_baseline_is_set_in_the_editor_and_checked() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    harness.get_by_label("RAG Service").click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Baseline")
        .set_text_value_accesskit("{ scenario = \"API Gateway\" }");
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert!(toml.contains("baseline = { scenario = \"API Gateway\" }"), "{toml}");
    harness.get_by_label("Valid: loadscope validate finds no problems");
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Baseline")
        .set_text_value_accesskit("{ scenario = \"Nope\" }");
    settle(&mut harness);
    harness.get_by_label_contains(
        "baseline scenario \"Nope\" does not exist (scenarios: API Gateway baseline, API Gateway, RAG Service, MCP Server)",
    );
}

#[test]
fn save_failures_are_errors_on_screen_and_a_run_saved_nowhere_says_so() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    let preset = loadscope::testing::preset::load(&fixture("ui-demo.toml").display().to_string(), &Default::default()).unwrap();
    {
        let app = harness.state_mut();
        app.set_live(loadscope::testing::ui::live_run::LiveRun::for_preset(&preset, RunState::Preflight));
        app.take_event(Event::Started {
            out_path: PathBuf::from("/mnt/full/run.json"),
            stages: 2,
            run_id: "full".into(),
        });
        app.take_event(Event::SaveFailed {
            path: PathBuf::from("/mnt/full/run.json"),
            error: std::sync::Arc::new(loadscope::testing::run::RunFileError::Write {
                path: PathBuf::from("/mnt/full/run.json"),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
            }),
        });
        app.take_event(Event::SaveFailed {
            path: PathBuf::from("/mnt/full/run.json"),
            error: std::sync::Arc::new(loadscope::testing::run::RunFileError::Write {
                path: PathBuf::from("/mnt/full/run.json"),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
            }),
        });
    }
    settle(&mut harness);
    harness.get_by_label_contains("Could not save the run to /mnt/full/run.json (No space left on device)");
    harness.get_by_label_contains("Save failed: /mnt/full/run.json: No space left on device");
    assert_eq!(harness.state().notices().len(), 1, "said once, not at every autosave");
    harness.state_mut().take_event(Event::Finished {
        record: Box::new(fixture_record()),
        saved: loadscope::testing::engine::SaveOutcome::NotSaved {
            error: "/mnt/full/run.json: No space left on device".into(),
        },
    });
    settle(&mut harness);
    harness.get_by_label_contains("The run could not be saved anywhere: /mnt/full/run.json: No space left on device");
    assert!(
        harness.query_by_label_contains("Run file: /mnt/full").is_none(),
        "no file is shown as the run's"
    );
}

/// The text the app last put on the clipboard, in the frame just run.
fn copied(harness: &Harness<'_, LoadscopeApp>) -> Option<String> {
    harness.output().platform_output.commands.iter().find_map(|command| match command {
        egui::OutputCommand::CopyText(text) => Some(text.clone()),
        _ => None,
    })
}

/// Clicks every table's Copy button on screen, in order: how many there were, and what each
/// put on the clipboard.
fn copy_every_table(harness: &mut Harness<'_, LoadscopeApp>) -> (usize, Vec<String>) {
    let buttons = harness.get_all_by_label("Copy").count();
    let mut tables = Vec::new();
    for index in 0..buttons {
        harness.get_all_by_label("Copy").nth(index).unwrap().click();
        harness.step();
        tables.extend(copied(harness));
        settle(harness);
    }
    (buttons, tables)
}

#[test]
fn shortcuts_the_help_menu_and_the_clipboard() {
    use egui::{Key, Modifiers};
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("runs")).unwrap();
    std::fs::copy(fixture("ui-run.json"), data.path().join("runs/20261127T132347Z-ui-demo.json")).unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);

    // Pasted text lands in the field, and in the preset.
    harness.get_by_label("Level 1 users").click();
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.event(egui::Event::Paste("12".into()));
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 1 users").value().as_deref(), Some("12"));
    assert!(harness.state().document().text().contains("users = 12"));

    // Ctrl+N with unsaved changes asks first, as the menu item does.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    harness.get_by_label("Unsaved changes");
    harness.get_by_label("Discard changes").click();
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "New preset");

    // The menus show the keys, and Help lists them all.
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label_contains("Ctrl+Shift+S");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    harness.get_by_label("Help").click();
    settle(&mut harness);
    harness.get_by_label("Keyboard shortcuts").click();
    settle(&mut harness);
    assert_eq!(harness.state().dialog(), Some(loadscope::testing::ui::Dialog::Shortcuts));
    harness.get_by_label("Stop the run");
    harness.get_by_label("Shift+F5");
    // Tab switching and the side panel, and Present's own keys.
    harness.get_by_label("Show the Live tab");
    harness.get_by_label("Ctrl+2");
    harness.get_by_label("Hide or show the side panel");
    harness.get_by_label("In Present");
    harness.get_by_label("Next / previous level");
    harness.get_by_label("Leave Present");
    harness.get_by_label("Close").click();
    settle(&mut harness);
    assert_eq!(harness.state().dialog(), None);
    harness.get_by_label("Help").click();
    settle(&mut harness);
    harness.get_by_label("About Loadscope").click();
    settle(&mut harness);
    harness.get_by_label(&format!("Version {}", env!("CARGO_PKG_VERSION")));
    harness.get_by_label("Close").click();
    settle(&mut harness);

    // A table copies as tab-separated rows.
    harness.get_by_label("Runs").click();
    step_until(&mut harness, Duration::from_secs(10), "the runs list", |harness| {
        harness.state().runs().run_count() == 1
    });
    harness.get_by_label("2026-11-27 13:23:47").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    let (buttons, tables) = copy_every_table(&mut harness);
    assert_eq!(tables.len(), buttons, "each Copy put its table on the clipboard: {tables:?}");
    let per_task = tables
        .iter()
        .find(|text| text.starts_with("Level\tTask\tRequests\tFails\tMedian (ms)\tp95 (ms)"))
        .unwrap_or_else(|| panic!("the Per task table was copied: {tables:?}"));
    // Numbers a spreadsheet can sum: no units, no "0 (0.00%)".
    assert!(per_task.contains("\nPeak\tAggregated\t322\t0\t"), "{per_task}");
    let results = tables
        .iter()
        .find(|text| text.starts_with("Metric\t"))
        .unwrap_or_else(|| panic!("the results table was copied: {tables:?}"));
    assert!(results.contains("\np95 latency (ms)\t"), "{results}");
    assert!(results.contains("\nError rate (%)\t0.0000\t"), "{results}");
    // Each Copy says what it did for a moment.
    assert!(harness.query_all_by_label_contains("Copied ").count() >= 1);

    // A chart's numbers copy as one row per second.
    harness.get_by_label("Open in Live").click();
    settle(&mut harness);
    harness.get_all_by_label("Copy data").next().unwrap().click();
    harness.step();
    let chart = copied(&harness).expect("the chart's numbers were copied");
    assert!(chart.starts_with("second (values in "), "{chart}");
    assert!(chart.lines().count() > 5, "{chart}");

    // The Live statistics copy as numbers a spreadsheet can sum, units in the headers.
    harness.get_by_label("Statistics").click();
    settle(&mut harness);
    harness.get_all_by_label("Copy").next().unwrap().click();
    harness.step();
    let stats = copied(&harness).expect("the statistics were copied");
    assert!(stats.starts_with("Task\tRequests\tFails\tMedian (ms)\tp95 (ms)"), "{stats}");
    let aggregated: Vec<&str> = stats.lines().last().unwrap().split('\t').collect();
    assert_eq!(aggregated[0], "Aggregated", "{stats}");
    assert!(aggregated[3].parse::<f64>().is_ok() && !aggregated[3].ends_with("ms"), "{stats}");
    settle(&mut harness);
    assert!(harness.query_all_by_label_contains("Copied ").count() >= 1);
}

#[test]
fn save_as_goes_through_the_in_app_file_dialog_where_the_system_has_none() {
    use egui::{Key, Modifiers};
    let data = tempfile::tempdir().unwrap();
    let app_config = config(data.path(), Some("api-gateway".into()));
    // egui_file's path and file-name fields carry no accessible name (the crate's; they are
    // found here by their text), so the harness's accessibility check is off for this test.
    let mut harness = Harness::builder()
        .with_size([1024.0, 640.0])
        .with_max_steps(50)
        .with_accessibility_check(false)
        .build_eframe(move |cc| LoadscopeApp::new(cc, app_config));
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
    settle(&mut harness);
    // The reason stays in sight: the dialog opens below it, not over it.
    let reason = harness.get_by_label_contains("Using Loadscope's own file dialog").rect();
    let dialog = harness.get_by_label_contains("Save the preset as").rect();
    assert!(reason.max.y < dialog.min.y, "the reason {reason:?} is under the dialog {dialog:?}");
    // The file name the dialog offers: the preset's name.
    assert!(harness.get_all_by_value("api-gateway.toml").next().is_some());
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let saved = data.path().join("presets/api-gateway.toml");
    let listing: Vec<_> = walk(data.path());
    assert!(
        saved.is_file(),
        "the preset was written through the in-app dialog; found {listing:?}, notices {:?}",
        harness.state().notices()
    );
    assert!(std::fs::read_to_string(&saved).unwrap().contains("[[scenario]]"));
    assert!(!harness.state().document().is_dirty());
    assert_eq!(
        harness.state().document().origin(),
        &loadscope::testing::ui::document::Origin::File(saved.clone())
    );
    // Saved presets are one click away in the library panel (beside the shipped one).
    assert_eq!(harness.get_all_by_label("api-gateway").count(), 2);
    // Said once: a second dialog does not repeat why.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::O);
    settle(&mut harness);
    harness.get_by_label_contains("Open a preset");
    assert_eq!(
        harness
            .state()
            .notices()
            .iter()
            .filter(|notice| notice.text.starts_with("Using Loadscope's own"))
            .count(),
        1
    );
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn secrets_entered_once_go_to_a_private_env_file_beside_the_preset() {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let preset = folder.path().join("keyed.toml");
    let text = "name = \"Keyed\"\n\n[[scenario]]\nname = \"Gateway\"\n\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\nheaders = { Authorization = \"Bearer ${LOADSCOPE_UI_TEST_KEY}\" }\n\n[[scenario.task]]\nname = \"models\"\npath = \"/v1/models\"\n\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n";
    std::fs::write(&preset, text).unwrap();
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Keyed");
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label("Secrets…").click();
    settle(&mut harness);
    harness.get_by_label("missing");
    harness
        .get_by_label("LOADSCOPE_UI_TEST_KEY")
        .set_text_value_accesskit("sk-test-secret-123");
    settle(&mut harness);
    harness.get_by_label("Save to .env").click();
    settle(&mut harness);
    harness.get_by_label("in .env");
    let env_file = folder.path().join(".env");
    let saved = std::fs::read_to_string(&env_file).unwrap();
    assert!(saved.contains("LOADSCOPE_UI_TEST_KEY='sk-test-secret-123'"), "{saved}");
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_to_string(&preset).unwrap(), text, "the preset keeps its reference");
    assert!(!harness.state().document().text().contains("sk-test"));
    assert!(
        harness.state().notices().iter().all(|notice| !notice.text.contains("sk-test")),
        "no notice shows the value"
    );
    let dotenv = loadscope::testing::preset::secrets::DotEnv::read(&env_file).unwrap();
    assert_eq!(dotenv.lookup("LOADSCOPE_UI_TEST_KEY").as_deref(), Some("sk-test-secret-123"));
}

#[test]
fn the_first_launch_is_clean() {
    // A new user: no settings, no preset named, the demo stack started from the panel.
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), None));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Demo");
    let shipped = harness.state().document().text().to_string();
    assert!(!harness.state().document().is_dirty(), "the shipped preset opens without changes");
    assert!(harness.state().notices().is_empty(), "{:?}", harness.state().notices());
    harness.get_by_label("Live").click();
    settle(&mut harness);
    harness.get_by_label("New here? Start the demo stack in the panel on the left, then press Start.");
    harness.get_by_label("Start demo stack").click();
    settle(&mut harness);
    assert!(harness.state().demo_urls().is_some());
    assert_eq!(
        harness.state().document().text(),
        shipped,
        "fallback ports are not written into the preset"
    );
    assert!(!harness.state().document().is_dirty());
    assert!(
        harness.query_by_label_contains("New here?").is_none(),
        "no offer to start what runs"
    );
    harness.get_by_label("The demo stack is running: Start runs the open preset against it.");
    // Empty fields say what they default to.
    harness.get_by_label("Editor").click();
    settle(&mut harness);
    harness.get_by_label("API Gateway").click();
    settle(&mut harness);
    assert!(harness.state().notices().is_empty(), "{:?}", harness.state().notices());
}

#[test]
fn a_broken_preset_keeps_its_scenario_and_its_error_notice_goes_when_fixed() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    harness.get_by_label("RAG Service").click();
    settle(&mut harness);
    let picked = harness.state().editor_scenario();
    assert!(picked > 0);
    let good = harness.state().document().text().to_string();
    harness
        .get_by_label("Preset TOML")
        .set_text_value_accesskit(&format!("{good}\n[[scenario]\n"));
    settle(&mut harness);
    // Start with a broken preset: one notice, however often it is pressed.
    harness.key_press(egui::Key::F5);
    settle(&mut harness);
    harness.key_press(egui::Key::F5);
    settle(&mut harness);
    let errors = harness.state().notices().iter().filter(|notice| notice.is_error()).count();
    assert_eq!(errors, 1, "{:?}", harness.state().notices());
    harness.get_by_label("Preset TOML").set_text_value_accesskit(&good);
    settle(&mut harness);
    assert_eq!(harness.state().editor_scenario(), picked, "fixing the text keeps the scenario");
    assert!(
        harness.state().notices().iter().all(|notice| !notice.is_error()),
        "the error went with its cause"
    );
}

/// The Live tab showing the UI fixture run, at 1400x900.
fn live_tab_with_fixture_run(data: &Path) -> Harness<'static, LoadscopeApp> {
    let mut harness = harness(config(data, Some("demo".into())));
    settle(&mut harness);
    harness
        .state_mut()
        .command(AppCommand::ShowSavedRun(fixture("ui-run.json"), Box::new(fixture_record())));
    settle(&mut harness);
    assert_eq!(harness.state().tab(), Tab::Live);
    harness
}

#[test]
fn hovering_a_chart_reads_every_series_at_that_time_on_every_chart() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = live_tab_with_fixture_run(data.path());
    let record = fixture_record();
    let plot = harness.get_by_label("Response time chart").rect();
    harness.hover_at(plot.center());
    settle(&mut harness);
    settle(&mut harness);
    // Every chart's legend reads the same time.
    let at_secs = harness.state().live_view().cursor.hover_secs.expect("the pointer is over a chart");
    let readout = format!("at {}", loadscope::testing::format::elapsed(at_secs));
    assert!(harness.get_all_by_label(&readout).count() >= 2, "{readout} on each chart");
    let at_secs = at_secs.round() as u32;
    // The series' point nearest that time (points sit at the end of their second).
    let point = record
        .series
        .iter()
        .min_by_key(|point| (i64::from(point.second) + 1 - i64::from(at_secs)).abs())
        .unwrap();
    let p95_ms = point.requests.p95_micros.unwrap() as f64 / 1000.0;
    let expected = if p95_ms >= 100.0 {
        format!("p95 {p95_ms:.0} ms")
    } else {
        format!("p95 {p95_ms:.1} ms")
    };
    harness.get_by_label(&expected);
    let rps = if point.requests.rps >= 100.0 {
        format!("requests/s {:.0} req/s", point.requests.rps)
    } else {
        format!("requests/s {:.1} req/s", point.requests.rps)
    };
    harness.get_by_label(&rps);
    // Away from the charts of a run that has ended, the legends name their lines without a
    // value: the last second's would be read as the run's answer.
    harness.remove_cursor();
    settle(&mut harness);
    settle(&mut harness);
    assert!(harness.query_by_label(&readout).is_none());
    assert!(harness.query_by_label(&expected).is_none() && harness.query_by_label(&rps).is_none());
    assert!(harness.query_all_by_label("p95").count() >= 1);
    assert!(
        harness
            .query_all_by_label_contains("p95 ")
            .all(|node| !node.accesskit_node().label().unwrap_or_default().ends_with(" ms"))
    );
}

#[test]
fn dragging_across_a_chart_zooms_every_chart_and_reset_undoes_it() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = live_tab_with_fixture_run(data.path());
    harness.get_by_label("Drag across a chart to zoom");
    let plot = harness.get_by_label("Response time chart").rect();
    let y = plot.center().y;
    harness.hover_at(egui::pos2(plot.left() + plot.width() * 0.25, y));
    settle(&mut harness);
    harness.drag_at(egui::pos2(plot.left() + plot.width() * 0.25, y));
    settle(&mut harness);
    for step in 1..=5 {
        harness.hover_at(egui::pos2(plot.left() + plot.width() * (0.25 + 0.07 * step as f32), y));
        settle(&mut harness);
    }
    harness.drop_at(egui::pos2(plot.left() + plot.width() * 0.6, y));
    settle(&mut harness);
    let zoom = harness.state().live_view().cursor.zoom.expect("a zoomed range");
    let whole = harness.state().live().elapsed_secs();
    assert!(
        zoom.start_secs > whole * 0.1 && zoom.end_secs < whole * 0.75,
        "{zoom:?} of {whole} s"
    );
    harness.get_by_label_contains("Zoomed to ");
    // Another chart shows the same range: its readout at the same pointer time matches.
    let other = harness.get_by_label("Throughput chart").rect();
    harness.hover_at(other.center());
    settle(&mut harness);
    assert_eq!(
        harness.state().live_view().cursor.zoom,
        Some(zoom),
        "hovering does not change the zoom"
    );
    // Reset zoom (as a double-click on a chart does) shows the whole run again.
    harness.get_by_label("Reset zoom").click();
    settle(&mut harness);
    assert_eq!(harness.state().live_view().cursor.zoom, None);
    harness.get_by_label("Drag across a chart to zoom");
}

#[test]
fn the_present_headline_leads_with_the_worst_failure() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    let failing = loadscope::testing::run::load(&fixture("runs/a.json")).unwrap();
    harness.state_mut().command(AppCommand::Present(vec![failing]));
    settle(&mut harness);
    // 31% errors against a 1% limit at the gateway's busiest level, not a fast level's p95.
    harness.get_by_label("31.19%");
    // In people's words: the measure, what it was, its limit, where.
    harness.get_by_label("Error rate 31.19% — limit 1.00% — Gateway, Level 3 (48 users)");
    // A failing badge shows what failed (the furthest miss), not its p95, which held.
    harness.get_by_label("FAIL · Error rate 31.19%");
    assert!(harness.query_by_label_contains("FAIL · p95").is_none());
    // Every level label names its scenario.
    assert!(harness.query_all_by_label_contains("Gateway / Level 1").count() >= 1);
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);

    // A run whose targets all held leads with its peak load within targets.
    let mut passing = loadscope::testing::run::load(&fixture("runs/b.json")).unwrap();
    for scenario in &mut passing.scenarios {
        for level in &mut scenario.levels {
            for verdict in &mut level.verdicts {
                verdict.passed = true;
            }
        }
    }
    harness.state_mut().command(AppCommand::Present(vec![passing]));
    settle(&mut harness);
    assert!(harness.query_by_label_contains(" — limit ").is_none());
    harness.get_by_label_contains("peak within targets, ");
}

#[test]
fn comparisons_call_a_change_only_beyond_noise() {
    // b ran against a stack twice as fast as a's: a real change. a2 ran against the same stack
    // as a, minutes later: only noise.
    let a = loadscope::testing::run::load(&fixture("runs/a.json")).unwrap();
    let b = loadscope::testing::run::load(&fixture("runs/b.json")).unwrap();
    let a2 = loadscope::testing::run::load(&fixture("runs/a2.json")).unwrap();
    let summary = |first: &RunRecord, second: &RunRecord| {
        let comparison = loadscope::testing::analysis::comparison::compare(&[first, second], 0);
        loadscope::testing::report::tables::comparison_summary_table(&comparison)
    };
    let words = |table: &loadscope::testing::report::tables::Table| -> Vec<String> {
        table.rows.iter().flatten().map(|cell| cell.text.clone()).collect()
    };
    let real = words(&summary(&a, &b));
    assert!(real.iter().any(|text| text.ends_with(" better")), "{real:?}");
    let noise = words(&summary(&a, &a2));
    assert!(
        noise.iter().all(|text| !text.ends_with(" better") && !text.ends_with(" worse")),
        "a rerun of the same thing is no clear change: {noise:?}"
    );
    assert!(noise.iter().any(|text| text.ends_with("no clear change")));
    // Each call shows its reason on hover: both runs' intervals.
    let table = summary(&a, &a2);
    let hover = table
        .rows
        .iter()
        .flatten()
        .find(|cell| cell.text.ends_with("no clear change"))
        .and_then(|cell| cell.hover.clone())
        .unwrap();
    assert!(hover.starts_with("95% confidence intervals\nbaseline: "), "{hover}");

    // The app shows the summary first, its intervals on hover, the details folded.
    let data = Path::new("/tmp/loadscope-ui-compare-noise");
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data.join("runs")).unwrap();
    std::fs::copy(fixture("runs/a.json"), data.join("runs/20261127T144101Z-before.json")).unwrap();
    std::fs::copy(fixture("runs/a2.json"), data.join("runs/20261127T150000Z-again.json")).unwrap();
    let mut harness = harness(config(data, Some("demo".into())));
    settle(&mut harness);
    open_runs_tab(&mut harness, 2);
    for node in harness
        .get_all_by_label_contains("Compare ")
        .filter(|node| node.accesskit_node().role() == egui::accesskit::Role::CheckBox)
    {
        node.click();
    }
    settle(&mut harness);
    harness.get_by_label("Compare 2 runs").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Summary");
    harness.get_by_label("Every task and measure");
    // The caption says "Better or worse only beyond run-to-run noise"; no cell says either.
    assert_eq!(harness.query_all_by_label_contains(" worse").count(), 1);
    assert_eq!(harness.query_all_by_label_contains(" better").count(), 0);
}

#[test]
fn a_capacity_search_draws_its_curve_in_live_and_its_steps_in_the_runs_tab() {
    let data = tempfile::tempdir().unwrap();
    let preset = data.path().join("capacity.toml");
    std::fs::write(
        &preset,
        r#"
name = "UI capacity"
[[scenario]]
name = "Gateway capacity"
[scenario.service]
base_url = "http://localhost:8000"
health_path = "/health"
[[scenario.task]]
name = "models"
path = "/v1/models"
[scenario.capacity]
over = "users"
start = 2
max = 4
step = "1s"
warmup = "0s"
[[scenario.target]]
expr = "p95 < 5s"
"#,
    )
    .unwrap();
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut harness);
    harness.get_by_label("Start demo stack").click();
    settle(&mut harness);
    harness.get_by_label("Live").click();
    settle(&mut harness);
    harness.get_by_label("Start").click();
    step_until(&mut harness, Duration::from_secs(20), "the search to end", |harness| {
        matches!(harness.state().live().state, RunState::Ended(_))
    });
    assert_eq!(harness.state().live().state, RunState::Ended(RunStatus::Completed));
    // After the run the steps' bands carry no names ("Step 2 · 4 users"): the answer says it.
    let bands = harness.state().live().bands();
    assert!(!bands.is_empty() && bands.iter().all(|band| band.label.is_empty()), "{bands:?}");
    // Live: the answer in the largest type, then the curve of the finished steps, by load,
    // above the time charts.
    harness.get_by_label("Charts").click();
    settle(&mut harness);
    harness.get_by_label_contains("Gateway capacity: capacity at least 4 users (held at the maximum tried; raise max), p95 ");
    harness.get_by_label("Gateway capacity: latency by load");
    harness.get_by_label("Gateway capacity: throughput by load");

    // Runs: the step table and its result.
    let record = the_one_saved_run(&mut harness, data.path());
    assert_eq!(
        record.scenarios[0].capacity.as_ref().and_then(|capacity| capacity.capacity),
        Some(4.0)
    );
    let started: String = record.started_at.replace('T', " ").chars().take(19).collect();
    harness.get_by_label(&started).click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Gateway capacity: capacity 4 users");
    // The list's Capacity column and the detail's first line say the answer.
    harness.get_by_label("Capacity");
    harness.get_by_label("at least 4 users");
    harness.get_by_label_contains("Gateway capacity: capacity at least 4 users (held at the maximum tried; raise max), p95 ");
    // Every step held up to the maximum: the capacity is at least that, and the search says
    // to raise max rather than claim it bisected.
    harness.get_by_label_contains("Capacity: at least 4 users: every step held, up to the maximum tried (4 users); raise max");
    // Present leads with the search's answer, not a step that failed on the way.
    harness.get_by_label("Present").click();
    settle(&mut harness);
    harness.get_by_label("at least 4 users");
    harness.get_by_label("held at the maximum tried; raise max, Gateway capacity");
}

#[test]
fn snapshots_of_a_capacity_search_in_the_runs_tab_and_present() {
    // A search saved by `loadscope run` against the demo stack (4 and 8 users held, 16, 12,
    // 10 and 9 failed): the Runs tab shows its steps and curves, Present leads with 8 users.
    let data = Path::new("/tmp/loadscope-ui-capacity-snapshots");
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data.join("runs")).unwrap();
    std::fs::copy(fixture("ui-capacity-run.json"), data.join("runs/20261203T130306Z-capacity.json")).unwrap();
    let mut harness = snapshot_harness(config(data, Some("demo".into())));
    settle(&mut harness);
    harness.get_by_label("Runs").click();
    step_until(&mut harness, Duration::from_secs(10), "the runs list", |harness| {
        harness.state().runs().run_count() == 1
    });
    harness.get_by_label("2026-12-03 13:03:06").click();
    wait_for_runs(&mut harness);
    settle(&mut harness);
    harness.get_by_label("Chat: capacity 8 users");
    harness.remove_cursor();
    settle(&mut harness);
    let mut results = egui_kittest::SnapshotResults::new();
    results.add(harness.try_snapshot("runs_capacity"));
    harness.get_by_label("Present").click();
    settle(&mut harness);
    harness.get_by_label("8 users");
    harness.remove_cursor();
    settle(&mut harness);
    results.add(harness.try_snapshot("presentation_capacity"));
}

/// A GET of `/metrics` on 127.0.0.1 (HTTP/1.0): the body, if it answered 200.
fn scrape(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    reply
        .starts_with("HTTP/1.0 200")
        .then(|| reply.split_once("\r\n\r\n").map(|(_, body)| body.to_string()))?
}

#[test]
fn a_presets_metrics_address_serves_the_apps_run_to_prometheus() {
    let demo = loadscope::testing::demo::DemoStack::start(DemoConfig {
        base_port: 0,
        seed: Some(3),
        error_rate: 0.0,
        ..DemoConfig::default()
    })
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let preset = data.path().join("export.toml");
    let write_preset = |port: u16| {
        std::fs::write(
            &preset,
            format!(
                "name = \"Exported\"\n[export]\nmetrics_addr = \"127.0.0.1:{port}\"\n[[scenario]]\nname = \"Gateway\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"models\"\nkind = \"http\"\npath = \"/v1/models\"\n[[scenario.level]]\nname = \"One\"\nusers = 2\nduration = \"3s\"\n",
                demo.urls()[0]
            ),
        )
        .unwrap();
    };

    // A port another program holds: the run does not start, and the notice says why and where.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    write_preset(holder.local_addr().unwrap().port());
    let mut refusing = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut refusing);
    refusing.get_by_label("Live").click();
    settle(&mut refusing);
    refusing.get_by_label("Start").click();
    settle(&mut refusing);
    let refused = refusing
        .state()
        .notices()
        .iter()
        .map(|notice| notice.text.clone())
        .collect::<Vec<_>>();
    assert!(
        refused
            .iter()
            .any(|text| text.contains("cannot listen there") && text.contains("[export] metrics_addr")),
        "{refused:?}"
    );
    assert!(!refusing.state().live().state.is_active(), "the run did not start");
    drop(refusing);

    write_preset(port);
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut harness);
    harness.get_by_label("Live").click();
    settle(&mut harness);
    harness.get_by_label("Start").click();
    settle(&mut harness);
    harness.get_by_label(&format!("Live metrics for Prometheus at http://127.0.0.1:{port}/metrics"));
    // The exporter hears the engine itself: scraped while the window is not redrawn.
    let started = Instant::now();
    let counted = loop {
        let body = scrape(port).unwrap_or_default();
        if let Some(line) = body
            .lines()
            .find(|line| line.starts_with("loadscope_requests_total{scenario=\"Gateway\",task=\"models\",level=\"One\"}"))
            && !line.ends_with(" 0")
        {
            break body;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no requests in /metrics: {body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(counted.contains("preset=\"Exported\""), "{counted}");
    step_until(&mut harness, Duration::from_secs(15), "the run to end", |harness| {
        matches!(harness.state().live().state, RunState::Ended(_))
    });
    let record = the_one_saved_run(&mut harness, data.path());
    let last = scrape(port).unwrap();
    let requests = record.scenarios[0].levels[0].tasks[0].stats.requests;
    assert!(
        last.contains(&format!(
            "loadscope_requests_total{{scenario=\"Gateway\",task=\"models\",level=\"One\"}} {requests}\n"
        )),
        "the final count is the run file's {requests}: {last}"
    );
}

#[test]
fn a_folder_of_segment_files_shows_merged_while_the_segments_still_write() {
    let demo = loadscope::testing::demo::DemoStack::start(DemoConfig {
        base_port: 0,
        seed: Some(4),
        error_rate: 0.0,
        ..DemoConfig::default()
    })
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let shared = data.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let preset = data.path().join("split.toml");
    std::fs::write(
        &preset,
        format!(
            "name = \"Split\"\n[[scenario]]\nname = \"Gateway\"\nthink_time = \"20ms\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"models\"\npath = \"/v1/models\"\n[[scenario.level]]\nname = \"One\"\nusers = 4\nduration = \"8s\"\n",
            demo.urls()[0]
        ),
    )
    .unwrap();
    let segments: Vec<std::process::Child> = (0..2)
        .map(|index| {
            std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
                .args([
                    "run",
                    preset.to_str().unwrap(),
                    "--segment",
                    &format!("{index}/2"),
                    "--run-id",
                    "ui-split",
                    "-q",
                    "--workers",
                    "1",
                    "--out",
                ])
                .arg(shared.join(format!("segment-{index}.json")))
                .env("LOADSCOPE_DATA_DIR", data.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();

    let mut harness = harness(config(data.path(), None));
    settle(&mut harness);
    harness.state_mut().command(AppCommand::FollowSegments(shared.clone()));
    // The window shows what the folder holds merged, while both segments are still running:
    // its numbers are the ones the merge of the same files gives.
    let started = Instant::now();
    let shown = loop {
        harness.step();
        std::thread::sleep(Duration::from_millis(100));
        let app_requests = harness
            .state()
            .live()
            .record
            .as_ref()
            .and_then(|record| record.total.as_ref().map(|total| total.stats.requests));
        let folder = loadscope::testing::segments::folder::read_folder(&shared);
        if let (Some(app_requests), Ok(folder)) = (app_requests, folder) {
            let merged = folder.record.total.as_ref().unwrap().stats.requests;
            let writing = folder
                .record
                .merged_from
                .iter()
                .filter(|segment| segment.status == RunStatus::Running)
                .count();
            if app_requests > 0 && app_requests == merged && folder.files.len() == 2 && writing == 2 {
                break merged;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "no merged numbers while the segments ran"
        );
    };
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("{shown} requests merged"));
    harness.get_by_label_contains("2 still running");
    assert_eq!(harness.state().tab(), Tab::Live);

    // Once both have finished the folder shows the whole run and is not read again.
    for mut segment in segments {
        assert!(segment.wait().unwrap().success(), "a segment failed");
    }
    step_until(&mut harness, Duration::from_secs(10), "every segment finished", |harness| {
        harness.state().segment_folder().is_some_and(|folder| folder.done)
    });
    let merged = loadscope::testing::segments::folder::read_folder(&shared).unwrap().record;
    let total = merged.total.as_ref().unwrap().stats.requests;
    assert_eq!(
        harness
            .state()
            .live()
            .record
            .as_ref()
            .unwrap()
            .total
            .as_ref()
            .unwrap()
            .stats
            .requests,
        total
    );
    harness.get_by_label_contains(&format!("{total} requests merged"));
    harness.get_by_label_contains("every segment has finished");
}

#[test]
fn the_window_thread_reads_and_writes_no_file() {
    use egui::{Key, Modifiers};
    // A preset beside a dataset, a pool file and a saved baseline run: every keystroke checks
    // it, and none of that (or opening, saving, the secrets dialog, planning a run, listing
    // runs) may touch the disk on the window's thread.
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mut dataset = String::new();
    for index in 0..2000 {
        dataset.push_str(&format!(
            "{{\"messages\": [{{\"role\": \"user\", \"content\": \"question {index} about the weather\"}}]}}\n"
        ));
    }
    std::fs::write(folder.path().join("chats.jsonl"), dataset).unwrap();
    std::fs::write(folder.path().join("queries.txt"), "first query\nsecond query\n").unwrap();
    std::fs::copy(fixture("ui-run.json"), folder.path().join("baseline.json")).unwrap();
    let baseline_scenario = fixture_record().scenarios[0].name.clone();
    let preset = folder.path().join("files.toml");
    let text = format!(
        "name = \"Files\"\n\n[[scenario]]\nname = \"Gateway\"\nbaseline = {{ run = \"baseline.json\", scenario = \"{baseline_scenario}\" }}\n\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n\n[scenario.pools]\nqueries = {{ file = \"queries.txt\" }}\n\n[[scenario.task]]\nname = \"ask\"\nkind = \"chat\"\nmodel = \"m\"\ndataset = {{ file = \"chats.jsonl\", format = \"jsonl\", max_prompt_tokens = 100 }}\n\n[[scenario.task]]\nname = \"search\"\npath = \"/search?q={{{{ pool.queries | urlencode }}}}\"\n\n[[scenario.level]]\nname = \"One\"\nusers = 1\nduration = \"1s\"\n"
    );
    std::fs::write(&preset, &text).unwrap();
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    let started = Instant::now();
    while !(harness.state().document().title() == "Files" && harness.state().document().diagnostics().is_empty()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the preset and its files were never read: {} {:?}",
            harness.state().document().title(),
            harness.state().document().diagnostics()
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Typing: every change is checked again, from what was read.
    for users in 2..6 {
        let edited = harness
            .state()
            .document()
            .text()
            .replace(&format!("users = {}", users - 1), &format!("users = {users}"));
        harness.get_by_label("Preset TOML").set_text_value_accesskit(&edited);
        settle(&mut harness);
    }
    assert!(
        harness.state().document().diagnostics().is_empty(),
        "{:?}",
        harness.state().document().diagnostics()
    );
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut harness);
    assert!(!harness.state().document().is_dirty(), "{:?}", harness.state().notices());
    assert!(std::fs::read_to_string(&preset).unwrap().contains("users = 5"));
    harness.get_by_label("File").click();
    settle(&mut harness);
    harness.get_by_label("Secrets…").click();
    settle(&mut harness);
    harness.get_by_label("Preflight").click();
    settle(&mut harness);
    harness.get_by_label("Runs").click();
    settle(&mut harness);
    let faults = loadscope::testing::io_guard::faults();
    assert!(faults.is_empty(), "file I/O on the window thread: {faults:#?}");
}

#[test]
fn a_save_that_fails_keeps_the_changes_and_does_not_go_on() {
    use egui::{Key, Modifiers};
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("presets");
    std::fs::create_dir(&dir).unwrap();
    let preset = dir.join("kept.toml");
    std::fs::write(&preset, NEW_PRESET_TEXT).unwrap();
    let mut harness = harness(config(data.path(), Some(preset.display().to_string())));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Kept");
    // The folder is gone and a file has its name: no save can succeed.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "not a folder").unwrap();
    let edited = harness.state().document().text().replace("users = 5", "users = 6");
    harness.get_by_label("Preset TOML").set_text_value_accesskit(&edited);
    settle(&mut harness);
    // Closing the window asks about the changes; Save fails, so the window stays open.
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    settle(&mut harness);
    harness.get_by_label_contains("has changes that are not saved");
    harness.get_by_label("Save").click();
    settle(&mut harness);
    assert!(!harness.state().is_quitting(), "a failed save must not close the window");
    // New asks too, and a failed Save leaves the preset as it is.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    harness.get_by_label("Save").click();
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Kept", "still the edited preset");
    assert!(harness.state().document().is_dirty());
    assert!(harness.state().document().text().contains("users = 6"));
    assert!(
        harness
            .state()
            .notices()
            .iter()
            .any(|notice| notice.text.contains("cannot save") && notice.text.contains("still open with its changes")),
        "{:?}",
        harness.state().notices()
    );
}

const NEW_PRESET_TEXT: &str = "name = \"Kept\"\n\n[[scenario]]\nname = \"S\"\n\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n\n[[scenario.level]]\nusers = 5\nduration = \"1s\"\n";

#[test]
fn the_live_tab_present_and_the_report_draw_a_run_with_the_same_charts() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = live_tab_with_fixture_run(data.path());
    let record = fixture_record();
    let report_charts = loadscope::testing::report::charts::run_charts(&record);
    assert!(
        report_charts.len() >= 4,
        "{:?}",
        report_charts.iter().map(|chart| &chart.title).collect::<Vec<_>>()
    );
    let html = loadscope::testing::report::html::render_report(&loadscope::testing::report::Report::new(&record, &[], None));
    for chart in &report_charts {
        // The same title on the Live tab's chart and in the HTML report.
        harness.get_by_label(&format!("{} chart", chart.title));
        assert!(
            html.contains(&loadscope::testing::report::svg::escape(&chart.title)),
            "{} in the report",
            chart.title
        );
    }
    // Present shows two of them, titled the same.
    harness.state_mut().command(AppCommand::Present(vec![record.clone()]));
    settle(&mut harness);
    for kind in [
        loadscope::testing::report::catalogue::ChartKind::Throughput,
        loadscope::testing::report::catalogue::ChartKind::Latency,
    ] {
        let title = kind.spec().unwrap().title;
        assert!(harness.query_all_by_label(title).next().is_some(), "{title} in Present");
    }
}

#[test]
fn the_live_tab_charts_and_tables_a_journey_run() {
    let stack = quiet_demo(3);
    let [gateway, rag, mcp] = stack.urls();
    let shipped = loadscope::testing::preset::shipped::find("agent-journey").unwrap();
    let levels = shipped.find("[[scenario.level]]").unwrap();
    let targets = shipped.find("[[scenario.target]]").unwrap();
    let text = format!(
        "{}[[scenario.level]]\nname = \"Only\"\nusers = 3\nduration = \"3s\"\n\n{}",
        &shipped[..levels],
        &shipped[targets..]
    )
    .replace("http://localhost:8000", &gateway)
    .replace("http://localhost:8002", &rag)
    .replace("http://localhost:8020", &mcp);
    let dir = tempfile::tempdir().unwrap();
    let (record, mut harness) = live_tab_after_run(dir.path(), &text);
    let completed = record.scenarios[0].levels[0].journeys[0].stats.completed;
    harness.get_by_label("Journeys");
    harness.get_by_label("Journey time (end to end)");
    harness.get_by_label("Statistics").click();
    settle(&mut harness);
    harness.get_by_label("Journeys, end to end (Only)");
    assert!(harness.get_all_by_label(&completed.to_string()).count() >= 1);
    assert!(harness.get_all_by_label("ask agent / answer with tools / tool calls").count() >= 1);
    // Every table here has Copy, and the journeys copy as numbers (latency in ms, in the
    // header), as the statistics do. (A tall window: every table on screen.)
    harness.set_size(egui::vec2(1400.0, 2000.0));
    settle(&mut harness);
    let (buttons, tables) = copy_every_table(&mut harness);
    let journeys = tables
        .iter()
        .find(|text| text.starts_with("Journey\tStarted\tCompleted\tFailed\tMedian (ms)\tp95 (ms)"))
        .unwrap_or_else(|| panic!("the journeys table was copied: {tables:?}"));
    let row: Vec<&str> = journeys.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(row[2], completed.to_string(), "{journeys}");
    assert!(row[5].parse::<f64>().is_ok(), "p95 as a bare number: {journeys}");
    assert_eq!(tables.len(), buttons, "each Copy put its table on the clipboard: {tables:?}");

    // Present leads with the journeys' end-to-end time.
    harness.get_by_label("Present").click();
    settle(&mut harness);
    let journey_p95 = loadscope::testing::format::micros(record.scenarios[0].levels[0].journeys[0].stats.latency_p95_micros as f64);
    harness.get_by_label_contains("journey p95 at Only");
    assert!(harness.get_all_by_label(&journey_p95).count() >= 1, "{journey_p95}");
    assert!(
        harness.query_by_label("Response time").is_none(),
        "the journey chart replaces the request latency chart"
    );
    harness.get_by_label("Journey time (end to end)");
}

#[test]
fn the_editor_edits_services_journeys_and_their_steps() {
    let data = tempfile::tempdir().unwrap();
    // Tall enough that every form of the scenario is on screen at once.
    let app_config = config(data.path(), Some("agent-journey".into()));
    let mut harness = Harness::builder()
        .with_size([1400.0, 4000.0])
        .with_max_steps(50)
        .build_eframe(move |cc| LoadscopeApp::new(cc, app_config));
    settle(&mut harness);
    assert_eq!(harness.state().document().title(), "Agent journey");
    assert_eq!(
        harness.get_by_label("Service rag base URL").value().as_deref(),
        Some("http://localhost:8002")
    );
    harness.get_by_label("Journey 1: ask agent").click();
    settle(&mut harness);
    harness.get_by_label("Step 2: answer with tools (chat)").click();
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Journey 1 step 2 tools").value().as_deref(), Some("mcp"));

    // A step that names a tool service the scenario lacks: validation says so at its line.
    harness.get_by_label("Journey 1 step 2 tools").set_text_value_accesskit("nope");
    settle(&mut harness);
    let diagnostics = harness.state().document().diagnostics();
    assert!(
        diagnostics
            .iter()
            .any(|found| found.message.contains("tools = \"nope\" names no service")),
        "{diagnostics:?}"
    );
    harness.get_by_label("Journey 1 step 2 tools").set_text_value_accesskit("mcp");
    settle(&mut harness);
    harness.get_by_label("Valid: loadscope validate finds no problems");

    // Steps are added, moved and removed; the TOML follows.
    harness.get_by_label("Add step to journey 1").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert_eq!(toml.matches("[[scenario.journey.step]]").count(), 4, "{toml}");
    harness.get_by_label("Step 3: save answer (mcp)").click();
    settle(&mut harness);
    harness.get_by_label("Move journey 1 step 3 up").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    let answer = toml.find("name = \"save answer\"").unwrap();
    let retrieve = toml.find("name = \"retrieve\"").unwrap();
    let chat = toml.find("name = \"answer with tools\"").unwrap();
    assert!(retrieve < answer && answer < chat, "save answer moved before the chat:\n{toml}");
    harness.get_by_label("Step 4: step 4 (http)").click();
    settle(&mut harness);
    harness.get_by_label("Remove journey 1 step 4").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert_eq!(toml.matches("[[scenario.journey.step]]").count(), 3);

    // A service is added and renamed; a step names it.
    harness.get_by_label("Add service").click();
    settle(&mut harness);
    harness.get_by_label("Service service4 new name").set_text_value_accesskit("search");
    settle(&mut harness);
    harness.get_by_label("Rename service service4").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert!(toml.contains("[scenario.services.search]"), "{toml}");
    harness.get_by_label("Add journey").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert!(toml.contains("name = \"journey 2\""), "{toml}");
}

#[test]
fn the_live_tab_says_how_many_requests_their_users_cancelled() {
    let stack = quiet_demo(4);
    let [gateway, _, _] = stack.urls();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[[scenario]]\nname = \"chat\"\n[scenario.service]\nbase_url = \"{gateway}\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\nmodel = \"demo-llm\"\nstream = true\nmax_tokens = 40\nmessages = [{{ role = \"user\", content = \"hi\" }}]\ncancel_after_tokens = 3\n[[scenario.level]]\nname = \"Only\"\nusers = 2\nduration = \"2s\"\n"
    );
    let (record, mut harness) = live_tab_after_run(dir.path(), &text);
    let stats = &record.scenarios[0].levels[0].total.stats;
    assert!(stats.cancelled > 0);
    harness.get_by_label("Statistics").click();
    settle(&mut harness);
    harness.get_by_label(&loadscope::testing::report::lines::cancelled(stats).unwrap());
}

/// The demo stack on free ports, seeded, with no injected errors.
fn quiet_demo(seed: u64) -> loadscope::testing::demo::DemoStack {
    loadscope::testing::demo::DemoStack::start(DemoConfig {
        base_port: 0,
        seed: Some(seed),
        error_rate: 0.0,
        ..DemoConfig::default()
    })
    .unwrap()
}

/// Runs preset `text` for real (saved in `dir`), then shows its events in the Live tab of an
/// app whose data dir is `dir`.
fn live_tab_after_run(dir: &Path, text: &str) -> (RunRecord, Harness<'static, LoadscopeApp>) {
    let preset_path = dir.join("preset.toml");
    std::fs::write(&preset_path, text).unwrap();
    let preset = loadscope::testing::preset::load(&preset_path.display().to_string(), &Default::default()).unwrap();
    let mut plan = loadscope::testing::engine::RunPlan::new(preset.clone(), dir.join("run.json"), &|_| None).unwrap();
    plan.workers = 1;
    let mut events = Vec::new();
    let record = loadscope::testing::engine::run_blocking(plan, |event| events.push(event.clone()))
        .unwrap()
        .unwrap();
    let mut harness = harness(config(dir, None));
    settle(&mut harness);
    let mut live = loadscope::testing::ui::live_run::LiveRun::for_preset(&preset, RunState::Preflight);
    for event in events {
        live.apply(event);
    }
    harness.state_mut().set_live(live);
    harness.state_mut().command(AppCommand::ShowTab(Tab::Live));
    settle(&mut harness);
    (record, harness)
}

#[test]
fn the_failures_badge_and_view_count_the_same_rows_and_the_users_box_follows_the_load() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    let record = fixture_record();
    let preset = loadscope::testing::preset::load(&fixture("ui-demo.toml").display().to_string(), &Default::default()).unwrap();
    let mut events = replay(&record, 6);
    // The warm-up ended with 5 failures; the level running now (Peak) has none.
    let mut warm_up = record.scenarios[0].levels[0].clone();
    warm_up.failures = vec![loadscope::testing::run::FailureRow {
        task: "models".into(),
        kind: loadscope::testing::run::FailureKind::Timeout,
        message: "timed out after 2s".into(),
        count: 5,
        first_seen_secs: Some(1),
        last_seen_secs: Some(2),
    }];
    events.insert(
        1,
        Event::LevelFinished {
            scenario: record.scenarios[0].name.clone(),
            level: Box::new(warm_up),
        },
    );
    let live_of = |events: &[Event]| {
        let mut live = loadscope::testing::ui::live_run::LiveRun::for_preset(&preset, RunState::Preflight);
        for event in events {
            live.apply(event.clone());
        }
        live
    };
    harness.state_mut().set_live(live_of(&events));
    harness.state_mut().command(AppCommand::ShowTab(Tab::Live));
    settle(&mut harness);

    // The current level: no number on the badge, and the view says where the 5 are.
    // (The section's tab comes first; the statistics table has a Failures column too.)
    harness.get_all_by_label("Failures").next().unwrap().click();
    settle(&mut harness);
    assert!(harness.query_by_label("Failures (5)").is_none());
    harness.get_by_label("No failures in the current level; 5 in the whole run (choose Whole run to see them).");
    // The whole run: the badge and the view both say 5.
    harness.get_by_label("Whole run").click();
    settle(&mut harness);
    harness.get_by_label("Failures (5)");
    harness.get_by_label("timed out after 2s");

    // The users box shows the load the engine runs, also when it changes within a level (a
    // capacity search's next step).
    assert_eq!(harness.get_by_label("Live users").value().as_deref(), Some("12"));
    let mut next = replay(&record, 6).pop().unwrap();
    if let Event::Snapshot(snapshot) = &mut next {
        snapshot.load = loadscope::testing::measure::LoadModel::Closed {
            users: 16,
            spawn_rate: None,
        };
        snapshot.users = 16;
    }
    events.push(next);
    harness.state_mut().set_live(live_of(&events));
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Live users").value().as_deref(), Some("16"));
}

#[test]
fn the_editor_keeps_row_buttons_clear_of_the_toml_and_help_readable_at_1280_and_1360() {
    // A fixed folder: its path is on screen, and snapshots must match on every machine.
    let data = Path::new("/tmp/loadscope-ui-snapshots-editor");
    let _ = std::fs::remove_dir_all(data);
    let mut harness = snapshot_harness(config(data, Some("demo".into())));
    // Help under the fields is at least 12 px (egui's small text is 9).
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        assert!(harness.ctx.style_of(theme).text_styles[&egui::TextStyle::Small].size >= 12.0);
    }
    let mut results = egui_kittest::SnapshotResults::new();
    for (width, height) in [(1280.0, 720.0), (1360.0, 860.0), (1920.0, 1080.0)] {
        harness.set_size(egui::vec2(width, height));
        settle(&mut harness);
        harness.get_by_label("API Gateway").click();
        settle(&mut harness);
        let toml_left = harness.get_by_label("TOML").rect().min.x;
        for button in ["Remove level 1", "Duplicate level 1", "Remove task 1", "Duplicate task 1"] {
            if let Some(node) = harness.query_by_label(button) {
                assert!(
                    node.rect().max.x < toml_left,
                    "{button} at {:?} runs under the TOML panel (from x = {toml_left}) at {width}x{height}",
                    node.rect()
                );
            }
        }
        assert!(harness.query_by_label("Remove level 1").is_some());
        harness.remove_cursor();
        settle(&mut harness);
        if width != 1360.0 {
            results.add(harness.try_snapshot(format!("editor_{width}x{height}")));
        }
    }
}

#[test]
fn chat_messages_edit_as_rows_and_a_new_kind_brings_its_defaults() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("demo".into())));
    settle(&mut harness);
    harness.get_by_label("API Gateway").click();
    settle(&mut harness);
    harness.get_by_label("Task 1: chat completion (chat)").click();
    settle(&mut harness);
    // The messages are rows: a role and multi-line content each.
    harness.get_by_label("Task 1 messages 1 role");
    harness.get_by_label("Task 1 messages 2 role");
    harness
        .get_by_label("Task 1 messages 1 content")
        .set_text_value_accesskit("You are terse.\nAnswer in one line.");
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    // (toml_edit writes a line break as a multi-line string, which reads as typed.)
    assert!(toml.contains("role = \"system\""), "{toml}");
    assert!(toml.contains("You are terse.\nAnswer in one line."), "{toml}");
    harness.get_by_label("Add Task 1 messages").click();
    settle(&mut harness);
    harness
        .get_by_label("Task 1 messages 3 content")
        .set_text_value_accesskit("And then?");
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    assert!(toml.contains(r#"{ role = "user", content = "And then?" }"#), "{toml}");
    harness.get_by_label("Remove Task 1 messages 3").click();
    settle(&mut harness);
    assert!(!harness.get_by_label("Preset TOML").value().unwrap().contains("And then?"));
    harness.get_by_label("Valid: loadscope validate finds no problems");

    // Task 2 (http, /v1/models) becomes a chat: its written path stays, the chat's fields come.
    harness.get_by_label("Task 2: list models (http)").click();
    settle(&mut harness);
    // (Below the fold at 1400x900: scrolled to first, as a person would.)
    harness.get_by_label("Task 2 kind").scroll_to_me();
    settle(&mut harness);
    harness.get_by_label("Task 2 kind").click();
    settle(&mut harness);
    harness.get_by_label("chat").click();
    settle(&mut harness);
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    let task = &toml[toml.find("name = \"list models\"").unwrap()..];
    assert!(task.contains("kind = \"chat\""), "{task}");
    assert!(task.contains("path = \"/v1/models\""), "a path the person wrote stays: {task}");
    assert!(task.contains("model = \"demo-llm\""), "{task}");
    harness.get_by_label("Task 2 messages 1 content");
}

#[test]
fn a_capacity_search_has_a_form_in_place_of_the_levels() {
    let data = tempfile::tempdir().unwrap();
    let mut harness = harness(config(data.path(), Some("llm-capacity".into())));
    settle(&mut harness);
    // The search's fields, where the levels would be.
    assert_eq!(harness.get_by_label("Capacity over").value().as_deref(), Some("users"));
    assert_eq!(harness.get_by_label("Capacity start").value().as_deref(), Some("2"));
    assert_eq!(harness.get_by_label("Capacity max").value().as_deref(), Some("256"));
    assert_eq!(harness.get_by_label("Capacity precision").value().as_deref(), Some("10%"));
    assert!(harness.query_by_label("Level 1 users").is_none());
    harness.get_by_label("Capacity max").set_text_value_accesskit("64");
    settle(&mut harness);
    assert!(harness.get_by_label("Preset TOML").value().unwrap().contains("max = 64"));
    harness.get_by_label("Valid: loadscope validate finds no problems");

    // A preset of levels: the search replaces them, and switching back brings them back.
    harness.get_by_label("demo").click();
    settle(&mut harness);
    harness.get_by_label("Discard changes").click();
    settle(&mut harness);
    harness.get_by_label("API Gateway").click();
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 2 users").value().as_deref(), Some("15"));
    harness.get_by_label("Capacity search instead of fixed levels").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Level 2 users").is_none());
    assert_eq!(harness.get_by_label("Capacity start").value().as_deref(), Some("2"));
    let toml = harness.get_by_label("Preset TOML").value().unwrap();
    let gateway = &toml[toml.find("name = \"API Gateway\"\n").unwrap()..toml.find("name = \"RAG Service\"").unwrap()];
    assert!(gateway.contains("[scenario.capacity]\nover = \"users\""), "{gateway}");
    assert!(!gateway.contains("[[scenario.level]]"), "{gateway}");
    harness.get_by_label("Capacity search instead of fixed levels").click();
    settle(&mut harness);
    assert_eq!(harness.get_by_label("Level 2 users").value().as_deref(), Some("15"));
    assert!(!harness.get_by_label("Preset TOML").value().unwrap().contains("[scenario.capacity]"));
}

#[test]
fn tabs_switch_by_keys_the_side_panel_folds_and_a_whole_run_row_selects() {
    use egui::{Key, Modifiers};
    let data = Path::new("/tmp/loadscope-ui-rows");
    library_with_two_runs(data);
    let mut harness = harness(config(data, Some("demo".into())));
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    settle(&mut harness);
    assert_eq!(harness.state().tab(), Tab::Live);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    settle(&mut harness);
    assert_eq!(harness.state().tab(), Tab::Editor);

    // The side panel folds to one button, and the choice is a remembered setting.
    harness.get_by_label("Hide the side panel").click();
    settle(&mut harness);
    assert!(harness.query_by_label("api-gateway").is_none());
    assert!(harness.state_mut().settings_mut().side_panel_collapsed);
    harness.get_by_label("Show the side panel").click();
    settle(&mut harness);
    harness.get_by_label("api-gateway");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::B);
    settle(&mut harness);
    assert!(harness.query_by_label("api-gateway").is_none());
    harness.key_press_modifiers(Modifiers::COMMAND, Key::B);
    settle(&mut harness);

    // A click on a run's name (not only its date) selects it; a double-click opens it in Live.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    settle(&mut harness);
    open_runs_tab(&mut harness, 2);
    assert_eq!(harness.state().runs().selected, None);
    // (A double-click opens the run in Live: egui's double-click on the row's response; the
    // harness's synthetic clicks do not count as one, so it is not driven here.)
    for (name, file) in [
        ("After tuning", "20261127T144137Z-after.json"),
        ("Before tuning", "20261127T144101Z-before.json"),
    ] {
        harness.get_by_label(name).click();
        settle(&mut harness);
        let selected = harness.state().runs().selected.clone();
        assert!(selected.as_ref().is_some_and(|path| path.ends_with(file)), "{name}: {selected:?}");
    }

    // A small window: the runs table scrolls sideways, its Compare, Started and Name columns
    // staying where they are (it was cut at Status/Verdict).
    harness.set_size(egui::vec2(1024.0, 640.0));
    settle(&mut harness);
    let name_at = harness.get_by_label("After tuning").rect();
    let notes = harness.get_by_label("Tags / notes").rect();
    assert!(notes.max.x > 1024.0, "the table is wider than the window here: {notes:?}");
    // (egui reads accesskit's ScrollLeft as "move the content left": the right-hand columns
    // come into view.)
    for _ in 0..10 {
        harness.get_by_label("Tags / notes").scroll_left();
        settle(&mut harness);
    }
    let notes = harness.get_by_label("Tags / notes").rect();
    assert!(notes.max.x <= 1024.0, "scrolled sideways into view: {notes:?}");
    assert_eq!(harness.get_by_label("After tuning").rect(), name_at, "the name column is pinned");
    harness.get_by_label("Before tuning").click();
    settle(&mut harness);
    let selected = harness.state().runs().selected.clone();
    assert!(selected.as_ref().is_some_and(|path| path.ends_with("20261127T144101Z-before.json")));
}
