//! `sift serve`: the labeling UI and its API over HTTP.
//!
//! - `POST /api/<command>` runs one of [`sift_api::commands`] for the signed-in person.
//! - `POST /api/session {"token": ...}` signs in: an HttpOnly, SameSite=Strict cookie carries a
//!   random session id; the session, kept in the project file by `sift-api` (only the id's
//!   hash, never the id or the token), names the person and survives a restart of the server
//!   (see [`SessionLimits`]); `DELETE /api/session` ends it. Scripts may send
//!   `Authorization: Bearer <token>`.
//! - `GET /media/items/<id>` serves an item's media with HTTP Range support, only from
//!   inside the project's media roots.
//! - Everything else is the built UI (`ui/dist`), with an `index.html` fallback.
//!
//! Every response carries a strict Content-Security-Policy and the usual hardening headers.
//! The server binds 127.0.0.1 unless told otherwise; off loopback it needs TLS
//! ([`ServerConfig::tls`]) or an explicit [`ServerConfig::insecure_http`]. The network server
//! ([`bind`]) also bounds slow and numerous clients and checks the `Host` header (see
//! [`Limits`]). Handlers are thin: they authenticate, hand the call to `sift-api` on a
//! blocking thread, and translate the result.

#![warn(missing_docs)]

mod auth;
mod guard;
mod handlers;
mod headers;
mod listen;
mod range;

pub use guard::{Limits, host_allowed};
pub use sift_api::SessionLimits;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use sift_api::Project;

/// Where and what to serve.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The project's SQLite file, opened by [`bind`].
    pub project: PathBuf,
    /// The address to listen on (port 0 picks a free port; see [`Bound::local_addr`]).
    pub addr: SocketAddr,
    /// The built UI (`ui/dist`); `None` serves the API alone with a short notice page.
    pub ui_dir: Option<PathBuf>,
    /// How long browser sessions last.
    pub sessions: SessionLimits,
    /// Timeouts, connection and request caps, body size.
    pub limits: Limits,
    /// Host names the server answers to besides IP addresses and `localhost` (DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// Serve HTTPS with this certificate chain and key (PEM); cookies get `Secure`.
    pub tls: Option<TlsFiles>,
    /// Allow plain HTTP on an address other than loopback (tokens and work travel unencrypted).
    pub insecure_http: bool,
    /// Wakes the project's backup shipper after each commit of the server's connection
    /// (`sift serve` starts the shipper when backup is on).
    pub backup_signal: Option<sift_api::backup::CommitSignal>,
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// The certificate's private key (PEM).
    pub key: PathBuf,
}

impl ServerConfig {
    /// Serving `project` on `addr` with the default limits and no UI.
    pub fn new(project: PathBuf, addr: SocketAddr) -> Self {
        Self {
            project,
            addr,
            ui_dir: None,
            sessions: SessionLimits::default(),
            limits: Limits::default(),
            allowed_hosts: Vec::new(),
            tls: None,
            insecure_http: false,
            backup_signal: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The project file could not be opened (missing, not a Sift project, newer schema...).
    #[error(transparent)]
    Project(#[from] sift_api::Error),
    /// The listening socket could not be bound (address in use, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from [`ServerConfig::addr`].
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An I/O error while serving.
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
    /// The certificate or key could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// Plain HTTP on an address other than loopback, without [`ServerConfig::insecure_http`].
    #[error(
        "refusing to serve plain HTTP on {0}: access tokens and work would cross the network unencrypted. \
         Give --tls-cert and --tls-key, or --insecure-http on a network you trust"
    )]
    Insecure(std::net::IpAddr),
}

pub(crate) struct AppState {
    pub(crate) project: Mutex<Project>,
    pub(crate) ui_dir: Option<PathBuf>,
    pub(crate) media_key: Option<MediaKey>,
    /// How long browser sessions last (the sessions themselves are in the project file).
    pub(crate) sessions: SessionLimits,
    /// Whether cookies get `Secure` (served over TLS).
    pub(crate) secure_cookies: bool,
}

/// A per-launch secret that lets `<video>`/`<img>` elements, which cannot send headers,
/// fetch media as one person: `GET /media/items/<id>?key=<secret>`. The desktop app uses it
/// for its loopback media server; `sift serve` does not.
#[derive(Debug, Clone)]
pub struct MediaKey {
    /// The value a request must give as `?key=`; compared in constant time. Make it long and
    /// random, and new at every launch.
    pub secret: String,
    /// The name of the person (a project member) whose access rights a keyed request gets.
    pub annotator: String,
}

/// The router, for embedding and tests.
pub fn router(project: Project, ui_dir: Option<PathBuf>) -> Router {
    router_with_media_key(project, ui_dir, None)
}

/// The router, also accepting a per-launch media key (see [`MediaKey`]).
pub fn router_with_media_key(
    project: Project,
    ui_dir: Option<PathBuf>,
    media_key: Option<MediaKey>,
) -> Router {
    app(AppState {
        project: Mutex::new(project),
        ui_dir,
        media_key,
        sessions: SessionLimits::default(),
        secure_cookies: false,
    })
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/api/session", post(handlers::sign_in).delete(handlers::sign_out))
        .route("/api/{command}", post(handlers::command))
        .route("/media/items/{id}", get(handlers::media))
        .fallback(handlers::ui)
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(Arc::new(state))
}

/// A bound server, ready to run.
pub struct Bound {
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<listen::TlsAcceptor>,
    limits: Limits,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("listener", &self.listener)
            .field("tls", &self.tls.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Bound {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        listen::serve(self.listener, self.router, self.tls, self.limits, shutdown).await
    }
}

/// Opens the project and binds the address. Refuses plain HTTP off loopback unless
/// [`ServerConfig::insecure_http`].
pub async fn bind(config: &ServerConfig) -> Result<Bound, ServeError> {
    let ip = config.addr.ip();
    if !ip.is_loopback() && config.tls.is_none() && !config.insecure_http {
        return Err(ServeError::Insecure(ip));
    }
    let tls = match &config.tls {
        Some(t) => Some(listen::tls_acceptor(&t.cert, &t.key)?),
        None => None,
    };
    let mut project = Project::open(&config.project)?;
    project.set_media_base("/media");
    if let Some(signal) = &config.backup_signal {
        project.set_commit_hook(Some(signal.hook()))?;
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    let gate = guard::Guard::new(config.limits, &config.allowed_hosts);
    let router = app(AppState {
        project: Mutex::new(project),
        ui_dir: config.ui_dir.clone(),
        media_key: None,
        sessions: config.sessions,
        secure_cookies: tls.is_some(),
    })
    // Layers run outside in: the Host check first, then the request bounds, then the body limit.
    .layer(axum::extract::DefaultBodyLimit::max(config.limits.max_body_bytes))
    .layer(axum::middleware::from_fn_with_state(
        Arc::clone(&gate),
        guard::bound_request,
    ))
    .layer(axum::middleware::from_fn_with_state(gate, guard::check_host));
    Ok(Bound {
        listener,
        router,
        tls,
        limits: config.limits,
    })
}

/// The built UI next to the binary (`../share/sift/ui`) or in the source tree.
pub fn default_ui_dir() -> Option<PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("../share/sift/ui")))
        .filter(|d| d.join("index.html").is_file());
    let source_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    beside_binary.or_else(|| source_tree.join("index.html").is_file().then_some(source_tree))
}

/// The parsers of untrusted request headers, as pure functions, for fuzzing and property
/// tests. Not a stable API.
#[doc(hidden)]
pub mod parsers {
    pub use crate::auth::{bearer_token, session_cookie_values};
    pub use crate::range::{ByteRange, parse_range};
}
