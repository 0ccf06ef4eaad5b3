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
    let text = read_file(
        path,
        &mut errors,
        "pass --config PATH, set FEEDWRIGHT_CONFIG, or create config/feedwright.toml",
    );
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
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        path: path.to_path_buf(),
        settings,
        feeds,
        webhooks,
    })
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
