//! `${VAR}` expansion from the environment, and `*_file` secrets. Both run during validation so a
//! missing variable or unreadable file is reported with every other problem.

use std::path::Path;

/// A `${NAME}` whose variable is not set.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("environment variable `{name}` is not set")]
pub struct Unset {
    pub name: String,
}

/// A `*_file` secret that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{}`: {error}", path.display())]
pub struct Unreadable {
    pub path: std::path::PathBuf,
    pub error: std::io::Error,
}

/// Replaces every `${NAME}` in `text` with the variable's value, through `lookup`; the first
/// variable that is not set is the error.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, Unset> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        out.push_str(&lookup(name).ok_or_else(|| Unset {
            name: name.to_string(),
        })?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A URL as config errors show it: scheme and host, the rest masked, since a webhook's path or
/// query is often its token (`https://hooks.slack.com/…(41 characters hidden)`). Works on text
/// that does not parse as a URL too, which is when it is shown.
pub fn masked_url(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, hidden) = rest.split_at(end);
    // user:password@host: the credentials go too.
    let host = match authority.rfind('@') {
        Some(at) => format!("…@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    match hidden.chars().count() {
        0 => format!("{scheme}{host}"),
        n => format!("{scheme}{host}/…({n} characters hidden)"),
    }
}

/// A connection string as messages show it: the password masked, options left out (they may hold
/// one too), user, host, port and database kept, since they are what an operator checks.
pub fn show_db_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        // A URL that does not parse: user, password and path all hidden.
        _ if url.contains("://") => masked_url(url),
        // The key=value form: every value after `password=` masked.
        _ => url
            .split_whitespace()
            .map(|kv| match kv.split_once('=') {
                Some(("password", _)) => "password=***".to_string(),
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The content of a secret file, without its trailing newline.
pub fn read_secret(path: &Path) -> Result<String, Unreadable> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
        .map_err(|error| Unreadable {
            path: path.to_path_buf(),
            error,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_in_an_error_keeps_scheme_and_host_and_hides_the_rest() {
        let hook = "https://hooks.slack.com/services/T0/B0/sEcReT";
        assert_eq!(
            masked_url(hook),
            "https://hooks.slack.com/…(22 characters hidden)"
        );
        assert!(!masked_url("https//hooks.slack.com/services/sEcReT").contains("sEcReT"));
        assert!(!masked_url("https://user:sEcReT@host.test/x?token=sEcReT").contains("sEcReT"));
        assert_eq!(masked_url("https://host.test"), "https://host.test");
        assert_eq!(
            masked_url("ftp://host.test?k=v"),
            "ftp://host.test/…(4 characters hidden)"
        );
    }

    #[test]
    fn expands_and_names_the_missing_variable() {
        let env = |k: &str| (k == "HOOK").then(|| "https://h/1".to_string());
        assert_eq!(expand("${HOOK}?x=1", env).unwrap(), "https://h/1?x=1");
        assert_eq!(expand("plain $HOME {x}", env).unwrap(), "plain $HOME {x}");
        assert_eq!(expand("a${NOPE}b", env).unwrap_err().name, "NOPE");
    }
}
