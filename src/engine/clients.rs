//! The engine's registry of connected clients (CLIENT LIST / INFO / KILL,
//! ACL LOG's client-info): one entry per embedded client handle, pipeline
//! and pub/sub object, and per server connection.
//!
//! A server connection shows its socket as redis-server does (`addr` the
//! peer's `ip:port`, `laddr` the listening `ip:port`, a Unix socket as
//! `path:0` with flag `U`); an embedded client has no socket and shows
//! `addr=embedded:<id> laddr=embedded:0 fd=-1`, unique and in the same
//! `host:port` shape, so CLIENT KILL ADDR / LADDR and parsers of CLIENT
//! LIST handle both kinds alike.
//!
//! A client "connects" on its first command, as a redis-py connection
//! does: it is registered, authenticated as the default user if that needs
//! no password, then with the credentials it was configured with. A killed
//! client's next command reconnects it: its MULTI, WATCH, subscriptions
//! and blocked wait are gone and it gets a new id.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::{now_ms, ClientState, Store};
use crate::commands::transactions;
use crate::resp::Frame;

/// The socket of a server connection, as CLIENT LIST shows it.
#[derive(Debug)]
pub struct Socket {
    /// The peer: `ip:port` (`[ip6]:port`), or `path:0` on a Unix socket.
    pub addr: String,
    /// The server's end: the listening `ip:port`, or `path:0`.
    pub laddr: String,
    pub fd: i64,
    /// A Unix socket connection (flag `U`; MONITOR shows `unix:<path>`).
    pub unix: bool,
    /// The connection's buffers, kept current by the server.
    pub io: Io,
}

/// A server connection's buffers as CLIENT LIST shows them, kept current
/// by the connection (and its pub/sub sink) and read by any client.
#[derive(Debug, Default)]
pub struct Io {
    /// Bytes received and not yet parsed (`qbuf`).
    pub qbuf: AtomicU64,
    /// Free room in the read buffer (`qbuf-free`).
    pub qbuf_free: AtomicU64,
    /// Bytes of the arguments of the command running or half received
    /// (`argv-mem`).
    pub argv_mem: AtomicU64,
    /// Replies not yet written to the socket; its peak is the reply
    /// buffer's (`rbp`).
    pub out: Gauge,
    /// Pushes (messages, MONITOR lines) waiting in the pub/sub sink.
    pub pushes: AtomicU64,
    /// Bytes allocated for the read buffer (`qbuf` + `qbuf-free`) and the
    /// reply buffer.
    pub buffers: AtomicU64,
}

/// How long a reply buffer's peak holds before it restarts from the
/// current size: Redis 7.0 resets `rbp` every 5 seconds.
const PEAK_SECS: u32 = 5;

/// A byte count the connection keeps current, with its peak since the
/// last reset (every [`PEAK_SECS`]).
#[derive(Debug, Default)]
pub struct Gauge {
    value: AtomicU64,
    peak: AtomicU64,
    /// The coarse clock's second of the last reset.
    reset_at: AtomicU32,
}

impl Gauge {
    /// Sets the count, as `AtomicU64::store`, and raises the peak.
    #[inline]
    pub fn store(&self, value: u64, order: Ordering) {
        self.value.store(value, order);
        let now = super::clock::lru_clock();
        if now.wrapping_sub(self.reset_at.load(Ordering::Relaxed)) >= PEAK_SECS {
            self.reset_at.store(now, Ordering::Relaxed);
            self.peak.store(value, Ordering::Relaxed);
        } else {
            self.peak.fetch_max(value, Ordering::Relaxed);
        }
    }

    pub fn load(&self, order: Ordering) -> u64 {
        self.value.load(order)
    }

    /// The highest count since the last reset (the count itself when no
    /// store came since the peak's time ran out).
    pub fn peak(&self) -> u64 {
        let now = super::clock::lru_clock();
        if now.wrapping_sub(self.reset_at.load(Ordering::Relaxed)) >= PEAK_SECS {
            self.value.load(Ordering::Relaxed)
        } else {
            self.peak.load(Ordering::Relaxed)
        }
    }
}

/// Redis's reply chunk: output up to this size is `obl` (the reply
/// buffer), the rest `oll` blocks of this size, which `omem` counts.
const REPLY_CHUNK: u64 = 16 * 1024;

/// CLIENT LIST's buffer fields of a client: `qbuf`, `qbuf-free`,
/// `argv-mem`, `multi-mem`, `rbs`, `rbp`, `obl`, `oll`, `omem`, `tot-mem`
/// and `events` (an embedded client has no buffers, only `multi-mem`).
fn io_fields(e: &ClientInfo) -> String {
    let multi = e.multi_mem;
    let Some(s) = &e.socket else {
        return format!("qbuf=0 qbuf-free=0 argv-mem=0 multi-mem={multi} rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem={multi} events=r");
    };
    let io = &s.io;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let (qbuf, free, argv) = (get(&io.qbuf), get(&io.qbuf_free), get(&io.argv_mem));
    let (out, pushes) = (io.out.load(Ordering::Relaxed), get(&io.pushes));
    // Redis's reply buffer (rbs: its size, rbp: its peak use) is the
    // first REPLY_CHUNK of the output, as obl is; its peak cannot pass
    // its size (a buffer freed after a big reply starts over).
    let rbs = get(&io.buffers)
        .saturating_sub(qbuf + free)
        .min(REPLY_CHUNK);
    let rbp = io.out.peak().min(rbs);
    let pending = out + pushes;
    let obl = pending.min(REPLY_CHUNK);
    let oll = (pending - obl).div_ceil(REPLY_CHUNK);
    let omem = oll * REPLY_CHUNK;
    let base = (std::mem::size_of::<ClientState>()
        + std::mem::size_of::<ClientInfo>()
        + std::mem::size_of::<Socket>()) as u64;
    let tot = base + get(&io.buffers) + pushes + argv + multi;
    let events = if pending > 0 { "rw" } else { "r" };
    format!(
        "qbuf={qbuf} qbuf-free={free} argv-mem={argv} multi-mem={multi} rbs={rbs} rbp={rbp} obl={obl} oll={oll} omem={omem} tot-mem={tot} events={events}"
    )
}

/// What CLIENT LIST shows of a client.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub id: u64,
    /// None for an embedded client.
    pub socket: Option<Arc<Socket>>,
    pub name: Option<Bytes>,
    pub db: usize,
    pub user: Bytes,
    pub created_ms: i64,
    pub last_ms: i64,
    pub last_cmd: &'static str,
    pub resp3: bool,
    /// Queued commands inside MULTI, or -1.
    pub multi: i64,
    /// Their memory as Redis counts it (`multi-mem`, see
    /// [`MultiState::mem`](super::client::MultiState::mem)).
    pub multi_mem: u64,
    pub pubsub: bool,
    pub blocked: bool,
    pub no_evict: bool,
    pub no_touch: bool,
    /// CLIENT SETINFO values (Redis 7.2).
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
}

/// Connected clients and the ids killed since their last command.
#[derive(Debug, Default)]
pub struct Clients {
    pub map: HashMap<u64, ClientInfo, crate::engine::value::Hasher>,
    pub killed: HashSet<u64, crate::engine::value::Hasher>,
}

/// Connects `client` if it is not yet (first command, or after a kill).
/// An error is the failed AUTH of its configured credentials; the client
/// stays disconnected and tries again on its next command.
pub fn ensure_connected(store: &mut Store, client: &mut ClientState) -> Result<(), Frame> {
    if !store.clients.killed.is_empty() && store.clients.killed.remove(&client.id) {
        drop_connection(store, client);
        client.id = super::client::next_client_id();
        store.refresh_gate();
    }
    if client.registered {
        return Ok(());
    }
    if client.id == 0 {
        client.id = super::client::next_client_id();
    }
    client.user = Bytes::from_static(b"default");
    client.authenticated = store.acl.default_opens();
    client.registered = true;
    client.created_ms = now_ms();
    client.name = client.setname.clone();
    store.stats.total_connections += 1;
    store.clients.map.insert(client.id, info_of(client, "NULL"));
    if let Some((user, pass)) = client.credentials.clone() {
        let user = user.unwrap_or_else(|| Bytes::from_static(b"default"));
        if let Err(e) = crate::commands::auth::authenticate(store, client, &user, &pass) {
            disconnect(store, client);
            return Err(e.to_frame());
        }
    }
    Ok(())
}

/// Forgets a client (its handle is gone, or it failed to authenticate).
pub fn disconnect(store: &mut Store, client: &mut ClientState) {
    if client.registered {
        drop_connection(store, client);
    }
}

/// Drops what a connection held: MULTI, WATCH, subscriptions, the blocked
/// wait and its registry entry.
fn drop_connection(store: &mut Store, client: &mut ClientState) {
    client.multi = None;
    let watching = !client.watched.is_empty();
    transactions::unwatch_all(store, client);
    // A transaction watching on the lost connection must not go through.
    client.watch_lost = watching;
    store.pubsub.remove_client(client.id);
    client.pubsub = false;
    if !store.monitors.is_empty() || !store.tracking.is_empty() {
        store.monitors.remove(client.id);
        store.tracking.disable(client.id);
        store.refresh_gate();
    }
    if let Some(w) = store.blocking.by_client(client.id) {
        if let Some(w) = store.blocking.remove(w) {
            w.slot
                .complete(Frame::error("ERR Connection closed by server."));
        }
    }
    store.clients.map.remove(&client.id);
    if store.clients.killed.remove(&client.id) {
        store.refresh_gate();
    }
    client.registered = false;
    client.name = None;
}

fn info_of(c: &ClientState, cmd: &'static str) -> ClientInfo {
    ClientInfo {
        id: c.id,
        socket: c.socket.clone(),
        name: c.name.clone(),
        db: c.db,
        user: c.user.clone(),
        created_ms: c.created_ms,
        last_ms: super::clock::lru_clock() as i64 * 1000,
        last_cmd: cmd,
        resp3: c.resp3,
        multi: c.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
        multi_mem: c.multi.as_ref().map_or(0, |m| m.mem),
        pubsub: c.pubsub,
        blocked: c.blocked.is_some(),
        no_evict: c.no_evict,
        no_touch: c.no_touch,
        lib_name: c.lib_name.clone(),
        lib_ver: c.lib_ver.clone(),
    }
}

/// Copies the client's state into its registry entry after a command.
/// It runs for every command, so it updates the entry in place, clones the
/// name and user only when they changed, and reads the coarse clock (CLIENT
/// LIST's idle is in seconds).
#[inline]
pub fn sync(store: &mut Store, client: &ClientState, cmd: &'static str) {
    if !client.registered {
        return;
    }
    let Some(e) = store.clients.map.get_mut(&client.id) else {
        return;
    };
    e.db = client.db;
    e.last_ms = super::clock::lru_clock() as i64 * 1000;
    e.last_cmd = cmd;
    e.resp3 = client.resp3;
    e.multi = client.multi.as_ref().map_or(-1, |m| m.queued.len() as i64);
    e.multi_mem = client.multi.as_ref().map_or(0, |m| m.mem);
    e.pubsub = client.pubsub;
    e.blocked = client.blocked.is_some();
    e.no_evict = client.no_evict;
    e.no_touch = client.no_touch;
    if e.lib_name != client.lib_name || e.lib_ver != client.lib_ver {
        e.lib_name = client.lib_name.clone();
        e.lib_ver = client.lib_ver.clone();
    }
    if e.name != client.name {
        e.name = client.name.clone();
    }
    if e.user != client.user {
        e.user = client.user.clone();
    }
}

/// The CLIENT LIST / CLIENT INFO line of an entry, with Redis 7.0's fields
/// (an embedded client has no socket: addr and laddr name the engine).
pub fn line(store: &Store, e: &ClientInfo, now: i64) -> String {
    let text = |b: &Option<Bytes>| {
        b.as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    };
    let mut flags = String::new();
    if store.monitors.contains(e.id) {
        flags.push('O');
    }
    if e.pubsub {
        flags.push('P');
    }
    if e.multi >= 0 {
        flags.push('x');
    }
    if e.blocked {
        flags.push('b');
    }
    let tracking = store.tracking.clients.get(&e.id);
    if let Some(o) = tracking {
        flags.push('t');
        // CLIENT TRACKINGINFO's broken_redirect: the target is gone.
        if o.redirect != 0 && !store.clients.map.contains_key(&o.redirect) {
            flags.push('R');
        }
        if o.bcast {
            flags.push('B');
        }
    }
    if e.socket.as_ref().is_some_and(|s| s.unix) {
        flags.push('U');
    }
    if e.no_evict {
        flags.push('e');
    }
    if e.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    use super::pubsub::Kind;
    // Redis 7.2 ends every line with lib-name= lib-ver=; they appear only
    // once a client set one, so other lines stay those of Redis 7.0.
    let lib = if e.lib_name.is_some() || e.lib_ver.is_some() {
        format!(
            " lib-name={} lib-ver={}",
            text(&e.lib_name),
            text(&e.lib_ver)
        )
    } else {
        String::new()
    };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} ssub={} multi={} {} cmd={} user={} redir={} resp={}{lib}\n",
        e.id,
        e.addr(),
        e.laddr(),
        e.socket.as_ref().map_or(-1, |s| s.fd),
        text(&e.name),
        (now - e.created_ms).max(0) / 1000,
        // last_ms is on the coarse clock: compare like with like.
        (super::clock::lru_clock() as i64 * 1000 - e.last_ms).max(0) / 1000,
        e.db,
        store.pubsub.subscriptions(e.id, Kind::Channel).len(),
        store.pubsub.subscriptions(e.id, Kind::Pattern).len(),
        store.pubsub.subscriptions(e.id, Kind::Shard).len(),
        e.multi,
        io_fields(e),
        e.last_cmd,
        String::from_utf8_lossy(&e.user),
        tracking.map_or(-1, |o| o.redirect as i64),
        if e.resp3 { 3 } else { 2 },
    )
}

/// The address an embedded client reports: unique per client, in the
/// `ip:port` form CLIENT KILL's old syntax and ADDR filter take.
pub fn addr(id: u64) -> String {
    format!("embedded:{id}")
}

/// The local address every embedded client reports.
pub const EMBEDDED_LADDR: &str = "embedded:0";

impl ClientInfo {
    /// CLIENT LIST's `addr` (what CLIENT KILL ADDR matches).
    pub fn addr(&self) -> std::borrow::Cow<'_, str> {
        match &self.socket {
            Some(s) => std::borrow::Cow::Borrowed(&s.addr),
            None => std::borrow::Cow::Owned(addr(self.id)),
        }
    }

    /// CLIENT LIST's `laddr` (what CLIENT KILL LADDR matches).
    pub fn laddr(&self) -> &str {
        self.socket.as_ref().map_or(EMBEDDED_LADDR, |s| &s.laddr)
    }
}

/// How MONITOR names the client running a command: its `ip:port`,
/// `unix:<path>` on a Unix socket (as redis-server), `embedded:<id>`.
pub fn monitor_addr(client: &ClientState) -> String {
    match &client.socket {
        Some(s) if s.unix => format!("unix:{}", s.laddr.strip_suffix(":0").unwrap_or(&s.laddr)),
        Some(s) => s.addr.clone(),
        None => addr(client.id),
    }
}

/// The calling client's line (CLIENT INFO, ACL LOG client-info).
pub fn own_line(store: &Store, client: &ClientState, cmd: &'static str) -> String {
    let mut e = info_of(client, cmd);
    if let Some(known) = store.clients.map.get(&client.id) {
        e.created_ms = known.created_ms;
    }
    line(store, &e, now_ms())
}

/// CLIENT PAUSE's state, read without the store lock: a paused command
/// waits before taking the lock (and without the GIL).
#[derive(Debug, Default)]
pub struct Pause {
    /// Unix ms when the pause ends; 0 when not paused.
    until_ms: AtomicI64,
    /// WRITE mode: only commands that may write wait.
    write_only: AtomicBool,
}

impl Pause {
    pub fn set(&self, until_ms: i64, write_only: bool) {
        self.write_only.store(write_only, Ordering::Release);
        self.until_ms.store(until_ms, Ordering::Release);
    }

    pub fn clear(&self) {
        self.until_ms.store(0, Ordering::Release);
    }

    /// True while a pause is in force.
    #[inline]
    pub fn active(&self) -> bool {
        let until = self.until_ms.load(Ordering::Acquire);
        until != 0 && now_ms() < until
    }

    /// True if `cmd` must wait for the pause to end.
    pub fn holds(&self, cmd: Option<&crate::commands::Command>) -> bool {
        use crate::commands::flags::{MAY_REPLICATE, WRITE};
        if !self.active() {
            return false;
        }
        !self.write_only.load(Ordering::Acquire)
            || cmd.is_none_or(|c| c.flags & (WRITE | MAY_REPLICATE) != 0)
    }

    /// Waits until `cmd` may run.
    pub fn wait(&self, cmd: Option<&crate::commands::Command>) {
        while self.holds(cmd) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}
