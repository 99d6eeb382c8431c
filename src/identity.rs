//! Who the app is, said once: the application id every platform sees (the window's app id, the
//! desktop entry's and AppStream's file names, the data dir's name), the version, and the icon.

/// Reverse-DNS application id: the Wayland/X11 app id, `dev.loadscope.Loadscope.desktop`, the
/// AppStream metainfo id, the hicolor icon name.
pub(crate) const APP_ID: &str = "dev.loadscope.Loadscope";

/// The parts `directories` builds the data dir from (`~/.local/share/loadscope` on Linux,
/// `~/Library/Application Support/dev.loadscope.Loadscope` on macOS,
/// `%LOCALAPPDATA%\loadscope\Loadscope\data` on Windows).
pub(crate) const QUALIFIER: &str = "dev";
pub(crate) const ORGANIZATION: &str = "loadscope";
pub(crate) const APPLICATION: &str = "Loadscope";

/// The version from Cargo.toml.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The icon at 256 px, as PNG (rendered from assets/loadscope.svg by scripts/make-icons.sh).
pub(crate) const ICON_PNG: &[u8] = include_bytes!("../assets/icons/hicolor/256x256/apps/dev.loadscope.Loadscope.png");

/// The icon as RGBA pixels: (width, height, pixels), decoded once (the window and About both
/// want it at start-up).
pub(crate) fn icon_rgba() -> Option<&'static (u32, u32, Vec<u8>)> {
    static DECODED: std::sync::OnceLock<Option<(u32, u32, Vec<u8>)>> = std::sync::OnceLock::new();
    DECODED
        .get_or_init(|| {
            let image = image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png).ok()?;
            let rgba = image.into_rgba8();
            Some((rgba.width(), rgba.height(), rgba.into_raw()))
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_sum_of_its_parts_and_the_icon_decodes() {
        assert_eq!(APP_ID, format!("{QUALIFIER}.{ORGANIZATION}.{APPLICATION}"));
        let (width, height, pixels) = icon_rgba().expect("the committed icon is a PNG");
        assert_eq!((*width, *height), (256, 256));
        assert_eq!(pixels.len(), 256 * 256 * 4);
    }
}
