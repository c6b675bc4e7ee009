//! The real window: `sift-lab` under Xvfb (X11, Vulkan through Mesa's lavapipe when there is
//! no GPU) opens the demo project, draws its overview and closes cleanly (exit status 0).
//! Needs `Xvfb` (package xvfb) and a Vulkan driver (mesa-vulkan-drivers); without them it
//! fails saying so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An X server on a free display, stopped when dropped.
struct Xvfb {
    child: std::process::Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on a display number nobody holds (tried until one starts).
    fn start() -> Xvfb {
        for attempt in 0..40_u32 {
            let n = 200 + (std::process::id() + attempt * 37) % 700;
            if std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (Debian package xvfb) is needed to run the real window");
            let socket = format!("/tmp/.X11-unix/X{n}");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    break; // the display was taken after all: try another
                }
                if std::path::Path::new(&socket).exists() {
                    return Xvfb {
                        child,
                        display: format!(":{n}"),
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start Xvfb on any display");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_window_opens_the_demo_and_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let project = support::qa_demo(dir.path());
    let x = Xvfb::start();
    let first_frame = dir.path().join("first-frame");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sift-lab"))
        .arg(&project)
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("SIFT_LAB_EXIT_WHEN_LOADED", "1")
        .env("SIFT_LAB_FIRST_FRAME_FILE", &first_frame)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = started + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sift-lab did not open the demo and quit within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(
        status.success(),
        "sift-lab exited with {status}\nstdout: {out}\nstderr: {err}"
    );
    assert!(
        out.contains("sift-lab: opened demo-qa (5 items)"),
        "stdout: {out}\nstderr: {err}"
    );
    assert!(first_frame.is_file(), "the first frame was drawn");
    // The project went into the recent list.
    let settings = std::fs::read_to_string(dir.path().join("config/sift/lab.json")).unwrap();
    assert!(settings.contains("demo-qa"), "{settings}");
    println!(
        "window test: {:.2} s from start to a clean exit",
        started.elapsed().as_secs_f64()
    );
}
