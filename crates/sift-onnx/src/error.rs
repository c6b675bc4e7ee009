//! What can go wrong when loading the runtime, checking a model or scoring.

/// An error of the ONNX adapter. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The ONNX Runtime shared library could not be found or loaded.
    #[error("{0}")]
    RuntimeMissing(String),
    /// The CUDA execution provider was asked for and cannot be used.
    #[error("{0}")]
    Cuda(String),
    /// The model config (`model.toml`) is not valid on its own.
    #[error("{file}: {message}")]
    Config {
        /// The config file (or where the text came from).
        file: String,
        /// Why: the read error, TOML's message with line and column, or the rule broken.
        message: String,
    },
    /// The config and the model file disagree (every disagreement is listed).
    #[error("the config does not match the model:\n  - {}", .0.join("\n  - "))]
    Mismatch(Vec<String>),
    /// The model file cannot be read or is not a valid ONNX model.
    #[error("cannot load model {path}: {message}")]
    Model {
        /// The model file.
        path: String,
        /// Why it cannot be loaded (missing, unreadable, or ONNX Runtime's message).
        message: String,
    },
    /// A file next to the model (a tokenizer) cannot be used.
    #[error("{path}: {message}")]
    Asset {
        /// The asset file.
        path: String,
        /// Why it cannot be used.
        message: String,
    },
    /// ONNX Runtime failed while running the model.
    #[error("ONNX Runtime: {0}")]
    Runtime(String),
    /// The model is of the wrong kind for the command (an encoder given to `sift score`, a
    /// classifier given to `sift embed`).
    #[error("{0}")]
    Kind(String),
    /// A device name that is not `auto`, `cpu`, `cuda` or `cuda:N`.
    #[error("unknown device {0:?}: use auto, cpu, cuda or cuda:N")]
    Device(String),
}
