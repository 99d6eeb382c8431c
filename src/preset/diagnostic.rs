//! Mistakes found in a preset, each tied to the file, line and column where it was made.

use std::fmt;
use std::ops::Range;

/// One mistake in a preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The preset's path, or `shipped:NAME` for a built-in one.
    pub source: String,
    /// 1-based line and column, when the mistake has a place.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    /// A mistake at a byte span of the preset text.
    pub fn at(source: &str, text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Diagnostic {
            source: source.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Another mistake at the same place.
    pub fn with_message(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            ..self.clone()
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|index| index + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "preset {}", self.source)?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, " line {line} column {column}")?,
            (Some(line), None) => write!(f, " line {line}")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// Every mistake found in one preset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PresetErrors(pub Vec<Diagnostic>);

impl fmt::Display for PresetErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_line_and_column() {
        let text = "a = 1\nbb = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 11), (2, 6));
        let shown = Diagnostic::at("p.toml", text, Some(11..12), "bad").to_string();
        assert_eq!(shown, "preset p.toml line 2 column 6: bad");
    }
}
