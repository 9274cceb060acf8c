//! Calico's selector language (`projectcalico.org/v3` policies): `all()`, `global()`,
//! `k == 'v'`, `k != 'v'`, `has(k)`, `k in {'a', 'b'}`, `k not in {...}`, `k contains 's'`,
//! `k starts with 's'`, `k ends with 's'`, `!`, `&&`, `||` and parentheses. A small
//! recursive-descent parser; `!` binds tightest, then `&&`, then `||`.

use super::LabelSet;

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    All,
    Global,
    Has(String),
    Equal(String, String),
    NotEqual(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Contains(String, String),
    StartsWith(String, String),
    EndsWith(String, String),
    Not(Box<Selector>),
    And(Box<Selector>, Box<Selector>),
    Or(Box<Selector>, Box<Selector>),
}

impl Selector {
    /// Parses a selector; an empty or blank one means `all()`, as in a Calico policy.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Ok(Selector::All);
        }
        let mut parser = Parser { tokens, at: 0 };
        let selector = parser.or()?;
        match parser.peek() {
            None => Ok(selector),
            Some(token) => Err(format!(
                "unexpected {} after the selector",
                token.describe()
            )),
        }
    }

    /// Whether a workload endpoint (pod) with `labels` matches. `global()` matches only
    /// non-namespaced endpoints, so never a pod.
    pub fn matches(&self, labels: &LabelSet<'_>) -> bool {
        let get = |k: &String| labels.get(k.as_str()).copied();
        match self {
            Selector::All => true,
            Selector::Global => false,
            Selector::Has(k) => get(k).is_some(),
            Selector::Equal(k, v) => get(k) == Some(v.as_str()),
            Selector::NotEqual(k, v) => get(k) != Some(v.as_str()),
            Selector::In(k, set) => get(k).is_some_and(|v| set.iter().any(|x| x == v)),
            Selector::NotIn(k, set) => get(k).is_none_or(|v| set.iter().all(|x| x != v)),
            Selector::Contains(k, s) => get(k).is_some_and(|v| v.contains(s.as_str())),
            Selector::StartsWith(k, s) => get(k).is_some_and(|v| v.starts_with(s.as_str())),
            Selector::EndsWith(k, s) => get(k).is_some_and(|v| v.ends_with(s.as_str())),
            Selector::Not(inner) => !inner.matches(labels),
            Selector::And(a, b) => a.matches(labels) && b.matches(labels),
            Selector::Or(a, b) => a.matches(labels) || b.matches(labels),
        }
    }

    /// `key == value` pairs every match carries (from the top-level `&&` chain).
    pub fn required(&self) -> Vec<(&str, &str)> {
        match self {
            Selector::Equal(k, v) => vec![(k.as_str(), v.as_str())],
            Selector::In(k, set) if set.len() == 1 => vec![(k.as_str(), set[0].as_str())],
            Selector::And(a, b) => {
                let mut out = a.required();
                out.extend(b.required());
                out
            }
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    OpenSet,
    CloseSet,
    Comma,
    Equal,
    NotEqual,
    Bang,
    And,
    Or,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("`{w}`"),
            Token::Text(t) => format!("'{t}'"),
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::OpenSet => "`{`".into(),
            Token::CloseSet => "`}`".into(),
            Token::Comma => "`,`".into(),
            Token::Equal => "`==`".into(),
            Token::NotEqual => "`!=`".into(),
            Token::Bang => "`!`".into(),
            Token::And => "`&&`".into(),
            Token::Or => "`||`".into(),
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            '(' => Token::Open,
            ')' => Token::Close,
            '{' => Token::OpenSet,
            '}' => Token::CloseSet,
            ',' => Token::Comma,
            '=' | '!' | '&' | '|' if chars.peek().map(|(_, n)| *n) == Some(pair(c)) => {
                chars.next();
                match c {
                    '=' => Token::Equal,
                    '!' => Token::NotEqual,
                    '&' => Token::And,
                    _ => Token::Or,
                }
            }
            '!' => Token::Bang,
            '\'' | '"' => {
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, end)) if end == c => break,
                        Some((_, other)) => value.push(other),
                        None => return Err(format!("unterminated string starting at {at}")),
                    }
                }
                Token::Text(value)
            }
            c if is_word(c) => {
                let mut word = String::from(c);
                while let Some(&(_, n)) = chars.peek() {
                    if !is_word(n) {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                Token::Word(word)
            }
            other => return Err(format!("unexpected character `{other}` at {at}")),
        };
        tokens.push(token);
    }
    Ok(tokens)
}

/// The second character of a two-character operator.
fn pair(first: char) -> char {
    match first {
        '=' | '!' => '=',
        other => other,
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, want: &Token) -> Result<(), String> {
        match self.next() {
            Some(ref got) if got == want => Ok(()),
            Some(got) => Err(format!(
                "expected {}, found {}",
                want.describe(),
                got.describe()
            )),
            None => Err(format!("expected {}, found the end", want.describe())),
        }
    }

    fn text(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Text(t)) => Ok(t),
            Some(other) => Err(format!(
                "expected a quoted string, found {}",
                other.describe()
            )),
            None => Err("expected a quoted string, found the end".into()),
        }
    }

    fn word(&mut self, want: &str) -> Result<(), String> {
        self.expect(&Token::Word(want.to_owned()))
    }

    fn or(&mut self) -> Result<Selector, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Selector::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Selector, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Selector::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Selector, String> {
        if self.peek() == Some(&Token::Bang) {
            self.at += 1;
            return Ok(Selector::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn set(&mut self) -> Result<Vec<String>, String> {
        self.expect(&Token::OpenSet)?;
        let mut values = Vec::new();
        if self.peek() == Some(&Token::CloseSet) {
            self.at += 1;
            return Ok(values);
        }
        loop {
            values.push(self.text()?);
            match self.next() {
                Some(Token::Comma) => {}
                Some(Token::CloseSet) => return Ok(values),
                Some(other) => {
                    return Err(format!("expected `,` or `}}`, found {}", other.describe()));
                }
                None => return Err("expected `}`, found the end".into()),
            }
        }
    }

    fn primary(&mut self) -> Result<Selector, String> {
        let word = match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(&Token::Close)?;
                return Ok(inner);
            }
            Some(Token::Word(word)) => word,
            Some(other) => {
                return Err(format!(
                    "expected a label or `(`, found {}",
                    other.describe()
                ));
            }
            None => return Err("expected a label or `(`, found the end".into()),
        };
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let selector = match word.as_str() {
                "all" => Selector::All,
                "global" => Selector::Global,
                "has" => match self.next() {
                    Some(Token::Word(key)) => Selector::Has(key),
                    _ => return Err("expected a label name inside has()".into()),
                },
                other => return Err(format!("unknown function `{other}()`")),
            };
            self.expect(&Token::Close)?;
            return Ok(selector);
        }
        let key = word;
        match self.next() {
            Some(Token::Equal) => Ok(Selector::Equal(key, self.text()?)),
            Some(Token::NotEqual) => Ok(Selector::NotEqual(key, self.text()?)),
            Some(Token::Word(op)) => match op.as_str() {
                "in" => Ok(Selector::In(key, self.set()?)),
                "not" => {
                    self.word("in")?;
                    Ok(Selector::NotIn(key, self.set()?))
                }
                "contains" => Ok(Selector::Contains(key, self.text()?)),
                "starts" => {
                    self.word("with")?;
                    Ok(Selector::StartsWith(key, self.text()?))
                }
                "ends" => {
                    self.word("with")?;
                    Ok(Selector::EndsWith(key, self.text()?))
                }
                other => Err(format!("unknown operator `{other}` after `{key}`")),
            },
            Some(other) => Err(format!(
                "expected an operator after `{key}`, found {}",
                other.describe()
            )),
            None => Err(format!("expected an operator after `{key}`, found the end")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &[(&str, &str)] = &[
        ("app.kubernetes.io/name", "web"),
        ("tier", "frontend"),
        ("version", "v1.2"),
    ];

    #[test]
    fn table() {
        // (selector, matches the WEB pod)
        let table: &[(&str, bool)] = &[
            ("", true),
            ("all()", true),
            ("global()", false),
            ("app.kubernetes.io/name == 'web'", true),
            ("app.kubernetes.io/name == \"web\"", true),
            ("app.kubernetes.io/name == 'db'", false),
            ("app.kubernetes.io/name != 'db'", true),
            ("missing != 'x'", true),
            ("has(tier)", true),
            ("has(missing)", false),
            ("!has(missing)", true),
            ("tier in {'frontend', 'backend'}", true),
            ("tier in {}", false),
            ("tier not in {'frontend'}", false),
            ("missing not in {'a'}", true),
            ("version starts with 'v1'", true),
            ("version ends with '.2'", true),
            ("version contains '1.'", true),
            ("missing contains ''", false),
            (
                "tier == 'frontend' && app.kubernetes.io/name == 'web'",
                true,
            ),
            ("tier == 'backend' || app.kubernetes.io/name == 'web'", true),
            ("tier == 'backend' || tier == 'x' && has(tier)", false),
            ("(tier == 'backend' || has(tier)) && !has(missing)", true),
            ("!(tier == 'frontend')", false),
            ("!!has(tier)", true),
        ];
        let labels: LabelSet<'_> = WEB.iter().copied().collect();
        for (text, expected) in table {
            let selector =
                Selector::parse(text).unwrap_or_else(|e| panic!("`{text}` did not parse: {e}"));
            assert_eq!(selector.matches(&labels), *expected, "`{text}`");
        }
    }

    #[test]
    fn precedence_and_over_or() {
        assert_eq!(
            Selector::parse("a == '1' || b == '2' && c == '3'").unwrap(),
            Selector::Or(
                Box::new(Selector::Equal("a".into(), "1".into())),
                Box::new(Selector::And(
                    Box::new(Selector::Equal("b".into(), "2".into())),
                    Box::new(Selector::Equal("c".into(), "3".into())),
                )),
            )
        );
    }

    #[test]
    fn errors() {
        for bad in [
            "a ==",
            "a = 'b'",
            "a == 'b",
            "has(a",
            "a in {'b'",
            "a in {'b' 'c'}",
            "(a == 'b'",
            "a == 'b')",
            "a like 'b'",
            "nope()",
            "a == 'b' &&",
            "a not 'b'",
            "a starts 'b'",
            "a == b",
            "#",
        ] {
            assert!(Selector::parse(bad).is_err(), "`{bad}` should not parse");
        }
    }

    #[test]
    fn required_pairs_come_from_the_and_chain() {
        let s = Selector::parse("a == '1' && (b == '2' || c == '3') && d in {'4'}").unwrap();
        assert_eq!(s.required(), vec![("a", "1"), ("d", "4")]);
        assert!(
            Selector::parse("a == '1' || b == '2'")
                .unwrap()
                .required()
                .is_empty()
        );
    }
}
