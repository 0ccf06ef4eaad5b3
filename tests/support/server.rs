//! A real HTTP server on 127.0.0.1 (port 0) serving pages the test puts in it, and recording every
//! request path so tests can count fetches.

use std::collections::HashMap;
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
}

/// A fixture site; it lives until the test process ends.
#[derive(Clone)]
pub struct Site {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Site {
    pub fn start() -> Site {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |req: Request<Body>| {
                    let state = shared.clone();
                    async move {
                        let delay = {
                            let st = state.lock().unwrap();
                            st.delays
                                .get(&path_and_query(&req))
                                .copied()
                                .or(st.delay_all)
                        };
                        if let Some(d) = delay {
                            tokio::time::sleep(d).await;
                        }
                        let (parts, body) = req.into_parts();
                        if parts.method == axum::http::Method::POST {
                            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                            let path = parts
                                .uri
                                .path_and_query()
                                .map_or("/".to_string(), |p| p.to_string());
                            let text = String::from_utf8_lossy(&bytes).into_owned();
                            state.lock().unwrap().posts.push((path, text));
                        }
                        answer(&state, &Request::from_parts(parts, Body::empty()))
                    }
                });
                axum::serve(listener, app).await.unwrap();
            });
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
    st.hits.push((key, resp.status().as_u16()));
    resp
}
