//! `saddle-cli`: the problems, their compiled derivative programs, file formats and the
//! `saddle` command line.
#![warn(missing_docs)]

pub mod args;
pub mod commands;
pub mod derivatives;
pub mod error;
pub mod experiments;
pub mod init;
pub mod io;
pub mod linear_basis;
pub mod objective;
pub mod problem;
pub mod problem_file;

use args::{Cli, Command};
use clap::Parser;

/// What a command prints on stdout: one JSON object, or text for a person.
#[derive(Debug)]
pub enum Output {
    /// One JSON object on one line.
    Json(serde_json::Value),
    /// Text, printed as it is.
    Text(String),
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Json(value) => write!(f, "{value}"),
            Output::Text(text) => f.write_str(text.trim_end()),
        }
    }
}

/// Runs the command line on `argv` and returns what to print.
pub fn run(cli: &Cli) -> error::Result<Output> {
    let json = match &cli.command {
        Command::Derivs(args) => commands::derivs::run(args),
        Command::Fit(args) => commands::fit::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Sweep(args) => commands::sweep::run(args),
        Command::Problem(args) => commands::problem::run(args),
        Command::Spectrum(args) => commands::spectrum::run(args),
        Command::Solvers(args) => return Ok(commands::solvers::run(args)),
    };
    json.map(Output::Json)
}

/// Parses the arguments; help and version requests print and exit, other parse
/// errors become one `error:` line.
pub fn parse_args() -> std::result::Result<Cli, error::CliError> {
    Cli::try_parse().map_err(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => e.exit(),
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error::CliError::Invalid(
            "no command given (expected one of: derivs, fit, bench, compare, sweep, problem, spectrum, solvers); see saddle --help"
                .into(),
        ),
        _ => {
            // clap's message spans lines (the fault, then usage and tips): keep the fault.
            let text = e.to_string();
            let fault: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty() && !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.starts_with("tip:"))
                .collect();
            error::CliError::Invalid(fault.join(" ").trim_start_matches("error: ").to_string())
        }
    })
}
