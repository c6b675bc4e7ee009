//! `sift serve`: the labeling UI and its API over HTTP.
//!
//! - `POST /api/<command>` runs one of [`sift_api::commands`] for the signed-in person.
//! - `POST /api/session {"token": ...}` signs in (an HttpOnly, SameSite=Strict cookie);
//!   `DELETE /api/session` signs out. Scripts may send `Authorization: Bearer <token>`.
//! - `GET /media/items/<id>` serves an item's media with HTTP Range support, only from
//!   inside the project's media roots.
//! - Everything else is the built UI (`ui/dist`), with an `index.html` fallback.
//!
//! Every response carries a strict Content-Security-Policy and the usual hardening headers.
//! The server binds 127.0.0.1 unless told otherwise. Handlers are thin: they authenticate,
//! hand the call to `sift-api` on a blocking thread, and translate the result.

mod auth;
mod handlers;
mod headers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use sift_api::Project;

/// Where and what to serve.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub project: PathBuf,
    pub addr: SocketAddr,
    /// The built UI (`ui/dist`); `None` serves the API alone with a short notice page.
    pub ui_dir: Option<PathBuf>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Project(#[from] sift_api::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) struct AppState {
    pub(crate) project: Mutex<Project>,
    pub(crate) ui_dir: Option<PathBuf>,
    pub(crate) media_key: Option<MediaKey>,
}

/// A per-launch secret that lets `<video>`/`<img>` elements, which cannot send headers,
/// fetch media as one person: `GET /media/items/<id>?key=<secret>`. The desktop app uses it
/// for its loopback media server; `sift serve` does not.
#[derive(Debug, Clone)]
pub struct MediaKey {
    pub secret: String,
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
    let state = Arc::new(AppState {
        project: Mutex::new(project),
        ui_dir,
        media_key,
    });
    Router::new()
        .route("/api/session", post(handlers::sign_in).delete(handlers::sign_out))
        .route("/api/{command}", post(handlers::command))
        .route("/media/items/{id}", get(handlers::media))
        .fallback(handlers::ui)
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// A bound server, ready to run.
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Bound {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

/// Opens the project and binds the address.
pub async fn bind(config: &ServerConfig) -> Result<Bound, ServeError> {
    let mut project = Project::open(&config.project)?;
    project.set_media_base("/media");
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    Ok(Bound {
        listener,
        router: router(project, config.ui_dir.clone()),
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
