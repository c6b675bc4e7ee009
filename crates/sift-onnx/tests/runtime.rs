//! sift-onnx on the real ONNX Runtime: the digits model against scikit-learn, the image adapter
//! against Pillow + numpy, the text and ranking adapters, and the errors a person can meet.
//!
//! These tests load the ONNX Runtime shared library the way `sift` does (`ORT_DYLIB_PATH`, then
//! beside the binary, then `~/.cache/sift/venv` from `make setup`). Without it they FAIL with
//! the message that says how to install it: they are never skipped.
//!
//! Fixtures come from `tests/fixtures/make_fixtures.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // test code: failing loudly is the point

use std::path::Path;

use serde_json::{Value, json};
use sift_api::{BatchModel, ItemResult, ModelOutput, ScoreInput};
use sift_onnx::{Device, ModelConfig, OnnxError, OnnxScorer, ScorerOptions};

mod support;
use support::{cpu, fixture, require_runtime};

fn open(model: &str, config: &str) -> Result<OnnxScorer, OnnxError> {
    require_runtime();
    let config = ModelConfig::parse(config, "test config")?;
    OnnxScorer::open(&fixture(model), &config, &fixture(""), &cpu())
}

#[allow(clippy::needless_pass_by_value)] // called with json!(...) literals
fn item(id: i64, content: Value, media: Option<&Path>) -> ScoreInput {
    ScoreInput {
        item_id: id,
        content: content.to_string(),
        media_ref: media.map(|p| p.display().to_string()),
    }
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("digits_reference.json")).unwrap()).unwrap()
}

const DIGITS: &str = r#"
[input]
adapter = "features"
field = "features"
[output]
name = "probabilities"
kind = "probabilities"
"#;

fn digits_items() -> (Vec<ScoreInput>, Vec<Vec<f64>>) {
    let r = reference();
    let items = r["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            item(
                i as i64 + 1,
                json!({ "source": format!("digit {i}"), "features": f }),
                None,
            )
        })
        .collect();
    let proba = r["predict_proba"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    (items, proba)
}

fn probabilities(result: &ItemResult) -> &[f32] {
    match &result.as_ref().unwrap().output {
        ModelOutput::Probabilities(p) => p,
        other => panic!("expected probabilities, got {other:?}"),
    }
}

#[test]
fn digits_probabilities_equal_scikit_learn_predict_proba() {
    let mut scorer = open("digits.onnx", DIGITS).unwrap();
    assert_eq!(scorer.describe().device, "cpu");
    assert!(scorer.describe().runtime_version.starts_with("onnxruntime 1.31"));
    let (items, proba) = digits_items();
    assert_eq!(items.len(), 120);

    // One batch at a time, and as a stream with preprocessing on worker threads: the same.
    let batch = scorer.run_batch(&items).unwrap();
    let mut streamed: Vec<ItemResult> = Vec::new();
    let mut chunks = items.chunks(7).map(<[ScoreInput]>::to_vec);
    scorer
        .run_stream(&mut || chunks.next(), &mut |_, results| {
            streamed.extend(results);
            true
        })
        .unwrap();
    assert_eq!(streamed.len(), 120);

    let mut worst = 0.0_f64;
    for (i, expected) in proba.iter().enumerate() {
        for results in [&batch, &streamed] {
            let got = probabilities(&results[i]);
            assert_eq!(got.len(), 10);
            for (g, e) in got.iter().zip(expected) {
                worst = worst.max((f64::from(*g) - e).abs());
            }
        }
    }
    println!("largest difference from predict_proba: {worst:e}");
    assert!(worst <= 1e-5, "largest difference from predict_proba is {worst}");

    // The four strategies come out of these probabilities.
    let scores = sift_api::score_output(batch[0].as_ref().unwrap()).unwrap();
    assert!((0.0..=1.0).contains(&scores.entropy));
}

#[test]
fn wrong_input_shape_flags_the_item_and_the_rest_score() {
    let mut scorer = open("digits.onnx", DIGITS).unwrap();
    let (items, _) = digits_items();
    let short = item(99, json!({"features": vec![0; 63]}), None);
    let text = item(98, json!({"features": "zero"}), None);
    let batch = vec![items[0].clone(), short, text, items[1].clone()];
    let results = scorer.run_batch(&batch).unwrap();
    assert!(results[0].is_ok() && results[3].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err(),
        "field `features` has 63 numbers; model input `float_input` takes 64"
    );
    assert!(
        results[2]
            .as_ref()
            .unwrap_err()
            .contains("not an array of numbers")
    );
}

#[test]
fn a_config_that_disagrees_with_the_model_is_refused_with_every_reason() {
    // The digits model fed by the image adapter, with an output it does not have.
    let err = open(
        "digits.onnx",
        "[input]\nadapter = \"image\"\n[output]\nname = \"logits\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("the config does not match the model:"), "{err}");
    assert!(
        err.contains("model input `float_input` float32 [?, 64]: the image adapter feeds rank-4 tensors"),
        "{err}"
    );
    assert!(
        err.contains("output.name = \"logits\", but the model has no such output (its outputs: `label` int64 [?], `probabilities` float32 [?, 10])"),
        "{err}"
    );

    // The image model with the wrong size, and an int64 output picked by default on digits.
    let err = open("tiny_image.onnx", "[input]\nadapter = \"image\"\nwidth = 64\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("input.width = 64, but model input `pixels` float32 [?, 3, 24, 32] has width 32"),
        "{err}"
    );
    let err = open(
        "digits.onnx",
        "[input]\nadapter = \"features\"\nfield = \"features\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "model output `label` int64 [?]: scores are read from float32 or float64 tensors (set output.name"
        ),
        "{err}"
    );

    // check_model (what `sift model add` runs) reports the same.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("model.toml");
    std::fs::write(
        &cfg,
        "[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\n",
    )
    .unwrap();
    let err = sift_onnx::check_model(&fixture("digits.onnx"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the model has no input `input_ids` for token ids"),
        "{err}"
    );
    let err = sift_onnx::check_model(&fixture("tiny_text.onnx"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tokenizer.json: not a usable Hugging Face tokenizer.json"),
        "{err}"
    );
    std::fs::write(
        &cfg,
        "[input]\nadapter = \"features\"\nfield = \"f\"\n[output]\nname = \"probabilities\"\n",
    )
    .unwrap();
    let checked = sift_onnx::check_model(&fixture("digits.onnx"), &cfg).unwrap();
    assert_eq!(checked.name, "digits");
    assert_eq!(checked.adapter, "features");
    let err = sift_onnx::check_model(&dir.path().join("missing.onnx"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.onnx") && err.contains("no such file"),
        "{err}"
    );
    std::fs::write(dir.path().join("junk.onnx"), b"not a model").unwrap();
    let err = sift_onnx::check_model(&dir.path().join("junk.onnx"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot load model"), "{err}");
}

fn photo_reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("photo_reference.json")).unwrap()).unwrap()
}

fn image_config(extra: &str) -> String {
    format!(
        "[input]\nadapter = \"image\"\nmean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\n{extra}\n"
    )
}

/// Compares preprocessing with the Pillow + numpy reference, in 0..255 pixel units.
fn compare(got: &[f32], expected: &[f64], std: &[f64]) -> (f64, f64) {
    assert_eq!(got.len(), expected.len());
    let plane = got.len() / 3;
    let (mut worst, mut sum) = (0.0_f64, 0.0_f64);
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let d = (f64::from(*g) - e).abs() * std[i / plane] * 255.0;
        worst = worst.max(d);
        sum += d;
    }
    (worst, sum / got.len() as f64)
}

#[test]
fn image_preprocessing_matches_pillow_and_numpy() {
    let r = photo_reference();
    let std: Vec<f64> = r["std"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let photo = fixture("photo-exif.jpg");
    let items = [item(1, json!({"source-ref": "photo-exif.jpg"}), Some(&photo))];
    for (mode, extra) in [
        ("stretch", String::new()),
        (
            "crop",
            format!("resize = \"crop\"\nshorter_side = {}", r["crop_shorter_side"]),
        ),
    ] {
        let scorer = open("tiny_image.onnx", &image_config(&extra)).unwrap();
        let prepared = scorer.prepare(&items);
        assert_eq!(prepared.item_errors(), vec![None]);
        let (shape, got) = prepared.first_feed_f32().unwrap();
        assert_eq!(shape, &[1, 3, 24, 32]);
        let expected: Vec<f64> = r[mode]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (worst, mean) = compare(got, &expected, &std);
        println!("{mode}: largest difference {worst:.3} levels, mean {mean:.4}");
        // JPEG decoders may differ by a level or two in places; a wrong orientation, resize or
        // normalisation differs by tens of levels.
        assert!(
            worst <= 3.0 && mean <= 0.5,
            "{mode}: largest {worst}, mean {mean}"
        );
    }

    // BGR and NHWC are permutations of the same values.
    let rgb = open("tiny_image.onnx", &image_config(""))
        .unwrap()
        .prepare(&items);
    let bgr_nhwc = open(
        "tiny_image.onnx",
        &image_config("channels = \"bgr\"\nlayout = \"nhwc\""),
    );
    // The model is NCHW: an NHWC config disagrees with it.
    assert!(
        bgr_nhwc
            .unwrap_err()
            .to_string()
            .contains("dimension 3 is 32, not 1 or 3 channels")
    );
    let bgr = open("tiny_image.onnx", &image_config("channels = \"bgr\""))
        .unwrap()
        .prepare(&items);
    let (_, a) = rgb.first_feed_f32().unwrap();
    let (_, b) = bgr.first_feed_f32().unwrap();
    let plane = 24 * 32;
    // Channel 0 of BGR is the blue plane normalised with the first mean/std.
    let blue_raw = (f64::from(a[2 * plane]) * 0.225 + 0.406 - 0.485) / 0.229;
    assert!((f64::from(b[0]) - blue_raw).abs() < 1e-4);
}

#[test]
fn unreadable_or_corrupt_images_are_flagged_and_scoring_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let photo = fixture("photo-exif.jpg");
    let bytes = std::fs::read(&photo).unwrap();
    let truncated = dir.path().join("truncated.jpg");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let garbage = dir.path().join("garbage.jpg");
    std::fs::write(&garbage, b"this is not an image at all").unwrap();
    let missing = dir.path().join("missing.jpg");
    let items = vec![
        item(1, json!({}), Some(&photo)),
        item(2, json!({}), Some(&truncated)),
        item(3, json!({}), Some(&garbage)),
        item(4, json!({}), Some(&missing)),
        item(5, json!({}), None),
        item(6, json!({}), Some(&photo)),
    ];
    let mut scorer = open("tiny_image.onnx", &image_config("")).unwrap();
    let mut results = Vec::new();
    let mut once = Some(items);
    scorer
        .run_stream(&mut || once.take(), &mut |_, r| {
            results.extend(r);
            true
        })
        .unwrap();
    assert_eq!(results.len(), 6);
    assert!(matches!(results[0].as_ref().unwrap().output, ModelOutput::Logits(ref l) if l.len() == 4));
    assert_eq!(results[0], results[5]);
    let err = |i: usize| results[i].as_ref().unwrap_err().clone();
    assert!(
        err(1).contains("truncated.jpg is corrupt or truncated"),
        "{}",
        err(1)
    );
    assert!(
        err(2).contains("garbage.jpg is not a readable image"),
        "{}",
        err(2)
    );
    assert!(
        err(3).contains("cannot open image") && err(3).contains("missing.jpg"),
        "{}",
        err(3)
    );
    assert_eq!(err(4), "the item has no media (`source-ref`) to score");
    let remote = scorer
        .run_batch(&[item(7, json!({}), Some(Path::new("s3://bucket/a.jpg")))])
        .unwrap();
    assert!(remote[0].as_ref().unwrap_err().contains("is remote"));
}

#[test]
fn text_classification_and_mean_token_entropy() {
    let text = |extra: &str| {
        format!("[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\nmax_length = 8\n{extra}")
    };
    let items = vec![
        item(1, json!({"source": "good good movie"}), None),
        item(2, json!({"source": "ok ok ok"}), None),
        item(3, json!({"other": "no text"}), None),
        item(
            4,
            json!({"source": "bad movie was very very very very very bad"}),
            None,
        ),
    ];
    let mut pooled = open("tiny_text.onnx", &text("[output]\nname = \"pooled\"")).unwrap();
    let r = pooled.run_batch(&items).unwrap();
    let score = |r: &ItemResult| sift_api::score_output(r.as_ref().unwrap()).unwrap();
    assert!(score(&r[0]).margin < score(&r[1]).margin);
    assert_eq!(
        r[2].as_ref().unwrap_err(),
        "the manifest has no text field `source`"
    );
    // Truncated to 8 tokens ([CLS] + 6 words + [SEP]): the last "bad" is cut, one remains.
    match &r[3].as_ref().unwrap().output {
        ModelOutput::Logits(l) => assert_eq!(l, &vec![0.0, 0.0, 4.0]),
        other => panic!("{other:?}"),
    }

    let mut tokens = open(
        "tiny_text.onnx",
        &text("[output]\nname = \"token_logits\"\nreduce = \"mean-token-entropy\""),
    )
    .unwrap();
    let r = tokens.run_batch(&items).unwrap();
    let good = score(&r[0]);
    let ok = score(&r[1]);
    // "[CLS] ok ok ok [SEP]": every token is uniform, entropy 1; "good good movie" is surer.
    assert!((ok.entropy - 1.0).abs() < 1e-5, "{ok:?}");
    assert!(good.entropy < ok.entropy);

    // A sequence output without `reduce` is refused with the hint.
    let err = open("tiny_text.onnx", &text("[output]\nname = \"token_logits\""))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("set output.reduce = \"mean-token-entropy\""),
        "{err}"
    );
}

#[test]
fn ranking_softmaxes_rewards_over_an_items_responses() {
    let config = "[input]\nadapter = \"ranking\"\ntokenizer = \"tokenizer.json\"\n[output]\nname = \"pooled\"\ncolumn = 0\n";
    let mut scorer = open("tiny_text.onnx", config).unwrap();
    let items = vec![
        item(
            1,
            json!({"prompt": "the movie", "responses": ["good", "bad", {"text": "fine"}]}),
            None,
        ),
        item(2, json!({"prompt": "the movie", "responses": ["ok", "ok"]}), None),
        item(3, json!({"prompt": "the movie", "responses": ["only one"]}), None),
    ];
    let r = scorer.run_batch(&items).unwrap();
    match &r[0].as_ref().unwrap().output {
        // Reward = column 0 of the pooled logits over [CLS] the movie [SEP] response [SEP].
        ModelOutput::Logits(l) => assert_eq!(l, &vec![4.0, 0.0, 1.0]),
        other => panic!("{other:?}"),
    }
    // Two equal responses: as uncertain as it gets.
    let tie = sift_api::score_output(r[1].as_ref().unwrap()).unwrap();
    assert!((tie.margin - 1.0).abs() < 1e-6);
    assert!(r[2].as_ref().unwrap_err().contains("ranking needs two or more"));
}

#[test]
fn cuda_when_unavailable() {
    require_runtime();
    let config = ModelConfig::parse(DIGITS, "digits").unwrap();
    let rt = sift_onnx::runtime().unwrap();
    if rt.has_cuda() {
        println!("this ONNX Runtime has CUDA; the fallback is checked on CPU-only builds");
        return;
    }
    // auto falls back to the CPU and says so; an explicit cuda is an error that says what to do.
    let auto = OnnxScorer::open(
        &fixture("digits.onnx"),
        &config,
        &fixture(""),
        &ScorerOptions {
            device: Device::Auto,
            ..cpu()
        },
    )
    .unwrap();
    assert_eq!(auto.describe().device, "cpu");
    assert!(
        auto.notes()
            .iter()
            .any(|n| n.contains("no CUDA support; scoring on the CPU"))
    );
    let err = OnnxScorer::open(
        &fixture("digits.onnx"),
        &config,
        &fixture(""),
        &ScorerOptions {
            device: Device::Cuda(0),
            ..cpu()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("install onnxruntime-gpu") && err.contains("--device cpu"),
        "{err}"
    );
}
