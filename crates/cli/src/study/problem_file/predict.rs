//! A network's solution and its derivatives at given points (`saddle predict`): each
//! output is the file's trial of the network's outputs, and each derivative is built by
//! the same lowering and transforms as the residuals' `u_x`, `v_xx`, `d(p, x, y)`.

use std::path::Path;

use saddle_graph::{Activation, Arch, Graph, Program, Shape};

use super::ProblemFile;
use super::expr;
use super::lower::Site;
use super::resolve::{Resolved, Scope};
use super::source::{check_network, network_solution};
use crate::study::error::{CliError, Result};
use crate::study::io::csv::read_csv_table;

/// One derivative of an output to evaluate: its column name (as given), the output and
/// the inputs it differentiates by (ascending indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivative {
    /// The column's name: the text as given, e.g. `u_xy` or `d(u, x, y)`.
    pub name: String,
    /// The output, by index in the file's outputs.
    pub output: usize,
    /// The inputs differentiated by, ascending, repeated for higher orders.
    pub wrt: Vec<usize>,
}

/// The derivatives a comma-separated list names (`u_x,u_xx,d(u, x, y)`: commas inside
/// parentheses belong to the item), each as in a residual; an error names the item and
/// says what is wrong.
pub fn derivatives(file: &ProblemFile, list: &str) -> Result<Vec<Derivative>> {
    let constants = Default::default();
    let mut out: Vec<Derivative> = Vec::new();
    for item in split_top_level(list) {
        let item = item.trim();
        let fail = |message: String| CliError::Invalid(format!("--derivatives: '{item}': {message}"));
        if item.is_empty() {
            return Err(CliError::Invalid(format!(
                "--derivatives: an empty item in '{list}' (expected e.g. u_x,u_xx)"
            )));
        }
        let parsed = expr::parse(item).map_err(|e| fail(format!("column {}: {}", e.col, e.message)))?;
        let mut scope = Scope {
            inputs: &file.inputs,
            outputs: &file.outputs,
            constants: &constants,
            data: &[],
            params: &[],
            network: false,
            solution: true,
            normals: false,
            predicate: false,
            sites: Vec::new(),
        };
        let resolved =
            scope.resolve(&parsed).map_err(|(col, message)| fail(format!("column {col}: {message}")))?;
        let (output, wrt) = match resolved {
            Resolved::Solution { output, site: 0, wrt } if !wrt.is_empty() => (output, wrt),
            _ => {
                let (what, columns) = match file.outputs.as_slice() {
                    [one] => (one.clone(), format!("{one} itself is always a column")),
                    all => (
                        "an output".to_string(),
                        format!("the outputs {} are always columns", all.join(", ")),
                    ),
                };
                return Err(fail(format!(
                    "not a derivative of {what} (e.g. u_x, u_xx, d(u, x, y); {columns})"
                )));
            }
        };
        if let Some(other) = out.iter().find(|d| d.output == output && d.wrt == wrt) {
            return Err(fail(format!("the same derivative as '{}'", other.name)));
        }
        out.push(Derivative { name: item.to_string(), output, wrt });
    }
    Ok(out)
}

/// `list` split at the commas outside parentheses.
fn split_top_level(list: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items
}

/// The points of a CSV file with a header row, row-major × the file's inputs: every input
/// must be a column (by name); other columns are ignored.
pub fn csv_points(file: &ProblemFile, path: &Path) -> Result<Vec<f64>> {
    let table = read_csv_table(path)?;
    let mut columns = Vec::with_capacity(file.dim());
    for name in &file.inputs {
        match table.headers.iter().position(|h| h == name) {
            Some(j) => columns.push(table.column(j)),
            None => {
                return Err(CliError::Invalid(format!(
                    "--points {}: no column '{name}' (every input of {} must be a column; found: {})",
                    path.display(),
                    file.path.display(),
                    table.headers.join(", ")
                )));
            }
        }
    }
    Ok((0..table.rows).flat_map(|i| columns.iter().map(move |c| c[i])).collect())
}

/// `Err` unless `arch` takes the file's inputs, gives its outputs and can be evaluated at
/// `points` points at once.
pub fn check_arch(file: &ProblemFile, arch: &Arch, points: usize) -> Result<()> {
    check_network(file, arch, points)
}

/// The network's solution and derivatives at some points, column by column.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The column names: the inputs, each output, then each derivative.
    pub headers: Vec<String>,
    /// The columns, each one value per point.
    pub columns: Vec<Vec<f64>>,
}

impl Prediction {
    /// The number of points.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table as CSV: a header row, then one row per point, every number in its
    /// shortest round-trip form.
    pub fn csv(&self) -> String {
        let quote = |h: &String| {
            if h.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", h.replace('"', "\"\""))
            } else {
                h.clone()
            }
        };
        let mut text = self.headers.iter().map(quote).collect::<Vec<_>>().join(",");
        text.push('\n');
        for i in 0..self.len() {
            let row: Vec<String> = self.columns.iter().map(|c| format!("{:?}", c[i])).collect();
            text.push_str(&row.join(","));
            text.push('\n');
        }
        text
    }
}

/// Each output trial_k(N(x; θ), x) of the network `arch`/`act` with parameters `theta`,
/// and the `derivatives`, at `points` (row-major × the file's inputs). `afford` is asked
/// for the bytes the evaluation needs before any is allocated (an `Err` stops it).
pub fn predict(
    file: &ProblemFile,
    arch: &Arch,
    act: Activation,
    theta: &[f64],
    points: &[f64],
    derivatives: &[Derivative],
    afford: impl FnOnce(u64) -> Result<()>,
) -> Result<Prediction> {
    let d = file.dim();
    let n = points.len() / d;
    check_network(file, arch, n)?;
    let mut g = Graph::new();
    let theta_node = g.input("theta", Shape::vector(arch.param_count()))?;
    let column = Shape::matrix(n, 1);
    let inputs = (0..d).map(|i| g.input(&format!("x{i}"), column)).collect::<Result<Vec<_>, _>>()?;
    let mut site = Site::new(inputs);
    let mut solution = |g: &mut Graph, inputs: &[saddle_graph::NodeId], k: usize| {
        network_solution(g, &file.trial, arch, act, theta_node, inputs, k)
    };
    let m = file.outputs.len();
    for k in 0..m {
        let u = site.derivative(&mut g, k, &[], &mut solution)?;
        let u = g.broadcast_to(u, n, 1)?;
        g.set_output(&format!("u{k}"), u);
    }
    for (k, derivative) in derivatives.iter().enumerate() {
        let node = site.derivative(&mut g, derivative.output, &derivative.wrt, &mut solution)?;
        let node = g.broadcast_to(node, n, 1)?;
        g.set_output(&format!("d{k}"), node);
    }
    let graph = g.simplify()?;
    // The program's buffers, and the CSV text of every column (about 25 bytes a number).
    let columns_bytes = (n * (d + m + derivatives.len())) as u64 * 33;
    afford(8 * Program::planned_elements(&graph)? as u64 + columns_bytes)?;
    let mut program = Program::compile(&graph)?;
    let mut columns: Vec<Vec<f64>> =
        (0..d).map(|i| points.iter().skip(i).step_by(d).copied().collect()).collect();
    for (i, values) in columns.iter().enumerate() {
        if program.has_input(&format!("x{i}")) {
            program.set_input(&format!("x{i}"), values)?;
        }
    }
    program.set_input("theta", theta)?;
    program.run();
    for k in 0..m {
        columns.push(program.output(&format!("u{k}"))?.to_vec());
    }
    for k in 0..derivatives.len() {
        columns.push(program.output(&format!("d{k}"))?.to_vec());
    }
    let mut headers = file.inputs.clone();
    headers.extend(file.outputs.iter().cloned());
    headers.extend(derivatives.iter().map(|d| d.name.clone()));
    Ok(Prediction { headers, columns })
}
