//! Dates as sites print them, in layers, first match wins:
//! 1. the feed's explicit `date_format`s (chrono syntax);
//! 2. RFC 3339, RFC 2822 and ISO 8601 forms, anywhere in the text;
//! 3. day-first numeric forms (`21.04.2021`, `21/04/2021 10:14`; month-first only when the first
//!    number is more than 12);
//! 4. month names in English, Russian (nominative and genitive), German, French and Spanish, any case,
//!    full or abbreviated, with or without weekday and time ("Среда, 21 Апрель 2021 10:14");
//! 5. relative forms ("2 hours ago", "вчера в 10:14", "сегодня", "hace 3 días"); the "ago" forms are
//!    tried before month names, since Spanish "ago" is August.
//!
//! Words around the date ("Posted on", "Опубликовано:", "г.") are ignored. A date without an offset is
//! read in the feed's time zone; results are UTC.

use std::sync::LazyLock;

use crate::zone::Tz;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;

/// What reading a date needs besides the text.
#[derive(Debug, Clone)]
pub struct DateContext<'a> {
    /// The zone of dates printed without an offset.
    pub tz: Tz,
    /// The feed's `date_format`s, tried first.
    pub formats: &'a [String],
    /// "Now", for relative dates and years left out.
    pub now: DateTime<Utc>,
}

impl DateContext<'_> {
    /// A context with no explicit formats, now = the current time.
    pub fn zone(tz: Tz) -> DateContext<'static> {
        DateContext {
            tz,
            formats: &[],
            now: Utc::now(),
        }
    }
}

/// Reads `text` as a date; `None` when no layer understands it.
pub fn parse_date(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let text = super::text::collapse_whitespace(text);
    if text.is_empty() {
        return None;
    }
    explicit(&text, cx)
        .or_else(|| standard(&text, cx))
        .or_else(|| numeric(&text, cx))
        // "N units ago" before names: Spanish "ago" (agosto) would otherwise read as August.
        .or_else(|| ago(&text, cx))
        .or_else(|| named(&text, cx))
        .or_else(|| relative_day(&text, cx))
}

/// A wall-clock time in `tz` as UTC; in a DST gap the instant an hour later, in an overlap the earlier.
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

fn explicit(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    cx.formats.iter().find_map(|f| {
        if let Ok(d) = DateTime::parse_from_str(text, f) {
            return Some(d.with_timezone(&Utc));
        }
        if let Ok(d) = NaiveDateTime::parse_from_str(text, f) {
            return local_to_utc(d, cx.tz);
        }
        let d = NaiveDate::parse_from_str(text, f).ok()?;
        local_to_utc(d.and_time(NaiveTime::MIN), cx.tz)
    })
}

/// Whole-text English forms tried before the general layers (a fast path, not a different reading).
const COMMON: &[&str] = &["%A, %d %B %Y %H:%M", "%d %B %Y %H:%M", "%B %d, %Y %H:%M"];

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?:\.[0-9]+)?[ \t]*(Z|[+-][0-9]{2}:?[0-9]{2})?)?")
        .expect("constant regex") // NOTE(unwrap): a constant pattern
});

fn standard(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    // The English forms CMSs print most (Joomla K2, WordPress) read directly, before any regex.
    if let Some(d) = COMMON
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    {
        return local_to_utc(d, cx.tz);
    }
    let c = ISO.captures(text)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(num(1)? as i32, num(2)?, num(3)?)?;
    let time = NaiveTime::from_hms_opt(
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        num(6).unwrap_or(0),
    )?;
    let naive = date.and_time(time);
    match c.get(7).map(|m| m.as_str()) {
        Some(off) => offset_seconds(off)
            .map(|s| DateTime::from_naive_utc_and_offset(naive - Duration::seconds(s), Utc)),
        None => local_to_utc(naive, cx.tz),
    }
}

/// `Z`, `+06:00` or `-0530` as seconds east of UTC.
fn offset_seconds(off: &str) -> Option<i64> {
    if off == "Z" {
        return Some(0);
    }
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = (
        digits.get(..2)?.parse::<i64>().ok()?,
        digits.get(2..)?.parse::<i64>().unwrap_or(0),
    );
    Some(sign * (h * 3600 + m * 60))
}

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4}|[0-9]{2})(?-u:\b)")
        .expect("constant regex") // NOTE(unwrap): a constant pattern
});

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII classes only: Unicode word tables make this regex many times costlier to build.
    Regex::new(r"(?i)(?-u:\b)([0-9]{1,2})[:h]([0-9]{2})(?::([0-9]{2}))?[ \t]*(a\.?m\.?|p\.?m\.?)?(?:[^0-9A-Za-z_]|$)")
        .expect("constant regex") // NOTE(unwrap): a constant pattern
});

/// The time of day written in `text`, if any (24-hour, or with am/pm).
fn time_in(text: &str) -> Option<NaiveTime> {
    let c = TIME.captures(text)?;
    let mut h: u32 = c[1].parse().ok()?;
    let m: u32 = c[2].parse().ok()?;
    let s: u32 = c.get(3).and_then(|s| s.as_str().parse().ok()).unwrap_or(0);
    if let Some(ampm) = c.get(4) {
        let pm = ampm.as_str().to_ascii_lowercase().starts_with('p');
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    NaiveTime::from_hms_opt(h, m, s)
}

fn full_year(y: i32) -> i32 {
    if y < 100 { 2000 + y } else { y }
}

fn numeric(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let c = NUMERIC.captures(text)?;
    let (a, b): (u32, u32) = (c[1].parse().ok()?, c[2].parse().ok()?);
    let year = full_year(c[3].parse().ok()?);
    // Day first, as everywhere but the US; month first only when the first number cannot be a month.
    let date =
        NaiveDate::from_ymd_opt(year, b, a).or_else(|| NaiveDate::from_ymd_opt(year, a, b))?;
    let rest = &text[c.get(0)?.end()..];
    at_time(date, time_in(rest).or_else(|| time_in(text)), cx)
}

fn at_time(
    date: NaiveDate,
    time: Option<NaiveTime>,
    cx: &DateContext<'_>,
) -> Option<DateTime<Utc>> {
    local_to_utc(date.and_time(time.unwrap_or(NaiveTime::MIN)), cx.tz)
}

/// Month names and abbreviations, lower case, in English, Russian, German, French and Spanish.
const MONTHS: [&[&str]; 12] = [
    &[
        "january",
        "jan",
        "январь",
        "января",
        "янв",
        "januar",
        "jänner",
        "janvier",
        "janv",
        "enero",
        "ene",
    ],
    &[
        "february",
        "feb",
        "февраль",
        "февраля",
        "фев",
        "февр",
        "februar",
        "février",
        "fevrier",
        "févr",
        "fevr",
        "febrero",
    ],
    &[
        "march",
        "mar",
        "март",
        "марта",
        "мар",
        "märz",
        "maerz",
        "mär",
        "mars",
        "marzo",
    ],
    &[
        "april",
        "apr",
        "апрель",
        "апреля",
        "апр",
        "avril",
        "avr",
        "abril",
        "abr",
    ],
    &["may", "май", "мая", "mai", "mayo"],
    &[
        "june", "jun", "июнь", "июня", "июн", "juni", "juin", "junio",
    ],
    &[
        "july", "jul", "июль", "июля", "июл", "juli", "juillet", "juil", "julio",
    ],
    &[
        "august",
        "aug",
        "август",
        "августа",
        "авг",
        "août",
        "aout",
        "agosto",
        "ago",
    ],
    &[
        "september",
        "sep",
        "sept",
        "сентябрь",
        "сентября",
        "сен",
        "сент",
        "septembre",
        "septiembre",
        "setiembre",
    ],
    &[
        "october",
        "oct",
        "октябрь",
        "октября",
        "окт",
        "oktober",
        "okt",
        "octobre",
        "octubre",
    ],
    &[
        "november",
        "nov",
        "ноябрь",
        "ноября",
        "ноя",
        "нояб",
        "novembre",
        "noviembre",
    ],
    &[
        "december",
        "dec",
        "декабрь",
        "декабря",
        "дек",
        "dezember",
        "dez",
        "décembre",
        "decembre",
        "déc",
        "diciembre",
        "dic",
    ],
];

fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.');
    MONTHS
        .iter()
        .position(|names| names.contains(&w))
        .map(|i| i as u32 + 1)
}

/// A word or a number of the text, with its place.
#[derive(Debug)]
enum Token {
    Word(String),
    Number(u32, usize),
}

/// Words (letters) and numbers of `text`, lower case; a time of day is left out.
fn tokens(text: &str) -> Vec<Token> {
    let without_time = TIME.replace_all(text, " ");
    let lower = without_time.to_lowercase();
    let mut out = Vec::new();
    let mut chars = lower.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(&(_, c)) = chars.peek().filter(|(_, c)| c.is_alphabetic() || *c == '.') {
                w.push(c);
                chars.next();
            }
            out.push(Token::Word(w));
        } else if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(&(_, c)) = chars.peek().filter(|(_, c)| c.is_ascii_digit()) {
                n.push(c);
                chars.next();
            }
            out.push(Token::Number(n.parse().unwrap_or(u32::MAX), n.len()));
        } else {
            chars.next();
        }
    }
    out
}

fn named(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let toks = tokens(text);
    let (mi, month) = toks.iter().enumerate().find_map(|(i, t)| match t {
        Token::Word(w) => month_of(w).map(|m| (i, m)),
        Token::Number(..) => None,
    })?;
    let year = toks.iter().find_map(|t| match t {
        Token::Number(n, 4) => Some(*n as i32),
        _ => None,
    });
    // The day is the number next to the month name: before it ("21 April"), else after ("April 21").
    let is_day = |t: Option<&Token>| match t {
        Some(Token::Number(n, len)) if *len <= 2 && (1..=31).contains(n) => Some(*n),
        _ => None,
    };
    // Words may stand between ("21 de abril", "12th May", "1er décembre"): look two tokens each way.
    let before = (1..=2)
        .filter_map(|d| mi.checked_sub(d))
        .find_map(|i| is_day(toks.get(i)));
    let day = before.or_else(|| (1..=2).find_map(|d| is_day(toks.get(mi + d))))?;
    let date = match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day)?,
        None => yearless(month, day, cx)?,
    };
    at_time(date, time_in(text), cx)
}

/// "21 April" without a year: this year's, unless that lies ahead, then last year's.
fn yearless(month: u32, day: u32, cx: &DateContext<'_>) -> Option<NaiveDate> {
    let today = cx.now.with_timezone(&cx.tz).date_naive();
    let this = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this > today + Duration::days(1) {
        NaiveDate::from_ymd_opt(today.year() - 1, month, day)
    } else {
        Some(this)
    }
}

static AGO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:(\d+|an?|one)\s+(sec|second|min|minute|hour|hr|day|week|month|year)s?\s+ago)
        |(?:(\d+)\s+(секунд|минут|час|дн|день|недел|месяц|год|лет)\S*\s+назад)
        |(?:vor\s+(\d+|einer?|einem)\s+(sekunde|minute|stunde|tag|woche|monat|jahr)\S*)
        |(?:il\s+y\s+a\s+(\d+|une?)\s+(seconde|minute|heure|jour|semaine|mois|an)\S*)
        |(?:hace\s+(\d+|una?)\s+(segundo|minuto|hora|día|dia|semana|mes|año|ano)\S*)",
    )
    .expect("constant regex") // NOTE(unwrap): a constant pattern
});

/// Seconds in one unit named by any of the languages' stems.
fn unit_seconds(unit: &str) -> Option<i64> {
    let u = unit.to_lowercase();
    let is = |stems: &[&str]| stems.iter().any(|s| u.starts_with(s));
    Some(if is(&["sec", "секунд", "sekunde", "seconde", "segundo"]) {
        1
    } else if is(&["min", "минут", "minuto"]) {
        60
    } else if is(&["hour", "hr", "час", "stunde", "heure", "hora"]) {
        3600
    } else if is(&["day", "дн", "день", "tag", "jour", "día", "dia"]) {
        86_400
    } else if is(&["week", "недел", "woche", "semaine", "semana"]) {
        7 * 86_400
    } else if is(&["month", "месяц", "monat", "mois", "mes"]) {
        30 * 86_400
    } else if is(&["year", "год", "лет", "jahr", "an", "año", "ano"]) {
        365 * 86_400
    } else {
        return None;
    })
}

/// Words for today, yesterday and the day before, and how many days back each is.
const DAY_WORDS: &[(&str, i64)] = &[
    ("today", 0),
    ("сегодня", 0),
    ("heute", 0),
    ("aujourd'hui", 0),
    ("hoy", 0),
    ("just now", 0),
    ("только что", 0),
    ("позавчера", 2),
    ("vorgestern", 2),
    ("avant-hier", 2),
    ("anteayer", 2),
    ("yesterday", 1),
    ("вчера", 1),
    ("gestern", 1),
    ("hier", 1),
    ("ayer", 1),
];

/// Words one of which every "ago" form holds; checked first so the large regex is built only for
/// texts that may need it.
const AGO_MARKERS: &[&str] = &["ago", "назад", "vor", "il y a", "hace"];

fn ago(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let lower = text.to_lowercase();
    if !AGO_MARKERS.iter().any(|m| lower.contains(m)) {
        return None;
    }
    let c = AGO.captures(text)?;
    let groups: Vec<&str> = c.iter().skip(1).flatten().map(|m| m.as_str()).collect();
    let (count, unit) = (groups.first()?, groups.get(1)?);
    let n: i64 = count.parse().unwrap_or(1);
    Some(cx.now - Duration::seconds(n * unit_seconds(unit)?))
}

fn relative_day(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let lower = text.to_lowercase();
    let &(_, back) = DAY_WORDS.iter().find(|(w, _)| contains_word(&lower, w))?;
    let day = cx.now.with_timezone(&cx.tz).date_naive() - Duration::days(back);
    match time_in(text) {
        Some(t) => local_to_utc(day.and_time(t), cx.tz),
        None if lower.contains("now") || lower.contains("только что") => Some(cx.now),
        None => local_to_utc(day.and_time(NaiveTime::MIN), cx.tz),
    }
}

/// `word` in `text` not as part of a longer word ("hier" is not in "hierarchy").
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn k2_english_form_is_read_in_the_feed_zone() {
        let cx = DateContext::zone("Asia/Almaty".parse().unwrap());
        // Almaty was UTC+6 in 2021.
        assert_eq!(
            parse_date("Wednesday, 21 April 2021 10:14", &cx),
            Some(utc("2021-04-21T04:14:00Z"))
        );
    }

    #[test]
    fn nonsense_is_none() {
        let cx = DateContext::zone(Tz::utc());
        for s in [
            "Rate this item",
            "",
            "(0 votes)",
            "Read more...",
            "Page 7 of 26",
            "hierarchy",
        ] {
            assert_eq!(parse_date(s, &cx), None, "{s}");
        }
    }

    #[test]
    fn explicit_formats_come_first() {
        let formats = vec!["%m/%d/%Y".to_string()];
        let cx = DateContext {
            tz: Tz::utc(),
            formats: &formats,
            now: Utc::now(),
        };
        assert_eq!(
            parse_date("04/05/2021", &cx),
            Some(utc("2021-04-05T00:00:00Z"))
        );
        assert_eq!(
            parse_date("04/05/2021", &DateContext::zone(Tz::utc())),
            Some(utc("2021-05-04T00:00:00Z"))
        );
    }
}
