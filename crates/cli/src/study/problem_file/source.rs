//! A problem file with a network: its loss graph (a [`LossSource`]), and the error of the
//! network's solution against the exact one.

use saddle_graph::model::{half_sum_of_squares, mlp_columns};
use saddle_graph::{Activation, Arch, Graph, GraphError, NodeId, Program, Shape};

use super::lower::{Leaf, Site, SolutionBuilder, lower};
use super::{ProblemFile, Term};
use crate::study::compiled::{Derivatives, compile};
use crate::study::error::{CliError, Result};
use crate::study::loss::{LossGraph, LossSource};

/// [`FileProblem`]'s residuals at θ = 0 are evaluated in runs of at least this many points…
const ZERO_CHUNK_POINTS: usize = 1 << 16;

/// …and in at most this many runs.
const ZERO_CHUNKS: usize = 16;

/// A problem file's loss for one network: ½ Σ_terms weight Σ_points r², the residuals
/// scaled by √weight in file order.
#[derive(Clone, Debug)]
pub struct FileProblem {
    /// Layer widths; the input width is the file's input count, the output width its
    /// output count.
    pub arch: Arch,
    /// Hidden-layer activation.
    pub act: Activation,
    /// Each output in terms of the network's outputs.
    trial: Vec<super::Resolved>,
    terms: Vec<Term>,
    /// The file's trainable `[parameters]` with their initial values, in file order: θ's
    /// entries after the network's.
    parameters: Vec<(String, f64)>,
    /// The data inputs of the loss graph, in declaration order: per term its input columns,
    /// its data variables and its shifted sites' input columns.
    columns: Vec<(String, Vec<f64>)>,
    /// −r at θ = 0, where the network's output is zero.
    target: Vec<f64>,
}

impl FileProblem {
    /// The loss of `file` for the network `arch` with activation `act`.
    pub fn new(file: &ProblemFile, arch: Arch, act: Activation) -> Result<FileProblem> {
        let largest =
            file.terms.iter().map(|t| t.count).max().unwrap_or(0).max(file.test_points.len() / file.dim());
        check_network(file, &arch, largest)?;
        let mut problem = FileProblem {
            arch,
            act,
            trial: file.trial.clone(),
            terms: file.terms.clone(),
            parameters: file.parameters.clone(),
            columns: Vec::new(),
            target: Vec::new(),
        };
        problem.columns = term_columns(&problem.terms, file.dim());
        problem.target = problem.residual_at_zero()?.iter().map(|r| -r).collect();
        Ok(problem)
    }

    /// The residuals at θ = 0: the network's output is zero there whatever the activation.
    /// Many points are evaluated in up to [`ZERO_CHUNKS`] runs of consecutive points, each
    /// its own program, so that this, done before a command checks the memory its
    /// programs will need, takes a fraction of it.
    fn residual_at_zero(&self) -> Result<Vec<f64>> {
        let residual = |problem: &dyn LossSource| -> Result<Vec<f64>> {
            let mut program = compile(problem, &|g, lg| {
                g.clear_outputs();
                g.set_output("residual", lg.residual);
                Ok(())
            })?;
            program.set_input("theta", &vec![0.0; self.param_count()])?;
            program.run();
            Ok(program.output("residual")?.to_vec())
        };
        let m = self.residual_count();
        let chunks = (m / ZERO_CHUNK_POINTS).clamp(1, ZERO_CHUNKS);
        if chunks == 1 {
            return residual(self);
        }
        // A shard takes its rows of the target, not yet known: zeros stand in.
        let zeros = FileProblem { target: vec![0.0; m], ..self.clone() };
        let mut out = Vec::with_capacity(m);
        for k in 0..chunks {
            let rows = k * m / chunks..(k + 1) * m / chunks;
            let shard = zeros
                .shard(rows)
                .ok_or_else(|| CliError::Internal("a problem file's rows form shards".into()))?;
            out.extend(residual(&*shard)?);
        }
        Ok(out)
    }

    /// The file's trainable `[parameters]` and their initial values, in file order.
    pub fn parameters(&self) -> &[(String, f64)] {
        &self.parameters
    }

    /// The terms' names and point counts, in file order.
    pub fn term_counts(&self) -> Vec<(&str, usize)> {
        self.terms.iter().map(|t| (t.name.as_str(), t.count)).collect()
    }

    /// Each term's name and its rows of the residual vector, in file order.
    pub fn term_rows(&self) -> Vec<(&str, std::ops::Range<usize>)> {
        let mut start = 0;
        self.terms
            .iter()
            .map(|t| {
                start += t.count;
                (t.name.as_str(), start - t.count..start)
            })
            .collect()
    }
}

/// Each term's share of a problem file's loss, ½·weight·Σ r² over its points, computed
/// from the residual vector (one evaluation of the residuals, on the calling thread).
#[derive(Clone, Debug)]
pub struct TermLosses {
    rows: Vec<(String, std::ops::Range<usize>)>,
    derivs: Derivatives,
    residual: Vec<f64>,
}

impl TermLosses {
    /// The term losses of `problem`, evaluated with its compiled `derivs` (a clone shares
    /// what is compiled).
    pub fn new(problem: &FileProblem, derivs: Derivatives) -> TermLosses {
        let rows = problem.term_rows().into_iter().map(|(name, rows)| (name.to_string(), rows)).collect();
        TermLosses { rows, residual: vec![0.0; derivs.residual_count()], derivs }
    }

    /// Each term's ½·weight·Σr² at θ, in file order.
    pub fn at(&mut self, theta: &[f64]) -> Result<Vec<(&str, f64)>> {
        self.derivs.residuals(theta, &mut self.residual)?;
        Ok(term_losses(&self.rows, &self.residual))
    }

    /// [`TermLosses::at`] as a JSON object, term name → loss.
    pub fn json(&mut self, theta: &[f64]) -> Result<serde_json::Value> {
        let map: serde_json::Map<String, serde_json::Value> =
            self.at(theta)?.into_iter().map(|(name, loss)| (name.to_string(), loss.into())).collect();
        Ok(serde_json::Value::Object(map))
    }
}

/// ½ Σ r² over each term's rows of `residual` (the residuals scaled by √weight).
fn term_losses<'a>(rows: &'a [(String, std::ops::Range<usize>)], residual: &[f64]) -> Vec<(&'a str, f64)> {
    rows.iter()
        .map(|(name, rows)| (name.as_str(), 0.5 * residual[rows.clone()].iter().map(|r| r * r).sum::<f64>()))
        .collect()
}

/// `Err` unless `arch` takes the file's inputs, gives its outputs and can be evaluated at
/// `points` points at once.
pub(super) fn check_network(file: &ProblemFile, arch: &Arch, points: usize) -> Result<()> {
    if arch.input_dim() != file.dim() {
        return Err(CliError::Invalid(format!(
            "--arch {arch} takes {} input(s) but {} has {} ({})",
            arch.input_dim(),
            file.path.display(),
            file.dim(),
            file.inputs.join(", ")
        )));
    }
    let m = file.outputs.len();
    if arch.output_dim() != m {
        let which = match m {
            1 => String::new(),
            _ => format!(", one per output of {} ({})", file.path.display(), file.outputs.join(", ")),
        };
        return Err(CliError::Invalid(format!("--arch {arch}: the output width must be {m}{which}")));
    }
    arch.check_points(points).map_err(CliError::Invalid)
}

/// The data inputs of the terms' residuals, by name, in declaration order: per term its
/// input columns, its data variables and its shifted sites' input columns.
fn term_columns(terms: &[Term], d: usize) -> Vec<(String, Vec<f64>)> {
    let column = |points: &[f64], i: usize| points.iter().skip(i).step_by(d).copied().collect::<Vec<f64>>();
    let mut columns = Vec::new();
    for (k, term) in terms.iter().enumerate() {
        columns.extend((0..d).map(|i| (format!("t{k}.x{i}"), column(&term.points, i))));
        columns.extend(term.data.iter().map(|(name, v)| (format!("t{k}.{name}"), v.clone())));
        for (s, points) in term.shifted.iter().enumerate() {
            columns.extend((0..d).map(|i| (format!("t{k}.at{}.x{i}", s + 1), column(points, i))));
        }
    }
    columns
}

/// One term's residuals at the exact solution and at u ≡ 0.
#[derive(Clone, Debug)]
pub struct ExactResiduals {
    /// r with u the exact solution, its derivatives by the same transforms as the network's.
    pub at_exact: Vec<f64>,
    /// r with u ≡ 0: the size of the term's data, such as a source.
    pub at_zero: Vec<f64>,
}

/// Each term's [`ExactResiduals`]; `None` when the file gives no exact solution. The
/// trainable parameters take their exact values where the file gives them, else their
/// initial ones.
pub fn exact_residuals(file: &ProblemFile) -> Result<Option<Vec<ExactResiduals>>> {
    let Some(exact) = &file.exact else { return Ok(None) };
    let values: Vec<f64> =
        file.parameters.iter().zip(&file.parameters_exact).map(|((_, v), e)| e.unwrap_or(*v)).collect();
    let at_exact =
        residuals_with(file, &values, &mut |g, inputs, k| exact_solution(g, &exact[k], inputs, &[]))?;
    let at_zero = residuals_with(file, &values, &mut |g, inputs, _| Ok(g.fill(0.0, g.shape(inputs[0]))))?;
    Ok(Some(
        at_exact
            .into_iter()
            .zip(at_zero)
            .map(|(at_exact, at_zero)| ExactResiduals { at_exact, at_zero })
            .collect(),
    ))
}

/// Each term's residuals at θ = 0, where the network's output N is zero whatever the
/// architecture: u is the trial with N = 0 (u ≡ 0 without a trial).
pub fn residuals_at_zero_params(file: &ProblemFile) -> Result<Vec<Vec<f64>>> {
    let trial = &file.trial;
    let initial: Vec<f64> = file.parameters.iter().map(|(_, v)| *v).collect();
    residuals_with(file, &initial, &mut |g, inputs, k| {
        let column = g.shape(inputs[0]);
        let u = lower(g, &trial[k], &mut |g, leaf| match leaf {
            Leaf::Input(i) => Ok(inputs[i]),
            Leaf::Network(_) => Ok(g.fill(0.0, column)),
            _ => Err(GraphError::Internal("a trial refers to data or to u".into())),
        })?;
        g.broadcast_to(u, column.rows, column.cols)
    })
}

/// Each term's residuals (unscaled), with u at every site made by `solution` and the
/// trainable parameters at `values`.
fn residuals_with(
    file: &ProblemFile,
    values: &[f64],
    solution: &mut SolutionBuilder<'_>,
) -> Result<Vec<Vec<f64>>> {
    let d = file.dim();
    let columns = term_columns(&file.terms, d);
    let mut g = Graph::new();
    let nodes = columns
        .iter()
        .map(|(name, v)| g.input(name, Shape::matrix(v.len(), 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut param = |g: &mut Graph, k: usize| Ok(g.scalar(values[k]));
    let residuals = term_residuals(&mut g, &file.terms, d, &nodes, solution, &mut param)?;
    for (k, r) in residuals.iter().enumerate() {
        g.set_output(&format!("r{k}"), *r);
    }
    let mut program = Program::compile(&g.simplify()?)?;
    for (name, values) in &columns {
        program.set_input(name, values)?;
    }
    program.run();
    (0..file.terms.len()).map(|k| Ok(program.output(&format!("r{k}"))?.to_vec())).collect()
}

/// The exact solution u* at the points whose input columns are `inputs` (and data columns
/// `data`, for `[test]`'s `exact`), one value per point.
fn exact_solution(
    g: &mut Graph,
    exact: &super::Resolved,
    inputs: &[NodeId],
    data: &[NodeId],
) -> Result<NodeId, GraphError> {
    let u = lower(g, exact, &mut |_, leaf| match leaf {
        Leaf::Input(i) => Ok(inputs[i]),
        Leaf::Data(j) => {
            data.get(j).copied().ok_or_else(|| GraphError::Internal("a missing data column".into()))
        }
        _ => Err(GraphError::Internal("the exact solution refers to N or u".into())),
    })?;
    let column = g.shape(inputs[0]);
    g.broadcast_to(u, column.rows, column.cols)
}

/// Output `k` of the solution, trial_k(N(x; θ), x), at the points whose input columns are
/// `inputs`. The network is built once per graph (equal nodes are shared), and its j-th
/// output column is N · e_j when it has several.
pub(super) fn network_solution(
    g: &mut Graph,
    trial: &[super::Resolved],
    arch: &Arch,
    act: Activation,
    theta: NodeId,
    inputs: &[NodeId],
    k: usize,
) -> Result<NodeId, GraphError> {
    let net = mlp_columns(g, arch, act, theta, inputs)?.output;
    let m = arch.output_dim();
    lower(g, &trial[k], &mut |g, leaf| match leaf {
        Leaf::Input(i) => Ok(inputs[i]),
        Leaf::Network(_) if m == 1 => Ok(net),
        Leaf::Network(j) => {
            let one = g.scalar(1.0);
            let e_j = g.embed(one, j, m)?;
            g.matmul(net, e_j)
        }
        _ => Err(GraphError::Internal("a trial refers to data or to u".into())),
    })
}

/// Each term's residual (count × 1), with u at every site made by `solution` from the
/// site's input columns; `columns` are the term's data-input nodes in the order of
/// [`term_columns`]; `param` makes the node (1 × 1) of the k-th trainable parameter.
pub(super) fn term_residuals(
    g: &mut Graph,
    terms: &[Term],
    d: usize,
    columns: &[NodeId],
    solution: &mut SolutionBuilder<'_>,
    param: &mut dyn FnMut(&mut Graph, usize) -> Result<NodeId, GraphError>,
) -> Result<Vec<NodeId>, GraphError> {
    let mut next = columns.iter().copied();
    let mut residuals = Vec::with_capacity(terms.len());
    for term in terms {
        let own: Vec<NodeId> = next.by_ref().take(d).collect();
        let data: Vec<NodeId> = next.by_ref().take(term.data.len()).collect();
        let mut sites = vec![Site::new(own.clone())];
        for _ in &term.shifted {
            sites.push(Site::new(next.by_ref().take(d).collect()));
        }
        let r = lower(g, &term.residual, &mut |g, leaf| match leaf {
            Leaf::Input(i) => Ok(own[i]),
            Leaf::Data(j) => Ok(data[j]),
            Leaf::Solution { output, site, wrt } => sites[site].derivative(g, output, wrt, solution),
            Leaf::Param(k) => param(g, k),
            Leaf::Network(_) => Err(GraphError::Internal("a residual refers to N".into())),
        })?;
        let r = g.broadcast_to(r, term.count, 1)?;
        residuals.push(r);
    }
    Ok(residuals)
}

impl LossSource for FileProblem {
    /// The network's parameters, then the file's `[parameters]` in file order.
    fn param_count(&self) -> usize {
        self.arch.param_count() + self.parameters.len()
    }

    fn residual_count(&self) -> usize {
        self.terms.iter().map(|t| t.count).sum()
    }

    fn loss_graph(&self) -> Result<LossGraph, GraphError> {
        let mut g = Graph::new();
        let theta = g.input("theta", Shape::vector(self.param_count()))?;
        let columns = self
            .columns
            .iter()
            .map(|(name, v)| g.input(name, Shape::matrix(v.len(), 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let (arch, act, trial) = (&self.arch, self.act, &self.trial);
        let d = arch.input_dim();
        let n_net = arch.param_count();
        let net_theta = if self.parameters.is_empty() { theta } else { g.slice(theta, 0, n_net, 1)? };
        let mut param = |g: &mut Graph, k: usize| g.slice(theta, n_net + k, 1, 1);
        let residuals = term_residuals(
            &mut g,
            &self.terms,
            d,
            &columns,
            &mut |g, inputs, k| network_solution(g, trial, arch, act, net_theta, inputs, k),
            &mut param,
        )?;
        let m = self.residual_count();
        let mut scaled = Vec::with_capacity(residuals.len());
        for (r, term) in residuals.into_iter().zip(&self.terms) {
            scaled.push(if term.weight == 1.0 {
                r
            } else {
                let w = g.scalar(term.weight.sqrt());
                g.mul(w, r)?
            });
        }
        let mut loss = None;
        let mut residual = None;
        let mut offset = 0;
        for (&s, term) in scaled.iter().zip(&self.terms) {
            let half = half_sum_of_squares(&mut g, s)?;
            loss = Some(match loss {
                None => half,
                Some(l) => g.add(l, half)?,
            });
            let placed = if scaled.len() == 1 { s } else { g.embed(s, offset, m)? };
            residual = Some(match residual {
                None => placed,
                Some(r) => g.add(r, placed)?,
            });
            offset += term.count;
        }
        let (loss, residual) = match (loss, residual) {
            (Some(l), Some(r)) => (l, r),
            _ => return Err(GraphError::Internal("a problem without terms".into())),
        };
        g.set_output("loss", loss);
        Ok(LossGraph { graph: g, theta, loss, residual, features: None })
    }

    fn data_inputs(&self) -> Vec<(&str, &[f64])> {
        self.columns.iter().map(|(name, v)| (name.as_str(), v.as_slice())).collect()
    }

    fn target(&self) -> &[f64] {
        &self.target
    }

    fn output_weights(&self) -> std::ops::Range<usize> {
        let last = self.arch.layers().last().copied().expect("an architecture has at least one layer");
        last.weights..last.biases
    }

    /// Every residual belongs to one point of one term, and depends on that point alone
    /// (shifted points are computed per point): rows `rows` of the residual vector are
    /// the same problem over those points.
    fn shard(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn LossSource>> {
        let d = self.arch.input_dim();
        let mut terms = Vec::new();
        let mut start = 0;
        for term in &self.terms {
            let (lo, hi) = (rows.start.max(start), rows.end.min(start + term.count));
            start += term.count;
            if lo >= hi {
                continue;
            }
            let (lo, hi) = (lo - (start - term.count), hi - (start - term.count));
            terms.push(Term {
                count: hi - lo,
                points: term.points.get(lo * d..hi * d)?.to_vec(),
                data: term
                    .data
                    .iter()
                    .map(|(n, v)| Some((n.clone(), v.get(lo..hi)?.to_vec())))
                    .collect::<Option<_>>()?,
                shifted: term
                    .shifted
                    .iter()
                    .map(|p| p.get(lo * d..hi * d).map(<[f64]>::to_vec))
                    .collect::<Option<_>>()?,
                ..term.clone()
            });
        }
        let mut shard = FileProblem {
            terms,
            columns: Vec::new(),
            target: self.target.get(rows)?.to_vec(),
            ..self.clone()
        };
        shard.columns = term_columns(&shard.terms, d);
        Some(Box::new(shard))
    }
}

/// The relative L2 error ‖u − u*‖₂ / ‖u*‖₂ of the network's solution against the exact one
/// (`[test]`'s `exact`, else the file's) over a problem file's test points: overall (every
/// output's values stacked) and per output.
#[derive(Clone, Debug)]
pub struct SolutionError {
    program: Program,
    /// The network's share of θ (θ's `[parameters]` follow it and u does not use them).
    n_net: usize,
    /// The outputs' names, in order.
    outputs: Vec<String>,
    /// ‖u*_k‖₂ per output k.
    exact_norms: Vec<f64>,
    points: Vec<f64>,
}

impl SolutionError {
    /// The error of `arch`'s solution for `file`; `None` when the file gives no exact solution.
    pub fn new(file: &ProblemFile, arch: &Arch, act: Activation) -> Result<Option<SolutionError>> {
        let Some(exact) = file.reference() else { return Ok(None) };
        let d = file.dim();
        let p = file.test_points.len() / d;
        let mut g = Graph::new();
        let theta = g.input("theta", Shape::vector(arch.param_count()))?;
        let column = Shape::matrix(p, 1);
        let inputs = (0..d).map(|i| g.input(&format!("x{i}"), column)).collect::<Result<Vec<_>, _>>()?;
        let data = (0..file.test_data.len())
            .map(|j| g.input(&format!("data{j}"), column))
            .collect::<Result<Vec<_>, _>>()?;
        for (k, exact) in exact.iter().enumerate() {
            let u = network_solution(&mut g, &file.trial, arch, act, theta, &inputs, k)?;
            let u_exact = exact_solution(&mut g, exact, &inputs, &data)?;
            let error = g.sub(u, u_exact)?;
            g.set_output(&format!("error{k}"), error);
            g.set_output(&format!("exact{k}"), u_exact);
        }
        let mut program = Program::compile(&g.simplify()?)?;
        for i in 0..d {
            let column: Vec<f64> = file.test_points.iter().skip(i).step_by(d).copied().collect();
            program.set_input(&format!("x{i}"), &column)?;
        }
        for (j, (_, values)) in file.test_data.iter().enumerate() {
            if program.has_input(&format!("data{j}")) {
                program.set_input(&format!("data{j}"), values)?;
            }
        }
        program.set_input("theta", &vec![0.0; arch.param_count()])?;
        program.run();
        let exact_norms = (0..exact.len())
            .map(|k| Ok(saddle_solvers::norm(program.output(&format!("exact{k}"))?)))
            .collect::<Result<Vec<f64>>>()?;
        let n_net = arch.param_count();
        let outputs = file.outputs.clone();
        Ok(Some(SolutionError { program, n_net, outputs, exact_norms, points: file.test_points.clone() }))
    }

    /// ‖u(θ) − u*‖₂ / ‖u*‖₂ over the test points, every output's values stacked.
    pub fn rel_l2(&mut self, theta: &[f64]) -> Result<f64> {
        let errors = self.error_norms(theta)?;
        Ok(self.stacked(&errors))
    }

    /// Each output's name and ‖u_k(θ) − u*_k‖₂ / ‖u*_k‖₂ over the test points, in order.
    pub fn rel_l2_outputs(&mut self, theta: &[f64]) -> Result<Vec<(String, f64)>> {
        let errors = self.error_norms(theta)?;
        Ok(self.ratios(&errors))
    }

    /// [`SolutionError::rel_l2`] and, with several outputs, [`SolutionError::rel_l2_outputs`]
    /// as a JSON object (output → rel_l2) from one evaluation; `None` with one output,
    /// whose error is the first.
    pub fn rel_l2_with_outputs(&mut self, theta: &[f64]) -> Result<(f64, Option<serde_json::Value>)> {
        let errors = self.error_norms(theta)?;
        let per_output = (self.outputs.len() > 1).then(|| {
            let map: serde_json::Map<String, serde_json::Value> =
                self.ratios(&errors).into_iter().map(|(name, e)| (name, e.into())).collect();
            serde_json::Value::Object(map)
        });
        Ok((self.stacked(&errors), per_output))
    }

    /// ‖u_k(θ) − u*_k‖₂ for each output k, from one run of the program.
    fn error_norms(&mut self, theta: &[f64]) -> Result<Vec<f64>> {
        self.run(theta)?;
        (0..self.outputs.len())
            .map(|k| Ok(saddle_solvers::norm(self.program.output(&format!("error{k}"))?)))
            .collect()
    }

    /// Each output's name and relative error from its error norm.
    fn ratios(&self, errors: &[f64]) -> Vec<(String, f64)> {
        self.outputs
            .iter()
            .zip(errors.iter().zip(&self.exact_norms))
            .map(|(n, (e, u))| (n.clone(), e / u))
            .collect()
    }

    /// The stacked relative error from each output's error norm.
    fn stacked(&self, errors: &[f64]) -> f64 {
        let error: f64 = errors.iter().map(|e| e * e).sum();
        error.sqrt() / self.exact_norms.iter().map(|e| e * e).sum::<f64>().sqrt()
    }

    /// u(θ) − u* of output `k` at each test point, in the order of
    /// [`SolutionError::points`].
    pub fn errors(&mut self, theta: &[f64], k: usize) -> Result<&[f64]> {
        self.run(theta)?;
        Ok(self.program.output(&format!("error{k}"))?)
    }

    fn run(&mut self, theta: &[f64]) -> Result<()> {
        self.program.set_input("theta", theta.get(..self.n_net).unwrap_or(theta))?;
        self.program.run();
        Ok(())
    }

    /// The test points, one row of the file's inputs per point.
    pub fn points(&self) -> &[f64] {
        &self.points
    }
}
