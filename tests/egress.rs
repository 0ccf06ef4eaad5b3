//! Issue 19's egress policy: what a page or another server leads feedwright to (a redirect, a
//! feed a page declares, an article page on another host) may not be a private or local address,
//! whether written as an address, an IPv6 form embedding one, or a name resolving to one (through
//! the test resolver, `FEEDWRIGHT_TEST_HOSTS`); what the operator wrote is reached as written.

use std::time::Duration;

use feedwright::config::FetchSettings;
use feedwright::fetch::egress::{Names, TEST_HOSTS_VAR};
use feedwright::fetch::{FetchError, Fetched, Fetcher, Scope};
use feedwright::model::Validators;
use url::Url;

use crate::support::server::Site;
use crate::support::{Project, text};

/// Names the test resolver maps: each to a private or local form. `local.test` and friends lead
/// to 127.0.0.1, where the fixture site really answers, so only the policy stands in the way;
/// `news.test` plays a source the operator wrote (reached as written) and `www.news.test` its
/// `www.` name, the same site to scope but another host to the policy.
const HOSTS: &str = "local.test=127.0.0.1,news.test=127.0.0.1,www.news.test=127.0.0.1,meta.test=169.254.169.254,mapped.test=::ffff:127.0.0.1,nat64.test=64:ff9b::7f00:1,sixtofour.test=2002:7f00:1::,lan.test=10.0.0.1";

/// Every private form of the issue, as a URL on the fixture site's port, with the rule its
/// refusal must name.
fn private_forms(port: u16) -> Vec<(String, &'static str)> {
    [
        ("http://local.test:{port}/x", "127.0.0.1 is loopback"),
        ("http://localhost:{port}/x", "is loopback"),
        (
            "http://meta.test/x",
            "169.254.169.254 is link-local (cloud metadata)",
        ),
        (
            "http://mapped.test:{port}/x",
            "embeds 127.0.0.1, which is loopback",
        ),
        (
            "http://nat64.test:{port}/x",
            "embeds 127.0.0.1, which is loopback",
        ),
        (
            "http://sixtofour.test:{port}/x",
            "embeds 127.0.0.1, which is loopback",
        ),
        ("http://lan.test/x", "10.0.0.1 is private (RFC 1918)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "link-local (cloud metadata)",
        ),
        ("http://[64:ff9b::a9fe:a9fe]/", "embeds 169.254.169.254"),
        ("http://[2002:a9fe:a9fe::]/", "embeds 169.254.169.254"),
        (
            "http://[::127.0.0.1]:{port}/x",
            "embeds 127.0.0.1, which is loopback",
        ),
        ("http://[::ffff:127.0.0.1]:{port}/x", "embeds 127.0.0.1"),
        ("http://[::1]:{port}/x", "::1 is loopback"),
        ("http://0.0.0.0:{port}/x", "unspecified"),
        ("http://10.1.2.3/", "private (RFC 1918)"),
        ("http://192.168.1.1/", "private (RFC 1918)"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://[fd00::1]/", "unique-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://192.0.2.1/", "documentation"),
    ]
    .into_iter()
    .map(|(u, rule)| (u.replace("{port}", &port.to_string()), rule))
    .collect()
}

fn fetcher(allow: &[&str]) -> Fetcher {
    let settings = FetchSettings {
        timeout: Duration::from_secs(5),
        per_host_delay: Duration::ZERO,
        robots_txt: false,
        allow_private: allow.iter().map(|a| a.parse().unwrap()).collect(),
        ..FetchSettings::default()
    };
    Fetcher::with_names(&settings, Names::parse(HOSTS).unwrap()).unwrap()
}

fn get(f: &Fetcher, url: &str, scope: &Scope) -> Result<Fetched, FetchError> {
    let url = Url::parse(url).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f.get(&url, &Validators::default(), scope, None))
}

fn assert_refused(got: Result<Fetched, FetchError>, what: &str, rule: &str) {
    match got {
        Err(e @ FetchError::Refused { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(rule), "{what}: {msg}");
            assert!(msg.contains("allow_private"), "{what}: {msg}");
        }
        other => panic!("{what} was not refused: {other:?}"),
    }
}

#[test]
fn each_private_form_is_refused_as_a_redirect_target_even_from_a_configured_url() {
    let site = Site::start();
    site.put_html("/x", "<p>secret</p>");
    let f = fetcher(&[]);
    for (n, (to, rule)) in private_forms(site.addr.port()).into_iter().enumerate() {
        let from = format!("/r{n}");
        site.put_redirect(&from, &to);
        assert_refused(get(&f, &site.url(&from), &Scope::Configured), &to, rule);
    }
    assert_eq!(site.count("/x"), 0, "no private target was reached");
}

#[test]
fn each_private_form_is_refused_as_a_link_off_the_operators_host() {
    // Full-text article pages and discovered feeds are fetched as `Scope::Linked`.
    let site = Site::start();
    site.put_html("/x", "<p>secret</p>");
    let home = Url::parse(&site.url("/rss.xml")).unwrap();
    let f = fetcher(&[]);
    for (to, rule) in private_forms(site.addr.port()) {
        assert_refused(get(&f, &to, &Scope::Linked(home.clone())), &to, rule);
    }
    assert_eq!(site.count("/x"), 0);
    // The operator's own host is reached as written, private as it is.
    assert!(get(&f, &site.url("/x"), &Scope::Linked(home)).is_ok());
}

#[test]
fn allow_private_lets_a_listed_range_through() {
    let site = Site::start();
    site.put_html("/x", "<p>inside</p>");
    site.put_redirect("/r", &format!("http://local.test:{}/x", site.addr.port()));
    let got = get(
        &fetcher(&["127.0.0.0/8"]),
        &site.url("/r"),
        &Scope::Configured,
    );
    assert!(
        matches!(&got, Ok(Fetched::Body { body, .. }) if body.contains("inside")),
        "{got:?}"
    );
    // Another range does not let 127.0.0.1 through.
    let got = get(
        &fetcher(&["10.0.0.0/8"]),
        &site.url("/r"),
        &Scope::Configured,
    );
    assert_refused(got, "with 10/8 allowed", "127.0.0.1 is loopback");
}

#[test]
fn a_redirect_to_a_name_resolving_to_loopback_is_refused_and_its_robots_txt_not_fetched() {
    let site = Site::start();
    site.put_html("/x", "<p>secret</p>");
    site.put_redirect("/r", &format!("http://local.test:{}/x", site.addr.port()));
    let settings = FetchSettings {
        robots_txt: true,
        per_host_delay: Duration::ZERO,
        ..FetchSettings::default()
    };
    let f = Fetcher::with_names(&settings, Names::parse(HOSTS).unwrap()).unwrap();
    assert_refused(
        get(&f, &site.url("/r"), &Scope::Configured),
        "redirect",
        "127.0.0.1 is loopback",
    );
    assert_eq!(site.count("/x"), 0);
    assert_eq!(
        site.count("/robots.txt"),
        1,
        "robots.txt of the configured host only, not of local.test"
    );
}

fn run_with_hosts(project: &Project, args: &[&str]) -> (String, String, Option<i32>) {
    let out = project
        .command(args)
        .env(TEST_HOSTS_VAR, HOSTS)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    (stdout, stderr, out.status.code())
}

#[test]
fn discover_neither_fetches_prints_nor_drafts_a_declared_feed_at_a_private_address() {
    let site = Site::start();
    let port = site.addr.port();
    site.put_bytes(
        "/secret.xml",
        "application/rss+xml",
        format!(
            "<rss version=\"2.0\"><channel><title>Secret</title><link>{0}</link><item><title>Instance credentials</title><link>{0}a</link></item></channel></rss>",
            site.url("/")
        )
        .into_bytes(),
    );
    let links: String = [
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!("http://local.test:{port}/secret.xml"),
        "http://meta.test/feed".to_string(),
        format!("http://[::ffff:127.0.0.1]:{port}/secret.xml"),
        format!("http://[64:ff9b::7f00:1]:{port}/secret.xml"),
    ]
    .iter()
    .map(|u| format!("<link rel=\"alternate\" type=\"application/rss+xml\" href=\"{u}\">"))
    .collect();
    site.put_html(
        "/news",
        &format!(
            "<html><head><title>News</title>{links}</head><body><p>Nothing here.</p></body></html>"
        ),
    );
    let project = Project::new("");
    let draft = project.path("feeds/news.toml");
    let (stdout, stderr, _) = run_with_hosts(
        &project,
        &[
            "discover",
            &site.url("/news"),
            "--write",
            &draft.display().to_string(),
        ],
    );
    assert_eq!(site.count("/secret.xml"), 0, "{stdout}{stderr}");
    let written = std::fs::read_to_string(&draft).unwrap_or_default();
    for leak in [
        "169.254",
        "local.test",
        "meta.test",
        "secret.xml",
        "Instance credentials",
    ] {
        assert!(!stdout.contains(leak), "{leak} printed: {stdout}");
        assert!(!written.contains(leak), "{leak} drafted: {written}");
    }
}

#[test]
fn a_full_text_link_to_another_host_resolving_to_loopback_is_refused_and_a_localhost_source_works()
{
    let site = Site::start();
    let port = site.addr.port();
    site.put_html("/a/story.html", "<article><h1>Story</h1><p>The whole story, at length, with every detail that the teaser left out of the feed.</p></article>");
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>T</title><link>http://localhost:{port}/</link>\
<item><title>Off host</title><link>http://local.test:{port}/a/story.html</link><guid>a</guid><description>Teaser.</description></item>\
<item><title>Metadata</title><link>http://169.254.169.254/latest/</link><guid>b</guid><description>Teaser.</description></item>\
</channel></rss>"
    );
    site.put_bytes("/rss.xml", "application/rss+xml", rss.into_bytes());
    let project = Project::new("");
    // The operator wrote `localhost`: reached as written.
    project.write(
        "feeds/teasers.toml",
        &format!("title = \"Teasers\"\n[[source]]\nkind = \"feed\"\nurl = \"http://localhost:{port}/rss.xml\"\nfull_text = true\n"),
    );
    let (stdout, stderr, code) = run_with_hosts(&project, &["once"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 new"),
        "the localhost source was read: {stdout}"
    );
    assert_eq!(site.count("/a/story.html"), 0, "{stdout}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("refused: 127.0.0.1 is loopback"), "{all}");
    assert!(
        all.contains("169.254.169.254 is link-local (cloud metadata)"),
        "{all}"
    );

    // With the range allowed, the article page is read.
    let allowed = Project::new("[fetch]\nallow_private = [\"127.0.0.0/8\"]\n");
    allowed.write(
        "feeds/teasers.toml",
        &std::fs::read_to_string(project.path("feeds/teasers.toml")).unwrap(),
    );
    let (stdout, stderr, code) = run_with_hosts(&allowed, &["once"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(site.count("/a/story.html"), 1, "{stdout}");
}

#[test]
fn a_detail_link_and_a_next_page_to_another_name_of_the_site_resolving_to_loopback_are_refused() {
    let site = Site::start();
    let port = site.addr.port();
    let other = format!("http://www.news.test:{port}");
    site.put_html(
        "/list",
        &format!("<ul><li class=\"post\"><a href=\"{other}/a/1\">One</a></li><li class=\"post\"><a href=\"/go/2\">Two</a></li></ul>"),
    );
    // A detail link on the configured host that redirects to the other name, too.
    site.put_redirect("/go/2", &format!("{other}/a/2"));
    for n in 1..=2 {
        site.put_html(&format!("/a/{n}"), "<h1>Secret</h1>");
    }
    site.put_html(
        "/list2",
        "<ul><li class=\"post\"><a href=\"/a/3\">Three</a></li></ul>",
    );
    site.put_html(
        "/paged",
        &format!("<ul><li class=\"post\"><a href=\"/b\">B</a></li></ul><a class=\"next\" href=\"{other}/list2\">next</a>"),
    );
    // The operator wrote `news.test`: reached as written, though it resolves to 127.0.0.1.
    let source = |path: &str| {
        format!(
            "title = \"List\"\n[[source]]\nkind = \"scrape\"\nurl = \"http://news.test:{port}{path}\"\nitems = \"li.post\"\ntitle = \"a\"\nlink = \"a @href\"\nnext_page = \"a.next @href\"\nmax_pages = 2\n[source.detail]\ncontent = \"h1\"\n"
        )
    };
    let project = Project::new("");
    project.write("feeds/list.toml", &source("/list"));
    let (stdout, stderr, code) = run_with_hosts(&project, &["once"]);
    let all = format!("{stdout}{stderr}");
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("list: 2 new"),
        "the source itself was read: {all}"
    );
    assert_eq!(site.count("/a/1") + site.count("/a/2"), 0, "{all}");
    assert!(all.contains("www.news.test"), "{all}");
    assert!(all.contains("refused: 127.0.0.1 is loopback"), "{all}");

    // A next page there fails the run, naming the refusal; it is not fetched.
    let paged = Project::new("");
    paged.write("feeds/paged.toml", &source("/paged"));
    let (stdout, stderr, _) = run_with_hosts(&paged, &["once"]);
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("www.news.test"), "{all}");
    assert!(all.contains("refused: 127.0.0.1 is loopback"), "{all}");
    assert_eq!(site.count("/list2"), 0, "{all}");
}

#[test]
fn a_bad_allow_private_range_is_named_with_its_line() {
    let project = Project::new("[fetch]\nallow_private = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n");
    let out = project.run(&["check"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(78), "{stdout}{stderr}");
    let settings = std::fs::read_to_string(project.config()).unwrap();
    let line = settings
        .lines()
        .position(|l| l.contains("10.0.0.0/33"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("feedwright.toml:{line}:")),
        "{stderr}"
    );
    assert!(stderr.contains("fetch.allow_private"), "{stderr}");
    assert!(
        stderr.contains("`10.0.0.0/33` is not an address range"),
        "{stderr}"
    );
    assert!(stderr.contains("CIDR"), "{stderr}");
}

#[test]
fn behind_a_proxy_from_the_environment_a_redirect_to_a_name_resolving_to_loopback_is_still_refused()
{
    // The proxy (nothing listens on port 9) would resolve and connect; the name is checked first.
    let site = Site::start();
    let port = site.addr.port();
    site.put_html("/x", "<p>secret</p>");
    site.put_redirect("/r", &format!("http://local.test:{port}/x"));
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>T</title><link>{0}</link><item><title>A</title><link>{0}r</link><guid>a</guid></item></channel></rss>",
        site.url("/")
    );
    site.put_bytes("/rss.xml", "application/rss+xml", rss.into_bytes());
    let project = Project::new("");
    project.write(
        "feeds/t.toml",
        &format!(
            "title = \"T\"\n[[source]]\nkind = \"feed\"\nurl = \"{}\"\nfull_text = true\n",
            site.url("/rss.xml")
        ),
    );
    let out = project
        .command(&["once"])
        .env(TEST_HOSTS_VAR, HOSTS)
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    let all = format!("{stdout}{stderr}");
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("refused: 127.0.0.1 is loopback"), "{all}");
    assert_eq!(site.count("/x"), 0, "{all}");
}

#[test]
fn a_homed_fetcher_reaches_only_its_home_as_written() {
    // `discover` previews its draft so: a configured-looking URL the page gave is still checked.
    let site = Site::start();
    site.put_html("/x", "<p>secret</p>");
    let page = Url::parse(&site.url("/news")).unwrap();
    let f = fetcher(&[]).homed(&page);
    let to = format!("http://local.test:{}/x", site.addr.port());
    assert_refused(
        get(&f, &to, &Scope::Configured),
        "homed",
        "127.0.0.1 is loopback",
    );
    assert!(get(&f, &site.url("/x"), &Scope::Configured).is_ok());
    assert!(
        get(&fetcher(&[]), &to, &Scope::Configured).is_ok(),
        "a URL the operator wrote is reached as written"
    );
}
