//! Per-term losses and reference data on the command line: `fit`'s summary and records
//! carry each term's ½·weight·Σr² (adding up to the loss), `saddle problem` each term's
//! scale at θ = 0, and `[test]`'s `exact` from a CSV's data columns gives the closed form's
//! rel_l2.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::{run, workspace_root};

fn bundled(name: &str) -> String {
    workspace_root().join("examples/problems").join(name).display().to_string()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}

/// The sum of a `terms` object's values.
fn sum(terms: &Value) -> f64 {
    terms.as_object().unwrap_or_else(|| panic!("terms: {terms}")).values().map(|v| v.as_f64().unwrap()).sum()
}

fn records(path: &Path) -> Vec<Value> {
    fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn fit_summaries_and_records_carry_each_terms_loss() {
    let dir = tempfile::tempdir().unwrap();
    let file = bundled("poisson2d.toml");
    let out = dir.path().join("run.jsonl");
    let common = ["--problem", &file, "--arch", "2,4,1", "--act", "tanh"];
    let summary = run(["fit"].iter().chain(&common).chain(&[
        "--solver",
        "lm",
        "--max-iter",
        "12",
        "--out",
        out.to_str().unwrap(),
    ]))
    .success_json();
    let terms = &summary["terms"];
    let names: Vec<&String> = terms.as_object().unwrap().keys().collect();
    assert_eq!(names, ["boundary", "interior"]);
    let loss = summary["loss"].as_f64().unwrap();
    assert!(rel(sum(terms), loss) <= 1e-12, "{terms} vs {loss}");
    // By default every 10th record carries them, iteration 0 included.
    let lines = records(&out);
    assert_eq!(lines.len(), 13);
    for line in &lines {
        let iter = line["iter"].as_u64().unwrap();
        assert_eq!(line.get("terms").is_some(), iter % 10 == 0, "iteration {iter}");
        if let Some(terms) = line.get("terms") {
            let loss = line["loss"].as_f64().unwrap();
            assert!(rel(sum(terms), loss) <= 1e-12, "iteration {iter}: {terms} vs {loss}");
        }
    }
    // --terms-every 1: every record.
    let summary = run(["fit"].iter().chain(&common).chain(&[
        "--solver",
        "adam",
        "--max-iter",
        "5",
        "--terms-every",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]))
    .success_json();
    assert!(rel(sum(&summary["terms"]), summary["loss"].as_f64().unwrap()) <= 1e-12);
    let lines = records(&out);
    assert_eq!(lines.len(), 6);
    for line in &lines {
        assert!(rel(sum(&line["terms"]), line["loss"].as_f64().unwrap()) <= 1e-12, "{line}");
    }
    run(["fit"].iter().chain(&common).chain(&["--solver", "lm", "--terms-every", "0"]))
        .user_error(&["--terms-every must be", "at least 1, got 0"]);
    // The built-in problems have no terms: null, and --terms-every is refused.
    let sine = workspace_root().join("examples/sine.csv");
    let builtin = [
        "fit",
        "--problem",
        "regression",
        "--arch",
        "1,3,1",
        "--act",
        "tanh",
        "--data",
        sine.to_str().unwrap(),
    ];
    let summary = run(builtin.iter().chain(&["--solver", "lm", "--max-iter", "2"])).success_json();
    assert!(summary["terms"].is_null());
    run(builtin.iter().chain(&["--solver", "lm", "--terms-every", "5"]))
        .user_error(&["--terms-every goes with a problem file"]);
}

#[test]
fn problem_reports_each_terms_scale_with_or_without_an_exact_solution() {
    // ENGD's heat equation: at θ = 0, u ≡ 0, so only the initial term u − sin πx is not
    // zero: ½ Σ sin²(πi/30) over i = 0..30 = 15/2.
    let out = run(["problem", &bundled("heat1d.toml")]).success_json();
    assert_eq!(out["test_exact"], false);
    let terms = out["terms"].as_array().unwrap();
    let scale = |k: usize, field: &str| terms[k]["scale"][field].as_f64().unwrap();
    assert!((scale(1, "loss") - 7.5).abs() <= 1e-13, "{}", scale(1, "loss"));
    assert!((scale(1, "max_abs") - 1.0).abs() <= 1e-15);
    assert!((scale(1, "rms") - (15.0f64 / 31.0).sqrt()).abs() <= 1e-15);
    for k in [0, 2, 3] {
        assert_eq!(scale(k, "loss"), 0.0, "{}", terms[k]["name"]);
    }
    // Without an exact solution, with a trial: u = x at θ = 0, so r = u_xx + 2 = 2.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    fs::write(
        &path,
        "inputs = [\"x\"]\ntrial = \"x + x*(1 - x)*N\"\n[[terms]]\nname = \"r\"\nresidual = \"u_xx + 2\"\n\
         weight = 0.5\npoints = { grid = { x = [0, 1, 3] } }\n",
    )
    .unwrap();
    let out = run(["problem", path.to_str().unwrap()]).success_json();
    assert_eq!(out["exact"], false);
    let term = &out["terms"][0];
    assert!(term.get("at_exact").is_none(), "{term}");
    assert_eq!(term["scale"], serde_json::json!({ "loss": 3.0, "max_abs": 2.0, "rms": 2.0 }));
}

#[test]
fn test_exact_from_a_reference_csv_gives_the_closed_forms_rel_l2() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("x,y,u_ref\n");
    for i in 0..9 {
        for j in 0..7 {
            let (x, y) = (i as f64 / 8.0, j as f64 / 6.0);
            let u = (std::f64::consts::PI * x).sin() * (std::f64::consts::PI * y).sin();
            csv.push_str(&format!("{x:?},{y:?},{u:?}\n"));
        }
    }
    fs::write(dir.path().join("ref.csv"), csv).unwrap();
    let poisson = fs::read_to_string(bundled("poisson2d.toml")).unwrap();
    let test = "[test]\npoints   = { interior = { x = [0, 1, 200], y = [0, 1, 200] } }";
    assert!(poisson.contains(test));
    let closed = poisson.replace(test, "[test]\npoints = { csv = \"ref.csv\" }");
    let data = closed
        .replace("exact  = \"sin(pi*x)*sin(pi*y)\"", "")
        .replace("points = { csv = \"ref.csv\" }", "points = { csv = \"ref.csv\" }\nexact = \"u_ref\"");
    let (a, b) = (dir.path().join("closed.toml"), dir.path().join("data.toml"));
    fs::write(&a, closed).unwrap();
    fs::write(&b, data).unwrap();
    let problem = run(["problem", b.to_str().unwrap()]).success_json();
    assert_eq!((problem["exact"].clone(), problem["test_exact"].clone()), (false.into(), true.into()));
    assert_eq!(problem["test_points"], 63);
    let fit = |path: &Path| {
        let out = dir.path().join("run.jsonl");
        let summary = run([
            "fit",
            "--problem",
            path.to_str().unwrap(),
            "--arch",
            "2,5,1",
            "--act",
            "tanh",
            "--solver",
            "lm",
            "--max-iter",
            "4",
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
        ])
        .success_json();
        let per_record: Vec<f64> = records(&out).iter().map(|r| r["rel_l2"].as_f64().unwrap()).collect();
        (summary["rel_l2"].as_f64().unwrap(), per_record)
    };
    let ((ra, ra_records), (rb, rb_records)) = (fit(&a), fit(&b));
    assert!(rel(ra, rb) <= 1e-14, "{ra} vs {rb}");
    assert!(ra > 0.0 && ra < 2.0, "{ra}");
    for (p, q) in ra_records.iter().zip(&rb_records) {
        assert!(rel(*p, *q) <= 1e-14, "{p} vs {q}");
    }
}
