//! Matrix-free estimates of a symmetric operator's spectrum from products alone: the
//! converged extreme eigenvalues by thick-restart Lanczos, the trace by Hutch++, and the
//! spectral density and eigenvalue counts by stochastic Lanczos quadrature.
//!
//! The trace and the quadrature draw Rademacher probes (entries ±1) from a generator the
//! caller passes, and the extremes start from the caller's vector, so the caller's seed
//! fixes every number.

use faer::Mat;

use crate::dense::DENSE_BYTES_LIMIT;
use crate::driver::{dot, norm};
use crate::lanczos::{Extremes, Ritz, Tridiagonal, extremes_restarted, lanczos_tridiagonal};

/// A symmetric n × n operator: writes A·v to its second argument.
pub type Apply<'a> = dyn FnMut(&[f64], &mut [f64]) + 'a;

/// Fills its argument with independent Rademacher entries (±1, each with probability ½).
pub type Rademacher<'a> = dyn FnMut(&mut [f64]) + 'a;

/// The matrix-free extreme eigenvalues are converged when each residual bound is at most
/// this times max|θ| (the spectral norm's estimate).
pub const EXTREMES_TOLERANCE: f64 = 1e-10;

/// At most this many products (Lanczos steps, restarts included) for the extreme
/// eigenvalues.
pub const EXTREMES_MAX_PRODUCTS: usize = 500;

/// The thick-restart Lanczos basis for the extreme eigenvalues holds this many vectors
/// (or 2K + 10 for K wanted values, if more), fewer when it and the kept Ritz vectors
/// would pass [`DENSE_BYTES_LIMIT`]. At a million parameters 30 and 50 vectors cost the
/// same time (243 and 218 products for the top 5), 30 the less memory.
pub const EXTREMES_BASIS: usize = 30;

/// The basis size of [`converged_extremes`] for `wanted` values of an n × n operator:
/// [`EXTREMES_BASIS`] or 2·`wanted` + 10, capped so that a restart (the basis and at
/// most the wanted plus half the others) stays within [`DENSE_BYTES_LIMIT`].
pub fn extremes_basis(n: usize, wanted: usize) -> usize {
    let vectors = DENSE_BYTES_LIMIT / 8 / n.max(1);
    EXTREMES_BASIS.max(2 * wanted + 10).min((2 * vectors).saturating_sub(wanted) / 3)
}

/// The `top` largest and `bottom` smallest eigenvalues of the symmetric operator `apply`
/// by thick-restart Lanczos from `start` ([`extremes_restarted`]): each converged to a
/// residual bound of [`EXTREMES_TOLERANCE`]·max|θ|, on a basis of
/// [`extremes_basis`] vectors, within [`EXTREMES_MAX_PRODUCTS`] products (`converged`
/// says whether they were enough). What `saddle spectrum --method lanczos` and `fit`'s
/// matrix-free end-point analysis compute.
pub fn converged_extremes(apply: &mut Apply<'_>, start: &[f64], top: usize, bottom: usize) -> Extremes {
    let basis = extremes_basis(start.len(), top + bottom);
    extremes_restarted(apply, start, top, bottom, EXTREMES_TOLERANCE, basis, EXTREMES_MAX_PRODUCTS)
}

/// An estimate of a trace with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct TraceEstimate {
    /// The estimate of tr(A).
    pub estimate: f64,
    /// Its standard error (0 when exact, `None` with a single probe).
    pub stderr: Option<f64>,
    /// Products with A computed.
    pub products: usize,
}

/// Hutch++ (Meyer, Musco, Musco and Woodruff 2021): with S of `probes` Rademacher
/// columns, Q an orthonormal basis of A·S, tr(A) = tr(QᵀAQ) + tr((I−QQᵀ)A(I−QQᵀ)), the
/// first exactly and the second by Hutchinson's estimator on `probes` more Rademacher
/// vectors projected off Q. At most 3·`probes` products. The standard error is the
/// Hutchinson samples' standard deviation over √probes (the sketch part has none, given
/// Q); when Q spans everything (probes ≥ n and A nonsingular) the estimate is exact.
pub fn hutch_pp(
    n: usize,
    apply: &mut Apply<'_>,
    probes: usize,
    rademacher: &mut Rademacher<'_>,
) -> TraceEstimate {
    let mut products = 0;
    let mut product = |v: &[f64]| {
        let mut out = vec![0.0; n];
        apply(v, &mut out);
        products += 1;
        out
    };
    let mut q: Vec<Vec<f64>> = Vec::new();
    for _ in 0..probes {
        let mut s = vec![0.0; n];
        rademacher(&mut s);
        let y = product(&s);
        push_orthonormal(&mut q, y);
    }
    let sketched: f64 = q.iter().map(|qi| dot(qi, &product(qi))).sum();
    let samples: Vec<f64> = (0..probes)
        .map(|_| {
            let mut g = vec![0.0; n];
            rademacher(&mut g);
            project_off(&q, &mut g);
            project_off(&q, &mut g);
            dot(&g, &product(&g))
        })
        .collect();
    let (mean, stderr) = mean_and_stderr(&samples);
    TraceEstimate { estimate: sketched + mean, stderr, products }
}

/// Appends `y` to the orthonormal `basis` after two Gram-Schmidt passes, unless it is
/// (to 1e-12 relative) in the basis's span already.
fn push_orthonormal(basis: &mut Vec<Vec<f64>>, mut y: Vec<f64>) {
    let before = norm(&y);
    project_off(basis, &mut y);
    project_off(basis, &mut y);
    let after = norm(&y);
    if after.is_finite() && after > 1e-12 * before {
        y.iter_mut().for_each(|v| *v /= after);
        basis.push(y);
    }
}

/// v ← v − Σ ⟨qⱼ, v⟩ qⱼ.
fn project_off(basis: &[Vec<f64>], v: &mut [f64]) {
    let coefficients: Vec<f64> = basis.iter().map(|q| dot(q, v)).collect();
    for (q, a) in basis.iter().zip(coefficients) {
        v.iter_mut().zip(q).for_each(|(v, q)| *v -= a * q);
    }
}

/// The mean of `samples` and its standard error s/√M (`None` for fewer than two).
fn mean_and_stderr(samples: &[f64]) -> (f64, Option<f64>) {
    let m = samples.len();
    if m == 0 {
        return (0.0, None);
    }
    let mean = samples.iter().sum::<f64>() / m as f64;
    if m < 2 {
        return (mean, None);
    }
    let var = samples.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / (m - 1) as f64;
    (mean, Some((var / m as f64).sqrt()))
}

/// Stochastic Lanczos quadrature (Ubaru, Chen and Saad 2017): for each Rademacher probe
/// z, `steps` Lanczos steps from z give the Gauss quadrature (nodes θⱼ, weights τⱼ) of
/// z's spectral measure, Σⱼ τⱼ f(θⱼ) ≈ zᵀf(A)z/‖z‖² = zᵀf(A)z/n, exact for polynomials
/// of degree below 2·steps. Averaged over probes it estimates (1/n) Σᵢ f(λᵢ): the
/// spectral density, its moments, the fraction of negative eigenvalues.
#[derive(Clone, Debug, PartialEq)]
pub struct Slq {
    /// n.
    pub dim: usize,
    /// One quadrature per probe (its Ritz values and weights).
    pub probes: Vec<Ritz>,
    /// Each probe's Lanczos tridiagonal, for [`Slq::count_below`].
    pub tridiagonals: Vec<Tridiagonal>,
}

/// A bracket on the count of eigenvalues below a point from [`Slq::count_below`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct CountBracket {
    /// n times the probes' mean Gauss-Radau mass strictly below the point.
    pub lower: f64,
    /// n times the probes' mean mass at or below it.
    pub upper: f64,
    /// The standard error of `lower` over the probes.
    pub lower_stderr: Option<f64>,
    /// The standard error of `upper`.
    pub upper_stderr: Option<f64>,
}

/// Runs [`Slq`] with `probes` probes of at most `steps` Lanczos steps each.
pub fn slq(
    n: usize,
    apply: &mut Apply<'_>,
    probes: usize,
    steps: usize,
    rademacher: &mut Rademacher<'_>,
) -> Slq {
    let (probes, tridiagonals) = (0..probes)
        .map(|_| {
            let mut z = vec![0.0; n];
            rademacher(&mut z);
            lanczos_tridiagonal(apply, &z, steps, &mut |_| false)
        })
        .unzip();
    Slq { dim: n, probes, tridiagonals }
}

impl Slq {
    /// Products with A computed.
    pub fn products(&self) -> usize {
        self.probes.iter().map(|r| r.steps).sum()
    }

    /// The estimate of (1/n) Σᵢ f(λᵢ) and its standard error over the probes.
    pub fn average(&self, f: impl Fn(f64) -> f64) -> (f64, Option<f64>) {
        let samples: Vec<f64> = self
            .probes
            .iter()
            .map(|r| r.values.iter().zip(&r.weights).map(|(&t, w)| w * f(t)).sum())
            .collect();
        mean_and_stderr(&samples)
    }

    /// The bracket of [`Slq::count_below`] on the count of eigenvalues below
    /// −`rel_tol`·max|θ| (θ over every probe's nodes).
    pub fn negative_bracket(&self, rel_tol: f64) -> CountBracket {
        self.count_below(-rel_tol * self.scale())
    }

    /// A bracket on the count of eigenvalues below `x`, robust where Gauss quadrature's
    /// count is not: a cluster of eigenvalues it cannot resolve from `x` (the zero
    /// eigenvalues of a rank-deficient Hessian next to x = −1e-10·max|λ|) puts a node on
    /// one side of `x` or the other, and its whole mass with it. For each probe z the
    /// Gauss-Radau rule with a node fixed at `x` (Golub 1973: T_k bordered by β_k and
    /// α̃ = x + β_k²·[(T_k − xI)⁻¹]_kk, exact for polynomials of degree 2k) brackets
    /// zᵀ1(A < x)z/‖z‖² by the Chebyshev-Markov-Stieltjes inequalities: the weight of its
    /// nodes below `x` is at most that, and the weight at or below `x` at least. n times
    /// the mean over the probes brackets Hutchinson's estimate of the count. The mass the
    /// node at `x` takes is what the quadrature cannot place on either side; with an
    /// invariant Krylov space it is zero and the bracket closes.
    pub fn count_below(&self, x: f64) -> CountBracket {
        let n = self.dim as f64;
        let (lower, upper): (Vec<f64>, Vec<f64>) = self
            .probes
            .iter()
            .zip(&self.tridiagonals)
            .map(|(ritz, t)| {
                let (below, at) = radau_mass(ritz, t, x);
                (n * below, n * (below + at))
            })
            .unzip();
        let (lower, lower_stderr) = mean_and_stderr(&lower);
        let (upper, upper_stderr) = mean_and_stderr(&upper);
        CountBracket { lower, upper, lower_stderr, upper_stderr }
    }

    /// The estimated spectral distribution F(λ) = (1/n)·#{i : λᵢ ≤ λ}: every probe's nodes
    /// in ascending order, each with the running sum of the weights so far over the
    /// number of probes, so F rises in steps from 0 to 1 (each probe's weights sum to 1).
    pub fn distribution(&self) -> Vec<(f64, f64)> {
        let m = self.probes.len() as f64;
        let mut nodes: Vec<(f64, f64)> = self
            .probes
            .iter()
            .flat_map(|r| r.values.iter().zip(&r.weights).map(move |(&t, &w)| (t, w / m)))
            .collect();
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut total = 0.0;
        nodes
            .into_iter()
            .map(|(t, w)| {
                total += w;
                (t, total)
            })
            .collect()
    }

    /// max|θ| over every node.
    fn scale(&self) -> f64 {
        self.probes.iter().flat_map(|r| &r.values).fold(0.0f64, |m, t| m.max(t.abs()))
    }

    /// The nodes' range [min θ, max θ] over every probe; `None` if there are none.
    fn range(&self) -> Option<(f64, f64)> {
        let nodes = self.probes.iter().flat_map(|r| &r.values);
        let (lo, hi) = nodes.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        (lo <= hi).then_some((lo, hi))
    }

    /// The smoothed density: the probes' quadratures averaged, each node a Gaussian of
    /// standard deviation σ = [`DENSITY_SIGMA`]·(max θ − min θ), sampled at
    /// [`DENSITY_POINTS`] equally spaced λ from min θ − 5σ to max θ + 5σ and scaled so
    /// that its trapezoid integral is 1. Returns σ and the (λ, density) pairs.
    pub fn density(&self) -> (f64, Vec<(f64, f64)>) {
        let nodes: Vec<(f64, f64)> =
            self.probes.iter().flat_map(|r| r.values.iter().zip(&r.weights).map(|(&t, &w)| (t, w))).collect();
        smoothed_density(&nodes, self.range())
    }
}

/// The Gauss-Radau rule of one probe with the node `x` (see [`Slq::count_below`]): its
/// mass strictly below `x` and its mass at `x`. [(T_k − xI)⁻¹]_kk = Σⱼ s_{k,j}²/(θⱼ − x) from
/// the Ritz values θⱼ and bounds β_k·|s_{k,j}|. With β_k = 0 (or a Ritz value at `x`) the
/// Gauss rule itself: mass below and mass at `x`. NaN for a probe without Ritz values.
fn radau_mass(ritz: &Ritz, t: &Tridiagonal, x: f64) -> (f64, f64) {
    let k = ritz.values.len();
    if k == 0 || t.alphas.len() != k {
        return (f64::NAN, f64::NAN);
    }
    let gauss = || {
        let mass = |keep: &dyn Fn(f64) -> bool| -> f64 {
            ritz.values.iter().zip(&ritz.weights).filter(|(v, _)| keep(**v)).map(|(_, w)| w).sum()
        };
        (mass(&|v| v < x), mass(&|v| v == x))
    };
    let beta = t.betas[k - 1];
    let shift: f64 =
        ritz.values.iter().zip(&ritz.bounds).filter(|(_, b)| **b > 0.0).map(|(v, b)| b * b / (v - x)).sum();
    if beta == 0.0 || !shift.is_finite() {
        return gauss();
    }
    let m = k + 1;
    let bordered = Mat::from_fn(m, m, |i, j| match (i, j) {
        _ if i == j && i < k => t.alphas[i],
        _ if i == j => x + shift,
        _ if i == j + 1 => t.betas[j],
        _ => 0.0,
    });
    let Some((rule, _)) = Ritz::of(bordered.as_ref(), 0.0, m, false) else {
        return (f64::NAN, f64::NAN);
    };
    // The node at x is the one nearest it (x up to rounding).
    let p = (0..m)
        .min_by(|&a, &b| (rule.values[a] - x).abs().total_cmp(&(rule.values[b] - x).abs()))
        .unwrap_or(0);
    (rule.weights[..p].iter().sum(), rule.weights[p])
}

/// The width of the density's Gaussians as a fraction of the spectrum's range.
pub const DENSITY_SIGMA: f64 = 0.002;

/// The number of λ at which the density is written.
pub const DENSITY_POINTS: usize = 2001;

/// The density of the weighted `nodes` (θ, w), each a Gaussian of width
/// [`DENSITY_SIGMA`] of `range`, sampled on [`DENSITY_POINTS`] points and scaled to
/// integrate (trapezoid rule) to 1. A single point (zero range) gets σ = 1e-3·max(1, |θ|).
pub fn smoothed_density(nodes: &[(f64, f64)], range: Option<(f64, f64)>) -> (f64, Vec<(f64, f64)>) {
    let Some((lo, hi)) = range else {
        return (0.0, Vec::new());
    };
    let sigma = if hi > lo { DENSITY_SIGMA * (hi - lo) } else { 1e-3 * hi.abs().max(1.0) };
    let (from, to) = (lo - 5.0 * sigma, hi + 5.0 * sigma);
    let h = (to - from) / (DENSITY_POINTS - 1) as f64;
    let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    let mut curve: Vec<(f64, f64)> = (0..DENSITY_POINTS)
        .map(|i| {
            let x = from + h * i as f64;
            let y = nodes
                .iter()
                .map(|&(t, w)| {
                    let z = (x - t) / sigma;
                    if z.abs() < 10.0 { w * norm * (-0.5 * z * z).exp() } else { 0.0 }
                })
                .sum::<f64>();
            (x, y)
        })
        .collect();
    let integral = trapezoid(&curve, |_, y| y);
    if integral > 0.0 {
        curve.iter_mut().for_each(|p| p.1 /= integral);
    }
    (sigma, curve)
}

/// ∫ f(λ, density(λ)) dλ by the trapezoid rule over the sampled `curve`.
pub fn trapezoid(curve: &[(f64, f64)], f: impl Fn(f64, f64) -> f64) -> f64 {
    curve.windows(2).map(|w| 0.5 * (w[1].0 - w[0].0) * (f(w[0].0, w[0].1) + f(w[1].0, w[1].1))).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::matvec;
    use crate::lanczos::SplitMix64;
    use crate::test_functions::rotated;

    /// ±1 entries from SplitMix64's top bit.
    fn rademacher(seed: u64) -> impl FnMut(&mut [f64]) {
        let mut rng = SplitMix64::new(seed);
        move |v: &mut [f64]| {
            v.iter_mut().for_each(|x| *x = if rng.next_u64() >> 63 == 0 { 1.0 } else { -1.0 })
        }
    }

    /// Eigenvalues −4..=75 with a few large outliers, in a rotated basis (n = 80).
    fn spectrum() -> Vec<f64> {
        (0..80).map(|i| if i >= 77 { 50.0 * (i - 76) as f64 } else { i as f64 / 4.0 - 4.0 }).collect()
    }

    #[test]
    fn hutch_pp_is_exact_when_the_sketch_spans_the_space_and_unbiased_otherwise() {
        let d = spectrum();
        let a = rotated(&d);
        let n = d.len();
        let exact: f64 = d.iter().sum();
        let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
        let full = hutch_pp(n, &mut apply, n, &mut rademacher(1));
        assert!((full.estimate - exact).abs() < 1e-9 * exact.abs(), "{full:?} vs {exact}");
        assert!(full.stderr.unwrap() < 1e-9, "{full:?}");
        assert!(full.products <= 3 * n);
        // With 8 probes the three outliers are in the sketch: the estimate is within
        // three standard errors, and over 40 seeds the errors scale like the stderr.
        let mut within = 0;
        for seed in 0..40 {
            let t = hutch_pp(n, &mut apply, 8, &mut rademacher(seed));
            let se = t.stderr.unwrap();
            assert!(se > 0.0);
            if (t.estimate - exact).abs() <= 3.0 * se {
                within += 1;
            }
        }
        assert!(within >= 36, "{within} of 40 within 3 standard errors");
        let one = hutch_pp(n, &mut apply, 1, &mut rademacher(3));
        assert_eq!((one.stderr, one.products), (None, 3));
    }

    #[test]
    fn slq_moments_and_negative_count() {
        let d = spectrum();
        let a = rotated(&d);
        let n = d.len();
        let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
        let s = slq(n, &mut apply, 30, 20, &mut rademacher(7));
        assert_eq!(s.products(), 30 * 20);
        for r in &s.probes {
            assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let m1 = d.iter().sum::<f64>() / n as f64;
        let m2 = d.iter().map(|l| l * l).sum::<f64>() / n as f64;
        let (e1, s1) = s.average(|t| t);
        let (e2, s2) = s.average(|t| t * t);
        assert!((e1 - m1).abs() <= 3.0 * s1.unwrap(), "{e1} ± {s1:?} vs {m1}");
        assert!((e2 - m2).abs() <= 3.0 * s2.unwrap(), "{e2} ± {s2:?} vs {m2}");
        // 16 of 80 eigenvalues are negative (−4 ..= −0.25), well apart from zero.
        let b = s.negative_bracket(1e-10);
        let se = 3.0 * b.lower_stderr.unwrap().max(b.upper_stderr.unwrap());
        assert!(b.lower - se <= 16.0 && 16.0 <= b.upper + se, "{b:?}");

        let (sigma, curve) = s.density();
        assert_eq!(curve.len(), DENSITY_POINTS);
        assert!((trapezoid(&curve, |_, y| y) - 1.0).abs() < 1e-12);
        assert!(curve.iter().all(|p| p.1 >= 0.0));
        // Its mean is the quadrature's, its second moment adds σ².
        assert!((trapezoid(&curve, |x, y| x * y) - e1).abs() < 1e-6 * m2.sqrt());
        assert!((trapezoid(&curve, |x, y| x * x * y) - (e2 + sigma * sigma)).abs() < 1e-6 * m2);
        // The same probes give the same numbers.
        assert_eq!(s, slq(n, &mut apply, 30, 20, &mut rademacher(7)));
    }

    /// A spectrum like a rank-deficient network Hessian's: 120 eigenvalues at zero (to
    /// rounding), 30 negative ones from −4 to −0.03, 6 tiny negative ones (−1e-6 … −1e-9
    /// relative), 40 positive ones up to 100; n = 196.
    fn rank_deficient() -> Vec<f64> {
        let zero = (0..120).map(|i| 1e-15 * ((i % 7) as f64 - 3.0));
        let negative = (0..30).map(|i| -4.0 * 0.85f64.powi(i));
        let tiny = (0..6).map(|i| -1e-4 * 0.25f64.powi(i));
        let positive = (0..40).map(|i| 100.0 * 0.8f64.powi(i));
        zero.chain(negative).chain(tiny).chain(positive).collect()
    }

    #[test]
    fn the_radau_bracket_holds_probe_by_probe_where_the_gauss_count_fails() {
        let d = rank_deficient();
        let n = d.len();
        let a = rotated(&d);
        let q = crate::test_functions::rotation(n);
        let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
        let x = -1e-10 * 100.0;
        let exact_count = d.iter().filter(|&&l| l < x).count();
        assert_eq!(exact_count, 36);
        let (mut lower, mut upper, mut gauss) = (0.0, 0.0, 0.0);
        for seed in 0..20 {
            let s = slq(n, &mut apply, 1, 40, &mut rademacher(seed));
            // zᵀ1(A < y)z for this probe, from the eigenvectors (the columns of q).
            let mut z = vec![0.0; n];
            rademacher(seed)(&mut z);
            let exact = |y: f64| -> f64 {
                (0..n)
                    .filter(|&k| d[k] < y)
                    .map(|k| (0..n).map(|i| q[(i, k)] * z[i]).sum::<f64>().powi(2))
                    .sum()
            };
            for y in [x, -3.0, -0.5, -0.04, -1e-6, 1e-3, 0.3, 20.0] {
                let (b, e) = (s.count_below(y), exact(y));
                assert!(b.lower <= e + 1e-9 && e <= b.upper + 1e-9, "seed {seed}, x = {y}: {b:?} vs {e}");
            }
            let b = s.count_below(x);
            lower += b.lower / 20.0;
            upper += b.upper / 20.0;
            // Gauss quadrature's count: n times the mass of the nodes below x.
            let below = s.average(|t| if t < -1e-10 * s.scale() { 1.0 } else { 0.0 }).0;
            gauss += n as f64 * below / 20.0;
        }
        // The Gauss count swings with the node nearest zero, which carries the 120 zero
        // eigenvalues' mass; the bracket's lower end misses only the tiny negative ones.
        assert!(lower > 24.0 && lower < 36.0, "{lower}");
        assert!(upper > 100.0, "{upper}");
        assert!((gauss - 36.0).abs() > 10.0, "{gauss}");
        // An invariant Krylov space closes the bracket on the exact count per probe.
        let diagonal = [-3.0, -1.0, 0.0, 2.0, 7.0];
        let mut apply = |v: &[f64], out: &mut [f64]| {
            out.iter_mut().zip(v).zip(&diagonal).for_each(|((o, v), l)| *o = l * v)
        };
        let b = slq(5, &mut apply, 3, 5, &mut rademacher(2)).count_below(-1e-10);
        assert!((b.lower - 2.0).abs() < 1e-12 && (b.upper - 2.0).abs() < 1e-12, "{b:?}");
    }

    #[test]
    fn the_distribution_of_a_diagonal_operator_counts_its_eigenvalues() {
        // On a diagonal operator zᵢ² = 1 makes every probe's quadrature of the indicator
        // exact once the Krylov space is the whole space: F(λ_k) = (k + 1)/n.
        let d = [-3.0, -1.0, 0.5, 2.0, 7.0];
        let n = d.len();
        let mut apply =
            |v: &[f64], out: &mut [f64]| out.iter_mut().zip(v).zip(&d).for_each(|((o, v), l)| *o = l * v);
        let s = slq(n, &mut apply, 4, n, &mut rademacher(3));
        let f = s.distribution();
        assert_eq!(f.len(), 4 * n);
        assert!(f.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        for (k, &l) in d.iter().enumerate() {
            let at = f.iter().filter(|p| p.0 <= l + 1e-9).map(|p| p.1).fold(0.0, f64::max);
            assert!((at - (k + 1) as f64 / n as f64).abs() < 1e-12, "F({l}) = {at}");
        }
        assert!((f.last().unwrap().1 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn density_of_one_point_and_of_nothing() {
        let (sigma, curve) = smoothed_density(&[(2.0, 1.0)], Some((2.0, 2.0)));
        assert!((sigma - 2e-3).abs() < 1e-15);
        assert!((trapezoid(&curve, |_, y| y) - 1.0).abs() < 1e-12);
        assert!((trapezoid(&curve, |x, y| x * y) - 2.0).abs() < 1e-9);
        assert_eq!(smoothed_density(&[], None).1, Vec::new());
    }
}
