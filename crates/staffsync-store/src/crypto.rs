//! Encryption of stored credentials (AES-256-GCM) and the key that does it.
//!
//! The key comes from `StoreConfig::secret_key` (base64 of 32 bytes, usually from
//! `STAFFSYNC_SECRET_KEY`) or from `<data_dir>/secret.key`, which is created on first use
//! with mode 0600 in a data directory of mode 0700.
//!
//! Layout of a sealed value: `nonce (12 bytes) || ciphertext || tag (16 bytes)`, with a
//! fresh random nonce for every encryption and the account id (8 bytes, big-endian) as
//! associated data, so a ciphertext copied to another account does not decrypt.
//!
//! Other keys the service needs from the same secret (the web app's CSRF signing key) are
//! derived from it with HMAC-SHA256 over a purpose label ([`Store::derive_key`]), so every
//! instance sharing `STAFFSYNC_SECRET_KEY` derives the same ones and none of them reveals
//! this key.
//!
//! This module must never log, print or put into an error the key, the plaintext or any
//! part of them; errors carry fixed reasons only. Key material lives in zeroizing memory.

use crate::error::{Result, StoreError};
use crate::{AccountId, Store};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::io::Write as _;
use std::path::Path;

const NONCE_LEN: usize = 12;
const KEY_FILE: &str = "secret.key";

/// The 256-bit key that seals connection secrets. Debug shows `[REDACTED]`.
#[derive(Debug)]
pub(crate) struct SecretKey(SecretBox<[u8; 32]>);

impl SecretKey {
    /// Parses base64 of exactly 32 bytes; `bad` is the (fixed, secret-free) error reason.
    fn from_base64(text: &str, bad: &'static str) -> Result<Self> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| StoreError::Crypto { reason: bad })?,
        );
        let mut key = Box::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(StoreError::Crypto { reason: bad });
        }
        key.copy_from_slice(&bytes);
        Ok(SecretKey(SecretBox::new(key)))
    }

    /// The configured key, or the data directory's key file (created when missing).
    pub(crate) fn load(configured: Option<&SecretString>, data_dir: &Path) -> Result<Self> {
        match configured {
            Some(k) => Self::from_base64(
                k.expose_secret(),
                "the configured secret key is not base64 of 32 bytes",
            ),
            None => Self::load_or_create_file(data_dir),
        }
    }

    fn load_or_create_file(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let io = |error| StoreError::Io {
            path: path.clone(),
            error,
        };
        if !path.exists() {
            let key = Aes256Gcm::generate_key(OsRng);
            let text = Zeroizing::new(STANDARD.encode(key.as_slice()));
            // Write to a private temporary file, then link it into place: the key file
            // appears whole or not at all, and a concurrent creator's key wins cleanly.
            let tmp = data_dir.join(format!(".{KEY_FILE}.{}", uuid::Uuid::new_v4().simple()));
            let written = (|| {
                let mut f = crate::fs::create_private_file(&tmp)?;
                f.write_all(text.as_bytes())?;
                f.write_all(b"\n")?;
                f.sync_all()
            })();
            let linked = written.and_then(|()| match std::fs::hard_link(&tmp, &path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                other => other,
            });
            let _ = std::fs::remove_file(&tmp);
            linked.map_err(io)?;
        }
        crate::fs::make_private(&path)?;
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(io)?);
        Self::from_base64(&text, "the key file does not hold base64 of 32 bytes")
    }

    /// A 256-bit key for `purpose`: HMAC-SHA256 under this key of a fixed prefix and the
    /// purpose label. Different labels give unrelated keys.
    pub(crate) fn derive(&self, purpose: &str) -> Result<SecretBox<[u8; 32]>> {
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.0.expose_secret()).map_err(|_| {
                StoreError::Crypto {
                    reason: "key derivation failed",
                }
            })?;
        mac.update(b"staffsync derived key\0");
        mac.update(purpose.as_bytes());
        let mut key = Box::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(SecretBox::new(key))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.expose_secret()))
    }

    /// Seals `plaintext` for `account`.
    pub(crate) fn seal(&self, account: AccountId, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = account.0.to_be_bytes();
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Crypto {
                reason: "encryption failed",
            })?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a value sealed for `account`. Fails with a wrong key, another account's
    /// value, or tampered bytes.
    pub(crate) fn open_string(&self, account: AccountId, sealed: &[u8]) -> Result<SecretString> {
        const FAILED: StoreError = StoreError::Crypto {
            reason: "could not decrypt the stored secret (wrong key or damaged data)",
        };
        if sealed.len() < NONCE_LEN + 16 {
            return Err(FAILED);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = account.0.to_be_bytes();
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| FAILED)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| FAILED)?;
        Ok(SecretString::from(text))
    }
}

impl Store {
    /// A key for `purpose` (e.g. `"web login csrf v1"`) derived from the store's secret
    /// key: the same on every instance that shares that key, unrelated to it and to the
    /// keys of other purposes.
    pub fn derive_key(&self, purpose: &str) -> Result<SecretBox<[u8; 32]>> {
        self.key.derive(purpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_base64(&STANDARD.encode([7u8; 32]), "bad").unwrap()
    }

    #[test]
    fn roundtrip_and_binding() {
        let k = key();
        let a = k.seal(AccountId(1), b"hunter2").unwrap();
        let b = k.seal(AccountId(1), b"hunter2").unwrap();
        assert_ne!(a, b, "nonces must differ");
        assert_eq!(
            k.open_string(AccountId(1), &a).unwrap().expose_secret(),
            "hunter2"
        );
        assert!(matches!(
            k.open_string(AccountId(2), &a),
            Err(StoreError::Crypto { .. })
        ));
        let other = SecretKey::from_base64(&STANDARD.encode([8u8; 32]), "bad").unwrap();
        assert!(other.open_string(AccountId(1), &a).is_err());
        assert!(!format!("{k:?}").contains('7'));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_key() {
        let a = key().derive("one").unwrap();
        assert_eq!(
            a.expose_secret(),
            key().derive("one").unwrap().expose_secret()
        );
        assert_ne!(
            a.expose_secret(),
            key().derive("two").unwrap().expose_secret()
        );
        let other = SecretKey::from_base64(&STANDARD.encode([8u8; 32]), "bad").unwrap();
        assert_ne!(
            a.expose_secret(),
            other.derive("one").unwrap().expose_secret()
        );
        assert_ne!(a.expose_secret(), &[7u8; 32]);
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(SecretKey::from_base64("nope", "bad").is_err());
        assert!(SecretKey::from_base64(&STANDARD.encode([1u8; 16]), "bad").is_err());
    }
}
