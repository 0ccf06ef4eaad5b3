//! Tajik. Month names are the Russian-derived ones as Tajik spells them ("апрел"), bare or with
//! the izofat ("21 апрели 2024", "21 апрели соли 2024"); the Solar Hijri months (Ҳамал, ...) are
//! another calendar and are not read. "3 соат пеш", "дирӯз, 18:45". Sites typing without the Tajik letters
//! write "руз" for "рӯз": both are listed where it matters. The year word ("соли") needs no entry.
//!
//! Shared words: "Душанбе" is Monday and the capital (a dateline "ДУШАНБЕ, 21 апрели 2024" is
//! read right either way); "моҳ" is a month and the moon; "соат" (hour) is Uzbek "соат" too.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "tg",
    // Bare, then with the izofat.
    months: [
        &["январ", "январи"],
        &["феврал", "феврали"],
        &["март", "марти"],
        &["апрел", "апрели"],
        &["май", "майи"],
        &["июн", "июни"],
        &["июл", "июли"],
        &["август", "августи"],
        &["сентябр", "сентябри"],
        &["октябр", "октябри"],
        &["ноябр", "ноябри"],
        &["декабр", "декабри"],
    ],
    weekdays: [
        &["душанбе"],
        &["сешанбе"],
        &["чоршанбе"],
        &["панҷшанбе"],
        &["ҷумъа"],
        &["шанбе"],
        &["якшанбе"],
    ],
    ago_after: &["пеш", "қабл"],
    ago_before: &[],
    one: &["як"],
    units: &[
        ("сония", SECOND),
        ("дақиқа", MINUTE),
        ("дакика", MINUTE),
        ("соат", HOUR),
        ("рӯз", DAY),
        ("руз", DAY),
        ("ҳафта", WEEK),
        ("хафта", WEEK),
        ("моҳ", MONTH),
        ("мох", MONTH),
        ("сол", YEAR),
    ],
    day_words: &[
        ("имрӯз", 0),
        ("имруз", 0),
        ("дирӯз", 1),
        ("дируз", 1),
        ("парерӯз", 2),
        ("пареруз", 2),
    ],
    now_words: &["ҳозир"],
    am: &[],
    pm: &[],
    hour_marks: &[],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    /// Dushanbe is UTC+5; "now" is 2026-11-28 17:00 there.
    #[test]
    fn tajik_dates() {
        let z = "Asia/Dushanbe";
        check(
            "tg",
            &[
                ("21 апрели 2024", z, "2024-04-20T19:00:00Z"),
                ("21 апрел 2024", z, "2024-04-20T19:00:00Z"),
                ("21 апрели соли 2024, 10:14", z, "2024-04-21T05:14:00Z"),
                ("ДУШАНБЕ, 21 октябри 2024", z, "2024-10-20T19:00:00Z"),
                ("5 декабри 2024 18:30", z, "2024-12-05T13:30:00Z"),
                ("3 соат пеш", z, "2026-11-28T09:00:00Z"),
                ("2 рӯз пеш", z, "2026-11-26T12:00:00Z"),
                ("5 дақиқа пеш", z, "2026-11-28T11:55:00Z"),
                ("2 руз қабл", z, "2026-11-26T12:00:00Z"),
                ("як ҳафта пеш", z, "2026-11-21T12:00:00Z"),
                ("дирӯз, 18:45", z, "2026-11-27T13:45:00Z"),
                ("Имрӯз 09:05", z, "2026-11-28T04:05:00Z"),
                ("парерӯз", z, "2026-11-25T19:00:00Z"),
            ],
        );
    }
}
