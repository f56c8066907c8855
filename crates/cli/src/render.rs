//! Aligned plain-text tables of the commands' JSON, printed instead of it on a terminal.
//!
//! Each function takes the JSON value a command returns and never fails: a missing or
//! null field shows as `-` (or is left out), numbers are shortened to 4 significant digits.

use serde_json::Value;

use crate::study::experiments::Category;

/// `fit`'s summary as two columns, field and value; absent and null fields are left out,
/// and a problem file's term losses follow `loss` as `terms.NAME`.
pub fn fit(summary: &Value) -> String {
    let fields = [
        "problem",
        "arch",
        "act",
        "points",
        "params",
        "seed",
        "solver",
        "status",
        "iterations",
        "loss",
        "grad_norm",
        "rel_l2",
        "category",
        "classification",
        "inertia",
        "min_eig",
        "max_eig",
        "analysis",
        "analysis_skipped",
        "seconds",
    ];
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for &field in fields.iter().filter(|&&field| !summary[field].is_null()) {
        rows.push(vec![Value::from(field), summary[field].clone()]);
        // A problem file's term losses follow the loss, one row each.
        if field == "loss"
            && let Some(terms) = summary["terms"].as_object()
        {
            rows.extend(
                terms.iter().map(|(name, loss)| vec![Value::from(format!("terms.{name}")), loss.clone()]),
            );
        }
    }
    table(&["field", "value"], &rows)
}

/// `compare`'s summary: the problem on one line, then one row per run (`seed`, `rel_l2`
/// and `seconds` only when some run has them; `iter` is `iterations`, `max_cos`
/// `max_target_cosine`).
pub fn compare(summary: &Value) -> String {
    let runs = summary["runs"].as_array().map_or(&[][..], Vec::as_slice);
    let mut columns = vec![
        ("solver", "solver"),
        ("status", "status"),
        ("iterations", "iter"),
        ("loss", "loss"),
        ("grad_norm", "grad_norm"),
        ("category", "category"),
        ("inertia", "inertia"),
        ("min_eig", "min_eig"),
        ("max_target_cosine", "max_cos"),
    ];
    let optional =
        ["seed", "rel_l2", "seconds"].into_iter().filter(|&c| runs.iter().any(|r| !r[c].is_null()));
    columns.extend(optional.map(|c| (c, c)));
    let rows: Vec<Vec<Value>> =
        runs.iter().map(|run| columns.iter().map(|&(key, _)| run[key].clone()).collect()).collect();
    let header: Vec<&str> = columns.iter().map(|&(_, header)| header).collect();
    let head = fields(summary, &["problem", "arch", "act", "points", "params", "seed"]);
    format!("{head}\n\n{}", table(&header, &rows))
}

/// `sweep`'s summary: the runs and the output file on one line, then one row per solver
/// with its count of runs in each category and their total.
pub fn sweep(summary: &Value) -> String {
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
    let mut columns = vec!["solver"];
    columns.extend(&categories);
    columns.push("total");
    let counts = summary["counts"].as_object().into_iter().flatten();
    let rows: Vec<Vec<Value>> = counts
        .map(|(solver, by_category)| {
            let counts = categories.iter().map(|&c| by_category[c].clone());
            let total: u64 = categories.iter().filter_map(|&c| by_category[c].as_u64()).sum();
            [Value::from(solver.as_str())].into_iter().chain(counts).chain([Value::from(total)]).collect()
        })
        .collect();
    let head = fields(summary, &["runs", "plan_runs", "shard", "out"]);
    format!("{head}\n\n{}", table(&columns, &rows))
}

/// `problem`'s summary: the file, inputs and point counts on one line, then one row per
/// term (with its loss at θ = 0, `scale.loss`, and the residual at the exact solution, when
/// the summary has them).
pub fn problem(summary: &Value) -> String {
    let terms = summary["terms"].as_array().map_or(&[][..], Vec::as_slice);
    let mut columns = vec![("term", "/name"), ("points", "/points"), ("weight", "/weight")];
    if terms.iter().any(|t| !t["scale"].is_null()) {
        columns.push(("scale.loss", "/scale/loss"));
    }
    if terms.iter().any(|t| !t["at_exact"].is_null()) {
        columns.extend([
            ("at_exact.max_abs", "/at_exact/max_abs"),
            ("at_exact.rms", "/at_exact/rms"),
            ("at_exact.scale", "/at_exact/scale"),
        ]);
    }
    let rows: Vec<Vec<Value>> = terms
        .iter()
        .map(|term| {
            columns.iter().map(|(_, path)| term.pointer(path).cloned().unwrap_or(Value::Null)).collect()
        })
        .collect();
    let columns: Vec<&str> = columns.iter().map(|(header, _)| *header).collect();
    // The outputs are shown when there are several (one is u).
    let several = summary["outputs"].as_array().is_some_and(|o| o.len() > 1);
    let names: &[&str] = match several {
        true => &["file", "inputs", "outputs", "points", "test_points"],
        false => &["file", "inputs", "points", "test_points"],
    };
    let head = fields(summary, names);
    format!("{head}\n\n{}", table(&columns, &rows))
}

/// `name: value` for each of `names` that is present, three spaces apart.
fn fields(value: &Value, names: &[&str]) -> String {
    let present = names.iter().filter(|&&name| !value[name].is_null());
    present.map(|&name| format!("{name}: {}", cell(&value[name]))).collect::<Vec<_>>().join("   ")
}

/// The header, a rule and the rows, columns two spaces apart; a column whose cells are all
/// numbers (or `-`) is right-aligned, any other left-aligned.
fn table(header: &[&str], rows: &[Vec<Value>]) -> String {
    let texts: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(cell).collect()).collect();
    let text_at = |row: &[String], c: usize| row.get(c).map_or(0, |t| t.chars().count());
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            texts.iter().map(|row| text_at(row, c)).chain([header[c].chars().count()]).max().unwrap_or(0)
        })
        .collect();
    let right: Vec<bool> = (0..header.len())
        .map(|c| rows.iter().all(|row| matches!(row.get(c), Some(Value::Number(_) | Value::Null) | None)))
        .collect();
    let line = |cells: Vec<String>| {
        let padded = cells.iter().zip(&widths).zip(&right).map(|((text, &width), &right)| {
            if right { format!("{text:>width$}") } else { format!("{text:<width$}") }
        });
        padded.collect::<Vec<_>>().join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out += &line(widths.iter().map(|&w| "-".repeat(w)).collect());
    for row in texts {
        out += &line(row);
    }
    out
}

/// One cell: numbers to 4 significant digits, strings as they are (quoted and escaped if
/// they hold control characters), arrays as `[a, b]`, null as `-`.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_f64() => number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().any(char::is_control) => format!("{s:?}"),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(cell).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => value.to_string(),
    }
}

/// `x` to 4 significant digits, trailing zeros dropped: fixed from 0.001 to 9999, otherwise
/// as 1.234e-5.
fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 { "0".into() } else { x.to_string() };
    }
    let scientific = format!("{x:.3e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-3..4).contains(&exponent) {
        let decimals = (3 - exponent) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    } else {
        format!("{}e{exponent}", trim_zeros(mantissa))
    }
}

/// "1.500" → "1.5", "2.000" → "2"; text without a decimal point as it is.
fn trim_zeros(text: &str) -> &str {
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_have_four_significant_digits() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (15.75, "15.75"),
            (-0.5, "-0.5"),
            (0.001234567, "0.001235"),
            (1234.5678, "1235"),
            (9999.7, "1e4"),
            (9.99996, "10"),
            (12345.0, "1.234e4"),
            (1.234567e-5, "1.235e-5"),
            (-4.0e-7, "-4e-7"),
            (3.2e300, "3.2e300"),
            (f64::NAN, "NaN"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x}");
        }
    }

    #[test]
    fn table_aligns_text_left_and_numbers_right() {
        let rows = vec![
            vec![json!("newton"), json!(17), json!(15.75), json!([7, 16, 8])],
            vec![json!("saddle-free-newton"), json!(500), json!(2.2e-7), Value::Null],
        ];
        // The inertia column holds an array, so it is text (left) even with a `-` in it.
        let want = "\
solver              iter    loss  inertia
------------------  ----  ------  ----------
newton                17   15.75  [7, 16, 8]
saddle-free-newton   500  2.2e-7  -
";
        assert_eq!(table(&["solver", "iter", "loss", "inertia"], &rows), want);
    }

    #[test]
    fn fit_is_two_columns_without_nulls() {
        let summary = json!({
            "solver": "lm", "status": "converged", "iterations": 12, "loss": 1.5e-20,
            "grad_norm": 3.0e-11, "rel_l2": null, "category": "fitted", "inertia": [0, 2, 29],
            "options": [{"solver": "lm"}], "evals": {"value": 3},
        });
        let want = "\
field       value
----------  ----------
solver      lm
status      converged
iterations  12
loss        1.5e-20
grad_norm   3e-11
category    fitted
inertia     [0, 2, 29]
";
        assert_eq!(fit(&summary), want);
        let with_terms = json!({"loss": 3.0, "terms": {"boundary": 1.0, "interior": 2.0}, "rel_l2": 0.5});
        let want = "\
field           value
--------------  -----
loss                3
terms.boundary      1
terms.interior      2
rel_l2            0.5
";
        assert_eq!(fit(&with_terms), want);
    }

    #[test]
    fn compare_has_a_row_per_run() {
        let summary = json!({
            "problem": "regression", "arch": "1,10,1", "act": "tanh", "points": 50,
            "params": 31, "seed": 8, "runs": [
                {"solver": "newton", "status": "singular", "iterations": 17, "loss": 15.75,
                 "grad_norm": 0.25, "category": "not_converged", "classification": "saddle",
                 "inertia": [7, 16, 8], "min_eig": -0.001, "fit_ratio": 9.6e-8,
                 "max_target_cosine": 1.5e-8, "rel_l2": null},
                {"solver": "lm", "status": "max_iterations", "iterations": 500,
                 "loss": 4.5e-10, "grad_norm": 1.0e-7, "category": "fitted",
                 "classification": "saddle", "inertia": [7, 5, 19], "min_eig": -6.0e-6,
                 "fit_ratio": 1.0, "max_target_cosine": 0.83, "rel_l2": null},
            ],
        });
        let want = "\
problem: regression   arch: 1,10,1   act: tanh   points: 50   params: 31   seed: 8

solver  status          iter     loss  grad_norm  category       inertia     min_eig  max_cos
------  --------------  ----  -------  ---------  -------------  ----------  -------  -------
newton  singular          17    15.75       0.25  not_converged  [7, 16, 8]   -0.001   1.5e-8
lm      max_iterations   500  4.5e-10       1e-7  fitted         [7, 5, 19]    -6e-6     0.83
";
        assert_eq!(compare(&summary), want);
    }

    #[test]
    fn sweep_counts_per_category_and_total() {
        let summary = json!({
            "runs": 6, "plan_runs": 6, "shard": "1/1", "out": "runs.jsonl",
            "counts": {
                "bfgs": {"degenerate": 0, "fitted": 2, "minimum": 0, "not_converged": 1, "saddle": 0},
                "newton": {"degenerate": 0, "fitted": 0, "minimum": 1, "not_converged": 0, "saddle": 2},
            },
        });
        let want = "\
runs: 6   plan_runs: 6   shard: 1/1   out: runs.jsonl

solver  fitted  minimum  degenerate  saddle  not_converged  total
------  ------  -------  ----------  ------  -------------  -----
bfgs         2        0           0       0              1      3
newton       0        1           0       2              0      3
";
        assert_eq!(sweep(&summary), want);
    }

    #[test]
    fn problem_has_a_row_per_term() {
        let with_exact = json!({
            "file": "p.toml", "inputs": ["x", "y"], "points": 900, "test_points": 0,
            "exact": true, "terms": [
                {"name": "interior", "points": 784, "weight": 0.0012755102040816326,
                 "at_exact": {"max_abs": 1.2e-16, "rms": 3.0e-17, "scale": 19.74}},
                {"name": "boundary", "points": 116, "weight": 4.0,
                 "at_exact": {"max_abs": 0.0, "rms": 0.0, "scale": 0.0}},
            ],
        });
        let want = "\
file: p.toml   inputs: [x, y]   points: 900   test_points: 0

term      points    weight  at_exact.max_abs  at_exact.rms  at_exact.scale
--------  ------  --------  ----------------  ------------  --------------
interior     784  0.001276           1.2e-16         3e-17           19.74
boundary     116         4                 0             0               0
";
        assert_eq!(problem(&with_exact), want);
        let without = json!({"file": "q.toml", "inputs": ["x"], "points": 3, "test_points": 3,
            "exact": false, "terms": [{"name": "a\nb", "points": 3, "weight": 1.0}]});
        assert_eq!(
            problem(&without),
            "file: q.toml   inputs: [x]   points: 3   test_points: 3\n\n\
             term    points  weight\n------  ------  ------\n\"a\\nb\"       3       1\n"
        );
    }

    #[test]
    fn problem_shows_each_terms_loss_at_zero_parameters() {
        let summary = json!({
            "file": "q.toml", "inputs": ["x"], "points": 5, "test_points": 5, "exact": false,
            "terms": [
                {"name": "a", "points": 3, "weight": 1.0, "scale": {"loss": 7.5, "max_abs": 1.0, "rms": 0.7}},
                {"name": "b", "points": 2, "weight": 0.5, "scale": {"loss": 0.0, "max_abs": 0.0, "rms": 0.0}},
            ],
        });
        assert_eq!(
            problem(&summary),
            "file: q.toml   inputs: [x]   points: 5   test_points: 5\n\n\
             term  points  weight  scale.loss\n----  ------  ------  ----------\n\
             a          3       1         7.5\nb          2     0.5           0\n"
        );
    }

    #[test]
    fn any_value_renders_without_panicking() {
        for value in [Value::Null, json!(1), json!("x"), json!([1, "a"]), json!({"runs": 3, "terms": 1})] {
            for render in [fit, compare, sweep, problem] {
                let _ = render(&value);
            }
        }
    }
}
