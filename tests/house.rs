//! The house rules, checked on the source itself (no build of the code under test needed):
//! layers that only point down (no module imports one that imports it back, directly or through
//! others), errors that stay typed until they are printed, rooms of a size one can read, and
//! long functions that say why they are long.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path inside the crate: `src/notify/slack.rs` is `["notify", "slack"]`.
type ModPath = Vec<String>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The library's files (the binary's `main.rs` is a separate crate that only calls `cli`).
fn library() -> Vec<(PathBuf, ModPath)> {
    rust_files(&src())
        .into_iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().with_extension("");
            let mut parts: ModPath = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            (p, parts)
        })
        .collect()
}

/// A file's code without its tests and comments: what it really depends on.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        // A test module (attribute, then `mod`) is not part of what the module depends on.
        if t == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod "))
        {
            let indent = line.len() - t.len();
            for l in lines.by_ref() {
                if l.len() - l.trim_start().len() == indent && l.trim_start().starts_with('}') {
                    break;
                }
            }
            continue;
        }
        let without_comment = match t.find("//") {
            Some(0) => "",
            _ => line,
        };
        out.push_str(without_comment);
        out.push('\n');
    }
    out
}

/// Every path the code names from `crate::`, `super::` or `self::`, resolved against `me`.
fn named_paths(code: &str, me: &ModPath, is_mod_rs: bool) -> Vec<ModPath> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if at_word_start
            && (bytes[i..].starts_with(b"crate::")
                || bytes[i..].starts_with(b"super::")
                || bytes[i..].starts_with(b"self::"))
        {
            let (paths, end) = tree(code, i);
            for p in paths {
                if let Some(abs) = absolute(&p, me, is_mod_rs) {
                    out.push(abs);
                }
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Parses a path tree (`a::b::{c, d::{e, f}}`) starting at `i`: its leaf paths and where it ends.
fn tree(code: &str, mut i: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(code[start..i].to_string());
        }
        if bytes[i..].starts_with(b"::") {
            i += 2;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes[i..].starts_with(b"{") {
                i += 1;
                let mut paths = Vec::new();
                loop {
                    while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                        i += 1;
                    }
                    if i >= bytes.len() || bytes[i] == b'}' {
                        return (paths, i + 1);
                    }
                    let (inner, end) = tree(code, i);
                    for p in inner {
                        let mut full = prefix.clone();
                        full.extend(p.into_iter().filter(|s| s != "self"));
                        paths.push(full);
                    }
                    // Skip `as Name` and anything else up to the next item of the group.
                    i = end;
                    while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                        i += 1;
                    }
                }
            }
            if bytes[i..].starts_with(b"*") {
                return (vec![prefix], i + 1);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

/// `crate::a::b`, `super::c` or `self::d` as a path from the crate's root.
fn absolute(path: &[String], me: &ModPath, is_mod_rs: bool) -> Option<ModPath> {
    let mut segs = path.iter();
    let mut base: ModPath = match segs.next()?.as_str() {
        "crate" => vec![],
        "self" => me.clone(),
        "super" => {
            let mut b = me.clone();
            b.pop()?;
            b
        }
        _ => return None,
    };
    let _ = is_mod_rs;
    let mut rest = segs.peekable();
    while rest.peek().is_some_and(|s| *s == "super") {
        base.pop()?;
        rest.next();
    }
    base.extend(rest.cloned());
    Some(base)
}

/// The module a path names: its longest prefix that is a module of the crate.
fn module_of(path: &ModPath, modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// The dependency between two modules, lifted to the two siblings that contain them (children of
/// their deepest common ancestor); `None` when one contains the other.
fn lifted(from: &ModPath, to: &ModPath) -> Option<(ModPath, ModPath)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].to_vec(), to[..=common].to_vec()))
}

/// The names each module re-exports from one of its children (`pub use child::Name;`), so that a
/// path through the parent counts as a use of the child that defines the name.
fn reexports(
    files: &[(PathBuf, ModPath)],
    modules: &BTreeSet<ModPath>,
) -> BTreeMap<(ModPath, String), ModPath> {
    let mut out = BTreeMap::new();
    for (path, me) in files {
        for line in code(path).lines() {
            let Some(rest) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let rest = rest.strip_prefix("self::").unwrap_or(rest);
            for named in tree(rest, 0).0 {
                let (Some(name), Some(child)) = (named.last(), named.first()) else {
                    continue;
                };
                let mut within: ModPath = me.clone();
                within.extend(named[..named.len() - 1].iter().cloned());
                let mut child_path = me.clone();
                child_path.push(child.clone());
                if modules.contains(&child_path)
                    && let Some(target) = module_of(&within, modules)
                {
                    out.insert((me.clone(), name.clone()), target);
                }
            }
        }
    }
    out
}

/// Each dependency between sibling modules, with one line of code that causes it.
fn sibling_edges() -> BTreeMap<(ModPath, ModPath), String> {
    let files = library();
    let modules: BTreeSet<ModPath> = files.iter().map(|(_, m)| m.clone()).collect();
    let through = reexports(&files, &modules);
    let mut edges = BTreeMap::new();
    for (path, me) in &files {
        let is_mod_rs = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        for named in named_paths(&code(path), me, is_mod_rs) {
            let Some(mut target) = module_of(&named, &modules) else {
                continue;
            };
            // `parent::Name` re-exported from a child is a use of that child.
            if let Some(name) = named.get(target.len())
                && let Some(child) = through.get(&(target.clone(), name.clone()))
            {
                target = child.clone();
            }
            if let Some(edge) = lifted(me, &target) {
                edges.entry(edge).or_insert_with(|| {
                    format!(
                        "{} names {}",
                        path.strip_prefix(src()).unwrap().display(),
                        named.join("::")
                    )
                });
            }
        }
    }
    edges
}

/// The loops of a directed graph (its strongly connected parts of more than one node).
fn loops(edges: &BTreeMap<(ModPath, ModPath), String>) -> Vec<Vec<ModPath>> {
    let mut nodes: BTreeSet<&ModPath> = BTreeSet::new();
    for (a, b) in edges.keys() {
        nodes.insert(a);
        nodes.insert(b);
    }
    let reach = |from: &ModPath| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges.keys() {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&ModPath, BTreeSet<ModPath>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in &nodes {
        if done.contains(*n) || !reaches[n].contains(*n) {
            continue;
        }
        let part: Vec<ModPath> = nodes
            .iter()
            .filter(|m| reaches[n].contains(**m) && reaches[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        done.extend(part.iter().cloned());
        out.push(part);
    }
    out
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = sibling_edges();
    let mut report = Vec::new();
    for part in loops(&edges) {
        report.push(format!(
            "loop: {}",
            part.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for ((a, b), why) in &edges {
            if part.contains(a) && part.contains(b) {
                report.push(format!("  {} -> {}: {why}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

#[test]
fn the_loop_finder_finds_a_loop_and_only_a_loop() {
    let m = |s: &str| s.split("::").map(String::from).collect::<ModPath>();
    let mut edges = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.insert((m(a), m(b)), String::new());
    }
    assert_eq!(loops(&edges), vec![vec![m("a"), m("b"), m("c")]]);
    // Parent and child are one room, not a loop; cousins lift to their siblings.
    assert_eq!(lifted(&m("notify::slack"), &m("notify")), None);
    assert_eq!(
        lifted(&m("notify::slack"), &m("config::feed")),
        Some((m("notify"), m("config")))
    );
    let paths = named_paths(
        "use crate::{a::B, c::{d::E, self}};\nlet x = super::f::g();",
        &m("x::y"),
        false,
    );
    assert_eq!(paths, vec![m("a::B"), m("c::d::E"), m("c"), m("x::f::g")]);
}

/// Files allowed past the size limit because they are tables of data, not code to follow.
const TABLES: &[&str] = &[];

#[test]
fn no_file_over_500_lines_except_tables() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            !TABLES.contains(&rel.as_str())
        })
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap().lines().count();
            (n > 500).then(|| format!("{}: {n} lines", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these rooms:\n{}", long.join("\n"));
}

/// Each function of `text` (by `fn` line and the closing brace at its indentation) with its first
/// line number and length, and the comment lines just above it and in it.
fn functions(text: &str) -> Vec<(usize, usize, String, bool)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let is_fn = [
            "fn ",
            "pub fn ",
            "async fn ",
            "pub async fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "pub(crate) async fn ",
            "pub(super) async fn ",
            "const fn ",
            "pub const fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        // A declaration without a body (in a trait) ends with `;` before any `{`.
        let signature_end = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.ends_with('{') || l.ends_with(';') || l.ends_with('}')
        });
        if !is_fn || signature_end.is_none_or(|j| lines[j].trim_end().ends_with(';')) {
            continue;
        }
        let Some(end) = (i..lines.len()).find(|&j| {
            let l = lines[j];
            (j > i || l.trim_end().ends_with('}'))
                && l.len() - l.trim_start().len() == indent
                && l.trim_start().starts_with('}')
                || (j == i && l.trim_end().ends_with('}'))
        }) else {
            continue;
        };
        let above = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("//") || l.trim_start().starts_with("#["));
        let inside = lines[i..=end].iter();
        let says_why = above
            .chain(inside)
            .any(|l| l.contains("Long: ") || l.contains("Long because"));
        let name = t
            .split("fn ")
            .nth(1)
            .unwrap_or("")
            .split(['(', '<'])
            .next()
            .unwrap_or("")
            .to_string();
        out.push((i + 1, end - i + 1, name, says_why));
    }
    out
}

#[test]
fn functions_over_60_lines_say_why() {
    let mut silent = Vec::new();
    for path in rust_files(&src()) {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, len, name, says_why) in functions(&text) {
            if len > 60 && !says_why {
                silent.push(format!("{}:{line}: fn {name}: {len} lines", path.display()));
            }
        }
    }
    assert!(
        silent.is_empty(),
        "split these, or say why they are long in a comment (`// Long: …`):\n{}",
        silent.join("\n")
    );
}

#[test]
fn the_function_finder_measures_functions() {
    let text = "fn a() {\n    x();\n}\n\n// Long: a table.\npub fn b() {\n    if y {\n    }\n}\nfn c() {}\ntrait T {\n    fn d(\n        x: u8,\n    ) -> u8;\n}\n";
    let found = functions(text);
    assert_eq!(found[0], (1, 3, "a".to_string(), false));
    assert_eq!(found[1], (6, 4, "b".to_string(), true));
    assert_eq!(found[2], (10, 1, "c".to_string(), false));
    assert_eq!(
        found.len(),
        3,
        "a declaration is not a function body: {found:?}"
    );
}

/// Where text is shown to a person, and so where an error may become a string.
const PRINTING: &[&str] = &["cli/", "main.rs", "serve/status.rs"];

#[test]
fn errors_stay_typed_until_printed() {
    let mut found = Vec::new();
    for (path, _) in library() {
        let rel = path
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if PRINTING.iter().any(|p| rel.starts_with(p)) {
            continue;
        }
        for (n, line) in code(&path).lines().enumerate() {
            let squashed: String = line.split_whitespace().collect();
            if squashed.contains(",String>") && squashed.contains("Result<") {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "typed errors, please:\n{}",
        found.join("\n")
    );
}

#[test]
fn health_judges_errors_by_kind_not_by_text() {
    let text = code(&src().join("health.rs"));
    for needle in [
        "matched nothing",
        "e.contains(",
        ".message.contains(",
        "to_string().contains(",
    ] {
        assert!(
            !text.contains(needle),
            "health.rs inspects error text: {needle}"
        );
    }
}

#[test]
fn every_file_opens_with_what_it_is_and_the_layout_names_every_module() {
    let mut missing = Vec::new();
    for path in rust_files(&src()) {
        let first = std::fs::read_to_string(&path).unwrap();
        if !first.starts_with("//!") {
            missing.push(format!("{}: no `//!` opening", path.display()));
        }
    }
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(';'))
            && !lib.contains(&format!("[`{name}`]"))
        {
            missing.push(format!("lib.rs: the layout does not name `{name}`"));
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}

#[test]
fn a_name_used_through_its_parents_reexport_counts_as_a_use_of_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let m = |s: &str| s.split("::").map(String::from).collect::<ModPath>();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let files = vec![
        (
            write(
                "mod.rs",
                "//! a\npub use error::FetchError;\npub use scope::{Scope, same_site};\n",
            ),
            m("fetch"),
        ),
        (write("error.rs", "//! e\n"), m("fetch::error")),
        (write("scope.rs", "//! s\n"), m("fetch::scope")),
    ];
    let modules = files.iter().map(|(_, m)| m.clone()).collect();
    let through = reexports(&files, &modules);
    assert_eq!(
        through.get(&(m("fetch"), "FetchError".into())),
        Some(&m("fetch::error"))
    );
    assert_eq!(
        through.get(&(m("fetch"), "same_site".into())),
        Some(&m("fetch::scope"))
    );
}

#[test]
fn the_readme_names_only_source_paths_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut gone = Vec::new();
    for quoted in readme.split('`').skip(1).step_by(2) {
        let is_path = quoted.starts_with("src/") && !quoted.contains(['<', ' ', '*']);
        if is_path && !root.join(quoted).exists() {
            gone.push(quoted.to_string());
        }
    }
    assert!(
        gone.is_empty(),
        "README names paths that are gone: {gone:?}"
    );
}
