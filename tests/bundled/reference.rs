//! Bundled problems with reference data from a documented script: their cases
//! for the table of `bundled_problems.rs`.

use crate::Case;

/// The cases, in the table's order.
pub const CASES: &[Case] = &[];
