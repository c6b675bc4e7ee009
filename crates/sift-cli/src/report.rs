//! `sift report`: the quality report (agreement, consensus, annotator analytics, per batch)
//! as one self-contained HTML file, or as JSON. A thin adapter over
//! `Project::quality_report` and `sift_api::quality::html`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use sift_api::quality::QualityReport;

use crate::ProjectArg;
use crate::output::Out;

#[derive(Debug, Args)]
#[command(
    after_help = "The HTML file needs nothing else to be read: styles and charts are inside it, and it runs no\nscript. With --json the same figures are printed on standard output.\n\nExamples:\n  sift report -p proj -o quality.html\n  sift report -p proj --json > quality.json"
)]
pub struct ReportArgs {
    #[command(flatten)]
    project: ProjectArg,
    /// Write the report to this HTML file.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

pub fn report(args: ReportArgs, out: &Out) -> anyhow::Result<()> {
    let ReportArgs { project, output } = args;
    let report = crate::open(&project)?.quality_report()?;
    if let Some(path) = &output {
        std::fs::write(path, sift_api::quality::html::render(&report))
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    out.emit(&report, || summary(&report, output.as_ref()));
    Ok(())
}

fn summary(r: &QualityReport, written: Option<&PathBuf>) -> String {
    let o = &r.overall;
    let mut t = format!(
        "{}: {} annotations on {} items, {} with two or more\n",
        r.project, o.annotations, o.items, o.overlapping_items
    );
    for m in &o.measures {
        t.push_str(&format!(
            "  {:<48} {:>8}  {}\n",
            match &m.dimension {
                Some(d) => format!("{} · {d}", m.name),
                None => m.name.clone(),
            },
            m.value.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}")),
            m.undefined.as_deref().unwrap_or("")
        ));
    }
    for a in &r.annotators {
        t.push_str(&format!(
            "  {:<20} {:>5} submitted  {:>7} / h  agreement with the others {}\n",
            a.name,
            a.submitted,
            a.items_per_hour
                .map_or_else(|| "—".to_owned(), |v| format!("{v:.1}")),
            a.agreement_with_consensus
                .map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
        ));
    }
    match written {
        Some(p) => t.push_str(&format!("Report written to {}\n", p.display())),
        None => t.push_str("Write the whole report with -o FILE.html (or --json)\n"),
    }
    t
}
