//! `staffsync connect`: checks a Personio credential and stores it, encrypted.
//!
//! Nothing is stored unless Personio accepted the credential and it can read every
//! mandatory attribute (first name, last name, e-mail, department).

use crate::cli::{ConnectArgs, Global, OnOff};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use secrecy::SecretString;
use staffsync_store::NewConnection;

pub async fn run(global: &Global, args: ConnectArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let client = super::fetch::client(&args.credential, OnOff::On)?;
    let attributes = client
        .attributes()
        .await
        .context("Personio did not accept the credential")?;
    let warnings = personio::check_mandatory(&attributes)
        .context("the credential cannot be used; nothing was stored")?;
    let readable: Vec<String> = attributes.iter().map(|a| a.key.clone()).collect();
    store
        .save_connection(
            account.id,
            &NewConnection {
                client_id: args.credential.client_id.clone(),
                client_secret: SecretString::from(args.credential.client_secret.clone()),
                base_url: args.credential.personio_url.to_string(),
                api_version: "v1".into(),
                readable_attributes: readable.clone(),
            },
        )
        .await
        .context("cannot store the connection")?;
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    if args.json.json {
        output::print_json(&serde_json::json!({
            "account": account.slug, "connected": true,
            "readable_attributes": readable, "warnings": warnings,
        }))?;
    } else {
        println!(
            "connected {} to Personio at {} ({} readable attributes)",
            account.slug,
            args.credential.personio_url,
            readable.len()
        );
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(exit::OK)
}
