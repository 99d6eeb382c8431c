//! https targets: a service behind a private CA is reached when the preset's ca_file names
//! that CA, and refused with a clear message when it does not.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{Nginx, openssl, out_path};
use loadscope::testing::engine::{Event, RunPlan, run_blocking};
use loadscope::testing::preset::{PresetSource, compile};

/// A CA and a localhost certificate it signed.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Loadscope Test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn preset(port: u16, ca_line: &str) -> String {
    format!(
        "[[scenario]]\nname = \"tls\"\n[scenario.service]\nbase_url = \"https://localhost:{port}\"\nhealth_path = \"/health\"\n{ca_line}\n[[scenario.task]]\nname = \"hello\"\npath = \"/hello\"\n[[scenario.level]]\nusers = 2\nduration = \"1s\"\n"
    )
}

#[test]
fn a_private_ca_is_trusted_only_when_the_preset_names_it() {
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let nginx = Nginx::start_tls(&certs.path().join("server.pem"), &certs.path().join("server.key"));

    let preset_path = certs.path().join("tls.toml");
    std::fs::write(&preset_path, preset(nginx.port, "ca_file = \"ca.pem\"")).unwrap();
    let compiled = compile(&PresetSource::from_path(&preset_path).unwrap().parse().unwrap()).unwrap();
    let (_dir, out) = out_path();
    let record = run_blocking(RunPlan::new(compiled, out.clone(), &|_| None).unwrap(), |_| {})
        .unwrap()
        .expect("preflight passes over https");
    let total = &record.scenarios[0].levels[0].total.stats;
    assert!(total.requests > 50, "{total:?}");
    assert_eq!(total.failures, 0);
    assert_eq!(total.avg_bytes, 17.0, "the body arrives through TLS intact");
    assert!(
        total.connections >= 2 && total.connections < 10,
        "TLS connections are kept alive: {}",
        total.connections
    );

    // Without the CA the preflight explains why the service cannot be reached.
    std::fs::write(&preset_path, preset(nginx.port, "")).unwrap();
    let compiled = compile(&PresetSource::from_path(&preset_path).unwrap().parse().unwrap()).unwrap();
    let mut failed = None;
    let none = run_blocking(RunPlan::new(compiled, out, &|_| None).unwrap(), |event| {
        if let Event::PreflightFailed(reports) = event {
            failed = Some(reports[0].describe());
        }
    })
    .unwrap();
    assert!(none.is_none());
    let line = failed.unwrap();
    assert!(line.contains("https://localhost") && line.contains("cannot connect"), "{line}");

    // A ca_file that is not there is a preset mistake at its line.
    std::fs::write(&preset_path, preset(nginx.port, "ca_file = \"missing.pem\"")).unwrap();
    let errors = compile(&PresetSource::from_path(&preset_path).unwrap().parse().unwrap())
        .unwrap_err()
        .to_string();
    assert!(errors.contains("line 6") && errors.contains("missing.pem"), "{errors}");
}
