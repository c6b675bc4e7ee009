//! A real `sift serve` for the end-to-end tests that talk HTTP (`tests/learn_http.rs`): the
//! server started on a free loopback port and stopped when dropped, and a minimal HTTP/1.1
//! client over `std::net::TcpStream` for `POST /api/<command>` with a bearer token, JSON both
//! ways. Only loopback addresses are ever reached.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::sift_bin;

/// A running `sift serve`, stopped (killed and reaped) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `sift serve -p proj --port 0 --json` (API only, no UI folder) and waits for the
    /// address it prints.
    pub fn start(proj: &Path) -> Self {
        let mut child = std::process::Command::new(sift_bin())
            .args(["serve", "--port", "0", "--json", "-p"])
            .arg(proj)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sift serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            // Keeps reading so the server never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    continue;
                }
            }
        });
        // `--json` prints `{"url": ...}`, over several lines.
        let mut printed = String::new();
        let v: Value = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("sift serve printed no address within 30 s: {printed:?}"));
            printed.push_str(&line);
            if let Ok(v) = serde_json::from_str(&printed) {
                break v;
            }
        };
        let url = v["url"].as_str().expect("url").to_owned();
        let host_port = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let addr: SocketAddr = host_port.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(addr.ip().is_loopback(), "{addr} is not a loopback address");
        Self { child, addr }
    }

    /// `POST /api/<command>` with `body` as `token`: the status code and the JSON answer
    /// (`Null` when the body is not JSON).
    pub fn call(&self, token: &str, command: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let request = format!(
            "POST /api/{command} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(self.addr).expect("connect to sift serve");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        stream.write_all(request.as_bytes()).expect("send the request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the response");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {head}"));
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        if chunked {
            body = dechunk(&body);
        }
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Like [`Server::call`], for a call that must succeed (status 200).
    pub fn ok(&self, token: &str, command: &str, body: &Value) -> Value {
        let (status, v) = self.call(token, command, body);
        assert_eq!(status, 200, "{command} {body}: {v}");
        v
    }
}

/// A `Transfer-Encoding: chunked` body, decoded.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The server may have exited already; either way it is reaped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
