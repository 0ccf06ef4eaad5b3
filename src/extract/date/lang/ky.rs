//! Kyrgyz. Month names are the Russian-derived ones, in the nominative ("21-апрель, 2024") and
//! the possessive that follows "-жылдын" ("2024-жылдын 21-апрели"); the traditional names (Бугу,
//! Кулжа, Теке, ...) are not read. "3 саат мурун", "кечээ, 18:45". The year word ("жылдын") needs
//! no entry: words the tables do not name are ignored.
//!
//! Shared words: "жума" is Friday and also a week (read as a week only in "ago" forms; Uzbek
//! "жума" is Friday only); "ай" is a month and the moon, "күн" a day and the sun, as in Kazakh;
//! "мурун" (ago) is also a nose.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "ky",
    // Nominative, then possessive (vowel harmony: -ы, -и, -у).
    months: [
        &["январь", "январы"],
        &["февраль", "февралы"],
        &["март", "марты"],
        &["апрель", "апрели"],
        &["май", "майы"],
        &["июнь", "июну"],
        &["июль", "июлу"],
        &["август", "августу"],
        &["сентябрь", "сентябры"],
        &["октябрь", "октябры"],
        &["ноябрь", "ноябры"],
        &["декабрь", "декабры"],
    ],
    weekdays: [
        &["дүйшөмбү"],
        &["шейшемби"],
        &["шаршемби"],
        &["бейшемби"],
        &["жума"],
        &["ишемби"],
        &["жекшемби"],
    ],
    ago_after: &["мурун"],
    ago_before: &[],
    one: &["бир"],
    units: &[
        ("секунд", SECOND),
        ("мүнөт", MINUTE),
        ("минут", MINUTE),
        ("саат", HOUR),
        ("күн", DAY),
        ("апта", WEEK),
        ("жума", WEEK),
        ("ай", MONTH),
        ("жыл", YEAR),
    ],
    day_words: &[("бүгүн", 0), ("кечээ", 1), ("мурдагы күнү", 2)],
    now_words: &["жаңы эле", "азыр эле"],
    am: &[],
    pm: &[],
    hour_marks: &[],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    /// Bishkek is UTC+6; "now" is 2026-11-28 18:00 there.
    #[test]
    fn kyrgyz_dates() {
        let z = "Asia/Bishkek";
        check(
            "ky",
            &[
                ("2024-жылдын 21-апрели", z, "2024-04-20T18:00:00Z"),
                ("2024-жылдын 5-июлу, 10:14", z, "2024-07-05T04:14:00Z"),
                ("21-апрель, 2024", z, "2024-04-20T18:00:00Z"),
                ("21 апрель 2024 10:14", z, "2024-04-21T04:14:00Z"),
                ("Шаршемби, 24-апрель 2024, 18:30", z, "2024-04-24T12:30:00Z"),
                ("3 саат мурун", z, "2026-11-28T09:00:00Z"),
                ("2 күн мурун", z, "2026-11-26T12:00:00Z"),
                ("бир жума мурун", z, "2026-11-21T12:00:00Z"),
                ("10 мүнөт мурун", z, "2026-11-28T11:50:00Z"),
                ("кечээ, 18:45", z, "2026-11-27T12:45:00Z"),
                ("Бүгүн 09:05", z, "2026-11-28T03:05:00Z"),
                ("мурдагы күнү", z, "2026-11-25T18:00:00Z"),
            ],
        );
    }
}
