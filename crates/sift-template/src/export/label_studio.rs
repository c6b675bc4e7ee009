//! Label Studio tasks: export of every kind, the inverse import, and a matching labeling
//! configuration.
//!
//! Sift encodes structure that Label Studio has no native notion of (which pair a span
//! belongs to, which response a classification is about) in result `id`s. Exporting a payload
//! and importing the result gives back the same payload, with two documented precisions:
//! image points are restored to 1/10000 pixel, and video times are stored as frame numbers
//! (`frame = round(seconds × fps)`, `seconds = frame / fps`, clamped to a known duration), so
//! they survive exactly when they fall on the frame grid.
//!
//! | Kind | Results |
//! | --- | --- |
//! | `qa` | per pair *n*: `textarea` `question`/`answer` (ids `pair{n}-question`, `pair{n}-answer`), `choices` `question_type` (`pair{n}-type`), `choices` `entire_passage` (`pair{n}-entire`), `labels` `evidence` spans (`pair{n}-span{m}`, label `pair {n}`, offsets in code points) |
//! | `ranking` | per dimension a `ranker` named after it: `{"ranker": {"<dim>": [ids best first]}}` for a strict order, else buckets `{"ranker": {"1": [ids], "2": [ids]}}` keyed by rank; per answered classification a `choices` result with id `cls:{question}:{response id}`; `textarea` `rationale` |
//! | `image-caption` | per object a `keypointlabels` `objects` region (id `obj:{object id}`, x/y in percent, `original_width`/`original_height`) plus per-region `textarea`s `object_name`, `object_description`; `relation` results between regions (label = relation); `textarea` `setting`, `caption` |
//! | `video-caption` | per event a `timelinelabels` `events` region (id `event{k}`, frame ranges) plus a per-region `textarea` `event_description`; `textarea` `setting`, `caption` |

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

use super::ExportError;
use crate::payload::{
    ImageObject, ImagePayload, Payload, QaPair, QaPayload, RankingPayload, Relationship, Span, VideoEvent,
    VideoPayload,
};
use crate::template::{Spec, Template};
use crate::text::slice_chars;
use crate::validate::MediaInfo;

/// Frame rate used for video when neither the media info nor the item gives one (Label
/// Studio's own default).
pub const DEFAULT_FRAME_RATE: f64 = 24.0;

/// Imported image coordinates are rounded to 1/`COORD_SCALE` pixel.
const COORD_SCALE: f64 = 10_000.0;

/// Why a Label Studio annotation could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Where in the input (`result[3].value.start`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ImportError {}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError {
        path: path.to_owned(),
        message: message.into(),
    })
}

fn region(id: &str, from_name: &str, to_name: &str, kind: &str, value: Value) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("from_name".into(), json!(from_name));
    m.insert("to_name".into(), json!(to_name));
    m.insert("type".into(), json!(kind));
    m.insert("value".into(), value);
    Value::Object(m)
}

fn textarea(id: &str, from_name: &str, to_name: &str, text: &str) -> Value {
    region(id, from_name, to_name, "textarea", json!({ "text": [text] }))
}

// ------------------------------------------------------------------------------------ export

/// The `data` of a task: the item's own keys plus canonical keys used by
/// [`label_studio_config`]: `passage` (qa), `prompt` and `responses` as
/// `[{"id", "title", "body"}]` (ranking), `image` or `video` (media reference). Canonical keys
/// replace item keys of the same name.
fn task_data(template: &Template, item: &Value) -> Result<Value, ExportError> {
    let mut data = match item {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    match &template.spec {
        Spec::Qa { .. } => {
            data.insert("passage".into(), json!(template.passage(item)?));
        }
        Spec::Ranking { .. } => {
            data.insert("prompt".into(), json!(template.prompt(item)?));
            let list: Vec<Value> = template
                .responses(item)?
                .into_iter()
                .map(|r| json!({"id": r.id, "title": format!("Response {}", r.id), "body": r.text}))
                .collect();
            data.insert("responses".into(), Value::Array(list));
        }
        Spec::ImageCaption { .. } => {
            data.insert("image".into(), json!(template.media_ref(item)?));
        }
        Spec::VideoCaption { .. } => {
            data.insert("video".into(), json!(template.media_ref(item)?));
        }
    }
    Ok(Value::Object(data))
}

/// A Label Studio task: `{"id", "data", "annotations": [{"id", "result", "was_cancelled",
/// "ground_truth"}], "predictions": []}` with one annotation per `(annotation id, payload)`.
pub fn label_studio_task(
    template: &Template,
    item: &Value,
    media: &MediaInfo,
    task_id: u64,
    annotations: &[(u64, &Payload)],
) -> Result<Value, ExportError> {
    let data = task_data(template, item)?;
    let mut anns = Vec::with_capacity(annotations.len());
    for (id, payload) in annotations {
        let result = label_studio_result(template, item, payload, media)?;
        anns.push(json!({"id": id, "result": result, "was_cancelled": false, "ground_truth": false}));
    }
    Ok(json!({"id": task_id, "data": data, "annotations": anns, "predictions": []}))
}

/// The `result` array of one annotation (see the module documentation for the mapping).
pub fn label_studio_result(
    template: &Template,
    item: &Value,
    payload: &Payload,
    media: &MediaInfo,
) -> Result<Vec<Value>, ExportError> {
    if payload.kind() != template.kind() {
        return Err(ExportError::WrongKind {
            format: "label-studio",
            found: payload.kind(),
        });
    }
    match payload {
        Payload::Qa(p) => Ok(qa_result(template.passage(item)?, p)),
        Payload::Ranking(p) => Ok(ranking_result(p)),
        Payload::ImageCaption(p) => {
            let (info, errs) = template.media_info(item, media);
            if !errs.is_empty() {
                return Err(ExportError::Item(errs));
            }
            let (Some(w), Some(h)) = (info.width, info.height) else {
                return Err(ExportError::MissingMediaInfo(
                    "Label Studio stores points in percent of the image size, which is unknown: provide it as \
                     media info, or name manifest fields in `fields.width`/`fields.height`"
                        .into(),
                ));
            };
            Ok(image_result(p, w, h))
        }
        Payload::VideoCaption(p) => {
            let (info, errs) = template.media_info(item, media);
            if !errs.is_empty() {
                return Err(ExportError::Item(errs));
            }
            Ok(video_result(p, info.frame_rate.unwrap_or(DEFAULT_FRAME_RATE)))
        }
    }
}

fn qa_result(passage: &str, p: &QaPayload) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, pair) in p.pairs.iter().enumerate() {
        let n = i + 1;
        out.push(textarea(
            &format!("pair{n}-question"),
            "question",
            "passage",
            &pair.question,
        ));
        out.push(textarea(
            &format!("pair{n}-answer"),
            "answer",
            "passage",
            &pair.answer,
        ));
        if !pair.question_type.is_empty() {
            let v = json!({"choices": [pair.question_type]});
            out.push(region(
                &format!("pair{n}-type"),
                "question_type",
                "passage",
                "choices",
                v,
            ));
        }
        if pair.entire_passage {
            let v = json!({"choices": ["entire passage"]});
            out.push(region(
                &format!("pair{n}-entire"),
                "entire_passage",
                "passage",
                "choices",
                v,
            ));
        }
        for (j, s) in pair.spans.iter().enumerate() {
            let text = slice_chars(passage, s.start, s.end).unwrap_or("");
            let v = json!({"start": s.start, "end": s.end, "text": text, "labels": [format!("pair {n}")]});
            out.push(region(
                &format!("pair{n}-span{}", j + 1),
                "evidence",
                "passage",
                "labels",
                v,
            ));
        }
    }
    out
}

fn ranking_result(p: &RankingPayload) -> Vec<Value> {
    let mut out = Vec::new();
    for (dim, ranks) in &p.rankings {
        let mut order: Vec<(u32, &str)> = ranks.iter().map(|(id, r)| (*r, id.as_str())).collect();
        order.sort_unstable();
        let strict = order.iter().zip(1u32..).all(|((r, _), expected)| *r == expected);
        let value = if strict {
            let ids: Vec<&str> = order.iter().map(|(_, id)| *id).collect();
            json!({ "ranker": { dim.as_str(): ids } })
        } else {
            let mut buckets: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for (r, id) in &order {
                buckets.entry(r.to_string()).or_default().push(id);
            }
            json!({ "ranker": buckets })
        };
        out.push(region(&format!("rank-{dim}"), dim, "responses", "ranker", value));
    }
    for (rid, answers) in &p.classifications {
        for (name, option) in answers {
            let v = json!({"choices": [option]});
            out.push(region(
                &format!("cls:{name}:{rid}"),
                name,
                "responses",
                "choices",
                v,
            ));
        }
    }
    if !p.rationale.is_empty() {
        out.push(textarea("rationale", "rationale", "prompt", &p.rationale));
    }
    out
}

fn image_result(p: &ImagePayload, w: f64, h: f64) -> Vec<Value> {
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

fn to_frame(seconds: f64, fps: f64) -> i64 {
    let f = (seconds * fps).round();
    if f.is_finite() && f.abs() < 9.0e15 {
        f as i64
    } else {
        0
    }
}

fn video_result(p: &VideoPayload, fps: f64) -> Vec<Value> {
    let mut out = Vec::new();
    for (k, e) in p.events.iter().enumerate() {
        let id = format!("event{}", k + 1);
        let ranges = json!([{"start": to_frame(e.start, fps), "end": to_frame(e.end, fps)}]);
        out.push(region(
            &id,
            "events",
            "video",
            "timelinelabels",
            json!({"ranges": ranges, "timelinelabels": ["event"]}),
        ));
        if !e.description.is_empty() {
            out.push(region(
                &id,
                "event_description",
                "video",
                "textarea",
                json!({"text": [e.description]}),
            ));
        }
    }
    if !p.setting.is_empty() {
        out.push(textarea("setting", "setting", "video", &p.setting));
    }
    if !p.caption.is_empty() {
        out.push(textarea("caption", "caption", "video", &p.caption));
    }
    out
}

// ------------------------------------------------------------------------------------ import

/// One result object, with accessors that report precise errors.
struct Res<'a> {
    path: String,
    obj: &'a Map<String, Value>,
}

impl<'a> Res<'a> {
    fn str(&self, key: &str) -> Result<&'a str, ImportError> {
        match self.obj.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => err(&format!("{}.{key}", self.path), "expected a string"),
            None => err(&self.path, format!("missing `{key}`")),
        }
    }

    fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.obj.get(key).and_then(Value::as_str)
    }

    fn value(&self) -> Result<&'a Map<String, Value>, ImportError> {
        match self.obj.get("value") {
            Some(Value::Object(m)) => Ok(m),
            _ => err(&self.path, "missing `value` object"),
        }
    }

    fn value_path(&self, key: &str) -> String {
        format!("{}.value.{key}", self.path)
    }

    /// `value.<key>` as a list of strings (textarea `text`, `choices`, labels).
    fn strings(&self, key: &str) -> Result<Vec<&'a str>, ImportError> {
        let p = self.value_path(key);
        match self.value()?.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map_or_else(|| err(&p, "expected strings"), Ok))
                .collect(),
            Some(_) => err(&p, "expected an array of strings"),
            None => err(&self.path, format!("missing `value.{key}`")),
        }
    }

    /// `value.<key>` as one string: the texts of a textarea joined by newlines.
    fn text(&self, key: &str) -> Result<String, ImportError> {
        Ok(self.strings(key)?.join("\n"))
    }

    /// The single chosen option of a `choices` result.
    fn choice(&self) -> Result<&'a str, ImportError> {
        match self.strings("choices")?.as_slice() {
            [one] => Ok(one),
            other => err(
                &self.value_path("choices"),
                format!("expected exactly one choice, found {}", other.len()),
            ),
        }
    }

    fn number(&self, map: &Map<String, Value>, key: &str, path: &str) -> Result<f64, ImportError> {
        match map.get(key).and_then(Value::as_f64) {
            Some(n) if n.is_finite() => Ok(n),
            _ => err(&format!("{path}.{key}"), "expected a number"),
        }
    }

    fn offset(&self, key: &str) -> Result<usize, ImportError> {
        match self.value()?.get(key).and_then(Value::as_u64) {
            Some(n) => usize::try_from(n).map_or_else(|_| err(&self.value_path(key), "offset too large"), Ok),
            None => err(&self.value_path(key), "expected a non-negative integer offset"),
        }
    }
}

fn results(result: &Value) -> Result<Vec<Res<'_>>, ImportError> {
    let Some(arr) = result.as_array() else {
        return err("result", "expected an array of results");
    };
    arr.iter()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("result[{i}]");
            match r {
                Value::Object(obj) => Ok(Res { path, obj }),
                _ => err(&path, "expected an object"),
            }
        })
        .collect()
}

/// Reads an annotation `result` array back into a payload. `data` is the task's `data`
/// (used for the video frame rate when `media` has none, like the export).
pub fn from_label_studio(
    template: &Template,
    data: &Value,
    result: &Value,
    media: &MediaInfo,
) -> Result<Payload, ImportError> {
    let rs = results(result)?;
    match &template.spec {
        Spec::Qa { .. } => import_qa(&rs).map(Payload::Qa),
        Spec::Ranking { .. } => import_ranking(&rs).map(Payload::Ranking),
        Spec::ImageCaption { .. } => import_image(&rs).map(Payload::ImageCaption),
        Spec::VideoCaption { .. } => {
            let (info, _) = template.media_info(data, media);
            let fps = info.frame_rate.unwrap_or(DEFAULT_FRAME_RATE);
            import_video(&rs, fps, info.duration).map(Payload::VideoCaption)
        }
    }
}

/// Every non-cancelled annotation of a task, imported with [`from_label_studio`].
pub fn from_label_studio_task(
    template: &Template,
    task: &Value,
    media: &MediaInfo,
) -> Result<Vec<Payload>, ImportError> {
    let data = task.get("data").unwrap_or(&Value::Null);
    let Some(anns) = task.get("annotations").and_then(Value::as_array) else {
        return err("annotations", "expected an array of annotations");
    };
    let mut out = Vec::new();
    for (i, a) in anns.iter().enumerate() {
        if a.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let result = a.get("result").unwrap_or(&Value::Null);
        let payload = from_label_studio(template, data, result, media).map_err(|mut e| {
            e.path = format!("annotations[{i}].{}", e.path);
            e
        })?;
        out.push(payload);
    }
    Ok(out)
}

/// The pair number of a result: from an id `pair{n}-…`, else from a label `pair {n}`.
fn pair_number(r: &Res<'_>) -> Option<usize> {
    let from_id = r
        .opt_str("id")
        .and_then(|id| id.strip_prefix("pair"))
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(n, _)| n.parse().ok());
    from_id.or_else(|| {
        let labels = r.strings("labels").ok()?;
        labels
            .iter()
            .find_map(|l| l.strip_prefix("pair ").and_then(|n| n.trim().parse().ok()))
    })
}

fn import_qa(rs: &[Res<'_>]) -> Result<QaPayload, ImportError> {
    let mut pairs: BTreeMap<usize, QaPair> = BTreeMap::new();
    for r in rs {
        let from = r.str("from_name")?;
        let Some(n) = pair_number(r) else {
            return err(
                &r.path,
                "cannot tell which pair this result belongs to (expected id `pair<N>-…` or label `pair <N>`)",
            );
        };
        let pair = pairs.entry(n).or_default();
        match from {
            "question" => pair.question = r.text("text")?,
            "answer" => pair.answer = r.text("text")?,
            "question_type" => pair.question_type = r.choice()?.to_owned(),
            "entire_passage" => pair.entire_passage = true,
            "evidence" => pair.spans.push(Span {
                start: r.offset("start")?,
                end: r.offset("end")?,
            }),
            other => return err(&r.path, format!("unknown control `{other}` for a qa template")),
        }
    }
    Ok(QaPayload {
        pairs: pairs.into_values().collect(),
    })
}

fn import_ranking(rs: &[Res<'_>]) -> Result<RankingPayload, ImportError> {
    let mut p = RankingPayload::default();
    for r in rs {
        let from = r.str("from_name")?;
        match r.str("type")? {
            "ranker" => {
                let ranks = import_ranker(r, from)?;
                p.rankings.insert(from.to_owned(), ranks);
            }
            "choices" => {
                let id = r.str("id")?;
                let Some((name, rid)) = id.strip_prefix("cls:").and_then(|rest| rest.split_once(':')) else {
                    return err(
                        &format!("{}.id", r.path),
                        "expected `cls:<question>:<response id>`",
                    );
                };
                if name != from {
                    return err(
                        &format!("{}.id", r.path),
                        format!("names question `{name}` but from_name is `{from}`"),
                    );
                }
                p.classifications
                    .entry(rid.to_owned())
                    .or_default()
                    .insert(name.to_owned(), r.choice()?.to_owned());
            }
            "textarea" if from == "rationale" => p.rationale = r.text("text")?,
            other => {
                return err(
                    &r.path,
                    format!("unexpected `{other}` result `{from}` for a ranking template"),
                );
            }
        }
    }
    Ok(p)
}

/// Reads a ranker value: a list of ids (best first), `{"<name>": [ids]}`, or rank buckets
/// `{"1": [ids], "2": [ids]}`.
fn import_ranker(r: &Res<'_>, from: &str) -> Result<BTreeMap<String, u32>, ImportError> {
    let p = r.value_path("ranker");
    let positions = |ids: &Vec<Value>| -> Result<BTreeMap<String, u32>, ImportError> {
        let mut out = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            let Some(id) = id.as_str() else {
                return err(&p, "expected response ids (strings)");
            };
            let rank = u32::try_from(i + 1).map_or_else(|_| err(&p, "too many responses"), Ok)?;
            out.insert(id.to_owned(), rank);
        }
        Ok(out)
    };
    match r.value()?.get("ranker") {
        Some(Value::Array(ids)) => positions(ids),
        Some(Value::Object(m)) => {
            if m.len() == 1
                && let Some(Value::Array(ids)) = m.get(from)
            {
                return positions(ids);
            }
            let mut out = BTreeMap::new();
            for (bucket, ids) in m {
                let Ok(rank) = bucket.parse::<u32>() else {
                    return err(
                        &p,
                        format!(
                            "unexpected bucket `{bucket}`; Sift buckets are named by rank (\"1\", \"2\", …)"
                        ),
                    );
                };
                let Some(ids) = ids.as_array() else {
                    return err(&p, "expected arrays of response ids");
                };
                for id in ids {
                    let Some(id) = id.as_str() else {
                        return err(&p, "expected response ids (strings)");
                    };
                    out.insert(id.to_owned(), rank);
                }
            }
            Ok(out)
        }
        _ => err(&p, "expected a list of ids or an object of buckets"),
    }
}

fn round_coord(x: f64) -> f64 {
    (x * COORD_SCALE).round() / COORD_SCALE
}

fn object_id(region_id: &str) -> &str {
    region_id.strip_prefix("obj:").unwrap_or(region_id)
}

fn import_image(rs: &[Res<'_>]) -> Result<ImagePayload, ImportError> {
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

/// Frame numbers back to seconds; times rounded past a known duration are clamped to it.
fn import_video(rs: &[Res<'_>], fps: f64, duration: Option<f64>) -> Result<VideoPayload, ImportError> {
    let seconds = |frame: f64| {
        let t = frame / fps;
        match duration {
            Some(d) if t > d => d,
            _ => t,
        }
    };
    let mut p = VideoPayload::default();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in rs.iter().filter(|r| r.opt_str("type") == Some("timelinelabels")) {
        let id = r.str("id")?.to_owned();
        let rp = r.value_path("ranges");
        let range = match r.value()?.get("ranges") {
            Some(Value::Array(a)) if a.len() == 1 => a.first(),
            _ => None,
        };
        let Some(Value::Object(range)) = range else {
            return err(&rp, "expected exactly one {\"start\", \"end\"} range");
        };
        let start = r.number(range, "start", &rp)?;
        let end = r.number(range, "end", &rp)?;
        index.insert(id, p.events.len());
        p.events.push(VideoEvent {
            start: seconds(start),
            end: seconds(end),
            description: String::new(),
        });
    }
    for r in rs {
        match (r.opt_str("type"), r.str("from_name")?) {
            (Some("timelinelabels"), _) => {}
            (Some("textarea"), "setting") => p.setting = r.text("text")?,
            (Some("textarea"), "caption") => p.caption = r.text("text")?,
            (Some("textarea"), "event_description") => {
                let id = r.str("id")?;
                let Some(e) = index.get(id).and_then(|i| p.events.get_mut(*i)) else {
                    return err(
                        &r.path,
                        format!("`event_description` refers to region `{id}`, which is not an event"),
                    );
                };
                e.description = r.text("text")?;
            }
            (t, from) => {
                return err(
                    &r.path,
                    format!(
                        "unexpected `{}` result `{from}` for a video-caption template",
                        t.unwrap_or("?")
                    ),
                );
            }
        }
    }
    Ok(p)
}

// ------------------------------------------------------------------------------------ config

fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

/// A Label Studio labeling configuration (XML) matching [`label_studio_task`]'s data and
/// results, so exported tasks can be imported into a Label Studio project and reviewed.
pub fn label_studio_config(template: &Template) -> String {
    let mut x = String::from("<View>\n");
    x.push_str(&format!("  <Header value=\"{}\"/>\n", attr(template.title())));
    match &template.spec {
        Spec::Qa { rules, .. } => {
            x.push_str("  <Text name=\"passage\" value=\"$passage\"/>\n");
            x.push_str("  <Labels name=\"evidence\" toName=\"passage\">\n");
            for n in 1..=rules.max_pairs {
                x.push_str(&format!("    <Label value=\"pair {n}\"/>\n"));
            }
            x.push_str("  </Labels>\n");
            x.push_str("  <TextArea name=\"question\" toName=\"passage\" placeholder=\"Question\" editable=\"true\"/>\n");
            x.push_str(
                "  <TextArea name=\"answer\" toName=\"passage\" placeholder=\"Answer\" editable=\"true\"/>\n",
            );
            if !rules.question_types.is_empty() {
                x.push_str("  <Choices name=\"question_type\" toName=\"passage\">\n");
                for t in &rules.question_types {
                    x.push_str(&format!("    <Choice value=\"{}\"/>\n", attr(t)));
                }
                x.push_str("  </Choices>\n");
            }
            if rules.allow_entire_passage {
                x.push_str("  <Choices name=\"entire_passage\" toName=\"passage\">\n    <Choice value=\"entire passage\"/>\n  </Choices>\n");
            }
        }
        Spec::Ranking { rules, .. } => {
            x.push_str("  <Text name=\"prompt\" value=\"$prompt\"/>\n");
            x.push_str("  <List name=\"responses\" value=\"$responses\" title=\"Responses\"/>\n");
            let buckets = rules.max_responses.unwrap_or(10);
            for d in &rules.dimensions {
                x.push_str(&format!(
                    "  <Header value=\"{}: {}\"/>\n",
                    attr(&d.title),
                    attr(&d.description)
                ));
                if rules.allow_ties {
                    x.push_str(&format!(
                        "  <Ranker name=\"{}\" toName=\"responses\">\n",
                        attr(&d.name)
                    ));
                    for n in 1..=buckets {
                        x.push_str(&format!("    <Bucket name=\"{n}\" title=\"Rank {n}\"/>\n"));
                    }
                    x.push_str("  </Ranker>\n");
                } else {
                    x.push_str(&format!(
                        "  <Ranker name=\"{}\" toName=\"responses\"/>\n",
                        attr(&d.name)
                    ));
                }
            }
            for c in &rules.classifications {
                x.push_str(&format!("  <Header value=\"{}\"/>\n", attr(&c.question)));
                x.push_str(&format!(
                    "  <Choices name=\"{}\" toName=\"responses\" showInline=\"true\">\n",
                    attr(&c.name)
                ));
                for o in &c.options {
                    x.push_str(&format!("    <Choice value=\"{}\"/>\n", attr(o)));
                }
                x.push_str("  </Choices>\n");
            }
            if rules.rationale != crate::template::Requirement::Off {
                x.push_str("  <TextArea name=\"rationale\" toName=\"prompt\" placeholder=\"Rationale\"/>\n");
            }
        }
        Spec::ImageCaption { .. } => {
            x.push_str("  <Image name=\"image\" value=\"$image\"/>\n");
            x.push_str("  <KeyPointLabels name=\"objects\" toName=\"image\">\n    <Label value=\"object\"/>\n  </KeyPointLabels>\n");
            x.push_str("  <TextArea name=\"object_name\" toName=\"image\" perRegion=\"true\" placeholder=\"Object name\"/>\n");
            x.push_str("  <TextArea name=\"object_description\" toName=\"image\" perRegion=\"true\" placeholder=\"Object description\"/>\n");
            x.push_str("  <Relations>\n    <Relation value=\"related to\"/>\n  </Relations>\n");
            x.push_str("  <TextArea name=\"setting\" toName=\"image\" placeholder=\"Setting\"/>\n");
            x.push_str("  <TextArea name=\"caption\" toName=\"image\" placeholder=\"Caption\"/>\n");
        }
        Spec::VideoCaption { .. } => {
            x.push_str(&format!(
                "  <Video name=\"video\" value=\"$video\" frameRate=\"{DEFAULT_FRAME_RATE}\"/>\n"
            ));
            x.push_str("  <TimelineLabels name=\"events\" toName=\"video\">\n    <Label value=\"event\"/>\n  </TimelineLabels>\n");
            x.push_str("  <TextArea name=\"event_description\" toName=\"video\" perRegion=\"true\" placeholder=\"Event description\"/>\n");
            x.push_str("  <TextArea name=\"setting\" toName=\"video\" placeholder=\"Setting\"/>\n");
            x.push_str("  <TextArea name=\"caption\" toName=\"video\" placeholder=\"Caption\"/>\n");
        }
    }
    x.push_str("</View>\n");
    x
}
