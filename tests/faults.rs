//! Fault tests: what Loadscope does when things go wrong, against a misbehaving server written
//! for the tests (tests/common/faulty.rs) and the real `loadscope` binary. One section per item
//! of the trust issue: saving, run identity, secrets, signals, the generator's own limits,
//! printed = saved, findings that need evidence, preflight and validation, the event API, and
//! servers the tests leave behind. No sleep synchronises: tests wait on output lines, files and
//! process exits.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::faulty::Faulty;
use common::{loadscope, text};
use loadscope::testing::run::{FailureKind, FindingRule, RunRecord, RunStatus};

const BIN: &str = env!("CARGO_BIN_EXE_loadscope");

/// A preset file in `dir`.
fn preset(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Runs the preset at `path` with the binary, its run file saved as `dir/run.json`, and
/// checks it completed.
fn run_to_completion(dir: &Path, path: &Path) {
    let out = dir.join("run.json");
    let output = loadscope(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir);
    assert_eq!(output.status.code(), Some(0), "{}{}", text(&output.stdout), text(&output.stderr));
}

/// A preset with one scenario against `url`, one task, and the given levels.
fn simple_preset(url: &str, task: &str, levels: &str) -> String {
    format!(
        r#"
name = "Faults"
[[scenario]]
name = "faulty"
timeout = "30s"
[scenario.service]
base_url = "{url}"
{task}
{levels}
"#
    )
}

/// A one-scenario preset against `base_url` with `service_extra` lines in its service (a
/// health path, headers, TLS settings) and one task GETting `path`, 1 user for 1 s.
fn service_preset(name: &str, base_url: &str, service_extra: &str, path: &str) -> String {
    format!(
        r#"
[[scenario]]
name = "{name}"
[scenario.service]
base_url = "{base_url}"
{service_extra}
[[scenario.task]]
name = "task"
path = "{path}"
[[scenario.level]]
users = 1
duration = "1s"
"#
    )
}

/// A misbehaving server, a temp folder, its data dir and a `simple_preset` file against the
/// server.
fn faulty_case(task: &str, levels: &str) -> (Faulty, tempfile::TempDir, PathBuf, PathBuf) {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = preset(dir.path(), "p.toml", &simple_preset(&server.url(), task, levels));
    (server, dir, data, file)
}

/// The `loadscope` binary running in the background: stderr is read line by line (a test
/// waits for a line), stdout is collected.
struct Running {
    child: Child,
    stderr_lines: mpsc::Receiver<String>,
    stderr_all: std::sync::Arc<std::sync::Mutex<String>>,
    stderr_thread: std::thread::JoinHandle<()>,
    stdout: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(args: &[&str], data_dir: &Path, env: &[(&str, &str)], limits: &[(libc::c_int, u64)]) -> Running {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("LOADSCOPE_DATA_DIR", data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let limits = limits.to_vec();
        if !limits.is_empty() {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    for (resource, value) in &limits {
                        let limit = libc::rlimit {
                            rlim_cur: *value as libc::rlim_t,
                            rlim_max: *value as libc::rlim_t,
                        };
                        if libc::setrlimit(*resource as _, &limit) != 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    }
                    // A file past RLIMIT_FSIZE fails with EFBIG instead of killing the process.
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let all = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let all_writer = all.clone();
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                all_writer.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut text);
            text
        });
        Running {
            child,
            stderr_lines: rx,
            stderr_all: all,
            stderr_thread,
            stdout,
        }
    }

    /// Waits (at most `limit`) for a stderr line containing `text`.
    fn wait_for_line(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no stderr line with {text:?} within {limit:?}; stderr so far:\n{}", self.stderr());
    }

    fn stderr(&self) -> String {
        self.stderr_all.lock().unwrap().clone()
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: signalling the child this test started.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }

    /// Waits for the exit (at most `limit`): (exit code, stdout, stderr).
    fn finish(mut self, limit: Duration) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("loadscope did not exit within {limit:?}; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout = self.stdout.join().unwrap();
        // The reader ends with the pipe: join it so the last lines are in.
        let _ = self.stderr_thread.join();
        let stderr = self.stderr_all.lock().unwrap().clone();
        (status.code(), stdout, stderr)
    }
}

fn run_file(path: &Path) -> RunRecord {
    loadscope::testing::run::load(path).unwrap_or_else(|err| panic!("{err}"))
}

/// The only run file in the data dir's runs/.
fn only_run(data: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(data.join("runs"))
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

// ---------------------------------------------------------------------------------------------
// 1. Saving: never say "saved" when it is not.

#[test]
fn an_output_that_cannot_be_written_is_refused_before_any_load() {
    let (server, dir, _data, file) = faulty_case(
        "[[scenario.task]]\nname = \"ok\"\npath = \"/ok\"",
        "[[scenario.level]]\nusers = 1\nduration = \"1s\"",
    );
    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    for (out, expected) in [
        (folder.clone(), "it is a folder"),
        (blocker.join("run.json"), "cannot write the run file"),
    ] {
        let output = loadscope(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected) && stderr.contains(&out.display().to_string()), "{stderr}");
        assert!(!text(&output.stdout).contains("saved"), "nothing is reported saved");
    }
    assert!(server.seen().is_empty(), "no load was sent");
}

#[test]
fn a_final_save_that_fails_goes_to_a_fallback_and_says_where() {
    let (_server, dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"ok\"\npath = \"/slow/20\"",
        "[[scenario.level]]\nusers = 2\nduration = \"3s\"",
    );
    let out_dir = dir.path().join("out");
    let out = out_dir.join("run.json");
    let running = Running::start(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()], &data, &[], &[]);
    running.wait_for_line("Load started", Duration::from_secs(20));
    // The folder of the run file turns into a file mid-run (a disk unmounted, a folder
    // removed): every later save there fails.
    std::fs::rename(&out_dir, dir.path().join("out-moved")).unwrap();
    std::fs::write(&out_dir, "in the way").unwrap();
    let (code, stdout, stderr) = running.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "the run itself passed\n{stderr}");
    assert!(stderr.contains("could not save the run to"), "{stderr}");
    let fallback = only_run(&data);
    assert!(stdout.contains(&format!("Run saved to {} instead", fallback.display())), "{stdout}");
    let record = run_file(&fallback);
    assert_eq!(record.status, RunStatus::Completed);
    let printed = format!("{} requests", record.total.as_ref().unwrap().stats.requests);
    assert!(stdout.contains(&printed), "the fallback holds the whole run ({printed})\n{stdout}");
}

#[test]
fn a_run_that_cannot_be_saved_anywhere_exits_3_and_never_says_saved() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    // Failures with distinct messages make the final record far larger than the first save.
    let file = preset(
        dir.path(),
        "p.toml",
        &simple_preset(
            &server.url(),
            "[[scenario.task]]\nname = \"echo\"\npath = \"/echo-headers?n={{ seq }}-{{ user_id }}\"",
            "[[scenario.level]]\nusers = 4\nduration = \"2s\"",
        ),
    );
    let out = dir.path().join("run.json");
    // A disk that fills: no file may grow past 24 KiB (the first, empty save fits).
    let running = Running::start(
        &["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()],
        &dir.path().join("data"),
        &[("TMPDIR", dir.path().join("tmp").to_str().unwrap())],
        &[(libc::RLIMIT_FSIZE as libc::c_int, 24 * 1024)],
    );
    let (code, stdout, stderr) = running.finish(Duration::from_secs(30));
    assert_eq!(code, Some(3), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("could not be saved anywhere"), "{stderr}");
    assert!(!stdout.contains("Run saved"), "{stdout}");
    assert!(stdout.contains("requests"), "the summary is still printed\n{stdout}");
    // The last good save is kept where the run was going.
    let kept = run_file(&out);
    assert_eq!(kept.status, RunStatus::Running);
}

// ---------------------------------------------------------------------------------------------
// 2. Run identity: concurrent runs never clobber.

#[test]
fn runs_started_together_get_their_own_ids_and_files() {
    let (_server, _dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"ok\"\npath = \"/ok\"",
        "[[scenario.level]]\nusers = 1\nduration = \"1s\"",
    );
    let runs: Vec<Running> = (0..3)
        .map(|_| Running::start(&["run", file.to_str().unwrap(), "--quiet"], &data, &[], &[]))
        .collect();
    for running in runs {
        let (code, _, stderr) = running.finish(Duration::from_secs(30));
        assert_eq!(code, Some(0), "{stderr}");
    }
    let mut ids: Vec<String> = std::fs::read_dir(data.join("runs"))
        .unwrap()
        .map(|entry| run_file(&entry.unwrap().path()).id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three runs, three files, three ids: {ids:?}");
}

#[test]
fn library_edits_wait_for_a_run_to_end() {
    let (_server, _dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"ok\"\npath = \"/slow/10\"",
        "[[scenario.level]]\nusers = 1\nduration = \"30s\"",
    );
    let running = Running::start(&["run", file.to_str().unwrap()], &data, &[], &[]);
    running.wait_for_line("Load started", Duration::from_secs(20));
    let path = only_run(&data);
    for args in [
        vec!["runs", "note", path.to_str().unwrap(), "looked fine"],
        vec!["runs", "delete", path.to_str().unwrap()],
    ] {
        let output = loadscope(&args, &data);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("still being written"), "{stderr}");
    }
    running.signal(libc::SIGINT);
    let (_, _, stderr) = running.finish(Duration::from_secs(10));
    let output = loadscope(&["runs", "note", path.to_str().unwrap(), "looked fine"], &data);
    assert_eq!(output.status.code(), Some(0), "{}\n{stderr}", text(&output.stderr));
    assert_eq!(run_file(&path).notes, "looked fine");
}

// ---------------------------------------------------------------------------------------------
// 3. Secrets never reach an output.

#[test]
fn a_secret_is_sent_everywhere_it_is_written_and_shown_nowhere() {
    const SECRET: &str = "sk-faults-4f8a2c9e71";
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = preset(
        dir.path(),
        "p.toml",
        &format!(
            r#"
name = "Secrets"
[[scenario]]
name = "echo"
[scenario.service]
base_url = "{}"
headers = {{ Authorization = "Bearer ${{FAULTS_KEY}}" }}
[[scenario.task]]
name = "echo"
method = "POST"
path = "/echo-headers?key=${{FAULTS_KEY}}&n={{{{ seq }}}}"
body = '{{"key": "${{FAULTS_KEY}}"}}'
[[scenario.level]]
users = 2
duration = "1s"
"#,
            server.url()
        ),
    );
    let validate = loadscope(&["validate", file.to_str().unwrap()], &data);
    assert_eq!(validate.status.code(), Some(0), "{}", text(&validate.stderr));
    let running = Running::start(&["run", file.to_str().unwrap()], &data, &[("FAULTS_KEY", SECRET)], &[]);
    let (code, stdout, stderr) = running.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");

    // Sent: header, query and body all carry the value.
    let seen = server.seen();
    assert!(!seen.is_empty());
    for request in &seen {
        assert!(request.line.contains(&format!("key={SECRET}")), "{}", request.line);
        assert!(request.headers.contains(&format!("Bearer {SECRET}")), "{}", request.headers);
        assert_eq!(request.body, format!(r#"{{"key": "{SECRET}"}}"#));
    }
    // Shown nowhere: the terminal, the run file, every report.
    let run_path = only_run(&data);
    let mut outputs = vec![
        ("stdout".to_string(), stdout.clone()),
        ("stderr".to_string(), stderr),
        ("run file".to_string(), std::fs::read_to_string(&run_path).unwrap()),
    ];
    for format in ["md", "html", "csv"] {
        let out = dir.path().join(format!("report-{format}"));
        let output = loadscope(
            &[
                "report",
                run_path.to_str().unwrap(),
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
            &data,
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        outputs.push((format!("report stdout {format}"), text(&output.stdout)));
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with(&format!("report-{format}")) {
                outputs.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    assert!(outputs.len() >= 8, "md, html and three csv files were written");
    for (name, output) in &outputs {
        assert!(!output.contains(SECRET), "{name} shows the secret:\n{output}");
    }
    let record = run_file(&run_path);
    let failure = record.scenarios[0].levels[0]
        .failures
        .iter()
        .find(|row| row.message.contains("Bearer"))
        .expect("an echoed failure");
    assert!(
        failure.message.contains("Bearer ${FAULTS_KEY}") && failure.message.contains("key=${FAULTS_KEY}"),
        "the reference stands in for the value: {}",
        failure.message
    );
    assert!(stdout.contains("${FAULTS_KEY}"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// 4. Signals and stop.

#[test]
fn sigterm_and_sighup_stop_a_run_as_ctrl_c_does() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let (server, _dir, data, file) = faulty_case(
            "[[scenario.task]]\nname = \"slow\"\npath = \"/slow/50\"",
            "[[scenario.level]]\nusers = 4\nduration = \"60s\"",
        );
        let running = Running::start(&["run", file.to_str().unwrap()], &data, &[], &[]);
        running.wait_for_line("Load started", Duration::from_secs(20));
        // Some traffic first, so the stop has something to end.
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.seen().len() < 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = Instant::now();
        running.signal(signal);
        let (code, stdout, stderr) = running.finish(Duration::from_secs(10));
        let exit_ms = sent.elapsed().as_millis();
        eprintln!("signal {signal}: exited {exit_ms} ms after it");
        assert_eq!(code, Some(0), "a stopped run with no failed target\n{stderr}");
        let last = server.seen().iter().map(|request| request.at).max().unwrap();
        assert!(
            last.saturating_duration_since(sent) < Duration::from_secs(1),
            "traffic ended within a second of signal {signal}"
        );
        assert!(stdout.contains("(stopped)"), "{stdout}");
        let record = run_file(&only_run(&data));
        assert_eq!(record.status, RunStatus::Stopped);
        // Every request that reached the server is counted, finished or cut off by the stop.
        let total = record.total.unwrap().stats;
        assert!(total.requests + total.unfinished >= server.seen().len() as u64, "{total:?}");
        assert!(total.requests >= 10);
    }
}

#[test]
fn ctrl_c_during_a_slow_preflight_quits_at_once() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = preset(
        dir.path(),
        "p.toml",
        &service_preset("slow health", &server.url(), "health_path = \"/slow/10000\"", "/ok"),
    );
    let running = Running::start(&["run", file.to_str().unwrap()], &data, &[], &[]);
    running.wait_for_line("Preflight: checking", Duration::from_secs(20));
    let sent = Instant::now();
    running.signal(libc::SIGINT);
    let (code, _, stderr) = running.finish(Duration::from_secs(5));
    let exit_ms = sent.elapsed().as_millis();
    eprintln!("Ctrl-C in preflight: exited {exit_ms} ms after it");
    assert!(exit_ms < 1_500, "exited {exit_ms} ms after Ctrl-C");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("before any load was sent"), "{stderr}");
    assert!(!data.join("runs").exists() || std::fs::read_dir(data.join("runs")).unwrap().next().is_none());
}

// ---------------------------------------------------------------------------------------------
// 5. The load generator's own limits are the generator's.

#[test]
fn running_out_of_descriptors_is_the_generators_failure_and_is_said_first() {
    let (_server, _dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"slow\"\npath = \"/slow/300\"",
        "[[scenario.level]]\nusers = 200\nduration = \"2s\"\n[[scenario.level]]\nusers = 220\nduration = \"2s\"\n[[scenario.level]]\nusers = 240\nduration = \"2s\"",
    );
    let running = Running::start(
        &["run", file.to_str().unwrap(), "--workers", "1"],
        &data,
        &[],
        &[(libc::RLIMIT_NOFILE as libc::c_int, 96)],
    );
    let warning = running.wait_for_line("open-file limit", Duration::from_secs(20));
    assert!(warning.contains("96") && warning.contains("ulimit -n"), "{warning}");
    let (code, stdout, stderr) = running.finish(Duration::from_secs(40));
    let load_started = stderr.find("Load started").unwrap();
    assert!(stderr.find("open-file limit").unwrap() < load_started, "said before the load");
    assert!(code.is_some(), "{stderr}");
    let record = run_file(&only_run(&data));
    let level = &record.scenarios[0].levels[0];
    assert!(level.total.stats.generator_failures > 0, "{stdout}");
    assert!(level.failures.iter().any(|row| row.kind == FailureKind::Generator));
    assert!(
        !level.failures.iter().any(|row| row.kind == FailureKind::Connect),
        "{:?}",
        level.failures
    );
    let rules: Vec<FindingRule> = record.findings.iter().map(|finding| finding.rule).collect();
    assert!(rules.contains(&FindingRule::GeneratorLimits), "{rules:?}");
    for blaming in [
        FindingRule::ConnectionErrors,
        FindingRule::ErrorRateRising,
        FindingRule::CascadingFailure,
    ] {
        assert!(!rules.contains(&blaming), "no finding blames the service: {rules:?}");
    }
    assert!(stdout.contains("Load generator:"), "{stdout}");
}

#[test]
fn every_level_measures_the_generator_itself() {
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(
        &simple_preset(
            &server.url(),
            "[[scenario.task]]\nname = \"ok\"\npath = \"/ok\"",
            "[[scenario.level]]\nusers = 2\nduration = \"2s\"",
        ),
        &out,
    );
    let load = record.scenarios[0].levels[0].generator.clone().expect("measured");
    // Two workers x 50 timer firings a second x 2 s, give or take the edges.
    assert!(load.scheduling_lag_samples >= 150, "{load:?}");
    let cpu = load.cpu_percent.expect("thread CPU is measured on unix");
    assert!(cpu > 0.0 && cpu <= 100.0, "{load:?}");
    assert!(load.saturation().is_none(), "an idle generator is not saturated: {load:?}");
}

// ---------------------------------------------------------------------------------------------
// 6. Printed = saved = reported.

/// The `Aggregated` rows printed for each level: (requests, failures).
fn printed_aggregates(stdout: &str) -> Vec<(u64, u64)> {
    stdout
        .lines()
        .filter(|line| line.starts_with("Aggregated"))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[1].parse().unwrap(), fields[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn the_printed_level_tables_equal_the_run_file() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // 300 ms requests from 30 users: about 30 are in flight whenever a level ends.
    let file = preset(
        dir.path(),
        "p.toml",
        &simple_preset(
            &server.url(),
            "[[scenario.task]]\nname = \"slow\"\npath = \"/slow/300\"\n[[scenario.target]]\nexpr = \"rps > 1\"",
            "[[scenario.level]]\nusers = 30\nduration = \"2s\"\n[[scenario.level]]\nusers = 10\nduration = \"2s\"",
        ),
    );
    let output = loadscope(&["run", file.to_str().unwrap()], &data);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let record = run_file(&only_run(&data));
    let saved: Vec<(u64, u64)> = record.scenarios[0]
        .levels
        .iter()
        .map(|level| (level.total.stats.requests, level.total.stats.failures))
        .collect();
    assert_eq!(printed_aggregates(&stdout), saved, "{stdout}");
    // The request that straddled the level end is in its level, printed and saved.
    let seen = server.seen().len() as u64;
    assert_eq!(
        saved.iter().map(|(requests, _)| requests).sum::<u64>() + record.total.as_ref().unwrap().stats.unfinished,
        seen
    );
    for level in &record.scenarios[0].levels {
        for verdict in &level.verdicts {
            let observed = verdict.metric.format_value(verdict.observed.unwrap());
            assert!(stdout.contains(&format!("observed {observed}")), "{observed} printed\n{stdout}");
        }
    }
}

#[test]
fn requests_still_open_at_the_end_are_counted_not_dropped() {
    let (_server, _dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"stuck\"\npath = \"/slow/40000\"",
        "[[scenario.level]]\nusers = 3\nduration = \"1s\"",
    );
    let output = loadscope(&["run", file.to_str().unwrap()], &data);
    let stdout = text(&output.stdout);
    let record = run_file(&only_run(&data));
    let level = &record.scenarios[0].levels[0];
    assert_eq!(level.total.stats.unfinished, 3, "{stdout}");
    assert_eq!(level.tasks[0].stats.unfinished, 3);
    assert!(stdout.contains("Unfinished: 3 requests"), "{stdout}");
}

#[test]
fn csv_rates_use_the_level_time_and_failures_are_one_line_with_times() {
    let (_server, dir, data, file) = faulty_case(
        "[[scenario.task]]\nname = \"echo\"\npath = \"/echo-headers\"",
        "[[scenario.level]]\nusers = 2\nduration = \"2s\"",
    );
    let run = loadscope(&["run", file.to_str().unwrap()], &data);
    assert!(run.status.code().is_some());
    let path = only_run(&data);
    let record = run_file(&path);
    let prefix = dir.path().join("locust");
    let output = loadscope(
        &[
            "report",
            path.to_str().unwrap(),
            "--format",
            "csv",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &data,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stats = std::fs::read_to_string(dir.path().join("locust_stats.csv")).unwrap();
    let aggregated: Vec<&str> = stats.lines().last().unwrap().split(',').collect();
    let level = &record.scenarios[0].levels[0];
    let expected = level.total.stats.requests as f64 / level.duration_secs();
    let written: f64 = aggregated[9].parse().unwrap();
    assert!((written - expected).abs() < 1e-3, "Requests/s {written} vs {expected}");
    let failures = std::fs::read_to_string(dir.path().join("locust_failures.csv")).unwrap();
    let mut lines = failures.lines();
    assert_eq!(lines.next(), Some("Method,Name,Error,Occurrences,First Seen,Last Seen"));
    let row = lines.next().unwrap();
    assert_eq!(lines.next(), None, "one failure group, on one line: {failures}");
    assert!(
        row.contains("status 500: HTTP 500 Internal Server Error: GET /echo-headers"),
        "{row}"
    );
    let fields: Vec<&str> = row.rsplitn(3, ',').collect();
    for time in &fields[..2] {
        assert!(humantime::parse_rfc3339(time).is_ok(), "{time} in {row}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Findings with evidence, not noise.

use common::run_fixture as fixture;

fn rules(run: &RunRecord) -> Vec<FindingRule> {
    loadscope::testing::analysis::findings::find(run)
        .iter()
        .map(|finding| finding.rule)
        .collect()
}

#[test]
fn findings_need_evidence_and_come_once_per_rule() {
    let gateway = 1;
    // Two levels fit any line (r = 1): no trend from them.
    let mut two = fixture("a");
    two.scenarios[gateway].levels.truncate(2);
    for level in &mut two.scenarios[gateway].levels {
        level.total.stats.requests = 100;
        level.total.stats.failures = level.index as u64 * 10;
    }
    assert!(!rules(&two).contains(&FindingRule::ErrorRateRising));

    // Limited (429) failures rising with users are the service pacing, not failing.
    let mut limited = fixture("a");
    for level in &mut limited.scenarios[gateway].levels {
        level.total.stats.limited = level.total.stats.failures;
    }
    assert!(!rules(&limited).contains(&FindingRule::ErrorRateRising), "{:?}", rules(&limited));
    assert!(
        rules(&fixture("a")).contains(&FindingRule::ErrorRateRising),
        "the real rise still fires"
    );

    // A handful of failures late in a level (1 vs 3), and a flat 100% failure rate whose first
    // third had no requests: neither is a cascade.
    for (first, last, first_requests) in [(1.0, 3.0, 20.0), (0.0, 30.0, 0.0)] {
        let mut flat = fixture("a");
        let indexes: Vec<usize> = flat
            .series
            .iter()
            .enumerate()
            .filter(|(_, point)| point.scenario == gateway && point.level == 2)
            .map(|(index, _)| index)
            .collect();
        let third = indexes.len() / 3;
        for (position, &index) in indexes.iter().enumerate() {
            let point = &mut flat.series[index];
            let (requests, failures) = if position < third {
                (first_requests, first * first_requests / 20.0)
            } else if position >= indexes.len() - third {
                (30.0, last)
            } else {
                (30.0, last / 2.0)
            };
            point.requests.rps = requests;
            point.requests.failures_per_sec = failures;
        }
        assert!(!rules(&flat).contains(&FindingRule::CascadingFailure), "{first} vs {last}");
    }

    // A p95 going from 100 µs to 300 µs is noise, not a knee.
    let mut fast = fixture("a");
    for (index, level) in fast.scenarios[gateway].levels.iter_mut().enumerate() {
        level.total.stats.p95_micros = 100 + index as u64 * 200;
    }
    assert!(!rules(&fast).contains(&FindingRule::LatencyKnee));

    // A few late starts are scheduling noise.
    let mut late = fixture("a");
    for scenario in &mut late.scenarios {
        for level in &mut scenario.levels {
            level.late_starts = level.late_starts.min(2);
        }
    }
    assert!(!rules(&late).contains(&FindingRule::LateStarts));

    // Two timeouts in a level of hundreds of requests are not yet "timeouts appear".
    let mut two_timeouts = fixture("a");
    two_timeouts.scenarios[gateway].levels[1]
        .failures
        .push(loadscope::testing::run::FailureRow {
            task: "chat".into(),
            kind: FailureKind::Timeout,
            message: "no complete response within 5s".into(),
            count: 2,
            first_seen_secs: Some(30),
            last_seen_secs: Some(31),
        });
    assert!(!rules(&two_timeouts).contains(&FindingRule::Timeouts));

    // Errors "staying up" after the load drops need failures on both sides, not 4 of 12.
    let mut cool = fixture("a");
    let mut after = cool.scenarios[gateway].levels[2].clone();
    after.index = 3;
    after.name = "Cool down".into();
    after.load = loadscope::testing::measure::LoadModel::Closed {
        users: 3,
        spawn_rate: None,
    };
    after.total.stats.requests = 12;
    after.total.stats.failures = 4;
    cool.scenarios[gateway].levels.push(after);
    assert!(!rules(&cool).contains(&FindingRule::NoRecovery));

    // GPU memory at 94% is not near full; timers late for a handful of firings are no
    // saturation.
    let mut quiet = fixture("a");
    quiet.scenarios[gateway].levels[1]
        .resources
        .get_or_insert_default()
        .gpu_mem_max_percent = Some(94.0);
    quiet.scenarios[gateway].levels[0].generator = Some(loadscope::testing::run::GeneratorLoad {
        cpu_percent: Some(12.0),
        workers: 2,
        scheduling_lag_p99_micros: 40_000,
        scheduling_lag_max_micros: 45_000,
        scheduling_lag_samples: 10,
    });
    let quiet_rules = rules(&quiet);
    assert!(
        !quiet_rules.contains(&FindingRule::GpuMemoryHigh) && !quiet_rules.contains(&FindingRule::GeneratorSaturated),
        "{quiet_rules:?}"
    );

    // One finding per rule and scenario, naming every level it saw.
    let mut knees = fixture("a");
    let levels = &mut knees.scenarios[gateway].levels;
    let mut fourth = levels[2].clone();
    fourth.index = 3;
    fourth.name = "Level 4".into();
    fourth.load = loadscope::testing::measure::LoadModel::Closed {
        users: 200,
        spawn_rate: None,
    };
    fourth.total.stats.p95_micros = levels[2].total.stats.p95_micros * 5;
    levels.push(fourth);
    let found = loadscope::testing::analysis::findings::find(&knees);
    let knee: Vec<_> = found
        .iter()
        .filter(|finding| finding.rule == FindingRule::LatencyKnee && finding.scenario == knees.scenarios[gateway].name)
        .collect();
    assert_eq!(knee.len(), 1, "{found:#?}");
    assert!(knee[0].summary.contains("(also Level 4)"), "{}", knee[0].summary);
}

// ---------------------------------------------------------------------------------------------
// 8. Preflight and validation.

#[test]
fn the_preflight_sends_the_services_headers_and_shows_what_came_back() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let with_key = |header: &str| {
        service_preset(
            "guarded",
            &server.url(),
            &format!("health_path = \"/health-auth\"\n{header}"),
            "/ok",
        )
    };
    let guarded = preset(
        dir.path(),
        "guarded.toml",
        &with_key("headers = { Authorization = \"Bearer ${FAULTS_KEY}\" }"),
    );
    let output = Running::start(
        &["run", guarded.to_str().unwrap()],
        &data,
        &[("FAULTS_KEY", "sk-preflight-1234")],
        &[],
    );
    let (code, _, stderr) = output.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "the health check passes with the key\n{stderr}");

    let open = preset(dir.path(), "open.toml", &with_key(""));
    let output = loadscope(&["run", open.to_str().unwrap()], &data);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HTTP 401, expected 200: unauthorized: send an Authorization header"),
        "the status and the body's start: {stderr}"
    );
    assert!(
        !stderr.contains("Start it") && !stderr.contains("Is the service running"),
        "it is running: {stderr}"
    );
}

#[test]
fn validation_refuses_absurd_users_misplaced_chat_metrics_and_objectives_and_names_every_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = |task: &str, level: &str, target: &str| {
        format!(
            "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\n{task}\n[[scenario.level]]\n{level}\nduration = \"1s\"\n{target}"
        )
    };
    let cases = [
        (
            "zero.toml",
            base("path = \"/\"", "users = 0", ""),
            vec!["line 8", "users = 0 sends nothing"],
        ),
        ("huge.toml", base("path = \"/\"", "users = 2000000", ""), vec!["at most 1000000"]),
        (
            "chat-metric.toml",
            base("path = \"/\"", "users = 1", "[[scenario.target]]\nexpr = \"ttft_p95 < 1s\""),
            vec!["line 12", "measures chat replies", "no chat task"],
        ),
        (
            "slo-target.toml",
            base("path = \"/\"", "users = 1", "[[scenario.target]]\nexpr = \"goodput > 5\""),
            vec!["line 12", "\"goodput > 5\"", "declares none", "add [scenario.objectives]"],
        ),
        (
            "chat-objective.toml",
            base("path = \"/\"", "users = 1", "[scenario.objectives]\nttft = \"500ms\""),
            vec!["line 11", "measure chat replies", "no chat task", "keep latency alone"],
        ),
        (
            "itl-within.toml",
            base(
                "path = \"/\"",
                "users = 1",
                "[scenario.objectives]\nlatency = \"1s\"\nitl_within = \"p42\"",
            ),
            vec![
                "line 11",
                "itl_within \"p42\" is not one of mean, p50, p90, p95, p99, max",
                "without itl",
            ],
        ),
        (
            "no-objective.toml",
            base("path = \"/\"", "users = 1", "[scenario.objectives]\nlatnecy = \"1s\""),
            vec!["line 12", "unknown field `latnecy`"],
        ),
        (
            "synthetic-dist.toml",
            base(
                "kind = \"chat\"\nmodel = \"m\"\nsynthetic = { prompt_tokens = { dist = \"poisson\", mean = 5 } }",
                "users = 1",
                "",
            ),
            vec![
                "line 9",
                "synthetic prompt_tokens: dist \"poisson\" is not one of fixed, uniform, normal, histogram",
            ],
        ),
        (
            "synthetic-prefix.toml",
            base(
                "kind = \"chat\"\nmodel = \"m\"\nsynthetic = { prompt_tokens = { dist = \"uniform\", min = 64, max = 128 }, shared_prefix_tokens = 64 }",
                "users = 1",
                "",
            ),
            vec!["shared_prefix_tokens of 64 tokens is not shorter than the shortest prompt (64 tokens)"],
        ),
        (
            "tokenizer.toml",
            base(
                "kind = \"chat\"\nmodel = \"m\"\ntokenizer = \"llama3\"\nmessages = [{ role = \"user\", content = \"hi\" }]",
                "users = 1",
                "",
            ),
            vec!["tokenizer \"llama3\" is not shipped (shipped: o200k_base, cl100k_base)"],
        ),
        (
            "turns.toml",
            base(
                "kind = \"chat\"\nmodel = \"m\"\nturns = 3\nmessages = [{ role = \"system\", content = \"Be brief.\" }]",
                "users = 1",
                "",
            ),
            vec!["turns needs a next user message each turn"],
        ),
        (
            "capacity-levels.toml",
            base(
                "path = \"/\"",
                "users = 1",
                "[[scenario.target]]\nexpr = \"p95 < 1s\"\n[scenario.capacity]\nover = \"users\"\nstart = 2\nmax = 10\nstep = \"5s\"",
            ),
            vec!["capacity replaces fixed levels: remove the [[scenario.level]] tables"],
        ),
        (
            "capacity-target.toml",
            base("path = \"/\"", "users = 1", "[[scenario.target]]\nexpr = \"capacity_users >= 4\""),
            vec!["checks a capacity search's result, but scenario \"s\" runs fixed levels"],
        ),
        (
            "capacity-over.toml",
            "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.target]]\nexpr = \"p95 < 1s\"\n[scenario.capacity]\nover = \"rps\"\nstart = 2\nmax = 10\nstep = \"5s\"\n".to_string(),
            vec!["line 10", "capacity over = \"rps\" is not \"users\" (closed model) or \"rate\" (open model)"],
        ),
        (
            "typos.toml",
            base("path = \"/\"\nwieght = 3\nheaderz = {}", "users = 1", ""),
            vec!["line 8", "unknown field `wieght`", "line 9", "unknown field `headerz`"],
        ),
        (
            "type.toml",
            base("path = \"/\"", "users = \"ten\"", ""),
            vec!["line 9", "expected a whole number of users, e.g. users = 10"],
        ),
    ];
    for (name, body, expected) in cases {
        let path = preset(dir.path(), name, &body);
        let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr) + &text(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{name}: {part:?} in\n{stderr}");
        }
    }
    let output = loadscope(&["run", "demo", "-u", "-5"], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("users must be a positive whole number"), "{stderr}");
    assert!(!stderr.contains("-- -5"), "{stderr}");
}

#[test]
fn a_json_reply_to_a_stream_request_says_it_is_not_a_stream_and_big_bodies_are_capped() {
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(
        &format!(
            r#"
[[scenario]]
name = "s"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
kind = "chat"
path = "/json-chat"
model = "m"
stream = true
messages = [{{ role = "user", content = "hi" }}]
[[scenario.task]]
name = "big"
path = "/big/12"
checks = [{{ json_pointer = "/status", equals = "ok" }}]
[[scenario.level]]
users = 1
duration = "1s"
"#,
            server.url()
        ),
        &out,
    );
    let failures = &record.scenarios[0].levels[0].failures;
    let chat = failures.iter().find(|row| row.task == "chat").expect("chat failed");
    assert_eq!(chat.kind, FailureKind::Malformed);
    assert!(chat.message.starts_with("not a stream"), "{}", chat.message);
    let big = failures.iter().find(|row| row.task == "big").expect("big failed its check");
    assert!(
        big.message.contains("larger than the 8388608 bytes read for checks"),
        "{}",
        big.message
    );
}

#[test]
fn latest_is_the_newest_start_and_an_unreadable_run_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    let mut older = fixture("a");
    older.started_at = "2026-01-02T00:00:00.000Z".into();
    older.id = "older".into();
    let mut newer = fixture("b");
    newer.started_at = "2026-03-04T00:00:00.000Z".into();
    newer.id = "newer".into();
    // File names sort the other way round.
    loadscope::testing::run::save_atomic(&older, &runs.join("z-older.json")).unwrap();
    loadscope::testing::run::save_atomic(&newer, &runs.join("a-newer.json")).unwrap();
    let output = loadscope(&["report", "latest", "--format", "md"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("newer"), "{}", text(&output.stdout));

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let output = loadscope(&["report", broken.to_str().unwrap(), "--format", "md"], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(&broken.display().to_string()) && stderr.contains("not valid JSON"),
        "{stderr}"
    );
}

/// A self-signed certificate for 127.0.0.1 that is its own CA (openssl's default for
/// `req -x509`), as development servers use.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    common::openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "dev.key",
            "-out",
            "dev.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
    );
    (dir.join("dev.pem"), dir.join("dev.key"))
}

#[test]
fn a_self_signed_development_certificate_is_trusted_when_named_or_when_verification_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let nginx = common::Nginx::start_tls(&cert, &key);
    let data = dir.path().join("data");
    let https = format!("https://127.0.0.1:{}", nginx.port);
    let with = |service_extra: &str| service_preset("dev tls", &https, &format!("health_path = \"/health\"\n{service_extra}"), "/hello");
    // Not named: refused, and the message names both fixes.
    let plain = preset(dir.path(), "plain.toml", &with(""));
    let output = loadscope(&["run", plain.to_str().unwrap()], &data);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ca_file") && stderr.contains("tls_verify = false") && stderr.contains("--insecure"),
        "{stderr}"
    );

    // Named in ca_file: trusted as itself.
    let named = preset(dir.path(), "named.toml", &with(&format!("ca_file = \"{}\"", cert.display())));
    let output = loadscope(&["run", named.to_str().unwrap()], &data);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("0 failures"), "{}", text(&output.stdout));

    // --insecure: works, and says so in the run, its file and its report.
    let output = loadscope(&["run", plain.to_str().unwrap(), "--insecure"], &data);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("certificates are not verified"), "{stderr}");
    let latest = loadscope(&["report", "latest", "--format", "md"], &data);
    assert!(
        text(&latest.stdout).contains("certificates are not verified"),
        "{}",
        text(&latest.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Event API: warnings and setup results are their own events.

#[test]
fn a_warning_does_not_end_a_run_and_setup_results_are_their_own_event() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let nginx = common::Nginx::start_tls(&cert, &key);
    let (_out_dir, out) = common::out_path();
    let text = format!(
        r#"
[[scenario]]
name = "s"
[scenario.service]
base_url = "https://127.0.0.1:{}"
tls_verify = false
[[scenario.setup]]
name = "warm up"
path = "/health"
[[scenario.task]]
name = "hello"
path = "/hello"
[[scenario.level]]
users = 1
duration = "1s"
"#,
        nginx.port
    );
    let plan = common::plan_from_text(&text, &out, &|_| None);
    let mut events = Vec::new();
    let record = loadscope::testing::engine::run_blocking(plan, |event| events.push(event.clone()))
        .unwrap()
        .expect("a warning does not end the run");
    use loadscope::testing::engine::Event;
    assert_eq!(record.status, RunStatus::Completed);
    assert!(record.total.unwrap().stats.requests > 0);
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::Warning(loadscope::testing::engine::RunWarning::InsecureTls { .. }))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::SetupPassed(reports) if reports.len() == 1))
    );
    assert!(!events.iter().any(|event| matches!(event, Event::PreflightPassed(_))));
    assert_eq!(record.warnings.len(), 1, "{:?}", record.warnings);
}

// ---------------------------------------------------------------------------------------------
// 10. Tests leave nothing running.

#[test]
fn a_stopped_nginx_leaves_no_process_behind() {
    let nginx = common::Nginx::start();
    let pid = nginx.pid();
    let port = nginx.port;
    assert!(common::alive(pid));
    drop(nginx);
    assert!(!common::alive(pid), "nginx {pid} is gone");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on its port"
    );
}

#[test]
fn a_secret_from_the_env_file_beside_the_preset_is_sent_and_kept_out_of_the_run() {
    // What File > Secrets writes for an app started from a menu, which has no shell variables.
    const SECRET: &str = "sk-dotenv-7c1e93";
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = preset(
        dir.path(),
        "p.toml",
        &service_preset(
            "echo",
            &server.url(),
            "headers = { Authorization = \"Bearer ${DOTENV_FAULTS_KEY}\" }",
            "/echo-headers",
        ),
    );
    std::fs::write(dir.path().join(".env"), format!("DOTENV_FAULTS_KEY=\"{SECRET}\"\n")).unwrap();
    let running = Running::start(&["run", file.to_str().unwrap()], &data, &[], &[]);
    let (code, stdout, stderr) = running.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{stderr}");
    let seen = server.seen();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|request| request.headers.contains(&format!("Bearer {SECRET}"))));
    let run = std::fs::read_to_string(only_run(&data)).unwrap();
    for (name, output) in [("stdout", &stdout), ("stderr", &stderr), ("run file", &run)] {
        assert!(!output.contains(SECRET), "{name} shows the secret");
    }
    // A broken .env names itself and the line, and sends nothing.
    std::fs::write(dir.path().join(".env"), "DOTENV_FAULTS_KEY\n").unwrap();
    let before = server.seen().len();
    let output = loadscope(&["run", file.to_str().unwrap()], &data);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(message.contains(".env line 1: expected NAME=value"), "{message}");
    assert_eq!(server.seen().len(), before, "no request was sent");
}

#[test]
fn slo_attainment_and_goodput_count_the_requests_that_met_every_objective() {
    // Four tasks whose fate is known in advance: quick chat replies meet every objective, a
    // slow first token misses TTFT, slow gaps miss ITL (mean within the reply), and a plain
    // request answers to the latency objective alone.
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    let chat = |name: &str, pace: &str| {
        format!(
            "[[scenario.task]]\nname = \"{name}\"\nkind = \"chat\"\npath = \"/paced-chat/{pace}\"\nmodel = \"m\"\nstream = true\nmessages = [{{ role = \"user\", content = \"hi\" }}]\n"
        )
    };
    let text = format!(
        "[[scenario]]\nname = \"slo\"\n[scenario.service]\nbase_url = \"{}\"\n{}{}{}[[scenario.task]]\nname = \"plain\"\npath = \"/ok\"\n[[scenario.level]]\nusers = 4\nduration = \"3s\"\n[scenario.objectives]\nttft = \"150ms\"\nitl = \"60ms\"\nlatency = \"2s\"\n[[scenario.target]]\nexpr = \"slo_attainment > 90%\"\n[[scenario.target]]\nexpr = \"goodput > 1\"\n",
        server.url(),
        chat("quick", "10/10/5"),
        chat("late", "300/10/5"),
        chat("gappy", "10/150/3"),
    );
    let (record, _) = common::run_text(&text, &out);
    let scenario = &record.scenarios[0];
    assert!(scenario.objectives.is_some(), "the run file keeps the objectives");
    let level = &scenario.levels[0];
    let task = |name: &str| &level.tasks.iter().find(|task| task.task == name).unwrap().stats;
    let met = |name: &str| task(name).objectives.as_ref().unwrap().met;
    for (name, all_met) in [("quick", true), ("late", false), ("gappy", false), ("plain", true)] {
        let stats = task(name);
        assert!(stats.requests > 0, "{name} ran");
        assert_eq!(stats.failures, 0, "{name}: {:?}", level.failures);
        let expected = if all_met { stats.requests } else { 0 };
        assert_eq!(met(name), expected, "{name}: met {} of {}", met(name), stats.requests);
    }
    // By hand: the level's attainment is what quick and plain met over every request; goodput
    // those requests over the level's duration; token goodput quick's five tokens a reply.
    let total = &level.total.stats;
    let good = met("quick") + met("plain");
    let objectives = total.objectives.as_ref().unwrap();
    assert_eq!(objectives.met, good);
    let attainment = good as f64 * 100.0 / total.requests as f64;
    assert!((objectives.attainment_percent - attainment).abs() < 1e-9);
    let duration = level.duration_secs();
    assert!((objectives.goodput_per_sec - good as f64 / duration).abs() < 1e-6);
    assert_eq!(objectives.met_output_tokens, met("quick") * 5);
    assert!((objectives.token_goodput_per_sec - (met("quick") * 5) as f64 / duration).abs() < 1e-6);
    // The targets read the same numbers; attainment is far below 90%.
    let verdict = |expr: &str| level.verdicts.iter().find(|verdict| verdict.target == expr).unwrap();
    assert!(!verdict("slo_attainment > 90%").passed);
    assert_eq!(verdict("slo_attainment > 90%").observed, Some(objectives.attainment_percent));
    assert_eq!(verdict("goodput > 1").observed, Some(objectives.goodput_per_sec));
    // Every second of the series says how many requests met the objectives then.
    let per_second: f64 = record.series.iter().filter_map(|point| point.requests.goodput_per_sec).sum();
    assert_eq!(per_second as u64, good);
    // The report prints the same numbers, with the objectives in words.
    let markdown = loadscope::testing::report::markdown::render(&loadscope::testing::report::Report::new(&record, &[], None));
    assert!(
        markdown.contains("Objectives per request: TTFT ≤ 150ms, ITL (mean within a reply) ≤ 60.0ms, latency ≤ 2.00s."),
        "{markdown}"
    );
    let attainment_row = format!("| SLO attainment | {:.1}% |", objectives.attainment_percent);
    assert!(markdown.contains(&attainment_row), "{attainment_row} in\n{markdown}");
    let goodput_row = format!("| Goodput (req/s) | {:.1} |", objectives.goodput_per_sec);
    assert!(markdown.contains(&goodput_row), "{goodput_row} in\n{markdown}");
}

#[test]
fn synthetic_prompts_send_exact_lengths_a_shared_prefix_and_drawn_reply_lengths() {
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    let text = format!(
        r#"
[[scenario]]
name = "s"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
kind = "chat"
path = "/json-chat"
model = "m"
tokenizer = "cl100k_base"
[scenario.task.synthetic]
prompt_tokens = {{ dist = "normal", mean = 200, stddev = 40, min = 120, max = 280 }}
shared_prefix_tokens = 40
output_tokens = {{ dist = "uniform", min = 10, max = 90 }}
exact_output = true
[[scenario.level]]
users = 2
duration = "1s"
"#,
        server.url()
    );
    let (record, _) = common::run_text(&text, &out);
    assert_eq!(record.scenarios[0].levels[0].total.stats.failures, 0);
    let tokenizer = loadscope::testing::tokens::Tokenizer::Cl100kBase;
    let bodies = server.json_bodies("/json-chat");
    assert!(bodies.len() > 20, "{} requests", bodies.len());
    let prompts: Vec<Vec<u32>> = bodies
        .iter()
        .map(|body| tokenizer.encode(body["messages"][0]["content"].as_str().unwrap()))
        .collect();
    for (body, prompt) in bodies.iter().zip(&prompts) {
        assert_eq!(
            body["messages"].as_array().unwrap().len(),
            1,
            "the synthetic prompt is the user's message"
        );
        assert!((120..=280).contains(&prompt.len()), "{} tokens", prompt.len());
        assert_eq!(prompt[..38], prompts[0][..38], "every prompt opens with the shared prefix");
        let max_tokens = body["max_tokens"].as_u64().unwrap();
        assert!((10..=90).contains(&max_tokens), "max_tokens {max_tokens}");
        assert_eq!(
            body["min_tokens"].as_u64(),
            Some(max_tokens),
            "exact_output asks for the length exactly"
        );
        assert_eq!(body["ignore_eos"], serde_json::Value::Bool(true));
    }
    let lengths: std::collections::BTreeSet<usize> = prompts.iter().map(Vec::len).collect();
    let replies: std::collections::BTreeSet<u64> = bodies.iter().map(|body| body["max_tokens"].as_u64().unwrap()).collect();
    assert!(lengths.len() > 5 && replies.len() > 5, "lengths are drawn: {lengths:?} {replies:?}");
    let after_prefix: std::collections::BTreeSet<&[u32]> = prompts.iter().map(|prompt| &prompt[40..60]).collect();
    assert!(after_prefix.len() > 5, "prompts differ after the prefix");
}

#[test]
fn dataset_prompts_are_sent_filtered_by_length_and_bad_lines_are_named() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let long = "word ".repeat(400);
    let lines = [
        r#"{"prompt": "short one"}"#.to_string(),
        r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "medium length question about queues"}]}"#
            .to_string(),
        format!(r#"{{"prompt": "{long}"}}"#),
        r#"{"prompt": "another short one"}"#.to_string(),
    ];
    std::fs::write(dir.path().join("prompts.jsonl"), lines.join("\n") + "\n").unwrap();
    let preset_text = |file: &str, filter: &str| {
        format!(
            "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\npath = \"/json-chat\"\nmodel = \"m\"\n[scenario.task.dataset]\nfile = \"{file}\"\n{filter}\nseed = 4\n[[scenario.level]]\nusers = 2\nduration = \"1s\"\n",
            server.url()
        )
    };
    // The long prompt (400+ tokens) is filtered out; the rest are sent as written.
    let path = preset(dir.path(), "dataset.toml", &preset_text("prompts.jsonl", "max_prompt_tokens = 100"));
    run_to_completion(dir.path(), &path);
    let bodies = server.json_bodies("/json-chat");
    assert!(bodies.len() > 10, "{} requests", bodies.len());
    let sent: std::collections::BTreeSet<String> = bodies.iter().map(|body| body["messages"].to_string()).collect();
    assert_eq!(sent.len(), 3, "each kept prompt is sent, the long one never: {sent:?}");
    assert!(
        sent.iter()
            .any(|messages| messages.contains("Be brief.") && messages.contains("queues"))
    );
    assert!(!sent.iter().any(|messages| messages.contains("word word")));
    let record = loadscope::testing::run::load(&dir.path().join("run.json")).unwrap();
    let chat = record.scenarios[0].levels[0].tasks[0].stats.chat.clone().unwrap();
    // The server's usage says 3 prompt tokens a reply; it wins over the tokenizer.
    assert_eq!(chat.prompt_tokens, chat.replies * 3);

    // A filter nothing passes, and a file with a bad line, are refused by validate.
    let path = preset(dir.path(), "none.toml", &preset_text("prompts.jsonl", "min_prompt_tokens = 5000"));
    let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no prompt of prompts.jsonl is within 5000 to any tokens (its prompts are"),
        "{stderr}"
    );
    std::fs::write(dir.path().join("bad.jsonl"), "{\"prompt\": \"ok\"}\n{\"prompt\": \"ok\"\n").unwrap();
    let path = preset(dir.path(), "bad.toml", &preset_text("bad.jsonl", ""));
    let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.jsonl: line 2, column 15: not JSON: EOF while parsing an object"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.toml line 10"), "the place in the preset: {stderr}");
}

#[test]
fn a_multi_turn_conversation_sends_its_history_with_each_reply_appended() {
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    let chat = |name: &str, path: &str, stream: bool| {
        format!(
            "[[scenario.task]]\nname = \"{name}\"\nkind = \"chat\"\npath = \"{path}\"\nmodel = \"m\"\nstream = {stream}\nturns = 3\nmessages = [{{ role = \"system\", content = \"Be brief.\" }}, {{ role = \"user\", content = \"question {{{{ seq }}}}\" }}]\n"
        )
    };
    let text = format!(
        "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n{}{}[[scenario.level]]\nusers = 1\nduration = \"2s\"\n",
        server.url(),
        chat("whole", "/json-chat", false),
        chat("streamed", "/paced-chat/5/5/3", true),
    );
    let (record, _) = common::run_text(&text, &out);
    assert_eq!(
        record.scenarios[0].levels[0].total.stats.failures, 0,
        "{:?}",
        record.scenarios[0].levels[0].failures
    );
    for (path, reply) in [("/json-chat", "hello"), ("/paced-chat", "toktoktok")] {
        let bodies = server.json_bodies(path);
        assert!(bodies.len() >= 4, "{path}: {} requests", bodies.len());
        let mut expected_turn = 0;
        for body in &bodies {
            let messages = body["messages"].as_array().unwrap();
            // Turn n sends the system message, n earlier exchanges and the new question.
            assert_eq!(messages.len(), 2 + 2 * expected_turn, "{path}: {messages:?}");
            assert_eq!(messages[0]["content"], "Be brief.");
            for exchange in 0..expected_turn {
                assert_eq!(messages[1 + 2 * exchange]["role"], "user");
                assert_eq!(messages[2 + 2 * exchange]["role"], "assistant");
                assert_eq!(messages[2 + 2 * exchange]["content"], reply, "the reply as it came back");
            }
            let question = messages.last().unwrap();
            assert_eq!(question["role"], "user");
            assert!(question["content"].as_str().unwrap().starts_with("question "));
            expected_turn = (expected_turn + 1) % 3;
        }
        // Each question is new: the template renders anew every turn.
        let questions: std::collections::BTreeSet<String> = bodies
            .iter()
            .map(|body| body["messages"].as_array().unwrap().last().unwrap()["content"].to_string())
            .collect();
        assert_eq!(questions.len(), bodies.len());
    }
}

#[test]
fn a_sharegpt_conversation_is_replayed_turn_by_turn_with_the_servers_replies() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let conversation = r#"[{"conversations": [{"from": "system", "value": "You are kind."}, {"from": "human", "value": "first"}, {"from": "gpt", "value": "recorded reply"}, {"from": "human", "value": "second"}, {"from": "gpt", "value": "x"}, {"from": "human", "value": "third"}]}]"#;
    std::fs::write(dir.path().join("chats.json"), conversation).unwrap();
    let preset_text = format!(
        "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\npath = \"/json-chat\"\nmodel = \"m\"\nturns = 10\n[scenario.task.dataset]\nfile = \"chats.json\"\nformat = \"sharegpt\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
        server.url()
    );
    let path = preset(dir.path(), "chats.toml", &preset_text);
    run_to_completion(dir.path(), &path);
    let bodies = server.json_bodies("/json-chat");
    assert!(bodies.len() >= 6, "{} requests", bodies.len());
    // Ten turns asked, three human turns in the conversation: it replays those three, the
    // server's replies in place of the recorded ones, then starts again.
    let questions: Vec<String> = bodies
        .iter()
        .map(|body| {
            let messages = body["messages"].as_array().unwrap();
            assert_eq!(messages[0]["content"], "You are kind.");
            assert!(messages.iter().all(|message| message["content"] != "recorded reply"));
            messages.last().unwrap()["content"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(questions[..6], ["first", "second", "third", "first", "second", "third"]);
    assert_eq!(
        bodies[2]["messages"].as_array().unwrap().len(),
        6,
        "system, two exchanges, the third question"
    );
}
