//! The append-only file in Redis 7's multi-part layout.
//!
//! `<dir>/<appenddirname>/` holds a manifest (`appendonly.aof.manifest`,
//! see [`manifest`]), one base file written by a rewrite
//! (`appendonly.aof.N.base.rdb`: an RDB with the `aof-base` aux field; or,
//! under `aof-use-rdb-preamble no`, `appendonly.aof.N.base.aof`: RESP
//! commands that rebuild every key, see [`rewrite`]) and incremental
//! files (`appendonly.aof.N.incr.aof`: the writes since, as RESP commands).
//!
//! Writes reach the AOF as Redis 7.0 propagates them ([`effects`]): the
//! dispatcher calls [`effects::before`] / [`effects::after`] around every
//! command it runs, which turn the command into the commands to replay
//! (relative TTLs made absolute, random pops made deterministic, scripts
//! and EXEC by their effects) and hand them to [`propagate`]. At the end
//! of the top-level command [`commit`] moves them to the file buffer,
//! wrapped in MULTI/EXEC when there are several, with a SELECT whenever
//! the database changes. Deletions made outside any command (the active
//! expiry sweep, evictions) are entries of their own, never wrapped, as
//! in Redis 7.0. `appendfsync always` writes and fsyncs there, before the
//! command returns (a failure makes the command's reply the MISCONF
//! error rather than a success); `everysec` and `no` leave the buffer to the
//! background thread (`redcore-aof`), which writes it every 100 ms (or at
//! once when it outgrows [`FLUSH_AT`]) and, under `everysec`, fsyncs once
//! a second outside every lock.
//!
//! Rewrites ([`rewrite`]) switch writes to a new incremental file at once,
//! write the new base from a snapshot on a thread, then swap the manifest
//! atomically and delete the files it no longer names. Loading is
//! [`load::load`].

pub mod effects;
pub mod load;
pub mod manifest;
pub mod rewrite;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Once, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::commands::Scripts;
use crate::engine::{Now, Store};
use crate::persist::rdbfile;
use manifest::{FileInfo, Kind, Manifest};

/// Buffered bytes beyond which a command writes them itself instead of
/// leaving them to the background thread.
pub const FLUSH_AT: usize = 64 * 1024;

/// How often the background thread writes the buffer.
const WRITE_EVERY: Duration = Duration::from_millis(100);

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    fn from_config(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// The AOF state a store keeps: the open AOF while `appendonly` is on,
/// and the rewrite status, which outlives it.
#[derive(Debug, Default)]
pub struct AofState {
    pub aof: Option<Aof>,
    pub status: Arc<Status>,
}

impl AofState {
    /// True while writes are being appended.
    #[inline]
    pub fn on(&self) -> bool {
        self.aof.is_some()
    }
}

/// Rewrite and write results, shared with the threads (INFO persistence).
#[derive(Debug)]
pub struct Status {
    pub rewriting: AtomicBool,
    pub rewrites: AtomicU64,
    pub last_rewrite_ok: AtomicBool,
    /// Seconds the last rewrite took (-1: none yet).
    pub last_rewrite_secs: AtomicI64,
    /// Unix ms when the running rewrite started.
    pub rewrite_started: AtomicI64,
    /// False after a write to the file failed, until one succeeds (INFO
    /// aof_last_write_status; writes are refused with MISCONF meanwhile).
    pub last_write_ok: AtomicBool,
    /// False after an fsync failed, until one succeeds (MISCONF too).
    pub last_fsync_ok: AtomicBool,
    /// The OS error of the last failed write or fsync (MISCONF's text).
    pub last_errno: AtomicI32,
    pub delayed_fsync: AtomicU64,
}

impl Status {
    /// Why writes must be refused, if the file is failing: the OS's
    /// description of the error (C's `strerror`).
    pub fn write_error(&self) -> Option<String> {
        if self.last_write_ok.load(Ordering::Relaxed) && self.last_fsync_ok.load(Ordering::Relaxed)
        {
            return None;
        }
        Some(strerror(self.last_errno.load(Ordering::Relaxed)))
    }
}

/// C's `strerror` text for `errno` (Rust's io::Error text without its
/// " (os error N)" suffix).
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

impl Default for Status {
    fn default() -> Self {
        Status {
            rewriting: AtomicBool::new(false),
            rewrites: AtomicU64::new(0),
            last_rewrite_ok: AtomicBool::new(true),
            last_rewrite_secs: AtomicI64::new(-1),
            rewrite_started: AtomicI64::new(0),
            last_write_ok: AtomicBool::new(true),
            last_fsync_ok: AtomicBool::new(true),
            last_errno: AtomicI32::new(0),
            delayed_fsync: AtomicU64::new(0),
        }
    }
}

/// An open AOF: the current command's pending commands (under the store
/// lock) and the file side ([`Shared`]), which the threads reach too.
pub struct Aof {
    shared: Arc<Shared>,
    /// RESP of the commands the running command propagated.
    pending: Vec<u8>,
    /// (database, start in `pending`) of each.
    ops: Vec<(usize, usize)>,
    fsync: Fsync,
    /// Set while a pipeline runs: `always` fsyncs once at its end.
    pub defer_fsync: bool,
    /// Commands whose entries wait for the end of the pipeline
    /// ([`deferred`]).
    deferred: u64,
}

impl std::fmt::Debug for Aof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aof").field("fsync", &self.fsync).finish()
    }
}

/// The file side of an AOF.
struct Shared {
    io: Mutex<Io>,
    closed: AtomicBool,
    status: Arc<Status>,
}

struct Io {
    /// The store's AOF status (write and fsync results).
    status: Arc<Status>,
    dir: PathBuf,
    filename: String,
    manifest: Manifest,
    /// False until the manifest naming the current files is on disk
    /// (turning AOF on: the first rewrite writes it).
    manifest_written: bool,
    file: Arc<File>,
    buf: Vec<u8>,
    /// The database the file's last SELECT chose (`None` at a new file).
    selected: Option<usize>,
    fsync: Fsync,
    /// Bytes written but not yet fsynced.
    unsynced: bool,
    last_fsync: Instant,
    base_size: u64,
    /// Size of the incremental files (all of them, the current included).
    incr_size: u64,
    /// The first incremental file a running rewrite keeps.
    rewrite_keeps_from: Option<u64>,
    /// The AOF's size after the last rewrite (or at open): automatic
    /// rewrites measure growth against it.
    grown_from: u64,
}

impl Io {
    /// Writes the buffer to the file; on failure keeps it for a retry
    /// (a partial write is cut off the file again, as Redis does) and
    /// records the error: writes are refused with MISCONF until a write
    /// succeeds. The error is logged when it starts and when it ends.
    fn write_buf(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let mut written = 0usize;
        let result = loop {
            match (&*self.file).write(&self.buf[written..]) {
                Ok(0) => break Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
                Ok(n) => {
                    written += n;
                    if written == self.buf.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        let st = &self.status;
        match result {
            Ok(()) => {
                self.incr_size += self.buf.len() as u64;
                self.buf.clear();
                self.unsynced = true;
                if !st.last_write_ok.swap(true, Ordering::Relaxed) {
                    log_warning("AOF write error looks solved, writes are accepted again.");
                }
                true
            }
            Err(e) => {
                if written > 0 {
                    // Nothing half-written stays in the file.
                    let cut = self
                        .file
                        .metadata()
                        .and_then(|m| self.file.set_len(m.len().saturating_sub(written as u64)));
                    if let Err(t) = cut {
                        log_error(&format!(
                            "Could not remove a short write from the AOF file: {t}"
                        ));
                    }
                }
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                st.last_errno.store(errno, Ordering::Relaxed);
                if st.last_write_ok.swap(false, Ordering::Relaxed) {
                    log_error(&format!(
                        "Error writing to the AOF file: {}: writes are refused (MISCONF) until a write succeeds",
                        strerror(errno)
                    ));
                }
                false
            }
        }
    }

    fn sync(&mut self) -> bool {
        if !self.unsynced {
            return true;
        }
        let result = self.file.sync_data();
        if self.fsync_done(result) {
            self.unsynced = false;
            self.last_fsync = Instant::now();
            true
        } else {
            false
        }
    }

    /// Records an fsync's result (MISCONF while fsyncs fail); true if it
    /// succeeded.
    ///
    /// Outside `always`, redis-server fsyncs in the background and takes
    /// EINVAL and EBADF for "nothing to sync" (a file that cannot be
    /// synced, a descriptor closed meanwhile), not for a disk failure:
    /// writes go on. Under `always` every fsync error is one.
    fn fsync_done(&self, result: std::io::Result<()>) -> bool {
        let st = &self.status;
        let result = match result {
            Err(e)
                if self.fsync != Fsync::Always
                    && matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EBADF)) =>
            {
                Ok(())
            }
            r => r,
        };
        match result {
            Ok(()) => {
                if !st.last_fsync_ok.swap(true, Ordering::Relaxed) {
                    log_warning("AOF fsync error looks solved, writes are accepted again.");
                }
                true
            }
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                st.last_errno.store(errno, Ordering::Relaxed);
                if st.last_fsync_ok.swap(false, Ordering::Relaxed) {
                    log_error(&format!("Error syncing the AOF file: {}", strerror(errno)));
                }
                false
            }
        }
    }
}

/// Engine events go to the `log` facade (Python's `logging` under
/// `redcore.persist.aof` once the module installs the bridge), never to
/// stdout.
fn log_error(msg: &str) {
    log::error!("{msg}");
}

fn log_warning(msg: &str) {
    log::warn!("{msg}");
}

fn log_info(msg: &str) {
    log::info!("{msg}");
}

/// Appends `argv` (a command to replay on database `db`) to the running
/// command's propagation. The dispatcher calls it for every write; other
/// code that changes the keyspace outside a command (eviction) calls it
/// too, then [`commit`]. Does nothing while appendonly is off.
pub fn propagate<A: AsRef<[u8]>>(store: &mut Store, db: usize, argv: &[A]) {
    let Some(aof) = store.aof.aof.as_mut() else {
        return;
    };
    let start = aof.pending.len();
    encode_command(&mut aof.pending, argv);
    aof.ops.push((db, start));
}

/// Propagates the eviction of `key` from database `db` (maxmemory):
/// `DEL`, or `UNLINK` under `lazyfree-lazy-eviction`, as its own entry in
/// the AOF. [`crate::engine::Store::evict_key`] calls it.
pub fn propagate_eviction(store: &mut Store, db: usize, key: &[u8]) {
    if !store.aof.on() {
        return;
    }
    let del: &[u8] = if lazy(store, "lazyfree-lazy-eviction") {
        b"UNLINK"
    } else {
        b"DEL"
    };
    propagate(store, db, &[del, key]);
    // Evictions happen before a command (the dispatcher's maxmemory gate)
    // or in CONFIG SET maxmemory outside EXEC and scripts: nothing else is
    // pending, and each is its own entry, never in MULTI/EXEC (Redis 7.0
    // propagates evictions apart). Should a command's writes be pending,
    // the eviction joins them rather than split their entry.
    if store.aof.aof.as_ref().is_some_and(|a| a.ops.len() == 1) {
        commit(store);
    }
}

/// RESP of one command: `*N` then each argument as a bulk string.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    push_num(out, argv.len());
    for a in argv {
        let a = a.as_ref();
        out.push(b'$');
        push_num(out, a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn push_num(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// True under `appendfsync always`: a write is acknowledged only once its
/// entry is on disk ([`commit`] says whether it got there).
#[inline]
pub fn always(store: &Store) -> bool {
    store
        .aof
        .aof
        .as_ref()
        .is_some_and(|a| a.fsync == Fsync::Always)
}

/// Ends a top-level command: its propagated commands go to the file
/// buffer (in MULTI/EXEC when there are several), and under `always` to
/// the disk before this returns.
///
/// False when, under `always`, they could not be written and fsynced: the
/// command must not be acknowledged as a success (where Redis exits, an
/// engine inside a user's process answers with the MISCONF error, see
/// [`write_error_reply`]). They stay buffered and reach the file once a
/// write succeeds; meanwhile the disk gate refuses writes. True otherwise
/// (nothing to write, or `everysec` / `no`, which acknowledge before the
/// write as Redis does; inside a pipeline, [`end_batch`] answers).
pub fn commit(store: &mut Store) -> bool {
    commit_as(store, false)
}

/// Like [`commit`], writing and fsyncing under `always` at once even
/// inside a pipeline: for a reply that leaves before the pipeline ends (a
/// blocked client served by it).
pub fn commit_now(store: &mut Store) -> bool {
    commit_as(store, true)
}

fn commit_as(store: &mut Store, now: bool) -> bool {
    let Some(aof) = store.aof.aof.as_mut() else {
        return true;
    };
    if aof.ops.is_empty() {
        return true;
    }
    let mut io = aof.shared.io.lock();
    let wrap = aof.ops.len() > 1;
    let n = aof.ops.len();
    for i in 0..n {
        let (db, start) = aof.ops[i];
        let end = aof.ops.get(i + 1).map_or(aof.pending.len(), |o| o.1);
        if io.selected != Some(db) {
            let text = db.to_string();
            encode_command(&mut io.buf, &[b"SELECT".as_slice(), text.as_bytes()]);
            io.selected = Some(db);
        }
        if wrap && i == 0 {
            encode_command(&mut io.buf, &[b"MULTI"]);
        }
        io.buf.extend_from_slice(&aof.pending[start..end]);
    }
    if wrap {
        encode_command(&mut io.buf, &[b"EXEC"]);
    }
    aof.ops.clear();
    aof.pending.clear();
    if aof.pending.capacity() > FLUSH_AT * 16 {
        // One huge command must not pin its buffer for good.
        aof.pending.shrink_to(FLUSH_AT);
    }
    match aof.fsync {
        Fsync::Always if now || !aof.defer_fsync => io.write_buf() && io.sync(),
        policy => {
            if policy == Fsync::Always {
                aof.deferred += 1;
            }
            if io.buf.len() >= FLUSH_AT {
                io.write_buf();
            }
            true
        }
    }
}

/// How many commands of the running pipeline have left their entries to
/// [`end_batch`] (`appendfsync always`): a pipeline compares it before and
/// after each command to know which replies wait on that write.
pub fn deferred(store: &Store) -> u64 {
    store.aof.aof.as_ref().map_or(0, |a| a.deferred)
}

/// Ends a pipeline that deferred `always` fsyncs: writes and fsyncs once.
/// False if that failed: the replies of the commands whose entries waited
/// for it (see [`deferred`]) must not be acknowledged as successes.
pub fn end_batch(store: &mut Store) -> bool {
    let Some(aof) = store.aof.aof.as_mut() else {
        return true;
    };
    aof.defer_fsync = false;
    let waited = std::mem::take(&mut aof.deferred) > 0;
    if aof.fsync == Fsync::Always {
        let mut io = aof.shared.io.lock();
        let ok = io.write_buf() && io.sync();
        return ok || !waited;
    }
    true
}

/// The reply to a write whose entries could not be written or fsynced
/// under `always`: Redis's MISCONF text for a failing AOF (the error later
/// writes meet at the disk gate).
pub fn write_error_reply(store: &Store) -> crate::resp::Frame {
    let e = store
        .aof
        .status
        .write_error()
        .unwrap_or_else(|| strerror(libc::EIO));
    crate::resp::Frame::Error(crate::persist::DiskError::Aof(e).text().into())
}

/// Writes and fsyncs whatever is buffered (SHUTDOWN, turning AOF off).
pub fn flush(store: &mut Store) {
    if let Some(aof) = store.aof.aof.as_mut() {
        let mut io = aof.shared.io.lock();
        let _ = io.write_buf() && io.sync();
    }
}

/// Propagates the keys the keyspace expired (on access, or in the active
/// sweep) as DEL, or UNLINK under `lazyfree-lazy-expire`, and the hash
/// fields it expired as `HDEL key field`, as Redis does. They join the
/// running command's entry (a command that met expired keys is wrapped in
/// MULTI/EXEC with them, as in Redis 7.0); the active sweep uses
/// [`propagate_expired_apart`] instead.
pub fn propagate_expired(store: &mut Store) {
    propagate_expired_as(store, false);
}

/// Like [`propagate_expired`] for deletions made outside any command (the
/// active expiry sweep): each one is its own entry in the AOF, never
/// wrapped in MULTI/EXEC, as Redis 7.0 propagates background expirations.
pub fn propagate_expired_apart(store: &mut Store) {
    propagate_expired_as(store, true);
}

fn propagate_expired_as(store: &mut Store, apart: bool) {
    if !store.aof.on() {
        return;
    }
    if apart {
        // Nothing of a command may be pending here; if it were, it is
        // its own entry too.
        commit(store);
    }
    for db in 0..store.dbs.len() {
        if store.dbs[db].expired_log.is_empty() {
            continue;
        }
        let keys = std::mem::take(&mut store.dbs[db].expired_log);
        let del: &[u8] = if lazy(store, "lazyfree-lazy-expire") {
            b"UNLINK"
        } else {
            b"DEL"
        };
        for key in keys {
            propagate(store, db, &[del, &key]);
            if apart {
                commit(store);
            }
        }
    }
    for db in 0..store.dbs.len() {
        if store.dbs[db].expired_fields_log.is_empty() {
            continue;
        }
        let fields = std::mem::take(&mut store.dbs[db].expired_fields_log);
        for (key, field) in fields {
            propagate(store, db, &[b"HDEL".as_slice(), &key, &field]);
            if apart {
                commit(store);
            }
        }
    }
}

/// True when the `lazyfree-*` setting `name` is on.
pub fn lazy(store: &Store, name: &str) -> bool {
    store.config.extra.get(name).is_some_and(|v| v == "yes")
}

/// The AOF directory: `dir` / `appenddirname`.
pub fn aof_dir(config: &crate::engine::Config) -> PathBuf {
    let name = config
        .extra
        .get("appenddirname")
        .map_or("appendonlydir", String::as_str);
    Path::new(&config.dir).join(name)
}

/// Opens the AOF of a store whose data was just loaded (or that starts
/// empty): continues the manifest's last incremental file, or, in a
/// directory without one, writes an empty base, a first incremental file
/// and the manifest, so the directory is complete at once.
pub fn open(store: &mut Store, scripts: Scripts<'_>) -> Result<(), String> {
    let dir = aof_dir(&store.config);
    let filename = store.config.appendfilename.clone();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
    let found = Manifest::read(&dir, &filename)?;
    let (manifest, file) = match found {
        Some(mut m) if !m.incrs.is_empty() => {
            let last = m.incrs.last().map(|f| f.name.clone()).unwrap_or_default();
            let file = open_append(&dir.join(&last))?;
            m.history.clear();
            (m, file)
        }
        other => {
            let mut m = other.unwrap_or_default();
            if m.base.is_none() {
                let cell = std::cell::Cell::new(0);
                let (snap, rdb) = base_snapshot(store, Now::new(&cell), scripts);
                let seq = m.base_seq + 1;
                let t = crate::engine::now_ms() / 1000;
                let (name, data) = base_file(&filename, seq, &snap, rdb, t);
                rdbfile::write_atomic(&dir.join(&name), &data)
                    .map_err(|e| format!("Can't write the AOF base file {name}: {e}"))?;
                m.base = Some(FileInfo {
                    name,
                    seq,
                    kind: Kind::Base,
                });
                m.base_seq = seq;
            }
            m.incr_seq += 1;
            let name = manifest::incr_name(&filename, m.incr_seq);
            let file = create_new(&dir.join(&name))?;
            m.incrs.push(FileInfo {
                name,
                seq: m.incr_seq,
                kind: Kind::Incr,
            });
            m.write(&dir, &filename)
                .map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
            (m, file)
        }
    };
    let size = |f: &FileInfo| std::fs::metadata(dir.join(&f.name)).map_or(0, |m| m.len());
    let base_size = manifest.base.as_ref().map_or(0, size);
    let incr_size = manifest.incrs.iter().map(size).sum();
    let io = Io {
        status: store.aof.status.clone(),
        dir,
        filename,
        manifest,
        manifest_written: true,
        file: Arc::new(file),
        buf: Vec::new(),
        selected: None,
        fsync: Fsync::from_config(&store.config.appendfsync),
        unsynced: false,
        last_fsync: Instant::now(),
        base_size,
        incr_size,
        rewrite_keeps_from: None,
        grown_from: base_size + incr_size,
    };
    attach(store, io);
    Ok(())
}

fn open_append(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))
}

fn create_new(path: &Path) -> Result<File, String> {
    let f = OpenOptions::new()
        .append(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("Can't open the append-only file {}: {e}", path.display()))?;
    // A file left over from an unfinished rewrite is started afresh.
    f.set_len(0)
        .map_err(|e| format!("Can't truncate {}: {e}", path.display()))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(f)
}

/// Installs the open AOF in the store and starts its thread.
fn attach(store: &mut Store, io: Io) {
    let fsync = io.fsync;
    let shared = Arc::new(Shared {
        io: Mutex::new(io),
        closed: AtomicBool::new(false),
        status: store.aof.status.clone(),
    });
    register_at_exit(&shared);
    spawn_writer(Arc::downgrade(&shared));
    store.aof.aof = Some(Aof {
        shared,
        pending: Vec::new(),
        ops: Vec::new(),
        fsync,
        defer_fsync: false,
        deferred: 0,
    });
    for db in &mut store.dbs {
        db.log_expired = true;
    }
}

/// Closes the AOF: flushes and fsyncs, stops its thread.
fn detach(store: &mut Store) {
    flush(store);
    if let Some(aof) = store.aof.aof.take() {
        aof.shared.closed.store(true, Ordering::Release);
    }
    for db in &mut store.dbs {
        db.log_expired = false;
        db.expired_log.clear();
        db.expired_fields_log.clear();
    }
}

impl Drop for Aof {
    fn drop(&mut self) {
        let mut io = self.shared.io.lock();
        io.write_buf();
        io.sync();
        self.shared.closed.store(true, Ordering::Release);
    }
}

/// The background writer: writes the buffer every [`WRITE_EVERY`] and,
/// under `everysec`, fsyncs once a second without holding the lock.
fn spawn_writer(shared: Weak<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("redcore-aof".into())
        .spawn(move || loop {
            std::thread::sleep(WRITE_EVERY);
            let Some(s) = shared.upgrade() else { return };
            if s.closed.load(Ordering::Acquire) {
                return;
            }
            let to_sync = {
                let mut io = s.io.lock();
                io.write_buf();
                // Under `always` commands fsync themselves; what is left
                // unsynced is a retried write or a failed fsync after an
                // error, fsynced here so the AOF gets healthy again.
                let due = io.unsynced
                    && match io.fsync {
                        Fsync::EverySec => io.last_fsync.elapsed() >= Duration::from_secs(1),
                        Fsync::Always => true,
                        Fsync::No => false,
                    };
                if due {
                    io.unsynced = false;
                    io.last_fsync = Instant::now();
                    Some(io.file.clone())
                } else {
                    None
                }
            };
            if let Some(file) = to_sync {
                let result = file.sync_data();
                let mut io = s.io.lock();
                if !io.fsync_done(result) {
                    if io.fsync == Fsync::EverySec {
                        s.status.delayed_fsync.fetch_add(1, Ordering::Relaxed);
                    }
                    io.unsynced = true;
                }
            }
        });
    drop(spawned);
}

/// Open AOFs, flushed when the process exits normally (a named engine
/// lives until then, and `everysec` may hold the last 100 ms in memory).
static OPEN: LazyLock<Mutex<Vec<Weak<Shared>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn register_at_exit(shared: &Arc<Shared>) {
    static HOOK: Once = Once::new();
    let mut open = OPEN.lock();
    open.retain(|w| w.strong_count() > 0);
    open.push(Arc::downgrade(shared));
    drop(open);
    HOOK.call_once(|| {
        // SAFETY: registering a plain extern "C" function that never
        // unwinds (it catches panics itself).
        unsafe {
            libc::atexit(flush_all_at_exit);
        }
    });
}

extern "C" fn flush_all_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        let Some(open) = OPEN.try_lock_for(Duration::from_millis(200)) else {
            return;
        };
        for s in open.iter().filter_map(Weak::upgrade) {
            // A thread frozen mid-command may hold the lock: give up then.
            if let Some(mut io) = s.io.try_lock_for(Duration::from_millis(200)) {
                io.write_buf();
                io.sync();
            }
        }
    });
}

/// Applies `appendonly` and `appendfsync` after CONFIG SET: turning AOF
/// on writes a base first (a rewrite), as Redis does; turning it off
/// flushes and closes the file.
pub fn apply_config(store: &mut Store, now: Now<'_>, scripts: Scripts<'_>) -> Result<(), String> {
    let policy = Fsync::from_config(&store.config.appendfsync);
    if let Some(aof) = store.aof.aof.as_mut() {
        aof.fsync = policy;
        aof.shared.io.lock().fsync = policy;
    }
    match (store.config.appendonly, store.aof.on()) {
        (true, false) => enable(store, now, scripts),
        (false, true) => {
            detach(store);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Turns AOF on in a running engine: a new incremental file takes the
/// writes at once, and the rewrite that writes the base also writes the
/// manifest naming both.
fn enable(store: &mut Store, now: Now<'_>, scripts: Scripts<'_>) -> Result<(), String> {
    let dir = aof_dir(&store.config);
    let filename = store.config.appendfilename.clone();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("Can't create the AOF directory {}: {e}", dir.display()))?;
    // Sequence numbers continue the manifest already there, if any; its
    // files become history once the new base is written.
    let mut m = Manifest::read(&dir, &filename)
        .ok()
        .flatten()
        .unwrap_or_default();
    m.incr_seq += 1;
    let name = manifest::incr_name(&filename, m.incr_seq);
    let file = create_new(&dir.join(&name))?;
    let keep = m.incr_seq;
    m.incrs.push(FileInfo {
        name,
        seq: keep,
        kind: Kind::Incr,
    });
    let io = Io {
        status: store.aof.status.clone(),
        dir,
        filename,
        manifest: m,
        manifest_written: false,
        file: Arc::new(file),
        buf: Vec::new(),
        selected: None,
        fsync: Fsync::from_config(&store.config.appendfsync),
        unsynced: false,
        last_fsync: Instant::now(),
        base_size: 0,
        incr_size: 0,
        rewrite_keeps_from: Some(keep),
        grown_from: 0,
    };
    attach(store, io);
    if let Err(e) = start_rewrite(store, now, false, scripts) {
        detach(store);
        return Err(e);
    }
    Ok(())
}

/// BGREWRITEAOF. With AOF on: a background rewrite. With it off, as
/// Redis 7.0 does: a new base file and a manifest naming only it, written
/// before the reply.
pub fn bgrewriteaof(store: &mut Store, now: Now<'_>, scripts: Scripts<'_>) -> Result<(), String> {
    if store.aof.on() {
        return start_rewrite(store, now, true, scripts);
    }
    let dir = aof_dir(&store.config);
    let filename = store.config.appendfilename.clone();
    let (snap, rdb) = base_snapshot(store, now, scripts);
    let old = Manifest::read(&dir, &filename)
        .ok()
        .flatten()
        .unwrap_or_default();
    let seq = old.base_seq.max(store.persistence.aof_seq) + 1;
    let t = crate::engine::now_ms() / 1000;
    let (name, data) = base_file(&filename, seq, &snap, rdb, t);
    let m = Manifest {
        base: Some(FileInfo {
            name: name.clone(),
            seq,
            kind: Kind::Base,
        }),
        base_seq: seq,
        incr_seq: old.incr_seq,
        ..Manifest::default()
    };
    let status = store.aof.status.clone();
    let written = std::fs::create_dir_all(&dir)
        .and_then(|_| rdbfile::write_atomic(&dir.join(&name), &data))
        .and_then(|_| m.write(&dir, &filename));
    status
        .last_rewrite_ok
        .store(written.is_ok(), Ordering::Relaxed);
    if let Err(e) = written {
        log_error(&format!("AOF rewrite failed: {e}"));
        return Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into());
    }
    remove_unlisted(&dir, &old, &m);
    store.persistence.aof_seq = seq;
    status.rewrites.fetch_add(1, Ordering::Relaxed);
    status.last_rewrite_secs.store(0, Ordering::Relaxed);
    Ok(())
}

/// `auto-aof-rewrite-percentage` / `auto-aof-rewrite-min-size`, checked
/// by the engine's background thread: starts a rewrite once the AOF is
/// past the minimum size and has grown by the percentage since the last
/// rewrite. True if one started.
pub fn auto_rewrite(store: &mut Store, scripts: Scripts<'_>) -> bool {
    let Some(aof) = store.aof.aof.as_ref() else {
        return false;
    };
    if store.aof.status.rewriting.load(Ordering::Acquire) {
        return false;
    }
    let setting = |name: &str, default: u64| {
        store
            .config
            .extra
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    let percent = setting("auto-aof-rewrite-percentage", 100);
    let min_size = setting("auto-aof-rewrite-min-size", 64 << 20);
    let (size, from) = {
        let io = aof.shared.io.lock();
        (
            io.base_size + io.incr_size + io.buf.len() as u64,
            io.grown_from.max(1),
        )
    };
    if percent == 0 || size < min_size || (size * 100 / from).saturating_sub(100) < percent {
        return false;
    }
    log_info(&format!(
        "Starting automatic rewriting of AOF on {}% growth",
        (size * 100 / from).saturating_sub(100)
    ));
    let cell = std::cell::Cell::new(0);
    start_rewrite(store, Now::new(&cell), true, scripts).is_ok()
}

/// Deletes the files `old` names that `new` does not.
fn remove_unlisted(dir: &Path, old: &Manifest, new: &Manifest) {
    let keep: Vec<&str> = new
        .base
        .iter()
        .chain(&new.incrs)
        .map(|f| f.name.as_str())
        .collect();
    for f in old.base.iter().chain(&old.incrs).chain(&old.history) {
        if !keep.contains(&f.name.as_str()) {
            let _ = std::fs::remove_file(dir.join(&f.name));
        }
    }
}

/// Starts a rewrite of an open AOF: snapshot under the lock; writes go to
/// a new incremental file (named in the manifest at once, so a crash
/// meanwhile loses nothing); a thread writes the base and then swaps the
/// manifest. `open_new_incr` is false when [`enable`] has just opened one.
fn start_rewrite(
    store: &mut Store,
    now: Now<'_>,
    open_new_incr: bool,
    scripts: Scripts<'_>,
) -> Result<(), String> {
    let status = store.aof.status.clone();
    if status.rewriting.swap(true, Ordering::AcqRel) {
        return Err("ERR Background append only file rewriting already in progress".into());
    }
    let fail = |e: String| {
        status.rewriting.store(false, Ordering::Release);
        status.last_rewrite_ok.store(false, Ordering::Relaxed);
        log_error(&e);
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".to_string()
    };
    let (snap, rdb) = base_snapshot(store, now, scripts);
    let Some(aof) = store.aof.aof.as_mut() else {
        return Err(fail("AOF is off".into()));
    };
    let shared = aof.shared.clone();
    let (dir, filename, base_seq) = {
        let mut io = shared.io.lock();
        if open_new_incr {
            // A file that refuses writes keeps the buffer: the new
            // incremental file takes it (which is how a rewrite gets an
            // AOF out of a write error, as in Redis).
            let _ = io.write_buf() && io.sync();
            let mut m = io.manifest.clone();
            m.incr_seq += 1;
            let name = manifest::incr_name(&io.filename, m.incr_seq);
            let file = create_new(&io.dir.join(&name)).map_err(fail)?;
            let seq = m.incr_seq;
            m.incrs.push(FileInfo {
                name,
                seq,
                kind: Kind::Incr,
            });
            if io.manifest_written {
                m.write(&io.dir, &io.filename)
                    .map_err(|e| fail(format!("Can't write the AOF manifest: {e}")))?;
            }
            io.manifest = m;
            io.file = Arc::new(file);
            io.selected = None;
            io.rewrite_keeps_from = Some(seq);
        }
        let seq = io.manifest.base_seq.max(store.persistence.aof_seq) + 1;
        (io.dir.clone(), io.filename.clone(), seq)
    };
    store.persistence.aof_seq = base_seq;
    let started = crate::engine::now_ms();
    status.rewrite_started.store(started, Ordering::Relaxed);
    log_info("Background append only file rewriting started");
    let weak = Arc::downgrade(&shared);
    let spawned = std::thread::Builder::new()
        .name("redcore-aofrw".into())
        .spawn(move || {
            let (name, data) = base_file(&filename, base_seq, &snap, rdb, started / 1000);
            let size = data.len() as u64;
            let mut ok = rdbfile::write_atomic(&dir.join(&name), &data).is_ok();
            if ok {
                ok = finish_rewrite(&weak, &dir, &filename, name, base_seq, size);
            }
            finish_status(&weak, ok, started);
        });
    if spawned.is_err() {
        return Err(fail("Can't start the rewrite thread".into()));
    }
    Ok(())
}

/// Records a rewrite's end in the shared status.
fn finish_status(weak: &Weak<Shared>, ok: bool, started: i64) {
    let Some(s) = weak.upgrade() else { return };
    let st = &s.status;
    st.last_rewrite_ok.store(ok, Ordering::Relaxed);
    st.last_rewrite_secs.store(
        (crate::engine::now_ms() - started) / 1000,
        Ordering::Relaxed,
    );
    if ok {
        st.rewrites.fetch_add(1, Ordering::Relaxed);
        log_info("Background AOF rewrite finished successfully");
    } else {
        log_error("Background AOF rewrite failed");
    }
    st.rewriting.store(false, Ordering::Release);
}

/// Swaps the manifest to the new base and the incremental files written
/// since the rewrite started; deletes the files it no longer names.
fn finish_rewrite(
    weak: &Weak<Shared>,
    dir: &Path,
    filename: &str,
    name: String,
    seq: u64,
    size: u64,
) -> bool {
    let Some(s) = weak.upgrade() else {
        return false;
    };
    let mut io = s.io.lock();
    let keep_from = io.rewrite_keeps_from.take().unwrap_or(0);
    let old = io.manifest.clone();
    let mut m = old.clone();
    m.base = Some(FileInfo {
        name,
        seq,
        kind: Kind::Base,
    });
    m.base_seq = seq;
    m.incrs.retain(|f| f.seq >= keep_from);
    m.history.clear();
    if m.write(dir, filename).is_err() {
        return false;
    }
    io.manifest = m.clone();
    io.manifest_written = true;
    io.base_size = size;
    let dropped: u64 = old
        .incrs
        .iter()
        .filter(|f| f.seq < keep_from)
        .map(|f| std::fs::metadata(dir.join(&f.name)).map_or(0, |m| m.len()))
        .sum();
    io.incr_size = io.incr_size.saturating_sub(dropped);
    io.grown_from = io.base_size + io.incr_size;
    drop(io);
    remove_unlisted(dir, &old, &m);
    true
}

/// True when rewrites write the base as an RDB (`aof-use-rdb-preamble
/// yes`, the default); otherwise as RESP commands ([`rewrite`]).
pub fn rdb_preamble(config: &crate::engine::Config) -> bool {
    config
        .extra
        .get("aof-use-rdb-preamble")
        .is_none_or(|v| v != "no")
}

/// A snapshot in the form the base file needs (keys pre-encoded as RDB
/// records for an RDB base, copied for a RESP one), with the FUNCTION
/// libraries of `scripts`.
fn base_snapshot(
    store: &mut Store,
    now: Now<'_>,
    scripts: Scripts<'_>,
) -> (rdbfile::Snapshot, bool) {
    let rdb = rdb_preamble(&store.config);
    let mut snap = if rdb {
        rdbfile::Snapshot::take(store, now)
    } else {
        rdbfile::Snapshot::take_copied(store, now)
    };
    snap.functions = rdbfile::library_codes(scripts);
    (snap, rdb)
}

/// A base file: its name (`<appendfilename>.<seq>.base.rdb`, or
/// `.base.aof` for the RESP form) and contents.
fn base_file(
    filename: &str,
    seq: u64,
    snap: &rdbfile::Snapshot,
    rdb: bool,
    ctime: i64,
) -> (String, Vec<u8>) {
    let name = manifest::base_name(filename, seq, rdb);
    let data = if rdb {
        rdbfile::encode_aof_base(snap, ctime)
    } else {
        rewrite::encode(snap)
    };
    (name, data)
}

/// INFO fields: (name, value).
pub type Fields = Vec<(&'static str, String)>;

/// INFO persistence's `aof_*` fields, in Redis 7.0's order (the ones
/// Redis shows only with AOF on come last; the caller appends them after
/// `module_fork_last_cow_size`).
pub fn info_fields(store: &Store) -> (Fields, Fields) {
    let st = &store.aof.status;
    let rewriting = st.rewriting.load(Ordering::Acquire);
    let ok = |b: bool| if b { "ok" } else { "err" }.to_string();
    let current = if rewriting {
        (crate::engine::now_ms() - st.rewrite_started.load(Ordering::Relaxed)) / 1000
    } else {
        -1
    };
    let failures = u8::from(!st.last_rewrite_ok.load(Ordering::Relaxed));
    let main = vec![
        ("aof_enabled", u8::from(store.aof.on()).to_string()),
        ("aof_rewrite_in_progress", u8::from(rewriting).to_string()),
        ("aof_rewrite_scheduled", "0".into()),
        (
            "aof_last_rewrite_time_sec",
            st.last_rewrite_secs.load(Ordering::Relaxed).to_string(),
        ),
        ("aof_current_rewrite_time_sec", current.to_string()),
        (
            "aof_last_bgrewrite_status",
            ok(st.last_rewrite_ok.load(Ordering::Relaxed)),
        ),
        (
            "aof_rewrites",
            st.rewrites.load(Ordering::Relaxed).to_string(),
        ),
        ("aof_rewrites_consecutive_failures", failures.to_string()),
        (
            "aof_last_write_status",
            ok(st.last_write_ok.load(Ordering::Relaxed)),
        ),
        ("aof_last_cow_size", "0".into()),
    ];
    let mut on = Vec::new();
    if let Some(aof) = &store.aof.aof {
        let io = aof.shared.io.lock();
        let pending = aof.pending.len() + io.buf.len();
        on = vec![
            (
                "aof_current_size",
                (io.base_size + io.incr_size + io.buf.len() as u64).to_string(),
            ),
            ("aof_base_size", io.base_size.to_string()),
            ("aof_pending_rewrite", "0".into()),
            ("aof_buffer_length", pending.to_string()),
            ("aof_pending_bio_fsync", "0".into()),
            (
                "aof_delayed_fsync",
                st.delayed_fsync.load(Ordering::Relaxed).to_string(),
            ),
        ];
    }
    (main, on)
}

#[cfg(test)]
mod tests;
