//! Trace replay: requests sent at their recorded times (sped up, looped), Mooncake hash ids as
//! shared prompt blocks, recorded request bodies sent as they were, lateness counted.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::faulty::Faulty;
use loadscope::testing::preset::{PresetSource, compile};

fn scenario(url: &str, trace: &str) -> String {
    format!("[[scenario]]\nname = \"replay\"\ntimeout = \"5s\"\n[scenario.service]\nbase_url = \"{url}\"\n[scenario.trace]\n{trace}\n")
}

fn write(dir: &tempfile::TempDir, name: &str, lines: &[String]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n")).unwrap();
    path.display().to_string()
}

#[test]
fn a_mooncake_trace_arrives_at_its_times_sped_up_with_shared_blocks() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    // Ten requests 100 ms apart; even ones share blocks 1 and 2, odd ones block 3.
    let lines: Vec<String> = (0..10)
        .map(|index| {
            let ids = if index % 2 == 0 { "[1, 2, 10]" } else { "[3, 11]" };
            format!(
                "{{\"timestamp\": {}, \"input_length\": 200, \"output_length\": {}, \"hash_ids\": {ids}}}",
                1000 + index * 100,
                10 + index
            )
        })
        .collect();
    let file = write(&dir, "trace.jsonl", &lines);
    let text = scenario(
        &server.url(),
        &format!(
            "file = \"{file}\"\nformat = \"mooncake\"\nspeedup = 2\nblock_tokens = 64\nmodel = \"m\"\nstream = false\npath = \"/json-chat\""
        ),
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    assert_eq!(level.tasks[0].task, "trace replay");
    assert_eq!(level.tasks[0].stats.requests, 10, "{:?}", level.failures);
    assert_eq!(level.late_starts, 0);
    let seen: Vec<_> = server.seen().into_iter().filter(|seen| seen.line.contains("/json-chat")).collect();
    assert_eq!(seen.len(), 10);
    // Twice as fast: 50 ms apart, the whole trace in 450 ms.
    let span = seen[9].at.duration_since(seen[0].at);
    assert!(span >= Duration::from_millis(400) && span < Duration::from_millis(600), "{span:?}");
    for pair in seen.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= Duration::from_millis(25) && gap < Duration::from_millis(90), "{gap:?}");
    }
    let bodies: Vec<serde_json::Value> = seen.iter().map(|seen| serde_json::from_str(&seen.body).unwrap()).collect();
    let prompt = |index: usize| bodies[index]["messages"][0]["content"].as_str().unwrap().to_string();
    // Each request asks for its recorded reply length.
    for (index, body) in bodies.iter().enumerate() {
        assert_eq!(body["max_tokens"], 10 + index as u64);
    }
    let common_prefix = |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    assert!(common_prefix(&prompt(0), &prompt(2)) > 200, "shared blocks share text");
    assert!(common_prefix(&prompt(1), &prompt(3)) > 150);
    assert!(common_prefix(&prompt(0), &prompt(1)) < 20, "other blocks do not");
    assert_ne!(prompt(0), prompt(2), "the request's own block differs");
    let prompt_tokens = loadscope::testing::tokens::Tokenizer::O200kBase.count(&prompt(0)) as i64;
    assert!(
        (prompt_tokens - 200).abs() <= 6,
        "{prompt_tokens} tokens for an input_length of 200"
    );
}

#[test]
fn recorded_request_bodies_are_sent_as_they_were_and_a_loop_replays_them_again() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..3)
        .map(|index| {
            format!(
                "{{\"timestamp\": {}, \"body\": {{\"model\": \"logged-{index}\", \"messages\": [{{\"role\": \"user\", \"content\": \"question {index}\"}}], \"temperature\": 0.{index}}}}}",
                index * 100
            )
        })
        .collect();
    let file = write(&dir, "gateway.jsonl", &lines);
    let text = scenario(
        &server.url(),
        &format!("file = \"{file}\"\nformat = \"requests\"\nloop = true\nduration = \"1s\"\npath = \"/json-chat\""),
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let stats = &record.scenarios[0].levels[0].tasks[0].stats;
    assert!(stats.requests >= 9, "a 200 ms trace looped for 1 s: {stats:?}");
    let bodies = server.json_bodies("/json-chat");
    for (index, body) in bodies.iter().take(3).enumerate() {
        assert_eq!(body["model"], format!("logged-{index}"));
        assert_eq!(body["messages"][0]["content"], format!("question {index}"));
    }
    assert_eq!(bodies[3]["model"], "logged-0", "the second pass starts again");
}

#[test]
fn arrivals_held_back_by_the_in_flight_cap_are_late() {
    let server = Faulty::start();
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..12)
        .map(|index| format!("{{\"timestamp\": {}, \"input_length\": 20, \"output_length\": 5}}", index * 20))
        .collect();
    let file = write(&dir, "busy.jsonl", &lines);
    let text = scenario(
        &server.url(),
        &format!("file = \"{file}\"\nformat = \"mooncake\"\nmodel = \"m\"\nstream = false\nmax_in_flight = 1\npath = \"/slow/300\""),
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    // Each worker holds one in flight (the cap is shared out, at least one each): of its six
    // arrivals 40 ms apart, each 300 ms long, all but the first wait.
    assert!(
        level.late_starts >= 8,
        "300 ms requests every 20 ms, one at a time: {}",
        level.late_starts
    );
}

fn mistakes(text: &str) -> String {
    let loaded = PresetSource::from_text("trace.toml", text, None).parse().unwrap();
    compile(&loaded).err().map(|errors| errors.to_string()).unwrap_or_default()
}

#[test]
fn trace_mistakes_name_the_file_the_line_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        &dir,
        "good.jsonl",
        &["{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5}".to_string()],
    );
    let bad = write(
        &dir,
        "bad.jsonl",
        &[
            "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5}".to_string(),
            "{\"timestamp\": 5, \"input\": 3}".to_string(),
        ],
    );
    let url = "http://127.0.0.1:9";
    let found = mistakes(&scenario(url, &format!("file = \"{bad}\"\nformat = \"mooncake\"\nmodel = \"m\"")));
    assert!(found.contains("bad.jsonl line 2: missing field `input_length`"), "{found}");
    let found = mistakes(&scenario(url, &format!("file = \"{good}\"\nformat = \"mooncake\"")));
    assert!(found.contains("needs the model"), "{found}");
    let found = mistakes(&scenario(
        url,
        &format!("file = \"{good}\"\nformat = \"mooncake\"\nmodel = \"m\"\nloop = true"),
    ));
    assert!(found.contains("add duration"), "{found}");
    let found = mistakes(&scenario(url, &format!("file = \"{good}\"\nformat = \"azure\"")));
    assert!(found.contains("not mooncake or requests"), "{found}");
    let with_levels = format!(
        "{}[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
        scenario(url, &format!("file = \"{good}\"\nformat = \"mooncake\"\nmodel = \"m\""))
    );
    assert!(
        mistakes(&with_levels).contains("remove the [[scenario.level]] tables"),
        "{}",
        mistakes(&with_levels)
    );
    let missing = mistakes(&scenario(url, "file = \"nowhere.jsonl\"\nformat = \"mooncake\"\nmodel = \"m\""));
    assert!(missing.contains("trace nowhere.jsonl: cannot read it"), "{missing}");
}
