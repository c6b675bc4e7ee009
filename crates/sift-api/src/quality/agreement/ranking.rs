//! Ranking agreement, per dimension: Krippendorff's alpha (ordinal) over every (item,
//! response) rank, Kendall's tau-b per pair of annotators (mean over the items both ranked),
//! the consensus order of each item (Kemeny-optimal up to six responses, Borda beyond; ties
//! flagged) with its pairwise support, and each annotator's tau-b against the consensus of the
//! others.

use std::collections::BTreeMap;

use sift_quality::{
    KEMENY_MAX_RESPONSES, RankConsensus, Ratings, Summary, alpha_ordinal, borda, kemeny, kendall_tau_b,
};
use sift_template::Payload;

use super::{
    ConsensusFigure, ConsensusSummary, ItemAgreement, ItemContext, Measure, PairFigure, Scope, Work,
};

/// Ranks per dimension, then response id (a ranking payload's `rankings`).
type Ranks = BTreeMap<String, BTreeMap<String, u32>>;

/// The consensus of complete rankings over the same responses.
fn consensus(rankings: &[Vec<u32>]) -> Option<RankConsensus> {
    rank_consensus(rankings).map(|(c, _)| c)
}

/// The consensus of complete rankings over the same responses, and how it was reached:
/// `"kemeny"` (exact, up to [`KEMENY_MAX_RESPONSES`] responses) or `"borda"`.
pub(crate) fn rank_consensus(rankings: &[Vec<u32>]) -> Option<(RankConsensus, &'static str)> {
    let n = rankings.first()?.len();
    if n <= KEMENY_MAX_RESPONSES {
        kemeny(rankings).ok().map(|k| (k.consensus, "kemeny"))
    } else {
        borda(rankings).ok().map(|b| (b.consensus, "borda"))
    }
}

/// Fills `out` from the parsed ranking work, one set of figures per dimension.
pub(super) fn figures(out: &mut Scope, dims: &[String], ctx: &ItemContext, work: &[Work<'_>]) {
    let mut by_item: BTreeMap<i64, Vec<(&str, &Ranks)>> = BTreeMap::new();
    for w in work {
        if let Payload::Ranking(p) = &w.payload {
            by_item
                .entry(w.item)
                .or_default()
                .push((w.annotator, &p.rankings));
        }
    }
    // Per item over the dimensions: (annotations, support values, any tie).
    let mut per_item: BTreeMap<i64, (u64, Vec<f64>, bool)> = BTreeMap::new();
    for dim in dims {
        let records = by_item.iter().flat_map(|(item, entries)| {
            entries.iter().flat_map(move |(who, rankings)| {
                rankings
                    .get(dim)
                    .into_iter()
                    .flatten()
                    .map(move |(response, rank)| ((*item, response.clone()), (*who).to_owned(), *rank))
            })
        });
        let alpha = Ratings::from_records(records)
            .map_err(|e| e.to_string())
            .and_then(|l| alpha_ordinal(&l.ratings).map_err(|e| e.to_string()))
            .map(|a| (a.value, a.pairable_units));
        out.measures
            .push(Measure::of("Krippendorff's alpha (ordinal)", Some(dim), alpha));

        let mut pairs: BTreeMap<(String, String), Vec<Result<f64, String>>> = BTreeMap::new();
        let mut against: BTreeMap<String, Vec<Result<f64, String>>> = BTreeMap::new();
        let (mut items, mut ties, mut support) = (0_u64, 0_u64, Vec::new());
        for (item, entries) in &by_item {
            let Some(ids) = ctx.responses.get(item) else {
                continue;
            };
            // The annotators who ranked every response of the item on this dimension.
            let full: Vec<(&str, Vec<u32>)> = entries
                .iter()
                .filter_map(|(who, r)| {
                    let ranks = r.get(dim)?;
                    let v: Option<Vec<u32>> = ids.iter().map(|id| ranks.get(id).copied()).collect();
                    Some((*who, v?))
                })
                .collect();
            for (i, (a, x)) in full.iter().enumerate() {
                for (b, y) in &full[i + 1..] {
                    let key = if a <= b { (*a, *b) } else { (*b, *a) };
                    pairs
                        .entry((key.0.to_owned(), key.1.to_owned()))
                        .or_default()
                        .push(kendall_tau_b(x, y).map(|t| t.value).map_err(|e| e.to_string()));
                }
            }
            if full.len() < 2 {
                continue;
            }
            let rankings: Vec<Vec<u32>> = full.iter().map(|(_, r)| r.clone()).collect();
            if let Some(c) = consensus(&rankings) {
                items += 1;
                ties += u64::from(c.tie);
                support.extend(c.support);
                let e = per_item.entry(*item).or_default();
                e.0 = e.0.max(rankings.len() as u64);
                e.1.extend(c.support);
                e.2 |= c.tie;
            }
            for (i, (who, mine)) in full.iter().enumerate() {
                let others: Vec<Vec<u32>> = rankings
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, r)| r.clone())
                    .collect();
                if let Some(c) = consensus(&others) {
                    against.entry((*who).to_owned()).or_default().push(
                        kendall_tau_b(mine, &c.ranks)
                            .map(|t| t.value)
                            .map_err(|e| e.to_string()),
                    );
                }
            }
        }
        for ((a, b), values) in pairs {
            let s = Summary::of(values.iter().cloned());
            out.pairs.push(PairFigure {
                a,
                b,
                measure: "Kendall's tau-b (mean over items)".into(),
                dimension: Some(dim.clone()),
                value: s.mean,
                shared_items: values.len() as u64,
                undefined: s.mean.is_none().then(|| undefined_reason(&values)),
            });
        }
        out.consensus.push(ConsensusSummary {
            method: "Kemeny (up to 6 responses), else Borda".into(),
            dimension: Some(dim.clone()),
            items,
            ties,
            mean_agreement: (!support.is_empty()).then(|| support.iter().sum::<f64>() / support.len() as f64),
        });
        for (who, values) in against {
            let s = Summary::of(values.iter().cloned());
            out.vs_consensus.push(ConsensusFigure {
                annotator: who,
                dimension: Some(dim.clone()),
                measure: "Kendall's tau-b against the others' consensus".into(),
                items: values.len() as u64,
                agreement: s.mean,
                kappa: None,
            });
        }
    }
    for (item, (annotations, supports, tie)) in per_item {
        out.per_item.push(ItemAgreement {
            item,
            annotations,
            measure: "mean pairwise support of the consensus order".into(),
            agreement: (!supports.is_empty()).then(|| supports.iter().sum::<f64>() / supports.len() as f64),
            tie,
        });
    }
}

/// The first reason a set of per-item values is undefined.
fn undefined_reason(values: &[Result<f64, String>]) -> String {
    values
        .iter()
        .find_map(|v| v.as_ref().err().cloned())
        .unwrap_or_else(|| "no item to compare".into())
}
