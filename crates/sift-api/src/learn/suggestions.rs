//! Model suggestions for annotators (issue 16, point 1): the item's prediction by the current
//! head, as `ItemView.suggestion`, and what the saves made with it record.
//!
//! - Classification: the newest head version's class probabilities and its suggested
//!   class(es): the top class, or for a multi-label template every class at or above
//!   [`MULTI_LABEL_THRESHOLD`].
//! - Ranking: per dimension, the newest version of that dimension's reward head orders the
//!   item's responses by reward (best first; ties keep the item's order), with the
//!   Bradley–Terry probability σ(r[i] − r[i+1]) that each response is preferred to the next.
//! - Imported predictions (Label Studio `predictions`, Ground Truth machine labels): where no
//!   head has predicted the item, its newest imported prediction is the suggestion, named
//!   after the model version the file gave (`imported` says from which format):
//!   classification, its classes, each with the prediction's score as probability; ranking,
//!   each dimension's order with the prediction's score.
//!
//! A suggestion is a separate field beside the annotator's own work: it never fills in an
//! answer. The project setting `learn.suggestions = off` withholds every suggestion (to
//! measure anchoring). A save made while a suggestion was shown records it with the version
//! (`suggestion_shown`, `suggestion_accepted`: the answer is the suggestion unchanged), with
//! the model version that made the item's suggestion at the time; [`SuggestionFigures`]
//! reports the acceptance rate over submissions (`sift learn status`).

use std::collections::BTreeMap;

use serde_json::Value;
use sift_store::{RoundHead, SuggestionUse};
use sift_template::{Payload, Spec};

use super::MULTI_LABEL_THRESHOLD;
use super::predictions::current_rounds;
use crate::{Error, Project, Result};

/// The project setting that turns suggestions off (`off`) or on (`on`, the default).
pub const SETTING_SUGGESTIONS: &str = "learn.suggestions";

/// What made an item's suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Maker {
    /// A Sift head: its model version's id.
    Head(i64),
    /// An imported prediction: its source's id.
    Imported(i64),
}

/// A model's prediction for an item, shown to the annotator as a suggestion.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Suggestion {
    /// The registered model that made it (ranking: the newest of the dimensions' heads); for
    /// an imported prediction, the model version its file named.
    pub model: String,
    /// Its version (0 for an imported prediction: Sift gives it no number).
    pub version: i64,
    /// For a prediction made outside Sift and imported, the format it came from
    /// (`label-studio`, `ground-truth`); absent for a Sift head's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub imported: Option<String>,
    /// Classification: the suggested class names (one for a single-label template).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub labels: Option<Vec<String>>,
    /// Classification: the probability of each class, by class name (0…1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub probabilities: Option<BTreeMap<String, f64>>,
    /// Ranking: the suggested order per dimension name (dimensions without one left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rankings: Option<BTreeMap<String, RankingSuggestion>>,
}

/// A ranking dimension's suggested order (the reward head's, for one dimension).
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct RankingSuggestion {
    /// Response ids, best first (every response of the item once; the suggestion never ties).
    pub order: Vec<String>,
    /// The model's probability that `order[i]` is preferred to `order[i + 1]` (length
    /// `order.len() - 1`; Bradley–Terry: σ(r[i] − r[i+1])); empty for an imported
    /// prediction, whose file gives no pairwise confidences.
    pub confidence: Vec<f64>,
    /// An imported prediction's score for the whole order (0…1), when its file gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub score: Option<f64>,
}

/// Suggestions over the project's submissions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SuggestionFigures {
    /// Whether annotators are shown suggestions (`learn.suggestions`).
    pub enabled: bool,
    /// Submitted versions.
    pub submitted: u64,
    /// Of them, submitted with a suggestion shown.
    pub shown: u64,
    /// Of those, whose answer was the suggestion unchanged.
    pub accepted: u64,
    /// `accepted / shown` (`None` when no suggestion was shown).
    pub acceptance_rate: Option<f64>,
}

/// What a save reports about the item's suggestion (`SaveArgs.suggestion_shown` and
/// `suggestion_accepted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuggestionReport {
    /// A suggestion was shown for the item.
    pub shown: bool,
    /// The saved answer is the suggestion, unchanged.
    pub accepted: bool,
}

impl SuggestionReport {
    /// From the optional save arguments; accepting a suggestion that was not shown is refused.
    pub fn from_args(shown: Option<bool>, accepted: Option<bool>) -> Result<Self> {
        let (shown, accepted) = (shown.unwrap_or(false), accepted.unwrap_or(false));
        if accepted && !shown {
            return Err(Error::BadRequest(
                "suggestion_accepted is true but suggestion_shown is not: a suggestion can only be accepted \
                 where one was shown"
                    .into(),
            ));
        }
        Ok(Self { shown, accepted })
    }
}

/// Parses a value of [`SETTING_SUGGESTIONS`].
pub(crate) fn parse_switch(value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(Error::BadRequest(format!(
            "{SETTING_SUGGESTIONS} = {value:?}: must be `on` or `off`"
        ))),
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The order of `rewards` (best first; ties keep their order) with the Bradley–Terry
/// probability that each response is preferred to the next.
pub(crate) fn ranking_suggestion(ids: &[String], rewards: &[f32]) -> Option<RankingSuggestion> {
    if ids.len() != rewards.len() || ids.is_empty() || rewards.iter().any(|r| !r.is_finite()) {
        return None;
    }
    let mut order: Vec<usize> = (0..rewards.len()).collect();
    order.sort_by(|&a, &b| rewards[b].total_cmp(&rewards[a]).then(a.cmp(&b)));
    let confidence = order
        .windows(2)
        .map(|w| sigmoid(f64::from(rewards[w[0]]) - f64::from(rewards[w[1]])))
        .collect();
    Some(RankingSuggestion {
        order: order.iter().map(|&i| ids[i].clone()).collect(),
        confidence,
        score: None,
    })
}

/// An imported ranking of one dimension as a suggested order: every response of the item
/// ranked, and nothing else; best rank first, ties in the item's order.
pub(crate) fn imported_order(
    ids: &[String],
    ranks: &BTreeMap<String, u32>,
    score: Option<f64>,
) -> Option<RankingSuggestion> {
    if ids.is_empty() || ranks.len() != ids.len() {
        return None;
    }
    let mut order: Vec<(u32, usize)> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        order.push((*ranks.get(id)?, i));
    }
    order.sort_unstable();
    Some(RankingSuggestion {
        order: order.iter().map(|&(_, i)| ids[i].clone()).collect(),
        confidence: Vec::new(),
        score,
    })
}

impl Project {
    /// Whether annotators are shown model suggestions (the `learn.suggestions` setting; on
    /// unless set to `off`).
    pub fn suggestions_enabled(&self) -> Result<bool> {
        match self.store.setting(SETTING_SUGGESTIONS)? {
            Some(v) => parse_switch(&v),
            None => Ok(true),
        }
    }

    /// The suggestion for an item (its stored content given) and what made it: `None` when
    /// suggestions are off, or neither the current head nor an imported prediction has one
    /// for the item. A Sift head's prediction comes first; an imported prediction (the
    /// newest) is the suggestion only where no head has predicted the item.
    pub(crate) fn suggestion_for(
        &self,
        item_id: i64,
        content: &Value,
    ) -> Result<Option<(Suggestion, Maker)>> {
        if !self.suggestions_enabled()? {
            return Ok(None);
        }
        if let Some((s, model_version_id)) = self.head_suggestion_for(item_id, content)? {
            return Ok(Some((s, Maker::Head(model_version_id))));
        }
        self.imported_suggestion_for(item_id, content)
    }

    /// The current head's suggestion and its model version.
    pub(crate) fn head_suggestion_for(
        &self,
        item_id: i64,
        content: &Value,
    ) -> Result<Option<(Suggestion, i64)>> {
        let heads = current_rounds(self.store.round_heads()?, |r| (&r.head, &r.name));
        let Some(newest) = heads.last() else {
            return Ok(None);
        };
        if newest.head == "reward" {
            return self.ranking_suggestion_for(item_id, content, &heads);
        }
        let Spec::Classification { rules, .. } = self.template.spec() else {
            return Ok(None);
        };
        let Some((top, values)) = self.store.prediction(newest.model_version_id, item_id)? else {
            return Ok(None);
        };
        if values.len() != newest.outputs.len() || values.iter().any(|p| !p.is_finite()) {
            return Ok(None);
        }
        let probabilities: BTreeMap<String, f64> = newest
            .outputs
            .iter()
            .zip(&values)
            .map(|(c, p)| (c.clone(), f64::from(*p).clamp(0.0, 1.0)))
            .collect();
        let labels: Vec<String> = if rules.multi_label {
            newest
                .outputs
                .iter()
                .zip(&values)
                .filter(|(_, p)| **p >= MULTI_LABEL_THRESHOLD)
                .map(|(c, _)| c.clone())
                .collect()
        } else {
            newest.outputs.get(top as usize).cloned().into_iter().collect()
        };
        Ok(Some((
            Suggestion {
                model: newest.name.clone(),
                version: newest.version,
                imported: None,
                labels: Some(labels),
                probabilities: Some(probabilities),
                rankings: None,
            },
            newest.model_version_id,
        )))
    }

    /// The item's newest imported prediction as a suggestion: classification, its classes,
    /// each with the prediction's score as its probability; ranking, per dimension it ranks
    /// over exactly the item's responses, its order (ties in the item's order) with the
    /// prediction's score (no pairwise confidences: the file gives none).
    fn imported_suggestion_for(&self, item_id: i64, content: &Value) -> Result<Option<(Suggestion, Maker)>> {
        if !matches!(
            self.template.spec(),
            Spec::Classification { .. } | Spec::Ranking { .. }
        ) {
            return Ok(None);
        }
        let Some(p) = self.store.newest_imported_prediction(item_id)? else {
            return Ok(None);
        };
        let Ok(payload) = serde_json::from_str::<Value>(&p.payload) else {
            return Ok(None);
        };
        let model = if p.model_version.is_empty() {
            "an imported model".to_owned()
        } else {
            p.model_version.clone()
        };
        let mut suggestion = Suggestion {
            model,
            version: 0,
            imported: Some(p.format.clone()),
            labels: None,
            probabilities: None,
            rankings: None,
        };
        match self.template.parse_payload(&payload) {
            Ok(Payload::Classification(payload)) if !payload.labels.is_empty() => {
                suggestion.probabilities = p.score.map(|score| {
                    payload
                        .labels
                        .iter()
                        .map(|l| (l.clone(), score))
                        .collect::<BTreeMap<_, _>>()
                });
                suggestion.labels = Some(payload.labels);
            }
            Ok(Payload::Ranking(payload)) => {
                let Ok(responses) = self.template.responses(content) else {
                    return Ok(None);
                };
                let ids: Vec<String> = responses.into_iter().map(|r| r.id).collect();
                let rankings: BTreeMap<String, RankingSuggestion> = payload
                    .rankings
                    .iter()
                    .filter_map(|(dim, ranks)| Some((dim.clone(), imported_order(&ids, ranks, p.score)?)))
                    .collect();
                if rankings.is_empty() {
                    return Ok(None);
                }
                suggestion.rankings = Some(rankings);
            }
            _ => return Ok(None),
        }
        Ok(Some((suggestion, Maker::Imported(p.source_id))))
    }

    fn ranking_suggestion_for(
        &self,
        item_id: i64,
        content: &Value,
        heads: &[RoundHead],
    ) -> Result<Option<(Suggestion, i64)>> {
        let Ok(responses) = self.template.responses(content) else {
            return Ok(None);
        };
        let ids: Vec<String> = responses.into_iter().map(|r| r.id).collect();
        let mut rankings = BTreeMap::new();
        let mut maker: Option<&RoundHead> = None;
        for round in heads.iter().filter(|r| r.head == "reward") {
            let Some(dim) = round.outputs.first() else {
                continue;
            };
            let Some((_, rewards)) = self.store.prediction(round.model_version_id, item_id)? else {
                continue;
            };
            if let Some(r) = ranking_suggestion(&ids, &rewards) {
                rankings.insert(dim.clone(), r);
                maker = Some(round);
            }
        }
        let Some(maker) = maker else {
            return Ok(None);
        };
        Ok(Some((
            Suggestion {
                model: maker.name.clone(),
                version: maker.version,
                imported: None,
                labels: None,
                probabilities: None,
                rankings: Some(rankings),
            },
            maker.model_version_id,
        )))
    }

    /// What a save records about a suggestion: `None` when none was shown; else whether it
    /// was accepted, with the model version that makes the item's suggestion now.
    pub(crate) fn suggestion_use(
        &self,
        item_id: i64,
        report: SuggestionReport,
    ) -> Result<Option<SuggestionUse>> {
        if !report.shown {
            return Ok(None);
        }
        let maker = match self.store.item(item_id)? {
            Some(row) => match serde_json::from_str::<Value>(&row.content) {
                Ok(content) => self.suggestion_for(item_id, &content)?.map(|(_, m)| m),
                Err(_) => None,
            },
            None => None,
        };
        Ok(Some(SuggestionUse {
            accepted: report.accepted,
            model_version_id: match maker {
                Some(Maker::Head(id)) => Some(id),
                _ => None,
            },
            prediction_source_id: match maker {
                Some(Maker::Imported(id)) => Some(id),
                _ => None,
            },
        }))
    }

    /// Suggestions shown and accepted over the project's submissions.
    pub fn suggestion_figures(&self) -> Result<SuggestionFigures> {
        let c = self.store.suggestion_counts()?;
        Ok(SuggestionFigures {
            enabled: self.suggestions_enabled()?,
            submitted: c.submitted,
            shown: c.shown,
            accepted: c.accepted,
            acceptance_rate: c.acceptance_rate(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranking_suggestion_orders_by_reward_with_bradley_terry_confidences() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        let r = ranking_suggestion(&ids, &[0.0, 2.0, 0.0]).unwrap();
        assert_eq!(r.order, ["b", "a", "c"]);
        assert!((r.confidence[0] - sigmoid(2.0)).abs() < 1e-12);
        assert!((r.confidence[1] - 0.5).abs() < 1e-12);
        assert!(ranking_suggestion(&ids, &[1.0, 2.0]).is_none());
        assert!(ranking_suggestion(&ids, &[1.0, f32::NAN, 0.0]).is_none());
    }

    #[test]
    fn an_imported_order_ranks_every_response_once_ties_in_item_order() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        let ranks = |r: &[(&str, u32)]| {
            r.iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect::<BTreeMap<_, _>>()
        };
        let r = imported_order(&ids, &ranks(&[("a", 2), ("b", 1), ("c", 2)]), Some(0.8)).unwrap();
        assert_eq!(r.order, ["b", "a", "c"]);
        assert!(r.confidence.is_empty());
        assert_eq!(r.score, Some(0.8));
        assert!(
            imported_order(&ids, &ranks(&[("a", 1), ("b", 2)]), None).is_none(),
            "c unranked"
        );
        assert!(
            imported_order(&ids, &ranks(&[("a", 1), ("b", 2), ("x", 3)]), None).is_none(),
            "x is no response"
        );
    }

    #[test]
    fn accepting_an_unshown_suggestion_is_refused() {
        assert!(SuggestionReport::from_args(None, Some(true)).is_err());
        assert_eq!(
            SuggestionReport::from_args(Some(true), None).unwrap(),
            SuggestionReport {
                shown: true,
                accepted: false
            }
        );
        assert_eq!(
            SuggestionReport::from_args(None, None).unwrap(),
            SuggestionReport::default()
        );
    }

    #[test]
    fn the_switch_reads_on_and_off_only() {
        assert!(parse_switch("on").unwrap());
        assert!(!parse_switch(" OFF ").unwrap());
        assert!(parse_switch("maybe").is_err());
    }
}
