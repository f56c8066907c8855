//! Bundled problems with a closed-form (exact or manufactured) solution: their cases
//! for the table of `bundled_problems.rs`.

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
        // The file gives C's true value 1 (`exact`), which the residuals at u* use; the
        // source reaches π² − 1 ≈ 8.9, and rounding is a few ulps of that.
        solution: Solution::Exact(1e-13),
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
    Case {
        file: "examples/problems/kovasznay.toml",
        problem: "Kovasznay flow at Re = 20: u, v, p from one network (DeepXDE, NSFnets)",
        arch: "2,10,10,3",
        act: "tanh",
        solver: "lm",
        max_iter: 30,
        seed: 0,
        // The exact solution's terms are of order 1 (λ ≈ −0.96, e^{2λx} ≤ 2.6).
        solution: Solution::Exact(1e-13),
        coefficient: None,
        rel_l2_below: 0.6,
    },
];
