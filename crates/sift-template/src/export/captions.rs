//! Caption records (JSONL) for image and video annotations, and the COCO captions document.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::ExportError;
use crate::payload::{ImagePayload, Payload, VideoPayload};
use crate::template::Template;
use crate::validate::MediaInfo;

/// One caption record for an image or video annotation.
///
/// Image: `{"media", "media_type": "image", "width"?, "height"?, "caption", "setting",
/// "objects": [{"id", "name", "description", "x", "y"}], "relationships": [{"subject",
/// "relation", "object", "subject_name", "object_name"}]}`.
///
/// Video: `{"media", "media_type": "video", "duration"?, "caption", "setting",
/// "events": [{"start", "end", "description"}]}` with events sorted by start then end.
///
/// Texts are trimmed. `width`, `height` and `duration` appear when known (from `media` or the
/// item fields named in the template).
pub fn captions(
    template: &Template,
    item: &Value,
    payload: &Payload,
    media: &MediaInfo,
) -> Result<Vec<Value>, ExportError> {
    let media_ref = match payload {
        Payload::ImageCaption(_) | Payload::VideoCaption(_) if payload.kind() == template.kind() => {
            template.media_ref(item)?
        }
        _ => {
            return Err(ExportError::WrongKind {
                format: "captions",
                found: payload.kind(),
            });
        }
    };
    let (info, errs) = template.media_info(item, media);
    if !errs.is_empty() {
        return Err(ExportError::Item(errs));
    }
    let record = match payload {
        Payload::ImageCaption(p) => image_record(media_ref, &info, p),
        Payload::VideoCaption(p) => video_record(media_ref, &info, p),
        _ => {
            return Err(ExportError::WrongKind {
                format: "captions",
                found: payload.kind(),
            });
        }
    };
    Ok(vec![record])
}

fn image_record(media_ref: &str, info: &MediaInfo, p: &ImagePayload) -> Value {
    let names: BTreeMap<&str, &str> = p.objects.iter().map(|o| (o.id.as_str(), o.name.trim())).collect();
    let objects: Vec<Value> = p
        .objects
        .iter()
        .map(|o| json!({"id": o.id, "name": o.name.trim(), "description": o.description.trim(), "x": o.x, "y": o.y}))
        .collect();
    let relationships: Vec<Value> = p
        .relationships
        .iter()
        .map(|r| {
            json!({
                "subject": r.subject,
                "relation": r.relation.trim(),
                "object": r.object,
                "subject_name": names.get(r.subject.as_str()).copied().unwrap_or(""),
                "object_name": names.get(r.object.as_str()).copied().unwrap_or(""),
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert("media".into(), json!(media_ref));
    m.insert("media_type".into(), json!("image"));
    if let (Some(w), Some(h)) = (info.width, info.height) {
        m.insert("width".into(), json!(w as u64));
        m.insert("height".into(), json!(h as u64));
    }
    m.insert("caption".into(), json!(p.caption.trim()));
    m.insert("setting".into(), json!(p.setting.trim()));
    m.insert("objects".into(), Value::Array(objects));
    m.insert("relationships".into(), Value::Array(relationships));
    Value::Object(m)
}

fn video_record(media_ref: &str, info: &MediaInfo, p: &VideoPayload) -> Value {
    let mut events: Vec<&crate::payload::VideoEvent> = p.events.iter().collect();
    events.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| json!({"start": e.start, "end": e.end, "description": e.description.trim()}))
        .collect();
    let mut m = Map::new();
    m.insert("media".into(), json!(media_ref));
    m.insert("media_type".into(), json!("video"));
    if let Some(d) = info.duration {
        m.insert("duration".into(), json!(d));
    }
    m.insert("caption".into(), json!(p.caption.trim()));
    m.insert("setting".into(), json!(p.setting.trim()));
    m.insert("events".into(), Value::Array(events));
    Value::Object(m)
}

/// Builds a COCO captions document: `{"info", "licenses": [], "images": [{"id", "file_name",
/// "width", "height"}], "annotations": [{"id", "image_id", "caption"}]}`.
///
/// Images get ids 1, 2, … in the order their media reference is first seen; an image annotated
/// several times (several annotators) appears once with several annotations. `file_name` is
/// the media reference as written in the manifest (for example an `s3://` URI). Width and
/// height are required by COCO: they come from `media` or the item fields named in
/// `fields.width`/`fields.height`; when unknown the record is refused.
#[derive(Debug, Clone, Default)]
pub struct CocoCaptions {
    images: Vec<Value>,
    annotations: Vec<Value>,
    ids: BTreeMap<String, u64>,
}

impl CocoCaptions {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one image annotation; returns the image id used.
    pub fn add(
        &mut self,
        template: &Template,
        item: &Value,
        payload: &Payload,
        media: &MediaInfo,
    ) -> Result<u64, ExportError> {
        let Payload::ImageCaption(p) = payload else {
            return Err(ExportError::WrongKind {
                format: "coco-captions",
                found: payload.kind(),
            });
        };
        if template.kind() != payload.kind() {
            return Err(ExportError::WrongKind {
                format: "coco-captions",
                found: template.kind(),
            });
        }
        let media_ref = template.media_ref(item)?;
        let (info, errs) = template.media_info(item, media);
        if !errs.is_empty() {
            return Err(ExportError::Item(errs));
        }
        let (Some(w), Some(h)) = (info.width, info.height) else {
            return Err(ExportError::MissingMediaInfo(format!(
                "COCO needs the size of `{media_ref}`: provide it as media info, or add width/height to the \
                 manifest and name them in `fields.width`/`fields.height`"
            )));
        };
        let next_image = self.images.len() as u64 + 1;
        let image_id = *self.ids.entry(media_ref.to_owned()).or_insert_with(|| {
            self.images.push(
                json!({"id": next_image, "file_name": media_ref, "width": w as u64, "height": h as u64}),
            );
            next_image
        });
        let ann_id = self.annotations.len() as u64 + 1;
        self.annotations
            .push(json!({"id": ann_id, "image_id": image_id, "caption": p.caption.trim()}));
        Ok(image_id)
    }

    /// Number of annotations added so far.
    pub fn len(&self) -> usize {
        self.annotations.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.annotations.is_empty()
    }

    /// The finished document.
    pub fn finish(self) -> Value {
        json!({
            "info": {"description": "Captions exported by Sift", "version": "1.0"},
            "licenses": [],
            "images": self.images,
            "annotations": self.annotations,
        })
    }
}
