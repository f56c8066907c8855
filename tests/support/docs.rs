//! Publishing a generated Markdown table: always to `target/<file>`, and checked against
//! a document of the workspace (between `<!-- <marker>:start -->` and `<!-- <marker>:end -->`):
//! the test fails when the committed table differs, unless the environment has
//! `SADDLE_UPDATE_DOCS=1`, which rewrites it.

use std::path::Path;

/// Writes `table` to `target/<file>`; with `SADDLE_UPDATE_DOCS=1` writes it into
/// `doc_name` (a path from the workspace root, e.g. `docs/solvers.md`) between the
/// `marker` lines, otherwise panics if the text there differs.
pub fn publish(doc_name: &str, file: &str, marker: &str, table: &str) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join(file);
    std::fs::write(&target, table).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .expect("the workspace root holds Cargo.lock");
    let path = root.join(doc_name);
    let doc = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (format!("<!-- {marker}:start -->"), format!("<!-- {marker}:end -->"));
    let a = doc.find(&start).map(|a| a + start.len()).unwrap_or_else(|| panic!("{doc_name} lacks {start}"));
    let b = doc[a..].find(&end).map(|b| a + b).unwrap_or_else(|| panic!("{doc_name} lacks {end}"));
    let generated = format!("\n{table}");
    if std::env::var_os("SADDLE_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, format!("{}{generated}{}", &doc[..a], &doc[b..])).unwrap();
    } else if doc[a..b] != generated {
        panic!(
            "the {marker} table in {doc_name} is stale: the code now produces {} (printed \
             above); regenerate it with SADDLE_UPDATE_DOCS=1 and review the diff",
            target.display()
        );
    }
}
