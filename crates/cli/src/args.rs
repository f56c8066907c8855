//! The command line's arguments (clap), shared by the subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use saddle_graph::{Activation, Arch};
use saddle_solvers::{ChainSpec, LineSearchKind};

use crate::study::error::Result;
use crate::study::experiments::curvature::Operator;
use crate::study::experiments::sweep::Shard;
use crate::study::problem::{NetworkProblem, ProblemDef, ProblemSpec};

/// saddle: exact derivatives and Newton-type solvers for neural-network objectives.
#[derive(Debug, Parser)]
#[command(
    name = "saddle",
    version,
    about,
    long_about = None,
    after_help = "Every command takes the problem as --problem regression|pinn|FILE.toml --arch WIDTHS \
                  --act ACT, and --data FILE with the built-in problems (except for bench). \
                  See `saddle <command> --help`."
)]
pub struct Cli {
    /// Print the one-line JSON even on a terminal, where compare, fit, sweep and problem
    /// print a table (stdout not a terminal: always JSON); solvers: JSON, not Markdown.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exact loss, gradient, Hessian and Hessian-vector product at given parameters.
    Derivs(DerivsArgs),
    /// Fit the network with one solver and classify the point it ends at.
    Fit(FitArgs),
    /// Time loss, gradient, HVP (at a new θ, and at a fixed θ as in an iterative solver)
    /// and full Hessian on generated data (medians).
    Bench(BenchArgs),
    /// Fit with several solvers from the same start and say where each ended.
    Compare(CompareArgs),
    /// Fit every architecture × solver × seed (in parallel) and write one JSON line per run.
    Sweep(SweepArgs),
    /// Check a problem file: its inputs, each term's points and scale (its loss at θ = 0)
    /// and, given `exact`, each term's residual at the exact solution.
    Problem(ProblemFileArgs),
    /// Write a problem file's solution u and its derivatives at points, as CSV.
    Predict(PredictArgs),
    /// List the solvers, each option with its default, valid values and meaning (Markdown
    /// tables; JSON with --json).
    Solvers,
    /// Extreme eigenvalues, trace, negative count and spectral density of the Hessian (or
    /// its Gauss-Newton or residual part) at given parameters.
    Spectrum(SpectrumArgs),
}

/// The objective and the network, shared by every command.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The objective: regression (½Σ(u−y)²), pinn (−u'' = f on (0,1), u(0) = u(1) = 0), or a
    /// problem file FILE.toml (which names its own points).
    #[arg(long, value_name = "PROBLEM")]
    pub problem: ProblemSpec,
    /// Layer widths from input to output, e.g. 1,20,20,1 (the output width is 1, or a problem
    /// file's output count).
    #[arg(long, value_name = "WIDTHS")]
    pub arch: Arch,
    /// Hidden-layer activation: one of `Activation::ALL` (the help lists them).
    #[arg(long, help = act_help())]
    pub act: Activation,
}

/// `--act`'s help, listing the activations: "Hidden-layer activation: tanh, sin, sigmoid
/// or softplus".
fn act_help() -> String {
    let names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("Hidden-layer activation: {} or {last}", rest.join(", "))
        }
        _ => format!("Hidden-layer activation: {}", names.join("")),
    }
}

/// The problem `derivs` and `fit` work on: the model and its data file.
#[derive(Debug, Clone, Args)]
pub struct ProblemArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// CSV data with a header row; the last column is the target (y, or f for pinn). Built-in
    /// problems only.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

impl ProblemArgs {
    /// Reads the data or the problem file, and builds the problem with the network.
    pub fn load(&self) -> Result<(ProblemDef, NetworkProblem)> {
        let def = ProblemDef::new(&self.model.problem, self.data.as_deref())?;
        let problem = def.with_network(self.model.arch.clone(), self.model.act)?;
        Ok((def, problem))
    }
}

/// Arguments of `saddle derivs`.
#[derive(Debug, Clone, Args)]
pub struct DerivsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub problem: ProblemArgs,
    /// Parameters θ (.npy, f64, length n).
    #[arg(long, value_name = "P.npy")]
    pub params: PathBuf,
    /// Write the gradient (.npy, length n).
    #[arg(long, value_name = "G.npy")]
    pub grad_out: Option<PathBuf>,
    /// Write the Hessian (.npy, n × n).
    #[arg(long, value_name = "H.npy")]
    pub hessian_out: Option<PathBuf>,
    /// Direction v for a Hessian-vector product (.npy, length n); needs --hvp-out.
    #[arg(long, value_name = "V.npy", requires = "hvp_out")]
    pub hvp: Option<PathBuf>,
    /// Write H·v (.npy, length n); needs --hvp.
    #[arg(long, value_name = "HV.npy", requires = "hvp")]
    pub hvp_out: Option<PathBuf>,
}

/// Arguments of `saddle fit`.
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub problem: ProblemArgs,
    /// Solver: NAME or NAME(key=value,...), e.g. lbfgs(memory=100); or a chain
    /// S1:K1,S2:K2,... (each at most K iterations, in turn; the counts are the budget, in
    /// place of --max-iter). `saddle solvers` lists every solver and option.
    #[arg(long, value_name = "SPEC")]
    pub solver: ChainSpec,
    /// Initial parameters θ (.npy, length n); otherwise Glorot-normal from --seed.
    #[arg(long, value_name = "P.npy", conflicts_with = "seed")]
    pub params: Option<PathBuf>,
    /// Seed of the Glorot-normal initialization (weights N(0, 2/(fan_in+fan_out)), zero biases).
    #[arg(long, value_parser = seed, allow_hyphen_values = true, value_name = "K", default_value_t = 0)]
    pub seed: u64,
    /// Iteration limit.
    #[arg(long, value_parser = count_or_zero, allow_hyphen_values = true, value_name = "M", default_value_t = 100)]
    pub max_iter: usize,
    /// Converged when the gradient's 2-norm is at most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-8)]
    pub gtol: f64,
    /// The end point counts as stationary (for `category`) when its gradient's 2-norm is at
    /// most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-6)]
    pub stationary_tol: f64,
    /// Shorthand for the option lr of every stage that has it (gd, adam) and does not set
    /// it itself.
    #[arg(long, value_parser = positive, allow_hyphen_values = true, value_name = "LR")]
    pub learning_rate: Option<f64>,
    /// Shorthand for the option line_search (strong-wolfe or hager-zhang) of every stage
    /// that has it (bfgs, lbfgs) and does not set it itself.
    #[arg(long, value_name = "SEARCH")]
    pub line_search: Option<LineSearchKind>,
    /// Also record the exact Hessian's inertia and extreme eigenvalues every K iterations.
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "K")]
    pub curvature_every: Option<usize>,
    /// A problem file's records carry each term's loss (½·weight·Σr², one evaluation of the
    /// residuals) every K iterations, iteration 0 included [default: 10].
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "K")]
    pub terms_every: Option<usize>,
    /// Time budget: stop with status time_limit once this many seconds have passed (the
    /// one stopping rule whose result depends on the machine).
    #[arg(long, value_parser = positive, allow_hyphen_values = true, value_name = "S")]
    pub max_seconds: Option<f64>,
    /// Write one JSON object per iteration (JSON Lines), each line as it is made; with
    /// --resume, an existing file is continued after the checkpoint's iteration.
    #[arg(long, value_name = "RUN.jsonl")]
    pub out: Option<PathBuf>,
    /// Write the final parameters (.npy).
    #[arg(long, value_name = "P.npy")]
    pub params_out: Option<PathBuf>,
    /// Save a checkpoint (θ, iteration, a chain's position; JSON) every --checkpoint-every
    /// iterations and at the end, replacing the file atomically.
    #[arg(long, value_name = "CK.json")]
    pub checkpoint: Option<PathBuf>,
    /// Iterations between checkpoints [default: 100].
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "K", requires = "checkpoint")]
    pub checkpoint_every: Option<usize>,
    /// Continue the run saved in CK.json (same --problem, --data, --arch, --act, --solver;
    /// --max-iter counts the total); a missing file starts the run afresh. Exact for
    /// newton, newton-pinv, gauss-newton, engd, gd; other solvers restart their state.
    #[arg(long, value_name = "CK.json")]
    pub resume: Option<PathBuf>,
}

/// A comma-separated list of solver specs (commas inside parentheses belong to options).
#[derive(Debug, Clone)]
pub struct SolverList(pub Vec<ChainSpec>);

impl std::str::FromStr for SolverList {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        ChainSpec::parse_list(s).map(SolverList)
    }
}

/// Arguments of `saddle compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub problem: ProblemArgs,
    /// Solvers to run from the same start, comma-separated specs (NAME or
    /// NAME(key=value,...)).
    #[arg(long, value_name = "SPECS", default_value = "newton,bfgs,lm,saddle-free-newton")]
    pub solvers: SolverList,
    /// A solver or chain to run instead of --solvers, e.g. adam(lr=1e-4):1000,lbfgs:5000
    /// (each stage at most K iterations, in turn; the counts are its budget); repeat for
    /// several.
    #[arg(long = "solver", value_name = "SPEC", conflicts_with = "solvers")]
    pub chains: Vec<ChainSpec>,
    /// Seed of the shared Glorot-normal initialization.
    #[arg(long, value_parser = seed, allow_hyphen_values = true, value_name = "K", default_value_t = 1)]
    pub seed: u64,
    /// Iteration limit of every solver.
    #[arg(long, value_parser = count_or_zero, allow_hyphen_values = true, value_name = "M", default_value_t = 500)]
    pub max_iter: usize,
    /// Each solver stops when the gradient's 2-norm is at most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-10)]
    pub gtol: f64,
    /// An end point counts as stationary when its gradient's 2-norm is at most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-6)]
    pub stationary_tol: f64,
}

/// Arguments of `saddle sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// The objective: regression, pinn or a problem file FILE.toml.
    #[arg(long, value_name = "PROBLEM", required_unless_present = "merge")]
    pub problem: Option<ProblemSpec>,
    /// An architecture of the sweep; repeat for several (e.g. --arch 1,5,1 --arch 1,10,1).
    #[arg(long, value_name = "WIDTHS", required_unless_present = "merge")]
    pub arch: Vec<Arch>,
    /// Hidden-layer activation: one of `Activation::ALL` (the help lists them).
    #[arg(long, help = act_help(), required_unless_present = "merge")]
    pub act: Option<Activation>,
    /// CSV data with a header row; the last column is the target (y, or f for pinn). Built-in
    /// problems only.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Solvers, comma-separated specs (NAME or NAME(key=value,...); default: every solver).
    #[arg(long, value_name = "SPECS")]
    pub solvers: Option<SolverList>,
    /// A solver or a solver chain to run instead of --solvers, e.g.
    /// adam(lr=1e-4):1000,lbfgs(memory=100):5000 (each stage at most K iterations, in turn;
    /// the counts are its budget); repeat for several.
    #[arg(long = "solver", value_name = "SPEC", conflicts_with = "solvers")]
    pub chains: Vec<ChainSpec>,
    /// Number of seeds per architecture and solver.
    #[arg(long, value_parser = seed_count, allow_hyphen_values = true, value_name = "S", default_value_t = 10)]
    pub seeds: u64,
    /// The first seed (the sweep uses FIRST .. FIRST + S).
    #[arg(long, value_parser = seed, allow_hyphen_values = true, value_name = "FIRST", default_value_t = 0)]
    pub first_seed: u64,
    /// Iteration limit of every run.
    #[arg(long, value_parser = count_or_zero, allow_hyphen_values = true, value_name = "M", default_value_t = 200)]
    pub max_iter: usize,
    /// Each run stops when the gradient's 2-norm is at most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-10)]
    pub gtol: f64,
    /// A run counts as stationary when its final gradient's 2-norm is at most this.
    #[arg(long, value_parser = non_negative, allow_hyphen_values = true, value_name = "T", default_value_t = 1e-6)]
    pub stationary_tol: f64,
    /// Run only part I of N of the plan (runs numbered ≡ I−1 mod N), e.g. 3/8.
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: Shard,
    /// Write one JSON object per run (JSON Lines), each as its run ends, then sorted by run;
    /// the arguments go to RUNS.jsonl.args.json.
    #[arg(long, value_name = "RUNS.jsonl")]
    pub out: PathBuf,
    /// Continue the sweep in --out (made with the same arguments): keep its complete runs,
    /// drop a cut-off last line, run the missing runs; a missing file starts afresh.
    #[arg(long)]
    pub resume: bool,
    /// Merge the outputs of shards of one sweep into --out, sorted by run; runs nothing.
    #[arg(
        long,
        value_name = "PART.jsonl",
        num_args = 1..,
        conflicts_with_all = [
            "problem", "arch", "act", "data", "solvers", "chains", "seeds", "first_seed",
            "max_iter", "gtol", "stationary_tol", "shard", "resume",
        ]
    )]
    pub merge: Vec<PathBuf>,
}

/// Arguments of `saddle bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// Number of generated data points (x evenly spaced in [−1, 1], target sin(3·x₁); default
    /// 256). Built-in problems only: a problem file is timed at its own points.
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "N")]
    pub points: Option<usize>,
    /// Seconds to spend timing each operation (at least 5 runs each, after a warm-up run).
    #[arg(long, value_parser = positive, allow_hyphen_values = true, value_name = "S", default_value_t = 1.0)]
    pub budget: f64,
}

/// Arguments of `saddle problem`.
#[derive(Debug, Clone, Args)]
pub struct ProblemFileArgs {
    /// The problem file.
    #[arg(value_name = "FILE.toml")]
    pub file: PathBuf,
}

/// Arguments of `saddle predict`.
#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelArgs,
    /// Parameters θ (.npy, f64, length n).
    #[arg(long, value_name = "P.npy")]
    pub params: PathBuf,
    /// The points: CSV with a header row in which every input is a column (by name; other
    /// columns are ignored). Default: the file's test points.
    #[arg(long, value_name = "CSV", conflicts_with = "test")]
    pub points: Option<PathBuf>,
    /// At the file's test points ([test], else every term's points): the default.
    #[arg(long)]
    pub test: bool,
    /// Derivatives of u to add as columns, named as in residuals: u_x,u_xx,d(u, x, y),...
    #[arg(long, value_name = "LIST")]
    pub derivatives: Option<String>,
    /// The CSV to write: the inputs, u, then each derivative.
    #[arg(long, value_name = "PRED.csv")]
    pub out: PathBuf,
}

/// The symmetric operator `saddle spectrum` looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SpectrumOperator {
    /// The Hessian H of the loss (Hessian-vector products).
    Hessian,
    /// The Gauss-Newton part G = JᵀJ, J the residuals' Jacobian (J·v, then Jᵀ·(Jv)).
    GaussNewton,
    /// The residual part H − G = Σᵢ rᵢ∇²rᵢ.
    Residual,
}

impl From<SpectrumOperator> for Operator {
    fn from(op: SpectrumOperator) -> Operator {
        match op {
            SpectrumOperator::Hessian => Operator::Hessian,
            SpectrumOperator::GaussNewton => Operator::GaussNewton,
            SpectrumOperator::Residual => Operator::Residual,
        }
    }
}

/// How `saddle spectrum` computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SpectrumMethod {
    /// dense up to 2000 parameters, lanczos above.
    Auto,
    /// The dense matrix and its full eigendecomposition: every number exact.
    Dense,
    /// Matrix-free: Lanczos, Hutch++ and stochastic Lanczos quadrature on products.
    Lanczos,
}

/// How `saddle spectrum --method lanczos` counts the negative eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NegativeCount {
    /// Exact (LBLᵀ inertia of the dense matrix) where the matrix fits in 1 GiB, else
    /// estimated from the density.
    Auto,
    /// Exact, or an error when the dense matrix would not fit.
    Exact,
    /// From the density only (null without --density): no dense matrix.
    Estimate,
}

/// Arguments of `saddle spectrum`.
#[derive(Debug, Clone, Args)]
pub struct SpectrumArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub problem: ProblemArgs,
    /// Parameters θ (.npy, f64, length n).
    #[arg(long, value_name = "P.npy")]
    pub params: PathBuf,
    /// The operator: hessian, gauss-newton (JᵀJ) or residual (H − JᵀJ).
    #[arg(long, value_enum, default_value = "hessian")]
    pub operator: SpectrumOperator,
    /// The K largest eigenvalues.
    #[arg(long, value_parser = count_or_zero, allow_hyphen_values = true, value_name = "K", default_value_t = 1)]
    pub top: usize,
    /// The K smallest eigenvalues.
    #[arg(long, value_parser = count_or_zero, allow_hyphen_values = true, value_name = "K", default_value_t = 1)]
    pub bottom: usize,
    /// Also estimate the trace (Hutch++; exact with the dense method).
    #[arg(long)]
    pub trace: bool,
    /// Write the smoothed spectral density as CSV `lambda,density`.
    #[arg(long, value_name = "FILE.csv")]
    pub density: Option<PathBuf>,
    /// Random probes of Hutch++ and of the density (matrix-free; default 10).
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "M")]
    pub probes: Option<usize>,
    /// Lanczos steps per probe of the density (matrix-free; default 80).
    #[arg(long, value_parser = count, allow_hyphen_values = true, value_name = "S")]
    pub steps: Option<usize>,
    /// Seed of every random vector (ChaCha8).
    #[arg(long, value_parser = seed, allow_hyphen_values = true, value_name = "K", default_value_t = 0)]
    pub seed: u64,
    /// auto, dense or lanczos.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: SpectrumMethod,
    /// The negative count with lanczos: auto (exact where the dense matrix fits), exact,
    /// or estimate (from --density; skips the dense matrix and its factorization).
    #[arg(long, value_enum, default_value = "auto")]
    pub negative: NegativeCount,
}

/// Why a number on the command line is out of range: the message is completed with the
/// flag and the value given ([`RangeError::message`]), e.g. `--max-iter must be a whole
/// number of at least 0, got -1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// The value is not what the flag takes (a whole number of at least K, a positive
    /// number, ...): what it takes.
    Expected(String),
    /// A whole number larger than the type holds: what the number is and the largest.
    TooLarge {
        /// `count` or `seed`.
        what: &'static str,
        /// The largest value.
        max: u64,
    },
}

impl RangeError {
    /// The one-line message for the flag `arg` given `value`.
    pub fn message(&self, arg: &str, value: &str) -> String {
        match self {
            RangeError::Expected(expected) => format!("{arg} must be {expected}, got {value}"),
            RangeError::TooLarge { what, max } => {
                format!("{arg} {value} is more than the largest {what}, {max}")
            }
        }
    }
}

impl std::fmt::Display for RangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RangeError::Expected(expected) => write!(f, "expected {expected}"),
            RangeError::TooLarge { what, max } => write!(f, "more than the largest {what}, {max}"),
        }
    }
}

impl std::error::Error for RangeError {}

/// A whole number from `min` to `max`; `what` names it in the overflow message.
fn whole(text: &str, min: u64, max: u64, what: &'static str) -> std::result::Result<u64, RangeError> {
    let expected = || {
        RangeError::Expected(match what {
            "seed" => format!("a whole number from {min} to {max}"),
            _ => format!("a whole number of at least {min}"),
        })
    };
    let digits = text.trim().strip_prefix('+').unwrap_or(text.trim());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        // Negative or not a whole number.
        return Err(expected());
    }
    match digits.parse::<u64>() {
        Ok(v) if v < min => Err(expected()),
        Ok(v) if v <= max => Ok(v),
        _ => Err(RangeError::TooLarge { what, max }),
    }
}

/// A count of at least 1 (`--curvature-every`, `--probes`, ...).
fn count(text: &str) -> std::result::Result<usize, RangeError> {
    whole(text, 1, usize::MAX as u64, "count").map(|v| v as usize)
}

/// A count of at least 0 (`--max-iter`, `--top`, `--bottom`).
fn count_or_zero(text: &str) -> std::result::Result<usize, RangeError> {
    whole(text, 0, usize::MAX as u64, "count").map(|v| v as usize)
}

/// A seed: 0 ..= 2⁶⁴ − 1.
fn seed(text: &str) -> std::result::Result<u64, RangeError> {
    whole(text, 0, u64::MAX, "seed")
}

/// A number of seeds (`--seeds`), at least 1.
fn seed_count(text: &str) -> std::result::Result<u64, RangeError> {
    whole(text, 1, u64::MAX, "count")
}

/// A finite number ≥ 0 (`--gtol`, `--stationary-tol`).
fn non_negative(text: &str) -> std::result::Result<f64, RangeError> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(RangeError::Expected("a non-negative number".into())),
    }
}

/// A finite number > 0 (`--learning-rate`, `--max-seconds`, `--budget`).
fn positive(text: &str) -> std::result::Result<f64, RangeError> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(RangeError::Expected("a positive number".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_name_their_range_and_overflow() {
        assert_eq!(count("3"), Ok(3));
        assert_eq!(count_or_zero("0"), Ok(0));
        assert_eq!(count("0"), Err(RangeError::Expected("a whole number of at least 1".into())));
        assert_eq!(count_or_zero("-1"), Err(RangeError::Expected("a whole number of at least 0".into())));
        assert_eq!(count("1.5"), Err(RangeError::Expected("a whole number of at least 1".into())));
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        let e = seed("18446744073709551616").unwrap_err();
        assert_eq!(
            e.message("--seed", "18446744073709551616"),
            "--seed 18446744073709551616 is more than the largest seed, 18446744073709551615"
        );
        assert_eq!(
            count_or_zero("-1").unwrap_err().message("--max-iter", "-1"),
            "--max-iter must be a whole number of at least 0, got -1"
        );
        assert!(matches!(count("99999999999999999999999999"), Err(RangeError::TooLarge { .. })));
        assert_eq!(non_negative("0"), Ok(0.0));
        assert!(
            non_negative("-1e-3").is_err() && non_negative("inf").is_err() && non_negative("nan").is_err()
        );
        assert!(positive("0").is_err() && positive("1e-3").is_ok());
    }
}
