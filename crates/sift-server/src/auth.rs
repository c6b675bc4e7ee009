//! Who is calling: the session cookie or a bearer token, checked against the project.

use axum::http::{HeaderMap, header};

/// The session cookie's name. It holds the person's access token (HttpOnly, so page
/// scripts never see it), so a server restart does not sign anyone out.
pub(crate) const COOKIE: &str = "sift_session";

/// The token from `Authorization: Bearer …` or the session cookie.
pub(crate) fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Requests that change state must be same-origin JSON: a browser will not send a
/// cross-site JSON POST without a preflight we never answer, and a present `Origin` must
/// be this server.
pub(crate) fn same_origin_json(headers: &HeaderMap) -> Result<(), &'static str> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err("requests must be JSON (Content-Type: application/json)");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
        if origin_host != host {
            return Err("cross-origin requests are not allowed");
        }
    }
    Ok(())
}
