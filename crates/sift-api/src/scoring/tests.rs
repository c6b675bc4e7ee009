//! Tests of scoring's pure parts: outputs into scores, model specs and names.

use super::models::validate_model_name;
use super::score::embedding_of;
use super::*;

#[test]
fn outputs_are_scored_or_reported() {
    let logits = ItemOutput::new(ModelOutput::Logits(vec![2.0, 2.0, -1.0]));
    let s = score_output(&logits).unwrap();
    assert!((s.margin - 1.0).abs() < 1e-6);
    assert!((s.ratio - 1.0).abs() < 1e-6);
    let nan = ItemOutput::new(ModelOutput::Logits(vec![f32::NAN, 0.0]));
    assert!(score_output(&nan).unwrap_err().contains("NaN"));
    let probs = ItemOutput::new(ModelOutput::Probabilities(vec![0.7, 0.2]));
    assert!(score_output(&probs).unwrap_err().contains("sum"));
    let inf = ItemOutput::new(ModelOutput::Reduced(RowScores {
        entropy: f32::INFINITY,
        ..RowScores::default()
    }));
    assert!(score_output(&inf).is_err());
    assert_eq!(embedding_of(logits).map(|v| v.len()), Some(3));
}

#[test]
fn model_specs() {
    assert_eq!(parse_model_spec("digits").unwrap(), ("digits", None));
    assert_eq!(parse_model_spec("digits@2").unwrap(), ("digits", Some(2)));
    assert_eq!(parse_model_spec("digits@v3").unwrap(), ("digits", Some(3)));
    assert!(parse_model_spec("digits@x").is_err());
    assert!(validate_model_name("../x").is_err());
    assert!(validate_model_name("resnet-18.v2").is_ok());
}
