//! A small exact PCA to two dimensions, for the data map: the covariance of (a sample of) the
//! vectors, its two leading eigenvectors by power iteration with deflation, and every vector
//! projected onto them. No linear-algebra crate: for the map's sizes (up to a few hundred
//! dimensions, 100,000 points) this takes well under a second in a release build.

/// The 2-D projection of a set of vectors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    /// One point per vector, in input order.
    pub xy: Vec<[f32; 2]>,
    /// Share of the total variance along each axis (0 to 1).
    pub explained: [f64; 2],
    /// The principal axes (unit length, `dim` values each).
    pub axes: [Vec<f64>; 2],
    /// How many vectors the covariance was computed from (every one, or an even sample).
    pub sampled: usize,
}

/// Multiply-adds the covariance may cost: above this, it is computed from an even sample.
const COVARIANCE_BUDGET: f64 = 4.0e9;
const MAX_ITERATIONS: usize = 1000;

/// Projects `n = values.len() / dim` row vectors onto their two principal axes.
pub fn pca_2d(values: &[f32], dim: usize) -> Projection {
    pca_within(values, dim, COVARIANCE_BUDGET)
}

fn pca_within(values: &[f32], dim: usize, budget: f64) -> Projection {
    let n = values.len().checked_div(dim).unwrap_or(0);
    if n == 0 {
        return Projection::default();
    }
    let rows = || values.chunks_exact(dim);
    let mut mean = vec![0.0_f64; dim];
    for row in rows() {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x);
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    // An even sample keeps the covariance within budget (exact below it).
    let per_row = (dim * (dim + 1) / 2).max(1) as f64;
    let sample = ((budget / per_row) as usize).clamp(2_000, n.max(2_000)).min(n);
    let stride = n.div_ceil(sample);
    let mut cov = vec![0.0_f64; dim * dim];
    let mut centred = vec![0.0_f64; dim];
    let mut sampled = 0_usize;
    for row in rows().step_by(stride) {
        for ((c, &x), m) in centred.iter_mut().zip(row).zip(&mean) {
            *c = f64::from(x) - m;
        }
        for i in 0..dim {
            let ci = centred[i];
            if ci == 0.0 {
                continue;
            }
            let line = &mut cov[i * dim..i * dim + dim];
            for (slot, &cj) in line[i..].iter_mut().zip(&centred[i..]) {
                *slot += ci * cj;
            }
        }
        sampled += 1;
    }
    // Mirror the upper triangle.
    for i in 0..dim {
        for j in 0..i {
            cov[i * dim + j] = cov[j * dim + i];
        }
    }
    let trace: f64 = (0..dim).map(|i| cov[i * dim + i]).sum();
    let (first, l1) = leading_eigenvector(&cov, dim, 1);
    // Deflate: remove the first axis, then find the leading one of what is left.
    for i in 0..dim {
        for j in 0..dim {
            cov[i * dim + j] -= l1 * first[i] * first[j];
        }
    }
    let (second, l2) = leading_eigenvector(&cov, dim, 2);
    let xy = rows()
        .map(|row| {
            let (mut a, mut b) = (0.0_f64, 0.0_f64);
            for (((&x, m), u), v) in row.iter().zip(&mean).zip(&first).zip(&second) {
                let c = f64::from(x) - m;
                a += c * u;
                b += c * v;
            }
            [a as f32, b as f32]
        })
        .collect();
    let share = |l: f64| {
        if trace > 0.0 {
            (l / trace).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    Projection {
        xy,
        explained: [share(l1), share(l2)],
        axes: [first, second],
        sampled,
    }
}

/// The unit eigenvector of the largest eigenvalue of the symmetric `dim x dim` matrix `m`, and
/// that eigenvalue (0 and a zero vector for a zero matrix). The start vector is fixed, so the
/// same input gives the same axes; the sign makes the largest component positive.
fn leading_eigenvector(m: &[f64], dim: usize, seed: u64) -> (Vec<f64>, f64) {
    // A fixed pseudo-random start, almost surely not orthogonal to the answer.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(seed);
    let mut v: Vec<f64> = (0..dim)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1_u64 << 53) as f64 + 0.1
        })
        .collect();
    normalise(&mut v);
    let mut next = vec![0.0_f64; dim];
    let mut value = 0.0;
    for _ in 0..MAX_ITERATIONS {
        for (i, out) in next.iter_mut().enumerate() {
            *out = m[i * dim..i * dim + dim].iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        value = next.iter().zip(&v).map(|(a, b)| a * b).sum();
        if normalise(&mut next) == 0.0 {
            return (vec![0.0; dim], 0.0);
        }
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut v, &mut next);
        if change < 1e-12 * dim as f64 {
            break;
        }
    }
    let biggest = v
        .iter()
        .copied()
        .fold(0.0_f64, |acc, x| if x.abs() > acc.abs() { x } else { acc });
    if biggest < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    (v, value.max(0.0))
}

/// Scales `v` to unit length; returns its old length.
fn normalise(v: &mut [f64]) -> f64 {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points with standard deviations 3, 2 and 0.5 along three orthonormal axes that are
    /// rotated away from the coordinate axes.
    fn rotated_cloud(n: usize) -> (Vec<f32>, [[f64; 3]; 2]) {
        let s = 1.0 / 3.0_f64.sqrt();
        let t = 1.0 / 2.0_f64.sqrt();
        let u = 1.0 / 6.0_f64.sqrt();
        let a = [s, s, s];
        let b = [t, -t, 0.0];
        let c = [u, u, -2.0 * u];
        let mut state = 12345_u64;
        let mut gauss = || {
            // Box-Muller from a small xorshift.
            let mut uni = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 11) as f64 + 0.5) / (1_u64 << 53) as f64
            };
            let (u1, u2) = (uni(), uni());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let mut values = Vec::with_capacity(n * 3);
        for _ in 0..n {
            let (x, y, z) = (3.0 * gauss(), 2.0 * gauss(), 0.5 * gauss());
            for k in 0..3 {
                values.push((10.0 + x * a[k] + y * b[k] + z * c[k]) as f32);
            }
        }
        (values, [a, b])
    }

    #[test]
    fn finds_the_axes_of_a_rotated_cloud() {
        let (values, [a, b]) = rotated_cloud(20_000);
        let p = pca_2d(&values, 3);
        assert_eq!(p.xy.len(), 20_000);
        assert_eq!(p.sampled, 20_000);
        let dot = |u: &[f64], v: &[f64; 3]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>().abs();
        assert!(dot(&p.axes[0], &a) > 0.999, "{:?}", p.axes[0]);
        assert!(dot(&p.axes[1], &b) > 0.999, "{:?}", p.axes[1]);
        // Variances 9, 4 and 0.25 of 13.25.
        assert!((p.explained[0] - 9.0 / 13.25).abs() < 0.02, "{:?}", p.explained);
        assert!((p.explained[1] - 4.0 / 13.25).abs() < 0.02, "{:?}", p.explained);
        // Projections are centred and spread as the variances say.
        let var = |k: usize| p.xy.iter().map(|q| f64::from(q[k]).powi(2)).sum::<f64>() / 20_000.0;
        assert!((var(0) - 9.0).abs() < 0.4 && (var(1) - 4.0).abs() < 0.3);
    }

    #[test]
    fn the_same_input_gives_the_same_map() {
        let (values, _) = rotated_cloud(500);
        assert_eq!(pca_2d(&values, 3), pca_2d(&values, 3));
    }

    #[test]
    fn large_inputs_use_an_even_sample_for_the_axes_only() {
        let (values, [a, _]) = rotated_cloud(10_000);
        // A budget of 6 multiply-adds per row for 2,500 rows: every fourth row.
        let p = pca_within(&values, 3, 6.0 * 2_500.0);
        assert_eq!(p.xy.len(), 10_000, "every vector is projected");
        assert_eq!(p.sampled, 2_500);
        let along: f64 = p.axes[0].iter().zip(&a).map(|(x, y)| x * y).sum();
        assert!(along.abs() > 0.99, "{:?}", p.axes[0]);
    }

    #[test]
    fn degenerate_inputs_do_not_fail() {
        assert!(pca_2d(&[], 3).xy.is_empty());
        assert!(pca_2d(&[1.0, 2.0], 0).xy.is_empty());
        let same = pca_2d(&[1.0, 2.0, 1.0, 2.0, 1.0, 2.0], 2);
        assert_eq!(same.xy, vec![[0.0, 0.0]; 3]);
        assert_eq!(same.explained, [0.0, 0.0]);
    }
}
