//! `[quotas]`: targets for the dataset as a whole, not for one submission (issue 18, point 5).
//! Per kind: classification `classes` (the share of each class) and `max_class_ratio` (the
//! largest class at most this many times the smallest); Q&A `question_types` (the share of
//! each question type among all pairs); image and video captioning `caption_words` (bands of
//! caption length with the share each should hold); video `events_per_minute`. Shares are
//! written `{ min = 0.4 }`, `{ max = 0.2 }` or both, from 0 to 1. Every problem names its key.
//!
//! ```toml
//! [quotas]
//! question_types = { factual = { min = 0.4 }, whole-passage = { max = 0.2 } }
//! ```

use serde::Serialize;
use toml::de::DeValue;

use super::toml_reader::{Reader, Table, type_name};
use crate::kinds::{Kind, Spec};

/// Bounds of a share (0 to 1) or a rate (`>= 0`); either may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct QuotaBounds {
    /// At least this much.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min: Option<f64>,
    /// At most this much.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max: Option<f64>,
}

/// The share one category (a class, a question type) should hold.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ShareQuota {
    /// The category.
    pub category: String,
    /// Its bounds, as shares.
    pub bounds: QuotaBounds,
}

/// A band of caption lengths and the share of captions it should hold.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WordBand {
    /// Fewest words in the band.
    pub min_words: u32,
    /// Most words in the band (none: no upper end).
    #[ts(optional)]
    pub max_words: Option<u32>,
    /// The share of captions in the band.
    pub bounds: QuotaBounds,
}

/// The template's dataset targets (empty when it sets none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct Quotas {
    /// Shares of classes (classification) or question types (Q&A).
    pub shares: Vec<ShareQuota>,
    /// Classification: the largest class at most this many times the smallest.
    #[ts(optional)]
    pub max_class_ratio: Option<f64>,
    /// Image and video captioning: caption length bands.
    pub caption_words: Vec<WordBand>,
    /// Video captioning: events per minute of video.
    #[ts(optional)]
    pub events_per_minute: Option<QuotaBounds>,
}

// Every number in a `Quotas` is finite (the reader refuses anything else), so equality is an
// equivalence and a `Template` stays `Eq`.
impl Eq for Quotas {}

impl Quotas {
    /// Whether the template sets any target.
    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
            && self.max_class_ratio.is_none()
            && self.caption_words.is_empty()
            && self.events_per_minute.is_none()
    }
}

/// The `[quotas]` keys a kind accepts.
pub(crate) fn keys(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Classification => &["classes", "max_class_ratio"],
        Kind::Qa => &["question_types"],
        Kind::ImageCaption => &["caption_words"],
        Kind::VideoCaption => &["caption_words", "events_per_minute"],
        Kind::Ranking => &[],
    }
}

/// A TOML number (integer or float) as `f64`.
fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .map(|n| n as f64),
        _ => None,
    }
}

/// `{ min = x, max = y }` at `path`; shares must lie in 0..=1, rates be `>= 0`.
fn bounds(
    r: &mut Reader<'_>,
    path: &str,
    v: &toml::Spanned<DeValue<'_>>,
    share: bool,
) -> Option<QuotaBounds> {
    let DeValue::Table(t) = v.get_ref() else {
        r.push(
            path,
            Some(v.span()),
            format!(
                "expected a table such as {{ min = 0.4 }}, found {}",
                type_name(v.get_ref())
            ),
        );
        return None;
    };
    let mut out = QuotaBounds::default();
    let mut ok = true;
    for (k, val) in t.iter() {
        let key: &str = k.get_ref();
        let p = crate::path::key(path, key);
        let slot = match key {
            "min" => &mut out.min,
            "max" => &mut out.max,
            other => {
                r.push(
                    &p,
                    Some(k.span()),
                    format!("unknown key `{other}`; expected min or max"),
                );
                ok = false;
                continue;
            }
        };
        match number(val.get_ref()) {
            Some(n) if share && (0.0..=1.0).contains(&n) => *slot = Some(n),
            Some(n) if !share && n >= 0.0 && n.is_finite() => *slot = Some(n),
            Some(n) => {
                let rule = if share {
                    "a share from 0 to 1"
                } else {
                    "a number >= 0"
                };
                r.push(&p, Some(val.span()), format!("must be {rule}, found {n}"));
                ok = false;
            }
            None => {
                r.push(
                    &p,
                    Some(val.span()),
                    format!("expected a number, found {}", type_name(val.get_ref())),
                );
                ok = false;
            }
        }
    }
    if let (Some(min), Some(max)) = (out.min, out.max)
        && min > max
    {
        r.push(
            path,
            Some(v.span()),
            format!("min {min} is larger than max {max}"),
        );
        ok = false;
    }
    if out.min.is_none() && out.max.is_none() && ok {
        r.push(path, Some(v.span()), "give min, max or both");
        ok = false;
    }
    ok.then_some(out)
}

/// Reads `[quotas]` for the template's kind; categories must be the template's own.
pub(crate) fn read(r: &mut Reader<'_>, table: &Table<'_, '_>, spec: &Spec) -> Quotas {
    let mut q = Quotas::default();
    let (share_key, known): (&str, Vec<String>) = match spec {
        Spec::Classification { rules, .. } => {
            ("classes", rules.classes.iter().map(|c| c.name.clone()).collect())
        }
        Spec::Qa { rules, .. } => ("question_types", rules.question_types.clone()),
        _ => ("", Vec::new()),
    };
    if !share_key.is_empty()
        && let Some(v) = table.get(share_key)
    {
        let path = table.child_path(share_key);
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, val) in t.iter() {
                    let category: &str = k.get_ref();
                    let p = crate::path::key(&path, category);
                    if !known.iter().any(|c| c == category) {
                        r.push(
                            &p,
                            Some(k.span()),
                            format!("`{category}` is not one of the template's: {}", known.join(", ")),
                        );
                        continue;
                    }
                    if let Some(b) = bounds(r, &p, val, true) {
                        q.shares.push(ShareQuota {
                            category: category.to_owned(),
                            bounds: b,
                        });
                    }
                }
            }
            other => r.push(
                &path,
                Some(v.span()),
                format!("expected a table of {share_key}, found {}", type_name(other)),
            ),
        }
    }
    if matches!(spec, Spec::Classification { .. })
        && let Some(v) = table.get("max_class_ratio")
    {
        match number(v.get_ref()) {
            Some(n) if n >= 1.0 && n.is_finite() => q.max_class_ratio = Some(n),
            _ => r.push(
                &table.child_path("max_class_ratio"),
                Some(v.span()),
                "must be a number >= 1 (3 = the largest class at most three times the smallest)",
            ),
        }
    }
    if matches!(spec, Spec::ImageCaption { .. } | Spec::VideoCaption { .. })
        && let Some(bands) = table.table_array(r, "caption_words", &["min_words", "max_words", "min", "max"])
    {
        for band in bands {
            band.finish(r);
            let min_words = band.uint(r, "min_words", 0).map_or(0, |v| v.value);
            let max_words = band.uint(r, "max_words", 1).map(|v| v.value);
            if max_words.is_some_and(|m| m < min_words) {
                r.push(
                    &band.path,
                    band.span.clone(),
                    "max_words is smaller than min_words",
                );
                continue;
            }
            let mut b = QuotaBounds::default();
            for (key, slot) in [("min", &mut b.min), ("max", &mut b.max)] {
                if let Some(v) = band.get(key) {
                    match number(v.get_ref()) {
                        Some(n) if (0.0..=1.0).contains(&n) => *slot = Some(n),
                        _ => r.push(
                            &band.child_path(key),
                            Some(v.span()),
                            "must be a share from 0 to 1",
                        ),
                    }
                }
            }
            q.caption_words.push(WordBand {
                min_words,
                max_words,
                bounds: b,
            });
        }
    }
    if matches!(spec, Spec::VideoCaption { .. })
        && let Some(v) = table.get("events_per_minute")
    {
        q.events_per_minute = bounds(r, &table.child_path("events_per_minute"), v, false);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_template;

    fn shipped(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../labeling-templates/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("a shipped template")
    }

    /// A shipped template with `[quotas]` added before its `[shortcuts]` (or at the end).
    fn with_quotas(name: &str, quotas: &str) -> String {
        let text = shipped(name);
        let block = format!("[quotas]\n{quotas}\n\n");
        match text.find("[shortcuts]") {
            Some(i) => format!("{}{block}{}", &text[..i], &text[i..]),
            None => format!("{text}\n{block}"),
        }
    }

    #[test]
    fn each_kind_reads_its_own_targets() {
        let t = parse_template(
            &with_quotas(
                "classification.toml",
                "classes = { billing = { min = 0.1 }, other = { max = 0.25 } }\nmax_class_ratio = 4",
            ),
            "c",
        )
        .unwrap();
        let q = t.quotas();
        assert_eq!(q.shares.len(), 2);
        assert_eq!(q.shares[1].category, "other");
        assert_eq!(
            q.shares[1].bounds,
            QuotaBounds {
                min: None,
                max: Some(0.25)
            }
        );
        assert_eq!(q.max_class_ratio, Some(4.0));

        let t = parse_template(
            &with_quotas(
                "video-caption.toml",
                "caption_words = [{ min_words = 8, max_words = 20, min = 0.5 }, { min_words = 21, max = 0.2 }]\nevents_per_minute = { min = 2, max = 12.5 }",
            ),
            "v",
        )
        .unwrap();
        let q = t.quotas();
        assert_eq!(q.caption_words.len(), 2);
        assert_eq!(
            (q.caption_words[0].min_words, q.caption_words[0].max_words),
            (8, Some(20))
        );
        assert_eq!(q.caption_words[1].bounds.max, Some(0.2));
        assert_eq!(
            q.events_per_minute,
            Some(QuotaBounds {
                min: Some(2.0),
                max: Some(12.5)
            })
        );

        // No [quotas]: no target.
        assert!(
            parse_template(&shipped("qa.toml"), "q")
                .unwrap()
                .quotas()
                .is_empty()
        );
    }

    #[test]
    fn wrong_targets_name_their_key() {
        for (name, quotas, says) in [
            (
                "ranking.toml",
                "classes = { a = { min = 0.1 } }",
                "quotas.classes: unknown key `classes`",
            ),
            (
                "classification.toml",
                "max_class_ratio = 0.5",
                "quotas.max_class_ratio: must be a number >= 1",
            ),
            (
                "classification.toml",
                "classes = { billing = 0.3 }",
                "expected a table such as { min = 0.4 }",
            ),
            (
                "classification.toml",
                "classes = { billing = { least = 0.3 } }",
                "unknown key `least`; expected min or max",
            ),
            (
                "image-caption.toml",
                "caption_words = [{ min_words = 9, max_words = 3, min = 0.5 }]",
                "max_words is smaller than min_words",
            ),
            (
                "video-caption.toml",
                "events_per_minute = { min = -1 }",
                "must be a number >= 0, found -1",
            ),
            (
                "video-caption.toml",
                "events_per_minute = {}",
                "give min, max or both",
            ),
        ] {
            let e = parse_template(&with_quotas(name, quotas), "t")
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{name} {quotas}: {e}");
        }
    }
}
