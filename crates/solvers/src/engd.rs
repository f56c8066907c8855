//! `engd`: energy natural gradient descent for least squares (Müller & Zeinhofer,
//! ICML 2023): the Gramian step p = −(JᵀJ)⁺∇f with the paper's grid line search.
//!
//! For f = ½‖r‖² the energy Gramian is G = JᵀJ and ∇f = Jᵀr. As the paper's code does
//! (`jnp.linalg.lstsq(G, ∇f)` with the default cutoff), the step solves G p = −∇f by least
//! squares on the *Gramian*: from G = QΛQᵀ, directions with |λᵢ| ≤ rcond·max|λ| are
//! dropped, with rcond = ε·n by default (NumPy's and JAX's `rcond=None` for an n × n
//! matrix). Since λᵢ = σᵢ(J)², this drops the directions where J's singular values fall
//! below √(nε)·σ_max ≈ 1.5e-8·√n·σ_max: a much coarser cutoff than a minimum-norm step on J
//! itself with a cutoff near ε, whose huge steps along J's tiny singular directions the
//! line search then has to shrink to nothing. The cutoff is [`Engd::with_rcond`].
//!
//! The line search evaluates f(x + ηp) for η ∈ {0.5ᵏ : k = 0, …, K} (K = 30 in the paper)
//! and moves to the η with the smallest f, as the paper's loop does, even when that f is
//! above f(x): the grid's smallest steps are 2⁻³⁰ of the natural step, so a rise is tiny,
//! and the next linearization usually recovers. Only when no trial is finite does the
//! iteration stay put (a zero trial step: the run ends with `step_too_small`).

use faer::Mat;

use crate::dense::Eigen;
use crate::driver::{Iterate, Method, Step, distance, dot};
use crate::gauss_newton::Linearization;
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Energy natural gradient with a grid line search.
#[derive(Clone, Debug)]
pub struct Engd {
    rcond: Option<f64>,
    halvings: usize,
    cache: Option<Linearization>,
}

impl Engd {
    /// Default number K of halvings in the grid {0.5ᵏ : k = 0, …, K} (the paper's 30).
    pub const DEFAULT_HALVINGS: usize = 30;

    /// ENGD with the default cutoff (ε·n) and grid.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the relative cutoff on the Gramian's eigenvalues (in [0, 1)): directions with
    /// |λ| ≤ rcond·max|λ| are dropped. Default ε·n (n the number of parameters).
    pub fn with_rcond(mut self, rcond: f64) -> Result<Self, String> {
        let what = "rcond (the cutoff on the Gramian's eigenvalues relative to the largest)";
        self.rcond = Some(Range::UNIT.check("engd", what, rcond, "ε·n")?);
        Ok(self)
    }

    /// Sets K, the number of halvings of the line-search grid (≥ 1).
    pub fn with_halvings(mut self, halvings: usize) -> Result<Self, String> {
        let what = "the line-search grid's number of halvings";
        self.halvings = Range::AT_LEAST_ONE.check_count("engd", what, halvings, Self::DEFAULT_HALVINGS)?;
        Ok(self)
    }

    /// p = −G⁺∇f with the cutoff (`None` if the eigendecomposition fails).
    fn natural_step(&self, jac: &Mat<f64>, grad: &[f64]) -> Option<Vec<f64>> {
        let n = grad.len();
        let gram: Mat<f64> = jac.transpose() * jac;
        let eigen = Eigen::new(gram.as_ref())?;
        let rcond = self.rcond.unwrap_or(f64::EPSILON * n as f64);
        let cutoff = rcond * eigen.spectral_radius();
        let coordinates: Vec<f64> = eigen
            .qt_mul(grad)
            .iter()
            .zip(&eigen.values)
            .map(|(c, l)| if l.abs() > cutoff { -c / l } else { 0.0 })
            .collect();
        Some(eigen.q_mul(&coordinates))
    }
}

impl Default for Engd {
    fn default() -> Self {
        Engd { rcond: None, halvings: Self::DEFAULT_HALVINGS, cache: None }
    }
}

impl Method for Engd {
    fn name(&self) -> &'static str {
        "engd"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let lin = match Linearization::at(&mut self.cache, f, current) {
            Ok(lin) => lin,
            Err(step) => return step,
        };
        if !lin.is_finite() {
            return Step::NonFinite;
        }
        let Some(p) = self.natural_step(&lin.jac, &lin.at.grad) else { return Step::NonFinite };
        if !p.iter().all(|v| v.is_finite()) {
            return Step::NonFinite;
        }
        let x = &current.x;
        let mut best: Option<(f64, f64, Vec<f64>, Vec<f64>)> = None;
        let mut r = vec![0.0; lin.r.len()];
        for k in 0..=self.halvings {
            let eta = 0.5f64.powi(k as i32);
            let trial: Vec<f64> = x.iter().zip(&p).map(|(x, p)| x + eta * p).collect();
            f.residuals(&trial, &mut r);
            let loss = 0.5 * dot(&r, &r);
            // NaN never compares smaller, so non-finite trials are never chosen.
            if best.as_ref().is_none_or(|(_, l, _, _)| loss < *l) {
                best = Some((eta, loss, trial, r.clone()));
            }
        }
        match best {
            Some((eta, _, trial, r)) => {
                let trial_norm = distance(&trial, x);
                let next = match Linearization::accept(f, trial, r) {
                    Ok(next) => next,
                    Err(step) => return step,
                };
                let iterate = next.at.clone();
                self.cache = Some(next);
                Step::next(iterate, trial_norm).with_step_length(eta)
            }
            None => {
                self.cache = Some(lin);
                Step::next(current.clone(), 0.0).with_step_length(0.0)
            }
        }
    }
}

/// `engd` in the registry.
pub const SOLVER: Solver = Solver {
    name: "engd",
    summary: "energy natural gradient (Müller & Zeinhofer 2023): p = −(JᵀJ)⁺∇f, grid line search",
    family: Family::GaussNewton,
    options: &[
        OptionSpec::number(
            "rcond",
            Range::UNIT,
            0.0,
            "Gramian eigenvalues |λ| ≤ rcond·max|λ| are dropped (auto: ε·n, as lstsq's default)",
        )
        .auto(),
        OptionSpec::integer(
            "halvings",
            Range::AT_LEAST_ONE,
            Engd::DEFAULT_HALVINGS as u64,
            "K: the line search tries η ∈ {0.5ᵏ : k = 0, …, K}",
        ),
    ],
    build: |o| {
        let engd = Engd::new().with_halvings(o.integer("halvings"))?;
        Ok(Box::new(match o.number_or_auto("rcond") {
            Some(rcond) => engd.with_rcond(rcond)?,
            None => engd,
        }))
    },
    dense: Some(registry::jacobian_matrices),
};

#[cfg(test)]
mod tests {
    use faer::MatMut;

    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::objective::{LeastSquares, Objective};

    /// r(x) = A x − b with a rank-deficient A (4 × 3, column 3 = column 1 + column 2).
    struct Linear;

    impl Linear {
        const A: [[f64; 3]; 4] = [[1.0, 0.0, 1.0], [0.0, 2.0, 2.0], [1.0, 1.0, 2.0], [3.0, -1.0, 2.0]];
        const B: [f64; 4] = [1.0, -1.0, 2.0, 0.5];

        fn r(x: &[f64]) -> Vec<f64> {
            Self::A.iter().zip(Self::B).map(|(row, b)| dot(row, x) - b).collect()
        }
    }

    impl Objective for Linear {
        fn dim(&self) -> usize {
            3
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            let r = Self::r(x);
            0.5 * dot(&r, &r)
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            let r = Self::r(x);
            for (j, g) in grad.iter_mut().enumerate() {
                *g = (0..4).map(|i| Self::A[i][j] * r[i]).sum();
            }
            0.5 * dot(&r, &r)
        }
        fn hvp(&mut self, _: &[f64], v: &[f64], out: &mut [f64]) {
            let av: Vec<f64> = Self::A.iter().map(|row| dot(row, v)).collect();
            for (j, o) in out.iter_mut().enumerate() {
                *o = (0..4).map(|i| Self::A[i][j] * av[i]).sum();
            }
        }
        fn hessian(&mut self, _: &[f64], mut out: MatMut<'_, f64>) {
            for j in 0..3 {
                for k in 0..3 {
                    out[(j, k)] = (0..4).map(|i| Self::A[i][j] * Self::A[i][k]).sum();
                }
            }
        }
        fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
            Some(self)
        }
    }

    impl LeastSquares for Linear {
        fn residual_count(&self) -> usize {
            4
        }
        fn residuals(&mut self, x: &[f64], r: &mut [f64]) {
            r.copy_from_slice(&Self::r(x));
        }
        fn jacobian(&mut self, _: &[f64], mut jac: MatMut<'_, f64>) {
            for i in 0..4 {
                for j in 0..3 {
                    jac[(i, j)] = Self::A[i][j];
                }
            }
        }
    }

    #[test]
    fn the_step_is_the_minimum_norm_least_squares_step() {
        // A = [a₁ a₂ a₁+a₂]: from x = 0, the least-squares solutions of A p = b are
        // p = (u − t, v − t, t) with (u, v) solving the 4 × 2 problem on [a₁ a₂]; the
        // minimum-norm one has t = (u + v)/3. (u, v) from the 2 × 2 normal equations,
        // written out: [11 −2; −2 6](u, v) = (a₁ᵀb, a₂ᵀb) = (4.5, −0.5).
        let det = 11.0 * 6.0 - 4.0;
        let (u, v) = ((6.0 * 4.5 + 2.0 * -0.5) / det, (2.0 * 4.5 + 11.0 * -0.5) / det);
        let t = (u + v) / 3.0;
        let expected = [u - t, v - t, t];
        let mut objective = Linear;
        let mut f = Counted::new(&mut objective);
        let current = Iterate::at(&mut f, vec![0.0; 3]);
        let lin = Linearization::evaluate(&mut f, &current).unwrap();
        let p = Engd::default().natural_step(&lin.jac, &current.grad).unwrap();
        for (p, e) in p.iter().zip(expected) {
            assert!((p - e).abs() < 1e-12, "p = {p:?}, expected {expected:?}");
        }
        // The grid search takes η = 1 on a linear problem, so one step reaches the minimum.
        let control = Control { max_iter: 5, gtol: 1e-10, ..Control::default() };
        let out = minimize(&mut Engd::default(), &mut Linear, vec![0.0; 3], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.iterations, 1);
    }

    #[test]
    fn the_cutoff_drops_directions_below_it() {
        // G = diag(1, 1e-10): with rcond = 1e-9 the second direction is dropped.
        let jac = Mat::from_fn(2, 2, |i, j| if i == j { [1.0, 1e-5][i] } else { 0.0 });
        let grad = [1.0, 1.0];
        let p = Engd::default().natural_step(&jac, &grad).unwrap();
        // Kept by the default cutoff; the eigensolver's error in λ₂ is ~ε·λ₁, 2e-6 of λ₂.
        assert!((p[0] + 1.0).abs() < 1e-12 && (p[1] + 1e10).abs() < 1e-5 * 1e10, "{p:?}");
        let p = Engd::default().with_rcond(1e-9).unwrap().natural_step(&jac, &grad).unwrap();
        assert_eq!(p, vec![-1.0, 0.0]);
    }

    #[test]
    fn invalid_settings_are_named() {
        assert!(Engd::new().with_rcond(1.5).unwrap_err().starts_with("engd: rcond"));
        assert!(Engd::new().with_halvings(0).unwrap_err().starts_with("engd: the line-search grid"));
    }
}
