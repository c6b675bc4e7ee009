//! The `classification` kind: one class (or, multi-label, several) for a text or an image item,
//! optionally marked "unsure" with a reason. This module owns the kind's `[fields]` and
//! `[rules]` types, its payload, the text accessor and its shortcut actions; the rules reader
//! is in [`rules`], the checks in [`check`], the Label Studio mapping in [`label_studio`] and
//! the Ground Truth shape (both ways) and training records in [`formats`].

mod check;
pub(crate) mod formats;
mod label_studio;
mod rules;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{Kind, Payload, Spec, TaskKind};
use crate::item::{MediaInfo, string_field};
use crate::payload::{entry, list};
use crate::template::rules::FieldReader;
use crate::template::shortcuts::{Action, act};
use crate::template::toml_reader::{Reader, Table};
use crate::template::{FieldBinding, Requirement, Template};
use crate::validate::Checker;
use crate::violation::Violation;

/// What a classification item is, and the manifest key that holds it. Written in TOML as
/// `[fields] text = "..."` or `[fields] image = "..."` (exactly one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ClassificationFields {
    /// `fields.text`: the key of the text to classify (for example `source`).
    Text(String),
    /// `fields.image`: the key of the image reference (for example `source-ref`).
    Image(String),
}

impl ClassificationFields {
    /// The manifest key holding the item.
    pub fn key(&self) -> &str {
        match self {
            ClassificationFields::Text(k) | ClassificationFields::Image(k) => k,
        }
    }

    /// Whether items are images (otherwise texts).
    pub fn is_image(&self) -> bool {
        matches!(self, ClassificationFields::Image(_))
    }
}

/// One class an annotator can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "ClassificationClass")]
pub struct Class {
    /// The name written in payloads and exports (unique, compared ignoring case).
    pub name: String,
    /// What belongs in the class, shown to annotators (may be empty).
    pub description: String,
    /// The key that picks the class in the labeling UI (one character, pressed without
    /// modifiers); `None` when unbound. Serialized as the key or `"none"`.
    #[serde(serialize_with = "key_or_none")]
    #[ts(as = "String")]
    pub key: Option<String>,
    /// Display colour, `#rrggbb`.
    pub colour: String,
}

fn key_or_none<S: Serializer>(key: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(key.as_deref().unwrap_or("none"))
}

/// Rules of a classification template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ClassificationRules {
    /// Whether a submission may choose several classes (otherwise exactly one).
    pub multi_label: bool,
    /// Multi-label only: fewest classes a submission must choose (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min_labels: Option<u32>,
    /// Multi-label only: most classes a submission may choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_labels: Option<u32>,
    /// Whether annotators may mark an item as unsure (their choice is still a best guess).
    pub allow_unsure: bool,
    /// With `allow_unsure`: whether an unsure mark needs a reason (`optional` or `required`).
    /// The rules reader accepts only these two (`off` is `allow_unsure = false`), so the UI's
    /// type names only them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "\"optional\" | \"required\"")]
    pub unsure_reason: Option<Requirement>,
    /// With `allow_unsure`: reason length limit in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub unsure_reason_max_chars: Option<u32>,
    /// The classes, in display order; a class's index is its position here.
    pub classes: Vec<Class>,
}

impl ClassificationRules {
    /// The class named `name`.
    pub fn class(&self, name: &str) -> Option<&Class> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// The position of the class named `name` (its Ground Truth class index).
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.classes.iter().position(|c| c.name == name)
    }

    /// Fewest and most classes one submission may choose: `(1, Some(1))` when single-label.
    pub fn label_limits(&self) -> (u32, Option<u32>) {
        if self.multi_label {
            (self.min_labels.unwrap_or(1), self.max_labels)
        } else {
            (1, Some(1))
        }
    }
}

/// Payload of a `classification` template: `{"labels": ["<class>", ...]}`, plus
/// `"unsure": {"reason": "..."}` when the annotator marked the item as unsure.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct ClassificationPayload {
    /// The chosen class names, in the order chosen (exactly one for single-label on submit).
    pub labels: Vec<String>,
    /// Present when the annotator is unsure of the labels (which are then a best guess).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub unsure: Option<Unsure>,
}

/// An "unsure" mark on a classification payload.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct Unsure {
    /// Why the annotator is unsure (may be empty unless the template requires a reason).
    pub reason: String,
}

/// The `classification` kind.
#[derive(Debug)]
pub(crate) struct ClassificationKind;

const ACTIONS: &[Action] = &[
    act(
        "toggle_unsure",
        "Alt+U",
        "Mark the item as unsure (or sure again) and move to the reason",
    ),
    act("clear_labels", "Alt+Backspace", "Clear the chosen classes"),
];

impl TaskKind for ClassificationKind {
    const KIND: Kind = Kind::Classification;
    const GT_TYPE: &'static str = "sift/classification";
    const FIELD_KEYS: &'static [&'static str] = &["text", "image"];
    const RULE_KEYS: &'static [&'static str] = rules::RULE_KEYS;
    const PAYLOAD_KEYS: &'static [&'static str] = &["labels", "unsure"];
    const ACTIONS: &'static [Action] = ACTIONS;
    type Fields = ClassificationFields;
    type Rules = ClassificationRules;
    type Payload = ClassificationPayload;

    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec> {
        let given = |key: &str| f.table.is_some_and(|t| t.get(key).is_some());
        let (text_given, image_given) = (given("text"), given("image"));
        let text = f.field(r, "text", None);
        let image = f.field(r, "image", None);
        let fields = match (text, image) {
            (Some(_), Some(_)) => {
                if let Some(t) = f.table {
                    r.push(
                        &t.child_path("image"),
                        t.get("image").map(|v| v.span()),
                        "`fields.text` is set too; a classification item is a text or an image, not both",
                    );
                }
                f.ok = false;
                None
            }
            (Some(k), None) => Some(ClassificationFields::Text(k)),
            (None, Some(k)) => Some(ClassificationFields::Image(k)),
            (None, None) => {
                if !text_given && !image_given {
                    r.push(
                        "fields.text",
                        f.table.and_then(|t| t.span.clone()),
                        "missing; a classification template reads `fields.text` (the text to classify, e.g. \
                         \"source\") or `fields.image` (the image reference, e.g. \"source-ref\")",
                    );
                    f.ok = false;
                }
                None
            }
        };
        let rules = rules::read(r, rules);
        Some(Spec::Classification {
            fields: fields?,
            rules: rules?,
        })
    }

    fn bindings(fields: &ClassificationFields) -> Vec<FieldBinding<'_>> {
        let role = if fields.is_image() { "image" } else { "text" };
        vec![FieldBinding::new(role, fields.key(), true)]
    }

    fn media_field(fields: &ClassificationFields) -> Option<&str> {
        fields.is_image().then(|| fields.key())
    }

    fn gt_type(fields: &ClassificationFields, rules: &ClassificationRules) -> &'static str {
        match (fields.is_image(), rules.multi_label) {
            (false, false) => "groundtruth/text-classification",
            (false, true) => "groundtruth/text-classification-multilabel",
            (true, false) => "groundtruth/image-classification",
            (true, true) => "groundtruth/image-classification-multilabel",
        }
    }

    fn payload_from_ground_truth(
        rules: &ClassificationRules,
        label: &Value,
        metadata: &Value,
    ) -> Option<Result<Value, String>> {
        Some(formats::from_ground_truth(rules, label, metadata))
    }

    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> ClassificationPayload {
        ClassificationPayload {
            labels: list(obj, "labels", errs),
            unsure: entry(obj, "unsure", errs),
        }
    }

    fn wrap(p: ClassificationPayload) -> Payload {
        Payload::Classification(p)
    }

    fn unwrap(p: &Payload) -> Option<&ClassificationPayload> {
        match p {
            Payload::Classification(p) => Some(p),
            _ => None,
        }
    }

    fn check(
        c: &mut Checker,
        t: &Template,
        fields: &ClassificationFields,
        rules: &ClassificationRules,
        item: &Value,
        _media: &MediaInfo,
        p: &ClassificationPayload,
    ) {
        check::check(c, t, fields, rules, item, p);
    }
}

impl Template {
    /// The text of a text `classification` item.
    pub fn input_text<'a>(&self, item: &'a Value) -> Result<&'a str, Violation> {
        match &self.spec {
            Spec::Classification {
                fields: ClassificationFields::Text(key),
                ..
            } => string_field(item, key, "text to classify"),
            _ => Err(self.wrong_kind("text to classify")),
        }
    }
}
