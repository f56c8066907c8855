//! `gd`: gradient descent with a fixed step, x ← x − α∇f(x).

use crate::driver::{Iterate, Method, Step, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{Family, Solver};

/// Gradient descent with a fixed learning rate.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientDescent {
    learning_rate: f64,
}

impl GradientDescent {
    /// Default learning rate.
    pub const DEFAULT_LEARNING_RATE: f64 = 1e-3;

    /// Gradient descent with step α = `learning_rate` (> 0, finite).
    pub fn new(learning_rate: f64) -> Result<Self, String> {
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(format!("gd: the learning rate must be positive and finite, got {learning_rate}"));
        }
        Ok(GradientDescent { learning_rate })
    }
}

impl Default for GradientDescent {
    fn default() -> Self {
        GradientDescent { learning_rate: Self::DEFAULT_LEARNING_RATE }
    }
}

impl Method for GradientDescent {
    fn name(&self) -> &'static str {
        "gd"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let x: Vec<f64> =
            current.x.iter().zip(&current.grad).map(|(x, g)| x - self.learning_rate * g).collect();
        Step::next(Iterate::at(f, x), self.learning_rate * norm(&current.grad)).with_step_length(self.learning_rate)
    }
}

/// `gd` in the registry.
pub const SOLVER: Solver = Solver {
    name: "gd",
    summary: "gradient descent with a fixed step, x ← x − lr·∇f",
    family: Family::FirstOrder,
    options: &[OptionSpec::number("lr", Range::POSITIVE, GradientDescent::DEFAULT_LEARNING_RATE, "learning rate")],
    build: |o| Ok(Box::new(GradientDescent::new(o.number("lr"))?)),
    dense: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::Quadratic;

    #[test]
    fn converges_linearly_on_a_quadratic() {
        // f = ½ Σ dᵢ xᵢ², d = (1, 2): with α = 0.4 the error contracts by max|1 − α dᵢ| = 0.6.
        let mut q = Quadratic::diagonal(vec![1.0, 2.0]);
        let mut gd = GradientDescent::new(0.4).unwrap();
        let control = Control { max_iter: 200, gtol: 1e-10, ..Control::default() };
        let out = minimize(&mut gd, &mut q, vec![1.0, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.x.iter().all(|x| x.abs() < 1e-10));
        // 0.6ᵏ·‖∇f(x₀)‖ ≤ 1e-10 first holds at k = 48.
        assert!((40..=50).contains(&out.iterations), "{} iterations", out.iterations);
        assert!(GradientDescent::new(-1.0).is_err());
    }
}
