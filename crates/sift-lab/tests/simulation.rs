//! The Simulation view on real data and a real simulation: scikit-learn's digits (the committed
//! fixture) imported as a classification project whose true digit sits in `truth`. The view
//! lists the field, runs the simulation as a job (`Ctrl+Enter`), and shows exactly what
//! `sift simulate --json` reports for the same project and seeds — the report itself and every
//! table cell; its SVG and JSON exports are the CLI's `--plot` and `--json` files; `Esc`
//! cancels a long run; a truth field missing on some items is refused naming their lines; a
//! project without a class-like field says so. Snapshots of each state, both themes.
//!
//! The `sift` binary is compared too when it is built (`make test` builds every binary first;
//! `SIFT_BIN` names another): the same options through the CLI give the same document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use std::path::{Path, PathBuf};

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use sift_api::{ImportOptions, NoProgress, Project, SimulateOptions};
use sift_lab::LabApp;
use sift_lab::views::simulation::{CANCELLED, ExportKind, NO_TRUTH};
use support::*;

/// The first `n` digits as manifest rows: `source`, 64 `features`, the digit in `truth`.
fn digits(n: usize) -> Vec<Value> {
    let text = std::fs::read_to_string(repo().join("crates/sift-learn/tests/fixtures/digits.txt")).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            let (label, pixels) = line.split_once(' ').unwrap();
            let features: Vec<u32> = pixels.chars().map(|c| c.to_digit(17).unwrap()).collect();
            json!({"source": format!("Digit image {i}."), "features": features, "truth": label})
        })
        .collect();
    assert_eq!(rows.len(), n);
    rows
}

/// A digits project (tests/fixtures/learn/digits.toml) at `dir/name` holding `rows`.
fn project_with(dir: &Path, name: &str, rows: &[Value]) -> PathBuf {
    let folder = dir.join(name);
    let mut p =
        sift_api::init_project(&folder, &repo().join("tests/fixtures/learn/digits.toml"), None).unwrap();
    let manifest = dir.join(format!("{name}.jsonl"));
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&manifest, text).unwrap();
    p.import(&manifest, &ImportOptions::default(), &NoProgress)
        .unwrap();
    folder
}

/// The settings of the run: as `sift simulate --truth truth --seeds 3 --rounds 12 --target 0.85
/// --seconds-per-label 30 --cost-per-hour 40`.
const CLI_ARGS: [&str; 13] = [
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
    "--json",
];

fn set_small_run(h: &mut Harness<'_, LabApp>) {
    let s = &mut h.state_mut().views.simulation.settings;
    s.seeds = 3;
    s.rounds = 12;
    s.targets = "0.85".into();
    s.seconds_per_label = "30".into();
    s.cost_per_hour = "40".into();
}

/// The `sift` binary: `SIFT_BIN`, else the one built beside this test (`make test` builds every
/// binary of the workspace before running tests).
fn sift_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("SIFT_BIN") {
        return Some(PathBuf::from(bin));
    }
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("sift");
    bin.is_file().then_some(bin)
}

fn fmt_opt(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"))
}

fn spread(v: &Value, decimals: usize) -> String {
    let f = |k: &str| v[k].as_f64().unwrap();
    format!(
        "{:.d$} [{:.d$}-{:.d$}]",
        f("median"),
        f("q1"),
        f("q3"),
        d = decimals
    )
}

/// Every table cell the report's JSON implies, as `sift simulate` prints its numbers.
fn expected_cells(report: &Value) -> Vec<String> {
    let mut cells = Vec::new();
    for arm in report["arms"].as_array().unwrap() {
        for t in arm["targets"].as_array().unwrap() {
            cells.push(match t["median"].as_f64() {
                Some(m) => format!(
                    "{m:.0} [{}-{}] {}/{}",
                    fmt_opt(&t["q1"]),
                    fmt_opt(&t["q3"]),
                    t["reached"],
                    t["seeds"]
                ),
                None => format!("not reached {}/{}", t["reached"], t["seeds"]),
            });
        }
        for b in arm["budgets"].as_array().unwrap() {
            cells.push(spread(&b["accuracy"], 3));
        }
        cells.push(spread(&arm["auc"], 4));
        for c in arm["cost"].as_array().unwrap() {
            if let (Some(l), Some(f)) = (c["labels_saved"].as_f64(), c["fraction_saved"].as_f64()) {
                cells.push(format!("{l:.0} ({:.0}%)", f * 100.0));
                cells.push(format!("{:.2}", c["hours_saved"].as_f64().unwrap()));
                cells.push(format!("{:.2}", c["money_saved"].as_f64().unwrap()));
            }
        }
    }
    cells
}

fn open_simulation(h: &mut Harness<'_, LabApp>, items: usize) {
    wait_label(h, &format!("{items} items"));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num8);
    wait_label_contains(h, "Simulation: what active learning would save");
}

fn simulation_job_running(h: &Harness<'_, LabApp>) -> bool {
    h.state().backend().is_some_and(|b| {
        b.jobs
            .running
            .iter()
            .any(|j| j.kind == sift_lab::views::simulation::JOB_KIND && !j.is_finished())
    })
}

#[test]
fn the_view_shows_what_sift_simulate_reports_and_exports_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with(dir.path(), "digits", &digits(600));
    let opts = SimulateOptions {
        truth: "truth".into(),
        seeds: Some(3),
        rounds: Some(12),
        targets: vec![0.85],
        seconds_per_label: Some(30.0),
        cost_per_hour: Some(40.0),
        ..SimulateOptions::default()
    };
    let report = Project::open(&project).unwrap().simulate(&opts).unwrap();
    // What `sift simulate --json` prints (`Out::emit`: the report, pretty, and a newline).
    let cli_json = serde_json::to_string_pretty(&report).unwrap() + "\n";
    let expected: Value = serde_json::from_str(&cli_json).unwrap();
    let cli_svg = sift_api::learning_curves_svg(&report).unwrap();
    if let Some(sift) = sift_binary() {
        let svg = dir.path().join("cli.svg");
        let out = std::process::Command::new(&sift)
            .arg("simulate")
            .args(CLI_ARGS)
            .arg("--plot")
            .arg(&svg)
            .arg("-p")
            .arg(&project)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            cli_json,
            "{}",
            sift.display()
        );
        assert_eq!(std::fs::read_to_string(&svg).unwrap(), cli_svg);
        println!("compared with {}", sift.display());
    } else {
        println!(
            "no `sift` binary built: compared with Project::simulate, which `sift simulate --json` prints"
        );
    }
    let cells = expected_cells(&expected);
    assert!(cells.len() > 20, "{cells:?}");

    for (theme, name) in [(egui::Theme::Dark, "dark"), (egui::Theme::Light, "light")] {
        let mut h = lab(&project, theme, dir.path());
        open_simulation(&mut h, 600);
        wait_for(&mut h, "the item fields", |h| {
            h.state().views.simulation.candidates.is_some()
        });
        assert_eq!(
            h.state().views.simulation.settings.truth.as_deref(),
            Some("truth"),
            "the class-like field is chosen"
        );
        // The list, as the lead reads it.
        h.get_by_label("Truth field").click();
        let option = "truth — 10 values, on all 600 items";
        wait_for(&mut h, "the list of fields", |h| {
            h.query_by_role_and_label(egui::accesskit::Role::Button, option)
                .is_some()
        });
        h.get_by_label_contains("source — 600 values, on all 600 items");
        h.get_by_role_and_label(egui::accesskit::Role::Button, option)
            .click();
        // Keyboard focus on *Run simulation* shows its ring.
        h.get_by_label("Run simulation").focus();
        h.run_steps(2);
        snapshot(&mut h, &format!("simulation-settings-{name}"));

        set_small_run(&mut h);
        h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
        wait_for(&mut h, "the simulation", |h| {
            h.state().views.simulation.finished.is_some() || h.state().views.simulation.failed.is_some()
        });
        assert_eq!(h.state().views.simulation.failed, None);
        wait_label(&mut h, "Labels to reach a test accuracy");
        let shown = h.state().views.simulation.finished.clone().unwrap();
        assert_eq!(
            serde_json::to_value(&*shown.report).unwrap(),
            expected,
            "the same report"
        );
        for cell in &cells {
            assert!(
                h.query_all_by_label(cell).next().is_some(),
                "no cell {cell:?} in the window"
            );
        }
        for arm in ["random", "least-confidence", "margin", "ratio", "entropy"] {
            assert!(h.query_all_by_label(arm).next().is_some(), "no row for {arm}");
        }
        h.get_by_label("Learning curves of 5 strategies over 3 seeds");
        // Tall enough for the curves and every table.
        h.set_size(egui::vec2(1280.0, 1400.0));
        let image = snapshot(&mut h, &format!("simulation-results-{name}"));
        let lum = luminance(&image);
        assert!(
            if name == "dark" { lum < 90.0 } else { lum > 160.0 },
            "{name}: {lum}"
        );

        if name == "dark" {
            // Exports, as the save dialog hands the path over: the CLI's files.
            for (kind, file, want) in [
                (ExportKind::Svg, "curves.svg", &cli_svg),
                (ExportKind::Json, "report.json", &cli_json),
            ] {
                let path = dir.path().join(file);
                h.state_mut().views.simulation.exported = None;
                h.state_mut().views.simulation.export_request = Some((kind, path.clone()));
                wait_for(&mut h, "the export", |h| {
                    h.state().views.simulation.exported.is_some()
                });
                let exported = h.state().views.simulation.exported.clone().unwrap();
                assert_eq!(exported, Ok(format!("Wrote {}", path.display())));
                assert_eq!(&std::fs::read_to_string(&path).unwrap(), want, "{file}");
            }

            // A long run: progress, then Esc cancels it and the last report stays.
            let s = &mut h.state_mut().views.simulation.settings;
            s.seeds = 60;
            s.rounds = 40;
            h.get_by_label("Run simulation").click();
            wait_for(&mut h, "the simulation job", simulation_job_running);
            wait_for(&mut h, "some progress", |h| {
                h.state().backend().is_some_and(|b| {
                    b.jobs
                        .running
                        .iter()
                        .any(|j| j.progress.counts().0 > 0 && !j.is_finished())
                })
            });
            h.set_size(egui::vec2(1280.0, 800.0));
            snapshot(&mut h, "simulation-running-dark");
            assert!(simulation_job_running(&h), "the run ended before Esc");
            h.key_press(Key::Escape);
            wait_label(&mut h, CANCELLED);
            assert!(!simulation_job_running(&h));
            assert_eq!(h.state().views.simulation.failed, None);
            let kept = h.state().views.simulation.finished.clone().unwrap();
            assert_eq!(kept.report.config.seeds.len(), 3, "the last report stays");
            snapshot(&mut h, "simulation-cancelled-dark");
        }
    }
}

#[test]
fn missing_truth_is_refused_naming_the_lines_and_no_class_field_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = digits(300);
    rows[4].as_object_mut().unwrap().remove("truth");
    rows[9]["truth"] = json!("");
    let project = project_with(dir.path(), "gaps", &rows);
    for (theme, name) in [(egui::Theme::Dark, "dark"), (egui::Theme::Light, "light")] {
        let mut h = lab(&project, theme, dir.path());
        open_simulation(&mut h, 300);
        // `truth` misses two items and `source` is a text: nothing looks like a class.
        wait_label_contains(&mut h, "No field holds a class on every item");
        assert!(NO_TRUTH.starts_with("No field holds a class on every item"));
        assert_eq!(h.state().views.simulation.settings.truth, None);
        h.get_by_label("Run simulation");
        snapshot(&mut h, &format!("simulation-no-truth-{name}"));

        // The lead picks it anyway: the error names the lines, as the CLI does.
        h.get_by_label("Truth field").click();
        let option = "truth — 10 values, on 298 of 300 items";
        wait_for(&mut h, "the list of fields", |h| {
            h.query_by_role_and_label(egui::accesskit::Role::Button, option)
                .is_some()
        });
        h.get_by_role_and_label(egui::accesskit::Role::Button, option)
            .click();
        h.run_steps(3);
        h.get_by_label("Run simulation").click();
        wait_label_contains(
            &mut h,
            "the truth field `truth` is missing or empty on 2 item(s): lines 5, 10",
        );
        assert!(h.state().views.simulation.finished.is_none());
        snapshot(&mut h, &format!("simulation-error-{name}"));
    }
}

#[test]
fn a_strategy_worse_than_random_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let project = project_with(dir.path(), "digits", &digits(600));
    // Low targets on three seeds: random order reaches them about as soon as the strategies,
    // and on these digits one strategy needs more labels than random for one of them.
    let opts = SimulateOptions {
        truth: "truth".into(),
        seeds: Some(3),
        rounds: Some(12),
        targets: vec![0.6, 0.7, 0.75],
        ..SimulateOptions::default()
    };
    let report = Project::open(&project).unwrap().simulate(&opts).unwrap();
    // Every (strategy, target, labels more than random) of the report.
    let worse: Vec<(String, f64, f64)> = report
        .arms
        .iter()
        .flat_map(|a| {
            a.cost
                .iter()
                .filter_map(|c| Some((a.arm.to_string(), c.target, -c.labels_saved?)))
                .filter(|w| w.2 > 0.0)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        !worse.is_empty(),
        "no strategy is worse than random with these settings any more: pick others for this test"
    );
    for (theme, name) in [(egui::Theme::Dark, "dark"), (egui::Theme::Light, "light")] {
        let mut h = lab(&project, theme, dir.path());
        open_simulation(&mut h, 600);
        wait_for(&mut h, "the item fields", |h| {
            h.state().views.simulation.candidates.is_some()
        });
        let s = &mut h.state_mut().views.simulation.settings;
        s.seeds = 3;
        s.rounds = 12;
        s.targets = "60%, 70%, 75%".into();
        h.get_by_label("Run simulation").click();
        wait_for(&mut h, "the simulation", |h| {
            h.state().views.simulation.finished.is_some()
        });
        let shown = h.state().views.simulation.finished.clone().unwrap();
        assert_eq!(*shown.report, report, "the same report");
        // Per target, the strategies worse than random, in the report's order.
        let mut sentences = 0;
        for (ti, target) in report.config.targets.iter().enumerate() {
            let parts: Vec<String> = worse
                .iter()
                .filter(|w| w.1 == *target)
                .map(|(arm, _, more)| format!("{arm} needs {more:.0} more labels"))
                .collect();
            let random_reached = report.arms[0].targets[ti].median.is_some();
            let not_reached = report.arms[1..].iter().any(|a| a.targets[ti].median.is_none());
            if parts.is_empty() || !random_reached || not_reached {
                continue;
            }
            let sentence = format!(
                "At {:.0}%, worse than random order: {}.",
                target * 100.0,
                parts.join("; ")
            );
            assert!(h.query_by_label(&sentence).is_some(), "no sentence {sentence:?}");
            sentences += 1;
        }
        assert!(sentences > 0, "no worse-than-random sentence was checked");
        assert_eq!(
            h.query_all_by_label("WORSE than random").count(),
            worse.len(),
            "one red verdict per strategy and target worse than random"
        );
        h.set_size(egui::vec2(1280.0, 1400.0));
        snapshot(&mut h, &format!("simulation-worse-{name}"));
    }
}
