//! Black-box tests of the `sift` command line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use predicates::prelude::*;
use sift_tests::*;

#[test]
fn every_subcommand_has_help_with_examples() {
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["status", "--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
        vec!["annotator", "add", "--help"],
    ] {
        sift()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
    sift()
        .args(["annotator", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("add"));
}

/// The `[possible values: ...]` lists of a command's `--help`, in order, whatever the wrapping.
fn possible_values(args: &[&str]) -> Vec<Vec<String>> {
    let out = sift()
        .args(args)
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.split("[possible values: ")
        .skip(1)
        .map(|rest| {
            let list = &rest[..rest.find(']').expect("a closing bracket")];
            list.split(", ").map(str::to_owned).collect()
        })
        .collect()
}

/// Every option that takes one of a fixed list of names says them in `--help`, from the same
/// list the value is parsed against.
#[test]
fn help_lists_the_values_of_enumerated_options() {
    use strum::VariantArray as _;
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();

    let formats: Vec<&str> = sift_api::ExportFormat::ALL.iter().map(|f| f.as_str()).collect();
    assert!(formats.contains(&"coco-captions") && formats.contains(&"label-studio"));
    let export = possible_values(&["export"]);
    assert!(export.contains(&names(&formats)), "{export:?}");
    let styles: Vec<&str> = sift_api::SftStyle::VARIANTS.iter().map(|s| s.as_str()).collect();
    assert!(export.contains(&names(&styles)), "{export:?}");

    let imports: Vec<&str> = sift_api::ImportFormat::VARIANTS
        .iter()
        .map(|f| f.as_str())
        .collect();
    assert_eq!(possible_values(&["import"]), [names(&imports)]);

    let roles: Vec<&str> = sift_api::Role::VARIANTS.iter().map(|r| r.as_str()).collect();
    assert_eq!(possible_values(&["annotator", "add"]), [names(&roles)]);

    let strategies: Vec<&str> = sift_api::Strategy::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(possible_values(&["queue"]), [names(&strategies)]);
    assert_eq!(possible_values(&["learn"]), [names(&strategies)]);
    assert_eq!(possible_values(&["learn", "config"]), [names(&strategies)]);
}

#[test]
fn init_import_status_export() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let manifest = dir.path().join("m.jsonl");
    write_text_manifest(&manifest, 25);

    sift_import(&proj, &manifest)
        .success()
        .stdout(predicate::str::contains("25 new items"));

    let out = sift()
        .args(["status", "--json", "-p"])
        .arg(&proj)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let status: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status["items"], 25);
    assert_eq!(status["unlabeled"], 25);
    assert_eq!(status["project"]["kind"], "qa");

    // SIFT_PROJECT stands in for --project.
    sift()
        .arg("status")
        .env("SIFT_PROJECT", &proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("25"));
    // An empty SIFT_PROJECT counts as unset, also under nested subcommands whose parent takes
    // a project too (`sift learn status`, `sift sync status`): it once failed with "a value is
    // required for '--project'".
    for args in [&["status"][..], &["learn", "status"], &["sync", "status"]] {
        sift()
            .args(args)
            .arg("-p")
            .arg(&proj)
            .env("SIFT_PROJECT", "")
            .assert()
            .code(predicate::ne(2))
            .stderr(predicate::str::contains("a value is required").not());
    }
    sift()
        .arg("status")
        .current_dir(&proj)
        .env("SIFT_PROJECT", "")
        .assert()
        .success()
        .stdout(predicate::str::contains("25"));

    let out_file = dir.path().join("out.jsonl");
    sift()
        .args(["export", "-p"])
        .arg(&proj)
        .arg("-o")
        .arg(&out_file)
        .assert()
        .success()
        .stdout(predicate::str::contains("Exported 0 records"));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "");
}

#[test]
fn json_output_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "ranking.toml");
    let manifest = dir.path().join("m.jsonl");
    std::fs::write(&manifest, "{\"source\":\"a\"}\n{\"source\":\"a\"}\n").unwrap();
    let out = sift()
        .args(["import", "--json"])
        .arg(&manifest)
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            report["lines"].as_u64(),
            report["added"].as_u64(),
            report["duplicates"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );

    let out = sift()
        .args(["annotator", "add", "ann-1", "--json", "-p"])
        .arg(&proj)
        .output()
        .unwrap();
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(added["token"].as_str().unwrap().starts_with("sift_"));
    assert_eq!(added["annotator"]["role"], "annotator");
}

#[test]
fn exit_codes_and_error_messages() {
    let dir = tempfile::tempdir().unwrap();
    // Usage errors come from clap with exit code 2; user errors are 1.
    sift().arg("frobnicate").assert().code(2);
    sift()
        .args(["status", "-p"])
        .arg(dir.path().join("missing"))
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("error: project"))
        .stderr(predicate::str::contains("backtrace").not());

    let bad_template = dir.path().join("bad.toml");
    std::fs::write(&bad_template, "name = \"x\"\nkind = \"poetry\"\n").unwrap();
    sift()
        .arg("init")
        .arg(dir.path().join("p"))
        .arg("--template")
        .arg(&bad_template)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.toml"))
        .stderr(predicate::str::contains("kind"));

    let proj = init_project(dir.path(), "qa.toml");
    sift()
        .arg("init")
        .arg(&proj)
        .arg("--template")
        .arg(template("qa.toml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already holds a Sift project"));

    // --json errors are a {code, message} object on stdout.
    let out = sift()
        .args(["import", "--json", "nope.jsonl", "-p"])
        .arg(&proj)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "io");
    assert!(err["error"]["message"].as_str().unwrap().contains("nope.jsonl"));

    // Asked-for backtraces are printed.
    sift()
        .args(["status", "-p"])
        .arg(dir.path().join("missing"))
        .env("SIFT_BACKTRACE", "1")
        .env("RUST_BACKTRACE", "1")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("sift::"));
}

#[test]
fn annotators_get_tokens_that_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let out = sift()
        .args(["annotator", "add", "alice", "--role", "reviewer", "-p"])
        .arg(&proj)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("sift_") && token.len() > 40, "{text}");

    let bytes = std::fs::read(proj.join("project.sift")).unwrap();
    let wal = std::fs::read(proj.join("project.sift-wal")).unwrap_or_default();
    for hay in [&bytes, &wal] {
        assert!(
            !hay.windows(token.len()).any(|w| w == token.as_bytes()),
            "token stored in the project file"
        );
    }
    sift()
        .args(["annotator", "add", "alice", "-p"])
        .arg(&proj)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    sift()
        .args(["annotator", "add", "bad name!", "-p"])
        .arg(&proj)
        .assert()
        .code(1);
    sift()
        .args(["annotator", "list", "-p"])
        .arg(&proj)
        .assert()
        .success()
        .stdout(predicate::str::contains("alice").and(predicate::str::contains("reviewer")));
}

#[test]
fn progress_bars_stay_silent_when_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let manifest = dir.path().join("m.jsonl");
    write_text_manifest(&manifest, 2000);
    let out = sift()
        .arg("import")
        .arg(&manifest)
        .arg("-p")
        .arg(&proj)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "nothing on stderr when piped"
    );
}

#[test]
fn a_manifest_in_the_home_folder_does_not_make_it_a_media_root() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[default]\naws_secret_access_key = x\n",
    )
    .unwrap();
    std::fs::copy(fixture("media/scene-64x48.png"), home.join("scene.png")).unwrap();
    let manifest = home.join("images.jsonl");
    std::fs::write(&manifest, "{\"source-ref\":\"scene.png\"}\n").unwrap();
    let proj = init_project(dir.path(), "image-caption.toml");
    let import = |extra: &[&std::ffi::OsStr]| {
        sift()
            .env("HOME", &home)
            .arg("import")
            .arg(&manifest)
            .arg("-p")
            .arg(&proj)
            .args(extra)
            .output()
            .unwrap()
    };

    let out = import(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("home folder"), "{stderr}");
    assert!(stderr.contains("--media-root"), "{stderr}");
    assert_eq!(count_rows(&proj, "media_roots"), 0);
    assert_eq!(count_rows(&proj, "items"), 0);

    // Named explicitly, the folder is served.
    let out = import(&["--media-root".as_ref(), home.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let roots: Vec<String> = query_column(&proj, "SELECT path FROM media_roots");
    assert_eq!(roots, [home.canonicalize().unwrap().display().to_string()]);

    // A manifest without local media makes no folder a media root, wherever it is.
    let qa = dir.path().join("qa");
    std::fs::create_dir_all(&qa).unwrap();
    let qa = init_project(&qa, "qa.toml");
    let text = home.join("passages.jsonl");
    write_text_manifest(&text, 3);
    sift()
        .env("HOME", &home)
        .arg("import")
        .arg(&text)
        .arg("-p")
        .arg(&qa)
        .assert()
        .success();
    assert_eq!(count_rows(&qa, "media_roots"), 0);
}

/// Issue 13 #13: `sift status --json | head -c 400` must not panic when `head` goes away.
/// The reader of standard output is closed before `sift` writes anything, so every write
/// meets a broken pipe.
#[test]
fn output_to_a_closed_pipe_exits_quietly() {
    use std::process::{Command as StdCommand, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "qa.toml");
    let manifest = dir.path().join("m.jsonl");
    write_text_manifest(&manifest, 50);
    sift_import(&proj, &manifest).success();
    let cases: Vec<Vec<String>> = vec![
        vec!["--json".into(), "status".into()],
        vec!["status".into()],
        vec!["annotator".into(), "list".into()],
        vec![
            "template".into(),
            "show".into(),
            template("qa.toml").display().to_string(),
        ],
        // An error with --json writes its JSON to stdout too.
        vec![
            "--json".into(),
            "status".into(),
            "-p".into(),
            "/nonexistent/project".into(),
        ],
    ];
    for args in cases {
        let mut cmd = StdCommand::new(sift_bin());
        cmd.args(&args);
        if !args.iter().any(|a| a == "-p") && args[0] != "template" {
            cmd.arg("-p").arg(&proj);
        }
        let mut child = cmd
            .env_remove("SIFT_PROJECT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away at once
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "sift {args:?} on a closed pipe: {stderr}"
        );
        assert!(
            out.status.code().is_some_and(|c| c == 0 || c == 1),
            "sift {args:?} on a closed pipe: {:?} {stderr}",
            out.status
        );
    }
}

#[test]
fn an_overlap_batch_is_dealt_to_k_people_and_status_counts_it_done_at_k_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let proj = init_project(dir.path(), "classification.toml");
    let manifest = dir.path().join("m.jsonl");
    write_text_manifest(&manifest, 6);
    import_manifest(&proj, &manifest);
    for who in ["ann", "bob", "cy"] {
        add_annotator(&proj, who);
    }
    let batch = |extra: &[&str]| {
        let mut cmd = sift();
        cmd.args(["batch", "create", "--size", "6", "--assign", "ann,bob,cy"])
            .args(extra)
            .arg("-p")
            .arg(&proj);
        cmd
    };
    // Zero is not a number of annotations; more than the people named is refused by name.
    batch(&["--overlap", "0"]).assert().code(2);
    let e = user_error(&mut batch(&["--overlap", "4"]));
    assert!(
        e.contains("overlap 4 asks for 4 different annotators per item, but the batch is assigned to 3"),
        "{e}"
    );
    // A batch name becomes a key in the sync bucket: one that could not be is refused.
    let e = user_error(&mut batch(&["--name", "week/42"]));
    assert!(e.contains("batch name \"week/42\""), "{e}");
    let made = json_of(&mut batch(&["--overlap", "2", "--json", "--name", "wk"]));
    assert_eq!(
        (made["overlap"].as_u64(), made["items"].as_array().unwrap().len()),
        (Some(2), 6)
    );
    assert_eq!(
        query_one::<i64>(&proj, "SELECT count(*) FROM assignments"),
        12,
        "6 items x 2 people"
    );
    assert_eq!(
        query_one::<i64>(
            &proj,
            "SELECT count(*) FROM (SELECT item_id FROM assignments GROUP BY item_id HAVING count(DISTINCT annotator_id) = 2)"
        ),
        6
    );
    let status = json_of(sift().args(["status", "--json", "-p"]).arg(&proj));
    let b = &status["batches"][0];
    assert_eq!(
        (b["name"].as_str(), b["overlap"].as_u64(), b["complete"].as_u64()),
        (Some("wk"), Some(2), Some(0))
    );
    let text = sift().args(["status", "-p"]).arg(&proj).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("per item") && text.contains("wk"), "{text}");
}
