//! Strong-Wolfe line search for the quasi-Newton methods: Nocedal & Wright,
//! *Numerical Optimization* (2nd ed.), Alg. 3.5 with `zoom`, Alg. 3.6, behind the
//! [`LineSearch`] interface it shares with the Hager–Zhang search (`line_search.rs`).
//!
//! Along a descent direction d from x, let φ(α) = f(x + αd). A step α > 0 is accepted
//! when it satisfies the strong Wolfe conditions
//!
//! - sufficient decrease: φ(α) ≤ φ(0) + c₁ α φ'(0),
//! - curvature:           |φ'(α)| ≤ c₂ |φ'(0)|,
//!
//! with 0 < c₁ < c₂ < 1 (c₁ = 1e-4, c₂ = 0.9 for quasi-Newton methods). The decrease
//! test allows δ = 10·ε_mach·|φ(0)| of slack: close to a minimizer with f* ≠ 0 the
//! decrease c₁αφ'(0) is below the rounding of f, and without the slack no step would
//! pass; there the gradient-based curvature test decides (the same safeguard as the
//! reduction ratio of `newton-cg`, after Conn, Gould & Toint §17.4.2). Every trial
//! evaluates f and ∇f together through [`Counted::gradient`], so the accepted point
//! comes with its gradient and the evaluation counts are exact.
//!
//! The bracketing phase doubles the trial step. Inside a bracket, `zoom` takes the
//! minimizer of the cubic that interpolates φ and φ' at both ends (N&W eq. 3.59), else
//! of the quadratic through φ(lo), φ'(lo), φ(hi), else the midpoint; the trial is then
//! clamped to stay at least a tenth of the bracket away from either end, so the bracket
//! shrinks geometrically. A trial where f or ∇f is not finite counts as a step that went
//! too far: it ends bracketing and is bisected away.

use crate::driver::{Iterate, dot};
use crate::line_search::{LineSearch, Search, Trial};
use crate::objective::Counted;

/// The strong Wolfe constants c₁ and c₂.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Wolfe {
    c1: f64,
    c2: f64,
}

impl Default for Wolfe {
    fn default() -> Self {
        Wolfe { c1: Self::DEFAULT_C1, c2: Self::DEFAULT_C2 }
    }
}

impl Wolfe {
    /// c₁, the sufficient-decrease constant.
    pub(crate) const DEFAULT_C1: f64 = 1e-4;
    /// c₂, the curvature constant (the usual value for quasi-Newton methods).
    pub(crate) const DEFAULT_C2: f64 = 0.9;
    /// Trial evaluations (of f and ∇f together) per search.
    pub(crate) const MAX_TRIALS: usize = 30;
    /// An interpolated trial keeps at least this fraction of the bracket from either end.
    const SAFEGUARD: f64 = 0.1;

    /// The constants c₁ and c₂, checked: 0 < c₁ < c₂ < 1. `solver` prefixes the error.
    pub(crate) fn new(solver: &str, c1: f64, c2: f64) -> Result<Self, String> {
        if !(c1 > 0.0 && c1 < 1.0) {
            return Err(format!(
                "{solver}: c1 (the sufficient-decrease constant of the Wolfe conditions) must lie in \
                 (0, 1), got {c1}; the default is {}",
                Self::DEFAULT_C1
            ));
        }
        if !(c2 > c1 && c2 < 1.0) {
            return Err(format!(
                "{solver}: c2 (the curvature constant of the Wolfe conditions) must lie in (c1, 1) = \
                 ({c1}, 1), got {c2}; the default is {}",
                Self::DEFAULT_C2
            ));
        }
        Ok(Wolfe { c1, c2 })
    }

    /// Whether `alpha`, with φ(α) = `phi` and φ'(α) = `dphi`, satisfies both strong Wolfe
    /// conditions for φ(0) = `phi0`, φ'(0) = `dphi0`.
    #[cfg(test)]
    pub(crate) fn holds(&self, phi0: f64, dphi0: f64, alpha: f64, phi: f64, dphi: f64) -> bool {
        phi <= phi0 + self.c1 * alpha * dphi0 && dphi.abs() <= -self.c2 * dphi0
    }
}

impl LineSearch for Wolfe {
    fn search(&self, f: &mut Counted<'_>, from: &Iterate, direction: &[f64], alpha0: f64) -> Search {
        let dphi0 = dot(&from.grad, direction);
        if !(dphi0 < 0.0 && dphi0.is_finite() && alpha0 > 0.0 && alpha0.is_finite()) {
            return Search::NotDescent;
        }
        let mut run = Run { f, from, direction, wolfe: *self, dphi0, trials: 0, finite: false };
        let mut prev = (Trial { alpha: 0.0, phi: from.loss, dphi: dphi0 }, None);
        let mut alpha = alpha0;
        loop {
            let (trial, next) = run.eval(alpha);
            // Alg. 3.5: too far (or past a rise): the minimizer is bracketed by prev and trial.
            if !run.sufficient_decrease(&trial) || (run.trials > 1 && trial.phi >= prev.0.phi) {
                return run.zoom(prev, (trial, None));
            }
            if run.curvature(&trial) {
                return Search::Accepted { alpha, next };
            }
            if trial.dphi >= 0.0 {
                // Past the minimizer along d, with f still low enough: bracket [prev, trial].
                return run.zoom((trial, Some(next)), (prev.0, None));
            }
            // Still descending: extrapolate by doubling.
            if run.trials >= Self::MAX_TRIALS || !(2.0 * alpha).is_finite() {
                return Search::Decrease { alpha, next };
            }
            prev = (trial, Some(next));
            alpha *= 2.0;
        }
    }
}

/// δ/|f|: the rounding slack of the sufficient-decrease test (module docs).
pub(crate) const ROUNDING_SLACK: f64 = 10.0 * f64::EPSILON;

/// A bracket end: the trial and, for a step taken from the search (α > 0), its iterate.
type End = (Trial, Option<Iterate>);

/// One search in progress.
struct Run<'a, 'f> {
    f: &'a mut Counted<'f>,
    from: &'a Iterate,
    direction: &'a [f64],
    wolfe: Wolfe,
    dphi0: f64,
    /// Trials evaluated so far.
    trials: usize,
    /// Whether any trial had finite f and ∇f.
    finite: bool,
}

impl Run<'_, '_> {
    fn eval(&mut self, alpha: f64) -> (Trial, Iterate) {
        self.trials += 1;
        let (trial, next) = Trial::at(self.f, self.from, self.direction, alpha);
        self.finite |= trial.is_finite();
        (trial, next)
    }

    fn sufficient_decrease(&self, t: &Trial) -> bool {
        let slack = ROUNDING_SLACK * self.from.loss.abs();
        t.phi <= self.from.loss + self.wolfe.c1 * t.alpha * self.dphi0 + slack
    }

    fn curvature(&self, t: &Trial) -> bool {
        t.dphi.abs() <= -self.wolfe.c2 * self.dphi0
    }

    /// Alg. 3.6. Invariants: `lo` satisfies sufficient decrease and has the lowest φ of
    /// the trials so far that do; φ'(lo)·(hi − lo) < 0, so a Wolfe step lies between.
    fn zoom(&mut self, mut lo: End, mut hi: End) -> Search {
        loop {
            let width = (hi.0.alpha - lo.0.alpha).abs();
            if self.trials >= Wolfe::MAX_TRIALS || width <= f64::EPSILON * lo.0.alpha.max(hi.0.alpha) {
                return match lo {
                    (Trial { alpha, .. }, Some(next)) => Search::Decrease { alpha, next },
                    (_, None) => Search::NoDecrease { non_finite: !self.finite },
                };
            }
            let (trial, next) = self.eval(interpolate(&lo.0, &hi.0));
            if !self.sufficient_decrease(&trial) || trial.phi >= lo.0.phi {
                hi = (trial, None);
            } else {
                if self.curvature(&trial) {
                    return Search::Accepted { alpha: trial.alpha, next };
                }
                if trial.dphi * (hi.0.alpha - lo.0.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = (trial, Some(next));
            }
        }
    }
}

/// The next trial inside the bracket between `lo` and `hi`: the cubic's minimizer, else
/// the quadratic's, else the midpoint, kept a tenth of the bracket away from both ends.
fn interpolate(lo: &Trial, hi: &Trial) -> f64 {
    let guess = if hi.is_finite() {
        cubic_minimizer(lo, hi).or_else(|| quadratic_minimizer(lo, hi))
    } else if hi.phi.is_finite() {
        quadratic_minimizer(lo, hi)
    } else {
        None
    };
    let (a, b) = (lo.alpha.min(hi.alpha), lo.alpha.max(hi.alpha));
    let margin = Wolfe::SAFEGUARD * (b - a);
    match guess {
        Some(alpha) => alpha.clamp(a + margin, b - margin),
        None => 0.5 * (a + b),
    }
}

/// The minimizer of the cubic with φ and φ' given at both points (N&W eq. 3.59), if it
/// has one.
fn cubic_minimizer(p: &Trial, q: &Trial) -> Option<f64> {
    let d1 = p.dphi + q.dphi - 3.0 * (p.phi - q.phi) / (p.alpha - q.alpha);
    let discriminant = d1 * d1 - p.dphi * q.dphi;
    if discriminant < 0.0 {
        return None;
    }
    let d2 = (q.alpha - p.alpha).signum() * discriminant.sqrt();
    let alpha = q.alpha - (q.alpha - p.alpha) * (q.dphi + d2 - d1) / (q.dphi - p.dphi + 2.0 * d2);
    alpha.is_finite().then_some(alpha)
}

/// The minimizer of the quadratic through φ(p), φ'(p) and φ(q), if it is convex.
fn quadratic_minimizer(p: &Trial, q: &Trial) -> Option<f64> {
    let h = q.alpha - p.alpha;
    let curvature = (q.phi - p.phi - p.dphi * h) / (h * h);
    let alpha = p.alpha - p.dphi / (2.0 * curvature);
    (curvature > 0.0 && alpha.is_finite()).then_some(alpha)
}

#[cfg(test)]
pub(crate) mod tests {
    use faer::MatMut;

    use super::*;
    use crate::driver::norm;
    use crate::objective::Objective;
    use crate::test_functions::Rosenbrock;

    /// An objective from a value-and-gradient function (no second derivatives).
    struct FirstOrder(fn(&[f64], &mut [f64]) -> f64);

    impl Objective for FirstOrder {
        fn dim(&self) -> usize {
            1
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            self.0(x, &mut vec![0.0; x.len()])
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            self.0(x, grad)
        }
        fn hvp(&mut self, _: &[f64], _: &[f64], _: &mut [f64]) {
            unimplemented!("first-order test objective")
        }
        fn hessian(&mut self, _: &[f64], _: MatMut<'_, f64>) {
            unimplemented!("first-order test objective")
        }
    }

    /// Searches from `x0` along −∇f and asserts both strong Wolfe conditions at the
    /// returned step; returns it and the number of trials.
    fn wolfe_step(objective: &mut dyn Objective, x0: Vec<f64>, wolfe: Wolfe, alpha0: f64) -> (f64, usize) {
        let mut f = Counted::new(objective);
        let from = Iterate::at(&mut f, x0);
        let d: Vec<f64> = from.grad.iter().map(|g| -g).collect();
        let dphi0 = dot(&from.grad, &d);
        match wolfe.search(&mut f, &from, &d, alpha0) {
            Search::Accepted { alpha, next } => {
                let expected: Vec<f64> = from.x.iter().zip(&d).map(|(x, d)| x + alpha * d).collect();
                assert_eq!(next.x, expected);
                let dphi = dot(&next.grad, &d);
                // Sufficient decrease and curvature, written out.
                assert!(
                    next.loss <= from.loss + wolfe.c1 * alpha * dphi0,
                    "sufficient decrease at α = {alpha}"
                );
                assert!(dphi.abs() <= wolfe.c2 * dphi0.abs(), "curvature at α = {alpha}: φ' = {dphi}");
                assert!(wolfe.holds(from.loss, dphi0, alpha, next.loss, dphi));
                (alpha, f.evals.gradient - 1)
            }
            other => panic!("expected a Wolfe step, got {other:?}"),
        }
    }

    fn quadratic_1d(x: &[f64], g: &mut [f64]) -> f64 {
        // f = (x − 1)², minimizer 1.
        g[0] = 2.0 * (x[0] - 1.0);
        (x[0] - 1.0).powi(2)
    }

    #[test]
    fn strong_wolfe_on_a_one_dimensional_quadratic() {
        // From x = 4 along d = −f'(4) = −6 the exact step is α* = ½.
        let tight = Wolfe::new("test", 1e-4, 0.1).unwrap();
        // α₀ = 1 lands at x = −2 (f = 9 = f(4)): zoom on [0, 1], whose cubic is exact.
        let (alpha, trials) = wolfe_step(&mut FirstOrder(quadratic_1d), vec![4.0], Wolfe::default(), 1.0);
        assert!((alpha - 0.5).abs() < 1e-15, "α = {alpha}");
        assert_eq!(trials, 2);
        // A short first trial is doubled until φ' is small enough: φ'(α) = −36(1 − 2α), so
        // with c₂ = 0.9 the first acceptable doubling of 0.01 is 0.08 (|φ'| = 30.24 ≤ 32.4).
        let (alpha, trials) = wolfe_step(&mut FirstOrder(quadratic_1d), vec![4.0], Wolfe::default(), 0.01);
        assert!((alpha - 0.08).abs() < 1e-15 && trials == 4, "α = {alpha} after {trials} trials");
        // With c₂ = 0.1, |φ'(α)| = 36|1 − 2α| ≤ 3.6 needs α ∈ [0.45, 0.55].
        let (alpha, _) = wolfe_step(&mut FirstOrder(quadratic_1d), vec![4.0], tight, 0.01);
        assert!((0.45..=0.55).contains(&alpha), "α = {alpha}");
    }

    #[test]
    fn strong_wolfe_on_rosenbrock_along_steepest_descent() {
        let tight = Wolfe::new("test", 1e-4, 0.1).unwrap();
        let x0 = vec![-1.2, 1.0];
        let g0 = norm(&[-215.6, -88.0]);
        for wolfe in [Wolfe::default(), tight] {
            // A unit first trial is a step of length ‖∇f‖ ≈ 233: far too long.
            let (alpha, trials) = wolfe_step(&mut Rosenbrock, x0.clone(), wolfe, 1.0);
            assert!(alpha < 1e-2 && trials <= 12, "α = {alpha} after {trials} trials");
            // A first step of length 1 and a very short one (which has to be doubled).
            wolfe_step(&mut Rosenbrock, x0.clone(), wolfe, 1.0 / g0);
            wolfe_step(&mut Rosenbrock, x0.clone(), wolfe, 1e-6);
        }
        // From another point, where the valley floor is crossed.
        wolfe_step(&mut Rosenbrock, vec![0.5, -0.3], tight, 1.0);
    }

    #[test]
    fn non_finite_trials_are_treated_as_too_long() {
        // f = (x − 1)² for x < 1.5, NaN beyond: α₀ = 1 from x = 0 (d = 2) lands on NaN.
        fn walled(x: &[f64], g: &mut [f64]) -> f64 {
            if x[0] < 1.5 { quadratic_1d(x, g) } else { f64::NAN }
        }
        let (alpha, _) = wolfe_step(&mut FirstOrder(walled), vec![0.0], Wolfe::default(), 1.0);
        assert!(alpha < 0.75);
        // NaN everywhere but at the start: every trial is non-finite.
        fn nowhere(x: &[f64], g: &mut [f64]) -> f64 {
            if x[0] == 0.0 { quadratic_1d(x, g) } else { f64::NAN }
        }
        let mut objective = FirstOrder(nowhere);
        let mut f = Counted::new(&mut objective);
        let from = Iterate::at(&mut f, vec![0.0]);
        assert_eq!(
            Wolfe::default().search(&mut f, &from, &[2.0], 1.0),
            Search::NoDecrease { non_finite: true }
        );
        assert_eq!(f.evals.gradient, 1 + Wolfe::MAX_TRIALS);
        // And uphill is refused before any evaluation.
        assert_eq!(Wolfe::default().search(&mut f, &from, &[-2.0], 1.0), Search::NotDescent);
        assert_eq!(f.evals.gradient, 1 + Wolfe::MAX_TRIALS);
    }

    #[test]
    fn invalid_constants_are_named() {
        let err = Wolfe::new("bfgs", 0.0, 0.9).unwrap_err();
        assert!(err.starts_with("bfgs: c1 "), "{err}");
        let err = Wolfe::new("bfgs", 0.5, 0.4).unwrap_err();
        assert!(err.starts_with("bfgs: c2 ") && err.contains("(0.5, 1)"), "{err}");
        assert!(Wolfe::new("lbfgs", 1e-4, 1.0).unwrap_err().contains("c2"));
        assert!(Wolfe::new("lbfgs", f64::NAN, 0.9).unwrap_err().contains("c1"));
    }
}
