//! `saddle sweep`: every architecture × solver × seed of a plan (or one shard of it), run in
//! parallel, one JSON line per run, and the category counts per solver on stdout.

use saddle_solvers::{ChainSpec, Control, SolverKind};
use serde_json::{Value, json};

use crate::args::SweepArgs;
use crate::args::definition;
use crate::commands::progress_bar;
use crate::error::{CliError, Result};
use crate::experiments::Category;
use crate::experiments::sweep::{self, Plan};
use crate::io::OutputFiles;

/// Runs the shard of the plan, writes the JSON lines, and returns the counts.
pub fn run(args: &SweepArgs) -> Result<Value> {
    if !(args.gtol.is_finite() && args.gtol >= 0.0) {
        return Err(CliError::Invalid(format!("--gtol must be a non-negative number, got {}", args.gtol)));
    }
    let plan = Plan {
        problem: definition(&args.problem, args.data.as_deref())?,
        archs: args.arch.clone(),
        act: args.act,
        solvers: solvers(args),
        seeds: args.first_seed..args.first_seed.saturating_add(args.seeds),
        control: Control { max_iter: args.max_iter, gtol: args.gtol, ..Control::default() },
        stationary_tol: args.stationary_tol,
    };
    sweep::check(&plan)?;
    let total = plan.runs().iter().filter(|r| args.shard.contains(r.run)).count();
    let progress = progress_bar(total as u64, "sweep");
    let results = sweep::run(&plan, args.shard, &|| progress.inc(1))?;
    progress.finish_and_clear();

    let mut out = OutputFiles::new();
    out.text(&args.out, sweep::json_lines(&results));
    out.commit()?;
    let counts: serde_json::Map<String, Value> = sweep::shares(&results, &plan.solvers)
        .into_iter()
        .map(|(solver, counts)| {
            let by_category: serde_json::Map<String, Value> =
                Category::ALL.iter().zip(counts).map(|(c, k)| (c.name().to_string(), json!(k))).collect();
            (solver.to_string(), Value::Object(by_category))
        })
        .collect();
    Ok(json!({
        "runs": results.len(),
        "plan_runs": plan.runs().len(),
        "shard": args.shard.to_string(),
        "out": args.out.display().to_string(),
        "counts": counts,
    }))
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
