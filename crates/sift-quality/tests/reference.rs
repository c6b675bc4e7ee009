//! sift-quality against the reference implementations (krippendorff, scikit-learn,
//! statsmodels, SciPy, NLTK, numpy) through the committed fixture
//! `tests/reference/cases.json`, written by `tests/reference/make_reference.py`; and a check
//! that re-runs that script, when the Python environment is there, and finds the same values.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;

use serde_json::Value;
use sift_quality::{
    Event, Mark, MatchCounts, Matched, Names, ObjectMatching, QualityError, Ratings, Z_95, alpha_interval,
    alpha_masi, alpha_nominal, alpha_ordinal, alpha_with, borda, cohen_kappa, fleiss_kappa, kemeny,
    kendall_tau_b, match_events, match_objects, median, span_overlap, spread, wilson,
};

const FIXTURE: &str = include_str!("reference/cases.json");
/// Largest difference allowed from a float64 reference, relative to `max(1, |expected|)`.
/// (Every measure agrees to about 1e-14 with the versions in the fixture.)
const TOLERANCE: f64 = 1e-12;

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("valid fixture")
}

fn cases<'a>(fixture: &'a Value, key: &str) -> &'a [Value] {
    fixture[key].as_array().expect("a list of cases")
}

/// `got` against an expected number, or against `null` (the reference says undefined).
fn check(got: Result<f64, QualityError>, expected: &Value, context: &str) {
    match (got, expected.as_f64()) {
        (Ok(g), Some(e)) => assert!(
            (g - e).abs() <= TOLERANCE * e.abs().max(1.0),
            "{context}: {g} vs {e} (diff {:e})",
            (g - e).abs()
        ),
        (Err(QualityError::Undefined(_)), None) if expected.is_null() => {}
        (got, _) => panic!("{context}: got {got:?}, expected {expected}"),
    }
}

/// Checks a matching's count (`matched`) and summed score (`score_key`) against the reference
/// case; returns the count.
fn check_matching(
    case: &Value,
    score_key: &str,
    context: &str,
    counts: &MatchCounts,
    matched: &[Matched],
) -> usize {
    assert_eq!(Some(counts.matched as u64), case["matched"].as_u64(), "{context}");
    check(
        Ok(matched.iter().map(|m| m.score).sum()),
        &case[score_key],
        context,
    );
    counts.matched
}

fn matrix<V>(units: &Value, cell: impl Fn(&Value) -> V) -> Ratings<V> {
    let rows: Vec<Vec<Option<V>>> = units
        .as_array()
        .expect("units")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|v| (!v.is_null()).then(|| cell(v)))
                .collect()
        })
        .collect();
    Ratings::from_rows(rows).expect("rectangular")
}

fn label(v: &Value) -> String {
    v.to_string()
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array().expect("a label set").iter().map(label).collect()
}

#[test]
fn krippendorff_alpha_matches_the_krippendorff_package() {
    let fixture = fixture();
    let mut levels = BTreeSet::new();
    for case in cases(&fixture, "alpha") {
        let name = case["name"].as_str().expect("name");
        let level = case["level"].as_str().expect("level");
        levels.insert(level);
        let units = &case["units"];
        let got = match level {
            "nominal" => {
                let r = matrix(units, label);
                // The closed form and the generic path agree.
                let generic = alpha_with(&r, |a, b| f64::from(u8::from(a != b)));
                check(
                    generic.map(|a| a.value),
                    &case["expected"],
                    &format!("{name} (generic)"),
                );
                alpha_nominal(&r)
            }
            "ordinal" => alpha_ordinal(&matrix(units, |v| v.as_i64().expect("integer rank"))),
            "interval" => alpha_interval(&matrix(units, |v| v.as_f64().expect("number"))),
            "masi" => alpha_masi(&matrix(units, set)),
            other => panic!("unknown level {other}"),
        };
        check(got.map(|a| a.value), &case["expected"], name);
    }
    assert_eq!(levels.len(), 4, "{levels:?}");
}

#[test]
fn cohen_kappa_matches_scikit_learn() {
    let fixture = fixture();
    for case in cases(&fixture, "cohen") {
        let (a, b) = (case["a"].as_array().expect("a"), case["b"].as_array().expect("b"));
        let rows: Vec<[Option<String>; 2]> = a
            .iter()
            .zip(b)
            .map(|(x, y)| [(!x.is_null()).then(|| label(x)), (!y.is_null()).then(|| label(y))])
            .collect();
        let r = Ratings::from_rows(rows).expect("two columns");
        check(
            cohen_kappa(&r, 0, 1).map(|k| k.value),
            &case["expected"],
            case["name"].as_str().expect("name"),
        );
    }
}

#[test]
fn fleiss_kappa_matches_statsmodels() {
    let fixture = fixture();
    for case in cases(&fixture, "fleiss") {
        let name = case["name"].as_str().expect("name");
        let got = fleiss_kappa(&matrix(&case["units"], label));
        if case["expected"] == "unequal-raters" {
            assert!(
                matches!(got, Err(QualityError::UnequalRaters { .. })),
                "{name}: {got:?}"
            );
        } else {
            check(got.map(|k| k.value), &case["expected"], name);
        }
    }
}

#[test]
fn kendall_tau_b_matches_scipy() {
    let fixture = fixture();
    let ints = |v: &Value| -> Vec<i64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_i64().expect("int"))
            .collect()
    };
    for case in cases(&fixture, "kendall") {
        let got = kendall_tau_b(&ints(&case["x"]), &ints(&case["y"]));
        check(
            got.map(|t| t.value),
            &case["expected"],
            case["name"].as_str().expect("name"),
        );
    }
}

#[test]
fn wilson_interval_matches_statsmodels_and_stats_match_numpy() {
    let fixture = fixture();
    for case in cases(&fixture, "wilson") {
        let (s, n) = (
            case["successes"].as_u64().expect("s"),
            case["trials"].as_u64().expect("n"),
        );
        let p = wilson(s, n, Z_95).expect("defined");
        let context = format!("{s}/{n}");
        check(Ok(p.lower), &case["lower"], &context);
        check(Ok(p.upper), &case["upper"], &context);
    }
    for case in cases(&fixture, "stats") {
        let values: Vec<f64> = case["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        let s = spread(&values).expect("non-empty");
        check(median(&values), &case["median"], "median");
        check(Ok(s.mean), &case["mean"], "mean");
        check(Ok(s.sd), &case["sd"], "sd");
    }
}

fn view(list: &[(f64, f64, String)]) -> Vec<Mark<'_>> {
    list.iter()
        .map(|(x, y, name)| Mark { x: *x, y: *y, name })
        .collect()
}

fn spans(v: &Value) -> Vec<Range<usize>> {
    v.as_array()
        .expect("spans")
        .iter()
        .map(|s| s[0].as_u64().expect("start") as usize..s[1].as_u64().expect("end") as usize)
        .collect()
}

#[test]
fn span_overlap_matches_character_sets() {
    let fixture = fixture();
    for case in cases(&fixture, "spans") {
        let got = span_overlap(&spans(&case["a"]), &spans(&case["b"]));
        let expected = &case["expected"];
        let context = format!("{} / {}", case["a"], case["b"]);
        if expected.is_null() {
            assert!(
                matches!(got, Err(QualityError::Undefined(_))),
                "{context}: {got:?}"
            );
            continue;
        }
        let got = got.expect("defined");
        assert_eq!(
            [got.overlap, got.left, got.right].map(|n| n as u64),
            [&expected["overlap"], &expected["left"], &expected["right"]].map(|v| v.as_u64().expect("count")),
            "{context}"
        );
        check(Ok(got.f1), &expected["f1"], &context);
    }
}

#[test]
fn object_and_event_matching_match_scipy_assignment() {
    let fixture = fixture();
    let mut matched_any = 0;
    for case in cases(&fixture, "objects") {
        let marks = |v: &Value| -> Vec<(f64, f64, String)> {
            v.as_array()
                .expect("marks")
                .iter()
                .map(|m| {
                    let name = m[2].as_str().expect("name").to_owned();
                    (m[0].as_f64().expect("x"), m[1].as_f64().expect("y"), name)
                })
                .collect()
        };
        let (a, b) = (marks(&case["a"]), marks(&case["b"]));
        let rule = ObjectMatching {
            radius: case["radius"].as_f64().expect("radius"),
            names: if case["names"] == "normalized" {
                Names::Normalized
            } else {
                Names::Ignore
            },
        };
        let (a, b) = (view(&a), view(&b));
        let got = match_objects(&a, &b, rule).expect("valid");
        let context = format!("objects {case}");
        matched_any += check_matching(case, "total_score", &context, &got.counts, &got.matched);
    }
    for case in cases(&fixture, "events") {
        let events = |v: &Value| -> Vec<Event> {
            v.as_array()
                .expect("events")
                .iter()
                .map(|e| Event {
                    start: e[0].as_f64().expect("start"),
                    end: e[1].as_f64().expect("end"),
                })
                .collect()
        };
        let threshold = case["threshold"].as_f64().expect("threshold");
        let got = match_events(&events(&case["a"]), &events(&case["b"]), threshold).expect("valid");
        let context = format!("events {case}");
        matched_any += check_matching(case, "total_iou", &context, &got.counts, &got.matched);
    }
    assert!(
        matched_any > 40,
        "the fixture exercises matching: {matched_any} pairs"
    );
}

#[test]
fn kemeny_matches_brute_force_and_borda_the_point_count() {
    let fixture = fixture();
    for case in cases(&fixture, "rankings") {
        let rankings: Vec<Vec<u32>> = case["rankings"]
            .as_array()
            .expect("rankings")
            .iter()
            .map(|r| {
                r.as_array()
                    .expect("ranking")
                    .iter()
                    .map(|v| v.as_u64().expect("rank") as u32)
                    .collect()
            })
            .collect();
        let context = format!("{rankings:?}");
        let k = kemeny(&rankings).expect("at most six responses");
        check(Ok(k.distance), &case["distance"], &context);
        assert_eq!(
            Some(k.optimal_orders),
            case["optimal_orders"].as_u64(),
            "{context}"
        );
        let order: Vec<u64> = k.order.iter().map(|&i| i as u64).collect();
        let expected: Vec<u64> = case["order"]
            .as_array()
            .expect("order")
            .iter()
            .map(|v| v.as_u64().expect("index"))
            .collect();
        assert_eq!(order, expected, "{context}");
        assert_eq!(k.consensus.tie, k.optimal_orders > 1);
        let n = rankings[0].len();
        if n >= 2 {
            let pairs = (rankings.len() * n * (n - 1) / 2) as f64;
            let support = k.consensus.support.expect("two or more responses");
            assert!((support - (1.0 - k.distance / pairs)).abs() < 1e-12, "{context}");
        }
        let b = borda(&rankings).expect("valid");
        for (got, want) in b
            .points
            .iter()
            .zip(case["borda_points"].as_array().expect("points"))
        {
            check(Ok(*got), want, &context);
        }
    }
}

/// The venv `make setup-python` creates (as `sift-onnx` looks for it).
fn venv_python() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let venv = env("SIFT_VENV")
        .or_else(|| env("XDG_CACHE_HOME").map(|c| c.join("sift/venv")))
        .or_else(|| env("HOME").map(|h| h.join(".cache/sift/venv")))?;
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

/// Every number within `tolerance`, everything else equal.
fn same(a: &Value, b: &Value, path: &str, tolerance: f64) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            if (x - y).abs() <= tolerance * x.abs().max(1.0) {
                Ok(())
            } else {
                Err(format!("{path}: {x} vs {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (x, y))| same(x, y, &format!("{path}[{i}]"), tolerance)),
        (Value::Object(x), Value::Object(y)) if x.keys().eq(y.keys()) => x
            .iter()
            .try_for_each(|(k, v)| same(v, &y[k], &format!("{path}.{k}"), tolerance)),
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn the_fixture_is_what_the_reference_script_writes_today() {
    let Some(python) = venv_python() else {
        eprintln!(
            "skipped: no Python venv (make setup-python, or set SIFT_VENV) to re-run the reference script"
        );
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/make_reference.py");
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("cases.json");
    let run = std::process::Command::new(&python)
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("python runs");
    if run.status.code() == Some(3) {
        eprintln!(
            "skipped: {} lacks a reference package: {}",
            python.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        );
        return;
    }
    assert!(
        run.status.success(),
        "make_reference.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let fresh: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    let committed = fixture();
    if fresh["versions"] != committed["versions"] {
        eprintln!(
            "reference versions differ: committed {} / installed {}",
            committed["versions"], fresh["versions"]
        );
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().map(|o| o.remove("versions"));
        v
    };
    if let Err(difference) = same(&strip(&fresh), &strip(&committed), "cases", 1e-12) {
        panic!("the committed fixture differs from what make_reference.py writes now: {difference}");
    }
}
