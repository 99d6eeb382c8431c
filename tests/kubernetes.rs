//! The Kubernetes manifests in packaging/kubernetes: their YAML read by PyYAML (installed by
//! scripts/test-deps.sh) and checked for the shape a split run needs; the ConfigMap's preset
//! validated by `loadscope validate`. No cluster is reachable here, so nothing is applied.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{loadscope, text};
use serde_json::Value;

/// Every document of a YAML file, as JSON.
fn yaml(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/kubernetes").join(name);
    let output = Command::new(common::python_bin("python3"))
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} is not YAML PyYAML reads: {}",
        path.display(),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn one(name: &str, kind: &str) -> Value {
    let documents = yaml(name);
    assert_eq!(documents.len(), 1, "{name}");
    assert_eq!(documents[0]["kind"], kind, "{name}");
    documents.into_iter().next().unwrap()
}

#[test]
fn the_indexed_job_runs_one_segment_per_pod_and_the_merge_reads_their_volume() {
    let preset = one("preset-configmap.yaml", "ConfigMap");
    let pvc = one("results-pvc.yaml", "PersistentVolumeClaim");
    assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteMany", "every pod and the merge mount it");
    let job = one("segments-job.yaml", "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().unwrap();
    assert_eq!(spec["parallelism"].as_u64(), Some(n), "every segment runs at once");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let container = &pod["containers"][0];
    let script = container["args"][0].as_str().unwrap();
    for part in [
        "loadscope run /preset/preset.toml".to_string(),
        format!("--segment \"$JOB_COMPLETION_INDEX/{n}\""),
        "--run-id \"$RUN_ID\"".to_string(),
        "--start-at \"$START_AT\"".to_string(),
        "--out \"/results/$RUN_ID/segment-$JOB_COMPLETION_INDEX.json\"".to_string(),
    ] {
        assert!(script.contains(&part), "{part:?} in {script:?}");
    }
    let env: Vec<&str> = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|var| var["name"].as_str().unwrap())
        .collect();
    assert!(env.contains(&"RUN_ID") && env.contains(&"START_AT"), "{env:?}");
    assert!(
        container["envFrom"][0]["secretRef"]["name"].is_string(),
        "secrets come from a Secret as variables"
    );
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|mount| mount["mountPath"].as_str().unwrap())
        .collect();
    assert_eq!(mounts, vec!["/preset", "/results"]);
    let volumes = pod["volumes"].as_array().unwrap();
    assert_eq!(volumes[0]["configMap"]["name"], preset["metadata"]["name"]);
    assert_eq!(volumes[1]["persistentVolumeClaim"]["claimName"], pvc["metadata"]["name"]);

    let merge = one("merge-job.yaml", "Job");
    let merge_pod = &merge["spec"]["template"]["spec"];
    let merge_script = merge_pod["containers"][0]["args"][0].as_str().unwrap();
    assert!(merge_script.contains("loadscope merge \"/results/$RUN_ID\""), "{merge_script}");
    assert!(merge_script.contains("--format junit"), "{merge_script}");
    assert_eq!(
        merge_pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        pvc["metadata"]["name"]
    );

    // The shipped preset is one Loadscope accepts.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("preset.toml");
    std::fs::write(&path, preset["data"]["preset.toml"].as_str().unwrap()).unwrap();
    let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}{}", text(&output.stdout), text(&output.stderr));

    // The container image installs the .deb the packaging script builds.
    let recipe = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/kubernetes/Containerfile")).unwrap();
    assert!(recipe.contains("apt-get install -y --no-install-recommends /tmp/loadscope_") && recipe.contains("ENTRYPOINT [\"loadscope\"]"));
}
