//! The JSON value tree both API versions read bodies into ([`Val`]), deserialized with
//! serde straight from the response bytes.
//!
//! Strings without escapes borrow from the body; nothing here keeps the raw JSON text
//! around, and nothing here interprets values (that is [`super::text`]'s and each
//! version's `parse` module's job). Any JSON is a `Val`, so one odd record can never make
//! a whole page unreadable at this level.
//!
//! This module must never log or retain a body, and never panic on input.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A JSON value that borrows its strings from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Val<'a>>),
    /// An object, members in document order.
    Obj(Vec<(Cow<'a, str>, Val<'a>)>),
}

impl<'a> Val<'a> {
    /// The member `key` of an object (the first one, if repeated).
    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        match self {
            Val::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `null`, `""`, `[]` and `{}`: the ways Personio says "empty".
    pub fn is_empty_value(&self) -> bool {
        match self {
            Val::Null => true,
            Val::Str(s) => s.is_empty(),
            Val::List(l) => l.is_empty(),
            Val::Obj(m) => m.is_empty(),
            _ => false,
        }
    }

    /// A short name of the JSON kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Int(_) | Val::UInt(_) => "an integer",
            Val::Float(_) => "a number",
            Val::Str(_) => "a string",
            Val::List(_) => "a list",
            Val::Obj(_) => "an object",
        }
    }

    /// Compact JSON text of this value (used only for values that have no better text form).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Val::Null => out.push_str("null"),
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Int(n) => out.push_str(&n.to_string()),
            Val::UInt(n) => out.push_str(&n.to_string()),
            Val::Float(f) => out.push_str(&f.to_string()),
            Val::Str(s) => out.push_str(&serde_json::Value::from(s.as_ref()).to_string()),
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Val::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::from(k.as_ref()).to_string());
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor(PhantomData))
    }
}

struct ValVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValVisitor<'a> {
    type Value = Val<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Val::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Val::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Val::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Val::UInt(v), Val::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Val::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(item) = seq.next_element::<Val<'a>>()? {
            items.push(item);
        }
        Ok(Val::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(CowStr(key)) = map.next_key::<CowStr<'a>>()? {
            let value = map.next_value::<Val<'a>>()?;
            members.push((key, value));
        }
        Ok(Val::Obj(members))
    }
}

/// A string that borrows from the input when it has no escapes (serde's own `Cow` impl
/// always copies).
struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_strings_and_copies_escaped_ones() {
        let body = br#"{"a":"plain","b":"esc\/aped","c":[1,2.5,null,true]}"#;
        let v: Val = serde_json::from_slice(body).unwrap();
        assert!(matches!(v.get("a"), Some(Val::Str(Cow::Borrowed("plain")))));
        assert!(matches!(v.get("b"), Some(Val::Str(Cow::Owned(s))) if s == "esc/aped"));
        assert_eq!(
            v.get("c"),
            Some(&Val::List(vec![
                Val::Int(1),
                Val::Float(2.5),
                Val::Null,
                Val::Bool(true)
            ]))
        );
        assert_eq!(
            v.to_json(),
            r#"{"a":"plain","b":"esc/aped","c":[1,2.5,null,true]}"#
        );
    }

    #[test]
    fn empties() {
        for s in ["null", "\"\"", "[]", "{}"] {
            let v: Val = serde_json::from_str(s).unwrap();
            assert!(v.is_empty_value(), "{s}");
        }
        let v: Val = serde_json::from_str("0").unwrap();
        assert!(!v.is_empty_value());
    }
}
