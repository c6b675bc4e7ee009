//! Sift's quality-control math: agreement between annotators, consensus, gold accuracy,
//! annotator activity and dataset quotas.
//!
//! This crate is pure computation over plain in-memory values. It reads no file, opens no
//! database and prints nothing: `sift-api` gathers annotations from the store, turns them into
//! the inputs below (a matrix of labels, a list of spans, points or events), and gets back
//! plain numbers with the quantities they were computed from. Results serialize with serde
//! for reports and exports.
//!
//! # Inputs
//!
//! Multi-annotator measures read a [`Ratings`] matrix: **units x coders**, any cell missing.
//! A unit is whatever each annotator rates once: an item's class, one response's rank on one
//! dimension, the question type of a matched Q&A pair. Per item, per annotator pair, per
//! annotator against consensus, per batch and per project are all views of it:
//! [`Ratings::values`] (one item), [`Ratings::pairs`] (two annotators),
//! [`Ratings::select_units`] (a batch), [`Ratings::without_coder`] (leave-one-out
//! consensus). [`Ratings::from_records`] builds one from `(item, annotator, value)` rows.
//!
//! Per-item measures of two annotators (span overlap, object and event matching) return
//! [`MatchCounts`] or values that a caller sums or averages over a batch ([`Summary`]).
//!
//! How the figures of a report come out of it:
//!
//! * classification: one matrix per batch (units = items); alpha and Fleiss over it, Cohen's
//!   kappa per pair ([`cohen_kappa_table`]), [`percent_agreement`] per item, [`majority_votes`]
//!   then [`agreement_with_consensus`] per annotator;
//! * ranking: per dimension, one matrix whose units are `(item, response)` and whose values
//!   are ranks, for [`alpha_ordinal`]; per item and pair of annotators, [`kendall_tau_b`] on
//!   the two rank vectors, averaged over items with [`Summary`]; per item, [`borda`] or
//!   [`kemeny`] for the consensus and [`pairwise_support`] for its agreement;
//! * Q&A, image and video captioning: per item and pair of annotators, [`compare_qa`],
//!   [`match_objects`], [`match_events`]; a batch adds the [`MatchCounts`] (micro F1) and pools
//!   the matched question types into Cohen's kappa or, with [`matched_type_ratings`], alpha.
//!
//! A measure that has no value on the data (one rating per unit, every rating the same,
//! nothing to compare) returns `Err(QualityError::Undefined(reason))`: reports show "—" with
//! the [`Undefined`] reason, never a made-up 0 or 1.
//!
//! # Agreement measures
//!
//! | Task | Measure | Function | Definition | Reference implementation |
//! |---|---|---|---|---|
//! | classification | Krippendorff's alpha, nominal | [`alpha_nominal`] | `1 - D_o / D_e`, `d = [a != b]` | `krippendorff.alpha(level_of_measurement="nominal")` |
//! | multi-label | alpha with MASI distance | [`alpha_masi`], [`masi_distance`] | `d = 1 - J * M` (Jaccard x monotonicity 1, 2/3, 1/3, 0), Passonneau 2006 | `krippendorff.alpha` with NLTK's `masi_distance` |
//! | ranking, scales | alpha, ordinal | [`alpha_ordinal`] | `d = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2` (interval alpha on mid-ranks) | `level_of_measurement="ordinal"` |
//! | scores | alpha, interval | [`alpha_interval`] | `d = (a - b)^2` | `level_of_measurement="interval"` |
//! | any | alpha, custom distance | [`alpha_with`] | any symmetric `d` with `d(a, a) = 0` | — |
//! | classification | Cohen's kappa (pair) | [`cohen_kappa`], [`cohen_kappa_table`] | `(p_o - p_e) / (1 - p_e)`, `p_e = sum_c p_a(c) p_b(c)` | `sklearn.metrics.cohen_kappa_score` |
//! | classification | Fleiss' kappa | [`fleiss_kappa`] | `(P̄ - sum p_j^2) / (1 - sum p_j^2)`, same number of ratings per unit | `statsmodels.stats.inter_rater.fleiss_kappa` |
//! | per item | percent / pairwise agreement | [`percent_agreement`], [`pairwise_agreement`] | share of agreeing rating pairs; `1 -` mean pairwise distance | by hand |
//! | vs consensus | agreement and kappa | [`agreement_with_consensus`] | share equal to the consensus, Cohen's kappa against it | — |
//! | ranking | Kendall's tau-b (pair, dimension) | [`kendall_tau_b`] | `(C - D) / sqrt((P - T_x)(P - T_y))` | `scipy.stats.kendalltau` (variant b) |
//! | Q&A | citation overlap F1 | [`span_overlap`] | character level: `2 \|A ∩ B\| / (\|A\| + \|B\|)` over merged spans | Python sets of character offsets |
//! | Q&A | pair matching, question types | [`compare_qa`], [`matched_type_ratings`] | pairs matched optimally by span F1 `>= min_f1`; types of matched pairs fed to kappa / alpha | — |
//! | image captioning | object F1 | [`match_objects`] | optimal one-to-one matching (Hungarian), distance `<= radius`, [`normalize_name`] equal; `2 m / (a + b)` | `scipy.optimize.linear_sum_assignment` |
//! | captioning | caption length spread | [`caption_length_spread`] | words per caption: min, max, mean, population sd, `cv = sd / mean` | numpy |
//! | video captioning | event F1 | [`match_events`], [`temporal_iou`] | optimal one-to-one matching with temporal IoU `>= threshold`; `2 m / (a + b)` | `scipy.optimize.linear_sum_assignment` |
//!
//! Matching ([`best_matching`]) maximises the number of matched pairs first and their total
//! score second, exactly, so F1 never depends on the order annotators listed things in.
//!
//! # Consensus and its agreement
//!
//! | Task | Consensus | Function | Agreement (Ground Truth `confidence`) |
//! |---|---|---|---|
//! | classification | majority vote, ties flagged (no label) | [`majority_vote`], [`majority_votes`] | share of annotators who chose the label ([`Vote::agreement`]) |
//! | multi-label | per-label strict majority, half-half labels flagged | [`majority_labels`] | mean `1 - MASI` to the consensus set ([`set_agreement`]) |
//! | classification | Dawid-Skene EM (option) | [`dawid_skene`] | posterior probability of the label; per-annotator reliability `sum_k p_k pi[k][k]` |
//! | ranking | Borda count (half a point per tie) | [`borda`] | pairwise support ([`pairwise_support`]) |
//! | ranking, `<= 6` responses | Kemeny-optimal, exact (DP over subsets) | [`kemeny`] | pairwise support `= 1 - distance / (annotators x pairs)` |
//!
//! Ties are never broken by chance: a tied vote has no label ([`Vote::label`] is `None`) and
//! lists the tied labels in order; Borda and Kemeny set `tie` and pick deterministically.
//!
//! # Gold, annotators, quotas
//!
//! | Figure | Function | Definition |
//! |---|---|---|
//! | gold accuracy | [`wilson`], [`assess_gold`] | correct / answered with a Wilson score interval (`statsmodels` `proportion_confint(method="wilson")`) |
//! | flag rule | [`GoldRule`], [`GoldStatus`] | flagged when answered `>= min_items` and the interval's upper end `< threshold` |
//! | return rate | [`return_rate`] | returned / (approved + returned), Wilson interval |
//! | pace | [`activity`] | items per active hour, median and mean active time per item |
//! | share quotas | [`evaluate_share`], [`evaluate_shares`] | share of a category within `[min, max]`, with the work left |
//! | class balance | [`evaluate_balance`] | largest class `<= max_ratio x` smallest |
//! | caption length bands | [`band_tally`] then [`evaluate_shares`] | share of captions per word-count band |
//! | events per minute | [`evaluate_rate`] | events / minutes of video within `[min, max]` |
//!
//! ```
//! use sift_quality::{Ratings, alpha_nominal, cohen_kappa, majority_vote};
//!
//! // Three items, three annotators; the third skipped item 1.
//! let labels = Ratings::from_rows([
//!     [Some("cat"), Some("cat"), Some("dog")],
//!     [Some("dog"), Some("dog"), None],
//!     [Some("cat"), Some("cat"), Some("cat")],
//! ])?;
//! let alpha = alpha_nominal(&labels)?;
//! assert!(alpha.value > 0.4 && alpha.value < 0.6);
//! assert_eq!(cohen_kappa(&labels, 0, 1)?.value, 1.0);
//! let vote = majority_vote(labels.values(0))?;
//! assert_eq!((vote.label(), vote.agreement()), (Some(&"cat"), 2.0 / 3.0));
//! # Ok::<(), sift_quality::QualityError>(())
//! ```

#![warn(missing_docs)]

mod alpha;
mod annotators;
mod captions;
pub mod consensus;
mod error;
mod kappa;
mod kendall;
mod matching;
mod qa;
mod quota;
mod ratings;
mod stats;

pub use alpha::{
    Alpha, alpha_interval, alpha_masi, alpha_nominal, alpha_ordinal, alpha_with, masi_distance,
    pairwise_agreement, percent_agreement,
};
pub use annotators::{
    Activity, GoldAssessment, GoldRule, GoldStatus, Proportion, Z_95, activity, assess_gold, return_rate,
    wilson,
};
pub use captions::{
    Event, EventMatch, Mark, Names, ObjectMatch, ObjectMatching, caption_length_spread, char_count,
    match_events, match_objects, normalize_name, temporal_iou, word_count,
};
pub use consensus::dawid_skene::{DawidSkene, DawidSkeneOptions, UnitEstimate, dawid_skene};
pub use consensus::ranking::{
    Borda, KEMENY_MAX_RESPONSES, Kemeny, RankConsensus, borda, kemeny, pairwise_support,
};
pub use consensus::vote::{SetVote, Vote, majority_labels, majority_vote, majority_votes, set_agreement};
pub use error::{QualityError, Result, Undefined};
pub use kappa::{
    ConsensusAgreement, Kappa, PairKappa, agreement_with_consensus, cohen_kappa, cohen_kappa_pairs,
    cohen_kappa_table, fleiss_kappa,
};
pub use kendall::{TauB, kendall_tau_b};
pub use matching::{MatchCounts, Matched, best_matching};
pub use qa::{CitedPair, QaComparison, SpanOverlap, compare_qa, matched_type_ratings, span_overlap};
pub use quota::{
    BalanceReport, Bounds, LengthBand, QuotaStatus, RateReport, ShareReport, ShareTarget, Tally, band_tally,
    evaluate_balance, evaluate_rate, evaluate_share, evaluate_shares,
};
pub use ratings::{Labelled, Ratings};
pub use stats::{Spread, Summary, median, spread};
