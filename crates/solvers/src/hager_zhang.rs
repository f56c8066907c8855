//! Hager–Zhang line search: the search of CG_DESCENT (Hager & Zhang, SIAM J. Optim. 16
//! (2005) §4; ACM TOMS 32 (2006), Algorithm 851), an option of `bfgs` and `lbfgs`.
//!
//! Along a descent direction d from x, let φ(α) = f(x + αd). A trial α is accepted when
//! φ'(α) ≥ σφ'(0) and either
//!
//! - the Wolfe decrease holds:   φ(α) − φ(0) ≤ δαφ'(0)             (T1), or
//! - the approximate Wolfe test: φ'(α) ≤ (2δ − 1)φ'(0) and φ(α) ≤ φ(0) + ε|φ(0)|   (T2).
//!
//! T2 is T1 for the quadratic that interpolates φ(0), φ'(0) and φ'(α), stated on
//! derivatives alone: near a minimizer the decrease δαφ'(0) is below the rounding of f, and
//! T2 still decides where T1 cannot. Standard parameters: δ = 0.1, σ = 0.9, ε = 10⁻⁶,
//! θ = 0.5, γ = 0.66, ρ = 5 (the paper's, and Optim.jl's `LineSearches.HagerZhang`).
//!
//! A bracket [a, b] always has φ(a) ≤ φ(0) + ε|φ(0)|, φ'(a) < 0 and φ'(b) ≥ 0 (or b is a
//! point past a rise: φ(b) above that bound). It is found by expanding the first trial by
//! ρ (B0–B3), then narrowed by a double secant step on φ' (S1–S4), with a bisection when a
//! secant² round leaves more than γ of the bracket (L2). `update` (U0–U3) puts a new
//! point in place of a or b, bisecting with weight θ where φ rose above the bound with
//! φ' < 0. The acceptance test runs at every trial. A trial where f or ∇f is not finite
//! counts as a step past a rise (φ = +∞), so it is bisected away.

use std::convert::Infallible;

use crate::driver::{Iterate, dot};
use crate::line_search::{LineSearch, Search, Trial};
use crate::objective::Counted;

/// The parameters of the Hager–Zhang search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct HagerZhang {
    /// δ: the Wolfe decrease constant (0 < δ < ½).
    delta: f64,
    /// σ: the curvature constant (δ ≤ σ < 1).
    sigma: f64,
    /// ε: the approximate Wolfe test allows φ(α) ≤ φ(0) + ε|φ(0)|.
    epsilon: f64,
    /// θ: the bisection weight of U3.
    theta: f64,
    /// γ: a secant² round must shrink the bracket below this fraction, else bisect.
    gamma: f64,
    /// ρ: the expansion factor of the bracketing phase.
    rho: f64,
}

impl HagerZhang {
    /// The paper's parameters.
    pub(crate) const DEFAULT: HagerZhang =
        HagerZhang { delta: 0.1, sigma: 0.9, epsilon: 1e-6, theta: 0.5, gamma: 0.66, rho: 5.0 };
    /// Trial evaluations (of f and ∇f together) per search.
    pub(crate) const MAX_TRIALS: usize = 50;
}

impl Default for HagerZhang {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl LineSearch for HagerZhang {
    fn search(&self, f: &mut Counted<'_>, from: &Iterate, direction: &[f64], alpha0: f64) -> Search {
        let dphi0 = dot(&from.grad, direction);
        if !(dphi0 < 0.0 && dphi0.is_finite() && alpha0 > 0.0 && alpha0.is_finite()) {
            return Search::NotDescent;
        }
        let phi0 = from.loss;
        let mut run = Run {
            f,
            from,
            direction,
            hz: *self,
            phi0,
            dphi0,
            phi_limit: phi0 + self.epsilon * phi0.abs(),
            trials: 0,
            finite: false,
            best: None,
        };
        match run.search(alpha0) {
            Ok(never) => match never {},
            Err(found) => found,
        }
    }
}

/// A trial with its iterate.
struct Point {
    t: Trial,
    at: Iterate,
}

/// `Err` ends the search with its result.
type Flow<T> = Result<T, Search>;

/// One search in progress.
struct Run<'a, 'f> {
    f: &'a mut Counted<'f>,
    from: &'a Iterate,
    direction: &'a [f64],
    hz: HagerZhang,
    phi0: f64,
    dphi0: f64,
    /// φ(0) + ε|φ(0)|.
    phi_limit: f64,
    /// Trials evaluated so far.
    trials: usize,
    /// Whether any trial had finite f and ∇f.
    finite: bool,
    /// The trial of lowest φ below φ(0) so far, to end on when the budget runs out.
    best: Option<Point>,
}

impl Run<'_, '_> {
    /// The whole search: bracket, then secant² rounds (L0–L3). Never returns `Ok`.
    fn search(&mut self, alpha0: f64) -> Flow<Infallible> {
        let (mut a, mut b) = self.bracket(alpha0)?;
        loop {
            if b.t.alpha - a.t.alpha <= f64::EPSILON * b.t.alpha {
                return Err(self.give_up());
            }
            let width = b.t.alpha - a.t.alpha;
            let (na, nb) = self.secant2(a, b)?;
            if nb.t.alpha - na.t.alpha > self.hz.gamma * width {
                // L2: the secant steps shrank the bracket too little; bisect it.
                let c = self.eval(0.5 * (na.t.alpha + nb.t.alpha))?;
                (a, b) = self.update(na, nb, c)?;
            } else {
                (a, b) = (na, nb);
            }
        }
    }

    /// Evaluates a trial; `Err` when it passes the acceptance test, or when the budget is
    /// spent.
    fn eval(&mut self, alpha: f64) -> Flow<Point> {
        if self.trials >= HagerZhang::MAX_TRIALS {
            return Err(self.give_up());
        }
        self.trials += 1;
        let (t, at) = Trial::at(self.f, self.from, self.direction, alpha);
        self.finite |= t.is_finite();
        if self.accepts(&t) {
            return Err(Search::Accepted { alpha, next: at });
        }
        if t.phi < self.best.as_ref().map_or(self.phi0, |b| b.t.phi) {
            self.best = Some(Point { t, at: at.clone() });
        }
        Ok(Point { t, at })
    }

    /// T1 or T2 (module docs), with φ'(α) ≥ σφ'(0).
    fn accepts(&self, t: &Trial) -> bool {
        let HagerZhang { delta, sigma, .. } = self.hz;
        let curvature = t.dphi >= sigma * self.dphi0;
        let wolfe = t.phi - self.phi0 <= delta * t.alpha * self.dphi0;
        let approximate = t.dphi <= (2.0 * delta - 1.0) * self.dphi0 && t.phi <= self.phi_limit;
        curvature && (wolfe || approximate)
    }

    /// The end of a search that found no acceptable step: the lowest trial below φ(0).
    fn give_up(&mut self) -> Search {
        match self.best.take() {
            Some(Point { t, at }) => Search::Decrease { alpha: t.alpha, next: at },
            None => Search::NoDecrease { non_finite: !self.finite },
        }
    }

    /// B0–B3: from c = `alpha0`, expand by ρ while φ' < 0 and φ stays below the bound.
    /// The lower end is the last such trial (B1; B2 bisects from it rather than from 0,
    /// which keeps the bracket invariant and is shorter).
    fn bracket(&mut self, alpha0: f64) -> Flow<(Point, Point)> {
        let mut a =
            Point { t: Trial { alpha: 0.0, phi: self.phi0, dphi: self.dphi0 }, at: self.from.clone() };
        let mut c = self.eval(alpha0)?;
        loop {
            if c.t.dphi >= 0.0 {
                return Ok((a, c));
            }
            // A non-finite trial has φ = +∞ (never NaN): above the bound.
            if c.t.phi > self.phi_limit {
                return self.bisect(a, c);
            }
            let next = self.hz.rho * c.t.alpha;
            if !next.is_finite() {
                return Err(self.give_up());
            }
            a = c;
            c = self.eval(next)?;
        }
    }

    /// U0–U3: the bracket [a, b] with the trial c in place of one end.
    fn update(&mut self, a: Point, b: Point, c: Point) -> Flow<(Point, Point)> {
        if !(a.t.alpha < c.t.alpha && c.t.alpha < b.t.alpha) {
            return Ok((a, b));
        }
        if c.t.dphi >= 0.0 {
            return Ok((a, c));
        }
        if c.t.phi <= self.phi_limit {
            return Ok((c, b));
        }
        self.bisect(a, c)
    }

    /// U3a–c: φ'(a) < 0 and φ(a) below the bound, φ(b) above it (or not finite): split at
    /// (1 − θ)a + θb until a point with φ' ≥ 0 closes the bracket.
    fn bisect(&mut self, mut a: Point, mut b: Point) -> Flow<(Point, Point)> {
        loop {
            if b.t.alpha - a.t.alpha <= f64::EPSILON * b.t.alpha {
                return Ok((a, b));
            }
            let theta = self.hz.theta;
            let d = self.eval((1.0 - theta) * a.t.alpha + theta * b.t.alpha)?;
            if d.t.dphi >= 0.0 {
                return Ok((a, d));
            }
            if d.t.phi <= self.phi_limit {
                a = d;
            } else {
                b = d;
            }
        }
    }

    /// S1–S4: a secant step on φ' from both ends, then a second one from the end it
    /// replaced.
    fn secant2(&mut self, a: Point, b: Point) -> Flow<(Point, Point)> {
        let (ta, tb) = (a.t, b.t);
        let guess = secant(&ta, &tb).unwrap_or(0.5 * (ta.alpha + tb.alpha));
        let c = self.eval(guess)?;
        let tc = c.t;
        let (a, b) = self.update(a, b, c)?;
        let second = if b.t == tc {
            secant(&tb, &tc)
        } else if a.t == tc {
            secant(&ta, &tc)
        } else {
            None
        };
        match second {
            Some(alpha) if a.t.alpha <= alpha && alpha <= b.t.alpha => {
                let c = self.eval(alpha)?;
                self.update(a, b, c)
            }
            _ => Ok((a, b)),
        }
    }
}

/// The zero of the line through (α, φ'(α)) at p and q, if finite.
fn secant(p: &Trial, q: &Trial) -> Option<f64> {
    let alpha = (p.alpha * q.dphi - q.alpha * p.dphi) / (q.dphi - p.dphi);
    alpha.is_finite().then_some(alpha)
}

#[cfg(test)]
mod tests {
    use faer::MatMut;

    use super::*;
    use crate::objective::Objective;

    /// A one-dimensional objective from a value-and-derivative function.
    struct OneDimensional(fn(f64) -> (f64, f64));

    impl Objective for OneDimensional {
        fn dim(&self) -> usize {
            1
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            self.0(x[0]).0
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            let (f, df) = self.0(x[0]);
            grad[0] = df;
            f
        }
        fn hvp(&mut self, _: &[f64], _: &[f64], _: &mut [f64]) {
            unimplemented!("first-order test objective")
        }
        fn hessian(&mut self, _: &[f64], _: MatMut<'_, f64>) {
            unimplemented!("first-order test objective")
        }
    }

    /// What an accepted search returned: α, φ(α), φ'(α), φ(0), φ'(0) and the trials.
    #[derive(Debug)]
    struct Accepted {
        alpha: f64,
        phi: f64,
        dphi: f64,
        phi0: f64,
        dphi0: f64,
        trials: usize,
    }

    /// Searches `phi` from x = 0 along d = +1, first trial `alpha0`, and asserts that the
    /// step is accepted with T1 or T2 (written out) and the curvature condition.
    fn accepted(hz: HagerZhang, phi: fn(f64) -> (f64, f64), alpha0: f64) -> Accepted {
        let mut objective = OneDimensional(phi);
        let mut f = Counted::new(&mut objective);
        let from = Iterate::at(&mut f, vec![0.0]);
        let (phi0, dphi0) = (from.loss, from.grad[0]);
        match hz.search(&mut f, &from, &[1.0], alpha0) {
            Search::Accepted { alpha, next } => {
                assert_eq!(next.x, [alpha]);
                let (phi, dphi) = (next.loss, next.grad[0]);
                let wolfe = phi - phi0 <= hz.delta * alpha * dphi0;
                let approximate =
                    dphi <= (2.0 * hz.delta - 1.0) * dphi0 && phi <= phi0 + hz.epsilon * phi0.abs();
                assert!(wolfe || approximate, "decrease at α = {alpha}: φ = {phi}, φ(0) = {phi0}");
                assert!(dphi >= hz.sigma * dphi0, "curvature at α = {alpha}: φ' = {dphi}");
                Accepted { alpha, phi, dphi, phi0, dphi0, trials: f.evals.gradient - 1 }
            }
            other => panic!("expected an accepted step, got {other:?}"),
        }
    }

    /// σ = 0.1: the curvature condition then holds only near a minimizer.
    const TIGHT: HagerZhang = HagerZhang { sigma: 0.1, ..HagerZhang::DEFAULT };

    /// φ(α) = (α − 1.5)², minimizer 1.5.
    fn parabola(a: f64) -> (f64, f64) {
        ((a - 1.5).powi(2), 2.0 * (a - 1.5))
    }

    #[test]
    fn a_quadratic_is_solved_by_one_secant_step() {
        // φ' is linear, so the secant step on the bracket [0, α₀] is the exact minimizer.
        for alpha0 in [3.0, 40.0] {
            let s = accepted(HagerZhang::DEFAULT, parabola, alpha0);
            assert_eq!((s.alpha, s.trials), (1.5, 2), "α₀ = {alpha0}: {s:?}");
            assert_eq!(s.dphi, 0.0);
        }
        // α₀ = 2 is past the minimizer but acceptable (T1 asks only φ' ≥ σφ'(0)): taken.
        assert_eq!(accepted(HagerZhang::DEFAULT, parabola, 2.0).trials, 1);
        // A unit first trial that is already exact (a Newton step) is taken at once.
        let s = accepted(HagerZhang::DEFAULT, |a| ((a - 1.0).powi(2), 2.0 * (a - 1.0)), 1.0);
        assert_eq!((s.alpha, s.trials, s.phi), (1.0, 1, 0.0));
        // A short first trial is expanded by ρ = 5 until acceptable: φ'(α)/φ'(0) = 1 − α/1.5,
        // so σ = 0.9 needs α ≥ 0.15; 0.01 fails, 0.05 fails, 0.25 passes (and T1 holds).
        let s = accepted(HagerZhang::DEFAULT, parabola, 0.01);
        assert!((s.alpha - 0.25).abs() < 1e-15 && s.trials == 3, "{s:?}");
    }

    /// Moré & Thuente (1994), function 1: φ(α) = −α/(α² + β), β = 2, minimizer √2.
    fn rational(a: f64) -> (f64, f64) {
        let q = a * a + 2.0;
        (-a / q, (a * a - 2.0) / (q * q))
    }

    /// Moré & Thuente (1994), function 2: φ(α) = (α + β)⁵ − 2(α + β)⁴, β = 0.004, minimizer
    /// 1.6 − β (where 5t⁴ = 8t³, t = α + β).
    fn quintic(a: f64) -> (f64, f64) {
        let t = a + 0.004;
        (t.powi(5) - 2.0 * t.powi(4), 5.0 * t.powi(4) - 8.0 * t.powi(3))
    }

    #[test]
    fn accepted_steps_satisfy_the_conditions_on_functions_with_known_minimizers() {
        for alpha0 in [1e-3, 0.1, 10.0, 1000.0] {
            accepted(HagerZhang::DEFAULT, rational, alpha0);
            accepted(HagerZhang::DEFAULT, quintic, alpha0);
            // With σ = 0.1 the step is past most of the descent towards the minimizer.
            // Rational: φ'(0) = −½; φ' = (α² − 2)/(α² + 2)² ≥ −0.05 needs α ≥ 1.20. Beyond,
            // T1 (−α/(α² + 2) ≤ −0.05α) holds up to √18 = 4.24, and T2 everywhere: φ < 0 =
            // φ(0) and φ' ≤ 1/16 < 0.8·½.
            let s = accepted(TIGHT, rational, alpha0);
            assert!(s.alpha >= 1.2, "α₀ = {alpha0}: {s:?}");
            assert_eq!(s.alpha == alpha0, alpha0 >= 10.0, "α₀ = {alpha0}: {s:?}");
            // Quintic: φ'(0) = −5.1e-7 and φ'' ≈ 20.5 near 1.596, so φ' ≥ 0.1φ'(0) needs
            // α ≥ 1.596 − 3e-9; φ(α) < φ(0) needs t = α + β < 2.
            let s = accepted(TIGHT, quintic, alpha0);
            assert!(s.alpha >= 1.596 - 1e-8 && s.alpha < 1.996, "α₀ = {alpha0}: {s:?}");
        }
    }

    #[test]
    fn near_a_minimizer_the_approximate_test_decides() {
        // φ(α) = 1 + 1e-17·(α − 1)²: φ(0) and φ(1) both round to 1, so the decrease
        // δαφ'(0) = −2e-18 cannot show and T1 fails; T2 accepts the minimizer α = 1 on φ'.
        let s = accepted(HagerZhang::DEFAULT, |a| (1.0 + 1e-17 * (a - 1.0).powi(2), 2e-17 * (a - 1.0)), 1.0);
        assert_eq!((s.alpha, s.trials, s.phi, s.phi0), (1.0, 1, 1.0, 1.0));
        assert!(s.phi - s.phi0 > HagerZhang::DEFAULT.delta * s.alpha * s.dphi0);
    }

    #[test]
    fn non_finite_trials_are_treated_as_too_long() {
        // φ = (α − 1.5)² for α < 2, NaN beyond: α₀ = 10 lands on NaN and is bisected back.
        let walled = |a: f64| if a < 2.0 { parabola(a) } else { (f64::NAN, f64::NAN) };
        let s = accepted(HagerZhang::DEFAULT, walled, 10.0);
        assert!(s.alpha < 2.0, "{s:?}");
        // NaN everywhere but at 0: every trial is non-finite, and the budget ends it.
        let mut objective = OneDimensional(|a| if a == 0.0 { parabola(a) } else { (f64::NAN, f64::NAN) });
        let mut f = Counted::new(&mut objective);
        let from = Iterate::at(&mut f, vec![0.0]);
        assert_eq!(
            HagerZhang::DEFAULT.search(&mut f, &from, &[1.0], 1.0),
            Search::NoDecrease { non_finite: true }
        );
        assert_eq!(f.evals.gradient, 1 + HagerZhang::MAX_TRIALS);
        // Uphill is refused before any evaluation.
        let before = f.evals.gradient;
        assert_eq!(HagerZhang::DEFAULT.search(&mut f, &from, &[-1.0], 1.0), Search::NotDescent);
        assert_eq!(f.evals.gradient, before);
    }
}
