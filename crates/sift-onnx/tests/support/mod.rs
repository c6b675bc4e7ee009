//! What the runtime tests share: the fixtures folder, the check that ONNX Runtime is there
//! (these tests fail, never skip, without it) and single-threaded CPU options.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

use sift_onnx::{Device, ScorerOptions};

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Fails the test, naming the runtime it needs, when ONNX Runtime cannot be loaded.
pub fn require_runtime() {
    if let Err(e) = sift_onnx::runtime() {
        panic!(
            "these tests need ONNX Runtime {}: {e}",
            sift_onnx::EXPECTED_RUNTIME
        );
    }
}

/// The CPU with one operator thread and two preparing workers.
pub fn cpu() -> ScorerOptions {
    ScorerOptions {
        device: Device::Cpu,
        intra_threads: Some(1),
        workers: Some(2),
    }
}
