//! A network's solution and its derivatives at given points (`saddle predict`): u is the
//! file's trial of the network output, and each derivative is built by the same lowering
//! and transforms as the residuals' `u_x`, `u_xx`, `d(u, x, y)`.

use std::path::Path;

use saddle_graph::{Activation, Arch, Graph, Program, Shape};

use super::ProblemFile;
use super::expr;
use super::lower::Site;
use super::resolve::{Resolved, Scope};
use super::source::{check_network, network_solution};
use crate::study::error::{CliError, Result};
use crate::study::io::csv::read_csv_table;

/// One derivative of u to evaluate: its column name (as given) and the inputs it
/// differentiates by (ascending indices).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivative {
    /// The column's name: the text as given, e.g. `u_xy` or `d(u, x, y)`.
    pub name: String,
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
        let wrt = match resolved {
            Resolved::Solution { site: 0, wrt } if !wrt.is_empty() => wrt,
            _ => {
                return Err(fail(
                    "not a derivative of u (e.g. u_x, u_xx, d(u, x, y); u itself is always a column)".into(),
                ));
            }
        };
        if let Some(other) = out.iter().find(|d| d.wrt == wrt) {
            return Err(fail(format!("the same derivative as '{}'", other.name)));
        }
        out.push(Derivative { name: item.to_string(), wrt });
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

/// `Err` unless `arch` takes the file's inputs, has one output and can be evaluated at
/// `points` points at once.
pub fn check_arch(file: &ProblemFile, arch: &Arch, points: usize) -> Result<()> {
    check_network(file, arch, points)
}

/// The network's solution and derivatives at some points, column by column.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The column names: the inputs, `u`, then each derivative.
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

/// u = trial(N(x; θ), x) of the network `arch`/`act` with parameters `theta`, and the
/// `derivatives` of u, at `points` (row-major × the file's inputs). `afford` is asked
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
    let mut solution = |g: &mut Graph, inputs: &[saddle_graph::NodeId]| {
        network_solution(g, &file.trial, arch, act, theta_node, inputs)
    };
    let u = site.derivative(&mut g, &[], &mut solution)?;
    g.set_output("u", u);
    for (k, derivative) in derivatives.iter().enumerate() {
        let node = site.derivative(&mut g, &derivative.wrt, &mut solution)?;
        let node = g.broadcast_to(node, n, 1)?;
        g.set_output(&format!("d{k}"), node);
    }
    let graph = g.simplify()?;
    // The program's buffers, and the CSV text of every column (about 25 bytes a number).
    let columns_bytes = (n * (d + 1 + derivatives.len())) as u64 * 33;
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
    columns.push(program.output("u")?.to_vec());
    for k in 0..derivatives.len() {
        columns.push(program.output(&format!("d{k}"))?.to_vec());
    }
    let mut headers = file.inputs.clone();
    headers.push("u".into());
    headers.extend(derivatives.iter().map(|d| d.name.clone()));
    Ok(Prediction { headers, columns })
}
