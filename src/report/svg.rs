//! Charts as inline SVG: axes with round-number grid lines, shaded level bands, one polyline per
//! line, dashed target lines and a legend. Written by hand: the charting crates' text layout
//! needs a font backend (system fonts or an embedded font), which a report that only writes
//! `<text>` elements does not.

use std::fmt::Write as _;

use super::catalogue::SeriesColor;
use super::charts::{ChartData, Line, band_labels, slot_spans};

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 58.0;

/// Line colours, distinguishable for the common colour-vision deficiencies (Okabe-Ito).
pub(crate) const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// A catalogue line's colour in SVG (the app's colours for the same lines).
fn series_colour(color: SeriesColor) -> &'static str {
    match color {
        SeriesColor::Blue => "#4285F4",
        SeriesColor::Purple => "#8E44AD",
        SeriesColor::Green => "#34A853",
        SeriesColor::Red => "#E53935",
        SeriesColor::P50 => "#0072B2",
        SeriesColor::P95 => "#E69F00",
        SeriesColor::P99 => "#CC79A7",
    }
}

/// A line's colour: the catalogue's, else by its place among the chart's lines.
fn line_colour(line: &Line, index: usize) -> &'static str {
    line.color.map_or(COLOURS[index % COLOURS.len()], series_colour)
}

/// Escapes text for XML/HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A round grid step giving about `target` lines up to `max`.
pub(crate) fn nice_step(max: f64, target: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let residual = raw / magnitude;
    let nice = if residual <= 1.0 {
        1.0
    } else if residual <= 2.0 {
        2.0
    } else if residual <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn format_tick(value: f64) -> String {
    if value >= 1000.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The chart as an `<svg>` element that scales to its container's width.
pub(crate) fn render(chart: &ChartData) -> String {
    let x_max = chart
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|point| point[0]))
        .chain(chart.bands.iter().map(|band| band.end_secs))
        .chain(chart.markers.iter().map(|marker| marker.x))
        .fold(1.0_f64, f64::max);
    // A load axis ends past its last step, so the last marker is not on the frame.
    let x_max = match chart.x_axis {
        super::charts::XAxis::Load(_) => x_max * 1.1,
        super::charts::XAxis::Elapsed => x_max,
    };
    let y_data_max = chart
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|point| point[1]))
        .chain(chart.thresholds.iter().map(|threshold| threshold.value))
        .fold(0.0_f64, f64::max);
    let y_step = nice_step(y_data_max.max(1e-9), 4.0);
    let y_max = (y_data_max / y_step).ceil().max(1.0) * y_step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |secs: f64| LEFT + secs / x_max * plot_w;
    let y = |value: f64| TOP + plot_h - value / y_max * plot_h;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="chart-{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>"#,
        id = escape(&chart.id),
        title = escape(&chart.title),
    );
    // Level bands, alternately shaded, named at the top.
    for (index, band) in chart.bands.iter().enumerate() {
        let (left, right) = (x(band.start_secs), x(band.end_secs.min(x_max)));
        if index % 2 == 0 {
            let _ = write!(
                svg,
                r##"<rect x="{left:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="#888888" fill-opacity="0.14"/>"##,
                (right - left).max(0.0)
            );
        }
    }
    // Their names: the scenario's (bold) over the level's, laid out as every face lays them.
    for label in band_labels(&slot_spans(&chart.bands), (0.0, x_max), plot_w / x_max, 5.6) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10"{} fill="#555">{}</text>"##,
            x(label.x_secs) + 3.0,
            TOP - 15.0 + 10.0 * f64::from(label.row),
            if label.strong { r#" font-weight="bold""# } else { "" },
            escape(&label.text)
        );
    }
    // Grid and y labels.
    let mut tick = 0.0;
    while tick <= y_max + y_step / 2.0 {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ccc" stroke-width="0.6"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#444">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y(tick) + 3.0,
            format_tick(tick),
            yy = y(tick),
        );
        tick += y_step;
    }
    // X ticks in seconds, or in a capacity search's load.
    let x_step = nice_step(x_max, 8.0);
    let mut secs = 0.0;
    while secs <= x_max + 1e-9 {
        let label = match chart.x_axis {
            super::charts::XAxis::Elapsed => format!("{}s", format_tick(secs)),
            axis => axis.label(secs),
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#444">{}</text>"##,
            x(secs),
            TOP + plot_h + 14.0,
            escape(&label)
        );
        secs += x_step;
    }
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{:.1}" stroke="#444"/><line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#444"/><text x="12" y="{:.1}" font-size="10" fill="#444" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"##,
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(&chart.unit)
    );
    // Targets.
    for threshold in &chart.thresholds {
        if threshold.value > y_max {
            continue;
        }
        let (left, right, yy) = (x(threshold.start_secs), x(threshold.end_secs.min(x_max)), y(threshold.value));
        let _ = write!(
            svg,
            r##"<line x1="{left:.1}" x2="{right:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="#C00" stroke-width="1.2" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#C00">{}</text>"##,
            left + 3.0,
            yy - 3.0,
            escape(&threshold.label)
        );
    }
    // Lines.
    for (index, line) in chart.lines.iter().enumerate() {
        if line.points.is_empty() {
            continue;
        }
        let points: Vec<String> = line
            .points
            .iter()
            .map(|point| format!("{:.1},{:.1}", x(point[0]), y(point[1])))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"><title>{}</title></polyline>"#,
            line_colour(line, index),
            points.join(" "),
            escape(&line.name)
        );
    }
    // A search's steps: a dot at each measured load.
    if matches!(chart.x_axis, super::charts::XAxis::Load(_)) {
        for (index, line) in chart.lines.iter().enumerate() {
            for point in &line.points {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    x(point[0]),
                    y(point[1]),
                    line_colour(line, index)
                );
            }
        }
    }
    // Vertical markers (a search's answer) with their words.
    for marker in &chart.markers {
        let xx = x(marker.x);
        let _ = write!(
            svg,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{:.1}" stroke="#009E73" stroke-width="1.6" stroke-dasharray="6 3"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#007a59">{}</text>"##,
            TOP + plot_h,
            xx + 4.0,
            TOP + 12.0,
            escape(&marker.label)
        );
    }
    // Legend.
    let mut legend_x = LEFT;
    for (index, line) in chart.lines.iter().enumerate() {
        let legend_y = HEIGHT - 14.0;
        let _ = write!(
            svg,
            r##"<rect x="{legend_x:.1}" y="{:.1}" width="14" height="4" fill="{}"/><text x="{:.1}" y="{legend_y:.1}" font-size="11" fill="#222">{}</text>"##,
            legend_y - 5.0,
            line_colour(line, index),
            legend_x + 18.0,
            escape(&line.name)
        );
        legend_x += 30.0 + line.name.chars().count() as f64 * 6.2;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::Threshold;

    #[test]
    fn a_searchs_curve_draws_its_steps_and_its_answer() {
        let run: crate::run::RunRecord = serde_json::from_str(include_str!("../../tests/fixtures/ui-capacity-run.json")).expect("fixture");
        let charts = crate::report::charts::capacity_charts(&run.scenarios[0]);
        let svg = render(&charts[0]);
        assert!(svg.contains("capacity 8 users"), "the answer is drawn");
        let steps: usize = charts[0].lines.iter().map(|line| line.points.len()).sum();
        assert_eq!(svg.matches("<circle").count(), steps, "a dot a step");
    }

    #[test]
    fn draws_lines_targets_and_escapes_names() {
        let chart = ChartData {
            kind: crate::report::catalogue::ChartKind::Latency,
            id: "latency".into(),
            title: "Response <time>".into(),
            unit: "ms".into(),
            lines: vec![Line {
                name: "p95 & more".into(),
                color: None,
                points: vec![[0.0, 10.0], [1.0, 20.0]],
            }],
            bands: Vec::new(),
            x_axis: crate::report::charts::XAxis::Elapsed,
            markers: Vec::new(),
            thresholds: vec![Threshold {
                label: "p95 < 15ms".into(),
                value: 15.0,
                start_secs: 0.0,
                end_secs: 1.0,
            }],
        };
        let svg = render(&chart);
        assert!(svg.starts_with("<svg id=\"chart-latency\""));
        assert!(svg.contains("Response &lt;time&gt;"));
        assert!(svg.contains("p95 &amp; more"));
        assert!(svg.contains("stroke-dasharray"), "the target is drawn");
        assert_eq!(svg.matches("<polyline").count(), 1);
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(nice_step(100.0, 4.0), 50.0);
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert_eq!(nice_step(0.0, 4.0), 1.0);
    }
}
