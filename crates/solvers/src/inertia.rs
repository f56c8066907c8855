//! The inertia of a symmetric matrix (how many eigenvalues are negative, zero and
//! positive) and the classification of a stationary point it implies; shared by the
//! spectrum analysis and the LBLᵀ factorization that counts pivots.

/// What the curvature says a stationary point is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Every eigenvalue positive.
    Minimum,
    /// Both negative and positive eigenvalues.
    Saddle,
    /// Every eigenvalue negative.
    Maximum,
    /// Zero eigenvalues and no sign change: second order cannot decide (or the
    /// spectrum could not be computed).
    Degenerate,
}

impl Classification {
    /// The name used in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Classification::Minimum => "minimum",
            Classification::Saddle => "saddle",
            Classification::Maximum => "maximum",
            Classification::Degenerate => "degenerate",
        }
    }
}

/// Counts of negative, zero and positive eigenvalues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Inertia {
    /// Eigenvalues below −tol.
    pub negative: usize,
    /// Eigenvalues within ±tol.
    pub zero: usize,
    /// Eigenvalues above tol.
    pub positive: usize,
}

impl Inertia {
    /// `[negative, zero, positive]`, as printed in summaries.
    pub fn as_array(&self) -> [usize; 3] {
        [self.negative, self.zero, self.positive]
    }

    /// The classification this inertia implies.
    pub fn classify(&self) -> Classification {
        match (self.negative, self.zero, self.positive) {
            (0, 0, p) if p > 0 => Classification::Minimum,
            (n, 0, 0) if n > 0 => Classification::Maximum,
            (n, _, p) if n > 0 && p > 0 => Classification::Saddle,
            _ => Classification::Degenerate,
        }
    }

    /// Index of the point: the fraction of negative eigenvalues.
    pub fn index(&self) -> f64 {
        self.negative as f64 / (self.negative + self.zero + self.positive).max(1) as f64
    }
}
