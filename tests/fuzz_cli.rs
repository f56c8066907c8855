//! A fuzz test of the command line: a fixed corpus of generated command lines and problem
//! files (a seeded generator, so the same cases every run; issue 25's cases among them),
//! each run of the binary within a time bound, with the contract every run must keep:
//! exit code 0 or 2; on 2, nothing on stdout and exactly one line on stderr, starting
//! `error: `; no panic and no abort; no file created, changed or left half-written by a
//! failed run, and no input changed by any run.
//!
//! Heavy but valid requests are refused by the memory check (`SADDLE_MEMORY_LIMIT` is
//! 512 MiB here) or bounded (`fit` gets `--max-seconds`), so the whole corpus takes well
//! under a minute on two cores.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{saddle, workspace_root, write_vector};

/// Every run must end within this.
const TIME_BOUND: Duration = Duration::from_secs(10);

/// The generated cases on top of the fixed ones.
const GENERATED: usize = 280;

/// The generator's seed.
const SEED: u64 = 25;

/// A deterministic generator (SplitMix64).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One run: its arguments and a problem file of its own (`gen.toml`), if any.
#[derive(Clone, Debug)]
struct Case {
    args: Vec<String>,
    toml: Option<String>,
}

fn case(args: &[&str]) -> Case {
    Case { args: args.iter().map(|s| s.to_string()).collect(), toml: None }
}

/// Flags whose value is a file the command writes.
const OUTPUT_FLAGS: [&str; 8] = [
    "--grad-out",
    "--hessian-out",
    "--hvp-out",
    "--out",
    "--params-out",
    "--checkpoint",
    "--density",
    "--resume",
];

const COUNTS: [&str; 14] = [
    "3",
    "1",
    "0",
    "-1",
    "-0",
    "+2",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "1e3",
    "2.5",
    "abc",
    "",
    "nan",
];
const SEEDS: [&str; 8] = ["7", "0", "-1", "18446744073709551615", "18446744073709551616", "x", "", "1.0"];
const FLOATS: [&str; 12] =
    ["1e-3", "0", "0.5", "-1", "-1e-3", "nan", "inf", "-inf", "1e400", "abc", "", "1e-300"];
const ARCHS: [&str; 9] =
    ["1,10,1", "1,3,1", "1,,1", "0,3,1", "1,3,2", "1,100000000,1", "2,3,1", "1,3,3,1", "1"];
const ACTS: [&str; 4] = ["tanh", "sin", "relu", ""];
const SOLVERS: [&str; 14] = [
    "adam",
    "gd",
    "newton",
    "lbfgs",
    "lm",
    "newton-minres",
    "adam:3,gd:2",
    "adam:18446744073709551615,gd:1",
    "adam:18446744073709551616",
    "gd(lr=-1)",
    "nope",
    "adam(lr=",
    "adam:0",
    "gd:2,",
];
const PROBLEMS: [&str; 6] =
    ["regression", "pinn", "problem.toml", "missing.toml", "colour.toml", "seed.toml"];
const DATA: [&str; 5] = ["sine.csv", "poisson.csv", "missing.csv", "dir", "p31.npy"];
const PARAMS: [&str; 7] = ["p31.npy", "p10.npy", "big.npy", "short.npy", "missing.npy", "sine.csv", "dir"];
const OUTPUTS: [&str; 9] = [
    "out.npy",
    "out2.npy",
    "missing/out.npy",
    "dir",
    "/proc/version",
    "sine.csv",
    "p31.npy",
    "problem.toml",
    "",
];

/// A command line being drawn. A clean line (half of them) takes the first, good, value
/// of each pool but for one flag in twenty, so that many lines reach the computation.
struct Line {
    args: Vec<String>,
    clean: bool,
}

impl Line {
    /// With `percent` chance, `flag` and a value from `values` (the first when clean).
    fn opt(&mut self, g: &mut Gen, flag: &str, percent: u64, values: &[&str]) {
        if g.chance(percent) {
            let value = if self.clean && !g.chance(5) { values[0] } else { g.pick(values) };
            self.args.extend([flag.to_string(), value.to_string()]);
        }
    }

    /// With `percent` chance, `flag` and mostly `good`, else (`bad` percent) one of `values`.
    fn opt_or(&mut self, g: &mut Gen, flag: &str, percent: u64, good: &str, bad: u64, values: &[&str]) {
        if g.chance(percent) {
            let value = g_pick(g, values, good, if self.clean { bad / 8 } else { bad });
            self.args.extend([flag.to_string(), value.to_string()]);
        }
    }

    fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|a| a == flag)
    }
}

/// A command line from the grammar of one command, with some arguments missing and
/// values drawn from pools of good and bad ones.
fn command_line(g: &mut Gen) -> Case {
    let command = g.pick(&["fit", "derivs", "spectrum", "compare", "sweep", "bench", "problem", "solvers"]);
    let mut l = Line { args: vec![command.to_string()], clean: g.chance(50) };
    match command {
        "problem" => {
            let file =
                g.pick(&["problem.toml", "colour.toml", "seed.toml", "missing.toml", "dir", "sine.csv"]);
            l.args.push(file.into());
            return Case { args: l.args, toml: None };
        }
        "solvers" => return Case { args: l.args, toml: None },
        _ => {}
    }
    let problem = if l.clean && !g.chance(20) { PROBLEMS[g.below(3)] } else { g.pick(&PROBLEMS) };
    l.opt(g, "--problem", 95, &[problem]);
    l.opt_or(g, "--arch", 95, "1,10,1", 40, &ARCHS);
    l.opt_or(g, "--act", 95, "tanh", 30, &ACTS);
    if command != "bench" && (!problem.ends_with(".toml") || g.chance(10)) {
        let data = if problem == "pinn" { "poisson.csv" } else { "sine.csv" };
        l.opt_or(g, "--data", 90, data, 30, &DATA);
    }
    match command {
        "fit" => {
            l.opt_or(g, "--solver", 95, "adam", 40, &SOLVERS);
            l.opt(g, "--max-iter", 40, &COUNTS);
            l.opt(g, "--seed", 30, &SEEDS);
            l.opt(g, "--params", 25, &PARAMS);
            l.opt(g, "--gtol", 25, &FLOATS);
            l.opt(g, "--stationary-tol", 15, &FLOATS);
            l.opt(g, "--learning-rate", 20, &FLOATS);
            l.opt(g, "--curvature-every", 15, &COUNTS);
            l.opt_or(g, "--out", 25, "run.jsonl", 50, &OUTPUTS);
            l.opt_or(g, "--params-out", 20, "final.npy", 50, &OUTPUTS);
            l.opt_or(g, "--checkpoint", 15, "ck.json", 60, &OUTPUTS);
            l.opt(g, "--checkpoint-every", 10, &COUNTS);
            // A time bound whatever --max-iter says (unless this very flag is fuzzed, then
            // a small --max-iter).
            let seconds = if g.chance(15) { g.pick(&FLOATS) } else { "1" };
            l.args.extend(["--max-seconds".to_string(), seconds.to_string()]);
            if seconds != "1" && !l.has("--max-iter") {
                l.args.extend(["--max-iter".to_string(), "20".to_string()]);
            }
        }
        "derivs" => {
            l.opt(g, "--params", 95, &PARAMS);
            l.opt(g, "--grad-out", 50, &OUTPUTS);
            l.opt(g, "--hessian-out", 30, &OUTPUTS);
            if g.chance(30) {
                l.opt(g, "--hvp", 90, &PARAMS);
                l.opt(g, "--hvp-out", 90, &OUTPUTS);
            }
        }
        "spectrum" => {
            l.opt(g, "--params", 95, &PARAMS);
            l.opt(g, "--method", 50, &["auto", "dense", "lanczos", "fast"]);
            l.opt(g, "--top", 25, &COUNTS);
            l.opt(g, "--bottom", 25, &COUNTS);
            if g.chance(30) {
                l.args.push("--trace".into());
            }
            l.opt_or(g, "--density", 35, "d.csv", 50, &OUTPUTS);
            l.opt(g, "--probes", 30, &COUNTS);
            l.opt(g, "--steps", 25, &COUNTS);
            l.opt(g, "--seed", 20, &SEEDS);
            l.opt(g, "--negative", 20, &["auto", "exact", "estimate", "maybe"]);
            l.opt(g, "--operator", 25, &["hessian", "gauss-newton", "residual", "h"]);
        }
        "compare" => {
            l.opt(g, "--solvers", 90, &["gd,adam", "newton", "gd,nope", "", "lm,gd(lr=0)"]);
            // Bounded: compare has no time budget.
            l.opt(g, "--max-iter", 60, &["0", "3", "-1", "18446744073709551616", "x"]);
            l.opt(g, "--seed", 30, &SEEDS);
            l.opt(g, "--gtol", 20, &FLOATS);
            if !l.has("--max-iter") {
                l.args.extend(["--max-iter".to_string(), "20".to_string()]);
            }
        }
        "sweep" => {
            l.opt(g, "--solvers", 95, &["gd", "adam,gd", "newton", "nope", ""]);
            l.opt_or(g, "--out", 90, "runs.jsonl", 40, &OUTPUTS);
            l.opt(g, "--max-iter", 100, &["0", "3", "-1", "18446744073709551616", "x"]);
            l.opt(g, "--seeds", 70, &["2", "0", "-1", "18446744073709551615", "1e3", "3"]);
            l.opt(g, "--first-seed", 40, &SEEDS);
            l.opt(g, "--shard", 20, &["1/1", "2/2", "3/2", "0/1", "x"]);
        }
        "bench" => {
            l.opt(g, "--points", 60, &["0", "-1", "5", "18446744073709551615", "99999999", "x", "20"]);
            l.opt(g, "--budget", 100, &["0.01", "-1", "0", "nan", "abc", "1e400", "0.001"]);
        }
        _ => unreachable!("every command is above"),
    }
    if g.chance(5) {
        l.args.push(g.pick(&["--bogus", "-1", "extra", "--json"]).into());
    }
    if !l.clean && g.chance(10) {
        // Swap two words: flags out of order, values without flags.
        let (i, j) = (g.below(l.args.len()), g.below(l.args.len()));
        l.args.swap(i, j);
    }
    Case { args: l.args, toml: None }
}

/// `pick` from `items` with `percent` chance, else `good`.
fn g_pick<'a>(g: &mut Gen, items: &[&'a str], good: &'a str, percent: u64) -> &'a str {
    if g.chance(percent) { g.pick(items) } else { good }
}

/// A problem file from a template with each field drawn from good and bad values, at
/// times cut short; and a command that reads it.
fn problem_file(g: &mut Gen) -> Case {
    let inputs = g_pick(g, &["[\"x\", \"y\"]", "[]", "\"x\"", "[\"pi\"]", "[\"x\"", "[1]"], "[\"x\"]", 20);
    let trial = g_pick(g, &["\"N\"", "\"x*\"", "1", "\"u\"", "\"foo(N)\""], "\"x*(1 - x)*N\"", 20);
    let top = g_pick(
        g,
        &[
            "colour = \"red\"",
            "exact = \"sin(pi*x)\"",
            "[constants]\nk = 9223372036854775808",
            "[constants]\nk = 1e999",
            "[constants]\nk = 2",
            "[test]\npoints = { grid = { x = [0, 1, 5] } }",
        ],
        "",
        40,
    );
    let name = g_pick(g, &["1", "\"\"", "\"a\"\nname = \"b\""], "\"i\"", 10);
    let residual = g_pick(
        g,
        &[
            "\"u\"",
            "\"u +\"",
            "\"x\"",
            "\"z*u\"",
            "\"d(u, x, x, x, x, x, x, x, x, x)\"",
            "\"sin(\"",
            "\"u(0.5) - 1\"",
            "\"u/0\"",
            "\"exp(exp(exp(u)))\"",
            "\"((((((((((u))))))))))\"",
        ],
        "\"-u_xx - pi^2*sin(pi*x)\"",
        35,
    );
    let weight = g_pick(g, &["\"mean\"", "-1", "\"heavy\"", "1e400", "0"], "1", 20);
    let points = g_pick(
        g,
        &[
            "{ grid = { x = [0, 1, 1] } }",
            "{ random = { n = 8, seed = 18446744073709551615, x = [0, 1] } }",
            "{ random = { n = 8, seed = 9223372036854775807, x = [0, 1] } }",
            "{ random = { n = -1, seed = 1, x = [0, 1] } }",
            "{ random = { n = 100000000, seed = 1, x = [0, 1] } }",
            "{ midpoints = { x = [1, 0, 5] } }",
            "{ grid = { x = [0, 1, 9223372036854775807] } }",
            "{ midpoints = { x = [0, 1, 1000000] } }",
            "{ csv = \"missing.csv\" }",
            "{ csv = \"sine.csv\" }",
            "{ midpoints = { x = [0, 1, 16], y = [0, 1, 4] } }",
            "{ grid = { x = [0, 1, 9], sample = 20, seed = 1 } }",
            "{ interior = { x = [0, 1, 9], exclude = [\"x=mid\"] } }",
        ],
        "{ midpoints = { x = [0, 1, 16] } }",
        50,
    );
    let extra = g_pick(g, &["colour = 1", "weight = 2"], "", 10);
    let mut text = format!(
        "inputs = {inputs}\ntrial = {trial}\n{top}\n\n[[terms]]\nname = {name}\nresidual = {residual}\n\
         weight = {weight}\npoints = {points}\n{extra}\n"
    );
    if g.chance(10) {
        let mut cut = g.below(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let model = ["--problem", "gen.toml", "--arch", "1,3,1", "--act", "tanh"];
    let mut args: Vec<&str> = match g.below(4) {
        0 => vec!["problem", "gen.toml"],
        1 => [&["derivs"][..], &model, &["--params", "p10.npy", "--grad-out", "g.npy"]].concat(),
        2 => [&["fit"][..], &model, &["--solver", "adam", "--max-iter", "3", "--max-seconds", "2"]].concat(),
        _ => [&["spectrum"][..], &model, &["--params", "p10.npy", "--trace"]].concat(),
    };
    if g.chance(5) {
        args.push("--data");
        args.push("sine.csv");
    }
    Case { args: args.iter().map(|s| s.to_string()).collect(), toml: Some(text) }
}

/// Issue 25's cases, each bounded in time.
fn fixed_cases() -> Vec<Case> {
    let reg = ["--problem", "regression", "--arch", "1,10,1", "--act", "tanh", "--data", "sine.csv"];
    let with = |command: &str, extra: &[&str]| case(&[&[command][..], &reg, extra].concat());
    let big_file = "inputs = [\"x\"]\n[[terms]]\nname = \"i\"\nresidual = \"-u_xx - 1\"\n\
                    points = { midpoints = { x = [0, 1, 1000000] } }\n";
    vec![
        with("fit", &["--solver", "adam", "--max-iter", "1000000000", "--gtol", "0", "--max-seconds", "1"]),
        with(
            "spectrum",
            &["--params", "p31.npy", "--method", "lanczos", "--density", "d.csv", "--probes", "1000000000"],
        ),
        with(
            "spectrum",
            &["--params", "p31.npy", "--method", "lanczos", "--trace", "--probes", "1000000000"],
        ),
        with("spectrum", &["--params", "p31.npy", "--density", "d.csv", "--steps", "1000000000"]),
        Case {
            args: [
                "derivs",
                "--problem",
                "gen.toml",
                "--arch",
                "1,10,1",
                "--act",
                "tanh",
                "--params",
                "p31.npy",
            ]
            .map(String::from)
            .to_vec(),
            toml: Some(big_file.into()),
        },
        Case {
            args: ["fit", "--problem", "gen.toml", "--arch", "1,10,1", "--act", "tanh", "--solver", "adam"]
                .map(String::from)
                .to_vec(),
            toml: Some(big_file.into()),
        },
        with("fit", &["--params", "big.npy", "--solver", "newton"]),
        with("derivs", &["--params", "big.npy", "--grad-out", "g.npy", "--hessian-out", "h.npy"]),
        with("fit", &["--solver", "adam", "--curvature-every", "0"]),
        with("fit", &["--solver", "adam", "--seed", "-1"]),
        with("fit", &["--solver", "adam", "--max-iter", "-1"]),
        with("fit", &["--solver", "adam", "--gtol", "-1"]),
        with("fit", &["--solver", "adam", "--learning-rate", "-1"]),
        with(
            "sweep",
            &["--solvers", "gd", "--first-seed", "18446744073709551615", "--seeds", "3", "--out", "r.jsonl"],
        ),
        case(&["problem", "colour.toml"]),
        case(&["problem", "seed.toml"]),
        with("derivs", &["--params", "p31.npy", "--grad-out", "/proc/version"]),
        with("fit", &["--solver", "adam:18446744073709551615,gd:1"]),
    ]
}

/// Every file under `dir` with its bytes (directories as empty entries ending in `/`).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                files.insert(rel.join(""), Vec::new());
                todo.push(path);
            } else {
                files.insert(rel, fs::read(&path).unwrap_or_default());
            }
        }
    }
    files
}

/// The inputs every case starts from, in `dir`.
fn prepare(dir: &Path, toml: Option<&str>) {
    let root = workspace_root();
    fs::copy(root.join("examples/sine.csv"), dir.join("sine.csv")).unwrap();
    fs::copy(root.join("examples/poisson.csv"), dir.join("poisson.csv")).unwrap();
    write_vector(&dir.join("p31.npy"), &[0.1; 31]);
    write_vector(&dir.join("p10.npy"), &[0.2; 10]);
    write_vector(&dir.join("big.npy"), &[1e200; 31]);
    write_vector(&dir.join("short.npy"), &[0.1; 30]);
    fs::create_dir(dir.join("dir")).unwrap();
    let term = "[[terms]]\nname = \"i\"\nresidual = \"-u_xx - pi^2*sin(pi*x)\"\n";
    fs::write(
        dir.join("problem.toml"),
        format!("inputs = [\"x\"]\ntrial = \"x*(1 - x)*N\"\nexact = \"sin(pi*x)\"\n{term}points = {{ midpoints = {{ x = [0, 1, 16] }} }}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("colour.toml"),
        format!("inputs = [\"x\"]\ncolour = \"red\"\n{term}points = {{ midpoints = {{ x = [0, 1, 8] }} }}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("seed.toml"),
        format!("inputs = [\"x\"]\n{term}points = {{ random = {{ n = 8, seed = 18446744073709551615, x = [0, 1] }} }}\n"),
    )
    .unwrap();
    if let Some(text) = toml {
        fs::write(dir.join("gen.toml"), text).unwrap();
    }
}

/// Runs the binary in `dir` with `args`: exit code (None when killed), stdout, stderr and
/// whether it ended within [`TIME_BOUND`].
fn run_bounded(dir: &Path, args: &[String]) -> (Option<i32>, String, String, bool) {
    let mut child: Child = saddle()
        .args(args)
        .current_dir(dir)
        .env("SADDLE_MEMORY_LIMIT", "512M")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            pipe.read_to_end(&mut text).ok();
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let (status, in_time) = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break (status, true);
        }
        if start.elapsed() > TIME_BOUND {
            child.kill().ok();
            break (child.wait().unwrap(), false);
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    (status.code(), out.join().unwrap(), err.join().unwrap(), in_time)
}

/// The exit code of one run of `case`, or what is wrong with it.
fn check(case: &Case) -> Result<i32, String> {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path(), case.toml.as_deref());
    let before = snapshot(dir.path());
    let (code, stdout, stderr, in_time) = run_bounded(dir.path(), &case.args);
    let after = snapshot(dir.path());
    if std::env::var_os("SADDLE_FUZZ_LOG").is_some() {
        eprintln!("{code:?} saddle {} | {}", case.args.join(" "), stderr.lines().next().unwrap_or(""));
    }
    let mut faults = Vec::new();
    if !in_time {
        faults.push(format!("took more than {TIME_BOUND:?}"));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        faults.push("panicked".into());
    }
    match code {
        Some(0) => {
            if stdout.trim().is_empty() {
                faults.push("exit 0 with nothing on stdout".into());
            }
        }
        Some(2) => {
            let lines: Vec<&str> = stderr.lines().collect();
            if lines.len() != 1 || !lines[0].starts_with("error: ") || !stderr.ends_with('\n') {
                faults.push(format!("exit 2 without exactly one `error: ` line: {stderr:?}"));
            }
            if !stdout.is_empty() {
                faults.push(format!("exit 2 with stdout {stdout:?}"));
            }
        }
        other => faults.push(format!("exit code {other:?}")),
    }
    // Outputs a successful run may write (and replace).
    let outputs: Vec<PathBuf> = case
        .args
        .windows(2)
        .filter(|w| OUTPUT_FLAGS.contains(&w[0].as_str()))
        .map(|w| PathBuf::from(&w[1]))
        .collect();
    for (path, bytes) in &before {
        let may_change = code == Some(0) && outputs.contains(path);
        match after.get(path) {
            Some(now) if now == bytes || may_change => {}
            Some(_) => faults.push(format!("{} was changed", path.display())),
            None if may_change => {}
            None => faults.push(format!("{} was removed", path.display())),
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        let name = path.to_string_lossy();
        if code != Some(0) {
            faults.push(format!("a failed run left {name}"));
        } else if name.contains(".tmp-") || name.contains(".probe-") {
            faults.push(format!("a temporary was left: {name}"));
        }
    }
    if faults.is_empty() {
        return Ok(code.unwrap_or(-1));
    }
    Err(format!(
        "saddle {} (exit {code:?}; stderr {:?}){}: {}",
        case.args.join(" "),
        stderr.lines().next().unwrap_or(""),
        case.toml.as_ref().map(|t| format!(" with gen.toml {t:?}")).unwrap_or_default(),
        faults.join("; ")
    ))
}

#[test]
fn generated_command_lines_and_problem_files_keep_the_contract() {
    let mut g = Gen(SEED);
    let mut cases = fixed_cases();
    for k in 0..GENERATED {
        cases.push(if k % 4 == 3 { problem_file(&mut g) } else { command_line(&mut g) });
    }
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let faults = Mutex::new(Vec::new());
    let succeeded = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(k) else { break };
                    match check(case) {
                        Ok(0) => _ = succeeded.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => {}
                        Err(fault) => faults.lock().unwrap().push(format!("case {k}: {fault}")),
                    }
                }
            });
        }
    });
    let faults = faults.into_inner().unwrap();
    assert!(
        faults.is_empty(),
        "{} of {} cases broke the contract:\n{}",
        faults.len(),
        cases.len(),
        faults.join("\n")
    );
    // The corpus reaches past argument parsing: some runs succeed, most are refused.
    let succeeded = succeeded.into_inner();
    assert!((20..cases.len() - 50).contains(&succeeded), "{succeeded} of {} cases succeeded", cases.len());
    eprintln!("{} cases ({succeeded} succeeded) in {:.1} s", cases.len(), start.elapsed().as_secs_f64());
}
