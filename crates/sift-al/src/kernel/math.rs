//! Branch-free scalar helpers of the kernel: clamps, rounding, min/max without NaN
//! bookkeeping, and the `f32` polynomial `exp2`/`log2` (relative error below 2e-7) that the
//! block loops in [`super`] call once per lane, so the compiler vectorises them.

use super::{LANES, Lanes};

/// The probability actually used for a raw value: negatives (and NaN) become 0.
#[inline(always)]
pub(crate) fn clamp_probability(raw: f32) -> f32 {
    if raw > 0.0 { raw } else { 0.0 }
}

/// Clamps a finished score into `[0, 1]` (rounding can step a hair outside).
#[inline(always)]
pub(super) fn unit(x: f32) -> f32 {
    min_f32(max_f32(x, 0.0), 1.0)
}

/// `x + offset` for each lane, computed in `f64` and rounded to `f32`.
#[inline(always)]
pub(super) fn narrow_lanes(x: [f64; LANES], offset: f64) -> Lanes {
    let mut out = [0.0; LANES];
    for (o, v) in out.iter_mut().zip(x) {
        *o = narrow(v + offset);
    }
    out
}

/// `f64` to `f32`, rounding to nearest.
#[inline(always)]
pub(super) fn narrow(x: f64) -> f32 {
    // Intended: the values are sums of at most n_classes terms of magnitude <= 1 (or of
    // `e * y` >= -126 * n), far inside the f32 range.
    #[allow(clippy::cast_possible_truncation)]
    let narrowed = x as f32;
    narrowed
}

/// `max` without NaN bookkeeping (one `maxps`; returns `b` if either is NaN).
#[inline(always)]
pub(super) fn max_f32(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `min` without NaN bookkeeping (one `minps`).
#[inline(always)]
pub(super) fn min_f32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// `2^y` for `y` in `[-126, 0]`, branch-free, relative error below 1e-7.
///
/// `y = k + f` with `k` the nearest integer and `|f| <= 1/2`; `2^f = 1 + f q(f)` with a
/// degree-5 minimax `q` (so `2^0 = 1` exactly), and `2^k` built in the exponent bits.
#[inline(always)]
pub(crate) fn exp2_f32<const FMA: bool>(y: f32) -> f32 {
    // 1.5 * 2^23: adding it rounds to the nearest integer, which lands in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    let t = y + SHIFTER;
    let k = t - SHIFTER;
    let f = y - k;
    let q = madd::<FMA>(1.535_336_2e-4, f, 1.339_887_5e-3);
    let q = madd::<FMA>(q, f, 9.618_437e-3);
    let q = madd::<FMA>(q, f, 5.550_332_4e-2);
    let q = madd::<FMA>(q, f, 2.402_264_8e-1);
    let q = madd::<FMA>(q, f, 6.931_472e-1);
    let poly = madd::<FMA>(f, q, 1.0);
    // t's bits are 0x4b40_0000 + k; shifted left by 23 only k survives, and 127 << 23 adds
    // the exponent bias (k + 127 is in [1, 127] here).
    let scale = f32::from_bits((t.to_bits() << 23).wrapping_add(0x3f80_0000));
    poly * scale
}

/// `log2 x` for a positive finite `f32`, branch-free, absolute error about 1e-7.
///
/// `x = 2^e * m` with `m` in `[sqrt(1/2), sqrt(2))`, then `log2 m = 2 atanh(t) / ln 2` with
/// `t = (m - 1) / (m + 1)`, `|t| <= 0.1716`, from its odd series. Zero and subnormal inputs
/// give a large negative finite value (callers multiply it by that same tiny input).
#[inline(always)]
pub(crate) fn log2_f32<const FMA: bool>(x: f32) -> f32 {
    let (e, m) = split_exponent(x);
    log2_reduced::<FMA>(e, (m - 1.0) / (m + 1.0))
}

/// `log2(1 + x)` for a finite `x > -0.29`, keeping full relative precision for tiny `|x|`.
#[inline(always)]
pub(crate) fn log2_1p<const FMA: bool>(x: f32) -> f32 {
    let (e, m) = split_exponent(1.0 + x);
    // For 1 + x in [sqrt(1/2), sqrt 2) there is no reduction, and `t = x / (2 + x)` avoids
    // the rounding of 1 + x.
    let t = if e == 0.0 {
        x / (2.0 + x)
    } else {
        (m - 1.0) / (m + 1.0)
    };
    log2_reduced::<FMA>(e, t)
}

/// `x = 2^e * m` with `m` in `[sqrt(1/2), sqrt(2))`, for a positive finite `x`.
#[inline(always)]
pub(super) fn split_exponent(x: f32) -> (f32, f32) {
    let bits = x.to_bits();
    // Keep the mantissa, force the exponent of [1, 2); move [sqrt 2, 2) down to [sqrt 2 / 2, 1).
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let high = m > std::f32::consts::SQRT_2;
    let m = if high { m * 0.5 } else { m };
    // The biased exponent is 8 bits, exactly representable.
    #[allow(clippy::cast_precision_loss)]
    let e = ((bits >> 23) & 0xff) as f32 - 127.0 + if high { 1.0 } else { 0.0 };
    (e, m)
}

/// `e + log2 m` from `t = (m - 1) / (m + 1)`, `|t| <= 0.1716`.
#[inline(always)]
pub(super) fn log2_reduced<const FMA: bool>(e: f32, t: f32) -> f32 {
    let t2 = t * t;
    let series = madd::<FMA>(t2, 1.0 / 9.0, 1.0 / 7.0);
    let series = madd::<FMA>(series, t2, 1.0 / 5.0);
    let series = madd::<FMA>(series, t2, 1.0 / 3.0);
    let series = madd::<FMA>(series, t2, 1.0);
    madd::<FMA>(t * (2.0 * std::f32::consts::LOG2_E), series, e)
}

/// `a * b + c`, fused (one rounding) when `FMA`.
#[inline(always)]
pub(super) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}
