//! `sift autolabel`: calibrated machine labels from the current classifier head (the threshold
//! chosen on human-labeled validation items for a target precision), their audit by people,
//! and their withdrawal when the audit disagrees. A thin adapter over `sift_api::autolabel`.

use clap::{Args, Subcommand};
use sift_api::autolabel::{AuditCheck, AutolabelOptions, AutolabelReport, Criterion};

use crate::ProjectArg;
use crate::output::Out;

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Chooses, on the head's human-labeled validation items, the lowest confidence threshold whose\nprecision reaches the target, and labels the unlabeled items at or above it as machine labels.\nMachine labels are never annotations: the Ground Truth export marks them \"human-annotated\": \"no\"\nwith their confidence (--human-only leaves them out), and `sift learn` leaves them out unless\n--machine-labels is given.\n\nExamples:\n  sift autolabel -p proj --target-precision 0.98 --dry-run\n  sift autolabel -p proj --target-precision 0.98\n  sift autolabel audit -p proj --size 50 --assign alice\n  sift autolabel check -p proj"
)]
pub struct AutolabelArgs {
    #[command(subcommand)]
    command: Option<AutolabelCommand>,
    #[command(flatten)]
    project: ProjectArg,
    /// The precision the machine labels must reach on the validation items (0 to 1).
    #[arg(long)]
    target_precision: Option<f64>,
    /// NAME@VERSION of the head (default: the newest classifier head `sift learn` trained).
    #[arg(long, short = 'm')]
    model: Option<String>,
    /// Choose and report the threshold; label nothing.
    #[arg(long)]
    dry_run: bool,
    /// Ask the lower end of the precision's 95% interval, not the precision measured, to reach
    /// the target: fewer machine labels, and they hold the target on new items too (needs more
    /// validation items: 73 right of 73 for 0.95).
    #[arg(long)]
    conservative: bool,
}

#[derive(Debug, Subcommand)]
enum AutolabelCommand {
    /// Hand N random machine labels of a run to people for an audit (a batch).
    Audit {
        #[command(flatten)]
        project: ProjectArg,
        /// How many machine labels to audit.
        #[arg(long)]
        size: usize,
        /// Who audits them (repeat for several).
        #[arg(long = "assign")]
        assign: Vec<String>,
        /// The autolabel run (default: the newest live one).
        #[arg(long)]
        run: Option<i64>,
        /// Seed of the random draw.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Compare the auditors' labels with the machine labels; withdraw the run below target.
    Check {
        #[command(flatten)]
        project: ProjectArg,
        /// The autolabel run (default: the newest live one).
        #[arg(long)]
        run: Option<i64>,
    },
}

pub fn autolabel(args: AutolabelArgs, out: &Out) -> anyhow::Result<()> {
    match args.command {
        Some(AutolabelCommand::Audit {
            project,
            size,
            assign,
            run,
            seed,
        }) => {
            let mut project = crate::open(&project)?;
            let report = project.autolabel_audit(size, &assign, run, seed)?;
            out.emit(&report, || {
                format!(
                    "Audit batch {} of autolabel run {}: {} machine labels{}\nNext: sift autolabel check -p PROJECT (once they are labeled)\n",
                    report.batch,
                    report.run,
                    report.items.len(),
                    if report.assigned_to.is_empty() {
                        String::new()
                    } else {
                        format!(", dealt out to {}", report.assigned_to.join(", "))
                    }
                )
            });
        }
        Some(AutolabelCommand::Check { project, run }) => {
            let mut project = crate::open(&project)?;
            let check = project.autolabel_check(run)?;
            out.emit(&check, || check_text(&check));
        }
        None => {
            let Some(target_precision) = args.target_precision else {
                return Err(sift_api::Error::BadRequest(
                    "--target-precision is required (for example 0.98)".into(),
                )
                .into());
            };
            let mut project = crate::open(&args.project)?;
            let report = project.autolabel(&AutolabelOptions {
                target_precision,
                model: args.model,
                dry_run: args.dry_run,
                criterion: if args.conservative {
                    Criterion::LowerBound
                } else {
                    Criterion::Estimate
                },
            })?;
            out.emit(&report, || report_text(&report, args.dry_run));
        }
    }
    Ok(())
}

fn report_text(r: &AutolabelReport, dry_run: bool) -> String {
    let c = &r.choice;
    format!(
        "Threshold {:.4} (head {}): precision {:.3} on {} of {} validation items (95% CI {:.3} to {:.3}), target {}{}\n{}\n",
        c.threshold,
        r.model,
        c.precision,
        c.support,
        c.validation_items,
        c.ci_low,
        c.ci_high,
        r.target_precision,
        match r.criterion {
            Criterion::Estimate => "",
            Criterion::LowerBound => " for the CI's lower end",
        },
        if dry_run {
            format!(
                "Dry run: {} unlabeled items are at or above it; nothing labeled.",
                r.eligible
            )
        } else {
            format!(
                "Labeled {} items as machine labels (run {}).",
                r.labeled,
                r.run.unwrap_or_default()
            )
        }
    )
}

fn check_text(c: &AuditCheck) -> String {
    let mut t = match c.precision {
        Some(p) => format!(
            "Autolabel run {}: people agreed with {} of {} audited machine labels ({:.3}, 95% CI {:.3} to {:.3}; target {})",
            c.run,
            c.agreed,
            c.compared,
            p,
            c.ci_low.unwrap_or_default(),
            c.ci_high.unwrap_or_default(),
            c.target_precision
        ),
        None => format!("Autolabel run {}: no audited item is labeled yet", c.run),
    };
    if c.waiting > 0 {
        t.push_str(&format!("; {} still waiting", c.waiting));
    }
    t.push('\n');
    if c.withdrawn {
        t.push_str(&format!(
            "Below the target: the run's {} machine labels were withdrawn; their items are unlabeled work again.\n",
            c.withdrawn_labels
        ));
    }
    t
}
