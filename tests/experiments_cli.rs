//! `saddle compare` and `saddle sweep` end to end: the headline experiment's claims, shards
//! that add up to the whole sweep, and one-line errors that write nothing.

mod support;

use std::fs;

use serde_json::Value;
use support::{files_in, run, workspace_root};

fn sine() -> String {
    workspace_root().join("examples/sine.csv").to_str().unwrap().to_string()
}

/// The README's main command: exact Newton stops near u ≈ 0 with its features orthogonal to
/// the target (not fitted, not a minimum), while the safeguarded solvers fit the target from
/// the same start.
#[test]
fn the_headline_experiment_separates_newton_from_safeguarded_solvers() {
    let data = sine();
    let summary = run([
        "compare",
        "--problem",
        "regression",
        "--arch",
        "1,10,1",
        "--act",
        "tanh",
        "--data",
        &data,
        "--seed",
        "8",
    ])
    .success_json();
    assert_eq!(summary["params"], 31);
    let runs = summary["runs"].as_array().unwrap();
    let solvers: Vec<&str> = runs.iter().map(|r| r["solver"].as_str().unwrap()).collect();
    assert_eq!(solvers, ["newton", "bfgs", "lm", "saddle-free-newton"]);
    let newton = &runs[0];
    assert!(
        ["not_converged", "degenerate", "saddle"].contains(&newton["category"].as_str().unwrap()),
        "{newton}"
    );
    assert!(newton["fit_ratio"].as_f64().unwrap() < 0.01, "{newton}");
    assert!(newton["max_target_cosine"].as_f64().unwrap() < 1e-3, "{newton}");
    assert!(newton["loss"].as_f64().unwrap() > 15.0);
    for r in &runs[1..] {
        assert_eq!(r["category"], "fitted", "{r}");
        assert!(r["loss"].as_f64().unwrap() < 1e-5, "{r}");
        let inertia: Vec<u64> =
            r["inertia"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(inertia.iter().sum::<u64>(), 31);
    }
}

/// `--solver` runs chains in `compare`: the summary names the whole chain, and its counts
/// are the budget.
#[test]
fn compare_runs_solver_chains() {
    let data = sine();
    let common = ["compare", "--problem", "regression", "--arch", "1,4,1", "--act", "tanh", "--data", &data];
    let summary =
        run(common.iter().copied().chain(["--solver", "adam:10,bfgs:15", "--solver", "lm:7"])).success_json();
    let runs = summary["runs"].as_array().unwrap();
    let solvers: Vec<&str> = runs.iter().map(|r| r["solver"].as_str().unwrap()).collect();
    assert_eq!(solvers, ["adam:10,bfgs:15", "lm:7"]);
    assert!(runs[0]["iterations"].as_u64().unwrap() <= 25 && runs[1]["iterations"].as_u64().unwrap() <= 7);
    run(common.iter().copied().chain(["--solver", "adam:10,bfgs"]))
        .user_error(&["stage 2: bfgs has no iteration count"]);
    run(common.iter().copied().chain(["--solver", "adam:10", "--solvers", "lm"])).user_error(&["--solvers"]);
}

/// A small sweep (2 architectures × newton, lm × 2 seeds); a flag in `extra` replaces the
/// default given here.
fn sweep(out: &str, extra: &[&str]) -> support::Run {
    let data = sine();
    let defaults = [
        ("--problem", "regression"),
        ("--act", "tanh"),
        ("--data", &data),
        ("--solvers", "newton,lm"),
        ("--seeds", "2"),
        ("--max-iter", "20"),
        ("--out", out),
    ];
    let mut args = vec!["sweep", "--arch", "1,3,1", "--arch", "1,4,1"];
    for (flag, value) in defaults {
        if !extra.iter().any(|e| e.starts_with(flag)) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    run(args)
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn shards_of_a_sweep_add_up_to_the_whole_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl");
    let summary = sweep(whole.to_str().unwrap(), &[]).success_json();
    assert_eq!(summary["runs"], 8);
    let all = lines(&whole);
    assert_eq!(all.len(), 8);
    assert_eq!(
        all.iter().map(|r| r["run"].as_u64().unwrap()).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    // Architecture-major, then solver, then seed.
    assert_eq!(
        (all[2]["arch"].as_str(), all[2]["solver"].as_str(), all[2]["seed"].as_u64()),
        (Some("1,3,1"), Some("lm"), Some(0))
    );
    let mut counted = 0;
    for (solver, counts) in summary["counts"].as_object().unwrap() {
        for (category, k) in counts.as_object().unwrap() {
            let expected = all
                .iter()
                .filter(|r| r["solver"] == solver.as_str() && r["category"] == category.as_str())
                .count();
            assert_eq!(k.as_u64().unwrap() as usize, expected);
            counted += expected;
        }
    }
    assert_eq!(counted, 8);

    let mut parts = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let path = dir.path().join(format!("part{}.jsonl", &shard[..1]));
        let summary = sweep(path.to_str().unwrap(), &["--shard", shard]).success_json();
        assert_eq!(summary["plan_runs"], 8);
        parts.extend(lines(&path));
    }
    parts.sort_by_key(|r| r["run"].as_u64().unwrap());
    assert_eq!(parts, all);
}

/// `--solver` runs chains in `sweep`: each value is one entry of the plan (one solver or
/// a chain, named by its text in the records and the counts), and a chain's counts are
/// its budget in place of `--max-iter`.
#[test]
fn sweep_runs_solver_chains() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl");
    let data = sine();
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "--problem", "regression", "--arch", "1,3,1", "--act", "tanh"];
        args.extend(["--data", &data, "--seeds", "2", "--max-iter", "30", "--out", out.to_str().unwrap()]);
        args.extend_from_slice(extra);
        run(args)
    };
    let summary = sweep(&["--solver", "adam:5,bfgs:10", "--solver", "lm"]).success_json();
    assert_eq!(summary["runs"], 4);
    let all = lines(&out);
    let solvers: Vec<&str> = all.iter().map(|r| r["solver"].as_str().unwrap()).collect();
    assert_eq!(solvers, ["adam:5,bfgs:10", "adam:5,bfgs:10", "lm", "lm"]);
    // The chain's budget is its 5 + 10 iterations, not --max-iter 30.
    for r in &all[..2] {
        assert_eq!(
            (r["status"].as_str(), r["iterations"].as_u64()),
            (Some("max_iterations"), Some(15)),
            "{r}"
        );
    }
    let counts = summary["counts"].as_object().unwrap();
    assert_eq!(counts.keys().collect::<Vec<_>>(), ["adam:5,bfgs:10", "lm"]);
    let chain_runs: u64 =
        counts["adam:5,bfgs:10"].as_object().unwrap().values().map(|k| k.as_u64().unwrap()).sum();
    assert_eq!(chain_runs, 2);

    // Bad chains are one-line errors that write nothing.
    fs::remove_file(&out).unwrap();
    fs::remove_file(dir.path().join("runs.jsonl.args.json")).unwrap();
    for (chain, says) in [
        ("adam:10,bogus:5", "unknown solver 'bogus'"),
        ("adam:10,lbfgs", "stage 2: lbfgs has no iteration count"),
        ("adam:0,lbfgs:5", "stage 1: adam has a zero count"),
        ("adam:10,,lbfgs:5", "stage 2: it is empty"),
        ("adam(beta1=1):10,lbfgs:5", "stage 1: adam: beta1 = '1' is out of range"),
    ] {
        sweep(&["--solver", chain]).user_error(&[says]);
    }
    sweep(&["--solvers", "lm", "--solver", "adam:5,lm:5"]).user_error(&["--solvers"]);
    // A stage whose dense matrix would not fit at some architecture, before any run.
    sweep(&["--arch", "1,20000,1", "--solver", "adam:5,bfgs:5"]).user_error(&["--solver bfgs", "n = 60001"]);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn bad_sweep_and_compare_arguments_are_one_line_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl");
    let out = out.to_str().unwrap();
    sweep(out, &["--shard", "4/3"]).user_error(&["4/3", "shard"]);
    sweep(out, &["--shard", "x"]).user_error(&["shard"]);
    sweep(out, &["--seeds", "0"]).user_error(&["--seeds must be a whole number of at least 1, got 0"]);
    sweep(out, &["--solvers", "newtn"]).user_error(&["newtn"]);
    sweep(out, &["--solvers", "lm,lbfgs(memory=0)"])
        .user_error(&["item 2: lbfgs: memory = '0' is out of range"]);
    sweep(out, &["--stationary-tol=-1"]).user_error(&["--stationary-tol"]);
    assert!(files_in(dir.path()).is_empty());
    let data = sine();
    run(["compare", "--problem", "regression", "--arch", "2,3,1", "--act", "tanh", "--data", &data])
        .user_error(&["--arch 2,3,1", "input"]);
    run([
        "compare",
        "--problem",
        "regression",
        "--arch",
        "1,3,1",
        "--act",
        "tanh",
        "--data",
        &data,
        "--gtol=-1",
    ])
    .user_error(&["--gtol"]);
}
