//! Dates as sites print them, in layers, first match wins:
//! 1. the feed's explicit `date_format`s (chrono syntax);
//! 2. RFC 3339, RFC 2822 and ISO 8601 forms, anywhere in the text (after the languages' whole-text
//!    chrono `formats`, a fast path);
//! 3. day-first numeric forms (`21.04.2021`, `21/04/2021 10:14`; month-first only when the first
//!    number is more than 12);
//! 4. "N units ago" forms ("2 hours ago", "hace 3 días", "3 сағат бұрын"), tried before month names
//!    since Spanish "ago" is August;
//! 5. month names of any language, any case, full or abbreviated, with or without weekday and time,
//!    day and month in either order, the year anywhere ("Среда, 21 Апрель 2021 10:14",
//!    "2024 жылғы 21 сәуір", "2024-yil 21-aprel");
//! 6. today/yesterday words, with or without a time ("вчера в 10:14", "сегодня", "kecha, 18:45").
//!
//! Words around the date ("Posted on", "Опубликовано:", "г.") are ignored. A date without an offset is
//! read in the feed's time zone; results are UTC.
//!
//! In the flow: `source::extract` reads the text a feed's `date` selector found with
//! [`parse_date`], in the feed's zone and `date_format`s ([`DateContext`]); imported feeds'
//! timestamps are read here too (`source::feed`), and `discover` asks whether an element's text is
//! a date at all.
//!
//! # Languages
//! These layers hold no word of any language: every month name, weekday, "ago" word, unit,
//! today/yesterday word, "just now" and am/pm word comes from a [`Language`] table, one file per
//! language in `lang/` (`lang/en.rs`, `lang/kk.rs`, ...), each one `pub const LANG: Language`.
//! `build.rs` registers every file there in [`LANGUAGES`], in file-name order.
//!
//! To add a language, add `lang/<code>.rs` and nothing else: fill `code`, `months` (January first,
//! every form dates print), `weekdays` (Monday first), `ago_after`/`ago_before` ("ago", "vor"),
//! `one` ("an"), `units` (stem, [`unit`](mod@unit) seconds), `day_words` (word, days back),
//! `now_words`, `am`, `pm`, `hour_marks` and `formats` (empty slices where the language has none),
//! and put its tests in the same file, calling `testing::check` (see `lang/kk.rs`). The files are reached through the
//! build script's output, which `cargo fmt` does not follow: format them with
//! `rustfmt --edition 2024 src/extract/date/lang/*.rs`.
//!
//! Order between languages: month words are one map (a test checks that no word names two
//! months); "ago" forms are tried language by language in file-name order; of the today/yesterday
//! words in a text the longest wins ("avant-hier" over "hier").

mod language;
mod lang {
    include!(concat!(env!("OUT_DIR"), "/date_langs.rs"));
}
#[cfg(test)]
pub(crate) mod testing;

pub use lang::LANGUAGES;
pub use language::{Language, unit};

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
    // The forms CMSs print most (Joomla K2, WordPress) read directly, before any regex.
    if let Some(d) = LANGUAGES
        .iter()
        .flat_map(|l| l.formats)
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

/// A time of day; the am/pm words and hour marks come from the languages.
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&language::time_pattern()).expect("a pattern of escaped words") // NOTE(unwrap): the tables' words are escaped
});

/// The time of day written in `text`, if any (24-hour, or with am/pm).
fn time_in(text: &str) -> Option<NaiveTime> {
    let c = TIME.captures(text)?;
    let mut h: u32 = c[1].parse().ok()?;
    let m: u32 = c[2].parse().ok()?;
    let s: u32 = c.get(3).and_then(|s| s.as_str().parse().ok()).unwrap_or(0);
    if let Some(ampm) = c.get(4).filter(|m| !m.as_str().is_empty()) {
        let pm = language::is_pm(ampm.as_str());
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
    let months: Vec<(usize, u32, bool)> = toks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Word(w) => language::month_of(w).map(|(m, weekday)| (i, m, weekday)),
            Token::Number(..) => None,
        })
        .collect();
    // A word that is also a weekday ("mar") is the month only when no other month word is there.
    let &(mi, month, _) = months.iter().find(|m| !m.2).or(months.first())?;
    let year = toks.iter().find_map(|t| match t {
        Token::Number(n, 4) => Some(*n as i32),
        _ => None,
    });
    // The day is the number next to the month name: before it ("21 April", "2024 жылғы 21 сәуір"),
    // else after ("April 21", "2024 жылғы сәуірдің 21-і"); a four-digit year is never the day.
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

fn ago(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let lower = text.to_lowercase();
    let words = language::words(&lower);
    let back = LANGUAGES.iter().find_map(|l| l.ago_in(&words))?;
    cx.now.checked_sub_signed(Duration::try_seconds(back)?)
}

fn relative_day(text: &str, cx: &DateContext<'_>) -> Option<DateTime<Utc>> {
    let (back, now) = language::day_back(&text.to_lowercase())?;
    let day = cx.now.with_timezone(&cx.tz).date_naive() - Duration::days(back);
    match time_in(text) {
        Some(t) => local_to_utc(day.and_time(t), cx.tz),
        None if now => Some(cx.now),
        None => local_to_utc(day.and_time(NaiveTime::MIN), cx.tz),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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
            "2024-yil",
            "3 сағат",
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

    #[test]
    fn numbers_with_words_stuck_to_them_leave_numeric_forms_alone() {
        let cx = DateContext::zone("Asia/Almaty".parse().unwrap());
        for (text, want) in [
            ("2024-04-21", "2024-04-20T19:00:00Z"),
            ("2024-04-21 10:14", "2024-04-21T05:14:00Z"),
            ("21-04-2024", "2024-04-20T19:00:00Z"),
            ("2024-yil 21-aprel", "2024-04-20T19:00:00Z"),
            ("2024-жылдын 21-апрели", "2024-04-20T19:00:00Z"),
            ("21-aprel 2024-yil", "2024-04-20T19:00:00Z"),
        ] {
            assert_eq!(parse_date(text, &cx), Some(utc(want)), "{text}");
        }
    }
}
