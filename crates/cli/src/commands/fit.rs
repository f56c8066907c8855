//! `saddle fit`: one solver from one start, every iterate recorded, and the end point
//! classified by the exact Hessian's spectrum.

use saddle_solvers::analysis::Method as Analysis;
use saddle_solvers::{Adam, Bfgs, Control, GradientDescent, Lbfgs, Method, SolverKind};

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
    let mut method = method(args)?;
    let (def, problem) = args.problem.load()?;
    let n = problem.param_count();
    let arch = problem.arch();
    args.solver.check_size(n, def.points()).map_err(CliError::Invalid)?;
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
        max_iter: args.solver.max_iter(args.max_iter),
        gtol: args.gtol,
        curvature_every: args.curvature_every,
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
        "solver": args.solver.to_string(),
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
    Ok(summary)
}

/// The solver (or chain) with the hyperparameters given on the command line;
/// `--learning-rate` sets every gd and adam stage, `--line-search` every bfgs and lbfgs
/// stage.
fn method(args: &FitArgs) -> Result<Box<dyn Method>> {
    let kinds: Vec<SolverKind> = args.solver.stages.iter().map(|(k, _)| *k).collect();
    if let (Some(_), false) =
        (args.learning_rate, kinds.iter().any(|k| matches!(k, SolverKind::Gd | SolverKind::Adam)))
    {
        return Err(CliError::Invalid(format!(
            "--learning-rate applies to gd and adam, not to --solver {}",
            args.solver
        )));
    }
    if let (Some(_), false) =
        (args.line_search, kinds.iter().any(|k| matches!(k, SolverKind::Bfgs | SolverKind::Lbfgs)))
    {
        return Err(CliError::Invalid(format!(
            "--line-search applies to bfgs and lbfgs, not to --solver {}",
            args.solver
        )));
    }
    let line_search = args.line_search.unwrap_or_default();
    let mut error = None;
    let mut make = |kind: SolverKind| -> Box<dyn Method> {
        match (kind, args.learning_rate) {
            (SolverKind::Gd, Some(lr)) => match GradientDescent::new(lr) {
                Ok(gd) => Box::new(gd),
                Err(e) => {
                    error = Some(e);
                    kind.with_defaults()
                }
            },
            (SolverKind::Adam, Some(lr)) => {
                match Adam::new(lr, Adam::DEFAULT_BETA1, Adam::DEFAULT_BETA2, Adam::DEFAULT_EPSILON) {
                    Ok(adam) => Box::new(adam),
                    Err(e) => {
                        error = Some(e);
                        kind.with_defaults()
                    }
                }
            }
            (SolverKind::Bfgs, _) => Box::new(Bfgs::default().with_line_search(line_search)),
            (SolverKind::Lbfgs, _) => Box::new(Lbfgs::default().with_line_search(line_search)),
            (kind, _) => kind.with_defaults(),
        }
    };
    let method = args.solver.method(&mut make);
    match error {
        Some(e) => Err(CliError::Invalid(e)),
        None => Ok(method),
    }
}
