//! Fetching as a good guest and a careful one: per-host concurrency and minimum delay, robots.txt,
//! `Retry-After`, and hostile answers (a gzip bomb, a body that never ends, a redirect loop, a
//! 50 MiB page) each failing their source with a clear error and bounded memory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use feedwright::config::FetchSettings;
use feedwright::fetch::{FetchError, Fetcher, Scope};
use feedwright::model::Validators;
use url::Url;

use crate::support::server::Site;
use crate::support::sites::{self, Lang};
use crate::support::{Project, text};

fn blog_feed(site: &Site) -> String {
    format!(
        "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article.post\"\ntitle = \"h2.entry-title a\"\nlink = \"h2.entry-title a @href\"\npage_url = \"/blog/page/{{n}}/\"\nmax_pages = 5\n",
        site.url("/blog/")
    )
}

#[test]
fn per_host_concurrency_is_never_exceeded() {
    let site = Site::start();
    let articles = sites::archive(Lang::En, 40);
    sites::serve_k2(&site, Lang::En, &articles);
    site.set_delay_all(Duration::from_millis(30));
    let project = Project::new("[fetch]\nper_host_concurrency = 3\n");
    project.write("feeds/k2.toml", &sites::k2_feed(Lang::En, &site.url(""), 4));
    crate::scrape::once(&project, &[]);
    let most = site.max_in_flight();
    assert!(most <= 3, "{most} requests at once");
    assert!(most >= 2, "detail pages are fetched side by side ({most})");
}

#[test]
fn the_minimum_delay_between_requests_to_a_host_holds() {
    let site = Site::start();
    sites::serve_blog(&site, 45);
    let project = Project::new("[fetch]\nper_host_concurrency = 4\nper_host_delay = \"150ms\"\n");
    project.write("feeds/blog.toml", &blog_feed(&site));
    crate::scrape::once(&project, &[]);
    let arrivals = site.arrivals();
    assert_eq!(arrivals.len(), 5, "{arrivals:?}");
    for pair in arrivals.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        // The server sees each request a little after it starts; allow for that jitter (on a
        // loaded 2-core machine it passed 10 ms: 139.86 ms was seen). Without the delay the gaps
        // are a few ms.
        assert!(
            gap >= Duration::from_millis(120),
            "{gap:?} between {} and {}",
            pair[0].0,
            pair[1].0
        );
    }
}

#[test]
fn robots_txt_disallow_is_obeyed_and_named() {
    let site = Site::start();
    sites::serve_blog(&site, 45);
    site.put_bytes(
        "/robots.txt",
        "text/plain",
        b"User-agent: *\nDisallow: /private/\n\nUser-agent: feedwright\nDisallow: /blog/page/\n"
            .to_vec(),
    );
    let project = Project::new("[fetch]\nrobots_txt = true\n");
    project.write("feeds/blog.toml", &blog_feed(&site));
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("robots.txt does not allow feedwright"),
        "{stdout}"
    );
    assert!(stdout.contains("/blog/page/2/"), "{stdout}");
    assert_eq!(site.count("/blog/page/2/"), 0, "{:?}", site.hits());
    assert_eq!(site.count("/robots.txt"), 1);
    assert_eq!(site.count("/blog/"), 1, "the first page is allowed");

    // Without the rule, the same feed runs.
    site.put_bytes(
        "/robots.txt",
        "text/plain",
        b"User-agent: *\nDisallow:\n".to_vec(),
    );
    let project = Project::new("[fetch]\nrobots_txt = true\n");
    project.write("feeds/blog.toml", &blog_feed(&site));
    let out = crate::scrape::once(&project, &[]);
    assert!(out.contains("blog: 45 new"), "{out}");
}

#[test]
fn retry_after_keeps_us_away_from_the_host() {
    let site = Site::start();
    site.put_html("/busy", "busy");
    site.set_headers("/busy", &[("Retry-After", "120"), ("x-status", "429")]);
    site.put_html("/other", "fine");
    let settings = FetchSettings {
        per_host_delay: Duration::ZERO,
        robots_txt: false,
        ..FetchSettings::default()
    };
    let fetcher = Fetcher::new(&settings).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let busy = Url::parse(&site.url("/busy")).unwrap();
    let other = Url::parse(&site.url("/other")).unwrap();
    let v = Validators::default();
    let first = rt.block_on(fetcher.get(&busy, &v, &Scope::Configured, None));
    assert!(
        matches!(first, Err(FetchError::Status { status, .. }) if status.as_u16() == 429),
        "{first:?}"
    );
    // Two minutes is longer than a run waits: the next request to the host fails at once, saying
    // until when, and never reaches the site.
    let second = rt.block_on(fetcher.get(&other, &v, &Scope::Configured, None));
    let err = second.unwrap_err();
    assert!(matches!(err, FetchError::Throttled { .. }), "{err}");
    assert!(err.to_string().contains("Retry-After"), "{err}");
    assert_eq!(site.count("/other"), 0);
}

/// Runs `once` under GNU time when it is there; the output and the peak RSS in MiB.
fn once_measured(project: &Project) -> (Output, Option<f64>) {
    if !Path::new("/usr/bin/time").exists() {
        return (project.run(&["once"]), None);
    }
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "PEAK_RSS_KIB %M"])
        .arg(crate::support::bin())
        .arg("--config")
        .arg(project.config())
        .arg("once")
        .env("RUST_LOG", "warn");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KIB "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|k| k / 1024.0);
    (out, peak)
}

fn hostile(site: &Site, path: &str, settings: &str, expect: &str) {
    let project = Project::new(settings);
    project.write(
        "feeds/hostile.toml",
        &format!(
            "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article\"\ntitle = \"h2\"\n",
            site.url(path)
        ),
    );
    let (out, peak) = once_measured(&project);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{path}: {stdout}{stderr}");
    assert!(stdout.contains(expect), "{path}: {stdout}");
    assert!(
        stdout.contains(&site.url(path)),
        "{path}: the error names the URL: {stdout}"
    );
    if let Some(mib) = peak {
        assert!(mib < 64.0, "{path}: peak memory {mib:.1} MiB");
    }
}

#[test]
fn a_gzip_bomb_is_refused_not_expanded() {
    let site = Site::start();
    // 256 MiB of zeros, about 250 KiB compressed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    site.put_bytes("/bomb", "text/html", gz.finish().unwrap());
    site.set_headers("/bomb", &[("Content-Encoding", "gzip")]);
    hostile(&site, "/bomb", "", "larger than max_body");
}

#[test]
fn a_body_that_never_ends_times_out() {
    let site = Site::start();
    site.put_endless("/endless");
    hostile(
        &site,
        "/endless",
        "[fetch]\ntimeout = \"2s\"\nmax_body = \"100MiB\"\n",
        "timed out",
    );
}

#[test]
fn a_redirect_loop_stops_after_ten_hops() {
    let site = Site::start();
    site.put_redirect("/a", &site.url("/b"));
    site.put_redirect("/b", &site.url("/a"));
    hostile(&site, "/a", "", "more than 10 redirects");
    assert_eq!(
        site.count("/a") + site.count("/b"),
        11,
        "the first request and ten redirects"
    );
}

#[test]
fn a_chain_of_ten_redirects_is_followed() {
    // The contract allows at most 10 redirects: a tracking chain of ten still reaches the page.
    let site = Site::start();
    for n in 1..=10 {
        site.put_redirect(&format!("/r{n}"), &site.url(&format!("/r{}", n + 1)));
    }
    site.put_html(
        "/r11",
        "<article><h2>Arrived</h2><a href=\"/x\">x</a></article>",
    );
    let project = Project::new("");
    project.write(
        "feeds/chain.toml",
        &format!(
            "[[source]]\nkind = \"scrape\"\nurl = \"{}\"\nitems = \"article\"\ntitle = \"h2\"\nlink = \"a @href\"\n",
            site.url("/r1")
        ),
    );
    let out = project.run(&["once"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 new"), "{stdout}");
}

#[test]
fn a_50_mib_page_is_refused_at_max_body() {
    let site = Site::start();
    site.put_bytes("/huge", "text/html", vec![b'a'; 50 << 20]);
    hostile(&site, "/huge", "", "larger than max_body");
}
