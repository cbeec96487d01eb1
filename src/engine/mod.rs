//! The embedded engine: a [`Store`] of 16 databases behind one mutex, so
//! every command (and every MULTI/EXEC batch) is atomic, plus the
//! background thread that runs the active expiry sweep.

pub mod acl;
pub mod blocking;
pub mod client;
pub mod clients;
pub mod clock;
pub mod compact;
pub mod config;
pub mod db;
pub mod evict;
pub mod geohash;
pub mod hfe;
pub mod hll;
pub mod lfu;
pub mod list;
pub mod monitor;
pub mod notify;
pub mod pubsub;
pub mod stream;
pub mod tracking;
pub mod value;
pub mod zset;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, MutexGuard};

use crate::commands;
use crate::resp::Frame;
pub use client::ClientState;
pub use clock::Now;
pub use config::Config;
pub use db::{Db, Entry, NO_EXPIRE};

/// Unix time in milliseconds.
#[inline]
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Unix time in microseconds (TIME).
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Counters that INFO reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub total_commands: u64,
    pub total_connections: u64,
    pub rejected_connections: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
}

/// Everything the mutex guards: the databases and server-wide state.
#[derive(Debug)]
pub struct Store {
    pub dbs: Vec<Db>,
    pub config: Config,
    pub stats: Stats,
    /// Changes since the last save (INFO rdb_changes_since_last_save).
    pub dirty: u64,
    /// Unix seconds of the last successful save (LASTSAVE).
    pub last_save: i64,
    /// When the engine started, for INFO uptime.
    pub started: Instant,
    /// Unix ms at start, for INFO server_time_usec and friends.
    pub started_unix_ms: i64,
    /// Open server connections, counted by the servers outside the lock
    /// (a connection opens and closes while a script holds it).
    pub connected_clients: Arc<std::sync::atomic::AtomicU64>,
    /// Channel and pattern subscriptions.
    pub pubsub: pubsub::PubSub,
    /// Clients blocked on keys.
    pub blocking: blocking::Blocking,
    /// SAVE/BGSAVE state (`persist::rdbfile`); slow log and latency
    /// samples (`commands::slowlog`).
    pub persistence: crate::persist::rdbfile::Persistence,
    pub slowlog: crate::commands::slowlog::Slowlog,
    /// Users and the ACL LOG.
    pub acl: acl::Acl,
    /// Connected clients (CLIENT LIST / KILL).
    pub clients: clients::Clients,
    /// Set while commands must all take the dispatcher (ACL users with
    /// limits, killed clients pending): the typed fast paths that skip it
    /// read this without the lock.
    pub gate: Arc<AtomicBool>,
    /// CLIENT PAUSE.
    pub pause: Arc<clients::Pause>,
    /// Clients in MONITOR mode.
    pub monitors: monitor::Monitors,
    /// CLIENT TRACKING.
    pub tracking: tracking::Tracking,
    /// The append-only file (open while `appendonly` is on) and its
    /// rewrite status.
    pub aof: crate::persist::aof::AofState,
    /// maxmemory: the eviction pool and the memory peak.
    pub evictor: evict::Evictor,
    /// Memory was over `maxmemory` (after evicting) when the current
    /// top-level command started: a script without `allow-oom` may then
    /// not begin writing with commands that grow memory, as in Redis.
    pub oom_before_command: bool,
    /// redcore servers running on this engine: while one is, `maxclients`
    /// must fit the process's open files limit, as in redis-server (see
    /// [`config::fdlimit`]).
    pub servers: usize,
}

impl Store {
    /// A store with `config.databases` empty databases.
    pub fn new(config: Config) -> Store {
        let dbs = (0..config.databases.max(1))
            .map(|_| Db::default())
            .collect();
        Store {
            dbs,
            config,
            stats: Stats::default(),
            dirty: 0,
            last_save: now_ms() / 1000,
            started: Instant::now(),
            started_unix_ms: now_ms(),
            connected_clients: Default::default(),
            pubsub: pubsub::PubSub::default(),
            blocking: blocking::Blocking::default(),
            persistence: Default::default(),
            slowlog: Default::default(),
            acl: acl::Acl::default(),
            clients: clients::Clients::default(),
            gate: Arc::new(AtomicBool::new(false)),
            pause: Arc::default(),
            monitors: monitor::Monitors::default(),
            tracking: tracking::Tracking::default(),
            aof: Default::default(),
            evictor: evict::Evictor::default(),
            oom_before_command: false,
            servers: 0,
        }
    }

    /// Recomputes [`Store::gate`] after a change to users or clients.
    pub fn refresh_gate(&mut self) {
        let closed = !self.acl.trivial()
            || !self.clients.killed.is_empty()
            || !self.monitors.is_empty()
            || !self.tracking.is_empty();
        self.gate.store(closed, Ordering::Release);
    }

    /// True when a write is seen by the keyspace (and the AOF) alone: no
    /// maxmemory, no keyspace events, no MONITOR, no client tracking, no
    /// blocked client and no save points (nor their MISCONF check). The
    /// Python fast paths for writes ([`Engine::with_db_write`]) run only
    /// then; everything else takes the dispatcher.
    #[inline]
    pub fn writes_unobserved(&self) -> bool {
        self.config.maxmemory == 0
            && self.config.notify_keyspace_events == 0
            && self.config.save.is_empty()
            && self.monitors.is_empty()
            && self.tracking.is_empty()
            && self.blocking.is_empty()
    }

    /// Publishes the events database `db` raised itself (expired, new,
    /// keymiss), in the order they happened.
    #[inline]
    pub fn flush_db_events(&mut self, db: usize) {
        if self.dbs[db].events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.dbs[db].events);
        let flags = self.config.notify_keyspace_events;
        for (class, name, key) in events {
            if flags & class != 0 {
                self.pubsub.notify_keyspace(flags, db, name, &key);
            }
        }
    }

    /// Runs one active-expiry cycle over every database: reclaim the due
    /// fields of hashes with field TTLs (in deadline order, bounded), then
    /// sample keys with a TTL, delete the expired ones, and keep going on a
    /// database while more than a quarter of the sample was expired, within
    /// a time budget.
    pub fn active_expire_cycle(&mut self, budget: Duration) -> usize {
        const SAMPLES: usize = 20;
        // Hash fields reclaimed per database and cycle (Redis's default
        // quota is of the same order).
        const FIELDS_PER_DB: usize = 1000;
        let start = Instant::now();
        let cell = std::cell::Cell::new(now_ms());
        let now = clock::Now::new(&cell);
        let mut total = 0;
        let mask = self.config.notify_keyspace_events;
        for db in &mut self.dbs {
            db.notify_mask = mask;
            total += db.expire_fields(now.ms(), FIELDS_PER_DB);
            loop {
                if db.volatile_len() == 0 {
                    break;
                }
                let expired = db.expire_sample(SAMPLES, now);
                total += expired;
                if expired * 4 <= SAMPLES || start.elapsed() > budget {
                    break;
                }
            }
            if start.elapsed() > budget {
                break;
            }
        }
        for i in 0..self.dbs.len() {
            self.flush_db_events(i);
        }
        // Each expired key is its own AOF entry, as Redis 7.0 propagates
        // the expirations of its background cycle (no MULTI/EXEC).
        crate::persist::aof::propagate_expired_apart(self);
        total
    }
}

/// A shared, thread-safe engine. Clone the `Arc` to give another client
/// (a Python handle, a server connection) access to the same data.
pub struct Engine {
    store: Mutex<Store>,
    /// The Lua interpreters, script cache and function libraries. Kept
    /// beside the store, not in it: a script's handler locks it (always
    /// after the store) and runs the script with both borrowed apart, while
    /// the script's own commands see only the store.
    scripts: Mutex<crate::scripting::Scripts>,
    /// The running script's state, readable without the lock (BUSY).
    script: Arc<crate::scripting::ScriptWatch>,
    /// Number of databases (fixed at creation), readable without the lock.
    databases: usize,
    /// [`Store::gate`], readable without the lock.
    gate: Arc<AtomicBool>,
    /// [`Store::pause`].
    pause: Arc<clients::Pause>,
    /// The data directory's lock, held while the engine lives (engines
    /// made by [`Engine::open`]).
    dir_lock: Option<crate::persist::dirlock::DirLock>,
}

/// Why [`Engine::open`] failed.
#[derive(Debug)]
pub enum OpenError {
    /// Another engine owns the directory (or its lock file is unusable).
    Busy(String),
    /// The RDB file is unreadable or corrupt: names the file and offset.
    Load(crate::persist::rdbload::FileError),
    /// The AOF is unreadable or corrupt (names the file and offset), or
    /// its directory cannot be written.
    Aof(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Busy(text) => f.write_str(text),
            OpenError::Load(e) => e.fmt(f),
            OpenError::Aof(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for OpenError {}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// A new engine with default settings and its expiry thread.
    pub fn new() -> Arc<Engine> {
        Engine::with_config(Config::default())
    }

    /// A new engine with the given settings and its expiry thread. An
    /// engine whose files cannot be loaded ([`Engine::open`]'s errors)
    /// starts empty with `appendonly` off, the error logged.
    pub fn with_config(config: Config) -> Arc<Engine> {
        Engine::build(config, None)
    }

    /// A new engine that owns `config.dir`, as redis-server starting there:
    /// takes the directory's lock (a second engine on the same directory,
    /// in any process, gets [`OpenError::Busy`]), then loads what is there
    /// (the RDB file and its FUNCTION libraries) before anyone can use it.
    pub fn open(config: Config) -> Result<Arc<Engine>, OpenError> {
        let dir = std::path::Path::new(&config.dir);
        let lock = crate::persist::dirlock::lock(dir).map_err(OpenError::Busy)?;
        let appendonly = config.appendonly;
        let engine = Engine::build(config, Some(lock));
        if appendonly {
            // Redis 7's multi-part AOF: load it, then append to it.
            let mut store = engine.lock();
            crate::persist::aof::load::load(&mut store, Some(&engine.scripts))
                .map_err(OpenError::Aof)?;
            crate::persist::aof::open(&mut store, Some(&engine.scripts)).map_err(OpenError::Aof)?;
        } else {
            let mut store = engine.lock();
            let mut scripts = engine.scripts.lock();
            crate::persist::rdbload::reload(&mut store, Some(&mut scripts.functions))
                .map_err(OpenError::Load)?;
        }
        Ok(engine)
    }

    /// The directory this engine owns ([`Engine::open`]), if any.
    pub fn owned_dir(&self) -> Option<&std::path::Path> {
        self.dir_lock.as_ref().and_then(|l| l.path.parent())
    }

    fn build(config: Config, dir_lock: Option<crate::persist::dirlock::DirLock>) -> Arc<Engine> {
        let store = Store::new(config);
        let scripts = crate::scripting::Scripts::default();
        let engine = Arc::new(Engine {
            script: scripts.watch.clone(),
            databases: store.dbs.len(),
            gate: store.gate.clone(),
            pause: store.pause.clone(),
            store: Mutex::new(store),
            scripts: Mutex::new(scripts),
            dir_lock,
        });
        spawn_sweeper(Arc::downgrade(&engine));
        engine
    }

    /// Exclusive access to the store. Everything done while the guard lives
    /// is atomic with respect to other clients.
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock()
    }

    /// Takes the lock, or None while a script holds it (a script may hold
    /// it until SCRIPT KILL): for a caller that must not wait that long.
    pub fn lock_unless_script(&self) -> Option<MutexGuard<'_, Store>> {
        loop {
            if self.script_running() {
                return None;
            }
            // Short slices: a script that starts while we wait is noticed.
            if let Some(store) = self.store.try_lock_for(Duration::from_millis(2)) {
                return Some(store);
            }
        }
    }

    /// The scripts and function libraries, for callers that dispatch
    /// under a lock they took with [`Engine::lock`].
    #[inline]
    pub fn scripts(&self) -> &Mutex<crate::scripting::Scripts> {
        &self.scripts
    }

    /// Number of databases (without taking the lock).
    #[inline]
    pub fn databases(&self) -> usize {
        self.databases
    }

    /// True while every command must take the dispatcher (ACL limits,
    /// pending kills): callers must not use typed fast paths then.
    #[inline]
    pub fn gated(&self) -> bool {
        self.gate.load(Ordering::Acquire) || self.pause.active()
    }

    /// True while CLIENT PAUSE is in force (callers should release the
    /// GIL: commands may wait).
    #[inline]
    pub fn paused(&self) -> bool {
        self.pause.active()
    }

    /// Disconnects a client whose handle is going away (CLIENT LIST no
    /// longer shows it; its subscriptions and WATCHes end).
    pub fn disconnect(&self, client: &mut ClientState) {
        if client.registered {
            clients::disconnect(&mut self.store.lock(), client);
        }
    }

    /// Drops `client`'s WATCHes; while a script holds the lock, as an
    /// UNWATCH the script serves when busy (see [`Engine::execute_cmd`]).
    pub fn unwatch(&self, client: &mut ClientState) {
        if client.watched.is_empty() {
            return;
        }
        if let Some(mut store) = self.lock_unless_script() {
            return commands::transactions::unwatch_all(&mut store, client);
        }
        if let Some(cmd) = commands::lookup(b"unwatch") {
            self.execute_cmd(client, cmd, &[b"unwatch"]);
        }
    }

    /// True while a script runs (it holds the lock meanwhile): callers
    /// that would wait for the lock should not hold other locks (the GIL).
    #[inline]
    pub fn script_running(&self) -> bool {
        self.script.running()
    }

    /// Takes the lock for `argv`, or answers it without the lock when a
    /// script holding the lock has run past its busy threshold, as Redis
    /// answers: an unknown command or a wrong number of arguments first,
    /// then `BUSY` or SCRIPT KILL's own reply. Before the threshold it
    /// waits like any contended lock. Past it, [`NoLock::WhileBusy`] hands
    /// the call to the script ([`Engine::run_while_busy`]) when the answer
    /// needs the store: a command Redis allows while busy, or any command
    /// from a client that is not [`Engine::vetted`] (its AUTH and ACL
    /// checks come before BUSY, and they read the store).
    #[inline]
    fn lock_for(
        &self,
        client: &ClientState,
        cmd: Option<&'static commands::Command>,
        argv: &[&[u8]],
    ) -> Result<MutexGuard<'_, Store>, NoLock> {
        match self.store.try_lock() {
            Some(store) => Ok(store),
            None => self.lock_contended(client, cmd, argv),
        }
    }

    /// True when `client`'s commands need no AUTH or ACL check that reads
    /// the store: it is registered and authenticated, and no ACL rule
    /// limits anyone (see [`Engine::lock_for`]). A client inside MULTI
    /// is not: a command refused with BUSY aborts its transaction, which
    /// the script's hook records.
    #[inline]
    fn vetted(&self, client: &ClientState) -> bool {
        client.registered
            && client.authenticated
            && client.multi.is_none()
            && !self.gate.load(Ordering::Acquire)
    }

    /// The lock for a batch, which holds it for all its commands; None
    /// once a script holding it has run past its busy threshold (the
    /// batch's commands are then answered one by one:
    /// [`Engine::execute_one_by_one`]).
    fn lock_for_batch(&self) -> Option<MutexGuard<'_, Store>> {
        loop {
            if let Some(store) = self.store.try_lock_for(Duration::from_millis(2)) {
                return Some(store);
            }
            if self.script.timed_out() {
                return None;
            }
        }
    }

    /// A batch's commands while a script is busy, each answered as Redis
    /// answers a pipeline's commands then (BUSY, or served by the
    /// script, or run once the script ends). Blocking commands answer at
    /// once, as in a batch under the lock.
    #[cold]
    fn execute_one_by_one<'a>(
        &self,
        client: &mut ClientState,
        batch: impl Iterator<Item = (Option<&'static commands::Command>, &'a [&'a [u8]])>,
    ) -> Vec<Frame> {
        let was = std::mem::replace(&mut client.no_block, true);
        let frames = batch
            .map(|(cmd, argv)| match cmd {
                Some(cmd) => self.execute_cmd(client, cmd, argv),
                None => self.execute(client, argv),
            })
            .collect();
        client.no_block = was;
        frames
    }

    #[cold]
    fn lock_contended(
        &self,
        client: &ClientState,
        cmd: Option<&'static commands::Command>,
        argv: &[&[u8]],
    ) -> Result<MutexGuard<'_, Store>, NoLock> {
        loop {
            if self.script.timed_out() {
                let cmd = match cmd.map_or_else(|| commands::resolve(argv), Ok) {
                    Ok(cmd) if cmd.arity_ok(argv.len()) => cmd,
                    Ok(cmd) => {
                        let error = crate::error::Error::WrongArity(cmd.name.to_string());
                        return Err(NoLock::Reply(error.to_frame()));
                    }
                    Err(error) => return Err(NoLock::Reply(error.to_frame())),
                };
                if !self.vetted(client) {
                    return Err(NoLock::WhileBusy(cmd));
                }
                return Err(match crate::scripting::busy_reply(&self.script, cmd) {
                    Some(reply) => NoLock::Reply(reply),
                    None => NoLock::WhileBusy(cmd),
                });
            }
            // Short slices: a script that starts while we wait must be
            // noticed once it passes its threshold.
            if let Some(store) = self.store.try_lock_for(Duration::from_millis(2)) {
                return Ok(store);
            }
        }
    }

    /// Answers a command that arrives while a script is busy from inside
    /// the running script, which holds the store
    /// ([`commands::dispatch_while_busy`]): the client's state goes to the
    /// script's hook with the call and comes back with the reply. None if
    /// the script ended first (the caller takes the lock as usual).
    #[cold]
    fn run_while_busy(
        &self,
        client: &mut ClientState,
        cmd: &'static commands::Command,
        argv: &[&[u8]],
    ) -> Option<Frame> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let owned = std::mem::replace(client, ClientState::ephemeral(client.db));
        let args: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
        let watch = self.script.clone();
        let call: crate::scripting::BusyCall = Box::new(move |store| {
            let mut owned = owned;
            let frame = store.map(|store| {
                let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                commands::dispatch_while_busy(store, &watch, &mut owned, cmd, &args)
            });
            let _ = tx.send((owned, frame));
        });
        if let Err(call) = self.script.submit(call) {
            call(None);
        }
        match rx.recv() {
            Ok((owned, frame)) => {
                *client = owned;
                frame
            }
            // The call panicked inside the script's hook; the client's
            // state went with it and it starts again unregistered.
            Err(_) => Some(Frame::error("ERR internal error while the script was busy")),
        }
    }

    /// Runs one command (argv includes the name) for `client`.
    pub fn execute(&self, client: &mut ClientState, argv: &[&[u8]]) -> Frame {
        if self.pause.active() {
            self.pause.wait(commands::resolve(argv).ok());
        }
        loop {
            match self.lock_for(client, None, argv) {
                Ok(mut store) => {
                    return commands::dispatch_in(&mut store, Some(&self.scripts), client, argv)
                }
                Err(NoLock::Reply(reply)) => return refused(client, reply),
                Err(NoLock::WhileBusy(cmd)) => {
                    if let Some(reply) = self.run_while_busy(client, cmd, argv) {
                        return reply;
                    }
                }
            }
        }
    }

    /// Runs a known command, skipping the name lookup (the Python fast path).
    #[inline]
    pub fn execute_cmd(
        &self,
        client: &mut ClientState,
        cmd: &'static commands::Command,
        argv: &[&[u8]],
    ) -> Frame {
        if self.pause.active() {
            self.pause.wait(Some(cmd));
        }
        loop {
            match self.lock_for(client, Some(cmd), argv) {
                Ok(mut store) => {
                    return commands::dispatch_cmd_in(
                        &mut store,
                        Some(&self.scripts),
                        client,
                        cmd,
                        argv,
                    )
                }
                Err(NoLock::Reply(reply)) => return refused(client, reply),
                Err(NoLock::WhileBusy(_)) => {
                    if let Some(reply) = self.run_while_busy(client, cmd, argv) {
                        return reply;
                    }
                }
            }
        }
    }

    /// Gives up waiting for blocked client `id` (timeout, interrupt): a
    /// reply that was delivered meanwhile is returned, never dropped.
    pub fn cancel_block(&self, id: u64, slot: &blocking::WaitSlot) -> Option<Frame> {
        let mut store = self.store.lock();
        store.blocking.remove(id);
        slot.take()
    }

    /// Runs `f` on database `db` under the lock with a command clock: the
    /// Python fast paths use it to call a read command's typed core
    /// directly (the table handler calls the same core), skipping reply
    /// frames. The bookkeeping is the dispatcher's ([`commands::prepare`]),
    /// the keyspace events the call raised (a key expiring on access) are
    /// published at once, and a panic in `f` returns `None` (the caller
    /// then takes the general path, which answers with an error reply).
    /// `cmd` and `argv` are what the call stands for: it is measured for
    /// SLOWLOG and LATENCY like any command.
    #[inline]
    pub fn with_db<R: Outcome>(
        &self,
        db: usize,
        cmd: &'static commands::Command,
        argv: &[&[u8]],
        f: impl FnOnce(&mut Db, Now<'_>) -> R,
    ) -> Option<R> {
        let mut store = self.store.lock();
        commands::prepare(&mut store, db);
        let cell = std::cell::Cell::new(0);
        let started = clock::Stopwatch::start();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f(&mut store.dbs[db], Now::new(&cell))
        }));
        store.dbs[db].settle();
        commands::slowlog::record(&mut store, None, cmd, argv, started.elapsed());
        if let Some(error) = outcome.as_ref().ok().and_then(Outcome::error) {
            commands::slowlog::failed(&mut store, cmd);
            commands::slowlog::count_error(&mut store, error.to_string().as_bytes());
        }
        store.flush_db_events(db);
        if store.aof.on() {
            // A read may have expired its key: the deletion is propagated.
            crate::persist::aof::propagate_expired(&mut store);
            crate::persist::aof::commit(&mut store);
        }
        outcome.ok()
    }

    /// Runs a plain write's typed core on database `db` when nothing but
    /// the keyspace and the AOF has to see it: no maxmemory, no keyspace
    /// events, no MONITOR, no client tracking, no blocked clients and no
    /// save points (see [`Store::writes_unobserved`]). Then the
    /// dispatcher's work after a write reduces to what is done here:
    /// WATCHers of `key` are told, the change is counted, `argv` (a
    /// command Redis propagates as given, such as a plain SET) goes to the
    /// AOF, and the call is measured like any command. `None` (nothing
    /// done) when the general path must run: `appendfsync always`, the
    /// AOF reports an error (MISCONF), `key` is past its deadline (its deletion is propagated
    /// first there), or `f` panicked (the general path then answers with
    /// the error reply).
    #[inline]
    pub fn with_db_write<R>(
        &self,
        db: usize,
        cmd: &'static commands::Command,
        argv: &[&[u8]],
        key: &[u8],
        f: impl FnOnce(&mut Db, Now<'_>) -> R,
    ) -> Option<R> {
        let mut store = self.store.lock();
        if !store.writes_unobserved() {
            return None;
        }
        let cell = std::cell::Cell::new(0);
        let aof = store.aof.on();
        // Under `appendfsync always` the reply waits for the fsync and may
        // have to be an error: the general path answers it.
        if aof
            && (crate::persist::aof::always(&store)
                || crate::persist::disk_error(&mut store).is_some()
                || (store.dbs[db].volatile_len() > 0
                    && store.dbs[db].key_is_expired(key, Now::new(&cell))))
        {
            return None;
        }
        commands::prepare(&mut store, db);
        let started = clock::Stopwatch::start();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f(&mut store.dbs[db], Now::new(&cell))
        }));
        store.dbs[db].settle();
        if outcome.is_ok() {
            store.dbs[db].touch(key);
            store.dirty += 1;
            if aof {
                crate::persist::aof::propagate(&mut store, db, argv);
                // Not `always` (checked above): acknowledged before the
                // write, as Redis does, so this cannot refuse it.
                crate::persist::aof::commit(&mut store);
            }
        }
        commands::slowlog::record(&mut store, None, cmd, argv, started.elapsed());
        outcome.ok()
    }

    /// Like [`Engine::execute_batch`] with commands already looked up
    /// (`None` resolves by name).
    pub fn execute_batch_cmds(
        &self,
        client: &mut ClientState,
        batch: &[(Option<&'static commands::Command>, &[&[u8]])],
    ) -> Vec<Frame> {
        if self.pause.active() {
            for (cmd, argv) in batch {
                self.pause
                    .wait(cmd.or_else(|| commands::resolve(argv).ok()));
            }
        }
        let Some(mut store) = self.lock_for_batch() else {
            return self.execute_one_by_one(client, batch.iter().copied());
        };
        // A pipeline holds the lock throughout: its blocking commands must
        // answer at once, as inside MULTI.
        let was = std::mem::replace(&mut client.no_block, true);
        if let Some(aof) = store.aof.aof.as_mut() {
            aof.defer_fsync = true;
        }
        // The commands whose AOF entries wait for the pipeline's end.
        let mut waiting = Vec::new();
        let mut frames: Vec<Frame> = batch
            .iter()
            .enumerate()
            .map(|(i, (cmd, argv))| {
                let before = crate::persist::aof::deferred(&store);
                let frame = match cmd {
                    Some(cmd) => commands::dispatch_cmd_in(
                        &mut store,
                        Some(&self.scripts),
                        client,
                        cmd,
                        argv,
                    ),
                    None => commands::dispatch_in(&mut store, Some(&self.scripts), client, argv),
                };
                if crate::persist::aof::deferred(&store) != before {
                    waiting.push(i);
                }
                frame
            })
            .collect();
        client.no_block = was;
        // `appendfsync always`: one fsync for the whole pipeline; if it
        // fails, the writes that waited for it are not acknowledged.
        if !crate::persist::aof::end_batch(&mut store) {
            let refused = crate::persist::aof::write_error_reply(&store);
            for i in waiting {
                let readonly = batch[i]
                    .0
                    .or_else(|| commands::resolve(batch[i].1).ok())
                    .is_some_and(|c| c.has(commands::flags::READONLY));
                if !readonly {
                    frames[i] = refused.clone();
                }
            }
        }
        frames
    }

    /// Runs several commands under one lock (a pipeline): no other client
    /// runs in between, and the lock is taken once.
    pub fn execute_batch<B: AsRef<[A]>, A: AsRef<[u8]>>(
        &self,
        client: &mut ClientState,
        batch: &[B],
    ) -> Vec<Frame> {
        let Some(mut store) = self.lock_for_batch() else {
            let argvs: Vec<Vec<&[u8]>> = batch
                .iter()
                .map(|c| c.as_ref().iter().map(|a| a.as_ref()).collect())
                .collect();
            return self.execute_one_by_one(client, argvs.iter().map(|a| (None, a.as_slice())));
        };
        let was = std::mem::replace(&mut client.no_block, true);
        let mut argv: Vec<&[u8]> = Vec::new();
        let frames = batch
            .iter()
            .map(|cmd| {
                argv.clear();
                argv.extend(cmd.as_ref().iter().map(|a| a.as_ref()));
                commands::dispatch_in(&mut store, Some(&self.scripts), client, &argv)
            })
            .collect();
        client.no_block = was;
        frames
    }
}

/// What a fast path's typed core returned ([`Engine::with_db`]): the
/// error reply it stands for, if any, counted as the dispatcher counts
/// a failed call.
pub trait Outcome {
    /// The error the command answers with.
    fn error(&self) -> Option<&crate::error::Error>;
}

impl<T> Outcome for Result<T, crate::error::Error> {
    #[inline]
    fn error(&self) -> Option<&crate::error::Error> {
        self.as_ref().err()
    }
}

/// A reply given without the lock; an error (an unknown command, a wrong
/// number of arguments) aborts the client's transaction, as Redis does.
fn refused(client: &mut ClientState, reply: Frame) -> Frame {
    if let (Frame::Error(_), Some(m)) = (&reply, client.multi.as_mut()) {
        m.aborted = true;
    }
    reply
}

/// Why [`Engine::lock_for`] gave no lock.
enum NoLock {
    /// The reply, without the lock (`BUSY`, SCRIPT KILL's).
    Reply(Frame),
    /// A command Redis serves while a script is busy: run it through the
    /// script ([`Engine::run_while_busy`]).
    WhileBusy(&'static commands::Command),
}

/// The active expiry thread: `hz` times a second it locks the store for a
/// bounded cycle. It holds only a weak reference, so it ends with the engine.
fn spawn_sweeper(engine: Weak<Engine>) {
    let spawned = std::thread::Builder::new()
        .name("redcore-expire".into())
        .spawn(move || loop {
            let hz = match engine.upgrade() {
                Some(e) => {
                    clock::tick_lru_clock();
                    let mut store = e.store.lock();
                    if store.config.active_expire_enabled {
                        store.active_expire_cycle(Duration::from_millis(25));
                    }
                    crate::persist::rdbfile::auto_save(&mut store, Some(&e.scripts));
                    crate::persist::aof::auto_rewrite(&mut store, Some(&e.scripts));
                    store.used_memory_peaked();
                    store.config.hz.clamp(1, 500)
                }
                None => return,
            };
            std::thread::sleep(Duration::from_millis(1000 / hz as u64));
        });
    // Without the thread keys still expire lazily on access, so a failed
    // spawn (thread limit reached) degrades rather than fails.
    drop(spawned);
}

static NAMED: LazyLock<Mutex<HashMap<String, Arc<Engine>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The process-wide engine registered under `name`, created on first use.
/// Named engines live until the process exits, like a server would; two
/// clients opened with the same name see the same data.
pub fn named(name: &str) -> Arc<Engine> {
    NAMED
        .lock()
        .entry(name.to_string())
        .or_insert_with(Engine::new)
        .clone()
}

/// Like [`named`]; `config` (startup settings) applies only when this
/// call creates the engine: an engine that already exists keeps its own.
pub fn named_with(name: &str, config: Option<Config>) -> Arc<Engine> {
    NAMED
        .lock()
        .entry(name.to_string())
        .or_insert_with(|| Engine::with_config(config.unwrap_or_default()))
        .clone()
}

/// Like [`named_with`], for startup settings that name a data directory:
/// the engine is made by [`Engine::open`] (lock, load) when this call
/// creates it; an engine that already exists is returned as it is.
pub fn named_open(name: &str, config: Config) -> Result<Arc<Engine>, OpenError> {
    // Opens run one at a time (two opening one name must not both load),
    // but without the registry's lock: other engines stay reachable
    // while a large file loads.
    static OPENING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = OPENING.lock();
    if let Some(e) = NAMED.lock().get(name) {
        return Ok(e.clone());
    }
    let engine = Engine::open(config)?;
    Ok(NAMED
        .lock()
        .entry(name.to_string())
        .or_insert(engine)
        .clone())
}

/// Removes `name` from the registry; its data lives on only while clients
/// still hold it. Returns false if no engine had that name.
pub fn forget_named(name: &str) -> bool {
    NAMED.lock().remove(name).is_some()
}
