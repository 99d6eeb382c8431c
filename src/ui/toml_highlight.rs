//! The TOML view's colours: a light tokenizer for one line of TOML (comments, table headers,
//! keys, strings, numbers, booleans), the colours for the light and dark themes, and where each
//! scenario starts (the view scrolls there when a scenario is picked).

use egui::FontId;
use egui::text::{LayoutJob, TextFormat};

/// The preset's text with TOML colours (comments, table headers, keys, strings, numbers and
/// booleans) and the lines with problems shaded.
pub(crate) fn highlight(ui: &egui::Ui, text: &str, error_lines: &[usize]) -> LayoutJob {
    let mut job = LayoutJob::default();
    let font = FontId::monospace(12.0);
    let colors = TomlColors::for_visuals(ui.visuals());
    let error_background = super::palette::error_line_fill();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let background = if error_lines.contains(&(index + 1)) {
            error_background
        } else {
            egui::Color32::TRANSPARENT
        };
        for (piece, token) in toml_tokens(line) {
            let mut format = TextFormat::simple(font.clone(), colors.of(token));
            format.background = background;
            job.append(piece, 0.0, format);
        }
    }
    if text.is_empty() {
        job.append("", 0.0, TextFormat::simple(font, colors.plain));
    }
    job
}

/// What a piece of a TOML line is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TomlToken {
    Plain,
    Comment,
    Header,
    Key,
    String,
    Literal,
}

struct TomlColors {
    plain: egui::Color32,
    comment: egui::Color32,
    header: egui::Color32,
    key: egui::Color32,
    string: egui::Color32,
    literal: egui::Color32,
}

impl TomlColors {
    fn for_visuals(visuals: &egui::Visuals) -> TomlColors {
        if visuals.dark_mode {
            TomlColors {
                plain: visuals.text_color(),
                comment: egui::Color32::from_rgb(128, 140, 150),
                header: egui::Color32::from_rgb(120, 170, 255),
                key: egui::Color32::from_rgb(220, 180, 255),
                string: egui::Color32::from_rgb(140, 210, 140),
                literal: egui::Color32::from_rgb(240, 170, 100),
            }
        } else {
            TomlColors {
                plain: visuals.text_color(),
                comment: egui::Color32::from_rgb(110, 118, 125),
                header: egui::Color32::from_rgb(0, 80, 180),
                key: egui::Color32::from_rgb(120, 40, 160),
                string: egui::Color32::from_rgb(20, 120, 40),
                literal: egui::Color32::from_rgb(180, 80, 0),
            }
        }
    }

    fn of(&self, token: TomlToken) -> egui::Color32 {
        match token {
            TomlToken::Plain => self.plain,
            TomlToken::Comment => self.comment,
            TomlToken::Header => self.header,
            TomlToken::Key => self.key,
            TomlToken::String => self.string,
            TomlToken::Literal => self.literal,
        }
    }
}

/// Splits one line of TOML into coloured pieces (a light tokenizer: strings, comments, keys
/// before `=`, headers, numbers and booleans; anything else is plain).
fn toml_tokens<'a>(line: &'a str) -> Vec<(&'a str, TomlToken)> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') && !line.contains('=') {
        return vec![(line, TomlToken::Header)];
    }
    let mut pieces = Vec::new();
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut index = 0;
    // Up to the first `=` outside a string is the key (on a `key = value` line).
    let key_end = if trimmed.starts_with('#') { None } else { line.find('=') };
    let push = |pieces: &mut Vec<(&'a str, TomlToken)>, from: usize, to: usize, token: TomlToken| {
        if to > from {
            pieces.push((&line[from..to], token));
        }
    };
    if let Some(end) = key_end.filter(|end| !line[..*end].contains('"') && !line[..*end].contains('{')) {
        push(&mut pieces, 0, end, TomlToken::Key);
        start = end;
        index = end;
    }
    while index < bytes.len() {
        match bytes[index] {
            b'#' => {
                push(&mut pieces, start, index, TomlToken::Plain);
                push(&mut pieces, index, line.len(), TomlToken::Comment);
                return pieces;
            }
            quote @ (b'"' | b'\'') => {
                push(&mut pieces, start, index, TomlToken::Plain);
                let mut end = index + 1;
                while end < bytes.len() && bytes[end] != quote {
                    end += if bytes[end] == b'\\' && quote == b'"' { 2 } else { 1 };
                }
                let end = (end + 1).min(bytes.len());
                push(&mut pieces, index, end, TomlToken::String);
                start = end;
                index = end;
            }
            byte if byte.is_ascii_digit() || line[index..].starts_with("true") || line[index..].starts_with("false") => {
                let previous = index.checked_sub(1).map(|before| bytes[before]);
                if previous.is_some_and(|before| before.is_ascii_alphanumeric() || before == b'_') {
                    index += 1;
                    continue;
                }
                let mut end = index;
                while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'_' | b'-' | b':')) {
                    end += 1;
                }
                push(&mut pieces, start, index, TomlToken::Plain);
                push(&mut pieces, index, end, TomlToken::Literal);
                start = end;
                index = end;
            }
            _ => index += 1,
        }
    }
    push(&mut pieces, start, line.len(), TomlToken::Plain);
    pieces
}

/// The 0-based line of the `[[scenario]]` header of scenario `index`.
pub(crate) fn scenario_line(text: &str, index: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == "[[scenario]]")
        .nth(index)
        .map(|(line, _)| line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_into_coloured_pieces() {
        let tokens = toml_tokens("timeout = \"5s\" # per request\n");
        let kinds: Vec<(&str, TomlToken)> = tokens.into_iter().filter(|(text, _)| !text.trim().is_empty()).collect();
        assert_eq!(
            kinds,
            [
                ("timeout ", TomlToken::Key),
                ("= ", TomlToken::Plain),
                ("\"5s\"", TomlToken::String),
                ("# per request\n", TomlToken::Comment),
            ]
        );
        assert_eq!(toml_tokens("[[scenario.level]]\n"), [("[[scenario.level]]\n", TomlToken::Header)]);
        let numbers = toml_tokens("users = 40");
        assert!(numbers.contains(&("40", TomlToken::Literal)), "{numbers:?}");
        let flag = toml_tokens("stream = true");
        assert!(flag.contains(&("true", TomlToken::Literal)), "{flag:?}");
        // Every byte is kept, in order.
        let line = "messages = [{ role = \"user\", content = \"a # not a comment\" }] # but this is";
        assert_eq!(toml_tokens(line).iter().map(|(text, _)| *text).collect::<String>(), line);
        assert_eq!(toml_tokens(line).last().map(|(_, token)| *token), Some(TomlToken::Comment));
    }

    #[test]
    fn scenarios_are_found_by_their_headers() {
        let text = "name = \"x\"\n[[scenario]]\nname = \"a\"\n\n[[scenario]]\nname = \"b\"\n";
        assert_eq!(scenario_line(text, 0), Some(1));
        assert_eq!(scenario_line(text, 1), Some(4));
        assert_eq!(scenario_line(text, 2), None);
    }
}
