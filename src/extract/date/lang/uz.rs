//! Uzbek, in both scripts: Latin ("21 aprel 2024", "2024-yil 21-aprel", "3 soat oldin",
//! "kecha, 18:45") and Cyrillic ("21 апрель 2024", "2024 йил 21 апрель", "3 соат олдин", "кеча").
//! The Cyrillic month names are the Russian nominative ones, with the same months. The year word
//! ("yil", "йил") needs no entry: words the tables do not name are ignored.
//!
//! Shared words: "kecha"/"кеча" is yesterday and also night ("bugun kecha", tonight, reads as
//! yesterday or today, whichever is found first); "oy" is a month and the moon; "soat"/"соат"
//! (hour) is Tajik "соат" too, with the same meaning; "may" is English "may" as well.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "uz",
    months: [
        &["yanvar", "январь"],
        &["fevral", "февраль"],
        &["mart", "март"],
        &["aprel", "апрель"],
        &["may", "май"],
        &["iyun", "июнь"],
        &["iyul", "июль"],
        &["avgust", "август"],
        &["sentabr", "sentyabr", "сентябрь"],
        &["oktabr", "oktyabr", "октябрь"],
        &["noyabr", "ноябрь"],
        &["dekabr", "декабрь"],
    ],
    weekdays: [
        &["dushanba", "душанба"],
        &["seshanba", "сешанба"],
        &["chorshanba", "чоршанба"],
        &["payshanba", "пайшанба"],
        &["juma", "жума"],
        &["shanba", "шанба"],
        &["yakshanba", "якшанба"],
    ],
    ago_after: &["oldin", "avval", "олдин", "аввал"],
    ago_before: &[],
    one: &["bir", "бир"],
    units: &[
        ("soniya", SECOND),
        ("sekund", SECOND),
        ("сония", SECOND),
        ("секунд", SECOND),
        ("daqiqa", MINUTE),
        ("minut", MINUTE),
        ("дақиқа", MINUTE),
        ("минут", MINUTE),
        ("soat", HOUR),
        ("соат", HOUR),
        ("kun", DAY),
        ("кун", DAY),
        ("hafta", WEEK),
        ("ҳафта", WEEK),
        ("oy", MONTH),
        ("ой", MONTH),
        ("yil", YEAR),
        ("йил", YEAR),
    ],
    // "o‘tgan kuni" with each apostrophe sites print: ', ‘ (U+2018), ʻ (U+02BB, the official one).
    day_words: &[
        ("bugun", 0),
        ("бугун", 0),
        ("kecha", 1),
        ("кеча", 1),
        ("o'tgan kuni", 2),
        ("o‘tgan kuni", 2),
        ("oʻtgan kuni", 2),
        ("ўтган куни", 2),
    ],
    now_words: &["hozirgina", "ҳозиргина"],
    am: &[],
    pm: &[],
    hour_marks: &[],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    /// Tashkent is UTC+5; "now" is 2026-11-28 17:00 there.
    #[test]
    fn uzbek_dates() {
        let z = "Asia/Tashkent";
        check(
            "uz",
            &[
                ("21 aprel 2024", z, "2024-04-20T19:00:00Z"),
                ("2024-yil 21-aprel", z, "2024-04-20T19:00:00Z"),
                ("2024-yil 21-aprel, 10:14", z, "2024-04-21T05:14:00Z"),
                (
                    "Dushanba, 21-oktyabr 2024, 18:30",
                    z,
                    "2024-10-21T13:30:00Z",
                ),
                ("5-sentabr, 2024", z, "2024-09-04T19:00:00Z"),
                ("21 апрель 2024", z, "2024-04-20T19:00:00Z"),
                ("2024 йил 21 апрель 10:14", z, "2024-04-21T05:14:00Z"),
                ("3 soat oldin", z, "2026-11-28T09:00:00Z"),
                ("2 kun avval", z, "2026-11-26T12:00:00Z"),
                ("bir hafta oldin", z, "2026-11-21T12:00:00Z"),
                ("3 соат олдин", z, "2026-11-28T09:00:00Z"),
                ("5 дақиқа аввал", z, "2026-11-28T11:55:00Z"),
                ("kecha, 18:45", z, "2026-11-27T13:45:00Z"),
                ("Кеча 18:45", z, "2026-11-27T13:45:00Z"),
                ("Bugun 09:05", z, "2026-11-28T04:05:00Z"),
                ("oʻtgan kuni", z, "2026-11-25T19:00:00Z"),
            ],
        );
    }
}
