//! The field a TOML syntax error is in: the key path at a byte offset of the text
//! (`terms[0].points.random.seed`), found by reading the text up to it, for the file's
//! error messages ([`field_at`]).

/// One piece of the text before the offset.
#[derive(Debug, PartialEq)]
enum Token {
    Newline,
    Word(String),
    Dot,
    Equals,
    Comma,
    Open,
    Close,
    OpenTable,
    CloseTable,
}

/// One level of nesting: the table or array a value is in.
#[derive(Debug, Default)]
struct Level {
    /// The path to the table or array.
    base: Vec<String>,
    /// An array's current element; `None` in a table.
    index: Option<usize>,
    /// A table's current key (dotted keys give several parts).
    key: Vec<String>,
    /// Whether the key's `=` has been read (what follows is its value).
    in_value: bool,
}

impl Level {
    /// The path of the value being read at this level.
    fn path(&self) -> Vec<String> {
        let mut path = self.base.clone();
        match self.index {
            Some(i) => path.push(format!("[{i}]")),
            None => path.extend(self.key.iter().cloned()),
        }
        path
    }
}

/// The key path of the value (or key) at byte `offset` of the TOML `text`, e.g.
/// `terms[0].points.random.seed` or `inputs[1]`; `None` at the top level outside any key.
pub fn field_at(text: &str, offset: usize) -> Option<String> {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let tokens = tokenize(&text[..end]);
    let mut levels = vec![Level::default()];
    let mut tables: Vec<(String, usize)> = Vec::new();
    let mut line_start = true;
    let mut k = 0;
    while k < tokens.len() {
        let token = &tokens[k];
        k += 1;
        if *token == Token::Newline {
            if levels.len() == 1 {
                let top = &mut levels[0];
                top.key.clear();
                top.in_value = false;
                line_start = true;
            }
            continue;
        }
        if line_start && levels.len() == 1 && *token == Token::Open {
            // A table header: [name] or [[name]] (an array of tables, counted).
            let array = tokens.get(k) == Some(&Token::Open);
            if array {
                k += 1;
            }
            let mut name = Vec::new();
            while let Some(t) = tokens.get(k) {
                match t {
                    Token::Word(w) => name.push(w.clone()),
                    Token::Dot => {}
                    _ => break,
                }
                k += 1;
            }
            let mut base = name.clone();
            if array {
                let joined = name.join(".");
                let index = match tables.iter_mut().find(|(n, _)| *n == joined) {
                    Some((_, count)) => {
                        *count += 1;
                        *count - 1
                    }
                    None => {
                        tables.push((joined, 1));
                        0
                    }
                };
                base.push(format!("[{index}]"));
            }
            levels[0] = Level { base, ..Level::default() };
            line_start = false;
            continue;
        }
        line_start = false;
        let top = levels.last_mut().expect("the top level is never popped");
        match token {
            Token::Word(w) if top.index.is_none() && !top.in_value => top.key.push(w.clone()),
            Token::Equals if top.index.is_none() => top.in_value = true,
            Token::Comma => match &mut top.index {
                Some(i) => *i += 1,
                None => {
                    top.key.clear();
                    top.in_value = false;
                }
            },
            Token::Open | Token::OpenTable => {
                let base = top.path();
                let index = (*token == Token::Open).then_some(0);
                levels.push(Level { base, index, ..Level::default() });
            }
            Token::Close | Token::CloseTable if levels.len() > 1 => {
                levels.pop();
            }
            _ => {}
        }
    }
    let path = levels.last().expect("the top level is never popped").path();
    let mut field = String::new();
    for part in path {
        if !field.is_empty() && !part.starts_with('[') {
            field.push('.');
        }
        field.push_str(&part);
    }
    (!field.is_empty()).then_some(field)
}

/// The tokens of `text`: strings (quotes removed) and bare words as [`Token::Word`],
/// comments skipped.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => tokens.push(Token::Newline),
            '#' => {
                while i + 1 < chars.len() && chars[i + 1] != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' => {
                let triple = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                i += if triple { 3 } else { 1 };
                let mut word = String::new();
                while i < chars.len() {
                    let ch = chars[i];
                    if c == '"' && ch == '\\' {
                        word.extend(chars.get(i + 1));
                        i += 2;
                        continue;
                    }
                    if triple && ch == c && chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c) {
                        i += 3;
                        break;
                    }
                    if !triple && ch == c {
                        i += 1;
                        break;
                    }
                    if !triple && ch == '\n' {
                        // An unclosed string ends at its line.
                        break;
                    }
                    word.push(ch);
                    i += 1;
                }
                tokens.push(Token::Word(word));
                continue;
            }
            '.' => tokens.push(Token::Dot),
            '=' => tokens.push(Token::Equals),
            ',' => tokens.push(Token::Comma),
            '[' => tokens.push(Token::Open),
            ']' => tokens.push(Token::Close),
            '{' => tokens.push(Token::OpenTable),
            '}' => tokens.push(Token::CloseTable),
            c if c.is_whitespace() => {}
            _ => {
                let mut word = String::new();
                while i < chars.len() && !"\n#\"'.=,[]{} \t\r".contains(chars[i]) {
                    word.push(chars[i]);
                    i += 1;
                }
                tokens.push(Token::Word(word));
                continue;
            }
        }
        i += 1;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::field_at;

    /// The field at the first occurrence of `at` in `text`.
    fn at(text: &str, at: &str) -> Option<String> {
        field_at(text, text.find(at).expect("the marker is in the text"))
    }

    #[test]
    fn finds_the_key_path_of_a_value() {
        let text = "inputs = [\"x\", \"y\"]\n\n[[terms]]\nname = \"a\"\n\n[[terms]]\nname = \"b\" # c\n\
                    points = { random = { n = 8, seed = 18446744073709551615, x = [0, 1] } }\n\
                    [test]\npoints = 3\n";
        assert_eq!(at(text, "18446").as_deref(), Some("terms[1].points.random.seed"));
        assert_eq!(at(text, "\"y\"").as_deref(), Some("inputs[1]"));
        assert_eq!(at(text, "8,").as_deref(), Some("terms[1].points.random.n"));
        assert_eq!(at(text, "\"a\"").as_deref(), Some("terms[0].name"));
        assert_eq!(at(text, "3\n").as_deref(), Some("test.points"));
        assert_eq!(at(text, "1] }").as_deref(), Some("terms[1].points.random.x[1]"));
        assert_eq!(field_at(text, 0), None);
    }

    #[test]
    fn strings_and_comments_do_not_confuse_it() {
        let text =
            "trial = \"x*(1 - x)*N, [ { # \"\n# x = [\ncolour = 'red' # ]\nexact = \"\"\"a\nb\"\"\"\nz = 1";
        assert_eq!(field_at(text, text.len() - 1).as_deref(), Some("z"));
        assert_eq!(at(text, "- x").as_deref(), Some("trial"));
        assert_eq!(at(text, "'red'").as_deref(), Some("colour"));
    }
}
