//! Limited-memory BFGS for smooth unconstrained minimisation, with a strong-Wolfe line search
//! (bracketing and zoom with safeguarded cubic interpolation; Nocedal & Wright, *Numerical
//! Optimization*, algorithms 7.4, 3.5 and 3.6).
//!
//! The stopping tests are SciPy's L-BFGS-B ones as scikit-learn calls them: the largest
//! gradient component at most `gtol`, or a relative decrease of the objective
//! `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)` at most `ftol`, or `max_iter` iterations.

use crate::linalg::{axpy, dot, max_abs};

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Correction pairs kept (SciPy's `maxcor`, default 10).
    pub memory: usize,
    /// Iteration limit.
    pub max_iter: usize,
    /// Gradient tolerance on the infinity norm.
    pub gtol: f64,
    /// Relative objective-decrease tolerance.
    pub ftol: f64,
    /// Function evaluations allowed per line search.
    pub max_line_search: usize,
}

impl Options {
    /// scikit-learn's settings: `maxcor = 10`, `ftol = 64 * eps`, `maxls = 50`.
    pub fn new(max_iter: usize, gtol: f64) -> Self {
        Self {
            memory: 10,
            max_iter,
            gtol,
            ftol: 64.0 * f64::EPSILON,
            max_line_search: 50,
        }
    }
}

/// Outcome of [`minimize`]; the minimiser is left in the `x` passed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outcome {
    /// Objective at the returned point.
    pub f: f64,
    /// Iterations (accepted steps).
    pub iterations: usize,
    /// Objective evaluations.
    pub evaluations: usize,
    /// Whether a tolerance (rather than the iteration limit or a failed line search) stopped it.
    pub converged: bool,
}

/// Sufficient-decrease constant (SciPy's line-search `ftol`).
const C1: f64 = 1e-3;
/// Curvature constant (SciPy's line-search `gtol`).
const C2: f64 = 0.9;

/// Minimises `eval` (which returns `f(x)` and writes the gradient) from the start point `x`.
pub(crate) fn minimize<F>(x: &mut [f64], options: Options, mut eval: F) -> Outcome
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let p = x.len();
    let mut g = vec![0.0; p];
    let mut f = eval(x, &mut g);
    let mut evaluations = 1;
    let mut out = Outcome {
        f,
        iterations: 0,
        evaluations,
        converged: false,
    };
    if !f.is_finite() {
        return out;
    }
    if max_abs(&g) <= options.gtol {
        out.converged = true;
        return out;
    }
    let memory = options.memory.max(1);
    let mut s_hist: Vec<Vec<f64>> = Vec::with_capacity(memory);
    let mut y_hist: Vec<Vec<f64>> = Vec::with_capacity(memory);
    let mut rho: Vec<f64> = Vec::with_capacity(memory);
    let mut alpha_buf = vec![0.0; memory];
    let mut d = vec![0.0; p];
    let mut trial = Trial::new(p);

    for iteration in 0..options.max_iter {
        direction(&g, &s_hist, &y_hist, &rho, &mut alpha_buf, &mut d);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || slope.is_nan() {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = dot(&g, &d);
        }
        let first_step = if s_hist.is_empty() {
            (1.0 / dot(&d, &d).sqrt()).min(1.0)
        } else {
            1.0
        };
        let search = line_search(
            x,
            f,
            slope,
            &d,
            first_step,
            options.max_line_search,
            &mut trial,
            &mut eval,
        );
        evaluations += search.evaluations;
        out.evaluations = evaluations;
        let Some(step) = search.step else {
            if s_hist.is_empty() {
                return out; // even steepest descent found no decrease: at the numerical minimum
            }
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            continue;
        };
        // Accept: s = x_new - x, y = g_new - g.
        let mut s = if s_hist.len() == memory {
            s_hist.remove(0)
        } else {
            vec![0.0; p]
        };
        let mut y = if y_hist.len() == memory {
            y_hist.remove(0)
        } else {
            vec![0.0; p]
        };
        if rho.len() == memory {
            rho.remove(0);
        }
        for i in 0..p {
            s[i] = step.x[i] - x[i];
            y[i] = step.g[i] - g[i];
        }
        x.copy_from_slice(step.x);
        g.copy_from_slice(step.g);
        let f_old = f;
        f = step.f;
        out.f = f;
        out.iterations = iteration + 1;
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            rho.push(1.0 / sy);
            s_hist.push(s);
            y_hist.push(y);
        }
        if max_abs(&g) <= options.gtol || (f_old - f) / f_old.abs().max(f.abs()).max(1.0) <= options.ftol {
            out.converged = true;
            return out;
        }
    }
    out
}

/// `d = -H g` by the two-loop recursion, `H0 = (s'y / y'y) I` from the newest pair.
fn direction(g: &[f64], s: &[Vec<f64>], y: &[Vec<f64>], rho: &[f64], alpha: &mut [f64], d: &mut [f64]) {
    d.iter_mut().zip(g).for_each(|(di, gi)| *di = -gi);
    let m = s.len();
    for i in (0..m).rev() {
        alpha[i] = rho[i] * dot(&s[i], d);
        axpy(-alpha[i], &y[i], d);
    }
    if let (Some(sl), Some(yl)) = (s.last(), y.last()) {
        let gamma = dot(sl, yl) / dot(yl, yl);
        d.iter_mut().for_each(|di| *di *= gamma);
    }
    for i in 0..m {
        let beta = rho[i] * dot(&y[i], d);
        axpy(alpha[i] - beta, &s[i], d);
    }
}

/// Scratch buffers of the line search: the point being tried and the best acceptable one.
struct Trial {
    x: Vec<f64>,
    g: Vec<f64>,
    lo_x: Vec<f64>,
    lo_g: Vec<f64>,
}

impl Trial {
    fn new(p: usize) -> Self {
        Self {
            x: vec![0.0; p],
            g: vec![0.0; p],
            lo_x: vec![0.0; p],
            lo_g: vec![0.0; p],
        }
    }
}

/// An accepted step: the new point, objective and gradient (borrowed from the scratch).
struct Step<'a> {
    x: &'a [f64],
    g: &'a [f64],
    f: f64,
}

struct Search<'a> {
    step: Option<Step<'a>>,
    evaluations: usize,
}

/// A point on the search line: step length, objective, directional derivative.
#[derive(Clone, Copy)]
struct Point {
    a: f64,
    f: f64,
    slope: f64,
}

/// Strong-Wolfe line search along `d` from `x` (objective `f0`, slope `slope0 < 0`).
#[allow(clippy::too_many_arguments)]
fn line_search<'t, F>(
    x: &[f64],
    f0: f64,
    slope0: f64,
    d: &[f64],
    first: f64,
    max_evals: usize,
    t: &'t mut Trial,
    eval: &mut F,
) -> Search<'t>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut evaluations = 0;
    let mut try_at = |a: f64, t: &mut Trial, evaluations: &mut usize| -> Point {
        for ((xt, xi), di) in t.x.iter_mut().zip(x).zip(d) {
            *xt = xi + a * di;
        }
        *evaluations += 1;
        let f = eval(&t.x, &mut t.g);
        let f = if f.is_finite() { f } else { f64::INFINITY };
        Point {
            a,
            f,
            slope: dot(&t.g, d),
        }
    };
    let armijo = |p: &Point| p.f <= f0 + C1 * p.a * slope0;
    let curvature = |p: &Point| p.slope.abs() <= -C2 * slope0;
    // `lo` always satisfies sufficient decrease (step 0 trivially); its point is kept in lo_x.
    let mut lo = Point {
        a: 0.0,
        f: f0,
        slope: slope0,
    };
    let mut hi: Option<Point> = None;
    let mut a = first;
    while evaluations < max_evals {
        if let Some(h) = hi {
            a = interpolate(lo, h);
        }
        let p = try_at(a, t, &mut evaluations);
        if !armijo(&p) || p.f >= lo.f {
            hi = Some(p);
        } else {
            if curvature(&p) {
                return Search {
                    step: Some(Step {
                        x: &t.x,
                        g: &t.g,
                        f: p.f,
                    }),
                    evaluations,
                };
            }
            t.lo_x.copy_from_slice(&t.x);
            t.lo_g.copy_from_slice(&t.g);
            match hi {
                // Still extrapolating: the minimum lies beyond p.
                None if p.slope < 0.0 => {
                    lo = p;
                    a = p.a * 4.0;
                }
                None => {
                    hi = Some(lo);
                    lo = p;
                }
                Some(h) => {
                    if p.slope * (h.a - lo.a) >= 0.0 {
                        hi = Some(lo);
                    }
                    lo = p;
                }
            }
        }
        if let Some(h) = hi
            && (h.a - lo.a).abs() <= f64::EPSILON * lo.a.abs().max(h.a.abs())
        {
            break;
        }
    }
    // Out of evaluations: take the best point with sufficient decrease, if it moved at all.
    let step = (lo.a > 0.0 && lo.f < f0).then(|| Step {
        x: &t.lo_x,
        g: &t.lo_g,
        f: lo.f,
    });
    Search { step, evaluations }
}

/// Minimiser of the cubic through `lo` and `hi` (values and slopes), kept at least a tenth of
/// the interval away from its ends; bisection where the cubic is not usable.
fn interpolate(lo: Point, hi: Point) -> f64 {
    let (a, b) = (lo.a, hi.a);
    let width = b - a;
    let bisect = a + 0.5 * width;
    if !hi.f.is_finite() {
        return a + 0.25 * width; // an overflowing trial: back off towards lo
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.f - hi.f) / (a - b);
    let disc = d1 * d1 - lo.slope * hi.slope;
    if disc < 0.0 || disc.is_nan() {
        return bisect;
    }
    let d2 = width.signum() * disc.sqrt();
    let denom = hi.slope - lo.slope + 2.0 * d2;
    if denom == 0.0 {
        return bisect;
    }
    let t = b - width * (hi.slope + d2 - d1) / denom;
    let (min, max) = if a < b { (a, b) } else { (b, a) };
    let margin = 0.1 * width.abs();
    if t.is_finite() {
        t.clamp(min + margin, max - margin)
    } else {
        bisect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_rosenbrock() {
        let mut x = [-1.2, 1.0];
        let out = minimize(&mut x, Options::new(500, 1e-9), |x, g| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        });
        assert!(out.converged, "{out:?}");
        assert!(
            (x[0] - 1.0).abs() < 1e-5 && (x[1] - 1.0).abs() < 1e-5,
            "{x:?} {out:?}"
        );
    }

    #[test]
    fn minimises_an_ill_conditioned_quadratic() {
        let scales: Vec<f64> = (0..50).map(|i| 10f64.powf(f64::from(i) / 25.0)).collect();
        let mut x = vec![1.0; 50];
        let out = minimize(&mut x, Options::new(1000, 1e-8), |x, g| {
            let mut f = 0.0;
            for i in 0..x.len() {
                g[i] = scales[i] * (x[i] - 2.0);
                f += 0.5 * scales[i] * (x[i] - 2.0).powi(2);
            }
            f
        });
        assert!(out.converged, "{out:?}");
        assert!(x.iter().all(|v| (v - 2.0).abs() < 1e-6), "{out:?}");
    }
}
