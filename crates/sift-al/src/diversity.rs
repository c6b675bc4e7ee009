//! Batch diversity: choosing a batch that covers the embedding space instead of `k`
//! near-duplicates of the single most uncertain item.

use crate::error::{ShapeError, rows_of};
use crate::rng::SplitMix64;
use crate::select::top_k;

/// Marks a pool row that is selected or invalid in the distance table (real distances are >= 0).
const TAKEN: f32 = -1.0;

/// Greedy k-center selection (the "core-set" approach) over item embeddings.
///
/// `pool` holds the candidate items (`n x dim`, row-major), `labelled` the embeddings of items
/// already labelled (`L x dim`, may be empty). Every pool item keeps its squared Euclidean
/// distance to the nearest labelled or selected item; each step selects the item with the
/// largest such distance (the least covered one) and updates the distances with it. The result
/// is the selected pool indices in selection order, `min(k, valid rows)` of them.
///
/// * Deterministic: ties go to the lower index. With no (valid) labelled rows the first pick is
///   the pool item nearest the pool's mean, the most central item rather than an arbitrary one.
/// * Pool rows holding NaN or infinite values are never selected; such labelled rows are ignored.
/// * Pool items identical to a labelled or selected item have distance 0 and come last.
///
/// Cost: `O(N * (L + k) * d)` time for `N` pool rows, `L` labelled rows, `k` picks and `d`
/// dimensions (one distance per pool row per labelled or selected item, the update and the
/// arg-max fused in one pass), and `O(N)` extra memory. Distances are accumulated in `f32` over
/// eight interleaved partial sums, which is ample for ranking distances.
///
/// # Errors
///
/// [`ShapeError::ZeroColumns`] for `dim == 0` and [`ShapeError::Ragged`] if either buffer is
/// not a whole number of rows.
pub fn k_center_greedy(
    pool: &[f32],
    labelled: &[f32],
    dim: usize,
    k: usize,
) -> Result<Vec<usize>, ShapeError> {
    let n = rows_of(pool.len(), dim)?;
    rows_of(labelled.len(), dim)?;

    let mut min_dist: Vec<f32> = pool
        .chunks_exact(dim)
        .map(|row| if all_finite(row) { f32::INFINITY } else { TAKEN })
        .collect();
    let mut seeded = false;
    for center in labelled.chunks_exact(dim).filter(|row| all_finite(row)) {
        seeded = true;
        update_and_argmax(pool, dim, center, &mut min_dist);
    }

    let mut next = if seeded {
        argmax(&min_dist)
    } else {
        nearest_to_mean(pool, dim, &min_dist)
    };
    let mut selected = Vec::with_capacity(k.min(n));
    while selected.len() < k {
        let Some(index) = next else { break };
        selected.push(index);
        if let Some(slot) = min_dist.get_mut(index) {
            *slot = TAKEN;
        }
        if selected.len() == k {
            break;
        }
        let center = pool.get(index * dim..(index + 1) * dim).unwrap_or_default();
        next = update_and_argmax(pool, dim, center, &mut min_dist);
    }
    Ok(selected)
}

/// Options of [`cluster_uncertain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterOptions {
    /// Candidates per pick: the `beta * k` most uncertain items are clustered (`0` counts as 1).
    pub beta: usize,
    /// Maximum number of Lloyd iterations after k-means++ seeding (stops early once stable).
    pub iterations: usize,
    /// Seed of the k-means++ sampling; the same inputs and seed give the same batch.
    pub seed: u64,
}

impl Default for ClusterOptions {
    /// `beta = 10`, `iterations = 10`, `seed = 0`.
    fn default() -> Self {
        Self {
            beta: 10,
            iterations: 10,
            seed: 0,
        }
    }
}

/// "Cluster the uncertain": a diverse batch drawn from the most uncertain items.
///
/// Takes the `beta * k` items with the highest `scores` (e.g. [`crate::Scores::values`] for one
/// strategy; NaN scores and rows with non-finite embeddings are skipped), clusters their
/// embeddings (`n x dim`, row-major, indexed like `scores`) into `k` groups with k-means++
/// seeding (the first center is the most uncertain candidate, the rest are sampled with a
/// seeded generator) and at most `options.iterations` Lloyd steps, and returns, for each
/// cluster, the candidate nearest its centroid (distinct items). The result is ordered most
/// uncertain first. If there are at most `k` candidates, all of them are returned.
///
/// Cost: `O(n log(beta k))` for the candidates plus `O(iterations * beta * k^2 * d)` for the
/// clustering; `O(beta * k * d)` extra memory. Deterministic for a given `options.seed`.
///
/// # Errors
///
/// [`ShapeError::ZeroColumns`] for `dim == 0`, [`ShapeError::Ragged`] if `embeddings` is not a
/// whole number of rows, and [`ShapeError::LengthMismatch`] if it does not have one row per
/// score.
pub fn cluster_uncertain(
    scores: &[f32],
    embeddings: &[f32],
    dim: usize,
    k: usize,
    options: ClusterOptions,
) -> Result<Vec<usize>, ShapeError> {
    let n = rows_of(embeddings.len(), dim)?;
    if n != scores.len() {
        return Err(ShapeError::LengthMismatch {
            scores: scores.len(),
            embeddings: n,
        });
    }
    if k == 0 {
        return Ok(Vec::new());
    }
    let masked: Vec<f32> = scores
        .iter()
        .zip(embeddings.chunks_exact(dim))
        .map(|(&score, row)| if all_finite(row) { score } else { f32::NAN })
        .collect();
    // Most uncertain first: a candidate's position is its uncertainty rank.
    let candidates = top_k(&masked, options.beta.max(1).saturating_mul(k));
    if candidates.len() <= k {
        return Ok(candidates);
    }
    let points: Vec<f32> = candidates
        .iter()
        .flat_map(|&index| embeddings.get(index * dim..(index + 1) * dim).unwrap_or_default())
        .copied()
        .collect();
    let centers = lloyd(
        &points,
        dim,
        kmeans_plus_plus(&points, dim, k, options.seed),
        options.iterations,
    );

    // The nearest free candidate to each centroid.
    let mut taken = vec![false; candidates.len()];
    for center in centers.chunks_exact(dim) {
        let nearest = points
            .chunks_exact(dim)
            .enumerate()
            .filter(|(position, _)| !taken.get(*position).copied().unwrap_or(true))
            .map(|(position, point)| (squared_distance(point, center), position))
            .reduce(|best, item| if item.0 < best.0 { item } else { best });
        if let Some(slot) = nearest.and_then(|(_, position)| taken.get_mut(position)) {
            *slot = true;
        }
    }
    Ok(candidates
        .iter()
        .zip(&taken)
        .filter(|(_, taken)| **taken)
        .map(|(&index, _)| index)
        .collect())
}

/// k-means++ seeding over `points` (`m x dim`, `m > k`): the first center is point 0, each next
/// one is drawn with probability proportional to its squared distance to the nearest center.
fn kmeans_plus_plus(points: &[f32], dim: usize, k: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let mut centers: Vec<f32> = Vec::with_capacity(k * dim);
    let mut nearest: Vec<f64> = vec![f64::INFINITY; points.len() / dim];
    let mut chosen = 0;
    for _ in 0..k {
        let center = points.get(chosen * dim..(chosen + 1) * dim).unwrap_or_default();
        centers.extend_from_slice(center);
        for (d, point) in nearest.iter_mut().zip(points.chunks_exact(dim)) {
            *d = d.min(f64::from(squared_distance(point, center)));
        }
        let total: f64 = nearest.iter().sum();
        chosen = if total > 0.0 && total.is_finite() {
            let target = rng.next_unit() * total;
            let mut cumulative = 0.0;
            nearest
                .iter()
                .position(|&d| {
                    cumulative += d;
                    d > 0.0 && cumulative > target
                })
                .or_else(|| nearest.iter().rposition(|&d| d > 0.0))
                .unwrap_or(0)
        } else {
            // Every point coincides with a center (or distances overflowed): take the first
            // point that is not exactly a center, else any.
            nearest.iter().position(|&d| d > 0.0).unwrap_or(0)
        };
    }
    centers
}

/// Lloyd iterations from the given centers; empty clusters keep their center.
fn lloyd(points: &[f32], dim: usize, mut centers: Vec<f32>, iterations: usize) -> Vec<f32> {
    let k = centers.len() / dim;
    let mut assignment: Vec<usize> = vec![usize::MAX; points.len() / dim];
    let mut sums = vec![0.0_f64; k * dim];
    let mut counts = vec![0_usize; k];
    for _ in 0..iterations {
        let mut changed = false;
        for (slot, point) in assignment.iter_mut().zip(points.chunks_exact(dim)) {
            let best = centers
                .chunks_exact(dim)
                .map(|center| squared_distance(point, center))
                .enumerate()
                .reduce(|best, item| if item.1 < best.1 { item } else { best })
                .map_or(0, |(cluster, _)| cluster);
            changed |= *slot != best;
            *slot = best;
        }
        if !changed {
            break;
        }
        sums.fill(0.0);
        counts.fill(0);
        for (&cluster, point) in assignment.iter().zip(points.chunks_exact(dim)) {
            if let Some(count) = counts.get_mut(cluster) {
                *count += 1;
            }
            if let Some(sum) = sums.get_mut(cluster * dim..(cluster + 1) * dim) {
                for (s, &v) in sum.iter_mut().zip(point) {
                    *s += f64::from(v);
                }
            }
        }
        for ((center, sum), &count) in centers
            .chunks_exact_mut(dim)
            .zip(sums.chunks_exact(dim))
            .zip(&counts)
        {
            if count > 0 {
                // Cluster sizes are far below 2^53.
                #[allow(clippy::cast_precision_loss)]
                let inv = 1.0 / count as f64;
                for (c, &s) in center.iter_mut().zip(sum) {
                    // A mean of f32 values fits an f32.
                    #[allow(clippy::cast_possible_truncation)]
                    let mean = (s * inv) as f32;
                    *c = mean;
                }
            }
        }
    }
    centers
}

/// Lowers each free row's distance with `center` and returns the free row now farthest from
/// everything (ties: lower index), or `None` if no row is free.
fn update_and_argmax(pool: &[f32], dim: usize, center: &[f32], min_dist: &mut [f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (index, (slot, row)) in min_dist.iter_mut().zip(pool.chunks_exact(dim)).enumerate() {
        if *slot < 0.0 {
            continue;
        }
        let d = squared_distance(row, center);
        if d < *slot {
            *slot = d;
        }
        if best.is_none_or(|(_, far)| *slot > far) {
            best = Some((index, *slot));
        }
    }
    best.map(|(index, _)| index)
}

/// The free row with the largest distance (ties: lower index).
fn argmax(min_dist: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (index, &d) in min_dist.iter().enumerate() {
        if d >= 0.0 && best.is_none_or(|(_, far)| d > far) {
            best = Some((index, d));
        }
    }
    best.map(|(index, _)| index)
}

/// The free row nearest the mean of all free rows (ties: lower index).
fn nearest_to_mean(pool: &[f32], dim: usize, min_dist: &[f32]) -> Option<usize> {
    let mut sum = vec![0.0_f64; dim];
    let mut count = 0_usize;
    for (row, _) in pool.chunks_exact(dim).zip(min_dist).filter(|(_, d)| **d >= 0.0) {
        count += 1;
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    if count == 0 {
        return None;
    }
    // Row counts are far below 2^53 and a mean of f32 values fits an f32.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let mean: Vec<f32> = sum.iter().map(|s| (s / count as f64) as f32).collect();
    let mut best: Option<(usize, f32)> = None;
    for (index, (row, _)) in pool
        .chunks_exact(dim)
        .zip(min_dist)
        .enumerate()
        .filter(|(_, (_, d))| **d >= 0.0)
    {
        let d = squared_distance(row, &mean);
        if best.is_none_or(|(_, near)| d < near) {
            best = Some((index, d));
        }
    }
    best.map(|(index, _)| index)
}

fn all_finite(row: &[f32]) -> bool {
    row.iter().all(|v| v.is_finite())
}

/// Squared Euclidean distance, eight interleaved `f32` partial sums (vectorises, deterministic).
fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let a_chunks = a.chunks_exact(8);
    let b_chunks = b.chunks_exact(8);
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((s, &xv), &yv) in acc.iter_mut().zip(x).zip(y) {
            let d = xv - yv;
            *s += d * d;
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force k-center greedy, written independently.
    fn reference(pool: &[Vec<f32>], labelled: &[Vec<f32>], k: usize) -> Vec<usize> {
        let dist = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum::<f64>()
        };
        let mut centers: Vec<Vec<f32>> = labelled.to_vec();
        let mut picked = Vec::new();
        if centers.is_empty() {
            let dim = pool[0].len();
            let mean: Vec<f32> = (0..dim)
                .map(|j| (pool.iter().map(|r| f64::from(r[j])).sum::<f64>() / pool.len() as f64) as f32)
                .collect();
            let first = (0..pool.len())
                .min_by(|&a, &b| dist(&pool[a], &mean).partial_cmp(&dist(&pool[b], &mean)).unwrap())
                .unwrap();
            picked.push(first);
            centers.push(pool[first].clone());
        }
        while picked.len() < k.min(pool.len()) {
            let mut best = None;
            for i in (0..pool.len()).filter(|i| !picked.contains(i)) {
                let d = centers
                    .iter()
                    .map(|c| dist(&pool[i], c))
                    .fold(f64::INFINITY, f64::min);
                if best.is_none_or(|(_, far)| d > far) {
                    best = Some((i, d));
                }
            }
            let (i, _) = best.unwrap();
            picked.push(i);
            centers.push(pool[i].clone());
        }
        picked
    }

    #[test]
    fn k_center_on_a_line() {
        // Points on a line at 0, 1, 2, ..., 10; the labelled item sits at 0.
        let pool: Vec<f32> = (0..=10).map(|x| x as f32).collect();
        assert_eq!(k_center_greedy(&pool, &[0.0], 1, 3).unwrap(), vec![10, 5, 2]);
        // Unseeded: the most central point first, then the extremes.
        assert_eq!(k_center_greedy(&pool, &[], 1, 3).unwrap(), vec![5, 0, 10]);
        assert_eq!(k_center_greedy(&pool, &[], 1, 0).unwrap(), Vec::<usize>::new());
        assert_eq!(k_center_greedy(&pool, &[], 1, 50).unwrap().len(), 11);
    }

    #[test]
    fn k_center_skips_bad_rows_and_checks_shapes() {
        let pool = [0.0, 0.0, f32::NAN, 1.0, 5.0, 5.0, 1.0, 1.0];
        let labelled = [f32::INFINITY, 0.0, 0.0, 0.0];
        assert_eq!(k_center_greedy(&pool, &labelled, 2, 10).unwrap(), vec![2, 3, 0]);
        assert_eq!(k_center_greedy(&pool, &[], 0, 1), Err(ShapeError::ZeroColumns));
        assert_eq!(
            k_center_greedy(&pool, &[1.0], 2, 1),
            Err(ShapeError::Ragged { len: 1, columns: 2 })
        );
        assert_eq!(k_center_greedy(&[], &[], 3, 4).unwrap(), Vec::<usize>::new());
        assert_eq!(
            k_center_greedy(&[f32::NAN; 3], &[], 3, 4).unwrap(),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn k_center_matches_brute_force() {
        let mut rng = SplitMix64::new(7);
        let dim = 11;
        let pool: Vec<Vec<f32>> = (0..60)
            .map(|_| (0..dim).map(|_| (rng.next_unit() * 4.0 - 2.0) as f32).collect())
            .collect();
        let labelled: Vec<Vec<f32>> = (0..3)
            .map(|_| (0..dim).map(|_| (rng.next_unit() * 4.0 - 2.0) as f32).collect())
            .collect();
        let flat: Vec<f32> = pool.concat();
        for seed in [&labelled[..], &[]] {
            assert_eq!(
                k_center_greedy(&flat, &seed.concat(), dim, 12).unwrap(),
                reference(&pool, seed, 12)
            );
        }
    }

    #[test]
    fn cluster_uncertain_spreads_the_batch() {
        // Two tight groups of very uncertain items and one group of slightly less uncertain ones.
        let mut embeddings = Vec::new();
        let mut scores = Vec::new();
        for (group, (x, score)) in [(0.0_f32, 0.99_f32), (10.0, 0.98), (20.0, 0.97)]
            .into_iter()
            .enumerate()
        {
            for i in 0..4 {
                embeddings.extend_from_slice(&[x + i as f32 * 0.01, group as f32]);
                scores.push(score - i as f32 * 0.001);
            }
        }
        let options = ClusterOptions {
            beta: 4,
            iterations: 20,
            seed: 3,
        };
        let picks = cluster_uncertain(&scores, &embeddings, 2, 3, options).unwrap();
        assert_eq!(picks.len(), 3);
        let groups: Vec<usize> = picks.iter().map(|i| i / 4).collect();
        assert_eq!(groups, vec![0, 1, 2]);
        // Plain top-k would take three items of the first group.
        assert_eq!(top_k(&scores, 3), vec![0, 1, 2]);
        assert_eq!(
            cluster_uncertain(&scores, &embeddings, 2, 3, options).unwrap(),
            picks
        );
    }

    #[test]
    fn cluster_uncertain_edge_cases() {
        let options = ClusterOptions::default();
        assert_eq!(
            cluster_uncertain(&[0.5], &[1.0, 2.0, 3.0, 4.0], 2, 1, options),
            Err(ShapeError::LengthMismatch {
                scores: 1,
                embeddings: 2
            })
        );
        assert_eq!(
            cluster_uncertain(&[0.5, 0.7], &[1.0, 2.0], 1, 0, options).unwrap(),
            Vec::<usize>::new()
        );
        assert_eq!(
            cluster_uncertain(&[0.5, 0.7, f32::NAN], &[1.0, 2.0, 3.0], 1, 5, options).unwrap(),
            vec![1, 0]
        );
        assert_eq!(
            cluster_uncertain(&[0.5, 0.7, 0.9], &[1.0, 2.0, f32::NAN], 1, 2, options).unwrap(),
            vec![1, 0]
        );
        // All candidates identical: still k distinct picks.
        let picks = cluster_uncertain(&[0.1, 0.2, 0.3, 0.4], &[1.0; 4], 1, 2, options).unwrap();
        assert_eq!(picks.len(), 2);
    }
}
