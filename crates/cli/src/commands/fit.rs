//! `saddle fit`: one solver from one start, every iterate recorded, and the end point
//! classified by the exact Hessian's spectrum.

use saddle_solvers::analysis::Method as Analysis;
use saddle_solvers::{ChainSpec, Control, SolverKind, StageEnd};

use crate::args::FitArgs;
use serde_json::{Value, json};

use crate::commands::progress_bar;
use crate::derivatives::Derivatives;
use crate::error::{CliError, Result};
use crate::experiments::{Category, fit};
use crate::init::glorot_normal;
use crate::io::{OutputFiles, read_finite_npy_vector};

/// Fits, writes the requested files (all or none), and returns the summary.
pub fn run(args: &FitArgs) -> Result<Value> {
    for (name, value) in [("--gtol", args.gtol), ("--stationary-tol", args.stationary_tol)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(CliError::Invalid(format!("{name} must be a non-negative number, got {value}")));
        }
    }
    if let Some(seconds) = args.max_seconds
        && !(seconds.is_finite() && seconds > 0.0)
    {
        return Err(CliError::Invalid(format!("--max-seconds must be a positive number, got {seconds}")));
    }
    let spec = solver_spec(args)?;
    let mut method = spec.method().map_err(CliError::Invalid)?;
    let (def, problem) = args.problem.load()?;
    let n = problem.param_count();
    let arch = problem.arch();
    spec.check_size(n, def.points()).map_err(CliError::Invalid)?;
    if args.curvature_every.is_some() {
        crate::derivatives::check_dense_hessian("--curvature-every", n)?;
    }
    let theta0 = match &args.params {
        Some(path) => read_finite_npy_vector(path, n, &format!("the parameter count of --arch {arch}"))?,
        None => glorot_normal(arch, args.seed),
    };
    let mut error = def.solution_error(arch, problem.act())?;
    let control = Control {
        // A chain's counts are its budget; --max-iter bounds a plain solver.
        max_iter: spec.max_iter(args.max_iter),
        gtol: args.gtol,
        curvature_every: args.curvature_every,
        max_seconds: args.max_seconds,
        ..Control::default()
    };
    let progress = progress_bar(control.max_iter as u64, method.name());
    let mut records = String::new();
    let source = problem.source();
    let done = fit(
        source,
        Derivatives::new(source)?,
        method.as_mut(),
        theta0,
        &control,
        error.as_mut(),
        &mut |record, rel_l2| {
            let mut line = serde_json::to_value(record).expect("records serialize");
            line["rel_l2"] = json!(rel_l2);
            if record.iter == 0 {
                line["options"] = json!(spec.stages);
            }
            records.push_str(&line.to_string());
            records.push('\n');
            progress.set_position(record.iter as u64);
            progress.set_message(format!("loss {:.3e}  |g| {:.3e}", record.loss, record.grad_norm));
        },
    )?;
    progress.finish_and_clear();
    let (outcome, end) = (&done.outcome, &done.endpoint);

    let mut out = OutputFiles::new();
    if let Some(path) = &args.out {
        out.text(path, records);
    }
    if let Some(path) = &args.params_out {
        out.vector(path, &outcome.last.x);
    }
    out.commit()?;
    let mut summary = json!({
        "solver": spec.to_string(),
        "options": spec.stages,
        "status": outcome.status.name(),
        "iterations": outcome.iterations,
        "loss": end.loss,
        "grad_norm": end.grad_norm,
        "category": Category::of(end, args.stationary_tol).name(),
        "stationary_tol": args.stationary_tol,
        "classification": end.curvature.classification.name(),
        "inertia": (end.analysis != Analysis::Lanczos).then(|| end.curvature.inertia.as_array()),
        "min_eig": end.curvature.min_eig,
        "max_eig": end.curvature.max_eig,
        "analysis": end.analysis,
        "rel_l2": done.rel_l2,
        "params": n,
        "problem": def.name(),
        "arch": arch.to_string(),
        "act": problem.act().name(),
        "points": def.points(),
        "evals": outcome.evals,
    });
    if args.params.is_none() {
        summary["seed"] = json!(args.seed);
    }
    if spec.stages.len() > 1 {
        // How each stage the run reached ended: those that handed over, then the last.
        let mut stages = method.stage_ends();
        let before: usize = stages.iter().map(|s| s.iterations).sum();
        let last = StageEnd {
            solver: method.name(),
            iterations: outcome.iterations - before,
            status: outcome.status,
        };
        stages.push(last);
        summary["stages"] = json!(stages);
    }
    Ok(summary)
}

/// The solver spec with the command line's shorthands applied: `--learning-rate` sets
/// `lr` and `--line-search` sets `line_search` in every stage that has the option and does
/// not set it itself; a shorthand that no stage takes is an error.
fn solver_spec(args: &FitArgs) -> Result<ChainSpec> {
    let mut spec = args.solver.clone();
    let shorthands = [
        ("--learning-rate", "lr", args.learning_rate.map(|lr| lr.to_string())),
        ("--line-search", "line_search", args.line_search.map(|k| k.name().to_string())),
    ];
    for (flag, option, value) in shorthands {
        let Some(value) = value else { continue };
        if !spec.set_where_unset(option, &value).map_err(CliError::Invalid)? {
            let takers: Vec<&str> = SolverKind::ALL
                .iter()
                .map(|k| k.solver())
                .filter(|s| s.options.iter().any(|o| o.name == option))
                .map(|s| s.name)
                .collect();
            return Err(CliError::Invalid(format!(
                "{flag} sets the option {option} of {}, and --solver {spec} has none",
                takers.join(", ")
            )));
        }
    }
    Ok(spec)
}
