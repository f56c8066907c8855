//! Solver options: each solver declares its options once, as a list of [`OptionSpec`]
//! (name, kind and range, default, meaning); that list checks a spec's `key=value` pairs,
//! fills in the defaults, prints the help table, and names the effective values in output.

use std::fmt;
use std::num::IntErrorKind;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// An interval of real numbers; each end open or closed, infinite ends allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The lower end.
    pub lo: f64,
    /// Whether `lo` itself is allowed.
    pub lo_closed: bool,
    /// The upper end.
    pub hi: f64,
    /// Whether `hi` itself is allowed.
    pub hi_closed: bool,
}

impl Range {
    /// (0, ∞).
    pub const POSITIVE: Range = Range { lo: 0.0, lo_closed: false, hi: f64::INFINITY, hi_closed: false };
    /// [0, ∞).
    pub const NON_NEGATIVE: Range = Range { lo: 0.0, lo_closed: true, hi: f64::INFINITY, hi_closed: false };
    /// [1, ∞), for counts.
    pub const AT_LEAST_ONE: Range = Range { lo: 1.0, lo_closed: true, hi: f64::INFINITY, hi_closed: false };
    /// (0, 1).
    pub const OPEN_UNIT: Range = Range { lo: 0.0, lo_closed: false, hi: 1.0, hi_closed: false };
    /// [0, 1).
    pub const UNIT: Range = Range { lo: 0.0, lo_closed: true, hi: 1.0, hi_closed: false };

    /// The interval between `lo` and `hi` with the given closed ends.
    pub const fn new(lo: f64, lo_closed: bool, hi: f64, hi_closed: bool) -> Range {
        Range { lo, lo_closed, hi, hi_closed }
    }

    /// Whether `v` lies in the interval (never for NaN).
    pub fn contains(&self, v: f64) -> bool {
        let above = if self.lo_closed { v >= self.lo } else { v > self.lo };
        let below = if self.hi_closed { v <= self.hi } else { v < self.hi };
        above && below
    }

    /// The range check of a solver's constructor: `Ok(value)` if the interval holds the
    /// setting `value`, else the one-line error `{solver}: {what} must lie in {range}, got
    /// {value}; the default is {default}` (a range without upper end is put in words:
    /// `must be positive and finite`). Pass the range the solver's [`OptionSpec`] declares:
    /// a spec's values are checked against it by [`OptionSpec::parse`], a value given to
    /// the constructor directly by this.
    pub(crate) fn check(
        &self,
        solver: &str,
        what: &str,
        value: f64,
        default: impl fmt::Display,
    ) -> Result<f64, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(format!(
                "{solver}: {what} must {}, got {value}; the default is {default}",
                self.requirement(false)
            ))
        }
    }

    /// [`Range::check`] for a whole-number setting.
    pub(crate) fn check_count(
        &self,
        solver: &str,
        what: &str,
        value: usize,
        default: impl fmt::Display,
    ) -> Result<usize, String> {
        if self.contains(value as f64) {
            Ok(value)
        } else {
            Err(format!(
                "{solver}: {what} must {}, got {value}; the default is {default}",
                self.requirement(true)
            ))
        }
    }

    /// What the interval asks of a value, as a verb phrase: `lie in [0, 1)`, `be positive
    /// and finite`, `be at least 1` (a `whole` number is finite anyway).
    fn requirement(&self, whole: bool) -> String {
        if !(self.lo.is_finite() && self.hi == f64::INFINITY && !self.hi_closed) {
            return format!("lie in {self}");
        }
        let finite = if whole { "" } else { " and finite" };
        match (self.lo == 0.0, self.lo_closed) {
            (true, false) => format!("be positive{finite}"),
            (true, true) => format!("be non-negative{finite}"),
            (false, true) => format!("be at least {}{finite}", number_text(self.lo)),
            (false, false) => format!("be above {}{finite}", number_text(self.lo)),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |v: f64| if v.is_infinite() { "∞".to_string() } else { number_text(v) };
        write!(
            f,
            "{}{}, {}{}",
            if self.lo_closed { '[' } else { '(' },
            end(self.lo),
            end(self.hi),
            if self.hi_closed { ']' } else { ')' }
        )
    }
}

/// What values an option takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A finite real number in the range.
    Number(Range),
    /// A whole number in the range.
    Integer(Range),
    /// One of the names.
    Choice(&'static [&'static str]),
}

/// The value of an option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A real number.
    Number(f64),
    /// A whole number.
    Integer(u64),
    /// One of a choice's names.
    Choice(&'static str),
    /// The solver chooses from the problem (the option's meaning says how).
    Auto,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(v) => f.write_str(&number_text(*v)),
            Value::Integer(v) => write!(f, "{v}"),
            Value::Choice(name) => f.write_str(name),
            Value::Auto => f.write_str("auto"),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Number(v) => s.serialize_f64(*v),
            Value::Integer(v) => s.serialize_u64(*v),
            Value::Choice(name) => s.serialize_str(name),
            Value::Auto => s.serialize_str("auto"),
        }
    }
}

/// A number as an option's text shows it: plain for moderate sizes, `1e-8` otherwise.
pub fn number_text(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) { format!("{v:e}") } else { format!("{v}") }
}

/// One option of a solver, declared once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionSpec {
    /// Its name in a spec, e.g. `memory`.
    pub name: &'static str,
    /// The values it takes.
    pub kind: Kind,
    /// Its default ([`Value::Auto`] when the solver chooses from the problem).
    pub default: Value,
    /// One line of meaning.
    pub meaning: &'static str,
}

impl OptionSpec {
    /// A real-valued option.
    pub const fn number(name: &'static str, range: Range, default: f64, meaning: &'static str) -> Self {
        OptionSpec { name, kind: Kind::Number(range), default: Value::Number(default), meaning }
    }

    /// A whole-number option.
    pub const fn integer(name: &'static str, range: Range, default: u64, meaning: &'static str) -> Self {
        OptionSpec { name, kind: Kind::Integer(range), default: Value::Integer(default), meaning }
    }

    /// An option naming one of `choices`.
    pub const fn choice(
        name: &'static str,
        choices: &'static [&'static str],
        default: &'static str,
        meaning: &'static str,
    ) -> Self {
        OptionSpec { name, kind: Kind::Choice(choices), default: Value::Choice(default), meaning }
    }

    /// The same option with the default `auto` (the solver chooses; `auto` may also be given).
    pub const fn auto(self) -> Self {
        OptionSpec { default: Value::Auto, ..self }
    }

    /// The values it accepts, as the help table and errors show them.
    pub fn accepts(&self) -> String {
        let auto = if self.default == Value::Auto { " or auto" } else { "" };
        match self.kind {
            Kind::Number(range) => format!("number in {range}{auto}"),
            Kind::Integer(range) if range.hi.is_infinite() => {
                format!("integer ≥ {}{auto}", number_text(range.lo))
            }
            Kind::Integer(range) => format!("integer in {range}{auto}"),
            Kind::Choice(names) => names.join(" | "),
        }
    }

    /// The value `text` gives this option, or why it gives none.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        let text = text.trim();
        if text == "auto" && self.default == Value::Auto {
            return Ok(Value::Auto);
        }
        let refuse = |why: &str| Err(format!("{} = '{text}' {why} (valid: {})", self.name, self.accepts()));
        match self.kind {
            Kind::Number(range) => match text.parse::<f64>() {
                Ok(v) if !v.is_finite() => refuse("is not finite"),
                Ok(v) if !range.contains(v) => refuse("is out of range"),
                Ok(v) => Ok(Value::Number(v)),
                Err(_) => refuse("is not a number"),
            },
            Kind::Integer(range) => match text.parse::<u64>() {
                Ok(v) if !range.contains(v as f64) => refuse("is out of range"),
                Ok(v) => Ok(Value::Integer(v)),
                Err(e) if *e.kind() == IntErrorKind::PosOverflow => refuse("is too large"),
                Err(_) if text.starts_with('-') => refuse("is out of range"),
                // A whole number written as a float (`1e30`) past u64 is too large too.
                Err(_) => match text.parse::<f64>() {
                    Ok(v) if v.fract() == 0.0 && v >= u64::MAX as f64 => refuse("is too large"),
                    _ => refuse("is not a whole number"),
                },
            },
            Kind::Choice(names) => match names.iter().find(|n| **n == text) {
                Some(name) => Ok(Value::Choice(name)),
                None => refuse("is not one of its choices"),
            },
        }
    }
}

/// The effective options of one solver: every declared option with its value, and which
/// of them were given.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    specs: &'static [OptionSpec],
    values: Vec<Value>,
    given: Vec<bool>,
}

impl Options {
    /// Every option at its default.
    pub fn defaults(specs: &'static [OptionSpec]) -> Options {
        Options { specs, values: specs.iter().map(|s| s.default).collect(), given: vec![false; specs.len()] }
    }

    /// The declarations these options follow.
    pub fn specs(&self) -> &'static [OptionSpec] {
        self.specs
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }

    /// Whether the solver has an option `name`.
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// Whether `name` was given (not left at its default).
    pub fn is_given(&self, name: &str) -> bool {
        self.index(name).is_some_and(|i| self.given[i])
    }

    /// Sets `name` from `text`: `Err` (one line) for an unknown option, a malformed or
    /// out-of-range value, or an option given twice.
    pub fn set(&mut self, name: &str, text: &str) -> Result<(), String> {
        let Some(i) = self.index(name) else {
            let names: Vec<&str> = self.specs.iter().map(|s| s.name).collect();
            return Err(if names.is_empty() {
                format!("unknown option '{name}': this solver takes no options")
            } else {
                format!("unknown option '{name}' (its options: {})", names.join(", "))
            });
        };
        if self.given[i] {
            return Err(format!("option '{name}' is given twice"));
        }
        self.values[i] = self.specs[i].parse(text)?;
        self.given[i] = true;
        Ok(())
    }

    fn value(&self, name: &str) -> Value {
        match self.index(name) {
            Some(i) => self.values[i],
            None => unreachable!("a solver reads its own option '{name}', which it does not declare"),
        }
    }

    /// A real-valued option (`None` for `auto`).
    pub fn number_or_auto(&self, name: &str) -> Option<f64> {
        match self.value(name) {
            Value::Number(v) => Some(v),
            Value::Auto => None,
            other => unreachable!("option '{name}' is {other:?}, not a number"),
        }
    }

    /// A real-valued option without `auto`.
    pub fn number(&self, name: &str) -> f64 {
        self.number_or_auto(name).unwrap_or_else(|| unreachable!("option '{name}' is auto"))
    }

    /// A whole-number option (`None` for `auto`).
    pub fn integer_or_auto(&self, name: &str) -> Option<usize> {
        match self.value(name) {
            Value::Integer(v) => Some(usize::try_from(v).unwrap_or(usize::MAX)),
            Value::Auto => None,
            other => unreachable!("option '{name}' is {other:?}, not an integer"),
        }
    }

    /// A whole-number option without `auto`.
    pub fn integer(&self, name: &str) -> usize {
        self.integer_or_auto(name).unwrap_or_else(|| unreachable!("option '{name}' is auto"))
    }

    /// A choice option's name.
    pub fn choice(&self, name: &str) -> &'static str {
        match self.value(name) {
            Value::Choice(c) => c,
            other => unreachable!("option '{name}' is {other:?}, not a choice"),
        }
    }

    /// (name, value) of every option, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Value)> + '_ {
        self.specs.iter().zip(&self.values).map(|(s, v)| (s.name, *v))
    }
}

impl Serialize for Options {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.values.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[
        OptionSpec::integer("memory", Range::AT_LEAST_ONE, 10, "pairs kept"),
        OptionSpec::number("c1", Range::OPEN_UNIT, 1e-4, "sufficient decrease"),
        OptionSpec::choice("line_search", &["strong-wolfe", "hager-zhang"], "strong-wolfe", "search"),
        OptionSpec::number("rcond", Range::UNIT, 0.0, "cutoff").auto(),
    ];

    #[test]
    fn values_parse_within_their_ranges() {
        let mut o = Options::defaults(SPECS);
        assert_eq!((o.integer("memory"), o.number("c1"), o.number_or_auto("rcond")), (10, 1e-4, None));
        o.set("memory", "100").unwrap();
        o.set("c1", "1e-3").unwrap();
        o.set("line_search", "hager-zhang").unwrap();
        o.set("rcond", "1e-12").unwrap();
        assert_eq!(o.integer("memory"), 100);
        assert_eq!(o.number("c1"), 1e-3);
        assert_eq!(o.choice("line_search"), "hager-zhang");
        assert_eq!(o.number_or_auto("rcond"), Some(1e-12));
        assert!(o.is_given("memory") && !Options::defaults(SPECS).is_given("memory"));
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"memory":100,"c1":0.001,"line_search":"hager-zhang","rcond":1e-12}"#
        );
        assert_eq!(
            serde_json::to_string(&Options::defaults(SPECS)).unwrap(),
            r#"{"memory":10,"c1":0.0001,"line_search":"strong-wolfe","rcond":"auto"}"#
        );
    }

    #[test]
    fn bad_values_are_one_line_errors_naming_the_option_and_range() {
        for (name, text, says) in [
            ("memory", "0", "memory = '0' is out of range (valid: integer ≥ 1)"),
            ("memory", "-3", "memory = '-3' is out of range"),
            ("memory", "2.5", "memory = '2.5' is not a whole number"),
            ("memory", "99999999999999999999999", "is too large"),
            ("memory", "1e30", "is too large"),
            ("memory", "ten", "is not a whole number"),
            ("c1", "1", "c1 = '1' is out of range (valid: number in (0, 1))"),
            ("c1", "nan", "is not finite"),
            ("c1", "", "is not a number"),
            ("line_search", "armijo", "(valid: strong-wolfe | hager-zhang)"),
            ("rcond", "auto ", ""),
            ("colour", "red", "unknown option 'colour' (its options: memory, c1, line_search, rcond)"),
        ] {
            let mut o = Options::defaults(SPECS);
            match o.set(name, text) {
                Ok(()) => assert!(says.is_empty(), "{name}={text} was accepted"),
                Err(e) => {
                    assert!(!says.is_empty() && e.contains(says) && !e.contains('\n'), "{name}={text}: {e}")
                }
            }
        }
        let mut o = Options::defaults(SPECS);
        o.set("memory", "5").unwrap();
        assert_eq!(o.set("memory", "6").unwrap_err(), "option 'memory' is given twice");
        assert_eq!(
            Options::defaults(&[]).set("lr", "1").unwrap_err(),
            "unknown option 'lr': this solver takes no options"
        );
    }

    #[test]
    fn ranges_print_as_intervals() {
        assert_eq!(Range::POSITIVE.to_string(), "(0, ∞)");
        assert_eq!(Range::UNIT.to_string(), "[0, 1)");
        assert_eq!(Range::new(0.0, false, 0.5, false).to_string(), "(0, 0.5)");
        assert_eq!(number_text(1e-16), "1e-16");
        assert_eq!(number_text(0.9), "0.9");
        assert_eq!(number_text(1000.0), "1000");
    }

    #[test]
    fn constructor_checks_name_the_solver_setting_range_and_default() {
        assert_eq!(Range::UNIT.check("s", "x", 0.5, 0.1), Ok(0.5));
        assert_eq!(
            Range::UNIT.check("s", "the tolerance", 1.0, 0.1).unwrap_err(),
            "s: the tolerance must lie in [0, 1), got 1; the default is 0.1"
        );
        assert_eq!(
            Range::POSITIVE.check("s", "the factor", f64::INFINITY, 100.0).unwrap_err(),
            "s: the factor must be positive and finite, got inf; the default is 100"
        );
        assert!(Range::OPEN_UNIT.check("s", "c1", f64::NAN, 1e-4).unwrap_err().contains("(0, 1), got NaN"));
        assert_eq!(Range::AT_LEAST_ONE.check_count("s", "k", 3, 30), Ok(3));
        assert_eq!(
            Range::AT_LEAST_ONE.check_count("s", "k", 0, 30).unwrap_err(),
            "s: k must be at least 1, got 0; the default is 30"
        );
    }
}
