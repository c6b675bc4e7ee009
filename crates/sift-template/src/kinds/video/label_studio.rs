//! The `video-caption` kind in Label Studio: per event a `timelinelabels` region with a frame
//! range and a per-region `textarea` for its description, and `textarea`s `setting` and
//! `caption`. Frames: `frame = round(seconds × fps)`, `seconds = frame / fps` (clamped to a
//! known duration).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{VideoCaptionKind, VideoEvent, VideoFields, VideoPayload, VideoRules};
use crate::export::ExportError;
use crate::interop::label_studio::{
    Convert, DEFAULT_FRAME_RATE, ImportError, Res, Task, err, region, textarea,
};
use crate::template::Template;

impl Convert for VideoCaptionKind {
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError> {
        data.insert("video".into(), json!(t.media_ref(item)?));
        Ok(())
    }

    fn result(task: Task<'_>, p: &VideoPayload) -> Result<Vec<Value>, ExportError> {
        let info = task.media_info()?;
        Ok(result(p, info.frame_rate.unwrap_or(DEFAULT_FRAME_RATE)))
    }

    fn import(task: Task<'_>, rs: &[Res<'_>]) -> Result<VideoPayload, ImportError> {
        let (info, _) = task.t.media_info(task.item, task.media);
        let fps = info.frame_rate.unwrap_or(DEFAULT_FRAME_RATE);
        import(rs, fps, info.duration)
    }

    fn config(_fields: &VideoFields, _rules: &VideoRules, x: &mut String) {
        x.push_str(&format!(
            "  <Video name=\"video\" value=\"$video\" frameRate=\"{DEFAULT_FRAME_RATE}\"/>\n"
        ));
        x.push_str("  <TimelineLabels name=\"events\" toName=\"video\">\n    <Label value=\"event\"/>\n  </TimelineLabels>\n");
        x.push_str("  <TextArea name=\"event_description\" toName=\"video\" perRegion=\"true\" placeholder=\"Event description\"/>\n");
        x.push_str("  <TextArea name=\"setting\" toName=\"video\" placeholder=\"Setting\"/>\n");
        x.push_str("  <TextArea name=\"caption\" toName=\"video\" placeholder=\"Caption\"/>\n");
    }
}

fn to_frame(seconds: f64, fps: f64) -> i64 {
    let f = (seconds * fps).round();
    if f.is_finite() && f.abs() < 9.0e15 {
        f as i64
    } else {
        0
    }
}

fn result(p: &VideoPayload, fps: f64) -> Vec<Value> {
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

/// Frame numbers back to seconds; times rounded past a known duration are clamped to it.
fn import(rs: &[Res<'_>], fps: f64, duration: Option<f64>) -> Result<VideoPayload, ImportError> {
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
