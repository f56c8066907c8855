//! `ssbfgs` and `ssbroyden`: the self-scaled quasi-Newton updates of Al-Baali's family
//! that Urbán, Stefanou & Pons (JCP 2025) use for PINNs, with a strong-Wolfe line search.
//!
//! With s = xₖ₊₁ − xₖ, y = ∇fₖ₊₁ − ∇fₖ, the inverse-Hessian approximation is updated as
//!
//!   Hₖ₊₁ = (Hₖ − Hy yᵀH / yᵀHy + φₖ·yᵀHy·v vᵀ) / τₖ + s sᵀ / yᵀs,
//!   v = s / yᵀs − Hy / yᵀHy,
//!
//! which satisfies the secant condition Hₖ₊₁y = s for every τₖ and φₖ (vᵀy = 0). The two
//! methods differ only in the Broyden parameter θₖ (φₖ = (1 − θₖ)/(1 + aₖθₖ)):
//! `ssbfgs` takes θₖ = 0 (φₖ = 1, the BFGS update scaled by 1/τₖ); `ssbroyden` chooses
//! θₖ in the interval that keeps Hₖ₊₁ positive definite and well scaled. With
//! hₖ = yᵀHy / yᵀs, bₖ = sᵀBs / yᵀs = −αₖ sᵀ∇fₖ / yᵀs (Bₖs = −αₖ∇fₖ for a step along
//! −Hₖ∇fₖ) and aₖ = bₖhₖ − 1:
//!
//! - θₖ = max(θ⁻, min(θ⁺, (1 − bₖ)/bₖ)), with cₖ = √|aₖ/(1 + aₖ)|, ρₖ⁻ = min(1, hₖ(1 − cₖ)),
//!   θ⁻ = (ρₖ⁻ − 1)/aₖ and θ⁺ = 1/ρₖ⁻ (`ssbroyden`);
//! - τₖ = hₖ/(1 + aₖθₖ) at the first update (this replaces N&W's H₀ scaling), and later,
//!   with ρₖ = min(1, 1/bₖ) and σₖ = 1 + θₖaₖ, τₖ = min(ρₖσₖ^(1/(1−n)), σₖ) when θₖ ≤ 0,
//!   else ρₖ·min(σₖ^(1/(1−n)), 1/θₖ).
//!
//! These are the formulas of Al-Baali & Khalfan's self-scaling family as Urbán et al. state
//! them (and as the JAX implementation of Bioli & Mendibe Abarrategi, 2026, codes them).
//! H₀ = I; each iteration searches along −Hₖ∇fₖ with a unit first trial, the first along
//! −∇f with first trial min(1, 1/‖∇f‖), under the strong Wolfe conditions (c₁ = 1e-4,
//! c₂ = 0.9, the search `bfgs` uses). An update whose yᵀs is not positive with a margin,
//! or whose scalars are not finite, is skipped.

use crate::bfgs::dense_quasi_newton_search;
use crate::driver::{Iterate, Method, Step, dot, norm};
use crate::line_search_kind::LINE_SEARCH_OPTIONS;
use crate::objective::Counted;
use crate::strong_wolfe::Wolfe;

/// Which member of the self-scaled family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// θₖ = 0: self-scaled BFGS.
    Bfgs,
    /// θₖ from the interval above: self-scaled Broyden.
    Broyden,
}

/// A self-scaled quasi-Newton method (`ssbfgs` or `ssbroyden`).
///
/// As with `bfgs`, a step from an iterate other than the one this solver last returned
/// starts again from H₀ = I.
#[derive(Clone, Debug, PartialEq)]
pub struct SelfScaled {
    family: Update,
    wolfe: Wolfe,
    /// Hₖ (n × n, row-major); `None` for H₀ = I (before the first update).
    inverse: Option<Vec<f64>>,
    /// The x of the iterate the last step returned.
    last: Vec<f64>,
}

impl SelfScaled {
    /// An update is skipped when yᵀs ≤ `SKIP_TOLERANCE`·‖s‖‖y‖.
    pub const SKIP_TOLERANCE: f64 = 1e-8;

    /// The method with the strong-Wolfe constants c₁ = 1e-4, c₂ = 0.9.
    pub fn new(family: Update) -> Self {
        SelfScaled { family, wolfe: Wolfe::default(), inverse: None, last: Vec::new() }
    }

    /// The same method with the strong-Wolfe constants 0 < `c1` < `c2` < 1.
    pub fn with_wolfe(self, c1: f64, c2: f64) -> Result<Self, String> {
        Ok(SelfScaled { wolfe: Wolfe::new(self.name(), c1, c2)?, ..self })
    }

    /// The registry's options of both members: the strong-Wolfe constants.
    pub(crate) const OPTIONS: &[crate::options::OptionSpec] =
        &[LINE_SEARCH_OPTIONS[1], LINE_SEARCH_OPTIONS[2]];

    /// Hₖ₊₁ from the pair (s, y), the step length α and ∇fₖ.
    fn update(&mut self, s: &[f64], y: &[f64], alpha: f64, grad: &[f64]) {
        let n = s.len();
        let sy = dot(s, y);
        let curvature = sy > Self::SKIP_TOLERANCE * norm(s) * norm(y);
        if !curvature {
            return;
        }
        let first = self.inverse.is_none();
        let identity = || {
            let mut h = vec![0.0; n * n];
            h.iter_mut().step_by(n + 1).for_each(|d| *d = 1.0);
            h
        };
        let h_matrix = self.inverse.clone().unwrap_or_else(identity);
        let hy = mat_vec(&h_matrix, y);
        let yhy = dot(y, &hy);
        let h = yhy / sy;
        let b = -alpha * dot(s, grad) / sy;
        let a = b * h - 1.0;
        let theta = match self.family {
            Update::Bfgs => 0.0,
            Update::Broyden => broyden_theta(a, b, h),
        };
        let tau = scaling(first, theta, a, b, h, n);
        let phi = (1.0 - theta) / (1.0 + a * theta);
        if ![yhy, h, b, theta, tau, 1.0 / tau, phi].iter().all(|v| v.is_finite()) || yhy <= 0.0 {
            return;
        }
        let v: Vec<f64> = s.iter().zip(&hy).map(|(s, hy)| s / sy - hy / yhy).collect();
        let mut next = h_matrix;
        for (i, row) in next.chunks_exact_mut(n).enumerate() {
            for (j, hij) in row.iter_mut().enumerate() {
                let scaled = *hij - hy[i] * hy[j] / yhy + phi * yhy * v[i] * v[j];
                *hij = scaled / tau + s[i] * s[j] / sy;
            }
        }
        if next.iter().all(|v| v.is_finite()) {
            self.inverse = Some(next);
        }
    }
}

/// `ssbroyden`'s θₖ: max(θ⁻, min(θ⁺, (1 − b)/b)) (module docs).
fn broyden_theta(a: f64, b: f64, h: f64) -> f64 {
    let c = (a / (1.0 + a)).abs().sqrt();
    let rho_minus = (h * (1.0 - c)).min(1.0);
    let theta_minus = (rho_minus - 1.0) / a;
    let theta_plus = 1.0 / rho_minus;
    // f64::max and min ignore a NaN operand (a = 0 makes θ⁻ undefined), as intended.
    theta_minus.max(theta_plus.min((1.0 - b) / b))
}

/// τₖ (module docs).
fn scaling(first: bool, theta: f64, a: f64, b: f64, h: f64, n: usize) -> f64 {
    let sigma = 1.0 + theta * a;
    if first {
        return h / sigma;
    }
    let rho = (1.0 / b).min(1.0);
    let root = if n > 1 { sigma.abs().powf(1.0 / (1.0 - n as f64)) } else { 1.0 };
    if theta <= 0.0 { (rho * root).min(sigma) } else { rho * root.min(1.0 / theta) }
}

impl Method for SelfScaled {
    fn name(&self) -> &'static str {
        match self.family {
            Update::Bfgs => "ssbfgs",
            Update::Broyden => "ssbroyden",
        }
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        match dense_quasi_newton_search(&self.wolfe, f, current, &mut self.inverse, &mut self.last) {
            Ok(moved) => {
                self.update(&moved.s, &moved.y, moved.alpha(), &current.grad);
                moved.into_step()
            }
            Err(step) => step,
        }
    }
}

/// H·v for H n × n, row-major.
fn mat_vec(h: &[f64], v: &[f64]) -> Vec<f64> {
    h.chunks_exact(v.len()).map(|row| dot(row, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::DenseQuadratic;
    use crate::test_functions::Rosenbrock;

    #[test]
    fn every_update_keeps_the_secant_condition_and_positive_definiteness() {
        for family in [Update::Bfgs, Update::Broyden] {
            let mut objective = DenseQuadratic::spd4();
            let mut f = Counted::new(&mut objective);
            let mut method = SelfScaled::new(family);
            let mut current = Iterate::at(&mut f, vec![2.0, -1.0, 0.5, 3.0]);
            for k in 0..4 {
                let Step::Next { next, .. } = method.step(&mut f, &current) else { panic!("no step") };
                let s: Vec<f64> = next.x.iter().zip(&current.x).map(|(a, b)| a - b).collect();
                let y: Vec<f64> = next.grad.iter().zip(&current.grad).map(|(a, b)| a - b).collect();
                let h = method.inverse.as_ref().expect("updated");
                let hy = mat_vec(h, &y);
                let error = hy.iter().zip(&s).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                assert!(error <= 1e-12 * norm(&s), "{family:?}, iteration {k}: ‖Hy − s‖∞ = {error:e}");
                // H stays symmetric positive definite: a Cholesky factorization exists.
                let hm = faer::Mat::from_fn(4, 4, |i, j| 0.5 * (h[i * 4 + j] + h[j * 4 + i]));
                assert!(hm.as_ref().llt(faer::Side::Lower).is_ok(), "{family:?}, iteration {k}: H not SPD");
                current = next;
            }
        }
    }

    #[test]
    fn the_first_update_scales_the_identity_by_ys_over_yy() {
        // With θ = 0 and H₀ = I, τ₀ = h₀ = yᵀy/yᵀs: H₁ is the BFGS update of N&W's scaled
        // H₀ = γI, γ = yᵀs/yᵀy (eq. 6.20), here from `bfgs`'s own product-form update.
        let mut method = SelfScaled::new(Update::Bfgs);
        let (s, y, alpha) = ([1.0, 2.0], [3.0, 1.0], 0.5);
        let grad = [-2.0, -4.0]; // s = −α·∇f for the first step along −∇f.
        method.update(&s, &y, alpha, &grad);
        let gamma = 5.0 / 10.0;
        let mut expected = vec![gamma, 0.0, 0.0, gamma];
        crate::bfgs::update_inverse(&mut expected, &s, &y);
        let got = method.inverse.as_ref().unwrap();
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() < 1e-15, "H₁ = {got:?}, expected {expected:?}");
        }
    }

    #[test]
    fn both_converge_on_rosenbrock() {
        let control = Control { max_iter: 200, gtol: 1e-8, ..Control::default() };
        for family in [Update::Bfgs, Update::Broyden] {
            let mut method = SelfScaled::new(family);
            let out = minimize(&mut method, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
            assert_eq!(out.status, Status::Converged, "{family:?}");
            assert!(out.last.x.iter().all(|x| (x - 1.0).abs() < 1e-7), "{family:?}: {:?}", out.last.x);
            assert_eq!(out.evals.hessian + out.evals.hvp, 0);
        }
    }
}
