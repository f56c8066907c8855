//! `saddle fit` end to end: every solver on a small regression and a small PINN, the
//! one-step Newton solution of a linear model, records, reproducibility, divergence,
//! and argument errors.

mod support;

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};
use support::{files_in, read_vector, run};

const SOLVERS: [&str; 17] = [
    "newton",
    "newton-pinv",
    "newton-minres",
    "damped-newton",
    "saddle-free-newton",
    "trust-region",
    "newton-cg",
    "gauss-newton",
    "lm",
    "bfgs",
    "lbfgs",
    "adam",
    "gd",
    "engd",
    "nncg",
    "ssbfgs",
    "ssbroyden",
];

/// Writes a CSV with the given header and rows.
fn write_csv(path: &Path, header: &str, rows: &[Vec<f64>]) {
    let mut text = format!("{header}\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

fn fit(data: &Path, problem: &str, arch: &str, extra: &[&str]) -> support::Run {
    let mut args = vec!["fit", "--problem", problem, "--arch", arch, "--act", "tanh", "--data"];
    let data = data.to_str().unwrap();
    args.push(data);
    args.extend_from_slice(extra);
    run(args)
}

fn number(summary: &Map<String, Value>, key: &str) -> f64 {
    summary[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {}", summary[key]))
}

/// The classification the contract (docs/CONTRACT.md) implies for an inertia
/// [negative, zero, positive].
fn classification_of(inertia: &[u64]) -> &'static str {
    match (inertia[0], inertia[1], inertia[2]) {
        (0, 0, p) if p > 0 => "minimum",
        (n, 0, 0) if n > 0 => "maximum",
        (n, _, p) if n > 0 && p > 0 => "saddle",
        _ => "degenerate",
    }
}

/// Checks one run: the summary's fields and their consistency, the records, and the
/// written parameters against a fresh `saddle derivs`. Returns (initial, final) loss.
fn check_run(dir: &Path, data: &Path, problem: &str, arch: &str, solver: &str, extra: &[&str]) -> (f64, f64) {
    let out = dir.join(format!("{solver}.jsonl"));
    let params = dir.join(format!("{solver}.npy"));
    let mut args = vec![
        "--solver",
        solver,
        "--seed",
        "3",
        "--max-iter",
        "30",
        "--out",
        out.to_str().unwrap(),
        "--params-out",
        params.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let summary = fit(data, problem, arch, &args).success_json();
    for key in [
        "solver",
        "status",
        "iterations",
        "loss",
        "grad_norm",
        "classification",
        "inertia",
        "min_eig",
        "max_eig",
    ] {
        assert!(summary.contains_key(key), "{solver}: summary lacks {key}: {summary:?}");
    }
    assert_eq!(summary["solver"], solver);
    let n = summary["params"].as_u64().unwrap();
    let inertia: Vec<u64> =
        summary["inertia"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(inertia.iter().sum::<u64>(), n, "{solver}: inertia {inertia:?} does not sum to n = {n}");
    assert_eq!(summary["classification"], classification_of(&inertia), "{solver}: {summary:?}");
    assert!(number(&summary, "min_eig") <= number(&summary, "max_eig"));

    let records: Vec<Map<String, Value>> = fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{solver}: bad record {l:?}: {e}")))
        .collect();
    let iterations = summary["iterations"].as_u64().unwrap() as usize;
    assert_eq!(records.len(), iterations + 1, "{solver}: one record per iteration plus the start");
    let mut last_evals = 0;
    for (k, r) in records.iter().enumerate() {
        assert_eq!(r["iter"].as_u64(), Some(k as u64), "{solver}: record {k}");
        for key in ["loss", "grad_norm", "step_norm", "seconds"] {
            assert!(r[key].as_f64().is_some_and(f64::is_finite), "{solver}: record {k} {key}: {r:?}");
        }
        let evals: u64 = r["evals"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(evals >= last_evals, "{solver}: evaluation counts are cumulative");
        last_evals = evals;
    }
    let final_loss = number(&summary, "loss");
    assert_eq!(records[iterations]["loss"].as_f64(), Some(final_loss), "{solver}: last record = summary");

    // The reported loss is the loss of the written parameters.
    let theta = read_vector(&params, n as usize);
    assert!(theta.iter().all(|v| v.is_finite()));
    let derivs = run([
        "derivs",
        "--problem",
        problem,
        "--arch",
        arch,
        "--act",
        "tanh",
        "--data",
        data.to_str().unwrap(),
        "--params",
        params.to_str().unwrap(),
    ])
    .success_json();
    let recomputed = number(&derivs, "loss");
    assert!(
        (recomputed - final_loss).abs() <= 1e-12 * final_loss.abs().max(1e-300),
        "{solver}: reported {final_loss}, recomputed {recomputed}"
    );
    (records[0]["loss"].as_f64().unwrap(), final_loss)
}

#[test]
fn every_solver_on_a_small_regression() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sine.csv");
    let rows: Vec<Vec<f64>> = (0..16)
        .map(|i| {
            let x = i as f64 / 15.0;
            vec![x, (2.0 * std::f64::consts::PI * x).sin()]
        })
        .collect();
    write_csv(&data, "x,y", &rows);
    for solver in SOLVERS {
        let extra: &[&str] = if matches!(solver, "gd" | "adam") { &["--learning-rate", "0.01"] } else { &[] };
        let (start, end) = check_run(dir.path(), &data, "regression", "1,4,1", solver, extra);
        // Exact Newton (either variant) is attracted to any stationary point, so it need
        // not lower the loss; every other solver must.
        if !solver.starts_with("newton") || solver == "newton-cg" {
            assert!(end < start, "{solver}: loss went from {start} to {end}");
        }
    }
}

#[test]
fn every_solver_on_a_small_pinn() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("poisson.csv");
    let pi = std::f64::consts::PI;
    let rows: Vec<Vec<f64>> = (0..12)
        .map(|i| {
            let x = (i as f64 + 0.5) / 12.0;
            vec![x, pi * pi * (pi * x).sin()]
        })
        .collect();
    write_csv(&data, "x,f", &rows);
    for solver in SOLVERS {
        let extra: &[&str] = if matches!(solver, "gd" | "adam") { &["--learning-rate", "1e-4"] } else { &[] };
        let (start, end) = check_run(dir.path(), &data, "pinn", "1,4,1", solver, extra);
        // Exact Newton (either variant) is attracted to any stationary point, so it need
        // not lower the loss; every other solver must.
        if !solver.starts_with("newton") || solver == "newton-cg" {
            assert!(end < start, "{solver}: loss went from {start} to {end}");
        }
    }
}

#[test]
fn a_chain_runs_its_stages_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::workspace_root().join("examples/sine.csv");
    let out = dir.path().join("run.jsonl");
    let args = [
        "--solver",
        "adam:5,bfgs:20",
        "--seed",
        "2",
        "--learning-rate",
        "0.01",
        "--out",
        out.to_str().unwrap(),
    ];
    let summary = fit(&data, "regression", "1,6,1", &args).success_json();
    assert_eq!(summary["solver"], "adam:5,bfgs:20");
    assert_eq!(summary["iterations"], 25, "{summary:?}");
    let records: Vec<Value> =
        fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 26);
    for (k, r) in records.iter().enumerate() {
        assert_eq!(r["iter"], k as u64);
        assert_eq!(r["stage"], if k <= 5 { "adam" } else { "bfgs" }, "record {k}");
    }
    // bfgs continues from adam's last point: its first step lowers adam's last loss.
    assert!(records[6]["loss"].as_f64() < records[5]["loss"].as_f64());
}

/// A stage stopped by its own rule hands over at once, and the summary's `stages` says
/// how each stage ended: here lbfgs's slope rule (ftol far above any slope) holds before
/// its first step.
#[test]
fn a_chain_reports_how_each_stage_ended() {
    let data = support::workspace_root().join("examples/sine.csv");
    let args = ["--solver", "adam:5,lbfgs(ftol=1e30):20,bfgs:4", "--seed", "2"];
    let summary = fit(&data, "regression", "1,6,1", &args).success_json();
    assert_eq!(summary["iterations"], 9, "{summary:?}");
    assert_eq!(
        summary["stages"],
        serde_json::json!([
            {"solver": "adam", "iterations": 5, "status": "max_iterations"},
            {"solver": "lbfgs", "iterations": 0, "status": "slope_tolerance"},
            {"solver": "bfgs", "iterations": 4, "status": "max_iterations"},
        ])
    );
    let single = fit(&data, "regression", "1,6,1", &["--solver", "bfgs", "--max-iter", "3"]).success_json();
    assert!(single.get("stages").is_none(), "{single:?}");
}

/// `--line-search hager-zhang` gives bfgs and lbfgs, alone or as chain stages, the
/// Hager–Zhang search: another path from the same start, downhill; `strong-wolfe` is the
/// default.
#[test]
fn the_line_search_of_bfgs_and_lbfgs_is_an_option() {
    let data = support::workspace_root().join("examples/sine.csv");
    let start = fit(&data, "regression", "1,6,1", &["--solver", "bfgs", "--seed", "1", "--max-iter", "0"])
        .success_json();
    for solver in ["bfgs", "lbfgs", "adam:5,lbfgs:20"] {
        let with = |extra: &[&str]| {
            let mut args = vec!["--solver", solver, "--seed", "1", "--max-iter", "25"];
            args.extend_from_slice(extra);
            fit(&data, "regression", "1,6,1", &args).success_json()
        };
        let default = with(&[]);
        assert_eq!(with(&["--line-search", "strong-wolfe"]), default, "{solver}");
        let hz = with(&["--line-search", "hager-zhang"]);
        assert_ne!(hz["evals"], default["evals"], "{solver}");
        assert!(number(&hz, "loss") < number(&start, "loss"), "{solver}: {hz:?}");
    }
}

/// Solves the small dense system a·x = b by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs())).unwrap();
        a.swap(k, p);
        b.swap(k, p);
        let (pivot_row, pivot_b) = (a[k].clone(), b[k]);
        for (row, bi) in a.iter_mut().zip(b.iter_mut()).skip(k + 1) {
            let f = row[k] / pivot_row[k];
            for (x, p) in row.iter_mut().zip(&pivot_row).skip(k) {
                *x -= f * p;
            }
            *bi -= f * pivot_b;
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        x[k] = (b[k] - (k + 1..n).map(|j| a[k][j] * x[j]).sum::<f64>()) / a[k][k];
    }
    x
}

#[test]
fn newton_solves_a_linear_model_in_one_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("linear.csv");
    let rows: Vec<Vec<f64>> = (0..12)
        .map(|i| {
            let t = i as f64;
            let x = [(0.7 * t).sin(), (1.3 * t).cos(), 0.1 * t - 0.5];
            let y = 2.0 * x[0] - x[1] + 0.5 * x[2] + 0.25 + 0.1 * (3.1 * t).sin();
            vec![x[0], x[1], x[2], y]
        })
        .collect();
    write_csv(&data, "x1,x2,x3,y", &rows);
    let params = dir.path().join("theta.npy");
    let zero_path = dir.path().join("zero.npy");
    support::write_vector(&zero_path, &[0.0; 4]);
    let zero = zero_path.to_str().unwrap();
    let summary =
        fit(&data, "regression", "3,1", &["--solver", "newton", "--params-out", params.to_str().unwrap()])
            .success_json();
    assert_eq!(summary["status"], "converged");
    assert_eq!(summary["iterations"], 1);
    // The least-squares optimum from the normal equations of [X 1] (θ = [w1, w2, w3, b]).
    let features: Vec<Vec<f64>> = rows.iter().map(|r| vec![r[0], r[1], r[2], 1.0]).collect();
    let ata: Vec<Vec<f64>> =
        (0..4).map(|i| (0..4).map(|j| features.iter().map(|f| f[i] * f[j]).sum()).collect()).collect();
    let atb: Vec<f64> = (0..4).map(|i| features.iter().zip(&rows).map(|(f, r)| f[i] * r[3]).sum()).collect();
    let expected = solve(ata, atb);
    let theta = read_vector(&params, 4);
    for (a, b) in theta.iter().zip(&expected) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1.0),
            "θ = {theta:?}, normal equations give {expected:?}"
        );
    }
    // The Hessian XᵀX of a full-rank linear model is positive definite: a minimum.
    assert_eq!(summary["classification"], "minimum");
    // Stationary, not fitted (the noise leaves ‖r‖ far above 1e-3·‖y‖): a poor minimum.
    assert_eq!(summary["category"], "minimum");
    assert_eq!(summary["stationary_tol"], 1e-6);

    // The start (θ = 0, ‖∇L‖ = ‖Xᵀy‖ ≫ 1e-6) has the same positive definite Hessian but is
    // not stationary; with a tolerance above its gradient it counts as a minimum again.
    let start = fit(&data, "regression", "3,1", &["--solver", "newton", "--max-iter", "0", "--params", zero])
        .success_json();
    assert_eq!((&start["classification"], &start["category"]), (&"minimum".into(), &"not_converged".into()));
    assert!(number(&start, "grad_norm") > 1.0, "{start:?}");
    let loose = ["--solver", "newton", "--max-iter", "0", "--params", zero, "--stationary-tol", "1e300"];
    let start = fit(&data, "regression", "3,1", &loose).success_json();
    assert_eq!(start["category"], "minimum");
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::workspace_root().join("examples/sine.csv");
    let summaries: Vec<Map<String, Value>> = (0..2)
        .map(|k| {
            let params = dir.path().join(format!("p{k}.npy"));
            let mut s = fit(
                &data,
                "regression",
                "1,6,1",
                &[
                    "--solver",
                    "bfgs",
                    "--seed",
                    "11",
                    "--max-iter",
                    "20",
                    "--params-out",
                    params.to_str().unwrap(),
                ],
            )
            .success_json();
            s.remove("evals");
            s
        })
        .collect();
    assert_eq!(summaries[0], summaries[1]);
    assert_eq!(fs::read(dir.path().join("p0.npy")).unwrap(), fs::read(dir.path().join("p1.npy")).unwrap());
    let other = fit(&data, "regression", "1,6,1", &["--solver", "bfgs", "--seed", "12", "--max-iter", "20"])
        .success_json();
    assert_ne!(other["loss"], summaries[0]["loss"], "another seed starts elsewhere");
}

#[test]
fn a_diverging_run_stops_with_the_last_finite_iterate() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::workspace_root().join("examples/sine.csv");
    let params = dir.path().join("last.npy");
    let out = dir.path().join("run.jsonl");
    let summary = fit(
        &data,
        "regression",
        "1,10,1",
        &[
            "--solver",
            "gd",
            "--learning-rate",
            "1e6",
            "--max-iter",
            "1000",
            "--params-out",
            params.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .success_json();
    assert_eq!(summary["status"], "diverged", "{summary:?}");
    assert!(number(&summary, "loss").is_finite() && number(&summary, "grad_norm").is_finite());
    let theta = read_vector(&params, 31);
    assert!(theta.iter().all(|v| v.is_finite()), "the written iterate is the last finite one");
    assert!((summary["iterations"].as_u64().unwrap() as usize) < 1000);
}

#[test]
fn bad_arguments_are_one_line_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::workspace_root().join("examples/sine.csv");
    let out = dir.path().join("run.jsonl");
    let out_arg = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--solver", "newtn"], vec!["newtn", "unknown solver"]),
        (vec!["--solver", "newton", "--learning-rate", "0.1"], vec!["--learning-rate", "newton"]),
        (
            vec!["--solver", "gd", "--learning-rate=-1"],
            vec!["--learning-rate must be a positive number, got -1"],
        ),
        (vec!["--solver", "lm", "--gtol=-1"], vec!["--gtol"]),
        (vec!["--solver", "lm", "--params", "p.npy", "--seed", "3"], vec!["--seed"]),
        (vec!["--solver", "lm", "--max-iter", "many"], vec!["--max-iter"]),
        (vec!["--solver", "adam:10,bogus:5"], vec!["unknown solver 'bogus'"]),
        (vec!["--solver", "adam:10,lbfgs"], vec!["stage 2: lbfgs has no iteration count"]),
        (vec!["--solver", "adam:0,lbfgs:5"], vec!["stage 1: adam has a zero count"]),
        (vec!["--solver", "adam:10,,lbfgs:5"], vec!["stage 2: it is empty"]),
        (vec!["--solver", "lbfgs:5,bfgs:5", "--learning-rate", "0.1"], vec!["--learning-rate"]),
        (vec!["--solver", "newton", "--line-search", "hager-zhang"], vec!["--line-search", "newton"]),
        (
            vec!["--solver", "lbfgs(memroy=100)"],
            vec!["stage 1: lbfgs: unknown option 'memroy' (its options: memory"],
        ),
        (vec!["--solver", "adam:5,lbfgs(memory=0):5"], vec!["stage 2: lbfgs: memory = '0' is out of range"]),
        (vec!["--solver", "nncg(mu=fast)"], vec!["mu = 'fast' is not a number"]),
        (vec!["--solver", "adam(lr=1,lr=2)"], vec!["option 'lr' is given twice"]),
        (vec!["--solver", "lbfgs(c1=0.95)"], vec!["stage 1: lbfgs:", "c1"]),
        (vec!["--solver", "lbfgs(memory=100"], vec!["a '(' is never closed"]),
        (
            vec!["--solver", "bfgs", "--line-search", "more-thuente"],
            vec!["unknown line search 'more-thuente'"],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = extra.clone();
        args.extend_from_slice(&["--out", out_arg]);
        fit(&data, "regression", "1,10,1", &args).user_error(&needles);
        assert!(files_in(dir.path()).is_empty(), "{extra:?} left files behind");
    }
    // Non-finite data is refused before any fitting starts.
    let bad = dir.path().join("bad.csv");
    fs::write(&bad, "x,y\n0.0,1.0\n0.5,nan\n").unwrap();
    fit(&bad, "regression", "1,3,1", &["--solver", "lm", "--out", out_arg])
        .user_error(&["bad.csv", "line 3"]);
    assert_eq!(files_in(dir.path()), ["bad.csv"]);
}

#[test]
fn solver_options_take_effect_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = support::workspace_root().join("examples/sine.csv");
    let short = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend_from_slice(&["--max-iter", "20"]);
        fit(&data, "regression", "1,4,1", &args).success_json()
    };
    // An option in the spec, the shorthand, and the spec winning over the shorthand: one run.
    let spec = short(&["--solver", "gd(lr=0.05)"]);
    let shorthand = short(&["--solver", "gd", "--learning-rate", "0.05"]);
    let both = short(&["--solver", "gd(lr=0.05)", "--learning-rate", "0.5"]);
    let default = short(&["--solver", "gd"]);
    assert_eq!(spec["loss"], shorthand["loss"]);
    assert_eq!(spec["loss"], both["loss"]);
    assert_ne!(default["loss"], spec["loss"], "lr 1e-3 and lr 0.05 take different steps");
    assert_eq!(spec["solver"], "gd(lr=0.05)");
    assert_eq!(
        spec["options"],
        serde_json::json!([{"solver": "gd", "iterations": null, "options": {"lr": 0.05}}])
    );
    assert_eq!(default["options"][0]["options"]["lr"], 1e-3);

    // A chain: each stage's effective options, defaults included, in the summary and in
    // the first record; L-BFGS's memory changes its path.
    let out = dir.path().join("run.jsonl");
    let chain = |lbfgs: &str| {
        let solver = format!("adam(lr=0.01,beta1=0.5):5,{lbfgs}:40");
        fit(&data, "regression", "1,4,1", &["--solver", &solver, "--out", out.to_str().unwrap()])
            .success_json()
    };
    let three = chain("lbfgs(memory=3)");
    let stages = three["options"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0]["solver"], "adam");
    assert_eq!(stages[0]["iterations"], 5);
    assert_eq!(stages[0]["options"]["beta1"], 0.5);
    assert_eq!(stages[0]["options"]["beta2"], 0.999);
    assert_eq!(stages[1]["options"]["memory"], 3);
    assert_eq!(stages[1]["options"]["line_search"], "strong-wolfe");
    assert_eq!(stages[1]["options"]["gtol_inf"], 0.0);
    let records: Vec<Value> =
        fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records[0]["options"], three["options"]);
    assert!(records[1].get("options").is_none());
    let one = chain("lbfgs(memory=1)");
    assert_ne!(three["loss"], one["loss"]);

    // L-BFGS stopped by its own gradient rule hands over to the next stage, and the run
    // ends at the last stage's count.
    let stopped = fit(
        &data,
        "regression",
        "1,4,1",
        &["--solver", "lbfgs(gtol_inf=1e-1):500,gd:3", "--gtol", "0", "--out", out.to_str().unwrap()],
    )
    .success_json();
    let records: Vec<Value> =
        fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let lbfgs = records.iter().filter(|r| r["stage"] == "lbfgs").count();
    assert!(lbfgs > 1 && lbfgs < 500, "{lbfgs} lbfgs records");
    assert_eq!(records.iter().filter(|r| r["stage"] == "gd").count(), 3);
    assert_eq!(stopped["status"], "max_iterations");
}

#[test]
fn solvers_lists_the_family_and_options_as_docs_show_them() {
    let listing = run(["solvers"]);
    assert_eq!(listing.code, Some(0), "{}", listing.stderr);
    let text = listing.stdout;
    let doc = fs::read_to_string(support::workspace_root().join("docs/solvers.md")).unwrap();
    let between = |marker: &str| {
        let start = format!("<!-- {marker}:start -->\n");
        let a = doc.find(&start).unwrap() + start.len();
        let b = a + doc[a..].find(&format!("<!-- {marker}:end -->")).unwrap();
        doc[a..b].to_string()
    };
    assert_eq!(
        text.trim_end(),
        format!("{}\n{}", between("family-table"), between("options-table")).trim_end()
    );
    assert!(text.contains("| `lbfgs` | `memory` | 10 | integer ≥ 1 | curvature pairs kept |"), "{text}");
    let json = run(["solvers", "--json"]).success_json();
    let solvers = json["solvers"].as_array().unwrap();
    let names: Vec<&str> = solvers.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, SOLVERS);
    let nncg = &solvers[14];
    assert_eq!(nncg["family"], "safeguarded-newton");
    assert_eq!(nncg["matrix_free"], false);
    let mu = &nncg["options"][0];
    assert_eq!(
        (&mu["name"], &mu["default"], &mu["valid"]),
        (&"mu".into(), &0.01.into(), &"number in (0, ∞)".into())
    );
    assert_eq!(solvers[10]["matrix_free"], true);
}
