//! Encoders on the real ONNX Runtime: `OnnxEncoder` gives each item its row of a `[batch, d]`
//! output, in order through the pipelined stream, with failed items reported in place; the
//! all-MiniLM-L6-v2 encoder that `make setup` builds, fed by this crate's tokenizer, reproduces
//! sentence-transformers' own embeddings (scripts/minilm/reference.json); configs that are not
//! encoders' are refused for embedding, and encoders for scoring.
//!
//! Like tests/runtime.rs these FAIL (never skip) without ONNX Runtime; the MiniLM test also
//! needs the encoder built by `make setup-python` (or `$SIFT_ENCODER_DIR`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sift_api::{BatchModel, ItemResult, ModelOutput, ScoreInput, VectorResult};
use sift_onnx::{ModelConfig, OnnxEncoder, OnnxError, OnnxScorer};

mod support;
use support::{cpu, fixture, require_runtime};

const POOLED_ENCODER: &str = "[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\nmax_length = 8\n\
                              [output]\nname = \"pooled\"\nkind = \"embedding\"\n";
const POOLED_CLASSIFIER: &str = "[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\nmax_length = 8\n[output]\nname = \"pooled\"\n";

fn items(texts: &[Option<&str>]) -> Vec<ScoreInput> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| ScoreInput {
            item_id: i as i64 + 1,
            content: match t {
                Some(t) => json!({ "source": t }),
                None => json!({ "other": "no text" }),
            }
            .to_string(),
            media_ref: None,
        })
        .collect()
}

#[test]
fn each_item_gets_its_own_row_in_order_through_the_stream() {
    require_runtime();
    let encoder_config = ModelConfig::parse(POOLED_ENCODER, "encoder").unwrap();
    let mut encoder =
        OnnxEncoder::open(&fixture("tiny_text.onnx"), &encoder_config, &fixture(""), &cpu()).unwrap();
    assert_eq!(encoder.dim(), Some(3));
    assert!(
        encoder
            .notes()
            .iter()
            .any(|n| n.starts_with("embedding on cpu with ONNX Runtime"))
    );
    // The same output read as logits by the scorer: the encoder's vectors must be its rows.
    let classifier = ModelConfig::parse(POOLED_CLASSIFIER, "classifier").unwrap();
    let mut scorer = OnnxScorer::open(&fixture("tiny_text.onnx"), &classifier, &fixture(""), &cpu()).unwrap();

    let texts: Vec<String> = (0..23)
        .map(|i| ["good movie", "bad bad film", "ok", "good good good bad"][i % 4].repeat(1 + i % 3))
        .collect();
    let mut with_gaps: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    with_gaps[5] = None;
    with_gaps[17] = None;
    let all = items(&with_gaps);
    let expected: Vec<ItemResult> = scorer.run_batch(&all).unwrap();

    let mut batches = all.chunks(4).map(<[ScoreInput]>::to_vec);
    let mut got: Vec<(i64, VectorResult)> = Vec::new();
    encoder
        .run_stream(&mut || batches.next(), &mut |batch, results| {
            assert_eq!(batch.len(), results.len());
            got.extend(batch.iter().map(|i| i.item_id).zip(results));
            true
        })
        .unwrap();
    assert_eq!(got.len(), all.len());
    for ((id, vector), (input, want)) in got.iter().zip(all.iter().zip(&expected)) {
        assert_eq!(*id, input.item_id);
        match (vector, want) {
            (Ok(v), Ok(out)) => match &out.output {
                ModelOutput::Logits(row) => assert_eq!(v, row, "item {id}"),
                other => panic!("{other:?}"),
            },
            (Err(e), Err(w)) => {
                assert_eq!(e, w);
                assert_eq!(e, "the manifest has no text field `source`");
            }
            other => panic!("item {id}: {other:?}"),
        }
    }
    // `done` returning false stops the stream.
    let mut batches = all.chunks(4).map(<[ScoreInput]>::to_vec);
    let mut seen = 0;
    encoder
        .run_stream(&mut || batches.next(), &mut |batch, _| {
            seen += batch.len();
            false
        })
        .unwrap();
    assert_eq!(seen, 4);
}

#[test]
fn encoders_and_classifiers_are_not_mixed_up() {
    require_runtime();
    let classifier = ModelConfig::parse(POOLED_CLASSIFIER, "classifier").unwrap();
    let err = OnnxEncoder::open(&fixture("tiny_text.onnx"), &classifier, &fixture(""), &cpu()).unwrap_err();
    assert!(matches!(err, OnnxError::Kind(_)), "{err:?}");
    assert!(err.to_string().contains("is not an encoder"), "{err}");
    let encoder = ModelConfig::parse(POOLED_ENCODER, "encoder").unwrap();
    let err = OnnxScorer::open(&fixture("tiny_text.onnx"), &encoder, &fixture(""), &cpu()).unwrap_err();
    assert!(
        err.to_string().contains("is an encoder") && err.to_string().contains("sift embed"),
        "{err}"
    );

    // What `sift model add` checks: a per-token, a per-item-scalar and an integer output.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("tokenizer.json"), dir.path().join("tokenizer.json")).unwrap();
    let check = |model: &str, config: &str| {
        let cfg = dir.path().join("m.toml");
        std::fs::write(&cfg, config).unwrap();
        sift_onnx::check_model(&fixture(model), &cfg)
    };
    let err = check(
        "tiny_text.onnx",
        &POOLED_ENCODER.replace("\"pooled\"", "\"token_logits\""),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("model output `token_logits` float32 [?, ?, 3]: an encoder (output.kind = \"embedding\") gives one vector per item, [batch, dimensions] (rank 2); this looks like per-token vectors"),
        "{err}"
    );
    let digits =
        "[input]\nadapter = \"features\"\nfield = \"f\"\n[output]\nkind = \"embedding\"\nname = \"label\"\n";
    let err = check("digits.onnx", digits).unwrap_err().to_string();
    assert!(
        err.contains(
            "model output `label` int64 [?]: an encoder's vectors are read from float32 or float64 tensors"
        ),
        "{err}"
    );
    let checked = check("digits.onnx", &digits.replace("\"label\"", "\"probabilities\"")).unwrap();
    assert!(checked.encoder);
    assert_eq!(checked.output.to_string(), "`probabilities` float32 [?, 10]");
    let checked = check("tiny_text.onnx", POOLED_CLASSIFIER).unwrap();
    assert!(!checked.encoder);
}

fn encoder_dir() -> PathBuf {
    let dir = std::env::var_os("SIFT_ENCODER_DIR").map_or_else(
        || {
            let cache = std::env::var_os("XDG_CACHE_HOME").map_or_else(
                || PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"),
                PathBuf::from,
            );
            cache.join("sift/models/all-minilm-l6-v2")
        },
        PathBuf::from,
    );
    assert!(
        dir.join("model.onnx").is_file() && dir.join("model.toml").is_file(),
        "the all-MiniLM-L6-v2 encoder is not built in {}: run `make setup-python` (scripts/make-minilm-onnx.py) \
         or set SIFT_ENCODER_DIR",
        dir.display()
    );
    dir
}

#[test]
fn minilm_through_this_crate_reproduces_sentence_transformers() {
    require_runtime();
    let dir = encoder_dir();
    let config = ModelConfig::load(&dir.join("model.toml")).unwrap();
    let mut encoder = OnnxEncoder::open(&dir.join("model.onnx"), &config, &dir, &cpu()).unwrap();
    assert_eq!(encoder.dim(), Some(384));
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/minilm/reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let sentences: Vec<&str> = reference["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let inputs = items(&sentences.iter().copied().map(Some).collect::<Vec<_>>());
    let mut got = Vec::new();
    for batch in inputs.chunks(8) {
        got.extend(encoder.run_batch(batch).unwrap());
    }
    let (mut worst_cos, mut worst_diff) = (1.0_f64, 0.0_f64);
    for ((sentence, vector), want) in sentences
        .iter()
        .zip(&got)
        .zip(reference["embeddings"].as_array().unwrap())
    {
        let v = vector.as_ref().unwrap();
        let w: Vec<f64> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(v.len(), w.len(), "{sentence:?}");
        let dot: f64 = v.iter().zip(&w).map(|(a, b)| f64::from(*a) * b).sum();
        let nv: f64 = v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        let nw: f64 = w.iter().map(|b| b * b).sum::<f64>().sqrt();
        worst_cos = worst_cos.min(dot / (nv * nw));
        for (a, b) in v.iter().zip(&w) {
            worst_diff = worst_diff.max((f64::from(*a) - b).abs());
        }
    }
    println!("against sentence-transformers: min cosine {worst_cos:.8}, max abs diff {worst_diff:e}");
    assert!(worst_cos >= 0.9999, "min cosine {worst_cos}");
    assert!(worst_diff <= 1e-5, "max abs diff {worst_diff}");
}
