//! Thin HTTP adapters over `sift-api`: the command endpoint, sign-in and sign-out, media,
//! the UI. Each authenticates, hands the call to `sift-api` on a blocking thread, and
//! translates the result.

use std::sync::{Arc, PoisonError};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use sift_api::{Caller, Error, Project, SessionLimits};
use sift_error::{Code, ErrorCode};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;
use crate::auth::{self, Credential};
use crate::range::{ByteRange, parse_range};

type Shared = State<Arc<AppState>>;

/// `{code, message}` (plus `violations` for a rejected payload) with the matching status.
fn error(e: &Error) -> Response {
    let code = e.code();
    let status = match code {
        Code::InvalidInput if e.violations().is_some() => StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidInput => StatusCode::BAD_REQUEST,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Conflict => StatusCode::CONFLICT,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        // Storage faults: another writer holds the lock (retry), the disk is full (retry once
        // space is freed), the project cannot be written.
        Code::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Code::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        Code::ReadOnly => StatusCode::CONFLICT,
        Code::Io | Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut body = json!({ "code": code, "message": e.to_string() });
    if let Some(v) = e.violations() {
        body["violations"] = json!(v);
    }
    (status, Json(body)).into_response()
}

fn refuse(status: StatusCode, code: Code, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// Who a request's credential names: the person of a bearer token, or of the first live
/// session its cookie names (the sessions are in the project file, see `sift_api`).
fn caller_of(project: &Project, credential: &Credential, limits: &SessionLimits) -> Result<Caller, Error> {
    match credential {
        Credential::Bearer(token) => project.caller(token),
        Credential::Session(ids) => project.session_caller(ids, limits),
    }
}

/// Runs `f` with the project on a blocking thread, for the caller the headers identify.
async fn with_caller<T: Send + 'static>(
    state: Arc<AppState>,
    headers: &HeaderMap,
    f: impl FnOnce(&mut Project, &Caller) -> Result<T, Error> + Send + 'static,
) -> Result<T, Response> {
    let credential = auth::credential(headers).ok_or_else(|| {
        refuse(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "sign in with your access token",
        )
    })?;
    let result = tokio::task::spawn_blocking({
        let state = Arc::clone(&state);
        move || {
            let mut project = state.project.lock().unwrap_or_else(PoisonError::into_inner);
            let caller = caller_of(&project, &credential, &state.sessions)?;
            f(&mut project, &caller)
        }
    })
    .await
    .map_err(|e| error(&Error::Internal(format!("request task failed: {e}"))))?;
    result.map_err(|e| error(&e))
}

/// `POST /api/<command>`: one command of the table in `sift_api::commands`.
pub(crate) async fn command(
    State(state): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(msg) = auth::same_origin_json(&headers) {
        return refuse(StatusCode::FORBIDDEN, Code::Forbidden, msg);
    }
    let args: Value = if body.trim().is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    Code::InvalidInput,
                    &format!("the body is not JSON: {e}"),
                );
            }
        }
    };
    match with_caller(state, &headers, move |p, caller| {
        p.call(caller, &name, args, None)
    })
    .await
    {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct SignIn {
    token: String,
}

/// `POST /api/session {"token": ...}`: checks the token and starts a session, stored in the
/// project file by its hash; the cookie carries the session's id, never the token.
pub(crate) async fn sign_in(State(state): Shared, headers: HeaderMap, body: String) -> Response {
    if let Err(msg) = auth::same_origin_json(&headers) {
        return refuse(StatusCode::FORBIDDEN, Code::Forbidden, msg);
    }
    let Ok(SignIn { token }) = serde_json::from_str(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Code::InvalidInput,
            "expected {\"token\": \"...\"}",
        );
    };
    if !auth::is_token_shaped(&token) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "unknown or revoked access token",
        );
    }
    let started = tokio::task::spawn_blocking({
        let state = Arc::clone(&state);
        move || {
            let project = state.project.lock().unwrap_or_else(PoisonError::into_inner);
            let (caller, id) = project.sign_in(&token, &state.sessions)?;
            Ok::<_, Error>((project.me(&caller, None)?, id))
        }
    })
    .await;
    let (me, id) = match started {
        Ok(Ok(started)) => started,
        Ok(Err(e)) => return error(&e),
        Err(e) => return error(&Error::Internal(format!("request task failed: {e}"))),
    };
    let max_age = state.sessions.absolute.as_secs();
    let mut res = Json(me).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&id, max_age, state.secure_cookies)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// `DELETE /api/session`: ends the sessions the cookie names and clears the cookie. A
/// cross-site page cannot send a DELETE without a preflight we never answer, so no JSON body
/// is required; a present `Origin` must still be this server.
pub(crate) async fn sign_out(State(state): Shared, headers: HeaderMap) -> Response {
    if let Err(msg) = auth::same_origin(&headers) {
        return refuse(StatusCode::FORBIDDEN, Code::Forbidden, msg);
    }
    let ids = auth::session_ids(&headers);
    if !ids.is_empty() {
        let ended = tokio::task::spawn_blocking({
            let state = Arc::clone(&state);
            move || {
                let project = state.project.lock().unwrap_or_else(PoisonError::into_inner);
                ids.iter().try_for_each(|id| project.end_session(id).map(drop))
            }
        })
        .await;
        // A session that could not be removed is still live: say so rather than pretend.
        match ended {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return error(&e),
            Err(e) => return error(&Error::Internal(format!("request task failed: {e}"))),
        }
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::expired_cookie(state.secure_cookies)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// An item's media file, with Range support, from inside the project's media roots only.
pub(crate) async fn media(State(state): Shared, Path(id): Path<i64>, req: Request) -> Response {
    let headers = req.headers().clone();
    if let Some(name) = media_key_user(&state, req.uri().query()) {
        // The per-launch key stands for one local person: resolve them as if signed in.
        let result = tokio::task::spawn_blocking({
            let state = Arc::clone(&state);
            move || {
                let project = state.project.lock().unwrap_or_else(PoisonError::into_inner);
                let caller = project.caller_named(&name)?;
                project.media_path_for(&caller, id)
            }
        })
        .await;
        return match result {
            Ok(Ok(path)) => serve_file(path, req).await,
            Ok(Err(e)) => error(&e),
            Err(e) => error(&Error::Internal(format!("request task failed: {e}"))),
        };
    }
    let path = match with_caller(state, &headers, move |p, caller| p.media_path_for(caller, id)).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    serve_file(path, req).await
}

/// The person a `?key=` query stands for, when it matches the per-launch media key.
fn media_key_user(state: &AppState, query: Option<&str>) -> Option<String> {
    let key = state.media_key.as_ref()?;
    let given = query?.split('&').find_map(|kv| kv.strip_prefix("key="))?;
    // Compare without an early exit, so timing does not reveal a prefix.
    let same = given.len() == key.secret.len()
        && given
            .bytes()
            .zip(key.secret.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    same.then(|| key.annotator.clone())
}

async fn serve_file(path: std::path::PathBuf, mut req: Request) -> Response {
    // The file server sees only the one range `parse_range` made of the client's header.
    if let Some(value) = req.headers_mut().remove(header::RANGE) {
        let len = match tokio::fs::metadata(&path).await {
            Ok(m) => m.len(),
            Err(e) => return error(&Error::Internal(format!("cannot read the media file: {e}"))),
        };
        match parse_range(value.as_bytes(), len) {
            ByteRange::Whole => {}
            ByteRange::Part { start, end } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes={start}-{end}")) {
                    req.headers_mut().insert(header::RANGE, v);
                }
            }
            ByteRange::Unsatisfiable => {
                let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return res;
            }
        }
    }
    match ServeFile::new(path).oneshot(req).await {
        Ok(mut res) => {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            );
            res.map(Body::new)
        }
        Err(e) => error(&Error::Internal(format!("cannot read the media file: {e}"))),
    }
}

/// The built UI; unknown paths get `index.html` so client-side routes reload.
pub(crate) async fn ui(State(state): Shared, req: Request) -> Response {
    let Some(dir) = state.ui_dir.clone() else {
        return Html(NO_UI).into_response();
    };
    let index = dir.join("index.html");
    let service = ServeDir::new(&dir).fallback(ServeFile::new(index));
    match service.oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(e) => error(&Error::Internal(format!("cannot serve the UI: {e}"))),
    }
}

const NO_UI: &str = "<!doctype html><meta charset=utf-8><title>Sift</title>\
<h1>Sift is running</h1><p>The labeling UI has not been built. Run <code>make ui</code> \
(or <code>npm --prefix ui run build</code>), then restart <code>sift serve</code>. \
The API answers at <code>/api/&lt;command&gt;</code>.</p>";
