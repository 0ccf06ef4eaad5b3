//! The store's one writer: a dedicated thread that runs every write, one at a time, in the order
//! they were sent, each made durable before its reply. Writes that wait together share one
//! flush (group commit) after their transactions. Concurrent transactions and flushes are
//! impossible by construction: no other code holds a way to write.
//!
//! Why a thread and not a lock: sled 0.34 deadlocks when flushes run concurrently with each
//! other and with transactions (its asynchronous flush jobs fill the IO pool that must do the very
//! writes they wait for; sled issue 1308). One thread that writes and then flushes synchronously
//! never overlaps itself, and async callers await a reply instead of blocking a runtime worker.
//!
//! The writer also tells whether the store is making progress: how long the job it is running
//! has taken (a wedged store), and whether a write failed in a way the backend does not recover
//! from (sled's I/O errors are sticky: after a full disk, every later write fails too).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::StoreError;
use super::backend::Backend;

/// A write: runs its transaction, and gives back what to do once the batch it is in is on disk.
type Job = Box<dyn FnOnce(&dyn Backend, &WriterState) -> Done + Send>;
/// Replies to a write with the outcome of making its batch durable.
type Done = Box<dyn FnOnce(&Result<(), StoreError>) + Send>;

/// Writes waiting together are made durable by one flush (group commit): 16 feeds finishing at
/// once cost one disk sync, not 16. At most this many share one.
const BATCH: usize = 64;

/// What the writer thread shares with the rest of the process.
#[derive(Debug)]
pub struct WriterState {
    started: Instant,
    /// Millis since `started` when the running job began, plus one; 0 while idle.
    busy_since: AtomicU64,
    /// Why the store can no longer write, once a write failed for good.
    failed: Mutex<Option<String>>,
    /// Millis since `started` when the last write succeeded, plus one; 0 before any.
    last_ok: AtomicU64,
}

impl WriterState {
    fn new() -> WriterState {
        WriterState {
            started: Instant::now(),
            busy_since: AtomicU64::new(0),
            failed: Mutex::new(None),
            last_ok: AtomicU64::new(0),
        }
    }

    fn now_millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How long the running job has taken; `None` while idle.
    pub fn busy_for(&self) -> Option<Duration> {
        match self.busy_since.load(Ordering::Acquire) {
            0 => None,
            since => Some(Duration::from_millis(
                self.now_millis().saturating_sub(since - 1),
            )),
        }
    }

    /// Why the store cannot write, once it cannot.
    pub fn failed(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether a write succeeded within `window`.
    pub fn wrote_within(&self, window: Duration) -> bool {
        match self.last_ok.load(Ordering::Acquire) {
            0 => false,
            at => self.now_millis().saturating_sub(at - 1) <= window.as_millis() as u64,
        }
    }

    /// Notes a write's outcome (a transaction, or the flush of a batch): an I/O error leaves
    /// the store unable to write.
    pub fn saw<T>(&self, result: &Result<T, StoreError>) {
        if result.is_ok() {
            self.last_ok.store(self.now_millis() + 1, Ordering::Release);
        }
        if let Err(e @ StoreError::Io { .. }) = result {
            let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            // Its first line: the hint is the store's to give again.
            failed.get_or_insert_with(|| e.to_string().lines().next().unwrap_or("").to_string());
        }
    }
}

/// The sending side; the thread ends when the last sender is dropped.
pub struct Writer {
    jobs: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    pub state: Arc<WriterState>,
}

impl Drop for Writer {
    /// Waits for the writes sent so far and for the thread to let go of the backend, so the
    /// store (and the state directory's lock) is closed when the last handle is dropped and can
    /// be opened again at once.
    fn drop(&mut self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(t) = thread.filter(|t| t.thread().id() != std::thread::current().id()) else {
            return;
        };
        // A wedged writer would hold the process forever: after a few seconds it is left.
        let start = Instant::now();
        while !t.is_finished() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(2));
        }
        if t.is_finished() {
            let _ = t.join();
        }
    }
}

impl Writer {
    /// Starts the writer thread over `backend`.
    pub fn start(backend: Arc<dyn Backend>) -> Result<Writer, StoreError> {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let state = Arc::new(WriterState::new());
        let shared = state.clone();
        let wedge_after = test_wedge();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let mut n = 0;
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    shared
                        .busy_since
                        .store(shared.now_millis() + 1, Ordering::Release);
                    let mut done = Vec::with_capacity(batch.len());
                    for job in batch {
                        if wedge_after.is_some_and(|after| n >= after) {
                            loop {
                                std::thread::park();
                            }
                        }
                        n += 1;
                        done.push(job(backend.as_ref(), &shared));
                    }
                    // Durable before anyone hears of it.
                    let synced = backend.sync();
                    shared.saw(&synced);
                    for d in done {
                        d(&synced);
                    }
                    shared.busy_since.store(0, Ordering::Release);
                }
            })
            .map_err(|e| StoreError::Io {
                context: "cannot start the store's writer thread".into(),
                source: e,
            })?;
        Ok(Writer {
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            state,
        })
    }

    /// Sends `work` to the writer thread (at once, so writes keep the order of the calls);
    /// the returned `Pending` yields its result. A store that failed for good refuses writes.
    pub fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Backend) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |backend, state| {
            let result = match state.failed() {
                Some(why) => Err(StoreError::Failed { why }),
                None => work(backend),
            };
            state.saw(&result);
            Box::new(move |synced: &Result<(), StoreError>| {
                let result = match (result, synced) {
                    (Ok(_), Err(e)) => Err(again(e)),
                    (result, _) => result,
                };
                let _ = reply.send(result);
            })
        });
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let sent = jobs.as_ref().is_some_and(|j| j.send(job).is_ok());
        Pending {
            rx: sent.then_some(rx),
        }
    }
}

/// The same error for another write of a batch that failed to reach the disk.
fn again(e: &StoreError) -> StoreError {
    match e {
        StoreError::Io { context, source } => StoreError::Io {
            context: context.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        other => StoreError::Backend(other.to_string()),
    }
}

/// A test build can wedge the writer after N jobs (`FEEDWRIGHT_TEST_WEDGE_STORE_AFTER=N`), to
/// prove that the watchdog and `/healthz` notice a store that stopped answering. Release builds
/// have no such switch.
fn test_wedge() -> Option<usize> {
    if cfg!(debug_assertions) {
        std::env::var("FEEDWRIGHT_TEST_WEDGE_STORE_AFTER")
            .ok()?
            .parse()
            .ok()
    } else {
        None
    }
}

/// A write sent to the writer: await it, or `wait` for it outside async code.
#[must_use = "a write's result says whether it is durable"]
pub struct Pending<T> {
    rx: Option<tokio::sync::oneshot::Receiver<Result<T, StoreError>>>,
}

impl<T> Future for Pending<T> {
    type Output = Result<T, StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(rx) = self.rx.as_mut() else {
            return Poll::Ready(Err(StoreError::WriterGone));
        };
        Pin::new(rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(StoreError::WriterGone)))
    }
}

impl<T> Pending<T> {
    /// Blocks this thread until the write is done (for code that is not async, such as a
    /// callback of a page walk). The writer is its own thread, so this cannot wait on itself.
    pub fn wait(self) -> Result<T, StoreError> {
        block_on(self)
    }
}

/// Polls a future to completion on this thread, parking between wake-ups.
fn block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}
