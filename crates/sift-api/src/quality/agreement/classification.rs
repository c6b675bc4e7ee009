//! Classification agreement: Krippendorff's alpha (nominal; MASI distance for multi-label),
//! Fleiss' kappa, Cohen's kappa per pair, the majority vote (ties flagged, never broken by
//! chance) and each annotator against the vote of the others.

use std::collections::BTreeSet;

use sift_quality::{
    Ratings, agreement_with_consensus, alpha_masi, alpha_nominal, cohen_kappa_table, fleiss_kappa,
    majority_labels, majority_votes, masi_distance, set_agreement,
};
use sift_template::Payload;

use super::{ConsensusFigure, ConsensusSummary, ItemAgreement, Measure, PairFigure, Scope, Work};

/// Fills `out` from the parsed classification work.
pub(super) fn figures(out: &mut Scope, multi_label: bool, work: &[Work<'_>]) {
    let labelled: Vec<(i64, String, Vec<String>)> = work
        .iter()
        .filter_map(|w| match &w.payload {
            Payload::Classification(p) if !p.labels.is_empty() => {
                Some((w.item, w.annotator.to_owned(), p.labels.clone()))
            }
            _ => None,
        })
        .collect();
    if multi_label {
        multi(out, &labelled);
    } else {
        single(out, &labelled);
    }
}

fn single(out: &mut Scope, labelled: &[(i64, String, Vec<String>)]) {
    let records = labelled
        .iter()
        .filter(|(_, _, l)| l.len() == 1)
        .map(|(item, who, l)| (*item, who.clone(), l[0].clone()));
    let Ok(l) = Ratings::from_records(records) else {
        return; // one annotation per (item, annotator): duplicates cannot come from the store
    };
    let r = &l.ratings;
    out.measures.push(Measure::of(
        "Krippendorff's alpha (nominal)",
        None,
        alpha_nominal(r).map(|a| (a.value, a.pairable_units)),
    ));
    out.measures.push(Measure::of(
        "Fleiss' kappa",
        None,
        fleiss_kappa(r).map(|k| (k.value, k.units)),
    ));
    for p in cohen_kappa_table(r) {
        out.pairs.push(PairFigure {
            a: l.coders[p.a].clone(),
            b: l.coders[p.b].clone(),
            measure: "Cohen's kappa".into(),
            dimension: None,
            value: p.kappa.as_ref().ok().map(|k| k.value),
            shared_items: p.shared_units as u64,
            undefined: p.kappa.err().map(|e| e.to_string()),
        });
    }
    // The vote over items with two or more labels.
    let votes = majority_votes(r);
    let (mut items, mut ties, mut sum) = (0_u64, 0_u64, 0.0);
    for (u, vote) in votes.iter().enumerate() {
        if r.values(u).count() < 2 {
            continue;
        }
        if let Ok(v) = vote {
            items += 1;
            ties += u64::from(v.is_tie());
            sum += v.agreement();
            out.per_item.push(ItemAgreement {
                item: l.units[u],
                annotations: v.voters as u64,
                measure: "share behind the majority vote".into(),
                agreement: Some(v.agreement()),
                tie: v.is_tie(),
            });
        }
    }
    out.consensus.push(ConsensusSummary {
        method: "majority vote".into(),
        dimension: None,
        items,
        ties,
        mean_agreement: (items > 0).then(|| sum / items as f64),
    });
    // Each annotator against the vote of the others.
    for (c, who) in l.coders.iter().enumerate() {
        let others: Vec<Option<String>> = majority_votes(&r.without_coder(c))
            .into_iter()
            .map(|v| v.ok().and_then(|v| v.label().cloned()))
            .collect();
        if let Ok(a) = agreement_with_consensus(r, c, &others) {
            out.vs_consensus.push(ConsensusFigure {
                annotator: who.clone(),
                dimension: None,
                measure: "share equal to the others' majority".into(),
                items: a.units as u64,
                agreement: a.share.ok(),
                kappa: a.kappa.ok().map(|k| k.value),
            });
        }
    }
}

fn multi(out: &mut Scope, labelled: &[(i64, String, Vec<String>)]) {
    let records = labelled.iter().map(|(item, who, l)| {
        (
            *item,
            who.clone(),
            l.iter().cloned().collect::<BTreeSet<String>>(),
        )
    });
    let Ok(l) = Ratings::from_records(records) else {
        return;
    };
    let r = &l.ratings;
    out.measures.push(Measure::of(
        "Krippendorff's alpha (MASI distance)",
        None,
        alpha_masi(r).map(|a| (a.value, a.pairable_units)),
    ));
    for (ia, ib) in index_pairs(l.coders.len()) {
        let shared: Vec<f64> = r
            .pairs(ia, ib)
            .map(|(_, x, y)| 1.0 - masi_distance(x, y))
            .collect();
        if shared.is_empty() {
            continue;
        }
        out.pairs.push(PairFigure {
            a: l.coders[ia].clone(),
            b: l.coders[ib].clone(),
            measure: "mean 1 - MASI distance".into(),
            dimension: None,
            value: Some(shared.iter().sum::<f64>() / shared.len() as f64),
            shared_items: shared.len() as u64,
            undefined: None,
        });
    }
    let (mut items, mut ties, mut sum) = (0_u64, 0_u64, 0.0);
    for u in 0..r.units() {
        let sets: Vec<&BTreeSet<String>> = r.values(u).collect();
        if sets.len() < 2 {
            continue;
        }
        if let Ok(vote) = majority_labels(sets.iter().copied()) {
            let agreement = set_agreement(sets.iter().copied(), &vote.labels).unwrap_or(0.0);
            items += 1;
            ties += u64::from(vote.is_tie());
            sum += agreement;
            out.per_item.push(ItemAgreement {
                item: l.units[u],
                annotations: sets.len() as u64,
                measure: "mean 1 - MASI distance to the per-label majority".into(),
                agreement: Some(agreement),
                tie: vote.is_tie(),
            });
        }
    }
    out.consensus.push(ConsensusSummary {
        method: "per-label majority".into(),
        dimension: None,
        items,
        ties,
        mean_agreement: (items > 0).then(|| sum / items as f64),
    });
    for (c, who) in l.coders.iter().enumerate() {
        let others = r.without_coder(c);
        let mut scores = Vec::new();
        for u in 0..r.units() {
            let (Some(mine), theirs) = (r.get(u, c), others.values(u).collect::<Vec<_>>()) else {
                continue;
            };
            if theirs.is_empty() {
                continue;
            }
            if let Ok(vote) = majority_labels(theirs.iter().copied()) {
                scores.push(1.0 - masi_distance(mine, &vote.labels));
            }
        }
        if !scores.is_empty() {
            out.vs_consensus.push(ConsensusFigure {
                annotator: who.clone(),
                dimension: None,
                measure: "mean 1 - MASI distance to the others' majority".into(),
                items: scores.len() as u64,
                agreement: Some(scores.iter().sum::<f64>() / scores.len() as f64),
                kappa: None,
            });
        }
    }
}

/// Every pair of coder indices `(a, b)` with `a < b`.
fn index_pairs(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |a| (a + 1..n).map(move |b| (a, b)))
}
