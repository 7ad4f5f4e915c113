//! Authentication of the admin web app: password hashing, web sessions, login rate
//! limits and CSRF tokens.
//!
//! - Passwords are hashed with argon2id (default parameters) into a PHC string; hashing
//!   and verifying are CPU-heavy, so async callers run them on `spawn_blocking`.
//! - Sessions live in the staffsync store ([`StoreSessions`], a tower-sessions
//!   `SessionStore`); the browser only holds an opaque id in an HttpOnly, SameSite=Lax
//!   cookie (Secure when configured).
//! - Login attempts are limited per client IP and per e-mail ([`LoginLimiter`]).
//! - Every POST of the web app carries a per-session random CSRF token, compared in
//!   constant time ([`csrf_matches`]).
//!
//! Nothing here logs or returns a password, a hash or a session id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore as _;
use staffsync_store::Store;
use std::num::NonZeroU32;
use std::sync::Arc;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

/// Hashing a password failed (only on an internal argon2 error).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashError(String);

/// The argon2id PHC hash of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches the PHC `hash`; false for a wrong password or a
/// malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A valid hash of a random password nobody knows: verified against when the e-mail is
/// unknown, so a login takes as long whether or not the admin exists.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RhZmZzeW5jLWR1bW15$\
    Q3w7NoIAN0PHHA/oOUVc0EkhEfNaY8yHSw3VVGsUrS4";

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "staffsync_session";

/// Sessions end after this much inactivity.
pub const SESSION_IDLE: time::Duration = time::Duration::hours(8);

/// The session layer for the web app: sessions in the store, HttpOnly, SameSite=Lax,
/// `Secure` when `secure`, ending after [`SESSION_IDLE`] of inactivity.
pub fn session_layer(store: Store, secure: bool) -> SessionManagerLayer<StoreSessions> {
    SessionManagerLayer::new(StoreSessions { store })
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE))
}

/// A tower-sessions store over the staffsync store's `sessions` table: each record is
/// kept as JSON under its id, with its expiry.
#[derive(Debug, Clone)]
pub struct StoreSessions {
    store: Store,
}

impl StoreSessions {
    pub fn new(store: Store) -> Self {
        StoreSessions { store }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for StoreSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; still, never overwrite a live session.
        while self
            .store
            .load_session(&record.id.to_string(), OffsetDateTime::now_utc())
            .await
            .map_err(backend)?
            .is_some()
        {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.store
            .save_session(&record.id.to_string(), &data, record.expiry_date)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let data = self
            .store
            .load_session(&id.to_string(), OffsetDateTime::now_utc())
            .await
            .map_err(backend)?;
        data.map(|d| {
            serde_json::from_str::<Record>(&d)
                .map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

/// Login attempts allowed per key (client IP, e-mail) per minute.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 5;

/// Limits login attempts per client IP and per e-mail (each key on its own budget).
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    by_ip: Arc<DefaultKeyedRateLimiter<String>>,
    by_email: Arc<DefaultKeyedRateLimiter<String>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::per_minute(LOGIN_ATTEMPTS_PER_MINUTE)
    }
}

impl LoginLimiter {
    /// `n` attempts per minute per IP and per e-mail (at least 1).
    pub fn per_minute(n: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_ip: Arc::new(RateLimiter::keyed(quota)),
            by_email: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// Counts one attempt for `ip` and `email`; false when either is over its limit.
    pub fn check(&self, ip: &str, email: &str) -> bool {
        // Forget idle keys now and then so the maps stay small.
        if self.by_ip.len() + self.by_email.len() > 10_000 {
            self.by_ip.retain_recent();
            self.by_email.retain_recent();
        }
        let ip_ok = self.by_ip.check_key(&ip.to_owned()).is_ok();
        let email_ok = self
            .by_email
            .check_key(&email.trim().to_lowercase())
            .is_ok();
        ip_ok && email_ok
    }
}

/// A fresh CSRF token: 32 random bytes, hex.
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True when `given` equals the session's `expected` token (constant time; an empty
/// expected token never matches).
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h1 = hash_password("correct horse battery").unwrap();
        let h2 = hash_password("correct horse battery").unwrap();
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h1));
        assert!(!verify_password("wrong horse battery", &h1));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_a_valid_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn csrf_tokens_compare() {
        let t = new_csrf_token();
        assert_eq!(t.len(), 64);
        assert!(csrf_matches(&t, &t.clone()));
        assert!(!csrf_matches(&t, "nope"));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn limiter_counts_per_ip_and_per_email() {
        let l = LoginLimiter::per_minute(2);
        assert!(l.check("1.1.1.1", "a@x.de"));
        assert!(l.check("1.1.1.1", "A@x.de "));
        assert!(!l.check("2.2.2.2", "a@x.de"), "e-mail budget spent");
        assert!(!l.check("1.1.1.1", "b@x.de"), "ip budget spent");
        assert!(l.check("3.3.3.3", "c@x.de"));
    }
}
