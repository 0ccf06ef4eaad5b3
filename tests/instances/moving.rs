//! A whole installation moved between backends with the real binary: sled → `export` → `import`
//! into PostgreSQL → `export` gives the same file (items, remembered keys, validators, records,
//! queued deliveries), the admin commands show the same, and back into sled the same again.

use crate::feeds::rss_doc;
use crate::support::server::Site;
use crate::support::{Project, text};

use super::database;

/// An RSS document of stories `0..n`, newest first.
fn stories(site: &Site, n: usize) -> Vec<u8> {
    let entries: Vec<(String, String, String, String)> = (0..n)
        .rev()
        .map(|i| {
            (
                format!("Story {i}"),
                site.url(&format!("/s/{i}")),
                format!("urn:s:{i}"),
                format!("2024-03-{:02}T10:00:00Z", 1 + i),
            )
        })
        .collect();
    rss_doc(&entries).into_bytes()
}

/// The settings every project here shares: a json webhook whose receiver is down (its
/// deliveries stay queued, retrying), before `store` settings.
fn settings(down: &str, store: &str) -> String {
    format!("{store}[[webhook]]\nname = \"down\"\nkind = \"json\"\nurl = \"{down}\"\n")
}

/// Writes the feeds: `news` (an RSS source with validators) and `gone` (a source answering 404).
fn feeds(p: &Project, site: &Site) {
    p.write(
        "feeds/news.toml",
        &format!(
            "title = \"News\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/news.rss")
        ),
    );
    p.write(
        "feeds/gone.toml",
        &format!(
            "title = \"Gone\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/gone.rss")
        ),
    );
}

/// `export`'s lines after the header (which carries the time of the export).
fn export(p: &Project) -> Vec<String> {
    let out = p.run(&["export"]);
    let (dump, log) = text(&out);
    assert!(out.status.success(), "export failed: {log}");
    // It names where the records came from: the database (password masked) or the state dir.
    let settings = std::fs::read_to_string(p.config()).unwrap();
    let from = if settings.contains("postgres://") {
        "from postgres://"
    } else {
        "/data"
    };
    assert!(log.contains(from), "{from} in {log}");
    let mut lines = dump.lines().map(str::to_string);
    let header = lines.next().unwrap_or_default();
    assert!(header.contains("\"header\""), "{header}");
    lines.collect()
}

/// Saves `p`'s export as a file in `p` and returns its path.
fn export_file(p: &Project) -> std::path::PathBuf {
    let out = p.run(&["export"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let file = p.path("export.jsonl");
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

fn import(p: &Project, file: &std::path::Path) {
    let out = p.run(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {:?}", text(&out));
    let settings = std::fs::read_to_string(p.config()).unwrap();
    let into = if settings.contains("postgres://") {
        "into postgres://"
    } else {
        "/data"
    };
    assert!(text(&out).0.contains(into), "{into} in {:?}", text(&out));
}

/// What the admin commands print about the store, without the lines naming this project's files
/// and the instances sharing the store (PostgreSQL only).
fn views(p: &Project) -> Vec<String> {
    let mut shown = Vec::new();
    for args in [
        &["items", "news", "--limit", "100"][..],
        &["items", "gone"],
        &["deliveries", "list"],
        &["status"],
    ] {
        let out = p.run(args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        let kept: Vec<&str> = stdout
            .lines()
            .take_while(|l| !l.starts_with("instances sharing the store"))
            .filter(|l| !l.starts_with("config: ") && !l.starts_with("store: "))
            .collect();
        shown.push(format!("$ {}\n{}", args.join(" "), kept.join("\n")));
    }
    shown
}

#[test]
fn sled_export_imports_into_postgres_and_back_with_the_same_items_deliveries_and_records() {
    // Long: one round trip told in order (sled, PostgreSQL, a refused import, sled again).
    let Some(url) = database("sled_export_imports_into_postgres") else {
        return;
    };
    let site = Site::start();
    site.put_bytes("/news.rss", "application/rss+xml", stories(&site, 3));
    // Nothing listens there: bound, then closed.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let sled = Project::new(&settings(&down, ""));
    feeds(&sled, &site);
    // Two runs: the second finds two new stories, queued for the webhook, which fails (they stay,
    // retrying); the gone source fails both times (exit 2: a feed failed), which is recorded.
    for n in [3, 5] {
        site.put_bytes("/news.rss", "application/rss+xml", stories(&site, n));
        let out = sled.run(&["once"]);
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    }
    let from_sled = export(&sled);
    assert!(
        ["\"item\"", "\"validators\"", "\"record\"", "\"delivery\""]
            .iter()
            .all(|k| from_sled.iter().any(|l| l.contains(k))),
        "the export holds items, validators, records and deliveries:\n{}",
        from_sled.join("\n")
    );

    let store = format!("[store]\nkind = \"postgres\"\nurl = \"{url}\"\ninstance_id = \"pg\"\n");
    let pg = Project::new(&settings(&down, &store));
    feeds(&pg, &site);
    import(&pg, &export_file(&sled));
    assert_eq!(
        export(&pg),
        from_sled,
        "sled's export, imported into PostgreSQL, exported again"
    );
    assert_eq!(views(&pg), views(&sled));
    // `status` names the database it reads, not the state directory (which holds none of it).
    let (status, _) = text(&pg.run(&["status"]));
    let name = url.rsplit('/').next().unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("store:  postgres://") && l.contains(name)),
        "{status}"
    );

    // A database that holds data already is refused, as a sled store is, and keeps its data.
    let out = pg.run(&["import", sled.path("export.jsonl").to_str().unwrap()]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is not empty") && err.contains("hint: import into an empty database"),
        "{err}"
    );
    assert_eq!(export(&pg), from_sled);

    // And back into a fresh sled store.
    let back = Project::new(&settings(&down, ""));
    feeds(&back, &site);
    import(&back, &export_file(&pg));
    assert_eq!(export(&back), from_sled, "back from PostgreSQL into sled");
    assert_eq!(views(&back), views(&sled));
}
