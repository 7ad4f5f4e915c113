//! The shared per-IP budget: several clients (one per account) of one process draw from
//! one [`IpBudget`], so together they stay under the per-IP limit Personio sets for the
//! address, while each client alone is well within its own per-credential limit.

use crate::common;

use common::*;
use personio::{Client, IpBudget, RateLimit};

/// Four accounts (simulator tenants) fetch at once. The simulator allows 600 requests a
/// minute per IP with bursts of 10; each client alone would send bursts of 12. Sharing a
/// budget of 585/min (2.5% under, as the default is) they get no 429; without it they do
/// (the control half, which shows the test can fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_budget_stay_under_the_per_ip_limit() {
    const TENANTS: u32 = 4;
    /// The simulator's stats and each client's listing (or error).
    async fn fleet(
        budget: Option<IpBudget>,
        page_size: u32,
    ) -> (
        serde_json::Value,
        Vec<Result<personio::Listing, personio::Error>>,
    ) {
        let sim = personio_sim::spawn(personio_sim::SimConfig {
            employees: 500,
            seed: 7,
            client_id: ID.into(),
            client_secret: SECRET.into(),
            rate_limit: true,
            tenants: TENANTS,
            per_ip_limit: Some(600),
            per_ip_burst: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
        let base = sim.base_url().to_string();
        let mut tasks = tokio::task::JoinSet::new();
        for k in 1..=TENANTS {
            let mut c = config(&base, RateLimit::default());
            c.client_id = format!("{ID}-{k}");
            c.ip_budget = budget.clone();
            c.page_size = page_size;
            // Retries would hide 429s behind waiting; the stats count them either way.
            tasks.spawn(async move { Client::new(c).unwrap().fetch_all(|_| {}).await });
        }
        let mut listings = Vec::new();
        while let Some(done) = tasks.join_next().await {
            listings.push(done.unwrap());
        }
        (stats(&base).await, listings)
    }

    let (shared, listings) = fleet(IpBudget::per_minute(585), 100).await;
    assert_eq!(listings.len(), 4);
    for listing in listings {
        assert_complete(&listing.unwrap(), 500);
    }
    assert_eq!(n(&shared, &["rate_limited"]), 0, "{shared}");
    assert_eq!(n(&shared, &["tenants_authenticated"]), 4, "{shared}");

    // Without the budget a client may even give up after its retries (RateLimited):
    // only the 429s matter here. Smaller pages make each client open with its full
    // burst of 12 (48 requests at once against a per-IP burst of 10), so the excess does
    // not depend on how fast this machine is while other tests run beside this one.
    let (alone, _) = fleet(None, 25).await;
    assert!(
        n(&alone, &["rate_limited"]) > 0,
        "without a shared budget the clients together exceed the per-IP limit: {alone}"
    );
}
