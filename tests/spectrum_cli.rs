//! `saddle spectrum` end to end, against the eigenvalues of the dense Hessian that
//! `saddle derivs --hessian-out` writes (itself checked against JAX in reference.rs),
//! decomposed here by faer: extreme eigenvalues by both methods, the exact negative
//! count, Hutch++ and the density's moments within their standard errors, G + (H − G)
//! = H, determinism, argument errors, and networks too large for dense matrices.

mod support;

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};
use support::{files_in, read_square, run, saddle, write_vector};

/// Writes `points` rows `x,target` with x evenly spaced in (0, 1).
fn write_data(path: &Path, points: usize, target: impl Fn(f64) -> f64) {
    let mut text = String::from("x,y\n");
    for i in 0..points {
        let x = (i as f64 + 0.5) / points as f64;
        text.push_str(&format!("{x:?},{:?}\n", target(x)));
    }
    fs::write(path, text).unwrap();
}

/// θᵢ = 0.8·sin(1.7·i + 0.3): a fixed point away from any symmetry.
fn theta(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.8 * (1.7 * i as f64 + 0.3).sin()).collect()
}

/// One problem of the tests, with its files in a temporary directory.
struct Case {
    dir: tempfile::TempDir,
    problem: &'static str,
    arch: &'static str,
    n: usize,
}

impl Case {
    fn new(problem: &'static str, arch: &'static str, n: usize, points: usize) -> Case {
        let dir = tempfile::TempDir::new().unwrap();
        match problem {
            "pinn" => write_data(&dir.path().join("data.csv"), points, |x| {
                std::f64::consts::PI.powi(2) * (std::f64::consts::PI * x).sin()
            }),
            _ => write_data(&dir.path().join("data.csv"), points, |x| (6.0 * x).sin() + 0.3 * x),
        }
        write_vector(&dir.path().join("p.npy"), &theta(n));
        Case { dir, problem, arch, n }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn args(&self, command: &str) -> Vec<String> {
        let mut args: Vec<String> = vec![command.into(), "--problem".into(), self.problem.into()];
        args.extend(["--arch", self.arch, "--act", "tanh"].map(String::from));
        args.extend(["--data".into(), self.path("data.csv"), "--params".into(), self.path("p.npy")]);
        args
    }

    /// `saddle spectrum` with `extra` arguments; its JSON.
    fn spectrum(&self, extra: &[&str]) -> Map<String, Value> {
        let mut args = self.args("spectrum");
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args).success_json()
    }

    /// The dense Hessian from `saddle derivs`, row-major.
    fn hessian(&self) -> Vec<f64> {
        let mut args = self.args("derivs");
        args.extend(["--hessian-out".into(), self.path("h.npy")]);
        run(&args).success_json();
        read_square(&self.dir.path().join("h.npy"), self.n)
    }
}

/// The eigenvalues of the symmetric row-major `h`, ascending (faer).
fn eigenvalues(h: &[f64], n: usize) -> Vec<f64> {
    let m = faer::Mat::from_fn(n, n, |i, j| h[i * n + j]);
    m.as_ref().self_adjoint_eigenvalues(faer::Side::Lower).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Asserts each of `got` within 1e-8 relative of `want`.
fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-8 * w.abs(), "{what}: {g} vs {w} (all: {got:?} vs {want:?})");
    }
}

/// The regression and PINN cases of the comparison with the dense eigendecomposition.
fn cases() -> [Case; 2] {
    [Case::new("regression", "1,6,6,1", 61, 24), Case::new("pinn", "1,5,5,1", 46, 20)]
}

#[test]
fn extreme_eigenvalues_and_negative_count_match_the_dense_spectrum() {
    for case in cases() {
        let n = case.n;
        let eigs = eigenvalues(&case.hessian(), n);
        let scale = eigs[0].abs().max(eigs[n - 1].abs());
        let negative = eigs.iter().filter(|&&l| l < -1e-10 * scale).count();
        assert!(negative > 0 && negative < n, "{}: a saddle ({negative} negative)", case.problem);
        let top: Vec<f64> = eigs.iter().rev().take(4).copied().collect();
        let bottom: Vec<f64> = eigs.iter().take(3).copied().collect();
        for method in ["dense", "lanczos"] {
            let s = case.spectrum(&["--top", "4", "--bottom", "3", "--method", method]);
            let what = format!("{} {method}", case.problem);
            assert_eq!(s["method"], method, "{what}");
            assert_eq!((s["params"].as_u64(), s["operator"].as_str()), (Some(n as u64), Some("hessian")));
            assert_close(&numbers(&s["top"]), &top, &format!("{what} top"));
            assert_close(&numbers(&s["bottom"]), &bottom, &format!("{what} bottom"));
            assert_eq!(s["negative"]["exact"].as_u64(), Some(negative as u64), "{what}");
            assert_eq!(s["negative"]["estimate"].as_f64(), Some(negative as f64), "{what}");
        }
        // --negative exact asks for the count, estimate skips it: null without a density,
        // the density's estimate with one.
        let s = case.spectrum(&["--method", "lanczos", "--negative", "exact"]);
        assert_eq!(s["negative"]["exact"].as_u64(), Some(negative as u64));
        let s = case.spectrum(&["--method", "lanczos", "--negative", "estimate"]);
        assert!(
            s["negative"]["exact"].is_null() && s["negative"]["estimate"].is_null(),
            "{:?}",
            s["negative"]
        );
        let density = case.path("d.csv");
        let s = case.spectrum(&["--method", "lanczos", "--negative", "estimate", "--density", &density]);
        // The density's Gauss-Radau bracket holds the exact count (to three standard errors).
        let (estimate, upper) =
            (s["negative"]["estimate"].as_f64().unwrap(), s["negative"]["upper"].as_f64().unwrap());
        let se = 3.0 * s["negative"]["stderr"].as_f64().unwrap();
        assert!(
            s["negative"]["exact"].is_null()
                && estimate - se <= negative as f64
                && negative as f64 <= upper + se,
            "{:?} vs {negative}",
            s["negative"]
        );
        // Lanczos reports its convergence.
        let s = case.spectrum(&["--top", "4", "--bottom", "3", "--method", "lanczos"]);
        assert_eq!(s["lanczos"]["converged"], true);
        assert!(numbers(&s["lanczos"]["top_bounds"]).iter().all(|b| *b <= 1e-10 * scale));
        // auto is dense at this size.
        assert_eq!(case.spectrum(&[])["method"], "dense");
    }
}

#[test]
fn hutch_pp_trace_and_density_moments_within_their_standard_errors() {
    for case in cases() {
        let n = case.n;
        let h = case.hessian();
        let trace: f64 = (0..n).map(|i| h[i * n + i]).sum();
        let frobenius2: f64 = h.iter().map(|x| x * x).sum();
        let dense = case.spectrum(&["--trace", "--method", "dense"]);
        assert!((dense["trace"]["estimate"].as_f64().unwrap() - trace).abs() <= 1e-10 * frobenius2.sqrt());
        assert_eq!(dense["trace"]["stderr"].as_f64(), Some(0.0));

        let density = case.path("density.csv");
        let s = case.spectrum(&[
            "--trace",
            "--density",
            &density,
            "--probes",
            "8",
            "--steps",
            "12",
            "--method",
            "lanczos",
        ]);
        let (estimate, stderr) =
            (s["trace"]["estimate"].as_f64().unwrap(), s["trace"]["stderr"].as_f64().unwrap());
        assert!(stderr > 0.0 && (estimate - trace).abs() <= 3.0 * stderr, "{estimate} ± {stderr} vs {trace}");

        // Moments of the density: tr H / n and tr H² / n = ‖H‖²_F / n, with more probes.
        let s = case.spectrum(&[
            "--density",
            &density,
            "--probes",
            "200",
            "--steps",
            "12",
            "--method",
            "lanczos",
        ]);
        let d = &s["density"];
        let (moments, errors) = (numbers(&d["moments"]), numbers(&d["moments_stderr"]));
        let exact = [trace / n as f64, frobenius2 / n as f64];
        for k in 0..2 {
            assert!(
                (moments[k] - exact[k]).abs() <= 3.0 * errors[k],
                "{} moment {}: {} ± {} vs {}",
                case.problem,
                k + 1,
                moments[k],
                errors[k],
                exact[k]
            );
        }
        // The CSV: header, a density that integrates to 1 with those moments (plus σ² for
        // the second, the Gaussians' own variance).
        let text = fs::read_to_string(&density).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("lambda,density"));
        let curve: Vec<(f64, f64)> = lines
            .map(|l| {
                let (x, y) = l.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert!(curve.len() > 100 && curve.iter().all(|p| p.1 >= 0.0));
        let integral = |f: &dyn Fn(f64) -> f64| -> f64 {
            curve
                .windows(2)
                .map(|w| 0.5 * (w[1].0 - w[0].0) * (f(w[0].0) * w[0].1 + f(w[1].0) * w[1].1))
                .sum()
        };
        let sigma = d["sigma"].as_f64().unwrap();
        assert!((integral(&|_| 1.0) - 1.0).abs() < 1e-9);
        assert!((integral(&|x| x) - moments[0]).abs() < 1e-6 * exact[1].sqrt());
        assert!((integral(&|x| x * x) - moments[1] - sigma * sigma).abs() < 1e-6 * exact[1]);
        // The negative count's estimate comes from LBLᵀ here (n is small), exactly.
        assert_eq!(s["negative"]["estimate"], s["negative"]["exact"]);
    }
}

#[test]
fn gauss_newton_and_residual_parts_add_up_to_the_hessian() {
    for case in cases() {
        let traces: Vec<f64> = ["hessian", "gauss-newton", "residual"]
            .iter()
            .map(|op| {
                case.spectrum(&["--operator", op, "--method", "dense"])["trace"]["estimate"].as_f64().unwrap()
            })
            .collect();
        assert!((traces[1] + traces[2] - traces[0]).abs() <= 1e-10 * traces[1].abs(), "{traces:?}");
        // G = JᵀJ is positive semidefinite (to rounding), by both methods, which agree.
        let dense = case.spectrum(&["--operator", "gauss-newton", "--top", "3", "--method", "dense"]);
        let lanczos = case.spectrum(&["--operator", "gauss-newton", "--top", "3", "--method", "lanczos"]);
        assert_close(&numbers(&lanczos["top"]), &numbers(&dense["top"]), "G top");
        let top = numbers(&dense["top"])[0];
        for s in [&dense, &lanczos] {
            assert!(numbers(&s["bottom"])[0] >= -1e-10 * top);
            assert_eq!(s["negative"]["exact"], 0);
        }
        let dense =
            case.spectrum(&["--operator", "residual", "--top", "2", "--bottom", "2", "--method", "dense"]);
        let lanczos =
            case.spectrum(&["--operator", "residual", "--top", "2", "--bottom", "2", "--method", "lanczos"]);
        assert_close(&numbers(&lanczos["top"]), &numbers(&dense["top"]), "H − G top");
        assert_close(&numbers(&lanczos["bottom"]), &numbers(&dense["bottom"]), "H − G bottom");
        assert_eq!(lanczos["negative"]["exact"], dense["negative"]["exact"]);
    }
    // A linear model's residuals are linear in θ: H = G and the residual part is zero.
    let case = Case::new("regression", "1,1", 2, 10);
    let h = case.spectrum(&["--top", "2", "--bottom", "0"]);
    let g = case.spectrum(&["--operator", "gauss-newton", "--top", "2", "--bottom", "0"]);
    let r = case.spectrum(&["--operator", "residual", "--top", "1", "--bottom", "1"]);
    assert_close(&numbers(&g["top"]), &numbers(&h["top"]), "linear model: G = H");
    let scale = numbers(&h["top"])[0];
    assert!(numbers(&r["top"])[0].abs() <= 1e-12 * scale && numbers(&r["bottom"])[0].abs() <= 1e-12 * scale);
}

#[test]
fn the_seed_fixes_every_number_whatever_the_thread_count() {
    let case = Case::new("regression", "1,6,6,1", 61, 24);
    let density = case.path("d.csv");
    let mut args = case.args("spectrum");
    args.extend(
        [
            "--top",
            "3",
            "--bottom",
            "2",
            "--trace",
            "--density",
            &density,
            "--probes",
            "6",
            "--method",
            "lanczos",
        ]
        .map(String::from),
    );
    let with = |threads: &str, seed: &str| {
        let out =
            saddle().args(&args).args(["--seed", seed]).env("RAYON_NUM_THREADS", threads).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), fs::read_to_string(&density).unwrap())
    };
    let first = with("1", "5");
    assert_eq!(first, with("2", "5"), "the same on 1 and 2 threads");
    assert_eq!(first, with("2", "5"), "the same on a second run");
    let other = with("1", "6");
    assert_ne!(first.0, other.0, "another seed, other probes");
}

#[test]
fn bad_arguments_are_one_line_errors_and_write_nothing() {
    let case = Case::new("regression", "1,3,1", 10, 8);
    let density = case.path("d.csv");
    let spectrum = |extra: &[&str]| {
        let mut args = case.args("spectrum");
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args)
    };
    spectrum(&["--top", "11"]).user_error(&["--top 11", "10"]);
    spectrum(&["--bottom", "11"]).user_error(&["--bottom 11", "10"]);
    spectrum(&["--trace", "--probes", "0"]).user_error(&["--probes", "at least 1"]);
    spectrum(&["--density", &density, "--steps", "0"]).user_error(&["--steps", "at least 1"]);
    spectrum(&["--probes", "5"]).user_error(&["--probes", "--trace", "--density"]);
    spectrum(&["--trace", "--steps", "5"]).user_error(&["--steps", "--density"]);
    spectrum(&["--operator", "fisher"]).user_error(&["fisher"]);
    spectrum(&["--method", "qr"]).user_error(&["qr"]);
    spectrum(&["--negative", "sometimes"]).user_error(&["sometimes"]);
    spectrum(&["--density", &case.path("missing/d.csv")]).user_error(&["d.csv"]);
    assert_eq!(files_in(case.dir.path()), ["data.csv", "p.npy"]);

    // Dense matrices too large for the dense limit are refused with the memory they need.
    let wide = Case::new("regression", "1,20000,1", 60001, 8);
    let mut args = wide.args("spectrum");
    args.extend(["--method", "dense"].map(String::from));
    run(&args).user_error(&["60001 × 60001 Hessian", "26.8 GiB", "--method lanczos"]);
    let mut args = wide.args("spectrum");
    args.extend(["--negative", "exact"].map(String::from));
    run(&args).user_error(&["--negative exact", "60001 × 60001 Hessian", "--negative estimate"]);
}

#[test]
fn large_networks_refuse_dense_solvers_and_never_abort() {
    let dir = tempfile::TempDir::new().unwrap();
    let data = dir.path().join("data.csv");
    write_data(&data, 16, |x| x.sin());
    let data = data.to_string_lossy().into_owned();
    let fit = |arch: &str, solver: &str| {
        run([
            "fit",
            "--problem",
            "regression",
            "--arch",
            arch,
            "--act",
            "tanh",
            "--data",
            &data,
            "--solver",
            solver,
        ])
    };
    // 1,20000,1 has 60001 parameters: a 26.8 GiB Hessian.
    for solver in ["newton", "trust-region", "saddle-free-newton", "bfgs"] {
        fit("1,20000,1", solver).user_error(&[
            "n = 60001",
            "26.8 GiB",
            "matrix-free solver: newton-minres, newton-cg, lbfgs, adam, gd",
        ]);
    }
    fit("1,20000,1", "lm").user_error(&["n = 60001", "adam"]);
    // Ten billion parameters: an error, not an abort.
    fit("1,100000,100000,1", "adam").user_error(&["1,100000,100000,1", "10000400001 parameters"]);
    // (`saddle bench` skips the Hessian there: tests/bench_cli.rs.)
    let p = dir.path().join("p.npy");
    write_vector(&p, &vec![0.1; 60001]);
    let h = dir.path().join("h.npy");
    let (p, h) = (p.to_string_lossy().into_owned(), h.to_string_lossy().into_owned());
    run([
        "derivs",
        "--problem",
        "regression",
        "--arch",
        "1,20000,1",
        "--act",
        "tanh",
        "--data",
        &data,
        "--params",
        &p,
        "--hessian-out",
        &h,
    ])
    .user_error(&["--hessian-out", "26.8 GiB"]);
    // Adam on the same network runs, and its end point is analysed matrix-free.
    let out = run([
        "fit",
        "--problem",
        "regression",
        "--arch",
        "1,20000,1",
        "--act",
        "tanh",
        "--data",
        &data,
        "--solver",
        "adam",
        "--max-iter",
        "2",
    ]);
    let s = out.success_json();
    assert_eq!(s["analysis"], "lanczos");
    assert_eq!(s["inertia"], Value::Null);
    assert!(s["max_eig"].as_f64().unwrap() > 0.0);
}
