//! The user's choice of line search for `bfgs` and `lbfgs`: [`LineSearchKind`] (the
//! command line's `--line-search` and the `line_search` option), the options it comes
//! with, and [`LineSearchChoice`], which runs the chosen search.

use std::fmt;
use std::str::FromStr;

use crate::driver::Iterate;
use crate::hager_zhang::HagerZhang;
use crate::line_search::{LineSearch, Search};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::strong_wolfe::Wolfe;

/// Which line search `bfgs` and `lbfgs` use (`--line-search` on the command line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineSearchKind {
    /// Strong Wolfe, N&W Alg. 3.5/3.6 (c₁ = 1e-4, c₂ = 0.9 unless given).
    #[default]
    StrongWolfe,
    /// Hager & Zhang's (2006) approximate-Wolfe search with its standard parameters.
    HagerZhang,
}

impl LineSearchKind {
    /// Every kind, in the order the command line lists them.
    pub const ALL: [LineSearchKind; 2] = [LineSearchKind::StrongWolfe, LineSearchKind::HagerZhang];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            LineSearchKind::StrongWolfe => "strong-wolfe",
            LineSearchKind::HagerZhang => "hager-zhang",
        }
    }
}

impl fmt::Display for LineSearchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LineSearchKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        LineSearchKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = LineSearchKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown line search '{s}' (expected one of: {})", names.join(", "))
        })
    }
}

/// The line-search options of `bfgs` and `lbfgs`: which search, and the Wolfe constants.
pub(crate) const LINE_SEARCH_OPTIONS: &[OptionSpec] = &[
    OptionSpec::choice(
        "line_search",
        &["strong-wolfe", "hager-zhang"],
        "strong-wolfe",
        "the line search (hager-zhang uses its own constants in place of c1, c2)",
    ),
    OptionSpec::number(
        "c1",
        Range::OPEN_UNIT,
        Wolfe::DEFAULT_C1,
        "sufficient-decrease constant of the Wolfe conditions",
    ),
    OptionSpec::number(
        "c2",
        Range::OPEN_UNIT,
        Wolfe::DEFAULT_C2,
        "curvature constant of the Wolfe conditions (> c1)",
    ),
];

/// A quasi-Newton method's line search: strong Wolfe with its constants, or Hager–Zhang.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LineSearchChoice {
    /// Which search runs.
    pub kind: LineSearchKind,
    /// The strong-Wolfe constants (used when `kind` is `StrongWolfe`).
    pub wolfe: Wolfe,
}

impl LineSearch for LineSearchChoice {
    fn search(&self, f: &mut Counted<'_>, from: &Iterate, direction: &[f64], alpha0: f64) -> Search {
        match self.kind {
            LineSearchKind::StrongWolfe => self.wolfe.search(f, from, direction, alpha0),
            LineSearchKind::HagerZhang => HagerZhang::DEFAULT.search(f, from, direction, alpha0),
        }
    }
}
