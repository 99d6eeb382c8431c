//! The editor's form cells: which table of the preset a field is in ([`TablePath`]), one
//! field read as text and written back with the type its text has, a label-and-field row, and
//! the buttons that move, copy and remove a row. The Editor tab's forms and the services and
//! journeys forms are made of these.

use egui::TextEdit;
use toml_edit::{DocumentMut, Table};

use super::document::PresetDocument;
use super::fields::{self, RowEdit};

/// A table of the preset the forms edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TablePath {
    Root,
    Monitors,
    Scenario(usize),
    Service(usize),
    Task(usize, usize),
    Level(usize, usize),
    Target(usize, usize),
    /// A scenario's named service (`[scenario.services.NAME]`), by its place in the table.
    NamedService(usize, usize),
    Journey(usize, usize),
    /// A journey's step: scenario, journey, step.
    Step(usize, usize, usize),
}

pub(super) fn lookup(doc: &DocumentMut, path: TablePath) -> Option<&Table> {
    let scenario = |index: usize| fields::array(doc.as_table(), "scenario").and_then(|rows| rows.get(index));
    let row = |index: usize, key: &str, row: usize| {
        scenario(index)
            .and_then(|table| fields::array(table, key))
            .and_then(|rows| rows.get(row))
    };
    match path {
        TablePath::Root => Some(doc.as_table()),
        TablePath::Monitors => doc.get("monitors").and_then(|item| item.as_table()),
        TablePath::Scenario(index) => scenario(index),
        TablePath::Service(index) => scenario(index)
            .and_then(|table| table.get("service"))
            .and_then(|item| item.as_table()),
        TablePath::Task(index, task) => row(index, "task", task),
        TablePath::Level(index, level) => row(index, "level", level),
        TablePath::Target(index, target) => row(index, "target", target),
        TablePath::NamedService(index, service) => scenario(index)
            .and_then(|table| table.get("services"))
            .and_then(|item| item.as_table())
            .and_then(|services| services.iter().nth(service))
            .and_then(|(_, item)| item.as_table()),
        TablePath::Journey(index, journey) => row(index, "journey", journey),
        TablePath::Step(index, journey, step) => row(index, "journey", journey)
            .and_then(|table| fields::array(table, "step"))
            .and_then(|rows| rows.get(step)),
    }
}

pub(super) fn lookup_mut(doc: &mut DocumentMut, path: TablePath) -> Option<&mut Table> {
    match path {
        TablePath::Root => return Some(doc.as_table_mut()),
        TablePath::Monitors => return fields::table_mut(doc.as_table_mut(), "monitors"),
        _ => {}
    }
    let (index, key, row) = match path {
        TablePath::Root | TablePath::Monitors => return None,
        TablePath::NamedService(index, service) => {
            let scenario = fields::array_mut(doc.as_table_mut(), "scenario")?.get_mut(index)?;
            let services = scenario.get_mut("services")?.as_table_mut()?;
            let name = services.iter().nth(service).map(|(name, _)| name.to_string())?;
            return services.get_mut(&name)?.as_table_mut();
        }
        TablePath::Step(index, journey, step) => {
            let scenario = fields::array_mut(doc.as_table_mut(), "scenario")?.get_mut(index)?;
            let journey = fields::array_mut(scenario, "journey")?.get_mut(journey)?;
            return fields::array_mut(journey, "step")?.get_mut(step);
        }
        TablePath::Journey(index, row) => (index, "journey", row),
        TablePath::Scenario(index) => (index, "", 0),
        TablePath::Service(index) => (index, "service", 0),
        TablePath::Task(index, row) => (index, "task", row),
        TablePath::Level(index, row) => (index, "level", row),
        TablePath::Target(index, row) => (index, "target", row),
    };
    let scenario = fields::array_mut(doc.as_table_mut(), "scenario")?.get_mut(index)?;
    match key {
        "" => Some(scenario),
        "service" => fields::table_mut(scenario, "service"),
        key => fields::array_mut(scenario, key)?.get_mut(row),
    }
}

/// A task field the form shows: its key, the words of its accessible label, its title, how
/// its text is written back, and its width.
pub(super) type TaskField = (&'static str, &'static str, &'static str, Kind, f32);

/// The fields of each task kind, in the order the form shows them (after name, kind, weight).
pub(super) const CHAT_FIELDS: [TaskField; 5] = [
    ("path", "path", "Path", Kind::Text, 240.0),
    ("model", "model", "Model", Kind::Text, 240.0),
    ("messages", "messages", "Messages", Kind::Toml, 320.0),
    ("max_tokens", "max tokens", "Max tokens", Kind::Number, 60.0),
    ("stream", "stream", "Stream", Kind::Toml, 60.0),
];
pub(super) const MCP_FIELDS: [TaskField; 3] = [
    ("tool", "tool", "Tool", Kind::Text, 240.0),
    ("arguments", "arguments", "Arguments", Kind::Toml, 320.0),
    ("expect", "expect", "Expect", Kind::Text, 80.0),
];
pub(super) const HTTP_FIELDS: [TaskField; 5] = [
    ("method", "method", "Method", Kind::Text, 80.0),
    ("path", "path", "Path", Kind::Text, 240.0),
    ("body", "body", "Body", Kind::Text, 320.0),
    ("expect_status", "expected status", "Expected status", Kind::Toml, 80.0),
    ("checks", "checks", "Checks", Kind::Toml, 320.0),
];

/// How a form field's text is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Number,
    /// A TOML value (array, inline table); a bare word is kept as a string.
    Toml,
}

/// A label and a field in a two-column grid.
pub(super) fn labelled(ui: &mut egui::Ui, document: &mut PresetDocument, path: TablePath, key: &str, label: &str, kind: Kind, width: f32) {
    field_row(ui, document, path, key, label, label, kind, width, hint(key, ""));
}

/// What an empty field means (the default the run uses), shown greyed in the field.
pub(super) fn hint(key: &str, task_kind: &str) -> &'static str {
    match (key, task_kind) {
        ("path", "chat") => crate::preset::compiled::CHAT_COMPLETIONS_PATH,
        ("path", "mcp") => crate::preset::compiled::MCP_PATH,
        ("method", _) => "GET",
        ("weight", _) => "1",
        ("stream", _) => "false",
        ("max_tokens", _) => "the server's default",
        ("expect_status", _) => "any 2xx",
        ("expect", _) => "success",
        ("checks", _) => "none",
        ("timeout", _) => "30s",
        ("baseline", _) => "none",
        ("objectives", _) => "none: no SLO attainment or goodput",
        ("health_path", _) => "none: no preflight check",
        ("health_status", _) => "200",
        ("headers", _) => "none",
        ("interval", _) => "1s",
        ("containers", _) => "none watched",
        ("prometheus", _) => "none scraped",
        ("spawn_rate", _) => "all at once",
        ("max_in_flight", _) => "1000",
        ("level", _) => "every level",
        ("task", _) => "every task",
        _ => "",
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn field_row(
    ui: &mut egui::Ui,
    document: &mut PresetDocument,
    path: TablePath,
    key: &str,
    name: &str,
    label: &str,
    kind: Kind,
    width: f32,
    hint: &str,
) {
    ui.label(label);
    hinted_cell(ui, document, path, key, name, kind, width, hint);
    ui.end_row();
}

/// One editable value. While it has focus it edits its own copy of the text (so "0." can be
/// typed on the way to "0.5"); every change is written to the document at once.
pub(super) fn cell(ui: &mut egui::Ui, document: &mut PresetDocument, path: TablePath, key: &str, name: &str, kind: Kind, width: f32) {
    hinted_cell(ui, document, path, key, name, kind, width, hint(key, ""));
}

/// [`cell`] with the default shown while it is empty.
#[allow(clippy::too_many_arguments)]
pub(super) fn hinted_cell(
    ui: &mut egui::Ui,
    document: &mut PresetDocument,
    path: TablePath,
    key: &str,
    name: &str,
    kind: Kind,
    width: f32,
    hint: &str,
) {
    let id = ui.make_persistent_id(("field", path, key));
    let current = read(document, path, key);
    let focused = ui.memory(|memory| memory.has_focus(id));
    let mut value = if focused {
        ui.data(|data| data.get_temp::<String>(id)).unwrap_or_else(|| current.clone())
    } else {
        current.clone()
    };
    let height = ui.spacing().interact_size.y;
    let response = ui
        .add_sized([width, height], TextEdit::singleline(&mut value).id(id).hint_text(hint))
        .accessible_name(name);
    if response.has_focus() {
        ui.data_mut(|data| data.insert_temp(id, value.clone()));
    }
    if response.changed() && value != current {
        document.edit(|doc| {
            if let Some(table) = lookup_mut(doc, path) {
                match kind {
                    Kind::Text => fields::set_string(table, key, &value),
                    Kind::Number => fields::set_number(table, key, &value),
                    Kind::Toml => fields::set_toml(table, key, &value),
                }
            }
        });
    }
}

pub(super) fn read(document: &PresetDocument, path: TablePath, key: &str) -> String {
    document
        .document()
        .ok()
        .and_then(|doc| lookup(doc, path))
        .map(|table| fields::text(table, key))
        .unwrap_or_default()
}

pub(super) fn row_count(document: &PresetDocument, scenario: usize, key: &str) -> usize {
    document
        .document()
        .ok()
        .and_then(|doc| lookup(doc, TablePath::Scenario(scenario)))
        .and_then(|table| fields::array(table, key))
        .map(|rows| rows.len())
        .unwrap_or(0)
}

/// A row to add to a scenario's table array, with its first values.
pub(super) fn new_row<const N: usize>(fields: [(&str, toml_edit::Value); N]) -> RowEdit {
    let mut table = Table::new();
    for (key, value) in fields {
        table.insert(key, toml_edit::value(value));
    }
    RowEdit::Add(table)
}

pub(super) fn apply_row_edit(document: &mut PresetDocument, scenario: usize, key: &str, edit: RowEdit) {
    document.edit(|doc| {
        if let Some(table) = lookup_mut(doc, TablePath::Scenario(scenario)) {
            fields::edit_rows(table, key, edit);
        }
    });
}

/// Move up, move down, duplicate and remove buttons for row `index` of `count`.
pub(super) fn row_buttons(ui: &mut egui::Ui, what: &str, index: usize, count: usize, edit: &mut Option<RowEdit>) {
    if ui
        .add_enabled(index > 0, egui::Button::new("Up").small())
        .on_hover_text(format!("Move {what} up"))
        .accessible_name(format!("Move {what} up"))
        .clicked()
    {
        *edit = Some(RowEdit::MoveUp(index));
    }
    if ui
        .add_enabled(index + 1 < count, egui::Button::new("Down").small())
        .on_hover_text(format!("Move {what} down"))
        .accessible_name(format!("Move {what} down"))
        .clicked()
    {
        *edit = Some(RowEdit::MoveDown(index));
    }
    if ui
        .small_button("Copy")
        .on_hover_text(format!("Duplicate {what}"))
        .accessible_name(format!("Duplicate {what}"))
        .clicked()
    {
        *edit = Some(RowEdit::Duplicate(index));
    }
    if ui
        .small_button("Remove")
        .on_hover_text(format!("Remove {what}"))
        .accessible_name(format!("Remove {what}"))
        .clicked()
    {
        *edit = Some(RowEdit::Remove(index));
    }
}

/// The Kind row of a task or step's form: http, chat or mcp, written back at once (http is
/// the default, so it is written as no `kind` at all). Returns the kind chosen.
pub(super) fn kind_row(
    ui: &mut egui::Ui,
    document: &mut PresetDocument,
    path: TablePath,
    kind: &str,
    id: impl std::hash::Hash + std::fmt::Debug,
    name: &str,
) -> String {
    ui.label("Kind");
    let mut chosen = kind.to_string();
    egui::ComboBox::from_id_salt(id)
        .selected_text(&chosen)
        .show_ui(ui, |ui| {
            for option in ["http", "chat", "mcp"] {
                ui.selectable_value(&mut chosen, option.to_string(), option);
            }
        })
        .response
        .accessible_name(name);
    ui.end_row();
    if chosen != kind {
        document.edit(|doc| {
            if let Some(table) = lookup_mut(doc, path) {
                switch_kind(table, kind, &chosen);
            }
        });
    }
    chosen
}

/// A kind's defaults: each field and the TOML value a new task of that kind starts with.
fn kind_defaults(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "chat" => &[
            ("path", "\"/v1/chat/completions\""),
            ("model", "\"demo-llm\""),
            ("messages", "[{ role = \"user\", content = \"Say hello in one short sentence.\" }]"),
            ("max_tokens", "64"),
            ("stream", "true"),
        ],
        "mcp" => &[("path", "\"/mcp\""), ("tool", "\"echo\""), ("arguments", "{ message = \"hello\" }")],
        _ => &[("path", "\"/\"")],
    }
}

/// Switches a task (or journey step) from kind `from` to kind `to`: the fields still at
/// `from`'s defaults (or absent) become `to`'s defaults, and `from`'s untouched defaults that
/// `to` has no use for go; whatever the person wrote stays.
pub(super) fn switch_kind(table: &mut toml_edit::Table, from: &str, to: &str) {
    fields::set_string(table, "kind", if to == "http" { "" } else { to });
    let untouched = |table: &toml_edit::Table, key: &str, default: &str| match table.get(key).and_then(toml_edit::Item::as_value) {
        None => true,
        Some(value) => value.to_string().trim() == default,
    };
    let old = kind_defaults(from);
    let new = kind_defaults(to);
    for &(key, default) in old {
        if !new.iter().any(|(new_key, _)| *new_key == key) && untouched(table, key, default) {
            table.remove(key);
        }
    }
    for &(key, default) in new {
        let was_old_default = old
            .iter()
            .find(|(old_key, _)| *old_key == key)
            .is_some_and(|(_, old_default)| untouched(table, key, old_default));
        // `path = "/"` is where an http task starts, so it counts as untouched for any kind.
        let bare_root = key == "path" && untouched(table, key, "\"/\"");
        if table.get(key).is_none() || was_old_default || bare_root {
            fields::set_toml(table, key, default);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(text: &str) -> toml_edit::Table {
        text.parse::<toml_edit::DocumentMut>().expect("toml").as_table().clone()
    }

    #[test]
    fn a_new_kind_fills_its_defaults_where_the_fields_were_untouched() {
        let mut table = task("name = \"t\"\npath = \"/\"\n");
        switch_kind(&mut table, "http", "chat");
        assert_eq!(fields::text(&table, "kind"), "chat");
        assert_eq!(fields::text(&table, "path"), "/v1/chat/completions");
        assert_eq!(fields::text(&table, "model"), "demo-llm");
        assert!(fields::text(&table, "messages").contains("role = \"user\""));
        // And back: the chat defaults go, the http path returns.
        switch_kind(&mut table, "chat", "http");
        assert_eq!(fields::text(&table, "kind"), "");
        assert_eq!(fields::text(&table, "path"), "/");
        for key in ["model", "messages", "max_tokens", "stream"] {
            assert!(table.get(key).is_none(), "{key} left behind");
        }
        assert_eq!(fields::text(&table, "name"), "t");
    }

    #[test]
    fn what_the_person_wrote_stays_when_the_kind_changes() {
        let mut table = task("path = \"/api/chat\"\nmodel = \"llama\"\n");
        switch_kind(&mut table, "http", "chat");
        assert_eq!(fields::text(&table, "path"), "/api/chat");
        assert_eq!(fields::text(&table, "model"), "llama");
        switch_kind(&mut table, "chat", "mcp");
        assert_eq!(fields::text(&table, "path"), "/api/chat");
        assert_eq!(fields::text(&table, "model"), "llama", "written by the person, not a default");
        assert_eq!(fields::text(&table, "tool"), "echo");
    }
}
