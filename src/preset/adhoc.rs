//! `loadscope run URL`: a preset made from the command line, as oha and hey run from a URL. It is
//! written as preset TOML and read back through the same parser and checks as a file, so the
//! run, its run file and `--save-preset` all hold exactly what ran.

use crate::measure::duration::HumanDuration;

/// What the command line asks of an ad-hoc run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AdHoc {
    /// `http://` or `https://`, with the path and query the requests go to.
    pub url: String,
    pub method: Option<String>,
    /// The request body (`-d`; `@file` already read).
    pub body: Option<String>,
    /// `-H 'Name: value'`, in order.
    pub headers: Vec<(String, String)>,
    /// `--chat`: streamed chat completions instead of a plain request.
    pub chat: Option<ChatShape>,
    pub users: Option<u32>,
    pub spawn_rate: Option<f64>,
    /// `--rate`: arrivals per second (open model) instead of users.
    pub rate: Option<f64>,
    /// `-n`: the run ends once this many requests have finished.
    pub requests: Option<u64>,
    /// `-t`: the whole run (one level), or each step of a capacity search.
    pub duration: Option<HumanDuration>,
    /// `--target`, as written (each already parsed once by the command line).
    pub targets: Vec<String>,
    /// `--capacity`: search for the most users (or rate) at which every target holds.
    pub capacity: bool,
}

/// `--chat`'s request: the model (given or detected) and the prompt's and reply's lengths.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChatShape {
    pub model: String,
    pub prompt_tokens: u32,
    pub max_tokens: u32,
}

/// Users when neither `-u` nor `--rate` is given.
pub(crate) const DEFAULT_USERS: u32 = 10;
/// The run's length when neither `-t` nor `-n` is given.
pub(crate) const DEFAULT_DURATION: &str = "10s";
/// With `-n` and no `-t`: the longest the run waits for its requests.
pub(crate) const REQUESTS_TIME_LIMIT: &str = "10m";
/// `--chat` without `--prompt-tokens`.
pub(crate) const DEFAULT_PROMPT_TOKENS: u32 = 256;
/// `--chat` without `--max-tokens`.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 128;
/// A capacity search over users without `-u` goes up to this many.
pub(crate) const DEFAULT_SEARCH_MAX_USERS: u32 = 256;

/// Headers whose value is a credential: a literal one is not written into the preset (nor so
/// into the run file); it becomes a `${LOADSCOPE_HEADER_NAME}` reference, its value given to
/// the run alone.
const CREDENTIAL_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "x-auth-token",
];

/// The reference a literal password in the URL's user info becomes (`http://alice:pw@host`):
/// sent as basic auth, held out of the preset, the run file and every output.
pub(crate) const URL_PASSWORD_REFERENCE: &str = "LOADSCOPE_URL_PASSWORD";

/// Why the command line cannot make a preset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum AdHocError {
    /// The URL as shown: its password masked.
    #[error("{0:?}: give an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000/hello")]
    BadUrl(String),
    #[error("-H {0:?}: write 'Name: value' (a name, a colon, the value)")]
    BadHeader(String),
    #[error(
        "-u/--users and --rate both given: -u runs users that wait for each reply (closed model), --rate starts requests on a clock (open model); keep one"
    )]
    UsersAndRate,
    #[error("-r/--spawn-rate starts users; with --rate there are none. Leave out -r")]
    SpawnRateWithRate,
    #[error("--chat builds the request from --model, --prompt-tokens and --max-tokens; leave out {0}")]
    ChatWithRequestFlag(&'static str),
    #[error("--capacity needs at least one --target to search against, e.g. --target 'p95 < 500ms' --target 'error_rate < 1%'")]
    CapacityWithoutTarget,
    #[error("--capacity measures each step for a time (-t); leave out -n/--requests")]
    CapacityWithRequests,
}

/// The preset an ad-hoc command line stands for, and the credential values held out of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AdHocPreset {
    /// The preset, as TOML.
    pub toml: String,
    /// `${NAME}` references the preset reads that only this process knows (credentials given
    /// with -H), with their values.
    pub held_values: Vec<(String, String)>,
}

/// Splits `url` into its base (`http://host:port`) and the path with its query (`/` when
/// there is none).
pub(crate) fn split_url(url: &str) -> Result<(String, String), AdHocError> {
    let bad = || AdHocError::BadUrl(crate::preset::compiled::mask_password(url));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") {
        return Err(bad());
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() || authority.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let path = &rest[authority_end..];
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok((format!("{scheme}://{authority}"), path))
}

/// Whether a command-line argument names a URL rather than a preset.
pub(crate) fn is_url(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The chat completions path for a URL's path: the path itself when it ends in
/// `/chat/completions`, else `/v1/chat/completions` under it (`/` and `/v1` both give
/// `/v1/chat/completions`).
pub(crate) fn chat_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    if path.ends_with("/chat/completions") {
        return path.to_string();
    }
    let prefix = api_prefix(path);
    format!("{prefix}/chat/completions")
}

/// The model list's path for a URL's path (`/v1/models` beside the chat path).
pub(crate) fn models_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let prefix = path
        .strip_suffix("/chat/completions")
        .map_or_else(|| api_prefix(path), str::to_string);
    format!("{prefix}/models")
}

/// `/v1` for a bare host, else the path itself (an API's base such as `/v1` or `/openai/v1`).
fn api_prefix(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/v1".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Reads `-H 'Name: value'`.
pub(crate) fn parse_header(text: &str) -> Result<(String, String), AdHocError> {
    let (name, value) = text.split_once(':').ok_or_else(|| AdHocError::BadHeader(text.to_string()))?;
    let name = name.trim();
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    if !valid_name {
        return Err(AdHocError::BadHeader(text.to_string()));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The reference a literal credential header becomes: `LOADSCOPE_HEADER_X_API_KEY`.
fn credential_reference(name: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    format!("LOADSCOPE_HEADER_{upper}")
}

/// Command-line headers as a preset holds them, and the credential values held out of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HeldHeaders {
    /// (name, value as written in the preset: a `${LOADSCOPE_HEADER_...}` reference for a
    /// literal credential).
    pub headers: Vec<(String, String)>,
    /// (reference name, value): what the run alone resolves those references to.
    pub values: Vec<(String, String)>,
}

/// Replaces each literal credential among `headers` (Authorization, X-Api-Key, Cookie, ...) by
/// a `${LOADSCOPE_HEADER_NAME}` reference, so no preset, run file or output holds it; a value
/// that is a reference already stays as written.
pub(crate) fn hold_credentials(headers: &[(String, String)]) -> HeldHeaders {
    let mut held = HeldHeaders::default();
    for (name, value) in headers {
        let credential = CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str());
        if credential && !value.contains("${") {
            let reference = credential_reference(name);
            held.headers.push((name.clone(), format!("${{{reference}}}")));
            held.values.push((reference, value.clone()));
        } else {
            held.headers.push((name.clone(), value.clone()));
        }
    }
    held
}

/// A TOML string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

impl AdHoc {
    /// The preset this command line stands for.
    pub(crate) fn preset(&self) -> Result<AdHocPreset, AdHocError> {
        let (base, path) = split_url(&self.url)?;
        if self.users.is_some() && self.rate.is_some() {
            return Err(AdHocError::UsersAndRate);
        }
        if self.spawn_rate.is_some() && self.rate.is_some() {
            return Err(AdHocError::SpawnRateWithRate);
        }
        if self.chat.is_some() {
            if self.body.is_some() {
                return Err(AdHocError::ChatWithRequestFlag("-d/--body"));
            }
            if self.method.is_some() {
                return Err(AdHocError::ChatWithRequestFlag("-m/--method"));
            }
        }
        if self.capacity && self.targets.is_empty() {
            return Err(AdHocError::CapacityWithoutTarget);
        }
        if self.capacity && self.requests.is_some() {
            return Err(AdHocError::CapacityWithRequests);
        }

        let held = hold_credentials(&self.headers);
        let mut held_values = held.values;
        // A literal password in the URL is sent (basic auth) but never written: the preset's
        // base URL reads it from a reference, and the name and comment show it masked.
        let shown_url = crate::preset::compiled::mask_password(&self.url);
        let base = match crate::preset::compiled::split_credentials(&base) {
            (Some((user, password)), without) if !password.is_empty() && !password.contains("${") => {
                held_values.push((URL_PASSWORD_REFERENCE.to_string(), password));
                let (scheme, host) = without.split_once("://").unwrap_or(("http", &without));
                format!("{scheme}://{user}:${{{URL_PASSWORD_REFERENCE}}}@{host}")
            }
            _ => base,
        };
        let headers: Vec<String> = held
            .headers
            .iter()
            .map(|(name, value)| format!("{} = {}", quoted(name), quoted(value)))
            .collect();

        let mut toml = String::new();
        let what = if self.chat.is_some() { "chat completions" } else { "requests" };
        toml.push_str(&format!("# Made by `loadscope run {shown_url}`: {what} to one URL.\n"));
        toml.push_str(&format!("name = {}\n", quoted(&format!("ad hoc {shown_url}"))));
        toml.push_str("\n[[scenario]]\n");
        toml.push_str(&format!(
            "name = {}\n",
            quoted(if self.chat.is_some() { "chat" } else { "request" })
        ));
        toml.push_str("timeout = \"60s\"\n");
        toml.push_str("\n[scenario.service]\n");
        toml.push_str(&format!("base_url = {}\n", quoted(&base)));
        if !headers.is_empty() {
            toml.push_str(&format!("headers = {{ {} }}\n", headers.join(", ")));
        }

        toml.push_str("\n[[scenario.task]]\n");
        match &self.chat {
            Some(chat) => {
                toml.push_str("name = \"chat\"\nkind = \"chat\"\n");
                toml.push_str(&format!("path = {}\n", quoted(&chat_path(&path))));
                toml.push_str(&format!("model = {}\n", quoted(&chat.model)));
                toml.push_str("stream = true\n");
                toml.push_str(&format!("max_tokens = {}\n", chat.max_tokens));
                toml.push_str("[scenario.task.synthetic]\n");
                toml.push_str(&format!("prompt_tokens = {}\nseed = 1\n", chat.prompt_tokens));
            }
            None => {
                let method = self.method.as_deref().unwrap_or(if self.body.is_some() { "POST" } else { "GET" });
                toml.push_str(&format!(
                    "name = {}\n",
                    quoted(&format!("{} {}", method.to_ascii_uppercase(), path))
                ));
                toml.push_str(&format!("method = {}\n", quoted(&method.to_ascii_uppercase())));
                toml.push_str(&format!("path = {}\n", quoted(&path)));
                if let Some(body) = &self.body {
                    toml.push_str(&format!("body = {}\n", quoted(body)));
                }
            }
        }

        let over = if self.rate.is_some() { "rate" } else { "users" };
        if self.capacity {
            let max = match self.rate {
                Some(rate) => rate,
                None => f64::from(self.users.unwrap_or(DEFAULT_SEARCH_MAX_USERS)),
            };
            let step = self
                .duration
                .map_or_else(|| DEFAULT_DURATION.to_string(), |duration| duration.to_string());
            toml.push_str("\n[scenario.capacity]\n");
            toml.push_str(&format!("over = \"{over}\"\nstart = 1\nmax = {max}\nstep = {}\n", quoted(&step)));
            if let Some(spawn_rate) = self.spawn_rate {
                toml.push_str(&format!("spawn_rate = {spawn_rate}\n"));
            }
        } else {
            toml.push_str("\n[[scenario.level]]\n");
            match self.rate {
                Some(rate) => toml.push_str(&format!("rate_per_sec = {rate}\n")),
                None => toml.push_str(&format!("users = {}\n", self.users.unwrap_or(DEFAULT_USERS))),
            }
            if let Some(spawn_rate) = self.spawn_rate {
                toml.push_str(&format!("spawn_rate = {spawn_rate}\n"));
            }
            let duration = match (self.duration, self.requests) {
                (Some(duration), _) => duration.to_string(),
                (None, Some(_)) => REQUESTS_TIME_LIMIT.to_string(),
                (None, None) => DEFAULT_DURATION.to_string(),
            };
            toml.push_str(&format!("duration = {}\n", quoted(&duration)));
            if let Some(requests) = self.requests {
                toml.push_str(&format!("requests = {requests}\n"));
            }
        }
        for target in &self.targets {
            toml.push_str(&format!("\n[[scenario.target]]\nexpr = {}\n", quoted(target)));
        }
        Ok(AdHocPreset { toml, held_values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::{Overrides, PresetSource, compile};

    fn compiles(toml: &str) -> crate::preset::CompiledPreset {
        let loaded = PresetSource::from_text("ad hoc", toml, None).parse().expect("parses");
        let mut loaded = loaded;
        Overrides::default().apply(&mut loaded.preset).expect("applies");
        compile(&loaded).unwrap_or_else(|errors| panic!("{errors}\n{toml}"))
    }

    #[test]
    fn urls_split_into_base_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080").expect("bare"),
            ("http://127.0.0.1:8080".into(), "/".into())
        );
        assert_eq!(
            split_url("https://api.example.com/v1/x?q=1").expect("path"),
            ("https://api.example.com".into(), "/v1/x?q=1".into())
        );
        assert_eq!(split_url("http://h?q=1").expect("query").1, "/?q=1");
        assert!(matches!(split_url("ftp://h/x"), Err(AdHocError::BadUrl(_))));
        assert!(matches!(split_url("http:///x"), Err(AdHocError::BadUrl(_))));
        assert!(is_url("HTTP://h") && !is_url("api-gateway"));
    }

    #[test]
    fn chat_and_model_paths_follow_the_api_base() {
        for (given, chat, models) in [
            ("/", "/v1/chat/completions", "/v1/models"),
            ("/v1", "/v1/chat/completions", "/v1/models"),
            ("/v1/", "/v1/chat/completions", "/v1/models"),
            ("/openai/v1/chat/completions", "/openai/v1/chat/completions", "/openai/v1/models"),
        ] {
            assert_eq!(chat_path(given), chat, "{given}");
            assert_eq!(models_path(given), models, "{given}");
        }
    }

    #[test]
    fn a_plain_run_is_one_level_of_one_request() {
        let adhoc = AdHoc {
            url: "http://127.0.0.1:9/hello?x=\"1\"".into(),
            headers: vec![parse_header("X-Test: 1").expect("header")],
            users: Some(2),
            duration: Some(HumanDuration(std::time::Duration::from_secs(3))),
            targets: vec!["p95 < 500ms".into()],
            ..AdHoc::default()
        };
        let made = adhoc.preset().expect("preset");
        let compiled = compiles(&made.toml);
        let scenario = &compiled.scenarios[0];
        assert_eq!(scenario.levels.len(), 1);
        assert_eq!(scenario.levels[0].duration, std::time::Duration::from_secs(3));
        assert_eq!(scenario.targets.len(), 1);
        assert_eq!(scenario.tasks[0].name, "GET /hello?x=\"1\"");
        assert!(made.held_values.is_empty());
    }

    #[test]
    fn a_literal_credential_is_held_out_of_the_preset() {
        let adhoc = AdHoc {
            url: "http://127.0.0.1:9/".into(),
            headers: vec![
                parse_header("Authorization: Bearer sk-live-1234").expect("header"),
                parse_header("X-Api-Key: ${MY_KEY}").expect("header"),
            ],
            ..AdHoc::default()
        };
        let made = adhoc.preset().expect("preset");
        assert!(!made.toml.contains("sk-live-1234"), "{}", made.toml);
        assert!(made.toml.contains("${LOADSCOPE_HEADER_AUTHORIZATION}"), "{}", made.toml);
        assert!(made.toml.contains("${MY_KEY}"), "{}", made.toml);
        assert_eq!(
            made.held_values,
            vec![("LOADSCOPE_HEADER_AUTHORIZATION".to_string(), "Bearer sk-live-1234".to_string())]
        );
        compiles(&made.toml);
    }

    #[test]
    fn a_password_in_the_url_is_held_out_and_shown_masked() {
        let adhoc = AdHoc {
            url: "http://alice:s3cret-pw@127.0.0.1:9/x".into(),
            ..AdHoc::default()
        };
        let made = adhoc.preset().expect("preset");
        assert!(!made.toml.contains("s3cret-pw"), "{}", made.toml);
        assert!(
            made.toml.contains("http://alice:${LOADSCOPE_URL_PASSWORD}@127.0.0.1:9"),
            "{}",
            made.toml
        );
        assert!(made.toml.contains("ad hoc http://alice:***@127.0.0.1:9/x"), "{}", made.toml);
        assert_eq!(
            made.held_values,
            vec![(URL_PASSWORD_REFERENCE.to_string(), "s3cret-pw".to_string())]
        );
        compiles(&made.toml);
        let bad = split_url("ftp://alice:s3cret-pw@h/").expect_err("ftp");
        assert!(!bad.to_string().contains("s3cret-pw"), "{bad}");
    }

    #[test]
    fn chat_requests_and_rates_and_searches_compile() {
        let chat = AdHoc {
            url: "http://127.0.0.1:9".into(),
            chat: Some(ChatShape {
                model: "demo-llm".into(),
                prompt_tokens: 64,
                max_tokens: 16,
            }),
            rate: Some(5.0),
            requests: Some(20),
            ..AdHoc::default()
        };
        let compiled = compiles(&chat.preset().expect("chat").toml);
        assert_eq!(compiled.scenarios[0].levels[0].requests, Some(20));
        let search = AdHoc {
            url: "http://127.0.0.1:9".into(),
            capacity: true,
            users: Some(32),
            targets: vec!["error_rate < 1%".into()],
            ..AdHoc::default()
        };
        let compiled = compiles(&search.preset().expect("search").toml);
        assert!(compiled.scenarios[0].capacity.is_some());
    }

    #[test]
    fn contradictions_are_refused_with_the_flags_named() {
        let base = AdHoc {
            url: "http://127.0.0.1:9".into(),
            ..AdHoc::default()
        };
        let both = AdHoc {
            users: Some(2),
            rate: Some(3.0),
            ..base.clone()
        };
        assert_eq!(both.preset().expect_err("both"), AdHocError::UsersAndRate);
        let search = AdHoc {
            capacity: true,
            ..base.clone()
        };
        assert_eq!(search.preset().expect_err("no target"), AdHocError::CapacityWithoutTarget);
        let chat_body = AdHoc {
            chat: Some(ChatShape {
                model: "m".into(),
                prompt_tokens: 1,
                max_tokens: 1,
            }),
            body: Some("{}".into()),
            ..base
        };
        assert!(chat_body.preset().expect_err("body").to_string().contains("leave out -d/--body"));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: 1").is_err());
    }
}
