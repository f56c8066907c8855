//! `saddle derivs`: the exact loss, gradient, Hessian and HVP at given parameters.

use serde_json::{Value, json};

use crate::args::DerivsArgs;
use crate::study::compiled::Derivatives;
use crate::study::error::Result;
use crate::study::io::npy::read_finite_npy_vector;
use crate::study::io::output::{OutputFiles, check_paths};

/// Computes what `args` asks for, writes the requested files (all or none), and
/// returns the summary: problem, `params` (n), `points`, `loss`, `grad_norm`.
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
    let what = format!("the parameter count of --arch {}", problem.arch());
    let theta = read_finite_npy_vector(&args.params, n, &what)?;
    let direction = args.hvp.as_deref().map(|p| read_finite_npy_vector(p, n, &what)).transpose()?;

    let mut derivs = Derivatives::new(problem.source())?;
    let mut grad = vec![0.0; n];
    let loss = derivs.gradient(&theta, &mut grad)?;
    let mut out = OutputFiles::new();
    if let Some(path) = &args.grad_out {
        out.vector(path, &grad);
    }
    if let Some(path) = &args.hessian_out {
        let mut hessian = vec![0.0; n * n];
        derivs.hessian(&theta, &mut hessian)?;
        out.matrix(path, &hessian, n, n);
    }
    if let (Some(v), Some(path)) = (&direction, &args.hvp_out) {
        let mut hv = vec![0.0; n];
        derivs.hvp(&theta, v, &mut hv)?;
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
