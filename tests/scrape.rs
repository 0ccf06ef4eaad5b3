//! Scraping the K2 archive the way the motivating site needs: two listing pages per run, detail pages
//! for title, date and full text, the Russian edition in windows-1251, a blog paged by URL template,
//! and a scheduled run that reads only what is new.

use chrono::{DateTime, Utc};
use feedwright::extract::text::html_to_text;

use crate::support::server::Site;
use crate::support::sites::{self, Article, Lang};
use crate::support::{Project, text};

/// Stored items of a feed through `items --json`.
pub fn stored(project: &Project, feed: &str) -> Vec<serde_json::Value> {
    let out = project.run(&["items", feed, "--limit", "100000", "--json"]);
    assert!(out.status.success(), "{:?}", text(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

pub fn once(project: &Project, args: &[&str]) -> String {
    let mut all = vec!["once"];
    all.extend_from_slice(args);
    let out = project.run(&all);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "once failed:\n{stdout}\n{stderr}");
    stdout
}

fn k2_project(lang: Lang, max_pages: usize) -> (Site, Project, Vec<Article>) {
    let site = Site::start();
    let articles = sites::archive(lang, sites::ARTICLES);
    sites::serve_k2(&site, lang, &articles);
    let project = Project::new("[fetch]\nper_host_concurrency = 4\n");
    project.write(
        "feeds/k2.toml",
        &sites::k2_feed(lang, &site.url(""), max_pages),
    );
    (site, project, articles)
}

/// Every stored item equals its article's truth: title, link, date to the minute, full text.
fn assert_truth(site: &Site, lang: Lang, items: &[serde_json::Value], articles: &[Article]) {
    assert_eq!(items.len(), articles.len());
    for (got, want) in items.iter().zip(articles) {
        assert_eq!(got["title"], want.title.as_str(), "title of {}", want.id);
        assert_eq!(
            got["link"],
            site.url(&sites::detail_path(lang, want)).as_str()
        );
        let date: DateTime<Utc> = got["published"].as_str().unwrap().parse().unwrap();
        assert_eq!(date, want.utc(), "date of {}", want.id);
        assert_eq!(got["date_from_source"], true);
        assert_eq!(
            html_to_text(got["content"].as_str().unwrap()),
            want.full_text(),
            "text of {}",
            want.id
        );
    }
}

#[test]
fn two_listing_pages_and_their_detail_pages_give_24_true_items() {
    let (site, project, articles) = k2_project(Lang::En, 2);
    let stdout = once(&project, &[]);
    assert!(stdout.contains("k2: 24 new"), "{stdout}");
    let items = stored(&project, "k2");
    assert_truth(&site, Lang::En, &items, &articles[..24]);
    // Entries whose listing had no title or date got both from their own page.
    assert!(articles[..24].iter().filter(|a| !a.on_listing).count() >= 18);
    let rss = rss::Channel::read_from(&project.public("k2.rss")[..]).unwrap();
    assert_eq!(rss.items()[0].title(), Some(articles[0].title.as_str()));
    assert!(
        rss.items()[0]
            .content()
            .unwrap()
            .contains("Report number 306 in full.")
    );
}

#[test]
fn the_russian_edition_in_windows_1251_keeps_its_cyrillic() {
    let (site, project, articles) = k2_project(Lang::Ru, 2);
    let stdout = once(&project, &[]);
    assert!(stdout.contains("k2: 24 new"), "{stdout}");
    let items = stored(&project, "k2");
    assert_truth(&site, Lang::Ru, &items, &articles[..24]);
    assert!(
        items[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Директор Центра"),
        "{}",
        items[0]["title"]
    );
}

#[test]
fn a_scheduled_run_after_one_new_item_reads_one_listing_and_one_detail_page() {
    let (site, project, mut articles) = k2_project(Lang::En, 2);
    once(&project, &[]);
    let mut fresh = sites::archive(Lang::En, sites::ARTICLES + 1)[0].clone();
    fresh.title = "A fresh report".into();
    articles.insert(0, fresh.clone());
    sites::serve_k2(&site, Lang::En, &articles);
    site.clear_hits();
    let stdout = once(&project, &[]);
    assert!(stdout.contains("k2: 1 new, 0 updated"), "{stdout}");
    let paths: Vec<String> = site.hits().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec![
            sites::listing_path(Lang::En, 1),
            sites::detail_path(Lang::En, &fresh)
        ]
    );
    assert_eq!(stored(&project, "k2")[0]["title"], "A fresh report");
}

#[test]
fn an_unchanged_site_costs_one_conditional_request() {
    let (site, project, _) = k2_project(Lang::En, 2);
    once(&project, &[]);
    site.clear_hits();
    let stdout = once(&project, &[]);
    assert!(
        stdout.contains("k2: 0 new, 0 updated, 24 published"),
        "{stdout}"
    );
    assert_eq!(site.hits(), vec![(sites::listing_path(Lang::En, 1), 304)]);
}

#[test]
fn a_blog_paged_by_url_template_reads_its_pages_in_order() {
    let site = Site::start();
    let truth = sites::serve_blog(&site, 45);
    let project = Project::new("");
    let feed = format!(
        "title = \"Blog\"\n[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article.post\"\ntitle = \"h2.entry-title a\"\nlink = \"h2.entry-title a @href\"\ndate = \"time.entry-date @datetime\"\nsummary = \"div.entry-summary\"\npage_url = \"/blog/page/{{n}}/\"\nmax_pages = 3\n",
        site.url("/blog/")
    );
    project.write("feeds/blog.toml", &feed);
    let stdout = once(&project, &[]);
    assert!(stdout.contains("blog: 30 new"), "{stdout}");
    let items = stored(&project, "blog");
    for (got, (title, link, iso)) in items.iter().zip(&truth) {
        assert_eq!(got["title"], title.as_str());
        assert_eq!(got["link"], link.as_str());
        let want: DateTime<Utc> = DateTime::parse_from_rfc3339(iso)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            got["published"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            want
        );
    }
    assert_eq!(site.count("/blog/page/4/"), 0, "max_pages = 3");
}

const HOSTILE: &str = r#"<p onclick="steal()">Kept text <a href="javascript:alert(2)">here</a> and <a href="/safe">a link</a>.</p>
<script>alert(1)</script><style>body { display: none }</style>
<iframe src="https://evil.test/"></iframe><img src="/pic.png" onerror="bad()" alt="pic">
<svg><script>alert(3)</script><circle r="1"/></svg><math><mi>x</mi></math>
<a href="data:text/html;base64,PHNjcmlwdD4=">data link</a><form action="/x"><input name="q"></form>
<p style="x" onmouseover="bad()">Second paragraph.</p>"#;

#[test]
fn hostile_markup_never_reaches_stored_content() {
    let site = Site::start();
    let listing = format!(
        "<div class=\"it\"><a class=\"t\" href=\"/item/1\">Hostile</a><div class=\"s\">{HOSTILE}</div></div>"
    );
    site.put_html("/list", &listing);
    site.put_html(
        "/item/1",
        &format!("<h1>Hostile item</h1><div class=\"body\">{HOSTILE}</div>"),
    );
    let project = Project::new("");
    let feed = format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"div.it\"\ntitle = \"a.t\"\nlink = \"a.t @href\"\nsummary = \"div.s\"\n[source.detail]\ntitle = \"h1\"\ncontent = \"div.body\"\n",
        site.url("/list")
    );
    project.write("feeds/h.toml", &feed);
    once(&project, &[]);
    let item = &stored(&project, "h")[0];
    assert_eq!(item["title"], "Hostile item");
    for field in ["summary", "content"] {
        let html = item[field].as_str().unwrap();
        for bad in [
            "<script",
            "alert(",
            "onclick",
            "onerror",
            "onmouseover",
            "javascript:",
            "<iframe",
            "<svg",
            "<math",
            "<style",
            "data:text",
            "<form",
            "<input",
        ] {
            assert!(!html.contains(bad), "{field} keeps {bad}: {html}");
        }
        assert!(
            html.contains("Kept text") && html.contains("Second paragraph."),
            "{html}"
        );
        assert!(
            html.contains(&format!("src=\"{}\"", site.url("/pic.png"))),
            "images stay, made absolute: {html}"
        );
        assert!(
            html.contains(&format!("href=\"{}\"", site.url("/safe"))),
            "{html}"
        );
    }
    for file in ["h.rss", "h.atom"] {
        let published = String::from_utf8(project.public(file)).unwrap();
        assert!(
            !published.contains("<script") && !published.contains("&lt;script"),
            "{file}"
        );
    }
}

#[test]
fn a_failed_detail_page_keeps_the_listing_data_and_is_retried_a_few_times() {
    let site = Site::start();
    let articles = sites::archive(Lang::En, 12);
    sites::serve_k2(&site, Lang::En, &articles);
    let broken = sites::detail_path(Lang::En, &articles[2]);
    site.remove(&broken);
    let project = Project::new("");
    project.write("feeds/k2.toml", &sites::k2_feed(Lang::En, &site.url(""), 1));
    let stdout = once(&project, &[]);
    assert!(
        stdout.contains("k2: 12 new") && stdout.contains("failed, retried next run"),
        "{stdout}"
    );
    let item = stored(&project, "k2")
        .into_iter()
        .find(|i| i["link"] == site.url(&broken).as_str())
        .unwrap();
    assert_eq!(
        item["title"],
        articles[2].title.as_str(),
        "the listing's title stays"
    );
    assert!(item["content"].is_null());
    once(&project, &[]);
    assert_eq!(site.count(&broken), 2, "retried on the next run");
    sites::serve_k2(&site, Lang::En, &articles);
    let stdout = once(&project, &[]);
    assert!(stdout.contains("k2: 0 new, 1 updated"), "{stdout}");
    let item = stored(&project, "k2")
        .into_iter()
        .find(|i| i["link"] == site.url(&broken).as_str())
        .unwrap();
    assert_eq!(
        html_to_text(item["content"].as_str().unwrap()),
        articles[2].full_text()
    );
    // Once filled, it is not fetched again.
    once(&project, &[]);
    assert_eq!(site.count(&broken), 3);
}

#[test]
fn a_detail_page_that_keeps_failing_is_given_up_after_three_tries() {
    let site = Site::start();
    let articles = sites::archive(Lang::En, 12);
    sites::serve_k2(&site, Lang::En, &articles);
    let broken = sites::detail_path(Lang::En, &articles[0]);
    site.remove(&broken);
    let project = Project::new("");
    project.write("feeds/k2.toml", &sites::k2_feed(Lang::En, &site.url(""), 1));
    for _ in 0..5 {
        once(&project, &[]);
    }
    assert_eq!(site.count(&broken), 3);
}

#[test]
fn links_off_the_source_site_are_not_followed() {
    let (site, other) = (Site::start(), Site::start());
    other.put_html("/elsewhere", "<h1>Other site</h1>");
    site.put_html("/r", "");
    site.put_redirect("/redirected", &other.url("/elsewhere"));
    let listing = format!(
        "<div class=\"it\"><a href=\"{}\">Off-site item</a></div><div class=\"it\"><a href=\"/redirected\">Redirected item</a></div><a class=\"next\" href=\"{}\">next</a>",
        other.url("/elsewhere"),
        other.url("/list2")
    );
    site.put_html("/list", &listing);
    let project = Project::new("");
    let feed = format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"div.it\"\ntitle = \"a\"\nlink = \"a @href\"\nnext_page = \"a.next @href\"\nmax_pages = 3\n[source.detail]\ntitle = \"h1\"\n",
        site.url("/list")
    );
    project.write("feeds/o.toml", &feed);
    let stdout = once(&project, &[]);
    assert!(stdout.contains("o: 2 new"), "{stdout}");
    assert!(
        stdout.contains("off the source's site; not followed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outside the source's site"),
        "the redirect was refused: {stdout}"
    );
    assert!(
        other.hits().is_empty(),
        "the other site was never asked: {:?}",
        other.hits()
    );
    let titles: Vec<String> = stored(&project, "o")
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert!(
        titles.contains(&"Off-site item".to_string())
            && titles.contains(&"Redirected item".to_string())
    );
}

#[test]
fn a_later_run_of_a_url_template_source_reads_one_page_when_it_finds_stored_items() {
    let site = Site::start();
    let truth = sites::serve_blog(&site, 45);
    let project = Project::new("[fetch]\nper_host_concurrency = 4\n");
    let feed = format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article.post\"\ntitle = \"h2.entry-title a\"\nlink = \"h2.entry-title a @href\"\npage_url = \"/blog/page/{{n}}/\"\nmax_pages = 5\n",
        site.url("/blog/")
    );
    project.write("feeds/blog.toml", &feed);
    once(&project, &[]);
    assert_eq!(
        site.hits().len(),
        5,
        "a first run fetches its pages ahead: {:?}",
        site.hits()
    );
    sites::serve_blog(&site, 46);
    site.clear_hits();
    let stdout = once(&project, &[]);
    assert!(stdout.contains("blog: 1 new"), "{stdout}");
    let paths: Vec<String> = site.hits().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec!["/blog/".to_string()],
        "no pages fetched ahead once items are stored"
    );
    assert_eq!(truth.len(), 45);
}
