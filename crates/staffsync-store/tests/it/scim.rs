//! Conformance (SQLite and PostgreSQL) of what SCIM accounts keep: the account's source,
//! tokens by scope, and each user as the identity provider wrote it (ids issued once,
//! userNames unique per account ignoring case, no reads or writes across accounts), and
//! each group with its members (displayNames unique per account ignoring case, members
//! only users of the account, a deleted user leaves every group).

use crate::common::Env;
use serde_json::json;
use staffsync_core::{AccountSlug, TimeZoneName};
use staffsync_store::{
    AccountId, AccountSource, GroupWrite, RunKind, ScimGroupData, ScimUserData, Store, StoreError,
    TokenHolder, TokenScope,
};

conformance!(
    scim_accounts_keep_their_source,
    tokens_open_only_their_scope,
    scim_users_roundtrip_per_account,
    a_run_records_whose_changes_it_applied,
    scim_groups_keep_their_members_per_account,
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

fn group(display_name: &str, members: &[&str]) -> ScimGroupData {
    ScimGroupData {
        external_id: Some(format!("ext-{display_name}")),
        display_name: display_name.to_owned(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    }
}

async fn scim_groups_keep_their_members_per_account(store: Store, _env: Env) {
    let a = scim_account(&store, "acme").await;
    let b = scim_account(&store, "beta").await;
    let mut users = Vec::new();
    for name in ["ada@acme.de", "bob@acme.de", "cy@acme.de"] {
        users.push(
            store
                .create_scim_user(a, &user(name, true))
                .await
                .unwrap()
                .id,
        );
    }
    let theirs = store
        .create_scim_user(b, &user("ada@acme.de", true))
        .await
        .unwrap()
        .id;
    let (ada, bob, cy) = (users[0].as_str(), users[1].as_str(), users[2].as_str());
    let sorted = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    };

    // Another account's user and unknown ids are no members.
    let sales = store
        .create_scim_group(a, &group("Vertrieb", &[bob, ada, &theirs, "nobody", ada]))
        .await
        .unwrap();
    assert!(uuid::Uuid::parse_str(&sales.id).is_ok(), "{}", sales.id);
    assert_eq!(sales.display_name, "Vertrieb");
    assert_eq!(sales.external_id.as_deref(), Some("ext-Vertrieb"));
    assert_eq!(sales.members, sorted(&[ada, bob]));
    assert_eq!(
        store
            .unknown_scim_users(a, &[bob.into(), theirs.clone(), "nobody".into()])
            .await
            .unwrap(),
        [theirs.clone(), "nobody".to_owned()]
    );
    // displayNames are unique per account, ignoring case; another account may have one.
    let err = store
        .create_scim_group(a, &group("VERTRIEB", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let other = store
        .create_scim_group(b, &group("Vertrieb", &[&theirs, ada]))
        .await
        .unwrap();
    assert_eq!(other.members, std::slice::from_ref(&theirs));
    let all = store
        .create_scim_group(a, &group("Alle", &[ada, bob, cy]))
        .await
        .unwrap();
    assert_eq!(
        store.scim_groups(a).await.unwrap(),
        [sales.clone(), all.clone()]
    );
    assert_eq!(
        store.scim_group(a, &sales.id).await.unwrap(),
        Some(sales.clone())
    );
    assert_eq!(
        store.scim_group(b, &sales.id).await.unwrap(),
        None,
        "another account's id"
    );
    let names = store.scim_group_names_by_user(a).await.unwrap();
    assert_eq!(names[ada], ["Alle", "Vertrieb"]);
    assert_eq!(names[cy], ["Alle"]);
    assert_eq!(
        store.scim_group_names_by_user(b).await.unwrap()[&theirs],
        ["Vertrieb"]
    );

    // Renamed with other members; a name another group has is a conflict.
    let renamed = store
        .replace_scim_group(a, &sales.id, &group("Vertrieb Nord", &[cy]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.display_name, "Vertrieb Nord");
    assert_eq!(renamed.members, [cy.to_owned()]);
    assert_eq!(renamed.created_at, sales.created_at);
    // A change computed from the group as it was (a PATCH that raced the rename) is not
    // written; computed from the group as it is, it is.
    assert_eq!(
        store
            .replace_scim_group_from(a, &sales, &group("Vertrieb Süd", &[ada]))
            .await
            .unwrap(),
        GroupWrite::Stale
    );
    assert_eq!(
        store.scim_group(a, &sales.id).await.unwrap(),
        Some(renamed.clone()),
        "a stale change leaves the group as it was"
    );
    let GroupWrite::Written(again) = store
        .replace_scim_group_from(a, &renamed, &group("Vertrieb Nord", &[cy, ada]))
        .await
        .unwrap()
    else {
        panic!("a change from the group as it is is written");
    };
    assert_eq!(again.members.len(), 2);
    assert_eq!(
        store
            .replace_scim_group_from(b, &again, &group("x", &[]))
            .await
            .unwrap(),
        GroupWrite::Missing,
        "another account's id"
    );
    // Back to the members the rest of this test expects.
    store
        .replace_scim_group(a, &sales.id, &group("Vertrieb Nord", &[cy]))
        .await
        .unwrap()
        .expect("the group");
    let err = store
        .replace_scim_group(a, &sales.id, &group("alle", &[]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(
        store
            .replace_scim_group(b, &sales.id, &group("x", &[]))
            .await
            .unwrap(),
        None,
        "another account's id"
    );

    // A deleted user leaves every group it was in.
    assert!(store.delete_scim_user(a, cy).await.unwrap());
    assert!(
        store
            .scim_group(a, &sales.id)
            .await
            .unwrap()
            .unwrap()
            .members
            .is_empty()
    );
    assert_eq!(
        store.scim_group(a, &all.id).await.unwrap().unwrap().members,
        sorted(&[ada, bob])
    );
    assert!(!store.delete_scim_group(b, &all.id).await.unwrap());
    assert!(store.delete_scim_group(a, &all.id).await.unwrap());
    assert_eq!(store.scim_group(a, &all.id).await.unwrap(), None);
    assert_eq!(store.scim_groups(a).await.unwrap().len(), 1);
    assert_eq!(store.scim_groups(b).await.unwrap(), [other]);
    assert!(
        !store
            .scim_group_names_by_user(a)
            .await
            .unwrap()
            .contains_key(ada)
    );
}
