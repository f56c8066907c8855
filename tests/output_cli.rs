//! What `compare`, `fit`, `sweep` and `problem` print: the same one-line JSON whenever stdout
//! is not a terminal (as here, piped) with or without `--json`, and a table in its place on
//! a terminal.

mod support;

use clap::Parser;
use saddle_cli::Output;
use saddle_cli::args::Cli;
use support::{run, workspace_root};

/// The four commands, each small enough to run in a moment.
fn commands(out: &str) -> Vec<Vec<String>> {
    let root = workspace_root();
    let sine = root.join("examples/sine.csv").display().to_string();
    let file = root.join("examples/problems/sine.toml").display().to_string();
    let model = ["--problem", "regression", "--arch", "1,3,1", "--act", "tanh", "--data", &sine];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter().chain(&model).chain(tail).map(|s| s.to_string()).collect()
    };
    vec![
        with(&["fit"], &["--solver", "lm", "--max-iter", "3"]),
        with(&["compare"], &["--solvers", "lm,bfgs", "--max-iter", "3"]),
        with(&["sweep"], &["--solvers", "lm", "--seeds", "2", "--max-iter", "3", "--out", out]),
        vec!["problem".into(), file],
    ]
}

#[test]
fn piped_output_is_the_same_json_with_or_without_the_json_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl").display().to_string();
    for args in commands(&out) {
        let plain = run(&args);
        let summary = plain.success_json();
        assert!(!summary.is_empty(), "{args:?}");
        let before = run(std::iter::once("--json".to_string()).chain(args.iter().cloned()));
        let after = run(args.iter().cloned().chain(["--json".to_string()]));
        for flagged in [before, after] {
            flagged.success_json();
            assert_eq!(flagged.stdout, plain.stdout, "{args:?}");
        }
    }
    // `solvers` keeps its own meaning of --json: Markdown by default, JSON with it.
    assert!(run(["solvers"]).stdout.starts_with("| solver |"));
    assert!(run(["solvers", "--json"]).success_json().contains_key("solvers"));
    assert!(run(["--json", "solvers"]).success_json().contains_key("solvers"));
}

#[test]
fn on_a_terminal_each_command_prints_a_table_of_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs.jsonl").display().to_string();
    let firsts = ["field  ", "problem: regression", "runs: 2   plan_runs: 2", "file: "];
    let headers = ["field ", "solver  status  ", "solver  fitted  minimum", "term  "];
    for ((args, first), header) in commands(&out).into_iter().zip(firsts).zip(headers) {
        let cli = Cli::try_parse_from(std::iter::once("saddle".to_string()).chain(args.clone())).unwrap();
        let Output::Text(table) = saddle_cli::run_as(&cli, true).unwrap() else {
            panic!("{args:?}: expected a table");
        };
        assert!(table.starts_with(first), "{args:?}: {table}");
        assert!(table.lines().any(|l| l.starts_with(header)), "{args:?}: {table}");
        assert!(!table.contains('{'), "{args:?}: {table}");
        // The table proper (its header, a rule, the rows) is aligned: no line is longer than
        // the rule, and every gap between the rule's columns is a gap in every line.
        let lines: Vec<&str> = table.lines().skip_while(|l| !l.starts_with(header)).collect();
        assert!(lines.len() > 2, "{table}");
        let rule = lines[1];
        assert!(rule.starts_with("---") && rule.chars().all(|c| c == '-' || c == ' '), "{table}");
        for line in &lines {
            let chars: Vec<char> = line.chars().collect();
            assert!(chars.len() <= rule.chars().count(), "{line:?} is longer than the rule\n{table}");
            for (at, gap) in rule.chars().enumerate() {
                assert!(gap == '-' || chars.get(at).is_none_or(|&c| c == ' '), "{line:?}\n{table}");
            }
        }
        // With --json the same command gives its JSON, as when piped.
        let cli = Cli::try_parse_from(["saddle", "--json"].into_iter().map(String::from).chain(args.clone()))
            .unwrap();
        assert!(matches!(saddle_cli::run(&cli).unwrap(), Output::Json(_)), "{args:?}");
    }
}

/// A reader that stops early closes the pipe: the run still succeeds, quietly, and a
/// full disk is one `error:` line.
#[test]
fn a_closed_pipe_is_not_an_error_and_a_full_disk_is() {
    let mut child = support::saddle()
        .args(["solvers"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let out = support::saddle().args(["solvers"]).stdout(full).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with("error: writing the output to stdout:") && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
}
