//! The `Cookie` and `Authorization` header parsers of `sift serve` over any bytes: no panic,
//! at most a few session ids, each exactly 64 lowercase hex digits; a bearer token only ever
//! has the shape of a Sift token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_server::parsers::{bearer_token, session_cookie_values};

fuzz_target!(|data: &[u8]| {
    let ids: Vec<&str> = session_cookie_values(data).collect();
    assert!(ids.len() <= 4, "{} candidates taken", ids.len());
    for id in ids {
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{id:?}");
    }
    if let Some(token) = bearer_token(data) {
        assert!(!token.is_empty() && token.len() <= 200);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{token:?}");
    }
});
