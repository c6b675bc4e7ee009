//! Who is calling: a bearer token (scripts) or the session cookie (browsers), plus the
//! same-origin rules for requests that change state. The cookie parser is a pure function
//! over the raw header bytes, so it can be fuzzed (see [`crate::parsers`]).

use axum::http::{HeaderMap, header};

use sift_api::SESSION_ID_BYTES as ID_BYTES;

/// The session cookie's name. It holds a random session id (HttpOnly, so page scripts never
/// see it); the server knows the session by its hash and never sees the token again.
pub(crate) const COOKIE: &str = "sift_session";

/// At most this many `sift_session` values are tried from one request (a cookie set by a
/// sibling site cannot lock the real one out, and a flood of values costs nothing).
const MAX_CANDIDATES: usize = 4;

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// Session ids from the cookie (usually one).
    Session(Vec<String>),
}

/// The credential a request carries: a bearer token first, then the session cookie.
pub(crate) fn credential(headers: &HeaderMap) -> Option<Credential> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| bearer_token(v.as_bytes()))
    {
        return Some(Credential::Bearer(token.to_owned()));
    }
    let ids = session_ids(headers);
    (!ids.is_empty()).then_some(Credential::Session(ids))
}

/// Every well-formed session id in the request's `Cookie` headers, in order.
pub(crate) fn session_ids(headers: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        for id in session_cookie_values(value.as_bytes()) {
            if out.len() == MAX_CANDIDATES {
                return out;
            }
            out.push(id.to_owned());
        }
    }
    out
}

/// The token of an `Authorization` header value `Bearer <token>` (scheme case-insensitive),
/// when the token has the shape of a Sift token (letters, digits and `_`, at most 200).
pub fn bearer_token(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    is_token_shaped(token).then_some(token)
}

/// Whether `s` could be a Sift access token (it is looked up only by its hash).
pub(crate) fn is_token_shaped(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The values of every `sift_session` cookie in one `Cookie` header value (RFC 6265
/// `name=value; name=value`), keeping only values shaped like a session id (64 lowercase
/// hex digits, optionally in double quotes). Anything malformed is skipped, never an error.
pub fn session_cookie_values(header: &[u8]) -> impl Iterator<Item = &str> {
    header
        .split(|&b| b == b';')
        .filter_map(|pair| {
            let pair = trim_ows(pair);
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (name, value) = (trim_ows(&pair[..eq]), trim_ows(&pair[eq + 1..]));
            if name != COOKIE.as_bytes() {
                return None;
            }
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                v => v,
            };
            let well_formed = value.len() == ID_BYTES * 2
                && value
                    .iter()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
            // Hex digits are ASCII, so the conversion cannot fail.
            well_formed.then(|| std::str::from_utf8(value).ok()).flatten()
        })
        .take(MAX_CANDIDATES)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// `Set-Cookie` for a new session.
pub(crate) fn session_cookie(id: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn expired_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// A present `Origin` (or `Sec-Fetch-Site`) must say the request comes from this server's
/// own pages.
pub(crate) fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err("cross-origin requests are not allowed");
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
    same_origin(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn values(h: &[u8]) -> Vec<&str> {
        session_cookie_values(h).collect()
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        assert_eq!(values(format!("sift_session={ID}").as_bytes()), [ID]);
        assert_eq!(values(format!("a=1; sift_session={ID}; b=2").as_bytes()), [ID]);
        assert_eq!(values(format!(" \tsift_session = \"{ID}\" ;").as_bytes()), [ID]);
    }

    #[test]
    fn hostile_cookie_headers_yield_nothing_and_never_panic() {
        let long = "a".repeat(1 << 16);
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b";;;;".to_vec(),
            b"=".to_vec(),
            b"sift_session".to_vec(),
            b"sift_session=".to_vec(),
            b"sift_session=\"".to_vec(),
            b"sift_session=sift_0123".to_vec(),
            format!("sift_session={}", ID.to_uppercase()).into_bytes(),
            format!("sift_session={ID}0").into_bytes(),
            format!("sift_session={}", &ID[1..]).into_bytes(),
            format!("Sift_Session={ID}").into_bytes(),
            format!("xsift_session={ID}").into_bytes(),
            format!("sift_session={long}").into_bytes(),
            vec![0xff, 0xfe, b'=', 0x80],
            format!("sift_session=\u{e9}{}", &ID[2..]).into_bytes(),
        ];
        for c in cases {
            assert!(values(&c).is_empty(), "{:?}", String::from_utf8_lossy(&c));
        }
    }

    #[test]
    fn at_most_a_few_candidates_are_taken() {
        let many: String = (0..1000).map(|_| format!("sift_session={ID};")).collect();
        assert_eq!(values(many.as_bytes()).len(), MAX_CANDIDATES);
    }

    #[test]
    fn bearer_tokens_must_look_like_tokens() {
        assert_eq!(bearer_token(b"Bearer sift_abc123"), Some("sift_abc123"));
        assert_eq!(bearer_token(b"bearer   sift_abc "), Some("sift_abc"));
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Basic sift_abc",
            b"Bearer sift abc",
            b"Bearer sift-abc",
            b"Bearer \xff",
        ] {
            assert_eq!(bearer_token(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    mod prop {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn any_bytes_parse_without_panicking(h in proptest::collection::vec(any::<u8>(), 0..512)) {
                for v in session_cookie_values(&h) {
                    prop_assert_eq!(v.len(), ID_BYTES * 2);
                }
                let _ = bearer_token(&h);
            }

            #[test]
            fn a_session_cookie_is_found_wherever_it_sits(
                before in "[a-z]{1,8}=[a-z0-9]{0,8}",
                after in "[a-z]{1,8}=[a-z0-9]{0,8}",
                id in "[0-9a-f]{64}",
            ) {
                let h = format!("{before}; sift_session={id}; {after}");
                let found: Vec<&str> = session_cookie_values(h.as_bytes()).collect();
                prop_assert_eq!(found, vec![id.as_str()]);
            }
        }
    }
}
