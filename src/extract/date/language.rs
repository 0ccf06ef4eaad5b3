//! The shape of a date language, and the lookups the layers build from all of them at once.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::LANGUAGES;

/// Every word of one language that the date layers read. Each file in `lang/` holds one, as
/// `pub const LANG: Language`. Words are lower case: the text is lower-cased before it is matched.
/// A word the tables do not name is ignored wherever it stands ("Posted on", "Опубликовано:", "г.",
/// "жылғы", "de"), so there is no list of such words to keep.
#[derive(Debug)]
pub struct Language {
    /// ISO 639-1 code ("en", "kk"), for tests and messages.
    pub code: &'static str,
    /// Month names, January first: every form a date prints them in (nominative, genitive,
    /// possessive, abbreviations). A trailing "." in the text is ignored.
    pub months: [&'static [&'static str]; 12],
    /// Weekday names and abbreviations, Monday first. Read only to tell a word that is a weekday
    /// somewhere and a month elsewhere (Spanish and French "mar", English "Mar") from the month:
    /// such a word is taken as the month only when the text names no other month.
    pub weekdays: [&'static [&'static str]; 7],
    /// Words after "N units" in an "ago" form ("ago", "назад", "бұрын"); may be several words.
    pub ago_after: &'static [&'static str],
    /// Words before "N units" in an "ago" form ("vor", "il y a", "hace"); may be several words.
    pub ago_before: &'static [&'static str],
    /// Words that stand for the count 1 in "ago" forms ("an hour ago", "vor einer Stunde").
    pub one: &'static [&'static str],
    /// The units of "ago" forms: a word beginning with the stem names the unit, worth the seconds
    /// ([`unit`](mod@unit)). Stems are matched only in this language's "ago" forms.
    pub units: &'static [(&'static str, i64)],
    /// Today, yesterday, the day before yesterday, as whole words or phrases, with the days back.
    pub day_words: &'static [(&'static str, i64)],
    /// "Just now": today, and the current instant when no time of day is written.
    pub now_words: &'static [&'static str],
    /// Words after a time of day before noon ("a.m."); every "." in them is optional.
    pub am: &'static [&'static str],
    /// Words after a time of day after noon ("p.m."); every "." in them is optional.
    pub pm: &'static [&'static str],
    /// Letters that stand between hours and minutes besides ':' ("14h30").
    pub hour_marks: &'static [char],
    /// chrono formats read against the whole text before the general layers: a fast path for the
    /// forms CMSs print most, not a different reading (chrono knows English names only).
    pub formats: &'static [&'static str],
}

/// Seconds in the units of "ago" forms; a month is 30 days, a year 365.
pub mod unit {
    pub const SECOND: i64 = 1;
    pub const MINUTE: i64 = 60;
    pub const HOUR: i64 = 3600;
    pub const DAY: i64 = 86_400;
    pub const WEEK: i64 = 7 * DAY;
    pub const MONTH: i64 = 30 * DAY;
    pub const YEAR: i64 = 365 * DAY;
}

/// The month (1-12) of every month word of every language.
static MONTHS: LazyLock<HashMap<&'static str, u32>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for lang in LANGUAGES {
        for (i, names) in lang.months.iter().enumerate() {
            map.extend(names.iter().map(|n| (*n, i as u32 + 1)));
        }
    }
    map
});

static WEEKDAYS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    let days = LANGUAGES.iter().flat_map(|l| l.weekdays.iter());
    days.flat_map(|names| names.iter().copied()).collect()
});

/// The month a word names in any language, and whether it is also a weekday somewhere.
pub(super) fn month_of(word: &str) -> Option<(u32, bool)> {
    let w = word.trim_end_matches('.');
    MONTHS.get(w).map(|&m| (m, WEEKDAYS.contains(w)))
}

/// The pattern of a time of day: hours, a separator (':' or an hour mark), minutes, seconds, and
/// an am/pm word of any language (group 4). ASCII classes only: Unicode word tables make this
/// regex many times costlier to build.
pub(super) fn time_pattern() -> String {
    let marks: String = LANGUAGES
        .iter()
        .flat_map(|l| l.hour_marks)
        .map(|c| regex::escape(&c.to_string()))
        .collect();
    let mut meridiem: Vec<String> = LANGUAGES
        .iter()
        .flat_map(|l| l.am.iter().chain(l.pm))
        .map(|w| regex::escape(w).replace(r"\.", r"\.?"))
        .collect();
    // Leftmost-first alternation: a longer word before any word it begins with.
    meridiem.sort_by_key(|w| Reverse(w.len()));
    meridiem.dedup();
    format!(
        r"(?i)(?-u:\b)([0-9]{{1,2}})[:{marks}]([0-9]{{2}})(?::([0-9]{{2}}))?[ \t]*({})?(?:[^0-9A-Za-z_]|$)",
        meridiem.join("|")
    )
}

/// Whether an am/pm word read by [`time_pattern`] is after noon.
pub(super) fn is_pm(word: &str) -> bool {
    let bare = |w: &str| w.replace('.', "").to_lowercase();
    let word = bare(word);
    LANGUAGES
        .iter()
        .flat_map(|l| l.pm)
        .any(|pm| bare(pm) == word)
}

/// The words of `text`: runs of letters and digits.
pub(super) fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

impl Language {
    /// Seconds back of the first "ago" form of this language among `words` (lower case).
    pub(super) fn ago_in(&self, words: &[&str]) -> Option<i64> {
        let after = self.ago_after.iter().find_map(|m| {
            starts(words, m).find_map(|i| {
                let before = words.get(i.checked_sub(2)?..i)?;
                self.amount(before[0], before[1])
            })
        });
        after.or_else(|| {
            self.ago_before.iter().find_map(|m| {
                let n = self::words(m).len();
                starts(words, m).find_map(|i| self.amount(words.get(i + n)?, words.get(i + n + 1)?))
            })
        })
    }

    /// "3" or "an" of "hours" or "hour", in seconds.
    fn amount(&self, count: &str, unit: &str) -> Option<i64> {
        let n: i64 = match count.parse() {
            Ok(n) => n,
            Err(_) if self.one.contains(&count) => 1,
            Err(_) => return None,
        };
        let (_, secs) = self.units.iter().find(|(stem, _)| unit.starts_with(stem))?;
        n.checked_mul(*secs)
    }
}

/// Where the words of `phrase` begin among `words`.
fn starts<'a>(words: &'a [&str], phrase: &str) -> impl Iterator<Item = usize> + 'a {
    let phrase: Vec<String> = self::words(phrase).into_iter().map(str::to_owned).collect();
    (0..words.len()).filter(move |&i| {
        words.len() - i >= phrase.len() && phrase.iter().zip(&words[i..]).all(|(p, w)| p == w)
    })
}

/// The days back of the longest today/yesterday word of any language in `lower` (so "avant-hier"
/// wins over the "hier" inside it; on a tie the language first in file-name order), and whether
/// the text says "just now". A "just now" word alone counts as today.
pub(super) fn day_back(lower: &str) -> Option<(i64, bool)> {
    let now = LANGUAGES
        .iter()
        .flat_map(|l| l.now_words)
        .any(|w| contains_word(lower, w));
    let day = LANGUAGES
        .iter()
        .flat_map(|l| l.day_words)
        .filter(|(w, _)| contains_word(lower, w))
        .min_by_key(|(w, _)| Reverse(w.chars().count()))
        .map(|&(_, back)| back);
    match (day, now) {
        (Some(back), _) => Some((back, now)),
        (None, true) => Some((0, true)),
        (None, false) => None,
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

    /// Every word of a language, with where it stands.
    fn all_words(l: &Language) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let months = l.months.iter().chain(&l.weekdays);
        out.extend(
            months
                .flat_map(|n| n.iter())
                .map(|w| ("month or weekday", *w)),
        );
        out.extend(l.units.iter().map(|(w, _)| ("unit", *w)));
        out.extend(l.day_words.iter().map(|(w, _)| ("day word", *w)));
        for (what, list) in [
            ("ago", l.ago_after),
            ("ago", l.ago_before),
            ("one", l.one),
            ("now", l.now_words),
            ("am/pm", l.am),
            ("am/pm", l.pm),
        ] {
            out.extend(list.iter().map(|w| (what, *w)));
        }
        out
    }

    #[test]
    fn every_word_is_lower_case_and_no_word_names_two_months() {
        let mut month = HashMap::new();
        for l in LANGUAGES {
            for (what, w) in all_words(l) {
                assert_eq!(w, w.to_lowercase(), "{} {what} {w:?}", l.code);
                assert!(!w.trim().is_empty(), "{} {what} empty", l.code);
            }
            for (i, names) in l.months.iter().enumerate() {
                for w in *names {
                    let before = month.insert(*w, (i, l.code));
                    assert!(
                        before.is_none_or(|(m, _)| m == i),
                        "{w:?}: month {} in {}, {} in {:?}",
                        i + 1,
                        l.code,
                        before.map_or(0, |b| b.0 + 1),
                        before.map(|b| b.1)
                    );
                }
            }
        }
    }

    #[test]
    fn codes_are_unique_and_in_file_name_order() {
        let codes: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        for code in ["de", "en", "es", "fr", "ru"] {
            assert!(codes.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_time_pattern_is_the_one_the_tables_spell() {
        let p = time_pattern();
        assert!(p.contains("[:h]"), "{p}");
        assert!(p.contains(r"(a\.?m\.?|p\.?m\.?)"), "{p}");
        assert!(is_pm("PM") && is_pm("p.m.") && !is_pm("am"));
    }
}
