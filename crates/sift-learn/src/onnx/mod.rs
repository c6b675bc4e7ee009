//! ONNX export of a trained head, written without Python or a protobuf compiler: the few ONNX
//! messages needed (`ModelProto`, `GraphProto`, `NodeProto`, `TensorProto`, `ValueInfoProto`,
//! `AttributeProto`) are encoded by hand with [`proto`] (field numbers from `onnx.proto3`).
//!
//! The graph (opset 13, IR version 7), `batch` a symbolic dimension:
//!
//! ```text
//! features [batch, d] float32
//!   -> Sub(mean) -> Div(scale)                      standardisation stored in the head
//!   -> Gemm(coef^T, intercept)  = logits [batch, k]
//!   -> Softmax(axis = 1)        = probabilities [batch, k]   (single-label)
//!      Sigmoid                  = probabilities [batch, k]   (multi-label)
//! reward head: ... -> Gemm(w^T) = reward [batch, 1]
//! ```
//!
//! Outputs: classifier heads give `probabilities` first (what `model.toml`'s
//! `kind = "probabilities"` reads) and `logits` second; reward heads give `reward` (column 0).
//! Parameters are stored as float32. Metadata properties: `sift.head` (`classifier` /
//! `reward`), `sift.kind` (`single-label` / `multi-label`), `sift.classes` (class ids, comma
//! separated) and, when given, `sift.class_names` (a JSON array of strings).

mod proto;

use proto::Message;

use crate::classifier::{ClassifierHead, HeadKind};
use crate::linear::Linear;
use crate::reward::RewardHead;

/// ONNX `TensorProto.DataType.FLOAT`.
const FLOAT: i64 = 1;
/// ONNX `AttributeProto.AttributeType.INT`.
const ATTR_INT: i64 = 2;
/// ONNX IR version written (the one that goes with opset 13).
const IR_VERSION: i64 = 7;
/// Default-domain opset written.
const OPSET: i64 = 13;

/// Settings of an ONNX export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxOptions {
    /// Name of the graph input (default `features`).
    pub input: String,
    /// Human-readable class names, in column order, stored as metadata (default: none).
    pub class_names: Vec<String>,
    /// Model description stored as the doc string.
    pub doc: String,
}

impl Default for OnnxOptions {
    fn default() -> Self {
        Self {
            input: "features".into(),
            class_names: Vec::new(),
            doc: String::new(),
        }
    }
}

impl ClassifierHead {
    /// The head as an ONNX model (the bytes of a `.onnx` file), with the default options.
    #[must_use]
    pub fn to_onnx(&self) -> Vec<u8> {
        self.to_onnx_with(&OnnxOptions::default())
    }

    /// The head as an ONNX model with explicit options.
    #[must_use]
    pub fn to_onnx_with(&self, options: &OnnxOptions) -> Vec<u8> {
        let final_op = match self.kind() {
            HeadKind::SingleLabel => "Softmax",
            HeadKind::MultiLabel => "Sigmoid",
        };
        let classes: Vec<String> = self.classes().iter().map(u32::to_string).collect();
        let mut metadata = vec![
            ("sift.head", "classifier".to_owned()),
            (
                "sift.kind",
                match self.kind() {
                    HeadKind::SingleLabel => "single-label",
                    HeadKind::MultiLabel => "multi-label",
                }
                .to_owned(),
            ),
            ("sift.classes", classes.join(",")),
        ];
        if !options.class_names.is_empty() {
            metadata.push(("sift.class_names", json_strings(&options.class_names)));
        }
        let doc = if options.doc.is_empty() {
            format!("Sift classifier head: {} classes", classes.len())
        } else {
            options.doc.clone()
        };
        model(self.linear(), &options.input, Some(final_op), &doc, &metadata)
    }
}

impl RewardHead {
    /// The head as an ONNX model: `features [batch, d]` to `reward [batch, 1]`.
    #[must_use]
    pub fn to_onnx(&self) -> Vec<u8> {
        self.to_onnx_with(&OnnxOptions::default())
    }

    /// The head as an ONNX model with explicit options (`class_names` is ignored).
    #[must_use]
    pub fn to_onnx_with(&self, options: &OnnxOptions) -> Vec<u8> {
        let doc = if options.doc.is_empty() {
            "Sift reward head (Bradley-Terry)".to_owned()
        } else {
            options.doc.clone()
        };
        model(
            self.linear(),
            &options.input,
            None,
            &doc,
            &[("sift.head", "reward".to_owned())],
        )
    }
}

/// Builds the whole `ModelProto`. `final_op` is the activation of a classifier (`None`: the
/// reward head, whose Gemm output is the result).
fn model(
    linear: &Linear,
    input: &str,
    final_op: Option<&str>,
    doc: &str,
    metadata: &[(&str, String)],
) -> Vec<u8> {
    let (d, k) = (linear.dim(), linear.outputs());
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let mut graph = Message::new();
    let gemm_out = if final_op.is_some() { "logits" } else { "reward" };
    graph
        .message(1, &node("Sub", &[input, "mean"], &[("centered")], &[]))
        .message(1, &node("Div", &["centered", "scale"], &["standardized"], &[]))
        .message(
            1,
            &node(
                "Gemm",
                &["standardized", "coef", "intercept"],
                &[gemm_out],
                &[("transB", 1)],
            ),
        );
    if let Some(op) = final_op {
        let attrs: &[(&str, i64)] = if op == "Softmax" { &[("axis", 1)] } else { &[] };
        graph.message(1, &node(op, &["logits"], &["probabilities"], attrs));
    }
    graph
        .string(2, "sift_head")
        .message(5, &tensor("mean", &[d], &f32s(&linear.scaler.mean)))
        .message(5, &tensor("scale", &[d], &f32s(&linear.scaler.scale)))
        .message(5, &tensor("coef", &[k, d], &f32s(&linear.coef)))
        .message(5, &tensor("intercept", &[k], &f32s(&linear.intercept)))
        .message(11, &value_info(input, d));
    if final_op.is_some() {
        graph
            .message(12, &value_info("probabilities", k))
            .message(12, &value_info("logits", k));
    } else {
        graph.message(12, &value_info("reward", k));
    }
    let mut opset = Message::new();
    opset.string(1, "").int(2, OPSET);
    let mut model = Message::new();
    model
        .int(1, IR_VERSION)
        .string(2, "sift-learn")
        .string(3, env!("CARGO_PKG_VERSION"))
        .string(6, doc)
        .message(7, &graph)
        .message(8, &opset);
    for (key, value) in metadata {
        let mut entry = Message::new();
        entry.string(1, key).string(2, value);
        model.message(14, &entry);
    }
    model.into_bytes()
}

/// A `NodeProto` with integer attributes.
fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: &[(&str, i64)]) -> Message {
    let mut m = Message::new();
    inputs.iter().for_each(|i| {
        m.string(1, i);
    });
    outputs.iter().for_each(|o| {
        m.string(2, o);
    });
    m.string(
        3,
        &format!(
            "{}_{}",
            op.to_lowercase(),
            outputs.first().copied().unwrap_or_default()
        ),
    )
    .string(4, op);
    for (name, value) in attrs {
        let mut a = Message::new();
        a.string(1, name).int(3, *value).int(20, ATTR_INT);
        m.message(5, &a);
    }
    m
}

/// A float32 `TensorProto` initializer (little-endian `raw_data`).
fn tensor(name: &str, dims: &[usize], values: &[f32]) -> Message {
    let dims: Vec<i64> = dims
        .iter()
        .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
        .collect();
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut m = Message::new();
    m.packed_ints(1, &dims)
        .int(2, FLOAT)
        .string(8, name)
        .bytes(9, &raw);
    m
}

/// A `ValueInfoProto` for a float32 `[batch, cols]` tensor.
fn value_info(name: &str, cols: usize) -> Message {
    let mut batch = Message::new();
    batch.string(2, "batch");
    let mut width = Message::new();
    width.int(1, i64::try_from(cols).unwrap_or(i64::MAX));
    let mut shape = Message::new();
    shape.message(1, &batch).message(1, &width);
    let mut tensor_type = Message::new();
    tensor_type.int(1, FLOAT).message(2, &shape);
    let mut type_proto = Message::new();
    type_proto.message(1, &tensor_type);
    let mut m = Message::new();
    m.string(1, name).message(2, &type_proto);
    m
}

/// A JSON array of strings (quotes, backslashes and control characters escaped).
fn json_strings(values: &[String]) -> String {
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in v.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        assert_eq!(
            json_strings(&["a\"b".into(), "c\\\n".into()]),
            r#"["a\"b","c\\\u000a"]"#
        );
        assert_eq!(json_strings(&[]), "[]");
    }
}
