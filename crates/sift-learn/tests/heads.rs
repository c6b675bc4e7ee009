//! Heads on synthetic data: the reward head recovers a known linear reward, warm starts reach
//! the same optimum, serde round trips, and every kind of bad input gets its clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use sift_learn::{
    ClassifierHead, LearnError, Options, Preference, RewardHead, RewardOptions, Rng, evaluate_reward,
    pairwise_accuracy, ranking_pairs,
};

/// Standard normal draws (Box-Muller) from the crate's generator.
fn normal(rng: &mut Rng) -> f64 {
    let u1 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Three well-separated Gaussian classes in `d` dimensions.
fn blobs(n: usize, d: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = (i % 3) as u32;
        for j in 0..d {
            let centre = if j % 3 == class as usize { 3.0 } else { 0.0 };
            x.push((centre + normal(&mut rng)) as f32 * (j + 1) as f32 + 10.0);
        }
        y.push(class);
    }
    (x, y)
}

#[test]
fn reward_head_recovers_a_known_linear_reward() {
    let (n, d) = (300, 5);
    let mut rng = Rng::new(11);
    let scales = [1.0, 3.0, 0.5, 2.0, 10.0];
    let true_w = [1.5, -0.4, 2.0, 0.0, 0.15]; // raw-space reward weights
    let x: Vec<f64> = (0..n * d)
        .map(|i| normal(&mut rng) * scales[i % d] + 4.0)
        .collect();
    let reward = |i: usize| (0..d).map(|j| true_w[j] * x[i * d + j]).sum::<f64>();
    let mut pairs = Vec::new();
    for _ in 0..6000 {
        let (a, b) = (rng.below(n), rng.below(n));
        if a == b {
            continue;
        }
        // Bradley-Terry: a wins with probability sigmoid(r_a - r_b).
        let p = 1.0 / (1.0 + (reward(b) - reward(a)).exp());
        pairs.push(if uniform(&mut rng) < p {
            Preference { winner: a, loser: b }
        } else {
            Preference { winner: b, loser: a }
        });
    }
    let options = RewardOptions {
        c: 100.0,
        ..RewardOptions::default()
    };
    let head = RewardHead::fit(&x, n, d, &pairs, &options).unwrap();
    assert!(head.training().converged);
    // Back to raw space: r(x) = sum_j w_j (x_j - mean_j) / scale_j.
    let raw: Vec<f64> = head
        .weights()
        .iter()
        .zip(&head.scaler().scale)
        .map(|(w, s)| w / s)
        .collect();
    let dot: f64 = raw.iter().zip(&true_w).map(|(a, b)| a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let cosine = dot / (norm(&raw) * norm(&true_w));
    let scale = norm(&raw) / norm(&true_w);
    println!("recovered weights {raw:?}, cosine {cosine:.5}, scale {scale:.3}");
    assert!(cosine > 0.995, "cosine {cosine}");
    assert!((0.85..1.15).contains(&scale), "scale {scale}");
    // Noise-free held-out order: every pair of the first 50 items by true reward.
    let ranks: Vec<u32> = {
        let mut order: Vec<usize> = (0..50).collect();
        order.sort_by(|&a, &b| reward(b).total_cmp(&reward(a)));
        let mut ranks = vec![0; 50];
        order.iter().enumerate().for_each(|(r, &i)| ranks[i] = r as u32);
        ranks
    };
    let truth = ranking_pairs(&(0..50).collect::<Vec<_>>(), &ranks).unwrap();
    assert_eq!(truth.len(), 50 * 49 / 2);
    let acc = evaluate_reward(&head, &x, n, &truth).unwrap();
    println!("pairwise accuracy on the true order of 50 items: {acc:.4}");
    assert!(acc > 0.97, "{acc}");
    let p = RewardHead::preference_probability(2.0, 0.0);
    assert!((p - 0.880_797).abs() < 1e-6);
}

#[test]
fn ranking_pairs_skip_ties() {
    let pairs = ranking_pairs(&[10, 11, 12], &[2, 1, 2]).unwrap();
    assert_eq!(
        pairs,
        vec![
            Preference {
                winner: 11,
                loser: 10
            },
            Preference {
                winner: 11,
                loser: 12
            }
        ]
    );
    assert!(ranking_pairs(&[1, 2], &[1]).is_err());
    assert_eq!(
        pairwise_accuracy(&[0.0, 1.0, 0.0], &[Preference { winner: 1, loser: 0 }]).unwrap(),
        1.0
    );
}

#[test]
fn warm_start_reaches_the_same_optimum_and_serde_round_trips() {
    let (x, y) = blobs(240, 6, 3);
    let options = Options {
        tol: 1e-8,
        ..Options::default()
    };
    let small = ClassifierHead::fit(&x[..60 * 6], 60, 6, &y[..60], &options).unwrap();
    let cold = ClassifierHead::fit(&x, 240, 6, &y, &options).unwrap();
    let warm = ClassifierHead::fit_warm(&x, 240, 6, &y, &options, &small).unwrap();
    let (pc, pw) = (
        cold.predict_proba(&x, 240).unwrap(),
        warm.predict_proba(&x, 240).unwrap(),
    );
    let worst = pc
        .iter()
        .zip(&pw)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    assert!(worst < 1e-5, "{worst}");
    println!(
        "iterations cold {} warm {}",
        cold.training().iterations,
        warm.training().iterations
    );
    assert!(warm.training().iterations < cold.training().iterations);
    let json = serde_json::to_string(&cold).unwrap();
    let back: ClassifierHead = serde_json::from_str(&json).unwrap();
    back.validate().unwrap();
    assert_eq!(back.predict_proba(&x, 240).unwrap(), pc);
    assert_eq!(
        cold.predict(&x, 240)
            .unwrap()
            .iter()
            .zip(&y)
            .filter(|(a, b)| a == b)
            .count(),
        240
    );
    // Rows sum to one; a NaN row gives NaN probabilities and leaves the others alone.
    assert!(pc.chunks(3).all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-5));
    let mut bad = x[..12].to_vec();
    bad[7] = f32::NAN;
    let p = cold.predict_proba(&bad, 2).unwrap();
    assert!(p[..3].iter().all(|v| v.is_finite()) && p[3..].iter().all(|v| v.is_nan()));
    // A stored head with inconsistent sizes is refused.
    let broken = json.replacen("\"intercept\":[", "\"intercept\":[1.0,", 1);
    let broken: ClassifierHead = serde_json::from_str(&broken).unwrap();
    assert!(broken.validate().is_err());
}

#[test]
fn clear_errors_for_bad_input() {
    let (x, y) = blobs(30, 4, 5);
    let o = Options::default();
    assert_eq!(
        ClassifierHead::fit(&x[..4], 1, 4, &y[..1], &o).unwrap_err(),
        LearnError::TooFewLabels { got: 1, need: 2 }
    );
    let same = vec![2_u32; 30];
    let err = ClassifierHead::fit(&x, 30, 4, &same, &o).unwrap_err();
    assert_eq!(err, LearnError::SingleClass { class: 2 });
    assert_eq!(
        err.to_string(),
        "every labeled row has class 2: at least two classes are needed"
    );
    let mut nan = x.clone();
    nan[4 * 7 + 2] = f32::NAN;
    let err = ClassifierHead::fit(&nan, 30, 4, &y, &o).unwrap_err();
    assert_eq!(err.to_string(), "features: row 7, column 2 is NaN or infinite");
    let err = ClassifierHead::fit(&x[..119], 30, 4, &y, &o).unwrap_err();
    assert_eq!(err.to_string(), "features: expected 120 values, got 119");
    let err = ClassifierHead::fit(&x, 30, 4, &y[..29], &o).unwrap_err();
    assert_eq!(err.to_string(), "labels: expected 30 values, got 29");
    let err = ClassifierHead::fit(
        &x,
        30,
        4,
        &y,
        &Options {
            c: 0.0,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("invalid c:"), "{err}");
    let head = ClassifierHead::fit(&x, 30, 4, &y, &o).unwrap();
    let err = head.predict_proba(&x[..15], 5).unwrap_err();
    assert_eq!(err, LearnError::Width { expected: 4, got: 3 });
    let labels = [true, false].repeat(30); // label 0 on every row
    let err = ClassifierHead::fit_multi_label(&x, 30, 4, &labels, 2, &o).unwrap_err();
    assert_eq!(
        err,
        LearnError::ConstantLabel {
            label: 0,
            positive: true
        }
    );
    let r = RewardOptions::default();
    assert_eq!(
        RewardHead::fit(&x, 30, 4, &[], &r).unwrap_err(),
        LearnError::TooFewLabels { got: 0, need: 1 }
    );
    let err = RewardHead::fit(&x, 30, 4, &[Preference { winner: 3, loser: 30 }], &r).unwrap_err();
    assert!(err.to_string().contains("outside the feature rows"), "{err}");
    let err = RewardHead::fit(&x, 30, 4, &[Preference { winner: 3, loser: 3 }], &r).unwrap_err();
    assert!(err.to_string().contains("preferred to itself"), "{err}");
}
