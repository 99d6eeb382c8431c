//! The TOML view's colours: TOML split by toml_parser's lexer (comments, table headers, keys,
//! strings over any number of lines, numbers, booleans), the colours for the light and dark
//! themes, and where each scenario starts (the view scrolls there when a scenario is picked).

use egui::FontId;
use egui::text::{LayoutJob, TextFormat};

/// The preset's text with TOML colours (comments, table headers, keys, strings, numbers and
/// booleans) and the lines with problems shaded.
pub(crate) fn highlight(ui: &egui::Ui, text: &str, error_lines: &[usize]) -> LayoutJob {
    let mut job = LayoutJob::default();
    let font = FontId::monospace(12.0);
    let colors = TomlColors::for_visuals(ui.visuals());
    let error_background = super::palette::error_line_fill();
    let mut line = 1;
    for (piece, token) in toml_tokens(text) {
        // A token may span lines (a multi-line string): each line keeps its own shading.
        for part in piece.split_inclusive('\n') {
            let mut format = TextFormat::simple(font.clone(), colors.of(token));
            if error_lines.contains(&line) {
                format.background = error_background;
            }
            job.append(part, 0.0, format);
            line += part.matches('\n').count();
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

/// Where a token stands, for whether a bare word or a string is a key or a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Before `=`: keys (bare, quoted, dotted).
    Key,
    /// After `=` or inside an array: values.
    Value,
    /// A `[table]` or `[[array]]` header, to the end of its line.
    Header,
}

/// Splits TOML into coloured pieces with toml_parser's lexer (the one `toml` parses presets
/// with), so multi-line strings, quoted keys and `#` inside strings come out as the parser
/// reads them. Every byte is in exactly one piece, in order.
fn toml_tokens(text: &str) -> Vec<(&str, TomlToken)> {
    use toml_parser::lexer::TokenKind;
    // (start, end, colour) of each piece.
    let mut pieces: Vec<(usize, usize, TomlToken)> = Vec::new();
    let mut position = Position::Key;
    // Open inline tables (true) and arrays (false), innermost last.
    let mut open: Vec<bool> = Vec::new();
    for token in toml_parser::Source::new(text).lex() {
        let span = token.span();
        if span.end() <= span.start() || text.get(span.start()..span.end()).is_none() {
            continue;
        }
        let kind = token.kind();
        let colour = match kind {
            TokenKind::Comment => TomlToken::Comment,
            TokenKind::Whitespace => TomlToken::Plain,
            TokenKind::Newline => {
                if open.is_empty() {
                    position = Position::Key;
                }
                TomlToken::Plain
            }
            _ if position == Position::Header => TomlToken::Header,
            TokenKind::LeftSquareBracket if position == Position::Key && open.is_empty() => {
                position = Position::Header;
                TomlToken::Header
            }
            TokenKind::Equals => {
                position = Position::Value;
                TomlToken::Plain
            }
            TokenKind::LeftCurlyBracket => {
                open.push(true);
                position = Position::Key;
                TomlToken::Plain
            }
            TokenKind::LeftSquareBracket => {
                open.push(false);
                position = Position::Value;
                TomlToken::Plain
            }
            TokenKind::RightCurlyBracket | TokenKind::RightSquareBracket => {
                open.pop();
                position = Position::Value;
                TomlToken::Plain
            }
            TokenKind::Comma => {
                position = if open.last() == Some(&true) {
                    Position::Key
                } else {
                    Position::Value
                };
                TomlToken::Plain
            }
            TokenKind::Dot if position == Position::Key => TomlToken::Key,
            _ if position == Position::Key => TomlToken::Key,
            TokenKind::BasicString | TokenKind::LiteralString | TokenKind::MlBasicString | TokenKind::MlLiteralString => TomlToken::String,
            TokenKind::Atom | TokenKind::Dot => TomlToken::Literal,
            _ => TomlToken::Plain,
        };
        // A dotted number (`1.5`) lexes as atom, dot, atom: all of it is the literal.
        match pieces.last_mut() {
            Some((_, end, last)) if *last == colour && !matches!(colour, TomlToken::Plain | TomlToken::Comment) => *end = span.end(),
            _ => pieces.push((span.start(), span.end(), colour)),
        }
    }
    pieces.into_iter().map(|(start, end, colour)| (&text[start..end], colour)).collect()
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

    /// The pieces that are not blank, as (text, colour).
    fn solid(text: &str) -> Vec<(&str, TomlToken)> {
        toml_tokens(text)
            .into_iter()
            .filter(|(piece, _)| !piece.trim().is_empty())
            .collect()
    }

    #[test]
    fn a_line_splits_into_coloured_pieces() {
        assert_eq!(
            solid("timeout = \"5s\" # per request\n"),
            [
                ("timeout", TomlToken::Key),
                ("=", TomlToken::Plain),
                ("\"5s\"", TomlToken::String),
                ("# per request", TomlToken::Comment),
            ]
        );
        assert_eq!(solid("[[scenario.level]]\n"), [("[[scenario.level]]", TomlToken::Header)]);
        assert!(solid("users = 40").contains(&("40", TomlToken::Literal)));
        assert!(solid("rate = 2.5").contains(&("2.5", TomlToken::Literal)));
        assert!(solid("stream = true").contains(&("true", TomlToken::Literal)));
        // Every byte is kept, in order.
        let line = "messages = [{ role = \"user\", content = \"a # not a comment\" }] # but this is";
        assert_eq!(toml_tokens(line).iter().map(|(text, _)| *text).collect::<String>(), line);
        assert_eq!(toml_tokens(line).last().map(|(_, token)| *token), Some(TomlToken::Comment));
        let inline = solid(line);
        assert!(
            inline.contains(&("role", TomlToken::Key)) && inline.contains(&("\"user\"", TomlToken::String)),
            "{inline:?}"
        );
    }

    #[test]
    fn multi_line_strings_and_quoted_keys_are_read_as_the_parser_reads_them() {
        let text = "body = \"\"\"\n{ \"q\": 1 } # inside\nkey = 2\n\"\"\"\n\"X-Api-Key\" = 'k'\nraw = \'\'\'\n# not a comment\n\'\'\'\nafter = 3\n";
        let pieces = solid(text);
        assert!(
            pieces.contains(&("\"\"\"\n{ \"q\": 1 } # inside\nkey = 2\n\"\"\"", TomlToken::String)),
            "{pieces:?}"
        );
        assert!(pieces.contains(&("\"X-Api-Key\"", TomlToken::Key)), "{pieces:?}");
        assert!(
            pieces.contains(&("\'\'\'\n# not a comment\n\'\'\'", TomlToken::String)),
            "{pieces:?}"
        );
        assert!(
            pieces.contains(&("after", TomlToken::Key)) && pieces.contains(&("3", TomlToken::Literal)),
            "{pieces:?}"
        );
        assert!(!pieces.iter().any(|(_, token)| *token == TomlToken::Comment), "{pieces:?}");
        assert_eq!(toml_tokens(text).iter().map(|(piece, _)| *piece).collect::<String>(), text);
    }

    #[test]
    fn arrays_over_lines_keep_their_values() {
        let pieces = solid("prompts = [\n  \"a\",\n  \"b\",\n]\nnext = 1\n");
        assert!(pieces.contains(&("\"b\"", TomlToken::String)), "{pieces:?}");
        assert!(pieces.contains(&("next", TomlToken::Key)), "{pieces:?}");
    }

    #[test]
    fn scenarios_are_found_by_their_headers() {
        let text = "name = \"x\"\n[[scenario]]\nname = \"a\"\n\n[[scenario]]\nname = \"b\"\n";
        assert_eq!(scenario_line(text, 0), Some(1));
        assert_eq!(scenario_line(text, 1), Some(4));
        assert_eq!(scenario_line(text, 2), None);
    }
}
