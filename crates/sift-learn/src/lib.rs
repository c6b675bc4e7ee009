//! Sift's in-process learning: the heads trained on stored embeddings (or numeric features),
//! their validation metrics and stopping rule, their export as ONNX models, and the
//! active-learning simulation that measures what a strategy saves.
//!
//! Like `sift-al`, this crate is pure computation over plain row-major matrices (`f32` or
//! `f64` slices with their row and column counts): no files, no database, no ONNX Runtime, no
//! terminal. A caller loads embeddings and labels, calls [`ClassifierHead::fit`], keeps the head
//! (serde: store it as JSON), scores the pool with [`ClassifierHead::predict_proba`] (then
//! `sift_al::score_rows`), writes [`ClassifierHead::to_onnx`] next to it, and reports
//! [`evaluate`] and [`StoppingRule::check`]; `sift simulate` is [`simulate`] plus
//! [`learning_curves_svg`].
//!
//! # Heads
//!
//! **[`ClassifierHead`]**: logistic regression with scikit-learn's objective. With per-row
//! weights `s_i` (from [`ClassWeights`]), coefficients `W` and intercepts `b`,
//!
//! `minimise  C * sum_i s_i * loss_i(W, b) + ||W||^2 / 2`   (intercepts not penalised)
//!
//! where `loss_i` is the softmax cross-entropy over the classes present (three or more: the
//! multinomial model) or, with two classes, the binary logistic loss on one coefficient vector
//! (scikit-learn's binary case, which is *not* the two-class softmax with the same `C`). For
//! multi-label data ([`ClassifierHead::fit_multi_label`]) every label gets its own binary
//! model (one-vs-rest). Features are standardised inside the head ([`Scaler`]: mean and
//! population deviation of the training rows, or of a whole pool the caller passes in
//! [`Options::scaler`]); the head stores them and applies them to whatever it predicts, so
//! callers always hand it raw features.
//!
//! **[`RewardHead`]**: a Bradley-Terry model for one ranking dimension,
//! `P(a preferred to b) = sigmoid(r(a) - r(b))` with a linear reward `r(x) = w . z(x)` on the
//! standardised features `z`. Its likelihood is logistic regression without intercept on
//! `z(winner) - z(loser)` for every [`Preference`] (a ranking gives its pairs through
//! [`ranking_pairs`]; ties give none), minimising `C * sum log(1 + e^-(r_w - r_l)) + ||w||^2 / 2`.
//! Train one head per dimension.
//!
//! Both are fitted by L-BFGS (ten correction pairs, strong-Wolfe line search) in `f64` with
//! scikit-learn's stopping tests: the largest gradient component of the objective divided by
//! `C * sum_i s_i` at most [`Options::tol`] (default `1e-4`), or no relative progress, or
//! [`Options::max_iter`] iterations ([`Training::converged`] says which). At a tight tolerance
//! the probabilities agree with scikit-learn's `StandardScaler` + `LogisticRegression`
//! (`OneVsRestClassifier` for multi-label) within `3e-7` on the reference cases
//! (`tests/reference/`). [`ClassifierHead::fit_warm`] starts from a previous round's head: the
//! same optimum in fewer iterations.
//!
//! Bad input is an error that names what is wrong ([`LearnError`]): shapes that do not match,
//! NaN or infinite features (with the row and column), fewer than [`MIN_LABELS`] labels, a
//! single class, a constant multi-label column, invalid options. At predict time a row holding
//! NaN gets NaN probabilities, which `sift_al::score_rows` reports per row, so one broken
//! embedding does not stop the pool from being scored.
//!
//! # ONNX
//!
//! [`ClassifierHead::to_onnx`] and [`RewardHead::to_onnx`] write a small ONNX model (opset 13,
//! encoded by this crate, no Python): `features [batch, d]` -> `Sub(mean)` -> `Div(scale)` ->
//! `Gemm` -> `Softmax` (single-label), `Sigmoid` (multi-label) or the reward itself. Classifier
//! outputs are `probabilities` then `logits`; the reward head's is `reward [batch, 1]`.
//! onnxruntime gives the head's own probabilities within `1e-5` and `onnx.checker` accepts the
//! files (`tests/onnx.rs`).
//!
//! # Validation and when to stop
//!
//! [`stratified_split`] holds out a seeded, class-stratified share; [`evaluate`] reports
//! accuracy, [`macro_f1`], [`log_loss`] and the [`expected_calibration_error`] (top-class
//! confidence in equal-width bins `(b/B, (b+1)/B]`, default [`DEFAULT_BINS`] = 10);
//! [`evaluate_reward`] the [`pairwise_accuracy`]. [`StoppingRule`] is Bloodgood &
//! Vijay-Shanker's stabilising predictions: [`cohen_kappa`] between successive models'
//! predictions on a fixed unlabeled stop set, stop when the mean of the last three is at least
//! 0.99, and (Sift's addition) the validation metric moved by at most 0.01 over those rounds.
//!
//! # Simulation
//!
//! [`simulate`] replays the labeling loop on data whose true labels are known: for every seed a
//! stratified test split and one initial labeled set shared by every [`Arm`] (random order,
//! the four `sift-al` strategies, each optionally diversified with `cluster_uncertain`), then
//! rounds of train, test, label the arm's next batch. The [`SimReport`] holds every curve and,
//! per arm, the median and interquartile range of accuracy at each point, the labels needed
//! per target accuracy (and how many seeds reached it), the accuracy at label budgets, the
//! area under the curve, where the stopping rule fires, and the labels, hours and money saved
//! against random order. Same data and settings, same report, whatever the thread count.
//! `Display` prints it as tables; [`learning_curves_svg`] and [`learning_curves_png`] draw it.
//!
//! On scikit-learn's digits (10 initial labels, batches of 10, 20 seeds, a third held out)
//! margin and ratio reach 90% test accuracy with 90 labels (median) against 140 for random
//! order (36% fewer); least confidence needs 110 and entropy 120; every strategy beats random,
//! and their `+diverse` variants need 65-80. The figures move with the head's tolerance: at
//! `tol = 1e-5` (closer to the optimum; warm and cold starts then agree) random needs 135,
//! ratio 80 (41% fewer) and margin 90 (33%).
//!
//! # Speed
//!
//! The products (`n x k x d` multiply-adds per evaluation) run in one pass over the rows, four
//! rows and two classes at a time; on x86-64 CPUs with AVX2 and FMA an explicit AVX2 kernel is
//! picked at run time (the crate's only `unsafe`: that call and the vector loads and stores of
//! bounds-checked slices). On one core of the (shared, 2-core) development machine, training
//! on 10,000 x 384 embedding-like rows takes 1.0-1.4 s (119 iterations; scikit-learn with one
//! OpenBLAS thread: the same), rescoring 100,000 x 384 rows 0.09-0.12 s (scikit-learn 1.6-2x
//! slower), and the digits simulation (20 seeds x 5 strategies x 40 rounds) about 7 s
//! (scikit-learn 50-70 s; 4-6x with cold starts on both sides); see `bench/learn/run.sh`.
//!
//! ```
//! use sift_learn::{ClassifierHead, Options, evaluate, stratified_split};
//!
//! // Six items, two features, two classes (ids 3 and 8).
//! let x = [0.0_f32, 1.0, 0.2, 0.9, 0.1, 1.2, 2.0, 0.1, 2.2, 0.0, 1.9, 0.3];
//! let y = [3, 3, 3, 8, 8, 8];
//! let head = ClassifierHead::fit(&x, 6, 2, &y, &Options::default())?;
//! assert_eq!(head.classes(), &[3, 8]);
//! let p = head.predict_proba(&[2.1_f32, 0.2], 1)?;
//! assert!(p[1] > 0.5); // probably class 8
//! let metrics = evaluate(&head, &x, 6, &y, 10)?;
//! assert_eq!(metrics.accuracy, 1.0);
//! let stored = serde_json::to_string(&head).expect("a head serialises");
//! let onnx: Vec<u8> = head.to_onnx(); // bytes of a .onnx file
//! assert!(!onnx.is_empty() && stored.contains("\"classes\""));
//! let split = stratified_split(&y, 1.0 / 3.0, 42)?;
//! assert_eq!(split.held_out.len(), 2);
//! # Ok::<(), sift_learn::LearnError>(())
//! ```
#![warn(missing_docs)]

mod classifier;
mod data;
mod error;
mod kernel;
mod lbfgs;
mod linalg;
mod linear;
mod metrics;
mod objective;
mod onnx;
mod plot;
mod reward;
mod scaler;
mod simulate;
mod split;
mod stopping;

pub use classifier::{ClassWeights, ClassifierHead, HeadKind, MIN_LABELS, Options, Training};
pub use data::Element;
pub use error::{LearnError, Result};
pub use metrics::{
    Calibration, CalibrationBin, DEFAULT_BINS, Evaluation, accuracy, cohen_kappa, evaluate,
    evaluate_multi_label, evaluate_reward, expected_calibration_error, log_loss, macro_f1, pairwise_accuracy,
};
pub use onnx::OnnxOptions;
pub use plot::{PlotOptions, learning_curves_png, learning_curves_svg};
pub use reward::{Preference, RewardHead, RewardOptions, RewardTraining, ranking_pairs};
pub use scaler::Scaler;
pub use sift_al::Strategy;
pub use simulate::{
    Arm, ArmReport, BudgetSummary, CostSummary, CurvePoint, Run, SimConfig, SimData, SimReport, SimWatch,
    Spread, Standardize, StopSummary, TargetSummary, simulate, simulate_watched,
};
pub use split::{Rng, Split, random_split, stratified_split};
pub use stopping::{StopCheck, StoppingRule};
