//! The pure step from raw files to a `Config`: reads the settings file and the feed files, then
//! has every value checked, collecting every problem (file, line, column, key, hint) before failing
//! once. No network, no writes. Place in the flow: settings text → raw → validate (this file runs
//! the pass; `settings.rs`, `feed.rs` and `webhook.rs` check each part, with `values.rs` and
//! `check.rs` below them) → `Config`.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::check::Ctx;
use super::error::{ConfigError, ConfigErrors, SourceFile};
use super::raw::RawSettings;
use super::settings::Defaults;
use super::{Config, FeedSpec, Webhook};

/// Loads and validates everything, with `env` standing in for the process environment.
pub fn load_with_env(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    load_impl(path, env, None)
}

/// The settings with one feed file in place of the feeds directory (`preview --file`); webhooks are
/// left out, since they name feeds of the directory.
pub fn load_one_feed(
    path: &Path,
    feed_file: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    load_impl(path, env, Some(feed_file))
}

fn load_impl(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
    feed_file: Option<&Path>,
) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // Nothing else can be checked without it (the feeds directory is named there): one error.
        Err(e) => return Err(ConfigErrors(vec![missing_settings(path, &e, &env)])),
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cx = Ctx {
        file: SourceFile { path, text: &text },
        dir,
        errors: &mut errors,
        env: &env,
    };
    let raw: RawSettings = cx.parse().unwrap_or_else(|| lenient_settings(&text));
    let (settings, defaults) = cx.settings(&raw);
    cx.log(raw.log.as_ref());
    let mut feed_errors = Vec::new();
    let (feeds, webhooks) = match feed_file {
        Some(file) => {
            let feeds =
                load_feed_files(vec![file.to_path_buf()], &defaults, &mut feed_errors, &env);
            (feeds, Vec::new())
        }
        None => {
            let feeds = load_feeds(&settings.feeds_dir, &defaults, &mut feed_errors, &env);
            let webhooks: Vec<Webhook> = raw
                .webhook
                .iter()
                .filter_map(|w| cx.webhook(w, &feeds))
                .collect();
            cx.unique_webhook_names(&raw.webhook);
            (feeds, webhooks)
        }
    };
    errors.append(&mut feed_errors);
    if !errors.is_empty() {
        return Err(ConfigErrors(in_file_order(errors)));
    }
    Ok(Config {
        path: path.to_path_buf(),
        settings,
        feeds,
        webhooks,
    })
}

/// The settings file cannot be read: say where feedwright looked and how to point it elsewhere.
fn missing_settings(
    path: &Path,
    e: &std::io::Error,
    env: &impl Fn(&str) -> Option<String>,
) -> ConfigError {
    let named_by = if env("FEEDWRIGHT_CONFIG").is_some_and(|v| Path::new(&v) == path) {
        "named by $FEEDWRIGHT_CONFIG"
    } else if path == Path::new("/etc/feedwright/feedwright.toml")
        && !Path::new("config/feedwright.toml").exists()
    {
        "the last place looked"
    } else {
        "named by --config"
    };
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "the current directory".into());
    let file = SourceFile { path, text: "" };
    file.whole(
        format!("cannot read the file: {e} (the settings file, {named_by})"),
        format!(
            "the settings file is --config PATH, else $FEEDWRIGHT_CONFIG, else ./config/feedwright.toml \
             (in {cwd}), else /etc/feedwright/feedwright.toml; pass --config PATH or set \
             FEEDWRIGHT_CONFIG to the file"
        ),
    )
}

/// Errors grouped by file (in the order files were read), each file's by line and column.
fn in_file_order(errors: Vec<ConfigError>) -> Vec<ConfigError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for e in &errors {
        if !files.contains(&e.file) {
            files.push(e.file.clone());
        }
    }
    let mut errors = errors;
    errors.sort_by_key(|e| {
        let file = files
            .iter()
            .position(|f| *f == e.file)
            .unwrap_or(usize::MAX);
        (file, e.line, e.column)
    });
    errors
}

/// When the settings do not deserialize (an unknown key, say), still find the feeds directory if the
/// TOML itself is readable, so the feeds' own problems are reported in the same pass.
fn lenient_settings(text: &str) -> RawSettings {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    let feeds_dir = table
        .get("feeds_dir")
        .and_then(|v| v.as_str())
        .map(|s| Spanned::new(0..0, s.to_string()));
    RawSettings {
        feeds_dir,
        ..RawSettings::default()
    }
}

fn read_file(path: &Path, errors: &mut Vec<ConfigError>, hint: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        let file = SourceFile { path, text: "" };
        errors.push(file.whole(format!("cannot read the file: {e}"), hint));
        String::new()
    })
}

fn load_feeds<E: Fn(&str) -> Option<String>>(
    dir: &Path,
    defaults: &Defaults,
    errors: &mut Vec<ConfigError>,
    env: &E,
) -> Vec<FeedSpec> {
    let paths = match feed_files(dir) {
        Ok(p) => p,
        Err(e) => {
            let file = SourceFile {
                path: dir,
                text: "",
            };
            errors.push(file.whole(
                format!("cannot list the feeds directory: {e}"),
                "set `feeds_dir` in the settings to a directory of *.toml feed files",
            ));
            return Vec::new();
        }
    };
    load_feed_files(paths, defaults, errors, env)
}

fn load_feed_files<E: Fn(&str) -> Option<String>>(
    paths: Vec<PathBuf>,
    defaults: &Defaults,
    errors: &mut Vec<ConfigError>,
    env: &E,
) -> Vec<FeedSpec> {
    let mut feeds = Vec::new();
    for path in paths {
        let text = read_file(&path, errors, "check the file's permissions");
        let mut cx = Ctx {
            file: SourceFile {
                path: &path,
                text: &text,
            },
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            errors,
            env,
        };
        if let Some(feed) = cx.feed(defaults) {
            feeds.push(feed);
        }
    }
    feeds
}

/// `*.toml` files of a directory, sorted by name.
fn feed_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths)
}
