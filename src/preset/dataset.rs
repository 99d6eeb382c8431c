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
pub(crate) const SHIPPED_DATA: &[(&str, &str)] = &[("chat-prompts.jsonl", include_str!("../../presets/data/chat-prompts.jsonl"))];

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
    /// What its prompts are counted with.
    pub tokenizer: Tokenizer,
    /// The first prompt's tokens, counted when first asked for: a length filter counts every
    /// prompt as the preset is checked, otherwise a prompt is counted the first time it is sent
    /// (reading a large file counts nothing).
    first_prompt_tokens: std::sync::OnceLock<u64>,
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

    /// The first request's prompt tokens as the tokenizer counts them: every message up to and
    /// including the first user turn, framing and reply priming included. Counted once.
    pub fn first_prompt_tokens(&self) -> u64 {
        *self.first_prompt_tokens.get_or_init(|| {
            self.tokenizer
                .chat_prompt_tokens(self.first_prompt().iter().map(|(role, content)| (role.as_str(), content.as_str())))
        })
    }

    /// How many user turns the conversation has.
    pub fn user_turns(&self) -> usize {
        self.messages.iter().filter(|(role, _)| role == "user").count()
    }
}

/// A dataset read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Shared with the tasks that keep every conversation (no length filter).
    pub conversations: Arc<Vec<Conversation>>,
    /// ShareGPT entries passed over, by why (no user turn, a turn from `function_call`...).
    pub skipped: Vec<(String, u64)>,
    /// Entries read, kept or not.
    pub entries: u64,
}

impl Dataset {
    /// "skipped 37 of 90,000 conversations (no user turn)", or None when none was.
    pub fn skipped_note(&self) -> Option<String> {
        let count: u64 = self.skipped.iter().map(|(_, count)| count).sum();
        if count == 0 {
            return None;
        }
        let why: Vec<String> = if self.skipped.len() == 1 {
            vec![self.skipped[0].0.clone()]
        } else {
            self.skipped.iter().map(|(why, count)| format!("{why}: {count}")).collect()
        };
        Some(format!(
            "skipped {} of {} conversations ({})",
            crate::format::thousands(count),
            crate::format::thousands(self.entries),
            why.join("; ")
        ))
    }
}

/// Why a dataset cannot be used (yet).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
    #[error("dataset {name:?} is not shipped (shipped: {known})")]
    NotShipped { name: String, known: String },
    /// Being read on a thread of its own (the app); `progress` says how far it has got.
    #[error("{progress}; the preset is checked again when it has been read")]
    Reading { progress: String },
    #[error("dataset {file}: cannot read it: {reason} (paths are relative to the preset file)")]
    Unreadable { file: String, reason: String },
    #[error("dataset {file}: not a regular file; name a .jsonl or .json file")]
    NotAFile { file: String },
    #[error("dataset {file}: {problem}")]
    Content { file: String, problem: ContentProblem },
}

/// What is wrong inside a dataset file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContentProblem {
    #[error("cannot read it: {0}")]
    Io(String),
    /// A byte that is not UTF-8, named by its line and offset.
    #[error("{0}")]
    NotUtf8(String),
    #[error("not a JSON array of conversations: {0}")]
    NotAnArray(String),
    #[error("line {line}, column {column}: not JSON: {why}")]
    NotJson { line: usize, column: usize, why: String },
    /// A JSONL line (or ShareGPT element) that cannot be used, at `place` ("line 3").
    #[error("{place}: {entry}")]
    BadEntry { place: String, entry: EntryProblem },
    #[error("has no prompts")]
    NoPrompts,
    #[error("has no conversation with a user turn ({skipped})")]
    NoUserTurn { skipped: String },
}

/// Why one entry (a JSONL line, a ShareGPT conversation) cannot be sent. ShareGPT entries are
/// passed over and counted by it; a JSONL line is an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("\"prompt\" is not a string")]
    PromptNotText,
    #[error("has neither \"prompt\" (a string) nor \"messages\" (an array of {{role, content}})")]
    NoPromptOrMessages,
    #[error("message {0} needs a string role and content")]
    BadMessage(usize),
    #[error("has no user message")]
    NoUserMessage,
    #[error("no \"conversations\" array")]
    NoConversations,
    #[error("a turn without a string \"value\"")]
    TurnWithoutText,
    #[error("a turn from {0:?}")]
    UnknownSpeaker(String),
    #[error("no user turn")]
    NoUserTurn,
}

type CacheKey = (PathBuf, u64, Option<SystemTime>, DatasetFormat, &'static str);

fn cache() -> &'static Mutex<HashMap<CacheKey, Arc<Dataset>>> {
    static CACHE: std::sync::OnceLock<Mutex<HashMap<CacheKey, Arc<Dataset>>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// How far the dataset being read has got, for a progress line (the CLI's and the app's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadProgress {
    pub file: PathBuf,
    /// Reading: bytes; counting: prompts.
    pub done: u64,
    pub total: u64,
    pub stage: ReadStage,
    pub started: std::time::Instant,
}

/// What is being done to a dataset file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadStage {
    Reading,
    /// Counting every prompt's tokens, for a length filter.
    Counting,
}

impl ReadProgress {
    /// "reading dataset big.jsonl: 120 of 200 MB (60%)", or "counting the prompts of dataset
    /// big.jsonl: 60,000 of 131,653 (45%)".
    pub(crate) fn line(&self) -> String {
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        match self.stage {
            ReadStage::Reading => format!(
                "reading dataset {}: {} of {} MB ({percent}%)",
                self.file.display(),
                self.done / 1_000_000,
                self.total.div_ceil(1_000_000)
            ),
            ReadStage::Counting => format!(
                "counting the prompts of dataset {}: {} of {} ({percent}%)",
                self.file.display(),
                crate::format::thousands(self.done),
                crate::format::thousands(self.total)
            ),
        }
    }
}

/// Counts every conversation's first prompt (for a length filter), saying how far it has got
/// in [`progress`]; `file` names the dataset there.
pub(crate) fn count_prompts(dataset: &Dataset, file: &str) {
    let total = dataset.conversations.len() as u64;
    let set = |progress: Option<ReadProgress>| {
        if let Ok(mut cell) = progress_cell().lock() {
            *cell = progress;
        }
    };
    let started = std::time::Instant::now();
    for (index, conversation) in dataset.conversations.iter().enumerate() {
        if index % 1000 == 0 {
            set(Some(ReadProgress {
                file: PathBuf::from(file),
                done: index as u64,
                total,
                stage: ReadStage::Counting,
                started,
            }));
        }
        conversation.first_prompt_tokens();
    }
    set(None);
}

fn progress_cell() -> &'static Mutex<Option<ReadProgress>> {
    static PROGRESS: Mutex<Option<ReadProgress>> = Mutex::new(None);
    &PROGRESS
}

/// The dataset file being read now, if one is.
pub(crate) fn progress() -> Option<ReadProgress> {
    progress_cell().lock().ok().and_then(|progress| progress.clone())
}

/// Reads `written` (a path relative to `base_dir`, or `shipped:NAME`) as `format`, counting
/// each conversation's first prompt with `tokenizer`. Errors name the file and, for a bad
/// line, its number. A file is read as it streams (never whole into memory), keeping only the
/// conversations; [`progress`] says how far it has got. Each version of a file is read once
/// (`file_reads`); on the app's window thread it is read on a thread of its own, and until it
/// has been the error says how far the read has got.
pub fn load(written: &str, base_dir: Option<&Path>, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Arc<Dataset>, DatasetError> {
    if let Some(name) = written.strip_prefix("shipped:") {
        let Some((_, text)) = SHIPPED_DATA.iter().find(|(known, _)| *known == name) else {
            let known: Vec<String> = SHIPPED_DATA.iter().map(|(name, _)| format!("shipped:{name}")).collect();
            return Err(DatasetError::NotShipped {
                name: written.to_string(),
                known: known.join(", "),
            });
        };
        let key = (PathBuf::from(written), text.len() as u64, None, format, tokenizer.name());
        return cached(key, || {
            parse(text, format, tokenizer).map_err(|problem| DatasetError::Content {
                file: written.to_string(),
                problem,
            })
        });
    }
    let path = match base_dir {
        Some(dir) => dir.join(written),
        None => PathBuf::from(written),
    };
    // Off the window's thread the prompts are counted too, so a length filter never counts
    // there.
    let count_now = crate::io_guard::this_thread_is_marked();
    let kind = format!("dataset {format:?} {}", tokenizer.name());
    let fetched = super::file_reads::fetch(&kind, &path, move |path| {
        let dataset = read_file(path, format, tokenizer)?;
        if count_now {
            count_prompts(&dataset, &path.display().to_string());
        }
        Ok(Arc::new(dataset))
    });
    match fetched {
        super::file_reads::Fetched::Done(result) => result.as_ref().clone(),
        super::file_reads::Fetched::Reading => {
            let how_far = progress()
                .filter(|progress| progress.file == path)
                .map(|progress| progress.line())
                .unwrap_or_else(|| format!("reading dataset {}", path.display()));
            Err(DatasetError::Reading { progress: how_far })
        }
    }
}

/// Reads the dataset file at `path`, saying how far it has got in [`progress`].
fn read_file(path: &Path, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Dataset, DatasetError> {
    crate::io_guard::note(|| format!("read dataset {}", path.display()));
    let file_name = || path.display().to_string();
    let unreadable = |err: std::io::Error| DatasetError::Unreadable {
        file: file_name(),
        reason: err.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(DatasetError::NotAFile { file: file_name() });
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    if let Ok(mut progress) = progress_cell().lock() {
        *progress = Some(ReadProgress {
            file: path.to_path_buf(),
            done: 0,
            total: meta.len(),
            stage: ReadStage::Reading,
            started: std::time::Instant::now(),
        });
    }
    let counting = Counting::new(file, |read_bytes| {
        if let Ok(mut progress) = progress_cell().lock()
            && let Some(progress) = progress.as_mut()
        {
            progress.done = read_bytes;
        }
    });
    let result = read(std::io::BufReader::with_capacity(256 * 1024, counting), format, tokenizer);
    if let Ok(mut progress) = progress_cell().lock() {
        *progress = None;
    }
    result.map_err(|problem| DatasetError::Content {
        file: file_name(),
        problem,
    })
}

/// A shipped dataset, parsed once per format and tokenizer.
fn cached(key: CacheKey, read: impl FnOnce() -> Result<Dataset, DatasetError>) -> Result<Arc<Dataset>, DatasetError> {
    if let Some(found) = cache().lock().ok().and_then(|cache| cache.get(&key).cloned()) {
        return Ok(found);
    }
    let dataset = Arc::new(read()?);
    if let Ok(mut cache) = cache().lock() {
        cache.insert(key, dataset.clone());
    }
    Ok(dataset)
}

/// A reader that counts the bytes through it (reporting every megabyte) and checks they are
/// UTF-8 as they pass, so a bad byte is named by its line and offset in the file.
struct Counting<R, F> {
    inner: R,
    read_bytes: u64,
    reported_at: u64,
    on_progress: F,
    /// Lines ended so far (newlines passed).
    lines: u64,
    /// The end of a character cut by the last read, waiting for its next bytes.
    carry: Vec<u8>,
}

impl<R: std::io::Read, F: FnMut(u64)> Counting<R, F> {
    fn new(inner: R, on_progress: F) -> Self {
        Counting {
            inner,
            read_bytes: 0,
            reported_at: 0,
            on_progress,
            lines: 0,
            carry: Vec::new(),
        }
    }

    /// Checks `chunk` (which starts at file offset `start`) is UTF-8, carrying a character cut at
    /// its end over to the next chunk.
    fn check_utf8(&mut self, chunk: &[u8], start: u64) -> std::io::Result<()> {
        let mut joined;
        let (text, text_start) = if self.carry.is_empty() {
            (chunk, start)
        } else {
            joined = std::mem::take(&mut self.carry);
            let carried = joined.len() as u64;
            joined.extend_from_slice(chunk);
            (joined.as_slice(), start - carried)
        };
        match std::str::from_utf8(text) {
            Ok(_) => {}
            Err(err) if err.error_len().is_none() => {
                // Cut at the end: checked with the next bytes (or at the end of the file).
                let valid = err.valid_up_to();
                self.lines += text[..valid].iter().filter(|byte| **byte == b'\n').count() as u64;
                self.carry = text[valid..].to_vec();
                return Ok(());
            }
            Err(err) => {
                let valid = err.valid_up_to();
                let line = self.lines + 1 + text[..valid].iter().filter(|byte| **byte == b'\n').count() as u64;
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "line {line}, byte {}: not UTF-8 text (byte 0x{:02x}); save the file as UTF-8",
                        text_start + valid as u64,
                        text[valid]
                    ),
                ));
            }
        }
        self.lines += text.iter().filter(|byte| **byte == b'\n').count() as u64;
        Ok(())
    }
}

impl<R: std::io::Read, F: FnMut(u64)> std::io::Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let start = self.read_bytes;
        self.read_bytes += read as u64;
        if read == 0 && !self.carry.is_empty() {
            let offset = self.read_bytes - self.carry.len() as u64;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "line {}, byte {offset}: not UTF-8 text (the file ends inside a character); save the file as UTF-8",
                    self.lines + 1
                ),
            ));
        }
        self.check_utf8(&buf[..read], start)?;
        if self.read_bytes - self.reported_at >= 1_000_000 {
            self.reported_at = self.read_bytes;
            (self.on_progress)(self.read_bytes);
        }
        Ok(read)
    }
}

/// The conversations of a file's text.
pub(crate) fn parse(text: &str, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Dataset, ContentProblem> {
    read(std::io::BufReader::new(Counting::new(text.as_bytes(), |_| {})), format, tokenizer)
}

/// What reading keeps as it goes: the conversations, and what was passed over.
struct Reading {
    format: DatasetFormat,
    tokenizer: Tokenizer,
    conversations: Vec<Conversation>,
    skipped: std::collections::BTreeMap<String, u64>,
    entries: u64,
}

impl Reading {
    /// Takes one entry (a JSONL line, or an element of a ShareGPT array) at `place`. A ShareGPT
    /// conversation that cannot be used is passed over and counted; a JSONL line that cannot
    /// is an error.
    fn take(&mut self, value: Value, place: &dyn Fn() -> String) -> Result<(), ContentProblem> {
        self.entries += 1;
        let bad = |entry: EntryProblem| ContentProblem::BadEntry { place: place(), entry };
        let messages = match self.format {
            DatasetFormat::Jsonl => jsonl_messages(value).map_err(bad)?,
            DatasetFormat::ShareGpt => match sharegpt_messages(value) {
                Ok(messages) => messages,
                Err(why) => {
                    *self.skipped.entry(why.to_string()).or_insert(0) += 1;
                    return Ok(());
                }
            },
        };
        if !messages.iter().any(|(role, _)| role == "user") {
            if self.format == DatasetFormat::ShareGpt {
                *self.skipped.entry(EntryProblem::NoUserTurn.to_string()).or_insert(0) += 1;
                return Ok(());
            }
            return Err(bad(EntryProblem::NoUserMessage));
        }
        self.conversations.push(Conversation {
            messages,
            tokenizer: self.tokenizer,
            first_prompt_tokens: std::sync::OnceLock::new(),
        });
        Ok(())
    }
}

/// Reads a dataset as it streams: a ShareGPT JSON array element by element, anything else line
/// by line, keeping only the conversations. A UTF-8 byte order mark is passed over. Nothing is
/// counted here (see [`Conversation::first_prompt_tokens`]).
fn read(mut reader: impl std::io::BufRead, format: DatasetFormat, tokenizer: Tokenizer) -> Result<Dataset, ContentProblem> {
    let io_error = |err: std::io::Error| match err.kind() {
        std::io::ErrorKind::InvalidData => ContentProblem::NotUtf8(err.to_string()),
        _ => ContentProblem::Io(err.to_string()),
    };
    let head = reader.fill_buf().map_err(io_error)?;
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    if bom {
        reader.consume(3);
    }
    let head = reader.fill_buf().map_err(io_error)?;
    let array = head.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[');
    let mut reading = Reading {
        format,
        tokenizer,
        conversations: Vec::new(),
        skipped: Default::default(),
        entries: 0,
    };
    if format == DatasetFormat::ShareGpt && array {
        // ShareGPT is usually one JSON array: read element by element.
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let mut failure = None;
        let result = serde::de::Deserializer::deserialize_seq(
            &mut deserializer,
            Entries {
                reading: &mut reading,
                failure: &mut failure,
            },
        )
        .and_then(|()| deserializer.end());
        if let Some(why) = failure {
            return Err(why);
        }
        result.map_err(|err| match err.classify() {
            serde_json::error::Category::Io => ContentProblem::NotUtf8(err.to_string().split(" at line ").next().unwrap_or("").to_string()),
            _ => ContentProblem::NotAnArray(err.to_string()),
        })?;
    } else {
        let mut line = Vec::new();
        let mut number = 0usize;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(io_error)? == 0 {
                break;
            }
            number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            while line.last().is_some_and(|byte| *byte == b'\n' || *byte == b'\r') {
                line.pop();
            }
            let value: Value = serde_json::from_slice(&line).map_err(|err| {
                // serde counts lines within the one line it was given: name the file's line.
                let position = format!(" at line {} column {}", err.line(), err.column());
                let text = err.to_string();
                let why = text.strip_suffix(&position).unwrap_or(&text);
                ContentProblem::NotJson {
                    line: number,
                    column: err.column(),
                    why: why.to_string(),
                }
            })?;
            reading.take(value, &|| format!("line {number}"))?;
        }
    }
    if reading.conversations.is_empty() {
        return Err(match reading.entries {
            0 => ContentProblem::NoPrompts,
            _ => ContentProblem::NoUserTurn {
                skipped: Dataset {
                    conversations: Arc::default(),
                    skipped: reading.skipped.into_iter().collect(),
                    entries: reading.entries,
                }
                .skipped_note()
                .unwrap_or_default(),
            },
        });
    }
    Ok(Dataset {
        conversations: Arc::new(reading.conversations),
        skipped: reading.skipped.into_iter().collect(),
        entries: reading.entries,
    })
}

/// The elements of a ShareGPT array, each taken as it is read.
struct Entries<'a> {
    reading: &'a mut Reading,
    failure: &'a mut Option<ContentProblem>,
}

impl<'de> serde::de::Visitor<'de> for Entries<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON array of conversations")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(value) = seq.next_element::<Value>()? {
            index += 1;
            if let Err(why) = self.reading.take(value, &|| format!("conversation {index}")) {
                *self.failure = Some(why.clone());
                return Err(serde::de::Error::custom(why));
            }
        }
        Ok(())
    }
}

/// `{"prompt": "..."}` or `{"messages": [{"role": "...", "content": "..."}, ...]}`; the texts are
/// moved out of the parsed line, not copied.
fn jsonl_messages(mut value: Value) -> Result<Vec<(String, String)>, EntryProblem> {
    if let Some(prompt) = value.get_mut("prompt") {
        let Value::String(prompt) = prompt.take() else {
            return Err(EntryProblem::PromptNotText);
        };
        return Ok(vec![("user".into(), prompt)]);
    }
    let Some(Value::Array(messages)) = value.get_mut("messages").map(Value::take) else {
        return Err(EntryProblem::NoPromptOrMessages);
    };
    messages
        .into_iter()
        .enumerate()
        .map(|(index, mut message)| {
            let role = message.get_mut("role").map(Value::take);
            let content = message.get_mut("content").map(Value::take);
            match (role, content) {
                (Some(Value::String(role)), Some(Value::String(content))) => Ok((role, content)),
                _ => Err(EntryProblem::BadMessage(index + 1)),
            }
        })
        .collect()
}

/// `{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}`. Why a
/// conversation cannot be used is the error (it is passed over and counted by that).
fn sharegpt_messages(mut value: Value) -> Result<Vec<(String, String)>, EntryProblem> {
    let Some(Value::Array(turns)) = value.get_mut("conversations").map(Value::take) else {
        return Err(EntryProblem::NoConversations);
    };
    turns
        .into_iter()
        .map(|mut turn| {
            let from = turn.get("from").and_then(Value::as_str).unwrap_or("").to_string();
            let Some(Value::String(text)) = turn.get_mut("value").map(Value::take) else {
                return Err(EntryProblem::TurnWithoutText);
            };
            let role = match from.as_str() {
                "human" | "user" => "user",
                "gpt" | "chatgpt" | "bing" | "bard" | "assistant" | "model" => "assistant",
                "system" => "system",
                other => return Err(EntryProblem::UnknownSpeaker(other.to_string())),
            };
            Ok((role.to_string(), text))
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
            dataset.conversations[0].first_prompt_tokens(),
            tokenizer.chat_prompt_tokens([("user", "hello world")])
        );
        assert_eq!(dataset.conversations[1].first_prompt().len(), 2);

        let bad = "{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n";
        assert_eq!(
            parse(bad, DatasetFormat::Jsonl, tokenizer).expect_err("refused").to_string(),
            "line 2: \"prompt\" is not a string"
        );
        let broken = "{\"prompt\": \"ok\"}\n\n{\"prompt\": \"unterminated}\n";
        let error = parse(broken, DatasetFormat::Jsonl, tokenizer).expect_err("refused").to_string();
        assert_eq!(error, "line 3, column 25: not JSON: EOF while parsing a string");
        let neither = "{\"text\": \"x\"}";
        assert!(
            parse(neither, DatasetFormat::Jsonl, tokenizer)
                .expect_err("refused")
                .to_string()
                .contains("line 1: has neither \"prompt\"")
        );

        // ShareGPT entries that cannot be used are passed over and counted, as vLLM's bench does.
        let sharegpt = r#"[{"id": "a", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Tell me more"}]},
            {"id": "b", "conversations": [{"from": "gpt", "value": "I start"}]},
            {"id": "c", "conversations": []},
            {"id": "d"},
            {"id": "e", "conversations": [{"from": "human", "value": "x"}, {"from": "function_call", "value": "{}"}]}]"#;
        let dataset = parse(sharegpt, DatasetFormat::ShareGpt, tokenizer).expect("read");
        assert_eq!(dataset.conversations.len(), 1);
        assert_eq!(
            dataset.skipped_note().as_deref(),
            Some("skipped 4 of 5 conversations (a turn from \"function_call\": 1; no \"conversations\" array: 1; no user turn: 2)")
        );
        let none = r#"[{"conversations": [{"from": "gpt", "value": "I start"}]}]"#;
        assert_eq!(
            parse(none, DatasetFormat::ShareGpt, tokenizer).expect_err("refused").to_string(),
            "has no conversation with a user turn (skipped 1 of 1 conversations (no user turn))"
        );
        let sharegpt = r#"[{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Tell me more"}]}]"#;
        let dataset = parse(sharegpt, DatasetFormat::ShareGpt, tokenizer).expect("read");
        let conversation = &dataset.conversations[0];
        assert_eq!(conversation.user_turns(), 2);
        assert_eq!(conversation.first_prompt(), &[("user".to_string(), "Hi".to_string())]);
        let lines = "{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}]}\n{\"conversations\": [{\"from\": \"robot\", \"value\": \"x\"}]}";
        let dataset = parse(lines, DatasetFormat::ShareGpt, tokenizer).expect("read");
        assert_eq!(
            dataset.skipped_note().as_deref(),
            Some("skipped 1 of 2 conversations (a turn from \"robot\")")
        );
        assert!(
            load("shipped:nope.jsonl", None, DatasetFormat::Jsonl, tokenizer)
                .expect_err("refused")
                .to_string()
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

    #[test]
    fn a_byte_order_mark_is_passed_over_and_a_bad_byte_is_named_by_line_and_offset() {
        let tokenizer = Tokenizer::O200kBase;
        let with_bom = "\u{feff}{\"prompt\": \"hello\"}\n";
        assert_eq!(
            parse(with_bom, DatasetFormat::Jsonl, tokenizer).expect("read").conversations.len(),
            1
        );
        let sharegpt_bom = "\u{feff}[{\"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}]}]";
        assert_eq!(
            parse(sharegpt_bom, DatasetFormat::ShareGpt, tokenizer)
                .expect("read")
                .conversations
                .len(),
            1
        );
        // A Latin-1 byte (0xe9) in the third line, at byte 51 of the file.
        let mut bytes = b"{\"prompt\": \"one\"}\n{\"prompt\": \"two\"}\n{\"prompt\": \"caf".to_vec();
        bytes.push(0xe9);
        bytes.extend_from_slice(b"\"}\n");
        for format in [DatasetFormat::Jsonl, DatasetFormat::ShareGpt] {
            let error = read(std::io::BufReader::new(Counting::new(bytes.as_slice(), |_| {})), format, tokenizer)
                .expect_err("refused")
                .to_string();
            assert_eq!(
                error, "line 3, byte 51: not UTF-8 text (byte 0xe9); save the file as UTF-8",
                "{format:?}"
            );
        }
        // The same in a ShareGPT array, read in small pieces (a character cut between reads is
        // not a bad byte).
        let mut array =
            "[{\"conversations\": [{\"from\": \"human\", \"value\": \"é ok\"}]},\n{\"conversations\": [{\"from\": \"human\", \"value\": \""
                .as_bytes()
                .to_vec();
        let bad_at = array.len();
        array.push(0xff);
        array.extend_from_slice(b"\"}]}]");
        let small = std::io::BufReader::with_capacity(3, Counting::new(array.as_slice(), |_| {}));
        let error = read(small, DatasetFormat::ShareGpt, tokenizer).expect_err("refused").to_string();
        assert_eq!(
            error,
            format!("line 2, byte {bad_at}: not UTF-8 text (byte 0xff); save the file as UTF-8")
        );
    }
}
