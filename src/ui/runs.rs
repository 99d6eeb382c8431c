//! The Runs tab: the run library (read on a background thread) sorted and filtered; a run's
//! details with its name, notes and tags editable, its verdicts, findings and the guide's
//! results table; reports (Markdown, HTML, CSV), delete with undo, open in Live or present;
//! and two or more runs compared: overlay charts and the delta table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use egui::RichText;

use super::palette;
use super::tables;
use crate::analysis::comparison::{Align, Comparison, compare, run_label};
use crate::format;
use crate::report::charts::{ChartData, overlay_charts};
use crate::report::tables::{Table, comparison_table, results_table, scenario_tables};
use crate::report::{Format, Report, finding_place};
use crate::run::library::{LibraryEntry, RunRow, SortKey, list, sort_rows};
use crate::run::{Finding, RunRecord};

/// What the Runs tab asks the app to do.
pub enum RunsRequest {
    OpenInLive(PathBuf, Box<RunRecord>),
    /// Presentation mode over these runs (the first is the baseline).
    Present(Vec<RunRecord>),
    /// Pick a run file anywhere with the file dialog.
    PickFile,
    /// Save this screen area (a chart, named) as a PNG.
    SavePng(String, egui::Rect),
}

/// A message for the person from work the tab did in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct RunsNotice {
    pub text: String,
    pub is_error: bool,
    /// A deleted run's place in the trash, for Undo.
    pub undo: Option<PathBuf>,
}

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
    peak: String,
    findings: Vec<Finding>,
    tables: Vec<(String, Vec<Table>)>,
}

/// Runs laid side by side.
pub struct CompareView {
    pub runs: Vec<(PathBuf, RunRecord)>,
    pub baseline: usize,
    pub align: Align,
    /// The table and overlay charts for `shown_for` (baseline, alignment), computed when those
    /// change rather than every frame.
    shown_for: Option<(usize, Align)>,
    comparison: Option<Comparison>,
    charts: Vec<ChartData>,
}

impl CompareView {
    fn new(runs: Vec<(PathBuf, RunRecord)>) -> CompareView {
        CompareView {
            runs,
            baseline: 0,
            align: Align::ByLevel,
            shown_for: None,
            comparison: None,
            charts: Vec::new(),
        }
    }

    /// Recomputes the comparison and charts after the baseline or alignment changed.
    fn refresh(&mut self) {
        if self.shown_for == Some((self.baseline, self.align)) {
            return;
        }
        let records: Vec<&RunRecord> = self.runs.iter().map(|(_, run)| run).collect();
        let comparison = compare(&records, self.baseline);
        let labels: Vec<String> = comparison.runs.iter().map(|run| format!("{}: {}", run.letter, run.name)).collect();
        self.charts = overlay_charts(&records, &labels, self.align);
        self.comparison = Some(comparison);
        self.shown_for = Some((self.baseline, self.align));
    }
}

/// The Runs tab's state.
pub struct RunsTab {
    dir: PathBuf,
    entries: Vec<LibraryEntry>,
    loading: Option<mpsc::Receiver<Result<Vec<LibraryEntry>, String>>>,
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
    jobs_tx: mpsc::Sender<RunsNotice>,
    jobs_rx: mpsc::Receiver<RunsNotice>,
    notices: Vec<RunsNotice>,
    /// Background jobs not yet reported back.
    pub jobs_running: usize,
}

impl RunsTab {
    pub fn new(dir: PathBuf) -> RunsTab {
        let (jobs_tx, jobs_rx) = mpsc::channel();
        RunsTab {
            dir,
            entries: Vec::new(),
            loading: None,
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
            jobs_tx,
            jobs_rx,
            notices: Vec::new(),
            jobs_running: 0,
        }
    }

    /// Where exported reports go: the data dir's `reports/`.
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.parent().unwrap_or(Path::new(".")).join("reports")
    }

    /// Re-reads the library in the background.
    pub fn refresh(&mut self, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let dir = self.dir.clone();
        let ctx = ctx.clone();
        self.loaded_once = true;
        self.loading = Some(rx);
        let _ = std::thread::Builder::new().name("loadscope-runs".into()).spawn(move || {
            let result = list(&dir).map_err(|err| format!("cannot list {}: {err}", dir.display()));
            let _ = tx.send(result);
            ctx.request_repaint();
        });
    }

    /// Adds a run file from elsewhere (dropped on the window, or picked) and selects it.
    pub fn open_path(&mut self, path: PathBuf, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let known: Vec<LibraryEntry> = std::mem::take(&mut self.entries);
        self.selected = Some(path.clone());
        self.compare = None;
        self.loading = Some(rx);
        let _ = std::thread::Builder::new().name("loadscope-run-file".into()).spawn(move || {
            let entry = match crate::run::load(&path) {
                Ok(record) => LibraryEntry::Run {
                    path: path.clone(),
                    record: Box::new(record),
                },
                Err(error) => LibraryEntry::Unreadable { path: path.clone(), error },
            };
            let mut entries: Vec<LibraryEntry> = known.into_iter().filter(|known| entry_path(known) != &path).collect();
            entries.insert(0, entry);
            let _ = tx.send(Ok(entries));
            ctx.request_repaint();
        });
    }

    /// Takes in finished background work.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(rx) = &self.loading {
            match rx.try_recv() {
                Ok(Ok(entries)) => {
                    self.entries = entries;
                    self.error = None;
                    self.loading = None;
                    self.detail = None;
                    let known: BTreeSet<PathBuf> = self.entries.iter().map(|entry| entry_path(entry).clone()).collect();
                    self.checked.retain(|path| known.contains(path));
                }
                Ok(Err(error)) => {
                    self.error = Some(error);
                    self.loading = None;
                }
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => self.loading = None,
            }
        }
        let mut changed = false;
        while let Ok(notice) = self.jobs_rx.try_recv() {
            self.jobs_running = self.jobs_running.saturating_sub(1);
            changed = true;
            self.notices.push(notice);
        }
        if changed {
            self.refresh(ctx);
        }
    }

    /// Messages from finished jobs, for the app's notice area.
    pub fn take_notices(&mut self) -> Vec<RunsNotice> {
        std::mem::take(&mut self.notices)
    }

    pub fn run_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| matches!(entry, LibraryEntry::Run { .. }))
            .count()
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// The loaded run at `path`.
    pub fn record(&self, path: &Path) -> Option<&RunRecord> {
        find_record(&self.entries, path)
    }

    /// Runs `work` on a thread; its message comes back through `poll`.
    fn job(&mut self, ctx: &egui::Context, work: impl FnOnce() -> RunsNotice + Send + 'static) {
        let tx = self.jobs_tx.clone();
        let ctx = ctx.clone();
        self.jobs_running += 1;
        let _ = std::thread::Builder::new().name("loadscope-runs-job".into()).spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        });
    }

    /// Brings a deleted run back (Undo).
    pub fn restore(&mut self, trashed: PathBuf, ctx: &egui::Context) {
        self.job(ctx, move || match crate::run::library::restore(&trashed) {
            Ok(path) => info(format!("Restored {}", path.display())),
            Err(err) => error(format!("cannot restore {}: {err}", trashed.display())),
        });
    }

    /// Writes a report of `path` (compared with `others`) into the reports folder.
    pub fn export(&mut self, ctx: &egui::Context, path: PathBuf, others: Vec<PathBuf>, format: Format) {
        let reports = self.reports_dir();
        self.job(ctx, move || {
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
            let report = Report::new(&run, &other_refs, None);
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
                Ok(written) => info(format!(
                    "Report written: {}",
                    written.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
                )),
                Err(why) => error(why),
            }
        });
    }

    /// The rows shown: filtered and sorted.
    pub fn rows(&self) -> Vec<RunRow> {
        let mut rows: Vec<RunRow> = self
            .entries
            .iter()
            .filter_map(|entry| match entry {
                LibraryEntry::Run { path, record } => Some(RunRow::of(path, record)),
                LibraryEntry::Unreadable { .. } => None,
            })
            .filter(|row| row.matches(&self.filter))
            .collect();
        sort_rows(&mut rows, self.sort, self.descending);
        rows
    }

    /// Opens the comparison of the ticked runs (in the table's order).
    pub fn compare_checked(&mut self) {
        let runs: Vec<(PathBuf, RunRecord)> = self
            .rows()
            .into_iter()
            .filter(|row| self.checked.contains(&row.path))
            .filter_map(|row| Some((row.path.clone(), self.record(&row.path)?.clone())))
            .collect();
        if runs.len() >= 2 {
            self.compare = Some(CompareView::new(runs));
        }
    }

    /// Draws the tab; returns what the app should do.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Vec<RunsRequest> {
        if !self.loaded_once {
            self.refresh(ui.ctx());
        }
        let mut requests = Vec::new();
        if self.compare.is_some() {
            self.compare_ui(ui, &mut requests);
            return requests;
        }
        ui.horizontal(|ui| {
            ui.heading("Saved runs");
            if ui.button("Refresh").clicked() {
                self.refresh(ui.ctx());
            }
            if ui.button("Open run file…").clicked() {
                requests.push(RunsRequest::PickFile);
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
            if self.loading.is_some() || self.jobs_running > 0 {
                ui.spinner();
            }
            ui.label(RichText::new(self.dir.display().to_string()).weak());
        });
        if let Some(error) = &self.error {
            ui.colored_label(palette::FAIL, error);
        }
        if self.entries.is_empty() && self.loading.is_none() {
            ui.label("No saved runs yet: every run is saved here automatically. Drop a run file (.json) on the window, or Open run file…, to open one from elsewhere.");
            return requests;
        }
        self.table_ui(ui);
        ui.separator();
        self.detail_ui(ui, &mut requests);
        requests
    }

    fn sort_header(&mut self, ui: &mut egui::Ui, key: SortKey, title: &str) {
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
        });
    }

    fn table_ui(&mut self, ui: &mut egui::Ui) {
        let rows = self.rows();
        egui::ScrollArea::both()
            .id_salt("runs-list")
            .max_height(ui.available_height() * 0.42)
            .show(ui, |ui| {
                egui::Grid::new("runs-table").striped(true).spacing([12.0, 3.0]).show(ui, |ui| {
                    ui.label(RichText::new("Compare").strong());
                    self.sort_header(ui, SortKey::Date, "Started (UTC)");
                    self.sort_header(ui, SortKey::Name, "Name");
                    ui.label(RichText::new("Preset").strong());
                    ui.label(RichText::new("Scenarios").strong());
                    self.sort_header(ui, SortKey::Duration, "Duration");
                    ui.label(RichText::new("Status").strong());
                    self.sort_header(ui, SortKey::Verdict, "Verdict");
                    self.sort_header(ui, SortKey::Requests, "Requests");
                    self.sort_header(ui, SortKey::P95, "p95");
                    ui.label(RichText::new("Tags / notes").strong());
                    ui.end_row();
                    for row in &rows {
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
                        let started: String = row.started_at.replace('T', " ").chars().take(19).collect();
                        let selected = self.selected.as_ref() == Some(&row.path);
                        if ui.selectable_label(selected, started).clicked() {
                            self.selected = Some(row.path.clone());
                        }
                        ui.label(&row.name);
                        ui.label(&row.preset);
                        ui.label(format::truncate(&row.scenarios, 36));
                        ui.label(format::duration_secs(row.duration_secs));
                        ui.label(row.status.label());
                        verdict_label(ui, row.passed);
                        ui.label(row.requests.to_string());
                        ui.label(
                            row.p95_micros
                                .map(|micros| format::micros(micros as f64))
                                .unwrap_or_else(|| "-".into()),
                        );
                        let mut extra = row.tags.iter().map(|tag| format!("#{tag}")).collect::<Vec<_>>().join(" ");
                        if !row.notes.is_empty() {
                            extra.push_str(&format!(" {}", format::truncate(&row.notes.replace('\n', " "), 40)));
                        }
                        ui.label(RichText::new(extra).weak());
                        ui.end_row();
                    }
                });
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

    fn detail_ui(&mut self, ui: &mut egui::Ui, requests: &mut Vec<RunsRequest>) {
        let Some(path) = self.selected.clone() else {
            ui.label("Select a run to see its levels, findings and reports.");
            return;
        };
        let Some(full) = find_record(&self.entries, &path) else { return };
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
                requests.push(RunsRequest::OpenInLive(path.clone(), Box::new(full.clone())));
            }
            if ui.button("Present").clicked()
                && let Some(full) = self.record(&path)
            {
                requests.push(RunsRequest::Present(vec![full.clone()]));
            }
            ui.separator();
            ui.label("Report:");
            for (label, format) in [("Markdown", Format::Md), ("HTML", Format::Html), ("CSV", Format::Csv)] {
                if ui
                    .button(label)
                    .on_hover_text(format!("Write a {label} report into {}", self.reports_dir().display()))
                    .clicked()
                {
                    self.export(ui.ctx(), path.clone(), Vec::new(), format);
                }
            }
            ui.separator();
            if ui.button("Delete run").clicked() {
                let target = path.clone();
                self.selected = None;
                self.checked.remove(&target);
                self.job(ui.ctx(), move || match crate::run::library::delete(&target) {
                    Ok(trashed) => RunsNotice {
                        text: format!(
                            "Deleted {} (kept in {} until you empty it)",
                            target.display(),
                            trashed.parent().map(|dir| dir.display().to_string()).unwrap_or_default()
                        ),
                        is_error: false,
                        undo: Some(trashed),
                    },
                    Err(err) => error(format!("cannot delete {}: {err}", target.display())),
                });
            }
        });
        ui.label(RichText::new(path.display().to_string()).weak());
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
                let target = path.clone();
                self.job(ui.ctx(), move || {
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
        let Some(detail) = &self.detail else { return };
        egui::ScrollArea::vertical().id_salt("run-detail").show(ui, |ui| {
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
                for (index, table) in tables.iter().enumerate() {
                    tables::table(ui, ("run-detail-table", scenario, index), table);
                }
            }
        });
    }

    fn compare_ui(&mut self, ui: &mut egui::Ui, requests: &mut Vec<RunsRequest>) {
        let Some(view) = &mut self.compare else { return };
        let mut back = false;
        let mut export = false;
        ui.horizontal_wrapped(|ui| {
            if ui.button("Back to runs").clicked() {
                back = true;
            }
            ui.heading(format!("Comparing {} runs", view.runs.len()));
            ui.separator();
            ui.label("Baseline:");
            for (index, (_, run)) in view.runs.iter().enumerate() {
                let letter = crate::analysis::comparison::column_letter(index);
                ui.radio_value(&mut view.baseline, index, format!("{letter}: {}", run.display_name()));
            }
            ui.separator();
            ui.selectable_value(&mut view.align, Align::ByLevel, "Align by level");
            ui.selectable_value(&mut view.align, Align::Elapsed, "Elapsed time");
            ui.separator();
            if ui.button("Present comparison").clicked() {
                let mut runs: Vec<RunRecord> = view.runs.iter().map(|(_, run)| run.clone()).collect();
                let baseline = runs.remove(view.baseline);
                runs.insert(0, baseline);
                requests.push(RunsRequest::Present(runs));
            }
            export = ui.button("Comparison report (HTML)").clicked();
        });
        if export {
            let mut paths: Vec<PathBuf> = view.runs.iter().map(|(path, _)| path.clone()).collect();
            let first = paths.remove(view.baseline);
            self.export(ui.ctx(), first, paths, Format::Html);
        }
        let Some(view) = &mut self.compare else { return };
        view.refresh();
        let Some(comparison) = &view.comparison else { return };
        let mut png = None;
        egui::ScrollArea::both().id_salt("compare").show(ui, |ui| {
            for (index, run) in comparison.runs.iter().enumerate() {
                let role = if index == comparison.baseline { " (baseline)" } else { "" };
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("{}{role}", run.letter)).strong());
                    ui.label(run_label(&view.runs[index].1));
                    verdict_label(ui, run.passed);
                });
            }
            for chart in &view.charts {
                let (title, save) = super::charts::title_with_save(ui, &chart.title);
                let plot = tables::chart(ui, chart, 150.0, 1.5, None);
                if save {
                    png = Some((chart.id.clone(), title.union(plot).expand(4.0)));
                }
            }
            ui.add_space(6.0);
            tables::table(ui, "comparison-table", &comparison_table(comparison));
        });
        if let Some((title, rect)) = png {
            requests.push(RunsRequest::SavePng(title, rect));
        }
        if back {
            self.compare = None;
        }
    }
}

fn info(text: String) -> RunsNotice {
    RunsNotice {
        text,
        is_error: false,
        undo: None,
    }
}

fn error(text: String) -> RunsNotice {
    RunsNotice {
        text,
        is_error: true,
        undo: None,
    }
}

fn detail_cache(path: &Path, record: &RunRecord) -> DetailCache {
    let report = Report::new(record, &[], None);
    DetailCache {
        path: path.to_path_buf(),
        saved_at: record.saved_at.clone(),
        verdict_line: report.verdict_line(),
        peak: crate::report::peak_line(record),
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
    }
}

/// Findings with their evidence and suggestion.
pub fn findings_ui(ui: &mut egui::Ui, findings: &[Finding]) {
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

fn find_record<'a>(entries: &'a [LibraryEntry], path: &Path) -> Option<&'a RunRecord> {
    entries.iter().find_map(|entry| match entry {
        LibraryEntry::Run { path: known, record } if known == path => Some(record.as_ref()),
        _ => None,
    })
}

fn entry_path(entry: &LibraryEntry) -> &PathBuf {
    match entry {
        LibraryEntry::Run { path, .. } | LibraryEntry::Unreadable { path, .. } => path,
    }
}

fn verdict_label(ui: &mut egui::Ui, passed: Option<bool>) {
    match passed {
        Some(true) => ui.colored_label(palette::PASS, "passed"),
        Some(false) => ui.colored_label(palette::FAIL, "failed"),
        None => ui.label("no targets"),
    };
}
