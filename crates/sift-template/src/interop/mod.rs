//! Other tools' formats, both ways: what Sift writes for them and reads back from them.
//!
//! * [`label_studio`]: Label Studio tasks (export of every kind, the inverse import, and a
//!   matching labeling configuration).

pub mod label_studio;
