//! The primitives: each file holds one op's shape rule, kernel, simplifications,
//! JVP rule and (for linear ops) transpose rule, and the examples the derivative
//! harness checks it on.
//!
//! Adding an op is one file here plus one line in the [`primitives!`] list below; an
//! elementwise function of one operand is a [`Unary`] (its value and its derivative), and
//! its line's `[function]` and `[activation]` make it a [`Function`] of problem files and
//! an [`Activation`].

use std::fmt;

use crate::{Graph, GraphError, NodeId, Shape};

/// The rules every primitive provides. Derivative rules build graph nodes through
/// the same [`Graph`] builder as user code; they never compute numbers.
pub trait Primitive {
    /// The op's name in the text form and in error messages.
    fn name(&self) -> &'static str;

    /// The op's parameters for the text form, e.g. `offset=3,rows=2,cols=4`.
    fn params(&self) -> String {
        String::new()
    }

    /// Number of operands.
    fn arity(&self) -> usize;

    /// The result shape, or why the operand shapes do not fit.
    fn shape(&self, args: &[Shape]) -> Result<Shape, String>;

    /// Computes the result into `out` (whose shape is the result shape).
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>);

    /// The fill value of the result when every operand is a constant fill with the given
    /// values and shapes; `None` when the result is not a fill (or folding is not worth it).
    fn fold(&self, _values: &[f64], _args: &[Shape], _out: Shape) -> Option<f64> {
        None
    }

    /// An algebraic identity: a node equal to this op applied to `args`, or `None`.
    fn simplify(&self, _g: &mut Graph, _args: &[NodeId], _out: Shape) -> Result<Option<NodeId>, GraphError> {
        Ok(None)
    }

    /// Forward-mode rule: the tangent of the result `out = op(args)` given the operands'
    /// tangents (`None` is a symbolic zero; at least one is non-zero). A tangent may carry
    /// a larger batch than its primal. The driver broadcasts the result to `out`'s rows
    /// and columns, so a rule may return a smaller (broadcastable) tangent.
    fn jvp(
        &self,
        _g: &mut Graph,
        _out: NodeId,
        _args: &[NodeId],
        _tangents: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        Err(GraphError::MissingRule { op: self.name(), rule: "jvp" })
    }

    /// Transpose rule for ops linear in the operands marked `linear`: the cotangent
    /// contribution to each linear operand given the result's cotangent `ct` (`None` for
    /// the others). The driver sums each contribution down to its operand's shape.
    fn transpose(
        &self,
        _g: &mut Graph,
        _args: &[NodeId],
        _linear: &[bool],
        _ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        Err(GraphError::MissingRule { op: self.name(), rule: "transpose" })
    }
}

/// A read-only view of a value: its data (row-major, batch-major) and shape.
#[derive(Clone, Copy, Debug)]
pub struct Tensor<'a> {
    /// The elements, `shape.len()` of them.
    pub data: &'a [f64],
    /// The shape.
    pub shape: Shape,
}

/// A writable view of a value.
#[derive(Debug)]
pub struct TensorMut<'a> {
    /// The elements, `shape.len()` of them.
    pub data: &'a mut [f64],
    /// The shape.
    pub shape: Shape,
}

/// One case the derivative harness checks a primitive on: the op and its operand shapes.
#[derive(Clone, Debug)]
pub struct Example {
    /// The op under test.
    pub op: Op,
    /// Shapes of its operands (sampled at random points by the harness).
    pub args: Vec<Shape>,
}

impl Example {
    /// A case of `op` on operands of the given shapes.
    pub fn new(op: impl Into<Op>, args: impl IntoIterator<Item = Shape>) -> Self {
        Example { op: op.into(), args: args.into_iter().collect() }
    }
}

/// `(p, q, t)` when `a = p·t` and `b = q·t` share a factor `t` that depends on a later
/// input than `p` and `q` (see [`Graph::input_rank`]): then `a ± b = (p ± q)·t` does one
/// operation on `t` instead of three.
fn common_varying_factor(g: &Graph, a: NodeId, b: NodeId) -> Option<(NodeId, NodeId, NodeId)> {
    let factors = |x: NodeId| match g.node(x).op {
        Op::Mul(_) => Some([g.node(x).args[0], g.node(x).args[1]]),
        _ => None,
    };
    let ([a0, a1], [b0, b1]) = (factors(a)?, factors(b)?);
    [(a0, a1), (a1, a0)]
        .into_iter()
        .flat_map(|(p, t)| [(p, t, b0, b1), (p, t, b1, b0)])
        .find(|&(p, t, q, u)| t == u && g.input_rank(t) > g.input_rank(p).max(g.input_rank(q)))
        .map(|(p, t, q, _)| (p, q, t))
}

/// `(p, q, r)` when one operand of a bilinear op is `p` and the other the product
/// `q·r` (either order) with `r` depending on a later input than `p` and `q`: then
/// `f(p, q·r) = f(p, q)·r` computes `f(p, q)` once for many values of `r` (a tangent's
/// primal factors, say).
fn later_factor(g: &Graph, a: NodeId, b: NodeId) -> Option<(NodeId, NodeId, NodeId)> {
    [(a, b), (b, a)].into_iter().find_map(|(p, m)| {
        let Op::Mul(_) = g.node(m).op else { return None };
        let (x, y) = (g.node(m).args[0], g.node(m).args[1]);
        [(x, y), (y, x)]
            .into_iter()
            .find(|&(q, r)| g.input_rank(r) > g.input_rank(p).max(g.input_rank(q)))
            .map(|(q, r)| (p, q, r))
    })
}

/// `$kernel::<N>(args)` for `$len` = N in 1..=16 (a copy of the kernel per length, whose
/// loops over N elements the compiler unrolls into whole-row vector operations), else
/// `$other`.
macro_rules! by_short_length {
    ($len:expr, $kernel:ident $args:tt, $other:expr) => {
        by_short_length!(@ $len, $kernel $args, $other, 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    };
    (@ $len:expr, $kernel:ident $args:tt, $other:expr, $($n:literal)*) => {
        match $len {
            $($n => $kernel::<$n> $args,)*
            _ => $other,
        }
    };
}

/// The identities of an op slope(x)·t that scales a tangent t by a function of x
/// (`tanh_grad`, `abs_grad`): a zero tangent gives zero, and a constant x (whose slope is
/// `slope_at`) gives the product slope·t, which the product's own identities can move.
fn simplify_scaled_tangent(
    g: &mut Graph,
    x: NodeId,
    t: NodeId,
    out: Shape,
    slope_at: impl Fn(f64) -> f64,
) -> Result<Option<NodeId>, GraphError> {
    if g.const_value(t) == Some(0.0) {
        return Ok(Some(g.fill(0.0, out)));
    }
    match g.const_value(x) {
        Some(c) => {
            let slope = g.scalar(slope_at(c));
            let product = g.mul(slope, t)?;
            g.broadcast_like(product, out)
        }
        None => Ok(None),
    }
}

/// The JVP and transpose rules of an op linear in its one operand, x ↦ op(x): the JVP is
/// the op applied to the tangent, the transpose `adjoint`, built from the graph, the
/// operand and the cotangent: `linear_rules!(|g, a, ct| adjoint)`, or
/// `linear_rules!(self, |g, a, ct| adjoint)` when the adjoint reads the op's parameters.
macro_rules! linear_rules {
    (|$g:ident, $a:pat_param, $ct:ident| $adjoint:expr) => {
        linear_rules!(self, |$g, $a, $ct| $adjoint);
    };
    ($self:tt, |$g:ident, $a:pat_param, $ct:ident| $adjoint:expr) => {
        fn jvp(
            &$self,
            g: &mut Graph,
            _: NodeId,
            _: &[NodeId],
            t: &[Option<NodeId>],
        ) -> Result<Option<NodeId>, GraphError> {
            t[0].map(|t| g.apply(*$self, &[t])).transpose()
        }
        fn transpose(
            &$self,
            $g: &mut Graph,
            args: &[NodeId],
            _: &[bool],
            $ct: NodeId,
        ) -> Result<Vec<Option<NodeId>>, GraphError> {
            let $a = args[0];
            Ok(vec![Some($adjoint)])
        }
    };
}

/// The JVP and transpose rules of an op f(a, b) linear in each operand separately (a
/// product): d f = f(da, b) + f(a, db), and the cotangent of a (b fixed) is `left`, built
/// from the graph, b and the cotangent, that of b (a fixed) `right`:
/// `bilinear_rules!(|g, b, ct| left, |g, a, ct| right)`.
macro_rules! bilinear_rules {
    (|$g:ident, $b:pat_param, $ct:ident| $left:expr, |$g2:ident, $a:pat_param, $ct2:ident| $right:expr $(,)?) => {
        fn jvp(
            &self,
            g: &mut Graph,
            _: NodeId,
            args: &[NodeId],
            t: &[Option<NodeId>],
        ) -> Result<Option<NodeId>, GraphError> {
            let da_b = t[0].map(|da| g.apply(*self, &[da, args[1]])).transpose()?;
            let a_db = t[1].map(|db| g.apply(*self, &[args[0], db])).transpose()?;
            g.add_maybe(da_b, a_db)
        }
        fn transpose(
            &self,
            g: &mut Graph,
            args: &[NodeId],
            linear: &[bool],
            ct: NodeId,
        ) -> Result<Vec<Option<NodeId>>, GraphError> {
            match linear {
                [true, false] => {
                    let ($g, $b, $ct) = (g, args[1], ct);
                    Ok(vec![Some($left), None])
                }
                [false, true] => {
                    let ($g2, $a, $ct2) = (g, args[0], ct);
                    Ok(vec![None, Some($right)])
                }
                _ => Err(GraphError::NotLinear { op: self.name() }),
            }
        }
    };
}

/// Declares the primitive set: the [`Op`] enum, its dispatch to each primitive's rules,
/// the list of examples over all of them, and the [`Function`]s and [`Activation`]s:
/// the ops whose line carries `[function]`, `[activation]` or both.
macro_rules! primitives {
    ($($(#[doc = $doc:literal])* $variant:ident in $module:ident $([$($role:ident),*])?),* $(,)?) => {
        $(mod $module; pub use $module::$variant;)*

        /// An operation: one variant per primitive.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $($(#[doc = $doc])* $variant($variant),)*
        }

        $(impl From<$variant> for Op {
            fn from(p: $variant) -> Op { Op::$variant(p) }
        })*

        impl Op {
            /// The primitive's rules.
            pub fn rules(&self) -> &dyn Primitive {
                match self { $(Op::$variant(p) => p,)* }
            }

            /// The names of all primitives, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($variant)),*];

            /// Every primitive's line in the list: its variant name and its doc comment.
            pub const DOCS: &'static [(&'static str, &'static str)] =
                &[$((stringify!($variant), concat!($($doc),*))),*];

            /// Every primitive's examples, by variant name; the derivative harness
            /// requires a non-empty list for every op with operands.
            pub fn examples() -> Vec<(&'static str, Vec<Example>)> {
                vec![$((stringify!($variant), $module::examples()),)*]
            }
        }

        roles! { [] [] $($variant [$($($role)*)?])* }
    };
}

/// Sorts the `primitives!` lines by role: `[functions] [activations] Variant [roles]...`.
macro_rules! roles {
    ([$($f:ident)*] [$($a:ident)*]) => {
        named_unary! {
            /// An elementwise function that problem-file expressions may call, `sin(x)`:
            /// the ops marked `[function]` in the `primitives!` list.
            pub enum Function: "function" [$($f)*]
        }
        named_unary! {
            /// The activation applied on every hidden layer (`--act`): the ops marked
            /// `[activation]` in the `primitives!` list.
            pub enum Activation: "activation" [$($a)*]
        }
    };
    ([$($f:ident)*] [$($a:ident)*] $v:ident [function $($r:ident)*] $($rest:tt)*) => {
        roles! { [$($f)* $v] [$($a)*] $v [$($r)*] $($rest)* }
    };
    ([$($f:ident)*] [$($a:ident)*] $v:ident [activation $($r:ident)*] $($rest:tt)*) => {
        roles! { [$($f)*] [$($a)* $v] $v [$($r)*] $($rest)* }
    };
    ([$($f:ident)*] [$($a:ident)*] $v:ident [] $($rest:tt)*) => {
        roles! { [$($f)*] [$($a)*] $($rest)* }
    };
}

/// An enum naming some unary ops, with `ALL`, `name`, `op`, `apply`, `Display` and
/// `FromStr` (whose error lists the names).
macro_rules! named_unary {
    ($(#[doc = $doc:literal])* pub enum $name:ident: $kind:literal [$($v:ident)*]) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("[`", stringify!($v), "`].")] $v,)*
        }

        impl $name {
            /// Every one, in the order of the `primitives!` list.
            pub const ALL: [$name; [$($name::$v),*].len()] = [$($name::$v),*];

            /// Its op's name: in problem files and on the command line.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $v.name(),)* }
            }

            /// The one named `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.into_iter().find(|v| v.name() == name)
            }

            /// Its op.
            pub fn op(self) -> Op {
                match self { $($name::$v => Op::$v($v),)* }
            }

            /// Applies it to `x`.
            pub fn apply(self, g: &mut Graph, x: NodeId) -> Result<NodeId, GraphError> {
                g.apply(self.op(), &[x])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::from_name(s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.name()).collect();
                    format!(concat!("unknown ", $kind, " '{}' (expected one of: {})"), s, names.join(", "))
                })
            }
        }
    };
}

primitives! {
    /// A named input value (data, parameters, a tangent direction).
    Input in input,
    /// A constant fill: every element has the same value.
    Const in constant,
    /// A `rows × cols` block carved row-major from a column vector.
    Slice in slice,
    /// A matrix placed row-major into a zero column vector (the transpose of `Slice`).
    Embed in embed,
    /// Matrix product.
    MatMul in matmul,
    /// a·b + c for a column a and a row b (a program's fused `add` of an outer product).
    OuterAdd in outer_add,
    /// Matrix transpose.
    Transpose in transpose,
    /// Elementwise sum with broadcasting.
    Add in add,
    /// Elementwise difference with broadcasting.
    Sub in sub,
    /// Elementwise product with broadcasting.
    Mul in mul,
    /// a·b + c over operands of one shape (a program's fused `add` of a `mul`).
    MulAdd in mul_add,
    /// Elementwise quotient with broadcasting.
    Div in div,
    /// Elementwise negation.
    Neg in neg,
    /// Sum over rows and/or columns, keeping them as length 1.
    SumTo in sum_to,
    /// Repeat a single row and/or column (the transpose of `SumTo`).
    BroadcastTo in broadcast_to,
    /// Hyperbolic tangent.
    Tanh in tanh [function, activation],
    /// tanh's derivative applied to a tangent, t·(1 − y²) given y = tanh(x).
    TanhGrad in tanh_grad,
    /// −2·y·t, the derivative of `TanhGrad` with respect to y.
    TanhGradDy in tanh_grad_dy,
    /// Sine.
    Sin in sin [function, activation],
    /// Cosine.
    Cos in cos [function],
    /// Logistic sigmoid 1 / (1 + e^-x).
    Sigmoid in sigmoid [function, activation],
    /// Softplus log(1 + e^x).
    Softplus in softplus [function, activation],
    /// Exponential eˣ.
    Exp in exp [function],
    /// Natural logarithm.
    Log in log [function],
    /// Square root.
    Sqrt in sqrt [function],
    /// Absolute value.
    Abs in abs [function],
    /// abs's derivative applied to a tangent, sign(x)·t with sign(0) = 0.
    AbsGrad in abs_grad,
    /// Hyperbolic sine.
    Sinh in sinh [function],
    /// Hyperbolic cosine.
    Cosh in cosh [function],
    /// Arctangent.
    Atan in atan [function],
    /// xᵖ for a constant real exponent p.
    Pow in pow,
}

mod unary;
pub use unary::Unary;

pub(crate) mod mathfn;

pub(crate) use matmul::product_of;

impl fmt::Display for Op {
    /// The op's name and parameters, e.g. `slice[offset=0,rows=1,cols=10]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules = self.rules();
        let params = rules.params();
        if params.is_empty() { f.write_str(rules.name()) } else { write!(f, "{}[{}]", rules.name(), params) }
    }
}

/// Kernels shared by the elementwise primitives.
///
/// Each loop runs inside [`elementwise::wide`], which compiles it a second time for AVX2
/// and FMA and picks that version at run time when the CPU has both: four lanes instead
/// of SSE2's two. Every element is computed by the same IEEE operations either way, so
/// the results are bit-identical: Rust never contracts a multiply and an add into an
/// FMA, and the explicit ones (`f64::mul_add`, in [`mathfn`]) round once on every target,
/// as an instruction or else as a correctly rounded libm call.
pub(crate) mod elementwise {
    use super::{Tensor, TensorMut};

    /// Runs `f` compiled for AVX2 and FMA when the CPU supports both (x86-64), else as is
    /// (on an x86-64 CPU without them each `mul_add` is then a libm call, and its loop does
    /// not vectorize). `f`'s body, and the functions it calls that should vectorize, must
    /// inline into it (`#[inline(always)]` on them), so that they are compiled with the
    /// wider target.
    #[inline(always)]
    pub fn wide<R>(f: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2_fma<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA, checked just above.
                return unsafe { avx2_fma(f) };
            }
        }
        f()
    }

    // The kernels take their functions by value (`Copy`), never by reference: a call
    // through `&F` goes through a shim that need not inline, and then costs a call per
    // element compiled for the baseline target.

    /// `out[i] = f(a[i])` over equal-length slices.
    #[inline(always)]
    fn map(out: &mut [f64], a: &[f64], f: impl Fn(f64) -> f64) {
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f(x);
        }
    }

    /// `out[i] = f(a[i], b[i])` over equal-length slices.
    #[inline(always)]
    fn zip(out: &mut [f64], a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
    }

    /// `out = f(a)` elementwise.
    pub fn unary(a: Tensor<'_>, out: TensorMut<'_>, f: impl Fn(f64) -> f64 + Copy) {
        wide(
            #[inline(always)]
            move || map(out.data, a.data, f),
        );
    }

    /// As [`wide`], but compiled for AVX-512 when the CPU has it (with FMA): eight lanes,
    /// the same IEEE operations, so the same bits. For kernels with enough arithmetic per
    /// element to gain from it (tanh: ~30% faster over 2560 values); compiled so for
    /// every kernel, 512-bit code slowed the Hessian's memory-bound steps.
    #[inline(always)]
    pub fn widest<R>(f: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,avx2,fma")]
            unsafe fn avx512_fma<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX-512F and FMA, checked just above.
                return unsafe { avx512_fma(f) };
            }
        }
        wide(f)
    }

    /// `out = f(a)` elementwise over the widest vectors the CPU has ([`widest`]).
    pub fn unary_widest(a: Tensor<'_>, out: TensorMut<'_>, f: impl Fn(f64) -> f64 + Copy) {
        widest(
            #[inline(always)]
            move || map(out.data, a.data, f),
        );
    }

    /// `out = f(a)` elementwise from a vectorizable `fast` that is valid only for
    /// |x| ≤ `limit`, and `slow` for the other elements (and NaN): a vectorized pass
    /// over a block, then a scalar pass over it only if it holds such elements.
    pub fn unary_in_range(
        a: Tensor<'_>,
        out: TensorMut<'_>,
        limit: f64,
        fast: impl Fn(f64) -> f64 + Copy,
        slow: impl Fn(f64) -> f64 + Copy,
    ) {
        const BLOCK: usize = 256;
        wide(
            #[inline(always)]
            move || {
                for (o, xs) in out.data.chunks_mut(BLOCK).zip(a.data.chunks(BLOCK)) {
                    let mut in_range = true;
                    for (o, &x) in o.iter_mut().zip(xs) {
                        *o = fast(x);
                        in_range &= x.abs() <= limit;
                    }
                    if !in_range {
                        for (o, &x) in o.iter_mut().zip(xs) {
                            if x.abs() > limit || x.is_nan() {
                                *o = slow(x);
                            }
                        }
                    }
                }
            },
        );
    }

    /// `out = f(a, b)` elementwise, broadcasting dimensions of length 1.
    pub fn binary(a: Tensor<'_>, b: Tensor<'_>, out: TensorMut<'_>, f: impl Fn(f64, f64) -> f64 + Copy) {
        wide(
            #[inline(always)]
            move || binary_body(a, b, out, f),
        );
    }

    #[inline(always)]
    fn binary_body(a: Tensor<'_>, b: Tensor<'_>, out: TensorMut<'_>, f: impl Fn(f64, f64) -> f64 + Copy) {
        if a.shape == out.shape && b.shape == out.shape {
            return zip(out.data, a.data, b.data, f);
        }
        if b.shape.is_scalar() && a.shape == out.shape {
            let y = b.data[0];
            return map(
                out.data,
                a.data,
                #[inline(always)]
                move |x| f(x, y),
            );
        }
        if a.shape.is_scalar() && b.shape == out.shape {
            let x = a.data[0];
            return map(
                out.data,
                b.data,
                #[inline(always)]
                move |y| f(x, y),
            );
        }
        // A bias row against a full operand with short rows (256×10 + 1×10): the row is
        // repeated into a tile of whole rows, so the inner loop runs over many rows at
        // once instead of one short row at a time.
        let s = out.shape;
        let is_row = |t: &Tensor<'_>| t.shape.batch == 1 && t.shape.rows == 1 && t.shape.cols == s.cols;
        if s.cols > 1 && s.cols <= ROW_TILE / 4 {
            if a.shape == s && is_row(&b) {
                return row_tiled(out.data, a.data, b.data, f);
            }
            if b.shape == s && is_row(&a) {
                return row_tiled(
                    out.data,
                    b.data,
                    a.data,
                    #[inline(always)]
                    move |y, x| f(x, y),
                );
            }
        }
        // General case, one output row at a time: each operand contributes either a whole
        // row or a single value broadcast along it, so the inner loops stay simple.
        #[inline(always)]
        fn row_of<'a>(t: &Tensor<'a>, k: usize, i: usize) -> &'a [f64] {
            let ts = t.shape;
            let k = if ts.batch == 1 { 0 } else { k };
            let i = if ts.rows == 1 { 0 } else { i };
            let start = (k * ts.rows + i) * ts.cols;
            &t.data[start..start + ts.cols]
        }
        // Batch entry k, row i of the output row at hand (counted, not divided out: a
        // division per row costs as much as a short row's arithmetic).
        let (mut k, mut i) = (0, 0);
        for o in out.data.chunks_exact_mut(s.cols.max(1)) {
            let rows = (row_of(&a, k, i), row_of(&b, k, i));
            i += 1;
            if i == s.rows {
                (k, i) = (k + 1, 0);
            }
            match rows {
                ([x], [y]) => o.fill(f(*x, *y)),
                ([x], ys) => map(
                    o,
                    ys,
                    #[inline(always)]
                    move |y| f(*x, y),
                ),
                (xs, [y]) => map(
                    o,
                    xs,
                    #[inline(always)]
                    move |x| f(x, *y),
                ),
                (xs, ys) => zip(o, xs, ys, f),
            }
        }
    }

    /// Elements in a tile of whole short rows: the tile of repeated rows [`row_tiled`]
    /// uses, and the tile sums over many short rows accumulate into (`sum_to`).
    pub(crate) const ROW_TILE: usize = 256;

    /// `out[e] = f(full[e], row[e mod cols])`, with `row` repeated into a tile of whole
    /// rows so that the loop is long however short the rows (cols ≤ ROW_TILE).
    #[inline(always)]
    fn row_tiled(out: &mut [f64], full: &[f64], row: &[f64], f: impl Fn(f64, f64) -> f64 + Copy) {
        let len = ROW_TILE / row.len() * row.len();
        let mut tile = [0.0; ROW_TILE];
        for (t, &r) in tile[..len].iter_mut().zip(row.iter().cycle()) {
            *t = r;
        }
        for (o, x) in out.chunks_mut(len).zip(full.chunks(len)) {
            zip(o, x, &tile[..o.len()], f);
        }
    }

    /// `out = a` broadcast to `out`'s shape.
    pub fn unary_broadcast(a: Tensor<'_>, out: TensorMut<'_>) {
        let zero = Tensor { data: &[0.0], shape: crate::Shape::SCALAR };
        binary(
            a,
            zero,
            out,
            #[inline(always)]
            |x, _| x,
        );
    }

    /// Shape rule of a broadcasting binary op.
    pub fn broadcast_shape(args: &[crate::Shape]) -> Result<crate::Shape, String> {
        crate::Shape::broadcast(args[0], args[1])
            .ok_or_else(|| "operands do not broadcast (each dimension must match or be 1)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates `op` on operands of the given shapes and values.
    fn eval(op: impl Into<Op>, args: &[(Shape, &[f64])]) -> Vec<f64> {
        let op = op.into();
        let shapes: Vec<Shape> = args.iter().map(|a| a.0).collect();
        let shape = op.rules().shape(&shapes).unwrap();
        let mut out = vec![f64::NAN; shape.len()];
        let tensors: Vec<Tensor<'_>> = args.iter().map(|&(shape, data)| Tensor { data, shape }).collect();
        op.rules().eval(&tensors, TensorMut { data: &mut out, shape });
        out
    }

    fn sample(n: usize, scale: f64) -> Vec<f64> {
        (0..n).map(|i| scale * ((i as f64 * 0.7548776662466927).fract() - 0.5)).collect()
    }

    #[test]
    fn vectorized_kernels_match_the_scalar_functions_bit_for_bit() {
        // The kernels run compiled for AVX2 and FMA where the CPU has them (tanh's for
        // AVX-512 where it has that); the scalar functions (through `fold`) for the
        // baseline target. Odd lengths cover the loop tails. The
        // last sample mixes arguments in and out of sin's and cos's fast range (and the
        // special values) in one block, so their scalar fix-up pass runs too.
        use super::mathfn::testing::{edge_cases, sin_cos_points};
        let ops: [Op; 7] =
            [Tanh.into(), Sin.into(), Cos.into(), Sigmoid.into(), Softplus.into(), Exp.into(), Neg.into()];
        let mixed: Vec<f64> =
            sin_cos_points().take(600).chain(edge_cases()).chain([f64::NAN, 3e6, -0.5]).collect();
        let samples = [1.0, 8.0, 80.0, 3e6].map(|scale| sample(1001, scale));
        for x in samples.iter().chain([&mixed]) {
            let shape = Shape::vector(x.len());
            for op in &ops {
                let got = eval(op.clone(), &[(shape, x)]);
                for (&g, &x) in got.iter().zip(x) {
                    let want = op.rules().fold(&[x], &[Shape::SCALAR], Shape::SCALAR).unwrap();
                    assert_eq!(g.to_bits(), want.to_bits(), "{op} at {x:e}: {g:e} vs {want:e}");
                }
            }
            // tanh's AVX2 path too, which a CPU with AVX-512 does not take above.
            let mut got = vec![0.0; x.len()];
            elementwise::unary(Tensor { data: x, shape }, TensorMut { data: &mut got, shape }, Tanh::value);
            for (&g, &x) in got.iter().zip(x) {
                assert_eq!(g.to_bits(), Tanh::value(x).to_bits(), "tanh (AVX2) at {x:e}");
            }
        }
    }

    #[test]
    fn functions_and_activations_are_unary_ops_found_by_their_names() {
        let functions = Function::ALL.map(|f| (f.name(), f.op(), f.to_string().parse() == Ok(f)));
        let activations = Activation::ALL.map(|a| (a.name(), a.op(), a.to_string().parse() == Ok(a)));
        for (name, op, parses) in functions.into_iter().chain(activations) {
            assert_eq!((op.rules().name(), op.rules().arity(), parses), (name, 1, true), "{op}");
        }
        let e = "relu".parse::<Activation>().unwrap_err();
        assert!(e.starts_with("unknown activation 'relu' (expected one of: tanh, sin, "), "{e}");
        assert_eq!("cos".parse::<Function>(), Ok(Function::Cos));
        assert_eq!("sigmoid".parse::<Function>(), Ok(Function::Sigmoid));
        // Ops without the role are neither.
        assert!("abs_grad".parse::<Function>().is_err() && "cosh".parse::<Activation>().is_err());
    }

    #[test]
    fn broadcasting_binary_kernels_match_elementwise_formulas() {
        let (b, r, c) = (3, 5, 7);
        let shapes = [
            Shape::matrix(r, c).batched(b),
            Shape::matrix(r, c),
            Shape::matrix(1, c),
            Shape::matrix(r, 1).batched(b),
            Shape::SCALAR,
        ];
        for &sa in &shapes {
            for &sb in &shapes {
                let (x, y) = (sample(sa.len(), 3.0), sample(sb.len(), 5.0));
                let out = Shape::broadcast(sa, sb).unwrap();
                let at = |s: Shape, v: &[f64], k: usize, i: usize, j: usize| {
                    let k = if s.batch == 1 { 0 } else { k };
                    let i = if s.rows == 1 { 0 } else { i };
                    let j = if s.cols == 1 { 0 } else { j };
                    v[(k * s.rows + i) * s.cols + j]
                };
                for (op, f) in [
                    (Op::from(Add), (|x, y| x + y) as fn(f64, f64) -> f64),
                    (Sub.into(), |x, y| x - y),
                    (Mul.into(), |x, y| x * y),
                    (Div.into(), |x, y| x / y),
                ] {
                    let got = eval(op.clone(), &[(sa, &x), (sb, &y)]);
                    for k in 0..out.batch {
                        for i in 0..out.rows {
                            for j in 0..out.cols {
                                let want = f(at(sa, &x, k, i, j), at(sb, &y, k, i, j));
                                let o = (k * out.rows + i) * out.cols + j;
                                assert_eq!(got[o], want, "{op} {sa} {sb} at ({k},{i},{j})");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every kernel of a product (the short-row loops for each length, faer otherwise)
    /// against the index formula, with either operand read transposed.
    #[test]
    fn products_match_the_index_formula_for_every_kernel() {
        let lengths = [1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 17, 37];
        for &short in &lengths {
            for &long in &[1, 9, 40] {
                // (r, k, c): M y, Mᵀ x, xᵀ M, x yᵀ, and a general product.
                for (r, k, c) in
                    [(long, short, 1), (short, long, 1), (1, long, short), (long, 1, short), (short, long, 3)]
                {
                    for transposed in [[false, false], [true, false], [false, true], [true, true]] {
                        let stored = |rows: usize, cols: usize, flip: bool| {
                            if flip { Shape::matrix(cols, rows) } else { Shape::matrix(rows, cols) }
                        };
                        let (sa, sb) = (stored(r, k, transposed[0]), stored(k, c, transposed[1]));
                        let (x, y) = (sample(sa.len(), 3.0), sample(sb.len(), 5.0));
                        let at = |i: usize, p: usize| if transposed[0] { x[p * r + i] } else { x[i * k + p] };
                        let bt = |p: usize, j: usize| if transposed[1] { y[j * k + p] } else { y[p * c + j] };
                        let mut got = vec![f64::NAN; r * c];
                        product_of(
                            Tensor { data: &x, shape: sa },
                            Tensor { data: &y, shape: sb },
                            transposed,
                            TensorMut { data: &mut got, shape: Shape::matrix(r, c) },
                        );
                        for i in 0..r {
                            for j in 0..c {
                                let want: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                                let scale: f64 = (0..k).map(|p| (at(i, p) * bt(p, j)).abs()).sum();
                                let g = got[i * c + j];
                                assert!(
                                    (g - want).abs() <= 1e-14 * scale.max(1e-300),
                                    "({r}×{k})·({k}×{c}) {transposed:?} at ({i},{j}): {g} vs {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn transpose_sum_and_outer_products_match_index_formulas() {
        // Row counts around the transpose's blocks of eight, batched; many short rows
        // (summed by tiles of rows, whole and a remainder).
        for (b, r, c) in [
            (1, 1, 1),
            (1, 17, 5),
            (2, 8, 3),
            (3, 23, 9),
            (1, 3, 1030),
            (2, 40, 1),
            (2, 300, 10),
            (1, 257, 3),
        ] {
            let shape = Shape::matrix(r, c).batched(b);
            let x = sample(shape.len(), 2.0);
            let t = eval(Transpose, &[(shape, &x)]);
            for k in 0..b {
                for i in 0..r {
                    for j in 0..c {
                        assert_eq!(t[(k * c + j) * r + i], x[(k * r + i) * c + j]);
                    }
                }
            }
            for (rows, cols) in [(true, false), (false, true), (true, true)] {
                let s = eval(SumTo { rows, cols }, &[(shape, &x)]);
                let (or, oc) = (if rows { 1 } else { r }, if cols { 1 } else { c });
                let mut want = vec![0.0; b * or * oc];
                for k in 0..b {
                    for i in 0..r {
                        for j in 0..c {
                            let o = (k * or + if rows { 0 } else { i }) * oc + if cols { 0 } else { j };
                            want[o] += x[(k * r + i) * c + j];
                        }
                    }
                }
                // Summation orders differ by kernel: equal to rounding.
                for (got, want) in s.iter().zip(&want) {
                    assert!(
                        (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                        "sum rows={rows} cols={cols} of {shape}"
                    );
                }
                assert_eq!(s.len(), want.len());
            }
            // k = 1: a column times a row, the batch on either side.
            for (ba, bb) in [(b, 1), (1, b), (b, b)] {
                let (sa, sb) = (Shape::matrix(r, 1).batched(ba), Shape::matrix(1, c).batched(bb));
                let (u, v) = (sample(sa.len(), 3.0), sample(sb.len(), 5.0));
                let p = eval(MatMul, &[(sa, &u), (sb, &v)]);
                for k in 0..b {
                    let (ka, kb) = (if ba == 1 { 0 } else { k }, if bb == 1 { 0 } else { k });
                    for i in 0..r {
                        for j in 0..c {
                            assert_eq!(p[(k * r + i) * c + j], u[ka * r + i] * v[kb * c + j]);
                        }
                    }
                }
            }
        }
    }
}
