//! Streaming readers and writers for the manifests Sift exchanges with other tools.
//!
//! - [`LineReader`] reads JSON Lines with flat memory: a UTF-8 BOM and CRLF endings are
//!   accepted, invalid UTF-8 and lines over [`DEFAULT_MAX_LINE_BYTES`] are errors that name
//!   the line, and an over-long line is skipped without buffering it whole.
//! - [`parse_gt_line`] checks one SageMaker Ground Truth input line (`source` xor
//!   `source-ref`, no `$` keys, an object) while keeping every value's original bytes, and
//!   computes its [`ContentHash`] for deduplication.
//! - [`splice_output_line`] writes a Ground Truth output line: the stored input line, byte
//!   for byte, plus the label attribute and its metadata.
//! - [`read_label_studio_tasks`] streams a Label Studio task file (a JSON array of tasks, or
//!   one task object; each task with or without its `data` wrapper) one task at a time, with
//!   tasks capped in size like lines.
//!
//! Nothing here touches the project store; the API crate wires these into import and export.

#![warn(missing_docs)]

mod elements;
mod gt;
mod hash;
mod label_studio;
mod lines;

pub use gt::{GtRecord, LabelColumns, LineError, parse_gt_line, splice_output_line};
pub use hash::{ContentHash, content_hash_of_pairs};
pub use label_studio::{
    LabelStudioError, LabelStudioTask, read_label_studio_tasks, read_label_studio_tasks_with_limit,
};
pub use lines::{DEFAULT_MAX_LINE_BYTES, Line, LineReader, ReadError};

/// How a manifest file is laid out, decided from its first non-blank byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// JSON Lines, one Ground Truth object per line.
    GroundTruth,
    /// A JSON array of Label Studio tasks.
    LabelStudio,
}

/// Looks at the start of a file (after an optional BOM and whitespace): `[` means a Label
/// Studio task array, anything else is read as Ground Truth JSON Lines.
pub fn sniff_format(head: &[u8]) -> ManifestFormat {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => ManifestFormat::LabelStudio,
        _ => ManifestFormat::GroundTruth,
    }
}

/// Decides the layout of a `.json` file from its start. An array is a Label Studio task
/// list, and one object alone is a single Label Studio task; objects one after another are
/// Ground Truth JSON Lines, which some tools name `.json`. An object that does not end
/// within `head` counts as a task (manifest lines are shorter).
pub fn sniff_json_format(head: &[u8]) -> ManifestFormat {
    let trimmed = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match trimmed.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => return ManifestFormat::LabelStudio,
        Some(b'{') => {}
        _ => return ManifestFormat::GroundTruth,
    }
    let mut values = elements::Elements::new(head, usize::MAX);
    if !matches!(values.next(), Some(Ok(elements::Element::Value { .. }))) {
        return ManifestFormat::LabelStudio; // cut off, or broken: the task reader says where
    }
    match values.next() {
        Some(Err(elements::SplitError::Syntax { message, .. })) if message == elements::TRAILING => {
            ManifestFormat::GroundTruth
        }
        _ => ManifestFormat::LabelStudio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_files() {
        use ManifestFormat::{GroundTruth, LabelStudio};
        assert_eq!(sniff_json_format(b"[{}]"), LabelStudio);
        assert_eq!(sniff_json_format(b"{\n  \"data\": {}\n}\n"), LabelStudio);
        assert_eq!(
            sniff_json_format(b"{\"source\":\"a\"}\n{\"source\":\"b\"}\n"),
            GroundTruth
        );
        assert_eq!(sniff_json_format(b"{\"source\":\"a\"}\n{\"sou"), GroundTruth);
        assert_eq!(sniff_json_format(b"{\"text\":\"a long task, cut o"), LabelStudio);
        assert_eq!(sniff_json_format(b"\xEF\xBB\xBF {\"text\":1}"), LabelStudio);
        assert_eq!(sniff_json_format(b""), GroundTruth);
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff_format(b"\xEF\xBB\xBF  [{}]"), ManifestFormat::LabelStudio);
        assert_eq!(sniff_format(b"\n{\"source\":\"a\"}"), ManifestFormat::GroundTruth);
        assert_eq!(sniff_format(b""), ManifestFormat::GroundTruth);
    }
}
