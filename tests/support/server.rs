//! A real HTTP server on 127.0.0.1 (port 0) serving pages the test puts in it, and recording every
//! request path so tests can count fetches.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};

#[derive(Default)]
struct State {
    pages: HashMap<String, (String, Vec<u8>)>,
    delays: HashMap<String, Duration>,
    delay_all: Option<Duration>,
    hits: Vec<(String, u16)>,
    posts: Vec<(String, String)>,
    /// When each request arrived, in order.
    arrivals: Vec<(String, std::time::Instant)>,
    in_flight: usize,
    max_in_flight: usize,
    /// Extra response headers by path.
    extra_headers: HashMap<String, Vec<(String, String)>>,
    /// Paths that answer with a body that never ends.
    endless: std::collections::HashSet<String>,
    /// Requests other than GET and HEAD, whole.
    received: Vec<Received>,
    /// Answers to give, in order, before the normal one: status and headers.
    scripts: HashMap<String, std::collections::VecDeque<Answer>>,
}

/// A scripted answer: status and headers.
type Answer = (u16, Vec<(String, String)>);

/// A request other than GET and HEAD, as the site received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: std::time::Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A fixture site; it lives until the test process ends.
#[derive(Clone)]
pub struct Site {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

/// Serves the router `app` makes on a free port of 127.0.0.1, from a thread of its own with its
/// own runtime (so it answers however busy the test is); returns the address.
pub fn serve_app(app: impl FnOnce() -> axum::Router + Send + 'static) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app()).await.unwrap();
        });
    });
    addr
}

impl Site {
    pub fn start() -> Site {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let addr = serve_app(move || {
            axum::Router::new().fallback(move |req: Request<Body>| {
                let state = shared.clone();
                async move {
                    let key = path_and_query(&req);
                    let (delay, endless) = {
                        let mut st = state.lock().unwrap();
                        st.arrivals.push((key.clone(), std::time::Instant::now()));
                        st.in_flight += 1;
                        st.max_in_flight = st.max_in_flight.max(st.in_flight);
                        let delay = st.delays.get(&key).copied().or(st.delay_all);
                        (delay, st.endless.contains(&key))
                    };
                    if let Some(d) = delay {
                        tokio::time::sleep(d).await;
                    }
                    state.lock().unwrap().in_flight -= 1;
                    if endless {
                        state.lock().unwrap().hits.push((key, 200));
                        return endless_body();
                    }
                    let (parts, body) = req.into_parts();
                    let method = parts.method.clone();
                    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
                        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                        let path = parts
                            .uri
                            .path_and_query()
                            .map_or("/".to_string(), |p| p.to_string());
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        let headers = parts
                            .headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        let mut st = state.lock().unwrap();
                        if method == axum::http::Method::POST {
                            st.posts.push((path.clone(), text));
                        }
                        st.received.push(Received {
                            method: method.to_string(),
                            path: path.clone(),
                            headers,
                            body: bytes.to_vec(),
                            at: std::time::Instant::now(),
                        });
                        let scripted = st.scripts.get_mut(&path).and_then(|q| q.pop_front());
                        if let Some((status, headers)) = scripted {
                            st.hits.push((path, status));
                            let mut b = Response::builder().status(status);
                            for (k, v) in headers {
                                b = b.header(k, v);
                            }
                            return b.body(Body::empty()).unwrap();
                        }
                    }
                    answer(&state, &Request::from_parts(parts, Body::empty()))
                }
            })
        });
        Site { addr, state }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Serves `body` at `path_and_query` as HTML.
    pub fn put_html(&self, path_and_query: &str, body: &str) {
        self.state.lock().unwrap().pages.insert(
            path_and_query.to_string(),
            ("text/html; charset=utf-8".into(), body.as_bytes().to_vec()),
        );
    }

    /// Serves raw bytes with this content type.
    pub fn put_bytes(&self, path_and_query: &str, content_type: &str, body: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .pages
            .insert(path_and_query.to_string(), (content_type.into(), body));
    }

    /// Answers `path_and_query` with a 302 to `location`.
    pub fn put_redirect(&self, path_and_query: &str, location: &str) {
        self.put_bytes(path_and_query, &format!("redirect:{location}"), Vec::new());
    }

    /// Stops serving a page (it answers 404).
    pub fn remove(&self, path_and_query: &str) {
        self.state.lock().unwrap().pages.remove(path_and_query);
    }

    /// Forgets the requests seen so far.
    pub fn clear_hits(&self) {
        self.state.lock().unwrap().hits.clear();
    }

    /// How many requests asked for this path and query.
    pub fn count(&self, path_and_query: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .iter()
            .filter(|(p, _)| p == path_and_query)
            .count()
    }

    /// Makes every answer wait `delay` first (a distant site).
    pub fn set_delay_all(&self, delay: Duration) {
        self.state.lock().unwrap().delay_all = Some(delay);
    }

    /// Makes every answer at `path_and_query` wait `delay` first.
    pub fn set_delay(&self, path_and_query: &str, delay: Duration) {
        self.state
            .lock()
            .unwrap()
            .delays
            .insert(path_and_query.to_string(), delay);
    }

    /// Adds headers to every answer at `path_and_query` (e.g. `Content-Encoding`, `Retry-After`).
    pub fn set_headers(&self, path_and_query: &str, headers: &[(&str, &str)]) {
        self.state.lock().unwrap().extra_headers.insert(
            path_and_query.to_string(),
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }

    /// Makes `path_and_query` answer 200 with a body that never ends.
    pub fn put_endless(&self, path_and_query: &str) {
        self.state
            .lock()
            .unwrap()
            .endless
            .insert(path_and_query.to_string());
    }

    /// The most requests that were being answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }

    /// When each request arrived, in order: path and query, and the instant.
    pub fn arrivals(&self) -> Vec<(String, std::time::Instant)> {
        self.state.lock().unwrap().arrivals.clone()
    }

    /// Requests other than GET and HEAD seen so far, whole.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Makes the next requests (other than GET) to `path` get these answers, in order; later ones
    /// get the normal answer.
    pub fn script(&self, path: &str, answers: &[(u16, &[(&str, &str)])]) {
        let q = answers
            .iter()
            .map(|(s, h)| {
                (
                    *s,
                    h.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                )
            })
            .collect();
        self.state
            .lock()
            .unwrap()
            .scripts
            .insert(path.to_string(), q);
    }

    /// POST requests seen so far: path and query, and the body.
    pub fn posts(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().posts.clone()
    }

    /// Requests seen so far: path and query, and the status answered.
    pub fn hits(&self) -> Vec<(String, u16)> {
        self.state.lock().unwrap().hits.clone()
    }
}

fn path_and_query(req: &Request<Body>) -> String {
    req.uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string())
}

fn answer(state: &Mutex<State>, req: &Request<Body>) -> Response<Body> {
    let key = path_and_query(req);
    let mut st = state.lock().unwrap();
    let resp = match st.pages.get(&key) {
        Some((ctype, body)) => {
            // A strong ETag from the bytes, so conditional GETs can be answered with 304.
            let etag = format!(
                "\"{:x}-{}\"",
                body.iter()
                    .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b))),
                body.len()
            );
            let matches = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .is_some_and(|v| v.as_bytes() == etag.as_bytes());
            let builder = Response::builder().header(header::ETAG, &etag);
            if let Some(to) = ctype.strip_prefix("redirect:") {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, to)
                    .body(Body::empty())
                    .unwrap()
            } else if matches {
                builder
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .unwrap()
            } else {
                builder
                    .header(header::CONTENT_TYPE, ctype)
                    .body(Body::from(body.clone()))
                    .unwrap()
            }
        }
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap(),
    };
    let mut resp = resp;
    if let Some(extra) = st.extra_headers.get(&key) {
        for (k, v) in extra {
            resp.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
        }
        if extra
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-status") && v == "429")
        {
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        }
    }
    st.hits.push((key, resp.status().as_u16()));
    resp
}

/// 1 KiB chunks, forever, slowly enough not to flood the test.
fn endless_body() -> Response<Body> {
    let stream = futures_stream();
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html")
        .body(Body::from_stream(stream))
        .unwrap()
}

fn futures_stream()
-> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    struct Endless(Option<std::pin::Pin<Box<tokio::time::Sleep>>>);
    impl futures_core::Stream for Endless {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            let sleep = self
                .0
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(20))));
            match sleep.as_mut().poll(cx) {
                std::task::Poll::Pending => std::task::Poll::Pending,
                std::task::Poll::Ready(()) => {
                    self.0 = None;
                    std::task::Poll::Ready(Some(Ok(axum::body::Bytes::from(vec![b'x'; 1024]))))
                }
            }
        }
    }
    Endless(None)
}
