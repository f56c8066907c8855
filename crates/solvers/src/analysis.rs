//! Stationary-point analysis: the exact Hessian's spectrum, its inertia under a
//! relative zero tolerance, and the classification of the point.

use faer::{MatRef, Side};

pub use crate::inertia::{Classification, Inertia};

use crate::dense::DENSE_BYTES_LIMIT;
use crate::dense::{Ldl, matvec};
use crate::lanczos::{self, SplitMix64};

/// An eigenvalue λ counts as zero when |λ| ≤ `ZERO_TOLERANCE` · max|λ| (docs/CONTRACT.md).
pub const ZERO_TOLERANCE: f64 = 1e-10;

/// The inertia of ascending `eigenvalues`, zero meaning |λ| ≤ `rel_tol` · max|λ|.
pub fn inertia(eigenvalues: &[f64], rel_tol: f64) -> Inertia {
    let scale = eigenvalues.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let tol = rel_tol * scale;
    let mut inertia = Inertia::default();
    for &l in eigenvalues {
        if l < -tol {
            inertia.negative += 1;
        } else if l > tol {
            inertia.positive += 1;
        } else {
            inertia.zero += 1;
        }
    }
    inertia
}

/// The eigenvalues of the symmetric matrix `h` (its lower triangle is read), ascending;
/// `None` if `h` is not finite or the decomposition fails.
pub fn eigenvalues(h: MatRef<'_, f64>) -> Option<Vec<f64>> {
    let finite = (0..h.ncols()).all(|j| (0..h.nrows()).all(|i| h[(i, j)].is_finite()));
    if !finite {
        return None;
    }
    h.self_adjoint_eigenvalues(Side::Lower).ok()
}

/// Summary of the curvature at a point, as reported by `saddle fit`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Curvature {
    /// Negative, zero and positive eigenvalue counts.
    #[serde(serialize_with = "inertia_as_array")]
    pub inertia: Inertia,
    /// Smallest eigenvalue.
    pub min_eig: f64,
    /// Largest eigenvalue.
    pub max_eig: f64,
    /// What the inertia implies.
    pub classification: Classification,
}

fn inertia_as_array<S: serde::Serializer>(inertia: &Inertia, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&inertia.as_array(), s)
}

/// Inertia, extreme eigenvalues and classification of the symmetric matrix `h`. A
/// spectrum that cannot be computed gives NaN extremes and `degenerate`.
pub fn curvature(h: MatRef<'_, f64>) -> Curvature {
    Curvature::from_eigenvalues(&eigenvalues(h).unwrap_or_default())
}

impl Curvature {
    /// The curvature given the ascending eigenvalues (zero tolerance [`ZERO_TOLERANCE`]); no
    /// eigenvalues (a non-finite Hessian) gives `degenerate` with NaN extremes.
    pub fn from_eigenvalues(eigs: &[f64]) -> Curvature {
        match (eigs.first(), eigs.last()) {
            (Some(&min_eig), Some(&max_eig)) => {
                let inertia = inertia(eigs, ZERO_TOLERANCE);
                Curvature { inertia, min_eig, max_eig, classification: inertia.classify() }
            }
            _ => Curvature {
                inertia: Inertia::default(),
                min_eig: f64::NAN,
                max_eig: f64::NAN,
                classification: Classification::Degenerate,
            },
        }
    }
}

/// Largest n for which [`curvature_auto`] computes the full spectrum; above it the
/// eigendecomposition's O(n³) constant makes the factorization route worth it.
pub const DENSE_SPECTRUM_LIMIT: usize = 2000;

/// Lanczos steps used for the extreme eigenvalues of large Hessians.
pub const LANCZOS_STEPS: usize = 300;

/// The largest n whose dense n × n f64 Hessian fits [`DENSE_BYTES_LIMIT`]: 11585 for
/// 1 GiB. Above it no dense Hessian is built and the end-point analysis is matrix-free
/// ([`SpectrumMethod::Lanczos`]).
pub const DENSE_HESSIAN_LIMIT: usize = (DENSE_BYTES_LIMIT / 8).isqrt();

/// How a [`Curvature`] was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpectrumMethod {
    /// Full symmetric eigendecomposition.
    Eigen,
    /// Inertia from an LBLᵀ factorization (Sylvester's law); extreme eigenvalues from
    /// Lanczos, which estimates them from inside the spectrum.
    LbltLanczos,
    /// Matrix-free: extreme eigenvalues from (restarted) Lanczos on Hessian-vector
    /// products, no inertia (the classification follows the extremes, see
    /// [`curvature_from_extremes`]); the negative count is estimated separately.
    Lanczos,
}

/// The curvature of the symmetric `h` by the full spectrum when n ≤
/// [`DENSE_SPECTRUM_LIMIT`], otherwise by [`curvature_by_factorization`].
pub fn curvature_auto(h: MatRef<'_, f64>) -> (Curvature, SpectrumMethod) {
    if h.nrows() <= DENSE_SPECTRUM_LIMIT {
        (curvature(h), SpectrumMethod::Eigen)
    } else {
        (curvature_by_factorization(h, LANCZOS_STEPS), SpectrumMethod::LbltLanczos)
    }
}

/// The number of eigenvalues of the symmetric `h` below −[`ZERO_TOLERANCE`]·max|λ|, the
/// count [`inertia`] gives from the spectrum, without the spectrum: max|λ| from Lanczos
/// on products with `h` (converged to 1e-12 relative, or n steps), then the negative
/// pivots of an LBLᵀ factorization of h + tol·I (Sylvester's law of inertia), about
/// n³/3 flops. `None` if `h` is not finite.
pub fn negative_count(h: MatRef<'_, f64>) -> Option<usize> {
    let n = h.nrows();
    let mut rng = SplitMix64::new(0);
    let start: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let ends = lanczos::extremes(&mut |v, out| out.copy_from_slice(&matvec(h, v)), &start, 1, 1, 1e-12, n);
    let scale = ends.top.iter().chain(&ends.bottom).fold(0.0f64, |m, l| m.max(l.abs()));
    let tol = ZERO_TOLERANCE * scale;
    let shifted = faer::Mat::from_fn(n, n, |i, j| h[(i, j)] + if i == j { tol } else { 0.0 });
    Ldl::new(shifted.as_ref()).map(|ldl| ldl.inertia().negative)
}

/// The curvature known from extreme eigenvalues alone (matrix-free): no inertia (all
/// counts zero), and the classification the extremes imply, with zero meaning
/// |λ| ≤ [`ZERO_TOLERANCE`]·max(|min|, |max|): for exact extremes the classification
/// [`Inertia::classify`] gives from the full spectrum (saddle: λmin < −tol and λmax >
/// tol; minimum: λmin > tol; maximum: λmax < −tol; else degenerate).
pub fn curvature_from_extremes(min_eig: f64, max_eig: f64) -> Curvature {
    let tol = ZERO_TOLERANCE * min_eig.abs().max(max_eig.abs());
    let classification = if !(min_eig.is_finite() && max_eig.is_finite()) {
        Classification::Degenerate
    } else if min_eig < -tol && max_eig > tol {
        Classification::Saddle
    } else if min_eig > tol {
        Classification::Minimum
    } else if max_eig < -tol {
        Classification::Maximum
    } else {
        Classification::Degenerate
    };
    Curvature { inertia: Inertia::default(), min_eig, max_eig, classification }
}

/// Inertia from the pivots of an LBLᵀ factorization of `h` (a pivot counts as zero when
/// |d| ≤ n·ε·max|hᵢⱼ|, singular to working precision), and extreme eigenvalues from
/// `steps` Lanczos steps on products with `h` (seed 0): about n³/3 flops instead of the
/// eigendecomposition's several n³. The classification follows the inertia.
pub fn curvature_by_factorization(h: MatRef<'_, f64>, steps: usize) -> Curvature {
    let Some(ldl) = Ldl::new(h) else {
        return curvature(h); // not finite: reported as degenerate with NaN extremes
    };
    let inertia = ldl.inertia();
    let (min_eig, max_eig) =
        lanczos::extreme_eigenvalues(h.nrows(), &mut |v, out| out.copy_from_slice(&matvec(h, v)), steps, 0);
    Curvature { inertia, min_eig, max_eig, classification: inertia.classify() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_signs() {
        let c = |eigs: &[f64]| inertia(eigs, ZERO_TOLERANCE).classify();
        assert_eq!(c(&[1.0, 2.0]), Classification::Minimum);
        assert_eq!(c(&[-1.0, 2.0]), Classification::Saddle);
        assert_eq!(c(&[-1.0, 0.0, 2.0]), Classification::Saddle);
        assert_eq!(c(&[-2.0, -1.0]), Classification::Maximum);
        assert_eq!(c(&[0.0, 1.0]), Classification::Degenerate);
        assert_eq!(c(&[-1.0, 1e-12]), Classification::Degenerate);
        assert_eq!(inertia(&[-3.0, -1e-11, 1e-11, 5.0], 1e-10).as_array(), [1, 2, 1]);
    }

    #[test]
    fn curvature_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3; [[1, 2], [2, 1]] has −1 and 3.
        let a = faer::mat![[2.0, 1.0], [1.0, 2.0]];
        let c = curvature(a.as_ref());
        assert!((c.min_eig - 1.0).abs() < 1e-14 && (c.max_eig - 3.0).abs() < 1e-14);
        assert_eq!(c.classification, Classification::Minimum);
        let b = faer::mat![[1.0, 2.0], [2.0, 1.0]];
        let c = curvature(b.as_ref());
        assert_eq!(c.inertia.as_array(), [1, 0, 1]);
        assert_eq!(c.classification, Classification::Saddle);
        let bad = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
        assert_eq!(curvature(bad.as_ref()).classification, Classification::Degenerate);
    }

    #[test]
    fn factorization_route_agrees_with_the_spectrum() {
        // A symmetric 60 × 60 matrix with eigenvalues −5..=54 (one zero) in a rotated basis.
        let d: Vec<f64> = (0..60).map(|i| i as f64 - 5.0).collect();
        let h = crate::test_functions::rotated(&d);
        let exact = curvature(h.as_ref());
        assert_eq!(exact.inertia.as_array(), [5, 1, 54]);
        let fast = curvature_by_factorization(h.as_ref(), 60);
        assert_eq!(fast.inertia, exact.inertia);
        assert_eq!(fast.classification, Classification::Saddle);
        assert!((fast.min_eig + 5.0).abs() < 1e-8 && (fast.max_eig - 54.0).abs() < 1e-8, "{fast:?}");
        // Fewer steps: estimates from inside the spectrum.
        let rough = curvature_by_factorization(h.as_ref(), 10);
        assert!(rough.min_eig >= -5.0 - 1e-9 && rough.max_eig <= 54.0 + 1e-9, "{rough:?}");
    }

    #[test]
    fn the_extremes_classify_as_the_whole_spectrum_does() {
        let spectra: [&[f64]; 8] = [
            &[1.0, 2.0],
            &[-1.0, 0.0, 2.0],
            &[-2.0, -1.0],
            &[0.0, 1.0],
            &[-1.0, 1e-12],
            &[-1e-12, 0.5, 3.0],
            &[-3.0, -1e-11, 1e-11, 5.0],
            &[-5.0, -1e-11],
        ];
        for eigs in spectra {
            let whole = Curvature::from_eigenvalues(eigs);
            let ends = curvature_from_extremes(eigs[0], eigs[eigs.len() - 1]);
            assert_eq!(ends.classification, whole.classification, "{eigs:?}");
        }
        assert_eq!(curvature_from_extremes(f64::NAN, 1.0).classification, Classification::Degenerate);
    }

    #[test]
    fn the_dense_hessian_limit_is_the_largest_that_fits() {
        let fits = |n: usize| crate::DenseMatrix { what: "Hessian", rows: n, cols: n }.fits();
        assert_eq!(DENSE_HESSIAN_LIMIT, 11585);
        assert!(fits(DENSE_HESSIAN_LIMIT) && !fits(DENSE_HESSIAN_LIMIT + 1));
    }

    #[test]
    fn negative_count_uses_the_spectrum_s_zero_tolerance() {
        // Eigenvalues −5..=54 and two tiny negative ones (−1e-13 relative: zero).
        let d: Vec<f64> = (0..60).map(|i| i as f64 - 5.0).chain([-54e-13, -1e-12]).collect();
        let h = crate::test_functions::rotated(&d);
        assert_eq!(inertia(&d, ZERO_TOLERANCE).negative, 5);
        assert_eq!(negative_count(h.as_ref()), Some(5));
        let bad = faer::mat![[f64::NAN, 0.0], [0.0, 1.0]];
        assert_eq!(negative_count(bad.as_ref()), None);
    }
}
