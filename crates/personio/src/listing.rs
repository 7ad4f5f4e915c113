//! What a full or incremental fetch returns, in either API version: the [`Listing`] and
//! the [`Progress`] reported while it is fetched.
//!
//! How a listing is proven complete is each version's business (`v1::paging`, `v2::fetch`);
//! this module must never build a `Listing` itself from records it did not check.

use staffsync_core::{MalformedEmployee, SourceEmployee};

/// How far a listing has come; passed to the progress callback after every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub pages_done: usize,
    pub pages_total: usize,
    /// Records received so far (read or malformed).
    pub employees_done: usize,
    /// `total_elements` as Personio reported it.
    pub employees_total: usize,
}

/// A complete, consistent employee listing. `T` is what each record became as its page
/// arrived ([`crate::Client::fetch_all_with`]); by default the record itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T = SourceEmployee> {
    /// In Personio's order.
    pub employees: Vec<T>,
    /// Records that could not be read, each with its id when known and the field at fault.
    pub malformed: Vec<MalformedEmployee>,
    /// `total_elements` as Personio reported it; equals `employees.len() + malformed.len()`.
    pub total_elements: usize,
    /// HTTP requests sent for this listing, retries included (authentication excluded).
    pub requests: usize,
    /// 429 responses received while listing (each was waited out and retried).
    pub rate_limited: usize,
}

impl<T> Listing<T> {
    /// The same listing with every record turned into `f(record)`, one at a time.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            employees: mapped(self.employees, f),
            malformed: self.malformed,
            total_elements: self.total_elements,
            requests: self.requests,
            rate_limited: self.rate_limited,
        }
    }
}

/// `items` mapped by `f` into a list of exactly their number. `collect` would reuse the
/// buffer of `items` for smaller mapped values and keep all of its room: a page of 100
/// parsed records mapped to prepared ones or printed lines kept room for 100 records,
/// 45 MB of empty room over a listing of 100,000.
pub(crate) fn mapped<T, U>(items: Vec<T>, f: impl FnMut(T) -> U) -> Vec<U> {
    let mut out = Vec::with_capacity(items.len());
    out.extend(items.into_iter().map(f));
    out
}
