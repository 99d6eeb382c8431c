//! The colours that carry meaning in the app: a passing check, a failing one, a warning.

use egui::Color32;

pub const PASS: Color32 = Color32::from_rgb(52, 168, 83);
pub const FAIL: Color32 = Color32::from_rgb(229, 57, 53);
pub const WARN: Color32 = Color32::from_rgb(251, 140, 0);
