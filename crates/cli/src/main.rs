//! The `saddle` binary: parse, run, print one JSON object or a table (text); errors are one line.

use std::process::ExitCode;

fn main() -> ExitCode {
    match saddle_cli::parse_args().and_then(|cli| saddle_cli::run(&cli)) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
