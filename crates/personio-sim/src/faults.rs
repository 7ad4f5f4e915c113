//! Fault injection: the [`Fault`] type (the JSON body of `POST /_sim/faults`) and the
//! bookkeeping that decides, per employee-list request, which active fault fires.
//!
//! Decides only; the handlers act. Must never touch the network, sleep, or change the
//! company (shifts are reported to the caller, which inserts the employee).

use serde::{Deserialize, Serialize};

/// One fault, written as a JSON object with one key, e.g.
/// `{"fail_page":{"offset":100,"status":500,"times":2}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The next `requests` employee-list requests get 429 (with `Retry-After` when given).
    RateLimitStorm {
        requests: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// The list request for `offset` fails with `status` (default 500), `times` times
    /// (absent = always).
    FailPage {
        offset: u64,
        #[serde(default = "default_status")]
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        times: Option<u32>,
    },
    /// The next `requests` employee-list requests (absent = all) wait `delay_ms` first.
    Slow {
        delay_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requests: Option<u32>,
    },
    /// That page's body is cut off mid-JSON (status 200).
    MalformedJson { offset: u64 },
    /// That employee's `hire_date` is `"not a date"` (list and single).
    MalformedEmployee { id: u64 },
    /// The current token stops working now; a new auth gives a new token.
    RevokeToken {},
    /// After `after_requests` further employee-list requests, one new employee is inserted
    /// at the front of the listing.
    ShiftListing { after_requests: u32 },
    /// Removes `attribute` from the credential's readable set.
    MissingAttribute { attribute: String },
}

fn default_status() -> u16 {
    500
}

/// What the active faults do to one employee-list request, before it is answered.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ListEffect {
    /// Answer 429, with this `Retry-After` if any.
    pub storm: Option<Option<u64>>,
    /// Answer with this status.
    pub fail_status: Option<u16>,
    /// Wait this long before answering.
    pub delay_ms: Option<u64>,
    /// Cut the body off.
    pub malformed_json: bool,
}

/// The faults still armed. Only faults that act per request live here; `revoke_token`
/// and `missing_attribute` act once, when added.
#[derive(Debug, Default)]
pub(crate) struct ActiveFaults {
    faults: Vec<Fault>,
}

impl ActiveFaults {
    pub(crate) fn list(&self) -> &[Fault] {
        &self.faults
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn push(&mut self, f: Fault) {
        self.faults.push(f);
    }

    /// Consumes what fires for a list request at `offset`. A storm answers before
    /// anything else is looked at, so it consumes nothing else.
    pub(crate) fn on_list_request(&mut self, offset: u64) -> ListEffect {
        let mut effect = ListEffect::default();
        for f in &mut self.faults {
            if let Fault::RateLimitStorm {
                requests,
                retry_after,
            } = f
                && *requests > 0
            {
                *requests -= 1;
                effect.storm = Some(*retry_after);
                break;
            }
        }
        if effect.storm.is_none() {
            for f in &mut self.faults {
                match f {
                    Fault::FailPage {
                        offset: o,
                        status,
                        times,
                    } if *o == offset && effect.fail_status.is_none() && *times != Some(0) => {
                        if let Some(t) = times {
                            *t = t.saturating_sub(1);
                        }
                        effect.fail_status = Some(*status);
                    }
                    Fault::Slow { delay_ms, requests }
                        if effect.delay_ms.is_none() && *requests != Some(0) =>
                    {
                        if let Some(n) = requests {
                            *n = n.saturating_sub(1);
                        }
                        effect.delay_ms = Some(*delay_ms);
                    }
                    Fault::MalformedJson { offset: o } if *o == offset => {
                        effect.malformed_json = true;
                    }
                    _ => {}
                }
            }
        }
        self.faults.retain(|f| {
            !matches!(
                f,
                Fault::RateLimitStorm { requests: 0, .. }
                    | Fault::FailPage { times: Some(0), .. }
                    | Fault::Slow {
                        requests: Some(0),
                        ..
                    }
            )
        });
        effect
    }

    /// Counts one served list request toward every `shift_listing`; returns how many
    /// employees to insert now.
    pub(crate) fn count_for_shift(&mut self) -> usize {
        let mut due = 0;
        for f in &mut self.faults {
            if let Fault::ShiftListing { after_requests } = f {
                *after_requests = after_requests.saturating_sub(1);
                if *after_requests == 0 {
                    due += 1;
                }
            }
        }
        self.faults
            .retain(|f| !matches!(f, Fault::ShiftListing { after_requests: 0 }));
        due
    }

    pub(crate) fn is_malformed_employee(&self, id: u64) -> bool {
        self.faults
            .iter()
            .any(|f| matches!(f, Fault::MalformedEmployee { id: i } if *i == id))
    }
}
