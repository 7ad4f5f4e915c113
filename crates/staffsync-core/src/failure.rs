//! Why a run failed, as a value: its kind and parameters (the attribute, the HTTP status),
//! never a sentence. The web app says it in the page's language, the API and the command
//! line in English ([`RunFailure::message`]) with a machine [`RunFailure::code`]; runs
//! store it as JSON (`sync_runs.failure`).
//!
//! A remote server's own text (an error body, a status line) is never part of it: the
//! operator's log keeps that detail.

use serde::{Deserialize, Serialize};

/// Why a run failed. Stored as `{"code": "source_unavailable", "status": 500}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RunFailure {
    /// The credential can no longer read a mandatory attribute (its source key, e.g.
    /// `department`): nothing was applied, since that field would be blanked for everyone.
    AttributeUnreadable { attribute: String },
    /// The source refused the credential (wrong client id or secret, 401/403).
    CredentialRejected,
    /// The source could not be reached or answered with a server error; `status` when it
    /// answered at all.
    SourceUnavailable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// The source kept refusing requests for its rate limit.
    SourceRateLimited,
    /// The source sent an incomplete, inconsistent or unreadable listing: nothing of it
    /// may be taken as the complete set of people.
    SourceInconsistent,
    /// The source answered a request with another error (4xx).
    SourceRefused {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// The stored address of the source is invalid or redirects elsewhere.
    SourceAddress,
    /// The source did not answer within `seconds` (a preview that gave up).
    TimedOut { seconds: u64 },
    /// The account is not connected to its source.
    NotConnected,
    /// The run asked another source than the account's (a file for a Personio account).
    WrongSource,
    /// An error inside staffsync; the log has the detail.
    Internal,
    /// A code a newer release wrote: shown by its stored English message.
    #[serde(other)]
    Unknown,
}

impl RunFailure {
    /// The machine code (`source_unavailable`), as stored and as the API answers it.
    pub fn code(&self) -> &'static str {
        match self {
            RunFailure::AttributeUnreadable { .. } => "attribute_unreadable",
            RunFailure::CredentialRejected => "credential_rejected",
            RunFailure::SourceUnavailable { .. } => "source_unavailable",
            RunFailure::SourceRateLimited => "source_rate_limited",
            RunFailure::SourceInconsistent => "source_inconsistent",
            RunFailure::SourceRefused { .. } => "source_refused",
            RunFailure::SourceAddress => "source_address",
            RunFailure::TimedOut { .. } => "timed_out",
            RunFailure::NotConnected => "not_connected",
            RunFailure::WrongSource => "wrong_source",
            RunFailure::Internal => "internal",
            RunFailure::Unknown => "unknown",
        }
    }

    /// The stable English message (API `error`, command line, log), with `source` the
    /// source's English name ("Personio").
    pub fn message(&self, source: &str) -> String {
        let status = |s: &Option<u16>| s.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        match self {
            RunFailure::AttributeUnreadable { attribute } => format!(
                "the {source} API credential cannot read the attribute {attribute:?}; tick it under Settings → API credentials → Employees: read"
            ),
            RunFailure::CredentialRejected => {
                format!("{source} rejected the API credentials")
            }
            RunFailure::SourceUnavailable { status: s } => {
                format!("{source} is unavailable{}", status(s))
            }
            RunFailure::SourceRateLimited => {
                format!("{source} kept rate-limiting the requests")
            }
            RunFailure::SourceInconsistent => {
                format!("{source} sent an incomplete or inconsistent listing; nothing was applied")
            }
            RunFailure::SourceRefused { status: s } => {
                format!("{source} refused a request{}", status(s))
            }
            RunFailure::SourceAddress => {
                format!("the stored {source} URL is invalid or redirects elsewhere")
            }
            RunFailure::TimedOut { seconds } => {
                format!("{source} did not answer within {seconds} s; the preview gave up")
            }
            RunFailure::NotConnected => format!("the account is not connected to {source}"),
            RunFailure::WrongSource => {
                format!("the account takes its people from {source}, not from this run's source")
            }
            RunFailure::Internal | RunFailure::Unknown => "internal error".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_stored_by_code_and_parameters() {
        let f = RunFailure::SourceUnavailable { status: Some(500) };
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"{"code":"source_unavailable","status":500}"#);
        assert_eq!(serde_json::from_str::<RunFailure>(&json).unwrap(), f);
        let missing = RunFailure::AttributeUnreadable {
            attribute: "department".into(),
        };
        let json = serde_json::to_string(&missing).unwrap();
        assert_eq!(
            json,
            r#"{"code":"attribute_unreadable","attribute":"department"}"#
        );
        assert_eq!(missing.code(), "attribute_unreadable");
        // A code from a newer release reads as unknown, not as a corrupt run.
        assert_eq!(
            serde_json::from_str::<RunFailure>(r#"{"code":"from_the_future"}"#).unwrap(),
            RunFailure::Unknown
        );
    }

    #[test]
    fn the_english_message_never_carries_a_remote_text() {
        assert_eq!(
            RunFailure::SourceUnavailable { status: Some(500) }.message("Personio"),
            "Personio is unavailable (HTTP 500)"
        );
        assert_eq!(
            RunFailure::AttributeUnreadable {
                attribute: "department".into()
            }
            .message("Personio"),
            "the Personio API credential cannot read the attribute \"department\"; tick it under Settings → API credentials → Employees: read"
        );
    }
}
