//! `sift_server::parsers::parse_range` over any header bytes and file length: no panic, and a
//! range it returns always lies inside the file (what the media route hands the file server).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_server::parsers::{ByteRange, parse_range};

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes pick the file length (small lengths half the time), the rest is the header.
    let (len, header) = match data.split_first_chunk::<8>() {
        Some((n, rest)) => {
            let n = u64::from_le_bytes(*n);
            (if n & 1 == 0 { n >> 1 } else { (n >> 1) % 4096 }, rest)
        }
        None => (1000, data),
    };
    match parse_range(header, len) {
        ByteRange::Part { start, end } => {
            assert!(start <= end, "start {start} after end {end}");
            assert!(end < len, "end {end} past a file of {len} bytes");
        }
        ByteRange::Whole | ByteRange::Unsatisfiable => {}
    }
});
