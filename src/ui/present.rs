//! Presentation mode: one run (or runs under comparison) full screen for a room: big headline
//! numbers, each level's verdict as a badge, the main charts, and the comparison with the
//! baseline. Keys: Right/Left (or Space/Backspace) step through levels, Home shows them all,
//! Down/Up (or PageDown/PageUp) step through runs, Escape leaves.

use egui::{Color32, Key, RichText, Stroke};

use super::{palette, tables};
use crate::analysis::baseline::{DegradationRow, degradation_rows};
use crate::analysis::comparison::{Comparison, Measure, compare};
use crate::analysis::headline::{Headline, LevelHeadline, headline};
use crate::format;
use crate::report::catalogue::ChartKind;
use crate::report::charts::{ChartData, capacity_charts, run_charts};
use crate::report::tables::compared_cell;
use crate::run::RunRecord;

/// What presentation mode shows.
pub struct Presentation {
    /// The first run is the baseline the others are compared with.
    pub runs: Vec<RunRecord>,
    pub run_index: usize,
    /// The level in focus (index into the run's levels, all scenarios in order); None shows all.
    pub level: Option<usize>,
    headlines: Vec<Headline>,
    charts: Vec<Vec<ChartData>>,
    /// Per run: the comparison with the first run (None for the first itself).
    comparisons: Vec<Option<Comparison>>,
    /// Per run: each scenario's degradation against its single-user baseline (name, baseline
    /// p95, rows of all tasks together).
    degradations: Vec<Vec<(String, u64, Vec<DegradationRow>)>>,
}

impl Presentation {
    pub fn new(runs: Vec<RunRecord>) -> Presentation {
        let headlines = runs.iter().map(headline).collect();
        let charts = runs
            .iter()
            .map(|run| {
                run_charts(run)
                    .into_iter()
                    // A run of journeys leads with the journeys' end-to-end time.
                    .filter(|chart| {
                        let journeys = run
                            .scenarios
                            .iter()
                            .any(|scenario| scenario.levels.iter().any(|level| !level.journeys.is_empty()));
                        match chart.kind {
                            ChartKind::Throughput => true,
                            ChartKind::Latency => !journeys,
                            ChartKind::JourneyLatency => journeys,
                            _ => false,
                        }
                    })
                    // A capacity search shows its curve: latency by load.
                    .chain(
                        run.scenarios
                            .iter()
                            .flat_map(capacity_charts)
                            .filter(|chart| chart.kind == ChartKind::CapacityLatency),
                    )
                    .collect()
            })
            .collect();
        let comparisons = runs
            .iter()
            .enumerate()
            .map(|(index, run)| (index > 0).then(|| compare(&[&runs[0], run], 0)))
            .collect();
        let degradations = runs
            .iter()
            .map(|run| {
                run.scenarios
                    .iter()
                    .filter_map(|scenario| {
                        let baseline = scenario.baseline.as_ref()?;
                        let rows: Vec<DegradationRow> = degradation_rows(scenario, baseline)
                            .into_iter()
                            .filter(|row| row.task.is_aggregated())
                            .collect();
                        Some((scenario.name.clone(), baseline.total.p95_micros, rows))
                    })
                    .collect()
            })
            .collect();
        Presentation {
            runs,
            run_index: 0,
            level: None,
            headlines,
            charts,
            comparisons,
            degradations,
        }
    }

    fn level_count(&self) -> usize {
        self.headlines
            .get(self.run_index)
            .map(|headline| headline.levels.len())
            .unwrap_or(0)
    }

    /// Steps to the next level (from the overview: the first).
    pub fn next_level(&mut self) {
        let count = self.level_count();
        self.level = match self.level {
            None if count > 0 => Some(0),
            Some(level) if level + 1 < count => Some(level + 1),
            other => other,
        };
    }

    /// Steps back a level (from the first: the overview).
    pub fn previous_level(&mut self) {
        self.level = match self.level {
            Some(0) | None => None,
            Some(level) => Some(level - 1),
        };
    }

    pub fn next_run(&mut self) {
        if self.run_index + 1 < self.runs.len() {
            self.run_index += 1;
            self.level = None;
        }
    }

    pub fn previous_run(&mut self) {
        if self.run_index > 0 {
            self.run_index -= 1;
            self.level = None;
        }
    }

    /// Reads the keys; returns true when the person asked to leave.
    pub fn handle_keys(&mut self, ctx: &egui::Context) -> bool {
        let pressed = |key: Key| ctx.input_mut(|input| input.consume_key(egui::Modifiers::NONE, key));
        if pressed(Key::ArrowRight) || pressed(Key::Space) {
            self.next_level();
        }
        if pressed(Key::ArrowLeft) || pressed(Key::Backspace) {
            self.previous_level();
        }
        if pressed(Key::Home) {
            self.level = None;
        }
        if pressed(Key::ArrowDown) || pressed(Key::PageDown) {
            self.next_run();
        }
        if pressed(Key::ArrowUp) || pressed(Key::PageUp) {
            self.previous_run();
        }
        pressed(Key::Escape)
    }

    /// Draws the whole window; returns true when the person clicked to leave.
    pub fn show(&mut self, ui: &mut egui::Ui) -> bool {
        let mut leave = false;
        let Some(run) = self.runs.get(self.run_index) else { return true };
        let headline = &self.headlines[self.run_index];
        ui.painter().rect_filled(ui.max_rect(), 0.0, palette::PRESENT_BACKGROUND);
        ui.visuals_mut().override_text_color = Some(palette::PRESENT_TEXT);
        ui.horizontal(|ui| {
            ui.label(RichText::new(run.display_name()).size(40.0).strong());
            ui.add_space(16.0);
            ui.label(
                RichText::new(format!("{} · {}", format::started_at(&run.started_at), run.preset.name))
                    .size(22.0)
                    .color(palette::PRESENT_MUTED),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                leave = ui.button(RichText::new("Exit (Esc)").size(20.0)).clicked();
                if self.runs.len() > 1 {
                    ui.label(
                        RichText::new(format!("Run {} of {} (Up/Down)", self.run_index + 1, self.runs.len()))
                            .size(20.0)
                            .color(palette::PRESENT_MUTED),
                    );
                }
                ui.label(
                    RichText::new("Left/Right: levels · Home: all")
                        .size(20.0)
                        .color(palette::PRESENT_MUTED),
                );
            });
        });
        let clicked = egui::ScrollArea::vertical()
            .id_salt("present")
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.add_space(8.0);
                let focus = self.level.and_then(|level| headline.levels.get(level));
                let several_scenarios = run.scenarios.len() > 1;
                let place = |level: &LevelHeadline| {
                    if several_scenarios {
                        format!("{} / {}", level.scenario, level.label)
                    } else {
                        level.label.clone()
                    }
                };
                big_numbers(ui, headline, focus, &place);
                ui.add_space(8.0);
                // The verdict of each level as a badge with its p95: a row per scenario, badges of one
                // width so they line up and wrap onto further rows instead of squeezing.
                // A row of badges per scenario (each badge names its scenario and level).
                let mut clicked = None;
                let mut start = 0;
                while start < headline.levels.len() {
                    let scenario = &headline.levels[start].scenario;
                    let end = headline.levels[start..]
                        .iter()
                        .position(|level| &level.scenario != scenario)
                        .map_or(headline.levels.len(), |offset| start + offset);
                    let per_row = ((ui.available_width() / BADGE_WIDTH) as usize).max(1);
                    for chunk in (start..end).collect::<Vec<_>>().chunks(per_row) {
                        ui.horizontal(|ui| {
                            for &index in chunk {
                                if badge(
                                    ui,
                                    &headline.levels[index],
                                    &place(&headline.levels[index]),
                                    self.level == Some(index),
                                ) {
                                    clicked = Some(index);
                                }
                            }
                        });
                    }
                    start = end;
                }
                if let Some(level) = focus
                    && !level.failed_targets.is_empty()
                {
                    ui.label(
                        RichText::new(format!("Failed: {}", level.failed_targets.join(", ")))
                            .size(22.0)
                            .color(palette::PRESENT_FAILED_TARGETS),
                    );
                }
                ui.add_space(6.0);
                self.comparison_line(ui);
                ui.add_space(6.0);
                let charts = &self.charts[self.run_index];
                // The charts share what is left of the screen (a title line each); on a small screen
                // they keep a readable height and the page scrolls.
                let height = ((ui.available_height() - 36.0 * charts.len() as f32) / charts.len().max(1) as f32).clamp(140.0, 400.0);
                for chart in charts {
                    ui.label(RichText::new(&chart.title).size(22.0).strong());
                    tables::chart(ui, chart, height, 3.0, self.level);
                }
                clicked
            })
            .inner;
        if clicked.is_some() {
            self.level = clicked;
        }
        leave
    }

    /// The comparison with the baseline for the level in focus (or every level): against the
    /// first run when several are shown, else against the run's single-user baseline.
    fn comparison_line(&self, ui: &mut egui::Ui) {
        let focus = self.level.and_then(|level| self.headlines[self.run_index].levels.get(level));
        if let Some(comparison) = &self.comparisons[self.run_index] {
            let rows = comparison.rows.iter().filter(|row| {
                row.task.is_aggregated() && focus.is_none_or(|level| row.scenario == level.scenario && row.level == level.level)
            });
            ui.label(
                RichText::new(format!("Against {} (baseline)", self.runs[0].display_name()))
                    .size(22.0)
                    .color(palette::PRESENT_MUTED),
            );
            for row in rows.take(6) {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{} / {}:", row.scenario, row.level_name)).size(20.0));
                    for measure in [Measure::P95, Measure::ErrorRate, Measure::Rps] {
                        let cell = compared_cell(measure, row.cells[0].as_ref(), row.cells[1].as_ref());
                        ui.label(
                            RichText::new(format!("{} ", measure.label()))
                                .size(20.0)
                                .color(palette::PRESENT_MUTED),
                        );
                        tables::cell(ui, &cell, Some(20.0));
                    }
                });
            }
            return;
        }
        for (scenario, baseline_p95_micros, all_rows) in &self.degradations[self.run_index] {
            let rows: Vec<&DegradationRow> = all_rows
                .iter()
                .filter(|row| focus.is_none_or(|level| &level.scenario == scenario && level.level == row.level))
                .collect();
            if rows.is_empty() {
                continue;
            }
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "p95 against the single-user baseline ({}):",
                        format::micros(*baseline_p95_micros as f64)
                    ))
                    .size(20.0)
                    .color(palette::PRESENT_MUTED),
                );
                for row in rows {
                    let text = match (row.degradation_percent, row.limit_percent) {
                        (Some(value), Some(limit)) => format!(
                            "{} {} (limit {})",
                            row.level_name,
                            format::whole_change_percent(value),
                            format::whole_percent(limit)
                        ),
                        (Some(value), None) => format!("{} {}", row.level_name, format::whole_change_percent(value)),
                        _ => continue,
                    };
                    let color = match row.passed {
                        Some(true) => palette::PRESENT_PASS_TEXT,
                        Some(false) => palette::PRESENT_FAIL_TEXT,
                        None => palette::PRESENT_TEXT,
                    };
                    ui.label(RichText::new(text).size(20.0).strong().color(color));
                }
            });
        }
    }
}

/// The three numbers a room reads first: the worst failure (or the capacity, or the peak
/// within targets), the p95 and the error rate, of the level in `focus` or the whole run.
fn big_numbers(ui: &mut egui::Ui, headline: &Headline, focus: Option<&LevelHeadline>, place: &dyn Fn(&LevelHeadline) -> String) {
    ui.columns(3, |columns| {
        let peak = match &headline.peak_rps_within_targets {
            Some((rps, label)) => (format::req_rate(*rps), format!("peak within targets, {label}")),
            None => ("-".to_string(), "no level held all its targets".to_string()),
        };
        // What a room must hear first: the worst miss when anything failed.
        match &headline.worst_failure {
            Some(worst) => {
                let task = worst.task.as_ref().map(|task| format!(" ({task})")).unwrap_or_default();
                big_number_toned(
                    &mut columns[0],
                    &worst.observed,
                    &format!(
                        "FAILED {}{task}: limit {} at {} / {}",
                        worst.target, worst.limit, worst.scenario, worst.level_label
                    ),
                    palette::PRESENT_FAIL_TEXT,
                );
            }
            None => match &headline.capacity {
                Some(capacity) if capacity.passed => big_number(&mut columns[0], &capacity.found, &capacity.label),
                Some(capacity) => big_number_toned(&mut columns[0], &capacity.found, &capacity.label, palette::PRESENT_FAIL_TEXT),
                None => big_number(&mut columns[0], &peak.0, &peak.1),
            },
        }
        let lead = LevelHeadline::lead_p95;
        let (p95, p95_label) = match focus {
            Some(level) => {
                let (micros, what) = lead(level);
                (
                    micros.map(|micros| format::micros(micros as f64)).unwrap_or_else(|| "-".into()),
                    format!("{what} at {}", place(level)),
                )
            }
            None if headline.worst_failure.is_some() => peak,
            None => {
                let last = headline.levels.iter().rev().find(|level| lead(level).0.is_some());
                (
                    last.and_then(|level| lead(level).0)
                        .map(|micros| format::micros(micros as f64))
                        .unwrap_or_else(|| "-".into()),
                    last.map(|level| format!("{} at {}", lead(level).1, place(level)))
                        .unwrap_or_default(),
                )
            }
        };
        big_number(&mut columns[1], &p95, &p95_label);
        let (errors, errors_label) = match focus {
            Some(level) => (
                format::error_percent(level.error_rate_percent),
                format!("errors at {}", place(level)),
            ),
            None => (
                format::error_percent(headline.error_rate_percent),
                format!("errors over {} requests", headline.requests),
            ),
        };
        big_number(&mut columns[2], &errors, &errors_label);
    });
}

/// Room for one level badge (its frame plus the gap after it).
const BADGE_WIDTH: f32 = 330.0;

/// One level's verdict as a coloured badge (the word says it too); true when clicked.
/// `label` names the level (with its scenario when the run has several).
fn badge(ui: &mut egui::Ui, level: &LevelHeadline, label: &str, focused: bool) -> bool {
    let (fill, word) = match level.passed {
        Some(true) => (palette::BADGE_PASS, "PASS"),
        Some(false) => (palette::BADGE_FAIL, "FAIL"),
        None => (palette::BADGE_NONE, "no targets"),
    };
    let (micros, what) = level.lead_p95();
    let p95 = micros.map(|micros| format::micros(micros as f64)).unwrap_or_else(|| "-".into());
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(12, 6))
        .stroke(if focused {
            Stroke::new(4.0, palette::PRESENT_TEXT)
        } else {
            Stroke::NONE
        })
        .show(ui, |ui| {
            ui.set_width(BADGE_WIDTH - 40.0);
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            ui.vertical(|ui| {
                ui.label(RichText::new(label).size(18.0).color(Color32::WHITE));
                ui.label(
                    RichText::new(format!("{word} · {what} {p95}"))
                        .size(22.0)
                        .strong()
                        .color(Color32::WHITE),
                );
            });
        })
        .response
        .interact(egui::Sense::click())
        .on_hover_text(label)
        .clicked()
}

fn big_number(ui: &mut egui::Ui, value: &str, label: &str) {
    big_number_toned(ui, value, label, palette::PRESENT_TEXT);
}

fn big_number_toned(ui: &mut egui::Ui, value: &str, label: &str, color: Color32) {
    egui::Frame::new()
        .fill(palette::PRESENT_PANEL)
        .corner_radius(10.0)
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.label(RichText::new(value).size(56.0).strong().color(color));
            ui.label(RichText::new(label).size(20.0).color(palette::PRESENT_MUTED));
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_through_levels_and_runs() {
        let run: RunRecord = serde_json::from_str(include_str!("../../tests/fixtures/ui-run.json")).expect("fixture");
        let levels: usize = run.scenarios.iter().map(|scenario| scenario.levels.len()).sum();
        assert!(levels >= 2, "the fixture has levels to step through");
        let mut presentation = Presentation::new(vec![run.clone(), run]);
        assert_eq!(presentation.level, None, "starts on the overview");
        presentation.next_level();
        assert_eq!(presentation.level, Some(0));
        for _ in 0..levels + 3 {
            presentation.next_level();
        }
        assert_eq!(presentation.level, Some(levels - 1), "stops at the last level");
        presentation.previous_level();
        assert_eq!(presentation.level, Some(levels - 2));
        presentation.next_run();
        assert_eq!((presentation.run_index, presentation.level), (1, None));
        presentation.next_run();
        assert_eq!(presentation.run_index, 1, "stops at the last run");
        presentation.previous_run();
        assert_eq!(presentation.run_index, 0);
    }
}
