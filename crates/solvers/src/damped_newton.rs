//! `damped-newton`: Newton with Levenberg-style damping of the exact Hessian,
//! (H + λI)p = −g solved with LBLᵀ, and λ adapted from how well the quadratic model
//! predicted the decrease (Nielsen's rule, as in Madsen, Nielsen & Tingleff,
//! "Methods for non-linear least squares problems", 2004, §3.2).
//!
//! One iteration:
//! 1. Factorize H + λI. While it is not positive definite (a negative or zero pivot,
//!    `dense::PIVOT_RTOL`), raise λ ← max(λν, ε·s) with ν ← 2ν, where s = max|Hᵢⱼ| (1 if
//!    H = 0), and refactorize.
//! 2. p = −(H + λI)⁻¹g; the gain ratio ρ = (f(x) − f(x + p)) / (−gᵀp − ½pᵀHp) compares the
//!    actual decrease with the decrease of the undamped model (positive whenever H + λI
//!    is positive definite), both shifted by 10ε·max(1, |f|) (`damping::gain_ratio`).
//! 3. ρ > η: accept, λ ← λ·max(⅓, 1 − (2ρ − 1)³), ν ← 2. Otherwise (including a
//!    non-finite f(x + p)) reject, keep x, λ ← λν, ν ← 2ν.
//!
//! The first λ is τ·max|Hᵢᵢ| (τ if the diagonal is zero). The Hessian of a rejected
//! iterate is kept, not re-evaluated. A run is recognized by the iterate it is handed:
//! anything other than the iterate this solver returned last restarts λ and ν.

use faer::Mat;

use crate::damping::{self, Damping};
use crate::dense::{self, Ldl};
use crate::driver::{Iterate, Method, Step, dot, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Damped Newton with gain-ratio control of the damping.
#[derive(Clone, Debug)]
pub struct DampedNewton {
    eta: f64,
    initial_damping: f64,
    state: Option<State>,
}

/// What carries over between iterations of one run.
#[derive(Clone, Debug)]
struct State {
    /// The iterate returned last.
    at: Vec<f64>,
    damping: Damping,
    /// H at `at`, kept after a rejected step.
    hessian: Option<Mat<f64>>,
}

/// Refactorizations allowed while raising λ to reach a positive definite H + λI.
const MAX_FACTORIZATIONS: usize = 64;

impl DampedNewton {
    /// Default acceptance threshold η on the gain ratio.
    pub const DEFAULT_ETA: f64 = damping::DEFAULT_GAIN_ETA;
    /// Default τ: the first damping is τ·max|Hᵢᵢ|.
    pub const DEFAULT_INITIAL_DAMPING: f64 = damping::DEFAULT_INITIAL_DAMPING;

    /// Damped Newton accepting steps with gain ratio ρ > `eta` (in [0, 1)) and starting
    /// from λ₀ = `initial_damping`·max|Hᵢᵢ| (`initial_damping` > 0, finite).
    pub fn new(eta: f64, initial_damping: f64) -> Result<Self, String> {
        damping::check_damping_settings("damped-newton", eta, initial_damping, "max|H_ii|")?;
        Ok(DampedNewton { eta, initial_damping, state: None })
    }
}

impl Default for DampedNewton {
    fn default() -> Self {
        DampedNewton { eta: Self::DEFAULT_ETA, initial_damping: Self::DEFAULT_INITIAL_DAMPING, state: None }
    }
}

impl PartialEq for DampedNewton {
    /// Equal hyperparameters (the state of a run is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.eta == other.eta && self.initial_damping == other.initial_damping
    }
}

impl Method for DampedNewton {
    fn name(&self) -> &'static str {
        "damped-newton"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let n = current.x.len();
        let state = self.state.take().filter(|s| s.at == current.x);
        let (h, mut damping) = match state {
            Some(State { hessian: Some(h), damping, .. }) => (h, damping),
            Some(State { hessian: None, damping, .. }) => (dense::hessian(f, &current.x), damping),
            None => {
                let h = dense::hessian(f, &current.x);
                let diag = (0..n).fold(0.0f64, |m, i| m.max(h[(i, i)].abs()));
                (h, Damping::new(self.initial_damping * if diag > 0.0 { diag } else { 1.0 }))
            }
        };
        if !dense::is_finite(h.as_ref()) {
            return Step::NonFinite;
        }
        let scale = match dense::max_abs(h.as_ref()) {
            s if s > 0.0 => s,
            _ => 1.0,
        };
        let minus_g: Vec<f64> = current.grad.iter().map(|g| -g).collect();
        let mut shifted = h.clone();
        let mut factorizations = 0;
        let p = loop {
            for i in 0..n {
                shifted[(i, i)] = h[(i, i)] + damping.value;
            }
            let solved = Ldl::new(shifted.as_ref())
                .filter(Ldl::is_positive_definite)
                .and_then(|ldl| ldl.solve(&minus_g));
            if let Some(p) = solved {
                break p;
            }
            factorizations += 1;
            if factorizations == MAX_FACTORIZATIONS || !damping.value.is_finite() {
                return Step::Singular;
            }
            damping.reject(f64::EPSILON * scale);
        };

        let hp = dense::matvec(h.as_ref(), &p);
        let predicted = -dot(&current.grad, &p) - 0.5 * dot(&p, &hp);
        let (next, hessian) = match damping.trial(f, current, &p, predicted, self.eta, f64::EPSILON * scale) {
            Some(next) => (next, None),
            None => (current.clone(), Some(h)),
        };
        self.state = Some(State { at: next.x.clone(), damping, hessian });
        Step::next(next, norm(&p)).with_damping(damping.value)
    }
}

/// `damped-newton` in the registry.
pub const SOLVER: Solver = Solver {
    name: "damped-newton",
    summary: "(H + λI)p = −g, λ raised until H + λI is positive definite, Nielsen's λ update",
    family: Family::SafeguardedNewton,
    options: &[
        damping::GAIN_ETA_OPTION,
        OptionSpec::number(
            "initial_damping",
            Range::POSITIVE,
            DampedNewton::DEFAULT_INITIAL_DAMPING,
            "τ: the first damping is λ₀ = τ·max|Hᵢᵢ|",
        ),
    ],
    build: |o| Ok(Box::new(DampedNewton::new(o.number("eta"), o.number("initial_damping"))?)),
    dense: Some(registry::hessian_matrix),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_functions::{DenseQuadratic, Rosenbrock};
    use crate::driver::{Control, Status, minimize};

    #[test]
    fn converges_on_a_positive_definite_quadratic() {
        let mut q =
            DenseQuadratic::new(&[&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]], &[1.0, -2.0, 3.0]);
        let control = Control { gtol: 1e-10, ..Control::default() };
        let mut dampings = Vec::new();
        let out = minimize(&mut DampedNewton::default(), &mut q, vec![5.0, -7.0, 1.0], &control, &mut |r| {
            dampings.push(r.damping)
        });
        assert_eq!(out.status, Status::Converged);
        for (x, e) in out.last.x.iter().zip([-2.0 / 3.0, 5.0 / 3.0, -7.0 / 3.0]) {
            assert!((x - e).abs() < 1e-10, "{:?}", out.last.x);
        }
        // λ₀ = 1e-3·4; on a quadratic ρ = 1 exactly, so λ shrinks by 3 per step.
        // Measured: 4 iterations, all accepted.
        assert!(out.iterations <= 4, "{} iterations", out.iterations);
        assert!((dampings[1].unwrap() - 4e-3 / 3.0).abs() < 1e-15, "{dampings:?}");
        // One Hessian per accepted step, none re-evaluated.
        assert_eq!(out.evals.hessian, out.iterations);
    }

    #[test]
    fn moves_away_from_the_saddle_of_an_indefinite_quadratic() {
        // f = ½(x² − y²) − x + 2y, saddle at (1, 2). H + λI is indefinite until λ > 1.
        let mut q = DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, -1.0]], &[-1.0, 2.0]);
        let mut records = Vec::new();
        let control = Control { max_iter: 8, ..Control::default() };
        let out = minimize(&mut DampedNewton::default(), &mut q, vec![2.0, 2.5], &control, &mut |r| {
            records.push(r.clone())
        });
        assert_eq!(out.status, Status::MaxIterations);
        for w in records.windows(2) {
            assert!(w[1].loss <= w[0].loss);
        }
        assert!(records[8].loss < records[0].loss - 1.0);
        assert!((out.last.x[1] - 2.0).abs() > 1.0, "{:?}", out.last.x);
        // Every step needed λ > 1; the recorded λ is after the update, which divides by ≤ 3.
        assert!(records.iter().skip(1).all(|r| r.damping.unwrap() > 1.0 / 3.0));
    }

    #[test]
    fn solves_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let out =
            minimize(&mut DampedNewton::default(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.grad_norm() <= 1e-8);
        assert!((out.last.x[0] - 1.0).abs() < 1e-8 && (out.last.x[1] - 1.0).abs() < 1e-8);
        // Measured: 30 iterations (8 of them rejected steps), 22 Hessians, 53 values.
        assert!((25..=35).contains(&out.iterations), "{} iterations", out.iterations);
    }

    #[test]
    fn a_rejected_step_keeps_the_iterate_and_raises_the_damping() {
        // Rosenbrock from (−1.2, 1) with a tiny initial damping behaves like Newton: the
        // first step to (−1.175, 1.381) is accepted (f: 24.2 → 4.73), the second, to
        // about (0.763, −3.175) where f ≈ 1.4e3, is rejected and λ doubles.
        let mut dn = DampedNewton::new(1e-4, 1e-12).unwrap();
        let mut obj = Rosenbrock;
        let mut f = Counted::new(&mut obj);
        let start = Iterate::at(&mut f, vec![-1.2, 1.0]);
        let Step::Next { next: first, damping: lambda1, .. } = dn.step(&mut f, &start) else {
            panic!("expected a step");
        };
        assert!((first.x[0] + 1.1753).abs() < 1e-4 && (first.x[1] - 1.3807).abs() < 1e-4, "{:?}", first.x);
        // λ₀ = 1e-12·H₁₁ = 1e-12·(1200·1.44 − 400 + 2), then shrunk by at most 3.
        let lambda0 = 1e-12 * 1330.0;
        assert!(lambda1.unwrap() < lambda0 && lambda1.unwrap() >= lambda0 / 3.0 * (1.0 - 1e-12));
        let Step::Next { next: second, damping: lambda2, trial_norm, .. } = dn.step(&mut f, &first) else {
            panic!("expected a step");
        };
        assert_eq!(second, first);
        assert_eq!(lambda2.unwrap(), 2.0 * lambda1.unwrap());
        assert!((trial_norm - (1.9384f64.powi(2) + 4.5558f64.powi(2)).sqrt()).abs() < 1e-3, "{trial_norm}");
        // The third attempt, from the same iterate, reuses the Hessian.
        assert_eq!(f.evals.hessian, 2);
        dn.step(&mut f, &second);
        assert_eq!(f.evals.hessian, 2);
    }

    #[test]
    fn a_reused_solver_starts_afresh() {
        // The adaptive state is tied to the iterate returned last; a new start resets it.
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let mut solver = DampedNewton::default();
        let first = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        let again = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(first, again);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert_eq!(
            DampedNewton::new(1.0, 1e-3).unwrap_err(),
            "damped-newton: the acceptance threshold eta must lie in [0, 1), got 1 (default 1e-4)"
        );
        assert!(DampedNewton::new(-0.1, 1e-3).unwrap_err().contains("eta"));
        assert!(DampedNewton::new(1e-4, 0.0).unwrap_err().contains("initial damping"));
        assert!(DampedNewton::new(1e-4, f64::INFINITY).unwrap_err().contains("initial damping"));
        assert_eq!(DampedNewton::new(1e-4, 1e-3).unwrap(), DampedNewton::default());
    }
}
