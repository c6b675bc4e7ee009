//! Scoring and embedding past one machine (issue 19): the pool goes to the bucket, N workers
//! started by a scheduler (Kubernetes Indexed Job, Slurm job array, AWS Batch array job) each
//! take one shard of it, and their results come back through the bucket, one writer per key.
//!
//! - `choice`: which shard an item belongs to (by content hash, stable when items are added)
//!   and which shard a worker is (`--shard I/N` or the scheduler's environment);
//! - `wire`: the documents and their parsers, with their limits;
//! - `pool`: the lead pushes the pool and publishes model versions;
//! - `worker`: a worker runs its shard and writes result segments, resuming; `fetch`: the
//!   model and the media it downloads;
//! - `merge`: the lead's pull merges them, once; `status`: shards done and missing.
//!
//! The keys are in the remote layout table, `sync/layout.rs`.

mod choice;
mod fetch;
mod merge;
mod pool;
mod status;
#[cfg(test)]
mod tests;
pub mod wire;
mod worker;

pub use choice::{MAX_SHARDS, Shard, shard_of};
pub use fetch::{PulledModel, fetch_model};
pub use merge::ShardMergeReport;
pub use pool::PoolReport;
pub use status::ShardProgress;
pub use worker::{WorkerOptions, WorkerReport, embed_shard, score_shard};
