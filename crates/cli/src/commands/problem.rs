//! `saddle problem`: what a problem file says — its inputs and outputs, each term's points and scale
//! (its residual and loss at θ = 0) and, with an exact solution, each term's residual there
//! (derivatives by the same transforms as the network's), so a wrong sign or factor shows
//! at once.

use serde_json::{Value, json};

use crate::args::ProblemFileArgs;
use crate::study::error::Result;
use crate::study::problem_file::{ProblemFile, exact_residuals, residuals_at_zero_params};

/// Loads the file and returns its summary.
pub fn run(args: &ProblemFileArgs) -> Result<Value> {
    let file = ProblemFile::load(&args.file)?;
    let residuals = exact_residuals(&file)?;
    let at_start = residuals_at_zero_params(&file)?;
    let terms: Vec<Value> = file
        .terms
        .iter()
        .enumerate()
        .map(|(k, term)| {
            let r = &at_start[k];
            let mut summary = json!({
                "name": term.name,
                "points": term.count,
                "weight": term.weight,
                "scale": {
                    "loss": 0.5 * term.weight * r.iter().map(|x| x * x).sum::<f64>(),
                    "max_abs": max_abs(r),
                    "rms": rms(r),
                },
            });
            if let Some(residuals) = &residuals {
                let r = &residuals[k];
                summary["at_exact"] = json!({
                    "max_abs": max_abs(&r.at_exact),
                    "rms": rms(&r.at_exact),
                    "scale": max_abs(&r.at_zero),
                });
            }
            summary
        })
        .collect();
    let parameters: Vec<Value> = file
        .parameters
        .iter()
        .zip(&file.parameters_exact)
        .map(|((name, initial), exact)| json!({"name": name, "initial": initial, "exact": exact}))
        .collect();
    Ok(json!({
        "file": file.path.display().to_string(),
        "inputs": file.inputs,
        "outputs": file.outputs,
        "points": file.residual_count(),
        "test_points": file.test_points.len() / file.dim(),
        "exact": file.exact.is_some(),
        "test_exact": file.test_exact.is_some(),
        "parameters": parameters,
        "terms": terms,
    }))
}

/// max |vᵢ| (0 for an empty v; NaN if any is NaN).
fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| if x.is_nan() || m.is_nan() { f64::NAN } else { m.max(x.abs()) })
}

/// √(Σ vᵢ² / len).
fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt()
}
