//! The line-search interface of the quasi-Newton methods: [`LineSearch`], what a search
//! finds ([`Search`]), the trial point both searches evaluate ([`Trial`]), and the
//! quasi-Newton iteration's search with its steepest-descent fallback. The searches are
//! the strong-Wolfe one (`strong_wolfe.rs`) and Hager–Zhang's (`hager_zhang.rs`); the
//! user's choice between them is `line_search_kind.rs`.

use crate::driver::{Iterate, Step, dot, norm};
use crate::objective::Counted;

/// A line search of the quasi-Newton methods: from `from` along the descent direction
/// `direction`, trying the step `alpha0` first.
pub(crate) trait LineSearch {
    /// Searches along φ(α) = f(from + α·direction).
    fn search(&self, f: &mut Counted<'_>, from: &Iterate, direction: &[f64], alpha0: f64) -> Search;
}

/// What a search found.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Search {
    /// The search's acceptance test holds at `alpha`: both strong Wolfe conditions
    /// (`Wolfe`), or the Wolfe or approximate Wolfe conditions (`HagerZhang`).
    Accepted {
        /// The step length.
        alpha: f64,
        /// The iterate x + αd with f and ∇f.
        next: Iterate,
    },
    /// The trial budget ran out, or the bracket shrank to rounding level, at a step that
    /// decreases f but fails the acceptance test.
    Decrease {
        /// The step length.
        alpha: f64,
        /// The iterate x + αd with f and ∇f.
        next: Iterate,
    },
    /// No trial step satisfied sufficient decrease.
    NoDecrease {
        /// Every trial produced a non-finite f or ∇f.
        non_finite: bool,
    },
    /// φ'(0) = ∇fᵀd is not negative (or not finite): d is not a descent direction.
    NotDescent,
}

/// The outcome of a quasi-Newton iteration's search.
pub(crate) enum QuasiNewtonSearch {
    /// A step was taken.
    Moved {
        /// Step length α.
        alpha: f64,
        /// The new iterate.
        next: Iterate,
        /// The method's direction failed and the step is along −∇f: forget the curvature
        /// memory before updating it with this step.
        restarted: bool,
    },
    /// No step could be taken: the [`Step`] that ends the run.
    Stuck(Step),
}

/// One quasi-Newton search. Along the method's `direction` (from its curvature memory)
/// the first trial is the unit step. When there is no such direction yet, or the search
/// along it fails (not a descent direction, or no sufficient decrease), the search is
/// along steepest descent −∇f with first trial α₀ = min(1, 1/‖∇f‖), i.e. a first step of
/// length at most 1. If that fails too, the method is stuck: [`Step::NonFinite`] if every
/// trial produced a non-finite f or ∇f, else the current iterate with a zero trial norm,
/// so that the driver stops with `step_too_small`.
pub(crate) fn quasi_newton_search(
    line_search: &dyn LineSearch,
    f: &mut Counted<'_>,
    current: &Iterate,
    direction: Option<Vec<f64>>,
) -> QuasiNewtonSearch {
    if let Some(direction) = direction {
        match line_search.search(f, current, &direction, 1.0) {
            Search::Accepted { alpha, next } | Search::Decrease { alpha, next } => {
                return QuasiNewtonSearch::Moved { alpha, next, restarted: false };
            }
            Search::NoDecrease { .. } | Search::NotDescent => {}
        }
    }
    let direction: Vec<f64> = current.grad.iter().map(|g| -g).collect();
    let alpha0 = (1.0 / norm(&current.grad)).min(1.0);
    match line_search.search(f, current, &direction, alpha0) {
        Search::Accepted { alpha, next } | Search::Decrease { alpha, next } => {
            QuasiNewtonSearch::Moved { alpha, next, restarted: true }
        }
        Search::NoDecrease { non_finite: true } => QuasiNewtonSearch::Stuck(Step::NonFinite),
        Search::NoDecrease { non_finite: false } | Search::NotDescent => {
            QuasiNewtonSearch::Stuck(Step::next(current.clone(), 0.0).with_step_length(0.0))
        }
    }
}

/// φ and φ' at a trial step; φ = +∞ and φ' = NaN where f or ∇f was not finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Trial {
    /// The step α.
    pub alpha: f64,
    /// φ(α) = f(x + αd).
    pub phi: f64,
    /// φ'(α) = ∇f(x + αd)ᵀd.
    pub dphi: f64,
}

impl Trial {
    /// Whether f and ∇f were finite there.
    pub fn is_finite(&self) -> bool {
        self.phi.is_finite() && self.dphi.is_finite()
    }

    /// Evaluates f and ∇f at x + αd (from x = `from.x`, d = `direction`): the trial and
    /// its iterate.
    pub fn at(f: &mut Counted<'_>, from: &Iterate, direction: &[f64], alpha: f64) -> (Trial, Iterate) {
        let x = from.x.iter().zip(direction).map(|(x, d)| x + alpha * d).collect();
        let next = Iterate::at(f, x);
        let trial = if next.is_finite() {
            Trial { alpha, phi: next.loss, dphi: dot(&next.grad, direction) }
        } else {
            Trial { alpha, phi: f64::INFINITY, dphi: f64::NAN }
        };
        (trial, next)
    }
}
