//! The command line's arguments (clap), shared by the subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use saddle_graph::{Activation, Arch};

use crate::error::Result;
use crate::io::read_data_csv;
use crate::problem::{Problem, ProblemKind};

/// saddle: exact derivatives and Newton-type solvers for neural-network objectives.
#[derive(Debug, Parser)]
#[command(name = "saddle", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exact loss, gradient, Hessian and Hessian-vector product at given parameters.
    Derivs(DerivsArgs),
}

/// The problem every command works on.
#[derive(Debug, Clone, Args)]
pub struct ProblemArgs {
    /// The objective: regression (½Σ(u−y)²) or pinn (−u'' = f on (0,1), u(0) = u(1) = 0).
    #[arg(long, value_enum)]
    pub problem: ProblemKind,
    /// Layer widths from input to output, e.g. 1,20,20,1 (the output width must be 1).
    #[arg(long, value_name = "WIDTHS")]
    pub arch: Arch,
    /// Hidden-layer activation: tanh, sin, sigmoid or softplus.
    #[arg(long)]
    pub act: Activation,
    /// CSV data with a header row; the last column is the target (y, or f for pinn).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
}

impl ProblemArgs {
    /// Reads the data and checks it against the architecture.
    pub fn load(&self) -> Result<Problem> {
        let data = read_data_csv(&self.data)?;
        Problem::new(self.problem, self.arch.clone(), self.act, data)
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
