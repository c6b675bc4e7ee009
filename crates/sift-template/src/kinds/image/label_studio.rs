//! The `image-caption` kind in Label Studio: per object a `keypointlabels` region (x/y in
//! percent of the image) with per-region `textarea`s for its name and description, `relation`
//! results between regions, and `textarea`s `setting` and `caption`. Imported coordinates are
//! rounded to 1/10000 pixel.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{ImageCaptionKind, ImageFields, ImageObject, ImagePayload, ImageRules, Relationship};
use crate::export::ExportError;
use crate::interop::label_studio::{Convert, ImportError, Res, Task, err, textarea};
use crate::template::Template;

/// Imported image coordinates are rounded to 1/`COORD_SCALE` pixel.
const COORD_SCALE: f64 = 10_000.0;

impl Convert for ImageCaptionKind {
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError> {
        data.insert("image".into(), json!(t.media_ref(item)?));
        Ok(())
    }

    fn result(task: Task<'_>, p: &ImagePayload) -> Result<Vec<Value>, ExportError> {
        let info = task.media_info()?;
        let (Some(w), Some(h)) = (info.width, info.height) else {
            return Err(ExportError::MissingMediaInfo(
                "Label Studio stores points in percent of the image size, which is unknown: provide it as \
                 media info, or name manifest fields in `fields.width`/`fields.height`"
                    .into(),
            ));
        };
        Ok(result(p, w, h))
    }

    fn import(_task: Task<'_>, rs: &[Res<'_>]) -> Result<ImagePayload, ImportError> {
        import(rs)
    }

    fn config(_fields: &ImageFields, _rules: &ImageRules, x: &mut String) {
        x.push_str("  <Image name=\"image\" value=\"$image\"/>\n");
        x.push_str("  <KeyPointLabels name=\"objects\" toName=\"image\">\n    <Label value=\"object\"/>\n  </KeyPointLabels>\n");
        x.push_str("  <TextArea name=\"object_name\" toName=\"image\" perRegion=\"true\" placeholder=\"Object name\"/>\n");
        x.push_str("  <TextArea name=\"object_description\" toName=\"image\" perRegion=\"true\" placeholder=\"Object description\"/>\n");
        x.push_str("  <Relations>\n    <Relation value=\"related to\"/>\n  </Relations>\n");
        x.push_str("  <TextArea name=\"setting\" toName=\"image\" placeholder=\"Setting\"/>\n");
        x.push_str("  <TextArea name=\"caption\" toName=\"image\" placeholder=\"Caption\"/>\n");
    }
}

fn result(p: &ImagePayload, w: f64, h: f64) -> Vec<Value> {
    let mut out = Vec::new();
    let with_geometry = |id: &str, from_name: &str, kind: &str, o: &ImageObject, extra: (&str, Value)| {
        let mut value = Map::new();
        value.insert("x".into(), json!(o.x / w * 100.0));
        value.insert("y".into(), json!(o.y / h * 100.0));
        value.insert("width".into(), json!(1.0));
        value.insert(extra.0.into(), extra.1);
        json!({
            "id": id, "from_name": from_name, "to_name": "image", "type": kind,
            "original_width": w as u64, "original_height": h as u64, "image_rotation": 0,
            "value": value,
        })
    };
    for o in &p.objects {
        let id = format!("obj:{}", o.id);
        out.push(with_geometry(
            &id,
            "objects",
            "keypointlabels",
            o,
            ("keypointlabels", json!(["object"])),
        ));
        if !o.name.is_empty() {
            out.push(with_geometry(
                &id,
                "object_name",
                "textarea",
                o,
                ("text", json!([o.name])),
            ));
        }
        if !o.description.is_empty() {
            out.push(with_geometry(
                &id,
                "object_description",
                "textarea",
                o,
                ("text", json!([o.description])),
            ));
        }
    }
    for r in &p.relationships {
        let labels: Vec<&str> = if r.relation.is_empty() {
            Vec::new()
        } else {
            vec![r.relation.as_str()]
        };
        out.push(json!({
            "type": "relation",
            "from_id": format!("obj:{}", r.subject),
            "to_id": format!("obj:{}", r.object),
            "direction": "right",
            "labels": labels,
        }));
    }
    if !p.setting.is_empty() {
        out.push(textarea("setting", "setting", "image", &p.setting));
    }
    if !p.caption.is_empty() {
        out.push(textarea("caption", "caption", "image", &p.caption));
    }
    out
}

fn round_coord(x: f64) -> f64 {
    (x * COORD_SCALE).round() / COORD_SCALE
}

fn object_id(region_id: &str) -> &str {
    region_id.strip_prefix("obj:").unwrap_or(region_id)
}

fn import(rs: &[Res<'_>]) -> Result<ImagePayload, ImportError> {
    let mut p = ImagePayload::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    // Regions first, so per-region textareas may come in any order.
    for r in rs.iter().filter(|r| r.opt_str("type") == Some("keypointlabels")) {
        let id = object_id(r.str("id")?).to_owned();
        let v = r.value()?;
        let vp = format!("{}.value", r.path);
        let (x, y) = (r.number(v, "x", &vp)?, r.number(v, "y", &vp)?);
        let w = r.number(r.obj, "original_width", &r.path)?;
        let h = r.number(r.obj, "original_height", &r.path)?;
        index.insert(id.clone(), p.objects.len());
        p.objects.push(ImageObject {
            id,
            x: round_coord(x * w / 100.0),
            y: round_coord(y * h / 100.0),
            name: String::new(),
            description: String::new(),
        });
    }
    for r in rs {
        match r.opt_str("type") {
            Some("keypointlabels") => {}
            Some("relation") => {
                let labels = match r.obj.get("labels") {
                    Some(Value::Array(a)) => {
                        a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
                    }
                    _ => String::new(),
                };
                p.relationships.push(Relationship {
                    subject: object_id(r.str("from_id")?).to_owned(),
                    relation: labels,
                    object: object_id(r.str("to_id")?).to_owned(),
                });
            }
            Some("textarea") => match r.str("from_name")? {
                "setting" => p.setting = r.text("text")?,
                "caption" => p.caption = r.text("text")?,
                field @ ("object_name" | "object_description") => {
                    let id = object_id(r.str("id")?);
                    let Some(obj) = index.get(id).and_then(|i| p.objects.get_mut(*i)) else {
                        return err(
                            &r.path,
                            format!("`{field}` refers to region `{id}`, which is not a point"),
                        );
                    };
                    let text = r.text("text")?;
                    if field == "object_name" {
                        obj.name = text;
                    } else {
                        obj.description = text;
                    }
                }
                other => {
                    return err(
                        &r.path,
                        format!("unknown text area `{other}` for an image-caption template"),
                    );
                }
            },
            other => {
                return err(
                    &r.path,
                    format!(
                        "unexpected result type `{}` for an image-caption template",
                        other.unwrap_or("?")
                    ),
                );
            }
        }
    }
    Ok(p)
}
