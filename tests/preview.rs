//! `feedwright preview`: a table and JSON of what a run would find, with each kind of warning on a
//! fixture built to trigger it, and new versus stored items.

use crate::support::server::Site;
use crate::support::{Project, text};

const PAGE: &str = r#"<html><body>
<div class="item"><h2><a href="/a">Dated oddly</a></h2><span class="date">Someday soon</span></div>
<div class="item"><p class="text">A first sentence stands in. Then more text.</p><a class="more" href="/b">more</a></div>
<div class="item"><a class="more" href="/c">more</a></div>
<div class="item"></div>
<div class="item"><h2><a href="/d">Dated well</a></h2><span class="date">21 April 2021</span></div>
</body></html>"#;

fn setup() -> (Site, Project) {
    let site = Site::start();
    site.put_html("/list", PAGE);
    let project = Project::new("");
    let feed = format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"div.item\"\ntitle = \"h2 a\"\nlink = [\"h2 a @href\", \"a.more @href\"]\ndate = \"span.date\"\nsummary = \"p.text\"\nauthor = \"span.byline\"\n",
        site.url("/list")
    );
    project.write("feeds/odd.toml", &feed);
    (site, project)
}

#[test]
fn preview_shows_every_warning_kind_and_stores_nothing() {
    let (_site, project) = setup();
    let out = project.run(&["preview", "odd", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "date_not_understood",
        "title_from_text",
        "no_title",
        "skipped",
        "no_date",
        "no_match",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let messages = v["warnings"].to_string();
    assert!(
        messages.contains("Someday soon") && messages.contains("span.byline"),
        "{messages}"
    );
    let titles: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[..2], ["Dated oddly", "A first sentence stands in"]);
    assert_eq!(v["items"][3]["date_utc"], "2021-04-21 00:00 UTC");
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["new"] == true)
    );
    // Preview stored nothing: it did not even create a store.
    assert!(!project.path("data/db").exists(), "preview created a store");
    let items = project.run(&["items", "odd", "--json"]);
    assert_eq!(items.status.code(), Some(74), "no store to read");
}

#[test]
fn preview_tells_new_from_stored_and_reads_a_file_outside_the_feeds_dir() {
    let (site, project) = setup();
    assert!(project.run(&["once"]).status.success());
    site.put_html(
        "/list",
        &PAGE.replace(
            "</body>",
            "<div class=\"item\"><h2><a href=\"/e\">Fresh</a></h2></div></body>",
        ),
    );
    let table = text(&project.run(&["preview", "odd"])).0;
    assert!(
        table.contains("[stored] Dated oddly") && table.contains("[new   ] Fresh"),
        "{table}"
    );
    assert!(
        table.contains("warning: item 1: date not understood: \"Someday soon\""),
        "{table}"
    );
    assert!(
        table.contains("no date (first-seen time will be used)"),
        "{table}"
    );
    std::fs::rename(project.path("feeds/odd.toml"), project.path("draft.toml")).unwrap();
    let out = project.run(&[
        "preview",
        "--file",
        project.path("draft.toml").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("Dated well"));
}
