//! A function with a known strict saddle and known minima: exact Newton is attracted to
//! the saddle, the methods that use negative curvature or a descent globalization are
//! not.
//!
//! r(x, y) = (x² − 1, y), f = ½(x² − 1)² + ½y², ∇f = (2x(x² − 1), y),
//! ∇²f = diag(6x² − 2, 1). The stationary points are (0, 0), where ∇²f = diag(−2, 1) (a
//! strict saddle of index 1, f = ½), and (±1, 0), where ∇²f = diag(4, 1) (the minima,
//! f = 0).
//!
//! **Newton's basin of the saddle.** The Hessian is diagonal, so Newton's iteration
//! splits: y ← y − y/1 = 0 in one step, and x ← x − 2x(x² − 1)/(6x² − 2) = 2x³/(3x² − 1).
//! For |x| < 1/√5 ≈ 0.447, |2x³/(3x² − 1)| / |x| = 2x²/(1 − 3x²) < 1, and this ratio only
//! shrinks as |x| does: the interval is invariant, |x| decreases monotonically, and the
//! only fixed point inside is 0, which the iteration reaches cubically (x ← ≈ −2x³).
//! So every (x, y) with |x| < 1/√5 lies in the saddle's Newton basin. From x₀ = 0.1:
//! x₁ = 2·10⁻³/(0.03 − 1) ≈ −2.06·10⁻³, x₂ ≈ 1.8·10⁻⁸, x₃ ≈ −10⁻²³.
//!
//! The other methods, from the same start (0.1, 0.5): the Hessian there is
//! diag(−1.94, 1), indefinite. Saddle-free Newton's |H| turns the x-step into descent
//! (+0.1 towards x = 1); the trust-region subproblem with an indefinite H takes λ ≥ 1.94,
//! so its x-step is a descent step too; BFGS starts along −∇f = (0.198, −0.5); LM's
//! x-step 2x(1 − x²)/(4x² + λ) is positive for 0 < x < 1 and its Gauss-Newton limit
//! x ← (x² + 1)/(2x) never leaves x > 0. None of them moves x towards 0, so all of them
//! end at the minimum (1, 0).

#[path = "../../../tests/support/docs.rs"]
mod docs;
#[path = "mgh/residual.rs"]
mod residual;

use faer::Mat;
use num_dual::DualNum;
use residual::{Residuals, SumOfSquares};
use saddle_solvers::analysis::curvature;
use saddle_solvers::{Classification, Control, Objective, Outcome, SolverKind, minimize};

/// r = (x² − 1, y).
struct DoubleWell;

impl Residuals for DoubleWell {
    fn dim(&self) -> usize {
        2
    }
    fn count(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D], r: &mut [D]) {
        r[0] = x[0] * x[0] - 1.0;
        r[1] = x[1];
    }
}

const START: [f64; 2] = [0.1, 0.5];

fn run(kind: SolverKind) -> (Outcome, saddle_solvers::Curvature) {
    let mut f = SumOfSquares::new(DoubleWell);
    // Fixed-step first-order methods get a hundred times more iterations.
    let max_iter = if matches!(kind, SolverKind::Gd | SolverKind::Adam) { 20_000 } else { 200 };
    let control = Control { max_iter, gtol: 1e-10, ..Control::default() };
    let mut method = kind.with_defaults();
    let out = minimize(&mut *method, &mut f, START.to_vec(), &control, &mut |_| {});
    let mut h = Mat::zeros(2, 2);
    f.hessian(&out.last.x, h.as_mut());
    let c = curvature(h.as_ref());
    (out, c)
}

#[test]
fn the_stationary_points_are_where_the_closed_form_puts_them() {
    let mut f = SumOfSquares::new(DoubleWell);
    for (point, value, classification, inertia) in [
        ([0.0, 0.0], 0.5, Classification::Saddle, [1, 0, 1]),
        ([1.0, 0.0], 0.0, Classification::Minimum, [0, 0, 2]),
        ([-1.0, 0.0], 0.0, Classification::Minimum, [0, 0, 2]),
    ] {
        let mut g = [1.0; 2];
        assert_eq!(f.gradient(&point, &mut g), value);
        assert_eq!(g, [0.0, 0.0]);
        let mut h = Mat::zeros(2, 2);
        f.hessian(&point, h.as_mut());
        let c = curvature(h.as_ref());
        assert_eq!((c.classification, c.inertia.as_array()), (classification, inertia), "at {point:?}");
    }
}

#[test]
fn exact_newton_converges_to_the_saddle() {
    let (out, c) = run(SolverKind::Newton);
    let [x, y] = [out.last.x[0], out.last.x[1]];
    assert_eq!(out.status, saddle_solvers::Status::Converged, "{out:?}");
    assert!(x.abs() <= 1e-10 && y.abs() <= 1e-10, "ended at ({x}, {y})");
    assert!((out.last.loss - 0.5).abs() <= 1e-12, "f = {}", out.last.loss);
    assert_eq!(c.classification, Classification::Saddle);
    assert_eq!(c.inertia.as_array(), [1, 0, 1], "index 1: one negative eigenvalue");
    assert!((c.min_eig + 2.0).abs() <= 1e-8 && (c.max_eig - 1.0).abs() <= 1e-8, "{c:?}");
    // Cubic convergence in x and one step in y: a handful of iterations.
    assert!(out.iterations <= 6, "{} iterations", out.iterations);
}

#[test]
fn curvature_aware_and_descent_methods_reach_the_minimum() {
    for kind in [SolverKind::SaddleFreeNewton, SolverKind::TrustRegion, SolverKind::Bfgs, SolverKind::Lm] {
        let (out, c) = run(kind);
        let [x, y] = [out.last.x[0], out.last.x[1]];
        assert!((x - 1.0).abs() <= 1e-6 && y.abs() <= 1e-6, "{kind}: ended at ({x}, {y}), {out:?}");
        assert!(out.last.loss <= 1e-12, "{kind}: f = {}", out.last.loss);
        assert_eq!(c.classification, Classification::Minimum, "{kind}: {c:?}");
        assert_eq!(c.inertia.as_array(), [0, 0, 2], "{kind}");
    }
}

/// Where every solver ends from the saddle's Newton basin: the three undamped Newton steps
/// at the saddle (0, 0), every other solver at a minimum (±1, 0). The table is published
/// like the MGH table (`target/saddle-table.md`; checked against docs/solvers-results.md,
/// rewritten with `SADDLE_UPDATE_DOCS=1`).
#[test]
fn where_every_solver_ends() {
    use std::fmt::Write;
    let mut table = String::from(
        "| solver | status | iterations | final (x, y) | f | classification | inertia |\n|---|---|---:|---|---:|---|---|\n",
    );
    for &kind in SolverKind::ALL {
        let (out, c) = run(kind);
        let [x, y] = [out.last.x[0], out.last.x[1]];
        if matches!(kind, SolverKind::Newton | SolverKind::NewtonPinv | SolverKind::NewtonMinres) {
            assert!(x.abs() <= 1e-10 && y.abs() <= 1e-10, "{kind}: ended at ({x}, {y})");
            assert!((out.last.loss - 0.5).abs() <= 1e-12, "{kind}: f = {}", out.last.loss);
            assert_eq!(c.classification, Classification::Saddle, "{kind}");
        } else {
            assert!((x.abs() - 1.0).abs() <= 1e-6 && y.abs() <= 1e-6, "{kind}: ended at ({x}, {y})");
            assert!(out.last.loss <= 1e-12, "{kind}: f = {}", out.last.loss);
            assert_eq!(c.classification, Classification::Minimum, "{kind}");
        }
        writeln!(
            table,
            "| `{kind}` | {} | {} | ({:.3e}, {:.3e}) | {:.3e} | {} | {:?} |",
            out.status.name(),
            out.iterations,
            out.last.x[0],
            out.last.x[1],
            out.last.loss,
            c.classification.name(),
            c.inertia.as_array()
        )
        .unwrap();
    }
    eprintln!("{table}");
    docs::publish("docs/solvers-results.md", "saddle-table.md", "saddle-table", &table);
}
