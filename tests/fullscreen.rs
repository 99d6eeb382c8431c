//! Present's full screen is the window's own (the viewport's fullscreen command, which a window
//! manager honours), not a window of the screen's size: the real app under Xvfb with a small
//! window manager (openbox), its window's state and geometry read back with xprop and xwininfo,
//! its keys sent with xdotool. kittest has no window manager, so this is where it is checked.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path.display().to_string();
        }
    }
    panic!("{name} is not installed: run scripts/test-deps.sh (xvfb, openbox, xdotool, x11-utils)");
}

/// Runs an X client on `display` and returns its standard output.
fn x(display: &str, program: &str, args: &[&str]) -> String {
    let output = Command::new(tool(program)).args(args).env("DISPLAY", display).output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn fullscreen(display: &str, window: &str) -> bool {
    x(display, "xprop", &["-id", window, "_NET_WM_STATE"]).contains("_NET_WM_STATE_FULLSCREEN")
}

fn size(display: &str, window: &str) -> (u32, u32) {
    let info = x(display, "xwininfo", &["-id", window]);
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.trim().strip_prefix(name))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("Width:"), field("Height:"))
}

#[test]
fn present_is_the_window_managers_full_screen_and_f11_and_esc_leave_it() {
    // A display of its own: Xvfb picks a free number and writes it on the descriptor named.
    let mut xvfb = Command::new(tool("Xvfb"))
        .args(["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut number = String::new();
    BufReader::new(xvfb.stdout.take().unwrap()).read_line(&mut number).unwrap();
    let _xvfb = Killed(xvfb);
    let display = format!(":{}", number.trim());
    let _wm = Killed(
        Command::new(tool("openbox"))
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let data = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runs/a.json");
    let _app = Killed(
        Command::new(env!("CARGO_BIN_EXE_loadscope"))
            .args(["gui", "--present"])
            .arg(&fixture)
            .env("DISPLAY", &display)
            .env("LOADSCOPE_DATA_DIR", data.path())
            .env("XDG_RUNTIME_DIR", data.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut window = String::new();
    wait_for("the Loadscope window", Duration::from_secs(90), || {
        window = x(&display, "xdotool", &["search", "--name", "Loadscope"])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        !window.is_empty()
    });
    // Presenting: the window manager's full screen, the whole screen.
    wait_for("full screen", Duration::from_secs(30), || fullscreen(&display, &window));
    wait_for("the screen's size", Duration::from_secs(10), || {
        size(&display, &window) == (1280, 720)
    });

    // F11 leaves full screen and comes back to it; Esc leaves Present and full screen.
    x(&display, "xdotool", &["windowactivate", "--sync", &window, "key", "F11"]);
    wait_for("full screen off after F11", Duration::from_secs(10), || {
        !fullscreen(&display, &window)
    });
    x(&display, "xdotool", &["windowactivate", "--sync", &window, "key", "F11"]);
    wait_for("full screen on after F11 again", Duration::from_secs(10), || {
        fullscreen(&display, &window)
    });
    x(&display, "xdotool", &["windowactivate", "--sync", &window, "key", "Escape"]);
    wait_for("full screen off after Esc", Duration::from_secs(10), || {
        !fullscreen(&display, &window)
    });
}
