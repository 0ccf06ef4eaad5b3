//! English.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "en",
    months: [
        &["january", "jan"],
        &["february", "feb"],
        &["march", "mar"],
        &["april", "apr"],
        &["may"],
        &["june", "jun"],
        &["july", "jul"],
        &["august", "aug"],
        &["september", "sep", "sept"],
        &["october", "oct"],
        &["november", "nov"],
        &["december", "dec"],
    ],
    weekdays: [
        &["monday", "mon"],
        &["tuesday", "tue", "tues"],
        &["wednesday", "wed"],
        &["thursday", "thu", "thur", "thurs"],
        &["friday", "fri"],
        &["saturday", "sat"],
        &["sunday", "sun"],
    ],
    ago_after: &["ago"],
    ago_before: &[],
    one: &["a", "an", "one"],
    units: &[
        ("sec", SECOND),
        ("min", MINUTE),
        ("hour", HOUR),
        ("hr", HOUR),
        ("day", DAY),
        ("week", WEEK),
        ("month", MONTH),
        ("year", YEAR),
    ],
    day_words: &[("today", 0), ("yesterday", 1)],
    now_words: &["just now"],
    am: &["a.m."],
    pm: &["p.m."],
    hour_marks: &[],
    // What Joomla K2 and WordPress print most.
    formats: &["%A, %d %B %Y %H:%M", "%d %B %Y %H:%M", "%B %d, %Y %H:%M"],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    #[test]
    fn k2_english_form_is_read_in_the_feed_zone() {
        // Almaty was UTC+6 in 2021.
        check(
            "en",
            &[(
                "Wednesday, 21 April 2021 10:14",
                "Asia/Almaty",
                "2021-04-21T04:14:00Z",
            )],
        );
    }

    #[test]
    fn english_dates() {
        check(
            "en",
            &[
                ("Apr 21, 2021 3:05 PM", "UTC", "2021-04-21T15:05:00Z"),
                ("12:30 a.m., May 2, 2021", "UTC", "2021-05-02T00:30:00Z"),
                ("an hour ago", "UTC", "2026-11-28T11:00:00Z"),
                ("3 days ago", "UTC", "2026-11-25T12:00:00Z"),
                ("yesterday at 10:14", "UTC", "2026-11-27T10:14:00Z"),
                ("just now", "UTC", "2026-11-28T12:00:00Z"),
            ],
        );
    }
}
