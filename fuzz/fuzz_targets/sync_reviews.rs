//! The reviews file an annotator pulls (`batches/<batch>/reviews/<annotator>.jsonl`): any
//! bytes, through the real pull into the annotator's project. Errors are answers; a panic is
//! a bug. The lead's real file is put back afterwards.
#![no_main]

#[path = "common/sync_world.rs"]
mod sync_world;

use libfuzzer_sys::fuzz_target;
use sift_api::ObjectStore;

fuzz_target!(|data: &[u8]| {
    let mut world = sync_world::world();
    let key = format!(
        "batches/{}/reviews/{}.jsonl",
        sync_world::BATCH,
        sync_world::ANNOTATOR
    );
    let store = world.store.clone();
    let real = store.get(&key, u64::MAX).ok().flatten().map(|f| f.body);
    sync_world::put(&store, &key, data);
    sync_world::pull(&mut world.ann, &store);
    if let Some(real) = real {
        sync_world::put(&store, &key, &real);
    }
});
