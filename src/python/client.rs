//! The `Client` class that `redcore.Redis` and `redcore.Pipeline` extend.
//!
//! Every call, whether a hot method written in Rust or a Python method
//! going through `execute_command`, ends in [`Client::run`]: queued on a
//! pipeline, or run on the backend and shaped by the client's response
//! callback for the command (`response_callbacks`, see [`Callbacks`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::aio::{Batch, Pending};
use super::callbacks::{Callbacks, Fast};
use super::encode::{Args, Encoding};
use super::errors;
use super::remote::{self, Remote, RemotePool};
use super::reply::{self, Decoder, Native, Opts, Shape};
use crate::commands::{self, Command};
use crate::engine::blocking::Blocked;
use crate::engine::{self, ClientState, Engine};
use crate::resp::{FlatScan, Frame};

/// Where commands run.
pub enum Backend {
    /// In this process.
    Embedded(Arc<Engine>),
    /// A server over the network, through a connection pool.
    Remote(Remote),
    /// A Redis Cluster: a slot map over one pool per node.
    Cluster(Arc<super::cluster::Router>),
}

/// A command waiting in a pipeline.
pub(crate) struct Queued {
    /// Index in `Queue::ends` of the command's first argument.
    pub(crate) first: usize,
    pub(crate) nargs: usize,
    pub(crate) cmd: Option<&'static Command>,
    pub(crate) shape: Shape,
    pub(crate) opts: Opts,
}

impl Queued {
    /// Copies of the command's response shape and options.
    fn clone_shape(&self, py: Python<'_>) -> (Shape, Opts) {
        let shape = match &self.shape {
            Shape::Native(n) => Shape::Native(*n),
            Shape::Callable(f) => Shape::Callable(f.clone_ref(py)),
        };
        let opts = Opts {
            dict: self.opts.dict.as_ref().map(|d| d.clone_ref(py)),
            flags: self.opts.flags,
            cast: self.opts.cast.as_ref().map(|f| f.clone_ref(py)),
        };
        (shape, opts)
    }
}

/// Queued commands. Arguments live back to back in one buffer, so queueing
/// a command costs no allocation per argument.
#[derive(Default)]
pub(crate) struct Queue {
    bytes: Vec<u8>,
    /// End offset in `bytes` of every argument.
    ends: Vec<usize>,
    pub(crate) cmds: Vec<Queued>,
}

impl Queue {
    fn push(&mut self, argv: &[&[u8]], cmd: Option<&'static Command>, shape: Shape, opts: Opts) {
        let first = self.ends.len();
        for a in argv {
            self.bytes.extend_from_slice(a);
            self.ends.push(self.bytes.len());
        }
        self.cmds.push(Queued {
            first,
            nargs: argv.len(),
            cmd,
            shape,
            opts,
        });
    }

    /// Every argument of every command, in order.
    pub(crate) fn all_args(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let a = &self.bytes[start..end];
                start = end;
                a
            })
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.cmds.len()
    }

    /// A copy of the queue (the commands and their response shapes), for
    /// sending a batch again.
    pub(crate) fn copy(&self, py: Python<'_>) -> Queue {
        Queue {
            bytes: self.bytes.clone(),
            ends: self.ends.clone(),
            cmds: self
                .cmds
                .iter()
                .map(|c| {
                    let (shape, opts) = c.clone_shape(py);
                    Queued {
                        first: c.first,
                        nargs: c.nargs,
                        cmd: c.cmd,
                        shape,
                        opts,
                    }
                })
                .collect(),
        }
    }

    /// A queue of copies of the commands at `indexes` (in that order).
    pub(crate) fn subset(&self, py: Python<'_>, indexes: &[usize]) -> Queue {
        let all = self.all_args();
        let mut q = Queue::default();
        for &i in indexes {
            let c = &self.cmds[i];
            let (shape, opts) = c.clone_shape(py);
            q.push(&all[c.first..c.first + c.nargs], c.cmd, shape, opts);
        }
        q
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.cmds.clear();
    }
}

/// Pipeline state: the queue, and a persistent client so WATCH works.
struct Pipe {
    queue: Mutex<Queue>,
    state: Mutex<ClientState>,
    /// WATCH was issued and MULTI not yet: commands run immediately.
    immediate: AtomicBool,
    /// Remote backend: the connection holding the WATCH, until reset.
    conn: remote::Slot,
}

/// The core client. Python subclasses add the long tail of redis-py's
/// methods over `execute_command`.
#[pyclass(subclass, frozen, module = "redcore._redcore", name = "Client")]
pub struct Client {
    backend: Arc<Backend>,
    /// Selected database of a plain (non-pipeline) client.
    db: AtomicUsize,
    /// The client state plain calls reuse.
    state: Mutex<ClientState>,
    pub(crate) dec: Decoder,
    /// Per-instance response callbacks: name -> Native code or callable.
    pub(crate) callbacks: Callbacks,
    pipe: Option<Pipe>,
    /// Connected and authenticated in the engine: typed fast paths may
    /// skip the dispatcher (while the engine is not gated).
    connected: AtomicBool,
    /// Used by `redcore.asyncio`: a blocked command returns a
    /// [`Pending`] instead of waiting.
    aio: AtomicBool,
    /// An embedded client's `credential_provider`, asked at each
    /// (re)connection.
    provider: Option<Py<PyAny>>,
}

impl Drop for Client {
    /// The handle is gone: its "connection" leaves the engine's client
    /// list (CLIENT LIST), ending its subscriptions and WATCHes.
    fn drop(&mut self) {
        if let Backend::Embedded(engine) = &*self.backend {
            engine.disconnect(self.state.get_mut());
            if let Some(pipe) = &mut self.pipe {
                engine.disconnect(pipe.state.get_mut());
            }
        }
    }
}

/// A `&'static Command` looked up once per call site.
macro_rules! command {
    ($name:literal) => {{
        static CMD: std::sync::OnceLock<Option<&'static crate::commands::Command>> =
            std::sync::OnceLock::new();
        *CMD.get_or_init(|| crate::commands::lookup($name.as_bytes()))
    }};
}
pub(crate) use command;

impl Client {
    /// Runs (or queues) a Rust method's encoded arguments, shaped by the
    /// client's response callback for `fast`'s command.
    pub(crate) fn call<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd: Option<&'static Command>,
        args: &Args<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::call_opts(slf, fast, cmd, args, Opts::default())
    }

    /// Like [`Client::call`], with the method's options for the callback.
    pub(crate) fn call_opts<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd: Option<&'static Command>,
        args: &Args<'py>,
        opts: Opts,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::run_fast(slf, fast, cmd, &args.slices(), opts)
    }

    /// Like [`Client::call_opts`] for arguments already sliced.
    #[inline]
    pub(crate) fn run_fast<'py>(
        slf: &Bound<'py, Self>,
        fast: Fast,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        opts: Opts,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shape = slf.get().callbacks.fast(slf.py(), fast)?;
        Self::run(slf, cmd, argv, shape, opts)
    }

    /// The single path every call takes: queue on a pipeline, or run on
    /// the backend and convert the reply.
    #[inline]
    pub(crate) fn run<'py>(
        slf: &Bound<'py, Self>,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        shape: Shape,
        opts: Opts,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if let Some(pipe) = &this.pipe {
            if !pipe.immediate.load(Ordering::Acquire) {
                pipe.queue.lock().push(argv, cmd, shape, opts);
                return Ok(slf.clone().into_any());
            }
            match &*this.backend {
                Backend::Remote(remote) => {
                    return this.run_remote(py, remote, cmd, argv, &shape, &opts, Some(&pipe.conn))
                }
                Backend::Cluster(router) => {
                    let frame = router.execute(py, cmd, argv)?;
                    return reply::convert(py, frame, &shape, &opts, &this.dec);
                }
                Backend::Embedded(_) => {}
            }
            this.refresh_credentials(py, &pipe.state)?;
            let (frame, blocked) = if this.may_wait(cmd, argv) {
                py.detach(|| {
                    let mut state = pipe.state.lock();
                    let frame = this.exec_with(&mut state, cmd, argv);
                    (frame, state.blocked.take())
                })
            } else {
                let mut state = pipe.state.lock();
                let frame = this.exec_with(&mut state, cmd, argv);
                (frame, state.blocked.take())
            };
            let frame = match blocked {
                Some(b) if this.aio.load(Ordering::Relaxed) => {
                    return this.pending(py, b, shape, opts)
                }
                Some(b) => this.wait_blocked(py, b)?,
                None => frame,
            };
            this.check_reply_off(py, &pipe.state, argv, &frame)?;
            return reply::convert(py, frame, &shape, &opts, &this.dec);
        }
        match &*this.backend {
            Backend::Remote(remote) => {
                return this.run_remote(py, remote, cmd, argv, &shape, &opts, None)
            }
            Backend::Cluster(router) => {
                let frame = router.execute(py, cmd, argv)?;
                return reply::convert(py, frame, &shape, &opts, &this.dec);
            }
            Backend::Embedded(_) => {}
        }
        this.refresh_credentials(py, &this.state)?;
        // A typed method that turns WITHSCORES pairs into tuples takes the
        // engine's flat (RESP2-shaped) reply: the same tuples, without a
        // small allocation per pair for RESP3's nesting.
        let flat = matches!(shape, Shape::Native(Native::ScorePairs))
            && opts.flags & Opts::WITHSCORES != 0;
        let (frame, blocked) = if this.may_wait(cmd, argv) {
            py.detach(|| this.exec_plain(cmd, argv, flat))
        } else {
            this.exec_plain(cmd, argv, flat)
        };
        let frame = match blocked {
            Some(b) if this.aio.load(Ordering::Relaxed) => return this.pending(py, b, shape, opts),
            Some(b) => this.wait_blocked(py, b)?,
            None => frame,
        };
        this.check_reply_off(py, &this.state, argv, &frame)?;
        reply::convert(py, frame, &shape, &opts, &this.dec)
    }

    /// A blocked command's reply to await (`redcore.asyncio`).
    fn pending<'py>(
        &self,
        py: Python<'py>,
        b: Blocked,
        shape: Shape,
        opts: Opts,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Backend::Embedded(engine) = &*self.backend else {
            return reply::convert(py, b.timeout_reply, &shape, &opts, &self.dec);
        };
        let p = Pending::new(engine.clone(), b, shape, opts, self.dec.clone());
        Ok(Bound::new(py, p)?.into_any())
    }

    /// CLIENT REPLY OFF / SKIP as a redis-py user sees it on a server: no
    /// reply comes, so the call times out and the connection is dropped;
    /// the next command reconnects, with replies on. Raised at once (a
    /// socket client would wait `socket_timeout` first).
    #[inline]
    fn check_reply_off(
        &self,
        py: Python<'_>,
        state: &Mutex<ClientState>,
        argv: &[&[u8]],
        frame: &Frame,
    ) -> PyResult<()> {
        let [name, sub, mode] = argv else {
            return Ok(());
        };
        let off = mode.eq_ignore_ascii_case(b"off") || mode.eq_ignore_ascii_case(b"skip");
        if !(off
            && matches!(frame, Frame::Null)
            && name.eq_ignore_ascii_case(b"client")
            && sub.eq_ignore_ascii_case(b"reply"))
        {
            return Ok(());
        }
        if let Backend::Embedded(engine) = &*self.backend {
            let mut s = state.lock();
            engine.disconnect(&mut s);
            s.reply_mode = crate::engine::client::ReplyMode::On;
            s.id = crate::engine::client::next_client_id();
        }
        self.connected.store(false, Ordering::Relaxed);
        Err(errors::named_error(
            py,
            "TimeoutError",
            "Timeout reading from socket",
        ))
    }

    /// Waits for a blocked command's reply with the GIL released, waking
    /// every 100 ms to let Ctrl-C through. On timeout or interrupt the wait
    /// is cancelled; a reply delivered in that very moment is still
    /// returned, so no popped element is ever lost.
    /// Runs one command on the remote backend. Blocking commands read
    /// with their own timeout added to the socket timeout.
    #[allow(clippy::too_many_arguments)]
    fn run_remote<'py>(
        &self,
        py: Python<'py>,
        remote: &Remote,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        shape: &Shape,
        opts: &Opts,
        slot: Option<&remote::Slot>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cmd = cmd.or_else(|| argv.first().and_then(|n| commands::lookup(n)));
        let at = cmd.map_or(commands::Timeout::None, |c| c.timeout);
        let timeout =
            crate::client::timeouts::read_timeout(remote.config().socket_timeout, at, argv);
        let db = self.db.load(Ordering::Relaxed);
        let frame = match reply::flat_shape(py, shape, opts) {
            // A reply that is an array of bulk strings and nulls is built
            // straight from the read buffer, as `convert` would shape it.
            Some(how) => {
                let dec = reply::decoder_for(&self.dec, opts);
                let build =
                    |buf: &[u8], scan: &FlatScan| reply::build_flat(py, buf, scan, how, &dec);
                match remote.execute_flat(py, db, argv, timeout, slot, &build)? {
                    remote::Reply::Object(built) => {
                        return reply::finish_flat(py, built?, shape, opts)
                    }
                    remote::Reply::Frame(frame) => frame,
                }
            }
            None => remote.execute(py, db, argv, timeout, slot)?,
        };
        if let Some(n) = remote::db_change(argv, &frame) {
            self.db.store(n, Ordering::Relaxed);
        }
        reply::convert(py, frame, shape, opts, &self.dec)
    }

    fn wait_blocked(&self, py: Python<'_>, b: Blocked) -> PyResult<Frame> {
        let Backend::Embedded(engine) = &*self.backend else {
            return Ok(b.timeout_reply);
        };
        // 0, or a deadline past what the clock can represent: forever.
        let deadline = (b.timeout_ms > 0)
            .then(|| Instant::now().checked_add(Duration::from_millis(b.timeout_ms)))
            .flatten();
        let step = Duration::from_millis(100);
        loop {
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(step),
                None => step,
            };
            let slot = b.slot.clone();
            if let Some(frame) = py.detach(move || slot.wait(wait)) {
                return Ok(frame);
            }
            if let Err(e) = py.check_signals() {
                return match engine.cancel_block(b.id, &b.slot) {
                    Some(frame) => Ok(frame),
                    None => Err(e),
                };
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(engine
                    .cancel_block(b.id, &b.slot)
                    .unwrap_or(b.timeout_reply));
            }
        }
    }

    /// True when the call may wait on a running script: scripts run (and
    /// SCRIPT KILL arrives) without the GIL so other Python threads go on.
    #[inline]
    fn may_wait(&self, cmd: Option<&'static Command>, argv: &[&[u8]]) -> bool {
        let Backend::Embedded(engine) = &*self.backend else {
            return false;
        };
        if engine.script_running() || engine.paused() {
            return true;
        }
        // SCRIPT KILL and friends wait on a running script too.
        let cmd = cmd.or_else(|| argv.first().and_then(|n| commands::lookup(n)));
        cmd.is_some_and(|c| {
            c.has_trait(commands::traits::RUNS_SCRIPT) || c.group == commands::Group::Scripting
        })
    }

    /// With a `credential_provider`, asks it for fresh credentials when
    /// the next command (re)connects this client (first command, or after
    /// CLIENT KILL), as redis-py asks at each new connection.
    #[inline]
    fn refresh_credentials(&self, py: Python<'_>, state: &Mutex<ClientState>) -> PyResult<()> {
        let (Some(provider), Backend::Embedded(engine)) = (&self.provider, &*self.backend) else {
            return Ok(());
        };
        {
            let s = state.lock();
            let killed = || engine.gated() && engine.lock().clients.killed.contains(&s.id);
            if s.registered && !killed() {
                return Ok(());
            }
        }
        let (user, pass) = super::remote::provider_credentials(provider.bind(py))?;
        state.lock().credentials = Some((user.map(Bytes::from), Bytes::from(pass)));
        Ok(())
    }

    /// Runs one command on a short-lived client state for this handle.
    #[inline]
    fn exec_plain(
        &self,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        flat: bool,
    ) -> (Frame, Option<Blocked>) {
        let db = self.db.load(Ordering::Relaxed);
        // One state per handle: it carries the connection's identity (id,
        // ACL user), so a second thread on the handle waits its turn.
        let mut guard = self.state.lock();
        let state: &mut ClientState = &mut guard;
        state.db = db;
        // Per call, like the database: HELLO on a plain client does not
        // outlive the call.
        state.resp3 = self.dec.resp3 && !flat;
        let frame = self.exec_with(state, cmd, argv);
        let plain = state.registered
            && state.authenticated
            && state.reply_mode == crate::engine::client::ReplyMode::On
            && !state.no_touch;
        self.connected.store(plain, Ordering::Relaxed);
        let blocked = state.blocked.take();
        if state.db != db {
            self.db.store(state.db, Ordering::Relaxed);
        }
        if state.multi.is_some() || !state.watched.is_empty() {
            // A plain client is not a connection: MULTI/WATCH state does
            // not outlive the call (use a pipeline for transactions).
            state.multi = None;
            if let Backend::Embedded(engine) = &*self.backend {
                engine.unwatch(state);
            }
        }
        (frame, blocked)
    }

    #[inline]
    fn exec_with(
        &self,
        state: &mut ClientState,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
    ) -> Frame {
        match &*self.backend {
            Backend::Embedded(engine) => match cmd {
                Some(cmd) => engine.execute_cmd(state, cmd, argv),
                None => engine.execute(state, argv),
            },
            Backend::Remote(_) | Backend::Cluster(_) => {
                Frame::error("ERR remote clients do not run commands in-process")
            }
        }
    }

    /// Runs a typed engine call directly when this is a plain embedded
    /// client and `cmd`'s reply needs no callback; `None` means take the
    /// general path (pipelines, remote, a response callback).
    #[inline]
    pub(crate) fn fast<R: crate::engine::Outcome>(
        &self,
        fast: Fast,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        f: impl FnOnce(&mut crate::engine::Db, crate::engine::Now<'_>) -> R,
    ) -> Option<R> {
        self.fast_as(fast, Native::Raw, cmd, argv, f)
    }

    /// Like [`Client::fast`] for a read whose default callback is
    /// `native`: the caller builds that shape itself.
    #[inline]
    pub(crate) fn fast_as<R: crate::engine::Outcome>(
        &self,
        fast: Fast,
        native: Native,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        f: impl FnOnce(&mut crate::engine::Db, crate::engine::Now<'_>) -> R,
    ) -> Option<R> {
        let (engine, cmd) = self.fast_engine(fast, native, cmd)?;
        engine.with_db(self.db.load(Ordering::Relaxed), cmd, argv, f)
    }

    /// The embedded engine a fast path may run `fast` on directly: not in
    /// a pipeline, its default callback (`native`) in place, no script
    /// running (the general path answers BUSY or waits without the GIL),
    /// and no ACL limits, pending kills or missing connection (every
    /// command must then pass the dispatcher's checks).
    #[inline]
    fn fast_engine(
        &self,
        fast: Fast,
        native: Native,
        cmd: Option<&'static Command>,
    ) -> Option<(&Engine, &'static Command)> {
        let cmd = cmd?;
        if self.pipe.is_some() || !self.callbacks.is_native(fast, native) {
            return None;
        }
        match &*self.backend {
            Backend::Embedded(engine)
                if !(engine.script_running()
                    || engine.gated()
                    || !self.connected.load(Ordering::Relaxed)) =>
            {
                Some((engine, cmd))
            }
            Backend::Embedded(_) | Backend::Remote(_) | Backend::Cluster(_) => None,
        }
    }

    /// Like [`Client::fast`] for a write whose reply the caller knows
    /// when its default callback (`native`) is in place: runs `f` through
    /// [`crate::engine::Engine::with_db_write`].
    #[inline]
    pub(crate) fn fast_write<R>(
        &self,
        fast: Fast,
        native: Native,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
        key: &[u8],
        f: impl FnOnce(&mut crate::engine::Db, crate::engine::Now<'_>) -> R,
    ) -> Option<R> {
        let (engine, cmd) = self.fast_engine(fast, native, cmd)?;
        engine.with_db_write(self.db.load(Ordering::Relaxed), cmd, argv, key, f)
    }

    /// A looked-up optional string as the caller wants it (None, bytes, str),
    /// or the error raised.
    #[inline]
    pub(crate) fn bulk_result<'py>(
        &self,
        py: Python<'py>,
        r: Result<Option<Bytes>, crate::error::Error>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match r {
            Ok(Some(b)) => self.dec.bulk(py, &b),
            Ok(None) => Ok(py.None().into_bound(py)),
            Err(e) => Err(errors::reply_error(py, e.to_string().as_bytes())),
        }
    }

    /// Like [`Client::bulk_result`] for a value already converted.
    #[inline]
    pub(crate) fn bulk_obj_result<'py>(
        &self,
        py: Python<'py>,
        r: Result<Option<Result<Bound<'py, PyAny>, Bytes>>, crate::error::Error>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match r {
            Ok(Some(Ok(obj))) => Ok(obj),
            Ok(Some(Err(raw))) => self.dec.bulk(py, &raw),
            Ok(None) => Ok(py.None().into_bound(py)),
            Err(e) => Err(errors::reply_error(py, e.to_string().as_bytes())),
        }
    }

    pub(crate) fn encoding(&self) -> &Encoding {
        &self.dec.enc
    }

    /// True when a call runs now: a plain client, or a pipeline between
    /// WATCH and MULTI (not one that queues).
    pub(crate) fn runs_now(&self) -> bool {
        self.pipe
            .as_ref()
            .is_none_or(|p| p.immediate.load(Ordering::Acquire))
    }

    fn pipe(&self) -> PyResult<&Pipe> {
        self.pipe
            .as_ref()
            .ok_or_else(|| PyTypeError::new_err("not a pipeline"))
    }

    /// The subscriber `_subscriber(take_over=True)` makes of this client's
    /// own connection: an embedded connection client's state (left with a
    /// fresh one), or a remote single-connection client's open socket.
    /// None when there is nothing to take over (no socket open yet).
    fn take_over_connection(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match &*self.backend {
            Backend::Embedded(_) => {
                let Some(pipe) = &self.pipe else {
                    return Ok(None);
                };
                let state = {
                    let mut held = pipe.state.lock();
                    let db = held.db;
                    std::mem::replace(&mut *held, ClientState::new(db))
                };
                let sub = super::subscriber::Subscriber::taking_over(
                    self.backend.clone(),
                    state,
                    self.dec.clone(),
                );
                Ok(Some(Py::new(py, sub)?.into_any()))
            }
            Backend::Remote(remote) => {
                let Some(conn) = remote.take_single() else {
                    return Ok(None);
                };
                let sub = self.remote_subscriber(py, remote)?;
                sub.adopt(conn);
                Ok(Some(Py::new(py, sub)?.into_any()))
            }
            Backend::Cluster(_) => Ok(None),
        }
    }

    /// A pub/sub connection to `remote`'s server on this client's database
    /// (a Sentinel-managed pool's: on the current master), not yet open.
    fn remote_subscriber(
        &self,
        py: Python<'_>,
        remote: &remote::Remote,
    ) -> PyResult<super::remote_pubsub::RemoteSubscriber> {
        let mut config = remote
            .pool
            .resolved_config()
            .map_err(|e| remote::exception(py, &e))?;
        config.db = self.db.load(Ordering::Relaxed);
        Ok(super::remote_pubsub::RemoteSubscriber::new(
            Arc::new(config),
            remote.pool.resolver(),
            remote.retry_obj(py),
            self.dec.clone(),
        ))
    }
}

/// The engine `name` (or a private one) with startup settings `config`
/// (redis-server's command-line settings): settings that name a `dir` or
/// turn `appendonly` on make it own that directory and load what is there
/// ([`Engine::open`]). The outer error is a bad setting; the inner one a
/// lock or load failure.
pub(crate) fn open_startup(
    py: Python<'_>,
    name: Option<&str>,
    config: Option<Vec<(Vec<u8>, Vec<u8>)>>,
) -> PyResult<Result<Arc<Engine>, engine::OpenError>> {
    let persistent = config.as_ref().is_some_and(|p| {
        p.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(b"dir")
                || (k.eq_ignore_ascii_case(b"appendonly") && v.eq_ignore_ascii_case(b"yes"))
        })
    });
    let cfg = match config {
        None => None,
        Some(pairs) => {
            let pairs: Vec<(&[u8], &[u8])> = pairs
                .iter()
                .map(|(k, v)| (k.as_slice(), v.as_slice()))
                .collect();
            let mut cfg = engine::Config::default();
            cfg.set_startup(&pairs)
                .map_err(|e| errors::data_error(py, &e))?;
            Some(cfg)
        }
    };
    Ok(match (name, cfg) {
        (Some(n), Some(c)) if persistent => py.detach(|| engine::named_open(n, c)),
        (None, Some(c)) if persistent => py.detach(|| Engine::open(c)),
        (Some(n), cfg) => Ok(engine::named_with(n, cfg)),
        (None, cfg) => Ok(Engine::with_config(cfg.unwrap_or_default())),
    })
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (*, name=None, parent=None, db=0, decode_responses=false, encoding="utf-8", encoding_errors="strict", callbacks=None, pipeline=false, remote=None, single_connection_client=false, protocol=None, config=None, username=None, password=None, credential_provider=None, lib_name=None, lib_version=None, cluster=None, client_name=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: Option<&str>,
        parent: Option<Bound<'_, Client>>,
        db: usize,
        decode_responses: bool,
        encoding: &str,
        encoding_errors: &str,
        callbacks: Option<Bound<'_, PyAny>>,
        pipeline: bool,
        remote: Option<Bound<'_, RemotePool>>,
        single_connection_client: bool,
        protocol: Option<u8>,
        config: Option<Vec<(Vec<u8>, Vec<u8>)>>,
        username: Option<Vec<u8>>,
        password: Option<Vec<u8>>,
        credential_provider: Option<Py<PyAny>>,
        lib_name: Option<Vec<u8>>,
        lib_version: Option<Vec<u8>>,
        cluster: Option<Bound<'_, super::cluster::ClusterRouter>>,
        client_name: Option<Vec<u8>>,
    ) -> PyResult<Self> {
        let mut provider = credential_provider;
        // CLIENT SETINFO on connect; a value the server would refuse is
        // dropped, as redis-py ignores the error.
        let info = |v: Option<Vec<u8>>| {
            v.filter(|v| !v.is_empty() && v.iter().all(|c| (b'!'..=b'~').contains(c)))
                .map(Bytes::from)
        };
        let mut lib = (info(lib_name), info(lib_version));
        // CLIENT SETNAME on connect, as redis-py sends it (an empty name
        // sets none); a name the server would refuse fails the same way.
        if let Some(n) = &client_name {
            crate::commands::connection::check_client_name(n)
                .map_err(|e| errors::reply_error(py, e.to_string().as_bytes()))?;
        }
        let mut conn_name = client_name.filter(|n| !n.is_empty()).map(Bytes::from);
        // An embedded client authenticates on connect (its first command)
        // as redis-py does, and again whenever it reconnects.
        let mut credentials = password.map(|p| (username.map(Bytes::from), Bytes::from(p)));
        let (backend, db, dec, callbacks) = match parent {
            Some(p) => {
                let p = p.get();
                let ps = p.state.lock();
                credentials = ps.credentials.clone();
                lib = (ps.lib_name.clone(), ps.lib_ver.clone());
                conn_name = ps.setname.clone();
                drop(ps);
                provider = p.provider.as_ref().map(|x| x.clone_ref(py));
                (
                    p.backend.clone(),
                    p.db.load(Ordering::Relaxed),
                    p.dec.clone(),
                    p.callbacks.share(py)?,
                )
            }
            None => {
                let backend = match (&remote, &cluster) {
                    (_, Some(router)) => Backend::Cluster(router.get().inner.clone()),
                    (Some(pool), None) => {
                        Backend::Remote(Remote::new(py, pool.get(), single_connection_client))
                    }
                    (None, None) => {
                        // Startup settings, as redis-server's command line;
                        // naming a `dir` (or turning the AOF on) makes the
                        // engine own and load its directory.
                        let opened = open_startup(py, name, config)?;
                        Backend::Embedded(opened.map_err(|e| {
                            errors::named_error(py, "ConnectionError", &e.to_string())
                        })?)
                    }
                };
                // The wire protocol: a remote pool's, else RESP3 unless
                // the user asked for 2 (redis-py 8's default).
                let resp3 = match &backend {
                    Backend::Remote(r) => r.config().protocol == 3,
                    Backend::Embedded(_) | Backend::Cluster(_) => protocol != Some(2),
                };
                let dec = Decoder {
                    decode: decode_responses,
                    enc: Encoding::new(encoding, encoding_errors),
                    resp3,
                };
                let cbs = match callbacks {
                    Some(c) => Callbacks::new(&c)?,
                    None => Callbacks::new(PyDict::new(py).as_any())?,
                };
                (Arc::new(backend), db, dec, cbs)
            }
        };
        let databases = match &*backend {
            Backend::Embedded(e) => e.databases(),
            Backend::Remote(_) => usize::MAX,
            // A cluster has database 0 only.
            Backend::Cluster(_) => 1,
        };
        if db >= databases {
            return Err(errors::reply_error(py, b"ERR DB index is out of range"));
        }
        let resp3 = dec.resp3;
        let state = || {
            let mut s = client_state(db, resp3);
            s.credentials = credentials.clone();
            (s.lib_name, s.lib_ver) = lib.clone();
            s.setname = conn_name.clone();
            Mutex::new(s)
        };
        let pipe = pipeline.then(|| Pipe {
            queue: Mutex::new(Queue::default()),
            state: state(),
            immediate: AtomicBool::new(false),
            conn: Mutex::new(None),
        });
        Ok(Client {
            backend,
            db: AtomicUsize::new(db),
            state: state(),
            dec,
            callbacks,
            pipe,
            connected: AtomicBool::new(false),
            aio: AtomicBool::new(false),
            provider,
        })
    }

    /// Runs a command given as arguments, like redis-py's
    /// `execute_command(*args, **options)`. A multi-word first argument
    /// (`"CONFIG GET"`) is split; the reply is shaped by the response
    /// callback registered for that name.
    #[pyo3(signature = (*args, **options))]
    fn execute_command<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        options: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if args.is_empty() {
            return Err(errors::data_error(
                py,
                "execute_command requires a command name",
            ));
        }
        let first = args.get_item(0)?;
        let mut a = Args::new();
        match first.cast::<PyString>() {
            Ok(s) if s.to_cow()?.contains(' ') => {
                for part in s.to_cow()?.split_whitespace() {
                    a.push_bytes(part.as_bytes());
                }
            }
            _ => a.push(&first, this.encoding())?,
        }
        for item in args.iter().skip(1) {
            a.push(&item, this.encoding())?;
        }
        let shape = this.callbacks.for_name(py, &first)?;
        let mut flags = 0;
        // redis-py's EMPTY_RESPONSE option: the value to return instead of
        // an error reply (MGET with no keys answers []).
        let mut empty = None;
        if let Some(d) = &options {
            if let Some(v) = d.get_item("EMPTY_RESPONSE")? {
                d.del_item("EMPTY_RESPONSE")?;
                empty = Some(v);
            }
            if d.contains("NEVER_DECODE")? {
                flags |= Opts::NEVER_DECODE;
                d.del_item("NEVER_DECODE")?;
            }
            // Like redis-py, the key list (for client-side caching) is not
            // an option of the response callback.
            if d.contains("keys")? {
                d.del_item("keys")?;
            }
        }
        let opts = Opts {
            dict: options.map(|d| d.unbind()),
            flags,
            cast: None,
        };
        let argv = a.slices();
        let result = Self::run(slf, None, &argv, shape, opts);
        match (result, empty) {
            (Err(e), Some(v))
                if this.runs_now() && e.is_instance(py, &errors::response_error_type(py)?) =>
            {
                Ok(v)
            }
            (result, _) => result,
        }
    }

    /// The per-instance response callbacks (redis-py's `response_callbacks`):
    /// command name -> callable `(response, **options)` or a `Native` code.
    /// Changes apply to every method, the Rust ones included.
    #[getter]
    fn response_callbacks(&self, py: Python<'_>) -> Py<PyAny> {
        self.callbacks.get(py)
    }

    /// Replaces the response callbacks with any mapping; a plain dict is
    /// looked up on every call (upper-case names first), a `CallbackDict`
    /// only when it changes.
    #[setter]
    fn set_response_callbacks(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.callbacks.set(value)
    }

    /// True when replies are converted as from a RESP3 connection.
    #[getter]
    fn _resp3(&self) -> bool {
        self.dec.resp3
    }

    /// True when replies are decoded to `str`.
    #[getter]
    fn _decode_responses(&self) -> bool {
        self.dec.decode
    }

    /// The (encoding, errors) pair used for `str` arguments and replies.
    #[getter]
    fn _encoding(&self) -> (String, String) {
        (self.dec.enc.encoding.clone(), self.dec.enc.errors.clone())
    }

    /// The database this handle is using.
    #[getter]
    fn _db(&self) -> usize {
        match &self.pipe {
            Some(p) => p.state.lock().db,
            None => self.db.load(Ordering::Relaxed),
        }
    }

    /// True if this is a pipeline object.
    #[getter]
    fn _is_pipeline(&self) -> bool {
        self.pipe.is_some()
    }

    /// Switches a pipeline between queueing and immediate execution (after
    /// WATCH, until MULTI).
    fn _set_immediate(&self, on: bool) -> PyResult<()> {
        self.pipe()?.immediate.store(on, Ordering::Release);
        Ok(())
    }

    /// With `on`, a blocked command returns a `Pending` to await instead
    /// of waiting (`redcore.asyncio`'s embedded clients).
    fn _set_async(&self, on: bool) {
        self.aio.store(on, Ordering::Relaxed);
    }

    /// Takes the queued commands out of a pipeline (`redcore.asyncio`
    /// sends them on its own connections).
    fn _take_batch(&self) -> PyResult<Batch> {
        Ok(Batch::new(std::mem::take(&mut *self.pipe()?.queue.lock())))
    }

    /// A new pub/sub connection sharing this client's backend and settings.
    /// With `take_over`, the connection of a pool's connection client
    /// (its engine client, or its socket) becomes the subscriber, keeping
    /// its id and state, as a socket that subscribes does.
    #[pyo3(signature = (take_over=false))]
    fn _subscriber(&self, py: Python<'_>, take_over: bool) -> PyResult<Py<PyAny>> {
        if take_over {
            if let Some(sub) = self.take_over_connection(py)? {
                return Ok(sub);
            }
        }
        Ok(match &*self.backend {
            Backend::Remote(remote) => Py::new(py, self.remote_subscriber(py, remote)?)?.into_any(),
            Backend::Embedded(_) => Py::new(
                py,
                super::subscriber::Subscriber::new(
                    self.backend.clone(),
                    self.db.load(Ordering::Relaxed),
                    self.dec.clone(),
                    match &self.provider {
                        Some(p) => {
                            let (user, pass) = super::remote::provider_credentials(p.bind(py))?;
                            Some((user.map(Bytes::from), Bytes::from(pass)))
                        }
                        None => self.state.lock().credentials.clone(),
                    },
                ),
            )?
            .into_any(),
            // redcore.cluster.ClusterPubSub subscribes through the nodes' clients.
            Backend::Cluster(_) => {
                return Err(PyTypeError::new_err(
                    "a cluster client subscribes through its nodes (RedisCluster.pubsub())",
                ))
            }
        })
    }

    /// True when this client talks to a server over the network.
    #[getter]
    fn _is_remote(&self) -> bool {
        matches!(&*self.backend, Backend::Remote(_) | Backend::Cluster(_))
    }

    /// Closes the idle connections of this client's pool (and its single
    /// connection).
    #[pyo3(signature = (pool=true))]
    fn _disconnect(&self, pool: bool) {
        match &*self.backend {
            Backend::Remote(remote) => {
                remote.close_single();
                if pool {
                    remote.pool.disconnect();
                }
            }
            Backend::Cluster(router) if pool => router.disconnect(),
            _ => {}
        }
    }

    /// Number of queued commands (`Pipeline.__len__`; a plain client has
    /// no length, so `bool(client)` is always true).
    fn _queued_len(&self) -> usize {
        self.pipe.as_ref().map_or(0, |p| p.queue.lock().len())
    }

    /// Queued command arguments, for error messages.
    fn _queued_args<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pipe = self.pipe()?;
        let q = pipe.queue.lock();
        let all = q.all_args();
        let out = PyList::empty(py);
        for item in &q.cmds {
            let parts: Vec<Bound<'py, PyAny>> = all[item.first..item.first + item.nargs]
                .iter()
                .map(|a| self.dec.force_str(py, a))
                .collect::<PyResult<_>>()?;
            out.append(PyTuple::new(py, parts)?)?;
        }
        Ok(out)
    }

    /// Drops queued commands and any WATCH (Pipeline.reset()).
    fn _reset_pipeline(&self, py: Python<'_>) -> PyResult<()> {
        let pipe = self.pipe()?;
        pipe.queue.lock().clear();
        pipe.immediate.store(false, Ordering::Release);
        match &*self.backend {
            Backend::Embedded(engine) => {
                let watching = {
                    let mut state = pipe.state.lock();
                    state.multi = None;
                    if state.watched.is_empty() {
                        if let Some(flag) = &state.watch_flag {
                            flag.store(false, Ordering::Release);
                        }
                    }
                    !state.watched.is_empty()
                };
                // Only WATCHed keys need the store; its lock may be held by
                // a long script, so it is waited for without the GIL.
                if watching {
                    py.detach(|| {
                        let mut state = pipe.state.lock();
                        let mut store = engine.lock();
                        commands::transactions::unwatch_all(&mut store, &mut state);
                    });
                }
            }
            Backend::Remote(remote) => {
                pipe.state.lock().multi = None;
                remote.release_slot(py, &pipe.conn, Some(&[b"UNWATCH"]));
            }
            Backend::Cluster(_) => pipe.state.lock().multi = None,
        }
        Ok(())
    }

    /// Runs the queued commands and returns their shaped replies, with
    /// error replies as exception instances (not raised). With
    /// `transaction`, they run inside MULTI/EXEC: a changed WATCHed key
    /// raises `WatchError`, a rejected command `ExecAbortError`.
    #[pyo3(signature = (transaction, raise_on_error=true))]
    fn _run_pipeline<'py>(
        &self,
        py: Python<'py>,
        transaction: bool,
        raise_on_error: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let pipe = self.pipe()?;
        let queue = std::mem::take(&mut *pipe.queue.lock());
        let out = PyList::empty(py);
        if queue.len() == 0 && !transaction {
            return Ok(out);
        }
        let all = queue.all_args();
        let argvs: Vec<&[&[u8]]> = queue
            .cmds
            .iter()
            .map(|q| &all[q.first..q.first + q.nargs])
            .collect();
        let mut batch: Vec<(Option<&'static Command>, &[&[u8]])> =
            Vec::with_capacity(argvs.len() + 2);
        const MULTI: &[&[u8]] = &[b"MULTI"];
        const EXEC: &[&[u8]] = &[b"EXEC"];
        if transaction {
            batch.push((None, MULTI));
        }
        batch.extend(queue.cmds.iter().zip(&argvs).map(|(q, a)| (q.cmd, *a)));
        if transaction {
            batch.push((None, EXEC));
        }
        if !queue.cmds.is_empty() || transaction {
            self.refresh_credentials(py, &pipe.state)?;
        }
        let frames = match &*self.backend {
            Backend::Embedded(engine) => {
                let run = || {
                    let mut state = pipe.state.lock();
                    engine.execute_batch_cmds(&mut state, &batch)
                };
                if batch.iter().any(|(c, a)| self.may_wait(*c, a)) {
                    py.detach(run)
                } else {
                    run()
                }
            }
            Backend::Remote(remote) => {
                let argvs: Vec<&[&[u8]]> = batch.iter().map(|(_, a)| *a).collect();
                let watching = pipe.conn.lock().is_some();
                let slot = watching.then_some(&pipe.conn);
                let db = self.db.load(Ordering::Relaxed);
                let result = remote.execute_batch(py, db, &argvs, slot);
                pipe.immediate.store(false, Ordering::Release);
                if watching && transaction && result.is_ok() {
                    // EXEC ended the WATCH (run, aborted or not): the
                    // connection goes back without an UNWATCH, as redis-py's.
                    remote.release_slot(py, &pipe.conn, None);
                }
                result?
            }
            Backend::Cluster(router) => router.execute_batch(py, &batch, transaction)?,
        };
        pipe.immediate.store(false, Ordering::Release);
        finish_pipeline(py, &queue, frames, transaction, raise_on_error, &self.dec)
    }
}

/// A pipeline's replies (MULTI/QUEUED.../EXEC with `transaction`) as
/// `Pipeline.execute()` returns them; with `raise_on_error` the first
/// error reply is raised, annotated with its command.
pub(crate) fn finish_pipeline<'py>(
    py: Python<'py>,
    queue: &Queue,
    frames: Vec<Frame>,
    transaction: bool,
    raise_on_error: bool,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyList>> {
    let all = queue.all_args();
    let argvs: Vec<&[&[u8]]> = queue
        .cmds
        .iter()
        .map(|q| &all[q.first..q.first + q.nargs])
        .collect();
    let out = PyList::empty(py);
    // Without MULTI only an error reply becomes an exception: where the
    // first one is is known while converting, with no isinstance scan.
    let mut scan = true;
    let out = if transaction {
        transaction_results(py, &queue.cmds, &argvs, frames, dec, out)?
    } else {
        let mut first_error = None;
        for (i, (q, f)) in queue.cmds.iter().zip(frames).enumerate() {
            if first_error.is_none() && matches!(f, Frame::Error(_)) {
                first_error = Some(i);
            }
            out.append(shape_or_exception(py, f, q, dec)?)?;
        }
        scan = first_error.is_some();
        out
    };
    if raise_on_error && scan {
        let response_error = errors::response_error_type(py)?;
        for (i, item) in out.iter().enumerate() {
            if item.is_instance(&response_error)? {
                annotate(py, &item, i + 1, argvs[i])?;
                return Err(PyErr::from_value(item));
            }
        }
    }
    Ok(out)
}

/// A connection's state, speaking RESP3 when `resp3`.
fn client_state(db: usize, resp3: bool) -> ClientState {
    let mut state = ClientState::new(db);
    state.resp3 = resp3;
    state
}

/// A reply shaped by its callback, or the exception for an error reply.
fn shape_or_exception<'py>(
    py: Python<'py>,
    f: Frame,
    q: &Queued,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    match &f {
        Frame::Error(e) => errors::reply_exception(py, e),
        _ => reply::convert(py, f, &q.shape, &q.opts, dec),
    }
}

/// Maps MULTI / QUEUED... / EXEC replies to per-command results the way
/// redis-py's transactional pipeline does.
fn transaction_results<'py>(
    py: Python<'py>,
    queued: &[Queued],
    argvs: &[&[&[u8]]],
    frames: Vec<Frame>,
    dec: &Decoder,
    out: Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyList>> {
    let n = queued.len();
    let mut frames = frames.into_iter();
    let _multi = frames.next();
    let mut queue_errors: Vec<(usize, Bound<'py, PyAny>)> = Vec::new();
    for (i, _) in queued.iter().enumerate() {
        if let Some(Frame::Error(e)) = frames.next() {
            let exc = errors::reply_exception(py, &e)?;
            annotate(py, &exc, i + 1, argvs[i])?;
            queue_errors.push((i, exc));
        }
    }
    let exec = frames.next().unwrap_or(Frame::NullArray);
    let replies = match exec {
        Frame::Error(e) => {
            if let Some((_, first)) = queue_errors.into_iter().next() {
                return Err(PyErr::from_value(first));
            }
            return Err(errors::reply_error(py, &e));
        }
        Frame::NullArray | Frame::Null => {
            return Err(errors::watch_error(py, "Watched variable changed."))
        }
        Frame::Array(items) => items,
        other => vec![other],
    };
    // One reply per command that was queued without error, in order.
    if replies.len() + queue_errors.len() != n {
        return Err(errors::reply_error(
            py,
            b"ERR Wrong number of response items from pipeline execution",
        ));
    }
    let mut replies = replies.into_iter();
    let mut qe = queue_errors.into_iter().peekable();
    for (i, q) in queued.iter().enumerate() {
        match qe.next_if(|(at, _)| *at == i) {
            Some((_, exc)) => out.append(exc)?,
            None => {
                let f = replies.next().unwrap_or(Frame::Null);
                out.append(shape_or_exception(py, f, q, dec)?)?
            }
        }
    }
    Ok(out)
}

/// Prefixes an exception's message with the failing command, as redis-py's
/// `annotate_exception` does.
pub fn annotate(
    py: Python<'_>,
    exc: &Bound<'_, PyAny>,
    number: usize,
    argv: &[&[u8]],
) -> PyResult<()> {
    // Like redis-py's safe_str: UTF-8 whatever the client's encoding, with
    // replacement characters for binary arguments (msgpack, pickles).
    let parts: Vec<_> = argv.iter().map(|a| String::from_utf8_lossy(a)).collect();
    let cmd = parts.join(" ");
    let kwargs = PyDict::new(py);
    kwargs.set_item("width", 100)?;
    kwargs.set_item("placeholder", "...")?;
    kwargs.set_item("break_long_words", true)?;
    let short = py
        .import("textwrap")?
        .call_method("shorten", (cmd,), Some(&kwargs))?;
    let args = exc.getattr("args")?;
    let args = args.cast::<PyTuple>()?;
    let first = if args.is_empty() {
        String::new()
    } else {
        args.get_item(0)?.str()?.to_string()
    };
    let msg = format!("Command # {number} ({short}) of pipeline caused error: {first}");
    let mut new_args: Vec<Bound<'_, PyAny>> = vec![PyString::new(py, &msg).into_any()];
    new_args.extend(args.iter().skip(1));
    exc.setattr("args", PyTuple::new(py, new_args)?)?;
    Ok(())
}
