//! The cluster backend of `Client`: a slot map over one connection pool
//! per node, redirections (MOVED, ASK), TRYAGAIN / CLUSTERDOWN and
//! connection-error retries, and pipelines sent to every node at once.
//!
//! The slot of a command comes from the command table's key specs
//! ([`crate::client::slots`]). The topology itself (CLUSTER SHARDS
//! discovery, address remapping, ClusterNode objects) is kept by the
//! Python nodes manager (`redcore.cluster.NodesManager`), which hands the
//! router a new [`Topology`] whenever it changes; the router calls back
//! into it when a reply says the map is stale (`_moved`, `_node_index`,
//! `_connection_failed`, `_refresh`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use pyo3::prelude::*;

use super::errors;
use super::remote::{self, Remote, RemotePool};
use crate::client::slots::{self, redirect, Redirect, Route, SLOTS};
use crate::client::{Error, Pool};
use crate::commands::{self, flags, Command};
use crate::resp::{encode_command, Frame};

/// One command's arguments.
type Argv<'a> = &'a [&'a [u8]];

/// No shard serves the slot.
const UNCOVERED: u16 = u16::MAX;
/// Redirections followed for one command before giving up (redis-py's
/// `RedisClusterRequestTTL`).
const TTL: usize = 16;
const ASKING: &[&[u8]] = &[b"ASKING"];

/// Which node serves a read-only command.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Strategy {
    Primary = 0,
    RoundRobin = 1,
    RoundRobinReplicas = 2,
    RandomReplica = 3,
    Random = 4,
}

/// One consistent view of the cluster.
#[derive(Clone)]
pub(crate) struct Topology {
    nodes: Arc<Vec<Remote>>,
    /// The shard serving each slot, or [`UNCOVERED`].
    slot_shard: Vec<u16>,
    /// Each shard's node indexes: the primary first, then its replicas.
    shards: Vec<Vec<usize>>,
    /// The node of keyless commands.
    default: usize,
}

/// Routing state shared by a cluster client and its pipelines.
pub struct Router {
    topo: RwLock<Arc<Topology>>,
    /// The Python nodes manager (see the module docs).
    manager: Py<PyAny>,
    strategy: AtomicU8,
    rr: AtomicUsize,
    /// The cluster-level `Retry`: attempts and backoff for connection
    /// errors and CLUSTERDOWN.
    retry: Mutex<Option<Py<PyAny>>>,
}

fn sleep(py: Python<'_>, d: Duration) {
    py.detach(|| std::thread::sleep(d));
}

/// True for the exceptions a cluster retries after refreshing its map.
fn is_connection_error(py: Python<'_>, e: &PyErr) -> bool {
    let Ok(m) = py.import("redcore.exceptions") else {
        return false;
    };
    ["ConnectionError", "TimeoutError"]
        .iter()
        .any(|n| m.getattr(*n).is_ok_and(|c| e.is_instance(py, &c)))
}

/// Sends `argvs` on one connection of `pool` and reads every reply,
/// without the GIL (pipelines to several nodes run on several threads).
fn batch_nogil(pool: &Arc<Pool>, argvs: &[&[&[u8]]]) -> Result<Vec<Frame>, Error> {
    let mut lease = pool.lease()?;
    lease.wbuf.clear();
    for argv in argvs {
        encode_command(&mut lease.wbuf, argv);
    }
    lease.send()?;
    let timeout = lease.socket_timeout;
    let mut frames = Vec::with_capacity(argvs.len());
    while frames.len() < argvs.len() {
        match lease.read_frame(timeout)? {
            Frame::Push(_) => continue,
            f => frames.push(f),
        }
    }
    lease.release();
    Ok(frames)
}

impl Router {
    pub(crate) fn topology(&self) -> Arc<Topology> {
        self.topo.read().clone()
    }

    /// The node for `slot` (None: keyless, the default node).
    pub(crate) fn pick(
        &self,
        topo: &Topology,
        slot: Option<u16>,
        read_only: bool,
    ) -> Option<usize> {
        let Some(slot) = slot else {
            return (topo.default < topo.nodes.len()).then_some(topo.default);
        };
        let shard = topo.slot_shard[slot as usize];
        let nodes = topo.shards.get(shard as usize)?;
        let primary = *nodes.first()?;
        if !read_only || nodes.len() < 2 {
            return Some(primary);
        }
        let n = self.rr.fetch_add(1, Ordering::Relaxed);
        // A cheap spread for the random strategies: the counter mixed
        // with the clock.
        let spread = || {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as usize);
            n ^ nanos
        };
        Some(match self.strategy() {
            Strategy::Primary => primary,
            Strategy::Random => nodes[spread() % nodes.len()],
            Strategy::RoundRobin => nodes[n % nodes.len()],
            Strategy::RoundRobinReplicas => nodes[1 + n % (nodes.len() - 1)],
            Strategy::RandomReplica => nodes[1 + spread() % (nodes.len() - 1)],
        })
    }

    fn strategy(&self) -> Strategy {
        match self.strategy.load(Ordering::Relaxed) {
            1 => Strategy::RoundRobin,
            2 => Strategy::RoundRobinReplicas,
            3 => Strategy::RandomReplica,
            4 => Strategy::Random,
            _ => Strategy::Primary,
        }
    }

    /// Calls the nodes manager's `method`.
    fn call<'py, A: pyo3::call::PyCallArgs<'py>>(
        &self,
        py: Python<'py>,
        method: &str,
        args: A,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.manager.bind(py).call_method1(method, args)
    }

    /// Another attempt after `failures` failures with `exc`, after the
    /// cluster retry's backoff; false when the attempts are used up.
    fn retry_after(&self, py: Python<'_>, exc: &PyErr, failures: i64) -> PyResult<bool> {
        let retry = self.retry.lock().as_ref().map(|r| r.clone_ref(py));
        let Some(retry) = retry else {
            return Ok(false);
        };
        if !remote::retry_allows(py, retry.bind(py), exc, failures - 1)? {
            return Ok(false);
        }
        remote::sleep_backoff(py, retry.bind(py), failures)?;
        Ok(true)
    }

    /// Runs one command where its keys live, following redirections.
    pub fn execute(
        &self,
        py: Python<'_>,
        cmd: Option<&'static Command>,
        argv: &[&[u8]],
    ) -> PyResult<Frame> {
        let cmd = cmd.or_else(|| argv.first().and_then(|n| commands::lookup(n)));
        let slot = match slots::route(cmd, argv) {
            Route::Slot(s) => Some(s),
            Route::Keyless => None,
            Route::CrossSlot => {
                let name = String::from_utf8_lossy(argv[0]).to_uppercase();
                return Err(errors::named_error(
                    py,
                    "RedisClusterException",
                    &format!("{name} - all keys must map to the same key slot"),
                ));
            }
        };
        let read_only = cmd.is_some_and(|c| c.has(flags::READONLY));
        let at = cmd.map_or(commands::Timeout::None, |c| c.timeout);
        let mut ask: Option<usize> = None;
        let mut failures: i64 = 0;
        for _ in 0..TTL {
            let topo = self.topology();
            let node = match ask {
                Some(n) => n,
                None => match self.pick(&topo, slot, read_only) {
                    Some(n) => n,
                    None => {
                        self.call(py, "_refresh", ())?;
                        let topo = self.topology();
                        if self.pick(&topo, slot, read_only).is_none() {
                            let msg = format!(
                                "Slot \"{}\" not covered by the cluster.",
                                slot.unwrap_or(0)
                            );
                            return Err(errors::named_error(py, "SlotNotCoveredError", &msg));
                        }
                        continue;
                    }
                },
            };
            let Some(remote) = topo.nodes.get(node) else {
                ask = None;
                continue;
            };
            let result = if ask.take().is_some() {
                remote
                    .execute_batch(py, 0, &[ASKING, argv], None)
                    .map(|mut frames| frames.pop().unwrap_or(Frame::Null))
            } else {
                let timeout =
                    crate::client::timeouts::read_timeout(remote.config().socket_timeout, at, argv);
                remote.execute(py, 0, argv, timeout, None)
            };
            let msg = match result {
                Ok(Frame::Error(msg)) => msg,
                Ok(frame) => return Ok(frame),
                Err(e) if is_connection_error(py, &e) => {
                    failures += 1;
                    self.call(py, "_connection_failed", (node,))?;
                    if !self.retry_after(py, &e, failures)? {
                        return Err(e);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            match redirect(&msg) {
                Some(Redirect::Moved(slot, host, port)) => {
                    self.call(py, "_moved", (slot, host, port))?;
                }
                Some(Redirect::Ask(host, port)) => {
                    ask = Some(self.call(py, "_node_index", (host, port))?.extract()?);
                }
                Some(Redirect::TryAgain) => sleep(py, Duration::from_millis(50)),
                Some(Redirect::ClusterDown) => {
                    failures += 1;
                    let exc = errors::reply_error(py, &msg);
                    sleep(py, Duration::from_millis(250));
                    self.call(py, "_refresh", ())?;
                    if !self.retry_after(py, &exc, failures)? {
                        return Ok(Frame::Error(msg));
                    }
                }
                None => return Ok(Frame::Error(msg)),
            }
        }
        Err(errors::named_error(py, "ClusterError", "TTL exhausted."))
    }

    /// Runs a pipeline: with `transaction`, MULTI ... EXEC on the node of
    /// the commands' one slot; otherwise grouped by node and sent to every
    /// node at once, each group in one write on its own thread (without
    /// the GIL). Commands redirected or cut off by a connection error are
    /// then run one by one through [`Router::execute`]. Replies come back
    /// in queue order.
    pub fn execute_batch(
        &self,
        py: Python<'_>,
        batch: &[(Option<&'static Command>, &[&[u8]])],
        transaction: bool,
    ) -> PyResult<Vec<Frame>> {
        let mut routes = Vec::with_capacity(batch.len());
        for (cmd, argv) in batch {
            routes.push(match slots::route(*cmd, argv) {
                Route::Slot(s) => Some(s),
                Route::Keyless => None,
                Route::CrossSlot => {
                    let name = String::from_utf8_lossy(argv[0]).to_uppercase();
                    return Err(errors::named_error(
                        py,
                        "RedisClusterException",
                        &format!("{name} - all keys must map to the same key slot"),
                    ));
                }
            });
        }
        if transaction {
            return self.transaction(py, batch, &routes);
        }
        let topo = self.topology();
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut later: Vec<usize> = Vec::new();
        for (i, ((cmd, _), slot)) in batch.iter().zip(&routes).enumerate() {
            let read_only = cmd.is_some_and(|c| c.has(flags::READONLY));
            match self.pick(&topo, *slot, read_only) {
                Some(node) => groups.entry(node).or_default().push(i),
                None => later.push(i),
            }
        }
        let sends: Vec<(Arc<Pool>, Vec<Argv<'_>>)> = groups
            .iter()
            .map(|(node, idx)| {
                let argvs = idx.iter().map(|&i| batch[i].1).collect();
                (topo.nodes[*node].pool.clone(), argvs)
            })
            .collect();
        let results: Vec<Result<Vec<Frame>, Error>> = py.detach(|| {
            if sends.len() == 1 {
                return vec![batch_nogil(&sends[0].0, &sends[0].1)];
            }
            std::thread::scope(|s| {
                let handles: Vec<_> = sends[1..]
                    .iter()
                    .map(|(pool, argvs)| s.spawn(move || batch_nogil(pool, argvs)))
                    .collect();
                let mut out = vec![batch_nogil(&sends[0].0, &sends[0].1)];
                for h in handles {
                    out.push(h.join().unwrap_or_else(|_| {
                        Err(Error::new(
                            crate::client::ErrorKind::Connection,
                            "pipeline thread failed",
                            crate::client::Stage::Read,
                        ))
                    }));
                }
                out
            })
        });
        let mut out: Vec<Option<Frame>> = vec![None; batch.len()];
        let mut failed = false;
        let mut moved = false;
        for ((node, idx), result) in groups.iter().zip(results) {
            match result {
                Ok(frames) => {
                    for (&i, f) in idx.iter().zip(frames) {
                        match f {
                            Frame::Error(ref msg) if redirect(msg).is_some() => {
                                moved |= matches!(redirect(msg), Some(Redirect::Moved(..)));
                                later.push(i);
                            }
                            f => out[i] = Some(f),
                        }
                    }
                }
                Err(_) => {
                    if !failed {
                        self.call(py, "_connection_failed", (*node,))?;
                        failed = true;
                    }
                    later.extend(idx);
                }
            }
        }
        // Slots moved under the pipeline: reload the map once rather than
        // once per redirected command.
        if moved && !failed {
            self.call(py, "_refresh", ())?;
        }
        later.sort_unstable();
        for i in later {
            let (cmd, argv) = batch[i];
            out[i] = Some(self.execute(py, cmd, argv)?);
        }
        Ok(out.into_iter().map(|f| f.unwrap_or(Frame::Null)).collect())
    }

    /// A MULTI/EXEC batch on the node of its one slot.
    fn transaction(
        &self,
        py: Python<'_>,
        batch: &[(Option<&'static Command>, &[&[u8]])],
        routes: &[Option<u16>],
    ) -> PyResult<Vec<Frame>> {
        let mut slot = None;
        for s in routes.iter().flatten() {
            if slot.is_some_and(|prev| prev != *s) {
                return Err(errors::named_error(
                    py,
                    "CrossSlotTransactionError",
                    "Transaction spans multiple slots",
                ));
            }
            slot = Some(*s);
        }
        let argvs: Vec<&[&[u8]]> = batch.iter().map(|(_, a)| *a).collect();
        for _ in 0..TTL {
            let topo = self.topology();
            let Some(node) = self.pick(&topo, slot, false) else {
                self.call(py, "_refresh", ())?;
                continue;
            };
            let frames = topo.nodes[node].execute_batch(py, 0, &argvs, None)?;
            // A stale map shows in the first queued command's reply: move
            // and send the whole transaction again.
            if let Some(Frame::Error(msg)) = frames.get(1) {
                if let Some(Redirect::Moved(s, host, port)) = redirect(msg) {
                    self.call(py, "_moved", (s, host, port))?;
                    continue;
                }
            }
            return Ok(frames);
        }
        Err(errors::named_error(py, "ClusterError", "TTL exhausted."))
    }

    /// Closes every node's idle connections.
    pub fn disconnect(&self) {
        for node in self.topology().nodes.iter() {
            node.pool.disconnect();
        }
    }
}

/// The Python handle of a [`Router`], given to `Client(cluster=...)`.
#[pyclass(frozen, module = "redcore._redcore", name = "ClusterRouter")]
pub struct ClusterRouter {
    pub(crate) inner: Arc<Router>,
}

#[pymethods]
impl ClusterRouter {
    /// A router calling back `manager`, with the cluster's `retry`.
    #[new]
    #[pyo3(signature = (manager, retry=None))]
    fn new(manager: Py<PyAny>, retry: Option<Py<PyAny>>) -> Self {
        ClusterRouter {
            inner: Arc::new(Router {
                topo: RwLock::new(Arc::new(Topology {
                    nodes: Arc::new(Vec::new()),
                    slot_shard: vec![UNCOVERED; SLOTS],
                    shards: Vec::new(),
                    default: 0,
                })),
                manager,
                strategy: AtomicU8::new(0),
                rr: AtomicUsize::new(0),
                retry: Mutex::new(retry),
            }),
        }
    }

    /// Installs a topology: the node pools (by index), each shard's node
    /// indexes (primary first), the slot ranges `(start, end, shard)`,
    /// and the default node's index.
    fn _set_topology(
        &self,
        py: Python<'_>,
        pools: Vec<Bound<'_, RemotePool>>,
        shards: Vec<Vec<usize>>,
        ranges: Vec<(u16, u16, u16)>,
        default: usize,
    ) -> PyResult<()> {
        let mut slot_shard = vec![UNCOVERED; SLOTS];
        for (start, end, shard) in ranges {
            if start > end || end as usize >= SLOTS || shard as usize >= shards.len() {
                return Err(pyo3::exceptions::PyValueError::new_err("bad slot range"));
            }
            slot_shard[start as usize..=end as usize].fill(shard);
        }
        if shards.iter().flatten().any(|&n| n >= pools.len()) {
            return Err(pyo3::exceptions::PyValueError::new_err("bad node index"));
        }
        let nodes = pools
            .iter()
            .map(|p| Remote::new(py, p.get(), false))
            .collect::<Vec<_>>();
        *self.inner.topo.write() = Arc::new(Topology {
            nodes: Arc::new(nodes),
            slot_shard,
            shards,
            default,
        });
        Ok(())
    }

    /// Moves one slot to an installed shard (a MOVED reply), without
    /// installing the whole map again.
    fn _move_slot(&self, slot: u16, shard: u16) -> PyResult<()> {
        let mut guard = self.inner.topo.write();
        if slot as usize >= SLOTS || shard as usize >= guard.shards.len() {
            return Err(pyo3::exceptions::PyValueError::new_err("bad slot or shard"));
        }
        let mut topo = (**guard).clone();
        topo.slot_shard[slot as usize] = shard;
        *guard = Arc::new(topo);
        Ok(())
    }

    /// Sets how read-only commands pick a node: 0 the primary, 1 round
    /// robin over primary and replicas, 2 round robin over replicas, 3 a
    /// random replica, 4 a random node of the shard.
    fn _set_strategy(&self, strategy: u8) -> PyResult<()> {
        if strategy > 4 {
            return Err(pyo3::exceptions::PyValueError::new_err("bad strategy"));
        }
        self.inner.strategy.store(strategy, Ordering::Relaxed);
        Ok(())
    }

    /// Replaces the cluster-level retry.
    fn _set_retry(&self, retry: Option<Py<PyAny>>) {
        *self.inner.retry.lock() = retry;
    }

    /// The index of the node a command with these keys' slot goes to
    /// (None: uncovered); `read_only` applies the replica strategy.
    #[pyo3(signature = (slot, read_only=false))]
    fn _node_for_slot(&self, slot: u16, read_only: bool) -> Option<usize> {
        if slot as usize >= SLOTS {
            return None;
        }
        let topo = self.inner.topology();
        self.inner.pick(&topo, Some(slot), read_only)
    }
}

/// The hash slot of `key` (CRC16 of the key or its `{hash tag}`, mod 16384).
#[pyfunction]
pub fn key_slot(key: &[u8]) -> u16 {
    slots::key_slot(key)
}

/// The keys of a command, as the command table's key specs find them.
#[pyfunction]
pub fn command_keys(argv: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    slots::command_keys(None, &argv)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}
