//! The Runs tab: the saved runs of the run library (read on a background thread), newest
//! first, with a run's levels and verdicts on selection and a way to open it in the Live tab.

use std::path::PathBuf;
use std::sync::mpsc;

use egui::RichText;

use super::palette;
use crate::preset::target::{format_metric_value, format_micros};
use crate::run::RunRecord;
use crate::run::library::{LibraryEntry, list};

/// The Runs tab's state.
pub struct RunsTab {
    dir: PathBuf,
    entries: Vec<LibraryEntry>,
    loading: Option<mpsc::Receiver<Result<Vec<LibraryEntry>, String>>>,
    error: Option<String>,
    selected: Option<PathBuf>,
    loaded_once: bool,
}

impl RunsTab {
    pub fn new(dir: PathBuf) -> RunsTab {
        RunsTab {
            dir,
            entries: Vec::new(),
            loading: None,
            error: None,
            selected: None,
            loaded_once: false,
        }
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

    /// Adds a run file from elsewhere (dropped on the window) to the list and selects it.
    pub fn open_path(&mut self, path: PathBuf, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let known: Vec<LibraryEntry> = std::mem::take(&mut self.entries);
        self.selected = Some(path.clone());
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

    /// Takes in a finished background read.
    pub fn poll(&mut self) {
        let Some(rx) = &self.loading else { return };
        match rx.try_recv() {
            Ok(Ok(entries)) => {
                self.entries = entries;
                self.error = None;
                self.loading = None;
            }
            Ok(Err(error)) => {
                self.error = Some(error);
                self.loading = None;
            }
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => self.loading = None,
        }
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

    /// Draws the tab; returns a run to open in the Live tab.
    pub fn show(&mut self, ui: &mut egui::Ui) -> Option<(PathBuf, RunRecord)> {
        if !self.loaded_once {
            self.refresh(ui.ctx());
        }
        let mut open = None;
        ui.horizontal(|ui| {
            ui.heading("Saved runs");
            if ui.button("Refresh").clicked() {
                self.refresh(ui.ctx());
            }
            if self.loading.is_some() {
                ui.spinner();
            }
            ui.label(RichText::new(self.dir.display().to_string()).weak());
        });
        if let Some(error) = &self.error {
            ui.colored_label(palette::FAIL, error);
        }
        if self.entries.is_empty() && self.loading.is_none() {
            ui.label("No saved runs yet: every run is saved here automatically. Drop a run file (.json) on the window to open one from elsewhere.");
            return None;
        }
        egui::ScrollArea::vertical()
            .id_salt("runs-list")
            .max_height(ui.available_height() * 0.5)
            .show(ui, |ui| {
                egui::Grid::new("runs-table").striped(true).spacing([12.0, 3.0]).show(ui, |ui| {
                    for header in [
                        "Started (UTC)",
                        "Preset",
                        "Status",
                        "Verdict",
                        "Requests",
                        "Errors",
                        "p95",
                        "Duration",
                    ] {
                        ui.label(RichText::new(header).strong());
                    }
                    ui.end_row();
                    for entry in &self.entries {
                        match entry {
                            LibraryEntry::Run { path, record } => {
                                let selected = self.selected.as_ref() == Some(path);
                                let started: String = record.started_at.replace('T', " ").chars().take(19).collect();
                                if ui.selectable_label(selected, started).clicked() {
                                    self.selected = Some(path.clone());
                                }
                                ui.label(&record.preset.name);
                                ui.label(record.status.label());
                                verdict_label(ui, record.passed);
                                match &record.total {
                                    Some(total) => {
                                        ui.label(total.stats.requests.to_string());
                                        ui.label(format!("{:.2}%", total.stats.error_rate_percent()));
                                        ui.label(format_micros(total.stats.p95_micros as f64));
                                    }
                                    None => {
                                        for _ in 0..3 {
                                            ui.label("-");
                                        }
                                    }
                                }
                                let duration = record.series.last().map(|point| point.second + 1).unwrap_or(0);
                                ui.label(format!("{duration} s"));
                            }
                            LibraryEntry::Unreadable { path, error } => {
                                ui.label(path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default());
                                ui.colored_label(palette::FAIL, "unreadable").on_hover_text(error.to_string());
                                for _ in 0..6 {
                                    ui.label("");
                                }
                            }
                        }
                        ui.end_row();
                    }
                });
            });
        ui.separator();
        let selected = self.entries.iter().find_map(|entry| match entry {
            LibraryEntry::Run { path, record } if self.selected.as_ref() == Some(path) => Some((path, record)),
            _ => None,
        });
        if let Some((path, record)) = selected {
            ui.horizontal(|ui| {
                ui.heading(format!("{} · {}", record.preset.name, record.status.label()));
                if ui.button("Open in Live").clicked() {
                    open = Some((path.clone(), (**record).clone()));
                }
            });
            ui.label(RichText::new(path.display().to_string()).weak());
            if let Some(reason) = &record.stop_reason {
                ui.label(format!("Ended early: {reason}"));
            }
            egui::ScrollArea::vertical()
                .id_salt("run-detail")
                .show(ui, |ui| run_detail(ui, record));
        }
        open
    }
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

/// Per level: load, numbers and each target's verdict; then what makes a level doubtful.
fn run_detail(ui: &mut egui::Ui, record: &RunRecord) {
    for scenario in &record.scenarios {
        for level in &scenario.levels {
            for warning in &level.warnings {
                ui.colored_label(palette::WARN, format!("{} · {}: {warning}", scenario.name, level.name));
            }
        }
    }
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
    egui::Grid::new("run-levels").striped(true).spacing([12.0, 3.0]).show(ui, |ui| {
        for header in ["Scenario", "Level", "Load", "Requests", "Errors", "p50", "p95", "RPS", "Targets"] {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for scenario in &record.scenarios {
            for level in &scenario.levels {
                ui.label(&scenario.name);
                ui.label(&level.name);
                ui.label(match level.load {
                    crate::preset::LoadModel::Closed { users, .. } => format!("{users} users"),
                    crate::preset::LoadModel::Open { rate_per_sec, .. } => format!("{rate_per_sec} req/s"),
                });
                let stats = &level.total.stats;
                ui.label(stats.requests.to_string());
                ui.label(format!("{:.2}%", stats.error_rate_percent()));
                ui.label(format_micros(stats.p50_micros as f64));
                ui.label(format_micros(stats.p95_micros as f64));
                ui.label(format!("{:.1}", stats.rps));
                ui.vertical(|ui| {
                    for verdict in &level.verdicts {
                        let observed = verdict
                            .observed
                            .map(|value| format_metric_value(verdict.metric, value))
                            .unwrap_or_else(|| "no data".to_string());
                        let color = if verdict.passed { palette::PASS } else { palette::FAIL };
                        let mark = if verdict.passed { "pass" } else { "FAIL" };
                        ui.colored_label(color, format!("{mark} {} (observed {observed})", verdict.target));
                    }
                });
                ui.end_row();
            }
        }
    });
}
