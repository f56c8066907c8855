//! The bundled problem files of `examples/problems/`: each one's residuals at its exact or
//! reference solution are small, and its stated short fit lowers the error. The numbers
//! of README's table of bundled problems come from here (`SADDLE_UPDATE_DOCS=1` rewrites
//! it).

mod support;

#[path = "support/docs.rs"]
mod docs;

#[path = "bundled/closed_form.rs"]
mod closed_form;

#[path = "bundled/reference.rs"]
mod reference;

use support::run;

/// One bundled problem and the short fit its row of the table states.
pub struct Case {
    /// The file, from the workspace root.
    pub file: &'static str,
    /// What it is, for the table.
    pub problem: &'static str,
    /// The fit: `--arch`, `--act`, `--solver`, `--max-iter`, `--seed`.
    pub arch: &'static str,
    /// Hidden activation.
    pub act: &'static str,
    /// The solver spec.
    pub solver: &'static str,
    /// Iterations of the fit.
    pub max_iter: usize,
    /// The initialization's seed.
    pub seed: u64,
    /// How the solution the residuals are checked at is given.
    pub solution: Solution,
    /// A trainable coefficient the fit must recover: name, true value, tolerance.
    pub coefficient: Option<(&'static str, f64, f64)>,
    /// The rel_l2 the fit must reach (at most).
    pub rel_l2_below: f64,
}

/// How a case's residuals are checked.
pub enum Solution {
    /// The file's `exact`: every term's largest |residual| there (`saddle problem`) is at
    /// most this.
    Exact(f64),
    /// Reference data: the named check returns the residual the table reports (its own
    /// test asserts its size), with a short description.
    Reference(&'static str, fn() -> f64),
}

/// The summary of `saddle fit` for `case` with `max_iter` iterations.
fn fit(case: &Case, max_iter: usize) -> serde_json::Map<String, serde_json::Value> {
    let root = support::workspace_root();
    run([
        "fit",
        "--problem",
        root.join(case.file).to_str().unwrap(),
        "--arch",
        case.arch,
        "--act",
        case.act,
        "--solver",
        case.solver,
        "--max-iter",
        &max_iter.to_string(),
        "--seed",
        &case.seed.to_string(),
    ])
    .success_json()
}

/// The largest |residual| of any term at the file's exact solution.
fn residual_at_exact(case: &Case) -> f64 {
    let root = support::workspace_root();
    let json = run(["problem", root.join(case.file).to_str().unwrap(), "--json"]).success_json();
    json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["at_exact"]["max_abs"].as_f64().unwrap_or_else(|| panic!("{}: no at_exact", case.file)))
        .fold(0.0, f64::max)
}

/// Three significant digits.
fn sig(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x:.2e}") }
}

/// Checks `case` and returns its row of the table.
fn row(case: &Case) -> String {
    let (residual, how) = match &case.solution {
        Solution::Exact(tol) => {
            let r = residual_at_exact(case);
            assert!(r <= *tol, "{}: residual {r:e} at the exact solution above {tol:e}", case.file);
            (r, "exact")
        }
        Solution::Reference(how, check) => (check(), *how),
    };
    let before = fit(case, 0)["rel_l2"].as_f64().unwrap();
    let after = fit(case, case.max_iter);
    let rel_l2 = after["rel_l2"].as_f64().unwrap();
    assert!(rel_l2 < before, "{}: the fit did not lower the error: {before:e} → {rel_l2:e}", case.file);
    assert!(rel_l2 <= case.rel_l2_below, "{}: rel_l2 {rel_l2:e} above {:e}", case.file, case.rel_l2_below);
    let coefficient = match case.coefficient {
        None => String::new(),
        Some((name, truth, tol)) => {
            let value = after["parameters"][name].as_f64().unwrap();
            assert!(
                (value - truth).abs() <= tol,
                "{}: {name} = {value}, expected {truth} ± {tol}",
                case.file
            );
            format!("{name} = {value:.6} (true {truth})")
        }
    };
    let file = case.file.rsplit('/').next().unwrap();
    format!(
        "| `{file}` | {} | {} ({how}) | `{}` {} `{}`, {} its, seed {} | {} → {} | {coefficient} |\n",
        case.problem,
        sig(residual),
        case.arch,
        case.act,
        case.solver,
        case.max_iter,
        case.seed,
        sig(before),
        sig(rel_l2),
    )
}

#[test]
fn bundled_problems_have_small_residuals_and_fit_and_the_readme_table_says_so() {
    let mut table = String::from(
        "| file | problem | largest residual at the solution | short fit | rel_l2 before → after | coefficient |\n\
         |---|---|---|---|---|---|\n",
    );
    for case in closed_form::CASES.iter().chain(reference::CASES) {
        table.push_str(&row(case));
    }
    docs::publish("README.md", "bundled-table.md", "bundled", &table);
}
