//! Every colour the app uses, in one place: the ones that carry meaning (pass, fail, warning,
//! off), the chart series, the runs laid over each other in a comparison, the fills behind
//! notices, errors and level bands, and the presentation mode's dark theme.

use egui::Color32;

// Meaning.
pub(crate) const PASS: Color32 = Color32::from_rgb(52, 168, 83);
pub(crate) const FAIL: Color32 = Color32::from_rgb(229, 57, 53);
pub(crate) const WARN: Color32 = Color32::from_rgb(251, 140, 0);
pub(crate) const OFF: Color32 = Color32::GRAY;

// Chart series.
pub(crate) const BLUE: Color32 = Color32::from_rgb(66, 133, 244);
pub(crate) const GREEN: Color32 = PASS;
pub(crate) const ORANGE: Color32 = WARN;
pub(crate) const RED: Color32 = FAIL;
pub(crate) const PURPLE: Color32 = Color32::from_rgb(142, 68, 173);
/// Latency percentiles, told apart from each other and from the meaning colours (Okabe-Ito).
pub(crate) const P50: Color32 = Color32::from_rgb(0, 114, 178);
pub(crate) const P95: Color32 = Color32::from_rgb(230, 159, 0);
pub(crate) const P99: Color32 = Color32::from_rgb(204, 121, 167);
/// Targets on lines named from the data.
pub(crate) const TARGET: Color32 = Color32::from_rgb(120, 120, 120);
/// The size of a capacity search's answer where it is the largest text (Live, Runs).
pub(crate) const CAPACITY_ANSWER_SIZE: f32 = 26.0;
/// A capacity search's answer, a vertical line on its curves (reads on both themes).
pub(crate) const CAPACITY_MARKER: Color32 = Color32::from_rgb(0, 158, 115);
/// The shared crosshair: the text colour of the theme, so it stands out on both (a mid grey
/// was lost on the dark theme's grid).
pub(crate) fn crosshair(visuals: &egui::Visuals) -> Color32 {
    visuals.strong_text_color().gamma_multiply(0.85)
}
/// Lines named from the data (GPUs, containers, metrics), in order.
pub(crate) const SERIES: [Color32; 8] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    PURPLE,
    Color32::from_rgb(0, 172, 193),
    Color32::from_rgb(124, 179, 66),
    Color32::from_rgb(255, 112, 67),
];
/// One colour per run in a comparison (Okabe-Ito: told apart with colour blindness).
pub(crate) const RUNS: [Color32; 8] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(230, 159, 0),
    Color32::from_rgb(0, 158, 115),
    Color32::from_rgb(204, 121, 167),
    Color32::from_rgb(86, 180, 233),
    Color32::from_rgb(213, 94, 0),
    Color32::from_rgb(240, 228, 66),
    Color32::from_rgb(160, 160, 160),
];

// Fills (translucent; egui builds them at run time).
pub(crate) fn error_fill() -> Color32 {
    Color32::from_rgba_unmultiplied(229, 57, 53, 40)
}
pub(crate) fn info_fill() -> Color32 {
    Color32::from_rgba_unmultiplied(30, 136, 229, 40)
}
pub(crate) fn error_line_fill() -> Color32 {
    Color32::from_rgba_unmultiplied(229, 57, 53, 60)
}
/// Level bands behind the charts, alternating (visibly: one clear, one shaded).
pub(crate) fn band_fill(index: usize) -> Color32 {
    grey_fill(if index.is_multiple_of(2) { 10 } else { 48 })
}
/// The time range being dragged out to zoom.
pub(crate) fn selection_fill() -> Color32 {
    Color32::from_rgba_unmultiplied(66, 133, 244, 50)
}
/// A neutral band behind a chart span, as opaque as `alpha`.
pub(crate) fn grey_fill(alpha: u8) -> Color32 {
    Color32::from_rgba_unmultiplied(128, 128, 128, alpha)
}

// Presentation mode (dark, high contrast, whatever the app's theme).
pub(crate) const PRESENT_BACKGROUND: Color32 = Color32::from_rgb(13, 17, 23);
pub(crate) const PRESENT_PANEL: Color32 = Color32::from_rgb(22, 27, 34);
pub(crate) const PRESENT_TEXT: Color32 = Color32::from_rgb(240, 246, 252);
pub(crate) const PRESENT_MUTED: Color32 = Color32::from_rgb(180, 190, 200);
pub(crate) const BADGE_PASS: Color32 = Color32::from_rgb(35, 134, 54);
pub(crate) const BADGE_FAIL: Color32 = Color32::from_rgb(200, 40, 40);
pub(crate) const BADGE_NONE: Color32 = Color32::from_rgb(72, 79, 88);
pub(crate) const PRESENT_PASS_TEXT: Color32 = Color32::from_rgb(120, 220, 140);
pub(crate) const PRESENT_FAIL_TEXT: Color32 = Color32::from_rgb(255, 140, 140);
pub(crate) const PRESENT_FAILED_TARGETS: Color32 = Color32::from_rgb(255, 160, 160);

/// A catalogue line's colour on screen.
pub(crate) fn series(color: crate::report::catalogue::SeriesColor) -> Color32 {
    use crate::report::catalogue::SeriesColor;
    match color {
        SeriesColor::Blue => BLUE,
        SeriesColor::Purple => PURPLE,
        SeriesColor::Green => GREEN,
        SeriesColor::Red => RED,
        SeriesColor::P50 => P50,
        SeriesColor::P95 => P95,
        SeriesColor::P99 => P99,
    }
}
