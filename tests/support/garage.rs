//! A real Garage S3 server for tests: one single-node instance per [`Garage`], on free
//! loopback ports, with its config, metadata, data and log in its own temporary directory.
//!
//! ```no_run
//! let g = sift_tests::garage::Garage::start();
//! // S3 clients: endpoint g.endpoint(), region g.region() ("garage"), path-style addressing,
//! // credentials g.access_key() / g.secret_key(), or the environment in g.env().
//! assert!(g.garage(&["bucket", "list"]).contains(g.bucket()));
//! ```
//!
//! The binary is `$SIFT_GARAGE`, else `~/.cargo/bin/garage`, else `garage` on `PATH`
//! (`make setup` installs it). Instances share nothing, so tests may run them side by side.
//! Garage ignores conditional writes (`If-None-Match`, `If-Match`) and has no versioning.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a server may take to answer after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// What Garage logs when a port is taken (it then shuts down, slowly).
const ADDR_IN_USE: &str = "Address already in use";
/// The S3 region Garage is configured with (clients must sign with it).
pub const REGION: &str = "garage";
/// The bucket every instance starts with (the key may read, write and own it).
pub const BUCKET: &str = "sift-test";
/// Environment variables that would let the host's AWS set-up leak into a child process;
/// remove them before adding [`Garage::env`].
pub const AWS_VARS_TO_CLEAR: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_S3_USE_ARN_REGION",
    "AWS_CA_BUNDLE",
];

/// One running (or killed) single-node Garage server. Dropping it kills the server and
/// deletes its files.
#[derive(Debug)]
pub struct Garage {
    bin: PathBuf,
    dir: TempDir,
    s3_port: u16,
    rpc_port: u16,
    child: Option<Child>,
    /// Length of the log when the server was last started.
    log_start: u64,
    access_key: String,
    secret_key: String,
}

impl Garage {
    /// Starts a fresh server with bucket [`BUCKET`] and a key that may read, write and own it.
    /// Panics (with the server's log) if it does not come up.
    pub fn start() -> Garage {
        let bin = garage_bin();
        let mut last_log = String::new();
        // A port picked as free can be taken by someone else before Garage binds it: retry.
        for _attempt in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("sift-garage-")
                .tempdir()
                .expect("temporary directory for Garage");
            let [s3_port, rpc_port] = free_ports();
            let mut g = Garage {
                bin: bin.clone(),
                dir,
                s3_port,
                rpc_port,
                child: None,
                log_start: 0,
                access_key: String::new(),
                secret_key: String::new(),
            };
            std::fs::create_dir_all(g.dir.path().join("meta")).expect("create meta dir");
            std::fs::create_dir_all(g.dir.path().join("data")).expect("create data dir");
            std::fs::write(g.config_path(), g.config()).expect("write Garage config");
            g.spawn();
            match g.wait_ready() {
                Ok(()) => {
                    g.init();
                    return g;
                }
                Err(log) if log.contains(ADDR_IN_USE) => {
                    last_log = log;
                }
                Err(log) => panic!(
                    "Garage did not start ({}):\n{}",
                    g.log_path().display(),
                    tail(&log)
                ),
            }
        }
        panic!(
            "Garage could not bind its ports after 3 tries:\n{}",
            tail(&last_log)
        );
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT` (use path-style addressing).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The S3 API's socket address.
    pub fn s3_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.s3_port))
    }

    /// The region requests must be signed for: `garage`.
    pub fn region(&self) -> &'static str {
        REGION
    }

    /// The bucket made at start-up: `sift-test`.
    pub fn bucket(&self) -> &'static str {
        BUCKET
    }

    /// Access key id of the key that owns the buckets (`GK…`).
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Secret of that key.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// This instance's temporary directory (config, `meta/`, `data/`, `garage.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("garage.log")
    }

    /// The last lines of the server's log (for assertion messages).
    pub fn log_tail(&self) -> String {
        tail(&std::fs::read_to_string(self.log_path()).unwrap_or_default())
    }

    /// Variables for an S3 client process: this key, region `garage` (`AWS_REGION` and
    /// `AWS_DEFAULT_REGION`), no instance metadata, and config/credentials files that do not
    /// exist, so the host's `~/.aws` is never read. The endpoint is not included
    /// (pass [`Garage::endpoint`] explicitly). Remove [`AWS_VARS_TO_CLEAR`] as well.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env_for(&self.access_key, &self.secret_key)
    }

    /// [`Garage::env`] for another key of this instance (one made by `garage key create`,
    /// directly or through a script).
    pub fn env_for(&self, access_key: &str, secret_key: &str) -> Vec<(String, String)> {
        let missing = |name: &str| self.dir.path().join(name).display().to_string();
        [
            ("AWS_ACCESS_KEY_ID", access_key.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", secret_key.to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_DEFAULT_REGION", REGION.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", missing("no-aws-config")),
            ("AWS_SHARED_CREDENTIALS_FILE", missing("no-aws-credentials")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Sets [`Garage::env`] on `cmd` after removing [`AWS_VARS_TO_CLEAR`].
    pub fn configure<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for var in AWS_VARS_TO_CLEAR {
            cmd.env_remove(var);
        }
        cmd.envs(self.env())
    }

    /// Creates another bucket that this instance's key may read, write and own.
    pub fn create_bucket(&self, name: &str) {
        self.garage(&["bucket", "create", name]);
        self.allow(name);
    }

    /// The command line of this instance's `garage` CLI (`BIN -c CONFIG`), as scripts that
    /// administer Garage take it in `GARAGE`.
    pub fn cli_line(&self) -> String {
        format!("{} -c {}", self.bin.display(), self.config_path().display())
    }

    /// Runs a shell script that administers this instance through `$GARAGE` (see
    /// [`Garage::cli_line`]) and returns its stdout; panics with its stderr if it fails.
    pub fn run_script(&self, script: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("bash");
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("GARAGE_") {
                cmd.env_remove(var);
            }
        }
        let out = cmd
            .arg(script)
            .args(args)
            .env("GARAGE", self.cli_line())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        self.stdout_of(&format!("{} {}", script.display(), args.join(" ")), &out)
    }

    /// Runs the `garage` CLI against this instance and returns its stdout; panics with its
    /// stderr if it fails.
    pub fn garage(&self, args: &[&str]) -> String {
        let out = self
            .cli(args)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.bin.display()));
        self.stdout_of(&format!("`garage {}`", args.join(" ")), &out)
    }

    /// The standard output of `what`, which must have succeeded; else a panic with its output
    /// and the server's log.
    fn stdout_of(&self, what: &str, out: &std::process::Output) -> String {
        assert!(
            out.status.success(),
            "{what} failed ({}):\n{}{}\nserver log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether the server process is alive.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the server with SIGKILL (no clean shutdown) and waits for it to exit.
    /// Its files stay; [`Garage::restart`] brings it back.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same ports, config and files (killing it first if it
    /// still runs) and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            self.spawn();
            match self.wait_ready() {
                Ok(()) => return,
                // The old sockets can linger for a moment after SIGKILL.
                Err(log) if Instant::now() < deadline && log.contains(ADDR_IN_USE) => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(log) => panic!("Garage did not restart:\n{}", tail(&log)),
            }
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("garage.toml")
    }

    fn config(&self) -> String {
        let dir = self.dir.path();
        format!(
            r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
"#,
            meta = dir.join("meta").display(),
            data = dir.join("data").display(),
            rpc = self.rpc_port,
            s3 = self.s3_port,
            secret = random_hex(32),
        )
    }

    /// A `garage -c CONFIG …` command that ignores any GARAGE_* settings of the host.
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("GARAGE_") {
                cmd.env_remove(var);
            }
        }
        cmd.arg("-c")
            .arg(self.config_path())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open Garage log");
        self.log_start = log.metadata().map(|m| m.len()).unwrap_or_default();
        let err = log.try_clone().expect("clone log handle");
        let mut cmd = self.cli(&["server"]);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "garage=info");
        }
        let child = cmd
            .env("NO_COLOR", "1")
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.bin.display()));
        self.child = Some(child);
    }

    /// What the server logged since it was last started.
    fn log_since_spawn(&self) -> String {
        let log = std::fs::read(self.log_path()).unwrap_or_default();
        let start = usize::try_from(self.log_start)
            .unwrap_or(usize::MAX)
            .min(log.len());
        String::from_utf8_lossy(&log[start..]).into_owned()
    }

    /// Waits until the S3 API answers HTTP and the CLI reaches the node over RPC.
    /// On failure kills the server and returns its log.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut s3_ok = false;
        loop {
            // Garage logs a port it cannot bind and shuts down slowly; something else may
            // answer on that port, so this is checked before anything else.
            let log = self.log_since_spawn();
            if log.contains(ADDR_IN_USE) {
                self.kill();
                return Err(log);
            }
            if !self.is_running() {
                self.kill();
                return Err(format!("garage server exited early\n{log}"));
            }
            s3_ok = s3_ok || http_answers(self.s3_addr());
            if s3_ok
                && self
                    .cli(&["status"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
                && !self.log_since_spawn().contains(ADDR_IN_USE)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "garage server not ready after {READY_TIMEOUT:?} (S3 answering: {s3_ok})\n{}",
                    self.log_since_spawn()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Layout, bucket and key of a fresh server.
    fn init(&mut self) {
        let node = self.garage(&["node", "id", "-q"]);
        let node = node.trim().split('@').next().unwrap_or_default().to_owned();
        assert!(!node.is_empty(), "`garage node id -q` printed no id");
        self.garage(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        self.garage(&["layout", "apply", "--version", "1"]);
        self.garage(&["bucket", "create", BUCKET]);
        let out = self.garage(&["key", "create", "sift-test-key"]);
        for line in out.lines() {
            if let Some(v) = line.strip_prefix("Key ID:") {
                v.trim().clone_into(&mut self.access_key);
            } else if let Some(v) = line.strip_prefix("Secret key:") {
                v.trim().clone_into(&mut self.secret_key);
            }
        }
        assert!(
            !self.access_key.is_empty() && !self.secret_key.is_empty(),
            "no Key ID / Secret key in `garage key create` output:\n{out}"
        );
        self.allow(BUCKET);
    }

    fn allow(&self, bucket: &str) {
        self.garage(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            bucket,
            "--key",
            &self.access_key,
        ]);
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Garage binary: `$SIFT_GARAGE`, `~/.cargo/bin/garage`, then `garage` on `PATH`.
pub fn garage_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SIFT_GARAGE").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "SIFT_GARAGE={} is not a file: run `make setup` (it installs Garage) or fix SIFT_GARAGE",
            p.display()
        );
        return p;
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".cargo")));
    let candidates = cargo_home
        .map(|c| c.join("bin").join("garage"))
        .into_iter()
        .chain(std::env::var_os("PATH").into_iter().flat_map(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("garage"))
                .collect::<Vec<_>>()
        }));
    for c in candidates {
        if c.is_file() {
            return c;
        }
    }
    panic!(
        "the Garage S3 server is not installed: run `make setup` (it runs `cargo install garage`), \
         or point SIFT_GARAGE at a garage binary"
    );
}

/// Two distinct free loopback ports, never handed out twice in this process.
fn free_ports() -> [u16; 2] {
    static GIVEN: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let mut given = GIVEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // Hold every listener until both ports are chosen so the OS cannot repeat one.
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < 2 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
        let port = l.local_addr().expect("local address").port();
        if given.insert(port) {
            ports.push(port);
        }
        held.push(l);
    }
    [ports[0], ports[1]]
}

/// Whether something at `addr` answers an HTTP request (any status).
fn http_answers(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    s.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

/// `n` random bytes as hex (std's randomly keyed hasher; enough for a test RPC secret).
fn random_hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(n * 2);
    let mut i = 0u64;
    while out.len() < n * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        let _ = write!(out, "{:016x}", h.finish());
        i += 1;
    }
    out.truncate(n * 2);
    out
}

/// The last 40 lines of a log.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
