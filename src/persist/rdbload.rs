//! Whole RDB files read back: what redis-server 7.0 writes (version 10)
//! and the older versions it loads, plus Redis 7.4's (12) hashes with
//! field TTLs.
//!
//! [`parse`] reads a file's bytes into fresh databases ([`Loaded`]);
//! nothing touches a live store until the whole file, checksum included,
//! has been read, so a bad file leaves the engine as it was ([`install`]
//! swaps the result in). Errors name the byte offset of the record that
//! failed ([`ParseError`]) and, through [`load_file`], the file
//! ([`FileError`]).
//!
//! Records: aux fields, `SELECTDB`, `RESIZEDB`, `EXPIRETIME`/`_MS`,
//! `IDLE`/`FREQ`, `FUNCTION2` libraries, 7.4's `SLOT_INFO`, then `EOF`
//! and (version 5+) the CRC-64 of everything before it (zero: not
//! computed). Objects go through [`super::rdb::load_object`].

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::crc64;
use super::rdb::{self, LoadOptions, Reader};
use crate::engine::{clock, lfu, Db, Entry, Store, NO_EXPIRE};
use crate::scripting::functions::Functions;

pub const OP_SLOT_INFO: u8 = 0xF4;
pub const OP_FUNCTION2: u8 = 0xF5;
pub const OP_FUNCTION_PRE_GA: u8 = 0xF6;
pub const OP_MODULE_AUX: u8 = 0xF7;
pub const OP_IDLE: u8 = 0xF8;
pub const OP_FREQ: u8 = 0xF9;
pub const OP_AUX: u8 = 0xFA;
pub const OP_RESIZEDB: u8 = 0xFB;
pub const OP_EXPIRETIME_MS: u8 = 0xFC;
pub const OP_EXPIRETIME: u8 = 0xFD;
pub const OP_SELECTDB: u8 = 0xFE;
pub const OP_EOF: u8 = 0xFF;

/// The newest RDB version read (Redis 7.4's hashes with field TTLs).
pub const NEWEST_VERSION: u16 = 12;

/// What a file held, ready to be swapped into a store.
#[derive(Debug, Default)]
pub struct Loaded {
    /// One database per index the store has (`databases`).
    pub dbs: Vec<Db>,
    /// FUNCTION2 records: each library's code and the record's offset,
    /// in file order.
    pub functions: Vec<(usize, Vec<u8>)>,
    /// Aux fields (`redis-ver`, `ctime`, ...), in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub version: u16,
    /// Keys stored, and keys dropped because their TTL had passed (INFO
    /// rdb_last_load_keys_loaded / _expired).
    pub keys_loaded: u64,
    pub keys_expired: u64,
    /// Where the file's image ended (after its checksum): an AOF with an
    /// RDB preamble goes on with commands from there.
    pub end: usize,
}

/// Why a file could not be read: the offset of the record that failed
/// (from the start of the file) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte offset {}: {}", self.offset, self.reason)
    }
}

/// A load failure naming the file.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    /// `None` when the file could not be read at all (I/O error).
    pub offset: Option<usize>,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(
                f,
                "Bad RDB file {} at byte offset {}: {}",
                self.path.display(),
                o,
                self.reason
            ),
            None => write!(
                f,
                "Can't read RDB file {}: {}",
                self.path.display(),
                self.reason
            ),
        }
    }
}

impl std::error::Error for FileError {}

/// How a file is read into databases.
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions {
    pub load: LoadOptions,
    /// Number of databases (a SELECTDB beyond it is an error).
    pub databases: usize,
    /// Unix ms: keys whose deadline is before it are dropped, as a master
    /// drops them (None keeps them all, as `check` does).
    pub now_ms: Option<i64>,
    /// The LFU policy's knobs when one is set (FREQ records fill the
    /// counter; otherwise IDLE records fill the access time).
    pub lfu: Option<lfu::Params>,
}

impl ParseOptions {
    pub fn from_store(store: &Store) -> ParseOptions {
        ParseOptions {
            load: LoadOptions::from_config(&store.config),
            databases: store.dbs.len(),
            now_ms: Some(crate::engine::now_ms()),
            lfu: store.config.lfu_params(),
        }
    }
}

/// Called every so often while parsing with (bytes read, total bytes).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

fn fail(offset: usize, reason: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        reason: reason.into(),
    }
}

/// Reads a whole RDB file image.
pub fn parse(data: &[u8], o: &ParseOptions) -> Result<Loaded, ParseError> {
    parse_with_progress(data, o, &mut |_, _| {})
}

/// [`parse`], reporting progress about every megabyte.
pub fn parse_with_progress(
    data: &[u8],
    o: &ParseOptions,
    progress: Progress<'_>,
) -> Result<Loaded, ParseError> {
    let version = header(data)?;
    let mut r = Reader::new(data);
    r.read_bytes(9).map_err(|_| fail(0, "truncated header"))?;
    let mut out = Loaded {
        dbs: (0..o.databases.max(1)).map(|_| Db::default()).collect(),
        version,
        ..Loaded::default()
    };
    let mut db = 0usize;
    let mut expire_at = NO_EXPIRE;
    let mut lru: Option<u32> = None;
    let mut next_report = 1usize << 20;
    loop {
        let at = r.pos();
        if at >= next_report {
            progress(at, data.len());
            next_report = at + (1 << 20);
        }
        let op = r
            .read_u8()
            .map_err(|_| fail(at, "unexpected end of file"))?;
        let e = |reason: rdb::LoadError| fail(at, reason.0);
        match op {
            OP_EOF => break,
            OP_SELECTDB => {
                let n = r.read_len().map_err(e)?;
                if n >= out.dbs.len() as u64 {
                    return Err(fail(
                        at,
                        format!("DB index {n} out of range (databases {})", out.dbs.len()),
                    ));
                }
                db = n as usize;
            }
            OP_RESIZEDB => {
                let keys = r.read_len().map_err(e)?;
                let volatile = r.read_len().map_err(e)?;
                // A hint only, bounded by what the rest of the file could
                // plausibly hold (8 bytes a key), so a corrupt count cannot
                // make a huge allocation; growth covers tinier keys.
                let most = (r.remaining() / 8) as u64;
                out.dbs[db].reserve(keys.min(most) as usize, volatile.min(most) as usize);
            }
            OP_SLOT_INFO => {
                for _ in 0..3 {
                    r.read_len().map_err(e)?;
                }
            }
            OP_EXPIRETIME_MS => {
                let b = r.read_bytes(8).map_err(e)?;
                expire_at = i64::from_le_bytes(b.try_into().unwrap_or_default());
            }
            OP_EXPIRETIME => {
                let b = r.read_bytes(4).map_err(e)?;
                let secs = i32::from_le_bytes(b.try_into().unwrap_or_default());
                expire_at = i64::from(secs) * 1000;
            }
            OP_IDLE => {
                let idle = r.read_len().map_err(e)?;
                let idle = u32::try_from(idle).unwrap_or(u32::MAX);
                lru = Some(clock::lru_clock().saturating_sub(idle));
            }
            OP_FREQ => {
                let freq = r.read_u8().map_err(e)?;
                lru = Some(lfu::with_counter(u32::from(freq)));
            }
            OP_AUX => {
                let k = r.read_string().map_err(e)?;
                let v = r.read_string().map_err(e)?;
                out.aux.push((k, v));
            }
            OP_FUNCTION2 => {
                let code = r.read_string().map_err(e)?;
                out.functions.push((at, code));
            }
            OP_FUNCTION_PRE_GA => {
                return Err(fail(at, "pre-release function format not supported"))
            }
            OP_MODULE_AUX => return Err(fail(at, "module data not supported")),
            t if rdb::is_object_type(t) => {
                if t == rdb::types::MODULE || t == rdb::types::MODULE_2 {
                    return Err(fail(at, "module data type not supported"));
                }
                let key = r.read_string().map_err(e)?;
                let value = rdb::load_object(&mut r, t, &o.load).map_err(|err| {
                    fail(
                        at,
                        format!(
                            "key {:?}: {}",
                            String::from_utf8_lossy(&key[..key.len().min(64)]),
                            err.0
                        ),
                    )
                })?;
                let (ttl, access) = (std::mem::replace(&mut expire_at, NO_EXPIRE), lru.take());
                if ttl != NO_EXPIRE && o.now_ms.is_some_and(|now| ttl < now) {
                    out.keys_expired += 1;
                    continue;
                }
                let target = &mut out.dbs[db];
                let key = Bytes::from(key);
                if target.contains_raw(&key) {
                    return Err(fail(
                        at,
                        format!("duplicate key {:?}", String::from_utf8_lossy(&key)),
                    ));
                }
                let lru = access.unwrap_or_else(|| match o.lfu {
                    Some(_) => lfu::fresh(),
                    None => clock::lru_clock(),
                });
                target.insert_entry(
                    key,
                    Entry {
                        value,
                        expire_at: ttl,
                        lru,
                    },
                );
                out.keys_loaded += 1;
            }
            other => return Err(fail(at, format!("unknown RDB opcode {other}"))),
        }
    }
    if version >= 5 {
        let at = r.pos();
        let b = r
            .read_bytes(8)
            .map_err(|_| fail(at, "truncated checksum"))?;
        let want = u64::from_le_bytes(b.try_into().unwrap_or_default());
        if want != 0 && want != crc64::crc64(0, &data[..at]) {
            return Err(fail(at, "wrong RDB checksum"));
        }
    }
    out.end = r.pos();
    progress(data.len(), data.len());
    Ok(out)
}

/// The version in a `REDIS00NN` header.
fn header(data: &[u8]) -> Result<u16, ParseError> {
    if data.len() < 9 || &data[..5] != b"REDIS" {
        return Err(fail(0, "wrong signature trying to load DB from file"));
    }
    let digits = std::str::from_utf8(&data[5..9]).ok();
    let version = digits
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u16>().ok())
        .ok_or_else(|| fail(5, "bad RDB version"))?;
    if version == 0 || version > NEWEST_VERSION {
        return Err(fail(
            5,
            format!("can't handle RDB format version {version}"),
        ));
    }
    Ok(version)
}

/// Reads and parses the file at `path`.
pub fn load_file(
    path: &Path,
    o: &ParseOptions,
    progress: Progress<'_>,
) -> Result<Loaded, FileError> {
    let data = std::fs::read(path).map_err(|e| FileError {
        path: path.to_path_buf(),
        offset: None,
        reason: e.to_string(),
    })?;
    parse_with_progress(&data, o, progress).map_err(|e| FileError {
        path: path.to_path_buf(),
        offset: Some(e.offset),
        reason: e.reason,
    })
}

/// Loads the store's RDB file (`dir`/`dbfilename`) in place of its data
/// and, when given, its FUNCTION libraries: all or nothing. `Ok(None)`
/// when there is no file (a first start). Logs start, progress and end.
pub fn reload(
    store: &mut Store,
    functions: Option<&mut Functions>,
) -> Result<Option<(u64, u64)>, FileError> {
    let Some((loaded, mut libs)) = read(store, functions.is_some())? else {
        return Ok(None);
    };
    if let Some(current) = functions {
        std::mem::swap(current, &mut libs);
    }
    let counts = (loaded.keys_loaded, loaded.keys_expired);
    install(store, loaded);
    Ok(Some(counts))
}

/// Reads the store's RDB file into fresh databases and (if
/// `with_functions`) a fresh library set, leaving the store as it is.
/// `Ok(None)` when there is no file.
pub fn read(store: &Store, with_functions: bool) -> Result<Option<(Loaded, Functions)>, FileError> {
    let path = super::rdbfile::rdb_path(store);
    if !path.exists() {
        log::info!("no RDB file at {}: starting empty", path.display());
        return Ok(None);
    }
    let started = std::time::Instant::now();
    log::info!("loading RDB file {}", path.display());
    let mut report = |done: usize, total: usize| {
        log::debug!("loading {}: {done} of {total} bytes", path.display());
    };
    let result =
        load_file(&path, &ParseOptions::from_store(store), &mut report).and_then(|loaded| {
            let libs = match with_functions {
                true => build_functions(&path, &loaded.functions)?,
                false => Functions::default(),
            };
            Ok((loaded, libs))
        });
    match &result {
        Ok((loaded, _)) => log::info!(
            "loaded RDB file {}: {} keys ({} expired dropped) in {:.3} s",
            path.display(),
            loaded.keys_loaded,
            loaded.keys_expired,
            started.elapsed().as_secs_f64()
        ),
        Err(e) => log::error!("{e}"),
    }
    result.map(Some)
}

/// Adds what was loaded to the store's data (DEBUG RELOAD NOFLUSH): a key
/// already present is an error (nothing is added) unless `replace`.
pub fn merge(store: &mut Store, mut loaded: Loaded, replace: bool) -> Result<(), Bytes> {
    let cell = std::cell::Cell::new(0);
    let now = crate::engine::Now::new(&cell);
    if !replace {
        for (db, new) in store.dbs.iter().zip(loaded.dbs.iter_mut()) {
            if let Some((k, _)) = new.live_keys(now).find(|(k, _)| db.contains_raw(k)) {
                return Err(Bytes::copy_from_slice(k));
            }
        }
    }
    for (db, new) in store.dbs.iter_mut().zip(loaded.dbs.iter_mut()) {
        let entries: Vec<(Bytes, Entry)> = new
            .live_keys(now)
            .map(|(k, e)| (Bytes::copy_from_slice(k), e.clone()))
            .collect();
        for (k, e) in entries {
            db.insert_entry(k, e);
        }
    }
    store.persistence.last_load_keys_loaded = loaded.keys_loaded;
    store.persistence.last_load_keys_expired = loaded.keys_expired;
    Ok(())
}

/// A fresh library set holding the file's FUNCTION2 records.
fn build_functions(path: &Path, codes: &[(usize, Vec<u8>)]) -> Result<Functions, FileError> {
    let mut libs = Functions::default();
    for (at, code) in codes {
        libs.load(code, false).map_err(|e| FileError {
            path: path.to_path_buf(),
            offset: Some(*at),
            reason: format!("function library: {e}"),
        })?;
    }
    Ok(libs)
}

/// Replaces the store's data with what was loaded (watchers of every
/// database see their keys change) and records the load for INFO.
pub fn install(store: &mut Store, mut loaded: Loaded) {
    for (db, new) in store.dbs.iter_mut().zip(loaded.dbs.iter_mut()) {
        db.swap_contents(new);
    }
    store.persistence.last_load_keys_loaded = loaded.keys_loaded;
    store.persistence.last_load_keys_expired = loaded.keys_expired;
}

#[cfg(test)]
#[path = "rdbload_tests.rs"]
mod tests;
