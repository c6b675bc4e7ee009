//! The quality report as one self-contained HTML file: styles inline, charts as inline SVG,
//! no script, no font, image or style sheet from anywhere else — it opens offline, in any
//! browser, and can be mailed as it is. Every text that came from the project (names, labels,
//! batch names) is escaped.

use super::svg::{bars, esc, heat_map};
use super::{QualityReport, Scope};

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2327;background:#f6f7f8}
main{max-width:1100px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
h3{font-size:15px;margin:18px 0 6px}.muted{color:#5f6b75}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #dde2e6;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;background:#fff;border:1px solid #dde2e6;margin:6px 0 12px}
th,td{padding:5px 10px;border-bottom:1px solid #eceff1;text-align:left;vertical-align:top}th{background:#f0f2f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}.chart{background:#fff;border:1px solid #dde2e6;border-radius:8px;margin:6px 0}
.chart .lbl{font:12px system-ui,sans-serif;fill:#1d2327}.chart .val{font:12px system-ui,sans-serif;fill:#5f6b75}
.chart .cell{font:11px system-ui,sans-serif;fill:#1d2327}.undef{color:#8a5a00}section{margin-bottom:8px}";

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// A share or a rate, short: "40%" for shares up to 1, "3.2" otherwise.
fn short(v: f64) -> String {
    if (0.0..=1.0).contains(&v) {
        format!("{:.0}%", v * 100.0)
    } else {
        format!("{v:.1}")
    }
}

fn duration(ms: Option<f64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 60_000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) => format!("{:.1} min", ms / 60_000.0),
    }
}

fn dim(d: Option<&String>) -> String {
    d.map(|d| format!(" · {}", esc(d))).unwrap_or_default()
}

/// The measures, pairs and consensus of a scope as tables (and a heat map of each pair measure).
fn scope_html(s: &Scope, out: &mut String) {
    out.push_str(&format!(
        "<p class=\"muted\">{} annotations on {} items; {} items with two or more (agreement is computed on these){}.</p>",
        s.annotations,
        s.items,
        s.overlapping_items,
        if s.unreadable > 0 {
            format!("; {} submissions could not be read for this template and are left out", s.unreadable)
        } else {
            String::new()
        }
    ));
    if !s.measures.is_empty() {
        out.push_str("<table><tr><th>Measure</th><th>Value</th><th>Items</th><th></th></tr>");
        for m in &s.measures {
            out.push_str(&format!(
                "<tr><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"undef\">{}</td></tr>",
                esc(&m.name),
                dim(m.dimension.as_ref()),
                num(m.value),
                m.units,
                m.undefined.as_deref().map(esc).unwrap_or_default()
            ));
        }
        out.push_str("</table>");
    }
    for c in &s.consensus {
        out.push_str(&format!(
            "<p>Consensus{}: {} over {} items, {} ties; mean agreement with it {}.</p>",
            dim(c.dimension.as_ref()),
            esc(&c.method),
            c.items,
            c.ties,
            pct(c.mean_agreement)
        ));
    }
    // One heat map per (measure, dimension) of the pair figures.
    let mut groups: Vec<(String, Option<String>)> = Vec::new();
    for p in &s.pairs {
        let key = (p.measure.clone(), p.dimension.clone());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (measure, dimension) in groups {
        let rows: Vec<_> = s
            .pairs
            .iter()
            .filter(|p| p.measure == measure && p.dimension == dimension)
            .collect();
        let mut names: Vec<String> = rows.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).collect();
        names.sort();
        names.dedup();
        let title = format!(
            "{measure}{} per pair of annotators",
            dimension.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
        );
        out.push_str(&format!("<h3>{}</h3>", esc(&title)));
        out.push_str(&heat_map(&title, &names, |i, j| {
            rows.iter()
                .find(|p| (p.a == names[i] && p.b == names[j]) || (p.a == names[j] && p.b == names[i]))
                .and_then(|p| p.value)
        }));
    }
}

/// Most items listed under "least agreement".
const LEAST_AGREEMENT_ROWS: usize = 20;

/// The items whose annotators agree least: the ones to adjudicate first.
fn least_agreement(s: &Scope, out: &mut String) {
    if s.per_item.is_empty() {
        return;
    }
    out.push_str(&format!(
        "<h3>Items with the least agreement</h3><p class=\"muted\">The {} of {} items with two or more annotations whose annotators agree least (all of them are in <code>--json</code>).</p>",
        s.per_item.len().min(LEAST_AGREEMENT_ROWS),
        s.per_item.len()
    ));
    out.push_str(
        "<table><tr><th>Item</th><th>Annotations</th><th>Agreement</th><th>Measure</th><th></th></tr>",
    );
    for i in s.per_item.iter().take(LEAST_AGREEMENT_ROWS) {
        out.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"undef\">{}</td></tr>",
            i.item,
            i.annotations,
            num(i.agreement),
            esc(&i.measure),
            if i.tie { "tie" } else { "" }
        ));
    }
    out.push_str("</table>");
}

/// The whole report as an HTML document.
pub fn render(r: &QualityReport) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(&format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Quality report: {p}</title><style>{STYLE}</style></head><body><main>\
         <h1>Quality report: {p}</h1><p class=\"muted\">Template kind {k} · made {g} by Sift</p>",
        p = esc(&r.project),
        k = esc(&r.kind),
        g = esc(&r.generated_at)
    ));
    let o = &r.overall;
    out.push_str(&format!(
        "<div class=\"cards\"><div class=\"card\"><b>{}</b>annotations</div><div class=\"card\"><b>{}</b>items annotated</div><div class=\"card\"><b>{}</b>items with overlap</div><div class=\"card\"><b>{}</b>annotators</div><div class=\"card\"><b>{}</b>batches</div></div>",
        o.annotations,
        o.items,
        o.overlapping_items,
        r.annotators.len(),
        r.batches.len()
    ));
    out.push_str("<section><h2>Agreement: the project</h2>");
    scope_html(o, &mut out);
    least_agreement(o, &mut out);
    out.push_str("</section>");

    out.push_str("<section><h2>Annotators</h2>");
    if r.annotators.is_empty() {
        out.push_str("<p class=\"muted\">Nobody has submitted work yet.</p>");
    } else {
        out.push_str("<table><tr><th>Annotator</th><th>Submitted</th><th>Approved</th><th>Items / hour</th><th>Median time / item</th><th>Return rate (95% CI)</th><th>Agreement with the others</th></tr>");
        for a in &r.annotators {
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td></tr>",
                esc(&a.name),
                a.submitted,
                a.approved,
                a.items_per_hour.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}")),
                duration(a.median_ms),
                pct(a.return_rate),
                a.return_rate_interval
                    .map(|(l, h)| format!(" ({:.0}–{:.0}%)", l * 100.0, h * 100.0))
                    .unwrap_or_default(),
                num(a.agreement_with_consensus)
            ));
        }
        out.push_str("</table>");
        let agreement: Vec<(String, Option<f64>, String)> = r
            .annotators
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.agreement_with_consensus,
                    num(a.agreement_with_consensus),
                )
            })
            .collect();
        out.push_str("<h3>Agreement with the others' consensus</h3>");
        out.push_str(&bars(
            "Agreement with the others' consensus",
            &agreement,
            0.0,
            1.0,
        ));
        let max_pace = r
            .annotators
            .iter()
            .filter_map(|a| a.items_per_hour)
            .fold(0.0_f64, f64::max);
        let pace: Vec<(String, Option<f64>, String)> = r
            .annotators
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.items_per_hour,
                    a.items_per_hour
                        .map_or_else(|| "—".to_owned(), |v| format!("{v:.1} / h")),
                )
            })
            .collect();
        out.push_str("<h3>Items per active hour</h3>");
        out.push_str(&bars("Items per active hour", &pace, 0.0, max_pace.max(1.0)));
    }
    out.push_str("</section>");

    if !r.days.is_empty() {
        let mut per_day: Vec<(String, u64)> = Vec::new();
        for d in &r.days {
            match per_day.last_mut() {
                Some((day, n)) if *day == d.day => *n += d.submitted,
                _ => per_day.push((d.day.clone(), d.submitted)),
            }
        }
        let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
        let rows: Vec<(String, Option<f64>, String)> = per_day
            .iter()
            .map(|(d, n)| (d.clone(), Some(*n as f64), n.to_string()))
            .collect();
        out.push_str("<section><h2>Submissions per day</h2>");
        out.push_str(&bars("Submissions per day", &rows, 0.0, max));
        out.push_str("<table><tr><th>Day</th><th>Annotator</th><th>Submitted</th><th>Active time</th></tr>");
        for d in &r.days {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&d.day),
                esc(&d.annotator),
                d.submitted,
                duration(Some(d.active_ms.max(0) as f64))
            ));
        }
        out.push_str("</table></section>");
    }

    out.push_str("<section><h2>Dataset targets</h2>");
    if r.quotas.lines.is_empty() {
        out.push_str(
            "<p class=\"muted\">The template sets no target for the dataset (<code>[quotas]</code>).</p>",
        );
    } else {
        out.push_str("<table><tr><th>Target</th><th>Asked</th><th>Now</th><th>Counted</th><th>Status</th><th>To meet it</th></tr>");
        for l in &r.quotas.lines {
            let asked = match (l.bounds.min, l.bounds.max) {
                (Some(a), Some(b)) => format!("{} to {}", short(a), short(b)),
                (Some(a), None) => format!("at least {}", short(a)),
                (None, Some(b)) => format!("at most {}", short(b)),
                (None, None) => "—".into(),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td>{}</td><td>{}</td></tr>",
                esc(&l.target),
                asked,
                l.value.map_or_else(|| "—".to_owned(), short),
                l.count,
                l.total,
                match l.status {
                    sift_quality::QuotaStatus::Met => "met",
                    sift_quality::QuotaStatus::NotYet => "<b class=\"undef\">not yet</b>",
                    sift_quality::QuotaStatus::Exceeded => "<b class=\"undef\">exceeded</b>",
                },
                esc(&l.advice)
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");

    out.push_str("<section><h2>Gold items</h2>");
    let g = &r.gold;
    if g.items == 0 {
        out.push_str(
            "<p class=\"muted\">No gold item. Mark some with <code>sift gold mark --field NAME</code>.</p>",
        );
    } else {
        out.push_str(&format!(
            "<p class=\"muted\">{} gold items, mixed into queues at {:.0}% ({}); accuracy asked for {:.0}%, judged after {} answers.</p>",
            g.items,
            g.settings.rate * 100.0,
            if g.settings.feedback { "the expected answer shown after submitting" } else { "no feedback" },
            g.settings.threshold * 100.0,
            g.settings.min_items
        ));
        out.push_str("<table><tr><th>Annotator</th><th>Answered</th><th>Correct</th><th>Accuracy (95% CI)</th><th>Status</th></tr>");
        for rec in &g.records {
            let (acc, status) = match (rec.accuracy, rec.status) {
                (Some(a), Some(s)) => (
                    format!(
                        "{:.1}% ({:.0}–{:.0}%)",
                        a.estimate * 100.0,
                        a.lower * 100.0,
                        a.upper * 100.0
                    ),
                    match s {
                        sift_quality::GoldStatus::TooFew => "too few answers yet",
                        sift_quality::GoldStatus::Passing => "passing",
                        sift_quality::GoldStatus::Below => "below the threshold (watch)",
                        sift_quality::GoldStatus::Flagged => "<b class=\"undef\">flagged</b>",
                    },
                ),
                _ => ("—".to_owned(), "—"),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&rec.annotator),
                rec.answered,
                rec.correct,
                acc,
                status
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");

    out.push_str("<section><h2>Batches</h2>");
    if r.batches.is_empty() {
        out.push_str("<p class=\"muted\">No batch yet.</p>");
    }
    for b in &r.batches {
        out.push_str(&format!(
            "<h3>{}</h3><p class=\"muted\">{} items, {} annotation{} per item; {} done.</p>",
            esc(&b.name),
            b.items,
            b.overlap,
            if b.overlap == 1 { "" } else { "s" },
            b.complete
        ));
        scope_html(&b.scope, &mut out);
    }
    out.push_str("</section></main></body></html>\n");
    out
}
