//! `cargo xtask figures --quick` end to end: every figure and CSV is produced, the CSVs
//! hold finite numbers, F5's shares can be recomputed from its JSON lines, F9 and F10
//! hold every solver and stage of the field's problems, and F11's split adds up.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const STEMS: [&str; 13] = [
    "f1_linear_vs_network",
    "f2_solvers",
    "f3_spectra",
    "f4_learned_basis",
    "f5_shares",
    "f6_pinn",
    "f6_pinn_basis",
    "f7_loss_vs_index",
    "f8_landscape",
    "f9_poisson2d",
    "f9_time",
    "f10_field",
    "f11_curvature",
];

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

#[test]
fn quick_figures_are_complete_finite_and_consistent() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["figures", "--quick", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());

    for stem in STEMS {
        for ext in ["svg", "png"] {
            let path = out.path().join(format!("{stem}.{ext}"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(bytes.len() > 1000, "{} is nearly empty", path.display());
        }
        let svg = std::fs::read_to_string(out.path().join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<text"), "{stem}.svg has no text");
    }
    // Every CSV: at least one row, every row as wide as the header, every number finite,
    // and every column that holds a number holds only numbers.
    let mut csvs = 0;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        csvs += 1;
        let (header, rows) = read_csv(&path);
        assert!(!rows.is_empty(), "{} has no rows", path.display());
        for col in 0..header.len() {
            let numbers: Vec<Option<f64>> = rows.iter().map(|r| r[col].parse::<f64>().ok()).collect();
            if header[col].ends_with("_reaches") {
                // The stationary point a start reaches: its number, or none.
                assert!(
                    rows.iter().all(|r| r[col] == "none" || r[col].parse::<usize>().is_ok_and(|k| k >= 1))
                );
            } else if numbers.iter().any(Option::is_some) {
                for (row, v) in numbers.iter().enumerate() {
                    let v = v.unwrap_or_else(|| {
                        panic!("{}: column {} row {row} is not a number", path.display(), header[col])
                    });
                    assert!(v.is_finite(), "{}: column {} row {row} is {v}", path.display(), header[col]);
                }
            }
        }
    }
    assert!(csvs >= STEMS.len());

    // F5's shares, recomputed from the runs' JSON lines.
    let lines = std::fs::read_to_string(out.path().join("f5_runs.jsonl")).unwrap();
    let mut counts: HashMap<(String, String, String), usize> = HashMap::new();
    let mut runs: HashMap<(String, String), usize> = HashMap::new();
    for line in lines.lines() {
        let run: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (run["arch"].as_str().unwrap().to_string(), run["solver"].as_str().unwrap().to_string());
        *runs.entry(key.clone()).or_default() += 1;
        *counts.entry((key.0, key.1, run["category"].as_str().unwrap().to_string())).or_default() += 1;
    }
    let (header, rows) = read_csv(&out.path().join("f5_shares.csv"));
    assert_eq!(rows.len(), runs.len());
    for row in &rows {
        let key = (row[0].clone(), row[1].clone());
        assert_eq!(row[2].parse::<usize>().unwrap(), runs[&key]);
        for (col, category) in header.iter().enumerate().skip(3) {
            let expected =
                counts.get(&(key.0.clone(), key.1.clone(), category.clone())).copied().unwrap_or(0);
            let share: f64 = row[col].parse().unwrap();
            assert!((share - expected as f64 / runs[&key] as f64).abs() < 1e-15, "{key:?} {category}");
        }
    }

    // F9: one end per solver of ENGD's setting (one seed when quick); F10: every stage of
    // each of Rathore et al.'s problems.
    let (header, rows) = read_csv(&out.path().join("f9_poisson2d.csv"));
    assert_eq!(header[0], "solver");
    let solvers: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        solvers,
        ["engd", "lm", "gauss-newton", "ssbroyden", "bfgs", "newton", "newton-pinv", "saddle-free-newton"]
    );
    let (_, rows) = read_csv(&out.path().join("f10_field.csv"));
    for problem in ["convection", "reaction", "wave"] {
        for stage in ["adam", "lbfgs", "nncg", "newton", "newton-pinv"] {
            assert!(rows.iter().any(|r| r[0] == problem && r[1] == stage), "f10: no {problem} {stage}");
        }
    }

    // F11: at each of the four single ends, G's eigenvalues are ≥ 0 to rounding, and the
    // traces of H, G and H − G (three dense spectra computed apart) add up.
    let (header, rows) = read_csv(&out.path().join("f11_curvature.csv"));
    assert_eq!(header, ["end", "operator", "quantity", "x", "y"]);
    let eigenvalues = |end: &str, op: &str| -> Vec<f64> {
        rows.iter()
            .filter(|r| r[0] == end && r[1] == op && r[2] == "eigenvalue")
            .map(|r| r[4].parse().unwrap())
            .collect()
    };
    let mut ends: Vec<&str> = rows.iter().filter(|r| r[2] == "eigenvalue").map(|r| r[0].as_str()).collect();
    ends.dedup();
    assert_eq!(ends.len(), 4, "{ends:?}");
    for end in ends {
        let [h, g, r] = ["H", "G = JᵀJ", "H − G"].map(|op| eigenvalues(end, op));
        assert!(h.len() > 1 && h.len() == g.len() && g.len() == r.len(), "{end}");
        let scale = h.iter().chain(&g).fold(0.0f64, |m, l| m.max(l.abs()));
        assert!(g.iter().all(|&l| l >= -1e-12 * scale), "{end}: G has a negative eigenvalue");
        let trace = |v: &[f64]| v.iter().sum::<f64>();
        assert!((trace(&h) - trace(&g) - trace(&r)).abs() <= 1e-10 * scale * h.len() as f64, "{end}");
    }
    // The SLQ counts of eigenvalues ≤ λ at the larger network's ends rise from 0 to n = 97.
    for op in ["H", "G = JᵀJ", "H − G"] {
        let f: Vec<f64> = rows
            .iter()
            .filter(|r| r[1] == op && r[2] == "count_below")
            .map(|r| r[4].parse().unwrap())
            .collect();
        assert!(f.len() > 2 && f.windows(2).all(|w| w[0] <= w[1] + 1e-9 || w[1] == 0.0), "f11: F of {op}");
        assert!((f.last().unwrap() - 97.0).abs() < 1e-9, "f11: F of {op} ends at {}", f.last().unwrap());
    }
}

#[test]
fn an_unknown_experiment_is_one_error_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["figures", "--quick", "--only", "F12", "--out", "unused"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(stderr.contains("--only F12") && stderr.contains("F11"), "{stderr}");
    assert!(!std::path::Path::new("unused").exists());
}

#[test]
fn f10_shards_are_checked_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let cases: [(&[&str], &[&str]); 3] = [
        (&["--shard", "reaction"], &["--only F10"]),
        (&["--only", "F10", "--shard", "heat"], &["--shard heat", "convection, reaction, wave"]),
        (&["--only", "F10", "--merge"], &["convection.json", "--shard convection"]),
    ];
    for (args, needles) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["figures", "--quick", "--out", out])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(needles.iter().all(|n| errors[0].contains(n)), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a failed run left files");
}

#[test]
fn a_bad_output_directory_is_one_error_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["figures", "--quick", "--out"])
        .arg(file.path().join("inside-a-file"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("inside-a-file"), "{stderr}");
}
