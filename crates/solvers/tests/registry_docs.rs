//! The registry's tables (the family; every option with default, range and meaning) are
//! what docs/solvers.md shows: the test fails when the committed text is stale
//! (`SADDLE_UPDATE_DOCS=1` rewrites it).

#[path = "../../../tests/support/docs.rs"]
mod docs;

use saddle_solvers::{SolverKind, SolverSpec, options_table, solvers_table};

#[test]
fn docs_show_the_registry() {
    docs::publish("docs/solvers.md", "family-table.md", "family-table", &solvers_table());
    docs::publish("docs/solvers.md", "options-table.md", "options-table", &options_table());
}

#[test]
fn every_solver_builds_from_its_defaults_and_names_itself() {
    for &kind in SolverKind::ALL {
        let method = SolverSpec::new(kind).method().unwrap();
        assert_eq!(method.name(), kind.name());
        assert_eq!(kind.name().parse::<SolverKind>().unwrap(), kind);
        let names: Vec<&str> = kind.solver().options.iter().map(|o| o.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{kind} declares an option twice");
        for option in kind.solver().options {
            assert_eq!(
                option.parse(&option.default.to_string()),
                Ok(option.default),
                "{kind}.{}",
                option.name
            );
        }
    }
    assert_eq!(SolverKind::ALL.len(), 17);
}
