//! `.npy` vectors and matrices in and out: little-endian `f64` only, nothing converted.

use std::io::{self, Write};
use std::path::Path;

use npyz::{DType, Endianness, Order, TypeChar, TypeStr, WriterBuilder};

use super::read_file;
use crate::study::error::{CliError, Result};

/// The only dtype read or written: little-endian IEEE 754 double.
const F64_LE: &str = "<f8";

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
pub(super) fn write_npy(out: impl Write, data: &[f64], shape: &[u64]) -> io::Result<()> {
    let dtype = DType::Plain(F64_LE.parse().expect("valid type string"));
    let mut writer = npyz::WriteOptions::<f64>::new().dtype(dtype).shape(shape).writer(out).begin_nd()?;
    writer.extend(data.iter().copied())?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use super::*;
    use crate::study::io::output::OutputFiles;
    use crate::study::io::test_files::{files_in, write};
    use tempfile::TempDir;

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
}
