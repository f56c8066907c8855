//! `saddle sweep`: every architecture × solver × seed of a plan (or one shard of it), run in
//! parallel, one JSON line per run appended as the run ends (and, with `--resume`, only the
//! runs an interrupted sweep left out), and the category counts per solver on stdout; or,
//! with `--merge`, the shards of one sweep merged into one file.

use std::collections::HashSet;
use std::sync::Mutex;

use saddle_solvers::{ChainSpec, Control, SolverKind};
use serde_json::{Value, json};

use crate::args::SweepArgs;
use crate::study::error::{CliError, Result};
use crate::study::experiments::sweep::{self, Plan, RunSpec};
use crate::study::experiments::sweep_file::{self, RunLine};
use crate::study::io::jsonl::LineStream;
use crate::study::io::output::{OutputFiles, check_paths, write_atomically};
use crate::study::problem::{ProblemDef, ProblemSpec};
use crate::study::progress::progress_bar;

/// Runs the shard of the plan (or what `--resume` finds missing of it), streams the JSON
/// lines, sorts the file by run, and returns the counts.
pub fn run(args: &SweepArgs) -> Result<Value> {
    if !args.merge.is_empty() {
        return merge(args);
    }
    let (Some(problem), Some(act)) = (&args.problem, args.act) else {
        return Err(CliError::Invalid("sweep needs --problem, --arch and --act (or --merge)".into()));
    };
    let sidecar = sweep_file::sidecar_path(&args.out);
    let mut inputs = Vec::new();
    if let ProblemSpec::File(path) = problem {
        inputs.push(("--problem", path.as_path()));
    }
    if let Some(data) = &args.data {
        inputs.push(("--data", data.as_path()));
    }
    check_paths(&inputs, &[("--out", &args.out), ("--out's arguments file", &sidecar)])?;
    if !(args.gtol.is_finite() && args.gtol >= 0.0) {
        return Err(CliError::Invalid(format!("--gtol must be a non-negative number, got {}", args.gtol)));
    }
    let plan = Plan {
        problem: ProblemDef::new(problem, args.data.as_deref())?,
        archs: args.arch.clone(),
        act,
        solvers: solvers(args),
        seeds: args.first_seed..last_seed(args)?,
        control: Control { max_iter: args.max_iter, gtol: args.gtol, ..Control::default() },
        stationary_tol: args.stationary_tol,
    };
    sweep::check(&plan)?;
    let arguments = sweep_file::arguments(&plan, args.data.as_deref(), args.shard);
    let kept = if args.resume { finished_runs(args, &sidecar, &arguments)? } else { None };
    let done: HashSet<usize> = kept.iter().flat_map(|(runs, _)| runs.iter().map(|r| r.run)).collect();
    let todo: Vec<RunSpec> =
        plan.runs().into_iter().filter(|r| args.shard.contains(r.run) && !done.contains(&r.run)).collect();
    let prepared = sweep::prepare(&plan)?;

    // Only now, with every argument checked and every program compiled, touch the files.
    let stream = match &kept {
        Some((_, keep)) => LineStream::continue_after(&args.out, *keep)?,
        None => {
            write_atomically(&sidecar, format!("{arguments}\n").into_bytes())?;
            LineStream::create(&args.out)?
        }
    };
    let stream = Mutex::new(stream);
    let progress = progress_bar(todo.len() as u64, "sweep");
    prepared.run_each(&todo, &|result| {
        let line = serde_json::to_string(&result).expect("results serialize");
        stream.lock().expect("no thread panicked holding the stream").line(&line)?;
        progress.inc(1);
        Ok(())
    })?;
    progress.finish_and_clear();
    stream.into_inner().expect("no thread panicked holding the stream").sync()?;

    // Complete: the same file, in plan order.
    let (mut runs, _) = sweep_file::read_runs(&args.out, &arguments)?;
    write_atomically(&args.out, sweep_file::sorted_text(&mut runs).into_bytes())?;
    Ok(json!({
        "runs": runs.len(),
        "plan_runs": plan.runs().len(),
        "shard": args.shard.to_string(),
        "out": args.out.display().to_string(),
        "resumed": done.len(),
        "counts": sweep_file::counts(&runs, &arguments),
    }))
}

/// With `--resume`: the complete runs already in `--out` and the bytes they take, or `None`
/// to start afresh (no file, or one without a complete line). Refuses a file made with
/// other arguments, or one without its arguments file.
fn finished_runs(
    args: &SweepArgs,
    sidecar: &std::path::Path,
    arguments: &Value,
) -> Result<Option<(Vec<RunLine>, u64)>> {
    if !args.out.exists() {
        return Ok(None);
    }
    if !sidecar.exists() {
        let (lines, _) = crate::study::io::jsonl::read_complete_lines(&args.out)?;
        if lines.is_empty() {
            return Ok(None);
        }
        return Err(CliError::Invalid(format!(
            "{}: --resume needs {}, which records the arguments the sweep was made with, and it \
             does not exist; run without --resume to start afresh",
            args.out.display(),
            sidecar.display()
        )));
    }
    let recorded = sweep_file::read_arguments(sidecar)?;
    if let Some((key, then, now)) = sweep_file::first_difference(&recorded, arguments, &[]) {
        return Err(CliError::Invalid(format!(
            "{}: --resume continues the sweep made with {key} {then}, not {now}; give the same \
             arguments, or another --out",
            sidecar.display()
        )));
    }
    sweep_file::read_runs(&args.out, arguments).map(Some)
}

/// `--merge A.jsonl B.jsonl ... --out ALL.jsonl`.
fn merge(args: &SweepArgs) -> Result<Value> {
    let sidecar = sweep_file::sidecar_path(&args.out);
    let sidecars: Vec<_> = args.merge.iter().map(|f| sweep_file::sidecar_path(f)).collect();
    let inputs: Vec<(&str, &std::path::Path)> =
        args.merge.iter().chain(&sidecars).map(|f| ("--merge", f.as_path())).collect();
    check_paths(&inputs, &[("--out", &args.out), ("--out's arguments file", &sidecar)])?;
    let (mut runs, arguments) = sweep_file::merge(&args.merge)?;
    let plan_runs = arguments["plan_runs"].as_u64().unwrap_or(0);
    let mut out = OutputFiles::new();
    out.text(&args.out, sweep_file::sorted_text(&mut runs));
    out.text(&sidecar, format!("{arguments}\n"));
    out.commit()?;
    Ok(json!({
        "runs": runs.len(),
        "plan_runs": plan_runs,
        "missing": plan_runs - runs.len() as u64,
        "shard": arguments["shard"],
        "out": args.out.display().to_string(),
        "merged": args.merge.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "counts": sweep_file::counts(&runs, &arguments),
    }))
}

/// The end of the plan's seeds, FIRST + S (exclusive): an error when it passes the largest
/// seed.
fn last_seed(args: &SweepArgs) -> Result<u64> {
    args.first_seed.checked_add(args.seeds).ok_or_else(|| {
        CliError::Invalid(format!(
            "--first-seed {} with --seeds {} runs past the largest seed: --first-seed + --seeds must be \
             at most {}",
            args.first_seed,
            args.seeds,
            u64::MAX
        ))
    })
}

/// The plan's solvers: the `--solver` values (each one solver or a chain), else the
/// `--solvers` list, else every solver.
fn solvers(args: &SweepArgs) -> Vec<ChainSpec> {
    if !args.chains.is_empty() {
        return args.chains.clone();
    }
    match &args.solvers {
        Some(list) => list.0.clone(),
        None => SolverKind::ALL.iter().map(|&kind| ChainSpec::from(kind)).collect(),
    }
}
