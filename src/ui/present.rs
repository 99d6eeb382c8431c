//! Presentation mode: one run (or runs under comparison) full screen for a room: big headline
//! numbers, each level's verdict as a badge, the main charts, and the comparison with the
//! baseline. Keys: Right/Left (or Space/Backspace) step through levels, Home shows them all,
//! Down/Up (or PageDown/PageUp) step through runs, Escape leaves.

use egui::{Color32, Key, RichText, Stroke};

use super::{palette, tables};
use crate::analysis::baseline::{DegradationRow, degradation_rows};
use crate::analysis::comparison::{Change, Comparison, Measure, compare, delta};
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
        // F11: the window's own full screen (the viewport's, which a window manager honours),
        // off and on again; Present starts in it.
        if pressed(Key::F11) {
            let fullscreen = ctx.input(|input| input.viewport().fullscreen.unwrap_or(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(!fullscreen));
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
                // The verdict of each level as a badge (each names its scenario and level), as
                // many to a row as the width holds, all of one width so they line up.
                let mut clicked = None;
                let per_row = ((ui.available_width() / BADGE_MIN_WIDTH) as usize).clamp(1, headline.levels.len().max(1));
                let badge_width = (ui.available_width() / per_row as f32).max(BADGE_MIN_WIDTH.min(ui.available_width()));
                for chunk in (0..headline.levels.len()).collect::<Vec<_>>().chunks(per_row) {
                    ui.horizontal(|ui| {
                        for &index in chunk {
                            let level = &headline.levels[index];
                            if badge(ui, level, &place(level), self.level == Some(index), badge_width) {
                                clicked = Some(index);
                            }
                        }
                    });
                }
                if let Some(level) = focus
                    && !level.failed.is_empty()
                {
                    let sentences: Vec<String> = level.failed.iter().map(|failed| failed.sentence.clone()).collect();
                    ui.label(
                        RichText::new(format!("Failed: {}", sentences.join("; ")))
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
                // Axis text a room can read from the back (egui_plot draws it in the body style).
                ui.style_mut()
                    .text_styles
                    .insert(egui::TextStyle::Body, egui::FontId::proportional(PRESENT_AXIS_TEXT));
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
            // What changed (better, worse, or where the runs cannot be told apart), row by
            // row; every measure with no clear change is counted in one line after.
            let mut unchanged = 0;
            let mut shown_rows = 0;
            // Levels with a change beyond the six shown: counted, never dropped in silence.
            let mut more_changed = 0;
            for row in rows {
                let mut told = Vec::new();
                for measure in Measure::ALL {
                    let (base, cell) = (row.cells[0].as_ref(), row.cells[1].as_ref());
                    let Some(change) = base.zip(cell).and_then(|(base, cell)| delta(measure, base, cell)) else {
                        continue;
                    };
                    if change.change == Change::Same {
                        unchanged += 1;
                    } else {
                        told.push((measure, compared_cell(measure, base, cell)));
                    }
                }
                if told.is_empty() {
                    continue;
                }
                if shown_rows == 6 {
                    more_changed += 1;
                    continue;
                }
                shown_rows += 1;
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{} / {}:", row.scenario, row.level_name)).size(20.0));
                    for (measure, cell) in &told {
                        ui.label(
                            RichText::new(format!("{} ", measure.label()))
                                .size(20.0)
                                .color(palette::PRESENT_MUTED),
                        );
                        tables::cell(ui, cell, Some(20.0));
                    }
                });
            }
            if more_changed > 0 {
                ui.label(
                    RichText::new(format!(
                        "{more_changed} more level(s) changed: focus a level (Left/Right) or see Compare"
                    ))
                    .size(20.0),
                );
            }
            let unchanged_line = match (shown_rows, unchanged) {
                (_, 0) => None,
                (0, count) => Some(format!("No clear change in any of the {count} measures compared")),
                (_, 1) => Some("1 other measure: no clear change".to_string()),
                (_, count) => Some(format!("{count} other measures: no clear change")),
            };
            if let Some(line) = unchanged_line {
                ui.label(RichText::new(line).size(20.0).color(palette::PRESENT_MUTED));
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
            Some(worst) => big_number_toned(
                &mut columns[0],
                &worst.words.observed,
                &worst.sentence(),
                palette::PRESENT_FAIL_TEXT,
            ),
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

/// The size of the charts' axis text in Present (at least 14 px, for a room).
pub(crate) const PRESENT_AXIS_TEXT: f32 = 16.0;

/// The least room for one level badge (its frame plus the gap after it); badges share out the
/// width beyond it.
const BADGE_MIN_WIDTH: f32 = 330.0;

/// One level's verdict as a coloured badge (the word says it too); true when clicked.
/// `label` names the level (with its scenario when the run has several).
fn badge(ui: &mut egui::Ui, level: &LevelHeadline, label: &str, focused: bool, width: f32) -> bool {
    let (fill, word) = match level.passed {
        Some(true) => (palette::BADGE_PASS, "PASS"),
        Some(false) => (palette::BADGE_FAIL, "FAIL"),
        None => (palette::BADGE_NONE, "no targets"),
    };
    // A failing badge shows what failed (its furthest miss), not a p95 that may have held.
    let shown = match level.failed.first() {
        Some(failed) => format!("{} {}", failed.measure, failed.observed),
        None => {
            let (micros, what) = level.lead_p95();
            let p95 = micros
                .map(|micros| format::micros_words(micros as f64))
                .unwrap_or_else(|| "-".into());
            format!("{what} {p95}")
        }
    };
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
            ui.set_width(width - 40.0);
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            ui.vertical(|ui| {
                ui.label(RichText::new(label).size(18.0).color(Color32::WHITE));
                ui.label(RichText::new(format!("{word} · {shown}")).size(22.0).strong().color(Color32::WHITE));
            });
        })
        .response
        .interact(egui::Sense::click())
        .on_hover_text(badge_hover(level, label))
        .clicked()
}

/// What a badge's colour means, in words: every miss of a failing level, or why a grey one has
/// no verdict.
pub(crate) fn badge_hover(level: &LevelHeadline, label: &str) -> String {
    match level.passed {
        Some(true) => format!("{label}: every target held"),
        Some(false) => {
            let sentences: Vec<String> = level.failed.iter().map(|failed| failed.sentence.clone()).collect();
            format!("{label} failed:\n{}", sentences.join("\n"))
        }
        None => format!(
            "{label}: no verdict, because no target checks this level. Add targets to the scenario \
             (Editor > Targets, or [[scenario.target]] in the preset) to judge it."
        ),
    }
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
            // Left-aligned, never justified: a column's justified layout would spread a
            // wrapped line's letters across the width.
            ui.vertical(|ui| {
                ui.label(RichText::new(value).size(56.0).strong().color(color));
                ui.label(RichText::new(label).size(20.0).color(palette::PRESENT_MUTED));
            });
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
