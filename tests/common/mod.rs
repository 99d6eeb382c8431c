//! Shared test fixtures: a real nginx on 127.0.0.1, presets written to temp files, and runs
//! driven through the library. Every server runs in a process group of its own and is stopped
//! with SIGTERM to the whole group (then waited for), so no worker or child outlives a test.
#![allow(dead_code, clippy::unwrap_used)]

pub mod faulty;
pub mod preset;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loadscope::testing::engine::{Event, RunPlan, run_blocking};
use loadscope::testing::preset::{Overrides, PresetSource, compile};
use loadscope::testing::run::RunRecord;

/// A free port on 127.0.0.1 (bound and released; good enough for a test server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    free_port()
}

/// A real nginx serving fixed routes:
/// `/hello` (17-byte body), `/json`, `/fail` (500), `/health`, `/limited` (429), `/busy` (503
/// with Retry-After), `/unavailable` (503 "database error"), anything else 404.
pub struct Nginx {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub fn start() -> Nginx {
        Self::start_with("", "")
    }

    /// Serves https with this certificate and key (PEM paths).
    pub fn start_tls(cert: &Path, key: &Path) -> Nginx {
        Self::start_with(
            " ssl",
            &format!(
                "ssl_certificate {};\n        ssl_certificate_key {};",
                cert.display(),
                key.display()
            ),
        )
    }

    fn start_with(listen_options: &str, server_extra: &str) -> Nginx {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("nginx is not installed: apt-get install nginx-light (.ci/run installs it)");
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            // The port stays taken from here until nginx serves it: nginx inherits this
            // listening socket (its `NGINX` variable, as in a binary upgrade; only a master
            // process keeps inherited sockets) instead of binding a port another test could have
            // taken in between.
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let prefix = dir.path();
            let conf = format!(
                r#"
worker_processes 1;
daemon off;
master_process on;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port}{listen_options};
        {server_extra}
        location = /hello {{ default_type text/plain; return 200 "hello from nginx\n"; }}
        location = /json {{ default_type application/json; return 200 '{{"status":"ok","items":[1,2,3]}}'; }}
        location = /fail {{ default_type text/plain; return 500 "boom\n"; }}
        location = /health {{ default_type text/plain; return 200 "ok\n"; }}
        location = /limited {{ default_type text/plain; return 429 "slow down\n"; }}
        location = /busy {{ default_type text/plain; add_header Retry-After 1 always; return 503 "busy\n"; }}
        location = /unavailable {{ default_type text/plain; return 503 "down: database error\n"; }}
        location / {{ return 404; }}
    }}
}}
"#,
                prefix = prefix.display()
            );
            let conf_path = prefix.join("nginx.conf");
            std::fs::write(&conf_path, conf).unwrap();
            let mut command = Command::new(binary);
            command
                .arg("-p")
                .arg(prefix)
                .arg("-c")
                .arg(&conf_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            pass_listener(&mut command, &listener);
            let child = own_group(&mut command).spawn().expect("nginx starts");
            let mut nginx = Nginx { child, port, _dir: dir };
            let ready = nginx.wait_ready();
            drop(listener);
            if ready {
                return nginx;
            }
            stop_group(&mut nginx.child);
        }
        panic!("nginx did not start on a free port after 5 tries");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

impl Nginx {
    /// The id of this nginx's master process (its worker is in the same process group).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Hands `listener` to nginx: the socket stays open across exec and nginx finds it in its
/// `NGINX` environment variable (`fd;`), serving it for the `listen` of the same address.
fn pass_listener(command: &mut Command, listener: &TcpListener) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let fd = listener.as_raw_fd();
        command.env("NGINX", format!("{fd};"));
        // SAFETY: between fork and exec only fcntl on a descriptor this process owns.
        unsafe {
            command.pre_exec(move || {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

/// Starts `command` as the leader of a new process group, so `stop_group` reaches its children.
pub fn own_group(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    command
}

/// Stops a server and everything it started: SIGTERM to its process group, up to 5 s to exit,
/// then SIGKILL to the group; always reaped.
pub fn stop_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let group = child.id() as libc::pid_t;
        // SAFETY: signalling a process group this test started.
        unsafe {
            libc::killpg(group, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; the group may already be gone.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether a process id is alive (and not a zombie waiting to be reaped).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(") ").next().is_some_and(|rest| rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Compiles preset text and prepares a plan writing to `out`.
pub fn plan_from_text(text: &str, out: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> RunPlan {
    let loaded = PresetSource::from_text("test.toml", text, None)
        .parse()
        .unwrap_or_else(|err| panic!("{err}"));
    let compiled = compile(&loaded).unwrap_or_else(|err| panic!("{err}"));
    let mut plan = RunPlan::new(compiled, out.to_path_buf(), lookup).unwrap();
    plan.workers = 2;
    plan
}

/// Runs preset text to the end and returns the record and every event.
pub fn run_text(text: &str, out: &Path) -> (RunRecord, Vec<Event>) {
    let plan = plan_from_text(text, out, &|_| None);
    let mut events = Vec::new();
    let record = run_blocking(plan, |event| events.push(event.clone()))
        .unwrap()
        .expect("the run finished");
    (record, events)
}

/// The demo stack on free ports with a fixed seed and no injected errors.
pub fn seeded_demo(seed: u64) -> loadscope::testing::demo::DemoStack {
    loadscope::testing::demo::DemoStack::start(loadscope::testing::demo::DemoConfig {
        base_port: 0,
        seed: Some(seed),
        error_rate: 0.0,
        ..loadscope::testing::demo::DemoConfig::default()
    })
    .unwrap()
}

/// A temp folder and a run-file path inside it.
pub fn out_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    (dir, path)
}

/// The shipped overrides type, for brevity.
pub fn no_overrides() -> Overrides {
    Overrides::default()
}

/// A test server started from an npm package installed by scripts/test-deps.sh; killed on drop.
pub struct NodeServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// Where scripts/test-deps.sh put the npm test servers.
pub fn npm_bin(name: &str) -> PathBuf {
    let prefix = std::env::var_os("LOADSCOPE_NPM_PREFIX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/loadscope-npm"));
    let path = prefix.join("node_modules/.bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test-deps.sh (it installs the pinned npm test servers)",
        path.display()
    );
    path
}

/// A program from the Python virtual environment scripts/test-deps.sh made (pinned chromadb,
/// prometheus_client, junitparser, PyYAML, Locust): `python3`, `chroma`, `locust`. Never the
/// system's or another Python on PATH.
pub fn python_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("LOADSCOPE_PYTHON_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/loadscope-venv"));
    let path = venv.join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test-deps.sh (it makes the Python test tools' virtual environment)",
        path.display()
    );
    path
}

impl NodeServer {
    /// Starts `bin args...` with `env`, in a temp folder that `files` are written to first, and
    /// waits until it accepts connections on its port.
    pub fn start(bin: &str, args: &[&str], env: &[(&str, String)], files: &[(&str, &str)]) -> NodeServer {
        Self::start_program(&npm_bin(bin), args, env, files)
    }

    /// Like `start` for any program; `{port}` in args and env values becomes the port.
    pub fn start_program(binary: &Path, args: &[&str], env: &[(&str, String)], files: &[(&str, &str)]) -> NodeServer {
        let bin = binary.display().to_string();
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            let port = free_port();
            let mut command = Command::new(binary);
            let args: Vec<String> = args
                .iter()
                .map(|arg| {
                    arg.replace("{port}", &port.to_string())
                        .replace("{dir}", &dir.path().display().to_string())
                })
                .collect();
            let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
            let out = log.try_clone().unwrap();
            command.args(&args).current_dir(dir.path()).stdout(out).stderr(log);
            for (key, value) in env {
                command.env(key, value.replace("{port}", &port.to_string()));
            }
            let child = own_group(&mut command).spawn().unwrap();
            let mut server = NodeServer { child, port, _dir: dir };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last_log = format!("exited with {status}");
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            stop_group(&mut server.child);
            last_log.push_str(&std::fs::read_to_string(server._dir.path().join("server.log")).unwrap_or_default());
        }
        panic!("{bin} did not start after 5 tries; its last output:\n{last_log}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

/// Runs the `loadscope` binary with `data_dir` as its data dir.
pub fn loadscope(args: &[&str], data_dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(args)
        .env("LOADSCOPE_DATA_DIR", data_dir)
        .output()
        .unwrap()
}

/// A run file from `tests/fixtures/runs` (made by the real engine: scripts/make-run-fixtures.sh).
pub fn run_fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runs")
        .join(format!("{name}.json"))
}

/// The run of `run_fixture_path(name)`, read as any run file is.
pub fn run_fixture(name: &str) -> RunRecord {
    loadscope::testing::run::load(&run_fixture_path(name)).unwrap()
}

/// Runs `openssl args...` in `dir` (test certificates).
pub fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(status.success(), "openssl {args:?}");
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
