//! The loop every solver shares: evaluation at the start, one [`Method::step`] per
//! iteration, termination tests, records, and the guarantee that a non-finite
//! number ends the run with the last finite iterate kept.

use std::time::Instant;

use crate::analysis::{Curvature, curvature};
use crate::objective::{Counted, Evals, Objective};

/// Termination settings shared by every solver.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    /// Stop after this many iterations.
    pub max_iter: usize,
    /// Converged when ‖∇f‖₂ ≤ gtol.
    pub gtol: f64,
    /// Step too small when ‖xₖ₊₁ − xₖ‖₂ ≤ xtol·(xtol + ‖xₖ‖₂) for an accepted step, or
    /// when a method's trial steps shrink below that size.
    pub xtol: f64,
    /// Every this many iterations (and at the end), record the exact Hessian's inertia
    /// and extreme eigenvalues; `None` for never during the run.
    pub curvature_every: Option<usize>,
    /// Stop (`time_limit`) once this many seconds have passed since the start; `None` for
    /// no limit. The one rule whose outcome depends on the machine.
    pub max_seconds: Option<f64>,
    /// The iteration number of x₀: 0, or where a resumed run left off. Records count
    /// from it and `curvature_every` counts in it; `max_iter` still counts this run's
    /// iterations.
    pub first_iter: usize,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            max_iter: 100,
            gtol: 1e-8,
            xtol: 1e-14,
            curvature_every: None,
            max_seconds: None,
            first_iter: 0,
        }
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// ‖∇f‖ ≤ gtol.
    Converged,
    /// The step (or every trial step) became negligible before convergence.
    StepTooSmall,
    /// The search direction's slope ∇fᵀd rose above −ftol (`lbfgs`'s `ftol`, PyTorch's
    /// tolerance_change rule).
    SlopeTolerance,
    /// The time budget ([`Control::max_seconds`]) ran out.
    TimeLimit,
    /// The iteration limit was reached.
    MaxIterations,
    /// A non-finite value appeared; the last finite iterate is kept.
    Diverged,
    /// The linear system of the step was singular.
    Singular,
    /// The method needs residuals and a Jacobian, and the objective has none.
    NotLeastSquares,
    /// An inner iterative solve used its whole budget without reaching its tolerance, and
    /// the method was told to stop there (`newton-minres(on_stop=stop)`).
    InnerLimit,
}

impl Status {
    /// The name used in summaries and records.
    pub fn name(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::StepTooSmall => "step_too_small",
            Status::SlopeTolerance => "slope_tolerance",
            Status::TimeLimit => "time_limit",
            Status::MaxIterations => "max_iterations",
            Status::Diverged => "diverged",
            Status::Singular => "singular",
            Status::NotLeastSquares => "not_least_squares",
            Status::InnerLimit => "inner_limit",
        }
    }

    /// Every status, in the order of the docs' list.
    pub const ALL: [Status; 9] = [
        Status::Converged,
        Status::StepTooSmall,
        Status::SlopeTolerance,
        Status::TimeLimit,
        Status::MaxIterations,
        Status::Diverged,
        Status::Singular,
        Status::NotLeastSquares,
        Status::InnerLimit,
    ];

    /// The status called `name` in summaries and records.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The iterate a method works from: x, f(x), ∇f(x).
#[derive(Clone, Debug, PartialEq)]
pub struct Iterate {
    /// The point.
    pub x: Vec<f64>,
    /// f(x).
    pub loss: f64,
    /// ∇f(x).
    pub grad: Vec<f64>,
}

impl Iterate {
    /// Evaluates f and ∇f at `x`.
    pub fn at(f: &mut Counted<'_>, x: Vec<f64>) -> Iterate {
        let mut grad = vec![0.0; x.len()];
        let loss = f.gradient(&x, &mut grad);
        Iterate { x, loss, grad }
    }

    /// ‖∇f‖₂.
    pub fn grad_norm(&self) -> f64 {
        norm(&self.grad)
    }

    /// Whether x, f and ∇f are all finite.
    pub fn is_finite(&self) -> bool {
        self.loss.is_finite() && self.x.iter().chain(&self.grad).all(|v| v.is_finite())
    }
}

/// What one iteration of a method produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The next iterate (equal to the current one if the trial step was rejected),
    /// with the method's own quantities for the record.
    Next {
        /// The new iterate.
        next: Iterate,
        /// Norm of the trial step that was tried (accepted or not).
        trial_norm: f64,
        /// Step length along the search direction (line-search methods).
        step_length: Option<f64>,
        /// Damping λ after this iteration (damped Newton, LM, saddle-free Newton).
        damping: Option<f64>,
        /// Trust radius after this iteration (trust-region methods).
        trust_radius: Option<f64>,
        /// The inner iterative solve that made the step (`newton-minres`; boxed to keep
        /// `Step` small).
        inner: Option<Box<InnerSolve>>,
    },
    /// The step's linear system could not be solved.
    Singular,
    /// A non-finite number appeared inside the method (its step, a model value).
    NonFinite,
    /// The method needs a least-squares objective.
    NotLeastSquares,
    /// The method's own stopping rule holds at the current iterate (e.g. L-BFGS's
    /// `gtol_inf`); the run ends with this status, or a chain moves to its next stage.
    Stop(Status),
}

impl Step {
    /// The next iterate, after a trial step of norm `trial_norm`, with none of the
    /// methods' own quantities (add them with the `with_` builders).
    pub fn next(next: Iterate, trial_norm: f64) -> Step {
        Step::Next { next, trial_norm, step_length: None, damping: None, trust_radius: None, inner: None }
    }

    /// The same step with its step length along the search direction.
    pub fn with_step_length(mut self, alpha: impl Into<Option<f64>>) -> Step {
        if let Step::Next { step_length, .. } = &mut self {
            *step_length = alpha.into();
        }
        self
    }

    /// The same step with the damping λ after the iteration.
    pub fn with_damping(mut self, lambda: impl Into<Option<f64>>) -> Step {
        if let Step::Next { damping, .. } = &mut self {
            *damping = lambda.into();
        }
        self
    }

    /// The same step with the trust radius after the iteration.
    pub fn with_trust_radius(mut self, radius: impl Into<Option<f64>>) -> Step {
        if let Step::Next { trust_radius, .. } = &mut self {
            *trust_radius = radius.into();
        }
        self
    }

    /// The same step with what the inner iterative solve that made it did.
    pub fn with_inner(mut self, solve: impl Into<Option<InnerSolve>>) -> Step {
        if let Step::Next { inner, .. } = &mut self {
            *inner = solve.into().map(Box::new);
        }
        self
    }
}

/// What an inner iterative solve (a Krylov method on Hessian-vector products) did for one
/// step; records carry it as `products` and `residual`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct InnerSolve {
    /// Hessian-vector products this step.
    pub products: usize,
    /// The relative residual reached, ‖Hp + ∇f‖₂ / ‖∇f‖₂.
    pub residual: f64,
}

/// One solver: a name and one iteration at a time; the [`minimize`] loop does the rest.
pub trait Method {
    /// The solver's name as on the command line.
    fn name(&self) -> &'static str;

    /// One iteration from `current`.
    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step;

    /// The stage that made the last step, for a method made of stages (a solver chain).
    fn stage(&self) -> Option<&'static str> {
        None
    }

    /// For a chain, how each stage that handed over to the next ended; empty otherwise.
    fn stage_ends(&self) -> Vec<StageEnd> {
        Vec::new()
    }
}

/// How a stage of a chain handed over: its iterations and the status that ended it
/// (`max_iterations` when its count ran out).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StageEnd {
    /// The stage's solver.
    pub solver: &'static str,
    /// The iterations it made.
    pub iterations: usize,
    /// Why it ended.
    pub status: Status,
}

/// One line of a run's record.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Record {
    /// Iteration (0 is the starting point).
    pub iter: usize,
    /// The solver of a chain's stage that made this step (chains only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<&'static str>,
    /// f(xₖ).
    pub loss: f64,
    /// ‖∇f(xₖ)‖₂.
    pub grad_norm: f64,
    /// ‖xₖ − xₖ₋₁‖₂ (0 for a rejected step and at the start).
    pub step_norm: f64,
    /// Step length along the search direction, if the method has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_length: Option<f64>,
    /// Damping, if the method has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damping: Option<f64>,
    /// Trust radius, if the method has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_radius: Option<f64>,
    /// The inner solve of the step (`products`, `residual`), if the method has one.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub inner: Option<InnerSolve>,
    /// Cumulative evaluation counts.
    pub evals: Evals,
    /// Seconds since the start of the run.
    pub seconds: f64,
    /// Inertia and extreme eigenvalues of the exact Hessian, when requested.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub curvature: Option<Curvature>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Why it stopped.
    pub status: Status,
    /// The final iterate (the last finite one if the run diverged).
    pub last: Iterate,
    /// Iterations performed.
    pub iterations: usize,
    /// Evaluation counts.
    pub evals: Evals,
}

/// Minimizes `objective` from `x0` with `method`, calling `observe` with each record.
pub fn minimize(
    method: &mut dyn Method,
    objective: &mut dyn Objective,
    x0: Vec<f64>,
    control: &Control,
    observe: &mut dyn FnMut(&Record),
) -> Outcome {
    minimize_observing_iterates(method, objective, x0, control, &mut |record, _| observe(record))
}

/// [`minimize`], calling `observe` with each record and the iterate it describes.
pub fn minimize_observing_iterates(
    method: &mut dyn Method,
    objective: &mut dyn Objective,
    x0: Vec<f64>,
    control: &Control,
    observe: &mut dyn FnMut(&Record, &[f64]),
) -> Outcome {
    let start = Instant::now();
    let mut f = Counted::new(objective);
    let mut current = Iterate::at(&mut f, x0);
    let wants_curvature =
        |k: usize| control.curvature_every.is_some_and(|every| every > 0 && k.is_multiple_of(every));
    let first = control.first_iter;
    let mut record = |f: &mut Counted<'_>,
                      k: usize,
                      it: &Iterate,
                      step_norm: f64,
                      step: Option<&Step>,
                      stage: Option<&'static str>| {
        let (step_length, damping, trust_radius, inner) = match step {
            Some(Step::Next { step_length, damping, trust_radius, inner, .. }) => {
                (*step_length, *damping, *trust_radius, inner.as_deref().copied())
            }
            _ => (None, None, None, None),
        };
        let k = first + k;
        let curvature = (wants_curvature(k) && it.is_finite()).then(|| curvature_at(f, &it.x));
        observe(
            &Record {
                iter: k,
                stage,
                loss: it.loss,
                grad_norm: it.grad_norm(),
                step_norm,
                step_length,
                damping,
                trust_radius,
                inner,
                evals: f.evals,
                seconds: start.elapsed().as_secs_f64(),
                curvature,
            },
            &it.x,
        );
    };
    record(&mut f, 0, &current, 0.0, None, method.stage());
    if !current.is_finite() {
        return Outcome { status: Status::Diverged, last: current, iterations: 0, evals: f.evals };
    }
    let mut iterations = 0;
    let status = loop {
        if current.grad_norm() <= control.gtol {
            break Status::Converged;
        }
        if iterations == control.max_iter {
            break Status::MaxIterations;
        }
        if control.max_seconds.is_some_and(|limit| start.elapsed().as_secs_f64() >= limit) {
            break Status::TimeLimit;
        }
        let step = method.step(&mut f, &current);
        if let Step::Stop(status) = step {
            break status;
        }
        iterations += 1;
        let (next, trial_norm) = match &step {
            Step::Next { next, trial_norm, .. } => (next, *trial_norm),
            Step::Singular => break Status::Singular,
            Step::NonFinite => break Status::Diverged,
            Step::NotLeastSquares => break Status::NotLeastSquares,
            Step::Stop(_) => unreachable!("handled above"),
        };
        if !next.is_finite() {
            break Status::Diverged;
        }
        let step_norm = distance(&next.x, &current.x);
        let tiny = control.xtol * (control.xtol + norm(&current.x));
        current = next.clone();
        record(&mut f, iterations, &current, step_norm, Some(&step), method.stage());
        if trial_norm <= tiny {
            break Status::StepTooSmall;
        }
    };
    Outcome { status, last: current, iterations, evals: f.evals }
}

fn curvature_at(f: &mut Counted<'_>, x: &[f64]) -> Curvature {
    let n = x.len();
    let mut h = faer::Mat::zeros(n, n);
    f.hessian_for_analysis(x, h.as_mut());
    curvature(h.as_ref())
}

/// ‖v‖₂.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// ‖a − b‖₂.
pub fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// ⟨a, b⟩.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
