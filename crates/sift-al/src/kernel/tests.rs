//! Tests of the kernels in `kernel/`: the exp2 and log2 approximations' accuracy over their
//! domains, and the dispatched (SIMD) paths against the portable and block paths.

use super::*;

fn exp2_accuracy<const FMA: bool>() {
    let mut worst = 0.0_f64;
    let mut y = -126.0_f32;
    while y <= 0.0 {
        let reference = f64::from(y).exp2();
        let got = f64::from(exp2_f32::<FMA>(y));
        worst = worst.max(((got - reference) / reference).abs());
        y += 0.000_731;
    }
    assert!(worst < 1.5e-7, "worst relative error {worst} (fma: {FMA})");
    assert_eq!(exp2_f32::<FMA>(0.0), 1.0);
    assert_eq!(exp2_f32::<FMA>(-1.0), 0.5);
    assert_eq!(exp2_f32::<FMA>(-126.0), f32::MIN_POSITIVE);
}

#[test]
fn exp2_is_accurate_on_its_domain() {
    exp2_accuracy::<false>();
    exp2_accuracy::<true>();
}

fn log2_accuracy<const FMA: bool>() {
    let mut worst = 0.0_f64;
    let mut x = 1.0e-30_f32;
    while x < 4.0 {
        let reference = f64::from(x).log2();
        let error = (f64::from(log2_f32::<FMA>(x)) - reference).abs() / reference.abs().max(1.0);
        worst = worst.max(error);
        x *= 1.000_37;
    }
    // Absolute below |log2 x| = 1, relative above (the f32 result itself rounds).
    assert!(worst < 2.5e-7, "worst error {worst} (fma: {FMA})");
    assert_eq!(log2_f32::<FMA>(1.0), 0.0);
    assert!(log2_f32::<FMA>(0.0).is_finite());
    assert_eq!(0.0 * log2_f32::<FMA>(0.0), 0.0);
    // log2(1 + x) keeps its relative precision for tiny x.
    for &x in &[
        -0.25_f32, -1e-3, -1e-9, 0.0, 1e-30, 1e-12, 1e-7, 1e-3, 0.3, 0.414, 0.5, 1.0, 3.0, 9.0, 999.0,
    ] {
        let reference = f64::from(x).ln_1p() * std::f64::consts::LOG2_E;
        let got = f64::from(log2_1p::<FMA>(x));
        assert!(
            (got - reference).abs() <= 3e-7 * reference.abs().max(1e-30),
            "{x}: {got} vs {reference}"
        );
    }
}

#[test]
fn log2_is_accurate() {
    log2_accuracy::<false>();
    log2_accuracy::<true>();
}

#[test]
fn dispatched_and_portable_paths_agree() {
    let mut state = 0x9e37_79b9_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 20_000) as f32 / 1000.0 - 10.0
    };
    for n in [2, 3, 7, 10, 33] {
        let mut matrix: Vec<f32> = (0..n * 101).map(|_| next()).collect();
        matrix[n * 5] = f32::NAN;
        for logits in [true, false] {
            let mut dispatched = Columns::default();
            score_blocks(&matrix, n, logits, 1e-3, &mut dispatched);
            let mut plain = Columns::default();
            score_blocks_portable::<false>(&matrix, n, logits, 1e-3, &mut plain);
            let mut fused = Columns::default();
            score_blocks_portable::<true>(&matrix, n, logits, 1e-3, &mut fused);
            for other in [&plain, &fused] {
                assert_eq!(other.flagged, dispatched.flagged);
                let pairs = [
                    (&other.least_confidence, &dispatched.least_confidence),
                    (&other.margin, &dispatched.margin),
                    (&other.ratio, &dispatched.ratio),
                    (&other.entropy, &dispatched.entropy),
                ];
                for (a, b) in pairs {
                    assert_eq!(a.len(), b.len());
                    for (x, y) in a.iter().zip(b.iter()) {
                        assert!((x - y).abs() <= 1e-6 || (x.is_nan() && y.is_nan()), "{x} vs {y}");
                    }
                }
            }
        }
    }
}

#[test]
fn long_row_path_matches_the_block_path() {
    let mut state = 0x1234_5678_u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 4000) as f32 / 100.0 - 20.0
    };
    for n in [2, 5, 10, 33] {
        let mut matrix: Vec<f32> = (0..n * 40).map(|_| next()).collect();
        matrix[n * 3 + 1] = f32::INFINITY;
        for logits in [true, false] {
            if !logits {
                for row in matrix.chunks_exact_mut(n) {
                    let total: f32 = row.iter().map(|v| v.abs()).sum();
                    row.iter_mut().for_each(|v| *v = v.abs() / total);
                }
                matrix[n * 7] = -0.5;
            }
            let mut blocks = Columns::default();
            score_blocks_portable::<false>(&matrix, n, logits, 1e-3, &mut blocks);
            let consts = ClassConstants::new(n);
            for (index, row) in matrix.chunks_exact(n).enumerate() {
                let (scores, bad) = score_row::<false>(row, logits, 1e-3, consts);
                assert_eq!(bad, blocks.flagged.contains(&index));
                if !bad {
                    let block = [
                        blocks.least_confidence[index],
                        blocks.margin[index],
                        blocks.ratio[index],
                        blocks.entropy[index],
                    ];
                    assert_eq!(scores, block, "n = {n}, row {index}");
                }
            }
        }
    }
}
