//! Compiled derivative programs of a problem's loss: value, value and gradient, Hessian-vector
//! products, the dense Hessian assembled from batched HVP columns, and the residuals
//! with their Jacobian (for Gauss-Newton and Levenberg-Marquardt).

use rayon::prelude::*;
use saddle_graph::{Graph, Program};

use crate::error::Result;
use crate::problem::{LossGraph, LossSource};

/// Below this many parameters the Hessian is computed on the calling thread: the
/// per-thread copies of the program would cost more than they save.
pub const PARALLEL_HESSIAN_MIN_PARAMS: usize = 256;

/// Hessian columns computed per evaluation of the batched HVP program.
pub const DEFAULT_HESSIAN_CHUNK: usize = 16;

/// The exact loss, gradient, HVP and Hessian of one problem on its data, each a
/// compiled program whose data inputs are bound once.
#[derive(Clone, Debug)]
pub struct Derivatives {
    n: usize,
    value: Program,
    gradient: Program,
    hvp: Program,
    hessian: Program,
    residual: Program,
    jacobian: Program,
    m: usize,
    chunk: usize,
    basis: Vec<f64>,
}

impl Derivatives {
    /// Derives and compiles the programs for `problem`.
    pub fn new(problem: &dyn LossSource) -> Result<Derivatives> {
        Self::with_chunk(problem, DEFAULT_HESSIAN_CHUNK)
    }

    /// As [`Derivatives::new`], computing `chunk` Hessian columns per batched evaluation.
    pub fn with_chunk(problem: &dyn LossSource, chunk: usize) -> Result<Derivatives> {
        let n = problem.param_count();
        let chunk = chunk.clamp(1, n.max(1));
        let compile = |build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>| compile(problem, build);
        let value = compile(&|_, _| Ok(()))?;
        let gradient = compile(&|g, lg| {
            let grad = saddle_ad::grad(g, lg.loss, lg.theta)?;
            g.set_output("grad", grad);
            Ok(())
        })?;
        let hvp = compile(&|g, lg| {
            let v = g.input("v", g.shape(lg.theta))?;
            let hv = saddle_ad::hvp(g, lg.loss, lg.theta, v)?;
            g.clear_outputs();
            g.set_output("hvp", hv);
            Ok(())
        })?;
        let hessian = compile(&|g, lg| {
            let columns = saddle_ad::hessian_columns(g, lg.loss, lg.theta, chunk)?;
            g.clear_outputs();
            g.set_output("columns", columns);
            Ok(())
        })?;
        let residual = compile(&|g, lg| {
            g.clear_outputs();
            g.set_output("residual", lg.residual);
            Ok(())
        })?;
        let jacobian = compile(&|g, lg| {
            let columns = saddle_ad::jacobian_columns(g, lg.residual, lg.theta, chunk)?;
            g.clear_outputs();
            g.set_output("columns", columns);
            Ok(())
        })?;
        let m = problem.residual_count();
        Ok(Derivatives {
            n,
            value,
            gradient,
            hvp,
            hessian,
            residual,
            jacobian,
            m,
            chunk,
            basis: vec![0.0; chunk * n],
        })
    }

    /// n, the number of parameters.
    pub fn param_count(&self) -> usize {
        self.n
    }

    /// m, the number of residuals (data points).
    pub fn residual_count(&self) -> usize {
        self.m
    }

    /// The loss at θ.
    pub fn loss(&mut self, theta: &[f64]) -> Result<f64> {
        self.value.set_input("theta", theta)?;
        self.value.run();
        Ok(self.value.output("loss")?[0])
    }

    /// The loss at θ, with the gradient written to `grad`.
    pub fn gradient(&mut self, theta: &[f64], grad: &mut [f64]) -> Result<f64> {
        self.gradient.set_input("theta", theta)?;
        self.gradient.run();
        grad.copy_from_slice(self.gradient.output("grad")?);
        Ok(self.gradient.output("loss")?[0])
    }

    /// H(θ)·v written to `out`.
    pub fn hvp(&mut self, theta: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        self.hvp.set_input("theta", theta)?;
        self.hvp.set_input("v", v)?;
        self.hvp.run();
        out.copy_from_slice(self.hvp.output("hvp")?);
        Ok(())
    }

    /// The dense Hessian H(θ), row-major n × n, written to `out`: the identity's columns
    /// pushed through the batched HVP program, `chunk` at a time, on every rayon thread.
    /// Row j holds H·eⱼ (H is symmetric). Each row is computed by the same operations
    /// whichever thread computes it, so the result does not depend on the thread count.
    pub fn hessian(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        let (n, chunk) = (self.n, self.chunk);
        self.hessian.set_input("theta", theta)?;
        let out = &mut out[..n * n];
        let chunks = n.div_ceil(chunk);
        let threads = if n < PARALLEL_HESSIAN_MIN_PARAMS { 1 } else { rayon::current_num_threads().max(1) };
        if threads == 1 {
            return hessian_rows(&mut self.hessian, &mut self.basis, out, 0, chunk);
        }
        // One full run computes the primal pass at θ; each thread's copy shares it and
        // reruns only the steps that depend on the basis.
        self.hessian.run();
        let per_thread = chunks.div_ceil(threads);
        let base = &self.hessian;
        out.par_chunks_mut(per_thread * chunk * n).enumerate().try_for_each(|(t, block)| {
            let mut program = base.clone();
            hessian_rows(&mut program, &mut vec![0.0; chunk * n], block, t * per_thread * chunk, chunk)
        })
    }

    /// The residuals r(θ) (N of them) written to `out`.
    pub fn residuals(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        self.residual.set_input("theta", theta)?;
        self.residual.run();
        out.copy_from_slice(self.residual.output("residual")?);
        Ok(())
    }

    /// The Jacobian ∂r/∂θ, row-major m × n, written to `out`.
    pub fn jacobian(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.n;
        columns(&mut self.jacobian, &mut self.basis, self.chunk, theta, |i, j, v| out[i * n + j] = v)
    }
}

/// Compiles the loss graph of `problem` after `build` has added to it (and set the
/// outputs it wants), with the data inputs bound.
pub fn compile(
    problem: &dyn LossSource,
    build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>,
) -> Result<Program> {
    let mut lg = problem.loss_graph()?;
    let mut g = std::mem::take(&mut lg.graph);
    build(&mut g, &lg)?;
    let mut program = Program::compile(&g.simplify()?)?;
    for (name, values) in problem.data_inputs() {
        program.set_input(name, values)?;
    }
    Ok(program)
}

/// Rows `first ..` of the Hessian (as many as `block` holds, n each) from the batched HVP
/// `program` whose θ is bound: `chunk` basis columns per run.
fn hessian_rows(
    program: &mut Program,
    basis: &mut [f64],
    block: &mut [f64],
    first: usize,
    chunk: usize,
) -> Result<()> {
    let n = basis.len() / chunk;
    for (c, rows) in block.chunks_mut(chunk * n).enumerate() {
        let start = first + c * chunk;
        let width = rows.len() / n;
        basis.fill(0.0);
        for k in 0..width {
            basis[k * n + start + k] = 1.0;
        }
        program.set_input("basis", basis)?;
        program.run();
        rows.copy_from_slice(&program.output("columns")?[..width * n]);
    }
    Ok(())
}

/// Pushes the identity's columns through a batched directional-derivative `program`
/// (input `basis` of shape `chunk; n, 1`, output `columns` of shape `chunk; rows, 1`),
/// `chunk` at a time, calling `put(row, column, value)` for every entry.
fn columns(
    program: &mut Program,
    basis: &mut [f64],
    chunk: usize,
    theta: &[f64],
    mut put: impl FnMut(usize, usize, f64),
) -> Result<()> {
    let n = theta.len();
    program.set_input("theta", theta)?;
    for start in (0..n).step_by(chunk) {
        let width = chunk.min(n - start);
        basis.fill(0.0);
        for k in 0..width {
            basis[k * n + start + k] = 1.0;
        }
        program.set_input("basis", basis)?;
        program.run();
        let values = program.output("columns")?;
        let rows = values.len() / chunk;
        for k in 0..width {
            for (i, &v) in values[k * rows..(k + 1) * rows].iter().enumerate() {
                put(i, start + k, v);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::bench_data;
    use crate::init::glorot_normal;
    use crate::problem::{Problem, ProblemKind};

    /// The Hessian is bit for bit the same on 1, 2 and 3 threads (n = 301, above the
    /// parallel threshold), and symmetric to rounding.
    #[test]
    fn hessian_does_not_depend_on_the_thread_count() {
        let arch: saddle_graph::Arch = "1,15,15,1".parse().unwrap();
        let problem = Problem::new(
            ProblemKind::Regression,
            arch.clone(),
            saddle_graph::Activation::Tanh,
            bench_data(40, 1),
        )
        .unwrap();
        let n = problem.param_count();
        assert!(n >= PARALLEL_HESSIAN_MIN_PARAMS);
        let theta = glorot_normal(&arch, 5);
        let hessians: Vec<Vec<f64>> = [1, 2, 3]
            .iter()
            .map(|&threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let mut derivs = Derivatives::new(&problem).unwrap();
                let mut h = vec![0.0; n * n];
                pool.install(|| derivs.hessian(&theta, &mut h)).unwrap();
                h
            })
            .collect();
        assert!(hessians[0] == hessians[1] && hessians[1] == hessians[2]);
        let h = &hessians[0];
        let scale = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let asymmetry = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .fold(0.0f64, |m, (i, j)| m.max((h[i * n + j] - h[j * n + i]).abs()));
        assert!(asymmetry <= 1e-12 * scale, "asymmetry {asymmetry:e} of {scale:e}");
    }
}
