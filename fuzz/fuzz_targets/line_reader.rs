//! `LineReader` over any bytes, with small buffers and limits: no panic, line numbers only
//! grow, lines hold no line break, and every byte is consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_manifest::LineReader;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(knobs & 0x0f) + 1;
    let limit = usize::from(knobs >> 4) * 8 + 1;
    let mut reader = LineReader::with_limit(std::io::BufReader::with_capacity(capacity, input), limit);
    let mut last = 0;
    while let Some(next) = reader.next() {
        let number = match next {
            Ok(line) => {
                assert!(!line.text.contains('\n'), "a line holds a line break");
                assert!(line.text.len() <= limit, "a line over the limit was returned");
                // Blank means JSON whitespace only (a vertical tab is a line: not JSON).
                assert!(
                    !line
                        .text
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')),
                    "a blank line was returned"
                );
                line.number
            }
            Err(e) => {
                assert!(e.is_recoverable(), "reading from memory cannot fail");
                e.line()
            }
        };
        assert!(number > last, "line {number} came after line {last}");
        last = number;
    }
    assert_eq!(reader.bytes_read(), input.len() as u64);
});
