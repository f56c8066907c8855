//! What a figures run leaves behind besides the pictures: CSV files, the list of files
//! written, and the Markdown tables that go into docs/REPRODUCTION.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Files written and tables produced by a run.
#[derive(Default)]
pub struct Report {
    /// Every file written, in order.
    pub files: Vec<PathBuf>,
    /// Markdown tables by name (`f1`, `f5`, ...).
    pub tables: BTreeMap<String, String>,
}

impl Report {
    /// Records the Markdown table `name` with a header row and rows of cells.
    pub fn table(&mut self, name: &str, header: &[&str], rows: Vec<Vec<String>>) {
        // A `|` inside a cell (as in |cos|) would split it: escape it.
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            format!("| {} |\n", cells.map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "))
        };
        let mut md = line(&mut header.iter().copied());
        md.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for row in &rows {
            md.push_str(&line(&mut row.iter().map(String::as_str)));
        }
        self.tables.insert(name.to_string(), md);
    }

    /// All tables, each under a heading, for a `tables.md` file.
    pub fn tables_markdown(&self) -> String {
        self.tables.iter().map(|(name, md)| format!("## {name}\n\n{md}\n")).collect()
    }
}

/// A CSV file being built: a header and rows of cells.
pub struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Csv {
    /// A CSV with this header row.
    pub fn new(header: &[&str]) -> Csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(header).expect("writing to memory");
        Csv { writer }
    }

    /// Appends one row.
    pub fn row<I: IntoIterator<Item = String>>(&mut self, cells: I) {
        self.writer.write_record(cells).expect("writing to memory");
    }

    /// Writes the file and records it.
    pub fn write(self, path: &Path, report: &mut Report) -> anyhow::Result<()> {
        let bytes = self.writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        write_file(path, &bytes, report)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory (so a failed run
/// never leaves a half-written file) and records it. The file gets the usual permissions
/// (the umask's), like any file the user writes.
pub fn write_file(path: &Path, bytes: &[u8], report: &mut Report) -> anyhow::Result<()> {
    let name = path.file_name().with_context(|| format!("{}: not a file path", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow::anyhow!("{}: cannot write: {e}", path.display()));
    }
    report.files.push(path.to_path_buf());
    Ok(())
}

/// A number as CSV text: shortest round-trip representation.
pub fn fmt_g(v: f64) -> String {
    format!("{v:?}")
}

/// The table names the `<!-- table:NAME -->` markers of `doc` ask for, in order.
pub fn marker_names(doc: &str) -> Vec<String> {
    doc.split("<!-- table:")
        .skip(1)
        .filter_map(|rest| rest.split_once("-->").map(|(name, _)| name.trim().to_string()))
        .collect()
}

/// Replaces the body of every `<!-- table:NAME -->` … `<!-- /table -->` block of `doc` with
/// the report's table `NAME`; a block naming an unknown table is an error.
pub fn fill_tables(doc: &str, report: &Report) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- table:") {
        let open_end = start + rest[start..].find("-->").context("unclosed <!-- table: marker")? + 3;
        let name = rest[start + "<!-- table:".len()..open_end - 3].trim();
        let close = open_end
            + rest[open_end..]
                .find("<!-- /table -->")
                .with_context(|| format!("table {name}: no <!-- /table -->"))?;
        let Some(table) = report.tables.get(name) else {
            bail!("docs/REPRODUCTION.md names table '{name}', which no figure produces")
        };
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(table);
        rest = &rest[close..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_replaced_between_markers() {
        let mut report = Report::default();
        report.table("f1", &["a", "b"], vec![vec!["1".into(), "2".into()]]);
        let doc = "intro\n<!-- table:f1 -->\nold\n<!-- /table -->\nend\n";
        let filled = fill_tables(doc, &report).unwrap();
        assert_eq!(
            filled,
            "intro\n<!-- table:f1 -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- /table -->\nend\n"
        );
        assert_eq!(fill_tables(&filled, &report).unwrap(), filled);
        assert!(fill_tables("<!-- table:zz -->\n<!-- /table -->", &report).is_err());
        assert_eq!(marker_names(doc), ["f1"]);
    }
}
