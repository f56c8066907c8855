//! `saddle-free-newton`: the saddle-free Newton method of Dauphin et al., "Identifying
//! and attacking the saddle point problem in high-dimensional non-convex optimization"
//! (NeurIPS 2014), with the exact Hessian's eigendecomposition in place of their Krylov
//! subspace.
//!
//! With H = QΛQᵀ and g̃ = Qᵀg the step is p = −Q (|Λ| + δI)⁻¹ Qᵀg, that is
//! p̃ᵢ = −g̃ᵢ / (|λᵢ| + δ): Newton's step with every curvature replaced by its absolute
//! value, so negative-curvature directions are descended instead of climbed. The
//! damping is *additive* (|λ| + δ, not max(|λ|, δ)): it regularizes small and zero
//! eigenvalues, and it is adapted like Levenberg-Marquardt damping. The gain ratio
//! ρ = (f(x) − f(x + p)) / (−gᵀp − ½pᵀHp) uses the true quadratic model, whose predicted
//! decrease Σ g̃ᵢ²/dᵢ·(1 − λᵢ/(2dᵢ)), dᵢ = |λᵢ| + δ, is positive for any g ≠ 0 (both
//! decreases are shifted by 10ε·max(1, |f|), `damping::gain_ratio`).
//! ρ > η accepts the step and sets δ ← δ·max(⅓, 1 − (2ρ − 1)³), ν ← 2 (Nielsen's rule);
//! otherwise (or if f(x + p) is not finite) the iterate is kept and δ ← max(δν, ε·s),
//! ν ← 2ν, with s = max|λᵢ| (1 if H = 0).
//!
//! The first δ is τ·max|λᵢ| (τ if H = 0). The eigendecomposition of a rejected iterate
//! is kept. A run is recognized by the iterate it is handed: anything other than the
//! iterate this solver returned last restarts δ and ν.

use crate::damping::{self, Damping};
use crate::dense::{self, Eigen};
use crate::driver::{Iterate, Method, Step, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Saddle-free Newton with gain-ratio control of the damping.
#[derive(Clone, Debug)]
pub struct SaddleFreeNewton {
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
    /// The eigendecomposition of H at `at`, kept after a rejected step.
    eigen: Option<Eigen>,
}

impl SaddleFreeNewton {
    /// Default acceptance threshold η on the gain ratio.
    pub const DEFAULT_ETA: f64 = damping::DEFAULT_GAIN_ETA;
    /// Default τ: the first damping is τ·max|λᵢ|.
    pub const DEFAULT_INITIAL_DAMPING: f64 = damping::DEFAULT_INITIAL_DAMPING;

    /// Saddle-free Newton accepting steps with gain ratio ρ > `eta` (in [0, 1)) and
    /// starting from δ₀ = `initial_damping`·max|λᵢ| (`initial_damping` > 0, finite).
    pub fn new(eta: f64, initial_damping: f64) -> Result<Self, String> {
        damping::check_damping_settings("saddle-free-newton", eta, initial_damping, "max|eigenvalue|")?;
        Ok(SaddleFreeNewton { eta, initial_damping, state: None })
    }
}

impl Default for SaddleFreeNewton {
    fn default() -> Self {
        SaddleFreeNewton {
            eta: Self::DEFAULT_ETA,
            initial_damping: Self::DEFAULT_INITIAL_DAMPING,
            state: None,
        }
    }
}

impl PartialEq for SaddleFreeNewton {
    /// Equal hyperparameters (the state of a run is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.eta == other.eta && self.initial_damping == other.initial_damping
    }
}

/// The saddle-free step in the eigenbasis, p̃ᵢ = −g̃ᵢ / (|λᵢ| + δ), and the decrease
/// −(g̃ᵀp̃ + ½Σλᵢp̃ᵢ²) the exact quadratic model predicts for it.
pub(crate) fn saddle_free_step(values: &[f64], g: &[f64], damping: f64) -> (Vec<f64>, f64) {
    let p: Vec<f64> = values.iter().zip(g).map(|(l, g)| -g / (l.abs() + damping)).collect();
    let predicted = -values.iter().zip(g).zip(&p).map(|((l, g), p)| g * p + 0.5 * l * p * p).sum::<f64>();
    (p, predicted)
}

impl Method for SaddleFreeNewton {
    fn name(&self) -> &'static str {
        "saddle-free-newton"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let state = self.state.take().filter(|s| s.at == current.x);
        let (eigen, damping) = match state {
            Some(State { eigen, damping, .. }) => (eigen, Some(damping)),
            None => (None, None),
        };
        let eigen = match eigen {
            Some(eigen) => eigen,
            None => {
                let h = dense::hessian(f, &current.x);
                if !dense::is_finite(h.as_ref()) {
                    return Step::NonFinite;
                }
                match Eigen::new(h.as_ref()) {
                    Some(eigen) => eigen,
                    None => return Step::Singular,
                }
            }
        };
        let scale = match eigen.spectral_radius() {
            s if s > 0.0 => s,
            _ => 1.0,
        };
        let mut damping = damping.unwrap_or_else(|| Damping::new(self.initial_damping * scale));

        let g = eigen.qt_mul(&current.grad);
        let (p_eig, predicted) = saddle_free_step(&eigen.values, &g, damping.value);
        let p = eigen.q_mul(&p_eig);
        let (next, eigen) = match damping.trial(f, current, &p, predicted, self.eta, f64::EPSILON * scale) {
            Some(next) => (next, None),
            None => (current.clone(), Some(eigen)),
        };
        self.state = Some(State { at: next.x.clone(), damping, eigen });
        Step::next(next, norm(&p)).with_damping(damping.value)
    }
}

/// `saddle-free-newton` in the registry.
pub const SOLVER: Solver = Solver {
    name: "saddle-free-newton",
    summary: "p = −(|H| + λI)⁻¹g through the eigendecomposition (Dauphin et al. 2014), damped",
    family: Family::SafeguardedNewton,
    options: &[
        damping::GAIN_ETA_OPTION,
        OptionSpec::number(
            "initial_damping",
            Range::POSITIVE,
            SaddleFreeNewton::DEFAULT_INITIAL_DAMPING,
            "τ: the first damping is λ₀ = τ·max|λ(H)|",
        ),
    ],
    build: |o| Ok(Box::new(SaddleFreeNewton::new(o.number("eta"), o.number("initial_damping"))?)),
    dense: Some(registry::hessian_matrix),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Classification;
    use crate::test_functions::{DenseQuadratic, Rosenbrock};
    use crate::driver::{Control, Status, minimize};

    fn indefinite() -> DenseQuadratic {
        // f = ½(x² − y²) − x + 2y: a saddle at (1, 2), f unbounded below along y.
        DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, -1.0]], &[-1.0, 2.0])
    }

    #[test]
    fn converges_on_a_positive_definite_quadratic() {
        let mut q =
            DenseQuadratic::new(&[&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]], &[1.0, -2.0, 3.0]);
        let control = Control { gtol: 1e-10, ..Control::default() };
        let out =
            minimize(&mut SaddleFreeNewton::default(), &mut q, vec![5.0, -7.0, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        for (x, e) in out.last.x.iter().zip([-2.0 / 3.0, 5.0 / 3.0, -7.0 / 3.0]) {
            assert!((x - e).abs() < 1e-10, "{:?}", out.last.x);
        }
        // On a positive definite H the step is damped Newton; ρ = 1 exactly, δ ÷ 3 per step.
        // Measured: 4 iterations.
        assert!(out.iterations <= 5, "{} iterations", out.iterations);
    }

    #[test]
    fn moves_away_from_the_saddle_of_an_indefinite_quadratic() {
        // From (2, 2.5): g = (1, −0.5) and |H| = I, so the step is −g/(1 + δ): x heads to
        // 1 and y moves up, away from the saddle's y = 2, decreasing f on both axes.
        let mut records = Vec::new();
        let control = Control { max_iter: 6, ..Control::default() };
        let out = minimize(
            &mut SaddleFreeNewton::default(),
            &mut indefinite(),
            vec![2.0, 2.5],
            &control,
            &mut |r| records.push(r.clone()),
        );
        assert_eq!(out.status, Status::MaxIterations);
        let delta0 = 1e-3;
        let first = &records[1];
        assert!((first.step_norm - 1.25f64.sqrt() / (1.0 + delta0)).abs() < 1e-12);
        for w in records.windows(2) {
            assert!(w[1].loss < w[0].loss, "{} then {}", w[0].loss, w[1].loss);
        }
        // |y − 2| doubles (almost) every step: 0.5 → 1 → 2 → … → 32 after six steps.
        let dy = out.last.x[1] - 2.0;
        assert!(dy > 25.0 && dy <= 32.0, "{:?}", out.last.x);
        assert!((out.last.x[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn cannot_leave_the_stable_manifold_of_a_saddle() {
        // From (2, 2) the gradient (1, 0) has no component along the negative-curvature
        // eigenvector, so the saddle-free step never leaves y = 2 and converges to the
        // saddle, like Newton (the trust region escapes: see its hard case).
        let control = Control { gtol: 1e-10, ..Control::default() };
        let mut q = indefinite();
        let out = minimize(&mut SaddleFreeNewton::default(), &mut q, vec![2.0, 2.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(
            (out.last.x[0] - 1.0).abs() < 1e-10 && (out.last.x[1] - 2.0).abs() < 1e-12,
            "{:?}",
            out.last.x
        );
        assert_eq!(crate::analysis::curvature(q.a.as_ref()).classification, Classification::Saddle);
    }

    #[test]
    fn solves_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let out = minimize(
            &mut SaddleFreeNewton::default(),
            &mut Rosenbrock,
            vec![-1.2, 1.0],
            &control,
            &mut |_| {},
        );
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.grad_norm() <= 1e-8);
        assert!((out.last.x[0] - 1.0).abs() < 1e-8 && (out.last.x[1] - 1.0).abs() < 1e-8);
        // Measured: 32 iterations (9 of them rejected steps), 23 Hessians, 56 values.
        assert!((27..=37).contains(&out.iterations), "{} iterations", out.iterations);
    }

    #[test]
    fn the_predicted_decrease_is_positive_with_negative_curvature() {
        let (p, predicted) = saddle_free_step(&[-2.0, 0.0, 3.0], &[1.0, 1.0, -3.0], 0.5);
        assert_eq!(p, vec![-0.4, -2.0, 3.0 / 3.5]);
        // −Σ(gᵢpᵢ + ½λᵢpᵢ²) = (0.4 + 0.16) + 2 + (9/3.5 − 1.5·9/12.25).
        let expected = 0.56 + 2.0 + 9.0 / 3.5 - 13.5 / 12.25;
        assert!((predicted - expected).abs() < 1e-14);
    }

    #[test]
    fn a_reused_solver_starts_afresh() {
        // The adaptive state is tied to the iterate returned last; a new start resets it.
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let mut solver = SaddleFreeNewton::default();
        let first = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        let again = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(first, again);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert!(SaddleFreeNewton::new(1.0, 1e-3).unwrap_err().contains("eta"));
        assert_eq!(
            SaddleFreeNewton::new(1e-4, -1.0).unwrap_err(),
            "saddle-free-newton: the initial damping (relative to max|eigenvalue|) must be positive \
             and finite, got -1 (default 1e-3)"
        );
        assert!(SaddleFreeNewton::new(1e-4, f64::NAN).unwrap_err().contains("initial damping"));
        assert_eq!(SaddleFreeNewton::new(1e-4, 1e-3).unwrap(), SaddleFreeNewton::default());
    }
}
