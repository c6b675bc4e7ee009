//! Consensus rankings: Borda count for any number of responses, and the exact
//! Kemeny-optimal ranking for up to [`KEMENY_MAX_RESPONSES`].
//!
//! Input: one ranking per annotator, `ranks[i]` the rank of response `i` (1 = best; only the
//! order matters, ties share a rank), every annotator ranking the same responses. Output ranks
//! use the template's convention: dense, 1 = best, tied responses share a rank.
//!
//! The consensus agreement of a ranking is its *pairwise support*: over every annotator and
//! every pair of responses, 1 when the annotator orders the pair as the consensus does, 0 when
//! they order it the other way, 1/2 when exactly one of them ties it; averaged. For a strict
//! consensus that is `1 - Kemeny distance / (annotators * pairs)`, and `(1 + tau) / 2` for a
//! single annotator without ties.

use std::cmp::Ordering;

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined};

/// Most responses [`kemeny`] accepts: it is exact, and the cost doubles with each response.
pub const KEMENY_MAX_RESPONSES: usize = 6;

/// A consensus ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankConsensus {
    /// `ranks[i]`: consensus rank of response `i` (dense, 1 = best).
    pub ranks: Vec<u32>,
    /// Whether the consensus could not separate every pair: Borda scores that are equal, or
    /// several Kemeny-optimal orders.
    pub tie: bool,
    /// Pairwise support of `ranks` (see the module documentation); `None` with one response.
    pub support: Option<f64>,
}

/// Borda count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Borda {
    /// `points[i]`: over all annotators, the number of responses ranked below `i` plus half
    /// the number tied with it.
    pub points: Vec<f64>,
    /// Ranks by points (more points, better rank); equal points share a rank and set `tie`.
    pub consensus: RankConsensus,
}

/// Kemeny-optimal aggregation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kemeny {
    /// The optimal order, best first (response indices). Among several optimal orders, the
    /// lexicographically smallest sequence of indices: deterministic.
    pub order: Vec<usize>,
    /// Its Kemeny distance to the annotators' rankings: the number of (annotator, pair)
    /// disagreements, a pair the annotator tied counting 1/2.
    pub distance: f64,
    /// How many strict orders reach that distance (more than one sets `consensus.tie`).
    pub optimal_orders: u64,
    /// The strict ranks of `order`.
    pub consensus: RankConsensus,
}

fn check(rankings: &[Vec<u32>]) -> Result<usize> {
    let n = rankings.first().map(Vec::len).ok_or(Undefined::TooFew {
        what: "rankings",
        need: 1,
        have: 0,
    })?;
    for (index, r) in rankings.iter().enumerate() {
        if r.len() != n {
            return Err(QualityError::InvalidInput {
                what: "ranking",
                index,
                problem: format!("ranks {} responses but ranking 0 ranks {n}", r.len()),
            });
        }
    }
    Undefined::at_least("responses", 1, n)?;
    Ok(n)
}

/// `prefer[i][j]`: annotators ranking `i` strictly above `j`, plus half of those tying them.
fn preferences(rankings: &[Vec<u32>], n: usize) -> Vec<Vec<f64>> {
    let mut prefer = vec![vec![0.0; n]; n];
    for r in rankings {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    prefer[i][j] += match r[i].cmp(&r[j]) {
                        Ordering::Less => 1.0,
                        Ordering::Equal => 0.5,
                        Ordering::Greater => 0.0,
                    };
                }
            }
        }
    }
    prefer
}

/// Dense ranks (1 = best) from scores where higher is better.
fn dense_ranks_desc(scores: &[f64]) -> Vec<u32> {
    let mut distinct: Vec<f64> = scores.to_vec();
    distinct.sort_by(|a, b| b.total_cmp(a));
    distinct.dedup();
    scores
        .iter()
        .map(|s| distinct.iter().position(|d| d == s).map_or(0, |p| p as u32 + 1))
        .collect()
}

/// Pairwise support of `consensus` among `rankings` (see the module documentation). `None`
/// with fewer than two responses; an error when lengths differ.
pub fn pairwise_support(rankings: &[Vec<u32>], consensus: &[u32]) -> Result<Option<f64>> {
    let n = check(rankings)?;
    if consensus.len() != n {
        return Err(QualityError::LengthMismatch {
            what: "consensus against rankings",
            left: consensus.len(),
            right: n,
        });
    }
    if n < 2 {
        return Ok(None);
    }
    let mut total = 0.0;
    for r in rankings {
        for i in 0..n {
            for j in i + 1..n {
                let a = r[i].cmp(&r[j]);
                let c = consensus[i].cmp(&consensus[j]);
                total += if a == c {
                    1.0
                } else if a.is_eq() || c.is_eq() {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    Ok(Some(total / (rankings.len() * n * (n - 1) / 2) as f64))
}

/// Borda count over complete rankings (ties allowed).
pub fn borda(rankings: &[Vec<u32>]) -> Result<Borda> {
    let n = check(rankings)?;
    let prefer = preferences(rankings, n);
    let points: Vec<f64> = prefer.iter().map(|row| row.iter().sum()).collect();
    let ranks = dense_ranks_desc(&points);
    let tie = (ranks.iter().max().copied().unwrap_or(0) as usize) < n;
    let support = pairwise_support(rankings, &ranks)?;
    Ok(Borda {
        points,
        consensus: RankConsensus { ranks, tie, support },
    })
}

/// Kemeny-optimal ranking: the strict order of the responses with the smallest total
/// disagreement with the annotators' rankings, found exactly by dynamic programming over
/// subsets (`O(2^n n^2)`; the search space is all `n!` orders). At most
/// [`KEMENY_MAX_RESPONSES`] responses; use [`borda`] beyond.
pub fn kemeny(rankings: &[Vec<u32>]) -> Result<Kemeny> {
    let n = check(rankings)?;
    if n > KEMENY_MAX_RESPONSES {
        return Err(QualityError::TooManyForKemeny {
            found: n,
            max: KEMENY_MAX_RESPONSES,
        });
    }
    let prefer = preferences(rankings, n);
    // cost[j][k]: disagreement from placing j above k = annotators preferring k to j
    // (ties count 1/2 either way).
    let full = (1usize << n) - 1;
    // rest[s]: best distance of ordering the responses outside `s` (those in `s` placed
    // above them already; pairs between the two groups are counted as they are placed).
    // ways[s]: how many orders of the rest reach it.
    let mut rest = vec![0.0f64; full + 1];
    let mut ways = vec![0u64; full + 1];
    ways[full] = 1;
    for s in (0..full).rev() {
        let mut best = f64::INFINITY;
        let mut count = 0u64;
        for j in (0..n).filter(|j| s & (1 << j) == 0) {
            let placed = s | (1 << j);
            let cost = below_cost(&prefer, n, placed, j) + rest[placed];
            if cost < best - 1e-9 {
                best = cost;
                count = ways[placed];
            } else if (cost - best).abs() <= 1e-9 {
                count += ways[placed];
            }
        }
        rest[s] = best;
        ways[s] = count;
    }
    // Front to back, the smallest index that stays optimal.
    let mut order = Vec::with_capacity(n);
    let mut s = 0usize;
    while s != full {
        let j = (0..n)
            .filter(|j| s & (1 << j) == 0)
            .find(|&j| {
                let placed = s | (1 << j);
                (below_cost(&prefer, n, placed, j) + rest[placed] - rest[s]).abs() <= 1e-9
            })
            .unwrap_or(0);
        order.push(j);
        s |= 1 << j;
    }
    let mut ranks = vec![0u32; n];
    for (position, &i) in order.iter().enumerate() {
        ranks[i] = position as u32 + 1;
    }
    let support = pairwise_support(rankings, &ranks)?;
    Ok(Kemeny {
        order,
        distance: rest[0],
        optimal_orders: ways[0],
        consensus: RankConsensus {
            ranks,
            tie: ways[0] > 1,
            support,
        },
    })
}

/// Disagreement added by placing `j` above every response not yet in `placed`.
fn below_cost(prefer: &[Vec<f64>], n: usize, placed: usize, j: usize) -> f64 {
    (0..n)
        .filter(|k| placed & (1 << k) == 0)
        .map(|k| prefer[k][j])
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borda_with_ties() {
        // Three annotators, three responses; the first two disagree on the top, the third ties.
        let rankings = vec![vec![1, 2, 3], vec![2, 1, 3], vec![1, 1, 2]];
        let b = borda(&rankings).unwrap();
        assert_eq!(b.points, [4.5, 4.5, 0.0]);
        assert_eq!(b.consensus.ranks, [1, 1, 2]);
        assert!(b.consensus.tie);
        // Pairs: (0,1) tied in consensus: 0.5 + 0.5 + 1; (0,2) and (1,2): 1 each x 3.
        assert_eq!(b.consensus.support, Some((2.0 + 6.0) / 9.0));
        assert!(borda(&[vec![1, 2], vec![1]]).is_err());
        assert!(borda(&[]).is_err());
        let single = borda(&[vec![1]]).unwrap();
        assert_eq!(
            (single.consensus.ranks.as_slice(), single.consensus.support),
            (&[1][..], None)
        );
    }

    #[test]
    fn kemeny_condorcet_and_tie() {
        let rankings = vec![vec![1, 2, 3], vec![1, 3, 2], vec![2, 1, 3]];
        let k = kemeny(&rankings).unwrap();
        assert_eq!(k.order, [0, 1, 2]);
        assert_eq!(k.distance, 2.0);
        assert_eq!(k.optimal_orders, 1);
        assert!(!k.consensus.tie);
        let expected_support = 1.0 - k.distance / (3.0 * 3.0);
        assert!((k.consensus.support.unwrap() - expected_support).abs() < 1e-12);
        // Two annotators in exact opposition: every order is optimal; the first is 0, 1.
        let split = kemeny(&[vec![1, 2], vec![2, 1]]).unwrap();
        assert_eq!((split.order.as_slice(), split.optimal_orders), (&[0, 1][..], 2));
        assert!(split.consensus.tie);
        let long = vec![vec![1, 2, 3, 4, 5, 6, 7]];
        assert_eq!(
            kemeny(&long),
            Err(QualityError::TooManyForKemeny { found: 7, max: 6 })
        );
    }
}
