//! Problem files with several outputs: the network's columns through their trials, the
//! residuals and their exact derivatives, the error per output and overall, predictions,
//! and the faults of a misdeclared system.

use saddle_graph::{Activation, Arch};

use super::tests::{check_derivatives, load, load_error, theta};
use super::{FileProblem, SolutionError};
use crate::study::compiled::Derivatives;
use crate::study::loss::LossSource;

/// Two outputs over (x, y) with a trial on u only: v is the network's second column.
const SYSTEM: &str = r#"
    inputs = ["x", "y"]
    outputs = ["u", "v"]
    trial = { u = "x*N_u" }
    [[terms]]
    name = "coupled"
    residual = "u_x*v - d(v, y) + C*u"
    points = { grid = { x = [0.2, 1, 3], y = [-1, 1, 2] } }
    [parameters]
    C = 0.5
"#;

/// The network [2, 3, 2] tanh written out by hand: (N_u, N_v) and their x- and
/// y-derivatives at (x, y), for θ laid out W₁ (2 × 3), b₁, W₂ (3 × 2), b₂.
fn network(p: &[f64], x: f64, y: f64) -> [[f64; 3]; 2] {
    let mut out = [[0.0; 3]; 2];
    for (j, o) in out.iter_mut().enumerate() {
        o[0] = p[15 + j];
        for k in 0..3 {
            let h = (p[k] * x + p[3 + k] * y + p[6 + k]).tanh();
            let w = p[9 + 2 * k + j];
            o[0] += w * h;
            o[1] += w * (1.0 - h * h) * p[k];
            o[2] += w * (1.0 - h * h) * p[3 + k];
        }
    }
    out
}

#[test]
fn outputs_are_the_network_columns_through_their_trials() {
    let file = load(SYSTEM, &[]);
    assert_eq!(file.outputs, ["u", "v"]);
    let problem = FileProblem::new(&file, "2,3,2".parse().unwrap(), Activation::Tanh).unwrap();
    let n = problem.param_count();
    assert_eq!(n, 17 + 1);
    let p = theta(n, 3);
    let mut residual = vec![0.0; problem.residual_count()];
    Derivatives::new(&problem).unwrap().residuals(&p, &mut residual).unwrap();
    let c = p[17];
    let mut k = 0;
    for x in [0.2, 0.6, 1.0] {
        for y in [-1.0, 1.0] {
            let [nu, nv] = network(&p, x, y);
            // u = x N_u: u_x = N_u + x ∂N_u/∂x; v = N_v.
            let (u, u_x) = (x * nu[0], nu[0] + x * nu[1]);
            let want = u_x * nv[0] - nv[2] + c * u;
            assert!(
                (residual[k] - want).abs() <= 1e-14 * want.abs().max(1.0),
                "({x}, {y}): {} vs {want}",
                residual[k]
            );
            k += 1;
        }
    }
    assert_eq!(k, residual.len());
}

#[test]
fn a_system_has_exact_derivatives() {
    check_derivatives(&load(SYSTEM, &[]), "2,3,2", Activation::Tanh);
    let three = r#"
        inputs = ["x", "t"]
        outputs = ["h", "q", "w"]
        [[terms]]
        name = "a"
        residual = "h_t + q_x*w - sin(h_xx)"
        points = { grid = { x = [0, 1, 3], t = [0, 1, 2] } }
        [[terms]]
        name = "b"
        residual = "q(0, t) - w(1, t) + d(w, x, t)"
        points = { grid = { x = 0.5, t = [0, 1, 3] } }
    "#;
    check_derivatives(&load(three, &[]), "2,4,3", Activation::Tanh);
}

#[test]
fn errors_are_per_output_and_overall() {
    let file = load(
        r#"
        inputs = ["x", "y"]
        outputs = ["u", "v"]
        exact = { u = "x", v = "2*y" }
        [[terms]]
        name = "fit"
        residual = "u - x"
        points = { grid = { x = [0, 1, 3], y = [0, 1, 3] } }
        [test]
        points = { random = { n = 30, seed = 5, x = [-1, 1], y = [-1, 1] } }
        "#,
        &[],
    );
    // The linear network [2, 2]: N_j = x W[0][j] + y W[1][j] + b_j.
    let arch: Arch = "2,2".parse().unwrap();
    let mut error = SolutionError::new(&file, &arch, Activation::Tanh).unwrap().unwrap();
    assert_eq!(error.rel_l2(&[1.0, 0.0, 0.0, 2.0, 0.0, 0.0]).unwrap(), 0.0);
    assert_eq!(error.rel_l2(&[0.0; 6]).unwrap(), 1.0);
    // u = 2x, v = 2y: u's error is x, v's none.
    let theta = [2.0, 0.0, 0.0, 2.0, 0.0, 0.0];
    let per_output = error.rel_l2_outputs(&theta).unwrap();
    assert_eq!(per_output, [("u".to_string(), 1.0), ("v".to_string(), 0.0)]);
    let points = &file.test_points;
    let xx: f64 = points.iter().step_by(2).map(|x| x * x).sum();
    let yy: f64 = points.iter().skip(1).step_by(2).map(|y| y * y).sum();
    let overall = (xx / (xx + 4.0 * yy)).sqrt();
    assert!((error.rel_l2(&theta).unwrap() - overall).abs() <= 1e-15, "{overall}");
    let (stacked, json) = error.rel_l2_with_outputs(&theta).unwrap();
    assert!((stacked - overall).abs() <= 1e-15, "{stacked} vs {overall}");
    assert_eq!(json, Some(serde_json::json!({"u": 1.0, "v": 0.0})));
}

#[test]
fn predictions_give_every_output_and_any_derivative() {
    use super::predict::{derivatives, predict};
    let file = load(SYSTEM, &[]);
    let arch: Arch = "2,3,2".parse().unwrap();
    let p = theta(arch.param_count() + 1, 2);
    let wanted = derivatives(&file, "v_x,d(u, y),u_x").unwrap();
    let points = [0.3, -0.7, 1.1, 0.4];
    let prediction = predict(&file, &arch, Activation::Tanh, &p[..17], &points, &wanted, |_| Ok(())).unwrap();
    assert_eq!(prediction.headers, ["x", "y", "u", "v", "v_x", "d(u, y)", "u_x"]);
    for (i, point) in points.chunks(2).enumerate() {
        let (x, y) = (point[0], point[1]);
        let [nu, nv] = network(&p, x, y);
        let want = [x * nu[0], nv[0], nv[1], x * nu[2], nu[0] + x * nu[1]];
        for (c, w) in want.iter().enumerate() {
            let got = prediction.columns[2 + c][i];
            assert!(
                (got - w).abs() <= 1e-14 * w.abs().max(1.0),
                "{}: {got} vs {w}",
                prediction.headers[2 + c]
            );
        }
    }
    let e = derivatives(&file, "v").unwrap_err().to_string();
    assert!(
        e.contains("not a derivative of an output") && e.contains("the outputs u, v are always columns"),
        "{e}"
    );
    let e = derivatives(&file, "w_x").unwrap_err().to_string();
    assert!(e.contains("unknown name 'w_x'"), "{e}");
}

#[test]
fn the_network_must_give_every_output() {
    let file = load(SYSTEM, &[]);
    let e = FileProblem::new(&file, "2,3,1".parse().unwrap(), Activation::Tanh).unwrap_err().to_string();
    assert!(
        e.contains("--arch 2,3,1: the output width must be 2, one per output of") && e.ends_with("(u, v)"),
        "{e}"
    );
}

#[test]
fn a_misdeclared_system_is_one_error_naming_its_field() {
    let head = "inputs = [\"x\", \"y\"]\n";
    let term = "[[terms]]\nresidual = \"u + v\"\npoints = { grid = { x = [0, 1, 2], y = [0, 1, 2] } }\n";
    let cases = [
        ("outputs = []\n", "outputs: expected a non-empty list of names"),
        ("outputs = [\"u\", \"u\"]\n", "outputs: 'u' is listed twice"),
        ("outputs = [\"u_1\", \"v\"]\n", "outputs: 'u_1' is not an output name"),
        ("outputs = [\"u\", \"sin\"]\n", "outputs: 'sin' is reserved"),
        ("outputs = [\"u\", \"N\"]\n", "outputs: 'N' is reserved"),
        (
            "outputs = [\"u\", \"x\"]\n",
            "inputs: 'x' is reserved (pi, u, u_..., x, x_..., N, d and the functions)",
        ),
        ("outputs = [\"u\", \"v\"]\ntrial = \"N\"\n", "trial: with several outputs this is a table"),
        (
            "outputs = [\"u\", \"v\"]\ntrial = { u = \"N\" }\n",
            "trial.u: column 1: with several outputs the network's are N_u, N_v",
        ),
        ("outputs = [\"u\", \"v\"]\ntrial = { u = \"x\" }\n", "trial.u: the trial does not use N_u"),
        ("outputs = [\"u\", \"v\"]\ntrial = { w = \"N_u\" }\n", "trial: unknown field 'w' (expected: u, v)"),
        ("outputs = [\"u\", \"v\"]\nexact = { u = \"x\" }\n", "exact: missing: the output 'v'"),
        (
            "outputs = [\"u\", \"v\"]\nexact = { u = \"x\", v = \"v_x\" }\n",
            "exact.v: column 1: v_x may appear only in residuals",
        ),
        ("outputs = [\"u\", \"v\"]\n[constants]\nv_max = 1\n", "constants.v_max: 'v_max' is reserved"),
        ("trial = \"N_u\"\n", "trial: column 1: N_u: with one output the network's output is N"),
    ];
    for (extra, needle) in cases {
        let text = format!("{head}{extra}{term}");
        let e = load_error(&text);
        assert!(e.contains(needle), "{extra}: {e}");
    }
}

/// The diagnostics' features are ∂r/∂c for every output weight c = W_L[i][j]: hidden unit
/// i on the rows of terms that read output j, zero elsewhere; the target is −r with the
/// output layer zero.
#[test]
fn features_cover_every_output_weight() {
    use crate::study::experiments::endpoint;
    let file = load(
        r#"
        inputs = ["x", "y"]
        outputs = ["u", "v"]
        [[terms]]
        residual = "u - x"
        points = { grid = { x = [0, 1, 2], y = [0, 1, 2] } }
        [[terms]]
        residual = "v - y"
        points = { grid = { x = [0, 1, 3], y = 0.5 } }
        "#,
        &[],
    );
    let problem = FileProblem::new(&file, "2,3,2".parse().unwrap(), Activation::Tanh).unwrap();
    let p = theta(problem.param_count(), 5);
    let end = endpoint(&problem, &mut Derivatives::new(&problem).unwrap(), &p).unwrap();
    let rows: Vec<(f64, f64, usize)> = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
        .into_iter()
        .map(|(x, y)| (x, y, 0))
        .chain([0.0, 0.5, 1.0].into_iter().map(|x| (x, 0.5, 1)))
        .collect();
    assert_eq!(end.feature_count(), 6);
    assert_eq!(end.features.len(), rows.len() * 6);
    for (r, &(x, y, output)) in rows.iter().enumerate() {
        for i in 0..3 {
            let h = (p[i] * x + p[3 + i] * y + p[6 + i]).tanh();
            for j in 0..2 {
                let want = if j == output { h } else { 0.0 };
                let got = end.features[r * 6 + i * 2 + j];
                assert!((got - want).abs() <= 1e-15, "row {r}, W[{i}][{j}]: {got} vs {want}");
            }
        }
        let target = if output == 0 { x } else { y };
        assert_eq!(problem.target()[r], target);
    }
}
