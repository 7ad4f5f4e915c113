//! `/employees` (search by name or e-mail, filter by group, 50 per page) and `/groups`
//! (by kind, with member counts and the anonymity threshold).

use super::names::{Names, people_of};
use super::view::{self, kind_label};
use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use staffsync_core::{AgeBand, GroupKey, GroupKind, Scope, TenureBand};
use staffsync_store::GroupSummary;

/// Employees per page.
const PER_PAGE: usize = 50;

pub(crate) struct EmployeeRow {
    name: String,
    email: String,
    department: String,
    position: String,
    office: String,
    team: String,
    hire_date: String,
}

pub(crate) struct GroupOption {
    id: i64,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "employees.html")]
pub(crate) struct EmployeesTemplate {
    page: Page,
    q: String,
    /// The group the list is filtered by, named as everywhere ("Team von Julia Jäger"):
    /// the page's title.
    group_title: Option<String>,
    groups: Vec<GroupOption>,
    rows: Vec<EmployeeRow>,
    total: usize,
    page_no: usize,
    pages: usize,
    prev_link: Option<String>,
    next_link: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct EmployeesQuery {
    #[serde(default)]
    q: String,
    /// A group id; empty for all.
    #[serde(default)]
    group: String,
    #[serde(default)]
    page: Option<usize>,
}

fn link(q: &str, group: Option<i64>, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        s.append_pair("q", q);
    }
    if let Some(g) = group {
        s.append_pair("group", &g.to_string());
    }
    s.append_pair("page", &page.to_string());
    format!("/employees?{}", s.finish())
}

/// `GET /employees`.
pub(crate) async fn employees(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(query): Query<EmployeesQuery>,
) -> WebResult {
    let store = &state.app.store;
    let lang = ctx.lang();
    let groups = store.groups(ctx.account.id).await?;
    let directory = store.directory(ctx.account.id).await?;
    let names = Names::new(lang, people_of(&directory), Scope::default());
    let group_id = query.group.trim().parse::<i64>().ok();
    let selected = group_id.and_then(|id| groups.iter().find(|g| g.id == id));
    let group: Option<GroupKey> = selected.map(|g| GroupKey::new(g.kind, g.name.clone()));
    let needle = query.q.trim().to_lowercase();
    let mut people: Vec<_> = directory
        .iter()
        .filter(|e| group.as_ref().is_none_or(|g| e.groups.contains(g)))
        .filter(|e| {
            needle.is_empty()
                || view::full_name(e).to_lowercase().contains(&needle)
                || e.email.to_lowercase().contains(&needle)
        })
        .collect();
    people.sort_by(|a, b| {
        (a.last_name.to_lowercase(), a.first_name.to_lowercase())
            .cmp(&(b.last_name.to_lowercase(), b.first_name.to_lowercase()))
    });
    let total = people.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_no = query.page.unwrap_or(1).clamp(1, pages);
    let q = query.q.trim().to_owned();
    let gid = group.as_ref().and(group_id);
    let rows = people
        .iter()
        .skip((page_no - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|e| EmployeeRow {
            name: view::full_name(e),
            email: e.email.clone(),
            department: e.department.clone().unwrap_or_default(),
            position: e.position.clone().unwrap_or_default(),
            office: e.office.clone().unwrap_or_default(),
            team: e.team.clone().unwrap_or_default(),
            hire_date: e.hire_date.map(|d| view::date(d, lang)).unwrap_or_default(),
        })
        .collect();
    render(
        StatusCode::OK,
        &EmployeesTemplate {
            page: ctx.page("employees"),
            groups: in_order(&groups, &names)
                .into_iter()
                .map(|(g, _)| GroupOption {
                    id: g.id,
                    label: format!(
                        "{} ({})",
                        names.group_label(g.kind, &g.name),
                        g.member_count
                    ),
                    selected: Some(g.id) == gid,
                })
                .collect(),
            group_title: selected.map(|g| names.group_label(g.kind, &g.name)),
            prev_link: (page_no > 1).then(|| link(&q, gid, page_no - 1)),
            next_link: (page_no < pages).then(|| link(&q, gid, page_no + 1)),
            q,
            rows,
            total,
            page_no,
            pages,
        },
    )
}

pub(crate) struct GroupRow {
    id: i64,
    name: String,
    members: i64,
    below_threshold: bool,
}

pub(crate) struct KindSection {
    label: &'static str,
    groups: Vec<GroupRow>,
}

#[derive(Template)]
#[template(path = "groups.html")]
pub(crate) struct GroupsTemplate {
    page: Page,
    sections: Vec<KindSection>,
    threshold: usize,
    /// The search as typed; empty shows every group.
    q: String,
    /// Whether the account has any groups at all (a search may still match none).
    any: bool,
    /// The account's survey audience snapshots, newest first.
    snapshots: Vec<SnapshotRow>,
}

/// A survey audience snapshot as the Gruppen page lists it.
pub(crate) struct SnapshotRow {
    label: String,
    created: String,
    count: i64,
}

#[derive(Deserialize)]
pub(crate) struct GroupsQuery {
    #[serde(default)]
    q: String,
}

/// `name` for sorting and searching as a German reader expects: case and accents
/// ignored, so "Öffentlichkeitsarbeit" sorts among the O (DIN 5007, variant 1) rather than
/// after "Vertrieb", and "koln" finds "Köln". (NFD splits "Ö" into "O" and a combining
/// mark, which is dropped.)
fn folded(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    name.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Groups in the order the pages list them (the Gruppen page and the Mitarbeiter filter):
/// by kind, then each kind's by shown name (tenure bands from the shortest to the longest,
/// not as text: "10 Jahre und länger" comes last; age bands from the youngest), each with
/// that name.
fn in_order<'a>(groups: &'a [GroupSummary], names: &Names) -> Vec<(&'a GroupSummary, String)> {
    let mut rows: Vec<_> = groups
        .iter()
        .map(|g| {
            let name = names.group_name(g.kind, &g.name);
            let kind = GroupKind::ALL.iter().position(|k| *k == g.kind);
            // Bands by their order (as a number), not by their name as text.
            let band = match g.kind {
                GroupKind::Tenure => TenureBand::parse(&g.name).map(|b| b as u8),
                GroupKind::Age => AgeBand::parse(&g.name).map(|b| b as u8),
                _ => None,
            };
            ((kind, band, folded(&name)), g, name)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, g, name)| (g, name)).collect()
}

/// `GET /groups?q=`: the groups by kind ([`in_order`]), only those whose shown name
/// contains `q` (ignoring case and accents) when there is one; a reporting line by its
/// manager ("Team von Julia Jäger").
pub(crate) async fn groups(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(query): Query<GroupsQuery>,
) -> WebResult {
    let q = query.q.trim().to_owned();
    let needle = folded(&q);
    let threshold = state.app.config.anonymity_threshold;
    let groups = state.app.store.groups(ctx.account.id).await?;
    let people = if groups.iter().any(|g| g.kind.is_reporting_line()) {
        state.app.store.employee_names(ctx.account.id).await?
    } else {
        Default::default()
    };
    let names = Names::new(ctx.lang(), people, Scope::default());
    let mut sections: Vec<KindSection> = Vec::new();
    let mut last = None;
    for (g, name) in in_order(&groups, &names) {
        if !folded(&name).contains(&needle) {
            continue;
        }
        let row = GroupRow {
            id: g.id,
            members: g.member_count,
            below_threshold: usize::try_from(g.member_count).unwrap_or(0) < threshold,
            name,
        };
        match sections.last_mut() {
            Some(section) if last == Some(g.kind) => section.groups.push(row),
            _ => sections.push(KindSection {
                label: kind_label(g.kind, ctx.lang()),
                groups: vec![row],
            }),
        }
        last = Some(g.kind);
    }
    let snapshots = state
        .app
        .store
        .snapshots(ctx.account.id)
        .await?
        .into_iter()
        .map(|s| SnapshotRow {
            created: view::when(s.created_at, &ctx.account.time_zone, ctx.lang()),
            label: s.label,
            count: s.count,
        })
        .collect();
    render(
        StatusCode::OK,
        &GroupsTemplate {
            page: ctx.page("groups"),
            sections,
            threshold,
            q,
            any: !groups.is_empty(),
            snapshots,
        },
    )
}
