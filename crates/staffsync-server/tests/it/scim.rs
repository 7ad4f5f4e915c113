//! The SCIM endpoint's edges over HTTP: answers without a body of their own become SCIM
//! error bodies, bodies are JSON of the two SCIM types and at most 1 MiB, and a token
//! over its request rate is answered 429 with `Retry-After` while another token is not.

use crate::common::{TestApp, scim_account, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;
use staffsync_server::api::tokens::{generate_token, hash_token};
use staffsync_store::TokenScope;

async fn scim_token(app: &TestApp, slug: &str) -> String {
    let account = scim_account(&app.store, slug, slug).await;
    let token = generate_token();
    app.store
        .create_token(account.id, &hash_token(&token), "Okta", TokenScope::Scim)
        .await
        .unwrap();
    token
}

async fn error_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/scim+json", "{status}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], status.as_u16().to_string());
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn scim_edges_answer_scim_errors() {
    let app = spawn_app(|_| {}).await;
    let token = scim_token(&app, "idp").await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/scim/v2{p}", app.base);

    let (status, body) = error_of(
        http.get(url("/Groups"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = error_of(
        http.put(url("/Users"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("userName=x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let big = format!(
        r#"{{"userName":"x","nickName":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["scimType"], "tooLarge");
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidSyntax");
    // Discovery needs no token.
    let r = http.get(url("/Schemas")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_over_its_rate_is_answered_429_and_others_are_not() {
    // 50 a second, 100 at once: a client asking faster than that runs dry.
    let app = spawn_app(|c| c.scim_rate = 50).await;
    let busy = scim_token(&app, "busy").await;
    let calm = scim_token(&app, "calm").await;
    let http = reqwest::Client::new();
    let url = format!("{}/scim/v2/Users?count=0", app.base);
    let mut limited = None;
    // One request after another, each answered in well under 20 ms.
    for _ in 0..10_000 {
        let r = http.get(&url).bearer_auth(&busy).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("the busy token was never limited");
    assert!(r.headers().contains_key(reqwest::header::RETRY_AFTER));
    let (_, body) = error_of(r).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("requests a second"),
        "{body}"
    );
    let r = http.get(&url).bearer_auth(&calm).send().await.unwrap();
    assert_eq!(r.status(), 200, "another token keeps its own budget");
}
