//! Dense `f64` matrix products: one bounds-checked wrapper over `matrixmultiply::dgemm`
//! (packed, cache-blocked, SIMD micro-kernels picked at run time; one thread).

/// A borrowed strided matrix view: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f64],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major `rows x cols` matrix.
    pub fn rows(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major `rows x cols` matrix (a `cols x rows` view).
    pub fn transposed(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows: cols,
            cols: rows,
            row_stride: 1,
            col_stride: cols,
        }
    }

    /// Whether every element the view addresses lies inside `data`.
    fn in_bounds(&self) -> bool {
        if self.rows == 0 || self.cols == 0 {
            return true;
        }
        let last = (self.rows - 1).checked_mul(self.row_stride).and_then(|a| {
            (self.cols - 1)
                .checked_mul(self.col_stride)
                .and_then(|b| a.checked_add(b))
        });
        last.is_some_and(|last| last < self.data.len()) && isize::try_from(self.data.len()).is_ok()
    }
}

/// `c = alpha * a * b + beta * c`, with `c` row-major `a.rows x b.cols`.
///
/// # Panics
/// If the shapes disagree or a view reaches outside its buffer (a bug in this crate, never a
/// property of user data: callers check user shapes first).
pub(crate) fn gemm(alpha: f64, a: View<'_>, b: View<'_>, beta: f64, c: &mut [f64]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "inner dimensions differ");
    assert_eq!(c.len(), m * n, "output has the wrong size");
    assert!(a.in_bounds() && b.in_bounds(), "matrix view out of bounds");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.iter_mut().for_each(|v| *v *= beta);
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("stride fits isize");
    // SAFETY: `dgemm` reads `a[i*rsa + l*csa]` for i < m, l < k, `b[l*rsb + j*csb]` for
    // l < k, j < n, and writes `c[i*n + j]` for i < m, j < n. The assertions above check
    // that every such offset lies inside the respective slice (`in_bounds` computes the
    // largest offset with overflow checks), and `c` is a unique borrow disjoint from `a`, `b`.
    #[allow(unsafe_code)]
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            stride(a.row_stride),
            stride(a.col_stride),
            b.data.as_ptr(),
            stride(b.row_stride),
            stride(b.col_stride),
            beta,
            c.as_mut_ptr(),
            stride(n),
            1,
        );
    }
}

/// Dot product with four independent accumulators.
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0_f64; 4];
    let chunks = a.len() / 4;
    for i in 0..chunks {
        for (lane, slot) in acc.iter_mut().enumerate() {
            *slot += a[4 * i + lane] * b[4 * i + lane];
        }
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len().min(b.len()) {
        sum += a[i] * b[i];
    }
    sum
}

/// `y += alpha * x`.
#[inline]
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// The largest absolute value (0 for an empty slice).
pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0_f64, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_naive_with_transposes() {
        let a: Vec<f64> = (0..6).map(f64::from).collect(); // 2 x 3
        let b: Vec<f64> = (0..12).map(|v| f64::from(v) * 0.5 - 1.0).collect(); // 4 x 3
        // c = a * b^T (2 x 4)
        let mut c = vec![1.0; 8];
        gemm(1.0, View::rows(&a, 2, 3), View::transposed(&b, 4, 3), 2.0, &mut c);
        for i in 0..2 {
            for j in 0..4 {
                let want: f64 = (0..3).map(|l| a[i * 3 + l] * b[j * 3 + l]).sum::<f64>() + 2.0;
                assert!((c[i * 4 + j] - want).abs() < 1e-12);
            }
        }
        assert_eq!(dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0; 5]), 15.0);
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn out_of_bounds_views_panic() {
        let a = [0.0; 5];
        let mut c = [0.0; 4];
        gemm(1.0, View::rows(&a, 2, 3), View::rows(&a, 3, 2), 0.0, &mut c);
    }
}
