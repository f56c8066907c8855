//! Bundled problems with a closed-form (exact or manufactured) solution: their cases
//! for the table of `bundled_problems.rs`.

use crate::Case;

/// The cases, in the table's order.
pub const CASES: &[Case] = &[];
