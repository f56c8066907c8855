//! `lbfgs`: limited-memory BFGS (Nocedal & Wright, Alg. 7.5) with the two-loop recursion
//! (Alg. 7.4) and the line search that `bfgs` uses (strong Wolfe, or Hager–Zhang).
//!
//! The last m pairs sᵢ = xᵢ₊₁ − xᵢ, yᵢ = ∇fᵢ₊₁ − ∇fᵢ define Hₖ implicitly: m BFGS updates
//! of Hₖ⁰ = γₖI, γₖ = sₖ₋₁ᵀyₖ₋₁ / yₖ₋₁ᵀyₖ₋₁ (N&W eq. 7.20). Each iteration searches
//! along d = −Hₖ∇fₖ with a unit first trial; with no pairs yet (the first iteration, or
//! after a restart) it searches along −∇f with first trial min(1, 1/‖∇f‖).

use std::collections::VecDeque;

use crate::driver::{Iterate, Method, Status, Step, dot, norm};
use crate::line_search::{QuasiNewtonSearch, quasi_newton_search};
use crate::line_search_kind::{LINE_SEARCH_OPTIONS, LineSearchChoice, LineSearchKind};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{Family, Solver};
use crate::strong_wolfe::Wolfe;

/// Limited-memory BFGS with a strong-Wolfe (default) or Hager–Zhang line search.
///
/// The pairs persist across steps. A step from an iterate other than the one this solver
/// last returned (a new run, or a different problem) starts again with no pairs, so one
/// value can be reused across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs {
    memory: usize,
    line_search: LineSearchChoice,
    /// The newest `memory` pairs, oldest first.
    pairs: VecDeque<Pair>,
    /// The x of the iterate the last step returned.
    last: Vec<f64>,
    /// Stop once max|∇f| ≤ this (0: never).
    gtol_inf: f64,
    /// Stop (`slope_tolerance`) once the slope ∇fᵀd > −ftol (0: never).
    ftol: f64,
}

/// One curvature pair, with ρ = 1/yᵀs.
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

impl Lbfgs {
    /// Default number of pairs kept.
    pub const DEFAULT_MEMORY: usize = 10;
    /// Default sufficient-decrease constant c₁ of the Wolfe conditions.
    pub const DEFAULT_C1: f64 = Wolfe::DEFAULT_C1;
    /// Default curvature constant c₂ of the Wolfe conditions.
    pub const DEFAULT_C2: f64 = Wolfe::DEFAULT_C2;
    /// A pair is not stored when yᵀs ≤ `SKIP_TOLERANCE`·‖s‖‖y‖.
    pub const SKIP_TOLERANCE: f64 = 1e-8;

    /// L-BFGS keeping `memory` (≥ 1) pairs, whose line search enforces the strong Wolfe
    /// conditions with 0 < `c1` < `c2` < 1.
    pub fn new(memory: usize, c1: f64, c2: f64) -> Result<Self, String> {
        if memory == 0 {
            return Err(format!(
                "lbfgs: the memory (number of curvature pairs kept) must be at least 1, got 0; \
                 the default is {}",
                Self::DEFAULT_MEMORY
            ));
        }
        let wolfe = Wolfe::new("lbfgs", c1, c2)?;
        Ok(Lbfgs {
            memory,
            line_search: LineSearchChoice { kind: LineSearchKind::StrongWolfe, wolfe },
            ..Lbfgs::default()
        })
    }

    /// The same L-BFGS with the line search `kind` (Hager–Zhang takes its own standard
    /// parameters in place of c₁ and c₂).
    pub fn with_line_search(mut self, kind: LineSearchKind) -> Self {
        self.line_search.kind = kind;
        self
    }

    /// d = −Hₖ∇f by the two-loop recursion (Alg. 7.4); `None` with no pairs.
    fn direction(&self, grad: &[f64]) -> Option<Vec<f64>> {
        let newest = self.pairs.back()?;
        let mut q = grad.to_vec();
        let mut alphas = vec![0.0; self.pairs.len()];
        for (pair, alpha) in self.pairs.iter().zip(&mut alphas).rev() {
            *alpha = pair.rho * dot(&pair.s, &q);
            axpy(-*alpha, &pair.y, &mut q);
        }
        let gamma = dot(&newest.s, &newest.y) / dot(&newest.y, &newest.y);
        q.iter_mut().for_each(|q| *q *= gamma);
        for (pair, alpha) in self.pairs.iter().zip(&alphas) {
            let beta = pair.rho * dot(&pair.y, &q);
            axpy(alpha - beta, &pair.s, &mut q);
        }
        q.iter_mut().for_each(|q| *q = -*q);
        Some(q)
    }

    /// Stores the pair (s, y), dropping the oldest beyond the memory.
    fn remember(&mut self, s: Vec<f64>, y: Vec<f64>) {
        let sy = dot(&s, &y);
        // Skip the pair unless the curvature condition yᵀs > 0 holds with a margin: it
        // would make Hₖ indefinite (or divide by ~0). A strong-Wolfe step guarantees
        // yᵀs > 0, so this happens only when the search stopped short of a Wolfe step or
        // through rounding.
        let curvature = sy > Self::SKIP_TOLERANCE * norm(&s) * norm(&y);
        if !curvature {
            return;
        }
        if self.pairs.len() == self.memory {
            self.pairs.pop_front();
        }
        self.pairs.push_back(Pair { s, y, rho: 1.0 / sy });
    }
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            memory: Self::DEFAULT_MEMORY,
            line_search: LineSearchChoice::default(),
            pairs: VecDeque::new(),
            last: Vec::new(),
            gtol_inf: 0.0,
            ftol: 0.0,
        }
    }
}

impl Method for Lbfgs {
    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        if self.last != current.x {
            self.pairs.clear();
        }
        // PyTorch's stopping rules, as `torch.optim.LBFGS` applies them: a gradient whose
        // largest entry is at most tolerance_grad, or a search direction whose slope is
        // above −tolerance_change (where PyTorch stops for good: every later call finds
        // the same direction).
        if self.gtol_inf > 0.0 && current.grad.iter().all(|g| g.abs() <= self.gtol_inf) {
            return Step::Stop(Status::Converged);
        }
        let direction = self.direction(&current.grad);
        if self.ftol > 0.0 {
            let slope = match &direction {
                Some(d) => dot(d, &current.grad),
                None => -dot(&current.grad, &current.grad),
            };
            if slope > -self.ftol {
                return Step::Stop(Status::SlopeTolerance);
            }
        }
        let (alpha, next) = match quasi_newton_search(&self.line_search, f, current, direction) {
            QuasiNewtonSearch::Moved { alpha, next, restarted } => {
                if restarted {
                    // The pairs gave no acceptable step: start again from steepest descent.
                    self.pairs.clear();
                }
                (alpha, next)
            }
            QuasiNewtonSearch::Stuck(step) => {
                self.last.clone_from(&current.x);
                return step;
            }
        };
        let s: Vec<f64> = next.x.iter().zip(&current.x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next.grad.iter().zip(&current.grad).map(|(a, b)| a - b).collect();
        let trial_norm = norm(&s);
        self.remember(s, y);
        self.last.clone_from(&next.x);
        Step::next(next, trial_norm).with_step_length(alpha)
    }
}

/// y ← y + a·x.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

/// `lbfgs` in the registry.
pub const SOLVER: Solver = Solver {
    name: "lbfgs",
    summary: "limited-memory BFGS (two-loop recursion) with a strong-Wolfe (or Hager–Zhang) search",
    family: Family::QuasiNewton,
    options: &[
        OptionSpec::integer("memory", Range::AT_LEAST_ONE, Lbfgs::DEFAULT_MEMORY as u64, "curvature pairs kept"),
        LINE_SEARCH_OPTIONS[0],
        LINE_SEARCH_OPTIONS[1],
        LINE_SEARCH_OPTIONS[2],
        OptionSpec::number(
            "gtol_inf",
            Range::NON_NEGATIVE,
            0.0,
            "stop (converged) once max|∂f/∂θᵢ| ≤ gtol_inf, PyTorch's tolerance_grad (0: off)",
        ),
        OptionSpec::number(
            "ftol",
            Range::NON_NEGATIVE,
            0.0,
            "stop (slope_tolerance) once the slope ∇fᵀd > −ftol, PyTorch's tolerance_change (0: off)",
        ),
    ],
    build: |o| {
        let kind: LineSearchKind = o.choice("line_search").parse()?;
        let mut lbfgs = Lbfgs::new(o.integer("memory"), o.number("c1"), o.number("c2"))?.with_line_search(kind);
        lbfgs.gtol_inf = o.number("gtol_inf");
        lbfgs.ftol = o.number("ftol");
        Ok(Box::new(lbfgs))
    },
    dense: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_functions::DenseQuadratic;
    use crate::bfgs::update_inverse;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::Rosenbrock;

    #[test]
    fn converges_on_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        // Measured: m = 10, 37 iterations (46 gradients); m = 3, 37 (47); m = 1, 61 (125:
        // with a single pair the unit step is often far off and the search extrapolates).
        for (memory, iterations) in [(10, 30..=45), (3, 30..=45), (1, 45..=75)] {
            let mut lbfgs = Lbfgs::new(memory, Lbfgs::DEFAULT_C1, Lbfgs::DEFAULT_C2).unwrap();
            let out = minimize(&mut lbfgs, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
            assert_eq!(out.status, Status::Converged, "m = {memory}");
            assert!(out.last.grad_norm() <= 1e-8);
            assert!(out.last.x.iter().all(|x| (x - 1.0).abs() < 1e-8), "{:?}", out.last.x);
            assert!(iterations.contains(&out.iterations), "m = {memory}: {} iterations", out.iterations);
            assert_eq!(out.evals.hessian + out.evals.hvp, 0);
            assert!(lbfgs.pairs.len() <= memory);
            // Reusing the solver starts afresh: the same run again.
            let again = minimize(&mut lbfgs, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
            assert_eq!(again, out);
        }
    }

    #[test]
    fn pytorch_stopping_rules_end_the_run_with_their_own_status() {
        let control = Control { max_iter: 200, gtol: 0.0, ..Control::default() };
        let run = |lbfgs: &mut Lbfgs| minimize(lbfgs, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        // Without the rules, gtol = 0 runs until the gradient is exactly zero.
        let full = run(&mut Lbfgs::default());
        assert_eq!((full.status, full.last.grad_norm()), (Status::Converged, 0.0));
        let by_grad = run(&mut Lbfgs { gtol_inf: 1e-4, ..Lbfgs::default() });
        assert_eq!(by_grad.status, Status::Converged);
        assert!(by_grad.last.grad.iter().all(|g| g.abs() <= 1e-4), "{:?}", by_grad.last.grad);
        assert!(by_grad.last.grad_norm() > 1e-8 && by_grad.iterations < full.iterations);
        let by_slope = run(&mut Lbfgs { ftol: 1e-6, ..Lbfgs::default() });
        assert_eq!(by_slope.status, Status::SlopeTolerance);
        assert!(by_slope.iterations < full.iterations, "{} vs {}", by_slope.iterations, full.iterations);
        assert!(by_slope.last.x.iter().all(|x| (x - 1.0).abs() < 1e-2), "{:?}", by_slope.last.x);
        // A time budget of zero stops before the first step.
        let timed = minimize(
            &mut Lbfgs::default(),
            &mut Rosenbrock,
            vec![-1.2, 1.0],
            &Control { max_seconds: Some(0.0), ..control.clone() },
            &mut |_| {},
        );
        assert_eq!((timed.status, timed.iterations), (Status::TimeLimit, 0));
    }

    #[test]
    fn converges_on_rosenbrock_with_the_hager_zhang_search() {
        let mut lbfgs = Lbfgs::default().with_line_search(LineSearchKind::HagerZhang);
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let out = minimize(&mut lbfgs, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.x.iter().all(|x| (x - 1.0).abs() < 1e-8), "{:?}", out.last.x);
        // Measured: 41 iterations, 56 gradients (strong Wolfe: 37 iterations, 46 gradients).
        assert!((35..=50).contains(&out.iterations), "{} iterations", out.iterations);
        assert!(out.evals.gradient <= 70, "{} gradients", out.evals.gradient);
    }

    #[test]
    fn two_loop_recursion_applies_the_bfgs_updates_of_the_scaled_identity() {
        // Pairs from a quadratic (y = As), more than the memory holds.
        let mut lbfgs = Lbfgs::new(3, Lbfgs::DEFAULT_C1, Lbfgs::DEFAULT_C2).unwrap();
        let steps =
            [[1.0, 0.0, 0.5, -1.0], [0.0, 2.0, -1.0, 0.5], [0.3, -0.2, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]];
        for s in steps {
            let y = DenseQuadratic::spd4().a_times(&s);
            lbfgs.remember(s.to_vec(), y);
        }
        assert_eq!(lbfgs.pairs.len(), 3);
        assert_eq!(lbfgs.pairs[0].s, steps[1]);
        // Dense: H = γI with γ from the newest pair, then the three updates oldest first.
        let newest = lbfgs.pairs.back().unwrap();
        let gamma = dot(&newest.s, &newest.y) / dot(&newest.y, &newest.y);
        let mut h = vec![0.0; 16];
        h.iter_mut().step_by(5).for_each(|d| *d = gamma);
        for pair in &lbfgs.pairs {
            update_inverse(&mut h, &pair.s, &pair.y);
        }
        let g = [0.7, -1.3, 2.0, 0.1];
        let d = lbfgs.direction(&g).unwrap();
        for (i, row) in h.chunks_exact(4).enumerate() {
            let expected = -dot(row, &g);
            assert!((d[i] - expected).abs() < 1e-13 * expected.abs().max(1.0), "{} vs {expected}", d[i]);
        }
        // The newest pair's secant condition holds: H yₖ = sₖ.
        let hy = lbfgs.direction(&newest.y.clone()).unwrap();
        assert!(hy.iter().zip(&steps[3]).all(|(hy, s)| (hy + s).abs() < 1e-13));
    }

    #[test]
    fn converges_on_a_quadratic() {
        let control = Control { max_iter: 50, gtol: 1e-10, ..Control::default() };
        let x0 = vec![2.0, -1.0, 0.5, 3.0];
        let out = minimize(&mut Lbfgs::default(), &mut DenseQuadratic::spd4(), x0, &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        // Measured: 12 iterations (13 gradients); the last steps are taken where the decrease
        // of f is below its rounding (f* = −8.27), on the strength of the curvature test.
        assert!((8..=16).contains(&out.iterations), "{} iterations", out.iterations);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let err = Lbfgs::new(0, 1e-4, 0.9).unwrap_err();
        assert!(err.starts_with("lbfgs: the memory") && err.contains("at least 1"), "{err}");
        assert!(Lbfgs::new(5, 1e-4, 2.0).unwrap_err().starts_with("lbfgs: c2 "));
        assert!(Lbfgs::new(5, -1.0, 0.9).unwrap_err().starts_with("lbfgs: c1 "));
        assert_eq!(Lbfgs::new(10, 1e-4, 0.9).unwrap(), Lbfgs::default());
    }
}
