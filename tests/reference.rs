//! `saddle derivs` end to end against the fixtures of the independent JAX implementations of
//! the contract: the built-in problems (`reference/jax_reference.py`, fixtures in
//! `tests/fixtures/reference/`) and problem files (`reference/problem_reference.py`, fixtures
//! in `tests/fixtures/problems/`): loss, gradient, Hessian and Hessian-vector product of every
//! case, to a norm-wise relative error of 1e-10.

mod support;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use support::{files_in, read_square, read_vector, rel_err, run};

/// The largest norm-wise relative error allowed: max|a − b| / max|b|.
const TOL: f64 = 1e-10;

fn fixtures(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(set)
}

/// One entry of `cases.json`.
struct Case {
    name: String,
    /// The built-in problem, or `None` for a case's `problem.toml`.
    problem: Option<String>,
    arch: String,
    act: String,
    params: u64,
    loss: f64,
}

fn cases(set: &str) -> Vec<Case> {
    let path = fixtures(set).join("cases.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let list: serde_json::Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let str_field =
        |c: &serde_json::Value, k: &str| c[k].as_str().unwrap_or_else(|| panic!("{k} in {c}")).to_string();
    list.as_array()
        .expect("cases.json is an array")
        .iter()
        .map(|c| Case {
            name: str_field(c, "name"),
            problem: c["problem"].as_str().map(str::to_string),
            arch: str_field(c, "arch"),
            act: str_field(c, "act"),
            params: c["params"].as_u64().expect("params"),
            loss: c["loss"].as_f64().expect("loss"),
        })
        .collect()
}

/// The relative errors of one case: loss, gradient, Hessian, HVP.
struct Errors {
    loss: f64,
    grad: f64,
    hessian: f64,
    hvp: f64,
}

impl Errors {
    /// The largest of the four; NaN if any is NaN.
    fn worst(&self) -> f64 {
        [self.loss, self.grad, self.hessian, self.hvp]
            .into_iter()
            .fold(0.0, |acc: f64, x| if acc.is_nan() || x.is_nan() { f64::NAN } else { acc.max(x) })
    }
}

fn check_case(set: &str, case: &Case) -> Errors {
    let dir = fixtures(set).join(&case.name);
    // expected.json agrees with cases.json.
    let expected: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json is JSON");
    assert_eq!(expected["problem"].as_str(), case.problem.as_deref(), "{}: problem", case.name);
    assert_eq!(expected["arch"], case.arch.as_str(), "{}: arch", case.name);
    assert_eq!(expected["act"], case.act.as_str(), "{}: act", case.name);
    assert_eq!(expected["params"], case.params, "{}: params", case.name);
    assert_eq!(expected["loss"].as_f64(), Some(case.loss), "{}: loss", case.name);

    let out = tempfile::tempdir().expect("temp dir");
    let (g, h, hv) = (out.path().join("g.npy"), out.path().join("h.npy"), out.path().join("hv.npy"));
    let (data, params, v) = (dir.join("data.csv"), dir.join("params.npy"), dir.join("v.npy"));
    let file = dir.join("problem.toml");
    let problem: Vec<&OsStr> = match &case.problem {
        Some(kind) => vec!["--problem".as_ref(), kind.as_ref(), "--data".as_ref(), data.as_os_str()],
        None => vec!["--problem".as_ref(), file.as_os_str()],
    };
    let mut args: Vec<&OsStr> = vec!["derivs".as_ref()];
    args.extend(problem);
    args.extend::<[&OsStr; 14]>([
        "--arch".as_ref(),
        case.arch.as_ref(),
        "--act".as_ref(),
        case.act.as_ref(),
        "--params".as_ref(),
        params.as_os_str(),
        "--grad-out".as_ref(),
        g.as_os_str(),
        "--hessian-out".as_ref(),
        h.as_os_str(),
        "--hvp".as_ref(),
        v.as_os_str(),
        "--hvp-out".as_ref(),
        hv.as_os_str(),
    ]);
    let result = run(args);
    let summary = result.success_json();
    assert_eq!(
        summary.get("params").and_then(|p| p.as_u64()),
        Some(case.params),
        "{}: params in {summary:?}",
        case.name
    );
    let loss = summary
        .get("loss")
        .and_then(|l| l.as_f64())
        .unwrap_or_else(|| panic!("{}: no loss in {summary:?}", case.name));
    assert_eq!(files_in(out.path()), ["g.npy", "h.npy", "hv.npy"], "{}: output files", case.name);

    if case.problem.is_none() {
        // The same points per term as the reference generated.
        let summary = run(["problem".as_ref(), file.as_os_str()]).success_json();
        for term in summary["terms"].as_array().expect("terms") {
            let name = term["name"].as_str().expect("a term's name");
            assert_eq!(term["points"], expected["points"][name], "{}: points of term {name}", case.name);
        }
    }
    let n = case.params as usize;
    Errors {
        loss: rel_err(&[loss], &[case.loss]),
        grad: rel_err(&read_vector(&g, n), &read_vector(&dir.join("grad.npy"), n)),
        hessian: rel_err(&read_square(&h, n), &read_square(&dir.join("hessian.npy"), n)),
        hvp: rel_err(&read_vector(&hv, n), &read_vector(&dir.join("hvp.npy"), n)),
    }
}

#[test]
fn derivs_matches_the_jax_reference() {
    matches_the_reference("reference", 10);
}

#[test]
fn derivs_of_problem_files_match_the_jax_reference() {
    matches_the_reference("problems", 8);
}

/// Every case of the fixture set `set` (at least `min` of them) within [`TOL`].
fn matches_the_reference(set: &str, min: usize) {
    let cases = cases(set);
    assert!(cases.len() >= min, "expected at least {min} {set} cases, found {}", cases.len());
    let mut failures = Vec::new();
    eprintln!("{:<26} {:>10} {:>10} {:>10} {:>10} {:>10}", "case", "loss", "grad", "hessian", "hvp", "worst");
    for case in &cases {
        // A failing case (the binary erring, a missing file) is reported, not fatal, so the
        // table covers every case.
        let e = match std::panic::catch_unwind(|| check_case(set, case)) {
            Ok(e) => e,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                eprintln!("{:<26} FAILED", case.name);
                failures.push(format!("{}: {msg}", case.name));
                continue;
            }
        };
        eprintln!(
            "{:<26} {:>10.2e} {:>10.2e} {:>10.2e} {:>10.2e} {:>10.2e}",
            case.name,
            e.loss,
            e.grad,
            e.hessian,
            e.hvp,
            e.worst()
        );
        // NaN fails too.
        if e.worst().is_nan() || e.worst() > TOL {
            failures.push(format!("{}: worst relative error {:.3e} > {TOL:e}", case.name, e.worst()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
