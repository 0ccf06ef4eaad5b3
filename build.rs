//! Registers the date languages: one `mod` and one `LANGUAGES` entry per file in
//! `src/extract/date/lang/`, so that adding a language is adding its file (see
//! `src/extract/date/mod.rs`). The output is included by that module.

use std::path::Path;
use std::{env, fs};

// NOTE(unwrap): a build script reports a failure by panicking, and cargo prints its message; each
// `expect` below names what was missing (a variable cargo always sets, the languages directory, a
// writable OUT_DIR).
fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("src/extract/date/lang");
    println!("cargo:rerun-if-changed=src/extract/date/lang");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("src/extract/date/lang")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .collect();
    // File-name order is the order the languages are tried in.
    names.sort();
    let mut out = String::new();
    for n in &names {
        let path = dir.join(format!("{n}.rs"));
        out += &format!("#[path = {path:?}]\nmod r#{n};\n");
    }
    out += "/// Every date language, in file-name order.\n";
    out += "pub static LANGUAGES: &[&crate::extract::date::Language] = &[\n";
    for n in &names {
        out += &format!("    &r#{n}::LANG,\n");
    }
    out += "];\n";
    let target = Path::new(&env::var("OUT_DIR").expect("set by cargo")).join("date_langs.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}
