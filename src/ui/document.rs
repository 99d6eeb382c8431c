//! The preset being edited: its TOML text and the same text as a `toml_edit` document, kept in
//! step both ways (forms edit the document and regenerate the text, keeping comments; typing in
//! the TOML view re-parses it), whether it has unsaved changes, and what `loadscope validate`
//! says about it. Nothing here draws; the editor panels read and change it.

use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::preset::{CompiledPreset, Diagnostic, PresetErrors, PresetSource, compile};

/// Why a preset file could not be read or saved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PresetFileError {
    #[error("cannot read {path}: {why}")]
    Read { path: PathBuf, why: String },
    #[error("cannot save {path}: {why}")]
    Write { path: PathBuf, why: String },
}

/// Where the open preset came from, and so where "Save" writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A preset compiled into the binary; saving asks for a file.
    Shipped(String),
    /// A file on disk.
    File(PathBuf),
    /// Made with "New"; saving asks for a file.
    Untitled,
}

/// What a new preset starts as: one scenario against a local service, with the guide's shape.
pub(crate) const NEW_PRESET: &str = r#"name = "New preset"
description = "One scenario; edit the service, tasks, levels and targets"

[[scenario]]
name = "My service"
think_time = { min = "1s", max = "3s" }
timeout = "30s"

[scenario.service]
base_url = "http://localhost:8000"
health_path = "/health"

[[scenario.task]]
name = "health"
weight = 1
path = "/health"

[[scenario.level]]
name = "Level 1"
users = 5
spawn_rate = 1
duration = "1m"

[[scenario.target]]
expr = "p95 < 500ms"
"#;

/// An open preset.
pub struct PresetDocument {
    origin: Origin,
    text: String,
    saved_text: String,
    /// The text as a document, or why it does not parse as TOML.
    parsed: Result<DocumentMut, toml_edit::TomlError>,
    /// What validation found, with lines and columns.
    diagnostics: Vec<Diagnostic>,
    /// Bumped on every change, so views can tell their copy of the text is stale.
    revision: u64,
    /// Dataset reads finished when the preset was last checked, and when that was.
    datasets_read: u64,
    checked_at: std::time::Instant,
    /// Which document this is, so a save that ends after another was opened changes nothing.
    id: u64,
}

impl PresetDocument {
    /// A document with `text`, counted as saved.
    pub fn new(origin: Origin, text: String) -> PresetDocument {
        let mut document = PresetDocument {
            origin,
            saved_text: text.clone(),
            text,
            parsed: Ok(DocumentMut::new()),
            diagnostics: Vec::new(),
            revision: 0,
            datasets_read: crate::preset::file_reads::reads_finished(),
            checked_at: std::time::Instant::now(),
            id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        };
        document.reparse();
        document
    }

    /// A shipped preset by name (`demo`, `api-gateway`).
    pub fn shipped(name: &str) -> Option<PresetDocument> {
        crate::preset::shipped::find(name).map(|text| PresetDocument::new(Origin::Shipped(name.to_string()), text.to_string()))
    }

    /// Reads a preset file's text (on a job thread: see [`PresetDocument::from_file`]).
    pub fn read_text(path: &Path) -> Result<String, PresetFileError> {
        crate::io_guard::note(|| format!("read preset {}", path.display()));
        std::fs::read_to_string(path).map_err(|err| PresetFileError::Read {
            path: path.to_path_buf(),
            why: err.to_string(),
        })
    }

    /// The preset file at `path`, whose text is `text`.
    pub fn from_file(path: &Path, text: String) -> PresetDocument {
        PresetDocument::new(Origin::File(path.to_path_buf()), text)
    }

    /// Which document this is (each new or opened one has its own).
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The name shown in the title and the library: the preset's `name`, else the file's.
    pub fn title(&self) -> String {
        let named = self
            .parsed
            .as_ref()
            .ok()
            .and_then(|doc| doc.get("name"))
            .and_then(|item| item.as_str())
            .map(str::to_string);
        named.unwrap_or_else(|| self.source_name())
    }

    /// How validation messages name this preset (the path, `shipped:NAME` or `untitled`).
    pub fn source_name(&self) -> String {
        match &self.origin {
            Origin::Shipped(name) => format!("shipped:{name}"),
            Origin::File(path) => path.display().to_string(),
            Origin::Untitled => "untitled".to_string(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Unsaved changes (a shipped preset counts as saved until it is edited).
    pub fn is_dirty(&self) -> bool {
        self.text != self.saved_text
    }

    /// The document, when the text is valid TOML.
    pub fn document(&self) -> Result<&DocumentMut, &toml_edit::TomlError> {
        self.parsed.as_ref()
    }

    /// Every mistake validation found (TOML syntax included), in text order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Replaces the whole text (typing in the TOML view).
    pub fn set_text(&mut self, text: String) {
        if text != self.text {
            self.text = text;
            self.reparse();
        }
    }

    /// Changes the document (a form edit) and regenerates the text from it. Does nothing while
    /// the text is not valid TOML: the forms are read-only then.
    pub fn edit(&mut self, change: impl FnOnce(&mut DocumentMut)) {
        let Ok(doc) = &mut self.parsed else { return };
        change(doc);
        let text = doc.to_string();
        if text != self.text {
            self.text = text;
            self.revision += 1;
            self.validate();
        }
    }

    /// The `.env` file this preset's `${VAR}` values may come from: beside the preset file, or
    /// in `data_dir` for a shipped or unsaved preset.
    pub fn dotenv_path(&self, data_dir: &Path) -> PathBuf {
        match &self.origin {
            Origin::File(path) => path.parent().unwrap_or(data_dir).join(".env"),
            _ => data_dir.join(".env"),
        }
    }

    /// Compiles the preset as `loadscope run` would, saved baseline runs read.
    pub fn compile(&mut self) -> Result<CompiledPreset, PresetErrors> {
        let mut compiled = compile(&self.source().parse()?)?;
        crate::analysis::baseline::resolve_saved_baselines(&mut compiled)?;
        Ok(compiled)
    }

    /// Writes `text` to `path` atomically (temp file, then rename, size read back): a job
    /// thread's half of a save; [`Self::saved_as`] is the window's.
    pub fn write(path: &Path, text: &str) -> Result<(), PresetFileError> {
        crate::run::save::write_atomic(path, text.as_bytes()).map_err(|err| PresetFileError::Write {
            path: path.to_path_buf(),
            why: err.to_string(),
        })
    }

    /// `text` was saved to `path`: it becomes this document's file, and the document is
    /// unchanged since the save unless it was edited while the save went on.
    pub fn saved_as(&mut self, path: &Path, text: String) {
        self.origin = Origin::File(path.to_path_buf());
        self.saved_text = text;
        self.validate();
    }

    fn source(&self) -> PresetSource {
        let base_dir = match &self.origin {
            Origin::File(path) => path.parent().map(Path::to_path_buf),
            _ => None,
        };
        PresetSource::from_text(&self.source_name(), &self.text, base_dir)
    }

    fn reparse(&mut self) {
        self.revision += 1;
        self.parsed = self.text.parse::<DocumentMut>();
        self.validate();
    }

    /// Checks the preset again when a dataset file it waited for has been read (they are read
    /// on a thread of their own in the app), and every half second while one is being read, so
    /// its line says how far the read has got. Returns whether a read is under way.
    pub fn follow_dataset_reads(&mut self) -> bool {
        let finished = crate::preset::file_reads::reads_finished();
        let reading = crate::preset::file_reads::reading_now();
        let due = self.checked_at.elapsed() >= std::time::Duration::from_millis(500);
        if finished != self.datasets_read || (reading && due) {
            self.datasets_read = finished;
            self.validate();
        }
        reading
    }

    fn validate(&mut self) {
        self.checked_at = std::time::Instant::now();
        self.diagnostics = match self.compile() {
            Ok(_) => Vec::new(),
            Err(PresetErrors(diagnostics)) => diagnostics,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::fields;

    #[test]
    fn form_edits_keep_comments_and_show_in_the_text() {
        let mut document = PresetDocument::shipped("demo").expect("demo preset");
        assert!(document.diagnostics().is_empty(), "{:?}", document.diagnostics());
        assert!(!document.is_dirty());
        document.edit(|doc| {
            // Scenario 2: the gateway, after its single-user baseline.
            let level = fields::array_mut(doc.as_table_mut(), "scenario")
                .and_then(|scenarios| scenarios.get_mut(1))
                .expect("scenario");
            let level = fields::array_mut(level, "level")
                .and_then(|levels| levels.get_mut(1))
                .expect("level");
            fields::set_number(level, "users", "25");
        });
        assert!(document.text().contains("users = 25"), "{}", document.text());
        assert!(document.text().contains("# measures TTFT"), "comments survive form edits");
        assert!(document.is_dirty());
        assert!(document.diagnostics().is_empty());
    }

    #[test]
    fn typed_errors_are_reported_at_their_line() {
        let mut document = PresetDocument::new(Origin::Untitled, NEW_PRESET.to_string());
        assert!(document.diagnostics().is_empty(), "{:?}", document.diagnostics());
        document.set_text(NEW_PRESET.replace("users = 5", "users = \"many\""));
        let diagnostic = document.diagnostics().first().expect("an error");
        assert_eq!(diagnostic.line, Some(20), "{diagnostic}");
        assert!(diagnostic.message.contains("invalid type"), "{diagnostic}");
        document.set_text(NEW_PRESET.replace("[[scenario.level]]", "[[scenario.level]"));
        assert!(document.document().is_err());
        assert!(!document.diagnostics().is_empty());
    }
}
