//! Compiled derivative programs of a problem's loss: value, value and gradient, Hessian-vector
//! products and the residual's Jacobian-vector and vector-Jacobian products (each over
//! shards of the data, in parallel, for many points), the dense Hessian from one program
//! per parameter block, and the residuals with their dense Jacobian (for Gauss-Newton and
//! Levenberg-Marquardt). Every program is compiled on first use, so a large network
//! compiles (and allocates the buffers of) only what its solver or analysis asks for.

use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use saddle_ad::ParamBlock;
use saddle_graph::{Cost, Graph, Program};

use crate::study::error::{CliError, Result};
use crate::study::loss::{LossGraph, LossSource};

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

/// `Err` when the dense n × n Hessian that `what` needs would pass
/// [`saddle_solvers::DENSE_BYTES_LIMIT`]: one line naming n and the memory.
pub fn check_dense_hessian(what: &str, n: usize) -> Result<()> {
    if (saddle_solvers::DenseMatrix { what: "Hessian", rows: n, cols: n }).fits() {
        return Ok(());
    }
    Err(CliError::Invalid(format!(
        "{what} needs the dense {n} × {n} Hessian ({}), more than the {} limit on a dense matrix",
        saddle_solvers::format_bytes(n as f64 * n as f64 * 8.0),
        saddle_solvers::format_bytes(saddle_solvers::DENSE_BYTES_LIMIT as f64)
    )))
}

/// A family of [`Derivatives`]' programs, for [`planned_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Programs {
    /// The loss ([`Derivatives::loss`]), per shard.
    Value,
    /// The loss and gradient ([`Derivatives::gradient`]), per shard.
    Gradient,
    /// Hessian-vector products ([`Derivatives::hvp`]), per shard.
    Hvp,
    /// J·v and Jᵀw ([`Derivatives::residual_jvp`], [`Derivatives::residual_vjp`]), per shard.
    GaussNewtonProducts,
    /// The dense Hessian ([`Derivatives::hessian`]): a program per parameter block, a copy
    /// per thread from [`PARALLEL_HESSIAN_MIN_PARAMS`] parameters on.
    Hessian,
    /// The residuals ([`Derivatives::residuals`]).
    Residual,
    /// The dense Jacobian ([`Derivatives::jacobian`]): a program per parameter block.
    Jacobian,
}

/// The exact loss, gradient, HVP, Gauss-Newton products and Hessian of one problem on its
/// data, each a compiled program whose data inputs are bound once, compiled when first
/// used.
///
/// The loss, gradient and HVP are sums over data points. With many points they are
/// computed per shard of the points (`Vec<Program>`, one per shard), the shards on
/// every rayon thread, and added in shard order; the shards depend on the number of
/// points only, so results do not depend on the thread count. Clones share what is
/// compiled before or after the clone: each program is derived and compiled once, and
/// every clone runs its own copy.
#[derive(Clone, Debug)]
pub struct Derivatives {
    n: usize,
    m: usize,
    chunk: usize,
    source: Arc<Source>,
    value: Lazy<Vec<Program>>,
    gradient: Lazy<Vec<Program>>,
    hvp: Lazy<Vec<Program>>,
    /// Per shard, J·v: the shard's rows of the residual's Jacobian-vector product.
    residual_jvp: Lazy<Vec<Program>>,
    /// Per shard, Jᵀw over the shard's residuals (added in shard order).
    residual_vjp: Lazy<Vec<Program>>,
    /// One program per parameter block, for the calling thread's share of the Hessian.
    hessian: Lazy<Vec<BlockColumns>>,
    /// Copies of `hessian` for the other rayon threads, made on first use.
    hessian_workers: Vec<Vec<BlockColumns>>,
    residual: Lazy<Program>,
    /// One program per parameter block, for the Jacobian's columns.
    jacobian: Lazy<Vec<BlockColumns>>,
}

/// What the programs are compiled from: the problem's loss graph and data, whole and per
/// shard, and the blocks θ is read in.
#[derive(Debug)]
struct Source {
    whole: Snapshot,
    /// The shards, when there are enough points ([`SHARD_POINTS`]); otherwise `whole` alone.
    shards: Vec<Snapshot>,
    blocks: Vec<ParamBlock>,
}

/// A problem's loss graph with its data inputs, enough to compile any program of it.
#[derive(Debug)]
struct Snapshot {
    graph: LossGraph,
    data: Vec<(String, Vec<f64>)>,
}

impl Snapshot {
    /// The problem's loss graph and a copy of its data.
    fn of(problem: &dyn LossSource) -> Result<Snapshot> {
        let data =
            problem.data_inputs().into_iter().map(|(name, v)| (name.to_string(), v.to_vec())).collect();
        Ok(Snapshot { graph: problem.loss_graph()?, data })
    }

    /// The number of residuals.
    fn residual_len(&self) -> usize {
        let shape = self.graph.graph.shape(self.graph.residual);
        shape.rows * shape.cols
    }

    /// Compiles the loss graph after `build` has added to it (and set the outputs it
    /// wants), with the data inputs bound.
    fn compile(&self, build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>) -> Result<Program> {
        let mut program = Program::compile(&built(&self.graph, build)?)?;
        for (name, values) in &self.data {
            program.set_input(name, values)?;
        }
        Ok(program)
    }
}

/// The loss graph after `build` has added to it (and set the outputs it wants), simplified.
fn built(graph: &LossGraph, build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>) -> Result<Graph> {
    let mut lg = graph.clone();
    let mut g = std::mem::take(&mut lg.graph);
    build(&mut g, &lg)?;
    Ok(g.simplify()?)
}

impl Source {
    /// One program per shard.
    fn compile_shards(&self, build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>) -> Result<Vec<Program>> {
        self.shards.iter().map(|shard| shard.compile(build)).collect()
    }

    /// One program per parameter block, `chunk` of `columns` per run.
    fn compile_blocks(&self, chunk: usize, columns: &BlockGraph) -> Result<Vec<BlockColumns>> {
        self.blocks.iter().map(|&block| BlockColumns::compile(&self.whole, block, chunk, columns)).collect()
    }
}

/// A value built on first use. Clones share the built value (each takes its own copy,
/// the shared one a clone: for programs, without their intermediate buffers); a sole owner
/// takes it without a copy.
#[derive(Clone, Debug)]
struct Lazy<T> {
    shared: Arc<OnceLock<std::result::Result<T, String>>>,
    own: Option<T>,
}

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy { shared: Arc::new(OnceLock::new()), own: None }
    }
}

impl<T: Clone> Lazy<T> {
    /// The value, built by `build` if neither this copy nor a clone has built it yet.
    fn get(&mut self, build: impl FnOnce() -> Result<T>) -> Result<&mut T> {
        if self.own.is_none() {
            let value = match Arc::get_mut(&mut self.shared) {
                Some(cell) => match cell.take() {
                    Some(built) => built.map_err(CliError::Internal)?,
                    None => build()?,
                },
                None => {
                    // The copy that builds keeps what it built and leaves a clone for the
                    // others: a program's clone holds its inputs and outputs only, and
                    // makes the rest on its first run.
                    let mut mine = None;
                    let shared = self.shared.get_or_init(|| match build() {
                        Ok(value) => {
                            let copy = value.clone();
                            mine = Some(value);
                            Ok(copy)
                        }
                        Err(e) => Err(e.to_string()),
                    });
                    match mine {
                        Some(value) => value,
                        None => shared.clone().map_err(CliError::Internal)?,
                    }
                }
            };
            self.own = Some(value);
        }
        Ok(self.own.as_mut().expect("built above"))
    }

    /// The value if it has been built in this copy.
    fn built(&self) -> Option<&T> {
        self.own.as_ref()
    }
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
        source: &Snapshot,
        block: ParamBlock,
        chunk: usize,
        columns: &BlockGraph,
    ) -> Result<BlockColumns> {
        let chunk = chunk.min(block.len());
        let program = source.compile(&|g, lg| block_output(g, lg, columns, block, chunk))?;
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
    /// Prepares the programs of `problem`, each compiled on first use.
    pub fn new(problem: &dyn LossSource) -> Result<Derivatives> {
        Self::with_chunk(problem, DEFAULT_HESSIAN_CHUNK)
    }

    /// As [`Derivatives::new`], computing `chunk` Hessian and Jacobian columns per run.
    pub fn with_chunk(problem: &dyn LossSource, chunk: usize) -> Result<Derivatives> {
        Self::build(problem, chunk, true)
    }

    /// The programs' source, over shards of the data when `shard` and there are enough
    /// points.
    fn build(problem: &dyn LossSource, chunk: usize, shard: bool) -> Result<Derivatives> {
        let n = problem.param_count();
        let whole = Snapshot::of(problem)?;
        let shards = match shard.then(|| shards(problem)).flatten() {
            Some(shards) => shards.iter().map(|s| Snapshot::of(&**s)).collect::<Result<Vec<_>>>()?,
            None => vec![Snapshot::of(problem)?],
        };
        let blocks = saddle_ad::param_blocks(&whole.graph.graph, whole.graph.theta);
        Ok(Derivatives {
            n,
            m: problem.residual_count(),
            chunk: chunk.clamp(1, n.max(1)),
            source: Arc::new(Source { whole, shards, blocks }),
            value: Lazy::default(),
            gradient: Lazy::default(),
            hvp: Lazy::default(),
            residual_jvp: Lazy::default(),
            residual_vjp: Lazy::default(),
            hessian: Lazy::default(),
            hessian_workers: Vec::new(),
            residual: Lazy::default(),
            jacobian: Lazy::default(),
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
        let source = &self.source;
        let value = self.value.get(|| source.compile_shards(&value_graph))?;
        run_shards(value, &|p| p.set_input("theta", theta))?;
        let mut loss = [0.0];
        sum_shards(value, "loss", &mut loss)?;
        Ok(loss[0])
    }

    /// The loss at θ, with the gradient written to `grad`.
    pub fn gradient(&mut self, theta: &[f64], grad: &mut [f64]) -> Result<f64> {
        let gradient = self.gradient.get(|| self.source.compile_shards(&gradient_graph))?;
        run_shards(gradient, &|p| p.set_input("theta", theta))?;
        sum_shards(gradient, "grad", grad)?;
        let mut loss = [0.0];
        sum_shards(gradient, "loss", &mut loss)?;
        Ok(loss[0])
    }

    /// H(θ)·v written to `out`. At the θ of the previous call (bit for bit), only the
    /// part that depends on v is recomputed: an iterative solver's HVPs cost less.
    pub fn hvp(&mut self, theta: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let hvp = self.hvp.get(|| self.source.compile_shards(&hvp_graph))?;
        run_shards(hvp, &|p| {
            p.set_input("theta", theta)?;
            p.set_input("v", v)
        })?;
        sum_shards(hvp, "hvp", out)
    }

    /// J(θ)·v, the residual's Jacobian-vector product (length m), written to `out`: each
    /// shard's rows from its own program.
    pub fn residual_jvp(&mut self, theta: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let jvp = self.residual_jvp.get(|| self.source.compile_shards(&jvp_graph))?;
        run_shards(jvp, &|p| {
            p.set_input("theta", theta)?;
            p.set_input("v", v)
        })?;
        let mut rows = &mut out[..];
        for shard in jvp.iter() {
            let part = shard.output("jvp")?;
            let (head, tail) = std::mem::take(&mut rows).split_at_mut(part.len());
            head.copy_from_slice(part);
            rows = tail;
        }
        Ok(())
    }

    /// J(θ)ᵀ·w, the residual's vector-Jacobian product (length n) for a cotangent `w` of
    /// length m, written to `out`: each shard's part of w through its own program, added
    /// in shard order.
    pub fn residual_vjp(&mut self, theta: &[f64], w: &[f64], out: &mut [f64]) -> Result<()> {
        let source = &self.source;
        let vjp = self.residual_vjp.get(|| source.compile_shards(&vjp_graph))?;
        let mut offsets = Vec::with_capacity(vjp.len() + 1);
        offsets.push(0);
        for shard in &source.shards {
            offsets.push(offsets.last().copied().unwrap_or(0) + shard.residual_len());
        }
        vjp.par_iter_mut().enumerate().try_for_each(|(k, p)| -> Result<()> {
            p.set_input("theta", theta)?;
            p.set_input("w", &w[offsets[k]..offsets[k + 1]])?;
            p.run();
            Ok(())
        })?;
        sum_shards(vjp, "vjp", out)
    }

    /// G(θ)·v = Jᵀ(J·v), the Gauss-Newton matrix's product, written to `out`.
    pub fn gauss_newton_product(&mut self, theta: &[f64], v: &[f64], out: &mut [f64]) -> Result<()> {
        let mut jv = vec![0.0; self.m];
        self.residual_jvp(theta, v, &mut jv)?;
        self.residual_vjp(theta, &jv, out)
    }

    /// The work of one loss, gradient, HVP and HVP at the previous θ (only what depends on
    /// v), as counted by [`Program::cost`]. Compiles those programs if they are not yet.
    pub fn costs(&mut self) -> Result<[(&'static str, Cost); 4]> {
        let source = &self.source;
        let (value, gradient, hvp) = (
            self.value.get(|| source.compile_shards(&value_graph))?,
            self.gradient.get(|| source.compile_shards(&gradient_graph))?,
            self.hvp.get(|| source.compile_shards(&hvp_graph))?,
        );
        let part = |programs: &[Program], changed: &[&str]| {
            programs.iter().fold(Cost::default(), |c, p| c + p.cost(changed))
        };
        let whole = |programs: &[Program]| part(programs, &[]);
        Ok([
            ("loss", whole(value)),
            ("grad", whole(gradient)),
            ("hvp", whole(hvp)),
            ("hvp_same_theta", part(hvp, &["v"])),
        ])
    }

    /// The work of one full Hessian (each block's first column recomputes everything, the
    /// others only what depends on the basis). Compiles its programs if they are not yet.
    pub fn hessian_cost(&mut self) -> Result<Cost> {
        let (source, chunk) = (&self.source, self.chunk);
        let hessian = self.hessian.get(|| source.compile_blocks(chunk, &hessian_block))?;
        Ok(hessian.iter().fold(Cost::default(), |c, bc| {
            let runs = bc.block.len().div_ceil(bc.chunk) as u64;
            c + bc.program.cost(&[]) + bc.program.cost(&["basis"]) * (runs - 1)
        }))
    }

    /// The number of data shards the loss, gradient and HVP are evaluated in.
    pub fn shard_count(&self) -> usize {
        self.source.shards.len()
    }

    /// Whether the dense Hessian's or Jacobian's programs have been compiled (in this copy).
    pub fn dense_programs_built(&self) -> bool {
        self.hessian.built().is_some() || self.jacobian.built().is_some()
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
        let (source, chunk) = (&self.source, self.chunk);
        let hessian = self.hessian.get(|| source.compile_blocks(chunk, &hessian_block))?;
        let threads = if n < PARALLEL_HESSIAN_MIN_PARAMS { 1 } else { rayon::current_num_threads().max(1) };
        while self.hessian_workers.len() + 1 < threads {
            self.hessian_workers.push(hessian.clone());
        }
        let mut tasks = Vec::new();
        let mut rest = &mut *out;
        for (b, bc) in hessian.iter().enumerate() {
            for start in (0..bc.block.len()).step_by(bc.chunk) {
                let width = bc.chunk.min(bc.block.len() - start);
                let (rows, tail) = std::mem::take(&mut rest).split_at_mut(width * n);
                rest = tail;
                tasks.push(Task { block: b, first: bc.block.offset + start, width, rows });
            }
        }
        let queue = Mutex::new(tasks.into_iter());
        let mut workers = std::iter::once(hessian).chain(self.hessian_workers.iter_mut()).take(threads);
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
        let residual = self.residual.get(|| self.source.whole.compile(&residual_graph))?;
        residual.set_input("theta", theta)?;
        residual.run();
        out.copy_from_slice(residual.output("residual")?);
        Ok(())
    }

    /// The Jacobian ∂r/∂θ, row-major m × n, written to `out`: each parameter block's
    /// columns from its own program, `chunk` at a time.
    pub fn jacobian(&mut self, theta: &[f64], out: &mut [f64]) -> Result<()> {
        let (n, m) = (self.n, self.m);
        let (source, chunk) = (&self.source, self.chunk);
        let jacobian = self.jacobian.get(|| source.compile_blocks(chunk, &jacobian_block))?;
        for bc in jacobian.iter_mut() {
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

/// The loss graph as it is (its output the loss).
fn value_graph(_: &mut Graph, _: &LossGraph) -> Result<()> {
    Ok(())
}

/// The loss graph with the gradient as output `grad`.
fn gradient_graph(g: &mut Graph, lg: &LossGraph) -> Result<()> {
    let grad = saddle_ad::grad(g, lg.loss, lg.theta)?;
    g.set_output("grad", grad);
    Ok(())
}

/// The loss graph with input `v` and the HVP H·v as its only output `hvp`.
fn hvp_graph(g: &mut Graph, lg: &LossGraph) -> Result<()> {
    let v = g.input("v", g.shape(lg.theta))?;
    let hv = saddle_ad::hvp(g, lg.loss, lg.theta, v)?;
    g.clear_outputs();
    g.set_output("hvp", hv);
    Ok(())
}

/// The loss graph with input `v` and the residual's Jacobian-vector product J·v as its
/// only output `jvp`.
fn jvp_graph(g: &mut Graph, lg: &LossGraph) -> Result<()> {
    let v = g.input("v", g.shape(lg.theta))?;
    let jv = saddle_ad::directional(g, lg.residual, lg.theta, v)?;
    g.clear_outputs();
    g.set_output("jvp", jv);
    Ok(())
}

/// The loss graph with input `w` and the vector-Jacobian product Jᵀw as its only output
/// `vjp`.
fn vjp_graph(g: &mut Graph, lg: &LossGraph) -> Result<()> {
    let w = g.input("w", g.shape(lg.residual))?;
    let jtw = saddle_ad::vjp(g, lg.residual, lg.theta, w)?;
    g.clear_outputs();
    g.set_output("vjp", jtw);
    Ok(())
}

/// The loss graph with the residual vector as its only output `residual`.
fn residual_graph(g: &mut Graph, lg: &LossGraph) -> Result<()> {
    g.clear_outputs();
    g.set_output("residual", lg.residual);
    Ok(())
}

/// The loss graph with `columns`' `chunk` columns of `block` as its only output `columns`.
fn block_output(
    g: &mut Graph,
    lg: &LossGraph,
    columns: &BlockGraph,
    block: ParamBlock,
    chunk: usize,
) -> Result<()> {
    let out = columns(g, lg, block, chunk)?;
    g.clear_outputs();
    g.set_output("columns", out);
    Ok(())
}

fn hessian_block(
    g: &mut Graph,
    lg: &LossGraph,
    block: ParamBlock,
    chunk: usize,
) -> std::result::Result<saddle_graph::NodeId, saddle_graph::GraphError> {
    saddle_ad::hessian_block_columns(g, lg.loss, lg.theta, block, chunk)
}

fn jacobian_block(
    g: &mut Graph,
    lg: &LossGraph,
    block: ParamBlock,
    chunk: usize,
) -> std::result::Result<saddle_graph::NodeId, saddle_graph::GraphError> {
    saddle_ad::jacobian_block_columns(g, lg.residual, lg.theta, block, chunk)
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
    Snapshot::of(problem)?.compile(build)
}

/// What a program adds to a loss graph (and the outputs it sets).
type Build = dyn Fn(&mut Graph, &LossGraph) -> Result<()>;

/// The bytes the buffers of [`Derivatives`]' `programs` for `problem` hold once compiled,
/// planned without compiling or allocating them, nor copying the data: each family
/// counted once, over the same shards of the data (planned one shard at a time) and
/// parameter blocks, the dense Hessian's programs once per thread that computes it. What
/// a command checks against the memory limit before it builds [`Derivatives`].
pub fn planned_bytes(problem: &dyn LossSource, programs: &[Programs]) -> Result<u64> {
    let whole = problem.loss_graph()?;
    let n = problem.param_count();
    let plan = |graph: &LossGraph, build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>| -> Result<u64> {
        Ok(Program::planned_elements(&built(graph, build)?)? as u64)
    };
    let m = problem.residual_count();
    let count = (m / SHARD_POINTS).clamp(1, MAX_SHARDS);
    let sharded: Vec<&Build> = programs
        .iter()
        .enumerate()
        .filter(|&(k, p)| !programs[..k].contains(p))
        .flat_map(|(_, p)| -> Vec<&Build> {
            match p {
                Programs::Value => vec![&value_graph],
                Programs::Gradient => vec![&gradient_graph],
                Programs::Hvp => vec![&hvp_graph],
                Programs::GaussNewtonProducts => vec![&jvp_graph, &vjp_graph],
                _ => vec![],
            }
        })
        .collect();
    let mut elements = 0u64;
    if !sharded.is_empty() {
        for k in 0..count {
            // One shard at a time, as `Derivatives::new` splits the points (the whole when
            // there are few, or when the problem does not split).
            let shard = if count < 2 { None } else { problem.shard(k * m / count..(k + 1) * m / count) };
            let graph = match &shard {
                Some(s) => s.loss_graph()?,
                None => whole.clone(),
            };
            for build in &sharded {
                elements += plan(&graph, *build)?;
            }
            if shard.is_none() {
                break;
            }
        }
    }
    let blocks = saddle_ad::param_blocks(&whole.graph, whole.theta);
    let chunk = DEFAULT_HESSIAN_CHUNK.clamp(1, n.max(1));
    let plan_blocks = |columns: &BlockGraph| -> Result<u64> {
        blocks
            .iter()
            .map(|&block| {
                let chunk = chunk.min(block.len());
                let program = plan(&whole, &|g, lg| block_output(g, lg, columns, block, chunk))?;
                Ok(program + (chunk * block.len()) as u64)
            })
            .sum()
    };
    for (k, family) in programs.iter().enumerate() {
        if programs[..k].contains(family) {
            continue;
        }
        elements += match family {
            Programs::Hessian => {
                let threads =
                    if n < PARALLEL_HESSIAN_MIN_PARAMS { 1 } else { rayon::current_num_threads().max(1) };
                threads as u64 * plan_blocks(&hessian_block)?
            }
            Programs::Residual => plan(&whole, &residual_graph)?,
            Programs::Jacobian => plan_blocks(&jacobian_block)?,
            _ => 0,
        };
    }
    Ok(8 * elements)
}

/// The bytes of the buffers of the program [`compile`] makes of `problem`'s loss graph
/// with `build`, planned without allocating them (nor copying the data).
pub fn planned_bytes_of(
    problem: &dyn LossSource,
    build: &dyn Fn(&mut Graph, &LossGraph) -> Result<()>,
) -> Result<u64> {
    let elements = Program::planned_elements(&built(&problem.loss_graph()?, build)?)?;
    Ok(8 * elements as u64)
}

/// The loss graph's outputs `features` (its own, or, where a problem does not build them,
/// the columns of ∂r/∂c by forward mode along each output weight c, the basis the
/// identity) and `residual`: the program of the end-point diagnostics.
pub(crate) fn features_graph(source: &dyn LossSource) -> impl Fn(&mut Graph, &LossGraph) -> Result<()> {
    let weights = source.output_weights();
    move |g, lg| {
        let features = match lg.features {
            Some(f) => f,
            None => {
                let k = weights.len();
                let block = ParamBlock { offset: weights.start, rows: k, cols: 1 };
                saddle_ad::jacobian_block_columns(g, lg.residual, lg.theta, block, k)?
            }
        };
        g.clear_outputs();
        g.set_output("features", features);
        g.set_output("residual", lg.residual);
        Ok(())
    }
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
    use crate::study::init::glorot_normal;
    use crate::study::io::csv::bench_data;
    use crate::study::problem::{Problem, ProblemKind};

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
