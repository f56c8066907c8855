//! Dense symmetric linear algebra for the Hessian-based solvers: the exact Hessian as a
//! faer matrix, LBLᵀ (Bunch-Kaufman) solves that detect singular systems and report
//! the inertia, and the symmetric eigendecomposition. Only the lower triangle of a
//! symmetric matrix is read. (The damping control the damped solvers share is in
//! `damping.rs`.)

use faer::linalg::solvers::{Lblt, Solve};
use faer::{Col, ColRef, Mat, MatRef, Side};

use crate::inertia::Inertia;
use crate::objective::Counted;

/// The most memory one dense matrix may take: 1 GiB (a Hessian of n ≤ 11585
/// parameters). Solvers and analyses that would build a larger one are refused.
pub const DENSE_BYTES_LIMIT: usize = 1 << 30;

/// A pivot block eigenvalue d of LBLᵀ counts as zero when |d| ≤ `PIVOT_RTOL` · n ·
/// max|Aᵢⱼ|: the matrix is then singular to working precision, and a solve with it is
/// refused rather than returning a step dominated by rounding errors.
pub(crate) const PIVOT_RTOL: f64 = f64::EPSILON;

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
