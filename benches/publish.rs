//! Publishing and serving benchmarks, printing figures beside the targets of the publishing issue:
//! 1. rendering RSS + Atom + JSON Feed for a 10,000-item feed: time and output rate
//!    (target ≥ 100 MB of feed text per second);
//! 2. requests per second from the real daemon for a 200-item feed (about 200 KB), full and 304,
//!    plain and gzip, against nginx serving the same file (`gzip_static` for the compressed case)
//!    in the same run, with wrk (target: at least 50% of nginx). Skipped with a reason when wrk or
//!    nginx is missing.
//!
//! Run with `cargo bench --bench publish [-- render|serve]`. Nothing here asserts.

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use feedwright::config::validate::load_one_feed;
use feedwright::model::{FeedId, Item, StoredItem};
use feedwright::publish::{Shared, render_all};
use support::Project;
use support::server::Site;

const PARAGRAPH: &str = "<p>Officers of the regional centre met their counterparts to review the \
    seizures of the quarter, and agreed on a joint operation along the northern route, with \
    training for the border services in risk profiling &amp; search.</p>";

fn item(i: usize) -> StoredItem {
    let mut it = Item::new(
        format!("https://agency.example/news/item/{i}"),
        format!("Operation {i}: joint exercise on the northern route"),
    );
    it.link = Some(format!("https://agency.example/news/item/{i}-operation"));
    it.summary = Some(PARAGRAPH.to_string());
    it.content = Some(PARAGRAPH.repeat(3));
    it.author = Some("Press office".into());
    it.categories = vec!["Operations".into()];
    let t = Utc
        .timestamp_opt(1_700_000_000 - (i as i64) * 3600, 0)
        .unwrap();
    it.published = Some(t);
    StoredItem {
        feed: FeedId::new("bench").unwrap(),
        hash: it.content_hash(),
        item: it,
        first_seen: t,
        updated: t,
        run: 1,
        seq: 0,
    }
}

fn render() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), "state_dir = \"/nonexistent\"\n").unwrap();
    std::fs::write(
        dir.path().join("bench.toml"),
        "title = \"Bench\"\n[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n",
    )
    .unwrap();
    let cfg = load_one_feed(
        &dir.path().join("s.toml"),
        &dir.path().join("bench.toml"),
        |_| None,
    )
    .unwrap();
    let feed = &cfg.feeds[0];
    let items: Vec<StoredItem> = (0..10_000).map(item).collect();
    let public = url::Url::parse("https://feeds.example.org").unwrap();
    let out = Shared {
        public_url: &public,
        hubs: &[],
    };
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let files = render_all(feed, &items, &out);
        best = best.min(start.elapsed());
        bytes = files.iter().map(|f| f.body.len()).sum::<usize>();
    }
    let rate = bytes as f64 / best.as_secs_f64() / 1e6;
    println!("1. rendering RSS + Atom + JSON Feed for 10,000 items (best of 5):");
    println!(
        "   {:.1} ms for {:.1} MB of feed text = {rate:.0} MB/s  (target >= 100 MB/s: {})",
        best.as_secs_f64() * 1e3,
        bytes as f64 / 1e6,
        if rate >= 100.0 {
            "within target"
        } else {
            "BELOW TARGET"
        }
    );
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// wrk's requests per second for `url` with extra headers.
fn wrk(url: &str, headers: &[&str]) -> f64 {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c32", "-d4s"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_nginx(root: &Path) -> Option<(Child, u16)> {
    let port = free_port();
    let conf = root.join("nginx.conf");
    let user = if unsafe_is_root() { "user root;\n" } else { "" };
    std::fs::write(
        &conf,
        format!(
            "{user}worker_processes auto;\npid {pid};\nerror_log {log} warn;\nevents {{ worker_connections 1024; }}\n\
             http {{ access_log off; include /etc/nginx/mime.types; sendfile on; tcp_nopush on;\n\
             server {{ listen 127.0.0.1:{port}; root {root}; location / {{ gzip_static on; }} }} }}\n",
            pid = root.join("nginx.pid").display(),
            log = root.join("error.log").display(),
            root = root.display(),
        ),
    )
    .ok()?;
    let child = Command::new("nginx")
        .args([
            "-c",
            &conf.display().to_string(),
            "-p",
            &root.display().to_string(),
        ])
        .args(["-g", "daemon off;"])
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(300));
    Some((child, port))
}

fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn serve() {
    if !have("wrk", "--version") || !have("nginx", "-v") {
        println!("2. serving: skipped (wrk and nginx are needed: apt-get install wrk nginx)");
        return;
    }
    // A 200-item feed, published by the real daemon from an RSS source on 127.0.0.1.
    let site = Site::start();
    let mut rss = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bench</title><link>https://x.test/</link><description>d</description>",
    );
    for i in 0..200 {
        let it = item(i).item;
        rss.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{}</pubDate><description><![CDATA[{}]]></description></item>",
            it.title,
            it.link.unwrap(),
            it.key,
            it.published.unwrap().to_rfc2822(),
            PARAGRAPH.repeat(4)
        ));
    }
    rss.push_str("</channel></rss>");
    site.put_bytes("/rss", "application/rss+xml", rss.into_bytes());
    let project = Project::serving("");
    project.write(
        "feeds/bench.toml",
        &format!(
            "[[source]]\nkind = \"feed\"\nurl = \"{}\"\n",
            site.url("/rss")
        ),
    );
    let mut daemon = project.start_daemon();
    daemon.wait_for_log("Feed run finished");
    let file = project.public("bench.rss");
    println!(
        "2. serving a 200-item feed ({} KB) with wrk -t2 -c32 -d4s:",
        file.len() / 1024
    );

    // nginx serves the same bytes, with a .gz beside them for gzip_static.
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("bench.rss"), &file).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &file).unwrap();
    std::fs::write(root.path().join("bench.rss.gz"), gz.finish().unwrap()).unwrap();
    let Some((mut nginx, port)) = start_nginx(root.path()) else {
        println!("   nginx did not start; skipped");
        return;
    };
    let ours = format!("http://{}/feeds/bench.rss", daemon.addr);
    let theirs = format!("http://127.0.0.1:{port}/bench.rss");
    let etag_of = |url: &str, enc: &str| {
        let out = Command::new("curl")
            .args([
                "-s",
                "-D-",
                "-o",
                "/dev/null",
                "-H",
                &format!("Accept-Encoding: {enc}"),
                url,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("etag:")
                    .then(|| l[5..].trim().to_string())
            })
            .unwrap_or_default()
    };
    println!(
        "   {:<22} {:>12} {:>12} {:>7}",
        "case", "feedwright", "nginx", "ratio"
    );
    for (case, enc, conditional) in [
        ("full, plain", "identity", false),
        ("304, plain", "identity", true),
        ("full, gzip", "gzip", false),
        ("304, gzip", "gzip", true),
    ] {
        let ae = format!("Accept-Encoding: {enc}");
        let (our_etag, their_etag) = (etag_of(&ours, enc), etag_of(&theirs, enc));
        let inm = |e: &str| format!("If-None-Match: {e}");
        let (a, b) = if conditional {
            (
                wrk(&ours, &[&ae, &inm(&our_etag)]),
                wrk(&theirs, &[&ae, &inm(&their_etag)]),
            )
        } else {
            (wrk(&ours, &[&ae]), wrk(&theirs, &[&ae]))
        };
        let ratio = if b > 0.0 { a / b } else { 0.0 };
        println!(
            "   {case:<22} {a:>10.0}/s {b:>10.0}/s {:>6.0}%  (target >= 50%: {})",
            ratio * 100.0,
            if ratio >= 0.5 {
                "within target"
            } else {
                "BELOW TARGET"
            }
        );
    }
    // SIGQUIT lets the master stop its workers (a SIGKILL would orphan them).
    let _ = Command::new("kill")
        .args(["-QUIT", &nginx.id().to_string()])
        .status();
    let _ = nginx.wait();
    let _ = daemon.stop();
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if want("render") {
        render();
    }
    if want("serve") {
        serve();
    }
}
