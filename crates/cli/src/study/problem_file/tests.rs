//! Problem files end to end in the library: derivatives against central differences, the
//! built-in problems as files, shards, the diagnostics' features and target, the error
//! against the exact solution, and the point sets' expressions, interiors, samples and
//! mean weights.

use std::path::{Path, PathBuf};

use saddle_graph::{Activation, Arch};

use super::{FileProblem, ProblemFile, SolutionError, TermLosses, exact_residuals};
use crate::study::compiled::{Derivatives, compile};
use crate::study::experiments::{endpoint, poisson_data, sine_data};
use crate::study::loss::LossSource;
use crate::study::problem::{Problem, ProblemKind};

/// Writes `text` as `name` in a fresh directory (with `extra` files beside it) and loads it.
pub(super) fn load(text: &str, extra: &[(&str, &str)]) -> ProblemFile {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in extra {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().join("problem.toml");
    std::fs::write(&path, text).unwrap();
    ProblemFile::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The error message of loading `text`.
pub(super) fn load_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("problem.toml");
    std::fs::write(&path, text).unwrap();
    ProblemFile::load(&path).map(|_| ()).unwrap_err().to_string()
}

/// A file of one term over x and t whose points are `points`.
fn one_term(points: &str) -> String {
    format!(
        "inputs = [\"x\", \"t\"]\n[constants]\nL = 2\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = {{ {points} }}\n"
    )
}

/// The points of [`one_term`]'s term.
fn term_points(points: &str) -> Vec<f64> {
    load(&one_term(points), &[]).terms.remove(0).points
}

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/problems").join(name)
}

/// A deterministic θ of moderate size.
pub(super) fn theta(n: usize, seed: u64) -> Vec<f64> {
    (0..n).map(|i| 0.6 * ((i as f64 + 1.0) * 0.7 + seed as f64 * 1.3).sin()).collect()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// The gradient against central differences of the loss, the HVP against central differences
/// of the gradient, and the Hessian: symmetric, and H·v equal to the HVP.
pub(super) fn check_derivatives(file: &ProblemFile, arch: &str, act: Activation) {
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
fn same_as_builtin(file: &str, kind: ProblemKind, data: crate::study::io::csv::Dataset, arch: &str) {
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
    assert_eq!(m, 2500 + 257 + 101);
    let x = theta(problem.param_count(), 5);
    let loss_of = |source: &dyn LossSource| {
        let mut p = compile(source, &|_, _| Ok(())).unwrap();
        p.set_input("theta", &x).unwrap();
        p.run();
        p.output("loss").unwrap()[0]
    };
    let whole = loss_of(&problem);
    let cuts = [0, 1000, 2550, 2800, m];
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

/// Coordinates given as expressions of numbers, pi and constants are the same points as the
/// numbers they evaluate to.
#[test]
fn expression_coordinates_equal_their_numbers() {
    assert_eq!(
        term_points(r#"grid = { x = [0, "2*pi", 5], t = "1/2" }"#),
        term_points("grid = { x = [0, 6.283185307179586, 5], t = 0.5 }")
    );
    let points = term_points(r#"midpoints = { x = ["-L/2", "L^2 - sqrt(4)", 2], t = "cos(pi)" }"#);
    assert_eq!(points, [-0.25, -1.0, 1.25, -1.0]);
    assert_eq!(
        term_points(r#"random = { n = 4, seed = 1, x = ["-pi", "pi"], t = 0 }"#),
        term_points("random = { n = 4, seed = 1, x = [-3.141592653589793, 3.141592653589793], t = 0 }")
    );
    let file = load(
        &format!(
            "{}[test]\npoints = {{ grid = {{ x = [0, \"L\", 3], t = [\"L\", \"2*L\", 2] }} }}\n",
            one_term("grid = { x = [0, 1, 2], t = 0 }")
        ),
        &[],
    );
    assert_eq!(file.test_points, [0., 2., 0., 4., 1., 2., 1., 4., 2., 2., 2., 4.]);
}

/// `interior` keeps the grid points on none of the excluded faces, in lattice order.
#[test]
fn interior_points_leave_out_the_excluded_faces() {
    let third = 1.0 / 3.0;
    let inner =
        term_points(r#"interior = { x = [0, 1, 4], t = [0, 1, 3], exclude = ["x=lo", "x=hi", "t=lo"] }"#);
    assert_eq!(inner, [third, 0.5, third, 1.0, 2.0 * third, 0.5, 2.0 * third, 1.0]);
    // Without exclude: no face at all.
    assert_eq!(term_points("interior = { x = [0, 1, 4], t = [0, 1, 3] }"), [third, 0.5, 2.0 * third, 0.5]);
    // A fixed input has no faces; one listed end of x leaves the other.
    assert_eq!(
        term_points(r#"interior = { x = [0, 1, 3], t = 7, exclude = ["x=hi"] }"#),
        [0.0, 7.0, 0.5, 7.0]
    );
    // Rathore et al.'s residual candidates: 255 × 100, t = 1 kept, t = 0 and both x ends left out.
    let points = term_points(
        r#"interior = { x = [0, "2*pi", 257], t = [0, 1, 101], exclude = ["x=lo", "x=hi", "t=lo"] }"#,
    );
    assert_eq!(points.len(), 2 * 25_500);
    let (x, t): (Vec<f64>, Vec<f64>) = points.chunks(2).map(|p| (p[0], p[1])).unzip();
    assert_eq!((x[0], t[0]), (2.0 * std::f64::consts::PI / 256.0, 0.01));
    assert_eq!(t[99], 1.0);
    let two_pi = 2.0 * std::f64::consts::PI;
    assert!(x.iter().all(|&x| x > 0.0 && x < two_pi) && t.iter().all(|&t| t > 0.0));
    assert_eq!(x[25_499], two_pi * 255.0 / 256.0);
}

/// `sample = N, seed = S` keeps N distinct lattice points in lattice order, the same for
/// the same seed.
#[test]
fn lattice_samples_are_seeded_subsets_in_lattice_order() {
    let grid = term_points("grid = { x = [0, 9, 10], t = 0 }");
    let sample =
        |seed: u64| term_points(&format!("grid = {{ x = [0, 9, 10], t = 0, sample = 5, seed = {seed} }}"));
    let a = sample(0);
    assert_eq!(a.len(), 10);
    let xs: Vec<f64> = a.chunks(2).map(|p| p[0]).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    assert!(a.chunks(2).all(|p| grid.chunks(2).any(|q| q == p)), "{a:?}");
    assert_eq!(a, sample(0));
    assert_ne!(a, sample(1));
    // All of a lattice is the lattice itself.
    assert_eq!(term_points("grid = { x = [0, 9, 10], t = 0, sample = 10, seed = 4 }"), grid);
    let file = load(
        &one_term(
            r#"interior = { x = [0, "2*pi", 257], t = [0, 1, 101], exclude = ["x=lo", "x=hi", "t=lo"], sample = 2500, seed = 0 }"#,
        ),
        &[],
    );
    assert_eq!(file.terms[0].count, 2500);
    for kind in ["midpoints", "boundary"] {
        let text = format!("{kind} = {{ x = [0, 1, 4], t = [0, 1, 4], sample = 3, seed = 2 }}");
        assert_eq!(term_points(&text).len(), 6, "{kind}");
    }
}

/// `weight = "mean"` is 1 / the term's point count: the same loss as that number.
#[test]
fn mean_weight_is_one_over_the_point_count() {
    let text = |w: &str| {
        format!(
            "inputs = [\"x\"]\n[[terms]]\nname = \"a\"\nresidual = \"u - x\"\nweight = {w}\npoints = {{ grid = {{ x = [0, 1, 7] }} }}\n[[terms]]\nname = \"b\"\nresidual = \"u_x\"\nweight = \"mean\"\npoints = {{ midpoints = {{ x = [0, 1, 4] }} }}\n"
        )
    };
    let mean = load(&text("\"mean\""), &[]);
    assert_eq!(mean.terms[0].weight, 1.0 / 7.0);
    assert_eq!(mean.terms[1].weight, 0.25);
    let number = load(&text("0.14285714285714285"), &[]);
    let loss = |file: &ProblemFile| {
        let problem = FileProblem::new(file, "1,3,1".parse().unwrap(), Activation::Tanh).unwrap();
        Derivatives::new(&problem).unwrap().loss(&theta(problem.param_count(), 6)).unwrap()
    };
    let (a, b) = (loss(&mean), loss(&number));
    assert!(a > 0.0 && a == b, "{a} vs {b}");
}

/// Faults in the new fields name the field and, in an expression, the column.
#[test]
fn point_set_faults_name_their_field() {
    let cases = [
        (
            r#"grid = { x = [0, "2*pi + y", 5], t = 0 }"#,
            "terms[0].points.grid.x: column 8: unknown name 'y' (constants: L)",
        ),
        (r#"grid = { x = [0, "2*x", 5], t = 0 }"#, "terms[0].points.grid.x: column 3: 'x' is an input"),
        (r#"grid = { x = [0, 1, 5], t = "u" }"#, "terms[0].points.grid.t: column 1: 'u' is the solution"),
        (
            r#"grid = { x = [0, 1, 5], t = "2*d(u_x, x)" }"#,
            "terms[0].points.grid.t: column 5: 'u_x' is the solution",
        ),
        (r#"grid = { x = [0, 1, 5], t = "1 +" }"#, "terms[0].points.grid.t: column 4: unexpected"),
        (
            r#"grid = { x = [0, 1, 5], t = "log(0)" }"#,
            "terms[0].points.grid.t: 'log(0)' is -inf, not a finite number",
        ),
        (
            r#"grid = { x = [0, 1, "5"], t = 0 }"#,
            "terms[0].points.grid.x: expected a whole number, found string",
        ),
        (r#"grid = { x = ["L", 1, 5], t = 0 }"#, "terms[0].points.grid.x: lo must be below hi, found [2, 1]"),
        (
            r#"interior = { x = [0, 1, 5], t = 0, exclude = ["x=lo", "t=lo"] }"#,
            "terms[0].points.interior.exclude[1]: 't=lo' is not NAME=lo or NAME=hi for a ranged input (x)",
        ),
        (
            r#"interior = { x = [0, 1, 5], t = 0, exclude = ["x=mid"] }"#,
            "terms[0].points.interior.exclude[0]: 'x=mid' is not NAME=lo",
        ),
        (
            r#"interior = { x = [0, 1, 5], t = 0, exclude = ["x=lo", "x=lo"] }"#,
            "terms[0].points.interior.exclude[1]: 'x=lo' is listed twice",
        ),
        (
            r#"interior = { x = [0, 1, 5], t = 0, exclude = "x=lo" }"#,
            "terms[0].points.interior.exclude: expected a list",
        ),
        (
            r#"interior = { x = [0, 1, 2], t = 0 }"#,
            "terms[0].points.interior: no points (every grid point lies on an excluded face)",
        ),
        (
            r#"grid = { x = [0, 1, 5], t = 0, exclude = ["x=lo"] }"#,
            "terms[0].points.grid: unknown field 'exclude'",
        ),
        (
            r#"grid = { x = [0, 1, 5], t = 0, sample = 6, seed = 0 }"#,
            "terms[0].points.grid.sample: 6 is more than the lattice's 5 points",
        ),
        (
            r#"grid = { x = [0, 1, 5], t = 0, sample = 0, seed = 0 }"#,
            "terms[0].points.grid.sample: expected a whole number of at least 1, found 0",
        ),
        (
            r#"boundary = { x = [0, 1, 5], t = 0, seed = 1 }"#,
            "terms[0].points.boundary.seed: a seed without sample = N",
        ),
        (
            r#"midpoints = { x = [0, 1, 5], t = 0, sample = 2 }"#,
            "terms[0].points.midpoints.seed: missing: the seed of the sample",
        ),
        (
            r#"random = { n = 3, seed = 1, x = [0, 1], t = 0, sample = 2 }"#,
            "terms[0].points.random: unknown field 'sample'",
        ),
    ];
    for (points, needle) in cases {
        let message = load_error(&one_term(points));
        assert!(message.contains(needle), "{points}: {message}");
        assert!(message.contains("problem.toml: ") && !message.contains('\n'), "{message}");
    }
    let weight = |w: &str| {
        load_error(
            &one_term("grid = { x = [0, 1, 5], t = 0 }")
                .replace("residual", &format!("weight = {w}\nresidual")),
        )
    };
    assert!(
        weight("\"median\"").contains("terms[0].weight: expected a number or \"mean\", found \"median\"")
    );
    assert!(weight("[1]").contains("terms[0].weight: expected a number or \"mean\", found array"));
    assert!(weight("-0.5").contains("terms[0].weight: must be at least 0, found -0.5"));
}

/// The largest |r| at the exact solution over every term, relative to max(1, max |r| at u ≡ 0).
fn worst_exact_residual(file: &ProblemFile) -> f64 {
    let residuals = exact_residuals(file).unwrap().unwrap();
    residuals
        .iter()
        .map(|r| {
            let worst = r.at_exact.iter().fold(0.0f64, |m, r| m.max(r.abs()));
            worst / r.at_zero.iter().fold(1.0f64, |m, r| m.max(r.abs()))
        })
        .fold(0.0, f64::max)
}

/// abs, sinh, cosh, atan, sigmoid and softplus in exact solutions whose derivatives (by
/// the transforms) satisfy closed forms: each residual is zero at the exact solution to
/// rounding, on both sides of 0 (abs' = sign, 0 itself not among the points).
#[test]
fn new_functions_have_their_closed_form_derivatives() {
    let cases = [
        ("cosh(2*x)", ["u_xx - 4*u", "u_x - 2*sinh(2*x)", "u - (exp(2*x) + exp(-2*x))/2"]),
        ("sinh(x)", ["u_xx - u", "u_x - cosh(x)", "u_xxx - cosh(x)"]),
        ("atan(x)", ["u_x - 1/(1 + x^2)", "u_xx + 2*x/(1 + x^2)^2", "tan_free(x)"]),
        ("x*abs(x)", ["u_x - 2*abs(x)", "u_xx - 2*x/abs(x)", "u_xxx"]),
        ("abs(x - 0.3)", ["u_x - (x - 0.3)/abs(x - 0.3)", "u_xx", "u - sqrt((x - 0.3)^2)"]),
        ("sigmoid(3*x)", ["u_x - 3*u*(1 - u)", "u - 1/(1 + exp(-3*x))", "u_xx - 9*u*(1 - u)*(1 - 2*u)"]),
        ("softplus(x)", ["u_x - sigmoid(x)", "u - log(1 + exp(x))", "u_xx - sigmoid(x)*(1 - sigmoid(x))"]),
    ];
    for (exact, residuals) in cases {
        let mut text = format!("inputs = [\"x\"]\nexact = \"{exact}\"\n");
        for (k, residual) in residuals.iter().enumerate() {
            // atan's third case: the identity tan(atan x) = x, with tan = sin/cos.
            let residual = residual.replace("tan_free(x)", "sin(u)/cos(u) - x");
            text.push_str(&format!(
                "[[terms]]\nname = \"t{k}\"\nresidual = \"{residual}\"\npoints = {{ grid = {{ x = [-1.05, 0.95, 9] }} }}\n"
            ));
        }
        let file = load(&text, &[]);
        assert!(file.terms[0].points.iter().all(|&x| x != 0.0 && (x - 0.3).abs() > 1e-3));
        assert!(file.terms[0].points.iter().any(|&x| x < 0.0));
        let worst = worst_exact_residual(&file);
        assert!(worst <= 1e-12, "{exact}: max |r| = {worst:e}");
    }
}

/// The new functions of u and its derivatives, differentiated with respect to θ: the
/// gradient and HVP against central differences (abs's argument stays away from 0).
#[test]
fn new_functions_of_u_have_exact_parameter_derivatives() {
    let file = load(
        r#"
        inputs = ["x"]
        trial = "softplus(N) + sigmoid(x)*N"
        [[terms]]
        name = "interior"
        residual = "u_xx - cosh(u) + atan(u_x) + abs(u - 5)*sinh(x) - abs(x)"
        points = { grid = { x = [-1, 1, 6] } }
        "#,
        &[],
    );
    check_derivatives(&file, "1,3,1", Activation::Tanh);
}

/// Constants are numbers or expressions of numbers, pi and earlier constants (file order,
/// not alphabetical: `nu` comes after `b`, `a` after `nu`).
#[test]
fn constants_are_expressions_of_earlier_constants() {
    let file = load(
        r#"
        inputs = ["x"]
        exact = "nu*x"
        [constants]
        nu = "0.01/pi"
        b = "2*nu + sqrt(4)"
        a = "-b^2"
        [[terms]]
        name = "r"
        residual = "u - nu*x + 0*a"
        points = { grid = { x = [0, "b", 3] } }
        "#,
        &[],
    );
    // 0.01/π in f64 arithmetic (as Python or NumPy compute it): one ulp above
    // 0.0031830988618379067, the real number 0.01/π correctly rounded.
    let nu = 0.003183098861837907;
    assert_eq!(nu, 0.01 / std::f64::consts::PI);
    let real: f64 = "0.0031830988618379067".parse().unwrap();
    assert_eq!(nu.to_bits() - 1, real.to_bits());
    let b = 2.0 * nu + 2.0;
    assert_eq!(file.terms[0].points, [0.0, b / 2.0, b]);
    let exact = file.exact.as_ref().unwrap();
    assert_eq!(
        *exact,
        [super::Resolved::Binary(
            super::expr::BinOp::Mul,
            Box::new(super::Resolved::Num(nu)),
            Box::new(super::Resolved::Input(0))
        )]
    );
    assert_eq!(worst_exact_residual(&file), 0.0);
    let constant =
        |value: &str| load_error(&format!("inputs = [\"x\"]\n[constants]\nk = 1\nc = {value}\nz = 2\n"));
    let cases = [
        (
            "\"k*z\"",
            "constants.c: column 3: 'z' is not defined yet: a constant uses numbers, pi and earlier constants",
        ),
        ("\"c + 1\"", "constants.c: column 1: 'c' is not defined yet"),
        ("\"2*x\"", "constants.c: column 3: 'x' is an input: a constant uses numbers"),
        ("\"u_x\"", "constants.c: column 1: 'u_x' is the solution"),
        ("\"q\"", "constants.c: column 1: unknown name 'q' (constants: k)"),
        ("\"log(-1)\"", "constants.c: 'log(-1)' is NaN, not a finite number"),
        ("\"1/\"", "constants.c: column 3: unexpected the end of the expression"),
        ("[1]", "constants.c: expected a number or an expression string, found array"),
        ("\"foo(1)\"", "constants.c: column 1: unknown function 'foo' (functions: abs, atan, cos"),
    ];
    for (value, needle) in cases {
        let message = constant(value);
        assert!(message.contains(needle), "{value}: {message}");
    }
}

/// Calling a name that is no function lists the functions.
#[test]
fn an_unknown_function_lists_the_functions() {
    let message = load_error(&one_term("grid = { x = [0, 1, 5], t = 0 }").replace("\"u\"", "\"u - erf(x)\""));
    assert!(
        message.contains(
            "terms[0].residual: column 5: unknown function 'erf' (functions: abs, atan, cos, cosh, exp, log, \
             sigmoid, sin, sinh, softplus, sqrt, tanh)"
        ),
        "{message}"
    );
}

/// `[test]`'s `exact` may use the test CSV's data columns: a reference column equal to the
/// closed form gives the same rel_l2 as the closed form.
#[test]
fn test_exact_from_data_columns_equals_the_closed_form() {
    let mut csv = String::from("y,x,u_ref,other\n");
    for i in 0..7 {
        for j in 0..5 {
            let (x, y) = (i as f64 / 6.0, j as f64 / 4.0 - 0.5);
            let exact = (std::f64::consts::PI * x).sin() * (1.0 + y * y);
            csv.push_str(&format!("{y:?},{x:?},{exact:?},{}\n", 7 * i + j));
        }
    }
    let inputs = "inputs = [\"x\", \"y\"]\n";
    let term =
        "[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 3], y = [0, 1, 3] } }\n";
    let test = "[test]\npoints = { csv = \"ref.csv\" }\n";
    let closed =
        load(&format!("{inputs}exact = \"sin(pi*x)*(1 + y^2)\"\n{term}{test}"), &[("ref.csv", &csv)]);
    let data = load(&format!("{inputs}{term}{test}exact = \"u_ref\"\n"), &[("ref.csv", &csv)]);
    assert!(closed.test_exact.is_none() && closed.exact.is_some());
    assert!(data.exact.is_none() && data.test_exact.is_some());
    assert_eq!(data.test_points, closed.test_points);
    assert_eq!(data.test_points[..4], [0.0, -0.5, 0.0, -0.25]);
    let arch: Arch = "2,3,1".parse().unwrap();
    let mut a = SolutionError::new(&closed, &arch, Activation::Tanh).unwrap().unwrap();
    let mut b = SolutionError::new(&data, &arch, Activation::Tanh).unwrap().unwrap();
    for seed in 0..3 {
        let x = theta(arch.param_count(), seed);
        let (ra, rb) = (a.rel_l2(&x).unwrap(), b.rel_l2(&x).unwrap());
        assert!(rel(ra, rb) <= 1e-14, "{ra} vs {rb}");
        assert!(ra > 0.1, "{ra}");
    }
    // A column of the test CSV that is not a name is refused once exact uses the columns;
    // u_ref is free there, u itself reserved.
    let bad = |header: &str, exact: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ref.csv"), format!("x,y,{header}\n0,0,1\n")).unwrap();
        let path = dir.path().join("problem.toml");
        std::fs::write(&path, format!("{inputs}{term}{test}exact = \"{exact}\"\n")).unwrap();
        ProblemFile::load(&path).map(|_| ()).unwrap_err().to_string()
    };
    assert!(bad("u", "u").contains("test.points.csv: column 'u' is reserved"), "{}", bad("u", "u"));
    assert!(bad("v", "u_x").contains("test.exact: column 1: u_x may appear only in residuals"));
    assert!(bad("v", "w").contains("test.exact: column 1: unknown name 'w' (inputs: x, y; data: v)"));
    let missing = load_error(&format!("{inputs}{term}[test]\nexact = \"1\"\n"));
    assert!(missing.contains("test.points: missing"), "{missing}");
}

/// Each term's ½·weight·Σr² adds up to the loss.
#[test]
fn term_losses_add_up_to_the_loss() {
    for name in ["poisson2d", "heat1d", "reaction"] {
        let file = ProblemFile::load(&bundled(&format!("{name}.toml"))).unwrap();
        let problem = FileProblem::new(&file, "2,5,1".parse().unwrap(), Activation::Tanh).unwrap();
        let mut derivs = Derivatives::new(&problem).unwrap();
        let mut terms = TermLosses::new(&problem, derivs.clone());
        let x = theta(problem.param_count(), 7);
        let loss = derivs.loss(&x).unwrap();
        let parts = terms.at(&x).unwrap();
        assert_eq!(parts.len(), file.terms.len());
        let sum: f64 = parts.iter().map(|(_, l)| l).sum();
        assert!(rel(sum, loss) <= 1e-12, "{name}: {sum} vs {loss}");
        assert!(parts.iter().all(|(_, l)| *l > 0.0), "{name}: {parts:?}");
        // Each term alone: the same term with weight w at its own points.
        let (first, l0) = parts[0];
        assert_eq!(first, file.terms[0].name);
        let r = file.terms[0].count;
        let mut residual = vec![0.0; problem.residual_count()];
        derivs.residuals(&x, &mut residual).unwrap();
        assert!(rel(l0, 0.5 * residual[..r].iter().map(|r| r * r).sum::<f64>()) <= 1e-15);
    }
}

/// The residuals at θ = 0 are those of u = the trial with N = 0.
#[test]
fn residuals_at_zero_parameters_use_the_trial_with_zero_output() {
    let file = load(
        r#"
        inputs = ["x"]
        trial = "x^2 + x*(1 - x)*N"
        [[terms]]
        name = "r"
        residual = "u_xx - 1"
        points = { grid = { x = [0, 1, 3] } }
        [[terms]]
        name = "s"
        residual = "u - 3"
        weight = 2
        points = { grid = { x = [0, 1, 2] } }
        "#,
        &[],
    );
    let r = super::residuals_at_zero_params(&file).unwrap();
    assert_eq!(r, [vec![1.0, 1.0, 1.0], vec![-3.0, -2.0]]);
    // The same as the loss graph's residuals at θ = 0 for any network.
    let problem = FileProblem::new(&file, "1,4,1".parse().unwrap(), Activation::Sin).unwrap();
    let mut residual = vec![0.0; 5];
    Derivatives::new(&problem).unwrap().residuals(&vec![0.0; problem.param_count()], &mut residual).unwrap();
    let w = 2f64.sqrt();
    assert_eq!(residual, [1.0, 1.0, 1.0, -3.0 * w, -2.0 * w]);
}

/// `predict`'s u is the trial of the network written out by hand, and its derivatives agree
/// with central differences of u.
#[test]
fn predictions_are_the_network_and_its_derivatives() {
    use super::predict::{csv_points, derivatives, predict};
    let file = load(
        r#"
        inputs = ["x", "y"]
        trial = "x*N + cosh(y)"
        [[terms]]
        name = "r"
        residual = "u"
        points = { grid = { x = [0, 1, 3], y = [0, 1, 3] } }
        "#,
        &[],
    );
    let arch: Arch = "2,3,1".parse().unwrap();
    let p = theta(arch.param_count(), 1);
    // W₁ (2 × 3, row-major), b₁, W₂ (3 × 1), b₂.
    let u = |x: f64, y: f64| {
        let net = p[12] + (0..3).map(|k| p[9 + k] * (p[k] * x + p[3 + k] * y + p[6 + k]).tanh()).sum::<f64>();
        x * net + y.cosh()
    };
    let points = [0.3, -0.7, 1.1, 0.4, -0.5, 2.0];
    let wanted = derivatives(&file, "u_x, d(u, y, x),u_yy").unwrap();
    assert_eq!(wanted.iter().map(|d| d.wrt.clone()).collect::<Vec<_>>(), [vec![0], vec![0, 1], vec![1, 1]]);
    let at =
        |points: &[f64]| predict(&file, &arch, Activation::Tanh, &p, points, &wanted, |_| Ok(())).unwrap();
    let prediction = at(&points);
    assert_eq!(prediction.headers, ["x", "y", "u", "u_x", "d(u, y, x)", "u_yy"]);
    assert_eq!(prediction.columns[0], [0.3, 1.1, -0.5]);
    let h = 1e-5;
    for (i, point) in points.chunks(2).enumerate() {
        let (x, y) = (point[0], point[1]);
        let got = prediction.columns[2][i];
        assert!(
            (got - u(x, y)).abs() <= 1e-14 * u(x, y).abs().max(1.0),
            "u({x}, {y}) = {got} vs {}",
            u(x, y)
        );
        // Rows: (x + h, y), (x − h, y), (x, y + h), (x, y − h).
        let shifted = at(&[x + h, y, x - h, y, x, y + h, x, y - h]);
        let column = |c: usize| &shifted.columns[c];
        let checks = [
            ("u_x", prediction.columns[3][i], (column(2)[0] - column(2)[1]) / (2.0 * h), 1e-8),
            ("u_xy", prediction.columns[4][i], (column(3)[2] - column(3)[3]) / (2.0 * h), 1e-8),
            ("u_yy", prediction.columns[5][i], (column(2)[2] - 2.0 * got + column(2)[3]) / (h * h), 1e-4),
        ];
        for (name, exact, numeric, tol) in checks {
            assert!(
                (exact - numeric).abs() <= tol * exact.abs().max(1.0),
                "{name} at ({x}, {y}): {exact} vs {numeric}"
            );
        }
    }
    let csv = prediction.csv();
    assert!(csv.starts_with("x,y,u,u_x,\"d(u, y, x)\",u_yy\n0.3,-0.7,"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    // Points from a CSV: the inputs by name, other columns ignored.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.csv");
    std::fs::write(&path, "y,w,x\n-0.7,9,0.3\n0.4,9,1.1\n").unwrap();
    assert_eq!(csv_points(&file, &path).unwrap(), [0.3, -0.7, 1.1, 0.4]);
    std::fs::write(&path, "x,w\n1,2\n").unwrap();
    let e = csv_points(&file, &path).unwrap_err().to_string();
    assert!(e.contains("no column 'y'") && e.contains("found: x, w"), "{e}");
    for (list, needle) in [
        ("u", "'u': not a derivative of u"),
        ("u_x,u_z", "'u_z': column 3: u_z: 'z' is not an input (inputs: x, y)"),
        ("u_xy,u_yx", "'u_yx': the same derivative as 'u_xy'"),
        ("u_x,,u_y", "an empty item"),
        ("sin(x)", "'sin(x)': not a derivative of u"),
        ("u_x(0, y)", "'u_x(0, y)': not a derivative of u"),
    ] {
        let e = derivatives(&file, list).unwrap_err().to_string();
        assert!(e.starts_with("--derivatives: ") && e.contains(needle), "{list}: {e}");
    }
}

/// A term without a name is named by its place, counted from 1.
#[test]
fn unnamed_terms_are_named_by_their_place() {
    let term = |name: &str| {
        format!("[[terms]]\n{name}residual = \"u\"\npoints = {{ grid = {{ x = [0, 1, 2] }} }}\n")
    };
    let file = load(&format!("inputs = [\"x\"]\n{}{}{}", term(""), term("name = \"b\"\n"), term("")), &[]);
    let names: Vec<&str> = file.terms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["term1", "b", "term3"]);
    let clash = load_error(&format!("inputs = [\"x\"]\n{}{}", term("name = \"term2\"\n"), term("")));
    assert!(clash.contains("terms[1].name: 'term2' names two terms"), "{clash}");
}

/// A file over x and y with one term `residual` at `points` and the exact solution `exact`.
fn plane(points: &str, residual: &str, exact: &str) -> String {
    format!(
        "inputs = [\"x\", \"y\"]\nexact = \"{exact}\"\n[[terms]]\nname = \"edge\"\nresidual = \"{residual}\"\npoints = {{ {points} }}\n"
    )
}

/// `where` keeps exactly the lattice points inside the region, in lattice order.
#[test]
fn where_filters_a_lattice() {
    let file = load(
        &plane("midpoints = { x = [-1, 1, 20], y = [-1, 1, 20] }, where = \"x^2 + y^2 < 1\"", "u", "0"),
        &[],
    );
    let mids: Vec<f64> = (0..20).map(|i| -1.0 + (i as f64 + 0.5) / 10.0).collect();
    let expect: Vec<f64> = mids
        .iter()
        .flat_map(|&x| mids.iter().map(move |&y| (x, y)))
        .filter(|(x, y)| x * x + y * y < 1.0)
        .flat_map(|(x, y)| [x, y])
        .collect();
    assert_eq!(expect.len() / 2, 316);
    let term = &file.terms[0];
    assert_eq!(term.count, 316);
    for (a, b) in term.points.iter().zip(&expect) {
        assert!((a - b).abs() < 1e-15, "{a} {b}");
    }
    // and, or, not: the disk less the left half, or the corner square.
    let pts = load(
        &plane(
            "grid = { x = [0, 1, 3], y = [0, 1, 3] }, where = \"not x < 0.5 and y <= 0.5 or x >= 1 and y > 0.5\"",
            "u",
            "0",
        ),
        &[],
    )
    .terms
    .remove(0)
    .points;
    assert_eq!(pts, [0.5, 0.0, 0.5, 0.5, 1.0, 0.0, 1.0, 0.5, 1.0, 1.0]);
    // Filtered before the sample: 5 of the 316.
    let sampled = load(
        &plane(
            "midpoints = { x = [-1, 1, 20], y = [-1, 1, 20], sample = 5, seed = 3 }, where = \"x^2 + y^2 < 1\"",
            "u",
            "0",
        ),
        &[],
    );
    assert_eq!(sampled.terms[0].count, 5);
    assert!(sampled.terms[0].points.chunks(2).all(|p| p[0] * p[0] + p[1] * p[1] < 1.0));
}

/// `random` with `where` draws until n points pass, the same for a seed; an empty region
/// is an error naming the acceptance rate.
#[test]
fn where_rejection_samples_random_points() {
    let spec = |seed: u64| {
        plane(
            &format!(
                "random = {{ n = 2000, seed = {seed}, x = [-1, 1], y = [-1, 1] }}, where = \"x^2 + y^2 < 1\""
            ),
            "u",
            "0",
        )
    };
    let a = load(&spec(1), &[]).terms.remove(0);
    assert_eq!(a.count, 2000);
    assert!(a.points.chunks(2).all(|p| p[0] * p[0] + p[1] * p[1] < 1.0));
    assert_eq!(a.points, load(&spec(1), &[]).terms[0].points);
    assert_ne!(a.points, load(&spec(2), &[]).terms[0].points);
    // The accepted points are the box's random points that pass, in order.
    let all = super::points::random(
        &[
            super::points::Axis::Range { lo: -1.0, hi: 1.0, count: 0 },
            super::points::Axis::Range { lo: -1.0, hi: 1.0, count: 0 },
        ],
        3000,
        1,
    );
    let inside: Vec<f64> =
        all.chunks(2).filter(|p| p[0] * p[0] + p[1] * p[1] < 1.0).flatten().copied().collect();
    assert_eq!(a.points[..], inside[..4000]);
    let e = load_error(&plane(
        "random = { n = 10, seed = 1, x = [-1, 1], y = [-1, 1] }, where = \"x^2 + y^2 < 0\"",
        "u",
        "0",
    ));
    assert!(
        e.contains("terms[0].points.where: only 0 of 1000 random points satisfy the condition (acceptance rate 0.000%)"),
        "{e}"
    );
    let e = load_error(&plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }, where = \"x > 2\"", "u", "0"));
    assert!(e.contains("terms[0].points.where: no point of the lattice satisfies the condition"), "{e}");
}

/// Curve normals on the unit circle are the points themselves; the points are the
/// midpoints of the parameter's pieces (so 0 and 2π are not both there).
#[test]
fn curve_and_segment_normals() {
    let file =
        load(&plane("curve = { x = \"cos(s)\", y = \"sin(s)\", s = [0, \"2*pi\", 200] }", "dn(u)", "0"), &[]);
    let term = &file.terms[0];
    assert_eq!(term.count, 200);
    let s0 = std::f64::consts::PI / 200.0;
    assert!((term.points[0] - s0.cos()).abs() < 1e-15 && (term.points[1] - s0.sin()).abs() < 1e-15);
    let (nx, ny) = (&term.data[0], &term.data[1]);
    for p in 0..200 {
        assert!((nx.1[p] - term.points[2 * p]).abs() < 1e-14, "{p}");
        assert!((ny.1[p] - term.points[2 * p + 1]).abs() < 1e-14, "{p}");
    }
    // An ellipse x = 2cos s, y = sin s: the normal (cos s, 2 sin s)/|·|.
    let file = load(&plane("curve = { x = \"2*cos(t)\", y = \"sin(t)\", t = [0, 1, 4] }", "dn(u)", "0"), &[]);
    let t = &file.terms[0];
    for p in 0..4 {
        let s = (p as f64 + 0.5) / 4.0;
        let len = s.cos().hypot(2.0 * s.sin());
        assert!((t.data[0].1[p] - s.cos() / len).abs() < 1e-15);
        assert!((t.data[1].1[p] - 2.0 * s.sin() / len).abs() < 1e-15);
    }
    // The bottom side of [-1, 1]², left to right (counter-clockwise): outward is −y.
    let file = load(&plane("segment = { from = [-1, -1], to = [1, -1], n = 4 }", "dn(u)", "0"), &[]);
    let t = &file.terms[0];
    assert_eq!(t.points, [-0.75, -1.0, -0.25, -1.0, 0.25, -1.0, 0.75, -1.0]);
    assert_eq!(t.data[0].1, [0.0; 4]);
    assert_eq!(t.data[1].1, [-1.0; 4]);
    // where filters a curve with its normals: the upper half of the circle.
    let file = load(
        &plane(
            "curve = { x = \"cos(s)\", y = \"sin(s)\", s = [0, \"2*pi\", 200] }, where = \"y > 0\"",
            "dn(u)",
            "0",
        ),
        &[],
    );
    let t = &file.terms[0];
    assert_eq!(t.count, 100);
    assert!(t.points.chunks(2).zip(&t.data[1].1).all(|(p, &ny)| p[1] > 0.0 && (ny - p[1]).abs() < 1e-14));
}

/// dn(u) at the exact solution: u = x² + y² has dn(u) = 2 on the unit circle, and on a
/// box's faces ∂u/∂n is ±u_x or ±u_y by the face.
#[test]
fn dn_is_the_normal_derivative() {
    let file = load(
        &plane(
            "curve = { x = \"cos(s)\", y = \"sin(s)\", s = [0, \"2*pi\", 200] }",
            "dn(u) - 2",
            "x^2 + y^2",
        ),
        &[],
    );
    let r = &exact_residuals(&file).unwrap().unwrap()[0];
    assert!(r.at_exact.iter().all(|v| v.abs() < 1e-12), "{:?}", r.at_exact);
    // On [0, 1]² with u = x + 2y + xy: dn(u) is −(1 + y), 1 + y, −(2 + x), 2 + x on
    // x = 0, x = 1, y = 0, y = 1 (corners on the x faces).
    let file = load(&plane("boundary = { x = [0, 1, 5], y = [0, 1, 5] }", "dn(u)", "x + 2*y + x*y"), &[]);
    let r = &exact_residuals(&file).unwrap().unwrap()[0];
    let t = &file.terms[0];
    for (p, v) in t.points.chunks(2).zip(&r.at_exact) {
        let (x, y) = (p[0], p[1]);
        let want = if x == 0.0 {
            -(1.0 + y)
        } else if x == 1.0 {
            1.0 + y
        } else if y == 0.0 {
            -(2.0 + x)
        } else {
            2.0 + x
        };
        assert!((v - want).abs() < 1e-13, "{p:?}: {v} vs {want}");
    }
    // dn of a derivative: dn(u_x) of u = x² y on the right face x = 1 is u_xx = 2y.
    let file = load(&plane("segment = { from = [1, 0], to = [1, 1], n = 3 }", "dn(u_x) - 2*y", "x^2*y"), &[]);
    assert!(worst_exact_residual(&file) < 1e-13);
    // The loss's gradient and HVP with a network, the normals as data inputs.
    check_derivatives(&file, "2,5,1", Activation::Tanh);
}

#[test]
fn dn_comparisons_and_regions_misused_are_errors() {
    let cases = [
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }", "dn(u)", "0"),
            "terms[0].residual: column 1: term 'edge': dn(...) needs outward normals: the term's points must be a boundary, segment or curve",
        ),
        (plane("boundary = { x = [0, 1, 3], y = [0, 1, 3] }", "dn(x)", "0"), "dn(...) differentiates u or a derivative of u"),
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }", "u - (x < 1)", "0"),
            "terms[0].residual: column 8: '<': comparisons, and, or, not are valid only in a point set's where",
        ),
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }", "not u", "0"),
            "column 1: 'not': comparisons, and, or, not are valid only",
        ),
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }, where = \"x + 1\"", "u", "0"),
            "terms[0].points.where: expected a condition",
        ),
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }, where = \"(x < 1) + 1 > 0\"", "u", "0"),
            "terms[0].points.where: expected a condition",
        ),
        (
            plane("grid = { x = [0, 1, 3], y = [0, 1, 3] }, where = \"u < 1\"", "u", "0"),
            "terms[0].points.where: column 1: u may appear only in residuals",
        ),
        (
            plane("segment = { from = [0, 0], to = [0, 0], n = 3 }", "u", "0"),
            "terms[0].points.segment.to: the segment has no length",
        ),
        (
            plane("curve = { x = \"1\", y = \"2\", s = [0, 1, 3] }", "u", "0"),
            "terms[0].points.curve: at s = 0.16666666666666666: the point (1, 2) or the tangent (0, 0) is not usable",
        ),
        (
            plane("curve = { x = \"cos(s)\", y = \"sin(s)\" }", "u", "0"),
            "terms[0].points.curve: expected the inputs and one parameter",
        ),
        (
            "inputs = [\"x\"]\n[[terms]]\nresidual = \"u\"\npoints = { segment = { from = [0, 0], to = [1, 0], n = 2 } }\n".into(),
            "terms[0].points.segment: a segment needs exactly 2 inputs, the file has 1",
        ),
    ];
    for (text, needle) in cases {
        let e = load_error(&text);
        assert!(e.contains(needle), "{needle}\n{e}");
    }
}

/// A file whose residuals use trainable `[parameters]`: every derivative includes them.
#[test]
fn trainable_parameters_have_exact_derivatives() {
    let file = load(
        r#"
        inputs = ["x"]
        trial = "x*(1 - x)*N"
        [constants]
        c0 = 0.25
        [parameters]
        C = "2*c0"
        D = -1.5
        [[terms]]
        name = "pde"
        residual = "-C*u_xx + D^2*u - 2*pi^2*sin(pi*x)"
        points = { midpoints = { x = [0, 1, 5] } }
        [[terms]]
        name = "data"
        residual = "u - x*D"
        weight = 3
        points = { csv = "data.csv" }
        "#,
        &[("data.csv", "x,w\n0.2,1\n0.7,2\n")],
    );
    assert_eq!(file.parameters, vec![("C".to_string(), 0.5), ("D".to_string(), -1.5)]);
    let problem = FileProblem::new(&file, "1,4,1".parse().unwrap(), Activation::Tanh).unwrap();
    assert_eq!(problem.param_count(), 13 + 2);
    // The output weights stay the network's last layer.
    assert_eq!(problem.output_weights(), 8..12);
    check_derivatives(&file, "1,4,1", Activation::Tanh);
    check_derivatives(&file, "1,3,3,1", Activation::Softplus);
}

/// r = C·x − u over points x_i: ∂r_i/∂C = x_i, so J's C column is x, ∂L/∂C = Σ r_i x_i and
/// H_CC = Σ x_i², whatever the network.
#[test]
fn a_parameter_derivatives_in_closed_form() {
    let file = load(
        r#"
        inputs = ["x"]
        [parameters]
        C = 0.5
        [[terms]]
        residual = "C*x - u"
        points = { midpoints = { x = [0, 1, 4] } }
        "#,
        &[],
    );
    let xs = [0.125, 0.375, 0.625, 0.875];
    let problem = FileProblem::new(&file, "1,2,1".parse().unwrap(), Activation::Tanh).unwrap();
    let n = problem.param_count();
    assert_eq!(n, 7 + 1);
    let mut d = Derivatives::new(&problem).unwrap();
    let mut x = theta(n, 3);
    x[7] = 0.8;
    let mut r = vec![0.0; 4];
    d.residuals(&x, &mut r).unwrap();
    // The network by hand: u = w2·tanh(w1 x + b1) + b2, θ = [W1 (2), b1 (2), W2 (2), b2].
    for (i, &xi) in xs.iter().enumerate() {
        let hidden = |k: usize| (x[k] * xi + x[2 + k]).tanh();
        let u = x[4] * hidden(0) + x[5] * hidden(1) + x[6];
        assert!((r[i] - (0.8 * xi - u)).abs() < 1e-14, "r{i} = {} vs {}", r[i], 0.8 * xi - u);
    }
    let mut grad = vec![0.0; n];
    d.gradient(&x, &mut grad).unwrap();
    let expected: f64 = r.iter().zip(&xs).map(|(r, x)| r * x).sum();
    assert!((grad[7] - expected).abs() < 1e-14, "∂L/∂C = {} vs {expected}", grad[7]);
    let mut jac = vec![0.0; 4 * n];
    d.jacobian(&x, &mut jac).unwrap();
    for (i, &xi) in xs.iter().enumerate() {
        assert_eq!(jac[i * n + 7], xi, "∂r{i}/∂C");
    }
    let mut hessian = vec![0.0; n * n];
    d.hessian(&x, &mut hessian).unwrap();
    let h_cc: f64 = xs.iter().map(|x| x * x).sum();
    assert!((hessian[n * n - 1] - h_cc).abs() < 1e-14, "H_CC = {} vs {h_cc}", hessian[n * n - 1]);
}

#[test]
fn parameter_names_and_places_are_checked() {
    let cases = [
        ("[parameters]\nx = 1\n", "parameters.x", "'x' is already taken"),
        ("[constants]\nk = 1\n[parameters]\nk = 1\n", "parameters.k", "'k' is already taken"),
        ("[parameters]\npi = 1\n", "parameters.pi", "'pi' is reserved"),
        ("[parameters]\nC = \"x\"\n", "parameters.C", "'x' is an input"),
        ("[parameters]\nC = true\n", "parameters.C", "expected a number or an expression string"),
        ("parameters = 3\n", "parameters", "expected a table of initial values"),
        ("[parameters]\nC = { exact = 1 }\n", "parameters.C.initial", "missing: the initial value"),
        (
            "[parameters]\nC = { initial = 1, truth = 2 }\n",
            "parameters.C",
            "unknown field 'truth' (expected: initial, exact)",
        ),
        ("[parameters]\nC = { initial = 1, exact = \"x\" }\n", "parameters.C.exact", "'x' is an input"),
        (
            "trial = \"C*N\"\n[parameters]\nC = 1\n",
            "trial",
            "'C' is a trainable parameter: parameters may appear only in residuals",
        ),
    ];
    for (head, field, message) in cases {
        let text = format!(
            "inputs = [\"x\"]\n{head}[[terms]]\nresidual = \"u\"\npoints = {{ midpoints = {{ x = [0, 1, 3] }} }}\n"
        );
        let e = load_error(&text);
        assert!(e.contains(field) && e.contains(message), "{head}: {e}");
    }
    // A CSV column may not be a parameter's name.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "x,C\n0.5,1\n").unwrap();
    let path = dir.path().join("problem.toml");
    std::fs::write(
        &path,
        "inputs = [\"x\"]\n[parameters]\nC = 1\n[[terms]]\nresidual = \"u - C\"\npoints = { csv = \"d.csv\" }\n",
    )
    .unwrap();
    let e = ProblemFile::load(&path).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("column 'C' is already taken"), "{e}");
}

/// A parameter's true value (`{ initial, exact }`) is what the residuals at the exact
/// solution use; θ starts at the initial one.
#[test]
fn a_parameter_exact_value_checks_the_residuals_at_the_truth() {
    let text = |c: &str| {
        format!(
            "inputs = [\"x\"]\nexact = \"sin(pi*x)\"\n[parameters]\nC = {c}\n[[terms]]\nname = \"pde\"\n\
             residual = \"-C*u_xx - 2*pi^2*sin(pi*x)\"\npoints = {{ midpoints = {{ x = [0, 1, 5] }} }}\n"
        )
    };
    let with_truth = load(&text("{ initial = 0.5, exact = \"4/2\" }"), &[]);
    assert_eq!(with_truth.parameters, [("C".to_string(), 0.5)]);
    assert_eq!(with_truth.parameters_exact, [Some(2.0)]);
    assert!(worst_exact_residual(&with_truth) <= 1e-13);
    // Without it the residuals use C = 0.5: −0.5·(−π² sin πx) − 2π² sin πx = −1.5π² sin πx,
    // ¾ of the source 2π² sin πx (the measure is relative to the source).
    let without = load(&text("0.5"), &[]);
    assert_eq!(without.parameters_exact, [None]);
    assert!((worst_exact_residual(&without) - 0.75).abs() <= 1e-14, "{}", worst_exact_residual(&without));
    let problem = FileProblem::new(&with_truth, "1,3,1".parse().unwrap(), Activation::Tanh).unwrap();
    assert_eq!(problem.parameters(), [("C".to_string(), 0.5)]);
}

/// A polygon's points share n by edge length, carry their edge's outward normal (for
/// counter-clockwise vertices), and `dn(u)` uses it: for u = x + y, dn(u) = n_x + n_y.
#[test]
fn polygon_points_and_normals() {
    let file = load(
        r#"
        inputs = ["x", "y"]
        exact = "x + y"
        [[terms]]
        name = "edge"
        residual = "dn(u)"
        points = { polygon = { vertices = [[0, 0], [2, 0], [2, 1], [0, "1/1"]], n = 12 } }
        "#,
        &[],
    );
    let term = &file.terms[0];
    assert_eq!(term.count, 12);
    // Edges of length 2, 1, 2, 1 of 6: 4, 2, 4, 2 points at the midpoints of equal pieces.
    let xs: Vec<f64> = term.points.iter().step_by(2).copied().collect();
    let ys: Vec<f64> = term.points.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(xs, [0.25, 0.75, 1.25, 1.75, 2., 2., 1.75, 1.25, 0.75, 0.25, 0., 0.]);
    assert_eq!(ys, [0., 0., 0., 0., 0.25, 0.75, 1., 1., 1., 1., 0.75, 0.25]);
    let residuals = exact_residuals(&file).unwrap().unwrap();
    let dn: Vec<f64> = residuals[0].at_exact.iter().map(|v| v + 0.0).collect();
    assert_eq!(dn, [-1., -1., -1., -1., 1., 1., 1., 1., 1., 1., -1., -1.]);
    let cases = [
        (
            "vertices = [[0, 0], [1, 0]], n = 4",
            "terms[0].points.polygon.vertices: expected a list of at least 3 points",
        ),
        ("vertices = [[0, 0], [1, 0], [1, 0]], n = 4", "vertices 1 and 2 are the same point"),
        (
            "vertices = [[0, 0], [1, 0], [1]], n = 4",
            "terms[0].points.polygon.vertices.2: expected a point [x, y]",
        ),
        ("vertices = [[0, 0], [1, 0], [1, 1]]", "terms[0].points.polygon.n: missing"),
        ("vertices = [[0, 0], [1, 0], [1, 1]], n = 0", "terms[0].points.polygon.n"),
        ("vertices = [[0, 0], [1, 0], [1, 1]], n = 3, m = 1", "unknown field 'm'"),
    ];
    for (spec, needle) in cases {
        let text = format!(
            "inputs = [\"x\", \"y\"]\n[[terms]]\nresidual = \"u\"\npoints = {{ polygon = {{ {spec} }} }}\n"
        );
        let e = load_error(&text);
        assert!(e.contains(needle), "{spec}: {e}");
    }
    let e = load_error(
        "inputs = [\"x\", \"y\", \"z\"]\n[[terms]]\nresidual = \"u\"\npoints = { polygon = { vertices = [[0, 0], [1, 0], [1, 1]], n = 3 } }\n",
    );
    assert!(e.contains("a polygon needs exactly 2 inputs, the file has 3"), "{e}");
}
