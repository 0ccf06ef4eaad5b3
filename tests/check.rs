//! `feedwright check`: a table of broken configurations, one per kind of error, each exiting 78 and
//! naming the file, the line and the key; every problem reported at once; shipped files valid.

use crate::support::{Project, text};

const FEED: &str = r#"title = "News"
schedule = "*/30 * * * *"
timezone = "Europe/Berlin"

[[source]]
kind = "scrape"
url = "https://news.test/list"
items = "article"
title = "h2 a"
link = "h2 a @href"
"#;

const HOOK: &str =
    "[[webhook]]\nname = \"team\"\nkind = \"json\"\nurl = \"https://hooks.test/x\"\n";

/// Where a case puts its text: the settings (appended) or a feed file (replacing FEED).
enum At {
    Settings(String),
    Feed(&'static str, String),
}

struct Case {
    name: &'static str,
    at: At,
    /// A string on the line the error must name.
    marker: &'static str,
    key: &'static str,
}

fn feed_with(from: &str, to: &str) -> At {
    assert!(FEED.contains(from), "{from}");
    At::Feed("news.toml", FEED.replacen(from, to, 1))
}

fn cases() -> Vec<Case> {
    let c = |name, at, marker, key| Case {
        name,
        at,
        marker,
        key,
    };
    vec![
        c(
            "bad TOML",
            feed_with("title = \"News\"", "title = \"News"),
            "title = \"News",
            "title",
        ),
        c(
            "duplicate key",
            feed_with("title = \"News\"", "title = \"News\"\ntitle = \"Again\""),
            "title = \"Again\"",
            "title",
        ),
        c(
            "unknown settings key",
            At::Settings("stat_dir = \"x\"\n".into()),
            "stat_dir",
            "stat_dir",
        ),
        c(
            "unknown source key",
            feed_with("items = \"article\"", "itmes = \"article\""),
            "itmes",
            "itmes",
        ),
        c(
            "bad URL",
            feed_with("url = \"https://news.test/list\"", "url = \"not a url\""),
            "not a url",
            "source[0].url",
        ),
        c(
            "non-http URL",
            feed_with(
                "url = \"https://news.test/list\"",
                "url = \"ftp://news.test/\"",
            ),
            "ftp://",
            "source[0].url",
        ),
        c(
            "CSS that does not compile",
            feed_with("items = \"article\"", "items = \"div[\""),
            "div[",
            "source[0].items",
        ),
        c(
            "@attr without a space",
            feed_with("link = \"h2 a @href\"", "link = \"h2 a@href\""),
            "a@href",
            "source[0].link",
        ),
        c(
            "@attr without a name",
            feed_with("link = \"h2 a @href\"", "link = [\"h2 a @href\", \"a @\"]"),
            "a @\"]",
            "source[0].link[1]",
        ),
        c(
            "\"auto\" on a listing",
            feed_with("title = \"h2 a\"", "title = \"auto\""),
            "title = \"auto\"",
            "source[0].title",
        ),
        c(
            "\"auto\" for a detail field it cannot read",
            feed_with(
                "link = \"h2 a @href\"",
                "link = \"h2 a @href\"\n[source.detail]\ncontent = \"auto\"\nimage = [\"img @src\", \"auto\"]",
            ),
            "image = [",
            "source[0].detail.image[1]",
        ),
        c(
            "full_text on a scrape source",
            feed_with(
                "items = \"article\"",
                "items = \"article\"\nfull_text = true",
            ),
            "full_text = true",
            "source[0].full_text",
        ),
        c(
            "bad cron",
            feed_with("*/30 * * * *", "* * *"),
            "schedule",
            "schedule",
        ),
        c(
            "cron value out of range",
            feed_with("*/30 * * * *", "61 * * * *"),
            "schedule",
            "schedule",
        ),
        c(
            "cron that never fires",
            feed_with("*/30 * * * *", "0 0 31 2 *"),
            "schedule",
            "schedule",
        ),
        c(
            "unknown time zone",
            feed_with("Europe/Berlin", "Mars/Olympus"),
            "Mars/Olympus",
            "timezone",
        ),
        c(
            "bad regex",
            At::Feed(
                "news.toml",
                format!("{FEED}\n[filter]\ninclude = [\"(?i)drug\", \"(unclosed\"]\n"),
            ),
            "(unclosed",
            "filter.include[1]",
        ),
        c(
            "unknown template placeholder",
            At::Settings(format!("{HOOK}template = \"{{title}} {{body}}\"\n")),
            "{title} {body}",
            "webhook.team.template",
        ),
        c(
            "scrape key on a feed source",
            feed_with("kind = \"scrape\"", "kind = \"feed\""),
            "kind = \"feed\"",
            "source[0].items",
        ),
        c(
            "bad per-field filter regex",
            At::Feed(
                "news.toml",
                format!("{FEED}\n[filter.title]\nexclude = [\"(?i)ok\", \"[bad\"]\n"),
            ),
            "[bad",
            "filter.title.exclude[1]",
        ),
        c(
            "bad filter max_age",
            At::Feed(
                "news.toml",
                format!("{FEED}\n[filter]\nmax_age = \"a fortnight\"\n"),
            ),
            "a fortnight",
            "filter.max_age",
        ),
        c(
            "unknown filter field",
            At::Feed(
                "news.toml",
                format!("{FEED}\n[filter.body]\ninclude = [\"x\"]\n"),
            ),
            "[filter.body]",
            "body",
        ),
        c(
            "bad duration",
            At::Settings("[fetch]\ntimeout = \"30 parsecs\"\n".into()),
            "parsecs",
            "fetch.timeout",
        ),
        c(
            "bad size",
            At::Settings("[fetch]\nmax_body = \"lots\"\n".into()),
            "lots",
            "fetch.max_body",
        ),
        c(
            "zero max_items",
            At::Feed("news.toml", format!("max_items = 0\n{FEED}")),
            "max_items",
            "max_items",
        ),
        c(
            "keep below max_items",
            At::Feed("news.toml", format!("max_items = 50\nkeep = 20\n{FEED}")),
            "keep = 20",
            "keep",
        ),
        c(
            "feed without a source",
            At::Feed("news.toml", "title = \"Nothing\"\n".into()),
            "Nothing",
            "source",
        ),
        c(
            "source without items",
            feed_with("items = \"article\"\n", ""),
            "url =",
            "source[0].items",
        ),
        c(
            "unknown source kind",
            feed_with("kind = \"scrape\"", "kind = \"scrap\""),
            "scrap",
            "source[0].kind",
        ),
        c(
            "webhook names a feed that does not exist",
            At::Settings(format!("{HOOK}feeds = [\"news\", \"sports\"]\n")),
            "sports",
            "webhook.team.feeds",
        ),
        c(
            "unknown webhook kind",
            At::Settings(HOOK.replace("json", "slak")),
            "slak",
            "webhook.team.kind",
        ),
        c(
            "missing environment variable",
            At::Settings(HOOK.replace("https://hooks.test/x", "${FEEDWRIGHT_TEST_UNSET}")),
            "FEEDWRIGHT_TEST_UNSET",
            "webhook.team.url",
        ),
        c(
            "unreadable secret file",
            At::Settings(format!("{HOOK}secret_file = \"no-such.secret\"\n")),
            "no-such.secret",
            "webhook.team.secret_file",
        ),
        c(
            "webhook without url",
            At::Settings("[[webhook]]\nname = \"bare\"\nkind = \"slack\"\n".into()),
            "bare",
            "webhook.bare.url",
        ),
        c(
            "unknown store kind",
            At::Settings("[store]\nkind = \"mysql\"\n".into()),
            "mysql",
            "store.kind",
        ),
        c(
            "a PostgreSQL store without its URL",
            At::Settings("[store]\nkind = \"postgres\"\n".into()),
            "postgres",
            "store.kind",
        ),
        c(
            "a database URL on a sled store",
            At::Settings("[store]\nurl = \"postgres://fw@db.test/feeds\"\n".into()),
            "db.test",
            "store.url",
        ),
        c(
            "a database URL that does not parse",
            At::Settings(
                "[store]\nkind = \"postgres\"\nurl = \"postgres://fw@db.test:port/feeds\"\n".into(),
            ),
            "db.test",
            "store.url",
        ),
        c(
            "a database URL asking for TLS",
            At::Settings(
                "[store]\nkind = \"postgres\"\nurl = \"postgres://fw@db.test/feeds?sslmode=require\"\n".into(),
            ),
            "sslmode",
            "store.url",
        ),
        c(
            "a lease too short to renew",
            At::Settings(
                "[store]\nkind = \"postgres\"\nurl = \"postgres://fw@db.test/feeds\"\nlease = \"1s\"\n"
                    .into(),
            ),
            "lease",
            "store.lease",
        ),
        c(
            "an instance name with a space",
            At::Settings("[store]\ninstance_id = \"web 1\"\n".into()),
            "web 1",
            "store.instance_id",
        ),
        c(
            "bad feed file name",
            At::Feed("Bad_Name.toml", FEED.into()),
            "",
            "(file name)",
        ),
    ]
}

fn line_of(text: &str, marker: &str) -> usize {
    text.lines()
        .position(|l| l.contains(marker))
        .map_or(1, |i| i + 1)
}

#[test]
fn each_broken_configuration_names_file_line_and_key_and_exits_78() {
    let cases = cases();
    assert!(cases.len() >= 10);
    for case in cases {
        let project = Project::new("");
        let (file, content) = match &case.at {
            At::Settings(extra) => {
                let path = project.config();
                let base = std::fs::read_to_string(&path).unwrap();
                // The project's settings already have a [fetch] table: add to it.
                let content = match extra.strip_prefix("[fetch]\n") {
                    Some(keys) => base.replacen("[fetch]\n", &format!("[fetch]\n{keys}"), 1),
                    None => base + extra,
                };
                std::fs::write(&path, &content).unwrap();
                project.write("feeds/news.toml", FEED);
                ("config/feedwright.toml".to_string(), content)
            }
            At::Feed(name, content) => {
                project.write(&format!("feeds/{name}"), content);
                (format!("feeds/{name}"), content.clone())
            }
        };
        let out = project.run(&["check"]);
        let (_, stderr) = text(&out);
        let place = format!(
            "{}:{}:",
            project.path(&file).display(),
            line_of(&content, case.marker)
        );
        assert_eq!(out.status.code(), Some(78), "{}: {stderr}", case.name);
        assert!(
            stderr.contains(&place),
            "{}: expected {place} in:\n{stderr}",
            case.name
        );
        assert!(
            stderr.contains(&format!("`{}`", case.key)),
            "{}: expected key `{}` in:\n{stderr}",
            case.name,
            case.key
        );
        assert!(
            stderr.contains("hint:"),
            "{}: no hint in:\n{stderr}",
            case.name
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let project = Project::new("[fetch]\ntimeout = \"soon\"\n");
    project.write(
        "feeds/a.toml",
        &FEED.replace("Europe/Berlin", "Nowhere/City"),
    );
    project.write(
        "feeds/b.toml",
        &FEED.replace("items = \"article\"", "items = \"((\""),
    );
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78));
    for needle in [
        "fetch.timeout",
        "Nowhere/City",
        "`source[0].items`",
        "3 configuration error(s)",
    ] {
        assert!(stderr.contains(needle), "{needle} missing in:\n{stderr}");
    }
}

#[test]
fn check_lists_five_key_type_and_value_errors_of_one_run_each_with_line_and_column() {
    // Five typos used to take four runs: serde stopped each file at its first unknown key or
    // wrong type.
    let project = Project::new("stat_dir = \"x\"\n");
    let feed = FEED
        .replace(
            "title = \"News\"",
            "title = \"News\"\nschedul = \"0 * * * *\"",
        )
        .replace("*/30 * * * *", "* * *")
        .replace("timezone", "max_items = \"200\"\ntimezone")
        .replace(
            "items = \"article\"",
            "items = \"article\"\nnxt_page = \"a.next @href\"",
        );
    project.write("feeds/news.toml", &feed);
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    let settings = std::fs::read_to_string(project.config()).unwrap();
    let at = |file: &str, content: &str, marker: &str| {
        let line = line_of(content, marker);
        let text_line = content.lines().nth(line - 1).unwrap();
        let column = text_line.find(marker).unwrap() + 1;
        format!("{}:{line}:{column}", project.path(file).display())
    };
    let feed_file = "feeds/news.toml";
    for (place, key, hint) in [
        (
            at("config/feedwright.toml", &settings, "stat_dir"),
            "`stat_dir`: unknown key",
            "did you mean `state_dir`?",
        ),
        (
            at(feed_file, &feed, "schedul "),
            "`schedul`: unknown key",
            "did you mean `schedule`?",
        ),
        (at(feed_file, &feed, "\"* * *\""), "`schedule`:", "hint:"),
        (
            at(feed_file, &feed, "\"200\""),
            "`max_items`: wrong type",
            "write a whole number",
        ),
        (
            at(feed_file, &feed, "nxt_page"),
            "`source[0].nxt_page`: unknown key",
            "did you mean `next_page`?",
        ),
    ] {
        let line = stderr
            .lines()
            .position(|l| l.contains(&format!("{place}: {key}")))
            .unwrap_or_else(|| panic!("{place}: {key} missing in:\n{stderr}"));
        let next = stderr.lines().nth(line + 1).unwrap_or("");
        assert!(next.contains(hint), "{hint} after {place}:\n{stderr}");
    }
    assert!(stderr.contains("5 configuration error(s)"), "{stderr}");
}

#[test]
fn a_misspelt_value_is_reported_and_the_rest_of_its_table_still_checked() {
    let project = Project::new("");
    let feed = FEED
        .replace("kind = \"scrape\"", "kind = \"scrap\"")
        .replace("items = \"article\"", "items = \"div[\"");
    project.write("feeds/news.toml", &feed);
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("`source[0].kind`: unknown value `scrap`")
            && stderr.contains("did you mean `scrape`?"),
        "{stderr}"
    );
    assert!(stderr.contains("`source[0].items`"), "{stderr}");
    assert!(!stderr.contains("missing key"), "{stderr}");
    assert!(stderr.contains("2 configuration error(s)"), "{stderr}");
}

#[test]
fn a_missing_settings_file_is_one_error_saying_where_it_looked() {
    // It used to be followed by a second, misleading error about a feeds directory `/etc/feeds`.
    let project = Project::new("");
    let missing = project.path("elsewhere/feedwright.toml");
    let out = project
        .command(&["check"])
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert!(stderr.contains("1 configuration error(s)"), "{stderr}");
    assert!(!stderr.contains("feeds directory"), "{stderr}");
    for needle in [
        "named by --config",
        "$FEEDWRIGHT_CONFIG",
        "./config/feedwright.toml",
        "/etc/feedwright/feedwright.toml",
    ] {
        assert!(stderr.contains(needle), "{needle} in:\n{stderr}");
    }
    let out = std::process::Command::new(crate::support::bin())
        .arg("check")
        .current_dir(project.path("feeds"))
        .env("FEEDWRIGHT_CONFIG", &missing)
        .output()
        .unwrap();
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("named by $FEEDWRIGHT_CONFIG"), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
}

#[test]
fn a_missing_settings_file_is_a_configuration_error() {
    let project = Project::new("");
    let out = project
        .command(&["check"])
        .arg("--config")
        .arg(project.path("nope.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out).1.contains("nope.toml: cannot read the file"),
        "{}",
        text(&out).1
    );
}

#[test]
fn a_valid_configuration_prints_feeds_sources_and_next_two_runs() {
    let project = Project::new(
        "[[webhook]]\nname = \"team\"\nkind = \"json\"\nurl = \"${FEEDWRIGHT_TEST_HOOK}\"\n",
    );
    project.write("feeds/news.toml", FEED);
    let out = project
        .command(&["check"])
        .env("FEEDWRIGHT_TEST_HOOK", "https://hooks.test/1")
        .output()
        .unwrap();
    let stdout = text(&out).0;
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(stdout.contains("news  \"News\""), "{stdout}");
    assert!(
        stdout.contains("source scrape https://news.test/list"),
        "{stdout}"
    );
    let next = stdout.lines().find(|l| l.contains("next ")).unwrap();
    assert_eq!(next.matches("UTC)").count(), 2, "{next}");
    assert!(stdout.contains("1 feed(s), 1 webhook(s)"), "{stdout}");
}

#[test]
fn shipped_config_and_feed_files_pass_check() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(crate::support::bin())
        .current_dir(root)
        .args(["check"])
        .env_remove("FEEDWRIGHT_CONFIG")
        .env_remove("STATE_DIRECTORY")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let shipped = std::fs::read_dir(root.join("feeds")).unwrap().count();
    assert!(shipped >= 1);
    assert!(
        stdout.contains(&format!("OK, {shipped} feed(s)")),
        "{stdout}"
    );
    assert!(stdout.contains("caricc-news"), "{stdout}");
}

#[test]
fn secrets_come_from_files_relative_to_the_settings() {
    let project = Project::new(
        "[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl_file = \"hook.url\"\nsecret_file = \"/nonexistent/feedwright-test/secret\"\n",
    );
    project.write("feeds/news.toml", FEED);
    project.write("config/hook.url", "https://hooks.test/services/T0/B0/X\n");
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    // The URL file is found beside the settings and accepted; only the missing secret file is reported.
    assert_eq!(out.status.code(), Some(78));
    assert!(!stderr.contains("url_file"), "{stderr}");
    assert!(
        stderr.contains(
            "`webhook.team.secret_file`: cannot read `/nonexistent/feedwright-test/secret`"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hooks.test"),
        "secrets never appear in messages: {stderr}"
    );
}

#[test]
fn a_bare_secret_file_name_is_read_from_the_systemd_credentials_directory() {
    let project =
        Project::new("[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl_file = \"slack\"\n");
    project.write("feeds/news.toml", FEED);
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(
        creds.path().join("slack"),
        "https://hooks.test/services/T0/B0/X\n",
    )
    .unwrap();
    let out = project
        .command(&["check"])
        .env("CREDENTIALS_DIRECTORY", creds.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    // Without the credentials directory, the name is a file beside the settings, which is missing.
    let out = project.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        text(&out).1.contains("webhook.team.url_file"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn a_bad_database_url_is_reported_without_its_password() {
    let project = Project::new(
        "[store]\nkind = \"postgres\"\nurl = \"postgres://fw:hunter22secret@db.test:99999/feeds\"\n",
    );
    project.write("feeds/news.toml", FEED);
    let out = project.run(&["check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("store.url"), "{stderr}");
    assert!(stderr.contains("@db.test"), "{stderr}");
    assert!(!stderr.contains("hunter22secret"), "{stderr}");
}

#[test]
fn a_postgres_store_checks_without_connecting_and_says_where_it_is() {
    // `check` is pure: nothing listens at db.test, and the configuration is still valid.
    let project = Project::new(
        "[store]\nkind = \"postgres\"\nurl = \"postgres://fw:pw@db.test/feeds\"\ninstance_id = \"web-1\"\nlease = \"10s\"\n",
    );
    project.write("feeds/news.toml", FEED);
    let out = project.run(&["check"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
}

#[test]
fn a_bad_secret_url_is_reported_without_its_value() {
    let project = Project::new(
        "[[webhook]]\nname = \"a\"\nkind = \"slack\"\nurl = \"${FEEDWRIGHT_TEST_SECRET_URL}\"\n[[webhook]]\nname = \"b\"\nkind = \"slack\"\nurl_file = \"hook.url\"\n",
    );
    project.write("feeds/news.toml", FEED);
    project.write("config/hook.url", "hooks.test/no-scheme-token-5678\n");
    let out = project
        .command(&["check"])
        .env("FEEDWRIGHT_TEST_SECRET_URL", "token-1234")
        .output()
        .unwrap();
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr.contains("`webhook.a.url`") && stderr.contains("`webhook.b.url_file`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("token-1234") && !stderr.contains("token-5678"),
        "a secret leaked: {stderr}"
    );
}

#[test]
fn garbage_feed_files_are_errors_not_panics() {
    let garbage: &[&str] = &[
        "",
        "\u{feff}",
        "[[source]]\n",
        "[[source]]\nkind = 3\nurl = []\n",
        "source = \"x\"\n",
        "[[source]]\nkind = \"scrape\"\nurl = \"https://x.test\"\nitems = \"a\"\ntitle = [1, 2]\n",
        "[[source]]\nkind = \"scrape\"\nurl = \"https://x.test\"\nitems = \"@\"\nlink = []\n",
        "title = \"\u{0}\"\n[filter]\ninclude = \"not a list\"\n",
        "\u{1}\u{2}\u{3}",
        "max_items = 99999999999999999999\n",
        "schedule = \"@never\"\n",
        "schedule = \"0 0 31 2 *\"\n[[source]]\nkind = \"scrape\"\nurl = \"https://x.test\"\nitems = \"a\"\nlink = \"@href\"\n",
    ];
    let project = Project::new("");
    for (i, g) in garbage.iter().enumerate() {
        project.write(&format!("feeds/g{i}.toml"), g);
    }
    let out = project.run(&["check"]);
    let stderr = text(&out).1;
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for i in 0..garbage.len() {
        assert!(
            stderr.contains(&format!("g{i}.toml")),
            "g{i}.toml not reported:\n{stderr}"
        );
    }
}

#[test]
fn a_usage_error_exits_64_not_2_which_means_some_feeds_failed() {
    let project = Project::new("");
    for args in [
        &["--no-such-flag"][..],
        &["no-such-command"],
        &["once", "--pages", "3"],
        &["backfill"],
    ] {
        let out = project.run(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains("Usage"), "{args:?}: {stderr}");
    }
    // Asking for help or the version is not an error.
    for args in [&["--help"][..], &["once", "--help"], &["--version"]] {
        let out = project.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {:?}", text(&out));
    }
    let (help, _) = text(&project.run(&["--help"]));
    for code in ["64", "74", "75", "78"] {
        assert!(
            help.contains(code),
            "--help names exit code {code}:\n{help}"
        );
    }
}

#[test]
fn logs_written_to_a_file_or_pipe_carry_no_colour_escapes() {
    // The README's cron recipe appends the log to a file: every line used to carry ANSI colours.
    let project = Project::new("");
    project.write(
        "feeds/broken.toml",
        "title = \"Broken\"\n[[source]]\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/nothing\"\n",
    );
    let out = project
        .command(&["once"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(stderr.contains("Source failed"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a piped log:\n{stderr:?}"
    );
}
