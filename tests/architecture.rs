//! Layering rules, checked on the real dependency graph (`cargo metadata`):
//! core crates never depend on `tauri`, egui/eframe/wgpu, an HTTP stack, the terminal, ONNX
//! Runtime or the AWS SDK. Those belong to adapter crates (the CLI, the server, the desktop
//! shell, the Lab) or to the one crate that wraps each heavy dependency. Between Sift's own
//! crates, each may use only the crates of the layers below it that `ARCHITECTURE.md`'s
//! table allows ([`OWN_CRATES`]), and only `sift-store` talks to SQLite (`rusqlite`) directly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Crates that may be pulled in only by the named workspace crates.
const RULES: &[(&str, &[&str])] = &[
    ("tauri", &["sift-desktop"]),
    ("wry", &["sift-desktop"]),
    ("axum", &["sift-server", "sift-cli", "sift-desktop"]),
    // The Lab (egui/eframe, rendered by wgpu) is the only crate with a native UI toolkit.
    ("egui", &["sift-lab"]),
    ("eframe", &["sift-lab"]),
    ("wgpu", &["sift-lab"]),
    ("winit", &["sift-lab"]),
    (
        "hyper",
        &["sift-server", "sift-cli", "sift-desktop", "sift-s3", "sift-lab"],
    ),
    (
        "reqwest",
        &["sift-server", "sift-cli", "sift-desktop", "sift-s3", "sift-lab"],
    ),
    ("clap", &["sift-cli"]),
    ("indicatif", &["sift-cli"]),
    ("crossterm", &["sift-cli"]),
    (
        "ort",
        &["sift-onnx", "sift-cli", "sift-desktop", "sift-server", "sift-lab"],
    ),
    (
        "aws-sdk-s3",
        &["sift-s3", "sift-cli", "sift-desktop", "sift-server", "sift-lab"],
    ),
];

/// Each workspace crate and the Sift crates it may depend on directly (normal dependencies;
/// tests and benchmarks may use more). The layers of `ARCHITECTURE.md`: vocabulary
/// (`sift-error`, `sift-core`), domain (`sift-template`, `sift-al`, `sift-learn`,
/// `sift-quality`), formats (`sift-manifest`), storage (`sift-store`), use cases (`sift-api`),
/// engines behind its traits (`sift-onnx`, `sift-s3`), adapters (`sift-server`, `sift-cli`,
/// `sift-desktop`, `sift-lab`). A crate missing here fails the check: a new crate takes its
/// place in the table first.
const OWN_CRATES: &[(&str, &[&str])] = &[
    ("sift-error", &[]),
    ("sift-core", &["sift-error"]),
    ("sift-template", &["sift-error", "sift-core"]),
    ("sift-al", &[]),
    ("sift-learn", &["sift-al"]),
    ("sift-quality", &[]),
    ("sift-manifest", &["sift-error", "sift-core"]),
    ("sift-store", &["sift-error", "sift-core"]),
    (
        "sift-api",
        &[
            "sift-error",
            "sift-core",
            "sift-template",
            "sift-al",
            "sift-learn",
            "sift-quality",
            "sift-manifest",
            "sift-store",
        ],
    ),
    ("sift-onnx", &["sift-error", "sift-core", "sift-al", "sift-api"]),
    ("sift-s3", &["sift-error", "sift-core", "sift-api"]),
    (
        "sift-server",
        &["sift-error", "sift-core", "sift-template", "sift-api"],
    ),
    (
        "sift-cli",
        &[
            "sift-error",
            "sift-core",
            "sift-template",
            "sift-learn",
            "sift-quality",
            "sift-manifest",
            "sift-api",
            "sift-onnx",
            "sift-s3",
            "sift-server",
        ],
    ),
    (
        "sift-desktop",
        &[
            "sift-error",
            "sift-core",
            "sift-template",
            "sift-api",
            "sift-onnx",
            "sift-s3",
            "sift-server",
        ],
    ),
    (
        "sift-lab",
        &[
            "sift-error",
            "sift-core",
            "sift-template",
            "sift-learn",
            "sift-quality",
            "sift-api",
            "sift-onnx",
            "sift-s3",
        ],
    ),
];

/// Crates that only the named workspace crates may depend on directly.
const DIRECT_RULES: &[(&str, &[&str])] = &[("rusqlite", &["sift-store"])];

/// Direct normal dependencies of each workspace crate that break [`OWN_CRATES`] or
/// [`DIRECT_RULES`] (a crate missing from the table is reported as `<not in the table>`).
fn own_violations(metadata: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let name_of: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let members: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| name_of[m.as_str().unwrap()])
        .collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"].as_array().unwrap() {
        let name = name_of[node["id"].as_str().unwrap()];
        if !members.contains(name) {
            continue;
        }
        let Some((_, allowed)) = OWN_CRATES.iter().find(|(c, _)| *c == name) else {
            out.entry(name.to_owned())
                .or_default()
                .insert("<not in the table>".to_owned());
            continue;
        };
        for dep in node["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_name = name_of[dep["pkg"].as_str().unwrap()];
            let own_bad = members.contains(dep_name) && !allowed.contains(&dep_name);
            let direct_bad = DIRECT_RULES
                .iter()
                .any(|(d, who)| *d == dep_name && !who.contains(&name));
            if normal && (own_bad || direct_bad) {
                out.entry(name.to_owned())
                    .or_default()
                    .insert(dep_name.to_owned());
            }
        }
    }
    out
}

/// For each workspace crate, the forbidden crates it reaches through normal dependencies.
fn violations(metadata: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let name_of: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"].as_array().unwrap() {
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap())
            .collect();
        edges.insert(node["id"].as_str().unwrap(), deps);
    }
    let mut out = BTreeMap::new();
    for member in metadata["workspace_members"].as_array().unwrap() {
        let member = member.as_str().unwrap();
        let member_name = name_of[member];
        let mut seen = BTreeSet::new();
        let mut stack = vec![member];
        while let Some(id) = stack.pop() {
            for dep in edges.get(id).into_iter().flatten() {
                if seen.insert(*dep) {
                    stack.push(dep);
                }
            }
        }
        for dep in seen {
            let dep_name = name_of[dep];
            for (forbidden, allowed) in RULES {
                if dep_name == *forbidden && !allowed.contains(&member_name) {
                    out.entry(member_name.to_owned())
                        .or_insert_with(BTreeSet::new)
                        .insert(dep_name.to_owned());
                }
            }
        }
    }
    out
}

fn host_triple() -> String {
    let out = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn core_crates_have_no_adapter_dependencies() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The graph for the platform we build on, from the crates `make setup` fetched.
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host_triple(),
        ])
        .arg("--manifest-path")
        .arg(sift_tests::repo_root().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bad = violations(&metadata);
    assert!(
        bad.is_empty(),
        "layering violations (crate -> forbidden dependencies): {bad:#?}"
    );
    let own = own_violations(&metadata);
    assert!(
        own.is_empty(),
        "dependencies between Sift's crates that ARCHITECTURE.md does not allow (crate -> \
         dependencies; see OWN_CRATES in tests/architecture.rs): {own:#?}"
    );
}

#[test]
fn the_check_catches_a_layer_skipped_and_sqlite_outside_the_store() {
    // sift-store -> sift-api (upwards), sift-api -> rusqlite (only the store talks to SQLite),
    // and a crate nobody placed in the table are reported; sift-api -> sift-store, the
    // store's rusqlite and dev-dependencies are not.
    let metadata = serde_json::json!({
        "packages": [
            {"id": "store", "name": "sift-store"}, {"id": "api", "name": "sift-api"},
            {"id": "sql", "name": "rusqlite"}, {"id": "new", "name": "sift-new"},
            {"id": "cli", "name": "sift-cli"}
        ],
        "workspace_members": ["store", "api", "new", "cli"],
        "resolve": {"nodes": [
            {"id": "store", "deps": [
                {"pkg": "sql", "dep_kinds": [{"kind": null}]},
                {"pkg": "api", "dep_kinds": [{"kind": null}]},
                {"pkg": "cli", "dep_kinds": [{"kind": "dev"}]}
            ]},
            {"id": "api", "deps": [
                {"pkg": "store", "dep_kinds": [{"kind": null}]},
                {"pkg": "sql", "dep_kinds": [{"kind": null}]}
            ]},
            {"id": "cli", "deps": [
                {"pkg": "api", "dep_kinds": [{"kind": null}]},
                {"pkg": "sql", "dep_kinds": [{"kind": "dev"}]}
            ]},
            {"id": "new", "deps": []}, {"id": "sql", "deps": []}
        ]}
    });
    let bad = own_violations(&metadata);
    assert_eq!(bad.len(), 3, "{bad:#?}");
    assert_eq!(bad["sift-store"], BTreeSet::from(["sift-api".to_owned()]));
    assert_eq!(bad["sift-api"], BTreeSet::from(["rusqlite".to_owned()]));
    assert_eq!(bad["sift-new"], BTreeSet::from(["<not in the table>".to_owned()]));
}

#[test]
fn the_check_catches_a_core_crate_reaching_tauri() {
    // sift-store -> helper -> tauri must be reported; sift-desktop -> tauri is allowed.
    let metadata = serde_json::json!({
        "packages": [
            {"id": "store", "name": "sift-store"}, {"id": "helper", "name": "some-helper"},
            {"id": "tauri", "name": "tauri"}, {"id": "desk", "name": "sift-desktop"},
            {"id": "clap", "name": "clap"}
        ],
        "workspace_members": ["store", "desk"],
        "resolve": {"nodes": [
            {"id": "store", "deps": [
                {"pkg": "helper", "dep_kinds": [{"kind": null}]},
                {"pkg": "clap", "dep_kinds": [{"kind": "dev"}]}
            ]},
            {"id": "helper", "deps": [{"pkg": "tauri", "dep_kinds": [{"kind": null}]}]},
            {"id": "desk", "deps": [{"pkg": "tauri", "dep_kinds": [{"kind": null}]}]},
            {"id": "tauri", "deps": []}, {"id": "clap", "deps": []}
        ]}
    });
    let bad = violations(&metadata);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad["sift-store"], BTreeSet::from(["tauri".to_owned()]));
}

#[test]
fn the_check_keeps_egui_in_the_lab() {
    // sift-api -> egui must be reported; sift-lab -> eframe -> egui/wgpu is allowed.
    let metadata = serde_json::json!({
        "packages": [
            {"id": "api", "name": "sift-api"}, {"id": "lab", "name": "sift-lab"},
            {"id": "eframe", "name": "eframe"}, {"id": "egui", "name": "egui"}, {"id": "wgpu", "name": "wgpu"}
        ],
        "workspace_members": ["api", "lab"],
        "resolve": {"nodes": [
            {"id": "api", "deps": [{"pkg": "egui", "dep_kinds": [{"kind": null}]}]},
            {"id": "lab", "deps": [{"pkg": "eframe", "dep_kinds": [{"kind": null}]}]},
            {"id": "eframe", "deps": [
                {"pkg": "egui", "dep_kinds": [{"kind": null}]},
                {"pkg": "wgpu", "dep_kinds": [{"kind": null}]}
            ]},
            {"id": "egui", "deps": []}, {"id": "wgpu", "deps": []}
        ]}
    });
    let bad = violations(&metadata);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad["sift-api"], BTreeSet::from(["egui".to_owned()]));
}
