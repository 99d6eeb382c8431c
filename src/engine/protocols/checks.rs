//! Judging a reply body against a task's `[[scenario.task.check]]` rules (any task kind): the
//! first rule that fails names the failure.

use crate::preset::compiled::CheckRule;

/// The failure message of the first check the body fails, or None when all pass. The body is
/// parsed as JSON at most once, and only when a JSON check asks.
pub(crate) fn first_failure(checks: &[CheckRule], body: &[u8]) -> Option<String> {
    let mut json = None;
    checks.iter().find(|check| !passes(check, body, &mut json)).map(describe)
}

/// Whether the body passes one check; `json` caches the parsed body between checks.
fn passes(check: &CheckRule, body: &[u8], json: &mut Option<Option<serde_json::Value>>) -> bool {
    match check {
        CheckRule::BodyContains(needle) => {
            let needle = needle.as_bytes();
            !needle.is_empty() && body.windows(needle.len()).any(|window| window == needle)
        }
        CheckRule::JsonExists(pointer) | CheckRule::JsonAbsent(pointer) | CheckRule::JsonEquals(pointer, _) => {
            let parsed = json.get_or_insert_with(|| serde_json::from_slice(body).ok());
            let found = parsed.as_ref().and_then(|value| value.pointer(pointer));
            match check {
                CheckRule::JsonExists(_) => found.is_some(),
                CheckRule::JsonAbsent(_) => parsed.is_some() && found.is_none(),
                CheckRule::JsonEquals(_, expected) => found == Some(expected),
                CheckRule::BodyContains(_) => false,
            }
        }
    }
}

/// What the check asks for, used as the failure message.
fn describe(check: &CheckRule) -> String {
    match check {
        CheckRule::JsonExists(pointer) => format!("check failed: JSON {pointer} missing"),
        CheckRule::JsonAbsent(pointer) => format!("check failed: JSON {pointer} present (expected absent)"),
        CheckRule::JsonEquals(pointer, value) => format!("check failed: JSON {pointer} != {value}"),
        CheckRule::BodyContains(needle) => format!("check failed: body lacks {needle:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failing_check_names_the_failure() {
        let body = br#"{"choices":[{"text":"hi"}],"error":null}"#;
        let pass = [
            CheckRule::JsonExists("/choices/0".into()),
            CheckRule::JsonEquals("/choices/0/text".into(), serde_json::json!("hi")),
            CheckRule::BodyContains("choices".into()),
            CheckRule::JsonAbsent("/missing".into()),
        ];
        assert_eq!(first_failure(&pass, body), None);
        let fail = [
            CheckRule::JsonExists("/choices/0".into()),
            CheckRule::JsonExists("/usage".into()),
            CheckRule::BodyContains("nope".into()),
        ];
        assert_eq!(first_failure(&fail, body).as_deref(), Some("check failed: JSON /usage missing"));
        // A body that is not JSON fails JSON checks, absence included.
        assert_eq!(
            first_failure(&[CheckRule::JsonAbsent("/x".into())], b"not json").as_deref(),
            Some("check failed: JSON /x present (expected absent)")
        );
    }
}
