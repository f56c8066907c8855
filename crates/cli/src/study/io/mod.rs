//! File formats of the contract: CSV data in ([`csv`]), `.npy` vectors and matrices in
//! and out ([`npy`]), all-or-nothing writing of a command's output files and the checks of
//! its paths ([`output`]), and JSON Lines streams written as they go ([`jsonl`]).

pub mod csv;
pub mod jsonl;
pub mod npy;
pub mod output;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::study::error::{CliError, Result};

/// Reads a whole input file, naming it in any error.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(|e| CliError::io(path, "open", e))?
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io(path, "read", e))?;
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod test_files {
    //! Files for the format tests.
    use std::fs;
    use std::path::{Path, PathBuf};

    use tempfile::TempDir;

    /// Writes `contents` to `dir/name`.
    pub fn write(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    /// The names of the files in `dir`, sorted.
    pub fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}
