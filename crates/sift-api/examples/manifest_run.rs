//! Runs Sift's own import or export in-process, as `sift import` / `sift export` do, and
//! prints the seconds it took: for profiling (`perf record`) without the CLI's dependencies.
//!
//! Usage: `manifest_run import MANIFEST TEMPLATE PROJECT_DIR` (a new project)
//!        `manifest_run export PROJECT_DIR OUTPUT`

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a benchmark tool

use std::path::Path;
use std::time::Instant;

use sift_api::{ExportOptions, ImportOptions, NoProgress, Project};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["import", manifest, template, dir] => {
            // A fresh start: the folder may not exist yet.
            let _ = std::fs::remove_dir_all(dir);
            drop(sift_api::init_project(Path::new(dir), Path::new(template), None).unwrap());
            let start = Instant::now();
            let mut p = Project::open(Path::new(dir)).unwrap();
            let r = p
                .import(Path::new(manifest), &ImportOptions::default(), &NoProgress)
                .unwrap();
            drop(p);
            println!(
                "import: {} lines, {} added in {:.3} s",
                r.lines,
                r.added,
                start.elapsed().as_secs_f64()
            );
        }
        ["export", dir, out] => {
            let start = Instant::now();
            let p = Project::open(Path::new(dir)).unwrap();
            let r = p
                .export_to_path(Path::new(out), &ExportOptions::default(), &NoProgress)
                .unwrap();
            drop(p);
            println!(
                "export: {} records in {:.3} s",
                r.records,
                start.elapsed().as_secs_f64()
            );
        }
        _ => panic!("usage: manifest_run import MANIFEST TEMPLATE DIR | export DIR OUTPUT"),
    }
}
