//! `sift batch`: batches made in import order, dealt out to annotators (one each, or to
//! `--overlap K` different people per item for independent annotations). A thin adapter over
//! `Project::create_batch`; `sift queue` makes batches ordered by model scores.

use clap::Subcommand;

use crate::ProjectArg;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Make a batch of the next unlabeled items outside any batch, in import order, dealt out
    /// round-robin to annotators (`sift queue` orders a batch by model scores instead).
    #[command(
        after_help = "Examples:\n  sift batch create -p proj --size 200 --assign alice,bob --name week-42\n  sift batch create -p proj --size 100 --assign alice,bob,carol --overlap 2   # two annotations per item"
    )]
    Create {
        #[command(flatten)]
        project: ProjectArg,
        /// Items in the batch.
        #[arg(long, short = 'k')]
        size: usize,
        /// Annotators to assign the items to, comma-separated.
        #[arg(long, value_delimiter = ',')]
        assign: Vec<String>,
        /// Batch name (default: batch-N).
        #[arg(long)]
        name: Option<String>,
        /// Independent annotations per item: each item goes to this many different people of
        /// --assign (the next ones in turn), and counts as done when that many have submitted.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        overlap: u32,
    },
}

pub fn run(command: BatchCommand, out: &Out) -> anyhow::Result<()> {
    match command {
        BatchCommand::Create {
            project,
            size,
            assign,
            name,
            overlap,
        } => {
            let report =
                crate::open(&project)?.create_batch_with_overlap(name.as_deref(), size, &assign, overlap)?;
            out.emit(&report, || {
                format!(
                    "batch {}: {} item(s){}{}{}\n",
                    report.batch,
                    report.items.len(),
                    if report.gold.is_empty() {
                        String::new()
                    } else {
                        format!(" and {} gold item(s) for everyone", report.gold.len())
                    },
                    if report.assigned_to.is_empty() {
                        String::new()
                    } else {
                        format!(", dealt out to {}", report.assigned_to.join(", "))
                    },
                    if report.overlap > 1 {
                        format!(", {} annotations per item", report.overlap)
                    } else {
                        String::new()
                    }
                )
            });
        }
    }
    Ok(())
}
