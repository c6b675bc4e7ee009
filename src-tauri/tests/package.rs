//! What the `.deb` holds for the Lab, checked without building it (`make package` takes
//! minutes; `scripts/package-deb.sh` checks the built package with `dpkg-deb --contents`):
//! the bundle's file list in `tauri.conf.json` installs the Lab's desktop entry and its icons
//! (files that exist, PNGs of the size their folder names), the desktop entry starts `sift-lab`
//! with that icon and the window class the Lab's window sets, it validates with
//! `desktop-file-validate` when that is installed (Debian's `desktop-file-utils`), and the
//! packaging script adds the `sift-lab` binary to `/usr/bin`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn src_tauri() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.deb`'s extra files: install path → source (relative to `src-tauri/`).
fn deb_files() -> BTreeMap<String, PathBuf> {
    let config: Value = serde_json::from_str(&read(&src_tauri().join("tauri.conf.json"))).unwrap();
    config["bundle"]["linux"]["deb"]["files"]
        .as_object()
        .expect("bundle.linux.deb.files in tauri.conf.json")
        .iter()
        .map(|(to, from)| (to.clone(), src_tauri().join(from.as_str().unwrap())))
        .collect()
}

/// A PNG's width and height, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// `Key=value` lines of the `[Desktop Entry]` group.
fn desktop_entry(text: &str) -> BTreeMap<String, String> {
    let mut group = "";
    let mut keys = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            group = line;
        } else if group == "[Desktop Entry]"
            && let Some((k, v)) = line.split_once('=')
        {
            keys.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    keys
}

#[test]
fn the_deb_installs_the_labs_desktop_entry_and_icons() {
    let files = deb_files();
    let entry = files
        .get("/usr/share/applications/sift-lab.desktop")
        .expect("the Lab's desktop entry is in the package");
    assert!(entry.is_file(), "{}", entry.display());
    let mut sizes = Vec::new();
    for (to, from) in &files {
        assert!(
            from.is_file(),
            "{to} comes from {}, which is missing",
            from.display()
        );
        let Some(rest) = to.strip_prefix("/usr/share/icons/hicolor/") else {
            continue;
        };
        let (folder, name) = rest.split_once("/apps/").unwrap();
        assert!(name.starts_with("sift-lab."), "{to}");
        if folder == "scalable" {
            assert!(read(from).contains("<svg"), "{}", from.display());
            continue;
        }
        let (w, h) = png_size(from);
        assert_eq!(format!("{w}x{h}"), folder, "{} is {w}x{h}", from.display());
        sizes.push(w);
    }
    assert!(
        sizes.contains(&128) && sizes.contains(&32),
        "the icon themes need at least 32 and 128 px: {sizes:?}"
    );
}

#[test]
fn the_labs_desktop_entry_starts_sift_lab_and_validates() {
    let path = src_tauri().join("../crates/sift-lab/packaging/sift-lab.desktop");
    let keys = desktop_entry(&read(&path));
    assert_eq!(keys.get("Type").map(String::as_str), Some("Application"));
    assert_eq!(keys.get("Name").map(String::as_str), Some("Sift Lab"));
    let exec = keys.get("Exec").unwrap();
    assert_eq!(exec.split_whitespace().next(), Some("sift-lab"), "{exec}");
    assert_eq!(keys.get("Icon").map(String::as_str), Some("sift-lab"));
    // The window class the Lab's window sets, so the desktop matches windows to the entry.
    assert_eq!(keys.get("StartupWMClass").map(String::as_str), Some("sift-lab"));
    let main = read(&src_tauri().join("../crates/sift-lab/src/main.rs"));
    assert!(main.contains(r#".with_app_id("sift-lab")"#));

    match std::process::Command::new("desktop-file-validate")
        .arg(&path)
        .output()
    {
        Ok(out) => {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success() && said.trim().is_empty(),
                "desktop-file-validate: {said}"
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "desktop-file-validate is not installed (desktop-file-utils): the entry's keys were checked, not validated"
            );
        }
        Err(e) => panic!("desktop-file-validate: {e}"),
    }
}

#[test]
fn the_packaging_script_puts_sift_lab_in_usr_bin() {
    let script = read(&src_tauri().join("../scripts/package-deb.sh"));
    assert!(
        script.contains(r#""/usr/bin/sift-lab":"#),
        "the script adds the Lab's binary"
    );
    assert!(script.contains("release/sift-lab"), "from the release build");
    assert!(
        script.contains("--bins"),
        "the release build makes every binary, sift-lab included"
    );
    assert!(
        script.contains("for f in usr/bin/sift-lab "),
        "and checks the package holds it"
    );
}
