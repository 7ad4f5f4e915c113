//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths: parsing with limits, and
//! matching a resource (JSON) against a filter.
//!
//! Supported: `eq`, `ne`, `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`, `pr`, `and`, `or`,
//! `not (…)`, parentheses, and value filters (`emails[type eq "work"]`); attribute names
//! and operators in any case; attributes of the core schema by name (`userName`,
//! `name.givenName`, `emails.value`) or with their schema
//! (`urn:ietf:params:scim:schemas:core:2.0:User:userName`), and of extensions with theirs
//! (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`). Strings
//! compare ignoring case except for `id` and `externalId` (case-exact in RFC 7643).
//!
//! A filter is at most [`MAX_FILTER_LEN`] bytes and nests at most [`MAX_DEPTH`] deep, so
//! a hostile filter costs no more than a short one. This module must never evaluate
//! anything but the resource it is given.

use serde_json::{Map, Value};
use staffsync_engine::sources::scim::{CORE_USER, field};

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 2048;
/// The deepest nesting of parentheses, `not` and value filters accepted.
pub const MAX_DEPTH: usize = 16;

/// An attribute path: its schema (`None`: the core schema), attribute and sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub schema: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `userName`, `name.givenName` or `urn:…:User:department` (the schema is
    /// everything before the last `:`; `2.0` in a URN is not a sub-attribute).
    pub fn parse(text: &str) -> Result<AttrPath, String> {
        // A whole extension (`urn:…:enterprise:2.0:User`, or a custom one's `…:User`) is
        // the resource's attribute of that name, not an attribute `User` of a schema
        // `urn:…:2.0` (PATCH removes or replaces the extension at once so).
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("urn:")
            && lower.ends_with(":user")
            && !text.eq_ignore_ascii_case(CORE_USER)
        {
            return Ok(AttrPath {
                schema: None,
                attr: text.to_owned(),
                sub: None,
            });
        }
        let (schema, rest) = match text.rfind(':') {
            Some(i) if text.len() > 4 && text[..4].eq_ignore_ascii_case("urn:") => {
                (Some(&text[..i]), &text[i + 1..])
            }
            _ => (None, text),
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !name_ok(attr) || sub.is_some_and(|s| !name_ok(s)) {
            return Err(format!("{text:?} is not an attribute path"));
        }
        let schema = schema.filter(|s| !s.eq_ignore_ascii_case(CORE_USER));
        Ok(AttrPath {
            schema: schema.map(str::to_owned),
            attr: attr.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// The object the attribute lives in: the resource, or its extension's object.
    fn container<'v>(&self, resource: &'v Map<String, Value>) -> Option<&'v Map<String, Value>> {
        match &self.schema {
            None => Some(resource),
            Some(schema) => field(resource, schema).and_then(Value::as_object),
        }
    }

    /// Every value the path names in `resource` (a multi-valued attribute gives each of
    /// its entries' sub-attribute, or each entry's `value` without one).
    pub fn values<'v>(&self, resource: &'v Map<String, Value>) -> Vec<&'v Value> {
        let Some(found) = self.container(resource).and_then(|c| field(c, &self.attr)) else {
            return Vec::new();
        };
        let sub = |v: &'v Value, name: &str| v.as_object().and_then(|o| field(o, name));
        match (found, &self.sub) {
            (Value::Array(entries), Some(name)) => {
                entries.iter().filter_map(|e| sub(e, name)).collect()
            }
            (Value::Array(entries), None) => entries
                .iter()
                .filter_map(|e| {
                    if e.is_object() {
                        sub(e, "value")
                    } else {
                        Some(e)
                    }
                })
                .collect(),
            (v, Some(name)) => sub(v, name).into_iter().collect(),
            (v, None) => vec![v],
        }
    }

    /// Whether strings of this attribute compare exactly (`id`, `externalId`).
    fn case_exact(&self) -> bool {
        self.schema.is_none()
            && self.sub.is_none()
            && (self.attr.eq_ignore_ascii_case("id")
                || self.attr.eq_ignore_ascii_case("externalId"))
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: an entry of the multi-valued attribute matches.
    Entries {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Str(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '[' => out.push(Token::OpenBracket),
            ']' => out.push(Token::CloseBracket),
            '"' => {
                // A JSON string: find its end (a quote not escaped) and let serde read it.
                let mut end = None;
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    match d {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => {
                            end = Some(j);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or("a string is not closed")?;
                let s: String = serde_json::from_str(&text[i..=end])
                    .map_err(|_| format!("{} is not a valid string", &text[i..=end]))?;
                out.push(Token::Str(s));
            }
            _ => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                out.push(Token::Word(text[i..end].to_owned()));
            }
        }
    }
    Ok(out)
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
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self, depth: usize) -> Result<Filter, String> {
        let mut left = self.and(depth)?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, String> {
        let mut left = self.atom(depth)?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.atom(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self, depth: usize) -> Result<Filter, String> {
        if depth >= MAX_DEPTH {
            return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
        }
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err("expected ( after not".into());
            }
            let inner = self.or(depth + 1)?;
            if self.next() != Some(Token::Close) {
                return Err("expected ) closing not (…)".into());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                if self.next() != Some(Token::Close) {
                    return Err("a ( is not closed".into());
                }
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let path = AttrPath::parse(&word)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.at += 1;
                    let inner = self.or(depth + 1)?;
                    if self.next() != Some(Token::CloseBracket) {
                        return Err("a [ is not closed".into());
                    }
                    return Ok(Filter::Entries {
                        path,
                        filter: Box::new(inner),
                    });
                }
                let op = match self.next() {
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("pr") => {
                        return Ok(Filter::Present(path));
                    }
                    Some(Token::Word(op)) => {
                        CompareOp::parse(&op).ok_or_else(|| format!("{op:?} is not an operator"))?
                    }
                    _ => return Err(format!("expected an operator after {word}")),
                };
                let value = match self.next() {
                    Some(Token::Str(s)) => Value::String(s),
                    Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        _ => serde_json::from_str::<serde_json::Number>(&w)
                            .map(Value::Number)
                            .map_err(|_| format!("{w:?} is not a value (quote strings)"))?,
                    },
                    _ => return Err(format!("expected a value after {word}")),
                };
                Ok(Filter::Compare { path, op, value })
            }
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("the filter ends too early".into()),
        }
    }
}

/// Parses a filter, with the limits above. The error says what is wrong.
pub fn parse(text: &str) -> Result<Filter, String> {
    if text.len() > MAX_FILTER_LEN {
        return Err(format!("the filter is longer than {MAX_FILTER_LEN} bytes"));
    }
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let filter = parser.or(0)?;
    if parser.at < parser.tokens.len() {
        return Err(format!("unexpected {:?}", parser.tokens[parser.at]));
    }
    Ok(filter)
}

/// A value as a boolean: `true`, or the strings Entra sends (`"True"`, `"False"`).
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn compare(found: &Value, op: CompareOp, wanted: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    let ordering = match (found, wanted) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            return match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            };
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (a, Value::Bool(b)) => as_bool(a).map(|a| a.cmp(b)),
        _ => None,
    };
    match (op, ordering) {
        (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
        (CompareOp::Ne, o) => o != Some(Ordering::Equal),
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        _ => false,
    }
}

/// What a filter that names one user by an indexed attribute asks for: the store looks
/// it up instead of reading every user (Entra and Okta send such a probe before each
/// write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'f> {
    Id(&'f str),
    UserName(&'f str),
    ExternalId(&'f str),
}

impl Filter {
    /// The indexed lookup this filter is, if it is one: `id`, `userName` or
    /// `externalId` `eq` a string.
    pub fn lookup(&self) -> Option<Lookup<'_>> {
        let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(v),
        } = self
        else {
            return None;
        };
        if path.schema.is_some() || path.sub.is_some() {
            return None;
        }
        let a = path.attr.as_str();
        if a.eq_ignore_ascii_case("id") {
            Some(Lookup::Id(v))
        } else if a.eq_ignore_ascii_case("userName") {
            Some(Lookup::UserName(v))
        } else if a.eq_ignore_ascii_case("externalId") {
            Some(Lookup::ExternalId(v))
        } else {
            None
        }
    }

    /// Whether `resource` (a JSON object) matches.
    pub fn matches(&self, resource: &Map<String, Value>) -> bool {
        match self {
            Filter::Compare { path, op, value } => {
                let found = path.values(resource);
                if *op == CompareOp::Ne {
                    return found
                        .iter()
                        .all(|f| compare(f, CompareOp::Ne, value, path.case_exact()));
                }
                found
                    .iter()
                    .any(|f| compare(f, *op, value, path.case_exact()))
            }
            Filter::Present(path) => path.values(resource).iter().any(|v| match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            }),
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(f) => !f.matches(resource),
            Filter::Entries { path, filter } => entries(path, resource)
                .iter()
                .filter_map(|e| e.as_object())
                .any(|e| filter.matches(e)),
        }
    }
}

/// The entries of the multi-valued attribute `path` names (its sub-attribute ignored).
fn entries<'v>(path: &AttrPath, resource: &'v Map<String, Value>) -> &'v [Value] {
    path.container(resource)
        .and_then(|c| field(c, &path.attr))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        json!({
            "id": "ABC",
            "userName": "Ada@Acme.de",
            "externalId": "E1",
            "displayName": "Ada Lovelace",
            "active": true,
            "emails": [{"value": "ada@acme.de", "type": "work"}, {"value": "a@home.de", "type": "home"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Vertrieb"}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn hit(f: &str) -> bool {
        parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&user())
    }

    #[test]
    fn the_filters_identity_providers_send() {
        assert!(hit(r#"userName eq "ada@acme.de""#), "userName ignores case");
        assert!(
            hit(r#"USERNAME EQ "ada@acme.de""#),
            "names and operators in any case"
        );
        assert!(!hit(r#"externalId eq "e1""#), "externalId is case-exact");
        assert!(hit(r#"externalId eq "E1""#));
        assert!(!hit(r#"id eq "abc""#));
        assert!(hit(r#"emails.value eq "A@HOME.DE""#));
        assert!(hit(r#"emails[type eq "work" and value co "acme"]"#));
        assert!(!hit(r#"emails[type eq "work" and value co "home"]"#));
        assert!(hit(
            r#"displayName sw "Ada" and (userName eq "x" or externalId eq "E1")"#
        ));
        assert!(hit(r#"userName eq "x" or displayName eq "ada lovelace""#));
        assert!(hit(r#"not (userName eq "x")"#));
        assert!(hit("active eq true"));
        assert!(hit(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "vertrieb""#
        ));
        assert!(hit(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName pr"#
        ));
        assert!(hit(r#"userName eq "ada@acme.de" and active eq true"#));
    }

    #[test]
    fn probes_are_lookups() {
        let of = |f: &str| parse(f).unwrap().lookup().map(|l| format!("{l:?}"));
        assert_eq!(
            of(r#"USERNAME eq "a@b.de""#).as_deref(),
            Some(r#"UserName("a@b.de")"#)
        );
        assert_eq!(
            of(r#"externalId eq "E1""#).as_deref(),
            Some(r#"ExternalId("E1")"#)
        );
        assert_eq!(of(r#"id eq "x""#).as_deref(), Some(r#"Id("x")"#));
        assert_eq!(of(r#"userName co "a""#), None);
        assert_eq!(of(r#"userName eq "a" and active eq true"#), None);
        assert_eq!(of(r#"emails.value eq "a""#), None);
    }

    #[test]
    fn bad_filters_are_refused_naming_the_problem() {
        for (f, says) in [
            ("userName eq", "expected a value"),
            ("userName zz \"x\"", "not an operator"),
            ("userName eq \"x", "not closed"),
            ("(userName eq \"x\"", "not closed"),
            ("userName eq x", "not a value"),
            ("userName eq \"x\" )", "unexpected"),
            ("1abc eq \"x\"", "not an attribute path"),
        ] {
            let e = parse(f).unwrap_err();
            assert!(e.contains(says), "{f}: {e}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().contains("deeper"));
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
        assert!(parse(&long).unwrap_err().contains("longer"));
    }
}
