//! Compiled derivative programs of a problem's loss: value, value and gradient, Hessian-vector
//! products (each over shards of the data, in parallel, for many points), the dense
//! Hessian from one program per parameter block, and the residuals with their Jacobian
//! (for Gauss-Newton and Levenberg-Marquardt).

use std::sync::Mutex;

use rayon::prelude::*;
use saddle_ad::ParamBlock;
use saddle_graph::{Cost, Graph, Program};

use crate::error::Result;
use crate::problem::{LossGraph, LossSource};

/// Below this many parameters the Hessian is computed on the calling thread: the
/// per-thread copies of the program would cost more than they save.
pub const PARALLEL_HESSIAN_MIN_PARAMS: usize = 256;

/// Hessian (and Jacobian) columns computed per run of their programs: one, so that a
/// column's buffers stay in cache (batches of 16 columns were 20–50% slower at every size
/// measured; docs/PERFORMANCE.md).
pub const DEFAULT_HESSIAN_CHUNK: usize = 1;

/// Data points per shard: with at least twice this many points, the loss, gradient and
/// HVP are evaluated as sums over shards of about this many points.
pub const SHARD_POINTS: usize = 512;

/// At most this many shards, however many points.
pub const MAX_SHARDS: usize = 8;

/// The exact loss, gradient, HVP and Hessian of one problem on its data, each a
/// compiled program whose data inputs are bound once.
///
/// The loss, gradient and HVP are sums over data points. With many points they are
/// computed per shard of the points (`Vec<Program>`, one per shard), the shards on
/// every rayon thread, and added in shard order; the shards depend on the number of
/// points only, so results do not depend on the thread count.
#[derive(Clone, Debug)]
pub struct Derivatives {
    n: usize,
    value: Vec<Program>,
    gradient: Vec<Program>,
    hvp: Vec<Program>,
    /// One program per parameter block, for the calling thread's share of the Hessian.
    hessian: Vec<BlockColumns>,
    /// Copies of `hessian` for the other rayon threads, made on first use.
    hessian_workers: Vec<Vec<BlockColumns>>,
    residual: Program,
    /// One program per parameter block, for the Jacobian's columns.
    jacobian: Vec<BlockColumns>,
    m: usize,
}

/// The Hessian or Jacobian columns of one parameter block
/// ([`saddle_ad::hessian_block_columns`], [`saddle_ad::jacobian_block_columns`]), `chunk`
/// columns per run of its program.
#[derive(Clone, Debug)]
struct BlockColumns {
    block: ParamBlock,
    chunk: usize,
    program: Program,
    /// The basis input, all zeros between runs.
    basis: Vec<f64>,
}

/// Builds a block's batch of columns into a loss graph: `(graph, loss graph, block,
/// columns per run)` to the output node.
type BlockGraph = dyn Fn(
    &mut Graph,
    &LossGraph,
    ParamBlock,
    usize,
) -> std::result::Result<saddle_graph::NodeId, saddle_graph::GraphError>;

impl BlockColumns {
    /// Compiles the columns `columns` builds for `block`, at most `chunk` per run.
    fn compile(
        problem: &dyn LossSource,
        block: ParamBlock,
        chunk: usize,
        columns: &BlockGraph,
    ) -> Result<BlockColumns> {
        let chunk = chunk.min(block.len());
        let program = compile(problem, &|g, lg| {
            let out = columns(g, lg, block, chunk)?;
            g.clear_outputs();
            g.set_output("columns", out);
            Ok(())
        })?;
        Ok(BlockColumns { block, chunk, program, basis: vec![0.0; chunk * block.len()] })
    }

    /// Runs the program (θ bound) on the block's unit vectors `local .. local + width`
    /// (indices within the block) and returns its output, `chunk` columns.
    fn run(&mut self, local: usize, width: usize) -> Result<&[f64]> {
        let len = self.block.len();
        for k in 0..width {
            self.basis[k * len + local + k] = 1.0;
        }
        self.program.set_input("basis", &self.basis)?;
        for k in 0..width {
            self.basis[k * len + local + k] = 0.0;
        }
        self.program.run();
        Ok(self.program.output("columns")?)
    }
}

/// `width` Hessian columns of one block starting at parameter `first`, and the rows
/// `first .. first + width` of the output they fill.
struct Task<'a> {
    block: usize,
    first: usize,
    width: usize,
    rows: &'a mut [f64],
}

impl Derivatives {
    /// Derives and compiles the programs for `problem`.
    pub fn new(problem: &dyn LossSource) -> Result<Derivatives> {
        Self::with_chunk(problem, DEFAULT_HESSIAN_CHUNK)
    }

    /// As [`Derivatives::new`], computing `chunk` Hessian and Jacobian columns per run.
    pub fn with_chunk(problem: &dyn LossSource, chunk: usize) -> Result<Derivatives> {
        Self::build(problem, chunk, true)
    }

    /// The programs, over shards of the data when `shard` and there are enough points.
    fn build(problem: &dyn LossSource, chunk: usize, shard: bool) -> Result<Derivatives> {
        let n = problem.param_count();
        let chunk = chunk.clamp(1, n.max(1));
        let compile = |build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>| compile(problem, build);
        let shards = if shard { shards(problem) } else { None };
        let compile_shards = |build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>| -> Result<Vec<Program>> {
            match &shards {
                Some(shards) => shards.iter().map(|shard| self::compile(&**shard, build)).collect(),
                None => Ok(vec![compile(build)?]),
            }
        };
        let value = compile_shards(&|_, _| Ok(()))?;
        let gradient = compile_shards(&|g, lg| {
            let grad = saddle_ad::grad(g, lg.loss, lg.theta)?;
            g.set_output("grad", grad);
            Ok(())
        })?;
        let hvp = compile_shards(&|g, lg| {
            let v = g.input("v", g.shape(lg.theta))?;
            let hv = saddle_ad::hvp(g, lg.loss, lg.theta, v)?;
            g.clear_outputs();
            g.set_output("hvp", hv);
            Ok(())
        })?;
        let blocks = {
            let lg = problem.loss_graph()?;
            saddle_ad::param_blocks(&lg.graph, lg.theta)
        };
        let per_block = |columns: &BlockGraph| -> Result<Vec<BlockColumns>> {
            blocks.iter().map(|&block| BlockColumns::compile(problem, block, chunk, columns)).collect()
        };
        let hessian = per_block(&|g, lg, block, chunk| {
            saddle_ad::hessian_block_columns(g, lg.loss, lg.theta, block, chunk)
        })?;
        let residual = compile(&|g, lg| {
            g.clear_outputs();
            g.set_output("residual", lg.residual);
            Ok(())
        })?;
        let jacobian = per_block(&|g, lg, block, chunk| {
            saddle_ad::jacobian_block_columns(g, lg.residual, lg.theta, block, chunk)
        })?;
        let m = problem.residual_count();
        Ok(Derivatives {
            n,
            value,
            gradient,
            hvp,
            hessian,
            hessian_workers: Vec::new(),
            residual,
            jacobian,
            m,
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
        run_shards(&mut self.value, &|p| p.set_input("theta", theta))?;
        let mut loss = [0.0];
        sum_shards(&self.value, "loss", &mut loss)?;
        Ok(loss[0])
    }

    /// The loss at θ, with the gradient written to `grad`.
    pub fn gradient(&mut self, theta: &[f64], grad: &mut [f64]) -> Result<f64> {
        run_shards(&mut self.gradient, &|p| p.set_input("theta", theta))?;
        sum_shards(&self.gradient, "grad", grad)?;
        let mut loss = [0.0];
        sum_shards(&self.gradient, "loss", &mut loss)?;
        Ok(loss[0])
    }

    /// H(θ)·v written to `out`. At the θ of the previous call (bit for bit), only the
    /// part that depends on v is recomputed: an iterative solver's HVPs cost less.
    pub fn hvp(&mut self, theta: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        run_shards(&mut self.hvp, &|p| {
            p.set_input("theta", theta)?;
            p.set_input("v", v)
        })?;
        sum_shards(&self.hvp, "hvp", out)
    }

    /// The work of one loss, gradient, HVP, HVP at the previous θ (only what depends on
    /// v) and full Hessian, as counted by [`Program::cost`] (the Hessian: each block's
    /// first column recomputes everything, the others only what depends on the basis).
    pub fn costs(&self) -> [(&'static str, Cost); 5] {
        let part = |programs: &[Program], changed: &[&str]| {
            programs.iter().fold(Cost::default(), |c, p| c + p.cost(changed))
        };
        let whole = |programs: &[Program]| part(programs, &[]);
        let hessian = self.hessian.iter().fold(Cost::default(), |c, bc| {
            let runs = bc.block.len().div_ceil(bc.chunk) as u64;
            c + bc.program.cost(&[]) + bc.program.cost(&["basis"]) * (runs - 1)
        });
        [
            ("loss", whole(&self.value)),
            ("grad", whole(&self.gradient)),
            ("hvp", whole(&self.hvp)),
            ("hvp_same_theta", part(&self.hvp, &["v"])),
            ("hessian", hessian),
        ]
    }

    /// The number of data shards the loss, gradient and HVP are evaluated in.
    pub fn shard_count(&self) -> usize {
        self.value.len()
    }

    /// The dense Hessian H(θ), row-major n × n, written to `out`. Each parameter block's
    /// program gives, for `chunk` of the block's columns at a time, the rows from the
    /// block's first parameter on; row j of `out` holds (H·eⱼ)ᵢ for i ≥ j and the rest
    /// is mirrored from the rows above, so H is exactly symmetric. Chunks are shared out
    /// over the rayon threads; each row is computed by the same operations whichever
    /// thread computes it, so the result does not depend on the thread count.
    pub fn hessian(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.n;
        let out = &mut out[..n * n];
        let threads = if n < PARALLEL_HESSIAN_MIN_PARAMS { 1 } else { rayon::current_num_threads().max(1) };
        while self.hessian_workers.len() + 1 < threads {
            self.hessian_workers.push(self.hessian.clone());
        }
        let mut tasks = Vec::new();
        let mut rest = &mut *out;
        for (b, bc) in self.hessian.iter().enumerate() {
            for start in (0..bc.block.len()).step_by(bc.chunk) {
                let width = bc.chunk.min(bc.block.len() - start);
                let (rows, tail) = std::mem::take(&mut rest).split_at_mut(width * n);
                rest = tail;
                tasks.push(Task { block: b, first: bc.block.offset + start, width, rows });
            }
        }
        let queue = Mutex::new(tasks.into_iter());
        let mut workers =
            std::iter::once(&mut self.hessian).chain(self.hessian_workers.iter_mut()).take(threads);
        let work = |programs: &mut Vec<BlockColumns>| -> Result<()> {
            for bc in programs.iter_mut() {
                bc.program.set_input("theta", theta)?;
            }
            loop {
                let Some(task) = queue.lock().unwrap_or_else(|e| e.into_inner()).next() else {
                    return Ok(());
                };
                block_rows(&mut programs[task.block], n, task)?;
            }
        };
        if threads == 1 {
            workers.try_for_each(work)?;
        } else {
            workers.collect::<Vec<_>>().into_par_iter().try_for_each(work)?;
        }
        mirror_upper_triangle(out, n);
        Ok(())
    }

    /// The residuals r(θ) (N of them) written to `out`.
    pub fn residuals(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        self.residual.set_input("theta", theta)?;
        self.residual.run();
        out.copy_from_slice(self.residual.output("residual")?);
        Ok(())
    }

    /// The Jacobian ∂r/∂θ, row-major m × n, written to `out`: each parameter block's
    /// columns from its own program, `chunk` at a time.
    pub fn jacobian(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        let (n, m) = (self.n, self.m);
        for bc in &mut self.jacobian {
            bc.program.set_input("theta", theta)?;
            let (offset, chunk, len) = (bc.block.offset, bc.chunk, bc.block.len());
            for start in (0..len).step_by(chunk) {
                let width = chunk.min(len - start);
                let columns = bc.run(start, width)?;
                for k in 0..width {
                    for (i, &v) in columns[k * m..(k + 1) * m].iter().enumerate() {
                        out[i * n + offset + start + k] = v;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The shards of `problem`'s data points, when it has enough points and can be split
/// ([`SHARD_POINTS`], [`MAX_SHARDS`]): consecutive runs of nearly equal length.
fn shards(problem: &dyn LossSource) -> Option<Vec<Box<dyn LossSource>>> {
    let m = problem.residual_count();
    let count = (m / SHARD_POINTS).clamp(1, MAX_SHARDS);
    if count < 2 {
        return None;
    }
    (0..count).map(|k| problem.shard(k * m / count..(k + 1) * m / count)).collect()
}

/// Binds each shard's inputs with `bind` and runs it, the shards in parallel when there
/// are several.
fn run_shards(
    shards: &mut [Program],
    bind: &(dyn Fn(&mut Program) -> std::result::Result<(), saddle_graph::GraphError> + Sync),
) -> Result<()> {
    let run = |p: &mut Program| -> Result<()> {
        bind(p)?;
        p.run();
        Ok(())
    };
    match shards {
        [one] => run(one),
        many => many.par_iter_mut().try_for_each(run),
    }
}

/// Writes the sum over shards of output `name` to `out`, adding in shard order.
fn sum_shards(shards: &[Program], name: &str, out: &mut [f64]) -> Result<()> {
    out.copy_from_slice(shards[0].output(name)?);
    for shard in &shards[1..] {
        for (o, v) in out.iter_mut().zip(shard.output(name)?) {
            *o += v;
        }
    }
    Ok(())
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

/// Runs `task` with its block's program (θ bound): the task's columns, written from
/// each column's own index on into its rows of the Hessian.
fn block_rows(bc: &mut BlockColumns, n: usize, task: Task<'_>) -> Result<()> {
    let offset = bc.block.offset;
    let columns = bc.run(task.first - offset, task.width)?;
    let height = n - offset;
    for k in 0..task.width {
        let j = task.first + k;
        let column = &columns[k * height..(k + 1) * height];
        task.rows[k * n + j..(k + 1) * n].copy_from_slice(&column[j - offset..]);
    }
    Ok(())
}

/// Copies the upper triangle of the row-major n × n `h` onto the lower one, in tiles.
fn mirror_upper_triangle(h: &mut [f64], n: usize) {
    const TILE: usize = 64;
    for i0 in (0..n).step_by(TILE) {
        for j0 in (0..=i0).step_by(TILE) {
            for i in i0..(i0 + TILE).min(n) {
                for j in j0..(j0 + TILE).min(i) {
                    h[i * n + j] = h[j * n + i];
                }
            }
        }
    }
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
        assert!(
            (0..n).all(|i| (0..n).all(|j| h[i * n + j] == h[j * n + i])),
            "H is mirrored, exactly symmetric"
        );
    }

    /// With enough points the loss, gradient and HVP are sums over shards of the data:
    /// the same values as over the whole data to rounding, and bit for bit the same on
    /// 1 and 2 threads.
    #[test]
    fn sharded_sums_match_the_whole_data_on_any_thread_count() {
        let arch: saddle_graph::Arch = "1,6,1".parse().unwrap();
        let points = 2 * SHARD_POINTS + 77;
        let problem = Problem::new(
            ProblemKind::Regression,
            arch.clone(),
            saddle_graph::Activation::Tanh,
            bench_data(points, 1),
        )
        .unwrap();
        let n = problem.param_count();
        let (theta, v) = (glorot_normal(&arch, 3), glorot_normal(&arch, 4));
        let evaluate = |derivs: &mut Derivatives| {
            let (mut grad, mut hv) = (vec![0.0; n], vec![0.0; n]);
            let loss = derivs.loss(&theta).unwrap();
            assert_eq!(derivs.gradient(&theta, &mut grad).unwrap(), loss);
            derivs.hvp(&theta, &v, &mut hv).unwrap();
            (loss, grad, hv)
        };
        let mut whole = Derivatives::build(&problem, DEFAULT_HESSIAN_CHUNK, false).unwrap();
        assert_eq!(whole.shard_count(), 1);
        let expected = evaluate(&mut whole);
        let runs: Vec<_> = [1, 2]
            .iter()
            .map(|&threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let mut sharded = Derivatives::new(&problem).unwrap();
                assert_eq!(sharded.shard_count(), 2);
                pool.install(|| evaluate(&mut sharded))
            })
            .collect();
        assert_eq!(runs[0], runs[1], "the same on 1 and 2 threads");
        let (loss, grad, hv) = &runs[0];
        let rel = |a: &[f64], b: &[f64]| {
            let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
        };
        assert!(rel(&[*loss], &[expected.0]) <= 1e-13, "loss {loss} vs {}", expected.0);
        assert!(rel(grad, &expected.1) <= 1e-13, "gradient: {:e}", rel(grad, &expected.1));
        assert!(rel(hv, &expected.2) <= 1e-13, "HVP: {:e}", rel(hv, &expected.2));
    }

    /// HVPs at one θ with new directions (which rerun only what depends on v) and a
    /// gradient and Hessian at an unchanged θ are bit for bit those of fresh programs;
    /// and a new θ is not missed.
    #[test]
    fn repeated_theta_reuses_its_part_with_the_same_bits() {
        let arch: saddle_graph::Arch = "1,5,1".parse().unwrap();
        let problem =
            Problem::new(ProblemKind::Pinn, arch.clone(), saddle_graph::Activation::Tanh, bench_data(9, 1))
                .unwrap();
        let n = problem.param_count();
        let thetas = [glorot_normal(&arch, 5), glorot_normal(&arch, 6)];
        let vs = [glorot_normal(&arch, 7), glorot_normal(&arch, 8)];
        let fresh = |theta: &[f64], v: &[f64]| {
            let mut d = Derivatives::new(&problem).unwrap();
            let (mut grad, mut hv, mut h) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
            d.gradient(theta, &mut grad).unwrap();
            d.hvp(theta, v, &mut hv).unwrap();
            d.hessian(theta, &mut h).unwrap();
            (grad, hv, h)
        };
        let mut reused = Derivatives::new(&problem).unwrap();
        let (mut grad, mut hv, mut h) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * n]);
        for (theta, v) in [(0, 0), (0, 1), (0, 0), (1, 0), (1, 1), (0, 1)] {
            let (theta, v) = (&thetas[theta], &vs[v]);
            reused.gradient(theta, &mut grad).unwrap();
            reused.hvp(theta, v, &mut hv).unwrap();
            reused.hessian(theta, &mut h).unwrap();
            let (g0, hv0, h0) = fresh(theta, v);
            assert_eq!(grad, g0);
            assert_eq!(hv, hv0);
            assert_eq!(h, h0);
        }
        let (g0, _, _) = fresh(&thetas[0], &vs[0]);
        let (g1, _, _) = fresh(&thetas[1], &vs[0]);
        assert_ne!(g0, g1, "the two θ give different gradients, so a missed change would show");
    }
}
