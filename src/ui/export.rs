//! Chart panels saved as PNG: a region of a rendered frame (egui's viewport screenshot),
//! encoded and written atomically.

use std::path::Path;

use super::chart_png::PngError;

/// Writes `image` as a PNG at `path` (creating its folder); the error names the file.
pub(crate) fn write_png(image: &egui::ColorImage, path: &Path) -> Result<(), PngError> {
    let [width, height] = image.size;
    if width == 0 || height == 0 {
        return Err(PngError::Empty(path.to_path_buf()));
    }
    let pixels: Vec<u8> = image.pixels.iter().flat_map(|pixel| pixel.to_array()).collect();
    let buffer = image::RgbaImage::from_raw(width as u32, height as u32, pixels).ok_or_else(|| PngError::WrongSize(path.to_path_buf()))?;
    let mut bytes = Vec::new();
    buffer
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|err| PngError::Encode {
            path: path.to_path_buf(),
            why: err.to_string(),
        })?;
    if let Some(dir) = path.parent() {
        crate::io_guard::note(|| format!("create {}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|err| PngError::Folder {
            path: dir.to_path_buf(),
            why: err.to_string(),
        })?;
    }
    crate::run::save::write_atomic(path, &bytes).map_err(|err| PngError::Write {
        path: path.to_path_buf(),
        why: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_png_of_the_region() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut image = egui::ColorImage::filled([40, 20], egui::Color32::WHITE);
        image.pixels[0] = egui::Color32::RED;
        let region = image.region_by_pixels([0, 0], [10, 5]);
        let path = dir.path().join("charts/latency.png");
        write_png(&region, &path).expect("written");
        let read = image::open(&path).expect("a PNG").to_rgba8();
        assert_eq!(read.dimensions(), (10, 5));
        assert_eq!(read.get_pixel(0, 0).0, [255, 0, 0, 255]);
        let empty = egui::ColorImage::filled([0, 0], egui::Color32::WHITE);
        assert!(write_png(&empty, &path).is_err());
    }
}
