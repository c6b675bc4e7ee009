//! One Ground Truth manifest line: parsing never panics, and an accepted line survives the
//! round trip through an output line (the label spliced on, then split off again) with the
//! same hash and the same JSON content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_manifest::{parse_gt_line, splice_output_line};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut scratch = Vec::new();
    let Ok(record) = parse_gt_line(text, Some("label"), &mut scratch) else {
        return;
    };
    let mut out = Vec::new();
    splice_output_line(
        &record.content,
        &[
            ("label", r#"{"x":[1,"y"]}"#),
            ("label-metadata", r#"{"annotator":"a"}"#),
        ],
        &mut out,
    );
    let line = std::str::from_utf8(&out).expect("an output line is UTF-8");
    let again = parse_gt_line(line.trim_end(), Some("label"), &mut scratch)
        .unwrap_or_else(|e| panic!("the output line {line:?} does not parse: {e}"));
    assert_eq!(again.hash, record.hash, "the label columns changed the hash");
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("content is JSON");
    assert_eq!(
        json(&again.content),
        json(&record.content),
        "the round trip changed the content"
    );
    let labels = again.labels.expect("the spliced label is found");
    assert_eq!(labels.value.get(), r#"{"x":[1,"y"]}"#);
});
