//! All-or-nothing writing of a command's output files.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::npy::write_npy;
use crate::study::error::{CliError, Result};

/// What one staged output file will hold.
#[derive(Debug)]
enum Content {
    /// A `.npy` array of the given shape.
    Npy { data: Vec<f64>, shape: Vec<u64> },
    /// Bytes written verbatim (JSON Lines, CSV, images, ...).
    Bytes(Vec<u8>),
}

/// A set of output files written all-or-nothing.
///
/// Stage each file with [`vector`](Self::vector), [`matrix`](Self::matrix) or
/// [`text`](Self::text), then [`commit`](Self::commit): every file is first written to a
/// temporary sibling (`.NAME.tmp-PID-I` in the same directory) and only when all were written
/// are they renamed into place. On failure every temporary is removed, so no partial output
/// file is ever left behind.
///
/// ```no_run
/// # use saddle_cli::study::io::output::OutputFiles;
/// # fn main() -> saddle_cli::study::error::Result<()> {
/// # let (grad, hessian, n) = (vec![0.0], vec![0.0], 1);
/// # let hessian_out = Some("h.npy");
/// let mut out = OutputFiles::new();
/// out.vector("g.npy", &grad);
/// if let Some(path) = &hessian_out {
///     out.matrix(path, &hessian, n, n);
/// }
/// out.commit()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct OutputFiles {
    files: Vec<(PathBuf, Content)>,
}

impl OutputFiles {
    /// An empty set of outputs.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of staged files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is staged.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Stages `data` as a 1-D little-endian `f64` `.npy` file at `path`.
    pub fn vector(&mut self, path: impl AsRef<Path>, data: &[f64]) -> &mut Self {
        let shape = vec![data.len() as u64];
        self.stage(path, Content::Npy { data: data.to_vec(), shape })
    }

    /// Stages `data` (row-major, `rows x cols`) as a 2-D C-order little-endian `f64` `.npy`
    /// file at `path`.
    ///
    /// # Panics
    /// If `data.len() != rows * cols` (a bug in the caller, not a user error).
    pub fn matrix(&mut self, path: impl AsRef<Path>, data: &[f64], rows: usize, cols: usize) -> &mut Self {
        assert_eq!(
            Some(data.len()),
            rows.checked_mul(cols),
            "matrix data length does not match its shape {rows} x {cols}"
        );
        let shape = vec![rows as u64, cols as u64];
        self.stage(path, Content::Npy { data: data.to_vec(), shape })
    }

    /// Stages `text` to be written verbatim at `path` (JSON Lines, ...).
    pub fn text(&mut self, path: impl AsRef<Path>, text: String) -> &mut Self {
        self.bytes(path, text.into_bytes())
    }

    /// Stages `bytes` to be written verbatim at `path` (CSV, PNG, SVG, ...).
    pub fn bytes(&mut self, path: impl AsRef<Path>, bytes: Vec<u8>) -> &mut Self {
        self.stage(path, Content::Bytes(bytes))
    }

    fn stage(&mut self, path: impl AsRef<Path>, content: Content) -> &mut Self {
        self.files.push((path.as_ref().to_path_buf(), content));
        self
    }

    /// Writes every staged file: all to temporaries first, then renames each into place.
    ///
    /// Before anything is written, each target must pass [`check_paths`]'s tests of an output
    /// (an existing directory, a regular file or nothing at the path; a symbolic link is
    /// followed and its target replaced) and must not be staged twice. If writing any
    /// temporary fails, every temporary is removed and the error names the target file. (A
    /// rename failing after others succeeded, which same-directory renames practically never
    /// do, leaves the earlier files in place and removes the rest of the temporaries.)
    pub fn commit(self) -> Result<()> {
        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(self.files.len());
        for (path, _) in &self.files {
            let target = check_target(path, false)?;
            if !seen.insert(target.key.clone()) {
                return Err(CliError::Invalid(format!(
                    "{}: named as more than one output file",
                    path.display()
                )));
            }
            targets.push(target.real);
        }

        let mut temps = TempFiles(Vec::with_capacity(self.files.len()));
        let pid = std::process::id();
        for (i, ((path, content), real)) in self.files.iter().zip(&targets).enumerate() {
            let temp = temp_sibling(real, pid, i);
            temps.0.push(Some(temp.clone()));
            write_file(&temp, content).map_err(|e| CliError::io(path, "write", e))?;
        }
        for (i, ((path, _), real)) in self.files.iter().zip(&targets).enumerate() {
            let temp = temps.0[i].take().expect("each temporary is renamed once");
            if let Err(e) = fs::rename(&temp, real) {
                temps.0[i] = Some(temp);
                return Err(CliError::io(path, "rename into place", e));
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` all-or-nothing: a temporary sibling, flushed to disk, then renamed
/// into place (a symbolic link at `path` is followed). A process killed at any moment leaves
/// either the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: Vec<u8>) -> Result<()> {
    let mut out = OutputFiles::new();
    out.bytes(path, bytes);
    out.commit()
}

/// Checks a command's files before it does any work: every output must be writable and
/// must not destroy an input or another output. `inputs` and `outputs` pair each path
/// with the flag that named it (for the message).
///
/// An output's directory must exist and be writable (tested by creating and removing a
/// hidden file in it); the path must be absent or a regular file: a directory, FIFO,
/// socket or device is refused, and a symbolic link is followed (its target is what gets
/// written; a link to nothing is refused). No output may be an input (the same file by
/// any name, hard links included) or coincide with another output. The first failure is
/// the error; nothing is created.
pub fn check_paths(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let mut checked: Vec<(&str, &Path, Target)> = Vec::with_capacity(outputs.len());
    for &(flag, path) in outputs {
        let target = check_target(path, true)?;
        if let Some((other, _, _)) = checked.iter().find(|(_, _, t)| t.same_as(&target)) {
            let flags = if *other == flag { flag.to_string() } else { format!("{other} and {flag}") };
            return Err(CliError::Invalid(format!(
                "{}: named as more than one output file ({flags}); give each output its own path",
                path.display()
            )));
        }
        checked.push((flag, path, target));
    }
    for &(in_flag, input) in inputs {
        let Some(input_id) = FileId::of_existing(input) else { continue };
        for (out_flag, path, target) in &checked {
            if target.id.as_ref().is_some_and(|id| id.same(&input_id)) || target.key == input_id.path {
                return Err(CliError::Invalid(format!(
                    "{}: is both an input ({in_flag}) and an output ({out_flag}), which would \
                     overwrite it; write the output elsewhere",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Whether `a` and `b` name the same existing file (by any path, hard links included).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (FileId::of_existing(a), FileId::of_existing(b)) {
        (Some(a), Some(b)) => a.same(&b),
        _ => false,
    }
}

/// Where an output is really written, and how to tell it from other files.
#[derive(Debug)]
struct Target {
    /// The path written: the output's path, or the target of the symbolic link there.
    real: PathBuf,
    /// The canonical directory joined with the file's name.
    key: PathBuf,
    /// The existing file at `real`, if any.
    id: Option<FileId>,
}

impl Target {
    fn same_as(&self, other: &Target) -> bool {
        self.key == other.key || matches!((&self.id, &other.id), (Some(a), Some(b)) if a.same(b))
    }
}

/// An existing file: its canonical path and, on Unix, its device and inode (which also
/// catch hard links).
#[derive(Debug)]
struct FileId {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl FileId {
    fn of_existing(path: &Path) -> Option<FileId> {
        let meta = fs::metadata(path).ok()?;
        let canonical = path.canonicalize().ok()?;
        Some(FileId { path: canonical, inode: inode(&meta) })
    }

    fn same(&self, other: &FileId) -> bool {
        match (self.inode, other.inode) {
            (Some(a), Some(b)) => a == b,
            _ => self.path == other.path,
        }
    }
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// What kind of file other than a regular one sits at a path, in words.
fn special_kind(file_type: &fs::FileType) -> Option<&'static str> {
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    (!file_type.is_file()).then_some("not a regular file")
}

/// Checks that `path` can be an output file (see [`check_paths`]; the directory's
/// writability is tested only when `probe`), and returns where it is really written.
fn check_target(path: &Path, probe: bool) -> Result<Target> {
    let refuse = |why: String| CliError::io(path, "write", io::Error::other(why));
    let mut real = path.to_path_buf();
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match fs::metadata(path) {
            Ok(target) => {
                if let Some(kind) = special_kind(&target.file_type()) {
                    return Err(refuse(format!(
                        "it is a symbolic link to {kind}; an output must be a regular file"
                    )));
                }
                real = path.canonicalize().map_err(|e| CliError::io(path, "write", e))?;
            }
            Err(_) => {
                return Err(refuse("it is a symbolic link to a missing file; name the file itself".into()));
            }
        },
        Ok(meta) => {
            if meta.is_dir() {
                return Err(CliError::io(path, "write", io::Error::from(io::ErrorKind::IsADirectory)));
            }
            if let Some(kind) = special_kind(&meta.file_type()) {
                return Err(refuse(format!("it is {kind}; an output must be a regular file")));
            }
        }
        // A missing file, or a missing directory (said below).
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
        Err(e) => return Err(CliError::io(path, "write", e)),
    }
    let Some(name) = real.file_name().map(OsString::from) else {
        return Err(CliError::Invalid(format!("{}: not a file name for an output file", path.display())));
    };
    let dir = match real.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        let why = if dir.exists() {
            format!("{} is not a directory", dir.display())
        } else {
            format!("directory {} does not exist", dir.display())
        };
        return Err(CliError::io(path, "write", io::Error::new(io::ErrorKind::NotFound, why)));
    }
    if probe {
        probe_directory(&dir, &name).map_err(|e| {
            refuse(format!("cannot create a file in directory {}: {}", dir.display(), describe(&e)))
        })?;
    }
    let canonical = dir.canonicalize().map_err(|e| CliError::io(path, "write", e))?;
    let id = FileId::of_existing(&real);
    Ok(Target { key: canonical.join(&name), real, id })
}

/// Creates and removes `dir/.NAME.probe-PID`: the directory takes new files.
fn probe_directory(dir: &Path, name: &OsString) -> io::Result<()> {
    let mut probe = OsString::from(".");
    probe.push(name);
    probe.push(format!(".probe-{}", std::process::id()));
    let probe = dir.join(probe);
    fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    fs::remove_file(&probe)
}

/// An OS error in a few lower-case words.
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        io::ErrorKind::StorageFull => "no space left on device".into(),
        // The directory exists (checked before): a file system that makes no new files,
        // such as /proc, says there is no such file.
        io::ErrorKind::NotFound => "the file system does not create files there".into(),
        _ => e.to_string(),
    }
}

/// `dir/.NAME.tmp-PID-I` for the target `dir/NAME`.
fn temp_sibling(path: &Path, pid: u32, index: usize) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().expect("checked by check_target"));
    name.push(format!(".tmp-{pid}-{index}"));
    path.with_file_name(name)
}

/// Writes one staged file to `path` and flushes it to disk.
fn write_file(path: &Path, content: &Content) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    match content {
        Content::Npy { data, shape } => write_npy(&mut out, data, shape)?,
        Content::Bytes(bytes) => out.write_all(bytes)?,
    }
    out.flush()?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// Temporaries not yet renamed into place; removed when dropped (on error or panic).
struct TempFiles(Vec<Option<PathBuf>>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for temp in self.0.iter().flatten() {
            let _ = fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::io::npy::{read_npy_matrix, read_npy_vector};
    use crate::study::io::test_files::{files_in, write};
    use tempfile::TempDir;

    #[test]
    fn output_files_writes_all_when_all_are_fine() {
        let dir = TempDir::new().unwrap();
        let g = dir.path().join("g.npy");
        let h = dir.path().join("h.npy");
        let run = dir.path().join("run.jsonl");
        let png = dir.path().join("f.png");
        // An existing file is replaced.
        fs::write(&g, b"old").unwrap();
        let mut out = OutputFiles::new();
        out.vector(&g, &[1.0, 2.0])
            .matrix(&h, &[1.0, 0.0, 0.0, 1.0], 2, 2)
            .text(&run, "{\"iter\":0}\n{\"iter\":1}\n".to_string())
            .bytes(&png, vec![0x89, b'P', 0, 0xff]);
        out.commit().unwrap();
        assert_eq!(read_npy_vector(&g, 2, "").unwrap(), vec![1.0, 2.0]);
        assert_eq!(read_npy_matrix(&h).unwrap(), (vec![1.0, 0.0, 0.0, 1.0], 2, 2));
        assert_eq!(fs::read_to_string(&run).unwrap(), "{\"iter\":0}\n{\"iter\":1}\n");
        assert_eq!(fs::read(&png).unwrap(), [0x89, b'P', 0, 0xff]);
        assert_eq!(files_in(dir.path()), vec!["f.png", "g.npy", "h.npy", "run.jsonl"]);
    }

    #[test]
    fn output_files_nonexistent_directory_leaves_nothing_behind() {
        let dir = TempDir::new().unwrap();
        let good = dir.path().join("g.npy");
        let bad = dir.path().join("missing").join("h.npy");
        let mut out = OutputFiles::new();
        out.vector(&good, &[1.0]).matrix(&bad, &[1.0], 1, 1);
        let err = out.commit().unwrap_err();
        assert!(matches!(err, CliError::Io { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("missing/h.npy: cannot write: directory "), "{msg}");
        assert!(msg.ends_with("missing does not exist"), "{msg}");
        assert!(files_in(dir.path()).is_empty(), "{:?}", files_in(dir.path()));
    }

    #[test]
    fn output_files_write_failure_removes_temporaries() {
        let dir = TempDir::new().unwrap();
        let good = dir.path().join("a.txt");
        let second = dir.path().join("b.txt");
        // Make writing the second temporary fail: a directory already sits at its name.
        let pid = std::process::id();
        let blocker = dir.path().join(format!(".b.txt.tmp-{pid}-1"));
        fs::create_dir(&blocker).unwrap();
        let mut out = OutputFiles::new();
        out.text(&good, "a".into()).text(&second, "b".into());
        let err = out.commit().unwrap_err();
        assert!(matches!(err, CliError::Io { action: "write", .. }), "{err:?}");
        assert!(err.to_string().contains("b.txt: cannot write: "), "{err}");
        fs::remove_dir(&blocker).unwrap();
        assert!(files_in(dir.path()).is_empty(), "{:?}", files_in(dir.path()));
    }

    #[test]
    fn output_files_rejects_directories_and_duplicates() {
        let dir = TempDir::new().unwrap();
        let mut out = OutputFiles::new();
        out.text(dir.path(), "x".into());
        let err = out.commit().unwrap_err();
        assert!(err.to_string().contains("cannot write: is a directory"), "{err}");

        let a = dir.path().join("a.npy");
        let mut out = OutputFiles::new();
        out.vector(&a, &[1.0]).vector(dir.path().join(".").join("a.npy"), &[2.0]);
        let err = out.commit().unwrap_err();
        assert!(matches!(err, CliError::Invalid(_)));
        assert!(err.to_string().ends_with("a.npy: named as more than one output file"));
        assert!(files_in(dir.path()).is_empty());

        let not_dir = write(&dir, "file", b"");
        let mut out = OutputFiles::new();
        out.vector(not_dir.join("x.npy"), &[1.0]);
        let msg = out.commit().unwrap_err().to_string();
        assert!(msg.contains("file/x.npy: cannot write: "), "{msg}");
        assert!(msg.ends_with("file is not a directory"), "{msg}");
    }
}
