//! Problem files end to end in the library: derivatives against central differences, the
//! built-in problems as files, shards, the diagnostics' features and target, the error
//! against the exact solution, and the point sets' expressions, interiors, samples and
//! mean weights.

use std::path::{Path, PathBuf};

use saddle_graph::{Activation, Arch};

use super::{FileProblem, ProblemFile, SolutionError, exact_residuals};
use crate::study::compiled::{Derivatives, compile};
use crate::study::experiments::{endpoint, poisson_data, sine_data};
use crate::study::loss::LossSource;
use crate::study::problem::{Problem, ProblemKind};

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

/// The error message of loading `text`.
fn load_error(text: &str) -> String {
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
