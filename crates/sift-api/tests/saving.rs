//! Saving work through the API as the UI does: the time each save carries is bounded
//! (issue 13, defect 2), and storage faults (a locked, full or read-only project) come back
//! with their own codes (defect 3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use serde_json::json;
use sift_api::{NoProgress, Project, Role};
use sift_error::{Code, ErrorCode};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml")
}

/// A project in `dir` with `n` passages and the annotator `ann`.
fn project_with_items(dir: &Path, n: usize) -> Project {
    let mut project = sift_api::init_project(dir, &template(), Some("demo")).unwrap();
    let manifest = dir.join("manifest.jsonl");
    let lines: String = (0..n)
        .map(|i| format!("{{\"source\":\"Passage number {i}.\"}}\n"))
        .collect();
    std::fs::write(&manifest, lines).unwrap();
    let report = project
        .import(&manifest, &Default::default(), &NoProgress)
        .unwrap();
    assert_eq!(report.added as usize, n);
    project.add_annotator("ann", Role::Annotator).unwrap();
    project
}

#[test]
fn a_save_with_an_unbounded_time_is_invalid_input_and_the_annotation_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project_with_items(dir.path(), 1);
    let draft = json!({"pairs": [{"question": "half-written"}]});
    project.save_draft(1, "ann", &draft, 1_000).unwrap();
    for bad in [i64::MAX, 86_400_001, -5] {
        let err = project.save_draft(1, "ann", &draft, bad).unwrap_err();
        assert_eq!(err.code(), Code::InvalidInput, "{err}");
        assert!(err.to_string().contains("time_spent_ms"), "{err}");
    }
    let view = project.save_draft(1, "ann", &draft, 2_000).unwrap();
    assert_eq!((view.version, view.time_spent_ms), (2, 3_000));
    let status = project.status().unwrap();
    assert_eq!(status.counts.by_annotator[0].time_spent_ms, 3_000);
}

/// The code of an error as the UI receives it (`{"code": ...}`).
fn wire_code(err: &sift_api::Error) -> String {
    serde_json::to_value(err.to_api_error()).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_save_while_another_process_holds_the_write_lock_is_busy_and_saves_once_it_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let mut project = project_with_items(dir.path(), 1);
    let draft = json!({"pairs": [{"question": "half-written"}]});
    project.save_draft(1, "ann", &draft, 1_000).unwrap();
    // Another process's import holds the write lock for the length of its transaction
    // (the save waits for the store's busy timeout first).
    let file = dir.path().join("project.sift");
    let mut other = sift_store::Store::open(&file).unwrap();
    let import = other
        .begin_import(&sift_store::NewImport {
            file: "big.jsonl",
            format: "gt",
            media_root: None,
        })
        .unwrap();
    let err = project.save_draft(1, "ann", &draft, 500).unwrap_err();
    println!("busy: {err}");
    assert_eq!(wire_code(&err), "busy", "{err}");
    assert!(err.to_string().contains(&file.display().to_string()), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
    drop(import);
    let view = project.save_draft(1, "ann", &draft, 500).unwrap();
    assert_eq!((view.version, view.time_spent_ms), (2, 1_500));
}

/// Says why a read-only check did not run, past the test harness's capture (a skip is
/// never silent).
fn skip(why: &str) {
    use std::io::Write as _;
    // A note for the log only: a closed stderr must not fail the test.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: cannot make a read-only project folder here: {why}"
    );
}

/// `dir` as this process cannot write it, removed again on drop.
struct ReadOnlyView {
    path: PathBuf,
    mounted: bool,
    original: PathBuf,
}

impl ReadOnlyView {
    /// Permissions first (they bind every user but root); as root, a read-only bind mount.
    /// `Err` says why neither works here.
    fn of(dir: &Path, scratch: &Path) -> Result<ReadOnlyView, String> {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &Path, mode| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        set(&dir.join("project.sift"), 0o444).map_err(|e| e.to_string())?;
        set(dir, 0o555).map_err(|e| e.to_string())?;
        let probe = dir.join("write-probe");
        if std::fs::write(&probe, b"x").is_err() {
            return Ok(ReadOnlyView {
                path: dir.to_owned(),
                mounted: false,
                original: dir.to_owned(),
            });
        }
        // Root ignores permissions.
        std::fs::remove_file(&probe).map_err(|e| e.to_string())?;
        set(dir, 0o755).map_err(|e| e.to_string())?;
        let view = scratch.join("read-only-view");
        std::fs::create_dir_all(&view).map_err(|e| e.to_string())?;
        let run = |args: &[&str]| -> Result<(), String> {
            let out = std::process::Command::new("mount")
                .args(args)
                .output()
                .map_err(|e| format!("cannot run mount: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "mount {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        let (d, v) = (dir.to_string_lossy(), view.to_string_lossy());
        run(&["--bind", &d, &v])?;
        let guard = ReadOnlyView {
            path: view.clone(),
            mounted: true,
            original: dir.to_owned(),
        };
        run(&["-o", "remount,bind,ro", &v])?;
        if std::fs::write(view.join("write-probe"), b"x").is_ok() {
            return Err("a read-only bind mount still accepts writes".into());
        }
        Ok(guard)
    }
}

impl Drop for ReadOnlyView {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        // Cleanup in drop: nothing to report to, and the test's own result stands.
        if self.mounted {
            let _ = std::process::Command::new("umount").arg(&self.path).status();
        }
        let _ = std::fs::set_permissions(&self.original, std::fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn a_read_only_project_says_so_when_opened_and_saves_are_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    {
        let mut project = project_with_items(&proj, 2);
        let draft = json!({"pairs": [{"question": "kept"}]});
        project.save_draft(1, "ann", &draft, 1_000).unwrap();
        let caller = project.caller_named("ann").unwrap();
        let me = serde_json::to_value(project.me(&caller, None).unwrap()).unwrap();
        assert_eq!(me["read_only"], json!(false), "{me}");
    }
    let view = match ReadOnlyView::of(&proj, dir.path()) {
        Ok(v) => v,
        Err(why) => {
            skip(&why);
            return;
        }
    };
    let mut project = Project::open(&view.path).expect("a read-only project opens");
    let caller = project.caller_named("ann").unwrap();
    let me = serde_json::to_value(project.me(&caller, None).unwrap()).unwrap();
    assert_eq!(me["read_only"], json!(true), "{me}");
    // Everything saved is there to read.
    let item = project.item(1, Some("ann")).unwrap();
    assert_eq!(item.annotation.unwrap().payload["pairs"][0]["question"], "kept");
    let err = project
        .save_draft(2, "ann", &json!({"pairs": []}), 10)
        .unwrap_err();
    println!("read-only: {err}");
    assert_eq!(wire_code(&err), "read_only", "{err}");
    let file = view.path.join("project.sift");
    assert!(err.to_string().contains(&file.display().to_string()), "{err}");
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(project);
    drop(view);
}

#[test]
fn a_read_only_project_that_needs_migrating_is_refused_as_read_only_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("old");
    std::fs::create_dir_all(&proj).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/project-v1.sift");
    std::fs::copy(&fixture, proj.join("project.sift")).unwrap();
    let view = match ReadOnlyView::of(&proj, dir.path()) {
        Ok(v) => v,
        Err(why) => {
            skip(&why);
            return;
        }
    };
    let err = Project::open(&view.path).unwrap_err();
    println!("read-only, old schema: {err}");
    assert_eq!(wire_code(&err), "read_only", "{err}");
    assert!(err.to_string().contains("older Sift"), "{err}");
    drop(view);
    assert_eq!(
        std::fs::read(proj.join("project.sift")).unwrap(),
        std::fs::read(&fixture).unwrap(),
        "the file is untouched"
    );
}
