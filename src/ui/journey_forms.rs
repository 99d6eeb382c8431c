//! The Editor tab's forms for a scenario's named services (`[scenario.services.NAME]`) and its
//! journeys and their steps (`[[scenario.journey]]`, `[[scenario.journey.step]]`): add, remove,
//! copy and reorder, every field written to the same document the TOML view shows, so the
//! preset is checked again at each edit and its mistakes show at their lines.

use egui::RichText;
use toml_edit::Table;

use super::document::PresetDocument;
use super::fields::{self, RowEdit};
use super::form_cells::{
    CHAT_FIELDS, HTTP_FIELDS, Kind, MCP_FIELDS, TablePath, TaskField, field_row, kind_row, lookup, lookup_mut, new_row, read, row_buttons,
    row_count,
};

/// The names of a scenario's `[scenario.services]`, in the table's order.
pub(super) fn service_names(document: &PresetDocument, scenario: usize) -> Option<Vec<String>> {
    let doc = document.document().ok()?;
    let table = lookup(doc, TablePath::Scenario(scenario))?;
    let services = table.get("services")?.as_table()?;
    Some(services.iter().map(|(name, _)| name.to_string()).collect())
}

/// Each named service's fields, and adding, renaming and removing services.
pub(super) fn services(ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize, names: &[String]) {
    let mut change: Option<ServiceChange> = None;
    for (index, name) in names.iter().enumerate() {
        let path = TablePath::NamedService(scenario, index);
        egui::CollapsingHeader::new(format!("Service {name}"))
            .id_salt(("service", scenario, index))
            .default_open(true)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let id = ui.make_persistent_id(("service-name", scenario, index));
                    let mut draft = ui.data(|data| data.get_temp::<String>(id)).unwrap_or_else(|| name.clone());
                    ui.add(egui::TextEdit::singleline(&mut draft).desired_width(140.0))
                        .accessible_name(format!("Service {name} new name"));
                    ui.data_mut(|data| data.insert_temp(id, draft.clone()));
                    let valid = !draft.is_empty() && draft != *name && !names.contains(&draft);
                    if ui
                        .add_enabled(valid, egui::Button::new("Rename").small())
                        .accessible_name(format!("Rename service {name}"))
                        .clicked()
                    {
                        change = Some(ServiceChange::Rename(name.clone(), draft.clone()));
                    }
                    if ui
                        .small_button("Remove")
                        .on_hover_text(format!("Remove service {name}"))
                        .accessible_name(format!("Remove service {name}"))
                        .clicked()
                    {
                        change = Some(ServiceChange::Remove(name.clone()));
                    }
                });
                egui::Grid::new(("service-fields", scenario, index))
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        let label = |field: &str| format!("Service {name} {field}");
                        for (key, words, title, kind, width) in [
                            ("base_url", "base URL", "Base URL", Kind::Text, 280.0),
                            ("health_path", "health path", "Health path", Kind::Text, 200.0),
                            ("start_hint", "start hint", "Start hint", Kind::Text, 280.0),
                            ("headers", "headers", "Headers", Kind::Toml, 280.0),
                        ] {
                            field_row(
                                ui,
                                document,
                                path,
                                key,
                                &label(words),
                                title,
                                kind,
                                width,
                                super::form_cells::hint(key, ""),
                            );
                        }
                    });
            });
    }
    ui.horizontal(|ui| {
        if ui.button("Add service").clicked() {
            let mut number = names.len() + 1;
            while names.contains(&format!("service{number}")) {
                number += 1;
            }
            change = Some(ServiceChange::Add(format!("service{number}")));
        }
        ui.label(
            RichText::new("Tasks and journey steps name the service they send to: service = \"NAME\"; a chat's tools = \"NAME\" names an MCP service.")
                .small()
                .weak(),
        );
    });
    if let Some(change) = change {
        document.edit(|doc| {
            let Some(table) = lookup_mut(doc, TablePath::Scenario(scenario)) else {
                return;
            };
            let Some(services) = fields::table_mut(table, "services") else {
                return;
            };
            match change {
                ServiceChange::Add(name) => {
                    let mut service = Table::new();
                    service.insert("base_url", toml_edit::value("http://localhost:8000"));
                    services.insert(&name, toml_edit::Item::Table(service));
                }
                ServiceChange::Remove(name) => {
                    services.remove(&name);
                }
                ServiceChange::Rename(old, new) => {
                    if let Some(item) = services.remove(&old) {
                        services.insert(&new, item);
                    }
                }
            }
        });
    }
}

/// What the services form asks of the document.
enum ServiceChange {
    Add(String),
    Remove(String),
    Rename(String, String),
}

/// Step fields beyond a request's: which service, what it saves, whether it may fail.
const STEP_FIELDS: [TaskField; 3] = [
    ("service", "service", "Service", Kind::Text, 140.0),
    ("save", "save", "Save", Kind::Toml, 320.0),
    ("optional", "optional", "Optional", Kind::Toml, 60.0),
];

/// A chat step's tool loop.
const TOOL_FIELDS: [TaskField; 2] = [
    ("tools", "tools", "Tools (MCP service)", Kind::Text, 140.0),
    ("max_tool_rounds", "max tool rounds", "Max tool rounds", Kind::Number, 60.0),
];

/// Each journey (name, weight, think time) and its steps in order.
pub(super) fn journeys(ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize) {
    let count = row_count(document, scenario, "journey");
    let mut edit = None;
    for journey in 0..count {
        let path = TablePath::Journey(scenario, journey);
        let name = read(document, path, "name");
        egui::CollapsingHeader::new(format!("Journey {}: {name}", journey + 1))
            .id_salt(("journey", scenario, journey))
            .show(ui, |ui| {
                ui.horizontal(|ui| row_buttons(ui, &format!("journey {}", journey + 1), journey, count, &mut edit));
                egui::Grid::new(("journey-fields", scenario, journey))
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        let label = |field: &str| format!("Journey {} {field}", journey + 1);
                        field_row(ui, document, path, "name", &label("name"), "Name", Kind::Text, 240.0, "");
                        field_row(ui, document, path, "weight", &label("weight"), "Weight", Kind::Number, 60.0, "1");
                        field_row(
                            ui,
                            document,
                            path,
                            "think_time",
                            &label("think time"),
                            "Think time between steps",
                            Kind::Toml,
                            200.0,
                            "0s",
                        );
                    });
                steps(ui, document, scenario, journey);
            });
    }
    if ui.button("Add journey").clicked() {
        let mut step = Table::new();
        step.insert("name", toml_edit::value("step 1"));
        step.insert("path", toml_edit::value("/"));
        let mut steps = toml_edit::ArrayOfTables::new();
        steps.push(step);
        let RowEdit::Add(mut row) = new_row([("name", format!("journey {}", count + 1).into())]) else {
            return;
        };
        row.insert("step", toml_edit::Item::ArrayOfTables(steps));
        edit = Some(RowEdit::Add(row));
    }
    ui.label(
        RichText::new("A journey runs its steps in order for one user; a step saves values from its reply (save = { context = \"/results/0/text\" } or { answer = \"text\" }) for later steps' templates ({{ journey.context }}). Targets: journey_p95, journey_success_rate, tool_calls_per_journey.")
            .small()
            .weak(),
    );
    if let Some(edit) = edit {
        super::form_cells::apply_row_edit(document, scenario, "journey", edit);
    }
}

/// A journey's steps: each an http, chat or mcp request with its service, saves and whether
/// it is optional.
fn steps(ui: &mut egui::Ui, document: &mut PresetDocument, scenario: usize, journey: usize) {
    let journey_path = TablePath::Journey(scenario, journey);
    let count = document
        .document()
        .ok()
        .and_then(|doc| lookup(doc, journey_path))
        .and_then(|table| fields::array(table, "step"))
        .map(|rows| rows.len())
        .unwrap_or(0);
    let mut edit = None;
    for step in 0..count {
        let path = TablePath::Step(scenario, journey, step);
        let name = read(document, path, "name");
        let kind = match read(document, path, "kind") {
            kind if kind.is_empty() => "http".to_string(),
            kind => kind,
        };
        let what = format!("journey {} step {}", journey + 1, step + 1);
        egui::CollapsingHeader::new(format!("Step {}: {name} ({kind})", step + 1))
            .id_salt(("step", scenario, journey, step))
            .show(ui, |ui| {
                ui.horizontal(|ui| row_buttons(ui, &what, step, count, &mut edit));
                egui::Grid::new(("step-fields", scenario, journey, step))
                    .num_columns(2)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        let label = |field: &str| format!("Journey {} step {} {field}", journey + 1, step + 1);
                        field_row(ui, document, path, "name", &label("name"), "Name", Kind::Text, 240.0, "");
                        let chosen = kind_row(ui, document, path, &kind, ("step-kind", scenario, journey, step), &label("kind"));
                        let request: &[TaskField] = match chosen.as_str() {
                            "chat" => &CHAT_FIELDS,
                            "mcp" => &MCP_FIELDS,
                            _ => &HTTP_FIELDS,
                        };
                        let tools: &[TaskField] = if chosen == "chat" { &TOOL_FIELDS } else { &[] };
                        for &(key, words, title, kind, width) in STEP_FIELDS.iter().chain(request).chain(tools) {
                            let hint = match key {
                                "service" => "the scenario's only service",
                                "save" => "nothing",
                                "optional" => "false: a failure ends the journey",
                                "tools" => "none",
                                "max_tool_rounds" => "5",
                                key => super::form_cells::hint(key, &chosen),
                            };
                            field_row(ui, document, path, key, &label(words), title, kind, width, hint);
                        }
                    });
            });
    }
    if ui.button(format!("Add step to journey {}", journey + 1)).clicked() {
        edit = Some(new_row([("name", format!("step {}", count + 1).into()), ("path", "/".into())]));
    }
    if let Some(edit) = edit {
        document.edit(|doc| {
            if let Some(table) = lookup_mut(doc, journey_path) {
                fields::edit_rows(table, "step", edit);
            }
        });
    }
}
