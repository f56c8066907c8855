//! CSV data in: the data sets of the built-in problems and the point and test tables of
//! problem files.

use std::path::Path;

use super::read_file;
use crate::study::error::{CliError, Result};

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

/// The benchmark's data: N points with every input evenly spaced in [−1, 1] and target
/// sin(3·x₁) (the same data for regression and the PINN).
pub fn bench_data(n_points: usize, n_inputs: usize) -> Dataset {
    let xs: Vec<f64> = (0..n_points)
        .map(|i| if n_points == 1 { 0.0 } else { -1.0 + 2.0 * i as f64 / (n_points - 1) as f64 })
        .collect();
    Dataset {
        inputs: xs.iter().flat_map(|&x| std::iter::repeat_n(x, n_inputs)).collect(),
        targets: xs.iter().map(|x| (3.0 * x).sin()).collect(),
        n_points,
        n_inputs,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::io::test_files::write;
    use tempfile::TempDir;

    fn csv_err(contents: &str) -> (CliError, String) {
        let dir = TempDir::new().unwrap();
        let path = write(&dir, "data.csv", contents.as_bytes());
        let err = read_data_csv(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("data.csv: "), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        (err, msg)
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
}
