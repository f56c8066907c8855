//! `saddle-cli`: the problems, their compiled derivative programs, file formats and the
//! `saddle` command line.
#![warn(missing_docs)]

pub mod args;
pub mod commands;
pub mod render;
pub mod study;

use std::io::IsTerminal;

use args::{Cli, Command};
use clap::Parser;
pub use commands::Output;
use study::error;

/// Runs the command line and returns what to print: `compare`, `fit`, `sweep` and
/// `problem` give a table when stdout is a terminal and `--json` is not given, every
/// other case the command's JSON object (`solvers`: Markdown tables unless `--json`).
pub fn run(cli: &Cli) -> error::Result<Output> {
    run_as(cli, !cli.json && std::io::stdout().is_terminal())
}

/// [`run`], with a table (where the command has one) when `tables` is true.
pub fn run_as(cli: &Cli, tables: bool) -> error::Result<Output> {
    type Table = fn(&serde_json::Value) -> String;
    let (json, table): (_, Option<Table>) = match &cli.command {
        Command::Derivs(args) => (commands::derivs::run(args)?, None),
        Command::Fit(args) => (commands::fit::run(args)?, Some(render::fit)),
        Command::Bench(args) => (commands::bench::run(args)?, None),
        Command::Compare(args) => (commands::compare::run(args)?, Some(render::compare)),
        Command::Sweep(args) => (commands::sweep::run(args)?, Some(render::sweep)),
        Command::Problem(args) => (commands::problem::run(args)?, Some(render::problem)),
        Command::Predict(args) => (commands::predict::run(args)?, None),
        Command::Spectrum(args) => (commands::spectrum::run(args)?, None),
        Command::Solvers => return Ok(commands::solvers::run(cli.json)),
    };
    Ok(match table {
        Some(table) if tables => Output::Text(table(&json)),
        _ => Output::Json(json),
    })
}

/// Parses the arguments; help and version requests print and exit, other parse
/// errors become one `error:` line.
pub fn parse_args() -> std::result::Result<Cli, error::CliError> {
    Cli::try_parse().map_err(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => e.exit(),
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error::CliError::Invalid(
            "no command given (expected one of: derivs, fit, bench, compare, sweep, problem, predict, spectrum, solvers); see saddle --help"
                .into(),
        ),
        clap::error::ErrorKind::ValueValidation if range_error(&e).is_some() => {
            // A number out of range: "--max-iter must be a whole number of at least 0, got -1".
            use clap::error::{ContextKind, ContextValue};
            let context = |kind| match e.get(kind) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            let arg = context(ContextKind::InvalidArg);
            let flag = arg.split_whitespace().next().unwrap_or_default();
            let range = range_error(&e).expect("checked by the guard");
            error::CliError::Invalid(range.message(flag, &context(ContextKind::InvalidValue)))
        }
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

/// The range error of a number argument that clap's error carries, if it is one.
fn range_error(e: &clap::Error) -> Option<&args::RangeError> {
    std::error::Error::source(e).and_then(|s| s.downcast_ref::<args::RangeError>())
}
