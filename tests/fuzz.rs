//! Fuzzing on the stable toolchain (nightly, and so cargo-fuzz, cannot be installed here): a seeded
//! mutator over real inputs (the fixture feeds and pages, dates in every language we read, feed
//! files, templates, HTTP requests) feeds six targets; a panic anywhere (the target, or the server's
//! tasks) is a crash, reported with the input that caused it.
//!
//! `cargo test` runs a bounded number of cases per target (`FUZZ_CASES`, default 300); the long run
//! is `cargo bench --bench fuzz` (`FUZZ_CASES`, default 1,000,000 per target; `FUZZ_SEED`), which
//! prints the counts and writes each crash's input under `target/fuzz-crashes/`. Every crash found
//! becomes a regression test below (`regressions`).
//!
//! The same file is the bench's body (`benches/fuzz.rs` includes it), so it uses nothing of the
//! test support code.

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

use feedwright::extract::date::{DateContext, parse_date};
use url::Url;

/// Tokens that break parsers: markup, entities, quotes, template and TOML syntax, odd Unicode.
const DICT: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&",
    "&amp;",
    "&#x",
    "&#0;",
    "&#xD800;",
    "\"",
    "'",
    "=",
    "${",
    "{",
    "}",
    "{title}",
    "{summary}",
    "[",
    "]",
    "[[",
    "]]",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{FEFF}",
    "\u{202E}",
    "💥",
    "é\u{301}",
    "Ω",
    "ـ",
    "\\",
    "\\u0000",
    "%",
    "%00",
    "%ff",
    "/",
    "//",
    "..",
    "../",
    "?",
    "#",
    "@",
    ":",
    "9999999999999999999999",
    "-1",
    "0",
    "1e308",
    "<div>",
    "<a href=",
    "<item>",
    "<entry>",
    "<rss version=\"2.0\">",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<script>",
    "<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "2024",
    "31.12.",
    "вчера в 10:14",
    "2 hours ago",
    "Feb 30",
    "T25:61:61Z",
    "+99:99",
    "жылғы",
];

/// A small, seeded mutator: it picks a seed input and changes it 1–8 times.
pub struct Mutator {
    rng: fastrand::Rng,
}

impl Mutator {
    pub fn new(seed: u64) -> Mutator {
        Mutator {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub fn input(&mut self, seeds: &[String]) -> String {
        let mut s = seeds[self.rng.usize(..seeds.len())].clone().into_bytes();
        for _ in 0..self.rng.usize(1..=8) {
            self.mutate(&mut s, seeds);
        }
        s.truncate(256 * 1024);
        String::from_utf8_lossy(&s).into_owned()
    }

    fn mutate(&mut self, s: &mut Vec<u8>, seeds: &[String]) {
        let at = |rng: &mut fastrand::Rng, s: &Vec<u8>| rng.usize(..=s.len());
        match self.rng.u8(..7) {
            0 if !s.is_empty() => {
                let i = self.rng.usize(..s.len());
                s[i] ^= 1 << self.rng.u8(..8);
            }
            1 => {
                let i = at(&mut self.rng, s);
                let tok = DICT[self.rng.usize(..DICT.len())].as_bytes();
                s.splice(i..i, tok.iter().copied());
            }
            2 if !s.is_empty() => {
                let i = self.rng.usize(..s.len());
                let n = self.rng.usize(..=(s.len() - i).min(64));
                s.drain(i..i + n);
            }
            3 if !s.is_empty() => {
                // A range repeated: deep nesting, long runs.
                let i = self.rng.usize(..s.len());
                let n = self.rng.usize(1..=(s.len() - i).min(32));
                let piece = s[i..i + n].to_vec();
                let times = self.rng.usize(1..200);
                let pos = at(&mut self.rng, s);
                let rep: Vec<u8> = piece.iter().copied().cycle().take(n * times).collect();
                s.splice(pos..pos, rep);
            }
            4 => {
                // Spliced with another seed.
                let other = seeds[self.rng.usize(..seeds.len())].as_bytes();
                let (i, j) = (at(&mut self.rng, s), self.rng.usize(..=other.len()));
                s.truncate(i);
                s.extend_from_slice(&other[j..]);
            }
            5 => {
                let i = at(&mut self.rng, s);
                s.insert(i, self.rng.u8(..));
            }
            _ => {
                let i = at(&mut self.rng, s);
                s.truncate(i);
            }
        }
    }
}

/// One thing to fuzz: its seeds and what to run on an input (it must not panic).
pub struct Target {
    pub name: &'static str,
    /// Panics of the fuzzed code, also from threads it runs on (the server's).
    pub panics: Arc<Panics>,
    pub seeds: Vec<String>,
    pub run: Box<dyn Fn(&str)>,
}

/// What a fuzz run found.
pub struct Found {
    pub cases: u64,
    pub crashes: Vec<(String, String)>,
}

/// The panics of one target's fuzzed code: counted, with the last one's message.
#[derive(Default)]
pub struct Panics {
    count: AtomicUsize,
    last: std::sync::Mutex<String>,
}

thread_local! {
    /// Set on threads running fuzzed code (the thread feeding inputs while `fuzz` runs, and the
    /// in-process server's threads): their panics are the target's findings, kept for the report
    /// instead of printed. Panics on any other thread (another test running beside the fuzzer in
    /// this binary) print as usual and are not counted: counting every panic in the process once
    /// failed this test on another test's panic, with no message.
    static FUZZED: std::cell::RefCell<Option<Arc<Panics>>> = const { std::cell::RefCell::new(None) };
}

/// Marks the current thread as running `target`'s fuzzed code (`None`: no longer).
pub fn fuzz_thread(panics: Option<Arc<Panics>>) {
    count_panics();
    FUZZED.with(|f| *f.borrow_mut() = panics);
}

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let usual = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let Some(panics) = FUZZED.with(|f| f.borrow().clone()) else {
                return usual(info);
            };
            panics.count.fetch_add(1, Ordering::SeqCst);
            *panics.last.lock().unwrap_or_else(|p| p.into_inner()) = info.to_string();
        }));
    });
}

/// Runs `cases` mutated inputs through `target`; at most 5 crashes are kept.
pub fn fuzz(target: &Target, cases: u64, seed: u64) -> Found {
    fuzz_thread(Some(target.panics.clone()));
    let mut m = Mutator::new(seed);
    let mut found = Found {
        cases: 0,
        crashes: Vec::new(),
    };
    for _ in 0..cases {
        let input = m.input(&target.seeds);
        let before = target.panics.count.load(Ordering::SeqCst);
        let result = catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
        found.cases += 1;
        if result.is_err() || target.panics.count.load(Ordering::SeqCst) != before {
            let why = target
                .panics
                .last
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            found.crashes.push((input, why));
            if found.crashes.len() >= 5 {
                break;
            }
        }
    }
    fuzz_thread(None);
    found
}

fn fixtures(dir: &str, ext: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    out.sort();
    out
}

fn base() -> Url {
    Url::parse("https://agency.example/index.php/en/breaking-news").unwrap()
}

/// Every target, ready to run (a temp dir and a server live as long as the returned values).
pub fn targets() -> Vec<Target> {
    vec![
        feed_importer(),
        html_extractor(),
        dates(),
        config_loader(),
        templates(),
        http_requests(),
    ]
}

fn feed_importer() -> Target {
    let mut seeds = fixtures("feeds", "xml");
    seeds.extend(fixtures("feeds", "json"));
    seeds.extend(fixtures("feeds", "rdf"));
    Target {
        name: "feed importer",
        panics: Arc::default(),
        seeds,
        run: Box::new(|input| {
            let cx = DateContext::zone(feedwright::zone::Tz::utc());
            let _ = feedwright::source::feed::read_feed(input, &base(), &cx);
        }),
    }
}

/// A settings file and a feed file in a temp dir, loaded; the dir stays as long as the process.
fn load(feed_toml: &str) -> Result<feedwright::config::Config, feedwright::config::ConfigErrors> {
    let dir = tempfile::tempdir().unwrap().keep();
    load_in(&dir, feed_toml)
}

fn load_in(
    dir: &Path,
    feed_toml: &str,
) -> Result<feedwright::config::Config, feedwright::config::ConfigErrors> {
    let settings = dir.join("feedwright.toml");
    std::fs::write(
        &settings,
        "state_dir = \"data\"\nfeeds_dir = \"feeds\"\n[http]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let feed = dir.join("news.toml");
    std::fs::write(&feed, feed_toml).unwrap();
    feedwright::config::validate::load_one_feed(&settings, &feed, |_| None)
}

fn html_extractor() -> Target {
    let spec = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html/k2-listing.toml"),
    )
    .unwrap()
    .replace("[[source]]", "title = \"auto\"\n[[source]]");
    let cfg = load(&format!(
        "{spec}\n[source.detail]\ntitle = \"auto\"\ndate = \"auto\"\ncontent = \"auto\"\n"
    ))
    .unwrap();
    let feedwright::config::SourceSpec::Scrape(scrape) = cfg.feeds[0].sources[0].clone() else {
        panic!("the K2 fixture is a scrape source");
    };
    let mut seeds = fixtures("html", "html");
    seeds.extend(fixtures("articles", "html"));
    seeds.extend(fixtures("discover", "html"));
    Target {
        name: "HTML extractor",
        panics: Arc::default(),
        seeds,
        run: Box::new(move |input| {
            let cx = DateContext::zone(feedwright::zone::Tz::utc());
            let _ = feedwright::source::extract::extract_listing(input, &base(), &scrape, &cx);
            if let Some(detail) = &scrape.detail {
                let _ = feedwright::source::extract::extract_detail(input, &base(), detail, &cx);
            }
            let _ = feedwright::extract::article::extract_article(input, &base(), &cx);
            // discover's reading of a listing: its candidates and the draft written from them.
            let html = scraper::Html::parse_document(input);
            let found = feedwright::discover::Discovery::of_page(
                base(),
                "fuzz".into(),
                feedwright::discover::propose(&html, &base()),
            );
            let _ = feedwright::discover::draft(&found);
        }),
    }
}

fn dates() -> Target {
    let seeds = [
        "Wednesday, 21 April 2021 10:14",
        "Среда, 21 Апреля 2021 10:14",
        "21.04.2021",
        "2024-03-03T10:00:00+05:00",
        "Wed, 21 Apr 2021 10:14:00 GMT",
        "2 hours ago",
        "вчера в 10:14",
        "2024 жылғы 21 сәуір",
        "3 soat oldin",
        "21 avril 2021",
        "21. April 2021",
        "21 de abril de 2021",
        "сегодня",
        "1 day ago",
        "12/31/2024 11:59 PM",
    ];
    Target {
        name: "date parser",
        panics: Arc::default(),
        seeds: seeds.iter().map(|s| s.to_string()).collect(),
        run: Box::new(|input| {
            let formats = vec!["%d.%m.%Y %H:%M".to_string(), "%Y %b %e".to_string()];
            let tz = feedwright::zone::Tz::utc();
            let cx = DateContext {
                tz,
                formats: &formats,
                now: chrono::Utc::now(),
            };
            let _ = parse_date(input, &cx);
        }),
    }
}

fn config_loader() -> Target {
    let dir = tempfile::tempdir().unwrap().keep();
    let mut seeds = fixtures("html", "toml");
    seeds.push("title = \"News\"\nschedule = \"*/30 * * * *\"\ntimezone = \"Asia/Almaty\"\n[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n[filter]\nexclude = [\"ad\"]\n".into());
    Target {
        name: "config loader",
        panics: Arc::default(),
        seeds,
        run: Box::new(move |input| {
            let _ = load_in(&dir, input);
        }),
    }
}

fn templates() -> Target {
    use feedwright::model::delivery::{Announced, FeedRef, Message};
    let seeds = [
        "{feed}: {title} {link}",
        "{summary}\n{date}",
        "{{title}} {",
        "}{feed}{",
        "*{title}* <{link}|x>",
    ];
    let kinds = [
        "json",
        "slack",
        "discord",
        "teams",
        "mattermost",
        "matrix",
        "telegram",
        "ntfy",
    ];
    let hooks: Vec<String> = kinds
        .iter()
        .map(|k| {
            format!(
                "[[webhook]]\nname = \"{k}\"\nkind = \"{k}\"\nurl = \"https://hook.test/{k}\"\n"
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap().keep();
    let settings = dir.join("feedwright.toml");
    std::fs::write(
        &settings,
        format!(
            "state_dir = \"data\"\nfeeds_dir = \"feeds\"\n{}",
            hooks.join("\n")
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    let cfg = feedwright::config::validate::load_with_env(&settings, |_| Some("x".into())).unwrap();
    Target {
        name: "webhook templates",
        panics: Arc::default(),
        seeds: seeds.iter().map(|s| s.to_string()).collect(),
        run: Box::new(move |input| {
            let feed = FeedRef {
                id: "news".into(),
                title: input.chars().take(200).collect(),
                link: "https://x.test/".into(),
            };
            let item = Announced {
                key: input.into(),
                title: input.into(),
                link: Some(format!("https://x.test/{input}")),
                published: chrono::Utc::now(),
                summary: Some(input.into()),
                author: Some(input.into()),
            };
            let _ = feedwright::model::template::placeholders(input);
            let _ = feedwright::model::template::fill(input, &feed, &item);
            let msg = Message {
                feed,
                items: vec![item.clone(), item],
                alert: Some(input.into()),
            };
            for hook in &cfg.webhooks {
                let mut hook = hook.clone();
                hook.template = Some(input.into());
                let _ = feedwright::notify::render(&hook, &msg, "id", chrono::Utc::now());
            }
        }),
    }
}

/// The daemon's HTTP server (real routes over a real store), fed raw requests on loopback.
fn http_requests() -> Target {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::create_dir_all(dir.join("feeds")).unwrap();
    let cfg = load_in(
        &dir,
        "[[source]]\nkind = \"feed\"\nurl = \"https://x.test/rss\"\n",
    )
    .unwrap();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let panics = Arc::<Panics>::default();
    let server_panics = panics.clone();
    std::thread::spawn(move || {
        fuzz_thread(Some(server_panics.clone()));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .on_thread_start(move || fuzz_thread(Some(server_panics.clone())))
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let store = feedwright::store::Store::open(&cfg.settings).unwrap();
            let cache = feedwright::serve::Cache::default();
            feedwright::serve::load_published(&cache, &cfg, &store);
            let state = feedwright::serve::AppState {
                cache,
                store,
                heartbeat: Arc::default(),
                config: Arc::new(std::sync::RwLock::new(Arc::new(cfg))),
                metrics: Arc::default(),
                control: None,
            };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let _ = feedwright::serve::serve(listener, state, std::future::pending()).await;
        });
    });
    let addr = addr_rx.recv().unwrap();
    let seeds = [
        "GET /feeds/news.rss HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nIf-None-Match: \"abc\"\r\n\r\n",
        "GET /feeds/news.atom HTTP/1.1\r\nHost: x\r\nSec-Fetch-Dest: document\r\nAccept: text/html\r\n\r\n",
        "GET /status/news HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n",
        "POST /admin/run-now/news HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Length: 11\r\n\r\ntoken=abcde",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /feeds.opml HTTP/1.0\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    Target {
        name: "HTTP requests",
        panics,
        seeds: seeds.iter().map(|s| s.to_string()).collect(),
        run: Box::new(move |input| {
            let Ok(mut conn) = std::net::TcpStream::connect(addr) else {
                panic!("the server stopped accepting");
            };
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let _ = conn.write_all(input.as_bytes());
            let _ = conn.shutdown(std::net::Shutdown::Write);
            let mut answer = Vec::new();
            let _ = conn.read_to_end(&mut answer);
        }),
    }
}

#[test]
fn every_target_survives_a_bounded_run_of_mutated_inputs() {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    for target in targets() {
        let found = fuzz(&target, cases, 0x5eed);
        assert!(
            found.crashes.is_empty(),
            "{}: {} crash(es) in {} cases; first: {}\ninput: {:?}",
            target.name,
            found.crashes.len(),
            found.cases,
            found.crashes[0].1,
            found.crashes[0].0.chars().take(2000).collect::<String>()
        );
        assert_eq!(found.cases, cases);
    }
}

#[test]
fn the_mutator_is_seeded_and_changes_its_inputs() {
    let seeds = vec!["<rss><item><title>x</title></item></rss>".to_string()];
    let run = |seed| {
        let mut m = Mutator::new(seed);
        (0..50).map(|_| m.input(&seeds)).collect::<Vec<_>>()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a, b, "the same seed, the same inputs");
    assert_ne!(a, run(8));
    assert!(a.iter().filter(|s| **s != seeds[0]).count() > 40);
}

#[test]
fn a_panic_on_another_tests_thread_while_fuzzing_is_not_counted_as_a_crash() {
    // Another test of this binary panicking (on its own thread) while the fuzzer runs.
    let target = Target {
        name: "quiet",
        panics: Arc::default(),
        seeds: vec!["x".into()],
        run: Box::new(|_| {
            let other = std::thread::spawn(|| panic!("another test's failure"));
            assert!(other.join().is_err());
        }),
    };
    let found = fuzz(&target, 3, 1);
    assert_eq!(found.cases, 3);
    assert!(found.crashes.is_empty(), "{:?}", found.crashes);
}

#[test]
fn a_panic_in_fuzzed_code_is_a_crash_with_its_message() {
    let target = Target {
        name: "panicky",
        panics: Arc::default(),
        seeds: vec!["x".into()],
        run: Box::new(|_| panic!("fuzzed code broke")),
    };
    let found = fuzz(&target, 2, 1);
    assert_eq!(found.crashes.len(), 2);
    assert!(
        found.crashes[0].1.contains("fuzzed code broke"),
        "{:?}",
        found.crashes
    );
}

/// Crashes the harness found, each kept as the input that caused it.
#[cfg(test)]
mod regressions {
    #[test]
    fn a_second_xml_declaration_naming_an_encoding_inside_a_feed_is_read_not_a_panic() {
        // quick-xml 0.42 asserted ("set_encoding() called after prefix buffer was drained").
        let cx = super::DateContext::zone(feedwright::zone::Tz::utc());
        let found = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>Items in an Atom feed</title>\n  <item?\n    <title>An RSS item where Atom wantstem>\n <?xml version=\"1.0\" encoding=\"windows-1251\"?> <item>\n    <title>Another</title>\n    <link>https://mixed.test/2</link>\n  </item>\n</feed>\n";
        let _ = feedwright::source::feed::read_feed(found, &super::base(), &cx);
        let rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
            <item><title>One</title><link>https://x.test/1</link></item>\
            <?xml version=\"1.0\" encoding=\"windows-1251\"?>\
            <item><title>Two</title><link>https://x.test/2</link></item></channel></rss>";
        let read = feedwright::source::feed::read_feed(rss, &super::base(), &cx).unwrap();
        let titles: Vec<&str> = read.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["One", "Two"]);
    }

    #[test]
    fn a_feed_starting_with_a_byte_order_mark_and_an_odd_rss_version_is_read_not_a_panic() {
        // The dialect rewriter sliced the text at quick-xml's positions, which skip the BOM.
        let cx = super::DateContext::zone(feedwright::zone::Tz::utc());
        let found = "<?xml version=\"1.0\"?>\u{feff}\n<rss version=\"0.91\u{fffd}\">\n  <channel>\n    <title>Old school</title><item><title>One</title><link>https://x.test/1</link></item></channel></rss>";
        let _ = feedwright::source::feed::read_feed(found, &super::base(), &cx);
        let bom = "\u{feff}<rss version=\"0.9x\"><channel><title>t</title><item><title>One</title><link>https://x.test/1</link></item></channel></rss>";
        let read = feedwright::source::feed::read_feed(bom, &super::base(), &cx).unwrap();
        assert_eq!(read.items.len(), 1);
    }
}
