//! Checks of an `image-caption` payload: object ids, points inside the image, object names and
//! descriptions, relationships between known objects, the setting and caption, and (when the
//! template asks) that the caption mentions every object.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{ImagePayload, ImageRules};
use crate::item::MediaInfo;
use crate::kinds::scene;
use crate::path;
use crate::template::Template;
use crate::text::{mentions_tokens, tokens};
use crate::validate::{Checker, num};
use crate::violation::Code;

/// Checks `p` (see [`crate::validate()`]).
pub(super) fn check(
    c: &mut Checker,
    t: &Template,
    rules: &ImageRules,
    item: &Value,
    media: &MediaInfo,
    p: &ImagePayload,
) {
    // A missing media reference is recorded; the checks below do not need its value.
    c.item(t.media_ref(item));
    let (info, errs) = t.media_info(item, media);
    c.out.extend(errs);
    c.count(
        "objects",
        p.objects.len(),
        rules.min_objects,
        rules.max_objects,
        "object",
        "objects",
    );

    let mut ids = BTreeSet::new();
    for (i, o) in p.objects.iter().enumerate() {
        let op = path::index("objects", i);
        if o.id.trim().is_empty() {
            c.push(&path::key(&op, "id"), Code::EmptyId, "every object needs an id");
        } else if !ids.insert(o.id.as_str()) {
            c.push(
                &path::key(&op, "id"),
                Code::DuplicateId,
                format!("id `{}` is used by an earlier object", o.id),
            );
        }
        let finite = o.x.is_finite() && o.y.is_finite();
        let outside = !finite
            || o.x < 0.0
            || o.y < 0.0
            || info.width.is_some_and(|w| o.x > w)
            || info.height.is_some_and(|h| o.y > h);
        if outside {
            let size = match (info.width, info.height) {
                (Some(w), Some(h)) => format!("the {}×{} image", num(w), num(h)),
                _ => "the image (coordinates start at 0)".to_owned(),
            };
            c.push(
                &op,
                Code::PointOutsideImage,
                format!("point ({}, {}) is outside {size}", num(o.x), num(o.y)),
            );
        }
        c.text(
            &path::key(&op, "name"),
            &o.name,
            true,
            0,
            rules.object_name_max_chars,
            "object name",
        );
        c.text(
            &path::key(&op, "description"),
            &o.description,
            rules.require_object_description,
            0,
            rules.object_description_max_chars,
            "object description",
        );
    }

    c.count(
        "relationships",
        p.relationships.len(),
        rules.min_relationships,
        None,
        "relationship",
        "relationships",
    );
    let mut seen = BTreeSet::new();
    for (i, r) in p.relationships.iter().enumerate() {
        let rp = path::index("relationships", i);
        for (key, id) in [("subject", &r.subject), ("object", &r.object)] {
            let kp = path::key(&rp, key);
            if id.is_empty() {
                if c.submit {
                    c.push(&kp, Code::Required, format!("choose the {key} object"));
                }
            } else if !ids.contains(id.as_str()) {
                c.push(&kp, Code::UnknownObject, format!("no object has id `{id}`"));
            }
        }
        if c.submit {
            c.text(
                &path::key(&rp, "relation"),
                &r.relation,
                true,
                0,
                u32::MAX,
                "relation",
            );
            if !r.subject.is_empty() && r.subject == r.object {
                c.push(
                    &rp,
                    Code::SelfRelationship,
                    format!("relates object `{}` to itself", r.subject),
                );
            }
            let key = (
                r.subject.as_str(),
                r.relation.trim().to_lowercase(),
                r.object.as_str(),
            );
            if !r.relation.trim().is_empty() && !seen.insert(key) {
                c.push(
                    &rp,
                    Code::DuplicateRelationship,
                    "repeats an earlier relationship",
                );
            }
        }
    }

    scene::check(c, &rules.scene, &p.setting, &p.caption);
    if c.submit && rules.caption_must_mention_objects {
        let words = tokens(&p.caption);
        let mut reported = BTreeSet::new();
        for (i, o) in p.objects.iter().enumerate() {
            let name_tokens = tokens(&o.name);
            if name_tokens.is_empty() || !reported.insert(name_tokens.clone()) {
                continue;
            }
            if !mentions_tokens(&words, &name_tokens) {
                c.push(
                    "caption",
                    Code::ObjectNotMentioned,
                    format!(
                        "the caption does not mention \"{}\" (objects[{i}])",
                        o.name.trim()
                    ),
                );
            }
        }
    }
}
