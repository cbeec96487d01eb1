//! Whole RDB files as Redis 7.0 writes them (version 10): SAVE, BGSAVE,
//! SHUTDOWN SAVE and SYNC's payload.
//!
//! Layout: `REDIS0010`, aux fields (`redis-ver`, `redis-bits`, `ctime`,
//! `used-mem`, `aof-base`), then per non-empty database `SELECTDB` and
//! `RESIZEDB`, each key as `[EXPIRETIME_MS] type key object`, then `EOF`
//! and the CRC-64 of everything before it. Objects use the encoders that
//! DUMP uses ([`super::rdb`]).
//!
//! A save is a [`Snapshot`] (the live keys captured under the lock: small
//! strings encoded at once, other values copied sharing their byte
//! buffers) encoded by [`encode`] and written by [`write_atomic`] (temp file, fsync, rename), so a reader never sees a
//! half-written file. [`SaveStatus`] is what a background save reports
//! back to the store, which it cannot lock from its own thread.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::rdb::{self, write_len, write_string, SaveOptions};
use super::{crc64, RDB_VERSION};
use crate::engine::value::Value;
use crate::engine::{Entry, Now, Store, NO_EXPIRE};

const OP_IDLE: u8 = 0xF8;
const OP_FREQ: u8 = 0xF9;
const OP_AUX: u8 = 0xFA;
const OP_RESIZEDB: u8 = 0xFB;
const OP_EXPIRETIME_MS: u8 = 0xFC;
const OP_SELECTDB: u8 = 0xFE;
const OP_EOF: u8 = 0xFF;

/// Distinguishes temp files of saves running at once.
static TEMP_ID: AtomicU64 = AtomicU64::new(0);

/// The version the aux field `redis-ver` names (the one we answer to).
pub const REDIS_VERSION: &str = "7.0.15";

/// The live keys of every database, captured at one instant.
pub struct Snapshot {
    /// Non-empty databases.
    pub dbs: Vec<DbSnapshot>,
    pub options: SaveOptions,
    /// `rdbchecksum`: write the CRC-64 (else zeros, as Redis does).
    pub checksum: bool,
    /// INFO's used_memory estimate, for the `used-mem` aux field.
    pub used_mem: u64,
    /// Changes counted when the snapshot was taken.
    pub dirty: u64,
    /// What each key's access field holds, when the eviction policy
    /// makes Redis save it: idle time (LRU) or the counter (LFU).
    pub access: Access,
    /// FUNCTION libraries' code (FUNCTION2 records), see [`library_codes`].
    pub functions: Vec<Vec<u8>>,
}

/// One database's keys as the snapshot captured them. Small strings
/// (the bulk of most datasets) are encoded on the spot: their records
/// are smaller than a copied entry and cost less to make, which shortens
/// the time the store is locked. Other values are copied (their byte
/// buffers shared) and encoded later, off the lock.
pub struct DbSnapshot {
    pub index: usize,
    /// Keys, and keys with a TTL (the RESIZEDB record).
    pub keys: u64,
    pub volatile: u64,
    /// Records already encoded.
    pub encoded: Vec<u8>,
    /// The other keys, copied.
    pub entries: Vec<(Bytes, Entry)>,
}

/// Strings whose key and value are at most this long are encoded while
/// the snapshot is taken (Redis does not LZF-compress them, so encoding
/// is a few byte copies).
const ENCODE_NOW_MAX: usize = 20;

/// The FUNCTION libraries a save writes (none without an engine).
pub fn library_codes(scripts: crate::commands::Scripts<'_>) -> Vec<Vec<u8>> {
    scripts.map_or_else(Vec::new, |s| s.lock().functions.codes())
}

/// Which access data a save writes per key (Redis writes it only under
/// an LRU or LFU `maxmemory-policy`).
#[derive(Clone, Copy, Debug)]
pub enum Access {
    None,
    Lru,
    Lfu(crate::engine::lfu::Params),
}

impl Snapshot {
    /// Copies the store's live keys (expired ones are left out, as a
    /// reload would drop them).
    pub fn take(store: &mut Store, now: Now<'_>) -> Snapshot {
        Snapshot::take_with(store, now, true)
    }

    /// Like [`Snapshot::take`], but every key is copied, none encoded
    /// as an RDB record (for writers of other formats: the RESP AOF base).
    pub fn take_copied(store: &mut Store, now: Now<'_>) -> Snapshot {
        Snapshot::take_with(store, now, false)
    }

    fn take_with(store: &mut Store, now: Now<'_>, encode_small: bool) -> Snapshot {
        let mut dbs = Vec::new();
        let mut used_mem = 0u64;
        let access = match store.config.lfu_params() {
            Some(p) => Access::Lfu(p),
            None if store.config.maxmemory_policy.ends_with("-lru") => Access::Lru,
            None => Access::None,
        };
        let options = SaveOptions::from_config(&store.config);
        for (i, db) in store.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            used_mem += db.used() as u64;
            let mut snap = DbSnapshot {
                index: i,
                keys: 0,
                volatile: 0,
                encoded: Vec::new(),
                entries: Vec::new(),
            };
            for (k, e) in db.live_keys(now) {
                snap.keys += 1;
                snap.volatile += u64::from(e.expire_at != NO_EXPIRE);
                match &e.value {
                    Value::Str(s)
                        if encode_small
                            && s.data.len() <= ENCODE_NOW_MAX
                            && k.len() <= ENCODE_NOW_MAX =>
                    {
                        write_record(&mut snap.encoded, k, e, access, &options)
                    }
                    _ => snap.entries.push((Bytes::copy_from_slice(k), e.clone())),
                }
            }
            if snap.keys > 0 {
                dbs.push(snap);
            }
        }
        let checksum = store
            .config
            .extra
            .get("rdbchecksum")
            .is_none_or(|v| v == "yes");
        Snapshot {
            dbs,
            options,
            checksum,
            used_mem,
            dirty: store.dirty,
            access,
            functions: Vec::new(),
        }
    }
}

/// One key's records: `[EXPIRETIME_MS] [IDLE | FREQ] type key object`.
fn write_record(out: &mut Vec<u8>, key: &[u8], entry: &Entry, access: Access, o: &SaveOptions) {
    if entry.expire_at != NO_EXPIRE {
        out.push(OP_EXPIRETIME_MS);
        out.extend_from_slice(&entry.expire_at.to_le_bytes());
    }
    match access {
        Access::None => {}
        Access::Lru => {
            out.push(OP_IDLE);
            let idle = crate::engine::clock::lru_clock().saturating_sub(entry.lru);
            write_len(out, u64::from(idle));
        }
        Access::Lfu(p) => {
            out.push(OP_FREQ);
            out.push(crate::engine::lfu::current(entry.lru, p).min(255) as u8);
        }
    }
    out.push(rdb::object_type(&entry.value));
    write_string(out, key, o.compression);
    rdb::save_object(out, &entry.value, o);
}

fn aux(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(OP_AUX);
    write_string(out, key.as_bytes(), false);
    write_string(out, value.as_bytes(), false);
}

/// The RDB file for `snap`, `ctime` being the save's unix time (seconds).
pub fn encode(snap: &Snapshot, ctime: i64) -> Vec<u8> {
    encode_with(snap, ctime, false)
}

/// An AOF base file: the same RDB with the `aof-base` aux field set.
pub fn encode_aof_base(snap: &Snapshot, ctime: i64) -> Vec<u8> {
    encode_with(snap, ctime, true)
}

fn encode_with(snap: &Snapshot, ctime: i64, aof_base: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    aux(&mut out, "redis-ver", REDIS_VERSION);
    aux(&mut out, "redis-bits", "64");
    aux(&mut out, "ctime", &ctime.to_string());
    aux(&mut out, "used-mem", &snap.used_mem.to_string());
    aux(&mut out, "aof-base", if aof_base { "1" } else { "0" });
    for code in &snap.functions {
        out.push(super::rdbload::OP_FUNCTION2);
        write_string(&mut out, code, snap.options.compression);
    }
    for db in &snap.dbs {
        out.push(OP_SELECTDB);
        write_len(&mut out, db.index as u64);
        out.push(OP_RESIZEDB);
        write_len(&mut out, db.keys);
        write_len(&mut out, db.volatile);
        out.extend_from_slice(&db.encoded);
        for (key, entry) in &db.entries {
            write_record(&mut out, key, entry, snap.access, &snap.options);
        }
        log::debug!(
            "RDB save: db {} encoded ({} keys, {} bytes so far)",
            db.index,
            db.keys,
            out.len()
        );
    }
    out.push(OP_EOF);
    let crc = if snap.checksum {
        crc64::crc64(0, &out)
    } else {
        0
    };
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// An RDB file made of DUMP payloads (`python -m redcore save` copies a
/// server this way): `keys` are (db, key, unix-ms deadline or
/// [`NO_EXPIRE`], payload), `functions` a FUNCTION DUMP payload. Each
/// payload's footer is checked; its object is copied as it is.
pub fn encode_payloads(
    keys: &mut [(usize, Vec<u8>, i64, Vec<u8>)],
    functions: Option<&[u8]>,
    ctime: i64,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    aux(&mut out, "redis-ver", REDIS_VERSION);
    aux(&mut out, "redis-bits", "64");
    aux(&mut out, "ctime", &ctime.to_string());
    aux(&mut out, "aof-base", "0");
    let body = |p: &[u8], what: &str| -> Result<std::ops::Range<usize>, String> {
        if !super::payload_footer_ok(p) {
            return Err(format!(
                "{what}: DUMP payload version or checksum are wrong"
            ));
        }
        Ok(0..p.len() - 10)
    };
    if let Some(f) = functions {
        let range = body(f, "functions")?;
        out.extend_from_slice(&f[range]);
    }
    keys.sort_by_key(|k| k.0);
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        out.push(OP_SELECTDB);
        write_len(&mut out, group[0].0 as u64);
        out.push(OP_RESIZEDB);
        write_len(&mut out, group.len() as u64);
        let volatile = group.iter().filter(|k| k.2 != NO_EXPIRE).count();
        write_len(&mut out, volatile as u64);
        for (_, key, expire_at, payload) in group.iter() {
            let range = body(payload, &String::from_utf8_lossy(key))?;
            if *expire_at != NO_EXPIRE {
                out.push(OP_EXPIRETIME_MS);
                out.extend_from_slice(&expire_at.to_le_bytes());
            }
            out.push(payload[0]);
            write_string(&mut out, key, true);
            out.extend_from_slice(&payload[1..range.end]);
        }
    }
    out.push(OP_EOF);
    let crc = crc64::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Writes `data` to `path` so that the file is either the old one or the
/// whole new one: a temp file beside it, fsync, rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        "temp-{}-{}.rdb",
        std::process::id(),
        TEMP_ID.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself is made durable by syncing the directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The file `dir` + `dbfilename` name.
pub fn rdb_path(store: &Store) -> PathBuf {
    Path::new(&store.config.dir).join(&store.config.dbfilename)
}

/// What background saves report to the store (read by LASTSAVE, INFO and
/// the next save; see [`SaveStatus::settle`]).
#[derive(Debug, Default)]
pub struct SaveStatus {
    pub in_progress: AtomicBool,
    /// Set when a background save ended and the store has not yet
    /// accounted for it.
    pub finished: AtomicBool,
    pub last_ok: AtomicBool,
    /// Unix seconds when the last background save ended successfully.
    pub ended_at: AtomicI64,
    /// Unix seconds when the running background save started.
    pub started_at: AtomicI64,
    /// Seconds the last background save took (-1: none yet).
    pub last_secs: AtomicI64,
    /// The store's change counter when the finished save took its snapshot.
    pub dirty_at_start: AtomicU64,
    /// Number of saves (INFO rdb_saves).
    pub saves: AtomicU64,
}

/// The persistence state a store keeps beside its data.
#[derive(Debug)]
pub struct Persistence {
    pub status: Arc<SaveStatus>,
    /// False after a failed background save, until a save succeeds (INFO
    /// rdb_last_bgsave_status; with save points and
    /// `stop-writes-on-bgsave-error yes`, writes get MISCONF meanwhile).
    pub last_ok: bool,
    /// Sequence number of the last AOF base file (BGREWRITEAOF).
    pub aof_seq: u64,
    /// The replication id PSYNC reports (made on first use).
    pub replid: String,
    /// Unix seconds of the last background save attempt (auto-save waits
    /// 5 s after a failed one, as Redis does).
    pub last_try: i64,
    /// What the last RDB load found (INFO rdb_last_load_keys_loaded /
    /// rdb_last_load_keys_expired).
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl Default for Persistence {
    fn default() -> Self {
        let status = SaveStatus {
            last_ok: AtomicBool::new(true),
            last_secs: AtomicI64::new(-1),
            ..SaveStatus::default()
        };
        Persistence {
            status: Arc::new(status),
            last_ok: true,
            aof_seq: 0,
            replid: String::new(),
            last_try: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

impl SaveStatus {
    /// Folds a finished background save into the store: the changes it
    /// covered no longer count as unsaved, LASTSAVE moves on.
    pub fn settle(store: &mut Store) {
        let st = store.persistence.status.clone();
        if !st.finished.swap(false, Ordering::AcqRel) {
            return;
        }
        let ok = st.last_ok.load(Ordering::Acquire);
        store.persistence.last_ok = ok;
        if ok {
            let covered = st.dirty_at_start.load(Ordering::Acquire);
            store.dirty = store.dirty.saturating_sub(covered);
            store.last_save = st.ended_at.load(Ordering::Acquire);
        }
    }
}

/// INFO's persistence section, in Redis 7.0's order.
pub fn info_fields(store: &Store) -> Vec<(&'static str, String)> {
    let p = &store.persistence;
    let st = &p.status;
    let running = st.in_progress.load(Ordering::Acquire);
    let now = crate::engine::now_ms() / 1000;
    let current = if running {
        now - st.started_at.load(Ordering::Acquire)
    } else {
        -1
    };
    let ok = |b: bool| if b { "ok" } else { "err" }.to_string();
    let mut out: Vec<(&'static str, String)> = [
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ]
    .iter()
    .map(|k| (*k, "0".to_string()))
    .collect();
    out.extend([
        ("current_fork_perc", "0.00".to_string()),
        ("current_save_keys_processed", "0".into()),
        ("current_save_keys_total", "0".into()),
        ("rdb_changes_since_last_save", store.dirty.to_string()),
        ("rdb_bgsave_in_progress", u8::from(running).to_string()),
        ("rdb_last_save_time", store.last_save.to_string()),
        ("rdb_last_bgsave_status", ok(p.last_ok)),
        (
            "rdb_last_bgsave_time_sec",
            st.last_secs.load(Ordering::Acquire).to_string(),
        ),
        ("rdb_current_bgsave_time_sec", current.to_string()),
        ("rdb_saves", st.saves.load(Ordering::Relaxed).to_string()),
        ("rdb_last_cow_size", "0".into()),
        (
            "rdb_last_load_keys_expired",
            p.last_load_keys_expired.to_string(),
        ),
        (
            "rdb_last_load_keys_loaded",
            p.last_load_keys_loaded.to_string(),
        ),
        ("module_fork_in_progress", "0".into()),
        ("module_fork_last_cow_size", "0".into()),
    ]);
    // The AOF's fields go before module_fork_*, its AOF-on ones after.
    let (aof, aof_on) = super::aof::info_fields(store);
    let at = out.len() - 2;
    out.splice(at..at, aof);
    out.extend(aof_on);
    out
}

/// SAVE: encodes and writes the store and `functions` (library code) to
/// its RDB file now.
pub fn save(store: &mut Store, now: Now<'_>, functions: Vec<Vec<u8>>) -> std::io::Result<()> {
    SaveStatus::settle(store);
    let mut snap = Snapshot::take(store, now);
    snap.functions = functions;
    let path = rdb_path(store);
    log::info!("saving RDB file {}", path.display());
    let t = crate::engine::now_ms() / 1000;
    let result = write_atomic(&path, &encode(&snap, t));
    log_outcome(&path, &result);
    // As in Redis, a SAVE that fails leaves the status as it was (only
    // background saves report errors); one that succeeds clears it.
    if result.is_ok() {
        store.persistence.last_ok = true;
        store.dirty = 0;
        store.last_save = t;
        store
            .persistence
            .status
            .saves
            .fetch_add(1, Ordering::Relaxed);
    }
    result
}

fn log_outcome(path: &Path, result: &std::io::Result<()>) {
    match result {
        Ok(()) => log::info!("saved RDB file {}", path.display()),
        Err(e) => log::error!("saving RDB file {} failed: {e}", path.display()),
    }
}

/// The `save` rules' check, run by the engine's background thread:
/// starts a background save when, for some `(seconds, changes)` rule, at
/// least `changes` writes happened and more than `seconds` passed since
/// the last save. True if one started.
pub fn auto_save(store: &mut Store, scripts: crate::commands::Scripts<'_>) -> bool {
    const RETRY_DELAY: i64 = 5;
    if store.config.save.is_empty() || store.persistence.status.in_progress.load(Ordering::Acquire)
    {
        return false;
    }
    SaveStatus::settle(store);
    let now = crate::engine::now_ms() / 1000;
    let p = &store.persistence;
    if !p.last_ok && now - p.last_try <= RETRY_DELAY {
        return false;
    }
    let due = store
        .config
        .save
        .iter()
        .any(|&(secs, changes)| store.dirty >= changes && now - store.last_save > secs as i64);
    if !due {
        return false;
    }
    store.persistence.last_try = now;
    let cell = std::cell::Cell::new(0);
    log::info!("save rule met: background saving");
    background_save(store, Now::new(&cell), library_codes(scripts))
}

/// BGSAVE: snapshots under the lock and writes on a new thread. False if
/// the thread could not be started.
pub fn background_save(store: &mut Store, now: Now<'_>, functions: Vec<Vec<u8>>) -> bool {
    SaveStatus::settle(store);
    store.persistence.last_try = crate::engine::now_ms() / 1000;
    let mut snap = Snapshot::take(store, now);
    snap.functions = functions;
    let path = rdb_path(store);
    let st = store.persistence.status.clone();
    let started = crate::engine::now_ms();
    st.in_progress.store(true, Ordering::Release);
    st.started_at.store(started / 1000, Ordering::Release);
    let worker = st.clone();
    let spawned = std::thread::Builder::new()
        .name("redcore-bgsave".into())
        .spawn(move || {
            log::info!("background saving RDB file {}", path.display());
            let result = write_atomic(&path, &encode(&snap, started / 1000));
            log_outcome(&path, &result);
            let ok = result.is_ok();
            let ended = crate::engine::now_ms();
            worker.last_ok.store(ok, Ordering::Release);
            worker.dirty_at_start.store(snap.dirty, Ordering::Release);
            worker.ended_at.store(ended / 1000, Ordering::Release);
            worker
                .last_secs
                .store((ended - started) / 1000, Ordering::Release);
            if ok {
                worker.saves.fetch_add(1, Ordering::Relaxed);
            }
            worker.finished.store(true, Ordering::Release);
            worker.in_progress.store(false, Ordering::Release);
        });
    if spawned.is_err() {
        st.in_progress.store(false, Ordering::Release);
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::Value;
    use crate::engine::Config;

    #[test]
    fn file_has_header_dbs_and_checksum() {
        let mut store = Store::new(Config::default());
        store.dbs[2].set(b"k", Value::string(Bytes::from_static(b"v")));
        let cell = std::cell::Cell::new(0);
        let snap = Snapshot::take(&mut store, Now::new(&cell));
        let data = encode(&snap, 1);
        assert!(data.starts_with(b"REDIS0010"));
        let body = &data[..data.len() - 8];
        assert_eq!(*body.last().unwrap(), OP_EOF);
        let crc = u64::from_le_bytes(data[data.len() - 8..].try_into().unwrap());
        assert_eq!(crc, crc64::crc64(0, body));
        // SELECTDB 2, RESIZEDB 1 0, string "k" -> "v".
        let tail = [
            OP_SELECTDB,
            2,
            OP_RESIZEDB,
            1,
            0,
            0,
            1,
            b'k',
            1,
            b'v',
            OP_EOF,
        ];
        assert!(body.ends_with(&tail), "{body:?}");
    }
}
