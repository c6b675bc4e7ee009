//! Other tools' formats, both ways: what Sift writes for them and reads back from them.
//!
//! * [`label_studio`]: Label Studio tasks (export of every kind, the inverse import, and a
//!   matching labeling configuration).
//! * [`ground_truth`]: Ground Truth output labels read back into payloads (the built-in
//!   classification shape included).

pub mod ground_truth;
pub mod label_studio;
