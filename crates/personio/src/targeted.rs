//! Targeted fetches: the current records of a few people by id, for webhook-triggered and
//! effective-dating runs, with the ids Personio no longer has reported as gone.
//!
//! v1 asks `GET /v1/company/employees/{id}` per id (404 = gone); v2 asks
//! `/v2/persons?id=…` per id (an empty answer, or employments answering 404 = gone) plus
//! the person's employments. Must never report an id as gone unless Personio said so for
//! that id; any other failure is an error for the whole call.

use crate::PersonioId;
use crate::client::Client;
use crate::config::ApiVersion;
use crate::error::Error;
use staffsync_core::{MalformedEmployee, SourceEmployee};
use std::collections::HashSet;

/// What Personio said about the asked-for people. Every asked id (once, duplicates
/// dropped) is in exactly one of `found`, `gone` or `malformed`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetedListing {
    /// Current records, in the order asked.
    pub found: Vec<SourceEmployee>,
    /// Ids Personio answered "not found" for: deleted.
    pub gone: Vec<PersonioId>,
    /// Records that could not be read (each with its id): keep those people as they are.
    pub malformed: Vec<MalformedEmployee>,
    /// HTTP requests sent, retries and name look-ups included (authentication excluded).
    pub requests: usize,
}

/// `ids` without repeats, in first-seen order.
pub(crate) fn unique(ids: &[PersonioId]) -> Vec<PersonioId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// What Personio said about one asked-for person.
pub(crate) enum Outcome {
    Found(Box<SourceEmployee>),
    Malformed(MalformedEmployee),
    Gone(PersonioId),
}

impl TargetedListing {
    pub(crate) fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Found(e) => self.found.push(*e),
            Outcome::Malformed(m) => self.malformed.push(m),
            Outcome::Gone(id) => self.gone.push(id),
        }
    }
}

impl Client {
    /// The current records of `ids` (any status), with those Personio no longer has in
    /// `gone`. Requests run concurrently within the rate limiter; any failure other than
    /// "not found" fails the whole call.
    pub async fn fetch_people(&self, ids: &[PersonioId]) -> Result<TargetedListing, Error> {
        match self.config().api_version {
            ApiVersion::V1 => self.v1_people(ids).await,
            ApiVersion::V2 => self.v2_people(ids).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keeps_the_first_of_each() {
        let ids = [
            PersonioId(3),
            PersonioId(1),
            PersonioId(3),
            PersonioId(2),
            PersonioId(1),
        ];
        assert_eq!(
            unique(&ids),
            vec![PersonioId(3), PersonioId(1), PersonioId(2)]
        );
    }
}
