//! A real HTTP server on 127.0.0.1 (port 0) serving pages the test puts in it, and recording every
//! request path so tests can count fetches.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};

#[derive(Default)]
struct State {
    pages: HashMap<String, (String, Vec<u8>)>,
    hits: Vec<String>,
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
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |req: Request<Body>| {
                    let state = shared.clone();
                    async move { answer(&state, &req) }
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
        self.state.lock().unwrap().pages.insert(path_and_query.to_string(), ("text/html; charset=utf-8".into(), body.as_bytes().to_vec()));
    }

    /// Requests seen so far (path and query).
    pub fn hits(&self) -> Vec<String> {
        self.state.lock().unwrap().hits.clone()
    }
}

fn answer(state: &Mutex<State>, req: &Request<Body>) -> Response<Body> {
    let key = req.uri().path_and_query().map_or("/".to_string(), |p| p.to_string());
    let mut st = state.lock().unwrap();
    st.hits.push(key.clone());
    match st.pages.get(&key) {
        Some((ctype, body)) => Response::builder().header(header::CONTENT_TYPE, ctype).body(Body::from(body.clone())).unwrap(),
        None => Response::builder().status(StatusCode::NOT_FOUND).body(Body::from("not found")).unwrap(),
    }
}
