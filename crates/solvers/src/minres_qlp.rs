//! MINRES-QLP for a symmetric operator known only through products (for a Hessian:
//! Hessian-vector products): the minimum-length solution of min ‖Ax − b‖₂, for A
//! indefinite or singular and b in A's range or not.
//!
//! Choi, Paige & Saunders, "MINRES-QLP: a Krylov subspace method for indefinite or
//! singular symmetric systems", SISC 33(4), 2011; transcribed from the authors' Fortran 90
//! `minresqlpModule.f90` (Choi & Saunders, ACM TOMS Algorithm 937, 2014), without
//! preconditioner or shift. Lanczos builds A Vₖ = Vₖ₊₁ Tₖ₊₁,ₖ; left reflections Qₖ give
//! Tₖ₊₁,ₖ = Qₖᵀ [Rₖ; 0] (MINRES) and right reflections Pₖ the lower-tridiagonal
//! Lₖ = Rₖ Pₖ (the QLP decomposition), so xₖ = Wₖ uₖ with Wₖ = Vₖ Pₖ and Lₖ uₖ the rotated
//! right-hand side. Where A is singular and b is not in its range, the Krylov space of b
//! holds b's null-space component, and the last Lanczos step (Tₗ singular) leaves a zero
//! γₗ at the end of L's diagonal: its component uₗ is set to 0, which is what makes x the
//! minimum-length least-squares solution A⁺b; MINRES's iterate keeps a null-space part.
//! Every iteration is a QLP iteration (the authors' `trancond = 1`; their default switches
//! from MINRES updates only once the condition estimate exceeds 10⁷).
//!
//! Stopping rules, in this order: ‖r‖ ≤ ε(‖A‖‖x‖ + ‖b‖) (as accurate as f64 allows);
//! ‖r‖ ≤ rtol·‖b‖ (the authors divide by ‖A‖‖x‖ + ‖b‖; here `rtol` is the relative residual
//! of the Newton system); ‖A rₖ₋₁‖ ≤ max(rtol, ε)·‖A‖‖rₖ₋₁‖ (a least-squares solution: b is
//! not in the range); ε‖A‖‖x‖ ≥ ‖b‖; cond(A) ≥ 0.1/ε; a breakdown βₖ₊₁ ≤ 10ε‖A‖ (the
//! Krylov space is invariant); |γₖ| ≤ 10ε‖A‖ (γₖ is zero: uₖ = 0, as the authors'
//! `istop = 14`); and last the iteration limit, the only way a solve "stops short". The
//! norms are the method's running estimates. Where a least-squares rule or a breakdown
//! ends the solve, the system is incompatible and the last component uₖ (that of a zero
//! γ) is left out of x, as Krylov.jl's `minres_qlp` does (Montoison & Orban). Other
//! deviations from the Fortran: its absolute thresholds ε on βₖ₊₁ and γₖ are relative
//! here (10ε‖A‖, the authors' limit 0.1/ε on the condition estimate), since a Hessian is not
//! scaled to norm 1; the compatible tests come before the least-squares ones; there is no
//! bound on ‖x‖ (theirs is 10⁷), since a Newton step has no natural scale; no symmetry check
//! (a Hessian is symmetric by construction); and the limit is tested last.
//!
//! The residual reported is not the recurrence estimate but ‖b − Ax‖/‖b‖ with Ax carried
//! alongside x: every vector the iteration combines (vₖ, the wₖ, x) carries its product
//! with A, formed by the same linear combinations from the products Avₖ the Lanczos step
//! computes, so the reported residual is that of the x returned (up to the rounding of the
//! combinations) at no extra product.

use crate::driver::{dot, norm};

/// Machine ε of f64.
const EPS: f64 = f64::EPSILON;

/// A γₖ or βₖ₊₁ at most `ZERO`·‖A‖ counts as zero (the authors' limit 0.1/ε on the
/// condition estimate).
const ZERO: f64 = 10.0 * EPS;

/// Why a solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// b = 0: x = 0, no product.
    ZeroRhs,
    /// ‖r‖ ≤ rtol·‖b‖.
    Residual,
    /// ‖Ar‖ ≤ max(rtol, ε)·‖A‖‖r‖: a least-squares solution (b is not in the range).
    LeastSquares,
    /// A rule at machine precision held: ‖r‖ ≤ ε(‖A‖‖x‖ + ‖b‖) or ε‖A‖‖x‖ ≥ ‖b‖.
    Accuracy,
    /// βₖ₊₁ ≤ 10ε‖A‖ without a small residual: the Krylov space is invariant.
    Invariant,
    /// The condition estimate reached 0.1/ε.
    IllConditioned,
    /// |γₖ| ≤ 10ε‖A‖: the last direction added nothing.
    NoProgress,
    /// The iteration limit, before any other rule held.
    Limit,
}

/// The result of [`minres_qlp`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Solution {
    /// The approximate minimum-length solution.
    pub x: Vec<f64>,
    /// Products with A (one per iteration).
    pub products: usize,
    /// ‖b − Ax‖₂ / ‖b‖₂ (0 for b = 0).
    pub residual: f64,
    /// Why it ended.
    pub end: End,
}

/// A vector and its product with A, combined together.
#[derive(Clone, Debug)]
struct Pair {
    v: Vec<f64>,
    av: Vec<f64>,
}

impl Pair {
    fn zeros(n: usize) -> Pair {
        Pair { v: vec![0.0; n], av: vec![0.0; n] }
    }

    /// a·x + b·y.
    fn combo(a: f64, x: &Pair, b: f64, y: &Pair) -> Pair {
        let mix = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(p, q)| a * p + b * q).collect();
        Pair { v: mix(&x.v, &y.v), av: mix(&x.av, &y.av) }
    }

    /// self += a·x.
    fn add_scaled(&mut self, a: f64, x: &Pair) {
        self.v.iter_mut().zip(&x.v).for_each(|(s, x)| *s += a * x);
        self.av.iter_mut().zip(&x.av).for_each(|(s, x)| *s += a * x);
    }
}

/// The stable reflection (SymOrtho, after Golub & Van Loan Alg. 5.1.3): c, s, r with
/// [c s; s −c]·[a; b] = [r; 0], r = ‖(a, b)‖ (r ≥ 0 unless a or b is negative and larger).
fn sym_ortho(a: f64, b: f64) -> (f64, f64, f64) {
    let (abs_a, abs_b) = (a.abs(), b.abs());
    if abs_b <= f64::MIN_POSITIVE {
        (if a == 0.0 { 1.0 } else { a.signum() }, 0.0, abs_a)
    } else if abs_a <= f64::MIN_POSITIVE {
        (0.0, b.signum(), abs_b)
    } else if abs_b > abs_a {
        let t = a / b;
        let s = b.signum() / (1.0 + t * t).sqrt();
        let c = s * t;
        (c, s, b / s)
    } else {
        let t = b / a;
        let c = a.signum() / (1.0 + t * t).sqrt();
        let s = c * t;
        (c, s, a / c)
    }
}

/// a / b, or 0 where b = 0 (a component the recurrences cannot determine is left out).
fn quotient(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// MINRES-QLP on A x = b with A given by `apply` (v ↦ Av written to the second
/// argument), stopping at `rtol` (module docs) or after `max_products` products (at least
/// one). `None` if a product, or the result, is not finite.
pub(crate) fn minres_qlp(
    b: &[f64],
    rtol: f64,
    max_products: usize,
    apply: &mut dyn FnMut(&[f64], &mut [f64]),
) -> Option<Solution> {
    let n = b.len();
    let beta1 = norm(b);
    if !beta1.is_finite() {
        return None;
    }
    if beta1 == 0.0 {
        return Some(Solution { x: vec![0.0; n], products: 0, residual: 0.0, end: End::ZeroRhs });
    }
    let max_products = max_products.max(1);
    // Lanczos: y = βₖ vₖ, r1 and r2 the previous two unnormalized vectors.
    let mut y = b.to_vec();
    let mut r1 = b.to_vec();
    let mut r2 = b.to_vec();
    let mut av = vec![0.0; n];
    let (mut beta, mut betan) = (0.0, beta1);
    // The left reflection Qₖ (cs, sn) and the entries it produces.
    let (mut cs, mut sn) = (-1.0, 0.0);
    let mut dltan = 0.0;
    let (mut gama, mut gamal) = (0.0, 0.0);
    let (mut tau, mut taul, mut phi) = (0.0, 0.0, beta1);
    // The right reflections P_{k−2,k} (cr2, sr2) and P_{k−1,k} (cr1, sr1) and L's entries.
    let (mut cr1, mut sr1, mut cr2, mut sr2) = (-1.0, 0.0, -1.0, 0.0);
    let (mut eta, mut etal) = (0.0, 0.0);
    let (mut vepln, mut veplnl) = (0.0, 0.0);
    // The last three components of u, and the norm of the ones before.
    let (mut ul, mut ul2, mut ul3) = (0.0, 0.0, 0.0);
    let mut xl2norm: f64 = 0.0;
    // Running estimates.
    let (mut anorm, mut gmin, mut gminl): (f64, f64, f64) = (0.0, 0.0, 0.0);
    // The columns wₖ₋₁, wₖ of W and the part of x in the earlier ones, each with its product.
    let (mut w, mut wl) = (Pair::zeros(n), Pair::zeros(n));
    let mut xl2 = Pair::zeros(n);
    let mut products = 0;
    let (end, x) = loop {
        products += 1;
        let itn = products;
        // The Lanczos step: vₖ, αₖ, βₖ₊₁.
        let betal = beta;
        beta = betan;
        let s = 1.0 / beta;
        let v: Vec<f64> = y.iter().map(|y| s * y).collect();
        apply(&v, &mut av);
        if !av.iter().all(|a| a.is_finite()) {
            return None;
        }
        let vk = Pair { v, av: av.clone() };
        y.copy_from_slice(&av);
        if itn >= 2 {
            y.iter_mut().zip(&r1).for_each(|(y, r)| *y -= (beta / betal) * r);
        }
        let alfa = dot(&vk.v, &y);
        y.iter_mut().zip(&r2).for_each(|(y, r)| *y -= (alfa / beta) * r);
        std::mem::swap(&mut r1, &mut r2);
        r2.copy_from_slice(&y);
        betan = norm(&y);
        let pnorm = if itn == 1 { alfa.hypot(betan) } else { beta.hypot(alfa).hypot(betan) };

        // Apply the previous left reflection Qₖ₋₁.
        let dbar = dltan;
        let mut dlta = cs * dbar + sn * alfa;
        let gbar = sn * dbar - cs * alfa;
        let eplnn = sn * betan;
        dltan = -cs * betan;

        // The current left reflection Qₖ.
        let gamal2 = gamal;
        gamal = gama;
        (cs, sn, gama) = sym_ortho(gbar, betan);
        let taul2 = taul;
        taul = tau;
        tau = cs * phi;
        phi *= sn;

        // The previous right reflection P_{k−2,k}.
        let (mut veplnl2, mut etal2) = (0.0, 0.0);
        if itn > 2 {
            veplnl2 = veplnl;
            etal2 = etal;
            etal = eta;
            let dlta_tmp = sr2 * vepln - cr2 * dlta;
            veplnl = cr2 * vepln + sr2 * dlta;
            dlta = dlta_tmp;
            eta = sr2 * gama;
            gama *= -cr2;
        }
        // The current right reflection P_{k−1,k}.
        if itn > 1 {
            let gamal_tmp;
            (cr1, sr1, gamal_tmp) = sym_ortho(gamal, dlta);
            gamal = gamal_tmp;
            vepln = sr1 * gama;
            gama *= -cr1;
        }

        // The components uₖ₋₂, uₖ₋₁, uₖ of u (forward substitution with L).
        let ul4 = ul3;
        ul3 = ul2;
        if itn > 2 {
            ul2 = quotient(taul2 - etal2 * ul4 - veplnl2 * ul3, gamal2);
        }
        if itn > 1 {
            ul = quotient(taul - etal * ul3 - veplnl * ul2, gamal);
        }
        let no_progress = gama.abs() <= ZERO * anorm.max(pnorm);
        let u = if no_progress { 0.0 } else { (tau - eta * ul2 - vepln * ul) / gama };
        xl2norm = xl2norm.hypot(ul2);
        let xnorm = xl2norm.hypot(ul).hypot(u);

        // The columns wₖ₋₂, wₖ₋₁, wₖ of W = V P.
        let wl2;
        if itn == 1 {
            wl2 = std::mem::replace(&mut wl, Pair::combo(sr1, &vk, 0.0, &vk));
            w = Pair::combo(-cr1, &vk, 0.0, &vk);
        } else if itn == 2 {
            wl2 = std::mem::replace(&mut wl, Pair::combo(cr1, &w, sr1, &vk));
            w = Pair::combo(sr1, &w, -cr1, &vk);
        } else {
            let turned = Pair::combo(sr2, &wl, -cr2, &vk);
            wl2 = Pair::combo(cr2, &wl, sr2, &vk);
            wl = Pair::combo(cr1, &w, sr1, &turned);
            w = Pair::combo(sr1, &w, -cr1, &turned);
        }
        xl2.add_scaled(ul2, &wl2);

        // The next right reflection P_{k−1,k+1}.
        let gamal_tmp = gamal;
        (cr2, sr2, gamal) = sym_ortho(gamal_tmp, eplnn);

        // Estimates of ‖A‖, cond(A), ‖r‖ and ‖A rₖ₋₁‖ / (‖A‖ ‖rₖ₋₁‖).
        let abs_gama = gama.abs();
        anorm = anorm.max(pnorm).max(gamal).max(abs_gama);
        if itn == 1 {
            gmin = gama;
            gminl = gmin;
        } else {
            let gminl2 = gminl;
            gminl = gmin;
            gmin = gminl2.min(gamal).min(abs_gama);
        }
        let acond = if gmin > 0.0 { anorm / gmin } else { f64::INFINITY };
        let rnorm = phi;
        let relres = quotient(rnorm, anorm * xnorm + beta1);
        let relaresl = quotient(gbar.hypot(dltan), anorm);

        // The stopping rules (module docs), the limit last.
        let end = if 1.0 + relres <= 1.0 {
            End::Accuracy
        } else if rnorm <= rtol * beta1 {
            End::Residual
        } else if 1.0 + relaresl <= 1.0 || relaresl <= rtol {
            End::LeastSquares
        } else if anorm * xnorm * EPS >= beta1 {
            End::Accuracy
        } else if acond >= 0.1 / EPS {
            End::IllConditioned
        } else if betan <= ZERO * anorm {
            End::Invariant
        } else if no_progress {
            End::NoProgress
        } else if itn >= max_products {
            End::Limit
        } else {
            continue;
        };
        // x = xl2 + ul·wl + u·w; where b is not in the range (a least-squares end, or a
        // breakdown with the residual not small) uₖ belongs to a zero γₖ and is left out.
        let mut x = xl2;
        x.add_scaled(ul, &wl);
        if !matches!(end, End::LeastSquares | End::Invariant) {
            x.add_scaled(u, &w);
        }
        break (end, x);
    };
    let residual = norm(&b.iter().zip(&x.av).map(|(b, ax)| b - ax).collect::<Vec<_>>()) / beta1;
    if !(x.v.iter().all(|v| v.is_finite()) && residual.is_finite()) {
        return None;
    }
    Some(Solution { x: x.v, products, residual, end })
}

#[cfg(test)]
mod tests {
    use faer::Mat;

    use super::*;
    use crate::dense::{Eigen, matvec};
    use crate::test_functions::rotated;

    /// A⁺b from the eigendecomposition, eigenvalues with |λ| ≤ 1e-10·max|λ| dropped.
    fn pinv_solve(a: &Mat<f64>, b: &[f64]) -> Vec<f64> {
        let e = Eigen::new(a.as_ref()).unwrap();
        let cut = 1e-10 * e.spectral_radius();
        let c: Vec<f64> =
            e.qt_mul(b).iter().zip(&e.values).map(|(c, l)| if l.abs() > cut { c / l } else { 0.0 }).collect();
        e.q_mul(&c)
    }

    fn solve(a: &Mat<f64>, b: &[f64], rtol: f64, limit: usize) -> Solution {
        let mut apply = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&matvec(a.as_ref(), v));
        minres_qlp(b, rtol, limit, &mut apply).unwrap()
    }

    fn relative_error(x: &[f64], y: &[f64]) -> f64 {
        crate::driver::distance(x, y) / norm(y)
    }

    fn residual(a: &Mat<f64>, x: &[f64], b: &[f64]) -> f64 {
        let ax = matvec(a.as_ref(), x);
        norm(&ax.iter().zip(b).map(|(ax, b)| b - ax).collect::<Vec<_>>()) / norm(b)
    }

    const B: [f64; 8] = [1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.75];

    #[test]
    fn solves_a_nonsingular_indefinite_system() {
        let a = rotated(&[5.0, -3.0, 2.0, -1.0, 0.5, 4.0, -2.5, 1.5]);
        let x = solve(&a, &B, 1e-12, 100);
        let exact = pinv_solve(&a, &B);
        // Measured: 1.5e-15 relative after 8 products (8 distinct eigenvalues).
        assert!(relative_error(&x.x, &exact) < 1e-12, "{}", relative_error(&x.x, &exact));
        assert!(x.residual <= 1e-12 && (x.residual - residual(&a, &x.x, &B)).abs() < 1e-14, "{x:?}");
        assert_eq!(x.end, End::Residual);
        assert!(x.products <= 10, "{} products", x.products);
    }

    #[test]
    fn gives_the_minimum_length_solution_of_a_singular_compatible_system() {
        let a = rotated(&[5.0, -3.0, 0.0, -1.0, 0.0, 4.0, -2.5, 0.0]);
        // b = A c lies in the range; A⁺b is its solution orthogonal to the null space.
        let c: Vec<f64> = B.iter().map(|v| v * 0.7 + 0.1).collect();
        let b = matvec(a.as_ref(), &c);
        let x = solve(&a, &b, 1e-12, 100);
        let exact = pinv_solve(&a, &b);
        // Measured: 1.5e-15 relative.
        assert!(relative_error(&x.x, &exact) < 1e-12, "{}", relative_error(&x.x, &exact));
        assert!(x.residual < 1e-12, "{x:?}");
    }

    #[test]
    fn gives_the_minimum_length_least_squares_solution_of_an_incompatible_system() {
        let a = rotated(&[5.0, -3.0, 0.0, -1.0, 0.0, 4.0, -2.5, 0.0]);
        let x = solve(&a, &B, 1e-12, 100);
        let exact = pinv_solve(&a, &B);
        // Measured: 1.2e-15 relative, after 6 products (5 nonzero eigenvalues and the null
        // space in b). Keeping u₆ (whose γ₆ is 2e-15) gives ‖x‖ = 4.33 against ‖A⁺b‖ = 3.06.
        assert!(relative_error(&x.x, &exact) < 1e-12, "{}", relative_error(&x.x, &exact));
        assert_eq!((x.end, x.products), (End::LeastSquares, 6));
        // The least-squares residual is b's component in the null space, not 0.
        let floor = residual(&a, &exact, &B);
        assert!(floor > 0.1, "{floor}");
        assert!((x.residual - floor).abs() < 1e-12, "{} vs {floor}", x.residual);
    }

    #[test]
    fn stops_at_the_limit_with_the_residual_it_reached() {
        let a = rotated(&[5.0, -3.0, 2.0, -1.0, 0.5, 4.0, -2.5, 1.5]);
        let x = solve(&a, &B, 1e-12, 3);
        assert_eq!((x.end, x.products), (End::Limit, 3));
        assert!(x.residual > 1e-3 && (x.residual - residual(&a, &x.x, &B)).abs() < 1e-14, "{x:?}");
    }

    #[test]
    fn zero_and_null_right_hand_sides() {
        let a = rotated(&[5.0, -3.0, 0.0, -1.0]);
        let zero = solve(&a, &[0.0; 4], 1e-12, 10);
        assert_eq!((zero.x, zero.products, zero.end), (vec![0.0; 4], 0, End::ZeroRhs));
        // The zero operator: the least-squares solution of minimum length is 0.
        let mut nothing = |_: &[f64], out: &mut [f64]| out.fill(0.0);
        let x = minres_qlp(&[1.0, 2.0], 1e-12, 10, &mut nothing).unwrap();
        assert_eq!((x.x, x.products, x.residual), (vec![0.0, 0.0], 1, 1.0));
        // A non-finite product is reported, not propagated.
        let mut broken = |_: &[f64], out: &mut [f64]| out.fill(f64::NAN);
        assert!(minres_qlp(&[1.0, 2.0], 1e-12, 10, &mut broken).is_none());
    }
}
