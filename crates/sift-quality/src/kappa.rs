//! Kappa statistics for labels: Cohen's kappa per coder pair (and per coder against a
//! consensus), Fleiss' kappa for a fixed number of ratings per unit.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined};
use crate::ratings::Ratings;

/// A kappa with the agreement it was computed from: `(observed - expected) / (1 - expected)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kappa {
    /// The kappa: 1 is perfect agreement, 0 chance level, below 0 worse than chance.
    pub value: f64,
    /// Observed agreement `p_o` (Fleiss: mean per-unit pairwise agreement `P̄`).
    pub observed: f64,
    /// Agreement expected by chance `p_e` (Fleiss: `sum_j p_j^2`).
    pub expected: f64,
    /// Units the figure is computed on.
    pub units: usize,
}

fn kappa(observed: f64, expected: f64, units: usize) -> Result<Kappa> {
    if expected >= 1.0 {
        return Err(Undefined::NoVariation.into());
    }
    Ok(Kappa {
        value: (observed - expected) / (1.0 - expected),
        observed,
        expected,
        units,
    })
}

/// Cohen's kappa over paired labels (one pair per unit both coders rated). Chance agreement
/// comes from each coder's own label distribution: `p_e = sum_c p_a(c) p_b(c)`. Undefined
/// with no pair, or when both coders used one and the same label throughout.
/// Reference: `sklearn.metrics.cohen_kappa_score` (unweighted).
pub fn cohen_kappa_pairs<'a, V: Ord + 'a>(pairs: impl IntoIterator<Item = (&'a V, &'a V)>) -> Result<Kappa> {
    let mut first: BTreeMap<&V, usize> = BTreeMap::new();
    let mut second: BTreeMap<&V, usize> = BTreeMap::new();
    let (mut units, mut agreeing) = (0usize, 0usize);
    for (a, b) in pairs {
        *first.entry(a).or_insert(0) += 1;
        *second.entry(b).or_insert(0) += 1;
        agreeing += usize::from(a == b);
        units += 1;
    }
    if units == 0 {
        return Err(Undefined::NoPairableUnits.into());
    }
    let n = units as f64;
    let expected: f64 = first
        .iter()
        .filter_map(|(label, &ca)| second.get(label).map(|&cb| ca as f64 * cb as f64))
        .sum::<f64>()
        / (n * n);
    kappa(agreeing as f64 / n, expected, units)
}

/// Cohen's kappa between coders `a` and `b` of a matrix, on the units both rated.
pub fn cohen_kappa<V: Ord>(ratings: &Ratings<V>, a: usize, b: usize) -> Result<Kappa> {
    for coder in [a, b] {
        if coder >= ratings.coders() {
            return Err(QualityError::OutOfRange {
                unit: 0,
                coder,
                units: ratings.units(),
                coders: ratings.coders(),
            });
        }
    }
    cohen_kappa_pairs(ratings.pairs(a, b).map(|(_, x, y)| (x, y)))
}

/// One cell of a pairwise agreement table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairKappa {
    /// First coder (column index), `a < b`.
    pub a: usize,
    /// Second coder.
    pub b: usize,
    /// Units both rated.
    pub shared_units: usize,
    /// Cohen's kappa on those units, or why it is undefined.
    pub kappa: Result<Kappa, Undefined>,
}

/// Cohen's kappa for every pair of coders that share at least one unit: the annotator x
/// annotator agreement table of a batch or a project.
pub fn cohen_kappa_table<V: Ord>(ratings: &Ratings<V>) -> Vec<PairKappa> {
    let mut out = Vec::new();
    for a in 0..ratings.coders() {
        for b in a + 1..ratings.coders() {
            let shared_units = ratings.pairs(a, b).count();
            if shared_units == 0 {
                continue;
            }
            let kappa = match cohen_kappa(ratings, a, b) {
                Ok(k) => Ok(k),
                Err(QualityError::Undefined(why)) => Err(why),
                // Indices come from the matrix itself; no other error can occur.
                Err(_) => Err(Undefined::NoPairableUnits),
            };
            out.push(PairKappa {
                a,
                b,
                shared_units,
                kappa,
            });
        }
    }
    out
}

/// How one coder compares with a consensus, over the units where both exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusAgreement {
    /// Units the coder rated that have a consensus label.
    pub units: usize,
    /// Of those, units where the coder's label is the consensus.
    pub agreeing: usize,
    /// `agreeing / units`; undefined without units.
    pub share: Result<f64, Undefined>,
    /// Cohen's kappa between the coder and the consensus (chance-corrected).
    pub kappa: Result<Kappa, Undefined>,
}

/// Agreement of `coder` with consensus labels (`consensus[unit]`, `None` where there is none,
/// e.g. a tie). The consensus should not include the coder's own vote when it decides the
/// outcome: build it from [`Ratings::without_coder`] for a leave-one-out figure.
pub fn agreement_with_consensus<V: Ord>(
    ratings: &Ratings<V>,
    coder: usize,
    consensus: &[Option<V>],
) -> Result<ConsensusAgreement> {
    if consensus.len() != ratings.units() {
        return Err(QualityError::LengthMismatch {
            what: "consensus labels against units",
            left: consensus.len(),
            right: ratings.units(),
        });
    }
    let pairs: Vec<(&V, &V)> = (0..ratings.units())
        .filter_map(|u| Some((ratings.get(u, coder)?, consensus[u].as_ref()?)))
        .collect();
    let agreeing = pairs.iter().filter(|(a, b)| a == b).count();
    let units = pairs.len();
    let kappa = match cohen_kappa_pairs(pairs) {
        Ok(k) => Ok(k),
        Err(QualityError::Undefined(why)) => Err(why),
        Err(_) => Err(Undefined::NoPairableUnits),
    };
    Ok(ConsensusAgreement {
        units,
        agreeing,
        share: if units == 0 {
            Err(Undefined::NoPairableUnits)
        } else {
            Ok(agreeing as f64 / units as f64)
        },
        kappa,
    })
}

/// Fleiss' kappa: every rated unit must carry the same number `r >= 2` of ratings (units with
/// none are skipped; the coders may differ from unit to unit). `P_i = (sum_j n_ij^2 - r) /
/// (r (r - 1))`, `P̄` their mean, `p_j` the share of all ratings in category `j`, and
/// `kappa = (P̄ - sum p_j^2) / (1 - sum p_j^2)`.
/// Reference: `statsmodels.stats.inter_rater.fleiss_kappa(table, method="fleiss")`.
pub fn fleiss_kappa<V: Ord>(ratings: &Ratings<V>) -> Result<Kappa> {
    let mut per_rater: Option<usize> = None;
    let mut totals: BTreeMap<&V, usize> = BTreeMap::new();
    let (mut sum_p, mut units) = (0.0, 0usize);
    for u in 0..ratings.units() {
        let mut unit_counts: BTreeMap<&V, usize> = BTreeMap::new();
        for v in ratings.values(u) {
            *unit_counts.entry(v).or_insert(0) += 1;
        }
        let r: usize = unit_counts.values().sum();
        if r == 0 {
            continue;
        }
        match per_rater {
            None => per_rater = Some(r),
            Some(expected) if expected != r => {
                return Err(QualityError::UnequalRaters {
                    unit: u,
                    expected,
                    found: r,
                });
            }
            Some(_) => {}
        }
        Undefined::at_least("ratings per unit", 2, r)?;
        let squares: usize = unit_counts.values().map(|c| c * c).sum();
        sum_p += (squares - r) as f64 / (r * (r - 1)) as f64;
        for (v, c) in unit_counts {
            *totals.entry(v).or_insert(0) += c;
        }
        units += 1;
    }
    if units == 0 {
        return Err(Undefined::NoPairableUnits.into());
    }
    let all: usize = totals.values().sum();
    let expected: f64 = totals.values().map(|&c| (c as f64 / all as f64).powi(2)).sum();
    if totals.len() == 1 {
        return Err(Undefined::NoVariation.into());
    }
    kappa(sum_p / units as f64, expected, units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohen_by_hand() {
        // 10 units: 7 agree (4 "y", 3 "n"); a says y 6 times, b says y 5 times.
        let a = ["y", "y", "y", "y", "n", "n", "n", "y", "y", "n"];
        let b = ["y", "y", "y", "y", "n", "n", "n", "n", "n", "y"];
        let k = cohen_kappa_pairs(a.iter().zip(b.iter())).unwrap();
        let pe = (6.0 * 5.0 + 4.0 * 5.0) / 100.0;
        assert!((k.value - (0.7 - pe) / (1.0 - pe)).abs() < 1e-15);
        assert_eq!(k.units, 10);
        let same = ["y", "y"];
        assert_eq!(
            cohen_kappa_pairs(same.iter().zip(same.iter())),
            Err(QualityError::Undefined(Undefined::NoVariation))
        );
    }

    #[test]
    fn table_and_consensus() {
        let r = Ratings::from_rows([
            [Some('a'), Some('a'), None],
            [Some('b'), Some('a'), None],
            [Some('b'), Some('b'), None],
            [None, None, Some('a')],
        ])
        .unwrap();
        let table = cohen_kappa_table(&r);
        assert_eq!(table.len(), 1, "coder 2 shares no unit: {table:?}");
        assert_eq!((table[0].a, table[0].b, table[0].shared_units), (0, 1, 3));
        let consensus = [Some('a'), None, Some('b'), Some('a')];
        let c = agreement_with_consensus(&r, 0, &consensus).unwrap();
        assert_eq!((c.units, c.agreeing), (2, 2));
        assert_eq!(c.share, Ok(1.0));
        assert!(agreement_with_consensus(&r, 0, &consensus[..2]).is_err());
    }

    #[test]
    fn fleiss_needs_equal_rater_counts() {
        let r = Ratings::from_rows([[Some(1), Some(1), None], [Some(1), Some(2), Some(2)]]).unwrap();
        assert_eq!(
            fleiss_kappa(&r),
            Err(QualityError::UnequalRaters {
                unit: 1,
                expected: 2,
                found: 3
            })
        );
        let skip_empty = Ratings::from_rows([[None, None], [Some(1), Some(2)], [Some(2), Some(2)]]).unwrap();
        let k = fleiss_kappa(&skip_empty).unwrap();
        assert_eq!(k.units, 2);
    }
}
