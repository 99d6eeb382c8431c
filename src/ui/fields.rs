//! Reading and writing single preset fields in a `toml_edit` table, the way the editor's forms
//! need them: every value as the text a person would type, written back with the type the
//! text has, so a typo lands in the TOML where validation reports it at its line instead of
//! being dropped by the form.

use toml_edit::{ArrayOfTables, Item, Table, Value};

/// The array of tables under `key` (`[[scenario]]`, `[[scenario.level]]`).
pub(crate) fn array<'a>(table: &'a Table, key: &str) -> Option<&'a ArrayOfTables> {
    table.get(key).and_then(Item::as_array_of_tables)
}

pub(crate) fn array_mut<'a>(table: &'a mut Table, key: &str) -> Option<&'a mut ArrayOfTables> {
    table.get_mut(key).and_then(Item::as_array_of_tables_mut)
}

/// The sub-table under `key` (`[scenario.service]`), made when missing.
pub(crate) fn table_mut<'a>(table: &'a mut Table, key: &str) -> Option<&'a mut Table> {
    if !table.contains_key(key) {
        let mut sub = Table::new();
        sub.set_implicit(false);
        table.insert(key, Item::Table(sub));
    }
    table.get_mut(key).and_then(Item::as_table_mut)
}

/// A value as editable text: strings without quotes, numbers and booleans as written, other
/// values (arrays, inline tables) in TOML form. Empty when the key is missing.
pub(crate) fn text(table: &Table, key: &str) -> String {
    match table.get(key) {
        None => String::new(),
        Some(item) => match item.as_value() {
            Some(Value::String(value)) => value.value().clone(),
            Some(Value::Integer(value)) => value.value().to_string(),
            Some(Value::Float(value)) => value.value().to_string(),
            Some(Value::Boolean(value)) => value.value().to_string(),
            Some(other) => other.to_string().trim().to_string(),
            // A `[section]` table reads as the inline table it edits as, on one line.
            None => match item.as_table() {
                Some(section) => {
                    let mut inline = section.clone().into_inline_table();
                    inline.fmt();
                    inline.to_string().trim().to_string()
                }
                None => item.to_string().trim().to_string(),
            },
        },
    }
}

/// Writes a string field; empty text removes it.
pub(crate) fn set_string(table: &mut Table, key: &str, text: &str) {
    if text.is_empty() {
        table.remove(key);
    } else {
        replace_value(table, key, Value::from(text));
    }
}

/// Writes a numeric field: an integer or a float when the text is one, empty text removes it,
/// anything else is kept as a string so validation names the mistake at its line.
pub(crate) fn set_number(table: &mut Table, key: &str, text: &str) {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        table.remove(key);
    } else if let Ok(integer) = trimmed.parse::<i64>() {
        replace_value(table, key, Value::from(integer));
    } else if let Ok(float) = trimmed.parse::<f64>()
        && float.is_finite()
    {
        replace_value(table, key, Value::from(float));
    } else {
        replace_value(table, key, Value::from(text));
    }
}

/// Writes a boolean field, or removes it (`None`: the preset's default applies).
pub(crate) fn set_bool(table: &mut Table, key: &str, value: Option<bool>) {
    match value {
        Some(value) => replace_value(table, key, Value::from(value)),
        None => {
            table.remove(key);
        }
    }
}

/// Writes a field given as TOML (an array or inline table typed by hand); text that does not
/// parse as a TOML value is kept as a string so validation reports it.
pub(crate) fn set_toml(table: &mut Table, key: &str, text: &str) {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        table.remove(key);
    } else {
        match trimmed.parse::<Value>() {
            Ok(value) => replace_value(table, key, value),
            Err(_) => replace_value(table, key, Value::from(text)),
        }
    }
}

/// Replaces a value keeping the comment written after it (`users = 5  # why`).
fn replace_value(table: &mut Table, key: &str, mut value: Value) {
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        if old.to_string() == value.to_string() {
            return;
        }
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

/// Structural edits of an array of tables (levels, tasks, targets). After one, the tables'
/// document positions are cleared so each is written after its predecessor, in the new order.
pub(crate) enum RowEdit {
    Add(Table),
    Remove(usize),
    Duplicate(usize),
    MoveUp(usize),
    MoveDown(usize),
}

/// Applies `edit` to the array of tables `key` of `table` (created when missing).
pub(crate) fn edit_rows(table: &mut Table, key: &str, edit: RowEdit) {
    if !table.contains_key(key) {
        table.insert(key, Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(rows) = table.get_mut(key).and_then(Item::as_array_of_tables_mut) else {
        return;
    };
    let len = rows.len();
    match edit {
        RowEdit::Add(row) => rows.push(row),
        RowEdit::Remove(index) if index < len => {
            rows.remove(index);
        }
        RowEdit::Duplicate(index) if index < len => {
            if let Some(row) = rows.get(index).cloned() {
                rows.insert(index + 1, row);
            }
        }
        RowEdit::MoveUp(index) if index > 0 && index < len => swap(rows, index - 1),
        RowEdit::MoveDown(index) if index + 1 < len => swap(rows, index),
        _ => return,
    }
    for row in rows.iter_mut() {
        row.set_position(None);
    }
}

fn swap(rows: &mut ArrayOfTables, first: usize) {
    let second = rows.remove(first + 1);
    rows.insert(first, second);
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml_edit::DocumentMut;

    const LEVELS: &str = r#"name = "x"

[[scenario]]
name = "s"

# the first level
[[scenario.level]]
name = "one"
users = 1  # start small

[[scenario.level]]
name = "two"
users = 2

[[scenario.target]]
expr = "p95 < 1s"
"#;

    fn scenario(doc: &mut DocumentMut) -> &mut Table {
        array_mut(doc.as_table_mut(), "scenario")
            .and_then(|rows| rows.get_mut(0))
            .expect("scenario")
    }

    #[test]
    fn numbers_keep_their_comment_and_typos_stay_visible() {
        let mut doc: DocumentMut = LEVELS.parse().expect("toml");
        let level = array_mut(scenario(&mut doc), "level")
            .and_then(|rows| rows.get_mut(0))
            .expect("level");
        set_number(level, "users", "10");
        assert_eq!(text(level, "users"), "10");
        set_number(level, "spawn_rate", "0.5");
        set_number(level, "max_in_flight", "ten");
        let written = doc.to_string();
        assert!(written.contains("users = 10  # start small"), "{written}");
        assert!(written.contains("spawn_rate = 0.5"), "{written}");
        assert!(written.contains("max_in_flight = \"ten\""), "{written}");
    }

    #[test]
    fn a_section_reads_as_one_inline_table() {
        let mut doc: DocumentMut = "[[scenario]]\nname = \"s\"\n[scenario.objectives]\nttft = \"1s\"\nitl = \"50ms\"\n"
            .parse()
            .expect("toml");
        assert_eq!(text(scenario(&mut doc), "objectives"), "{ ttft = \"1s\", itl = \"50ms\" }");
    }

    #[test]
    fn rows_move_duplicate_and_remove_in_document_order() {
        let mut doc: DocumentMut = LEVELS.parse().expect("toml");
        edit_rows(scenario(&mut doc), "level", RowEdit::MoveDown(0));
        let written = doc.to_string();
        let two = written.find("name = \"two\"").expect("two");
        let one = written.find("name = \"one\"").expect("one");
        let target = written.find("[[scenario.target]]").expect("target");
        assert!(two < one && one < target, "{written}");
        assert!(
            written.contains("# the first level\n[[scenario.level]]\nname = \"one\""),
            "{written}"
        );

        edit_rows(scenario(&mut doc), "level", RowEdit::Duplicate(0));
        edit_rows(scenario(&mut doc), "level", RowEdit::Remove(2));
        let names: Vec<String> = array(scenario(&mut doc), "level")
            .expect("levels")
            .iter()
            .map(|row| text(row, "name"))
            .collect();
        assert_eq!(names, ["two", "two"]);
        let reparsed: DocumentMut = doc.to_string().parse().expect("still TOML");
        assert_eq!(reparsed.to_string(), doc.to_string());
    }
}
