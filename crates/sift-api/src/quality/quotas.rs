//! Dataset quotas (issue 18, point 5): the template's `[quotas]` targets against the work so
//! far — every submitted or approved annotation counts (with overlap, each annotator's work).
//! Shares of classes and question types, class balance, caption length bands and events per
//! minute of video, each with where it stands and the work that would meet it ("12 more
//! `factual` pairs"). `sift status`, the report and `sift export` (which warns, or refuses with
//! `--strict`) read it.

use serde::Serialize;
use serde_json::Value;
use sift_quality::{
    Bounds, LengthBand, QuotaStatus, ShareTarget, Tally, band_tally, evaluate_balance, evaluate_rate,
    evaluate_shares, word_count,
};
use sift_store::SubmittedWork;
use sift_template::{Payload, QuotaBounds, Spec};

use crate::{Project, Result};

/// One target and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct QuotaLine {
    /// What is measured ("share of class `billing`", "events per minute").
    pub target: String,
    /// The bounds asked for (`max` of a class ratio; `min`/`max` otherwise).
    pub bounds: QuotaBounds,
    /// The value now (a share, a ratio, a rate); `None` while nothing is counted.
    pub value: Option<f64>,
    /// Things in the category (or the numerator).
    pub count: u64,
    /// Things in all (or the denominator, rounded).
    pub total: u64,
    /// `met`, `not-yet` or `exceeded`.
    #[ts(type = "\"met\" | \"not-yet\" | \"exceeded\"")]
    pub status: QuotaStatus,
    /// What would meet it, in words; empty when met.
    pub advice: String,
}

/// Every target of the template against the work so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct QuotaReport {
    /// One line per target, in the template's order.
    pub lines: Vec<QuotaLine>,
    /// Whether every target is met (true when the template sets none).
    pub all_met: bool,
}

fn to_bounds(b: QuotaBounds) -> Bounds {
    Bounds {
        min: b.min,
        max: b.max,
    }
}

impl Project {
    /// The template's dataset targets against the submitted and approved work.
    pub fn quota_report(&self) -> Result<QuotaReport> {
        if self.template.quotas().is_empty() {
            return self.quota_report_of(&[]);
        }
        self.quota_report_of(&self.store.submitted_work()?)
    }

    /// [`Project::quota_report`] of work already read (the quality report reads it once).
    pub(crate) fn quota_report_of(&self, work: &[SubmittedWork]) -> Result<QuotaReport> {
        let quotas = self.template.quotas().clone();
        if quotas.is_empty() {
            return Ok(QuotaReport {
                lines: Vec::new(),
                all_met: true,
            });
        }
        let payloads: Vec<(i64, Payload)> = work
            .iter()
            .filter_map(|w| {
                let v: Value = serde_json::from_str(&w.payload).ok()?;
                Some((w.item_id, self.template.parse_payload(&v).ok()?))
            })
            .collect();
        let mut lines = Vec::new();
        // Shares: classes (every annotation's classes) or question types (every pair).
        let (tally, noun) = match self.template.spec() {
            Spec::Classification { .. } => (
                Tally::of(payloads.iter().flat_map(|(_, p)| match p {
                    Payload::Classification(c) => c.labels.clone(),
                    _ => Vec::new(),
                })),
                "class",
            ),
            Spec::Qa { .. } => (
                Tally::of(payloads.iter().flat_map(|(_, p)| match p {
                    Payload::Qa(q) => q.pairs.iter().map(|pair| pair.question_type.clone()).collect(),
                    _ => Vec::new(),
                })),
                "question type",
            ),
            _ => (Tally::default(), ""),
        };
        let targets: Vec<ShareTarget> = quotas
            .shares
            .iter()
            .map(|s| ShareTarget {
                category: s.category.clone(),
                bounds: to_bounds(s.bounds),
            })
            .collect();
        let things = if noun == "class" { "labels" } else { "pairs" };
        for (q, r) in quotas
            .shares
            .iter()
            .zip(evaluate_shares(&tally, &targets).unwrap_or_default())
        {
            let advice = match (r.more_in_category, r.more_elsewhere, r.status) {
                (_, _, QuotaStatus::Met) => String::new(),
                (Some(n), _, QuotaStatus::NotYet) => format!("{n} more `{}` {things}", r.category),
                (_, Some(n), QuotaStatus::Exceeded) => format!("{n} more {things} of other kinds"),
                _ => "cannot be met by adding work".into(),
            };
            lines.push(QuotaLine {
                target: format!("share of {noun} `{}`", r.category),
                bounds: q.bounds,
                value: r.share,
                count: r.count,
                total: r.total,
                status: r.status,
                advice,
            });
        }
        if let (Some(ratio), Spec::Classification { rules, .. }) =
            (quotas.max_class_ratio, self.template.spec())
        {
            let classes: Vec<&str> = rules.classes.iter().map(|c| c.name.as_str()).collect();
            if let Ok(b) = evaluate_balance(&tally, &classes, ratio) {
                lines.push(QuotaLine {
                    target: format!(
                        "largest class (`{}`) over smallest (`{}`)",
                        b.largest.0, b.smallest.0
                    ),
                    bounds: QuotaBounds {
                        min: None,
                        max: Some(ratio),
                    },
                    value: b.ratio,
                    count: b.largest.1,
                    total: b.smallest.1,
                    status: b.status,
                    advice: if b.status == QuotaStatus::Met {
                        String::new()
                    } else {
                        format!("{} more `{}` labels", b.more_of_smallest, b.smallest.0)
                    },
                });
            }
        }
        if !quotas.caption_words.is_empty() {
            let bands: Vec<LengthBand> = quotas
                .caption_words
                .iter()
                .map(|b| LengthBand {
                    label: match b.max_words {
                        Some(m) => format!("{}-{m} words", b.min_words),
                        None => format!("{}+ words", b.min_words),
                    },
                    min: b.min_words as usize,
                    max: b.max_words.map(|m| m as usize),
                })
                .collect();
            let captions = payloads.iter().filter_map(|(_, p)| match p {
                Payload::ImageCaption(i) => Some(word_count(&i.caption)),
                Payload::VideoCaption(v) => Some(word_count(&v.caption)),
                _ => None,
            });
            if let Ok(tally) = band_tally(captions, &bands) {
                let targets: Vec<ShareTarget> = bands
                    .iter()
                    .zip(&quotas.caption_words)
                    .map(|(band, q)| ShareTarget {
                        category: band.label.clone(),
                        bounds: to_bounds(q.bounds),
                    })
                    .collect();
                for (q, r) in quotas
                    .caption_words
                    .iter()
                    .zip(evaluate_shares(&tally, &targets).unwrap_or_default())
                {
                    lines.push(QuotaLine {
                        target: format!("captions of {}", r.category),
                        bounds: q.bounds,
                        value: r.share,
                        count: r.count,
                        total: r.total,
                        status: r.status,
                        advice: match (r.more_in_category, r.more_elsewhere, r.status) {
                            (_, _, QuotaStatus::Met) => String::new(),
                            (Some(n), _, _) => format!("{n} more captions of {}", r.category),
                            (_, Some(n), _) => format!("{n} more captions of other lengths"),
                            _ => "cannot be met by adding work".into(),
                        },
                    });
                }
            }
        }
        if let (Some(b), Spec::VideoCaption { fields, .. }) = (quotas.events_per_minute, self.template.spec())
        {
            let mut events = 0_u64;
            let mut minutes = 0.0;
            let mut unknown = 0_u64;
            for (item, p) in &payloads {
                let Payload::VideoCaption(v) = p else { continue };
                let duration = fields.duration.as_ref().and_then(|f| {
                    let row = self.store.item(*item).ok()??;
                    let content: Value = serde_json::from_str(&row.content).ok()?;
                    content.get(f)?.as_f64()
                });
                match duration {
                    Some(d) if d > 0.0 => {
                        events += v.events.len() as u64;
                        minutes += d / 60.0;
                    }
                    _ => unknown += 1,
                }
            }
            if let Ok(r) = evaluate_rate(events, minutes, to_bounds(b)) {
                let mut advice = match (r.more_needed, r.over_by, r.status) {
                    (_, _, QuotaStatus::Met) => String::new(),
                    (Some(n), _, _) => format!("{n} more events over the same video"),
                    (_, Some(n), _) => format!("{n} events too many for the same video"),
                    _ => String::new(),
                };
                if unknown > 0 {
                    advice.push_str(&format!(
                        "{}{unknown} annotations left out: their item gives no duration",
                        if advice.is_empty() { "" } else { "; " }
                    ));
                }
                lines.push(QuotaLine {
                    target: "events per minute of video".into(),
                    bounds: b,
                    value: r.rate,
                    count: events,
                    total: minutes.round() as u64,
                    status: r.status,
                    advice,
                });
            }
        }
        let all_met = lines.iter().all(|l| l.status == QuotaStatus::Met);
        Ok(QuotaReport { lines, all_met })
    }
}
