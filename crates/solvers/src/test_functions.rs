//! Small objectives with known answers, for the solvers' unit tests.

use faer::MatMut;

use crate::objective::Objective;

/// f(x) = ½ xᵀ diag(d) x.
#[derive(Clone, Debug)]
pub struct Quadratic {
    d: Vec<f64>,
}

impl Quadratic {
    /// The diagonal quadratic with curvatures `d`.
    pub fn diagonal(d: Vec<f64>) -> Self {
        Quadratic { d }
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.d.len()
    }
    fn value(&mut self, x: &[f64]) -> f64 {
        0.5 * x.iter().zip(&self.d).map(|(x, d)| d * x * x).sum::<f64>()
    }
    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        for ((g, x), d) in grad.iter_mut().zip(x).zip(&self.d) {
            *g = d * x;
        }
        self.value(x)
    }
    fn hvp(&mut self, _: &[f64], v: &[f64], out: &mut [f64]) {
        for ((o, v), d) in out.iter_mut().zip(v).zip(&self.d) {
            *o = d * v;
        }
    }
    fn hessian(&mut self, _: &[f64], mut out: MatMut<'_, f64>) {
        out.fill(0.0);
        for (i, d) in self.d.iter().enumerate() {
            out[(i, i)] = *d;
        }
    }
}
