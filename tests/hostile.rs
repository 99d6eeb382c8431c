//! Hostile input: what Loadscope does with input meant to break it or to leak through it
//! (the hostile-input issue): secrets a server echoes in every encoding, ... Each test runs
//! the real binary against the misbehaving server in tests/common/faulty.rs.
#![allow(clippy::unwrap_used)]

mod common;

use common::faulty::Faulty;
use common::{loadscope, text};

/// A credential with the characters encodings change: `/`, `+`, `=`.
const KEY: &str = "sk-live/AbC+dEf=1234567890abcdef";

/// Every output of a run and its reports, by name.
fn outputs_of(dir: &std::path::Path, data: &std::path::Path, stdout: String, stderr: String) -> Vec<(String, String)> {
    let runs = data.join("runs");
    let run_path = std::fs::read_dir(&runs)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
        .unwrap();
    let mut outputs = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
        ("run file".to_string(), std::fs::read_to_string(&run_path).unwrap()),
    ];
    for format in ["md", "html", "csv"] {
        let out = dir.join(format!("report-{format}"));
        let output = loadscope(
            &[
                "report",
                run_path.to_str().unwrap(),
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
            data,
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with(&format!("report-{format}")) {
                outputs.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    outputs
}

/// The key's forms and every 12-character run of it: none may appear in an output.
fn leaks(output: &str) -> Vec<String> {
    let mut forms = vec![
        KEY.to_string(),
        KEY.replace('/', "\\/"),
        KEY.replace('/', "%2F").replace('+', "%2B").replace('=', "%3D"),
        KEY.replace('/', "%2f").replace('+', "%2b").replace('=', "%3d"),
        KEY.replace('+', " "),
    ];
    let chars: Vec<char> = KEY.chars().collect();
    forms.extend(chars.windows(12).map(|run| run.iter().collect::<String>()));
    forms.into_iter().filter(|form| output.contains(form.as_str())).collect()
}

// ---- 1. Secrets in every form a server may echo them ----

#[test]
fn a_secret_echoed_in_any_encoding_or_cut_short_reaches_no_output() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tasks: String = ["raw", "php", "url-upper", "url-lower", "form", "cut160"]
        .iter()
        .map(|form| format!("[[scenario.task]]\nname = \"{form}\"\npath = \"/echo-encoded/{form}\"\n"))
        .collect();
    let preset = dir.path().join("p.toml");
    std::fs::write(
        &preset,
        format!(
            "name = \"Echo\"\n[[scenario]]\nname = \"echo\"\n[scenario.service]\nbase_url = \"{}\"\nheaders = {{ Authorization = \"Bearer ${{ECHO_KEY}}\" }}\n{tasks}[[scenario.level]]\nusers = 3\nduration = \"1s\"\n",
            server.url()
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(["run", preset.to_str().unwrap()])
        .env("LOADSCOPE_DATA_DIR", &data)
        .env("ECHO_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let seen = server.seen();
    for form in ["raw", "php", "url-upper", "url-lower", "form", "cut160"] {
        assert!(seen.iter().any(|request| request.line.ends_with(form)), "{form} was asked");
    }
    let outputs = outputs_of(dir.path(), &data, text(&output.stdout), text(&output.stderr));
    assert!(outputs.len() >= 8);
    for (name, output) in &outputs {
        assert_eq!(leaks(output), Vec::<String>::new(), "{name} shows the key:\n{output}");
    }
    let stdout = text(&output.stdout);
    assert!(stdout.contains("${ECHO_KEY}"), "the reference stands in for it: {stdout}");
}

#[test]
fn a_preflight_that_echoes_the_key_shows_no_part_of_it() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("p.toml");
    std::fs::write(
        &preset,
        format!(
            "[[scenario]]\nname = \"echo\"\n[scenario.service]\nbase_url = \"{}\"\nhealth_path = \"/echo-encoded/cut200\"\nheaders = {{ Authorization = \"Bearer ${{ECHO_KEY}}\" }}\n[[scenario.task]]\nname = \"t\"\npath = \"/ok\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
            server.url()
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(["run", preset.to_str().unwrap()])
        .env("LOADSCOPE_DATA_DIR", dir.path())
        .env("ECHO_KEY", KEY)
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "the health check failed: {stderr}");
    assert!(stderr.contains("pppp"), "the reply's start is shown: {stderr}");
    assert_eq!(leaks(&stderr), Vec::<String>::new(), "{stderr}");
    assert_eq!(leaks(&text(&output.stdout)), Vec::<String>::new());
}

// ---- 2. Credentials in base_url ----

#[test]
fn a_password_in_the_base_url_is_sent_as_basic_auth_and_shown_as_stars() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let authority = server.url().trim_start_matches("http://").to_string();
    for (base_url, env, hidden, shown) in [
        (format!("http://alice:hunter2pass@{authority}"), None, "hunter2pass", "***"),
        (
            format!("http://alice:${{URL_PASS}}@{authority}"),
            Some(("URL_PASS", "s3cret/pa+ss")),
            "s3cret/pa+ss",
            "${URL_PASS}",
        ),
    ] {
        let _ = std::fs::remove_dir_all(&data);
        let preset = dir.path().join("p.toml");
        std::fs::write(
            &preset,
            format!(
                "name = \"Creds\"\n[[scenario]]\nname = \"creds\"\n[scenario.service]\nbase_url = \"{base_url}\"\n[[scenario.task]]\nname = \"echo\"\npath = \"/echo-headers\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n[[scenario.target]]\nexpr = \"error_rate < 1%\"\n"
            ),
        )
        .unwrap();
        let junit = dir.path().join("junit.xml");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"));
        command
            .args(["run", preset.to_str().unwrap(), "--junit", junit.to_str().unwrap()])
            .env("LOADSCOPE_DATA_DIR", &data);
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "the echo fails its target: {}", text(&output.stderr));
        // Sent: Basic credentials from the URL's user info.
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{hidden}"));
        let seen = server.seen();
        assert!(
            seen.last().unwrap().headers.contains(&format!("authorization: Basic {basic}")),
            "{}",
            seen.last().unwrap().headers
        );
        // Shown nowhere, in any output; the URL reads with the password replaced.
        let mut outputs = outputs_of(dir.path(), &data, text(&output.stdout), text(&output.stderr));
        outputs.push(("junit".into(), std::fs::read_to_string(&junit).unwrap()));
        for (name, output) in &outputs {
            assert!(!output.contains(hidden), "{name} shows the password:\n{output}");
            assert!(!output.contains(&basic), "{name} shows the Basic credentials:\n{output}");
        }
        let run_file = &outputs.iter().find(|(name, _)| name == "run file").unwrap().1;
        let record: serde_json::Value = serde_json::from_str(run_file).unwrap();
        assert_eq!(
            record["scenarios"][0]["base_url"],
            format!("http://alice:***@{authority}"),
            "stored as shown"
        );
        let failure = record["scenarios"][0]["levels"][0]["failures"][0]["message"].as_str().unwrap();
        assert!(
            failure.contains(&format!("authorization: Basic {shown}")) || failure.contains("Basic ${"),
            "{failure}"
        );
    }
}

#[test]
fn a_reference_in_the_address_is_refused_and_one_in_the_password_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let validate = |base_url: &str| {
        let preset = dir.path().join("v.toml");
        std::fs::write(
            &preset,
            format!("[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{base_url}\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"),
        )
        .unwrap();
        let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
        (output.status.code(), text(&output.stderr) + &text(&output.stdout))
    };
    let (code, said) = validate("http://${API_HOST}:8000");
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("base_url \"http://${API_HOST}:8000\" holds a ${VAR} reference"),
        "{said}"
    );
    let (code, said) = validate("http://alice:${PASS}@127.0.0.1:8000");
    assert_eq!(code, Some(0), "{said}");
    let (code, said) = validate("http://alice:hunter2pass@not a host");
    assert_eq!(code, Some(2), "{said}");
    assert!(
        !said.contains("hunter2pass") && said.contains("alice:***@"),
        "the error shows no password: {said}"
    );
}

// ---- 3. Locust import never panics and never saves what it cannot read back ----

const STATS_HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
const HISTORY: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\n1796306112,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0\n1796306113,2,,Aggregated,0,0,5,5,6,6,7,7,8,9,9,9,9,10,0,5,5.1,2,9,5.0\n";

/// Writes Locust's three files under `dir/name`; returns the prefix.
fn locust_files(dir: &std::path::Path, name: &str, stats_rows: &str, history: &str) -> std::path::PathBuf {
    let prefix = dir.join(name);
    std::fs::write(format!("{}_stats.csv", prefix.display()), format!("{STATS_HEADER}\n{stats_rows}")).unwrap();
    std::fs::write(format!("{}_stats_history.csv", prefix.display()), history).unwrap();
    std::fs::write(
        format!("{}_failures.csv", prefix.display()),
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n",
    )
    .unwrap();
    prefix
}

const ONE_TASK: &str =
    "GET,/hello,10,0,5,5.1,2,9,5.0,3.3,0.0,5,5,6,6,7,7,8,9,9,9,9\n,Aggregated,10,0,5,5.1,2,9,5.0,3.3,0.0,5,5,6,6,7,7,8,9,9,9,9\n";

#[test]
fn out_of_range_locust_numbers_are_refused_with_the_place_and_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "year10000",
            ONE_TASK.to_string(),
            HISTORY.replace("1796306113,2", "253402300800,2"),
            "year10000_stats_history.csv line 3, column \"Timestamp\": 253402300800 is out of range (0 to 253402300799)",
        ),
        (
            "huge",
            ONE_TASK.to_string(),
            HISTORY.replace("1796306113,2", "99999999999999999999,2"),
            "huge_stats_history.csv line 3, column \"Timestamp\": 99999999999999999999 is out of range",
        ),
        (
            "average",
            ONE_TASK.replace("GET,/hello,10,0,5,5.1,", "GET,/hello,10,0,5,1e307,"),
            HISTORY.to_string(),
            "average_stats.csv line 2, column \"Average Response Time\": 1e307 is out of range (0 to 10000000000000)",
        ),
    ];
    for (name, stats, history, expected) in cases {
        let prefix = locust_files(dir.path(), name, &stats, &history);
        let output = loadscope(&["import", "locust", prefix.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: refused, not a panic (101): {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    let runs = dir.path().join("runs");
    assert!(
        !runs.exists() || std::fs::read_dir(&runs).unwrap().next().is_none(),
        "nothing was saved"
    );
}

#[test]
fn many_request_names_import_in_linear_time_and_csv_reports_write_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::new();
    for index in 0..100_000 {
        rows.push_str(&format!("GET,/item/{index},1,0,5,5.1,2,9,5.0,0.1,0.0,5,5,6,6,7,7,8,9,9,9,9\n"));
    }
    rows.push_str(",Aggregated,100000,0,5,5.1,2,9,5.0,3.3,0.0,5,5,6,6,7,7,8,9,9,9,9\n");
    let prefix = locust_files(dir.path(), "many", &rows, HISTORY);
    let started = std::time::Instant::now();
    let output = loadscope(&["import", "locust", prefix.to_str().unwrap()], dir.path());
    let took = started.elapsed();
    println!("100,000 request names imported in {took:?}");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Quadratic, this took 80 s in release; linear, a few seconds even in a debug build.
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");

    let small = locust_files(dir.path(), "small", ONE_TASK, HISTORY);
    let output = loadscope(
        &[
            "import",
            "locust",
            small.to_str().unwrap(),
            "--dir",
            dir.path().join("small-runs").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let run = std::fs::read_dir(dir.path().join("small-runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = dir.path().join("report");
    let output = loadscope(
        &["report", run.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stats = std::fs::read_to_string(dir.path().join("report_stats.csv")).unwrap();
    let hello = stats.lines().find(|line| line.contains("/hello")).unwrap();
    let cells: Vec<&str> = hello.split(',').collect();
    // Median, average, min, max, size, then 50% 66% 75% 80% 90% 95% 98% 99% ... 100%.
    assert_eq!(&cells[4..9], ["5", "5.10", "2.00", "9.00", "5"], "{hello}");
    assert_eq!(cells[11], "5", "50%: {hello}");
    assert_eq!(cells[12], "N/A", "66% is not in the run file: {hello}");
    assert_eq!(cells[15], "7", "90%: {hello}");
    assert_eq!(cells[16], "7", "95%: {hello}");
    assert_eq!(cells[21], "9", "100% is the max: {hello}");
}

// ---- 4. Files other programs open ----

#[test]
fn csv_cells_never_run_as_formulas_terminals_never_obey_titles_and_markdown_escapes_tags() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let preset = dir.path().join("p.toml");
    std::fs::write(
        &preset,
        format!(
            "name = \"Hostile\"\n[[scenario]]\nname = \"@scenario\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = '=HYPERLINK(\"http://evil\",\"x\")'\npath = \"/echo-headers\"\n[[scenario.task]]\nname = \"-2+3\"\npath = \"/ok\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
            server.url()
        ),
    )
    .unwrap();
    let output = loadscope(&["run", preset.to_str().unwrap(), "-q"], &data);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let run = std::fs::read_dir(data.join("runs"))
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
        .unwrap();

    // CSV: every text cell that a spreadsheet would run starts with a quote.
    let out = dir.path().join("report");
    let output = loadscope(
        &["report", run.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()],
        &data,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for file in ["report_stats.csv", "report_failures.csv"] {
        let csv = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let cells: Vec<String> = reader
            .records()
            .flat_map(|record| record.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert!(
            cells
                .iter()
                .all(|cell| !(cell.starts_with(['=', '+', '@']) || cell.starts_with('-') && cell.parse::<f64>().is_err())),
            "{file}: {cells:?}"
        );
        assert!(
            cells.iter().any(|cell| cell == "'=HYPERLINK(\"http://evil\",\"x\")"),
            "{file}: {cells:?}"
        );
        assert!(cells.iter().any(|cell| cell == "'@scenario"), "{file}: {cells:?}");
    }

    // The terminal: a title that would retitle the window and clear the screen is shown.
    let title = "\u{1b}]0;owned\u{7}\u{1b}[2J<script>alert(1)</script>";
    let output = loadscope(&["runs", "rename", run.to_str().unwrap(), title], &data);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = loadscope(&["runs"], &data);
    let listed = text(&output.stdout);
    assert!(!listed.contains('\u{1b}') && !listed.contains('\u{7}'), "{listed:?}");
    assert!(listed.contains("\\e]0;owned\\x07\\e[2J"), "{listed}");
    let output = loadscope(&["run", preset.to_str().unwrap()], &data);
    assert!(!text(&output.stdout).contains('\u{1b}'));

    // Markdown: the title's HTML is escaped, as the HTML report escapes it.
    let output = loadscope(&["report", run.to_str().unwrap()], &data);
    let markdown = text(&output.stdout);
    assert!(!markdown.contains("<script>") && !markdown.contains('\u{1b}'), "{markdown}");
    assert!(markdown.contains("&lt;script>alert(1)&lt;/script>"), "{markdown}");
}

/// Runs the binary with `env`, killed (and the test failed) if it has not ended within `limit`:
/// a hang is a failure, not a stuck test run.
fn loadscope_within(args: &[&str], data: &std::path::Path, env: &[(&str, &str)], limit: std::time::Duration) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(args)
        .env("LOADSCOPE_DATA_DIR", data)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("loadscope {args:?} did not end within {limit:?}: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn the_library_passes_over_fifos_devices_and_folders_and_reads_only_the_head_of_each_run() {
    use loadscope::testing::run::summary::{RunSummary, read_summary};
    let data = tempfile::tempdir().unwrap();
    let runs = data.path().join("runs");
    std::fs::create_dir_all(&runs).unwrap();
    // A run from before the summary (a fixture), and one written today.
    std::fs::copy(common::run_fixture_path("a"), runs.join("old.json")).unwrap();
    let mut record = common::run_fixture("b");
    record.id = "20261205T100000Z-abcdef".into();
    record.title = Some("written today".into());
    loadscope::testing::run::save_atomic(&record, &runs.join("new.json")).unwrap();
    let written = std::fs::read_to_string(runs.join("new.json")).unwrap();
    let keys: Vec<&str> = written
        .lines()
        .filter(|line| line.starts_with("  \""))
        .take(3)
        .map(|line| line.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(keys, ["format", "version", "summary"], "the summary leads the file");
    // One computation: the head's summary, the streamed summary of an old file and the
    // summary of the whole record are the same.
    assert_eq!(read_summary(&runs.join("new.json")).unwrap(), RunSummary::of(&record));
    let old = loadscope::testing::run::load(&runs.join("old.json")).unwrap();
    assert_eq!(read_summary(&runs.join("old.json")).unwrap(), RunSummary::of(&old));

    // A run whose body is cut off after its summary is still listed: listing reads the head.
    let cut = &written[..written.find("\"app_version\"").unwrap() + 40];
    std::fs::write(runs.join("cut.json"), cut).unwrap();
    // What is not a regular file: a FIFO, a link to an endless device, a folder.
    let fifo = runs.join("pipe.json");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", runs.join("zero.json")).unwrap();
    std::fs::create_dir(runs.join("folder.json")).unwrap();

    let limit = std::time::Duration::from_secs(20);
    let listed = loadscope_within(&["runs"], data.path(), &[], limit);
    let (stdout, stderr) = (text(&listed.stdout), text(&listed.stderr));
    assert_eq!(listed.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("written today"), "{stdout}");
    assert_eq!(
        stdout.matches("written today").count(),
        2,
        "the new run and the cut copy are listed: {stdout}"
    );
    assert!(stdout.contains("old.json"), "{stdout}");
    assert_eq!(stderr.matches("passed over").count(), 1, "said once: {stderr}");
    for said in [
        "passed over 3 entries that are not a regular file",
        "pipe.json (a FIFO",
        "zero.json (a device)",
        "folder.json (a folder)",
    ] {
        assert!(stderr.contains(said), "{said:?} in {stderr}");
    }
    // Opening the cut file whole says what is wrong with it.
    let report = loadscope_within(&["report", runs.join("cut.json").to_str().unwrap()], data.path(), &[], limit);
    assert_ne!(report.status.code(), Some(0));
    assert!(text(&report.stderr).contains("not valid JSON"), "{}", text(&report.stderr));

    // Renaming and merging a folder with a FIFO in it end, too.
    let renamed = loadscope_within(&["runs", "rename", "20261205T100000Z-abc", "renamed"], data.path(), &[], limit);
    assert!(!text(&renamed.stderr).contains("hang"));
    let segments = data.path().join("segments");
    std::fs::create_dir(&segments).unwrap();
    std::fs::copy(runs.join("new.json"), segments.join("a.json")).unwrap();
    let status = std::process::Command::new("mkfifo").arg(segments.join("b.json")).status().unwrap();
    assert!(status.success());
    let merged = loadscope_within(&["merge", segments.to_str().unwrap()], data.path(), &[], limit);
    assert!(
        text(&merged.stderr).contains("b.json: a FIFO, not a regular file"),
        "{}",
        text(&merged.stderr)
    );
    // A FIFO named on the command line is refused by name, not waited on.
    let piped = loadscope_within(&["report", fifo.to_str().unwrap()], data.path(), &[], limit);
    assert_eq!(piped.status.code(), Some(2), "{}", text(&piped.stderr));
    assert!(
        text(&piped.stderr).contains("pipe.json is a FIFO, not a regular file: name a run file"),
        "{}",
        text(&piped.stderr)
    );
}

#[test]
fn a_run_file_over_the_size_cap_is_listed_from_its_summary_and_refused_whole_with_the_fix() {
    let data = tempfile::tempdir().unwrap();
    let runs = data.path().join("runs");
    let mut record = common::run_fixture("a");
    record.title = Some("a long run".into());
    // About 2 MB of per-second points.
    let point = record.series[0].clone();
    record.series = (0..4_000)
        .map(|second| loadscope::testing::run::SeriesPoint { second, ..point.clone() })
        .collect();
    let path = runs.join("long.json");
    loadscope::testing::run::save_atomic(&record, &path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 1_000_000);
    let cap = [("LOADSCOPE_MAX_RUN_FILE_MB", "1")];
    let limit = std::time::Duration::from_secs(20);
    let listed = loadscope_within(&["runs"], data.path(), &cap, limit);
    assert!(
        text(&listed.stdout).contains("a long run"),
        "{}{}",
        text(&listed.stdout),
        text(&listed.stderr)
    );
    let report = loadscope_within(&["report", path.to_str().unwrap()], data.path(), &cap, limit);
    let stderr = text(&report.stderr);
    assert_eq!(report.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("MB, over the 1 MB Loadscope reads whole"), "{stderr}");
    assert!(stderr.contains("set LOADSCOPE_MAX_RUN_FILE_MB"), "{stderr}");
    // Without the lowered cap it opens.
    let report = loadscope_within(&["report", path.to_str().unwrap()], data.path(), &[], limit);
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));
}

// ---- 6. HTTP edge cases seen in real stacks ----

/// Runs `tasks` (TOML of `[[scenario.task]]` tables) against `base_url` with 2 users for 1 s
/// and returns the run file's first level's tasks by name, and the CLI's stderr.
fn run_tasks(base_url: &str, tasks: &str, env: &[(&str, &str)]) -> (std::collections::BTreeMap<String, serde_json::Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("p.toml");
    let out = dir.path().join("run.json");
    std::fs::write(
        &preset,
        format!(
            "name = \"Edges\"\n[[scenario]]\nname = \"edges\"\ntimeout = \"5s\"\n[scenario.service]\nbase_url = \"{base_url}\"\nheaders = {{ Authorization = \"Bearer ${{EDGE_KEY}}\" }}\n{tasks}[[scenario.level]]\nusers = 2\nduration = \"1s\"\n"
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(["run", preset.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("LOADSCOPE_DATA_DIR", dir.path())
        .env("EDGE_KEY", KEY)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap_or_default()).unwrap_or_else(|_| panic!("{stderr}"));
    let tasks = run["scenarios"][0]["levels"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| (task["task"].as_str().unwrap().to_string(), task.clone()))
        .collect();
    (tasks, stderr + &text(&output.stdout))
}

fn failures_of(run_task: &serde_json::Value) -> u64 {
    run_task["failures"].as_u64().unwrap()
}

#[test]
fn many_headers_are_read_and_conflicting_lengths_are_refused_at_once() {
    let server = Faulty::start();
    let tasks = "[[scenario.task]]\nname = \"h100\"\npath = \"/many-headers/100\"\n[[scenario.task]]\nname = \"h250\"\npath = \"/many-headers/250\"\n[[scenario.task]]\nname = \"h300\"\npath = \"/many-headers/300\"\n[[scenario.task]]\nname = \"lengths\"\npath = \"/conflicting-length\"\n";
    let (tasks, output) = run_tasks(&server.url(), tasks, &[]);
    for name in ["h100", "h250"] {
        assert!(tasks[name]["requests"].as_u64().unwrap() > 0, "{name}: {output}");
        assert_eq!(failures_of(&tasks[name]), 0, "{name} reads: {output}");
    }
    assert_eq!(failures_of(&tasks["h300"]), tasks["h300"]["requests"].as_u64().unwrap());
    assert!(output.contains("more than 256 headers (the most Loadscope reads)"), "{output}");
    let lengths = &tasks["lengths"];
    assert!(failures_of(lengths) > 0);
    assert!(output.contains("conflicting Content-Length values (5 and 50)"), "{output}");
    // Refused at once: not a wait for the 5 s timeout.
    assert!(lengths["max_micros"].as_u64().unwrap() < 1_000_000, "{lengths}");
    assert!(!output.contains("no complete response"), "{output}");
}

#[test]
fn redirects_are_followed_counted_and_timed_and_credentials_stay_home() {
    let server = Faulty::start();
    let elsewhere = Faulty::start();
    let mut tasks = String::new();
    for status in [301, 302, 303, 307, 308] {
        tasks.push_str(&format!(
            "[[scenario.task]]\nname = \"r{status}\"\nmethod = \"POST\"\nbody = \"{{}}\"\npath = \"/redirect/3/{status}\"\nchecks = [{{ json_pointer = \"/ok\" }}]\n"
        ));
    }
    tasks.push_str(&format!(
        "[[scenario.task]]\nname = \"away\"\npath = \"/redirect-to/{}/307\"\nchecks = [{{ json_pointer = \"/ok\" }}]\n",
        elsewhere.port
    ));
    tasks.push_str("[[scenario.task]]\nname = \"loop\"\npath = \"/loop\"\n");
    tasks.push_str("[[scenario.task]]\nname = \"kept\"\npath = \"/redirect/1/302\"\nfollow_redirects = false\nexpect_status = [302]\n");
    let (tasks, output) = run_tasks(&server.url(), &tasks, &[]);
    for status in [301, 302, 303, 307, 308] {
        let task = &tasks[&format!("r{status}")];
        let requests = task["requests"].as_u64().unwrap();
        assert!(requests > 0, "{output}");
        assert_eq!(failures_of(task), 0, "{status}: {output}");
        assert_eq!(task["redirects"].as_u64().unwrap(), 3 * requests, "{status}: three hops a request");
    }
    let seen = server.seen();
    let method_of = |path: &str| -> Vec<String> {
        seen.iter()
            .filter(|request| request.line.ends_with(path))
            .map(|request| request.line.split(' ').next().unwrap().to_string())
            .collect()
    };
    assert!(
        method_of("/redirect/0/307").iter().all(|method| method == "POST"),
        "307 keeps the method"
    );
    assert!(method_of("/redirect/0/308").iter().all(|method| method == "POST"));
    assert!(method_of("/redirect/0/303").iter().all(|method| method == "GET"), "303 becomes GET");
    assert!(
        method_of("/redirect/0/302").iter().all(|method| method == "GET"),
        "302 after POST becomes GET"
    );
    assert!(!method_of("/redirect/0/307").is_empty());
    // Credentials went with every hop at home and with none elsewhere.
    assert!(
        seen.iter()
            .filter(|request| request.line.contains("/redirect/"))
            .all(|request| request.headers.contains("Bearer"))
    );
    let away = elsewhere.seen();
    assert!(!away.is_empty(), "the hop to the other origin was made");
    for request in &away {
        assert!(!request.headers.to_lowercase().contains("authorization"), "{}", request.headers);
        assert!(!request.headers.contains(&KEY[..12]), "{}", request.headers);
    }
    assert_eq!(failures_of(&tasks["away"]), 0, "{output}");
    let looped = &tasks["loop"];
    assert_eq!(failures_of(looped), looped["requests"].as_u64().unwrap());
    assert!(output.contains("more than 10 redirects"), "{output}");
    assert_eq!(
        failures_of(&tasks["kept"]),
        0,
        "follow_redirects = false judges the 302 itself: {output}"
    );
    assert!(tasks["kept"].get("redirects").is_none());
}

#[test]
fn encoded_bodies_are_decoded_for_checks_and_the_chat_parser() {
    let server = Faulty::start();
    let mut tasks = String::new();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        tasks.push_str(&format!(
            "[[scenario.task]]\nname = \"{coding}\"\npath = \"/encoded/{coding}\"\nheaders = {{ Accept-Encoding = \"{coding}\" }}\nchecks = [{{ json_pointer = \"/ok\" }}, {{ body_contains = \"{coding}\" }}]\n"
        ));
    }
    tasks.push_str("[[scenario.task]]\nname = \"missing\"\npath = \"/encoded/gzip\"\nchecks = [{ json_pointer = \"/nope\" }]\n");
    tasks.push_str("[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\npath = \"/encoded-chat/gzip\"\nstream = false\nmodel = \"m\"\nmessages = [{ role = \"user\", content = \"hi\" }]\n");
    let (tasks, output) = run_tasks(&server.url(), &tasks, &[]);
    for coding in ["gzip", "deflate", "br", "zstd", "chat"] {
        assert!(tasks[coding]["requests"].as_u64().unwrap() > 0);
        assert_eq!(failures_of(&tasks[coding]), 0, "{coding}: {output}");
    }
    assert!(tasks["chat"]["chat"]["output_tokens"].as_u64().unwrap() > 0, "{}", tasks["chat"]);
    assert!(failures_of(&tasks["missing"]) > 0);
    assert!(output.contains("JSON /nope missing (in the gzip-decoded reply)"), "{output}");
    // Accept-Encoding is sent only where the task set it.
    let seen = server.seen();
    let plain = seen.iter().find(|request| request.line.ends_with("/encoded-chat/gzip")).unwrap();
    assert!(!plain.headers.to_lowercase().contains("accept-encoding"), "{}", plain.headers);
}

// ---- 7. Datasets as people have them ----

fn dataset_preset(dir: &std::path::Path, file: &str, format: &str) -> std::path::PathBuf {
    let preset = dir.join("p.toml");
    std::fs::write(
        &preset,
        format!(
            "name = \"Data\"\n[[scenario]]\nname = \"chat\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"ask\"\nkind = \"chat\"\nmodel = \"m\"\ndataset = {{ file = \"{file}\", format = \"{format}\" }}\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
        ),
    )
    .unwrap();
    preset
}

#[test]
fn sharegpt_entries_without_a_user_turn_are_skipped_and_counted_and_odd_bytes_are_placed() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}"#;
    let mut entries: Vec<&str> = vec![good; 6];
    entries.push(r#"{"conversations": [{"from": "gpt", "value": "I start"}]}"#);
    entries.push(r#"{"conversations": []}"#);
    entries.push(r#"{"id": "no turns"}"#);
    entries.push(r#"{"conversations": [{"from": "human", "value": "call"}, {"from": "function_call", "value": "{}"}]}"#);
    // With a byte order mark, as Windows editors save it.
    std::fs::write(dir.path().join("share.json"), format!("\u{feff}[{}]", entries.join(",\n"))).unwrap();
    let preset = dataset_preset(dir.path(), "share.json", "sharegpt");
    let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("dataset share.json: skipped 4 of 10 conversations (a turn from \"function_call\": 1; no \"conversations\" array: 1; no user turn: 2)"),
        "{stdout}"
    );
    // Nothing left: refused, saying why.
    std::fs::write(dir.path().join("share.json"), format!("[{}]", entries[6..].join(","))).unwrap();
    let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("has no conversation with a user turn (skipped 4 of 4"),
        "{}",
        text(&output.stderr)
    );

    // A byte that is not UTF-8 is named by its line and its offset in the file.
    let mut bytes = b"{\"prompt\": \"one\"}\n{\"prompt\": \"caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\"}\n");
    std::fs::write(dir.path().join("latin1.jsonl"), bytes).unwrap();
    let preset = dataset_preset(dir.path(), "latin1.jsonl", "jsonl");
    let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("latin1.jsonl: line 2, byte 33: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_large_dataset_streams_with_progress_and_the_app_reads_it_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    // About 100 MB of prompts: seconds to read and count, even in an optimized build.
    let mut lines = String::with_capacity(101_000_000);
    let words = ["latency", "token", "prompt", "server", "answer", "throughput", "model", "question"];
    let mut index = 0usize;
    while lines.len() < 100_000_000 {
        let prompt: Vec<&str> = (0..120).map(|word| words[(index * 7 + word * 3) % words.len()]).collect();
        lines.push_str(&format!("{{\"prompt\": \"{index}: {}\"}}\n", prompt.join(" ")));
        index += 1;
    }
    std::fs::write(dir.path().join("big.jsonl"), &lines).unwrap();
    // A length filter counts every prompt: more than a second in a debug build.
    let preset = dataset_preset(dir.path(), "big.jsonl", "jsonl");
    let filtered = std::fs::read_to_string(&preset)
        .unwrap()
        .replace("format = \"jsonl\"", "format = \"jsonl\", max_prompt_tokens = 100000");
    std::fs::write(&preset, filtered).unwrap();
    let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("counting the prompts of dataset") && stderr.contains("big.jsonl: "),
        "progress after a second: {stderr}"
    );

    // The app's way (its window thread is marked): the first check answers at once that the
    // file is being read, a later one has it.
    use loadscope::testing::preset::dataset::{DatasetFormat, load};
    use loadscope::testing::preset::file_reads::reads_finished;
    loadscope::testing::io_guard::mark_this_thread();
    let before = reads_finished();
    let started = std::time::Instant::now();
    let first = load(
        "big.jsonl",
        Some(dir.path()),
        DatasetFormat::Jsonl,
        loadscope::testing::tokens::Tokenizer::O200kBase,
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(500), "answered at once");
    assert!(matches!(
        first.unwrap_err(),
        loadscope::testing::preset::dataset::DatasetError::Reading { .. }
    ));
    while reads_finished() == before {
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "the read ends");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let read = load(
        "big.jsonl",
        Some(dir.path()),
        DatasetFormat::Jsonl,
        loadscope::testing::tokens::Tokenizer::O200kBase,
    )
    .unwrap();
    assert_eq!(read.conversations.len(), index);
}

#[test]
fn a_conversations_history_is_capped_and_counted_from_the_servers_usage() {
    let server = Faulty::start();
    let (_dir, out) = common::out_path();
    // Forty-word replies: about 51 tokens an exchange as the tokenizer counts them; the server
    // on /long-chat/40/400 says each reply was 400 tokens. The history is capped at 200.
    let chat = |name: &str, path: &str| {
        format!(
            "[[scenario.task]]\nname = \"{name}\"\nkind = \"chat\"\npath = \"{path}\"\nmodel = \"m\"\nturns = 6\nmax_history_tokens = 200\nmessages = [{{ role = \"system\", content = \"Be brief.\" }}, {{ role = \"user\", content = \"question {{{{ seq }}}}\" }}]\n"
        )
    };
    let preset_text = format!(
        "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n{}{}[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
        server.url(),
        chat("counted", "/long-chat/40/none"),
        chat("usage", "/long-chat/40/400"),
    );
    let (record, _) = common::run_text(&preset_text, &out);
    let level = &record.scenarios[0].levels[0];
    assert_eq!(level.total.stats.failures, 0, "{:?}", level.failures);
    let exchanges_sent = |path: &str| -> Vec<usize> {
        let bodies = server.json_bodies(path);
        assert!(bodies.len() >= 12, "{path}: {} requests", bodies.len());
        bodies
            .iter()
            .map(|body| {
                let messages = body["messages"].as_array().unwrap();
                assert_eq!(messages[0]["content"], "Be brief.");
                assert!(messages.last().unwrap()["content"].as_str().unwrap().starts_with("question "));
                (messages.len() - 2) / 2
            })
            .collect()
    };
    // Counted by the tokenizer: three exchanges fit in 200 tokens, a fourth pushes the oldest out.
    let counted = exchanges_sent("/long-chat/40/none");
    assert_eq!(counted[..6], [0, 1, 2, 3, 3, 3], "{counted:?}");
    assert_eq!(*counted.iter().max().unwrap(), 3, "{counted:?}");
    // Counted from usage: every exchange is over the cap on its own, so none is sent again,
    // yet the conversation goes on for its six turns.
    let usage = exchanges_sent("/long-chat/40/400");
    assert!(usage.iter().all(|&exchanges| exchanges == 0), "{usage:?}");
    // A cap of 0 or a cap without turns is refused, naming the fix.
    let dir = tempfile::tempdir().unwrap();
    for (extra, expected) in [
        (
            "max_history_tokens = 0\nturns = 2",
            "max_history_tokens = 0 would send no history at all",
        ),
        (
            "max_history_tokens = 500",
            "max_history_tokens caps a multi-turn conversation's history; add turns",
        ),
    ] {
        let preset = dir.path().join("cap.toml");
        std::fs::write(
            &preset,
            format!(
                "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\nmodel = \"m\"\n{extra}\nmessages = [{{ role = \"user\", content = \"hi\" }}]\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
                server.url()
            ),
        )
        .unwrap();
        let output = loadscope(&["validate", preset.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("cap.toml line"), "the place: {stderr}");
    }
}
