//! Failures in the page's language: why a run failed ([`RunFailure`]), what is wrong
//! with a settings field ([`SettingsProblem`]) and why a webhook delivery failed
//! ([`DeliveryError`]). Each comes from a value with its parameters (the attribute, the
//! HTTP status, the field), matched variant by variant, so a new kind without words does
//! not compile; never from an English sentence or a remote server's text.
//!
//! The one exception is a run recorded before failures were values: its English prose
//! cannot be translated, so it is shown as it was stored, introduced as such
//! ([`run_failure`]).

use super::i18n::{Key, Lang, t, with_source};
use super::status::attribute_label;
use staffsync_core::{RunFailure, SettingsProblem};
use staffsync_engine::sources::SourceKind;
use staffsync_store::{DeliveryError, RunSummary};

/// Why `run` failed, in `lang`, the source named as `source` calls itself; `None` when
/// it did not fail. A run from before failures were values shows its stored prose after
/// words that say so.
pub fn run_failure(lang: Lang, run: &RunSummary, source: &SourceKind) -> Option<String> {
    match (&run.failure, &run.error) {
        (Some(failure), _) if *failure != RunFailure::Unknown => {
            Some(failure_text(lang, failure, source))
        }
        (_, Some(prose)) => Some(format!("{} „{prose}“", t(lang, key!("fail.original")))),
        (Some(failure), None) => Some(failure_text(lang, failure, source)),
        (None, None) => None,
    }
}

/// `failure` in `lang`.
pub fn failure_text(lang: Lang, failure: &RunFailure, source: &SourceKind) -> String {
    let say = |key: Key| with_source(lang, t(lang, key), Some(source));
    let with_status = |plain: Key, status_key: Key, status: &Option<u16>| match status {
        Some(s) => say(status_key).replace("{status}", &s.to_string()),
        None => say(plain),
    };
    match failure {
        RunFailure::AttributeUnreadable { attribute } => {
            let label = attribute_label(lang, attribute);
            format!(
                "{} {}",
                say(key!("fail.attribute")).replace("{attr}", &label),
                t(lang, key!("inc.attribute.fix")).replace("{attr}", &label)
            )
        }
        RunFailure::CredentialRejected => say(key!("fail.credential")),
        RunFailure::SourceUnavailable { status } => with_status(
            key!("fail.unavailable"),
            key!("fail.unavailable_status"),
            status,
        ),
        RunFailure::SourceRateLimited => say(key!("fail.rate_limited")),
        RunFailure::SourceInconsistent => say(key!("fail.inconsistent")),
        RunFailure::SourceRefused { status } => {
            with_status(key!("fail.refused"), key!("fail.refused_status"), status)
        }
        RunFailure::SourceAddress => say(key!("fail.address")),
        RunFailure::TimedOut { seconds } => {
            say(key!("fail.timed_out")).replace("{seconds}", &seconds.to_string())
        }
        RunFailure::NotConnected => say(key!("fail.not_connected")),
        RunFailure::WrongSource => say(key!("fail.wrong_source")),
        RunFailure::Internal | RunFailure::Unknown => say(key!("fail.internal")),
    }
}

/// What is wrong with a settings field, in `lang` (the field itself is named by the
/// caller). Percent fields are said in percent.
pub fn settings_problem(lang: Lang, problem: &SettingsProblem) -> String {
    let text = |key: Key| t(lang, key).to_owned();
    match problem {
        SettingsProblem::Shape => text(key!("setp.shape")),
        SettingsProblem::Empty => text(key!("setp.empty")),
        SettingsProblem::TooLong { max } => {
            text(key!("setp.too_long")).replace("{max}", &max.to_string())
        }
        SettingsProblem::TooMany { max } => {
            text(key!("setp.too_many")).replace("{max}", &max.to_string())
        }
        SettingsProblem::NoValues => text(key!("setp.no_values")),
        SettingsProblem::ListedTwice => text(key!("setp.listed_twice")),
        SettingsProblem::ShareOutOfRange => text(key!("setp.share")),
        SettingsProblem::NotAnAddress { address } => {
            text(key!("setp.address")).replace("{address}", address)
        }
        SettingsProblem::Unreadable { name } => {
            text(key!("set.error.unreadable")).replace("{name}", name)
        }
        SettingsProblem::NoColumn { name, columns } => text(key!("set.error.no_column"))
            .replace("{columns}", &columns.join(", "))
            .replace("{name}", name),
        SettingsProblem::AgeDateElsewhere => text(key!("setp.age_date")),
    }
}

/// Why a webhook delivery's last attempt failed, in `lang`; `status` is the receiver's
/// HTTP status when it answered.
pub fn delivery_error(lang: Lang, error: DeliveryError, status: Option<i64>) -> String {
    let text = |key: Key| t(lang, key).to_owned();
    match error {
        DeliveryError::UrlNotAllowed => text(key!("whe.url_not_allowed")),
        DeliveryError::NotResolved => text(key!("whe.not_resolved")),
        DeliveryError::AddressNotAllowed => text(key!("whe.address_not_allowed")),
        DeliveryError::Timeout => text(key!("whe.timeout")),
        DeliveryError::Connect => text(key!("whe.connect")),
        DeliveryError::RequestFailed => text(key!("whe.request_failed")),
        DeliveryError::Redirect => text(key!("whe.redirect")),
        DeliveryError::ReceiverStatus => text(key!("whe.status")).replace(
            "{status}",
            &status.map_or_else(String::new, |s| s.to_string()),
        ),
        DeliveryError::Internal => text(key!("whe.internal")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use staffsync_store::AccountSource;

    fn personio() -> &'static SourceKind {
        staffsync_engine::sources::kind(AccountSource::Personio)
    }

    #[test]
    fn a_failure_is_said_in_the_page_language_with_its_parameters() {
        let down = RunFailure::SourceUnavailable { status: Some(500) };
        assert_eq!(
            failure_text(Lang::De, &down, personio()),
            "Personio hat mit einem Serverfehler geantwortet (HTTP 500)."
        );
        assert_eq!(
            failure_text(Lang::En, &down, personio()),
            "Personio answered with a server error (HTTP 500)."
        );
        let missing = RunFailure::AttributeUnreadable {
            attribute: "department".into(),
        };
        let de = failure_text(Lang::De, &missing, personio());
        assert!(de.contains("„Abteilung“"), "{de}");
        assert!(!de.contains("department"), "{de}");
        let en = failure_text(Lang::En, &missing, personio());
        assert!(en.contains("“Department”"), "{en}");
    }

    #[test]
    fn settings_problems_and_delivery_errors_have_both_languages() {
        let share = settings_problem(Lang::De, &SettingsProblem::ShareOutOfRange);
        assert!(share.contains("100 %"), "{share}");
        assert_eq!(
            delivery_error(Lang::De, DeliveryError::ReceiverStatus, Some(503)),
            "Der Empfänger hat mit HTTP 503 geantwortet."
        );
        for e in DeliveryError::ALL {
            assert_ne!(
                delivery_error(Lang::De, e, None),
                delivery_error(Lang::En, e, None)
            );
        }
    }
}
