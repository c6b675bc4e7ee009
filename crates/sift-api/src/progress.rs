/// Reports on long work. The CLI draws progress bars with it; the desktop app sends events.
pub trait Progress: Sync {
    /// A phase begins; `total` is in the phase's unit (bytes for imports, rows for exports).
    fn start(&self, _phase: &str, _total: Option<u64>) {}
    /// The phase has reached `position`.
    fn set_position(&self, _position: u64) {}
    /// The phase is done.
    fn finish(&self) {}
    /// A line was skipped (with `--skip-invalid`) or has a warning, as `file:line: reason`.
    fn note(&self, _message: &str) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
