//! The Live tab: live controls (user count, arrival rate), then three views a click apart: the
//! charts (sharing a crosshair and a zoom), a Locust-style stats table per task, and the
//! failures table, for the current level or the whole run.

use egui::RichText;

use super::charts::{self, CHARTS, ChartCursor, TimeWindow};
use super::command::AppCommand;
use super::live_run::{LiveRun, RunState, TargetLine, TaskChoice};
use super::palette;
use super::settings::{LiveRefresh, Settings};
use crate::analysis::TaskRow;
use crate::engine::Command;
use crate::measure::LoadModel;
use crate::report::journey_table::JOURNEY_COLUMNS;
use crate::report::stats_table::{STATS_COLUMNS, stats_row};
use crate::report::tables::{Cell, Table, stats_cells};
use crate::report::tsv;
use crate::run::{SeriesPoint, TaskStats};

/// The room the charts leave at their right for half of the last x tick's label.
const RIGHT_TICK_ROOM: f32 = 18.0;

/// The ids of the live load boxes (a new load does not overwrite what is being typed).
const USERS_INPUT: &str = "live-users-input";
const RATE_INPUT: &str = "live-rate-input";

/// A redraw interval in words: "4 times a second", "every 2.5 s".
fn redraw_rate_words(interval: std::time::Duration) -> String {
    let secs = interval.as_secs_f64();
    if secs < 1.0 {
        let per_second = 1.0 / secs;
        if (per_second - per_second.round()).abs() < 0.05 {
            format!("{per_second:.0} times a second")
        } else {
            format!("{per_second:.1} times a second")
        }
    } else {
        format!("every {secs:.1} s")
    }
}

/// How much of a run the charts show while following it.
pub(crate) const FOLLOW_SECS: f64 = 120.0;

/// Which of the Live tab's views is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiveSection {
    #[default]
    Charts,
    Statistics,
    Failures,
}

/// The Live tab's own state: the view, the charts' pointer state and the text of the load
/// inputs.
#[derive(Default)]
pub struct LiveView {
    pub section: LiveSection,
    /// The GPU adapter the window draws with (None: not known, as under the test harness).
    pub adapter: Option<super::renderer::Adapter>,
    /// How often a run redraws by itself, and what a frame costs (set by the app each frame).
    pub(crate) pacing: Option<super::frame_pacer::Pacing>,
    /// The crosshair and zoom every chart shares.
    pub cursor: ChartCursor,
    /// The task the request charts show alone (None: every task together).
    pub task: Option<TaskChoice>,
    /// Draw every point instead of a min/max envelope per pixel pair (the benchmark's
    /// baseline; the app always decimates).
    pub draw_every_point: bool,
    users_input: String,
    rate_input: String,
    /// The level and load the inputs were filled for (they refill when either changes).
    inputs_for: Option<((usize, usize), String)>,
}

impl LiveView {
    /// Clears the load inputs for a new run.
    pub fn reset_inputs(&mut self) {
        // A new run may have other tasks: the charts start with all of them again.
        *self = LiveView {
            draw_every_point: self.draw_every_point,
            section: self.section,
            adapter: self.adapter.take(),
            pacing: self.pacing,
            ..LiveView::default()
        };
    }

    /// Draws the tab; returns the commands the person gave.
    pub(crate) fn show(&mut self, ui: &mut egui::Ui, live: &LiveRun, settings: &mut Settings, demo_running: bool) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        if live.state == RunState::Idle && live.series.is_empty() {
            ui.label("No run yet. Press Start to run the open preset (or Preflight to check its services first).");
            if demo_running {
                ui.label("The demo stack is running: Start runs the open preset against it.");
            } else {
                ui.label("New here? Start the demo stack in the panel on the left, then press Start.");
            }
            return commands;
        }
        self.controls(ui, live, &mut commands);
        self.preflight(ui, live);
        for message in &live.messages {
            ui.colored_label(palette::FAIL, message);
        }
        for warning in &live.warnings {
            ui.colored_label(palette::WARN, format!("Warning: {warning}"));
        }
        let choices = live.task_choices();
        if self.task.as_ref().is_some_and(|task| !choices.contains(task)) {
            self.task = None;
        }
        let task_series = self.task.as_ref().map(|task| live.task_series(task));
        let series_of = |spec: &charts::ChartSpec| match &task_series {
            Some(points) if spec.per_task => points.as_slice(),
            _ => live.series.as_slice(),
        };
        // Charts without data (no GPU, no containers, no chat) are not offered until data comes.
        let with_data: Vec<&charts::ChartSpec> = CHARTS.iter().filter(|spec| charts::has_data(series_of(spec), spec)).collect();
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.section, LiveSection::Charts, "Charts");
            ui.selectable_value(&mut self.section, LiveSection::Statistics, "Statistics");
            // The same rows (and so the same number) as the Failures view below.
            let failures = live
                .failure_rows(settings.stats_whole_run)
                .iter()
                .map(|(_, row)| row.count)
                .sum::<u64>();
            let failures_label = if failures > 0 {
                format!("Failures ({failures})")
            } else {
                "Failures".to_string()
            };
            ui.selectable_value(&mut self.section, LiveSection::Failures, failures_label);
            ui.separator();
            match self.section {
                LiveSection::Charts => {
                    ui.menu_button("Show charts", |ui| {
                        for spec in &with_data {
                            let mut shown = !settings.hidden_charts.contains(spec.id);
                            if ui.checkbox(&mut shown, spec.title).changed() {
                                if shown {
                                    settings.hidden_charts.remove(spec.id);
                                } else {
                                    settings.hidden_charts.insert(spec.id.to_string());
                                }
                            }
                        }
                    });
                    if !choices.is_empty() {
                        let shown = self.task.as_ref().map_or("All tasks", |task| task.label.as_str()).to_string();
                        ui.label("Task");
                        egui::ComboBox::from_id_salt("chart-task")
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut self.task, None, "All tasks");
                                for choice in &choices {
                                    ui.selectable_value(&mut self.task, Some(choice.clone()), &choice.label);
                                }
                            })
                            .response
                            .on_hover_text("Chart one task's requests, response times and tokens alone");
                    }
                    // The rate it chose is in the hover (and on the adapter's label): it moves
                    // with what frames cost, and the box stays still.
                    let shown = format!("Redraw {}", settings.live_redraw.label());
                    let rate = match (settings.live_redraw, self.pacing) {
                        (LiveRefresh::Automatic, Some(pacing)) => format!(" Now: {}.", redraw_rate_words(pacing.interval)),
                        _ => String::new(),
                    };
                    egui::ComboBox::from_id_salt("live-refresh")
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            for refresh in LiveRefresh::ALL {
                                ui.selectable_value(&mut settings.live_redraw, refresh, refresh.label());
                            }
                        })
                        .response
                        .on_hover_text(format!(
                            "How often the charts redraw during a run. Automatically: at every snapshot (4 a second) on a graphics card; \
                             on a software renderer, as often as 20% of one core allows.{rate}"
                        ));
                    if let Some(adapter) = &self.adapter {
                        let kind = if adapter.software { "software" } else { "GPU" };
                        // The name without its details (`llvmpipe`, not its LLVM version and
                        // vector width), which the hover gives.
                        let short = adapter.name.split(" (").next().unwrap_or(&adapter.name);
                        let mut why = if adapter.software {
                            "a software renderer draws on the CPU: each redraw of the charts costs CPU time".to_string()
                        } else {
                            "a graphics card draws the window: redrawing is cheap".to_string()
                        };
                        if let Some(cost) = self.pacing.and_then(|pacing| pacing.frame_cpu_secs) {
                            why.push_str(&format!(
                                "; a frame costs {:.0} ms of CPU, so the charts redraw {} within 20% of one core",
                                cost * 1000.0,
                                self.pacing.map(|pacing| redraw_rate_words(pacing.interval)).unwrap_or_default()
                            ));
                        }
                        ui.label(RichText::new(format!("Drawn by {short} ({kind})")).weak())
                            .on_hover_text(format!("{} through {}: {why}", adapter.name, adapter.api));
                    }
                    ui.checkbox(&mut settings.charts_whole_run, "Whole run")
                        .on_hover_text(format!("Off: follow the last {FOLLOW_SECS:.0} s"));
                    match self.cursor.zoom {
                        Some(zoom) => {
                            ui.label(format!(
                                "Zoomed to {}–{}",
                                crate::format::elapsed(zoom.start_secs),
                                crate::format::elapsed(zoom.end_secs)
                            ));
                            if ui.button("Reset zoom").on_hover_text("Or double-click a chart").clicked() {
                                self.cursor.zoom = None;
                            }
                        }
                        None => {
                            ui.label(RichText::new("Drag across a chart to zoom").weak())
                                .on_hover_text("Every chart zooms to the stretch dragged across; double-click or Reset zoom goes back");
                        }
                    }
                }
                LiveSection::Statistics | LiveSection::Failures => {
                    ui.selectable_value(&mut settings.stats_whole_run, false, "Current level");
                    ui.selectable_value(&mut settings.stats_whole_run, true, "Whole run");
                }
            }
            if live.record.is_some() && !live.state.is_active() {
                ui.separator();
                if ui.button("Present").on_hover_text("Show this run full screen for a room").clicked() {
                    commands.push(AppCommand::PresentLiveRun);
                }
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("live")
            .auto_shrink(false)
            .show(ui, |ui| match self.section {
                LiveSection::Charts => self.charts(ui, live, settings, &with_data, &series_of, &mut commands),
                LiveSection::Statistics => {
                    let rows = live.stats_rows(settings.stats_whole_run);
                    stats_table(ui, &rows);
                    let total = rows.iter().find(|(task, _)| task.is_aggregated()).map(|(_, stats)| stats);
                    if let Some(line) = total.and_then(crate::report::lines::cancelled) {
                        ui.label(RichText::new(line).weak());
                    }
                    journeys_table(ui, live);
                    task_ratio(ui, live, settings.stats_whole_run);
                }
                LiveSection::Failures => failures_table(ui, live, settings.stats_whole_run),
            });
        // Whatever the view, the pointer seen this frame is the one the next frame draws (no
        // stale crosshair when the charts come back).
        self.cursor.end_frame();
        commands
    }

    fn charts<'a>(
        &mut self,
        ui: &mut egui::Ui,
        live: &'a LiveRun,
        settings: &Settings,
        with_data: &[&'static charts::ChartSpec],
        series_of: &dyn Fn(&charts::ChartSpec) -> &'a [SeriesPoint],
        commands: &mut Vec<AppCommand>,
    ) {
        // A saved or finished run is shown whole; a running one follows its last minutes.
        let whole_run = settings.charts_whole_run || !live.state.is_active();
        self.cursor.following = live.state.is_active();
        let window = self.cursor.window(TimeWindow::new(live.elapsed_secs(), whole_run, FOLLOW_SECS));
        let bands = live.bands();
        let view = self.task.as_ref().map(|task| (task.scenario, task.name.as_str()));
        let targets: Vec<TargetLine> = live.targets.iter().filter(|target| target.shown_for(view)).cloned().collect();
        let shown: Vec<&'static charts::ChartSpec> = with_data
            .iter()
            .copied()
            .filter(|spec| !settings.hidden_charts.contains(spec.id))
            .collect();
        // Room at the right for the last x tick's label, which is centred on the plot's edge.
        ui.set_max_width(ui.available_width() - RIGHT_TICK_ROOM);
        // After the run, a capacity search's answer leads, in the largest type on the tab.
        if let Some(record) = &live.record {
            for scenario in &record.scenarios {
                if let Some(sentence) = scenario.capacity_sentence() {
                    ui.label(
                        RichText::new(format!("{}: {sentence}", scenario.name))
                            .size(palette::CAPACITY_ANSWER_SIZE)
                            .strong(),
                    );
                }
            }
        }
        // A capacity search's curve comes first: each finished step by its load.
        let curves = live.capacity_curves();
        if !curves.is_empty() {
            let per_row = if ui.available_width() > 1000.0 { 2 } else { 1 };
            for row in curves.chunks(per_row) {
                ui.columns(per_row, |columns| {
                    for (ui, chart) in columns.iter_mut().zip(row) {
                        ui.label(egui::RichText::new(&chart.title).strong());
                        super::tables::chart(ui, chart, 200.0, 2.0, None);
                    }
                });
            }
            ui.add_space(4.0);
        }
        // Two charts a row on a wide window; on a tall one the charts share its height.
        let per_row = if ui.available_width() > 1000.0 { 2 } else { 1 };
        let rows = shown.len().div_ceil(per_row).max(1);
        let height = ((ui.available_height() / rows as f32) - 60.0).clamp(150.0, 320.0);
        for row in shown.chunks(per_row) {
            ui.columns(per_row, |columns| {
                for (ui, spec) in columns.iter_mut().zip(row) {
                    let title = match &self.task {
                        Some(task) if spec.per_task => format!("{} · {}", spec.title, task.label),
                        _ => spec.title.to_string(),
                    };
                    let series = series_of(spec);
                    let header = charts::chart_header(ui, &title);
                    let chart = charts::draw(
                        ui,
                        spec,
                        series,
                        &bands,
                        &targets,
                        window,
                        height,
                        !self.draw_every_point,
                        &mut self.cursor,
                    );
                    if header.save_png {
                        let picture = charts::picture(
                            spec,
                            title.clone(),
                            series.to_vec(),
                            bands.clone(),
                            targets.clone(),
                            window,
                            height,
                            chart.width(),
                        );
                        commands.push(AppCommand::SaveChartPng(picture));
                    }
                    if header.copy_data {
                        ui.ctx().copy_text(charts::chart_tsv(spec, series));
                    }
                }
            });
            ui.add_space(4.0);
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui, live: &LiveRun, commands: &mut Vec<AppCommand>) {
        let Some(snapshot) = &live.snapshot else { return };
        if live.state != RunState::Running {
            return;
        }
        // The boxes follow the load the engine runs (a new level, a capacity search's next
        // step, a change made elsewhere), except while the person is typing in one.
        let level = (snapshot.scenario_index, snapshot.level_index);
        let running = match snapshot.load {
            LoadModel::Closed { users, .. } => users.to_string(),
            LoadModel::Open { rate_per_sec, .. } => format!("{rate_per_sec}"),
        };
        let typing = ui.memory(|memory| memory.has_focus(egui::Id::unique(USERS_INPUT)) || memory.has_focus(egui::Id::unique(RATE_INPUT)));
        if self.inputs_for.as_ref() != Some(&(level, running.clone())) && !typing {
            match snapshot.load {
                LoadModel::Closed { .. } => self.users_input = running.clone(),
                LoadModel::Open { .. } => self.rate_input = running.clone(),
            }
            self.inputs_for = Some((level, running));
        }
        ui.horizontal(|ui| {
            let remaining = (snapshot.level_duration_secs - snapshot.level_elapsed_secs).max(0.0);
            ui.label(format!("{}: {:.0} s left in this level", snapshot.level_name, remaining));
            ui.separator();
            match snapshot.load {
                LoadModel::Closed { .. } => {
                    ui.label("Users");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.users_input)
                            .id(egui::Id::unique(USERS_INPUT))
                            .desired_width(60.0),
                    )
                    .accessible_name("Live users");
                    let parsed = self.users_input.trim().parse::<u32>().ok().filter(|users| *users > 0);
                    if ui.add_enabled(parsed.is_some(), egui::Button::new("Set users")).clicked()
                        && let Some(users) = parsed
                    {
                        commands.push(AppCommand::Engine(Command::SetUsers(users)));
                    }
                }
                LoadModel::Open { .. } => {
                    ui.label("Requests/s");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.rate_input)
                            .id(egui::Id::unique(RATE_INPUT))
                            .desired_width(60.0),
                    )
                    .accessible_name("Live rate");
                    let parsed = self
                        .rate_input
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|rate| rate.is_finite() && *rate > 0.0);
                    if ui.add_enabled(parsed.is_some(), egui::Button::new("Set rate")).clicked()
                        && let Some(rate) = parsed
                    {
                        commands.push(AppCommand::Engine(Command::SetRate(rate)));
                    }
                }
            }
            if snapshot.late_starts > 0 {
                ui.colored_label(
                    palette::WARN,
                    format!(
                        "{} requests could not start on time (generator or in-flight cap)",
                        snapshot.late_starts
                    ),
                );
            }
        });
    }

    fn preflight(&self, ui: &mut egui::Ui, live: &LiveRun) {
        if live.preflight.is_empty() && live.state != RunState::Preflight {
            return;
        }
        // Open while it runs and when it failed; a passing preflight folds away (a new header,
        // so the fold happens even if the person had opened it).
        let passed = !live.preflight.is_empty() && live.preflight.iter().all(|report| report.ok());
        let open = live.state == RunState::Preflight || !passed;
        egui::CollapsingHeader::new(if passed { "Preflight: every check passed" } else { "Preflight" })
            .id_salt(("preflight", open))
            .default_open(open)
            .show(ui, |ui| {
                if live.state == RunState::Preflight {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Checking service health…");
                    });
                }
                for report in &live.preflight {
                    let (mark, color) = if report.ok() {
                        ("ok", palette::PASS)
                    } else {
                        ("FAIL", palette::FAIL)
                    };
                    ui.colored_label(color, format!("{mark}  {}", report.describe()));
                }
                if live.state == (RunState::Checked { passed: false }) {
                    ui.label("No load was sent. Start the service (see each scenario's start hint) or fix its URL, then try again.");
                }
            });
    }
}

/// The Locust-style table: one row per task and an aggregated row (the same cells as the
/// terminal and the report).
fn stats_table(ui: &mut egui::Ui, rows: &[(TaskRow, TaskStats)]) {
    if rows.is_empty() {
        ui.label("No requests yet.");
        return;
    }
    // Copied as the per-task table copies (bare numbers, units in the headers).
    super::tables::copy_button(ui, "statistics", rows.len(), || {
        tsv::table(&Table::untitled(
            &STATS_COLUMNS,
            rows.iter()
                .map(|(task, stats)| stats_cells(stats_row(task.clone(), stats)))
                .collect(),
        ))
    });
    let table: Vec<_> = rows.iter().map(|(task, stats)| stats_row(task.clone(), stats)).collect();
    let shape = super::tables::GridShape::of_text(ui, STATS_COLUMNS.len(), 1, table.len(), [12.0, 2.0]);
    super::tables::pinned_grid(ui, "stats-table", shape, |ui, row, column| {
        if row == 0 {
            return ui.label(RichText::new(STATS_COLUMNS[column]).strong());
        }
        let row = &table[row - 1];
        let text = RichText::new(&row.cells[column]);
        ui.label(if row.task.is_aggregated() { text.strong() } else { text })
    });
}

/// The current level's journeys, end to end (the same cells as the terminal and the report),
/// when the scenario has journeys.
fn journeys_table(ui: &mut egui::Ui, live: &LiveRun) {
    let Some(snapshot) = live.snapshot.as_ref().filter(|snapshot| !snapshot.level_journeys.is_empty()) else {
        return;
    };
    ui.add_space(8.0);
    ui.label(RichText::new(format!("Journeys, end to end ({})", snapshot.level_name)).strong());
    let rows: Vec<Vec<Cell>> = snapshot
        .level_journeys
        .iter()
        .map(|(name, stats)| crate::report::tables::journey_cells(name, stats))
        .collect();
    let table = Table::untitled(&JOURNEY_COLUMNS, rows);
    super::tables::copy_button(ui, "journeys", table.rows.len(), || tsv::table(&table));
    super::tables::table_grid(ui, "journeys-table", &table, [12.0, 2.0]);
}

/// Locust's "current ratio": each task's share of the requests beside its share of the weights.
fn task_ratio(ui: &mut egui::Ui, live: &LiveRun, whole_run: bool) {
    let shares = live.task_ratio(whole_run);
    if shares.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Task ratio").strong());
    let percent = |value: Option<f64>| value.map(crate::format::percent).unwrap_or_else(|| "-".into());
    let table = Table::untitled(
        &["Task", "Requests", "Share of requests", "Share of weights"],
        shares
            .iter()
            .map(|share| {
                let share_cell = |value: Option<f64>| match value {
                    Some(value) => {
                        let (number, unit) = crate::measure::MetricUnit::Percent.copy(value);
                        Cell::number(percent(Some(value))).copy_as(number, unit)
                    }
                    None => Cell::number(percent(None)),
                };
                vec![
                    Cell::plain(&share.task),
                    Cell::number(share.requests.to_string()).copy_as(share.requests.to_string(), ""),
                    share_cell(share.observed_percent),
                    share_cell(share.planned_percent),
                ]
            })
            .collect(),
    );
    super::tables::copy_button(ui, "task ratio", table.rows.len(), || tsv::table(&table));
    super::tables::table_grid(ui, "task-ratio", &table, [12.0, 2.0]);
}

/// The Failures view's columns (Copy gives the same).
const FAILURE_COLUMNS: [&str; 5] = ["Count", "Scenario", "Task", "Kind", "Message"];

fn failures_table(ui: &mut egui::Ui, live: &LiveRun, whole_run: bool) {
    let rows = live.failure_rows(whole_run);
    if rows.is_empty() {
        let in_run = if whole_run {
            0
        } else {
            live.failure_rows(true).iter().map(|(_, row)| row.count).sum::<u64>()
        };
        if in_run > 0 {
            ui.label(format!(
                "No failures in the current level; {in_run} in the whole run (choose Whole run to see them)."
            ));
        } else {
            ui.label("No failures.");
        }
        return;
    }
    super::tables::copy_button(ui, "failures", rows.len(), || {
        tsv::table(&Table::untitled(
            &FAILURE_COLUMNS,
            rows.iter()
                .map(|(scenario, row)| {
                    vec![
                        Cell::number(row.count.to_string()),
                        Cell::plain(scenario),
                        Cell::plain(&row.task),
                        Cell::plain(row.kind.to_string()),
                        Cell::plain(&row.message),
                    ]
                })
                .collect(),
        ))
    });
    egui::Grid::new("failures-table").striped(true).spacing([12.0, 2.0]).show(ui, |ui| {
        for header in FAILURE_COLUMNS {
            ui.label(RichText::new(header).strong());
        }
        ui.end_row();
        for (scenario, row) in rows.iter().take(50) {
            ui.label(row.count.to_string());
            ui.label(scenario);
            ui.label(&row.task);
            ui.label(row.kind.to_string());
            ui.label(&row.message);
            ui.end_row();
        }
    });
    if rows.len() > 50 {
        ui.label(format!("… and {} more groups (all are in the run file)", rows.len() - 50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_run_keeps_the_adapter_and_the_redraw_rate() {
        let mut view = LiveView {
            adapter: Some(super::super::renderer::Adapter {
                name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
                software: true,
                api: "OpenGL".into(),
            }),
            pacing: Some(super::super::frame_pacer::Pacing {
                interval: std::time::Duration::from_millis(250),
                frame_cpu_secs: Some(0.035),
            }),
            ..LiveView::default()
        };
        view.reset_inputs();
        assert!(view.adapter.is_some(), "the adapter label went blank when a run started");
        assert!(view.pacing.is_some());
    }

    #[test]
    fn redraw_rates_read_in_words() {
        assert_eq!(redraw_rate_words(std::time::Duration::from_millis(250)), "4 times a second");
        assert_eq!(redraw_rate_words(std::time::Duration::from_millis(400)), "2.5 times a second");
        assert_eq!(redraw_rate_words(std::time::Duration::from_millis(2500)), "every 2.5 s");
    }
}
