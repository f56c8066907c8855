//! The study's experiments as library code, shared by `saddle compare`, `saddle sweep` and
//! `cargo xtask figures`: the data sets, one fit with its end-point diagnostics, multi-seed
//! sweeps, the two-parameter landscape and the Gauss-Newton/residual split of the curvature.

pub mod curvature;
pub mod diagnostics;
pub mod landscape;
pub mod sweep;
pub mod sweep_file;

use std::f64::consts::PI;

use saddle_solvers::{Classification, Control, Method, Outcome, Record, minimize_observing_iterates};

use crate::study::compiled::Derivatives;
use crate::study::error::Result;
use crate::study::io::csv::Dataset;
use crate::study::loss::LossSource;
use crate::study::objective::NetworkObjective;
use crate::study::problem_file::SolutionError;
pub use diagnostics::{Endpoint, endpoint};

/// The regression data of the study (and of `examples/sine.csv`): `points` values of x
/// evenly spaced on [0, 1], target y = sin(2πx).
pub fn sine_data(points: usize) -> Dataset {
    let xs: Vec<f64> = (0..points).map(|i| i as f64 / (points.max(2) - 1) as f64).collect();
    one_input(xs, |x| (2.0 * PI * x).sin())
}

/// The PINN data of the study (and of `examples/poisson.csv`): the midpoints of `points`
/// equal cells of (0, 1), source f = π² sin(πx), whose solution is u = sin(πx).
pub fn poisson_data(points: usize) -> Dataset {
    let xs: Vec<f64> = (0..points).map(|i| (i as f64 + 0.5) / points as f64).collect();
    one_input(xs, |x| PI * PI * (PI * x).sin())
}

/// A data set with one input per point and the target `f(x)`.
pub fn one_input(xs: Vec<f64>, f: impl Fn(f64) -> f64) -> Dataset {
    Dataset { targets: xs.iter().map(|&x| f(x)).collect(), n_points: xs.len(), n_inputs: 1, inputs: xs }
}

/// One solver run and where it ended.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The solver's outcome (status, iterations, last iterate, evaluation counts).
    pub outcome: Outcome,
    /// One record per iteration ([`fit`]; empty from [`fit_streaming`]).
    pub records: Vec<Record>,
    /// The diagnostics of the last iterate.
    pub endpoint: Endpoint,
    /// ‖u − u*‖₂ / ‖u*‖₂ at the last iterate, when the problem has an exact solution.
    pub rel_l2: Option<f64>,
    /// Each output's own rel_l2 at the last iterate (output → value), when the problem has
    /// an exact solution and several outputs.
    pub rel_l2_outputs: Option<serde_json::Value>,
}

/// Minimizes `source`'s loss from θ₀ with `method` (with compiled `derivs` of `source`),
/// calling `on_record` after every iteration with the record and, when `error` is given,
/// the iterate's error against the exact solution; then diagnoses the last iterate. The
/// result keeps every record (see [`fit_streaming`] for long runs).
pub fn fit(
    source: &dyn LossSource,
    derivs: Derivatives,
    method: &mut dyn Method,
    theta0: Vec<f64>,
    control: &Control,
    error: Option<&mut SolutionError>,
    on_record: &mut dyn FnMut(&Record, Option<f64>),
) -> Result<Fit> {
    let mut records = Vec::new();
    let mut done =
        fit_streaming(source, derivs, method, theta0, control, error, &mut |record, _, rel_l2| {
            on_record(record, rel_l2);
            records.push(record.clone());
        })?;
    done.records = records;
    Ok(done)
}

/// What [`fit_streaming`] calls after every iteration: the record, the iterate, and its error
/// against the exact solution when there is one.
pub type OnRecord<'a> = dyn FnMut(&Record, &[f64], Option<f64>) + 'a;

/// [`fit`] keeping nothing per iteration: `on_record` sees each record with its iterate
/// (and may stream or checkpoint them) and the result's `records` is empty, so memory does
/// not grow with the iterations.
pub fn fit_streaming(
    source: &dyn LossSource,
    derivs: Derivatives,
    method: &mut dyn Method,
    theta0: Vec<f64>,
    control: &Control,
    mut error: Option<&mut SolutionError>,
    on_record: &mut OnRecord<'_>,
) -> Result<Fit> {
    let mut objective = NetworkObjective::new(derivs);
    let mut failure = None;
    let outcome = minimize_observing_iterates(method, &mut objective, theta0, control, &mut |record, x| {
        let rel_l2 = error.as_deref_mut().and_then(|e| e.rel_l2(x).map_err(|e| failure = Some(e)).ok());
        on_record(record, x, rel_l2);
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let (rel_l2, rel_l2_outputs) = match error {
        None => (None, None),
        Some(e) => {
            let (rel_l2, outputs) = e.rel_l2_with_outputs(&outcome.last.x)?;
            (Some(rel_l2), outputs)
        }
    };
    let endpoint = endpoint(source, objective.derivatives(), &outcome.last.x)?;
    Ok(Fit { outcome, records: Vec::new(), endpoint, rel_l2, rel_l2_outputs })
}

/// Why the end point's Hessian analysis says nothing, or `None` when it was made: the
/// loss, the gradient or the Hessian is not finite there (`non_finite_loss`,
/// `non_finite_gradient`, `non_finite_hessian`), so no classification, inertia or
/// eigenvalue describes it. Summaries then give those fields as null.
pub fn analysis_skipped(end: &Endpoint) -> Option<&'static str> {
    if !end.loss.is_finite() {
        Some("non_finite_loss")
    } else if !end.grad_norm.is_finite() {
        Some("non_finite_gradient")
    } else if !(end.curvature.min_eig.is_finite() && end.curvature.max_eig.is_finite()) {
        Some("non_finite_hessian")
    } else {
        None
    }
}

/// The fields of a summary that describe the end point's Hessian: null when
/// [`analysis_skipped`] gives a reason, which is recorded as `analysis_skipped` (null
/// when the analysis was made).
pub fn mark_analysis(summary: &mut serde_json::Value, end: &Endpoint) {
    let skipped = analysis_skipped(end);
    if skipped.is_some() {
        for key in [
            "classification",
            "inertia",
            "min_eig",
            "max_eig",
            "index",
            "analysis",
            "lanczos",
            "negative_estimate",
        ] {
            if let Some(value) = summary.get_mut(key) {
                *value = serde_json::Value::Null;
            }
        }
    }
    summary["analysis_skipped"] = serde_json::json!(skipped);
}

/// A run fitted the target when ‖r‖ ≤ this·‖target‖ (its loss is within 1e-6 of the
/// target's ½‖target‖², so it sits at the global minimum value 0 to that accuracy).
pub const FIT_TOLERANCE: f64 = 1e-3;

/// Where a run ended, in the classes the study counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// ‖r‖ ≤ [`FIT_TOLERANCE`]·‖target‖: the target is fitted, whatever the gradient says.
    Fitted,
    /// Stationary (‖∇L‖ ≤ the stationarity tolerance) with every Hessian eigenvalue
    /// positive (above 1e-10·max|λ|), but the target is not fitted: a poor local minimum.
    Minimum,
    /// Stationary, no negative eigenvalue but some zero ones: the second-order test cannot
    /// tell (flat directions, e.g. of saturated units or zero output weights).
    Degenerate,
    /// Stationary with at least one negative eigenvalue.
    Saddle,
    /// Neither fitted nor stationary (or not finite).
    NotConverged,
}

impl Category {
    /// The categories in the order figures and tables show them.
    pub const ALL: [Category; 5] =
        [Category::Fitted, Category::Minimum, Category::Degenerate, Category::Saddle, Category::NotConverged];

    /// The position in [`Category::ALL`].
    pub fn index(self) -> usize {
        match self {
            Category::Fitted => 0,
            Category::Minimum => 1,
            Category::Degenerate => 2,
            Category::Saddle => 3,
            Category::NotConverged => 4,
        }
    }

    /// The category of an end point: stationary when ‖∇L‖ ≤ `stationary_tol`.
    pub fn of(endpoint: &Endpoint, stationary_tol: f64) -> Category {
        let stationary = endpoint.grad_norm <= stationary_tol; // false for NaN
        if endpoint.residual_ratio <= FIT_TOLERANCE {
            Category::Fitted
        } else if !stationary {
            Category::NotConverged
        } else {
            // The classification follows the inertia (or, matrix-free, the extremes).
            match endpoint.curvature.classification {
                Classification::Saddle | Classification::Maximum => Category::Saddle,
                Classification::Degenerate => Category::Degenerate,
                Classification::Minimum => Category::Minimum,
            }
        }
    }

    /// The name in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Category::Fitted => "fitted",
            Category::Minimum => "minimum",
            Category::Degenerate => "degenerate",
            Category::Saddle => "saddle",
            Category::NotConverged => "not_converged",
        }
    }
}

#[cfg(test)]
mod tests;
