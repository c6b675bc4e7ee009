//! Consensus: one answer per unit from several annotators, with how strongly they back it.
//!
//! * [`vote`]: majority vote for labels (ties flagged, never broken silently) and per-label
//!   majority for label sets;
//! * [`dawid_skene`]: labels weighted by each annotator's estimated confusion matrix (EM);
//! * [`ranking`]: Borda count, and exact Kemeny-optimal aggregation for short lists.
//!
//! Each result carries its *agreement* in `[0, 1]`, the figure an export writes to Ground
//! Truth's `confidence` field: the share of annotators voting for the label (majority vote),
//! the posterior probability of the label (Dawid-Skene), or the share of pairwise preferences
//! that agree with the consensus order (rankings).

pub mod dawid_skene;
pub mod ranking;
pub mod vote;
