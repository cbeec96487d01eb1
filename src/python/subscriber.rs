//! A pub/sub connection for the embedded engine: the Python `PubSub` class
//! sends commands with `send` and reads confirmations and messages with
//! `read`, in order, exactly as it would from a socket.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::client::Backend;
use super::encode::Args;
use super::errors;
use super::reply::{self, Decoder};
use crate::engine::client::SubscriberSink;
use crate::engine::pubsub::{Sink, SinkRef};
use crate::engine::ClientState;
use crate::resp::Frame;

/// Messages waiting to be read.
#[derive(Default)]
struct Queue {
    frames: Mutex<VecDeque<Frame>>,
    ready: Condvar,
    closed: AtomicBool,
    /// A socket to write a byte to on every delivery: how an asyncio
    /// reader (`redcore.asyncio.PubSub`) hears of messages.
    notify: Mutex<Option<std::fs::File>>,
}

impl Sink for Queue {
    fn deliver(&self, frame: Frame) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        self.frames.lock().push_back(frame);
        self.ready.notify_one();
        if let Some(f) = self.notify.lock().as_mut() {
            // A full socket already holds a wake-up: ignore.
            let _ = std::io::Write::write(f, b"!");
        }
        true
    }
}

impl Queue {
    /// Whether a frame is waiting, after waiting up to `timeout` for one.
    fn wait_any(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut frames = self.frames.lock();
        while frames.is_empty() {
            if self.closed.load(Ordering::Acquire)
                || self.ready.wait_until(&mut frames, deadline).timed_out()
            {
                break;
            }
        }
        !frames.is_empty()
    }

    fn pop(&self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        let mut frames = self.frames.lock();
        loop {
            if let Some(f) = frames.pop_front() {
                return Some(f);
            }
            if self.ready.wait_until(&mut frames, deadline).timed_out() {
                return frames.pop_front();
            }
        }
    }
}

/// One subscriber connection to an embedded engine.
#[pyclass(module = "redcore._redcore", name = "Subscriber")]
pub struct Subscriber {
    backend: Arc<Backend>,
    state: Mutex<ClientState>,
    queue: Arc<Queue>,
    dec: Decoder,
    /// Whether the last frame `read` returned was a push (see `last_push`).
    last_push: AtomicBool,
}

impl Subscriber {
    pub(crate) fn new(
        backend: Arc<Backend>,
        db: usize,
        dec: Decoder,
        credentials: Option<(Option<bytes::Bytes>, bytes::Bytes)>,
    ) -> Subscriber {
        let mut state = ClientState::new(db);
        // The client's protocol: a RESP3 subscriber's PING answers PONG,
        // not a RESP2 pong message.
        state.resp3 = dec.resp3;
        state.credentials = credentials;
        Subscriber::taking_over(backend, state, dec)
    }

    /// A subscriber that carries on connection `state` (its id, name,
    /// database, protocol, CLIENT TRACKING...), as a socket that
    /// subscribes stays the same connection.
    pub(crate) fn taking_over(
        backend: Arc<Backend>,
        mut state: ClientState,
        dec: Decoder,
    ) -> Subscriber {
        let queue = Arc::new(Queue::default());
        let sink: SinkRef = queue.clone();
        state.sink = Some(SubscriberSink(sink));
        Subscriber {
            backend,
            state: Mutex::new(state),
            queue,
            dec,
            last_push: AtomicBool::new(false),
        }
    }
}

impl Subscriber {
    /// `frame` as `read` returns it, remembering whether it is a push.
    fn returned<'py>(&self, py: Python<'py>, frame: &Frame) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.last_push
            .store(matches!(frame, Frame::Push(_)), Ordering::Relaxed);
        reply::to_py(py, frame, &self.dec).map(Some)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.close();
    }
}

#[pymethods]
impl Subscriber {
    /// Sends a command on this connection. Its reply, like every message,
    /// arrives through `read`; an error reply is raised here.
    #[pyo3(signature = (*args))]
    fn send(&self, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let py = args.py();
        let mut a = Args::new();
        for item in args.iter() {
            a.push(&item, &self.dec.enc)?;
        }
        let argv = a.slices();
        let frame = {
            let mut state = self.state.lock();
            state.suppress_reply = false;
            let frame = match &*self.backend {
                Backend::Embedded(engine) => engine.execute(&mut state, &argv),
                Backend::Remote(_) | Backend::Cluster(_) => {
                    Frame::error("ERR not an embedded subscriber")
                }
            };
            if std::mem::take(&mut state.suppress_reply) {
                return Ok(());
            }
            frame
        };
        if let Frame::Error(e) = &frame {
            return Err(errors::reply_error(py, e));
        }
        self.queue.deliver(frame);
        Ok(())
    }

    /// The next reply or message, or None if none arrives within `timeout`
    /// seconds (None waits forever). The GIL is released while waiting.
    #[pyo3(signature = (timeout=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let deadline = deadline_after(timeout);
        loop {
            if let Some(f) = self.queue.frames.lock().pop_front() {
                return self.returned(py, &f);
            }
            let step = Duration::from_millis(100);
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(step),
                None => step,
            };
            if wait.is_zero() {
                return Ok(None);
            }
            let queue = self.queue.clone();
            if let Some(f) = py.detach(move || queue.pop(wait)) {
                return self.returned(py, &f);
            }
            py.check_signals()?;
            if self.queue.closed.load(Ordering::Acquire) {
                return Ok(None);
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

    /// Writes a byte to file descriptor `fd` (a duplicate is kept; it
    /// should be a non-blocking socket) whenever a reply or message
    /// arrives; None stops it.
    #[pyo3(signature = (fd=None))]
    fn notify(&self, fd: Option<i32>) -> PyResult<()> {
        let file = match fd {
            None => None,
            Some(fd) => {
                // SAFETY: `dup` returns a new descriptor that the File owns.
                let dup = unsafe { libc::dup(fd) };
                if dup < 0 {
                    return Err(std::io::Error::last_os_error().into());
                }
                Some(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(dup) })
            }
        };
        *self.queue.notify.lock() = file;
        Ok(())
    }

    /// Number of replies and messages waiting to be read.
    fn pending(&self) -> usize {
        self.queue.frames.lock().len()
    }

    /// Whether a reply or message is waiting, after waiting up to
    /// `timeout` seconds (None: until one arrives) for one: redis-py's
    /// `Connection.can_read`, which Celery's result consumer calls on its
    /// pub/sub connection.
    #[pyo3(signature = (timeout=0.0))]
    fn can_read(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let deadline = deadline_after(timeout);
        loop {
            let wait = match deadline {
                Some(d) => d
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(100)),
                None => Duration::from_millis(100),
            };
            let queue = self.queue.clone();
            if py.detach(move || queue.wait_any(wait)) {
                return Ok(true);
            }
            py.check_signals()?;
            if self.queue.closed.load(Ordering::Acquire)
                || deadline.is_some_and(|d| Instant::now() >= d)
            {
                return Ok(false);
            }
        }
    }

    /// Drops every subscription and pending message.
    fn close(&self) {
        self.queue.closed.store(true, Ordering::Release);
        let mut state = self.state.lock();
        if let Backend::Embedded(engine) = &*self.backend {
            engine.lock().pubsub.remove_client(state.id);
            engine.disconnect(&mut state);
        }
        drop(state);
        self.queue.frames.lock().clear();
        self.queue.ready.notify_all();
        *self.queue.notify.lock() = None;
    }
}

/// When a wait of `timeout` seconds started now ends: None (never) for no
/// timeout or one too large to represent; NaN and negative mean "don't
/// wait", as for a socket timeout.
pub(crate) fn deadline_after(timeout: Option<f64>) -> Option<Instant> {
    let t = timeout?;
    let t = if t.is_nan() { 0.0 } else { t.max(0.0) };
    Instant::now().checked_add(Duration::try_from_secs_f64(t).ok()?)
}
