//! The Garage test harness itself (tests/support/garage.rs): a server starts with its bucket
//! and key, survives SIGKILL and a restart with its data, and two instances run side by side.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

#[path = "support/mod.rs"]
mod sift_tests;

use sift_tests::garage::Garage;

fn bucket_names(g: &Garage) -> String {
    g.garage(&["bucket", "list"])
}

#[test]
fn starts_with_bucket_and_key_and_survives_kill_and_restart() {
    let mut g = Garage::start();
    assert!(g.is_running());
    assert_eq!(g.region(), "garage");
    assert!(g.endpoint().starts_with("http://127.0.0.1:"), "{}", g.endpoint());
    assert!(g.access_key().starts_with("GK"), "{}", g.access_key());
    assert!(!g.secret_key().is_empty());
    assert!(bucket_names(&g).contains(g.bucket()), "{}", bucket_names(&g));
    let env = g.env();
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        assert!(env.iter().any(|(k, _)| k == var), "{var} missing from env()");
    }

    g.create_bucket("second");
    let info = g.garage(&["bucket", "info", "second"]);
    assert!(
        info.contains(g.access_key()),
        "key not allowed on the new bucket:\n{info}"
    );

    g.kill();
    assert!(!g.is_running());
    assert!(
        std::net::TcpStream::connect(g.s3_addr()).is_err(),
        "S3 port still open after kill"
    );

    g.restart();
    assert!(g.is_running());
    let list = bucket_names(&g);
    assert!(list.contains(g.bucket()) && list.contains("second"), "{list}");
}

#[test]
fn two_instances_run_side_by_side() {
    let a = Garage::start();
    let b = Garage::start();
    assert_ne!(a.endpoint(), b.endpoint());
    assert_ne!(a.access_key(), b.access_key());
    a.create_bucket("only-in-a");
    assert!(bucket_names(&a).contains("only-in-a"));
    assert!(!bucket_names(&b).contains("only-in-a"));
}

#[test]
fn restart_waits_for_a_port_that_is_briefly_taken() {
    let mut g = Garage::start();
    g.kill();
    let squatter = std::net::TcpListener::bind(g.s3_addr()).expect("take the S3 port");
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        drop(squatter);
    });
    g.restart();
    release.join().unwrap();
    assert!(g.is_running());
    assert!(bucket_names(&g).contains(g.bucket()));
    let log = std::fs::read_to_string(g.log_path()).unwrap();
    assert!(
        log.contains("Address already in use"),
        "no failed bind in the log:\n{log}"
    );
}
