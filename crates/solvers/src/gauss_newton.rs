//! `gauss-newton`: the Gauss-Newton step p = argmin ‖J p + r‖ from a column-pivoted
//! (rank-revealing) QR of the Jacobian, globalized by a backtracking Armijo line search
//! on f = ½‖r‖².
//!
//! The step never forms JᵀJ (which would square the condition number). A numerically
//! rank-deficient J gives the minimum-norm step of the truncated problem (a complete
//! orthogonal decomposition, as LAPACK's `xGELSY`), which is still a descent direction:
//! ∇fᵀp = rᵀJp = −‖J p‖² < 0 whenever ∇f = Jᵀr ≠ 0.
//!
//! This file also holds what the least-squares methods share: [`Linearization`], the
//! residuals and Jacobian kept between iterations, and [`PivotedQr`], the factorization.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::householder;
use faer::{Conj, Mat, MatRef, Par};

use crate::driver::{Iterate, Method, Step, distance, dot};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// Gauss-Newton with a rank-revealing QR step and a backtracking (Armijo) line search.
///
/// Each iteration factors J Π = Q R (column pivoting), takes the numerical rank k as
/// the number of leading pivots with |R_jj| > `rank_tolerance`·|R_00| (column-pivoted
/// QR reveals rank reliably in practice, though not for every adversarial matrix), and
/// solves the truncated problem for its minimum-norm step p. Then α = 1, ρ, ρ², … until
/// f(x + αp) ≤ f(x) + c₁ α ∇f(x)ᵀp. The record's `step_length` is the accepted α.
///
/// If the line search finds no decrease before α·p stops changing x or within
/// `max_backtracks` contractions (typically J is nearly singular, so p is huge and
/// almost orthogonal to ∇f, or f is at its rounding level), the iteration returns the
/// current point with a zero trial step, and the run ends with `step_too_small`: the
/// next iteration would repeat the same search.
#[derive(Clone, Debug)]
pub struct GaussNewton {
    rank_tolerance: f64,
    armijo: f64,
    contraction: f64,
    max_backtracks: usize,
    cache: Option<Linearization>,
}

impl GaussNewton {
    /// Default relative tolerance on the pivoted diagonal of R: |R_jj| ≤ 1e-10·|R_00|
    /// counts as rank loss (an estimate of σ_j/σ_max ≤ 1e-10).
    pub const DEFAULT_RANK_TOLERANCE: f64 = 1e-10;
    /// Default sufficient-decrease constant c₁.
    pub const DEFAULT_ARMIJO: f64 = 1e-4;
    /// Default contraction ρ of the step length per backtrack.
    pub const DEFAULT_CONTRACTION: f64 = 0.5;
    /// Default cap on backtracks per iteration.
    pub const DEFAULT_MAX_BACKTRACKS: usize = 50;

    /// Gauss-Newton with the default hyperparameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the relative rank tolerance (in [0, 1); 0 means only an exactly zero pivot
    /// is rank loss).
    pub fn with_rank_tolerance(mut self, rank_tolerance: f64) -> Result<Self, String> {
        let what = "the rank tolerance (relative to the largest pivot of R)";
        self.rank_tolerance =
            Range::UNIT.check("gauss-newton", what, rank_tolerance, Self::DEFAULT_RANK_TOLERANCE)?;
        Ok(self)
    }

    /// Sets the Armijo sufficient-decrease constant c₁ (in (0, 1)).
    pub fn with_armijo(mut self, c1: f64) -> Result<Self, String> {
        self.armijo =
            Range::OPEN_UNIT.check("gauss-newton", "the Armijo constant c1", c1, Self::DEFAULT_ARMIJO)?;
        Ok(self)
    }

    /// Sets the backtracking contraction ρ (in (0, 1)): α ← ρα after a failed trial.
    pub fn with_contraction(mut self, rho: f64) -> Result<Self, String> {
        let what = "the backtracking contraction";
        self.contraction = Range::OPEN_UNIT.check("gauss-newton", what, rho, Self::DEFAULT_CONTRACTION)?;
        Ok(self)
    }

    /// Sets the maximum number of backtracks per iteration (≥ 1).
    pub fn with_max_backtracks(mut self, max_backtracks: usize) -> Result<Self, String> {
        self.max_backtracks = Range::AT_LEAST_ONE.check_count(
            "gauss-newton",
            "max_backtracks",
            max_backtracks,
            Self::DEFAULT_MAX_BACKTRACKS,
        )?;
        Ok(self)
    }
}

impl Default for GaussNewton {
    fn default() -> Self {
        GaussNewton {
            rank_tolerance: Self::DEFAULT_RANK_TOLERANCE,
            armijo: Self::DEFAULT_ARMIJO,
            contraction: Self::DEFAULT_CONTRACTION,
            max_backtracks: Self::DEFAULT_MAX_BACKTRACKS,
            cache: None,
        }
    }
}

impl Method for GaussNewton {
    fn name(&self) -> &'static str {
        "gauss-newton"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let lin = match Linearization::at(&mut self.cache, f, current) {
            Ok(lin) => lin,
            Err(step) => return step,
        };
        if !lin.is_finite() {
            return Step::NonFinite;
        }
        let p = PivotedQr::new(lin.jac.as_ref(), &lin.r, self.rank_tolerance).min_norm_solution();
        if !p.iter().all(|v| v.is_finite()) {
            return Step::NonFinite;
        }
        let f0 = 0.5 * dot(&lin.r, &lin.r);
        let slope = dot(&lin.gradient(), &p);
        let x = &current.x;
        let stuck = |lin: Linearization, this: &mut Self| {
            this.cache = Some(lin);
            Step::next(current.clone(), 0.0).with_step_length(0.0)
        };
        // Only ∇f = 0 (or rounding at that level) makes the direction non-descending.
        if slope.is_nan() || slope >= 0.0 {
            return stuck(lin, self);
        }
        let mut alpha = 1.0;
        let mut r_trial = vec![0.0; lin.r.len()];
        let mut backtracks = 0;
        loop {
            let x_trial: Vec<f64> = x.iter().zip(&p).map(|(x, p)| x + alpha * p).collect();
            f.residuals(&x_trial, &mut r_trial);
            let f_trial = 0.5 * dot(&r_trial, &r_trial);
            let trial_norm = distance(&x_trial, x);
            // NaN fails the comparison, so a non-finite trial point is backtracked from.
            if f_trial <= f0 + self.armijo * alpha * slope {
                let next = match Linearization::accept(f, x_trial, r_trial) {
                    Ok(lin) => lin,
                    Err(step) => return step,
                };
                let iterate = next.at.clone();
                self.cache = Some(next);
                return Step::next(iterate, trial_norm).with_step_length(alpha);
            }
            if trial_norm == 0.0 || backtracks == self.max_backtracks {
                return stuck(lin, self);
            }
            alpha *= self.contraction;
            backtracks += 1;
        }
    }
}

/// r(x) and J(x) at an iterate a least-squares method returned, kept so that the next
/// iteration (and a rejected step's retry) does not evaluate them again.
#[derive(Clone, Debug)]
pub(crate) struct Linearization {
    /// The iterate: x, f = ½‖r‖², ∇f = Jᵀr.
    pub(crate) at: Iterate,
    /// r(x).
    pub(crate) r: Vec<f64>,
    /// J(x), m × n.
    pub(crate) jac: Mat<f64>,
}

impl Linearization {
    /// Evaluates r and J at `current.x` (keeping `current` as the iterate);
    /// `Err(Step::NotLeastSquares)` if the objective has no residuals.
    pub(crate) fn evaluate(f: &mut Counted<'_>, current: &Iterate) -> Result<Self, Step> {
        let Some(m) = f.residual_count() else {
            return Err(Step::NotLeastSquares);
        };
        let mut r = vec![0.0; m];
        let mut jac = Mat::zeros(m, current.x.len());
        if !(f.residuals(&current.x, &mut r) && f.jacobian(&current.x, jac.as_mut())) {
            return Err(Step::NotLeastSquares);
        }
        Ok(Linearization { at: current.clone(), r, jac })
    }

    /// The linearization `cache` holds when it is at `current` (the one the previous step
    /// accepted), else a fresh one.
    pub(crate) fn at(cache: &mut Option<Self>, f: &mut Counted<'_>, current: &Iterate) -> Result<Self, Step> {
        match cache.take().filter(|c| c.at == *current) {
            Some(lin) => Ok(lin),
            None => Self::evaluate(f, current),
        }
    }

    /// The linearization at an accepted point whose residuals are already known: one
    /// Jacobian evaluation, and the iterate with f = ½‖r‖² and ∇f = Jᵀr.
    pub(crate) fn accept(f: &mut Counted<'_>, x: Vec<f64>, r: Vec<f64>) -> Result<Self, Step> {
        let mut jac = Mat::zeros(r.len(), x.len());
        if !f.jacobian(&x, jac.as_mut()) {
            return Err(Step::NotLeastSquares);
        }
        let mut lin = Linearization { at: Iterate { x, loss: 0.5 * dot(&r, &r), grad: Vec::new() }, r, jac };
        lin.at.grad = lin.gradient();
        Ok(lin)
    }

    /// Jᵀr.
    pub(crate) fn gradient(&self) -> Vec<f64> {
        (0..self.jac.ncols())
            .map(|j| (0..self.jac.nrows()).map(|i| self.jac[(i, j)] * self.r[i]).sum())
            .collect()
    }

    /// Whether r and J are finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.r.iter().all(|v| v.is_finite())
            && (0..self.jac.ncols()).all(|j| (0..self.jac.nrows()).all(|i| self.jac[(i, j)].is_finite()))
    }
}

/// A Π = Q R with column pivoting, for the linear least-squares problem min ‖A y + b‖.
#[derive(Clone, Debug)]
pub(crate) struct PivotedQr {
    /// R, min(m, n) × n, upper trapezoidal; column j belongs to variable `perm[j]`.
    pub(crate) r: Mat<f64>,
    /// The pivot order: column j of R is column `perm[j]` of A.
    pub(crate) perm: Vec<usize>,
    /// The first min(m, n) entries of Qᵀb.
    pub(crate) qtb: Vec<f64>,
    /// The numerical rank: the number of leading pivots with |R_jj| > tol·|R_00|.
    pub(crate) rank: usize,
}

impl PivotedQr {
    /// Factors `a` (m × n, any shape) and applies Qᵀ to `b` (length m).
    pub(crate) fn new(a: MatRef<'_, f64>, b: &[f64], rank_tolerance: f64) -> Self {
        let (m, n) = a.shape();
        let k = m.min(n);
        let qr = a.col_piv_qr();
        let perm = qr.P().arrays().0.to_vec();
        let r = qr.thin_R().to_owned();
        let mut qtb = Mat::from_fn(m, 1, |i, _| b[i]);
        if k > 0 {
            let (basis, coeff) = (qr.Q_basis(), qr.Q_coeff());
            let mut mem = MemBuffer::new(
                householder::apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<f64>(
                    m,
                    coeff.nrows(),
                    1,
                ),
            );
            householder::apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
                basis,
                coeff,
                Conj::No,
                qtb.as_mut(),
                Par::Seq,
                MemStack::new(&mut mem),
            );
        }
        let qtb = (0..k).map(|i| qtb[(i, 0)]).collect();
        let largest = if k > 0 { r[(0, 0)].abs() } else { 0.0 };
        let rank =
            (0..k).take_while(|&j| r[(j, j)].abs() > rank_tolerance * largest && r[(j, j)] != 0.0).count();
        PivotedQr { r, perm, qtb, rank }
    }

    /// n, the number of unknowns.
    pub(crate) fn ncols(&self) -> usize {
        self.r.ncols()
    }

    /// The minimum-norm y minimizing ‖A y + b‖ with A truncated to its numerical rank
    /// (R₂₂ dropped), in the original variable order.
    ///
    /// Full rank: R y_Π = −Qᵀb. Rank k < n: [R₁₁ R₁₂]ᵀ = Z T (QR, Z orthonormal n × k),
    /// so A Π ≈ Q₁ Tᵀ Zᵀ and y_Π = Z T⁻ᵀ(−(Qᵀb)₁..k).
    pub(crate) fn min_norm_solution(&self) -> Vec<f64> {
        let n = self.ncols();
        let k = self.rank;
        let mut y = vec![0.0; n];
        if k == 0 {
            return y;
        }
        let mut c = Mat::from_fn(k, 1, |i, _| -self.qtb[i]);
        let y_pivoted = if k == n {
            self.r.as_ref().get(..n, ..n).solve_upper_triangular_in_place(c.as_mut());
            c
        } else {
            let w = self.r.as_ref().get(..k, ..).transpose().to_owned();
            let wqr = w.as_ref().qr();
            wqr.thin_R().transpose().solve_lower_triangular_in_place(c.as_mut());
            let mut v = Mat::from_fn(n, 1, |i, _| if i < k { c[(i, 0)] } else { 0.0 });
            let (basis, coeff) = (wqr.Q_basis(), wqr.Q_coeff());
            let mut mem =
                MemBuffer::new(householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<
                    f64,
                >(n, coeff.nrows(), 1));
            householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
                basis,
                coeff,
                Conj::No,
                v.as_mut(),
                Par::Seq,
                MemStack::new(&mut mem),
            );
            v
        };
        for (j, &orig) in self.perm.iter().enumerate() {
            y[orig] = y_pivoted[(j, 0)];
        }
        y
    }
}

/// Least-squares objectives with known answers, shared by the Gauss-Newton and
/// Levenberg-Marquardt tests.
/// `gauss-newton` in the registry.
pub const SOLVER: Solver = Solver {
    name: "gauss-newton",
    summary: "minimum-norm Gauss-Newton step by pivoted QR of J, Armijo backtracking",
    family: Family::GaussNewton,
    options: &[
        OptionSpec::number(
            "rank_tol",
            Range::UNIT,
            GaussNewton::DEFAULT_RANK_TOLERANCE,
            "pivots |R_jj| ≤ rank_tol·|R_00| count as rank loss",
        ),
        OptionSpec::number("armijo", Range::OPEN_UNIT, GaussNewton::DEFAULT_ARMIJO, "Armijo constant c₁"),
        OptionSpec::number("contraction", Range::OPEN_UNIT, GaussNewton::DEFAULT_CONTRACTION, "step-length factor per backtrack"),
        OptionSpec::integer(
            "max_backtracks",
            Range::AT_LEAST_ONE,
            GaussNewton::DEFAULT_MAX_BACKTRACKS as u64,
            "backtracks before the iteration gives up",
        ),
    ],
    build: |o| {
        Ok(Box::new(
            GaussNewton::new()
                .with_rank_tolerance(o.number("rank_tol"))?
                .with_armijo(o.number("armijo"))?
                .with_contraction(o.number("contraction"))?
                .with_max_backtracks(o.integer("max_backtracks"))?,
        ))
    },
    dense: Some(registry::jacobian_matrices),
};

#[cfg(test)]
pub(crate) mod problems {
    use faer::{Mat, MatMut};

    use crate::objective::{LeastSquares, Objective};

    type Residuals = Box<dyn Fn(&[f64], &mut [f64])>;
    type Jacobian = Box<dyn Fn(&[f64], MatMut<'_, f64>)>;
    type SecondOrder = Box<dyn Fn(&[f64], &[f64], MatMut<'_, f64>)>;

    /// f(x) = ½‖r(x)‖² from hand-written r, J and Σᵢ rᵢ∇²rᵢ.
    pub(crate) struct Ls {
        n: usize,
        m: usize,
        r: Residuals,
        jac: Jacobian,
        second_order: SecondOrder,
    }

    impl Ls {
        fn residuals_at(&self, x: &[f64]) -> Vec<f64> {
            let mut r = vec![0.0; self.m];
            (self.r)(x, &mut r);
            r
        }
        fn jacobian_at(&self, x: &[f64]) -> Mat<f64> {
            let mut j = Mat::zeros(self.m, self.n);
            (self.jac)(x, j.as_mut());
            j
        }
    }

    impl Objective for Ls {
        fn dim(&self) -> usize {
            self.n
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            0.5 * self.residuals_at(x).iter().map(|r| r * r).sum::<f64>()
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            let (r, j) = (self.residuals_at(x), self.jacobian_at(x));
            for (c, g) in grad.iter_mut().enumerate() {
                *g = (0..self.m).map(|i| j[(i, c)] * r[i]).sum();
            }
            0.5 * r.iter().map(|r| r * r).sum::<f64>()
        }
        fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
            let mut h = Mat::zeros(self.n, self.n);
            self.hessian(x, h.as_mut());
            for (i, o) in out.iter_mut().enumerate() {
                *o = (0..self.n).map(|j| h[(i, j)] * v[j]).sum();
            }
        }
        fn hessian(&mut self, x: &[f64], mut out: MatMut<'_, f64>) {
            let (r, j) = (self.residuals_at(x), self.jacobian_at(x));
            (self.second_order)(x, &r, out.as_mut());
            for a in 0..self.n {
                for b in 0..self.n {
                    out[(a, b)] += (0..self.m).map(|i| j[(i, a)] * j[(i, b)]).sum::<f64>();
                }
            }
        }
        fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
            Some(self)
        }
    }

    impl LeastSquares for Ls {
        fn residual_count(&self) -> usize {
            self.m
        }
        fn residuals(&mut self, x: &[f64], r: &mut [f64]) {
            (self.r)(x, r)
        }
        fn jacobian(&mut self, x: &[f64], jac: MatMut<'_, f64>) {
            (self.jac)(x, jac)
        }
    }

    /// r = A x − b for a dense `a` (m × n, rows given).
    pub(crate) fn linear(a: Vec<Vec<f64>>, b: Vec<f64>) -> Ls {
        let (m, n) = (a.len(), a[0].len());
        let a2 = a.clone();
        Ls {
            n,
            m,
            r: Box::new(move |x, r| {
                for i in 0..m {
                    r[i] = (0..n).map(|j| a[i][j] * x[j]).sum::<f64>() - b[i];
                }
            }),
            jac: Box::new(move |_, mut jac| {
                for i in 0..m {
                    for j in 0..n {
                        jac[(i, j)] = a2[i][j];
                    }
                }
            }),
            second_order: Box::new(|_, _, mut out| out.fill(0.0)),
        }
    }

    /// Rosenbrock as residuals: r = (10(y − x²), 1 − x); minimum 0 at (1, 1).
    pub(crate) fn rosenbrock() -> Ls {
        Ls {
            n: 2,
            m: 2,
            r: Box::new(|x, r| {
                r[0] = 10.0 * (x[1] - x[0] * x[0]);
                r[1] = 1.0 - x[0];
            }),
            jac: Box::new(|x, mut jac| {
                jac[(0, 0)] = -20.0 * x[0];
                jac[(0, 1)] = 10.0;
                jac[(1, 0)] = -1.0;
                jac[(1, 1)] = 0.0;
            }),
            second_order: Box::new(|_, r, mut out| {
                out.fill(0.0);
                out[(0, 0)] = -20.0 * r[0];
            }),
        }
    }

    /// Freudenstein and Roth (Moré, Garbow & Hillstrom 1981, problem 2):
    /// r = (−13 + x₁ + ((5 − x₂)x₂ − 2)x₂, −29 + x₁ + ((x₂ + 1)x₂ − 14)x₂), with a
    /// global minimum f = 0 at (5, 4) and a local one f = ½·48.9842… at (11.41…, −0.8968…).
    pub(crate) fn freudenstein_roth() -> Ls {
        Ls {
            n: 2,
            m: 2,
            r: Box::new(|x, r| {
                r[0] = -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1];
                r[1] = -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1];
            }),
            jac: Box::new(|x, mut jac| {
                jac[(0, 0)] = 1.0;
                jac[(0, 1)] = 10.0 * x[1] - 3.0 * x[1] * x[1] - 2.0;
                jac[(1, 0)] = 1.0;
                jac[(1, 1)] = 3.0 * x[1] * x[1] + 2.0 * x[1] - 14.0;
            }),
            second_order: Box::new(|x, r, mut out| {
                out.fill(0.0);
                out[(1, 1)] = r[0] * (10.0 - 6.0 * x[1]) + r[1] * (6.0 * x[1] + 2.0);
            }),
        }
    }

    /// The sample times of [`exponential`].
    pub(crate) const TIMES: [f64; 9] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

    /// rᵢ = a·exp(b tᵢ) − yᵢ with yᵢ = a*·exp(b* tᵢ): zero residual at (a*, b*).
    pub(crate) fn exponential(a_true: f64, b_true: f64) -> Ls {
        let y: Vec<f64> = TIMES.iter().map(|t| a_true * (b_true * t).exp()).collect();
        Ls {
            n: 2,
            m: TIMES.len(),
            r: Box::new(move |x, r| {
                for (i, t) in TIMES.iter().enumerate() {
                    r[i] = x[0] * (x[1] * t).exp() - y[i];
                }
            }),
            jac: Box::new(|x, mut jac| {
                for (i, t) in TIMES.iter().enumerate() {
                    let e = (x[1] * t).exp();
                    jac[(i, 0)] = e;
                    jac[(i, 1)] = x[0] * t * e;
                }
            }),
            second_order: Box::new(|x, r, mut out| {
                out.fill(0.0);
                for (i, t) in TIMES.iter().enumerate() {
                    let e = (x[1] * t).exp();
                    out[(0, 1)] += r[i] * t * e;
                    out[(1, 1)] += r[i] * x[0] * t * t * e;
                }
                out[(1, 0)] = out[(0, 1)];
            }),
        }
    }

    /// The solution of the normal equations AᵀA x = Aᵀb (by Cholesky: a test oracle).
    pub(crate) fn normal_equations(a: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
        let (m, n) = (a.len(), a[0].len());
        let ata = Mat::from_fn(n, n, |i, j| (0..m).map(|k| a[k][i] * a[k][j]).sum::<f64>());
        let atb = Mat::from_fn(n, 1, |i, _| (0..m).map(|k| a[k][i] * b[k]).sum::<f64>());
        let llt = ata.as_ref().llt(faer::Side::Lower).expect("AᵀA is positive definite");
        let mut x = atb;
        faer::linalg::solvers::Solve::solve_in_place(&llt, x.as_mut());
        (0..n).map(|i| x[(i, 0)]).collect()
    }

    /// The polynomial fit used by the linear tests: rows (1, t, t²), t = 0..5.
    pub(crate) fn quadratic_fit() -> (Vec<Vec<f64>>, Vec<f64>) {
        let a = (0..6).map(|t| vec![1.0, t as f64, (t * t) as f64]).collect();
        (a, vec![1.0, 2.5, 2.0, 4.5, 7.0, 11.0])
    }
}

#[cfg(test)]
mod tests {
    use super::problems::{
        exponential, freudenstein_roth, linear, normal_equations, quadratic_fit, rosenbrock,
    };
    use super::*;
    use crate::driver::{Control, Status, minimize, norm};
    use crate::objective::Objective;
    use crate::test_functions::Quadratic;

    fn control(gtol: f64) -> Control {
        Control { max_iter: 100, gtol, ..Control::default() }
    }

    /// The final iterate's f and ∇f agree with the objective's own.
    fn assert_consistent(obj: &mut dyn Objective, last: &Iterate) {
        let mut g = vec![0.0; last.x.len()];
        let loss = obj.gradient(&last.x, &mut g);
        assert!((loss - last.loss).abs() <= 1e-12 * (1.0 + loss.abs()), "{loss} vs {}", last.loss);
        assert!(distance(&g, &last.grad) <= 1e-12 * (1.0 + norm(&g)), "{g:?} vs {:?}", last.grad);
    }

    #[test]
    fn pivoted_qr_solves_least_squares_in_any_shape() {
        // Tall, full rank: the least-squares solution of a consistent system.
        let a = faer::mat![[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
        let y = PivotedQr::new(a.as_ref(), &[-1.0, -1.0, -2.0], 1e-10).min_norm_solution();
        // A (−1, 1)ᵀ = (1, 1, 2)ᵀ.
        assert!(distance(&y, &[-1.0, 1.0]) < 1e-13, "{y:?}");
        // Wide (m < n): x + 2y + 2z = 9 has minimum-norm solution (1, 2, 2).
        let a = faer::mat![[1.0, 2.0, 2.0]];
        let qr = PivotedQr::new(a.as_ref(), &[-9.0], 1e-10);
        assert_eq!(qr.rank, 1);
        assert!(distance(&qr.min_norm_solution(), &[1.0, 2.0, 2.0]) < 1e-13);
        // Zero matrix: rank 0, zero step.
        let a = Mat::<f64>::zeros(2, 2);
        let qr = PivotedQr::new(a.as_ref(), &[1.0, 1.0], 1e-10);
        assert_eq!((qr.rank, qr.min_norm_solution()), (0, vec![0.0, 0.0]));
    }

    #[test]
    fn linear_least_squares_in_one_iteration() {
        let (a, b) = quadratic_fit();
        let expected = normal_equations(&a, &b);
        let mut obj = linear(a, b);
        let out = minimize(&mut GaussNewton::default(), &mut obj, vec![0.0; 3], &control(1e-10), &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.iterations, 1);
        assert!(distance(&out.last.x, &expected) < 1e-12, "{:?} vs {expected:?}", out.last.x);
        // One Jacobian at x₀ and one at the accepted point; one trial (α = 1).
        assert_eq!((out.evals.jacobian, out.evals.residuals), (2, 2));
        assert_consistent(&mut obj, &out.last);
    }

    #[test]
    fn rosenbrock_residuals_from_the_standard_start() {
        let mut obj = rosenbrock();
        let mut lengths = Vec::new();
        let out =
            minimize(&mut GaussNewton::default(), &mut obj, vec![-1.2, 1.0], &control(1e-10), &mut |rec| {
                lengths.extend(rec.step_length)
            });
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.grad_norm() <= 1e-10);
        assert!(distance(&out.last.x, &[1.0, 1.0]) < 1e-10);
        // Measured: 10 iterations. The first full step (2.2, −4.84) lands on x = 1 (the
        // second residual is linear) but far below the parabola, so f grows from 12.1 to
        // 1171; backtracking accepts α = 1/16. The step lengths then grow back to 1 and
        // the last two unit steps converge quadratically (J is square with det J = 10).
        assert_eq!(out.iterations, 10, "step lengths {lengths:?}");
        let expected = [0.0625, 0.0625, 0.125, 0.125, 0.125, 0.25, 0.25, 0.5, 1.0, 1.0];
        assert_eq!(lengths, expected);
        assert_consistent(&mut obj, &out.last);
    }

    #[test]
    fn zero_residual_exponential_fit() {
        let mut obj = exponential(2.0, -0.7);
        let out =
            minimize(&mut GaussNewton::default(), &mut obj, vec![1.0, 0.0], &control(1e-12), &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!((out.last.x[0] - 2.0).abs() < 1e-8 && (out.last.x[1] + 0.7).abs() < 1e-8, "{:?}", out.last.x);
        // Measured: 5 iterations (quadratic convergence at zero residual).
        assert!(out.iterations <= 6, "{} iterations", out.iterations);
        assert_consistent(&mut obj, &out.last);
    }

    #[test]
    fn rank_deficient_jacobian_takes_the_minimum_norm_step() {
        // A = [[1, 1], [2, 2]] has rank 1; every x with x₁ + x₂ = 7/5 is a minimizer.
        // The minimum-norm step lies in range(Aᵀ) = span{(1, 1)}, so the component of x₀
        // along (1, −1) is kept: from (1, 0), x = (0.5, −0.5) + (0.7, 0.7) = (1.2, 0.2).
        let mut obj = linear(vec![vec![1.0, 1.0], vec![2.0, 2.0]], vec![1.0, 3.0]);
        let out =
            minimize(&mut GaussNewton::default(), &mut obj, vec![1.0, 0.0], &control(1e-12), &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert_eq!(out.iterations, 1);
        assert!(distance(&out.last.x, &[1.2, 0.2]) < 1e-14, "{:?}", out.last.x);
    }

    #[test]
    fn underdetermined_problem_is_solved_exactly() {
        // One residual, three unknowns: x + 2y + 2z = 9 from 0 reaches (1, 2, 2).
        let mut obj = linear(vec![vec![1.0, 2.0, 2.0]], vec![9.0]);
        let out = minimize(&mut GaussNewton::default(), &mut obj, vec![0.0; 3], &control(1e-12), &mut |_| {});
        assert_eq!((out.status, out.iterations), (Status::Converged, 1));
        assert!(distance(&out.last.x, &[1.0, 2.0, 2.0]) < 1e-14);
    }

    #[test]
    fn a_failed_line_search_ends_the_run() {
        // Freudenstein-Roth from (0.5, −2): Gauss-Newton heads for x₂ ≈ −0.8968, where
        // both rows of J tend to (1, −13.38), so J is nearly singular and p is huge and
        // nearly orthogonal to ∇f. Measured: 16 steps with α shrinking to 2⁻⁴⁸, then no
        // α ≥ 2⁻⁵⁰ decreases f, and the run stops at f ≈ 29.06 with ‖∇f‖ ≈ 57: not a
        // stationary point (LM reaches the local minimum f ≈ 24.49 from here).
        let mut obj = freudenstein_roth();
        let mut evals = Vec::new();
        let out =
            minimize(&mut GaussNewton::default(), &mut obj, vec![0.5, -2.0], &control(1e-10), &mut |r| {
                evals.push(r.evals.residuals)
            });
        assert_eq!((out.status, out.iterations), (Status::StepTooSmall, 17));
        assert!((out.last.loss - 29.06).abs() < 0.01 && out.last.grad_norm() > 50.0, "{out:?}");
        // The failed search costs max_backtracks + 1 residual evaluations, once.
        assert_eq!(evals[17] - evals[16], GaussNewton::DEFAULT_MAX_BACKTRACKS + 1);
    }

    #[test]
    fn not_least_squares_is_reported() {
        let mut q = Quadratic::diagonal(vec![1.0, 2.0]);
        let out = minimize(&mut GaussNewton::default(), &mut q, vec![1.0, 1.0], &control(1e-10), &mut |_| {});
        assert_eq!(out.status, Status::NotLeastSquares);
        assert_eq!(out.iterations, 1);
    }

    #[test]
    fn reused_solver_starts_afresh_on_a_new_problem() {
        let mut gn = GaussNewton::default();
        let mut first = rosenbrock();
        minimize(&mut gn, &mut first, vec![-1.2, 1.0], &control(1e-10), &mut |_| {});
        let mut obj = exponential(2.0, -0.7);
        let reused = minimize(&mut gn, &mut obj, vec![1.0, 0.0], &control(1e-12), &mut |_| {});
        let fresh =
            minimize(&mut GaussNewton::default(), &mut obj, vec![1.0, 0.0], &control(1e-12), &mut |_| {});
        assert_eq!(reused, fresh);
    }

    #[test]
    fn hyperparameters_are_validated() {
        assert!(GaussNewton::new().with_rank_tolerance(1.0).is_err());
        assert!(GaussNewton::new().with_rank_tolerance(-1e-3).is_err());
        assert!(GaussNewton::new().with_armijo(0.0).is_err());
        assert!(GaussNewton::new().with_contraction(1.0).is_err());
        assert!(GaussNewton::new().with_max_backtracks(0).is_err());
        let err = GaussNewton::new().with_armijo(f64::NAN).unwrap_err();
        assert!(err.contains("(0, 1)"), "{err}");
        assert!(GaussNewton::new().with_rank_tolerance(0.0).and_then(|g| g.with_contraction(0.3)).is_ok());
    }
}
