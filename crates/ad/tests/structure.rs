//! An independent check of the derivative structure: a one-hidden-layer network
//! written out by hand in plain loops, with its Jacobian and per-point Hessians from
//! hand-derived activation derivatives, assembled into the exact Hessian
//! H = JᵀJ + Σᵢ rᵢ ∇²rᵢ of ½‖r‖², and compared with the graph-derived one.
//!
//! Network: uᵢ = Σₖ vₖ σ(aₖ xᵢ + bₖ) + c with θ = [W1 (1×m) = a, b1 = b, W2 (m×1) = v,
//! b2 = c] (the layout of docs/CONTRACT.md), so a, b, v, c sit at offsets 0, m, 2m, 3m.

mod common;

use common::{Problem, Sample, compile, loss_graph, max_abs, max_abs_diff, run};
use saddle_ad::{jacobian_block_columns, jacobian_columns, param_blocks};
use saddle_graph::{Activation, Arch};

/// Hidden units.
const M: usize = 5;
/// Data points.
const N: usize = 7;
/// n = 3m + 1.
const P: usize = 3 * M + 1;

/// Agreement of two evaluations of the same exact quantity along different routes:
/// rounding only, relative to the largest entry.
const TOL: f64 = 1e-12;

/// σ and its first four derivatives at z, from formulas written out by hand.
fn sigma(act: Activation, z: f64) -> [f64; 5] {
    let logistic = |z: f64| {
        let s = 1.0 / (1.0 + (-z).exp());
        let p = s * (1.0 - s);
        [
            s,
            p,
            p * (1.0 - 2.0 * s),
            p * (1.0 - 6.0 * s + 6.0 * s * s),
            p * (1.0 - 2.0 * s) * (1.0 - 12.0 * s + 12.0 * s * s),
        ]
    };
    match act {
        Activation::Tanh => {
            let t = z.tanh();
            let s = 1.0 - t * t;
            [t, s, -2.0 * t * s, -2.0 * s * s + 4.0 * t * t * s, 16.0 * t * s * s - 8.0 * t * t * t * s]
        }
        Activation::Sin => [z.sin(), z.cos(), -z.sin(), -z.cos(), z.sin()],
        Activation::Sigmoid => logistic(z),
        Activation::Softplus => {
            let [s, d1, d2, d3, _] = logistic(z);
            [z.max(0.0) + (-z.abs()).exp().ln_1p(), s, d1, d2, d3]
        }
    }
}

/// The parameters of one hidden unit and where they sit in θ.
struct Unit {
    a: f64,
    b: f64,
    v: f64,
    ia: usize,
    ib: usize,
    iv: usize,
}

fn units(theta: &[f64]) -> Vec<Unit> {
    (0..M)
        .map(|k| Unit { a: theta[k], b: theta[M + k], v: theta[2 * M + k], ia: k, ib: M + k, iv: 2 * M + k })
        .collect()
}

/// A residual r (N), its Jacobian J (N × P, row-major) and Hessians ∇²rᵢ (N of P × P).
struct Residual {
    r: Vec<f64>,
    jac: Vec<f64>,
    hess: Vec<Vec<f64>>,
}

impl Residual {
    fn new() -> Self {
        Residual { r: vec![0.0; N], jac: vec![0.0; N * P], hess: vec![vec![0.0; P * P]; N] }
    }

    /// Sets the symmetric pair (j, k), (k, j) of ∇²rᵢ.
    fn set_hess(&mut self, i: usize, j: usize, k: usize, value: f64) {
        self.hess[i][j * P + k] = value;
        self.hess[i][k * P + j] = value;
    }

    /// H = JᵀJ + Σᵢ rᵢ ∇²rᵢ, row-major P × P.
    fn hessian(&self) -> Vec<f64> {
        let mut h = vec![0.0; P * P];
        for j in 0..P {
            for k in 0..P {
                let jtj: f64 = (0..N).map(|i| self.jac[i * P + j] * self.jac[i * P + k]).sum();
                let curvature: f64 = (0..N).map(|i| self.r[i] * self.hess[i][j * P + k]).sum();
                h[j * P + k] = jtj + curvature;
            }
        }
        h
    }

    /// ∇(½‖r‖²) = Jᵀr.
    fn gradient(&self) -> Vec<f64> {
        (0..P).map(|j| (0..N).map(|i| self.jac[i * P + j] * self.r[i]).sum()).collect()
    }
}

/// Regression: rᵢ = uᵢ − yᵢ, so J = ∂u/∂θ and ∇²rᵢ = ∇²uᵢ.
fn regression_by_hand(act: Activation, theta: &[f64], x: &[f64], y: &[f64]) -> Residual {
    let c = theta[3 * M];
    let mut res = Residual::new();
    for i in 0..N {
        let xi = x[i];
        let mut u = c;
        res.jac[i * P + 3 * M] = 1.0; // ∂u/∂c
        for Unit { a, b, v, ia, ib, iv } in units(theta) {
            let [s0, s1, s2, _, _] = sigma(act, a * xi + b);
            u += v * s0;
            res.jac[i * P + ia] = v * s1 * xi;
            res.jac[i * P + ib] = v * s1;
            res.jac[i * P + iv] = s0;
            res.set_hess(i, ia, ia, v * s2 * xi * xi);
            res.set_hess(i, ia, ib, v * s2 * xi);
            res.set_hess(i, ib, ib, v * s2);
            res.set_hess(i, ia, iv, s1 * xi);
            res.set_hess(i, ib, iv, s1);
            // ∂²u/∂v² = 0, and c enters linearly.
        }
        res.r[i] = u - y[i];
    }
    res
}

/// PINN: u = x(1 − x)·N(x), so u'' = −2N + 2(1 − 2x)N' + x(1 − x)N'' and the residual
/// rᵢ = −u''(xᵢ) − fᵢ = Σₖ vₖ φ(aₖ, bₖ; xᵢ) + 2c − fᵢ with
/// φ = α σ(z) + β a σ'(z) + γ a² σ''(z), z = a x + b, α = 2, β = −2(1 − 2x), γ = −x(1 − x).
/// Also returns u''.
fn pinn_by_hand(act: Activation, theta: &[f64], x: &[f64], f: &[f64]) -> (Residual, Vec<f64>) {
    let c = theta[3 * M];
    let mut res = Residual::new();
    let mut u_xx = vec![0.0; N];
    for i in 0..N {
        let xi = x[i];
        let (alpha, beta, gamma) = (2.0, -2.0 * (1.0 - 2.0 * xi), -xi * (1.0 - xi));
        let mut r = 2.0 * c - f[i];
        res.jac[i * P + 3 * M] = 2.0;
        for Unit { a, b, v, ia, ib, iv } in units(theta) {
            let [s0, s1, s2, s3, s4] = sigma(act, a * xi + b);
            let phi = alpha * s0 + beta * a * s1 + gamma * a * a * s2;
            // ∂/∂b acts through z only (∂z/∂b = 1); ∂/∂a through z (∂z/∂a = x) and
            // through the explicit powers of a.
            let phi_b = alpha * s1 + beta * a * s2 + gamma * a * a * s3;
            let phi_bb = alpha * s2 + beta * a * s3 + gamma * a * a * s4;
            let phi_a = xi * phi_b + beta * s1 + 2.0 * gamma * a * s2;
            let phi_ab = xi * phi_bb + beta * s2 + 2.0 * gamma * a * s3;
            let phi_aa = xi * phi_ab + beta * xi * s2 + 2.0 * gamma * s2 + 2.0 * gamma * a * xi * s3;
            r += v * phi;
            res.jac[i * P + ia] = v * phi_a;
            res.jac[i * P + ib] = v * phi_b;
            res.jac[i * P + iv] = phi;
            res.set_hess(i, ia, ia, v * phi_aa);
            res.set_hess(i, ia, ib, v * phi_ab);
            res.set_hess(i, ib, ib, v * phi_bb);
            res.set_hess(i, ia, iv, phi_a);
            res.set_hess(i, ib, iv, phi_b);
        }
        res.r[i] = r;
        u_xx[i] = -r - f[i];
    }
    (res, u_xx)
}

fn arch() -> Arch {
    Arch::new(vec![1, M, 1]).unwrap()
}

fn rel(actual: &[f64], expected: &[f64]) -> f64 {
    max_abs_diff(actual, expected) / max_abs(expected)
}

/// Compares the graph's loss, residual, gradient and Hessian with the hand-written ones.
fn compare(problem: Problem, act: Activation, sample: &Sample, hand: &Residual) {
    let arch = arch();
    let lg = loss_graph(problem, &arch, act, N);
    assert_eq!(lg.n, P);
    let inputs = sample.inputs(problem);
    let mut p = lg.gradient_program();
    let mut g = lg.graph.clone();
    g.set_output("residual", lg.residual);
    let residual = run(&mut compile(&g), &inputs, &["residual"]).remove(0);
    let [loss, gradient] = <[Vec<f64>; 2]>::try_from(run(&mut p, &inputs, &["loss", "grad"])).unwrap();
    let label = format!("{problem:?} {act}");

    let err = rel(&residual, &hand.r);
    assert!(err <= TOL, "{label}: residual differs from the hand-written one by {err:e}");
    let hand_loss = 0.5 * hand.r.iter().map(|r| r * r).sum::<f64>();
    let err = (loss[0] - hand_loss).abs() / hand_loss;
    assert!(err <= TOL, "{label}: loss {} vs {hand_loss} by hand", loss[0]);
    let err = rel(&gradient, &hand.gradient());
    assert!(err <= TOL, "{label}: gradient differs from Jᵀr by {err:e}");

    let hessian = lg.dense_hessian(4, &inputs);
    let expected = hand.hessian();
    let err = rel(&hessian, &expected);
    assert!(err <= TOL, "{label}: Hessian differs from JᵀJ + Σ rᵢ∇²rᵢ by {err:e}");
    // The curvature term matters: without it the comparison must fail.
    let gauss_newton: Vec<f64> = (0..P * P)
        .map(|jk| (0..N).map(|i| hand.jac[i * P + jk / P] * hand.jac[i * P + jk % P]).sum())
        .collect();
    assert!(rel(&hessian, &gauss_newton) > 1e-3, "{label}: the residual term is negligible; test is vacuous");
}

#[test]
fn regression_hessian_matches_the_hand_written_network() {
    for act in Activation::ALL {
        let sample = Sample::draw(Problem::Regression, &arch(), N, 3);
        let hand = regression_by_hand(act, &sample.theta, &sample.x, &sample.target);
        compare(Problem::Regression, act, &sample, &hand);
    }
}

#[test]
fn pinn_hessian_matches_the_hand_written_network() {
    for act in Activation::ALL {
        let sample = Sample::draw(Problem::Pinn, &arch(), N, 5);
        let (hand, hand_u_xx) = pinn_by_hand(act, &sample.theta, &sample.x, &sample.target);
        compare(Problem::Pinn, act, &sample, &hand);

        // u'' from d2_dx2 against −2N + 2(1 − 2x)N' + x(1 − x)N''.
        let lg = loss_graph(Problem::Pinn, &arch(), act, N);
        let mut g = lg.graph.clone();
        let u_xx = saddle_ad::d2_dx2(&mut g, lg.u, lg.x).unwrap();
        g.set_output("u_xx", u_xx);
        let got = run(&mut compile(&g), &sample.inputs(Problem::Pinn), &["u_xx"]).remove(0);
        let err = rel(&got, &hand_u_xx);
        assert!(err <= TOL, "{act}: u'' differs from the hand-written one by {err:e}");
    }
}

/// `jacobian_columns` of u against the hand-written ∂u/∂θ, all columns in one batch
/// and one at a time.
#[test]
fn jacobian_matches_the_hand_written_network() {
    for act in Activation::ALL {
        let sample = Sample::draw(Problem::Regression, &arch(), N, 11);
        let hand = regression_by_hand(act, &sample.theta, &sample.x, &sample.target);
        let lg = loss_graph(Problem::Regression, &arch(), act, N);
        for chunk in [P, 1] {
            let mut g = lg.graph.clone();
            let columns = jacobian_columns(&mut g, lg.u, lg.theta, chunk).unwrap();
            g.clear_outputs();
            g.set_output("columns", columns);
            let mut p = compile(&g);
            let mut jac = vec![0.0; N * P];
            for start in (0..P).step_by(chunk) {
                let mut basis = vec![0.0; chunk * P];
                for k in 0..chunk.min(P - start) {
                    basis[k * P + start + k] = 1.0;
                }
                let mut inputs = sample.inputs(Problem::Regression).to_vec();
                inputs.push(("basis", &basis));
                let out = run(&mut p, &inputs, &["columns"]).remove(0);
                assert_eq!(out.len(), chunk * N);
                for k in 0..chunk.min(P - start) {
                    for i in 0..N {
                        jac[i * P + start + k] = out[k * N + i];
                    }
                }
            }
            let err = rel(&jac, &hand.jac);
            assert!(
                err <= TOL,
                "{act}, chunk {chunk}: Jacobian differs from the hand-written one by {err:e}"
            );
            if chunk == 1 {
                assert_eq!(block_jacobian(&lg, &sample), jac, "{act}: by blocks, bit for bit");
            }
        }
    }
}

/// The Jacobian from one program per parameter block ([`jacobian_block_columns`]), one
/// column per run.
fn block_jacobian(lg: &common::LossGraph, sample: &Sample) -> Vec<f64> {
    let mut jac = vec![f64::NAN; N * P];
    for block in param_blocks(&lg.graph, lg.theta) {
        let mut g = lg.graph.clone();
        let columns = jacobian_block_columns(&mut g, lg.u, lg.theta, block, 1).unwrap();
        g.clear_outputs();
        g.set_output("columns", columns);
        let mut p = compile(&g);
        for j in 0..block.len() {
            let mut basis = vec![0.0; block.len()];
            basis[j] = 1.0;
            let mut inputs = sample.inputs(Problem::Regression).to_vec();
            inputs.push(("basis", &basis));
            let out = run(&mut p, &inputs, &["columns"]).remove(0);
            for i in 0..N {
                jac[i * P + block.offset + j] = out[i];
            }
        }
    }
    jac
}
