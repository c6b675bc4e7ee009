//! Dataset quotas: targets for the dataset as a whole (share of each Q&A question type, class
//! balance, caption length bands, events per minute of video) checked against current counts.
//!
//! Every report says where the target stands ([`QuotaStatus`]) and how far it is, in the
//! work a lead can schedule: "12 more `factual` pairs", "30 more pairs of other types".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{QualityError, Result, Undefined};

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuotaStatus {
    /// Within its bounds.
    Met,
    /// Below its minimum (or too unbalanced): more work of that kind is needed.
    NotYet,
    /// Above its maximum: more work of other kinds is needed (or less of this one).
    Exceeded,
}

/// Lower and upper bounds of a share (in `[0, 1]`) or of a rate; either may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// At least this much.
    #[serde(default)]
    pub min: Option<f64>,
    /// At most this much.
    #[serde(default)]
    pub max: Option<f64>,
}

impl Bounds {
    fn check(&self, what: &'static str, share: bool) -> Result<()> {
        for v in [self.min, self.max].into_iter().flatten() {
            let ok = if share {
                (0.0..=1.0).contains(&v)
            } else {
                v >= 0.0 && v.is_finite()
            };
            if !ok {
                return Err(QualityError::InvalidParameter {
                    what,
                    rule: if share {
                        "a share between 0 and 1"
                    } else {
                        "a finite number >= 0"
                    },
                    value: v,
                });
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            return Err(QualityError::InvalidParameter {
                what,
                rule: "a minimum no larger than its maximum",
                value: min,
            });
        }
        Ok(())
    }

    fn status(&self, value: f64) -> QuotaStatus {
        if self.min.is_some_and(|min| value < min) {
            QuotaStatus::NotYet
        } else if self.max.is_some_and(|max| value > max) {
            QuotaStatus::Exceeded
        } else {
            QuotaStatus::Met
        }
    }
}

/// Counts of things per category (question types of all pairs, classes of all items, caption
/// length bands) and the total they are shares of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Count per category; a category not listed counts 0.
    pub counts: BTreeMap<String, u64>,
    /// Everything counted, including things in no listed category.
    pub total: u64,
}

impl Tally {
    /// A tally of one category per thing.
    pub fn of<S: AsRef<str>>(categories: impl IntoIterator<Item = S>) -> Tally {
        let mut tally = Tally::default();
        for c in categories {
            tally.add(c.as_ref());
        }
        tally
    }

    /// Counts one more thing in `category`.
    pub fn add(&mut self, category: &str) {
        *self.counts.entry(category.to_owned()).or_insert(0) += 1;
        self.total += 1;
    }

    /// The count of `category` (0 when absent).
    pub fn count(&self, category: &str) -> u64 {
        self.counts.get(category).copied().unwrap_or(0)
    }
}

/// "The share of `category` is within `bounds`": `factual` at least 40 %, `whole-passage` at
/// most 20 %, each class at least 10 %, captions of 8 to 15 words at least half.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareTarget {
    /// The category.
    pub category: String,
    /// Its bounds, as shares in `[0, 1]`.
    #[serde(flatten)]
    pub bounds: Bounds,
}

/// A share target against the counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareReport {
    /// The category.
    pub category: String,
    /// Things in the category.
    pub count: u64,
    /// Things in all.
    pub total: u64,
    /// `count / total`; `None` while nothing is counted.
    pub share: Option<f64>,
    /// The target's bounds.
    pub bounds: Bounds,
    /// Where it stands. With nothing counted, a minimum above 0 is not yet met.
    pub status: QuotaStatus,
    /// Below the minimum: how many more things in this category reach it, the others
    /// unchanged (`None` when met, or when no number can: a minimum of 100 % with others
    /// present).
    pub more_in_category: Option<u64>,
    /// Above the maximum: how many more things in other categories bring it down (`None`
    /// when met, or when no number can: a maximum of 0 %).
    pub more_elsewhere: Option<u64>,
}

/// Smallest `x` in `0..` with `pred(x)`, for a predicate that becomes true and stays true,
/// starting from an estimate. `None` when `pred` fails past `limit`.
fn smallest(estimate: f64, limit: u64, pred: impl Fn(u64) -> bool) -> Option<u64> {
    let mut x = if estimate.is_finite() && estimate > 0.0 {
        (estimate.ceil() as u64).min(limit)
    } else {
        0
    };
    while !pred(x) {
        if x >= limit {
            return None;
        }
        x += 1;
    }
    while x > 0 && pred(x - 1) {
        x -= 1;
    }
    Some(x)
}

/// Evaluates one share target: `count` things in the category out of `total`.
pub fn evaluate_share(category: &str, count: u64, total: u64, bounds: Bounds) -> Result<ShareReport> {
    bounds.check("share target", true)?;
    if count > total {
        return Err(QualityError::InvalidInput {
            what: "share target",
            index: 0,
            problem: format!("{category}: {count} counted out of only {total}"),
        });
    }
    let share = (total > 0).then(|| count as f64 / total as f64);
    let status = match share {
        Some(s) => bounds.status(s),
        None if bounds.min.is_some_and(|m| m > 0.0) => QuotaStatus::NotYet,
        None => QuotaStatus::Met,
    };
    let (c, t) = (count as f64, total as f64);
    let more_in_category = match (status, bounds.min) {
        (QuotaStatus::NotYet, Some(min)) if min < 1.0 => {
            smallest((min * t - c) / (1.0 - min), u64::MAX / 2, |x| {
                (c + x as f64) / (t + x as f64) >= min
            })
        }
        (QuotaStatus::NotYet, Some(_)) if count == total => Some(1),
        _ => None,
    };
    let more_elsewhere = match (status, bounds.max) {
        (QuotaStatus::Exceeded, Some(max)) if max > 0.0 => {
            smallest(c / max - t, u64::MAX / 2, |y| c / (t + y as f64) <= max)
        }
        _ => None,
    };
    Ok(ShareReport {
        category: category.to_owned(),
        count,
        total,
        share,
        bounds,
        status,
        more_in_category,
        more_elsewhere,
    })
}

/// Evaluates share targets against a tally, in the order of the targets.
pub fn evaluate_shares(tally: &Tally, targets: &[ShareTarget]) -> Result<Vec<ShareReport>> {
    targets
        .iter()
        .map(|t| evaluate_share(&t.category, tally.count(&t.category), tally.total, t.bounds))
        .collect()
}

/// Class balance: the largest class may hold at most `max_ratio` times the smallest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceReport {
    /// The most frequent class and its count (the first by name on equal counts).
    pub largest: (String, u64),
    /// The least frequent class and its count (the first by name on equal counts).
    pub smallest: (String, u64),
    /// `largest / smallest`; `None` while the smallest class is empty.
    pub ratio: Option<f64>,
    /// The bound asked for.
    pub max_ratio: f64,
    /// [`QuotaStatus::Met`] or, when too unbalanced, [`QuotaStatus::NotYet`].
    pub status: QuotaStatus,
    /// How many more of the smallest class reach the ratio, the others unchanged.
    pub more_of_smallest: u64,
}

/// Evaluates class balance over the listed `classes` (a class absent from the tally counts
/// 0, which is unbalanced however large the ratio).
pub fn evaluate_balance<S: AsRef<str>>(
    tally: &Tally,
    classes: &[S],
    max_ratio: f64,
) -> Result<BalanceReport> {
    if !(max_ratio >= 1.0 && max_ratio.is_finite()) {
        return Err(QualityError::InvalidParameter {
            what: "max_ratio",
            rule: "a finite number >= 1",
            value: max_ratio,
        });
    }
    let mut sorted: Vec<(String, u64)> = classes
        .iter()
        .map(|c| (c.as_ref().to_owned(), tally.count(c.as_ref())))
        .collect();
    Undefined::at_least("classes", 2, sorted.len())?;
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let largest = sorted[0].clone();
    let smallest = sorted
        .iter()
        .filter(|c| c.1 == sorted[sorted.len() - 1].1)
        .min_by(|a, b| a.0.cmp(&b.0))
        .cloned()
        .unwrap_or_else(|| sorted[sorted.len() - 1].clone());
    let ratio = (smallest.1 > 0).then(|| largest.1 as f64 / smallest.1 as f64);
    let met = largest.1 as f64 <= max_ratio * smallest.1 as f64;
    let needed = (largest.1 as f64 / max_ratio).ceil() as u64;
    Ok(BalanceReport {
        more_of_smallest: needed.saturating_sub(smallest.1),
        largest,
        smallest,
        ratio,
        max_ratio,
        status: if met {
            QuotaStatus::Met
        } else {
            QuotaStatus::NotYet
        },
    })
}

/// A caption length band: `min..=max` words (no `max`: no upper end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LengthBand {
    /// The band's name, used as the category of [`band_tally`].
    pub label: String,
    /// Fewest words.
    pub min: usize,
    /// Most words, inclusive.
    #[serde(default)]
    pub max: Option<usize>,
}

impl LengthBand {
    fn contains(&self, length: usize) -> bool {
        length >= self.min && self.max.is_none_or(|max| length <= max)
    }
}

/// Tallies caption lengths into bands (a length in no band counts only in the total). Bands
/// must not overlap and each must have `min <= max`.
pub fn band_tally(lengths: impl IntoIterator<Item = usize>, bands: &[LengthBand]) -> Result<Tally> {
    for (index, band) in bands.iter().enumerate() {
        if band.max.is_some_and(|max| max < band.min) {
            return Err(QualityError::InvalidInput {
                what: "length band",
                index,
                problem: format!("{}: max {:?} below min {}", band.label, band.max, band.min),
            });
        }
        for (other_index, other) in bands.iter().enumerate().take(index) {
            let starts_inside = other.contains(band.min) || band.contains(other.min);
            if starts_inside {
                return Err(QualityError::InvalidInput {
                    what: "length band",
                    index,
                    problem: format!("{} overlaps band {other_index} ({})", band.label, other.label),
                });
            }
        }
    }
    let mut tally = Tally::default();
    for length in lengths {
        match bands.iter().find(|b| b.contains(length)) {
            Some(band) => tally.add(&band.label),
            None => tally.total += 1,
        }
    }
    Ok(tally)
}

/// A rate target against the counts: events per minute of video.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateReport {
    /// Things counted (events).
    pub count: u64,
    /// Exposure they are counted over (minutes of video).
    pub exposure: f64,
    /// `count / exposure`; `None` while the exposure is 0.
    pub rate: Option<f64>,
    /// The target's bounds.
    pub bounds: Bounds,
    /// Where it stands.
    pub status: QuotaStatus,
    /// Below the minimum: how many more things reach it over the same exposure.
    pub more_needed: Option<u64>,
    /// Above the maximum: how many things too many for the same exposure.
    pub over_by: Option<u64>,
}

/// Evaluates a rate target: `count` things over `exposure` (e.g. events over minutes of
/// video: pass seconds / 60).
pub fn evaluate_rate(count: u64, exposure: f64, bounds: Bounds) -> Result<RateReport> {
    bounds.check("rate target", false)?;
    if !(exposure >= 0.0 && exposure.is_finite()) {
        return Err(QualityError::InvalidParameter {
            what: "exposure",
            rule: "a finite number >= 0",
            value: exposure,
        });
    }
    let rate = (exposure > 0.0).then(|| count as f64 / exposure);
    let status = match rate {
        Some(r) => bounds.status(r),
        None if bounds.min.is_some_and(|m| m > 0.0) => QuotaStatus::NotYet,
        None => QuotaStatus::Met,
    };
    let c = count as f64;
    let more_needed = match (status, bounds.min, rate) {
        (QuotaStatus::NotYet, Some(min), Some(_)) => smallest(min * exposure - c, u64::MAX / 2, |x| {
            (c + x as f64) / exposure >= min
        }),
        _ => None,
    };
    let over_by = match (status, bounds.max) {
        (QuotaStatus::Exceeded, Some(max)) => {
            smallest(c - max * exposure, count, |y| (c - y as f64) / exposure <= max)
        }
        _ => None,
    };
    Ok(RateReport {
        count,
        exposure,
        rate,
        bounds,
        status,
        more_needed,
        over_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(min: Option<f64>, max: Option<f64>) -> Bounds {
        Bounds { min, max }
    }

    #[test]
    fn shares_report_status_and_the_work_left() {
        // 100 pairs: 30 factual (target >= 40 %), 25 whole-passage (target <= 20 %).
        let mut tally = Tally::of(std::iter::repeat_n("factual", 30));
        for _ in 0..25 {
            tally.add("whole-passage");
        }
        for _ in 0..45 {
            tally.add("inferential");
        }
        let targets = [
            ShareTarget {
                category: "factual".into(),
                bounds: bounds(Some(0.4), None),
            },
            ShareTarget {
                category: "whole-passage".into(),
                bounds: bounds(None, Some(0.2)),
            },
            ShareTarget {
                category: "inferential".into(),
                bounds: bounds(Some(0.2), Some(0.6)),
            },
        ];
        let r = evaluate_shares(&tally, &targets).unwrap();
        assert_eq!(r[0].status, QuotaStatus::NotYet);
        // (30 + x) / (100 + x) >= 0.4  <=>  x >= 16.67.
        assert_eq!(r[0].more_in_category, Some(17));
        assert_eq!(r[1].status, QuotaStatus::Exceeded);
        // 25 / (100 + y) <= 0.2  <=>  y >= 25.
        assert_eq!(r[1].more_elsewhere, Some(25));
        assert_eq!(r[2].status, QuotaStatus::Met);
        assert_eq!((r[2].more_in_category, r[2].more_elsewhere), (None, None));
        // Exactly on the bound is met.
        let edge = evaluate_share("x", 2, 5, bounds(Some(0.4), Some(0.4))).unwrap();
        assert_eq!(edge.status, QuotaStatus::Met);
    }

    #[test]
    fn share_edge_cases() {
        let empty = evaluate_share("factual", 0, 0, bounds(Some(0.4), None)).unwrap();
        assert_eq!(
            (empty.share, empty.status, empty.more_in_category),
            (None, QuotaStatus::NotYet, Some(1))
        );
        let only_max = evaluate_share("x", 0, 0, bounds(None, Some(0.2))).unwrap();
        assert_eq!(only_max.status, QuotaStatus::Met);
        let all = evaluate_share("x", 3, 4, bounds(Some(1.0), None)).unwrap();
        assert_eq!((all.status, all.more_in_category), (QuotaStatus::NotYet, None));
        let never = evaluate_share("x", 1, 4, bounds(None, Some(0.0))).unwrap();
        assert_eq!(
            (never.status, never.more_elsewhere),
            (QuotaStatus::Exceeded, None)
        );
        assert!(evaluate_share("x", 5, 4, Bounds::default()).is_err());
        assert!(evaluate_share("x", 1, 4, bounds(Some(0.5), Some(0.4))).is_err());
        assert!(evaluate_share("x", 1, 4, bounds(Some(1.5), None)).is_err());
    }

    #[test]
    fn balance_bands_and_rates() {
        let tally = Tally::of(["cat", "cat", "cat", "cat", "dog", "dog"]);
        let b = evaluate_balance(&tally, &["cat", "dog", "bird"], 2.0).unwrap();
        assert_eq!(
            (b.smallest.0.as_str(), b.ratio, b.status),
            ("bird", None, QuotaStatus::NotYet)
        );
        assert_eq!(b.more_of_smallest, 2);
        let b = evaluate_balance(&tally, &["cat", "dog"], 2.0).unwrap();
        assert_eq!((b.ratio, b.status), (Some(2.0), QuotaStatus::Met));
        assert!(evaluate_balance(&tally, &["cat"], 2.0).is_err());

        let bands = [
            LengthBand {
                label: "short".into(),
                min: 0,
                max: Some(7),
            },
            LengthBand {
                label: "medium".into(),
                min: 8,
                max: Some(15),
            },
        ];
        let t = band_tally([3, 8, 15, 16, 40], &bands).unwrap();
        assert_eq!((t.count("short"), t.count("medium"), t.total), (1, 2, 5));
        let overlapping = [
            bands[0].clone(),
            LengthBand {
                label: "x".into(),
                min: 7,
                max: None,
            },
        ];
        assert!(band_tally([1], &overlapping).is_err());

        // 9 events over 3 minutes, target 4 to 6 per minute: 3 more needed.
        let r = evaluate_rate(9, 3.0, bounds(Some(4.0), Some(6.0))).unwrap();
        assert_eq!(
            (r.rate, r.status, r.more_needed),
            (Some(3.0), QuotaStatus::NotYet, Some(3))
        );
        let r = evaluate_rate(20, 3.0, bounds(Some(4.0), Some(6.0))).unwrap();
        assert_eq!((r.status, r.over_by), (QuotaStatus::Exceeded, Some(2)));
        let r = evaluate_rate(0, 0.0, bounds(Some(1.0), None)).unwrap();
        assert_eq!((r.rate, r.status), (None, QuotaStatus::NotYet));
        assert!(evaluate_rate(1, f64::NAN, Bounds::default()).is_err());
    }
}
