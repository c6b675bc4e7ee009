//! Optimal one-to-one matching between two annotators' lists (objects, events, Q&A pairs)
//! and the match counts that F1 is computed from.
//!
//! [`best_matching`] maximises first the number of matched pairs and then the sum of their
//! scores, exactly (Hungarian algorithm, `O(n^3)` in the longer list), so the F1 it yields
//! never depends on list order the way a greedy matching does.

use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined};

/// One matched pair: `left` indexes the first list, `right` the second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Matched {
    /// Index in the first list.
    pub left: usize,
    /// Index in the second list.
    pub right: usize,
    /// The pair's score (IoU, span F1, closeness: whatever the caller matched on).
    pub score: f64,
}

/// Sizes of two lists and how many of their elements were matched one to one. Counts add up,
/// so a batch's figure is the sum over its items (micro-average): `items.iter().sum()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MatchCounts {
    /// Matched pairs.
    pub matched: usize,
    /// Elements of the first list.
    pub left: usize,
    /// Elements of the second list.
    pub right: usize,
}

impl MatchCounts {
    /// Share of the first list that found a match (`matched / left`).
    pub fn precision(&self) -> Result<f64> {
        ratio(self.matched, self.left)
    }

    /// Share of the second list that found a match (`matched / right`).
    pub fn recall(&self) -> Result<f64> {
        ratio(self.matched, self.right)
    }

    /// `2 matched / (left + right)`: symmetric, 1 when every element found a partner, 0 when
    /// none did. Undefined when both lists are empty.
    pub fn f1(&self) -> Result<f64> {
        ratio(2 * self.matched, self.left + self.right)
    }
}

fn ratio(num: usize, den: usize) -> Result<f64> {
    if den == 0 {
        Err(Undefined::Empty.into())
    } else {
        Ok(num as f64 / den as f64)
    }
}

impl Add for MatchCounts {
    type Output = MatchCounts;
    fn add(self, other: MatchCounts) -> MatchCounts {
        MatchCounts {
            matched: self.matched + other.matched,
            left: self.left + other.left,
            right: self.right + other.right,
        }
    }
}

impl AddAssign for MatchCounts {
    fn add_assign(&mut self, other: MatchCounts) {
        *self = *self + other;
    }
}

impl Sum for MatchCounts {
    fn sum<I: Iterator<Item = MatchCounts>>(iter: I) -> MatchCounts {
        iter.fold(MatchCounts::default(), Add::add)
    }
}

impl<'a> Sum<&'a MatchCounts> for MatchCounts {
    fn sum<I: Iterator<Item = &'a MatchCounts>>(iter: I) -> MatchCounts {
        iter.copied().sum()
    }
}

/// A maximum matching between `left` and `right` elements: `score(i, j)` is `None` when `i`
/// and `j` may not be matched, else a score in `[0, 1]`. Among all one-to-one matchings of
/// allowed pairs it returns one with the most pairs and, among those, the highest total
/// score. Pairs come back sorted by `left`. A score outside `[0, 1]` is an error.
pub fn best_matching(
    left: usize,
    right: usize,
    mut score: impl FnMut(usize, usize) -> Option<f64>,
) -> Result<Vec<Matched>> {
    let mut scores = vec![None; left * right];
    for i in 0..left {
        for j in 0..right {
            if let Some(s) = score(i, j) {
                if !(0.0..=1.0).contains(&s) {
                    return Err(QualityError::InvalidParameter {
                        what: "a matching score",
                        rule: "between 0 and 1",
                        value: s,
                    });
                }
                scores[i * right + j] = Some(s);
            }
        }
    }
    if scores.iter().all(Option::is_none) {
        return Ok(Vec::new());
    }
    // Hungarian minimises; an allowed pair costs -(big + score), a forbidden one 0. `big`
    // exceeds any total of scores, so one more pair always beats a better total.
    let transpose = left > right;
    let (rows, cols) = if transpose { (right, left) } else { (left, right) };
    let big = (rows + 1) as f64;
    let cost = |r: usize, c: usize| {
        let (i, j) = if transpose { (c, r) } else { (r, c) };
        scores[i * right + j].map_or(0.0, |s| -(big + s))
    };
    let assignment = hungarian(rows, cols, cost);
    let mut out: Vec<Matched> = assignment
        .into_iter()
        .enumerate()
        .filter_map(|(r, c)| {
            let (i, j) = if transpose { (c, r) } else { (r, c) };
            scores[i * right + j].map(|s| Matched {
                left: i,
                right: j,
                score: s,
            })
        })
        .collect();
    out.sort_by_key(|m| m.left);
    Ok(out)
}

/// Minimum-cost assignment of every row to a distinct column (`rows <= cols`): the
/// shortest-augmenting-path Hungarian algorithm with potentials, `O(rows^2 cols)`.
/// Returns `assignment[row] = column`.
fn hungarian(rows: usize, cols: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    // 1-based, index 0 is the sentinel (as in the textbook formulation).
    let mut u = vec![0.0; rows + 1];
    let mut v = vec![0.0; cols + 1];
    let mut owner = vec![0usize; cols + 1]; // owner[col] = row (1-based), 0 = free
    let mut way = vec![0usize; cols + 1];
    for row in 1..=rows {
        owner[0] = row;
        let mut col0 = 0;
        let mut min_to = vec![f64::INFINITY; cols + 1];
        let mut used = vec![false; cols + 1];
        loop {
            used[col0] = true;
            let row0 = owner[col0];
            let mut delta = f64::INFINITY;
            let mut col1 = 0;
            for col in 1..=cols {
                if !used[col] {
                    let reduced = cost(row0 - 1, col - 1) - u[row0] - v[col];
                    if reduced < min_to[col] {
                        min_to[col] = reduced;
                        way[col] = col0;
                    }
                    if min_to[col] < delta {
                        delta = min_to[col];
                        col1 = col;
                    }
                }
            }
            for col in 0..=cols {
                if used[col] {
                    u[owner[col]] += delta;
                    v[col] -= delta;
                } else {
                    min_to[col] -= delta;
                }
            }
            col0 = col1;
            if owner[col0] == 0 {
                break;
            }
        }
        loop {
            let col1 = way[col0];
            owner[col0] = owner[col1];
            col0 = col1;
            if col0 == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0; rows];
    for col in 1..=cols {
        if owner[col] != 0 {
            assignment[owner[col] - 1] = col - 1;
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all injective maps of the shorter side: (pairs, total score).
    fn brute(left: usize, right: usize, s: &dyn Fn(usize, usize) -> Option<f64>) -> (usize, f64) {
        fn go(
            i: usize,
            left: usize,
            right: usize,
            used: &mut Vec<bool>,
            s: &dyn Fn(usize, usize) -> Option<f64>,
        ) -> (usize, f64) {
            if i == left {
                return (0, 0.0);
            }
            let mut best = go(i + 1, left, right, used, s);
            for j in 0..right {
                if let (false, Some(score)) = (used[j], s(i, j)) {
                    used[j] = true;
                    let (n, t) = go(i + 1, left, right, used, s);
                    used[j] = false;
                    let candidate = (n + 1, t + score);
                    if candidate.0 > best.0 || (candidate.0 == best.0 && candidate.1 > best.1 + 1e-12) {
                        best = candidate;
                    }
                }
            }
            best
        }
        go(0, left, right, &mut vec![false; right], s)
    }

    #[test]
    fn greedy_would_lose_a_pair() {
        // Left 0 scores best with right 0, but left 1 can only take right 0: a greedy
        // matching by score takes (0, 0) first and leaves left 1 alone.
        let table = [[Some(0.9), Some(0.2)], [Some(0.5), None]];
        let m = best_matching(2, 2, |i, j| table[i][j]).unwrap();
        assert_eq!(
            m.iter().map(|p| (p.left, p.right)).collect::<Vec<_>>(),
            [(0, 1), (1, 0)]
        );
    }

    #[test]
    fn agrees_with_brute_force_on_pseudo_random_tables() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let left = (next() % 6) as usize;
            let right = (next() % 6) as usize;
            let cells: Vec<Option<f64>> = (0..left * right)
                .map(|_| {
                    let r = next();
                    (r % 3 != 0).then(|| ((r >> 8) % 5) as f64 / 4.0)
                })
                .collect();
            let s = |i: usize, j: usize| cells[i * right + j];
            let got = best_matching(left, right, s).unwrap();
            let (pairs, total) = brute(left, right, &s);
            assert_eq!(got.len(), pairs, "{left}x{right} {cells:?}");
            let got_total: f64 = got.iter().map(|m| m.score).sum();
            assert!(
                (got_total - total).abs() < 1e-9,
                "{got_total} vs {total}: {cells:?}"
            );
            let mut lefts: Vec<_> = got.iter().map(|m| m.left).collect();
            let mut rights: Vec<_> = got.iter().map(|m| m.right).collect();
            lefts.dedup();
            rights.sort_unstable();
            rights.dedup();
            assert_eq!((lefts.len(), rights.len()), (got.len(), got.len()));
        }
    }

    #[test]
    fn counts_add_and_f1() {
        let a = MatchCounts {
            matched: 1,
            left: 2,
            right: 1,
        };
        let b = MatchCounts {
            matched: 0,
            left: 0,
            right: 1,
        };
        let total: MatchCounts = [a, b].iter().sum();
        assert_eq!(total.f1().unwrap(), 0.5);
        assert_eq!(total.precision().unwrap(), 0.5);
        assert_eq!(
            MatchCounts::default().f1(),
            Err(QualityError::Undefined(Undefined::Empty))
        );
        assert!(best_matching(1, 1, |_, _| Some(1.5)).is_err());
    }
}
