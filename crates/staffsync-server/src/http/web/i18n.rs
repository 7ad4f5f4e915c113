//! The web app's texts in German (first) and English, and how the language is chosen.
//!
//! Every visible string comes from here. German wording follows the Honestly help page
//! ("Menü" → "Integration", "Verbinden", Client-ID, Secret) and Personio's own menu names
//! (Einstellungen → API-Zugangsdaten). Templates and handlers name a text with
//! [`key!`]`("nav.integration")`, which does not compile when the text is missing; enums
//! have a `match` per variant below. Only names made from data (a Personio attribute's
//! key) are looked up at run time ([`lookup`]), and their callers say what to show when
//! there is no text.

pub use staffsync_engine::lang::Lang;

/// The text for one value of an enum, in `lang`. The functions below match every variant
/// exhaustively, so a new run kind, run status or group kind without its words is a
/// compile error; a key built at run time (`format!("status.{…}")`) could miss its text
/// unnoticed, which is how targeted and incremental runs once showed as `⟨?⟩`.
fn pick(lang: Lang, (de, en): (&'static str, &'static str)) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// What kind of run it was ("Synchronisation", "Vorschau", …).
pub fn run_kind_text(lang: Lang, kind: staffsync_store::RunKind) -> &'static str {
    use staffsync_store::RunKind as K;
    pick(
        lang,
        match kind {
            K::Full => ("Synchronisation", "Sync"),
            K::DryRun => ("Vorschau", "Preview"),
            K::Targeted => (
                "Gezielt (Ereignis oder Stichtag)",
                "Targeted (event or date)",
            ),
            K::Incremental => ("Änderungsabfrage", "Incremental"),
        },
    )
}

/// What kind of run it was, in the words of the account's source: a file account's full
/// runs are its imports ("Import", "Import-Vorschau"), not "Synchronisation".
pub fn run_kind_text_for(
    lang: Lang,
    kind: staffsync_store::RunKind,
    takes_files: bool,
) -> &'static str {
    use staffsync_store::RunKind as K;
    match (kind, takes_files) {
        (K::Full, true) => pick(lang, ("Import", "Import")),
        (K::DryRun, true) => pick(lang, ("Import-Vorschau", "Import preview")),
        _ => run_kind_text(lang, kind),
    }
}

/// Where a run stands ("Übernommen", "Angehalten (prüfen)", …).
pub fn run_status_text(lang: Lang, status: staffsync_store::RunStatus) -> &'static str {
    use staffsync_store::RunStatus as S;
    pick(
        lang,
        match status {
            S::Running => ("Läuft", "Running"),
            S::Applied => ("Übernommen", "Applied"),
            S::Failed => ("Fehlgeschlagen", "Failed"),
            S::Held => ("Angehalten (prüfen)", "Held (review)"),
            S::DryRun => ("Vorschau", "Preview"),
            S::Interrupted => ("Abgebrochen", "Interrupted"),
            S::Rejected => ("Abgelehnt", "Rejected"),
            S::Superseded => ("Ersetzt (veraltet)", "Superseded"),
            S::Accepted => ("Geprüft und übernommen", "Reviewed and accepted"),
        },
    )
}

/// The singular name of a group kind ("Abteilung").
pub fn group_kind_text(lang: Lang, kind: staffsync_core::GroupKind) -> &'static str {
    use staffsync_core::GroupKind as G;
    pick(
        lang,
        match kind {
            G::Department => ("Abteilung", "Department"),
            G::Office => ("Arbeitsort", "Office"),
            G::Team => ("Team", "Team"),
            G::Position => ("Position", "Position"),
            G::Subcompany => ("Firma", "Subcompany"),
            G::CostCenter => ("Kostenstelle", "Cost center"),
            G::Custom => ("Attribut", "Attribute"),
            G::Tenure => ("Betriebszugehörigkeit", "Tenure"),
            G::Age => ("Alter", "Age"),
            G::IdpGroup => ("Gruppe aus Entra/Okta", "Group from Entra/Okta"),
            G::ReportsDirect => ("Direkt Berichtende", "Direct reports"),
            G::ReportsAll => ("Alle Berichtenden", "All reports"),
        },
    )
}

/// Where an outgoing-webhook delivery stands.
pub fn delivery_status_text(lang: Lang, status: staffsync_store::DeliveryStatus) -> &'static str {
    use staffsync_store::DeliveryStatus as D;
    pick(
        lang,
        match status {
            D::Pending => ("Wird wiederholt", "Retrying"),
            D::Delivered => ("Zugestellt", "Delivered"),
            D::Failed => ("Aufgegeben", "Given up"),
        },
    )
}

/// The plural name of a group kind ("Abteilungen").
pub fn group_kind_plural(lang: Lang, kind: staffsync_core::GroupKind) -> &'static str {
    use staffsync_core::GroupKind as G;
    pick(
        lang,
        match kind {
            G::Department => ("Abteilungen", "Departments"),
            G::Office => ("Arbeitsorte", "Offices"),
            G::Team => ("Teams", "Teams"),
            G::Position => ("Positionen", "Positions"),
            G::Subcompany => ("Firmen", "Subcompanies"),
            G::CostCenter => ("Kostenstellen", "Cost centers"),
            G::Custom => ("Weitere Attribute", "Custom attributes"),
            G::Tenure => ("Betriebszugehörigkeit", "Tenure"),
            G::Age => ("Altersgruppen", "Age groups"),
            G::IdpGroup => ("IdP-Gruppen", "IdP groups"),
            G::ReportsDirect => ("Direkt Berichtende", "Direct reports"),
            G::ReportsAll => ("Alle Berichtenden", "All reports"),
        },
    )
}

/// The preferred supported language of an `Accept-Language` header, if any.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// A text of [`TEXTS`], by its position: made only by [`key!`] (checked while compiling:
/// a key without a text does not build) or by [`Key::lookup`] (for keys that come from
/// data, such as a Personio attribute's, where the caller says what to show instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(usize);

impl Key {
    /// The key named `key`; a compile error when it is used in a constant (as [`key!`]
    /// does) and `key` has no text.
    pub const fn of(key: &str) -> Key {
        let mut i = 0;
        while i < TEXTS.len() {
            if str_eq(TEXTS[i].0, key) {
                return Key(i);
            }
            i += 1;
        }
        panic!("no text for this key in i18n::TEXTS")
    }

    /// The key named `key` when it has a text (keys made from data).
    pub fn lookup(key: &str) -> Option<Key> {
        TEXTS
            .binary_search_by(|(k, _, _)| (*k).cmp(key))
            .ok()
            .map(Key)
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `key!("nav.integration")`: the [`Key`] of a text, checked while compiling.
macro_rules! key {
    ($key:literal) => {{
        const KEY: $crate::http::web::i18n::Key = $crate::http::web::i18n::Key::of($key);
        KEY
    }};
}

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (_, de, en) = TEXTS[key.0];
    pick(lang, (de, en))
}

/// `text` with the source named in it: `{source}` ("Personio", "Mitarbeiterdatei"),
/// `{in_source}` ("in Personio", "in der Mitarbeiterdatei") and `{from_source}` ("aus
/// Personio", …), as `source` says them in `lang`; without a source (before a login),
/// "Personio", the source every account had before there were others.
pub fn with_source(
    lang: Lang,
    text: &str,
    source: Option<&staffsync_engine::sources::SourceKind>,
) -> String {
    if !text.contains('{') {
        return text.to_owned();
    }
    let (name, in_source, from_source) = match source {
        Some(s) => (s.name(lang), s.in_source(lang), s.from_source(lang)),
        None => (
            "Personio",
            "in Personio",
            pick(lang, ("aus Personio", "from Personio")),
        ),
    };
    text.replace("{source}", name)
        .replace("{in_source}", in_source)
        .replace("{from_source}", from_source)
}

/// The noun (or phrase) that follows the count `n`: `one` for exactly one, `many`
/// otherwise, so the pages say "1 Zeile mit Fehlern" and "0 Zeilen mit Fehlern". German
/// and English both use the plural for zero, so one rule serves both languages.
pub fn count_text(lang: Lang, n: usize, one: Key, many: Key) -> &'static str {
    t(lang, if n == 1 { one } else { many })
}

/// The text named `name` in `lang`, when there is one (names made from data).
pub fn lookup(lang: Lang, name: &str) -> Option<&'static str> {
    Key::lookup(name).map(|k| t(lang, k))
}

/// (key, German, English), sorted by key (a test checks).
const TEXTS: &[(&str, &str, &str)] = &[
    (
        "attr.contract_end_date",
        "Vertragsende",
        "Contract end date",
    ),
    ("attr.cost_centers", "Kostenstellen", "Cost centers"),
    ("attr.created_at", "Angelegt am", "Created at"),
    ("attr.department", "Abteilung", "Department"),
    ("attr.email", "E-Mail", "E-mail"),
    (
        "attr.employment_type",
        "Beschäftigungsart",
        "Employment type",
    ),
    ("attr.first_name", "Vorname", "First name"),
    ("attr.gender", "Geschlecht", "Gender"),
    ("attr.hire_date", "Eintrittsdatum", "Hire date"),
    (
        "attr.holiday_calendar",
        "Feiertagskalender",
        "Holiday calendar",
    ),
    ("attr.language", "Sprache", "Language"),
    ("attr.last_modified_at", "Zuletzt geändert", "Last modified"),
    ("attr.last_name", "Nachname", "Last name"),
    (
        "attr.last_working_day",
        "Letzter Arbeitstag",
        "Last working day",
    ),
    ("attr.office", "Arbeitsort (Office)", "Office"),
    ("attr.position", "Position", "Position"),
    ("attr.preferred_name", "Rufname", "Preferred name"),
    ("attr.status", "Status", "Status"),
    ("attr.subcompany", "Firma (Subcompany)", "Subcompany"),
    ("attr.supervisor", "Vorgesetzte:r", "Supervisor"),
    ("attr.team", "Team", "Team"),
    (
        "attr.termination_date",
        "Austrittsdatum",
        "Termination date",
    ),
    (
        "attr.termination_reason",
        "Kündigungsgrund",
        "Termination reason",
    ),
    ("attr.termination_type", "Kündigungsart", "Termination type"),
    (
        "attr.weekly_working_hours",
        "Wochenarbeitszeit (Stunden)",
        "Weekly working hours",
    ),
    (
        "attrnote.hire_date",
        "Ohne Eintrittsdatum kann staffsync nicht erkennen, wer noch nicht angefangen hat: solche Personen würden sofort übernommen.",
        "Without the hire date staffsync cannot tell who has not started yet: such people would be imported at once.",
    ),
    (
        "attrnote.optional",
        "Freiwillig: bildet Gruppen, an die Umfragen verteilt werden können.",
        "Optional: forms groups that surveys can be sent to.",
    ),
    (
        "attrnote.status",
        "Ohne Status kann staffsync Personen in Elternzeit oder inaktive Personen nicht erkennen.",
        "Without the status staffsync cannot recognise people on leave or inactive people.",
    ),
    (
        "attrnote.termination_date",
        "Ohne Austrittsdatum kann staffsync ausgeschiedene Personen nicht am Datum erkennen.",
        "Without the termination date staffsync cannot recognise people who have left by date.",
    ),
    ("common.back", "Zurück", "Back"),
    ("common.next", "Weiter", "Next"),
    ("common.none", "—", "—"),
    ("common.of", "von", "of"),
    ("common.page", "Seite", "Page"),
    ("connect.advanced", "Erweitert", "Advanced"),
    ("connect.api", "Personio-API", "Personio API"),
    (
        "connect.api.v1",
        "v1: bewährt; Änderungen kommen mit der regelmäßigen Abfrage (alle 15 Minuten) und dem vollständigen Abgleich.",
        "v1: proven; changes arrive with the regular poll (every 15 minutes) and the full sync.",
    ),
    (
        "connect.api.v2",
        "v2: Personio meldet Änderungen per Webhook, sie erscheinen nach Sekunden (braucht eine öffentliche Adresse dieses Dienstes).",
        "v2: Personio reports changes by webhook and they appear within seconds (needs a public address for this service).",
    ),
    ("connect.button", "Verbinden", "Connect"),
    ("connect.client_id", "Client-ID", "Client ID"),
    (
        "connect.error.attribute",
        "Die API-Zugangsdaten dürfen das Pflichtattribut „{attr}“ nicht lesen. Setzen Sie in Personio unter Einstellungen → API-Zugangsdaten → Mitarbeiterdaten lesen → Attribute den Haken bei „{attr}“ und klicken Sie dann erneut auf „Verbinden“.",
        "The API credential may not read the mandatory attribute “{attr}”. In Personio, go to Settings → API credentials → Read employee data → Attributes, tick “{attr}” and click “Connect” again.",
    ),
    (
        "connect.error.file_account",
        "Dieses Konto bezieht seine Mitarbeiter aus Mitarbeiterdateien (Mitarbeiter-Upload) und wird nicht mit Personio verbunden. Importieren Sie eine Datei, um die Mitarbeiter zu aktualisieren.",
        "This account takes its people from employee files (Mitarbeiter-Upload) and is not connected to Personio. Import a file to update its people.",
    ),
    (
        "connect.error.missing",
        "Bitte geben Sie Client-ID und Secret ein.",
        "Please enter the client ID and the secret.",
    ),
    (
        "connect.error.not_allowed",
        "Die Personio-URL {url} ist auf diesem Server nicht freigegeben. Lassen Sie das Feld unter „Erweitert“ leer, um Personio (https://api.personio.de) zu verwenden, oder bitten Sie den Betreiber dieses Dienstes, die URL freizugeben.",
        "The Personio URL {url} is not allowed on this server. Leave the field under “Advanced” empty to use Personio (https://api.personio.de), or ask the operator of this service to allow the URL.",
    ),
    (
        "connect.error.not_personio",
        "Unter {url} antwortet keine Personio-API. Bitte prüfen Sie die Personio-URL unter „Erweitert“.",
        "At {url} no Personio API answers. Please check the Personio URL under “Advanced”.",
    ),
    (
        "connect.error.other",
        "Die Verbindung ist fehlgeschlagen. Bitte versuchen Sie es in ein paar Minuten erneut.",
        "Connecting failed. Please try again in a few minutes.",
    ),
    (
        "connect.error.scim_account",
        "Dieses Konto bezieht seine Mitarbeiter von einem Identitätsanbieter (Microsoft Entra ID, Okta) über SCIM und wird nicht mit Personio verbunden.",
        "This account takes its people from an identity provider (Microsoft Entra ID, Okta) over SCIM and is not connected to Personio.",
    ),
    (
        "connect.error.timeout",
        "Personio antwortet nicht rechtzeitig. Bitte versuchen Sie es in ein paar Minuten erneut.",
        "Personio did not answer in time. Please try again in a few minutes.",
    ),
    (
        "connect.error.unavailable",
        "Personio ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten erneut.",
        "Personio cannot be reached right now. Please try again in a few minutes.",
    ),
    (
        "connect.error.unreachable",
        "Personio ist unter {url} nicht erreichbar. Bitte prüfen Sie die Personio-URL unter „Erweitert“ oder versuchen Sie es in ein paar Minuten erneut.",
        "Personio cannot be reached at {url}. Please check the Personio URL under “Advanced” or try again in a few minutes.",
    ),
    (
        "connect.error.url",
        "Das ist keine gültige Personio-URL (unter „Erweitert“).",
        "That is not a valid Personio URL (under “Advanced”).",
    ),
    (
        "connect.error.wrong",
        "Personio hat die Zugangsdaten abgelehnt. Bitte prüfen Sie Client-ID und Secret: Sie finden beide in Personio unter Einstellungen → API-Zugangsdaten.",
        "Personio rejected the credentials. Please check the client ID and the secret: both are in Personio under Settings → API credentials.",
    ),
    (
        "connect.intro",
        "Um Ihre Mitarbeiterdaten zu synchronisieren, braucht Honestly Lesezugriff über die Employee Data API von Personio.",
        "To sync your employee data, Honestly needs read access through Personio's Employee Data API.",
    ),
    (
        "connect.ok",
        "Verbunden. Die erste Synchronisation startet jetzt.",
        "Connected. The first sync starts now.",
    ),
    ("connect.secret", "Secret", "Secret"),
    (
        "connect.secret_again",
        "Geben Sie das Secret bitte erneut ein: Es wird aus Sicherheitsgründen nie angezeigt, auch nicht nach einem Fehler.",
        "Please enter the secret again: for safety it is never shown, not even after an error.",
    ),
    (
        "connect.step1",
        "Öffnen Sie in Personio Einstellungen → API-Zugangsdaten und erstellen Sie neue Zugangsdaten.",
        "In Personio, open Settings → API credentials and create a new credential.",
    ),
    (
        "connect.step2",
        "Geben Sie unter „Mitarbeiterdaten lesen“ → Attribute Leserechte: Pflicht sind Vorname, Nachname, E-Mail und Abteilung; empfohlen sind Eintrittsdatum, Austrittsdatum und Status.",
        "Under “Read employee data” → Attributes grant read access: first name, last name, e-mail and department are mandatory; hire date, termination date and status are recommended.",
    ),
    (
        "connect.step3",
        "Kopieren Sie die generierte Client-ID und das Secret hierher und klicken Sie auf „Verbinden“.",
        "Copy the generated client ID and secret here and click “Connect”.",
    ),
    (
        "connect.title",
        "Mit Personio verbinden",
        "Connect to Personio",
    ),
    ("connect.url", "Personio-URL", "Personio URL"),
    (
        "connect.url_hint",
        "Nur ändern, wenn Ihr Personio-Support es Ihnen sagt.",
        "Only change this if Personio support tells you to.",
    ),
    (
        "csrf.text",
        "Das Formular ist veraltet oder Ihre Sitzung ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es erneut.",
        "The form is out of date or your session has expired. Please reload the page and try again.",
    ),
    ("csrf.title", "Anfrage abgelehnt", "Request refused"),
    (
        "dev.intro",
        "Für die IT oder einen Dienstleister, der andere Programme an dieses Konto anbindet: API-Tokens für die REST-API und Webhooks, die jede übernommene Änderung melden. Die Synchronisation mit Personio braucht nichts von dieser Seite.",
        "For IT or a contractor connecting other programs to this account: API tokens for the REST API and webhooks that report every applied change. Syncing with Personio needs nothing on this page.",
    ),
    (
        "dev.link",
        "Entwickler: API-Tokens und Webhooks",
        "Developers: API tokens and webhooks",
    ),
    (
        "dev.link_text",
        "für die IT, für die Synchronisation nicht nötig",
        "for IT, not needed for syncing",
    ),
    ("dev.title", "Entwickler", "Developers"),
    ("diff.age", "Altersgruppen aus", "Age groups from"),
    ("diff.groups", "Gruppen nach", "Groups by"),
    (
        "diff.guard_value",
        "{share} %, ab {n} Personen",
        "{share} %, from {n} people",
    ),
    ("diff.keep", "Weitere Attribute", "Other attributes kept"),
    (
        "diff.keep_on_leave",
        "Abwesende behalten",
        "Keep people on leave",
    ),
    ("diff.no", "Nein", "No"),
    ("diff.reporting_lines", "Berichtslinien", "Reporting lines"),
    ("diff.tenure", "Betriebszugehörigkeit", "Tenure"),
    ("diff.yes", "Ja", "Yes"),
    ("emp.all_groups", "Alle Gruppen", "All groups"),
    ("emp.count", "Mitarbeiter", "employees"),
    (
        "emp.empty",
        "Keine Mitarbeiter gefunden.",
        "No employees found.",
    ),
    ("emp.filter", "Filtern", "Filter"),
    ("emp.group", "Gruppe", "Group"),
    ("emp.search", "Name oder E-Mail", "Name or e-mail"),
    ("emp.title", "Mitarbeiter", "Employees"),
    (
        "error.bad_request.text",
        "Diese Anfrage ist ungültig. Bitte prüfen Sie die Adresse.",
        "This request is not valid. Please check the address.",
    ),
    (
        "error.bad_request.title",
        "Ungültige Anfrage",
        "Bad request",
    ),
    (
        "error.internal.text",
        "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
        "An internal error occurred. Please try again later.",
    ),
    ("error.internal.title", "Fehler", "Error"),
    (
        "error.method.text",
        "Diese Seite kann so nicht aufgerufen werden.",
        "This page cannot be requested this way.",
    ),
    ("error.method.title", "Nicht erlaubt", "Not allowed"),
    (
        "error.timeout.text",
        "Die Anfrage hat zu lange gedauert und wurde abgebrochen. Bitte versuchen Sie es erneut.",
        "The request took too long and was stopped. Please try again.",
    ),
    ("error.timeout.title", "Zeitüberschreitung", "Timed out"),
    (
        "error.too_large.text",
        "Die gesendeten Daten sind zu groß.",
        "The data sent is too large.",
    ),
    ("error.too_large.title", "Zu groß", "Too large"),
    (
        "fail.address",
        "Die hinterlegte Adresse für {source} ist ungültig oder leitet weiter.",
        "The stored address for {source} is invalid or redirects elsewhere.",
    ),
    (
        "fail.attribute",
        "Die API-Zugangsdaten für {source} dürfen das Pflichtattribut „{attr}“ nicht lesen.",
        "The {source} API credential may not read the mandatory attribute “{attr}”.",
    ),
    (
        "fail.credential",
        "{source} hat die Zugangsdaten abgelehnt. Bitte prüfen Sie Client-ID und Secret und verbinden Sie neu.",
        "{source} rejected the credentials. Please check the client ID and the secret, and connect again.",
    ),
    (
        "fail.inconsistent",
        "{source} hat unvollständige oder widersprüchliche Daten geliefert; zur Sicherheit wurde nichts übernommen.",
        "{source} sent incomplete or inconsistent data; to be safe, nothing was applied.",
    ),
    (
        "fail.internal",
        "Ein interner Fehler in staffsync; der Betreiber sieht die Einzelheiten im Protokoll.",
        "An internal error in staffsync; the operator can see the details in the log.",
    ),
    (
        "fail.not_connected",
        "Das Konto ist nicht mit {source} verbunden.",
        "The account is not connected to {source}.",
    ),
    (
        "fail.original",
        "Meldung aus einer älteren Version (nur auf Englisch gespeichert):",
        "Message from an older version, as it was stored:",
    ),
    (
        "fail.rate_limited",
        "{source} hat zu viele Anfragen abgelehnt (Ratenbegrenzung).",
        "{source} kept refusing requests because of its rate limit.",
    ),
    (
        "fail.refused",
        "{source} hat eine Anfrage abgelehnt.",
        "{source} refused a request.",
    ),
    (
        "fail.refused_status",
        "{source} hat eine Anfrage abgelehnt (HTTP {status}).",
        "{source} refused a request (HTTP {status}).",
    ),
    (
        "fail.timed_out",
        "{source} antwortet nicht rechtzeitig (nicht innerhalb von {seconds} s); die Vorschau wurde abgebrochen. Bitte versuchen Sie es in ein paar Minuten erneut.",
        "{source} did not answer in time (not within {seconds} s); the preview gave up. Please try again in a few minutes.",
    ),
    (
        "fail.unavailable",
        "{source} war nicht erreichbar.",
        "{source} could not be reached.",
    ),
    (
        "fail.unavailable_status",
        "{source} hat mit einem Serverfehler geantwortet (HTTP {status}).",
        "{source} answered with a server error (HTTP {status}).",
    ),
    (
        "fail.wrong_source",
        "Dieses Konto bezieht seine Mitarbeiter {from_source}; dieser Lauf gehörte zu einer anderen Quelle.",
        "This account takes its people {from_source}; this run belonged to another source.",
    ),
    (
        "field.attributes.last_modified_at",
        "Zuletzt geändert in Personio",
        "Last changed in Personio",
    ),
    ("field.department", "Abteilung", "Department"),
    ("field.email", "E-Mail", "E-mail"),
    ("field.first_name", "Vorname", "First name"),
    ("field.groups", "Gruppen", "Groups"),
    ("field.hire_date", "Eintrittsdatum", "Hire date"),
    ("field.import_id", "ImportId", "ImportId"),
    ("field.last_name", "Nachname", "Last name"),
    ("field.name", "Name", "Name"),
    ("field.office", "Arbeitsort", "Office"),
    ("field.position", "Position", "Position"),
    ("field.status", "Status", "Status"),
    (
        "field.supervisor_personio_id",
        "Vorgesetzte:r",
        "Supervisor",
    ),
    ("field.team", "Team", "Team"),
    (
        "field.termination_date",
        "Austrittsdatum",
        "Termination date",
    ),
    (
        "group.reports_all",
        "Alle unter {name}",
        "Everyone under {name}",
    ),
    (
        "group.reports_all.removed",
        "Alle unter einer entfernten Person",
        "Everyone under a removed person",
    ),
    ("group.reports_direct", "Team von {name}", "Team of {name}"),
    (
        "group.reports_direct.removed",
        "Team einer entfernten Person",
        "Team of a removed person",
    ),
    (
        "groups.anonymity",
        "Unter der Anonymitätsgrenze",
        "Below the anonymity threshold",
    ),
    (
        "groups.anonymity_text",
        "Gruppen mit weniger Mitgliedern als die Anonymitätsgrenze können Umfragen erhalten, aber ihre Ergebnisse werden nicht angezeigt. Grenze:",
        "Groups with fewer members than the anonymity threshold can receive surveys, but their results are not shown. Threshold:",
    ),
    ("groups.empty", "Noch keine Gruppen.", "No groups yet."),
    ("groups.members", "Mitglieder", "Members"),
    (
        "groups.no_match",
        "Keine Gruppe passt zur Suche.",
        "No group matches the search.",
    ),
    ("groups.search", "Gruppenname", "Group name"),
    ("groups.snapshot_count", "Personen", "People"),
    ("groups.snapshot_created", "Erstellt", "Created"),
    ("groups.snapshot_label", "Bezeichnung", "Label"),
    (
        "groups.snapshots",
        "Eingefrorene Zielgruppen",
        "Frozen survey audiences",
    ),
    (
        "groups.snapshots_text",
        "Zielgruppen von Umfragen, wie sie beim Start waren: Sie ändern sich nicht, wenn Mitarbeiter wechseln oder das Unternehmen verlassen.",
        "Survey audiences as they were at launch: they do not change when employees move or leave.",
    ),
    ("groups.title", "Gruppen", "Groups"),
    (
        "health.failing",
        "Synchronisation fehlgeschlagen ({n}×)",
        "Sync failing ({n}×)",
    ),
    ("health.held", "Prüfung nötig", "Review needed"),
    ("health.not_connected", "Nicht verbunden", "Not connected"),
    (
        "health.pending",
        "Verbunden, noch nicht synchronisiert",
        "Connected, not synced yet",
    ),
    ("held.accept", "Übernehmen", "Accept"),
    (
        "held.accepted",
        "Übernommen. Die Synchronisation entfernt diese Personen jetzt.",
        "Accepted. The sync now removes these people.",
    ),
    (
        "held.accepting",
        "Übernommen: die Synchronisation läuft gleich mit diesen Löschungen.",
        "Accepted: the sync runs with these removals shortly.",
    ),
    (
        "held.bound",
        "Übernommen werden genau die hier gezeigten Löschungen. Fehlen bis dahin weitere Personen {in_source}, wird die Synchronisation erneut zur Prüfung angehalten.",
        "Accepting applies exactly the removals shown here. If more people are missing {in_source} by then, the sync is held again for review.",
    ),
    (
        "held.download",
        "Liste herunterladen (CSV)",
        "Download the list (CSV)",
    ),
    (
        "held.new_ids",
        "{n} von {total} Personen im Verzeichnis bekämen eine neue ID (dieselbe E-Mail-Adresse: dieselbe Person, z. B. wiedereingestellt oder neu exportiert).",
        "IDs changed for {n} of {total} people in the directory (the same e-mail address: the same person, e.g. rehired or exported again).",
    ),
    (
        "held.new_ids.one",
        "{n} von {total} Personen im Verzeichnis bekäme eine neue ID (dieselbe E-Mail-Adresse: dieselbe Person, z. B. wiedereingestellt oder neu exportiert).",
        "ID changed for {n} of {total} people in the directory (the same e-mail address: the same person, e.g. rehired or exported again).",
    ),
    ("held.reject", "Ablehnen", "Reject"),
    (
        "held.rejected",
        "Abgelehnt: Niemand wurde entfernt. Diese Personen bleiben im Verzeichnis und stehen unter „Behalten“; spätere Synchronisationen halten ihretwegen nicht mehr an.",
        "Rejected: nobody was removed. These people stay in the directory and are listed under “Kept”; later syncs no longer hold because of them.",
    ),
    (
        "held.superseded",
        "Diese Prüfung ist veraltet: eine neuere Synchronisation hat sie ersetzt. Bitte prüfen Sie die aktuelle Liste.",
        "This review is out of date: a newer sync replaced it. Please review the current list.",
    ),
    (
        "held.text",
        "Bitte prüfen Sie, ob diese Personen wirklich nicht mehr {in_source} sind.",
        "Please check that these people really are no longer {in_source}.",
    ),
    (
        "held.text_mixed",
        "Bitte prüfen Sie bei den Personen ohne Regel als Grund, ob sie wirklich nicht mehr {in_source} sind.",
        "For the people whose reason is not a rule, please check that they really are no longer {in_source}.",
    ),
    (
        "held.text_rule",
        "Eine Regel Ihrer Einstellungen nimmt Personen aus dem Verzeichnis: neben jeder steht, welche. Übernehmen entfernt sie; Ablehnen behält sie.",
        "A rule of your settings takes people out of the directory: the rule is shown next to each. Accepting removes them; rejecting keeps them.",
    ),
    (
        "held.title",
        "Synchronisation angehalten: Löschungen prüfen",
        "Sync held: review removals",
    ),
    (
        "held.waits",
        "Die letzte Synchronisation würde mehr Personen entfernen, als der Löschschutz erlaubt. Neue und geänderte Personen wurden übernommen; nur das Entfernen dieser Personen wartet auf Ihre Prüfung.",
        "The last sync would remove more people than the deletion guard allows. New and changed people were applied; only the removal of these people waits for your review.",
    ),
    (
        "held.would_remove",
        "{n} von {total} Personen im Verzeichnis würden entfernt.",
        "{n} of {total} people in the directory would be removed.",
    ),
    (
        "held.would_remove.one",
        "{n} von {total} Personen im Verzeichnis würde entfernt.",
        "{n} of {total} people in the directory would be removed.",
    ),
    (
        "hist.accepted_by",
        "Entfernungen angenommen von {who} am {when}",
        "Removals accepted by {who} on {when}",
    ),
    ("hist.changed", "Geändert", "Changed"),
    ("hist.changed_by", "Von", "By"),
    ("hist.changes", "Änderungen", "Changes"),
    ("hist.created", "Neu", "Created"),
    ("hist.details", "Details", "Details"),
    ("hist.empty", "Noch keine Synchronisation.", "No sync yet."),
    (
        "hist.empty_previews",
        "Noch keine Vorschau.",
        "No preview yet.",
    ),
    ("hist.erased", "(gelöscht)", "(erased)"),
    ("hist.error", "Fehler", "Error"),
    ("hist.filter_previews", "Vorschauen", "Previews"),
    ("hist.filter_runs", "Läufe", "Runs"),
    ("hist.filters", "Anzeigen", "Show"),
    ("hist.held_review", "Geprüfte Liste", "Reviewed list"),
    ("hist.kind", "Art", "Kind"),
    (
        "hist.no_changes",
        "Keine Änderungen an einzelnen Mitarbeitern.",
        "No changes to individual employees.",
    ),
    (
        "hist.not_in_directory",
        "(nicht im Verzeichnis)",
        "(not in the directory)",
    ),
    (
        "hist.rejected_by",
        "Abgelehnt von {who} am {when}",
        "Rejected by {who} on {when}",
    ),
    (
        "hist.rekeyed",
        "Neue ID (dieselbe Person, z. B. wiedereingestellt)",
        "New ID (the same person, e.g. rehired)",
    ),
    ("hist.removed", "Entfernt", "Removed"),
    ("hist.restore", "Wiederherstellen", "Restore"),
    (
        "hist.settings",
        "Einstellungen geändert",
        "Settings changes",
    ),
    ("hist.skipped", "Übersprungen", "Skipped"),
    ("hist.started", "Gestartet", "Started"),
    ("hist.status", "Ergebnis", "Result"),
    ("hist.title", "Synchronisationsverlauf", "Sync history"),
    ("hist.unchanged", "Unverändert", "Unchanged"),
    ("hist.updated", "Geändert", "Updated"),
    ("hist.version", "Version", "Version"),
    ("hist.warnings", "Hinweise", "Warnings"),
    ("hist.when", "Wann", "When"),
    ("hist.who_api", "API-Token", "API token"),
    ("hist.who_cli", "Kommandozeile", "command line"),
    (
        "imp.applied",
        "Import übernommen: {created} neu, {updated} geändert, {removed} entfernt.",
        "Import applied: {created} new, {updated} changed, {removed} removed.",
    ),
    ("imp.apply", "Übernehmen", "Apply"),
    (
        "imp.busy",
        "Gerade läuft ein anderer Import oder eine Synchronisation für dieses Konto. Bitte versuchen Sie es gleich noch einmal.",
        "Another import or sync of this account is running. Please try again in a moment.",
    ),
    ("imp.cancel", "Abbrechen", "Cancel"),
    ("imp.column", "Spalte", "Column"),
    (
        "imp.confirm",
        "Entfernungen bestätigen und übernehmen",
        "Confirm the removals and apply",
    ),
    (
        "imp.confirm_text",
        "Die Liste unten zeigt genau, wer entfernt würde. Nichts wurde geändert.",
        "The list below shows exactly who would be removed. Nothing has changed.",
    ),
    (
        "imp.expired",
        "Die hochgeladene Datei ist nicht mehr vorhanden (nach 30 Minuten oder einem Neustart). Bitte laden Sie sie erneut hoch.",
        "The uploaded file is no longer kept (after 30 minutes or a restart). Please upload it again.",
    ),
    (
        "imp.file",
        "Mitarbeiterdatei (Excel .xlsx, OpenDocument .ods oder CSV)",
        "Employee file (Excel .xlsx, OpenDocument .ods or CSV)",
    ),
    (
        "imp.limits",
        "Höchstens 200.000 Zeilen und",
        "At most 200,000 rows and",
    ),
    (
        "imp.no_file",
        "Bitte wählen Sie eine Datei aus.",
        "Please choose a file.",
    ),
    ("imp.preview", "Vorschau", "Preview"),
    ("imp.preview_title", "Vorschau", "Preview"),
    (
        "imp.refused",
        "Die Datei wurde nicht übernommen, niemand wurde geändert:",
        "The file was not imported and nobody was changed:",
    ),
    (
        "imp.reject_text",
        "Die Neuen und Änderungen der Datei sind übernommen; „Ablehnen“ behält die Personen, die sie entfernen würde.",
        "The file's new people and changes are applied; “Reject” keeps the people it would remove.",
    ),
    ("imp.row", "Zeile", "Row"),
    ("imp.row_errors", "Zeilen mit Fehlern", "rows with errors"),
    ("imp.row_errors.one", "Zeile mit Fehlern", "row with errors"),
    (
        "imp.row_errors_text",
        "Diese Zeilen werden nicht übernommen; die Mitarbeiter, die sie nennen, bleiben unverändert und werden nicht entfernt.",
        "These rows are left out; the people they name stay as they are and are not removed.",
    ),
    (
        "imp.row_errors_title",
        "Zeilen mit Fehlern",
        "Rows with errors",
    ),
    ("imp.rows_read", "Zeilen gelesen", "rows read"),
    ("imp.rows_read.one", "Zeile gelesen", "row read"),
    (
        "imp.server_busy",
        "Der Server liest gerade andere Mitarbeiterdateien. Bitte versuchen Sie es in einer Minute noch einmal.",
        "The server is reading other employee files. Please try again in a minute.",
    ),
    ("imp.sheet", "Tabellenblatt (optional)", "Sheet (optional)"),
    ("imp.sheet_hint", "erstes Tabellenblatt", "first sheet"),
    (
        "imp.template_de",
        "Deutsche Spaltennamen",
        "German column names",
    ),
    (
        "imp.template_en",
        "Englische Spaltennamen",
        "English column names",
    ),
    (
        "imp.template_text",
        "Pflichtspalten: ImportId (oder Personalnummer), Email (oder E-Mail), Firstname (oder Vorname), Lastname (oder Nachname). Optional: Language, ReportsToId, Department, Office, Team, Position, HireDate, TerminationDate, Status; jede weitere Spalte wird ein Attribut. Die ImportId einer Person darf sich nie ändern.",
        "Required columns: ImportId, Email, Firstname, Lastname. Optional: Language, ReportsToId, Department, Office, Team, Position, HireDate, TerminationDate, Status; every other column becomes an attribute. A person's ImportId must never change.",
    ),
    (
        "imp.template_title",
        "Vorlage herunterladen",
        "Download the template",
    ),
    ("imp.title", "Mitarbeiter importieren", "Import employees"),
    (
        "imp.too_large",
        "Die Datei ist größer als die erlaubten {mb} MB. Bitte teilen Sie sie auf oder speichern Sie sie als CSV.",
        "The file is larger than the {mb} MB allowed. Please split it, or save it as CSV.",
    ),
    (
        "imp.unreadable",
        "Der Upload konnte nicht gelesen werden:",
        "The upload could not be read:",
    ),
    (
        "imp.upload_text",
        "Die Datei enthält das ganze Unternehmen: Wer nicht mehr darin steht, wird entfernt (bei vielen Entfernungen erst nach Ihrer Bestätigung). Vor dem Übernehmen sehen Sie, was sich ändert.",
        "The file is the whole company: whoever is no longer in it is removed (many removals only after you confirm them). Before applying, you see what changes.",
    ),
    ("imp.upload_title", "Datei hochladen", "Upload a file"),
    (
        "imp.warn_column",
        "Die Datei hat keine Spalte für ein empfohlenes Attribut:",
        "The file has no column for a recommended attribute:",
    ),
    (
        "inc.attribute.fix",
        "In Personio unter Einstellungen → API-Zugangsdaten → Mitarbeiterdaten lesen → Attribute den Haken bei „{attr}“ setzen. Bis dahin wird nicht synchronisiert; das Verzeichnis bleibt auf dem alten Stand.",
        "In Personio, tick “{attr}” under Settings → API credentials → Read employee data → Attributes. Until then nothing syncs; the directory stays as it was.",
    ),
    (
        "inc.attribute.link",
        "Attribut „{attr}“ ansehen",
        "See the attribute “{attr}”",
    ),
    (
        "inc.attribute.title",
        "Pflichtattribut „{attr}“ nicht mehr lesbar",
        "Mandatory attribute “{attr}” no longer readable",
    ),
    (
        "inc.credential.fix",
        "Legen Sie in Personio unter Einstellungen → API-Zugangsdaten neue Zugangsdaten an, trennen Sie hier die Verbindung und verbinden Sie neu.",
        "Create a new credential in Personio under Settings → API credentials, then disconnect here and connect again.",
    ),
    (
        "inc.failing.fix",
        "Es wurde nichts geändert; staffsync versucht es weiter.",
        "Nothing was changed; staffsync keeps trying.",
    ),
    (
        "inc.failing.title",
        "Synchronisation {n}-mal in Folge fehlgeschlagen",
        "Sync failed {n} times in a row",
    ),
    (
        "inc.held.fix",
        "Prüfen Sie, wer entfernt würde, und übernehmen oder lehnen Sie die Entfernungen ab. Bis dahin bleiben diese Personen im Verzeichnis.",
        "Review who would be removed, then accept or reject the removals. Until then these people stay in the directory.",
    ),
    ("inc.link.reconnect", "Neu verbinden", "Connect again"),
    ("inc.link.review", "Lauf prüfen", "Review the run"),
    (
        "inc.link.run",
        "Fehlgeschlagenen Lauf ansehen",
        "See the failed run",
    ),
    (
        "inc.webhook.fix",
        "Trennen Sie die Verbindung und verbinden Sie neu; dabei wird der Webhook neu angelegt. Bis dahin kommen Änderungen mit der regelmäßigen Synchronisation an.",
        "Disconnect and connect again; that registers the webhook anew. Until then changes arrive with the regular sync.",
    ),
    ("int.attr_level.mandatory", "Pflicht", "Mandatory"),
    ("int.attr_level.optional", "Freiwillig", "Optional"),
    ("int.attr_level.recommended", "Empfohlen", "Recommended"),
    ("int.attr_missing", "nicht freigegeben", "not readable"),
    ("int.attr_ok", "freigegeben", "readable"),
    (
        "int.attr_where",
        "Attribute geben Sie in Personio unter Einstellungen → API-Zugangsdaten → Mitarbeiterdaten lesen → Attribute frei.",
        "Grant attributes in Personio under Settings → API credentials → Read employee data → Attributes.",
    ),
    (
        "int.attributes",
        "Freigegebene Attribute",
        "Readable attributes",
    ),
    ("int.client_id", "Client-ID", "Client ID"),
    (
        "int.connected",
        "Verbunden mit Personio",
        "Connected to Personio",
    ),
    ("int.connected_since", "verbunden seit", "connected since"),
    ("int.disconnect", "Trennen", "Disconnect"),
    (
        "int.disconnect_confirm",
        "Wirklich trennen? Die Synchronisation stoppt; das Mitarbeiterverzeichnis bleibt erhalten.",
        "Really disconnect? Syncing stops; the employee directory is kept.",
    ),
    (
        "int.disconnected",
        "Die Verbindung zu Personio wurde getrennt. Das Mitarbeiterverzeichnis bleibt erhalten.",
        "Disconnected from Personio. The employee directory is kept.",
    ),
    (
        "int.employees_now",
        "Mitarbeiter im Verzeichnis",
        "employees in the directory",
    ),
    (
        "int.failing",
        "Die Synchronisation schlägt wiederholt fehl. Fehlversuche in Folge:",
        "Syncing keeps failing. Consecutive failures:",
    ),
    ("int.incident_since", "seit", "since"),
    ("int.incidents", "Offene Meldungen", "Open alerts"),
    (
        "int.incidents_note",
        "Die Administratoren erhalten eine E-Mail, wenn eine Meldung entsteht und wenn sie behoben ist (sofern der Betreiber E-Mail eingerichtet hat).",
        "Admins get an e-mail when an alert starts and when it is resolved (if the operator set up e-mail).",
    ),
    ("int.last_error", "Letzter Fehler:", "Last error:"),
    ("int.last_sync", "Letzte Synchronisation", "Last sync"),
    ("int.never", "noch nie", "never"),
    ("int.next_sync", "Nächste Synchronisation", "Next sync"),
    ("int.not_scheduled", "nicht geplant", "not scheduled"),
    ("int.preview", "Änderungen anzeigen", "Show changes"),
    (
        "int.preview_busy",
        "Gerade läuft eine Synchronisation. Bitte versuchen Sie es gleich noch einmal.",
        "A sync is running right now. Please try again in a moment.",
    ),
    ("int.running", "läuft gerade", "running now"),
    (
        "int.schedule_text",
        "Die Synchronisation läuft alle 12 Stunden und aktualisiert alle Mitarbeiter- und Gruppeninformationen, die Personio über die API freigibt.",
        "The sync runs every 12 hours and updates all employee and group information that Personio shares through the API.",
    ),
    ("int.sync_now", "Jetzt synchronisieren", "Sync now"),
    (
        "int.sync_requested",
        "Synchronisation angefordert. Sie startet in wenigen Sekunden.",
        "Sync requested. It starts in a few seconds.",
    ),
    ("int.title", "Integration", "Integration"),
    ("kept.action", "Aktion", "Action"),
    ("kept.badge", "behalten", "kept"),
    (
        "kept.released",
        "Vorgemerkt: Die nächste Synchronisation entfernt diese Person; sie ist angestoßen.",
        "Marked: the next sync removes this person; it has been queued.",
    ),
    (
        "kept.released_next_file",
        "Vorgemerkt: Der nächste Import entfernt diese Person.",
        "Marked: the next import removes this person.",
    ),
    (
        "kept.releasing",
        "wird mit dem nächsten Lauf entfernt",
        "removed by the next run",
    ),
    ("kept.remove", "Jetzt entfernen", "Remove now"),
    (
        "kept.run_note",
        "Bei einer Prüfung abgelehnt: nicht entfernt, solange der Grund derselbe ist (unter Integration „Jetzt entfernen“).",
        "Rejected in a review: not removed while the reason is the same (“Remove now” under Integration).",
    ),
    (
        "kept.text",
        "Diese Personen haben Sie bei einer Prüfung mit „Ablehnen“ behalten: Spätere Läufe entfernen sie aus dem genannten Grund nicht und halten ihretwegen nicht mehr an. Sie werden wieder ganz normal übernommen, sobald sie {in_source} wieder geführt werden oder Sie die Regel ändern. „Jetzt entfernen“ entfernt eine Person mit dem nächsten Lauf (Synchronisation oder Import).",
        "You kept these people by rejecting a review: later runs do not remove them for the reason shown and no longer hold because of them. They are taken over as usual again once they are listed {in_source} again or you change the rule. “Remove now” removes a person with the next run (a sync or an import).",
    ),
    ("kept.title", "Behalten", "Kept"),
    (
        "live.queued",
        "In der Warteschlange: die Synchronisation startet in wenigen Sekunden.",
        "Queued: the sync starts in a few seconds.",
    ),
    (
        "live.read",
        "Läuft: {n} von {total} Mitarbeitern gelesen",
        "Running: {n} of {total} employees read",
    ),
    (
        "live.read_some",
        "Läuft: {n} Mitarbeiter gelesen",
        "Running: {n} employees read",
    ),
    ("live.refresh", "Aktualisieren", "Refresh"),
    (
        "live.since",
        "Läuft seit {elapsed}",
        "Running for {elapsed}",
    ),
    (
        "live.starting",
        "Die Synchronisation startet …",
        "The sync is starting …",
    ),
    ("login.button", "Anmelden", "Log in"),
    ("login.email", "E-Mail", "E-mail"),
    (
        "login.failed",
        "E-Mail oder Passwort ist falsch.",
        "Wrong e-mail or password.",
    ),
    (
        "login.forgot",
        "Passwort vergessen?",
        "Forgot your password?",
    ),
    ("login.password", "Passwort", "Password"),
    ("login.title", "Anmelden", "Log in"),
    (
        "login.too_many",
        "Zu viele Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.",
        "Too many login attempts. Please wait a minute and try again.",
    ),
    ("nav.developer", "Entwickler", "Developers"),
    ("nav.employees", "Mitarbeiter", "Employees"),
    ("nav.groups", "Gruppen", "Groups"),
    ("nav.history", "Synchronisationsverlauf", "Sync history"),
    ("nav.integration", "Integration", "Integration"),
    ("nav.logout", "Abmelden", "Log out"),
    ("nav.menu", "Menü", "Menu"),
    (
        "notfound.text",
        "Diese Seite gibt es nicht.",
        "This page does not exist.",
    ),
    ("notfound.title", "Nicht gefunden", "Not found"),
    (
        "person.removed",
        "eine entfernte Person",
        "a removed person",
    ),
    ("prev.create", "Wird neu angelegt", "Will be created"),
    (
        "prev.held",
        "Diese Synchronisation würde angehalten:",
        "This sync would be held:",
    ),
    (
        "prev.intro",
        "Vorschau: so würde die nächste Synchronisation das Verzeichnis ändern. Es wurde nichts geändert.",
        "Preview: this is how the next sync would change the directory. Nothing was changed.",
    ),
    (
        "prev.nothing",
        "Keine Änderungen: Das Verzeichnis ist schon so, wie es {in_source} steht.",
        "No changes: the directory already is as it stands {in_source}.",
    ),
    ("prev.remove", "Wird entfernt", "Will be removed"),
    ("prev.skip", "Wird übersprungen", "Will be skipped"),
    ("prev.title", "Änderungen anzeigen", "Show changes"),
    ("prev.update", "Wird geändert", "Will be updated"),
    ("prev.why", "Grund", "Reason"),
    ("reset.again", "Neuen Link anfordern", "Ask for a new link"),
    (
        "reset.ask_text",
        "Geben Sie die E-Mail-Adresse Ihres Zugangs ein. Sie erhalten einen Link, mit dem Sie ein neues Passwort festlegen; er gilt 30 Minuten und nur einmal.",
        "Enter the e-mail address of your login. You will get a link to set a new password; it works for 30 minutes and only once.",
    ),
    (
        "reset.done",
        "Ihr neues Passwort gilt. Alle bisherigen Anmeldungen wurden beendet; bitte melden Sie sich neu an.",
        "Your new password is set. Every earlier login was ended; please log in again.",
    ),
    (
        "reset.error.length",
        "Das Passwort muss mindestens 10 Zeichen lang sein.",
        "The password must have at least 10 characters.",
    ),
    (
        "reset.error.mismatch",
        "Die beiden Passwörter stimmen nicht überein.",
        "The two passwords differ.",
    ),
    (
        "reset.invalid",
        "Dieser Link funktioniert nicht (mehr): Er ist abgelaufen, wurde schon benutzt oder ist unvollständig.",
        "This link does not work (any more): it expired, was used already or is incomplete.",
    ),
    ("reset.new_password", "Neues Passwort", "New password"),
    (
        "reset.operator",
        "Diese Installation versendet keine E-Mails. Bitten Sie den Betreiber von staffsync, Ihnen einen Link zum Zurücksetzen zu erzeugen, mit dem Befehl:",
        "This installation sends no e-mail. Ask the operator of staffsync to make you a reset link, with the command:",
    ),
    ("reset.operator_slug", "Konto", "account"),
    (
        "reset.repeat",
        "Neues Passwort wiederholen",
        "Repeat the new password",
    ),
    ("reset.save", "Passwort speichern", "Save password"),
    ("reset.send", "Link senden", "Send link"),
    (
        "reset.sent",
        "Wenn zu dieser Adresse ein Zugang gehört, ist eine E-Mail mit einem Link unterwegs. Der Link gilt 30 Minuten. Kommt keine E-Mail, prüfen Sie den Spam-Ordner oder die Schreibweise der Adresse.",
        "If this address belongs to a login, an e-mail with a link is on its way. The link works for 30 minutes. If no e-mail comes, check the spam folder or the address's spelling.",
    ),
    (
        "reset.set_text",
        "Legen Sie ein neues Passwort fest (mindestens 10 Zeichen). Danach enden alle Anmeldungen mit dem alten Passwort.",
        "Choose a new password (at least 10 characters). After that every login with the old password ends.",
    ),
    ("reset.title", "Passwort zurücksetzen", "Reset password"),
    ("reset.to_login", "Zur Anmeldung", "Back to login"),
    (
        "reset.too_many",
        "Zu viele Anfragen. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.",
        "Too many requests. Please wait a minute and try again.",
    ),
    (
        "rule.include",
        "Nicht eingeschlossen ({rules})",
        "Not included ({rules})",
    ),
    (
        "rule.is",
        "{attribute} ist {values}",
        "{attribute} is {values}",
    ),
    ("rule.or", "oder", "or"),
    (
        "run.failed_text",
        "Synchronisation fehlgeschlagen:",
        "Sync failed:",
    ),
    (
        "run.started_by",
        "Änderungen übertragen von:",
        "Changes sent by:",
    ),
    (
        "scim.entra.1",
        "Microsoft Entra Admin Center → Unternehmensanwendungen → Neue Anwendung → Eigene Anwendung erstellen (nicht im Katalog).",
        "Microsoft Entra admin center → Enterprise applications → New application → Create your own application (non-gallery).",
    ),
    (
        "scim.entra.2",
        "Bereitstellung → Bereitstellungsmodus „Automatisch“ → Tenant-URL und geheimes Token von dieser Seite eintragen → „Verbindung testen“.",
        "Provisioning → Provisioning mode “Automatic” → enter the tenant URL and secret token from this page → “Test connection”.",
    ),
    (
        "scim.entra.3",
        "Zuordnungen: Die Standardzuordnung passt (Abteilung, Position, Vorgesetzte, Arbeitsort); Benutzer und Gruppen zuweisen. Zugewiesene Gruppen erscheinen unter Gruppen als „IdP-Gruppen“, mit ihrem Namen.",
        "Mappings: the default mapping fits (department, job title, manager, office); assign users and groups. Assigned groups show under Groups as “IdP groups”, by their name.",
    ),
    (
        "scim.entra.4",
        "Bereitstellungsstatus „Ein“ → Speichern. Entra überträgt danach etwa alle 40 Minuten die Änderungen.",
        "Provisioning status “On” → Save. Entra then sends changes about every 40 minutes.",
    ),
    (
        "scim.intro",
        "Microsoft Entra ID oder Okta übertragen Ihre Mitarbeiter per SCIM 2.0 an Honestly: Tragen Sie dort die Tenant-URL und ein geheimes Token von dieser Seite ein. Jede Änderung erscheint wenige Sekunden später unter Mitarbeiter und Gruppen.",
        "Microsoft Entra ID or Okta send your employees to Honestly over SCIM 2.0: enter the tenant URL and a secret token from this page there. Each change shows under Employees and Groups a few seconds later.",
    ),
    (
        "scim.okta.1",
        "Okta Admin Console → Applications → Create App Integration → SWA-App anlegen → General → Provisioning: „SCIM“.",
        "Okta Admin Console → Applications → Create App Integration → create an SWA app → General → Provisioning: “SCIM”.",
    ),
    (
        "scim.okta.2",
        "Provisioning → Integration: SCIM connector base URL = Tenant-URL, Unique identifier field = userName, Authentication Mode „HTTP Header“ mit dem geheimen Token.",
        "Provisioning → Integration: SCIM connector base URL = tenant URL, Unique identifier field = userName, Authentication Mode “HTTP Header” with the secret token.",
    ),
    (
        "scim.okta.3",
        "Provisioning → To App: Create Users, Update User Attributes und Deactivate Users einschalten; Benutzer zuweisen.",
        "Provisioning → To App: enable Create Users, Update User Attributes and Deactivate Users; assign users.",
    ),
    (
        "scim.okta.4",
        "Push Groups: die Gruppen wählen, die unter Gruppen als „IdP-Gruppen“ erscheinen sollen; ihre Mitglieder kommen mit.",
        "Push Groups: choose the groups that should show under Groups as “IdP groups”; their members come with them.",
    ),
    ("scim.tenant_url", "Tenant-URL", "Tenant URL"),
    (
        "scim.tenant_url_relative",
        "Die Adresse dieser Web-App, gefolgt von diesem Pfad:",
        "This web app's address, followed by this path:",
    ),
    (
        "scim.title",
        "Identitätsanbieter (SCIM)",
        "Identity provider (SCIM)",
    ),
    ("scim.token", "Geheimes Token", "Secret token"),
    (
        "scim.token_active",
        "Aktive Token (widerrufen unter Entwickler):",
        "Active tokens (revoke them under Developers):",
    ),
    (
        "scim.token_new",
        "Ihr neues Token – es wird nur jetzt angezeigt. Fügen Sie es im Identitätsanbieter als geheimes Token ein:",
        "Your new token – shown only now. Paste it into the identity provider as the secret token:",
    ),
    (
        "set.age",
        "Altersgruppen aus dem Datumsattribut (z. B. Geburtsdatum; leer: keine)",
        "Age groups from the date attribute (e.g. date of birth; empty: none)",
    ),
    (
        "set.age_text",
        "Das Geburtsdatum wird nie gespeichert: staffsync behält nur die Altersgruppe und den Monat, in dem die nächste beginnt, daher wechselt die Gruppe am Ersten des Monats nach dem Geburtstag.",
        "The date of birth is never stored: staffsync keeps only the age group and the month the next one begins, so the group changes on the first of the month after the birthday.",
    ),
    ("set.attribute", "Attribut", "Attribute"),
    (
        "set.error.ambiguous",
        "„{name}“ passt zu mehreren Attributen: {choices}. Bitte eines davon mit seinem Schlüssel eintragen.",
        "“{name}” fits several attributes: {choices}. Please enter one of them by its key.",
    ),
    (
        "set.error.max_share",
        "Löschschutz: „Höchstens entfernen ohne Prüfung (in %)“ muss eine Zahl von 0 bis 100 sein, nicht „{value}“. Nichts wurde gespeichert.",
        "Deletion guard: “Remove at most without review (in %)” must be a number from 0 to 100, not “{value}”. Nothing was saved.",
    ),
    (
        "set.error.min_people",
        "Löschschutz: „ab so vielen Personen“ muss eine ganze Zahl ab 0 sein, nicht „{value}“. Nichts wurde gespeichert.",
        "Deletion guard: “from this many people” must be a whole number of 0 or more, not “{value}”. Nothing was saved.",
    ),
    (
        "set.error.no_column",
        "Die letzte Mitarbeiterdatei hat keine Spalte „{name}“. Spalten der Datei: {columns}.",
        "The last employee file has no column “{name}”. The file's columns: {columns}.",
    ),
    (
        "set.error.unreadable",
        "Personio liefert das Attribut „{name}“ nicht. Haken Sie es in Personio unter Einstellungen → API-Zugangsdaten → Attribute an und synchronisieren Sie einmal.",
        "Personio does not send the attribute “{name}”. Tick it in Personio under Settings → API credentials → Attributes, then sync once.",
    ),
    ("set.exclude", "Ausschließen", "Exclude"),
    (
        "set.group_extra",
        "Weiteres Attribut als Gruppe (eine Zeile je Attribut)",
        "Another attribute as groups (one per line)",
    ),
    ("set.groups", "Gruppen", "Groups"),
    (
        "set.groups_text",
        "Aus diesen Attributen werden Gruppen, an die Umfragen gehen und für die Ergebnisse gezeigt werden.",
        "These attributes become groups that surveys are sent to and results are shown for.",
    ),
    ("set.guard", "Löschschutz", "Deletion guard"),
    (
        "set.guard_text",
        "Eine Synchronisation, die mehr als diesen Anteil und mindestens so viele Personen entfernen würde, wird angehalten, bis jemand die Liste geprüft hat.",
        "A sync that would remove more than this share and at least this many people is held until someone has reviewed the list.",
    ),
    ("set.include", "Einschließen", "Include"),
    (
        "set.intro",
        "Hier legen Sie fest, wer {from_source} übernommen wird und welche Gruppen entstehen. Änderungen wirken mit der nächsten Synchronisation nach dem Speichern.",
        "Choose who is taken {from_source} and which groups exist. Changes take effect with the next sync after saving.",
    ),
    (
        "set.keep",
        "Weitere Attribute behalten",
        "Keep other attributes",
    ),
    (
        "set.keep_none",
        "Die Quelle sendet keine weiteren Attribute.",
        "The source sends no other attributes.",
    ),
    (
        "set.keep_on_leave",
        "Personen in Abwesenheit (Status „leave“) im Verzeichnis behalten",
        "Keep people on leave (status \"leave\") in the directory",
    ),
    (
        "set.keep_text",
        "Gespeichert werden nur die angekreuzten Attribute und die, nach denen gruppiert oder ausgewählt wird; alle anderen werden beim Lesen verworfen.",
        "Only the ticked attributes and those used for groups or rules are stored; all others are dropped when read.",
    ),
    (
        "set.link_text",
        "Wer importiert wird, welche Gruppen es gibt, Löschschutz",
        "Who is imported, which groups exist, deletion guard",
    ),
    (
        "set.max_share",
        "Höchstens entfernen ohne Prüfung (in %)",
        "Remove at most without review (in %)",
    ),
    (
        "set.min_people",
        "…und ab so vielen Personen",
        "…and from this many people",
    ),
    ("set.notify", "Benachrichtigungen", "Notifications"),
    (
        "set.notify_text",
        "Weitere E-Mail-Adressen für Warnungen (eine je Zeile; Admins erhalten sie immer)",
        "More e-mail addresses for alerts (one per line; admins always get them)",
    ),
    ("set.p_created_people", "Neu importiert", "Newly imported"),
    ("set.p_creates", "neu", "new"),
    (
        "set.p_excluded",
        "durch Regeln ausgeschlossen",
        "excluded by rules",
    ),
    (
        "set.p_excluded_people",
        "Durch Regeln ausgeschlossen",
        "Excluded by rules",
    ),
    ("set.p_groups_added", "Gruppen neu", "groups added"),
    ("set.p_groups_added.one", "Gruppe neu", "group added"),
    (
        "set.p_groups_removed",
        "Gruppen entfallen",
        "groups removed",
    ),
    (
        "set.p_groups_removed.one",
        "Gruppe entfällt",
        "group removed",
    ),
    (
        "set.p_held",
        "Diese Änderung entfernt mehr Personen, als der Löschschutz erlaubt: Nach dem Speichern warten diese Entfernungen unter Integration auf Ihre Prüfung; alles andere wird übernommen.",
        "This change removes more people than the deletion guard allows: after saving, these removals wait for your review under Integration; everything else is applied.",
    ),
    (
        "set.p_note",
        "Nichts wurde gespeichert oder geändert.",
        "Nothing was saved or changed.",
    ),
    ("set.p_removals", "entfernt", "removed"),
    (
        "set.p_removed_people",
        "Würden entfernt",
        "Would be removed",
    ),
    ("set.p_updates", "geändert", "changed"),
    ("set.people", "Personen", "People"),
    ("set.preview", "Vorschau", "Preview"),
    (
        "set.preview_by_import",
        "Gespeicherte Einstellungen gelten ab dem nächsten Import. Was sie ändern, zeigt dessen Vorschau: Laden Sie die Datei unter Integration hoch, vor dem Übernehmen sehen Sie jede Änderung.",
        "Saved settings apply from the next import on. Its preview shows what they change: upload the file under Integration, and you see every change before applying it.",
    ),
    (
        "set.preview_title",
        "Vorschau: was sich jetzt ändern würde",
        "Preview: what would change now",
    ),
    (
        "set.reporting_lines",
        "Berichtslinien (Team von …, direkt und insgesamt)",
        "Reporting lines (team of …, direct and all)",
    ),
    (
        "set.reporting_lines_text",
        "Für jede Führungskraft zwei Gruppen aus dem Attribut Vorgesetzte:r: direkte Berichte und alle darunter.",
        "Two groups for every manager, from the supervisor attribute: direct reports and everyone below.",
    ),
    (
        "set.restore_hint",
        "Prüfen Sie mit „Vorschau“, was das im Verzeichnis ändert, und übernehmen Sie es mit „Speichern“: das wird eine neue Version, mit Ihnen als Autor.",
        "Check with \"Preview\" what this changes in the directory, and apply it with \"Save\": that makes a new version, with you as its author.",
    ),
    (
        "set.restore_same",
        "Sie entspricht den jetzigen Einstellungen.",
        "It is the same as the current settings.",
    ),
    (
        "set.restore_text",
        "Das Formular zeigt Version {version} vom {when} ({who}). Gegenüber jetzt ändert sich:",
        "The form shows version {version} of {when} ({who}). Compared with now, this changes:",
    ),
    (
        "set.restore_title",
        "Version {version} wiederherstellen",
        "Restore version {version}",
    ),
    (
        "set.review_waiting",
        "Eine Synchronisation wartet auf Ihre Prüfung: Entfernungen, die der Löschschutz angehalten hat.",
        "A sync waits for your review: removals the deletion guard held.",
    ),
    ("set.rule", "Regel", "Rule"),
    ("set.rule_n", "Regel {n}", "Rule {n}"),
    ("set.save", "Speichern", "Save"),
    (
        "set.saved",
        "Einstellungen gespeichert. Eine Synchronisation ist angestoßen; entfernt sie mehr Personen, als der Löschschutz erlaubt, erscheint die Prüfung hier.",
        "Settings saved. A sync has been queued; if it removes more people than the deletion guard allows, the review appears here.",
    ),
    (
        "set.saved_file",
        "Einstellungen gespeichert. Sie wirken mit dem nächsten Import einer Mitarbeiterdatei.",
        "Settings saved. They take effect with the next import of an employee file.",
    ),
    ("set.scope", "Wer importiert wird", "Who is imported"),
    (
        "set.scope_text",
        "Eine Person ist dabei, wenn keine Einschließen-Regel gesetzt ist oder eine passt, und keine Ausschließen-Regel passt. Werte: einer je Zeile, Groß-/Kleinschreibung egal.",
        "A person is in when no include rule is set or one matches, and no exclude rule matches. Values: one per line, case does not matter.",
    ),
    (
        "set.tenure",
        "Betriebszugehörigkeit (Gruppen nach Monaten seit Eintritt)",
        "Tenure (groups by months since the hire date)",
    ),
    (
        "set.tenure_text",
        "Wechsel am Stichtag, ohne dass neue Daten nötig sind.",
        "People move on the day, with no new data needed.",
    ),
    ("set.title", "Einstellungen", "Settings"),
    (
        "set.values",
        "Werte (einer je Zeile)",
        "Values (one per line)",
    ),
    (
        "set.values_known",
        "Werte im Verzeichnis",
        "Values in the directory",
    ),
    (
        "setp.address",
        "„{address}“ ist keine gültige E-Mail-Adresse.",
        "“{address}” is not a valid e-mail address.",
    ),
    (
        "setp.age_date",
        "ist das Datum der Altersgruppen, das nie gespeichert wird: Es kann nicht zusätzlich behalten, gruppiert oder in einer Regel verwendet werden.",
        "is the date of the age groups, which is never stored: it cannot also be kept, grouped by or used in a rule.",
    ),
    ("setp.empty", "darf nicht leer sein.", "must not be empty."),
    (
        "setp.listed_twice",
        "ist doppelt aufgeführt.",
        "is listed twice.",
    ),
    (
        "setp.no_values",
        "Eine Regel braucht mindestens einen Wert.",
        "A rule needs at least one value.",
    ),
    (
        "setp.shape",
        "Das Dokument hat nicht die erwartete Form.",
        "The document does not have the expected shape.",
    ),
    (
        "setp.share",
        "Der Anteil muss mehr als 0 % und höchstens 100 % betragen.",
        "The share must be more than 0 % and at most 100 %.",
    ),
    (
        "setp.too_long",
        "ist länger als {max} Zeichen.",
        "is longer than {max} characters.",
    ),
    (
        "setp.too_many",
        "hat mehr als {max} Einträge.",
        "has more than {max} entries.",
    ),
    ("tok.create", "Token erzeugen", "Create token"),
    ("tok.created", "Erstellt", "Created"),
    (
        "tok.error.label",
        "Bitte geben Sie dem Token eine Bezeichnung (höchstens 100 Zeichen), z. B. „Honestly Umfragen“.",
        "Please give the token a label (at most 100 characters), e.g. “Honestly surveys”.",
    ),
    (
        "tok.intro",
        "Mit einem API-Token liest ein anderes Programm (etwa die Umfrage-App) Mitarbeiter, Gruppen und Änderungen dieses Kontos über die REST-API. Es kann keine Entfernung übernehmen, die der Löschschutz angehalten hat, und den Löschschutz nicht lockern.",
        "With an API token another program (such as the survey app) reads this account's people, groups and changes through the REST API. It cannot accept removals the deletion guard held, nor loosen the guard.",
    ),
    ("tok.label", "Bezeichnung", "Label"),
    (
        "tok.new",
        "Neues Token – es wird nur jetzt angezeigt. Bewahren Sie es sicher auf, z. B. in einem Passwort-Manager:",
        "New token – shown only now. Keep it safe, e.g. in a password manager:",
    ),
    ("tok.none", "Noch keine API-Tokens.", "No API tokens yet."),
    ("tok.revoke", "Widerrufen", "Revoke"),
    ("tok.revoked", "Widerrufen am", "Revoked"),
    (
        "tok.revoked_flash",
        "Das Token wurde widerrufen und funktioniert nicht mehr.",
        "The token was revoked and no longer works.",
    ),
    ("tok.title", "API-Tokens", "API tokens"),
    ("value.employment_type.external", "Extern", "External"),
    ("value.employment_type.internal", "Intern", "Internal"),
    ("value.gender.diverse", "Divers", "Diverse"),
    ("value.gender.female", "Weiblich", "Female"),
    ("value.gender.male", "Männlich", "Male"),
    ("value.status.active", "Aktiv", "Active"),
    ("value.status.inactive", "Inaktiv", "Inactive"),
    ("value.status.leave", "Abwesend", "On leave"),
    ("value.status.onboarding", "Onboarding", "Onboarding"),
    (
        "warn.attribute",
        "Die API-Zugangsdaten dürfen ein empfohlenes Attribut nicht lesen:",
        "The API credential cannot read a recommended attribute:",
    ),
    (
        "warn.cycle",
        "Die Vorgesetzten dieser Personen bilden {in_source} einen Kreis; sie stehen deshalb in keiner Gruppe „alle Berichtenden“ über diesen Kreis. IDs:",
        "These people's supervisors form a cycle {in_source}, so they are in no “all reports” group through it. IDs:",
    ),
    (
        "warn.incomplete",
        "Die Liste {from_source} war unvollständig, deshalb wurde niemand entfernt.",
        "The listing {from_source} was incomplete, so nobody was removed.",
    ),
    ("wh.add", "Hinzufügen", "Add"),
    ("wh.attempts", "Versuche", "Attempts"),
    ("wh.changes", "Änderungen", "Changes"),
    ("wh.delete", "Entfernen", "Remove"),
    (
        "wh.deleted",
        "Die Adresse wurde entfernt.",
        "The endpoint was removed.",
    ),
    ("wh.error", "Letzter Fehler", "Last error"),
    (
        "wh.error.too_many",
        "Höchstens 10 Adressen pro Konto. Entfernen Sie zuerst eine.",
        "At most 10 endpoints per account. Remove one first.",
    ),
    (
        "wh.error.url",
        "Diese Adresse ist nicht erlaubt: nur https-Adressen, die im Internet erreichbar sind (keine internen Adressen).",
        "This URL is not allowed: only https URLs on the public internet (no internal addresses).",
    ),
    (
        "wh.intro",
        "Jede übernommene Änderung am Verzeichnis (neue, geänderte und entfernte Personen, Gruppen und Zugehörigkeiten) wird an diese Adressen gesendet, signiert nach Standard Webhooks. Schlägt eine Zustellung fehl, wird sie 24 Stunden lang wiederholt.",
        "Every applied change to the directory (people, groups and memberships created, changed or removed) is sent to these URLs, signed the Standard Webhooks way. A failed delivery is retried for 24 hours.",
    ),
    ("wh.log", "Zustellungen", "Deliveries"),
    (
        "wh.log_empty",
        "Noch keine Zustellung.",
        "No deliveries yet.",
    ),
    (
        "wh.none",
        "Noch keine Adresse eingetragen.",
        "No endpoint yet.",
    ),
    (
        "wh.secret",
        "Secret zum Prüfen der Signatur. Es wird nur jetzt angezeigt: Bitte kopieren Sie es jetzt.",
        "Secret for checking the signature. It is shown only now: copy it now.",
    ),
    ("wh.since", "eingetragen", "added"),
    ("wh.status", "Status", "Status"),
    ("wh.title", "Webhooks (ausgehend)", "Outgoing webhooks"),
    ("wh.url", "Adresse (URL)", "Endpoint URL"),
    ("wh.when", "Zeitpunkt", "When"),
    (
        "whe.address_not_allowed",
        "Der Rechnername zeigt auf eine nicht zulässige (interne) Adresse.",
        "The host name points to an address that is not allowed (internal).",
    ),
    (
        "whe.connect",
        "Keine Verbindung zum Empfänger.",
        "Could not connect to the receiver.",
    ),
    (
        "whe.internal",
        "Ein interner Fehler in staffsync; der Versuch wird wiederholt.",
        "An internal error in staffsync; the attempt is repeated.",
    ),
    (
        "whe.not_resolved",
        "Der Rechnername ließ sich nicht auflösen.",
        "The host name could not be resolved.",
    ),
    (
        "whe.redirect",
        "Der Empfänger hat weitergeleitet; Weiterleitungen werden nicht verfolgt.",
        "The receiver answered with a redirect, which is not followed.",
    ),
    (
        "whe.request_failed",
        "Die Anfrage ist fehlgeschlagen.",
        "The request failed.",
    ),
    (
        "whe.status",
        "Der Empfänger hat mit HTTP {status} geantwortet.",
        "The receiver answered with HTTP {status}.",
    ),
    (
        "whe.timeout",
        "Der Empfänger hat nicht rechtzeitig geantwortet.",
        "The receiver did not answer in time.",
    ),
    (
        "whe.url_not_allowed",
        "Die Adresse ist nicht (mehr) zulässig: nur https:// an öffentliche Adressen.",
        "The URL is not (or no longer) allowed: only https:// to public addresses.",
    ),
    (
        "why.duplicate_email",
        "E-Mail-Adresse wird auch verwendet von",
        "E-mail address is also used by",
    ),
    (
        "why.excluded",
        "Durch eine Regel der Einstellungen ausgeschlossen:",
        "Excluded by a rule of the settings:",
    ),
    (
        "why.invalid_email",
        "Ungültige E-Mail-Adresse",
        "Invalid e-mail address",
    ),
    (
        "why.malformed",
        "Datensatz {from_source} nicht lesbar:",
        "Record {from_source} unreadable:",
    ),
    (
        "why.missing_field",
        "Pflichtangabe fehlt:",
        "Mandatory field missing:",
    ),
    (
        "why.no_longer_eligible",
        "Nicht mehr übernommen:",
        "No longer eligible:",
    ),
    (
        "why.not_started",
        "Hat noch nicht angefangen, Eintrittsdatum",
        "Has not started yet, hire date",
    ),
    (
        "why.status",
        "Status (nur aktive Mitarbeiter werden übernommen):",
        "Status (only active employees are imported):",
    ),
    (
        "why.terminated",
        "Ausgeschieden, Austrittsdatum",
        "Has left, termination date",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_kind_status_and_group_kind_has_its_own_words() {
        for lang in [Lang::De, Lang::En] {
            let kinds: std::collections::BTreeSet<&str> = staffsync_store::RunKind::ALL
                .into_iter()
                .map(|k| run_kind_text(lang, k))
                .collect();
            assert_eq!(
                kinds.len(),
                staffsync_store::RunKind::ALL.len(),
                "{kinds:?}"
            );
            let statuses: std::collections::BTreeSet<&str> = staffsync_store::RunStatus::ALL
                .into_iter()
                .map(|s| run_status_text(lang, s))
                .collect();
            assert_eq!(statuses.len(), staffsync_store::RunStatus::ALL.len());
            for (texts, n) in [
                (
                    staffsync_core::GroupKind::ALL.map(|k| group_kind_text(lang, k)),
                    staffsync_core::GroupKind::ALL.len(),
                ),
                (
                    staffsync_core::GroupKind::ALL.map(|k| group_kind_plural(lang, k)),
                    staffsync_core::GroupKind::ALL.len(),
                ),
            ] {
                let unique: std::collections::BTreeSet<&str> = texts.into_iter().collect();
                assert_eq!(unique.len(), n, "{unique:?}");
            }
        }
        assert_eq!(
            run_kind_text(Lang::De, staffsync_store::RunKind::Targeted),
            "Gezielt (Ereignis oder Stichtag)"
        );
    }

    #[test]
    fn texts_are_sorted_and_unique() {
        for w in TEXTS.windows(2) {
            assert!(
                w[0].0 < w[1].0,
                "{:?} must come before {:?}",
                w[1].0,
                w[0].0
            );
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,de;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            from_accept_language("fr,de-DE;q=0.7,en;q=0.5"),
            Some(Lang::De)
        );
        assert_eq!(from_accept_language("fr"), None);
        assert_eq!(from_accept_language("en;q=0, de;q=0.1"), Some(Lang::De));
    }

    #[test]
    fn keys_find_their_texts_while_compiling_and_from_data() {
        assert_eq!(t(Lang::De, key!("nav.integration")), "Integration");
        assert_eq!(t(Lang::En, key!("nav.history")), "Sync history");
        assert_eq!(lookup(Lang::De, "attr.department"), Some("Abteilung"));
        assert_eq!(lookup(Lang::En, "attr.dynamic_33400"), None);
        // Every text is found by its name, so the binary search agrees with `Key::of`.
        for (i, (name, _, _)) in TEXTS.iter().enumerate() {
            assert_eq!(Key::lookup(name), Some(Key(i)));
            assert_eq!(Key::of(name), Key(i));
        }
    }
}
