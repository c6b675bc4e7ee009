//! Captioning agreement: image objects matched by position and name, video events matched
//! by temporal IoU, and the spread of caption lengths.

use serde::{Deserialize, Serialize};

use crate::error::{QualityError, Result, finite};
use crate::matching::{MatchCounts, Matched, best_matching};
use crate::stats::{Spread, spread};

/// An object marked on an image with a point, as the object matching needs it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mark<'a> {
    /// Horizontal coordinate (pixels, or any unit shared with the radius).
    pub x: f64,
    /// Vertical coordinate.
    pub y: f64,
    /// The object's short name ("dog").
    pub name: &'a str,
}

/// Whether two objects must have the same name to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Names {
    /// Position only.
    Ignore,
    /// Equal after [`normalize_name`].
    Normalized,
}

/// Object matching parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ObjectMatching {
    /// Largest distance between two matched points, in the unit of the coordinates (for
    /// images of different sizes, a share of the image diagonal computed by the caller).
    pub radius: f64,
    /// The name rule.
    pub names: Names,
}

/// Two annotators' objects on one image, matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectMatch {
    /// Matched objects; `score` is the closeness `1 - distance / radius`.
    pub matched: Vec<Matched>,
    /// Object counts and matches: `counts.f1()` is the object F1.
    pub counts: MatchCounts,
    /// Mean distance between matched points; `None` without a match.
    pub mean_distance: Option<f64>,
}

/// A name as compared: lower case (Unicode), every run of characters that are not letters or
/// digits turned into one space, trimmed, and a leading article (`a`, `an`, `the`) dropped.
/// So `"The Red-Car."` and `"red car"` are equal. Plurals are not folded (`dogs` is not
/// `dog`): that needs a language-specific stemmer.
pub fn normalize_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 && matches!(words[0], "a" | "an" | "the") {
        words.remove(0);
    }
    words.join(" ")
}

/// Matches two annotators' objects one to one: two objects can match when their points are
/// at most `radius` apart (Euclidean) and, with [`Names::Normalized`], their normalised
/// names are equal. The matching is optimal ([`best_matching`], Hungarian): the most
/// matches, then the smallest total distance. Not greedy by distance, which can lose a match
/// when one point is near two others.
pub fn match_objects(a: &[Mark<'_>], b: &[Mark<'_>], rule: ObjectMatching) -> Result<ObjectMatch> {
    if !(rule.radius > 0.0 && rule.radius.is_finite()) {
        return Err(QualityError::InvalidParameter {
            what: "radius",
            rule: "a positive finite number",
            value: rule.radius,
        });
    }
    for (i, m) in a.iter().chain(b).enumerate() {
        finite("object", i, m.x)?;
        finite("object", i, m.y)?;
    }
    let names = |marks: &[Mark<'_>]| -> Vec<String> {
        match rule.names {
            Names::Ignore => Vec::new(),
            Names::Normalized => marks.iter().map(|m| normalize_name(m.name)).collect(),
        }
    };
    let (names_a, names_b) = (names(a), names(b));
    let matched = best_matching(a.len(), b.len(), |i, j| {
        if rule.names == Names::Normalized && names_a[i] != names_b[j] {
            return None;
        }
        let d = (a[i].x - b[j].x).hypot(a[i].y - b[j].y);
        (d <= rule.radius).then(|| (1.0 - d / rule.radius).clamp(0.0, 1.0))
    })?;
    let mean_distance = (!matched.is_empty()).then(|| {
        matched
            .iter()
            .map(|m| (a[m.left].x - b[m.right].x).hypot(a[m.left].y - b[m.right].y))
            .sum::<f64>()
            / matched.len() as f64
    });
    Ok(ObjectMatch {
        counts: MatchCounts {
            matched: matched.len(),
            left: a.len(),
            right: b.len(),
        },
        matched,
        mean_distance,
    })
}

/// Number of words: maximal runs of non-whitespace characters. Scripts written without
/// spaces (Chinese, Japanese, Thai) count a run as one word; use [`char_count`] for those.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Number of characters (Unicode scalar values) after trimming surrounding whitespace.
pub fn char_count(text: &str) -> usize {
    text.trim().chars().count()
}

/// Spread of the lengths, in words, of the captions several annotators wrote for the same
/// image or video (`sd` and `cv` show whether one wrote far more than the others).
pub fn caption_length_spread<S: AsRef<str>>(captions: &[S]) -> Result<Spread> {
    let lengths: Vec<f64> = captions.iter().map(|c| word_count(c.as_ref()) as f64).collect();
    spread(&lengths)
}

/// A timestamped event, in seconds from the start of the video.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Start time.
    pub start: f64,
    /// End time (`>= start`; equal for an instant).
    pub end: f64,
}

/// Temporal intersection over union of two events: the shared duration divided by the
/// duration covered by either. Two instants (zero length) have IoU 1 at the same time and 0
/// otherwise; an instant against an interval has IoU 0 (it covers no duration).
pub fn temporal_iou(a: Event, b: Event) -> f64 {
    let intersection = (a.end.min(b.end) - a.start.max(b.start)).max(0.0);
    let union = (a.end - a.start) + (b.end - b.start) - intersection;
    if union <= 0.0 {
        f64::from(u8::from(a.start == b.start))
    } else {
        (intersection / union).clamp(0.0, 1.0)
    }
}

/// Two annotators' events on one video, matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventMatch {
    /// Matched events; `score` is their temporal IoU.
    pub matched: Vec<Matched>,
    /// Event counts and matches: `counts.f1()` is the event F1.
    pub counts: MatchCounts,
    /// Mean IoU of the matched events; `None` without a match.
    pub mean_iou: Option<f64>,
}

fn check_events(events: &[Event], offset: usize) -> Result<()> {
    for (i, e) in events.iter().enumerate() {
        finite("event", offset + i, e.start)?;
        finite("event", offset + i, e.end)?;
        if e.end < e.start {
            return Err(QualityError::InvalidInput {
                what: "event",
                index: offset + i,
                problem: format!("ends at {}s before it starts at {}s", e.end, e.start),
            });
        }
    }
    Ok(())
}

/// Matches two annotators' events one to one: two events can match when their
/// [`temporal_iou`] is at least `threshold` (in `(0, 1]`; 0.5 is the usual choice in dense
/// video captioning, which also reports 0.3, 0.7 and 0.9). The matching is optimal
/// ([`best_matching`]): the most matches, then the highest total IoU. Event indices in errors
/// count through `a` then `b`.
pub fn match_events(a: &[Event], b: &[Event], threshold: f64) -> Result<EventMatch> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(QualityError::InvalidParameter {
            what: "IoU threshold",
            rule: "in (0, 1]",
            value: threshold,
        });
    }
    check_events(a, 0)?;
    check_events(b, a.len())?;
    let matched = best_matching(a.len(), b.len(), |i, j| {
        let iou = temporal_iou(a[i], b[j]);
        (iou >= threshold).then_some(iou)
    })?;
    let mean_iou =
        (!matched.is_empty()).then(|| matched.iter().map(|m| m.score).sum::<f64>() / matched.len() as f64);
    Ok(EventMatch {
        counts: MatchCounts {
            matched: matched.len(),
            left: a.len(),
            right: b.len(),
        },
        matched,
        mean_iou,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(x: f64, y: f64, name: &str) -> Mark<'_> {
        Mark { x, y, name }
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalize_name("The Red-Car."), "red car");
        assert_eq!(normalize_name("  a   DOG "), "dog");
        assert_eq!(normalize_name("the"), "the");
        assert_eq!(normalize_name("Café au lait"), "café au lait");
    }

    #[test]
    fn objects_match_by_radius_and_name() {
        let a = [
            mark(10.0, 10.0, "Dog"),
            mark(50.0, 50.0, "cat"),
            mark(90.0, 10.0, "tree"),
        ];
        let b = [
            mark(13.0, 14.0, "the dog"),
            mark(52.0, 50.0, "lamp"),
            mark(200.0, 10.0, "tree"),
        ];
        let named = ObjectMatching {
            radius: 10.0,
            names: Names::Normalized,
        };
        let m = match_objects(&a, &b, named).unwrap();
        assert_eq!(m.counts.matched, 1);
        assert_eq!(m.mean_distance, Some(5.0));
        assert!((m.matched[0].score - 0.5).abs() < 1e-12);
        let anywhere = ObjectMatching {
            radius: 10.0,
            names: Names::Ignore,
        };
        assert_eq!(
            match_objects(&a, &b, anywhere).unwrap().counts.f1().unwrap(),
            2.0 / 3.0
        );
        let zero = ObjectMatching {
            radius: 0.0,
            ..anywhere
        };
        assert!(match_objects(&a, &b, zero).is_err());
        assert!(match_objects(&[mark(f64::NAN, 0.0, "x")], &b, anywhere).is_err());
    }

    #[test]
    fn iou_and_events() {
        let e = |start, end| Event { start, end };
        assert_eq!(temporal_iou(e(0.0, 10.0), e(5.0, 15.0)), 5.0 / 15.0);
        assert_eq!(temporal_iou(e(0.0, 10.0), e(10.0, 15.0)), 0.0);
        assert_eq!(temporal_iou(e(3.0, 3.0), e(3.0, 3.0)), 1.0);
        assert_eq!(temporal_iou(e(3.0, 3.0), e(0.0, 6.0)), 0.0);
        let a = [e(0.0, 10.0), e(20.0, 30.0)];
        let b = [e(1.0, 10.0), e(40.0, 50.0), e(21.0, 29.0)];
        let m = match_events(&a, &b, 0.5).unwrap();
        assert_eq!(m.counts.f1().unwrap(), 0.8);
        assert!((m.mean_iou.unwrap() - (0.9 + 0.8) / 2.0).abs() < 1e-12);
        assert!(match_events(&a, &b, 0.0).is_err());
        let err = match_events(&a, &[e(5.0, 1.0)], 0.5).unwrap_err();
        assert!(
            matches!(err, QualityError::InvalidInput { index: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn caption_lengths() {
        let s = caption_length_spread(&["a dog runs", "a brown dog runs on the beach", "dog"]).unwrap();
        assert_eq!((s.min, s.max, s.n), (1.0, 7.0, 3));
        assert_eq!(char_count("  héllo "), 5);
    }
}
