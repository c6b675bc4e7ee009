//! The `video-caption` kind: timestamped events, the setting and a caption for a video. This
//! module owns the kind's `[fields]` and `[rules]` (types and reader; the setting and caption
//! rules come from [`super::scene`]), its payload types and its shortcut actions; the checks
//! are in [`check`], the Label Studio mapping in [`label_studio`].

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

/// Seconds an event may run past the known duration.
pub const DURATION_SLACK_SECONDS: f64 = 0.001;

/// Manifest keys feeding a video-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VideoFields {
    /// Key of the video reference (default `source-ref`).
    pub video: String,
    /// Optional key holding the duration in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub duration: Option<String>,
    /// Optional key holding the frame rate (frames per second).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub frame_rate: Option<String>,
}

/// Rules of a video-caption template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VideoRules {
    /// Fewest events a submission must log.
    pub min_events: u32,
    /// Most events a submission may log.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_events: Option<u32>,
    /// Event description length limit in characters.
    pub event_description_max_chars: u32,
    /// Whether events may overlap in time.
    pub allow_overlapping_events: bool,
    /// Setting and caption rules (serialized in line with the others).
    #[serde(flatten)]
    pub scene: SceneRules,
}

/// A timestamped event in a video, times in seconds from the start. `start` and `end` are
/// required; `description` defaults to an empty string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct VideoEvent {
    /// Start time in seconds.
    pub start: f64,
    /// End time in seconds (`end >= start`; equal for an instant).
    pub end: f64,
    /// What happens.
    #[serde(default)]
    pub description: String,
}

/// Payload of a `video-caption` template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields, default)]
pub struct VideoPayload {
    /// Logged events.
    pub events: Vec<VideoEvent>,
    /// Setting, background, environment.
    pub setting: String,
    /// The final caption.
    pub caption: String,
}

/// The `video-caption` kind.
#[derive(Debug)]
pub(crate) struct VideoCaptionKind;

/// Keys allowed under `[rules]`.
const RULE_KEYS: &[&str] = &[
    "min_events",
    "max_events",
    "event_description_max_chars",
    "allow_overlapping_events",
    "require_setting",
    "setting_max_chars",
    "caption_min_words",
    "caption_max_words",
];

const ACTIONS: &[Action] = &[
    act("play_pause", "Alt+K", "Play or pause the video"),
    act("seek_back", "Alt+J", "Jump back 5 seconds"),
    act("seek_forward", "Alt+L", "Jump forward 5 seconds"),
    act("step_back_frame", "Alt+,", "Step back one frame (while paused)"),
    act(
        "step_forward_frame",
        "Alt+.",
        "Step forward one frame (while paused)",
    ),
    act(
        "mark_event_start",
        "Alt+[",
        "Start a new event at the current time",
    ),
    act(
        "mark_event_end",
        "Alt+]",
        "End the selected event at the current time",
    ),
    act("delete_event", "Alt+Backspace", "Delete the selected event"),
    act("next_event", "Alt+Down", "Select the next event"),
    act("previous_event", "Alt+Up", "Select the previous event"),
    act("focus_caption", "Alt+C", "Move the cursor to the caption field"),
];

impl TaskKind for VideoCaptionKind {
    const KIND: Kind = Kind::VideoCaption;
    const GT_TYPE: &'static str = "sift/video-caption";
    const FIELD_KEYS: &'static [&'static str] = &["video", "duration", "frame_rate"];
    const RULE_KEYS: &'static [&'static str] = RULE_KEYS;
    const PAYLOAD_KEYS: &'static [&'static str] = &["events", "setting", "caption"];
    const ACTIONS: &'static [Action] = ACTIONS;
    type Fields = VideoFields;
    type Rules = VideoRules;
    type Payload = VideoPayload;

    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec> {
        let video = f.field(r, "video", Some("source-ref"));
        let duration = f.field(r, "duration", None);
        let frame_rate = f.field(r, "frame_rate", None);
        let rules = read_rules(r, rules);
        Some(Spec::VideoCaption {
            fields: VideoFields {
                video: video?,
                duration,
                frame_rate,
            },
            rules: rules?,
        })
    }

    fn bindings(fields: &VideoFields) -> Vec<FieldBinding<'_>> {
        let mut out = vec![FieldBinding::new("video", &fields.video, true)];
        for (role, key) in [("duration", &fields.duration), ("frame_rate", &fields.frame_rate)] {
            if let Some(k) = key {
                out.push(FieldBinding::new(role, k, false));
            }
        }
        out
    }

    fn media_field(fields: &VideoFields) -> Option<&str> {
        Some(&fields.video)
    }

    fn media_facts(fields: &VideoFields) -> Vec<(MediaFact, &str)> {
        let mut out = Vec::new();
        for (fact, key) in [
            (MediaFact::Duration, &fields.duration),
            (MediaFact::FrameRate, &fields.frame_rate),
        ] {
            if let Some(k) = key {
                out.push((fact, k.as_str()));
            }
        }
        out
    }

    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> VideoPayload {
        VideoPayload {
            events: list(obj, "events", errs),
            setting: entry(obj, "setting", errs),
            caption: entry(obj, "caption", errs),
        }
    }

    fn wrap(p: VideoPayload) -> Payload {
        Payload::VideoCaption(p)
    }

    fn unwrap(p: &Payload) -> Option<&VideoPayload> {
        match p {
            Payload::VideoCaption(p) => Some(p),
            _ => None,
        }
    }

    fn check(
        c: &mut Checker,
        t: &Template,
        _fields: &VideoFields,
        rules: &VideoRules,
        item: &Value,
        media: &MediaInfo,
        p: &VideoPayload,
    ) {
        check::check(c, t, rules, item, media, p);
    }
}

fn read_rules(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<VideoRules> {
    let n0 = r.errors.len();
    let min_events = t.uint_or(r, "min_events", 0, 1);
    let max_events = t.uint(r, "max_events", 1);
    if let Some(max) = &max_events {
        check_order(r, &min_events, max);
    }
    let event_description_max_chars = t.uint_or(r, "event_description_max_chars", 1, 500).value;
    let allow_overlapping_events = t.boolean(r, "allow_overlapping_events", true);
    let scene = scene::read(r, t);
    if r.errors.len() > n0 {
        return None;
    }
    Some(VideoRules {
        min_events: min_events.value,
        max_events: max_events.map(|m| m.value),
        event_description_max_chars,
        allow_overlapping_events,
        scene,
    })
}
