//! `saddle solvers`: the solver family and every option, from the solvers' own declarations.

use saddle_solvers::{SolverKind, options_table, solvers_table};
use serde_json::json;

use super::Output;

/// The two Markdown tables (solvers, then options), or with `json` (`--json`) one object
/// listing every solver.
pub fn run(json: bool) -> Output {
    if !json {
        return Output::Text(format!("{}\n{}", solvers_table(), options_table()));
    }
    let solvers: Vec<serde_json::Value> = SolverKind::ALL
        .iter()
        .map(|kind| {
            let s = kind.solver();
            let options: Vec<serde_json::Value> = s
                .options
                .iter()
                .map(|o| json!({"name": o.name, "default": o.default, "valid": o.accepts(), "meaning": o.meaning}))
                .collect();
            json!({
                "name": s.name,
                "family": s.family,
                "matrix_free": s.is_matrix_free(),
                "step": s.summary,
                "options": options,
            })
        })
        .collect();
    Output::Json(json!({ "solvers": solvers }))
}
