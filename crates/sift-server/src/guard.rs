//! What a request must get past before a handler sees it, on the network server
//! ([`crate::bind`]): a `Host` this server answers to (DNS rebinding), a bound on the time a
//! request may take (a slow client sending its body, a stuck handler), a bound on the
//! requests in flight at once, and a bound on body sizes. Connection-level limits (header
//! read timeout, connection cap) live in [`crate::listen`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sift_error::Code;
use tokio::sync::Semaphore;

/// Bounds that keep slow or numerous clients from holding the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection must send a request's complete head within this time, or it is closed
    /// (also bounds the TLS handshake and idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// A request (reading its body and running its handler, not streaming the answer)
    /// must finish within this time, or it gets 408.
    pub request_timeout: Duration,
    /// Connections served at once; beyond it, new connections wait in the kernel's queue.
    pub max_connections: usize,
    /// Requests handled at once; beyond it, a request waits (up to `request_timeout`).
    pub max_in_flight: usize,
    /// The largest request body accepted (413 beyond it).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_in_flight: 64,
            max_body_bytes: 2 << 20,
        }
    }
}

/// Shared by the guard middleware.
#[derive(Debug)]
pub(crate) struct Guard {
    pub(crate) limits: Limits,
    pub(crate) in_flight: Semaphore,
    /// Host names (lowercase, without port) accepted besides IP literals and `localhost`.
    pub(crate) allowed_hosts: Vec<String>,
}

impl Guard {
    pub(crate) fn new(limits: Limits, allowed_hosts: &[String]) -> Arc<Self> {
        Arc::new(Self {
            limits,
            in_flight: Semaphore::new(limits.max_in_flight.max(1)),
            allowed_hosts: allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        })
    }
}

fn refuse(status: StatusCode, code: Code, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// Whether a `Host` header value names this server: an IP address (a DNS rebinding attack
/// needs a name of the attacker's), `localhost`, or one of `allowed` (lowercase), each with
/// or without a port.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6] or [v6]:port
        match rest.split_once(']') {
            Some((v6, tail)) if tail.is_empty() || valid_port(tail.strip_prefix(':')) => {
                return v6.parse::<std::net::Ipv6Addr>().is_ok();
            }
            _ => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if valid_port(Some(port)) => name,
            Some(_) => return false,
            None => host,
        }
    };
    if name.is_empty() {
        return false;
    }
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name.parse::<IpAddr>().is_ok() || name == "localhost" || allowed.contains(&name)
}

fn valid_port(p: Option<&str>) -> bool {
    p.is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Refuses a request whose `Host` this server does not answer to (421).
pub(crate) async fn check_host(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    match host {
        Some(h) if host_allowed(h, &guard.allowed_hosts) => next.run(req).await,
        Some(h) => refuse(
            StatusCode::MISDIRECTED_REQUEST,
            Code::Forbidden,
            &format!(
                "this server does not answer to the host name {:?} (DNS rebinding protection); \
                 open it by IP address or localhost, or start it with --allow-host NAME",
                h.chars().take(100).collect::<String>()
            ),
        ),
        None => refuse(
            StatusCode::BAD_REQUEST,
            Code::InvalidInput,
            "the request has no Host header",
        ),
    }
}

/// Bounds the requests in flight and the time each may take.
pub(crate) async fn bound_request(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let limit = guard.limits.request_timeout;
    let work = async {
        let Ok(_permit) = guard.in_flight.acquire().await else {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                Code::Unavailable,
                "the server is shutting down",
            );
        };
        next.run(req).await
    };
    match tokio::time::timeout(limit, work).await {
        Ok(res) => res,
        Err(_) => refuse(
            StatusCode::REQUEST_TIMEOUT,
            Code::Unavailable,
            &format!(
                "the request took longer than {} s (a slow connection, or a busy server): try again",
                limit.as_secs_f64()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_ip_or_localhost_or_named_are_accepted() {
        let allowed = vec!["sift.lan".to_owned()];
        for ok in [
            "127.0.0.1:7878",
            "127.0.0.1",
            "[::1]:7878",
            "[::1]",
            "localhost:7878",
            "LOCALHOST",
            "192.168.1.20:80",
            "sift.lan:7878",
            "Sift.LAN.",
        ] {
            assert!(host_allowed(ok, &allowed), "{ok}");
        }
        for bad in [
            "",
            ":7878",
            "evil.example",
            "evil.example:7878",
            "127.0.0.1.evil.example",
            "localhost.evil.example:7878",
            "[::1",
            "[::1]x",
            "[evil]:80",
            "127.0.0.1:port",
            "127.0.0.1:123456",
            "sift.lan.evil.example",
        ] {
            assert!(!host_allowed(bad, &allowed), "{bad}");
        }
    }
}
