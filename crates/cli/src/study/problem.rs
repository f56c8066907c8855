//! The problems of the contract as loss graphs over the flat parameter vector θ: the
//! built-in network regression and 1-D Poisson PINN, and what `--problem` names.

use std::fmt;
use std::sync::Arc;

use saddle_graph::model::{half_sum_of_squares, mlp, pinn_residual, pinn_trial};
use saddle_graph::{Activation, Arch, Graph, GraphError, Shape};

use crate::study::error::{CliError, Result};
use crate::study::io::csv::Dataset;
use crate::study::loss::{LossGraph, LossSource};
use crate::study::problem_file::{FileProblem, ProblemFile, SolutionError};

/// Which objective is built from the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// L(θ) = ½ Σᵢ (u(xᵢ; θ) − yᵢ)².
    Regression,
    /// −u'' = f on (0, 1) with u = x(1 − x)·N(x; θ); L(θ) = ½ Σᵢ (−u''(xᵢ) − f(xᵢ))².
    Pinn,
}

impl ProblemKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Regression => "regression",
            ProblemKind::Pinn => "pinn",
        }
    }

    /// The name of the target input: `y` for regression, `f` for the PINN source.
    pub fn target_name(self) -> &'static str {
        match self {
            ProblemKind::Regression => "y",
            ProblemKind::Pinn => "f",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A problem: the objective, the network and the data it is fitted to.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The objective.
    pub kind: ProblemKind,
    /// Layer widths.
    pub arch: Arch,
    /// Hidden-layer activation.
    pub act: Activation,
    /// Inputs and targets.
    pub data: Dataset,
}

impl Problem {
    /// Checks that the architecture fits the data and the problem.
    pub fn new(kind: ProblemKind, arch: Arch, act: Activation, data: Dataset) -> Result<Problem> {
        if arch.output_dim() != 1 {
            return Err(CliError::Invalid(format!(
                "--arch {arch}: the output width must be 1 (the data has one target column)"
            )));
        }
        if kind == ProblemKind::Pinn && arch.input_dim() != 1 {
            return Err(CliError::Invalid(format!(
                "--arch {arch}: --problem pinn solves a 1-D equation, so the input width must be 1"
            )));
        }
        arch.check_points(data.n_points).map_err(CliError::Invalid)?;
        if data.n_inputs != arch.input_dim() {
            return Err(CliError::Invalid(format!(
                "--arch {arch} takes {} input(s) but the data has {} input column(s) (the last column is the target)",
                arch.input_dim(),
                data.n_inputs
            )));
        }
        Ok(Problem { kind, arch, act, data })
    }

    /// n, the length of θ.
    pub fn param_count(&self) -> usize {
        self.arch.param_count()
    }
}

impl LossSource for Problem {
    fn param_count(&self) -> usize {
        self.arch.param_count()
    }

    fn residual_count(&self) -> usize {
        self.data.n_points
    }

    fn loss_graph(&self) -> Result<LossGraph, GraphError> {
        let mut g = Graph::new();
        let n_points = self.data.n_points;
        let theta = g.input("theta", Shape::vector(self.param_count()))?;
        let x = g.input("x", Shape::matrix(n_points, self.arch.input_dim()))?;
        let target = g.input(self.kind.target_name(), Shape::vector(n_points))?;
        let net = mlp(&mut g, &self.arch, self.act, theta, x)?;
        let basis = net.hidden.last().copied().unwrap_or(x);
        let (residual, features) = match self.kind {
            ProblemKind::Regression => (g.sub(net.output, target)?, basis),
            ProblemKind::Pinn => {
                let u = pinn_trial(&mut g, x, net.output)?;
                let u_xx = saddle_ad::d2_dx2(&mut g, u, x)?;
                let trial_basis = pinn_trial(&mut g, x, basis)?;
                let basis_xx = saddle_ad::d2_dx2(&mut g, trial_basis, x)?;
                (pinn_residual(&mut g, u_xx, target)?, g.neg(basis_xx)?)
            }
        };
        let loss = half_sum_of_squares(&mut g, residual)?;
        g.set_output("loss", loss);
        Ok(LossGraph { graph: g, theta, loss, residual, features: Some(features) })
    }

    fn data_inputs(&self) -> Vec<(&str, &[f64])> {
        vec![("x", &self.data.inputs), (self.kind.target_name(), &self.data.targets)]
    }

    fn target(&self) -> &[f64] {
        &self.data.targets
    }

    fn output_weights(&self) -> std::ops::Range<usize> {
        let last = self.arch.layers().last().copied().expect("an architecture has at least one layer");
        last.weights..last.biases
    }

    /// Both problems' residuals are per point (the PINN's derivatives are with respect
    /// to each point's own x), so any rows form the same objective on fewer points.
    fn shard(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn LossSource>> {
        let d = self.data.n_inputs;
        let data = Dataset {
            inputs: self.data.inputs.get(rows.start * d..rows.end * d)?.to_vec(),
            targets: self.data.targets.get(rows.clone())?.to_vec(),
            n_points: rows.len(),
            n_inputs: d,
        };
        // Not `..self.clone()`: that would copy every point for each shard.
        Some(Box::new(Problem { data, kind: self.kind, arch: self.arch.clone(), act: self.act }))
    }
}

/// What `--problem` names: a built-in problem, or a problem file (any value ending in `.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemSpec {
    /// `regression` or `pinn`, with the points of `--data`.
    Builtin(ProblemKind),
    /// A problem file, which names its own points.
    File(std::path::PathBuf),
}

impl std::str::FromStr for ProblemSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "regression" => Ok(ProblemSpec::Builtin(ProblemKind::Regression)),
            "pinn" => Ok(ProblemSpec::Builtin(ProblemKind::Pinn)),
            _ if s.ends_with(".toml") => Ok(ProblemSpec::File(s.into())),
            _ => Err(format!("'{s}' is not a problem (expected regression, pinn or a FILE.toml)")),
        }
    }
}

/// A problem with its points, before a network is chosen: a built-in problem and its data,
/// or a loaded problem file.
#[derive(Clone, Debug)]
pub enum ProblemDef {
    /// `regression` or `pinn` on a data set.
    Builtin {
        /// Which.
        kind: ProblemKind,
        /// Its points and targets.
        data: Dataset,
    },
    /// A problem file.
    File(std::sync::Arc<ProblemFile>),
}

impl ProblemDef {
    /// The problem `--problem` names, with its points: the built-in problem on `--data`, or the
    /// problem file (which refuses `--data`).
    pub fn new(spec: &ProblemSpec, data: Option<&std::path::Path>) -> Result<ProblemDef> {
        match (spec, data) {
            (ProblemSpec::Builtin(kind), Some(data)) => {
                Ok(ProblemDef::Builtin { kind: *kind, data: crate::study::io::csv::read_data_csv(data)? })
            }
            (ProblemSpec::Builtin(kind), None) => Err(CliError::Invalid(format!(
                "--problem {kind} needs --data FILE (CSV with a header row; the last column is the target)"
            ))),
            (ProblemSpec::File(path), None) => Ok(ProblemDef::File(Arc::new(ProblemFile::load(path)?))),
            (ProblemSpec::File(path), Some(_)) => Err(CliError::Invalid(format!(
                "--data does not go with --problem {}: a problem file names its own points",
                path.display()
            ))),
        }
    }

    /// The name in summaries: `regression`, `pinn`, or the file's path.
    pub fn name(&self) -> String {
        match self {
            ProblemDef::Builtin { kind, .. } => kind.name().to_string(),
            ProblemDef::File(file) => file.path.display().to_string(),
        }
    }

    /// The number of residuals (data points, or every term's points).
    pub fn points(&self) -> usize {
        match self {
            ProblemDef::Builtin { data, .. } => data.n_points,
            ProblemDef::File(file) => file.residual_count(),
        }
    }

    /// The problem with the network `arch` and activation `act`.
    pub fn with_network(&self, arch: Arch, act: Activation) -> Result<NetworkProblem> {
        match self {
            ProblemDef::Builtin { kind, data } => {
                Ok(NetworkProblem::Builtin(Problem::new(*kind, arch, act, data.clone())?))
            }
            ProblemDef::File(file) => Ok(NetworkProblem::File(FileProblem::new(file, arch, act)?)),
        }
    }

    /// The relative L2 error of a network's solution against the file's exact solution;
    /// `None` for built-in problems and files without `exact`.
    pub fn solution_error(&self, arch: &Arch, act: Activation) -> Result<Option<SolutionError>> {
        match self {
            ProblemDef::Builtin { .. } => Ok(None),
            ProblemDef::File(file) => SolutionError::new(file, arch, act),
        }
    }
}

/// A problem with its network.
#[derive(Clone, Debug)]
pub enum NetworkProblem {
    /// A built-in problem.
    Builtin(Problem),
    /// A problem file's loss.
    File(FileProblem),
}

impl NetworkProblem {
    /// The loss, as a graph source.
    pub fn source(&self) -> &dyn LossSource {
        match self {
            NetworkProblem::Builtin(p) => p,
            NetworkProblem::File(p) => p,
        }
    }

    /// The architecture.
    pub fn arch(&self) -> &Arch {
        match self {
            NetworkProblem::Builtin(p) => &p.arch,
            NetworkProblem::File(p) => &p.arch,
        }
    }

    /// The activation.
    pub fn act(&self) -> Activation {
        match self {
            NetworkProblem::Builtin(p) => p.act,
            NetworkProblem::File(p) => p.act,
        }
    }

    /// n, the length of θ: the network's parameters, then a problem file's `[parameters]`.
    pub fn param_count(&self) -> usize {
        self.source().param_count()
    }

    /// A problem file's trainable `[parameters]` with their initial values, in file order
    /// (none for a built-in problem).
    pub fn parameters(&self) -> &[(String, f64)] {
        match self {
            NetworkProblem::Builtin(_) => &[],
            NetworkProblem::File(p) => p.parameters(),
        }
    }

    /// The initial θ: the network's by Glorot-normal from `seed`, then the `[parameters]`'
    /// initial values in file order.
    pub fn initial_theta(&self, seed: u64) -> Vec<f64> {
        let mut theta = crate::study::init::glorot_normal(self.arch(), seed);
        theta.extend(self.parameters().iter().map(|(_, v)| *v));
        theta
    }

    /// What a `--params` file's length is, for its errors: "the parameter count of --arch
    /// A", plus the file's `[parameters]` when it has some.
    pub fn params_what(&self) -> String {
        params_what(self.arch(), self.parameters().len())
    }

    /// The `[parameters]`' values in `theta` by name (a JSON object); `None` when the
    /// problem has none.
    pub fn parameters_json(&self, theta: &[f64]) -> Option<serde_json::Value> {
        let params = self.parameters();
        if params.is_empty() {
            return None;
        }
        let n_net = self.arch().param_count();
        let map: serde_json::Map<String, serde_json::Value> = params
            .iter()
            .enumerate()
            .map(|(k, (name, _))| (name.clone(), theta.get(n_net + k).copied().into()))
            .collect();
        Some(serde_json::Value::Object(map))
    }
}

/// "the parameter count of --arch A (n)", plus "the file's k [parameters] (n + k)" when k > 0.
pub fn params_what(arch: &Arch, extra: usize) -> String {
    let n = arch.param_count();
    if extra == 0 {
        format!("the parameter count of --arch {arch}")
    } else {
        format!(
            "the parameter count of --arch {arch} ({n}) plus the file's {extra} [parameters] ({})",
            n + extra
        )
    }
}
