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
