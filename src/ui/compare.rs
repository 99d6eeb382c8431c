//! Two or more saved runs laid side by side: the baseline and alignment the person picks, the
//! overlay charts and the delta table (computed when those change, not every frame).

use std::path::PathBuf;

use egui::RichText;

use super::chart_png::ChartPicture;
use super::command::AppCommand;
use super::tables;
use super::tables::verdict_label;
use crate::analysis::comparison::{Align, Comparison, compare_with_spreads, run_label};
use crate::report::charts::{ChartData, overlay_charts};
use crate::report::tables::{comparison_summary_table, comparison_table};
use crate::run::RunRecord;

/// What the comparison asks of the Runs tab.
pub(super) enum CompareAction {
    Back,
    /// An HTML report of `first` compared with `others`.
    Export {
        first: PathBuf,
        others: Vec<PathBuf>,
    },
}

/// Runs laid side by side.
pub struct CompareView {
    pub runs: Vec<(PathBuf, RunRecord)>,
    /// Each run's repeat spread, where it has one (the comparison's noise then).
    spreads: Vec<Option<crate::analysis::spread::Spread>>,
    pub baseline: usize,
    pub align: Align,
    /// The table and overlay charts for `shown_for` (baseline, alignment), computed when those
    /// change rather than every frame.
    shown_for: Option<(usize, Align)>,
    comparison: Option<Comparison>,
    charts: Vec<ChartData>,
}

impl CompareView {
    /// Runs side by side, the oldest (by start time) the baseline: a comparison asks what
    /// changed since.
    pub(super) fn new(runs: Vec<(PathBuf, RunRecord)>, spreads: Vec<Option<crate::analysis::spread::Spread>>) -> CompareView {
        let baseline = runs
            .iter()
            .enumerate()
            .min_by(|(_, (_, a)), (_, (_, b))| a.started_at.cmp(&b.started_at))
            .map(|(index, _)| index)
            .unwrap_or(0);
        CompareView {
            runs,
            spreads,
            baseline,
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
        let comparison = compare_with_spreads(&records, self.baseline, &self.spreads);
        let labels: Vec<String> = comparison
            .runs
            .iter()
            .zip(&records)
            .map(|(column, run)| format!("{}: {}", column.letter, run_label(run)))
            .collect();
        self.charts = overlay_charts(&records, &labels, self.align);
        self.comparison = Some(comparison);
        self.shown_for = Some((self.baseline, self.align));
    }

    /// Draws the comparison; returns what the Runs tab should do about it.
    pub(super) fn show(&mut self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) -> Option<CompareAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            if ui.button("Back to runs").clicked() {
                action = Some(CompareAction::Back);
            }
            ui.heading(format!("Comparing {} runs", self.runs.len()));
            ui.separator();
            ui.label("Baseline:");
            for (index, (_, run)) in self.runs.iter().enumerate() {
                let letter = crate::analysis::comparison::column_letter(index);
                ui.radio_value(&mut self.baseline, index, format!("{letter}: {}", run_label(run)));
            }
            ui.separator();
            ui.selectable_value(&mut self.align, Align::ByLevel, "Align by level");
            ui.selectable_value(&mut self.align, Align::Elapsed, "Elapsed time");
            ui.separator();
            if ui.button("Present comparison").clicked() {
                let mut runs: Vec<RunRecord> = self.runs.iter().map(|(_, run)| run.clone()).collect();
                let baseline = runs.remove(self.baseline);
                runs.insert(0, baseline);
                commands.push(AppCommand::Present(runs));
            }
            if ui.button("Comparison report (HTML)").clicked() {
                let mut others: Vec<PathBuf> = self.runs.iter().map(|(path, _)| path.clone()).collect();
                let first = others.remove(self.baseline);
                action = Some(CompareAction::Export { first, others });
            }
        });
        self.refresh();
        let Some(comparison) = &self.comparison else { return action };
        let mut png = None;
        egui::ScrollArea::both().id_salt("compare").show(ui, |ui| {
            for (index, run) in comparison.runs.iter().enumerate() {
                let role = if index == comparison.baseline { " (baseline)" } else { "" };
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("{}{role}", run.letter)).strong());
                    ui.label(run_label(&self.runs[index].1));
                    verdict_label(ui, run.passed);
                });
            }
            for chart in &self.charts {
                let header = super::charts::chart_header(ui, &chart.title);
                let plot = tables::chart(ui, chart, 150.0, 1.5, None);
                if header.save_png {
                    let data = chart.clone();
                    png = Some(ChartPicture::new(chart.id.clone(), plot.width(), move |ui| {
                        ui.label(RichText::new(&data.title).strong());
                        tables::chart(ui, &data, 150.0, 1.5, None);
                    }));
                }
                if header.copy_data {
                    let lines: Vec<(String, Vec<[f64; 2]>)> =
                        chart.lines.iter().map(|line| (line.name.clone(), line.points.clone())).collect();
                    ui.ctx()
                        .copy_text(crate::report::tsv::chart(&format!("second (values in {})", chart.unit), &lines));
                }
            }
            ui.add_space(6.0);
            tables::table(ui, "comparison-summary", &comparison_summary_table(comparison));
            egui::CollapsingHeader::new("Every task and measure")
                .id_salt("comparison-details")
                .show(ui, |ui| tables::table(ui, "comparison-table", &comparison_table(comparison)));
        });
        if let Some(picture) = png {
            commands.push(AppCommand::SaveChartPng(picture));
        }
        action
    }
}
