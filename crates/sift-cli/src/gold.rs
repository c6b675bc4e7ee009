//! `sift gold`: gold items — mark them (from a manifest field or one by one), set how often
//! queues mix them in and whether annotators see the expected answer after submitting, and
//! see each annotator's accuracy on them. A thin adapter over `sift_api::quality::gold`.

use clap::Subcommand;

use crate::ProjectArg;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum GoldCommand {
    /// Make every item holding a manifest field gold, the field's value its expected answer.
    #[command(
        after_help = "Examples:\n  sift gold mark -p proj --field expected\n  sift gold settings -p proj --rate 0.1 --feedback on"
    )]
    Mark {
        #[command(flatten)]
        project: ProjectArg,
        /// The manifest field holding the answer (a class name, a list of them, or a payload object).
        #[arg(long)]
        field: String,
    },
    /// Make one item gold with the given expected answer.
    #[command(after_help = "Example:\n  sift gold set 42 -p proj --payload '{\"labels\": [\"billing\"]}'")]
    Set {
        /// The item.
        item: i64,
        #[command(flatten)]
        project: ProjectArg,
        /// The expected answer (a payload of the template's kind, as JSON).
        #[arg(long)]
        payload: String,
    },
    /// Show or change how gold items are used (only the options given change).
    #[command(
        after_help = "Example:\n  sift gold settings -p proj --rate 0.1 --feedback on --threshold 0.85 --min-items 20"
    )]
    Settings {
        #[command(flatten)]
        project: ProjectArg,
        /// Share of each annotator's items that are gold, 0 to 0.5 (0: none).
        #[arg(long)]
        rate: Option<f64>,
        /// Show the expected answer right after a gold item is submitted.
        #[arg(long, value_parser = ["on", "off"])]
        feedback: Option<String>,
        /// Accuracy on gold asked for (0 to 1).
        #[arg(long)]
        threshold: Option<f64>,
        /// Gold answers before an annotator is judged.
        #[arg(long)]
        min_items: Option<u64>,
    },
    /// Each annotator's accuracy on gold items, and who is flagged.
    #[command(after_help = "Example:\n  sift gold status -p proj --json")]
    Status {
        #[command(flatten)]
        project: ProjectArg,
    },
}

pub fn run(command: GoldCommand, out: &Out) -> anyhow::Result<()> {
    match command {
        GoldCommand::Mark { project, field } => {
            let report = crate::open(&project)?.mark_gold_from_field(&field)?;
            out.emit(&report, || {
                format!(
                    "{} items are gold (field {:?}); {} items have no such field\nNext: sift gold settings -p PROJECT --rate 0.1\n",
                    report.marked, report.field, report.without_field
                )
            });
        }
        GoldCommand::Set {
            item,
            project,
            payload,
        } => {
            let value: serde_json::Value = serde_json::from_str(&payload)
                .map_err(|e| sift_api::Error::BadRequest(format!("--payload: not JSON: {e}")))?;
            crate::open(&project)?.mark_gold(item, &value)?;
            out.emit(&serde_json::json!({"item": item, "gold": true}), || {
                format!("item {item} is gold\n")
            });
        }
        GoldCommand::Settings {
            project,
            rate,
            feedback,
            threshold,
            min_items,
        } => {
            let mut p = crate::open(&project)?;
            let s = p.set_gold_settings(rate, feedback.map(|f| f == "on"), threshold, min_items)?;
            out.emit(&s, || {
                format!(
                    "gold rate {} ({}), feedback {}, threshold {}, judged after {} answers\n",
                    s.rate,
                    if s.rate > 0.0 { "mixed into queues" } else { "off" },
                    if s.feedback { "on" } else { "off" },
                    s.threshold,
                    s.min_items
                )
            });
        }
        GoldCommand::Status { project } => {
            let p = crate::open(&project)?;
            let records = p.gold_records()?;
            out.emit(&records, || {
                if records.is_empty() {
                    return "No gold item has been answered yet.\n".to_owned();
                }
                let mut t = String::from(
                    "  annotator            answered  correct  accuracy  95% interval    status\n",
                );
                for r in &records {
                    let (acc, ci) = match r.accuracy {
                        Some(a) => (
                            format!("{:.1}%", a.estimate * 100.0),
                            format!("{:.0}–{:.0}%", a.lower * 100.0, a.upper * 100.0),
                        ),
                        None => ("—".into(), "—".into()),
                    };
                    t.push_str(&format!(
                        "  {:<20} {:>8} {:>8} {:>9}  {:<14}  {}\n",
                        r.annotator,
                        r.answered,
                        r.correct,
                        acc,
                        ci,
                        r.status
                            .map_or_else(|| "—".to_owned(), |s| format!("{s:?}").to_lowercase())
                    ));
                }
                t
            });
        }
    }
    Ok(())
}
