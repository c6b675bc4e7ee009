//! The heads against scikit-learn on fixed data: `tests/reference/cases.json`, written by
//! `tests/reference/make_reference.py` (StandardScaler + LogisticRegression, lbfgs, tight
//! tolerance; OneVsRestClassifier for multi-label; LogisticRegression without intercept on
//! symmetrised differences for Bradley-Terry).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

use std::collections::BTreeMap;

use serde_json::Value;
use sift_learn::{ClassWeights, ClassifierHead, Options, Preference, RewardHead, RewardOptions};

const FIXTURE: &str = include_str!("reference/cases.json");

fn matrix(v: &Value) -> (Vec<f64>, usize) {
    let rows = v.as_array().expect("rows");
    let flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
        })
        .collect();
    (flat, rows.len())
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn worst_difference(ours: &[f32], theirs: &[f64]) -> f64 {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max)
}

/// Options matching the fixture: scikit-learn ran at `tol = 1e-10`; ours runs tight as well so
/// that both sides sit at the optimum.
fn tight(c: f64, class_weights: ClassWeights) -> Options {
    Options {
        c,
        class_weights,
        tol: 1e-9,
        max_iter: 10_000,
        scaler: None,
    }
}

#[test]
fn heads_match_scikit_learn() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("valid fixture");
    let tolerance = fixture["tolerance"].as_f64().expect("tolerance");
    assert_eq!(tolerance, 1e-4);
    let mut checked = 0;
    for case in fixture["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let d = case["d"].as_u64().expect("d") as usize;
        let c = case["c"].as_f64().expect("c");
        match case["kind"].as_str().expect("kind") {
            kind @ ("single-label" | "multi-label") => {
                let (x, n) = matrix(&case["x_train"]);
                let (x_test, n_test) = matrix(&case["x_test"]);
                let weights = match &case["class_weight"] {
                    Value::Null => ClassWeights::Uniform,
                    Value::String(s) if s == "balanced" => ClassWeights::Balanced,
                    Value::Object(map) => ClassWeights::PerClass(
                        map.iter()
                            .map(|(k, v)| (k.parse().expect("class id"), v.as_f64().expect("weight")))
                            .collect::<BTreeMap<u32, f64>>(),
                    ),
                    other => panic!("{name}: class_weight {other}"),
                };
                let options = tight(c, weights);
                let head = if kind == "single-label" {
                    let labels: Vec<u32> = case["labels"]
                        .as_array()
                        .expect("labels")
                        .iter()
                        .map(|l| l.as_u64().expect("label") as u32)
                        .collect();
                    ClassifierHead::fit(&x, n, d, &labels, &options).expect(name)
                } else {
                    let (flags, _) = matrix(&case["labels"]);
                    let k = flags.len() / n;
                    let labels: Vec<bool> = flags.iter().map(|&v| v > 0.5).collect();
                    ClassifierHead::fit_multi_label(&x, n, d, &labels, k, &options).expect(name)
                };
                assert!(head.training().converged, "{name}: {:?}", head.training());
                let classes: Vec<u32> = floats(&case["classes"]).iter().map(|&v| v as u32).collect();
                assert_eq!(head.classes(), classes.as_slice(), "{name}");
                for (mine, theirs) in head.scaler().mean.iter().zip(floats(&case["mean"])) {
                    assert!(
                        (mine - theirs).abs() <= 1e-9 * theirs.abs().max(1.0),
                        "{name}: mean"
                    );
                }
                for (mine, theirs) in head.scaler().scale.iter().zip(floats(&case["scale"])) {
                    assert!(
                        (mine - theirs).abs() <= 1e-9 * theirs.abs().max(1.0),
                        "{name}: scale"
                    );
                }
                for (rows, nr, expected) in [(&x, n, "proba_train"), (&x_test, n_test, "proba_test")] {
                    let ours = head.predict_proba(rows, nr).expect(name);
                    let (theirs, _) = matrix(&case[expected]);
                    let worst = worst_difference(&ours, &theirs);
                    println!("{name} {expected}: worst |difference| {worst:.2e}");
                    assert!(worst <= tolerance, "{name} {expected}: {worst}");
                }
            }
            "reward" => {
                let (x, n) = matrix(&case["x"]);
                let pairs: Vec<Preference> = case["pairs"]
                    .as_array()
                    .expect("pairs")
                    .iter()
                    .map(|p| Preference {
                        winner: p[0].as_u64().expect("winner") as usize,
                        loser: p[1].as_u64().expect("loser") as usize,
                    })
                    .collect();
                let options = RewardOptions {
                    c,
                    tol: 1e-9,
                    max_iter: 10_000,
                    scaler: None,
                };
                let head = RewardHead::fit(&x, n, d, &pairs, &options).expect(name);
                assert!(head.training().converged, "{name}");
                let theirs = floats(&case["weights"]);
                for (mine, theirs) in head.weights().iter().zip(&theirs) {
                    assert!(
                        (mine - theirs).abs() <= tolerance,
                        "{name}: weights {mine} vs {theirs}"
                    );
                }
                let rewards = head.score(&x, n).expect(name);
                let worst = worst_difference(&rewards, &floats(&case["rewards"]));
                println!("{name}: worst |reward difference| {worst:.2e}");
                assert!(worst <= tolerance, "{name}: {worst}");
            }
            other => panic!("unknown kind {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}
