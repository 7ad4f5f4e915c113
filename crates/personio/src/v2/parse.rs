//! Reading Personio v2 bodies and mapping them to [`SourceEmployee`]s.
//!
//! Persons (`/v2/persons` pages), employments, org-unit and office look-ups, the OAuth2
//! token answer and `_meta.links.next.href` (relative or absolute). Values may be `null`,
//! `""`, `[]`, absent, or numbers where strings are expected; ids may be strings or
//! numbers. A person or employment that cannot be read becomes a [`MalformedEmployee`]
//! naming the field path (`_data[3].employment_start_date: not a date: "x"`); only a body
//! that is not JSON or lacks `_data` is a body error.
//!
//! This module must never do I/O, never panic on input, and never invent a value Personio
//! did not send (a subcompany without a name is left out rather than named by its id).

use crate::PersonioId;
use crate::shared::{BodyError, Val, date_value, parse_json, to_text};
use secrecy::SecretString;
use staffsync_core::dates::{format_date, parse_calendar_date};
use staffsync_core::{
    EmploymentStatus, ExtraAttribute, MalformedEmployee, OrgUnit, SourceEmployee,
};
use std::time::Duration;
use time::Date;
use url::Url;

/// One `/v2/persons` page: each person (person fields only, no employment yet) and the
/// `next` link as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonsPage {
    pub persons: Vec<Result<SourceEmployee, MalformedEmployee>>,
    pub next: Option<String>,
}

/// One employment, as far as staffsync uses it. Org-unit and office ids still need names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Employment {
    pub id: Option<String>,
    /// Lowercased: `active`, `inactive`, `onboarding`, `leave`, ….
    pub status: Option<String>,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub termination_date: Option<Date>,
    pub position: Option<String>,
    pub supervisor: Option<PersonioId>,
    pub office_id: Option<String>,
    /// The first org unit of type `department`.
    pub department_id: Option<String>,
    /// The first org unit of type `team`.
    pub team_id: Option<String>,
    /// Only when Personio sent a name with it (v2 usually sends just the id).
    pub subcompany: Option<OrgUnit>,
}

/// One `/v2/persons/{id}/employments` body: the employments, or why one could not be read;
/// plus a `next` link if Personio paged them.
#[derive(Debug, Clone, PartialEq)]
pub struct EmploymentsPage {
    pub employments: Result<Vec<Employment>, String>,
    pub next: Option<String>,
}

/// The names an employment's ids stand for, looked up by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    pub department: Option<OrgUnit>,
    pub team: Option<OrgUnit>,
    pub office: Option<OrgUnit>,
}

fn shape(path: &str, detail: impl Into<String>) -> BodyError {
    BodyError::shape(path, detail)
}

/// `_data` of a v2 envelope (a bare list is accepted too).
fn data_list<'v, 'a>(root: &'v Val<'a>) -> Result<&'v [Val<'a>], BodyError> {
    match root {
        Val::List(items) => Ok(items),
        Val::Obj(_) => match root.get("_data") {
            Some(Val::List(items)) => Ok(items),
            Some(Val::Null) => Ok(&[]),
            Some(other) => Err(shape(
                "_data",
                format!("expected a list, found {}", other.kind()),
            )),
            None => Err(shape("_data", "missing")),
        },
        other => Err(shape(
            "$",
            format!("expected an object, found {}", other.kind()),
        )),
    }
}

/// `_meta.links.next.href`, when present and not empty.
pub fn next_href(root: &Val<'_>) -> Option<String> {
    let next = root.get("_meta")?.get("links")?.get("next")?;
    let href = match next {
        Val::Str(_) => next,
        _ => next.get("href")?,
    };
    to_text(href)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Parses one `GET /v2/persons` page.
pub fn parse_persons_page(body: &[u8]) -> Result<PersonsPage, BodyError> {
    let root: Val<'_> = parse_json(body)?;
    let items = data_list(&root)?;
    Ok(PersonsPage {
        persons: items
            .iter()
            .enumerate()
            .map(|(i, p)| parse_person(&format!("_data[{i}]"), p))
            .collect(),
        next: next_href(&root),
    })
}

/// A v2 id: a string of digits or a positive integer.
fn person_id(v: &Val<'_>, path: &str) -> Result<PersonioId, String> {
    match v {
        Val::Int(n) if *n > 0 => Ok(PersonioId(*n)),
        Val::Str(s) if !s.trim().is_empty() => {
            PersonioId::parse(s.trim()).map_err(|e| format!("{path}: {e}"))
        }
        other if other.is_empty_value() => Err(format!("{path}: missing")),
        other => Err(format!(
            "{path}: not a valid Personio id: {}",
            other.to_json()
        )),
    }
}

/// An id of an org unit, office or employment: text, never empty.
fn ref_id(v: &Val<'_>) -> Option<String> {
    match v {
        Val::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Val::Int(n) => Some(n.to_string()),
        Val::UInt(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A plain text field: strings, numbers; `None` for empties; an error for objects and
/// lists (a name is never a structure).
fn text_field(v: Option<&Val<'_>>, path: &str) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(v) if v.is_empty_value() => Ok(None),
        Some(Val::Obj(_) | Val::List(_)) => Err(format!(
            "{path}: expected text, found {}",
            v.map_or("nothing", Val::kind)
        )),
        Some(v) => Ok(to_text(v)),
    }
}

/// Parses one person of `_data`; `prefix` is its JSON path.
pub fn parse_person(prefix: &str, p: &Val<'_>) -> Result<SourceEmployee, MalformedEmployee> {
    if !matches!(p, Val::Obj(_)) {
        return Err(MalformedEmployee {
            id: None,
            reason: format!("{prefix}: expected an object, found {}", p.kind()),
        });
    }
    let id = person_id(p.get("id").unwrap_or(&Val::Null), &format!("{prefix}.id"));
    let mut errors = Vec::new();
    let mut emp = SourceEmployee::new(id.as_ref().map_or(PersonioId(0), |i| *i).key());
    if let Err(e) = &id {
        errors.push(e.clone());
    }
    let mut text = |key: &str| match text_field(p.get(key), &format!("{prefix}.{key}")) {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    emp.first_name = text("first_name");
    emp.last_name = text("last_name");
    emp.preferred_name = text("preferred_name");
    emp.email = text("email");
    emp.gender = text("gender").map(|g| g.to_lowercase());
    emp.status = text("status").map(|s| EmploymentStatus::parse(&s.to_lowercase()));
    match p.get("custom_attributes") {
        None => {}
        Some(v) if v.is_empty_value() => {}
        Some(Val::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                match custom_attribute(&format!("{prefix}.custom_attributes[{i}]"), item) {
                    Ok(a) => emp.attributes.push(a),
                    Err(e) => errors.push(e),
                }
            }
        }
        Some(other) => errors.push(format!(
            "{prefix}.custom_attributes: expected a list, found {}",
            other.kind()
        )),
    }
    match (id, errors.is_empty()) {
        (Ok(_), true) => Ok(emp),
        (id, _) => Err(MalformedEmployee {
            id: id.ok().map(PersonioId::key),
            reason: errors.join("; "),
        }),
    }
}

/// `{"id","type","value","global_id"}` → an [`ExtraAttribute`] keyed by `id`, labelled by
/// `global_id` (or the id), dates as `YYYY-MM-DD`, lists joined with ", ".
fn custom_attribute(path: &str, item: &Val<'_>) -> Result<ExtraAttribute, String> {
    if !matches!(item, Val::Obj(_)) {
        return Err(format!("{path}: expected an object, found {}", item.kind()));
    }
    let key = item
        .get("id")
        .and_then(ref_id)
        .ok_or_else(|| format!("{path}.id: missing"))?;
    let kind = item
        .get("type")
        .and_then(to_text)
        .unwrap_or_else(|| "string".into());
    let global_id = item.get("global_id").and_then(to_text);
    let raw = item.get("value").unwrap_or(&Val::Null);
    let value = match raw {
        Val::Str(s) if kind.eq_ignore_ascii_case("date") => parse_calendar_date(s)
            .map(format_date)
            .or_else(|| to_text(raw)),
        other => to_text(other),
    };
    // v2 lists at most 50 persons a page, each with its own request for employments:
    // not worth interning (v1 does, see `crate::shared::Interner`).
    let key: std::sync::Arc<str> = key.into();
    let universal_id: Option<std::sync::Arc<str>> = global_id.map(Into::into);
    Ok(ExtraAttribute {
        label: universal_id.clone().unwrap_or_else(|| key.clone()),
        key,
        kind: kind.into(),
        universal_id,
        value,
    })
}

/// Parses one `GET /v2/persons/{id}/employments` body.
pub fn parse_employments(body: &[u8]) -> Result<EmploymentsPage, BodyError> {
    let root: Val<'_> = parse_json(body)?;
    let items = data_list(&root)?;
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse_employment(&format!("employments._data[{i}]"), item) {
            Ok(e) => out.push(e),
            Err(e) => errors.push(e),
        }
    }
    Ok(EmploymentsPage {
        employments: if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors.join("; "))
        },
        next: next_href(&root),
    })
}

fn date_of(v: Option<&Val<'_>>, path: &str) -> Result<Option<Date>, String> {
    v.map_or(Ok(None), |v| date_value(v, &path))
}

/// The `id` inside a reference object such as `{"id":"123"}`; a bare id is accepted.
fn ref_of(v: Option<&Val<'_>>, path: &str) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(v) if v.is_empty_value() => Ok(None),
        Some(o @ Val::Obj(_)) => match o.get("id") {
            Some(id) if id.is_empty_value() => Err(format!("{path}.id: missing")),
            None => Err(format!("{path}.id: missing")),
            Some(id) => ref_id(id)
                .map(Some)
                .ok_or_else(|| format!("{path}.id: not an id: {}", id.to_json())),
        },
        Some(other) => ref_id(other)
            .map(Some)
            .ok_or_else(|| format!("{path}: not a reference: {}", other.to_json())),
    }
}

/// Parses one employment; `prefix` is its JSON path.
pub fn parse_employment(prefix: &str, e: &Val<'_>) -> Result<Employment, String> {
    if !matches!(e, Val::Obj(_)) {
        return Err(format!("{prefix}: expected an object, found {}", e.kind()));
    }
    let mut errors = Vec::new();
    let mut out = Employment {
        id: e.get("id").and_then(ref_id),
        ..Employment::default()
    };
    let mut keep = |r: Result<(), String>| {
        if let Err(m) = r {
            errors.push(m);
        }
    };
    keep(
        text_field(e.get("status"), &format!("{prefix}.status"))
            .map(|s| out.status = s.map(|s| s.to_lowercase())),
    );
    keep(
        date_of(
            e.get("employment_start_date"),
            &format!("{prefix}.employment_start_date"),
        )
        .map(|d| out.start = d),
    );
    keep(
        date_of(
            e.get("employment_end_date"),
            &format!("{prefix}.employment_end_date"),
        )
        .map(|d| out.end = d),
    );
    match e.get("termination") {
        None => {}
        Some(t) if t.is_empty_value() => {}
        Some(t @ Val::Obj(_)) => keep(
            date_of(
                t.get("termination_date"),
                &format!("{prefix}.termination.termination_date"),
            )
            .map(|d| out.termination_date = d),
        ),
        Some(other) => keep(Err(format!(
            "{prefix}.termination: expected an object, found {}",
            other.kind()
        ))),
    }
    match e.get("position") {
        None => {}
        Some(p) if p.is_empty_value() => {}
        Some(p @ Val::Obj(_)) => keep(
            text_field(p.get("title"), &format!("{prefix}.position.title"))
                .map(|t| out.position = t),
        ),
        Some(p) => {
            keep(text_field(Some(p), &format!("{prefix}.position")).map(|t| out.position = t))
        }
    }
    let sup_path = format!("{prefix}.supervisor");
    keep(ref_of(e.get("supervisor"), &sup_path).and_then(|id| {
        out.supervisor = id
            .map(|s| PersonioId::parse(&s).map_err(|err| format!("{sup_path}.id: {err}")))
            .transpose()?;
        Ok(())
    }));
    keep(ref_of(e.get("office"), &format!("{prefix}.office")).map(|id| out.office_id = id));
    match e.get("subcompany") {
        None => {}
        Some(s) if s.is_empty_value() => {}
        Some(s @ Val::Obj(_)) => {
            let name = s.get("name").and_then(to_text);
            out.subcompany = name.map(|name| OrgUnit {
                id: s.get("id").and_then(ref_id).and_then(|i| i.parse().ok()),
                name,
            });
        }
        Some(other) => keep(Err(format!(
            "{prefix}.subcompany: expected an object, found {}",
            other.kind()
        ))),
    }
    match e.get("org_units") {
        None => {}
        Some(v) if v.is_empty_value() => {}
        Some(Val::List(units)) => {
            for (i, u) in units.iter().enumerate() {
                let path = format!("{prefix}.org_units[{i}]");
                let kind = u.get("type").and_then(to_text).map(|t| t.to_lowercase());
                let slot = match kind.as_deref() {
                    Some("department") => &mut out.department_id,
                    Some("team") => &mut out.team_id,
                    // Other kinds of org unit are not imported.
                    Some(_) => continue,
                    None => {
                        keep(Err(format!("{path}.type: missing")));
                        continue;
                    }
                };
                match ref_of(Some(u), &path) {
                    Ok(id) => {
                        if slot.is_none() {
                            *slot = id;
                        }
                    }
                    Err(m) => keep(Err(m)),
                }
            }
        }
        Some(other) => keep(Err(format!(
            "{prefix}.org_units: expected a list, found {}",
            other.kind()
        ))),
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.join("; "))
    }
}

/// The employment that describes the person now: among those that have begun
/// (`active`/`leave`) the one with the latest start; else among `onboarding` ones the
/// latest start; else the latest start of all. Ties go to the one listed last; a missing
/// start counts as earliest.
pub fn choose_current(employments: &[Employment]) -> Option<&Employment> {
    let latest = |pred: &dyn Fn(&Employment) -> bool| {
        employments
            .iter()
            .filter(|e| pred(e))
            .max_by(|a, b| a.start.cmp(&b.start))
    };
    let status_in = |set: &'static [&'static str]| {
        move |e: &Employment| e.status.as_deref().is_some_and(|s| set.contains(&s))
    };
    latest(&status_in(&["active", "leave"]))
        .or_else(|| latest(&status_in(&["onboarding"])))
        .or_else(|| latest(&|_| true))
}

/// An org unit or office name for `id` (numeric ids are kept as Personio ids).
pub fn named(id: &str, name: String) -> OrgUnit {
    OrgUnit {
        id: id.parse().ok(),
        name,
    }
}

/// The person with their current employment and its names: status from the employment
/// (else the person), hire date = start, termination date = termination date or end.
pub fn with_employment(
    mut person: SourceEmployee,
    current: Option<&Employment>,
    names: Names,
) -> SourceEmployee {
    let Some(e) = current else {
        return person;
    };
    if let Some(s) = &e.status {
        person.status = Some(EmploymentStatus::parse(s));
    }
    person.hire_date = e.start;
    person.termination_date = e.termination_date.or(e.end);
    person.position = e.position.clone();
    person.supervisor_id = e.supervisor.map(PersonioId::key);
    person.subcompany = e.subcompany.clone();
    person.department = names.department;
    person.team = names.team;
    person.office = names.office;
    person
}

/// The `name` of a `GET /v2/org-units/{id}` or `GET /v2/offices/{id}` answer (bare or in
/// `_data`). A look-up without a name is a body error, never an empty name.
pub fn parse_named(body: &[u8]) -> Result<String, BodyError> {
    let root: Val<'_> = parse_json(body)?;
    let obj = match root.get("_data") {
        Some(d @ Val::Obj(_)) => d,
        _ => &root,
    };
    obj.get("name")
        .and_then(to_text)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| shape("name", "missing"))
}

/// `access_token` and `expires_in` of a `POST /v2/auth/token` answer, or what is wrong.
pub fn parse_token(body: &[u8]) -> Result<(SecretString, Option<Duration>), String> {
    let root: Val<'_> =
        serde_json::from_slice(body).map_err(|e| format!("not a valid token answer: {e}"))?;
    let token = match root.get("access_token") {
        Some(Val::Str(s)) if !s.trim().is_empty() => SecretString::from(s.trim().to_owned()),
        _ => return Err("the token answer holds no access_token".into()),
    };
    let expires_in = match root.get("expires_in") {
        Some(Val::Int(n)) if *n > 0 => Some(Duration::from_secs(n.unsigned_abs())),
        Some(Val::Float(f)) if f.is_finite() && *f > 0.0 => {
            Some(Duration::from_secs_f64(f.min(1e9)))
        }
        Some(Val::Str(s)) => s.trim().parse::<u64>().ok().map(Duration::from_secs),
        _ => None,
    };
    Ok((token, expires_in))
}

/// Resolves a `next.href` against the URL of the page that carried it (RFC 3986: absolute,
/// root-relative, relative or query-only). The result must be on the same origin as
/// `base` (the token goes with it); a root-relative link gets `base`'s path prefix when it
/// lacks it (a base URL such as `https://proxy.example/personio`).
pub fn resolve_next(base: &Url, current: &Url, href: &str) -> Result<Url, String> {
    let href = href.trim();
    let mut url = current
        .join(href)
        .map_err(|e| format!("_meta.links.next.href: not a URL ({e})"))?;
    if url.origin() != base.origin() {
        return Err(format!(
            "_meta.links.next.href points to another host ({}); refusing to send the token there",
            url.host_str().unwrap_or("?")
        ));
    }
    let prefix = base.path().trim_end_matches('/');
    if !prefix.is_empty() && !url.path().starts_with(&format!("{prefix}/")) {
        let path = format!("{prefix}{}", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use time::macros::date;

    const PERSON: &str = r#"{"id":"3003","email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","preferred_name":null,"gender":"FEMALE","status":"ACTIVE","created_at":"2020-01-01T10:00:00Z","updated_at":"2026-01-01T10:00:00Z","custom_attributes":[{"id":"dynamic_33400","type":"string","value":"Hamburg","global_id":null},{"id":"dynamic_305","type":"string","value":"Red","global_id":"color"},{"id":"dynamic_1","type":"date","value":"2024-02-29T00:00:00+01:00","global_id":null},{"id":"dynamic_2","type":"list","value":["a","b"],"global_id":null},{"id":"dynamic_3","type":"integer","value":42,"global_id":null},{"id":"dynamic_4","type":"string","value":"","global_id":null}],"employments":[{"id":"9b2c"}]}"#;

    const EMPLOYMENT: &str = r#"{"id":"e-1","status":"ACTIVE","employment_start_date":"2022-01-12","employment_end_date":null,"position":{"title":"Engineer"},"supervisor":{"id":"7161253"},"office":{"id":"17"},"org_units":[{"type":"department","id":"646241"},{"type":"team","id":"t-9"},{"type":"cost_center","id":"x"}],"subcompany":{"id":"5"},"termination":null}"#;

    fn page(data: &str, meta: &str) -> String {
        format!(r#"{{"_data":[{data}],"_meta":{meta}}}"#)
    }

    #[test]
    fn a_person_with_every_field() {
        let p = parse_persons_page(page(PERSON, "{}").as_bytes()).unwrap();
        assert_eq!(p.next, None);
        let e = p.persons[0].clone().unwrap();
        let mut want = SourceEmployee::new(PersonioId(3003).key());
        want.email = Some("ada@example.com".into());
        want.first_name = Some("Ada".into());
        want.last_name = Some("Lovelace".into());
        want.gender = Some("female".into());
        want.status = Some(EmploymentStatus::Active);
        let extra = |key: &str, label: &str, kind: &str, uid: Option<&str>, v: Option<&str>| {
            ExtraAttribute {
                key: key.into(),
                label: label.into(),
                kind: kind.into(),
                universal_id: uid.map(Into::into),
                value: v.map(Into::into),
            }
        };
        want.attributes = vec![
            extra(
                "dynamic_33400",
                "dynamic_33400",
                "string",
                None,
                Some("Hamburg"),
            ),
            extra("dynamic_305", "color", "string", Some("color"), Some("Red")),
            extra("dynamic_1", "dynamic_1", "date", None, Some("2024-02-29")),
            extra("dynamic_2", "dynamic_2", "list", None, Some("a, b")),
            extra("dynamic_3", "dynamic_3", "integer", None, Some("42")),
            extra("dynamic_4", "dynamic_4", "string", None, None),
        ];
        assert_eq!(e, want);
    }

    #[test]
    fn empties_and_numeric_ids() {
        for empty in ["null", r#""""#, "[]"] {
            let body = page(
                &format!(
                    r#"{{"id":42,"email":{empty},"first_name":{empty},"last_name":{empty},"preferred_name":{empty},"gender":{empty},"status":{empty},"custom_attributes":{empty}}}"#
                ),
                "null",
            );
            let e = parse_persons_page(body.as_bytes()).unwrap().persons[0]
                .clone()
                .unwrap();
            assert_eq!(e, SourceEmployee::new(PersonioId(42).key()), "{empty}");
        }
        let e = parse_persons_page(br#"{"_data":[{"id":"7"}]}"#)
            .unwrap()
            .persons[0]
            .clone()
            .unwrap();
        assert_eq!(e, SourceEmployee::new(PersonioId(7).key()));
        let p = parse_persons_page(br#"{"_data":[]}"#).unwrap();
        assert!(p.persons.is_empty());
        let p = parse_persons_page(br#"{"_data":null,"_meta":{"links":{}}}"#).unwrap();
        assert!(p.persons.is_empty() && p.next.is_none());
    }

    #[test]
    fn malformed_persons_name_the_field() {
        let body = page(
            r#"{"id":"abc"},{"id":"8","first_name":{"x":1}},{"id":"9","custom_attributes":[{"type":"string","value":"x"}]},"str",{"id":"10","custom_attributes":"x"}"#,
            "{}",
        );
        let p = parse_persons_page(body.as_bytes()).unwrap();
        let errs: Vec<MalformedEmployee> = p.persons.into_iter().map(|r| r.unwrap_err()).collect();
        assert_eq!(errs[0].id, None);
        assert!(
            errs[0].reason.starts_with("_data[0].id: "),
            "{}",
            errs[0].reason
        );
        assert_eq!(errs[1].id, Some(PersonioId(8).key()));
        assert_eq!(
            errs[1].reason,
            "_data[1].first_name: expected text, found an object"
        );
        assert_eq!(errs[2].reason, "_data[2].custom_attributes[0].id: missing");
        assert_eq!(
            errs[3].reason,
            "_data[3]: expected an object, found a string"
        );
        assert_eq!(errs[4].id, Some(PersonioId(10).key()));
    }

    #[test]
    fn body_errors() {
        assert!(matches!(
            parse_persons_page(br#"{"_data":[{"id""#),
            Err(BodyError::Syntax(_))
        ));
        assert!(matches!(
            parse_persons_page(br#"{"data":[]}"#),
            Err(BodyError::Shape { .. })
        ));
        assert!(matches!(
            parse_persons_page(br#"{"_data":{"id":"1"}}"#),
            Err(BodyError::Shape { .. })
        ));
        assert!(matches!(
            parse_employments(br#""x""#),
            Err(BodyError::Shape { .. })
        ));
    }

    #[test]
    fn next_links_in_every_form() {
        for (meta, want) in [
            (
                r#"{"links":{"next":{"href":"/v2/persons?cursor=abc&limit=50"}}}"#,
                Some("/v2/persons?cursor=abc&limit=50"),
            ),
            (
                r#"{"links":{"next":{"href":"http://127.0.0.1:9/v2/persons?cursor=x"}}}"#,
                Some("http://127.0.0.1:9/v2/persons?cursor=x"),
            ),
            (r#"{"links":{"next":"?cursor=q"}}"#, Some("?cursor=q")),
            (r#"{"links":{"next":{"href":null}}}"#, None),
            (r#"{"links":{"next":{"href":""}}}"#, None),
            (r#"{"links":{"next":null}}"#, None),
            (r#"{"links":{"self":{"href":"/v2/persons"}}}"#, None),
            ("{}", None),
            ("null", None),
        ] {
            let p = parse_persons_page(page(PERSON, meta).as_bytes()).unwrap();
            assert_eq!(p.next.as_deref(), want, "{meta}");
        }
    }

    #[test]
    fn next_links_resolve_against_the_base() {
        let base = Url::parse("http://127.0.0.1:9100").unwrap();
        let cur = Url::parse("http://127.0.0.1:9100/v2/persons?limit=50").unwrap();
        let r = |href: &str| resolve_next(&base, &cur, href).map(|u| u.to_string());
        assert_eq!(
            r("/v2/persons?cursor=abc&limit=50").unwrap(),
            "http://127.0.0.1:9100/v2/persons?cursor=abc&limit=50"
        );
        assert_eq!(
            r("http://127.0.0.1:9100/v2/persons?cursor=b").unwrap(),
            "http://127.0.0.1:9100/v2/persons?cursor=b"
        );
        assert_eq!(
            r("?cursor=q").unwrap(),
            "http://127.0.0.1:9100/v2/persons?cursor=q"
        );
        assert_eq!(
            r("persons?cursor=z").unwrap(),
            "http://127.0.0.1:9100/v2/persons?cursor=z"
        );
        assert!(r("https://evil.example/v2/persons?cursor=1").is_err());
        assert!(r("http://127.0.0.1:9101/v2/persons").is_err());
        // A base URL with a path prefix keeps it for root-relative links.
        let base = Url::parse("https://proxy.example/personio/").unwrap();
        let cur = Url::parse("https://proxy.example/personio/v2/persons?limit=50").unwrap();
        assert_eq!(
            resolve_next(&base, &cur, "/v2/persons?cursor=c")
                .unwrap()
                .to_string(),
            "https://proxy.example/personio/v2/persons?cursor=c"
        );
        assert_eq!(
            resolve_next(&base, &cur, "/personio/v2/persons?cursor=c")
                .unwrap()
                .to_string(),
            "https://proxy.example/personio/v2/persons?cursor=c"
        );
    }

    #[test]
    fn an_employment_with_every_field() {
        let p = parse_employments(format!(r#"{{"_data":[{EMPLOYMENT}]}}"#).as_bytes()).unwrap();
        let e = p.employments.unwrap().remove(0);
        assert_eq!(
            e,
            Employment {
                id: Some("e-1".into()),
                status: Some("active".into()),
                start: Some(date!(2022 - 01 - 12)),
                end: None,
                termination_date: None,
                position: Some("Engineer".into()),
                supervisor: Some(PersonioId(7161253)),
                office_id: Some("17".into()),
                department_id: Some("646241".into()),
                team_id: Some("t-9".into()),
                subcompany: None,
            }
        );
        let person = parse_persons_page(page(PERSON, "{}").as_bytes())
            .unwrap()
            .persons[0]
            .clone()
            .unwrap();
        let names = Names {
            department: Some(named("646241", "Research".into())),
            team: Some(named("t-9", "Blue".into())),
            office: Some(named("17", "Hamburg".into())),
        };
        let s = with_employment(person.clone(), Some(&e), names);
        assert_eq!(s.status, Some(EmploymentStatus::Active));
        assert_eq!(s.hire_date, Some(date!(2022 - 01 - 12)));
        assert_eq!(s.termination_date, None);
        assert_eq!(s.position.as_deref(), Some("Engineer"));
        assert_eq!(s.supervisor_id, Some(PersonioId(7161253).key()));
        assert_eq!(
            s.department,
            Some(OrgUnit {
                id: Some(646241),
                name: "Research".into()
            })
        );
        assert_eq!(
            s.team,
            Some(OrgUnit {
                id: None,
                name: "Blue".into()
            })
        );
        assert_eq!(s.office.map(|o| o.name), Some("Hamburg".into()));
        assert_eq!(s.subcompany, None);
        // No employment: the person as listed.
        assert_eq!(
            with_employment(person.clone(), None, Names::default()),
            person
        );
    }

    #[test]
    fn termination_and_empty_employment_fields() {
        let body = br#"{"_data":[{"id":"e","status":"INACTIVE","employment_start_date":"2020-01-01","employment_end_date":"2025-06-30","position":null,"supervisor":null,"office":null,"org_units":[],"subcompany":{"id":"3","name":"ACME GmbH"},"termination":{"termination_date":"2025-05-31","last_working_day":"2025-05-30"}},{"status":"LEAVE","employment_start_date":"2021-01-01","employment_end_date":"2025-06-30","termination":{}},{"id":"e3"}]}"#;
        let es = parse_employments(body).unwrap().employments.unwrap();
        assert_eq!(es[0].termination_date, Some(date!(2025 - 05 - 31)));
        assert_eq!(es[0].end, Some(date!(2025 - 06 - 30)));
        assert_eq!(
            es[0].subcompany,
            Some(OrgUnit {
                id: Some(3),
                name: "ACME GmbH".into()
            })
        );
        let s = with_employment(
            SourceEmployee::new(PersonioId(1).key()),
            Some(&es[1]),
            Names::default(),
        );
        assert_eq!(s.termination_date, Some(date!(2025 - 06 - 30)));
        assert_eq!(s.status, Some(EmploymentStatus::Leave));
        assert_eq!(
            es[2],
            Employment {
                id: Some("e3".into()),
                ..Employment::default()
            }
        );
        let s = with_employment(
            SourceEmployee::new(PersonioId(1).key()),
            Some(&es[0]),
            Names::default(),
        );
        assert_eq!(s.termination_date, Some(date!(2025 - 05 - 31)));
        assert_eq!(s.status, Some(EmploymentStatus::Inactive));
        assert!(
            parse_employments(br#"{"_data":[]}"#)
                .unwrap()
                .employments
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_employments_name_the_field() {
        let body = br#"{"_data":[{"employment_start_date":"soon","supervisor":{"id":"x"},"office":{"name":"no id"},"org_units":[{"id":"1"},{"type":"team"}],"termination":"x","position":["a"]}]}"#;
        let err = parse_employments(body).unwrap().employments.unwrap_err();
        for part in [
            r#"employments._data[0].employment_start_date: not a date: "soon""#,
            "employments._data[0].supervisor.id: ",
            "employments._data[0].office.id: missing",
            "employments._data[0].org_units[0].type: missing",
            "employments._data[0].org_units[1].id: missing",
            "employments._data[0].termination: expected an object, found a string",
            "employments._data[0].position: expected text, found a list",
        ] {
            assert!(err.contains(part), "{part} not in {err}");
        }
    }

    #[test]
    fn the_current_employment() {
        let e = |id: &str, status: &str, start: Option<Date>| Employment {
            id: Some(id.into()),
            status: Some(status.into()),
            start,
            ..Employment::default()
        };
        let pick = |es: &[Employment]| choose_current(es).and_then(|e| e.id.clone());
        assert_eq!(pick(&[]), None);
        let old = e("old", "inactive", Some(date!(2010 - 01 - 01)));
        let cur = e("cur", "active", Some(date!(2015 - 01 - 01)));
        let newer_inactive = e("ni", "inactive", Some(date!(2020 - 01 - 01)));
        let future = e("fut", "onboarding", Some(date!(2030 - 01 - 01)));
        let leave = e("leave", "leave", Some(date!(2016 - 01 - 01)));
        assert_eq!(
            pick(&[old.clone(), cur.clone(), newer_inactive.clone()]).as_deref(),
            Some("cur")
        );
        assert_eq!(
            pick(&[cur.clone(), leave.clone()]).as_deref(),
            Some("leave")
        );
        // Someone employed now stays described by the employment they are in, not a
        // future one.
        assert_eq!(pick(&[future.clone(), cur.clone()]).as_deref(), Some("cur"));
        assert_eq!(pick(&[old.clone(), future.clone()]).as_deref(), Some("fut"));
        assert_eq!(
            pick(&[old.clone(), newer_inactive.clone()]).as_deref(),
            Some("ni")
        );
        assert_eq!(
            pick(&[e("a", "active", None), e("b", "active", None)]).as_deref(),
            Some("b")
        );
    }

    #[test]
    fn lookups_and_tokens() {
        assert_eq!(
            parse_named(br#"{"id":"1","type":"department","name":"Research"}"#).unwrap(),
            "Research"
        );
        assert_eq!(
            parse_named(br#"{"_data":{"id":"1","name":"Berlin"}}"#).unwrap(),
            "Berlin"
        );
        assert!(matches!(
            parse_named(br#"{"id":"1","name":""}"#),
            Err(BodyError::Shape { .. })
        ));
        assert!(matches!(
            parse_named(br#"{"id":"1"}"#),
            Err(BodyError::Shape { .. })
        ));
        let (t, exp) = parse_token(
            br#"{"access_token":"papi-xyz","token_type":"Bearer","expires_in":86400,"scope":"x"}"#,
        )
        .unwrap();
        assert_eq!(t.expose_secret(), "papi-xyz");
        assert_eq!(exp, Some(Duration::from_secs(86400)));
        let (_, exp) = parse_token(br#"{"access_token":"a","expires_in":"600"}"#).unwrap();
        assert_eq!(exp, Some(Duration::from_secs(600)));
        let (_, exp) = parse_token(br#"{"access_token":"a"}"#).unwrap();
        assert_eq!(exp, None);
        assert!(parse_token(br#"{"access_token":""}"#).is_err());
        assert!(parse_token(br#"{"error":"invalid_client"}"#).is_err());
        assert!(parse_token(b"nope").is_err());
    }
}
