//! Admin commands beside a running daemon: it holds the store, so `status`, `items`, `deliveries`,
//! `export` and `run-now` go through its control socket, and print what they print without it.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::feeds::rss_doc;
use crate::support::server::Site;
use crate::support::{Project, text, wait_for};

/// A feed of three stories that notifies a Slack receiver on its first run; the receiver refuses
/// the first message (400: parked) and takes the rest.
fn project() -> (Site, Site, Project) {
    let (site, hooks) = (Site::start(), Site::start());
    let stories: Vec<(String, String, String)> = (1..=3)
        .map(|i| {
            (
                format!("Story {i}"),
                site.url(&format!("/s/{i}")),
                format!("2024-03-0{i}T10:00:00Z"),
            )
        })
        .collect();
    let view: Vec<(&str, String, &str, &str)> = stories
        .iter()
        .map(|(t, l, d)| (t.as_str(), l.clone(), t.as_str(), d.as_str()))
        .collect();
    site.put_bytes("/rss", "application/rss+xml", rss_doc(&view).into_bytes());
    hooks.put_html("/slack", "ok");
    hooks.script("/slack", &[(400, &[])]);
    let project = Project::new(&format!(
        "[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl = \"{}\"\nbatch_over = 10\n",
        hooks.url("/slack")
    ));
    // Yearly: the daemon runs it once at start (its clock was never stored), then only when asked.
    project.write(
        "feeds/partner.toml",
        &format!(
            "schedule = \"0 0 1 1 *\"\njitter = \"0s\"\nnotify_on_first_run = true\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    (site, hooks, project)
}

/// Runs a command that must succeed; its stdout.
fn ok(project: &Project, args: &[&str]) -> String {
    let out = project.run(args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

#[test]
fn status_items_deliveries_export_and_run_now_work_beside_a_running_daemon_with_the_same_output() {
    let (site, hooks, project) = project();
    let once = ok(&project, &["once"]);
    assert!(
        once.contains("team: 0 queued, 0 retrying, 1 parked"),
        "{once}"
    );

    // Without a daemon: the commands open the store themselves.
    let items = ok(&project, &["items", "partner"]);
    assert!(items.contains("Story 3"), "{items}");
    let deliveries = ok(&project, &["deliveries", "list"]);
    assert!(deliveries.contains("PARKED partner: Story"), "{deliveries}");
    assert!(deliveries.contains("last answer: "), "{deliveries}");
    let backfill = ok(&project, &["backfill", "partner"]);
    assert!(
        backfill.contains("partner: 1 page(s), 0 new item(s)"),
        "{backfill}"
    );

    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Next run scheduled");
    let socket_lines = || {
        daemon
            .log()
            .matches("came through the control socket")
            .count()
    };
    // Beside it (the store is locked): the same answers, through the socket.
    assert_eq!(ok(&project, &["items", "partner"]), items);
    assert_eq!(ok(&project, &["backfill", "partner"]), backfill);

    // run-now: the daemon runs the feed at once and prints the run's report.
    let before = site.count("/rss");
    let report = ok(&project, &["run-now", "partner"]);
    assert_eq!(report.trim(), "partner: 0 new, 0 updated, 3 published");
    assert_eq!(site.count("/rss"), before + 1);
    let unknown = project.run(&["run-now", "nope"]);
    assert_eq!(unknown.status.code(), Some(64), "{:?}", text(&unknown));

    // The parked message, replayed through the daemon, is sent by the daemon's worker.
    let replay = ok(&project, &["deliveries", "replay", "team"]);
    assert!(
        replay.contains("team: 1 parked delivery(ies) queued again"),
        "{replay}"
    );
    wait_for("the replayed message", Duration::from_secs(20), || {
        hooks
            .received()
            .iter()
            .filter(|r| r.path == "/slack")
            .count()
            == 4
    });
    assert!(!ok(&project, &["deliveries", "list"]).contains("PARKED"));
    let status = ok(&project, &["status"]);
    assert!(status.contains("partner  3 item(s)"), "{status}");
    assert!(
        status.contains("0 queued, 0 retrying, 0 parked"),
        "{status}"
    );
    let export = ok(&project, &["export"]);
    assert!(export.lines().count() > 3, "{export}");
    assert_eq!(socket_lines(), 7, "{}", daemon.log());
    assert_eq!(daemon.stop(), Some(0));

    // After it stopped: the same store, read here, reads the same.
    assert_eq!(ok(&project, &["status"]), status);
    // The same records (the header's export time aside).
    let records = |e: &str| e.lines().skip(1).map(String::from).collect::<Vec<_>>();
    assert_eq!(records(&ok(&project, &["export"])), records(&export));
    let local = ok(&project, &["run-now", "partner"]);
    assert_eq!(local.trim(), "partner: 0 new, 0 updated, 3 published");
}

#[test]
fn the_control_socket_is_owner_only_and_a_killed_daemons_socket_is_stepped_past() {
    let (_site, _hooks, project) = project();
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("control socket");
    let pointer = std::fs::read_to_string(project.path("data/control")).unwrap();
    let socket = std::path::PathBuf::from(pointer.trim());
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", socket.display());

    // A request it cannot read, or from another version, is answered with an error, not dropped.
    for (line, says) in [
        ("hello\n", "could not read the request"),
        (
            "{\"v\":99,\"request\":{\"command\":\"status\"}}\n",
            "control protocol 1, this command 99",
        ),
    ] {
        use std::io::{Read, Write};
        let mut conn = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        conn.write_all(line.as_bytes()).unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        let end: serde_json::Value = serde_json::from_str(answer.trim()).unwrap();
        assert_eq!(end["end"]["code"], 1, "{answer}");
        assert!(
            end["end"]["error"].as_str().unwrap().contains(says),
            "{answer}"
        );
    }

    // kill -9 leaves the socket file and the pointer behind; commands then open the store.
    daemon.child.kill().unwrap();
    daemon.child.wait().unwrap();
    assert!(socket.exists());
    let status = ok(&project, &["status"]);
    assert!(status.contains("partner"), "{status}");
}

#[test]
fn a_feed_the_running_daemon_does_not_have_is_a_usage_error_relayed_from_it() {
    let (_site, _hooks, project) = project();
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Next run scheduled");
    // A feed file added after the start, not yet reloaded: this command knows it, the daemon not.
    project.write(
        "feeds/later.toml",
        &crate::daemon::rss_feed("http://127.0.0.1:9/rss", "0 0 1 1 *"),
    );
    for (args, says) in [
        (
            &["items", "later"][..],
            "the running daemon has no feed `later`",
        ),
        (
            &["run-now", "later"][..],
            "the running daemon has no feed `later`",
        ),
    ] {
        let out = project.run(args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("hint:"), "{args:?}: {stderr}");
    }
    // `once` cannot go through the daemon; its error says what can.
    let out = project.run(&["once"]);
    assert_eq!(out.status.code(), Some(74));
    assert!(text(&out).1.contains("run-now FEED"), "{:?}", text(&out));
    assert_eq!(daemon.stop(), Some(0));
}

/// A serving project: the `project()` feed and receiver, with `[http]` settings `http`.
fn serving(http: &str) -> (Site, Site, Project, crate::support::Daemon) {
    let (site, hooks, plain) = project();
    let project = Project::serving(&format!(
        "[[webhook]]\nname = \"team\"\nkind = \"slack\"\nurl = \"{}\"\nbatch_over = 10\n",
        hooks.url("/slack")
    ));
    std::fs::copy(
        plain.path("feeds/partner.toml"),
        project.path("feeds/partner.toml"),
    )
    .unwrap();
    let settings = std::fs::read_to_string(project.config()).unwrap();
    project.write(
        "config/feedwright.toml",
        &settings.replace("[http]\n", &format!("[http]\n{http}\n")),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Next run scheduled");
    (site, hooks, project, daemon)
}

#[test]
fn the_status_pages_run_now_and_replay_buttons_act_only_when_admin_is_on_and_same_origin() {
    use crate::support::http::request;
    let (site, hooks, _project, daemon) = serving("admin = true");
    let same = [("Sec-Fetch-Site", "same-origin"), ("Content-Length", "0")];
    // The pages carry the buttons: run now on the feed's page, replay beside parked deliveries.
    let feed_page = crate::support::http::get(&daemon.addr, "/status/partner", &[]).text();
    assert!(
        feed_page.contains("<form method=\"post\" action=\"/admin/run-now/partner\">"),
        "{feed_page}"
    );
    wait_for("the parked message", Duration::from_secs(20), || {
        crate::support::http::get(&daemon.addr, "/", &[])
            .text()
            .contains("action=\"/admin/replay/team\"")
    });
    let before = site.count("/rss");
    let page = request(&daemon.addr, "POST", "/admin/run-now/partner", &same);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text()
            .contains("partner: 0 new, 0 updated, 3 published"),
        "{}",
        page.text()
    );
    assert_eq!(site.count("/rss"), before + 1, "the daemon ran the feed");

    // The first message was refused (400, parked); replay sends it again.
    wait_for("the parked message", Duration::from_secs(20), || {
        hooks
            .received()
            .iter()
            .filter(|r| r.path == "/slack")
            .count()
            == 3
    });
    let page = request(&daemon.addr, "POST", "/admin/replay/team", &same);
    assert!(
        page.text()
            .contains("team: 1 parked delivery(ies) queued again"),
        "{}",
        page.text()
    );
    wait_for("the replayed message", Duration::from_secs(20), || {
        hooks
            .received()
            .iter()
            .filter(|r| r.path == "/slack")
            .count()
            == 4
    });

    // Another site's page cannot press them, and an unknown feed is a 404 that says so.
    let cross = [("Sec-Fetch-Site", "cross-site"), ("Content-Length", "0")];
    let page = request(&daemon.addr, "POST", "/admin/run-now/partner", &cross);
    assert_eq!(page.status, 403, "{}", page.text());
    let page = request(&daemon.addr, "POST", "/admin/run-now/nope", &same);
    assert_eq!(page.status, 404, "{}", page.text());
    assert!(page.text().contains("no feed `nope`"), "{}", page.text());
    assert_eq!(site.count("/rss"), before + 1);
}

#[test]
fn the_buttons_are_refused_while_admin_is_off_and_a_short_admin_token_is_a_config_error() {
    use crate::support::http::request;
    let (site, _hooks, project, daemon) = serving("");
    let before = site.count("/rss");
    let page = request(
        &daemon.addr,
        "POST",
        "/admin/run-now/partner",
        &[("Content-Length", "0")],
    );
    assert_eq!(page.status, 403);
    assert!(
        page.text().contains("set `admin = true`"),
        "{}",
        page.text()
    );
    assert_eq!(site.count("/rss"), before);
    drop(daemon);

    let settings = std::fs::read_to_string(project.config()).unwrap();
    project.write(
        "config/feedwright.toml",
        &settings.replace(
            "[http]\n",
            "[http]\nadmin = true\nadmin_token = \"short\"\n",
        ),
    );
    let out = project.run(&["check"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("http.admin_token") && stderr.contains("openssl rand"),
        "{stderr}"
    );
}

#[test]
fn deliveries_list_without_webhooks_says_so_instead_of_printing_nothing() {
    let project = Project::new("");
    ok(&project, &["once"]);
    let list = ok(&project, &["deliveries", "list"]);
    assert!(
        list.contains("no webhooks in") && list.contains("nothing is delivered"),
        "{list}"
    );
}
