//! Problems as TOML files (docs/CONTRACT.md, "Problem files"): the network's inputs and
//! outputs, an optional trial function of the network's outputs, an optional exact
//! solution, named constants, and residual terms each with its own points and weight.
//!
//! Loading parses and checks everything up front ([`ProblemFile::load`]); every fault is
//! one [`CliError::Problem`] naming the file, the field and, in expressions, the column.
//! [`FileProblem`] then builds the loss graph for a network.

pub mod expr;
pub mod lower;
pub mod points;
pub mod predict;
pub mod resolve;
mod source;
mod toml_field;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use saddle_graph::ops::Function;
use saddle_graph::{Graph, Program, Shape};
use toml::{Table, Value};

use crate::study::error::{CliError, Result};
use crate::study::io::csv::read_csv_table;
use expr::{BinOp, Expr};
use lower::{Leaf, lower};
use points::{Axis, Face, Layout, lattice, lattice_len};
use resolve::{RESERVED, Resolved, Scope};
pub use source::{
    ExactResiduals, FileProblem, SolutionError, TermLosses, exact_residuals, residuals_at_zero_params,
};

/// The most points one point set may have.
pub const MAX_POINTS: usize = 10_000_000;

/// A problem file, parsed and checked, with its points generated.
#[derive(Clone, Debug)]
pub struct ProblemFile {
    /// The file, as named on the command line.
    pub path: PathBuf,
    /// The network's inputs in column order.
    pub inputs: Vec<String>,
    /// The solution's outputs in the network's output order (`["u"]` by default).
    pub outputs: Vec<String>,
    /// Each output in terms of the network's outputs and the inputs (the network's own
    /// output where the file gives none).
    pub trial: Vec<Resolved>,
    /// The exact solution, one expression per output, if given.
    pub exact: Option<Vec<Resolved>>,
    /// The trainable `[parameters]` with their initial values, in file order: θ's entries
    /// after the network's.
    pub parameters: Vec<(String, f64)>,
    /// Each parameter's true value where the file gives one (`C = { initial = 2, exact = 1
    /// }`), in the order of `parameters`: the residuals at the exact solution use it.
    pub parameters_exact: Vec<Option<f64>>,
    /// The residual terms, in file order.
    pub terms: Vec<Term>,
    /// Where errors against the exact solution are measured, row-major × inputs: the `[test]`
    /// points, or else every term's own points one after the other.
    pub test_points: Vec<f64>,
    /// The data columns of a `[test]` CSV (its columns that are not inputs), by name, one
    /// value per test point.
    pub test_data: Vec<(String, Vec<f64>)>,
    /// `[test]`'s `exact`: the reference solution at the test points, one expression per
    /// output, in terms of the inputs, constants and the test CSV's data columns.
    pub test_exact: Option<Vec<Resolved>>,
}

/// One residual term with its points.
#[derive(Clone, Debug)]
pub struct Term {
    /// Its unique name (`term1`, `term2`, ... by its place when the file gives none).
    pub name: String,
    /// Its weight in the loss (≥ 0).
    pub weight: f64,
    /// The residual r(p), one number per point.
    pub residual: Resolved,
    /// The number of points.
    pub count: usize,
    /// The points, row-major count × inputs.
    pub points: Vec<f64>,
    /// The data variables (CSV columns that are not inputs) by name, one value per point.
    pub data: Vec<(String, Vec<f64>)>,
    /// The points `u(e1, ..., ed)` is evaluated at, one row-major count × inputs matrix per
    /// shifted site (site k is entry k − 1), computed from the term's points.
    pub shifted: Vec<Vec<f64>>,
}

/// Where in a file a fault is: the file and the field.
struct At<'a> {
    path: &'a Path,
    field: String,
}

impl At<'_> {
    fn err(&self, message: impl Into<String>) -> CliError {
        CliError::Problem {
            path: self.path.to_path_buf(),
            field: self.field.clone(),
            column: None,
            message: message.into(),
        }
    }

    fn err_at(&self, column: usize, message: impl Into<String>) -> CliError {
        CliError::Problem {
            path: self.path.to_path_buf(),
            field: self.field.clone(),
            column: Some(column),
            message: message.into(),
        }
    }

    fn child(&self, name: &str) -> At<'_> {
        let field = if self.field.is_empty() { name.to_string() } else { format!("{}.{name}", self.field) };
        At { path: self.path, field }
    }

    /// The field of output `k`'s expression: this one with one output, `.v` with several.
    fn output(&self, outputs: &[String], k: usize) -> At<'_> {
        match outputs.len() {
            1 => At { path: self.path, field: self.field.clone() },
            _ => self.child(&outputs[k]),
        }
    }
}

/// The expression in `text` with its names resolved in `scope`.
fn expression(at: &At<'_>, text: &str, scope: &mut Scope<'_>) -> Result<Resolved> {
    let parsed = expr::parse(text).map_err(|e| at.err_at(e.col, e.message))?;
    scope.resolve(&parsed).map_err(|(col, message)| at.err_at(col, message))
}

/// The value of a point set's coordinate: a number, or a string expression of numbers,
/// `pi` and the file's constants.
fn coordinate(at: &At<'_>, value: &Value, names: &Names<'_>) -> Result<f64> {
    number_expression(at, value, names, &[], "a coordinate uses numbers, pi and constants")
}

/// The value of a number, or of a string expression of numbers, `pi` and `names`'
/// constants; `later` are names it may not use yet (constants defined after it), and `rule`
/// says what it may use, in the errors.
fn number_expression(
    at: &At<'_>,
    value: &Value,
    names: &Names<'_>,
    later: &[&str],
    rule: &str,
) -> Result<f64> {
    let text = match value {
        Value::String(text) => text,
        Value::Integer(_) | Value::Float(_) => return number(at, value),
        other => {
            return Err(
                at.err(format!("expected a number or an expression string, found {}", other.type_str()))
            );
        }
    };
    let parsed = expr::parse(text).map_err(|e| at.err_at(e.col, e.message))?;
    let solution = |name: &str| {
        let output = |o: &str| names.outputs.iter().any(|n| n == o);
        name == "u"
            || name == "N"
            || output(name)
            || name.split_once('_').is_some_and(|(o, _)| output(o) || (o == "N" && output(&name[2..])))
    };
    let refused =
        |name: &str| names.inputs.iter().any(|i| i == name) || solution(name) || later.contains(&name);
    if let Some((name, col)) = first_name(&parsed, &refused) {
        let what = if solution(name) {
            "is the solution"
        } else if later.contains(&name) {
            "is not defined yet"
        } else {
            "is an input"
        };
        return Err(at.err_at(col, format!("'{name}' {what}: {rule}")));
    }
    let resolved = scope(&[], &[], names.constants, &[], false, false)
        .resolve(&parsed)
        .map_err(|(col, message)| at.err_at(col, message))?;
    match constant_value(&resolved)? {
        v if v.is_finite() => Ok(v),
        v => Err(at.err(format!("'{text}' is {v}, not a finite number"))),
    }
}

/// The value of an expression of numbers and constants, computed by the same graph
/// kernels as every other expression.
fn constant_value(e: &Resolved) -> Result<f64> {
    let mut g = Graph::new();
    let node = lower(&mut g, e, &mut |_, _| {
        Err(saddle_graph::GraphError::Internal("a constant expression refers to an input or u".into()))
    })?;
    g.set_output("value", node);
    let mut program = Program::compile(&g.simplify()?)?;
    program.run();
    Ok(program.output("value")?[0])
}

/// The first name in `e` that `wanted` picks, with its column.
fn first_name<'e>(e: &'e Expr, wanted: &dyn Fn(&str) -> bool) -> Option<(&'e str, usize)> {
    match e {
        Expr::Num(_) => None,
        Expr::Name { name, col } => wanted(name).then_some((name.as_str(), *col)),
        Expr::Neg(a) | Expr::Not { arg: a, .. } => first_name(a, wanted),
        Expr::Binary { lhs, rhs, .. } => first_name(lhs, wanted).or_else(|| first_name(rhs, wanted)),
        Expr::Call { callee, args, .. } => {
            first_name(callee, wanted).or_else(|| args.iter().find_map(|a| first_name(a, wanted)))
        }
    }
}

/// The names a point set may use: the inputs it spans and the constants of its
/// coordinates; the outputs, which are names it may not use.
struct Names<'a> {
    inputs: &'a [String],
    outputs: &'a [String],
    constants: &'a BTreeMap<String, f64>,
}

/// What an expression of the file may refer to.
fn scope<'a>(
    inputs: &'a [String],
    outputs: &'a [String],
    constants: &'a BTreeMap<String, f64>,
    data: &'a [String],
    network: bool,
    solution: bool,
) -> Scope<'a> {
    Scope {
        inputs,
        outputs,
        constants,
        data,
        params: &[],
        network,
        solution,
        normals: false,
        predicate: false,
        sites: Vec::new(),
    }
}

/// Whether `name` can name an input, constant or data variable, given the file's
/// `outputs` (which, with their derivatives `u_...` and the network's `N_u`, are taken).
/// `what` prefixes the messages (e.g. `column ` for a CSV header).
fn check_name(at: &At<'_>, what: &str, name: &str, taken: &[&str], outputs: &[String]) -> Result<()> {
    check_name_where(at, what, name, taken, outputs, true)
}

/// Whether a `[test]` CSV's data column `name` can be a name: as [`check_name`], except
/// that `u_...` is free there (`[test]`'s `exact` has no u), so `u_ref` can be one.
fn check_data_name(at: &At<'_>, name: &str, taken: &[&str], outputs: &[String]) -> Result<()> {
    check_name_where(at, "column ", name, taken, outputs, false)
}

/// [`check_name`], with the outputs' `u_...` reserved only when `derivatives` may appear.
fn check_name_where(
    at: &At<'_>,
    what: &str,
    name: &str,
    taken: &[&str],
    outputs: &[String],
    derivatives: bool,
) -> Result<()> {
    let mut chars = name.chars();
    let identifier = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if !identifier {
        return Err(at.err(format!(
            "{what}'{name}' is not a name (letters, digits and _, not starting with a digit)"
        )));
    }
    let output = |o: &str| o == "u" || outputs.iter().any(|n| n == o);
    let derivative = name.split_once('_').is_some_and(|(o, rest)| {
        (derivatives && output(o)) || (o == "N" && outputs.iter().any(|n| n == rest))
    });
    if RESERVED.contains(&name) || output(name) || derivative || Function::from_name(name).is_some() {
        let outputs = match outputs {
            [] => "u, u_...".to_string(),
            all => all.iter().map(|o| format!("{o}, {o}_...")).collect::<Vec<_>>().join(", "),
        };
        return Err(at.err(format!("{what}'{name}' is reserved (pi, {outputs}, N, d and the functions)")));
    }
    if taken.contains(&name) {
        return Err(at.err(format!("{what}'{name}' is already taken")));
    }
    Ok(())
}

fn keys_allowed(at: &At<'_>, table: &Table, allowed: &[&str]) -> Result<()> {
    match table.keys().find(|k| !allowed.contains(&k.as_str())) {
        // At the top level the key itself is the field at fault.
        Some(k) if at.field.is_empty() => {
            Err(at.child(k).err(format!("unknown field '{k}' (expected: {})", allowed.join(", "))))
        }
        Some(k) => Err(at.err(format!("unknown field '{k}' (expected: {})", allowed.join(", ")))),
        None => Ok(()),
    }
}

fn string<'v>(at: &At<'_>, value: &'v Value) -> Result<&'v str> {
    value.as_str().ok_or_else(|| at.err(format!("expected a string, found {}", value.type_str())))
}

fn number(at: &At<'_>, value: &Value) -> Result<f64> {
    let v = match value {
        Value::Float(v) => *v,
        Value::Integer(v) => *v as f64,
        other => return Err(at.err(format!("expected a number, found {}", other.type_str()))),
    };
    if v.is_finite() { Ok(v) } else { Err(at.err(format!("expected a finite number, found {v}"))) }
}

fn count(at: &At<'_>, value: &Value, min: i64) -> Result<usize> {
    match value {
        Value::Integer(v) if *v >= min => {
            usize::try_from(*v).map_err(|_| at.err(format!("{v} is too large")))
        }
        Value::Integer(v) => Err(at.err(format!("expected a whole number of at least {min}, found {v}"))),
        other => Err(at.err(format!("expected a whole number, found {}", other.type_str()))),
    }
}

impl ProblemFile {
    /// Reads, parses and checks the problem file at `path`, and generates its points.
    pub fn load(path: &Path) -> Result<ProblemFile> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, "read", e))?;
        let table: Table = toml::from_str(&text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
            let mut message = e.message().replace(['\n', '\r'], " ").trim().to_string();
            if let Some(span) = e.span()
                && (message.contains("too large") || message.contains("as i128"))
            {
                // TOML's integers are 64-bit signed.
                let literal = text.get(span).unwrap_or_default().trim();
                message = match literal.starts_with('-') {
                    true => format!("{literal} is less than the smallest TOML integer, {}", i64::MIN),
                    false => format!("{literal} is more than the largest TOML integer, {}", i64::MAX),
                };
            }
            // The field the fault is in, as the other errors name it (an unclosed array's,
            // not the element the text ends in).
            // (A duplicate key's span is the key: the field is at its end.)
            let at =
                |s: std::ops::Range<usize>| if message.contains("duplicate key") { s.end } else { s.start };
            if let Some(mut field) = e.span().and_then(|s| toml_field::field_at(&text, at(s))) {
                if message.starts_with("unclosed")
                    && let Some(open) = field.rfind('[').filter(|_| field.ends_with(']'))
                {
                    field.truncate(open);
                }
                message = format!("{field}: {message}");
            }
            CliError::Problem {
                path: path.to_path_buf(),
                field: format!("line {line}"),
                column: Some(col),
                message,
            }
        })?;
        Self::from_table(path, &table)
    }

    fn from_table(path: &Path, table: &Table) -> Result<ProblemFile> {
        let root = At { path, field: String::new() };
        keys_allowed(
            &root,
            table,
            &["inputs", "outputs", "trial", "exact", "constants", "parameters", "terms", "test"],
        )?;
        let outputs = outputs(&root.child("outputs"), table.get("outputs"))?;

        let at = root.child("inputs");
        let inputs: Vec<String> = match table.get("inputs") {
            None => return Err(at.err("missing: list the network's inputs, e.g. inputs = [\"x\", \"y\"]")),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut names: Vec<String> = Vec::new();
                for item in items {
                    let name = string(&at, item)?;
                    let taken: Vec<&str> = names.iter().map(String::as_str).collect();
                    check_name(&at, "", name, &taken, &outputs)?;
                    names.push(name.to_string());
                }
                names
            }
            Some(_) => return Err(at.err("expected a non-empty list of names, e.g. [\"x\", \"t\"]")),
        };

        let at = root.child("constants");
        let mut constants = BTreeMap::new();
        match table.get("constants") {
            None => {}
            Some(Value::Table(t)) => {
                // In file order: each may use the ones before it.
                let all: Vec<&str> = t.keys().map(String::as_str).collect();
                for (k, (name, value)) in t.iter().enumerate() {
                    let at = at.child(name);
                    let mut taken: Vec<&str> = inputs.iter().map(String::as_str).collect();
                    taken.extend(constants.keys().map(String::as_str));
                    check_name(&at, "", name, &taken, &outputs)?;
                    let names = Names { inputs: &inputs, outputs: &outputs, constants: &constants };
                    let rule = "a constant uses numbers, pi and earlier constants";
                    let v = number_expression(&at, value, &names, &all[k..], rule)?;
                    constants.insert(name.clone(), v);
                }
            }
            Some(other) => {
                return Err(at.err(format!(
                    "expected a table of numbers and expressions, found {}",
                    other.type_str()
                )));
            }
        }

        let at = root.child("parameters");
        let mut parameters: Vec<(String, f64)> = Vec::new();
        let mut parameters_exact: Vec<Option<f64>> = Vec::new();
        match table.get("parameters") {
            None => {}
            Some(Value::Table(t)) => {
                // In file order, the order they take in θ.
                for (name, value) in t {
                    let at = at.child(name);
                    let mut taken: Vec<&str> = inputs.iter().map(String::as_str).collect();
                    taken.extend(constants.keys().map(String::as_str));
                    taken.extend(parameters.iter().map(|(n, _)| n.as_str()));
                    check_name(&at, "", name, &taken, &outputs)?;
                    let names = Names { inputs: &inputs, outputs: &outputs, constants: &constants };
                    let rule = "a parameter's value uses numbers, pi and constants";
                    let (initial, exact) = match value {
                        Value::Table(t) => {
                            keys_allowed(&at, t, &["initial", "exact"])?;
                            let Some(initial) = t.get("initial") else {
                                return Err(at.child("initial").err("missing: the initial value"));
                            };
                            let initial =
                                number_expression(&at.child("initial"), initial, &names, &[], rule)?;
                            let exact = t
                                .get("exact")
                                .map(|v| number_expression(&at.child("exact"), v, &names, &[], rule))
                                .transpose()?;
                            (initial, exact)
                        }
                        v => (number_expression(&at, v, &names, &[], rule)?, None),
                    };
                    parameters.push((name.clone(), initial));
                    parameters_exact.push(exact);
                }
            }
            Some(other) => {
                return Err(at.err(format!(
                    "expected a table of initial values (numbers and expressions), found {}",
                    other.type_str()
                )));
            }
        }
        let param_names: Vec<String> = parameters.iter().map(|(n, _)| n.clone()).collect();

        let trial = match table.get("trial") {
            None => (0..outputs.len()).map(Resolved::Network).collect(),
            Some(v) => {
                let at = root.child("trial");
                let texts = per_output(&at, v, &outputs, false)?;
                let mut trials = Vec::with_capacity(outputs.len());
                for (k, text) in texts.into_iter().enumerate() {
                    let Some(text) = text else {
                        trials.push(Resolved::Network(k));
                        continue;
                    };
                    let at = at.output(&outputs, k);
                    let mut trial_scope = scope(&inputs, &outputs, &constants, &[], true, false);
                    trial_scope.params = &param_names;
                    let trial = expression(&at, text, &mut trial_scope)?;
                    if !uses_network(&trial) {
                        let n =
                            if outputs.len() == 1 { "N".to_string() } else { format!("N_{}", outputs[k]) };
                        return Err(at.err(format!("the trial does not use {n}, the network's output")));
                    }
                    trials.push(trial);
                }
                trials
            }
        };
        let exact = match table.get("exact") {
            None => None,
            Some(v) => {
                let at = root.child("exact");
                let mut exact_scope = scope(&inputs, &outputs, &constants, &[], false, false);
                exact_scope.params = &param_names;
                Some(solution_expressions(&at, v, &outputs, &mut exact_scope)?)
            }
        };

        let base = path.parent().unwrap_or(Path::new(""));
        let at = root.child("terms");
        let items = match table.get("terms") {
            None => return Err(at.err("missing: give at least one [[terms]] table")),
            Some(Value::Array(items)) if !items.is_empty() => items,
            Some(_) => return Err(at.err("expected one or more [[terms]] tables")),
        };
        let mut terms: Vec<Term> = Vec::new();
        for (k, item) in items.iter().enumerate() {
            let at = At { path, field: format!("terms[{k}]") };
            let Value::Table(t) = item else { return Err(at.err("expected a table")) };
            keys_allowed(&at, t, &["name", "residual", "weight", "points"])?;
            let name = match t.get("name") {
                // The default names the term by its place, counted from 1: term1, term2, ...
                None => format!("term{}", k + 1),
                Some(v) => string(&at.child("name"), v)?.to_string(),
            };
            if terms.iter().any(|other| other.name == name) {
                return Err(at.child("name").err(format!("'{name}' names two terms")));
            }
            let points_at = at.child("points");
            let Some(spec) = t.get("points") else {
                return Err(points_at.err("missing: e.g. points = { grid = { x = [0, 1, 30] } }"));
            };
            let names = Names { inputs: &inputs, outputs: &outputs, constants: &constants };
            let set = point_set(&points_at, spec, &names, base)?;
            let weight = weight(&at.child("weight"), t.get("weight"), set.count)?;
            let data_names: Vec<String> = set.data.iter().map(|(n, _)| n.clone()).collect();
            let taken: Vec<&str> =
                constants.keys().chain(&inputs).chain(&param_names).map(String::as_str).collect();
            for n in &data_names {
                check_name(&points_at.child("csv"), "column ", n, &taken, &outputs)?;
            }
            let residual_at = at.child("residual");
            let Some(text) = t.get("residual") else {
                return Err(residual_at.err("missing: the residual r, e.g. residual = \"u_xx + f\""));
            };
            let mut term_scope = scope(&inputs, &outputs, &constants, &data_names, false, true);
            term_scope.params = &param_names;
            term_scope.normals = set.normals.is_some();
            let residual = expression(&residual_at, string(&residual_at, text)?, &mut term_scope).map_err(
                |e| match e {
                    CliError::Problem { path, field, column, message }
                        if message.starts_with("dn(...) needs") =>
                    {
                        CliError::Problem {
                            path,
                            field,
                            column,
                            message: format!("term '{name}': {message}"),
                        }
                    }
                    e => e,
                },
            )?;
            if !residual.uses_solution() {
                return Err(residual_at.err("does not involve u, so it does not depend on the network"));
            }
            let shifted = term_scope
                .sites
                .iter()
                .map(|coords| evaluate_points(coords, &set, inputs.len()))
                .collect::<Result<Vec<_>>>()?;
            // The normals are the data variables after the CSV's, one per input.
            let mut data = set.data;
            if let Some(normals) = &set.normals {
                let d = inputs.len();
                data.extend(
                    (0..d).map(|i| {
                        (format!("normal.{i}"), normals.iter().skip(i).step_by(d).copied().collect())
                    }),
                );
            }
            terms.push(Term { name, weight, residual, count: set.count, points: set.points, data, shifted });
        }

        let (test_points, test_data, test_exact) = match table.get("test") {
            None => (terms.iter().flat_map(|t| t.points.iter().copied()).collect(), Vec::new(), None),
            Some(Value::Table(t)) => {
                let at = root.child("test");
                keys_allowed(&at, t, &["points", "exact"])?;
                let points_at = at.child("points");
                let Some(spec) = t.get("points") else {
                    return Err(points_at.err("missing: e.g. points = { csv = \"reference.csv\" }"));
                };
                let names = Names { inputs: &inputs, outputs: &outputs, constants: &constants };
                let set = point_set(&points_at, spec, &names, base)?;
                let exact = match t.get("exact") {
                    None => None,
                    Some(v) => {
                        // The data columns are names here; there is no u, so u_ref can be one.
                        let taken: Vec<&str> = constants.keys().chain(&inputs).map(String::as_str).collect();
                        for (n, _) in &set.data {
                            check_data_name(&points_at.child("csv"), n, &taken, &outputs)?;
                        }
                        let at = at.child("exact");
                        let data: Vec<String> = set.data.iter().map(|(n, _)| n.clone()).collect();
                        let mut test_scope = scope(&inputs, &outputs, &constants, &data, false, false);
                        Some(solution_expressions(&at, v, &outputs, &mut test_scope)?)
                    }
                };
                (set.points, set.data, exact)
            }
            Some(other) => {
                return Err(root.child("test").err(format!("expected a table, found {}", other.type_str())));
            }
        };
        Ok(ProblemFile {
            path: path.to_path_buf(),
            inputs,
            outputs,
            trial,
            parameters,
            parameters_exact,
            exact,
            terms,
            test_points,
            test_data,
            test_exact,
        })
    }

    /// What errors are measured against at the test points, one expression per output:
    /// `[test]`'s `exact`, else the file's; `None` without either.
    pub fn reference(&self) -> Option<&[Resolved]> {
        self.test_exact.as_deref().or(self.exact.as_deref())
    }

    /// The number of inputs d.
    pub fn dim(&self) -> usize {
        self.inputs.len()
    }

    /// The number of residuals: every term's points.
    pub fn residual_count(&self) -> usize {
        self.terms.iter().map(|t| t.count).sum()
    }
}

/// A term's weight: a number ≥ 0, or `"mean"` for 1 / its `count` points (default 1).
fn weight(at: &At<'_>, value: Option<&Value>, count: usize) -> Result<f64> {
    let w = match value {
        None => 1.0,
        Some(Value::String(s)) if s == "mean" => 1.0 / count as f64,
        Some(v @ (Value::Integer(_) | Value::Float(_))) => number(at, v)?,
        Some(Value::String(s)) => return Err(at.err(format!("expected a number or \"mean\", found \"{s}\""))),
        Some(other) => {
            return Err(at.err(format!("expected a number or \"mean\", found {}", other.type_str())));
        }
    };
    if w < 0.0 {
        return Err(at.err(format!("must be at least 0, found {w}")));
    }
    Ok(w)
}

/// The `outputs` list: names, letters and digits without `_` (which begins a derivative,
/// `u_x`), none reserved; `["u"]` when absent.
fn outputs(at: &At<'_>, value: Option<&Value>) -> Result<Vec<String>> {
    let Some(value) = value else { return Ok(vec!["u".to_string()]) };
    let Value::Array(items) = value else {
        return Err(at.err("expected a non-empty list of names, e.g. [\"u\", \"v\", \"p\"]"));
    };
    if items.is_empty() {
        return Err(at.err("expected a non-empty list of names, e.g. [\"u\", \"v\", \"p\"]"));
    }
    let mut names: Vec<String> = Vec::new();
    for item in items {
        let name = string(at, item)?;
        let plain =
            name.chars().next().is_some_and(char::is_alphabetic) && name.chars().all(|c| c.is_alphanumeric());
        if !plain {
            return Err(at.err(format!(
                "'{name}' is not an output name (letters and digits, starting with a letter; _ begins a \
                 derivative, as in u_x)"
            )));
        }
        if (name != "u" && RESERVED.contains(&name)) || Function::from_name(name).is_some() {
            return Err(at.err(format!("'{name}' is reserved (pi, N, d, dn and the functions)")));
        }
        if names.iter().any(|n| n == name) {
            return Err(at.err(format!("'{name}' is listed twice")));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// One text per output from `value`: a string when there is one output, else a table
/// keyed by the outputs (with one output a one-key table also serves). `complete`: every
/// output must have one; otherwise a missing one is `None`.
fn per_output<'v>(
    at: &At<'_>,
    value: &'v Value,
    outputs: &[String],
    complete: bool,
) -> Result<Vec<Option<&'v str>>> {
    let example = || outputs.iter().map(|o| format!("{o} = \"...\"")).collect::<Vec<_>>().join(", ");
    match value {
        Value::String(text) if outputs.len() == 1 => Ok(vec![Some(text.as_str())]),
        Value::String(_) => Err(at.err(format!(
            "with several outputs this is a table, one expression per output: {{ {} }}",
            example()
        ))),
        Value::Table(t) => {
            let allowed: Vec<&str> = outputs.iter().map(String::as_str).collect();
            keys_allowed(at, t, &allowed)?;
            let mut texts = Vec::with_capacity(outputs.len());
            for o in outputs {
                match t.get(o) {
                    Some(v) => texts.push(Some(string(&at.child(o), v)?)),
                    None if complete => {
                        return Err(at.err(format!("missing: the output '{o}' (every output needs one)")));
                    }
                    None => texts.push(None),
                }
            }
            Ok(texts)
        }
        other => Err(at.err(format!(
            "expected {}, found {}",
            if outputs.len() == 1 {
                "an expression string".to_string()
            } else {
                format!("{{ {} }}", example())
            },
            other.type_str()
        ))),
    }
}

/// An exact solution: one expression per output (a string with one output, a table keyed
/// by the outputs with several).
fn solution_expressions(
    at: &At<'_>,
    value: &Value,
    outputs: &[String],
    scope: &mut Scope<'_>,
) -> Result<Vec<Resolved>> {
    let texts = per_output(at, value, outputs, true)?;
    let mut out = Vec::with_capacity(outputs.len());
    for (k, text) in texts.into_iter().enumerate() {
        let at = at.output(outputs, k);
        let text = text.ok_or_else(|| at.err("missing"))?;
        out.push(expression(&at, text, scope)?);
    }
    Ok(out)
}

/// Whether the trial refers to the network.
fn uses_network(e: &Resolved) -> bool {
    match e {
        Resolved::Network(_) => true,
        Resolved::Neg(a) | Resolved::Func(_, a) => uses_network(a),
        Resolved::Binary(_, a, b) => uses_network(a) || uses_network(b),
        _ => false,
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A term's points and data.
struct PointSet {
    count: usize,
    points: Vec<f64>,
    data: Vec<(String, Vec<f64>)>,
    /// The outward unit normal at each point, row-major count × inputs (a box's
    /// `boundary`, a `segment`, a `curve`).
    normals: Option<Vec<f64>>,
}

impl PointSet {
    fn plain(count: usize, points: Vec<f64>) -> PointSet {
        PointSet { count, points, data: Vec::new(), normals: None }
    }

    /// The points where `keep` holds, in order, with their data and normals.
    fn filter(self, keep: &[bool], d: usize) -> PointSet {
        let rows: Vec<usize> = (0..self.count).filter(|&p| keep[p]).collect();
        PointSet {
            count: rows.len(),
            points: points::rows(&self.points, d, &rows),
            data: self.data.into_iter().map(|(n, v)| (n, rows.iter().map(|&r| v[r]).collect())).collect(),
            normals: self.normals.map(|n| points::rows(&n, d, &rows)),
        }
    }
}

/// The most points `random` with `where` draws per point asked for: a region that takes less
/// than 1 in this many of the box's points is an error.
pub const MAX_DRAWS_PER_POINT: usize = 100;

/// The points of a `points` table.
fn point_set(at: &At<'_>, spec: &Value, names: &Names<'_>, base: &Path) -> Result<PointSet> {
    const KINDS: [&str; 9] =
        ["grid", "midpoints", "boundary", "interior", "random", "csv", "segment", "polygon", "curve"];
    let inputs = names.inputs;
    let Value::Table(t) = spec else {
        return Err(at.err(format!("expected a table with one of: {}", KINDS.join(", "))));
    };
    let mut allowed = KINDS.to_vec();
    allowed.push("where");
    keys_allowed(at, t, &allowed)?;
    let (kind, value) = match t.iter().filter(|(k, _)| *k != "where").collect::<Vec<_>>().as_slice() {
        [(k, v)] => (k.as_str(), *v),
        _ => return Err(at.err(format!("expected exactly one of: {}", KINDS.join(", ")))),
    };
    let condition = match t.get("where") {
        None => None,
        Some(v) => {
            let at = at.child("where");
            let mut s = scope(inputs, names.outputs, names.constants, &[], false, false);
            s.predicate = true;
            let c = expression(&at, string(&at, v)?, &mut s)?;
            if !is_condition(&c) {
                return Err(at.err(
                    "expected a condition: comparisons (< <= > >=) of expressions joined by and, or, not, \
                     e.g. \"x^2 + y^2 < 1\"",
                ));
            }
            Some(c)
        }
    };
    let at = at.child(kind);
    let d = inputs.len();
    let set = match kind {
        "csv" => {
            let file = base.join(string(&at, value)?);
            let table = read_csv_table(&file)?;
            let mut columns = Vec::with_capacity(d);
            for name in inputs {
                match table.headers.iter().position(|h| h == name) {
                    Some(j) => columns.push(table.column(j)),
                    None => {
                        return Err(at.err(format!(
                            "{}: no column '{name}' (every input must be a column; found: {})",
                            file.display(),
                            table.headers.join(", ")
                        )));
                    }
                }
            }
            let mut data: Vec<(String, Vec<f64>)> = Vec::new();
            for (j, h) in table.headers.iter().enumerate() {
                if inputs.contains(h) {
                    continue;
                }
                if data.iter().any(|(n, _)| n == h) || table.headers.iter().filter(|o| *o == h).count() > 1 {
                    return Err(at.err(format!("{}: the column '{h}' appears twice", file.display())));
                }
                data.push((h.clone(), table.column(j)));
            }
            let points = (0..table.rows).flat_map(|i| columns.iter().map(move |c| c[i])).collect();
            PointSet { count: table.rows, points, data, normals: None }
        }
        "segment" => segment_set(&at, value, names)?,
        "polygon" => polygon_set(&at, value, names)?,
        "curve" => curve_set(&at, value, names)?,
        _ => {
            let Value::Table(axes_table) = value else {
                return Err(
                    at.err(format!("expected a table of the inputs, e.g. {{ {} = [0, 1, 10] }}", inputs[0]))
                );
            };
            let random = kind == "random";
            let mut allowed: Vec<&str> = inputs.iter().map(String::as_str).collect();
            allowed.extend(if random { ["n", "seed"].as_slice() } else { ["sample", "seed"].as_slice() });
            if kind == "interior" {
                allowed.push("exclude");
            }
            keys_allowed(&at, axes_table, &allowed)?;
            let mut axes = Vec::with_capacity(d);
            for name in inputs {
                let at = at.child(name);
                let Some(v) = axes_table.get(name) else {
                    return Err(
                        at.err("missing: every input needs [lo, hi, count] or a number that fixes it")
                    );
                };
                axes.push(axis(&at, v, kind, names)?);
            }
            if random {
                let n = match axes_table.get("n") {
                    Some(v) => count(&at.child("n"), v, 1)?,
                    None => return Err(at.child("n").err("missing: the number of random points")),
                };
                let seed = match axes_table.get("seed") {
                    Some(v) => count(&at.child("seed"), v, 0)? as u64,
                    None => return Err(at.child("seed").err("missing: the seed of the random points")),
                };
                if n > MAX_POINTS {
                    return Err(at
                        .child("n")
                        .err(format!("{n} points is more than the limit of {MAX_POINTS}")));
                }
                match &condition {
                    None => PointSet::plain(n, points::random(&axes, n, seed)),
                    Some(c) => PointSet::plain(n, random_where(&at.parent_where(), c, &axes, n, seed)?),
                }
            } else {
                let layout = match kind {
                    "grid" => Layout::Grid,
                    "midpoints" => Layout::Midpoints,
                    "boundary" => Layout::Boundary,
                    _ => Layout::Interior(excluded(&at, axes_table.get("exclude"), inputs, &axes)?),
                };
                let len = lattice_len(&axes, &layout)
                    .filter(|&n| n <= MAX_POINTS)
                    .ok_or_else(|| at.err(format!("more points than the limit of {MAX_POINTS}")))?;
                match layout {
                    Layout::Boundary if len == 0 => {
                        return Err(at.err("no points (a boundary needs at least one input with a range)"));
                    }
                    Layout::Interior(_) if len == 0 => {
                        return Err(at.err("no points (every grid point lies on an excluded face)"));
                    }
                    _ => {}
                }
                let mut points = lattice(&axes, &layout);
                let mut len = len;
                if let Some(c) = &condition {
                    let keep = condition_mask(c, &points, d)?;
                    let rows: Vec<usize> = (0..len).filter(|&p| keep[p]).collect();
                    points = points::rows(&points, d, &rows);
                    len = rows.len();
                    if len == 0 {
                        return Err(at.parent_where().err("no point of the lattice satisfies the condition"));
                    }
                }
                let mut set = match lattice_sample(&at, axes_table, len)? {
                    None => PointSet::plain(len, points),
                    Some((n, seed)) => {
                        PointSet::plain(n, points::rows(&points, d, &points::sample(len, n, seed)))
                    }
                };
                if layout == Layout::Boundary {
                    set.normals = Some(points::box_normals(&axes, &set.points));
                }
                set
            }
        }
    };
    if set.count == 0 {
        return Err(at.err("no points"));
    }
    // Lattices and random points were filtered as they were made.
    let set = match &condition {
        Some(c) if matches!(kind, "csv" | "segment" | "polygon" | "curve") => {
            let keep = condition_mask(c, &set.points, d)?;
            let set = set.filter(&keep, d);
            if set.count == 0 {
                return Err(at.parent_where().err("no point satisfies the condition"));
            }
            set
        }
        _ => set,
    };
    Ok(set)
}

impl At<'_> {
    /// The `where` beside this point-set kind: `terms[0].points.where` for
    /// `terms[0].points.random`.
    fn parent_where(&self) -> At<'_> {
        let parent = self.field.rsplit_once('.').map_or("", |(p, _)| p);
        At { path: self.path, field: format!("{parent}.where") }
    }
}

/// Whether `c` is a condition: comparisons of arithmetic joined by `and`, `or`, `not`.
fn is_condition(c: &Resolved) -> bool {
    let arithmetic = |e: &Resolved| !has_logic(e);
    match c {
        Resolved::Not(a) => is_condition(a),
        Resolved::Binary(BinOp::And | BinOp::Or, a, b) => is_condition(a) && is_condition(b),
        Resolved::Binary(op, a, b) if op.is_logical() => arithmetic(a) && arithmetic(b),
        _ => false,
    }
}

/// Whether `e` holds a comparison, `and`, `or` or `not` anywhere.
fn has_logic(e: &Resolved) -> bool {
    match e {
        Resolved::Not(_) => true,
        Resolved::Binary(op, a, b) => op.is_logical() || has_logic(a) || has_logic(b),
        Resolved::Neg(a) | Resolved::Func(_, a) => has_logic(a),
        _ => false,
    }
}

/// Where the condition `c` holds at each of `points` (row-major × d). The sides of its
/// comparisons are evaluated by the same graph kernels as every expression; a comparison
/// with NaN is false.
fn condition_mask(c: &Resolved, points: &[f64], d: usize) -> Result<Vec<bool>> {
    fn sides<'a>(c: &'a Resolved, out: &mut Vec<&'a Resolved>) {
        match c {
            Resolved::Not(a) => sides(a, out),
            Resolved::Binary(BinOp::And | BinOp::Or, a, b) => {
                sides(a, out);
                sides(b, out);
            }
            Resolved::Binary(_, a, b) => out.extend([&**a, &**b]),
            _ => {}
        }
    }
    fn combine(c: &Resolved, values: &[Vec<f64>], next: &mut usize, n: usize) -> Vec<bool> {
        match c {
            Resolved::Not(a) => combine(a, values, next, n).into_iter().map(|b| !b).collect(),
            Resolved::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let l = combine(a, values, next, n);
                let r = combine(b, values, next, n);
                l.iter().zip(&r).map(|(&x, &y)| if *op == BinOp::And { x && y } else { x || y }).collect()
            }
            Resolved::Binary(op, _, _) => {
                let (l, r) = (&values[*next], &values[*next + 1]);
                *next += 2;
                (0..n)
                    .map(|p| match op {
                        BinOp::Lt => l[p] < r[p],
                        BinOp::Le => l[p] <= r[p],
                        BinOp::Gt => l[p] > r[p],
                        _ => l[p] >= r[p],
                    })
                    .collect()
            }
            _ => vec![false; n],
        }
    }
    let n = points.len() / d;
    let mut exprs = Vec::new();
    sides(c, &mut exprs);
    let columns: Vec<Vec<f64>> =
        (0..d).map(|i| points.iter().skip(i).step_by(d).copied().collect()).collect();
    let values = evaluate_columns(&exprs, &columns, n, false)?;
    Ok(combine(c, &values, &mut 0, n))
}

/// The values of each of `exprs` (of inputs and numbers) at `n` points whose input columns
/// are `columns`; with `derivative`, each followed by its exact derivative by the first input.
fn evaluate_columns(
    exprs: &[&Resolved],
    columns: &[Vec<f64>],
    n: usize,
    derivative: bool,
) -> Result<Vec<Vec<f64>>> {
    let mut g = Graph::new();
    let shape = Shape::matrix(n, 1);
    let inputs =
        (0..columns.len()).map(|i| g.input(&format!("x{i}"), shape)).collect::<Result<Vec<_>, _>>()?;
    let mut outputs = Vec::new();
    for e in exprs {
        let node = lower(&mut g, e, &mut |_, leaf| match leaf {
            Leaf::Input(i) => Ok(inputs[i]),
            _ => Err(saddle_graph::GraphError::Internal("a condition refers to data or u".into())),
        })?;
        let node = g.broadcast_to(node, n, 1)?;
        outputs.push(node);
        if derivative {
            let dnode = saddle_ad::d_dx(&mut g, node, inputs[0])?;
            outputs.push(g.broadcast_to(dnode, n, 1)?);
        }
    }
    for (k, &node) in outputs.iter().enumerate() {
        g.set_output(&format!("c{k}"), node);
    }
    let mut program = Program::compile(&g.simplify()?)?;
    for (i, values) in columns.iter().enumerate() {
        if program.has_input(&format!("x{i}")) {
            program.set_input(&format!("x{i}"), values)?;
        }
    }
    program.run();
    (0..outputs.len()).map(|k| Ok(program.output(&format!("c{k}"))?.to_vec())).collect()
}

/// `n` uniform points of the box `axes` where `c` holds: drawn in order from the seeded
/// generator, each kept if it satisfies `c`, until `n` are kept; at most
/// [`MAX_DRAWS_PER_POINT`]·n draws, else an error naming the acceptance rate.
fn random_where(at: &At<'_>, c: &Resolved, axes: &[Axis], n: usize, seed: u64) -> Result<Vec<f64>> {
    let d = axes.len();
    let most = n.saturating_mul(MAX_DRAWS_PER_POINT);
    let mut sampler = points::Sampler::new(axes, seed);
    let mut kept = Vec::with_capacity(n * d);
    let (mut drawn, mut accepted) = (0usize, 0usize);
    while accepted < n && drawn < most {
        let batch = (n - accepted).max(1024).min(most - drawn);
        let candidates = sampler.draw(batch);
        drawn += batch;
        let keep = condition_mask(c, &candidates, d)?;
        for (p, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
            if accepted == n {
                break;
            }
            kept.extend_from_slice(&candidates[p * d..(p + 1) * d]);
            accepted += 1;
        }
    }
    if accepted < n {
        return Err(at.err(format!(
            "only {accepted} of {drawn} random points satisfy the condition (acceptance rate {:.3}%); \
             {n} points would need more than the limit of {MAX_DRAWS_PER_POINT} draws per point",
            100.0 * accepted as f64 / drawn as f64
        )));
    }
    Ok(kept)
}

/// The two inputs of a point kind that lies in the plane (`what`, e.g. "a segment").
fn plane<'a>(at: &At<'_>, names: &Names<'a>, what: &str) -> Result<&'a [String]> {
    let inputs = names.inputs;
    if inputs.len() != 2 {
        return Err(at.err(format!("{what} needs exactly 2 inputs, the file has {}", inputs.len())));
    }
    Ok(inputs)
}

/// A point kind's `n`: at least 1, at most [`MAX_POINTS`].
fn point_count(at: &At<'_>, t: &toml::Table) -> Result<usize> {
    let n = match t.get("n") {
        Some(v) => count(&at.child("n"), v, 1)?,
        None => return Err(at.child("n").err("missing: the number of points")),
    };
    if n > MAX_POINTS {
        return Err(at.child("n").err(format!("{n} points is more than the limit of {MAX_POINTS}")));
    }
    Ok(n)
}

/// `segment = { from = [x0, y0], to = [x1, y1], n = N }` (2 inputs): see [`points::segment`].
fn segment_set(at: &At<'_>, value: &Value, names: &Names<'_>) -> Result<PointSet> {
    let inputs = plane(at, names, "a segment")?;
    let Value::Table(t) = value else {
        return Err(at.err("expected a table, e.g. { from = [-1, -1], to = [-1, 1], n = 50 }"));
    };
    keys_allowed(at, t, &["from", "to", "n"])?;
    let mut ends = [[0.0; 2]; 2];
    for (end, key) in ends.iter_mut().zip(["from", "to"]) {
        let at = at.child(key);
        match t.get(key) {
            Some(Value::Array(items)) if items.len() == 2 => {
                for (c, item) in end.iter_mut().zip(items) {
                    *c = coordinate(&at, item, names)?;
                }
            }
            Some(_) => return Err(at.err(format!("expected a point [{}, {}]", inputs[0], inputs[1]))),
            None => return Err(at.err(format!("missing: the point [{}, {}]", inputs[0], inputs[1]))),
        }
    }
    if ends[0] == ends[1] {
        return Err(at.child("to").err("the segment has no length: from and to are the same point"));
    }
    let n = point_count(at, t)?;
    let (points, normals) = points::segment(ends[0], ends[1], n);
    Ok(PointSet { count: n, points, data: Vec::new(), normals: Some(normals) })
}

/// `polygon = { vertices = [[x0, y0], [x1, y1], ...], n = N }` (2 inputs): N points on the
/// closed polygon, shared among its edges by length (see [`points::polygon`]), each with
/// its edge's normal: outward for counter-clockwise vertices.
fn polygon_set(at: &At<'_>, value: &Value, names: &Names<'_>) -> Result<PointSet> {
    let inputs = plane(at, names, "a polygon")?;
    let example = "e.g. { vertices = [[0, 0], [1, 0], [1, 1], [0, 1]], n = 40 }";
    let Value::Table(t) = value else { return Err(at.err(format!("expected a table, {example}"))) };
    keys_allowed(at, t, &["vertices", "n"])?;
    let vertices_at = at.child("vertices");
    let vertices = match t.get("vertices") {
        Some(Value::Array(items)) if items.len() >= 3 => items
            .iter()
            .enumerate()
            .map(|(k, item)| {
                let at = vertices_at.child(&k.to_string());
                match item {
                    Value::Array(xy) if xy.len() == 2 => {
                        Ok([coordinate(&at, &xy[0], names)?, coordinate(&at, &xy[1], names)?])
                    }
                    _ => Err(at.err(format!("expected a point [{}, {}]", inputs[0], inputs[1]))),
                }
            })
            .collect::<Result<Vec<[f64; 2]>>>()?,
        Some(_) => return Err(vertices_at.err(format!("expected a list of at least 3 points, {example}"))),
        None => return Err(vertices_at.err(format!("missing: the corners in order, {example}"))),
    };
    if let Some(k) = (0..vertices.len()).find(|&k| vertices[k] == vertices[(k + 1) % vertices.len()]) {
        let next = (k + 1) % vertices.len();
        return Err(
            vertices_at.err(format!("vertices {k} and {next} are the same point: an edge without length"))
        );
    }
    let n = point_count(at, t)?;
    let (points, normals) = points::polygon(&vertices, n);
    Ok(PointSet { count: n, points, data: Vec::new(), normals: Some(normals) })
}

/// `curve = { x = "cos(s)", y = "sin(s)", s = [a, b, n] }` (2 inputs): the parameter is the
/// one key that is not an input; the points are at the midpoints of n equal pieces of
/// [a, b]; the normal is (y', −x')/|(x', y')|, the derivatives exact (by the graph's
/// transforms): outward for a counter-clockwise curve.
fn curve_set(at: &At<'_>, value: &Value, names: &Names<'_>) -> Result<PointSet> {
    let inputs = plane(at, names, "a curve")?;
    let example = "e.g. { x = \"cos(s)\", y = \"sin(s)\", s = [0, \"2*pi\", 200] }";
    let Value::Table(t) = value else { return Err(at.err(format!("expected a table, {example}"))) };
    let params: Vec<&String> = t.keys().filter(|k| !inputs.contains(k)).collect();
    let param = match params.as_slice() {
        [p] => p.as_str(),
        _ => {
            return Err(at.err(format!(
                "expected the inputs and one parameter with [lo, hi, count], {example}; found {}",
                if params.is_empty() {
                    "no parameter".to_string()
                } else {
                    format!("parameters {}", params.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
                }
            )));
        }
    };
    let param_at = at.child(param);
    let taken: Vec<&str> = names.constants.keys().map(String::as_str).collect();
    check_name(&param_at, "parameter ", param, &taken, names.outputs)?;
    let (lo, hi, n) = match &t[param] {
        Value::Array(items) if items.len() == 3 => (
            coordinate(&param_at, &items[0], names)?,
            coordinate(&param_at, &items[1], names)?,
            count(&param_at, &items[2], 1)?,
        ),
        _ => return Err(param_at.err("expected [lo, hi, count]")),
    };
    if lo >= hi {
        return Err(param_at.err(format!("lo must be below hi, found [{lo}, {hi}]")));
    }
    if n > MAX_POINTS {
        return Err(param_at.err(format!("{n} points is more than the limit of {MAX_POINTS}")));
    }
    let params = [param.to_string()];
    let mut coords = Vec::with_capacity(2);
    for name in inputs {
        let at = at.child(name);
        let text = match t.get(name) {
            Some(Value::String(text)) => text.clone(),
            Some(v @ (Value::Integer(_) | Value::Float(_))) => number(&at, v)?.to_string(),
            Some(other) => {
                return Err(at.err(format!("expected an expression of {param}, found {}", other.type_str())));
            }
            None => return Err(at.err(format!("missing: {name} as an expression of {param}"))),
        };
        coords.push(expression(
            &at,
            &text,
            &mut scope(&params, names.outputs, names.constants, &[], false, false),
        )?);
    }
    let s: Vec<f64> = (0..n).map(|k| lo + (hi - lo) * (k as f64 + 0.5) / n as f64).collect();
    let values = evaluate_columns(&[&coords[0], &coords[1]], std::slice::from_ref(&s), n, true)?;
    let (x, dx, y, dy) = (&values[0], &values[1], &values[2], &values[3]);
    let mut points = Vec::with_capacity(2 * n);
    let mut normals = Vec::with_capacity(2 * n);
    for p in 0..n {
        let len = dx[p].hypot(dy[p]);
        if !(len > 0.0 && len.is_finite() && x[p].is_finite() && y[p].is_finite()) {
            return Err(at.err(format!(
                "at {param} = {}: the point ({}, {}) or the tangent ({}, {}) is not usable (a normal needs a nonzero, finite tangent)",
                s[p], x[p], y[p], dx[p], dy[p]
            )));
        }
        points.extend([x[p], y[p]]);
        normals.extend([dy[p] / len, -dx[p] / len]);
    }
    Ok(PointSet { count: n, points, data: Vec::new(), normals: Some(normals) })
}

/// A lattice's `sample = N, seed = S` (N of its `len` points), if given.
fn lattice_sample(at: &At<'_>, table: &Table, len: usize) -> Result<Option<(usize, u64)>> {
    let (sample_at, seed_at) = (at.child("sample"), at.child("seed"));
    match (table.get("sample"), table.get("seed")) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(seed_at.err("a seed without sample = N, the number of points to draw")),
        (Some(_), None) => Err(seed_at.err("missing: the seed of the sample")),
        (Some(n), Some(seed)) => {
            let n = count(&sample_at, n, 1)?;
            if n > len {
                return Err(sample_at.err(format!("{n} is more than the lattice's {len} points")));
            }
            Ok(Some((n, count(&seed_at, seed, 0)? as u64)))
        }
    }
}

/// The faces an `interior`'s `exclude` lists (`["x=lo", "t=hi"]`); every face without it.
fn excluded(at: &At<'_>, value: Option<&Value>, inputs: &[String], axes: &[Axis]) -> Result<Vec<Face>> {
    let Some(value) = value else { return Ok(points::faces(axes)) };
    let at = at.child("exclude");
    let Value::Array(items) = value else {
        return Err(at.err("expected a list of faces, e.g. [\"x=lo\", \"t=hi\"]"));
    };
    let ranged: Vec<&str> =
        points::faces(axes).iter().filter(|f| !f.hi).map(|f| inputs[f.input].as_str()).collect();
    let mut faces = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let at = At { path: at.path, field: format!("{}[{k}]", at.field) };
        let entry = string(&at, item)?;
        let face = entry.split_once('=').and_then(|(name, end)| {
            let input = inputs.iter().position(|n| n == name.trim())?;
            let hi = match end.trim() {
                "lo" => false,
                "hi" => true,
                _ => return None,
            };
            matches!(axes[input], Axis::Range { .. }).then_some(Face { input, hi })
        });
        match face {
            Some(f) if faces.contains(&f) => return Err(at.err(format!("'{entry}' is listed twice"))),
            Some(f) => faces.push(f),
            None => {
                return Err(at.err(format!(
                    "'{entry}' is not NAME=lo or NAME=hi for a ranged input ({})",
                    ranged.join(", ")
                )));
            }
        }
    }
    Ok(faces)
}

/// One input's `[lo, hi, count]` (`[lo, hi]` for random points) or fixing number; lo, hi
/// and the number may be expressions (see [`coordinate`]).
fn axis(at: &At<'_>, v: &Value, kind: &str, names: &Names<'_>) -> Result<Axis> {
    let random = kind == "random";
    let form = if random { "[lo, hi] or a number" } else { "[lo, hi, count] or a number" };
    match v {
        Value::Integer(_) | Value::Float(_) | Value::String(_) => Ok(Axis::Fixed(coordinate(at, v, names)?)),
        Value::Array(items) if items.len() == if random { 2 } else { 3 } => {
            let lo = coordinate(at, &items[0], names)?;
            let hi = coordinate(at, &items[1], names)?;
            if lo >= hi {
                return Err(at.err(format!("lo must be below hi, found [{lo}, {hi}]")));
            }
            let count =
                if random { 0 } else { count(at, &items[2], if kind == "midpoints" { 1 } else { 2 })? };
            Ok(Axis::Range { lo, hi, count })
        }
        _ => Err(at.err(format!("expected {form}"))),
    }
}

/// The points whose coordinates are the expressions `coords` of each point of `set`.
fn evaluate_points(coords: &[Resolved], set: &PointSet, d: usize) -> Result<Vec<f64>> {
    let n = set.count;
    let mut g = Graph::new();
    let column = Shape::matrix(n, 1);
    let inputs = (0..d).map(|i| g.input(&format!("x{i}"), column)).collect::<Result<Vec<_>, _>>()?;
    let data =
        (0..set.data.len()).map(|j| g.input(&format!("data{j}"), column)).collect::<Result<Vec<_>, _>>()?;
    for (i, e) in coords.iter().enumerate() {
        let node = lower(&mut g, e, &mut |_, leaf| match leaf {
            Leaf::Input(i) => Ok(inputs[i]),
            Leaf::Data(j) => Ok(data[j]),
            Leaf::Network(_) | Leaf::Param(_) | Leaf::Solution { .. } => {
                Err(saddle_graph::GraphError::Internal("a point's coordinate refers to the solution".into()))
            }
        })?;
        let node = g.broadcast_to(node, n, 1)?;
        g.set_output(&format!("c{i}"), node);
    }
    let mut program = Program::compile(&g.simplify()?)?;
    for i in 0..d {
        let values: Vec<f64> = set.points.iter().skip(i).step_by(d).copied().collect();
        program.set_input(&format!("x{i}"), &values)?;
    }
    for (j, (_, values)) in set.data.iter().enumerate() {
        program.set_input(&format!("data{j}"), values)?;
    }
    program.run();
    let columns = (0..d)
        .map(|i| program.output(&format!("c{i}")).map(<[f64]>::to_vec))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..n).flat_map(|p| columns.iter().map(move |c| c[p])).collect())
}
#[cfg(test)]
mod tests;

#[cfg(test)]
mod outputs_tests;
