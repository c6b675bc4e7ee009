//! Checks of a `classification` payload: every label is a class of the template and chosen
//! once (both modes); on submit, exactly one class (single-label) or the template's label
//! count limits (multi-label), and the unsure mark (allowed, with a reason when required).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ClassificationFields, ClassificationPayload, ClassificationRules};
use crate::path;
use crate::template::{Requirement, Template};
use crate::validate::Checker;
use crate::violation::Code;

/// Checks `p` (see [`crate::validate()`]).
pub(super) fn check(
    c: &mut Checker,
    t: &Template,
    fields: &ClassificationFields,
    rules: &ClassificationRules,
    item: &Value,
    p: &ClassificationPayload,
) {
    // A missing or malformed text or image reference is recorded; the checks below do not
    // need its value.
    if fields.is_image() {
        c.item(t.media_ref(item));
    } else {
        c.item(t.input_text(item));
    }

    let mut chosen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, label) in p.labels.iter().enumerate() {
        let lp = path::index("labels", i);
        if rules.class(label).is_none() {
            let names: Vec<&str> = rules.classes.iter().map(|k| k.name.as_str()).collect();
            c.push(
                &lp,
                Code::UnknownClass,
                format!("`{label}` is not a class of this template ({})", names.join(", ")),
            );
        } else if let Some(first) = chosen.get(label.as_str()) {
            c.push(
                &lp,
                Code::DuplicateLabel,
                format!("`{label}` is already chosen (labels[{first}])"),
            );
        } else {
            chosen.insert(label, i);
        }
    }

    if c.submit {
        let n = p.labels.len();
        if rules.multi_label {
            let (min, max) = rules.label_limits();
            c.count("labels", n, min, max, "class", "classes");
        } else if n == 0 {
            c.push("labels", Code::Required, "choose a class");
        } else if n > 1 {
            c.push(
                "labels",
                Code::TooMany,
                format!("choose one class, found {n}; this template is single-label"),
            );
        }
    }

    if let Some(unsure) = &p.unsure {
        match (rules.allow_unsure, rules.unsure_reason) {
            (true, Some(req)) => c.text(
                "unsure.reason",
                &unsure.reason,
                req == Requirement::Required,
                0,
                rules.unsure_reason_max_chars.unwrap_or(u32::MAX),
                "reason",
            ),
            _ if c.submit => c.push(
                "unsure",
                Code::UnsureNotAllowed,
                "this template does not let annotators mark an item as unsure",
            ),
            _ => {}
        }
    }
}
