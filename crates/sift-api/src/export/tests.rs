//! Tests of export's format names and JSON string writing.

use super::gt::{json_plain, push_json_str};
use super::*;
use proptest::prelude::*;

#[test]
fn format_names_are_the_serde_names_and_parse_back() {
    for &f in ExportFormat::ALL {
        assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        assert_eq!(f.to_string(), f.as_str());
        assert_eq!(f.as_str().parse::<ExportFormat>().unwrap(), f);
    }
    let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "gt",
            "sft",
            "preference",
            "captions",
            "coco-captions",
            "label-studio",
            "classification",
            "predictions"
        ]
    );
    assert_eq!(
        "csv".parse::<ExportFormat>().unwrap_err(),
        "unknown export format \"csv\" (expected gt, sft, preference, captions, \
         coco-captions, label-studio, classification or predictions)"
    );
}

fn plain_bytewise(s: &[u8]) -> bool {
    s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

#[test]
fn json_plain_edges() {
    for s in [
        "",
        "2026-11-01T10:00:00.000000Z",
        "ann0",
        "submitted",
        "héllo wörld ✓",
    ] {
        assert!(json_plain(s.as_bytes()), "{s:?}");
    }
    for s in [
        "a\"b",
        "1234567\"",
        "12345678\\",
        "tab\there",
        "\u{7f}\u{1f}",
        "0123456789abcde\n",
    ] {
        assert_eq!(json_plain(s.as_bytes()), plain_bytewise(s.as_bytes()), "{s:?}");
    }
}

proptest! {
    #[test]
    fn json_plain_matches_bytewise(s in proptest::collection::vec(any::<u8>(), 0..40)) {
        prop_assert_eq!(json_plain(&s), plain_bytewise(&s));
    }

    #[test]
    fn pushed_strings_are_json(s in "\\PC{0,30}|[ -~]{0,30}") {
        let mut out = Vec::new();
        push_json_str(&mut out, &s);
        prop_assert_eq!(serde_json::from_slice::<String>(&out).ok(), Some(s));
    }
}
