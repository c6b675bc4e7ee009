//! Seeded randomness and validation splits: the crate's generator (SplitMix64), a stratified
//! split for classification and a plain random split (multi-label rows, preference pairs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sift_al::SplitMix64;

use crate::error::{LearnError, Result};

/// The crate's generator: [`SplitMix64`] (the same sequence on every platform and version,
/// which is what "same seed, same numbers" needs), with seeded streams, bounded draws and
/// shuffles.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A generator for `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed))
    }

    /// A generator for a seed and a stream name (independent streams from one seed).
    #[must_use]
    pub fn derived(seed: u64, stream: &str) -> Self {
        let mut h = 0xcbf2_9ce4_8422_2325_u64; // FNV-1a of the stream name
        for b in stream.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = Self::new(seed ^ h);
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..bound` (`bound > 0`), without modulo bias (Lemire's method).
    pub fn below(&mut self, bound: usize) -> usize {
        let bound = bound as u64;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(bound);
            let low = m as u64;
            if low >= bound.wrapping_neg() % bound {
                return (m >> 64) as usize;
            }
        }
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// `k` distinct elements of `items`, in random order (a partial Fisher-Yates on a copy).
    pub fn sample<T: Copy>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut pool = items.to_vec();
        let k = k.min(pool.len());
        for i in 0..k {
            let j = i + self.below(pool.len() - i);
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool
    }
}

/// Row indices of a train / held-out split, each ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Rows to train on.
    pub train: Vec<usize>,
    /// Rows held out (validation or test).
    pub held_out: Vec<usize>,
}

fn check_fraction(fraction: f64) -> Result<()> {
    if fraction.is_finite() && fraction > 0.0 && fraction < 1.0 {
        Ok(())
    } else {
        Err(LearnError::InvalidOption {
            name: "held-out fraction",
            reason: format!("must lie strictly between 0 and 1, got {fraction}"),
        })
    }
}

/// A stratified, seeded split: each class keeps (about) its share in both parts.
///
/// The held-out size is `round(fraction * n)`. Each class `c` with `n_c` rows first gets
/// `floor(fraction * n_c)` held-out rows; the rows still missing go one each to the classes
/// with the largest remainders `fraction * n_c - floor(..)` (ties: the lower class id). A class
/// never gives away its last training row, so a class with one row stays in training. Which
/// rows of a class are held out is a seeded shuffle.
///
/// # Errors
/// A fraction outside `(0, 1)`.
pub fn stratified_split(labels: &[u32], fraction: f64, seed: u64) -> Result<Split> {
    check_fraction(fraction)?;
    let mut by_class: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let target = (fraction * labels.len() as f64).round() as usize;
    let mut quota: Vec<(u32, usize, f64)> = by_class
        .iter()
        .map(|(&c, rows)| {
            let exact = fraction * rows.len() as f64;
            let q = (exact.floor() as usize).min(rows.len().saturating_sub(1));
            (c, q, exact - exact.floor())
        })
        .collect();
    let mut assigned: usize = quota.iter().map(|q| q.1).sum();
    let mut order: Vec<usize> = (0..quota.len()).collect();
    order.sort_by(|&a, &b| {
        quota[b]
            .2
            .total_cmp(&quota[a].2)
            .then(quota[a].0.cmp(&quota[b].0))
    });
    for &i in order.iter().cycle().take(order.len() * 2) {
        if assigned >= target {
            break;
        }
        let size = by_class[&quota[i].0].len();
        if quota[i].1 + 1 < size {
            quota[i].1 += 1;
            assigned += 1;
        }
    }
    let mut rng = Rng::derived(seed, "stratified-split");
    let mut split = Split {
        train: Vec::with_capacity(labels.len() - assigned),
        held_out: Vec::with_capacity(assigned),
    };
    for (c, q, _) in quota {
        let mut rows = by_class[&c].clone();
        rng.shuffle(&mut rows);
        split.held_out.extend_from_slice(&rows[..q]);
        split.train.extend_from_slice(&rows[q..]);
    }
    split.train.sort_unstable();
    split.held_out.sort_unstable();
    Ok(split)
}

/// A seeded random split of `n` rows, `round(fraction * n)` held out.
///
/// # Errors
/// A fraction outside `(0, 1)`.
pub fn random_split(n: usize, fraction: f64, seed: u64) -> Result<Split> {
    check_fraction(fraction)?;
    let mut rows: Vec<usize> = (0..n).collect();
    Rng::derived(seed, "random-split").shuffle(&mut rows);
    let k = (fraction * n as f64).round() as usize;
    let mut held_out = rows[..k].to_vec();
    let mut train = rows[k..].to_vec();
    held_out.sort_unstable();
    train.sort_unstable();
    Ok(Split { train, held_out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_keeps_shares_and_is_seeded() {
        let labels: Vec<u32> = (0..90)
            .map(|i| {
                if i < 60 {
                    0
                } else if i < 87 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let a = stratified_split(&labels, 1.0 / 3.0, 7).unwrap();
        assert_eq!(a.held_out.len(), 30);
        assert_eq!(a.train.len() + a.held_out.len(), 90);
        let count = |rows: &[usize], c: u32| rows.iter().filter(|&&r| labels[r] == c).count();
        assert_eq!(count(&a.held_out, 0), 20);
        assert_eq!(count(&a.held_out, 1), 9);
        assert_eq!(count(&a.held_out, 2), 1);
        assert_eq!(a, stratified_split(&labels, 1.0 / 3.0, 7).unwrap());
        assert_ne!(a, stratified_split(&labels, 1.0 / 3.0, 8).unwrap());
        // A class of one stays in training.
        let s = stratified_split(&[0, 0, 0, 0, 1], 0.5, 1).unwrap();
        assert!(s.train.contains(&4));
        assert!(stratified_split(&[0, 1], 1.0, 1).is_err());
    }

    #[test]
    fn rng_is_uniform_enough_and_stable() {
        let mut rng = Rng::new(42);
        let first = rng.next_u64();
        assert_eq!(first, Rng::new(42).next_u64());
        let mut counts = [0_usize; 6];
        for _ in 0..60_000 {
            counts[rng.below(6)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_400..10_600).contains(&c)), "{counts:?}");
        let picked = rng.sample(&[1, 2, 3, 4, 5], 3);
        assert_eq!(picked.len(), 3);
        assert!(picked.iter().all(|p| (1..=5).contains(p)));
        let random = random_split(10, 0.3, 3).unwrap();
        assert_eq!(random.held_out.len(), 3);
    }
}
