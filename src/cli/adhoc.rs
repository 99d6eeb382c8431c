//! What `run` does before loading its preset: a URL becomes an ad-hoc preset (its body file
//! read, its chat model asked of the server, `--save-preset` written), and `-H` credentials are
//! held out of whatever is saved.

use super::RunArgs;
use crate::preset::adhoc::{self, AdHoc, ChatShape, DEFAULT_MAX_TOKENS, DEFAULT_PROMPT_TOKENS};

/// The command line's preset, ready to load.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    /// A run from a URL: the preset it makes, as TOML.
    pub adhoc_toml: Option<String>,
    /// `-H` headers as the preset holds them (a literal credential as a reference).
    pub headers: Vec<(String, String)>,
    /// The values of those references, known to this process alone.
    pub held_values: Vec<(String, String)>,
}

impl Prepared {
    /// A `${NAME}` value only this command line knows: a held credential, or `--model` /
    /// `LOADSCOPE_MODEL` for a preset that reads `${LOADSCOPE_MODEL}`.
    pub(crate) fn lookup(&self, args: &RunArgs, name: &str) -> Option<String> {
        if let Some((_, value)) = self.held_values.iter().find(|(held, _)| held == name) {
            return Some(value.clone());
        }
        if name == "LOADSCOPE_MODEL" {
            return args.adhoc.model.clone();
        }
        None
    }
}

/// Reads the command line's preset side: Err with the message to print.
pub(crate) fn prepare(args: &RunArgs, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Prepared, String> {
    let held = adhoc::hold_credentials(&args.headers);
    if !adhoc::is_url(&args.target.preset) {
        let given = args.adhoc.given();
        if !given.is_empty() {
            return Err(format!(
                "{} applies to a run from a URL (loadscope run http://HOST/PATH ...); {:?} is a preset, which sets that in its file",
                given.join(", "),
                args.target.preset
            ));
        }
        if let Some(model) = &args.adhoc.model
            && !args.target.quiet
            && crate::preset::PresetSource::locate(&args.target.preset).is_ok_and(|source| !source.text.contains("${LOADSCOPE_MODEL"))
        {
            eprintln!(
                "note: --model / LOADSCOPE_MODEL {model:?} changes nothing here: {} names its models itself (write model = \"${{LOADSCOPE_MODEL:-...}}\" to take it)",
                args.target.preset
            );
        }
        return Ok(Prepared {
            adhoc_toml: None,
            headers: held.headers,
            held_values: held.values,
        });
    }
    if args.search.is_some() {
        return Err(format!(
            "loadscope capacity takes a preset; for a URL write `loadscope run {} --capacity --target 'p95 < 500ms'` (the targets are what the search holds to)",
            crate::preset::compiled::mask_password(&args.target.preset)
        ));
    }
    let url = args.target.preset.clone();
    let (base, path) = adhoc::split_url(&url).map_err(|why| why.to_string())?;
    let body = match &args.adhoc.body {
        Some(body) => Some(read_body(body)?),
        None => None,
    };
    let chat = if args.adhoc.chat {
        let model = match &args.adhoc.model {
            Some(model) => model.clone(),
            None => detect_model(args, &held, &base, &path, lookup)?,
        };
        Some(ChatShape {
            model,
            prompt_tokens: args.adhoc.prompt_tokens.unwrap_or(DEFAULT_PROMPT_TOKENS),
            max_tokens: args.adhoc.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        })
    } else {
        for (flag, given) in [
            ("--prompt-tokens", args.adhoc.prompt_tokens.is_some()),
            ("--max-tokens", args.adhoc.max_tokens.is_some()),
        ] {
            if given {
                return Err(format!("{flag} shapes --chat requests; add --chat, or leave out {flag}"));
            }
        }
        None
    };
    let made = AdHoc {
        url,
        method: args.adhoc.method.clone(),
        body,
        headers: args.headers.clone(),
        chat,
        users: args.users,
        spawn_rate: args.spawn_rate,
        rate: args.adhoc.rate,
        requests: args.requests,
        duration: args.duration,
        targets: args.adhoc.targets.clone(),
        capacity: args.adhoc.capacity,
    }
    .preset()
    .map_err(|why| why.to_string())?;
    if let Some(file) = &args.adhoc.save_preset {
        crate::run::save::write_atomic(file, made.toml.as_bytes())
            .map_err(|err| format!("--save-preset {}: cannot write the preset: {err}", file.display()))?;
        if !args.target.quiet {
            eprintln!(
                "Saved the preset to {} (run it with `loadscope run {}`, or open it in the app).",
                file.display(),
                file.display()
            );
            for (reference, _) in &made.held_values {
                eprintln!("  It reads ${{{reference}}} (given on this command line): export {reference} before running the file.");
            }
        }
    }
    Ok(Prepared {
        adhoc_toml: Some(made.toml),
        headers: Vec::new(),
        held_values: made.held_values,
    })
}

/// `-d`: the text, or with `@FILE` the file's.
fn read_body(body: &str) -> Result<String, String> {
    let Some(file) = body.strip_prefix('@') else {
        return Ok(body.to_string());
    };
    std::fs::read_to_string(file).map_err(|err| format!("-d @{file}: cannot read the body file: {err}"))
}

/// `--chat` without `--model`: the one model the server lists.
fn detect_model(
    args: &RunArgs,
    held: &adhoc::HeldHeaders,
    base: &str,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    // The headers as sent: `${VAR}` references (and held credentials) resolved.
    let mut secrets = crate::preset::secrets::Secrets::default();
    let resolve = |name: &str| {
        held.values
            .iter()
            .find(|(held, _)| held == name)
            .map(|(_, value)| value.clone())
            .or_else(|| lookup(name))
    };
    let mut headers = Vec::new();
    for (name, value) in &held.headers {
        let value = secrets.resolve(value, &resolve).map_err(|why| format!("-H {name}: {why}"))?;
        headers.push((name.clone(), value));
    }
    let models_path = adhoc::models_path(path);
    // The URL's password goes out as basic auth: an error that quotes the URL back (the HTTP
    // client's) shows it masked.
    let password = crate::preset::compiled::split_credentials(base)
        .0
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    let model = crate::engine::model_list::only_model(base, &models_path, &headers, args.target.insecure).map_err(|why| {
        let message = secrets.redact(&why.to_string()).into_owned();
        let message = password
            .as_ref()
            .map_or(message.clone(), |password| message.replace(password.as_str(), "***"));
        format!("--chat: {message}")
    })?;
    if !args.target.quiet {
        let shown = crate::preset::compiled::mask_password(base);
        eprintln!("Model: {model} (the one {shown}{models_path} lists; --model picks another)");
    }
    Ok(model)
}
