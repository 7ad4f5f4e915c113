//! Assembling a paged v1 employee listing and proving it complete.
//!
//! Pages may arrive in any order (they are fetched concurrently); the [`Accumulator`]
//! checks each against the first page's metadata and, at the end, that every page arrived
//! and the counts add up. Any inconsistency (an id twice, `total_elements` changing, a short
//! page that is not the last, a missing page, `current_page` out of place) is an
//! [`Error::IncompleteListing`]. This module must never hand out a partial list as complete.

use super::parse::ParsedPage;
use crate::PersonioId;
use crate::error::Error;
use crate::listing::{Listing, Progress, mapped};
use staffsync_core::{MalformedEmployee, SourceEmployee};
use std::collections::HashSet;

/// The paging plan learned from the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PagePlan {
    pub total: u64,
    /// Items per page as Personio applies it.
    pub limit: u64,
    /// Pages to fetch, the first included (at least 1).
    pub pages: u64,
}

impl PagePlan {
    pub(crate) fn from_first(first: &ParsedPage, requested: u64) -> Result<PagePlan, Error> {
        let total = first.total_elements;
        let n0 = first.records.len() as u64;
        let limit = match first.limit {
            Some(l) if l > 0 => l.min(requested),
            // No `limit` echoed and a short first page although more exist: the server
            // clamped the page size silently.
            _ if n0 > 0 && n0 < requested && n0 < total => n0,
            _ => requested,
        };
        let computed = total.div_ceil(limit);
        let reported = first.total_pages.unwrap_or(computed);
        let consistent = reported == computed || (total == 0 && reported <= 1);
        if !consistent {
            return Err(Error::IncompleteListing {
                detail: format!(
                    "metadata says {reported} pages, but {total} employees at {limit} per page make {computed}"
                ),
            });
        }
        Ok(PagePlan {
            total,
            limit,
            pages: computed.max(1),
        })
    }
}

type Records<T> = Vec<Result<T, MalformedEmployee>>;

/// Collects pages, checking each as it arrives; keeps each record as `T` (see
/// [`Accumulator::add_with`]).
#[derive(Debug)]
pub(crate) struct Accumulator<T = SourceEmployee> {
    plan: PagePlan,
    pages: Vec<Option<Records<T>>>,
    seen: HashSet<PersonioId>,
    pages_done: usize,
    records_done: usize,
}

fn incomplete(detail: String) -> Error {
    Error::IncompleteListing { detail }
}

impl Accumulator<SourceEmployee> {
    /// Adds page `k` (0-based), or explains why the listing cannot be trusted.
    #[cfg(test)]
    pub(crate) fn add(&mut self, k: u64, page: ParsedPage) -> Result<(), Error> {
        self.add_with(k, page, |e| e)
    }
}

impl<T> Accumulator<T> {
    pub(crate) fn new(plan: PagePlan) -> Self {
        let n = usize::try_from(plan.pages)
            .unwrap_or(usize::MAX)
            .min(1 << 20);
        Accumulator {
            plan,
            pages: std::iter::repeat_with(|| None).take(n).collect(),
            seen: HashSet::with_capacity(usize::try_from(plan.total).unwrap_or(0).min(1 << 20)),
            pages_done: 0,
            records_done: 0,
        }
    }

    /// Adds page `k` (0-based), or explains why the listing cannot be trusted; each record
    /// is kept as `map(record)`, so the raw records of a page can go as soon as it is in.
    pub(crate) fn add_with(
        &mut self,
        k: u64,
        page: ParsedPage,
        map: impl Fn(SourceEmployee) -> T,
    ) -> Result<(), Error> {
        let plan = self.plan;
        let offset = k * plan.limit;
        if page.total_elements != plan.total {
            return Err(incomplete(format!(
                "total_elements changed from {} to {} while paging (page at offset {offset})",
                plan.total, page.total_elements
            )));
        }
        if let Some(cp) = page.current_page
            && cp != k
        {
            return Err(incomplete(format!(
                "asked for page {k} (offset {offset}), Personio answered current_page {cp}"
            )));
        }
        let last = k + 1 == plan.pages;
        let expected = if last {
            plan.total.saturating_sub(offset)
        } else {
            plan.limit
        };
        let got = page.records.len() as u64;
        if got != expected {
            return Err(incomplete(format!(
                "the page at offset {offset} held {got} employees, expected {expected}{}",
                if last {
                    " (last page)"
                } else {
                    " (not the last page)"
                }
            )));
        }
        for rec in &page.records {
            let id = match rec {
                Ok(e) => Some(e.id),
                Err(m) => m.id,
            };
            if let Some(id) = id
                && !self.seen.insert(PersonioId::of_key(id))
            {
                return Err(incomplete(format!(
                    "employee {id} was listed twice (again at offset {offset}): the listing shifted while it was paged"
                )));
            }
        }
        let slot = usize::try_from(k)
            .ok()
            .and_then(|i| self.pages.get_mut(i))
            .ok_or_else(|| incomplete(format!("unexpected page {k}")))?;
        if slot.is_some() {
            return Err(incomplete(format!("page {k} received twice")));
        }
        self.records_done += page.records.len();
        self.pages_done += 1;
        *slot = Some(mapped(page.records, |r| r.map(&map)));
        Ok(())
    }

    pub(crate) fn progress(&self) -> Progress {
        Progress {
            pages_done: self.pages_done,
            pages_total: self.pages.len(),
            employees_done: self.records_done,
            employees_total: usize::try_from(self.plan.total).unwrap_or(usize::MAX),
        }
    }

    /// The listing, if every page arrived and the counts add up.
    pub(crate) fn finish(self, requests: usize) -> Result<Listing<T>, Error> {
        let total = usize::try_from(self.plan.total).unwrap_or(usize::MAX);
        let mut employees = Vec::with_capacity(total);
        let mut malformed = Vec::new();
        for (k, page) in self.pages.into_iter().enumerate() {
            let Some(records) = page else {
                return Err(incomplete(format!("page {k} is missing")));
            };
            for rec in records {
                match rec {
                    Ok(e) => employees.push(e),
                    Err(m) => malformed.push(m),
                }
            }
        }
        if employees.len() + malformed.len() != total {
            return Err(incomplete(format!(
                "received {} employees, Personio reported {total}",
                employees.len() + malformed.len()
            )));
        }
        Ok(Listing {
            employees,
            malformed,
            total_elements: total,
            requests,
            rate_limited: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64, current: u64, ids: std::ops::Range<i64>) -> ParsedPage {
        ParsedPage {
            total_elements: total,
            current_page: Some(current),
            total_pages: Some(total.div_ceil(10)),
            offset: Some(current * 10),
            limit: Some(10),
            records: ids
                .map(|i| Ok(SourceEmployee::new(PersonioId(i).key())))
                .collect(),
        }
    }

    fn plan(total: u64) -> PagePlan {
        PagePlan::from_first(&page(total, 0, 1..11), 10).unwrap()
    }

    #[test]
    fn a_mapped_page_keeps_room_for_its_records_only() {
        let mut a = Accumulator::new(plan(25));
        a.add_with(0, page(25, 0, 1..11), |e| e.id).unwrap();
        let kept = a.pages[0].as_ref().unwrap();
        assert_eq!(kept.len(), 10);
        // Reusing the parsed page's buffer would leave room for many more small records.
        assert_eq!(kept.capacity(), 10);
    }

    #[test]
    fn complete_in_any_order() {
        let mut a = Accumulator::new(plan(25));
        a.add(2, page(25, 2, 21..26)).unwrap();
        a.add(0, page(25, 0, 1..11)).unwrap();
        a.add(1, page(25, 1, 11..21)).unwrap();
        let l = a.finish(3).unwrap();
        let ids: Vec<i64> = l.employees.iter().map(|e| e.id.0).collect();
        assert_eq!(ids, (1..26).collect::<Vec<_>>());
    }

    #[test]
    fn inconsistencies() {
        let mut a = Accumulator::new(plan(25));
        a.add(0, page(25, 0, 1..11)).unwrap();
        assert!(matches!(
            a.add(1, page(26, 1, 11..21)),
            Err(Error::IncompleteListing { .. })
        ));
        assert!(matches!(
            a.add(1, page(25, 1, 10..20)),
            Err(Error::IncompleteListing { .. })
        ));
        assert!(matches!(
            a.add(1, page(25, 1, 11..20)),
            Err(Error::IncompleteListing { .. })
        ));
        assert!(matches!(
            a.add(1, page(25, 2, 11..21)),
            Err(Error::IncompleteListing { .. })
        ));
        a.add(1, page(25, 1, 11..21)).unwrap();
        assert!(matches!(a.finish(2), Err(Error::IncompleteListing { .. })));
        let mut bad = page(25, 0, 1..11);
        bad.total_pages = Some(2);
        assert!(PagePlan::from_first(&bad, 10).is_err());
    }

    #[test]
    fn empty_listing() {
        let mut p = page(0, 0, 0..0);
        p.total_pages = Some(0);
        let plan = PagePlan::from_first(&p, 100).unwrap();
        assert_eq!(plan.pages, 1);
        let mut a = Accumulator::new(plan);
        a.add(0, p).unwrap();
        assert_eq!(a.finish(1).unwrap().employees.len(), 0);
    }
}
