//! API tokens: generating them, hashing them, and the [`ApiAccount`] extractor that turns
//! `Authorization: Bearer <token>` into the account every API query is scoped by.
//!
//! A token is `ss_` + 43 URL-safe base64 characters (32 random bytes). Only its SHA-256
//! hex digest is stored; the token itself is shown once, when created. This module must
//! never log, store or echo a token, and must never let a request through without an
//! account (there is no "admin" or "all accounts" token).

use crate::http::api::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use staffsync_engine::state::AppState;
use staffsync_store::AccountId;

/// The prefix every token starts with (lets secret scanners recognize leaked tokens).
pub const TOKEN_PREFIX: &str = "ss_";
/// Length of a token: the prefix plus 43 base64 characters.
pub const TOKEN_LEN: usize = 3 + 43;

/// A new random token: `ss_` + 43 URL-safe base64 characters from 32 random bytes.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 hex digest of `token`: what the store keeps and looks tokens up by.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// True when `token` has the shape of a token this service issued.
pub(crate) fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The account of the request's API token. Handlers scope every query by `.0`.
///
/// Rejects with 401 (`unauthorized`) when the header is missing or not `Bearer`, or the
/// token is malformed, unknown or revoked.
#[derive(Debug, Clone, Copy)]
pub struct ApiAccount(pub AccountId);

impl FromRequestParts<AppState> for ApiAccount {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token>"))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ApiError::unauthorized(
                    "expected Authorization: Bearer <token>",
                ));
            }
        };
        if !well_formed(token) {
            return Err(ApiError::unauthorized("invalid or revoked API token"));
        }
        match state.store.account_for_token(&hash_token(token)).await {
            Ok(Some(account)) => Ok(ApiAccount(account)),
            Ok(None) => Err(ApiError::unauthorized("invalid or revoked API token")),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_documented_shape_and_differ() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(well_formed(&a), "{a}");
        assert!(!well_formed("ss_short"));
        assert!(!well_formed(&a.replacen("ss_", "xx_", 1)));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hash_token(&generate_token()).len(), 64);
    }
}
