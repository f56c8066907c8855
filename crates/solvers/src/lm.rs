//! `lm`: Levenberg-Marquardt in the trust-region form of Moré (1978), "The
//! Levenberg-Marquardt algorithm: implementation and theory", as in MINPACK's `lmder`.
//!
//! Each iteration tries one step p(λ) = argmin ‖J p + r‖² + λ‖D p‖², with λ ≥ 0 chosen
//! so that ‖D p‖ ≈ Δ (λ = 0 when the Gauss-Newton step already fits), and judges it by
//! ρ = actual / predicted reduction of f = ½‖r‖². The radius and damping updates,
//! the scaling and the acceptance test are MINPACK's; see [`LevenbergMarquardt`].

use faer::Mat;
use faer::linalg::solvers::SolveLstsq;

use crate::driver::{Iterate, Method, Step, norm};
use crate::gauss_newton::{Linearization, PivotedQr};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{self, Family, Solver};

/// A trial step is accepted when ρ ≥ 1e-4 (MINPACK's `p0001`).
const ACCEPT: f64 = 1e-4;
/// λ is accepted when |‖D p(λ)‖ − Δ| ≤ 0.1·Δ (MINPACK's `lmpar`).
const RADIUS_TOLERANCE: f64 = 0.1;
/// At most this many λ trials per step (MINPACK's `lmpar`).
const MAX_DAMPING_TRIALS: usize = 10;

/// Levenberg-Marquardt with Moré's scaling, λ search and radius updates (MINPACK `lmder`).
///
/// - **Scaling.** D = diag(column norms of J), set from the first Jacobian (a zero
///   column gives 1) and afterwards Dⱼ ← max(Dⱼ, ‖J eⱼ‖) at every new Jacobian, so D
///   never decreases.
/// - **Initial radius.** Δ₀ = `factor`·‖D x₀‖, or `factor` if that is zero; until the
///   first step is accepted, Δ ← min(Δ, ‖D p‖) after each trial.
/// - **Step.** With Ĵ = J D⁻¹ and q = D p: Ĵ Π = Q R (column-pivoted QR, once per
///   Jacobian). λ = 0 if the Gauss-Newton step q₀ (minimum-norm when Ĵ is numerically
///   rank-deficient, as in Moré's paper; MINPACK takes a basic solution there) has
///   ‖q₀‖ ≤ 1.1Δ. Otherwise Moré's safeguarded Newton iteration on φ(λ) = ‖q(λ)‖ − Δ,
///   λ₊ = λ + (φ/Δ)·‖q‖²/‖R_λ⁻ᵀ q‖², keeps λ within bounds [l, u] (l from the
///   Newton step at λ = 0 when R has full rank, else 0; u = ‖Ĵᵀr‖/Δ) and stops when
///   |φ| ≤ 0.1Δ or after 10 trials. Each q(λ) solves the stacked least-squares problem
///   min ‖[R; √λ I] z + [Qᵀr; 0]‖ by an unpivoted Householder QR (R_λ is its triangle,
///   R_λᵀR_λ = ĴᵀĴ + λI), which replaces MINPACK's Givens rotations.
/// - **Ratio.** ρ = (‖r‖² − ‖r(x+p)‖²) / (‖J p‖² + 2λ‖D p‖²), taking the actual
///   reduction as −‖r‖² when ‖r(x+p)‖ ≥ 10‖r‖ or is not finite.
/// - **Updates.** ρ ≤ 0.25: Δ ← μ·min(Δ, 10‖D p‖), λ ← λ/μ with μ = ½ when the actual
///   reduction is nonnegative, else μ = ½·d/(d + ½·actual) with d = −(‖J p‖² + λ‖D p‖²)
///   (all normalized by ‖r‖²), and μ = 0.1 if that is below 0.1 or ‖r(x+p)‖ ≥ 10‖r‖.
///   Otherwise, if λ = 0 or ρ ≥ 0.75: Δ ← 2‖D p‖, λ ← λ/2. The updated λ is only the
///   starting guess of the next λ search.
/// - **Acceptance.** ρ ≥ 1e-4; a rejected trial returns the current point unchanged and
///   the next iteration retries with the smaller Δ and the same factorization.
///
/// Records carry `damping` = the λ of this iteration's trial step (0 for a pure
/// Gauss-Newton step) and `trust_radius` = Δ after the update, the radius of the next
/// trial. Every iteration costs one residual evaluation, plus one Jacobian if the step
/// is accepted; the returned iterate has f = ½‖r‖² and ∇f = Jᵀr.
#[derive(Clone, Debug)]
pub struct LevenbergMarquardt {
    factor: f64,
    rank_tolerance: f64,
    state: Option<State>,
}

/// What one run carries between iterations.
#[derive(Clone, Debug)]
struct State {
    /// r and J at the current iterate.
    lin: Linearization,
    /// The QR of J D⁻¹ at `lin`, once D has been updated for this Jacobian.
    qr: Option<PivotedQr>,
    /// D, empty before the first Jacobian of the run.
    diag: Vec<f64>,
    /// Δ.
    delta: f64,
    /// λ, the starting guess of the next λ search.
    par: f64,
    /// Whether a step has been accepted in this run.
    moved: bool,
}

impl LevenbergMarquardt {
    /// Default initial-radius factor (MINPACK's recommended 100).
    pub const DEFAULT_FACTOR: f64 = 100.0;
    /// Default relative tolerance on the pivots of R below which J D⁻¹ counts as
    /// rank-deficient (|R_jj| ≤ 1e-10·|R_00|); it only decides the λ = 0 step.
    pub const DEFAULT_RANK_TOLERANCE: f64 = 1e-10;

    /// Levenberg-Marquardt with the default hyperparameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the initial-radius factor (positive, finite): Δ₀ = factor·‖D x₀‖. MINPACK
    /// suggests values in [0.1, 100]; smaller is more cautious.
    pub fn with_factor(mut self, factor: f64) -> Result<Self, String> {
        let what = "the initial-radius factor (try 0.1 to 100)";
        self.factor = Range::POSITIVE.check("lm", what, factor, Self::DEFAULT_FACTOR)?;
        Ok(self)
    }

    /// Sets the relative rank tolerance on the pivots of R (in [0, 1)).
    pub fn with_rank_tolerance(mut self, rank_tolerance: f64) -> Result<Self, String> {
        let what = "the rank tolerance (relative to the largest pivot of R)";
        self.rank_tolerance = Range::UNIT.check("lm", what, rank_tolerance, Self::DEFAULT_RANK_TOLERANCE)?;
        Ok(self)
    }
}

impl Default for LevenbergMarquardt {
    fn default() -> Self {
        LevenbergMarquardt {
            factor: Self::DEFAULT_FACTOR,
            rank_tolerance: Self::DEFAULT_RANK_TOLERANCE,
            state: None,
        }
    }
}

impl Method for LevenbergMarquardt {
    fn name(&self) -> &'static str {
        "lm"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        // A different iterate than the one last returned means a new run: start afresh.
        let mut state = match self.state.take().filter(|s| s.lin.at == *current) {
            Some(state) => state,
            None => match Linearization::evaluate(f, current) {
                Ok(lin) => State { lin, qr: None, diag: Vec::new(), delta: 0.0, par: 0.0, moved: false },
                Err(step) => return step,
            },
        };
        if !state.lin.is_finite() {
            return Step::NonFinite;
        }
        let x = &current.x;
        let (m, n) = state.lin.jac.shape();
        let fnorm = norm(&state.lin.r);
        if state.qr.is_none() {
            let jac = &state.lin.jac;
            let column_norms = (0..n).map(|j| (0..m).map(|i| jac[(i, j)] * jac[(i, j)]).sum::<f64>().sqrt());
            if state.diag.is_empty() {
                state.diag = column_norms.map(|c| if c == 0.0 { 1.0 } else { c }).collect();
                let xnorm = norm(&x.iter().zip(&state.diag).map(|(x, d)| d * x).collect::<Vec<_>>());
                state.delta = if xnorm > 0.0 { self.factor * xnorm } else { self.factor };
            } else {
                for (d, c) in state.diag.iter_mut().zip(column_norms) {
                    *d = d.max(c);
                }
            }
            let scaled = Mat::from_fn(m, n, |i, j| jac[(i, j)] / state.diag[j]);
            state.qr = Some(PivotedQr::new(scaled.as_ref(), &state.lin.r, self.rank_tolerance));
        }
        // Zero residual, or a radius that underflowed: nothing left to do here.
        if fnorm == 0.0 || state.delta.is_nan() || state.delta <= 0.0 {
            let trust_radius = Some(state.delta);
            let par = state.par;
            self.state = Some(state);
            return Step::next(current.clone(), 0.0).with_damping(par).with_trust_radius(trust_radius);
        }
        let qr = state.qr.as_ref().expect("factored above");
        let (lambda, q) = damped_step(qr, state.delta, state.par);
        let p: Vec<f64> = q.iter().zip(&state.diag).map(|(q, d)| q / d).collect();
        if !(lambda.is_finite() && p.iter().all(|v| v.is_finite())) {
            return Step::NonFinite;
        }
        state.par = lambda;
        let pnorm = norm(&q);
        if !state.moved {
            state.delta = state.delta.min(pnorm);
        }

        let x_trial: Vec<f64> = x.iter().zip(&p).map(|(x, p)| x + p).collect();
        let mut r_trial = vec![0.0; m];
        f.residuals(&x_trial, &mut r_trial);
        let fnorm1 = match norm(&r_trial) {
            v if v.is_nan() => f64::INFINITY,
            v => v,
        };
        // MINPACK's reductions, normalized by ‖r‖².
        let actred = if 0.1 * fnorm1 < fnorm { 1.0 - (fnorm1 / fnorm).powi(2) } else { -1.0 };
        let jac = &state.lin.jac;
        let jp: Vec<f64> = (0..m).map(|i| (0..n).map(|j| jac[(i, j)] * p[j]).sum()).collect();
        let temp1 = norm(&jp) / fnorm;
        let temp2 = lambda.sqrt() * pnorm / fnorm;
        let prered = temp1 * temp1 + 2.0 * temp2 * temp2;
        let dirder = -(temp1 * temp1 + temp2 * temp2);
        let ratio = if prered != 0.0 { actred / prered } else { 0.0 };
        if ratio <= 0.25 {
            let mut mu = if actred >= 0.0 { 0.5 } else { 0.5 * dirder / (dirder + 0.5 * actred) };
            if 0.1 * fnorm1 >= fnorm || mu < 0.1 {
                mu = 0.1;
            }
            state.delta = mu * state.delta.min(pnorm / 0.1);
            state.par /= mu;
        } else if state.par == 0.0 || ratio >= 0.75 {
            state.delta = pnorm / 0.5;
            state.par *= 0.5;
        }

        let trial_norm = norm(&p);
        let trust_radius = Some(state.delta);
        let next = if ratio >= ACCEPT {
            state.lin = match Linearization::accept(f, x_trial, r_trial) {
                Ok(lin) => lin,
                Err(step) => return step,
            };
            state.qr = None;
            state.moved = true;
            state.lin.at.clone()
        } else {
            current.clone()
        };
        self.state = Some(state);
        Step::next(next, trial_norm).with_damping(lambda).with_trust_radius(trust_radius)
    }
}

/// Moré's λ search (MINPACK `lmpar`) in the scaled variables q = D p, given the QR of
/// Ĵ = J D⁻¹: returns λ ≥ 0 and q(λ) (original variable order) with λ = 0 and
/// ‖q‖ ≤ 1.1Δ, or |‖q‖ − Δ| ≤ 0.1Δ, or the last of 10 trials. `guess` is the previous λ.
fn damped_step(qr: &PivotedQr, delta: f64, guess: f64) -> (f64, Vec<f64>) {
    let n = qr.ncols();
    let q0 = qr.min_norm_solution();
    let mut qnorm = norm(&q0);
    let mut phi = qnorm - delta;
    if phi <= RADIUS_TOLERANCE * delta {
        return (0.0, q0);
    }
    let pivoted = |q: &[f64], scale: f64| Mat::from_fn(n, 1, |j, _| q[qr.perm[j]] * scale);
    let col_norm2 = |c: &Mat<f64>| (0..c.nrows()).map(|i| c[(i, 0)] * c[(i, 0)]).sum::<f64>();

    // Lower bound: one Newton step on φ from λ = 0, defined when R is nonsingular;
    // φ'(0) = −‖R⁻ᵀ q₀‖²/‖q₀‖.
    let mut lower = 0.0;
    if qr.rank == n {
        let mut w = pivoted(&q0, 1.0 / qnorm);
        qr.r.as_ref().get(..n, ..n).transpose().solve_lower_triangular_in_place(w.as_mut());
        lower = phi / delta / col_norm2(&w);
    }
    // Upper bound: ‖Ĵᵀr‖/Δ, since ‖q(λ)‖ ≤ ‖Ĵᵀr‖/λ.
    let k = qr.r.nrows();
    let gnorm = (0..n)
        .map(|j| (0..k.min(j + 1)).map(|i| qr.r[(i, j)] * qr.qtb[i]).sum::<f64>().powi(2))
        .sum::<f64>()
        .sqrt();
    let mut upper = gnorm / delta;
    if upper == 0.0 {
        upper = f64::MIN_POSITIVE / delta.min(0.1);
    }
    let mut lambda = guess.max(lower).min(upper);
    if lambda == 0.0 {
        lambda = gnorm / qnorm;
    }

    let rhs = Mat::from_fn(k + n, 1, |i, _| if i < k { -qr.qtb[i] } else { 0.0 });
    let mut trial = 0;
    loop {
        trial += 1;
        if lambda == 0.0 {
            lambda = f64::MIN_POSITIVE.max(1e-3 * upper);
        }
        // [R; √λ I] z ≈ [−Qᵀr; 0] in the pivoted order.
        let root = lambda.sqrt();
        let stacked = Mat::from_fn(k + n, n, |i, j| {
            if i < k {
                qr.r[(i, j)]
            } else if i - k == j {
                root
            } else {
                0.0
            }
        });
        let sqr = stacked.as_ref().qr();
        let z = sqr.solve_lstsq(rhs.as_ref());
        qnorm = col_norm2(&z).sqrt();
        let previous = phi;
        phi = qnorm - delta;
        let done = phi.abs() <= RADIUS_TOLERANCE * delta
            || (lower == 0.0 && phi <= previous && previous < 0.0)
            || trial == MAX_DAMPING_TRIALS;
        if done {
            let mut q = vec![0.0; n];
            for (j, &orig) in qr.perm.iter().enumerate() {
                q[orig] = z[(j, 0)];
            }
            return (lambda, q);
        }
        // Newton correction: φ'(λ) = −‖R_λ⁻ᵀ q‖²/‖q‖.
        let mut w = Mat::from_fn(n, 1, |j, _| z[(j, 0)] / qnorm);
        sqr.thin_R().transpose().solve_lower_triangular_in_place(w.as_mut());
        let correction = phi / delta / col_norm2(&w);
        if phi > 0.0 {
            lower = lower.max(lambda);
        } else if phi < 0.0 {
            upper = upper.min(lambda);
        }
        lambda = lower.max(lambda + correction);
    }
}

/// `lm` in the registry.
pub const SOLVER: Solver = Solver {
    name: "lm",
    summary: "Levenberg-Marquardt, MINPACK's trust-region form with Moré's scaling",
    family: Family::GaussNewton,
    options: &[
        OptionSpec::number(
            "factor",
            Range::POSITIVE,
            LevenbergMarquardt::DEFAULT_FACTOR,
            "initial step bound Δ₀ = factor·‖D x₀‖, which sets the initial damping (MINPACK's factor)",
        ),
        OptionSpec::number(
            "rank_tol",
            Range::UNIT,
            LevenbergMarquardt::DEFAULT_RANK_TOLERANCE,
            "pivots |R_jj| ≤ rank_tol·|R_00| count as rank loss (the λ = 0 step only)",
        ),
    ],
    build: |o| {
        Ok(Box::new(
            LevenbergMarquardt::new().with_factor(o.number("factor"))?.with_rank_tolerance(o.number("rank_tol"))?,
        ))
    },
    dense: Some(registry::jacobian_matrices),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Outcome, Record, Status, distance, minimize};
    use crate::gauss_newton::problems::{
        Ls, exponential, freudenstein_roth, linear, normal_equations, quadratic_fit, rosenbrock,
    };
    use crate::objective::{LeastSquares, Objective};
    use crate::test_functions::Quadratic;

    fn run(lm: &mut LevenbergMarquardt, obj: &mut Ls, x0: Vec<f64>, gtol: f64) -> (Outcome, Vec<Record>) {
        let mut records = Vec::new();
        let control = Control { max_iter: 200, gtol, ..Control::default() };
        let out = minimize(lm, obj, x0, &control, &mut |r| records.push(r.clone()));
        (out, records)
    }

    /// Δ > 0, λ ≥ 0, accepted steps decrease f, rejected ones keep x; and the final
    /// f and ∇f agree with the objective's own.
    fn assert_minpack_invariants(obj: &mut Ls, out: &Outcome, records: &[Record]) {
        for pair in records.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            assert!(after.trust_radius.unwrap() > 0.0, "{after:?}");
            assert!(after.damping.unwrap() >= 0.0, "{after:?}");
            if after.step_norm > 0.0 {
                assert!(after.loss < before.loss, "{before:?} -> {after:?}");
            } else {
                assert_eq!(after.loss, before.loss);
            }
        }
        let accepted = records.iter().filter(|r| r.step_norm > 0.0).count();
        assert_eq!(out.evals.jacobian, accepted + 1, "one Jacobian per accepted step");
        assert_eq!(out.evals.residuals, out.iterations + 1, "one residual vector per trial");
        let mut g = vec![0.0; out.last.x.len()];
        let loss = obj.gradient(&out.last.x, &mut g);
        assert!((loss - out.last.loss).abs() <= 1e-12 * (1.0 + loss));
        assert!(distance(&g, &out.last.grad) <= 1e-12 * (1.0 + norm(&g)));
    }

    #[test]
    fn damped_step_lands_on_the_trust_region_boundary() {
        // Ĵ = [[3, 1], [1, 2], [0, 1]], r = (1, −2, 3): the Gauss-Newton step is longer
        // than Δ = 0.1, so λ > 0 with |‖q‖ − Δ| ≤ 0.1Δ and (ĴᵀĴ + λI) q = −Ĵᵀr.
        let a = faer::mat![[3.0, 1.0], [1.0, 2.0], [0.0, 1.0]];
        let r = [1.0, -2.0, 3.0];
        let qr = PivotedQr::new(a.as_ref(), &r, 1e-10);
        let gn = norm(&qr.min_norm_solution());
        let delta = 0.1;
        assert!(gn > 1.1 * delta);
        let (lambda, q) = damped_step(&qr, delta, 0.0);
        assert!(lambda > 0.0);
        assert!((norm(&q) - delta).abs() <= 0.1 * delta, "‖q‖ = {}", norm(&q));
        for j in 0..2 {
            let lhs: f64 =
                (0..2).map(|l| (0..3).map(|i| a[(i, j)] * a[(i, l)]).sum::<f64>() * q[l]).sum::<f64>()
                    + lambda * q[j];
            let rhs: f64 = -(0..3).map(|i| a[(i, j)] * r[i]).sum::<f64>();
            assert!((lhs - rhs).abs() < 1e-12, "row {j}: {lhs} vs {rhs}");
        }
        // A radius the Gauss-Newton step fits in gives λ = 0 and that step.
        assert_eq!(damped_step(&qr, 2.0 * gn, 1.0), (0.0, qr.min_norm_solution()));
    }

    #[test]
    fn linear_least_squares_reaches_the_normal_equations_solution() {
        let (a, b) = quadratic_fit();
        let expected = normal_equations(&a, &b);
        let mut obj = linear(a, b);
        let (out, records) = run(&mut LevenbergMarquardt::default(), &mut obj, vec![0.0; 3], 1e-10);
        assert_eq!(out.status, Status::Converged);
        assert!(distance(&out.last.x, &expected) < 1e-10, "{:?} vs {expected:?}", out.last.x);
        // Measured: 1 iteration. x₀ = 0 gives Δ₀ = factor = 100, so the Gauss-Newton
        // step fits (λ = 0) and solves the problem.
        assert_eq!(out.iterations, 1);
        assert_eq!(records[1].damping, Some(0.0));
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    #[test]
    fn linear_least_squares_from_a_distant_start_with_a_small_radius() {
        let (a, b) = quadratic_fit();
        let expected = normal_equations(&a, &b);
        let mut obj = linear(a, b);
        let mut lm = LevenbergMarquardt::new().with_factor(0.01).unwrap();
        let (out, records) = run(&mut lm, &mut obj, vec![100.0, -50.0, 20.0], 1e-9);
        assert_eq!(out.status, Status::Converged);
        assert!(distance(&out.last.x, &expected) < 1e-9, "{:?} vs {expected:?}", out.last.x);
        // Measured: 7 iterations. The model is exact (ρ = 1), so Δ = 2‖D p‖ after every
        // step until the Gauss-Newton step fits.
        assert!(records[1].damping.unwrap() > 0.0);
        assert!((5..=9).contains(&out.iterations), "{} iterations", out.iterations);
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    #[test]
    fn rosenbrock_residuals_from_the_standard_start() {
        let mut obj = rosenbrock();
        let (out, records) = run(&mut LevenbergMarquardt::default(), &mut obj, vec![-1.2, 1.0], 1e-10);
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.grad_norm() <= 1e-10);
        assert!(distance(&out.last.x, &[1.0, 1.0]) < 1e-10);
        // Measured: 20 trials, 5 of them rejected: 21 residual and 16 Jacobian
        // evaluations in all, as MINPACK (next test).
        let rejected = records.iter().skip(1).filter(|r| r.step_norm == 0.0).count();
        assert_eq!((out.iterations, rejected), (20, 5));
        assert_eq!((out.evals.residuals, out.evals.jacobian), (21, 16));
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    /// Records every point where residuals are evaluated.
    struct Trials<'a> {
        inner: &'a mut Ls,
        points: Vec<Vec<f64>>,
    }

    impl Objective for Trials<'_> {
        fn dim(&self) -> usize {
            self.inner.dim()
        }
        fn value(&mut self, x: &[f64]) -> f64 {
            self.inner.value(x)
        }
        fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            self.inner.gradient(x, grad)
        }
        fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
            self.inner.hvp(x, v, out)
        }
        fn hessian(&mut self, x: &[f64], out: faer::MatMut<'_, f64>) {
            self.inner.hessian(x, out)
        }
        fn as_least_squares(&mut self) -> Option<&mut dyn LeastSquares> {
            Some(self)
        }
    }

    impl LeastSquares for Trials<'_> {
        fn residual_count(&self) -> usize {
            self.inner.residual_count()
        }
        fn residuals(&mut self, x: &[f64], r: &mut [f64]) {
            self.points.push(x.to_vec());
            self.inner.residuals(x, r)
        }
        fn jacobian(&mut self, x: &[f64], jac: faer::MatMut<'_, f64>) {
            self.inner.jacobian(x, jac)
        }
    }

    #[test]
    fn rosenbrock_trials_are_minpack_lmder_trials() {
        // The points where MINPACK's lmder (factor 100, mode 1, through SciPy's `leastsq`
        // with Dfun and zero tolerances) evaluates the residuals after x₀, in order:
        // rejected trials included, 21 residual and 16 Jacobian evaluations in all.
        const LMDER: [[f64; 2]; 20] = [
            [0.9999999999999998, -3.84],
            [-0.8974386536961758, 0.7160723392810321],
            [-0.35912951588860875, -0.1582610297759528],
            [-0.7769802872810423, 0.591596422865899],
            [-0.5751886579582595, 0.2930105472551132],
            [-0.14143954677821097, -0.16640317922452486],
            [-0.4755501221152563, 0.21789603932079737],
            [-0.2799660820635965, 0.04186648606363544],
            [0.13008141888261215, -0.15054114595060972],
            [-0.19019107029298876, 0.028417670465439582],
            [-0.012000522198219343, -0.03103526776495337],
            [0.34777981113936846, -0.00856171737324746],
            [0.07525595742251953, -0.002475518050345467],
            [0.2508055577684767, 0.03183329193489405],
            [0.4203350447890555, 0.1472953309298538],
            [0.5826198828714076, 0.31246840022742517],
            [0.7366608278829668, 0.5184600216841043],
            [0.8822425190005216, 0.7569221262728685],
            [1.0, 0.9861331756686574],
            [1.0, 1.0],
        ];
        let mut inner = rosenbrock();
        let mut obj = Trials { inner: &mut inner, points: Vec::new() };
        let control = Control { max_iter: 200, gtol: 1e-10, ..Control::default() };
        let out =
            minimize(&mut LevenbergMarquardt::default(), &mut obj, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert_eq!(obj.points.len(), 1 + LMDER.len());
        for (k, (ours, theirs)) in obj.points[1..].iter().zip(&LMDER).enumerate() {
            assert!(
                distance(ours, theirs) <= 1e-12 * (1.0 + norm(theirs)),
                "trial {k}: {ours:?} vs {theirs:?}"
            );
        }
    }

    #[test]
    fn zero_residual_exponential_fit() {
        let mut obj = exponential(2.0, -0.7);
        let (out, records) = run(&mut LevenbergMarquardt::default(), &mut obj, vec![1.0, 0.0], 1e-12);
        assert_eq!(out.status, Status::Converged);
        assert!((out.last.x[0] - 2.0).abs() < 1e-8 && (out.last.x[1] + 0.7).abs() < 1e-8, "{:?}", out.last.x);
        // Measured: 5 iterations.
        assert!(out.iterations <= 6, "{} iterations", out.iterations);
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    #[test]
    fn rank_deficient_jacobian_converges_to_a_minimizer() {
        // A = [[1, 1], [2, 2]]: equal column norms make D = √5·I, so every step lies in
        // range(Aᵀ) = span{(1, 1)}: x₁ − x₂ = 1 is kept and x₁ + x₂ → 7/5.
        let mut obj = linear(vec![vec![1.0, 1.0], vec![2.0, 2.0]], vec![1.0, 3.0]);
        let (out, records) = run(&mut LevenbergMarquardt::default(), &mut obj, vec![1.0, 0.0], 1e-12);
        assert_eq!(out.status, Status::Converged);
        assert!(distance(&out.last.x, &[1.2, 0.2]) < 1e-12, "{:?}", out.last.x);
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    #[test]
    fn freudenstein_roth_reaches_the_local_minimum_where_gauss_newton_stalls() {
        let mut obj = freudenstein_roth();
        let (out, records) = run(&mut LevenbergMarquardt::default(), &mut obj, vec![0.5, -2.0], 1e-10);
        // The published local minimum: f = ½·48.98425367924 at (11.4128, −0.896805), where
        // J is singular (both rows (1, −13.38)). Measured: 33 trials; Δ then shrinks below
        // xtol with ‖∇f‖ ≈ 1e-6 (rounding in the ratio ρ at f ≈ 24.5), so the run ends
        // with step_too_small rather than at gtol = 1e-10.
        assert!((out.last.loss - 0.5 * 48.98425367924).abs() < 1e-9, "{out:?}");
        assert!((out.last.x[0] - 11.4128).abs() < 1e-3 && (out.last.x[1] + 0.896805).abs() < 1e-5, "{out:?}");
        assert!(
            matches!(out.status, Status::StepTooSmall | Status::Converged) && out.iterations <= 40,
            "{out:?}"
        );
        assert_minpack_invariants(&mut obj, &out, &records);
    }

    #[test]
    fn not_least_squares_is_reported() {
        let mut q = Quadratic::diagonal(vec![1.0, 2.0]);
        let control = Control::default();
        let out = minimize(&mut LevenbergMarquardt::default(), &mut q, vec![1.0, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::NotLeastSquares);
        assert_eq!(out.iterations, 1);
    }

    #[test]
    fn reused_solver_starts_afresh_on_a_new_problem() {
        let mut lm = LevenbergMarquardt::default();
        run(&mut lm, &mut rosenbrock(), vec![-1.2, 1.0], 1e-10);
        let reused = run(&mut lm, &mut exponential(2.0, -0.7), vec![1.0, 0.0], 1e-12);
        let fresh =
            run(&mut LevenbergMarquardt::default(), &mut exponential(2.0, -0.7), vec![1.0, 0.0], 1e-12);
        assert_eq!(reused.0.iterations, fresh.0.iterations);
        assert_eq!(reused.0.last, fresh.0.last);
    }

    #[test]
    fn hyperparameters_are_validated() {
        assert!(LevenbergMarquardt::new().with_factor(0.0).is_err());
        assert!(LevenbergMarquardt::new().with_factor(f64::INFINITY).is_err());
        assert!(LevenbergMarquardt::new().with_rank_tolerance(1.5).is_err());
        let err = LevenbergMarquardt::new().with_factor(-1.0).unwrap_err();
        assert!(err.starts_with("lm:") && err.contains("positive"), "{err}");
        assert!(LevenbergMarquardt::new().with_factor(1.0).and_then(|l| l.with_rank_tolerance(0.0)).is_ok());
    }
}
