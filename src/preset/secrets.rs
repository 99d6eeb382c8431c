//! `${ENV_VAR}` references in presets: resolved only when a run is built, never written back.

/// Names of the `${VAR}` references in `text`, in order.
pub fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let reference = &after[..end];
                names.push(reference.split_once(":-").map_or(reference, |(name, _)| name).to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    names
}

/// A `${VAR}` that is not set in the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("${{{name}}} is not set: export {name} before the run, write ${{{name}:-default}} to fall back, or remove the reference")]
pub struct MissingSecret {
    pub name: String,
}

/// Replaces every `${VAR}` in `text` with `lookup(VAR)`.
pub fn resolve(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, MissingSecret> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let reference = &after[..end];
        // `${VAR:-fallback}` uses the fallback when VAR is unset, as shells do.
        let value = match reference.split_once(":-") {
            Some((name, fallback)) => lookup(name).unwrap_or_else(|| fallback.to_string()),
            None => lookup(reference).ok_or_else(|| MissingSecret {
                name: reference.to_string(),
            })?,
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The process environment as a lookup.
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What a run file keeps of a header value: `${VAR}` references stay (they hold no secret);
/// a literal value in a header that usually carries credentials is replaced.
pub fn redact_header_value(header: &str, value: &str) -> String {
    let lower = header.to_ascii_lowercase();
    let sensitive = ["authorization", "cookie", "key", "token", "secret", "password"]
        .iter()
        .any(|word| lower.contains(word));
    if !sensitive {
        return value.to_string();
    }
    let refs = references(value);
    if refs.is_empty() {
        return "[redacted]".into();
    }
    // Keep the shape ("Bearer ${OPENAI_API_KEY}") but drop any literal part that could be a key.
    let mut kept = String::new();
    for (index, name) in refs.iter().enumerate() {
        if index > 0 {
            kept.push(' ');
        }
        kept.push_str(&format!("${{{name}}}"));
    }
    let prefix = value.split("${").next().unwrap_or("").trim();
    if !prefix.is_empty() && prefix.len() <= 16 && prefix.chars().all(|c| c.is_ascii_alphabetic()) {
        format!("{prefix} {kept}")
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_reports_missing() {
        let lookup = |name: &str| (name == "KEY").then(|| "sk-123".to_string());
        assert_eq!(resolve("Bearer ${KEY}", &lookup), Ok("Bearer sk-123".into()));
        assert_eq!(resolve("plain", &lookup), Ok("plain".into()));
        let missing = resolve("Bearer ${NOPE}", &lookup).expect_err("missing");
        assert_eq!(missing.name, "NOPE");
        assert!(missing.to_string().contains("export NOPE"));
        assert_eq!(references("a ${A} b ${B:-x}"), vec!["A".to_string(), "B".to_string()]);
        assert_eq!(resolve("Bearer ${NOPE:-none}", &lookup), Ok("Bearer none".into()));
        assert_eq!(resolve("Bearer ${KEY:-none}", &lookup), Ok("Bearer sk-123".into()));
    }

    #[test]
    fn redacts_literal_credentials_only() {
        assert_eq!(
            redact_header_value("Authorization", "Bearer ${OPENAI_API_KEY}"),
            "Bearer ${OPENAI_API_KEY}"
        );
        assert_eq!(redact_header_value("Authorization", "Bearer sk-live-abc"), "[redacted]");
        assert_eq!(redact_header_value("X-Api-Key", "abc"), "[redacted]");
        assert_eq!(redact_header_value("Accept", "application/json"), "application/json");
    }
}
