//! Issue 25's cases, each a clean `error:` line or a correct result: memory checked
//! before it is needed (records streamed, counts and points against the memory limit),
//! summaries that say only what was computed, and messages that name the fault.

mod support;

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{files_in, run, saddle, workspace_root, write_vector};

/// `examples/sine.csv`.
fn sine() -> String {
    workspace_root().join("examples/sine.csv").to_str().unwrap().to_string()
}

/// The regression problem on the sine data with `--arch 1,10,1` (31 parameters).
fn regression(command: &str) -> Vec<String> {
    let data = sine();
    [command, "--problem", "regression", "--arch", "1,10,1", "--act", "tanh", "--data", &data]
        .map(String::from)
        .to_vec()
}

/// `saddle ARGS` with the environment variable `SADDLE_MEMORY_LIMIT` set to `limit`.
fn with_limit(limit: &str, args: &[String]) -> support::Run {
    let output = saddle().args(args).env("SADDLE_MEMORY_LIMIT", limit).output().unwrap();
    support::Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A 1-D Poisson problem file with `points` midpoints (and `extra` at its top level).
fn poisson_file(dir: &Path, points: u64, extra: &str) -> String {
    let path = dir.join(format!("p{points}.toml"));
    fs::write(
        &path,
        format!(
            "inputs = [\"x\"]\ntrial = \"x*(1 - x)*N\"\n{extra}\n[[terms]]\nname = \"interior\"\n\
             residual = \"-u_xx - pi^2*sin(pi*x)\"\npoints = {{ midpoints = {{ x = [0, 1, {points}] }} }}\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A resident set size in bytes from a /proc status file's `field` (e.g. `VmRSS`).
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// `fit --solver adam --max-iter 1000000000 --gtol 0` used to keep ~450 bytes per
/// iteration and abort on allocation: now its memory stays flat while it makes hundreds of
/// thousands of iterations (stopped by --max-seconds), without `--out` and with it.
#[test]
fn a_billion_iteration_fit_keeps_nothing_per_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.jsonl");
    for stream in [false, true] {
        let mut args = regression("fit");
        args.extend(strings(&["--solver", "adam", "--max-iter", "1000000000", "--gtol", "0"]));
        args.extend(strings(&["--max-seconds", "3", "--json"]));
        if stream {
            args.extend(strings(&["--out", out.to_str().unwrap()]));
        }
        let child = saddle().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1000));
        let early = status_bytes(child.id(), "VmRSS:");
        std::thread::sleep(Duration::from_millis(1500));
        let late = status_bytes(child.id(), "VmRSS:");
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["status"], "time_limit");
        let iterations = summary["iterations"].as_u64().unwrap();
        assert!(iterations > 1000, "{iterations} iterations");
        if let (Some(early), Some(late)) = (early, late) {
            // 450 bytes per iteration would be tens of megabytes a second.
            assert!(late < early + (8 << 20), "RSS grew from {early} to {late} bytes");
        }
    }
}

/// `spectrum --probes 1000000000` aborted at once (88 GB): now its memory is checked first.
#[test]
fn huge_probe_counts_are_refused_with_their_memory() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.npy");
    write_vector(&params, &[0.1; 31]);
    let density = dir.path().join("d.csv");
    let mut args = regression("spectrum");
    args.extend(strings(&["--params", params.to_str().unwrap(), "--method", "lanczos"]));
    let mut dense = args.clone();
    dense.extend(strings(&["--density", density.to_str().unwrap(), "--probes", "1000000000"]));
    run(&dense).user_error(&["--probes 1000000000 needs about", "TiB", "more than the memory limit"]);
    let mut trace = args.clone();
    trace.extend(strings(&["--trace", "--probes", "1000000000"]));
    with_limit("1G", &trace).user_error(&[
        "--probes 1000000000 needs about",
        "more than the memory limit of 1.0 GiB (set by SADDLE_MEMORY_LIMIT)",
    ]);
    // Steps beyond n are n steps: a correct result.
    let mut steps = args.clone();
    steps.extend(strings(&["--density", density.to_str().unwrap(), "--steps", "1000000000"]));
    assert_eq!(run(&steps).success_json()["method"], "lanczos");
    fs::remove_file(&density).unwrap();
    assert_eq!(files_in(dir.path()), ["p.npy"]);
}

/// A problem file at the 10⁷-point limit used to need ~10 GB and abort: its memory is
/// estimated first and refused above the limit, naming the points, the memory and the
/// limit; a bad `SADDLE_MEMORY_LIMIT` is an error too.
#[test]
fn problem_files_at_the_point_limit_are_checked_against_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = poisson_file(dir.path(), 10_000_000, "");
    let params = dir.path().join("p.npy");
    write_vector(&params, &[0.1; 31]);
    let args = strings(&["derivs", "--problem", &file, "--arch", "1,10,1", "--act", "tanh"]);
    let mut derivs = args.clone();
    derivs.extend(strings(&["--params", params.to_str().unwrap()]));
    let line = with_limit("1G", &derivs).user_error(&[
        "--problem",
        "at 10000000 points with --arch 1,10,1 (31 parameters) needs about",
        "GiB, more than the memory limit of 1.0 GiB (set by SADDLE_MEMORY_LIMIT)",
    ]);
    // About 0.85 KB per point: 7 to 10 GiB.
    let gib: f64 = line.split("needs about ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((6.0..11.0).contains(&gib), "{line}");
    with_limit("lots", &derivs)
        .user_error(&["SADDLE_MEMORY_LIMIT=lots", "expected a positive number of bytes"]);

    // fit, compare and sweep at 10⁵ points under a 64 MiB limit.
    let small = poisson_file(dir.path(), 100_000, "");
    let model = strings(&["--problem", &small, "--arch", "1,10,1", "--act", "tanh"]);
    let fit = [strings(&["fit"]), model.clone(), strings(&["--solver", "adam"])].concat();
    with_limit("64M", &fit).user_error(&["fit of --problem", "at 100000 points", "memory limit of 64.0 MiB"]);
    let compare = [strings(&["compare"]), model.clone(), strings(&["--solvers", "gd"])].concat();
    with_limit("64M", &compare).user_error(&["compare of --problem", "memory limit of 64.0 MiB"]);
    let out = dir.path().join("runs.jsonl");
    let sweep =
        [strings(&["sweep"]), model, strings(&["--solvers", "gd", "--out", out.to_str().unwrap()])].concat();
    with_limit("64M", &sweep).user_error(&["sweep of --problem", "thread(s) needs about", "64.0 MiB"]);
    let bench = strings(&[
        "bench",
        "--problem",
        "regression",
        "--arch",
        "1,1,1",
        "--act",
        "tanh",
        "--points",
        "10000000",
    ]);
    with_limit("64M", &bench).user_error(&["bench of --problem regression at 10000000 points", "64.0 MiB"]);
    let points = dir.path().join("x.csv");
    let rows: String = (0..1_000_000).map(|i| format!("{}\n", i as f64 / 1e6)).collect();
    fs::write(&points, format!("x\n{rows}")).unwrap();
    let pred = dir.path().join("pred.csv");
    let predict = strings(&[
        "predict",
        "--problem",
        &small,
        "--arch",
        "1,10,1",
        "--act",
        "tanh",
        "--params",
        params.to_str().unwrap(),
        "--points",
        points.to_str().unwrap(),
        "--derivatives",
        "u_x,u_xx",
        "--out",
        pred.to_str().unwrap(),
    ]);
    with_limit("64M", &predict).user_error(&["predict at 1000000 points with --arch 1,10,1", "64.0 MiB"]);
    let mut names = files_in(dir.path());
    names.sort();
    assert_eq!(names, ["p.npy", "p100000.toml", "p10000000.toml", "x.csv"], "nothing written");
}

/// At a non-finite start the status is `diverged` and no analysis field claims anything.
#[test]
fn a_non_finite_end_point_has_null_analysis_fields_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("big.npy");
    write_vector(&params, &[1e200; 31]);
    let mut args = regression("fit");
    args.extend(strings(&["--params", params.to_str().unwrap(), "--solver", "newton", "--json"]));
    let summary = run(&args).success_json();
    assert_eq!(summary["status"], "diverged");
    for key in ["classification", "inertia", "min_eig", "max_eig", "analysis"] {
        assert!(summary[key].is_null(), "{key}: {}", summary[key]);
    }
    assert_eq!(summary["analysis_skipped"], "non_finite_loss");
    assert_eq!(summary["category"], "not_converged");

    // A finite end point says the analysis was made.
    let mut args = regression("fit");
    args.extend(strings(&["--solver", "gd", "--max-iter", "2", "--json"]));
    let summary = run(&args).success_json();
    assert!(summary["analysis_skipped"].is_null());
    assert_eq!(summary["analysis"], "eigen");
}

/// `derivs` at θ = 1e200 wrote files of NaN with exit 0: now it names the non-finite
/// result and writes nothing.
#[test]
fn derivs_refuses_a_non_finite_result() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("big.npy");
    write_vector(&params, &[1e200; 31]);
    let (g, h) = (dir.path().join("g.npy"), dir.path().join("h.npy"));
    let mut args = regression("derivs");
    args.extend(strings(&["--params", params.to_str().unwrap()]));
    args.extend(strings(&["--grad-out", g.to_str().unwrap(), "--hessian-out", h.to_str().unwrap()]));
    run(&args).user_error(&["big.npy: the loss is not finite at these parameters (inf); nothing written"]);
    assert_eq!(files_in(dir.path()), ["big.npy"]);
}

/// Zero and negative counts, negative numbers and overflows: one line naming the flag,
/// the value and the valid range (clap used to say "unexpected argument '-1' found").
#[test]
fn numbers_out_of_range_name_the_range() {
    let fit = |extra: &[&str]| {
        let mut args = regression("fit");
        args.extend(strings(&["--solver", "adam"]));
        args.extend(strings(extra));
        run(&args)
    };
    fit(&["--seed", "-1"])
        .user_error(&["--seed must be a whole number from 0 to 18446744073709551615, got -1"]);
    fit(&["--max-iter", "-1"]).user_error(&["--max-iter must be a whole number of at least 0, got -1"]);
    fit(&["--gtol", "-1"]).user_error(&["--gtol must be a non-negative number, got -1"]);
    fit(&["--learning-rate", "-1"]).user_error(&["--learning-rate must be a positive number, got -1"]);
    fit(&["--curvature-every", "0"])
        .user_error(&["--curvature-every must be a whole number of at least 1, got 0"]);
    fit(&["--max-seconds", "-2"]).user_error(&["--max-seconds must be a positive number, got -2"]);
    fit(&["--seed", "18446744073709551616"])
        .user_error(&["--seed 18446744073709551616 is more than the largest seed, 18446744073709551615"]);
    fit(&["--max-iter", "99999999999999999999"])
        .user_error(&["--max-iter 99999999999999999999 is more than the largest count"]);
    let mut chain = regression("fit");
    chain.extend(strings(&["--solver", "adam:18446744073709551615,gd:1"]));
    run(&chain).user_error(&["the stages' counts add up to more than the largest count"]);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl");
    let mut sweep = regression("sweep");
    sweep[4] = "1,3,1".into();
    sweep.extend(strings(&["--solvers", "gd", "--max-iter", "2", "--out", out.to_str().unwrap()]));
    let with = |extra: &[&str]| run([sweep.clone(), strings(extra)].concat());
    with(&["--first-seed", "18446744073709551615", "--seeds", "3"])
        .user_error(&["--first-seed 18446744073709551615 with --seeds 3 runs past the largest seed"]);
    with(&["--seeds", "-3"]).user_error(&["--seeds must be a whole number of at least 1, got -3"]);
    assert!(files_in(dir.path()).is_empty());
}

/// Every TOML error names its field: an unknown top-level key, and an integer past TOML's
/// (64-bit signed) range, which the parser reports before any field is read.
#[test]
fn toml_errors_name_their_field() {
    let dir = tempfile::tempdir().unwrap();
    let colour = poisson_file(dir.path(), 8, "colour = \"red\"");
    run(["problem", &colour]).user_error(&["p8.toml: colour: unknown field 'colour' (expected: inputs,"]);
    let seed = dir.path().join("seed.toml");
    fs::write(
        &seed,
        "inputs = [\"x\"]\n[[terms]]\nname = \"i\"\nresidual = \"-u_xx - 1\"\n\
         points = { random = { n = 8, seed = 18446744073709551615, x = [0, 1] } }\n",
    )
    .unwrap();
    run(["problem", seed.to_str().unwrap()]).user_error(&[
        "seed.toml: line 5: column 37: terms[0].points.random.seed: 18446744073709551615 is more than the \
         largest TOML integer, 9223372036854775807",
    ]);
}

/// An output in a directory that takes no new files (/proc) said "no such file or
/// directory".
#[test]
fn an_output_on_a_file_system_that_makes_no_files_says_so() {
    if !Path::new("/proc/version").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.npy");
    write_vector(&params, &[0.1; 31]);
    let mut args = regression("derivs");
    args.extend(strings(&["--params", params.to_str().unwrap(), "--grad-out", "/proc/version"]));
    let start = Instant::now();
    let line = run(&args).user_error(&["/proc/version: cannot write:", "does not create files there"]);
    assert!(!line.contains("no such file"), "{line}");
    assert!(start.elapsed() < Duration::from_secs(30));
}
