//! The Runs tab: the run library (read on a background thread) sorted and filtered; a run's
//! details with its name, notes and tags editable, its verdicts, findings and the guide's
//! results table; reports (Markdown, HTML, CSV), delete with undo, open in Live or present;
//! and two or more runs compared: overlay charts and the delta table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use egui::RichText;

use super::command::AppCommand;
use super::compare::{CompareAction, CompareView};
use super::jobs::Jobs;
use super::notice::{Notice, Undo};
use super::palette;
use super::tables;
use crate::format;
use crate::report::lines::finding_place;
use crate::report::tables::{Table, results_table, scenario_tables};
use crate::report::{Format, Report};
use crate::run::RunFileError;
use crate::run::library::{LibraryEntry, LibraryError, Listing, RunRow, SortKey, list, passed_over_line, sort_rows};
use crate::run::summary::{RunSummary, read_summary};
use crate::run::{Finding, RunRecord};

/// Which run's details the text fields hold, and their text.
struct DetailEdit {
    path: PathBuf,
    title: String,
    notes: String,
    tags: String,
}

/// The few fields of the selected run the detail pane's header and fields need.
struct RunHeader {
    name: String,
    status: &'static str,
    preset: String,
    title: Option<String>,
    notes: String,
    tags: Vec<String>,
    stop_reason: Option<String>,
    warnings: Vec<String>,
}

/// What the detail pane shows, computed once per selected run (not every frame).
struct DetailCache {
    path: PathBuf,
    saved_at: String,
    verdict_line: String,
    /// Each capacity search's answer with its scenario (`Chat: capacity 8 users, p95 …`).
    capacity_answers: Vec<String>,
    peak: String,
    findings: Vec<Finding>,
    tables: Vec<(String, Vec<Table>)>,
    /// Each scenario's capacity search curve (none for fixed levels), by scenario name.
    curves: Vec<(String, Vec<crate::report::charts::ChartData>)>,
}

/// Runs to compare, read in the background: each with its repeat group's spread.
type Comparison = Result<(Vec<(PathBuf, RunRecord)>, Vec<Option<crate::analysis::spread::Spread>>), RunFileError>;

/// The runs list's columns, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunColumn {
    Compare,
    Started,
    Name,
    Preset,
    Scenarios,
    Duration,
    Status,
    Verdict,
    Requests,
    P95,
    /// Only when a capacity search is listed.
    Capacity,
    Notes,
}

/// The size of a capacity search's answer in the runs list.
const CAPACITY_TEXT_SIZE: f32 = 16.0;

impl RunColumn {
    const ALL: [RunColumn; 12] = [
        RunColumn::Compare,
        RunColumn::Started,
        RunColumn::Name,
        RunColumn::Preset,
        RunColumn::Scenarios,
        RunColumn::Duration,
        RunColumn::Status,
        RunColumn::Verdict,
        RunColumn::Requests,
        RunColumn::P95,
        RunColumn::Capacity,
        RunColumn::Notes,
    ];

    fn title(self) -> &'static str {
        match self {
            RunColumn::Compare => "Compare",
            RunColumn::Started => "Started (UTC)",
            RunColumn::Name => "Name",
            RunColumn::Preset => "Preset",
            RunColumn::Scenarios => "Scenarios",
            RunColumn::Duration => "Duration",
            RunColumn::Status => "Status",
            RunColumn::Verdict => "Verdict",
            RunColumn::Requests => "Requests",
            RunColumn::P95 => "p95",
            RunColumn::Capacity => "Capacity",
            RunColumn::Notes => "Tags / notes",
        }
    }

    fn sort_key(self) -> Option<SortKey> {
        match self {
            RunColumn::Started => Some(SortKey::Date),
            RunColumn::Name => Some(SortKey::Name),
            RunColumn::Duration => Some(SortKey::Duration),
            RunColumn::Verdict => Some(SortKey::Verdict),
            RunColumn::Requests => Some(SortKey::Requests),
            RunColumn::P95 => Some(SortKey::P95),
            _ => None,
        }
    }
}

/// The Runs tab's state. The library is held as summaries (a few hundred bytes a run); the
/// selected run alone is read whole, in the background.
pub struct RunsTab {
    dir: PathBuf,
    entries: Vec<LibraryEntry>,
    /// What the last listing passed over (FIFOs, devices, folders named `*.json`).
    passed_over: Vec<(PathBuf, &'static str)>,
    /// Listing the library (or reading a file from elsewhere); the latest result wins.
    loading: Jobs<Result<Listing, LibraryError>>,
    /// The selected run, read whole: (path, record or why it could not be read).
    opened: Option<(PathBuf, Result<Box<RunRecord>, RunFileError>)>,
    /// Reading the selected run; the result for the run still selected is kept.
    opening: Jobs<(PathBuf, Result<Box<RunRecord>, RunFileError>)>,
    opening_path: Option<PathBuf>,
    /// Reading the runs ticked for comparison.
    comparing: Jobs<Comparison>,
    error: Option<String>,
    pub selected: Option<PathBuf>,
    loaded_once: bool,
    pub filter: String,
    pub sort: SortKey,
    pub descending: bool,
    /// Runs ticked for comparison.
    pub checked: BTreeSet<PathBuf>,
    pub compare: Option<CompareView>,
    edit: Option<DetailEdit>,
    detail: Option<DetailCache>,
    /// A run double-clicked in the list: opened in Live once it has been read.
    open_when_read: Option<PathBuf>,
    /// Deletes, restores, detail saves and reports; each says how it went.
    jobs: Jobs<Notice>,
    notices: Vec<Notice>,
}

impl RunsTab {
    pub fn new(dir: PathBuf, ctx: &egui::Context) -> RunsTab {
        RunsTab {
            dir,
            entries: Vec::new(),
            passed_over: Vec::new(),
            loading: Jobs::new(ctx),
            opened: None,
            opening: Jobs::new(ctx),
            opening_path: None,
            comparing: Jobs::new(ctx),
            error: None,
            selected: None,
            loaded_once: false,
            filter: String::new(),
            sort: SortKey::Date,
            descending: true,
            checked: BTreeSet::new(),
            compare: None,
            edit: None,
            detail: None,
            open_when_read: None,
            jobs: Jobs::new(ctx),
            notices: Vec::new(),
        }
    }

    /// Where exported reports go: the data dir's `reports/`.
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.parent().unwrap_or(Path::new(".")).join("reports")
    }

    /// Re-reads the library in the background.
    pub fn refresh(&mut self) {
        let dir = self.dir.clone();
        self.loaded_once = true;
        self.loading.spawn("loadscope-runs", move || {
            list(&dir).map_err(|source| LibraryError::List { dir: dir.clone(), source })
        });
    }

    /// Adds a run file from elsewhere (dropped on the window, or picked) and selects it.
    pub fn open_path(&mut self, path: PathBuf) {
        let known: Vec<LibraryEntry> = std::mem::take(&mut self.entries);
        self.selected = Some(path.clone());
        self.compare = None;
        let passed_over = std::mem::take(&mut self.passed_over);
        self.loading.spawn("loadscope-run-file", move || {
            let entry = match read_summary(&path) {
                Ok(summary) => LibraryEntry::Run {
                    path: path.clone(),
                    summary: Box::new(summary),
                },
                Err(error) => LibraryEntry::Unreadable { path: path.clone(), error },
            };
            let mut entries: Vec<LibraryEntry> = known.into_iter().filter(|known| known.path() != path).collect();
            entries.insert(0, entry);
            Ok(Listing { entries, passed_over })
        });
    }

    /// Takes in finished background work.
    pub fn poll(&mut self) {
        if let Some(result) = self.loading.poll().pop() {
            match result {
                Ok(listing) => {
                    self.entries = listing.entries;
                    self.passed_over = listing.passed_over;
                    self.error = None;
                    self.detail = None;
                    let known: BTreeSet<PathBuf> = self.entries.iter().map(|entry| entry.path().to_path_buf()).collect();
                    self.checked.retain(|path| known.contains(path));
                    // The open run is read again when its file changed (its details saved).
                    if let Some((path, Ok(record))) = &self.opened
                        && find_summary(&self.entries, path).is_none_or(|summary| *summary != RunSummary::of(record))
                    {
                        self.opened = None;
                    }
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
        for (path, result) in self.opening.poll() {
            if self.opening_path.as_ref() == Some(&path) {
                self.opening_path = None;
                self.detail = None;
                self.opened = Some((path, result));
            }
        }
        if let Some(result) = self.comparing.poll().pop() {
            match result {
                Ok((runs, spreads)) if runs.len() >= 2 => self.compare = Some(CompareView::new(runs, spreads)),
                Ok(_) => {}
                Err(error) => self.notices.push(Notice::error(error.to_string())),
            }
        }
        let done = self.jobs.poll();
        if !done.is_empty() {
            self.notices.extend(done);
            self.refresh();
        }
    }

    /// Messages from finished jobs, for the app's notice area.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    pub fn run_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| matches!(entry, LibraryEntry::Run { .. }))
            .count()
    }

    /// Whether the library, the selected run or the runs to compare are still being read.
    pub fn is_loading(&self) -> bool {
        self.loading.running() > 0 || self.opening.running() > 0 || self.comparing.running() > 0
    }

    /// Whether deletes, saves or reports are still being done.
    pub fn is_busy(&self) -> bool {
        self.is_loading() || self.jobs.running() > 0
    }

    /// The selected run, once it has been read whole.
    pub fn record(&self, path: &Path) -> Option<&RunRecord> {
        match &self.opened {
            Some((opened, Ok(record))) if opened == path => Some(record.as_ref()),
            _ => None,
        }
    }

    /// Reads the run at `path` whole in the background, unless it is open or being read.
    fn open_record(&mut self, path: &Path) {
        let open = self.opened.as_ref().is_some_and(|(opened, _)| opened == path);
        if open || self.opening_path.as_deref() == Some(path) {
            return;
        }
        self.opening_path = Some(path.to_path_buf());
        let path = path.to_path_buf();
        self.opening.spawn("loadscope-run-open", move || {
            let result = crate::run::load(&path).map(Box::new);
            (path, result)
        });
    }

    /// Brings a deleted run back (Undo).
    pub fn restore(&mut self, trashed: PathBuf) {
        self.jobs
            .spawn("loadscope-runs-restore", move || match crate::run::library::restore(&trashed) {
                Ok(path) => info(format!("Restored {}", path.display())),
                Err(err) => error(format!("cannot restore {}: {err}", trashed.display())),
            });
    }

    /// Writes a report of `path` (compared with `others`) into the reports folder.
    pub fn export(&mut self, path: PathBuf, others: Vec<PathBuf>, format: Format) {
        let reports = self.reports_dir();
        let others_paths = others.clone();
        self.jobs.spawn("loadscope-report", move || {
            let load = |path: &Path| crate::run::load(path).map_err(|err| err.to_string());
            let run = match load(&path) {
                Ok(run) => run,
                Err(why) => return error(why),
            };
            let others: Vec<RunRecord> = match others.iter().map(|other| load(other)).collect() {
                Ok(others) => others,
                Err(why) => return error(why),
            };
            let other_refs: Vec<&RunRecord> = others.iter().collect();
            // Runs with repeats are weighed against their spread, as the Compare view does.
            let spreads: Vec<Option<crate::analysis::spread::Spread>> = std::iter::once(&path)
                .chain(&others_paths)
                .zip(std::iter::once(&run).chain(&others))
                .map(|(path, record)| {
                    let dir = path.parent().unwrap_or(std::path::Path::new("."));
                    crate::analysis::spread::spread_in_folder(record, dir)
                })
                .collect();
            let report = Report::new(&run, &other_refs, None).with_spreads(&spreads);
            if let Err(err) = std::fs::create_dir_all(&reports) {
                return error(format!("cannot create {}: {err}", reports.display()));
            }
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into());
            let stem = if others.is_empty() { stem } else { format!("{stem}-compared") };
            let out = match format {
                Format::Csv => reports.join(&stem),
                _ => reports.join(format!("{stem}.{}", format.extension())),
            };
            match crate::report::write(&report, format, Some(&out), &path) {
                Ok(written) => {
                    let notice = info(format!(
                        "Report written: {}",
                        written.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
                    ));
                    match written.first() {
                        Some(first) => notice.with_path(first.clone()),
                        None => notice,
                    }
                }
                Err(why) => error(why.to_string()),
            }
        });
    }

    /// The rows shown: filtered and sorted.
    pub fn rows(&self) -> Vec<RunRow> {
        let mut rows: Vec<RunRow> = self
            .entries
            .iter()
            .filter_map(|entry| match entry {
                LibraryEntry::Run { path, summary } => Some(RunRow::of(path, summary)),
                LibraryEntry::Unreadable { .. } => None,
            })
            .filter(|row| row.matches(&self.filter))
            .collect();
        sort_rows(&mut rows, self.sort, self.descending);
        rows
    }

    /// Opens the comparison of the ticked runs (in the table's order), read in the background
    /// with their repeat groups' spreads.
    pub fn compare_checked(&mut self) {
        let paths: Vec<PathBuf> = self
            .rows()
            .into_iter()
            .filter(|row| self.checked.contains(&row.path))
            .map(|row| row.path)
            .collect();
        if paths.len() < 2 {
            return;
        }
        self.comparing.spawn("loadscope-runs-compare", move || {
            let mut runs = Vec::new();
            for path in paths {
                let record = crate::run::load(&path)?;
                runs.push((path, record));
            }
            let spreads = runs
                .iter()
                .map(|(path, run)| crate::analysis::spread::spread_in_folder(run, path.parent().unwrap_or(Path::new("."))))
                .collect();
            Ok((runs, spreads))
        });
    }

    /// Draws the tab; returns what the app should do.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Vec<AppCommand> {
        if !self.loaded_once {
            self.refresh();
        }
        let mut requests = Vec::new();
        if self.compare.is_some() {
            self.compare_ui(ui, &mut requests);
            return requests;
        }
        // Wrapped: in a narrow window the buttons and the folder go to a second line instead of
        // widening the tab past the window's edge.
        ui.horizontal_wrapped(|ui| {
            ui.heading("Saved runs");
            if ui.button("Refresh").clicked() {
                self.refresh();
            }
            if ui.button("Open run file…").clicked() {
                requests.push(AppCommand::PickRunFile);
            }
            if ui
                .button("Follow segment folder…")
                .on_hover_text(
                    "A split run's folder of segment files (run --segment i/n): shown merged in the Live tab as the segments write",
                )
                .clicked()
            {
                requests.push(AppCommand::PickSegmentFolder);
            }
            let filter = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("name, tag, notes, status…")
                    .desired_width(180.0),
            )
            .labelled_by(filter.id);
            let checked = self.checked.len();
            if ui
                .add_enabled(checked >= 2, egui::Button::new(format!("Compare {checked} runs")))
                .on_disabled_hover_text("Tick two or more runs to compare them")
                .clicked()
            {
                self.compare_checked();
            }
            if self.is_busy() {
                ui.spinner();
            }
            ui.label(RichText::new(self.dir.display().to_string()).weak());
        });
        if let Some(error) = &self.error {
            ui.colored_label(palette::FAIL, error);
        }
        if self.entries.is_empty() && !self.is_loading() {
            ui.label("No saved runs yet: every run is saved here automatically. Drop a run file (.json) on the window, or Open run file…, to open one from elsewhere.");
            return requests;
        }
        self.table_ui(ui);
        ui.separator();
        self.detail_ui(ui, &mut requests);
        requests
    }

    fn sort_header(&mut self, ui: &mut egui::Ui, key: SortKey, title: &str) -> egui::Response {
        let direction = if self.descending { "descending" } else { "ascending" };
        let hover = if self.sort == key {
            format!("Sorted by {}, {direction}; click to reverse", key.label())
        } else {
            format!("Sort by {}", key.label())
        };
        ui.horizontal(|ui| {
            let response = ui
                .add(egui::Button::new(RichText::new(title).strong()).frame(false))
                .on_hover_text(hover);
            if self.sort == key {
                // A small painted triangle: the default fonts have no arrow glyphs.
                let (rect, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
                let color = ui.visuals().strong_text_color();
                let points = if self.descending {
                    vec![rect.left_top(), rect.right_top(), rect.center_bottom()]
                } else {
                    vec![rect.left_bottom(), rect.right_bottom(), rect.center_top()]
                };
                ui.painter().add(egui::Shape::convex_polygon(points, color, egui::Stroke::NONE));
            }
            if response.clicked() {
                if self.sort == key {
                    self.descending = !self.descending;
                } else {
                    self.sort = key;
                    self.descending = !matches!(key, SortKey::Name);
                }
            }
        })
        .response
    }

    fn table_ui(&mut self, ui: &mut egui::Ui) {
        let rows = self.rows();
        egui::ScrollArea::vertical()
            .id_salt("runs-list")
            .max_height(ui.available_height() * 0.42)
            .show(ui, |ui| {
                // Compare, Started and Name stay put while the rest scroll sideways in a narrow
                // window.
                let searches = rows.iter().any(|row| row.capacity.is_some());
                let columns: Vec<RunColumn> = RunColumn::ALL
                    .into_iter()
                    .filter(|column| searches || *column != RunColumn::Capacity)
                    .collect();
                let mut shape = tables::GridShape::of_text(ui, columns.len(), 3, rows.len(), [12.0, 3.0]);
                // The Compare box keeps its clicks; the rest of the row selects the run.
                shape.row_clicks_from = Some(1);
                if searches {
                    // A search's answer is what its row is read for: larger text.
                    let answer = ui.fonts_mut(|fonts| fonts.row_height(&egui::FontId::proportional(CAPACITY_TEXT_SIZE)));
                    shape.row_height = shape.row_height.max(answer + 2.0);
                }
                let mut clicked = vec![false; rows.len()];
                let mut double_clicked = vec![false; rows.len()];
                let whole_rows = tables::pinned_grid(ui, "runs-table", shape, |ui, index, column| {
                    let column = columns[column];
                    let Some(row) = index.checked_sub(1).map(|index| &rows[index]) else {
                        return match column.sort_key() {
                            Some(key) => self.sort_header(ui, key, column.title()),
                            None => ui.label(RichText::new(column.title()).strong()),
                        };
                    };
                    match column {
                        RunColumn::Compare => {
                            let mut ticked = self.checked.contains(&row.path);
                            let name = format!("Compare {} {}", row.name, row.started_at.chars().take(19).collect::<String>());
                            let response = ui.checkbox(&mut ticked, "").on_hover_text("Tick to compare");
                            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, ticked, &name));
                            if response.changed() {
                                if ticked {
                                    self.checked.insert(row.path.clone());
                                } else {
                                    self.checked.remove(&row.path);
                                }
                            }
                            response
                        }
                        RunColumn::Started => {
                            let started: String = row.started_at.replace('T', " ").chars().take(19).collect();
                            let selected = self.selected.as_ref() == Some(&row.path);
                            let response = ui.selectable_label(selected, started);
                            clicked[index - 1] |= response.clicked();
                            double_clicked[index - 1] |= response.double_clicked();
                            response
                        }
                        RunColumn::Name => ui.label(&row.name),
                        RunColumn::Preset => ui.label(&row.preset),
                        RunColumn::Scenarios => ui.label(format::truncate(&row.scenarios, 36)),
                        RunColumn::Duration => ui.label(format::duration_secs(row.duration_secs)),
                        RunColumn::Status => ui.label(row.status.label()),
                        RunColumn::Verdict => tables::verdict_label(ui, row.passed),
                        RunColumn::Requests => ui.label(row.requests.to_string()),
                        RunColumn::P95 => ui.label(
                            row.p95_micros
                                .map(|micros| format::micros(micros as f64))
                                .unwrap_or_else(|| "-".into()),
                        ),
                        RunColumn::Capacity => ui.label(
                            RichText::new(row.capacity.as_deref().unwrap_or("-"))
                                .strong()
                                .size(CAPACITY_TEXT_SIZE),
                        ),
                        RunColumn::Notes => {
                            let mut extra = row.tags.iter().map(|tag| format!("#{tag}")).collect::<Vec<_>>().join(" ");
                            if !row.notes.is_empty() {
                                extra.push_str(&format!(" {}", format::truncate(&row.notes.replace('\n', " "), 40)));
                            }
                            ui.label(RichText::new(extra).weak())
                        }
                    }
                });
                // The whole row (both halves) selects; a double-click opens the run in Live.
                for (index, row) in rows.iter().enumerate() {
                    let whole = whole_rows[index].as_ref();
                    let clicked = clicked[index] || whole.is_some_and(egui::Response::clicked);
                    let double_clicked = double_clicked[index] || whole.is_some_and(egui::Response::double_clicked);
                    if clicked || double_clicked {
                        self.selected = Some(row.path.clone());
                    }
                    if double_clicked {
                        self.open_when_read = Some(row.path.clone());
                    }
                }
                if let Some(line) = passed_over_line(&self.passed_over) {
                    ui.label(RichText::new(format!("The library {line}.")).weak());
                }
                // Files that could not be read, with the reason (the others still load).
                for entry in &self.entries {
                    if let LibraryEntry::Unreadable { path, error } = entry {
                        ui.horizontal_wrapped(|ui| {
                            ui.colored_label(
                                palette::FAIL,
                                format!(
                                    "Unreadable: {}",
                                    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
                                ),
                            );
                            ui.label(RichText::new(error.to_string()).weak());
                        });
                    }
                }
            });
        if rows.is_empty() && !self.filter.is_empty() {
            ui.label(format!("No run matches {:?}.", self.filter));
        }
    }

    fn detail_ui(&mut self, ui: &mut egui::Ui, requests: &mut Vec<AppCommand>) {
        let Some(path) = self.selected.clone() else {
            ui.label("Select a run to see its levels, findings and reports.");
            return;
        };
        self.open_record(&path);
        let full = match &self.opened {
            Some((opened, Ok(record))) if *opened == path => record,
            Some((opened, Err(why))) if *opened == path => {
                ui.colored_label(palette::FAIL, format!("Cannot open this run: {why}"));
                return;
            }
            _ => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!(
                        "Reading {}…",
                        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
                    ));
                });
                return;
            }
        };
        if self.open_when_read.take_if(|wanted| *wanted == path).is_some() {
            requests.push(AppCommand::ShowSavedRun(path.clone(), Box::new((**full).clone())));
        }
        if self
            .detail
            .as_ref()
            .is_none_or(|detail| detail.path != path || detail.saved_at != full.saved_at)
        {
            self.detail = Some(detail_cache(&path, full));
        }
        // What the pane shows of the run, without copying its series and histograms each frame.
        let record = RunHeader {
            name: full.display_name().to_string(),
            status: full.status.label(),
            preset: full.preset.name.clone(),
            title: full.title.clone(),
            notes: full.notes.clone(),
            tags: full.tags.clone(),
            stop_reason: full.stop_reason.clone(),
            warnings: full.warnings.clone(),
        };
        if self.edit.as_ref().is_none_or(|edit| edit.path != path) {
            self.edit = Some(DetailEdit {
                path: path.clone(),
                title: record.title.clone().unwrap_or_default(),
                notes: record.notes.clone(),
                tags: record.tags.join(", "),
            });
        }
        ui.horizontal_wrapped(|ui| {
            ui.heading(format!("{} · {}", record.name, record.status));
            if ui.button("Open in Live").clicked()
                && let Some(full) = self.record(&path)
            {
                requests.push(AppCommand::ShowSavedRun(path.clone(), Box::new(full.clone())));
            }
            if ui.button("Present").clicked()
                && let Some(full) = self.record(&path)
            {
                requests.push(AppCommand::Present(vec![full.clone()]));
            }
            ui.separator();
            ui.label("Report:");
            for (label, format) in [("Markdown", Format::Md), ("HTML", Format::Html), ("CSV", Format::Csv)] {
                if ui
                    .button(label)
                    .on_hover_text(format!("Write a {label} report into {}", self.reports_dir().display()))
                    .clicked()
                {
                    self.export(path.clone(), Vec::new(), format);
                }
            }
            ui.separator();
            if ui.button("Delete run").clicked() {
                let target = path.clone();
                self.selected = None;
                self.checked.remove(&target);
                self.jobs
                    .spawn("loadscope-runs-delete", move || match crate::run::library::delete(&target) {
                        Ok(trashed) => Notice::info(format!(
                            "Deleted {} (kept in {} until you empty it)",
                            target.display(),
                            trashed.parent().map(|dir| dir.display().to_string()).unwrap_or_default()
                        ))
                        .with_undo(Undo::RestoreRun(trashed)),
                        Err(err) => error(format!("cannot delete {}: {err}", target.display())),
                    });
            }
        });
        ui.label(RichText::new(path.display().to_string()).weak());
        self.details_editor(ui, &path, &record);
        let Some(detail) = &self.detail else { return };
        // Each run's details start at their top (not where the last run's were scrolled to).
        egui::ScrollArea::vertical().id_salt(("run-detail", &detail.path)).show(ui, |ui| {
            // A capacity search's answer first, in the largest type of the detail.
            for answer in &detail.capacity_answers {
                ui.label(RichText::new(answer).size(palette::CAPACITY_ANSWER_SIZE).strong());
            }
            ui.label(RichText::new(&detail.verdict_line).strong());
            ui.label(format!("Peak throughput within targets: {}", detail.peak));
            if let Some(reason) = &record.stop_reason {
                ui.label(format!("Ended early: {reason}"));
            }
            for warning in &record.warnings {
                ui.colored_label(palette::WARN, format!("Warning: {warning}"));
            }
            findings_ui(ui, &detail.findings);
            for (scenario, tables) in &detail.tables {
                ui.add_space(4.0);
                ui.heading(scenario);
                let curves = detail
                    .curves
                    .iter()
                    .find(|(name, _)| name == scenario)
                    .map(|(_, charts)| charts.as_slice());
                for chart in curves.unwrap_or_default() {
                    ui.label(RichText::new(&chart.title).strong());
                    tables::chart(ui, chart, 180.0, 2.0, None);
                }
                for (index, table) in tables.iter().enumerate() {
                    tables::table(ui, ("run-detail-table", scenario, index), table);
                }
            }
        });
    }

    /// The run's name, tags and notes as fields, saved (on a job thread) by "Save details".
    fn details_editor(&mut self, ui: &mut egui::Ui, path: &Path, record: &RunHeader) {
        if let Some(edit) = &mut self.edit {
            let mut save = false;
            ui.horizontal(|ui| {
                let name = ui.label("Run name");
                ui.add(
                    egui::TextEdit::singleline(&mut edit.title)
                        .hint_text(&record.preset)
                        .desired_width(220.0),
                )
                .labelled_by(name.id);
                let tags = ui.label("Tags");
                ui.add(
                    egui::TextEdit::singleline(&mut edit.tags)
                        .hint_text("release-1.4, after-fix")
                        .desired_width(200.0),
                )
                .labelled_by(tags.id);
                let changed = edit.title != record.title.clone().unwrap_or_default()
                    || edit.notes != record.notes
                    || edit.tags != record.tags.join(", ");
                save = ui.add_enabled(changed, egui::Button::new("Save details")).clicked();
            });
            let notes = ui.label("Notes");
            ui.add(
                egui::TextEdit::multiline(&mut edit.notes)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(notes.id);
            if save {
                let (title, notes, tags) = (edit.title.trim().to_string(), edit.notes.clone(), edit.tags.clone());
                let target = path.to_path_buf();
                self.jobs.spawn("loadscope-runs-details", move || {
                    let tags: Vec<String> = tags
                        .split(',')
                        .map(|tag| tag.trim().trim_start_matches('#').to_string())
                        .filter(|tag| !tag.is_empty())
                        .collect();
                    match crate::run::library::update(&target, |record| {
                        record.title = Some(title).filter(|title| !title.is_empty());
                        record.notes = notes;
                        record.tags = tags;
                    }) {
                        Ok(_) => info(format!("Saved the details of {}", target.display())),
                        Err(err) => error(err.to_string()),
                    }
                });
            }
        }
    }

    fn compare_ui(&mut self, ui: &mut egui::Ui, requests: &mut Vec<AppCommand>) {
        let Some(view) = &mut self.compare else { return };
        match view.show(ui, requests) {
            Some(CompareAction::Back) => self.compare = None,
            Some(CompareAction::Export { first, others }) => self.export(first, others, Format::Html),
            None => {}
        }
    }
}

fn info(text: String) -> Notice {
    Notice::info(text)
}

fn error(text: String) -> Notice {
    Notice::error(text)
}

fn detail_cache(path: &Path, record: &RunRecord) -> DetailCache {
    let report = Report::new(record, &[], None);
    DetailCache {
        path: path.to_path_buf(),
        saved_at: record.saved_at.clone(),
        verdict_line: report.verdict_line(),
        capacity_answers: record
            .scenarios
            .iter()
            .filter_map(|scenario| Some(format!("{}: {}", scenario.name, scenario.capacity_sentence()?)))
            .collect(),
        peak: crate::report::lines::peak_line(record),
        findings: report.findings.clone(),
        tables: record
            .scenarios
            .iter()
            .enumerate()
            .map(|(index, scenario)| {
                let mut found = vec![results_table(&report, index)];
                found.extend(scenario_tables(&report, index));
                (scenario.name.clone(), found)
            })
            .collect(),
        curves: record
            .scenarios
            .iter()
            .map(|scenario| (scenario.name.clone(), crate::report::charts::capacity_charts(scenario)))
            .collect(),
    }
}

/// Findings with their evidence and suggestion.
pub(crate) fn findings_ui(ui: &mut egui::Ui, findings: &[Finding]) {
    if findings.is_empty() {
        ui.label(RichText::new("Findings: none of the bottleneck indicators showed.").weak());
        return;
    }
    ui.label(RichText::new("Findings").strong());
    for finding in findings {
        let color = match finding.severity {
            crate::run::Severity::Critical => palette::FAIL,
            crate::run::Severity::Warning => palette::WARN,
            crate::run::Severity::Notice => ui.visuals().text_color(),
        };
        ui.colored_label(
            color,
            format!(
                "{} ({}, {}): {}",
                finding.rule.label(),
                finding.severity.label(),
                finding_place(finding),
                finding.summary
            ),
        );
        for line in &finding.evidence {
            ui.label(RichText::new(format!("    {line}")).weak());
        }
        ui.label(RichText::new(format!("    Suggests: {}", finding.suggestion)).italics());
    }
}

fn find_summary<'a>(entries: &'a [LibraryEntry], path: &Path) -> Option<&'a RunSummary> {
    entries.iter().find_map(|entry| match entry {
        LibraryEntry::Run { path: known, summary } if known == path => Some(summary.as_ref()),
        _ => None,
    })
}
