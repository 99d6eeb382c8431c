//! Which renderer draws the window, and what the window says about it.
//!
//! wgpu (Vulkan, Metal, DirectX) draws the window on a graphics card. Where the only adapter
//! is a software one (Mesa's lavapipe, as on a VM or a remote desktop), OpenGL through eframe's
//! glow renderer draws it instead: on Mesa's llvmpipe a frame of the Live tab costs 32 ms of
//! CPU through OpenGL and 173 ms through lavapipe at 1600x1000 (`scripts/profile-ui-frame.sh`;
//! egui's own demo: 33 ms and 126 ms), so a run's charts can move several times a second
//! within the window's CPU budget. `loadscope gui --renderer` (or `LOADSCOPE_RENDERER`) picks
//! one by hand.

use eframe::egui_wgpu::{self, wgpu};

/// The person's choice (`--renderer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RendererChoice {
    /// wgpu on a graphics card, OpenGL where the only adapter draws in software.
    #[default]
    Auto,
    /// wgpu: Vulkan, Metal or DirectX (or its own OpenGL backend).
    Wgpu,
    /// OpenGL through eframe's glow renderer.
    Glow,
}

impl RendererChoice {
    /// `LOADSCOPE_RENDERER` for a bare `loadscope` (`loadscope gui` reads it through clap).
    pub(crate) fn from_env() -> RendererChoice {
        let Ok(value) = std::env::var("LOADSCOPE_RENDERER") else {
            return RendererChoice::Auto;
        };
        <RendererChoice as clap::ValueEnum>::from_str(&value, true).unwrap_or_else(|_| {
            eprintln!("loadscope: LOADSCOPE_RENDERER={value:?} is not a renderer (auto, wgpu or glow); choosing automatically");
            RendererChoice::Auto
        })
    }
}

/// The adapter that draws the window, as the Live tab names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// As the driver names it, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// A CPU (software) renderer such as Mesa's llvmpipe.
    pub software: bool,
    /// The graphics API: `Vulkan`, `OpenGL`, `Metal`…
    pub api: String,
}

impl Adapter {
    /// The adapter of a wgpu window.
    pub(crate) fn of_wgpu(info: &wgpu::AdapterInfo) -> Adapter {
        Adapter {
            name: info.name.clone(),
            software: info.device_type == wgpu::DeviceType::Cpu,
            api: match info.backend {
                wgpu::Backend::Vulkan => "Vulkan",
                wgpu::Backend::Metal => "Metal",
                wgpu::Backend::Dx12 => "DirectX 12",
                wgpu::Backend::Gl => "OpenGL",
                _ => "wgpu",
            }
            .to_string(),
        }
    }

    /// The adapter of an OpenGL (glow) window, from its `GL_RENDERER` string.
    pub(crate) fn of_gl(gl: &eframe::glow::Context) -> Adapter {
        use eframe::glow::HasContext;
        // SAFETY: a string query on the window's current context, on its thread.
        let name = unsafe { gl.get_parameter_string(eframe::glow::RENDERER) };
        Adapter {
            software: gl_renderer_is_software(&name),
            name,
            api: "OpenGL".to_string(),
        }
    }
}

/// Whether an OpenGL renderer string names a CPU rasterizer.
fn gl_renderer_is_software(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "llvmpipe",
        "softpipe",
        "swrast",
        "software rasterizer",
        "swiftshader",
        "basic render driver",
    ]
    .iter()
    .any(|software| name.contains(software))
}

/// The renderer to open the window with.
pub(crate) fn choose(choice: RendererChoice) -> eframe::Renderer {
    match choice {
        RendererChoice::Wgpu => eframe::Renderer::Wgpu,
        RendererChoice::Glow => eframe::Renderer::Glow,
        RendererChoice::Auto => match best_wgpu_adapter() {
            Some(info) if info.device_type == wgpu::DeviceType::Cpu => eframe::Renderer::Glow,
            // A graphics card, or no adapter wgpu can find: wgpu says why when the window opens.
            _ => eframe::Renderer::Wgpu,
        },
    }
}

/// The adapter wgpu would draw with, found the way the window finds it (environment included:
/// `WGPU_BACKEND`, `WGPU_POWER_PREF`).
fn best_wgpu_adapter() -> Option<wgpu::AdapterInfo> {
    let (adapter, _) = wgpu_adapter().ok()?;
    Some(adapter.get_info())
}

/// How egui asks an adapter for a device.
type DescribeDevice = std::sync::Arc<dyn Fn(&wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> + Send + Sync>;

/// wgpu's adapter with no window, and how egui asks it for a device.
fn wgpu_adapter() -> Result<(wgpu::Adapter, DescribeDevice), String> {
    let setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
    let instance = wgpu::Instance::new(setup.instance_descriptor);
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: setup.power_preference,
        compatible_surface: None,
        ..Default::default()
    }))
    .map_err(|err| format!("no GPU adapter to draw it with: {err}"))?;
    Ok((adapter, setup.device_descriptor))
}

/// A wgpu device and its queue: the window's, or one of its own where OpenGL draws the window
/// (charts saved as PNG are drawn by wgpu either way).
#[derive(Clone)]
pub(crate) struct Gpu {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
}

impl Gpu {
    pub(crate) fn of_window(state: &egui_wgpu::RenderState) -> Gpu {
        Gpu {
            device: state.device.clone(),
            queue: state.queue.clone(),
        }
    }

    /// A device with no window (blocks while the driver starts: call it off the window thread).
    pub(crate) fn headless() -> Result<Gpu, String> {
        let (adapter, describe) = wgpu_adapter()?;
        let (device, queue) =
            pollster::block_on(adapter.request_device(&describe(&adapter))).map_err(|err| format!("cannot open the GPU: {err}"))?;
        Ok(Gpu { device, queue })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_gl_renderers_are_known_by_name() {
        assert!(gl_renderer_is_software("llvmpipe (LLVM 15.0.6, 256 bits)"));
        assert!(gl_renderer_is_software("Google SwiftShader"));
        assert!(gl_renderer_is_software("Microsoft Basic Render Driver"));
        assert!(!gl_renderer_is_software("NVIDIA GeForce RTX 4090/PCIe/SSE2"));
        assert!(!gl_renderer_is_software("AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 17.0.6)"));
    }
}
