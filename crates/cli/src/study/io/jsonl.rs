//! JSON Lines streams: each line written whole and flushed to the operating system as it is
//! made, so a killed process leaves every finished line intact; reading a stream back keeps
//! its complete lines and drops a trailing partial one.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::study::error::{CliError, Result};

/// A JSON Lines file being written line by line.
#[derive(Debug)]
pub struct LineStream {
    path: PathBuf,
    file: File,
}

impl LineStream {
    /// Creates the file (replacing one that exists) and returns its stream.
    pub fn create(path: &Path) -> Result<LineStream> {
        let file = File::create(path).map_err(|e| CliError::io(path, "create", e))?;
        Ok(LineStream { path: path.to_path_buf(), file })
    }

    /// Opens the file, cuts it to its first `keep` bytes (its complete lines, see
    /// [`read_complete_lines`]) and returns a stream that appends after them.
    pub fn continue_after(path: &Path, keep: u64) -> Result<LineStream> {
        let file = OpenOptions::new().write(true).open(path).map_err(|e| CliError::io(path, "open", e))?;
        file.set_len(keep).map_err(|e| CliError::io(path, "truncate", e))?;
        let mut stream = LineStream { path: path.to_path_buf(), file };
        io::Seek::seek(&mut stream.file, io::SeekFrom::Start(keep))
            .map_err(|e| CliError::io(path, "seek", e))?;
        Ok(stream)
    }

    /// Writes `line` (one JSON object, no newline) and a newline with one `write` call of
    /// the whole line, so that the file never holds part of it unless the write itself is
    /// cut short (a full disk; a kill in the middle of a write of more than a page).
    pub fn line(&mut self, line: &str) -> Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.file.write_all(&bytes).map_err(|e| CliError::io(&self.path, "write", e))
    }

    /// Flushes the file's data to disk (at the end of a run; each line is already with the
    /// operating system when [`line`](Self::line) returns).
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(|e| CliError::io(&self.path, "write", e))
    }
}

/// The complete lines of a stream (those ending in a newline, without it), and the byte
/// length they take; a trailing line without its newline (cut short by a kill) is left out.
/// A file that does not exist reads as no lines.
pub fn read_complete_lines(path: &Path) -> Result<(Vec<String>, u64)> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(CliError::io(path, "read", e)),
    };
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..end])
        .map_err(|_| CliError::Invalid(format!("{}: not a JSON Lines file (not UTF-8)", path.display())))?;
    Ok((text.lines().map(str::to_string).collect(), end as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    #[test]
    fn streams_write_whole_lines_and_reading_drops_a_partial_one() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("s.jsonl");
        assert_eq!(read_complete_lines(&path).unwrap(), (vec![], 0));
        let mut s = LineStream::create(&path).unwrap();
        s.line("{\"a\":1}").unwrap();
        // Visible to a reader at once, before the stream is dropped.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        s.line("{\"a\":2}").unwrap();
        drop(s);
        std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n{\"a\":").unwrap();
        let (lines, keep) = read_complete_lines(&path).unwrap();
        assert_eq!(lines, ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(keep, 16);
        let mut s = LineStream::continue_after(&path, 8).unwrap();
        s.line("{\"b\":3}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n{\"b\":3}\n");
    }
}
