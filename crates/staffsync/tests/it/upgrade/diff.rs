//! Where two JSON answers differ, by JSON path (`$.employees[3].department`), so a failed
//! upgrade says which field of which answer changed rather than printing two documents.

use serde_json::Value;

/// Differences reported per answer at most; the rest are counted.
const PER_ANSWER: usize = 10;

/// Every place where `now` differs from `was`, as `path: now (was …)`; a field that is
/// gone or new is named as such. Exact: numbers, strings, nulls, list order and length.
pub fn json_differences(was: &Value, now: &Value) -> Vec<String> {
    json_differences_but(was, now, |_| false)
}

/// [`json_differences`] leaving out those `allowed` says may differ.
pub fn json_differences_but(
    was: &Value,
    now: &Value,
    allowed: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", was, now, &mut out);
    out.retain(|d| !allowed(d));
    if out.len() > PER_ANSWER {
        let more = out.len() - PER_ANSWER;
        out.truncate(PER_ANSWER);
        out.push(format!("… and {more} more differences in this answer"));
    }
    out
}

fn walk(path: &str, was: &Value, now: &Value, out: &mut Vec<String>) {
    match (was, now) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, va) in a {
                let at = format!("{path}.{key}");
                match b.get(key) {
                    Some(vb) => walk(&at, va, vb, out),
                    None => out.push(format!("{at}: missing (was {})", short(va))),
                }
            }
            for (key, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(format!("{path}.{key}: new field {}", short(vb)));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!("{path}: {} items (was {})", b.len(), a.len()));
            }
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if was == now => {}
        _ => out.push(format!("{path}: {} (was {})", short(now), short(was))),
    }
}

/// A value as JSON, cut to a line's length.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_each_changed_missing_and_new_field_by_path() {
        let was = json!({"employees": [{"id": 1, "department": "Sales"}, {"id": 2}], "count": 2});
        let now = json!({"employees": [{"id": 1, "department": "Vertrieb", "key": 9}], "count": 2});
        assert_eq!(
            json_differences(&was, &now),
            [
                "$.employees: 1 items (was 2)",
                "$.employees[0].department: \"Vertrieb\" (was \"Sales\")",
                "$.employees[0].key: new field 9",
            ]
        );
        assert_eq!(
            json_differences(&json!({"a": {"b": null}}), &json!({"a": {}})),
            ["$.a.b: missing (was null)"]
        );
        assert!(json_differences(&was, &was.clone()).is_empty());
        // 1 and 1.0 are different answers.
        assert_eq!(json_differences(&json!(1), &json!(1.0)), ["$: 1.0 (was 1)"]);
    }

    #[test]
    fn stops_listing_after_ten_per_answer() {
        let was = json!((0..30).collect::<Vec<_>>());
        let now = json!((100..130).collect::<Vec<_>>());
        let found = json_differences(&was, &now);
        assert_eq!(found.len(), PER_ANSWER + 1);
        assert_eq!(
            found[PER_ANSWER],
            "… and 20 more differences in this answer"
        );
    }
}
