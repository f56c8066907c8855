//! `saddle predict`: a problem file's solution u (the trial of the network output) and any
//! of its derivatives at given points, as CSV.

use serde_json::{Value, json};

use crate::args::PredictArgs;
use crate::study::error::{CliError, Result};
use crate::study::io::npy::read_finite_npy_vector;
use crate::study::io::output::{OutputFiles, check_paths};
use crate::study::memory;
use crate::study::problem::ProblemSpec;
use crate::study::problem_file::ProblemFile;
use crate::study::problem_file::predict::{check_arch, csv_points, derivatives, predict};

/// Evaluates u and the derivatives at `--points` (or the file's test points), writes the
/// CSV (all or nothing) and returns the summary.
pub fn run(args: &PredictArgs) -> Result<Value> {
    let mut inputs = super::problem_inputs_of(&args.model.problem);
    inputs.push(("--params", &args.params));
    if let Some(points) = &args.points {
        inputs.push(("--points", points));
    }
    check_paths(&inputs, &[("--out", &args.out)])?;
    let ProblemSpec::File(path) = &args.model.problem else {
        return Err(CliError::Invalid(format!(
            "predict needs a problem file: --problem {} is built in (examples/problems/sine.toml and \
             poisson1d.toml are regression and pinn as files)",
            match &args.model.problem {
                ProblemSpec::Builtin(kind) => kind.name(),
                ProblemSpec::File(_) => unreachable!("matched above"),
            }
        )));
    };
    let file = ProblemFile::load(path)?;
    let (arch, act) = (&args.model.arch, args.model.act);
    let wanted = match &args.derivatives {
        Some(list) => derivatives(&file, list)?,
        None => Vec::new(),
    };
    let points = match &args.points {
        Some(csv) => csv_points(&file, csv)?,
        None => file.test_points.clone(),
    };
    check_arch(&file, arch, points.len() / file.dim())?;
    // θ is the network's parameters, then the file's [parameters] (which u does not use).
    let n = arch.param_count() + file.parameters.len();
    let what = crate::study::problem::params_what(arch, file.parameters.len());
    let theta = read_finite_npy_vector(&args.params, n, &what)?;
    let theta = &theta[..arch.param_count()];
    let rows = points.len() / file.dim();
    let prediction = predict(&file, arch, act, theta, &points, &wanted, |bytes| {
        memory::check(bytes, || format!("predict at {rows} points with --arch {arch} ({n} parameters)"))
    })?;
    let mut out = OutputFiles::new();
    out.text(&args.out, prediction.csv());
    out.commit()?;
    Ok(json!({
        "problem": path.display().to_string(),
        "arch": arch.to_string(),
        "act": act.name(),
        "params": n,
        "points": prediction.len(),
        "at": if args.points.is_some() { "points" } else { "test" },
        "columns": prediction.headers,
        "out": args.out.display().to_string(),
    }))
}
