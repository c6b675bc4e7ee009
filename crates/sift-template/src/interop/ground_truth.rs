//! Ground Truth output labels read back into payloads. Most kinds write their payload as the
//! label (metadata `type` `sift/<kind>`), so the label is the payload; a classification
//! template writes Ground Truth's built-in classification shape (class indices plus
//! `class-name` / `class-map` metadata, see [`crate::export::ground_truth_label`]), which is
//! turned back into `{"labels": [...]}` here, whether Sift or Ground Truth itself wrote it.

use std::borrow::Cow;

use serde_json::Value;

use crate::kinds::{TaskKind, with_spec};
use crate::template::Template;

/// The payload (JSON, not yet checked against the template) held by an output line's label
/// attribute value `label`, with `metadata` the line's `<label>-metadata` (`null` when
/// absent). The error says what does not fit the template.
pub fn payload_from_label<'a>(
    template: &Template,
    label: &'a Value,
    metadata: &Value,
) -> Result<Cow<'a, Value>, String> {
    match with_spec!(&template.spec, |K, _, rules| K::payload_from_ground_truth(
        rules, label, metadata
    )) {
        None => Ok(Cow::Borrowed(label)),
        Some(converted) => converted.map(Cow::Owned),
    }
}
