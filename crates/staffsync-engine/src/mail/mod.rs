//! Alert e-mails: [`transport`] (the SMTP configuration and the [`Mailer`] that sends, with
//! retries) and [`texts`] (what a letter says, in German and English; the server lays it
//! out as plain text and HTML, [`texts::RenderLetter`]).
//!
//! Whether and to whom to write is decided by [`engine::alerts`](crate::alerts);
//! this module only words and sends. It must never log or write the SMTP password, the
//! Personio secret or an employee's personal data.

pub mod texts;
pub mod transport;

pub use transport::{Mail, MailConfig, MailError, MailFrom, Mailer, SmtpUrl};
