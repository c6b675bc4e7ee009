//! `sift status`: the project's counts by state and annotator, its batches (with overlap: done
//! when k people submitted), plus which model version scored how many items.

use sift_api::Project;

use crate::output::Out;

/// `sift status`: the project's counts, plus which model version scored how many items.
pub fn status(project: &Project, out: &Out) -> anyhow::Result<()> {
    let status = project.status()?;
    let models = project.model_scores()?;
    let batches = project.batch_progress()?;
    let quotas = project.quota_report()?;
    let shards = project.shard_progress()?;
    if out.is_json() {
        let mut value = serde_json::to_value(&status)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("models".into(), serde_json::to_value(&models)?);
            map.insert("batches".into(), serde_json::to_value(&batches)?);
            map.insert("quotas".into(), serde_json::to_value(&quotas)?);
            map.insert("shards".into(), serde_json::to_value(&shards)?);
        }
        out.emit(&value, String::new);
        return Ok(());
    }
    out.status(&status);
    if !batches.is_empty() {
        let mut table = String::from("\n  batch                     items   done  per item  assigned to\n");
        for b in &batches {
            table.push_str(&format!(
                "  {:<24} {:>6} {:>6} {:>9}  {}\n",
                b.name,
                b.items,
                b.complete,
                b.overlap,
                if b.annotators.is_empty() {
                    "-"
                } else {
                    &b.annotators
                }
            ));
        }
        crate::output::stdout(&table);
    }
    if !quotas.lines.is_empty() {
        crate::output::stdout(&quota_table(&quotas));
    }
    if !models.is_empty() {
        let mut table = String::from("\n  model                           scored  failed  runs  last run\n");
        for m in &models {
            table.push_str(&format!(
                "  {:<29} {:>8} {:>7} {:>5}  {}\n",
                format!("{}@{}", m.name, m.version),
                m.items_scored,
                m.items_failed,
                m.runs,
                match (&m.last_run_at, &m.last_device) {
                    (Some(at), Some(device)) => format!(
                        "{at} on {device} ({})",
                        m.last_runtime_version.as_deref().unwrap_or("?")
                    ),
                    _ => "never".to_owned(),
                }
            ));
        }
        crate::output::stdout(&table);
    }
    if !shards.is_empty() {
        crate::output::stdout(&crate::shard::progress_table(&shards));
    }
    Ok(())
}

/// The dataset targets as a table (`sift status`, and the warning of `sift export`).
pub(crate) fn quota_table(q: &sift_api::quality::quotas::QuotaReport) -> String {
    let mut t = String::from(
        "\n  dataset target                              now     asked          status     to meet it\n",
    );
    for l in &q.lines {
        let fmt = |v: f64| {
            if (0.0..=1.0).contains(&v) {
                format!("{:.0}%", v * 100.0)
            } else {
                format!("{v:.1}")
            }
        };
        let asked = match (l.bounds.min, l.bounds.max) {
            (Some(a), Some(b)) => format!("{}-{}", fmt(a), fmt(b)),
            (Some(a), None) => format!(">= {}", fmt(a)),
            (None, Some(b)) => format!("<= {}", fmt(b)),
            (None, None) => "-".into(),
        };
        t.push_str(&format!(
            "  {:<42} {:>6}  {:<13}  {:<9}  {}\n",
            l.target,
            l.value.map_or_else(|| "-".to_owned(), fmt),
            asked,
            format!("{:?}", l.status).to_lowercase(),
            l.advice
        ));
    }
    t
}
