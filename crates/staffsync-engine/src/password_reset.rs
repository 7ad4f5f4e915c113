//! Password resets of web-app admins: a one-time link (`/login/reset?token=…`) with a
//! random token, stored only as its SHA-256 hex digest, valid for [`LINK_TTL`] and used at
//! most once; using it sets the new password and ends every session of the admin
//! ([`Store::reset_admin_password`]).
//!
//! The web app mails the link ([`mail_link`]) when the deployment can send mail and has a
//! public base URL ([`AppState::mails_reset_links`]); otherwise the operator prints one
//! with `staffsync admin reset-password`. This module must never log a token or a link.

use crate::lang::Lang;
use crate::mail::Mail;
use crate::mail::texts::password_reset_letter;
use crate::state::AppState;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use staffsync_store::{Admin, AdminId, Store};
use time::OffsetDateTime;

/// How long a reset link works.
pub const LINK_TTL: time::Duration = time::Duration::minutes(30);

/// Where a reset link leads (the token in the query: `?token=…`).
pub const PATH: &str = "/login/reset";

/// A fresh token: 32 random bytes, base64url.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 hex digest of `token`: what the store keeps and looks it up by.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Makes a reset token for `admin`, valid from `now` for [`LINK_TTL`], and returns it
/// (shown or sent once; only its digest is stored).
pub async fn issue(
    store: &Store,
    admin: AdminId,
    now: OffsetDateTime,
) -> staffsync_store::Result<String> {
    let token = new_token();
    store
        .create_password_reset(admin, &digest(&token), now + LINK_TTL)
        .await?;
    Ok(token)
}

/// The link for `token`: absolute under `base_url` (`--public-base-url`, without a
/// trailing slash needed), else the path alone.
pub fn link(base_url: Option<&str>, token: &str) -> String {
    let base = base_url.map(|b| b.trim_end_matches('/')).unwrap_or("");
    format!("{base}{PATH}?token={token}")
}

impl AppState {
    /// True when "Passwort vergessen?" mails a link: SMTP is configured, a layout for
    /// letters was given and the deployment has a public base URL (a link built from a
    /// request's Host header could point anywhere).
    pub fn mails_reset_links(&self) -> bool {
        self.mailer.is_some() && self.letters.is_some() && self.config.public_base_url.is_some()
    }
}

/// Makes a reset link for `admin` (of the account named `account_name`) and mails it to
/// them in their language (`fallback` when they never logged in). Errors say why, never
/// with the token.
pub async fn mail_link(
    state: &AppState,
    admin: &Admin,
    account_name: &str,
    fallback: Lang,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (Some(mailer), Some(render), Some(base)) = (
        &state.mailer,
        state.letters,
        state.config.public_base_url.as_deref(),
    ) else {
        return Err("this deployment does not mail reset links".into());
    };
    let token = issue(&state.store, admin.id, OffsetDateTime::now_utc()).await?;
    let lang = admin
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(fallback);
    let letter = password_reset_letter(
        lang,
        account_name,
        &link(Some(base), &token),
        LINK_TTL.whole_minutes(),
    );
    let (text, html) = render(&letter)?;
    let mail = Mail {
        to: admin.email.clone(),
        subject: letter.subject,
        text,
        html,
    };
    mailer.send(&mail).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_under_a_base_url_and_paths_without() {
        assert_eq!(
            link(Some("https://s.example.com/"), "abc"),
            "https://s.example.com/login/reset?token=abc"
        );
        assert_eq!(link(None, "abc"), "/login/reset?token=abc");
    }

    #[test]
    fn tokens_differ_and_only_their_digest_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
    }
}
