//! Alert e-mails rendered: the engine words a letter ([`Letter`]), this module lays it out
//! as plain text and HTML (askama templates `templates/mail/alert.txt` and `alert.html`;
//! the HTML one escapes every value). [`render`] is what the engine's state is given
//! ([`AppState::with_letters`](staffsync_engine::AppState::with_letters)).

use askama::Template;
use staffsync_engine::mail::texts::Letter;

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct TextMail<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct HtmlMail<'a> {
    letter: &'a Letter,
}

/// The plain-text and the HTML body of `letter`.
pub fn render(letter: &Letter) -> Result<(String, String), String> {
    let text = TextMail { letter }.render().map_err(|e| e.to_string())?;
    let html = HtmlMail { letter }.render().map_err(|e| e.to_string())?;
    Ok((text, html))
}

#[cfg(test)]
mod tests {
    use super::render;
    use staffsync_engine::lang::Lang;
    use staffsync_engine::mail::texts::{About, letter};
    use staffsync_store::{IncidentDetails, IncidentKind, IncidentPhase};

    #[test]
    fn every_letter_renders_and_its_html_is_escaped() {
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
                for lang in [Lang::De, Lang::En] {
                    let about = About {
                        kind,
                        phase,
                        details: &d,
                        account_name: "Acme <GmbH>",
                        base_url: Some("https://staffsync.example.com"),
                    };
                    let (text, html) = render(&letter(lang, &about)).unwrap();
                    assert!(text.contains("Acme <GmbH>"), "{text}");
                    assert!(
                        html.contains("Acme &#60;GmbH&#62;") || html.contains("Acme &lt;GmbH&gt;"),
                        "{html}"
                    );
                    assert!(!html.contains("<GmbH>"), "{html}");
                }
            }
        }
    }
}
