//! Every path and `module::item` name the docs cite in backquotes exists in the tree, so a
//! rename or a move cannot leave a document pointing at nothing.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use support::workspace_root;

/// The documents checked: the README, CONTRIBUTING and everything in docs/.
fn documents(root: &Path) -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string(), "CONTRIBUTING.md".to_string()];
    for entry in fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            names.push(format!("docs/{}", path.file_name().unwrap().to_str().unwrap()));
        }
    }
    names.sort();
    names.into_iter().map(|n| (fs::read_to_string(root.join(&n)).unwrap(), n)).map(|(t, n)| (n, t)).collect()
}

/// The text between backquotes, outside fenced code blocks.
fn quoted(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.extend(line.split('`').skip(1).step_by(2));
        }
    }
    out
}

/// The papers' repositories, whose files the deviations tables cite.
const PAPERS_CODE: [&str; 2] = ["opt_for_pinns/", "Natural-Gradient-PINNs-ICML23/"];

/// A quoted token that names a file or folder of the tree: it has a `/`, no spaces and
/// no placeholder (upper-case words such as OUT or NAME, globs, `target/`, `..`), and it
/// is not in a paper's repository.
fn as_path(token: &str) -> Option<&str> {
    let token = token.trim_end_matches([',', '.', ':', ')']);
    let placeholder = |part: &str| {
        part.chars().any(|c| c.is_ascii_uppercase()) && part.chars().all(|c| !c.is_ascii_lowercase())
    };
    let plausible = token.contains('/')
        && !token.contains(char::is_whitespace)
        && !token.contains(['*', '<', '{', '=', '(', '$', '~', '|'])
        && !token.starts_with("target/")
        && !PAPERS_CODE.iter().any(|repo| token.starts_with(repo))
        && !token.starts_with('/')
        && !token.contains("..")
        && !token.contains("://")
        && token.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '.')
        && !token.split(['/', '.', '_', '-']).any(placeholder);
    plausible.then_some(token)
}

#[test]
fn every_quoted_path_in_the_docs_exists() {
    let root = workspace_root();
    let mut missing = BTreeSet::new();
    for (name, text) in documents(&root) {
        for token in quoted(&text).into_iter().filter_map(as_path) {
            let from_root = root.join(token);
            let from_doc = root.join(&name).parent().unwrap().join(token);
            if !from_root.exists() && !from_doc.exists() {
                missing.insert(format!("{name}: `{token}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "paths the docs cite that do not exist:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Every Rust source of the workspace: (file stem or, for mod.rs, its folder; text).
fn sources(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("xtask")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let stem = path.file_stem().unwrap().to_str().unwrap();
                let module = match stem {
                    "mod" => path.parent().unwrap().file_name().unwrap().to_str().unwrap().to_string(),
                    // A crate's root answers to the crate's name.
                    "lib" | "main" => {
                        let krate = path.parent().unwrap().parent().unwrap();
                        format!("saddle_{}", krate.file_name().unwrap().to_str().unwrap())
                    }
                    stem => stem.to_string(),
                };
                let text = fs::read_to_string(&path).unwrap();
                // Inline modules (`mod name {`) answer to their name too.
                for line in text.lines() {
                    let line = line.trim_start().trim_start_matches("pub(crate) ").trim_start_matches("pub ");
                    if let Some(inline) = line.strip_prefix("mod ").and_then(|rest| rest.strip_suffix(" {")) {
                        files.push((inline.to_string(), text.clone()));
                    }
                }
                files.push((module, text));
            }
        }
    }
    files
}

/// Whether `text` declares `item` (or re-exports it).
fn declares(text: &str, item: &str) -> bool {
    let word = |text: &str| text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == item);
    let declared = text.lines().any(|line| {
        ["fn ", "struct ", "enum ", "mod ", "trait ", "const ", "type ", "static ", "macro_rules! "]
            .iter()
            .any(|kw| {
                line.split(kw).skip(1).any(|rest| {
                    rest.starts_with(item)
                        && !rest[item.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                })
            })
    });
    // A re-export: `pub use path::{..., item, ...};`, over several lines.
    declared || text.split("pub use ").skip(1).any(|rest| word(rest.split(';').next().unwrap_or("")))
}

#[test]
fn every_quoted_module_item_in_the_docs_exists() {
    let root = workspace_root();
    let files = sources(&root);
    let mut missing = BTreeSet::new();
    for (name, text) in documents(&root) {
        for token in quoted(&text) {
            // `a::b::item` and `a::b::{item, item}`: each item must be declared in module b
            // (a file b.rs or b/mod.rs, or the crate b); after a type (`Step::next`),
            // anywhere.
            let Some((path, items)) = token.rsplit_once("::") else { continue };
            if !path.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') || path.is_empty() {
                continue;
            }
            let module = path.rsplit("::").next().unwrap();
            let in_type = module.starts_with(|c: char| c.is_ascii_uppercase());
            for item in items.trim_matches(['{', '}']).split(',').map(|i| i.trim().trim_end_matches("()")) {
                if item.is_empty() || !item.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let found = files.iter().any(|(m, text)| {
                    (in_type || m == module) && (declares(text, item) || (in_type && text.contains(item)))
                });
                if !found {
                    missing.insert(format!("{name}: `{token}` ({item} in {module})"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "names the docs cite that the code does not declare there:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}
