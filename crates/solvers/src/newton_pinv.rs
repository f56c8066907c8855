//! `newton-pinv`: exact Newton with the Moore–Penrose step p = −H⁺∇f, unit step.
//!
//! Where H is invertible this is exactly `newton`'s step (computed from the
//! eigendecomposition H = QΛQᵀ instead of LBLᵀ). Where H is singular, `newton` stops with
//! `singular`; this variant drops the eigen-directions with |λᵢ| ≤ rtol·max|λ| and takes the
//! minimum-norm step p = −Σ_{|λᵢ| > rtol·max|λ|} qᵢ (qᵢᵀ∇f) / λᵢ. Negative curvature is used as
//! it is, so the method stays attracted to every stationary point; it only lets the
//! iteration continue towards the degenerate saddles (zero output weights, flat directions)
//! that make H singular, to see whether Newton converges there.

use crate::dense::{self, Eigen};
use crate::driver::{Iterate, Method, Step, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Newton's method with the pseudo-inverse of the exact Hessian.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonPinv {
    rtol: f64,
}

impl NewtonPinv {
    /// Default relative cut-off: eigenvalues with |λ| ≤ 1e-10·max|λ| count as zero (the
    /// zero tolerance of the stationary-point analysis).
    pub const DEFAULT_RTOL: f64 = crate::analysis::ZERO_TOLERANCE;

    /// The pseudo-inverse step with cut-off `rtol` ∈ [0, 1).
    pub fn new(rtol: f64) -> Result<Self, String> {
        if !(0.0..1.0).contains(&rtol) {
            return Err(format!("newton-pinv: the cut-off must lie in [0, 1), got {rtol} (default 1e-10)"));
        }
        Ok(NewtonPinv { rtol })
    }
}

impl Default for NewtonPinv {
    fn default() -> Self {
        NewtonPinv { rtol: Self::DEFAULT_RTOL }
    }
}

/// −H⁺g in the eigenbasis: coordinates −cᵢ/λᵢ for |λᵢ| > cut, 0 otherwise.
fn pseudo_inverse_step(values: &[f64], g: &[f64], cut: f64) -> Vec<f64> {
    values.iter().zip(g).map(|(&l, &c)| if l.abs() > cut { -c / l } else { 0.0 }).collect()
}

impl Method for NewtonPinv {
    fn name(&self) -> &'static str {
        "newton-pinv"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let h = dense::hessian(f, &current.x);
        let Some(eigen) = Eigen::new(h.as_ref()) else {
            return Step::NonFinite;
        };
        let cut = self.rtol * eigen.spectral_radius();
        let p = eigen.q_mul(&pseudo_inverse_step(&eigen.values, &eigen.qt_mul(&current.grad), cut));
        if !p.iter().all(|v| v.is_finite()) || eigen.spectral_radius() == 0.0 {
            return Step::Singular;
        }
        let x: Vec<f64> = current.x.iter().zip(&p).map(|(x, p)| x + p).collect();
        Step::next(Iterate::at(f, x), norm(&p)).with_step_length(1.0)
    }
}

/// `newton-pinv` in the registry.
pub const SOLVER: Solver = Solver {
    name: "newton-pinv",
    summary: "exact Newton with the pseudo-inverse step p = −H⁺g (continues where H is singular)",
    family: Family::ExactNewton,
    options: &[OptionSpec::number(
        "cutoff",
        Range::UNIT,
        NewtonPinv::DEFAULT_RTOL,
        "eigenvalues with |λ| ≤ cutoff·max|λ| are dropped from H⁺",
    )],
    build: |o| Ok(Box::new(NewtonPinv::new(o.number("cutoff"))?)),
    dense: Some(registry::hessian_matrix),
};

#[cfg(test)]
mod tests {
    use faer::{Mat, MatMut};

    use super::*;
    use crate::test_functions::DenseQuadratic;
    use crate::driver::{Control, Status, minimize};
    use crate::newton::Newton;
    use crate::objective::Objective;

    /// On an invertible (indefinite) quadratic it is Newton: one step to the saddle.
    #[test]
    fn matches_newton_where_the_hessian_is_invertible() {
        let a = Mat::from_fn(3, 3, |i, j| [[2.0, 0.5, 0.0], [0.5, -1.0, 0.3], [0.0, 0.3, 4.0]][i][j]);
        let b = vec![1.0, -2.0, 0.5];
        let control = Control { max_iter: 5, gtol: 1e-12, ..Control::default() };
        let run = |m: &mut dyn Method| {
            let mut q = DenseQuadratic { a: a.clone(), b: b.clone() };
            minimize(m, &mut q, vec![0.3, 0.1, -0.2], &control, &mut |_| {})
        };
        let pinv = run(&mut NewtonPinv::default());
        let newton = run(&mut Newton::new());
        assert_eq!((pinv.status, pinv.iterations), (Status::Converged, 1));
        for (a, b) in pinv.last.x.iter().zip(&newton.last.x) {
            assert!((a - b).abs() < 1e-13, "{a} vs {b}");
        }
    }

    /// f(x, y) = ½x² − x + y⁴: H = diag(1, 12y²) is singular on y = 0. Started there,
    /// `newton` stops with `singular`; the pseudo-inverse step solves the x part and leaves
    /// the flat y direction alone, converging to the stationary point (1, 0).
    struct FlatDirection;

    impl Objective for FlatDirection {
        fn dim(&self) -> usize {
            2
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            0.5 * x[0] * x[0] - x[0] + x[1].powi(4)
        }
        fn gradient(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = x[0] - 1.0;
            g[1] = 4.0 * x[1].powi(3);
            self.value(x)
        }
        fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
            out[0] = v[0];
            out[1] = 12.0 * x[1] * x[1] * v[1];
        }
        fn hessian(&mut self, x: &[f64], mut h: MatMut<'_, f64>) {
            h.fill(0.0);
            h[(0, 0)] = 1.0;
            h[(1, 1)] = 12.0 * x[1] * x[1];
        }
    }

    #[test]
    fn continues_through_a_singular_hessian() {
        let control = Control { max_iter: 10, gtol: 1e-12, ..Control::default() };
        let newton = minimize(&mut Newton::new(), &mut FlatDirection, vec![3.0, 0.0], &control, &mut |_| {});
        assert_eq!(newton.status, Status::Singular);
        let pinv =
            minimize(&mut NewtonPinv::default(), &mut FlatDirection, vec![3.0, 0.0], &control, &mut |_| {});
        assert_eq!(pinv.status, Status::Converged);
        assert_eq!(pinv.last.x, vec![1.0, 0.0]);
    }

    #[test]
    fn rejects_a_bad_cut_off() {
        assert!(NewtonPinv::new(1.0).unwrap_err().contains("cut-off"));
        assert!(NewtonPinv::new(-1e-3).is_err());
        assert_eq!(NewtonPinv::new(1e-8).unwrap().rtol, 1e-8);
    }
}
