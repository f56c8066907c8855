//! Publishing a generated Markdown table: always to `target/<file>`, and into
//! docs/solvers.md (between `<!-- <marker>:start -->` and `<!-- <marker>:end -->`) when
//! the environment has `SADDLE_UPDATE_DOCS=1`.

use std::path::Path;

/// Writes `table` to `target/<file>` and, with `SADDLE_UPDATE_DOCS=1`, into
/// docs/solvers.md between the `marker` lines.
pub fn publish(file: &str, marker: &str, table: &str) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join(file);
    std::fs::write(&target, table).unwrap();
    if std::env::var_os("SADDLE_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/solvers.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (start, end) = (format!("<!-- {marker}:start -->"), format!("<!-- {marker}:end -->"));
        let a = doc
            .find(&start)
            .map(|a| a + start.len())
            .unwrap_or_else(|| panic!("docs/solvers.md lacks {start}"));
        let b = doc[a..].find(&end).map(|b| a + b).unwrap_or_else(|| panic!("docs/solvers.md lacks {end}"));
        std::fs::write(&path, format!("{}\n{}{}", &doc[..a], table, &doc[b..])).unwrap();
    }
}
