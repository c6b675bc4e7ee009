//! The simulation on scikit-learn's digits (the committed fixture) and on synthetic pools:
//! determinism, a dominant class, bad input, the plot, and the digits target.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failing loudly is the point

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use sift_learn::{
    Arm, LearnError, PlotOptions, SimConfig, SimData, SimWatch, Strategy, learning_curves_png,
    learning_curves_svg, simulate, simulate_watched,
};
use support::digits::digits;

fn small(seeds: u64, rounds: usize) -> SimConfig {
    SimConfig {
        seeds: (0..seeds).collect(),
        rounds,
        seconds_per_label: Some(36.0),
        cost_per_hour: Some(50.0),
        ..SimConfig::default()
    }
}

#[test]
fn same_seed_same_numbers_whatever_the_threads() {
    let (x, y) = digits();
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 64,
        labels: &y,
    };
    let mut config = small(3, 6);
    config.arms = Arm::standard(false)
        .into_iter()
        .chain([Arm::Uncertainty {
            strategy: Strategy::Margin,
            diverse: true,
        }])
        .collect();
    let a = simulate(&data, &config).unwrap();
    let b = simulate(&data, &config).unwrap();
    config.threads = 2;
    let c = simulate(&data, &config).unwrap();
    let json = |r| serde_json::to_string(r).unwrap();
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.arms, c.arms);
    // A different seed gives a different curve.
    config.seeds = vec![3, 4, 5];
    let d = simulate(&data, &config).unwrap();
    assert_ne!(a.arms[0].runs[0].accuracy, d.arms[0].runs[0].accuracy);
    // Shapes: 7 points per run, the same initial set for every arm of a seed.
    assert_eq!((a.pool, a.test), (1198, 599));
    for arm in &a.arms {
        assert_eq!(arm.runs.len(), 3);
        assert_eq!(arm.curve.len(), 7);
        assert_eq!(
            arm.curve.iter().map(|p| p.labels).collect::<Vec<_>>(),
            vec![10, 20, 30, 40, 50, 60, 70]
        );
        for (run, first) in arm.runs.iter().zip(&a.arms[0].runs) {
            assert_eq!(
                run.accuracy[0], first.accuracy[0],
                "{}: same initial set, same first fit",
                arm.arm
            );
        }
    }
    // The report round-trips through JSON (floats to within serde_json's parsing, an ulp) and
    // prints.
    let back: sift_learn::SimReport = serde_json::from_str(&json(&a)).unwrap();
    assert_eq!(back.config, a.config);
    for (x, y) in back.arms.iter().zip(&a.arms) {
        assert_eq!(
            (x.arm, x.targets.len(), x.runs.len()),
            (y.arm, y.targets.len(), y.runs.len())
        );
        for (rx, ry) in x.runs.iter().zip(&y.runs) {
            assert_eq!(rx.labels, ry.labels);
            assert!(
                rx.accuracy
                    .iter()
                    .zip(&ry.accuracy)
                    .all(|(p, q)| (p - q).abs() < 1e-15)
            );
        }
    }
    let text = a.to_string();
    assert_eq!(back.to_string(), text);
    assert!(
        text.contains("margin+diverse") && text.contains("Labels to reach a test accuracy"),
        "{text}"
    );
}

/// Two Gaussian classes and a rare third; 95% of the pool is class 0.
/// Counts the rounds and asks to stop once `stop_after` of them are done (never when `None`).
struct Counter {
    rounds: AtomicUsize,
    stop_after: Option<usize>,
}

impl SimWatch for Counter {
    fn round_done(&self) {
        self.rounds.fetch_add(1, Ordering::Relaxed);
    }
    fn cancelled(&self) -> bool {
        self.stop_after
            .is_some_and(|n| self.rounds.load(Ordering::Relaxed) >= n)
    }
}

#[test]
fn a_watched_run_counts_every_round_changes_nothing_and_stops_when_asked() {
    let (x, y) = digits();
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 64,
        labels: &y,
    };
    let mut config = small(3, 6);
    config.threads = 2;
    let plain = simulate(&data, &config).unwrap();
    let watch = Counter {
        rounds: AtomicUsize::new(0),
        stop_after: None,
    };
    let watched = simulate_watched(&data, &config, &watch).unwrap();
    assert_eq!(plain, watched, "watching changes no number");
    // 3 seeds x 5 arms x (6 rounds + the initial fit).
    assert_eq!(watch.rounds.load(Ordering::Relaxed), 3 * 5 * 7);

    let stop = Counter {
        rounds: AtomicUsize::new(0),
        stop_after: Some(10),
    };
    assert_eq!(
        simulate_watched(&data, &config, &stop).unwrap_err(),
        LearnError::Cancelled
    );
    let done = stop.rounds.load(Ordering::Relaxed);
    assert!((10..3 * 5 * 7).contains(&done), "{done} rounds after the stop");
}

fn dominant_pool() -> (Vec<f32>, Vec<u32>) {
    let mut rng = sift_learn::Rng::new(9);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..600 {
        let class = if i % 20 == 0 {
            1
        } else if i % 97 == 0 {
            2
        } else {
            0
        };
        for j in 0..5 {
            let noise = (rng.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
            x.push(noise * 2.0 + if j == class as usize { 1.5 } else { 0.0 });
        }
        y.push(class);
    }
    (x, y)
}

#[test]
fn a_pool_with_one_dominant_class() {
    let (x, y) = dominant_pool();
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 5,
        labels: &y,
    };
    let mut config = small(6, 8);
    config.initial = 3; // often a single class at first: those rounds predict it and pick at random
    config.batch = 5;
    config.arms = Arm::standard(false)
        .into_iter()
        .chain(Arm::standard(true).into_iter().skip(1))
        .collect();
    let report = simulate(&data, &config).unwrap();
    assert_eq!(report.classes, 3);
    for arm in &report.arms {
        for run in &arm.runs {
            assert_eq!(run.labels.len(), 9, "{}", arm.arm);
            assert!(run.accuracy.iter().all(|a| (0.0..=1.0).contains(a)));
            // Always predicting class 0 already scores about 0.93.
            assert!(
                run.accuracy[0] >= 0.85,
                "{} seed {}: {:?}",
                arm.arm,
                run.seed,
                run.accuracy
            );
        }
    }
}

#[test]
fn bad_input_is_refused_clearly() {
    let (x, y) = dominant_pool();
    let config = small(1, 2);
    let data = SimData {
        features: &x,
        n: 600,
        d: 5,
        labels: &y[..599],
    };
    assert_eq!(
        simulate(&data, &config).unwrap_err().to_string(),
        "labels: expected 600 values, got 599"
    );
    let mut nan = x.clone();
    nan[5 * 42 + 1] = f32::NAN;
    let data = SimData {
        features: &nan,
        n: 600,
        d: 5,
        labels: &y,
    };
    assert_eq!(
        simulate(&data, &config).unwrap_err().to_string(),
        "features: row 42, column 1 is NaN or infinite"
    );
    let same = vec![4; 600];
    let data = SimData {
        features: &x,
        n: 600,
        d: 5,
        labels: &same,
    };
    assert_eq!(
        simulate(&data, &config).unwrap_err(),
        LearnError::SingleClass { class: 4 }
    );
    let data = SimData {
        features: &x[..50],
        n: 10,
        d: 5,
        labels: &y[..10],
    };
    let err = simulate(
        &data,
        &SimConfig {
            initial: 9,
            ..small(1, 2)
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("the pool holds"), "{err}");
    let data = SimData {
        features: &x,
        n: 600,
        d: 5,
        labels: &y,
    };
    for bad in [
        SimConfig {
            seeds: vec![],
            ..small(1, 2)
        },
        SimConfig {
            batch: 0,
            ..small(1, 2)
        },
        SimConfig {
            initial: 1,
            ..small(1, 2)
        },
        SimConfig {
            targets: vec![1.5],
            ..small(1, 2)
        },
        SimConfig {
            test_fraction: 1.0,
            ..small(1, 2)
        },
        SimConfig {
            seconds_per_label: Some(-1.0),
            ..small(1, 2)
        },
    ] {
        assert!(
            matches!(simulate(&data, &bad), Err(LearnError::InvalidOption { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn the_plot_draws_every_arm() {
    let (x, y) = digits();
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 64,
        labels: &y,
    };
    let report = simulate(&data, &small(2, 4)).unwrap();
    let svg = learning_curves_svg(&report, &PlotOptions::default()).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for arm in &report.arms {
        // plotters writes each text on its own line.
        assert!(
            svg.contains(&format!("\n{}\n</text>", arm.arm)),
            "legend entry for {}",
            arm.arm
        );
    }
    assert!(svg.contains("test accuracy") && svg.contains("labeled items"));
    // One band (polygon) per arm.
    assert_eq!(svg.matches("<polygon").count(), report.arms.len());

    // The same plot as a PNG: decoded, its size, a white ground, and the arms' colours drawn.
    let png = learning_curves_png(&report, &PlotOptions::default()).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(
        (info.width, info.height, info.color_type),
        (960, 600, png::ColorType::Rgb)
    );
    let rgb: Vec<[u8; 3]> = pixels.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    let white = rgb.iter().filter(|p| **p == [255, 255, 255]).count();
    assert!(
        white > rgb.len() / 2,
        "mostly white ground: {white} of {}",
        rgb.len()
    );
    // Random in grey (110, 110, 110) and the first strategy in blue (0, 114, 178), as lines.
    for colour in [[110, 110, 110], [0, 114, 178]] {
        let n = rgb.iter().filter(|p| **p == colour).count();
        assert!(n > 200, "{colour:?} drawn on {n} pixels");
    }
    // Text is drawn (the compiled-in font): the title's row band holds dark pixels.
    let dark_in_title = rgb[..960 * 40]
        .iter()
        .filter(|p| p.iter().all(|c| *c < 100))
        .count();
    assert!(dark_in_title > 100, "title text: {dark_in_title} dark pixels");
    assert!(
        learning_curves_png(
            &report,
            &PlotOptions {
                width: 0,
                ..PlotOptions::default()
            }
        )
        .is_err()
    );
}

/// The target of issue 16 on digits: 10 initial labels, batches of 10, 20 seeds, a third held
/// out; margin or ratio reaches 90% test accuracy with at least 35% fewer labels than random
/// (median over seeds). Every strategy's figures are printed (run with --nocapture).
///
/// The workspace builds sift-learn and sift-al optimised even in debug builds (Cargo.toml), so
/// this runs in every `cargo test`; `bench/learn/run.sh` checks the same target with timings.
#[test]
fn digits_margin_or_ratio_saves_at_least_35_percent() {
    let (x, y) = digits();
    let data = SimData {
        features: &x,
        n: y.len(),
        d: 64,
        labels: &y,
    };
    let config = SimConfig {
        targets: vec![0.9],
        ..SimConfig::default()
    };
    let report = simulate(&data, &config).unwrap();
    println!("{report}");
    let median = |name: &str| {
        let arm = report.arms.iter().find(|a| a.arm.to_string() == name).unwrap();
        assert_eq!(arm.targets[0].reached, 20, "{name}: every seed reaches 90%");
        arm.targets[0].median.unwrap()
    };
    let random = median("random");
    let best = median("margin").min(median("ratio"));
    let saved = 1.0 - best / random;
    println!(
        "random {random}, best of margin/ratio {best}: {:.0}% fewer labels",
        saved * 100.0
    );
    assert!(saved >= 0.35, "{saved}");
}
