//! Bundled problems with a closed-form (exact or manufactured) solution: their cases
//! for the table of `bundled_problems.rs`.

use std::fs;

use crate::support::{run, workspace_root};
use crate::{Case, Solution};

/// The inverse problem's file: its `[parameters]` start C at 2, the truth is 1.
const DIFFUSION_INVERSE: &str = "examples/problems/diffusion_inverse.toml";

/// The cases, in the table's order.
pub const CASES: &[Case] = &[
    Case {
        file: "examples/problems/klein_gordon.toml",
        problem: "Klein–Gordon u_tt − u_xx + u³ = f, manufactured (Wang, Teng & Perdikaris 2021)",
        arch: "2,10,10,1",
        act: "tanh",
        solver: "lm",
        max_iter: 300,
        seed: 0,
        // f reaches 224 on the interior points; its rounding is a few ulps of that.
        solution: Solution::Exact(1e-12),
        coefficient: None,
        rel_l2_below: 0.15,
    },
    Case {
        file: "examples/problems/poisson_disk.toml",
        problem: "Poisson Δu = −sin 4πx sin 4πy on the disk of centre (½, ½), radius ½, Dirichlet (MindSpore Flow)",
        arch: "2,12,12,1",
        act: "tanh",
        solver: "lm",
        max_iter: 150,
        seed: 0,
        solution: Solution::Exact(1e-13),
        coefficient: None,
        rel_l2_below: 0.05,
    },
    Case {
        file: DIFFUSION_INVERSE,
        problem: "inverse diffusion u_t = C u_xx − e^{−t}(1 − π²) sin πx, C from 10 observations (DeepXDE)",
        arch: "2,10,10,1",
        act: "tanh",
        solver: "lm",
        max_iter: 100,
        seed: 0,
        solution: Solution::Reference("exact, C = 1", diffusion_inverse_residual_at_truth),
        coefficient: Some(("C", 1.0, 0.01)),
        rel_l2_below: 0.005,
    },
    Case {
        file: "examples/problems/helmholtz_neumann.toml",
        problem: "Helmholtz −Δu − k₀²u = f, square with a hole, Neumann on the hole (DeepXDE)",
        arch: "2,12,12,1",
        act: "tanh",
        solver: "lm",
        max_iter: 100,
        seed: 0,
        // f and the normal derivative reach 39 and 3.5; rounding is a few ulps of those.
        solution: Solution::Exact(1e-13),
        coefficient: None,
        rel_l2_below: 0.02,
    },
];

/// The largest |residual| of any term of the inverse diffusion problem at its exact
/// solution with C at its true value 1. `saddle problem` evaluates residuals with each
/// parameter at its initial value (C = 2, where the PDE residual is π² e^{−t} sin πx, up
/// to 9.4), so this checks a copy of the file with `C = 1.0`.
fn diffusion_inverse_residual_at_truth() -> f64 {
    let text = fs::read_to_string(workspace_root().join(DIFFUSION_INVERSE)).unwrap();
    let start = "[parameters]\nC = 2.0\n";
    assert!(text.contains(start), "{DIFFUSION_INVERSE} should start C at 2");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("diffusion_inverse_at_truth.toml");
    fs::write(&copy, text.replace(start, "[parameters]\nC = 1.0\n")).unwrap();
    let json = run(["problem", copy.to_str().unwrap(), "--json"]).success_json();
    json["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["at_exact"]["max_abs"].as_f64().unwrap())
        .fold(0.0, f64::max)
}

#[test]
fn the_inverse_diffusion_problem_has_rounding_level_residuals_at_the_true_coefficient() {
    // The source term reaches (π² − 1) ≈ 8.9; rounding is a few ulps of that.
    let r = diffusion_inverse_residual_at_truth();
    assert!(r <= 1e-13, "residual {r:e} at the exact solution with C = 1");
    // And with C at its start the residual is the PDE's mismatch, π² max e^{−t}|sin πx|,
    // about 9.39 on the midpoint grid: the fit has something to recover.
    let root = workspace_root();
    let json = run(["problem", root.join(DIFFUSION_INVERSE).to_str().unwrap(), "--json"]).success_json();
    let pde = json["terms"][0]["at_exact"]["max_abs"].as_f64().unwrap();
    assert!((pde - 9.388258114497944).abs() < 1e-9, "PDE residual at C = 2: {pde}");
}
