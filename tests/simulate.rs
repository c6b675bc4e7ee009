//! `sift simulate` on the real `sift` binary and real data: scikit-learn's digits imported as a
//! classification project whose true digit sits in the `truth` field (and, with the real ONNX
//! Runtime, the demo's support tickets embedded by all-MiniLM-L6-v2). The same seed gives the
//! same numbers; the cost table and the SVG learning curves come out; a pool with one dominant
//! class still runs; a truth field missing on some lines is an error naming them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use serde_json::{Value, json};
use sift_tests::learning::*;
use sift_tests::*;

/// Everything in a report that must not depend on the run (all of it but nothing timed).
fn arms(report: &Value) -> Value {
    report["arms"].clone()
}

#[test]
fn simulate_on_digits_is_deterministic_and_prints_the_cost_case() {
    let dir = tempfile::tempdir().unwrap();
    let proj = digits_project(dir.path(), 600);
    let plot = dir.path().join("curves.svg");
    let args = [
        "simulate",
        "--json",
        "--truth",
        "truth",
        "--seeds",
        "3",
        "--rounds",
        "12",
        "--target",
        "0.85",
        "--seconds-per-label",
        "30",
        "--cost-per-hour",
        "40",
    ];
    let once = json_of(sift().args(args).arg("--plot").arg(&plot).arg("-p").arg(&proj));
    let again = json_of(sift().args(args).args(["--threads", "1", "-p"]).arg(&proj));
    assert_eq!(arms(&once), arms(&again), "same seeds, same numbers");

    let arms = once["arms"].as_array().unwrap();
    let names: Vec<&str> = arms.iter().map(|a| a["arm"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["random", "least-confidence", "margin", "ratio", "entropy"],
        "random and four strategies"
    );
    for arm in arms {
        let curve = arm["curve"].as_array().unwrap();
        assert_eq!(curve.len(), 13, "the initial set and 12 rounds");
        let labels: Vec<u64> = curve.iter().map(|p| p["labels"].as_u64().unwrap()).collect();
        assert!(labels.windows(2).all(|w| w[1] == w[0] + 10), "{labels:?}");
        assert_eq!(arm["runs"].as_array().unwrap().len(), 3);
        let t = &arm["targets"][0];
        assert_eq!(t["target"], 0.85);
        assert_eq!(t["seeds"], 3);
        // Accuracy grows with labels on digits (median, first point against last).
        let first = curve[0]["accuracy"]["median"].as_f64().unwrap();
        let last = curve[12]["accuracy"]["median"].as_f64().unwrap();
        assert!(last > first + 0.1, "{first} -> {last}");
    }
    // The cost table names what each strategy saves against random.
    let margin = arms
        .iter()
        .find(|a| a["arm"] == "margin")
        .unwrap_or_else(|| panic!("no margin arm in {names:?}"));
    assert!(
        margin["cost"].as_array().is_some_and(|c| !c.is_empty()),
        "{margin}"
    );

    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("</svg>"),
        "not an SVG document"
    );
    assert!(
        svg.contains("polyline") || svg.contains("path"),
        "no curves drawn"
    );

    // The text report: per strategy, the labels to reach the target and the cost against random.
    let text = sift()
        .arg("simulate")
        .args(&args[2..])
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    println!("{text}");
    assert!(text.contains("margin"), "{text}");
    assert!(text.contains("random"), "{text}");
    assert!(text.contains("Simulated in"), "{text}");

    // A plot is SVG or PNG: the same curves as an image.
    let e = user_error(
        sift()
            .args(["simulate", "--truth", "truth", "--plot", "curves.gif", "-p"])
            .arg(&proj),
    );
    assert!(e.contains("name a .svg or .png file"), "{e}");
    let png = dir.path().join("curves.png");
    let out = sift()
        .args([
            "simulate", "--truth", "truth", "--seeds", "2", "--rounds", "5", "--plot",
        ])
        .arg(&png)
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    // IHDR: width and height, big-endian, after the signature and the chunk's length and type.
    assert_eq!(&bytes[16..24], &[0, 0, 3, 0xc0, 0, 0, 2, 0x58], "960 x 600");
}

#[test]
fn a_truth_field_missing_on_some_lines_names_them_and_one_dominant_class_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = digits(300);
    rows[4].as_object_mut().unwrap().remove("truth");
    rows[9]["truth"] = json!("");
    let proj = project_with(
        dir.path(),
        &repo_root().join("tests/fixtures/learn/digits.toml"),
        &rows,
    );
    let e = user_error(sift().args(["simulate", "--truth", "truth", "-p"]).arg(&proj));
    assert!(
        e.contains("the truth field `truth` is missing or empty on 2 item(s): lines 5, 10"),
        "{e}"
    );
    let e = user_error(sift().args(["simulate", "--truth", "digit", "-p"]).arg(&proj));
    assert!(e.contains("missing or empty on 300 item(s)"), "{e}");

    // 90% zeros, the rest spread over the other digits.
    let all = digits(1797);
    let zeros: Vec<Value> = all.iter().filter(|r| r["truth"] == "0").cloned().collect();
    let others: Vec<Value> = all
        .iter()
        .filter(|r| r["truth"] != "0")
        .take(zeros.len() / 9)
        .cloned()
        .collect();
    let skewed: Vec<Value> = zeros.into_iter().chain(others).collect();
    let sub = dir.path().join("skewed");
    std::fs::create_dir(&sub).unwrap();
    let proj = project_with(
        &sub,
        &repo_root().join("tests/fixtures/learn/digits.toml"),
        &skewed,
    );
    let report = json_of(
        sift()
            .args([
                "simulate",
                "--json",
                "--truth",
                "truth",
                "--seeds",
                "2",
                "--rounds",
                "5",
                "--initial",
                "10",
                "-p",
            ])
            .arg(&proj),
    );
    for arm in report["arms"].as_array().unwrap() {
        for point in arm["curve"].as_array().unwrap() {
            let a = point["accuracy"]["median"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&a), "{a}");
        }
    }
}

#[test]
fn simulate_on_minilm_embeddings_of_the_demo_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let proj = tickets_project(dir.path(), 200);
    let report = json_of(
        sift()
            .args([
                "simulate",
                "--json",
                "--truth",
                "truth",
                "--features",
                "embeddings:all-minilm-l6-v2@1",
                "--seeds",
                "3",
                "--initial",
                "8",
                "--batch",
                "8",
                "--rounds",
                "8",
                "--target",
                "0.8",
                "-p",
            ])
            .arg(&proj),
    );
    let arms = report["arms"].as_array().unwrap();
    assert_eq!(arms.len(), 5);
    for arm in arms {
        let curve = arm["curve"].as_array().unwrap();
        let last = curve.last().unwrap()["accuracy"]["median"].as_f64().unwrap();
        println!(
            "{}: {last:.3} after {} labels",
            arm["arm"],
            curve.last().unwrap()["labels"]
        );
        // Four topics, 72 labels of real sentence embeddings: far above chance (0.25).
        assert!(last > 0.6, "{}: {last}", arm["arm"]);
    }
}
