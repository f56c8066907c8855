//! What a run's end point is: the exact Hessian's spectrum and classification, and the
//! learned basis — its features at the data points (after the problem's operator) and how
//! they align with the target and the residual.

use faer::Mat;
use saddle_solvers::analysis::{
    self, Curvature, DENSE_HESSIAN_LIMIT, DENSE_SPECTRUM_LIMIT, LANCZOS_STEPS, SpectrumMethod,
    ZERO_TOLERANCE, curvature_by_factorization, curvature_from_extremes,
};
use saddle_solvers::spectrum::{EXTREMES_TOLERANCE, converged_extremes};
use saddle_solvers::{dot, norm};
use serde::Serialize;

use super::curvature::{DEFAULT_PROBES, DEFAULT_STEPS, Operator, quadrature, rademacher_stream};
use crate::study::compiled::{Derivatives, compile, features_graph};
use crate::study::error::Result;
use crate::study::loss::LossSource;

/// How [`endpoint_with`] analyses the Hessian: dense up to `dense_limit` parameters, and
/// above it matrix-free, the settings of its stochastic Lanczos quadrature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalysisSettings {
    /// The largest n whose Hessian is built dense; default [`DENSE_HESSIAN_LIMIT`] (the
    /// largest that fits [`DENSE_BYTES_LIMIT`](saddle_solvers::DENSE_BYTES_LIMIT), 11585).
    pub dense_limit: usize,
    /// Rademacher probes of the negative count's quadrature; default [`DEFAULT_PROBES`].
    pub probes: usize,
    /// Lanczos steps per probe, at most; default [`DEFAULT_STEPS`] (fewer when the
    /// probe's basis would pass [`SLQ_BASIS_BYTES`]).
    pub steps: usize,
    /// The seed of the Lanczos start vector (stream 0) and of the probes (stream 2), as
    /// `saddle spectrum --seed` draws them; default 0.
    pub seed: u64,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            dense_limit: DENSE_HESSIAN_LIMIT,
            probes: DEFAULT_PROBES,
            steps: DEFAULT_STEPS,
            seed: 0,
        }
    }
}

/// What the matrix-free analysis adds to the extremes: how they converged and the
/// estimated negative count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatrixFree {
    /// The restarted Lanczos run that gave `min_eig` and `max_eig`.
    pub lanczos: LanczosRun,
    /// The estimated count of eigenvalues below −1e-10·max|λ|.
    pub negative_estimate: NegativeEstimate,
}

/// The restarted Lanczos run for the extreme eigenvalues
/// ([`converged_extremes`]: tolerance [`EXTREMES_TOLERANCE`], at most
/// [`EXTREMES_MAX_PRODUCTS`](saddle_solvers::spectrum::EXTREMES_MAX_PRODUCTS) HVPs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LanczosRun {
    /// HVPs computed.
    pub products: usize,
    /// Whether both residual bounds reached `tolerance`·max|θ| (or the Krylov space
    /// became invariant) within the budget.
    pub converged: bool,
    /// The relative tolerance on the bounds.
    pub tolerance: f64,
    /// The residual bound of `min_eig`: some eigenvalue lies within it.
    pub min_bound: f64,
    /// The residual bound of `max_eig`.
    pub max_bound: f64,
}

/// An estimate of the negative count, the eigenvalues below x = −1e-10·max(|λmin|, |λmax|)
/// (the extremes from Lanczos), by stochastic Lanczos quadrature with a Gauss-Radau node
/// fixed at x ([`Slq::count_below`](saddle_solvers::spectrum::Slq::count_below)): for each
/// probe z, the rule's mass below x is at most zᵀ1(H < x)z/‖z‖² and its mass at or below x
/// at least, so n times their means bracket Hutchinson's estimate of the count. NaN
/// (written null) when the Hessian is not finite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NegativeEstimate {
    /// The lower end: the negative eigenvalues the quadrature resolves from x.
    pub value: f64,
    /// The upper end: adding the mass it cannot place on either side of x (at a
    /// rank-deficient Hessian, mostly its zero eigenvalues).
    pub upper: f64,
    /// The standard error of `value` over the probes.
    pub stderr: Option<f64>,
    /// `slq`.
    pub method: &'static str,
    /// Rademacher probes.
    pub probes: usize,
    /// Lanczos steps per probe, at most ([`AnalysisSettings::steps`], capped by
    /// [`SLQ_BASIS_BYTES`]).
    pub steps: usize,
    /// The seed of the probes.
    pub seed: u64,
    /// HVPs computed.
    pub products: usize,
}

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
    /// (a Hessian of more than 1 GiB), restarted Lanczos extremes from HVPs alone
    /// (`lanczos`: no inertia, all counts zero, the classification from the extremes).
    pub analysis: SpectrumMethod,
    /// With `lanczos`: the extremes' convergence and the estimated negative count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_free: Option<MatrixFree>,
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
    /// The inertia [negative, zero, positive], or `None` when the analysis was matrix-free
    /// (`lanczos`), which counts no eigenvalues exactly.
    pub fn inertia(&self) -> Option<[usize; 3]> {
        (self.analysis != SpectrumMethod::Lanczos).then(|| self.curvature.inertia.as_array())
    }

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

/// Evaluates the diagnostics of `source` at θ with its compiled derivatives, with the
/// default [`AnalysisSettings`].
pub fn endpoint(source: &dyn LossSource, derivs: &mut Derivatives, theta: &[f64]) -> Result<Endpoint> {
    endpoint_with(source, derivs, theta, &AnalysisSettings::default())
}

/// [`endpoint`] with the Hessian analysed as `settings` say: dense up to
/// `settings.dense_limit` parameters, matrix-free above.
pub fn endpoint_with(
    source: &dyn LossSource,
    derivs: &mut Derivatives,
    theta: &[f64],
    settings: &AnalysisSettings,
) -> Result<Endpoint> {
    let n = theta.len();
    let mut grad = vec![0.0; n];
    let loss = derivs.gradient(theta, &mut grad)?;
    let (curvature, analysis, eigenvalues, matrix_free) = if n > settings.dense_limit {
        let (curvature, free) = matrix_free_curvature(derivs, theta, settings)?;
        (curvature, SpectrumMethod::Lanczos, None, Some(free))
    } else {
        let (curvature, analysis, eigenvalues) = dense_curvature(derivs, theta)?;
        (curvature, analysis, eigenvalues, None)
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
        matrix_free,
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

/// The features (row-major N × K) and the residual at θ.
fn features_and_residual(source: &dyn LossSource, theta: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    let k = source.output_weights().len();
    let mut program = compile(source, &features_graph(source))?;
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

/// The most memory one probe's Lanczos basis may take in the matrix-free analysis:
/// 256 MiB, so 80 steps up to 419,430 parameters (33 at a million).
pub const SLQ_BASIS_BYTES: usize = 1 << 28;

/// The matrix-free curvature: λmin and λmax by thick-restart Lanczos on HVPs from a
/// Rademacher start ([`converged_extremes`]: residual bounds ≤ 1e-10·max|θ|, at most
/// [`EXTREMES_MAX_PRODUCTS`](saddle_solvers::spectrum::EXTREMES_MAX_PRODUCTS) HVPs on a
/// basis of 30 vectors), classified by [`curvature_from_extremes`] with the dense path's
/// thresholds; and the negative count bracketed by stochastic Lanczos quadrature (`probes`
/// × at most `steps` HVPs). The extremes and the probes are those of `saddle spectrum
/// --method lanczos --top 1 --bottom 1 --density F --probes P --steps S --seed K`; the
/// numbers do not depend on the thread count.
fn matrix_free_curvature(
    derivs: &mut Derivatives,
    theta: &[f64],
    settings: &AnalysisSettings,
) -> Result<(Curvature, MatrixFree)> {
    let n = theta.len();
    let mut start = vec![0.0; n];
    rademacher_stream(settings.seed, 0)(&mut start);
    let mut failure = None;
    let ends = converged_extremes(
        &mut |v, out| {
            if let Err(e) = derivs.hvp(theta, v, out) {
                out.fill(f64::NAN);
                failure.get_or_insert(e);
            }
        },
        &start,
        1,
        1,
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
    let curvature = curvature_from_extremes(first(&ends.bottom), first(&ends.top));
    let lanczos = LanczosRun {
        products: ends.steps,
        converged: ends.converged,
        tolerance: EXTREMES_TOLERANCE,
        min_bound: first(&ends.bottom_bounds),
        max_bound: first(&ends.top_bounds),
    };
    let steps = settings.steps.min(SLQ_BASIS_BYTES / 8 / n.max(1)).max(2);
    let mut negative_estimate = NegativeEstimate {
        value: f64::NAN,
        upper: f64::NAN,
        stderr: None,
        method: "slq",
        probes: settings.probes,
        steps,
        seed: settings.seed,
        products: 0,
    };
    if curvature.min_eig.is_finite() && curvature.max_eig.is_finite() {
        let slq = quadrature(Operator::Hessian, derivs, theta, (settings.probes, steps), settings.seed)?;
        let scale = curvature.min_eig.abs().max(curvature.max_eig.abs());
        let bracket = slq.count_below(-ZERO_TOLERANCE * scale);
        (negative_estimate.value, negative_estimate.upper) = (bracket.lower, bracket.upper);
        negative_estimate.stderr = bracket.lower_stderr;
        negative_estimate.products = slq.products();
    }
    Ok((curvature, MatrixFree { lanczos, negative_estimate }))
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

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use saddle_graph::{Activation, Arch};
    use saddle_solvers::lanczos::SplitMix64;
    use saddle_solvers::{Classification, Control, SolverKind};

    use super::*;
    use crate::study::experiments::{Category, fit, one_input, sine_data};
    use crate::study::linear_basis::LegendreBasis;
    use crate::study::problem::{Problem, ProblemKind};

    /// The matrix-free analysis forced on below the dense limit.
    fn forced(dense_limit: usize) -> AnalysisSettings {
        AnalysisSettings { dense_limit, ..AnalysisSettings::default() }
    }

    /// Regression of cos(πx) (even) on `points` points evenly on [−1, 1] with `arch`.
    fn even_problem(arch: &str, points: usize) -> Problem {
        let xs = (0..points).map(|i| -1.0 + 2.0 * i as f64 / (points - 1) as f64).collect();
        let data = one_input(xs, |x| (PI * x).cos());
        Problem::new(ProblemKind::Regression, arch.parse::<Arch>().unwrap(), Activation::Tanh, data).unwrap()
    }

    /// The trivial saddle of `arch` (layers 1, K₁, …, 1): hidden weights drawn uniform in
    /// [−1.5, 1.5) (seed 1), hidden biases zero, so every feature is odd and orthogonal to
    /// the even target; output weights zero and the output bias the target's mean.
    fn trivial_saddle(problem: &Problem) -> Vec<f64> {
        let mean = problem.data.targets.iter().sum::<f64>() / problem.data.n_points as f64;
        let layers = problem.arch.layers();
        let mut rng = SplitMix64::new(1);
        let mut theta = Vec::new();
        for (l, layer) in layers.iter().enumerate() {
            let last = l + 1 == layers.len();
            for _ in 0..layer.fan_in * layer.fan_out {
                theta.push(if last { 0.0 } else { 1.5 * rng.uniform() });
            }
            theta.extend(std::iter::repeat_n(if last { mean } else { 0.0 }, layer.fan_out));
        }
        assert_eq!(theta.len(), problem.param_count());
        theta
    }

    /// Both analyses of θ: the dense one (default settings) and the matrix-free one.
    fn both(source: &dyn LossSource, theta: &[f64]) -> (Endpoint, Endpoint) {
        let mut derivs = Derivatives::new(source).unwrap();
        let dense = endpoint(source, &mut derivs, theta).unwrap();
        let free = endpoint_with(source, &mut derivs, theta, &forced(10)).unwrap();
        // Summaries give the inertia only where it was counted exactly.
        assert_eq!(dense.inertia(), Some(dense.curvature.inertia.as_array()));
        assert_eq!(free.inertia(), None);
        (dense, free)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs())
    }

    /// The negative-count bracket against the dense spectrum, to three standard errors:
    /// [value, upper] holds the exact count, and the lower end counts at least the
    /// eigenvalues below −1e-8·max|λ| (what 80 steps resolve from zero at these points).
    fn check_estimate(free: &Endpoint, dense: &Endpoint) -> NegativeEstimate {
        let estimate = free.matrix_free.as_ref().unwrap().negative_estimate;
        assert_eq!((estimate.method, estimate.probes, estimate.steps, estimate.seed), ("slq", 10, 80, 0));
        let eigs = dense.eigenvalues.as_ref().unwrap();
        let scale = dense.curvature.min_eig.abs().max(dense.curvature.max_eig.abs());
        let below = |x: f64| eigs.iter().filter(|&&l| l < x * scale).count() as f64;
        let (exact, resolved) = (below(-1e-10), below(-1e-8));
        assert_eq!(exact as usize, dense.curvature.inertia.negative);
        let se = 3.0 * estimate.stderr.unwrap();
        assert!(estimate.value - se <= exact && exact <= estimate.upper + se, "{estimate:?} vs {exact}");
        assert!(resolved - se <= estimate.value, "{estimate:?} vs {resolved} below −1e-8·max|λ|");
        estimate
    }

    /// Above a dense limit forced down to 10 the matrix-free analysis of the trivial saddles
    /// (and of a generic point) gives the dense analysis's classification, category and
    /// extremes, and a bracket on the negative count. At the trivial saddles the Hessian has
    /// low rank, so each probe's Krylov space becomes invariant, the bracket closes and its
    /// error is the probes' alone: the estimates round to the exact counts (the 1,16,16,1
    /// one, 14.9 ± 1.7 of 16, to one less). At the generic point 786 of 1021 eigenvalues
    /// are zero (|λ| ≤ 1e-10·max|λ|) and 14 of the 117 negative ones lie within
    /// 1e-8·max|λ| of zero, which 80 steps do not resolve: the lower end, 100.2 ± 3.6,
    /// counts about the other 103, the upper end (918) adds the zero ones.
    #[test]
    fn matrix_free_analysis_of_saddles_matches_the_dense_one() {
        let cases = [("1,4,1", 4, 4.0), ("1,8,1", 8, 8.0), ("1,16,16,1", 16, 15.0), ("1,30,30,1", 117, 0.0)];
        for (arch, negatives, rounded) in cases {
            let problem = even_problem(arch, 33);
            let generic = arch == "1,30,30,1";
            let theta = if generic {
                crate::study::init::glorot_normal(&problem.arch, 3)
            } else {
                trivial_saddle(&problem)
            };
            let (dense, free) = both(&problem, &theta);
            assert_eq!((dense.analysis, free.analysis), (SpectrumMethod::Eigen, SpectrumMethod::Lanczos));
            assert_eq!(dense.curvature.inertia.negative, negatives, "{arch}");
            assert_eq!(free.curvature.classification, Classification::Saddle, "{arch}");
            let category = if generic { Category::NotConverged } else { Category::Saddle };
            assert_eq!(
                (Category::of(&dense, 1e-8), Category::of(&free, 1e-8)),
                (category, category),
                "{arch}"
            );
            assert!(close(free.curvature.min_eig, dense.curvature.min_eig, 1e-8), "{arch}: {free:?}");
            assert!(close(free.curvature.max_eig, dense.curvature.max_eig, 1e-8), "{arch}: {free:?}");
            let lanczos = free.matrix_free.as_ref().unwrap().lanczos;
            assert!(lanczos.converged && lanczos.products <= 40, "{arch}: {lanczos:?}");
            let estimate = check_estimate(&free, &dense);
            if !generic {
                assert!(estimate.upper - estimate.value <= 1e-9, "{arch}: {estimate:?}");
                assert_eq!(estimate.value.round(), rounded, "{arch}");
            }
            // The dense summary has no matrix-free part.
            assert!(
                dense.matrix_free.is_none() && !serde_json::to_string(&dense).unwrap().contains("lanczos")
            );
        }
    }

    /// A minimum: the least-squares fit of |x − ½| by Legendre polynomials of degree 13
    /// (a positive definite Hessian, the target not fitted) after one Newton step, and LM's
    /// end points of a small network on sin(2πx), each with tiny negative eigenvalues
    /// (λmin/λmax down to −2.6e-9). The matrix-free classification, category and extremes
    /// agree with the dense ones: the extremes to their residual bounds (at most
    /// 1e-10·max|λ|, which is 7e-4 of λmin at the smallest). At the minimum every quadrature
    /// node is positive, so the estimate is exactly 0.
    #[test]
    fn matrix_free_analysis_of_a_minimum_matches_the_dense_one() {
        let xs = (0..64).map(|i| i as f64 / 63.0).collect();
        let basis = LegendreBasis::new(13, one_input(xs, |x| (x - 0.5f64).abs())).unwrap();
        let control = Control { max_iter: 10, gtol: 1e-9, ..Control::default() };
        let mut newton = SolverKind::Newton.with_defaults();
        let derivs = Derivatives::new(&basis).unwrap();
        let done =
            fit(&basis, derivs, newton.as_mut(), vec![0.0; 14], &control, None, &mut |_, _| {}).unwrap();
        let (dense, free) = both(&basis, &done.outcome.last.x);
        assert_eq!(dense.curvature.inertia.as_array(), [0, 0, 14]);
        assert_eq!(free.curvature.classification, Classification::Minimum);
        assert_eq!(
            (Category::of(&dense, 1e-8), Category::of(&free, 1e-8)),
            (Category::Minimum, Category::Minimum)
        );
        assert!(close(free.curvature.min_eig, dense.curvature.min_eig, 1e-8), "{free:?}");
        assert!(close(free.curvature.max_eig, dense.curvature.max_eig, 1e-8), "{free:?}");
        let estimate = free.matrix_free.as_ref().unwrap().negative_estimate;
        assert_eq!((estimate.value, estimate.stderr), (0.0, Some(0.0)));

        let problem =
            Problem::new(ProblemKind::Regression, "1,4,1".parse().unwrap(), Activation::Tanh, sine_data(16))
                .unwrap();
        let control = Control { max_iter: 300, gtol: 1e-11, ..Control::default() };
        for seed in 0..6 {
            let mut lm = SolverKind::Lm.with_defaults();
            let theta0 = crate::study::init::glorot_normal(&problem.arch, seed);
            let derivs = Derivatives::new(&problem).unwrap();
            let done = fit(&problem, derivs, lm.as_mut(), theta0, &control, None, &mut |_, _| {}).unwrap();
            let (dense, free) = both(&problem, &done.outcome.last.x);
            let (c, f) = (&dense.curvature, &free.curvature);
            assert_eq!(f.classification, c.classification, "seed {seed}");
            assert_eq!(Category::of(&free, 1e-6), Category::of(&dense, 1e-6), "seed {seed}");
            let lanczos = free.matrix_free.as_ref().unwrap().lanczos;
            assert!(lanczos.converged, "seed {seed}: {lanczos:?}");
            assert!(lanczos.min_bound.max(lanczos.max_bound) <= 1e-10 * c.max_eig);
            // Ritz values lie inside the spectrum (to rounding, 1e-14·max|λ|), within their
            // bounds of an eigenvalue.
            let rounding = 1e-14 * c.max_eig;
            let (low, high) = (f.min_eig - c.min_eig, c.max_eig - f.max_eig);
            assert!(low >= -rounding && low <= lanczos.min_bound + rounding, "seed {seed}: {c:?} {f:?}");
            assert!(high >= -rounding && high <= lanczos.max_bound + rounding, "seed {seed}: {c:?} {f:?}");
            check_estimate(&free, &dense);
        }
    }

    /// The matrix-free analysis of a 4353-parameter network gives the same bits on one
    /// thread and on two (the Lanczos reductions run over two blocks of rows).
    #[test]
    fn matrix_free_analysis_does_not_depend_on_the_thread_count() {
        let problem = even_problem("1,64,64,1", 33);
        let theta = crate::study::init::glorot_normal(&problem.arch, 5);
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut derivs = Derivatives::new(&problem).unwrap();
                endpoint_with(&problem, &mut derivs, &theta, &forced(4000)).unwrap()
            })
        };
        let one = on(1);
        assert_eq!(one.analysis, SpectrumMethod::Lanczos);
        let free = one.matrix_free.as_ref().unwrap();
        assert!(free.lanczos.converged && free.negative_estimate.products == 800, "{free:?}");
        let json = |e: &Endpoint| serde_json::to_string(e).unwrap();
        assert_eq!(json(&one), json(&on(2)));
    }

    #[test]
    fn the_default_dense_limit_is_the_largest_hessian_within_a_gib() {
        let fits = |n: usize| saddle_solvers::DenseMatrix { what: "Hessian", rows: n, cols: n }.fits();
        let limit = AnalysisSettings::default().dense_limit;
        assert!(limit == 11585 && fits(limit) && !fits(limit + 1));
    }
}
