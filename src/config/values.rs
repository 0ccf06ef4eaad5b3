//! Checks of single values (URLs, durations, sizes, cron schedules, time zones, regexes, selector
//! rules, `${VAR}` expansion), each recording its own error with a hint. Place in the flow:
//! settings text → raw → validate (this file checks the values that settings, feeds and webhooks
//! share) → `Config`.

use std::time::Duration;

use crate::zone::Tz;
use regex::Regex;
use toml::Spanned;
use url::Url;

use super::Schedule;
use super::check::Ctx;
use super::env;
use super::raw::{Rules as RawRules, Str};
use crate::extract::selector::{Rule, Rules};

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    pub(super) fn expand(&mut self, s: &Str, key: &str) -> Option<String> {
        let env = self.env;
        env::expand(s.get_ref(), env)
            .map_err(|unset| {
                let hint = format!(
                    "export {}=… before starting feedwright, or write the value itself",
                    unset.name
                );
                self.err(s.span(), key, unset.to_string(), hint)
            })
            .ok()
    }

    pub(super) fn url(&mut self, s: &Str, key: &str) -> Option<Url> {
        let text = self.expand(s, key)?;
        // Messages show the value as written, never what `${VAR}` expanded to: it may be a secret.
        self.parse_url(&text, s.get_ref(), s.span(), key)
    }

    pub(super) fn parse_url(
        &mut self,
        text: &str,
        shown: &str,
        span: std::ops::Range<usize>,
        key: &str,
    ) -> Option<Url> {
        match Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            Ok(u) => {
                let msg = format!(
                    "`{}` is not an http(s) URL (scheme `{}`)",
                    env::masked_url(shown),
                    u.scheme()
                );
                self.err(
                    span,
                    key,
                    msg,
                    "write an absolute URL starting with https:// or http://",
                );
                None
            }
            Err(e) => {
                let msg = format!("`{}` is not a valid URL: {e}", env::masked_url(shown));
                self.err(
                    span,
                    key,
                    msg,
                    "write an absolute URL such as https://example.org/news",
                );
                None
            }
        }
    }

    pub(super) fn duration(&mut self, s: &Str, key: &str) -> Option<Duration> {
        humantime::parse_duration(s.get_ref())
            .map_err(|e| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a duration: {e}", s.get_ref()),
                    "write a number with a unit, e.g. \"30s\", \"5m\" or \"1h\"",
                )
            })
            .ok()
    }

    pub(super) fn size(&mut self, s: &Str, key: &str) -> Option<u64> {
        s.get_ref()
            .trim()
            .parse::<bytesize::ByteSize>()
            .map(|b| b.as_u64())
            .map_err(|e| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a size: {e}", s.get_ref()),
                    "write a number with a unit, e.g. \"512KiB\" or \"10MiB\"",
                )
            })
            .ok()
    }

    pub(super) fn positive(&mut self, v: &Spanned<i64>, key: &str) -> Option<usize> {
        match usize::try_from(*v.get_ref()) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.err(
                    v.span(),
                    key,
                    format!("{} is not a positive number", v.get_ref()),
                    "use a whole number of at least 1",
                );
                None
            }
        }
    }

    pub(super) fn schedule(&mut self, s: &Str, key: &str) -> Option<Schedule> {
        let hint = "use 5-field Unix cron such as \"*/30 * * * *\" (minute hour day month weekday) or @hourly / @daily";
        let schedule = Schedule::parse(s.get_ref())
            .map_err(|e| self.err(s.span(), key, e.to_string(), hint))
            .ok()?;
        if schedule.next_after(chrono::Utc::now(), Tz::utc()).is_none() {
            let msg = format!("`{}` never runs (no such date from now on)", s.get_ref());
            self.err(
                s.span(),
                key,
                msg,
                "check the day and month fields: February has no 30th or 31st",
            );
            return None;
        }
        Some(schedule)
    }

    pub(super) fn timezone(&mut self, s: &Str, key: &str) -> Option<Tz> {
        s.get_ref()
            .parse::<Tz>()
            .map_err(|_| {
                self.err(
                    s.span(),
                    key,
                    format!("`{}` is not a known time zone", s.get_ref()),
                    "use an IANA name such as \"UTC\", \"Europe/Berlin\" or \"Asia/Almaty\"",
                )
            })
            .ok()
    }

    pub(super) fn regex(&mut self, s: &Str, key: &str) -> Option<Regex> {
        Regex::new(s.get_ref())
            .map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                self.err(s.span(), key, format!("`{}` is not a valid regex: {first}", s.get_ref()), "escape special characters with \\\\ (TOML strings) or use '…' literal strings; add (?i) for case-insensitive")
            })
            .ok()
    }

    pub(super) fn rule(&mut self, s: &Str, key: &str) -> Option<Rule> {
        Rule::parse(s.get_ref())
            .map_err(|e| self.err(s.span(), key, e.message, e.hint))
            .ok()
    }

    pub(super) fn rules(&mut self, r: Option<&RawRules>, key: &str) -> Rules {
        let list = r.map(super::raw::rule_list).unwrap_or_default();
        Rules(
            list.iter()
                .enumerate()
                .filter_map(|(i, s)| self.rule(s, &index_key(key, i, list.len())))
                .collect(),
        )
    }
}

/// Fields a detail page may read without selectors.
const AUTO_FIELDS: [&str; 4] = ["title", "date", "author", "content"];

impl<E: Fn(&str) -> Option<String>> Ctx<'_, E> {
    /// A field's selectors, with `"auto"` taken out of the list: `(rules, auto)`. `"auto"` is
    /// understood only on a detail page (`detail`) and only for title, date, author and content.
    pub(super) fn field_rules(
        &mut self,
        r: Option<&RawRules>,
        key: &str,
        field: &str,
        detail: bool,
    ) -> (Rules, bool) {
        let list = r.map(super::raw::rule_list).unwrap_or_default();
        let (mut rules, mut auto) = (Vec::new(), false);
        for (i, s) in list.iter().enumerate() {
            let key = index_key(key, i, list.len());
            if s.get_ref().trim() != "auto" {
                rules.extend(self.rule(s, &key));
            } else if !detail {
                self.err(
                    s.span(),
                    &key,
                    "\"auto\" reads a whole article page: it belongs in [source.detail]",
                    "move it to [source.detail] (each item's own page), or write a CSS selector here",
                );
            } else if !AUTO_FIELDS.contains(&field) {
                self.err(
                    s.span(),
                    &key,
                    format!("`{field}` cannot be \"auto\""),
                    format!("\"auto\" works for title, date, author and content; write a CSS selector for {field}"),
                );
            } else {
                auto = true;
            }
        }
        (Rules(rules), auto)
    }
}

pub(super) fn index_key(key: &str, i: usize, len: usize) -> String {
    if len > 1 {
        format!("{key}[{i}]")
    } else {
        key.to_string()
    }
}
