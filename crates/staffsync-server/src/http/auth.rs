//! Authentication of the admin web app: password hashing, web sessions, login rate
//! limits and CSRF tokens.
//!
//! - Passwords are hashed with argon2id (default parameters) into a PHC string; hashing
//!   and verifying are CPU-heavy, so async callers run them on `spawn_blocking`.
//! - Sessions live in the staffsync store ([`StoreSessions`], a tower-sessions
//!   `SessionStore`) under the SHA-256 digest of their id; the browser only holds the id
//!   itself in an HttpOnly, SameSite=Lax cookie (Secure when configured), so a copy of the
//!   database does not hand out live sessions. A session starts only at a successful
//!   login: anonymous requests write nothing. Expired sessions are swept by a background
//!   task of `serve` ([`sweep_expired_sessions`]).
//! - Login attempts are limited per (e-mail, client IP) and, more loosely, per client IP
//!   ([`LoginLimiter`]): failing with an admin's e-mail from one address does not lock the
//!   admin out from another.
//! - Every POST of a logged-in admin carries the session's random CSRF token, compared in
//!   constant time ([`csrf_matches`]). The login form, which has no session yet, uses a
//!   signed double-submit token ([`LoginCsrf`]): the same value in an HttpOnly cookie and
//!   in the form, carrying a nonce, its issue time and an HMAC under a key derived from
//!   the store's secret key (so every instance sharing that key accepts it).
//!
//! Nothing here logs or returns a password, a hash, a session id or a signing key.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretBox};
use sha2::{Digest as _, Sha256};
use staffsync_store::Store;
use std::net::IpAddr;
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

/// Least length of an admin password, in characters (`account create`, a reset).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A valid hash of a random password nobody knows: verified against when the e-mail is
/// unknown, so a login takes as long whether or not the admin exists.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3RhZmZzeW5jLWR1bW15$\
    Q3w7NoIAN0PHHA/oOUVc0EkhEfNaY8yHSw3VVGsUrS4";

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "staffsync_session";

/// The name of the login form's CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "staffsync_login_csrf";

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

/// A tower-sessions store over the staffsync store's `sessions` table: each record's
/// values are kept as JSON under the digest of its id ([`stored_session_id`]), with its
/// expiry. Nothing in the row can rebuild the cookie: the id itself is never stored.
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

/// What the store keys a session by: the SHA-256 hex digest of its id. The id has 128
/// random bits, so a plain hash (no salt, no stretching) cannot be reversed.
pub fn stored_session_id(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

#[async_trait]
impl SessionStore for StoreSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; still, never overwrite a live session.
        while self
            .store
            .load_session(&stored_session_id(&record.id), OffsetDateTime::now_utc())
            .await
            .map_err(backend)?
            .is_some()
        {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Only the values: the record's `id` is the cookie itself (in base64url), so
        // storing it would let a copy of the database log in.
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.store
            .save_session(&stored_session_id(&record.id), &data, record.expiry_date)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let data = self
            .store
            .load_session(&stored_session_id(id), OffsetDateTime::now_utc())
            .await
            .map_err(backend)?;
        let Some((data, expiry_date)) = data else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&stored_session_id(id))
            .await
            .map_err(backend)
    }
}

/// Deletes expired sessions every `interval` (the first time at once) until `stop` turns
/// true. A failed sweep is logged and retried at the next tick.
pub async fn sweep_expired_sessions(
    store: Store,
    interval: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // `interval` panics on zero.
    let mut ticks = tokio::time::interval(interval.max(std::time::Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        match store
            .delete_expired_sessions(OffsetDateTime::now_utc())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
            Err(e) => tracing::warn!(error = %e, "could not delete expired sessions"),
        }
    }
}

/// Login attempts allowed per minute for one e-mail from one client IP.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 5;
/// Login attempts allowed per minute from one client IP, whatever the e-mail: enough
/// for an office behind one address, too few for guessing many accounts' passwords.
pub const LOGIN_ATTEMPTS_PER_IP_PER_MINUTE: u32 = 30;

/// Limits login attempts per (e-mail, client IP) and per client IP.
///
/// There is deliberately no budget per e-mail alone: anyone could spend it and lock the
/// real admin out from wherever they are. An attacker guessing one admin's password from
/// many addresses gets 5 tries a minute per address against argon2-hashed passwords.
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    by_email_ip: Arc<DefaultKeyedRateLimiter<(String, IpAddr)>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::per_minute(LOGIN_ATTEMPTS_PER_MINUTE, LOGIN_ATTEMPTS_PER_IP_PER_MINUTE)
    }
}

impl LoginLimiter {
    /// `per_email_ip` attempts a minute per (e-mail, IP) and `per_ip` per IP (each at
    /// least 1).
    pub fn per_minute(per_email_ip: u32, per_ip: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_ip: Arc::new(RateLimiter::keyed(quota(per_ip))),
            by_email_ip: Arc::new(RateLimiter::keyed(quota(per_email_ip))),
        }
    }

    /// Counts one attempt of `email` from `ip`; false when over either limit.
    pub fn check(&self, ip: IpAddr, email: &str) -> bool {
        // Forget idle keys now and then so the maps stay small.
        if self.by_ip.len() + self.by_email_ip.len() > 10_000 {
            self.by_ip.retain_recent();
            self.by_email_ip.retain_recent();
        }
        // The pair first: a locked-out pair does not also spend the address's budget.
        self.by_email_ip
            .check_key(&(email.trim().to_lowercase(), ip))
            .is_ok()
            && self.by_ip.check_key(&ip).is_ok()
    }
}

/// A fresh CSRF token: 32 random bytes, hex.
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// How long a login form's CSRF token is accepted.
pub const LOGIN_CSRF_TTL: time::Duration = time::Duration::hours(2);

/// The purpose label of the login CSRF key derived from the store's secret key.
const LOGIN_CSRF_PURPOSE: &str = "staffsync web login csrf v1";

/// Signs and checks the login form's double-submit CSRF tokens (see the module docs).
///
/// A token is 64 hex characters: an 8-byte random nonce, the issue time (8 bytes,
/// big-endian Unix seconds) and the first 16 bytes of HMAC-SHA256 over both. `Debug`
/// hides the key.
pub struct LoginCsrf {
    key: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for LoginCsrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginCsrf([REDACTED])")
    }
}

impl LoginCsrf {
    /// The signer whose key is derived from `store`'s secret key.
    pub fn from_store(store: &Store) -> Result<Self, staffsync_store::StoreError> {
        Ok(LoginCsrf {
            key: store.derive_key(LOGIN_CSRF_PURPOSE)?,
        })
    }

    /// A signer with a random key of this process only: its tokens fail on any other
    /// instance (a fallback, see `web::routes`).
    pub fn per_process() -> Self {
        let mut key = Box::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut_slice());
        LoginCsrf {
            key: SecretBox::new(key),
        }
    }

    /// The truncated HMAC of a token's parts; `None` only if HMAC refused the key, which
    /// it does for no length: then nothing verifies (fail closed).
    fn mac(&self, nonce: &[u8], issued: &[u8]) -> Option<[u8; 16]> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret()).ok()?;
        mac.update(nonce);
        mac.update(issued);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        Some(out)
    }

    /// A fresh token issued at `now`.
    pub fn issue(&self, now: OffsetDateTime) -> String {
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        let issued = now.unix_timestamp().to_be_bytes();
        // Without a MAC the token is still well-formed; it just never verifies.
        let mac = self.mac(&nonce, &issued).unwrap_or_default();
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&issued);
        bytes.extend_from_slice(&mac);
        hex::encode(bytes)
    }

    /// When `token` was issued, if it carries a valid signature (constant-time compare).
    fn issued_at(&self, token: &str) -> Option<OffsetDateTime> {
        let bytes = hex::decode(token).ok()?;
        if bytes.len() != 32 {
            return None;
        }
        let (nonce, rest) = bytes.split_at(8);
        let (issued, mac) = rest.split_at(8);
        if !bool::from(self.mac(nonce, issued)?.ct_eq(mac)) {
            return None;
        }
        let secs = i64::from_be_bytes(issued.try_into().ok()?);
        OffsetDateTime::from_unix_timestamp(secs).ok()
    }

    /// True when `token` is signed by this key and was issued within [`LOGIN_CSRF_TTL`]
    /// before `now` (and not after it).
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> bool {
        self.issued_at(token)
            .is_some_and(|at| at <= now + time::Duration::minutes(1) && now - at < LOGIN_CSRF_TTL)
    }

    /// True when `token` verifies and is young enough to hand out again (less than half
    /// its lifetime used), so tabs opened one after another share one cookie.
    pub fn reusable(&self, token: &str, now: OffsetDateTime) -> bool {
        self.verify(token, now)
            && self
                .issued_at(token)
                .is_some_and(|at| now - at < LOGIN_CSRF_TTL / 2)
    }

    /// The double-submit check of a login POST: the form's token equals the cookie's
    /// (constant time) and verifies.
    pub fn matches(&self, cookie: &str, form: &str, now: OffsetDateTime) -> bool {
        csrf_matches(cookie, form) && self.verify(form, now)
    }
}

/// True when `given` equals the session's `expected` token (constant time; an empty
/// expected token never matches).
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn limiter_counts_per_email_and_ip_and_per_ip() {
        let l = LoginLimiter::per_minute(2, 3);
        assert!(l.check(ip("1.1.1.1"), "a@x.de"));
        assert!(l.check(ip("1.1.1.1"), "A@x.de "));
        assert!(!l.check(ip("1.1.1.1"), "a@x.de"), "pair budget spent");
        assert!(l.check(ip("1.1.1.1"), "b@x.de"));
        assert!(!l.check(ip("1.1.1.1"), "c@x.de"), "ip budget spent");
        assert!(l.check(ip("2.2.2.2"), "a@x.de"), "another address");
    }

    #[test]
    fn login_csrf_tokens_verify_only_unforged_and_fresh() {
        let signer = LoginCsrf {
            key: SecretBox::new(Box::new([3u8; 32])),
        };
        let other = LoginCsrf {
            key: SecretBox::new(Box::new([4u8; 32])),
        };
        let now = OffsetDateTime::now_utc();
        let t = signer.issue(now);
        assert_eq!(t.len(), 64);
        assert!(signer.verify(&t, now));
        assert!(signer.matches(&t, &t.clone(), now));
        assert!(
            !signer.matches(&t, &signer.issue(now), now),
            "another token"
        );
        assert!(!other.verify(&t, now), "another key");
        let mut forged = t.clone().into_bytes();
        forged[63] = if forged[63] == b'0' { b'1' } else { b'0' };
        assert!(!signer.verify(std::str::from_utf8(&forged).unwrap(), now));
        assert!(!signer.verify(&t, now + LOGIN_CSRF_TTL), "expired");
        assert!(signer.reusable(&t, now + time::Duration::minutes(5)));
        assert!(!signer.reusable(&t, now + LOGIN_CSRF_TTL / 2));
        assert!(!signer.verify("", now) && !signer.verify("zz", now));
        assert!(!format!("{signer:?}").contains('3'));
    }

    #[test]
    fn a_lockout_from_one_ip_does_not_block_the_same_email_from_another() {
        let l = LoginLimiter::default();
        for _ in 0..5 {
            assert!(l.check(ip("203.0.113.9"), "admin@x.de"));
        }
        assert!(
            !l.check(ip("203.0.113.9"), "admin@x.de"),
            "the attacker is locked out"
        );
        assert!(
            l.check(ip("198.51.100.7"), "admin@x.de"),
            "the admin is not"
        );
    }
}
