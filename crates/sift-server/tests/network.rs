//! The network server ([`sift_server::bind`]) over real sockets on 127.0.0.1: the `Host`
//! allowlist (DNS rebinding), slow clients (header-read and request timeouts), the connection
//! cap, the body limit, the refusal of plain HTTP off loopback, and HTTPS with `Secure`
//! cookies (issue 13, defects 7 and 12).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use sift_api::{NoProgress, Role};
#[cfg(feature = "tls")]
use sift_server::TlsFiles;
use sift_server::{ServeError, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
#[cfg(feature = "tls")]
use tokio_rustls::rustls;

/// How long a test waits for anything before calling the server stuck.
const STUCK: Duration = Duration::from_secs(20);

struct Running {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

fn project(dir: &Path) -> (std::path::PathBuf, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::write(dir.join("m.jsonl"), "{\"source\":\"A calm passage.\"}\n").unwrap();
    let proj = dir.join("proj");
    let mut p = sift_api::init_project(&proj, &repo.join("labeling-templates/qa.toml"), None).unwrap();
    p.import(&dir.join("m.jsonl"), &Default::default(), &NoProgress)
        .unwrap();
    let (_, token) = p.add_annotator("ann", Role::Annotator).unwrap();
    (proj, token)
}

async fn start(configure: impl FnOnce(&mut ServerConfig, &Path)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let (proj, token) = project(dir.path());
    let mut config = ServerConfig::new(proj, "127.0.0.1:0".parse().unwrap());
    configure(&mut config, dir.path());
    let bound = sift_server::bind(&config).await.unwrap();
    let addr = bound.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(bound.run(async {
        let _ = rx.await;
    }));
    Running {
        _dir: dir,
        addr,
        token,
        stop: Some(tx),
        task,
    }
}

/// Writes `raw` and reads until the server closes the connection; the status code, or 0 when
/// the server closed without answering.
async fn exchange(mut s: impl AsyncRead + AsyncWrite + Unpin, raw: &[u8]) -> (u16, String) {
    s.write_all(raw).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(STUCK, s.read_to_end(&mut buf))
        .await
        .expect("the server neither answered nor closed the connection")
        .ok();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(host: &str) -> Vec<u8> {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}

fn post(host: &str, path: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_requests_naming_this_server_are_answered() {
    let s = start(|c, _| c.allowed_hosts = vec!["sift.lan".into()]).await;
    let port = s.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("sift.lan:{port}"),
    ] {
        let (status, text) = exchange(TcpStream::connect(s.addr).await.unwrap(), &get(&host)).await;
        assert_eq!(status, 200, "Host {host}: {text}");
    }
    // A page on evil.example whose name now points at 127.0.0.1 (DNS rebinding).
    for host in [format!("evil.example:{port}"), "evil.example".into()] {
        let (status, text) = exchange(TcpStream::connect(s.addr).await.unwrap(), &get(&host)).await;
        assert_eq!(status, 421, "Host {host}: {text}");
        let raw = post(
            &host,
            "/api/me",
            &format!("Authorization: Bearer {}\r\n", s.token),
            "{}",
        );
        let (status, text) = exchange(TcpStream::connect(s.addr).await.unwrap(), &raw).await;
        assert_eq!(status, 421, "Host {host}: {text}");
        assert!(!text.contains("\"annotator\""), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let s = start(|c, _| c.limits.header_read_timeout = Duration::from_millis(500)).await;
    // Silent after connecting, and silent halfway through the head.
    for partial in [&b""[..], b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"] {
        let started = Instant::now();
        let mut conn = TcpStream::connect(s.addr).await.unwrap();
        conn.write_all(partial).await.unwrap();
        let mut buf = Vec::new();
        tokio::time::timeout(STUCK, conn.read_to_end(&mut buf))
            .await
            .expect("a silent client holds its connection forever")
            .ok();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_body_gets_408() {
    let s = start(|c, _| c.limits.request_timeout = Duration::from_millis(500)).await;
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /api/me HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: 100\r\n\r\n{{\"a\":",
        s.addr, s.token
    );
    let (status, text) = exchange(&mut conn, head.as_bytes()).await;
    assert_eq!(status, 408, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_cap_wait_and_cannot_starve_the_server() {
    let s = start(|c, _| {
        c.limits.max_connections = 2;
        c.limits.header_read_timeout = Duration::from_millis(800);
    })
    .await;
    let idle: Vec<TcpStream> = vec![
        TcpStream::connect(s.addr).await.unwrap(),
        TcpStream::connect(s.addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, text) = exchange(
        TcpStream::connect(s.addr).await.unwrap(),
        &get(&s.addr.to_string()),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "answered in {:?}: the connection cap did not hold",
        started.elapsed()
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_beyond_the_limit_get_413() {
    let s = start(|c, _| c.limits.max_body_bytes = 1024).await;
    let auth = format!("Authorization: Bearer {}\r\n", s.token);
    let small = post(&s.addr.to_string(), "/api/me", &auth, "{}");
    assert_eq!(
        exchange(TcpStream::connect(s.addr).await.unwrap(), &small)
            .await
            .0,
        200
    );
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(4096));
    let raw = post(&s.addr.to_string(), "/api/me", &auth, &big);
    let (status, text) = exchange(TcpStream::connect(s.addr).await.unwrap(), &raw).await;
    assert_eq!(status, 413, "{text}");
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let (proj, _) = project(dir.path());
    // Refused before anything is bound.
    let config = ServerConfig::new(proj, "0.0.0.0:0".parse().unwrap());
    let err = sift_server::bind(&config).await.unwrap_err();
    assert!(matches!(err, ServeError::Insecure(_)), "{err}");
    assert!(err.to_string().contains("--tls-cert"), "{err}");
}

#[cfg(feature = "tls")]
/// A self-signed certificate for 127.0.0.1 and localhost, made by the `openssl` tool.
fn self_signed(dir: &Path) -> TlsFiles {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        // An end-entity certificate (rustls refuses a CA certificate as a server's).
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("this test needs the `openssl` command-line tool to make a certificate");
    assert!(status.success());
    TlsFiles { cert, key }
}

#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_with_secure_cookies_and_refuses_plain_http() {
    let cert_dir = tempfile::tempdir().unwrap();
    let files = self_signed(cert_dir.path());
    let cert_pem = files.cert.clone();
    let s = start(move |c, _| c.tls = Some(files)).await;

    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(&cert_pem).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client));
    let tls = connector
        .connect(
            "127.0.0.1".try_into().unwrap(),
            TcpStream::connect(s.addr).await.unwrap(),
        )
        .await
        .unwrap();
    let body = format!("{{\"token\":\"{}\"}}", s.token);
    let (status, text) = exchange(tls, &post(&s.addr.to_string(), "/api/session", "", &body)).await;
    assert_eq!(status, 200, "{text}");
    let cookie = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );

    // Plain HTTP to the HTTPS port gets no answer.
    let (status, _) = exchange(
        TcpStream::connect(s.addr).await.unwrap(),
        &get(&s.addr.to_string()),
    )
    .await;
    assert_eq!(status, 0);
}
