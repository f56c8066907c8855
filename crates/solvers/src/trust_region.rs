//! `trust-region`: Newton's quadratic model minimized exactly inside a ball,
//! min m(p) = gᵀp + ½pᵀHp subject to ‖p‖ ≤ Δ, through the eigendecomposition
//! H = QΛQᵀ (Moré & Sorensen, "Computing a trust region step", 1983; Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., §4.3, Algorithms 4.1 and 4.3).
//!
//! The subproblem's solution is p(λ) = −(H + λI)⁻¹g with λ ≥ 0, H + λI ⪰ 0 and
//! λ(Δ − ‖p‖) = 0. In the eigenbasis (g̃ = Qᵀg), p̃ᵢ(λ) = −g̃ᵢ / (λᵢ + λ):
//! - H ≻ 0 and ‖p(0)‖ ≤ Δ: the Newton step, λ = 0;
//! - the hard case, λ₁ ≤ 0 and g ⟂ the λ₁ eigenspace (‖g̃ over it‖ ≤ `HARD_CASE_RTOL`·‖g‖)
//!   with ‖p(−λ₁)‖ ≤ Δ over the other eigenvectors: λ = −λ₁ and p = p(−λ₁) + τz with z
//!   the first eigenvector of λ₁ and τ such that ‖p‖ = Δ (sign: τ·zᵀg ≤ 0);
//! - otherwise the root λ ∈ (max(0, −λ₁), max(0, −λ₁) + ‖g‖/Δ] of the secular equation
//!   1/Δ − 1/‖p(λ)‖ = 0, found by Newton's method (the update of Algorithm 4.3,
//!   λ ← λ + (‖p‖/‖q‖)²(‖p‖ − Δ)/Δ with ‖q‖² = Σ g̃ᵢ²/(λᵢ + λ)³) safeguarded by bisection
//!   in a bracket, to |‖p‖ − Δ| ≤ `SECULAR_RTOL`·Δ.
//!
//! Eigenvalues within `analysis::ZERO_TOLERANCE`·max|λᵢ| of λ₁ (or of zero) count as equal
//! to it (the contract's zero tolerance, docs/CONTRACT.md).
//!
//! Outer iteration (Algorithm 4.1): ρ = (f(x) − f(x + p)) / (m(0) − m(p)) (both shifted
//! by 10ε·max(1, |f|), `damping::gain_ratio`); ρ < ¼ shrinks
//! Δ ← ¼‖p‖ (rather than ¼Δ, so a failed interior step is not tried again); ρ > ¾ with
//! ‖p‖ = Δ expands Δ ← min(2Δ, Δ_max); the step is accepted if ρ > η. A non-finite
//! f(x + p) counts as ρ = −∞. The eigendecomposition of a rejected iterate is kept. A run
//! is recognized by the iterate it is handed: anything other than the iterate this solver
//! returned last restarts Δ at its initial value.

use crate::analysis::ZERO_TOLERANCE;
use crate::damping;
use crate::dense::{self, Eigen};
use crate::driver::{Iterate, Method, Step, norm};
use crate::objective::Counted;
use crate::registry::{self, Family, Solver};

/// The hard case holds when the gradient's component in the λ₁ eigenspace is at most
/// this fraction of ‖g‖ (and p(−λ₁) fits in the region).
pub(crate) const HARD_CASE_RTOL: f64 = 1e-10;

/// The secular equation is solved to |‖p‖ − Δ| ≤ `SECULAR_RTOL`·Δ.
pub(crate) const SECULAR_RTOL: f64 = 1e-12;

/// Iterations allowed to the safeguarded Newton method on the secular equation (it
/// converges monotonically once left of the root, typically in under ten).
const MAX_SECULAR_ITERATIONS: usize = 200;

/// Trust-region Newton with the exact subproblem solution.
#[derive(Clone, Debug)]
pub struct TrustRegion {
    initial_radius: f64,
    max_radius: f64,
    eta: f64,
    state: Option<State>,
}

/// What carries over between iterations of one run.
#[derive(Clone, Debug)]
struct State {
    /// The iterate returned last.
    at: Vec<f64>,
    radius: f64,
    /// The eigendecomposition of H at `at`, kept after a rejected step.
    eigen: Option<Eigen>,
}

impl TrustRegion {
    /// Default Δ₀.
    pub const DEFAULT_INITIAL_RADIUS: f64 = crate::trust::DEFAULT_INITIAL_RADIUS;
    /// Default Δ_max.
    pub const DEFAULT_MAX_RADIUS: f64 = crate::trust::DEFAULT_MAX_RADIUS;
    /// Default acceptance threshold η on ρ.
    pub const DEFAULT_ETA: f64 = crate::trust::DEFAULT_ETA;

    /// A trust region starting at radius `initial_radius` (> 0), never larger than
    /// `max_radius` (finite, ≥ `initial_radius`), accepting steps with ρ > `eta`
    /// (in [0, ¼)).
    pub fn new(initial_radius: f64, max_radius: f64, eta: f64) -> Result<Self, String> {
        crate::trust::check_settings("trust-region", initial_radius, max_radius, eta)?;
        Ok(TrustRegion { initial_radius, max_radius, eta, state: None })
    }
}

impl Default for TrustRegion {
    fn default() -> Self {
        TrustRegion {
            initial_radius: Self::DEFAULT_INITIAL_RADIUS,
            max_radius: Self::DEFAULT_MAX_RADIUS,
            eta: Self::DEFAULT_ETA,
            state: None,
        }
    }
}

impl PartialEq for TrustRegion {
    /// Equal hyperparameters (the state of a run is not compared).
    fn eq(&self, other: &Self) -> bool {
        (self.initial_radius, self.max_radius, self.eta)
            == (other.initial_radius, other.max_radius, other.eta)
    }
}

/// The solution of the trust-region subproblem, in the eigenbasis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Subproblem {
    /// p̃ = Qᵀp.
    pub(crate) p: Vec<f64>,
    /// The multiplier λ ≥ 0: (H + λI)p = −g.
    pub(crate) lambda: f64,
    /// Whether ‖p‖ = Δ (always when λ > 0).
    pub(crate) boundary: bool,
    /// Whether the hard case was taken.
    pub(crate) hard_case: bool,
}

/// Solves min g̃ᵀp̃ + ½Σλᵢp̃ᵢ² s.t. ‖p̃‖ ≤ Δ for ascending eigenvalues `values`, the
/// gradient `g` in the eigenbasis and `radius` Δ > 0 (see the module documentation).
pub(crate) fn solve_subproblem(values: &[f64], g: &[f64], radius: f64) -> Subproblem {
    let n = values.len();
    let boundary = |p: Vec<f64>, lambda: f64| Subproblem { p, lambda, boundary: true, hard_case: false };
    if n == 0 {
        return Subproblem { p: Vec::new(), lambda: 0.0, boundary: false, hard_case: false };
    }
    let zero_tol = ZERO_TOLERANCE * values.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let lowest = values[0];
    let g_norm = norm(g);

    if lowest > zero_tol {
        let p: Vec<f64> = values.iter().zip(g).map(|(l, g)| -g / l).collect();
        if norm(&p) <= radius {
            return Subproblem { p, lambda: 0.0, boundary: false, hard_case: false };
        }
    } else {
        // The eigenspace of λ₁: the leading eigenvalues within the tolerance of λ₁.
        let m = values.iter().take_while(|l| **l <= lowest + zero_tol).count();
        if norm(&g[..m]) <= HARD_CASE_RTOL * g_norm {
            let lambda = (-lowest).max(0.0);
            let mut p: Vec<f64> = (0..n)
                .map(|i| if i < m || g[i] == 0.0 { 0.0 } else { -g[i] / (values[i] + lambda) })
                .collect();
            let p_norm = norm(&p);
            if p_norm <= radius {
                if lambda == 0.0 {
                    // H ⪰ 0 singular, g in its range and the minimum-norm step fits.
                    return Subproblem { p, lambda, boundary: false, hard_case: false };
                }
                let tau = ((radius - p_norm) * (radius + p_norm)).max(0.0).sqrt();
                p[0] = if g[0] > 0.0 { -tau } else { tau };
                return Subproblem { p, lambda, boundary: true, hard_case: true };
            }
        }
    }

    // Secular equation in the shifted multiplier μ = λ − max(0, −λ₁), so that the
    // denominators (λᵢ + max(0, −λ₁)) + μ keep full precision near the pole μ = 0. The
    // root lies in (0, ‖g‖/Δ]: ‖p‖ → ∞ (or the hard case) as μ → 0⁺, and at μ = ‖g‖/Δ
    // ‖p‖ ≤ ‖g‖/(λ₁ + λ) ≤ Δ.
    let shift = (-lowest).max(0.0);
    let shifted: Vec<f64> = values.iter().map(|l| l + shift).collect();
    let step = |mu: f64| -> Vec<f64> {
        shifted.iter().zip(g).map(|(l, g)| if *g == 0.0 { 0.0 } else { -g / (l + mu) }).collect()
    };
    let (mut lo, mut hi) = (0.0, g_norm / radius);
    let mut mu = hi;
    for _ in 0..MAX_SECULAR_ITERATIONS {
        let p = step(mu);
        let p_norm = norm(&p);
        if (p_norm - radius).abs() <= SECULAR_RTOL * radius {
            return boundary(p, shift + mu);
        }
        if p_norm > radius {
            lo = mu;
        } else {
            hi = mu;
        }
        if hi - lo <= f64::EPSILON * hi {
            break;
        }
        let q2: f64 =
            shifted.iter().zip(g).filter(|(_, g)| **g != 0.0).map(|(l, g)| g * g / (l + mu).powi(3)).sum();
        let newton = mu + p_norm * p_norm / q2 * (p_norm - radius) / radius;
        // Moré-Sorensen's safeguard: outside the bracket, a geometric step into it.
        mu = if newton > lo && newton < hi { newton } else { (lo * hi).sqrt().max(1e-3 * hi) };
    }
    // The bracket collapsed to rounding: p(hi) is feasible; extend it along the first
    // eigenvector to the boundary (a Moré-Sorensen correction: the residual of
    // (H + λI)p = −g grows by τ(λ₁ + λ), negligible here).
    let mut p = step(hi);
    let p_norm = norm(&p);
    let tau = ((radius - p_norm) * (radius + p_norm)).max(0.0).sqrt();
    p[0] += if p[0] > 0.0 { tau } else { -tau };
    boundary(p, shift + hi)
}

/// m(p) − m(0) = g̃ᵀp̃ + ½Σλᵢp̃ᵢ², in the eigenbasis.
pub(crate) fn model_change(values: &[f64], g: &[f64], p: &[f64]) -> f64 {
    values.iter().zip(g).zip(p).map(|((l, g), p)| g * p + 0.5 * l * p * p).sum()
}

impl Method for TrustRegion {
    fn name(&self) -> &'static str {
        "trust-region"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let state = self.state.take().filter(|s| s.at == current.x);
        let (eigen, mut radius) = match state {
            Some(State { eigen, radius, .. }) => (eigen, radius),
            None => (None, self.initial_radius),
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
        let g = eigen.qt_mul(&current.grad);
        let sub = solve_subproblem(&eigen.values, &g, radius);
        let predicted = -model_change(&eigen.values, &g, &sub.p);
        let p = eigen.q_mul(&sub.p);
        let p_norm = norm(&p);
        if !p_norm.is_finite() {
            return Step::NonFinite;
        }
        let trial: Vec<f64> = current.x.iter().zip(&p).map(|(x, p)| x + p).collect();
        let value = f.value(&trial);
        let rho = damping::gain_ratio(current.loss, value, predicted);
        radius = crate::trust::next_radius(radius, rho, p_norm, sub.boundary, self.max_radius);
        let (next, eigen) =
            if rho > self.eta { (Iterate::at(f, trial), None) } else { (current.clone(), Some(eigen)) };
        self.state = Some(State { at: next.x.clone(), radius, eigen });
        Step::next(next, p_norm).with_trust_radius(radius)
    }
}

/// `trust-region` in the registry.
pub const SOLVER: Solver = Solver {
    name: "trust-region",
    summary: "exact trust-region subproblem on H (Moré–Sorensen, hard case included)",
    family: Family::SafeguardedNewton,
    options: crate::trust::OPTIONS,
    build: |o| {
        Ok(Box::new(TrustRegion::new(o.number("initial_radius"), o.number("max_radius"), o.number("eta"))?))
    },
    dense: Some(registry::hessian_matrix),
};

#[cfg(test)]
mod tests {
    use faer::Mat;

    use super::*;
    use crate::test_functions::{DenseQuadratic, Rosenbrock, rotated};
    use crate::dense::matvec;
    use crate::driver::{Control, Status, dot, minimize};

    fn indefinite() -> DenseQuadratic {
        // f = ½(x² − y²) − x + 2y: a saddle at (1, 2), f unbounded below along y.
        DenseQuadratic::new(&[&[1.0, 0.0], &[0.0, -1.0]], &[-1.0, 2.0])
    }

    /// The subproblem for a full H and g: (p, λ, hard case).
    fn solve(h: &Mat<f64>, g: &[f64], radius: f64) -> (Vec<f64>, f64, bool) {
        let eigen = Eigen::new(h.as_ref()).unwrap();
        let sub = solve_subproblem(&eigen.values, &eigen.qt_mul(g), radius);
        (eigen.q_mul(&sub.p), sub.lambda, sub.hard_case)
    }

    fn model(h: &Mat<f64>, g: &[f64], p: &[f64]) -> f64 {
        dot(g, p) + 0.5 * dot(p, &matvec(h.as_ref(), p))
    }

    /// The Cauchy point: the model's minimizer along −g inside the region (N&W (4.11)).
    fn cauchy(h: &Mat<f64>, g: &[f64], radius: f64) -> Vec<f64> {
        let g_norm = norm(g);
        let curvature = dot(g, &matvec(h.as_ref(), g));
        let tau = if curvature <= 0.0 { 1.0 } else { (g_norm.powi(3) / (radius * curvature)).min(1.0) };
        g.iter().map(|g| -tau * radius / g_norm * g).collect()
    }

    /// Checks the optimality conditions (N&W Theorem 4.1) and the Cauchy decrease.
    fn assert_optimal(h: &Mat<f64>, g: &[f64], radius: f64, p: &[f64], lambda: f64) {
        let n = g.len();
        let scale = dense::max_abs(h.as_ref()) + lambda + norm(g);
        let hp = matvec(h.as_ref(), p);
        for i in 0..n {
            let r = hp[i] + lambda * p[i] + g[i];
            assert!(r.abs() <= 1e-9 * scale, "(H + λI)p + g = {r} in row {i}");
        }
        assert!(lambda >= 0.0);
        assert!(norm(p) <= radius * (1.0 + 1e-10));
        assert!(
            lambda * (radius - norm(p)).abs() <= 1e-9 * scale * radius,
            "λ = {lambda}, ‖p‖ = {}",
            norm(p)
        );
        let shifted = Mat::from_fn(n, n, |i, j| h[(i, j)] + if i == j { lambda } else { 0.0 });
        let lowest = Eigen::new(shifted.as_ref()).unwrap().values[0];
        assert!(lowest >= -1e-9 * scale, "H + λI has eigenvalue {lowest}");
        if norm(g) > 0.0 {
            let (m, mc) = (model(h, g, p), model(h, g, &cauchy(h, g, radius)));
            assert!(m <= mc + 1e-12 * scale, "model {m} above the Cauchy point's {mc}");
        }
    }

    #[test]
    fn the_hard_case_reaches_the_boundary() {
        // H = Q diag(−2, 1, 3) Qᵀ and g = Q(0, 1, 1): g ⟂ the eigenvector of λ₁ = −2.
        // p(2) = −Q(0, 1/3, 1/5) has norm 0.389 < Δ = 1, so p = p(2) ± τ q₁, λ = 2.
        let h = rotated(&[-2.0, 1.0, 3.0]);
        let q = crate::test_functions::rotation(3);
        let g: Vec<f64> = (0..3).map(|i| q[(i, 1)] + q[(i, 2)]).collect();
        let (p, lambda, hard) = solve(&h, &g, 1.0);
        assert!(hard);
        assert!((norm(&p) - 1.0).abs() < 1e-12, "‖p‖ = {}", norm(&p));
        assert!((lambda - 2.0).abs() < 1e-12);
        assert_optimal(&h, &g, 1.0, &p, lambda);
        // m(p) = gᵀp(2) + ½p(2)ᵀHp(2) + ½λ₁τ² = −(1/3 + 1/5) + ½(1/9 + 3/25) − (1 − 0.1511).
        let tau2 = 1.0 - (1.0 / 9.0 + 1.0 / 25.0);
        let expected = -(1.0 / 3.0 + 1.0 / 5.0) + 0.5 * (1.0 / 9.0 + 3.0 / 25.0) - tau2;
        assert!((model(&h, &g, &p) - expected).abs() < 1e-12);
        assert!(model(&h, &g, &p) < model(&h, &g, &cauchy(&h, &g, 1.0)));
        // With a smaller radius p(2) does not fit: the easy case, λ > 2, no τ.
        let (p, lambda, hard) = solve(&h, &g, 0.2);
        assert!(!hard && lambda > 2.0);
        assert!((norm(&p) - 0.2).abs() < 1e-12);
        assert_optimal(&h, &g, 0.2, &p, lambda);
    }

    #[test]
    fn subproblem_solutions_satisfy_the_optimality_conditions() {
        let cases: Vec<(Vec<f64>, Vec<f64>, f64)> = vec![
            // Positive definite, interior Newton step and boundary.
            (vec![1.0, 2.0, 5.0], vec![0.5, -0.3, 1.0], 10.0),
            (vec![1.0, 2.0, 5.0], vec![0.5, -0.3, 1.0], 0.1),
            // Indefinite, easy case, small and large radius.
            (vec![-3.0, -1.0, 0.5, 4.0], vec![0.2, 1.0, -1.0, 0.5], 0.05),
            (vec![-3.0, -1.0, 0.5, 4.0], vec![0.2, 1.0, -1.0, 0.5], 50.0),
            // Nearly hard: a tiny gradient component along the lowest eigenvector.
            (vec![-1.0, 2.0], vec![1e-7, 1.0], 3.0),
            // Singular positive semidefinite, g in the range: interior minimum-norm step.
            (vec![0.0, 2.0, 3.0], vec![0.0, 1.0, 1.0], 10.0),
            // Singular positive semidefinite, g not in the range: boundary.
            (vec![0.0, 2.0, 3.0], vec![0.1, 1.0, 1.0], 2.0),
            // Zero gradient at a saddle: the hard case with p(−λ₁) = 0 steps along z.
            (vec![-1.0, 2.0], vec![0.0, 0.0], 0.5),
        ];
        for (eigs, g_eig, radius) in cases {
            let h = rotated(&eigs);
            let q = crate::test_functions::rotation(eigs.len());
            let g = matvec(q.as_ref(), &g_eig);
            let (p, lambda, _) = solve(&h, &g, radius);
            assert_optimal(&h, &g, radius, &p, lambda);
            if eigs[0] < 0.0 {
                assert!((norm(&p) - radius).abs() < 1e-10 * radius, "{eigs:?}: ‖p‖ = {}", norm(&p));
            }
        }
        // Interior cases are the Newton / minimum-norm steps with λ = 0.
        let sub = solve_subproblem(&[1.0, 2.0], &[1.0, 2.0], 5.0);
        assert_eq!(sub, Subproblem { p: vec![-1.0, -1.0], lambda: 0.0, boundary: false, hard_case: false });
    }

    #[test]
    fn converges_on_a_positive_definite_quadratic() {
        let mut q =
            DenseQuadratic::new(&[&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]], &[1.0, -2.0, 3.0]);
        let control = Control { gtol: 1e-10, ..Control::default() };
        let mut radii = Vec::new();
        let out = minimize(&mut TrustRegion::default(), &mut q, vec![5.0, -7.0, 1.0], &control, &mut |r| {
            radii.push(r.trust_radius)
        });
        assert_eq!(out.status, Status::Converged);
        for (x, e) in out.last.x.iter().zip([-2.0 / 3.0, 5.0 / 3.0, -7.0 / 3.0]) {
            assert!((x - e).abs() < 1e-10, "{:?}", out.last.x);
        }
        // ‖x₀ − x*‖ ≈ 10.2: boundary steps of 1, 2, 4 (ρ = 1, the radius doubles), then the
        // Newton step once it fits. Measured: 4 iterations.
        assert_eq!(&radii[1..4], &[Some(2.0), Some(4.0), Some(8.0)]);
        assert!(out.iterations <= 5, "{} iterations", out.iterations);
    }

    #[test]
    fn moves_away_from_the_saddle_of_an_indefinite_quadratic() {
        let mut records = Vec::new();
        let control = Control { max_iter: 6, ..Control::default() };
        let out =
            minimize(&mut TrustRegion::default(), &mut indefinite(), vec![2.0, 2.5], &control, &mut |r| {
                records.push(r.clone())
            });
        assert_eq!(out.status, Status::MaxIterations);
        for w in records.windows(2) {
            assert!(w[1].loss < w[0].loss, "{} then {}", w[0].loss, w[1].loss);
        }
        // Every step is a boundary step with ρ = 1: ‖p‖ = 1, 2, 4, …
        assert!((records[1].step_norm - 1.0).abs() < 1e-12);
        assert!(out.last.x[1] - 2.0 > 20.0, "{:?}", out.last.x);
    }

    #[test]
    fn the_hard_case_escapes_the_stable_manifold_of_a_saddle() {
        // From (2, 2), g = (1, 0) ⟂ the negative-curvature direction e₂ (where Newton and
        // saddle-free Newton converge to the saddle). p(1) = (−½, 0) fits in Δ = 1, so
        // p = (−½, ±√¾): f drops from 2 to 2 − ½ + ⅛ − ⅜ = 1.25.
        let mut records = Vec::new();
        let control = Control { max_iter: 3, ..Control::default() };
        minimize(&mut TrustRegion::default(), &mut indefinite(), vec![2.0, 2.0], &control, &mut |r| {
            records.push(r.clone())
        });
        assert!((records[0].loss - 2.0).abs() < 1e-15);
        assert!((records[1].loss - 1.25).abs() < 1e-12, "{}", records[1].loss);
        assert!((records[1].step_norm - 1.0).abs() < 1e-12);
        assert_eq!(records[1].trust_radius, Some(2.0));
        assert!(records[3].loss < records[2].loss && records[2].loss < records[1].loss);
    }

    #[test]
    fn solves_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let out =
            minimize(&mut TrustRegion::default(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.grad_norm() <= 1e-8);
        assert!((out.last.x[0] - 1.0).abs() < 1e-8 && (out.last.x[1] - 1.0).abs() < 1e-8);
        // Measured: 26 iterations (3 of them rejected steps), 23 Hessians, 50 values.
        assert!((21..=31).contains(&out.iterations), "{} iterations", out.iterations);
    }

    #[test]
    fn a_rejected_step_shrinks_the_radius_and_keeps_the_iterate() {
        // Rosenbrock from (−1.2, 1) with Δ₀ = 100: the Newton step (length 0.38) is taken
        // and accepted; then the next Newton step (length ≈ 4.95) overshoots to f ≈ 1.4e3.
        let mut tr = TrustRegion::new(100.0, 1000.0, 0.15).unwrap();
        let mut obj = Rosenbrock;
        let mut f = Counted::new(&mut obj);
        let start = Iterate::at(&mut f, vec![-1.2, 1.0]);
        let Step::Next { next: first, .. } = tr.step(&mut f, &start) else { panic!("expected a step") };
        assert_ne!(first, start);
        let Step::Next { next: second, trial_norm, trust_radius, .. } = tr.step(&mut f, &first) else {
            panic!("expected a step")
        };
        assert_eq!(second, first);
        assert_eq!(trust_radius, Some(0.25 * trial_norm));
        tr.step(&mut f, &second);
        assert_eq!(f.evals.hessian, 2);
    }

    #[test]
    fn a_reused_solver_starts_afresh() {
        // The adaptive state is tied to the iterate returned last; a new start resets it.
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        let mut solver = TrustRegion::default();
        let first = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        let again = minimize(&mut solver, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(first, again);
    }

    #[test]
    fn invalid_hyperparameters_are_named() {
        assert!(TrustRegion::new(0.0, 10.0, 0.1).unwrap_err().contains("initial radius"));
        assert!(TrustRegion::new(2.0, 1.0, 0.1).unwrap_err().contains("maximum radius"));
        assert!(TrustRegion::new(1.0, f64::INFINITY, 0.1).unwrap_err().contains("maximum radius"));
        assert!(TrustRegion::new(1.0, 10.0, 0.25).unwrap_err().contains("eta"));
        assert!(TrustRegion::new(1.0, 10.0, -1.0).unwrap_err().contains("eta"));
        assert_eq!(TrustRegion::new(1.0, 1000.0, 0.15).unwrap(), TrustRegion::default());
    }
}
