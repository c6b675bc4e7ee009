//! The `image-caption` kind: objects marked with points, relationships between them, the
//! setting and a caption for an image. This module owns the kind's `[fields]` and `[rules]`
//! (types and reader; the setting and caption rules come from [`super::scene`]), its payload
//! types and its shortcut actions; the checks are in [`check`], the Label Studio mapping in
//! [`label_studio`].

mod check;
mod label_studio;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::scene::{self, SceneRules};
use super::{Kind, Payload, Spec, TaskKind};
use crate::item::{MediaFact, MediaInfo};
use crate::payload::{entry, list};
use crate::template::rules::{FieldReader, check_order};
use crate::template::shortcuts::{Action, act};
use crate::template::toml_reader::{Reader, Table};
use crate::template::{FieldBinding, Template};
use crate::validate::Checker;
use crate::violation::Violation;

/// Manifest keys feeding an image-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImageFields {
    /// Key of the image reference (default `source-ref`).
    pub image: String,
    /// Optional key holding the image width in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub width: Option<String>,
    /// Optional key holding the image height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub height: Option<String>,
}

/// Rules of an image-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImageRules {
    /// Fewest objects a submission must mark.
    pub min_objects: u32,
    /// Most objects a submission may mark.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_objects: Option<u32>,
    /// Object name length limit in characters.
    pub object_name_max_chars: u32,
    /// Whether every object needs a description.
    pub require_object_description: bool,
    /// Object description length limit in characters.
    pub object_description_max_chars: u32,
    /// Fewest relationships a submission must have.
    pub min_relationships: u32,
    /// Setting and caption rules (serialized in line with the others).
    #[serde(flatten)]
    pub scene: SceneRules,
    /// Whether the caption must mention every object by name.
    pub caption_must_mention_objects: bool,
}

/// An object marked on an image with a point. `x` and `y` are required; the other keys
/// default to empty strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ImageObject {
    /// Identifier unique within the payload (relationships refer to it).
    #[serde(default)]
    pub id: String,
    /// Horizontal pixel coordinate, 0 at the left edge.
    pub x: f64,
    /// Vertical pixel coordinate, 0 at the top edge.
    pub y: f64,
    /// Short name ("dog").
    #[serde(default)]
    pub name: String,
    /// Detailed description ("a brown labrador lying on its side").
    #[serde(default)]
    pub description: String,
}

/// A relationship between two marked objects: `subject relation object`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct Relationship {
    /// Object id of the subject.
    pub subject: String,
    /// The relation ("is lying next to").
    pub relation: String,
    /// Object id of the object.
    pub object: String,
}

/// Payload of an `image-caption` template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct ImagePayload {
    /// Marked objects.
    pub objects: Vec<ImageObject>,
    /// Relationships between marked objects.
    pub relationships: Vec<Relationship>,
    /// Setting, background, environment.
    pub setting: String,
    /// The final caption.
    pub caption: String,
}

/// The `image-caption` kind.
#[derive(Debug)]
pub(crate) struct ImageCaptionKind;

/// Keys allowed under `[rules]`.
const RULE_KEYS: &[&str] = &[
    "min_objects",
    "max_objects",
    "object_name_max_chars",
    "require_object_description",
    "object_description_max_chars",
    "min_relationships",
    "require_setting",
    "setting_max_chars",
    "caption_min_words",
    "caption_max_words",
    "caption_must_mention_objects",
];

const ACTIONS: &[Action] = &[
    act("add_object", "Alt+O", "Place a point for a new object"),
    act("delete_object", "Alt+Backspace", "Delete the selected object"),
    act("next_object", "Alt+Down", "Select the next object"),
    act("previous_object", "Alt+Up", "Select the previous object"),
    act("add_relationship", "Alt+R", "Add a relationship between objects"),
    act("focus_caption", "Alt+C", "Move the cursor to the caption field"),
    act("zoom_in", "Mod+=", "Zoom in"),
    act("zoom_out", "Mod+-", "Zoom out"),
    act("reset_zoom", "Mod+0", "Fit the image to the view"),
];

impl TaskKind for ImageCaptionKind {
    const KIND: Kind = Kind::ImageCaption;
    const GT_TYPE: &'static str = "sift/image-caption";
    const FIELD_KEYS: &'static [&'static str] = &["image", "width", "height"];
    const RULE_KEYS: &'static [&'static str] = RULE_KEYS;
    const PAYLOAD_KEYS: &'static [&'static str] = &["objects", "relationships", "setting", "caption"];
    const ACTIONS: &'static [Action] = ACTIONS;
    type Fields = ImageFields;
    type Rules = ImageRules;
    type Payload = ImagePayload;

    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec> {
        let image = f.field(r, "image", Some("source-ref"));
        let width = f.field(r, "width", None);
        let height = f.field(r, "height", None);
        if width.is_some() != height.is_some()
            && let Some(t) = f.table
        {
            let (missing, present) = if width.is_some() {
                ("height", "width")
            } else {
                ("width", "height")
            };
            r.push(
                &t.child_path(missing),
                t.span.clone(),
                format!("missing; `fields.{present}` is set, so `fields.{missing}` must be set too"),
            );
            f.ok = false;
        }
        let rules = read_rules(r, rules);
        Some(Spec::ImageCaption {
            fields: ImageFields {
                image: image?,
                width,
                height,
            },
            rules: rules?,
        })
    }

    fn bindings(fields: &ImageFields) -> Vec<FieldBinding<'_>> {
        let mut out = vec![FieldBinding::new("image", &fields.image, true)];
        for (role, key) in [("width", &fields.width), ("height", &fields.height)] {
            if let Some(k) = key {
                out.push(FieldBinding::new(role, k, false));
            }
        }
        out
    }

    fn media_field(fields: &ImageFields) -> Option<&str> {
        Some(&fields.image)
    }

    fn media_facts(fields: &ImageFields) -> Vec<(MediaFact, &str)> {
        let mut out = Vec::new();
        for (fact, key) in [
            (MediaFact::Width, &fields.width),
            (MediaFact::Height, &fields.height),
        ] {
            if let Some(k) = key {
                out.push((fact, k.as_str()));
            }
        }
        out
    }

    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> ImagePayload {
        ImagePayload {
            objects: list(obj, "objects", errs),
            relationships: list(obj, "relationships", errs),
            setting: entry(obj, "setting", errs),
            caption: entry(obj, "caption", errs),
        }
    }

    fn wrap(p: ImagePayload) -> Payload {
        Payload::ImageCaption(p)
    }

    fn unwrap(p: &Payload) -> Option<&ImagePayload> {
        match p {
            Payload::ImageCaption(p) => Some(p),
            _ => None,
        }
    }

    fn check(
        c: &mut Checker,
        t: &Template,
        _fields: &ImageFields,
        rules: &ImageRules,
        item: &Value,
        media: &MediaInfo,
        p: &ImagePayload,
    ) {
        check::check(c, t, rules, item, media, p);
    }
}

fn read_rules(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<ImageRules> {
    let n0 = r.errors.len();
    let min_objects = t.uint_or(r, "min_objects", 0, 1);
    let max_objects = t.uint(r, "max_objects", 1);
    if let Some(max) = &max_objects {
        check_order(r, &min_objects, max);
    }
    let object_name_max_chars = t.uint_or(r, "object_name_max_chars", 1, 60).value;
    let require_object_description = t.boolean(r, "require_object_description", true);
    let object_description_max_chars = t.uint_or(r, "object_description_max_chars", 1, 500).value;
    let min_relationships = t.uint_or(r, "min_relationships", 0, 0);
    if min_relationships.value > 0
        && let Some(max) = &max_objects
        && max.value < 2
    {
        r.push(
            &min_relationships.path,
            Some(min_relationships.span.clone()),
            "relationships need two objects, but `max_objects` is 1",
        );
    }
    let scene = scene::read(r, t);
    let caption_must_mention_objects = t.boolean(r, "caption_must_mention_objects", false);
    if r.errors.len() > n0 {
        return None;
    }
    Some(ImageRules {
        min_objects: min_objects.value,
        max_objects: max_objects.map(|m| m.value),
        object_name_max_chars,
        require_object_description,
        object_description_max_chars,
        min_relationships: min_relationships.value,
        scene,
        caption_must_mention_objects,
    })
}
