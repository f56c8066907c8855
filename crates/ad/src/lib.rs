//! `saddle-ad`: exact derivatives as graph transforms over `saddle-graph`.
//!
//! Every transform appends nodes to the graph it is given and returns the node of the
//! derivative; nothing here evaluates numbers. Forward mode ([`jvp`]) applies each
//! primitive's JVP rule; reverse mode ([`vjp`], [`grad`]) linearizes with the same
//! rules and transposes the linear part (JAX's design), so only linear primitives
//! carry a transpose rule. Second derivatives are forward-over-reverse ([`hvp`]),
//! and Hessians and Jacobians are batches of directional derivatives
//! ([`hessian_columns`], [`jacobian_columns`]); [`hessian_block_columns`] computes one
//! parameter block's columns with the other blocks' tangents symbolically zero and only
//! the rows symmetry does not give. Derivatives with respect to inputs
//! ([`d_dx`], [`d2_dx2`]) are graphs too, so a PINN loss built from them is
//! differentiated again like any other.
#![warn(missing_docs)]

mod derivatives;
mod forward;
mod reverse;

pub use derivatives::{
    ParamBlock, d_dx, d2_dx2, directional, grad, hessian_block_columns, hessian_columns, hvp,
    jacobian_block_columns, jacobian_columns, param_blocks,
};
pub use forward::jvp;
pub use reverse::{transpose, vjp};
