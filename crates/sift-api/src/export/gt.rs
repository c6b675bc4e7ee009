//! The Ground Truth output line writer, and the JSON string writing its speed rests on.

use std::io::Write;

use serde_json::Value;
use sift_store::ExportRow;
use sift_template::{Kind, export};

use super::sink::item_error;
use crate::{Error, Result};

/// Writes Ground Truth output lines: the stored input line, byte for byte, plus
/// `<label>` (the payload) and `<label>-metadata`. Builds each line in one buffer without
/// intermediate strings: this loop is what export throughput is made of. A classification
/// template writes Ground Truth's built-in shape instead of the payload (class index or
/// indices, `class-name` / `class-map` metadata; see `sift_template::export::ground_truth_label`).
pub(super) struct GtWriter {
    /// The template, when its labels take Ground Truth's built-in shape.
    built_in: Option<Box<sift_template::Template>>,
    /// `,"<label>":`
    label_key: Vec<u8>,
    /// `,"<label>-metadata":{"type":...,"job-name":...,"human-annotated":"yes"`
    meta_prefix: Vec<u8>,
    /// `,"annotator":"<name>"` by annotator id (empty until first used).
    annotators: Vec<Vec<u8>>,
    line: Vec<u8>,
}

impl GtWriter {
    /// Annotator ids below this have their JSON kept; ids are small consecutive integers.
    const CACHED_IDS: i64 = 1 << 12;

    pub(super) fn new(template: &sift_template::Template) -> Self {
        let label = template.label_attribute();
        let mut label_key = b",".to_vec();
        push_json_str(&mut label_key, label);
        label_key.push(b':');
        let mut meta_prefix = b",".to_vec();
        push_json_str(&mut meta_prefix, &format!("{label}-metadata"));
        meta_prefix.extend_from_slice(b":{\"type\":");
        push_json_str(&mut meta_prefix, template.gt_type());
        meta_prefix.extend_from_slice(b",\"job-name\":");
        push_json_str(&mut meta_prefix, template.job_name());
        meta_prefix.extend_from_slice(b",\"human-annotated\":\"yes\"");
        Self {
            built_in: (template.kind() == Kind::Classification).then(|| Box::new(template.clone())),
            label_key,
            meta_prefix,
            annotators: Vec::new(),
            line: Vec::with_capacity(4096),
        }
    }

    /// The built-in label of `row` (`None`: the label is the stored payload).
    pub(super) fn built_in_label(&self, row: &ExportRow<'_>) -> Result<Option<export::GroundTruthLabel>> {
        let Some(template) = &self.built_in else {
            return Ok(None);
        };
        let payload: Value = serde_json::from_slice(row.payload)
            .map_err(|e| Error::Internal(format!("item {}: stored payload is not JSON: {e}", row.item_id)))?;
        let payload = template
            .parse_payload(&payload)
            .map_err(|v| item_error(row, &export::ExportError::Item(v)))?;
        export::ground_truth_label(template, &payload)
            .map(Some)
            .map_err(|e| item_error(row, &e))
    }

    pub(super) fn write(
        &mut self,
        row: &ExportRow<'_>,
        built_in: Option<&export::GroundTruthLabel>,
        w: &mut dyn Write,
    ) -> std::io::Result<()> {
        let l = &mut self.line;
        l.clear();
        let body = row.content.trim_ascii_end();
        let body = body.strip_suffix(b"}").unwrap_or(body);
        l.extend_from_slice(body);
        // A stored object always has members (source or source-ref), except `{}` from Label Studio.
        let label_key = if body.trim_ascii_end().ends_with(b"{") {
            &self.label_key[1..]
        } else {
            &self.label_key[..]
        };
        l.extend_from_slice(label_key);
        match built_in {
            None => {
                l.extend_from_slice(row.payload);
                l.extend_from_slice(&self.meta_prefix);
            }
            Some(label) => {
                serde_json::to_writer(&mut *l, &label.value)?;
                l.extend_from_slice(&self.meta_prefix);
                for (k, v) in &label.metadata {
                    l.push(b',');
                    push_json_str(l, k);
                    l.push(b':');
                    serde_json::to_writer(&mut *l, v)?;
                }
            }
        }
        l.extend_from_slice(b",\"creation-date\":");
        push_json_str(l, row.submitted_at);
        match usize::try_from(row.annotator_id) {
            Ok(i) if row.annotator_id < Self::CACHED_IDS => {
                if self.annotators.len() <= i {
                    self.annotators.resize(i + 1, Vec::new());
                }
                let json = &mut self.annotators[i];
                if json.is_empty() {
                    json.extend_from_slice(b",\"annotator\":");
                    push_json_str(json, row.annotator);
                }
                l.extend_from_slice(json);
            }
            _ => {
                l.extend_from_slice(b",\"annotator\":");
                push_json_str(l, row.annotator);
            }
        }
        l.extend_from_slice(b",\"review-state\":");
        match row.state {
            "submitted" => l.extend_from_slice(b"\"submitted\""),
            "approved" => l.extend_from_slice(b"\"approved\""),
            other => push_json_str(l, other),
        }
        l.extend_from_slice(b",\"annotation-version\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.version).as_bytes());
        l.extend_from_slice(b",\"time-spent-ms\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.time_spent_ms).as_bytes());
        l.extend_from_slice(b",\"item-id\":");
        l.extend_from_slice(itoa::Buffer::new().format(row.item_id).as_bytes());
        if let Some(r) = row.reviewer {
            l.extend_from_slice(b",\"reviewer\":");
            push_json_str(l, r);
        }
        if let Some(at) = row.reviewed_at {
            l.extend_from_slice(b",\"reviewed-at\":");
            push_json_str(l, at);
        }
        l.extend_from_slice(b"}}\n");
        w.write_all(l)
    }
}

/// Appends `s` as a JSON string; plain text is copied without serde_json's machinery.
pub(super) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    if json_plain(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

/// Whether `s` needs no escaping in a JSON string: no control character, quote or backslash.
/// Looks at eight bytes at a time (the "has a byte less than n" and "has a zero byte" word
/// tests, exact for any word), since it runs on several fields of every exported line.
pub(super) fn json_plain(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_ne_bytes(bytes);
        let has_control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if has_control || has_zero(x ^ (ONES * u64::from(b'"'))) || has_zero(x ^ (ONES * u64::from(b'\\'))) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}
