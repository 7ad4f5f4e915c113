//! Reading values both versions send the same way: the text of any value ([`to_text`]),
//! calendar dates (`date_value`), and sharing repeated strings ([`Interner`]).
//!
//! This module must never do I/O, never panic on input, and never invent a value Personio
//! did not send.

use super::Val;
use staffsync_core::dates::parse_calendar_date;
use std::fmt;
use std::sync::Arc;

/// The text of a value: strings verbatim, numbers and booleans as written, lists joined
/// with ", ", objects by their `name`; `None` when empty.
pub fn to_text(v: &Val<'_>) -> Option<String> {
    match v {
        Val::Null => None,
        Val::Str(s) if s.is_empty() => None,
        Val::Str(s) => Some(s.to_string()),
        Val::Bool(b) => Some(b.to_string()),
        Val::Int(n) => Some(n.to_string()),
        Val::UInt(n) => Some(n.to_string()),
        Val::Float(f) => Some(f.to_string()),
        Val::List(items) => {
            let parts: Vec<String> = items.iter().filter_map(to_text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Val::Obj(m) if m.is_empty() => None,
        Val::Obj(_) => Some(object_name(v).unwrap_or_else(|| v.to_json())),
    }
}

/// `attributes.name`, `name` or `value` of a nested object.
fn object_name(v: &Val<'_>) -> Option<String> {
    v.get("attributes")
        .and_then(|a| a.get("name"))
        .or_else(|| v.get("name"))
        .and_then(to_text)
        .or_else(|| v.get("value").and_then(to_text))
}

/// A date value: empty ⇒ `None`; a string ⇒ its calendar date (the part before `T`,
/// never converted through UTC); anything else is an error naming `path`.
pub(crate) fn date_value(
    v: &Val<'_>,
    path: &dyn fmt::Display,
) -> Result<Option<time::Date>, String> {
    match v {
        v if v.is_empty_value() => Ok(None),
        Val::Str(s) => parse_calendar_date(s)
            .map(Some)
            .ok_or_else(|| format!("{path}: not a date: {s:?}")),
        other => Err(format!(
            "{path}: expected a date, found {}: {}",
            other.kind(),
            other.to_json()
        )),
    }
}

/// Shares the attribute keys, labels and types of one page among its records (see
/// [`staffsync_core::ExtraAttribute`]): a page repeats the same few dozen strings for
/// every person.
#[derive(Debug, Default)]
pub struct Interner(std::collections::HashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(s) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(s);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    /// The shared text of a value (see [`to_text`]).
    pub(crate) fn text(&mut self, v: &Val<'_>) -> Option<Arc<str>> {
        match v {
            Val::Str(s) if !s.is_empty() => Some(self.get(s)),
            other => to_text(other).map(|t| self.get(&t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(json: &str) -> Val<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn text_of_every_kind() {
        assert_eq!(to_text(&val("null")), None);
        assert_eq!(to_text(&val(r#""""#)), None);
        assert_eq!(to_text(&val("12.5")).as_deref(), Some("12.5"));
        assert_eq!(to_text(&val(r#"["a",null,"b"]"#)).as_deref(), Some("a, b"));
        assert_eq!(
            to_text(&val(r#"{"attributes":{"name":"Research"}}"#)).as_deref(),
            Some("Research")
        );
        assert_eq!(to_text(&val(r#"{"x":1}"#)).as_deref(), Some(r#"{"x":1}"#));
    }

    #[test]
    fn dates_keep_the_calendar_date_and_name_the_path() {
        let path = "p.hire_date";
        assert_eq!(date_value(&val("null"), &path), Ok(None));
        assert_eq!(
            date_value(&val(r#""2026-12-01T00:00:00+01:00""#), &path),
            Ok(Some(time::macros::date!(2026 - 12 - 01)))
        );
        assert_eq!(
            date_value(&val(r#""x""#), &path),
            Err(r#"p.hire_date: not a date: "x""#.to_owned())
        );
        assert_eq!(
            date_value(&val("7"), &path),
            Err("p.hire_date: expected a date, found an integer: 7".to_owned())
        );
    }

    #[test]
    fn interned_strings_are_shared() {
        let mut i = Interner::default();
        let a = i.get("dynamic_1");
        let b = i.text(&val(r#""dynamic_1""#)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
