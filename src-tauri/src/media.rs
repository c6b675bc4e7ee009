//! The loopback media server: WebKitGTK plays `<video>` only over HTTP (not from custom
//! schemes), so images and videos come from `sift-server`'s media route, embedded here.
//!
//! - Bound to 127.0.0.1 on a random port, chosen before the window exists so the
//!   Content-Security-Policy can name the exact origin.
//! - URLs are `http://127.0.0.1:PORT/<secret>/<n>/media/items/<id>`: `<secret>` is a random
//!   per-launch key (the `<video>` element cannot send headers, and other local programs
//!   must not read the media), `<n>` numbers the project opened in this launch, so the
//!   webview's cache never mixes up item 7 of two projects. The base up to `/media` is what
//!   `me` reports as `media_base_url` and what item views carry in `media_url`.
//! - Only `GET`/`HEAD` of `media/items/<id>` is answered; everything else is a 404.
//!   `sift-server` serves the file with Range support, only from inside the project's
//!   media roots (after resolving `..` and symbolic links).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sift_api::Project;
use sift_server::MediaKey;
use tower::ServiceExt;

/// The media server of one launch. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MediaServer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    port: u16,
    secret: String,
    generations: AtomicU64,
    mounted: RwLock<Option<Mounted>>,
}

#[derive(Debug, Clone)]
struct Mounted {
    generation: u64,
    router: Router,
}

/// Binds 127.0.0.1 on a port the system picks.
pub fn bind_loopback() -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// A random secret of 32 bytes, hex-encoded.
pub fn random_secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(sift_core::hex::encode(&bytes))
}

impl MediaServer {
    /// A server for `port` with a fresh random secret.
    pub fn new(port: u16) -> std::io::Result<Self> {
        Ok(Self::with_secret(port, random_secret()?))
    }

    pub fn with_secret(port: u16, secret: String) -> Self {
        Self {
            shared: Arc::new(Shared {
                port,
                secret,
                generations: AtomicU64::new(0),
                mounted: RwLock::new(None),
            }),
        }
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// The origin, for the Content-Security-Policy.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// Serves `project`'s media as `annotator` from now on (URLs of the previous project stop
    /// working) and returns the new media base URL (`.../media`).
    pub fn mount(&self, project: Project, annotator: &str) -> String {
        let generation = self.shared.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let key = MediaKey {
            secret: self.shared.secret.clone(),
            annotator: annotator.to_owned(),
        };
        let router = sift_server::router_with_media_key(project, None, Some(key));
        *self
            .shared
            .mounted
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Mounted { generation, router });
        self.base_url(generation)
    }

    fn base_url(&self, generation: u64) -> String {
        format!("{}/{}/{generation}/media", self.origin(), self.shared.secret)
    }

    /// The router that answers media requests, for [`serve`](Self::serve) and tests.
    pub fn router(&self) -> Router {
        Router::new().fallback(handle).with_state(self.clone())
    }

    /// Serves on `listener` (from [`bind_loopback`]) until the process ends.
    pub async fn serve(self, listener: std::net::TcpListener) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, self.router()).await
    }

    /// The project's router when `path` is `/<secret>/<generation>/media/items/<id>` for the
    /// project mounted now, with the path `sift-server` expects.
    fn route(&self, path: &str) -> Option<(Router, String)> {
        let rest = path.strip_prefix('/')?;
        let (secret, rest) = rest.split_once('/')?;
        if !same_secret(secret, &self.shared.secret) {
            return None;
        }
        let (generation, rest) = rest.split_once('/')?;
        let generation: u64 = generation.parse().ok()?;
        let id = rest.strip_prefix("media/items/")?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mounted = self
            .shared
            .mounted
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        (mounted.generation == generation).then(|| {
            (
                mounted.router,
                format!("/media/items/{id}?key={}", self.shared.secret),
            )
        })
    }
}

/// Compares without an early exit, so timing does not reveal a prefix.
fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn handle(State(server): State<MediaServer>, mut req: Request) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return not_found();
    }
    let Some((router, path)) = server.route(req.uri().path()) else {
        return not_found();
    };
    let Ok(uri) = path.parse::<Uri>() else {
        return not_found();
    };
    *req.uri_mut() = uri;
    let mut res = match router.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    // The page (tauri://localhost) is another origin: let it embed the media it was given.
    res.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    res
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"code": "not_found", "message": "not found"})),
    )
        .into_response()
}
