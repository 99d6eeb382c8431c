//! The real app's window under Xvfb with a small window manager (openbox), its state and
//! geometry read back with xprop and xwininfo, its keys sent with xdotool: what kittest, with no
//! window manager and its own renderer, cannot check. Present's full screen is the window's own
//! (the viewport's fullscreen command, which a window manager honours), not a window of the
//! screen's size; and where OpenGL cannot open the window, wgpu opens it.
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

/// A display of its own with openbox on it, and its name (`:N`).
struct Display {
    name: String,
    _wm: Killed,
    _xvfb: Killed,
}

fn display() -> Display {
    // Xvfb picks a free number and writes it on the descriptor named.
    let mut xvfb = Command::new(tool("Xvfb"))
        .args(["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut number = String::new();
    BufReader::new(xvfb.stdout.take().unwrap()).read_line(&mut number).unwrap();
    let xvfb = Killed(xvfb);
    let name = format!(":{}", number.trim());
    let wm = Killed(
        Command::new(tool("openbox"))
            .env("DISPLAY", &name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The window manager owns the screen before the app maps its window (a window mapped while
    // openbox starts can be left unmanaged).
    wait_for("openbox on the display", Duration::from_secs(30), || {
        x(&name, "xprop", &["-root", "_NET_SUPPORTING_WM_CHECK"]).contains("window id")
    });
    Display {
        name,
        _wm: wm,
        _xvfb: xvfb,
    }
}

/// `loadscope gui ARGS` on `display`, its data in `data`, with `envs` and its standard error
/// written to `data/stderr`.
fn app(display: &str, data: &Path, args: &[&str], envs: &[(&str, &str)]) -> Killed {
    let stderr = std::fs::File::create(data.join("stderr")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_loadscope"));
    command
        .arg("gui")
        .args(args)
        .env("DISPLAY", display)
        .env("LOADSCOPE_DATA_DIR", data)
        .env("XDG_RUNTIME_DIR", data)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("LOADSCOPE_RENDERER")
        .stdout(Stdio::null())
        .stderr(stderr);
    for (name, value) in envs {
        command.env(name, value);
    }
    Killed(command.spawn().unwrap())
}

/// The id of the app's window, once it is open (or a panic with the app's standard error,
/// written to `data/stderr`).
fn app_window(display: &str, data: &Path) -> String {
    let started = Instant::now();
    loop {
        let window = x(display, "xdotool", &["search", "--name", "Loadscope"])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        if !window.is_empty() {
            return window;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no Loadscope window after 90 s; the app's standard error:\n{}",
            std::fs::read_to_string(data.join("stderr")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn without_a_display_the_app_says_what_runs_headless() {
    let output = Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .arg("gui")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are unset). Every command runs headless: \
         loadscope run demo --demo-stack, loadscope run PRESET, loadscope --help"
    );
}

#[test]
fn the_windows_own_state_is_kept_in_the_data_dir() {
    // Two data dirs never share window state: with LOADSCOPE_DATA_DIR set, eframe's app.ron
    // is written there (on closing the window, here by the window manager's Alt+F4).
    let display = display();
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut app = app(&display.name, &data, &[], &[("HOME", home.path().to_str().unwrap())]);
    let window = app_window(&display.name, &data);
    // Alt+F4 again every 5 s until it closes: on a loaded machine a key sent while the window
    // manager is still mapping the window can be lost.
    let mut last_press: Option<Instant> = None;
    wait_for("the app to exit", Duration::from_secs(60), || {
        if last_press.is_none_or(|at| at.elapsed() > Duration::from_secs(5)) {
            x(&display.name, "xdotool", &["windowactivate", "--sync", &window, "key", "alt+F4"]);
            last_press = Some(Instant::now());
        }
        app.0.try_wait().ok().flatten().is_some()
    });
    let state = std::fs::read_to_string(data.join("app.ron")).expect("app.ron in the data dir");
    assert!(state.contains("loadscope-settings"), "{state}");
}

#[test]
fn without_an_opengl_driver_the_window_opens_with_wgpu() {
    // OpenGL asked for, and Mesa's drivers are not where it looks for them: the window opens
    // anyway, drawn by wgpu (Mesa's lavapipe), and says why.
    let display = display();
    let data = tempfile::tempdir().unwrap();
    let _app = app(
        &display.name,
        data.path(),
        &[],
        &[("LOADSCOPE_RENDERER", "glow"), ("LIBGL_DRIVERS_PATH", "/nonexistent")],
    );
    let window = app_window(&display.name, data.path());
    wait_for("a drawn window", Duration::from_secs(30), || size(&display.name, &window).0 > 0);
    let stderr = std::fs::read_to_string(data.path().join("stderr")).unwrap();
    assert!(
        stderr.contains("loadscope: OpenGL cannot open the window (") && stderr.contains("drawing it with wgpu instead"),
        "{stderr}"
    );
}

#[test]
fn present_is_the_window_managers_full_screen_and_f11_and_esc_leave_it() {
    let display = display();
    let display = display.name.as_str();
    let data = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runs/a.json");
    let _app = app(display, data.path(), &["--present", fixture.to_str().unwrap()], &[]);
    let window = app_window(display, data.path());
    // Presenting: the window manager's full screen, the whole screen.
    wait_for("full screen", Duration::from_secs(30), || fullscreen(display, &window));
    wait_for("the screen's size", Duration::from_secs(10), || {
        size(display, &window) == (1280, 720)
    });

    // F11 leaves full screen and comes back to it; Esc leaves Present and full screen.
    x(display, "xdotool", &["windowactivate", "--sync", &window, "key", "F11"]);
    wait_for("full screen off after F11", Duration::from_secs(10), || {
        !fullscreen(display, &window)
    });
    x(display, "xdotool", &["windowactivate", "--sync", &window, "key", "F11"]);
    wait_for("full screen on after F11 again", Duration::from_secs(10), || {
        fullscreen(display, &window)
    });
    x(display, "xdotool", &["windowactivate", "--sync", &window, "key", "Escape"]);
    wait_for("full screen off after Esc", Duration::from_secs(10), || {
        !fullscreen(display, &window)
    });
}
