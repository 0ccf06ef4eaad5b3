//! Reading one TOML file into its `raw` struct while finding every key and type problem, not only
//! the first: serde stops at the first unknown key or wrong type, so the file is parsed once into
//! toml's spanned tree, then deserialized again and again, each time taking out the entry serde
//! stopped at (recorded with its place and a hint), until the rest deserializes. The `raw` structs
//! stay the only description of the keys; nothing here lists them. Place in the flow: text → this
//! → `raw` → validate. Uses no other validation file.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// One problem: where, under which key path, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub span: Range<usize>,
    pub key: String,
    pub message: String,
    pub hint: String,
}

/// Entries taken out before the rest deserializes; more means the file is hardly a config file.
const MAX_PROBLEMS: usize = 100;

/// The file as `T`, with the entries that could not be read left out, and every problem found. A
/// syntax error or a missing required key gives `None` (every problem is still reported).
pub(super) fn parse_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<Problem>) {
    let (mut root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return (
            None,
            syntax.iter().map(|e| syntax_problem(text, e)).collect(),
        );
    }
    let mut problems = Vec::new();
    let mut complete = true;
    while problems.len() < MAX_PROBLEMS {
        let de = toml::de::Deserializer::from(root.clone());
        let error = match T::deserialize(de) {
            Ok(value) => return (complete.then_some(value), problems),
            Err(e) => e,
        };
        let span = error.span().unwrap_or(0..0);
        // An unknown value with a near spelling reads as that spelling (the problem is recorded),
        // so a required key like `kind` stays and the rest of its table is still checked.
        let fix = match error.message().strip_prefix("unknown variant ") {
            Some(rest) => match nearest(first_quoted(rest).unwrap_or(""), &expected(rest)) {
                Some(near) => Fix::Replace(near.to_string()),
                None => Fix::Remove,
            },
            None => Fix::Remove,
        };
        // A missing required key cannot be made up: the table that lacks it is left out so the
        // rest of the file is still searched for key and type problems, but what remains is not
        // handed on to the checks of meaning (they would report the table as absent).
        let missing = error.message().starts_with("missing field");
        complete &= !missing;
        let removed = take_out(root.get_mut(), span.start, "", &fix);
        let key = match &removed {
            Some(path) if !missing => path.clone(),
            _ => key_on_line(text, &span),
        };
        problems.push(describe(&error, span, key));
        if removed.is_none() {
            return (None, problems);
        }
    }
    (None, problems)
}

/// What becomes of the entry serde stopped at.
enum Fix {
    Remove,
    /// Its value is read as this string.
    Replace(String),
}

/// Removes (or fixes) the innermost entry whose key or value holds byte `pos` in `table`; its key
/// path.
fn take_out(table: &mut DeTable<'_>, pos: usize, prefix: &str, fix: &Fix) -> Option<String> {
    let mut hit = None;
    for (k, v) in table.iter_mut() {
        let path = format!("{prefix}{}", k.get_ref());
        let inner = match v.get_mut() {
            DeValue::Table(t) => take_out(t, pos, &format!("{path}."), fix),
            DeValue::Array(items) => items.iter_mut().enumerate().find_map(|(i, item)| match item
                .get_mut()
            {
                DeValue::Table(t) => {
                    // `[[webhook]]`s are called by name, as validation calls them.
                    let named = match t.get("name").map(|n| n.get_ref()) {
                        Some(DeValue::String(n)) => format!("{path}.{n}."),
                        _ => format!("{path}[{i}]."),
                    };
                    take_out(t, pos, &named, fix)
                }
                _ => None,
            }),
            _ => None,
        };
        if inner.is_some() {
            return inner;
        }
        if contains(&k.span(), pos) || contains(&v.span(), pos) {
            if let Fix::Replace(with) = fix {
                *v.get_mut() = DeValue::String(with.clone().into());
                return Some(path);
            }
            hit = Some((k.clone(), path));
        }
    }
    let (key, path) = hit?;
    table.remove(&key);
    Some(path)
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// The key written on the line of `span`, for problems no entry can be found for.
fn key_on_line(text: &str, span: &Range<usize>) -> String {
    let before = text.get(..span.start).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text
        .get(line_start..)
        .and_then(|t| t.lines().next())
        .unwrap_or("");
    match line.split_once('=') {
        Some((k, _)) => k.trim().to_string(),
        None => line.trim().trim_matches(['[', ']']).to_string(),
    }
}

fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let span = e.span().unwrap_or(0..0);
    Problem {
        key: key_on_line(text, &span),
        span,
        message: e.message().trim().to_string(),
        hint: "fix the TOML syntax here: strings need double quotes, tables [name], arrays [\"a\", \"b\"], each key once".into(),
    }
}

/// A serde error in words a person editing the file can act on.
fn describe(e: &toml::de::Error, span: Range<usize>, key: String) -> Problem {
    let raw = e.message().trim();
    let name = key.rsplit('.').next().unwrap_or(&key).to_string();
    let (message, hint) = if let Some(rest) = raw.strip_prefix("unknown field ") {
        let known = expected(rest);
        (
            format!("unknown key `{}`", first_quoted(rest).unwrap_or(&name)),
            suggest(first_quoted(rest).unwrap_or(&name), &known, "keys"),
        )
    } else if let Some(rest) = raw.strip_prefix("unknown variant ") {
        let known = expected(rest);
        let value = first_quoted(rest).unwrap_or("");
        (
            format!("unknown value `{value}`"),
            suggest(value, &known, "values"),
        )
    } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let wanted = kind(expected);
        (
            format!("wrong type: {found} where {wanted} belongs"),
            format!("write {wanted} here"),
        )
    } else if raw.starts_with("wanted string or table") {
        (
            "wrong type: this key takes one of its named values, as a \"string\"".to_string(),
            "write the value in double quotes, e.g. kind = \"scrape\"; see the README".to_string(),
        )
    } else if raw.starts_with("missing field") {
        let field = first_quoted(raw).unwrap_or("");
        (
            format!("missing key `{field}`"),
            format!("add `{field} = …`; it is required here"),
        )
    } else {
        (
            raw.to_string(),
            "see the README's reference for what this key takes".to_string(),
        )
    };
    Problem {
        span,
        key,
        message,
        hint,
    }
}

/// The value kind serde names (`i64`, `a boolean`…) as the file writes it.
fn kind(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "i64" | "u64" | "i32" | "u32" | "usize" | "an integer" => {
            "a whole number (without quotes)".into()
        }
        "a boolean" => "true or false (without quotes)".into(),
        "a string" => "a \"string\" in double quotes".into(),
        "a sequence" => "a list, [\"a\", \"b\"]".into(),
        _ if e.starts_with("struct ") || e == "a map" => "a table, [name] or { key = … }".into(),
        _ if e.starts_with("enum ") => "one of the listed values, as a \"string\"".into(),
        _ => e.to_string(),
    }
}

/// The known name within a few edits of `got`, the nearest.
fn nearest<'a>(got: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(got, k), *k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(2))
        .min()
        .map(|(_, k)| k)
}

/// The names serde lists after "expected" in its message.
fn expected(message: &str) -> Vec<&str> {
    quoted(message.split_once("expected").map_or("", |(_, k)| k))
}

/// The nearest known name, or the list of them.
fn suggest(got: &str, known: &[&str], what: &str) -> String {
    let list = known.join(", ");
    match nearest(got, known) {
        Some(k) => format!("did you mean `{k}`? the {what} allowed here: {list}"),
        None if known.is_empty() => "remove it; nothing is allowed here".into(),
        None => format!("the {what} allowed here: {list}"),
    }
}

fn first_quoted(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let end = s.get(start..)?.find('`')? + start;
    s.get(start..end)
}

/// Every `…` in `s`.
fn quoted(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// Edit distance (insertions, deletions, substitutions) between two short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        items: Option<String>,
        max_pages: Option<i64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        schedule: Option<String>,
        #[serde(default)]
        source: Vec<Inner>,
    }

    #[test]
    fn every_unknown_key_and_wrong_type_is_found_and_the_rest_is_read() {
        let text =
            "schedul = \"x\"\nschedule = \"y\"\n[[source]]\nitmes = \"a\"\nmax_pages = \"2\"\n";
        let (value, problems) = parse_all::<Outer>(text);
        let value = value.expect("the rest deserializes");
        assert_eq!(value.schedule.as_deref(), Some("y"));
        assert_eq!(value.source.len(), 1);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys.len(), 3, "{problems:#?}");
        for key in ["schedul", "source[0].itmes", "source[0].max_pages"] {
            assert!(keys.contains(&key), "{key} in {problems:#?}");
        }
        let typo = problems.iter().find(|p| p.key == "schedul").unwrap();
        assert!(
            typo.hint.starts_with("did you mean `schedule`?"),
            "{typo:?}"
        );
        let wrong = problems
            .iter()
            .find(|p| p.key.ends_with("max_pages"))
            .unwrap();
        assert!(wrong.message.contains("whole number"), "{wrong:?}");
    }

    #[test]
    fn a_missing_required_key_still_lets_the_rest_of_the_file_be_searched() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Needs {
            url: String,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Top {
            title: Option<String>,
            #[serde(default)]
            source: Vec<Needs>,
        }
        let (value, problems) = parse_all::<Top>("title = 3\n[[source]]\nkind = 1\n");
        assert!(value.is_none());
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("missing key `url`")),
            "{problems:#?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.key == "title" && p.message.contains("wrong type")),
            "{problems:#?}"
        );
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("itmes", "items"), 2);
        assert_eq!(distance("schedul", "schedule"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
