//! The command table and the dispatcher.
//!
//! Every command is declared once, as a [`Command`] row in the `COMMANDS`
//! slice of its group's file (`string.rs`, `list.rs`...): name, arity,
//! flags, key positions and handler. The embedded client, the RESP server,
//! MULTI/EXEC, Lua's `redis.call`, AOF replay, COMMAND INFO and the cluster
//! client's slot routing all read this one table.

pub mod admin;
pub mod args;
pub mod auth;
pub mod bitmap;
pub mod blocking;
pub mod cluster;
pub mod command_info;
pub mod connection;
pub mod debug;
pub mod docs;
pub mod dump;
pub mod functions;
pub mod generic;
pub mod geo;
pub mod hash;
pub mod hash_ttl;
pub mod hll;
pub mod list;
pub mod lolwut;
pub mod migrate;
mod oom;
pub(crate) mod pqsort;
pub mod pubsub;
pub mod replies;
pub mod routing;
pub mod scripting;
pub mod server;
pub mod server_info;
pub mod set;
pub mod slowlog;
pub mod sort;
pub mod stream;
pub mod string;
pub mod string_ex;
#[cfg(test)]
pub(crate) mod test_support;
pub mod transactions;
pub mod zset;

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::engine::blocking::{BlockRequest, Blocked, WaitSlot, Waiter};
use crate::engine::{ClientState, Db, Now, Store};
use crate::error::{self, CmdResult, Error};
use crate::resp::Frame;
pub use replies::Reply;
pub use routing::Route;

/// A command handler: `argv[0]` is the command name.
pub type Handler = fn(&mut Ctx, &[&[u8]]) -> CmdResult;

/// Command flags (COMMAND INFO names them).
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const ASKING: u32 = 1 << 11;
    pub const FAST: u32 = 1 << 12;
    pub const NO_AUTH: u32 = 1 << 13;
    pub const MAY_REPLICATE: u32 = 1 << 14;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 15;
    pub const NO_ASYNC_LOADING: u32 = 1 << 16;
    pub const NO_MULTI: u32 = 1 << 17;
    pub const ALLOW_BUSY: u32 = 1 << 18;
    /// Keys are found by [`super::KeySpec::find`], not first/last/step.
    pub const MOVABLE_KEYS: u32 = 1 << 19;

    /// Flag names in COMMAND INFO order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories a command belongs to beyond those its flags and group
/// imply (COMMAND INFO, ACL).
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const DANGEROUS: u32 = 1 << 1;
    pub const CONNECTION: u32 = 1 << 2;
    pub const TRANSACTION: u32 = 1 << 3;
    pub const SCRIPTING: u32 = 1 << 4;
    pub const SLOW: u32 = 1 << 5;
    // The rest are derived from flags and groups for COMMAND INFO; rows set
    // them only where Redis lists a category explicitly (SORT: SET |
    // SORTEDSET | LIST).
    pub const SET: u32 = 1 << 6;
    pub const SORTEDSET: u32 = 1 << 7;
    pub const LIST: u32 = 1 << 8;
    pub const HASH: u32 = 1 << 9;
    pub const STRING: u32 = 1 << 10;
    pub const BITMAP: u32 = 1 << 11;
    pub const HYPERLOGLOG: u32 = 1 << 12;
    pub const GEO: u32 = 1 << 13;
    pub const STREAM: u32 = 1 << 14;
    pub const PUBSUB: u32 = 1 << 15;
    pub const ADMIN: u32 = 1 << 16;
    pub const FAST: u32 = 1 << 17;
    pub const BLOCKING: u32 = 1 << 18;
    pub const READ: u32 = 1 << 19;
    pub const WRITE: u32 = 1 << 20;
}

/// The command group (COMMAND DOCS, and the data-type ACL category).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    List,
    Hash,
    Set,
    SortedSet,
    Server,
    Connection,
    Transactions,
    Scripting,
    PubSub,
    Stream,
    Bitmap,
    HyperLogLog,
    Geo,
    Cluster,
}

/// Finds the argv indexes of a command's keys (numkeys arguments...).
pub type KeyFinder = fn(&[&[u8]]) -> Vec<usize>;

/// Where a command's keys are: COMMAND INFO's first/last/step, and for
/// commands whose keys move (numkeys arguments, STORE options) a function.
#[derive(Clone, Copy)]
pub struct KeySpec {
    pub first: i32,
    pub last: i32,
    pub step: i32,
    pub find: Option<KeyFinder>,
}

/// Where a blocking command's timeout is: a network client waits that
/// long for the reply on top of its socket timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// The command does not block.
    None,
    /// The last argument, in seconds (BLPOP).
    Last,
    /// Argument `n`, in seconds (BLMPOP).
    Arg(usize),
    /// Argument `n`, in milliseconds (WAIT).
    ArgMs(usize),
    /// The argument after this keyword, in milliseconds (XREAD BLOCK).
    KeywordMs(&'static str),
}

impl Timeout {
    /// The timeout `argv` asks for in seconds, if the command blocks and
    /// the argument reads as a number (the server judges bad ones).
    pub fn seconds(&self, argv: &[&[u8]]) -> Option<f64> {
        let num = |a: Option<&&[u8]>| std::str::from_utf8(a?).ok()?.trim().parse::<f64>().ok();
        match *self {
            Timeout::None => None,
            Timeout::Last => num(argv.last()),
            Timeout::Arg(n) => num(argv.get(n)),
            Timeout::ArgMs(n) => num(argv.get(n)).map(|ms| ms / 1000.0),
            Timeout::KeywordMs(kw) => {
                let at = argv
                    .iter()
                    .position(|a| a.eq_ignore_ascii_case(kw.as_bytes()))?;
                num(argv.get(at + 1)).map(|ms| ms / 1000.0)
            }
        }
    }
}

/// Per-command facts beyond COMMAND INFO's flags.
pub mod traits {
    /// A RESP2 client in subscribed mode may still send it.
    pub const SUBSCRIBED_OK: u32 = 1 << 0;
    /// It runs a script (EVAL, FCALL...): callers holding another lock
    /// (Python's GIL) release it, since the script may run long.
    pub const RUNS_SCRIPT: u32 = 1 << 1;
    /// The server runs it on its own, never inside a run of pipelined
    /// commands under one engine lock: it acts on connections or the
    /// server (QUIT, MONITOR, CLIENT KILL / PAUSE, SHUTDOWN, FAILOVER),
    /// changes the connection's protocol, credentials or tracking (HELLO,
    /// AUTH, RESET, ACL, CLIENT TRACKING / NO-EVICT / NO-TOUCH), waits
    /// (WAIT, WAITAOF), may reread the server's settings (CONFIG, DEBUG),
    /// or reports counters the server refreshes first (INFO).
    pub const ALONE: u32 = 1 << 2;
    /// It puts the connection in subscribed mode (SUBSCRIBE, PSUBSCRIBE,
    /// SSUBSCRIBE): its confirmations and every message after come as
    /// pushes, which a client reads on a connection kept for them.
    pub const SUBSCRIBES: u32 = 1 << 3;
    /// A client-side cache may keep its reply until the server invalidates
    /// its keys: a read of keys whose reply depends on nothing else (not
    /// on time, chance or the connection). These are the reads redis-py's
    /// client-side cache allows (`CacheConfig.DEFAULT_ALLOW_LIST`).
    pub const CACHEABLE: u32 = 1 << 4;

    /// Trait names (`_redcore.command_table()`).
    pub const NAMES: &[(u32, &str)] = &[
        (SUBSCRIBED_OK, "subscribed_ok"),
        (RUNS_SCRIPT, "runs_script"),
        (ALONE, "alone"),
        (SUBSCRIBES, "subscribes"),
        (CACHEABLE, "cacheable"),
    ];
}

/// One row of the command table.
pub struct Command {
    /// Lower-case name; subcommands are `container|sub` (`config|get`).
    pub name: &'static str,
    /// Argument count including the name; negative means "at least -arity".
    pub arity: i32,
    pub flags: u32,
    pub acl: u32,
    pub group: Group,
    pub keys: KeySpec,
    pub handler: Handler,
    pub subcommands: &'static [Command],
    /// Where its blocking timeout is ([`Timeout::None`] if it never blocks).
    pub timeout: Timeout,
    /// [`traits`] bits.
    pub traits: u32,
    /// The redis-py response callback of its reply, per client profile
    /// (see [`replies`]).
    pub reply: Reply,
    /// Where redis-py's cluster client sends it when its keys do not
    /// say, and how it combines several nodes' replies ([`routing`]).
    pub route: Route,
}

const NO_KEYS: KeySpec = KeySpec {
    first: 0,
    last: 0,
    step: 0,
    find: None,
};

impl Command {
    /// A row with no keys; chain `.keys(..)` / `.acl(..)` to add them.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        group: Group,
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            acl: 0,
            group,
            keys: NO_KEYS,
            handler,
            subcommands: &[],
            timeout: Timeout::None,
            traits: 0,
            reply: Reply::NONE,
            route: Route::DEFAULT,
        }
    }

    /// Its reply shape in every client profile (see [`replies`]).
    pub const fn reply(mut self, shape: &'static str) -> Command {
        let status = self.reply.status;
        self.reply = Reply::all(shape);
        self.reply.status = status;
        self
    }

    /// Its string replies are statuses (`+OK`), where its reply shapes do
    /// not say so ([`Reply::is_status`]).
    pub const fn status(mut self) -> Command {
        self.reply.status = true;
        self
    }

    /// Its reply shape with redis-py's legacy shapes: `protocol=2` and the
    /// default profile ([`Reply::resp2`]).
    pub const fn reply2(mut self, shape: &'static str) -> Command {
        self.reply = self.reply.resp2(shape);
        self
    }

    /// Its reply shape with `protocol=3` ([`Reply::resp3`]).
    pub const fn reply3(mut self, shape: &'static str) -> Command {
        self.reply = self.reply.resp3(shape);
        self
    }

    /// Its reply shape in the default profile (RESP3, legacy shapes).
    pub const fn reply_default(mut self, shape: &'static str) -> Command {
        self.reply = self.reply.default_profile(Some(shape));
        self
    }

    /// No callback in the default profile: the RESP3 value as it comes.
    pub const fn no_reply_default(mut self) -> Command {
        self.reply = self.reply.default_profile(None);
        self
    }

    /// Its reply shape with `protocol=2, legacy_responses=False`.
    pub const fn reply_unified2(mut self, shape: &'static str) -> Command {
        self.reply = self.reply.resp2_unified(shape);
        self
    }

    /// Its reply shape with `legacy_responses=False` on RESP3.
    pub const fn reply_unified3(mut self, shape: &'static str) -> Command {
        self.reply = self.reply.resp3_unified(shape);
        self
    }

    /// Its cluster routing: the nodes redis-py's cluster client sends it
    /// to, and how their replies combine ([`routing`]).
    pub const fn route(mut self, nodes: routing::Nodes, combine: routing::Combine) -> Command {
        self.route = Route { nodes, combine };
        self
    }

    /// Sets where the blocking timeout is.
    pub const fn timeout(mut self, at: Timeout) -> Command {
        self.timeout = at;
        self
    }

    /// Adds [`traits`] bits.
    pub const fn traits(mut self, bits: u32) -> Command {
        self.traits |= bits;
        self
    }

    /// `cmds` with [`traits`] bits added to each (a container's
    /// subcommands that share a trait).
    pub const fn all_traits<const N: usize>(mut cmds: [Command; N], bits: u32) -> [Command; N] {
        let mut i = 0;
        while i < N {
            cmds[i].traits |= bits;
            i += 1;
        }
        cmds
    }

    #[inline]
    pub fn has_trait(&self, bit: u32) -> bool {
        self.traits & bit != 0
    }

    /// Sets first/last/step key positions.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Command {
        self.keys = KeySpec {
            first,
            last,
            step,
            find: None,
        };
        self
    }

    /// Sets a key-finding function for commands with movable keys.
    pub const fn movable(mut self, find: KeyFinder) -> Command {
        self.keys.find = Some(find);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    /// Adds ACL categories.
    pub const fn acl(mut self, cats: u32) -> Command {
        self.acl |= cats;
        self
    }

    /// Makes this a container command (CONFIG, OBJECT...).
    pub const fn subcommands(mut self, subs: &'static [Command]) -> Command {
        self.subcommands = subs;
        self
    }

    /// True if `argc` arguments (name included) satisfy the arity.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        if a >= 0 {
            argc == a as usize
        } else {
            argc >= a.unsigned_abs() as usize
        }
    }

    #[inline]
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Indexes into `argv` of this invocation's keys.
    pub fn key_indexes(&self, argv: &[&[u8]]) -> Vec<usize> {
        if let Some(find) = self.keys.find {
            return find(argv);
        }
        let KeySpec {
            first, last, step, ..
        } = self.keys;
        if first <= 0 || step <= 0 {
            return Vec::new();
        }
        let argc = argv.len() as i32;
        let last = if last < 0 {
            argc + last
        } else {
            last.min(argc - 1)
        };
        (first..=last)
            .step_by(step as usize)
            .map(|i| i as usize)
            .collect()
    }
}

/// The context a handler runs in: the whole store (under its lock), the
/// calling client, and the command's clock.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    /// The engine's scripting state (EVAL, SCRIPT, FUNCTION, FCALL).
    pub scripts: Scripts<'a>,
    pub client: &'a mut ClientState,
    /// The command's clock (read on first use, then fixed; EXEC and
    /// scripts share one reading across their commands).
    pub now: Now<'a>,
}

impl Ctx<'_> {
    /// The client's selected database.
    #[inline]
    pub fn db(&mut self) -> &mut Db {
        &mut self.store.dbs[self.client.db]
    }

    /// Records that `key` changed: wakes WATCHers, counts a change for
    /// persistence, and emits the keyspace event (`class` is a
    /// [`crate::engine::notify`] constant, `event` the event name Redis uses).
    pub fn modified(&mut self, key: &[u8], class: u32, event: &str) {
        self.store.dbs[self.client.db].touch(key);
        self.store.dirty += 1;
        if !self.store.tracking.is_empty() {
            for (target, key) in self.store.tracking.invalidate(key, self.client.id) {
                self.store.send_invalidation(target, Some(vec![key]));
            }
        }
        self.notify(class, event, key);
    }

    /// Tells every tracking client that all keys changed (FLUSHDB,
    /// FLUSHALL).
    pub fn invalidate_all(&mut self) {
        if self.store.tracking.is_empty() {
            return;
        }
        for target in self.store.tracking.invalidate_all() {
            self.store.send_invalidation(target, None);
        }
    }

    /// Emits a keyspace notification without marking the key modified.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let enabled = self.store.config.notify_keyspace_events;
        if enabled & class == 0 {
            return;
        }
        let db = self.client.db;
        // Events the keyspace raised while this command ran (a key created,
        // one expired on access) come first, as in Redis.
        self.store.flush_db_events(db);
        self.store.pubsub.notify_keyspace(enabled, db, event, key);
    }

    /// Asks to block until one of `req.keys` can serve the command. Returns
    /// the placeholder reply; where blocking is not possible (EXEC, scripts,
    /// pipelines, re-runs of served waiters) returns the timeout reply and
    /// marks that the command would have blocked.
    pub fn block(&mut self, req: BlockRequest) -> Frame {
        if self.client.in_exec || self.client.no_block {
            self.client.would_block = true;
            return req.timeout_reply;
        }
        self.client.block_request = Some(req);
        Frame::Null
    }

    /// Counts `n` changes for persistence.
    #[inline]
    pub fn dirty(&mut self, n: u64) {
        self.store.dirty += n;
    }
}

/// Every group's rows.
fn groups() -> Vec<&'static [Command]> {
    vec![
        auth::COMMANDS,
        connection::COMMANDS,
        blocking::COMMANDS,
        generic::COMMANDS,
        string::COMMANDS,
        string_ex::COMMANDS,
        list::COMMANDS,
        hash::COMMANDS,
        hash_ttl::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        server::COMMANDS,
        transactions::COMMANDS,
        pubsub::COMMANDS,
        scripting::COMMANDS,
        stream::COMMANDS,
        hll::COMMANDS,
        bitmap::COMMANDS,
        geo::COMMANDS,
        sort::COMMANDS,
        dump::COMMANDS,
        functions::COMMANDS,
        admin::COMMANDS,
        cluster::COMMANDS,
        slowlog::COMMANDS,
        migrate::COMMANDS,
        debug::COMMANDS,
        lolwut::COMMANDS,
    ]
}

/// Top-level commands by lower-case name (foldhash: every command looks
/// its name up here, and the names are ours, not a client's keys).
static TABLE: LazyLock<HashMap<&'static [u8], &'static Command, foldhash::fast::FixedState>> =
    LazyLock::new(|| {
        let mut map = HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0));
        for group in groups() {
            for cmd in group {
                map.insert(cmd.name.as_bytes(), cmd);
            }
        }
        map
    });

/// Every top-level command (COMMAND, COMMAND COUNT).
pub fn all() -> impl Iterator<Item = &'static Command> {
    TABLE.values().copied()
}

/// Finds a command by name, case-insensitively.
#[inline]
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    TABLE.get(&*lower).copied()
}

/// Resolves `argv` to a command, descending into container commands.
pub fn resolve(argv: &[&[u8]]) -> Result<&'static Command, Error> {
    let Some(cmd) = argv.first().and_then(|n| lookup(n)) else {
        return Err(error::unknown_command(argv));
    };
    if cmd.subcommands.is_empty() || argv.len() < 2 {
        return Ok(cmd);
    }
    find_subcommand(cmd, argv[1]).ok_or_else(|| error::unknown_subcommand(argv[0], argv[1]))
}

/// The subcommand `sub` of container `cmd`.
pub fn find_subcommand(cmd: &'static Command, sub: &[u8]) -> Option<&'static Command> {
    cmd.subcommands.iter().find(|s| {
        let name = s.name.rsplit('|').next().unwrap_or(s.name);
        name.as_bytes().eq_ignore_ascii_case(sub)
    })
}

/// The engine's scripting state as handlers reach it (locked by the
/// handlers that need it, after the store); `None` where there is none: a
/// bare store, or a script's own commands.
pub type Scripts<'a> = Option<&'a parking_lot::Mutex<crate::scripting::Scripts>>;

/// Looks up and runs one command on a bare store (no scripting).
pub fn dispatch(store: &mut Store, client: &mut ClientState, argv: &[&[u8]]) -> Frame {
    dispatch_in(store, None, client, argv)
}

/// Runs a resolved command on a bare store (no scripting).
pub fn dispatch_cmd(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Frame {
    dispatch_cmd_in(store, None, client, cmd, argv)
}

/// Looks up and runs one command.
pub fn dispatch_in(
    store: &mut Store,
    scripts: Scripts<'_>,
    client: &mut ClientState,
    argv: &[&[u8]],
) -> Frame {
    match resolve(argv) {
        Ok(cmd) => dispatch_cmd_in(store, scripts, client, cmd, argv),
        Err(e) => {
            if let Some(m) = client.multi.as_mut() {
                m.aborted = true;
            }
            let frame = e.to_frame();
            if let Frame::Error(text) = &frame {
                slowlog::count_error(store, text);
            }
            frame
        }
    }
}

/// Runs a resolved command: arity check, MULTI queueing, then the handler.
pub fn dispatch_cmd_in(
    store: &mut Store,
    scripts: Scripts<'_>,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Frame {
    if let Err(reply) = crate::engine::clients::ensure_connected(store, client) {
        return reply;
    }
    if !cmd.arity_ok(argv.len()) {
        let text = Error::WrongArity(cmd.name.to_string()).to_string();
        return refuse(store, client, cmd, text);
    }
    if let Err(reply) = access_check(store, client, cmd, argv) {
        return reply;
    }
    if store.config.maxmemory != 0 {
        if let Err(reply) = oom::check(store, scripts, client, cmd, argv) {
            return counted_rejection(store, cmd, reply);
        }
    }
    if !store.config.save.is_empty() || store.aof.on() {
        if let Err(reply) = oom::disk_check(store, scripts, client, cmd, argv) {
            return counted_rejection(store, cmd, reply);
        }
    }
    if client.multi.is_some() && !transactions::runs_inside_multi(cmd) {
        let flags = oom::effective_flags(scripts, cmd, argv);
        let reply = transactions::queue(client, argv, flags);
        // CLIENT LIST shows the queued command (cmd, multi, multi-mem).
        crate::engine::clients::sync(store, client, cmd.name);
        return reply;
    }
    if client.pubsub && !client.resp3 && !cmd.has_trait(traits::SUBSCRIBED_OK) {
        let reply = Error::msg(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        ))
        .to_frame();
        return counted_rejection(store, cmd, reply);
    }
    let cell = std::cell::Cell::new(0);
    let now = Now::new(&cell);
    let dirty = store.dirty;
    // EVAL and friends reach monitors before their script's commands.
    let script = cmd.group == Group::Scripting && cmd.has(flags::SKIP_MONITOR);
    if script && !store.monitors.is_empty() {
        let addr = crate::engine::clients::monitor_addr(client);
        crate::engine::monitor::feed(store, client.db, &addr, cmd, argv);
    }
    let mut frame = run(store, scripts, client, cmd, argv, now);
    if !crate::persist::aof::commit(store) && !cmd.has(flags::READONLY) {
        // `appendfsync always` and the AOF refused the write: not
        // acknowledged (Redis would exit; see aof::commit).
        frame = crate::persist::aof::write_error_reply(store);
    }
    if !store.monitors.is_empty() && !crate::engine::monitor::hidden(cmd) {
        let addr = crate::engine::clients::monitor_addr(client);
        crate::engine::monitor::feed(store, client.db, &addr, cmd, argv);
    }
    store.flush_db_events(client.db);
    if let Some(req) = client.block_request.take() {
        register_block(store, client, cmd, argv, req);
    } else if store.dirty != dirty && !store.blocking.is_empty() {
        // Any change (a write, an EXEC, a script) may feed blocked clients.
        serve_blocked(store, now);
    }
    crate::persist::aof::commit(store);
    if !store.tracking.is_empty() {
        track_reads(store, client, cmd, argv);
    }
    crate::engine::clients::sync(store, client, cmd.name);
    apply_reply_mode(client, cmd, frame)
}

/// Remembers the keys a tracking client read (default mode; OPTIN only
/// after CLIENT CACHING YES, OPTOUT unless CLIENT CACHING NO).
fn track_reads(store: &mut Store, client: &mut ClientState, cmd: &Command, argv: &[&[u8]]) {
    if cmd.name == "client|caching" {
        return;
    }
    let caching = client.caching.take();
    let Some(o) = store.tracking.clients.get(&client.id) else {
        return;
    };
    let wanted = if o.optin {
        caching == Some(true)
    } else if o.optout {
        caching != Some(false)
    } else {
        true
    };
    if o.bcast || !wanted || !cmd.has(flags::READONLY) {
        return;
    }
    for i in cmd.key_indexes(argv) {
        if let Some(key) = argv.get(i) {
            store.tracking.remember(client.id, key);
        }
    }
}

/// CLIENT REPLY OFF / SKIP: the suppressed replies come back as Null (an
/// embedded call always returns something).
#[inline]
fn apply_reply_mode(client: &mut ClientState, cmd: &Command, frame: Frame) -> Frame {
    use crate::engine::client::ReplyMode;
    match client.reply_mode {
        ReplyMode::On => frame,
        _ if cmd.name == "client|reply" => frame,
        ReplyMode::Off => Frame::Null,
        ReplyMode::SkipNext => {
            client.reply_mode = ReplyMode::On;
            Frame::Null
        }
    }
}

/// Runs a command that arrived while a script is past its busy threshold,
/// from inside the script (its instruction hook holds the store), in
/// Redis's order: the client registers, AUTH and ACL are checked, then
/// the command gets `BUSY`, or SCRIPT KILL's (FUNCTION KILL's, FUNCTION
/// STATS's) reply, or runs if Redis allows it while busy (HELLO, AUTH,
/// MULTI, WATCH...). Inside MULTI, a command refused with `BUSY` aborts
/// the transaction (EXEC discards it) and an allowed one is queued, as
/// Redis does. Lookup and arity were checked by the caller.
pub fn dispatch_while_busy(
    store: &mut Store,
    watch: &crate::scripting::ScriptWatch,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Frame {
    if let Err(reply) = crate::engine::clients::ensure_connected(store, client) {
        return reply;
    }
    if let Err(reply) = access_check(store, client, cmd, argv) {
        return reply;
    }
    let reply = match client.multi {
        Some(_) if !cmd.has(flags::ALLOW_BUSY) => {
            Some(refuse(store, client, cmd, watch.busy_text().into()))
        }
        Some(_) => None,
        None => crate::scripting::busy_reply(watch, cmd),
    };
    // The script holds the scripting state: none is lent.
    reply.unwrap_or_else(|| dispatch_cmd_in(store, None, client, cmd, argv))
}

/// AUTH and ACL checks before a command runs or is queued: NOAUTH for a
/// client that has not authenticated while the default user needs a
/// password, NOPERM for what its user may not do.
fn access_check(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Result<(), Frame> {
    if !client.authenticated && !cmd.has(flags::NO_AUTH) && !store.acl.default_opens() {
        return Err(refuse(
            store,
            client,
            cmd,
            "NOAUTH Authentication required.".into(),
        ));
    }
    if !store.gate.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(());
    }
    let context = if client.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    match auth::check(store, client, cmd, argv, context) {
        Ok(()) => Ok(()),
        Err(denied) => Err(refuse(store, client, cmd, denied.noperm(cmd.name))),
    }
}

/// The reply to a command refused before it runs (a wrong number of
/// arguments, NOAUTH, NOPERM, BUSY), as Redis refuses one: inside MULTI
/// the transaction is marked aborted, and a refused EXEC discards it (and
/// its WATCHes) with the reason. Counted as a rejected call.
fn refuse(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &'static Command,
    text: String,
) -> Frame {
    let reply = if cmd.name == "exec" {
        client.multi = None;
        transactions::unwatch_all(store, client);
        Frame::Error(format!("EXECABORT Transaction discarded because of: {text}").into())
    } else {
        if let Some(m) = client.multi.as_mut() {
            m.aborted = true;
        }
        Frame::Error(text.into())
    };
    counted_rejection(store, cmd, reply)
}

/// Counts `reply`, an error refusing `cmd` before it ran, in INFO's
/// `rejected_calls` and `errorstats`.
fn counted_rejection(store: &mut Store, cmd: &'static Command, reply: Frame) -> Frame {
    if let Frame::Error(text) = &reply {
        slowlog::rejected(store, cmd, text);
    }
    reply
}

/// Registers the client as blocked; the caller finds the registration in
/// `client.blocked` and waits on it outside the lock.
fn register_block(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
    req: BlockRequest,
) {
    let slot = std::sync::Arc::new(WaitSlot::default());
    let argv = req.argv.unwrap_or_else(|| {
        argv.iter()
            .map(|a| bytes::Bytes::copy_from_slice(a))
            .collect()
    });
    let id = store.blocking.add(Waiter {
        db: client.db,
        keys: req.keys,
        argv,
        cmd,
        resp3: client.resp3,
        client_id: client.id,
        slot: slot.clone(),
        timeout_reply: req.timeout_reply.clone(),
    });
    client.blocked = Some(Blocked {
        id,
        slot,
        timeout_ms: req.timeout_ms,
        timeout_reply: req.timeout_reply,
    });
}

/// Re-runs blocked waiters, oldest first, until none can be served: a
/// waiter whose command now produces a reply (not an error, not "would
/// block") gets it. Serving one can feed another (BLMOVE), hence the loop.
/// Every waiter is tried, not only the first of each key: stream readers
/// on one key wait for different IDs, so a later one may be servable when
/// the first is not. XREADGROUP waiters also run when their keys are gone
/// and their errors are replies: Redis unblocks them with an error when
/// the key or the group disappears.
pub fn serve_blocked(store: &mut Store, now: Now<'_>) {
    loop {
        let mut progress = false;
        for id in store.blocking.ids() {
            let Some(w) = store.blocking.get(id) else {
                continue;
            };
            let db = w.db;
            let errors_unblock = w.cmd.name == "xreadgroup";
            if !errors_unblock && !w.keys.iter().any(|k| store.dbs[db].contains(k, now)) {
                continue;
            }
            let (cmd, argv, resp3, client_id) = (w.cmd, w.argv.clone(), w.resp3, w.client_id);
            let mut client = ClientState::ephemeral(db);
            client.resp3 = resp3;
            client.id = client_id;
            client.no_block = true;
            let args: Vec<&[u8]> = argv.iter().map(|a| a.as_ref()).collect();
            let mut frame = run(store, None, &mut client, cmd, &args, now);
            if client.would_block || (frame.is_error() && !errors_unblock) {
                continue;
            }
            // Each served waiter is its own command in the AOF, on disk
            // before its reply leaves under `appendfsync always`.
            if !crate::persist::aof::commit_now(store) {
                frame = crate::persist::aof::write_error_reply(store);
            }
            if let Some(w) = store.blocking.remove(id) {
                w.slot.complete(frame);
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
}

/// The bookkeeping before any command runs on database `db`: the count,
/// and the settings the keyspace reads while it runs (which keyspace
/// events to record, LFU counters). [`run`] and the typed fast paths
/// ([`crate::engine::Engine::with_db`]) both call it.
#[inline]
pub fn prepare(store: &mut Store, db: usize) {
    store.stats.total_commands += 1;
    store.dbs[db].notify_mask = store.config.notify_keyspace_events;
    store.dbs[db].lfu = store.config.lfu_params();
    store.dbs[db].no_touch = false;
}

/// Calls the handler of an arity-checked command with the clock at `now`
/// (EXEC and scripts pass their own frozen clock).
pub fn run(
    store: &mut Store,
    scripts: Scripts<'_>,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
    now: Now<'_>,
) -> Frame {
    prepare(store, client.db);
    // CLIENT NO-TOUCH: every command but TOUCH leaves access clocks alone.
    store.dbs[client.db].no_touch = client.no_touch && cmd.name != "touch";
    let aof = store
        .aof
        .on()
        .then(|| crate::persist::aof::effects::before(store, client, cmd, argv));
    let mut ctx = Ctx {
        store,
        scripts,
        client,
        now,
    };
    let errors_before = slowlog::error_replies(ctx.store);
    let started = crate::engine::clock::Stopwatch::start();
    // A bug in a handler must not take the caller (a Python thread, a
    // server connection) down with it: the panic becomes an error reply.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (cmd.handler)(&mut ctx, argv)
    }));
    // Values changed in place are charged to the memory figure now.
    ctx.store.dbs[ctx.client.db].settle();
    // Every run is measured, as Redis's call() does: commands inside EXEC
    // and scripts too, and a blocked command when it is finally served
    // (not the run that only registered it as blocked).
    if ctx.client.block_request.is_none() {
        let name = ctx.client.name.as_ref();
        slowlog::record(ctx.store, name, cmd, argv, started.elapsed());
    }
    let frame = match outcome {
        Ok(Ok(frame)) => frame,
        Ok(Err(e)) => e.to_frame(),
        Err(_) => Error::msg(format!(
            "ERR internal error while running '{}'; please report it",
            cmd.name
        ))
        .to_frame(),
    };
    if let Frame::Error(text) = &frame {
        slowlog::failed(ctx.store, cmd);
        // A script's error that an inner command already counted (the
        // redis.call error it passes on) is not counted twice.
        let passed_on =
            cmd.group == Group::Scripting && slowlog::error_replies(ctx.store) != errors_before;
        if !passed_on {
            slowlog::count_error(ctx.store, text);
        }
    }
    if let Some(before) = aof {
        // What the command changed reaches the AOF as Redis propagates it.
        crate::persist::aof::effects::after(
            ctx.store, ctx.client, cmd.name, argv, &frame, now, before,
        );
    }
    frame
}

#[cfg(test)]
mod panic_tests {
    use super::*;
    use crate::engine::{ClientState, Config, Store};
    use bytes::Bytes;

    fn broken(_: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
        // A handler bug: indexing past the arguments.
        Ok(Frame::Bulk(Bytes::copy_from_slice(argv[5])))
    }

    static BROKEN: Command = Command::new("broken", -1, 0, Group::Generic, broken);

    #[test]
    fn a_panicking_handler_becomes_an_error_reply() {
        let mut store = Store::new(Config::default());
        let mut client = ClientState::new(0);
        let argv: [&[u8]; 1] = [b"broken"];
        let frame = dispatch_cmd(&mut store, &mut client, &BROKEN, &argv);
        assert!(frame.is_error(), "{frame:?}");
        // The store is still usable afterwards.
        let frame = dispatch(&mut store, &mut client, &[b"set", b"k", b"v"]);
        assert!(!frame.is_error());
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn blocking_commands_say_where_their_timeout_is() {
        for cmd in all() {
            assert_eq!(
                cmd.has(flags::BLOCKING),
                cmd.timeout != Timeout::None,
                "{}",
                cmd.name
            );
        }
    }

    #[test]
    fn subscribers_are_the_pubsub_commands_that_enter_subscribed_mode() {
        let mut names: Vec<&str> = all()
            .filter(|c| c.has_trait(traits::SUBSCRIBES))
            .map(|c| c.name)
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["psubscribe", "ssubscribe", "subscribe"]);
        for cmd in all().filter(|c| c.has_trait(traits::SUBSCRIBES)) {
            assert_eq!(cmd.group, Group::PubSub, "{}", cmd.name);
            assert!(cmd.has_trait(traits::SUBSCRIBED_OK), "{}", cmd.name);
        }
    }

    #[test]
    fn cacheable_commands_are_reads_of_keys() {
        let cacheable: Vec<&Command> = all().filter(|c| c.has_trait(traits::CACHEABLE)).collect();
        assert!(cacheable.iter().any(|c| c.name == "get"));
        for cmd in cacheable {
            assert!(cmd.has(flags::READONLY), "{}", cmd.name);
            assert!(!cmd.has(flags::WRITE), "{}", cmd.name);
            assert!(!cmd.has(flags::NOSCRIPT), "{}", cmd.name);
            assert!(
                cmd.keys.first > 0 || cmd.keys.find.is_some(),
                "{}",
                cmd.name
            );
        }
    }

    #[test]
    fn script_runners_are_scripting_commands() {
        for cmd in all().filter(|c| c.has_trait(traits::RUNS_SCRIPT)) {
            assert_eq!(cmd.group, Group::Scripting, "{}", cmd.name);
        }
        assert!(lookup(b"EVAL").unwrap().has_trait(traits::RUNS_SCRIPT));
        assert!(lookup(b"ping").unwrap().has_trait(traits::SUBSCRIBED_OK));
        assert!(!lookup(b"get").unwrap().has_trait(traits::SUBSCRIBED_OK));
    }
}
