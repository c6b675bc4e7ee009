//! The per-block arithmetic behind [`crate::score_rows`].
//!
//! Rows are processed [`LANES`] at a time: a block of rows is transposed into a small
//! class-major scratch (`block[class][lane]`), so every step below is the same operation on
//! `LANES` independent rows. Written that way, with branch-free scalar helpers, the compiler
//! turns the loops into plain SIMD for whatever target the crate is built for (SSE2 on the
//! x86-64 baseline, NEON on AArch64) without intrinsics; sixteen lanes give the out-of-order
//! core several independent exponentials to overlap. On x86-64, [`score_blocks`] also picks, at
//! run time, the same code compiled for AVX2 + FMA when the CPU has them.
//!
//! Precision: the exponential and the logarithms are `f32` polynomials with relative error
//! below 2e-7; every row sum is accumulated in `f64` and the one cancellation, `s - 1`, is
//! taken there; the remaining steps are products, quotients and sums of non-negative terms in
//! `f32`. The max-shifted difference `z - max` is rounded once in `f32`, which moves a
//! probability `p` by at most `p * |z - max| * 2^-24 < 3e-8` (since `p <= e^-(max - z)`).

mod math;

use math::*;
pub(crate) use math::{clamp_probability, exp2_f32, log2_1p, log2_f32};

/// Rows handled together by one block.
pub(crate) const LANES: usize = 16;

/// One value per lane.
pub(crate) type Lanes = [f32; LANES];

/// From this many classes on, rows are scored one at a time: the transposed scratch takes
/// `12 * LANES` bytes per class, and a long row keeps the core busy on its own.
const LONG_ROW: usize = 2048;

/// Lower clamp of a `log2` probability ratio: `2^-126` is the smallest normal `f32`. A class
/// that far below the top one contributes about `1e-38` instead of its true, smaller share.
const LOG2_FLOOR: f32 = -126.0;

/// The four scores of up to [`LANES`] rows, plus which lanes could not be scored.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockScores {
    pub least_confidence: Lanes,
    pub margin: Lanes,
    pub ratio: Lanes,
    pub entropy: Lanes,
    /// Lanes whose row is invalid; their scores are meaningless.
    pub bad: [bool; LANES],
}

/// Constants that depend only on the number of classes (`n >= 2`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClassConstants {
    /// `n / (n - 1)`.
    lc_scale: f32,
    /// `1 / log2 n`.
    inv_log2_n: f32,
}

impl ClassConstants {
    pub(crate) fn new(n_classes: usize) -> Self {
        // Class counts are far below 2^53, so the conversion is exact in practice.
        #[allow(clippy::cast_precision_loss)]
        let n = n_classes as f64;
        Self {
            lc_scale: narrow(n / (n - 1.0)),
            inv_log2_n: narrow(1.0 / n.log2()),
        }
    }
}

/// Reusable scratch for one block of `n` classes.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The transposed input, `block[class][lane]`.
    pub block: Vec<Lanes>,
    /// Per class and lane: `e = 2^y` (logits) or the clamped probability.
    weights: Vec<Lanes>,
    /// Per class and lane: `e * y` (logits) or `p * log2 p` (probabilities).
    weighted_logs: Vec<Lanes>,
}

impl Workspace {
    pub(crate) fn new(n_classes: usize) -> Self {
        let zeros = vec![[0.0; LANES]; n_classes];
        Self {
            block: zeros.clone(),
            weights: zeros.clone(),
            weighted_logs: zeros,
        }
    }
}

/// What [`score_blocks`] produces: one column per strategy and the rows it flagged as invalid.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    pub least_confidence: Vec<f32>,
    pub margin: Vec<f32>,
    pub ratio: Vec<f32>,
    pub entropy: Vec<f32>,
    /// Indices of invalid rows, ascending; their column values are meaningless.
    pub flagged: Vec<usize>,
}

/// Scores every row of `matrix` (`n >= 2` classes, length a multiple of `n`) into `columns`.
///
/// On x86-64 CPUs with AVX2 and FMA (nearly every x86-64 CPU since 2013-2015) the same code
/// runs compiled for AVX2 with fused multiply-adds in the polynomials, which takes about half
/// the time of the SSE2 baseline that a default `x86_64` build targets. Results differ from
/// the portable path by at most an ulp or two (the fused roundings). Elsewhere it runs as
/// built.
pub(crate) fn score_blocks(matrix: &[f32], n: usize, logits: bool, tolerance: f32, columns: &mut Columns) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the one requirement of calling a function compiled with
            // `target_feature(enable = "avx2,fma")` is that the CPU supports AVX2 and FMA,
            // checked just above.
            #[allow(unsafe_code)]
            unsafe {
                score_blocks_avx2(matrix, n, logits, tolerance, columns);
            }
            return;
        }
    }
    score_blocks_portable::<false>(matrix, n, logits, tolerance, columns);
}

/// [`score_blocks_portable`] compiled for AVX2, with fused multiply-adds in the polynomials.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code)]
unsafe fn score_blocks_avx2(matrix: &[f32], n: usize, logits: bool, tolerance: f32, columns: &mut Columns) {
    score_blocks_portable::<true>(matrix, n, logits, tolerance, columns);
}

/// The block loop; everything it calls is `#[inline(always)]` so that it is compiled for the
/// target features of its caller. `FMA` selects fused multiply-adds in the polynomials, which
/// must only be set where the target has them (without, `mul_add` is a slow library call).
#[inline(always)]
pub(crate) fn score_blocks_portable<const FMA: bool>(
    matrix: &[f32],
    n: usize,
    logits: bool,
    tolerance: f32,
    columns: &mut Columns,
) {
    let n_items = matrix.len() / n;
    for column in [
        &mut columns.least_confidence,
        &mut columns.margin,
        &mut columns.ratio,
        &mut columns.entropy,
    ] {
        column.reserve_exact(n_items);
    }
    let consts = ClassConstants::new(n);
    if n >= LONG_ROW {
        for (index, row) in matrix.chunks_exact(n).enumerate() {
            let (scores, bad) = score_row::<FMA>(row, logits, tolerance, consts);
            columns.least_confidence.push(scores[0]);
            columns.margin.push(scores[1]);
            columns.ratio.push(scores[2]);
            columns.entropy.push(scores[3]);
            if bad {
                columns.flagged.push(index);
            }
        }
        return;
    }
    let mut ws = Workspace::new(n);
    let mut out = BlockScores::default();
    let mut first_row = 0;
    for rows in matrix.chunks(LANES * n) {
        transpose(rows, &mut ws.block);
        if logits {
            logits_block::<FMA>(&mut ws, consts, &mut out);
        } else {
            probabilities_block::<FMA>(&mut ws, consts, tolerance, &mut out);
        }
        let used = (rows.len() / n).min(LANES);
        if used == LANES {
            // Fixed-size copies compile to a few vector moves instead of `memcpy` calls.
            columns.least_confidence.extend_from_slice(&out.least_confidence);
            columns.margin.extend_from_slice(&out.margin);
            columns.ratio.extend_from_slice(&out.ratio);
            columns.entropy.extend_from_slice(&out.entropy);
        } else {
            columns
                .least_confidence
                .extend_from_slice(&out.least_confidence[..used]);
            columns.margin.extend_from_slice(&out.margin[..used]);
            columns.ratio.extend_from_slice(&out.ratio[..used]);
            columns.entropy.extend_from_slice(&out.entropy[..used]);
        }
        if out.bad.iter().any(|&bad| bad) {
            for (lane, _) in out.bad[..used].iter().enumerate().filter(|(_, bad)| **bad) {
                columns.flagged.push(first_row + lane);
            }
        }
        first_row += used;
    }
}

/// Copies the rows of `rows` (row-major, `n = block.len()` values each, at most [`LANES`]
/// rows) into `block[class][lane]`, zero-filling the lanes past the last row.
#[inline(always)]
pub(crate) fn transpose(rows: &[f32], block: &mut [Lanes]) {
    let n = block.len();
    if n == 0 {
        return;
    }
    let mut used = 0;
    for (lane, row) in rows.chunks_exact(n).take(LANES).enumerate() {
        for (slot, &value) in block.iter_mut().zip(row) {
            slot[lane] = value;
        }
        used = lane + 1;
    }
    if used < LANES {
        for slot in block.iter_mut() {
            slot[used..].fill(0.0);
        }
    }
}

/// Scores the transposed block of logit rows in `ws.block` (`n >= 2` classes).
///
/// With `y = (z - max) * log2(e)` and `e = 2^y` (so the top class has `e = 1` exactly) and
/// `s = sum(e)`: `p1 = 1/s`, `p2 = e2/s`, `1 - p1 = (s - 1)/s` and the entropy in bits is
/// `log2 s - sum(e * y) / s`.
#[inline(always)]
pub(crate) fn logits_block<const FMA: bool>(
    ws: &mut Workspace,
    consts: ClassConstants,
    out: &mut BlockScores,
) {
    // Pass 1: row maxima; `z * 0` is 0 for finite z and NaN otherwise.
    let mut max = [f32::NEG_INFINITY; LANES];
    let mut check = [0.0_f32; LANES];
    for column in &ws.block {
        for ((m, c), &z) in max.iter_mut().zip(check.iter_mut()).zip(column) {
            *c += z * 0.0;
            *m = max_f32(*m, z);
        }
    }

    // Pass 2, f32 only so that it runs at full SIMD width: the exponentials, e * y and the
    // runner-up per lane.
    let mut first = [0.0_f32; LANES];
    let mut second = [0.0_f32; LANES];
    for ((column, weights), weighted) in ws.block.iter().zip(&mut ws.weights).zip(&mut ws.weighted_logs) {
        let mut e = [0.0_f32; LANES];
        for l in 0..LANES {
            (e[l], weighted[l]) = logit_term::<FMA>(column[l], max[l]);
            weights[l] = e[l];
        }
        (first, second) = top_two(first, second, e);
    }

    // Pass 3: the row sums in f64, and the one cancellation, s - 1, taken there too.
    let (sum, weighted) = sums_f64(&ws.weights, &ws.weighted_logs);
    let rest = narrow_lanes(sum, -1.0);
    let s = narrow_lanes(sum, 0.0);
    let weighted = narrow_lanes(weighted, 0.0);

    for l in 0..LANES {
        let scores = finish_logits::<FMA>(rest[l], s[l], weighted[l], second[l], consts);
        out.least_confidence[l] = scores[0];
        out.margin[l] = scores[1];
        out.ratio[l] = scores[2];
        out.entropy[l] = scores[3];
        out.bad[l] = check[l] != 0.0;
    }
}

/// Scores the transposed block of probability rows in `ws.block` (`n >= 2` classes).
///
/// Values in `[-tolerance, 0)` count as 0; a row is invalid if a value is non-finite or below
/// `-tolerance`, or if its `f64` sum is off 1 by more than `tolerance`. Valid rows are
/// renormalised (divided by that sum) before scoring.
#[inline(always)]
pub(crate) fn probabilities_block<const FMA: bool>(
    ws: &mut Workspace,
    consts: ClassConstants,
    tolerance: f32,
    out: &mut BlockScores,
) {
    let mut check = [0.0_f32; LANES];
    let mut negative = [false; LANES];
    let mut first = [0.0_f32; LANES];
    let mut second = [0.0_f32; LANES];
    for ((column, weights), weighted) in ws.block.iter().zip(&mut ws.weights).zip(&mut ws.weighted_logs) {
        let mut p = [0.0_f32; LANES];
        for l in 0..LANES {
            let raw = column[l];
            check[l] += raw * 0.0;
            negative[l] |= raw < -tolerance;
            (p[l], weighted[l]) = probability_term::<FMA>(raw);
            weights[l] = p[l];
        }
        (first, second) = top_two(first, second, p);
    }
    let (sum, plogp) = sums_f64(&ws.weights, &ws.weighted_logs);

    let mut off = [false; LANES];
    for (o, &s) in off.iter_mut().zip(&sum) {
        *o = off_one(s, tolerance);
    }
    let rest = narrow_lanes(sum, -1.0);
    let s = narrow_lanes(sum, 0.0);
    let plogp = narrow_lanes(plogp, 0.0);
    for l in 0..LANES {
        let scores = finish_probabilities::<FMA>(rest[l], s[l], plogp[l], first[l], second[l], consts);
        out.least_confidence[l] = scores[0];
        out.margin[l] = scores[1];
        out.ratio[l] = scores[2];
        out.entropy[l] = scores[3];
        out.bad[l] = check[l] != 0.0 || negative[l] || off[l];
    }
}

/// One class of a logit row, given the row maximum: `e = 2^y` with `y = (z - max) log2(e)`
/// floored at [`LOG2_FLOOR`], and `e * y`.
#[inline(always)]
fn logit_term<const FMA: bool>(z: f32, max: f32) -> (f32, f32) {
    let y = max_f32((z - max) * std::f32::consts::LOG2_E, LOG2_FLOOR);
    let e = exp2_f32::<FMA>(y);
    (e, e * y)
}

/// One class of a probability row: the probability used (negatives and NaN count as 0) and
/// `p log2 p` (0 for p = 0: 0 times a finite value, no branch).
#[inline(always)]
fn probability_term<const FMA: bool>(raw: f32) -> (f32, f32) {
    let p = clamp_probability(raw);
    (p, p * log2_f32::<FMA>(p))
}

/// Whether a probability row's `f64` sum is off 1 by more than the tolerance (or NaN).
#[inline(always)]
fn off_one(sum: f64, tolerance: f32) -> bool {
    (sum - 1.0).abs() > f64::from(tolerance) || sum.is_nan()
}

/// The four scores of a logit row from `rest = s - 1` and `s = sum(e)` (both rounded from
/// `f64`), `weighted = sum(e * y)` and the runner-up exponential `e2`. The top class has
/// `e = 1` exactly, so `p1 = 1/s`, `p2 = e2/s`, `1 - p1 = rest/s` and the entropy in bits is
/// `log2 s - sum(e * y) / s`.
///
/// In f32 (at full SIMD width in the block loop): the one cancellation, `s - 1`, was taken in
/// `f64`, and every remaining step is a product, a quotient or a sum of non-negative terms, so
/// relative errors stay at a few ulp.
#[inline(always)]
fn finish_logits<const FMA: bool>(
    rest: f32,
    s: f32,
    weighted: f32,
    e2: f32,
    consts: ClassConstants,
) -> [f32; 4] {
    let inv = 1.0 / s;
    [
        unit(rest * inv * consts.lc_scale),
        unit((rest + e2) * inv),
        unit(e2),
        // sum(e * y) <= 0, so both terms are non-negative.
        unit((log2_1p::<FMA>(rest) - weighted * inv) * consts.inv_log2_n),
    ]
}

/// The four scores of a probability row, renormalised by its sum `s` (`rest = s - 1`, both
/// rounded from `f64`), from `plogp = sum(p log2 p)` and the two largest values `p1 >= p2`.
#[inline(always)]
fn finish_probabilities<const FMA: bool>(
    rest: f32,
    s: f32,
    plogp: f32,
    p1: f32,
    p2: f32,
    consts: ClassConstants,
) -> [f32; 4] {
    let inv = 1.0 / s;
    [
        // 1 - p1/s = (rest + (1 - p1)) / s: no f64 pass needed, 1 - p1 is exact near 1.
        unit((rest + (1.0 - p1)) * inv * consts.lc_scale),
        unit(1.0 - (p1 - p2) * inv),
        unit(p2 / p1),
        // With q = p / s: -sum(q log2 q) = log2 s - sum(p log2 p) / s.
        unit((log2_1p::<FMA>(rest) - plogp * inv) * consts.inv_log2_n),
    ]
}

/// Scores one row with the same arithmetic, in the same order, as the block kernels (so the
/// results are bit-identical); used for rows too long for the transposed scratch. Returns the
/// scores and whether the row is invalid.
#[inline(always)]
fn score_row<const FMA: bool>(
    row: &[f32],
    logits: bool,
    tolerance: f32,
    consts: ClassConstants,
) -> ([f32; 4], bool) {
    let mut check = 0.0_f32;
    let mut first = 0.0_f32;
    let mut second = 0.0_f32;
    let mut sum = 0.0_f64;
    let mut weighted = 0.0_f64;
    if logits {
        let mut max = f32::NEG_INFINITY;
        for &z in row {
            check += z * 0.0;
            max = max_f32(max, z);
        }
        for &z in row {
            let (e, ey) = logit_term::<FMA>(z, max);
            sum += f64::from(e);
            weighted += f64::from(ey);
            second = max_f32(second, min_f32(first, e));
            first = max_f32(first, e);
        }
        let scores = finish_logits::<FMA>(narrow(sum - 1.0), narrow(sum), narrow(weighted), second, consts);
        (scores, check != 0.0)
    } else {
        let mut negative = false;
        for &raw in row {
            check += raw * 0.0;
            negative |= raw < -tolerance;
            let (p, plogp) = probability_term::<FMA>(raw);
            sum += f64::from(p);
            weighted += f64::from(plogp);
            second = max_f32(second, min_f32(first, p));
            first = max_f32(first, p);
        }
        let scores = finish_probabilities::<FMA>(
            narrow(sum - 1.0),
            narrow(sum),
            narrow(weighted),
            first,
            second,
            consts,
        );
        (scores, check != 0.0 || negative || off_one(sum, tolerance))
    }
}

/// The running largest and second-largest value per lane after seeing `x`.
///
/// Takes and returns the accumulators by value: updated in place, the compiler turns the
/// selects into conditional (masked) stores that stall on the next iteration's loads.
#[inline(always)]
fn top_two(first: Lanes, second: Lanes, x: Lanes) -> (Lanes, Lanes) {
    let mut new_first = [0.0; LANES];
    let mut new_second = [0.0; LANES];
    for l in 0..LANES {
        new_second[l] = max_f32(second[l], min_f32(first[l], x[l]));
        new_first[l] = max_f32(first[l], x[l]);
    }
    (new_first, new_second)
}

/// Column sums of two `[class][lane]` tables, accumulated in `f64`.
#[inline(always)]
fn sums_f64(a: &[Lanes], b: &[Lanes]) -> ([f64; LANES], [f64; LANES]) {
    let mut sum_a = [0.0_f64; LANES];
    let mut sum_b = [0.0_f64; LANES];
    for (column_a, column_b) in a.iter().zip(b) {
        for ((sa, sb), (&va, &vb)) in sum_a
            .iter_mut()
            .zip(sum_b.iter_mut())
            .zip(column_a.iter().zip(column_b))
        {
            *sa += f64::from(va);
            *sb += f64::from(vb);
        }
    }
    (sum_a, sum_b)
}

#[cfg(test)]
mod tests;
