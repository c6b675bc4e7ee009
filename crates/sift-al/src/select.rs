//! Top-k selection over a score vector.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Values scanned per step of the vectorised threshold test.
const CHUNK: usize = 16;

/// A heap entry: larger is better (higher value, then lower index).
type Entry = Reverse<(u32, Reverse<usize>)>;

/// Indices of the `k` largest finite values, largest first; equal values keep the lower index
/// first. NaN and infinite values (the placeholders of unscored rows) are never returned.
///
/// Returns fewer than `k` indices when fewer values are finite, and nothing for `k == 0`.
/// `-0.0` and `0.0` count as equal.
///
/// Cost: one pass with a bounded min-heap, `O(n log k)` time in the worst case (`O(n + k log k
/// log(n/k))` on typical data, since most values fail a single threshold comparison) and
/// `O(k)` extra memory; the result is fully deterministic.
#[must_use]
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k.min(values.len()));
    // While the heap is not full any finite value enters; `v > -inf` also rejects NaN and -inf.
    let mut threshold = f32::NEG_INFINITY;
    for (chunk_index, chunk) in values.chunks(CHUNK).enumerate() {
        // Branch-free test of the whole chunk first: most chunks hold nothing above the bar.
        if !chunk.iter().fold(false, |any, &v| any | (v > threshold)) {
            continue;
        }
        for (offset, &value) in chunk.iter().enumerate() {
            // Rows are visited in increasing index order, so a value equal to the threshold
            // loses the tie to the entry already kept.
            if value > threshold && value.is_finite() {
                let entry = Reverse((order_key(value), Reverse(chunk_index * CHUNK + offset)));
                if heap.len() < k {
                    heap.push(entry);
                } else if let Some(mut worst) = heap.peek_mut() {
                    *worst = entry;
                }
                if heap.len() == k {
                    threshold = heap
                        .peek()
                        .map_or(f32::NEG_INFINITY, |worst| from_order_key(worst.0.0));
                }
            }
        }
    }
    let mut kept = heap.into_vec();
    // Ascending `Reverse` entries = descending (value, -index): best first.
    kept.sort_unstable();
    kept.into_iter()
        .map(|Reverse((_, Reverse(index)))| index)
        .collect()
}

/// A `u32` whose unsigned order is the numeric order of finite `f32` values.
fn order_key(value: f32) -> u32 {
    // `+ 0.0` turns -0.0 into +0.0 so the two tie.
    let bits = (value + 0.0).to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

/// Inverse of [`order_key`].
fn from_order_key(key: u32) -> f32 {
    f32::from_bits(if key >> 31 == 1 { key & 0x7fff_ffff } else { !key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(values: &[f32], k: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_finite()).collect();
        order.sort_by(|&a, &b| values[b].partial_cmp(&values[a]).unwrap().then(a.cmp(&b)));
        order.truncate(k);
        order
    }

    #[test]
    fn ties_and_bad_values() {
        let values = [
            0.5,
            f32::NAN,
            0.9,
            0.5,
            f32::INFINITY,
            0.9,
            -0.0,
            0.0,
            f32::NEG_INFINITY,
            0.5,
        ];
        assert_eq!(top_k(&values, 0), Vec::<usize>::new());
        assert_eq!(top_k(&values, 1), vec![2]);
        assert_eq!(top_k(&values, 3), vec![2, 5, 0]);
        assert_eq!(top_k(&values, 5), vec![2, 5, 0, 3, 9]);
        assert_eq!(top_k(&values, 100), vec![2, 5, 0, 3, 9, 6, 7]);
        assert_eq!(top_k(&[], 3), Vec::<usize>::new());
        assert_eq!(top_k(&[f32::NAN; 40], 3), Vec::<usize>::new());
    }

    #[test]
    fn matches_a_full_sort() {
        let mut state = 0x2545_f491_u32;
        let values: Vec<f32> = (0..5000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                ((state % 200) as f32 - 100.0) / 7.0
            })
            .collect();
        for k in [1, 2, 15, 16, 17, 100, 4999, 5000, 6000] {
            assert_eq!(top_k(&values, k), reference(&values, k), "k = {k}");
        }
    }

    #[test]
    fn order_key_is_monotonic() {
        let values = [f32::MIN, -1.0, -1e-30, -0.0, 0.0, 1e-30, 0.5, 1.0, f32::MAX];
        for pair in values.windows(2) {
            assert!(order_key(pair[0]) <= order_key(pair[1]));
            assert_eq!(from_order_key(order_key(pair[1])), pair[1]);
        }
        assert_eq!(order_key(-0.0), order_key(0.0));
    }
}
