//! Majority vote for labels and for label sets, ties flagged.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::alpha::masi_distance;
use crate::error::{Result, Undefined};
use crate::ratings::Ratings;

/// The outcome of a majority vote on one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vote<V> {
    /// The labels with the most votes, in `V`'s order: one label, or several on a tie.
    pub winners: Vec<V>,
    /// Votes for each winner.
    pub votes: usize,
    /// Number of voters.
    pub voters: usize,
}

impl<V> Vote<V> {
    /// Whether two or more labels share the most votes. A tie has no consensus label: the
    /// unit goes to a reviewer (or to another annotator) rather than to a coin flip.
    pub fn is_tie(&self) -> bool {
        self.winners.len() > 1
    }

    /// The consensus label, or `None` on a tie.
    pub fn label(&self) -> Option<&V> {
        match self.winners.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The consensus agreement: `votes / voters`, the share of annotators who chose the
    /// winning label (on a tie, the share behind each of the tied labels).
    pub fn agreement(&self) -> f64 {
        self.votes as f64 / self.voters as f64
    }
}

/// Majority vote over one unit's labels. Deterministic: the result depends only on the
/// multiset of labels. Undefined without a label.
pub fn majority_vote<'a, V: Ord + Clone + 'a>(labels: impl IntoIterator<Item = &'a V>) -> Result<Vote<V>> {
    let mut counts: BTreeMap<&V, usize> = BTreeMap::new();
    let mut voters = 0;
    for label in labels {
        *counts.entry(label).or_insert(0) += 1;
        voters += 1;
    }
    let votes = counts.values().copied().max().ok_or(Undefined::TooFew {
        what: "labels",
        need: 1,
        have: 0,
    })?;
    let winners = counts
        .into_iter()
        .filter(|&(_, c)| c == votes)
        .map(|(v, _)| v.clone())
        .collect();
    Ok(Vote {
        winners,
        votes,
        voters,
    })
}

/// Majority vote on every unit of a matrix; units without a rating are `Err`.
pub fn majority_votes<V: Ord + Clone>(ratings: &Ratings<V>) -> Vec<Result<Vote<V>, Undefined>> {
    (0..ratings.units())
        .map(|u| {
            majority_vote(ratings.values(u)).map_err(|_| Undefined::TooFew {
                what: "labels",
                need: 1,
                have: 0,
            })
        })
        .collect()
}

/// The outcome of a per-label majority vote over label sets (multi-label classification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetVote<V: Ord> {
    /// Labels chosen by more than half of the voters.
    pub labels: BTreeSet<V>,
    /// Labels chosen by exactly half (only possible with an even number of voters): flagged,
    /// not included.
    pub tied: BTreeSet<V>,
    /// Number of voters.
    pub voters: usize,
}

impl<V: Ord> SetVote<V> {
    /// Whether some label is tied.
    pub fn is_tie(&self) -> bool {
        !self.tied.is_empty()
    }
}

/// Per-label majority over several annotators' label sets: a label is in the consensus when
/// more than half of the voters chose it. Undefined without a voter.
pub fn majority_labels<'a, V: Ord + Clone + 'a>(
    sets: impl IntoIterator<Item = &'a BTreeSet<V>>,
) -> Result<SetVote<V>> {
    let mut counts: BTreeMap<&V, usize> = BTreeMap::new();
    let mut voters = 0;
    for set in sets {
        for label in set {
            *counts.entry(label).or_insert(0) += 1;
        }
        voters += 1;
    }
    Undefined::at_least("label sets", 1, voters)?;
    let (mut labels, mut tied) = (BTreeSet::new(), BTreeSet::new());
    for (label, c) in counts {
        if 2 * c > voters {
            labels.insert(label.clone());
        } else if 2 * c == voters {
            tied.insert(label.clone());
        }
    }
    Ok(SetVote { labels, tied, voters })
}

/// The consensus agreement of a label-set consensus: the mean of `1 - MASI distance` between
/// each voter's set and the consensus set.
pub fn set_agreement<'a, V: Ord + 'a>(
    sets: impl IntoIterator<Item = &'a BTreeSet<V>>,
    consensus: &BTreeSet<V>,
) -> Result<f64> {
    let (mut total, mut n) = (0.0, 0usize);
    for set in sets {
        total += 1.0 - masi_distance(set, consensus);
        n += 1;
    }
    Undefined::at_least("label sets", 1, n)?;
    Ok(total / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_flagged_and_deterministic() {
        let clear = majority_vote(&["cat", "dog", "cat"]).unwrap();
        assert_eq!(clear.label(), Some(&"cat"));
        assert!((clear.agreement() - 2.0 / 3.0).abs() < 1e-15);
        for order in [["dog", "cat"], ["cat", "dog"]] {
            let tie = majority_vote(&order).unwrap();
            assert!(tie.is_tie());
            assert_eq!(tie.label(), None);
            assert_eq!(tie.winners, ["cat", "dog"]);
            assert_eq!(tie.agreement(), 0.5);
        }
        assert!(majority_vote::<&str>(&[]).is_err());
        let r = Ratings::from_rows([[Some(1), Some(1), Some(2)], [None, None, None]]).unwrap();
        let votes = majority_votes(&r);
        assert_eq!(votes[0].as_ref().unwrap().label(), Some(&1));
        assert!(votes[1].is_err());
    }

    #[test]
    fn label_sets() {
        let s = |v: &[&'static str]| v.iter().copied().collect::<BTreeSet<_>>();
        let sets = [s(&["a", "b"]), s(&["a"]), s(&["a", "c"]), s(&["b", "c"])];
        let vote = majority_labels(&sets).unwrap();
        assert_eq!(vote.labels, s(&["a"]));
        assert_eq!(vote.tied, s(&["b", "c"]));
        assert!(vote.is_tie());
        let agreement = set_agreement(&sets[..2], &s(&["a"])).unwrap();
        assert!((agreement - (1.0 + 0.5 * 2.0 / 3.0) / 2.0).abs() < 1e-15);
    }
}
