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
    /// A scenario's capacity search (`[scenario.capacity]`).
    Capacity(usize),
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
        TablePath::Capacity(index) => scenario(index)
            .and_then(|table| table.get("capacity"))
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
        TablePath::Capacity(index) => (index, "capacity", 0),
        TablePath::Task(index, row) => (index, "task", row),
        TablePath::Level(index, row) => (index, "level", row),
        TablePath::Target(index, row) => (index, "target", row),
    };
    let scenario = fields::array_mut(doc.as_table_mut(), "scenario")?.get_mut(index)?;
    match key {
        "" => Some(scenario),
        "service" | "capacity" => fields::table_mut(scenario, key),
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
    ("messages", "messages", "Messages", Kind::Messages, 320.0),
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
    /// A chat's messages: a row per message (role, multi-line content), or the TOML field
    /// when they are something else (a template string, content parts).
    Messages,
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
        ("growth", _) => "2 (each step twice the last)",
        ("precision", _) => "10%",
        ("warmup", _) => "5s",
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
    let rows = match kind {
        Kind::Messages => message_rows(document, path, key),
        Kind::Text | Kind::Number | Kind::Toml => None,
    };
    match rows {
        Some(rows) => messages_editor(ui, document, path, key, name, rows, width),
        None => hinted_cell(ui, document, path, key, name, kind, width, hint),
    }
    ui.end_row();
}

/// A chat message as the form edits it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MessageRow {
    pub role: String,
    pub content: String,
}

/// The messages of `key` as rows, when each is `{ role = "…", content = "…" }` (or there are
/// none yet); None for anything else, which the TOML field edits.
pub(super) fn message_rows(document: &PresetDocument, path: TablePath, key: &str) -> Option<Vec<MessageRow>> {
    let doc = document.document().ok()?;
    let table = lookup(doc, path)?;
    let Some(item) = table.get(key) else { return Some(Vec::new()) };
    let rows: Vec<&toml_edit::InlineTable> = match item {
        toml_edit::Item::Value(toml_edit::Value::Array(array)) => {
            array.iter().map(|value| value.as_inline_table()).collect::<Option<_>>()?
        }
        _ => return None,
    };
    rows.into_iter()
        .map(|row| {
            if row.len() != 2 {
                return None;
            }
            Some(MessageRow {
                role: row.get("role")?.as_str()?.to_string(),
                content: row.get("content")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// Writes `rows` as the messages array (one inline table a line).
pub(super) fn write_messages(table: &mut Table, key: &str, rows: &[MessageRow]) {
    if rows.is_empty() {
        table.remove(key);
        return;
    }
    let mut array = toml_edit::Array::new();
    for row in rows {
        let mut message = toml_edit::InlineTable::new();
        message.insert("role", row.role.as_str().into());
        message.insert("content", row.content.as_str().into());
        array.push(message);
    }
    for value in array.iter_mut() {
        value.decor_mut().set_prefix("\n  ");
    }
    array.set_trailing("\n");
    array.set_trailing_comma(true);
    table.insert(key, toml_edit::value(array));
}

/// The messages as rows: a role picker and multi-line content each, with Remove, and Add
/// message; every change is written to the document at once.
fn messages_editor(
    ui: &mut egui::Ui,
    document: &mut PresetDocument,
    path: TablePath,
    key: &str,
    name: &str,
    rows: Vec<MessageRow>,
    width: f32,
) {
    let mut edited = rows.clone();
    let mut remove = None;
    ui.vertical(|ui| {
        for (index, row) in edited.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt(("message-role", path, key, index))
                    .selected_text(row.role.clone())
                    .width(90.0)
                    .show_ui(ui, |ui| {
                        for role in ["system", "user", "assistant"] {
                            ui.selectable_value(&mut row.role, role.to_string(), role);
                        }
                    })
                    .response
                    .accessible_name(format!("{name} {} role", index + 1));
                ui.add(TextEdit::multiline(&mut row.content).desired_width(width).desired_rows(2).id_salt((
                    "message-content",
                    path,
                    key,
                    index,
                )))
                .accessible_name(format!("{name} {} content", index + 1));
                if ui
                    .small_button("Remove")
                    .accessible_name(format!("Remove {name} {}", index + 1))
                    .clicked()
                {
                    remove = Some(index);
                }
            });
        }
        if ui.small_button("Add message").accessible_name(format!("Add {name}")).clicked() {
            edited.push(MessageRow {
                role: "user".into(),
                content: String::new(),
            });
        }
    });
    if let Some(index) = remove {
        edited.remove(index);
    }
    if edited != rows {
        document.edit(|doc| {
            if let Some(table) = lookup_mut(doc, path) {
                write_messages(table, key, &edited);
            }
        });
    }
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
    let problem = match kind {
        Kind::Number => number_problem(document, path, key),
        Kind::Text | Kind::Toml | Kind::Messages => None,
    };
    let mut inner = None;
    ui.vertical(|ui| {
        if problem.is_some() {
            let stroke = egui::Stroke::new(1.5, super::palette::FAIL);
            let widgets = &mut ui.visuals_mut().widgets;
            widgets.inactive.bg_stroke = stroke;
            widgets.hovered.bg_stroke = stroke;
            widgets.active.bg_stroke = stroke;
            ui.visuals_mut().selection.stroke = stroke;
        }
        inner = Some(
            ui.add_sized([width, height], TextEdit::singleline(&mut value).id(id).hint_text(hint))
                .accessible_name(name),
        );
        if let Some(problem) = &problem {
            ui.label(egui::RichText::new(problem).small().color(super::palette::FAIL));
        }
    });
    let Some(response) = inner else { return };
    if response.has_focus() {
        ui.data_mut(|data| data.insert_temp(id, value.clone()));
    }
    if response.changed() && value != current {
        document.edit(|doc| {
            if let Some(table) = lookup_mut(doc, path) {
                match kind {
                    Kind::Text => fields::set_string(table, key, &value),
                    Kind::Number => fields::set_number(table, key, &value),
                    Kind::Toml | Kind::Messages => fields::set_toml(table, key, &value),
                }
            }
        });
    }
}

/// A number field's value that is not a number of the kind it must be, in people's words and
/// with an example (`users must be a whole number, e.g. 10`); None when it is fine or empty.
/// Every field says its own, so a form with three mistakes shows three, where the preset's
/// parser stops at the first.
pub(super) fn number_problem(document: &PresetDocument, path: TablePath, key: &str) -> Option<String> {
    let doc = document.document().ok()?;
    let value = lookup(doc, path)?.get(key)?.as_value()?;
    let (words, whole, example) = match key {
        "users" => ("users", true, "10"),
        "spawn_rate" => ("spawn rate (users started per second)", false, "2.5"),
        "rate_per_sec" => ("rate (requests per second)", false, "20"),
        "max_in_flight" => ("in flight (requests at once)", true, "100"),
        "max_tokens" => ("max tokens", true, "64"),
        "weight" => ("weight", true, "1"),
        "health_status" => ("health status (an HTTP status code)", true, "200"),
        "max_tool_rounds" => ("max tool rounds", true, "5"),
        other => (other, false, "1"),
    };
    let fine = match value {
        toml_edit::Value::Integer(number) => *number.value() >= 0,
        toml_edit::Value::Float(number) => !whole && number.value().is_finite() && *number.value() >= 0.0,
        _ => false,
    };
    if fine {
        None
    } else if whole {
        Some(format!("{words} must be a whole number, e.g. {example}"))
    } else {
        Some(format!("{words} must be a number, e.g. {example}"))
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
