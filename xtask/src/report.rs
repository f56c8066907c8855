//! What a figures run leaves behind: every file staged in one all-or-nothing
//! [`OutputFiles`], and the Markdown tables that go into docs/REPRODUCTION.md. A [`Table`]
//! names each cell's column where the cell is made, and gives both its CSV and its Markdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saddle_cli::study::io::output::OutputFiles;

use crate::plot::{Figure, render};

/// Rows of named cells. The first row sets the columns; every later row names the same
/// columns in the same order, so a header cannot drift from its cells.
#[derive(Default)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Appends a row of `(column, cell)` pairs.
    ///
    /// # Panics
    /// If the row names other columns than the first (a bug in the figure, not an input).
    pub fn row<K: Into<String>>(&mut self, cells: impl IntoIterator<Item = (K, String)>) {
        let (columns, cells): (Vec<String>, Vec<String>) =
            cells.into_iter().map(|(k, v)| (k.into(), v)).unzip();
        if self.rows.is_empty() {
            self.columns = columns;
        } else {
            assert_eq!(columns, self.columns, "every row of a table names the same columns");
        }
        self.rows.push(cells);
    }

    /// The table as CSV.
    pub fn csv(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in std::iter::once(&self.columns).chain(&self.rows) {
            writer.write_record(row).expect("writing to memory");
        }
        writer.into_inner().expect("writing to memory")
    }

    /// The table as Markdown (a `|` inside a cell, as in |cos|, is escaped).
    pub fn markdown(&self) -> String {
        let line = |cells: &[String]| {
            format!("| {} |\n", cells.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "))
        };
        let rule = format!("|{}\n", "---|".repeat(self.columns.len()));
        line(&self.columns) + &rule + &self.rows.iter().map(|r| line(r)).collect::<String>()
    }
}

/// How often each name occurs, as "2 converged, 1 max_iterations" (names sorted).
pub fn tally<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_insert(0usize) += 1;
    }
    counts.iter().map(|(name, n)| format!("{n} {name}")).collect::<Vec<_>>().join(", ")
}

/// A number as CSV text: its shortest round-trip representation.
pub fn num(v: f64) -> String {
    format!("{v:?}")
}

/// A number for a Markdown table: three decimals, or three significant digits.
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        format!("{v}")
    } else if (1e-2..1e4).contains(&v.abs()) {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// Files staged and tables produced by a run; nothing is written before [`Report::commit`].
#[derive(Default)]
pub struct Report {
    files: OutputFiles,
    /// Every file staged, in order.
    pub paths: Vec<PathBuf>,
    /// Markdown tables by name (`f1`, `f5`, ...).
    pub tables: BTreeMap<String, String>,
}

impl Report {
    /// Stages `bytes` for `path`.
    pub fn file(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.files.bytes(&path, bytes);
        self.paths.push(path);
    }

    /// Stages `table` as the CSV file `dir/name`.
    pub fn csv(&mut self, dir: &Path, name: &str, table: &Table) {
        self.file(dir.join(name), table.csv());
    }

    /// Renders `figure` and stages it as `dir/stem.svg` and `dir/stem.png`.
    pub fn figure(&mut self, dir: &Path, stem: &str, figure: &Figure) -> anyhow::Result<()> {
        let (svg, png) = render(figure).with_context(|| format!("figure {stem}"))?;
        self.file(dir.join(format!("{stem}.svg")), svg);
        self.file(dir.join(format!("{stem}.png")), png);
        Ok(())
    }

    /// Records `table` as the Markdown table `name`.
    pub fn table(&mut self, name: &str, table: &Table) {
        self.tables.insert(name.to_string(), table.markdown());
    }

    /// All tables, each under a heading, for a `tables.md` file.
    pub fn tables_markdown(&self) -> String {
        self.tables.iter().map(|(name, md)| format!("## {name}\n\n{md}\n")).collect()
    }

    /// Writes every staged file, or none.
    pub fn commit(self) -> anyhow::Result<()> {
        Ok(self.files.commit()?)
    }
}

/// The table names the `<!-- table:NAME -->` markers of `doc` ask for, in order.
pub fn marker_names(doc: &str) -> Vec<String> {
    doc.split("<!-- table:")
        .skip(1)
        .filter_map(|rest| rest.split_once("-->").map(|(name, _)| name.trim().to_string()))
        .collect()
}

/// Replaces the body of every `<!-- table:NAME -->` … `<!-- /table -->` block of `doc` with
/// the report's table `NAME`, keeping the blocks of `known` tables the report does not hold
/// (figures not run this time); a block naming a table not `known` is an error.
pub fn fill_tables(doc: &str, report: &Report, known: &[&str]) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- table:") {
        let open_end = start + rest[start..].find("-->").context("unclosed <!-- table: marker")? + 3;
        let name = rest[start + "<!-- table:".len()..open_end - 3].trim();
        let close = open_end
            + rest[open_end..]
                .find("<!-- /table -->")
                .with_context(|| format!("table {name}: no <!-- /table -->"))?;
        if !known.contains(&name) {
            bail!("docs/REPRODUCTION.md names table '{name}', which no figure produces")
        }
        match report.tables.get(name) {
            Some(table) => {
                out.push_str(&rest[..open_end]);
                out.push('\n');
                out.push_str(table);
            }
            None => out.push_str(&rest[..close]),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_gives_csv_and_markdown_from_the_same_cells() {
        let mut t = Table::default();
        t.row([("a", "1".to_string()), ("b|c", "x, y".to_string())]);
        t.row([("a", "2".to_string()), ("b|c", "|cos|".to_string())]);
        assert_eq!(String::from_utf8(t.csv()).unwrap(), "a,b|c\n1,\"x, y\"\n2,|cos|\n");
        assert_eq!(t.markdown(), "| a | b\\|c |\n|---|---|\n| 1 | x, y |\n| 2 | \\|cos\\| |\n");
    }

    #[test]
    #[should_panic(expected = "same columns")]
    fn a_row_with_other_columns_is_a_bug() {
        let mut t = Table::default();
        t.row([("a", "1".to_string())]);
        t.row([("b", "1".to_string())]);
    }

    #[test]
    fn numbers_are_formatted_for_csv_and_for_tables() {
        assert_eq!([num(0.1), num(1e-7), num(-0.0), num(3.0)], ["0.1", "1e-7", "-0.0", "3.0"]);
        assert_eq!(
            [short(0.0), short(15.75), short(2.18e-7), short(-12345.0)],
            ["0", "15.750", "2.18e-7", "-1.23e4"]
        );
    }

    #[test]
    fn tables_are_replaced_between_markers() {
        let mut report = Report::default();
        let mut t = Table::default();
        t.row([("a", "1".to_string()), ("b", "2".to_string())]);
        report.table("f1", &t);
        let doc = "intro\n<!-- table:f1 -->\nold\n<!-- /table -->\nend\n";
        let known = ["f1", "f2"];
        let filled = fill_tables(doc, &report, &known).unwrap();
        assert_eq!(
            filled,
            "intro\n<!-- table:f1 -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- /table -->\nend\n"
        );
        assert_eq!(fill_tables(&filled, &report, &known).unwrap(), filled);
        assert!(fill_tables("<!-- table:zz -->\n<!-- /table -->", &report, &known).is_err());
        // A known table this report does not hold keeps its block as it is.
        let kept = "a\n<!-- table:f2 -->\nold\n<!-- /table -->\nb\n";
        assert_eq!(fill_tables(kept, &report, &known).unwrap(), kept);
        assert_eq!(marker_names(doc), ["f1"]);
    }
}
