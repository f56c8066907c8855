//! One module per subcommand; each returns the JSON object it prints.

pub mod bench;
pub mod compare;
pub mod derivs;
pub mod fit;
pub mod predict;
pub mod problem;
pub mod solvers;
pub mod spectrum;
pub mod sweep;

use std::path::Path;

use crate::args::ProblemArgs;
use crate::study::problem::ProblemSpec;

/// The input files of a problem: the problem file and `--data`, each with its flag.
pub(crate) fn problem_inputs(problem: &ProblemArgs) -> Vec<(&'static str, &Path)> {
    let mut inputs = problem_inputs_of(&problem.model.problem);
    if let Some(data) = &problem.data {
        inputs.push(("--data", data.as_path()));
    }
    inputs
}

/// The problem file `--problem` names, with its flag (nothing for a built-in problem).
pub(crate) fn problem_inputs_of(problem: &ProblemSpec) -> Vec<(&'static str, &Path)> {
    match problem {
        ProblemSpec::File(path) => vec![("--problem", path.as_path())],
        ProblemSpec::Builtin(_) => Vec::new(),
    }
}

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
