//! The `saddle` binary: parse, run, print one JSON object or a table (text); errors are one line.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match saddle_cli::parse_args().and_then(|cli| saddle_cli::run(&cli)) {
        Ok(output) => match writeln!(std::io::stdout().lock(), "{output}") {
            // A reader that stops early (`saddle solvers | head`) closes the pipe: the rest
            // of the output is unwanted, not an error.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("error: writing the output to stdout: {e}");
                ExitCode::from(2)
            }
            _ => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
