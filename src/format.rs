//! Formatting values for people: latencies, durations, times, rates, percentages, and text cut
//! to fit. Every face
//! (the CLI, the app, the reports) formats through here, so one value reads the same
//! everywhere. A leaf module: it imports nothing from the crate.

use std::time::Duration;

/// Formats microseconds as `1.24s`, `830ms`, `412µs`.
pub fn micros(micros: f64) -> String {
    let (number, unit) = micros_parts(micros);
    format!("{number}{unit}")
}

/// A latency in a sentence people read: `251 ms`, `1.24 s`, `830 µs` (the same rounding as
/// [`micros`], a space before the unit).
pub(crate) fn micros_words(micros: f64) -> String {
    let (number, unit) = micros_parts(micros);
    format!("{number} {unit}")
}

fn micros_parts(micros: f64) -> (String, &'static str) {
    if micros >= 1_000_000.0 {
        (format!("{:.2}", micros / 1_000_000.0), "s")
    } else if micros >= 1_000.0 {
        let millis = micros / 1000.0;
        if millis >= 100.0 {
            (format!("{millis:.0}"), "ms")
        } else {
            (format!("{millis:.1}"), "ms")
        }
    } else {
        (format!("{micros:.0}"), "µs")
    }
}

/// Formats a duration compactly: `5m`, `90s` stays `1m 30s`, `250ms`.
pub(crate) fn duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".into();
    }
    if duration.subsec_nanos() != 0 && duration.as_secs() < 60 {
        let millis = duration.as_secs_f64() * 1000.0;
        if millis < 1000.0 {
            return format!("{}ms", trim_float(millis));
        }
        return format!("{}s", trim_float(duration.as_secs_f64()));
    }
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

fn trim_float(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `1m 52s`, `45s`, `1h 02m`.
pub(crate) fn duration_secs(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// `2026-11-27 10:33 UTC` from an RFC 3339 time.
pub(crate) fn started_at(rfc3339: &str) -> String {
    let minutes: String = rfc3339.chars().take(16).collect();
    format!("{} UTC", minutes.replace('T', " "))
}

/// `mm:ss` of a span in seconds (a progress line's clock).
pub(crate) fn clock(secs: f64) -> String {
    let secs = secs.max(0.0) as u64;
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

/// Elapsed time on a chart's axis: `0:05`, `2:30`, `1:02:03`.
pub fn elapsed(secs: f64) -> String {
    let negative = secs < 0.0;
    let secs = secs.abs().round() as u64;
    let sign = if negative { "-" } else { "" };
    if secs >= 3600 {
        format!("{sign}{}:{:02}:{:02}", secs / 3600, (secs % 3600) / 60, secs % 60)
    } else {
        format!("{sign}{}:{:02}", secs / 60, secs % 60)
    }
}

/// A number on a chart's axis with as many decimals as its grid step needs (`0.4` beside `0.2`,
/// `1500` beside `500`).
pub(crate) fn axis_number(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10()).ceil().min(6.0) as usize
    };
    let text = format!("{value:.decimals$}");
    // -0 reads as a mistake.
    if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

/// A number with its unit as a chart writes it: `250 ms`, `40 req/s`, `50%`, or the number
/// alone when the unit is unknown.
pub(crate) fn with_unit(number: &str, unit: &str) -> String {
    match unit {
        "" => number.to_string(),
        "%" => format!("{number}%"),
        unit => format!("{number} {unit}"),
    }
}

/// A rate per second as a number: `12.3` (one decimal).
pub(crate) fn rate(per_sec: f64) -> String {
    format!("{per_sec:.1}")
}

/// Requests per second: `12.3 req/s`.
pub(crate) fn req_rate(per_sec: f64) -> String {
    format!("{} req/s", rate(per_sec))
}

/// A rate too coarse for decimals (tokens per second, bytes): `1234`.
pub(crate) fn whole(value: f64) -> String {
    format!("{value:.0}")
}

/// An error rate, which matters in hundredths: `0.25%`.
pub(crate) fn error_percent(percent: f64) -> String {
    format!("{percent:.2}%")
}

/// A share: `99.5%` (one decimal).
pub(crate) fn percent(percent: f64) -> String {
    format!("{percent:.1}%")
}

/// A share where a whole number says enough (CPU, GPU, limits): `87%`.
pub(crate) fn whole_percent(percent: f64) -> String {
    format!("{percent:.0}%")
}

/// A change, signed: `+12.5%` (one decimal; degradation against a baseline).
pub(crate) fn change_percent(percent: f64) -> String {
    format!("{percent:+.1}%")
}

/// A change where a whole number says enough (a room's headline, a comparison's cell): `+12%`.
pub(crate) fn whole_change_percent(percent: f64) -> String {
    format!("{percent:+.0}%")
}

/// A count with thousands separated by commas: `90,000`.
pub(crate) fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `text` on one line: every run of whitespace (newlines included) becomes one space. Tables
/// and CSV rows show failure messages this way (older run files may hold multi-line ones).
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `width` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if display_width(text) <= width {
        return text.to_string();
    }
    // Room for the ellipsis (one column).
    let mut cut = String::new();
    let mut used = 0;
    for character in text.chars() {
        let columns = character.width().unwrap_or(0);
        if used + columns > width.saturating_sub(1) {
            break;
        }
        cut.push(character);
        used += columns;
    }
    cut.push('…');
    cut
}

/// How many terminal columns `text` takes: two for a CJK character, none for a combining mark.
pub(crate) fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` and spaces after it up to `width` terminal columns (left-aligned).
pub(crate) fn pad_end(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(display_width(text))))
}

/// Spaces and then `text` up to `width` terminal columns (right-aligned).
pub(crate) fn pad_start(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(display_width(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_axes_read_as_clock_time_and_round_numbers() {
        assert_eq!(elapsed(5.0), "0:05");
        assert_eq!(elapsed(150.0), "2:30");
        assert_eq!(elapsed(3723.0), "1:02:03");
        assert_eq!(axis_number(0.4, 0.2), "0.4");
        assert_eq!(axis_number(1500.0, 500.0), "1500");
        assert_eq!(axis_number(-0.0001, 0.5), "0.0");
    }

    #[test]
    fn units_read_the_same_everywhere() {
        assert_eq!(micros(412.0), "412µs");
        assert_eq!(micros(8_300.0), "8.3ms");
        assert_eq!(micros(830_000.0), "830ms");
        assert_eq!(micros(1_240_000.0), "1.24s");
        assert_eq!(duration(Duration::from_secs(300)), "5m");
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_secs(112.0), "1m 52s");
        assert_eq!(started_at("2026-11-27T10:33:22Z"), "2026-11-27 10:33 UTC");
        assert_eq!(clock(75.9), "01:15");
        assert_eq!(one_line("a\n  b\tc"), "a b c");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}

/// `text` safe to print on a terminal: control characters other than newline and tab (an
/// escape sequence that retitles the window or clears the screen) shown as `\e`, `\r`, `\x07`.
/// User text (titles, names, notes) and servers' messages reach the terminal through this.
pub(crate) fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod terminal_tests {
    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(super::terminal("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            super::terminal("\u{1b}]0;owned\u{7}\u{1b}[2Jtitle\r"),
            "\\e]0;owned\\x07\\e[2Jtitle\\r"
        );
        assert_eq!(super::terminal("\u{9b}31m"), "\\x9b31m", "C1 controls too");
    }
}
