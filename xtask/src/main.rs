//! `cargo xtask <task>`: project automation written in Rust. The one task, `figures`,
//! regenerates every figure of the study (docs/figures/) and the tables of
//! docs/REPRODUCTION.md.

mod figures;
mod plot;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use figures::root;

/// Project automation for saddle.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate every figure (SVG, PNG and the CSV it plots) and the tables of
    /// docs/REPRODUCTION.md.
    Figures {
        /// Reduced seeds, widths, iterations and grids: the whole set in under two minutes.
        /// Writes the tables to OUT/tables.md instead of docs/REPRODUCTION.md.
        #[arg(long)]
        quick: bool,
        /// Write into this directory instead of docs/figures (tables go to OUT/tables.md).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Run only these experiments (F1, F2-F4, F5,F7, F6, F8, F9, F9t, F10, F11, F12; repeat
        /// the flag for several); the tables of the others keep their text in
        /// docs/REPRODUCTION.md.
        #[arg(long, value_name = "FIGURES")]
        only: Vec<String>,
        /// With --only F10 or --only F12: run only this part and write its results to OUT/f10/
        /// or OUT/f12/, so the parts can run as separate jobs. F10's parts are its problems
        /// (convection, reaction, wave), F12's its sizes (sine-128, sine-256, poisson-64,
        /// poisson-128).
        #[arg(long, value_name = "PART", conflicts_with = "merge")]
        shard: Option<String>,
        /// With --only F10 or --only F12: make the figure and tables from the parts in OUT/f10/
        /// or OUT/f12/ (written by --shard runs) instead of running them.
        #[arg(long)]
        merge: bool,
    },
}

fn run_figures(
    quick: bool,
    out: Option<PathBuf>,
    only: Vec<String>,
    shard: Option<String>,
    merge: bool,
) -> anyhow::Result<()> {
    let ids: Vec<&str> = figures::STEPS.iter().map(|s| s.0).collect();
    if let Some(unknown) = only.iter().find(|o| !ids.contains(&o.as_str())) {
        anyhow::bail!("--only {unknown}: no such experiment (known: {})", ids.join(", "));
    }
    if shard.is_some() || merge {
        let parts = match only.as_slice() {
            [id] => figures::shards(id),
            _ => None,
        };
        let Some(parts) = parts else {
            anyhow::bail!(
                "--shard and --merge apply to one sharded experiment: add --only F10 or --only F12"
            );
        };
        if let Some(name) = shard.as_deref().filter(|name| !parts.contains(name)) {
            anyhow::bail!("--shard {name}: no such part of {} (known: {})", only[0], parts.join(", "));
        }
    }
    let steps: Vec<_> =
        figures::STEPS.iter().filter(|s| only.is_empty() || only.contains(&s.0.to_string())).collect();
    let default_out = root().join("docs/figures");
    let into_docs = out.is_none() && !quick;
    let out = out.unwrap_or(default_out);
    std::fs::create_dir_all(&out)
        .map_err(|e| anyhow::anyhow!("{}: cannot create the directory: {e}", out.display()))?;
    let doc_path = root().join("docs/REPRODUCTION.md");
    if into_docs {
        // Check the document's markers before spending minutes on the experiments.
        let doc =
            std::fs::read_to_string(&doc_path).map_err(|e| anyhow::anyhow!("{}: {e}", doc_path.display()))?;
        for name in report::marker_names(&doc) {
            anyhow::ensure!(
                figures::TABLES.contains(&name.as_str()),
                "{}: names table '{name}', which no figure produces (known: {})",
                doc_path.display(),
                figures::TABLES.join(", ")
            );
        }
    }
    let settings = figures::Settings { quick, out: out.clone(), shard, merge };
    let mut report = report::Report::default();
    let started = Instant::now();
    for (i, (id, what, generate)) in steps.iter().enumerate() {
        let t = Instant::now();
        eprintln!("[{}/{}] {id} {what}{} ...", i + 1, steps.len(), if quick { " (quick)" } else { "" });
        generate(&settings, &mut report)?;
        eprintln!("      done in {:.1} s", t.elapsed().as_secs_f64());
    }
    if only.is_empty() {
        for stem in figures::STEMS {
            for path in figures::paths(&out, stem) {
                anyhow::ensure!(
                    report.paths.contains(&path),
                    "figure {stem}: {} was not made",
                    path.display()
                );
            }
        }
        for name in figures::TABLES {
            anyhow::ensure!(report.tables.contains_key(name), "table {name} was not produced");
        }
    }
    if into_docs {
        let doc =
            std::fs::read_to_string(&doc_path).map_err(|e| anyhow::anyhow!("{}: {e}", doc_path.display()))?;
        let filled = report::fill_tables(&doc, &report, &figures::TABLES)?;
        report.file(doc_path, filled.into_bytes());
    } else {
        let tables = report.tables_markdown();
        report.file(out.join("tables.md"), tables.into_bytes());
    }
    let files = report.paths.len();
    report.commit()?;
    eprintln!("wrote {} files to {} in {:.1} s", files, out.display(), started.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.task {
        Task::Figures { quick, out, only, shard, merge } => run_figures(quick, out, only, shard, merge),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(2)
        }
    }
}
