//! `saddle fit`: one solver from one start, every iterate recorded (streamed to `--out` as
//! it is made), checkpoints to resume from, and the end point classified by the exact
//! Hessian's spectrum.

use std::path::Path;

use saddle_solvers::{ChainSpec, Control, Evals, Method, SolverKind, StageEnd};

use crate::args::FitArgs;
use serde_json::{Value, json};

use crate::study::checkpoint::{Checkpoint, Continuation, RunIdentity, StageTracker, add_evals};
use crate::study::compiled::{Derivatives, Programs};
use crate::study::error::{CliError, Result};
use crate::study::experiments::{Category, fit_streaming, mark_analysis};
use crate::study::io::jsonl::{LineStream, read_complete_lines};
use crate::study::io::npy::read_finite_npy_vector;
use crate::study::io::output::{OutputFiles, check_paths, same_file};
use crate::study::memory::{self, Needs};
use crate::study::problem::NetworkProblem;
use crate::study::problem_file::TermLosses;
use crate::study::progress::progress_bar;

/// Iterations between checkpoints when `--checkpoint-every` is not given.
const CHECKPOINT_EVERY: usize = 100;

/// Iterations between records that carry a problem file's term losses when
/// `--terms-every` is not given: each costs an evaluation of the residuals (about 40% of an
/// Adam iteration on `heat1d.toml`), so every record would slow first-order runs.
const TERMS_EVERY: usize = 10;

/// Fits (from a checkpoint with `--resume`), streams the records, writes checkpoints and
/// the final parameters, and returns the summary.
pub fn run(args: &FitArgs) -> Result<Value> {
    check_files(args)?;
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
    let every = args.checkpoint_every.unwrap_or(CHECKPOINT_EVERY);
    if every == 0 {
        return Err(CliError::Invalid("--checkpoint-every must be at least 1, got 0".into()));
    }
    let terms_every = args.terms_every.unwrap_or(TERMS_EVERY);
    if terms_every == 0 {
        return Err(CliError::Invalid("--terms-every must be at least 1, got 0".into()));
    }
    let spec = solver_spec(args)?;
    spec.method().map_err(CliError::Invalid)?;
    let (def, problem) = args.problem.load()?;
    let n = problem.param_count();
    let arch = problem.arch();
    spec.check_size(n, def.points()).map_err(CliError::Invalid)?;
    if args.curvature_every.is_some() {
        crate::study::compiled::check_dense_hessian("--curvature-every", n)?;
    }
    let source = problem.source();
    let mut needs = Needs::default();
    needs.add_solver(&spec, n, def.points());
    needs.add_analysis(n);
    if args.curvature_every.is_some() {
        needs.add_curvature(n);
    }
    if matches!(problem, NetworkProblem::File(_)) {
        // The term losses evaluate the residuals.
        needs.programs.push(Programs::Residual);
    }
    needs.other += memory::solution_error_bytes(&def, arch);
    memory::check(needs.bytes(source, true)?, || {
        format!("fit of {}", memory::problem_size(&def.name(), def.points(), arch))
    })?;
    let derivs = Derivatives::new(source)?;
    let identity = RunIdentity {
        problem: def.name(),
        data: args.problem.data.as_ref().map(|d| d.display().to_string()),
        arch: arch.to_string(),
        act: problem.act().name().to_string(),
        solver: spec.to_string(),
        options: json!(spec.stages),
    };
    let resume = match &args.resume {
        Some(path) if path.exists() => {
            let ck = Checkpoint::read(path)?;
            ck.check_identity(path, &identity)?;
            if ck.theta.len() != n {
                return Err(CliError::npy(path, format!("θ of {n} values"), ck.theta.len().to_string()));
            }
            Some(ck)
        }
        _ => None,
    };
    let theta0 = match (&resume, &args.params) {
        (Some(ck), _) => ck.theta.clone(),
        (None, Some(path)) => read_finite_npy_vector(path, n, &problem.params_what())?,
        (None, None) => problem.initial_theta(args.seed),
    };
    let mut error = def.solution_error(arch, problem.act())?;
    let start = resume.as_ref().map_or(0, |ck| ck.iteration);
    let (evals0, seconds0) = resume.as_ref().map_or((Evals::default(), 0.0), |ck| (ck.evals, ck.seconds));

    // A chain continues in the stage it was in, with what is left of the counts; a plain
    // solver with what is left of --max-iter.
    let chain = spec.total_iterations().is_some();
    let continuation =
        Continuation::of(&spec, resume.as_ref().and_then(|ck| ck.chain.clone()).unwrap_or_default());
    let (run_spec, max_iter) = if chain {
        (continuation.spec.clone().unwrap_or_else(|| spec.clone()), continuation.budget())
    } else {
        (spec.clone(), args.max_iter.saturating_sub(start))
    };
    let mut method = run_spec.method().map_err(CliError::Invalid)?;
    let mut method = StageTracker::new(method.as_mut());
    let ends = method.ends();
    let stop = method.stop();
    let control = Control {
        max_iter,
        gtol: args.gtol,
        curvature_every: args.curvature_every,
        max_seconds: args.max_seconds,
        first_iter: start,
        ..Control::default()
    };
    let position = |made: usize, local: &[StageEnd]| chain.then(|| continuation.position_after(made, local));

    let mut terms = match &problem {
        NetworkProblem::File(file) => Some(TermLosses::new(file, derivs.clone())),
        NetworkProblem::Builtin(_) if args.terms_every.is_some() => {
            return Err(CliError::Invalid(
                "--terms-every goes with a problem file: the built-in problems have one term".into(),
            ));
        }
        NetworkProblem::Builtin(_) => None,
    };

    // Every argument is checked: now the files.
    let (mut stream, has_start) = match (&args.out, &resume) {
        (Some(path), Some(ck)) => continue_records(path, ck.iteration)?,
        (Some(path), None) => (Some(LineStream::create(path)?), false),
        (None, _) => (None, false),
    };
    let progress = progress_bar((start + max_iter) as u64, method.name());
    let mut failure = None;
    let mut last = (start, seconds0);
    let done = fit_streaming(
        source,
        derivs,
        &mut method,
        theta0,
        &control,
        error.as_mut(),
        &mut |record, x, rel_l2| {
            if failure.is_some() {
                return;
            }
            let evals = add_evals(record.evals, evals0);
            let seconds = record.seconds + seconds0;
            last = (record.iter, seconds);
            if let Some(stream) = &mut stream
                && !(has_start && record.iter == start)
            {
                let mut line = serde_json::to_value(record).expect("records serialize");
                line["evals"] = json!(evals);
                line["seconds"] = json!(seconds);
                line["rel_l2"] = json!(rel_l2);
                if let Some(terms) = &mut terms
                    && record.iter.is_multiple_of(terms_every)
                {
                    match terms.json(x) {
                        Ok(t) => line["terms"] = t,
                        Err(e) => {
                            failure = Some(e);
                            stop.set(true);
                            return;
                        }
                    }
                }
                if record.iter == 0 {
                    line["options"] = json!(spec.stages);
                }
                if let Err(e) = stream.line(&line.to_string()) {
                    failure = Some(e);
                    stop.set(true);
                    return;
                }
            }
            progress.set_position(record.iter as u64);
            progress.set_message(format!("loss {:.3e}  |g| {:.3e}", record.loss, record.grad_norm));
            if let Some(path) = &args.checkpoint
                && record.iter > start
                && record.iter.is_multiple_of(every)
            {
                let ck = Checkpoint {
                    identity: identity.clone(),
                    iteration: record.iter,
                    seconds,
                    evals,
                    chain: position(record.iter - start, &ends.borrow()),
                    theta: x.to_vec(),
                };
                if let Err(e) = ck.write(path, &spec) {
                    failure = Some(e);
                    stop.set(true);
                }
            }
        },
    )?;
    progress.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let (outcome, end) = (&done.outcome, &done.endpoint);
    let iterations = start + outcome.iterations;
    let evals = add_evals(outcome.evals, evals0);
    let local_ends = method.stage_ends();

    if let Some(stream) = &mut stream {
        stream.sync()?;
    }
    if let Some(path) = &args.checkpoint {
        let ck = Checkpoint {
            identity: identity.clone(),
            iteration: last.0,
            seconds: last.1,
            evals,
            chain: position(last.0 - start, &local_ends),
            theta: outcome.last.x.clone(),
        };
        ck.write(path, &spec)?;
    }
    let mut out = OutputFiles::new();
    if let Some(path) = &args.params_out {
        out.vector(path, &outcome.last.x);
    }
    out.commit()?;
    let mut summary = json!({
        "solver": spec.to_string(),
        "options": spec.stages,
        "status": outcome.status.name(),
        "iterations": iterations,
        "loss": end.loss,
        "grad_norm": end.grad_norm,
        "category": Category::of(end, args.stationary_tol).name(),
        "stationary_tol": args.stationary_tol,
        "classification": end.curvature.classification.name(),
        "inertia": end.inertia(),
        "min_eig": end.curvature.min_eig,
        "max_eig": end.curvature.max_eig,
        "analysis": end.analysis,
        "rel_l2": done.rel_l2,
        "terms": terms.as_mut().map(|t| t.json(&outcome.last.x)).transpose()?,
        "params": n,
        "problem": def.name(),
        "arch": arch.to_string(),
        "act": problem.act().name(),
        "points": def.points(),
        "evals": evals,
    });
    if args.params.is_none() {
        summary["seed"] = json!(args.seed);
    }
    if let Some(free) = &end.matrix_free {
        summary["lanczos"] = json!(free.lanczos);
        summary["negative_estimate"] = json!(free.negative_estimate);
    }
    mark_analysis(&mut summary, end);
    if let Some(values) = problem.parameters_json(&outcome.last.x) {
        summary["parameters"] = values;
    }
    if let Some(errors) = &done.rel_l2_outputs {
        summary["rel_l2_outputs"] = errors.clone();
    }
    if let (Some(ck), Some(path)) = (&resume, &args.resume) {
        summary["resumed"] = json!({
            "from": ck.iteration,
            "checkpoint": path.display().to_string(),
            "solver_state": ck.solver_state(&spec),
        });
    }
    if spec.stages.len() > 1 {
        // How each stage the run reached ended: those that handed over, then the last.
        let reached = continuation.position_after(outcome.iterations, &local_ends);
        let mut stages = reached.ended;
        let last = match continuation.spec {
            Some(_) => {
                StageEnd { solver: method.name(), iterations: reached.iterations, status: outcome.status }
            }
            // Every count was used up before this part of the run: the last stage is the
            // last that ended.
            None => {
                let mut last = stages.pop().expect("a used-up chain has ended stages");
                last.status = outcome.status;
                last
            }
        };
        stages.push(last);
        summary["stages"] = json!(stages);
    }
    Ok(summary)
}

/// Checks every output path against the inputs and the other outputs before any work.
/// `--checkpoint` may name the `--resume` file: it is meant to be replaced.
fn check_files(args: &FitArgs) -> Result<()> {
    let mut inputs = super::problem_inputs(&args.problem);
    if let Some(params) = &args.params {
        inputs.push(("--params", params));
    }
    if let Some(resume) = &args.resume
        && !args.checkpoint.as_ref().is_some_and(|ck| same_file(ck, resume) || ck == resume)
    {
        inputs.push(("--resume", resume));
    }
    let outputs: Vec<(&str, &Path)> =
        [("--out", &args.out), ("--params-out", &args.params_out), ("--checkpoint", &args.checkpoint)]
            .into_iter()
            .filter_map(|(flag, path)| path.as_deref().map(|p| (flag, p)))
            .collect();
    check_paths(&inputs, &outputs)
}

/// The `--out` stream of a resumed run: an existing file keeps its records up to the
/// checkpoint's iteration `at` (a cut-off last line and later records are dropped) and
/// continues after them; `true` when it holds the record of `at` itself. A missing file is
/// created.
fn continue_records(path: &Path, at: usize) -> Result<(Option<LineStream>, bool)> {
    let (lines, _) = read_complete_lines(path)?;
    if lines.is_empty() {
        return Ok((Some(LineStream::create(path)?), false));
    }
    let (mut keep, mut last) = (0u64, None);
    for line in &lines {
        let iter = serde_json::from_str::<Value>(line).ok().and_then(|v| v["iter"].as_u64());
        match iter {
            Some(k) if k as usize <= at && last.is_none_or(|l| k > l) => {
                keep += line.len() as u64 + 1;
                last = Some(k);
            }
            _ => break,
        }
    }
    Ok((Some(LineStream::continue_after(path, keep)?), last == Some(at as u64)))
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
