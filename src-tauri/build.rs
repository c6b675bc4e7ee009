//! Declares the app manifest, so that every app command is refused unless a capability in
//! `capabilities/` grants it (`allow-<command>`), and generates the context.

#![allow(clippy::print_stdout)] // cargo reads build-script instructions from stdout

#[allow(dead_code)]
mod command_names {
    include!("src/command_names.rs");
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    let manifest = tauri_build::AppManifest::new().commands(command_names::APP_COMMANDS);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
