//! Gold items (issue 18, point 4): the lead gives items a known answer (from a manifest field,
//! or one by one); each annotator's queue mixes them in, unannounced, at the project's rate —
//! a gold item goes in front whenever the share of gold among the items the annotator has
//! worked on (counting the page served so far) would fall below the rate; every annotator
//! meets each gold item once. A submission on a gold item is graded (classification: the same
//! classes; ranking: the same order on every dimension; other kinds: the same payload), the
//! annotator may be shown the expected answer right after submitting (never before), and
//! their accuracy is judged with a Wilson interval: flagged to the lead when it is confidently
//! below the threshold.

use serde::Serialize;
use serde_json::Value;
use sift_quality::{GoldRule, GoldStatus, Proportion, Z_95, assess_gold};
use sift_store::{QueueEntry, QueueReason};
use sift_template::{Payload, Spec};

use crate::{Error, Project, Result};

/// Share of an annotator's items that are gold (0 to 0.5; 0, the default, mixes none in).
pub const SETTING_GOLD_RATE: &str = "quality.gold_rate";
/// `on`: show the expected answer right after a gold item is submitted.
pub const SETTING_GOLD_FEEDBACK: &str = "quality.gold_feedback";
/// Accuracy on gold the lead asks for (default 0.8).
pub const SETTING_GOLD_THRESHOLD: &str = "quality.gold_threshold";
/// Gold answers before anyone is judged (default 10).
pub const SETTING_GOLD_MIN_ITEMS: &str = "quality.gold_min_items";

/// How gold items are used in the project.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GoldSettings {
    /// Share of each annotator's items that are gold.
    pub rate: f64,
    /// Show the expected answer after a gold submission.
    pub feedback: bool,
    /// Accuracy asked for.
    pub threshold: f64,
    /// Answers before judging.
    pub min_items: u64,
}

/// What an annotator is told right after submitting a gold item (with feedback on).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct GoldFeedback {
    /// Whether the submission matched the expected answer.
    pub correct: bool,
    /// The expected answer (a payload of the template's kind).
    pub expected: Value,
}

/// What marking gold items from a field did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldMarked {
    /// The manifest field read.
    pub field: String,
    /// Items made gold.
    pub marked: u64,
    /// Items without the field (left as they are).
    pub without_field: u64,
}

/// One annotator's record on gold items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoldRecord {
    /// The annotator.
    pub annotator: String,
    /// Gold items submitted.
    pub answered: u64,
    /// Of them, matching the expected answer.
    pub correct: u64,
    /// Accuracy with its 95 % Wilson interval (none before the first answer).
    pub accuracy: Option<Proportion>,
    /// The judgement: `too-few`, `passing`, `below` (watch) or `flagged`.
    pub status: Option<GoldStatus>,
}

fn parse_rate(v: &str) -> Result<f64> {
    match v.trim().parse::<f64>() {
        Ok(r) if (0.0..=0.5).contains(&r) => Ok(r),
        _ => Err(Error::BadRequest(format!(
            "{SETTING_GOLD_RATE} = {v:?}: a share from 0 to 0.5 (0.1 = one item in ten is gold)"
        ))),
    }
}

impl Project {
    /// The project's gold settings (defaults where unset).
    pub fn gold_settings(&self) -> Result<GoldSettings> {
        let get = |k: &str| self.store.setting(k);
        Ok(GoldSettings {
            rate: get(SETTING_GOLD_RATE)?.map_or(Ok(0.0), |v| parse_rate(&v))?,
            feedback: get(SETTING_GOLD_FEEDBACK)?.is_some_and(|v| v.trim() == "on"),
            threshold: get(SETTING_GOLD_THRESHOLD)?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0.8),
            min_items: get(SETTING_GOLD_MIN_ITEMS)?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(10),
        })
    }

    /// Changes the gold settings given; the others stay.
    pub fn set_gold_settings(
        &mut self,
        rate: Option<f64>,
        feedback: Option<bool>,
        threshold: Option<f64>,
        min_items: Option<u64>,
    ) -> Result<GoldSettings> {
        if let Some(r) = rate {
            parse_rate(&r.to_string())?;
            self.store.set_setting(SETTING_GOLD_RATE, &r.to_string())?;
        }
        if let Some(f) = feedback {
            self.store
                .set_setting(SETTING_GOLD_FEEDBACK, if f { "on" } else { "off" })?;
        }
        if let Some(t) = threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(Error::BadRequest(format!(
                    "--threshold {t}: an accuracy from 0 to 1"
                )));
            }
            self.store.set_setting(SETTING_GOLD_THRESHOLD, &t.to_string())?;
        }
        if let Some(m) = min_items {
            self.store.set_setting(SETTING_GOLD_MIN_ITEMS, &m.to_string())?;
        }
        self.gold_settings()
    }

    /// The expected payload a manifest field's value stands for: a payload object as it is;
    /// for classification also a class name (a string or a number) or a list of them.
    fn gold_payload(&self, value: &Value) -> Option<Value> {
        match (self.template.spec(), value) {
            (_, Value::Object(_)) => Some(value.clone()),
            (Spec::Classification { .. }, Value::String(s)) if !s.is_empty() => {
                Some(serde_json::json!({"labels": [s]}))
            }
            (Spec::Classification { .. }, Value::Number(n)) => {
                Some(serde_json::json!({"labels": [n.to_string()]}))
            }
            (Spec::Classification { .. }, Value::Array(a)) => Some(serde_json::json!({"labels": a})),
            _ => None,
        }
    }

    /// Checks an expected answer as a submission of `item_id` would be checked.
    fn checked_gold(&self, item_id: i64, payload: &Value, place: &str) -> Result<String> {
        match self.check_payload(item_id, payload, sift_template::Mode::Submit)? {
            Ok(parsed) => Ok(parsed.to_json().to_string()),
            Err(violations) => Err(Error::BadRequest(format!(
                "{place}: the expected answer breaks the template's rules: {}",
                violations
                    .iter()
                    .map(|v| v.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))),
        }
    }

    /// Makes every item holding manifest field `field` gold, its value the expected answer.
    /// All or nothing: one bad answer (naming its item and source line) and none is marked.
    pub fn mark_gold_from_field(&mut self, field: &str) -> Result<GoldMarked> {
        let rows = self.store.items_with_field(field)?;
        let without_field = self.store.item_count()?.saturating_sub(rows.len() as u64);
        let mut answers = Vec::with_capacity(rows.len());
        for (item_id, line, text) in rows {
            let value: Value =
                serde_json::from_str(&text).map_err(|e| Error::Internal(format!("item {item_id}: {e}")))?;
            let place = format!("item {item_id} (manifest line {line}), field {field:?}");
            let payload = self.gold_payload(&value).ok_or_else(|| {
                Error::BadRequest(format!("{place}: {value} is not an answer of this template"))
            })?;
            answers.push((item_id, self.checked_gold(item_id, &payload, &place)?));
        }
        let marked = self.store.set_gold(&answers, &format!("field:{field}"))?;
        Ok(GoldMarked {
            field: field.to_owned(),
            marked,
            without_field,
        })
    }

    /// Makes one item gold with `payload` as its expected answer.
    pub fn mark_gold(&mut self, item_id: i64, payload: &Value) -> Result<()> {
        let answer = self.checked_gold(item_id, payload, &format!("item {item_id}"))?;
        self.store.set_gold(&[(item_id, answer)], "set")?;
        Ok(())
    }

    /// Adds gold items to a new batch of `ordinary` items for `annotators` at the project's
    /// rate (gold / all items of the batch), spread among its items and dealt to every
    /// assignee; returns them. Only gold whose answer is kept apart from the item (`sift gold
    /// set`) goes into batches: a batch's lines travel through the bucket as imported.
    pub(crate) fn mix_gold_into_batch(
        &mut self,
        batch_id: i64,
        ordinary: usize,
        annotators: &[i64],
    ) -> Result<Vec<i64>> {
        let rate = self.gold_settings()?.rate;
        if rate <= 0.0 || annotators.is_empty() || ordinary == 0 {
            return Ok(Vec::new());
        }
        let wanted = if rate >= 1.0 {
            ordinary
        } else {
            (ordinary as f64 * rate / (1.0 - rate)).round() as usize
        };
        let gold = self
            .store
            .gold_for_batch(annotators, u32::try_from(wanted).unwrap_or(u32::MAX))?;
        self.store.add_gold_to_batch(batch_id, &gold, annotators)?;
        Ok(gold)
    }

    /// `entries` (a queue page of `limit`) with the annotator's gold items mixed in at the
    /// project's rate, unannounced (served as new work).
    pub(crate) fn mix_gold(
        &self,
        annotator_id: i64,
        entries: Vec<QueueEntry>,
        limit: usize,
    ) -> Result<Vec<QueueEntry>> {
        let rate = self.gold_settings()?.rate;
        if rate <= 0.0 {
            return Ok(entries);
        }
        let gold = self.store.gold_for(annotator_id, limit as u32)?;
        if gold.is_empty() {
            return Ok(entries);
        }
        let (mut gold_done, mut all_done) = self.store.gold_share(annotator_id)?;
        let mut gold = gold.into_iter();
        let mut rest = entries.into_iter().peekable();
        let mut out = Vec::with_capacity(limit);
        while out.len() < limit {
            // Gold goes next when, counting it, the share would still not pass the rate.
            let wants_gold = (gold_done + 1) as f64 <= rate * (all_done + 1) as f64 || rest.peek().is_none();
            let next = if wants_gold {
                gold.next().map(|item_id| {
                    gold_done += 1;
                    QueueEntry {
                        item_id,
                        reason: QueueReason::New,
                        score: None,
                        strategy: None,
                    }
                })
            } else {
                None
            };
            let Some(next) = next.or_else(|| rest.next()) else {
                break;
            };
            all_done += 1;
            out.push(next);
        }
        Ok(out)
    }

    /// The feedback on a submission of `payload` on `item_id`: `None` unless the item is gold
    /// and the project shows feedback.
    pub(crate) fn gold_feedback(&self, item_id: i64, payload: &str) -> Result<Option<GoldFeedback>> {
        let Some(answer) = self.store.gold_answer(item_id)? else {
            return Ok(None);
        };
        if !self.gold_settings()?.feedback {
            return Ok(None);
        }
        let expected: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        Ok(Some(GoldFeedback {
            correct: self.graded(&answer, payload),
            expected,
        }))
    }

    /// Whether a submitted payload matches the expected one (both JSON text).
    pub(crate) fn graded(&self, expected: &str, given: &str) -> bool {
        let parse = |s: &str| {
            serde_json::from_str::<Value>(s)
                .ok()
                .and_then(|v| self.template.parse_payload(&v).ok())
        };
        match (parse(expected), parse(given)) {
            (Some(Payload::Classification(a)), Some(Payload::Classification(b))) => {
                let set = |l: &[String]| l.iter().cloned().collect::<std::collections::BTreeSet<_>>();
                set(&a.labels) == set(&b.labels)
            }
            (Some(Payload::Ranking(a)), Some(Payload::Ranking(b))) => {
                !a.rankings.is_empty()
                    && a.rankings
                        .iter()
                        .all(|(dim, ranks)| b.rankings.get(dim) == Some(ranks))
            }
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// Each annotator's record on gold items, by name, judged by the project's rule.
    pub fn gold_records(&self) -> Result<Vec<GoldRecord>> {
        let s = self.gold_settings()?;
        let rule = GoldRule {
            threshold: s.threshold,
            min_items: s.min_items,
            z: Z_95,
        };
        let mut tally: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
        for a in self.store.gold_answers()? {
            let e = tally.entry(a.annotator.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(self.graded(&a.answer, &a.payload));
        }
        Ok(tally
            .into_iter()
            .map(|(annotator, (answered, correct))| {
                let judged = assess_gold(correct, answered, rule).ok();
                GoldRecord {
                    annotator,
                    answered,
                    correct,
                    accuracy: judged.map(|j| j.accuracy),
                    status: judged.map(|j| j.status),
                }
            })
            .collect())
    }
}
