//! The labels a head learns from: each labeled item's class (or classes, or rankings) from
//! its submitted annotations, plus machine labels only when asked.
//!
//! Several annotators may have labeled one item: a single-label item takes the class most of
//! them chose (a tie goes to the earliest annotation among the tied classes), a multi-label
//! item the classes at least half of them chose. Ranking items keep every annotation's
//! ranking: each gives its own preference pairs.

use std::collections::BTreeMap;

use serde_json::Value;
use sift_template::{ClassificationRules, Payload, Spec};

use crate::{Error, Project, Result};

/// Classification labels, one per labeled item.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassLabels {
    /// The template lets an item have several classes (see `single` and `multi`).
    pub multi_label: bool,
    /// The template's class names; a class id is its position here.
    pub class_names: Vec<String>,
    /// Labeled items, ascending.
    pub items: Vec<i64>,
    /// Single-label: the class id of each item.
    pub single: Vec<u32>,
    /// Multi-label: `items x classes`, row-major.
    pub multi: Vec<bool>,
    /// How many of the items are labeled by a machine label only.
    pub machine: u64,
    /// Human labels read (annotations), for the report.
    pub annotations: u64,
}

impl ClassLabels {
    /// A BLAKE3 hash of the labeled items and their labels (unchanged labels: same hash).
    pub fn hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(if self.multi_label { b"m" } else { b"s" });
        for (i, item) in self.items.iter().enumerate() {
            h.update(&item.to_le_bytes());
            if self.multi_label {
                let k = self.class_names.len();
                for &b in &self.multi[i * k..(i + 1) * k] {
                    h.update(&[u8::from(b)]);
                }
            } else {
                h.update(&self.single[i].to_le_bytes());
            }
        }
        h.finalize().to_hex().to_string()
    }
}

/// One annotation's ranking of an item's responses on every dimension.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    /// The ranked item.
    pub item_id: i64,
    /// dimension -> response id -> rank (1 = best).
    pub rankings: BTreeMap<String, BTreeMap<String, u32>>,
}

/// The template's classification rules, or an error saying the project is another kind.
pub(crate) fn classification_rules(project: &Project) -> Result<&ClassificationRules> {
    match project.template.spec() {
        Spec::Classification { rules, .. } => Ok(rules),
        _ => Err(Error::BadRequest(format!(
            "this project is a {} project; heads are trained for classification (and ranking) projects",
            project.template.kind().as_str()
        ))),
    }
}

fn classes_of(project: &Project, rules: &ClassificationRules, payload: &Value) -> Option<Vec<u32>> {
    let Ok(Payload::Classification(p)) = project.template.parse_payload(payload) else {
        return None;
    };
    let ids: Option<Vec<u32>> = p
        .labels
        .iter()
        .map(|name| rules.class_index(name).and_then(|i| u32::try_from(i).ok()))
        .collect();
    ids.filter(|v| !v.is_empty())
}

impl Project {
    /// Classification labels from the submitted (`approved_only`: approved) annotations, plus
    /// live machine labels of items no person has labeled when `machine_labels` is set.
    pub(crate) fn class_labels(&self, approved_only: bool, machine_labels: bool) -> Result<ClassLabels> {
        let rules = classification_rules(self)?;
        let k = rules.classes.len();
        let mut out = ClassLabels {
            multi_label: rules.multi_label,
            class_names: rules.classes.iter().map(|c| c.name.clone()).collect(),
            ..ClassLabels::default()
        };
        // item -> the class lists its annotations chose, in annotation order.
        let mut by_item: BTreeMap<i64, Vec<Vec<u32>>> = BTreeMap::new();
        for a in self.store.training_annotations(approved_only)? {
            out.annotations += 1;
            let payload: Value = serde_json::from_str(&a.payload).map_err(|e| {
                Error::Internal(format!(
                    "annotation {}: stored payload is not JSON: {e}",
                    a.annotation_id
                ))
            })?;
            // A payload that no longer fits the template (classes renamed) teaches nothing.
            if let Some(classes) = classes_of(self, rules, &payload) {
                by_item.entry(a.item_id).or_default().push(classes);
            }
        }
        if machine_labels {
            for m in self.store.machine_labels(None)? {
                if by_item.contains_key(&m.item_id) {
                    continue;
                }
                let payload: Value = serde_json::from_str(&m.payload)
                    .map_err(|e| Error::Internal(format!("machine label of item {}: {e}", m.item_id)))?;
                if let Some(classes) = classes_of(self, rules, &payload) {
                    by_item.insert(m.item_id, vec![classes]);
                    out.machine += 1;
                }
            }
        }
        for (item, votes) in by_item {
            out.items.push(item);
            if rules.multi_label {
                let mut counts = vec![0_usize; k];
                for v in &votes {
                    for &c in v {
                        counts[c as usize] += 1;
                    }
                }
                out.multi
                    .extend(counts.iter().map(|&n| 2 * n >= votes.len() && n > 0));
            } else {
                out.single.push(majority(&votes));
            }
        }
        Ok(out)
    }

    /// Every submitted (`approved_only`: approved) ranking, by item.
    pub(crate) fn rankings(&self, approved_only: bool) -> Result<Vec<Ranked>> {
        let mut out = Vec::new();
        for a in self.store.training_annotations(approved_only)? {
            let payload: Value = serde_json::from_str(&a.payload).map_err(|e| {
                Error::Internal(format!(
                    "annotation {}: stored payload is not JSON: {e}",
                    a.annotation_id
                ))
            })?;
            if let Ok(Payload::Ranking(p)) = self.template.parse_payload(&payload) {
                out.push(Ranked {
                    item_id: a.item_id,
                    rankings: p.rankings,
                });
            }
        }
        Ok(out)
    }
}

/// The class most annotations chose; a tie goes to the earliest annotation's class among the
/// tied ones.
fn majority(votes: &[Vec<u32>]) -> u32 {
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for v in votes {
        if let Some(&c) = v.first() {
            *counts.entry(c).or_default() += 1;
        }
    }
    let best = counts.values().copied().max().unwrap_or(0);
    votes
        .iter()
        .filter_map(|v| v.first().copied())
        .find(|c| counts.get(c) == Some(&best))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::majority;

    #[test]
    fn majority_and_ties() {
        assert_eq!(majority(&[vec![2], vec![1], vec![1]]), 1);
        assert_eq!(majority(&[vec![2], vec![1]]), 2);
        assert_eq!(majority(&[vec![3]]), 3);
    }
}
