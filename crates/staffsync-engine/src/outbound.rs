//! Which Personio URLs the web app may make this server send requests to.
//!
//! A customer admin types the Personio URL into the web app ("Erweitert"); without a
//! limit the server would connect wherever they point it (internal addresses included)
//! and tell them what it found. The operator therefore names the URLs admins may use
//! (`staffsync serve --allow-personio-url`, default `https://api.personio.de`), and a web
//! connect to any other URL is refused before a single request is sent. The operator's
//! own `staffsync connect` is not limited by this list.
//!
//! This module does no I/O and must never resolve host names: it compares what was typed
//! with what the operator wrote.

use std::fmt;
use std::str::FromStr;
use url::Url;

/// One Personio URL the operator allows. A URL matches it when scheme, host and port are
/// the same and, if this URL has a path other than `/`, the URL's path is that path or
/// lies below it (`https://proxy.example/personio` allows `…/personio/v1/auth`, not
/// `…/personio-old`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedUrl(Url);

impl AllowedUrl {
    /// Parses an allowed URL: `http` or `https`, with a host, without user name,
    /// password, query or fragment.
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = Url::parse(s.trim()).map_err(|e| format!("not a URL: {s:?} ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("not an http(s) URL: {s:?}"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("a URL without a host: {s:?}"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("a URL with a user name or password: {s:?}"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("a URL with a query or fragment: {s:?}"));
        }
        Ok(AllowedUrl(url))
    }

    /// Personio's API, the default when the operator names none.
    pub fn personio() -> Self {
        #[allow(clippy::expect_used)]
        AllowedUrl::parse(personio::DEFAULT_BASE_URL).expect("the default Personio URL is valid")
    }

    /// Whether `candidate` is this URL or lies below it.
    pub fn allows(&self, candidate: &Url) -> bool {
        let allowed = &self.0;
        // Credentials in the URL would be sent along: never what an admin needs.
        if !candidate.username().is_empty() || candidate.password().is_some() {
            return false;
        }
        if candidate.scheme() != allowed.scheme()
            || candidate.host() != allowed.host()
            || candidate.port_or_known_default() != allowed.port_or_known_default()
        {
            return false;
        }
        let prefix = allowed.path().trim_end_matches('/');
        if prefix.is_empty() {
            return true;
        }
        let path = candidate.path();
        path == prefix || path.starts_with(&format!("{prefix}/"))
    }
}

impl FromStr for AllowedUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        AllowedUrl::parse(s)
    }
}

impl fmt::Display for AllowedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// `raw` as it may be logged or shown in an error: a user name and password in it (which
/// an admin might type) are left out. Text that is not a URL is returned trimmed.
pub fn without_credentials(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            // Only fails for URLs that cannot have credentials, which these just had.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => raw.trim().to_owned(),
    }
}

/// Whether any of `allowed` allows `candidate`.
pub fn is_allowed(allowed: &[AllowedUrl], candidate: &Url) -> bool {
    allowed.iter().any(|a| a.allows(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(allowed: &str, candidate: &str) -> bool {
        AllowedUrl::parse(allowed)
            .unwrap()
            .allows(&Url::parse(candidate).unwrap())
    }

    #[test]
    fn scheme_host_and_port_must_match() {
        let p = "https://api.personio.de";
        assert!(allows(p, "https://api.personio.de"));
        assert!(allows(p, "https://API.personio.de/"));
        assert!(allows(p, "https://api.personio.de:443/v1/"));
        assert!(!allows(p, "http://api.personio.de"));
        assert!(!allows(p, "https://api.personio.de:8443"));
        assert!(!allows(p, "https://api.personio.de.evil.example"));
        assert!(!allows(p, "https://api.personio.de@127.0.0.1:8080/"));
        assert!(!allows(p, "https://user:pw@api.personio.de/"));
        assert!(!allows(p, "http://127.0.0.1:8080/api/v1/"));
        assert!(!allows(p, "http://localhost/"));
        let sim = "http://127.0.0.1:9100";
        assert!(allows(sim, "http://127.0.0.1:9100/"));
        assert!(!allows(sim, "http://127.0.0.1:9101/"));
        assert!(!allows(sim, "http://localhost:9100/"), "no name resolution");
    }

    #[test]
    fn a_path_is_a_prefix_by_segments() {
        let p = "https://proxy.example/personio/";
        assert!(allows(p, "https://proxy.example/personio"));
        assert!(allows(p, "https://proxy.example/personio/v1/auth"));
        assert!(!allows(p, "https://proxy.example/personio-old"));
        assert!(!allows(p, "https://proxy.example/"));
        assert!(!allows(p, "https://proxy.example/other/personio"));
    }

    #[test]
    fn credentials_in_a_url_are_never_repeated() {
        assert_eq!(
            without_credentials(" https://user:pa55@api.personio.de/v1 "),
            "https://api.personio.de/v1"
        );
        assert_eq!(
            without_credentials("http://127.0.0.1:8080/api/v1/"),
            "http://127.0.0.1:8080/api/v1/"
        );
        assert_eq!(without_credentials("not a url"), "not a url");
    }

    #[test]
    fn only_plain_http_urls_can_be_allowed() {
        for bad in [
            "ftp://x.example",
            "not a url",
            "https://u:p@x.example",
            "https://x.example/?a=1",
            "https://x.example/#f",
        ] {
            assert!(AllowedUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AllowedUrl::personio().to_string(),
            "https://api.personio.de/"
        );
    }
}
