//! Where feedwright finds its files, by hand, from cron or under systemd: the settings file
//! (`--config`, `$FEEDWRIGHT_CONFIG`, systemd's `$CONFIGURATION_DIRECTORY/feedwright.toml`,
//! `./config/feedwright.toml`, `/etc/feedwright/feedwright.toml`) and the state directory
//! (`$FEEDWRIGHT_STATE_DIR`, then systemd's `$STATE_DIRECTORY`, then `state_dir` of the settings).
//! Pure functions of an environment lookup, so tests give their own. Place in the flow: before
//! the settings text is read (`discover`), and while it is validated (`state_dir_override`).

use std::path::{Path, PathBuf};

/// The settings file's name inside a configuration directory.
pub const SETTINGS_FILE: &str = "feedwright.toml";

/// The settings file of a system install, used when nothing else names one.
pub const SYSTEM_SETTINGS: &str = "/etc/feedwright/feedwright.toml";

/// The variables that override `state_dir`, strongest first: ours, then systemd's
/// `StateDirectory=`.
pub const STATE_DIR_VARS: [&str; 2] = ["FEEDWRIGHT_STATE_DIR", "STATE_DIRECTORY"];

/// The first directory of a variable's value: systemd passes a colon-separated list when a unit
/// names several (`StateDirectory=feedwright other`); empty values count as unset.
fn first_dir(value: Option<String>) -> Option<PathBuf> {
    let value = value?;
    let first = value.split(':').next()?.trim();
    (!first.is_empty()).then(|| PathBuf::from(first))
}

/// The state directory the environment imposes, and the variable that named it: what the
/// service (`STATE_DIRECTORY`) or the operator (`FEEDWRIGHT_STATE_DIR`) says wins over the file.
pub fn state_dir_override(env: impl Fn(&str) -> Option<String>) -> Option<(PathBuf, &'static str)> {
    STATE_DIR_VARS
        .into_iter()
        .find_map(|var| first_dir(env(var)).map(|dir| (dir, var)))
}

/// The settings file to use: `explicit` (`--config`), else `$FEEDWRIGHT_CONFIG`, else
/// `$CONFIGURATION_DIRECTORY/feedwright.toml` (set by systemd's `ConfigurationDirectory=`),
/// else `./config/feedwright.toml` when it exists, else `/etc/feedwright/feedwright.toml`.
pub fn settings_file(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    exists: impl Fn(&Path) -> bool,
) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = env("FEEDWRIGHT_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(dir) = first_dir(env("CONFIGURATION_DIRECTORY")) {
        return dir.join(SETTINGS_FILE);
    }
    let local = Path::new("config").join(SETTINGS_FILE);
    if exists(&local) {
        local
    } else {
        PathBuf::from(SYSTEM_SETTINGS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn feedwright_state_dir_wins_over_systemds_state_directory_and_takes_the_first_of_a_list() {
        let both = [
            ("STATE_DIRECTORY", "/var/lib/feedwright:/var/lib/other"),
            ("FEEDWRIGHT_STATE_DIR", "/srv/fw"),
        ];
        assert_eq!(
            state_dir_override(env(&both)),
            Some((PathBuf::from("/srv/fw"), "FEEDWRIGHT_STATE_DIR"))
        );
        let systemd = [("STATE_DIRECTORY", "/var/lib/feedwright:/var/lib/other")];
        assert_eq!(
            state_dir_override(env(&systemd)),
            Some((PathBuf::from("/var/lib/feedwright"), "STATE_DIRECTORY"))
        );
        // Empty values are unset, not "the current directory".
        let empty = [("FEEDWRIGHT_STATE_DIR", ""), ("STATE_DIRECTORY", ":")];
        assert_eq!(state_dir_override(env(&empty)), None);
    }

    #[test]
    fn systemds_configuration_directory_comes_after_feedwright_config_and_before_the_local_file() {
        let yes = |_: &Path| true;
        let no = |_: &Path| false;
        let unit = [("CONFIGURATION_DIRECTORY", "/etc/feedwright:/etc/more")];
        assert_eq!(
            settings_file(None, env(&unit), yes),
            PathBuf::from("/etc/feedwright/feedwright.toml")
        );
        let ours = [
            ("CONFIGURATION_DIRECTORY", "/etc/feedwright"),
            ("FEEDWRIGHT_CONFIG", "/srv/fw.toml"),
        ];
        assert_eq!(
            settings_file(None, env(&ours), yes),
            PathBuf::from("/srv/fw.toml")
        );
        assert_eq!(
            settings_file(Some(Path::new("x.toml")), env(&ours), yes),
            PathBuf::from("x.toml")
        );
        assert_eq!(
            settings_file(None, env(&[]), yes),
            PathBuf::from("config/feedwright.toml")
        );
        assert_eq!(
            settings_file(None, env(&[("CONFIGURATION_DIRECTORY", "")]), no),
            PathBuf::from(SYSTEM_SETTINGS)
        );
    }
}
