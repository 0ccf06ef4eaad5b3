//! `parse_date` on real-world date strings in English, Russian, German, French and Spanish, with the
//! instant each must give. "Now" is fixed for relative forms.

use chrono::{DateTime, Utc};
use feedwright::extract::date::{DateContext, parse_date};
use feedwright::zone::Tz;

const NOW: &str = "2026-11-28T12:00:00Z";

/// (text, the feed's time zone, expected UTC instant)
const CASES: &[(&str, &str, &str)] = &[
    // English, with the K2 form of the motivating site first.
    (
        "Wednesday, 21 April 2021 10:14",
        "Asia/Almaty",
        "2021-04-21T04:14:00Z",
    ),
    ("21 April 2021", "UTC", "2021-04-21T00:00:00Z"),
    ("April 21, 2021", "UTC", "2021-04-21T00:00:00Z"),
    ("Apr 21, 2021 3:05 PM", "UTC", "2021-04-21T15:05:00Z"),
    (
        "Posted on March 3, 2021 at 9:30 am",
        "UTC",
        "2021-03-03T09:30:00Z",
    ),
    ("Published: 5 Jan 2022", "UTC", "2022-01-05T00:00:00Z"),
    (
        "Mon, 21 Jun 2021 08:00:00 GMT",
        "Asia/Almaty",
        "2021-06-21T08:00:00Z",
    ),
    (
        "Tue, 1 Jun 2021 08:00:00 +0200",
        "UTC",
        "2021-06-01T06:00:00Z",
    ),
    ("2021-04-21T10:14:00+06:00", "UTC", "2021-04-21T04:14:00Z"),
    (
        "2021-04-21T10:14:00Z",
        "Asia/Almaty",
        "2021-04-21T10:14:00Z",
    ),
    ("2021-04-21 10:14", "Asia/Almaty", "2021-04-21T04:14:00Z"),
    ("2021-04-21", "Asia/Almaty", "2021-04-20T18:00:00Z"),
    (
        "Updated 2021-04-21T10:14:00.123Z",
        "UTC",
        "2021-04-21T10:14:00Z",
    ),
    ("12th May 2021", "UTC", "2021-05-12T00:00:00Z"),
    ("May 12th, 2021", "UTC", "2021-05-12T00:00:00Z"),
    ("December 1, 2020 11:45 pm", "UTC", "2020-12-01T23:45:00Z"),
    ("1 Dec 2020", "UTC", "2020-12-01T00:00:00Z"),
    ("Sept. 9, 2021", "UTC", "2021-09-09T00:00:00Z"),
    ("2 hours ago", "UTC", "2026-11-28T10:00:00Z"),
    ("5 minutes ago", "UTC", "2026-11-28T11:55:00Z"),
    ("an hour ago", "UTC", "2026-11-28T11:00:00Z"),
    ("3 days ago", "UTC", "2026-11-25T12:00:00Z"),
    ("yesterday at 10:14", "UTC", "2026-11-27T10:14:00Z"),
    ("today", "UTC", "2026-11-28T00:00:00Z"),
    ("21 April", "UTC", "2026-04-21T00:00:00Z"),
    ("30 December 10:00", "UTC", "2025-12-30T10:00:00Z"),
    // Russian: nominative and genitive, any case; Almaty was UTC+6 until March 2024, Moscow is UTC+3.
    (
        "Среда, 21 Апрель 2021 10:14",
        "Asia/Almaty",
        "2021-04-21T04:14:00Z",
    ),
    (
        "Пятница, 05 Март 2021 09:00",
        "Asia/Almaty",
        "2021-03-05T03:00:00Z",
    ),
    ("21 апреля 2021 г.", "Europe/Moscow", "2021-04-20T21:00:00Z"),
    (
        "21 апреля 2021 г. в 10:14",
        "Europe/Moscow",
        "2021-04-21T07:14:00Z",
    ),
    (
        "Опубликовано: 3 марта 2021",
        "Europe/Moscow",
        "2021-03-02T21:00:00Z",
    ),
    ("1 ЯНВАРЯ 2022", "Europe/Moscow", "2021-12-31T21:00:00Z"),
    (
        "15 мая 2021, 18:30",
        "Europe/Moscow",
        "2021-05-15T15:30:00Z",
    ),
    ("12 дек 2020", "Europe/Moscow", "2020-12-11T21:00:00Z"),
    ("21.04.2021", "Europe/Moscow", "2021-04-20T21:00:00Z"),
    ("21.04.2021 10:14", "Europe/Moscow", "2021-04-21T07:14:00Z"),
    ("вчера в 10:14", "Europe/Moscow", "2026-11-27T07:14:00Z"),
    ("сегодня в 09:05", "Europe/Moscow", "2026-11-28T06:05:00Z"),
    ("Сегодня", "Europe/Moscow", "2026-11-27T21:00:00Z"),
    ("позавчера", "Europe/Moscow", "2026-11-25T21:00:00Z"),
    ("2 часа назад", "Europe/Moscow", "2026-11-28T10:00:00Z"),
    ("5 минут назад", "Europe/Moscow", "2026-11-28T11:55:00Z"),
    ("3 дня назад", "Europe/Moscow", "2026-11-25T12:00:00Z"),
    (
        "Четверг, 04 Февраль 2021 16:20",
        "Asia/Almaty",
        "2021-02-04T10:20:00Z",
    ),
    // German.
    ("21. April 2021", "Europe/Berlin", "2021-04-20T22:00:00Z"),
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
    (
        "1. Dezember 2020 08:30",
        "Europe/Berlin",
        "2020-12-01T07:30:00Z",
    ),
    (
        "21.04.2021, 10:14 Uhr",
        "Europe/Berlin",
        "2021-04-21T08:14:00Z",
    ),
    ("vor 2 Stunden", "Europe/Berlin", "2026-11-28T10:00:00Z"),
    ("gestern, 18:45", "Europe/Berlin", "2026-11-27T17:45:00Z"),
    // French.
    ("21 avril 2021", "Europe/Paris", "2021-04-20T22:00:00Z"),
    (
        "mercredi 21 avril 2021",
        "Europe/Paris",
        "2021-04-20T22:00:00Z",
    ),
    (
        "le 3 mars 2021 à 14h30",
        "Europe/Paris",
        "2021-03-03T13:30:00Z",
    ),
    ("1er décembre 2020", "Europe/Paris", "2020-11-30T23:00:00Z"),
    ("15 août 2021", "Europe/Paris", "2021-08-14T22:00:00Z"),
    ("il y a 3 jours", "Europe/Paris", "2026-11-25T12:00:00Z"),
    ("hier à 10:14", "Europe/Paris", "2026-11-27T09:14:00Z"),
    // Spanish.
    (
        "21 de abril de 2021",
        "Europe/Madrid",
        "2021-04-20T22:00:00Z",
    ),
    (
        "miércoles, 21 de abril de 2021 10:14",
        "Europe/Madrid",
        "2021-04-21T08:14:00Z",
    ),
    (
        "3 de marzo de 2021",
        "Europe/Madrid",
        "2021-03-02T23:00:00Z",
    ),
    (
        "1 de diciembre de 2020",
        "Europe/Madrid",
        "2020-11-30T23:00:00Z",
    ),
    ("hace 2 horas", "Europe/Madrid", "2026-11-28T10:00:00Z"),
    ("ayer a las 18:30", "Europe/Madrid", "2026-11-27T17:30:00Z"),
    // Day-first numeric forms; month-first only when the first number cannot be a month.
    ("21/04/2021", "UTC", "2021-04-21T00:00:00Z"),
    ("04/21/2021", "UTC", "2021-04-21T00:00:00Z"),
    ("21-04-2021", "UTC", "2021-04-21T00:00:00Z"),
    ("21.04.21", "UTC", "2021-04-21T00:00:00Z"),
    ("Date: 05.04.2021", "UTC", "2021-04-05T00:00:00Z"),
];

#[test]
fn real_world_dates_in_five_languages_give_their_instants() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let mut failures = Vec::new();
    for (text, tz, want) in CASES {
        let cx = DateContext {
            tz: tz.parse::<Tz>().unwrap(),
            formats: &[],
            now,
        };
        let want = DateTime::parse_from_rfc3339(want)
            .unwrap()
            .with_timezone(&Utc);
        let got = parse_date(text, &cx);
        if got != Some(want) {
            failures.push(format!("{text:?} in {tz}: got {got:?}, want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} wrong:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
