//! Property test: employees rendered to Personio's JSON in every shape the spec allows
//! (arbitrary Unicode with HTML, quotes, backslashes and escaped slashes; empties as
//! `null`/`""`/`[]`/absent; dates with `+01:00`, `+0100` or none; custom attributes of every
//! type) parse back to exactly the employee they were rendered from.

use personio::PersonioId;
use personio::parse::parse_employee_page;
use proptest::prelude::*;
use staffsync_core::dates::format_date;
use staffsync_core::{CostCenter, EmploymentStatus, ExtraAttribute, OrgUnit, SourceEmployee};
use time::Date;

/// A tiny deterministic generator for rendering choices (escapes, empty forms).
struct Choices(u64);
impl Choices {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A JSON string literal with randomly chosen (but valid) escapes.
fn jstr(s: &str, c: &mut Choices) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if c.next(2) == 0 => out.push_str("\\/"),
            '\n' if c.next(2) == 0 => out.push_str("\\n"),
            c0 if (c0 as u32) < 0x20 || c.next(4) == 0 => {
                let mut buf = [0u16; 2];
                for unit in c0.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c0 => out.push(c0),
        }
    }
    out.push('"');
    out
}

/// An empty value in one of Personio's forms; `None` means "leave the attribute out".
fn empty(c: &mut Choices, absent_ok: bool) -> Option<&'static str> {
    match c.next(if absent_ok { 4 } else { 3 }) {
        0 => Some("null"),
        1 => Some("\"\""),
        2 => Some("[]"),
        _ => None,
    }
}

fn render_date(d: Date, c: &mut Choices) -> String {
    let ymd = format_date(d);
    match c.next(4) {
        0 => format!("{ymd}T00:00:00+01:00"),
        1 => format!("{ymd}T00:00:00+0100"),
        2 => format!("{ymd}T00:00:00+02:00"),
        _ => ymd,
    }
}

fn attr(key: &str, value: &str, kind: &str, c: &mut Choices) -> String {
    format!(
        r#""{key}":{{"label":{},"value":{value},"type":"{kind}","universal_id":"{key}"}}"#,
        jstr(&format!("Label of {key}"), c)
    )
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>\"'\\\\/&;é😀 a-z]{0,16}",
        Just("<b>\"Ada\"</b> \\ / &amp; 'x'".to_owned()),
        Just(" ".to_owned()),
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text_strategy()).prop_map(|o| o.filter(|s| !s.is_empty()))
}

fn nonempty_text() -> impl Strategy<Value = String> {
    text_strategy().prop_map(|s| if s.is_empty() { "x".to_owned() } else { s })
}

fn date_strategy() -> impl Strategy<Value = Date> {
    (1950i32..2100, 1u16..=365)
        .prop_map(|(y, d)| Date::from_ordinal_date(y, d).unwrap_or(Date::MIN))
}

fn org_unit() -> impl Strategy<Value = Option<OrgUnit>> {
    proptest::option::of(
        (1i64..10_000_000, nonempty_text()).prop_map(|(id, name)| OrgUnit { id: Some(id), name }),
    )
}

fn status() -> impl Strategy<Value = Option<EmploymentStatus>> {
    proptest::option::of(prop_oneof![
        Just(EmploymentStatus::Onboarding),
        Just(EmploymentStatus::Active),
        Just(EmploymentStatus::Leave),
        Just(EmploymentStatus::Inactive),
        Just(EmploymentStatus::Other("paused".into())),
    ])
}

/// A custom attribute: its kind and the value to render (as JSON) plus the expected text.
#[derive(Debug, Clone)]
enum Custom {
    Standard(Option<String>),
    Date(Option<Date>),
    Integer(i64),
    Decimal(i32),
    List(Vec<String>),
    Tags(Vec<String>),
    Multiline(String),
}

fn custom() -> impl Strategy<Value = (Custom, String, Option<String>)> {
    let value = prop_oneof![
        opt_text().prop_map(Custom::Standard),
        proptest::option::of(date_strategy()).prop_map(Custom::Date),
        any::<i64>().prop_map(Custom::Integer),
        any::<i32>().prop_map(Custom::Decimal),
        proptest::collection::vec(nonempty_text(), 0..3).prop_map(Custom::List),
        proptest::collection::vec("[a-zäöü0-9_-][a-zäöü0-9 _-]{0,6}[a-zäöü0-9_-]", 0..4)
            .prop_map(Custom::Tags),
        "[a-z\\n ]{1,20}".prop_map(Custom::Multiline),
    ];
    (value, text_strategy(), opt_text())
}

#[derive(Debug, Clone)]
struct Generated {
    expected: SourceEmployee,
    seed: u64,
    customs: Vec<(Custom, String, Option<String>)>,
}

prop_compose! {
    fn employee()(
        id in 1i64..1_000_000_000_000,
        names in proptest::collection::vec(opt_text(), 7),
        status in status(),
        hire in proptest::option::of(date_strategy()),
        term in proptest::option::of(date_strategy()),
        units in proptest::collection::vec(org_unit(), 4),
        supervisor in proptest::option::of(1i64..1_000_000_000),
        ccs in proptest::collection::vec((1i64..1_000_000, nonempty_text(), 0u8..=100), 0..3),
        customs in proptest::collection::vec(custom(), 0..5),
        seed in any::<u64>(),
    ) -> Generated {
        let mut e = SourceEmployee::new(PersonioId(id).key());
        e.first_name = names[0].clone();
        e.last_name = names[1].clone();
        e.preferred_name = names[2].clone();
        e.email = names[3].clone();
        e.gender = names[4].clone();
        e.position = names[5].clone();
        e.employment_type = names[6].clone();
        e.status = status;
        e.hire_date = hire;
        e.termination_date = term;
        e.department = units[0].clone();
        e.office = units[1].clone();
        e.team = units[2].clone();
        e.subcompany = units[3].clone();
        e.supervisor_id = supervisor.map(PersonioId).map(PersonioId::key);
        e.cost_centers = ccs.into_iter().map(|(id, name, p)| CostCenter {
            id: Some(id), name, percentage: Some(f64::from(p)),
        }).collect();
        Generated { expected: e, seed, customs }
    }
}

/// Renders the employee as a Personio v1 record and completes `expected.attributes`.
fn render(g: &mut Generated) -> String {
    let mut c = Choices(g.seed);
    let e = &mut g.expected;
    let mut parts: Vec<String> = Vec::new();
    if c.next(3) == 0 {
        parts.push(format!(r#""id":{}"#, e.id.0));
    } else {
        parts.push(format!(
            r#""id":{{"label":"ID","value":{},"type":"integer","universal_id":"id"}}"#,
            e.id.0
        ));
    }
    let texts = [
        ("first_name", e.first_name.clone()),
        ("last_name", e.last_name.clone()),
        ("preferred_name", e.preferred_name.clone()),
        ("email", e.email.clone()),
        ("gender", e.gender.clone()),
        ("position", e.position.clone()),
        ("employment_type", e.employment_type.clone()),
        ("status", e.status.as_ref().map(|s| s.as_str().to_owned())),
    ];
    for (key, v) in texts {
        let value = match v {
            Some(s) => Some(jstr(&s, &mut c)),
            None => empty(&mut c, true).map(str::to_owned),
        };
        if let Some(value) = value {
            parts.push(attr(key, &value, "standard", &mut c));
        }
    }
    for (key, d) in [
        ("hire_date", e.hire_date),
        ("termination_date", e.termination_date),
    ] {
        let value = match d {
            Some(d) => Some(format!("\"{}\"", render_date(d, &mut c))),
            None => empty(&mut c, true).map(str::to_owned),
        };
        if let Some(value) = value {
            parts.push(attr(key, &value, "date", &mut c));
        }
    }
    for (key, ty, u) in [
        ("department", "Department", e.department.clone()),
        ("office", "Office", e.office.clone()),
        ("team", "Team", e.team.clone()),
        ("subcompany", "Subcompany", e.subcompany.clone()),
    ] {
        let value = match u {
            Some(u) => Some(format!(
                r#"{{"type":"{ty}","attributes":{{"id":{},"name":{}}}}}"#,
                u.id.unwrap_or(0),
                jstr(&u.name, &mut c)
            )),
            None => empty(&mut c, true).map(str::to_owned),
        };
        if let Some(value) = value {
            parts.push(attr(key, &value, "standard", &mut c));
        }
    }
    let sup = match e.supervisor_id {
        Some(id) => Some(format!(
            r#"{{"type":"Employee","attributes":{{"id":{{"label":"ID","value":{},"type":"integer","universal_id":"id"}},"first_name":{{"label":"First name","value":"Boss","type":"standard","universal_id":"first_name"}}}}}}"#,
            id.0
        )),
        None => empty(&mut c, true).map(str::to_owned),
    };
    if let Some(value) = sup {
        parts.push(attr("supervisor", &value, "standard", &mut c));
    }
    let ccs = if e.cost_centers.is_empty() {
        match c.next(3) {
            0 => Some("[]".to_owned()),
            1 => Some("null".to_owned()),
            _ => None,
        }
    } else {
        let items: Vec<String> = e
            .cost_centers
            .iter()
            .map(|cc| {
                format!(
                    r#"{{"type":"CostCenter","attributes":{{"id":{},"name":{},"percentage":{}}}}}"#,
                    cc.id.unwrap_or(0),
                    jstr(&cc.name, &mut c),
                    cc.percentage.unwrap_or(0.0)
                )
            })
            .collect();
        Some(format!("[{}]", items.join(",")))
    };
    if let Some(value) = ccs {
        parts.push(attr("cost_centers", &value, "standard", &mut c));
    }
    for (i, (custom, label, uid)) in g.customs.iter().enumerate() {
        let key = format!("dynamic_{}", 1000 + i);
        let (kind, value, text): (&str, String, Option<String>) = match custom {
            Custom::Standard(Some(s)) => ("standard", jstr(s, &mut c), Some(s.clone())),
            Custom::Standard(None) => (
                "standard",
                empty(&mut c, false).unwrap_or("null").to_owned(),
                None,
            ),
            Custom::Date(Some(d)) => (
                "date",
                format!("\"{}\"", render_date(*d, &mut c)),
                Some(format_date(*d)),
            ),
            Custom::Date(None) => (
                "date",
                empty(&mut c, false).unwrap_or("null").to_owned(),
                None,
            ),
            Custom::Integer(n) => ("integer", n.to_string(), Some(n.to_string())),
            Custom::Decimal(n) => {
                let f = f64::from(*n) / 4.0;
                ("decimal", f.to_string(), Some(f.to_string()))
            }
            Custom::List(items) => {
                let rendered: Vec<String> = items.iter().map(|s| jstr(s, &mut c)).collect();
                let text = (!items.is_empty()).then(|| items.join(", "));
                ("list", format!("[{}]", rendered.join(",")), text)
            }
            Custom::Tags(items) => {
                let text = (!items.is_empty()).then(|| items.join(", "));
                let inner = match c.next(3) {
                    0 => items.join(","),
                    1 => items.join(", "),
                    _ => serde_json::to_string(items).unwrap_or_default(),
                };
                ("tags", jstr(&inner, &mut c), text)
            }
            Custom::Multiline(s) => ("multiline", jstr(s, &mut c), Some(s.clone())),
        };
        let uid_json = match uid {
            Some(u) => jstr(u, &mut c),
            None => "null".to_owned(),
        };
        parts.push(format!(
            r#""{key}":{{"label":{},"value":{value},"type":"{kind}","universal_id":{uid_json}}}"#,
            jstr(label, &mut c)
        ));
        e.attributes.push(ExtraAttribute {
            key: key.as_str().into(),
            label: if label.is_empty() {
                key.into()
            } else {
                label.as_str().into()
            },
            kind: kind.into(),
            universal_id: uid.as_deref().map(Into::into),
            value: text,
        });
    }
    format!(
        r#"{{"type":"Employee","attributes":{{{}}}}}"#,
        parts.join(",")
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn rendered_employees_parse_back(mut gens in proptest::collection::vec(employee(), 1..4)) {
        let records: Vec<String> = gens.iter_mut().map(render).collect();
        let body = format!(
            r#"{{"success":true,"metadata":{{"total_elements":{n},"current_page":0,"total_pages":1}},"offset":0,"limit":100,"data":[{}]}}"#,
            records.join(","),
            n = records.len()
        );
        let page = parse_employee_page(body.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{body}")))?;
        prop_assert_eq!(page.records.len(), gens.len());
        for (got, g) in page.records.into_iter().zip(&gens) {
            let got = got.map_err(|m| TestCaseError::fail(format!("{m:?}\n{body}")))?;
            prop_assert_eq!(&got, &g.expected, "body: {}", body);
        }
    }
}
