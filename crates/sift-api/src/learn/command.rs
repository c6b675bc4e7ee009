//! Retraining any model through an outside command, for models Sift cannot train itself
//! (captioners, Q&A models, large reward models, or any learner the team prefers).
//!
//! The project setting `learn.command` names the command, with `{train}`, `{val}` and `{out}`
//! where the paths go (each filled in shell-quoted). Sift writes the training and validation
//! sets in the template's training format (classification records, preference pairs, SFT
//! records, captions), each record also carrying `sift-item-id` and, when the project has
//! vectors, the item's vector as `sift-features`; runs the command through `sh -c` in the
//! project folder, its output appended to `logs/learn.log`; and expects `model.onnx` and
//! `model.toml` in `{out}` (optionally `classes.json`, the output columns' class names, and
//! `metrics.json`, the validation metrics). The model is checked like `sift model add` checks
//! one, registered as the next version of the head, and scores the pool; the queue follows.
//! A command that fails, hangs past `learn.command_timeout` seconds (killed with its whole
//! process group) or leaves no usable model is reported, and the previous version stays in use.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::Value;
use sift_template::export::{self, PreferenceOptions, SftOptions};
use sift_template::{Kind, Payload};

use super::LearnOptions;
use super::features::{INJECTED_KEY, Pool};
use crate::scoring::{ModelInfo, NewModel, ScoreOptions, ScoreReport, Scorer};
use crate::{Error, Progress, Project, Result};

/// The project setting holding the training command.
pub const SETTING_COMMAND: &str = "learn.command";
/// The project setting holding the command's time limit in seconds (default one day).
pub const SETTING_TIMEOUT: &str = "learn.command_timeout";
const DEFAULT_TIMEOUT_SECONDS: u64 = 24 * 3600;
/// How much of the command's output a report and the event log keep.
const TAIL_BYTES: usize = 4000;

/// What an adapter's model runtime (ONNX Runtime in the CLI) does for the loop.
pub trait ModelRuntime {
    /// Checks a model file against its config as `sift model add` does: the stored config,
    /// the assets it names, and the signature (JSON).
    ///
    /// # Errors
    /// A model that does not load or does not match its config.
    fn check(&self, model: &Path, config: &Path) -> Result<CheckedModel>;

    /// A scorer for a registered version and the batch size to score with.
    ///
    /// # Errors
    /// A runtime that is missing or cannot open the model.
    fn scorer(&self, model: &ModelInfo) -> Result<(Box<dyn Scorer>, usize)>;
}

/// A model the runtime checked.
#[derive(Debug, Clone)]
pub struct CheckedModel {
    /// The model config as it will be stored (TOML).
    pub stored_config: String,
    /// Files the config refers to (a tokenizer), copied beside the model.
    pub assets: Vec<PathBuf>,
    /// What the model declares (JSON), checked against the config.
    pub signature: Option<String>,
}

/// A training command with its time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingCommand {
    /// The `learn.command` setting, with `{train}`, `{val}` and `{out}` not yet filled in.
    pub command: String,
    /// The `learn.command_timeout` setting (default one day): past it the command's
    /// process group is killed.
    pub timeout: Duration,
}

/// What a successful command round did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommandReport {
    /// The command as run.
    pub command: String,
    /// How long the command ran.
    pub seconds: f64,
    /// Where its output went.
    pub log: PathBuf,
    /// Records written to the training set (`{train}`).
    pub train_records: u64,
    /// Records written to the validation set (`{val}`).
    pub validation_records: u64,
    /// The head's model name the new version was registered under.
    pub model: String,
    /// The version registered.
    pub version: i64,
    /// How scoring the pool with the new version went.
    pub score: ScoreReport,
    /// Never-started, unassigned items now in the new version's queue order.
    pub items_queued: u64,
    /// Share of the items predicted by both this and the previous version whose top
    /// prediction changed (none for a first version).
    pub changed_share: Option<f64>,
    /// The last lines the command printed.
    pub output_tail: String,
}

/// Puts `s` in single quotes for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command with `{train}`, `{val}` and `{out}` filled in.
pub(crate) fn fill(command: &str, train: &Path, val: &Path, out: &Path) -> String {
    command
        .replace("{train}", &shell_quote(&train.to_string_lossy()))
        .replace("{val}", &shell_quote(&val.to_string_lossy()))
        .replace("{out}", &shell_quote(&out.to_string_lossy()))
}

/// How a command run ended.
#[derive(Debug)]
enum Ended {
    Exited(std::process::ExitStatus),
    TimedOut,
    Cancelled,
}

/// Runs `command` through `sh -c` in `dir`, its output appended to `log`, killing its whole
/// process group when `timeout` passes or `cancel` is set.
fn run_command(
    command: &str,
    dir: &Path,
    log: &Path,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<Ended> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| Error::io("cannot open the log", log, e))?;
    writeln!(file, "\n=== {} $ {command}", sift_core::now_rfc3339())
        .map_err(|e| Error::io("cannot write", log, e))?;
    let stderr = file
        .try_clone()
        .map_err(|e| Error::io("cannot open the log", log, e))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(stderr));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("cannot start the training command in", dir, e))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::io("cannot wait for the training command in", dir, e))?
        {
            return Ok(Ended::Exited(status));
        }
        let cancelled = cancel.load(std::sync::atomic::Ordering::Relaxed);
        if cancelled || started.elapsed() >= timeout {
            kill_group(&mut child);
            // Only reaps the killed child; its exit status does not matter (the run is
            // cancelled or timed out), and an error means it was already reaped.
            let _ = child.wait();
            return Ok(if cancelled {
                Ended::Cancelled
            } else {
                Ended::TimedOut
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills the child and everything it started (its process group).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(target_os = "linux")]
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        // Fails only when the group has already exited; `child.kill` below still runs.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    // Fails only when the child has already exited, which is the goal.
    let _ = child.kill();
}

/// The end of a log file, from the last run's header on.
fn tail(log: &Path) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let from = text.rfind("\n=== ").map_or(0, |i| i + 1);
    let last = &text[from..];
    let start = last.len().saturating_sub(TAIL_BYTES);
    let start = (start..last.len())
        .find(|&i| last.is_char_boundary(i))
        .unwrap_or(last.len());
    last[start..].to_owned()
}

impl Project {
    /// The training command the project names, if any.
    pub fn training_command(&self) -> Result<Option<TrainingCommand>> {
        let Some(command) = self.store.setting(SETTING_COMMAND)? else {
            return Ok(None);
        };
        if command.trim().is_empty() {
            return Ok(None);
        }
        let seconds = match self.store.setting(SETTING_TIMEOUT)? {
            Some(s) => s.trim().parse::<u64>().map_err(|_| {
                Error::BadRequest(format!(
                    "project setting {SETTING_TIMEOUT} = {s:?} is not a number of seconds"
                ))
            })?,
            None => DEFAULT_TIMEOUT_SECONDS,
        };
        Ok(Some(TrainingCommand {
            command,
            timeout: Duration::from_secs(seconds.max(1)),
        }))
    }

    /// The training and validation records in the template's training format.
    fn training_records(&self, opts: &LearnOptions, pool: Option<&Pool>) -> Result<(Vec<Value>, Vec<Value>)> {
        let annotations = self.store.training_annotations(opts.approved_only)?;
        let items: Vec<i64> = annotations
            .iter()
            .map(|a| a.item_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if items.len() < super::MIN_LEARN_LABELS {
            return Err(Error::BadRequest(format!(
                "too few labels to learn from: {} labeled item(s); at least {} are needed",
                items.len(),
                super::MIN_LEARN_LABELS
            )));
        }
        let split = if self.template.kind() == Kind::Classification && !opts.machine_labels {
            let labels = self.class_labels(opts.approved_only, false)?;
            if labels.multi_label {
                sift_learn::random_split(items.len(), opts.validation_fraction, opts.seed)
            } else {
                sift_learn::stratified_split(&labels.single, opts.validation_fraction, opts.seed)
            }
        } else {
            sift_learn::random_split(items.len(), opts.validation_fraction, opts.seed)
        }
        .map_err(|e| Error::BadRequest(e.to_string()))?;
        let held: BTreeSet<i64> = split.held_out.iter().map(|&i| items[i]).collect();
        let (mut train, mut val) = (Vec::new(), Vec::new());
        let mut media = crate::media::MediaFacts::default();
        let t = &self.template;
        for a in &annotations {
            let row = self
                .store
                .item(a.item_id)?
                .ok_or_else(|| Error::NotFound(format!("item {}", a.item_id)))?;
            let item: Value = serde_json::from_str(&row.content).map_err(|e| {
                Error::Internal(format!("item {}: stored content is not JSON: {e}", a.item_id))
            })?;
            let payload: Value = serde_json::from_str(&a.payload)
                .map_err(|e| Error::Internal(format!("annotation {}: {e}", a.annotation_id)))?;
            let Ok(payload) = t.parse_payload(&payload) else {
                continue;
            };
            let records = match &payload {
                Payload::Classification(_) => export::classification(t, &item, &payload),
                Payload::Ranking(_) => export::preference(t, &item, &payload, &PreferenceOptions::default()),
                Payload::Qa(_) => export::sft(t, &item, &payload, &SftOptions::default()),
                Payload::ImageCaption(_) | Payload::VideoCaption(_) => {
                    let info = media.info(t, &item, row.media_ref.as_deref());
                    export::captions(t, &item, &payload, &info)
                }
            }
            .map_err(|e| Error::BadRequest(format!("item {}: {e}", a.item_id)))?;
            let vector = pool.and_then(|p| p.row(a.item_id).map(|r| p.vector(r)));
            for mut record in records {
                if let Value::Object(map) = &mut record {
                    map.insert("sift-item-id".into(), a.item_id.into());
                    if let Some(v) = vector {
                        map.insert(INJECTED_KEY.into(), serde_json::json!(v));
                    }
                }
                if held.contains(&a.item_id) {
                    val.push(record);
                } else {
                    train.push(record);
                }
            }
        }
        Ok((train, val))
    }

    /// Retrains through the project's training command: exports the training and validation
    /// sets, runs the command, registers `{out}/model.onnx` as the next version of the head,
    /// scores the pool with it and reorders the queue. On any failure the previous version
    /// stays in use and the error says what happened and where the output is.
    pub fn learn_with_command(
        &mut self,
        opts: &LearnOptions,
        command: &TrainingCommand,
        runtime: &dyn ModelRuntime,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<CommandReport> {
        let started = Instant::now();
        let name = opts
            .name
            .clone()
            .unwrap_or_else(|| super::register::default_head_name(self.template.name()));
        let source = self.feature_source(opts.features.as_deref())?;
        let pool = self.load_pool(&source)?;
        let pool = (!pool.ids.is_empty()).then_some(pool);
        let (train, val) = self.training_records(opts, pool.as_ref())?;
        let next = self.store.next_model_version(&name)?;
        let dir = self
            .project_dir()
            .join("training")
            .join(format!("{name}-v{next}"));
        // The command runs in the project folder, so the paths it is given must not be
        // relative to the folder Sift was started in.
        let dir = std::path::absolute(&dir).map_err(|e| Error::io("cannot resolve", &dir, e))?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot clear", &dir, e))?;
        }
        let out = dir.join("out");
        std::fs::create_dir_all(&out).map_err(|e| Error::io("cannot create", &out, e))?;
        let (train_path, val_path) = (dir.join("train.jsonl"), dir.join("val.jsonl"));
        for (path, records) in [(&train_path, &train), (&val_path, &val)] {
            let mut text = Vec::new();
            for r in records {
                serde_json::to_writer(&mut text, r).map_err(|e| Error::Internal(e.to_string()))?;
                text.push(b'\n');
            }
            std::fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))?;
        }
        let logs = self.project_dir().join("logs");
        std::fs::create_dir_all(&logs).map_err(|e| Error::io("cannot create", &logs, e))?;
        let log = logs.join("learn.log");
        let filled = fill(&command.command, &train_path, &val_path, &out);
        progress.start("running the training command", None);
        let ended = run_command(&filled, &self.project_dir(), &log, command.timeout, cancel);
        progress.finish();
        let seconds = started.elapsed().as_secs_f64();
        let output_tail = tail(&log);
        let previous = self.store.model_version(&name, None)?;
        let keep = previous.as_ref().map_or_else(
            || "no version of it exists yet".to_owned(),
            |p| format!("{}@{} stays in use", p.name, p.version),
        );
        let failure = match ended? {
            Ended::Exited(status) if status.success() => None,
            Ended::Exited(status) => Some(format!("the training command failed ({status})")),
            Ended::TimedOut => Some(format!(
                "the training command did not finish within {} s and was stopped",
                command.timeout.as_secs()
            )),
            Ended::Cancelled => Some("the training command was cancelled".to_owned()),
        };
        let model_file = out.join("model.onnx");
        let config_file = out.join("model.toml");
        let failure = failure.or_else(|| {
            (!model_file.is_file() || !config_file.is_file()).then(|| {
                format!(
                    "the training command left no model.onnx and model.toml in {}",
                    out.display()
                )
            })
        });
        let event = |status: &str, detail: &str| {
            serde_json::json!({
                "command": filled, "status": status, "detail": detail, "seconds": seconds,
                "log": log.display().to_string(), "output_tail": output_tail,
            })
        };
        if let Some(why) = failure {
            self.store
                .append_event(None, "training_command", &event("failed", &why))?;
            return Err(Error::BadRequest(format!(
                "{why}; {keep}. Its output is in {}:\n{output_tail}",
                log.display()
            )));
        }
        let checked = match runtime.check(&model_file, &config_file) {
            Ok(c) => c,
            Err(e) => {
                let why = format!("the model the training command wrote is not usable: {e}");
                self.store
                    .append_event(None, "training_command", &event("failed", &why))?;
                return Err(Error::BadRequest(format!("{why}; {keep}")));
            }
        };
        let info = self.add_model(&NewModel {
            name: name.clone(),
            model_file,
            config: checked.stored_config,
            assets: checked.assets,
            signature: checked.signature,
        })?;
        self.store
            .append_event(None, "training_command", &event("succeeded", &info.label()))?;
        let outputs: Vec<String> = std::fs::read(out.join("classes.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let metrics: HashMap<String, f64> = std::fs::read(out.join("metrics.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let spec = pool.as_ref().map(|_| source.spec());
        let val_items: Vec<i64> = val
            .iter()
            .filter_map(|r| r.get("sift-item-id").and_then(Value::as_i64))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        self.store.save_learn_round(&sift_store::NewLearnRound {
            model_version_id: info.row.id,
            head: "command",
            features: spec.as_deref(),
            labels_used: train.len() as u64,
            labels_hash: "",
            approved_only: opts.approved_only,
            machine_labels: 0,
            validation: "split",
            validation_items: &val_items,
            accuracy: metrics.get("accuracy").copied(),
            macro_f1: metrics.get("macro_f1").copied(),
            log_loss: metrics.get("log_loss").copied(),
            ece: metrics.get("ece").copied(),
            pairwise_accuracy: metrics.get("pairwise_accuracy").copied(),
            outputs: &outputs,
            seconds,
        })?;
        let (score, queued, changed_share) =
            self.rescore_registered(&info, runtime, opts, previous.map(|p| p.id), progress, cancel)?;
        Ok(CommandReport {
            command: filled,
            seconds,
            log,
            train_records: train.len() as u64,
            validation_records: val.len() as u64,
            model: info.row.name,
            version: info.row.version,
            score,
            items_queued: queued,
            changed_share,
            output_tail,
        })
    }

    /// Scores the pool with a registered version through the runtime, keeps its class
    /// probabilities as predictions, and reorders the queue by its scores.
    fn rescore_registered(
        &mut self,
        info: &ModelInfo,
        runtime: &dyn ModelRuntime,
        opts: &LearnOptions,
        previous: Option<i64>,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<(ScoreReport, u64, Option<f64>)> {
        let (mut scorer, batch_size) = runtime.scorer(info)?;
        let score = self.score(
            info,
            scorer.as_mut(),
            &ScoreOptions {
                batch_size,
                limit: None,
            },
            progress,
            cancel,
        )?;
        let mut rows = Vec::new();
        let ids: Vec<i64> = self
            .store
            .unlabeled_scores(info.row.id, "margin")?
            .iter()
            .map(|s| s.0)
            .collect();
        for (id, v) in ids.iter().zip(self.store.embeddings(info.row.id, &ids)?) {
            if let Some(v) = v {
                rows.push(sift_store::PredictionRow {
                    item_id: *id,
                    top: super::rescore::argmax(&v),
                    values: v,
                });
            }
        }
        // The score pass leaves out labeled items and items with a draft; the new version
        // predicts them too, as a head trained in process does (exports, suggestions, the Lab).
        rows.extend(self.predict_unscored(info, scorer.as_mut(), batch_size, cancel)?);
        self.store.save_predictions(info.row.id, &rows)?;
        let strategy = match opts.strategy {
            Some(s) => s,
            None => self.learn_strategy(None)?,
        };
        let ranked = self.store.unlabeled_scores(info.row.id, strategy.name())?;
        let scores: Vec<f64> = ranked.iter().map(|s| s.1).collect();
        let (queued, _) = self.requeue(info.row.id, strategy, ranked)?;
        let figures = sift_store::RoundPool {
            strategy: strategy.name().to_owned(),
            pool_items: rows.len() as u64,
            mean_uncertainty: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
            changed_share: None,
            kappa: None,
        };
        let figures = match previous {
            Some(prev) => {
                let before: HashMap<i64, u32> = self.store.prediction_tops(prev)?.into_iter().collect();
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for r in &rows {
                    if let Some(&old) = before.get(&r.item_id) {
                        a.push(old);
                        b.push(r.top);
                    }
                }
                let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
                sift_store::RoundPool {
                    changed_share: (!a.is_empty()).then(|| changed as f64 / a.len() as f64),
                    kappa: sift_learn::cohen_kappa(&a, &b).ok(),
                    ..figures
                }
            }
            None => figures,
        };
        self.store.set_round_pool(info.row.id, &figures)?;
        Ok((score, queued, figures.changed_share))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_quoted() {
        let c = fill(
            "train --data {train} --val {val} --out {out}",
            Path::new("/p/it's/train.jsonl"),
            Path::new("/p/val.jsonl"),
            Path::new("/p/out"),
        );
        assert_eq!(
            c,
            r"train --data '/p/it'\''s/train.jsonl' --val '/p/val.jsonl' --out '/p/out'"
        );
    }
}
