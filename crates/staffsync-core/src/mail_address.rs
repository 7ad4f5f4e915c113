//! [`MailAddress`]: an address staffsync sends mail to — an admin's e-mail (their login
//! and where their alerts go) and the alert addresses of an account's settings.
//!
//! Checked where it enters, with the rules the mailer (lettre) applies to a recipient: the
//! part before the last `@` and the domain after it as the `email_address` crate checks
//! them (lettre checks with the same crate), and stricter in two ways: a domain with a dot
//! and no address literal (`[192.0.2.1]`). So an address accepted here is one an alert can
//! be sent to; one that would be dropped later (`a@b.de\nBcc: c@d.de`) is refused now,
//! naming what is wrong. This module must never accept a line break, space or control
//! character: they end or split a mail header.

use std::fmt;

/// An address mail can be sent to (see the module docs), trimmed, case kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailAddress(String);

/// Why a text is not a [`MailAddress`]; the message quotes it and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address: {text:?} ({problem})")]
pub struct MailAddressError {
    pub text: String,
    pub problem: &'static str,
}

impl MailAddress {
    /// Parses `text` (surrounding spaces are ignored).
    pub fn parse(text: &str) -> Result<Self, MailAddressError> {
        let refuse = |problem| MailAddressError {
            text: text.to_owned(),
            problem,
        };
        let t = text.trim();
        if t.is_empty() {
            return Err(refuse("it is empty"));
        }
        if t.contains(['\r', '\n']) {
            return Err(refuse("it contains a line break"));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse("it contains a space or a control character"));
        }
        let Some((local, domain)) = t.rsplit_once('@') else {
            return Err(refuse("it has no @"));
        };
        if !email_address::EmailAddress::is_valid_local_part(local) {
            return Err(refuse("the part before the @ is not valid"));
        }
        if domain.starts_with('[')
            || !domain.contains('.')
            || !email_address::EmailAddress::is_valid_domain(domain)
        {
            return Err(refuse(
                "the part after the @ is not a domain name like example.com",
            ));
        }
        Ok(MailAddress(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for MailAddress {
    type Err = MailAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MailAddress::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_parse_trimmed() {
        for ok in [
            "anna@acme.example",
            " Anna.Admin+alerts@Acme.Example ",
            "o'brien@müller.de",
        ] {
            assert_eq!(MailAddress::parse(ok).unwrap().as_str(), ok.trim());
        }
    }

    #[test]
    fn header_injection_and_garbage_are_refused_naming_the_problem() {
        for (bad, problem) in [
            ("anna@acme.example\nBcc: eve@evil.example", "line break"),
            ("anna@acme.example\rBcc:eve@evil.example", "line break"),
            ("anna @acme.example", "space"),
            ("anna@acme.example\u{7}", "control"),
            ("", "empty"),
            ("anna.acme.example", "no @"),
            ("an<na@acme.example", "before the @"),
            ("anna..admin@acme.example", "before the @"),
            ("anna@localhost", "domain name"),
            ("anna@acme..example", "domain name"),
            ("anna@[192.0.2.1]", "domain name"),
            ("anna@acme.example>", "domain name"),
        ] {
            let e = MailAddress::parse(bad).unwrap_err();
            assert!(e.to_string().contains(problem), "{bad:?}: {e}");
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }
}
