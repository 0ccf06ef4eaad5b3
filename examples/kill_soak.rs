//! The kill soak: `kill -9` of the running daemon at random moments, many times, while its feed
//! gains items and its webhooks are slow or failing; then one last start, and a check that nothing
//! was lost or doubled:
//! - every story is stored once (`items --json`: one item per story, keys unique);
//! - every story reached every webhook (duplicates only with the same `webhook-id`);
//! - every published file (RSS, Atom, JSON Feed) is well-formed and lists every story.
//!
//! The counts are printed; the exit code is 1 when something was lost. Not part of CI (it takes
//! minutes):
//! ```sh
//! cargo build --release && cargo run --release --example kill_soak            # 1,000 kills
//! SOAK_KILLS=50 cargo run --release --example kill_soak
//! ```
//! `FEEDWRIGHT_BIN` names the binary to test (default `target/release/feedwright`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

/// What the fixture server holds and saw.
#[derive(Default)]
struct Fixture {
    stories: usize,
    /// (webhook path, webhook-id or "", first title) of every delivery that answered 2xx.
    received: Vec<(String, String, String)>,
    requests: usize,
}

type Shared = Arc<Mutex<Fixture>>;

fn rss(stories: usize, base: &str) -> String {
    let items: String = (1..=stories)
        .rev()
        .map(|i| {
            format!(
                "<item><title>Story {i}</title><link>{base}/s/{i}</link><guid>urn:story:{i}</guid>\
                 <pubDate>{}</pubDate><description>Text of story {i}</description></item>",
                chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 60, 0)
                    .unwrap()
                    .to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Soak</title><link>{base}/</link>\
         <description>d</description>{items}</channel></rss>"
    )
}

/// The first story title in a JSON (Standard Webhooks) or Slack body.
fn title_of(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let from_json = v["data"]["items"][0]["title"].as_str().map(str::to_string);
    from_json.unwrap_or_else(|| {
        let text = v["text"].as_str().unwrap_or_default();
        text.find("Story ")
            .map(|i| {
                text[i..]
                    .chars()
                    .take_while(|c| *c == ' ' || c.is_alphanumeric())
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    })
}

/// Serves `/rss`, a slow JSON receiver `/slow` and a Slack receiver `/flaky` that fails every
/// third request; returns the base URL.
fn serve(shared: Shared) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let (s1, s2, s3) = (shared.clone(), shared.clone(), shared);
            let app = axum::Router::new()
                .route(
                    "/rss",
                    get(move || {
                        let n = s1.lock().unwrap().stories;
                        let body = rss(n, &b);
                        async move { ([("content-type", "application/rss+xml")], body) }
                    }),
                )
                .route(
                    "/slow",
                    post(move |h: HeaderMap, body: Bytes| async move {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        record(&s2, "/slow", &h, &body);
                        StatusCode::OK
                    }),
                )
                .route(
                    "/flaky",
                    post(move |h: HeaderMap, body: Bytes| async move {
                        let n = {
                            let mut f = s3.lock().unwrap();
                            f.requests += 1;
                            f.requests
                        };
                        if n % 3 == 0 {
                            return StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        record(&s3, "/flaky", &h, &body);
                        StatusCode::OK
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

fn record(shared: &Shared, path: &str, h: &HeaderMap, body: &[u8]) {
    let id = h
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    shared
        .lock()
        .unwrap()
        .received
        .push((path.to_string(), id, title_of(body)));
}

fn main() {
    let kills: usize = std::env::var("SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let bin = std::env::var("FEEDWRIGHT_BIN").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/feedwright"),
        PathBuf::from,
    );
    assert!(
        bin.exists(),
        "no binary at {} (cargo build --release)",
        bin.display()
    );
    let shared: Shared = Arc::default();
    shared.lock().unwrap().stories = 1;
    let base = serve(shared.clone());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("feeds")).unwrap();
    std::fs::write(
        root.join("feedwright.toml"),
        format!(
            "state_dir = \"data\"\nfeeds_dir = \"feeds\"\n[http]\nlisten = \"\"\n[fetch]\nper_host_delay = \"0s\"\nrobots_txt = false\n\
             [[webhook]]\nname = \"slow\"\nkind = \"json\"\nurl = \"{base}/slow\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nbatch_over = 1000\n\
             [[webhook]]\nname = \"flaky\"\nkind = \"slack\"\nurl = \"{base}/flaky\"\nbatch_over = 1000\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("feeds/soak.toml"),
        format!("schedule = \"* * * * * *\"\njitter = \"0s\"\nnotify_on_first_run = true\nmax_items = 5000\n[[source]]\nkind = \"feed\"\nurl = \"{base}/rss\"\n"),
    )
    .unwrap();
    let start = Instant::now();
    let mut rng = fastrand::Rng::with_seed(kills as u64);
    for k in 0..kills {
        if k % 3 == 0 {
            shared.lock().unwrap().stories += 1;
        }
        let mut child = daemon(&bin, root);
        std::thread::sleep(Duration::from_millis(rng.u64(30..600)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if (k + 1) % 100 == 0 {
            println!("{} kills, {:.0} s", k + 1, start.elapsed().as_secs_f64());
        }
    }
    let stories = shared.lock().unwrap().stories;
    // One last start delivers whatever is pending.
    let mut child = daemon(&bin, root);
    let want: HashSet<String> = (1..=stories).map(|i| format!("Story {i}")).collect();
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let got = delivered(&shared);
        if ["/slow", "/flaky"]
            .iter()
            .all(|p| got.get(*p).is_some_and(|s| *s == want))
        {
            break;
        }
        if Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    std::process::exit(report(kills, stories, &want, &shared, &bin, root, start));
}

fn daemon(bin: &Path, root: &Path) -> std::process::Child {
    Command::new(bin)
        .args([
            "--config",
            root.join("feedwright.toml").to_str().unwrap(),
            "run",
        ])
        .env("RUST_LOG", "warn")
        .env_remove("XDG_RUNTIME_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The distinct story titles each webhook path received.
fn delivered(shared: &Shared) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for (path, _, title) in &shared.lock().unwrap().received {
        out.entry(path.clone()).or_default().insert(title.clone());
    }
    out
}

/// Prints the counts; 0 when nothing was lost or doubled, else 1.
fn report(
    kills: usize,
    stories: usize,
    want: &HashSet<String>,
    shared: &Shared,
    bin: &Path,
    root: &Path,
    start: Instant,
) -> i32 {
    let items = Command::new(bin)
        .args(["--config", root.join("feedwright.toml").to_str().unwrap()])
        .args(["items", "soak", "--limit", "100000", "--json"])
        .output()
        .unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&items.stdout).unwrap_or_default();
    let keys: HashSet<&str> = items.iter().filter_map(|i| i["key"].as_str()).collect();
    let titles: HashSet<String> = items
        .iter()
        .filter_map(|i| i["title"].as_str().map(str::to_string))
        .collect();
    let received = shared.lock().unwrap().received.clone();
    let mut per_hook: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut ids: HashMap<(String, String), String> = HashMap::new();
    for (path, id, title) in &received {
        let e = per_hook.entry(path.clone()).or_default();
        e.0 += 1;
        match ids.get(&(path.clone(), title.clone())) {
            None => {
                ids.insert((path.clone(), title.clone()), id.clone());
            }
            // A story delivered again: with the same id (a receiver can deduplicate) or not.
            Some(first) if first == id => e.1 += 1,
            Some(_) => e.2 += 1,
        }
    }
    let got = delivered(shared);
    let public = root.join("data/public");
    let rss_ok = std::fs::read(public.join("soak.rss"))
        .ok()
        .and_then(|b| rss::Channel::read_from(&b[..]).ok())
        .map(|c| c.items().len());
    let atom_ok = std::fs::read(public.join("soak.atom"))
        .ok()
        .and_then(|b| atom_syndication::Feed::read_from(&b[..]).ok())
        .map(|f| f.entries().len());
    let json_ok = std::fs::read(public.join("soak.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["items"].as_array().map(Vec::len));
    println!(
        "kill soak: {kills} kills in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    println!(
        "stories on the site: {stories}; stored items: {} (distinct keys {}, distinct titles {})",
        items.len(),
        keys.len(),
        titles.len()
    );
    let mut lost = want.difference(&titles).count();
    println!("stories not stored: {lost}");
    for (path, (n, same, other)) in &per_hook {
        let missing = want
            .difference(got.get(path).unwrap_or(&HashSet::new()))
            .count();
        lost += missing + other;
        let note = if path == "/flaky" {
            " (Slack sends no id: its duplicates are all \"same\")"
        } else {
            ""
        };
        println!(
            "webhook {path}: {n} deliveries; duplicates with the same id {same}, with another id {other}{note}; stories missing {missing}"
        );
    }
    println!(
        "published files: rss {rss_ok:?} items, atom {atom_ok:?} entries, json {json_ok:?} items (of {stories})"
    );
    for n in [rss_ok, atom_ok, json_ok] {
        if n != Some(stories) {
            lost += 1;
        }
    }
    println!("lost or doubled: {lost}");
    i32::from(lost > 0)
}
