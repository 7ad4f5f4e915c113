//! Interpretation of Personio v1 bodies: employee records into [`SourceEmployee`]s, and
//! the attribute listing.
//!
//! Accepts every value shape the API spec lists: attribute objects
//! (`{"label","value","type","universal_id"}`) or bare values, nested
//! department/office/team/subcompany objects, a nested supervisor `Employee`, cost-centre
//! lists, dates with `+01:00`, `+0100` or none (the calendar date is the part before `T`,
//! never converted through UTC), `null`/`""`/`[]` as empty, tags as a comma string or a
//! JSON list inside a string, and any other attribute kept as an [`ExtraAttribute`].
//!
//! A record that cannot be read becomes a [`MalformedEmployee`] whose reason names the
//! field path (`data[3].attributes.hire_date.value: not a date: "x"`); it never makes the
//! rest of the page unreadable. Only a body that is not JSON (or has no page envelope) is a
//! page error. This module must never do I/O, never panic on input, and never invent a
//! value that Personio did not send.

use super::model::{EmployeePage, Envelope};
use crate::PersonioId;
use crate::shared::{Val, date_value};
use staffsync_core::dates::{format_date, parse_calendar_date};
use staffsync_core::{
    CostCenter, EmploymentStatus, ExtraAttribute, MalformedEmployee, OrgUnit, SourceEmployee,
};
use std::fmt;
use std::sync::Arc;

// Re-exported where they lived before both versions shared them.
pub use crate::credential::AttributeInfo;
pub use crate::shared::{BodyError, Interner, to_text};

/// The attribute keys that have their own field in [`SourceEmployee`]; all others become
/// [`ExtraAttribute`]s.
pub const KNOWN_KEYS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "gender",
    "status",
    "position",
    "employment_type",
    "hire_date",
    "termination_date",
    "department",
    "office",
    "team",
    "subcompany",
    "supervisor",
    "cost_centers",
];

/// Standard attributes whose values are dates even if a response labels them otherwise.
const DATE_KEYS: &[&str] = &[
    "contract_end_date",
    "last_working_day",
    "probation_period_end",
    "created_at",
    "last_modified_at",
];

/// One parsed list page: its metadata and each record, read or malformed, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPage {
    pub total_elements: u64,
    pub current_page: Option<u64>,
    pub total_pages: Option<u64>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub records: Vec<Result<SourceEmployee, MalformedEmployee>>,
}

/// Parses one `GET /v1/company/employees` page body.
pub fn parse_employee_page(body: &[u8]) -> Result<ParsedPage, BodyError> {
    let page: EmployeePage<'_> = serde_json::from_slice(body).map_err(BodyError::from_serde)?;
    if page.success == Some(false) {
        return Err(BodyError::Shape {
            path: "success".into(),
            detail: "Personio answered success=false".into(),
        });
    }
    let meta = page.metadata.ok_or_else(|| BodyError::Shape {
        path: "metadata".into(),
        detail: "missing".into(),
    })?;
    let data = page.data.ok_or_else(|| BodyError::Shape {
        path: "data".into(),
        detail: "missing".into(),
    })?;
    let mut interner = Interner::default();
    let records = data
        .iter()
        .enumerate()
        .map(|(i, rec)| parse_employee_with(&format!("data[{i}]"), rec, &mut interner))
        .collect();
    Ok(ParsedPage {
        total_elements: meta.total_elements,
        current_page: meta.current_page,
        total_pages: meta.total_pages,
        offset: page.offset,
        limit: page.limit,
        records,
    })
}

/// Parses a `GET /v1/company/employees/{id}` body.
pub fn parse_single_employee(
    body: &[u8],
) -> Result<Result<SourceEmployee, MalformedEmployee>, BodyError> {
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(BodyError::from_serde)?;
    let data = env.data.ok_or_else(|| BodyError::Shape {
        path: "data".into(),
        detail: "missing".into(),
    })?;
    Ok(parse_employee("data", &data))
}

/// Parses a `GET /v1/company/employees/attributes` body.
pub fn parse_attributes(body: &[u8]) -> Result<Vec<AttributeInfo>, BodyError> {
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(BodyError::from_serde)?;
    let Some(Val::List(items)) = env.data else {
        return Err(BodyError::Shape {
            path: "data".into(),
            detail: "expected a list of attributes".into(),
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let key = item
            .get("key")
            .and_then(to_text)
            .ok_or_else(|| BodyError::Shape {
                path: format!("data[{i}].key"),
                detail: "missing".into(),
            })?;
        out.push(AttributeInfo {
            label: item
                .get("label")
                .and_then(to_text)
                .unwrap_or_else(|| key.clone()),
            kind: item
                .get("type")
                .and_then(to_text)
                .unwrap_or_else(|| "standard".into()),
            universal_id: item.get("universal_id").and_then(to_text),
            key,
        });
    }
    Ok(out)
}

/// An attribute split into its parts; bare values (not wrapped in `{"value":…}`) are
/// accepted too.
struct Attr<'v, 'a, 'p> {
    value: &'v Val<'a>,
    /// The JSON path of `value`, formatted only when an error names it.
    path: FieldPath<'p>,
    label: Option<&'v Val<'a>>,
    kind: Option<&'v Val<'a>>,
    universal_id: Option<&'v Val<'a>>,
}

/// `<prefix>.attributes.<key>[.value]`: built per attribute of every record, so it is kept
/// as parts and only formatted into a reason (a `String` per attribute cost a tenth of the
/// parse time).
#[derive(Clone, Copy)]
struct FieldPath<'p> {
    prefix: &'p str,
    key: &'p str,
    wrapped: bool,
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.attributes.{}", self.prefix, self.key)?;
        if self.wrapped {
            f.write_str(".value")?;
        }
        Ok(())
    }
}

const NULL: Val<'static> = Val::Null;

fn split_attr<'v, 'a, 'p>(prefix: &'p str, key: &'p str, attr: &'v Val<'a>) -> Attr<'v, 'a, 'p> {
    let wrapped = matches!(attr, Val::Obj(_))
        && (attr.get("value").is_some()
            || attr.get("label").is_some()
            || attr.get("universal_id").is_some());
    if wrapped {
        Attr {
            value: attr.get("value").unwrap_or(&NULL),
            path: FieldPath {
                prefix,
                key,
                wrapped: true,
            },
            label: attr.get("label"),
            kind: attr.get("type"),
            universal_id: attr.get("universal_id"),
        }
    } else {
        Attr {
            value: attr,
            path: FieldPath {
                prefix,
                key,
                wrapped: false,
            },
            label: None,
            kind: None,
            universal_id: None,
        }
    }
}

/// Parses one employee record (`{"type":"Employee","attributes":{…}}`); `prefix` is its
/// JSON path, used in error reasons.
pub fn parse_employee(prefix: &str, rec: &Val<'_>) -> Result<SourceEmployee, MalformedEmployee> {
    parse_employee_with(prefix, rec, &mut Interner::default())
}

/// [`parse_employee`], sharing attribute strings through `interner`.
pub fn parse_employee_with(
    prefix: &str,
    rec: &Val<'_>,
    interner: &mut Interner,
) -> Result<SourceEmployee, MalformedEmployee> {
    let Some(attrs @ Val::Obj(members)) = rec.get("attributes") else {
        return Err(MalformedEmployee {
            id: None,
            reason: format!("{prefix}.attributes: expected an object"),
        });
    };
    let id = match attrs.get("id") {
        None => Err(format!("{prefix}.attributes.id: missing")),
        Some(a) => {
            let a = split_attr(prefix, "id", a);
            parse_id(a.value).map_err(|e| format!("{}: {e}", a.path))
        }
    };
    let mut errors: Vec<String> = Vec::new();
    let mut emp = SourceEmployee::new(id.as_ref().map_or(PersonioId(0), |i| *i).key());
    if let Err(e) = &id {
        errors.push(e.clone());
    }

    for (key, raw) in members {
        let key: &str = key;
        let a = split_attr(prefix, key, raw);
        let v = a.value;
        if let Some(slot) = text_slot(&mut emp, key) {
            *slot = to_text(v);
            continue;
        }
        let r: Result<(), String> = match key {
            "id" => Ok(()),
            "status" => {
                emp.status = to_text(v).map(|s| EmploymentStatus::parse(&s));
                Ok(())
            }
            "hire_date" => date_value(v, &a.path).map(|d| emp.hire_date = d),
            "termination_date" => date_value(v, &a.path).map(|d| emp.termination_date = d),
            "department" => org_unit(v, &a.path).map(|u| emp.department = u),
            "office" => org_unit(v, &a.path).map(|u| emp.office = u),
            "team" => org_unit(v, &a.path).map(|u| emp.team = u),
            "subcompany" => org_unit(v, &a.path).map(|u| emp.subcompany = u),
            "supervisor" => {
                supervisor(v, &a.path).map(|s| emp.supervisor_id = s.map(PersonioId::key))
            }
            "cost_centers" => cost_centers(v, &a.path).map(|c| emp.cost_centers = c),
            _ => {
                emp.attributes.push(extra(key, &a, interner));
                Ok(())
            }
        };
        if let Err(e) = r {
            errors.push(e);
        }
    }

    // Pushed one by one, the list would keep up to twice the room it needs for the whole run.
    emp.attributes.shrink_to_fit();
    match (id, errors.is_empty()) {
        (Ok(_), true) => Ok(emp),
        (id, _) => Err(MalformedEmployee {
            id: id.ok().map(PersonioId::key),
            reason: errors.join("; "),
        }),
    }
}

/// The field of a plain text attribute, for the attributes that are stored as text as sent.
fn text_slot<'e>(emp: &'e mut SourceEmployee, key: &str) -> Option<&'e mut Option<String>> {
    Some(match key {
        "first_name" => &mut emp.first_name,
        "last_name" => &mut emp.last_name,
        "preferred_name" => &mut emp.preferred_name,
        "email" => &mut emp.email,
        "gender" => &mut emp.gender,
        "position" => &mut emp.position,
        "employment_type" => &mut emp.employment_type,
        _ => return None,
    })
}

fn parse_id(v: &Val<'_>) -> Result<PersonioId, String> {
    match v {
        Val::Int(n) if *n > 0 => Ok(PersonioId(*n)),
        Val::Str(s) => PersonioId::parse(s).map_err(|e| e.to_string()),
        other if other.is_empty_value() => Err("missing".into()),
        other => Err(format!(
            "not a valid Personio id: {} (expected a positive integer)",
            other.to_json()
        )),
    }
}

/// An id inside a nested object: bare, or wrapped as `{"value": N}`.
fn nested_id<'v, 'a>(v: &'v Val<'a>) -> Option<&'v Val<'a>> {
    match v {
        Val::Obj(_) => v.get("value"),
        other => Some(other),
    }
}

fn org_unit(v: &Val<'_>, path: &dyn fmt::Display) -> Result<Option<OrgUnit>, String> {
    match v {
        v if v.is_empty_value() => Ok(None),
        Val::Str(s) => Ok(Some(OrgUnit {
            id: None,
            name: s.to_string(),
        })),
        Val::Obj(_) => {
            let inner = match v.get("attributes") {
                Some(a @ Val::Obj(_)) => a,
                _ => v,
            };
            let id = match inner.get("id").and_then(nested_id) {
                None | Some(Val::Null) => None,
                Some(Val::Int(n)) => Some(*n),
                Some(Val::Str(s)) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
                Some(Val::Str(s)) if s.is_empty() => None,
                Some(other) => {
                    return Err(format!(
                        "{path}.attributes.id: not an integer: {}",
                        other.to_json()
                    ));
                }
            };
            Ok(inner
                .get("name")
                .and_then(to_text)
                .map(|name| OrgUnit { id, name }))
        }
        other => Err(format!(
            "{path}: expected an object, found {}: {}",
            other.kind(),
            other.to_json()
        )),
    }
}

fn supervisor(v: &Val<'_>, path: &dyn fmt::Display) -> Result<Option<PersonioId>, String> {
    match v {
        v if v.is_empty_value() => Ok(None),
        Val::Int(_) | Val::Str(_) => parse_id(v).map(Some).map_err(|e| format!("{path}: {e}")),
        Val::Obj(_) => {
            let (inner, inner_path) = match v.get("attributes") {
                Some(a @ Val::Obj(_)) => (a, format!("{path}.attributes")),
                _ => (v, path.to_string()),
            };
            match inner.get("id") {
                None => Err(format!("{inner_path}.id: missing")),
                Some(idv @ Val::Obj(_)) => parse_id(idv.get("value").unwrap_or(&NULL))
                    .map(Some)
                    .map_err(|e| format!("{inner_path}.id.value: {e}")),
                Some(idv) => parse_id(idv)
                    .map(Some)
                    .map_err(|e| format!("{inner_path}.id: {e}")),
            }
        }
        other => Err(format!(
            "{path}: expected an object, found {}: {}",
            other.kind(),
            other.to_json()
        )),
    }
}

fn cost_centers(v: &Val<'_>, path: &dyn fmt::Display) -> Result<Vec<CostCenter>, String> {
    let items: &[Val<'_>] = match v {
        v if v.is_empty_value() => return Ok(Vec::new()),
        Val::List(items) => items,
        Val::Obj(_) => std::slice::from_ref(v),
        other => {
            return Err(format!(
                "{path}: expected a list, found {}: {}",
                other.kind(),
                other.to_json()
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item.is_empty_value() {
            continue;
        }
        let inner = match item.get("attributes") {
            Some(a @ Val::Obj(_)) => a,
            _ => item,
        };
        let Some(name) = inner.get("name").and_then(to_text) else {
            return Err(format!("{path}[{i}].attributes.name: missing"));
        };
        let id = match inner.get("id").and_then(nested_id) {
            Some(Val::Int(n)) => Some(*n),
            Some(Val::Str(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let percentage = match inner.get("percentage") {
            Some(Val::Int(n)) => Some(*n as f64),
            Some(Val::Float(f)) => Some(*f),
            Some(Val::Str(s)) => s.trim().parse().ok(),
            _ => None,
        };
        out.push(CostCenter {
            id,
            name,
            percentage,
        });
    }
    Ok(out)
}

/// Tags: a comma-separated string, a JSON list encoded inside a string, or a real list.
fn tags_text(v: &Val<'_>) -> Option<String> {
    let parts: Vec<String> = match v {
        Val::Str(s) => {
            let t = s.trim();
            match t
                .starts_with('[')
                .then(|| serde_json::from_str::<Vec<Val<'_>>>(t).ok())
                .flatten()
            {
                Some(items) => items
                    .iter()
                    .filter_map(to_text)
                    .map(|s| s.trim().to_owned())
                    .collect(),
                None => t.split(',').map(|s| s.trim().to_owned()).collect(),
            }
        }
        Val::List(items) => items
            .iter()
            .filter_map(to_text)
            .map(|s| s.trim().to_owned())
            .collect(),
        other => return to_text(other),
    };
    let parts: Vec<String> = parts.into_iter().filter(|s| !s.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn extra(key: &str, a: &Attr<'_, '_, '_>, interner: &mut Interner) -> ExtraAttribute {
    let kind = a
        .kind
        .and_then(|k| interner.text(k))
        .unwrap_or_else(|| interner.get("standard"));
    let kind_str: &str = &kind;
    let value = if kind_str == "tags" || key == "tags" {
        tags_text(a.value)
    } else if kind_str == "date" || DATE_KEYS.contains(&key) {
        match a.value {
            Val::Str(s) => match parse_calendar_date(s) {
                Some(d) => Some(format_date(d)),
                None => to_text(a.value),
            },
            other => to_text(other),
        }
    } else {
        to_text(a.value)
    };
    let key = interner.get(key);
    ExtraAttribute {
        label: a
            .label
            .and_then(|l| interner.text(l))
            .unwrap_or_else(|| Arc::clone(&key)),
        key,
        kind,
        universal_id: a.universal_id.and_then(|u| interner.text(u)),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn page(data: &str) -> String {
        format!(
            r#"{{"success":true,"metadata":{{"total_elements":1,"current_page":0,"total_pages":1}},"offset":0,"limit":100,"data":[{data}]}}"#
        )
    }

    fn one(attrs: &str) -> Result<SourceEmployee, MalformedEmployee> {
        let body = page(&format!(
            r#"{{"type":"Employee","attributes":{{{attrs}}}}}"#
        ));
        let mut p = parse_employee_page(body.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        p.records.remove(0)
    }

    fn attr(key: &str, value: &str, kind: &str) -> String {
        format!(
            r#""{key}":{{"label":"L {key}","value":{value},"type":"{kind}","universal_id":"{key}"}}"#
        )
    }

    const ID: &str = r#""id":{"label":"ID","value":6205887,"type":"integer","universal_id":"id"}"#;

    #[test]
    fn the_spec_example() {
        let body = r#"{"success":true,
 "metadata":{"total_elements":231,"current_page":0,"total_pages":3},
 "offset":0,"limit":100,
 "data":[{"type":"Employee","attributes":{
   "id":{"label":"ID","value":6205887,"type":"integer","universal_id":"id"},
   "first_name":{"label":"First name","value":"Ada","type":"standard","universal_id":"first_name"},
   "email":{"label":"Email","value":"ada@example.com","type":"standard","universal_id":"email"},
   "status":{"label":"Status","value":"active","type":"standard","universal_id":"status"},
   "hire_date":{"label":"Hire date","value":"2022-01-12T00:00:00+01:00","type":"date","universal_id":"hire_date"},
   "termination_date":{"label":"Termination date","value":null,"type":"date","universal_id":"termination_date"},
   "department":{"label":"Department","value":{"type":"Department","attributes":{"id":646241,"name":"Research"}},"type":"standard","universal_id":"department"},
   "supervisor":{"label":"Supervisor","value":{"type":"Employee","attributes":{"id":{"label":"ID","value":7161253,"type":"integer","universal_id":"id"}}},"type":"standard","universal_id":"supervisor"},
   "cost_centers":{"label":"Cost center","value":[{"type":"CostCenter","attributes":{"id":82957,"name":"CC 1","percentage":100}}],"type":"standard","universal_id":"cost_centers"},
   "dynamic_33400":{"label":"Standort","value":"Hamburg","type":"standard","universal_id":null}
 }}]}"#;
        let p = parse_employee_page(body.as_bytes()).unwrap();
        assert_eq!(p.total_elements, 231);
        assert_eq!(p.total_pages, Some(3));
        assert_eq!(p.limit, Some(100));
        let e = p.records[0].clone().unwrap();
        let mut want = SourceEmployee::new(PersonioId(6205887).key());
        want.first_name = Some("Ada".into());
        want.email = Some("ada@example.com".into());
        want.status = Some(EmploymentStatus::Active);
        want.hire_date = Some(date!(2022 - 01 - 12));
        want.department = Some(OrgUnit {
            id: Some(646241),
            name: "Research".into(),
        });
        want.supervisor_id = Some(PersonioId(7161253).key());
        want.cost_centers = vec![CostCenter {
            id: Some(82957),
            name: "CC 1".into(),
            percentage: Some(100.0),
        }];
        want.attributes = vec![ExtraAttribute {
            key: "dynamic_33400".into(),
            label: "Standort".into(),
            kind: "standard".into(),
            universal_id: None,
            value: Some("Hamburg".into()),
        }];
        assert_eq!(e, want);
    }

    #[test]
    fn dates_in_every_form_keep_the_calendar_date() {
        for v in [
            r#""2026-12-01T00:00:00+01:00""#,
            r#""2026-12-01T00:00:00+0100""#,
            r#""2026-12-01""#,
            r#""2026-12-01T00:00:00Z""#,
        ] {
            let e = one(&format!("{ID},{}", attr("hire_date", v, "date"))).unwrap();
            assert_eq!(e.hire_date, Some(date!(2026 - 12 - 01)), "{v}");
        }
    }

    #[test]
    fn empties_are_none() {
        for empty in ["null", r#""""#, "[]"] {
            let attrs = [
                "first_name",
                "last_name",
                "preferred_name",
                "email",
                "gender",
                "status",
                "position",
                "employment_type",
            ]
            .iter()
            .map(|k| attr(k, empty, "standard"))
            .chain(
                ["hire_date", "termination_date"]
                    .iter()
                    .map(|k| attr(k, empty, "date")),
            )
            .chain(
                [
                    "department",
                    "office",
                    "team",
                    "subcompany",
                    "supervisor",
                    "cost_centers",
                ]
                .iter()
                .map(|k| attr(k, empty, "standard")),
            )
            .chain([attr("dynamic_1", empty, "standard")])
            .collect::<Vec<_>>()
            .join(",");
            let e = one(&format!("{ID},{attrs}")).unwrap();
            let mut want = SourceEmployee::new(PersonioId(6205887).key());
            want.attributes = vec![ExtraAttribute {
                key: "dynamic_1".into(),
                label: "L dynamic_1".into(),
                kind: "standard".into(),
                universal_id: Some("dynamic_1".into()),
                value: None,
            }];
            assert_eq!(e, want, "{empty}");
        }
    }

    #[test]
    fn absent_attributes_are_none_and_bare_values_are_accepted() {
        let e = one(r#""id":42,"email":"a@b.de""#).unwrap();
        assert_eq!(e.id, PersonioId(42).key());
        assert_eq!(e.email.as_deref(), Some("a@b.de"));
        assert_eq!(e.first_name, None);
    }

    #[test]
    fn org_units_holiday_calendar_and_subcompany() {
        let e = one(&format!(
            "{ID},{},{},{},{}",
            attr(
                "office",
                r#"{"type":"Office","attributes":{"id":7,"name":"Hamburg"}}"#,
                "standard"
            ),
            attr(
                "team",
                r#"{"type":"Team","attributes":{"id":8,"name":"Blue"}}"#,
                "standard"
            ),
            attr(
                "subcompany",
                r#"{"type":"Subcompany","attributes":{"id":9,"name":"ACME GmbH"}}"#,
                "standard"
            ),
            attr(
                "holiday_calendar",
                r#"{"type":"HolidayCalendar","attributes":{"id":1,"name":"DE Hamburg","country":"DE","state":"Hamburg"}}"#,
                "standard"
            ),
        ))
        .unwrap();
        assert_eq!(
            e.office,
            Some(OrgUnit {
                id: Some(7),
                name: "Hamburg".into()
            })
        );
        assert_eq!(e.team.map(|t| t.name), Some("Blue".into()));
        assert_eq!(e.subcompany.map(|t| t.id), Some(Some(9)));
        assert_eq!(&*e.attributes[0].key, "holiday_calendar");
        assert_eq!(e.attributes[0].value.as_deref(), Some("DE Hamburg"));
    }

    #[test]
    fn custom_attributes_of_every_type() {
        let e = one(&format!(
            "{ID},{},{},{},{},{},{},{},{},{},{},{}",
            attr("dynamic_1", r#""2024-02-29""#, "date"),
            attr("dynamic_2", "42", "integer"),
            attr("dynamic_3", "12.5", "decimal"),
            attr("dynamic_4", r#"["a","b"]"#, "list"),
            attr("dynamic_5", r#""https:\/\/x.de\/y""#, "link"),
            attr("dynamic_6", r#""a, b,,c ""#, "tags"),
            attr("dynamic_7", r#""line1\nline2""#, "multiline"),
            attr("tags", r#""[\"x\",\"y z\"]""#, "standard"),
            attr("weekly_working_hours", r#""40""#, "standard"),
            attr("created_at", r#""2020-01-01T00:00:00+0100""#, "standard"),
            attr("dynamic_8", r#"{"name":"Opt"}"#, "list"),
        ))
        .unwrap();
        let vals: Vec<(&str, Option<&str>)> = e
            .attributes
            .iter()
            .map(|a| (&*a.key, a.value.as_deref()))
            .collect();
        assert_eq!(
            vals,
            vec![
                ("dynamic_1", Some("2024-02-29")),
                ("dynamic_2", Some("42")),
                ("dynamic_3", Some("12.5")),
                ("dynamic_4", Some("a, b")),
                ("dynamic_5", Some("https://x.de/y")),
                ("dynamic_6", Some("a, b, c")),
                ("dynamic_7", Some("line1\nline2")),
                ("tags", Some("x, y z")),
                ("weekly_working_hours", Some("40")),
                ("created_at", Some("2020-01-01")),
                ("dynamic_8", Some("Opt")),
            ]
        );
        assert_eq!(&*e.attributes[1].kind, "integer");
        assert_eq!(&*e.attributes[1].label, "L dynamic_2");
    }

    #[test]
    fn statuses() {
        for (s, want) in [
            ("onboarding", EmploymentStatus::Onboarding),
            ("active", EmploymentStatus::Active),
            ("leave", EmploymentStatus::Leave),
            ("inactive", EmploymentStatus::Inactive),
            ("paused", EmploymentStatus::Other("paused".into())),
        ] {
            let e = one(&format!(
                "{ID},{}",
                attr("status", &format!("{s:?}"), "standard")
            ))
            .unwrap();
            assert_eq!(e.status, Some(want));
        }
    }

    #[test]
    fn malformed_record_names_the_field_and_keeps_the_id() {
        let body = page(&format!(
            r#"{{"type":"Employee","attributes":{{{ID}}}}},{{"type":"Employee","attributes":{{"id":{{"value":7}},{}}}}}"#,
            attr("hire_date", r#""not a date""#, "date")
        ));
        let p = parse_employee_page(body.as_bytes()).unwrap();
        assert!(p.records[0].is_ok());
        let m = p.records[1].clone().unwrap_err();
        assert_eq!(m.id, Some(PersonioId(7).key()));
        assert_eq!(
            m.reason,
            r#"data[1].attributes.hire_date.value: not a date: "not a date""#
        );
    }

    #[test]
    fn bad_ids() {
        let m = one(r#""email":"x@y.de""#).unwrap_err();
        assert_eq!(m.id, None);
        assert_eq!(m.reason, "data[0].attributes.id: missing");
        let m = one(r#""id":{"value":"abc"}"#).unwrap_err();
        assert!(
            m.reason.starts_with("data[0].attributes.id.value: "),
            "{}",
            m.reason
        );
        let m = one(r#""id":{"value":1.5}"#).unwrap_err();
        assert!(m.reason.contains("1.5"), "{}", m.reason);
        let m = one(&format!(
            "{ID},{}",
            attr(
                "supervisor",
                r#"{"type":"Employee","attributes":{"id":{"value":"x"}}}"#,
                "standard"
            )
        ))
        .unwrap_err();
        assert_eq!(m.id, Some(PersonioId(6205887).key()));
        assert!(
            m.reason
                .starts_with("data[0].attributes.supervisor.value.attributes.id.value: "),
            "{}",
            m.reason
        );
        let body = page(r#""just a string""#);
        let p = parse_employee_page(body.as_bytes()).unwrap();
        assert!(p.records[0].is_err());
    }

    #[test]
    fn page_errors() {
        let cut = page(&format!(r#"{{"type":"Employee","attributes":{{{ID}}}}}"#));
        let cut = &cut.as_bytes()[..cut.len() / 2];
        assert!(matches!(
            parse_employee_page(cut),
            Err(BodyError::Syntax(_))
        ));
        assert!(matches!(
            parse_employee_page(br#"{"success":true,"data":[]}"#),
            Err(BodyError::Shape { .. })
        ));
        assert!(matches!(
            parse_employee_page(br#"{"success":true,"metadata":{"total_elements":"x"},"data":[]}"#),
            Err(BodyError::Shape { .. })
        ));
    }

    #[test]
    fn unicode_and_escapes() {
        let e = one(&format!(
            "{ID},{}",
            attr(
                "first_name",
                r#""J\u00fcrgen <b>\"Q\"<\/b> \\ \ud83d\ude00 Ünïcödé""#,
                "standard"
            )
        ))
        .unwrap();
        assert_eq!(
            e.first_name.as_deref(),
            Some("Jürgen <b>\"Q\"</b> \\ 😀 Ünïcödé")
        );
    }

    #[test]
    fn attributes_list() {
        let body = br#"{"success":true,"data":[{"key":"first_name","label":"First name","type":"standard","universal_id":"first_name","options":[]},{"key":"dynamic_1","label":"Standort","type":"list","universal_id":null,"options":["a"]}]}"#;
        let a = parse_attributes(body).unwrap();
        assert_eq!(
            a,
            vec![
                AttributeInfo {
                    key: "first_name".into(),
                    label: "First name".into(),
                    kind: "standard".into(),
                    universal_id: Some("first_name".into())
                },
                AttributeInfo {
                    key: "dynamic_1".into(),
                    label: "Standort".into(),
                    kind: "list".into(),
                    universal_id: None
                },
            ]
        );
    }

    #[test]
    fn single_employee() {
        let body =
            format!(r#"{{"success":true,"data":{{"type":"Employee","attributes":{{{ID}}}}}}}"#);
        let e = parse_single_employee(body.as_bytes()).unwrap().unwrap();
        assert_eq!(e.id, PersonioId(6205887).key());
    }
}
