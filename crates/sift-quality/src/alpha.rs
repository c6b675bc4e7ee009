//! Krippendorff's alpha (nominal, ordinal, interval, MASI and any distance), the MASI
//! distance, and the per-unit agreement that a report shows beside each item.
//!
//! All forms compute `alpha = 1 - D_o / D_e` over the pairable values (values of units that
//! carry at least two ratings), as Krippendorff (2011, "Computing Krippendorff's alpha
//! reliability") and the PyPI `krippendorff` package do:
//!
//! * `D_o = (1/n) * sum_u sum_{i != j in u} d(v_i, v_j) / (m_u - 1)`,
//! * `D_e = 1/(n (n-1)) * sum_{c, k} n_c n_k d(c, k)`,
//!
//! with `m_u` the number of ratings of unit `u`, `n_c` how often value `c` is pairable and
//! `n = sum n_c`. Nominal, ordinal and interval use closed forms that are linear in the number
//! of ratings; [`alpha_with`] (and MASI through it) is quadratic in the number of distinct
//! values.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined, finite};
use crate::ratings::{Ratings, pairable_units};

/// Krippendorff's alpha with the quantities it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Alpha {
    /// `1 - observed / expected`: 1 is perfect agreement, 0 agreement at chance level, below 0
    /// systematic disagreement.
    pub value: f64,
    /// Observed disagreement `D_o`.
    pub observed: f64,
    /// Disagreement expected by chance `D_e`.
    pub expected: f64,
    /// Units with at least two ratings.
    pub pairable_units: usize,
    /// Ratings on those units (`n`).
    pub pairable_values: usize,
}

fn finish(sum_observed: f64, sum_expected: f64, n: usize, units: usize) -> Result<Alpha> {
    if units == 0 {
        return Err(Undefined::NoPairableUnits.into());
    }
    let nf = n as f64;
    let observed = sum_observed / nf;
    let expected = sum_expected / (nf * (nf - 1.0));
    if expected <= 0.0 {
        return Err(Undefined::NoVariation.into());
    }
    Ok(Alpha {
        value: 1.0 - observed / expected,
        observed,
        expected,
        pairable_units: units,
        pairable_values: n,
    })
}

/// How often each distinct value occurs in `values`.
fn counts<'a, V: Ord + 'a>(values: impl IntoIterator<Item = &'a V>) -> BTreeMap<&'a V, usize> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v).or_insert(0) += 1;
    }
    out
}

/// Nominal alpha: the distance is 0 for equal values and 1 otherwise (labels, question
/// types). Reference: `krippendorff.alpha(level_of_measurement="nominal")`.
pub fn alpha_nominal<V: Ord>(ratings: &Ratings<V>) -> Result<Alpha> {
    let mut totals: BTreeMap<&V, usize> = BTreeMap::new();
    let (mut sum_observed, mut units) = (0.0, 0);
    for values in pairable_units(ratings) {
        let m = values.len();
        let unit_counts = counts(values.iter().copied());
        let same: usize = unit_counts.values().map(|c| c * c).sum();
        sum_observed += (m * m - same) as f64 / (m - 1) as f64;
        for (v, c) in unit_counts {
            *totals.entry(v).or_insert(0) += c;
        }
        units += 1;
    }
    let n: usize = totals.values().sum();
    if totals.len() == 1 {
        return Err(Undefined::NoVariation.into());
    }
    let same: usize = totals.values().map(|c| c * c).sum();
    finish(sum_observed, (n * n - same) as f64, n, units)
}

/// Interval alpha on units given as lists of at least two numbers each: the distance is the
/// squared difference, computed from centred sums of squares.
fn interval_core(units: &[Vec<f64>]) -> Result<Alpha> {
    let all = units.iter().flatten();
    let n = units.iter().map(Vec::len).sum::<usize>();
    let (lowest, highest) = all
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if units.is_empty() {
        return Err(Undefined::NoPairableUnits.into());
    }
    if lowest == highest {
        return Err(Undefined::NoVariation.into());
    }
    let mean = all.clone().sum::<f64>() / n as f64;
    let total_ss: f64 = all.map(|v| (v - mean) * (v - mean)).sum();
    let mut sum_observed = 0.0;
    for values in units {
        let m = values.len() as f64;
        let unit_mean = values.iter().sum::<f64>() / m;
        let ss: f64 = values.iter().map(|v| (v - unit_mean) * (v - unit_mean)).sum();
        // sum over ordered pairs i != j of (v_i - v_j)^2 = 2 m SS.
        sum_observed += 2.0 * m * ss / (m - 1.0);
    }
    finish(sum_observed, 2.0 * n as f64 * total_ss, n, units.len())
}

/// Interval alpha: the distance is `(a - b)^2` (scores, ratings on a numeric scale).
/// Ratings must be finite numbers. Reference: `level_of_measurement="interval"`.
pub fn alpha_interval(ratings: &Ratings<f64>) -> Result<Alpha> {
    let mut units = Vec::new();
    for u in 0..ratings.units() {
        let values: Vec<f64> = ratings
            .values(u)
            .map(|&v| finite("unit", u, v))
            .collect::<Result<_>>()?;
        if values.len() >= 2 {
            units.push(values);
        }
    }
    interval_core(&units)
}

/// Ordinal alpha: values are ordered by `V`'s `Ord` (for ranks: 1 before 2) and the distance
/// between `c` and `k` is `(sum_{g from c to k} n_g - (n_c + n_k) / 2)^2`. That equals the
/// squared difference of the values' mid-ranks among all pairable values, so this is interval
/// alpha on mid-ranks. Reference: `level_of_measurement="ordinal"`.
pub fn alpha_ordinal<V: Ord>(ratings: &Ratings<V>) -> Result<Alpha> {
    let pairable: Vec<Vec<&V>> = pairable_units(ratings).collect();
    let totals = counts(pairable.iter().flatten().copied());
    let mut mid_rank = BTreeMap::new();
    let mut before = 0.0;
    for (value, count) in totals {
        let count = count as f64;
        mid_rank.insert(value, before + count / 2.0);
        before += count;
    }
    let units: Vec<Vec<f64>> = pairable
        .iter()
        .map(|values| values.iter().map(|v| mid_rank[v]).collect())
        .collect();
    interval_core(&units)
}

/// Alpha with any distance: `distance(a, a)` must be 0, and `distance(a, b)` must equal
/// `distance(b, a)` and be at least 0. Cost: one distance per pair of ratings within a unit plus one per pair of distinct
/// pairable values.
pub fn alpha_with<V: Ord>(ratings: &Ratings<V>, distance: impl Fn(&V, &V) -> f64) -> Result<Alpha> {
    let mut totals: BTreeMap<&V, usize> = BTreeMap::new();
    let (mut sum_observed, mut units) = (0.0, 0);
    for values in pairable_units(ratings) {
        let m = values.len();
        let mut unit_sum = 0.0;
        for i in 0..m {
            for j in i + 1..m {
                unit_sum += 2.0 * distance(values[i], values[j]);
            }
            *totals.entry(values[i]).or_insert(0) += 1;
        }
        sum_observed += unit_sum / (m - 1) as f64;
        units += 1;
    }
    let n: usize = totals.values().sum();
    let distinct: Vec<(&V, usize)> = totals.into_iter().collect();
    let mut sum_expected = 0.0;
    for (i, (a, na)) in distinct.iter().enumerate() {
        for (b, nb) in &distinct[i + 1..] {
            sum_expected += 2.0 * (na * nb) as f64 * distance(a, b);
        }
    }
    finish(sum_observed, sum_expected, n, units)
}

/// MASI distance between two label sets (Passonneau 2006): `1 - J * M`, with `J` the Jaccard
/// index `|A ∩ B| / |A ∪ B|` and `M` 1 for equal sets, 2/3 when one contains the other, 1/3
/// when they overlap otherwise and 0 when disjoint. Two empty sets are equal (distance 0);
/// an empty set against a non-empty one is at distance 1. Matches NLTK's `masi_distance`.
pub fn masi_distance<V: Ord>(a: &BTreeSet<V>, b: &BTreeSet<V>) -> f64 {
    if a == b {
        return 0.0;
    }
    let common = a.intersection(b).count();
    let union = a.len() + b.len() - common;
    let monotonicity = if common == a.len().min(b.len()) {
        2.0 / 3.0
    } else if common > 0 {
        1.0 / 3.0
    } else {
        0.0
    };
    1.0 - common as f64 / union as f64 * monotonicity
}

/// Alpha for multi-label classification: each rating is a set of labels, compared with the
/// [`masi_distance`].
pub fn alpha_masi<V: Ord>(ratings: &Ratings<BTreeSet<V>>) -> Result<Alpha> {
    alpha_with(ratings, masi_distance)
}

/// Per-unit agreement for labels: the share of ordered pairs of ratings that are equal
/// (`sum_c n_c (n_c - 1) / (m (m - 1))`). Undefined below two ratings.
pub fn percent_agreement<V: Ord>(values: &[V]) -> Result<f64> {
    let m = values.len();
    Undefined::at_least("ratings", 2, m)?;
    let same: usize = counts(values).values().map(|c| c * (c - 1)).sum();
    Ok(same as f64 / (m * (m - 1)) as f64)
}

/// Per-unit agreement under a distance in `[0, 1]` (MASI for label sets): one minus the mean
/// distance over all pairs of ratings. Undefined below two ratings.
pub fn pairwise_agreement<V>(values: &[V], distance: impl Fn(&V, &V) -> f64) -> Result<f64> {
    let m = values.len();
    Undefined::at_least("ratings", 2, m)?;
    let mut total = 0.0;
    for i in 0..m {
        for j in i + 1..m {
            let d = distance(&values[i], &values[j]);
            if !(0.0..=1.0).contains(&d) {
                return Err(QualityError::InvalidParameter {
                    what: "a per-unit agreement distance",
                    rule: "between 0 and 1",
                    value: d,
                });
            }
            total += d;
        }
    }
    Ok(1.0 - total / (m * (m - 1) / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[&[Option<u32>]]) -> Ratings<u32> {
        Ratings::from_rows(data.iter().map(|r| r.to_vec())).unwrap()
    }

    #[test]
    fn krippendorff_worked_example() {
        // Krippendorff (2011), the 4 coders x 12 units example, transposed to units x coders:
        // alpha ordinal 0.815 (as documented by the PyPI package).
        let coders: [[Option<u32>; 12]; 4] = [
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(1),
                Some(4),
                Some(1),
                Some(2),
                None,
                None,
                None,
            ],
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(2),
                Some(4),
                Some(1),
                Some(2),
                Some(5),
                None,
                Some(3),
            ],
            [
                None,
                Some(3),
                Some(3),
                Some(3),
                Some(2),
                Some(3),
                Some(4),
                Some(2),
                Some(2),
                Some(5),
                Some(1),
                None,
            ],
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(4),
                Some(4),
                Some(1),
                Some(2),
                Some(5),
                Some(1),
                None,
            ],
        ];
        let r = Ratings::from_rows((0..12).map(|u| coders.iter().map(move |c| c[u]))).unwrap();
        let ordinal = alpha_ordinal(&r).unwrap();
        assert!((ordinal.value - 0.815).abs() < 5e-4, "{ordinal:?}");
        assert_eq!(ordinal.pairable_units, 11);
        // The same data through the generic path with the nominal distance.
        let nominal = alpha_nominal(&r).unwrap();
        let generic = alpha_with(&r, |a, b| f64::from(u8::from(a != b))).unwrap();
        assert!((nominal.value - generic.value).abs() < 1e-12);
        assert!((nominal.value - 0.743).abs() < 5e-4, "{nominal:?}");
    }

    #[test]
    fn undefined_cases_are_told_apart() {
        let lonely = rows(&[&[Some(1), None], &[None, Some(2)]]);
        assert_eq!(
            alpha_nominal(&lonely),
            Err(QualityError::Undefined(Undefined::NoPairableUnits))
        );
        let unanimous = rows(&[&[Some(1), Some(1)], &[Some(1), Some(1)], &[Some(2), None]]);
        for result in [
            alpha_nominal(&unanimous),
            alpha_ordinal(&unanimous),
            alpha_interval(&unanimous.map(|&v| f64::from(v))),
            alpha_with(&unanimous, |a, b| f64::from(u8::from(a != b))),
        ] {
            assert_eq!(result, Err(QualityError::Undefined(Undefined::NoVariation)));
        }
        // Equal values that a naive mean would perturb are still "no variation".
        let tenths = Ratings::from_rows([[Some(0.1), Some(0.1), Some(0.1)]]).unwrap();
        assert_eq!(
            alpha_interval(&tenths),
            Err(QualityError::Undefined(Undefined::NoVariation))
        );
        let bad = Ratings::from_rows([[Some(1.0), Some(f64::NAN)]]).unwrap();
        assert!(matches!(
            alpha_interval(&bad),
            Err(QualityError::NonFinite { index: 0, .. })
        ));
    }

    #[test]
    fn masi_distance_values() {
        let s = |v: &[u8]| v.iter().copied().collect::<BTreeSet<u8>>();
        assert_eq!(masi_distance(&s(&[1, 2]), &s(&[1, 2])), 0.0);
        assert!((masi_distance(&s(&[1, 2]), &s(&[1, 2, 3, 4])) - (1.0 - 0.5 * 2.0 / 3.0)).abs() < 1e-15);
        assert!((masi_distance(&s(&[1, 2]), &s(&[2, 3])) - (1.0 - 1.0 / 9.0)).abs() < 1e-15);
        assert_eq!(masi_distance(&s(&[1]), &s(&[2])), 1.0);
        assert_eq!(masi_distance(&s(&[]), &s(&[])), 0.0);
        assert_eq!(masi_distance(&s(&[]), &s(&[2])), 1.0);
    }

    #[test]
    fn per_unit_agreement() {
        assert_eq!(percent_agreement(&['a', 'a', 'b']).unwrap(), 1.0 / 3.0);
        assert_eq!(percent_agreement(&['a', 'a']).unwrap(), 1.0);
        assert!(percent_agreement(&['a']).is_err());
        let s = |v: &[u8]| v.iter().copied().collect::<BTreeSet<u8>>();
        let sets = [s(&[1]), s(&[1]), s(&[2])];
        assert!((pairwise_agreement(&sets, masi_distance).unwrap() - 1.0 / 3.0).abs() < 1e-15);
    }
}
