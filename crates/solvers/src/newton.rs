//! `newton`: the exact, unmodified Newton step p = −∇²f(x)⁻¹∇f(x), solved with LBLᵀ
//! (Bunch-Kaufman), unit step by default.
//!
//! This is the method under study, so nothing safeguards it: the Hessian is never
//! modified and there is no fallback to the gradient. An indefinite Hessian gives the
//! step to the stationary point of the quadratic model, saddle or maximum alike; a
//! singular one (a zero pivot, see `dense::PIVOT_RTOL`, or a non-finite solution)
//! ends the run with `singular`. The optional backtracking line search (off by default)
//! only shortens the step along the same direction.

use crate::dense::{self, Ldl};
use crate::driver::{Iterate, Method, Step, dot, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Newton's method, optionally with a backtracking Armijo line search.
#[derive(Clone, Debug, PartialEq)]
pub struct Newton {
    line_search: Option<Backtracking>,
}

/// Backtracking along a fixed direction: α = 1, ρ, ρ², … until the Armijo condition
/// f(x + αp) ≤ f(x) + c₁·α·∇f(x)ᵀp holds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Backtracking {
    armijo: f64,
    shrink: f64,
}

impl Newton {
    /// Default sufficient-decrease constant c₁ of the optional line search.
    pub const DEFAULT_ARMIJO: f64 = 1e-4;
    /// Default backtracking factor ρ of the optional line search.
    pub const DEFAULT_SHRINK: f64 = 0.5;
    /// Trial steps of the line search before the iteration is abandoned; with ρ = ½ the
    /// last trial is 2⁻⁶⁰‖p‖, below any sensible `xtol`, so the run then ends with
    /// `step_too_small`.
    pub const MAX_BACKTRACKS: usize = 60;

    /// Pure Newton: unit step, no line search (the default).
    pub fn new() -> Self {
        Newton { line_search: None }
    }

    /// Newton with a backtracking line search along the Newton direction: the largest
    /// α ∈ {1, ρ, ρ², …} with f(x + αp) ≤ f(x) + c₁·α·∇f(x)ᵀp, where c₁ = `armijo` ∈ (0, ½)
    /// and ρ = `shrink` ∈ (0, 1). The condition is applied as written even when p is not
    /// a descent direction (∇fᵀp ≥ 0, possible with an indefinite Hessian): the direction
    /// is never changed, and if no trial passes the iterate stays where it is.
    pub fn with_line_search(armijo: f64, shrink: f64) -> Result<Self, String> {
        if !(armijo > 0.0 && armijo < 0.5) {
            return Err(format!(
                "newton: the Armijo constant must lie in (0, 0.5), got {armijo} (default 1e-4)"
            ));
        }
        if !(shrink > 0.0 && shrink < 1.0) {
            return Err(format!(
                "newton: the backtracking shrink factor must lie in (0, 1), got {shrink} (default 0.5)"
            ));
        }
        Ok(Newton { line_search: Some(Backtracking { armijo, shrink }) })
    }
}

impl Default for Newton {
    fn default() -> Self {
        Newton::new()
    }
}

impl Method for Newton {
    fn name(&self) -> &'static str {
        "newton"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let h = dense::hessian(f, &current.x);
        let Some(ldl) = Ldl::new(h.as_ref()) else {
            return Step::NonFinite;
        };
        let minus_g: Vec<f64> = current.grad.iter().map(|g| -g).collect();
        let Some(p) = ldl.solve(&minus_g) else {
            return Step::Singular;
        };
        let p_norm = norm(&p);
        let along =
            |alpha: f64| -> Vec<f64> { current.x.iter().zip(&p).map(|(x, p)| x + alpha * p).collect() };
        let next = |next: Iterate, alpha: f64| Step::next(next, alpha * p_norm).with_step_length(alpha);
        let Some(search) = self.line_search else {
            return next(Iterate::at(f, along(1.0)), 1.0);
        };
        let slope = dot(&current.grad, &p);
        let mut alpha = 1.0;
        for _ in 0..Self::MAX_BACKTRACKS {
            let x = along(alpha);
            let value = f.value(&x);
            if value <= current.loss + search.armijo * alpha * slope {
                return next(Iterate::at(f, x), alpha);
            }
            alpha *= search.shrink;
        }
        next(current.clone(), alpha / search.shrink)
    }
}

/// `newton` in the registry.
pub const SOLVER: Solver = Solver {
    name: "newton",
    summary: "exact, unmodified Newton: p = −H⁻¹g by LBLᵀ, unit step; stops `singular` where H is",
    family: Family::ExactNewton,
    options: &[
        OptionSpec::number(
            "armijo",
            Range::new(0.0, true, 0.5, false),
            0.0,
            "Armijo constant c₁ of a backtracking search along p (0: none, the unit step under study)",
        ),
        OptionSpec::number("shrink", Range::OPEN_UNIT, 0.5, "backtracking factor ρ of that search"),
    ],
    build: |o| {
        let armijo = o.number("armijo");
        Ok(Box::new(if armijo == 0.0 { Newton::new() } else { Newton::with_line_search(armijo, o.number("shrink"))? }))
    },
    dense: Some(registry::hessian_matrix),
};

#[cfg(test)]
mod tests {
    use faer::MatMut;

    use super::*;
    use crate::analysis::{Classification, curvature};
    use crate::test_functions::DenseQuadratic;
    use crate::driver::{Control, Status, minimize};
    use crate::objective::Objective;

    fn run(method: &mut Newton, f: &mut dyn Objective, x0: Vec<f64>) -> crate::driver::Outcome {
        let control = Control { max_iter: 100, gtol: 1e-10, ..Control::default() };
        minimize(method, f, x0, &control, &mut |_| {})
    }

    #[test]
    fn one_step_on_a_positive_definite_quadratic() {
        let mut q =
            DenseQuadratic::new(&[&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]], &[1.0, -2.0, 3.0]);
        let out = run(&mut Newton::default(), &mut q, vec![5.0, -7.0, 1.0]);
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.iterations, 1);
        assert_eq!((out.evals.hessian, out.evals.gradient), (1, 2));
        // Ax* = −b, checked by hand: x* = (−2/3, 5/3, −7/3).
        for (x, e) in out.last.x.iter().zip([-2.0 / 3.0, 5.0 / 3.0, -7.0 / 3.0]) {
            assert!((x - e).abs() < 1e-14, "{:?}", out.last.x);
        }
    }

    #[test]
    fn goes_to_the_saddle_of_an_indefinite_quadratic_in_one_step() {
        // f = ½(x² − y²) − x + 2y: a saddle at (1, 2), f unbounded below along y.
        let mut q = DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, -1.0]], &[-1.0, 2.0]);
        let mut records = Vec::new();
        let control = Control { gtol: 1e-12, curvature_every: Some(1), ..Control::default() };
        let out = minimize(&mut Newton::default(), &mut q, vec![2.0, 2.5], &control, &mut |r| {
            records.push(r.clone())
        });
        assert_eq!((out.status, out.iterations), (Status::Converged, 1));
        assert!((out.last.x[0] - 1.0).abs() < 1e-15 && (out.last.x[1] - 2.0).abs() < 1e-15);
        // f(2, 2.5) = 1.875 and f(1, 2) = 1.5: the x part of the step descends by ½ while
        // the y part climbs by ⅛ to the saddle.
        assert!((records[0].loss - 1.875).abs() < 1e-15 && (records[1].loss - 1.5).abs() < 1e-15);
        let c = records[1].curvature.as_ref().unwrap();
        assert_eq!(c.classification, Classification::Saddle);
        assert_eq!(records[1].step_length, Some(1.0));
    }

    #[test]
    fn singular_hessians_stop_the_run() {
        // f = ½x² + y: H = diag(1, 0) and g = (x, 1) has a component outside its range.
        let mut q = DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, 0.0]], &[0.0, 1.0]);
        let out = run(&mut Newton::default(), &mut q, vec![1.0, 1.0]);
        assert_eq!((out.status, out.iterations), (Status::Singular, 1));
        assert_eq!(out.last.x, vec![1.0, 1.0]);
        // f = ½(x + y)² + x − y: H = [[1, 1], [1, 1]], the second pivot is exactly zero.
        let mut q = DenseQuadratic::new(&[&[1.0, 1.0], &[1.0, 1.0]], &[1.0, -1.0]);
        assert_eq!(run(&mut Newton::default(), &mut q, vec![0.3, 0.1]).status, Status::Singular);
        // A rotated zero eigenvalue leaves a rounding-sized pivot, still singular.
        let a = crate::test_functions::rotated(&[2.0, 0.0, 1.0]);
        let mut q = DenseQuadratic { a, b: vec![1.0, 1.0, 1.0] };
        let h = q.a.clone();
        assert_eq!(curvature(h.as_ref()).inertia.as_array(), [0, 1, 2]);
        assert_eq!(run(&mut Newton::default(), &mut q, vec![0.0; 3]).status, Status::Singular);
    }

    /// f(x) = √(1 + x²): convex, minimum at 0, but the Newton map x ↦ −x³ diverges
    /// from |x| > 1.
    struct Hyperbola;

    impl Objective for Hyperbola {
        fn dim(&self) -> usize {
            1
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            (1.0 + x[0] * x[0]).sqrt()
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            let v = self.value(x);
            grad[0] = x[0] / v;
            v
        }
        fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
            out[0] = (1.0 + x[0] * x[0]).powf(-1.5) * v[0];
        }
        fn hessian(&mut self, x: &[f64], mut out: MatMut<'_, f64>) {
            out[(0, 0)] = (1.0 + x[0] * x[0]).powf(-1.5);
        }
    }

    #[test]
    fn the_line_search_only_shortens_the_newton_step() {
        // Pure Newton: 2 → −8 → 512 → … until f overflows.
        let out = run(&mut Newton::default(), &mut Hyperbola, vec![2.0]);
        assert_eq!(out.status, Status::Diverged);
        assert!(out.last.x[0].abs() > 1e70, "{:?}", out.last.x);

        // One backtracking step from x = 2: p = −x(1 + x²) = −10; α = 1 (f(−8) = √65) and
        // α = ½ (f(−3) = √10) fail the Armijo test against f(2) = √5, α = ¼ gives −0.5.
        let mut newton = Newton::with_line_search(1e-4, 0.5).unwrap();
        let mut obj = Hyperbola;
        let mut f = Counted::new(&mut obj);
        let start = Iterate::at(&mut f, vec![2.0]);
        let Step::Next { next, trial_norm, step_length, .. } = newton.step(&mut f, &start) else {
            panic!("expected a step");
        };
        assert_eq!(step_length, Some(0.25));
        assert_eq!(next.x, vec![-0.5]);
        assert!((trial_norm - 2.5).abs() < 1e-15);
        assert_eq!(f.evals.value, 1 + 3 + 1);

        let out = run(&mut Newton::with_line_search(1e-4, 0.5).unwrap(), &mut Hyperbola, vec![2.0]);
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.x[0].abs() < 1e-10);
        // Measured: 5 iterations, 2 → −0.5 (α = ¼) → 0.125 → −2e-3 → 7.5e-9 → 0 (α = 1).
        assert_eq!(out.iterations, 5);
    }

    #[test]
    fn an_ascent_direction_is_kept_and_rejected_by_the_line_search() {
        // On f = ½(x² − y²) from (0, 1) the Newton step (0, −1) climbs f: every α fails
        // Armijo (f(αp) = f + α·gᵀp·(1 − α/2) > f + c₁α·gᵀp with gᵀp > 0), so the
        // iterate stays and the trial steps shrink until the run stops.
        let mut q = DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, -1.0]], &[0.0, 0.0]);
        let out = run(&mut Newton::with_line_search(1e-4, 0.5).unwrap(), &mut q, vec![0.0, 1.0]);
        assert_eq!((out.status, out.iterations), (Status::StepTooSmall, 1));
        assert_eq!(out.last.x, vec![0.0, 1.0]);
    }

    #[test]
    fn invalid_line_search_parameters_are_named() {
        assert!(Newton::with_line_search(0.0, 0.5).unwrap_err().contains("Armijo"));
        assert!(Newton::with_line_search(0.7, 0.5).unwrap_err().contains("Armijo"));
        assert!(Newton::with_line_search(1e-4, 1.0).unwrap_err().contains("shrink"));
        assert!(Newton::with_line_search(1e-4, f64::NAN).unwrap_err().contains("shrink"));
    }
}
