//! A problem's compiled derivatives seen as a solver [`Objective`] with its
//! least-squares structure (residuals r = u − y or −u'' − f, and their Jacobian).

use faer::MatMut;
use saddle_solvers::{LeastSquares, Objective};

use crate::study::compiled::Derivatives;

/// The objective L(θ) = ½‖r(θ)‖² of a problem, for the solvers.
#[derive(Clone, Debug)]
pub struct NetworkObjective {
    derivs: Derivatives,
    /// The row-major Hessian or Jacobian, allocated on first use.
    scratch: Vec<f64>,
}

impl NetworkObjective {
    /// Wraps compiled derivatives.
    pub fn new(derivs: Derivatives) -> Self {
        NetworkObjective { derivs, scratch: Vec::new() }
    }

    /// The compiled derivatives.
    pub fn derivatives(&mut self) -> &mut Derivatives {
        &mut self.derivs
    }
}

// The programs were compiled for exactly these input sizes, so evaluation cannot fail
// on a vector of length n; a failure would be a bug in saddle.
const BOUND: &str = "compiled programs accept θ of the parameter count";

impl Objective for NetworkObjective {
    fn dim(&self) -> usize {
        self.derivs.param_count()
    }

    fn value(&mut self, x: &[f64]) -> f64 {
        self.derivs.loss(x).expect(BOUND)
    }

    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.derivs.gradient(x, grad).expect(BOUND)
    }

    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.derivs.hvp(x, v, out).expect(BOUND)
    }

    fn hessian(&mut self, x: &[f64], mut out: MatMut<'_, f64>) {
        let n = self.dim();
        self.scratch.resize(self.scratch.len().max(n * n), 0.0);
        let h = &mut self.scratch[..n * n];
        self.derivs.hessian(x, h).expect(BOUND);
        for i in 0..n {
            for j in 0..n {
                out[(i, j)] = h[i * n + j];
            }
        }
    }

    fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
        Some(self)
    }
}

impl LeastSquares for NetworkObjective {
    fn residual_count(&self) -> usize {
        self.derivs.residual_count()
    }

    fn residuals(&mut self, x: &[f64], r: &mut [f64]) {
        self.derivs.residuals(x, r).expect(BOUND)
    }

    fn jacobian(&mut self, x: &[f64], mut jac: MatMut<'_, f64>) {
        let (m, n) = (self.residual_count(), self.dim());
        self.scratch.resize(self.scratch.len().max(m * n), 0.0);
        let j = &mut self.scratch[..m * n];
        self.derivs.jacobian(x, j).expect(BOUND);
        for r in 0..m {
            for c in 0..n {
                jac[(r, c)] = j[r * n + c];
            }
        }
    }
}
