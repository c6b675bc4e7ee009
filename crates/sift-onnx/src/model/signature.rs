//! What a model file declares: its inputs and outputs ([`ModelSignature`]), read from a
//! session opened on the CPU.

use std::fmt;
use std::path::Path;

use ort::session::Session;
use ort::value::{TensorElementType, ValueType};
use serde::{Deserialize, Serialize};

use crate::error::OnnxError;
use crate::runtime::runtime;

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorInfo {
    /// The name the model gives the input or output (what configs refer to).
    pub name: String,
    /// `float32`, `int64`, ... for tensors; `sequence` or `map` for other values.
    pub element: String,
    /// Dimensions; `None` where the model leaves a dimension open (the batch, usually).
    pub shape: Vec<Option<i64>>,
}

impl TensorInfo {
    pub(super) fn is_tensor(&self) -> bool {
        self.element != "sequence" && self.element != "map" && self.element != "optional"
    }

    pub(super) fn is_float(&self) -> bool {
        matches!(self.element.as_str(), "float32" | "float64")
    }

    pub(super) fn dim(&self, i: usize) -> Option<i64> {
        self.shape.get(i).copied().flatten()
    }
}

impl fmt::Display for TensorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.name, self.element)?;
        if self.is_tensor() {
            let dims: Vec<String> = self
                .shape
                .iter()
                .map(|d| d.map_or_else(|| "?".to_owned(), |n| n.to_string()))
                .collect();
            write!(f, " [{}]", dims.join(", "))?;
        }
        Ok(())
    }
}

/// The inputs and outputs a model file declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSignature {
    /// The model's inputs, in the model's order.
    pub inputs: Vec<TensorInfo>,
    /// The model's outputs, in the model's order (the first is read unless the config names another).
    pub outputs: Vec<TensorInfo>,
}

impl ModelSignature {
    pub(crate) fn of(session: &Session) -> Self {
        let convert = |name: &str, ty: &ValueType| match ty {
            ValueType::Tensor { ty, shape, .. } => TensorInfo {
                name: name.to_owned(),
                element: element_name(*ty).to_owned(),
                shape: shape.iter().map(|&d| (d >= 0).then_some(d)).collect(),
            },
            ValueType::Sequence(_) => TensorInfo {
                name: name.to_owned(),
                element: "sequence".into(),
                shape: Vec::new(),
            },
            ValueType::Map { .. } => TensorInfo {
                name: name.to_owned(),
                element: "map".into(),
                shape: Vec::new(),
            },
            ValueType::Optional(_) => TensorInfo {
                name: name.to_owned(),
                element: "optional".into(),
                shape: Vec::new(),
            },
        };
        Self {
            inputs: session
                .inputs()
                .iter()
                .map(|o| convert(o.name(), o.dtype()))
                .collect(),
            outputs: session
                .outputs()
                .iter()
                .map(|o| convert(o.name(), o.dtype()))
                .collect(),
        }
    }

    pub(super) fn input(&self, name: &str) -> Option<&TensorInfo> {
        self.inputs.iter().find(|t| t.name == name)
    }

    pub(super) fn output(&self, name: &str) -> Option<&TensorInfo> {
        self.outputs.iter().find(|t| t.name == name)
    }

    pub(super) fn list(items: &[TensorInfo]) -> String {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn element_name(ty: TensorElementType) -> &'static str {
    match ty {
        TensorElementType::Float32 => "float32",
        TensorElementType::Float64 => "float64",
        TensorElementType::Float16 => "float16",
        TensorElementType::Bfloat16 => "bfloat16",
        TensorElementType::Int64 => "int64",
        TensorElementType::Int32 => "int32",
        TensorElementType::Int16 => "int16",
        TensorElementType::Int8 => "int8",
        TensorElementType::Uint8 => "uint8",
        TensorElementType::Uint16 => "uint16",
        TensorElementType::Uint32 => "uint32",
        TensorElementType::Uint64 => "uint64",
        TensorElementType::Bool => "bool",
        TensorElementType::String => "string",
        _ => "other",
    }
}

/// Opens a model file with ONNX Runtime (on the CPU) and reads its signature.
///
/// # Errors
///
/// [`OnnxError::RuntimeMissing`] without the runtime; [`OnnxError::Model`] for a file that is
/// missing or not a valid model.
pub fn inspect_model(path: &Path) -> Result<ModelSignature, OnnxError> {
    let session = open_session_cpu(path, 1)?;
    Ok(ModelSignature::of(&session))
}

pub(crate) fn open_session_cpu(path: &Path, threads: usize) -> Result<Session, OnnxError> {
    let rt = runtime()?;
    if !path.is_file() {
        return Err(OnnxError::Model {
            path: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    let model_error = |e: String| OnnxError::Model {
        path: path.display().to_string(),
        message: e,
    };
    Session::builder(&rt.env)
        .map_err(|e| model_error(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| model_error(e.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|e| model_error(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| model_error(e.to_string()))
}
