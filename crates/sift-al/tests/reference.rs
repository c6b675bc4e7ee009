//! sift-al's scores against the numpy reference in `tests/reference/cases.json`
//! (written by `tests/reference/make_reference.py`).

use serde_json::Value;
use sift_al::{Input, RowError, Strategy, score_rows, top_k};

const FIXTURE: &str = include_str!("reference/cases.json");

fn number(value: &Value) -> f32 {
    match value {
        Value::String(s) if s == "nan" => f32::NAN,
        Value::String(s) if s == "inf" => f32::INFINITY,
        Value::String(s) if s == "-inf" => f32::NEG_INFINITY,
        // The fixture holds exact float32 values written as float64.
        other => other.as_f64().expect("a number") as f32,
    }
}

struct Case {
    name: String,
    input: Input,
    n_classes: usize,
    matrix: Vec<f32>,
    expected: Vec<Value>,
}

fn cases() -> (f64, Vec<Case>) {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("valid fixture");
    let tolerance = fixture["tolerance"].as_f64().expect("tolerance");
    let cases = fixture["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| Case {
            name: case["name"].as_str().expect("name").to_owned(),
            input: match case["input"].as_str() {
                Some("logits") => Input::Logits,
                Some("probabilities") => Input::Probabilities,
                other => panic!("unknown input {other:?}"),
            },
            n_classes: case["n_classes"].as_u64().expect("n_classes") as usize,
            matrix: case["matrix"]
                .as_array()
                .expect("matrix")
                .iter()
                .flat_map(|row| row.as_array().expect("row").iter().map(number))
                .collect(),
            expected: case["expected"].as_array().expect("expected").clone(),
        })
        .collect();
    (tolerance, cases)
}

#[test]
fn scores_match_numpy() {
    let (tolerance, cases) = cases();
    assert!(cases.len() >= 20);
    assert_eq!(tolerance, 1e-6);
    let mut checked = 0;
    let mut worst = 0.0_f64;
    for case in &cases {
        let scores = score_rows(&case.matrix, case.n_classes, case.input).expect("well-shaped");
        assert_eq!(scores.len(), case.expected.len(), "{}", case.name);
        for (index, expected) in case.expected.iter().enumerate() {
            let got = scores.row(index).expect("in range");
            let context = format!("{} / row {index}: got {got:?}, expected {expected}", case.name);
            match expected["error"].as_str() {
                Some(kind) => {
                    let column = expected["column"].as_u64().map(|c| c as usize);
                    match (kind, got) {
                        ("non-finite", Err(RowError::NonFinite { column: c })) => {
                            assert_eq!(Some(c), column, "{context}")
                        }
                        ("negative", Err(RowError::Negative { column: c, .. })) => {
                            assert_eq!(Some(c), column, "{context}")
                        }
                        ("not-normalised", Err(RowError::NotNormalised { sum })) => {
                            let want = expected["sum"].as_f64().expect("sum");
                            assert!((sum - want).abs() < 1e-9, "{context}");
                        }
                        _ => panic!("wrong outcome: {context}"),
                    }
                    assert!(
                        Strategy::ALL.iter().all(|&s| scores.values(s)[index].is_nan()),
                        "bad rows hold NaN: {context}"
                    );
                }
                None => {
                    let row = got.unwrap_or_else(|e| panic!("unexpected error {e}: {context}"));
                    for strategy in Strategy::ALL {
                        let want = expected[strategy.name()].as_f64().expect("score");
                        let have = f64::from(row.get(strategy));
                        worst = worst.max((have - want).abs());
                        assert!(
                            (have - want).abs() <= tolerance,
                            "{strategy}: {have} vs {want} (diff {:e}): {context}",
                            (have - want).abs()
                        );
                        assert!((0.0..=1.0).contains(&have), "{context}");
                    }
                    checked += 1;
                }
            }
        }
        // Bad rows never rank, and the ranking agrees with a full sort of the reference.
        let valid: Vec<usize> = (0..case.expected.len())
            .filter(|&i| case.expected[i]["error"].is_null())
            .collect();
        for strategy in Strategy::ALL {
            let top = scores.top_k(strategy, case.expected.len());
            assert_eq!(top.len(), valid.len(), "{}", case.name);
            let mut sorted = top.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, valid, "{}", case.name);
            for pair in top.windows(2) {
                let (a, b) = (scores.values(strategy)[pair[0]], scores.values(strategy)[pair[1]]);
                assert!(
                    a > b || (a == b && pair[0] < pair[1]),
                    "{}: order {pair:?}",
                    case.name
                );
            }
        }
    }
    assert!(checked >= 140, "only {checked} scored rows checked");
    eprintln!("{checked} rows x 4 scores within {tolerance:e}; largest difference {worst:e}");
}

#[test]
fn ratio_direction_is_p2_over_p1() {
    // A confident row scores near 0, a torn row near 1: never the reverse.
    let probabilities = [0.98, 0.01, 0.01, 0.34, 0.33, 0.33];
    let scores = score_rows(&probabilities, 3, Input::Probabilities).expect("well-shaped");
    let confident = scores.row(0).expect("row").expect("valid").ratio;
    let torn = scores.row(1).expect("row").expect("valid").ratio;
    assert!((confident - 0.01 / 0.98).abs() < 1e-6, "{confident}");
    assert!((torn - 0.33 / 0.34).abs() < 1e-6, "{torn}");
    assert_eq!(scores.top_k(Strategy::Ratio, 1), vec![1]);

    let logits = [6.0, 0.0, 0.0, 0.1, 0.0, -0.1];
    let scores = score_rows(&logits, 3, Input::Logits).expect("well-shaped");
    let confident = scores.row(0).expect("row").expect("valid").ratio;
    assert!(
        (f64::from(confident) - (-6.0_f64).exp()).abs() < 1e-7,
        "{confident}"
    );
    assert_eq!(scores.top_k(Strategy::Ratio, 1), vec![1]);
}

#[test]
fn the_four_strategies_pick_different_items() {
    // Four items, four classes (the "four strategies disagree" fixture case).
    let probabilities = [
        0.18, 0.43, 0.16, 0.23, // flattest overall: entropy's pick
        0.27, 0.26, 0.39, 0.08, // lowest top class: least confidence's pick
        0.09, 0.33, 0.42, 0.16, // closest top two in absolute terms: margin's pick
        0.51, 0.05, 0.41, 0.03, // closest top two in relative terms: ratio's pick
    ];
    let scores = score_rows(&probabilities, 4, Input::Probabilities).expect("well-shaped");
    let picks: Vec<usize> = Strategy::ALL.iter().map(|&s| scores.top_k(s, 1)[0]).collect();
    assert_eq!(picks, vec![1, 2, 3, 0]);

    // The same disagreement from logits (log of the probabilities, shifted arbitrarily).
    let logits: Vec<f32> = probabilities.iter().map(|p: &f32| p.ln() + 3.0).collect();
    let from_logits = score_rows(&logits, 4, Input::Logits).expect("well-shaped");
    let picks: Vec<usize> = Strategy::ALL
        .iter()
        .map(|&s| from_logits.top_k(s, 1)[0])
        .collect();
    assert_eq!(picks, vec![1, 2, 3, 0]);
}

#[test]
fn top_k_on_score_columns_skips_bad_rows() {
    let logits = [0.0, 0.0, f32::NAN, 0.0, 0.0, 0.0, 5.0, 0.0];
    let scores = score_rows(&logits, 2, Input::Logits).expect("well-shaped");
    assert_eq!(scores.bad_rows().len(), 1);
    assert_eq!(scores.bad_rows()[0].index, 1);
    // Rows 0 and 2 tie (uniform): lower index first; row 1 is never returned.
    assert_eq!(scores.top_k(Strategy::Margin, 10), vec![0, 2, 3]);
    assert_eq!(top_k(scores.values(Strategy::Entropy), 2), vec![0, 2]);
}
