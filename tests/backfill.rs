//! `feedwright backfill`: the whole 26-page archive with its 306 item pages, page by page, resumable
//! without refetching what it already did.

use std::time::Duration;

use crate::scrape::stored;
use crate::support::server::Site;
use crate::support::sites::{self, Lang};
use crate::support::{Project, text};

fn setup() -> (Site, Project, Vec<sites::Article>) {
    let site = Site::start();
    let articles = sites::archive(Lang::En, sites::ARTICLES);
    sites::serve_k2(&site, Lang::En, &articles);
    let project = Project::new("[fetch]\nper_host_concurrency = 4\n");
    project.write("feeds/k2.toml", &sites::k2_feed(Lang::En, &site.url(""), 2));
    (site, project, articles)
}

fn listing_fetches(site: &Site) -> Vec<usize> {
    (1..=26)
        .map(|n| site.count(&sites::listing_path(Lang::En, n)))
        .collect()
}

fn backfill(project: &Project, args: &[&str]) -> String {
    let mut all = vec!["backfill", "k2"];
    all.extend_from_slice(args);
    let out = project.run(&all);
    assert!(out.status.success(), "{:?}", text(&out));
    text(&out).0
}

#[test]
fn backfill_collects_the_whole_archive_and_resumes_where_it_stopped() {
    let (site, project, articles) = setup();
    let first = backfill(&project, &["--pages", "10"]);
    assert!(
        first.contains("10 page(s), 120 new item(s); not finished"),
        "{first}"
    );
    let second = backfill(&project, &[]);
    assert!(
        second.contains("16 page(s), 186 new item(s); the archive's end was reached"),
        "{second}"
    );
    assert_eq!(
        listing_fetches(&site),
        vec![1; 26],
        "every listing page read exactly once"
    );
    for a in &articles {
        assert_eq!(
            site.count(&sites::detail_path(Lang::En, a)),
            1,
            "item page {} read once",
            a.id
        );
    }
    let items = stored(&project, "k2");
    assert_eq!(items.len(), 306);
    for (got, want) in items.iter().zip(&articles) {
        assert_eq!(got["title"], want.title.as_str());
        assert_eq!(
            got["published"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
            want.utc()
        );
    }
    // A scheduled run afterwards finds nothing new and reads one page.
    site.clear_hits();
    let once = text(&project.run(&["once"])).0;
    assert!(once.contains("k2: 0 new"), "{once}");
    assert_eq!(site.hits().len(), 1);
}

#[test]
fn a_killed_backfill_continues_from_the_page_it_reached() {
    let (site, project, _) = setup();
    site.set_delay_all(Duration::from_millis(40));
    let mut child = project
        .command(&["backfill", "k2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some pages are in, then kill -9.
    let start = std::time::Instant::now();
    while listing_fetches(&site).iter().filter(|&&c| c > 0).count() < 10 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the backfill did not progress"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = listing_fetches(&site);
    site.clear_hits();
    let out = backfill(&project, &[]);
    assert!(out.contains("the archive's end was reached"), "{out}");
    let after = listing_fetches(&site);
    let refetched = (0..26).filter(|&i| before[i] > 0 && after[i] > 0).count();
    let first_again = after.iter().position(|&c| c > 0).unwrap();
    assert!(
        first_again >= 5,
        "the second backfill started at page {}: {after:?}",
        first_again + 1
    );
    assert!(
        refetched <= 4,
        "pages refetched: {refetched} ({before:?} then {after:?})"
    );
    assert!(
        (0..26).all(|i| before[i] + after[i] >= 1),
        "a page was never read"
    );
    assert_eq!(stored(&project, "k2").len(), 306);
}

#[test]
fn a_template_archive_ends_at_its_first_missing_page() {
    let site = Site::start();
    sites::serve_blog(&site, 45);
    let project = Project::new("[fetch]\nper_host_concurrency = 4\n");
    let feed = format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article.post\"\ntitle = \"h2.entry-title a\"\nlink = \"h2.entry-title a @href\"\npage_url = \"/blog/page/{{n}}/\"\n",
        site.url("/blog/")
    );
    project.write("feeds/blog.toml", &feed);
    let out = project.run(&["backfill", "blog"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("5 page(s), 45 new item(s); the archive's end was reached"),
        "{stdout}"
    );
    assert_eq!(stored(&project, "blog").len(), 45);
}
