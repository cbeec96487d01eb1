//! A pub/sub connection to a real server with the embedded `Subscriber`'s
//! interface (`send`, `read`, `close`), so the Python `PubSub` class works
//! unchanged on both backends.
//!
//! The connection is dedicated (not from the pool). When it drops, the
//! next `send` or `read` reconnects, retrying with the pool's backoff (a
//! pub/sub read never re-applies anything, so it always retries), then
//! calls the `on_connect` callback, which the Python `PubSub` sets to its
//! own `on_connect` to re-subscribe. A subscriber of a Sentinel-managed
//! pool asks the pool's resolver for the address of every connection, so
//! after a failover it re-subscribes on the new master.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::errors;
use super::remote::{encode_args, exception, retry_allows, sleep_backoff};
use super::reply::{self, Decoder};
use crate::client::pool::Resolver;
use crate::client::{Config, Connection, Error, ErrorKind};
use crate::resp::Frame;

/// How long one read waits while holding the connection, so `send` from
/// another thread (subscribe while a worker thread reads) gets a turn.
const READ_SLICE: Duration = Duration::from_millis(100);

#[pyclass(module = "redcore._redcore", name = "RemoteSubscriber", weakref)]
pub struct RemoteSubscriber {
    config: Arc<Config>,
    /// Where each new connection goes, when not `config.address`.
    resolver: Option<Resolver>,
    retry: Option<Py<PyAny>>,
    conn: Mutex<Option<Connection>>,
    /// A frame `can_read` took off the connection, for the next `read`.
    peeked: Mutex<Option<Frame>>,
    /// A connection existed before: the next one is a reconnection.
    connected_once: AtomicBool,
    closed: AtomicBool,
    dec: Decoder,
    /// Called with no arguments after a reconnection.
    #[pyo3(get, set)]
    on_connect: Option<Py<PyAny>>,
    /// Whether the last frame `read` returned was a push (see `last_push`).
    last_push: AtomicBool,
}

enum Step {
    Frame(Frame),
    Idle,
}

impl RemoteSubscriber {
    pub(crate) fn new(
        config: Arc<Config>,
        resolver: Option<Resolver>,
        retry: Option<Py<PyAny>>,
        dec: Decoder,
    ) -> Self {
        RemoteSubscriber {
            config,
            resolver,
            retry,
            conn: Mutex::new(None),
            peeked: Mutex::new(None),
            connected_once: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            dec,
            on_connect: None,
            last_push: AtomicBool::new(false),
        }
    }

    /// Carries on `conn`, an open connection (see `Client::_subscriber`);
    /// a later reconnection re-subscribes through `on_connect`.
    pub(crate) fn adopt(&self, conn: Connection) {
        *self.conn.lock() = Some(conn);
        self.connected_once.store(true, Ordering::Release);
    }

    /// Locks the connection without holding the GIL while waiting: the
    /// holder may be a reader that needs the GIL back to finish.
    fn lock_conn(&self, py: Python<'_>) -> MutexGuard<'_, Option<Connection>> {
        loop {
            if let Some(guard) = self.conn.try_lock() {
                return guard;
            }
            let conn = &self.conn;
            py.detach(|| drop(conn.lock()));
        }
    }

    /// Opens the connection if there is none; after a reconnection, runs
    /// the `on_connect` callback (with no lock held: it sends commands).
    fn ensure_connected(&self, py: Python<'_>) -> PyResult<()> {
        let mut failures = 0;
        loop {
            if self.lock_conn(py).is_some() {
                return Ok(());
            }
            let (config, resolver) = (&self.config, &self.resolver);
            let opened = py.detach(|| match resolver {
                None => Connection::open(config),
                Some(resolve) => {
                    let mut config = (**config).clone();
                    config.address = resolve()?;
                    Connection::open(&config)
                }
            });
            match opened {
                Ok(conn) => {
                    let mut slot = self.lock_conn(py);
                    if slot.is_some() {
                        return Ok(());
                    }
                    *slot = Some(conn);
                    drop(slot);
                    if self.connected_once.swap(true, Ordering::AcqRel) {
                        if let Some(cb) = &self.on_connect {
                            cb.call0(py)?;
                        }
                    }
                    return Ok(());
                }
                Err(e) => {
                    failures += 1;
                    self.after_failure(py, &e, failures)?;
                }
            }
        }
    }

    /// Raises unless the retry policy allows another attempt, in which case
    /// it sleeps the backoff.
    fn after_failure(&self, py: Python<'_>, e: &Error, failures: i64) -> PyResult<()> {
        let exc = exception(py, e);
        let retryable = matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout);
        let Some(retry) = &self.retry else {
            return Err(exc);
        };
        let retry = retry.bind(py);
        if !retryable || !retry_allows(py, retry, &exc, failures - 1)? {
            return Err(exc);
        }
        sleep_backoff(py, retry, failures)
    }

    /// One bounded read: a frame, or Idle when none arrived in `wait`.
    fn read_step(&self, py: Python<'_>, wait: Duration) -> Result<Step, Error> {
        let mut slot = self.lock_conn(py);
        let Some(conn) = slot.as_mut() else {
            return Ok(Step::Idle);
        };
        let r = py.detach(|| conn.read_frame(Some(wait)));
        match r {
            Ok(f) => Ok(Step::Frame(f)),
            Err(e) if matches!(e.kind, ErrorKind::Timeout | ErrorKind::Interrupted) => {
                // A partial frame stays in the parser: the stream is still
                // in step, so the connection is kept.
                Ok(Step::Idle)
            }
            Err(e) => {
                *slot = None;
                Err(e)
            }
        }
    }
}

#[pymethods]
impl RemoteSubscriber {
    /// Sends a command; its reply arrives through `read`.
    #[pyo3(signature = (*args))]
    fn send(&self, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let py = args.py();
        if self.closed.load(Ordering::Acquire) {
            self.closed.store(false, Ordering::Release);
        }
        let mut request = Vec::new();
        encode_args(args, &self.dec.enc, &mut request)?;
        let mut failures = 0;
        loop {
            self.ensure_connected(py)?;
            let mut slot = self.lock_conn(py);
            let Some(conn) = slot.as_mut() else {
                continue;
            };
            conn.wbuf.clear();
            conn.wbuf.extend_from_slice(&request);
            match py.detach(|| conn.send()) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    *slot = None;
                    drop(slot);
                    failures += 1;
                    self.after_failure(py, &e, failures)?;
                }
            }
        }
    }

    /// The next reply or message, or None if none arrives within `timeout`
    /// seconds (None waits forever). Error replies are raised.
    #[pyo3(signature = (timeout=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Some(f) = self.peeked.lock().take() {
            if let Frame::Error(e) = f {
                return Err(errors::reply_error(py, &e));
            }
            return reply::to_py(py, &f, &self.dec).map(Some);
        }
        let deadline = super::subscriber::deadline_after(timeout);
        let mut failures = 0;
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Ok(None);
            }
            self.ensure_connected(py)?;
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(READ_SLICE),
                None => READ_SLICE,
            };
            match self.read_step(py, wait.max(Duration::from_millis(1))) {
                Ok(Step::Frame(Frame::Error(e))) => return Err(errors::reply_error(py, &e)),
                Ok(Step::Frame(f)) => {
                    self.last_push
                        .store(matches!(f, Frame::Push(_)), Ordering::Relaxed);
                    return reply::to_py(py, &f, &self.dec).map(Some);
                }
                Ok(Step::Idle) => {
                    py.check_signals()?;
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(None);
                    }
                }
                Err(e) => {
                    failures += 1;
                    self.after_failure(py, &e, failures)?;
                }
            }
        }
    }

    /// Whether the last reply or message `read` returned was a RESP3 push
    /// frame (a message, a subscription confirmation, an invalidation),
    /// not the reply of a command.
    #[getter]
    fn last_push(&self) -> bool {
        self.last_push.load(Ordering::Relaxed)
    }

    /// Whether `read` would return at once: a reply or message (or the
    /// end of the connection) is waiting. Never waits, never reconnects.
    fn _ready(&self, py: Python<'_>) -> bool {
        match self.lock_conn(py).as_mut() {
            Some(conn) => conn.readable(),
            // Dropped: the next read reconnects (and calls on_connect).
            None => {
                !self.closed.load(Ordering::Acquire) && self.connected_once.load(Ordering::Acquire)
            }
        }
    }

    /// Number of bytes received but not yet read as messages.
    fn pending(&self) -> usize {
        0
    }

    /// Whether a reply or message can be read, after waiting up to
    /// `timeout` seconds (None: until one arrives): redis-py's
    /// `Connection.can_read`, which Celery's result consumer calls on its
    /// pub/sub connection. The frame waited for is kept for `read`; a
    /// dropped connection raises ConnectionError, as in redis-py.
    #[pyo3(signature = (timeout=0.0))]
    fn can_read(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        if self.peeked.lock().is_some() {
            return Ok(true);
        }
        let deadline = super::subscriber::deadline_after(timeout);
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Ok(false);
            }
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(READ_SLICE),
                None => READ_SLICE,
            };
            match self.read_step(py, wait.max(Duration::from_millis(1))) {
                Ok(Step::Frame(f)) => {
                    *self.peeked.lock() = Some(f);
                    return Ok(true);
                }
                Ok(Step::Idle) => {
                    py.check_signals()?;
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(exception(py, &e)),
            }
        }
    }

    /// Drops the connection but not the subscriptions: the next `read` or
    /// `send` reconnects (asking the resolver where) and re-subscribes.
    fn reconnect(&self, py: Python<'_>) {
        if !self.closed.load(Ordering::Acquire) {
            *self.lock_conn(py) = None;
        }
    }

    /// Closes the connection; a later `send` opens a new one.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::Release);
        *self.lock_conn(py) = None;
        *self.peeked.lock() = None;
        self.connected_once.store(false, Ordering::Release);
    }
}
