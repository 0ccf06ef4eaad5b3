//! French. "mar" (mardi) is also English and Spanish for March: see `Language::weekdays`.

use crate::extract::date::Language;
use crate::extract::date::unit::{DAY, HOUR, MINUTE, MONTH, SECOND, WEEK, YEAR};

pub const LANG: Language = Language {
    code: "fr",
    months: [
        &["janvier", "janv"],
        &["février", "fevrier", "févr", "fevr"],
        &["mars"],
        &["avril", "avr"],
        &["mai"],
        &["juin"],
        &["juillet", "juil"],
        &["août", "aout"],
        &["septembre", "sept"],
        &["octobre", "oct"],
        &["novembre", "nov"],
        &["décembre", "decembre", "déc", "dec"],
    ],
    weekdays: [
        &["lundi", "lun"],
        &["mardi", "mar"],
        &["mercredi", "mer"],
        &["jeudi", "jeu"],
        &["vendredi", "ven"],
        &["samedi", "sam"],
        &["dimanche", "dim"],
    ],
    ago_after: &[],
    ago_before: &["il y a"],
    one: &["un", "une"],
    // "an" also begins "années".
    units: &[
        ("seconde", SECOND),
        ("minute", MINUTE),
        ("heure", HOUR),
        ("jour", DAY),
        ("semaine", WEEK),
        ("mois", MONTH),
        ("an", YEAR),
    ],
    // "hier" is also German for "here".
    day_words: &[
        ("aujourd'hui", 0),
        ("aujourd’hui", 0),
        ("hier", 1),
        ("avant-hier", 2),
    ],
    now_words: &[],
    am: &[],
    pm: &[],
    // "14h30".
    hour_marks: &['h'],
    formats: &[],
};

#[cfg(test)]
mod tests {
    use crate::extract::date::testing::check;

    #[test]
    fn french_dates() {
        check(
            "fr",
            &[
                ("1er décembre 2020", "Europe/Paris", "2020-11-30T23:00:00Z"),
                (
                    "le 3 mars 2021 à 14h30",
                    "Europe/Paris",
                    "2021-03-03T13:30:00Z",
                ),
                ("il y a 3 jours", "Europe/Paris", "2026-11-25T12:00:00Z"),
                ("il y a une heure", "Europe/Paris", "2026-11-28T11:00:00Z"),
                ("hier à 10:14", "Europe/Paris", "2026-11-27T09:14:00Z"),
                ("avant-hier", "Europe/Paris", "2026-11-25T23:00:00Z"),
            ],
        );
    }
}
