//! The HTTP server's own accept loop: hyper's HTTP/1 connections serving the axum router (with
//! `ConnectInfo<SocketAddr>` for the handlers), under `[http]`'s limits, so that slow or idle
//! clients cannot starve it (issue 19: 1,100 slow connections used to stop `/healthz` for 40 s):
//!
//! - at most `max_connections` are served at once; a connection beyond gets a short
//!   `503 Service Unavailable` with `Retry-After` and is closed at once (never queued), logged
//!   once when shedding starts and once when it stops;
//! - a request's head must arrive within `header_timeout`, counted from the connection's start
//!   or the end of the previous response (hyper's header-read timer), so a slow-loris that holds
//!   every slot has them freed, and an idle kept-alive connection is closed too;
//! - a connection on which no byte moves either way for `idle_timeout` (a client that stops
//!   reading a response) is closed; time a handler is at work does not count;
//! - the cap (default 512, at most 4,096) stays under the open-file limit (the unit's
//!   `LimitNOFILE=8192`), so `accept()` itself does not run out of descriptors.
//!
//! On shutdown it stops accepting, lets each connection finish the request in flight, and
//! returns when the last one has closed.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tower_service::Service;
use tracing::{debug, info, warn};

use crate::config::HttpLimits;
use crate::metrics::Metrics;

/// What a shed connection is told.
pub const SHED_BODY: &str = "feedwright: too many connections; try again in a few seconds\n";

/// Seconds a shed client is asked to wait (`Retry-After`).
const RETRY_AFTER: u32 = 5;

/// Shed connections answered at once; beyond, a new one is closed without an answer. With the
/// default cap, 512 + 256 descriptors stay under even the default limit of 1,024.
const MAX_ANSWERING: usize = 256;

/// How long a shed connection may take to take its answer and go (a client that reads it closes
/// at once; one that stalls is dropped after this).
const SHED_LINGER: Duration = Duration::from_millis(250);

/// What every connection task shares.
struct Shared {
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    /// Connections served now.
    open: AtomicUsize,
    /// A connection closed (shutdown waits for the last).
    closed: Notify,
    /// Whether new connections are being shed, and the shed count when it started.
    shedding: AtomicBool,
    shed_at_start: AtomicU64,
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let shared = Arc::new(Shared {
        limits,
        metrics,
        open: AtomicUsize::new(0),
        closed: Notify::new(),
        shedding: AtomicBool::new(false),
        shed_at_start: AtomicU64::new(0),
    });
    let answering = Arc::new(Semaphore::new(MAX_ANSWERING));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener) => accepted,
        };
        if shared.open.load(Ordering::Relaxed) >= shared.limits.max_connections {
            shed(stream, &shared, &answering);
            continue;
        }
        let slot = Slot::take(&shared);
        let conn = Connection {
            http: http.clone(),
            router: router.clone(),
            peer,
            stopping: stopping.clone(),
        };
        tokio::spawn(conn.run(stream, slot));
    }
    drop(listener);
    let _ = stop.send(true);
    loop {
        let closed = shared.closed.notified();
        if shared.open.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        closed.await;
    }
}

/// The next connection. Out of descriptors (EMFILE) or a connection reset before it was
/// accepted: waits a little rather than spin, said once per streak.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut failing = false;
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) => {
                if !failing {
                    warn!(%error, "Cannot accept an HTTP connection; retrying.");
                    failing = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Answers a connection beyond the cap with a 503 and closes it (in a task of its own, bounded
/// by `MAX_ANSWERING` and `SHED_LINGER`).
fn shed(mut stream: TcpStream, shared: &Arc<Shared>, answering: &Arc<Semaphore>) {
    let total = shared.metrics.http.shed.fetch_add(1, Ordering::Relaxed);
    if !shared.shedding.swap(true, Ordering::AcqRel) {
        shared.shed_at_start.store(total, Ordering::Relaxed);
        warn!(
            max_connections = shared.limits.max_connections,
            "HTTP connection cap reached: new connections get 503 until some close ([http] max_connections)."
        );
    }
    let Ok(permit) = answering.clone().try_acquire_owned() else {
        // Too many answers under way: this one is written as is (a new socket's send buffer
        // takes it without waiting) and the socket closed.
        if let Ok(stream) = stream.into_std() {
            use std::io::Write;
            let _ = (&stream).write(shed_response().as_bytes());
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(SHED_LINGER, async {
            stream.write_all(shed_response().as_bytes()).await?;
            stream.shutdown().await?;
            // What the client sent is read (and thrown away) until it closes: closing with
            // unread bytes would reset the connection and could lose the answer.
            let mut buf = [0u8; 2048];
            while stream.read(&mut buf).await? > 0 {}
            Ok::<(), std::io::Error>(())
        })
        .await;
    });
}

/// The whole 503 answer of a shed connection.
pub fn shed_response() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {RETRY_AFTER}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{SHED_BODY}",
        SHED_BODY.len()
    )
}

/// One open connection's place under the cap; giving it back may end the shedding.
struct Slot(Arc<Shared>);

impl Slot {
    fn take(shared: &Arc<Shared>) -> Slot {
        shared.open.fetch_add(1, Ordering::AcqRel);
        shared.metrics.http.open.fetch_add(1, Ordering::Relaxed);
        Slot(shared.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let s = &self.0;
        let open = s.open.fetch_sub(1, Ordering::AcqRel) - 1;
        s.metrics.http.open.fetch_sub(1, Ordering::Relaxed);
        s.closed.notify_waiters();
        // Shedding ends once a quarter of the slots are free again, so that a cap held full
        // (each freed slot taken at once) does not log a start and a stop per connection.
        if open <= s.limits.max_connections * 3 / 4 && s.shedding.swap(false, Ordering::AcqRel) {
            let shed = s.metrics.http.shed.load(Ordering::Relaxed)
                - s.shed_at_start.load(Ordering::Relaxed);
            info!(
                open,
                shed, "HTTP connections are under the cap again; no longer shedding."
            );
        }
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    http: hyper::server::conn::http1::Builder,
    router: axum::Router,
    peer: SocketAddr,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    /// Serves requests until the client closes, a timeout ends it, or the server stops.
    async fn run(mut self, stream: TcpStream, slot: Slot) {
        let metrics = &slot.0.metrics;
        let idle = slot.0.limits.idle_timeout;
        let moved = Arc::new(Moved::default());
        let io = TokioIo::new(Tracked {
            inner: stream,
            moved: moved.clone(),
        });
        let (router, peer) = (self.router, self.peer);
        let handling = moved.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            // The peer's address decides whether the admin buttons need a token.
            req.extensions_mut().insert(ConnectInfo(peer));
            let answer = router.clone().call(req);
            let busy = Busy::enter(&handling);
            async move {
                let _busy = busy;
                answer.await
            }
        });
        let conn = self.http.serve_connection(io, service);
        tokio::pin!(conn);
        let mut stopping = false;
        let outcome = loop {
            // A handler at work (a run-now waits for its run) is the server's own time.
            let quiet_from = if moved.busy() {
                Instant::now()
            } else {
                moved.last()
            };
            let quiet_until = tokio::time::Instant::from_std(quiet_from + idle);
            tokio::select! {
                outcome = conn.as_mut() => break outcome,
                () = tokio::time::sleep_until(quiet_until) => {
                    if !moved.busy() && moved.last().elapsed() >= idle {
                        metrics.http.idle_timeouts.fetch_add(1, Ordering::Relaxed);
                        debug!(%peer, "HTTP connection closed: nothing moved for [http] idle_timeout.");
                        return;
                    }
                }
                _ = self.stopping.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        };
        match outcome {
            Err(e) if e.is_timeout() => {
                metrics.http.header_timeouts.fetch_add(1, Ordering::Relaxed);
                debug!(%peer, "HTTP connection closed: no request head within [http] header_timeout.");
            }
            Err(error) => debug!(%peer, %error, "HTTP connection ended with an error."),
            Ok(()) => {}
        }
    }
}

/// When a byte last moved on a connection, and whether a handler is at work on it.
struct Moved {
    start: Instant,
    /// Milliseconds after `start`.
    at: AtomicU64,
    handlers: AtomicUsize,
}

impl Default for Moved {
    fn default() -> Moved {
        Moved {
            start: Instant::now(),
            at: AtomicU64::new(0),
            handlers: AtomicUsize::new(0),
        }
    }
}

/// A handler at work on a connection; when it has answered, the quiet time starts afresh.
struct Busy(Arc<Moved>);

impl Busy {
    fn enter(moved: &Arc<Moved>) -> Busy {
        moved.handlers.fetch_add(1, Ordering::AcqRel);
        Busy(moved.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.handlers.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Moved {
    fn busy(&self) -> bool {
        self.handlers.load(Ordering::Acquire) > 0
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.at.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.at.load(Ordering::Relaxed))
    }
}

/// A stream that notes in `moved` every read or write that moves bytes.
struct Tracked {
    inner: TcpStream,
    moved: Arc<Moved>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.moved.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.moved.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shed_answer_is_a_whole_503_with_retry_after() {
        let answer = shed_response();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(head.contains("\r\nRetry-After: 5\r\n"));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
    }
}
