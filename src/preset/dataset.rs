//! Prompt datasets for chat tasks: JSONL files (a `prompt` string or OpenAI chat `messages` per
//! line) and ShareGPT conversation files (a JSON array, or JSONL, of `{"conversations": [{"from":
//! "human", "value": ...}, ...]}`; the human turns and the replies between them are kept, so a
//! conversation can also be replayed turn by turn). Every line that cannot be read is named by
//! its number. Files are read once per version (path, size and modification time) and kept, so
//! the editor's compile-as-you-type does not read a large file again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use crate::tokens::Tokenizer;

/// Datasets shipped inside the binary, named `shipped:NAME` in a preset.
pub const SHIPPED_DATA: &[(&str, &str)] = &[("chat-prompts.jsonl", include_str!("../../presets/data/chat-prompts.jsonl"))];

/// How a dataset file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetFormat {
    /// One JSON object a line: `{"prompt": "..."}` or `{"messages": [{"role", "content"}...]}`.
    Jsonl,
    /// ShareGPT: conversations of `{"from": "human" | "gpt" | "system", "value": "..."}` turns.
    ShareGpt,
}

impl DatasetFormat {
    pub fn from_name(name: &str) -> Option<DatasetFormat> {
        match name {
            "jsonl" => Some(DatasetFormat::Jsonl),
            "sharegpt" => Some(DatasetFormat::ShareGpt),
            _ => None,
        }
    }
}

/// One conversation of a dataset: its messages in order (role, content). A JSONL prompt is one
/// user message; a ShareGPT conversation alternates user and assistant turns.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub messages: Vec<(String, String)>,
    /// The first request's prompt tokens as the tokenizer counts them: every message up to and
    /// including the first user turn, framing and reply priming included.
    pub first_prompt_tokens: u64,
}

impl Conversation {
    /// Messages up to and including the first user turn: what a single-turn request sends.
    pub fn first_prompt(&self) -> &[(String, String)] {
        let end = self
            .messages
            .iter()
            .position(|(role, _)| role == "user")
            .map(|index| index + 1)
            .unwrap_or(self.messages.len());
        &self.messages[..end]
    }

    /// How many user turns the conversation has.
    pub fn user_turns(&self) -> usize {
        self.messages.iter().filter(|(role, _)| role == "user").count()
    }
}

/// A dataset read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub conversations: Vec<Conversation>,
}

type CacheKey = (PathBuf, u64, Option<SystemTime>, DatasetFormat, &'static str);

fn cache() -> &'static Mutex<HashMap<CacheKey, Arc<Dataset>>> {
    static CACHE: std::sync::OnceLock<Mutex<HashMap<CacheKey, Arc<Dataset>>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Reads `written` (a path relative to `base_dir`, or `shipped:NAME`) as `format`, counting
/// each conversation's first prompt with `tokenizer`. Errors name the file and, for a bad
/// line, its number.
pub fn load(written: &str, base_dir: Option<&Path>, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Arc<Dataset>, String> {
    if let Some(name) = written.strip_prefix("shipped:") {
        let Some((_, text)) = SHIPPED_DATA.iter().find(|(known, _)| *known == name) else {
            let known: Vec<String> = SHIPPED_DATA.iter().map(|(name, _)| format!("shipped:{name}")).collect();
            return Err(format!("dataset {written:?} is not shipped (shipped: {})", known.join(", ")));
        };
        let key = (PathBuf::from(written), text.len() as u64, None, format, tokenizer.name());
        return cached(key, || {
            parse(text, format, tokenizer).map_err(|why| format!("dataset {written}: {why}"))
        });
    }
    let path = match base_dir {
        Some(dir) => dir.join(written),
        None => PathBuf::from(written),
    };
    let meta = std::fs::metadata(&path).map_err(|err| {
        format!(
            "dataset {}: cannot read it: {err} (paths are relative to the preset file)",
            path.display()
        )
    })?;
    let key = (path.clone(), meta.len(), meta.modified().ok(), format, tokenizer.name());
    cached(key, || {
        let text =
            std::fs::read_to_string(&path).map_err(|err| format!("dataset {}: cannot read it as UTF-8 text: {err}", path.display()))?;
        parse(&text, format, tokenizer).map_err(|why| format!("dataset {}: {why}", path.display()))
    })
}

fn cached(key: CacheKey, read: impl FnOnce() -> Result<Dataset, String>) -> Result<Arc<Dataset>, String> {
    if let Some(found) = cache().lock().ok().and_then(|cache| cache.get(&key).cloned()) {
        return Ok(found);
    }
    let dataset = Arc::new(read()?);
    if let Ok(mut cache) = cache().lock() {
        // A few versions of a few files at most; an edited file replaces its old versions.
        cache.retain(|known, _| known.0 != key.0);
        cache.insert(key, dataset.clone());
    }
    Ok(dataset)
}

/// The conversations of a file's text.
pub fn parse(text: &str, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Dataset, String> {
    let mut conversations = Vec::new();
    let mut read = |value: &Value, place: &str| -> Result<(), String> {
        let messages = match format {
            DatasetFormat::Jsonl => jsonl_messages(value),
            DatasetFormat::ShareGpt => sharegpt_messages(value),
        }
        .map_err(|why| format!("{place}: {why}"))?;
        if !messages.iter().any(|(role, _)| role == "user") {
            return Err(format!("{place}: has no user message"));
        }
        let mut conversation = Conversation {
            messages,
            first_prompt_tokens: 0,
        };
        conversation.first_prompt_tokens = tokenizer.chat_prompt_tokens(
            conversation
                .first_prompt()
                .iter()
                .map(|(role, content)| (role.as_str(), content.as_str())),
        );
        conversations.push(conversation);
        Ok(())
    };
    let trimmed = text.trim_start();
    if format == DatasetFormat::ShareGpt && trimmed.starts_with('[') {
        // ShareGPT is usually one JSON array.
        let array: Vec<Value> = serde_json::from_str(text).map_err(|err| format!("not a JSON array of conversations: {err}"))?;
        for (index, value) in array.iter().enumerate() {
            read(value, &format!("conversation {}", index + 1))?;
        }
    } else {
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line).map_err(|err| {
                // serde counts lines within the one line it was given: name the file's line.
                let position = format!(" at line {} column {}", err.line(), err.column());
                let text = err.to_string();
                let why = text.strip_suffix(&position).unwrap_or(&text);
                format!("line {}, column {}: not JSON: {why}", index + 1, err.column())
            })?;
            read(&value, &format!("line {}", index + 1))?;
        }
    }
    if conversations.is_empty() {
        return Err("has no prompts".into());
    }
    Ok(Dataset { conversations })
}

/// `{"prompt": "..."}` or `{"messages": [{"role": "...", "content": "..."}, ...]}`.
fn jsonl_messages(value: &Value) -> Result<Vec<(String, String)>, String> {
    if let Some(prompt) = value.get("prompt") {
        let prompt = prompt.as_str().ok_or("\"prompt\" is not a string")?;
        return Ok(vec![("user".into(), prompt.into())]);
    }
    let messages = value
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("has neither \"prompt\" (a string) nor \"messages\" (an array of {role, content})")?;
    messages
        .iter()
        .enumerate()
        .map(|(index, message)| {
            let role = message.get("role").and_then(Value::as_str);
            let content = message.get("content").and_then(Value::as_str);
            match (role, content) {
                (Some(role), Some(content)) => Ok((role.to_string(), content.to_string())),
                _ => Err(format!("message {} needs a string role and content", index + 1)),
            }
        })
        .collect()
}

/// `{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}`.
fn sharegpt_messages(value: &Value) -> Result<Vec<(String, String)>, String> {
    let turns = value
        .get("conversations")
        .and_then(Value::as_array)
        .ok_or("has no \"conversations\" array")?;
    turns
        .iter()
        .enumerate()
        .map(|(index, turn)| {
            let from = turn.get("from").and_then(Value::as_str).unwrap_or("");
            let text = turn
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("turn {} has no string \"value\"", index + 1))?;
            let role = match from {
                "human" | "user" => "user",
                "gpt" | "chatgpt" | "bing" | "bard" | "assistant" | "model" => "assistant",
                "system" => "system",
                other => return Err(format!("turn {} is from {other:?} (expected human, gpt or system)", index + 1)),
            };
            Ok((role.to_string(), text.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_and_sharegpt_and_names_bad_lines() {
        let tokenizer = Tokenizer::O200kBase;
        let jsonl = "{\"prompt\": \"hello world\"}\n\n{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"hi\"}]}\n";
        let dataset = parse(jsonl, DatasetFormat::Jsonl, tokenizer).expect("read");
        assert_eq!(dataset.conversations.len(), 2);
        assert_eq!(
            dataset.conversations[0].messages,
            vec![("user".to_string(), "hello world".to_string())]
        );
        assert_eq!(
            dataset.conversations[0].first_prompt_tokens,
            tokenizer.chat_prompt_tokens([("user", "hello world")])
        );
        assert_eq!(dataset.conversations[1].first_prompt().len(), 2);

        let bad = "{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n";
        assert_eq!(
            parse(bad, DatasetFormat::Jsonl, tokenizer).expect_err("refused"),
            "line 2: \"prompt\" is not a string"
        );
        let broken = "{\"prompt\": \"ok\"}\n\n{\"prompt\": \"unterminated}\n";
        let error = parse(broken, DatasetFormat::Jsonl, tokenizer).expect_err("refused");
        assert_eq!(error, "line 3, column 25: not JSON: EOF while parsing a string");
        let neither = "{\"text\": \"x\"}";
        assert!(
            parse(neither, DatasetFormat::Jsonl, tokenizer)
                .expect_err("refused")
                .contains("line 1: has neither \"prompt\"")
        );

        let sharegpt = r#"[{"id": "a", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Tell me more"}]},
            {"id": "b", "conversations": [{"from": "gpt", "value": "I start"}]}]"#;
        let error = parse(sharegpt, DatasetFormat::ShareGpt, tokenizer).expect_err("refused");
        assert_eq!(error, "conversation 2: has no user message");
        let sharegpt = r#"[{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Tell me more"}]}]"#;
        let dataset = parse(sharegpt, DatasetFormat::ShareGpt, tokenizer).expect("read");
        let conversation = &dataset.conversations[0];
        assert_eq!(conversation.user_turns(), 2);
        assert_eq!(conversation.first_prompt(), &[("user".to_string(), "Hi".to_string())]);
        let lines = "{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}]}\n{\"conversations\": [{\"from\": \"robot\", \"value\": \"x\"}]}";
        assert_eq!(
            parse(lines, DatasetFormat::ShareGpt, tokenizer).expect_err("refused"),
            "line 2: turn 1 is from \"robot\" (expected human, gpt or system)"
        );
        assert!(
            load("shipped:nope.jsonl", None, DatasetFormat::Jsonl, tokenizer)
                .expect_err("refused")
                .contains("shipped: shipped:chat-prompts.jsonl")
        );
        assert!(
            load("shipped:chat-prompts.jsonl", None, DatasetFormat::Jsonl, tokenizer)
                .expect("read")
                .conversations
                .len()
                >= 20
        );
    }
}
