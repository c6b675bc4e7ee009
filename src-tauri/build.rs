//! Declares the app manifest, so that every app command is refused unless a capability in
//! `capabilities/` grants it (`allow-<command>`), writes that capability (the main window
//! gets exactly the app's own commands) and generates the context. The command names come
//! from the one declaration of each list: `sift_api`'s `ui_commands!` table and
//! `src/command_names.rs`.

#![allow(clippy::print_stdout)] // cargo reads build-script instructions from stdout

include!("../crates/sift-api/src/commands/table.rs");

mod command_names {
    include!("src/command_names.rs");
}

/// `capabilities/default.json`: the labeling UI in the main window, every app command, nothing else.
fn capability(commands: &[&str]) -> String {
    let grants: Vec<String> = commands
        .iter()
        .map(|c| format!("    \"allow-{}\"", c.replace('_', "-")))
        .collect();
    format!(
        r#"{{
  "$schema": "../gen/schemas/desktop-schema.json",
  "identifier": "default",
  "description": "The labeling UI in the main window: Sift's own commands and nothing else (no file system, shell, dialog or window APIs from the page; the shell shows dialogs itself). Written by build.rs from the command tables: do not edit.",
  "local": true,
  "windows": ["main"],
  "permissions": [
{}
  ]
}}
"#,
        grants.join(",\n")
    )
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    println!("cargo:rerun-if-changed=../crates/sift-api/src/commands/table.rs");
    let path = std::path::Path::new("capabilities/default.json");
    let wanted = capability(command_names::APP_COMMANDS);
    if std::fs::read_to_string(path).ok().as_deref() != Some(wanted.as_str())
        && let Err(e) = std::fs::write(path, &wanted)
    {
        panic!("cannot write {}: {e}", path.display());
    }
    let manifest = tauri_build::AppManifest::new().commands(command_names::APP_COMMANDS);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
