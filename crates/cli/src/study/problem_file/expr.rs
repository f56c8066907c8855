//! The expression language of problem files: a lexer and a Pratt parser into a small
//! tree whose nodes carry their columns, so every error can point at one.
//!
//! Grammar, loosest first: `+ -`, then `* /`, then prefix `- +`, then `^` (right
//! associative, tighter than prefix minus: `-x^2` is −(x²)), then calls `f(a, b)` (a
//! call may itself be called: `d(u, x)(0, t)`). Atoms are numbers and names.

use std::fmt;

/// A parsed expression. Columns are 1-based character positions in the source text.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// A name: `pi`, a constant, an input, a data variable, `u`, `u_xy`, `N`, `d`, a function.
    Name {
        /// The name.
        name: String,
        /// Where it starts.
        col: usize,
    },
    /// −a.
    Neg(Box<Expr>),
    /// `not a` (in `where` only).
    Not {
        /// The operand.
        arg: Box<Expr>,
        /// The column of `not`.
        col: usize,
    },
    /// a ∘ b.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
        /// The operator's column.
        col: usize,
    },
    /// `callee(args...)`.
    Call {
        /// What is called: a name, or another call (`d(u, x)(0, t)`).
        callee: Box<Expr>,
        /// The arguments.
        args: Vec<Expr>,
        /// The column of the opening parenthesis.
        col: usize,
    },
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
    /// `<` (in `where` only, as are the other comparisons and `and`, `or`).
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinOp {
    /// Whether this is a comparison or `and`/`or`, valid only in `where`.
    pub fn is_logical(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::And | BinOp::Or)
    }

    /// How the operator is written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// A parse error at a column.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// 1-based column of the fault.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.col, self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Name(String),
    Op(char),
    /// `<=` or `>=`.
    OpEq(char),
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Num(v) => write!(f, "number {v}"),
            Token::Name(n) => write!(f, "'{n}'"),
            Token::Op(c) => write!(f, "'{c}'"),
            Token::OpEq(c) => write!(f, "'{c}='"),
            Token::End => f.write_str("the end of the expression"),
        }
    }
}

/// Splits `src` into tokens with their columns.
fn lex(src: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
                if chars.get(i + 1 + sign).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1 + sign;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value = text
                .parse::<f64>()
                .map_err(|_| ParseError { col, message: format!("'{text}' is not a number") })?;
            tokens.push((Token::Num(value), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Name(chars[start..i].iter().collect()), col));
        } else if (c == '<' || c == '>') && chars.get(i + 1) == Some(&'=') {
            tokens.push((Token::OpEq(c), col));
            i += 2;
        } else if "+-*/^(),<>".contains(c) {
            tokens.push((Token::Op(c), col));
            i += 1;
        } else {
            return Err(ParseError { col, message: format!("unexpected character '{c}'") });
        }
    }
    tokens.push((Token::End, chars.len() + 1));
    Ok(tokens)
}

/// The deepest an expression may nest (operations within operations): the passes that walk
/// the tree recurse, and a deeper tree would exhaust their stack.
pub const MAX_DEPTH: usize = 200;

/// Parses one expression; the whole text must be consumed.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser { tokens: lex(src)?, pos: 0, nesting: 0 };
    if parser.peek().0 == Token::End {
        return Err(ParseError { col: 1, message: "the expression is empty".into() });
    }
    let (expr, _) = parser.expr(0)?;
    match parser.peek() {
        (Token::End, _) => Ok(expr),
        (token, col) => {
            Err(ParseError { col, message: format!("unexpected {token} (expected an operator)") })
        }
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    /// How many calls of [`Parser::expr`] are open.
    nesting: usize,
}

/// The error for a tree deeper than [`MAX_DEPTH`], at `col`.
fn too_deep(col: usize) -> ParseError {
    ParseError { col, message: format!("the expression nests more than {MAX_DEPTH} operations deep") }
}

/// Binding power of prefix `not`: looser than comparisons, tighter than `and`.
const NOT: u8 = 5;
/// Binding power of prefix minus: looser than `^`, tighter than `*`.
const PREFIX: u8 = 13;
/// Binding power of a call's parenthesis.
const CALL: u8 = 17;

/// Left and right binding powers of an infix operator, loosest first: `or`, `and`, the
/// comparisons (not chained: `a < b < c` is an error), `+ -`, `* /`, `^`.
fn infix(token: &Token) -> Option<(BinOp, u8, u8)> {
    match token {
        Token::Name(n) if n == "or" => Some((BinOp::Or, 1, 2)),
        Token::Name(n) if n == "and" => Some((BinOp::And, 3, 4)),
        Token::Op('<') => Some((BinOp::Lt, 7, 8)),
        Token::Op('>') => Some((BinOp::Gt, 7, 8)),
        Token::OpEq('<') => Some((BinOp::Le, 7, 8)),
        Token::OpEq('>') => Some((BinOp::Ge, 7, 8)),
        Token::Op('+') => Some((BinOp::Add, 9, 10)),
        Token::Op('-') => Some((BinOp::Sub, 9, 10)),
        Token::Op('*') => Some((BinOp::Mul, 11, 12)),
        Token::Op('/') => Some((BinOp::Div, 11, 12)),
        Token::Op('^') => Some((BinOp::Pow, 15, 14)),
        _ => None,
    }
}

impl Parser {
    fn peek(&self) -> (Token, usize) {
        self.tokens[self.pos].clone()
    }

    fn next(&mut self) -> (Token, usize) {
        let t = self.peek();
        self.pos = (self.pos + 1).min(self.tokens.len() - 1);
        t
    }

    /// The expression from here on whose operators bind at least `min_bp`, and its depth.
    fn expr(&mut self, min_bp: u8) -> Result<(Expr, usize), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(too_deep(self.peek().1));
        }
        let result = self.expr_within(min_bp);
        self.nesting -= 1;
        result
    }

    fn expr_within(&mut self, min_bp: u8) -> Result<(Expr, usize), ParseError> {
        let (mut lhs, mut depth) = match self.next() {
            (Token::Num(v), _) => (Expr::Num(v), 1),
            (Token::Name(name), col) if name == "not" => {
                let (operand, d) = self.expr(NOT)?;
                (Expr::Not { arg: Box::new(operand), col }, d + 1)
            }
            (Token::Name(name), col) => (Expr::Name { name, col }, 1),
            (Token::Op('('), _) => {
                let inner = self.expr(0)?;
                self.expect(')', "to close the parenthesis")?;
                inner
            }
            (Token::Op('-'), _) => {
                let (operand, d) = self.expr(PREFIX)?;
                (Expr::Neg(Box::new(operand)), d + 1)
            }
            (Token::Op('+'), _) => self.expr(PREFIX)?,
            (token, col) => {
                return Err(ParseError { col, message: format!("unexpected {token} (expected a value)") });
            }
        };
        loop {
            let (token, col) = self.peek();
            match token {
                Token::Op('(') if CALL >= min_bp => {
                    self.next();
                    let (args, d) = self.arguments()?;
                    lhs = Expr::Call { callee: Box::new(lhs), args, col };
                    depth = depth.max(d) + 1;
                }
                token => match infix(&token) {
                    Some((op, l_bp, r_bp)) if l_bp >= min_bp => {
                        self.next();
                        let (rhs, d) = self.expr(r_bp)?;
                        if op.is_logical()
                            && !matches!(op, BinOp::And | BinOp::Or)
                            && let Some((next, _, _)) = infix(&self.peek().0)
                            && next.is_logical()
                            && !matches!(next, BinOp::And | BinOp::Or)
                        {
                            return Err(ParseError {
                                col: self.peek().1,
                                message: "comparisons do not chain: write a < b and b < c".into(),
                            });
                        }
                        lhs = Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), col };
                        depth = depth.max(d) + 1;
                    }
                    _ => return Ok((lhs, depth)),
                },
            }
            if depth > MAX_DEPTH {
                return Err(too_deep(col));
            }
        }
    }

    /// The comma-separated arguments after an opening parenthesis, and the closing one,
    /// with the deepest argument's depth.
    fn arguments(&mut self) -> Result<(Vec<Expr>, usize), ParseError> {
        let mut args = Vec::new();
        let mut depth = 0;
        if self.peek().0 == Token::Op(')') {
            self.next();
            return Ok((args, depth));
        }
        loop {
            let (arg, d) = self.expr(0)?;
            args.push(arg);
            depth = depth.max(d);
            match self.next() {
                (Token::Op(','), _) => {}
                (Token::Op(')'), _) => return Ok((args, depth)),
                (token, col) => {
                    return Err(ParseError {
                        col,
                        message: format!("unexpected {token} (expected ',' or ')')"),
                    });
                }
            }
        }
    }

    fn expect(&mut self, c: char, why: &str) -> Result<(), ParseError> {
        match self.next() {
            (Token::Op(found), _) if found == c => Ok(()),
            (token, col) => Err(ParseError { col, message: format!("expected '{c}' {why}, found {token}") }),
        }
    }
}

impl fmt::Display for Expr {
    /// Fully parenthesized, so tests can read the structure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(v) => write!(f, "{v}"),
            Expr::Name { name, .. } => f.write_str(name),
            Expr::Neg(a) => write!(f, "(-{a})"),
            Expr::Not { arg, .. } => write!(f, "(not {arg})"),
            Expr::Binary { op, lhs, rhs, .. } => write!(f, "({lhs} {} {rhs})", op.symbol()),
            Expr::Call { callee, args, .. } => {
                let args: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(f, "{callee}({})", args.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn tree(src: &str) -> String {
        parse(src).unwrap().to_string()
    }

    #[test]
    fn precedence_follows_the_contract() {
        assert_eq!(tree("-x^2"), "(-(x ^ 2))");
        assert_eq!(tree("2^3^2"), "(2 ^ (3 ^ 2))");
        assert_eq!(tree("a - b - c"), "((a - b) - c)");
        assert_eq!(tree("a + b*c/d"), "(a + ((b * c) / d))");
        assert_eq!(tree("-a*b"), "((-a) * b)");
        assert_eq!(tree("x^-2"), "(x ^ (-2))");
        assert_eq!(tree("(a + b)^2"), "((a + b) ^ 2)");
        assert_eq!(tree("2*pi^2*sin(pi*x)"), "((2 * (pi ^ 2)) * sin((pi * x)))");
    }

    #[test]
    fn comparisons_and_logic_bind_loosest() {
        assert_eq!(tree("x^2 + y^2 < 1"), "(((x ^ 2) + (y ^ 2)) < 1)");
        assert_eq!(tree("x <= 0 or not y >= 1 and x > -1"), "((x <= 0) or ((not (y >= 1)) and (x > (-1))))");
        assert_eq!(tree("not (x < 1 or y < 1)"), "(not ((x < 1) or (y < 1)))");
        let e = parse("0 < x < 1").unwrap_err();
        assert_eq!(e.col, 7, "{e}");
        assert!(e.message.starts_with("comparisons do not chain"), "{e}");
    }

    #[test]
    fn calls_nest_and_chain() {
        assert_eq!(tree("d(u, x, y)"), "d(u, x, y)");
        assert_eq!(tree("d(u, x)(0, t) - u_x(2*pi, t)"), "(d(u, x)(0, t) - u_x((2 * pi), t))");
        assert_eq!(tree("u(0, t)^2"), "(u(0, t) ^ 2)");
    }

    #[test]
    fn numbers_in_every_form() {
        assert_eq!(tree("1.5e-3 + .25 + 2E2 + 7"), "(((0.0015 + 0.25) + 200) + 7)");
    }

    /// Trees deeper than MAX_DEPTH are refused before any pass recurses through them:
    /// nested parentheses, prefix minus, long left-associative chains, chained calls.
    #[test]
    fn deep_expressions_are_errors_not_stack_overflows() {
        let deep = |open: &str, atom: &str, close: &str, n: usize| open.repeat(n) + atom + &close.repeat(n);
        for src in [
            deep("(", "x", ")", 100_000),
            deep("-", "x", "", 100_000),
            deep("sin(", "x", ")", 100_000),
            "x".to_string() + &"+x".repeat(100_000),
            "2".to_string() + &"^2".repeat(100_000),
        ] {
            let e = parse(&src).unwrap_err();
            assert!(e.message.contains("nests more than 200 operations deep"), "{}", e.message);
        }
        let ok = "x".to_string() + &"+x".repeat(150);
        assert_eq!(tree(&ok), "(".repeat(150) + "x" + &" + x)".repeat(150));
        assert_eq!(tree(&deep("(", "x", ")", 150)), "x");
    }

    #[test]
    fn errors_point_at_the_column() {
        let cases = [
            ("x + ", 5, "unexpected the end of the expression (expected a value)"),
            ("x $ y", 3, "unexpected character '$'"),
            ("sin(x", 6, "unexpected the end of the expression (expected ',' or ')')"),
            ("(x + y", 7, "expected ')' to close the parenthesis"),
            ("x y", 3, "unexpected 'y' (expected an operator)"),
            ("1.2.3", 1, "'1.2.3' is not a number"),
            ("", 1, "the expression is empty"),
            ("x * * y", 5, "unexpected '*' (expected a value)"),
        ];
        for (src, col, message) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.col, col, "{src}: {e}");
            assert!(e.message.starts_with(message), "{src}: {e}");
        }
    }
}
