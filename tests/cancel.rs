//! Users who cancel: a chat reply stopped part way (`cancel_after`, `cancel_after_tokens`) for
//! a share of requests (`cancel_share`) is counted as `cancelled`, not as a failure, keeps its
//! time to first token and its tokens so far, and stays out of the latency columns.
#![allow(clippy::unwrap_used)]

mod common;

use common::faulty::Faulty;
use loadscope::testing::preset::{PresetSource, compile};

fn chat_task(url: &str, path: &str, extra: &str, level: &str) -> String {
    format!(
        "[[scenario]]\nname = \"cancel\"\ntimeout = \"5s\"\n[scenario.service]\nbase_url = \"{url}\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\npath = \"{path}\"\nmodel = \"m\"\nstream = true\nmessages = [{{ role = \"user\", content = \"hi\" }}]\n{extra}\n[[scenario.level]]\n{level}\n"
    )
}

#[test]
fn a_user_who_stops_a_never_ending_stream_is_counted_as_cancelled_not_failed() {
    let server = Faulty::start();
    // `/forever` sends a content chunk every 50 ms and never ends: without a cancel every
    // request would time out.
    let text = chat_task(
        &server.url(),
        "/forever",
        "cancel_after = \"300ms\"",
        "users = 2\nduration = \"2s\"",
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.tasks[0].stats;
    assert!(stats.requests >= 4, "{stats:?}");
    assert_eq!(stats.failures, 0, "{:?}", level.failures);
    assert!(
        stats.cancelled + stats.unfinished >= stats.requests,
        "every request was stopped by its user: {stats:?}"
    );
    assert_eq!(stats.p50_micros, 0, "a cut-short time is no latency");
    let chat = stats.chat.as_ref().unwrap();
    assert!(
        chat.ttft_p50_micros >= 40_000 && chat.ttft_p50_micros < 200_000,
        "the first token still counts: {}",
        chat.ttft_p50_micros
    );
    // About six 50 ms chunks fit in 300 ms.
    let per_request = chat.output_tokens as f64 / stats.cancelled as f64;
    assert!((4.0..=7.0).contains(&per_request), "{per_request} tokens per cancelled request");
    // Each stop closed the stream: every request came on a connection of its own.
    let seen = server.seen().len() as u64;
    assert!(seen >= stats.cancelled, "{seen} requests seen for {} cancelled", stats.cancelled);
    assert!(level.failures.is_empty());
}

#[test]
fn a_user_who_stops_after_n_tokens_keeps_exactly_those_tokens() {
    let server = Faulty::start();
    let text = chat_task(&server.url(), "/forever", "cancel_after_tokens = 3", "users = 1\nduration = \"1s\"");
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let stats = &record.scenarios[0].levels[0].tasks[0].stats;
    assert!(stats.cancelled >= 3, "{stats:?}");
    let chat = stats.chat.as_ref().unwrap();
    assert_eq!(chat.output_tokens, 3 * stats.cancelled, "three tokens each, then Stop");
}

#[test]
fn a_share_of_users_cancel_and_the_rest_finish_their_replies() {
    let stack = common::seeded_demo(11);
    let [gateway, _, _] = stack.urls();
    let text = chat_task(
        &gateway,
        "/v1/chat/completions",
        "max_tokens = 40\ncancel_after_tokens = 4\ncancel_share = 0.5",
        "users = 4\nduration = \"3s\"",
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.tasks[0].stats;
    assert_eq!(stats.failures, 0, "{:?}", level.failures);
    let finished = stats.requests - stats.cancelled - stats.unfinished;
    assert!(stats.requests >= 40, "{stats:?}");
    let share = stats.cancelled as f64 / stats.requests as f64;
    assert!((0.3..=0.7).contains(&share), "{share} of requests cancelled for a share of 0.5");
    let chat = stats.chat.as_ref().unwrap();
    assert_eq!(chat.replies, finished, "only finished replies are replies");
    // The finished replies have at least 20 tokens (the demo writes max_tokens/2 or more),
    // the cancelled ones exactly four.
    assert!(chat.output_tokens >= 20 * finished + 4 * stats.cancelled, "{chat:?}");
    // The CLI's line says so.
    let printed = loadscope::testing::report::lines::cancelled(stats).unwrap();
    assert!(
        printed.contains(&format!("{} of {} requests", stats.cancelled, stats.requests)),
        "{printed}"
    );
}

fn mistakes(text: &str) -> String {
    let loaded = PresetSource::from_text("cancel.toml", text, None).parse().unwrap();
    compile(&loaded).err().map(|errors| errors.to_string()).unwrap_or_default()
}

#[test]
fn cancel_mistakes_are_named_with_the_fix() {
    let level = "users = 1\nduration = \"1s\"";
    let unstreamed = chat_task("http://127.0.0.1:9", "/c", "cancel_after_tokens = 5", level).replace("stream = true", "stream = false");
    assert!(mistakes(&unstreamed).contains("set stream = true"), "{}", mistakes(&unstreamed));
    let share_alone = chat_task("http://127.0.0.1:9", "/c", "cancel_share = 0.2", level);
    assert!(mistakes(&share_alone).contains("add cancel_after"), "{}", mistakes(&share_alone));
    let too_much = chat_task("http://127.0.0.1:9", "/c", "cancel_after = \"1s\"\ncancel_share = 1.5", level);
    assert!(mistakes(&too_much).contains("between 0 and 1"), "{}", mistakes(&too_much));
    let http = "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\ncancel_after = \"1s\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n";
    assert!(mistakes(http).contains("cancel_after belongs to chat tasks"), "{}", mistakes(http));
}

#[test]
fn a_journey_whose_user_stops_a_reply_ends_cancelled_neither_completed_nor_failed() {
    let server = Faulty::start();
    let text = format!(
        "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.journey]]\nname = \"turn\"\n[[scenario.journey.step]]\nname = \"ask\"\nkind = \"chat\"\npath = \"/forever\"\nmodel = \"m\"\nstream = true\nmessages = [{{ role = \"user\", content = \"hi\" }}]\ncancel_after = \"200ms\"\n[[scenario.journey.step]]\nname = \"after\"\npath = \"/ok\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n[[scenario.target]]\nexpr = \"journey_success_rate > 99%\"\n",
        server.url()
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert!(stats.cancelled >= 2, "{stats:?}");
    assert_eq!((stats.completed, stats.failed), (0, 0), "{stats:?}");
    assert!(
        server.seen().iter().all(|seen| !seen.line.contains("/ok")),
        "a cancelled turn goes no further"
    );
    let verdict = &level.verdicts[0];
    assert_eq!(verdict.observed, None, "no journey ended to judge: {verdict:?}");
    assert!(!verdict.passed);
}
