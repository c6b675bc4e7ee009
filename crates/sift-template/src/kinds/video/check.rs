//! Checks of a `video-caption` payload: event times (valid, in order, inside the video),
//! event descriptions, overlaps when the template forbids them, the setting and caption.

use serde_json::Value;

use super::{DURATION_SLACK_SECONDS, VideoPayload, VideoRules};
use crate::item::MediaInfo;
use crate::kinds::scene;
use crate::path;
use crate::template::Template;
use crate::validate::{Checker, num};
use crate::violation::Code;

/// Checks `p` (see [`crate::validate()`]).
pub(super) fn check(
    c: &mut Checker,
    t: &Template,
    rules: &VideoRules,
    item: &Value,
    media: &MediaInfo,
    p: &VideoPayload,
) {
    // A missing media reference is recorded; the checks below do not need its value.
    c.item(t.media_ref(item));
    let (info, errs) = t.media_info(item, media);
    c.out.extend(errs);
    c.count(
        "events",
        p.events.len(),
        rules.min_events,
        rules.max_events,
        "event",
        "events",
    );

    let mut valid: Vec<(usize, f64, f64)> = Vec::new();
    for (i, e) in p.events.iter().enumerate() {
        let ep = path::index("events", i);
        let mut ok = true;
        for (key, x) in [("start", e.start), ("end", e.end)] {
            if !x.is_finite() || x < 0.0 {
                c.push(
                    &path::key(&ep, key),
                    Code::InvalidTime,
                    format!("{key} time {x} must be a number of seconds >= 0"),
                );
                ok = false;
            }
        }
        if ok && e.end < e.start {
            c.push(
                &ep,
                Code::EndBeforeStart,
                format!("ends at {}s, before it starts at {}s", num(e.end), num(e.start)),
            );
            ok = false;
        }
        if ok
            && let Some(d) = info.duration
            && e.end > d + DURATION_SLACK_SECONDS
        {
            let key = if e.start > d + DURATION_SLACK_SECONDS {
                "start"
            } else {
                "end"
            };
            c.push(
                &path::key(&ep, key),
                Code::BeyondDuration,
                format!(
                    "{}s..{}s runs past the end of the video ({}s)",
                    num(e.start),
                    num(e.end),
                    num(d)
                ),
            );
            ok = false;
        }
        c.text(
            &path::key(&ep, "description"),
            &e.description,
            true,
            0,
            rules.event_description_max_chars,
            "event description",
        );
        if ok {
            valid.push((i, e.start, e.end));
        }
    }
    if c.submit && !rules.allow_overlapping_events {
        valid.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        for (k, (i, s2, e2)) in valid.iter().enumerate() {
            let earlier = valid.iter().take(k).find(|(_, s1, e1)| s2 < e1 && s1 < e2);
            if let Some((j, _, _)) = earlier {
                c.push(
                    &path::index("events", *i),
                    Code::OverlappingEvents,
                    format!("overlaps events[{j}]; events may not overlap in this template"),
                );
            }
        }
    }
    scene::check(c, &rules.scene, &p.setting, &p.caption);
}
