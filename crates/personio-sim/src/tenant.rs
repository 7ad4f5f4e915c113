//! The credentials one simulator accepts ("tenants") and their tokens. Tenant 0 is the
//! configured `client_id`; with `SimConfig::tenants` = N, tenants 1..=N are
//! `<client_id>-<k>` with the same secret, all on the same company. A tenant's token names
//! its tenant (`papi-t<k>-<64 hex>`; tenant 0's is the untagged `papi-<64 hex>` a
//! single-credential simulator always handed out) and is checked by recomputing that one
//! tenant's token.
//!
//! Pure functions of the configuration and the token generation. Must never accept a tenant
//! number above `SimConfig::tenants`, and must never scan all tenants to check a token.

use crate::config::SimConfig;
use crate::rng::{Rng, fnv1a};
use std::borrow::Cow;

/// A credential's number: 0 = the plain client id, k = `<client_id>-<k>`.
pub(crate) type Tenant = u32;

/// Most tenants one simulator serves: far beyond a fleet benchmark, and it bounds the
/// per-tenant bookkeeping (limiter keys, the "authenticated" bitmap).
pub(crate) const MAX_TENANTS: Tenant = 1_000_000;

/// Which API a token is for: a token of one never opens the other's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    V1,
    V2,
}

impl Api {
    /// Mixed into the token hash. Empty for v1, so tenant 0's v1 token is byte-for-byte
    /// the one earlier versions handed out.
    fn salt(self) -> &'static [u8] {
        match self {
            Api::V1 => b"",
            Api::V2 => b"v2",
        }
    }
}

/// The tenant `id` names, if this simulator serves it.
pub(crate) fn tenant_of_client_id(config: &SimConfig, id: &str) -> Option<Tenant> {
    if id == config.client_id {
        return Some(0);
    }
    let digits = id
        .strip_prefix(config.client_id.as_str())?
        .strip_prefix('-')?;
    numbered_tenant(config, digits)
}

/// The tenant `id` and `secret` authenticate as, if they are right (every tenant shares the
/// configured secret).
pub(crate) fn tenant_of_credentials(config: &SimConfig, id: &str, secret: &str) -> Option<Tenant> {
    tenant_of_client_id(config, id).filter(|_| secret == config.client_secret)
}

/// `digits` as a tenant in 1..=N, written canonically (no sign, no leading zero) so each
/// tenant has exactly one client id and one token.
fn numbered_tenant(config: &SimConfig, digits: &str) -> Option<Tenant> {
    let k: Tenant = digits.parse().ok()?;
    ((1..=config.tenants).contains(&k) && k.to_string() == digits).then_some(k)
}

fn client_id_of(config: &SimConfig, tenant: Tenant) -> Cow<'_, str> {
    if tenant == 0 {
        Cow::Borrowed(&config.client_id)
    } else {
        Cow::Owned(format!("{}-{tenant}", config.client_id))
    }
}

/// `tenant`'s token for `api` in `generation`: stable until a `revoke_token` bumps the
/// (shared) generation.
pub(crate) fn token(config: &SimConfig, api: Api, tenant: Tenant, generation: u64) -> String {
    let digest = digest(&client_id_of(config, tenant), config, api, generation);
    if tenant == 0 {
        format!("papi-{digest}")
    } else {
        format!("papi-t{tenant}-{digest}")
    }
}

/// The tenant whose current `api` token `presented` is, if any. The tag says which tenant
/// to try; only that tenant's token is recomputed. (`t` is no hex digit, so an untagged
/// token is never misread as tagged.)
pub(crate) fn tenant_of_token(
    config: &SimConfig,
    api: Api,
    generation: u64,
    presented: &str,
) -> Option<Tenant> {
    let rest = presented.strip_prefix("papi-")?;
    let tenant = match rest.strip_prefix('t') {
        Some(tagged) => numbered_tenant(config, tagged.split_once('-')?.0)?,
        None => 0,
    };
    (token(config, api, tenant, generation) == presented).then_some(tenant)
}

/// 64 hex digits derived from credential, seed, generation and API.
fn digest(client_id: &str, config: &SimConfig, api: Api, generation: u64) -> String {
    let seed = config.seed.to_le_bytes();
    let generation = generation.to_le_bytes();
    let mut parts: Vec<&[u8]> = vec![
        client_id.as_bytes(),
        config.client_secret.as_bytes(),
        &seed[..],
        &generation[..],
    ];
    // No empty part for v1: it keeps tenant 0's v1 token what it always was.
    if !api.salt().is_empty() {
        parts.push(api.salt());
    }
    let mut rng = Rng::new(fnv1a(&parts));
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(tenants: u32) -> SimConfig {
        SimConfig {
            client_id: "acme".into(),
            client_secret: "s".into(),
            tenants,
            ..Default::default()
        }
    }

    #[test]
    fn tenant_zero_keeps_the_single_credential_tokens() {
        // Values the single-credential simulator handed out for this configuration.
        let c = SimConfig {
            seed: 7,
            ..config(3)
        };
        assert_eq!(
            token(&c, Api::V1, 0, 0),
            "papi-c6ca71eac29c779f292ecfb50121aaa1dc5c53610d9b48b7c7be2c00cc929e43"
        );
        assert_eq!(
            token(&c, Api::V1, 0, 1),
            "papi-c8d108a35ac99836366d702965407335d25af2f0f8d6f50bca672e572fb69ba0"
        );
        assert_eq!(
            token(&c, Api::V2, 0, 0),
            "papi-8d0346ea84f218938a341b78f2104707ea2b1f4826dfce9681067c056e7f88d7"
        );
    }

    #[test]
    fn client_ids_name_tenants_up_to_n() {
        let c = config(3);
        assert_eq!(tenant_of_client_id(&c, "acme"), Some(0));
        assert_eq!(tenant_of_client_id(&c, "acme-1"), Some(1));
        assert_eq!(tenant_of_client_id(&c, "acme-3"), Some(3));
        for wrong in [
            "acme-0", "acme-4", "acme-01", "acme-+1", "acme-", "acme1", "other-1",
        ] {
            assert_eq!(tenant_of_client_id(&c, wrong), None, "{wrong}");
        }
        assert_eq!(tenant_of_client_id(&config(0), "acme-1"), None);
    }

    #[test]
    fn tokens_resolve_to_their_own_tenant_only() {
        let c = config(12);
        for api in [Api::V1, Api::V2] {
            for k in [0, 1, 12] {
                let t = token(&c, api, k, 5);
                assert_eq!(tenant_of_token(&c, api, 5, &t), Some(k));
                assert_eq!(tenant_of_token(&c, api, 6, &t), None, "revoked");
            }
        }
        let t1 = token(&c, Api::V1, 1, 0);
        assert!(t1.starts_with("papi-t1-"), "{t1}");
        assert_eq!(tenant_of_token(&c, Api::V2, 0, &t1), None);
        // Re-tagging a token for another tenant does not make it that tenant's.
        let forged = t1.replacen("papi-t1-", "papi-t2-", 1);
        assert_eq!(tenant_of_token(&c, Api::V1, 0, &forged), None);
        assert_eq!(tenant_of_token(&config(0), Api::V1, 0, &t1), None);
    }
}
