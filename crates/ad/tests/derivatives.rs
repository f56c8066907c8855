//! Derivatives of whole losses against finite differences, over random networks: the
//! gradient, Hessian-vector products and the dense Hessian of the regression and PINN
//! losses, plus the Hessian's internal consistency (symmetry, H·v, chunking) and the
//! PINN's derivatives with respect to its input x.
//!
//! Step sizes. A central difference (f(t + h) − f(t − h)) / 2h has truncation error
//! h²·|f'''|/6 and rounding error about ε·|f|/h (ε = 2.2e-16), minimised near
//! h = ε^(1/3) ≈ 6e-6 for a variable of unit size, where both are ≈ 1e-11 relative to
//! the scales of f and f'''. We scale h by max(1, |t|) so that t ± h moves t by a
//! fixed relative amount and, for steps along a coordinate, divide by the step actually
//! represented, (t + h) − (t − h), rather than the nominal 2h. The tolerance 1e-6 then
//! leaves four to five orders of magnitude for the size of higher derivatives.
//!
//! Error measure. max |actual − expected| / max(max |expected|, floor), where the floor
//! is 1e-3 times the magnitude of the function being differenced: the rounding error
//! of a difference quotient is proportional to that magnitude (ε·|f|/h ≈ 4e-11·|f|),
//! so a derivative that happens to be tiny is not asked to be resolved below the
//! noise the oracle itself carries (the floor keeps that noise below 4e-8 relative).

mod common;

use common::{
    LossGraph, Problem, Sample, axpy, compile, loss_graph, mat_vec, max_abs, max_abs_diff, normal, rng, run,
    transpose,
};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError};
use saddle_ad::{d_dx, d2_dx2};
use saddle_graph::{Activation, Arch, Graph, Shape, model};

/// ε^(1/3): the central-difference step for a variable of unit size.
const H: f64 = 6.055454452393343e-6;

/// Tolerance of derivatives against central differences.
const FD_TOL: f64 = 1e-6;

/// Tolerance of exact identities that differ only by rounding (symmetry, H·v,
/// chunking): a few hundred ulps of the entries' scale.
const EXACT_TOL: f64 = 1e-12;

/// One random instance.
#[derive(Clone, Debug)]
struct Case {
    problem: Problem,
    arch: Arch,
    act: Activation,
    points: usize,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(Problem::ALL.to_vec()),
        1usize..=3,
        prop::collection::vec(1usize..=12, 1..=4),
        prop::sample::select(Activation::ALL.to_vec()),
        1usize..=16,
        any::<u64>(),
    )
        .prop_map(|(problem, d_in, hidden, act, points, seed)| {
            let d_in = if problem == Problem::Pinn { 1 } else { d_in };
            let mut widths = vec![d_in];
            widths.extend(hidden);
            widths.push(1);
            Case { problem, arch: Arch::new(widths).unwrap(), act, points, seed }
        })
}

/// max |actual − expected| / max(max |expected|, floor).
fn rel(actual: &[f64], expected: &[f64], floor: f64) -> f64 {
    max_abs_diff(actual, expected) / max_abs(expected).max(floor).max(f64::MIN_POSITIVE)
}

/// Central difference of `f` in coordinate `j` of `t`, with the step scaled by
/// max(1, |t_j|) and the quotient taken over the step actually represented.
fn partial(f: &mut impl FnMut(&[f64]) -> Vec<f64>, t: &[f64], j: usize) -> Vec<f64> {
    let h = H * t[j].abs().max(1.0);
    let (mut plus, mut minus) = (t.to_vec(), t.to_vec());
    plus[j] += h;
    minus[j] -= h;
    let step = plus[j] - minus[j];
    let (fp, fm) = (f(&plus), f(&minus));
    fp.iter().zip(&fm).map(|(p, m)| (p - m) / step).collect()
}

/// Every check on one instance.
fn check(case: &Case) -> Result<(), TestCaseError> {
    let Case { problem, ref arch, act, points, seed } = *case;
    let lg: LossGraph = loss_graph(problem, arch, act, points);
    let n = lg.n;
    let sample = Sample::draw(problem, arch, points, seed);
    let data = sample.data(problem);
    let inputs = sample.inputs(problem);

    // Loss-only and loss-and-gradient programs.
    let mut loss_p = compile(&lg.graph);
    let mut grad_p = lg.gradient_program();
    let mut loss_at = |theta: &[f64]| {
        let mut all: Vec<(&str, &[f64])> = vec![("theta", theta)];
        all.extend(data);
        run(&mut loss_p, &all, &["loss"]).remove(0)
    };
    let mut grad_at = |theta: &[f64]| {
        let mut all: Vec<(&str, &[f64])> = vec![("theta", theta)];
        all.extend(data);
        run(&mut grad_p, &all, &["grad"]).remove(0)
    };
    let theta = &sample.theta;
    let loss = loss_at(theta)[0];
    let gradient = grad_at(theta);
    prop_assert!(loss.is_finite() && gradient.iter().all(|g| g.is_finite()), "{case:?}: non-finite values");

    // Simplification preserves values: the unsimplified graph gives the same gradient.
    {
        let mut g: Graph = lg.graph.clone();
        let gr = saddle_ad::grad(&mut g, lg.loss, lg.theta).unwrap();
        g.set_output("grad", gr);
        let raw = common::eval(&g, &inputs, &["grad"]).remove(0);
        let err = rel(&raw, &gradient, 0.0);
        prop_assert!(err <= EXACT_TOL, "{case:?}: simplified and raw gradients differ by {err:e}");
    }

    // 1. Gradient against central differences of the loss, component by component.
    let fd_grad: Vec<f64> = (0..n).map(|j| partial(&mut loss_at, theta, j)[0]).collect();
    let err = rel(&gradient, &fd_grad, 1e-3 * loss.abs());
    prop_assert!(err <= FD_TOL, "{case:?}: gradient vs central differences: {err:e}");

    // 2. The dense Hessian: chunk n (one evaluation), chunk 1, and chunk 3 (a padded
    // last chunk unless 3 divides n) must agree up to rounding.
    let hessian = lg.dense_hessian(n, &inputs);
    let h_scale = max_abs(&hessian);
    prop_assert!(h_scale > 0.0 && hessian.iter().all(|h| h.is_finite()), "{case:?}: Hessian {h_scale}");
    for chunk in [1, 3] {
        let other = lg.dense_hessian(chunk, &inputs);
        let err = max_abs_diff(&other, &hessian) / h_scale;
        prop_assert!(err <= EXACT_TOL, "{case:?}: Hessian with chunk {chunk} vs chunk {n}: {err:e}");
    }

    // One program per parameter block (W and b of every layer), other blocks' tangents
    // symbolically zero and only the rows from the block on: the same Hessian up to
    // rounding, exactly symmetric.
    let (blocked, blocks) = lg.block_hessian(3, &inputs);
    prop_assert_eq!(blocks, 2 * (arch.widths().len() - 1), "{:?}: one block per W and b", case);
    let err = max_abs_diff(&blocked, &hessian) / h_scale;
    prop_assert!(err <= EXACT_TOL, "{case:?}: block Hessian vs plain: {err:e}");
    prop_assert!(blocked == transpose(&blocked, n, n), "{case:?}: block Hessian not exactly symmetric");

    // Symmetric up to rounding.
    let asym = max_abs_diff(&hessian, &transpose(&hessian, n, n)) / h_scale;
    prop_assert!(asym <= EXACT_TOL, "{case:?}: max|H − Hᵀ| / max|H| = {asym:e}");

    // Against central differences of the gradient, column by column.
    let mut fd_hessian = vec![0.0; n * n];
    for j in 0..n {
        for (i, d) in partial(&mut grad_at, theta, j).into_iter().enumerate() {
            fd_hessian[i * n + j] = d;
        }
    }
    let err = rel(&hessian, &fd_hessian, 1e-3 * max_abs(&gradient));
    prop_assert!(err <= FD_TOL, "{case:?}: Hessian vs central differences of the gradient: {err:e}");

    // 3. The HVP along a random v: against H·v, and against the central difference of
    // the gradient along v (step ε^(1/3)·max(1, |θ|∞) / |v|∞; the nominal 2h, since a
    // step along v cannot be made representable in every coordinate at once, which
    // costs a relative ε·|θ|/h ≈ 4e-11).
    let v = normal(&mut rng(seed ^ 0x5eed), n, 1.0);
    let mut hvp_p = lg.hvp_program();
    let mut all: Vec<(&str, &[f64])> = inputs.to_vec();
    all.push(("v", &v));
    let hv = run(&mut hvp_p, &all, &["hvp"]).remove(0);
    let h_v = mat_vec(&hessian, n, n, &v);
    // Rounding in a matrix-vector product is relative to Σⱼ |Hᵢⱼ vⱼ|, not to |(Hv)ᵢ|.
    let matvec_scale =
        (0..n).map(|i| (0..n).map(|j| (hessian[i * n + j] * v[j]).abs()).sum::<f64>()).fold(0.0, f64::max);
    let err = max_abs_diff(&hv, &h_v) / matvec_scale;
    prop_assert!(err <= EXACT_TOL, "{case:?}: HVP vs H·v: {err:e}");
    let h = H * max_abs(theta).max(1.0) / max_abs(&v);
    let (gp, gm) = (grad_at(&axpy(theta, h, &v)), grad_at(&axpy(theta, -h, &v)));
    let fd_hv: Vec<f64> = gp.iter().zip(&gm).map(|(p, m)| (p - m) / (2.0 * h)).collect();
    let err = rel(&hv, &fd_hv, 1e-3 * max_abs(&gradient));
    prop_assert!(err <= FD_TOL, "{case:?}: HVP vs central differences of the gradient: {err:e}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: RngSeed::Fixed(0x5add1e),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    /// Random architectures, activations, problems, parameters and data.
    #[test]
    fn loss_derivatives_match_finite_differences(case in case()) {
        check(&case)?;
    }
}

/// Every problem with every activation, so coverage does not rest on the sampler.
#[test]
fn every_problem_and_activation() {
    for problem in Problem::ALL {
        for act in Activation::ALL {
            let widths = match problem {
                Problem::Regression => vec![2, 4, 3, 1],
                Problem::Pinn => vec![1, 4, 3, 1],
            };
            let case = Case { problem, arch: Arch::new(widths).unwrap(), act, points: 5, seed: 42 };
            check(&case).unwrap();
        }
    }
}

/// The corners of the sampled space, and linear models (no hidden layer), which the
/// sampler does not produce: one data point (x is then 1 × 1 or 1 × d_in, so shapes
/// coincide that differ elsewhere), width-one layers, and the largest networks.
#[test]
fn edge_cases() {
    let cases = [
        (Problem::Regression, vec![3, 1], 1),
        (Problem::Regression, vec![1, 1], 4),
        (Problem::Regression, vec![2, 1, 1], 1),
        (Problem::Regression, vec![1, 1, 1, 1, 1, 1], 3),
        (Problem::Regression, vec![3, 12, 12, 12, 12, 1], 16),
        (Problem::Pinn, vec![1, 1], 3),
        (Problem::Pinn, vec![1, 1, 1], 1),
        (Problem::Pinn, vec![1, 12, 12, 12, 12, 1], 16),
    ];
    for (problem, widths, points) in cases {
        for act in Activation::ALL {
            let case = Case { problem, arch: Arch::new(widths.clone()).unwrap(), act, points, seed: 9 };
            check(&case).unwrap();
        }
    }
}

/// u, u_x = d_dx(u) and u_xx = d2_dx2(u) of the PINN trial function against central
/// differences in x.
#[test]
fn pinn_input_derivatives_match_finite_differences() {
    const POINTS: usize = 9;
    for act in Activation::ALL {
        for widths in [vec![1, 8, 1], vec![1, 6, 5, 1], vec![1, 5, 4, 3, 1]] {
            let arch = Arch::new(widths).unwrap();
            let mut g = Graph::new();
            let theta = g.input("theta", Shape::vector(arch.param_count())).unwrap();
            let x = g.input("x", Shape::vector(POINTS)).unwrap();
            let net = model::mlp(&mut g, &arch, act, theta, x).unwrap().output;
            let u = model::pinn_trial(&mut g, x, net).unwrap();
            let u_x = d_dx(&mut g, u, x).unwrap();
            let u_xx = d2_dx2(&mut g, u, x).unwrap();
            g.set_output("u", u);
            g.set_output("u_x", u_x);
            g.set_output("u_xx", u_xx);
            let mut p = compile(&g);
            let sample = Sample::draw(Problem::Pinn, &arch, POINTS, 7);
            let mut at =
                |xs: &[f64]| run(&mut p, &[("theta", &sample.theta), ("x", xs)], &["u", "u_x", "u_xx"]);
            let xs = &sample.x;
            let [u0, ux0, uxx0] = <[Vec<f64>; 3]>::try_from(at(xs)).unwrap();
            let label = format!("{act} {arch}");

            // The trial function vanishes on the boundary.
            let ends = at(&[0.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
            assert_eq!(&ends[0][..2], &[0.0, 0.0], "{label}: u(0), u(1)");

            // Each u_i depends on x_i alone, so one shift of every point differences
            // them all. First differences: h = ε^(1/3) (x is of unit size), error
            // ≈ h²|f'''|/6 + ε|f|/h ≈ 1e-11 of the scales (and 4e-8 at most through the
            // floor 1e-3·|f|), tolerance 1e-7.
            let h = H;
            let shifted = |s: f64| xs.iter().map(|x| x + s).collect::<Vec<f64>>();
            let (plus, minus) = (at(&shifted(h)), at(&shifted(-h)));
            let diff = |k: usize| -> Vec<f64> {
                plus[k].iter().zip(&minus[k]).map(|(p, m)| (p - m) / (2.0 * h)).collect()
            };
            let err = rel(&ux0, &diff(0), 1e-3 * max_abs(&u0));
            assert!(err <= 1e-7, "{label}: u_x vs central differences of u: {err:e}");
            let err = rel(&uxx0, &diff(1), 1e-3 * max_abs(&ux0));
            assert!(err <= 1e-7, "{label}: u_xx vs central differences of u_x: {err:e}");

            // Second difference (u(x+h) − 2u(x) + u(x−h)) / h²: truncation h²|u''''|/12,
            // rounding 4ε|u|/h², balanced at h = ε^(1/4) ≈ 1.2e-4, where the rounding is
            // 6e-8·|u| and the truncation 1.2e-9·|u''''|. Measured against max(|u''|, |u|) (the floor is
            // |u| itself: this quotient's noise is 1e4 times that of a first difference);
            // tolerance 1e-6.
            let h2 = f64::EPSILON.powf(0.25);
            let (plus, minus) = (at(&shifted(h2)), at(&shifted(-h2)));
            let second: Vec<f64> =
                (0..POINTS).map(|i| (plus[0][i] - 2.0 * u0[i] + minus[0][i]) / (h2 * h2)).collect();
            let err = rel(&uxx0, &second, max_abs(&u0));
            assert!(err <= 1e-6, "{label}: u_xx vs the second difference of u: {err:e}");
        }
    }
}
