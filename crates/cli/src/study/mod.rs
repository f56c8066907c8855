//! The study layer: problems, problem files, compiled derivative programs, the
//! experiments and the file formats. It knows nothing of the command line (no clap
//! types); `commands` and `cargo xtask figures` build on it.

pub mod checkpoint;
pub mod compiled;
pub mod error;
pub mod experiments;
pub mod init;
pub mod io;
pub mod linear_basis;
pub mod loss;
pub mod memory;
pub mod objective;
pub mod problem;
pub mod problem_file;
pub mod progress;
