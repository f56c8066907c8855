//! What a run's end point is: the exact Hessian's spectrum and classification, and the
//! learned basis — its features at the data points (after the problem's operator) and how
//! they align with the target and the residual.

use faer::Mat;
use saddle_solvers::analysis::{
    self, Curvature, DENSE_SPECTRUM_LIMIT, LANCZOS_STEPS, SpectrumMethod, curvature_by_factorization,
    curvature_from_extremes,
};
use saddle_solvers::lanczos::{SplitMix64, extremes};
use saddle_solvers::{DenseMatrix, dot, norm};
use serde::Serialize;

use saddle_ad::ParamBlock;

use crate::study::compiled::{Derivatives, compile};
use crate::study::error::Result;
use crate::study::loss::LossSource;

/// The diagnostics of one point θ.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    /// L(θ).
    pub loss: f64,
    /// ‖∇L(θ)‖₂.
    pub grad_norm: f64,
    /// Inertia, extreme eigenvalues and classification of the exact Hessian
    /// (zero: |λ| ≤ 1e-10·max|λ|).
    pub curvature: Curvature,
    /// How the curvature was computed: full spectrum (`eigen`); above 2000 parameters,
    /// LBLᵀ inertia with Lanczos extremes (`lblt_lanczos`); above the dense limit
    /// (a Hessian of more than 1 GiB), Lanczos extremes from HVPs alone (`lanczos`: no
    /// inertia, the classification from the extremes).
    pub analysis: SpectrumMethod,
    /// Every eigenvalue, ascending, when the full spectrum was computed.
    #[serde(skip)]
    pub eigenvalues: Option<Vec<f64>>,
    /// ‖output weights‖₂ (the coefficients of the features).
    pub output_weight_norm: f64,
    /// ‖Lu‖ / ‖target‖: how far the fitted function (after the operator) is from zero,
    /// relative to the target. Lu = u (regression) or −u'' (PINN), so Lu = r + target.
    pub fit_ratio: f64,
    /// ‖r‖ / ‖target‖.
    pub residual_ratio: f64,
    /// The K features at the N points, row-major N × K, after the operator.
    #[serde(skip)]
    pub features: Vec<f64>,
    /// ⟨φ_k, target⟩ / (‖φ_k‖‖target‖) per feature (0 for a zero feature).
    pub target_cosines: Vec<f64>,
    /// ⟨φ_k, r⟩ / (‖φ_k‖‖r‖) per feature: zero for every k at a stationary point.
    pub residual_cosines: Vec<f64>,
    /// cos(φ_k, target − mean(target)): the cosine with the part of the target the output
    /// bias cannot fit (the bias's feature is the constant function, after the PINN
    /// operator too: −(b·x(1−x))'' = 2b). Zero for a constant feature. At a stationary
    /// point whose fit is only the constant, every one of these is zero.
    pub centered_target_cosines: Vec<f64>,
    /// Whether each feature is constant over the points (max − min ≤ 1e-8·max(1, max|φ_k|)):
    /// a saturated unit, which only adds to the bias (after the PINN operator, a constant
    /// feature is the trial function's bias x(1 − x)).
    pub constant: Vec<bool>,
}

impl Endpoint {
    /// The largest |⟨φ_k, target⟩| / (‖φ_k‖‖target‖) over the features.
    pub fn max_target_cosine(&self) -> f64 {
        self.target_cosines.iter().fold(0.0f64, |m, c| m.max(c.abs()))
    }

    /// The number of features K.
    pub fn feature_count(&self) -> usize {
        self.target_cosines.len()
    }

    /// The largest |cos(φ_k, target − mean(target))| over the features.
    pub fn max_centered_target_cosine(&self) -> f64 {
        self.centered_target_cosines.iter().fold(0.0f64, |m, c| m.max(c.abs()))
    }

    /// The number of constant (saturated) features.
    pub fn constant_features(&self) -> usize {
        self.constant.iter().filter(|c| **c).count()
    }
}

/// Evaluates the diagnostics of `source` at θ with its compiled derivatives.
pub fn endpoint(source: &dyn LossSource, derivs: &mut Derivatives, theta: &[f64]) -> Result<Endpoint> {
    let n = theta.len();
    let mut grad = vec![0.0; n];
    let loss = derivs.gradient(theta, &mut grad)?;
    let (curvature, analysis, eigenvalues) = if !(DenseMatrix { what: "Hessian", rows: n, cols: n }).fits() {
        (matrix_free_curvature(derivs, theta)?, SpectrumMethod::Lanczos, None)
    } else {
        dense_curvature(derivs, theta)?
    };

    let (features, residual) = features_and_residual(source, theta)?;
    let target = source.target();
    let fitted: Vec<f64> = residual.iter().zip(target).map(|(r, t)| r + t).collect();
    let target_norm = norm(target);
    let k = features.len() / target.len().max(1);
    let column = |j: usize| -> Vec<f64> { features.iter().skip(j).step_by(k.max(1)).copied().collect() };
    let cosines = |with: &[f64]| -> Vec<f64> { (0..k).map(|j| cosine(&column(j), with)).collect() };
    Ok(Endpoint {
        loss,
        grad_norm: norm(&grad),
        curvature,
        analysis,
        eigenvalues,
        output_weight_norm: norm(&theta[source.output_weights()]),
        fit_ratio: norm(&fitted) / target_norm,
        residual_ratio: norm(&residual) / target_norm,
        target_cosines: cosines(target),
        centered_target_cosines: (0..k).map(|j| cosine(&column(j), &centered(target))).collect(),
        residual_cosines: cosines(&residual),
        constant: (0..k)
            .map(|j| {
                let col = column(j);
                let (lo, hi) = col
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
                hi - lo <= 1e-8 * hi.abs().max(lo.abs()).max(1.0)
            })
            .collect(),
        features,
    })
}

/// The features (row-major N × K) and the residual at θ. Features a problem does not build
/// itself are the columns of ∂r/∂c, c the output weights, by forward mode along each
/// output weight (the Jacobian's block, its basis the identity).
fn features_and_residual(source: &dyn LossSource, theta: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    let weights = source.output_weights();
    let k = weights.len();
    let mut program = compile(source, &|g, lg| {
        let features = match lg.features {
            Some(f) => f,
            None => {
                let block = ParamBlock { offset: weights.start, rows: k, cols: 1 };
                saddle_ad::jacobian_block_columns(g, lg.residual, lg.theta, block, k)?
            }
        };
        g.clear_outputs();
        g.set_output("features", features);
        g.set_output("residual", lg.residual);
        Ok(())
    })?;
    if program.has_input("basis") {
        let identity: Vec<f64> = (0..k * k).map(|i| if i % (k + 1) == 0 { 1.0 } else { 0.0 }).collect();
        program.set_input("basis", &identity)?;
    }
    program.set_input("theta", theta)?;
    program.run();
    let residual = program.output("residual")?.to_vec();
    let features = program.output("features")?;
    let shape = program.output_shape("features")?;
    let features = if shape.batch > 1 {
        // K columns one after the other: to row-major N × K.
        let n = residual.len();
        (0..n * k).map(|i| features[(i % k) * n + i / k]).collect()
    } else {
        features.to_vec()
    };
    Ok((features, residual))
}

/// The exact Hessian's curvature: its full spectrum up to [`DENSE_SPECTRUM_LIMIT`]
/// parameters, LBLᵀ inertia and Lanczos extremes above.
fn dense_curvature(
    derivs: &mut Derivatives,
    theta: &[f64],
) -> Result<(Curvature, SpectrumMethod, Option<Vec<f64>>)> {
    let n = theta.len();
    let mut h = vec![0.0; n * n];
    derivs.hessian(theta, &mut h)?;
    let h = Mat::from_fn(n, n, |i, j| h[i * n + j]);
    Ok(if n <= DENSE_SPECTRUM_LIMIT {
        let eigs = analysis::eigenvalues(h.as_ref()).unwrap_or_default();
        (Curvature::from_eigenvalues(&eigs), SpectrumMethod::Eigen, Some(eigs).filter(|e| !e.is_empty()))
    } else {
        (curvature_by_factorization(h.as_ref(), LANCZOS_STEPS), SpectrumMethod::LbltLanczos, None)
    })
}

/// Steps of the matrix-free end-point analysis's Lanczos (each an HVP), at most.
pub const MATRIX_FREE_STEPS: usize = 100;

/// The most memory the matrix-free end-point analysis's Lanczos basis may take: 256 MiB
/// (33 steps at a million parameters).
pub const MATRIX_FREE_BASIS_BYTES: usize = 1 << 28;

/// The extreme eigenvalues by Lanczos on HVPs (at most [`MATRIX_FREE_STEPS`] and
/// [`MATRIX_FREE_BASIS_BYTES`], converged to 1e-8 relative bounds), from a start vector
/// drawn with seed 0: estimates from inside the spectrum.
fn matrix_free_curvature(derivs: &mut Derivatives, theta: &[f64]) -> Result<Curvature> {
    let n = theta.len();
    let mut rng = SplitMix64::new(0);
    let start: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let mut failure = None;
    let ends = extremes(
        &mut |v, out| {
            if let Err(e) = derivs.hvp(theta, v, out) {
                out.fill(f64::NAN);
                failure.get_or_insert(e);
            }
        },
        &start,
        1,
        1,
        1e-8,
        MATRIX_FREE_STEPS.min(MATRIX_FREE_BASIS_BYTES / 8 / n.max(1)).max(2),
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
    Ok(curvature_from_extremes(first(&ends.bottom), first(&ends.top)))
}

/// `v` minus its mean.
fn centered(v: &[f64]) -> Vec<f64> {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    v.iter().map(|x| x - mean).collect()
}

/// ⟨a, b⟩ / (‖a‖‖b‖), or 0 when either is zero.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let scale = norm(a) * norm(b);
    if scale > 0.0 { dot(a, b) / scale } else { 0.0 }
}
