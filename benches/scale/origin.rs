//! The origin the scale bench polls: 1,000 feeds on one HTTP server on 127.0.0.1 (port 0), half RSS
//! 2.0 files, half HTML listing pages for `kind = "scrape"`, each with 300 items. Every answer has
//! a strong ETag from the page's version, and `If-None-Match` with it gets a 304, so an unchanged
//! feed costs what it costs in the field. A feed "advances" by `k` items: `k` new ones on top, the
//! oldest `k` gone. Each request is recorded (feed, wall-clock time, 200 or 304) so a run's
//! duration can be read against the daemon's log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderValue, Request, Response, StatusCode};

/// Items in every feed and on every listing page.
pub const ITEMS: usize = 300;

/// One request as the origin answered it.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub feed: usize,
    pub at: SystemTime,
    pub not_modified: bool,
}

struct Page {
    feed: usize,
    content_type: &'static str,
    body: Bytes,
    etag: HeaderValue,
}

#[derive(Default)]
struct Shared {
    pages: RwLock<HashMap<String, Arc<Page>>>,
    hits: Mutex<Vec<Hit>>,
}

/// The running origin; it lives until the bench process ends.
pub struct Origin {
    pub base: String,
    feeds: usize,
    /// Each feed's newest item number; its items are `top - ITEMS + 1 ..= top`.
    tops: Mutex<Vec<u64>>,
    shared: Arc<Shared>,
}

/// Whether feed `i` is an RSS file (even) or a scraped listing page (odd).
pub fn is_rss(i: usize) -> bool {
    i.is_multiple_of(2)
}

/// Feed `i`'s id, which is also its file name in `feeds/`.
pub fn feed_id(i: usize) -> String {
    let kind = if is_rss(i) { "rss" } else { "html" };
    format!("{kind}-{i:04}")
}

fn path(i: usize) -> String {
    if is_rss(i) {
        format!("/rss/{i}.xml")
    } else {
        format!("/html/{i}/")
    }
}

impl Origin {
    /// Starts serving `feeds` feeds of `ITEMS` items each.
    pub fn start(feeds: usize) -> Origin {
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let addr = crate::support::server::serve_app(move || {
            axum::Router::new().fallback(answer).with_state(state)
        });
        let origin = Origin {
            base: format!("http://{addr}"),
            feeds,
            tops: Mutex::new(vec![ITEMS as u64; feeds]),
            shared,
        };
        for i in 0..feeds {
            origin.publish(i);
        }
        origin
    }

    /// The feed file for feed `i`, polling this origin.
    pub fn feed_file(&self, i: usize) -> String {
        let url = format!("{}{}", self.base, path(i));
        let title = format!("title = \"Bench feed {i}\"\n");
        if is_rss(i) {
            format!("{title}\n[[source]]\nkind = \"feed\"\nurl = \"{url}\"\n")
        } else {
            format!(
                "{title}\n[[source]]\nkind = \"scrape\"\nurl = \"{url}\"\n\
                 items = \"article.entry\"\nlink = \"h2 a @href\"\ntitle = \"h2 a\"\n\
                 date = \"time @datetime\"\nsummary = \"div.intro\"\n"
            )
        }
    }

    /// Feed `i` gets `k` new items (its oldest `k` leave the page).
    pub fn advance(&self, i: usize, k: u64) {
        self.tops.lock().unwrap()[i] += k;
        self.publish(i);
    }

    fn publish(&self, i: usize) {
        let top = self.tops.lock().unwrap()[i];
        let (content_type, body) = if is_rss(i) {
            ("application/rss+xml; charset=utf-8", rss(i, top))
        } else {
            ("text/html; charset=utf-8", html(i, top))
        };
        let page = Page {
            feed: i,
            content_type,
            body: Bytes::from(body),
            etag: HeaderValue::from_str(&format!("\"{i}-{top}\"")).unwrap(),
        };
        let mut pages = self.shared.pages.write().unwrap();
        pages.insert(path(i), Arc::new(page));
    }

    /// Bytes of every page as served now: (RSS files, HTML pages).
    pub fn sizes(&self) -> (usize, usize) {
        let pages = self.shared.pages.read().unwrap();
        let of = |rss: bool| -> usize {
            pages
                .values()
                .filter(|p| is_rss(p.feed) == rss)
                .map(|p| p.body.len())
                .sum()
        };
        (of(true), of(false))
    }

    pub fn feeds(&self) -> usize {
        self.feeds
    }

    /// Every request answered so far; the record is emptied.
    pub fn take_hits(&self) -> Vec<Hit> {
        std::mem::take(&mut *self.shared.hits.lock().unwrap())
    }
}

async fn answer(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response<Body> {
    let page = shared.pages.read().unwrap().get(req.uri().path()).cloned();
    let Some(page) = page else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    let not_modified = req.headers().get(IF_NONE_MATCH) == Some(&page.etag);
    shared.hits.lock().unwrap().push(Hit {
        feed: page.feed,
        at: SystemTime::now(),
        not_modified,
    });
    let answer = Response::builder().header(ETAG, page.etag.clone());
    if not_modified {
        answer
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap()
    } else {
        answer
            .header(CONTENT_TYPE, page.content_type)
            .body(Body::from(page.body.clone()))
            .unwrap()
    }
}

/// A small deterministic generator (xorshift64*), so every run serves the same text.
struct Words(u64);

/// The words of the generated titles and summaries.
const VOCABULARY: &str = "the council met on tuesday to review a plan for new housing near river district \
    where residents asked about traffic and school places mayor said budget would cover \
    repairs of bridge before winter while opposition called it late report shows rents \
    rose by four percent in year local firms hired more staff than expected police \
    closed road after storm damaged power lines across northern villages hospital opened \
    ward children with funding from regional government festival drew thousands visitors \
    despite rain football club signed young striker season ticket prices will stay same \
    university researchers published study water quality lake farmers warned that dry \
    summer cut harvest railway line reopens next month engineers finished work station \
    library extends hours during exams court heard case against former director company";

static WORDS: std::sync::LazyLock<Vec<&str>> =
    std::sync::LazyLock::new(|| VOCABULARY.split_whitespace().collect());

impl Words {
    fn new(feed: usize, item: u64) -> Words {
        Words(((feed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((item + 1) << 17)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` words, the first capitalised.
    fn sentence(&mut self, n: usize) -> String {
        let mut out = String::new();
        for k in 0..n {
            let w = WORDS[(self.next() % WORDS.len() as u64) as usize];
            if k == 0 {
                out.push_str(&w[..1].to_uppercase());
                out.push_str(&w[1..]);
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out
    }
}

/// An item's title (6-10 words) and summary (two sentences, about 300 characters).
fn text(feed: usize, item: u64) -> (String, String) {
    let mut w = Words::new(feed, item);
    let title_len = 6 + (w.next() % 5) as usize;
    let title = w.sentence(title_len);
    let first = 18 + (w.next() % 8) as usize;
    let second = 18 + (w.next() % 8) as usize;
    let summary = format!(
        "<p>{}, {}. {}.</p>",
        w.sentence(first / 2),
        w.sentence(first / 2).to_lowercase(),
        w.sentence(second)
    );
    (title, summary)
}

/// Item `n`'s publication time: one every 10 minutes from 2026-01-01.
fn published(n: u64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_767_225_600 + n as i64 * 600, 0).unwrap()
}

fn rss(i: usize, top: u64) -> Vec<u8> {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\n\
         <title>Bench feed {i}</title><link>https://news{i}.example/</link>\n\
         <description>Local news, feed {i}</description>\n"
    );
    for n in (top + 1 - ITEMS as u64..=top).rev() {
        let (title, summary) = text(i, n);
        out.push_str(&format!(
            "<item><title>{title}</title><link>https://news{i}.example/story/{n}</link>\
             <guid isPermaLink=\"false\">news{i}-{n}</guid><pubDate>{}</pubDate>\
             <description><![CDATA[{summary}]]></description></item>\n",
            published(n).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>\n");
    out.into_bytes()
}

fn html(i: usize, top: u64) -> Vec<u8> {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>News {i}</title>\
         </head><body>\n<header><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav>\
         </header>\n<main><h1>Latest news</h1>\n"
    );
    for n in (top + 1 - ITEMS as u64..=top).rev() {
        let (title, summary) = text(i, n);
        out.push_str(&format!(
            "<article class=\"entry\"><h2><a href=\"/html/{i}/story/{n}\">{title}</a></h2>\n\
             <time datetime=\"{}\">{}</time>\n<div class=\"intro\">{summary}</div>\n\
             <a class=\"more\" href=\"/html/{i}/story/{n}\">Read more</a></article>\n",
            published(n).to_rfc3339(),
            published(n).format("%d %B %Y %H:%M")
        ));
    }
    out.push_str("</main><footer>Bench site</footer></body></html>\n");
    out.into_bytes()
}
