//! Predictions made outside Sift, read on the import's reader thread: a Label Studio task's
//! `predictions` (each a `result` with its `model_version` and `score`) and the score of a
//! Ground Truth label marked `"human-annotated": "no"`. Every prediction is checked against the
//! template like an annotation, and its score must lie in 0..=1; a bad one names the field
//! (`predictions[0].score`, `predictions[1].result[0].value.choices`). Label Studio also
//! lets each region of a result carry its own `score`: where the prediction has no `score` of
//! its own, the lowest of its regions' scores stands for it (the prediction is as sure as its
//! least sure part).

use serde_json::Value;

use super::{ParseCtx, PredictionImport};

/// A score field: absent or `null` is no score; otherwise a number from 0 to 1.
pub(super) fn score_of(value: Option<&Value>, field: &str) -> Result<Option<f64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if (0.0..=1.0).contains(&s) => Ok(Some(s)),
            _ => Err(format!("{field}: {n} is outside 0..1 (a score is a probability)")),
        },
        Some(other) => Err(format!("{field}: expected a number from 0 to 1, found {other}")),
    }
}

/// The model version a Label Studio prediction names (a string or a number; `""` if none).
fn model_version(p: &Value, field: &str) -> Result<String, String> {
    match p.get("model_version") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.chars().take(200).collect()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(format!("{field}.model_version: expected a string")),
    }
}

/// A task's `predictions`, converted for the template. `data` is the task's data.
pub(super) fn label_studio_predictions(
    predictions: &[Value],
    data: &Value,
    ctx: &ParseCtx<'_>,
) -> Result<Vec<PredictionImport>, String> {
    let mut out = Vec::with_capacity(predictions.len());
    for (i, p) in predictions.iter().enumerate() {
        let field = format!("predictions[{i}]");
        if !p.is_object() {
            return Err(format!("{field}: expected a prediction object"));
        }
        let model_version = model_version(p, &field)?;
        let result = p.get("result").unwrap_or(&Value::Null);
        let score = score_of(p.get("score"), &format!("{field}.score"))?;
        let score = score.or(lowest_region_score(result, &field)?);
        let payload = sift_template::export::from_label_studio(
            ctx.template,
            data,
            result,
            &sift_template::MediaInfo::default(),
        )
        .map_err(|e| format!("{field}.{e} (to import the task without its predictions, use --data-only)"))?;
        out.push(PredictionImport {
            format: "label-studio",
            model_version,
            payload: payload.to_json().to_string(),
            score,
            created_at: p.get("created_at").and_then(Value::as_str).map(str::to_owned),
        });
    }
    Ok(out)
}

/// The lowest `score` among a Label Studio result's regions (`None` when none has one); each
/// must be a probability (`predictions[0].result[1].score`).
fn lowest_region_score(result: &Value, field: &str) -> Result<Option<f64>, String> {
    let Some(regions) = result.as_array() else {
        return Ok(None);
    };
    let mut lowest: Option<f64> = None;
    for (j, region) in regions.iter().enumerate() {
        if let Some(s) = score_of(region.get("score"), &format!("{field}.result[{j}].score"))? {
            lowest = Some(lowest.map_or(s, |l| l.min(s)));
        }
    }
    Ok(lowest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_least_sure_region_scores_a_prediction_without_a_score() {
        let result = json!([{"score": 0.9}, {"type": "choices"}, {"score": 0.7}]);
        assert_eq!(lowest_region_score(&result, "predictions[0]"), Ok(Some(0.7)));
        assert_eq!(lowest_region_score(&json!([{}]), "p"), Ok(None));
        assert_eq!(lowest_region_score(&json!(null), "p"), Ok(None));
        assert_eq!(
            lowest_region_score(&json!([{"score": 0.5}, {"score": 2}]), "predictions[3]"),
            Err("predictions[3].result[1].score: 2 is outside 0..1 (a score is a probability)".into())
        );
    }

    #[test]
    fn scores_are_probabilities() {
        assert_eq!(score_of(None, "s"), Ok(None));
        assert_eq!(score_of(Some(&json!(null)), "s"), Ok(None));
        assert_eq!(score_of(Some(&json!(0.25)), "s"), Ok(Some(0.25)));
        assert_eq!(score_of(Some(&json!(1)), "s"), Ok(Some(1.0)));
        assert_eq!(
            score_of(Some(&json!(1.5)), "predictions[0].score"),
            Err("predictions[0].score: 1.5 is outside 0..1 (a score is a probability)".into())
        );
        assert!(score_of(Some(&json!(-0.1)), "s").is_err());
        assert!(
            score_of(Some(&json!("0.9")), "s")
                .unwrap_err()
                .contains("expected a number")
        );
    }
}
