//! `${ENV_VAR}` references in presets: resolved only when a run is built, never written back.

/// Names of the `${VAR}` references in `text`, in order.
pub(crate) fn references(text: &str) -> Vec<String> {
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

/// The `${VAR}` values a run resolved, kept for two jobs: filling references in text made at
/// request time (rendered templates), and taking every value that came from the environment
/// back out of anything shown or saved (failure messages, reports, logs).
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// (reference as written inside `${...}`, its value, whether the value came from the
    /// environment rather than a `:-` fallback written in the preset).
    resolved: Vec<(String, String, bool)>,
    /// Every form of every environment value to take out of outputs, with the reference that
    /// replaces it, longest first: built when a value is resolved, not per message (failures
    /// are redacted on the workers' request path).
    hidden: Vec<(String, String)>,
}

/// Values shorter than this are not taken out of outputs: replacing every "1" or "on" would
/// garble every message, and a value that short is no secret.
pub(crate) const MIN_REDACTED_CHARS: usize = 4;

impl Secrets {
    /// Resolves every `${VAR}` in `text` (remembering each value), or names the missing one.
    pub fn resolve(&mut self, text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, MissingSecret> {
        for reference in raw_references(text) {
            if self.resolved.iter().any(|(known, _, _)| *known == reference) {
                continue;
            }
            let (name, fallback) = match reference.split_once(":-") {
                Some((name, fallback)) => (name, Some(fallback)),
                None => (reference.as_str(), None),
            };
            let (value, from_env) = match (lookup(name), fallback) {
                (Some(value), _) => (value, true),
                (None, Some(fallback)) => (fallback.to_string(), false),
                (None, None) => return Err(MissingSecret { name: name.to_string() }),
            };
            self.resolved.push((reference.clone(), value, from_env));
            self.rebuild_hidden();
        }
        Ok(self.substitute(text).into_owned())
    }

    /// Resolves the references in every string of a JSON value, in place.
    pub fn resolve_json(&mut self, value: &mut serde_json::Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), MissingSecret> {
        match value {
            serde_json::Value::String(text) if text.contains("${") => *text = self.resolve(text, lookup)?,
            serde_json::Value::Array(items) => {
                for item in items {
                    self.resolve_json(item, lookup)?;
                }
            }
            serde_json::Value::Object(fields) => {
                for item in fields.values_mut() {
                    self.resolve_json(item, lookup)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Fills the references this run resolved into `text` (a rendered template); unknown
    /// references stay as they are.
    pub fn substitute<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        if !text.contains("${") || self.resolved.is_empty() {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for (reference, value, _) in &self.resolved {
            out = out.replace(&format!("${{{reference}}}"), value);
        }
        std::borrow::Cow::Owned(out)
    }

    /// Also takes `value` out of outputs as `${name}`: a secret derived from the preset rather
    /// than read from the environment (a password in a base URL, its Basic credentials).
    pub fn hide(&mut self, name: &str, value: &str) {
        if !self.resolved.iter().any(|(_, known, _)| known == value) {
            self.resolved.push((name.to_string(), value.to_string(), true));
            self.rebuild_hidden();
        }
    }

    /// Cuts `text` (a reply's body, a message) to `max_chars` characters with an ellipsis,
    /// redacting first, so that no cut leaves the start of a secret behind. Every place that
    /// keeps the text of a reply goes through here or [`Secrets::redact`].
    pub fn redact_and_cut(&self, text: &str, max_chars: usize) -> String {
        let redacted = self.redact(text);
        if redacted.chars().count() <= max_chars {
            return redacted.into_owned();
        }
        let cut: String = redacted.chars().take(max_chars).collect();
        format!("{}…", self.redact(&cut))
    }

    /// `text` with every value that came from the environment replaced by its reference
    /// (`${MY_KEY}`), in each form a server may echo it: as written, JSON-escaped (`\/`,
    /// `\u002f`), percent-encoded (upper and lower case), with `+` read as a space (form
    /// decoding), and base64 of `user:password` for Basic credentials that were hidden with
    /// [`Secrets::hide`]. A text that ends with the first 12 or more characters of one of these
    /// (a message cut short) loses that run too.
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let hidden = &self.hidden;
        let whole = hidden.iter().any(|(value, _)| text.contains(value.as_str()));
        let cut = hidden.iter().any(|(value, _)| cut_prefix(text, value).is_some());
        if !whole && !cut {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for (value, name) in hidden {
            out = out.replace(value.as_str(), &format!("${{{name}}}"));
        }
        for (value, name) in hidden {
            if let Some(start) = cut_prefix(&out, value) {
                let tail = &out[start..];
                let ellipsis = if tail.ends_with('…') { "…" } else { "" };
                out.truncate(start);
                out.push_str(&format!("${{{name}}}{ellipsis}"));
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// The forms [`Secrets::redact`] takes out, from the values resolved so far.
    fn rebuild_hidden(&mut self) {
        let mut hidden: Vec<(String, String)> = Vec::new();
        for (reference, value, from_env) in &self.resolved {
            if !*from_env || value.chars().count() < MIN_REDACTED_CHARS {
                continue;
            }
            let name = reference.split_once(":-").map_or(reference.as_str(), |(name, _)| name);
            for variant in variants(value) {
                if !hidden.iter().any(|(known, _)| *known == variant) {
                    hidden.push((variant, name.to_string()));
                }
            }
        }
        hidden.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        self.hidden = hidden;
    }
}

/// Runs of a secret this long or longer, left at the end of a cut message, are taken out.
pub(crate) const MIN_CUT_SECRET_CHARS: usize = 12;

/// Where `text` ends with the first [`MIN_CUT_SECRET_CHARS`] or more characters of `value`
/// (before a closing ellipsis), cut short: the byte offset that run starts at.
fn cut_prefix(text: &str, value: &str) -> Option<usize> {
    let body = text.strip_suffix('…').unwrap_or(text);
    let value_chars: Vec<(usize, char)> = value.char_indices().collect();
    if value_chars.len() <= MIN_CUT_SECRET_CHARS {
        return None;
    }
    // Longest first: the run that ends the text.
    for length in (MIN_CUT_SECRET_CHARS..value_chars.len()).rev() {
        let prefix = &value[..value_chars[length].0];
        if body.ends_with(prefix) {
            return Some(body.len() - prefix.len());
        }
    }
    None
}

/// The forms a server may echo `value` in.
fn variants(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    forms.push(json.replace('/', "\\/"));
    forms.push(json.replace('/', "\\u002f"));
    forms.push(json.replace('/', "\\u002F"));
    forms.push(json);
    forms.push(percent_encode(value, true));
    forms.push(percent_encode(value, false));
    forms.push(value.replace('+', " "));
    forms.retain(|form| form.chars().count() >= MIN_REDACTED_CHARS);
    forms.sort();
    forms.dedup();
    forms
}

/// `value` with every byte outside RFC 3986's unreserved set as `%XX`.
fn percent_encode(value: &str, upper: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else if upper {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

/// The text inside each `${...}` of `text`, fallback included.
fn raw_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                found.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// The process environment as a lookup.
pub(crate) fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What a run file keeps of a header value: `${VAR}` references stay (they hold no secret);
/// a literal value in a header that usually carries credentials is replaced.
pub(crate) fn redact_header_value(header: &str, value: &str) -> String {
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
        let resolve = |text: &str| Secrets::default().resolve(text, &lookup);
        assert_eq!(resolve("Bearer ${KEY}"), Ok("Bearer sk-123".into()));
        assert_eq!(resolve("plain"), Ok("plain".into()));
        let missing = resolve("Bearer ${NOPE}").expect_err("missing");
        assert_eq!(missing.name, "NOPE");
        assert!(missing.to_string().contains("export NOPE"));
        assert_eq!(references("a ${A} b ${B:-x}"), vec!["A".to_string(), "B".to_string()]);
        assert_eq!(resolve("Bearer ${NOPE:-none}"), Ok("Bearer none".into()));
        assert_eq!(resolve("Bearer ${KEY:-none}"), Ok("Bearer sk-123".into()));
    }

    #[test]
    fn secrets_fill_templates_and_leave_outputs() {
        let lookup = |name: &str| (name == "KEY").then(|| "sk-live-123456".to_string());
        let mut secrets = Secrets::default();
        assert_eq!(
            secrets.resolve("/q?key=${KEY}&m=${M:-small}", &lookup).as_deref(),
            Ok("/q?key=sk-live-123456&m=small")
        );
        assert_eq!(
            secrets.substitute("rendered ${KEY} and ${OTHER}"),
            "rendered sk-live-123456 and ${OTHER}"
        );
        assert_eq!(
            secrets.redact("HTTP 500: authorization: Bearer sk-live-123456, model small"),
            "HTTP 500: authorization: Bearer ${KEY}, model small",
            "the fallback written in the preset is no secret"
        );
        let mut body = serde_json::json!({"args": ["${KEY}", 3], "q": "plain"});
        secrets.resolve_json(&mut body, &lookup).expect("resolves");
        assert_eq!(body, serde_json::json!({"args": ["sk-live-123456", 3], "q": "plain"}));
        assert_eq!(secrets.resolve("${NOPE}", &lookup).expect_err("missing").name, "NOPE");
        let short = |_: &str| Some("ab".to_string());
        let mut tiny = Secrets::default();
        tiny.resolve("${A}", &short).expect("resolves");
        assert_eq!(tiny.redact("a table of abc"), "a table of abc", "values under 4 characters stay");
    }

    #[test]
    fn a_secret_is_taken_out_in_every_form_a_server_may_echo() {
        let key = "sk-live/AbC+dEf=12345678";
        let lookup = |_: &str| Some(key.to_string());
        let mut secrets = Secrets::default();
        secrets.resolve("${API_KEY}", &lookup).expect("resolves");
        for echoed in [
            key.to_string(),
            "sk-live\\/AbC+dEf=12345678".to_string(),
            "sk-live\\u002fAbC+dEf=12345678".to_string(),
            "sk-live%2FAbC%2BdEf%3D12345678".to_string(),
            "sk-live%2fAbC%2bdEf%3d12345678".to_string(),
            "sk-live/AbC dEf=12345678".to_string(),
        ] {
            let message = format!("HTTP 500: {{\"echo\": \"{echoed}\"}}");
            let redacted = secrets.redact(&message);
            assert_eq!(redacted, "HTTP 500: {\"echo\": \"${API_KEY}\"}", "{echoed}");
        }
        // Cut inside the key: the run left at the end goes, with the ellipsis.
        assert_eq!(secrets.redact("key was sk-live/AbC+dE…"), "key was ${API_KEY}…");
        assert_eq!(
            secrets.redact("key was sk-live/AbC"),
            "key was sk-live/AbC",
            "under 12 characters stays"
        );
        // Redacting before the cut leaves nothing of it.
        let long = format!("{}{key} and more", "x".repeat(150));
        let cut = secrets.redact_and_cut(&long, 160);
        assert!(!cut.contains("sk-live"), "{cut}");
        assert!(cut.ends_with('…'), "{cut}");
        // A password hidden with its Basic credentials.
        secrets.hide("base_url password", "hunter2pass");
        secrets.hide("base_url password", "YWxpY2U6aHVudGVyMnBhc3M=");
        assert_eq!(
            secrets.redact("Authorization: Basic YWxpY2U6aHVudGVyMnBhc3M= for hunter2pass"),
            "Authorization: Basic ${base_url password} for ${base_url password}"
        );
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

/// A preset's `.env` file: `NAME=value` lines beside the preset file (in the data dir for a
/// shipped or unsaved preset). It holds the `${VAR}` values an app started from a dock or menu
/// has no shell for; the process environment wins over it. It is never part of a preset or a
/// run file.
#[derive(Debug, Clone)]
pub struct DotEnv {
    pub path: std::path::PathBuf,
    pub values: std::collections::BTreeMap<String, String>,
}

/// Why a `.env` file could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DotEnvError {
    #[error("cannot read {path}: {why}")]
    Read { path: std::path::PathBuf, why: String },
    #[error("{path} line {line}: expected NAME=value")]
    BadLine { path: std::path::PathBuf, line: usize },
    #[error("the value of {0} has a carriage return, which a .env line cannot hold")]
    Unwritable(String),
    #[error("cannot write {path}: {why}")]
    Write { path: std::path::PathBuf, why: String },
}

impl DotEnv {
    /// Reads `path` (a missing file is an empty one) as dotenvy reads a `.env`: `NAME=value`
    /// lines, `export`, `#` comments (also after a value), single quotes (literal) and double
    /// quotes (escapes such as `\n` and `\"`), `$VAR` from earlier lines or the environment.
    pub fn read(path: &std::path::Path) -> Result<DotEnv, DotEnvError> {
        crate::io_guard::note(|| format!("read {}", path.display()));
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(err) => {
                return Err(DotEnvError::Read {
                    path: path.to_path_buf(),
                    why: err.to_string(),
                });
            }
        };
        let mut values = std::collections::BTreeMap::new();
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            match item {
                Ok((name, value)) => {
                    values.insert(name, value);
                }
                Err(dotenvy::Error::LineParse(line, _)) => {
                    // dotenvy names the line's text: its number is where that text first stands.
                    let number = text
                        .lines()
                        .position(|known| known.trim() == line.trim())
                        .map_or(0, |index| index + 1);
                    return Err(DotEnvError::BadLine {
                        path: path.to_path_buf(),
                        line: number,
                    });
                }
                Err(err) => {
                    return Err(DotEnvError::Read {
                        path: path.to_path_buf(),
                        why: err.to_string(),
                    });
                }
            }
        }
        Ok(DotEnv {
            path: path.to_path_buf(),
            values,
        })
    }

    /// A value from the process environment, else from this file.
    pub fn lookup(&self, name: &str) -> Option<String> {
        from_env(name).or_else(|| self.values.get(name).cloned())
    }

    /// Writes the file whole, readable by its owner only (created so from the start: the values
    /// are secrets), through a temporary file renamed over it.
    pub fn write(&self) -> Result<(), DotEnvError> {
        crate::io_guard::note(|| format!("write {}", self.path.display()));
        use std::io::Write as _;
        let fail = |err: std::io::Error| DotEnvError::Write {
            path: self.path.clone(),
            why: err.to_string(),
        };
        let mut text = String::from("# Secrets for presets in this folder, read by Loadscope. Keep this file out of version control.\n");
        for (name, value) in &self.values {
            if value.contains('\r') {
                return Err(DotEnvError::Unwritable(name.clone()));
            }
            text.push_str(&format!("{name}={}\n", dotenv_quoted(value)));
        }
        if let Some(dir) = self.path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let temp = self.path.with_extension(format!("tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&temp).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&temp, &self.path));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        renamed.map_err(fail)
    }
}

/// A value as a `.env` line holds it, read back the same by dotenvy: in single quotes (taken
/// as written, no `$` expansion) unless it has a single quote or a line break, then in double
/// quotes with `\\`, `"`, `$` and line breaks escaped.
fn dotenv_quoted(value: &str) -> String {
    if !value.contains(['\'', '\n']) {
        return format!("'{value}'");
    }
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' | '"' | '$' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod dotenv_tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_only_the_owner_can_read_it() {
        let dir = std::env::temp_dir().join(format!("loadscope-dotenv-{}", std::process::id()));
        let path = dir.join(".env");
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(&path, "# keys\nexport A_KEY='sk-1'\nB_KEY = \"two words\"\n\nC_KEY=plain\n").expect("write");
        let read = DotEnv::read(&path).expect("reads");
        assert_eq!(read.values.get("A_KEY").map(String::as_str), Some("sk-1"));
        assert_eq!(read.values.get("B_KEY").map(String::as_str), Some("two words"));
        assert_eq!(read.lookup("C_KEY").as_deref(), Some("plain"));
        assert_eq!(read.lookup("PATH"), std::env::var("PATH").ok(), "the environment wins");
        read.write().expect("writes");
        assert_eq!(DotEnv::read(&path).expect("reads back").values, read.values);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // What dotenvy reads and the old line reader got wrong: a comment after a value,
        // escapes, and values no quote style alone could hold, written and read back.
        std::fs::write(&path, "D_KEY=sk-live # the live key\nE_KEY=\"line\\nbreak \\\"q\\\"\"\n").expect("write");
        let read = DotEnv::read(&path).expect("reads");
        assert_eq!(read.values.get("D_KEY").map(String::as_str), Some("sk-live"));
        assert_eq!(read.values.get("E_KEY").map(String::as_str), Some("line\nbreak \"q\""));
        let mut odd = read.clone();
        odd.values.insert("F_KEY".into(), "it's $HOME \\ \"x\"\nsecond".into());
        odd.values.insert("G_KEY".into(), "pa$$word".into());
        odd.write().expect("writes");
        assert_eq!(DotEnv::read(&path).expect("reads back").values, odd.values);
        let bad = dir.join("bad.env");
        std::fs::write(&bad, "NO_EQUALS_SIGN\n").expect("write");
        let why = DotEnv::read(&bad).expect_err("refused").to_string();
        assert!(why.contains("line 1: expected NAME=value"), "{why}");
        assert!(DotEnv::read(&dir.join("missing.env")).expect("missing is empty").values.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
