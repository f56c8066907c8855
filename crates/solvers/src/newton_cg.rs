//! `newton-cg`: Hessian-free Newton with Steihaug-Toint truncated conjugate gradients
//! in a trust region (Nocedal & Wright, Alg. 7.2 inside the trust-region loop, Alg. 4.1).
//!
//! The model mₖ(p) = f + ∇fᵀp + ½pᵀ∇²f p is minimized approximately over ‖p‖ ≤ Δ by CG
//! from p = 0, touching ∇²f only through Hessian-vector products. CG stops
//! - on negative (or zero) curvature dᵀ∇²f d ≤ 0: p goes to the boundary along d, at the
//!   root τ of ‖z + τd‖ = Δ with the lower model value;
//! - when the next CG iterate would leave the region: p stops on the boundary (τ ≥ 0);
//! - when ‖r‖ ≤ εₖ = min(0.5, √‖∇f‖)·‖∇f‖ (the forcing sequence of N&W eq. 7.3, which
//!   gives superlinear convergence);
//! - after n CG iterations (or the configured cap).
//!
//! The step is accepted when the reduction ratio ρ = (f(x) − f(x + p)) / (mₖ(0) − mₖ(p))
//! exceeds η. Then ρ < ¼ shrinks the radius to ¼‖p‖; ρ > ¾ with p on the boundary
//! doubles it, up to Δmax. A trial point where f or ∇f is not finite counts as ρ = −∞.
//! Both reductions get δ = 10·ε_mach·|f| added before dividing (after Conn, Gould &
//! Toint, *Trust-Region Methods*, §17.4.2, who use max(1, |f|); relative here, as the
//! losses are sums of squares whose rounding scales with f), so that near a minimizer,
//! where the actual reduction is lost in the rounding of f, ρ tends to 1 instead of
//! being noise.

use crate::driver::{Iterate, Method, Step, dot, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{Family, Solver};
use crate::strong_wolfe::ROUNDING_SLACK;

/// Newton-CG (Steihaug) in a trust region, with HVPs only.
///
/// The trust radius persists across steps. A step from an iterate other than the one
/// this solver last returned (a new run, or a different problem) starts again from the
/// initial radius, so one value can be reused across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonCg {
    initial_radius: f64,
    max_radius: f64,
    eta: f64,
    max_cg_iter: Option<usize>,
    /// Δ for the next step.
    radius: f64,
    /// The x of the iterate the last step returned.
    last: Vec<f64>,
}

impl NewtonCg {
    /// Default initial trust radius Δ₀.
    pub const DEFAULT_INITIAL_RADIUS: f64 = crate::trust::DEFAULT_INITIAL_RADIUS;
    /// Default largest trust radius Δmax.
    pub const DEFAULT_MAX_RADIUS: f64 = crate::trust::DEFAULT_MAX_RADIUS;
    /// Default acceptance threshold η on the reduction ratio (as SciPy's `trust-ncg`).
    pub const DEFAULT_ETA: f64 = crate::trust::DEFAULT_ETA;

    /// Newton-CG with initial radius Δ₀ = `initial_radius` > 0, largest radius
    /// Δmax = `max_radius` ≥ Δ₀ (both finite), and acceptance threshold `eta` in [0, ¼).
    /// CG runs at most n iterations; see [`NewtonCg::with_max_cg_iter`].
    pub fn new(initial_radius: f64, max_radius: f64, eta: f64) -> Result<Self, String> {
        crate::trust::check_settings("newton-cg", initial_radius, max_radius, eta)?;
        Ok(NewtonCg {
            initial_radius,
            max_radius,
            eta,
            max_cg_iter: None,
            radius: initial_radius,
            last: Vec::new(),
        })
    }

    /// Caps the CG iterations per step at `max_cg_iter` (≥ 1) instead of n.
    pub fn with_max_cg_iter(mut self, max_cg_iter: usize) -> Result<Self, String> {
        if max_cg_iter == 0 {
            return Err(
                "newton-cg: the CG iteration cap must be at least 1, got 0; leave it unset to use n".into()
            );
        }
        self.max_cg_iter = Some(max_cg_iter);
        Ok(self)
    }
}

impl Default for NewtonCg {
    fn default() -> Self {
        NewtonCg::new(Self::DEFAULT_INITIAL_RADIUS, Self::DEFAULT_MAX_RADIUS, Self::DEFAULT_ETA)
            .expect("the defaults are valid")
    }
}

impl Method for NewtonCg {
    fn name(&self) -> &'static str {
        "newton-cg"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        if self.last != current.x {
            self.radius = self.initial_radius;
        }
        let g_norm = norm(&current.grad);
        let tolerance = g_norm.sqrt().min(0.5) * g_norm;
        let max_iter = self.max_cg_iter.unwrap_or(current.x.len());
        let Some(cg) = steihaug(f, current, self.radius, tolerance, max_iter) else {
            return Step::NonFinite;
        };
        let trial_x: Vec<f64> = current.x.iter().zip(&cg.p).map(|(x, p)| x + p).collect();
        let trial = Iterate::at(f, trial_x);
        let rho = if trial.is_finite() {
            let slack = ROUNDING_SLACK * current.loss.abs();
            (current.loss - trial.loss + slack) / (-cg.model + slack)
        } else {
            f64::NEG_INFINITY
        };
        let p_norm = norm(&cg.p);
        let on_boundary = matches!(cg.exit, CgExit::Boundary | CgExit::NegativeCurvature);
        self.radius = crate::trust::next_radius(self.radius, rho, p_norm, on_boundary, self.max_radius);
        let next = if rho > self.eta { trial } else { current.clone() };
        self.last.clone_from(&next.x);
        Step::next(next, p_norm).with_trust_radius(self.radius)
    }
}

/// Why the CG iteration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CgExit {
    /// ‖r‖ ≤ the forcing tolerance: p is inside the region.
    Converged,
    /// dᵀBd ≤ 0: p is on the boundary along d.
    NegativeCurvature,
    /// The next CG iterate would leave the region: p is on the boundary.
    Boundary,
    /// The iteration cap: p is the last CG iterate, inside the region.
    MaxIterations,
}

/// An approximate trust-region step.
#[derive(Clone, Debug)]
struct CgStep {
    p: Vec<f64>,
    /// m(p) − m(0) = ∇fᵀp + ½pᵀBp.
    model: f64,
    exit: CgExit,
}

/// Steihaug-Toint CG (N&W Alg. 7.2) for min ∇fᵀp + ½pᵀBp over ‖p‖ ≤ `radius`, with
/// B = ∇²f(x) through HVPs; `None` if an HVP is not finite.
///
/// Bz is never formed: the residual r = ∇f + Bz gives Bz = r − ∇f, and the model value
/// of the final p comes from it without another HVP.
fn steihaug(
    f: &mut Counted<'_>,
    at: &Iterate,
    radius: f64,
    tolerance: f64,
    max_iter: usize,
) -> Option<CgStep> {
    let g = &at.grad;
    let n = g.len();
    let mut z = vec![0.0; n];
    let mut r = g.clone();
    let mut d: Vec<f64> = g.iter().map(|g| -g).collect();
    let mut bd = vec![0.0; n];
    let mut rr = dot(&r, &r);
    // m(p) − m(0) for p = z + τd, with Bp = (r − g) + τ·Bd.
    let model = |p: &[f64], r: &[f64], tau: f64, bd: &[f64]| {
        let bp_dot_p: f64 =
            p.iter().zip(r).zip(g).zip(bd).map(|(((p, r), g), bd)| p * (r - g + tau * bd)).sum();
        dot(g, p) + 0.5 * bp_dot_p
    };
    let done = |z: Vec<f64>, r: &[f64], exit| {
        let zero = vec![0.0; n];
        CgStep { model: model(&z, r, 0.0, &zero), p: z, exit }
    };
    if rr.sqrt() <= tolerance {
        return Some(done(z, &r, CgExit::Converged));
    }
    for _ in 0..max_iter {
        f.hvp(&at.x, &d, &mut bd);
        let dbd = dot(&d, &bd);
        if !dbd.is_finite() || bd.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let to_boundary = |tau: f64, exit| {
            let p: Vec<f64> = z.iter().zip(&d).map(|(z, d)| z + tau * d).collect();
            CgStep { model: model(&p, &r, tau, &bd), p, exit }
        };
        if dbd <= 0.0 {
            let (negative, positive) = boundary_roots(&z, &d, radius);
            let (a, b) = (
                to_boundary(positive, CgExit::NegativeCurvature),
                to_boundary(negative, CgExit::NegativeCurvature),
            );
            return Some(if b.model < a.model { b } else { a });
        }
        let alpha = rr / dbd;
        let z_next: Vec<f64> = z.iter().zip(&d).map(|(z, d)| z + alpha * d).collect();
        if norm(&z_next) >= radius {
            return Some(to_boundary(boundary_roots(&z, &d, radius).1, CgExit::Boundary));
        }
        z = z_next;
        r.iter_mut().zip(&bd).for_each(|(r, bd)| *r += alpha * bd);
        let rr_next = dot(&r, &r);
        if rr_next.sqrt() <= tolerance {
            return Some(done(z, &r, CgExit::Converged));
        }
        let beta = rr_next / rr;
        rr = rr_next;
        d.iter_mut().zip(&r).for_each(|(d, r)| *d = -r + beta * *d);
    }
    Some(done(z, &r, CgExit::MaxIterations))
}

/// The roots τ₋ < 0 < τ₊ of ‖z + τd‖ = Δ, for ‖z‖ < Δ and d ≠ 0, computed without
/// cancellation.
fn boundary_roots(z: &[f64], d: &[f64], radius: f64) -> (f64, f64) {
    let (dd, zd) = (dot(d, d), dot(z, d));
    let gap = radius * radius - dot(z, z);
    let q = -(zd + zd.signum() * (zd * zd + dd * gap).sqrt());
    let (r1, r2) = (q / dd, -gap / q);
    (r1.min(r2), r1.max(r2))
}

/// `newton-cg` in the registry.
pub const SOLVER: Solver = Solver {
    name: "newton-cg",
    summary: "Steihaug's truncated CG on exact HVPs in a trust region (matrix-free)",
    family: Family::SafeguardedNewton,
    options: &[
        crate::trust::OPTIONS[0],
        crate::trust::OPTIONS[1],
        crate::trust::OPTIONS[2],
        OptionSpec::integer("cg_max", Range::AT_LEAST_ONE, 0, "most CG iterations per step (auto: n)").auto(),
    ],
    build: |o| {
        let cg = NewtonCg::new(o.number("initial_radius"), o.number("max_radius"), o.number("eta"))?;
        Ok(Box::new(match o.integer_or_auto("cg_max") {
            Some(k) => cg.with_max_cg_iter(k)?,
            None => cg,
        }))
    },
    dense: None,
};

#[cfg(test)]
mod tests {
    use faer::MatMut;

    use super::*;
    use crate::test_functions::DenseQuadratic;
    use crate::driver::{Control, Record, Status, minimize};
    use crate::test_functions::Rosenbrock;
    use crate::objective::Objective;
    use crate::test_functions::Quadratic;

    #[test]
    fn converges_on_a_positive_definite_quadratic_with_hvps_only() {
        let control = Control { max_iter: 50, gtol: 1e-10, ..Control::default() };
        let mut records = Vec::new();
        let out = minimize(
            &mut NewtonCg::default(),
            &mut DenseQuadratic::spd4(),
            vec![2.0, -1.0, 0.5, 3.0],
            &control,
            &mut |r: &Record| records.push(r.clone()),
        );
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.evals.hessian, 0);
        assert!(out.evals.hvp > 0);
        // Measured: 8 iterations, 16 HVPs; the first two end on the boundary (Δ = 1, 2).
        assert!(out.iterations <= 10, "{} iterations", out.iterations);
        assert!(records[1..].iter().all(|r| r.trust_radius.is_some()));
        assert!(records.windows(2).all(|w| w[1].loss <= w[0].loss));
    }

    #[test]
    fn follows_negative_curvature_to_the_boundary() {
        // f = ½(x₁² − 2x₂²): unbounded below along x₂. At (0.1, 1), d₀ = −∇f = (−0.1, 2)
        // has dᵀBd = 0.01 − 8 < 0, so CG leaves along it at once.
        let mut q = Quadratic::diagonal(vec![1.0, -2.0]);
        let mut f = Counted::new(&mut q);
        let at = Iterate::at(&mut f, vec![0.1, 1.0]);
        let cg = steihaug(&mut f, &at, 1.0, 0.5, 2).unwrap();
        assert_eq!((cg.exit, f.evals.hvp), (CgExit::NegativeCurvature, 1));
        assert!((norm(&cg.p) - 1.0).abs() < 1e-15);
        // p = Δ·d₀/‖d₀‖ (the positive root: the negative one would go uphill in the model).
        let d0 = norm(&[0.1, 2.0]);
        assert!((cg.p[0] + 0.1 / d0).abs() < 1e-15 && (cg.p[1] - 2.0 / d0).abs() < 1e-15);
        let exact_model = 0.5 * (cg.p[0] * cg.p[0] - 2.0 * cg.p[1] * cg.p[1]) + 0.1 * cg.p[0] - 2.0 * cg.p[1];
        assert!((cg.model - exact_model).abs() < 1e-14);
        // On a quadratic the model is exact (ρ = 1): every step is accepted on the
        // boundary and the radius doubles.
        let mut records = Vec::new();
        let control = Control { max_iter: 5, ..Control::default() };
        let out = minimize(&mut NewtonCg::default(), &mut q, vec![0.1, 1.0], &control, &mut |r| {
            records.push(r.clone())
        });
        assert_eq!(out.status, Status::MaxIterations);
        assert_eq!(out.evals.hessian, 0);
        for (k, w) in records.windows(2).enumerate() {
            assert!(w[1].loss < w[0].loss);
            let radius_before = if k == 0 { 1.0 } else { w[0].trust_radius.unwrap() };
            assert!((w[1].step_norm - radius_before).abs() < 1e-12 * radius_before, "step {k}");
            assert_eq!(w[1].trust_radius, Some(2.0 * radius_before));
        }
        assert!(out.last.x[1] > 30.0 && out.last.loss < -900.0, "{:?}", out.last);
    }

    #[test]
    fn cg_stops_on_the_boundary_on_the_residual_or_at_the_cap() {
        let mut q = DenseQuadratic::spd4();
        let mut f = Counted::new(&mut q);
        let at = Iterate::at(&mut f, vec![2.0, -1.0, 0.5, 3.0]);
        let newton_norm = 3.1; // ‖A⁻¹∇f‖ ≈ 3.3
        let cg = steihaug(&mut f, &at, 0.5, 1e-12, 4).unwrap();
        assert_eq!(cg.exit, CgExit::Boundary);
        assert!((norm(&cg.p) - 0.5).abs() < 1e-14 && cg.model < 0.0);
        let hvps = f.evals.hvp;
        let cg = steihaug(&mut f, &at, 100.0, 1e-12, 4).unwrap();
        assert_eq!(cg.exit, CgExit::Converged);
        assert!(f.evals.hvp - hvps <= 4 && norm(&cg.p) > newton_norm);
        // The Newton step: A p = −∇f, and the model value −½ ∇fᵀA⁻¹∇f = ½∇fᵀp.
        let ap = DenseQuadratic::spd4().a_times(&cg.p);
        assert!(ap.iter().zip(&at.grad).all(|(ap, g)| (ap + g).abs() < 1e-11));
        assert!((cg.model - 0.5 * dot(&at.grad, &cg.p)).abs() < 1e-12);
        let hvps = f.evals.hvp;
        let cg = steihaug(&mut f, &at, 100.0, 1e-12, 1).unwrap();
        assert_eq!((cg.exit, f.evals.hvp - hvps), (CgExit::MaxIterations, 1));
    }

    /// f = ½x² − 3x for x < 2, NaN beyond: the Newton step from 0 (to 3) is not finite.
    struct Cliff;

    impl Objective for Cliff {
        fn dim(&self) -> usize {
            1
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            if x[0] < 2.0 { 0.5 * x[0] * x[0] - 3.0 * x[0] } else { f64::NAN }
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            grad[0] = x[0] - 3.0;
            self.value(x)
        }
        fn hvp(&mut self, _: &[f64], v: &[f64], out: &mut [f64]) {
            out[0] = v[0];
        }
        fn hessian(&mut self, _: &[f64], mut out: MatMut<'_, f64>) {
            out[(0, 0)] = 1.0;
        }
    }

    #[test]
    fn a_non_finite_trial_is_rejected_and_shrinks_the_radius() {
        let mut solver = NewtonCg::new(10.0, 100.0, 0.15).unwrap();
        let mut radii = Vec::new();
        let control = Control { max_iter: 2, ..Control::default() };
        let out = minimize(&mut solver, &mut Cliff, vec![0.0], &control, &mut |r| {
            radii.push((r.step_norm, r.trust_radius))
        });
        assert_eq!(out.status, Status::MaxIterations);
        // Trial 3 is NaN: rejected, Δ = ¼·3. Then the boundary step 0.75 is exact (ρ = 1): Δ doubles.
        assert_eq!(radii, [(0.0, None), (0.0, Some(0.75)), (0.75, Some(1.5))]);
        assert_eq!(out.last.x, [0.75]);
    }

    #[test]
    fn converges_on_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let out = minimize(&mut NewtonCg::default(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.x.iter().all(|x| (x - 1.0).abs() < 1e-8), "{:?}", out.last.x);
        assert_eq!(out.evals.hessian, 0);
        // Measured: 30 iterations (3 rejected steps), 31 gradients, 46 HVPs.
        assert!(out.iterations <= 40, "{} iterations", out.iterations);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        let err = NewtonCg::new(0.0, 10.0, 0.1).unwrap_err();
        assert!(err.starts_with("newton-cg: the initial trust radius"), "{err}");
        let err = NewtonCg::new(2.0, 1.0, 0.1).unwrap_err();
        assert!(err.starts_with("newton-cg: the maximum trust radius") && err.contains("at least"), "{err}");
        let err = NewtonCg::new(1.0, 10.0, 0.25).unwrap_err();
        assert!(err.starts_with("newton-cg: eta "), "{err}");
        let err = NewtonCg::default().with_max_cg_iter(0).unwrap_err();
        assert!(err.contains("CG iteration cap"), "{err}");
        assert!(NewtonCg::default().with_max_cg_iter(3).is_ok());
    }
}
