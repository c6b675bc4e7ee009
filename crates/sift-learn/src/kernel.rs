//! The two dense products every head needs, over row-major `f64` matrices: logits
//! `z_i = W x_i` for each row, and the fused training pass (logits, then a per-row callback
//! turns them into gradient weights `g_i`, then `grad += g_i x_i^T`), which reads each row once
//! while it is in cache.
//!
//! Rows go four at a time so that each coefficient row is loaded once per four rows, with
//! independent accumulators the compiler turns into SIMD registers. On x86-64 CPUs with AVX2
//! and FMA the same code is compiled a second time for those features and picked at run time
//! (the only `unsafe` in the crate: the feature check and the call); elsewhere it runs as
//! portable code. With `k` classes and `d` features each product costs `n * k * d`
//! multiply-adds; no packing or copying of the rows (a general GEMM packs the whole
//! `n x d` matrix on every call, which costs as much as the arithmetic when `k` is ten).

/// Lanes per accumulator: one AVX2 register of `f64`.
const L: usize = 4;

#[inline(always)]
fn fmadd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Dot products of four rows with one coefficient row.
#[inline(always)]
fn dot4<const FMA: bool>(x: [&[f64]; 4], w: &[f64]) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA` is true only in `run_avx2`, which runs only on CPUs with AVX2 and FMA.
        #[allow(unsafe_code)]
        return unsafe { avx2::dot4(x, w) };
    }
    [
        dot1::<FMA>(x[0], w),
        dot1::<FMA>(x[1], w),
        dot1::<FMA>(x[2], w),
        dot1::<FMA>(x[3], w),
    ]
}

/// Dot products of four rows with two coefficient rows.
#[inline(always)]
fn dot4x2<const FMA: bool>(x: [&[f64]; 4], wa: &[f64], wb: &[f64]) -> ([f64; 4], [f64; 4]) {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot4`.
        #[allow(unsafe_code)]
        return unsafe { avx2::dot4x2(x, wa, wb) };
    }
    (dot4::<FMA>(x, wa), dot4::<FMA>(x, wb))
}

/// `ga += sum_r a[r] x[r]` and `gb += sum_r b[r] x[r]`.
#[inline(always)]
fn axpy4x2<const FMA: bool>(a: [f64; 4], b: [f64; 4], x: [&[f64]; 4], ga: &mut [f64], gb: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot4`.
        #[allow(unsafe_code)]
        return unsafe { avx2::axpy4x2(a, b, x, ga, gb) };
    }
    axpy4::<FMA>(a, x, ga);
    axpy4::<FMA>(b, x, gb);
}

/// Dot product of one row with one coefficient row.
#[inline(always)]
fn dot1<const FMA: bool>(x: &[f64], w: &[f64]) -> f64 {
    let mut acc = [0.0_f64; L];
    for (xc, wc) in x.chunks_exact(L).zip(w.chunks_exact(L)) {
        for l in 0..L {
            acc[l] = fmadd::<FMA>(xc[l], wc[l], acc[l]);
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    let done = w.len() / L * L;
    for (a, b) in x[done..w.len()].iter().zip(&w[done..]) {
        s = fmadd::<FMA>(*a, *b, s);
    }
    s
}

/// `grad += g[0] x[0] + g[1] x[1] + g[2] x[2] + g[3] x[3]`.
#[inline(always)]
fn axpy4<const FMA: bool>(g: [f64; 4], x: [&[f64]; 4], grad: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `dot4`.
        #[allow(unsafe_code)]
        return unsafe { avx2::axpy4(g, x, grad) };
    }
    for (j, out) in grad.iter_mut().enumerate() {
        let mut v = *out;
        v = fmadd::<FMA>(g[0], x[0][j], v);
        v = fmadd::<FMA>(g[1], x[1][j], v);
        v = fmadd::<FMA>(g[2], x[2][j], v);
        v = fmadd::<FMA>(g[3], x[3][j], v);
        *out = v;
    }
}

/// Explicit AVX2 + FMA versions of the two inner loops (the compiler's own vectorisation of
/// four interleaved dot products shuffles more than it multiplies).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256d, _mm_add_pd, _mm_cvtsd_f64, _mm_unpackhi_pd, _mm256_add_pd, _mm256_castpd256_pd128,
        _mm256_extractf128_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };

    /// Four consecutive values of `s` from `at` (bounds-checked).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn load(s: &[f64], at: usize) -> __m256d {
        let four = &s[at..at + 4];
        // SAFETY: `four` holds four initialised f64 values; `loadu` has no alignment needs.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_loadu_pd(four.as_ptr())
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256d) -> f64 {
        let pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        _mm_cvtsd_f64(_mm_add_pd(pair, _mm_unpackhi_pd(pair, pair)))
    }

    /// Four rows times one coefficient row: eight accumulators (two per row) hide the FMA
    /// latency; each coefficient vector is loaded once for the four rows.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot4(x: [&[f64]; 4], w: &[f64]) -> [f64; 4] {
        let d = w.len();
        let x = x.map(|row| &row[..d]);
        let mut acc = [_mm256_setzero_pd(); 8];
        let mut j = 0;
        while j + 8 <= d {
            let (w0, w1) = (load(w, j), load(w, j + 4));
            for r in 0..4 {
                acc[2 * r] = _mm256_fmadd_pd(load(x[r], j), w0, acc[2 * r]);
                acc[2 * r + 1] = _mm256_fmadd_pd(load(x[r], j + 4), w1, acc[2 * r + 1]);
            }
            j += 8;
        }
        let mut out = [0.0; 4];
        for r in 0..4 {
            let mut s = hsum(_mm256_add_pd(acc[2 * r], acc[2 * r + 1]));
            for t in j..d {
                s = x[r][t].mul_add(w[t], s);
            }
            out[r] = s;
        }
        out
    }

    /// Four rows times two coefficient rows: each row vector is loaded once for both.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot4x2(x: [&[f64]; 4], wa: &[f64], wb: &[f64]) -> ([f64; 4], [f64; 4]) {
        let d = wa.len();
        let (x, wb) = (x.map(|row| &row[..d]), &wb[..d]);
        let mut acc = [_mm256_setzero_pd(); 8];
        let mut j = 0;
        while j + 4 <= d {
            let (va, vb) = (load(wa, j), load(wb, j));
            for r in 0..4 {
                let xv = load(x[r], j);
                acc[r] = _mm256_fmadd_pd(xv, va, acc[r]);
                acc[4 + r] = _mm256_fmadd_pd(xv, vb, acc[4 + r]);
            }
            j += 4;
        }
        let (mut a, mut b) = ([0.0; 4], [0.0; 4]);
        for r in 0..4 {
            let (mut sa, mut sb) = (hsum(acc[r]), hsum(acc[4 + r]));
            for t in j..d {
                sa = x[r][t].mul_add(wa[t], sa);
                sb = x[r][t].mul_add(wb[t], sb);
            }
            a[r] = sa;
            b[r] = sb;
        }
        (a, b)
    }

    /// `ga += sum_r a[r] x[r]`, `gb += sum_r b[r] x[r]`: each row vector loaded once for both.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn axpy4x2(a: [f64; 4], b: [f64; 4], x: [&[f64]; 4], ga: &mut [f64], gb: &mut [f64]) {
        let d = ga.len();
        let (x, gb) = (x.map(|row| &row[..d]), &mut gb[..d]);
        let (av, bv) = (a.map(|v| _mm256_set1_pd(v)), b.map(|v| _mm256_set1_pd(v)));
        let mut j = 0;
        while j + 4 <= d {
            let (mut va, mut vb) = (load(ga, j), load(gb, j));
            for r in 0..4 {
                let xv = load(x[r], j);
                va = _mm256_fmadd_pd(av[r], xv, va);
                vb = _mm256_fmadd_pd(bv[r], xv, vb);
            }
            store(ga, j, va);
            store(gb, j, vb);
            j += 4;
        }
        for t in j..d {
            for r in 0..4 {
                ga[t] = a[r].mul_add(x[r][t], ga[t]);
                gb[t] = b[r].mul_add(x[r][t], gb[t]);
            }
        }
    }

    /// Stores four values into `s` from `at` (bounds-checked).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn store(s: &mut [f64], at: usize, v: __m256d) {
        let four = &mut s[at..at + 4];
        // SAFETY: `four` holds four f64 slots; `storeu` has no alignment needs.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_storeu_pd(four.as_mut_ptr(), v);
        }
    }

    /// `grad += sum_r g[r] x[r]`, four values at a time.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn axpy4(g: [f64; 4], x: [&[f64]; 4], grad: &mut [f64]) {
        let d = grad.len();
        let x = x.map(|row| &row[..d]);
        let gv = g.map(|v| _mm256_set1_pd(v));
        let mut j = 0;
        while j + 4 <= d {
            let mut v = load(grad, j);
            for r in 0..4 {
                v = _mm256_fmadd_pd(gv[r], load(x[r], j), v);
            }
            store(grad, j, v);
            j += 4;
        }
        for t in j..d {
            let mut v = grad[t];
            for r in 0..4 {
                v = g[r].mul_add(x[r][t], v);
            }
            grad[t] = v;
        }
    }
}

/// What the fused pass calls for each row: turns the row's logits into its gradient weights.
pub(crate) type RowCallback<'a> = dyn FnMut(usize, &mut [f64]) + 'a;

/// The work of one call, so that both compilations share one body.
struct Job<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
    w: &'a [f64],
    k: usize,
    /// `n x k` logits (logits only) or `None` (fused pass).
    out: Option<&'a mut [f64]>,
    /// Fused pass: the gradient to accumulate into and the per-row callback.
    grad: Option<(&'a mut [f64], &'a mut RowCallback<'a>)>,
}

#[inline(always)]
fn run<const FMA: bool>(job: Job<'_>) {
    let Job {
        x,
        n,
        d,
        w,
        k,
        mut out,
        mut grad,
    } = job;
    let mut z = vec![0.0; 4 * k];
    let mut i = 0;
    while i + 4 <= n {
        let rows = [
            &x[i * d..(i + 1) * d],
            &x[(i + 1) * d..(i + 2) * d],
            &x[(i + 2) * d..(i + 3) * d],
            &x[(i + 3) * d..(i + 4) * d],
        ];
        let mut c = 0;
        while c + 2 <= k {
            let (da, db) = dot4x2::<FMA>(rows, &w[c * d..(c + 1) * d], &w[(c + 1) * d..(c + 2) * d]);
            for r in 0..4 {
                z[r * k + c] = da[r];
                z[r * k + c + 1] = db[r];
            }
            c += 2;
        }
        if c < k {
            let dots = dot4::<FMA>(rows, &w[c * d..(c + 1) * d]);
            for r in 0..4 {
                z[r * k + c] = dots[r];
            }
        }
        if let Some(out) = out.as_deref_mut() {
            out[i * k..(i + 4) * k].copy_from_slice(&z);
        }
        if let Some((grad, row)) = grad.as_mut() {
            for r in 0..4 {
                row(i + r, &mut z[r * k..(r + 1) * k]);
            }
            let g = |c: usize| [z[c], z[k + c], z[2 * k + c], z[3 * k + c]];
            let mut c = 0;
            while c + 2 <= k {
                let (ga, gb) = grad[c * d..(c + 2) * d].split_at_mut(d);
                axpy4x2::<FMA>(g(c), g(c + 1), rows, ga, gb);
                c += 2;
            }
            if c < k {
                axpy4::<FMA>(g(c), rows, &mut grad[c * d..(c + 1) * d]);
            }
        }
        i += 4;
    }
    while i < n {
        let row_x = &x[i * d..(i + 1) * d];
        for c in 0..k {
            z[c] = dot1::<FMA>(row_x, &w[c * d..(c + 1) * d]);
        }
        if let Some(out) = out.as_deref_mut() {
            out[i * k..(i + 1) * k].copy_from_slice(&z[..k]);
        }
        if let Some((grad, row)) = grad.as_mut() {
            row(i, &mut z[..k]);
            for c in 0..k {
                let gc = z[c];
                for (o, &v) in grad[c * d..(c + 1) * d].iter_mut().zip(row_x) {
                    *o = fmadd::<FMA>(gc, v, *o);
                }
            }
        }
        i += 1;
    }
}

/// Picks the AVX2 + FMA compilation where the CPU has it.
fn dispatch(job: Job<'_>) {
    assert!(
        job.d > 0 && job.x.len() >= job.n * job.d && job.w.len() == job.k * job.d,
        "kernel shapes"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the one requirement of calling a function compiled with
            // `target_feature(enable = "avx2,fma")` is that the CPU supports AVX2 and FMA,
            // checked just above.
            #[allow(unsafe_code)]
            unsafe {
                run_avx2(job);
            }
            return;
        }
    }
    run::<false>(job);
}

/// [`run`] compiled for AVX2 and FMA. The CPU must support both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code)]
unsafe fn run_avx2(job: Job<'_>) {
    run::<true>(job);
}

/// `out[i, c] = x_i . w_c` for the `n` rows of `x` (`n x d`) and the `k` rows of `w` (`k x d`);
/// `out` is `n x k`.
pub(crate) fn logits(x: &[f64], n: usize, d: usize, w: &[f64], k: usize, out: &mut [f64]) {
    assert_eq!(out.len(), n * k, "kernel output size");
    dispatch(Job {
        x,
        n,
        d,
        w,
        k,
        out: Some(out),
        grad: None,
    });
}

/// For each row `i`: `z = W x_i` (`k` values), `row(i, z)` replaces `z` by the row's gradient
/// weights, then `grad_c += z_c x_i` for every class `c` (`grad` is `k x d`, accumulated into).
pub(crate) fn fused(
    x: &[f64],
    n: usize,
    d: usize,
    w: &[f64],
    k: usize,
    grad: &mut [f64],
    row: &mut RowCallback<'_>,
) {
    assert_eq!(grad.len(), k * d, "kernel gradient size");
    dispatch(Job {
        x,
        n,
        d,
        w,
        k,
        out: None,
        grad: Some((grad, row)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect()
    }

    /// Both compilations (the portable one and, where the CPU has it, AVX2 + FMA) against
    /// naive products, for shapes hitting every remainder of the 4-row, 2-class and 4/8-lane
    /// blocking.
    #[test]
    fn matches_naive_products_for_every_remainder() {
        for portable in [true, false] {
            check(portable);
        }
    }

    fn logits_with(portable: bool, x: &[f64], n: usize, d: usize, w: &[f64], k: usize, out: &mut [f64]) {
        let job = Job {
            x,
            n,
            d,
            w,
            k,
            out: Some(out),
            grad: None,
        };
        if portable {
            run::<false>(job)
        } else {
            dispatch(job)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fused_with(
        portable: bool,
        x: &[f64],
        n: usize,
        d: usize,
        w: &[f64],
        k: usize,
        grad: &mut [f64],
        row: &mut dyn FnMut(usize, &mut [f64]),
    ) {
        let job = Job {
            x,
            n,
            d,
            w,
            k,
            out: None,
            grad: Some((grad, row)),
        };
        if portable {
            run::<false>(job)
        } else {
            dispatch(job)
        }
    }

    fn check(portable: bool) {
        for (n, d, k) in [
            (1, 1, 1),
            (3, 5, 2),
            (4, 4, 3),
            (9, 7, 1),
            (13, 33, 10),
            (8, 12, 5),
        ] {
            let (x, w) = (data(n * d, 1), data(k * d, 2));
            let mut z = vec![0.0; n * k];
            logits_with(portable, &x, n, d, &w, k, &mut z);
            let naive = |i: usize, c: usize| (0..d).map(|j| x[i * d + j] * w[c * d + j]).sum::<f64>();
            for i in 0..n {
                for c in 0..k {
                    assert!((z[i * k + c] - naive(i, c)).abs() < 1e-12, "{n} {d} {k}");
                }
            }
            // Fused: g = 2 z + i, grad starts at 1.
            let mut grad = vec![1.0; k * d];
            let mut seen = Vec::new();
            fused_with(portable, &x, n, d, &w, k, &mut grad, &mut |i, zr| {
                seen.push(i);
                zr.iter_mut().for_each(|v| *v = 2.0 * *v + i as f64);
            });
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            for c in 0..k {
                for j in 0..d {
                    let want = 1.0
                        + (0..n)
                            .map(|i| (2.0 * naive(i, c) + i as f64) * x[i * d + j])
                            .sum::<f64>();
                    assert!((grad[c * d + j] - want).abs() < 1e-10, "{n} {d} {k}");
                }
            }
        }
    }
}
