//! One module per subcommand; each returns the JSON object it prints.

pub mod bench;
pub mod compare;
pub mod derivs;
pub mod fit;
pub mod problem;
pub mod sweep;

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{CliError, Result};

/// The largest parameter count for which a command computes the dense n × n Hessian
/// (`derivs --hessian-out`, `bench`): 20 000, a 3.2 GB matrix.
pub const MAX_DENSE_HESSIAN_PARAMS: usize = 20_000;

/// The length n² of a dense Hessian of `n` parameters, or an error naming `what` needs it
/// when n exceeds [`MAX_DENSE_HESSIAN_PARAMS`].
pub fn dense_hessian_len(n: usize, what: &str) -> Result<usize> {
    match n.checked_mul(n) {
        Some(len) if n <= MAX_DENSE_HESSIAN_PARAMS => Ok(len),
        _ => Err(CliError::Invalid(format!(
            "{what} needs the dense {n} × {n} Hessian, but at most {MAX_DENSE_HESSIAN_PARAMS} parameters \
             are supported for it"
        ))),
    }
}

/// A progress bar of `len` steps on stderr when it is a terminal, hidden otherwise.
pub fn progress_bar(len: u64, prefix: &str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} {msg}").expect("a valid template"),
    );
    bar.set_prefix(prefix.to_string());
    bar
}
