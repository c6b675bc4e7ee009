//! The real `sift serve` in a child process on a free loopback port, for end-to-end tests
//! over HTTP: start it, learn its address from what it prints, kill it (SIGKILL) or let
//! `Drop` do so.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::sift_bin;

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `sift serve`. Dropping it kills the process.
#[derive(Debug)]
pub struct Served {
    child: Child,
    /// Where it listens (127.0.0.1 and the port it picked).
    pub addr: SocketAddr,
}

impl Served {
    /// Starts `sift serve -p <project> --port 0 <extra…>` and waits until it listens.
    /// Panics with the server's standard error if it does not.
    pub fn start(project: &Path, extra: &[&str]) -> Served {
        Self::start_with_env(project, extra, &[])
    }

    /// [`Served::start`] with these variables set (an S3 key for backup, say).
    pub fn start_with_env(project: &Path, extra: &[&str], env: &[(String, String)]) -> Served {
        let mut cmd = Command::new(sift_bin());
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd.env_remove("SIFT_PROJECT")
            .env("NO_COLOR", "1")
            .args(["serve", "-p"])
            .arg(project)
            .args(["--port", "0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn sift serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s);
            s
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Some(at) = line.find("://") else { continue };
                let rest = &line[at + 3..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']')))
                    .unwrap_or(rest.len());
                if let Ok(addr) = rest[..end].parse::<SocketAddr>() {
                    let _ = tx.send(addr);
                }
            }
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => Served { child, addr },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let err = err_reader.join().unwrap_or_default();
                panic!("sift serve did not start: {err}");
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILLs the server and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Adds a person to a project with `sift annotator add` and returns their token.
pub fn add_person(project: &Path, name: &str, role: &str) -> String {
    let out = super::sift()
        .args(["--json", "annotator", "add", name, "--role", role, "-p"])
        .arg(project)
        .output()
        .expect("run sift annotator add");
    assert!(
        out.status.success(),
        "sift annotator add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("annotator add prints JSON");
    v["token"].as_str().expect("a token").to_owned()
}

/// A project made by [`ranking_project`]; its folder lives as long as this value.
#[derive(Debug)]
pub struct Proj {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    tokens: HashMap<String, String>,
}

impl Proj {
    /// The access token of `name`.
    pub fn token(&self, name: &str) -> &str {
        &self.tokens[name]
    }
}

/// A ranking project with `n` items and the given people (name, role).
pub fn ranking_project(n: usize, people: &[(&str, &str)]) -> Proj {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = super::init_project(dir.path(), "ranking.toml");
    let manifest = dir.path().join("items.jsonl");
    let lines: Vec<String> = (0..n)
        .map(|i| {
            serde_json::json!({"source": format!("Question {i}"), "prompt": format!("Question {i}: why is the sky blue?"),
                   "responses": ["Rayleigh scattering.", "The ocean.", "Blue light scatters more.", "Dust."]})
            .to_string()
        })
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").expect("write manifest");
    super::sift()
        .arg("import")
        .arg(&manifest)
        .arg("-p")
        .arg(&path)
        .assert()
        .success();
    let tokens = people
        .iter()
        .map(|(name, role)| ((*name).to_owned(), add_person(&path, name, role)))
        .collect();
    Proj {
        _dir: dir,
        path,
        tokens,
    }
}

/// A complete ranking payload (valid for submission).
pub fn payload() -> serde_json::Value {
    super::ranking_payload(
        ["0", "3", "2", "1"],
        "Response 0 is the clearest and gets the facts right.",
    )
}
