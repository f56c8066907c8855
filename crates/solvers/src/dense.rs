//! Dense symmetric linear algebra for the Hessian-based solvers: the exact Hessian as a
//! faer matrix, LBLᵀ (Bunch-Kaufman) solves that detect singular systems and report
//! the inertia, and the symmetric eigendecomposition. Only the lower triangle of a
//! symmetric matrix is read. Also the damping control the damped solvers share (the gain
//! ratio, Nielsen's update, the check of their settings).

use faer::linalg::solvers::{Lblt, Solve};
use faer::{Col, ColRef, Mat, MatRef, Side};

use crate::analysis::Inertia;
use crate::driver::Iterate;
use crate::objective::Counted;

/// A pivot block eigenvalue d of LBLᵀ counts as zero when |d| ≤ `PIVOT_RTOL` · n ·
/// max|Aᵢⱼ|: the matrix is then singular to working precision, and a solve with it is
/// refused rather than returning a step dominated by rounding errors.
pub(crate) const PIVOT_RTOL: f64 = f64::EPSILON;

/// The ratio ρ of the actual decrease f(x) − f(x + p) to the `predicted` decrease,
/// computed in finite precision as (actual + δ) / (predicted + δ) with
/// δ = 10·ε·max(1, |f(x)|) (Conn, Gould & Toint, *Trust-Region Methods*, 2000,
/// §17.4.2): once both decreases are at the rounding level of f the ratio tends to 1
/// instead of being noise, so steps near a minimizer with f* ≠ 0 are not rejected for
/// nothing. A non-finite `f_new` gives −∞.
pub(crate) fn gain_ratio(f_old: f64, f_new: f64, predicted: f64) -> f64 {
    let delta = 10.0 * f64::EPSILON * f_old.abs().max(1.0);
    let denominator = predicted + delta;
    if !f_new.is_finite() || denominator.is_nan() || denominator <= 0.0 {
        return f64::NEG_INFINITY;
    }
    (f_old - f_new + delta) / denominator
}

/// The exact Hessian ∇²f(x), evaluated (and counted) through `f`.
pub(crate) fn hessian(f: &mut Counted<'_>, x: &[f64]) -> Mat<f64> {
    let n = x.len();
    let mut h = Mat::zeros(n, n);
    f.hessian(x, h.as_mut());
    h
}

/// Whether every entry of the lower triangle of `a` is finite.
pub(crate) fn is_finite(a: MatRef<'_, f64>) -> bool {
    (0..a.ncols()).all(|j| (j..a.nrows()).all(|i| a[(i, j)].is_finite()))
}

/// max|Aᵢⱼ| over the lower triangle (0 for an empty matrix).
pub(crate) fn max_abs(a: MatRef<'_, f64>) -> f64 {
    (0..a.ncols())
        .flat_map(|j| (j..a.nrows()).map(move |i| (i, j)))
        .fold(0.0, |m, (i, j)| m.max(a[(i, j)].abs()))
}

/// A·v for the symmetric `a` (read in full).
pub(crate) fn matvec(a: MatRef<'_, f64>, v: &[f64]) -> Vec<f64> {
    let y: Col<f64> = a * ColRef::from_slice(v);
    y.iter().copied().collect()
}

/// Default acceptance threshold η on the gain ratio of the damped solvers.
pub(crate) const DEFAULT_GAIN_ETA: f64 = 1e-4;
/// Default τ of the damped solvers: the first damping is τ times the curvature's scale.
pub(crate) const DEFAULT_INITIAL_DAMPING: f64 = 1e-3;

/// The damped solvers' option `eta`, the acceptance threshold on the gain ratio.
pub(crate) const GAIN_ETA_OPTION: crate::options::OptionSpec = crate::options::OptionSpec::number(
    "eta",
    crate::options::Range::UNIT,
    DEFAULT_GAIN_ETA,
    "a step is accepted when its gain ratio exceeds eta",
);

/// Checks a damped solver's settings, η ∈ [0, 1) and τ > 0 finite; the error names the
/// solver, the setting, what τ is relative to (`scale`) and the default.
pub(crate) fn check_damping_settings(
    solver: &str,
    eta: f64,
    initial_damping: f64,
    scale: &str,
) -> Result<(), String> {
    if !(0.0..1.0).contains(&eta) {
        return Err(format!(
            "{solver}: the acceptance threshold eta must lie in [0, 1), got {eta} (default {DEFAULT_GAIN_ETA:e})"
        ));
    }
    if !(initial_damping.is_finite() && initial_damping > 0.0) {
        return Err(format!(
            "{solver}: the initial damping (relative to {scale}) must be positive and finite, \
             got {initial_damping} (default {DEFAULT_INITIAL_DAMPING:e})"
        ));
    }
    Ok(())
}

/// The Nielsen damping state of the damped solvers (Madsen, Nielsen & Tingleff 2004): λ
/// and its growth factor ν.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Damping {
    /// λ.
    pub value: f64,
    /// ν, the factor λ grows by at the next rejection.
    pub nu: f64,
}

impl Damping {
    /// λ = `value` with ν = 2.
    pub fn new(value: f64) -> Self {
        Damping { value, nu: 2.0 }
    }

    /// After an accepted step with gain ratio ρ: λ ← λ·max(⅓, 1 − (2ρ − 1)³), ν ← 2.
    pub fn accept(&mut self, rho: f64) {
        self.value *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
        self.nu = 2.0;
    }

    /// After a rejected step (or a failed factorization): λ ← max(λ·ν, `floor`), ν ← 2ν.
    pub fn reject(&mut self, floor: f64) {
        self.value = (self.value * self.nu).max(floor);
        self.nu *= 2.0;
    }

    /// Tries the step x + p whose quadratic model predicts the decrease `predicted`: with
    /// gain ratio ρ > `eta` it is accepted (λ shrinks) and its iterate returned; otherwise
    /// λ grows (to at least `floor`) and `None` says stay at x.
    pub fn trial(
        &mut self,
        f: &mut Counted<'_>,
        current: &Iterate,
        p: &[f64],
        predicted: f64,
        eta: f64,
        floor: f64,
    ) -> Option<Iterate> {
        let trial: Vec<f64> = current.x.iter().zip(p).map(|(x, p)| x + p).collect();
        let value = if p.iter().all(|v| v.is_finite()) { f.value(&trial) } else { f64::NAN };
        let rho = gain_ratio(current.loss, value, predicted);
        if rho > eta {
            self.accept(rho);
            Some(Iterate::at(f, trial))
        } else {
            self.reject(floor);
            None
        }
    }
}

/// The LBLᵀ factorization of a symmetric matrix, with its inertia (by Sylvester's law,
/// the inertia of the block-diagonal B).
pub(crate) struct Ldl {
    lblt: Lblt<f64>,
    /// Negative, zero and positive pivot eigenvalue counts (zero: see [`PIVOT_RTOL`]).
    inertia: Inertia,
}

impl Ldl {
    /// Factorizes the symmetric `a`; `None` if `a` has a non-finite entry.
    pub(crate) fn new(a: MatRef<'_, f64>) -> Option<Ldl> {
        if !is_finite(a) {
            return None;
        }
        let n = a.nrows();
        let tol = PIVOT_RTOL * n as f64 * max_abs(a);
        let lblt = a.lblt(Side::Lower);
        let d = lblt.B_diag().column_vector();
        let s = lblt.B_subdiag().column_vector();
        let mut inertia = Inertia::default();
        let mut count = |e: f64| {
            if e.is_nan() || e.abs() <= tol {
                inertia.zero += 1;
            } else if e < 0.0 {
                inertia.negative += 1;
            } else {
                inertia.positive += 1;
            }
        };
        let mut k = 0;
        while k < n {
            if k + 1 < n && s[k] != 0.0 {
                // A 2 × 2 pivot [[a, c], [c, b]]: its eigenvalues, the small one from the
                // determinant to avoid cancellation.
                let (a, b, c) = (d[k], d[k + 1], s[k]);
                let mean = 0.5 * (a + b);
                let radius = (0.5 * (a - b)).hypot(c);
                let big = if mean >= 0.0 { mean + radius } else { mean - radius };
                let small = if big == 0.0 { 0.0 } else { (a * b - c * c) / big };
                count(big);
                count(small);
                k += 2;
            } else {
                count(d[k]);
                k += 1;
            }
        }
        Some(Ldl { lblt, inertia })
    }

    /// Negative, zero and positive eigenvalue counts of the factorized matrix.
    pub(crate) fn inertia(&self) -> Inertia {
        self.inertia
    }

    /// Whether every pivot is positive, i.e. the matrix is positive definite.
    pub(crate) fn is_positive_definite(&self) -> bool {
        self.inertia.negative == 0 && self.inertia.zero == 0
    }

    /// The solution of A·x = `rhs`; `None` if A is singular (a zero pivot) or the
    /// solution is not finite.
    pub(crate) fn solve(&self, rhs: &[f64]) -> Option<Vec<f64>> {
        if self.inertia.zero > 0 {
            return None;
        }
        let mut x = Col::from_fn(rhs.len(), |i| rhs[i]);
        self.lblt.solve_in_place(&mut x);
        let x: Vec<f64> = x.iter().copied().collect();
        x.iter().all(|v| v.is_finite()).then_some(x)
    }
}

/// A = Q Λ Qᵀ for a symmetric A: eigenvalues ascending, eigenvectors in the columns of Q.
#[derive(Clone, Debug)]
pub(crate) struct Eigen {
    /// λ₁ ≤ … ≤ λₙ.
    pub(crate) values: Vec<f64>,
    /// Q, orthonormal columns.
    pub(crate) vectors: Mat<f64>,
}

impl Eigen {
    /// Decomposes the symmetric `a`; `None` if `a` is not finite or the iteration fails.
    pub(crate) fn new(a: MatRef<'_, f64>) -> Option<Eigen> {
        if !is_finite(a) {
            return None;
        }
        let evd = a.self_adjoint_eigen(Side::Lower).ok()?;
        let values: Vec<f64> = evd.S().column_vector().iter().copied().collect();
        values.iter().all(|v| v.is_finite()).then(|| Eigen { values, vectors: evd.U().to_owned() })
    }

    /// Qᵀv: the coordinates of `v` in the eigenbasis.
    pub(crate) fn qt_mul(&self, v: &[f64]) -> Vec<f64> {
        let y: Col<f64> = self.vectors.transpose() * ColRef::from_slice(v);
        y.iter().copied().collect()
    }

    /// Q·c: the vector with eigenbasis coordinates `c`.
    pub(crate) fn q_mul(&self, c: &[f64]) -> Vec<f64> {
        matvec(self.vectors.as_ref(), c)
    }

    /// max|λᵢ| (0 for an empty matrix).
    pub(crate) fn spectral_radius(&self) -> f64 {
        self.values.iter().fold(0.0, |m, l| m.max(l.abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_functions::{rotated, rotation};

    #[test]
    fn lblt_solves_and_counts_the_inertia() {
        let a = rotated(&[-3.0, 0.5, 2.0, 7.0]);
        let ldl = Ldl::new(a.as_ref()).unwrap();
        assert_eq!(ldl.inertia.as_array(), [1, 0, 3]);
        assert!(!ldl.is_positive_definite());
        let b = [1.0, -2.0, 0.5, 3.0];
        let x = ldl.solve(&b).unwrap();
        let r = matvec(a.as_ref(), &x);
        assert!(r.iter().zip(&b).all(|(r, b)| (r - b).abs() < 1e-12), "{r:?}");
        let spd = rotated(&[0.1, 1.0, 2.0]);
        assert!(Ldl::new(spd.as_ref()).unwrap().is_positive_definite());
    }

    #[test]
    fn singular_matrices_are_refused() {
        // Exact zero pivot, and a zero eigenvalue that rounding turns into a tiny pivot.
        let exact = faer::mat![[1.0, 1.0], [1.0, 1.0]];
        let ldl = Ldl::new(exact.as_ref()).unwrap();
        assert_eq!(ldl.inertia.zero, 1);
        assert_eq!(ldl.solve(&[1.0, 0.0]), None);
        let rounded = rotated(&[2.0, 0.0, -1.0]);
        let ldl = Ldl::new(rounded.as_ref()).unwrap();
        assert_eq!(ldl.inertia.as_array(), [1, 1, 1]);
        assert_eq!(ldl.solve(&[1.0, 0.0, 0.0]), None);
        let bad = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
        assert!(Ldl::new(bad.as_ref()).is_none());
    }

    #[test]
    fn gain_ratio_at_the_rounding_level() {
        assert_eq!(
            gain_ratio(5.0, 4.0, 2.0),
            (1.0 + 1e1 * 5.0 * f64::EPSILON) / (2.0 + 1e1 * 5.0 * f64::EPSILON)
        );
        assert_eq!(gain_ratio(-5.0, -5.0, 0.0), 1.0);
        assert_eq!(gain_ratio(1.0, f64::NAN, 1.0), f64::NEG_INFINITY);
        assert_eq!(gain_ratio(1.0, 0.5, -1.0), f64::NEG_INFINITY);
        assert!(gain_ratio(1.0, 2.0, 1.0) < -0.99);
    }

    #[test]
    fn eigendecomposition_round_trips() {
        let a = rotated(&[-2.0, 1.0, 3.0]);
        let eig = Eigen::new(a.as_ref()).unwrap();
        for (l, e) in eig.values.iter().zip([-2.0, 1.0, 3.0]) {
            assert!((l - e).abs() < 1e-13);
        }
        assert_eq!(eig.spectral_radius(), eig.values[2]);
        let v = [0.3, -1.0, 2.0];
        let back = eig.q_mul(&eig.qt_mul(&v));
        assert!(back.iter().zip(&v).all(|(a, b)| (a - b).abs() < 1e-14));
        let q = rotation(3);
        let qtq = q.transpose() * &q;
        assert!((0..3).all(|i| (0..3).all(|j| (qtq[(i, j)] - f64::from(i == j)).abs() < 1e-14)));
    }
}
