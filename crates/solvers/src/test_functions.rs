//! Small objectives with known answers and hand-written derivatives, for the solvers'
//! unit tests: diagonal and dense quadratics, Rosenbrock's function, rotated diagonal
//! matrices.

use faer::{Col, ColRef, Mat, MatMut, MatRef};

use crate::objective::Objective;

/// A·v, as `dense::matvec` computes it (not imported: dense.rs's tests use this module).
fn matvec(a: MatRef<'_, f64>, v: &[f64]) -> Vec<f64> {
    let y: Col<f64> = a * ColRef::from_slice(v);
    y.iter().copied().collect()
}

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

/// A dense symmetric positive definite 4 × 4 matrix.
pub(crate) const SPD4: [[f64; 4]; 4] =
    [[4.0, 1.0, 0.0, 0.0], [1.0, 3.0, 1.0, 0.0], [0.0, 1.0, 2.0, 0.5], [0.0, 0.0, 0.5, 1.0]];

/// f(x) = ½ xᵀAx + bᵀx for a symmetric A.
#[derive(Clone, Debug)]
pub(crate) struct DenseQuadratic {
    pub(crate) a: Mat<f64>,
    pub(crate) b: Vec<f64>,
}

impl DenseQuadratic {
    /// From the rows of A and b.
    pub(crate) fn new(rows: &[&[f64]], b: &[f64]) -> Self {
        let n = b.len();
        let a = Mat::from_fn(n, n, |i, j| rows[i][j]);
        DenseQuadratic { a, b: b.to_vec() }
    }

    /// ½xᵀAx − (1, −2, 3, −1)ᵀx with A = [`SPD4`], positive definite.
    pub(crate) fn spd4() -> Self {
        let rows: Vec<&[f64]> = SPD4.iter().map(|r| r.as_slice()).collect();
        DenseQuadratic::new(&rows, &[-1.0, 2.0, -3.0, 1.0])
    }

    /// Av.
    pub(crate) fn a_times(&self, v: &[f64]) -> Vec<f64> {
        matvec(self.a.as_ref(), v)
    }
}

impl Objective for DenseQuadratic {
    fn dim(&self) -> usize {
        self.b.len()
    }
    fn value(&mut self, x: &[f64]) -> f64 {
        let ax = matvec(self.a.as_ref(), x);
        x.iter().zip(&ax).zip(&self.b).map(|((x, ax), b)| 0.5 * x * ax + b * x).sum()
    }
    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        let ax = matvec(self.a.as_ref(), x);
        for ((g, ax), b) in grad.iter_mut().zip(&ax).zip(&self.b) {
            *g = ax + b;
        }
        self.value(x)
    }
    fn hvp(&mut self, _: &[f64], v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&matvec(self.a.as_ref(), v));
    }
    fn hessian(&mut self, _: &[f64], mut out: MatMut<'_, f64>) {
        out.copy_from(&self.a);
    }
}

/// Rosenbrock's function f(x, y) = 100(y − x²)² + (1 − x)², minimum 0 at (1, 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rosenbrock;

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        2
    }
    fn value(&mut self, v: &[f64]) -> f64 {
        let (x, y) = (v[0], v[1]);
        100.0 * (y - x * x).powi(2) + (1.0 - x).powi(2)
    }
    fn gradient(&mut self, v: &[f64], grad: &mut [f64]) -> f64 {
        let (x, y) = (v[0], v[1]);
        grad[0] = -400.0 * x * (y - x * x) - 2.0 * (1.0 - x);
        grad[1] = 200.0 * (y - x * x);
        self.value(v)
    }
    fn hvp(&mut self, v: &[f64], w: &[f64], out: &mut [f64]) {
        let mut h = Mat::zeros(2, 2);
        self.hessian(v, h.as_mut());
        out.copy_from_slice(&matvec(h.as_ref(), w));
    }
    fn hessian(&mut self, v: &[f64], mut out: MatMut<'_, f64>) {
        let (x, y) = (v[0], v[1]);
        out[(0, 0)] = 1200.0 * x * x - 400.0 * y + 2.0;
        out[(0, 1)] = -400.0 * x;
        out[(1, 0)] = -400.0 * x;
        out[(1, 1)] = 200.0;
    }
}

/// An orthogonal n × n matrix: the product of plane rotations by fixed angles.
pub(crate) fn rotation(n: usize) -> Mat<f64> {
    let mut q = Mat::<f64>::identity(n, n);
    for i in 0..n {
        for j in i + 1..n {
            let t = 0.3 + 0.7 * (i * n + j) as f64;
            let (s, c) = t.sin_cos();
            for k in 0..n {
                let (a, b) = (q[(k, i)], q[(k, j)]);
                q[(k, i)] = c * a - s * b;
                q[(k, j)] = s * a + c * b;
            }
        }
    }
    q
}

/// Q diag(d) Qᵀ with Q = [`rotation`]`(n)`.
pub(crate) fn rotated(d: &[f64]) -> Mat<f64> {
    let n = d.len();
    let q = rotation(n);
    Mat::from_fn(n, n, |i, j| (0..n).map(|k| q[(i, k)] * d[k] * q[(j, k)]).sum())
}
