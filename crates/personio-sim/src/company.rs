//! The simulator's own model of a company and its deterministic generator.
//!
//! Same seed and same `today` ⇒ same company, on every machine and every version of the
//! dependencies (the generator uses `rng.rs`, never `rand`). Holds plain data only: it must
//! never hold rendered JSON (pages are rendered on request by `render.rs`) and must never
//! know about HTTP, tokens or faults.

use crate::attributes;
use crate::names;
use crate::rng::{Rng, fnv1a};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use time::{Date, Duration, OffsetDateTime, Time};

/// Text that is usually one of the generator's words (no allocation) but may be owned.
pub(crate) type Text = Cow<'static, str>;

/// Employment status as Personio names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Onboarding,
    Active,
    Leave,
    Inactive,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Onboarding => "onboarding",
            Status::Active => "active",
            Status::Leave => "leave",
            Status::Inactive => "inactive",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        match s {
            "onboarding" => Some(Status::Onboarding),
            "active" => Some(Status::Active),
            "leave" => Some(Status::Leave),
            "inactive" => Some(Status::Inactive),
            _ => None,
        }
    }
}

/// A department, office, team, subcompany or cost center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Org {
    pub id: u64,
    pub name: String,
}

/// Why [`Company::rename_org`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RenameError {
    NotFound,
    Invalid(String),
}

/// Which kind of organisational unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrgKind {
    Department,
    Office,
    Team,
    Subcompany,
    CostCenter,
}

/// One employee, in the simulator's terms. Strings hold `None` for "empty"; how an empty
/// value is rendered (`null` or `""`) is decided by `render.rs` from `style`.
#[derive(Debug, Clone)]
pub(crate) struct Employee {
    pub id: u64,
    pub first_name: Text,
    pub last_name: Text,
    pub preferred_name: Option<Text>,
    pub email: String,
    pub gender: Option<Text>,
    pub status: Status,
    pub position: Option<Text>,
    pub employment_type: Option<Text>,
    pub weekly_working_hours: Option<Text>,
    pub hire_date: Option<Date>,
    pub contract_end_date: Option<Date>,
    pub termination_date: Option<Date>,
    pub termination_type: Option<Text>,
    pub termination_reason: Option<Text>,
    pub last_working_day: Option<Date>,
    pub department: Option<u64>,
    pub office: Option<u64>,
    pub team: Option<u64>,
    pub subcompany: Option<u64>,
    pub supervisor_id: Option<u64>,
    /// `(cost center id, percentage)`.
    pub cost_centers: Vec<(u64, u8)>,
    pub standort: Option<Text>,
    pub seniority_since: Option<Date>,
    pub languages: Option<Text>,
    /// The custom "Geburtsdatum" (derived from the id, not drawn from the company's
    /// random stream, so adding it changed no other generated value).
    pub birth_date: Option<Date>,
    pub created_at: OffsetDateTime,
    /// When every attribute last changed, unless `changed` says otherwise.
    pub base_modified: OffsetDateTime,
    /// Per-attribute change times (Personio keys) recorded by mutations.
    pub changed: Vec<(&'static str, OffsetDateTime)>,
    /// Rendering variety: bit 0 = compact `+0100` offsets, bits 1.. pick `null` vs `""`.
    pub style: u8,
}

impl Employee {
    /// The latest change of any attribute.
    pub(crate) fn last_modified(&self) -> OffsetDateTime {
        self.changed
            .iter()
            .map(|(_, t)| *t)
            .fold(self.base_modified, OffsetDateTime::max)
    }

    /// When the attribute `key` last changed.
    pub(crate) fn attr_modified(&self, key: &str) -> OffsetDateTime {
        self.changed
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, t)| *t)
            .fold(self.base_modified, OffsetDateTime::max)
    }

    /// Records that `key` changed at `now`.
    pub(crate) fn touch(&mut self, key: &'static str, now: OffsetDateTime) {
        match self.changed.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = now,
            None => self.changed.push((key, now)),
        }
    }
}

/// The whole simulated account.
#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub name: String,
    pub domain: String,
    pub departments: Vec<Org>,
    pub offices: Vec<Org>,
    pub teams: Vec<Org>,
    pub subcompanies: Vec<Org>,
    pub cost_centers: Vec<Org>,
    /// In listing order.
    pub employees: Vec<Employee>,
    index: HashMap<u64, usize>,
    /// Bumped whenever the listing gains or loses an employee (v2 cursors carry it).
    pub generation: u64,
    next_id: u64,
    next_org_id: u64,
    rng: Rng,
}

fn take_some<'a>(rng: &mut Rng, items: &'a [&'a str], min: usize, max: usize) -> Vec<&'a str> {
    let mut pool: Vec<&str> = items.to_vec();
    // Fisher–Yates with our own generator.
    for i in (1..pool.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        pool.swap(i, j);
    }
    let n = min + rng.below((max - min + 1) as u64) as usize;
    pool.truncate(n.min(pool.len()));
    pool
}

/// ASCII-folds a name for an e-mail local part: lowercase, umlauts spelled out, accents
/// dropped, markup and anything else outside `[a-z0-9-]` removed.
pub(crate) fn fold_for_email(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        if in_tag {
            in_tag = c != '>';
            continue;
        }
        let folded: &str = match c {
            '<' => {
                in_tag = true;
                ""
            }
            'ä' | 'Ä' | 'æ' | 'Æ' => "ae",
            'ö' | 'Ö' | 'ø' | 'Ø' | 'œ' => "oe",
            'ü' | 'Ü' => "ue",
            'ß' => "ss",
            'á' | 'à' | 'â' | 'ã' | 'å' | 'ą' | 'Á' | 'Å' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'É' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ı' | 'İ' | 'Í' => "i",
            'ó' | 'ò' | 'ô' | 'õ' | 'Ó' => "o",
            'ú' | 'ù' | 'û' | 'Ú' => "u",
            'ý' | 'ÿ' | 'Ý' => "y",
            'ç' | 'ć' | 'č' | 'Ç' | 'Č' => "c",
            'ğ' | 'Ğ' => "g",
            'ł' | 'Ł' => "l",
            'ñ' | 'ń' | 'Ñ' => "n",
            'ř' | 'Ř' => "r",
            'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
            'ž' | 'ź' | 'ż' | 'Ž' | 'Ż' => "z",
            'đ' | 'ð' => "d",
            'þ' => "th",
            '-' => "-",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                ""
            }
            _ => "",
        };
        out.push_str(folded);
    }
    out.trim_matches('-').to_string()
}

/// What a generated employee's status roll produced.
struct Lifecycle {
    status: Status,
    hire: Date,
    termination: Option<Date>,
}

impl Company {
    /// Generates the company for `seed` as of `today`; `now` bounds every timestamp.
    pub(crate) fn generate(employees: usize, seed: u64, today: Date, now: OffsetDateTime) -> Self {
        let mut rng = Rng::new(seed);
        let (name, domain) = *rng.pick(names::COMPANIES);
        let mut next_org_id = 100_000 + rng.below(400_000);
        let mut orgs = |rng: &mut Rng, list: Vec<String>| -> Vec<Org> {
            list.into_iter()
                .map(|name| {
                    next_org_id += 1 + rng.below(5000);
                    Org {
                        id: next_org_id,
                        name,
                    }
                })
                .collect()
        };
        let own = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        let picked = own(take_some(&mut rng, names::DEPARTMENTS, 8, 15));
        let departments = orgs(&mut rng, picked);
        let office_names: Vec<&str> = names::OFFICES.iter().map(|o| o.0).collect();
        let mut offices_picked = take_some(&mut rng, &office_names, 5, 9);
        // Keep Berlin first and always present: it is the headquarters.
        offices_picked.retain(|o| *o != "Berlin");
        offices_picked.insert(0, "Berlin");
        let offices = orgs(&mut rng, own(offices_picked));
        let picked = own(take_some(&mut rng, names::TEAMS, 10, 20));
        let teams = orgs(&mut rng, picked);
        let subcompanies = orgs(
            &mut rng,
            vec![
                format!("{name} GmbH"),
                format!("{name} Österreich GmbH"),
                format!("{name} Schweiz AG"),
            ],
        );
        let n_cc = 6 + rng.below(7);
        let cc_names = (0..n_cc)
            .map(|k| match k % 3 {
                0 => format!("KST {}", 1000 + k * 10),
                1 => format!("CC {} – Verwaltung", 2000 + k * 10),
                _ => format!("Kostenstelle {}", 3000 + k * 10),
            })
            .collect();
        let cost_centers = orgs(&mut rng, cc_names);

        let mut company = Company {
            name: name.to_string(),
            domain: domain.to_string(),
            departments,
            offices,
            teams,
            subcompanies,
            cost_centers,
            employees: Vec::with_capacity(employees),
            index: HashMap::with_capacity(employees),
            generation: 0,
            next_id: 0,
            next_org_id: next_org_id + 1,
            rng: Rng::new(0),
        };

        let mut id = 300_000 + rng.below(500_000);
        let mut emails: HashSet<u64> = HashSet::with_capacity(employees);
        let limit_time = now.min(today.with_time(Time::MIDNIGHT).assume_utc());
        for i in 0..employees {
            id += 1 + rng.below(40);
            let e = company.gen_employee(&mut rng, i, id, today, limit_time, &mut emails);
            company.index.insert(e.id, company.employees.len());
            company.employees.push(e);
        }
        company.next_id = id + 1 + rng.below(40);
        company.rng = Rng::new(seed.rotate_left(17) ^ 0xA5A5_A5A5);
        company
    }

    fn lifecycle(rng: &mut Rng, i: usize, today: Date) -> Lifecycle {
        let past = |rng: &mut Rng, min: i64, max: i64| today - Duration::days(rng.range(min, max));
        let roll = if i == 0 { 999 } else { rng.below(1000) };
        match roll {
            0..=29 => Lifecycle {
                status: Status::Onboarding,
                hire: today + Duration::days(rng.range(1, 90)),
                termination: None,
            },
            30..=59 => Lifecycle {
                status: Status::Leave,
                hire: past(rng, 200, 3650),
                termination: None,
            },
            60..=99 => {
                let hire = past(rng, 120, 4000);
                let span = (today - hire).whole_days();
                let termination = hire + Duration::days(rng.range(60, span.max(61)));
                Lifecycle {
                    status: Status::Inactive,
                    hire,
                    termination: Some(termination.min(today - Duration::days(1))),
                }
            }
            100..=119 => Lifecycle {
                status: Status::Active,
                hire: past(rng, 90, 3000),
                termination: Some(today + Duration::days(rng.range(1, 120))),
            },
            _ => Lifecycle {
                status: Status::Active,
                hire: past(rng, 1, 5475),
                termination: None,
            },
        }
    }

    /// A new e-mail from the names; `emails` holds hashes of those taken (a hash collision
    /// only adds a needless number).
    fn unique_email(&self, emails: &mut HashSet<u64>, first: &str, last: &str) -> String {
        let (f, l) = (fold_for_email(first), fold_for_email(last));
        let base = match (f.is_empty(), l.is_empty()) {
            (true, true) => "employee".to_string(),
            (false, true) => f,
            (true, false) => l,
            (false, false) => format!("{f}.{l}"),
        };
        let mut candidate = format!("{base}@{}", self.domain);
        let mut n = 2;
        while !emails.insert(fnv1a(&[candidate.as_bytes()])) {
            candidate = format!("{base}{n}@{}", self.domain);
            n += 1;
        }
        candidate
    }

    #[allow(clippy::too_many_arguments)]
    fn gen_employee(
        &self,
        rng: &mut Rng,
        i: usize,
        id: u64,
        today: Date,
        limit_time: OffsetDateTime,
        emails: &mut HashSet<u64>,
    ) -> Employee {
        let (first, gender) = if i == 7 || (i > 7 && rng.chance(2)) {
            *rng.pick(names::HTML_FIRST_NAMES)
        } else {
            *rng.pick(names::FIRST_NAMES)
        };
        let last = *rng.pick(names::LAST_NAMES);
        let gender = match rng.below(100) {
            0..=1 => Some(Cow::Borrowed("diverse")),
            2..=4 => None,
            _ => Some(Cow::Borrowed(gender)),
        };
        let email = self.unique_email(emails, first, last);
        let life = Self::lifecycle(rng, i, today);
        let office_idx = rng.below(self.offices.len() as u64) as usize;
        let office = (!rng.chance(20)).then(|| self.offices[office_idx].id);
        let office_name = &self.offices[office_idx].name;
        let office_entry = names::OFFICES.iter().find(|o| o.0 == office_name);
        let country = office_entry.map_or("DE", |o| o.1);
        let standort: Text =
            office_entry.map_or_else(|| Cow::Owned(office_name.clone()), |o| Cow::Borrowed(o.0));
        let subcompany = (!rng.chance(40)).then(|| match country {
            "AT" => self.subcompanies[1].id,
            "CH" => self.subcompanies[2].id,
            _ => self.subcompanies[0].id,
        });
        let cost_centers = match rng.below(100) {
            0..=14 => Vec::new(),
            15..=84 => vec![(rng.pick(&self.cost_centers).id, 100)],
            _ => {
                let a = rng.pick(&self.cost_centers).id;
                let b = rng.pick(&self.cost_centers).id;
                if a == b {
                    vec![(a, 100)]
                } else {
                    vec![(a, 50), (b, 50)]
                }
            }
        };
        let supervisor_id = if i == 0 {
            None
        } else {
            let j = rng.below((i as u64 / 6).max(1)) as usize;
            self.employees.get(j).map(|s| s.id)
        };
        let (termination_type, termination_reason, last_working_day) = match life.termination {
            Some(t) => (
                Some(Cow::Borrowed(*rng.pick(names::TERMINATION_TYPES))),
                (!rng.chance(300)).then(|| Cow::Borrowed(*rng.pick(names::TERMINATION_REASONS))),
                Some(t),
            ),
            None => (None, None, None),
        };
        let contract_end_date = match (life.termination, &termination_type) {
            (Some(t), Some(kind)) if kind == "Befristung ausgelaufen" => Some(t),
            _ if rng.chance(40) => Some(today + Duration::days(rng.range(30, 700))),
            _ => None,
        };
        let created_day = life.hire.min(today) - Duration::days(rng.range(1, 60));
        let created_at = created_day
            .with_time(Time::MIDNIGHT)
            .assume_utc()
            .saturating_add(Duration::seconds(rng.range(7 * 3600, 18 * 3600)))
            .min(limit_time);
        let span = (limit_time - created_at).whole_seconds().max(0);
        let base_modified = created_at + Duration::seconds(rng.range(0, span));
        Employee {
            id,
            first_name: Cow::Borrowed(first),
            last_name: Cow::Borrowed(last),
            preferred_name: rng
                .chance(80)
                .then(|| Cow::Borrowed(*rng.pick(names::NICKNAMES))),
            email,
            gender,
            status: life.status,
            position: (!rng.chance(50)).then(|| Cow::Borrowed(*rng.pick(names::POSITIONS))),
            employment_type: match rng.below(100) {
                0..=5 => Some(Cow::Borrowed("external")),
                6..=7 => None,
                _ => Some(Cow::Borrowed("internal")),
            },
            weekly_working_hours: (!rng.chance(30))
                .then(|| Cow::Borrowed(*rng.pick(names::WEEKLY_HOURS))),
            hire_date: Some(life.hire),
            contract_end_date,
            termination_date: life.termination,
            termination_type,
            termination_reason,
            last_working_day,
            department: (!rng.chance(20)).then(|| rng.pick(&self.departments).id),
            office,
            team: (!rng.chance(200)).then(|| rng.pick(&self.teams).id),
            subcompany,
            supervisor_id,
            cost_centers,
            standort: (!rng.chance(100)).then_some(standort),
            seniority_since: (!rng.chance(200)).then_some(life.hire),
            languages: (!rng.chance(250)).then(|| Cow::Borrowed(*rng.pick(names::LANGUAGES))),
            birth_date: Some(birth_date_for(id, life.hire)),
            created_at,
            base_modified,
            changed: Vec::new(),
            style: (rng.below(256) as u8 & !1) | u8::from(rng.chance(60)),
        }
    }

    /// Position of employee `id` in the listing.
    pub(crate) fn position_of(&self, id: u64) -> Option<usize> {
        self.index.get(&id).copied()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Employee> {
        self.position_of(id).and_then(|i| self.employees.get(i))
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Employee> {
        let i = self.position_of(id)?;
        self.employees.get_mut(i)
    }

    fn reindex(&mut self) {
        self.index = self
            .employees
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
    }

    /// A fresh, unused employee id (larger than every id so far).
    pub(crate) fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1 + self.rng.below(40);
        id
    }

    /// Appends to the end of the listing.
    pub(crate) fn push(&mut self, e: Employee) {
        self.generation += 1;
        self.index.insert(e.id, self.employees.len());
        self.employees.push(e);
    }

    /// Inserts at the front of the listing (everything else shifts by one).
    pub(crate) fn insert_front(&mut self, e: Employee) {
        self.generation += 1;
        self.employees.insert(0, e);
        self.reindex();
    }

    /// Removes employee `id`; false if there was none.
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        match self.position_of(id) {
            Some(i) => {
                self.generation += 1;
                self.employees.remove(i);
                self.reindex();
                true
            }
            None => false,
        }
    }

    pub(crate) fn orgs(&self, kind: OrgKind) -> &[Org] {
        match kind {
            OrgKind::Department => &self.departments,
            OrgKind::Office => &self.offices,
            OrgKind::Team => &self.teams,
            OrgKind::Subcompany => &self.subcompanies,
            OrgKind::CostCenter => &self.cost_centers,
        }
    }

    pub(crate) fn org(&self, kind: OrgKind, id: u64) -> Option<&Org> {
        self.orgs(kind).iter().find(|o| o.id == id)
    }

    /// Renames the unit with this id (ids are unique over all kinds), keeping its id and
    /// every employee in it: what renaming a department or office in Personio does.
    /// Returns the unit's kind; `Err` says why not (unknown id; or an empty name or the
    /// name of another unit of the same kind, which would make units by name ambiguous).
    pub(crate) fn rename_org(&mut self, id: u64, name: &str) -> Result<OrgKind, RenameError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(RenameError::Invalid("name: must not be empty".into()));
        }
        let kinds = [
            OrgKind::Department,
            OrgKind::Office,
            OrgKind::Team,
            OrgKind::Subcompany,
            OrgKind::CostCenter,
        ];
        let kind = kinds
            .into_iter()
            .find(|k| self.org(*k, id).is_some())
            .ok_or(RenameError::NotFound)?;
        if self.orgs(kind).iter().any(|o| o.id != id && o.name == name) {
            return Err(RenameError::Invalid(format!(
                "name: another unit is already called {name:?}"
            )));
        }
        let list = match kind {
            OrgKind::Department => &mut self.departments,
            OrgKind::Office => &mut self.offices,
            OrgKind::Team => &mut self.teams,
            OrgKind::Subcompany => &mut self.subcompanies,
            OrgKind::CostCenter => &mut self.cost_centers,
        };
        if let Some(org) = list.iter_mut().find(|o| o.id == id) {
            org.name = name.to_owned();
        }
        Ok(kind)
    }

    /// The id of the unit called `name`, created if it does not exist yet.
    pub(crate) fn org_by_name(&mut self, kind: OrgKind, name: &str) -> u64 {
        if let Some(o) = self.orgs(kind).iter().find(|o| o.name == name) {
            return o.id;
        }
        self.next_org_id += 1 + self.rng.below(5000);
        let org = Org {
            id: self.next_org_id,
            name: name.to_string(),
        };
        let list = match kind {
            OrgKind::Department => &mut self.departments,
            OrgKind::Office => &mut self.offices,
            OrgKind::Team => &mut self.teams,
            OrgKind::Subcompany => &mut self.subcompanies,
            OrgKind::CostCenter => &mut self.cost_centers,
        };
        list.push(org);
        self.next_org_id
    }

    /// A blank employee (hire or rehire starting point), not yet in the listing.
    pub(crate) fn blank_employee(&mut self, now: OffsetDateTime) -> Employee {
        Employee {
            id: self.allocate_id(),
            first_name: Cow::Borrowed(""),
            last_name: Cow::Borrowed(""),
            preferred_name: None,
            email: String::new(),
            gender: None,
            status: Status::Active,
            position: None,
            employment_type: Some(Cow::Borrowed("internal")),
            weekly_working_hours: Some(Cow::Borrowed("40")),
            hire_date: None,
            contract_end_date: None,
            termination_date: None,
            termination_type: None,
            termination_reason: None,
            last_working_day: None,
            department: None,
            office: None,
            team: None,
            subcompany: None,
            supervisor_id: None,
            cost_centers: Vec::new(),
            standort: None,
            seniority_since: None,
            languages: None,
            birth_date: None,
            created_at: now,
            base_modified: now,
            changed: Vec::new(),
            style: (self.rng.below(256) as u8) & !1,
        }
    }

    /// A random new hire (for `shift_listing`): active since today, unique e-mail.
    pub(crate) fn random_new_hire(&mut self, today: Date, now: OffsetDateTime) -> Employee {
        let mut e = self.blank_employee(now);
        let (first, gender) = *self.rng.pick(names::FIRST_NAMES);
        let last = *self.rng.pick(names::LAST_NAMES);
        let mut emails: HashSet<u64> = self
            .employees
            .iter()
            .map(|e| fnv1a(&[e.email.as_bytes()]))
            .collect();
        e.email = self.unique_email(&mut emails, first, last);
        e.first_name = Cow::Borrowed(first);
        e.last_name = Cow::Borrowed(last);
        e.gender = Some(Cow::Borrowed(gender));
        e.hire_date = Some(today);
        e.seniority_since = Some(today);
        e.birth_date = Some(birth_date_for(e.id, today));
        e.position = Some(Cow::Borrowed(*self.rng.pick(names::POSITIONS)));
        if !self.departments.is_empty() {
            e.department = Some(self.rng.pick(&self.departments).id);
        }
        if let Some(office) = self.offices.first() {
            e.office = Some(office.id);
            e.standort = Some(Cow::Owned(office.name.clone()));
        }
        if !self.employees.is_empty() {
            let j = self.rng.below(self.employees.len() as u64) as usize;
            e.supervisor_id = self.employees.get(j).map(|s| s.id);
        }
        e
    }
}

/// Personio attribute keys a simulator field maps to (for change tracking).
pub(crate) fn personio_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "supervisor_id" => "supervisor",
        "first_name" => "first_name",
        "last_name" => "last_name",
        "preferred_name" => "preferred_name",
        "email" => "email",
        "gender" => "gender",
        "status" => "status",
        "position" => "position",
        "employment_type" => "employment_type",
        "weekly_working_hours" => "weekly_working_hours",
        "hire_date" => "hire_date",
        "contract_end_date" => "contract_end_date",
        "termination_date" => "termination_date",
        "termination_type" => "termination_type",
        "termination_reason" => "termination_reason",
        "last_working_day" => "last_working_day",
        "department" => "department",
        "office" => "office",
        "team" => "team",
        "subcompany" => "subcompany",
        "cost_centers" => "cost_centers",
        attributes::STANDORT => attributes::STANDORT,
        attributes::SENIORITY => attributes::SENIORITY,
        attributes::LANGUAGES => attributes::LANGUAGES,
        attributes::BIRTH_DATE => attributes::BIRTH_DATE,
        _ => return None,
    })
}

/// A birth date for employee `id` hired on `hire`: 18 to 62 years before the hire date,
/// spread over the year by a hash of the id.
pub(crate) fn birth_date_for(id: u64, hire: Date) -> Date {
    let h = crate::rng::fnv1a(&[b"birth", &id.to_le_bytes()]);
    let days = 18 * 365 + (h % (44 * 365)) as i64;
    hire - Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn folds_names_for_email() {
        assert_eq!(fold_for_email("Jürgen"), "juergen");
        assert_eq!(fold_for_email("Łukasz"), "lukasz");
        assert_eq!(fold_for_email("O'Brien"), "obrien");
        assert_eq!(fold_for_email("<b>Ana</b>"), "ana");
        assert_eq!(fold_for_email("Ørsted"), "oersted");
        assert_eq!(fold_for_email("Çelik"), "celik");
        assert_eq!(fold_for_email("van der Berg"), "vanderberg");
    }

    #[test]
    fn supervisors_form_a_tree() {
        let c = Company::generate(
            2000,
            3,
            date!(2026 - 03 - 01),
            datetime!(2026-03-01 12:00 UTC),
        );
        let roots = c
            .employees
            .iter()
            .filter(|e| e.supervisor_id.is_none())
            .count();
        assert_eq!(roots, 1);
        for e in &c.employees {
            let mut seen = 0;
            let mut cur = e.supervisor_id;
            while let Some(s) = cur {
                seen += 1;
                assert!(seen < 2000, "cycle at {}", e.id);
                cur = c.get(s).and_then(|s| s.supervisor_id);
            }
        }
    }
}
