//! A least-squares objective f(x) = ½‖r(x)‖² from residuals written once, generically
//! over the scalar type, with exact derivatives by forward-mode dual numbers
//! (`num-dual`): the value with `f64`, gradient and Jacobian with `Dual64` (one pass
//! per variable), Hessian entries and Hessian-vector products with `HyperDual64`
//! (ε₁ and ε₂ seeded on two directions, the ε₁ε₂ part read).

use faer::MatMut;
use num_dual::{Dual64, DualNum, HyperDual64};
use saddle_solvers::{LeastSquares, Objective};

/// Residuals r: ℝⁿ → ℝᵐ, written once for every scalar type.
pub trait Residuals {
    /// n, the number of variables.
    fn dim(&self) -> usize;

    /// m, the number of residuals.
    fn count(&self) -> usize;

    /// r(x) written to `r` (length m), for x of length n.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D], r: &mut [D]);
}

/// The objective f(x) = ½‖r(x)‖² of residuals `R`, with its least-squares structure.
pub struct SumOfSquares<R> {
    residuals: R,
}

impl<R: Residuals> SumOfSquares<R> {
    /// The objective of `residuals`.
    pub fn new(residuals: R) -> Self {
        SumOfSquares { residuals }
    }

    /// f(x) = ½ Σ rᵢ(x)², for any scalar type.
    fn half_sum_of_squares<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
        let mut r = vec![D::from(0.0); self.residuals.count()];
        self.residuals.eval(x, &mut r);
        r.iter().fold(D::from(0.0), |acc, &ri| acc + ri * ri) * 0.5
    }

    /// The ε₁ε₂ part of f(x + ε₁u + ε₂v), that is uᵀ∇²f(x)v.
    fn second_directional(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        let xd: Vec<HyperDual64> =
            x.iter().zip(u).zip(v).map(|((&x, &u), &v)| HyperDual64::new(x, u, v, 0.0)).collect();
        self.half_sum_of_squares(&xd).eps1eps2
    }
}

fn unit(n: usize, i: usize) -> Vec<f64> {
    (0..n).map(|k| if k == i { 1.0 } else { 0.0 }).collect()
}

impl<R: Residuals> Objective for SumOfSquares<R> {
    fn dim(&self) -> usize {
        self.residuals.dim()
    }

    fn value(&mut self, x: &[f64]) -> f64 {
        self.half_sum_of_squares(x)
    }

    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        let mut value = f64::NAN;
        for (j, g) in grad.iter_mut().enumerate() {
            let xd: Vec<Dual64> = x
                .iter()
                .enumerate()
                .map(|(k, &xk)| Dual64::new(xk, if k == j { 1.0 } else { 0.0 }))
                .collect();
            let f = self.half_sum_of_squares(&xd);
            *g = f.eps;
            value = f.re;
        }
        if grad.is_empty() { self.value(x) } else { value }
    }

    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let n = x.len();
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.second_directional(x, &unit(n, i), v);
        }
    }

    /// Every entry on its own (n² passes), so that symmetry is a property the tests
    /// can check rather than one imposed by mirroring a triangle.
    fn hessian(&mut self, x: &[f64], mut out: MatMut<'_, f64>) {
        let n = x.len();
        for i in 0..n {
            for j in 0..n {
                out[(i, j)] = self.second_directional(x, &unit(n, i), &unit(n, j));
            }
        }
    }

    fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
        Some(self)
    }
}

impl<R: Residuals> LeastSquares for SumOfSquares<R> {
    fn residual_count(&self) -> usize {
        self.residuals.count()
    }

    fn residuals(&mut self, x: &[f64], r: &mut [f64]) {
        self.residuals.eval(x, r);
    }

    fn jacobian(&mut self, x: &[f64], mut jac: MatMut<'_, f64>) {
        let m = self.residuals.count();
        let mut r = vec![Dual64::from_re(0.0); m];
        for j in 0..x.len() {
            let xd: Vec<Dual64> = x
                .iter()
                .enumerate()
                .map(|(k, &xk)| Dual64::new(xk, if k == j { 1.0 } else { 0.0 }))
                .collect();
            self.residuals.eval(&xd, &mut r);
            for (i, ri) in r.iter().enumerate() {
                jac[(i, j)] = ri.eps;
            }
        }
    }
}
