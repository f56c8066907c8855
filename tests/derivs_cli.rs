//! `saddle derivs` end to end: the happy path and the file formats of the contract, then every
//! bad input, each of which must exit with code 2, print exactly one `error:` line naming the
//! fault, print nothing on stdout, and leave no output file (nor temporary) behind.

mod support;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use support::{Run, files_in, read_square, read_vector, rel_err, run, write_npy_typed, write_vector};
use tempfile::TempDir;

/// The default problem: regression, `--arch 2,3,1`, tanh, 5 points.
const ARCH: &str = "2,3,1";
/// n for [`ARCH`]: 2·3 + 3 + 3·1 + 1.
const N: usize = 13;
const DATA: &str = "x0,x1,y\n\
                    0.5,-0.25,0.75\n\
                    -1.0,0.5,0.1\n\
                    0.25,0.75,-0.5\n\
                    0.9,-0.8,0.3\n\
                    -0.3,0.1,0.6\n";

/// Deterministic, irregular values.
fn values(n: usize, phase: f64) -> Vec<f64> {
    (0..n).map(|i| 0.6 * (1.7 * i as f64 + phase).sin()).collect()
}

/// A scratch directory with good inputs in `in/` and an empty `out/` for the outputs.
struct Setup {
    _dir: TempDir,
    inp: PathBuf,
    out: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let inp = dir.path().join("in");
        let out = dir.path().join("out");
        fs::create_dir(&inp).unwrap();
        fs::create_dir(&out).unwrap();
        let s = Setup { _dir: dir, inp, out };
        s.write_input("data.csv", DATA);
        write_vector(&s.input("params.npy"), &values(N, 0.3));
        write_vector(&s.input("v.npy"), &values(N, 1.1));
        s
    }

    fn input(&self, name: &str) -> PathBuf {
        self.inp.join(name)
    }

    fn output(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }

    fn write_input(&self, name: &str, text: &str) -> PathBuf {
        let path = self.input(name);
        fs::write(&path, text).unwrap();
        path
    }

    /// Every flag, with all three outputs requested into `out/`.
    fn args(&self) -> Args {
        Args(vec![])
            .set("--problem", "regression")
            .set("--arch", ARCH)
            .set("--act", "tanh")
            .set("--data", self.input("data.csv"))
            .set("--params", self.input("params.npy"))
            .set("--grad-out", self.output("g.npy"))
            .set("--hessian-out", self.output("h.npy"))
            .set("--hvp", self.input("v.npy"))
            .set("--hvp-out", self.output("hv.npy"))
    }

    /// Runs `args`, expects a user error mentioning every needle, and checks that `out/` is
    /// still empty (no output file, no temporary). Returns the error line.
    fn expect_error(&self, args: &Args, needles: &[&str]) -> String {
        let result = run(args.argv());
        let line = result.user_error(needles);
        assert_eq!(
            files_in(&self.out),
            Vec::<String>::new(),
            "files left in the output directory after: {line}"
        );
        line
    }
}

/// `saddle derivs` flags in order, each with its value.
#[derive(Clone)]
struct Args(Vec<(&'static str, OsString)>);

impl Args {
    /// Sets (or replaces) `flag`'s value.
    fn set(mut self, flag: &'static str, value: impl Into<OsString>) -> Args {
        let value = value.into();
        match self.0.iter_mut().find(|(f, _)| *f == flag) {
            Some(slot) => slot.1 = value,
            None => self.0.push((flag, value)),
        }
        self
    }

    /// Drops `flag`.
    fn remove(mut self, flag: &str) -> Args {
        self.0.retain(|(f, _)| *f != flag);
        self
    }

    fn argv(&self) -> Vec<OsString> {
        let mut argv = vec![OsString::from("derivs")];
        for (flag, value) in &self.0 {
            argv.push(flag.into());
            argv.push(value.clone());
        }
        argv
    }
}

fn loss_and_params(result: &Run) -> (f64, u64) {
    let summary = result.success_json();
    let loss = summary
        .get("loss")
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("no numeric loss: {summary:?}"));
    let params =
        summary.get("params").and_then(|v| v.as_u64()).unwrap_or_else(|| panic!("no params: {summary:?}"));
    (loss, params)
}

// ---------------------------------------------------------------------------------------------
// The happy path.

#[test]
fn derivs_help_exits_zero_and_documents_every_flag() {
    for argv in [&["derivs", "--help"][..], &["help", "derivs"][..]] {
        let result = run(argv);
        assert_eq!(result.code, Some(0), "saddle {argv:?}: {result:?}");
        for flag in [
            "--problem",
            "--arch",
            "--act",
            "--data",
            "--params",
            "--grad-out",
            "--hessian-out",
            "--hvp",
            "--hvp-out",
        ] {
            assert!(
                result.stdout.contains(flag),
                "saddle {argv:?} should mention {flag}:\n{}",
                result.stdout
            );
        }
    }
}

/// The brief asks `saddle --help` to mention `--arch` too (docs/CONTRACT.md: all commands share
/// `--problem --arch --act --data`), not only the subcommand's help.
#[test]
fn top_level_help_exits_zero_and_mentions_derivs_and_arch() {
    let result = run(["--help"]);
    assert_eq!(result.code, Some(0), "{result:?}");
    assert!(result.stdout.contains("derivs"), "saddle --help should list derivs:\n{}", result.stdout);
    assert!(result.stdout.contains("--arch"), "saddle --help should mention --arch:\n{}", result.stdout);
}

#[test]
fn gradient_only_run_writes_only_the_gradient() {
    let s = Setup::new();
    let args = s.args().remove("--hessian-out").remove("--hvp").remove("--hvp-out");
    let result = run(args.argv());
    let (loss, params) = loss_and_params(&result);
    assert_eq!(params, N as u64);
    assert!(loss.is_finite() && loss > 0.0, "loss {loss}");
    assert_eq!(files_in(&s.out), ["g.npy"]);
    let g = read_vector(&s.output("g.npy"), N);
    assert!(g.iter().all(|x| x.is_finite()) && g.iter().any(|&x| x != 0.0), "{g:?}");
}

#[test]
fn no_output_requested_writes_nothing_and_prints_the_summary() {
    let s = Setup::new();
    let args = s.args().remove("--grad-out").remove("--hessian-out").remove("--hvp").remove("--hvp-out");
    let (loss, params) = loss_and_params(&run(args.argv()));
    assert_eq!(params, N as u64);
    assert!(loss.is_finite());
    assert!(files_in(&s.out).is_empty());
}

#[test]
fn all_outputs_have_the_contract_format_and_agree() {
    let s = Setup::new();
    // An existing output file is replaced.
    fs::write(s.output("g.npy"), b"old").unwrap();
    let result = run(s.args().argv());
    let (loss, params) = loss_and_params(&result);
    assert_eq!(params, N as u64);
    assert!(loss.is_finite() && loss > 0.0);
    assert_eq!(files_in(&s.out), ["g.npy", "h.npy", "hv.npy"]);

    // `read_*` check the dtype (<f8), C order and shape.
    let g = read_vector(&s.output("g.npy"), N);
    let h = read_square(&s.output("h.npy"), N);
    let hv = read_vector(&s.output("hv.npy"), N);
    assert!(g.iter().chain(&h).chain(&hv).all(|x| x.is_finite()));

    // Symmetric Hessian.
    let scale = h.iter().map(|x| x.abs()).fold(0.0, f64::max);
    assert!(scale > 0.0);
    let asym = (0..N)
        .flat_map(|i| (0..N).map(move |j| (i, j)))
        .map(|(i, j)| (h[i * N + j] - h[j * N + i]).abs())
        .fold(0.0, f64::max);
    assert!(asym <= 1e-12 * scale, "Hessian asymmetry {asym:e} (scale {scale:e})");

    // H·v from the written Hessian equals the written HVP.
    let v = values(N, 1.1);
    let h_v: Vec<f64> = (0..N).map(|i| (0..N).map(|j| h[i * N + j] * v[j]).sum()).collect();
    let err = rel_err(&hv, &h_v);
    assert!(err <= 1e-12, "HVP vs H·v: relative error {err:e}");

    // The gradient is the same whatever else is requested.
    let only_g = Setup::new();
    let args = only_g.args().remove("--hessian-out").remove("--hvp").remove("--hvp-out");
    let (loss2, _) = loss_and_params(&run(args.argv()));
    assert_eq!(loss, loss2);
    assert_eq!(read_vector(&only_g.output("g.npy"), N), g);
}

#[test]
fn written_npy_files_are_little_endian_f64_byte_for_byte() {
    let s = Setup::new();
    let args = s.args().remove("--hvp").remove("--hvp-out");
    let _ = loss_and_params(&run(args.argv()));
    for (name, shape) in [("g.npy", vec![N]), ("h.npy", vec![N, N])] {
        let bytes = fs::read(s.output(name)).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY", "{name}: magic");
        // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
        let (start, header_len) = match bytes[6] {
            1 => (10, u16::from_le_bytes([bytes[8], bytes[9]]) as usize + 10),
            _ => (12, u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize + 12),
        };
        let header = std::str::from_utf8(&bytes[start..header_len]).expect("an ASCII header");
        assert!(header.contains("'descr': '<f8'"), "{name}: {header:?}");
        assert!(header.contains("'fortran_order': False"), "{name}: {header:?}");
        // The shape tuple, however it is spaced: `(13,)`, `(13, )`, `(13, 13)`.
        let tuple = header.split("'shape': (").nth(1).and_then(|t| t.split(')').next());
        let dims: Option<Vec<usize>> = tuple.map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| d.parse().expect("a dimension"))
                .collect()
        });
        assert_eq!(dims, Some(shape), "{name}: {header:?}");
        assert!(header.ends_with('\n'), "{name}: the header should end with a newline: {header:?}");
        assert_eq!(header_len % 16, 0, "{name}: the data should be 16-byte aligned");
        let count = if name == "g.npy" { N } else { N * N };
        assert_eq!(bytes.len() - header_len, 8 * count, "{name}: data size");
        // The data, decoded as little-endian f64, is what a .npy reader sees.
        let raw: Vec<f64> =
            bytes[header_len..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(raw, support::read_npy(&s.output(name)).values, "{name}");
        assert!(raw.iter().all(|x| x.is_finite()), "{name}: {raw:?}");
    }
}

/// For a linear model u = Xw + b the loss ½‖Aθ − y‖² with A = [X | 1] and θ = (w, b) has
/// gradient Aᵀ(Aθ − y) and Hessian AᵀA, computed here by hand from the CSV.
#[test]
fn linear_model_hessian_is_xtx_with_a_bias_column() {
    let s = Setup::new();
    let rows: [[f64; 4]; 6] = [
        [0.5, -1.25, 2.0, 1.5],
        [-0.75, 0.5, 0.25, -0.5],
        [1.5, 2.0, -1.0, 0.25],
        [0.0, -0.5, 0.75, 2.0],
        [2.25, 1.0, 0.5, -1.0],
        [-1.5, 0.25, -2.0, 0.75],
    ];
    let mut csv = String::from("a,b,c,y\n");
    for r in &rows {
        csv.push_str(&format!("{},{},{},{}\n", r[0], r[1], r[2], r[3]));
    }
    s.write_input("linear.csv", &csv);
    let theta = [0.3, -0.7, 1.1, 0.2]; // W (3 × 1, row-major), then b.
    write_vector(&s.input("theta.npy"), &theta);
    let v = [1.0, -2.0, 0.5, 3.0];
    write_vector(&s.input("v4.npy"), &v);
    let args = s
        .args()
        .set("--arch", "3,1")
        .set("--data", s.input("linear.csv"))
        .set("--params", s.input("theta.npy"))
        .set("--hvp", s.input("v4.npy"));
    let result = run(args.argv());
    let (loss, params) = loss_and_params(&result);
    assert_eq!(params, 4);

    let a: Vec<[f64; 4]> = rows.iter().map(|r| [r[0], r[1], r[2], 1.0]).collect();
    let resid: Vec<f64> =
        a.iter().zip(&rows).map(|(ai, r)| (0..4).map(|j| ai[j] * theta[j]).sum::<f64>() - r[3]).collect();
    let want_loss = 0.5 * resid.iter().map(|r| r * r).sum::<f64>();
    let want_grad: Vec<f64> = (0..4).map(|j| a.iter().zip(&resid).map(|(ai, r)| ai[j] * r).sum()).collect();
    let want_h: Vec<f64> = (0..4)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .map(|(i, j)| a.iter().map(|ai| ai[i] * ai[j]).sum())
        .collect();
    let want_hv: Vec<f64> = (0..4).map(|i| (0..4).map(|j| want_h[i * 4 + j] * v[j]).sum()).collect();

    assert!(rel_err(&[loss], &[want_loss]) <= 1e-13, "loss {loss} vs {want_loss}");
    let g = read_vector(&s.output("g.npy"), 4);
    assert!(rel_err(&g, &want_grad) <= 1e-13, "gradient {g:?} vs {want_grad:?}");
    let h = read_square(&s.output("h.npy"), 4);
    assert!(rel_err(&h, &want_h) <= 1e-13, "Hessian {h:?} vs XᵀX {want_h:?}");
    let hv = read_vector(&s.output("hv.npy"), 4);
    assert!(rel_err(&hv, &want_hv) <= 1e-13, "HVP {hv:?} vs {want_hv:?}");
}

/// A linear PINN: with `--arch 1,1`, −u'' is linear in θ, so the Hessian is constant (it reads
/// neither θ nor f) and equals AᵀA for the rows A = (6x − 2, 2) of −u'' = A·θ.
#[test]
fn linear_pinn_runs() {
    let s = Setup::new();
    s.write_input("pinn.csv", "x,f\n0.1,1.0\n0.4,2.0\n0.8,-0.5\n");
    write_vector(&s.input("theta.npy"), &[0.7, -0.2]);
    write_vector(&s.input("v2.npy"), &[1.0, 0.5]);
    let args = s
        .args()
        .set("--problem", "pinn")
        .set("--arch", "1,1")
        .set("--data", s.input("pinn.csv"))
        .set("--params", s.input("theta.npy"))
        .set("--hvp", s.input("v2.npy"));
    let result = run(args.argv());
    let (loss, params) = loss_and_params(&result);
    assert_eq!(params, 2);
    // u = x(1−x)(w x + b) = w(x² − x³) + b(x − x²); −u'' = w(6x − 2) + 2b; r = −u'' − f.
    let pts = [(0.1, 1.0), (0.4, 2.0), (0.8, -0.5)];
    let rows: Vec<[f64; 2]> = pts.iter().map(|&(x, _)| [6.0 * x - 2.0, 2.0]).collect();
    let r: Vec<f64> = rows.iter().zip(&pts).map(|(a, &(_, f))| a[0] * 0.7 + a[1] * -0.2 - f).collect();
    let want_loss = 0.5 * r.iter().map(|r| r * r).sum::<f64>();
    assert!(rel_err(&[loss], &[want_loss]) <= 1e-12, "loss {loss} vs {want_loss}");
    let want_h: Vec<f64> = (0..2)
        .flat_map(|i| (0..2).map(move |j| (i, j)))
        .map(|(i, j)| rows.iter().map(|a| a[i] * a[j]).sum())
        .collect();
    let h = read_square(&s.output("h.npy"), 2);
    assert!(rel_err(&h, &want_h) <= 1e-12, "Hessian {h:?} vs {want_h:?}");
}

// ---------------------------------------------------------------------------------------------
// Bad arguments.

#[test]
fn wrong_parameter_count() {
    let s = Setup::new();
    write_vector(&s.input("params.npy"), &values(N - 1, 0.3));
    s.expect_error(&s.args(), &["params.npy", "expected 13", "found 12", ARCH]);
}

#[test]
fn arch_and_data_columns_disagree() {
    let s = Setup::new();
    // The data has 2 input columns.
    let line = s.expect_error(&s.args().set("--arch", "3,3,1"), &["--arch", "3,3,1", "3 input", "2 input"]);
    assert!(line.contains("column"), "{line}");
}

#[test]
fn output_width_not_one() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--arch", "2,3,2"), &["--arch", "2,3,2", "output width", "1"]);
}

#[test]
fn pinn_with_input_width_not_one() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--problem", "pinn"), &["--arch", ARCH, "pinn", "input width"]);
}

#[test]
fn unknown_activation() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--act", "relu"), &["--act", "relu", "tanh"]);
}

#[test]
fn unknown_problem() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--problem", "poisson"), &["--problem", "poisson", "regression", "pinn"]);
}

#[test]
fn malformed_arch() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--arch", "1,x,1"), &["--arch", "1,x,1", "'x'"]);
    s.expect_error(&s.args().set("--arch", "2,0,1"), &["--arch", "2,0,1", "positive"]);
    s.expect_error(&s.args().set("--arch", "2"), &["--arch"]);
}

#[test]
fn missing_params_flag() {
    let s = Setup::new();
    s.expect_error(&s.args().remove("--params"), &["--params", "required"]);
}

#[test]
fn hvp_without_hvp_out_and_the_converse() {
    let s = Setup::new();
    s.expect_error(&s.args().remove("--hvp-out"), &["--hvp-out"]);
    s.expect_error(&s.args().remove("--hvp"), &["--hvp <"]);
}

/// `saddle` alone is a user error like any other: one line that says a command is missing.
#[test]
fn no_subcommand() {
    let result = run(Vec::<OsString>::new());
    let line = result.user_error(&[]);
    assert!(
        line.contains("subcommand") || line.contains("derivs"),
        "the error should say a command is missing: {line}"
    );
}

#[test]
fn unknown_subcommand() {
    run(["frobnicate"]).user_error(&["frobnicate", "subcommand"]);
}

// ---------------------------------------------------------------------------------------------
// Bad data files.

#[test]
fn non_numeric_csv_cell_names_line_and_column() {
    let s = Setup::new();
    let data = s.write_input("data.csv", "x0,x1,y\n1,2,3\n4,5,6\n7,abc,9\n1,1,1\n");
    s.expect_error(&s.args().set("--data", &data), &["data.csv", "line 4", "column 2", "\"abc\""]);

    // Blank lines count as lines.
    s.write_input("blank.csv", "x0,x1,y\n\n1,2,3\n\n\n4,5,oops\n");
    s.expect_error(
        &s.args().set("--data", s.input("blank.csv")),
        &["blank.csv", "line 6", "column 3", "oops"],
    );

    // CRLF line endings.
    s.write_input("crlf.csv", "x0,x1,y\r\n1,2,3\r\n4,5,6\r\nz,5,6\r\n");
    s.expect_error(
        &s.args().set("--data", s.input("crlf.csv")),
        &["crlf.csv", "line 4", "column 1", "\"z\""],
    );

    // An empty cell.
    s.write_input("empty_cell.csv", "x0,x1,y\n1,2,3\n4,,6\n");
    s.expect_error(
        &s.args().set("--data", s.input("empty_cell.csv")),
        &["empty_cell.csv", "line 3", "column 2"],
    );
}

#[test]
fn non_finite_csv_cells() {
    let s = Setup::new();
    for (i, cell) in ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"].into_iter().enumerate() {
        let name = format!("nonfinite{i}.csv");
        s.write_input(&name, &format!("x0,x1,y\n1,2,3\n{cell},5,6\n"));
        s.expect_error(
            &s.args().set("--data", s.input(&name)),
            &[&name, "line 3", "column 1", cell, "finite"],
        );
    }
}

#[test]
fn ragged_csv_row() {
    let s = Setup::new();
    s.write_input("short.csv", "x0,x1,y\n1,2,3\n4,5,6\n7,8\n");
    s.expect_error(
        &s.args().set("--data", s.input("short.csv")),
        &["short.csv", "line 4", "expected 3", "found 2"],
    );
    s.write_input("long.csv", "x0,x1,y\n1,2,3\n4,5,6,7\n");
    s.expect_error(
        &s.args().set("--data", s.input("long.csv")),
        &["long.csv", "line 3", "expected 3", "found 4"],
    );
}

#[test]
fn header_only_csv() {
    let s = Setup::new();
    s.write_input("header.csv", "x0,x1,y\n");
    s.expect_error(&s.args().set("--data", s.input("header.csv")), &["header.csv", "no data rows"]);
    s.write_input("header_blank.csv", "x0,x1,y\n\n  \n");
    s.expect_error(
        &s.args().set("--data", s.input("header_blank.csv")),
        &["header_blank.csv", "no data rows"],
    );
}

#[test]
fn empty_and_single_column_csv() {
    let s = Setup::new();
    s.write_input("empty.csv", "");
    s.expect_error(&s.args().set("--data", s.input("empty.csv")), &["empty.csv", "empty"]);
    s.write_input("one.csv", "y\n1\n2\n");
    s.expect_error(&s.args().set("--data", s.input("one.csv")), &["one.csv", "1 column"]);
}

#[test]
fn missing_data_file() {
    let s = Setup::new();
    s.expect_error(
        &s.args().set("--data", s.input("nope.csv")),
        &["nope.csv", "cannot open", "no such file"],
    );
}

// ---------------------------------------------------------------------------------------------
// Bad .npy files.

#[test]
fn missing_params_file() {
    let s = Setup::new();
    s.expect_error(
        &s.args().set("--params", s.input("nope.npy")),
        &["nope.npy", "cannot open", "no such file"],
    );
}

#[test]
fn params_with_wrong_dtype() {
    let s = Setup::new();
    let path = s.input("p_i8.npy");
    write_npy_typed(&path, "<i8", &[N as u64], &[1i64; N]);
    s.expect_error(&s.args().set("--params", &path), &["p_i8.npy", "<f8", "int64", "<i8"]);

    let path = s.input("p_f4.npy");
    write_npy_typed(&path, "<f4", &[N as u64], &[0.5f32; N]);
    s.expect_error(&s.args().set("--params", &path), &["p_f4.npy", "<f8", "float32", "<f4"]);

    let path = s.input("p_be.npy");
    write_npy_typed(&path, ">f8", &[N as u64], &values(N, 0.3));
    s.expect_error(&s.args().set("--params", &path), &["p_be.npy", "<f8", "big-endian", ">f8"]);
}

#[test]
fn params_2d() {
    let s = Setup::new();
    // The right number of values, but a 13 × 1 matrix.
    let path = s.input("p_2d.npy");
    write_npy_typed(&path, "<f8", &[N as u64, 1], &values(N, 0.3));
    s.expect_error(&s.args().set("--params", &path), &["p_2d.npy", "1-D", "2-D", "(13, 1)"]);
}

#[test]
fn params_not_finite() {
    let s = Setup::new();
    let mut theta = values(N, 0.3);
    theta[3] = f64::NAN;
    write_vector(&s.input("p_nan.npy"), &theta);
    s.expect_error(
        &s.args().set("--params", s.input("p_nan.npy")),
        &["p_nan.npy", "finite", "NaN", "index 3"],
    );
    theta[3] = 0.0;
    theta[7] = f64::NEG_INFINITY;
    write_vector(&s.input("p_inf.npy"), &theta);
    s.expect_error(&s.args().set("--params", s.input("p_inf.npy")), &["p_inf.npy", "finite", "index 7"]);
}

#[test]
fn params_not_an_npy_file() {
    let s = Setup::new();
    s.write_input("p_text.npy", "0.1,0.2\n");
    s.expect_error(&s.args().set("--params", s.input("p_text.npy")), &["p_text.npy", "not a valid .npy"]);
}

#[test]
fn hvp_direction_of_wrong_length() {
    let s = Setup::new();
    write_vector(&s.input("v_short.npy"), &values(5, 0.0));
    s.expect_error(
        &s.args().set("--hvp", s.input("v_short.npy")),
        &["v_short.npy", "expected 13", "found 5"],
    );
}

// ---------------------------------------------------------------------------------------------
// Outputs are all-or-nothing.

#[test]
fn output_in_a_nonexistent_directory_writes_nothing() {
    for bad in ["--grad-out", "--hessian-out", "--hvp-out"] {
        let s = Setup::new();
        let missing = s.out.join("missing");
        let args = s.args().set(bad, missing.join("bad.npy"));
        let line = s.expect_error(&args, &["bad.npy", "missing", "does not exist"]);
        assert!(!missing.exists(), "{bad}: {line}");
    }
}

#[test]
fn failed_run_leaves_existing_outputs_untouched() {
    let s = Setup::new();
    fs::write(s.output("g.npy"), b"old gradient").unwrap();
    let args = s.args().set("--hessian-out", s.out.join("missing").join("h.npy"));
    let result = run(args.argv());
    result.user_error(&["h.npy", "does not exist"]);
    assert_eq!(files_in(&s.out), ["g.npy"]);
    assert_eq!(fs::read(s.output("g.npy")).unwrap(), b"old gradient");
}

#[test]
fn output_that_is_a_directory() {
    let s = Setup::new();
    let dir = s.out.join("adir");
    fs::create_dir(&dir).unwrap();
    let result = run(s.args().set("--hessian-out", &dir).argv());
    result.user_error(&["adir", "directory"]);
    assert_eq!(files_in(&s.out), ["adir"]);
    assert!(files_in(&dir).is_empty());
}

#[test]
fn same_output_named_twice() {
    let s = Setup::new();
    s.expect_error(&s.args().set("--hvp-out", s.output("g.npy")), &["g.npy", "more than one"]);
}

/// Paths are accepted relative to the working directory, and messages name them as given.
#[test]
fn relative_paths_are_named_as_given() {
    let s = Setup::new();
    let cwd = s.inp.parent().unwrap().to_path_buf();
    let rel = |p: &Path| p.strip_prefix(&cwd).unwrap().to_path_buf();
    let args = s.args().set("--data", rel(&s.input("nope.csv")));
    let output = support::saddle().args(args.argv()).current_dir(&cwd).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr, "error: in/nope.csv: cannot open: no such file or directory\n");
}
