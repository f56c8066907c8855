//! One module per subcommand; each returns the JSON object it prints.

pub mod bench;
pub mod derivs;
pub mod fit;
