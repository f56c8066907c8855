//! The `saddle` binary over malformed arguments and files: a table of known bad inputs,
//! then generated combinations of good and bad pieces. Every run must exit 0 or 2, never
//! panic, and leave no output file (nor temporary) behind when it fails.

mod support;

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use support::{Run, files_in, run, write_npy_typed, write_vector};
use tempfile::TempDir;

/// n of `--arch 1,3,1`: 1·3 + 3 + 3·1 + 1.
const N: usize = 10;

/// Every input file the cases name, good and bad, by name in `in/`.
const FILES: &[(&str, &[u8])] = &[
    ("good.csv", b"x,y\n0.1,0.2\n0.5,-0.3\n0.9,0.7\n"),
    ("two_inputs.csv", b"x0,x1,y\n0.1,0.2,0.3\n0.4,0.5,0.6\n"),
    ("empty.csv", b""),
    ("header_only.csv", b"x,y\n"),
    ("one_column.csv", b"y\n1\n2\n"),
    ("text_cell.csv", b"x,y\n0.1,abc\n"),
    ("nan_cell.csv", b"x,y\n0.1,NaN\n"),
    ("inf_cell.csv", b"x,y\ninf,0.2\n"),
    ("huge_cell.csv", b"x,y\n1e400,0.2\n"),
    ("ragged.csv", b"x,y\n0.1,0.2\n0.3\n"),
    ("empty_cell.csv", b"x,y\n0.1,\n"),
    ("binary.csv", b"\x00\xff\xfe\x93NUMPY\x01\x00garbage"),
    ("quote.csv", b"x,y\n\"0.1,0.2\n"),
    ("garbage.npy", b"this is not a numpy file at all"),
    ("truncated.npy", b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, "),
];

/// Writes the files of [`FILES`] and the `.npy` cases into `dir`.
fn write_inputs(dir: &Path) {
    fs::create_dir_all(dir.join("a_directory.csv")).unwrap();
    for (name, bytes) in FILES {
        fs::write(dir.join(name), bytes).unwrap();
    }
    let good: Vec<f64> = (0..N).map(|i| 0.3 * (i as f64).sin()).collect();
    write_vector(&dir.join("params.npy"), &good);
    write_vector(&dir.join("short.npy"), &good[..N - 1]);
    write_vector(&dir.join("long.npy"), &[good.clone(), vec![0.5]].concat());
    write_vector(&dir.join("empty.npy"), &[]);
    let mut with_nan = good.clone();
    with_nan[3] = f64::NAN;
    write_vector(&dir.join("nan.npy"), &with_nan);
    let mut with_inf = good.clone();
    with_inf[0] = f64::NEG_INFINITY;
    write_vector(&dir.join("inf.npy"), &with_inf);
    write_npy_typed(&dir.join("f32.npy"), "<f4", &[N as u64], &[0.5f32; N]);
    write_npy_typed(&dir.join("i64.npy"), "<i8", &[N as u64], &[1i64; N]);
    write_npy_typed(&dir.join("big_endian.npy"), ">f8", &[N as u64], &good);
    write_npy_typed(&dir.join("matrix.npy"), "<f8", &[2, 5], &good);
    write_npy_typed(&dir.join("scalar.npy"), "<f8", &[], &[1.0]);
    // A header that claims far more data than follows.
    write_npy_typed(&dir.join("claims_more.npy"), "<f8", &[N as u64], &good);
    let path = dir.join("claims_more.npy");
    let text = fs::read(&path).unwrap();
    let patched = String::from_utf8_lossy(&text).replacen("(10,)", "(99999999999999999,)", 1);
    fs::write(&path, &patched.as_bytes()[..patched.len().min(160)]).unwrap();
}

/// One run of the binary in a fresh directory: inputs in `in/`, outputs requested in `out/`.
/// `IN/` and `OUT/` in the arguments stand for those directories.
fn run_case(args: &[String]) -> (Run, Vec<String>) {
    let dir = TempDir::new().unwrap();
    let (inp, out) = (dir.path().join("in"), dir.path().join("out"));
    fs::create_dir_all(&inp).unwrap();
    fs::create_dir_all(&out).unwrap();
    write_inputs(&inp);
    let expand = |a: &String| a.replace("IN/", &slash(&inp)).replace("OUT/", &slash(&out));
    let result = run(args.iter().map(expand));
    let left = files_in(&out);
    (result, left)
}

fn slash(dir: &Path) -> String {
    format!("{}/", dir.display())
}

/// The invariant every run must satisfy; returns why it does not.
fn check(args: &[String], run: &Run, left: &[String]) -> Result<(), String> {
    let case = args.join(" ");
    if !matches!(run.code, Some(0) | Some(2)) {
        return Err(format!("{case}: exit code {:?}; stderr: {}", run.code, run.stderr));
    }
    if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
        return Err(format!("{case}: panicked: {}", run.stderr));
    }
    if run.code == Some(2) {
        let lines: Vec<&str> = run.stderr.lines().collect();
        if lines.len() != 1 || !lines[0].starts_with("error: ") {
            return Err(format!("{case}: expected one `error:` line, got {:?}", run.stderr));
        }
        if !left.is_empty() {
            return Err(format!("{case}: failed but left {left:?} behind"));
        }
    }
    if let Some(tmp) = left.iter().find(|f| f.contains(".tmp-")) {
        return Err(format!("{case}: left the temporary {tmp}"));
    }
    Ok(())
}

fn strings(args: &str) -> Vec<String> {
    args.split_whitespace().map(String::from).collect()
}

/// Known bad inputs, each with a fragment its error must contain.
#[test]
fn known_bad_inputs_are_one_line_errors() {
    let derivs = "derivs --problem regression --act tanh";
    let cases: Vec<(String, &str)> = vec![
        (format!("{derivs} --arch 1,9999999999999,9999999999999,1 --data IN/good.csv --params IN/params.npy"),
         "the parameter count overflows"),
        (format!("{derivs} --arch 1,100000000,1 --data IN/good.csv --params IN/params.npy"),
         "have 300000001 parameters, more than the maximum 100000000"),
        (format!("{derivs} --arch 18446744073709551616,1 --data IN/good.csv --params IN/params.npy"),
         "is not a layer width"),
        (format!("{derivs} --arch 1,20000,1 --data IN/good.csv --params IN/params.npy --hessian-out OUT/h.npy"),
         "--hessian-out needs the dense 60001 × 60001 Hessian"),
        ("bench --problem regression --arch 1,3,1 --act tanh --points 100000000000".into(),
         "more than the maximum 100000000 values"),
        ("sweep --problem regression --arch 1,3,1 --act tanh --data IN/good.csv --seeds 100000000000 --out OUT/r.jsonl".into(),
         "more than the maximum 1000000 runs"),
        (format!("{derivs} --arch 1,3,1 --data IN/good.csv --params IN/claims_more.npy"), "claims_more.npy"),
        (format!("{derivs} --arch 1,3,1 --data IN/good.csv --params IN/truncated.npy"), "truncated.npy"),
        (format!("{derivs} --arch 1,3,1 --data IN/binary.csv --params IN/params.npy"), "binary.csv"),
        (format!("{derivs} --arch 1,3,1 --data IN/a_directory.csv --params IN/params.npy"), "a_directory.csv"),
        (format!("{derivs} --arch 1,3,1 --data IN/good.csv --params IN/params.npy --grad-out OUT/no/such/dir/g.npy"),
         "g.npy"),
    ];
    for (args, needle) in cases {
        let args = strings(&args);
        let (result, left) = run_case(&args);
        check(&args, &result, &left).unwrap();
        assert_eq!(result.code, Some(2), "{}: {}", args.join(" "), result.stdout);
        assert!(
            result.stderr.contains(needle),
            "{}: expected {needle:?} in {:?}",
            args.join(" "),
            result.stderr
        );
    }
}

/// A command line built from good and bad pieces.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let command = prop::sample::select(vec!["derivs", "fit", "compare", "sweep", "bench"]);
    let problem = prop::sample::select(vec!["regression", "pinn", "poisson", "", "regression,pinn"]);
    let arch = prop::sample::select(vec![
        "1,3,1",
        "1,3,1",
        "2,3,1",
        "1,3,2",
        "1,0,1",
        "1,,1",
        "1",
        "-1,3,1",
        "1.5,3,1",
        "a,b",
        "",
        "1,9999999999999,9999999999999,1",
        "1,200000000,1",
        "99999999999999999999,1",
    ]);
    let act = prop::sample::select(vec!["tanh", "sin", "sigmoid", "softplus", "relu", ""]);
    let data = prop::sample::select(vec![
        "good.csv",
        "good.csv",
        "two_inputs.csv",
        "missing.csv",
        "empty.csv",
        "header_only.csv",
        "one_column.csv",
        "text_cell.csv",
        "nan_cell.csv",
        "inf_cell.csv",
        "huge_cell.csv",
        "ragged.csv",
        "empty_cell.csv",
        "binary.csv",
        "quote.csv",
        "a_directory.csv",
        "garbage.npy",
    ]);
    let params = prop::sample::select(vec![
        "params.npy",
        "params.npy",
        "short.npy",
        "long.npy",
        "empty.npy",
        "nan.npy",
        "inf.npy",
        "f32.npy",
        "i64.npy",
        "big_endian.npy",
        "matrix.npy",
        "scalar.npy",
        "claims_more.npy",
        "garbage.npy",
        "truncated.npy",
        "good.csv",
        "missing.npy",
    ]);
    let number = prop::sample::select(vec![
        "2",
        "0",
        "-1",
        "1e400",
        "nan",
        "inf",
        "abc",
        "",
        "99999999999999999999999",
    ]);
    let extra = prop::sample::select(vec![
        "",
        "",
        "--bogus",
        "--max-iter",
        "--solver newton",
        "--solver relu",
        "--solvers gd,newton",
        "--solvers ,",
        "--seed -3",
        "--gtol -1",
        "--stationary-tol nan",
        "--learning-rate 0",
        "--learning-rate -1",
        "--curvature-every 0",
        "--shard 0/0",
        "--shard 3/2",
        "--budget 0",
        "--budget nan",
        "--points 0",
        "--hvp IN/params.npy",
    ]);
    let outputs = prop::sample::select(vec![
        "",
        "--grad-out OUT/g.npy --hessian-out OUT/h.npy",
        "--hvp IN/nan.npy --hvp-out OUT/hv.npy --grad-out OUT/g.npy",
        "--hvp IN/params.npy --hvp-out OUT/hv.npy",
        "--out OUT/run.jsonl --params-out OUT/p.npy",
        "--out OUT/no/dir/run.jsonl",
        "--params-out OUT/p.npy --out OUT/p.npy",
    ]);
    (command, problem, arch, act, data, params, (number.clone(), number), extra, outputs).prop_map(
        |(command, problem, arch, act, data, params, (max_iter, budget), extra, outputs)| {
            let mut args = vec![command.to_string(), "--problem".into(), problem.into()];
            args.extend(["--arch".into(), arch.into(), "--act".into(), act.into()]);
            if command != "bench" {
                args.extend(["--data".into(), format!("IN/{data}")]);
            }
            match command {
                "derivs" => args.extend(["--params".into(), format!("IN/{params}")]),
                "fit" => {
                    args.extend(["--solver".into(), "newton".into(), "--max-iter".into(), max_iter.into()]);
                    args.extend(["--params".into(), format!("IN/{params}")]);
                }
                "compare" => {
                    args.extend(["--solvers".into(), "gd,lm".into(), "--max-iter".into(), max_iter.into()])
                }
                "sweep" => args.extend(strings(&format!(
                    "--solvers gd --seeds 1 --max-iter {max_iter} --out OUT/runs.jsonl"
                ))),
                _ => args.extend(["--points".into(), "4".into(), "--budget".into(), format!("0.00{budget}")]),
            }
            args.extend(strings(extra));
            args.extend(strings(outputs));
            args
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Generated command lines: exit 0 or 2, no panic, nothing left behind after a failure.
    #[test]
    fn generated_command_lines_fail_cleanly(args in command_line()) {
        let (result, left) = run_case(&args);
        if let Err(why) = check(&args, &result, &left) {
            prop_assert!(false, "{}", why);
        }
    }
}

/// The fixtures are what the cases say they are: the good command line succeeds and
/// writes its outputs, so the failures above come from the bad pieces.
#[test]
fn the_good_pieces_succeed() {
    let args = strings(
        "derivs --problem regression --arch 1,3,1 --act tanh --data IN/good.csv --params IN/params.npy \
         --grad-out OUT/g.npy --hessian-out OUT/h.npy",
    );
    let (result, left) = run_case(&args);
    check(&args, &result, &left).unwrap();
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    assert_eq!(left, ["g.npy", "h.npy"]);
}
