//! `saddle compare`: the headline experiment. Several solvers fit the same network from the
//! same start; for each, where it ended: loss, classification and inertia of the exact
//! Hessian, and whether the learned features are orthogonal to the target.

use saddle_solvers::{ChainSpec, Control};
use serde_json::{Value, json};

use crate::args::CompareArgs;
use crate::study::compiled::Derivatives;
use crate::study::error::{CliError, Result};
use crate::study::experiments::{Category, fit_streaming, mark_analysis};
use crate::study::memory::{self, Needs};
use crate::study::progress::progress_bar;

/// Runs every solver from the seed's initialization and returns one summary per solver.
pub fn run(args: &CompareArgs) -> Result<Value> {
    for (name, value) in [("--gtol", args.gtol), ("--stationary-tol", args.stationary_tol)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(CliError::Invalid(format!("{name} must be a non-negative number, got {value}")));
        }
    }
    let specs: Vec<ChainSpec> =
        if args.chains.is_empty() { args.solvers.0.clone() } else { args.chains.clone() };
    if specs.is_empty() {
        return Err(CliError::Invalid("--solvers names no solver".into()));
    }
    let (def, problem) = args.problem.load()?;
    let mut methods = Vec::new();
    for spec in &specs {
        spec.check_size(problem.param_count(), def.points()).map_err(CliError::Invalid)?;
        methods.push(spec.method().map_err(CliError::Invalid)?);
    }
    let source = problem.source();
    let (n, m) = (problem.param_count(), def.points());
    let mut needs = Needs::default();
    for spec in &specs {
        needs.add_solver(spec, n, m);
    }
    needs.add_analysis(n);
    needs.other += memory::solution_error_bytes(&def, problem.arch());
    memory::check(needs.bytes(source, true)?, || {
        format!("compare of {}", memory::problem_size(&def.name(), m, problem.arch()))
    })?;
    let derivs = Derivatives::new(source)?;
    let theta0 = problem.initial_theta(args.seed);
    let error = def.solution_error(problem.arch(), problem.act())?;
    let control = Control { max_iter: args.max_iter, gtol: args.gtol, ..Control::default() };
    let mut runs = Vec::new();
    for (spec, mut method) in specs.iter().zip(methods) {
        let control = Control { max_iter: spec.max_iter(args.max_iter), ..control.clone() };
        let progress = progress_bar(control.max_iter as u64, &spec.to_string());
        let mut error = error.clone();
        let done = fit_streaming(
            source,
            derivs.clone(),
            method.as_mut(),
            theta0.clone(),
            &control,
            error.as_mut(),
            &mut |r, _, _| {
                progress.set_position(r.iter as u64);
                progress.set_message(format!("loss {:.3e}", r.loss));
            },
        )?;
        progress.finish_and_clear();
        let end = &done.endpoint;
        let mut run = json!({
            "solver": spec.to_string(),
            "options": spec.stages,
            "status": done.outcome.status.name(),
            "iterations": done.outcome.iterations,
            "loss": end.loss,
            "grad_norm": end.grad_norm,
            "category": Category::of(end, args.stationary_tol).name(),
            "rel_l2": done.rel_l2,
            "classification": end.curvature.classification.name(),
            "inertia": end.inertia(),
            "min_eig": end.curvature.min_eig,
            "max_eig": end.curvature.max_eig,
            "output_weight_norm": end.output_weight_norm,
            "fit_ratio": end.fit_ratio,
            "max_target_cosine": end.max_target_cosine(),
            "max_centered_target_cosine": end.max_centered_target_cosine(),
            "constant_features": end.constant_features(),
        });
        if let Some(values) = problem.parameters_json(&done.outcome.last.x) {
            run["parameters"] = values;
        }
        if let Some(errors) = &done.rel_l2_outputs {
            run["rel_l2_outputs"] = errors.clone();
        }
        mark_analysis(&mut run, end);
        runs.push(run);
    }
    Ok(json!({
        "problem": def.name(),
        "arch": problem.arch().to_string(),
        "act": problem.act().name(),
        "points": def.points(),
        "params": problem.param_count(),
        "seed": args.seed,
        "stationary_tol": args.stationary_tol,
        "runs": runs,
    }))
}
