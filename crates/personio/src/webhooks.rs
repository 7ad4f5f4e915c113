//! Webhook subscriptions (API v2): create, list and delete `/v2/webhooks`.
//!
//! Personio sends each delivery with the subscription's token verbatim in the
//! `Authorization` header, so the token is a [`SecretString`] from the moment it is read:
//! it must never be logged, formatted or put in an error. Creating is not retried after a
//! 5xx or a dropped connection (it might have succeeded: a retry could subscribe twice);
//! deleting is idempotent.

use crate::client::{Call, Client};
use crate::config::ApiVersion;
use crate::error::Error;
use crate::shared::{BodyError, Val, parse_json, to_text};
use crate::v2::parse::{next_href, resolve_next};
use reqwest::Method;
use secrecy::SecretString;
use std::collections::HashSet;
use std::sync::atomic::AtomicUsize;

/// Every event Personio v2 can deliver.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "person.created",
    "person.updated",
    "person.deleted",
    "employment.created",
    "employment.updated",
    "employment.deleted",
    "employment.started",
    "employment.terminated",
];

/// A subscription just created, with the token Personio will send with each delivery.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// `ENABLED`, … as Personio reports it.
    pub status: Option<String>,
    pub token: SecretString,
}

/// A subscription as listed (Personio may leave the token out of listings).
#[derive(Debug, Clone)]
pub struct WebhookInfo {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub status: Option<String>,
    pub token: Option<SecretString>,
}

fn shape(path: &str, detail: &str) -> BodyError {
    BodyError::shape(path, detail)
}

/// One subscription object (bare or in `_data`); `path` for messages.
fn webhook_info(path: &str, v: &Val<'_>) -> Result<WebhookInfo, BodyError> {
    let v = match v.get("_data") {
        Some(d @ Val::Obj(_)) => d,
        _ => v,
    };
    if !matches!(v, Val::Obj(_)) {
        return Err(shape(path, "expected an object"));
    }
    let id = v
        .get("id")
        .and_then(to_text)
        .ok_or_else(|| shape(&format!("{path}.id"), "missing"))?;
    let events = match v.get("enabled_events").or_else(|| v.get("events")) {
        Some(Val::List(items)) => items.iter().filter_map(to_text).collect(),
        Some(Val::Str(s)) => s
            .split(',')
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    Ok(WebhookInfo {
        id,
        url: v.get("url").and_then(to_text).unwrap_or_default(),
        events,
        status: v.get("status").and_then(to_text),
        token: v.get("token").and_then(to_text).map(SecretString::from),
    })
}

/// The answer to `POST /v2/webhooks`.
pub fn parse_created(body: &[u8]) -> Result<Webhook, BodyError> {
    let root = parse_json(body)?;
    let info = webhook_info("$", &root)?;
    let token = info.token.ok_or_else(|| {
        shape(
            "token",
            "missing: Personio did not hand out a delivery token",
        )
    })?;
    Ok(Webhook {
        id: info.id,
        url: info.url,
        events: info.events,
        status: info.status,
        token,
    })
}

/// One page of `GET /v2/webhooks` (`_data` list or a bare list) and its `next` link.
pub fn parse_list(body: &[u8]) -> Result<(Vec<WebhookInfo>, Option<String>), BodyError> {
    let root = parse_json(body)?;
    let items = match &root {
        Val::List(items) => items.as_slice(),
        _ => match root.get("_data") {
            Some(Val::List(items)) => items.as_slice(),
            Some(Val::Null) => &[],
            _ => return Err(shape("_data", "expected a list of webhooks")),
        },
    };
    let hooks = items
        .iter()
        .enumerate()
        .map(|(i, h)| webhook_info(&format!("_data[{i}]"), h))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((hooks, next_href(&root)))
}

impl Client {
    fn require_v2(&self, what: &str) -> Result<(), Error> {
        match self.config().api_version {
            ApiVersion::V2 => Ok(()),
            ApiVersion::V1 => Err(Error::Config(format!(
                "{what} needs Personio API v2 (set ClientConfig::api_version to V2)"
            ))),
        }
    }

    /// Subscribes `url` to `events` (see [`WEBHOOK_EVENTS`]). v2 only.
    pub async fn create_webhook<E: AsRef<str>>(
        &self,
        url: impl AsRef<str>,
        events: &[E],
    ) -> Result<Webhook, Error> {
        self.require_v2("creating a webhook")?;
        let target = url::Url::parse(url.as_ref())
            .map_err(|e| Error::Config(format!("webhook URL: {e}")))?;
        if !matches!(target.scheme(), "http" | "https") {
            return Err(Error::Config("the webhook URL must be http(s)".into()));
        }
        if events.is_empty() {
            return Err(Error::Config("a webhook needs at least one event".into()));
        }
        let events: Vec<&str> = events.iter().map(AsRef::as_ref).collect();
        let call = Call {
            method: Method::POST,
            url: self.v2_endpoint(&["v2", "webhooks"], &[])?.to_string(),
            label: "/v2/webhooks".into(),
            json: Some(serde_json::json!({
                "url": target.as_str(),
                "enabled_events": events,
                "description": "staffsync",
            })),
        };
        self.send(call, &AtomicUsize::new(0), parse_created).await
    }

    /// Every subscription of this credential. v2 only.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookInfo>, Error> {
        self.require_v2("listing webhooks")?;
        let counter = AtomicUsize::new(0);
        let mut url = self.v2_endpoint(&["v2", "webhooks"], &[])?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        loop {
            let (mut hooks, next) = self
                .send(
                    Call::get(url.as_str(), "/v2/webhooks"),
                    &counter,
                    parse_list,
                )
                .await?;
            out.append(&mut hooks);
            let Some(href) = next else { return Ok(out) };
            let next = resolve_next(&self.config().base_url, &url, &href).map_err(|detail| {
                Error::Malformed {
                    path: "/v2/webhooks".into(),
                    detail,
                }
            })?;
            if !seen.insert(next.to_string()) || next == url {
                return Err(Error::IncompleteListing {
                    detail: "the webhook listing repeats its next link".into(),
                });
            }
            url = next;
        }
    }

    /// Deletes a subscription: `true` when deleted, `false` when Personio did not know it
    /// (already deleted). v2 only.
    pub async fn delete_webhook(&self, id: &str) -> Result<bool, Error> {
        self.require_v2("deleting a webhook")?;
        let call = Call {
            method: Method::DELETE,
            url: self.v2_endpoint(&["v2", "webhooks", id], &[])?.to_string(),
            label: "/v2/webhooks/{id}".into(),
            json: None,
        };
        match self.send(call, &AtomicUsize::new(0), |_| Ok(())).await {
            Ok(()) => Ok(true),
            Err(Error::Api { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn created_and_listed() {
        let w = parse_created(
            br#"{"id":"wh-1","url":"https://x.example/hook","enabled_events":["person.created","person.deleted"],"token":"tok-123","status":"ENABLED"}"#,
        )
        .unwrap();
        assert_eq!(w.id, "wh-1");
        assert_eq!(w.events, ["person.created", "person.deleted"]);
        assert_eq!(w.token.expose_secret(), "tok-123");
        assert_eq!(w.status.as_deref(), Some("ENABLED"));
        assert!(!format!("{w:?}").contains("tok-123"));
        assert!(matches!(
            parse_created(br#"{"id":"wh-1","url":"u"}"#),
            Err(BodyError::Shape { .. })
        ));
        let (hooks, next) = parse_list(
            br#"{"_data":[{"id":"a","url":"u","enabled_events":[]},{"id":2,"url":"v","enabled_events":["person.updated"],"token":"t"}],"_meta":{"links":{"next":{"href":"/v2/webhooks?cursor=2"}}}}"#,
        )
        .unwrap();
        assert_eq!(hooks.len(), 2);
        assert_eq!(hooks[1].id, "2");
        assert!(hooks[0].token.is_none());
        assert_eq!(next.as_deref(), Some("/v2/webhooks?cursor=2"));
        let (hooks, next) = parse_list(br#"[]"#).unwrap();
        assert!(hooks.is_empty() && next.is_none());
        assert!(parse_list(br#"{"_data":[{"url":"x"}]}"#).is_err());
    }
}
