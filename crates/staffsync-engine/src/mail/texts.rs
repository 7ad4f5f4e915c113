//! The words of alert e-mails, in German and English, as a [`Letter`] value. Rendering it
//! as plain text and HTML (with every value escaped) is the server's
//! (`staffsync_server::letters`), handed to [`AppState::with_letters`](crate::AppState::with_letters).
//!
//! A letter says what happened, what it means for the directory and what to do, with a
//! link to the page where it is done when the deployment has a public base URL. It must
//! never contain an employee's personal data (only counts), the Personio secret or the
//! SMTP password: everything it shows comes from [`IncidentDetails`], which holds counts,
//! a run id, an attribute key and a failure category.

use crate::lang::Lang;
use staffsync_store::{IncidentDetails, IncidentKind, IncidentPhase};

/// One alert e-mail's content before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub lang: Lang,
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// (label, URL) of the page to act on.
    pub link: Option<(String, String)>,
    pub footer: String,
}

/// Renders a letter as its plain-text and HTML bodies (the HTML one escaping every value),
/// or says why it could not.
pub type RenderLetter = fn(&Letter) -> Result<(String, String), String>;

/// What the letter is about, and where its links point.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub kind: IncidentKind,
    pub phase: IncidentPhase,
    pub details: &'a IncidentDetails,
    pub account_name: &'a str,
    /// `--public-base-url` without a trailing slash, if the deployment has one.
    pub base_url: Option<&'a str>,
}

fn pick(lang: Lang, de: String, en: String) -> String {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// A failure category (see `engine::alerts::failure_reason`) in plain words.
pub fn reason_text(lang: Lang, reason: &str) -> &'static str {
    let (de, en) = match reason {
        "personio_unavailable" => (
            "Personio war nicht erreichbar oder hat mit einem Serverfehler geantwortet.",
            "Personio could not be reached or answered with a server error.",
        ),
        "personio_rate_limited" => (
            "Personio hat zu viele Anfragen abgelehnt (Ratenbegrenzung).",
            "Personio kept refusing requests because of its rate limit.",
        ),
        "personio_inconsistent" => (
            "Personio hat unvollständige oder widersprüchliche Daten geliefert; aus Sicherheitsgründen wurde nichts übernommen.",
            "Personio sent incomplete or inconsistent data; to be safe, nothing was applied.",
        ),
        "personio_refused" => (
            "Personio hat die Anfragen abgelehnt.",
            "Personio refused the requests.",
        ),
        "personio_url" => (
            "Die hinterlegte Personio-Adresse ist ungültig oder leitet weiter.",
            "The stored Personio address is invalid or redirects elsewhere.",
        ),
        "not_connected" => (
            "Das Konto ist nicht mehr mit Personio verbunden.",
            "The account is no longer connected to Personio.",
        ),
        "wrong_source" => (
            "Das Konto bezieht seine Mitarbeitenden aus einer anderen Quelle (Personio oder Mitarbeiterdatei) als der Lauf.",
            "The account takes its people from another source (Personio or an employee file) than the run.",
        ),
        _ => (
            "Ein interner Fehler in staffsync; der Betreiber ist informiert (Protokoll).",
            "An internal error in staffsync; the operator can see it in the logs.",
        ),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// The letter carrying a password-reset link for an admin of `account_name`, valid for
/// `minutes`. It holds the link (a one-time token) and never a password.
pub fn password_reset_letter(lang: Lang, account_name: &str, link: &str, minutes: i64) -> Letter {
    Letter {
        lang,
        subject: pick(
            lang,
            format!("{account_name}: Passwort zurücksetzen"),
            format!("{account_name}: reset your password"),
        ),
        paragraphs: vec![
            pick(
                lang,
                format!("Für Ihren Zugang zu staffsync ({account_name}) wurde ein neues Passwort angefordert. Über den Link unten legen Sie es fest. Der Link gilt {minutes} Minuten und nur einmal; danach enden alle Anmeldungen mit dem alten Passwort."),
                format!("A new password was requested for your staffsync login ({account_name}). Set it through the link below. The link works for {minutes} minutes and only once; after that every login with the old password ends."),
            ),
            pick(
                lang,
                "Haben Sie das nicht angefordert, ignorieren Sie diese Nachricht: Ihr Passwort bleibt, wie es ist.".into(),
                "If you did not ask for this, ignore this message: your password stays as it is.".into(),
            ),
        ],
        link: Some((
            pick(lang, "Neues Passwort festlegen".into(), "Set a new password".into()),
            link.to_owned(),
        )),
        footer: pick(
            lang,
            "Diese Nachricht sendet staffsync, weil auf der Anmeldeseite „Passwort vergessen?“ mit Ihrer E-Mail-Adresse benutzt wurde.".into(),
            "staffsync sends this message because “Forgot your password?” was used with your e-mail address on the login page.".into(),
        ),
    }
}

/// The letter for `about` in `lang`.
pub fn letter(lang: Lang, about: &About<'_>) -> Letter {
    let d = about.details;
    let name = about.account_name;
    let integration = about.base_url.map(|b| format!("{b}/integration"));
    let integration_link = |de: &str, en: &str| {
        integration
            .clone()
            .map(|u| (pick(lang, de.into(), en.into()), u))
    };
    let footer = pick(
        lang,
        format!(
            "Diese Nachricht sendet staffsync an die Administratoren von {name}. Sie kommt einmal, wenn ein Problem auftritt, und einmal, wenn es behoben ist."
        ),
        format!(
            "staffsync sends this message to the admins of {name}. It comes once when a problem starts and once when it is resolved."
        ),
    );
    let resolved = about.phase == IncidentPhase::Resolved;
    let (subject, paragraphs, link) = match (about.kind, resolved) {
        (IncidentKind::HeldRun, false) if d.removals.unwrap_or_default() == 0 => {
            // Held only for new ids (issue 24): nobody would be removed.
            let rekeys = d.rekeys.unwrap_or_default();
            let size = d.directory_size.unwrap_or_default();
            let review = integration.as_ref().map(|u| format!("{u}#held-review"));
            let (count_de, count_en) = if rekeys == 1 {
                (
                    format!("1 von {size} Personen bekäme eine neue ID"),
                    format!("ID changed for 1 of {size} people"),
                )
            } else {
                (
                    format!("{rekeys} von {size} Personen bekämen eine neue ID"),
                    format!("IDs changed for {rekeys} of {size} people"),
                )
            };
            (
                pick(
                    lang,
                    format!("{name}: Synchronisation angehalten – {count_de}"),
                    format!("{name}: sync held – {count_en}"),
                ),
                vec![
                    pick(
                        lang,
                        format!("Der Löschschutz hat die Synchronisation angehalten: {count_de}. Sie haben dieselbe E-Mail-Adresse wie zuvor, gelten also als dieselben Personen (z. B. wiedereingestellt oder neu exportiert) und behalten ihre Einträge. So viele auf einmal prüft ein Mensch, bevor sie übernommen werden. Es wurde nichts geändert."),
                        format!("The deletion guard held the sync: {count_en}. They have the same e-mail address as before, so they count as the same people (rehired or exported again, say) and keep their entries. So many at once are reviewed by a person before they apply. Nothing was changed."),
                    ),
                    pick(
                        lang,
                        "Bitte prüfen Sie die Liste und übernehmen oder verwerfen Sie den Lauf unter Menü → Integration. Bis dahin bleibt das Verzeichnis auf dem alten Stand.".into(),
                        "Please review the list, then accept or reject the run under Menu → Integration. Until then the directory stays as it was.".into(),
                    ),
                ],
                review.map(|u| (pick(lang, "Lauf prüfen".into(), "Review the run".into()), u)),
            )
        }
        (IncidentKind::HeldRun, false) => {
            let removals = d.removals.unwrap_or_default();
            let size = d.directory_size.unwrap_or_default();
            // The review (who would go, "accept" / "reject") is on the Integration page.
            let review = integration.as_ref().map(|u| format!("{u}#held-review"));
            (
                if removals == 1 {
                    pick(
                        lang,
                        format!("{name}: Synchronisation angehalten – 1 Person würde entfernt"),
                        format!("{name}: sync held – 1 person would be removed"),
                    )
                } else {
                    pick(
                        lang,
                        format!("{name}: Synchronisation angehalten – {removals} Personen würden entfernt"),
                        format!("{name}: sync held – {removals} people would be removed"),
                    )
                },
                vec![
                    if removals == 1 {
                        pick(
                            lang,
                            format!("Die Synchronisation mit Personio wurde vom Löschschutz angehalten: 1 von {size} Personen würde aus dem Verzeichnis entfernt. Es wurde nichts geändert."),
                            format!("The deletion guard held the sync with Personio: 1 of {size} people would be removed from the directory. Nothing was changed."),
                        )
                    } else {
                        pick(
                            lang,
                            format!("Die Synchronisation mit Personio wurde vom Löschschutz angehalten: {removals} von {size} Personen würden aus dem Verzeichnis entfernt. Es wurde nichts geändert."),
                            format!("The deletion guard held the sync with Personio: {removals} of {size} people would be removed from the directory. Nothing was changed."),
                        )
                    },
                    pick(
                        lang,
                        "Bitte prüfen Sie, wer entfernt würde, und übernehmen oder verwerfen Sie den Lauf unter Menü → Integration. Bis dahin bleibt das Verzeichnis auf dem alten Stand.".into(),
                        "Please review who would be removed, then accept or reject the run under Menu → Integration. Until then the directory stays as it was.".into(),
                    ),
                ],
                review.map(|u| (pick(lang, "Lauf prüfen".into(), "Review the run".into()), u)),
            )
        }
        (IncidentKind::HeldRun, true) => (
            pick(
                lang,
                format!("{name}: Synchronisation läuft wieder"),
                format!("{name}: sync running again"),
            ),
            vec![pick(
                lang,
                "Ein vollständiger Lauf wurde übernommen; der angehaltene Lauf ist erledigt und das Verzeichnis ist wieder aktuell.".into(),
                "A full run was applied; the held run is settled and the directory is up to date again.".into(),
            )],
            integration_link("Zur Integration", "Open Integration"),
        ),
        (IncidentKind::CredentialRejected, false) => (
            pick(
                lang,
                format!("{name}: Personio lehnt die API-Zugangsdaten ab"),
                format!("{name}: Personio rejects the API credential"),
            ),
            vec![
                pick(
                    lang,
                    "Personio hat die hinterlegten API-Zugangsdaten abgelehnt (widerrufen, geändert oder abgelaufen). Bis das behoben ist, wird nicht synchronisiert; das Verzeichnis bleibt auf dem alten Stand.".into(),
                    "Personio rejected the stored API credential (revoked, changed or expired). Until this is fixed nothing syncs; the directory stays as it was.".into(),
                ),
                pick(
                    lang,
                    "Legen Sie in Personio unter Einstellungen → API-Zugangsdaten neue Zugangsdaten an und verbinden Sie sie unter Menü → Integration.".into(),
                    "Create a new credential in Personio under Settings → API credentials and connect it under Menu → Integration.".into(),
                ),
            ],
            integration_link("Neu verbinden", "Connect again"),
        ),
        (IncidentKind::AttributeUnreadable, false) => {
            let attribute = d.attribute.clone().unwrap_or_default();
            (
                pick(
                    lang,
                    format!("{name}: Pflichtattribut „{attribute}“ nicht mehr lesbar"),
                    format!("{name}: mandatory attribute \"{attribute}\" no longer readable"),
                ),
                vec![
                    pick(
                        lang,
                        format!("Die API-Zugangsdaten dürfen das Pflichtattribut „{attribute}“ nicht mehr lesen. Damit dieses Feld nicht bei allen geleert wird, wird nicht synchronisiert; das Verzeichnis bleibt auf dem alten Stand."),
                        format!("The API credential may no longer read the mandatory attribute \"{attribute}\". So that this field is not blanked for everybody, nothing syncs; the directory stays as it was."),
                    ),
                    pick(
                        lang,
                        "Setzen Sie in Personio unter Einstellungen → API-Zugangsdaten → Attribute wieder den Haken.".into(),
                        "Tick it again in Personio under Settings → API credentials → Attributes.".into(),
                    ),
                ],
                integration_link("Zur Integration", "Open Integration"),
            )
        }
        (IncidentKind::SyncFailing, false) => {
            let failures = d.failures.unwrap_or_default();
            let reason = reason_text(lang, d.reason.as_deref().unwrap_or_default());
            (
                pick(
                    lang,
                    format!("{name}: Synchronisation {failures}-mal in Folge fehlgeschlagen"),
                    format!("{name}: sync failed {failures} times in a row"),
                ),
                vec![
                    pick(
                        lang,
                        format!("Die Synchronisation mit Personio ist {failures}-mal in Folge fehlgeschlagen. Es wurde nichts geändert; staffsync versucht es weiter."),
                        format!("The sync with Personio failed {failures} times in a row. Nothing was changed; staffsync keeps trying."),
                    ),
                    pick(lang, format!("Grund: {reason}"), format!("Reason: {reason}")),
                ],
                integration_link("Zur Integration", "Open Integration"),
            )
        }
        (IncidentKind::WebhookDropped, false) => (
            pick(
                lang,
                format!("{name}: Personio-Webhook entfernt"),
                format!("{name}: Personio webhook removed"),
            ),
            vec![
                pick(
                    lang,
                    "Der Webhook, über den Personio Änderungen sofort meldet, ist in Personio nicht mehr aktiv. Änderungen kommen jetzt nur noch mit der regelmäßigen Synchronisation an.".into(),
                    "The webhook through which Personio reports changes at once is no longer active in Personio. Changes now arrive only with the regular sync.".into(),
                ),
                pick(
                    lang,
                    "Verbinden Sie die API-Zugangsdaten unter Menü → Integration erneut; dabei wird der Webhook neu angelegt.".into(),
                    "Connect the API credential again under Menu → Integration; that registers the webhook anew.".into(),
                ),
            ],
            integration_link("Neu verbinden", "Connect again"),
        ),
        (kind, true) => (
            pick(
                lang,
                format!("{name}: behoben – {}", kind_title(Lang::De, kind)),
                format!("{name}: resolved – {}", kind_title(Lang::En, kind)),
            ),
            vec![pick(
                lang,
                "Das Problem ist behoben: der letzte Lauf war erfolgreich.".into(),
                "The problem is resolved: the latest run succeeded.".into(),
            )],
            integration_link("Zur Integration", "Open Integration"),
        ),
    };
    Letter {
        lang,
        subject,
        paragraphs,
        link,
        footer,
    }
}

/// A short title of an incident kind (web app list, resolved mails).
pub fn kind_title(lang: Lang, kind: IncidentKind) -> &'static str {
    let (de, en) = match kind {
        IncidentKind::HeldRun => (
            "Synchronisation vom Löschschutz angehalten",
            "Sync held by the deletion guard",
        ),
        IncidentKind::CredentialRejected => (
            "Personio lehnt die API-Zugangsdaten ab",
            "Personio rejects the API credential",
        ),
        IncidentKind::AttributeUnreadable => (
            "Pflichtattribut nicht mehr lesbar",
            "Mandatory attribute no longer readable",
        ),
        IncidentKind::SyncFailing => (
            "Synchronisation schlägt wiederholt fehl",
            "Sync keeps failing",
        ),
        IncidentKind::WebhookDropped => ("Personio-Webhook entfernt", "Personio webhook removed"),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(kind: IncidentKind, phase: IncidentPhase, d: &IncidentDetails) -> About<'_> {
        About {
            kind,
            phase,
            details: d,
            account_name: "Acme <GmbH>",
            base_url: Some("https://staffsync.example.com"),
        }
    }

    #[test]
    fn every_kind_and_phase_has_words_in_both_languages() {
        let d = IncidentDetails {
            run_id: Some(42),
            removals: Some(15),
            rekeys: None,
            directory_size: Some(45),
            attribute: Some("email".into()),
            failures: Some(3),
            reason: Some("personio_unavailable".into()),
        };
        for kind in IncidentKind::ALL {
            for phase in [IncidentPhase::Opened, IncidentPhase::Resolved] {
                let de = letter(Lang::De, &about(kind, phase, &d));
                let en = letter(Lang::En, &about(kind, phase, &d));
                assert_ne!(de.subject, en.subject, "{kind} {phase:?}");
                assert!(!de.paragraphs.is_empty() && de.link.is_some());
                assert!(
                    de.paragraphs.iter().any(|p| p.contains("Acme <GmbH>"))
                        || de.subject.contains("Acme <GmbH>")
                        || de.footer.contains("Acme <GmbH>"),
                    "{de:?}"
                );
            }
        }
        let held = letter(
            Lang::En,
            &about(IncidentKind::HeldRun, IncidentPhase::Opened, &d),
        );
        assert!(held.subject.contains("15 people"), "{}", held.subject);
        // One person is one person, in both languages (the guard holds a small
        // directory emptied by a single removal).
        let one = IncidentDetails {
            removals: Some(1),
            directory_size: Some(1),
            ..d.clone()
        };
        let about_one = about(IncidentKind::HeldRun, IncidentPhase::Opened, &one);
        let de = letter(Lang::De, &about_one);
        assert!(
            de.subject.ends_with("1 Person würde entfernt"),
            "{}",
            de.subject
        );
        assert!(
            de.paragraphs[0].contains("1 von 1 Personen würde"),
            "{:?}",
            de.paragraphs
        );
        let en = letter(Lang::En, &about_one);
        assert!(
            en.subject.ends_with("1 person would be removed"),
            "{}",
            en.subject
        );
        assert_eq!(
            held.link.unwrap().1,
            "https://staffsync.example.com/integration#held-review"
        );
    }

    /// A run held only for new ids (issue 24) says so, and never "0 people would be
    /// removed".
    #[test]
    fn a_hold_for_new_ids_says_how_many_would_get_one() {
        let d = IncidentDetails {
            run_id: Some(7),
            removals: Some(0),
            rekeys: Some(6),
            directory_size: Some(20),
            ..IncidentDetails::default()
        };
        let about = about(IncidentKind::HeldRun, IncidentPhase::Opened, &d);
        let de = letter(Lang::De, &about);
        assert!(
            de.subject
                .ends_with("angehalten – 6 von 20 Personen bekämen eine neue ID"),
            "{}",
            de.subject
        );
        let en = letter(Lang::En, &about);
        assert!(
            en.subject.ends_with("IDs changed for 6 of 20 people"),
            "{}",
            en.subject
        );
        for l in [&de, &en] {
            let text = format!("{} {}", l.subject, l.paragraphs.join(" "));
            assert!(
                !text.contains("removed") && !text.contains("entfernt"),
                "{text}"
            );
        }
        assert!(en.link.is_some());
    }
}
