//! Systems on the command line: a file with several outputs (Kovasznay flow, u, v, p)
//! through `problem`, `fit`, `compare`, `sweep` and `predict`; and sweep lines that carry
//! a file's trainable `[parameters]`.

mod support;

use std::fs;

use serde_json::Value;
use support::{run, workspace_root};

fn bundled(name: &str) -> String {
    workspace_root().join("examples/problems").join(name).display().to_string()
}

/// rel_l2 is over every output stacked, so it lies between the outputs' own.
fn check_errors(summary: &Value) {
    let overall = summary["rel_l2"].as_f64().unwrap();
    let outputs = summary["rel_l2_outputs"].as_object().unwrap_or_else(|| panic!("{summary}"));
    let mut names: Vec<&String> = outputs.keys().collect();
    names.sort();
    assert_eq!(names, ["p", "u", "v"]);
    let each: Vec<f64> = outputs.values().map(|v| v.as_f64().unwrap()).collect();
    let (lo, hi) = each.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), e| (lo.min(*e), hi.max(*e)));
    assert!(lo <= overall && overall <= hi, "{overall} not within {each:?}");
}

#[test]
fn a_system_reports_each_outputs_error() {
    let file = bundled("kovasznay.toml");
    let problem = run(["problem", &file, "--json"]).success_json();
    assert_eq!(problem["outputs"], serde_json::json!(["u", "v", "p"]));
    for term in problem["terms"].as_array().unwrap() {
        let r = term["at_exact"]["max_abs"].as_f64().unwrap();
        assert!(r <= 1e-13, "{}: {r:e} at the exact solution", term["name"]);
    }
    let net = ["--problem", &file, "--arch", "2,4,3", "--act", "tanh"];
    let fit = run(["fit"].iter().chain(&net).chain(&["--solver", "lm", "--max-iter", "3"])).success_json();
    check_errors(&Value::Object(fit));
    let compare =
        run(["compare"].iter().chain(&net).chain(&["--solvers", "lm", "--max-iter", "2"])).success_json();
    check_errors(&compare["runs"][0]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl");
    let out = out.to_str().unwrap();
    run(["sweep"].iter().chain(&net).chain(&[
        "--solvers",
        "lm",
        "--seeds",
        "1",
        "--max-iter",
        "2",
        "--out",
        out,
    ]))
    .success_json();
    let line: Value = serde_json::from_str(fs::read_to_string(out).unwrap().lines().next().unwrap()).unwrap();
    check_errors(&line);
    assert!(line.get("parameters").is_none(), "{line}");
    // A wrong output width is one error naming the outputs.
    let e = run(["fit", "--problem", &file, "--arch", "2,4,1", "--act", "tanh", "--solver", "lm"])
        .user_error(&["--arch 2,4,1: the output width must be 3, one per output of", "(u, v, p)"]);
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn predictions_of_a_system_have_a_column_per_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = bundled("kovasznay.toml");
    let theta = dir.path().join("theta.npy");
    let points = dir.path().join("points.csv");
    fs::write(&points, "y,x\n0.5,0.25\n-0.25,1\n").unwrap();
    let pred = dir.path().join("pred.csv");
    run([
        "fit",
        "--problem",
        &file,
        "--arch",
        "2,4,3",
        "--act",
        "tanh",
        "--solver",
        "lm",
        "--max-iter",
        "2",
        "--params-out",
        theta.to_str().unwrap(),
    ])
    .success_json();
    run([
        "predict",
        "--problem",
        &file,
        "--arch",
        "2,4,3",
        "--act",
        "tanh",
        "--params",
        theta.to_str().unwrap(),
        "--points",
        points.to_str().unwrap(),
        "--derivatives",
        "p_x,d(v, y)",
        "--out",
        pred.to_str().unwrap(),
    ])
    .success_json();
    let text = fs::read_to_string(&pred).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y,u,v,p,p_x,\"d(v, y)\""));
    assert_eq!(lines.count(), 2);
}

#[test]
fn sweep_lines_carry_the_trained_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inverse.toml");
    fs::write(
        &file,
        r#"
        inputs = ["x"]
        exact = "sin(pi*x)"
        [parameters]
        C = 0.5
        [[terms]]
        name = "pde"
        residual = "-C*u_xx - 2*pi^2*sin(pi*x)"
        points = { midpoints = { x = [0, 1, 12] } }
        [[terms]]
        name = "data"
        residual = "u - sin(pi*x)"
        points = { grid = { x = [0, 1, 9] } }
        "#,
    )
    .unwrap();
    let out = dir.path().join("runs.jsonl");
    run([
        "sweep",
        "--problem",
        file.to_str().unwrap(),
        "--arch",
        "1,4,1",
        "--act",
        "tanh",
        "--solvers",
        "lm",
        "--seeds",
        "2",
        "--max-iter",
        "30",
        "--out",
        out.to_str().unwrap(),
    ])
    .success_json();
    let lines: Vec<Value> =
        fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let c = line["parameters"]["C"].as_f64().unwrap_or_else(|| panic!("{line}"));
        // Learned from 0.5 towards the true 2.
        assert!((c - 2.0).abs() < 0.5, "C = {c}");
        assert!(line.get("rel_l2_outputs").is_none(), "{line}");
    }
}
