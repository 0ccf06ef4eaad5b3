//! `feedwright export` / `import FILE` through the binary: a store moved to a new state directory
//! carries on as if nothing happened.

use crate::scrape::{once, stored};
use crate::support::server::Site;
use crate::support::sites::{self, Lang};
use crate::support::{Project, text};

fn k2(site: &Site) -> Project {
    let project = Project::new("");
    project.write("feeds/k2.toml", &sites::k2_feed(Lang::En, &site.url(""), 2));
    project
}

#[test]
fn an_exported_store_imported_elsewhere_carries_on_without_new_items() {
    let site = Site::start();
    let articles = sites::archive(Lang::En, sites::ARTICLES);
    sites::serve_k2(&site, Lang::En, &articles);
    let old = k2(&site);
    once(&old, &[]);
    let out = old.run(&["export"]);
    let (dump, log) = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("exported"), "{log}");
    let file = old.path("backup.jsonl");
    std::fs::write(&file, &dump).unwrap();

    let new = k2(&site);
    let out = new.run(&["import", file.to_str().unwrap()]);
    let (said, err) = text(&out);
    assert!(out.status.success(), "{said}{err}");
    assert!(
        said.contains(&format!("imported {} record(s)", dump.lines().count() - 1)),
        "{said}"
    );
    assert_eq!(stored(&new, "k2"), stored(&old, "k2"));
    assert_eq!(stored(&new, "k2").len(), 24);

    // The moved store knows every item and every page's validators: nothing is new, and the
    // listing answers 304.
    site.clear_hits();
    let report = once(&new, &[]);
    assert!(report.contains("0 new"), "{report}");
    assert_eq!(
        site.hits(),
        vec![(sites::listing_path(Lang::En, 1), 304)],
        "one conditional request, answered 304"
    );

    // A second import into the now busy store is refused and changes nothing.
    let out = new.run(&["import", file.to_str().unwrap()]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is not empty") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(stored(&new, "k2").len(), 24);

    // From standard input too, and a missing file is named.
    let third = k2(&site);
    let mut cmd = third.command(&["import", "-"]);
    cmd.stdin(std::fs::File::open(&file).unwrap());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(stored(&third, "k2").len(), 24);
    let out = third.run(&["import", "/nonexistent/backup.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("/nonexistent/backup.jsonl"),
        "{:?}",
        text(&out)
    );
}
