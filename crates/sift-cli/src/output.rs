//! Human text or `--json` on standard output; errors on standard error.

use std::io::Write;

use serde::Serialize;
use sift_api::{
    AnnotationView, AnnotatorRow, ExportReport, ImportReport, ProjectInfo, StatusReport, TemplateSummary,
};
use sift_error::{ApiError, Code};

/// Writes `text` to standard output. When the reader has gone away (`sift status | head`),
/// exits at once, quietly and successfully, as command-line tools do: `print!` would panic.
pub(crate) fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        stderr(&format!("error: cannot write to standard output: {e}\n"));
        std::process::exit(2);
    }
}

/// Writes `text` to standard error; a closed standard error is ignored (there is no one
/// left to tell), where `eprint!` would panic.
pub(crate) fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    // Nowhere to report a failure to report.
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether `--json` was given: standard output is then for the JSON result alone, and
    /// progress bars stay hidden.
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    pub(crate) fn emit<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(s) => stdout(&format!("{s}\n")),
                Err(e) => stderr(&format!("error: cannot write JSON output: {e}\n")),
            }
        } else {
            stdout(&text());
        }
    }

    pub fn error(&self, err: &anyhow::Error, code: Code) {
        let mut text = format!("error: {err}\n");
        for cause in err.chain().skip(1) {
            text.push_str(&format!("  caused by: {cause}\n"));
        }
        if std::env::var_os("SIFT_BACKTRACE").is_some_and(|v| v != "0") {
            text.push_str(&format!("\n{}\n", err.backtrace()));
        }
        stderr(&text);
        if self.json {
            let api = ApiError::new(code, format!("{err:#}"));
            if let Ok(s) = serde_json::to_string(&serde_json::json!({ "error": api })) {
                stdout(&format!("{s}\n"));
            }
        }
    }

    pub fn init(&self, info: &ProjectInfo) {
        self.emit(info, || {
            format!(
                "Created project {:?} ({} template {:?}) at {}\nNext: sift import MANIFEST --project {}\n",
                info.name,
                info.kind,
                info.template,
                info.path.display(),
                info.path
                    .parent()
                    .map_or_else(|| ".".into(), |p| p.display().to_string())
            )
        });
    }

    pub fn status(&self, s: &StatusReport) {
        self.emit(s, || {
            let mut t = format!(
                "Project {:?} — {} template {:?}\n  items       {:>9}\n  unlabeled   {:>9}\n",
                s.project.name, s.project.kind, s.project.template, s.counts.items, s.counts.unlabeled
            );
            for state in ["draft", "submitted", "returned", "approved"] {
                let n = s.counts.annotations.get(state).copied().unwrap_or(0);
                t.push_str(&format!("  {state:<11} {n:>9}\n"));
            }
            if s.counts.by_annotator.is_empty() {
                t.push_str("No annotators yet: add one with `sift annotator add NAME`.\n");
            } else {
                t.push_str(
                    "\n  annotator            role        draft submitted approved returned   hours\n",
                );
                for a in &s.counts.by_annotator {
                    let n = |k: &str| a.states.get(k).copied().unwrap_or(0);
                    t.push_str(&format!(
                        "  {:<20} {:<9} {:>7} {:>9} {:>8} {:>8} {:>7.2}\n",
                        a.name,
                        a.role,
                        n("draft"),
                        n("submitted"),
                        n("approved"),
                        n("returned"),
                        a.time_spent_ms as f64 / 3_600_000.0
                    ));
                }
            }
            t
        });
    }

    pub fn import(&self, r: &ImportReport) {
        self.emit(r, || {
            if r.lines == 0 {
                return format!(
                    "{}: no items found (the file is empty); nothing was imported\n",
                    r.file
                );
            }
            let mut t = format!(
                "Imported {} ({}): {} lines, {} new items, {} duplicates skipped",
                r.file, r.format, r.lines, r.added, r.duplicates
            );
            if r.labels_added > 0 {
                t.push_str(&format!(", {} existing labels", r.labels_added));
            }
            if r.predictions_added > 0 {
                t.push_str(&format!(
                    ", {} model predictions (suggestions, not labels)",
                    r.predictions_added
                ));
            }
            if r.annotations_left_out > 0 {
                t.push_str(&format!(
                    ", {} annotations left out (--data-only)",
                    r.annotations_left_out
                ));
            }
            t.push('\n');
            if r.skipped > 0 {
                t.push_str(&format!("{} invalid lines skipped:\n", r.skipped));
                for s in &r.skipped_lines {
                    t.push_str(&format!("  {}:{}: {}\n", r.file, s.line, s.reason));
                }
                if r.skipped as usize > r.skipped_lines.len() {
                    t.push_str(&format!(
                        "  ... and {} more (all were printed as warnings)\n",
                        r.skipped as usize - r.skipped_lines.len()
                    ));
                }
            }
            if r.missing_media > 0 {
                t.push_str(&format!(
                    "{} items point to media files that do not exist (yet):\n",
                    r.missing_media
                ));
                for s in r.missing_media_lines.iter().take(20) {
                    t.push_str(&format!("  {}:{}: {}\n", r.file, s.line, s.reason));
                }
            }
            t
        });
    }

    pub fn export(&self, r: &ExportReport) {
        self.emit(r, || {
            let mut text = format!(
                "Exported {} records ({}) from {} annotations to {}\n",
                r.records,
                r.format,
                r.annotations,
                r.path
                    .as_ref()
                    .map_or_else(|| "standard output".into(), |p| p.display().to_string())
            );
            if let Some(n) = r.no_consensus.filter(|&n| n > 0) {
                text.push_str(&format!(
                    "{n} items left out: their annotators reach no consensus (a tie); `sift report` lists the agreement\n"
                ));
            }
            text
        });
    }

    pub fn annotator_added(&self, a: &AnnotatorRow, token: &str) {
        #[derive(Serialize)]
        struct Added<'a> {
            annotator: &'a AnnotatorRow,
            token: &'a str,
        }
        self.emit(&Added { annotator: a, token }, || {
            format!(
                "Added {} {:?}. Access token (shown once, keep it secret):\n{token}\n",
                a.role, a.name
            )
        });
    }

    pub fn token(&self, name: &str, token: &str) {
        self.emit(&serde_json::json!({ "name": name, "token": token }), || {
            format!("New access token for {name:?} (the old one no longer works):\n{token}\n")
        });
    }

    pub fn annotators(&self, list: &[AnnotatorRow]) {
        self.emit(&list, || {
            if list.is_empty() {
                return "No annotators yet: add one with `sift annotator add NAME`.\n".into();
            }
            let mut t = String::from("name                 role       token  since\n");
            for a in list {
                t.push_str(&format!(
                    "{:<20} {:<10} {:<6} {}\n",
                    a.name,
                    a.role,
                    if a.has_token { "yes" } else { "no" },
                    a.created_at
                ));
            }
            t
        });
    }

    pub fn annotation(&self, a: &AnnotationView) {
        self.emit(a, || {
            let mut t = format!(
                "annotation {} (item {}, {}): {} at version {}\n",
                a.id, a.item_id, a.annotator, a.state, a.version
            );
            if let Some(r) = a.reviews.last() {
                t.push_str(&format!(
                    "  last review: {:?} by {} on version {}{}\n",
                    r.decision,
                    r.reviewer,
                    r.version,
                    r.comment.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
                ));
            }
            t
        });
    }

    pub fn pending(&self, list: &[AnnotationView]) {
        self.emit(&list, || {
            if list.is_empty() {
                return "Nothing is waiting for review.\n".into();
            }
            let mut t = String::from("annotation  item  version  annotator            submitted\n");
            for a in list {
                t.push_str(&format!(
                    "{:>10} {:>5} {:>8}  {:<20} {}\n",
                    a.id,
                    a.item_id,
                    a.submitted_version.unwrap_or(a.version),
                    a.annotator,
                    a.updated_at
                ));
            }
            t
        });
    }

    pub fn template_check(&self, t: &TemplateSummary) {
        self.emit(t, || {
            format!(
                "{}: ok — {} template {:?} (label attribute {:?}, {} shortcuts)\n",
                t.file, t.kind, t.name, t.label_attribute, t.shortcuts
            )
        });
    }

    pub fn serving(&self, url: &str) {
        self.emit(&serde_json::json!({ "url": url }), || {
            format!(
                "Sift is serving at {url}\nSign in with an annotator token (`sift annotator add NAME` prints one),\nor open {url}#token=<token>. Press Ctrl-C to stop.\n"
            )
        });
        use std::io::Write as _;
        // Best effort, so that a reader sees the address before the first request: a closed
        // standard output changes nothing for the server, and the next write reports it.
        let _ = std::io::stdout().flush();
    }
}

/// The boundary code of the first `sift_api::Error` in the chain (internal if none).
pub(crate) fn classify(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|e| {
            e.downcast_ref::<sift_api::Error>()
                .map(sift_error::ErrorCode::code)
        })
        .or_else(|| {
            err.chain()
                .find_map(|e| e.downcast_ref::<std::io::Error>().map(|_| Code::Io))
        })
        .unwrap_or(Code::Internal)
}
