//! Conformance (SQLite and PostgreSQL) of what SCIM accounts keep: the account's source,
//! tokens by scope, and each user as the identity provider wrote it (ids issued once,
//! userNames unique per account ignoring case, no reads or writes across accounts).

use crate::common::Env;
use serde_json::json;
use staffsync_core::{AccountSlug, TimeZoneName};
use staffsync_store::{
    AccountId, AccountSource, RunKind, ScimUserData, Store, StoreError, TokenHolder, TokenScope,
};

conformance!(
    scim_accounts_keep_their_source,
    tokens_open_only_their_scope,
    scim_users_roundtrip_per_account,
    a_run_records_whose_changes_it_applied,
);

async fn scim_account(store: &Store, slug: &str) -> AccountId {
    store
        .create_account_with_source(
            &AccountSlug::parse(slug).unwrap(),
            slug,
            &TimeZoneName::default(),
            AccountSource::Scim,
        )
        .await
        .unwrap()
        .id
}

fn user(user_name: &str, active: bool) -> ScimUserData {
    ScimUserData {
        external_id: Some(format!("ext-{user_name}")),
        user_name: user_name.to_owned(),
        active,
        resource: json!({"userName": user_name, "name": {"givenName": "Ada"}}),
    }
}

async fn scim_accounts_keep_their_source(store: Store, _env: Env) {
    let id = scim_account(&store, "acme").await;
    let account = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(account.source, AccountSource::Scim);
    let listed = store.accounts().await.unwrap();
    assert_eq!(listed[0].source, AccountSource::Scim);
}

async fn tokens_open_only_their_scope(store: Store, _env: Env) {
    let a = scim_account(&store, "acme").await;
    let api = "ab".repeat(32);
    let scim = "cd".repeat(32);
    let t = store.create_api_token(a, &api, "survey app").await.unwrap();
    assert_eq!(t.scope, TokenScope::Api);
    let s = store
        .create_token(a, &scim, "Entra ID", TokenScope::Scim)
        .await
        .unwrap();
    assert_eq!(s.scope, TokenScope::Scim);
    // A SCIM token never opens the REST API, and an API token never the SCIM endpoint.
    assert_eq!(store.account_for_token(&scim).await.unwrap(), None);
    assert_eq!(store.account_for_token(&api).await.unwrap(), Some(a));
    assert_eq!(
        store.token_holder(&scim, TokenScope::Scim).await.unwrap(),
        Some(TokenHolder {
            account: a,
            label: "Entra ID".into()
        })
    );
    assert_eq!(
        store.token_holder(&api, TokenScope::Scim).await.unwrap(),
        None
    );
    let listed = store.api_tokens(a).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.scope).collect::<Vec<_>>(),
        [TokenScope::Api, TokenScope::Scim]
    );
    assert!(store.revoke_api_token(a, s.id).await.unwrap());
    assert_eq!(
        store.token_holder(&scim, TokenScope::Scim).await.unwrap(),
        None
    );
}

async fn scim_users_roundtrip_per_account(store: Store, _env: Env) {
    let a = scim_account(&store, "acme").await;
    let b = scim_account(&store, "beta").await;
    let ada = store
        .create_scim_user(a, &user("ada@acme.de", true))
        .await
        .unwrap();
    assert_eq!(ada.user_name, "ada@acme.de");
    assert_eq!(ada.external_id.as_deref(), Some("ext-ada@acme.de"));
    assert!(ada.active);
    assert_eq!(ada.resource["name"]["givenName"], "Ada");
    assert!(uuid::Uuid::parse_str(&ada.id).is_ok(), "{}", ada.id);
    // userNames are unique per account, ignoring case; another account may have one.
    let err = store
        .create_scim_user(a, &user("ADA@acme.de", true))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let other = store
        .create_scim_user(b, &user("ada@acme.de", true))
        .await
        .unwrap();
    assert_ne!(other.id, ada.id);
    let bob = store
        .create_scim_user(a, &user("bob@acme.de", true))
        .await
        .unwrap();
    assert_eq!(
        store
            .scim_users(a)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id.as_str())
            .collect::<Vec<_>>(),
        [ada.id.as_str(), bob.id.as_str()]
    );
    assert_eq!(
        store.scim_user(a, &ada.id).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.scim_user(b, &ada.id).await.unwrap(),
        None,
        "another account's id"
    );

    // Deactivated: the caller decides what the resource keeps.
    let minimal = ScimUserData {
        resource: json!({"id": ada.id, "userName": "ada@acme.de", "active": false}),
        ..user("ada@acme.de", false)
    };
    let replaced = store
        .replace_scim_user(a, &ada.id, &minimal)
        .await
        .unwrap()
        .unwrap();
    assert!(!replaced.active);
    assert_eq!(replaced.resource, minimal.resource);
    assert_eq!(replaced.created_at, ada.created_at);
    assert_eq!(
        store.replace_scim_user(b, &ada.id, &minimal).await.unwrap(),
        None,
        "another account's id"
    );
    let err = store
        .replace_scim_user(a, &bob.id, &user("Ada@Acme.de", true))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");

    assert!(!store.delete_scim_user(b, &ada.id).await.unwrap());
    assert!(store.delete_scim_user(a, &ada.id).await.unwrap());
    assert!(!store.delete_scim_user(a, &ada.id).await.unwrap());
    assert_eq!(store.scim_user(a, &ada.id).await.unwrap(), None);
    assert_eq!(store.scim_users(b).await.unwrap().len(), 1);
}

async fn a_run_records_whose_changes_it_applied(store: Store, _env: Env) {
    let a = scim_account(&store, "acme").await;
    let b = scim_account(&store, "beta").await;
    let run = crate::conformance::start(&store, a, RunKind::Targeted).await;
    assert_eq!(store.run(a, run).await.unwrap().unwrap().started_by, None);
    assert!(
        store
            .set_run_started_by(a, run, "scim:Entra ID")
            .await
            .unwrap()
    );
    assert!(
        !store.set_run_started_by(b, run, "scim:x").await.unwrap(),
        "another account's run"
    );
    assert_eq!(
        store
            .run(a, run)
            .await
            .unwrap()
            .unwrap()
            .started_by
            .as_deref(),
        Some("scim:Entra ID")
    );
    assert_eq!(
        store.runs(a).await.unwrap()[0].started_by.as_deref(),
        Some("scim:Entra ID")
    );
}
