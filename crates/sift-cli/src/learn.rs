//! `sift learn`: the closed loop from the command line. Train a head on the stored vectors (or
//! retrain through the project's training command), register it, rescore the pool and requeue
//! (`sift learn`); keep doing it after every N new labels (`--every N`); show the learning
//! curve and the stopping rule (`sift learn status`); set the loop's project settings
//! (`sift learn config`). Each is a thin adapter over `sift_api::learn`.

use std::path::Path;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand};
use sift_api::learn::{
    CheckedModel, CommandReport, LearnRunner, LearnStatus, ModelRuntime, RunnerEvent, RunnerSettings,
};
use sift_api::{LearnOptions, LearnReport, ModelInfo, Scorer, Strategy};
use sift_onnx::{Device, ModelConfig, ScorerOptions};

use crate::ProjectArg;
use crate::output::Out;
use crate::progress::Bar;
use crate::scoring::api_error;

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Trains a head from the submitted labels on the stored vectors (classification: one classifier\nhead; ranking: one reward head per dimension), measures it on a held-out split (or the gold\nitems), saves it as the next version of a registered model with its ONNX file, rescores the pool\nfrom the stored vectors and reorders the unlabeled part of the queue. Items already handed to\nsomeone keep their place. A project with a training command (`sift learn config --command`)\nretrains through it instead. See docs/active-learning.md.\n\nExamples:\n  sift embed -p proj\n  sift learn -p proj --features embeddings:all-minilm-l6-v2@1\n  sift learn -p proj --every 50          # retrain after every 50 new labels, until Ctrl-C\n  sift learn status -p proj\n  sift export -p proj --format predictions -o predictions.jsonl"
)]
pub struct LearnArgs {
    #[command(subcommand)]
    command: Option<LearnCommand>,
    #[command(flatten)]
    train: TrainArgs,
}

#[derive(Debug, Args)]
struct TrainArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// Learn from approved annotations only (default: submitted and approved).
    #[arg(long)]
    approved: bool,
    /// `embeddings:NAME@VERSION` or `field:NAME` (default: the learn.features setting, else
    /// field:features).
    #[arg(long)]
    features: Option<String>,
    /// Model name of the head (default: the template name plus -head).
    #[arg(long)]
    name: Option<String>,
    /// Share of the labels held out for validation (stratified by class).
    #[arg(long, default_value_t = 0.2)]
    validation: f64,
    /// Seed of the validation split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Uncertainty strategy of the new queue order (default: the learn.strategy setting, else
    /// margin).
    #[arg(long, value_parser = crate::choices::unparsed(Strategy::ALL.map(Strategy::name)))]
    strategy: Option<String>,
    /// Train on live machine labels (`sift autolabel`) too.
    #[arg(long)]
    machine_labels: bool,
    /// A manifest field holding gold items' true class: validate on them.
    #[arg(long)]
    gold_field: Option<String>,
    /// Inverse L2 regularisation strength of the head.
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// Keep running: retrain after every N new submitted labels (default: the learn.every
    /// setting when given without a value) until Ctrl-C.
    #[arg(long, num_args = 0..=1, default_missing_value = "0")]
    every: Option<u64>,
    /// ONNX Runtime device for a training command's model: auto, cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    device: String,
}

#[derive(Debug, Subcommand)]
enum LearnCommand {
    /// The learning curve per head version and whether the stopping rule holds.
    #[command(after_help = "Example:\n  sift learn status -p proj --json")]
    Status {
        #[command(flatten)]
        project: ProjectArg,
        /// Only this head (model name).
        #[arg(long)]
        model: Option<String>,
    },
    /// Show or set the loop's project settings (an empty value removes one).
    #[command(
        after_help = "Examples:\n  sift learn config -p proj\n  sift learn config -p proj --features embeddings:all-minilm-l6-v2@1 --every 25\n  sift learn config -p proj --command 'python train.py {train} {val} {out}' --timeout 3600\n  sift learn config -p proj --suggestions off"
    )]
    Config {
        #[command(flatten)]
        project: ProjectArg,
        /// learn.features: embeddings:NAME@VERSION or field:NAME.
        #[arg(long)]
        features: Option<String>,
        /// learn.strategy: the queue order's strategy.
        #[arg(long, value_parser = crate::choices::unparsed(Strategy::ALL.map(Strategy::name)))]
        strategy: Option<String>,
        /// learn.gold_field: the manifest field with gold items' true class.
        #[arg(long)]
        gold_field: Option<String>,
        /// learn.every: labels between background rounds (`sift serve`, `sift learn --every`).
        #[arg(long)]
        every: Option<String>,
        /// learn.command: a training command with {train}, {val} and {out}.
        #[arg(long)]
        command: Option<String>,
        /// learn.command_timeout: the command's time limit in seconds.
        #[arg(long)]
        timeout: Option<String>,
        /// learn.suggestions: `on` (the default) shows annotators the model's suggestions;
        /// `off` withholds them (to measure anchoring).
        #[arg(long)]
        suggestions: Option<String>,
    },
}

/// ONNX Runtime for models a training command produced: checked as `sift model add` checks
/// them, scored as `sift score` scores.
struct OnnxRuntime {
    device: Device,
}

impl ModelRuntime for OnnxRuntime {
    fn check(&self, model: &Path, config: &Path) -> sift_api::Result<CheckedModel> {
        let checked = sift_onnx::check_model(model, config).map_err(api_error)?;
        let signature = serde_json::to_string(&checked.signature)
            .map_err(|e| sift_api::Error::Internal(format!("model signature: {e}")))?;
        Ok(CheckedModel {
            stored_config: checked.stored_config,
            assets: checked.assets,
            signature: Some(signature),
        })
    }

    fn scorer(&self, model: &ModelInfo) -> sift_api::Result<(Box<dyn Scorer>, usize)> {
        let config = ModelConfig::parse(&model.row.config, &format!("stored config of {}", model.label()))
            .map_err(api_error)?;
        let scorer = sift_onnx::open_registered(
            &model.path,
            &model.row.config,
            &model.dir,
            &ScorerOptions {
                device: self.device,
                intra_threads: None,
                workers: None,
            },
        )
        .map_err(api_error)?;
        let batch = scorer.batch_size(config.batch_size.unwrap_or(32));
        Ok((Box::new(scorer), batch))
    }
}

fn strategy(s: Option<&str>) -> anyhow::Result<Option<Strategy>> {
    Ok(match s {
        None => None,
        Some(s) => {
            Some(s.parse().map_err(|e: <Strategy as std::str::FromStr>::Err| {
                sift_api::Error::BadRequest(e.to_string())
            })?)
        }
    })
}

pub fn learn(args: LearnArgs, out: &Out) -> anyhow::Result<()> {
    match args.command {
        Some(LearnCommand::Status { project, model }) => {
            let project = crate::open(&project)?;
            let status = project.learn_status(model.as_deref())?;
            out.emit(&status, || status_text(&status));
            Ok(())
        }
        Some(LearnCommand::Config {
            project,
            features,
            strategy,
            gold_field,
            every,
            command,
            timeout,
            suggestions,
        }) => {
            let mut project = crate::open(&project)?;
            let changes = [
                (sift_api::learn::SETTING_FEATURES, features),
                (sift_api::learn::SETTING_STRATEGY, strategy),
                (sift_api::learn::SETTING_GOLD_FIELD, gold_field),
                (sift_api::learn::SETTING_EVERY, every),
                (sift_api::learn::SETTING_COMMAND, command),
                (sift_api::learn::SETTING_TIMEOUT, timeout),
                (sift_api::learn::SETTING_SUGGESTIONS, suggestions),
            ];
            for (key, value) in changes {
                if let Some(value) = value {
                    project.set_learn_setting(key, Some(value.as_str()))?;
                }
            }
            let settings = project.learn_settings()?;
            let value: serde_json::Map<String, serde_json::Value> = settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().map_or(serde_json::Value::Null, Into::into)))
                .collect();
            out.emit(&value, || {
                settings
                    .iter()
                    .map(|(k, v)| format!("  {k:<22} {}\n", v.as_deref().unwrap_or("(default)")))
                    .collect()
            });
            Ok(())
        }
        None => train(args.train, out),
    }
}

fn train(args: TrainArgs, out: &Out) -> anyhow::Result<()> {
    let opts = LearnOptions {
        approved_only: args.approved,
        features: args.features,
        name: args.name,
        validation_fraction: args.validation,
        seed: args.seed,
        strategy: strategy(args.strategy.as_deref())?,
        machine_labels: args.machine_labels,
        gold_field: args.gold_field,
        c: args.c,
    };
    let device: Device = args.device.parse().map_err(api_error)?;
    let mut project = crate::open(&args.project)?;
    if let Some(every) = args.every {
        let every = match every {
            0 => sift_api::learn::every_setting(&project)?.ok_or_else(|| {
                sift_api::Error::BadRequest(
                    "--every needs a number, or the project setting learn.every (`sift learn config --every N`)"
                        .into(),
                )
            })?,
            n => n,
        };
        drop(project);
        return run_every(&args.project.project, every, opts, device, out);
    }
    let cancel = AtomicBool::new(false);
    if let Some(command) = project.training_command()? {
        let runtime = OnnxRuntime { device };
        let report =
            project.learn_with_command(&opts, &command, &runtime, &Bar::new(out.is_json()), &cancel)?;
        out.emit(&report, || command_text(&report));
        return Ok(());
    }
    let report = project.learn(&opts, &Bar::new(out.is_json()))?;
    out.emit(&report, || learn_text(&report));
    Ok(())
}

/// `--every N`: the background runner until Ctrl-C, one line (or JSON object) per round.
fn run_every(
    path: &Path,
    every: u64,
    options: LearnOptions,
    device: Device,
    out: &Out,
) -> anyhow::Result<()> {
    // First Ctrl-C: finish what is in flight, save, stop; a second: stop at once.
    let stop = crate::interrupt::cancel_on_ctrl_c("stopping after the round in progress…");
    let json = out.is_json();
    let runner = LearnRunner::start(
        path,
        RunnerSettings {
            every,
            options,
            ..RunnerSettings::default()
        },
        Some(Box::new(OnnxRuntime { device })),
        move |event| print_event(&event, json),
    )?;
    while !stop.load(Ordering::SeqCst) && runner.is_running() {
        std::thread::sleep(Duration::from_millis(100));
    }
    runner.stop();
    Ok(())
}

/// The runner `sift serve` starts when the project sets `learn.every`: rounds are reported on
/// standard error, one line each.
pub fn background(path: &Path, every: u64) -> anyhow::Result<LearnRunner> {
    crate::output::stderr(&format!(
        "learning in the background: retraining after every {every} new labels (learn.every)\n"
    ));
    Ok(LearnRunner::start(
        path,
        RunnerSettings {
            every,
            ..RunnerSettings::default()
        },
        Some(Box::new(OnnxRuntime {
            device: Device::default(),
        })),
        |event| match event {
            RunnerEvent::Started { .. } => {}
            other => crate::output::stderr(&format!("learn: {}\n", event_text(&other))),
        },
    )?)
}

fn event_text(event: &RunnerEvent) -> String {
    match event {
        RunnerEvent::Started { labels, every } => {
            format!(
                "Watching: {labels} labels submitted; retraining after every {every} new ones (Ctrl-C stops)"
            )
        }
        RunnerEvent::Trained(r) => learn_text(r).trim_end().to_owned(),
        RunnerEvent::CommandTrained(r) => command_text(r).trim_end().to_owned(),
        RunnerEvent::Skipped(why) => format!("Round skipped: {why}"),
        RunnerEvent::Failed(why) => format!("Round failed (the previous version stays in use): {why}"),
    }
}

fn print_event(event: &RunnerEvent, json: bool) {
    if !json {
        crate::output::stdout(&format!("{}\n", event_text(event)));
        return;
    }
    let (kind, detail) = match event {
        RunnerEvent::Started { labels, every } => {
            ("started", serde_json::json!({"labels": labels, "every": every}))
        }
        RunnerEvent::Trained(r) => ("trained", serde_json::to_value(r).unwrap_or_default()),
        RunnerEvent::CommandTrained(r) => ("command-trained", serde_json::to_value(r).unwrap_or_default()),
        RunnerEvent::Skipped(why) => ("skipped", serde_json::json!(why)),
        RunnerEvent::Failed(why) => ("failed", serde_json::json!(why)),
    };
    crate::output::stdout(&format!(
        "{}\n",
        serde_json::json!({"event": kind, "detail": detail})
    ));
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn learn_text(r: &LearnReport) -> String {
    let mut t = String::new();
    for h in &r.heads {
        t.push_str(&format!(
            "Trained {}@{} ({} head{}) on {} labels from {} in {:.2} s{}\n  validation ({}, {} items): accuracy {}, macro-F1 {}, log loss {}, ECE {}{}\n  ONNX: {}\n",
            h.model,
            h.version,
            h.head,
            h.dimension.as_ref().map_or_else(String::new, |d| format!(", dimension {d}")),
            h.labels_used,
            h.features,
            h.train_seconds,
            if h.machine_labels > 0 {
                format!(" ({} of them machine labels)", h.machine_labels)
            } else {
                String::new()
            },
            h.validation,
            h.validation_items,
            pct(h.metrics.accuracy),
            num(h.metrics.macro_f1, 3),
            num(h.metrics.log_loss, 3),
            num(h.metrics.ece, 3),
            h.metrics
                .pairwise_accuracy
                .map_or_else(String::new, |p| format!(", pairwise accuracy {}", pct(Some(p)))),
            h.onnx.display(),
        ));
    }
    let s = &r.rescore;
    t.push_str(&format!(
        "Rescored {} items from the stored vectors in {:.3} s (read {:.3} s, predict {:.3} s, save {:.3} s; {} without vectors); {} unlabeled items requeued by {}\n",
        s.items_predicted,
        s.load_seconds + s.predict_seconds + s.save_seconds,
        s.load_seconds,
        s.predict_seconds,
        s.save_seconds,
        s.items_without_vectors,
        s.items_queued,
        s.strategy
    ));
    if let Some(c) = s.changed_share {
        t.push_str(&format!(
            "  predictions changed since the previous version: {} (kappa {})\n",
            pct(Some(c)),
            num(s.kappa, 3)
        ));
    }
    if !s.first.is_empty() {
        let first: Vec<String> = s.first.iter().map(|e| e.item_id.to_string()).collect();
        t.push_str(&format!("  next items: {}\n", first.join(", ")));
    }
    t.push_str("Next: sift learn status -p PROJECT\n");
    t
}

fn command_text(r: &CommandReport) -> String {
    format!(
        "Training command finished in {:.1} s ({} training, {} validation records); registered {}@{}, scored {} items, {} requeued\n  output: {}\n",
        r.seconds,
        r.train_records,
        r.validation_records,
        r.model,
        r.version,
        r.score.items_scored,
        r.items_queued,
        r.log.display()
    )
}

fn status_text(s: &LearnStatus) -> String {
    if s.heads.is_empty() {
        return "No head trained yet: label some items, then run `sift learn`.\n".into();
    }
    let mut t = String::new();
    for h in &s.heads {
        t.push_str(&format!("{}\n", h.model));
        t.push_str(&format!(
            "  {:>7} {:>7} {:>9} {:>8} {:>8} {:>8} {:>6} {:>11} {:>8}\n",
            "version", "labels", "accuracy", "macro-F1", "log loss", "ECE", "pairs", "uncertainty", "changed"
        ));
        for r in &h.rounds {
            t.push_str(&format!(
                "  {:>7} {:>7} {:>9} {:>8} {:>8} {:>8} {:>6} {:>11} {:>8}\n",
                r.version,
                r.labels_used,
                pct(r.accuracy),
                num(r.macro_f1, 3),
                num(r.log_loss, 3),
                num(r.ece, 3),
                pct(r.pairwise_accuracy),
                num(r.mean_uncertainty, 3),
                pct(r.changed_share),
            ));
        }
        if let Some(stop) = &h.stop {
            t.push_str(&format!(
                "  stopping rule: {} ({})\n",
                if stop.stop {
                    "STOP, the model has settled"
                } else {
                    "keep labeling"
                },
                stop.reason
            ));
        }
    }
    t.push_str(&suggestions_text(&s.suggestions));
    t
}

/// The suggestions line of `sift learn status`: on or off, and how often annotators accepted
/// them unchanged in their submissions.
fn suggestions_text(f: &sift_api::learn::SuggestionFigures) -> String {
    format!(
        "suggestions {}: {} of {} submissions made with a suggestion shown, {} accepted unchanged ({})\n",
        if f.enabled { "on" } else { "off" },
        f.shown,
        f.submitted,
        f.accepted,
        pct(f.acceptance_rate)
    )
}
