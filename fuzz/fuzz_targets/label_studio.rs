//! The Label Studio task reader over any bytes, with small limits: no panic, every task's
//! data is a JSON object whose hash does not depend on how it was read, task indexes count
//! up from 0, and the count returned is the number of tasks handed out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_manifest::{LabelStudioError, read_label_studio_tasks_with_limit};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(knobs & 0x0f) + 1;
    let limit = usize::from(knobs >> 4) * 64 + 2;
    let mut seen = 0;
    let result = read_label_studio_tasks_with_limit::<_, std::io::Error, _>(
        std::io::BufReader::with_capacity(capacity, input),
        limit,
        |task| {
            match task {
                Ok(task) => {
                    assert_eq!(task.index, seen);
                    let value: serde_json::Value =
                        serde_json::from_str(&task.data).expect("task data is JSON");
                    assert!(value.is_object(), "task data is an object");
                    assert!(task.data.len() <= limit, "a task over the limit was read");
                }
                Err(LabelStudioError::Task { index, .. }) => assert_eq!(index, seen),
                Err(other) => panic!("only task errors reach the callback: {other}"),
            }
            seen += 1;
            Ok(())
        },
    );
    if let Ok(n) = result {
        assert_eq!(n, seen);
    }
});
