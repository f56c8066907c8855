//! `nncg`: damped Newton-CG with a randomized Nyström preconditioner (Rathore, Lei,
//! Frangella, Lu & Udell, ICML 2024, "Challenges in training PINNs"), HVPs only.
//!
//! Each iteration solves (H + μI) d = ∇f by preconditioned CG, warm-started from the
//! previous d, and steps x ← x − t·d with t from an Armijo backtracking search
//! (t = 1, ½, ¼, … until f(x − t d) ≤ f(x) − c·t·∇fᵀd, c = 0.1), as the authors' code does.
//!
//! The preconditioner is the randomized Nyström approximation Ĥ = U Λ̂ Uᵀ of rank s
//! (Frangella, Tropp & Udell 2023), rebuilt every `update_every` iterations from s HVPs:
//! Ω (n × s) Gaussian, orthonormalized; Y = HΩ; a shift ν = √n·ε·‖Y‖_F; Y_ν = Y + νΩ;
//! ΩᵀY_ν = CCᵀ (Cholesky; where H is indefinite and it fails, the smallest eigenvalue is
//! shifted to ν first, as the authors' code does); B = Y_ν C⁻ᵀ = U Σ Vᵀ;
//! Λ̂ = max(Σ² − ν, 0). Its inverse P⁻¹ = (λ̂_s + μ)·U(Λ̂ + μI)⁻¹Uᵀ + (I − UUᵀ) has
//! eigenvalues (λ̂_s + μ)/(λ̂ᵢ + μ) > 0 and 1: positive definite for every μ > 0.
//!
//! Defaults, from the authors' code and experiments: rank 60 (capped at n), preconditioner
//! update every 20 iterations, CG tolerance 1e-16 on ‖residual‖ and at most 1000 CG
//! iterations, first trial t = 1. The damping μ was tuned per problem over
//! {1e-5, …, 1e-1} in the paper; the default here is 1e-2. CG also stops (this is not in
//! their code) when it meets curvature pᵀ(H + μI)p ≤ 0 or its residual stops being
//! finite, since H + μI need not be positive definite away from a minimizer; and if
//! the resulting d is not a descent direction, the iteration falls back to d = ∇f.

use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::dense::Eigen;
use crate::driver::{Iterate, Method, Step, dot, norm};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{DenseMatrix, Family, Solver};

/// Nyström-preconditioned damped Newton-CG with an Armijo line search.
#[derive(Clone, Debug)]
pub struct Nncg {
    rank: usize,
    damping: f64,
    update_every: usize,
    cg_tol: f64,
    cg_max_iter: usize,
    seed: u64,
    /// The preconditioner, iterations since it was built, the last direction d.
    state: Option<State>,
    /// The x of the iterate the last step returned.
    last: Vec<f64>,
}

#[derive(Clone, Debug)]
struct State {
    precond: Nystrom,
    age: usize,
    direction: Vec<f64>,
    sketches: u64,
}

impl Nncg {
    /// Default rank s of the Nyström approximation.
    pub const DEFAULT_RANK: usize = 60;
    /// Default damping μ.
    pub const DEFAULT_DAMPING: f64 = 1e-2;
    /// Default number of iterations between preconditioner updates.
    pub const DEFAULT_UPDATE_EVERY: usize = 20;
    /// Default CG tolerance on ‖(H + μI)d − ∇f‖.
    pub const DEFAULT_CG_TOL: f64 = 1e-16;
    /// Default cap on CG iterations per step.
    pub const DEFAULT_CG_MAX_ITER: usize = 1000;
    /// The Armijo constant c (the authors' 0.1).
    pub const ARMIJO: f64 = 0.1;
    /// Backtracks per line search before the iteration gives up.
    pub const MAX_BACKTRACKS: usize = 50;

    /// NNCG with rank `rank` ≥ 1 and damping `damping` > 0 (other settings default).
    pub fn new(rank: usize, damping: f64) -> Result<Self, String> {
        if rank == 0 {
            return Err(format!(
                "nncg: the Nyström rank must be at least 1, got 0; the default is {}",
                Self::DEFAULT_RANK
            ));
        }
        if !(damping > 0.0 && damping.is_finite()) {
            return Err(format!(
                "nncg: the damping μ must be a positive number, got {damping}; the default is {}",
                Self::DEFAULT_DAMPING
            ));
        }
        Ok(Nncg {
            rank,
            damping,
            update_every: Self::DEFAULT_UPDATE_EVERY,
            cg_tol: Self::DEFAULT_CG_TOL,
            cg_max_iter: Self::DEFAULT_CG_MAX_ITER,
            seed: 0,
            state: None,
            last: Vec::new(),
        })
    }

    /// Sets the number of iterations between preconditioner updates (≥ 1).
    pub fn with_update_every(mut self, update_every: usize) -> Result<Self, String> {
        if update_every == 0 {
            return Err(format!(
                "nncg: the preconditioner update frequency must be at least 1, got 0; the default is {}",
                Self::DEFAULT_UPDATE_EVERY
            ));
        }
        self.update_every = update_every;
        Ok(self)
    }

    /// Sets the seed of the Gaussian test matrices.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Default for Nncg {
    fn default() -> Self {
        Nncg::new(Self::DEFAULT_RANK, Self::DEFAULT_DAMPING).expect("valid defaults")
    }
}

/// The Nyström approximation U Λ̂ Uᵀ (module docs).
#[derive(Clone, Debug)]
pub(crate) struct Nystrom {
    /// U, n × s, orthonormal columns.
    u: Mat<f64>,
    /// Λ̂, descending.
    values: Vec<f64>,
    damping: f64,
}

impl Nystrom {
    /// Sketches the symmetric operator `apply` (n × n) with `rank` columns from `seed`.
    pub(crate) fn new(
        n: usize,
        rank: usize,
        damping: f64,
        seed: u64,
        apply: &mut dyn FnMut(&[f64], &mut [f64]),
    ) -> Option<Nystrom> {
        let s = rank.min(n);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let gaussian = Mat::<f64>::from_fn(n, s, |_, _| StandardNormal.sample(&mut rng));
        let omega = gaussian.as_ref().qr().compute_thin_Q();
        let mut y = Mat::<f64>::zeros(n, s);
        let mut out = vec![0.0; n];
        for j in 0..s {
            let column: Vec<f64> = (0..n).map(|i| omega[(i, j)]).collect();
            apply(&column, &mut out);
            (0..n).for_each(|i| y[(i, j)] = out[i]);
        }
        let nu = (n as f64).sqrt() * f64::EPSILON * y.norm_l2();
        let mut y_nu = &y + &omega * faer::Scale(nu);
        let mut small: Mat<f64> = omega.transpose() * &y_nu;
        small = Mat::from_fn(s, s, |i, j| 0.5 * (small[(i, j)] + small[(j, i)]));
        let mut shift = nu;
        let c = match small.as_ref().llt(faer::Side::Lower) {
            Ok(llt) => llt.L().to_owned(),
            Err(_) => {
                // Indefinite: shift the sketch so that its smallest eigenvalue becomes ν.
                let smallest = Eigen::new(small.as_ref())?.values[0];
                let extra = smallest.abs() + nu;
                shift += extra;
                y_nu = &y_nu + &omega * faer::Scale(extra);
                (0..s).for_each(|i| small[(i, i)] += extra);
                small.as_ref().llt(faer::Side::Lower).ok()?.L().to_owned()
            }
        };
        // B = Y_ν C⁻ᵀ, i.e. Bᵀ = C⁻¹ Y_νᵀ.
        let mut bt = y_nu.transpose().to_owned();
        c.as_ref().solve_lower_triangular_in_place(bt.as_mut());
        let svd = bt.transpose().thin_svd().ok()?;
        let sigma: Vec<f64> = svd.S().column_vector().iter().copied().collect();
        let values: Vec<f64> = sigma.iter().map(|v| (v * v - shift).max(0.0)).collect();
        let u = svd.U().to_owned();
        (values.iter().all(|v| v.is_finite()) && u.as_ref().is_all_finite()).then_some(Nystrom {
            u,
            values,
            damping,
        })
    }

    /// P⁻¹v = (λ̂_s + μ)·U(Λ̂ + μI)⁻¹Uᵀv + (v − UUᵀv).
    pub(crate) fn apply_inverse(&self, v: &[f64]) -> Vec<f64> {
        let n = v.len();
        let s = self.values.len();
        let smallest = self.values[s - 1] + self.damping;
        let coordinates: Vec<f64> = (0..s).map(|j| (0..n).map(|i| self.u[(i, j)] * v[i]).sum()).collect();
        let mut out = v.to_vec();
        for (j, c) in coordinates.iter().enumerate() {
            let weight = smallest / (self.values[j] + self.damping) - 1.0;
            (0..n).for_each(|i| out[i] += weight * c * self.u[(i, j)]);
        }
        out
    }
}

/// Preconditioned CG for (A + μI)x = b from `x`, with A through `apply`; returns x and
/// the iterations made. Stops at ‖r‖ ≤ `tol`, after `max_iter`, on curvature ≤ 0 or
/// when the recurrence stops being finite (keeping the last finite x).
pub(crate) fn pcg(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    damping: f64,
    precond: Option<&Nystrom>,
    b: &[f64],
    mut x: Vec<f64>,
    tol: f64,
    max_iter: usize,
) -> (Vec<f64>, usize) {
    let n = b.len();
    let mut av = vec![0.0; n];
    let mut product = |v: &[f64], out: &mut Vec<f64>| {
        apply(v, out);
        out.iter_mut().zip(v).for_each(|(o, v)| *o += damping * v);
    };
    product(&x, &mut av);
    let mut r: Vec<f64> = b.iter().zip(&av).map(|(b, a)| b - a).collect();
    let precondition = |r: &[f64]| precond.map_or_else(|| r.to_vec(), |p| p.apply_inverse(r));
    let mut z = precondition(&r);
    let mut p = z.clone();
    let mut rz = dot(&r, &z);
    let mut iterations = 0;
    while norm(&r) > tol && iterations < max_iter {
        product(&p, &mut av);
        let curvature = dot(&p, &av);
        if !(curvature > 0.0 && rz > 0.0 && curvature.is_finite()) {
            break;
        }
        let alpha = rz / curvature;
        let x_next: Vec<f64> = x.iter().zip(&p).map(|(x, p)| x + alpha * p).collect();
        if !x_next.iter().all(|v| v.is_finite()) {
            break;
        }
        x = x_next;
        r.iter_mut().zip(&av).for_each(|(r, a)| *r -= alpha * a);
        iterations += 1;
        z = precondition(&r);
        let rz_next = dot(&r, &z);
        let beta = rz_next / rz;
        rz = rz_next;
        p.iter_mut().zip(&z).for_each(|(p, z)| *p = z + beta * *p);
    }
    (x, iterations)
}

impl Method for Nncg {
    fn name(&self) -> &'static str {
        "nncg"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        let n = current.x.len();
        if self.last != current.x {
            self.state = None;
        }
        let x = current.x.clone();
        let mut hvp = |v: &[f64], out: &mut [f64]| f.hvp(&x, v, out);
        let needs_sketch = self.state.as_ref().is_none_or(|s| s.age >= self.update_every);
        if needs_sketch {
            let sketches = self.state.as_ref().map_or(0, |s| s.sketches + 1);
            let seed = self.seed.wrapping_add(sketches.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let Some(precond) = Nystrom::new(n, self.rank, self.damping, seed, &mut hvp) else {
                return Step::NonFinite;
            };
            let direction = self.state.take().map_or_else(|| vec![0.0; n], |s| s.direction);
            self.state = Some(State { precond, age: 0, direction, sketches });
        }
        let state = self.state.as_mut().expect("set above");
        let (mut d, _) = pcg(
            &mut hvp,
            self.damping,
            Some(&state.precond),
            &current.grad,
            state.direction.clone(),
            self.cg_tol,
            self.cg_max_iter,
        );
        state.age += 1;
        let descends = dot(&d, &current.grad) > 0.0;
        if !descends {
            d = current.grad.clone();
        }
        state.direction.clone_from(&d);
        let slope = dot(&current.grad, &d);
        let mut t = 1.0;
        for _ in 0..=Self::MAX_BACKTRACKS {
            let trial: Vec<f64> = current.x.iter().zip(&d).map(|(x, d)| x - t * d).collect();
            let next = Iterate::at(f, trial);
            if next.is_finite() && next.loss <= current.loss - Self::ARMIJO * t * slope {
                self.last.clone_from(&next.x);
                let trial_norm = t * norm(&d);
                return Step::next(next, trial_norm).with_step_length(t).with_damping(self.damping);
            }
            t *= 0.5;
        }
        self.last.clone_from(&current.x);
        Step::next(current.clone(), 0.0).with_step_length(0.0).with_damping(self.damping)
    }
}

/// `nncg` in the registry.
pub const SOLVER: Solver = Solver {
    name: "nncg",
    summary: "damped Newton-CG with a Nyström preconditioner (Rathore et al. 2024), Armijo search",
    family: Family::SafeguardedNewton,
    options: &[
        OptionSpec::number("mu", Range::POSITIVE, Nncg::DEFAULT_DAMPING, "damping μ in (H + μI)d = ∇f"),
        OptionSpec::integer("rank", Range::AT_LEAST_ONE, Nncg::DEFAULT_RANK as u64, "rank s of the Nyström preconditioner (capped at n)"),
        OptionSpec::number("cg_tol", Range::NON_NEGATIVE, Nncg::DEFAULT_CG_TOL, "CG stops when ‖(H + μI)d − ∇f‖ ≤ cg_tol"),
        OptionSpec::integer("cg_max", Range::AT_LEAST_ONE, Nncg::DEFAULT_CG_MAX_ITER as u64, "most CG iterations per step"),
        OptionSpec::integer(
            "update_every",
            Range::AT_LEAST_ONE,
            Nncg::DEFAULT_UPDATE_EVERY as u64,
            "iterations between preconditioner rebuilds",
        ),
        OptionSpec::integer("seed", Range::NON_NEGATIVE, 0, "seed of the sketches' Gaussian test matrices"),
    ],
    build: |o| {
        let mut nncg = Nncg::new(o.integer("rank"), o.number("mu"))?
            .with_update_every(o.integer("update_every"))?
            .with_seed(o.integer("seed") as u64);
        nncg.cg_tol = o.number("cg_tol");
        nncg.cg_max_iter = o.integer("cg_max");
        Ok(Box::new(nncg))
    },
    dense: Some(|n, _m, o| {
        vec![DenseMatrix { what: "Nyström sketch", rows: n, cols: o.integer("rank").min(n) }]
    }),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_functions::{DenseQuadratic, Rosenbrock, rotation};
    use crate::dense::matvec;
    use crate::driver::{Control, Status, minimize};

    /// Q diag(λ) Qᵀ with λ = 10^(6k/(n−1)), k = 0..n: condition number 1e6.
    fn ill_conditioned(n: usize) -> Mat<f64> {
        let q = rotation(n);
        let lambda: Vec<f64> = (0..n).map(|k| 10f64.powf(6.0 * k as f64 / (n - 1) as f64)).collect();
        Mat::from_fn(n, n, |i, j| (0..n).map(|k| q[(i, k)] * lambda[k] * q[(j, k)]).sum())
    }

    #[test]
    fn the_preconditioner_is_positive_definite() {
        // Also on an indefinite operator, where the sketch's Cholesky fails and is shifted.
        let n = 12;
        let mut indefinite = ill_conditioned(n);
        (0..n).for_each(|i| indefinite[(i, i)] -= 50.0);
        for a in [ill_conditioned(n), indefinite] {
            let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
            let nys = Nystrom::new(n, 5, 1e-2, 7, &mut apply).unwrap();
            let columns: Vec<Vec<f64>> = (0..n)
                .map(|j| {
                    nys.apply_inverse(&(0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect::<Vec<_>>())
                })
                .collect();
            let p = Mat::from_fn(n, n, |i, j| columns[j][i]);
            let asymmetry =
                (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| (p[(i, j)] - p[(j, i)]).abs());
            assert!(asymmetry.fold(0.0, f64::max) < 1e-12);
            let eigen = Eigen::new(p.as_ref()).unwrap();
            assert!(eigen.values[0] > 0.0, "P⁻¹ eigenvalues {:?}", eigen.values);
            // Its eigenvalues are (λ̂ₛ + μ)/(λ̂ᵢ + μ) ≤ 1 and 1.
            assert!(eigen.values[n - 1] <= 1.0 + 1e-12, "{:?}", eigen.values);
        }
    }

    #[test]
    fn the_preconditioner_reduces_cg_iterations_on_an_ill_conditioned_quadratic() {
        let n = 40;
        let a = ill_conditioned(n);
        let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin() + 0.1).collect();
        let mu = 1e-3;
        let tol = 1e-8 * norm(&b);
        let (plain, plain_iterations) = pcg(&mut apply, mu, None, &b, vec![0.0; n], tol, 10 * n);
        let nys = Nystrom::new(n, 20, mu, 3, &mut apply).unwrap();
        let (pre, pre_iterations) = pcg(&mut apply, mu, Some(&nys), &b, vec![0.0; n], tol, 10 * n);
        // Both solve (A + μI)x = b to the tolerance.
        for x in [&plain, &pre] {
            let ax = matvec(a.as_ref(), x);
            let residual: Vec<f64> = ax.iter().zip(x).zip(&b).map(|((ax, x), b)| ax + mu * x - b).collect();
            assert!(norm(&residual) <= 1e-7 * norm(&b));
        }
        // The top 20 of 40 eigenvalues (1e3..1e6) are deflated to ~λ₂₀: the condition
        // number drops from 1e6 to ~1e3. Measured: 40+ → well under half.
        assert!(2 * pre_iterations < plain_iterations, "{pre_iterations} vs {plain_iterations} iterations");
    }

    #[test]
    fn converges_on_a_quadratic_and_on_rosenbrock() {
        let mut quadratic =
            DenseQuadratic::new(&[&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]], &[1.0, -2.0, 0.5]);
        let control = Control { max_iter: 200, gtol: 1e-9, ..Control::default() };
        let out = minimize(&mut Nncg::default(), &mut quadratic, vec![0.0; 3], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        // With rank ≥ n the preconditioner is exact up to μ: a handful of damped steps.
        assert!(out.iterations <= 10, "{} iterations", out.iterations);
        let out = minimize(&mut Nncg::default(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |_| {});
        assert_eq!(out.status, Status::Converged);
        assert!(out.last.x.iter().all(|x| (x - 1.0).abs() < 1e-6), "{:?}", out.last.x);
        assert_eq!(out.evals.hessian, 0);
    }

    #[test]
    fn invalid_settings_are_named() {
        assert!(Nncg::new(0, 1e-2).unwrap_err().starts_with("nncg: the Nyström rank"));
        assert!(Nncg::new(10, 0.0).unwrap_err().starts_with("nncg: the damping"));
        assert!(Nncg::default().with_update_every(0).unwrap_err().starts_with("nncg: the preconditioner"));
    }
}
