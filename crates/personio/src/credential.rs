//! What the API credential may read, judged against what staffsync needs.
//!
//! [`check_mandatory`] turns the `/attributes` answer into an error naming the first
//! missing mandatory attribute, or warnings for attributes whose absence weakens a rule.
//! It must never guess: an attribute counts as readable only if Personio listed it.

use crate::error::Error;
use staffsync_core::Warning;

/// One attribute the credential may read: from `GET /v1/company/employees/attributes`
/// on v1, the fixed list [`crate::v2::V2_ATTRIBUTES`] on v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    pub key: String,
    pub label: String,
    /// Personio's `type` (standard, date, integer, decimal, list, link, tags, multiline, …).
    pub kind: String,
    pub universal_id: Option<String>,
}

/// Without these staffsync cannot build a directory.
pub const MANDATORY_ATTRIBUTES: &[&str] = &["first_name", "last_name", "email", "department"];

/// Without these some rules (not started, terminated, status) cannot be applied.
pub const RECOMMENDED_ATTRIBUTES: &[&str] = &["hire_date", "termination_date", "status"];

/// `Err(AttributeNotReadable)` naming the first mandatory attribute the credential cannot
/// read; otherwise one warning per recommended attribute it cannot read.
pub fn check_mandatory(readable: &[AttributeInfo]) -> Result<Vec<Warning>, Error> {
    let has = |key: &str| {
        readable
            .iter()
            .any(|a| a.key == key || a.universal_id.as_deref() == Some(key))
    };
    if let Some(missing) = MANDATORY_ATTRIBUTES.iter().find(|k| !has(k)) {
        return Err(Error::AttributeNotReadable {
            attribute: (*missing).to_owned(),
        });
    }
    Ok(RECOMMENDED_ATTRIBUTES
        .iter()
        .filter(|k| !has(k))
        .map(|k| Warning::AttributeNotReadable {
            attribute: (*k).to_owned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(keys: &[&str]) -> Vec<AttributeInfo> {
        keys.iter()
            .map(|k| AttributeInfo {
                key: (*k).into(),
                label: (*k).into(),
                kind: "standard".into(),
                universal_id: Some((*k).into()),
            })
            .collect()
    }

    #[test]
    fn names_the_missing_attribute() {
        let e =
            check_mandatory(&attrs(&["id", "first_name", "last_name", "department"])).unwrap_err();
        assert!(matches!(&e, Error::AttributeNotReadable { attribute } if attribute == "email"));
        assert!(e.to_string().contains("\"email\""));
        let w = check_mandatory(&attrs(&[
            "first_name",
            "last_name",
            "email",
            "department",
            "status",
        ]))
        .unwrap();
        assert_eq!(
            w,
            vec![
                Warning::AttributeNotReadable {
                    attribute: "hire_date".into()
                },
                Warning::AttributeNotReadable {
                    attribute: "termination_date".into()
                }
            ]
        );
    }
}
