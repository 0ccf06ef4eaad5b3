//! Dates as sites print them. This first layer reads RFC 3339, RFC 2822, ISO 8601 forms and English
//! month/weekday names as Joomla K2 prints them ("Wednesday, 21 April 2021 10:14"). A date without an
//! offset is read in the feed's time zone; results are UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Naive date-time forms, tried in order.
const DATETIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%A, %d %B %Y %H:%M",
    "%A, %d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%B %d, %Y %H:%M",
];

/// Date-only forms, read as midnight in the feed's zone.
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%A, %d %B %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%A, %B %d, %Y",
];

/// Reads `text` as a date; `None` when no form fits.
pub fn parse_date(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = super::text::collapse_whitespace(text);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = DATETIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            DATE_FORMATS
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    local_to_utc(naive, tz)
}

/// A wall-clock time in `tz` as UTC; in a DST gap or overlap the earliest valid instant.
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn k2_english_form_is_read_in_the_feed_zone() {
        let almaty: Tz = "Asia/Almaty".parse().unwrap();
        // Almaty was UTC+6 in 2021.
        assert_eq!(
            parse_date("Wednesday, 21 April 2021 10:14", almaty),
            Some(utc("2021-04-21T04:14:00Z"))
        );
        assert_eq!(
            parse_date(" 21 April 2021 ", Tz::UTC),
            Some(utc("2021-04-21T00:00:00Z"))
        );
    }

    #[test]
    fn offsets_win_over_the_zone() {
        let almaty: Tz = "Asia/Almaty".parse().unwrap();
        assert_eq!(
            parse_date("2021-04-21T10:14:00+02:00", almaty),
            Some(utc("2021-04-21T08:14:00Z"))
        );
        assert_eq!(
            parse_date("Wed, 21 Apr 2021 10:14:00 GMT", almaty),
            Some(utc("2021-04-21T10:14:00Z"))
        );
        assert_eq!(
            parse_date("2021-04-21 10:14", almaty),
            Some(utc("2021-04-21T04:14:00Z"))
        );
    }

    #[test]
    fn nonsense_is_none() {
        assert_eq!(parse_date("Rate this item", Tz::UTC), None);
        assert_eq!(parse_date("", Tz::UTC), None);
    }
}
