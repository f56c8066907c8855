//! Where the curvature at a point comes from: the Hessian of ½‖r‖² splits as
//! H = G + (H − G), the Gauss-Newton part G = JᵀJ (positive semidefinite) and the residual
//! part H − G = Σᵢ rᵢ∇²rᵢ, which alone can bring negative curvature and vanishes with r.
//! Dense spectra of the three, and their stochastic Lanczos quadratures from products.

use faer::Mat;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use saddle_solvers::analysis::{self, ZERO_TOLERANCE};
use saddle_solvers::spectrum::{Slq, slq};

use crate::study::compiled::Derivatives;
use crate::study::error::{CliError, Result};

/// Random probes of Hutch++ and of the density when `--probes` is not given.
pub const DEFAULT_PROBES: usize = 10;

/// Lanczos steps per density probe when `--steps` is not given.
pub const DEFAULT_STEPS: usize = 80;

/// A symmetric operator of the split H = G + (H − G).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// The Hessian H of the loss (Hessian-vector products).
    Hessian,
    /// The Gauss-Newton part G = JᵀJ, J the residuals' Jacobian (J·v, then Jᵀ·(Jv)).
    GaussNewton,
    /// The residual part H − G = Σᵢ rᵢ∇²rᵢ.
    Residual,
}

impl Operator {
    /// The name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Hessian => "hessian",
            Operator::GaussNewton => "gauss-newton",
            Operator::Residual => "residual",
        }
    }
}

/// The three operators of the split, with their labels, in the order of [`Split::spectra`].
pub const OPERATORS: [(Operator, &str); 3] =
    [(Operator::Hessian, "H"), (Operator::GaussNewton, "G = JᵀJ"), (Operator::Residual, "H − G")];

/// The operator's dense matrix at θ (n × n).
pub fn dense_operator(op: Operator, derivs: &mut Derivatives, theta: &[f64]) -> Result<Mat<f64>> {
    let (n, m) = (derivs.param_count(), derivs.residual_count());
    let hessian = |derivs: &mut Derivatives| -> Result<Mat<f64>> {
        let mut h = vec![0.0; n * n];
        derivs.hessian(theta, &mut h)?;
        Ok(Mat::from_fn(n, n, |i, j| h[i * n + j]))
    };
    let gauss_newton = |derivs: &mut Derivatives| -> Result<Mat<f64>> {
        let mut j = vec![0.0; m * n];
        derivs.jacobian(theta, &mut j)?;
        let j = Mat::from_fn(m, n, |r, c| j[r * n + c]);
        Ok(j.transpose() * &j)
    };
    Ok(match op {
        Operator::Hessian => hessian(derivs)?,
        Operator::GaussNewton => gauss_newton(derivs)?,
        Operator::Residual => hessian(derivs)? - gauss_newton(derivs)?,
    })
}

/// The operator's product A·v at θ, written to `out`: one Hessian-vector product, one
/// Gauss-Newton product (J·v, then Jᵀ·(Jv)), or both for H − G.
pub fn operator_product(
    op: Operator,
    derivs: &mut Derivatives,
    theta: &[f64],
    v: &[f64],
    out: &mut [f64],
) -> Result<()> {
    match op {
        Operator::Hessian => derivs.hvp(theta, v, out),
        Operator::GaussNewton => derivs.gauss_newton_product(theta, v, out),
        Operator::Residual => {
            let mut gv = vec![0.0; v.len()];
            derivs.hvp(theta, v, out)?;
            derivs.gauss_newton_product(theta, v, &mut gv)?;
            out.iter_mut().zip(&gv).for_each(|(h, g)| *h -= g);
            Ok(())
        }
    }
}

/// Rademacher vectors (±1 entries) from stream `k` of ChaCha8 seeded with `seed`: stream 0
/// gives the Lanczos start, 1 the Hutch++ probes, 2 the density's probes.
pub fn rademacher_stream(seed: u64, k: u64) -> impl FnMut(&mut [f64]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(k);
    move |v: &mut [f64]| {
        for chunk in v.chunks_mut(64) {
            let bits = rng.next_u64();
            for (k, x) in chunk.iter_mut().enumerate() {
                *x = if bits >> k & 1 == 0 { 1.0 } else { -1.0 };
            }
        }
    }
}

/// The ascending eigenvalues of H, G and H − G at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// The loss there.
    pub loss: f64,
    /// H's, G's and (H − G)'s eigenvalues, in the order of [`OPERATORS`].
    pub spectra: [Vec<f64>; 3],
}

impl Split {
    /// The dense spectra at θ, where the loss is `loss`.
    pub fn at(derivs: &mut Derivatives, theta: &[f64], loss: f64) -> Result<Split> {
        let h = dense_operator(Operator::Hessian, derivs, theta)?;
        let g = dense_operator(Operator::GaussNewton, derivs, theta)?;
        let r = &h - &g;
        let mut spectra = [h, g, r].into_iter().map(|m| {
            analysis::eigenvalues(m.as_ref()).ok_or_else(|| {
                CliError::Invalid("the Hessian or the Jacobian is not finite at this point".into())
            })
        });
        let mut next = || spectra.next().expect("three operators");
        Ok(Split { loss, spectra: [next()?, next()?, next()?] })
    }

    /// max|λ(H)|.
    pub fn hessian_norm(&self) -> f64 {
        spectral_norm(&self.spectra[0])
    }

    /// The eigenvalues of operator `k` (of [`OPERATORS`]) below −1e-10·max|λ(H)|: negative
    /// on H's scale, so a residual part that is negligible beside H counts none.
    pub fn negatives(&self, k: usize) -> usize {
        let tol = ZERO_TOLERANCE * self.hessian_norm();
        self.spectra[k].iter().filter(|&&l| l < -tol).count()
    }
}

/// max|λ| of ascending eigenvalues (0 for none).
pub fn spectral_norm(eigs: &[f64]) -> f64 {
    eigs.first().zip(eigs.last()).map_or(0.0, |(lo, hi)| lo.abs().max(hi.abs()))
}

/// Stochastic Lanczos quadrature of `op` at θ with `probes` probes of `steps` steps, the
/// probes drawn as `saddle spectrum --density --seed SEED` draws them: the same numbers.
pub fn quadrature(
    op: Operator,
    derivs: &mut Derivatives,
    theta: &[f64],
    (probes, steps): (usize, usize),
    seed: u64,
) -> Result<Slq> {
    let mut failure = None;
    let mut apply = |v: &[f64], out: &mut [f64]| {
        if let Err(e) = operator_product(op, derivs, theta, v, out) {
            out.fill(f64::NAN);
            failure.get_or_insert(e);
        }
    };
    let density = slq(theta.len(), &mut apply, probes, steps, &mut rademacher_stream(seed, 2));
    failure.map_or(Ok(density), Err)
}
