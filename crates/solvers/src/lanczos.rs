//! Extreme eigenvalues of a symmetric operator known only through matrix-vector
//! products (for a Hessian: Hessian-vector products): Lanczos with full
//! reorthogonalization.
//!
//! k steps build an orthonormal basis Q_k of the Krylov space span{q, Aq, …, Aᵏ⁻¹q}
//! and the tridiagonal T_k = Q_kᵀ A Q_k; its eigenvalues (Ritz values) approximate
//! A's. **Accuracy.** T_k is a compression of A, so by Cauchy interlacing every Ritz
//! value lies in [λ_min, λ_max]: the extreme estimates approach the true extremes from
//! inside, monotonically in k, and the extremes converge first (Kaniel-Paige-Saad),
//! fast when they are well separated from the rest of the spectrum and slowly when
//! they sit in a cluster. Each Ritz value θᵢ comes with the residual bound
//! β_k·|s_{k,i}| (s the eigenvector of T_k): some eigenvalue of A lies within it.
//! With k = n steps (or an earlier breakdown, where the Krylov space is invariant)
//! the Ritz values are eigenvalues of A to rounding, O(ε‖A‖) with full
//! reorthogonalization. Lanczos sees one copy of a repeated eigenvalue, and none of
//! an eigenvector the start vector is orthogonal to (with probability zero for the
//! seeded random start). Cost: k products, O(n k²) flops and n·k stored numbers.

use faer::{Mat, MatRef, Side};
use rayon::prelude::*;

/// β ≤ `BREAKDOWN`·max‖A qⱼ‖ ends the iteration: the Krylov space is invariant to
/// working accuracy, and dropping β moves the Ritz values by at most β.
pub const BREAKDOWN: f64 = 1e-12;

/// The result of [`lanczos`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ritz {
    /// Ritz values θ₁ ≤ … ≤ θ_k; empty if a product was not finite or n = 0.
    pub values: Vec<f64>,
    /// For each θᵢ, β_k·|s_{k,i}|: some eigenvalue of A lies within this distance
    /// (up to rounding).
    pub bounds: Vec<f64>,
    /// For each θᵢ, s_{1,i}²: the weight of θᵢ in the Gauss quadrature of the start
    /// vector's spectral measure (they sum to 1).
    pub weights: Vec<f64>,
    /// k, the number of steps taken (products computed).
    pub steps: usize,
    /// Whether the iteration stopped on an invariant subspace (β ≈ 0), including
    /// after k = n steps.
    pub breakdown: bool,
}

impl Ritz {
    /// The smallest Ritz value (an upper bound on λ_min); NaN if there is none.
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(f64::NAN)
    }

    /// The largest Ritz value (a lower bound on λ_max); NaN if there is none.
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(f64::NAN)
    }

    /// The Ritz values of the projection `t` = VᵀAV (k × k, symmetric) on an orthonormal
    /// basis V whose residual has norm `beta`, ascending, with their bounds β·|s_{k,i}| and
    /// weights s_{1,i}²; also the eigenvectors s as columns in the same order. `None` if
    /// the eigendecomposition fails.
    pub(crate) fn of(
        t: MatRef<'_, f64>,
        beta: f64,
        steps: usize,
        breakdown: bool,
    ) -> Option<(Ritz, Mat<f64>)> {
        let k = t.nrows();
        let eig = t.self_adjoint_eigen(Side::Lower).ok()?;
        let (theta, u) = (eig.S().column_vector(), eig.U());
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| theta[a].total_cmp(&theta[b]));
        let s = Mat::from_fn(k, k, |r, c| u[(r, order[c])]);
        let ritz = Ritz {
            values: order.iter().map(|&i| theta[i]).collect(),
            bounds: (0..k).map(|i| beta * s[(k - 1, i)].abs()).collect(),
            weights: (0..k).map(|i| s[(0, i)] * s[(0, i)]).collect(),
            steps,
            breakdown,
        };
        Some((ritz, s))
    }

    /// No Ritz values: what a non-finite product or n = 0 gives.
    fn empty(steps: usize) -> Ritz {
        Ritz { values: Vec::new(), bounds: Vec::new(), weights: Vec::new(), steps, breakdown: false }
    }

    /// Whether the `top` largest and `bottom` smallest Ritz values have bounds at most
    /// `tol`·max|θ| (all of them when there are fewer).
    pub fn converged(&self, top: usize, bottom: usize, tol: f64) -> bool {
        let k = self.values.len();
        let scale = self.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let ok = |i: usize| self.bounds[i] <= tol * scale;
        k > 0 && (0..bottom.min(k)).all(ok) && (k.saturating_sub(top)..k).all(ok)
    }
}

/// Estimates (λ_min, λ_max) of the symmetric n × n operator `apply` (which writes
/// A·v to its second argument) with [`lanczos`]; NaN if n = 0 or a product is not
/// finite.
pub fn extreme_eigenvalues(
    n: usize,
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    steps: usize,
    seed: u64,
) -> (f64, f64) {
    let ritz = lanczos(n, apply, steps, seed);
    (ritz.min(), ritz.max())
}

/// Runs min(max(`steps`, 1), n) Lanczos steps on the symmetric operator `apply`,
/// starting from the unit vector of n uniform numbers in [−1, 1) drawn by
/// [`SplitMix64`] from `seed` (see [`lanczos_from`]).
pub fn lanczos(n: usize, apply: &mut dyn FnMut(&[f64], &mut [f64]), steps: usize, seed: u64) -> Ritz {
    let mut rng = SplitMix64::new(seed);
    let start: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    lanczos_from(apply, &start, steps, &mut |_| false)
}

/// Lanczos from the direction `start` (any nonzero vector of length n): at most
/// min(max(`max_steps`, 1), n) steps, reorthogonalizing every new vector against all
/// previous ones (classical Gram-Schmidt, a second pass when needed), and stopping early
/// on breakdown or when `done`, shown the Ritz values every [`CHECK_EVERY`] steps, returns
/// true. The Gram-Schmidt coefficients are summed over fixed blocks in a fixed order, so
/// the result does not depend on the thread count.
pub fn lanczos_from(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    start: &[f64],
    max_steps: usize,
    done: &mut dyn FnMut(&Ritz) -> bool,
) -> Ritz {
    lanczos_tridiagonal(apply, start, max_steps, done).0
}

/// The tridiagonal T_k = Q_kᵀ A Q_k of a Lanczos run: A Q_k = Q_k T_k + β_k q_{k+1} e_kᵀ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tridiagonal {
    /// The diagonal α₁, …, α_k.
    pub alphas: Vec<f64>,
    /// The off-diagonal β₁, …, β_{k−1}, then β_k, the norm of the last residual (zero, or
    /// negligible, on breakdown).
    pub betas: Vec<f64>,
}

/// [`lanczos_from`], also returning the tridiagonal (empty when the Ritz values are).
pub fn lanczos_tridiagonal(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    start: &[f64],
    max_steps: usize,
    done: &mut dyn FnMut(&Ritz) -> bool,
) -> (Ritz, Tridiagonal) {
    let n = start.len();
    let start_norm = norm(start);
    let empty = |steps| (Ritz::empty(steps), Tridiagonal::default());
    if n == 0 || !(start_norm.is_finite() && start_norm > 0.0) {
        return empty(0);
    }
    let steps = max_steps.clamp(1, n);
    let mut q: Vec<f64> = start.iter().map(|v| v / start_norm).collect();
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let (mut alphas, mut betas): (Vec<f64>, Vec<f64>) =
        (Vec::with_capacity(steps), Vec::with_capacity(steps));
    let mut w = vec![0.0; n];
    let mut scale = 0.0f64;
    loop {
        let (alpha, beta, aq_norm) = expand(apply, &mut basis, q, &mut w);
        scale = scale.max(aq_norm);
        alphas.push(alpha);
        betas.push(beta);
        if !(alpha.is_finite() && beta.is_finite()) {
            return empty(basis.len());
        }
        let breakdown = beta <= BREAKDOWN * scale;
        let k = basis.len();
        let finished = if breakdown || k == steps {
            Some(ritz(&alphas, &betas, breakdown))
        } else if k.is_multiple_of(CHECK_EVERY) {
            ritz(&alphas, &betas, false).filter(|r| done(r)).map(Some)
        } else {
            None
        };
        if let Some(r) = finished {
            return match r {
                Some(r) => (r, Tridiagonal { alphas, betas }),
                None => empty(k),
            };
        }
        q = w.iter().map(|v| v / beta).collect();
    }
}

/// One Lanczos step: w ← A·q, q joins the `basis`, and w is reorthogonalized against
/// it (which removes αq + βq_prev and any drift). Returns α = ⟨q, Aq⟩, β = ‖w‖ and ‖Aq‖.
fn expand(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    basis: &mut Vec<Vec<f64>>,
    q: Vec<f64>,
    w: &mut [f64],
) -> (f64, f64, f64) {
    apply(&q, w);
    let aq_norm = norm(w);
    let alpha = dot(&q, w);
    basis.push(q);
    orthogonalize(basis, w);
    (alpha, norm(w), aq_norm)
}

/// Steps between convergence checks of [`lanczos_from`] (each an eigendecomposition of
/// the k × k tridiagonal).
pub const CHECK_EVERY: usize = 5;

/// w ← w − Σⱼ ⟨qⱼ, w⟩ qⱼ over the orthonormal `basis` by classical Gram-Schmidt, with a
/// second pass only when the first removed most of w (its norm fell below 1/√2 of what
/// it was), where one pass can leave w far from orthogonal: "twice is enough" (Daniel,
/// Gragg, Kaufman and Stewart 1976), the test ARPACK applies with 0.717.
fn orthogonalize(basis: &[Vec<f64>], w: &mut [f64]) {
    let before = norm(w);
    gram_schmidt_pass(basis, w);
    if norm(w) < std::f64::consts::FRAC_1_SQRT_2 * before {
        gram_schmidt_pass(basis, w);
    }
}

/// One classical Gram-Schmidt pass, a block of rows at a time in parallel: each block's
/// coefficients ⟨qⱼ, w⟩ while the block of w stays in cache, summed over the blocks in
/// order (the same bits on any thread count), then the update.
fn gram_schmidt_pass(basis: &[Vec<f64>], w: &mut [f64]) {
    const CHUNK: usize = 1 << 12;
    let partials: Vec<Vec<f64>> = w
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, part)| {
            let offset = c * CHUNK;
            basis.iter().map(|q| dot(&q[offset..offset + part.len()], part)).collect()
        })
        .collect();
    let mut coefficients = vec![0.0; basis.len()];
    for block in &partials {
        coefficients.iter_mut().zip(block).for_each(|(a, p)| *a += p);
    }
    w.par_chunks_mut(CHUNK).enumerate().for_each(|(c, part)| {
        let offset = c * CHUNK;
        for (q, &a) in basis.iter().zip(&coefficients) {
            axpy(-a, &q[offset..offset + part.len()], part);
        }
    });
}

/// The Ritz values, bounds and weights of the tridiagonal with diagonal `alphas` and
/// off-diagonal `betas` (whose last entry is β_k, the residual norm).
fn ritz(alphas: &[f64], betas: &[f64], breakdown: bool) -> Option<Ritz> {
    let k = alphas.len();
    let t = Mat::from_fn(k, k, |i, j| {
        if i == j {
            alphas[i]
        } else if i == j + 1 {
            betas[j]
        } else {
            0.0
        }
    });
    Ritz::of(t.as_ref(), betas[k - 1], k, breakdown).map(|(ritz, _)| ritz)
}

/// The `top` largest and `bottom` smallest eigenvalues of a symmetric operator by
/// Lanczos with full reorthogonalization, with their residual bounds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Extremes {
    /// The largest Ritz values, descending.
    pub top: Vec<f64>,
    /// Their residual bounds (some eigenvalue lies within each).
    pub top_bounds: Vec<f64>,
    /// The smallest Ritz values, ascending.
    pub bottom: Vec<f64>,
    /// Their residual bounds.
    pub bottom_bounds: Vec<f64>,
    /// Products computed.
    pub steps: usize,
    /// Whether every bound is at most the tolerance times max|θ| (or the Krylov space
    /// became invariant, where the Ritz values are eigenvalues to rounding).
    pub converged: bool,
}

/// The `top` largest and `bottom` smallest eigenvalues of the symmetric operator
/// `apply`, by Lanczos from `start` until each has a residual bound of at most
/// `tol`·max|θ| or `max_steps` products are spent: [`extremes_restarted`] with a basis
/// of `max_steps` vectors, so never restarted. Lanczos sees one copy of a repeated
/// eigenvalue, so on an invariant Krylov space there may be fewer values than asked.
pub fn extremes(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    start: &[f64],
    top: usize,
    bottom: usize,
    tol: f64,
    max_steps: usize,
) -> Extremes {
    extremes_restarted(apply, start, top, bottom, tol, max_steps, max_steps)
}

/// The `top` largest and `bottom` smallest eigenvalues of the symmetric operator
/// `apply` by thick-restart Lanczos (Wu & Simon, *SIAM J. Matrix Anal. Appl.* 22,
/// 2000): Lanczos from `start` with full reorthogonalization on a basis of at most
/// `basis` vectors (at least `top + bottom + 2`, at most n); when the basis is full
/// and a wanted Ritz value has not converged, it restarts from the wanted Ritz
/// vectors, half the other Ritz vectors (those nearest the wanted ends) and the last
/// Lanczos vector, and goes on. With Ritz vectors Y the relation
/// A V = V T + r eₘᵀ keeps holding, T now an arrowhead (diag(θ) coupled to the next
/// vector by β·Yₘ) followed by the tridiagonal, so the residual bounds stay
/// β·|sₘ,ᵢ|. Stops when every wanted bound is at most `tol`·max|θ`|, on breakdown,
/// or after `max_products` products; memory is `basis` plus the kept vectors.
pub fn extremes_restarted(
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
    start: &[f64],
    top: usize,
    bottom: usize,
    tol: f64,
    basis: usize,
    max_products: usize,
) -> Extremes {
    let n = start.len();
    let start_norm = norm(start);
    let empty = |steps| Extremes {
        top: Vec::new(),
        top_bounds: Vec::new(),
        bottom: Vec::new(),
        bottom_bounds: Vec::new(),
        steps,
        converged: false,
    };
    if n == 0 || !(start_norm.is_finite() && start_norm > 0.0) {
        return empty(0);
    }
    let m = basis.max(top + bottom + 2).clamp(1, n);
    let max_products = max_products.max(1);
    let mut q: Vec<f64> = start.iter().map(|v| v / start_norm).collect();
    let mut vectors: Vec<Vec<f64>> = Vec::with_capacity(m);
    // T = Vᵀ A V on the current basis; the leading j × j block is in use.
    let mut t = Mat::<f64>::zeros(m, m);
    let mut w = vec![0.0; n];
    let (mut products, mut scale) = (0usize, 0.0f64);
    loop {
        let (alpha, beta, aq_norm) = expand(apply, &mut vectors, q, &mut w);
        products += 1;
        scale = scale.max(aq_norm);
        let j = vectors.len();
        t[(j - 1, j - 1)] = alpha;
        if !(alpha.is_finite() && beta.is_finite()) {
            return empty(products);
        }
        let breakdown = beta <= BREAKDOWN * scale || j == n;
        let Some((ritz, y)) = Ritz::of(t.as_ref().submatrix(0, 0, j, j), beta, products, breakdown) else {
            return empty(products);
        };
        let converged = ritz.converged(top, bottom, tol);
        if ritz.breakdown || converged || products == max_products {
            let high = j.saturating_sub(top)..j;
            return Extremes {
                top: ritz.values[high.clone()].iter().rev().copied().collect(),
                top_bounds: ritz.bounds[high].iter().rev().copied().collect(),
                bottom: ritz.values[..bottom.min(j)].to_vec(),
                bottom_bounds: ritz.bounds[..bottom.min(j)].to_vec(),
                steps: products,
                converged: ritz.breakdown || converged,
            };
        }
        if j == m {
            // Keep the wanted Ritz vectors and, of the rest, half: split between the
            // ends that are asked for, each taking the ones next to its wanted values.
            let spare = m.saturating_sub(top + bottom) / 2;
            let (extra_bottom, extra_top) = match (bottom > 0, top > 0) {
                (true, true) => (spare / 2, spare - spare / 2),
                (true, false) => (spare, 0),
                _ => (0, spare),
            };
            let low = bottom + extra_bottom;
            let kept: Vec<usize> = (0..low).chain(j - (top + extra_top).min(j - low)..j).collect();
            vectors = ritz_vectors(&vectors, y.as_ref(), &kept);
            t.fill(0.0);
            let l = kept.len();
            for (i, &k) in kept.iter().enumerate() {
                t[(i, i)] = ritz.values[k];
                t[(l, i)] = beta * y[(j - 1, k)];
                t[(i, l)] = t[(l, i)];
            }
        } else {
            t[(j, j - 1)] = beta;
            t[(j - 1, j)] = beta;
        }
        q = w.iter().map(|v| v / beta).collect();
    }
}

/// The Ritz vectors V·yₖ for the columns `kept` of `y`, computed a block of rows at a
/// time in parallel (each entry a fixed-order sum, whatever the thread count).
fn ritz_vectors(vectors: &[Vec<f64>], y: MatRef<'_, f64>, kept: &[usize]) -> Vec<Vec<f64>> {
    const ROWS: usize = 1 << 10;
    let n = vectors[0].len();
    let mut out = vec![vec![0.0; n]; kept.len()];
    let mut blocks: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(ROWS)).map(|_| Vec::new()).collect();
    for u in &mut out {
        for (b, part) in u.chunks_mut(ROWS).enumerate() {
            blocks[b].push(part);
        }
    }
    blocks.into_par_iter().enumerate().for_each(|(b, mut parts)| {
        let offset = b * ROWS;
        for (part, &k) in parts.iter_mut().zip(kept) {
            for (v, i) in vectors.iter().zip(0..) {
                axpy(y[(i, k)], &v[offset..offset + part.len()], part);
            }
        }
    });
    out
}

/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit state advanced by the golden
/// gamma 0x9E3779B97F4A7C15 and mixed by two xor-shift-multiplies; each output's top
/// 53 bits give a uniform double. Enough for a start vector; not for statistics.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [−1, 1), on the grid 2⁻⁵².
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0
    }
}

/// ⟨a, b⟩ summed in eight interleaved partial sums, added in a fixed tree: the same
/// bits everywhere, and vectorized (one running sum waits for each addition in turn).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let (xs, ys) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = xs.remainder().iter().zip(ys.remainder()).map(|(x, y)| x * y).sum();
    let mut acc = [0.0; LANES];
    for (x, y) in xs.zip(ys) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// y ← y + a·x.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// diag(1, 2, …, 50, −3).
    fn spectrum() -> Vec<f64> {
        (1..=50).map(f64::from).chain([-3.0]).collect()
    }

    fn diagonal(d: &[f64]) -> impl FnMut(&[f64], &mut [f64]) + '_ {
        move |v, out| out.iter_mut().zip(v).zip(d).for_each(|((o, v), d)| *o = d * v)
    }

    #[test]
    fn full_run_recovers_the_extremes() {
        let d = spectrum();
        let ritz = lanczos(d.len(), &mut diagonal(&d), d.len(), 7);
        assert!((ritz.min() + 3.0).abs() < 1e-8, "{}", ritz.min());
        assert!((ritz.max() - 50.0).abs() < 1e-8, "{}", ritz.max());
        assert_eq!(ritz.steps, 51);
        // Every Ritz value is an eigenvalue: the spectrum is simple and fully explored.
        let mut sorted = d.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(ritz.values.iter().zip(&sorted).all(|(t, l)| (t - l).abs() < 1e-8));
        assert_eq!(extreme_eigenvalues(d.len(), &mut diagonal(&d), d.len(), 7), (ritz.min(), ritz.max()));
    }

    #[test]
    fn fewer_steps_stay_inside_and_improve_monotonically() {
        let d = spectrum();
        let (mut last_min, mut last_max) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in 1..=d.len() {
            let ritz = lanczos(d.len(), &mut diagonal(&d), k, 11);
            let (lo, hi) = (ritz.min(), ritz.max());
            assert!(-3.0 - 1e-12 <= lo && hi <= 50.0 + 1e-12, "k = {k}: [{lo}, {hi}]");
            // Interlacing: T_k's extremes move outward as k grows.
            assert!(lo <= last_min + 1e-12 && hi >= last_max - 1e-12, "k = {k}");
            // Each Ritz value has an eigenvalue within its residual bound.
            for (t, b) in ritz.values.iter().zip(&ritz.bounds) {
                let gap = d.iter().map(|l| (l - t).abs()).fold(f64::INFINITY, f64::min);
                assert!(gap <= b + 1e-10, "k = {k}: θ = {t}, bound {b}, gap {gap}");
            }
            (last_min, last_max) = (lo, hi);
        }
        // With 10 steps the isolated −3 is already close; 50 sits among neighbours 1 apart.
        let ritz = lanczos(d.len(), &mut diagonal(&d), 10, 11);
        assert!(ritz.min() < -2.0 && ritz.max() > 45.0, "[{}, {}]", ritz.min(), ritz.max());
    }

    #[test]
    fn breakdown_on_an_invariant_subspace() {
        // Three distinct eigenvalues: the Krylov space has dimension 3.
        let d = [1.0, 5.0, 1.0, 9.0, 5.0, 9.0, 1.0, 9.0];
        let ritz = lanczos(d.len(), &mut diagonal(&d), 8, 3);
        assert!(ritz.breakdown);
        assert_eq!(ritz.steps, 3);
        assert!(
            ritz.values.iter().zip([1.0, 5.0, 9.0]).all(|(t, l)| (t - l).abs() < 1e-12),
            "{:?}",
            ritz.values
        );
        // A multiple of the identity breaks down at once.
        let ritz = lanczos(
            4,
            &mut |v: &[f64], out: &mut [f64]| out.iter_mut().zip(v).for_each(|(o, v)| *o = 2.0 * v),
            4,
            0,
        );
        assert_eq!((ritz.steps, ritz.breakdown), (1, true));
        assert!((ritz.min() - 2.0).abs() < 1e-15);
    }

    #[test]
    fn dense_symmetric_matrix_matches_the_dense_eigensolver() {
        let n = 30;
        let mut rng = SplitMix64::new(42);
        let mut a = Mat::<f64>::zeros(n, n);
        for j in 0..n {
            for i in j..n {
                let v = rng.uniform();
                a[(i, j)] = v;
                a[(j, i)] = v;
            }
        }
        let exact = a.as_ref().self_adjoint_eigenvalues(Side::Lower).unwrap();
        let mut apply = |v: &[f64], out: &mut [f64]| {
            for (i, o) in out.iter_mut().enumerate() {
                *o = (0..n).map(|j| a[(i, j)] * v[j]).sum();
            }
        };
        let (lo, hi) = extreme_eigenvalues(n, &mut apply, n, 1);
        assert!((lo - exact[0]).abs() < 1e-8 && (hi - exact[n - 1]).abs() < 1e-8, "{lo} {hi} vs {exact:?}");
    }

    #[test]
    fn deterministic_per_seed_and_degenerate_inputs() {
        let d = spectrum();
        let a = lanczos(d.len(), &mut diagonal(&d), 12, 5);
        assert_eq!(a, lanczos(d.len(), &mut diagonal(&d), 12, 5));
        assert_ne!(a.values, lanczos(d.len(), &mut diagonal(&d), 12, 6).values);
        // steps = 0 takes one step: the Rayleigh quotient of the start vector.
        assert_eq!(lanczos(d.len(), &mut diagonal(&d), 0, 5).steps, 1);
        let (lo, hi) = extreme_eigenvalues(0, &mut |_: &[f64], _: &mut [f64]| {}, 5, 0);
        assert!(lo.is_nan() && hi.is_nan());
        let nan = lanczos(3, &mut |_: &[f64], out: &mut [f64]| out.fill(f64::NAN), 3, 0);
        assert!(nan.min().is_nan() && nan.values.is_empty());
        // The generator's first outputs for seed 0 (reference values of SplitMix64).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn extremes_converge_for_k_values_not_only_the_first() {
        // A rotated 120 × 120 matrix: eigenvalues 1..=100 (gap 1, a slow cluster for
        // Lanczos), four separated large ones and three negative ones.
        let d: Vec<f64> =
            (1..=100).map(f64::from).chain([150.0, 200.0, 260.0, 330.0, -2.0, -7.0, -20.0]).collect();
        let a = crate::test_functions::rotated(&d);
        let n = d.len();
        let mut sorted = d.clone();
        sorted.sort_by(f64::total_cmp);
        let mut apply =
            |v: &[f64], out: &mut [f64]| out.copy_from_slice(&crate::dense::matvec(a.as_ref(), v));
        let start: Vec<f64> = {
            let mut rng = SplitMix64::new(9);
            (0..n).map(|_| rng.uniform()).collect()
        };
        let e = extremes(&mut apply, &start, 6, 5, 1e-12, n);
        assert!(e.converged, "{e:?}");
        assert!(e.steps < n, "stopped at convergence, {} steps", e.steps);
        let top: Vec<f64> = sorted.iter().rev().take(6).copied().collect();
        let bottom: Vec<f64> = sorted.iter().take(5).copied().collect();
        for (got, want) in e.top.iter().zip(&top).chain(e.bottom.iter().zip(&bottom)) {
            assert!((got - want).abs() <= 1e-8 * want.abs(), "{got} vs {want}");
        }
        assert_eq!((e.top.len(), e.bottom.len()), (6, 5));
        assert!(e.top_bounds.iter().chain(&e.bottom_bounds).all(|b| *b <= 1e-12 * 330.0));
        // Too few steps: not converged, and said so.
        let rough = extremes(&mut apply, &start, 6, 5, 1e-12, 12);
        assert!(!rough.converged && rough.steps == 12, "{rough:?}");
        // The result does not depend on the thread count.
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let on = |pool: &rayon::ThreadPool| {
            pool.install(|| {
                extremes(
                    &mut |v: &[f64], out: &mut [f64]| {
                        out.copy_from_slice(&crate::dense::matvec(a.as_ref(), v))
                    },
                    &start,
                    6,
                    5,
                    1e-12,
                    n,
                )
            })
        };
        assert_eq!(on(&one), on(&two));
    }
    #[test]
    fn thick_restarts_converge_k_clustered_extremes_on_a_small_basis() {
        // A rotated 300 × 300 matrix: a bulk 0.35, 0.7, …, 98 (gap 0.35), five large
        // eigenvalues 0.2 apart and three small ones 0.1 apart, each cluster close
        // compared with its distance to the bulk, so a basis of 24 vectors does not hold
        // them converged in one sweep.
        let top_five = [101.0, 100.8, 100.6, 100.4, 100.2];
        let bottom_three = [-5.0, -4.9, -4.8];
        let d: Vec<f64> =
            (1..=292).map(|k| 0.35 * f64::from(k) - 4.0).chain(top_five).chain(bottom_three).collect();
        let a = crate::test_functions::rotated(&d);
        let n = d.len();
        let exact = a.as_ref().self_adjoint_eigenvalues(Side::Lower).unwrap();
        let mut apply =
            |v: &[f64], out: &mut [f64]| out.copy_from_slice(&crate::dense::matvec(a.as_ref(), v));
        let start: Vec<f64> = {
            let mut rng = SplitMix64::new(4);
            (0..n).map(|_| rng.uniform()).collect()
        };
        let (basis, budget, tol) = (24, 2000, 1e-10);
        let e = extremes_restarted(&mut apply, &start, 5, 3, tol, basis, budget);
        assert!(e.converged && e.steps > 2 * basis && e.steps < budget, "{e:?}");
        for (k, (got, bound)) in e.top.iter().zip(&e.top_bounds).enumerate() {
            let want = exact[n - 1 - k];
            assert!((got - want).abs() <= 1e-8 * want.abs(), "top {k}: {got} vs {want}");
            assert!(*bound <= tol * 101.0, "top {k}: bound {bound}");
        }
        for (k, (got, bound)) in e.bottom.iter().zip(&e.bottom_bounds).enumerate() {
            let want = exact[k];
            assert!((got - want).abs() <= 1e-8 * want.abs(), "bottom {k}: {got} vs {want}");
            assert!(*bound <= tol * 101.0, "bottom {k}: bound {bound}");
        }
        // Without restarts, the same 24 vectors leave them unconverged.
        let plain = extremes(&mut apply, &start, 5, 3, tol, basis);
        assert!(!plain.converged && plain.steps == basis, "{plain:?}");
        // The result does not depend on the thread count.
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                extremes_restarted(
                    &mut |v: &[f64], out: &mut [f64]| {
                        out.copy_from_slice(&crate::dense::matvec(a.as_ref(), v))
                    },
                    &start,
                    5,
                    3,
                    tol,
                    basis,
                    budget,
                )
            })
        };
        assert_eq!(on(1), e);
        assert_eq!(on(2), e);
    }
}
