//! The narrow traits a solver sees: a smooth objective with exact derivatives, and
//! (for Gauss-Newton and Levenberg-Marquardt) its least-squares structure.

use faer::MatMut;

/// A twice-differentiable function f: ℝⁿ → ℝ with exact derivatives.
///
/// Evaluation never fails: a point where f is not finite returns a non-finite value,
/// and solvers treat it as divergence.
pub trait Objective {
    /// n, the number of variables.
    fn dim(&self) -> usize;

    /// f(x).
    fn value(&mut self, x: &[f64]) -> f64;

    /// f(x), with ∇f(x) written to `grad`.
    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64;

    /// ∇²f(x)·v written to `out`.
    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]);

    /// ∇²f(x) written to `out` (n × n).
    fn hessian(&mut self, x: &[f64], out: MatMut<'_, f64>);

    /// The least-squares structure, if f(x) = ½‖r(x)‖².
    fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
        None
    }
}

/// The residuals r: ℝⁿ → ℝᵐ of an objective f(x) = ½‖r(x)‖².
pub trait LeastSquares {
    /// m, the number of residuals.
    fn residual_count(&self) -> usize;

    /// r(x) written to `r`.
    fn residuals(&mut self, x: &[f64], r: &mut [f64]);

    /// The Jacobian ∂r/∂x (m × n) written to `jac`.
    fn jacobian(&mut self, x: &[f64], jac: MatMut<'_, f64>);
}

/// How many times each derivative was evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Evals {
    /// Values f(x) (including those computed with a gradient).
    pub value: usize,
    /// Gradients.
    pub gradient: usize,
    /// Hessian-vector products.
    pub hvp: usize,
    /// Dense Hessians.
    pub hessian: usize,
    /// Residual vectors.
    pub residuals: usize,
    /// Jacobians.
    pub jacobian: usize,
}

/// An objective that counts its evaluations; solvers see every problem through it.
pub struct Counted<'a> {
    inner: &'a mut dyn Objective,
    /// Evaluations so far.
    pub evals: Evals,
}

impl<'a> Counted<'a> {
    /// Wraps `inner` with zero counts.
    pub fn new(inner: &'a mut dyn Objective) -> Self {
        Counted { inner, evals: Evals::default() }
    }

    /// n.
    pub fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// f(x).
    pub fn value(&mut self, x: &[f64]) -> f64 {
        self.evals.value += 1;
        self.inner.value(x)
    }

    /// f(x) and ∇f(x).
    pub fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.evals.value += 1;
        self.evals.gradient += 1;
        self.inner.gradient(x, grad)
    }

    /// ∇²f(x)·v.
    pub fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.evals.hvp += 1;
        self.inner.hvp(x, v, out)
    }

    /// ∇²f(x).
    pub fn hessian(&mut self, x: &[f64], out: MatMut<'_, f64>) {
        self.evals.hessian += 1;
        self.inner.hessian(x, out)
    }

    /// ∇²f(x) for analysis (inertia in the records), not counted as the solver's work.
    pub fn hessian_for_analysis(&mut self, x: &[f64], out: MatMut<'_, f64>) {
        self.inner.hessian(x, out)
    }

    /// m, if the objective is a least-squares problem.
    pub fn residual_count(&mut self) -> Option<usize> {
        self.inner.as_least_squares().map(|ls| ls.residual_count())
    }

    /// r(x); `false` if the objective is not a least-squares problem.
    pub fn residuals(&mut self, x: &[f64], r: &mut [f64]) -> bool {
        match self.inner.as_least_squares() {
            Some(ls) => {
                self.evals.residuals += 1;
                ls.residuals(x, r);
                true
            }
            None => false,
        }
    }

    /// ∂r/∂x; `false` if the objective is not a least-squares problem.
    pub fn jacobian(&mut self, x: &[f64], jac: MatMut<'_, f64>) -> bool {
        match self.inner.as_least_squares() {
            Some(ls) => {
                self.evals.jacobian += 1;
                ls.jacobian(x, jac);
                true
            }
            None => false,
        }
    }
}
