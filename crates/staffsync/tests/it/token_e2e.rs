//! `staffsync token create|list|revoke` with the real binary: the token is printed once,
//! only its SHA-256 digest reaches the disk, and revoking is scoped to the account.

use crate::common;

use common::World;
use staffsync_server::api::tokens::hash_token;

fn data_dir_bytes(w: &World) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(w.data_dir()).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            all.extend(std::fs::read(&path).expect("readable"));
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_shown_once_stored_hashed_and_revocable() {
    let w = World::connected(5).await;
    let created = w.json(&["token", "create", "acme", "--label", "survey app"]);
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("ss_") && token.len() == 46, "{token}");
    assert_eq!(created["label"], "survey app");

    // Without --json stdout holds the token and nothing else.
    let out = w.ok(&["token", "create", "acme"]);
    let second = out.trim();
    assert!(second.starts_with("ss_") && second.len() == 46, "{out:?}");
    assert_ne!(second, token);

    let list = w.json(&["token", "list", "acme"]);
    let items = list.as_array().expect("array");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t["revoked_at"].is_null()));
    assert!(!list.to_string().contains(&token) && !list.to_string().contains(second));

    // Only the digest is on disk.
    let bytes = data_dir_bytes(&w);
    assert!(!contains(&bytes, &token), "the token itself was stored");
    assert!(
        contains(&bytes, &hash_token(&token)),
        "the digest was not stored"
    );

    // Revoking is scoped to the account.
    let first_id = created["id"].as_i64().expect("id").to_string();
    let second_id = items[1]["id"].as_i64().expect("id").to_string();
    w.ok(&["account", "create", "other"]);
    let out = w.run(&["token", "revoke", "other", &second_id]);
    assert_eq!(out.status.code(), Some(1));
    w.ok(&["token", "revoke", "acme", &first_id]);
    let out = w.run(&["token", "revoke", "acme", &first_id]);
    assert_eq!(out.status.code(), Some(1), "revoking twice fails");
    let list = w.json(&["token", "list", "acme"]);
    assert!(!list[0]["revoked_at"].is_null());
    assert!(
        list[1]["revoked_at"].is_null(),
        "other account could not revoke it"
    );
    assert_eq!(w.run(&["token", "list", "nobody"]).status.code(), Some(1));
}
