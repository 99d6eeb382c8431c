//! The Editor tab: forms for the selected scenario (service or services, tasks, journeys,
//! levels, targets; the services and journeys forms are `journey_forms`) beside
//! the preset's TOML, both editing the same [`PresetDocument`], with validation messages at
//! their lines. Secrets stay as written (`${VAR}`): nothing here expands them.

use std::sync::Arc;

use egui::{FontId, RichText, TextEdit};
use toml_edit::Table;

use super::document::PresetDocument;
use super::fields;
use super::form_cells::{
    CHAT_FIELDS, HTTP_FIELDS, Kind, MCP_FIELDS, TablePath, TaskField, apply_row_edit, cell, field_row, hint, kind_row, labelled, lookup,
    lookup_mut, new_row, read, row_buttons, row_count,
};
use super::palette;
use crate::measure::TargetExpr;

/// The Editor tab's own state: which scenario the forms show and the TOML view's text.
#[derive(Default)]
pub(crate) struct EditorState {
    pub scenario: usize,
    toml_buffer: String,
    toml_revision: Option<u64>,
    /// The scenario the TOML view last scrolled to.
    toml_scrolled_to: Option<usize>,
    /// Each scenario's levels set aside while a capacity search replaces them (the editor's
    /// state is new for each preset opened, so they never go into another preset).
    stashed_levels: std::collections::HashMap<usize, toml_edit::Item>,
}

impl EditorState {
    /// The scenario names of the open preset, for the library panel.
    pub(crate) fn scenario_names(&self, document: &PresetDocument) -> Vec<String> {
        let Ok(doc) = document.document() else { return Vec::new() };
        fields::array(doc.as_table(), "scenario")
            .map(|rows| {
                rows.iter()
                    .enumerate()
                    .map(|(index, row)| {
                        let name = fields::text(row, "name");
                        if name.is_empty() { format!("Scenario {}", index + 1) } else { name }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn show(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument) {
        /// The width of the levels table with its row buttons (Up, Down, Copy, Remove).
        const FORMS_MIN_WIDTH: f32 = 730.0;
        // While the text does not parse there are no scenarios to count: the selection waits
        // for the fix rather than falling back to the first.
        let scenarios = self.scenario_names(document).len();
        if document.document().is_ok() && self.scenario >= scenarios {
            self.scenario = scenarios.saturating_sub(1);
        }
        ui.horizontal(|ui| {
            ui.heading(document.title());
            ui.label(RichText::new(document.source_name()).weak());
            if document.is_dirty() {
                ui.label(RichText::new("unsaved changes").italics());
            }
        });
        // The TOML on the right (resizable), the forms in the rest: they scroll both ways
        // rather than spill under the TOML when the window is narrow.
        // The forms keep the room their widest table (the levels, with each row's buttons)
        // needs where the window allows; the TOML takes 40% of a large window.
        let widest = (ui.available_width() - FORMS_MIN_WIDTH).max(320.0);
        let toml_width = (ui.available_width() * 0.4).min(widest);
        egui::Panel::right("toml-panel")
            .resizable(true)
            .default_size(toml_width)
            .max_size(widest)
            .show(ui, |ui| self.toml_view(ui, document));
        egui::CentralPanel::no_frame().show(ui, |ui| {
            egui::ScrollArea::both().id_salt("forms").show(ui, |ui| {
                self.forms(ui, document, scenarios);
            });
        });
    }

    fn forms(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenarios: usize) {
        if let Err(why) = document.document() {
            ui.colored_label(
                palette::FAIL,
                format!(
                    "The TOML does not parse, so the forms are paused until it does: {}",
                    first_line(&why.to_string())
                ),
            );
            return;
        }
        egui::Grid::new("preset-fields").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
            labelled(ui, document, TablePath::Root, "name", "Preset name", Kind::Text, 280.0);
            labelled(ui, document, TablePath::Root, "description", "Description", Kind::Text, 280.0);
        });
        egui::CollapsingHeader::new("Monitors")
            .default_open(false)
            .show(ui, |ui| self.monitors(ui, document));
        if scenarios == 0 {
            ui.label("This preset has no [[scenario]] yet: add one in the TOML view.");
            return;
        }
        let index = self.scenario;
        ui.separator();
        ui.heading(format!("Scenario {} of {scenarios}", index + 1));
        egui::Grid::new("scenario-fields")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                labelled(ui, document, TablePath::Scenario(index), "name", "Scenario name", Kind::Text, 280.0);
                labelled(
                    ui,
                    document,
                    TablePath::Scenario(index),
                    "think_time",
                    "Think time",
                    Kind::Toml,
                    280.0,
                );
                labelled(ui, document, TablePath::Scenario(index), "timeout", "Timeout", Kind::Text, 120.0);
                labelled(ui, document, TablePath::Scenario(index), "baseline", "Baseline", Kind::Toml, 280.0);
                labelled(
                    ui,
                    document,
                    TablePath::Scenario(index),
                    "objectives",
                    "Objectives",
                    Kind::Toml,
                    280.0,
                );
            });
        ui.label(
            RichText::new("Baseline: what degradation targets compare with, { scenario = \"an earlier scenario\" } or { run = \"a saved run file\" }.")
                .small()
                .weak(),
        );
        ui.label(
            RichText::new("Objectives: what one request must meet to count toward goodput, e.g. { ttft = \"500ms\", itl = \"50ms\", latency = \"10s\" }.")
                .small()
                .weak(),
        );
        if let Some(names) = super::journey_forms::service_names(document, index) {
            egui::CollapsingHeader::new("Services")
                .default_open(true)
                .show(ui, |ui| super::journey_forms::services(ui, document, index, &names));
        } else {
            self.service(ui, document, index);
        }
        egui::CollapsingHeader::new("Tasks")
            .default_open(true)
            .show(ui, |ui| self.tasks(ui, document, index));
        egui::CollapsingHeader::new("Journeys")
            .default_open(row_count(document, index, "journey") > 0)
            .show(ui, |ui| super::journey_forms::journeys(ui, document, index));
        egui::CollapsingHeader::new("Levels")
            .default_open(true)
            .show(ui, |ui| self.levels_or_capacity(ui, document, index));
        egui::CollapsingHeader::new("Targets")
            .default_open(true)
            .show(ui, |ui| self.targets(ui, document, index));
    }

    /// The single `[scenario.service]`.
    fn service(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, index: usize) {
        egui::CollapsingHeader::new("Service").default_open(true).show(ui, |ui| {
            egui::Grid::new("service-fields").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
                let service = TablePath::Service(index);
                labelled(ui, document, service, "base_url", "Base URL", Kind::Text, 280.0);
                labelled(ui, document, service, "health_path", "Health path", Kind::Text, 200.0);
                labelled(ui, document, service, "health_status", "Health status", Kind::Number, 60.0);
                labelled(ui, document, service, "start_hint", "Start hint", Kind::Text, 280.0);
                labelled(ui, document, service, "headers", "Headers", Kind::Toml, 280.0);
            });
            ui.label(RichText::new("Headers are a TOML table; write secrets as ${VAR}: they are read from the environment when the run starts and never shown or saved.").small().weak());
        });
    }

    fn monitors(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument) {
        let path = TablePath::Monitors;
        ui.horizontal(|ui| {
            for (key, label) in [("gpu", "Sample GPUs (NVML)"), ("host", "Sample this machine")] {
                let mut on = read(document, path, key) != "false";
                if ui.checkbox(&mut on, label).changed() {
                    document.edit(|doc| {
                        if let Some(table) = lookup_mut(doc, path) {
                            fields::set_bool(table, key, (!on).then_some(false));
                        }
                    });
                }
            }
        });
        egui::Grid::new("monitor-fields").num_columns(2).spacing([8.0, 4.0]).show(ui, |ui| {
            labelled(ui, document, path, "interval", "Interval", Kind::Text, 80.0);
            labelled(ui, document, path, "containers", "Containers", Kind::Toml, 320.0);
            labelled(ui, document, path, "prometheus", "Prometheus", Kind::Toml, 320.0);
        });
        ui.label(
            RichText::new(
                "Containers: { name = \"vllm|gateway\" } (a regular expression) or { compose_project = \"stack\" }; {} watches all. Prometheus: [{ url = \"http://localhost:8000/metrics\", metrics = [\"vllm:num_requests_waiting\"] }]. Targets: gpu_util_max < 95%, gpu_mem_max < 95%, container_cpu_max < 90%, host_cpu_max < 90%.",
            )
            .small()
            .weak(),
        );
    }

    fn tasks(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
        let count = row_count(document, scenario, "task");
        let has_services = super::journey_forms::service_names(document, scenario).is_some();
        let mut edit = None;
        for task in 0..count {
            let path = TablePath::Task(scenario, task);
            let name = read(document, path, "name");
            let kind = {
                let kind = read(document, path, "kind");
                if kind.is_empty() { "http".to_string() } else { kind }
            };
            let title = format!("Task {}: {name} ({kind})", task + 1);
            egui::CollapsingHeader::new(title).id_salt(("task", scenario, task)).show(ui, |ui| {
                ui.horizontal(|ui| {
                    row_buttons(ui, &format!("task {}", task + 1), task, count, &mut edit);
                });
                egui::Grid::new(("task-fields", task))
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        let label = |field: &str| format!("Task {} {field}", task + 1);
                        field_row(ui, document, path, "name", &label("name"), "Name", Kind::Text, 240.0, "");
                        let chosen = kind_row(ui, document, path, &kind, ("task-kind", task), &label("kind"));
                        field_row(
                            ui,
                            document,
                            path,
                            "weight",
                            &label("weight"),
                            "Weight",
                            Kind::Number,
                            60.0,
                            hint("weight", ""),
                        );
                        if has_services {
                            field_row(ui, document, path, "service", &label("service"), "Service", Kind::Text, 140.0, "");
                        }
                        let fields: &[TaskField] = match chosen.as_str() {
                            "chat" => &CHAT_FIELDS,
                            "mcp" => &MCP_FIELDS,
                            _ => &HTTP_FIELDS,
                        };
                        for &(key, words, title, kind, width) in fields {
                            field_row(ui, document, path, key, &label(words), title, kind, width, hint(key, &chosen));
                        }
                    });
            });
        }
        if ui.button("Add task").clicked() {
            edit = Some(new_row([
                ("name", format!("task {}", count + 1).into()),
                ("weight", 1i64.into()),
                ("path", "/".into()),
            ]));
        }
        if let Some(edit) = edit {
            apply_row_edit(document, scenario, "task", edit);
        }
    }

    /// The fixed levels, or the capacity search that replaces them: a switch between the two
    /// (the levels set aside are brought back when the search is switched off again).
    fn levels_or_capacity(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
        let searching = document
            .document()
            .ok()
            .and_then(|doc| lookup(doc, TablePath::Capacity(scenario)))
            .is_some();
        let mut search = searching;
        ui.checkbox(&mut search, "Capacity search instead of fixed levels")
            .on_hover_text("Loadscope raises the load step by step while every target holds, then narrows down the most it holds");
        if search != searching {
            let stashed = self.stashed_levels.remove(&scenario);
            let mut set_aside = None;
            document.edit(|doc| {
                if let Some(table) = lookup_mut(doc, TablePath::Scenario(scenario)) {
                    if search {
                        set_aside = table.remove("level");
                        let mut capacity = toml_edit::Table::new();
                        for (key, value) in [
                            ("over", toml_edit::value("users")),
                            ("start", toml_edit::value(2)),
                            ("max", toml_edit::value(256)),
                            ("step", toml_edit::value("20s")),
                        ] {
                            capacity.insert(key, value);
                        }
                        table.insert("capacity", toml_edit::Item::Table(capacity));
                    } else {
                        table.remove("capacity");
                        let levels = stashed.clone().unwrap_or_else(|| {
                            let mut level = toml_edit::Table::new();
                            level.insert("name", toml_edit::value("Level 1"));
                            level.insert("users", toml_edit::value(5));
                            level.insert("duration", toml_edit::value("30s"));
                            let mut levels = toml_edit::ArrayOfTables::new();
                            levels.push(level);
                            toml_edit::Item::ArrayOfTables(levels)
                        });
                        table.insert("level", levels);
                    }
                }
            });
            if let Some(levels) = set_aside {
                self.stashed_levels.insert(scenario, levels);
            }
        }
        if search {
            self.capacity(ui, document, scenario);
        } else {
            self.levels(ui, document, scenario);
        }
    }

    /// The capacity search's form (`[scenario.capacity]`).
    fn capacity(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
        let path = TablePath::Capacity(scenario);
        egui::Grid::new(("capacity-fields", scenario))
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let over = read(document, path, "over");
                ui.label("Over");
                let mut chosen = over.clone();
                egui::ComboBox::from_id_salt(("capacity-over", scenario))
                    .selected_text(match over.as_str() {
                        "rate" => "rate (requests per second)",
                        _ => "users",
                    })
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut chosen, "users".to_string(), "users");
                        ui.selectable_value(&mut chosen, "rate".to_string(), "rate (requests per second)");
                    })
                    .response
                    .accessible_name("Capacity over");
                ui.end_row();
                if chosen != over {
                    document.edit(|doc| {
                        if let Some(table) = lookup_mut(doc, path) {
                            fields::set_string(table, "over", &chosen);
                        }
                    });
                }
                let unit = if chosen == "rate" { "requests/s" } else { "users" };
                let rows: [(&str, &str, String, Kind); 6] = [
                    ("start", "Capacity start", format!("Start ({unit})"), Kind::Number),
                    ("max", "Capacity max", format!("Max ({unit})"), Kind::Number),
                    ("growth", "Capacity growth", "Growth".into(), Kind::Number),
                    ("precision", "Capacity precision", "Precision".into(), Kind::Text),
                    ("step", "Capacity step", "Step (measured)".into(), Kind::Text),
                    ("warmup", "Capacity warmup", "Warmup (not measured)".into(), Kind::Text),
                ];
                for (key, name, label, kind) in &rows {
                    field_row(ui, document, path, key, name, label, *kind, 80.0, hint(key, ""));
                }
                if chosen == "rate" {
                    field_row(
                        ui,
                        document,
                        path,
                        "max_in_flight",
                        "Capacity in flight",
                        "In flight",
                        Kind::Number,
                        80.0,
                        hint("max_in_flight", ""),
                    );
                } else {
                    field_row(
                        ui,
                        document,
                        path,
                        "spawn_rate",
                        "Capacity spawn rate",
                        "Spawn/s",
                        Kind::Number,
                        80.0,
                        hint("spawn_rate", ""),
                    );
                }
            });
        ui.label(
            RichText::new(
                "From Start, each step is Growth times the last while every target holds; then it narrows down between the last load that held and the first that failed, to within Precision, up to Max.",
            )
            .small()
            .weak(),
        );
    }

    fn levels(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
        let count = row_count(document, scenario, "level");
        let mut edit = None;
        egui::Grid::new("levels").striped(true).spacing([6.0, 4.0]).show(ui, |ui| {
            for header in ["Name", "Model", "Users", "Spawn/s", "Rate/s", "In flight", "Duration", ""] {
                ui.label(RichText::new(header).strong());
            }
            ui.end_row();
            for level in 0..count {
                let path = TablePath::Level(scenario, level);
                let name = format!("Level {}", level + 1);
                cell(ui, document, path, "name", &format!("{name} name"), Kind::Text, 80.0);
                let open = !read(document, path, "rate_per_sec").is_empty();
                let mut model_open = open;
                egui::ComboBox::from_id_salt(("level-model", level))
                    .selected_text(if open { "open" } else { "closed" })
                    .width(70.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut model_open, false, "closed (users)");
                        ui.selectable_value(&mut model_open, true, "open (rate)");
                    })
                    .response
                    .accessible_name(format!("{name} model"));
                if model_open != open {
                    document.edit(|doc| {
                        if let Some(table) = lookup_mut(doc, path) {
                            switch_model(table, model_open);
                        }
                    });
                }
                if model_open {
                    ui.label("");
                    ui.label("");
                    cell(ui, document, path, "rate_per_sec", &format!("{name} rate"), Kind::Number, 60.0);
                    cell(
                        ui,
                        document,
                        path,
                        "max_in_flight",
                        &format!("{name} in flight"),
                        Kind::Number,
                        60.0,
                    );
                } else {
                    cell(ui, document, path, "users", &format!("{name} users"), Kind::Number, 60.0);
                    cell(ui, document, path, "spawn_rate", &format!("{name} spawn rate"), Kind::Number, 60.0);
                    ui.label("");
                    ui.label("");
                }
                cell(ui, document, path, "duration", &format!("{name} duration"), Kind::Text, 60.0);
                ui.horizontal(|ui| row_buttons(ui, &name.to_lowercase(), level, count, &mut edit));
                ui.end_row();
            }
        });
        if ui.button("Add level").clicked() {
            // Twice the last level's users: the next step of a ramp.
            let last = (count > 0).then(|| read(document, TablePath::Level(scenario, count - 1), "users"));
            let users = last.and_then(|users| users.parse::<i64>().ok()).map(|users| users * 2).unwrap_or(5);
            edit = Some(new_row([
                ("name", format!("Level {}", count + 1).into()),
                ("users", users.into()),
                ("spawn_rate", users.clamp(1, 50).into()),
                ("duration", "1m".into()),
            ]));
        }
        if let Some(edit) = edit {
            apply_row_edit(document, scenario, "level", edit);
        }
    }

    fn targets(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
        let count = row_count(document, scenario, "target");
        let classes = failure_classes(document, scenario);
        let class_refs: Vec<&str> = classes.iter().map(String::as_str).collect();
        let mut edit = None;
        egui::Grid::new("targets").striped(true).spacing([6.0, 4.0]).show(ui, |ui| {
            for header in ["Target", "Level", "Task", "Abort on fail", ""] {
                ui.label(RichText::new(header).strong());
            }
            ui.end_row();
            for target in 0..count {
                let path = TablePath::Target(scenario, target);
                let name = format!("Target {}", target + 1);
                ui.vertical(|ui| {
                    cell(ui, document, path, "expr", &format!("{name} expression"), Kind::Text, 180.0);
                    let expr = read(document, path, "expr");
                    if let Err(why) = TargetExpr::parse_with_classes(&expr, &class_refs) {
                        ui.label(RichText::new(why.to_string()).small().color(palette::FAIL));
                    }
                });
                cell(ui, document, path, "level", &format!("{name} level"), Kind::Text, 80.0);
                cell(ui, document, path, "task", &format!("{name} task"), Kind::Text, 100.0);
                let mut abort = read(document, path, "abort_on_fail") == "true";
                if ui
                    .checkbox(&mut abort, "")
                    .on_hover_text("Stop the run when this target fails")
                    .accessible_name(format!("{name} abort on fail"))
                    .changed()
                {
                    document.edit(|doc| {
                        if let Some(table) = lookup_mut(doc, path) {
                            fields::set_bool(table, "abort_on_fail", abort.then_some(true));
                        }
                    });
                }
                ui.horizontal(|ui| row_buttons(ui, &name.to_lowercase(), target, count, &mut edit));
                ui.end_row();
            }
        });
        ui.label(
            RichText::new("Targets read like k6 thresholds: p95 < 500ms, error_rate < 1%, ttft_p95 < 250ms, rps > 20. Leave Level empty for every level.")
                .small()
                .weak(),
        );
        if ui.button("Add target").clicked() {
            edit = Some(new_row([("expr", "p95 < 500ms".into())]));
        }
        if let Some(edit) = edit {
            apply_row_edit(document, scenario, "target", edit);
        }
    }

    fn toml_view(&mut self, ui: &mut egui::Ui, document: &mut PresetDocument) {
        if self.toml_revision != Some(document.revision()) {
            self.toml_buffer = document.text().to_string();
            self.toml_revision = Some(document.revision());
        }
        let diagnostics = document.diagnostics().to_vec();
        let error_lines: Vec<usize> = diagnostics.iter().filter_map(|diagnostic| diagnostic.line).collect();
        ui.label(RichText::new("TOML").strong());
        let list_height = (diagnostics.len().min(6) as f32) * 20.0 + 28.0;
        let editor_height = (ui.available_height() - list_height).max(120.0);
        let scroll_to = (self.toml_scrolled_to != Some(self.scenario))
            .then(|| super::toml_highlight::scenario_line(&self.toml_buffer, self.scenario))
            .flatten();
        // Lines are not wrapped (the numbers beside them stay on their lines): long ones scroll.
        let mut area = egui::ScrollArea::both().id_salt("toml").max_height(editor_height);
        if let Some(line) = scroll_to {
            // Down to the scenario's header, leaving the line numbers in view.
            let row_height = ui.fonts_mut(|fonts| fonts.row_height(&FontId::monospace(12.0)));
            area = area.vertical_scroll_offset(line as f32 * row_height).horizontal_scroll_offset(0.0);
        }
        area.show(ui, |ui| {
            let mut layouter = |ui: &egui::Ui, text: &dyn egui::TextBuffer, _wrap_width: f32| -> Arc<egui::Galley> {
                let mut job = super::toml_highlight::highlight(ui, text.as_str(), &error_lines);
                job.wrap.max_width = f32::INFINITY;
                ui.fonts_mut(|fonts| fonts.layout_job(job))
            };
            ui.horizontal_top(|ui| {
                // Room for the line numbers, painted beside the text's own rows below.
                let (gutter, _) = ui.allocate_exact_size(egui::vec2(34.0, 1.0), egui::Sense::hover());
                let output = TextEdit::multiline(&mut self.toml_buffer)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(30)
                    .layouter(&mut layouter)
                    .show(ui);
                let font = FontId::monospace(12.0);
                let color = ui.visuals().weak_text_color();
                let mut line = 1;
                for row in &output.galley.rows {
                    let y = output.galley_pos.y + row.pos.y;
                    ui.painter().text(
                        egui::pos2(gutter.right() - 4.0, y),
                        egui::Align2::RIGHT_TOP,
                        line.to_string(),
                        font.clone(),
                        color,
                    );
                    if row.ends_with_newline {
                        line += 1;
                    }
                }
                let response = output.response.response.accessible_name("Preset TOML");
                if response.changed() {
                    document.set_text(self.toml_buffer.clone());
                    self.toml_revision = Some(document.revision());
                }
            });
        });
        if scroll_to.is_some() || document.document().is_ok() {
            self.toml_scrolled_to = Some(self.scenario);
        }
        if diagnostics.is_empty() {
            ui.label(RichText::new("Valid: loadscope validate finds no problems").color(palette::PASS));
        } else {
            ui.label(RichText::new(format!("{} problem(s):", diagnostics.len())).color(palette::FAIL));
            egui::ScrollArea::vertical()
                .id_salt("diagnostics")
                .max_height(120.0)
                .show(ui, |ui| {
                    for diagnostic in &diagnostics {
                        let place = match (diagnostic.line, diagnostic.column) {
                            (Some(line), Some(column)) => format!("line {line} column {column}: "),
                            (Some(line), None) => format!("line {line}: "),
                            _ => String::new(),
                        };
                        ui.label(RichText::new(format!("{place}{}", diagnostic.message)).color(palette::FAIL));
                    }
                });
        }
    }
}

fn failure_classes(document: &PresetDocument, scenario: usize) -> Vec<String> {
    document
        .document()
        .ok()
        .and_then(|doc| lookup(doc, TablePath::Scenario(scenario)))
        .and_then(|table| fields::array(table, "failure_class"))
        .map(|rows| rows.iter().map(|row| fields::text(row, "name")).collect())
        .unwrap_or_default()
}

/// Switches a level between the closed model (users, spawn rate) and the open one (arrival
/// rate, in-flight cap), carrying the load over as a starting point.
fn switch_model(table: &mut Table, open: bool) {
    if open {
        let users = fields::text(table, "users");
        table.remove("users");
        table.remove("spawn_rate");
        fields::set_number(table, "rate_per_sec", if users.is_empty() { "10" } else { &users });
        fields::set_number(table, "max_in_flight", "100");
    } else {
        let rate = fields::text(table, "rate_per_sec");
        table.remove("rate_per_sec");
        table.remove("max_in_flight");
        fields::set_number(table, "users", if rate.is_empty() { "5" } else { &rate });
        fields::set_number(table, "spawn_rate", "1");
    }
}

/// The TOML text with the lines that have errors on a red background.
fn first_line(text: &str) -> &str {
    text.lines().find(|line| !line.trim().is_empty()).unwrap_or(text)
}
