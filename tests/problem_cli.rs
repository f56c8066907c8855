//! Problem files on the command line: `saddle problem`, every command with `--problem
//! FILE.toml`, `rel_l2` in summaries and records, and a table of malformed files, each one
//! `error:` line naming the file and field, exit 2, nothing written.

mod support;

use std::fs;
use std::path::PathBuf;

use support::{files_in, run, workspace_root};

fn bundled(name: &str) -> String {
    workspace_root().join("examples/problems").join(name).display().to_string()
}

#[test]
fn problem_summarizes_a_file_and_checks_it_at_the_exact_solution() {
    let out = run(["problem", &bundled("poisson2d.toml")]).success_json();
    assert_eq!(out["inputs"], serde_json::json!(["x", "y"]));
    assert_eq!(out["points"], 784 + 116);
    assert_eq!(out["test_points"], 198 * 198);
    assert_eq!(out["exact"], true);
    let terms = out["terms"].as_array().unwrap();
    assert_eq!(terms[0]["name"], "interior");
    assert_eq!(terms[0]["points"], 784);
    assert_eq!(terms[1]["points"], 116);
    // ENGD's loss: the interior mean plus 4 times the boundary mean.
    assert!((terms[0]["weight"].as_f64().unwrap() * 784.0 - 1.0).abs() < 1e-15);
    assert!((terms[1]["weight"].as_f64().unwrap() * 116.0 - 4.0).abs() < 1e-15);
    // The source term is 2π² sin(πx) sin(πy), at most 2π² ≈ 19.74 near the centre.
    let scale = terms[0]["at_exact"]["scale"].as_f64().unwrap();
    assert!((scale - 19.7).abs() < 0.05, "{scale}");
    for term in terms {
        let worst = term["at_exact"]["max_abs"].as_f64().unwrap();
        assert!(worst < 1e-11, "{}: {worst:e}", term["name"]);
    }
}

/// The bundled reaction file states Rathore et al.'s point sets: 2,500 of the 255 × 100
/// interior candidates, the 257-point initial row, the periodic condition at 101 t, and
/// the 129 × 101 test grid; every term a mean, and the exact solution satisfies each.
#[test]
fn the_bundled_reaction_file_has_the_papers_points() {
    let out = run(["problem", &bundled("reaction.toml")]).success_json();
    assert_eq!(out["points"], 2500 + 257 + 101);
    assert_eq!(out["test_points"], 129 * 101);
    let terms = out["terms"].as_array().unwrap();
    let counts: Vec<u64> = terms.iter().map(|t| t["points"].as_u64().unwrap()).collect();
    assert_eq!(counts, [2500, 257, 101]);
    for (term, n) in terms.iter().zip(counts) {
        // serde_json's parser may be one ulp off the printed value.
        let weight = term["weight"].as_f64().unwrap();
        assert!((weight * n as f64 - 1.0).abs() < 1e-15, "{}: {weight}", term["name"]);
        let worst = term["at_exact"]["max_abs"].as_f64().unwrap();
        assert!(worst < 1e-13, "{}: {worst:e}", term["name"]);
    }
}

#[test]
fn a_wrong_sign_shows_in_the_exact_residual() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sign.toml");
    let text =
        fs::read_to_string(bundled("poisson2d.toml")).unwrap().replace("-(u_xx + u_yy)", "(u_xx + u_yy)");
    fs::write(&path, text).unwrap();
    let out = run(["problem", path.to_str().unwrap()]).success_json();
    let worst = out["terms"][0]["at_exact"]["max_abs"].as_f64().unwrap();
    assert!(worst > 39.0, "{worst}");
}

#[test]
fn derivs_fit_and_bench_take_a_problem_file() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.npy");
    let grad = dir.path().join("g.npy");
    let file = bundled("poisson2d.toml");
    let common = ["--problem", &file, "--arch", "2,4,1", "--act", "tanh"];
    let fit = run(["fit"].iter().chain(&common).chain(&[
        "--solver",
        "lm",
        "--max-iter",
        "3",
        "--params-out",
        params.to_str().unwrap(),
        "--out",
        dir.path().join("run.jsonl").to_str().unwrap(),
    ]))
    .success_json();
    assert_eq!(fit["problem"], file.as_str());
    assert_eq!(fit["points"], 900);
    assert_eq!(fit["params"], 17);
    let rel_l2 = fit["rel_l2"].as_f64().unwrap();
    // rel_l2 recomputed here from the final θ on the file's test grid (the 198 × 198
    // interior nodes of a 200 × 200 grid): the [2,4,1] tanh network written out by hand,
    // W (fan_in × fan_out, row-major) then b per layer.
    let theta = support::read_vector(&params, 17);
    let (w1, b1, w2, b2) = (&theta[0..8], &theta[8..12], &theta[12..16], theta[16]);
    let (mut err2, mut exact2) = (0.0, 0.0);
    for i in 1..199 {
        for j in 1..199 {
            let (x, y) = (i as f64 / 199.0, j as f64 / 199.0);
            let u = b2 + (0..4).map(|k| w2[k] * (w1[k] * x + w1[4 + k] * y + b1[k]).tanh()).sum::<f64>();
            let exact = (std::f64::consts::PI * x).sin() * (std::f64::consts::PI * y).sin();
            err2 += (u - exact).powi(2);
            exact2 += exact * exact;
        }
    }
    let expected = (err2 / exact2).sqrt();
    assert!((rel_l2 - expected).abs() <= 1e-12 * expected, "{rel_l2} vs {expected}");
    assert!(rel_l2 < 1.0, "three LM steps improve on u = 0: {rel_l2}");
    let records = fs::read_to_string(dir.path().join("run.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(records.lines().last().unwrap()).unwrap();
    assert_eq!(last["rel_l2"].as_f64().unwrap(), rel_l2);
    let derivs = run(["derivs"].iter().chain(&common).chain(&[
        "--params",
        params.to_str().unwrap(),
        "--grad-out",
        grad.to_str().unwrap(),
    ]))
    .success_json();
    assert_eq!(derivs["loss"], fit["loss"]);
    let bench = run(["bench"].iter().chain(&common).chain(&["--budget", "0.01"])).success_json();
    assert_eq!(bench["points"], 900);
    assert!(bench["hessian_s"].as_f64().unwrap() > 0.0);
    // Built-in problems report rel_l2 as null.
    let sine = workspace_root().join("examples/sine.csv");
    let builtin = run([
        "fit",
        "--problem",
        "regression",
        "--arch",
        "1,3,1",
        "--act",
        "tanh",
        "--data",
        sine.to_str().unwrap(),
        "--max-iter",
        "2",
        "--solver",
        "bfgs",
    ])
    .success_json();
    assert!(builtin["rel_l2"].is_null());
}

#[test]
fn a_problem_file_refuses_data_and_points() {
    let file = bundled("poisson2d.toml");
    let sine = workspace_root().join("examples/sine.csv");
    run([
        "derivs",
        "--problem",
        &file,
        "--arch",
        "2,3,1",
        "--act",
        "tanh",
        "--data",
        sine.to_str().unwrap(),
        "--params",
        "p.npy",
    ])
    .user_error(&["--data does not go with --problem", "names its own points"]);
    run(["bench", "--problem", &file, "--arch", "2,3,1", "--act", "tanh", "--points", "10"])
        .user_error(&["--points does not go with --problem"]);
    run(["fit", "--problem", &file, "--arch", "1,3,1", "--act", "tanh", "--solver", "lm"])
        .user_error(&["--arch 1,3,1 takes 1 input(s)", "has 2 (x, y)"]);
    run(["fit", "--problem", "regression", "--arch", "1,3,1", "--act", "tanh", "--solver", "lm"])
        .user_error(&["--problem regression needs --data FILE"]);
    run(["fit", "--problem", "heat", "--arch", "1,3,1", "--act", "tanh", "--solver", "lm"])
        .user_error(&["'heat' is not a problem", "FILE.toml"]);
}

/// A malformed file: its text, extra files beside it, and what the one error line must say.
struct Bad {
    text: &'static str,
    extra: &'static [(&'static str, &'static str)],
    needles: &'static [&'static str],
}

const GOOD_TERM: &str =
    "[[terms]]\nname = \"r\"\nresidual = \"u_xx\"\npoints = { grid = { x = [0, 1, 5] } }\n";

#[test]
fn malformed_files_are_one_line_errors() {
    let term = GOOD_TERM;
    let cases: Vec<(String, Bad)> = vec![
        (
            "syntax".into(),
            Bad {
                text: "inputs = [\"x\"\n",
                extra: &[],
                needles: &["bad.toml: line 1: column 14: inputs: unclosed array"],
            },
        ),
        (
            "no inputs".into(),
            Bad { text: "[[terms]]\nname = \"r\"\n", extra: &[], needles: &["inputs: missing"] },
        ),
        (
            "empty inputs".into(),
            Bad { text: "inputs = []\n", extra: &[], needles: &["inputs: expected a non-empty list"] },
        ),
        (
            "reserved input".into(),
            Bad { text: "inputs = [\"u\"]\n", extra: &[], needles: &["inputs: 'u' is reserved"] },
        ),
        (
            "duplicate input".into(),
            Bad { text: "inputs = [\"x\", \"x\"]\n", extra: &[], needles: &["'x' is already taken"] },
        ),
        (
            "unknown field".into(),
            Bad { text: "inputs = [\"x\"]\nterm = 1\n", extra: &[], needles: &["unknown field 'term'"] },
        ),
        ("no terms".into(), Bad { text: "inputs = [\"x\"]\n", extra: &[], needles: &["terms: missing"] }),
        (
            "unknown name".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u - z\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 5: unknown name 'z' (inputs: x)"],
            },
        ),
        (
            "parse error".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u *\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 4: unexpected the end of the expression"],
            },
        ),
        (
            "N outside trial".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"N - 1\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 1: N (the network's output) may appear only in trial"],
            },
        ),
        (
            "u in trial".into(),
            Bad {
                text: "inputs = [\"x\"]\ntrial = \"x*u\"\n",
                extra: &[],
                needles: &["trial: column 3: u is the solution this trial defines"],
            },
        ),
        (
            "derivative by a non-input".into(),
            Bad {
                text: "inputs = [\"x\"]\n[constants]\nk = 1\n[[terms]]\nname = \"r\"\nresidual = \"d(u, k)\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 6: d(u, ...): 'k' is not an input"],
            },
        ),
        (
            "residual without u".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"sin(x)\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: does not involve u"],
            },
        ),
        (
            "negative weight".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\nweight = -1\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].weight: must be at least 0, found -1"],
            },
        ),
        (
            "missing input in points".into(),
            Bad {
                text: "inputs = [\"x\", \"t\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].points.grid.t: missing"],
            },
        ),
        (
            "two point kinds".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5] }, midpoints = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &[
                    "terms[0].points: expected exactly one of: grid, midpoints, boundary, interior, random, csv",
                ],
            },
        ),
        (
            "grid of one point".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 1] } }\n",
                extra: &[],
                needles: &["terms[0].points.grid.x: expected a whole number of at least 2, found 1"],
            },
        ),
        (
            "reversed range".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { midpoints = { x = [1, 0, 5] } }\n",
                extra: &[],
                needles: &["terms[0].points.midpoints.x: lo must be below hi"],
            },
        ),
        (
            "zero points".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { boundary = { x = 0.5 } }\n",
                extra: &[],
                needles: &["terms[0].points.boundary: no points"],
            },
        ),
        (
            "too many points".into(),
            Bad {
                text: "inputs = [\"x\", \"y\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 100000], y = [0, 1, 100000] } }\n",
                extra: &[],
                needles: &["terms[0].points.grid: more points than the limit of 10000000"],
            },
        ),
        (
            "csv without an input column".into(),
            Bad {
                text: "inputs = [\"x\", \"t\"]\n[[terms]]\nname = \"r\"\nresidual = \"u - y\"\npoints = { csv = \"d.csv\" }\n",
                extra: &[("d.csv", "x,y\n0,1\n")],
                needles: &["terms[0].points.csv:", "d.csv: no column 't'"],
            },
        ),
        (
            "csv with a bad cell".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u - y\"\npoints = { csv = \"d.csv\" }\n",
                extra: &[("d.csv", "x,y\n0,1\n0.5,abc\n")],
                needles: &["d.csv: line 3, column 2: \"abc\" is not a number"],
            },
        ),
        (
            "duplicate term names".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5] } }\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[1].name: 'r' names two terms"],
            },
        ),
        (
            "wrong point count for u".into(),
            Bad {
                text: "inputs = [\"x\", \"t\"]\n[[terms]]\nname = \"r\"\nresidual = \"u(0) - u\"\npoints = { grid = { x = 0, t = [0, 1, 3] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 2: u takes 2 coordinate(s) (x, t), found 1"],
            },
        ),
        (
            "string weight".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\nweight = \"big\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].weight: expected a number or \"mean\", found \"big\""],
            },
        ),
        (
            "expression with an unknown name".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, \"2*p\", 5] } }\n",
                extra: &[],
                needles: &["terms[0].points.grid.x: column 3: unknown name 'p'"],
            },
        ),
        (
            "expression with an input".into(),
            Bad {
                text: "inputs = [\"x\", \"t\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5], t = \"x/2\" } }\n",
                extra: &[],
                needles: &["terms[0].points.grid.t: column 1: 'x' is an input"],
            },
        ),
        (
            "unknown weight".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\nweight = \"sum\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].weight: expected a number or \"mean\", found \"sum\""],
            },
        ),
        (
            "bad exclude entry".into(),
            Bad {
                text: "inputs = [\"x\", \"t\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { interior = { x = [0, 1, 5], t = 0, exclude = [\"x=lo\", \"t=lo\"] } }\n",
                extra: &[],
                needles: &["terms[0].points.interior.exclude[1]: 't=lo' is not NAME=lo or NAME=hi"],
            },
        ),
        (
            "sample larger than the lattice".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { grid = { x = [0, 1, 5], sample = 9, seed = 0 } }\n",
                extra: &[],
                needles: &["terms[0].points.grid.sample: 9 is more than the lattice's 5 points"],
            },
        ),
        (
            "sample of none".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { boundary = { x = [0, 1, 5], sample = 0, seed = 0 } }\n",
                extra: &[],
                needles: &["terms[0].points.boundary.sample: expected a whole number of at least 1, found 0"],
            },
        ),
        (
            "seed without sample".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { midpoints = { x = [0, 1, 5], seed = 0 } }\n",
                extra: &[],
                needles: &["terms[0].points.midpoints.seed: a seed without sample"],
            },
        ),
        (
            "sample without a seed".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { interior = { x = [0, 1, 5], sample = 2 } }\n",
                extra: &[],
                needles: &["terms[0].points.interior.seed: missing: the seed of the sample"],
            },
        ),
        (
            "random without a seed".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u\"\npoints = { random = { n = 10, x = [0, 1] } }\n",
                extra: &[],
                needles: &["terms[0].points.random.seed: missing"],
            },
        ),
        (
            "exact with u".into(),
            Bad {
                text: "inputs = [\"x\"]\nexact = \"u + 1\"\n",
                extra: &[],
                needles: &["exact: column 1: u may appear only in residuals"],
            },
        ),
        (
            "derivative of order 9".into(),
            Bad {
                text: "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"d(u, x, x, x, x, x, x, x, x, x)\"\npoints = { grid = { x = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["terms[0].residual: column 1: a derivative of order 9 (at most 8 is supported)"],
            },
        ),
        (
            "shorthand with long names".into(),
            Bad {
                text: "inputs = [\"xi\"]\n[[terms]]\nname = \"r\"\nresidual = \"u_xi\"\npoints = { grid = { xi = [0, 1, 5] } }\n",
                extra: &[],
                needles: &["the shorthand u_xi needs one-letter input names"],
            },
        ),
    ];
    // An expression nested 10 000 deep: an error, not a stack overflow.
    let deep = format!(
        "inputs = [\"x\"]\n[[terms]]\nname = \"r\"\nresidual = \"u + {}x{}\"\npoints = {{ grid = {{ x = [0, 1, 5] }} }}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let deep: &'static str = Box::leak(deep.into_boxed_str());
    let mut cases = cases;
    cases.push((
        "deep nesting".into(),
        Bad {
            text: deep,
            extra: &[],
            needles: &["terms[0].residual: column", "nests more than 200 operations deep"],
        },
    ));
    assert!(cases.len() >= 15);
    for (what, bad) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        let text = if bad.text.contains("[[terms]]")
            || !bad.text.starts_with("inputs")
            || what == "no terms"
            || what == "syntax"
        {
            bad.text.to_string()
        } else {
            format!("{}{term}", bad.text)
        };
        fs::write(&path, text).unwrap();
        for (name, content) in bad.extra {
            fs::write(dir.path().join(name), content).unwrap();
        }
        let before = files_in(dir.path());
        let out: PathBuf = dir.path().join("out.jsonl");
        let p = path.to_str().unwrap();
        let line = run(["problem", p]).user_error(bad.needles);
        assert!(line.contains("bad.toml") || line.contains("d.csv"), "{what}: {line}");
        run([
            "fit",
            "--problem",
            p,
            "--arch",
            "1,3,1",
            "--act",
            "tanh",
            "--solver",
            "lm",
            "--out",
            out.to_str().unwrap(),
        ])
        .user_error(&[]);
        assert_eq!(files_in(dir.path()), before, "{what}: a failed run left files");
    }
}

/// Levenberg-Marquardt solves ENGD's 2-D Poisson problem with a [2,16,1] tanh network: from
/// seed 2, rel_l2 = 2.0e-6 after 300 iterations (3.8e-7 after 500; seeds 0, 1 and 3 reach
/// 2e-5 to 6e-5 after 300).
#[test]
fn lm_solves_the_2d_poisson_problem() {
    let out = run([
        "fit",
        "--problem",
        &bundled("poisson2d.toml"),
        "--arch",
        "2,16,1",
        "--act",
        "tanh",
        "--solver",
        "lm",
        "--max-iter",
        "300",
        "--seed",
        "2",
    ])
    .success_json();
    let rel_l2 = out["rel_l2"].as_f64().unwrap();
    assert!(rel_l2 <= 1e-4, "rel_l2 = {rel_l2:e}");
}

/// `compare` and `sweep` report rel_l2 per run on a problem file.
#[test]
fn compare_and_sweep_report_the_error() {
    let file = bundled("poisson1d.toml");
    let model = ["--problem", file.as_str(), "--arch", "1,4,1", "--act", "tanh"];
    let out = run(["compare"].iter().chain(&model).chain(&["--solvers", "lm,bfgs", "--max-iter", "40"]))
        .success_json();
    for r in out["runs"].as_array().unwrap() {
        let e = r["rel_l2"].as_f64().unwrap();
        assert!(e.is_finite() && e >= 0.0, "{r}");
    }
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("runs.jsonl");
    run([
        "sweep",
        "--problem",
        &file,
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
        lines.to_str().unwrap(),
    ])
    .success_json();
    let text = fs::read_to_string(&lines).unwrap();
    assert_eq!(text.lines().count(), 2);
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["problem"], file.as_str());
        assert!(r["rel_l2"].as_f64().unwrap() < 0.5, "{r}");
    }
}

/// A Neumann condition on the unit disk: points inside by rejection sampling, the circle as
/// a curve with its outward normal, and dn(u) = 2 for u = x² + y², so `saddle problem`
/// finds both residuals zero at the exact solution.
#[test]
fn problem_checks_a_neumann_condition_on_a_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("disk.toml");
    let text = r#"
inputs = ["x", "y"]
exact = "x^2 + y^2"

[[terms]]
name = "interior"
residual = "u_xx + u_yy - 4"
points = { random = { n = 2000, seed = 1, x = [-1, 1], y = [-1, 1] }, where = "x^2 + y^2 < 1" }

[[terms]]
name = "circle"
residual = "dn(u) - 2"
points = { curve = { x = "cos(s)", y = "sin(s)", s = [0, "2*pi", 200] } }
"#;
    fs::write(&path, text).unwrap();
    let out = run(["problem", path.to_str().unwrap()]).success_json();
    assert_eq!(out["points"], 2200);
    let terms = out["terms"].as_array().unwrap();
    assert_eq!(terms[1]["name"], "circle");
    assert_eq!(terms[1]["at_exact"]["scale"], 2.0);
    for term in terms {
        let worst = term["at_exact"]["max_abs"].as_f64().unwrap();
        assert!(worst < 1e-12, "{}: {worst:e}", term["name"]);
    }
    // dn on points without normals is an error naming the term.
    fs::write(&path, text.replace("u_xx + u_yy - 4", "dn(u)")).unwrap();
    run(["problem", path.to_str().unwrap()])
        .user_error(&["terms[0].residual: column 1: term 'interior': dn(...) needs outward normals"]);
    // Comparisons outside where.
    fs::write(&path, text.replace("dn(u) - 2", "dn(u) - (x < 0)")).unwrap();
    run(["problem", path.to_str().unwrap()]).user_error(&[
        "terms[1].residual: column 12: '<': comparisons, and, or, not are valid only in a point set's where",
    ]);
}

/// The inverse problem −C u'' = 2π² sin(πx) with data u = sin(πx) at 21 points: `fit`
/// learns the trainable C (true value 2) with the network, reports it by name, and writes
/// it after the network's parameters; the other commands take that θ, and a θ without it
/// is refused naming both parts of its length.
#[test]
fn fit_learns_a_trainable_coefficient() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("x,y\n");
    for i in 0..21 {
        let x = (i as f64 + 0.5) / 21.0;
        csv.push_str(&format!("{x},{}\n", (std::f64::consts::PI * x).sin()));
    }
    fs::write(dir.path().join("data.csv"), csv).unwrap();
    let file = dir.path().join("inverse.toml");
    fs::write(
        &file,
        r#"inputs = ["x"]
trial = "x*(1 - x)*N"
exact = "sin(pi*x)"

[parameters]
C = 0.5

[[terms]]
name = "data"
residual = "u - y"
points = { csv = "data.csv" }

[[terms]]
name = "pde"
residual = "-C*u_xx - 2*pi^2*sin(pi*x)"
points = { midpoints = { x = [0, 1, 20] } }
"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let params = dir.path().join("p.npy");
    let common = ["--problem", file, "--arch", "1,6,1", "--act", "tanh"];
    let fit = run(["fit"].iter().chain(&common).chain(&[
        "--solver",
        "lm",
        "--max-iter",
        "300",
        "--params-out",
        params.to_str().unwrap(),
    ]))
    .success_json();
    assert_eq!(fit["params"], 19 + 1);
    let c = fit["parameters"]["C"].as_f64().unwrap();
    assert!((c - 2.0).abs() < 1e-3, "learned C = {c}");
    assert!(fit["rel_l2"].as_f64().unwrap() < 1e-3, "{}", fit["rel_l2"]);
    let theta = support::read_vector(&params, 20);
    assert_eq!(theta[19], c);

    // compare reports the learned value per run.
    let compare = run(["compare"].iter().chain(&common).chain(&["--solvers", "lm", "--max-iter", "300"]))
        .success_json();
    assert_eq!(compare["params"], 20);
    let c = compare["runs"][0]["parameters"]["C"].as_f64().unwrap();
    assert!((c - 2.0).abs() < 1e-3, "compare's C = {c}");

    // derivs and predict take the whole θ.
    let derivs =
        run(["derivs"].iter().chain(&common).chain(&["--params", params.to_str().unwrap()])).success_json();
    assert_eq!(derivs["loss"], fit["loss"]);
    let out = dir.path().join("u.csv");
    run(["predict"].iter().chain(&common).chain(&[
        "--params",
        params.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]))
    .success_json();

    // A θ of the network's length alone is refused, naming both parts.
    let short = dir.path().join("short.npy");
    support::write_vector(&short, &theta[..19]);
    let expected = "20 values (the parameter count of --arch 1,6,1 (19) plus the file's 1 [parameters] (20))";
    for command in ["derivs", "predict", "fit"] {
        let mut args: Vec<&str> = vec![command];
        args.extend(common);
        args.extend(["--params", short.to_str().unwrap()]);
        if command == "fit" {
            args.extend(["--solver", "lm", "--max-iter", "1"]);
        }
        if command == "predict" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        run(&args).user_error(&[expected, "19"]);
    }
}
