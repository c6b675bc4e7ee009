//! Sift's in-process learning (doc to be written).
#![warn(missing_docs)]

mod classifier;
mod data;
mod error;
mod lbfgs;
mod linalg;
mod linear;
mod metrics;
mod objective;
mod onnx;
mod reward;
mod scaler;
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
pub use reward::{Preference, RewardHead, RewardOptions, RewardTraining, ranking_pairs};
pub use scaler::Scaler;
pub use split::{Rng, Split, random_split, stratified_split};
pub use stopping::{StopCheck, StoppingRule};
