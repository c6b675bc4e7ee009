//! Label Studio tasks both ways: export of every kind, the inverse import, and a matching
//! labeling configuration. This module owns the task shape and the dispatch; each kind's
//! results live with the kind (`crate::kinds::<kind>::label_studio`, implementing
//! [`Convert`]), and [`results`] reads result arrays.
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
//! | `classification` | `choices` `classes` (the class names); with an unsure mark, `choices` `unsure` = `["unsure"]` and `textarea` `unsure_reason`. On import, the `choices` of any one control (a Label Studio project's own) are read as classes |

mod results;

use std::fmt;

use serde_json::{Map, Value, json};

use crate::export::ExportError;
use crate::item::MediaInfo;
use crate::kinds::{Payload, TaskKind, with_kind, with_spec};
use crate::template::Template;
pub(crate) use results::Res;

/// Frame rate used for video when neither the media info nor the item gives one (Label
/// Studio's own default).
pub const DEFAULT_FRAME_RATE: f64 = 24.0;

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

/// An import error at `path`.
pub(crate) fn err<T>(path: &str, message: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError {
        path: path.to_owned(),
        message: message.into(),
    })
}

/// One result object.
pub(crate) fn region(id: &str, from_name: &str, to_name: &str, kind: &str, value: Value) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("from_name".into(), json!(from_name));
    m.insert("to_name".into(), json!(to_name));
    m.insert("type".into(), json!(kind));
    m.insert("value".into(), value);
    Value::Object(m)
}

/// A `textarea` result holding `text`.
pub(crate) fn textarea(id: &str, from_name: &str, to_name: &str, text: &str) -> Value {
    region(id, from_name, to_name, "textarea", json!({ "text": [text] }))
}

/// One task as a kind's conversion sees it: the template, the item (on import, the task's
/// `data`) and what the caller knows of its media.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Task<'a> {
    /// The project's template.
    pub(crate) t: &'a Template,
    /// The item; on import, the task's `data`.
    pub(crate) item: &'a Value,
    /// Media facts the caller knows.
    pub(crate) media: &'a MediaInfo,
}

impl Task<'_> {
    /// The item's media facts (the caller's, else the item's own fields), or the item's
    /// problems reading them.
    pub(crate) fn media_info(&self) -> Result<MediaInfo, ExportError> {
        let (info, errs) = self.t.media_info(self.item, self.media);
        if errs.is_empty() {
            Ok(info)
        } else {
            Err(ExportError::Item(errs))
        }
    }
}

/// How one kind's payload maps to Label Studio results and back.
pub(crate) trait Convert: TaskKind {
    /// Adds the keys the kind's labeling configuration reads to a task's `data`.
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError>;

    /// The `result` array of one annotation.
    fn result(task: Task<'_>, p: &Self::Payload) -> Result<Vec<Value>, ExportError>;

    /// Reads an annotation's results back into a payload (`task.item` is the task's data).
    fn import(task: Task<'_>, rs: &[Res<'_>]) -> Result<Self::Payload, ImportError>;

    /// Appends the kind's controls to the labeling configuration.
    fn config(fields: &Self::Fields, rules: &Self::Rules, x: &mut String);
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
    with_kind!(template.kind(), |K| K::task_data(template, item, &mut data))?;
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
    let wrong_kind = || ExportError::WrongKind {
        format: "label-studio",
        found: payload.kind(),
    };
    if payload.kind() != template.kind() {
        return Err(wrong_kind());
    }
    with_kind!(template.kind(), |K| match K::unwrap(payload) {
        Some(p) => K::result(
            Task {
                t: template,
                item,
                media,
            },
            p
        ),
        None => Err(wrong_kind()),
    })
}

// ------------------------------------------------------------------------------------ import

/// Reads an annotation `result` array back into a payload. `data` is the task's `data`
/// (used for the video frame rate when `media` has none, like the export).
pub fn from_label_studio(
    template: &Template,
    data: &Value,
    result: &Value,
    media: &MediaInfo,
) -> Result<Payload, ImportError> {
    let rs = results::results(result)?;
    let task = Task {
        t: template,
        item: data,
        media,
    };
    with_kind!(template.kind(), |K| K::import(task, &rs).map(K::wrap))
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

// ------------------------------------------------------------------------------------ config

/// `s` escaped for an XML attribute value.
pub(crate) fn attr(s: &str) -> String {
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
    with_spec!(&template.spec, |K, fields, rules| K::config(
        fields, rules, &mut x
    ));
    x.push_str("</View>\n");
    x
}
