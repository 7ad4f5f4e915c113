//! The SMTP side of alert e-mails: the `--smtp-url` / `--mail-from` configuration and a
//! [`Mailer`] that hands one message at a time to the server (lettre, over tokio and
//! rustls), retrying a few times before it gives up.
//!
//! `smtp://host[:port]` (default port 587) upgrades with STARTTLS whenever the server
//! offers it and stays plain otherwise; `smtps://host[:port]` (default 465) speaks TLS
//! from the first byte. A user and password may be in the URL (percent-encoded) or the
//! password in `STAFFSYNC_SMTP_PASSWORD`. The password is a [`SecretString`] from the
//! moment it is parsed: this module must never log it, put it in an error or show it in
//! `Debug` or `Display` (both print the URL without it).

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use std::fmt;
use std::time::Duration;

/// Attempts per message before it counts as failed, and the waits between them.
const RETRY_WAITS: [Duration; 2] = [Duration::from_secs(2), Duration::from_secs(10)];
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the connection is encrypted from the start or upgraded when offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://`: STARTTLS when the server offers it (opportunistic).
    StartTlsWhenOffered,
    /// `smtps://`: TLS from the first byte (implicit TLS).
    Implicit,
}

/// A parsed `--smtp-url`. `Debug` and `Display` never show the password.
#[derive(Clone)]
pub struct SmtpUrl {
    security: Security,
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<SecretString>,
}

impl SmtpUrl {
    /// Parses `smtp://[user[:password]@]host[:port]` or `smtps://…`. Errors never repeat
    /// the URL (it may hold the password).
    pub fn parse(s: &str) -> Result<SmtpUrl, String> {
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("not an SMTP URL ({e}); use smtp://host:port or smtps://host"))?;
        let (security, default_port) = match url.scheme() {
            "smtp" => (Security::StartTlsWhenOffered, 587),
            "smtps" => (Security::Implicit, 465),
            other => {
                return Err(format!(
                    "unsupported scheme {other:?}: use smtp:// (STARTTLS when offered) or smtps:// (TLS)"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the SMTP URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !url.path().trim_matches('/').is_empty() || url.query().is_some() {
            return Err(
                "the SMTP URL takes no path or query: smtp://user:password@host:port".into(),
            );
        }
        let decode = |v: &str| {
            percent_decode(v)
                .ok_or_else(|| "the SMTP URL's user or password is not UTF-8".to_owned())
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url
            .password()
            .map(decode)
            .transpose()?
            .map(SecretString::from);
        // Refused here, at start-up, rather than at the first alert.
        TlsParameters::new(host.clone()).map_err(|e| format!("invalid SMTP host name: {e}"))?;
        Ok(SmtpUrl {
            security,
            host,
            port: url.port().unwrap_or(default_port),
            user,
            password,
        })
    }

    /// Uses `password` unless the URL carries one.
    pub fn with_password(mut self, password: Option<SecretString>) -> SmtpUrl {
        if self.password.is_none() {
            self.password = password;
        }
        self
    }

    /// Whether a password is set (for the start-up log, which never shows it).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::StartTlsWhenOffered => "smtp",
            Security::Implicit => "smtps",
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("url", &self.to_string())
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// The sender of alert e-mails (`--mail-from`), checked at start-up.
#[derive(Debug, Clone)]
pub struct MailFrom(Mailbox);

impl MailFrom {
    pub fn parse(s: &str) -> Result<MailFrom, String> {
        s.trim()
            .parse::<Mailbox>()
            .map(MailFrom)
            .map_err(|e| format!("not an e-mail address: {s:?} ({e})"))
    }
}

/// Where alert e-mails go out: both flags of `staffsync serve`.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp: SmtpUrl,
    pub from: MailFrom,
}

/// One e-mail to one recipient, in plain text and HTML.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a message was not sent. Never contains the password: lettre's messages carry the
/// server's replies and I/O errors, not the credentials it sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid recipient address {0:?}")]
    Recipient(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("the SMTP server did not take the message: {0}")]
    Smtp(String),
}

/// Sends e-mails through the configured SMTP server. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let smtp = &config.smtp;
        let tls = TlsParameters::new(smtp.host.clone())
            .map_err(|e| MailError::Build(format!("TLS for {}: {e}", smtp.host)))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(SMTP_TIMEOUT))
            .tls(match smtp.security {
                Security::StartTlsWhenOffered => Tls::Opportunistic(tls),
                Security::Implicit => Tls::Wrapper(tls),
            });
        if let Some(user) = &smtp.user {
            let password = smtp
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: config.from.0.clone(),
            server: smtp.to_string(),
        })
    }

    /// Where mails go (without the password), for logs.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends `mail`, trying again after [`RETRY_WAITS`] when the server cannot be reached
    /// or refuses it for now.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        let mut waits = RETRY_WAITS.iter();
        loop {
            match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let permanent = e.is_permanent();
                    match waits.next() {
                        Some(wait) if !permanent => {
                            tracing::info!(error = %e, retry_in = ?wait, "the SMTP server did not take an alert e-mail; trying again");
                            tokio::time::sleep(*wait).await;
                        }
                        _ => return Err(MailError::Smtp(e.to_string())),
                    }
                }
            }
        }
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Recipient(mail.to.clone()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| MailError::Build(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What staffsync accepts as an admin or alert address, the mailer can address
    /// (`message` parses `Mail::to` as a `Mailbox`); what it refuses for a line break,
    /// lettre refuses too.
    #[test]
    fn every_mail_address_is_a_mailbox() {
        for ok in [
            "anna@acme.example",
            "Anna.Admin+alerts@Acme.Example",
            "o'brien@müller.de",
            "x_y-z@sub.domain.example",
        ] {
            let address = staffsync_core::MailAddress::parse(ok).unwrap();
            assert!(address.as_str().parse::<Mailbox>().is_ok(), "{ok}");
        }
        for bad in ["anna@acme.example\nBcc: eve@evil.example", "x<y@acme.de"] {
            assert!(staffsync_core::MailAddress::parse(bad).is_err(), "{bad:?}");
            assert!(bad.parse::<lettre::Address>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_parse_and_never_show_the_password() {
        let u = SmtpUrl::parse("smtp://alerts:p%40ss-Word-42@mail.example.com:2525").unwrap();
        assert_eq!(u.security, Security::StartTlsWhenOffered);
        assert_eq!((u.host.as_str(), u.port), ("mail.example.com", 2525));
        assert_eq!(u.user.as_deref(), Some("alerts"));
        assert_eq!(
            u.password.as_ref().map(|p| p.expose_secret()),
            Some("p@ss-Word-42")
        );
        for shown in [u.to_string(), format!("{u:?}")] {
            assert!(!shown.contains("ss-Word"), "{shown}");
        }
        assert_eq!(u.to_string(), "smtp://alerts@mail.example.com:2525");
        let s = SmtpUrl::parse("smtps://mail.example.com").unwrap();
        assert_eq!((s.security, s.port), (Security::Implicit, 465));
        assert_eq!(SmtpUrl::parse("smtp://mail.example.com").unwrap().port, 587);
        // The environment's password applies only when the URL has none.
        let env = Some(SecretString::from("from-env".to_owned()));
        let kept = u.with_password(env.clone());
        assert_eq!(
            kept.password.as_ref().map(|p| p.expose_secret()),
            Some("p@ss-Word-42")
        );
        assert!(s.with_password(env).has_password());
        for bad in [
            "http://mail.example.com",
            "smtp://",
            "mail.example.com",
            "smtp://u:secret-in-bad-url@host/path",
        ] {
            let err = SmtpUrl::parse(bad).unwrap_err();
            assert!(!err.contains("secret-in-bad-url"), "{err}");
        }
    }

    #[test]
    fn sender_addresses_are_checked() {
        assert!(MailFrom::parse("staffsync@example.com").is_ok());
        assert!(MailFrom::parse("staffsync <alerts@example.com>").is_ok());
        assert!(MailFrom::parse("not an address").is_err());
    }
}
