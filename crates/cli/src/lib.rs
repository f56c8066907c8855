//! placeholder
pub mod error;
pub mod io;
