//! Property tests: invariants of the scores, the selection and the diversity sampling.

use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use sift_al::{Input, RowScores, Strategy, k_center_greedy, score_rows, top_k};

fn all_scores(matrix: &[f32], n: usize, input: Input) -> Vec<RowScores> {
    score_rows(matrix, n, input)
        .expect("well-shaped")
        .iter()
        .map(|row| row.expect("valid row"))
        .collect()
}

fn close(a: &RowScores, b: &RowScores, tolerance: f32) -> bool {
    Strategy::ALL
        .iter()
        .all(|&s| (a.get(s) - b.get(s)).abs() <= tolerance)
}

/// A matrix of `rows x n` logits drawn from `values`.
fn matrix(
    values: impl proptest::strategy::Strategy<Value = f32> + Clone,
) -> impl proptest::strategy::Strategy<Value = (usize, Vec<f32>)> {
    (1_usize..12, 1_usize..40)
        .prop_flat_map(move |(n, rows)| (Just(n), prop::collection::vec(values.clone(), n * rows)))
}

/// Logits on a 1/64 grid in [-50, 50]: adding an integer up to 1000 is exact in f32.
fn grid_logit() -> impl proptest::strategy::Strategy<Value = f32> + Clone {
    (-3200_i32..=3200).prop_map(|k| k as f32 / 64.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scores_are_in_the_unit_interval((n, m) in matrix(-1.0e6_f32..1.0e6)) {
        for row in all_scores(&m, n, Input::Logits) {
            for s in Strategy::ALL {
                prop_assert!((0.0..=1.0).contains(&row.get(s)), "{s} = {}", row.get(s));
            }
        }
    }

    #[test]
    fn extreme_finite_logits_never_fail((n, m) in matrix(prop::num::f32::NORMAL | prop::num::f32::ZERO)) {
        let scores = score_rows(&m, n, Input::Logits).expect("well-shaped");
        prop_assert!(scores.bad_rows().is_empty());
        for row in scores.iter() {
            let row = row.expect("valid");
            for s in Strategy::ALL {
                prop_assert!((0.0..=1.0).contains(&row.get(s)));
            }
        }
    }

    #[test]
    fn shifting_logits_changes_nothing((n, m) in matrix(grid_logit()), shift in -1000_i32..=1000) {
        let shifted: Vec<f32> = m.iter().map(|z| z + shift as f32).collect();
        for (a, b) in all_scores(&m, n, Input::Logits).iter().zip(&all_scores(&shifted, n, Input::Logits)) {
            prop_assert!(close(a, b, 1e-6), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn ratio_from_logits_is_exp_of_minus_the_top_gap((n, m) in matrix(-30.0_f32..30.0)) {
        prop_assume!(n >= 2);
        for (row, scores) in m.chunks_exact(n).zip(all_scores(&m, n, Input::Logits)) {
            let mut z: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
            z.sort_by(|a, b| b.total_cmp(a));
            let expected = (-(z[0] - z[1])).exp();
            prop_assert!((f64::from(scores.ratio) - expected).abs() <= 1e-6, "{} vs {expected}", scores.ratio);
        }
    }

    #[test]
    fn probabilities_and_logits_agree((n, m) in matrix(-20.0_f32..20.0)) {
        let mut probabilities = Vec::with_capacity(m.len());
        for row in m.chunks_exact(n) {
            let max = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(f64::from(b)));
            let e: Vec<f64> = row.iter().map(|&z| (f64::from(z) - max).exp()).collect();
            let s: f64 = e.iter().sum();
            probabilities.extend(e.iter().map(|v| (v / s) as f32));
        }
        let from_logits = all_scores(&m, n, Input::Logits);
        let from_probabilities = all_scores(&probabilities, n, Input::Probabilities);
        for (a, b) in from_logits.iter().zip(&from_probabilities) {
            // The f32 rounding of the probabilities themselves is the only difference.
            prop_assert!(close(a, b, 2e-6), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn class_order_does_not_matter((n, m) in matrix(-40.0_f32..40.0)) {
        let reversed: Vec<f32> = m.chunks_exact(n).flat_map(|row| row.iter().rev().copied()).collect();
        for (a, b) in all_scores(&m, n, Input::Logits).iter().zip(&all_scores(&reversed, n, Input::Logits)) {
            prop_assert!(close(a, b, 1e-6), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn rows_are_scored_independently((n, m) in matrix(-40.0_f32..40.0)) {
        let together = all_scores(&m, n, Input::Logits);
        for (row, expected) in m.chunks_exact(n).zip(&together) {
            let alone = all_scores(row, n, Input::Logits);
            prop_assert_eq!(alone[0], *expected);
        }
    }

    #[test]
    fn bad_values_are_reported_and_never_ranked(
        (n, mut m) in matrix(-5.0_f32..5.0),
        poison in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY])), 0..6),
    ) {
        for (at, value) in &poison {
            let i = at.index(m.len());
            m[i] = *value;
        }
        let scores = score_rows(&m, n, Input::Logits).expect("well-shaped");
        let bad: Vec<usize> = (0..m.len() / n).filter(|&r| m[r * n..(r + 1) * n].iter().any(|v| !v.is_finite())).collect();
        let reported: Vec<usize> = scores.bad_rows().iter().map(|b| b.index).collect();
        prop_assert_eq!(&reported, &bad);
        for s in Strategy::ALL {
            let top = scores.top_k(s, usize::MAX);
            prop_assert_eq!(top.len(), m.len() / n - bad.len());
            prop_assert!(top.iter().all(|i| !bad.contains(i)));
        }
    }

    #[test]
    fn top_k_is_a_stable_descending_prefix(values in prop::collection::vec(prop_oneof![
        8 => (0_u8..20).prop_map(|v| f32::from(v) / 20.0),
        1 => Just(f32::NAN),
    ], 0..300), k in 0_usize..320) {
        let mut reference: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_finite()).collect();
        reference.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
        reference.truncate(k);
        prop_assert_eq!(top_k(&values, k), reference);
    }

    #[test]
    fn k_center_picks_distinct_valid_items(
        dim in 1_usize..6,
        points in prop::collection::vec(-10.0_f32..10.0, 0..240),
        labelled in prop::collection::vec(-10.0_f32..10.0, 0..24),
        k in 0_usize..30,
    ) {
        let pool = &points[..points.len() / dim * dim];
        let labelled = &labelled[..labelled.len() / dim * dim];
        let picks = k_center_greedy(pool, labelled, dim, k).expect("well-shaped");
        prop_assert_eq!(picks.len(), k.min(pool.len() / dim));
        let mut sorted = picks.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), picks.len());
        prop_assert_eq!(k_center_greedy(pool, labelled, dim, k).expect("well-shaped"), picks);
    }
}
