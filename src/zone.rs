//! Time zones by IANA name, from jiff's bundled copy of the tz database, usable wherever chrono wants
//! a `TimeZone`: our dates are chrono's, and the cron crate computes schedules through chrono.
//!
//! Why not chrono-tz: its tables are static data full of string pointers, which the dynamic loader
//! relocates at every start of a position-independent binary — about 1 MiB written before `main`,
//! a sixth of a short `feedwright once`'s memory. jiff keeps the database as plain bytes and reads
//! a zone only when it is asked for (measured on a probe binary: 3.5 MiB → 2.0 MiB peak).

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// An IANA time zone. Cheap to copy: each zone is read once per process and kept.
#[derive(Clone, Copy)]
pub struct Tz(&'static Zone);

struct Zone {
    name: String,
    tz: TimeZone,
}

/// Zones read so far; a zone is looked up once and kept for the life of the process (a config
/// reload naming the same zones reads nothing again).
static ZONES: Mutex<Vec<&'static Zone>> = Mutex::new(Vec::new());

/// The name is not in the tz database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone(pub String);

impl fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a known time zone", self.0)
    }
}

impl std::error::Error for UnknownZone {}

impl Tz {
    /// Coordinated Universal Time.
    pub fn utc() -> Tz {
        static UTC: OnceLock<Tz> = OnceLock::new();
        *UTC.get_or_init(|| {
            Tz(Box::leak(Box::new(Zone {
                name: "UTC".into(),
                tz: TimeZone::UTC,
            })))
        })
    }

    /// The zone's IANA name, as the database spells it.
    pub fn name(&self) -> &'static str {
        &self.0.name
    }

    fn lookup(name: &str) -> Result<Tz, UnknownZone> {
        if name == "UTC" {
            return Ok(Tz::utc());
        }
        let mut zones = ZONES.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(z) = zones.iter().find(|z| z.name == name) {
            return Ok(Tz(z));
        }
        let tz = TimeZone::get(name).map_err(|_| UnknownZone(name.to_string()))?;
        // Names are case-sensitive, as in the database (and as chrono-tz read them).
        let spelled = tz.iana_name().unwrap_or(name);
        if spelled != name {
            return Err(UnknownZone(name.to_string()));
        }
        let zone: &'static Zone = Box::leak(Box::new(Zone {
            name: name.to_string(),
            tz,
        }));
        zones.push(zone);
        Ok(Tz(zone))
    }
}

impl FromStr for Tz {
    type Err = UnknownZone;

    fn from_str(s: &str) -> Result<Tz, UnknownZone> {
        Tz::lookup(s)
    }
}

impl fmt::Debug for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Tz {
    fn eq(&self, other: &Tz) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Tz {}

/// The offset a [`Tz`] has at some instant (chrono's `Offset` for it). `%Z` and `Display` print the
/// zone's abbreviation then ("CET", "CEST", "+06"), looked up only when printed.
#[derive(Clone, Copy, Debug)]
pub struct ZoneOffset {
    tz: Tz,
    fixed: FixedOffset,
    /// The instant it applies at, for the abbreviation.
    at: jiff::Timestamp,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tz.0.tz.to_offset_info(self.at).abbreviation() {
            "" => fmt::Display::fmt(&self.fixed, f),
            a => f.write_str(a),
        }
    }
}

impl Tz {
    /// The offset at the instant `unix_seconds`, or, given `offset`, that offset as of then.
    fn at(&self, unix_seconds: i64, offset: Option<jiff::tz::Offset>) -> ZoneOffset {
        let clamped = unix_seconds.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        let at = jiff::Timestamp::from_second(clamped).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let offset = offset.unwrap_or_else(|| self.0.tz.to_offset(at));
        ZoneOffset {
            tz: *self,
            // jiff's offsets are within ±25:59:59, chrono's within ±23:59:59; the tz database's
            // are within ±15 hours.
            fixed: FixedOffset::east_opt(offset.seconds()).unwrap_or_else(|| chrono::Utc.fix()),
            at,
        }
    }

    /// The offset `o` had at wall-clock time `local` (which it maps to one instant).
    fn local_at(&self, local: &NaiveDateTime, o: jiff::tz::Offset) -> ZoneOffset {
        self.at(
            local.and_utc().timestamp() - i64::from(o.seconds()),
            Some(o),
        )
    }
}

impl chrono::TimeZone for Tz {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Tz {
        offset.tz
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    /// A wall-clock time: one offset, none in a gap (clocks jumped over it), two in a fold
    /// (clocks went back), the earlier instant first.
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let Some(civil) = civil(local) else {
            return MappedLocalTime::None;
        };
        match self.0.tz.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                MappedLocalTime::Single(self.local_at(local, offset))
            }
            AmbiguousOffset::Gap { .. } => MappedLocalTime::None,
            AmbiguousOffset::Fold { before, after } => MappedLocalTime::Ambiguous(
                self.local_at(local, before),
                self.local_at(local, after),
            ),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.at(utc.and_utc().timestamp(), None)
    }
}

/// chrono's wall-clock time as jiff's; `None` outside jiff's years (-9999 to 9999).
fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    let nanos = local.nanosecond().min(999_999_999);
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(local.month()).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone as _, Utc};

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn names_parse_case_sensitively_and_unknown_ones_fail() {
        assert_eq!("Asia/Almaty".parse::<Tz>().unwrap().name(), "Asia/Almaty");
        assert_eq!("UTC".parse::<Tz>().unwrap(), Tz::utc());
        assert!("asia/almaty".parse::<Tz>().is_err());
        assert!("Mars/Olympus".parse::<Tz>().is_err());
        assert!("".parse::<Tz>().is_err());
        // A link keeps the name it was asked by.
        assert_eq!(
            "Asia/Calcutta".parse::<Tz>().unwrap().name(),
            "Asia/Calcutta"
        );
    }

    #[test]
    fn the_same_zone_is_read_once() {
        let a: Tz = "Europe/Berlin".parse().unwrap();
        let b: Tz = "Europe/Berlin".parse().unwrap();
        assert!(std::ptr::eq(a.0, b.0));
    }

    #[test]
    fn wall_clock_times_across_berlins_changes() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let utc = |d: chrono::DateTime<Tz>| d.with_timezone(&Utc).to_rfc3339();
        // Winter and summer.
        let w = berlin.from_local_datetime(&at("2026-01-15 12:00")).unwrap();
        assert_eq!(utc(w), "2026-01-15T11:00:00+00:00");
        let s = berlin.from_local_datetime(&at("2026-07-15 12:00")).unwrap();
        assert_eq!(utc(s), "2026-07-15T10:00:00+00:00");
        // 29 March 2026, 02:30 never happened.
        assert!(matches!(
            berlin.from_local_datetime(&at("2026-03-29 02:30")),
            MappedLocalTime::None
        ));
        // 25 October 2026, 02:30 happened twice: first at +02:00, then at +01:00.
        match berlin.from_local_datetime(&at("2026-10-25 02:30")) {
            MappedLocalTime::Ambiguous(a, b) => {
                assert_eq!(utc(a), "2026-10-25T00:30:00+00:00");
                assert_eq!(utc(b), "2026-10-25T01:30:00+00:00");
            }
            other => panic!("{other:?}"),
        }
        // `%Z` prints the abbreviation, as chrono-tz's zones did.
        assert_eq!(w.format("%Z").to_string(), "CET");
        assert_eq!(s.format("%Z").to_string(), "CEST");
        // UTC instants to local offsets.
        let t = Utc.with_ymd_and_hms(2026, 10, 25, 0, 59, 59).unwrap();
        assert_eq!(
            t.with_timezone(&berlin).offset().fix().local_minus_utc(),
            7200
        );
        let t = Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap();
        assert_eq!(
            t.with_timezone(&berlin).offset().fix().local_minus_utc(),
            3600
        );
    }

    #[test]
    fn almaty_and_the_extremes_of_time() {
        let almaty: Tz = "Asia/Almaty".parse().unwrap();
        let d = almaty.from_local_datetime(&at("2021-04-21 10:00")).unwrap();
        assert_eq!(d.offset().fix().local_minus_utc(), 6 * 3600);
        assert_eq!(d.format("%H:%M %Z").to_string(), "10:00 +06");
        assert_eq!(d.to_rfc3339(), "2021-04-21T10:00:00+06:00");
        // Beyond jiff's years: no panic; no local time, and some offset for an instant.
        assert!(matches!(
            almaty.from_local_datetime(&NaiveDate::MAX.and_time(NaiveTime::MIN)),
            MappedLocalTime::None
        ));
        let _ = almaty.offset_from_utc_datetime(&NaiveDate::MIN.and_time(NaiveTime::MIN));
    }
}
