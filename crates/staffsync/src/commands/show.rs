//! `staffsync employees|groups|runs`: read-only views of an account.

use crate::cli::{Global, ListArgs};
use crate::exit::{self, Code};
use crate::output;
use staffsync_engine::PersonRefs;
use staffsync_server::api::views::{EmployeeView, GroupView, ManagerNames, ShowIds as _};
use std::io::Write as _;

pub async fn employees(global: &Global, args: ListArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let directory = store.directory(account.id).await?;
    // A file account's people go by the ImportId of the employee file.
    let ids = PersonRefs::of(&store, &account).await?;
    if args.json.json {
        let names = ManagerNames::of(&directory);
        let items: Vec<EmployeeView> = directory
            .iter()
            .map(|e| {
                let mut view = EmployeeView::from(e);
                names.name_all(&mut view);
                ids.employee(&mut view);
                view
            })
            .collect();
        output::print_json(&items)?;
    } else {
        let rows: Vec<Vec<String>> = directory
            .iter()
            .map(|e| {
                vec![
                    ids.source_ref(e.key)
                        .map_or_else(String::new, |id| id.to_string()),
                    format!("{} {}", e.first_name, e.last_name),
                    e.email.clone(),
                    e.department.clone().unwrap_or_default(),
                    e.office.clone().unwrap_or_default(),
                    e.position.clone().unwrap_or_default(),
                ]
            })
            .collect();
        output::print_table(
            &["ID", "NAME", "E-MAIL", "DEPARTMENT", "OFFICE", "POSITION"],
            &rows,
        )?;
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            output::count(directory.len(), "employee", "employees")
        );
    }
    Ok(exit::OK)
}

pub async fn groups(global: &Global, args: ListArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let groups = store.groups(account.id).await?;
    // As the API shows them: reporting lines named after their managers (whose names are
    // read only when there are such groups), tenure bands with their key.
    let names = if groups.iter().any(|g| g.kind.is_reporting_line()) {
        ManagerNames::new(store.employee_names(account.id).await?)
    } else {
        ManagerNames::default()
    };
    let threshold = staffsync_engine::ServerConfig::default().anonymity_threshold;
    let ids = PersonRefs::of(&store, &account).await?;
    let views: Vec<GroupView> = groups
        .iter()
        .map(|g| {
            let mut view = names.group_view(g, threshold);
            ids.group(&mut view.group);
            view
        })
        .collect();
    if args.json.json {
        output::print_json(&views)?;
    } else {
        let rows: Vec<Vec<String>> = views
            .iter()
            .map(|g| {
                let kind = serde_json::to_value(g.group.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                vec![kind, g.group.name.clone(), g.member_count.to_string()]
            })
            .collect();
        output::print_table(&["KIND", "NAME", "MEMBERS"], &rows)?;
    }
    Ok(exit::OK)
}

pub async fn runs(global: &Global, args: ListArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let runs = store.runs(account.id).await?;
    if args.json.json {
        output::print_json(&runs)?;
    } else {
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|r| {
                vec![
                    r.id.0.to_string(),
                    output::timestamp(r.started_at),
                    serde_json::to_value(r.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    r.created.to_string(),
                    r.updated.to_string(),
                    r.removed.to_string(),
                    r.skipped.to_string(),
                    r.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        output::print_table(
            &[
                "RUN", "STARTED", "STATUS", "CREATED", "UPDATED", "REMOVED", "SKIPPED", "ERROR",
            ],
            &rows,
        )?;
    }
    Ok(exit::OK)
}
