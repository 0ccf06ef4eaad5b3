//! Schedules. Users write 5-field Unix cron (`*/30 * * * *`), the cron crate's 6/7-field form (with
//! seconds, and Sunday = 1) or `@hourly`-style names. Unix cron is translated here: a seconds field is
//! added, day-of-week numbers move from 0-7 (0 and 7 = Sunday) to 1-7 (1 = Sunday), and when both
//! day-of-month and day-of-week are restricted a time matches either of them, as in Vixie cron.

use std::str::FromStr;

use crate::zone::Tz;
use chrono::{DateTime, Utc};

/// Why a schedule cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CronError {
    #[error("`{expr}` has {fields} fields; a cron expression has 5 (or 6/7 with seconds and year)")]
    Fields { expr: String, fields: usize },
    #[error("`{expr}` is not a valid cron expression: {error}")]
    Invalid {
        expr: String,
        error: cron::error::Error,
    },
    #[error(
        "day-of-week `{field}` is not understood: use 0-7 (0 and 7 are Sunday) or SUN-SAT, with ranges, lists and steps"
    )]
    DayOfWeek { field: String },
    #[error("day-of-week range `{range}` runs backwards")]
    Backwards { range: String },
}

/// A parsed schedule: one cron schedule, or two whose union is the Unix meaning.
#[derive(Debug, Clone)]
pub struct Schedule {
    source: String,
    parts: Vec<cron::Schedule>,
}

impl Schedule {
    /// Parses any accepted form; the error says what is wrong.
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        let expr = expr.trim();
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let translated = match fields.len() {
            1 if expr.starts_with('@') => vec![expr.to_string()],
            5 => unix_to_cron(&fields)?,
            6 | 7 => vec![fields.join(" ")],
            fields => {
                return Err(CronError::Fields {
                    expr: expr.to_string(),
                    fields,
                });
            }
        };
        let parts = translated
            .iter()
            .map(|e| {
                cron::Schedule::from_str(e).map_err(|error| CronError::Invalid {
                    expr: expr.to_string(),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Schedule {
            source: expr.to_string(),
            parts,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The first run strictly after `after`, computed in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&tz);
        self.parts
            .iter()
            .filter_map(|s| s.after(&local).next())
            .min()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The next `n` runs after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, tz: Tz, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            let Some(next) = self.next_after(t, tz) else {
                break;
            };
            out.push(next);
            t = next;
        }
        out
    }
}

/// `min hour dom month dow` → `0 min hour dom month dow`, split in two when dom and dow are both set.
fn unix_to_cron(f: &[&str]) -> Result<Vec<String>, CronError> {
    let dow = translate_dow(f[4])?;
    let restricted = |s: &str| s != "*" && s != "?";
    if restricted(f[2]) && restricted(f[4]) {
        return Ok(vec![
            format!("0 {} {} {} {} *", f[0], f[1], f[2], f[3]),
            format!("0 {} {} * {} {}", f[0], f[1], f[3], dow),
        ]);
    }
    Ok(vec![format!(
        "0 {} {} {} {} {}",
        f[0], f[1], f[2], f[3], dow
    )])
}

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Unix day-of-week (0-7, 0 and 7 = Sunday, names, ranges, lists, steps) as an explicit 1-7 list.
fn translate_dow(field: &str) -> Result<String, CronError> {
    if field == "*" || field == "?" {
        return Ok("*".into());
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().map_err(|_| bad_dow(field))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(bad_dow(field));
        }
        let (lo, hi) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((a, b)) => (day(a, field)?, day(b, field)?),
            None if step > 1 => (day(range, field)?, 6),
            None => (day(range, field)?, day(range, field)?),
        };
        if lo > hi {
            return Err(CronError::Backwards {
                range: range.to_string(),
            });
        }
        (lo..=hi).step_by(step).for_each(|d| days[d % 7] = true);
    }
    let list: Vec<String> = (0..7)
        .filter(|&d| days[d])
        .map(|d| (d + 1).to_string())
        .collect();
    Ok(list.join(","))
}

/// 0-7 or a three-letter name; 7 stays 7 here so that `5-7` is a valid range (it maps to Sunday).
fn day(s: &str, field: &str) -> Result<usize, CronError> {
    if let Ok(n) = s.parse::<usize>() {
        return if n <= 7 { Ok(n) } else { Err(bad_dow(field)) };
    }
    DAY_NAMES
        .iter()
        .position(|d| d.eq_ignore_ascii_case(s))
        .ok_or_else(|| bad_dow(field))
}

fn bad_dow(field: &str) -> CronError {
    CronError::DayOfWeek {
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike, Weekday};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn five_fields_run_every_half_hour() {
        let s = Schedule::parse("*/30 * * * *").unwrap();
        let next = s.upcoming(at("2026-01-01T10:05:00Z"), Tz::utc(), 2);
        assert_eq!(
            next,
            vec![at("2026-01-01T10:30:00Z"), at("2026-01-01T11:00:00Z")]
        );
    }

    #[test]
    fn sunday_is_zero_and_seven_in_unix_cron() {
        for expr in ["0 9 * * 0", "0 9 * * 7", "0 9 * * sun"] {
            let next = Schedule::parse(expr)
                .unwrap()
                .next_after(at("2026-11-28T12:00:00Z"), Tz::utc())
                .unwrap();
            assert_eq!(next.weekday(), Weekday::Sun, "{expr}");
        }
        let fri_to_sun = Schedule::parse("0 9 * * 5-7").unwrap();
        let days: Vec<Weekday> = fri_to_sun
            .upcoming(at("2026-11-23T00:00:00Z"), Tz::utc(), 3)
            .iter()
            .map(|d| d.weekday())
            .collect();
        assert_eq!(days, vec![Weekday::Fri, Weekday::Sat, Weekday::Sun]);
        let weekdays = Schedule::parse("0 9 * * 1-5").unwrap();
        assert_eq!(
            weekdays
                .next_after(at("2026-11-28T12:00:00Z"), Tz::utc())
                .unwrap()
                .weekday(),
            Weekday::Mon
        );
    }

    #[test]
    fn day_of_month_or_day_of_week_like_vixie_cron() {
        // 2026-11-28 is a Saturday: the 1st of December is a Tuesday, the next Monday is the 30th.
        let s = Schedule::parse("0 0 1 * 1").unwrap();
        let next = s.upcoming(at("2026-11-28T00:00:00Z"), Tz::utc(), 2);
        assert_eq!(
            next,
            vec![at("2026-11-30T00:00:00Z"), at("2026-12-01T00:00:00Z")]
        );
    }

    #[test]
    fn time_zone_applies() {
        let almaty: Tz = "Asia/Almaty".parse().unwrap();
        let next = Schedule::parse("0 8 * * *")
            .unwrap()
            .next_after(at("2026-11-28T00:00:00Z"), almaty)
            .unwrap();
        assert_eq!(next.with_timezone(&almaty).hour(), 8);
    }

    #[test]
    fn other_forms_and_errors() {
        assert!(Schedule::parse("@hourly").is_ok());
        assert!(Schedule::parse("0 */5 * * * *").is_ok());
        assert!(matches!(
            Schedule::parse("* * *"),
            Err(CronError::Fields { fields: 3, .. })
        ));
        assert!(Schedule::parse("61 * * * *").is_err());
        let eight = Schedule::parse("0 9 * * 8").unwrap_err();
        assert!(matches!(&eight, CronError::DayOfWeek { field } if field == "8"));
        assert!(eight.to_string().contains("day-of-week `8`"));
        assert!(matches!(
            Schedule::parse("0 9 * * 5-2"),
            Err(CronError::Backwards { .. })
        ));
    }
}
