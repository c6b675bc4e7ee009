//! Small descriptive statistics shared by the measures: median, spread, and the mean of a
//! measure over items where some are undefined (how a caller aggregates per batch).

use serde::Serialize;

use crate::error::{Result, Undefined, finite};

/// Median of finite values (mean of the two middle values for an even count, as numpy).
/// Undefined for an empty list.
pub fn median(values: &[f64]) -> Result<f64> {
    let mut sorted: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| finite("value", i, v))
        .collect::<Result<_>>()?;
    Undefined::at_least("values", 1, sorted.len())?;
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Ok(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// How spread out a few numbers are (the caption lengths of one image's annotators).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Number of values.
    pub n: usize,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (divides by `n`, numpy's default `ddof=0`): 0 for one
    /// value.
    pub sd: f64,
    /// Coefficient of variation `sd / mean`; `None` when the mean is 0.
    pub cv: Option<f64>,
}

impl Spread {
    /// `max - min`.
    pub fn range(&self) -> f64 {
        self.max - self.min
    }
}

/// The [`Spread`] of finite values; undefined for an empty list.
pub fn spread(values: &[f64]) -> Result<Spread> {
    for (i, &v) in values.iter().enumerate() {
        finite("value", i, v)?;
    }
    let n = values.len();
    Undefined::at_least("values", 1, n)?;
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    Ok(Spread {
        n,
        min,
        max,
        mean,
        sd,
        cv: (mean != 0.0).then(|| sd / mean.abs()),
    })
}

/// The mean of a measure over many items, some of which may be undefined: how a batch or a
/// project figure is made from per-item (or per-pair) values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Mean of the defined values; `None` when there is none.
    pub mean: Option<f64>,
    /// Number of defined values.
    pub defined: usize,
    /// Number of undefined values (left out of the mean).
    pub undefined: usize,
}

impl Summary {
    /// Summarises per-item results; undefined ones are counted and left out of the mean.
    pub fn of<E>(values: impl IntoIterator<Item = Result<f64, E>>) -> Summary {
        let (mut total, mut defined, mut undefined) = (0.0, 0, 0);
        for v in values {
            match v {
                Ok(x) => {
                    total += x;
                    defined += 1;
                }
                Err(_) => undefined += 1,
            }
        }
        Summary {
            mean: (defined > 0).then(|| total / defined as f64),
            defined,
            undefined,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
        assert!(median(&[]).is_err());
        assert!(median(&[f64::NAN]).is_err());
        let s = spread(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((s.mean, s.sd, s.range()), (5.0, 2.0, 7.0));
        assert_eq!(s.cv, Some(0.4));
        assert_eq!(spread(&[0.0]).unwrap().cv, None);
    }

    #[test]
    fn summary_skips_undefined() {
        let s = Summary::of([Ok(1.0), Err(()), Ok(0.0)]);
        assert_eq!((s.mean, s.defined, s.undefined), (Some(0.5), 2, 1));
        assert_eq!(Summary::of::<()>([]).mean, None);
    }
}
