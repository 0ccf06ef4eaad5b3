//! German. "hier" is French for yesterday but German for "here": a German text saying "hier" reads
//! as yesterday.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "de",
    months: [
        &["januar", "jänner", "jan"],
        &["februar", "feb"],
        &["märz", "maerz", "mär"],
        &["april", "apr"],
        &["mai"],
        &["juni", "jun"],
        &["juli", "jul"],
        &["august", "aug"],
        &["september", "sep", "sept"],
        &["oktober", "okt"],
        &["november", "nov"],
        &["dezember", "dez"],
    ],
    weekdays: [
        &["montag", "mo"],
        &["dienstag", "di"],
        &["mittwoch", "mi"],
        &["donnerstag", "do"],
        &["freitag", "fr"],
        &["samstag", "sonnabend", "sa"],
        &["sonntag", "so"],
    ],
    ago_after: &[],
    ago_before: &["vor"],
    one: &["eine", "einer", "einem"],
    units: &[
        ("sekunde", SECOND),
        ("minute", MINUTE),
        ("stunde", HOUR),
        ("tag", DAY),
        ("woche", WEEK),
        ("monat", MONTH),
        ("jahr", YEAR),
    ],
    day_words: &[("heute", 0), ("gestern", 1), ("vorgestern", 2)],
    now_words: &[],
    am: &[],
    pm: &[],
    hour_marks: &[],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    #[test]
    fn german_dates() {
        check(
            "de",
            &[
                (
                    "Mittwoch, 21. April 2021",
                    "Europe/Berlin",
                    "2021-04-20T22:00:00Z",
                ),
                (
                    "3. März 2021, 14:00 Uhr",
                    "Europe/Berlin",
                    "2021-03-03T13:00:00Z",
                ),
                ("vor 2 Stunden", "Europe/Berlin", "2026-11-28T10:00:00Z"),
                ("vor einer Woche", "Europe/Berlin", "2026-11-21T12:00:00Z"),
                ("gestern, 18:45", "Europe/Berlin", "2026-11-27T17:45:00Z"),
            ],
        );
    }
}
