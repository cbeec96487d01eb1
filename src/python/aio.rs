//! The Rust half of `redcore.asyncio`.
//!
//! Commands are built by the same methods as the sync client: an async
//! client keeps a pipeline-mode [`Client`] (the *recorder*) whose methods
//! queue the encoded command with its response shape; [`Batch`] takes that
//! queue out. Then:
//!
//! - on the network, an [`AioConn`] (one per connection, fed by an
//!   `asyncio.Protocol`) appends the commands to its output buffer, keeps
//!   one expectation per awaiting future, parses the replies as they
//!   arrive and resolves the futures in order. Reading never belongs to
//!   the awaiting task, so a task cancelled mid-wait cannot leave the
//!   connection out of step: its reply is parsed and dropped.
//! - on the embedded engine, a blocking command that must wait comes back
//!   as a [`Pending`]: the engine's wait slot writes a byte to the event
//!   loop's wake-up socket when the reply is there, and the loop takes it.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::client::{finish_pipeline, Client, Queue, Queued};
use super::cluster::ClusterRouter;
use super::errors;
use super::reply::{self, Decoder, Native, Opts, Shape};
use crate::client::slots::{self, Route};
use crate::commands::{self, flags};
use crate::engine::blocking::Blocked;
use crate::engine::Engine;
use crate::resp::{self, Frame, Parser};

/// A queued command's table row (looked up by its name when it was
/// queued without one) and where its keys send it in a cluster.
fn route_of(c: &Queued, all: &[&[u8]]) -> (Option<&'static commands::Command>, Route) {
    let argv = &all[c.first..c.first + c.nargs];
    let cmd = c
        .cmd
        .or_else(|| argv.first().and_then(|n| commands::lookup(n)));
    (cmd, slots::route(cmd, argv))
}

/// Commands taken out of a recorder client's queue, ready to send.
#[pyclass(module = "redcore._redcore", name = "Batch")]
pub struct Batch {
    queue: Mutex<Option<Queue>>,
}

impl Batch {
    pub(crate) fn new(queue: Queue) -> Batch {
        Batch {
            queue: Mutex::new(Some(queue)),
        }
    }

    fn take(&self) -> PyResult<Queue> {
        self.queue
            .lock()
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("batch already sent"))
    }
}

#[pymethods]
impl Batch {
    /// True when a command of the batch may block the connection (BLPOP,
    /// XREAD BLOCK...): it needs a connection of its own.
    #[getter]
    fn blocking(&self) -> bool {
        let q = self.queue.lock();
        let Some(q) = q.as_ref() else { return false };
        let all = q.all_args();
        q.cmds.iter().any(|c| {
            let argv = &all[c.first..c.first + c.nargs];
            let cmd = c
                .cmd
                .or_else(|| argv.first().and_then(|n| commands::lookup(n)));
            cmd.is_some_and(|c| c.timeout.seconds(argv).is_some())
        })
    }

    /// Number of commands.
    fn __len__(&self) -> usize {
        self.queue.lock().as_ref().map_or(0, |q| q.len())
    }

    /// The hash slot of the batch's one command when it names keys that
    /// all map to one slot (None: several commands, no key, or keys in
    /// different slots), from the command table's key specs.
    fn slot(&self) -> Option<u16> {
        let q = self.queue.lock();
        let q = q.as_ref()?;
        let [c] = q.cmds.as_slice() else {
            return None;
        };
        match route_of(c, &q.all_args()).1 {
            Route::Slot(s) => Some(s),
            _ => None,
        }
    }

    /// True when a command of the batch changes its connection's
    /// database or name (SELECT, CLIENT SETNAME, HELLO, RESET, SWAPDB is
    /// not one): the connection's state is not known any more.
    #[getter]
    fn changes_state(&self) -> bool {
        let q = self.queue.lock();
        let Some(q) = q.as_ref() else { return false };
        let all = q.all_args();
        q.cmds.iter().any(|c| {
            let argv = &all[c.first..c.first + c.nargs];
            match argv {
                [name, ..] if name.eq_ignore_ascii_case(b"select") => true,
                [name, ..] if name.eq_ignore_ascii_case(b"reset") => true,
                [name, ..] if name.eq_ignore_ascii_case(b"hello") => true,
                [name, sub, ..] if name.eq_ignore_ascii_case(b"client") => {
                    sub.eq_ignore_ascii_case(b"setname")
                }
                [name, ..] => name.eq_ignore_ascii_case(b"client setname"),
                [] => false,
            }
        })
    }

    /// The index of the cluster node `router` sends this batch's one
    /// command to: the node of its keys' slot (a replica, for a read-only
    /// command, as the router's load-balancing strategy says). None for
    /// several commands, a keyless command, keys in several slots, or an
    /// uncovered slot.
    fn node(&self, router: &Bound<'_, ClusterRouter>) -> Option<usize> {
        let q = self.queue.lock();
        let q = q.as_ref()?;
        let [c] = q.cmds.as_slice() else {
            return None;
        };
        let (cmd, Route::Slot(slot)) = route_of(c, &q.all_args()) else {
            return None;
        };
        let read_only = cmd.is_some_and(|c| c.has(flags::READONLY));
        let inner = &router.get().inner;
        inner.pick(&inner.topology(), Some(slot), read_only)
    }

    /// The batch grouped by the cluster node each command goes to, as the
    /// cluster pipeline groups it: `(node index, batch of copies of its
    /// commands, their positions in this batch)` per node. A keyless
    /// command goes to the default node. None when a slot is not covered
    /// by the map; keys of several slots in one command raise
    /// `RedisClusterException`. This batch is left as it is.
    #[allow(clippy::type_complexity)]
    fn split(
        &self,
        py: Python<'_>,
        router: &Bound<'_, ClusterRouter>,
    ) -> PyResult<Option<Vec<(usize, Batch, Vec<usize>)>>> {
        let q = self.queue.lock();
        let q = q
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("batch already sent"))?;
        let all = q.all_args();
        let inner = &router.get().inner;
        let topo = inner.topology();
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, c) in q.cmds.iter().enumerate() {
            let (cmd, route) = route_of(c, &all);
            let slot = match route {
                Route::Slot(s) => Some(s),
                Route::Keyless => None,
                Route::CrossSlot => {
                    let argv = &all[c.first..c.first + c.nargs];
                    let name = String::from_utf8_lossy(argv.first().copied().unwrap_or(b""))
                        .to_uppercase();
                    return Err(errors::named_error(
                        py,
                        "RedisClusterException",
                        &format!("{name} - all keys must map to the same key slot"),
                    ));
                }
            };
            let read_only = cmd.is_some_and(|c| c.has(flags::READONLY));
            match inner.pick(&topo, slot, read_only) {
                Some(node) => groups.entry(node).or_default().push(i),
                None => return Ok(None),
            }
        }
        Ok(Some(
            groups
                .into_iter()
                .map(|(node, idx)| (node, Batch::new(q.subset(py, &idx)), idx))
                .collect(),
        ))
    }

    /// Rewrites `exc` (the error reply of command `index`) as a pipeline
    /// reports it: "Command # n (ARGS) of pipeline caused error: ...".
    fn annotate(&self, py: Python<'_>, exc: Bound<'_, PyAny>, index: usize) -> PyResult<()> {
        let q = self.queue.lock();
        let q = q
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("batch already sent"))?;
        let c = q
            .cmds
            .get(index)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("no such command"))?;
        let all = q.all_args();
        super::client::annotate(py, &exc, index + 1, &all[c.first..c.first + c.nargs])
    }

    /// A batch of the same commands, to send again if this one's replies
    /// are lost (a retry).
    fn copy(&self, py: Python<'_>) -> PyResult<Batch> {
        let q = self.queue.lock();
        let q = q
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("batch already sent"))?;
        Ok(Batch::new(q.copy(py)))
    }
}

/// What one awaiting future expects from the connection.
enum Expect {
    /// One reply, shaped by the command's callback.
    One {
        shape: Shape,
        opts: Opts,
        fut: Py<PyAny>,
    },
    /// `n` replies of a pipeline (MULTI and EXEC included), shaped as
    /// `Pipeline.execute()` returns them.
    Many {
        queue: Queue,
        transaction: bool,
        raise_on_error: bool,
        n: usize,
        frames: Vec<Frame>,
        fut: Py<PyAny>,
    },
}

/// One asyncio connection: output buffer, reply parser, and the futures
/// awaiting replies, in the order their commands were written.
#[pyclass(module = "redcore._redcore", name = "AioConn")]
pub struct AioConn {
    inner: Mutex<ConnState>,
    dec: Decoder,
}

struct ConnState {
    out: Vec<u8>,
    parser: Parser,
    pending: VecDeque<Expect>,
}

/// Resolves `fut` with `result` unless it was cancelled meanwhile.
fn resolve(py: Python<'_>, fut: &Py<PyAny>, result: PyResult<Bound<'_, PyAny>>) -> PyResult<()> {
    let fut = fut.bind(py);
    if fut.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    match result {
        Ok(v) => fut.call_method1("set_result", (v,))?,
        Err(e) => fut.call_method1("set_exception", (e.into_value(py),))?,
    };
    Ok(())
}

impl AioConn {
    fn finish(&self, py: Python<'_>, e: Expect) -> PyResult<()> {
        match e {
            Expect::One { .. } => Ok(()),
            Expect::Many {
                queue,
                transaction,
                raise_on_error,
                frames,
                fut,
                ..
            } => {
                let r = finish_pipeline(py, &queue, frames, transaction, raise_on_error, &self.dec);
                resolve(py, &fut, r.map(|l| l.into_any()))
            }
        }
    }
}

#[pymethods]
impl AioConn {
    /// A connection whose replies are decoded like `client`'s.
    #[new]
    fn new(client: &Bound<'_, Client>) -> Self {
        AioConn {
            inner: Mutex::new(ConnState {
                out: Vec::new(),
                parser: Parser::new(),
                pending: VecDeque::new(),
            }),
            dec: client.get().dec.clone(),
        }
    }

    /// Queues `batch` for writing; `fut` gets the reply of its single
    /// command (`pipeline` false), or the list `Pipeline.execute()`
    /// returns (inside MULTI/EXEC with `transaction`).
    #[pyo3(signature = (batch, fut, pipeline=false, transaction=false, raise_on_error=true))]
    fn send(
        &self,
        batch: &Batch,
        fut: Py<PyAny>,
        pipeline: bool,
        transaction: bool,
        raise_on_error: bool,
    ) -> PyResult<()> {
        let mut queue = batch.take()?;
        let mut st = self.inner.lock();
        let all = queue.all_args();
        if !pipeline {
            if queue.cmds.len() != 1 {
                return Err(PyRuntimeError::new_err("expected one queued command"));
            }
            resp::encode_command(&mut st.out, &all);
            drop(all);
            let q = queue.cmds.pop().expect("one command");
            st.pending.push_back(Expect::One {
                shape: q.shape,
                opts: q.opts,
                fut,
            });
            return Ok(());
        }
        if transaction {
            resp::encode_command(&mut st.out, &[b"MULTI"]);
        }
        for c in &queue.cmds {
            resp::encode_command(&mut st.out, &all[c.first..c.first + c.nargs]);
        }
        if transaction {
            resp::encode_command(&mut st.out, &[b"EXEC"]);
        }
        let n = queue.cmds.len() + if transaction { 2 } else { 0 };
        drop(all);
        st.pending.push_back(Expect::Many {
            queue,
            transaction,
            raise_on_error,
            n,
            frames: Vec::with_capacity(n),
            fut,
        });
        Ok(())
    }

    /// Queues a command given as byte strings; `fut` gets the raw reply
    /// (connection set-up: HELLO, AUTH, SELECT), its strings left bytes
    /// with `never_decode` (redis.asyncio's `read_response` decodes them
    /// unless asked not to).
    #[pyo3(signature = (args, fut, never_decode=false))]
    fn send_raw(&self, args: Vec<Vec<u8>>, fut: Py<PyAny>, never_decode: bool) {
        let mut st = self.inner.lock();
        resp::encode_command(&mut st.out, &args);
        let opts = if never_decode {
            Opts::native(Opts::NEVER_DECODE, None)
        } else {
            Opts::default()
        };
        st.pending.push_back(Expect::One {
            shape: Shape::Native(Native::Raw),
            opts,
            fut,
        });
    }

    /// Queues a command given as byte strings whose reply is not awaited
    /// (a pub/sub connection: replies arrive as messages, `feed_frames`).
    fn write(&self, args: Vec<Vec<u8>>) {
        resp::encode_command(&mut self.inner.lock().out, &args);
    }

    /// Parses `data` and returns every complete reply as is (a pub/sub
    /// connection: no futures to match); an error reply becomes its
    /// exception instance. With `raw`, strings stay bytes. With `pushes`,
    /// whether each is a RESP3 push frame is appended to that list.
    #[pyo3(signature = (data, raw=false, pushes=None))]
    fn feed_frames<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        raw: bool,
        pushes: Option<&Bound<'py, PyList>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let undecoded;
        let dec = if raw && self.dec.decode {
            undecoded = Decoder {
                decode: false,
                enc: self.dec.enc.clone(),
                resp3: self.dec.resp3,
            };
            &undecoded
        } else {
            &self.dec
        };
        let out = PyList::empty(py);
        let mut st = self.inner.lock();
        st.parser.feed(data);
        loop {
            let frame = match st.parser.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(out),
                Err(e) => return Err(errors::named_error(py, "InvalidResponse", &e.message())),
            };
            if let Some(pushes) = pushes {
                pushes.append(matches!(frame, Frame::Push(_)))?;
            }
            match frame {
                Frame::Error(e) => out.append(errors::reply_exception(py, &e)?)?,
                f => out.append(reply::to_py(py, &f, dec)?)?,
            }
        }
    }

    /// The bytes to write, taken out of the buffer (None when empty).
    fn take_output<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let mut st = self.inner.lock();
        if st.out.is_empty() {
            return None;
        }
        let b = PyBytes::new(py, &st.out);
        st.out.clear();
        Some(b)
    }

    /// Number of futures still waiting for a reply.
    fn __len__(&self) -> usize {
        self.inner.lock().pending.len()
    }

    /// Parses `data` and resolves the futures whose replies are complete.
    /// RESP3 push frames (client tracking) are skipped. A protocol error
    /// is raised: the caller drops the connection.
    fn feed(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        self.inner.lock().parser.feed(data);
        loop {
            let (frame, done) = {
                let mut st = self.inner.lock();
                let frame = match st.parser.next_frame() {
                    Ok(Some(f)) => f,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(errors::named_error(py, "InvalidResponse", &e.message())),
                };
                if matches!(frame, Frame::Push(_)) {
                    continue;
                }
                match st.pending.front_mut() {
                    None => {
                        return Err(errors::named_error(
                            py,
                            "InvalidResponse",
                            "reply without a request",
                        ))
                    }
                    Some(Expect::Many { n, frames, .. }) => {
                        frames.push(frame);
                        if frames.len() < *n {
                            continue;
                        }
                        (None, st.pending.pop_front())
                    }
                    Some(Expect::One { .. }) => (Some(frame), st.pending.pop_front()),
                }
            };
            // Python runs below (callbacks, set_result): no lock held.
            match (frame, done) {
                (Some(f), Some(Expect::One { shape, opts, fut })) => {
                    let r = reply::convert(py, f, &shape, &opts, &self.dec);
                    resolve(py, &fut, r)?;
                }
                (_, Some(e)) => self.finish(py, e)?,
                _ => {}
            }
        }
    }

    /// Fails every waiting future with `exc` (the connection is gone)
    /// and forgets unsent output.
    fn fail_all(&self, py: Python<'_>, exc: Bound<'_, PyAny>) -> PyResult<()> {
        let pending = {
            let mut st = self.inner.lock();
            st.out.clear();
            st.parser.reset();
            std::mem::take(&mut st.pending)
        };
        for e in pending {
            let fut = match &e {
                Expect::One { fut, .. } | Expect::Many { fut, .. } => fut,
            };
            let f = fut.bind(py);
            if !f.call_method0("done")?.is_truthy()? {
                f.call_method1("set_exception", (exc.clone(),))?;
            }
        }
        Ok(())
    }
}

/// An embedded blocking command waiting for its reply.
#[pyclass(module = "redcore._redcore", name = "Pending")]
pub struct Pending {
    engine: Arc<Engine>,
    blocked: Blocked,
    shape: Shape,
    opts: Opts,
    dec: Decoder,
}

impl Pending {
    pub(crate) fn new(
        engine: Arc<Engine>,
        blocked: Blocked,
        shape: Shape,
        opts: Opts,
        dec: Decoder,
    ) -> Pending {
        Pending {
            engine,
            blocked,
            shape,
            opts,
            dec,
        }
    }
}

#[pymethods]
impl Pending {
    /// How long the command blocks, in seconds (None: forever).
    #[getter]
    fn timeout(&self) -> Option<f64> {
        (self.blocked.timeout_ms > 0).then(|| self.blocked.timeout_ms as f64 / 1000.0)
    }

    /// Writes one byte to file descriptor `fd` (a duplicate is kept) when
    /// the reply arrives, or at once if it is already there.
    fn notify(&self, fd: i32) -> PyResult<()> {
        // SAFETY: `dup` returns a new descriptor this closure owns.
        let dup = unsafe { libc::dup(fd) };
        if dup < 0 {
            return Err(PyOSError::new_err("dup failed"));
        }
        let owned = unsafe { OwnedFd::from_raw_fd(dup) };
        self.blocked.slot.on_ready(Box::new(move || {
            let mut f = std::fs::File::from(owned);
            // A full wake-up socket already holds a wake-up: ignore.
            let _ = f.write(b"!");
        }));
        Ok(())
    }

    /// `(True, reply)` when the reply is there, else `(False, None)`. An
    /// error reply raises.
    fn take<'py>(&self, py: Python<'py>) -> PyResult<(bool, Bound<'py, PyAny>)> {
        match self.blocked.slot.take() {
            Some(f) => Ok((
                true,
                reply::convert(py, f, &self.shape, &self.opts, &self.dec)?,
            )),
            None => Ok((false, py.None().into_bound(py))),
        }
    }

    /// Awaiting it waits for the reply without blocking the loop
    /// (`redcore.asyncio.connection.wait_pending`).
    fn __await__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let coro = py
            .import("redcore.asyncio.connection")?
            .getattr("wait_pending")?
            .call1((slf,))?;
        coro.call_method0("__await__")
    }

    /// Stops waiting (timeout or cancellation) and returns the reply: the
    /// one that raced in, else the command's timeout reply.
    fn cancel<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self
            .engine
            .cancel_block(self.blocked.id, &self.blocked.slot)
            .unwrap_or_else(|| self.blocked.timeout_reply.clone());
        reply::convert(py, f, &self.shape, &self.opts, &self.dec)
    }
}
