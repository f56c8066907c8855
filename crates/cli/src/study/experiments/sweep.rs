//! Multi-seed sweeps: every (architecture, solver, seed) of a plan fitted independently,
//! in parallel on rayon's threads, each run's numbers independent of the thread count and
//! of which shard computes it.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use saddle_graph::{Activation, Arch};
use saddle_solvers::{ChainSpec, Control, Evals, Stage};
use serde::Serialize;

use crate::study::compiled::Derivatives;
use crate::study::error::{CliError, Result};
use crate::study::experiments::{Category, analysis_skipped, fit_streaming};
use crate::study::memory::{self, Needs};
use crate::study::problem::{NetworkProblem, ProblemDef};
use crate::study::problem_file::SolutionError;

/// What a sweep runs: every architecture × solver × seed on one problem.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The objective and its points.
    pub problem: ProblemDef,
    /// The architectures, in order.
    pub archs: Vec<Arch>,
    /// The hidden-layer activation.
    pub act: Activation,
    /// The solvers, in order: each one solver or a chain (every solver with its default
    /// hyperparameters; a chain's counts are its budget in place of `control.max_iter`).
    pub solvers: Vec<ChainSpec>,
    /// The seeds of the Glorot-normal initializations.
    pub seeds: std::ops::Range<u64>,
    /// Iteration limit and stopping tolerance of every run.
    pub control: Control,
    /// A run reached a stationary point when its final ‖∇L‖ ≤ this.
    pub stationary_tol: f64,
}

/// One run of a plan; `run` numbers the plan's runs from 0 in architecture-major,
/// then solver, then seed order.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// Position in the plan.
    pub run: usize,
    /// The architecture.
    pub arch: Arch,
    /// The solver or chain.
    pub solver: ChainSpec,
    /// The initialization's seed.
    pub seed: u64,
}

impl Plan {
    /// Every run of the plan, in order.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut runs = Vec::new();
        for arch in &self.archs {
            for solver in &self.solvers {
                for seed in self.seeds.clone() {
                    runs.push(RunSpec { run: runs.len(), arch: arch.clone(), solver: solver.clone(), seed });
                }
            }
        }
        runs
    }
}

/// Part `index` (1-based) of `count`: the runs whose number is ≡ index − 1 (mod count), so
/// shards of a plan are disjoint, cover it, and have near-equal mixes of sizes and solvers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, 1 ..= count.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl Shard {
    /// The whole plan.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Whether run number `run` belongs to this shard.
    pub fn contains(&self, run: usize) -> bool {
        run % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("'{s}' is not a shard: expected I/N with 1 ≤ I ≤ N, e.g. 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One run's result: one JSON line of `saddle sweep`.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Position in the plan.
    pub run: usize,
    /// `regression`, `pinn` or the problem file.
    pub problem: String,
    /// The architecture, e.g. `1,10,1`.
    pub arch: String,
    /// The activation.
    pub act: &'static str,
    /// The solver's name, or the chain's text (e.g. `adam:100,lbfgs:400`).
    pub solver: String,
    /// Each stage's solver, count and effective options.
    pub options: Vec<Stage>,
    /// The initialization's seed.
    pub seed: u64,
    /// The number of parameters.
    pub params: usize,
    /// The solver's final status.
    pub status: &'static str,
    /// Iterations taken.
    pub iterations: usize,
    /// Final loss.
    pub loss: f64,
    /// Final ‖∇L‖₂.
    pub grad_norm: f64,
    /// The exact Hessian's classification at the end (zero: |λ| ≤ 1e-10·max|λ|); null
    /// when the analysis was skipped.
    pub classification: Option<&'static str>,
    /// [negative, zero, positive] eigenvalue counts; null when the analysis was skipped or
    /// matrix-free (above the dense limit).
    pub inertia: Option<[usize; 3]>,
    /// Smallest eigenvalue (NaN, written null, when the analysis was skipped).
    pub min_eig: f64,
    /// Largest eigenvalue (NaN, written null, when the analysis was skipped).
    pub max_eig: f64,
    /// The index: the fraction of negative eigenvalues (NaN, written null, when the
    /// analysis was skipped or matrix-free).
    pub index: f64,
    /// Why the end point's Hessian was not analysed ([`analysis_skipped`]); null when it was.
    pub analysis_skipped: Option<&'static str>,
    /// `fitted`, `minimum`, `degenerate`, `saddle` or `not_converged` (see [`Category`]).
    pub category: Category,
    /// ‖output weights‖₂ at the end.
    pub output_weight_norm: f64,
    /// ‖Lu‖ / ‖target‖ at the end.
    pub fit_ratio: f64,
    /// max_k |cos(φ_k, target)| at the end.
    pub max_target_cosine: f64,
    /// max_k |cos(φ_k, target − mean(target))| at the end (modulo the output bias).
    pub max_centered_target_cosine: f64,
    /// How many features are constant over the points (saturated units).
    pub constant_features: usize,
    /// ‖u − u*‖₂ / ‖u*‖₂ at the end; null without an exact solution.
    pub rel_l2: Option<f64>,
    /// Each output's own rel_l2 (output → value), with an exact solution and several
    /// outputs; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_l2_outputs: Option<serde_json::Value>,
    /// The problem file's trainable `[parameters]` at the end (name → value); absent
    /// without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    /// Evaluation counts.
    pub evals: Evals,
}

/// Runs the plan's runs that belong to `shard`, in parallel, and returns their results in
/// plan order; `progress` is called once per finished run (from any thread). A solver
/// whose dense matrices would exceed the limit at some architecture is an error before
/// any run.
pub fn run(plan: &Plan, shard: Shard, progress: &(dyn Fn() + Sync)) -> Result<Vec<RunResult>> {
    let runs: Vec<RunSpec> = plan.runs().into_iter().filter(|r| shard.contains(r.run)).collect();
    let prepared = prepare(plan)?;
    let results = std::sync::Mutex::new(Vec::with_capacity(runs.len()));
    prepared.run_each(&runs, &|result| {
        progress();
        results.lock().expect("no thread panicked holding the results").push(result);
        Ok(())
    })?;
    let mut results = results.into_inner().expect("no thread panicked holding the results");
    results.sort_by_key(|r| r.run);
    Ok(results)
}

/// A plan with each architecture's programs compiled, ready to run.
pub struct Prepared<'a> {
    plan: &'a Plan,
    compiled: Vec<(NetworkProblem, Derivatives, Option<SolutionError>)>,
}

/// Checks every solver at every architecture (a solver whose dense matrices would exceed
/// the limit is an error) and the memory the runs will need (a copy of the largest
/// architecture's programs for each thread), and prepares each architecture's programs
/// (compiled once, when a run first needs them).
pub fn prepare(plan: &Plan) -> Result<Prepared<'_>> {
    let networks: Vec<NetworkProblem> = plan
        .archs
        .iter()
        .map(|arch| {
            let problem = plan.problem.with_network(arch.clone(), plan.act)?;
            for spec in &plan.solvers {
                spec.check_size(problem.param_count(), plan.problem.points()).map_err(CliError::Invalid)?;
                spec.method().map_err(CliError::Invalid)?;
            }
            Ok(problem)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut largest = (0u64, 0);
    for (k, problem) in networks.iter().enumerate() {
        let n = problem.param_count();
        let mut needs = Needs::default();
        for spec in &plan.solvers {
            needs.add_solver(spec, n, plan.problem.points());
        }
        needs.add_analysis(n);
        needs.other += memory::solution_error_bytes(&plan.problem, problem.arch());
        largest = largest.max((needs.bytes(problem.source(), true)?, k));
    }
    // Each thread runs on its own copy of an architecture's programs.
    let threads = rayon::current_num_threads().max(1) as u64;
    memory::check(threads.saturating_mul(largest.0), || {
        let arch = &plan.archs[largest.1];
        let size = memory::problem_size(&plan.problem.name(), plan.problem.points(), arch);
        format!("sweep of {size} on {threads} thread(s)")
    })?;
    let compiled = networks
        .into_iter()
        .map(|problem| {
            let derivs = Derivatives::new(problem.source())?;
            let error = plan.problem.solution_error(problem.arch(), plan.act)?;
            Ok((problem, derivs, error))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Prepared { plan, compiled })
}

impl Prepared<'_> {
    /// Runs `runs` in parallel and hands each result to `on_result` as the run ends (from
    /// any thread, in no particular order); the first error stops the runs not yet started.
    pub fn run_each(
        &self,
        runs: &[RunSpec],
        on_result: &(dyn Fn(RunResult) -> Result<()> + Sync),
    ) -> Result<()> {
        runs.par_iter().try_for_each(|spec| on_result(self.run_one(spec)?))
    }

    /// One run of the plan.
    fn run_one(&self, spec: &RunSpec) -> Result<RunResult> {
        let plan = self.plan;
        let (problem, derivs, error) =
            &self.compiled[plan.archs.iter().position(|a| *a == spec.arch).expect("the run's architecture")];
        let mut method = spec.solver.method().map_err(CliError::Invalid)?;
        let control =
            Control { max_iter: spec.solver.max_iter(plan.control.max_iter), ..plan.control.clone() };
        let theta0 = problem.initial_theta(spec.seed);
        let mut error = error.clone();
        let source = problem.source();
        let done = fit_streaming(
            source,
            derivs.clone(),
            method.as_mut(),
            theta0,
            &control,
            error.as_mut(),
            &mut |_, _, _| {},
        )?;
        let end = &done.endpoint;
        let skipped = analysis_skipped(end);
        let analysed = |v: f64| if skipped.is_some() { f64::NAN } else { v };
        Ok(RunResult {
            run: spec.run,
            problem: plan.problem.name(),
            rel_l2: done.rel_l2,
            rel_l2_outputs: done.rel_l2_outputs.clone(),
            parameters: problem.parameters_json(&done.outcome.last.x),
            arch: spec.arch.to_string(),
            act: plan.act.name(),
            solver: spec.solver.to_string(),
            options: spec.solver.stages.clone(),
            seed: spec.seed,
            params: problem.param_count(),
            status: done.outcome.status.name(),
            iterations: done.outcome.iterations,
            loss: end.loss,
            grad_norm: end.grad_norm,
            classification: skipped.is_none().then(|| end.curvature.classification.name()),
            inertia: end.inertia().filter(|_| skipped.is_none()),
            min_eig: analysed(end.curvature.min_eig),
            max_eig: analysed(end.curvature.max_eig),
            index: end.inertia().map_or(f64::NAN, |_| analysed(end.curvature.inertia.index())),
            analysis_skipped: skipped,
            category: Category::of(end, plan.stationary_tol),
            output_weight_norm: end.output_weight_norm,
            fit_ratio: end.fit_ratio,
            max_target_cosine: end.max_target_cosine(),
            max_centered_target_cosine: end.max_centered_target_cosine(),
            constant_features: end.constant_features(),
            evals: done.outcome.evals,
        })
    }
}

/// The results as JSON Lines, one object per run: what `saddle sweep --out` writes.
pub fn json_lines(results: &[RunResult]) -> String {
    results.iter().map(|r| serde_json::to_string(r).expect("results serialize") + "\n").collect()
}

/// Counts of each category per solver (or chain), in the plan's solver order.
pub fn shares(results: &[RunResult], solvers: &[ChainSpec]) -> Vec<(ChainSpec, [usize; 5])> {
    solvers
        .iter()
        .map(|s| {
            let name = s.to_string();
            let mut counts = [0; 5];
            for r in results.iter().filter(|r| r.solver == name) {
                counts[r.category.index()] += 1;
            }
            (s.clone(), counts)
        })
        .collect()
}

/// The error for a plan that has nothing to run.
pub fn check(plan: &Plan) -> Result<()> {
    if plan.archs.is_empty() || plan.solvers.is_empty() || plan.seeds.is_empty() {
        return Err(CliError::Invalid(
            "the sweep has no runs: give at least one --arch, solver and seed".into(),
        ));
    }
    if !(plan.stationary_tol.is_finite() && plan.stationary_tol >= 0.0) {
        return Err(CliError::Invalid(format!(
            "--stationary-tol must be a non-negative number, got {}",
            plan.stationary_tol
        )));
    }
    let seeds = plan.seeds.end - plan.seeds.start;
    let runs =
        (plan.archs.len() as u64).checked_mul(plan.solvers.len() as u64).and_then(|r| r.checked_mul(seeds));
    if runs.is_none_or(|r| r > MAX_RUNS) {
        return Err(CliError::Invalid(format!(
            "the sweep has {} architecture(s) × {} solver(s) × {seeds} seed(s), more than the maximum {MAX_RUNS} runs",
            plan.archs.len(),
            plan.solvers.len()
        )));
    }
    Ok(())
}

/// The largest number of runs a sweep plan may hold: 10⁶.
pub const MAX_RUNS: u64 = 1_000_000;
