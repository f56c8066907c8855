//! Helpers shared by the derivative tests: evaluation of graph outputs, random
//! values, finite differences, error measures, the problems' loss graphs and the
//! dense Hessian assembled from batched Hessian-vector products.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use saddle_ad::{d2_dx2, grad, hessian_block_columns, hessian_columns, hvp, param_blocks};
use saddle_graph::{Activation, Arch, Graph, NodeId, Program, Shape, model};

/// A deterministic random generator for tests.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `len` values uniform in `[lo, hi)`.
pub fn uniform(rng: &mut impl Rng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

/// Compiles `g` and evaluates its outputs `names` with the given inputs.
pub fn eval(g: &Graph, inputs: &[(&str, &[f64])], names: &[&str]) -> Vec<Vec<f64>> {
    let mut p = Program::compile(g).expect("compile");
    for (name, values) in inputs {
        if p.has_input(name) {
            p.set_input(name, values).expect("bind input");
        }
    }
    p.run();
    names.iter().map(|n| p.output(n).expect("output").to_vec()).collect()
}

/// Largest absolute difference divided by the largest magnitude in `expected`
/// (floored at `floor`, for values that are all near zero).
pub fn rel_err(actual: &[f64], expected: &[f64], floor: f64) -> f64 {
    assert_eq!(actual.len(), expected.len(), "length mismatch");
    let diff = actual.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let scale = expected.iter().map(|b| b.abs()).fold(floor, f64::max);
    diff / scale
}

/// Inner product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a + s·b`.
pub fn axpy(a: &[f64], s: f64, b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + s * y).collect()
}

/// Central difference (f(x + h·v) − f(x − h·v)) / 2h of a vector function.
pub fn central_difference(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], v: &[f64], h: f64) -> Vec<f64> {
    let plus = f(&axpy(x, h, v));
    let minus = f(&axpy(x, -h, v));
    plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * h)).collect()
}

/// `len` values drawn from a normal distribution of mean 0 and standard deviation
/// `scale` (Box–Muller over the uniform generator).
pub fn normal(rng: &mut impl Rng, len: usize, scale: f64) -> Vec<f64> {
    (0..len)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1], so the log is finite
            let u2: f64 = rng.random();
            scale * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .collect()
}

/// Largest absolute value (0 for an empty slice).
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Largest absolute difference of two slices of the same length.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// The transpose of a row-major `rows × cols` matrix.
pub fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = a[i * cols + j];
        }
    }
    t
}

/// The product of a row-major `rows × cols` matrix with a vector.
pub fn mat_vec(a: &[f64], rows: usize, cols: usize, v: &[f64]) -> Vec<f64> {
    (0..rows).map(|i| dot(&a[i * cols..(i + 1) * cols], v)).collect()
}

/// Simplifies `g`, checks both graphs' invariants and compiles the simplified one:
/// the pipeline the solvers use.
pub fn compile(g: &Graph) -> Program {
    g.validate().expect("graph invariants");
    let s = g.simplify().expect("simplify");
    s.validate().expect("simplified graph invariants");
    Program::compile(&s).expect("compile")
}

/// Binds the inputs the program reads (others are ignored), runs it, and returns the
/// outputs `names`.
pub fn run(p: &mut Program, inputs: &[(&str, &[f64])], names: &[&str]) -> Vec<Vec<f64>> {
    for (name, values) in inputs {
        if p.has_input(name) {
            p.set_input(name, values).expect("bind input");
        }
    }
    p.run();
    names.iter().map(|n| p.output(n).expect("output").to_vec()).collect()
}

/// The two built-in problems of the contract (docs/CONTRACT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// ½ Σ (u(xᵢ) − yᵢ)², data "x" (N × d_in) and "y" (N × 1).
    Regression,
    /// ½ Σ (−u''(xᵢ) − fᵢ)² with u = x(1 − x)·N(x), data "x" (N × 1) and "f" (N × 1).
    Pinn,
}

impl Problem {
    /// Both problems.
    pub const ALL: [Problem; 2] = [Problem::Regression, Problem::Pinn];

    /// The name of the target input: "y" or "f".
    pub fn target(self) -> &'static str {
        match self {
            Problem::Regression => "y",
            Problem::Pinn => "f",
        }
    }
}

/// A problem's loss graph: inputs "theta" (n × 1), "x" (N × d_in) and the target
/// ("y" or "f", N × 1); output "loss".
#[derive(Clone, Debug)]
pub struct LossGraph {
    /// The graph, with the output "loss" set.
    pub graph: Graph,
    /// The parameter input θ.
    pub theta: NodeId,
    /// The data input x.
    pub x: NodeId,
    /// The network's output u at the data (for the PINN, the trial function).
    pub u: NodeId,
    /// The residual (u − y, or −u'' − f).
    pub residual: NodeId,
    /// The scalar loss.
    pub loss: NodeId,
    /// The number of parameters n.
    pub n: usize,
}

/// Builds the loss graph of `problem` for the network `arch` with activation `act`
/// on `points` data points.
pub fn loss_graph(problem: Problem, arch: &Arch, act: Activation, points: usize) -> LossGraph {
    let n = arch.param_count();
    let mut g = Graph::new();
    let theta = g.input("theta", Shape::vector(n)).expect("theta");
    let x = g.input("x", Shape::matrix(points, arch.input_dim())).expect("x");
    let target = g.input(problem.target(), Shape::matrix(points, 1)).expect("target");
    let net = model::mlp(&mut g, arch, act, theta, x).expect("mlp").output;
    let (u, residual) = match problem {
        Problem::Regression => (net, g.sub(net, target).expect("residual")),
        Problem::Pinn => {
            assert_eq!(arch.input_dim(), 1, "the PINN has one input");
            let u = model::pinn_trial(&mut g, x, net).expect("trial");
            let u_xx = d2_dx2(&mut g, u, x).expect("u_xx");
            (u, model::pinn_residual(&mut g, u_xx, target).expect("residual"))
        }
    };
    let loss = model::half_sum_of_squares(&mut g, residual).expect("loss");
    g.set_output("loss", loss);
    LossGraph { graph: g, theta, x, u, residual, loss, n }
}

impl LossGraph {
    /// A program computing the loss ("loss") and its gradient ("grad").
    pub fn gradient_program(&self) -> Program {
        let mut g = self.graph.clone();
        let gradient = grad(&mut g, self.loss, self.theta).expect("grad");
        g.set_output("grad", gradient);
        compile(&g)
    }

    /// A program computing the Hessian-vector product ("hvp") along the input "v".
    pub fn hvp_program(&self) -> Program {
        let mut g = self.graph.clone();
        let v = g.input("v", Shape::vector(self.n)).expect("v");
        let hv = hvp(&mut g, self.loss, self.theta, v).expect("hvp");
        g.clear_outputs();
        g.set_output("hvp", hv);
        compile(&g)
    }

    /// The dense Hessian, row-major n × n, at the given inputs (θ and data), assembled
    /// from [`hessian_columns`] with `chunk` columns of the identity per evaluation;
    /// the last chunk is padded with zero columns, whose products are discarded.
    pub fn dense_hessian(&self, chunk: usize, inputs: &[(&str, &[f64])]) -> Vec<f64> {
        let n = self.n;
        let mut g = self.graph.clone();
        let columns = hessian_columns(&mut g, self.loss, self.theta, chunk).expect("hessian_columns");
        assert_eq!(g.shape(columns), Shape::vector(n).batched(chunk), "batched HVP shape");
        g.clear_outputs();
        g.set_output("columns", columns);
        let mut p = compile(&g);
        let mut h = vec![0.0; n * n];
        let mut basis = vec![0.0; chunk * n];
        for start in (0..n).step_by(chunk) {
            let width = chunk.min(n - start);
            basis.fill(0.0);
            for k in 0..width {
                basis[k * n + start + k] = 1.0;
            }
            let mut all: Vec<(&str, &[f64])> = inputs.to_vec();
            all.push(("basis", &basis));
            let out = run(&mut p, &all, &["columns"]).remove(0);
            for k in 0..width {
                for i in 0..n {
                    h[i * n + start + k] = out[k * n + i];
                }
            }
        }
        h
    }

    /// The dense Hessian from one program per parameter block
    /// ([`hessian_block_columns`]), `chunk` columns at a time, its upper triangle taken
    /// from the columns and mirrored; also returns the number of blocks.
    pub fn block_hessian(&self, chunk: usize, inputs: &[(&str, &[f64])]) -> (Vec<f64>, usize) {
        let n = self.n;
        let blocks = param_blocks(&self.graph, self.theta);
        let mut h = vec![f64::NAN; n * n];
        for block in &blocks {
            let chunk = chunk.min(block.len());
            let mut g = self.graph.clone();
            let columns = hessian_block_columns(&mut g, self.loss, self.theta, *block, chunk).expect("block");
            let rows = n - block.offset;
            assert_eq!(g.shape(columns), Shape::vector(rows).batched(chunk), "block columns shape");
            g.clear_outputs();
            g.set_output("columns", columns);
            let mut p = compile(&g);
            let mut basis = vec![0.0; chunk * block.len()];
            for start in (0..block.len()).step_by(chunk) {
                let width = chunk.min(block.len() - start);
                basis.fill(0.0);
                for k in 0..width {
                    basis[k * block.len() + start + k] = 1.0;
                }
                let mut all: Vec<(&str, &[f64])> = inputs.to_vec();
                all.push(("basis", &basis));
                let out = run(&mut p, &all, &["columns"]).remove(0);
                for k in 0..width {
                    let j = block.offset + start + k;
                    for i in j..n {
                        h[i * n + j] = out[k * rows + i - block.offset];
                        h[j * n + i] = h[i * n + j];
                    }
                }
            }
        }
        (h, blocks.len())
    }
}

/// Parameters and data for one problem instance.
#[derive(Clone, Debug)]
pub struct Sample {
    /// θ, normal with standard deviation 0.5.
    pub theta: Vec<f64>,
    /// x, N × d_in row-major: uniform in [−1, 1] (regression) or (0, 1) (PINN).
    pub x: Vec<f64>,
    /// The target y or f, uniform in [−1, 1].
    pub target: Vec<f64>,
}

impl Sample {
    /// Draws θ and data for `problem` on `arch` with `points` points from `seed`.
    pub fn draw(problem: Problem, arch: &Arch, points: usize, seed: u64) -> Sample {
        let mut r = rng(seed);
        let theta = normal(&mut r, arch.param_count(), 0.5);
        let x = match problem {
            Problem::Regression => uniform(&mut r, points * arch.input_dim(), -1.0, 1.0),
            // Strictly inside (0, 1).
            Problem::Pinn => uniform(&mut r, points, 0.01, 0.99),
        };
        let target = uniform(&mut r, points, -1.0, 1.0);
        Sample { theta, x, target }
    }

    /// The data inputs, by name, for `problem`.
    pub fn data(&self, problem: Problem) -> [(&'static str, &[f64]); 2] {
        [("x", &self.x), (problem.target(), &self.target)]
    }

    /// θ and the data inputs, by name.
    pub fn inputs(&self, problem: Problem) -> [(&'static str, &[f64]); 3] {
        [("theta", &self.theta), ("x", &self.x), (problem.target(), &self.target)]
    }
}
