//! File formats of the contract: CSV data in, `.npy` vectors and matrices in and out, and atomic
//! (all-or-nothing) writing of a command's output files.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use npyz::{DType, Endianness, Order, TypeChar, TypeStr, WriterBuilder};

use crate::error::{CliError, Result};

/// The only dtype read or written: little-endian IEEE 754 double.
const F64_LE: &str = "<f8";

/// A data set read from CSV: `n_points` rows of `n_inputs` inputs and one target each.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The inputs, row-major `n_points x n_inputs` (one data point per row).
    pub inputs: Vec<f64>,
    /// The targets (the last CSV column), one per data point.
    pub targets: Vec<f64>,
    /// The number of data points (data rows of the file).
    pub n_points: usize,
    /// The number of inputs per point (the number of columns minus one).
    pub n_inputs: usize,
}

/// Reads a CSV data file: a header row, then one row per data point whose last column is the
/// target and whose other columns are the inputs, in order.
///
/// Blank lines are ignored and fields are trimmed. A cell that is not a finite number, a row with
/// the wrong number of fields, a file without data rows, or a file with a single column is an
/// error naming the file and, where it applies, the 1-based line and column.
pub fn read_data_csv(path: &Path) -> Result<Dataset> {
    let table = read_csv_table(path)?;
    let n_cols = table.headers.len();
    if n_cols == 1 {
        return Err(CliError::Csv {
            path: path.to_path_buf(),
            line: Some(table.header_line),
            column: None,
            message: "the header has 1 column; expected at least 2 (one or more input columns, then the \
                      target column)"
                .into(),
        });
    }
    let n_inputs = n_cols - 1;
    let mut inputs = Vec::with_capacity(table.rows * n_inputs);
    let mut targets = Vec::with_capacity(table.rows);
    for row in table.values.chunks(n_cols) {
        inputs.extend_from_slice(&row[..n_inputs]);
        targets.push(row[n_inputs]);
    }
    Ok(Dataset { n_points: table.rows, n_inputs, inputs, targets })
}

/// A CSV file of numbers with named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    /// The column names, from the header row, trimmed.
    pub headers: Vec<String>,
    /// The 1-based line of the header row.
    pub header_line: u64,
    /// The number of data rows.
    pub rows: usize,
    /// The values, row-major `rows × headers.len()`.
    pub values: Vec<f64>,
}

impl CsvTable {
    /// The values of column `j`.
    pub fn column(&self, j: usize) -> Vec<f64> {
        self.values.iter().skip(j).step_by(self.headers.len()).copied().collect()
    }
}

/// Reads a CSV file of finite numbers under a header row (the rules of [`read_data_csv`]: blank
/// lines ignored, fields trimmed, at least one data row, errors naming the line and column).
pub fn read_csv_table(path: &Path) -> Result<CsvTable> {
    let bytes = read_file(path)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.as_slice());

    let csv_error = |line: Option<u64>, column: Option<usize>, message: String| CliError::Csv {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let from_csv = |e: csv::Error| {
        if !e.is_io_error() {
            let line = e.position().map(|p| p.line());
            return csv_error(line, None, e.to_string().replace(['\n', '\r'], " "));
        }
        match e.into_kind() {
            csv::ErrorKind::Io(e) => CliError::io(path, "read", e),
            _ => unreachable!("checked by is_io_error"),
        }
    };

    let header = reader.byte_headers().map_err(from_csv)?;
    let n_cols = header.len();
    let header_line = header.position().map_or(1, |p| record_line(&bytes, p));
    if n_cols == 0 {
        return Err(csv_error(None, None, "the file is empty; expected a header row, then data rows".into()));
    }
    let headers = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();

    let mut values = Vec::new();
    let mut rows = 0;
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(from_csv)? {
        let line = record.position().map(|p| record_line(&bytes, p));
        // A line holding only whitespace is blank too.
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue;
        }
        if record.len() != n_cols {
            return Err(csv_error(
                line,
                None,
                format!("expected {n_cols} fields (as in the header), found {}", record.len()),
            ));
        }
        for (j, field) in record.iter().enumerate() {
            values.push(parse_cell(field).map_err(|msg| csv_error(line, Some(j + 1), msg))?);
        }
        rows += 1;
    }

    if rows == 0 {
        return Err(csv_error(None, None, "no data rows after the header; expected at least one".into()));
    }
    Ok(CsvTable { headers, header_line, rows, values })
}

/// The 1-based line on which the record at `pos` starts.
///
/// csv's record position is where the previous record ended, before any blank lines it then
/// skipped (and, with CRLF endings, before the `\n` of the previous line): count the newlines it
/// skipped to reach the record's first byte.
fn record_line(bytes: &[u8], pos: &csv::Position) -> u64 {
    let start = (pos.byte() as usize).min(bytes.len());
    let skipped =
        bytes[start..].iter().take_while(|&&b| b == b'\n' || b == b'\r').filter(|&&b| b == b'\n').count();
    pos.line() + skipped as u64
}

/// Reads a whole input file, naming it in any error.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(|e| CliError::io(path, "open", e))?
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io(path, "read", e))?;
    Ok(bytes)
}

/// Parses one CSV cell as a finite `f64`, or says why it is not one.
fn parse_cell(field: &[u8]) -> std::result::Result<f64, String> {
    let Ok(text) = std::str::from_utf8(field) else {
        return Err(format!("{} is not valid UTF-8", quote(&String::from_utf8_lossy(field))));
    };
    let text = text.trim();
    if text.is_empty() {
        return Err("empty cell; expected a number".into());
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{} is not a finite number", quote(text))),
        Err(_) => Err(format!("{} is not a number", quote(text))),
    }
}

/// A quoted, escaped, length-limited rendering of a cell for an error message.
fn quote(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}...")
    }
}

/// Reads a `.npy` file holding a 1-D little-endian `f64` array of exactly `expected_len` values.
///
/// `what` says where the expected length comes from (e.g. `"the parameter count of --arch
/// 1,10,1"`) and appears in the error message; it may be empty. Any other dtype (including
/// big-endian `>f8`), rank or length is an error naming the file, the expected and the actual;
/// nothing is converted.
pub fn read_npy_vector(path: &Path, expected_len: usize, what: &str) -> Result<Vec<f64>> {
    let npy = read_npy_f64(path)?;
    if npy.shape.len() != 1 {
        return Err(CliError::npy(
            path,
            format!("a 1-D array of {}", values_for(expected_len, what)),
            describe_rank(&npy.shape),
        ));
    }
    if npy.values.len() != expected_len {
        return Err(CliError::npy(path, values_for(expected_len, what), npy.values.len().to_string()));
    }
    Ok(npy.values)
}

/// Reads a vector as [`read_npy_vector`] does and also requires every element to be
/// finite (parameters and directions must be).
pub fn read_finite_npy_vector(path: &Path, expected_len: usize, what: &str) -> Result<Vec<f64>> {
    let values = read_npy_vector(path, expected_len, what)?;
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(CliError::npy(path, "finite values", format!("{} at index {i}", values[i]))),
        None => Ok(values),
    }
}

/// Reads a `.npy` file holding a 2-D little-endian `f64` array in C order; returns the values
/// row-major with the number of rows and columns.
///
/// Any other dtype, rank, or Fortran order is an error naming the file, the expected and the
/// actual.
pub fn read_npy_matrix(path: &Path) -> Result<(Vec<f64>, usize, usize)> {
    let npy = read_npy_f64(path)?;
    if npy.shape.len() != 2 {
        return Err(CliError::npy(path, "a 2-D array (a matrix)", describe_rank(&npy.shape)));
    }
    if npy.order == Order::Fortran {
        return Err(CliError::npy(path, "C order (fortran_order: False)", "fortran_order: True"));
    }
    // Both fit in usize: their product, the length of `values`, does.
    let rows = npy.shape[0] as usize;
    let cols = npy.shape[1] as usize;
    Ok((npy.values, rows, cols))
}

/// `31 values (the parameter count of --arch 1,10,1)`.
fn values_for(n: usize, what: &str) -> String {
    let noun = if n == 1 { "value" } else { "values" };
    if what.is_empty() { format!("{n} {noun}") } else { format!("{n} {noun} ({what})") }
}

/// `a 2-D array of shape (3, 4)`.
fn describe_rank(shape: &[u64]) -> String {
    if shape.is_empty() {
        "a 0-D array (a scalar)".to_string()
    } else {
        format!("a {}-D array of shape {}", shape.len(), python_shape(shape))
    }
}

/// A shape as Python writes it: `()`, `(3,)`, `(3, 4)`.
fn python_shape(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// `float64 (<f8)`, `big-endian float64 (>f8)`, `int64 (<i8)`, or the raw description.
fn describe_dtype(dtype: &DType) -> String {
    match dtype {
        DType::Plain(ts) => {
            let bits = ts.size_field() * 8;
            let name = match ts.type_char() {
                TypeChar::Bool => "bool".to_string(),
                TypeChar::Int => format!("int{bits}"),
                TypeChar::Uint => format!("uint{bits}"),
                TypeChar::Float => format!("float{bits}"),
                TypeChar::Complex => format!("complex{bits}"),
                _ => return format!("dtype {ts}"),
            };
            let order = match ts.endianness() {
                Endianness::Big if ts.size_field() > 1 => "big-endian ",
                _ => "",
            };
            format!("{order}{name} ({ts})")
        }
        DType::Record(_) => format!("a structured dtype {}", dtype.descr()),
        DType::Array(..) => format!("dtype {}", dtype.descr()),
    }
}

/// The validated contents of a little-endian `f64` `.npy` file.
struct NpyF64 {
    values: Vec<f64>,
    shape: Vec<u64>,
    order: Order,
}

/// Reads a `.npy` file, checks that its dtype is `<f8` and that the data has exactly the size
/// its shape says, and decodes the values in file order.
fn read_npy_f64(path: &Path) -> Result<NpyF64> {
    let bytes = read_file(path)?;
    let mut data: &[u8] = &bytes;
    let header = npyz::NpyHeader::from_reader(&mut data).map_err(|e| CliError::NpyFormat {
        path: path.to_path_buf(),
        message: if e.kind() == io::ErrorKind::UnexpectedEof {
            "the file ends inside the header".to_string()
        } else {
            e.to_string().replace(['\n', '\r'], " ")
        },
    })?;

    let dtype = header.dtype();
    let f64_le: TypeStr = F64_LE.parse().expect("valid type string");
    if dtype != DType::Plain(f64_le) {
        return Err(CliError::npy(path, format!("dtype float64 ({F64_LE})"), describe_dtype(&dtype)));
    }

    let shape = header.shape().to_vec();
    let n_bytes =
        shape.iter().try_fold(8u64, |acc, &d| acc.checked_mul(d)).filter(|&n| n <= data.len() as u64);
    let Some(n_bytes) = n_bytes else {
        return Err(CliError::NpyFormat {
            path: path.to_path_buf(),
            message: format!(
                "the data is truncated: shape {} needs more than the {} bytes after the header",
                python_shape(&shape),
                data.len()
            ),
        });
    };
    if n_bytes != data.len() as u64 {
        return Err(CliError::NpyFormat {
            path: path.to_path_buf(),
            message: format!(
                "{} unexpected bytes after the data of shape {}",
                data.len() as u64 - n_bytes,
                python_shape(&shape)
            ),
        });
    }
    let values =
        data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8 bytes"))).collect();
    Ok(NpyF64 { values, shape, order: header.order() })
}

/// Writes `data` as a little-endian `f64` `.npy` array of the given shape (C order).
fn write_npy(out: impl Write, data: &[f64], shape: &[u64]) -> io::Result<()> {
    let dtype = DType::Plain(F64_LE.parse().expect("valid type string"));
    let mut writer = npyz::WriteOptions::<f64>::new().dtype(dtype).shape(shape).writer(out).begin_nd()?;
    writer.extend(data.iter().copied())?;
    writer.finish()
}

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
/// # use saddle_cli::io::OutputFiles;
/// # fn main() -> saddle_cli::error::Result<()> {
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
    /// Before anything is written, each target must name a file in an existing directory, must
    /// not be a directory, and must not be staged twice. If writing any temporary fails, every
    /// temporary is removed and the error names the target file. (A rename failing after others
    /// succeeded, which same-directory renames practically never do, leaves the earlier files in
    /// place and removes the rest of the temporaries.)
    pub fn commit(self) -> Result<()> {
        let mut seen = HashSet::new();
        for (path, _) in &self.files {
            let key = check_target(path)?;
            if !seen.insert(key) {
                return Err(CliError::Invalid(format!(
                    "{}: named as more than one output file",
                    path.display()
                )));
            }
        }

        let mut temps = TempFiles(Vec::with_capacity(self.files.len()));
        let pid = std::process::id();
        for (i, (path, content)) in self.files.iter().enumerate() {
            let temp = temp_sibling(path, pid, i);
            temps.0.push(Some(temp.clone()));
            write_file(&temp, content).map_err(|e| CliError::io(path, "write", e))?;
        }
        for (i, (path, _)) in self.files.iter().enumerate() {
            let temp = temps.0[i].take().expect("each temporary is renamed once");
            if let Err(e) = fs::rename(&temp, path) {
                temps.0[i] = Some(temp);
                return Err(CliError::io(path, "rename into place", e));
            }
        }
        Ok(())
    }
}

/// Checks that `path` can be an output file; returns a key identifying it (its directory,
/// canonicalized, joined with its name) to detect the same file staged twice.
fn check_target(path: &Path) -> Result<PathBuf> {
    let Some(name) = path.file_name() else {
        return Err(CliError::Invalid(format!("{}: not a file name for an output file", path.display())));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        let why = if dir.exists() {
            format!("{} is not a directory", dir.display())
        } else {
            format!("directory {} does not exist", dir.display())
        };
        return Err(CliError::io(path, "write", io::Error::new(io::ErrorKind::NotFound, why)));
    }
    if path.is_dir() {
        return Err(CliError::io(path, "write", io::Error::from(io::ErrorKind::IsADirectory)));
    }
    let dir = dir.canonicalize().map_err(|e| CliError::io(path, "write", e))?;
    Ok(dir.join(name))
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
    use tempfile::TempDir;

    fn write(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    fn csv_err(contents: &str) -> (CliError, String) {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "data.csv", contents.as_bytes());
        let err = read_data_csv(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("data.csv: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        (err, msg)
    }

    /// Writes an `.npy` file with an arbitrary dtype, shape and order through npyz.
    fn write_npy_as<T: npyz::Serialize>(
        dir: &TempDir,
        name: &str,
        dtype: &str,
        shape: &[u64],
        order: Order,
        data: &[T],
    ) -> PathBuf {
        let mut buf = Vec::new();
        let mut w = npyz::WriteOptions::<T>::new()
            .dtype(DType::Plain(dtype.parse().unwrap()))
            .shape(shape)
            .order(order)
            .writer(&mut buf)
            .begin_nd()
            .unwrap();
        for x in data {
            w.push(x).unwrap();
        }
        w.finish().unwrap();
        write(dir, name, &buf)
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn csv_parses_header_blank_lines_and_whitespace() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "data.csv", b"x1, x2 ,y\n\n 1.5 , -2,3e-1\r\n\n   \n4,5.25,  -6\n7,8,9");
        let d = read_data_csv(&path).unwrap();
        assert_eq!(d.n_points, 3);
        assert_eq!(d.n_inputs, 2);
        assert_eq!(d.inputs, vec![1.5, -2.0, 4.0, 5.25, 7.0, 8.0]);
        assert_eq!(d.targets, vec![0.3, -6.0, 9.0]);
    }

    #[test]
    fn csv_single_input_column() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "d.csv", b"x,f\n0.25,1\n0.75,-1\n");
        let d = read_data_csv(&path).unwrap();
        assert_eq!(
            d,
            Dataset { inputs: vec![0.25, 0.75], targets: vec![1.0, -1.0], n_points: 2, n_inputs: 1 }
        );
    }

    #[test]
    fn csv_missing_file() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("nope.csv");
        let err = read_data_csv(&path).unwrap_err();
        assert!(matches!(&err, CliError::Io { action: "open", .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("nope.csv: cannot open: no such file or directory"), "{msg}");
    }

    #[test]
    fn csv_non_numeric_cell_names_line_and_column() {
        // Line 4 of the file (line 3 is blank), column 2.
        let (err, msg) = csv_err("x,y\n1,2\n\n3, abc \n");
        assert!(matches!(err, CliError::Csv { line: Some(4), column: Some(2), .. }), "{err:?}");
        assert!(msg.ends_with("data.csv: line 4, column 2: \"abc\" is not a number"), "{msg}");
    }

    #[test]
    fn csv_empty_cell() {
        let (err, msg) = csv_err("a,b,y\n1,,3\n");
        assert!(matches!(err, CliError::Csv { line: Some(2), column: Some(2), .. }));
        assert!(msg.ends_with("line 2, column 2: empty cell; expected a number"), "{msg}");
    }

    #[test]
    fn csv_nan_and_inf_are_errors() {
        let (err, msg) = csv_err("x,y\n1,2\n3,nan\n");
        assert!(matches!(err, CliError::Csv { line: Some(3), column: Some(2), .. }));
        assert!(msg.ends_with("line 3, column 2: \"nan\" is not a finite number"), "{msg}");

        let (_, msg) = csv_err("x,y\n-inf,2\n");
        assert!(msg.ends_with("line 2, column 1: \"-inf\" is not a finite number"), "{msg}");

        // Overflows to infinity.
        let (_, msg) = csv_err("x,y\n1,1e400\n");
        assert!(msg.ends_with("line 2, column 2: \"1e400\" is not a finite number"), "{msg}");
    }

    #[test]
    fn csv_ragged_row() {
        let (err, msg) = csv_err("x1,x2,y\n1,2,3\n4,5\n");
        assert!(matches!(err, CliError::Csv { line: Some(3), column: None, .. }));
        assert!(msg.ends_with("data.csv: line 3: expected 3 fields (as in the header), found 2"), "{msg}");
        let (_, msg) = csv_err("x,y\n1,2,\n");
        assert!(msg.ends_with("line 2: expected 2 fields (as in the header), found 3"), "{msg}");
    }

    #[test]
    fn csv_header_only_and_empty_file() {
        let (err, msg) = csv_err("x,y\n\n");
        assert!(matches!(err, CliError::Csv { line: None, .. }));
        assert!(msg.ends_with("data.csv: no data rows after the header; expected at least one"));

        let (_, msg) = csv_err("");
        assert!(msg.contains("data.csv: the file is empty"), "{msg}");
    }

    #[test]
    fn csv_line_numbers_count_blank_lines_and_crlf() {
        let (_, msg) = csv_err("\n\nx,y\r\n\r\n1,2\r\n\r\n\r\n3,z\r\n");
        assert!(msg.ends_with("data.csv: line 8, column 2: \"z\" is not a number"), "{msg}");
        let (_, msg) = csv_err("x,y\n1,2\n3,4\n\n\n5,6,7");
        assert!(msg.ends_with("data.csv: line 6: expected 2 fields (as in the header), found 3"));
        // A quoted cell spanning lines: the record starts on line 2.
        let (_, msg) = csv_err("x,y\n\"a\nb\",2\n3,c\n");
        assert!(msg.ends_with("line 2, column 1: \"a\\nb\" is not a number"), "{msg}");
        let (_, msg) = csv_err("x,y\n\"1\n\",2\n3,c\n");
        assert!(msg.ends_with("line 4, column 2: \"c\" is not a number"), "{msg}");
        let (_, msg) = csv_err("\n\ny\n1\n");
        assert!(msg.contains("data.csv: line 3: the header has 1 column"), "{msg}");
    }

    #[test]
    fn csv_single_column() {
        let (err, msg) = csv_err("y\n1\n2\n");
        assert!(matches!(err, CliError::Csv { line: Some(1), .. }));
        assert!(msg.contains("data.csv: line 1: the header has 1 column; expected at least 2"));
    }

    #[test]
    fn csv_invalid_utf8_cell() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "data.csv", b"x,y\n1,\xff\n");
        let msg = read_data_csv(&path).unwrap_err().to_string();
        assert!(msg.contains("data.csv: line 2, column 2: "), "{msg}");
        assert!(msg.ends_with("is not valid UTF-8"), "{msg}");
    }

    #[test]
    fn vector_round_trip_is_bit_exact() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("v.npy");
        let data = [0.1, -0.0, f64::MIN_POSITIVE, 5e-324, f64::MAX, -1.0 / 3.0, f64::NAN];
        let mut out = OutputFiles::new();
        out.vector(&path, &data);
        assert_eq!(out.len(), 1);
        out.commit().unwrap();
        let back = read_npy_vector(&path, data.len(), "").unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&data));

        // The file is a standard .npy: header says '<f8', C order, shape (7,).
        let bytes = fs::read(&path).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let header = String::from_utf8_lossy(&bytes[10..]);
        assert!(header.contains("'descr': '<f8'"), "{header}");
        assert!(header.contains("'fortran_order': False"), "{header}");
        assert!(header.contains("'shape': (7, )"), "{header}");
        assert_eq!(files_in(dir.path()), vec!["v.npy"]);
    }

    #[test]
    fn matrix_round_trip_is_bit_exact_and_row_major() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("h.npy");
        let data: Vec<f64> = (0..6).map(|i| (i as f64).sqrt() - 0.7).collect();
        let mut out = OutputFiles::new();
        out.matrix(&path, &data, 2, 3);
        out.commit().unwrap();
        let (back, rows, cols) = read_npy_matrix(&path).unwrap();
        assert_eq!((rows, cols), (2, 3));
        assert_eq!(
            back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            data.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let header = String::from_utf8_lossy(&fs::read(&path).unwrap()[10..]).into_owned();
        assert!(header.contains("'shape': (2, 3, )"), "{header}");

        // An empty matrix round-trips too.
        let empty = dir.path().join("e.npy");
        let mut out = OutputFiles::new();
        out.matrix(&empty, &[], 0, 4);
        out.commit().unwrap();
        assert_eq!(read_npy_matrix(&empty).unwrap(), (vec![], 0, 4));
    }

    #[test]
    fn matrix_reads_npyz_c_order_file() {
        let dir = TempDir::new().unwrap();
        let path = write_npy_as(&dir, "m.npy", "<f8", &[3, 2], Order::C, &[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(read_npy_matrix(&path).unwrap(), (vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2));
    }

    #[test]
    fn npy_missing_file() {
        let dir = TempDir::new().unwrap();
        let err = read_npy_vector(&dir.path().join("p.npy"), 3, "").unwrap_err();
        assert!(matches!(err, CliError::Io { .. }));
        assert!(err.to_string().contains("p.npy: cannot open: no such file or directory"));
        let err = read_npy_matrix(&dir.path().join("h.npy")).unwrap_err();
        assert!(err.to_string().contains("h.npy: cannot open"));
    }

    #[test]
    fn npy_wrong_dtype_int64_and_float32() {
        let dir = TempDir::new().unwrap();
        let path = write_npy_as(&dir, "v.npy", "<i8", &[3], Order::C, &[1i64, 2, 3]);
        let err = read_npy_vector(&path, 3, "").unwrap_err();
        assert!(matches!(err, CliError::Npy { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.ends_with("v.npy: expected dtype float64 (<f8), found int64 (<i8)"), "{msg}");

        let path = write_npy_as(&dir, "w.npy", "<f4", &[2, 2], Order::C, &[1f32; 4]);
        let msg = read_npy_matrix(&path).unwrap_err().to_string();
        assert!(msg.ends_with("w.npy: expected dtype float64 (<f8), found float32 (<f4)"), "{msg}");
    }

    #[test]
    fn npy_big_endian_is_rejected() {
        let dir = TempDir::new().unwrap();
        let path = write_npy_as(&dir, "be.npy", ">f8", &[2], Order::C, &[1.0f64, 2.0]);
        let err = read_npy_vector(&path, 2, "").unwrap_err();
        assert!(matches!(err, CliError::Npy { .. }));
        let msg = err.to_string();
        assert!(
            msg.ends_with("be.npy: expected dtype float64 (<f8), found big-endian float64 (>f8)"),
            "{msg}"
        );
    }

    #[test]
    fn npy_wrong_rank() {
        let dir = TempDir::new().unwrap();
        let path = write_npy_as(&dir, "m.npy", "<f8", &[3, 4], Order::C, &[0.0f64; 12]);
        let err = read_npy_vector(&path, 12, "the parameter count of --arch 1,3,1").unwrap_err();
        assert!(matches!(err, CliError::Npy { .. }));
        assert_eq!(
            err.to_string(),
            format!(
                "{}: expected a 1-D array of 12 values (the parameter count of --arch 1,3,1), \
                 found a 2-D array of shape (3, 4)",
                path.display()
            )
        );

        let path = write_npy_as(&dir, "v.npy", "<f8", &[5], Order::C, &[0.0f64; 5]);
        let msg = read_npy_matrix(&path).unwrap_err().to_string();
        assert!(
            msg.ends_with("v.npy: expected a 2-D array (a matrix), found a 1-D array of shape (5,)"),
            "{msg}"
        );

        let path = write_npy_as(&dir, "s.npy", "<f8", &[], Order::C, &[1.0f64]);
        let msg = read_npy_vector(&path, 1, "").unwrap_err().to_string();
        assert!(msg.ends_with("found a 0-D array (a scalar)"), "{msg}");
    }

    #[test]
    fn npy_wrong_length() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("params.npy");
        let mut out = OutputFiles::new();
        out.vector(&path, &[0.5; 30]);
        out.commit().unwrap();
        let err = read_npy_vector(&path, 31, "the parameter count of --arch 1,10,1").unwrap_err();
        assert!(
            matches!(&err, CliError::Npy { expected, found, .. }
                if expected.starts_with("31 values") && found == "30"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: expected 31 values (the parameter count of --arch 1,10,1), found 30",
                path.display()
            )
        );
        let msg = read_npy_vector(&path, 1, "").unwrap_err().to_string();
        assert!(msg.ends_with("params.npy: expected 1 value, found 30"), "{msg}");
    }

    #[test]
    fn npy_fortran_order() {
        let dir = TempDir::new().unwrap();
        // A 1-D Fortran-order array is the same as C order: accepted.
        let path = write_npy_as(&dir, "v.npy", "<f8", &[3], Order::Fortran, &[1.0f64, 2.0, 3.0]);
        assert_eq!(read_npy_vector(&path, 3, "").unwrap(), vec![1.0, 2.0, 3.0]);
        // A Fortran-order matrix is not.
        let path = write_npy_as(&dir, "m.npy", "<f8", &[2, 2], Order::Fortran, &[0.0f64; 4]);
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(matches!(err, CliError::Npy { .. }));
        assert!(
            err.to_string()
                .ends_with("m.npy: expected C order (fortran_order: False), found fortran_order: True")
        );
    }

    #[test]
    fn npy_malformed_files() {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "x.npy", b"x,y\n1,2\n");
        let err = read_npy_vector(&path, 2, "").unwrap_err();
        assert!(matches!(err, CliError::NpyFormat { .. }), "{err:?}");
        assert!(err.to_string().contains("x.npy: not a valid .npy file: "));

        // Truncated data and trailing bytes.
        let good = dir.path().join("g.npy");
        let mut out = OutputFiles::new();
        out.vector(&good, &[1.0, 2.0, 3.0]);
        out.commit().unwrap();
        let bytes = fs::read(&good).unwrap();
        let short = write(&dir, "short.npy", &bytes[..bytes.len() - 4]);
        let msg = read_npy_vector(&short, 3, "").unwrap_err().to_string();
        assert!(msg.contains("short.npy: not a valid .npy file: the data is truncated"), "{msg}");
        let mut long_bytes = bytes.clone();
        long_bytes.extend_from_slice(&[0; 8]);
        let long = write(&dir, "long.npy", &long_bytes);
        let msg = read_npy_vector(&long, 3, "").unwrap_err().to_string();
        assert!(msg.contains("long.npy: not a valid .npy file: 8 unexpected bytes"), "{msg}");
        let cut = write(&dir, "cut.npy", &bytes[..20]);
        let msg = read_npy_vector(&cut, 3, "").unwrap_err().to_string();
        assert!(msg.contains("cut.npy: not a valid .npy file: "), "{msg}");
    }

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
