#!/usr/bin/env python3
"""Independent JAX reference for saddle's problem files (TOML problems).

Implements the problem-file contract of docs/CONTRACT.md from its text, not
from the Rust code:

* ``inputs`` are the network's inputs in column order (d_in = their count);
  the network and the flat parameter layout are those of jax_reference.py
  (imported from it).
* ``trial`` (default "N") gives the solution u from the network output N and
  the inputs; ``[constants]`` names numbers usable in every expression.
* Each ``[[terms]]`` entry has a residual expression, a weight (default 1)
  and its points; L = 1/2 sum_t weight_t sum_p r_t(p)^2.
* Points: ``grid`` (tensor grid, lo and hi included), ``midpoints`` (centres
  of ``count`` equal cells), ``boundary`` (the grid's points where some ranged
  input equals its lo or hi, each once), ``csv`` (a file relative to the
  problem file; a header names the columns; inputs must be columns, the other
  columns are data variables).  An input given as one number is fixed.
  ``random`` uses saddle's own generator and is refused here.
* Expressions: numbers, ``pi``, constants, inputs, data variables;
  ``+ - * / ^`` (``^`` binds tighter than unary minus and is
  right-associative), parentheses; sin cos exp log sqrt tanh.  ``u`` is the
  solution; ``d(u, x, ...)`` and, when every input name is one letter,
  ``u_x``, ``u_xy``, ... are its derivatives; ``u(e1, ..., ed)``,
  ``u_x(e1, ..., ed)`` and ``d(u, x)(e1, ..., ed)`` evaluate them at another
  point whose inputs are the given expressions of the current point.

The parser is a small Pratt parser written here; expressions are evaluated
per point with jax.numpy (vmap over the points), derivatives of u in the
inputs by nested forward mode (jax.jvp along unit vectors), and the loss's
theta-derivatives by jax.grad, jax.hessian and jax.jvp of jax.grad.

For every case it writes problem.toml (and the CSV files it names),
params.npy, v.npy, grad.npy, hvp.npy, hessian.npy and expected.json, plus a
top-level cases.json, then runs self-checks and prints their results.

Usage:  python reference/problem_reference.py --out tests/fixtures/problems
Output is deterministic (fixed seed per case).
"""
import argparse
import functools
import json
import math
import os
import re
import sys
import tomllib

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jax_reference import forward, n_params, parse_arch, rel, save_npy  # noqa: E402

jax.config.update("jax_enable_x64", True)


class ProblemError(Exception):
    """A problem file that breaks the contract (names the field at fault)."""


# ------------------------------------------------------------------ expressions

FUNCTIONS = {"sin": jnp.sin, "cos": jnp.cos, "exp": jnp.exp, "log": jnp.log,
             "sqrt": jnp.sqrt, "tanh": jnp.tanh}

TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                   r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/^(),]))")

# Binding powers: (left, right).  '^' is right-associative and binds tighter
# than unary minus, which binds tighter than '*' and '/'.
INFIX = {"+": (1, 2), "-": (1, 2), "*": (3, 4), "/": (3, 4), "^": (8, 7)}
PREFIX_MINUS = 5


def tokenize(text, where):
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN.match(text, pos)
        if not m:
            raise ProblemError(f"{where}: unexpected character {text[pos:].lstrip()[0]!r} "
                               f"at column {len(text[:pos]) + len(text[pos:]) - len(text[pos:].lstrip()) + 1}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class Scope:
    """What names mean in one expression."""

    def __init__(self, inputs, constants, data=(), allow_n=False, allow_u=True):
        self.inputs = list(inputs)
        self.constants = dict(constants)
        self.data = list(data)
        self.allow_n = allow_n
        self.allow_u = allow_u
        self.shorthand = all(len(name) == 1 for name in self.inputs)


class Parser:
    """Pratt parser: expression text -> a small tuple tree.

    Nodes: ("num", v), ("input", i), ("data", j), ("N",), ("neg", a),
    ("bin", op, a, b), ("fn", name, a), ("u", derivative indices, args | None).
    """

    def __init__(self, text, where, scope):
        self.tokens = tokenize(text, where)
        self.i = 0
        self.where = where
        self.scope = scope

    def peek(self):
        return self.tokens[self.i]

    def next(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, msg, tok=None):
        tok = tok or self.peek()
        raise ProblemError(f"{self.where}: {msg} at column {tok[2]}")

    def expect(self, op):
        tok = self.next()
        if tok[0] != "op" or tok[1] != op:
            self.fail(f"expected {op!r}, found {tok[1] or 'the end'!r}", tok)

    def parse(self):
        node = self.expr(0)
        if self.peek()[0] != "end":
            self.fail(f"unexpected {self.peek()[1]!r}")
        return node

    def expr(self, min_bp):
        lhs = self.prefix()
        while True:
            kind, op, _ = self.peek()
            if kind != "op" or op not in INFIX:
                return lhs
            lbp, rbp = INFIX[op]
            if lbp < min_bp:
                return lhs
            self.next()
            lhs = ("bin", op, lhs, self.expr(rbp))

    def prefix(self):
        tok = self.next()
        kind, text, _ = tok
        if kind == "num":
            return ("num", float(text))
        if kind == "op" and text == "-":
            return ("neg", self.expr(PREFIX_MINUS))
        if kind == "op" and text == "(":
            node = self.expr(0)
            self.expect(")")
            return node
        if kind == "name":
            return self.name(tok)
        self.fail(f"expected a number, a name or '(', found {text or 'the end'!r}", tok)

    def call_args(self):
        """After '(' was seen: comma-separated expressions up to ')'."""
        args = [self.expr(0)]
        while self.peek()[1] == ",":
            self.next()
            args.append(self.expr(0))
        self.expect(")")
        return args

    def at_point(self, tok):
        """An optional '(e1, ..., ed)' after u or one of its derivatives."""
        if self.peek()[1] != "(":
            return None
        self.next()
        args = self.call_args()
        d = len(self.scope.inputs)
        if len(args) != d:
            self.fail(f"{tok[1]}(...) takes {d} argument(s), one per input, found {len(args)}", tok)
        return tuple(args)

    def name(self, tok):
        s = self.scope
        name = tok[1]
        if name in FUNCTIONS:
            self.expect("(")
            args = self.call_args()
            if len(args) != 1:
                self.fail(f"{name} takes one argument, found {len(args)}", tok)
            return ("fn", name, args[0])
        if name == "d":
            self.expect("(")
            first = self.next()
            if first[1] != "u":
                self.fail("d(...) differentiates u: expected 'u'", first)
            idx = []
            while self.peek()[1] == ",":
                self.next()
                var = self.next()
                if var[0] != "name" or var[1] not in s.inputs:
                    self.fail(f"expected an input name ({', '.join(s.inputs)})", var)
                idx.append(s.inputs.index(var[1]))
            self.expect(")")
            if not idx:
                self.fail("d(u, ...) needs at least one input", tok)
            return self.u_node(tok, tuple(idx))
        if name == "u":
            return self.u_node(tok, ())
        if name.startswith("u_") and s.shorthand and len(name) > 2 \
                and all(c in s.inputs for c in name[2:]):
            return self.u_node(tok, tuple(s.inputs.index(c) for c in name[2:]))
        if name in s.inputs:
            return ("input", s.inputs.index(name))
        if name in s.data:
            return ("data", s.data.index(name))
        if name in s.constants:
            return ("num", float(s.constants[name]))
        if name == "pi":
            return ("num", math.pi)
        if name == "N":
            if not s.allow_n:
                self.fail("N (the network output) appears only in trial", tok)
            return ("N",)
        self.fail(f"unknown name {name!r}", tok)

    def u_node(self, tok, idx):
        if not self.scope.allow_u:
            self.fail("u cannot appear here", tok)
        return ("u", idx, self.at_point(tok))


def parse(text, where, scope):
    return Parser(text, where, scope).parse()


def constant_value(node):
    """The value of a subtree without inputs, data, N or u; else None."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "neg":
        a = constant_value(node[1])
        return None if a is None else -a
    if kind == "bin":
        a, b = constant_value(node[2]), constant_value(node[3])
        if a is None or b is None:
            return None
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b}[node[1]]
    if kind == "fn":
        a = constant_value(node[2])
        return None if a is None else float(FUNCTIONS[node[1]](a))
    return None


def power(a, b_node, b):
    """a ^ b: an integer-valued constant exponent is an integer power (defined for a < 0)."""
    c = constant_value(b_node)
    if c is not None and float(c).is_integer() and abs(c) <= 64:
        return lax.integer_pow(a, int(c))
    return jnp.power(a, b)


def evaluate(node, z, data, net, ufield):
    """The value of `node` at one point z (inputs), data row `data`.

    net(z) is the network output N at z (trial only); ufield(idx)(point) is
    u, or its derivative along the input indices idx, at `point`.
    """
    ev = functools.partial(evaluate, z=z, data=data, net=net, ufield=ufield)
    kind = node[0]
    if kind == "num":
        return jnp.asarray(node[1], dtype=jnp.float64)
    if kind == "input":
        return z[node[1]]
    if kind == "data":
        return data[node[1]]
    if kind == "N":
        return net(z)
    if kind == "neg":
        return -ev(node[1])
    if kind == "fn":
        return FUNCTIONS[node[1]](ev(node[2]))
    if kind == "bin":
        op, a, b = node[1], ev(node[2]), ev(node[3])
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        return power(a, node[3], b)
    if kind == "u":
        _, idx, args = node
        point = z if args is None else jnp.stack([ev(e) for e in args])
        return ufield(idx)(point)
    raise AssertionError(node)


def derivative(f, idx, d):
    """The derivative of the scalar field f(z) along input indices idx (nested jvp)."""
    for i in idx:
        e = jnp.zeros(d).at[i].set(1.0)
        f = (lambda g, e: lambda z: jax.jvp(g, (z,), (e,))[1])(f, e)
    return f


# ------------------------------------------------------------------ problems

def grid_axis(value, where, kind):
    """One input's coordinates: (array, ranged) from [lo, hi, count] or one number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.array([float(value)]), False
    if (not isinstance(value, list) or len(value) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not isinstance(value[2], int)):
        raise ProblemError(f"{where}: expected [lo, hi, count] or one number, found {value!r}")
    lo, hi, count = float(value[0]), float(value[1]), value[2]
    if not lo < hi:
        raise ProblemError(f"{where}: lo {lo} must be below hi {hi}")
    if kind == "midpoints":
        if count < 1:
            raise ProblemError(f"{where}: midpoints need count >= 1, found {count}")
        h = (hi - lo) / count
        return lo + (np.arange(count) + 0.5) * h, True
    if count < 2:
        raise ProblemError(f"{where}: a grid needs count >= 2, found {count}")
    return np.linspace(lo, hi, count), True


def make_points(spec, inputs, base_dir, where):
    """(points (n x d), data (n x m), data names) of one `points` table."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ProblemError(f"{where}: expected exactly one of grid, midpoints, boundary, random, csv")
    (kind, table), = spec.items()
    where = f"{where}.{kind}"
    if kind == "csv":
        return read_csv_points(os.path.join(base_dir, table), inputs, where)
    if kind == "random":
        raise ProblemError(f"{where}: random points use saddle's own generator; "
                           "this reference does not implement them")
    if kind not in ("grid", "midpoints", "boundary"):
        raise ProblemError(f"{where}: unknown kind of points")
    missing = [x for x in inputs if x not in table]
    extra = [k for k in table if k not in inputs]
    if missing or extra:
        raise ProblemError(f"{where}: missing inputs {missing}, unknown keys {extra}")
    axes = [grid_axis(table[x], f"{where}.{x}", kind) for x in inputs]
    mesh = np.meshgrid(*[a for a, _ in axes], indexing="ij")
    P = np.stack([m.ravel() for m in mesh], axis=1)
    if kind == "boundary":
        on_face = np.zeros(len(P), dtype=bool)
        for j, (a, ranged) in enumerate(axes):
            if ranged:
                on_face |= (P[:, j] == a[0]) | (P[:, j] == a[-1])
        P = P[on_face]
        if len(P) == 0:
            raise ProblemError(f"{where}: no input has a range, so the box has no faces")
    return P, np.zeros((len(P), 0)), []


def read_csv_points(path, inputs, where):
    try:
        with open(path) as fh:
            lines = [ln.strip() for ln in fh if ln.strip()]
    except OSError as e:
        raise ProblemError(f"{where}: {path}: {e.strerror}")
    header = [h.strip() for h in lines[0].split(",")]
    rows = []
    for k, ln in enumerate(lines[1:], start=2):
        cells = ln.split(",")
        if len(cells) != len(header):
            raise ProblemError(f"{path}: line {k}: {len(cells)} columns, header has {len(header)}")
        row = [float(c) for c in cells]
        if not all(math.isfinite(v) for v in row):
            raise ProblemError(f"{path}: line {k}: a value is not finite")
        rows.append(row)
    A = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    missing = [x for x in inputs if x not in header]
    if missing:
        raise ProblemError(f"{path}: the inputs {missing} are not columns")
    names = [h for h in header if h not in inputs]
    P = A[:, [header.index(x) for x in inputs]]
    D = A[:, [header.index(h) for h in names]]
    return P, D, names


class Term:
    def __init__(self, name, residual, weight, points, data):
        self.name, self.residual, self.weight = name, residual, weight
        self.points, self.data = points, data


class Problem:
    """A parsed problem file: inputs, trial, exact, terms with their points."""

    def __init__(self, path):
        base = os.path.dirname(os.path.abspath(path))
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
        self.inputs = doc.get("inputs")
        if not isinstance(self.inputs, list) or not self.inputs:
            raise ProblemError(f"{path}: inputs: expected a list of names")
        constants = doc.get("constants", {})
        scope = Scope(self.inputs, constants, allow_n=True, allow_u=False)
        self.trial = parse(doc.get("trial", "N"), f"{path}: trial", scope)
        self.exact = (parse(doc["exact"], f"{path}: exact", Scope(self.inputs, constants, allow_u=False))
                      if "exact" in doc else None)
        self.terms = []
        names = set()
        for t, term in enumerate(doc.get("terms", [])):
            where = f"{path}: terms[{t}]"
            name = term.get("name")
            if not isinstance(name, str) or name in names:
                raise ProblemError(f"{where}.name: expected a unique name, found {name!r}")
            names.add(name)
            P, D, dnames = make_points(term.get("points"), self.inputs, base, f"{where}.points")
            residual = parse(term["residual"], f"{where}.residual",
                             Scope(self.inputs, constants, dnames))
            weight = float(term.get("weight", 1.0))
            self.terms.append(Term(name, residual, weight, P, D))
        if not self.terms:
            raise ProblemError(f"{path}: terms: at least one term is required")

    def u_field(self, theta, sizes, act):
        """u(z) of the network with parameters theta, for one point z (d,)."""
        net = lambda z: forward(theta, z[None, :], sizes, act)[0]
        return lambda z: evaluate(self.trial, z, None, net, None)

    def exact_field(self):
        return lambda z: evaluate(self.exact, z, None, None, None)

    def residuals(self, u, term):
        """The residual vector of one term for the solution field u(z)."""
        d = len(self.inputs)
        cache = {}

        def ufield(idx):
            key = tuple(sorted(idx))  # mixed partials commute
            if key not in cache:
                cache[key] = derivative(u, key, d)
            return cache[key]

        r = lambda z, row: evaluate(term.residual, z, row, None, ufield)
        return jax.vmap(r)(jnp.asarray(term.points), jnp.asarray(term.data))

    def loss_fn(self, sizes, act):
        def loss(theta):
            u = self.u_field(theta, sizes, act)
            total = 0.0
            for term in self.terms:
                r = self.residuals(u, term)
                total = total + 0.5 * term.weight * jnp.sum(r * r)
            return total
        return loss


# ------------------------------------------------------------------ the cases

TWO_PI = repr(2 * math.pi)

CASES = {}


def case(name, arch, act, seed, files):
    CASES[name] = dict(arch=arch, act=act, seed=seed, files=files)


case("poisson1d_hard_tanh", "1,8,8,1", "tanh", 301, {"problem.toml": '''\
# -u'' = pi^2 sin(pi x) on (0, 1) with u(0) = u(1) = 0 imposed exactly by the
# trial solution: the built-in `pinn` problem written as a file.
inputs = ["x"]
trial  = "x*(1 - x)*N"
exact  = "sin(pi*x)"

[[terms]]
name     = "interior"
residual = "-u_xx - pi^2*sin(pi*x)"
points   = { grid = { x = [0.05, 0.95, 12] } }
'''})

case("poisson2d_soft_sin", "2,8,8,1", "sin", 302, {"problem.toml": '''\
# -(u_xx + u_yy) = 2 pi^2 sin(pi x) sin(pi y) on the unit square, u = 0 on its
# edges imposed softly by a weighted boundary term.
inputs = ["x", "y"]
exact  = "sin(pi*x)*sin(pi*y)"

[[terms]]
name     = "interior"
residual = "-(u_xx + u_yy) - 2*pi^2*sin(pi*x)*sin(pi*y)"
points   = { midpoints = { x = [0, 1, 6], y = [0, 1, 6] } }    # 36 cell centres

[[terms]]
name     = "boundary"
residual = "u"
weight   = 10.0
points   = { boundary = { x = [0, 1, 6], y = [0, 1, 6] } }     # the 20 grid points on the edges
'''})

case("heat2d_sigmoid", "3,6,6,1", "sigmoid", 303, {"problem.toml": '''\
# Heat equation u_t = k (u_xx + u_yy) + s on the unit square for t in (0, 1),
# with the source s chosen so that u = exp(-t) sin(pi x) sin(pi y).
inputs = ["x", "y", "t"]
exact  = "exp(-t)*sin(pi*x)*sin(pi*y)"

[constants]
k = 0.1

[[terms]]
name     = "pde"
residual = "u_t - k*(u_xx + u_yy) - (2*k*pi^2 - 1)*exp(-t)*sin(pi*x)*sin(pi*y)"
points   = { midpoints = { x = [0, 1, 3], y = [0, 1, 3], t = [0, 1, 4] } }

[[terms]]
name     = "initial"
residual = "u - sin(pi*x)*sin(pi*y)"
weight   = 5.0
points   = { grid = { x = [0, 1, 5], y = [0, 1, 5], t = 0 } }   # t = 0 fixed: 25 points

[[terms]]
# Every face of the space-time box, t = 0 and t = 1 included (44 of the
# 4 x 4 x 3 grid's 48 points), so the condition is the exact solution there.
name     = "boundary"
residual = "u - exp(-t)*sin(pi*x)*sin(pi*y)"
weight   = 2.0
points   = { boundary = { x = [0, 1, 4], y = [0, 1, 4], t = [0, 1, 3] } }
'''})

case("convection_periodic_softplus", "2,6,6,1", "softplus", 304, {"problem.toml": f'''\
# Convection u_t + beta u_x = 0 on x in (0, 2 pi), t in (0, 1), periodic in x:
# u and u_x agree at x = 0 and x = 2 pi, evaluated through u(e1, e2) and
# d(u, x)(e1, e2) at points of a grid in t (x is fixed there and unused).
inputs = ["x", "t"]
exact  = "sin(x - beta*t)"

[constants]
beta = 1.5

[[terms]]
name     = "pde"
residual = "u_t + beta*u_x"
points   = {{ midpoints = {{ x = [0, {TWO_PI}, 6], t = [0, 1, 5] }} }}

[[terms]]
name     = "initial"
residual = "u - sin(x)"
points   = {{ grid = {{ x = [0, {TWO_PI}, 9], t = 0 }} }}

[[terms]]
name     = "periodic"
residual = "u(0, t) - u(2*pi, t)"
points   = {{ grid = {{ x = 0, t = [0, 1, 7] }} }}

[[terms]]
name     = "periodic_slope"
residual = "d(u, x)(0, t) - u_x(2*pi, t)"
points   = {{ grid = {{ x = 0, t = [0, 1, 7] }} }}
'''})


def csv_text(header, rows):
    return ",".join(header) + "\n" + "".join(
        ",".join(repr(float(v)) for v in row) + "\n" for row in rows)


def _csv_case_files():
    rng = np.random.default_rng(305)
    X = rng.uniform(-1.0, 1.0, size=(14, 2))
    y = np.sin(2.0 * X[:, 0]) * np.cos(X[:, 1])
    w = rng.uniform(0.5, 2.0, size=14)
    data = csv_text(["x1", "x2", "y", "w"], np.column_stack([X, y, w]))
    S = rng.uniform(-1.0, 1.0, size=(9, 2))
    g = 2.0 * np.cos(2.0 * S[:, 0]) * np.cos(S[:, 1])
    # Columns in another order than the inputs, and an unused column.
    slope = csv_text(["g", "x2", "note", "x1"], np.column_stack([g, S[:, 1], np.arange(9), S[:, 0]]))
    return {"problem.toml": '''\
# Fitting data read from CSV files: columns named like inputs are the points,
# the other columns are data variables usable in the term's expressions.
# Input names of more than one letter: derivatives are written d(u, x1).
inputs = ["x1", "x2"]

[[terms]]
name     = "data"
residual = "w*(u - y)"                  # y and w are columns of data.csv
points   = { csv = "data.csv" }

[[terms]]
name     = "slope"
residual = "d(u, x1) - g"               # slope.csv: columns g, x2, note, x1
weight   = 0.5
points   = { csv = "slope.csv" }
''', "data.csv": data, "slope.csv": slope}


case("csv_data_tanh", "2,7,7,1", "tanh", 305, _csv_case_files())

case("operators_tanh", "2,5,5,1", "tanh", 306, {"problem.toml": '''\
# Every function and operator of the expression language, with mixed and
# third derivatives and a trial solution with an offset; not a physical model.
inputs = ["x", "y"]
trial  = "sin(pi*x) + x*(1 - x)*y*N"

[constants]
a = 0.5
c = 2

[[terms]]
name     = "operators"
# -x^2 is -(x^2); 2^3^2 is 2^9 = 512; (2 + y)^(-2) and (1 + x^2)^1.5 are
# negative and real exponents; u^3 an integer power of a signed value.
# (A line-ending backslash in a TOML """ string joins the lines.)
residual = """\\
    -x^2*d(u, x, y) + exp(-x)*d(u, x, x, x) - u_xy/c^3 \\
    + log(1 + x^2 + y^2)*u_xx*(2 + y)^(-2) \\
    - sqrt(1 + a*cos(pi*y))*tanh(u) + (1 + x^2)^1.5*u^3 \\
    + ((x - (a - y*(1 + x)))*u_y) - 2^3^2/512"""
points   = { grid = { x = [0.1, 0.9, 5], y = [0.2, 0.8, 4] } }

[[terms]]
name     = "edge"
residual = "u_xx(x, 1) - d(u, y)(x, 0.5*(1 + x))"
points   = { midpoints = { x = [0, 1, 4], y = 1 } }
'''})

case("reaction_sigmoid", "2,6,6,1", "sigmoid", 307, {"problem.toml": f'''\
# Reaction u_t = rho u (1 - u) (logistic growth at every x), started from a
# Gaussian bump h(x) = exp(-(x - pi)^2 / (2 (pi/4)^2)), periodic in x.
inputs = ["x", "t"]
exact  = "1/(1 + (exp((x - pi)^2/(2*(pi/4)^2)) - 1)*exp(-rho*t))"   # h e^(rho t)/(h e^(rho t) + 1 - h)

[constants]
rho = 2.0

[[terms]]
name     = "pde"
residual = "u_t - rho*u*(1 - u)"
points   = {{ midpoints = {{ x = [0, {TWO_PI}, 6], t = [0, 1, 5] }} }}

[[terms]]
name     = "initial"
residual = "u - exp(-(x - pi)^2/(2*(pi/4)^2))"
points   = {{ grid = {{ x = [0, {TWO_PI}, 11], t = 0 }} }}

[[terms]]
name     = "periodic"
residual = "u(0, t) - u(2*pi, t)"
points   = {{ grid = {{ x = 0, t = [0, 1, 5] }} }}
'''})

case("linear_model", "2,1", "tanh", 308, {"problem.toml": '''\
# A linear model N = w1 x + w2 y + b (architecture 2,1: no hidden layer) in a
# hard-constrained trial: the loss is quadratic in the three parameters.
inputs = ["x", "y"]
trial  = "x*(1 - x)*N"
exact  = "x*(1 - x)"

[[terms]]
name     = "interior"
residual = "-(u_xx + u_yy) - 2"
points   = { midpoints = { x = [0, 1, 5], y = [0, 1, 5] } }

[[terms]]
name     = "top"
residual = "u - x*(1 - x)"
weight   = 2.0
points   = { grid = { x = [0, 1, 6], y = 1 } }
'''})

FEATURES = {
    "poisson1d_hard_tanh": "1 input, hard-constraint trial x*(1 - x)*N, u_xx shorthand, grid",
    "poisson2d_soft_sin": "2 inputs, midpoints + boundary (weight 10), u_xx + u_yy",
    "heat2d_sigmoid": "3 inputs, [constants], u_t, fixed input (t = 0), boundary of a 3-D box",
    "convection_periodic_softplus": "u(0, t) - u(2*pi, t), d(u, x)(0, t), u_x(2*pi, t), grid with x fixed",
    "csv_data_tanh": "csv points, data variables, columns out of order, multi-letter inputs, d(u, x1)",
    "operators_tanh": "exp log sqrt tanh cos, ^ (integer, negative, real, 2^3^2), -x^2, "
                      "d(u, x, y), d(u, x, x, x), u_xy, trial with an offset, u_xx(x, 1)",
    "reaction_sigmoid": "nonlinear residual u_t - rho*u*(1 - u), periodic u(0, t) - u(2*pi, t)",
    "linear_model": "arch 2,1 (no hidden layer): a quadratic loss",
}


# ------------------------------------------------------------------ fixtures

def compute(L, theta, v):
    loss = float(jax.jit(L)(theta))
    grad = np.asarray(jax.jit(jax.grad(L))(theta))
    hess = np.asarray(jax.jit(jax.hessian(L))(theta))
    hvp = np.asarray(jax.jit(lambda t, d: jax.jvp(jax.grad(L), (t,), (d,))[1])(theta, v))
    return loss, grad, hess, hvp


def build_case(out, name, spec):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for fname, text in spec["files"].items():
        with open(os.path.join(d, fname), "w", newline="\n") as fh:
            fh.write(text)
    problem = Problem(os.path.join(d, "problem.toml"))
    sizes = parse_arch(spec["arch"])
    assert sizes[0] == len(problem.inputs), name
    n = n_params(sizes)
    rng = np.random.default_rng(spec["seed"])
    theta = rng.normal(0.0, 0.5, size=n)
    v = rng.normal(0.0, 1.0, size=n)
    L = problem.loss_fn(sizes, spec["act"])
    loss, grad, hess, hvp = compute(L, jnp.asarray(theta), jnp.asarray(v))
    for fname, arr in [("params", theta), ("v", v), ("grad", grad),
                       ("hessian", hess), ("hvp", hvp)]:
        save_npy(os.path.join(d, fname + ".npy"), arr)
    meta = {"arch": spec["arch"], "act": spec["act"], "params": n, "loss": loss,
            "points": {t.name: len(t.points) for t in problem.terms}}
    with open(os.path.join(d, "expected.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")
    return dict(name=name, **meta), dict(problem=problem, sizes=sizes, act=spec["act"], dir=d,
                                         L=L, theta=theta, v=v, hess=hess, hvp=hvp)


# ------------------------------------------------------------------ self-checks

def check_parser():
    """Precedence and associativity against hand-computed values."""
    scope = Scope(["x", "y"], {"k": 2.0})
    z = jnp.array([3.0, 0.5])
    expected = {"-x^2": -9.0, "2^3^2": 512.0, "(2^3)^2": 64.0, "-2^2": -4.0, "(-x)^2": 9.0,
                "1 - 2 - 3": -4.0, "2/4/2": 0.25, "2*-x": -6.0, "x^-1": 1 / 3, "-x*y": -1.5,
                "k*x^2/k": 9.0, "1 + 2*3^2": 19.0, "x^(-2)": 1 / 9, "4^0.5": 2.0,
                "-x^2^0.5": -(3.0 ** (2 ** 0.5)),
                "sqrt(x^2 + 16) - exp(log(y))": 5.0 - 0.5, ".5e1 + 1.": 6.0}
    worst = 0.0
    for text, want in expected.items():
        got = float(evaluate(parse(text, text, scope), z, None, None, None))
        worst = max(worst, abs(got - want) / max(abs(want), 1.0))
        assert abs(got - want) <= 1e-14 * max(abs(want), 1.0), (text, got, want)
    bad = ["x +", "2 ** 3", "sin(x, y)", "q", "N", "u(x)", "d(x, u)", "(x", "x)"]
    for text in bad:
        try:
            parse(text, "check", scope)
        except ProblemError:
            continue
        raise AssertionError(f"{text!r} should not parse")
    print(f"  parser: {len(expected)} expressions agree with hand values "
          f"(worst {worst:.1e}); {len(bad)} malformed ones are refused")


def check_points():
    inputs = ["x", "y", "t"]
    P, _, _ = make_points({"boundary": {"x": [0, 1, 4], "y": [0, 1, 4], "t": [0, 1, 3]}},
                          inputs, ".", "check")
    assert len(P) == 4 * 4 * 3 - 2 * 2 * 1 and len({tuple(p) for p in P}) == len(P)
    P, _, _ = make_points({"boundary": {"x": [0, 1, 5], "y": 0.5, "t": 0}}, inputs, ".", "check")
    assert sorted(P[:, 0]) == [0.0, 1.0] and set(P[:, 1]) == {0.5}
    P, _, _ = make_points({"midpoints": {"x": [0, 1, 4], "y": 2, "t": [1, 3, 1]}},
                          inputs, ".", "check")
    assert sorted(set(P[:, 0])) == [0.125, 0.375, 0.625, 0.875] and set(P[:, 2]) == {2.0}
    print("  points: boundary counts (44 of a 4x4x3 grid, 2 with fixed inputs), midpoints")


def check_hessian_fd(name, L, theta, hess, h=1e-6):
    g = jax.jit(jax.grad(L))
    n = theta.shape[0]
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (np.asarray(g(theta + e)) - np.asarray(g(theta - e))) / (2 * h)
    return rel(H, hess)


def check_input_derivatives(r):
    """Every derivative of u the files use, against central differences of u itself."""
    problem = r["problem"]
    u = problem.u_field(jnp.asarray(r["theta"]), r["sizes"], r["act"])
    d = len(problem.inputs)
    z0 = jnp.asarray(problem.terms[0].points[len(problem.terms[0].points) // 2])
    worst = 0.0
    for idx in [(0,), (0, 0), (0, 0, 0)] + ([(0, 1), (1,), (1, 1)] if d > 1 else []):
        ad = float(derivative(u, idx, d)(z0))
        f, h = (lambda z: u(z)), 1e-3
        for i in idx:  # one central-difference layer per order, h = 1e-3
            e = np.zeros(d)
            e[i] = h
            f = (lambda g, e: lambda z: (g(z + e) - g(z - e)) / (2 * h))(f, e)
        worst = max(worst, abs(ad - float(f(z0))) / max(abs(ad), 1.0))
    return worst


def check_exact(r):
    """max |residual| of every term at the exact solution (0 up to rounding if the file is right)."""
    problem = r["problem"]
    if problem.exact is None:
        return None
    u = problem.exact_field()
    return max(float(jnp.max(jnp.abs(problem.residuals(u, t)))) for t in problem.terms)


def check_against_pinn(r):
    """The 1-D case equals jax_reference.py's built-in PINN loss at the same points."""
    from jax_reference import pinn_loss
    problem = r["problem"]
    x = jnp.asarray(problem.terms[0].points[:, 0])
    f = math.pi ** 2 * jnp.sin(math.pi * x)
    theta = jnp.asarray(r["theta"])
    a = float(pinn_loss(theta, x, f, r["sizes"], r["act"]))
    b = float(r["L"](theta))
    return abs(a - b) / abs(a)


def hand_written_loss(name, sizes, act, case_dir):
    """Some cases' losses written out by hand in JAX (no parser, no `derivative`), or None."""
    pi = math.pi

    def fields(theta):
        net = lambda z: forward(theta, z[None, :], sizes, act)[0]
        return net, jax.grad, jax.hessian

    if name == "operators_tanh":
        xs, ys = np.linspace(0.1, 0.9, 5), np.linspace(0.2, 0.8, 4)
        P = jnp.asarray([[x, y] for x in xs for y in ys])
        E = jnp.asarray([[(i + 0.5) / 4, 1.0] for i in range(4)])

        def loss(theta):
            net, grad, hess = fields(theta)
            U = lambda z: jnp.sin(pi * z[0]) + z[0] * (1 - z[0]) * z[1] * net(z)
            uxxx = lambda z: grad(lambda w: hess(U)(w)[0, 0])(z)[0]

            def r1(z):
                x, y = z[0], z[1]
                u, g, H = U(z), grad(U)(z), hess(U)(z)
                return (-(x * x) * H[0, 1] + jnp.exp(-x) * uxxx(z) - H[0, 1] / 8.0
                        + jnp.log(1 + x * x + y * y) * H[0, 0] / (2 + y) ** 2
                        - jnp.sqrt(1 + 0.5 * jnp.cos(pi * y)) * jnp.tanh(u)
                        + (1 + x * x) ** 1.5 * u ** 3 + (x - (0.5 - y * (1 + x))) * g[1] - 1.0)

            def r2(z):
                x = z[0]
                return (hess(U)(jnp.stack([x, 1.0]))[0, 0]
                        - grad(U)(jnp.stack([x, 0.5 * (1 + x)]))[1])
            return 0.5 * jnp.sum(jax.vmap(r1)(P) ** 2) + 0.5 * jnp.sum(jax.vmap(r2)(E) ** 2)
        return loss

    if name == "convection_periodic_softplus":
        beta = 1.5
        M = jnp.asarray([[2 * pi * (i + 0.5) / 6, (j + 0.5) / 5] for i in range(6) for j in range(5)])
        X0 = jnp.asarray(np.linspace(0, 2 * pi, 9))
        T = jnp.asarray(np.linspace(0, 1, 7))

        def loss(theta):
            net, grad, _ = fields(theta)
            at = lambda x, t: jnp.stack([x, t])
            g = jax.vmap(grad(net))(M)
            r_pde = g[:, 1] + beta * g[:, 0]
            r_init = jax.vmap(lambda x: net(at(x, 0.0)) - jnp.sin(x))(X0)
            r_per = jax.vmap(lambda t: net(at(0.0, t)) - net(at(2 * pi, t)))(T)
            r_slope = jax.vmap(lambda t: grad(net)(at(0.0, t))[0] - grad(net)(at(2 * pi, t))[0])(T)
            return 0.5 * sum(jnp.sum(r * r) for r in (r_pde, r_init, r_per, r_slope))
        return loss

    if name == "csv_data_tanh":
        def columns(fname):
            with open(os.path.join(case_dir, fname)) as fh:
                header = fh.readline().strip().split(",")
            A = np.loadtxt(os.path.join(case_dir, fname), delimiter=",", skiprows=1, ndmin=2)
            return {h: jnp.asarray(A[:, k]) for k, h in enumerate(header)}
        a, b = columns("data.csv"), columns("slope.csv")

        def loss(theta):
            net, grad, _ = fields(theta)
            Pa = jnp.stack([a["x1"], a["x2"]], axis=1)
            Pb = jnp.stack([b["x1"], b["x2"]], axis=1)
            r1 = a["w"] * (jax.vmap(net)(Pa) - a["y"])
            r2 = jax.vmap(grad(net))(Pb)[:, 0] - b["g"]
            return 0.5 * jnp.sum(r1 * r1) + 0.5 * 0.5 * jnp.sum(r2 * r2)
        return loss
    return None


def check_linear(r):
    """The linear model's loss is quadratic: L(theta + v) = L + g.v + v.H.v/2 exactly."""
    L, theta, v, hess = r["L"], jnp.asarray(r["theta"]), r["v"], r["hess"]
    g = np.asarray(jax.grad(L)(theta))
    lhs = float(L(theta + v))
    rhs = float(L(theta)) + g @ v + 0.5 * v @ hess @ v
    return abs(lhs - rhs) / abs(lhs)


def self_checks(results):
    print("Self-checks:")
    check_parser()
    check_points()
    for meta, r in results:
        name = meta["name"]
        sym = float(np.max(np.abs(r["hess"] - r["hess"].T)))
        hv = rel(r["hess"] @ r["v"], r["hvp"])
        fd = check_hessian_fd(name, r["L"], jnp.asarray(r["theta"]), r["hess"])
        du = check_input_derivatives(r)
        line = (f"  [{name}] |H - H^T| {sym:.1e}; Hv vs hvp {hv:.1e}; H vs FD of grad {fd:.1e}; "
                f"u-derivatives vs FD {du:.1e}")
        ex = check_exact(r)
        if ex is not None:
            line += f"; max |r| at exact {ex:.1e}"
        if name == "poisson1d_hard_tanh":
            line += f"; vs jax_reference pinn_loss {check_against_pinn(r):.1e}"
        hand = hand_written_loss(name, r["sizes"], r["act"], r["dir"])
        if hand is not None:
            theta = jnp.asarray(r["theta"])
            line += (f"; hand-written loss {rel(float(hand(theta)), float(r['L'](theta))):.1e}, "
                     f"grad {rel(jax.grad(hand)(theta), jax.grad(r['L'])(theta)):.1e}")
        if name == "linear_model":
            line += f"; quadratic model {check_linear(r):.1e}"
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="fixture directory")
    ap.add_argument("--no-check", action="store_true", help="skip self-checks")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = [build_case(args.out, name, spec) for name, spec in CASES.items()]
    with open(os.path.join(args.out, "cases.json"), "w") as fh:
        json.dump([dict(m, features=FEATURES[m["name"]]) for m, _ in results], fh, indent=2)
        fh.write("\n")
    for m, _ in results:
        print(f"{m['name']:30s} n={m['params']:3d} points={sum(m['points'].values()):3d} "
              f"loss={m['loss']!r}")
    if not args.no_check:
        self_checks(results)


if __name__ == "__main__":
    main()
