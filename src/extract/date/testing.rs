//! The check every language file's tests call: real-looking date strings with the instants they
//! must give.

use chrono::{DateTime, Utc};

use super::{DateContext, LANGUAGES, parse_date};

/// "Now" of every check, for relative forms and dates without a year.
pub(crate) const NOW: &str = "2026-11-28T12:00:00Z";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// Asserts that the language `code` is registered and that each (text, time zone, UTC instant)
/// reads as that instant, now being [`NOW`]; lists every wrong case at once.
pub(crate) fn check(code: &str, cases: &[(&str, &str, &str)]) {
    assert!(
        LANGUAGES.iter().any(|l| l.code == code),
        "{code} is not registered"
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(text, tz, want)| {
            let cx = DateContext {
                tz: tz.parse().unwrap_or_else(|e| panic!("{tz}: {e}")),
                formats: &[],
                now: utc(NOW),
            };
            let got = parse_date(text, &cx);
            (got != Some(utc(want))).then(|| format!("{text:?} in {tz}: got {got:?}, want {want}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{code}: {} of {} wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
