//! Running as a service: the unit and the settings shipped for /etc agree; the paths systemd passes
//! (`$CONFIGURATION_DIRECTORY`, `$STATE_DIRECTORY`) and `$FEEDWRIGHT_STATE_DIR` are followed; an
//! admin's commands without them read the service's store, and commands that only look refuse a
//! state directory that holds no store instead of creating one.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::server::Site;
use crate::support::{Project, bin, text};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The values of `Key=` lines of the unit (commented-out `#Key=` lines too, when `commented`).
fn unit_values(unit: &str, key: &str, commented: bool) -> Vec<String> {
    unit.lines()
        .filter_map(|l| {
            let l = if commented {
                l.trim_start_matches('#')
            } else {
                l
            };
            l.strip_prefix(key)?.strip_prefix('=').map(str::to_string)
        })
        .collect()
}

fn shipped_etc_settings() -> toml::Table {
    let text = std::fs::read_to_string(root().join("systemd/feedwright.toml")).unwrap();
    text.parse().unwrap()
}

#[test]
fn the_unit_and_the_settings_shipped_for_etc_name_the_same_directories() {
    // The shipped settings used to say state_dir = "../data": `sudo feedwright status` with them
    // in /etc read an empty store in /etc/data while the service used /var/lib/feedwright.
    let unit = std::fs::read_to_string(root().join("systemd/feedwright.service")).unwrap();
    let settings = shipped_etc_settings();
    let state = unit_values(&unit, "StateDirectory", false);
    assert_eq!(state, ["feedwright"], "one StateDirectory=");
    assert_eq!(settings["state_dir"].as_str(), Some("/var/lib/feedwright"));
    let conf = unit_values(&unit, "ConfigurationDirectory", false);
    assert_eq!(conf, ["feedwright"], "one ConfigurationDirectory=");
    let feeds = settings["feeds_dir"].as_str().unwrap();
    assert!(feeds.starts_with("/etc/feedwright/"), "{feeds}");
    // Nothing in it is relative to where the file happens to be.
    for key in ["state_dir", "feeds_dir"] {
        assert!(
            Path::new(settings[key].as_str().unwrap()).is_absolute(),
            "{key}"
        );
    }
    // The unit finds the settings through ConfigurationDirectory= alone; an Environment= line
    // naming another file would part them.
    assert!(!unit.contains("FEEDWRIGHT_CONFIG"), "{unit}");
    assert!(!unit.contains("FEEDWRIGHT_STATE_DIR"), "{unit}");
    for exec in ["ExecStartPre", "ExecStart"] {
        let cmd = unit_values(&unit, exec, false);
        assert!(cmd[0].starts_with("/usr/local/bin/feedwright "), "{cmd:?}");
    }
    // Credentials: a bare name, looked up in $CREDENTIALS_DIRECTORY by the service and beside
    // the settings by an admin's commands, so both read the same file.
    for cred in unit_values(&unit, "LoadCredential", true) {
        let (name, file) = cred.split_once(':').unwrap();
        assert_eq!(file, format!("/etc/feedwright/{name}"), "{cred}");
    }
}

#[test]
fn the_readme_installs_the_settings_and_the_unit_where_they_expect_each_other() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = readme
        .find("## Run it as a service")
        .expect("a \"Run it as a service\" section");
    let section = &readme[at..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for step in [
        "install -m 755 \"${CARGO_TARGET_DIR:-target}/release/feedwright\" /usr/local/bin/feedwright",
        "install -m 644 systemd/feedwright.toml /etc/feedwright/feedwright.toml",
        "install -d /etc/feedwright/feeds",
        "install -m 644 systemd/feedwright.service /etc/systemd/system/",
        "systemctl enable --now feedwright",
        "LoadCredential=slack:",
        "/etc/feedwright/slack",
        "url_file = \"slack\"",
    ] {
        assert!(section.contains(step), "the service section lacks `{step}`");
    }
    assert!(
        !section.contains("config/feedwright.toml /etc"),
        "{section}"
    );
}

#[test]
fn the_settings_shipped_for_etc_pass_check() {
    // Moved under a temporary root (its paths are absolute), with the shipped feeds.
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/feedwright");
    let var = dir.path().join("var/lib/feedwright");
    std::fs::create_dir_all(etc.join("feeds")).unwrap();
    let shipped = std::fs::read_to_string(root().join("systemd/feedwright.toml")).unwrap();
    let moved = shipped
        .replace("/etc/feedwright", etc.to_str().unwrap())
        .replace("/var/lib/feedwright", var.to_str().unwrap());
    std::fs::write(etc.join("feedwright.toml"), moved).unwrap();
    for f in std::fs::read_dir(root().join("feeds")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, etc.join("feeds").join(f.file_name().unwrap())).unwrap();
    }
    let out = admin(dir.path())
        .env("CONFIGURATION_DIRECTORY", &etc)
        .arg("check")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("caricc-news"), "{stdout}");
}

/// The binary in `cwd`, with none of the variables that choose paths.
fn admin(cwd: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(cwd).env("RUST_LOG", "warn");
    for var in [
        "FEEDWRIGHT_CONFIG",
        "FEEDWRIGHT_STATE_DIR",
        "STATE_DIRECTORY",
        "CONFIGURATION_DIRECTORY",
        "CREDENTIALS_DIRECTORY",
        "JOURNAL_STREAM",
        "NOTIFY_SOCKET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>http://x.test/</link><description>d</description>
<item><title>Service story</title><link>http://x.test/1</link><guid>http://x.test/1</guid></item>
</channel></rss>"#;

/// A system install under a temporary root: `etc/feedwright/feedwright.toml` saying `state_dir`
/// (`{root}` stands for the temporary root), one feed `news` served by `site`.
fn install(site: &Site, state_dir: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = state_dir.replace("{root}", dir.path().to_str().unwrap());
    let etc = dir.path().join("etc/feedwright");
    std::fs::create_dir_all(etc.join("feeds")).unwrap();
    std::fs::write(
        etc.join("feedwright.toml"),
        format!("state_dir = \"{state_dir}\"\nfeeds_dir = \"feeds\"\n[http]\nlisten = \"\"\n[fetch]\nper_host_delay = \"0s\"\nrobots_txt = false\n"),
    )
    .unwrap();
    site.put_bytes("/rss", "application/rss+xml", RSS.as_bytes().to_vec());
    std::fs::write(
        etc.join("feeds/news.toml"),
        format!(
            "title = \"News\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    )
    .unwrap();
    (dir, etc)
}

#[test]
fn the_service_finds_its_settings_and_store_from_systemds_variables_and_an_admin_sees_them() {
    let site = Site::start();
    // Absolute, as the settings shipped for /etc say it.
    let (dir, etc) = install(&site, "{root}/var/lib/feedwright");
    let var = dir.path().join("var/lib/feedwright");
    // As the unit runs it: no --config, no FEEDWRIGHT_CONFIG, in another directory.
    let out = admin(dir.path())
        .env("CONFIGURATION_DIRECTORY", &etc)
        .env(
            "STATE_DIRECTORY",
            format!("{}:{}/second", var.display(), dir.path().display()),
        )
        .arg("once")
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(var.join("db").is_dir() && var.join("public/news.rss").is_file());
    // The admin, with neither variable, in another directory (here --config stands for the
    // /etc/feedwright/feedwright.toml found by default), reads the same store.
    let settings = etc.join("feedwright.toml");
    let look = |args: &[&str]| {
        admin(dir.path())
            .arg("--config")
            .arg(&settings)
            .args(args)
            .output()
            .unwrap()
    };
    let (status, err) = text(&look(&["status"]));
    assert!(
        status.starts_with(&format!(
            "config: {}\nstore:  {}\n",
            settings.display(),
            var.display()
        )),
        "{status}{err}"
    );
    assert!(status.contains("news  1 item(s)"), "{status}{err}");
    let (items, err) = text(&look(&["items", "news"]));
    assert!(items.contains("Service story"), "{items}{err}");
}

#[test]
fn state_directory_wins_over_a_relative_state_dir_and_feedwright_state_dir_over_both() {
    let site = Site::start();
    let (dir, etc) = install(&site, "../data");
    let systemd = dir.path().join("systemd-state");
    let ours = dir.path().join("our-state");
    let run = |vars: &[(&str, &Path)]| {
        let out = admin(dir.path())
            .env("CONFIGURATION_DIRECTORY", &etc)
            .envs(vars.iter().copied())
            .arg("once")
            .output()
            .unwrap();
        assert!(out.status.success(), "{:?}", text(&out));
    };
    run(&[("STATE_DIRECTORY", &systemd)]);
    assert!(systemd.join("db").is_dir());
    assert!(!dir.path().join("etc/data").exists(), "state_dir was used");
    run(&[
        ("STATE_DIRECTORY", &systemd),
        ("FEEDWRIGHT_STATE_DIR", &ours),
    ]);
    assert!(ours.join("db").is_dir());
    assert!(!dir.path().join("etc/data").exists(), "state_dir was used");
}

#[test]
fn commands_that_only_look_refuse_a_state_directory_without_a_store_and_create_none() {
    // `sudo feedwright status` with settings that pointed elsewhere used to create an empty
    // store there and report every feed as "never ran".
    let project = Project::new("");
    project.write(
        "feeds/news.toml",
        "title = \"News\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/rss\"\n",
    );
    let data = project.path("data");
    for args in [&["status"][..], &["items", "news"], &["export"]] {
        let out = project.run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(74), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("no store at {}", data.display())),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint:"), "{args:?}: {stderr}");
        assert!(!data.exists(), "{args:?} created {}", data.display());
    }
    // `status` still says which settings and which store it looked at.
    let (stdout, _) = text(&project.run(&["status"]));
    assert!(
        stdout.contains(&format!("store:  {}", data.display())),
        "{stdout}"
    );
    // Relative settings (run in the project): the store is still named in full.
    let out = admin(project.dir.path())
        .args(["--config", "config/feedwright.toml", "items", "news"])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(
        stderr.contains(&format!("no store at {}\n", data.display())),
        "{stderr}"
    );
    // `preview` stores nothing, and now creates no store either.
    let _ = project.run(&["preview", "news"]);
    assert!(!data.exists(), "preview created {}", data.display());
    // `once` is what creates it.
    let _ = project.run(&["once"]);
    assert!(data.join("db").is_dir());
    let out = project.run(&["status"]);
    assert!(out.status.success(), "{:?}", text(&out));
}
