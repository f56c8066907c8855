//! Problem files end to end in the library: derivatives against central differences, the
//! built-in problems as files, shards, the diagnostics' features and target, and the error
//! against the exact solution.

use std::path::{Path, PathBuf};

use saddle_graph::{Activation, Arch};

use super::{FileProblem, ProblemFile, SolutionError, exact_residuals};
use crate::derivatives::{Derivatives, compile};
use crate::experiments::{endpoint, poisson_data, sine_data};
use crate::problem::{LossSource, Problem, ProblemKind};

/// Writes `text` as `name` in a fresh directory (with `extra` files beside it) and loads it.
fn load(text: &str, extra: &[(&str, &str)]) -> ProblemFile {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in extra {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().join("problem.toml");
    std::fs::write(&path, text).unwrap();
    ProblemFile::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/problems").join(name)
}

/// A deterministic θ of moderate size.
fn theta(n: usize, seed: u64) -> Vec<f64> {
    (0..n).map(|i| 0.6 * ((i as f64 + 1.0) * 0.7 + seed as f64 * 1.3).sin()).collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// The gradient against central differences of the loss, the HVP against central differences
/// of the gradient, and the Hessian: symmetric, and H·v equal to the HVP.
fn check_derivatives(file: &ProblemFile, arch: &str, act: Activation) {
    let problem = FileProblem::new(file, arch.parse().unwrap(), act).unwrap();
    let n = problem.param_count();
    let mut d = Derivatives::new(&problem).unwrap();
    let x = theta(n, 1);
    let v = theta(n, 2);
    let mut grad = vec![0.0; n];
    d.gradient(&x, &mut grad).unwrap();
    let h = 1e-6;
    let shifted = |x: &[f64], i: Option<usize>, dir: &[f64], t: f64| -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(j, &xj)| xj + t * i.map_or(dir[j], |i| f64::from(u8::from(i == j))))
            .collect()
    };
    let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs())).max(1.0);
    for (i, &g) in grad.iter().enumerate() {
        let fd = (d.loss(&shifted(&x, Some(i), &v, h)).unwrap()
            - d.loss(&shifted(&x, Some(i), &v, -h)).unwrap())
            / (2.0 * h);
        assert!((fd - g).abs() <= 1e-6 * scale, "{arch}: ∂L/∂θ{i} = {g} vs {fd}");
    }
    let mut hv = vec![0.0; n];
    d.hvp(&x, &v, &mut hv).unwrap();
    let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
    d.gradient(&shifted(&x, None, &v, h), &mut gp).unwrap();
    d.gradient(&shifted(&x, None, &v, -h), &mut gm).unwrap();
    let hv_scale = hv.iter().fold(0.0f64, |m, g| m.max(g.abs())).max(1.0);
    for (i, ((p, m), hv_i)) in gp.iter().zip(&gm).zip(&hv).enumerate() {
        let fd = (p - m) / (2.0 * h);
        assert!((fd - hv_i).abs() <= 1e-5 * hv_scale, "{arch}: (Hv){i} = {hv_i} vs {fd}");
    }
    let mut hessian = vec![0.0; n * n];
    d.hessian(&x, &mut hessian).unwrap();
    for (i, hv_i) in hv.iter().enumerate() {
        let row: f64 = (0..n).map(|j| hessian[i * n + j] * v[j]).sum();
        assert!((row - hv_i).abs() <= 1e-10 * hv_scale, "{arch}: (H·v){i} = {row} vs HVP {hv_i}");
        for j in 0..i {
            let (a, b) = (hessian[i * n + j], hessian[j * n + i]);
            assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{arch}: H[{i},{j}] = {a}, H[{j},{i}] = {b}");
        }
    }
}

#[test]
fn one_input_hard_constraint() {
    let file = load(
        r#"
        inputs = ["x"]
        trial = "x*(1 - x)*N"
        [[terms]]
        name = "interior"
        residual = "-u_xx - pi^2*sin(pi*x)"
        points = { midpoints = { x = [0, 1, 7] } }
        "#,
        &[],
    );
    check_derivatives(&file, "1,4,1", Activation::Tanh);
    check_derivatives(&file, "1,3,3,1", Activation::Softplus);
}

#[test]
fn two_inputs_soft_boundary_with_weights() {
    let file = load(
        r#"
        inputs = ["x", "y"]
        [[terms]]
        name = "interior"
        residual = "-(u_xx + u_yy) - 2*pi^2*sin(pi*x)*sin(pi*y)"
        points = { midpoints = { x = [0, 1, 3], y = [0, 1, 3] } }
        [[terms]]
        name = "boundary"
        residual = "u"
        weight = 10
        points = { boundary = { x = [0, 1, 4], y = [0, 1, 4] } }
        "#,
        &[],
    );
    check_derivatives(&file, "2,4,1", Activation::Sin);
    check_derivatives(&file, "2,3,3,1", Activation::Sigmoid);
}

#[test]
fn three_inputs_with_mixed_and_third_derivatives() {
    let file = load(
        r#"
        inputs = ["x", "y", "t"]
        trial = "sin(pi*x) + x*(1 - x)*N"
        [constants]
        k = 0.3
        [[terms]]
        name = "interior"
        residual = "u_t - k*(u_xx + u_yy) + d(u, x, y) - 0.1*d(u, x, x, x) - exp(-t)*x^3"
        points = { grid = { x = [0, 1, 3], y = [0, 1, 2], t = [0, 1, 2] } }
        [[terms]]
        name = "initial"
        residual = "u - sqrt(1 + x^2)*log(2 + y) + x^-1*0.01 + (1 + y)^2.5"
        weight = 2
        points = { grid = { x = [0.5, 1, 3], y = [0, 1, 2], t = 0 } }
        "#,
        &[],
    );
    check_derivatives(&file, "3,4,1", Activation::Tanh);
}

#[test]
fn periodic_terms_evaluate_u_elsewhere() {
    let file = load(
        r#"
        inputs = ["x", "t"]
        [constants]
        beta = 3
        [[terms]]
        name = "interior"
        residual = "u_t + beta*u_x"
        points = { midpoints = { x = [0, 6.283185307179586, 3], t = [0, 1, 2] } }
        [[terms]]
        name = "periodic"
        residual = "u(0, t) - u(2*pi, t) + d(u, x)(0, t) - u_x(2*pi, t)"
        points = { grid = { x = 0, t = [0, 1, 3] } }
        "#,
        &[],
    );
    assert_eq!(file.terms[1].shifted.len(), 2);
    let at_2pi = &file.terms[1].shifted[1];
    assert_eq!(
        at_2pi,
        &[2.0 * std::f64::consts::PI, 0.0, 2.0 * std::f64::consts::PI, 0.5, 2.0 * std::f64::consts::PI, 1.0]
    );
    check_derivatives(&file, "2,3,1", Activation::Softplus);
}

#[test]
fn csv_terms_use_data_variables() {
    let csv = "x,y,w,target\n0.1,0.2,1.0,0.3\n0.5,0.1,2.0,-0.2\n0.9,0.7,0.5,0.8\n0.3,0.9,1.5,0.1\n";
    let file = load(
        r#"
        inputs = ["x", "y"]
        [[terms]]
        name = "data"
        residual = "w*(u - target)"
        points = { csv = "data.csv" }
        "#,
        &[("data.csv", csv)],
    );
    assert_eq!(file.terms[0].points, [0.1, 0.2, 0.5, 0.1, 0.9, 0.7, 0.3, 0.9]);
    assert_eq!(file.terms[0].data[0], ("w".to_string(), vec![1.0, 2.0, 0.5, 1.5]));
    check_derivatives(&file, "2,3,1", Activation::Tanh);
    check_derivatives(&file, "2,1", Activation::Tanh);
}

/// The same loss, gradient and Hessian as the built-in problem on the same data, to 1e-12.
fn same_as_builtin(file: &str, kind: ProblemKind, data: crate::io::Dataset, arch: &str) {
    let file = ProblemFile::load(&bundled(file)).unwrap();
    let arch: Arch = arch.parse().unwrap();
    let from_file = FileProblem::new(&file, arch.clone(), Activation::Tanh).unwrap();
    let builtin = Problem::new(kind, arch, Activation::Tanh, data).unwrap();
    let n = builtin.param_count();
    let x = theta(n, 3);
    let mut results = Vec::new();
    for source in [&from_file as &dyn LossSource, &builtin] {
        let mut d = Derivatives::new(source).unwrap();
        let mut grad = vec![0.0; n];
        let loss = d.gradient(&x, &mut grad).unwrap();
        let mut hessian = vec![0.0; n * n];
        d.hessian(&x, &mut hessian).unwrap();
        results.push((loss, grad, hessian));
    }
    let (a, b) = (&results[0], &results[1]);
    assert!(rel(a.0, b.0) <= 1e-12, "loss {} vs {}", a.0, b.0);
    let close = |u: &[f64], v: &[f64]| {
        let scale = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        u.iter().zip(v).all(|(p, q)| (p - q).abs() <= 1e-12 * scale)
    };
    assert!(close(&a.1, &b.1), "gradients differ");
    assert!(close(&a.2, &b.2), "Hessians differ");
}

#[test]
fn bundled_sine_and_poisson1d_equal_the_builtins() {
    same_as_builtin("sine.toml", ProblemKind::Regression, sine_data(64), "1,10,1");
    same_as_builtin("poisson1d.toml", ProblemKind::Pinn, poisson_data(32), "1,8,1");
}

/// The diagnostics of a file's end point equal the built-in's: the features (∂r/∂c by
/// forward mode) and the target (−r with the output layer zero).
#[test]
fn features_and_target_match_the_builtin_pinn() {
    let file = ProblemFile::load(&bundled("poisson1d.toml")).unwrap();
    let arch: Arch = "1,5,1".parse().unwrap();
    let from_file = FileProblem::new(&file, arch.clone(), Activation::Tanh).unwrap();
    let builtin = Problem::new(ProblemKind::Pinn, arch, Activation::Tanh, poisson_data(32)).unwrap();
    for (t, f) in from_file.target().iter().zip(builtin.target()) {
        assert!(rel(*t, *f) <= 1e-14, "target {t} vs {f}");
    }
    let x = theta(builtin.param_count(), 4);
    let a = endpoint(&from_file, &mut Derivatives::new(&from_file).unwrap(), &x).unwrap();
    let b = endpoint(&builtin, &mut Derivatives::new(&builtin).unwrap(), &x).unwrap();
    assert_eq!(a.features.len(), 32 * 5);
    for (p, q) in a.features.iter().zip(&b.features) {
        assert!((p - q).abs() <= 1e-11 * q.abs().max(1.0), "feature {p} vs {q}");
    }
    for (p, q) in a.target_cosines.iter().zip(&b.target_cosines) {
        assert!((p - q).abs() <= 1e-12, "cosine {p} vs {q}");
    }
}

/// Shards of a many-point file add up to the whole loss.
#[test]
fn shards_add_up_to_the_whole() {
    let file = ProblemFile::load(&bundled("convection.toml")).unwrap();
    let problem = FileProblem::new(&file, "2,6,1".parse().unwrap(), Activation::Tanh).unwrap();
    let m = problem.residual_count();
    assert_eq!(m, 2500 + 101 + 51);
    let x = theta(problem.param_count(), 5);
    let loss_of = |source: &dyn LossSource| {
        let mut p = compile(source, &|_, _| Ok(())).unwrap();
        p.set_input("theta", &x).unwrap();
        p.run();
        p.output("loss").unwrap()[0]
    };
    let whole = loss_of(&problem);
    let cuts = [0, 1000, 2550, 2620, m];
    let parts: f64 = cuts.windows(2).map(|w| loss_of(&*problem.shard(w[0]..w[1]).unwrap())).sum();
    assert!(rel(whole, parts) <= 1e-12, "{whole} vs {parts}");
}

#[test]
fn relative_error_against_the_exact_solution() {
    let file = load(
        r#"
        inputs = ["x", "y"]
        exact = "2*x - y + 1"
        [[terms]]
        name = "fit"
        residual = "u - (2*x - y + 1)"
        points = { grid = { x = [0, 1, 3], y = [0, 1, 3] } }
        [test]
        points = { random = { n = 20, seed = 3, x = [0, 1], y = [-1, 1] } }
        "#,
        &[],
    );
    let arch: Arch = "2,1".parse().unwrap();
    let mut error = SolutionError::new(&file, &arch, Activation::Tanh).unwrap().unwrap();
    assert_eq!(error.rel_l2(&[2.0, -1.0, 1.0]).unwrap(), 0.0);
    assert_eq!(error.rel_l2(&[0.0, 0.0, 0.0]).unwrap(), 1.0);
    assert!((error.rel_l2(&[4.0, -2.0, 2.0]).unwrap() - 1.0).abs() < 1e-15);
}

/// Every bundled problem's residuals vanish at its exact solution, to rounding.
#[test]
fn bundled_problems_hold_at_their_exact_solutions() {
    for name in ["poisson1d", "poisson2d", "heat1d", "helmholtz2d", "convection", "reaction", "wave"] {
        let file = ProblemFile::load(&bundled(&format!("{name}.toml"))).unwrap();
        let residuals = exact_residuals(&file).unwrap().unwrap();
        for (term, r) in file.terms.iter().zip(&residuals) {
            let worst = r.at_exact.iter().fold(0.0f64, |m, r| m.max(r.abs()));
            let scale = r.at_zero.iter().fold(1.0f64, |m, r| m.max(r.abs()));
            assert!(worst <= 1e-8 * scale, "{name}.{}: max |r| = {worst:e} (scale {scale})", term.name);
        }
    }
}
