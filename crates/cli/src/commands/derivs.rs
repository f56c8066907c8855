//! `saddle derivs`: the exact loss, gradient, Hessian and HVP at given parameters.

use serde_json::{Value, json};

use crate::args::DerivsArgs;
use crate::study::compiled::{Derivatives, Programs, planned_bytes};
use crate::study::error::{CliError, Result};
use crate::study::io::npy::read_finite_npy_vector;
use crate::study::io::output::{OutputFiles, check_paths};
use crate::study::memory;

/// Computes what `args` asks for, writes the requested files (all or none), and
/// returns the summary: problem, `params` (n), `points`, `loss`, `grad_norm`. A result
/// that is not finite is an error naming it, and nothing is written.
pub fn run(args: &DerivsArgs) -> Result<Value> {
    let mut inputs = super::problem_inputs(&args.problem);
    inputs.push(("--params", &args.params));
    if let Some(v) = &args.hvp {
        inputs.push(("--hvp", v));
    }
    let outputs =
        [("--grad-out", &args.grad_out), ("--hessian-out", &args.hessian_out), ("--hvp-out", &args.hvp_out)];
    let outputs: Vec<_> = outputs.iter().filter_map(|(flag, p)| p.as_deref().map(|p| (*flag, p))).collect();
    check_paths(&inputs, &outputs)?;
    let (def, problem) = args.problem.load()?;
    let n = problem.param_count();
    if args.hessian_out.is_some() {
        crate::study::compiled::check_dense_hessian("--hessian-out", n)?;
    }
    let mut programs = vec![Programs::Gradient];
    let mut dense = 0;
    if args.hessian_out.is_some() {
        programs.push(Programs::Hessian);
        dense = 3 * 8 * n as u64 * n as u64;
    }
    if args.hvp.is_some() {
        programs.push(Programs::Hvp);
    }
    memory::check(planned_bytes(problem.source(), &programs)? + dense, || {
        format!("derivs of {}", memory::problem_size(&def.name(), def.points(), problem.arch()))
    })?;
    let mut derivs = Derivatives::new(problem.source())?;
    let what = problem.params_what();
    let theta = read_finite_npy_vector(&args.params, n, &what)?;
    let direction = args.hvp.as_deref().map(|p| read_finite_npy_vector(p, n, &what)).transpose()?;

    let finite = |what: &str, values: &[f64]| -> Result<()> {
        let Some(i) = values.iter().position(|v| !v.is_finite()) else { return Ok(()) };
        let at = if values.len() > 1 { format!(" at index {i}") } else { String::new() };
        Err(CliError::Invalid(format!(
            "{}: the {what} is not finite at these parameters ({}{at}); nothing written",
            args.params.display(),
            values[i]
        )))
    };
    let mut grad = vec![0.0; n];
    let loss = derivs.gradient(&theta, &mut grad)?;
    finite("loss", &[loss])?;
    finite("gradient", &grad)?;
    let mut out = OutputFiles::new();
    if let Some(path) = &args.grad_out {
        out.vector(path, &grad);
    }
    if let Some(path) = &args.hessian_out {
        let mut hessian = vec![0.0; n * n];
        derivs.hessian(&theta, &mut hessian)?;
        finite("Hessian", &hessian)?;
        out.matrix(path, &hessian, n, n);
    }
    if let (Some(v), Some(path)) = (&direction, &args.hvp_out) {
        let mut hv = vec![0.0; n];
        derivs.hvp(&theta, v, &mut hv)?;
        finite("Hessian-vector product", &hv)?;
        out.vector(path, &hv);
    }
    out.commit()?;
    Ok(json!({
        "problem": def.name(),
        "arch": problem.arch().to_string(),
        "act": problem.act().name(),
        "points": def.points(),
        "params": n,
        "loss": loss,
        "grad_norm": grad.iter().map(|g| g * g).sum::<f64>().sqrt(),
    }))
}
