//! A sweep's files: the JSON Lines stream of its runs (one line per run, appended as each
//! run ends, sorted by run once the sweep is complete) and the sidecar `RUNS.jsonl.args.json`
//! that records the arguments, so that `--resume` can keep the finished runs of an
//! interrupted sweep and shards can be merged (docs/CONTRACT.md, "saddle sweep").

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::study::error::{CliError, Result};
use crate::study::experiments::Category;
use crate::study::experiments::sweep::{Plan, Shard};
use crate::study::io::jsonl::read_complete_lines;
use crate::study::io::read_file;

/// What a sidecar's first field says.
const KIND: &str = "saddle sweep arguments";
/// The sidecar format's version.
const FORMAT: u64 = 1;

/// `RUNS.jsonl.args.json` for `RUNS.jsonl`.
pub fn sidecar_path(out: &Path) -> PathBuf {
    let mut name = OsString::from(out.as_os_str());
    name.push(".args.json");
    PathBuf::from(name)
}

/// The arguments of a sweep as its sidecar records them: everything that decides which
/// runs it makes and their numbers (paths as given, not their contents), the shard, and
/// the plan's run count.
pub fn arguments(plan: &Plan, data: Option<&Path>, shard: Shard) -> Value {
    json!({
        "sweep": KIND,
        "format": FORMAT,
        "saddle": env!("CARGO_PKG_VERSION"),
        "problem": plan.problem.name(),
        "data": data.map(|d| d.display().to_string()),
        "arch": plan.archs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "act": plan.act.name(),
        "solvers": plan.solvers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "seeds": plan.seeds.end - plan.seeds.start,
        "first_seed": plan.seeds.start,
        "max_iter": plan.control.max_iter,
        "gtol": plan.control.gtol,
        "stationary_tol": plan.stationary_tol,
        "shard": shard.to_string(),
        "plan_runs": plan.runs().len(),
    })
}

/// Reads a sidecar.
pub fn read_arguments(path: &Path) -> Result<Value> {
    let bytes = read_file(path)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| CliError::Invalid(format!("{}: not a sweep's arguments file: {e}", path.display())))?;
    if value["sweep"] != KIND || value["format"] != FORMAT {
        return Err(CliError::Invalid(format!(
            "{}: not a sweep's arguments file (format {FORMAT} of saddle sweep)",
            path.display()
        )));
    }
    Ok(value)
}

/// The first field (other than those in `except`) whose value differs between two
/// sidecars, with both values.
pub fn first_difference(a: &Value, b: &Value, except: &[&str]) -> Option<(String, Value, Value)> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return Some(("(the whole file)".into(), a.clone(), b.clone()));
    };
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| !except.contains(&k.as_str())).find_map(|k| {
        let (x, y) = (a.get(k).cloned().unwrap_or(Value::Null), b.get(k).cloned().unwrap_or(Value::Null));
        (x != y).then(|| (k.clone(), x, y))
    })
}

/// One line of a sweep's stream.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLine {
    /// The run's number in the plan.
    pub run: usize,
    /// The solver's text.
    pub solver: String,
    /// The category's name.
    pub category: String,
    /// The line as written (without its newline).
    pub text: String,
}

/// The complete lines of a sweep's stream (a cut-off last line is dropped), each checked to
/// be a run of the plan described by `args` (its sidecar) in its shard, no run twice; and
/// the byte length of those lines. A missing file has no lines.
pub fn read_runs(path: &Path, args: &Value) -> Result<(Vec<RunLine>, u64)> {
    let (lines, keep) = read_complete_lines(path)?;
    let plan_runs = args["plan_runs"].as_u64().unwrap_or(0) as usize;
    let shard: Shard = args["shard"].as_str().and_then(|s| s.parse().ok()).unwrap_or(Shard::ALL);
    let mut seen = std::collections::HashSet::new();
    let mut runs = Vec::with_capacity(lines.len());
    for (i, text) in lines.into_iter().enumerate() {
        let at = |what: String| CliError::Invalid(format!("{}: line {}: {what}", path.display(), i + 1));
        let value: Value =
            serde_json::from_str(&text).map_err(|e| at(format!("not a sweep run (not JSON: {e})")))?;
        let run = value["run"].as_u64().ok_or_else(|| at("not a sweep run (no \"run\")".into()))? as usize;
        if run >= plan_runs || !shard.contains(run) {
            return Err(at(format!("run {run} is not a run of shard {shard} of this {plan_runs}-run plan")));
        }
        if !seen.insert(run) {
            return Err(at(format!("run {run} appears a second time")));
        }
        let field = |key: &str| value[key].as_str().unwrap_or_default().to_string();
        runs.push(RunLine { run, solver: field("solver"), category: field("category"), text });
    }
    Ok((runs, keep))
}

/// The lines sorted by run, as the file's text.
pub fn sorted_text(runs: &mut [RunLine]) -> String {
    runs.sort_by_key(|r| r.run);
    runs.iter().map(|r| format!("{}\n", r.text)).collect()
}

/// Per solver of `args` (in its order), the number of runs in each category.
pub fn counts(runs: &[RunLine], args: &Value) -> Value {
    let solvers = args["solvers"].as_array().map_or(&[][..], Vec::as_slice);
    let counts: serde_json::Map<String, Value> = solvers
        .iter()
        .filter_map(Value::as_str)
        .map(|solver| {
            let by_category: serde_json::Map<String, Value> = Category::ALL
                .iter()
                .map(|c| {
                    let k = runs.iter().filter(|r| r.solver == solver && r.category == c.name()).count();
                    (c.name().to_string(), json!(k))
                })
                .collect();
            (solver.to_string(), Value::Object(by_category))
        })
        .collect();
    Value::Object(counts)
}

/// The runs of several streams of one sweep (shards, or parts of one), merged: each file's
/// sidecar must record the same arguments but for the shard; a run in two files must have
/// the same line in both. Returns the merged runs, sorted, and the arguments (shard `1/1`).
pub fn merge(files: &[PathBuf]) -> Result<(Vec<RunLine>, Value)> {
    let mut merged: BTreeMap<usize, (RunLine, &Path)> = BTreeMap::new();
    let mut first: Option<(Value, &Path)> = None;
    for file in files {
        let sidecar = sidecar_path(file);
        let args = read_arguments(&sidecar)?;
        if let Some((first_args, first_file)) = &first
            && let Some((key, a, b)) = first_difference(first_args, &args, &["shard"])
        {
            return Err(CliError::Invalid(format!(
                "{}: not a part of the sweep of {}: {key} is {b} there, {a} in {}",
                file.display(),
                first_file.display(),
                sidecar_path(first_file).display()
            )));
        }
        for line in read_runs(file, &args)?.0 {
            match merged.get(&line.run) {
                Some((other, _)) if other.text == line.text => {}
                Some((_, other_file)) => {
                    return Err(CliError::Invalid(format!(
                        "{}: run {} differs from the same run in {}",
                        file.display(),
                        line.run,
                        other_file.display()
                    )));
                }
                None => {
                    merged.insert(line.run, (line, file));
                }
            }
        }
        if first.is_none() {
            first = Some((args, file));
        }
    }
    let (mut args, _) = first.ok_or_else(|| CliError::Invalid("--merge names no file".into()))?;
    args["shard"] = json!(Shard::ALL.to_string());
    Ok((merged.into_values().map(|(line, _)| line).collect(), args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(shard: &str) -> Value {
        json!({"sweep": KIND, "format": FORMAT, "solvers": ["lm", "gd"], "plan_runs": 4, "shard": shard})
    }

    fn line(run: usize, solver: &str, category: &str) -> String {
        format!("{{\"run\":{run},\"solver\":\"{solver}\",\"category\":\"{category}\"}}")
    }

    #[test]
    fn the_sidecar_sits_beside_the_stream() {
        assert_eq!(sidecar_path(Path::new("out/runs.jsonl")), Path::new("out/runs.jsonl.args.json"));
    }

    #[test]
    fn streams_read_back_complete_runs_of_their_shard_once() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("r.jsonl");
        let text = format!("{}\n{}\n{{\"run\":", line(2, "gd", "fitted"), line(0, "lm", "saddle"));
        std::fs::write(&path, &text).unwrap();
        let (mut runs, keep) = read_runs(&path, &args("1/2")).unwrap();
        assert_eq!(keep as usize, text.rfind('\n').unwrap() + 1);
        assert_eq!(runs.iter().map(|r| r.run).collect::<Vec<_>>(), [2, 0]);
        assert_eq!(
            sorted_text(&mut runs),
            format!("{}\n{}\n", line(0, "lm", "saddle"), line(2, "gd", "fitted"))
        );
        let counts = counts(&runs, &args("1/2"));
        assert_eq!(counts["lm"]["saddle"], 1);
        assert_eq!(counts["gd"]["fitted"], 1);
        assert_eq!(counts["gd"]["saddle"], 0);

        for (bad, says) in [
            (line(1, "gd", "fitted"), "line 1: run 1 is not a run of shard 1/2 of this 4-run plan"),
            (
                format!("{}\n{}", line(0, "gd", "fitted"), line(0, "gd", "fitted")),
                "line 2: run 0 appears a second time",
            ),
            ("[1, 2]".to_string(), "line 1: not a sweep run (no \"run\")"),
        ] {
            std::fs::write(&path, format!("{bad}\n")).unwrap();
            let e = read_runs(&path, &args("1/2")).unwrap_err().to_string();
            assert!(e.ends_with(says), "{e}");
        }
    }

    #[test]
    fn shards_merge_and_disagreeing_files_are_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let write = |name: &str, args: &Value, lines: &[String]| {
            let path = dir.path().join(name);
            std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
            std::fs::write(sidecar_path(&path), args.to_string()).unwrap();
            path
        };
        let a = write("a.jsonl", &args("1/2"), &[line(2, "gd", "fitted"), line(0, "lm", "saddle")]);
        let b = write("b.jsonl", &args("2/2"), &[line(1, "lm", "minimum")]);
        let (runs, merged) = merge(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(runs.iter().map(|r| r.run).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(merged["shard"], "1/1");
        // The same file twice is the same runs.
        assert_eq!(merge(&[a.clone(), a.clone()]).unwrap().0.len(), 2);

        let mut other = args("2/2");
        other["solvers"] = json!(["lm"]);
        let c = write("c.jsonl", &other, &[line(1, "lm", "minimum")]);
        let e = merge(&[a.clone(), c]).unwrap_err().to_string();
        assert!(e.contains("c.jsonl: not a part of the sweep of"), "{e}");
        assert!(e.contains("solvers is [\"lm\"] there, [\"lm\",\"gd\"] in"), "{e}");
        let d = write("d.jsonl", &args("1/1"), &[line(1, "lm", "saddle")]);
        let e = merge(&[b, d]).unwrap_err().to_string();
        assert!(e.contains("d.jsonl: run 1 differs from the same run in"), "{e}");
    }
}
