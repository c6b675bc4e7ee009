//! A result segment as the lead pulls it (`results/<annotator>/<batch>/<seq>.jsonl`): any
//! bytes, through the real pull into the lead's project. Errors are answers; a panic is a
//! bug. Each input goes under a new sequence number, so none is skipped as already merged.
#![no_main]

#[path = "common/sync_world.rs"]
mod sync_world;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut world = sync_world::world();
    world.next_segment += 1;
    let key = format!(
        "results/{}/{}/{:06}.jsonl",
        sync_world::ANNOTATOR,
        sync_world::BATCH,
        world.next_segment
    );
    let store = world.store.clone();
    sync_world::put(&store, &key, data);
    sync_world::pull(&mut world.lead, &store);
    store.remove(&key);
});
