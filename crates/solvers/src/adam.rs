//! `adam`: full-batch Adam (Kingma & Ba 2015, Algorithm 1).
//!
//! With g = ∇f(xₜ₋₁) and t = 1, 2, …:
//! m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g² (elementwise), m̂ = m/(1 − β₁ᵗ),
//! v̂ = v/(1 − β₂ᵗ), xₜ = xₜ₋₁ − α·m̂/(√v̂ + ε). Bias correction makes the first step
//! α·g/(|g| + ε) ≈ α·sign(g) elementwise, and every step is at most about α per coordinate.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{Family, Solver};

/// Adam with its moment estimates.
///
/// The state (m, v, t) persists across steps. A step from an iterate other than the one
/// this solver last returned (a new run, or a different problem) starts again from
/// m = v = 0, t = 0, so one value can be reused across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    learning_rate: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    /// First-moment estimate m.
    m: Vec<f64>,
    /// Second-moment estimate v.
    v: Vec<f64>,
    /// β₁ᵗ and β₂ᵗ for the current t (t itself is only needed through these).
    beta1_t: f64,
    beta2_t: f64,
    /// The x of the iterate the last step returned.
    last: Vec<f64>,
}

impl Adam {
    /// Default learning rate α.
    pub const DEFAULT_LEARNING_RATE: f64 = 1e-3;
    /// Default first-moment decay β₁.
    pub const DEFAULT_BETA1: f64 = 0.9;
    /// Default second-moment decay β₂.
    pub const DEFAULT_BETA2: f64 = 0.999;
    /// Default ε.
    pub const DEFAULT_EPSILON: f64 = 1e-8;

    /// Adam with learning rate α = `learning_rate` (> 0), moment decays `beta1`, `beta2`
    /// in [0, 1), and `epsilon` (> 0) added to √v̂; all finite.
    pub fn new(learning_rate: f64, beta1: f64, beta2: f64, epsilon: f64) -> Result<Self, String> {
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(format!(
                "adam: the learning rate must be positive and finite, got {learning_rate}; the default is {}",
                Self::DEFAULT_LEARNING_RATE
            ));
        }
        for (name, beta, default) in
            [("beta1", beta1, Self::DEFAULT_BETA1), ("beta2", beta2, Self::DEFAULT_BETA2)]
        {
            if !(0.0..1.0).contains(&beta) {
                return Err(format!("adam: {name} must lie in [0, 1), got {beta}; the default is {default}"));
            }
        }
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(format!(
                "adam: epsilon must be positive and finite, got {epsilon}; the default is {}",
                Self::DEFAULT_EPSILON
            ));
        }
        Ok(Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
            m: Vec::new(),
            v: Vec::new(),
            beta1_t: 1.0,
            beta2_t: 1.0,
            last: Vec::new(),
        })
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam::new(
            Self::DEFAULT_LEARNING_RATE,
            Self::DEFAULT_BETA1,
            Self::DEFAULT_BETA2,
            Self::DEFAULT_EPSILON,
        )
        .expect("the defaults are valid")
    }
}

impl Method for Adam {
    fn name(&self) -> &'static str {
        "adam"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let n = current.x.len();
        if self.last != current.x {
            self.m = vec![0.0; n];
            self.v = vec![0.0; n];
            self.beta1_t = 1.0;
            self.beta2_t = 1.0;
        }
        self.beta1_t *= self.beta1;
        self.beta2_t *= self.beta2;
        let (b1, b2) = (self.beta1, self.beta2);
        let mut x = current.x.clone();
        let mut step_sq = 0.0;
        for (((x, g), m), v) in x.iter_mut().zip(&current.grad).zip(&mut self.m).zip(&mut self.v) {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            let m_hat = *m / (1.0 - self.beta1_t);
            let v_hat = *v / (1.0 - self.beta2_t);
            let step = -self.learning_rate * m_hat / (v_hat.sqrt() + self.epsilon);
            step_sq += step * step;
            *x += step;
        }
        self.last.clone_from(&x);
        Step::next(Iterate::at(f, x), step_sq.sqrt()).with_step_length(self.learning_rate)
    }
}

/// `adam` in the registry.
pub const SOLVER: Solver = Solver {
    name: "adam",
    summary: "full-batch Adam (Kingma & Ba 2015)",
    family: Family::FirstOrder,
    options: &[
        OptionSpec::number("lr", Range::POSITIVE, Adam::DEFAULT_LEARNING_RATE, "learning rate α"),
        OptionSpec::number("beta1", Range::UNIT, Adam::DEFAULT_BETA1, "first-moment decay β₁"),
        OptionSpec::number("beta2", Range::UNIT, Adam::DEFAULT_BETA2, "second-moment decay β₂"),
        OptionSpec::number("eps", Range::POSITIVE, Adam::DEFAULT_EPSILON, "ε added to √v̂"),
    ],
    build: |o| Ok(Box::new(Adam::new(o.number("lr"), o.number("beta1"), o.number("beta2"), o.number("eps"))?)),
    dense: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::Quadratic;

    #[test]
    fn first_step_is_the_learning_rate_times_the_sign_of_the_gradient() {
        let mut q = Quadratic::diagonal(vec![1.0, 10.0, 3.0]);
        let mut f = Counted::new(&mut q);
        let current = Iterate::at(&mut f, vec![1.0, -2.0, 1e-3]);
        // ∇f = (1, −20, 3e-3): three magnitudes, one step size.
        for lr in [Adam::DEFAULT_LEARNING_RATE, 0.25] {
            let mut adam = Adam::new(lr, 0.9, 0.999, 1e-8).unwrap();
            let Step::Next { next, trial_norm, step_length, .. } = adam.step(&mut f, &current) else {
                panic!("no step")
            };
            for ((x1, x0), g) in next.x.iter().zip(&current.x).zip(&current.grad) {
                // |Δx| = α|g|/(|g| + ε): equal to α up to α·ε/|g| ≤ α·3.4e-6.
                let expected = -lr * g.signum();
                assert!(
                    (x1 - x0 - expected).abs() <= lr * 1e-8 / g.abs() + 1e-15,
                    "{} vs {expected}",
                    x1 - x0
                );
            }
            assert!((trial_norm - lr * 3f64.sqrt()).abs() < 1e-5 * lr);
            assert_eq!(step_length, Some(lr));
        }
    }

    #[test]
    fn decreases_the_loss_on_a_quadratic() {
        let mut q = Quadratic::diagonal(vec![1.0, 10.0]);
        let x0 = vec![1.0, -2.0];
        // f(x₀) = 20.5. With α = 0.05, 300 steps; the default α = 1e-3 moves each
        // coordinate by at most ≈ 1e-3 per step, so its loss only starts to fall.
        let control = Control { max_iter: 300, gtol: 1e-10, ..Control::default() };
        let mut losses = Vec::new();
        let mut adam = Adam::new(0.05, 0.9, 0.999, 1e-8).unwrap();
        let first = minimize(&mut adam, &mut q, x0.clone(), &control, &mut |r| losses.push(r.loss));
        assert_eq!(first.status, Status::MaxIterations);
        // Measured: f = 6.1e-13 after 300 steps; monotone over the first 20.
        assert!(first.last.loss < 1e-10, "final loss {}", first.last.loss);
        assert!(losses[..20].windows(2).all(|w| w[1] < w[0]), "{:?}", &losses[..20]);
        let out = minimize(&mut Adam::default(), &mut q, x0, &control, &mut |_| {});
        // Measured: f = 14.88 after 300 steps at the default α.
        assert!(out.last.loss < 20.5 && out.last.loss > 10.0, "default loss {}", out.last.loss);
        // Reusing the solver resets m, v and t: the same run again.
        let again = minimize(&mut adam, &mut q, vec![1.0, -2.0], &control, &mut |_| {});
        assert_eq!(again, first);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert!(Adam::new(0.0, 0.9, 0.999, 1e-8).unwrap_err().starts_with("adam: the learning rate"));
        assert!(Adam::new(f64::NAN, 0.9, 0.999, 1e-8).unwrap_err().contains("learning rate"));
        assert!(Adam::new(1e-3, 1.0, 0.999, 1e-8).unwrap_err().starts_with("adam: beta1 must lie in [0, 1)"));
        assert!(Adam::new(1e-3, 0.9, -0.1, 1e-8).unwrap_err().starts_with("adam: beta2 "));
        assert!(Adam::new(1e-3, 0.9, 0.999, 0.0).unwrap_err().starts_with("adam: epsilon "));
        assert!(Adam::new(1e-3, 0.0, 0.0, 1e-8).is_ok());
    }
}
