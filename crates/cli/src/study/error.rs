//! The command line's user-facing error type: one `error: ...` line on stderr, exit code 2.

use std::io;
use std::path::{Path, PathBuf};

/// An error of the command line: one `error: ...` line on stderr; exit code 2 for the
/// user's input, 1 for a bug in saddle ([`CliError::Internal`]).
///
/// Every message is a single line that names the file (or argument) at fault and says what was
/// expected, e.g. `data.csv: line 4, column 2: "abc" is not a number` or
/// `params.npy: expected 31 values (the parameter count of --arch 1,10,1), found 30`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be opened, read, created, written or renamed.
    #[error("{}: cannot {action}: {}", .path.display(), describe_io(.source))]
    Io {
        /// The file the user named (for outputs: the final path, not the temporary).
        path: PathBuf,
        /// What was being attempted: `open`, `read`, `write`, ...
        action: &'static str,
        /// The underlying operating-system error.
        source: io::Error,
    },

    /// A problem with the contents of a CSV data file, at a line and column when known.
    #[error("{}: {}{message}", .path.display(), csv_location(*.line, *.column))]
    Csv {
        /// The data file.
        path: PathBuf,
        /// The 1-based line number in the file, if the problem is on one line.
        line: Option<u64>,
        /// The 1-based column (field) number, if the problem is in one cell.
        column: Option<usize>,
        /// What is wrong, e.g. `"abc" is not a number`.
        message: String,
    },

    /// A `.npy` file whose dtype, rank, shape, order or length is not the one required.
    #[error("{}: expected {expected}, found {found}", .path.display())]
    Npy {
        /// The `.npy` file.
        path: PathBuf,
        /// What was required, e.g. `dtype float64 (<f8)`.
        expected: String,
        /// What the file holds, e.g. `int64 (<i8)`.
        found: String,
    },

    /// A file that is not a readable `.npy` file at all (bad magic, unparsable header, ...).
    #[error("{}: not a valid .npy file: {message}", .path.display())]
    NpyFormat {
        /// The file.
        path: PathBuf,
        /// What the parser objected to.
        message: String,
    },

    /// A fault in a problem file: the field (e.g. `terms[1].residual`, or `line 3` for TOML
    /// syntax) and, in an expression, the 1-based column.
    #[error("{}: {field}: {}{message}", .path.display(), .column.map(|c| format!("column {c}: ")).unwrap_or_default())]
    Problem {
        /// The problem file.
        path: PathBuf,
        /// The field at fault.
        field: String,
        /// The column in the field's expression (or the TOML line), when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// An invalid argument or combination of arguments; the string is the complete message
    /// (e.g. bad `--arch`, unknown activation, mismatched shapes).
    #[error("{0}")]
    Invalid(String),

    /// A failure inside saddle itself (a bug), not in the user's input: exit code 1.
    #[error("internal error (a bug in saddle, please report it): {0}")]
    Internal(String),
}

/// The crate's result type; the error defaults to [`CliError`].
pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    /// The process exit code: 2 for the user's input, 1 for a bug in saddle.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Internal(_) => 1,
            _ => 2,
        }
    }

    /// An I/O failure while doing `action` (e.g. `"open"`, `"write"`) on the file `path`.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: io::Error) -> Self {
        CliError::Io { path: path.into(), action, source }
    }

    /// A `.npy` mismatch: the file `path` should hold `expected` but holds `found`.
    pub fn npy(path: &Path, expected: impl Into<String>, found: impl Into<String>) -> Self {
        CliError::Npy { path: path.to_path_buf(), expected: expected.into(), found: found.into() }
    }
}

/// `line 4, column 2: `, `line 4: ` or nothing.
impl From<saddle_graph::GraphError> for CliError {
    /// Graphs are built from validated input, so a graph error is a bug.
    fn from(e: saddle_graph::GraphError) -> Self {
        CliError::Internal(e.to_string())
    }
}

fn csv_location(line: Option<u64>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        (None, Some(c)) => format!("column {c}: "),
        (None, None) => String::new(),
    }
}

/// A short, lower-case, single-line description of an I/O error.
fn describe_io(e: &io::Error) -> String {
    // An error built with a message of our own (`io::Error::new(kind, msg)`) says it best.
    let text = match e.kind() {
        _ if e.get_ref().is_some() => e.to_string(),
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        io::ErrorKind::NotADirectory => "a component of the path is not a directory".to_string(),
        io::ErrorKind::StorageFull => "no space left on device".to_string(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".to_string(),
        _ => e.to_string(),
    };
    // Keep the promise of a one-line message whatever the OS says.
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_the_file() {
        let e = CliError::io("data.csv", "open", io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "data.csv: cannot open: no such file or directory");

        let e = CliError::Csv {
            path: "data.csv".into(),
            line: Some(4),
            column: Some(2),
            message: "\"abc\" is not a number".into(),
        };
        assert_eq!(e.to_string(), "data.csv: line 4, column 2: \"abc\" is not a number");

        let e = CliError::Csv {
            path: "data.csv".into(),
            line: Some(7),
            column: None,
            message: "expected 3 fields, found 2".into(),
        };
        assert_eq!(e.to_string(), "data.csv: line 7: expected 3 fields, found 2");

        let e = CliError::Csv {
            path: "data.csv".into(),
            line: None,
            column: None,
            message: "no data rows".into(),
        };
        assert_eq!(e.to_string(), "data.csv: no data rows");

        let e =
            CliError::npy(Path::new("params.npy"), "31 values (the parameter count of --arch 1,10,1)", "30");
        assert_eq!(
            e.to_string(),
            "params.npy: expected 31 values (the parameter count of --arch 1,10,1), found 30"
        );

        let e = CliError::NpyFormat { path: "x.npy".into(), message: "magic not found".into() };
        assert_eq!(e.to_string(), "x.npy: not a valid .npy file: magic not found");

        let e = CliError::Invalid("--arch 1,,2: empty layer width".into());
        assert_eq!(e.to_string(), "--arch 1,,2: empty layer width");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn io_source_is_kept_and_other_kinds_fall_back_to_os_text() {
        let e = CliError::io("out.npy", "write", io::Error::other("disk on fire\nreally"));
        assert_eq!(e.to_string(), "out.npy: cannot write: disk on fire really");
        let source = std::error::Error::source(&e).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("disk on fire\nreally"), "the OS error is kept whole");
        assert_eq!(e.exit_code(), 2);
    }
}
