//! Sift's in-process learning (doc to be written).
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
pub use plot::{PlotOptions, learning_curves_svg};
pub use reward::{Preference, RewardHead, RewardOptions, RewardTraining, ranking_pairs};
pub use scaler::Scaler;
pub use sift_al::Strategy;
pub use simulate::{
    Arm, ArmReport, BudgetSummary, CostSummary, CurvePoint, Run, SimConfig, SimData, SimReport, Spread,
    Standardize, StopSummary, TargetSummary, simulate,
};
pub use split::{Rng, Split, random_split, stratified_split};
pub use stopping::{StopCheck, StoppingRule};
