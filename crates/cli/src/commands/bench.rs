//! `saddle bench`: in-process medians of loss, gradient, HVP and full Hessian on
//! generated data, for side-by-side comparisons (e.g. with JAX, `bench/compare_jax.py`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use crate::args::BenchArgs;
use crate::study::compiled::{Derivatives, Programs, planned_bytes};
use crate::study::error::{CliError, Result};
use crate::study::init::glorot_normal;
use crate::study::io::csv::bench_data;
use crate::study::memory;
use crate::study::problem::{NetworkProblem, Problem, ProblemDef, ProblemSpec};
use crate::study::problem_file::ProblemFile;

/// The seed of the benchmark's parameters.
pub const BENCH_SEED: u64 = 0;

/// Times each operation and returns `loss_s`, `grad_s`, `hvp_s`, `hessian_s` (medians,
/// seconds, each call at a new θ; `hessian_s` null when the dense Hessian would pass
/// [`saddle_solvers::DENSE_BYTES_LIMIT`], where it is neither built nor timed),
/// `hvp_same_theta_s` (HVPs at one θ with a new v each
/// call: the primal part is reused) with `params`, `peak_rss_bytes` (the process's peak
/// resident memory, Linux only, else null), the work of each operation (`product_flops`:
/// floating-point operations of its matrix products; `other_values`: values written by
/// its other steps) and the run's settings.
pub fn run(args: &BenchArgs) -> Result<Value> {
    if args.points == Some(0) {
        return Err(CliError::Invalid("--points must be at least 1".into()));
    }
    if !(args.budget.is_finite() && args.budget > 0.0) {
        return Err(CliError::Invalid(format!(
            "--budget must be a positive number of seconds, got {}",
            args.budget
        )));
    }
    let m = &args.model;
    // The generated data goes into the problem without a copy: it can be large.
    let (name, problem) = match (&m.problem, args.points) {
        (ProblemSpec::Builtin(kind), points) => {
            let points = points.unwrap_or(256);
            m.arch.check_points(points).map_err(CliError::Invalid)?;
            let data = bench_data(points, m.arch.input_dim());
            (
                kind.name().to_string(),
                NetworkProblem::Builtin(Problem::new(*kind, m.arch.clone(), m.act, data)?),
            )
        }
        (ProblemSpec::File(path), None) => {
            let def = ProblemDef::File(Arc::new(ProblemFile::load(path)?));
            (def.name(), def.with_network(m.arch.clone(), m.act)?)
        }
        (ProblemSpec::File(path), Some(_)) => {
            return Err(CliError::Invalid(format!(
                "--points does not go with --problem {}: a problem file is timed at its own points",
                path.display()
            )));
        }
    };
    let points = problem.source().residual_count();
    let n = problem.param_count();
    // Two parameter vectors and two directions, alternated from call to call: a program
    // reruns only what depends on inputs whose values changed, so repeating one θ would
    // time a cached result. Each timed call recomputes from θ, as a jitted JAX function
    // does; `hvp_same_theta_s` keeps θ and changes v, as an iterative solver's HVPs do.
    let arch = problem.arch();
    let thetas = [problem.initial_theta(BENCH_SEED), problem.initial_theta(BENCH_SEED + 2)];
    // A direction has a (unit) entry for each of a problem file's [parameters] too.
    let direction = |seed| {
        let mut v = glorot_normal(arch, seed);
        v.resize(n, 1.0);
        v
    };
    let vs = [direction(BENCH_SEED + 1), direction(BENCH_SEED + 3)];
    let mut programs = vec![Programs::Value, Programs::Gradient, Programs::Hvp];
    let mut matrices = 0;
    if (saddle_solvers::DenseMatrix { what: "Hessian", rows: n, cols: n }).fits() {
        programs.push(Programs::Hessian);
        matrices = 8 * n as u64 * n as u64;
    }
    memory::check(planned_bytes(problem.source(), &programs)? + matrices, || {
        format!("bench of {}", memory::problem_size(&name, points, arch))
    })?;
    let mut derivs = Derivatives::new(problem.source())?;
    let mut grad = vec![0.0; n];
    let mut hv = vec![0.0; n];
    let budget = args.budget;
    let loss_s = median_seconds(budget, |k| derivs.loss(&thetas[k % 2]).map(drop))?;
    let grad_s = median_seconds(budget, |k| derivs.gradient(&thetas[k % 2], &mut grad).map(drop))?;
    let hvp_s = median_seconds(budget, |k| derivs.hvp(&thetas[k % 2], &vs[0], &mut hv))?;
    let hvp_same_theta_s = median_seconds(budget, |k| derivs.hvp(&thetas[0], &vs[k % 2], &mut hv))?;
    let dense_fits = (saddle_solvers::DenseMatrix { what: "Hessian", rows: n, cols: n }).fits();
    let hessian_s = if dense_fits {
        let mut hessian = vec![0.0; n * n];
        Some(median_seconds(budget, |k| derivs.hessian(&thetas[k % 2], &mut hessian))?)
    } else {
        None
    };
    let mut costs = derivs.costs()?.to_vec();
    if dense_fits {
        costs.push(("hessian", derivs.hessian_cost()?));
    }
    Ok(json!({
        "problem": name,
        "arch": arch.to_string(),
        "act": problem.act().name(),
        "points": points,
        "params": n,
        "loss_s": loss_s,
        "grad_s": grad_s,
        "hvp_s": hvp_s,
        "hvp_same_theta_s": hvp_same_theta_s,
        "hessian_s": hessian_s,
        "peak_rss_bytes": peak_rss_bytes(),
        "product_flops": costs.iter().map(|(op, c)| (op.to_string(), json!(c.product_flops))).collect::<serde_json::Map<_, _>>(),
        "other_values": costs.iter().map(|(op, c)| (op.to_string(), json!(c.other_values))).collect::<serde_json::Map<_, _>>(),
    }))
}

/// The process's peak resident set size (`VmHWM` of /proc/self/status), where Linux
/// reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Median wall time of `op(k)` (k counts the calls) over at least 5 runs (more while
/// within `budget` seconds, at most 10 000), after one warm-up run.
fn median_seconds(budget: f64, mut op: impl FnMut(usize) -> Result<()>) -> Result<f64> {
    op(0)?;
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < budget && times.len() < 10_000) {
        let t = Instant::now();
        op(times.len() + 1)?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_data_spans_the_interval() {
        let d = bench_data(5, 2);
        assert_eq!(d.inputs, [-1.0, -1.0, -0.5, -0.5, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0]);
        assert_eq!(d.targets[4], 3f64.sin());
        assert_eq!(d.targets[0], (-3f64).sin());
    }
}
