//! Charts saved as PNG at twice the screen's scale: the chart (title, legend, plot and axes) is
//! drawn again by the same code as on screen, in an egui context of its own sized to the chart,
//! and rendered through egui_wgpu into a texture that is read back, all on a worker thread. A
//! screenshot of the window could only give the screen's pixels, cropped, and whatever covered
//! the chart at that moment.

use std::sync::Arc;

use eframe::egui_wgpu::{self, ScreenDescriptor, wgpu};

use super::renderer::Gpu;

/// How many pixels a point of the chart gets in the PNG.
pub(crate) const PNG_SCALE: f32 = 2.0;

/// Room around the chart in the picture, in points.
const MARGIN_POINTS: f32 = 8.0;

/// Longest wait for the GPU (lavapipe renders a large chart in well under a second).
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A chart to save: what names the file, how wide it is, and how to draw it.
pub struct ChartPicture {
    /// Names the file: `throughput`, `compare-latency-p95`.
    pub name: String,
    /// The chart's width on screen, in points (the picture lays it out at this width).
    pub width_points: f32,
    /// Draws the chart, with its own copy of the data.
    pub draw: Box<dyn FnMut(&mut egui::Ui) + Send>,
}

impl ChartPicture {
    pub fn new(name: impl Into<String>, width_points: f32, draw: impl FnMut(&mut egui::Ui) + Send + 'static) -> ChartPicture {
        ChartPicture {
            name: name.into(),
            width_points,
            draw: Box::new(draw),
        }
    }
}

/// How the app looks, for pictures drawn outside its window.
#[derive(Clone)]
pub(crate) struct Look {
    pub theme: egui::Theme,
    pub style: Arc<egui::Style>,
    pub fonts: egui::FontDefinitions,
}

impl Look {
    pub(crate) fn of(ctx: &egui::Context) -> Look {
        Look {
            theme: ctx.theme(),
            style: ctx.global_style(),
            fonts: ctx.fonts(|fonts| fonts.definitions().clone()),
        }
    }
}

/// Why a chart could not be drawn or saved as PNG.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PngError {
    #[error("the chart was not drawn")]
    NotDrawn,
    #[error("the chart would be {width}x{height} pixels; this GPU draws at most {limit} a side")]
    TooLarge { width: u32, height: u32, limit: u32 },
    /// What the GPU (wgpu) said.
    #[error("{0}")]
    Gpu(String),
    #[error("cannot save {0}: the chart was not on screen")]
    Empty(std::path::PathBuf),
    #[error("cannot save {0}: the screenshot has the wrong size")]
    WrongSize(std::path::PathBuf),
    #[error("cannot encode {path}: {why}")]
    Encode { path: std::path::PathBuf, why: String },
    #[error("cannot create {path}: {why}")]
    Folder { path: std::path::PathBuf, why: String },
    #[error("cannot write {path}: {why}")]
    Write { path: std::path::PathBuf, why: String },
}

/// Draws `picture` at [`PNG_SCALE`] pixels per point and returns its pixels.
pub(crate) fn render(gpu: &Gpu, look: &Look, picture: &mut ChartPicture) -> Result<egui::ColorImage, PngError> {
    let ctx = egui::Context::default();
    ctx.set_theme(look.theme);
    ctx.set_fonts(look.fonts.clone());
    ctx.set_global_style(look.style.clone());
    let width = picture.width_points + 2.0 * MARGIN_POINTS;
    // First at a generous height to learn how tall the chart is (and to let the plot settle its
    // axis widths, which egui_plot takes from the previous frame), then at that height.
    let mut height = 4000.0;
    let mut textures = egui::TexturesDelta::default();
    let mut output = None;
    for _ in 0..2 {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(width, height))),
            viewports: std::iter::once((
                egui::ViewportId::ROOT,
                egui::ViewportInfo {
                    native_pixels_per_point: Some(PNG_SCALE),
                    ..Default::default()
                },
            ))
            .collect(),
            ..Default::default()
        };
        let mut used = egui::Rect::NOTHING;
        let mut full = ctx.run_ui(input, |ui| {
            let frame = egui::Frame::new()
                .fill(ui.visuals().panel_fill)
                .inner_margin(MARGIN_POINTS)
                .show(ui, |ui| {
                    ui.set_width(picture.width_points);
                    (picture.draw)(ui);
                });
            used = frame.response.rect;
        });
        textures.append(std::mem::take(&mut full.textures_delta));
        height = used.max.y.ceil().max(1.0);
        output = Some(full);
    }
    let output = output.ok_or(PngError::NotDrawn)?;
    let size_in_pixels = [(width * PNG_SCALE).round() as u32, (height * PNG_SCALE).round() as u32];
    let primitives = ctx.tessellate(output.shapes, PNG_SCALE);
    draw_to_image(gpu, textures, &primitives, size_in_pixels)
}

fn draw_to_image(
    gpu: &Gpu,
    mut textures: egui::TexturesDelta,
    primitives: &[egui::ClippedPrimitive],
    size_in_pixels: [u32; 2],
) -> Result<egui::ColorImage, PngError> {
    // The renderer below is this picture's alone and is dropped with it: nothing to free.
    let uploads: Vec<(egui::TextureId, egui::epaint::ImageDelta)> = textures
        .set
        .drain()
        .flat_map(|(id, images)| images.into_iter().map(move |image| (id, image)))
        .collect();
    textures.clear();
    let (device, queue) = (&gpu.device, &gpu.queue);
    let limit = device.limits().max_texture_dimension_2d;
    if size_in_pixels.iter().any(|side| *side == 0 || *side > limit) {
        return Err(PngError::TooLarge {
            width: size_in_pixels[0],
            height: size_in_pixels[1],
            limit,
        });
    }
    // Gamma-space output: the bytes read back are the PNG's sRGB bytes.
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let mut renderer = egui_wgpu::Renderer::new(device, format, egui_wgpu::RendererOptions::default());
    for (id, image) in &uploads {
        renderer.update_texture(device, queue, *id, image);
    }
    let screen = ScreenDescriptor {
        size_in_pixels,
        pixels_per_point: PNG_SCALE,
    };
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("loadscope chart png"),
    });
    let buffers = renderer.update_buffers(device, queue, &mut encoder, primitives, &screen);
    let extent = wgpu::Extent3d {
        width: size_in_pixels[0],
        height: size_in_pixels[1],
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("loadscope chart png"),
        size: extent,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
    {
        let mut pass = encoder
            .begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("loadscope chart png"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT),
                        store: wgpu::StoreOp::Store,
                    },
                    depth_slice: None,
                })],
                ..Default::default()
            })
            .forget_lifetime();
        renderer.render(&mut pass, primitives, &screen);
    }
    // Rows are copied out padded to wgpu's alignment.
    let row_bytes = size_in_pixels[0] * 4;
    let padded_row_bytes = row_bytes.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("loadscope chart png readback"),
        size: u64::from(padded_row_bytes) * u64::from(size_in_pixels[1]),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded_row_bytes),
                rows_per_image: None,
            },
        },
        extent,
    );
    let submission = queue.submit(buffers.into_iter().chain(std::iter::once(encoder.finish())));
    let (tx, rx) = std::sync::mpsc::channel();
    readback.slice(..).map_async(wgpu::MapMode::Read, move |mapped| {
        let _ = tx.send(mapped);
    });
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: Some(WAIT),
        })
        .map_err(|err| PngError::Gpu(format!("the GPU did not finish drawing the chart: {err}")))?;
    rx.recv_timeout(WAIT)
        .map_err(|_| PngError::Gpu("the GPU did not hand back the chart".into()))?
        .map_err(|err| PngError::Gpu(format!("cannot read the chart back from the GPU: {err}")))?;
    let mapped = readback
        .slice(..)
        .get_mapped_range()
        .map_err(|err| PngError::Gpu(format!("cannot read the chart back from the GPU: {err}")))?;
    let pixels: Vec<u8> = mapped
        .chunks_exact(padded_row_bytes as usize)
        .flat_map(|row| &row[..row_bytes as usize])
        .copied()
        .collect();
    Ok(egui::ColorImage::from_rgba_premultiplied(
        [size_in_pixels[0] as usize, size_in_pixels[1] as usize],
        &pixels,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_drawn_by_opengl_saves_charts_with_a_wgpu_device_of_its_own() {
        let gpu = Gpu::headless().expect("wgpu finds an adapter (scripts/test-deps.sh installs Mesa's lavapipe)");
        let ctx = egui::Context::default();
        ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        let look = Look::of(&ctx);
        let mut picture = ChartPicture::new("throughput", 200.0, |ui| {
            ui.heading("Throughput");
        });
        let image = render(&gpu, &look, &mut picture).expect("drawn");
        assert_eq!(image.size[0], ((200.0 + 2.0 * MARGIN_POINTS) * PNG_SCALE) as usize);
        assert!(image.pixels.iter().any(|pixel| *pixel != image.pixels[0]), "the title is drawn");
    }
}
