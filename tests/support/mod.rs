//! Shared helpers of the end-to-end tests: the freshly built `saddle` binary, running it,
//! `.npy` files in and out, and the checks every user error must pass.
//!
//! Each test file is its own crate and uses a different subset of these helpers.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use npyz::{DType, Order, WriterBuilder};

/// The `saddle` binary of the package `saddle-cli`, built once per test process (by cargo, so
/// it is never stale) in the profile this test was built with.
pub fn saddle() -> Command {
    static BIN: OnceLock<escargot::CargoRun> = OnceLock::new();
    BIN.get_or_init(|| {
        escargot::CargoBuild::new()
            .manifest_path(workspace_root().join("Cargo.toml"))
            .package("saddle-cli")
            .bin("saddle")
            .current_release()
            .run()
            .unwrap_or_else(|e| panic!("building the saddle binary failed: {e}"))
    })
    .command()
}

/// The workspace root (the parent of this package's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (None if killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

/// Runs `saddle` with `args` and collects its exit code and output.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = saddle().args(args).output().expect("the saddle binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    /// Asserts success with nothing on stderr and exactly one line of JSON on stdout, and
    /// returns the parsed object.
    pub fn success_json(&self) -> serde_json::Map<String, serde_json::Value> {
        assert_eq!(self.code, Some(0), "expected success; stderr: {}", self.stderr);
        assert!(self.stderr.is_empty(), "expected nothing on stderr, got {:?}", self.stderr);
        assert!(self.stdout.ends_with('\n'), "stdout should end with a newline: {:?}", self.stdout);
        assert_eq!(self.stdout.lines().count(), 1, "stdout should be one line: {:?}", self.stdout);
        let value: serde_json::Value = serde_json::from_str(self.stdout.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout));
        match value {
            serde_json::Value::Object(map) => map,
            other => panic!("stdout should be a JSON object, got {other}"),
        }
    }

    /// Asserts a user error: exit code 2, nothing on stdout, and exactly one line on stderr
    /// starting `error: ` that contains every string of `needles`. Returns the line.
    pub fn user_error(&self, needles: &[&str]) -> String {
        assert_eq!(
            self.code,
            Some(2),
            "expected exit code 2; stdout: {:?}; stderr: {:?}",
            self.stdout,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "expected nothing on stdout, got {:?}", self.stdout);
        assert!(!self.stderr.contains("panicked"), "the binary panicked: {:?}", self.stderr);
        assert!(self.stderr.ends_with('\n'), "stderr should end with a newline: {:?}", self.stderr);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "stderr should be exactly one line, got {}: {:?}",
            lines.len(),
            self.stderr
        );
        let line = lines[0];
        assert!(line.starts_with("error: "), "stderr should start with `error: `: {line:?}");
        for needle in needles {
            assert!(line.contains(needle), "the error should mention {needle:?}: {line:?}");
        }
        line.to_string()
    }
}

/// The names of the entries of `dir`, sorted (hidden files and temporaries included).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes `data` as a `.npy` file of the given shape with the explicit type string `dtype`
/// (`<f8`, `>f8`, `<f4`, `<i8`, ...), C order.
pub fn write_npy_typed<T: npyz::Serialize + npyz::AutoSerialize + Copy>(
    path: &Path,
    dtype: &str,
    shape: &[u64],
    data: &[T],
) {
    let file = fs::File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    let dtype = DType::Plain(dtype.parse().expect("a valid type string"));
    let mut writer = npyz::WriteOptions::<T>::new()
        .dtype(dtype)
        .shape(shape)
        .writer(std::io::BufWriter::new(file))
        .begin_nd()
        .expect("npy writer");
    writer.extend(data.iter().copied()).expect("write npy data");
    writer.finish().expect("finish npy");
}

/// Writes a 1-D little-endian `f64` vector.
pub fn write_vector(path: &Path, data: &[f64]) {
    write_npy_typed(path, "<f8", &[data.len() as u64], data);
}

/// A `.npy` array as read back: values in file (C) order and the shape.
#[derive(Debug, Clone)]
pub struct Array {
    /// The values, C order.
    pub values: Vec<f64>,
    /// The shape.
    pub shape: Vec<u64>,
}

/// Reads a `.npy` file that must hold a C-order little-endian `f64` array (`<f8`).
pub fn read_npy(path: &Path) -> Array {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let npy =
        npyz::NpyFile::new(&bytes[..]).unwrap_or_else(|e| panic!("{}: not a .npy file: {e}", path.display()));
    let f64_le = DType::Plain("<f8".parse().expect("valid type string"));
    assert_eq!(npy.dtype(), f64_le, "{}: dtype should be <f8", path.display());
    assert_eq!(npy.order(), Order::C, "{}: should be in C order", path.display());
    let shape = npy.shape().to_vec();
    let values = npy.into_vec::<f64>().unwrap_or_else(|e| panic!("{}: bad data: {e}", path.display()));
    assert_eq!(values.len() as u64, shape.iter().product::<u64>(), "{}: size vs shape", path.display());
    Array { values, shape }
}

/// Reads a 1-D `<f8` vector of length `n`.
pub fn read_vector(path: &Path, n: usize) -> Vec<f64> {
    let a = read_npy(path);
    assert_eq!(a.shape, vec![n as u64], "{}: shape", path.display());
    a.values
}

/// Reads a 2-D `<f8` C-order matrix of shape `n × n`, row-major.
pub fn read_square(path: &Path, n: usize) -> Vec<f64> {
    let a = read_npy(path);
    assert_eq!(a.shape, vec![n as u64, n as u64], "{}: shape", path.display());
    a.values
}

/// Norm-wise relative error max|a − b| / max|b| (absolute when b is all zero); infinite
/// when `a` holds a non-finite value.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    if a.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    let scale = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    if scale == 0.0 { diff } else { diff / scale }
}
