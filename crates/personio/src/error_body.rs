//! Personio's error answers in words: the v1 body `{"success":false,"error":{"message"}}`,
//! the v2 body `{"personio_trace_id","errors":[{"title","detail"}]}`, OAuth2 problem+json
//! `{"error","error_description"}` and RFC 7807 `{"title","detail"}`, each reduced to one
//! short message an admin can act on (with the v2 trace id, which Personio support asks for).
//!
//! This module must never return more than [`MAX_MESSAGE`] characters of a body (a body can
//! echo anything) and never panics on input.

use serde_json::Value;

/// The longest message kept from an error body.
pub const MAX_MESSAGE: usize = 200;

/// An error body's message, understood in every shape Personio uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMessage {
    /// Short text for the admin (truncated).
    pub message: String,
    /// The OAuth2 `error` code (`invalid_client`, …), when the body is OAuth2.
    pub oauth_error: Option<String>,
}

/// Reads an error body; `None` when it is not one of the known shapes.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorMessage> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    // v2: {"personio_trace_id":…, "errors":[{"title","detail"}]}
    if let Some(Value::Array(errors)) = v.get("errors") {
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|e| match (text(e.get("title")), text(e.get("detail"))) {
                (Some(t), Some(d)) if t != d => Some(format!("{t}: {d}")),
                (Some(t), _) => Some(t),
                (None, Some(d)) => Some(d),
                (None, None) => None,
            })
            .collect();
        let trace = text(v.get("personio_trace_id"));
        if !parts.is_empty() || trace.is_some() {
            let mut message = if parts.is_empty() {
                "no details".to_owned()
            } else {
                parts.join("; ")
            };
            if let Some(t) = trace {
                message.push_str(&format!(" (trace id {t})"));
            }
            return Some(ErrorMessage {
                message: truncate(&message),
                oauth_error: None,
            });
        }
    }
    // v1: {"success":false,"error":{"code":…,"message":"…"}}
    if let Some(e @ Value::Object(_)) = v.get("error")
        && let Some(m) = text(e.get("message"))
    {
        return Some(ErrorMessage {
            message: truncate(&m),
            oauth_error: None,
        });
    }
    // OAuth2: {"error":"invalid_client","error_description":"…"}
    if let Some(code) = text(v.get("error")) {
        let message = match text(v.get("error_description")) {
            Some(d) => format!("{code}: {d}"),
            None => code.clone(),
        };
        return Some(ErrorMessage {
            message: truncate(&message),
            oauth_error: Some(code),
        });
    }
    // RFC 7807 problem+json: {"title","detail","status"}
    match (text(v.get("title")), text(v.get("detail"))) {
        (Some(t), Some(d)) => Some(format!("{t}: {d}")),
        (Some(t), None) => Some(t),
        (None, Some(d)) => Some(d),
        (None, None) => text(v.get("message")),
    }
    .map(|m| ErrorMessage {
        message: truncate(&m),
        oauth_error: None,
    })
}

/// At most [`MAX_MESSAGE`] characters, with "…" when cut.
pub fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> Option<String> {
        parse_error_body(body.as_bytes()).map(|m| m.message)
    }

    #[test]
    fn v1_bodies() {
        assert_eq!(
            msg(r#"{"success":false,"error":{"code":401,"message":"Authorization is not provided"}}"#)
                .as_deref(),
            Some("Authorization is not provided")
        );
    }

    #[test]
    fn v2_bodies() {
        assert_eq!(
            msg(r#"{"personio_trace_id":"abc-1","errors":[{"title":"Invalid limit","detail":"limit must be at most 50"}]}"#)
                .as_deref(),
            Some("Invalid limit: limit must be at most 50 (trace id abc-1)")
        );
        assert_eq!(
            msg(r#"{"personio_trace_id":"t","errors":[{"title":"A"},{"detail":"B"},{}]}"#)
                .as_deref(),
            Some("A; B (trace id t)")
        );
        assert_eq!(
            msg(r#"{"personio_trace_id":"t","errors":[]}"#).as_deref(),
            Some("no details (trace id t)")
        );
        assert_eq!(
            msg(r#"{"errors":[{"title":"Not found","detail":"Not found"}]}"#).as_deref(),
            Some("Not found")
        );
    }

    #[test]
    fn oauth_and_problem_json() {
        let m = parse_error_body(
            br#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        )
        .unwrap();
        assert_eq!(m.oauth_error.as_deref(), Some("invalid_client"));
        assert_eq!(m.message, "invalid_client: Client authentication failed");
        let m = parse_error_body(br#"{"error":"invalid_request"}"#).unwrap();
        assert_eq!(m.message, "invalid_request");
        assert_eq!(
            msg(r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"missing scope"}"#)
                .as_deref(),
            Some("Forbidden: missing scope")
        );
    }

    #[test]
    fn unknown_and_long_bodies() {
        assert_eq!(msg("not json"), None);
        assert_eq!(msg("[]"), None);
        assert_eq!(msg(r#"{"foo":1}"#), None);
        let long = format!(
            r#"{{"error":"x","error_description":"{}"}}"#,
            "y".repeat(500)
        );
        assert_eq!(msg(&long).unwrap().chars().count(), MAX_MESSAGE + 1);
    }
}
