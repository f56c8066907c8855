//! `cargo xtask figures --quick` end to end: every figure and CSV is produced, the CSVs
//! hold finite numbers, F5's shares can be recomputed from its JSON lines, F9 and F10
//! hold every solver and stage of the field's problems, F11's split adds up, and F12's
//! shares can be recomputed from its shards' JSON lines.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const STEMS: [&str; 14] = [
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
    "f12_scale",
];

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// Runs and category counts per (`field`, solver) of a sweep's JSON lines.
#[allow(clippy::type_complexity)]
fn tally(
    lines: &str,
    field: &str,
) -> (HashMap<(String, String), usize>, HashMap<(String, String, String), usize>) {
    let mut counts: HashMap<(String, String, String), usize> = HashMap::new();
    let mut runs: HashMap<(String, String), usize> = HashMap::new();
    for line in lines.lines() {
        let run: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (run[field].as_str().unwrap().to_string(), run["solver"].as_str().unwrap().to_string());
        *runs.entry(key.clone()).or_default() += 1;
        *counts.entry((key.0, key.1, run["category"].as_str().unwrap().to_string())).or_default() += 1;
    }
    (runs, counts)
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
    let (runs, counts) = tally(&lines, "arch");
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

    // F12's shares, recomputed from its four shards' JSON lines; every size has its solvers.
    let (header, rows) = read_csv(&out.path().join("f12_scale.csv"));
    assert_eq!(header[..4], ["size", "n", "solver (budget)", "runs"]);
    let categories = ["fitted", "minimum", "degenerate", "saddle", "not_converged"];
    assert_eq!(header[4..9], categories);
    for (size, solvers) in [
        ("sine-128", &["newton-minres(max_products=2000):4", "lbfgs:4"][..]),
        ("sine-256", &["newton-minres(max_products=2000):4", "lbfgs:4"]),
        ("poisson-64", &["newton-minres(max_products=500):4", "newton-pinv:4", "lm:4", "bfgs:4", "lbfgs:4"]),
        ("poisson-128", &["newton-minres(max_products=300):4", "lbfgs:4"]),
    ] {
        let lines = std::fs::read_to_string(out.path().join(format!("f12/{size}.jsonl"))).unwrap();
        let (runs, counts) = tally(&lines, "problem");
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == size).collect();
        assert_eq!(mine.iter().map(|r| r[2].as_str()).collect::<Vec<_>>(), solvers, "f12 {size}");
        for row in mine {
            let key = runs.keys().find(|k| k.1 == row[2]).unwrap().clone();
            assert_eq!(row[3].parse::<usize>().unwrap(), 2);
            assert_eq!(runs[&key], 2);
            for (col, category) in categories.iter().enumerate() {
                let expected = counts.get(&(key.0.clone(), key.1.clone(), category.to_string())).copied();
                let share: f64 = row[4 + col].parse().unwrap();
                assert_eq!(share, expected.unwrap_or(0) as f64 / 2.0, "f12 {size} {key:?} {category}");
            }
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
        .args(["figures", "--quick", "--only", "F13", "--out", "unused"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(stderr.contains("--only F13") && stderr.contains("F12"), "{stderr}");
    assert!(!std::path::Path::new("unused").exists());
}

#[test]
fn shards_are_checked_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let cases: [(&[&str], &[&str]); 7] = [
        (&["--shard", "reaction"], &["--only F10 or --only F12"]),
        (&["--only", "F9", "--merge"], &["--only F10 or --only F12"]),
        (&["--only", "F10", "--only", "F12", "--merge"], &["--only F10 or --only F12"]),
        (&["--only", "F10", "--shard", "heat"], &["--shard heat", "F10", "convection, reaction, wave"]),
        (&["--only", "F10", "--merge"], &["convection.json", "--shard convection"]),
        (
            &["--only", "F12", "--shard", "wave"],
            &["--shard wave", "sine-128, sine-256, poisson-64, poisson-128"],
        ),
        (&["--only", "F12", "--merge"], &["sine-128.jsonl", "--only F12 --shard sine-128"]),
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

#[test]
fn reproduction_md_holds_the_f12_tables_of_the_committed_shards() {
    // `--merge` from docs/figures/f12 (copied, so nothing in the repository is written)
    // must give REPRODUCTION.md's f12 and f12_newton tables, row for row.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir(out.path().join("f12")).unwrap();
    for size in ["sine-128", "sine-256", "poisson-64", "poisson-128"] {
        let name = format!("{size}.jsonl");
        std::fs::copy(root.join("docs/figures/f12").join(&name), out.path().join("f12").join(&name)).unwrap();
    }
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["figures", "--only", "F12", "--merge", "--out"])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let tables = std::fs::read_to_string(out.path().join("tables.md")).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/REPRODUCTION.md")).unwrap();
    for name in ["f12", "f12_newton"] {
        let made =
            tables.split(&format!("## {name}\n\n")).nth(1).unwrap().split("\n\n").next().unwrap().trim();
        let marker = format!("<!-- table:{name} -->\n");
        let published = doc.split(&marker).nth(1).unwrap().split("<!-- /table -->").next().unwrap().trim();
        assert_eq!(published, made, "docs/REPRODUCTION.md's table {name} is stale: rerun --only F12 --merge");
        assert!(made.lines().count() >= 6, "{name}: {made}");
    }
}
