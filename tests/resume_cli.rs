//! Streams and resumable runs end to end: `sweep --out` lines appended as runs end, a sweep
//! killed with SIGKILL and resumed (same runs, same numbers), `--resume` with other
//! arguments refused, shards merged; `fit --out` records streamed as they are made, and
//! `fit --checkpoint` / `--resume` continuing a run exactly where the solver allows it.

mod support;

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use support::{run, saddle, workspace_root};

fn sine() -> String {
    workspace_root().join("examples/sine.csv").display().to_string()
}

/// `defaults` (flag, value pairs) but those whose flag `extra` gives, then `extra`.
fn with_defaults(head: &[&str], defaults: &[(&str, &str)], extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    for (flag, value) in defaults {
        if !extra.contains(flag) {
            args.extend([flag.to_string(), value.to_string()]);
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A sweep of 2 solvers × 16 seeds on a small network: long enough to be killed half-way,
/// short enough to run in about a second. A flag in `extra` replaces its default.
fn sweep_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let data = sine();
    let defaults = [
        ("--problem", "regression"),
        ("--arch", "1,6,1"),
        ("--act", "tanh"),
        ("--data", &data),
        ("--solvers", "lm,bfgs"),
        ("--seeds", "16"),
        ("--max-iter", "150"),
        ("--out", out.to_str().unwrap()),
    ];
    with_defaults(&["sweep"], &defaults, extra)
}

fn lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn complete_lines(path: &Path) -> usize {
    fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Spawns `saddle args`, waits until `path` holds at least `lines` complete lines, and kills
/// the process with SIGKILL; returns whether the process was still running then.
fn kill_when(args: &[String], path: &Path, lines: usize) -> bool {
    let mut child = saddle().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while complete_lines(path) < lines {
        assert!(child.try_wait().unwrap().is_none(), "the process ended before writing {lines} lines");
        assert!(Instant::now() < deadline, "no {lines} lines after 120 s");
        std::thread::sleep(Duration::from_millis(1));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    running
}

#[test]
fn a_killed_sweep_resumes_to_the_same_runs_with_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl");
    let summary = run(sweep_args(&whole, &[])).success_json();
    assert_eq!((summary["runs"].as_u64(), summary["resumed"].as_u64()), (Some(32), Some(0)));
    let expected = fs::read_to_string(&whole).unwrap();
    let all = lines(&whole);
    let order: Vec<u64> = all.iter().map(|r| r["run"].as_u64().unwrap()).collect();
    assert_eq!(order, (0..32).collect::<Vec<_>>(), "a finished sweep's file is in run order");
    // The arguments file beside it.
    let args: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("whole.jsonl.args.json")).unwrap()).unwrap();
    assert_eq!((args["solvers"][1].as_str(), args["plan_runs"].as_u64()), (Some("bfgs"), Some(32)));

    let part = dir.path().join("part.jsonl");
    assert!(kill_when(&sweep_args(&part, &[]), &part, 1), "the sweep should still have been running");
    let written = lines(&part);
    assert!(!written.is_empty() && written.len() < 32, "{} runs were written", written.len());
    // Every line is a finished run with the numbers of the uninterrupted sweep.
    for r in &written {
        assert_eq!(r, &all[r["run"].as_u64().unwrap() as usize]);
    }
    // A write cut short by the kill: a partial last line, dropped on resume.
    let mut bytes = fs::read(&part).unwrap();
    bytes.extend_from_slice(b"{\"run\":31,\"problem\":\"regr");
    fs::write(&part, &bytes).unwrap();

    // Other arguments are refused, and the file is left as it is.
    let refused = run(sweep_args(&part, &["--resume", "--max-iter", "151"]));
    refused.user_error(&["part.jsonl.args.json", "--resume", "max_iter 150, not 151"]);
    assert_eq!(fs::read(&part).unwrap(), bytes);

    let resumed = run(sweep_args(&part, &["--resume"])).success_json();
    assert_eq!(resumed["resumed"].as_u64(), Some(written.len() as u64));
    assert_eq!(resumed["runs"], 32);
    assert_eq!(resumed["counts"], summary["counts"]);
    // Same runs, same numbers, same order: the same bytes (no field of a run is a time).
    assert_eq!(lines(&part), all);
    assert_eq!(fs::read_to_string(&part).unwrap(), expected);

    // Resuming a finished sweep runs nothing and changes nothing.
    let again = run(sweep_args(&part, &["--resume"])).success_json();
    assert_eq!(again["resumed"], 32);
    assert_eq!(fs::read_to_string(&part).unwrap(), expected);
}

#[test]
fn resume_needs_the_arguments_file_and_starts_afresh_without_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl");
    let small = ["--seeds", "1", "--solvers", "lm"];
    // No file yet: --resume starts afresh, so one command line serves every submission.
    let first = run(sweep_args(&out, &[&small[..], &["--resume"]].concat())).success_json();
    assert_eq!((first["runs"].as_u64(), first["resumed"].as_u64()), (Some(1), Some(0)));
    fs::remove_file(dir.path().join("runs.jsonl.args.json")).unwrap();
    let before = fs::read(&out).unwrap();
    run(sweep_args(&out, &[&small[..], &["--resume"]].concat()))
        .user_error(&["runs.jsonl.args.json", "does not exist"]);
    assert_eq!(fs::read(&out).unwrap(), before);
    // A line that is not a run of the plan is refused, not overwritten.
    run(sweep_args(&out, &small)).success_json();
    fs::write(&out, "{\"run\": 7}\n").unwrap();
    run(sweep_args(&out, &[&small[..], &["--resume"]].concat()))
        .user_error(&["runs.jsonl: line 1: run 7 is not a run of shard 1/1 of this 1-run plan"]);
}

#[test]
fn shards_merge_into_the_unsharded_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let small = ["--seeds", "3"];
    let whole = dir.path().join("whole.jsonl");
    let summary = run(sweep_args(&whole, &small)).success_json();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    run(sweep_args(&a, &[&small[..], &["--shard", "1/2"]].concat())).success_json();
    run(sweep_args(&b, &[&small[..], &["--shard", "2/2"]].concat())).success_json();
    let all = dir.path().join("all.jsonl");
    let merged =
        run(["sweep", "--merge", a.to_str().unwrap(), b.to_str().unwrap(), "--out", all.to_str().unwrap()])
            .success_json();
    assert_eq!((merged["runs"].as_u64(), merged["missing"].as_u64()), (Some(6), Some(0)));
    assert_eq!(merged["counts"], summary["counts"]);
    assert_eq!(fs::read_to_string(&all).unwrap(), fs::read_to_string(&whole).unwrap());
    let sidecar = |p: &Path| -> Value {
        serde_json::from_str(&fs::read_to_string(format!("{}.args.json", p.display())).unwrap()).unwrap()
    };
    assert_eq!(sidecar(&all), sidecar(&whole), "the merged file is the unsharded sweep's");
    // One shard alone: the rest is missing, and resuming the merged file runs it.
    let half = dir.path().join("half.jsonl");
    let merged =
        run(["sweep", "--merge", a.to_str().unwrap(), "--out", half.to_str().unwrap()]).success_json();
    assert_eq!((merged["runs"].as_u64(), merged["missing"].as_u64()), (Some(3), Some(3)));
    let resumed = run(sweep_args(&half, &[&small[..], &["--resume"]].concat())).success_json();
    assert_eq!(resumed["resumed"], 3);
    assert_eq!(fs::read_to_string(&half).unwrap(), fs::read_to_string(&whole).unwrap());
    // Parts of different sweeps do not merge.
    let other = dir.path().join("other.jsonl");
    run(sweep_args(&other, &["--seeds", "3", "--max-iter", "20", "--shard", "2/2"])).success_json();
    let bad = dir.path().join("bad.jsonl");
    run(["sweep", "--merge", a.to_str().unwrap(), other.to_str().unwrap(), "--out", bad.to_str().unwrap()])
        .user_error(&["other.jsonl: not a part of the sweep of", "max_iter is 20 there, 150 in"]);
    assert!(!bad.exists());
}

/// `fit` of a small regression; a flag in `extra` replaces its default.
fn fit(extra: &[&str]) -> support::Run {
    let data = sine();
    let defaults = [("--problem", "regression"), ("--arch", "1,4,1"), ("--act", "tanh"), ("--data", &data)];
    run(with_defaults(&["fit"], &defaults, extra))
}

fn records(path: &Path) -> Vec<Map<String, Value>> {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "the stream ends with a whole line");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A record without the fields that depend on the machine or on a restart's extra
/// evaluations.
fn numbers(mut record: Map<String, Value>) -> Map<String, Value> {
    record.remove("seconds");
    record.remove("evals");
    record
}

#[test]
fn fit_streams_whole_records_as_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.jsonl");
    let data = sine();
    let args: Vec<String> = [
        "fit",
        "--problem",
        "regression",
        "--arch",
        "1,4,1",
        "--act",
        "tanh",
        "--data",
        &data,
        "--solver",
        "gd",
        "--max-iter",
        "100000000",
        "--gtol",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(kill_when(&args, &out, 200), "the fit should still have been running");
    // Every line the killed run left is a whole record, in order from iteration 0.
    let text = fs::read_to_string(&out).unwrap();
    let whole: Vec<&str> = text.split_inclusive('\n').collect();
    assert!(whole.len() >= 200);
    for (k, line) in whole.iter().enumerate() {
        assert!(line.ends_with('\n'), "line {k} is cut short: {line:?}");
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["iter"], k);
    }
}

#[test]
fn fit_resumes_from_a_checkpoint_exactly_for_gauss_newton() {
    let dir = tempfile::tempdir().unwrap();
    let (full, part) = (dir.path().join("full.jsonl"), dir.path().join("part.jsonl"));
    let ck = dir.path().join("ck.json");
    let ck_arg = ck.to_str().unwrap();
    let gn = ["--solver", "gauss-newton", "--gtol", "0", "--seed", "3"];
    let whole =
        fit(&[&gn[..], &["--max-iter", "12", "--out", full.to_str().unwrap()]].concat()).success_json();
    assert_eq!(whole["iterations"], 12, "{whole:?}");

    // The first part stops at 7 (a checkpoint every 3 and at the end); the second goes on
    // to 12 in all, continuing the stream.
    let first = fit(&[
        &gn[..],
        &[
            "--max-iter",
            "7",
            "--out",
            part.to_str().unwrap(),
            "--checkpoint",
            ck_arg,
            "--checkpoint-every",
            "3",
        ],
    ]
    .concat())
    .success_json();
    assert!(first.get("resumed").is_none());
    let saved: Value = serde_json::from_str(&fs::read_to_string(&ck).unwrap()).unwrap();
    assert_eq!((saved["iteration"].as_u64(), saved["params"].as_u64()), (Some(7), Some(13)));
    assert_eq!(saved["solver_state"], "restored");
    let resumed = fit(&[
        &gn[..],
        &["--max-iter", "12", "--out", part.to_str().unwrap(), "--checkpoint", ck_arg, "--resume", ck_arg],
    ]
    .concat())
    .success_json();
    assert_eq!(resumed["resumed"]["from"], 7);
    assert_eq!(resumed["resumed"]["solver_state"], "restored");
    assert_eq!(resumed["iterations"], 12);
    assert_eq!(resumed["loss"].as_f64().unwrap().to_bits(), whole["loss"].as_f64().unwrap().to_bits());
    assert_eq!(resumed["grad_norm"], whole["grad_norm"]);
    // The stream: iterations 0..=12 once each, with the uninterrupted run's numbers.
    let (a, b) = (records(&full), records(&part));
    assert_eq!(b.len(), 13);
    for (x, y) in a.into_iter().zip(b) {
        assert_eq!(numbers(x), numbers(y));
    }
    let saved: Value = serde_json::from_str(&fs::read_to_string(&ck).unwrap()).unwrap();
    assert_eq!(saved["iteration"], 12, "the final checkpoint");

    // Another run's checkpoint is refused.
    fit(&["--solver", "gauss-newton", "--max-iter", "12", "--resume", ck_arg, "--seed", "3", "--act", "sin"])
        .user_error(&["ck.json", "--act 'tanh', not 'sin'"]);
    fit(&["--solver", "lm", "--resume", ck_arg]).user_error(&["--solver 'gauss-newton', not 'lm'"]);
}

#[test]
fn a_chain_resumes_in_its_stage_and_other_solvers_say_they_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck.json");
    let ck_arg = ck.to_str().unwrap();
    let chain = ["--solver", "gd(lr=0.01):5,gauss-newton:6", "--gtol", "0"];
    let whole = fit(&chain).success_json();
    // A checkpoint in the second stage: the end of the same chain with gauss-newton cut at 3
    // (the two runs agree up to there), labelled as this chain's.
    let cut = ["--solver", "gd(lr=0.01):5,gauss-newton:3", "--gtol", "0"];
    fit(&[&cut[..], &["--checkpoint", ck_arg]].concat()).success_json();
    let mut saved: Value = serde_json::from_str(&fs::read_to_string(&ck).unwrap()).unwrap();
    assert_eq!((saved["iteration"].as_u64(), saved["chain"]["stage"].as_u64()), (Some(8), Some(1)));
    assert_eq!(saved["chain"]["stage_iterations"], 3);
    assert_eq!(saved["chain"]["ended"][0]["iterations"], 5);
    saved["solver"] = whole["solver"].clone();
    saved["options"] = whole["options"].clone();
    fs::write(&ck, saved.to_string()).unwrap();
    let resumed = fit(&[&chain[..], &["--resume", ck_arg]].concat()).success_json();
    assert_eq!(resumed["resumed"]["solver_state"], "restored");
    assert_eq!(resumed["loss"], whole["loss"]);
    assert_eq!(resumed["iterations"], 11);
    assert_eq!(resumed["stages"], whole["stages"]);

    // Adam keeps moments: it restarts from θ, and says so.
    fit(&["--solver", "adam", "--max-iter", "6", "--checkpoint", ck_arg]).success_json();
    let resumed = fit(&["--solver", "adam", "--max-iter", "9", "--resume", ck_arg]).success_json();
    assert_eq!(resumed["resumed"]["solver_state"], "restarted");
    assert_eq!(resumed["iterations"], 9);
}
