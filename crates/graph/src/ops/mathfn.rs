//! Elementary functions without library calls, so that the activation kernels' loops
//! vectorize: branch-free bodies of range reductions, polynomials, selects,
//! exponent-bit arithmetic and explicit fused multiply-adds (`f64::mul_add`: one rounding
//! on every target, an instruction where the CPU has FMA, which
//! [`super::elementwise::wide`] enables, else a correctly rounded libm call; so the
//! results are the same bits everywhere).
//!
//! The polynomial coefficients of the sine, cosine and log1p cores are fdlibm's
//! (`k_sin.c`, `k_cos.c`, `s_log1p.c`), the expm1 core's a minimax fit (see
//! [`expm1_reduced`]); the primitives built on these helpers (`tanh`, `sin`, `cos`,
//! `sigmoid`, `softplus`, `exp`) test their accuracy against the standard library in
//! their own files.

/// 1.5·2⁵²: `y + ROUND` rounds y to an integer k (|k| < 2⁵¹) held in the low bits of
/// the result, and `(y + ROUND) − ROUND` is k as a float.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// ln 2 to 32 bits (fdlibm's ln2_hi): k·LN2_HI is exact for |k| < 2²¹.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 − LN2_HI (fdlibm's ln2_lo).
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// ln 2 − `LN_2` (ln 2 rounded to a double), rounded to a double.
const LN2_TAIL: f64 = f64::from_bits(0x3c7a_bc9e_3b39_803f); // 2.3190468138462996e-17

/// `y = k·ln 2 + r` with k the integer nearest to y·log₂e and |r| ≤ ln2/2 (up to
/// rounding): returns (`k + ROUND`, r). Valid for |y| < 2²⁰; [`pow2`] turns the first
/// value into 2ᵏ.
///
/// y − k·`LN_2` as one fused multiply-add is exact (k·`LN_2` is a multiple of 2⁻⁵³, y one
/// of 2⁻⁵⁴ when k ≠ 0, and their difference is below 1/2); with `tail`, subtracting
/// k·`LN2_TAIL` rounds once: r within half an ulp. Without it, r is off by up to
/// |k|·2.32·10⁻¹⁷ (and eʳ by as much relatively), which only small |k| can afford.
#[inline(always)]
pub(crate) fn reduce_ln2(y: f64, tail: bool) -> (f64, f64) {
    let shifted = y.mul_add(std::f64::consts::LOG2_E, ROUND);
    let k = shifted - ROUND;
    let r = k.mul_add(-std::f64::consts::LN_2, y);
    (shifted, if tail { k.mul_add(-LN2_TAIL, r) } else { r })
}

/// expm1(r) for |r| ≤ ln2/2 as r + r²·Q(r), with Q of degree 9 the minimax polynomial for
/// the relative error (Remez exchange in 60-digit arithmetic, then the coefficients
/// rounded to doubles one at a time, lowest first, the others refitted by a linear
/// program on a fine grid after each): relative error < 1.9·10⁻¹⁷ (2⁻⁵⁵) before the
/// roundings of the evaluation. Q is E(r²) + r·O(r²): two Horner chains of fused
/// multiply-adds, half as long as one.
#[inline(always)]
pub(crate) fn expm1_reduced(r: f64) -> f64 {
    const Q: [f64; 10] = [
        f64::from_bits(0x3fe0_0000_0000_0005), // 0.5000000000000006
        f64::from_bits(0x3fc5_5555_5555_554f), // 0.1666666666666665
        f64::from_bits(0x3fa5_5555_5555_2271), // 0.041666666666576264
        f64::from_bits(0x3f81_1111_1111_4d18), // 0.00833333333335999
        f64::from_bits(0x3f56_c16c_17ec_6b38), // 0.0013888888931378861
        f64::from_bits(0x3f2a_01a0_1874_4204), // 0.0001984126977068319
        f64::from_bits(0x3efa_019a_7d58_68b4), // 2.480150563686423e-05
        f64::from_bits(0x3ec7_1de6_63b9_9f21), // 2.7557369131520514e-06
        f64::from_bits(0x3e92_8a16_c9bf_9f43), // 2.762587401048612e-07
        f64::from_bits(0x3e5a_e992_6393_a8b1), // 2.5064116314465633e-08
    ];
    let s = r * r;
    let even = Q[8].mul_add(s, Q[6]).mul_add(s, Q[4]).mul_add(s, Q[2]).mul_add(s, Q[0]);
    let odd = Q[9].mul_add(s, Q[7]).mul_add(s, Q[5]).mul_add(s, Q[3]).mul_add(s, Q[1]);
    s.mul_add(odd.mul_add(r, even), r)
}

/// 2ᵏ for `shifted = k + ROUND` (as returned by [`reduce_ln2`]), built in the exponent
/// bits; k must lie in [−1022, 1023].
#[inline(always)]
pub(crate) fn pow2(shifted: f64) -> f64 {
    f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52)
}

/// 2⁻⁵⁴: [`exp_scaled`]'s factor for y ≤ 0.
const TWO_M54: f64 = f64::from_bits(0x3c90_0000_0000_0000);

/// eʸ for y ≤ 0 (including −∞; NaN gives NaN), subnormal results included, within
/// 1 ulp. Positive y are outside its domain.
#[inline(always)]
pub(crate) fn exp_nonpositive(y: f64) -> f64 {
    // e^−746 < 2⁻¹⁰⁷⁵ rounds to 0. `if`, not `max`, so that NaN stays NaN.
    let y = if y < -746.0 { -746.0 } else { y };
    exp_scaled(y, 54.0, TWO_M54)
}

/// eʸ for every y: within 1 ulp, subnormal results included, +∞ from ln(`f64::MAX`)
/// ≈ 709.78 on, NaN for NaN. Branch-free, so that loops over it vectorize.
#[inline(always)]
pub(crate) fn exp(y: f64) -> f64 {
    // e^−746 rounds to 0 and e^710 overflows (NaN stays NaN).
    let y = y.clamp(-746.0, 710.0);
    let positive = y > 0.0;
    exp_scaled(y, if positive { -1.0 } else { 54.0 }, if positive { 2.0 } else { TWO_M54 })
}

/// 2^(k+`shift`)·(1 + expm1(r)) · `unscale` for y = k·ln 2 + r, |y| ≤ 746, where
/// 2^(k+`shift`) is a normal number: eʸ in one rounding when `unscale` = 2^−`shift`.
/// For y ≤ 0 (k ∈ [−1076, 0]) `shift` = 54: times 2⁻⁵⁴ after is exact for normal results
/// and rounds once more for subnormal ones. For y > 0 (k ∈ [0, 1024]) `shift` = −1:
/// times 2 after is exact, or overflows to ∞.
#[inline(always)]
fn exp_scaled(y: f64, shift: f64, unscale: f64) -> f64 {
    let (shifted, r) = reduce_ln2(y, true);
    let two_k = pow2(shifted + shift);
    two_k.mul_add(expm1_reduced(r), two_k) * unscale
}

/// log(1 + e) for e ∈ [0, 1] (NaN gives NaN), fdlibm's log1p specialized to that
/// interval: e itself is the reduced argument when e < √2 − 1, otherwise 1 + e = 2(1 + f)
/// with the rounding error of 1 + e carried as a correction; then log(1 + f) = 2
/// atanh(f/(2 + f)) by a degree-14 polynomial in s = f/(2 + f). Within 1 ulp.
#[inline(always)]
pub(crate) fn log1p_unit(e: f64) -> f64 {
    const LP: [f64; 7] = [
        f64::from_bits(0x3fe5_5555_5555_5593), // 6.666666666666735130e-01
        f64::from_bits(0x3fd9_9999_9997_fa04), // 3.999999999940941908e-01
        f64::from_bits(0x3fd2_4924_9422_9359), // 2.857142874366239149e-01
        f64::from_bits(0x3fcc_71c5_1d8e_78af), // 2.222219843214978396e-01
        f64::from_bits(0x3fc7_4664_96cb_03de), // 1.818357216161805012e-01
        f64::from_bits(0x3fc3_9a09_d078_c69f), // 1.531383769920937332e-01
        f64::from_bits(0x3fc2_f112_df3e_5244), // 1.479819860511658591e-01
    ];
    let big = e >= std::f64::consts::SQRT_2 - 1.0;
    let u = 1.0 + e;
    let f = if big { 0.5 * u - 1.0 } else { e }; // exact; f ∈ [√2/2 − 1, √2 − 1]
    let c = if big { (e - (u - 1.0)) / u } else { 0.0 }; // (1 + e) = u(1 + c)
    let k = if big { 1.0 } else { 0.0 };
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut r = LP[6];
    for &lp in LP[..6].iter().rev() {
        r = r * z + lp;
    }
    let r = z * r;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + (k * LN2_LO + c))) - f)
}

/// The largest |x| for which [`sin_or_cos`] is valid.
pub(crate) const SIN_COS_LIMIT: f64 = 1_048_576.0; // 2²⁰

/// sin(x + q·π/2) for |x| ≤ [`SIN_COS_LIMIT`] (q = 0: sin x, q = 1: cos x), within
/// 1 ulp; anything (but no panic) outside that range and for NaN.
///
/// Cody–Waite reduction x = k·π/2 + (hi + lo) with π/2 in four parts (the first three
/// of 31, 32 and 28 bits, so k·part is exact for |k| < 2²¹) and the tail kept as a
/// double-double by exact two-sums, so that x close to a multiple of π/2 loses no
/// accuracy; then fdlibm's sine and cosine kernels on |hi| ≤ π/4, and the quadrant
/// (k + q) mod 4 by selects and a sign flip.
#[inline(always)]
pub(crate) fn sin_or_cos(x: f64, q: u64) -> f64 {
    const PIO2_1: f64 = f64::from_bits(0x3ff9_21fb_5440_0000);
    const PIO2_2: f64 = f64::from_bits(0x3dd0_b461_1a60_0000);
    const PIO2_3: f64 = f64::from_bits(0x3ba3_198a_2e00_0000);
    const PIO2_3T: f64 = f64::from_bits(0x397b_839a_2520_49c1);
    let shifted = x * std::f64::consts::FRAC_2_PI + ROUND;
    let k = shifted - ROUND;
    let r = x - k * PIO2_1; // exact (Sterbenz)
    let (s, e1) = two_sum(r, -(k * PIO2_2));
    let (s, e2) = two_sum(s, -(k * PIO2_3));
    let (hi, lo) = two_sum(s, (e1 + e2) - k * PIO2_3T);
    let hi = if k == 0.0 { x } else { hi }; // the same value, but keeps the sign of −0
    let q = shifted.to_bits().wrapping_add(q);
    let odd = (q & 1).wrapping_neg(); // all ones in odd quadrants
    let bits = (kernel_sin(hi, lo).to_bits() & !odd) | (kernel_cos(hi, lo).to_bits() & odd);
    f64::from_bits(bits ^ ((q & 2) << 62))
}

/// a + b = s + e exactly (Knuth's two-sum; no condition on the magnitudes).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// sin(x + y) for |x| ≤ π/4, |y| ≤ ulp(x)/2 (fdlibm's `__kernel_sin`).
#[inline(always)]
fn kernel_sin(x: f64, y: f64) -> f64 {
    const S1: f64 = f64::from_bits(0xbfc5_5555_5555_5549); // -1.66666666666666324348e-01
    const S2: f64 = f64::from_bits(0x3f81_1111_1110_f8a6); // 8.33333333332248946124e-03
    const S3: f64 = f64::from_bits(0xbf2a_01a0_19c1_61d5); // -1.98412698298579493134e-04
    const S4: f64 = f64::from_bits(0x3ec7_1de3_57b1_fe7d); // 2.75573137070700676789e-06
    const S5: f64 = f64::from_bits(0xbe5a_e5e6_8a2b_9ceb); // -2.50507602534068634195e-08
    const S6: f64 = f64::from_bits(0x3de5_d93a_5acf_d57c); // 1.58969099521155010221e-10
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * S1)
}

/// cos(x + y) for |x| ≤ π/4, |y| ≤ ulp(x)/2 (fdlibm's `__kernel_cos`, FreeBSD's form).
#[inline(always)]
fn kernel_cos(x: f64, y: f64) -> f64 {
    const C1: f64 = f64::from_bits(0x3fa5_5555_5555_554c); // 4.16666666666666019037e-02
    const C2: f64 = f64::from_bits(0xbf56_c16c_16c1_5177); // -1.38888888888741095749e-03
    const C3: f64 = f64::from_bits(0x3efa_01a0_19cb_1590); // 2.48015872894767294178e-05
    const C4: f64 = f64::from_bits(0xbe92_7e4f_809c_52ad); // -2.75573143513906633035e-07
    const C5: f64 = f64::from_bits(0x3e21_ee9e_bdb4_b1c4); // 2.08757232129817482790e-09
    const C6: f64 = f64::from_bits(0xbda8_fae9_be88_38d4); // -1.13596475577881948265e-11
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// Helpers of the accuracy tests.
#[cfg(test)]
pub(crate) mod testing {
    /// Distance in units in the last place between two doubles (0 for two NaNs, and
    /// across zero the number of doubles in between); panics if only one is NaN.
    pub fn ulps(a: f64, b: f64) -> u64 {
        if a.is_nan() || b.is_nan() {
            assert!(a.is_nan() && b.is_nan(), "{a} vs {b}");
            return 0;
        }
        // Doubles ordered as integers: −0 and +0 both map to 0.
        let key = |x: f64| {
            let bits = (x.to_bits() & !(1 << 63)) as i64;
            if x.is_sign_negative() { -bits } else { bits }
        };
        (key(a) - key(b)).unsigned_abs()
    }

    /// Deterministic pseudo-random u64s (xorshift64*).
    pub fn random_bits(seed: u64) -> impl Iterator<Item = u64> {
        let mut state = seed | 1;
        std::iter::repeat_with(move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        })
    }

    /// `n` points evenly spaced over [lo, hi].
    pub fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..n).map(move |i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
    }

    /// `n` finite doubles of either sign with random mantissas and exponents spread
    /// uniformly over binades 2^lo..2^hi (so every scale is sampled, subnormals included
    /// when lo ≤ −1023).
    pub fn log_uniform(lo: i32, hi: i32, n: usize, seed: u64) -> impl Iterator<Item = f64> {
        let span = (hi - lo) as u64 + 1;
        random_bits(seed).take(n).map(move |b| {
            let e = lo + ((b >> 53) % span) as i32;
            let m = 1.0 + ((b >> 1) & ((1 << 52) - 1)) as f64 / (1u64 << 52) as f64;
            let x = m * 2f64.powi(e.max(-1022)) * 2f64.powi((e + 1022).min(0));
            if b & 1 == 1 { -x } else { x }
        })
    }

    /// The special values every function is checked on.
    pub fn edge_cases() -> Vec<f64> {
        let mut v = vec![
            0.0,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 2.0,
            f64::from_bits(1), // the smallest subnormal
            f64::EPSILON,
            1e-300,
            1e-20,
            1.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
        ];
        v.extend(v.clone().into_iter().map(|x| -x));
        v
    }

    /// The accuracy sample of the functions built on e^x (`sigmoid`, `softplus`, `exp`):
    /// dense in [−40, 40], out to the underflow and overflow of e^x, every scale (`seed`
    /// picks those), and the special values.
    pub fn exp_range_points(seed: u64) -> impl Iterator<Item = f64> {
        grid(-40.0, 40.0, 1_000_000)
            .chain(grid(-760.0, 760.0, 1_000_000))
            .chain(log_uniform(-1074, 1023, 300_000, seed))
            .chain(edge_cases())
    }

    /// The accuracy sample of `sin` and `cos`: dense near 0, uniform out to the limit of
    /// the fast path and beyond it, every scale, and the doubles nearest to multiples of
    /// π/2 (and their neighbours), where the reduction cancels most.
    pub fn sin_cos_points() -> impl Iterator<Item = f64> {
        let near_multiples = random_bits(5).take(100_000).flat_map(|b| {
            let k = (b >> 44) as f64; // k < 2²⁰ reaches past the limit 2²⁰ of the fast path
            let x = k * std::f64::consts::FRAC_PI_2;
            (-3i64..=3).map(move |d| f64::from_bits((x.to_bits() as i64 + d) as u64))
        });
        grid(-10.0, 10.0, 1_000_000)
            .chain(grid(-1_100_000.0, 1_100_000.0, 500_000))
            .chain(log_uniform(-1074, 1023, 300_000, 4))
            .chain(near_multiples)
            .chain([1_048_576.0, -1_048_576.0, 1_048_576.5, -1_048_576.5])
            .chain(edge_cases())
    }

    /// The largest ulp distance of `f` from `reference` over `points`, and where.
    pub fn worst(
        points: impl IntoIterator<Item = f64>,
        f: impl Fn(f64) -> f64,
        reference: impl Fn(f64) -> f64,
    ) -> (u64, f64) {
        let mut worst = (0, 0.0);
        for x in points {
            let u = ulps(f(x), reference(x));
            if u > worst.0 {
                worst = (u, x);
            }
        }
        worst
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{edge_cases, grid, log_uniform, ulps, worst};
    use super::{exp_nonpositive, log1p_unit};

    #[test]
    fn exp_within_an_ulp_or_two_down_to_subnormal_results() {
        let points = grid(-750.0, 0.0, 1_000_000)
            .chain(log_uniform(-1074, 10, 1_000_000, 1).map(|x| -x.abs()))
            .chain(edge_cases().into_iter().filter(|x| *x <= 0.0));
        let (u, x) = worst(points, exp_nonpositive, f64::exp);
        eprintln!("exp: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(exp_nonpositive(f64::NAN).is_nan());
        assert_eq!(exp_nonpositive(-745.0), f64::from_bits(1));
    }

    #[test]
    fn log1p_within_an_ulp_or_two_on_the_unit_interval() {
        let points = grid(0.0, 1.0, 1_000_000).chain(log_uniform(-1074, -1, 1_000_000, 2).map(f64::abs));
        let (u, x) = worst(points, log1p_unit, f64::ln_1p);
        eprintln!("log1p: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(log1p_unit(f64::NAN).is_nan());
        assert_eq!(log1p_unit(1.0), std::f64::consts::LN_2);
    }

    #[test]
    fn ulps_counts_across_zero() {
        assert_eq!(ulps(0.0, -0.0), 0);
        assert_eq!(ulps(f64::from_bits(1), -f64::from_bits(1)), 2);
        assert_eq!(ulps(1.0, 1.0 + f64::EPSILON), 1);
    }
}
