//! Training-ready exports: pure functions from one annotated item to JSON records, one file
//! per format.
//!
//! Every exporter takes the template, the item (the manifest line) and the payload, and
//! returns JSON values; the caller writes them (one per line for JSONL formats). Exporters
//! expect submitted payloads (see [`crate::validate()`]) but never panic on others.
//!
//! | Format | Kind | Function | Shape |
//! | --- | --- | --- | --- |
//! | SFT | `qa` | [`sft()`] | `{"messages": [...]}` or `{"prompt", "completion"}`, one per pair |
//! | Preference | `ranking` | [`preference()`] | `{"prompt", "chosen", "rejected", "dimension", ...}`, one per implied pair |
//! | Captions | `image-caption`, `video-caption` | [`captions()`] | one record with media, caption and structure |
//! | COCO captions | `image-caption` | [`CocoCaptions`] | one JSON document for the whole set |
//! | Classification | `classification` | [`classification()`] | `{"text" or "image", "label", "unsure"}`, one per annotation |
//! | Ground Truth label | `classification` | [`ground_truth_label()`] | the class index (or indices) and the metadata of Ground Truth's built-in classification shape |
//!
//! Label Studio tasks (every kind, both ways) live in [`crate::interop::label_studio`]; they
//! are re-exported here for existing callers.
//!
//! Output objects are `serde_json::Value`s; compare them semantically, key order is not part
//! of the contract.

mod captions;
mod preference;
mod sft;

use std::fmt;

pub use crate::interop::label_studio::{
    DEFAULT_FRAME_RATE, ImportError, from_label_studio, from_label_studio_task, label_studio_config,
    label_studio_result, label_studio_task,
};
pub use crate::kinds::classification::formats::{
    GroundTruthLabel, UNSURE_CONFIDENCE, classification, ground_truth_label,
};
pub use captions::{CocoCaptions, captions};
pub use preference::{PreferenceOptions, PreferenceStyle, preference};
pub use sft::{DEFAULT_USER_TEMPLATE, SftOptions, SftStyle, sft};

use crate::template::Kind;
use crate::validate::Violation;

/// Why a record could not be exported.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportError {
    /// The format does not apply to this kind, or the payload is not of the template's kind.
    WrongKind {
        /// The format (`sft`, `preference`, …).
        format: &'static str,
        /// The kind found.
        found: Kind,
    },
    /// The item lacks what the export needs (passage, responses, media reference, …).
    Item(Vec<Violation>),
    /// A fact about the media is unknown but the format needs it.
    MissingMediaInfo(String),
    /// An option names something the template does not define.
    BadOption(String),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::WrongKind { format, found } => {
                write!(f, "the {format} export does not apply to {found} annotations")
            }
            ExportError::Item(vs) => {
                let parts: Vec<String> = vs.iter().map(ToString::to_string).collect();
                write!(f, "the item cannot be exported: {}", parts.join("; "))
            }
            ExportError::MissingMediaInfo(m) | ExportError::BadOption(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<Violation> for ExportError {
    fn from(v: Violation) -> Self {
        ExportError::Item(vec![v])
    }
}

impl From<Vec<Violation>> for ExportError {
    fn from(v: Vec<Violation>) -> Self {
        ExportError::Item(v)
    }
}
